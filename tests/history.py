"""Repositories with varied history, built by the real fossil binary.

Plain functions (usable outside pytest, e.g. from benchmarks/):

* ``build_varied_repo(dest, sha1=False, env=None) -> Path`` builds a
  repository exercising most artifact kinds and derived tables: check-ins
  adding, editing, renaming, deleting, executable and symlink files; a
  branch merged back; a cherry-pick; a closed branch; tags (plain,
  valued, propagating, cancelled); amended bgcolor and comment; wiki pages
  in fossil-wiki and markdown with several versions and check-in links;
  tickets changed several times; technotes with tags; attachments to a
  wiki page, a ticket and a technote; a forum thread with replies and an
  edit.  With ``sha1=True`` the early history is SHA1 and the rest SHA3.
* ``copy_repo(src, dest_dir) -> Path`` copies a pristine repository so a
  test can modify it.
* ``fossil_env(home) -> dict`` the environment used (USER=root, TZ=UTC).

Pytest fixtures (global, this module is loaded as a plugin):

* ``varied_repos`` (session scope) -> ``{"sha3": Path, "sha1": Path}``.
  The files are PRISTINE and shared: call ``copy_repo`` before modifying.
  They are exactly as the fossil commands left them (``unsent`` is full,
  no clusters).
* ``varied_rebuilt`` (session scope) -> the same keys, copies after a real
  ``fossil rebuild``: the reference to compare a fossilpy rebuild with
  (``tests.compare.derived_table_diff``).  Also pristine.
* ``varied_copy`` (function scope) -> factory ``varied_copy("sha3") -> Path``
  returning a private copy under ``tmp_path`` that the test may modify.

Check-in, tag and amend dates are fixed with ``--date-override``; wiki,
ticket, technote-edit, attachment and forum artifacts carry the real
current time (fossil 2.21 has no override for them), so their hashes
differ between builds.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner, base_env

__all__ = ["build_varied_repo", "copy_repo", "fossil_env", "VARIED_BRANCHES"]

#: Branch names present in a varied repository (besides trunk).
VARIED_BRANCHES = ("feature", "experiment")

_BASE_DATE = "2024-01-{day:02d}T{hour:02d}:{minute:02d}:00"


def fossil_env(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the fossil binary: USER=root, HOME=home, TZ=UTC (``tests.conftest.base_env``)."""
    return base_env(home, base)


def copy_repo(src: Path, dest_dir: Path) -> Path:
    """Copy repository ``src`` into ``dest_dir`` (created); return the copy's path."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / Path(src).name
    if dest.resolve() == Path(src).resolve():
        raise ValueError(f"copy_repo would overwrite its source {src}")
    shutil.copyfile(src, dest)
    return dest


class _Builder:
    """Drives fossil in one checkout; every call must succeed."""

    def __init__(self, repo: Path, work: Path, env: dict[str, str]) -> None:
        self.exe = shutil.which("fossil") or "fossil"
        self.repo = repo
        self.work = work
        self.env = env
        self.fossil = Runner([self.exe], env, work)
        self.clock = 0  # minutes since the base date

    def date(self) -> str:
        """Next deterministic timestamp (one step of 7 minutes)."""
        self.clock += 7
        day, rest = divmod(self.clock, 24 * 60)
        hour, minute = divmod(rest, 60)
        return _BASE_DATE.format(day=day + 1, hour=hour, minute=minute)

    def run(self, *args: str, input: bytes | None = None, cwd: Path | None = None) -> str:
        return self.fossil(*args, input=input, cwd=cwd, timeout=120).stdout.decode(errors="replace")

    def write(self, name: str, text: str, *, mode: int | None = None) -> None:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if mode is not None:
            path.chmod(mode)

    def commit(self, comment: str, *extra: str) -> str:
        """Commit everything pending; return the new check-in's full hash."""
        self.run("commit", "--hash", "--no-warnings", "--allow-empty", "-m", comment,
                 "--date-override", self.date(), *extra)
        return self.current()

    def current(self) -> str:
        out = self.run("info")
        for line in out.splitlines():
            if line.startswith("checkout:"):
                return line.split()[1]
        raise RuntimeError(f"no checkout line in fossil info:\n{out}")

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Read the repository directly (read-only)."""
        con = sqlite3.connect(f"file:{self.repo}?mode=ro", uri=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def http(self, method: str, path: str, fields: dict[str, str] | None = None,
             files: dict[str, tuple[str, bytes]] | None = None) -> bytes:
        """One request through ``fossil http --localauth`` (setup rights)."""
        head = [f"{method} {path} HTTP/1.0", "Host: localhost",
                f"Referer: http://localhost{path}"]
        body = b""
        if files:
            boundary = "----fossilpyhistoryboundary"
            parts: list[bytes] = []
            for key, value in (fields or {}).items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                    f"{value}\r\n".encode())
            for key, (fname, data) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                    f'filename="{fname}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                    + data + b"\r\n")
            parts.append(f"--{boundary}--\r\n".encode())
            body = b"".join(parts)
            head.append(f"Content-Type: multipart/form-data; boundary={boundary}")
        elif fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
        head.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        out = subprocess.run(
            [self.exe, "http", "--nojail", "--localauth", "--ipaddr", "127.0.0.1",
             str(self.repo)],
            input=request, capture_output=True, cwd=str(self.work), env=self.env, timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"fossil http {path} exited {out.returncode}: {out.stderr!r}")
        status = out.stdout.split(b"\r\n", 1)[0]
        if b" 200 " not in status and b" 302 " not in status:
            raise RuntimeError(f"fossil http {method} {path}: {status!r}")
        return out.stdout


def build_varied_repo(dest: Path, *, sha1: bool = False,
                      env: dict[str, str] | None = None) -> Path:
    """Build a repository with varied history using the real fossil binary.

    ``dest`` is the repository file to create (if it is an existing
    directory, ``varied.fossil``/``varied-sha1.fossil`` inside it).  ``env``
    is the base environment (default: os.environ); USER, HOME (a private
    temporary directory) and TZ=UTC are always forced.
    """
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / ("varied-sha1.fossil" if sha1 else "varied.fossil")
    if dest.exists():
        raise FileExistsError(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="varied-", dir=dest.parent))
    try:
        home = scratch / "home"
        work = scratch / "work"
        home.mkdir()
        work.mkdir()
        b = _Builder(dest.resolve(), work, fossil_env(home, env))
        _populate(b, sha1=sha1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest


def _populate(b: _Builder, *, sha1: bool) -> None:
    init = ["init", "--date-override", b.date(), "--project-name", "Varied history"]
    if sha1:
        init.append("--sha1")
    b.run(*init, str(b.repo))
    b.run("open", "--force", str(b.repo))
    for name, value in (("autosync", "off"), ("allow-symlinks", "on"),
                        ("mv-rm-files", "on"), ("localauth", "0")):
        b.run("settings", name, value)

    # --- trunk: adds, edits, executable, symlink -------------------------
    b.write("README.md", "# Varied\n\nA test project.\n")
    b.write("src/main.c", "int main(void){ return 0; }\n")
    b.write("src/util.c", "".join(f"int util{i}(void){{ return {i}; }}\n" for i in range(40)))
    b.write("doc/notes.txt", "notes\n")
    b.run("add", ".")
    c1 = b.commit("Initial files")
    b.write("src/main.c", "#include <stdio.h>\nint main(void){ puts(\"hi\"); return 0; }\n")
    b.write("build.sh", "#!/bin/sh\nmake\n", mode=0o755)
    os.symlink("src/main.c", b.work / "main-link")
    b.run("add", "build.sh", "main-link")
    c2 = b.commit(f"Executable build script and symlink; follows [{c1[:10]}]")
    if sha1:
        b.run("hash-policy", "sha3")
    b.write("src/util.c", (b.work / "src/util.c").read_text() + "int extra(void){ return 99; }\n")
    b.run("mv", "doc/notes.txt", "doc/NOTES.txt")
    b.run("rm", "README.md")
    b.write("README.wiki", "<h1>Varied</h1>\n")
    b.run("add", "README.wiki")
    c3 = b.commit("Rename notes, replace README")
    (b.work / "build.sh").chmod(0o644)
    b.write("src/main.c", (b.work / "src/main.c").read_text() + "/* trunk edit */\n")
    c4 = b.commit("Build script no longer executable", "--tag", "milestone")

    # --- branch "feature", merge back, cherry-pick -----------------------
    b.run("update", c3)
    b.write("src/feature.c", "int feature(void){ return 1; }\n")
    b.run("add", "src/feature.c")
    f1 = b.commit("Start feature", "--branch", "feature", "--bgcolor", "#c0ffc0")
    b.write("src/feature.c", "int feature(void){ return 2; }\n")
    b.write("src/util.c", "/* feature header */\n" + (b.work / "src/util.c").read_text())
    f2 = b.commit(f"Improve feature; see [{f1[:12]}]")
    b.write("doc/feature.txt", "feature docs\n")
    b.run("add", "doc/feature.txt")
    f3 = b.commit("Feature docs")
    b.run("update", "trunk")
    b.run("merge", "feature")
    m1 = b.commit(f"Merge feature into trunk (includes [{f2[:10]}])")
    b.run("update", "feature")
    b.write("src/feature.c", "int feature(void){ return 3; }\n")
    f4 = b.commit("Feature after merge")
    b.run("update", "trunk")
    b.run("merge", "--cherrypick", f4)
    m2 = b.commit(f"Cherry-pick [{f4[:10]}] from feature")

    # --- branch "experiment": closed leaf ---------------------------------
    b.write("exp.txt", "experiment\n")
    b.run("add", "exp.txt")
    e1 = b.commit("Experiment", "--branch", "experiment")
    b.write("exp.txt", "experiment 2\n")
    b.commit("Abandon experiment", "--close")
    b.run("update", "trunk")
    b.run("branch", "close", "feature", "--date-override", b.date())

    # --- tags and amendments ---------------------------------------------
    b.run("tag", "add", "release", c4, "1.0", "--date-override", b.date())
    b.run("tag", "add", "--propagate", "lineage", c3, "--date-override", b.date())
    b.run("tag", "add", "temporary", m1, "--date-override", b.date())
    b.run("tag", "cancel", "temporary", m1, "--date-override", b.date())
    b.run("amend", c2, "--bgcolor", "#ffd0d0", "--date-override", b.date())
    b.run("amend", m2, "--comment", f"Cherry-pick of [{f4[:10]}] (amended)",
          "--date-override", b.date())
    b.write("src/main.c", (b.work / "src/main.c").read_text() + "/* final */\n")
    tip = b.commit(f"Final trunk check-in after [{m2[:10]}] and [{e1[:10]}]")

    _wiki_tickets_technotes(b, c1, c3, f3, tip)
    _forum(b)


def _wiki_tickets_technotes(b: _Builder, c1: str, c3: str, f3: str, tip: str) -> None:
    pages = b.work.parent / "pages"
    pages.mkdir()

    def page(name: str, text: str, *args: str, create: bool = False) -> None:
        path = pages / "p.txt"
        path.write_text(text)
        b.run("wiki", "create" if create else "commit", name, str(path), *args)

    page("Home", f"Fossil wiki home. See [{c1[:10]}] and [{c3}|the rename].\n",
         "-M", "fossil", create=True)
    page("Home", f"Fossil wiki home, version 2. See [{c1[:10]}], [{c3}|the rename]"
                 " and [Markdown Notes].\n")
    page("Markdown Notes", f"# Notes\n\nThe feature docs are [here]({f3[:12]}).\n",
         "-M", "markdown", create=True)
    page("Markdown Notes", f"# Notes\n\nThe feature docs are [here]({f3[:12]}).\n\n"
                           f"Latest: [{tip[:10]}]\n")
    page("Markdown Notes", "# Notes\n\nRewritten. See [/info/" + tip[:16] + "](/info/"
         + tip[:16] + ").\n")

    # Tickets: one created then changed twice, one with a check-in link.
    out = b.run("ticket", "add", "title", "Crash on start", "type", "Code_Defect",
                "status", "Open", "severity", "Critical",
                "comment", f"Crashes since [{c3[:10]}]")
    tkt1 = _ticket_uuid(out)
    b.run("ticket", "set", tkt1, "status", "Fixed", "resolution", "Fixed",
          "+comment", f"\n\nFixed by [{tip[:10]}]")
    b.run("ticket", "set", tkt1, "status", "Closed")
    out = b.run("ticket", "add", "title", "Add docs", "type", "Documentation",
                "status", "Open", "comment", "Write the docs.")
    tkt2 = _ticket_uuid(out)
    b.run("ticket", "set", tkt2, "priority", "Low")

    # Technotes with tags, one edited.
    page("Release 1.0", f"Release 1.0 is [{tip[:10]}].\n", "--technote",
         "2024-01-03T12:00:00", "--technote-tags", "release announce",
         "--technote-bgcolor", "#e0e0ff", create=True)
    page("Release 1.0 (edited)", f"Release 1.0 is [{tip[:10]}], fixed.\n", "--technote",
         "2024-01-03T12:00:00", "--technote-tags", "release")
    page("Planning", "Plans for next release.\n", "-M", "markdown", "--technote",
         "2024-01-04T08:30:00", create=True)
    technote_id = b.query(
        "SELECT substr(t.tagname,7) FROM event e JOIN tag t ON t.tagid=e.tagid "
        "WHERE e.type='e' AND e.comment LIKE 'Release 1.0%' ORDER BY e.mtime DESC")[0][0]

    # Attachments: wiki page and technote through the CLI, ticket through the web.
    att = pages / "design.txt"
    att.write_text("design notes\n")
    b.run("attachment", "add", "Home", str(att))
    att2 = pages / "screenshot.txt"
    att2.write_text("pretend this is a picture\n")
    b.run("attachment", "add", str(att2), "--technote", technote_id)
    b.http("POST", "/attachadd",
           {"tkt": tkt1, "comment": "Crash log", "ok": "Add Attachment",
            "from": f"/tktview/{tkt1}"},
           files={"f": ("crash.log", b"segfault at 0x0\n")})
    if not b.query("SELECT 1 FROM attachment WHERE target=?", tkt1):
        raise RuntimeError("ticket attachment was not created")


def _ticket_uuid(out: str) -> str:
    for word in out.replace(":", " ").split():
        if len(word) == 40 and all(c in "0123456789abcdef" for c in word):
            return word
    raise RuntimeError(f"no ticket id in: {out!r}")


def _forum(b: _Builder) -> None:
    b.http("POST", "/forume1", {"title": "First thread", "mimetype": "text/x-markdown",
                                "content": "Hello *forum*.", "submit": "Submit"})
    first = b.query("SELECT b.uuid FROM forumpost f JOIN blob b ON b.rid=f.fpid "
                    "WHERE f.firt IS NULL AND f.fprev IS NULL ORDER BY f.fmtime")
    if not first:
        raise RuntimeError("forum thread was not created")
    root = first[0][0]
    b.http("POST", "/forume2", {"fpid": root, "reply": "1", "mimetype": "text/x-markdown",
                                "content": "A reply.", "submit": "Submit"})
    b.http("POST", "/forume2", {"fpid": root, "edit": "1", "title": "First thread (edited)",
                                "mimetype": "text/x-markdown",
                                "content": "Hello *forum*, edited.", "submit": "Submit"})
    reply = b.query("SELECT b.uuid FROM forumpost f JOIN blob b ON b.rid=f.fpid "
                    "WHERE f.firt IS NOT NULL ORDER BY f.fmtime")[0][0]
    b.http("POST", "/forume2", {"fpid": reply, "reply": "1", "mimetype": "text/x-fossil-wiki",
                                "content": "Reply to the reply.", "submit": "Submit"})
    n = b.query("SELECT count(*) FROM forumpost")[0][0]
    if n != 4:
        raise RuntimeError(f"expected 4 forum posts, found {n}")


# --------------------------------------------------------------------------
# pytest fixture


@pytest.fixture(scope="session")
def varied_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Pristine varied repositories ``{"sha3": Path, "sha1": Path}`` (copy before modifying)."""
    from tests.conftest import require_binary

    require_binary("fossil")
    root = tmp_path_factory.mktemp("varied")
    return {
        "sha3": build_varied_repo(root / "varied.fossil"),
        "sha1": build_varied_repo(root / "varied-sha1.fossil", sha1=True),
    }


@pytest.fixture(scope="session")
def varied_rebuilt(varied_repos: dict[str, Path],
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of ``varied_repos`` after ``fossil rebuild`` by the real binary (pristine)."""
    root = tmp_path_factory.mktemp("varied-rebuilt")
    out: dict[str, Path] = {}
    for key, src in varied_repos.items():
        copy = copy_repo(src, root)
        home = root / f"home-{key}"
        home.mkdir()
        Runner([shutil.which("fossil") or "fossil"], base_env(home), root)("rebuild", copy, timeout=120)
        out[key] = copy
    return out


@pytest.fixture
def varied_copy(varied_repos: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """Factory returning a private, modifiable copy of a varied repository."""
    counter = iter(range(1_000_000))

    def make(variant: str = "sha3") -> Path:
        return copy_repo(varied_repos[variant], tmp_path / f"varied-copy-{next(counter)}")

    return make
