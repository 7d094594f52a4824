"""Fixtures for the web application tests.

``webrepo`` is one repository built by the real fossil binary (so the
derived tables are fossil's own), shared by the whole session and never
written to by tests; ``repo_copy`` gives a test its own copy to modify.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import base_env, require_binary

HOME_WIKI = """<h1>Welcome</h1>
<script>alert('wiki')</script>
<a href="javascript:alert(2)">bad link</a> <img src=x onerror=alert(3)>
See [/timeline|the timeline] and <b>bold text</b>.
"""

MD_WIKI = """# Markdown page

Some *emphasis* and `code`.

<script>alert('md')</script>

[click me](javascript:alert(1)) and [ok](/stat)
"""

XSS_COMMENT = '<script>alert("ci")</script> fix <b>bold</b> <img src=x onerror=alert(4)>'


@dataclass(frozen=True)
class WebRepo:
    path: Path
    project_code: str
    alice_password: str = "pw1"


def _run(exe: str, env: dict[str, str], cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run([exe, *args], cwd=cwd, env=env, input=stdin, capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"fossil {' '.join(args)} failed: {proc.stdout!r} {proc.stderr!r}")
    return proc.stdout.decode()


@pytest.fixture(scope="session")
def webrepo(tmp_path_factory: pytest.TempPathFactory) -> WebRepo:
    exe = require_binary("fossil")
    base = tmp_path_factory.mktemp("webrepo")
    home = base / "home"
    home.mkdir()
    env = base_env(home)
    repo = base / "web.fossil"
    co = base / "co"
    co.mkdir()
    _run(exe, env, base, "init", str(repo))
    _run(exe, env, co, "open", str(repo))
    _run(exe, env, co, "settings", "autosync", "off")
    (co / "README.md").write_text("# Test project\n\nHello *world*.\n")
    (co / "src").mkdir()
    (co / "src" / "a.py").write_text("print(1)\n")
    (co / "page.html").write_text("<html><script>alert('raw')</script></html>\n")
    _run(exe, env, co, "add", "README.md", "src/a.py", "page.html")
    _run(exe, env, co, "commit", "-m", "first commit")
    with open(co / "src" / "a.py", "a") as fh:
        fh.write("print(2)\n")
    _run(exe, env, co, "commit", "-m", XSS_COMMENT)
    _run(exe, env, co, "branch", "new", "feat", "trunk")
    _run(exe, env, co, "update", "feat")
    (co / "src" / "b.py").write_text("feature\n")
    _run(exe, env, co, "add", "src/b.py")
    _run(exe, env, co, "commit", "-m", "feature work")
    _run(exe, env, co, "update", "trunk")
    with open(co / "README.md", "a") as fh:
        fh.write("\nMore text.\n")
    _run(exe, env, co, "commit", "-m", "trunk work")
    _run(exe, env, co, "merge", "feat")
    _run(exe, env, co, "commit", "-m", "merge feat into trunk")
    _run(exe, env, co, "wiki", "create", "Home", "-", stdin=HOME_WIKI.encode())
    _run(exe, env, co, "wiki", "create", "MdPage", "-", "-M", "text/x-markdown", stdin=MD_WIKI.encode())
    _run(exe, env, co, "ticket", "add", "title", "A <i>bug</i>", "status", "Open")
    _run(exe, env, co, "wiki", "create", "--technote", "now", "Release note", "-", stdin=b"technote body\n")
    _run(exe, env, co, "user", "new", "alice", "alice@example.org", "pw1")
    _run(exe, env, co, "user", "capabilities", "alice", "v")
    _run(exe, env, co, "close", "--force")
    db = sqlite3.connect(repo)
    with db:
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('project-name','Web Test',strftime('%s','now'))")
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('backoffice-disable','1',strftime('%s','now'))")
    code = db.execute("SELECT value FROM config WHERE name='project-code'").fetchone()[0]
    db.close()
    return WebRepo(repo, code)


def sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    """Run one statement on the repository file ``path`` (committed); its rows."""
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def repo_copy(webrepo: WebRepo, tmp_path: Path) -> Path:
    """A private copy of the session repository, free to modify."""
    dest = tmp_path / "copy.fossil"
    shutil.copyfile(webrepo.path, dest)
    return dest


@pytest.fixture
def app(webrepo: WebRepo):  # type: ignore[no-untyped-def]
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(webrepo.path)))
