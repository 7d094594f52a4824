"""A small project repository made by the real fossil for the /doc, archive and annotate tests.

``build_site_repo(dest) -> (Path, dict)`` checks in, with fixed dates:

1. ``www/`` with ``index.wiki`` (Fossil wiki), ``doc.md`` (Markdown with a
   relative link and a script tag), ``page.html`` (a ``fossil-doc`` div with
   ``$ROOT`` links), ``plain.html`` (a full HTML page), ``img.png``,
   ``sub/index.md``; ``src/main.c`` (text for annotate), ``bin/run.sh``
   (executable), ``link`` (a symlink to README.md), ``README.md``, an empty
   file, a UTF-8 name and a path longer than 100 bytes;
2. edits of ``src/main.c`` and ``www/doc.md`` (tagged ``release-1``);
3. on branch ``feature``: more edits of ``src/main.c``;
4. on trunk: edits of ``src/main.c``, ``empty.txt`` removed, ``404.md`` added.

The dict maps "c1".."c4" to the check-in hashes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.history import _Builder, fossil_env

#: 1x1 transparent PNG
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)

INDEX_WIKI = """<title>Site Home</title>
<h1>Welcome</h1>
This is the <b>home</b> page of the project. See [./doc.md|the markdown doc]
and [/timeline|the timeline].

  *  one bullet
  *  two bullet <script>alert(1)</script>

<verbatim>
  int x = 1 < 2;
</verbatim>
"""

DOC_MD = """# The Markdown Document

Some *emphasis* and a [relative link](sub/index.md) and [home](./index.wiki).

<script>alert("md")</script>

| a | b |
|---|---|
| 1 | 2 |

    code block
"""

PAGE_HTML = """<div class='fossil-doc' data-title='An HTML Page'>
<h2>HTML inside the frame</h2>
<p>Link to <a href="$ROOT/doc/trunk/www/doc.md">the doc</a> and
<a href="$ROOT/timeline">timeline</a>.</p>
<script>alert("html")</script>
</div>
"""

SUB_MD = """Sub index
=========

Back to [the doc](../doc.md), to [the timeline]($ROOT/timeline)
and <a href="$ROOT/doc/$CURRENT/www/page.html">the page</a>.
"""

PLAIN_HTML = """<html><head><title>Plain</title></head>
<body><p>A page of its own.</p></body></html>
"""

MAIN_C = ["#include <stdio.h>", "", "int main(void){", '  printf("hello\\n");', "  return 0;", "}"]


def _c(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def build_site_repo(dest: Path) -> tuple[Path, dict[str, str]]:
    """Build the repository at ``dest`` (a file path); see the module docstring."""
    scratch = Path(tempfile.mkdtemp(prefix="site-", dir=dest.parent))
    try:
        home, work = scratch / "home", scratch / "work"
        home.mkdir()
        work.mkdir()
        b = _Builder(dest.resolve(), work, fossil_env(home))
        b.run("init", "--date-override", b.date(), "--project-name", "Site Demo", str(b.repo))
        b.run("open", "--force", str(b.repo))
        for name, value in (("autosync", "off"), ("allow-symlinks", "on"), ("localauth", "0")):
            b.run("settings", name, value)
        b.write("www/index.wiki", INDEX_WIKI)
        b.write("www/doc.md", DOC_MD)
        b.write("www/page.html", PAGE_HTML)
        b.write("www/plain.html", PLAIN_HTML)
        (work / "www/img.png").write_bytes(PNG)
        b.write("www/sub/index.md", SUB_MD)
        b.write("www/notitle.wiki", "No title here, just <i>text</i> and [https://fossil-scm.org/|a link].\n")
        b.write("www/notes.txt", "plain <text> & more\n")
        b.write("www/diagram.pikchr", 'box "Hello"\narrow\ncircle "World" fill lightblue\n')
        b.write("www/broken.pikchr", "box 'unterminated\n")
        b.write("README.md", "# Site Demo\n\nRead me.\n")
        b.write("src/main.c", _c(MAIN_C))
        b.write("bin/run.sh", "#!/bin/sh\necho run\n", mode=0o755)
        b.write("empty.txt", "")
        b.write("café/naïve.txt", "utf-8 name\n")
        long_dir = "/".join(["d" * 30] * 4)
        b.write(f"{long_dir}/{'long-file-name-' * 3}.txt", "long path\n")
        (work / "link").symlink_to("README.md")
        b.run("add", ".")
        hashes = {"c1": b.commit("first check-in: the site")}
        main2 = [*MAIN_C[:3], "  int n = 2;", '  printf("hello %d\\n", n);', "  return 0;", "}", "/* end */"]
        b.write("src/main.c", _c(main2))
        b.write("www/doc.md", DOC_MD + "\nA second paragraph.\n")
        hashes["c2"] = b.commit("second: edit main.c and the doc", "--tag", "release-1")
        main3 = ["/* feature */", *main2[:4], "  n = n * 2;", *main2[4:]]
        b.write("src/main.c", _c(main3))
        hashes["c3"] = b.commit("third: on a branch", "--branch", "feature")
        b.run("update", "trunk")
        main4 = [*main2[:3], "  int n = 3;", '  printf("hi %d\\n", n);', *main2[5:], "/* trailer */"]
        b.write("src/main.c", _c(main4))
        b.run("rm", "empty.txt")
        b.write("404.md", "# Lost\n\nNothing at this address.\n")
        b.run("add", "404.md")
        hashes["c4"] = b.commit("fourth: trunk edits")
        b.run("close", "--force")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest, hashes
