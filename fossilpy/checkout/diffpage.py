"""``fossil diff --webpage`` and ``-b/--browser``/``--by``: the diff as one
stand-alone HTML page (``diff_begin``/``diff_end`` of ``src/diffcmd.c``).

The page is::

    <!DOCTYPE html> ... <body>     the head with its style sheet (fossilpy's own)
    <h1>NAME</h1>                  per file ("OLD &lrarr; NEW" when they differ)
    <table class="diff udiff">     the tables of fossilpy.artifact.diffbuild,
    ...                            byte for byte as Fossil's
    <script>...</script>           side by side only: keeps both columns scrolled
    </body>                        together (fossilpy's own script)
    </html>

With ``--browser`` the page goes to ``etilqs_HEX.html`` in the first of
``$SQLITE_TMPDIR``, ``$TMPDIR``, ``/var/tmp``, ``/usr/tmp``, ``/tmp``, ``.``
that is a writable folder (the name SQLite gives Fossil's temporary files);
the ``web-browser`` setting's program (else the first of xdg-open,
gnome-open, firefox, google-chrome on the PATH, else ``echo``) is run on it
through the shell, and after five seconds, time for the browser to read it,
the file is deleted.  The browser's stdout, and whatever the command writes
after the page (``--numstat``'s total), go to /dev/null, as Fossil's do.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Mapping

from fossilpy.checkout.diffext import CStdout, escaped_arg, system
from fossilpy.errors import UserError

DIFF_SIDEBYSIDE = 0x00000004
DIFF_BROWSER = 0x00008000
#: seconds between starting the browser and deleting the page (FOSSIL_BROWSER_DIFF_DELAY)
BROWSER_DELAY = 5.0

HEAD = b"""<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8">
<title>Diff</title>
<style>
body { margin: 1em; background: #fff; color: #000; font-family: sans-serif; }
h1 { font-size: 1.25em; margin: 1.2em 0 0.4em 0; font-family: monospace; }
table.diff { width: 100%; border-collapse: collapse; border: 1px solid #888; }
table.diff td { vertical-align: top; padding: 0; }
table.diff pre { margin: 0; font-size: 0.9em; }
table.diff td.diffln { width: 1px; text-align: right; color: #666; padding: 0 0.8em 0 0.4em; }
table.diff td.diffsep { width: 1px; padding: 0 0.4em; color: #666; }
table.diff td.difftxt pre { overflow-x: auto; }
table.splitdiff td.difftxt { width: 50%; max-width: 0; }
table.diff ins { text-decoration: none; }
table.diff del { text-decoration: none; }
table.diff td.diffln ins { background: #a0e4b2; }
table.diff td.diffln del { background: #ffc0c0; }
table.diff td.difftxt ins { background: #dafbe1; }
table.diff td.difftxt del { background: #ffe8e8; }
table.diff td.difftxt ins > ins { background: #a0e4b2; font-weight: bold; }
table.diff td.difftxt del > del { background: #ffc0c0; font-weight: bold; }
table.diff td.difftxt ins > ins.edit, table.diff td.difftxt del > del.edit { background: #c0c0ff; }
p.generalError { color: #c00; }
</style>
</head>
<body>
"""

#: side by side: scrolling one text column sideways scrolls its partner
SCRIPT = b"""<script>
(function(){
  var rows = document.querySelectorAll("table.splitdiff tr");
  rows.forEach(function(row){
    var cols = row.querySelectorAll("td.difftxt pre");
    if( cols.length!==2 ) return;
    var busy = false;
    cols.forEach(function(me, i){
      me.addEventListener("scroll", function(){
        if( busy ){ busy = false; return; }
        busy = true;
        cols[1-i].scrollLeft = me.scrollLeft;
      });
    });
  });
})();
</script>
"""

TAIL = b"</body>\n</html>\n"


def sqlite_temp_name(suffix: str, env: Mapping[str, str]) -> str:
    """A fresh temporary file name as SQLite makes them (``etilqs_`` and 64 random bits in hex)."""
    for d in (env.get("SQLITE_TMPDIR"), env.get("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp", "."):
        if d and os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK):
            break
    else:
        d = "."
    return f"{d}/etilqs_{random.getrandbits(64):x}{suffix}"


def web_browser(setting: str | None) -> str:
    """``fossil_web_browser`` on unix."""
    if setting:
        return setting
    for prog in ("xdg-open", "gnome-open", "firefox", "google-chrome"):
        if shutil.which(prog):
            return prog
    return "echo"


class Page:
    """One ``--webpage`` (or ``--browser``) document around the per-file output;
    ``env``: the environment (where the temporary page goes)."""

    def __init__(self, flags: int, out: CStdout, env: Mapping[str, str]) -> None:
        self.env = env
        self.flags = flags
        self.out = out
        self.path: str | None = None

    def begin(self) -> CStdout:
        """``diff_begin``: where the diff goes, after the head of the page."""
        if self.flags & DIFF_BROWSER:
            self.out.flush()
            self.path = sqlite_temp_name(".html", self.env)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except OSError:
                raise UserError(f'unable to create temporary file "{self.path}"') from None
            self.out = CStdout(fd)
        self.out.write(HEAD)
        self.out.flush()
        return self.out

    def discard(self) -> None:
        """Delete the temporary page if the browser has not been run on it."""
        if self.path is None:
            return
        try:
            os.close(self.out.fd)
        except OSError:
            pass
        try:
            os.unlink(self.path)
        except OSError:
            pass
        self.path = None

    def end(self, browser: str | None) -> CStdout:
        """``diff_end``: the end of the page; with ``--browser``, show it and return
        a writer that discards."""
        if self.flags & DIFF_SIDEBYSIDE:
            self.out.write(SCRIPT)
        self.out.write(TAIL)
        path, self.path = self.path, None
        if path is None:
            return self.out
        self.out.flush()
        os.close(self.out.fd)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            cmd = escaped_arg(
                web_browser(browser).encode("utf-8", "surrogateescape"), path.encode("utf-8", "surrogateescape")
            )
            system(cmd, stdout=null)
            time.sleep(BROWSER_DELAY)
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        return CStdout(null)
