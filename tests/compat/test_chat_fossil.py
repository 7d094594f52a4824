"""Chat side by side with the real ``fossil server`` on the same repository file.

A message posted through fossilpy is returned by fossil's ``/chat-poll``
and the reverse; both programs' ``/chat-poll``, ``/chat-fetch-one`` and
``/chat-download`` replies are byte-identical on the same rows (messages
without raw HTML: fossilpy sanitizes raw HTML, Fossil 2.21 passes it);
the table fossilpy creates has the columns of the one fossil creates."""

from __future__ import annotations

import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.conftest import Runner
from tests.net import fossil_serving
from tests.web.wsgi import Reply, call

MESSAGES = [
    "hello *world* and **bold**, `code` & <less> than",
    "- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n[home](/home) and https://example.com/x?a=1&b=2",
    'tab\there "quotes" \\ backslash caf\u00e9 \U0001f600\n\n    indented code\n\n# Heading\n',
]


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes] | None = None) -> tuple[bytes, str]:
    b = "----chatcompat42"
    out = b""
    for k, v in fields.items():
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v.encode() + b"\r\n"
    if file:
        out += (
            (
                f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                f"Content-Type: {file[1]}\r\n\r\n"
            ).encode()
            + file[2]
            + b"\r\n"
        )
    return out + f"--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kw: Any) -> None:
        return None


class FossilSide:
    """The real fossil server, logged in as one user (cookie from /login).

    Requests carry a same-origin Referer, as the browser's do: without it
    Fossil makes the request read-only (PROTECT_READONLY in ``src/db.c``)."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(_NoRedirect)
        data = urllib.parse.urlencode({"u": user, "p": password}).encode()
        try:
            opener.open(self.base + "/login", data)
        except urllib.error.HTTPError as e:  # the 302 after a good login
            self.cookie = e.headers.get("Set-Cookie", "").split(";")[0]
        assert self.cookie, "fossil login failed"

    def request(self, path: str, body: bytes | None = None, ctype: str = "") -> tuple[int, str, bytes]:
        req = urllib.request.Request(
            self.base + path, data=body, headers={"Cookie": self.cookie, "Referer": self.base + "/chat"}
        )
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def send(self, msg: str, file: tuple[str, str, bytes] | None = None) -> None:
        body, ctype = _multipart({"msg": msg, "lmtime": "2026-12-03T10:11:12"}, file)
        status, _, out = self.request("/chat-send", body, ctype)
        assert (status, out) == (200, b"")


class PySide:
    """fossilpy's app in-process on the same file, logged in as one user."""

    def __init__(self, path: Path, user: str, password: str) -> None:
        self.app = make_app(AppConfig(repository=str(path)))
        r = call(self.app, "/login", form={"u": user, "p": password})
        assert r.status == 302, r.text
        ((name, value),) = r.cookies().items()
        self.cookies = {name: value.replace("/", "%2F")}

    def get(self, path: str) -> Reply:
        return call(self.app, path, cookies=self.cookies)

    def csrf(self) -> str:
        m = re.search(r'data-csrf="([^"]+)"', self.get("/chat").text)
        assert m
        return m.group(1)

    def send(self, msg: str, file: tuple[str, str, bytes] | None = None) -> None:
        body, ctype = _multipart({"msg": msg, "lmtime": "2026-12-03T10:11:12", "csrf": self.csrf()}, file)
        r = call(self.app, "/chat-send", method="POST", body=body, content_type=ctype, cookies=self.cookies)
        assert (r.status, r.body) == (200, b""), r.text


def _columns(path: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA table_info(chat)").fetchall()
    finally:
        db.close()


@pytest.fixture
def repo(fossil: Runner, tmp_path: Path) -> Path:
    path = tmp_path / "chat.fossil"
    fossil("init", path, "--admin-user", "admin")
    fossil("user", "new", "ann", "ann@example.org", "annpw", "-R", path)
    fossil("user", "capabilities", "ann", "oC", "-R", path)
    fossil("user", "new", "bob", "bob@example.org", "bobpw", "-R", path)
    fossil("user", "capabilities", "bob", "oC", "-R", path)
    fossil("sqlite3", "-R", path, input="REPLACE INTO config(name,value,mtime) VALUES('chat-poll-timeout','2',0);\n")
    return path


def test_same_table_as_fossil_creates(fossil: Runner, repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.fossil"
    fossil("init", other)
    fossil("user", "new", "ann", "a@example.org", "annpw", "-R", other)
    fossil("user", "capabilities", "ann", "oC", "-R", other)
    with fossil_serving(fossil.argv0, other, env=fossil.env) as port:
        FossilSide(port, "ann", "annpw").request("/chat-poll?before=1")
    PySide(repo, "ann", "annpw").get("/chat")
    assert _columns(repo) == _columns(other) and len(_columns(repo)) == 9


def test_messages_cross_over_byte_identical(fossil: Runner, repo: Path) -> None:
    py = PySide(repo, "ann", "annpw")
    py.send(MESSAGES[0])
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        fs = FossilSide(port, "bob", "bobpw")
        fs.send(MESSAGES[1])
        py.send(MESSAGES[2], ("notes.txt", "text/plain", b"attached\n"))
        fs.send("", ("pic.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x01"))
        py_bob = PySide(repo, "bob", "bobpw")
        # ann deletes her first message through fossilpy; bob cannot delete it through fossil
        fs.request("/chat-delete/1")
        r = call(py.app, "/chat-delete/1", form={"csrf": py.csrf()}, cookies=py.cookies)
        assert r.status == 200
        for path in ("/chat-poll/0", "/chat-poll?name=-2", "/chat-poll?before=6&n=3", "/chat-poll/0?raw"):
            status, ctype, body = fs.request(path)
            mine = py_bob.get(path)
            assert (mine.status, mine.header("Content-Type")) == (status, ctype)
            assert mine.body == body, path
        status, _, body = fs.request("/chat-poll/0")
        assert body.count(b'"msgid"') == 4 and b'"mdel":1' in body and b"attached" not in body
        for n in (2, 3, 4, 9, 5):
            status, _, body = fs.request(f"/chat-fetch-one/{n}")
            mine = py_bob.get(f"/chat-fetch-one/{n}")
            assert (mine.status, mine.body) == (status, body), n
        for n, name in ((3, "notes.txt"), (4, "pic.png")):
            status, ctype, body = fs.request(f"/chat-download/{n}/{name}")
            mine = py_bob.get(f"/chat-download/{n}/{name}")
            assert (mine.status, mine.header("Content-Type"), mine.body) == (status, ctype, body)
        # the long poll of each answers with the other's new message
        py.send("late news")
        status, _, body = fs.request("/chat-poll/5")
        assert body.count(b'"msgid"') == 1 and b"late news" in body
        fs.send("later news")
        assert "later news" in py_bob.get("/chat-poll/6").text


def test_fossil_chat_send_and_pull_against_fossilpy(fossil: Runner, repo: Path, tmp_path: Path) -> None:
    from tests.web.browser import serve_app

    fossil("user", "password", "admin", "adminpw", "-R", repo)
    local = tmp_path / "local.fossil"
    fossil("init", local, "--admin-user", "admin")
    attach = tmp_path / "report.txt"
    attach.write_bytes(b"numbers\n")
    with serve_app(repo) as base:
        url = base.replace("http://", "http://ann:annpw@")
        fossil("chat", "send", "-R", local, "--remote", url, "--unsafe", "-m", "sent by *fossil chat send*")
        fossil("chat", "send", "-R", local, "--remote", url, "--unsafe", "--file", attach, "--as", "r 1.txt")
        bad = fossil(
            "chat", "send", "-R", local, "--remote", url.replace("annpw", "wrong"), "--unsafe", "-m", "x", check=False
        )
        assert bad.returncode == 1 and b"ERROR: username and/or password is incorrect" in bad.stdout
        rows = _rows(repo)
        assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
            ("ann", "sent by *fossil chat send*", None, None, None),
            ("ann", "", "r_1.txt", "text/plain", b"numbers\n"),
        ]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rows[0][6])
        # ann is not setup: pull gets nothing; admin pulls everything, then only what is new
        denied = fossil("chat", "pull", "-R", local, "--remote", url, "--unsafe", check=False)
        # an empty reply, as Fossil's own server gives a non-setup user
        assert denied.returncode == 1 and b"no such table: chatbu.chat" in denied.stderr
        assert _rows(local) == []
        admin = base.replace("http://", "http://admin:adminpw@")
        out = fossil.text("chat", "pull", "-R", local, "--remote", admin, "--unsafe")
        assert re.fullmatch(r"Got 2 new records, \d+ bytes\n", out), out
        assert _rows(local) == rows
        PySide(repo, "ann", "annpw").send("third")
        out = fossil.text("chat", "pull", "-R", local, "--remote", admin, "--unsafe")
        assert re.fullmatch(r"Got 1 new records, \d+ bytes\n", out), out
        assert _rows(local) == _rows(repo)


def _has_chat(path: Path) -> bool:
    db = sqlite3.connect(path)
    try:
        return bool(db.execute("SELECT count(*) FROM sqlite_master WHERE name='chat'").fetchone()[0])
    finally:
        db.close()


def _rows(path: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(
            "SELECT msgid, xfrom, xmsg, fname, fmime, file, lmtime, mtime, mdel FROM chat ORDER BY msgid"
        ).fetchall()
    finally:
        db.close()


def test_fossilpy_chat_command_against_fossil_server(
    fossil: Runner, fossilpy: Runner, repo: Path, tmp_path: Path
) -> None:
    fossil("user", "password", "admin", "adminpw", "-R", repo)
    local = tmp_path / "local.fossil"
    fossil("init", local, "--admin-user", "admin")
    attach = tmp_path / "data file.csv"
    attach.write_bytes(b"a,b\n1,2\n")
    # Fossil 2.21's /chat-send cannot create the table for a request without a
    # same-origin Referer (PROTECT_READONLY), so `fossil chat send` to a fresh
    # repository fails with 400 there: open the room first
    PySide(repo, "ann", "annpw").get("/chat")
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        url = f"http://ann:annpw@127.0.0.1:{port}"
        for args in (["url", "--remote", url + "/"], ["url", "--remote", "https://x.example:8443/sub/"]):
            assert fossilpy.text("chat", *args, "-R", local) == fossil.text("chat", *args, "-R", local)
        plain = fossilpy("chat", "send", "-R", local, "--remote", url, "-m", "x", check=False)
        assert plain.returncode == 1 and f'URL "http://127.0.0.1:{port}" is unencrypted. Use https:// instead' in (
            plain.stderr.decode()
        )
        empty = fossilpy("chat", "send", "-R", local, "--remote", url, "--unsafe", check=False)
        assert empty.returncode == 1 and b"must have --message or --file or both" in empty.stderr
        fossilpy("chat", "send", "-R", local, "--remote", url, "--unsafe", "-m", "from *fossilpy chat send*")
        fossilpy("chat", "send", "-R", local, "--remote", url, "--unsafe", "--file", attach)
        bad = fossilpy(
            "chat", "send", "-R", local, "--remote", url.replace("annpw", "no"), "--unsafe", "-m", "x", check=False
        )
        assert bad.returncode == 1 and bad.stdout == b"ERROR: username and/or password is incorrect\n"
        rows = _rows(repo)
        assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
            ("ann", "from *fossilpy chat send*", None, None, None),
            ("ann", "", "data_file.csv", "text/csv", b"a,b\n1,2\n"),
        ]
        admin = f"http://admin:adminpw@127.0.0.1:{port}"
        out = fossilpy.text("chat", "pull", "-R", local, "--remote", admin, "--unsafe")
        assert re.fullmatch(r"Got 2 new records, \d+ bytes\n", out), out
        assert _rows(local) == rows
        assert fossilpy.text("chat", "pull", "-R", local, "--remote", admin, "--unsafe").startswith("Got 0 new records")


#: Markdown as people write it in chat (no raw HTML: there fossilpy sanitizes, Fossil 2.21 does not)
FORMATTER_CORPUS = [
    "plain words",
    "*em* **strong** ***both*** _under_ __dunder__",
    "`code` and ``double `tick` code``",
    "line one\nline two\n\nnew paragraph",
    "# H1\n## H2\n### H3",
    "- a\n- b\n  - nested\n- c",
    "1. one\n2. two\n3. three",
    "> quoted\n> more\n\nafter",
    "```\nfenced <code> & stuff\n```",
    "\n  ~~~ tcl\nfenced with a language\n~~~\n\nthen text",
    "text first\n\n```\nthen fenced\n```",
    "    indented code\n    block",
    "[link](https://fossil-scm.org/home) <https://example.com> http://bare.example/x?a=1&b=2",
    "[rel](/timeline?n=5) [anchor](#here) ![img](/logo)",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "a & b < c > d \"q\" 'a'",
    "trailing two spaces  \nbreak",
    "---",
    "caf\u00e9 \u65e5\u672c \U0001f600",
    "\\*not em\\* 5 * 3 * 2",
    "[[wiki link]] and [ref][1]\n\n[1]: https://example.org/ref",
    "~~strike~~ ==mark== ^sup^",
]


def test_message_html_is_fossils(fossil: Runner, fossilpy: Runner, repo: Path) -> None:
    from fossilpy.repo import chat

    out = fossil.text("test-chat-formatter", "-R", repo, *FORMATTER_CORPUS)
    # the same command of fossilpy prints the same, but for [0] (the program's name)
    mine = fossilpy.text("test-chat-formatter", "-R", repo, *FORMATTER_CORPUS)
    assert mine.split("\n[1]: ", 1)[1] == out.split("\n[1]: ", 1)[1]
    parts = re.split(r"(?:^|\n)\[(\d+)\]: ", out)[1:]
    got = {int(parts[i]): parts[i + 1] for i in range(0, len(parts), 2)}
    assert len(got) == len(FORMATTER_CORPUS) + 2
    last = len(FORMATTER_CORPUS) + 1
    got[last] = got[last][:-1]  # the final line's own newline
    mismatched = [text for i, text in enumerate(FORMATTER_CORPUS, start=2) if chat.render(text) != got[i]]
    assert mismatched == []


def test_poll_of_special_rows_is_fossils(fossil: Runner, repo: Path) -> None:
    """Rows written by other means: the chat-timeline-user's wiki text
    (uclr "transparent"), a row without sender, the user-color-map.
    (Footnotes differ: fossilpy writes their markup with double quotes and
    page-relative links, Fossil with single quotes and the request's URI.)"""
    PySide(repo, "ann", "annpw").get("/chat")
    config = [("chat-timeline-user", "timeline-bot"), ("user-color-map", "ann zed")]
    rows = [
        ("timeline-bot", "Check-in <a href='/info/abc'>abc</a> by ''ann'' [/timeline|timeline]", None),
        (None, "no sender", "2026-12-03T08:00:00"),
        ("ann", "from *ann*, coloured as zed", None),
        ("bob", "empty lmtime", ""),
    ]
    db = sqlite3.connect(repo)
    with db:
        db.executemany("REPLACE INTO config(name,value,mtime) VALUES(?,?,0)", config)
        db.executemany("INSERT INTO chat(mtime,xfrom,xmsg,lmtime) VALUES(julianday('now'),?,?,?)", rows)
    db.close()
    py = PySide(repo, "bob", "bobpw")
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        fs = FossilSide(port, "bob", "bobpw")
        for path in ("/chat-poll/0", "/chat-poll/2", "/chat-fetch-one/1", "/chat-fetch-one/2", "/chat-fetch-one/4"):
            status, _, body = fs.request(path)
            mine = py.get(path)
            assert (mine.status, mine.body) == (status, body), path
    assert body.startswith(b'{"msgid": 4,"mtime":') and b'"uclr":"#' in body
    body = py.get("/chat-poll/0").body
    assert b'"xfrom":"timeline-bot","uclr":"transparent"' in body and b'"xfrom":null' in body
