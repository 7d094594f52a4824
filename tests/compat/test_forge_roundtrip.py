"""Issue 11's acceptance, end to end: what people write through fossilpy's
forms, real fossil clones, checks, shows and rebuilds to the same tables.

One repository (made by fossilpy) gets, through the web forms of the app as
logged-in users post them: a wiki page created and edited twice, a ticket
filed, commented on and closed, a forum thread with a reply from a second
user, a technote, and a file attached to the wiki page.  Then
``fossilpy server`` serves it and the real ``fossil clone`` takes it:

* the clone holds every artifact of the source;
* ``fossil test-integrity`` on the clone is clean;
* fossil reads back the same wiki text, ticket fields, forum thread,
  technote and attachment (``fossil wiki export``, ``fossil ticket
  history``, its own tables);
* fossil's own crosslinking of the clone gives the same derived tables as
  fossilpy's crosslinking of the source, and ``fossil rebuild`` of the
  clone changes none of them.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fossilpy.repo import users
from fossilpy.repo.db import Repo
from fossilpy.web.app import AppConfig, make_app
from tests.builders import new_repo
from tests.compare import DERIVED_TABLES, derived_table_diff, format_diff
from tests.conftest import base_env, require_binary
from tests.net import free_port, serving
from tests.web.wsgi import Reply, call

WIKI_1 = "# Roadmap\n\nFirst *draft*.\n"
WIKI_2 = WIKI_1 + "\n* one\n* two\n"
WIKI_3 = WIKI_2 + "\nDone <script>alert(1)</script>.\n"
B = "----roundtripBOUNDARY"


class Site:
    """The app over ``path``, one login per user, forms posted with their csrf token."""

    def __init__(self, path: Path) -> None:
        self.app = make_app(AppConfig(repository=str(path)))
        self.cookies: dict[str, dict[str, str]] = {}

    def login(self, user: str) -> dict[str, str]:
        if user not in self.cookies:
            r = call(self.app, "/login", form={"u": user, "p": user + "pw"})
            assert r.status == 302, r.text
            ((name, value),) = r.cookies().items()
            self.cookies[user] = {name: value.replace("/", "%2F")}
        return self.cookies[user]

    def get(self, user: str, path: str) -> Reply:
        r = call(self.app, path, cookies=self.login(user))
        assert r.status == 200, (path, r.status, r.text[:500])
        return r

    def csrf(self, user: str, form_page: str) -> str:
        m = re.search(r'name="csrf" value="([^"]+)"', self.get(user, form_page).text)
        assert m, form_page
        return m.group(1)

    def post(self, user: str, path: str, form: dict[str, str], form_page: str) -> Reply:
        fields = {**form, "csrf": self.csrf(user, form_page)}
        r = call(self.app, path, cookies=self.login(user), form=fields)
        assert r.status in (200, 302, 303), (path, r.status, r.text[:800])
        return r

    def upload(self, user: str, path: str, fields: dict[str, str], file: tuple[str, bytes], form_page: str) -> Reply:
        fields = {**fields, "csrf": self.csrf(user, form_page)}
        parts = [
            f'--{B}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
        ]
        name, data = file
        parts.append(
            f'--{B}\r\nContent-Disposition: form-data; name="f"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{B}--\r\n".encode()
        r = call(
            self.app,
            path,
            method="POST",
            body=body,
            content_type=f"multipart/form-data; boundary={B}",
            cookies=self.login(user),
            headers={"Origin": "http://localhost:8080"},
        )
        assert r.status in (200, 302, 303), (path, r.status, r.text[:800])
        return r


def _one(path: Path, sql: str, params: tuple[object, ...] = ()) -> object:
    con = sqlite3.connect(path)
    try:
        row = con.execute(sql, params).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _fossil(fossil: str, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([fossil, *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The source repository after the flows, and the ids the flows made."""
    work = tmp_path_factory.mktemp("forge")
    path = new_repo(work / "src.fossil")
    with Repo.open(str(path)) as repo:
        users.set_password(repo, "root", "rootpw")
        users.create_user(repo, "alice", password="alicepw", caps="dejkmnrtwcbf234i")
        users.create_user(repo, "bob", password="bobpw", caps="djkmnrwc234")
        repo.config_set("backoffice-disable", "1")
    site = Site(path)
    ids: dict[str, str] = {}
    # wiki: create, edit twice
    for text in (WIKI_1, WIKI_2, WIKI_3):
        parent = str(
            _one(
                path,
                "SELECT uuid FROM blob JOIN tagxref ON blob.rid=tagxref.rid JOIN tag USING(tagid)"
                " WHERE tagname='wiki-Roadmap' ORDER BY mtime DESC LIMIT 1",
            )
            or ""
        )
        site.post(
            "alice",
            "/wikiedit",
            {"name": "Roadmap", "mimetype": "text/x-markdown", "content": text, "parent": parent, "submit": "Save"},
            "/wikiedit?name=Roadmap",
        )
    # ticket: file, comment, close
    site.post(
        "alice",
        "/tktnew",
        {
            "title": "Crash on start",
            "type": "Code_Defect",
            "severity": "Critical",
            "foundin": "1.0",
            "icomment": "It crashes.",
            "mutype": "Markdown",
            "submit": "Submit",
        },
        "/tktnew",
    )
    tkt = str(_one(path, "SELECT tkt_uuid FROM ticket"))
    ids["ticket"] = tkt
    site.post(
        "bob", f"/tktedit/{tkt}", {"icomment": "Me too.", "mutype": "Markdown", "submit": "Submit"}, f"/tktedit/{tkt}"
    )
    site.post(
        "alice",
        f"/tktedit/{tkt}",
        {"status": "Closed", "resolution": "Fixed", "icomment": "Fixed.", "mutype": "Markdown", "submit": "Submit"},
        f"/tktedit/{tkt}",
    )
    # forum: a thread and a reply from a second user
    site.post(
        "alice",
        "/forume1",
        {"title": "Welcome", "content": "Hello **all**.", "mimetype": "text/x-markdown", "submit": "Submit"},
        "/forumnew",
    )
    root = str(_one(path, "SELECT uuid FROM blob, forumpost WHERE fpid=rid AND firt IS NULL"))
    ids["forum"] = root
    site.post(
        "bob",
        "/forume2",
        {"fpid": root, "reply": "1", "content": "Hi alice.", "mimetype": "text/x-markdown", "submit": "Submit"},
        f"/forumpost/{root}",
    )
    # technote
    site.post(
        "alice",
        "/technoteedit",
        {
            "t": "2026-12-01 10:00:00",
            "c": "Release 1.0",
            "w": "Notes *here*.\n",
            "mimetype": "text/x-markdown",
            "submit": "Submit",
        },
        "/technoteedit",
    )
    # attachment to the wiki page
    site.upload(
        "alice",
        "/attachadd",
        {"page": "Roadmap", "comment": "the plan", "ok": "Add Attachment"},
        ("plan.txt", b"step 1\nstep 2\n"),
        "/attachadd?page=Roadmap",
    )
    return path, ids


def test_forms_wrote_what_a_person_did(written: tuple[Path, dict[str, str]]) -> None:
    path, _ = written
    con = sqlite3.connect(path)
    try:
        kinds = con.execute("SELECT type, count(*) FROM event WHERE type!='ci' GROUP BY type ORDER BY type").fetchall()
        assert kinds == [("e", 1), ("f", 2), ("t", 3), ("w", 4)]  # 3 wiki versions + the attachment
        assert con.execute("SELECT status, resolution, title FROM ticket").fetchall() == [
            ("Closed", "Fixed", "Crash on start")
        ]
        assert con.execute("SELECT count(*) FROM private").fetchone() == (0,)
    finally:
        con.close()


def test_fossil_clones_checks_reads_and_rebuilds_the_same(written: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    fossil = require_binary("fossil")
    path, ids = written
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home)
    clone = tmp_path / "clone.fossil"
    port = free_port()
    argv = [sys.executable, "-m", "fossilpy", "server", str(path), "--port", str(port), "--localhost"]
    with serving(argv, port, env=env):
        _fossil(fossil, env, "clone", f"http://root:rootpw@127.0.0.1:{port}/", str(clone))
    # every artifact came across
    src = sqlite3.connect(path)
    dst = sqlite3.connect(clone)
    try:
        want = {u for (u,) in src.execute("SELECT uuid FROM blob WHERE size>=0")}
        have = {u for (u,) in dst.execute("SELECT uuid FROM blob WHERE size>=0")}
        assert want - have == set()
    finally:
        src.close()
        dst.close()
    integrity = _fossil(fossil, env, "test-integrity", "-R", str(clone))
    assert " 0 errors" in integrity and "low-level database integrity-check: ok" in integrity
    # fossil reads what the forms wrote
    assert _fossil(fossil, env, "wiki", "export", "Roadmap", "-R", str(clone)) == WIKI_3
    history = _fossil(fossil, env, "ticket", "history", ids["ticket"], "-R", str(clone))
    for text in ("Crash on start", "It crashes.", "Me too.", "Closed", "Fixed."):
        assert text in history, text
    assert (
        _one(clone, "SELECT count(*) FROM forumpost WHERE froot=(SELECT rid FROM blob WHERE uuid=?)", (ids["forum"],))
        == 2
    )
    assert _one(clone, "SELECT target||'/'||filename FROM attachment") == "Roadmap/plan.txt"
    assert _one(clone, "SELECT comment FROM event WHERE type='e'") == "Release 1.0"
    # fossil's crosslinking of the clone = fossilpy's of the source; rebuild changes nothing
    _fossil(fossil, env, "rebuild", "-R", str(clone))
    # (unsent: the source still holds what it wrote and has not pushed; local bookkeeping)
    diff = derived_table_diff(path, clone, tables=[t for t in DERIVED_TABLES if t != "unsent"])
    assert diff == [], format_diff(diff)
    rebuilt = tmp_path / "rebuilt.fossil"
    shutil.copyfile(clone, rebuilt)
    _fossil(fossil, env, "rebuild", "-R", str(rebuilt))
    diff = derived_table_diff(clone, rebuilt)
    assert diff == [], format_diff(diff)
