"""/chat and its requests through the WSGI app: send, poll, fetch-one,
download, delete, expiry, capability C and CSRF.

Replies are compared byte for byte with the JSON Fossil 2.21 writes
(``src/chat.c``); every refusal is also checked by the chat table not
changing."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from fossilpy.web.app import AppConfig, make_app
from fossilpy.web.graph import user_color
from tests.web.wsgi import Reply, call

#: user -> capabilities: two chatters, an admin, a reader without C
USERS = {"ann": "oC", "bob": "oC", "adm": "a", "rod": "o"}
MD = '<div class="markdown">\n\n{}\n</div>\n'


def _sql(path: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, params).fetchall()
    finally:
        db.close()


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----chattest7d1f"
    out = b""
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v.encode() + b"\r\n"
    for k, (fname, mime, data) in files.items():
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fname}"\r\n'
                f"Content-Type: {mime}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


class Site:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.app = make_app(AppConfig(repository=str(path)))
        self.cookies: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, str] = {}

    def login(self, user: str) -> dict[str, str]:
        if user not in self.cookies:
            r = call(self.app, "/login", form={"u": user, "p": user + "pw"})
            assert r.status == 302, r.text
            ((name, value),) = r.cookies().items()
            self.cookies[user] = {name: value.replace("/", "%2F")}
        return self.cookies[user]

    def get(self, user: str | None, path: str) -> Reply:
        return call(self.app, path, cookies=self.login(user) if user else None)

    def csrf(self, user: str) -> str:
        if user not in self.tokens:
            page = self.get(user, "/chat")
            assert page.status == 200, page.text
            m = re.search(r'data-csrf="([^"]+)"', page.text)
            assert m
            self.tokens[user] = m.group(1)
        return self.tokens[user]

    def send(
        self,
        user: str,
        msg: str = "",
        file: tuple[str, str, bytes] | None = None,
        *,
        csrf: str | None = None,
        lmtime: str = "2026-12-03T09:15:00",
        **kw: Any,
    ) -> Reply:
        fields = {"msg": msg, "lmtime": lmtime, "csrf": self.csrf(user) if csrf is None else csrf}
        body, ctype = _multipart(fields, {"file": file} if file else {})
        return call(
            self.app, "/chat-send", method="POST", body=body, content_type=ctype, cookies=self.login(user), **kw
        )

    def rows(self) -> list[tuple[Any, ...]]:
        return _sql(self.path, "SELECT msgid, xfrom, xmsg, fname, fmime, mdel, lmtime, file FROM chat ORDER BY msgid")


@pytest.fixture
def site(repo_copy: Path) -> Site:
    for user, caps in USERS.items():
        _sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (user, user + "pw", caps))
    _sql(repo_copy, "UPDATE user SET cap='o' WHERE login IN ('nobody','anonymous')")
    _sql(repo_copy, "REPLACE INTO config(name,value,mtime) VALUES('chat-poll-timeout','1',0)")
    return Site(repo_copy)


def _mtime(site: Site, msgid: int) -> str:
    ((d,),) = _sql(site.path, "SELECT datetime(mtime) FROM chat WHERE msgid=?", (msgid,))
    return d[:10] + "T" + d[11:] + "Z"


def test_table_created_on_first_use_with_fossils_columns(site: Site) -> None:
    assert _sql(site.path, "SELECT count(*) FROM sqlite_master WHERE name='chat'") == [(0,)]
    assert site.get("ann", "/chat").status == 200
    cols = _sql(site.path, "PRAGMA table_info(chat)")
    assert [(c[1], c[2], c[5]) for c in cols] == [
        ("msgid", "INTEGER", 1),
        ("mtime", "JULIANDAY", 0),
        ("lmtime", "TEXT", 0),
        ("xfrom", "TEXT", 0),
        ("xmsg", "TEXT", 0),
        ("fname", "TEXT", 0),
        ("fmime", "TEXT", 0),
        ("mdel", "INT", 0),
        ("file", "BLOB", 0),
    ]
    assert "AUTOINCREMENT" in _sql(site.path, "SELECT sql FROM sqlite_master WHERE name='chat'")[0][0]


def test_send_and_poll_exact_json(site: Site) -> None:
    r = site.send("ann", 'hello *world*\n\t"quoted" caf\u00e9')
    assert (r.status, r.body) == (200, b"")
    r = site.send("bob", "", ("notes.txt", "text/plain", b"abc\n"), lmtime="")
    assert (r.status, r.body) == (200, b"")
    assert [row[:7] for row in site.rows()] == [
        (1, "ann", 'hello *world*\n\t"quoted" caf\u00e9', None, None, None, "2026-12-03T09:15:00"),
        (2, "bob", "", "notes.txt", "text/plain", None, ""),
    ]
    html = MD.format('<p>hello <em>world</em>\n\t"quoted" caf\u00e9</p>\n')
    m1 = (
        f'{{"msgid":1,"mtime":"{_mtime(site, 1)}","lmtime":"2026-12-03T09:15:00","xfrom":"ann",'
        f'"uclr":"{user_color("ann")}","xmsg":{_js(html)},"fsize":0}}'
    )
    m2 = (
        f'{{"msgid":2,"mtime":"{_mtime(site, 2)}","xfrom":"bob","uclr":"{user_color("bob")}","xmsg":"",'
        '"fsize":4,"fname":"notes.txt","fmime":"text/plain"}'
    )
    r = site.get("bob", "/chat-poll/0")
    assert r.status == 200 and r.header("Content-Type") == "application/json"
    assert r.text == '{"msgs":[\n' + m1 + ",\n" + m2 + "\n]}"
    assert site.get("bob", "/chat-poll?name=-1").text == '{"msgs":[\n' + m2 + "\n]}"
    assert site.get("bob", "/chat-poll?before=3&n=1").text == '{"msgs":[\n' + m2 + "\n]}"
    raw = site.get("bob", "/chat-poll/1?raw").text
    assert raw == '{"msgs":[\n' + m2 + "\n]}"
    raw = site.get("bob", "/chat-poll/0?raw").text
    assert '"xmsg":"hello *world*\\n\\u0009\\"quoted\\" caf\u00e9"' in raw
    one = site.get("ann", "/chat-fetch-one/1")
    # Fossil 2.21's fetch-one writes "msgid": with a space and never lmtime
    assert one.text == m1.replace('"msgid":1', '"msgid": 1').replace(',"lmtime":"2026-12-03T09:15:00"', "")
    missing = site.get("ann", "/chat-fetch-one/9")
    assert (missing.status, missing.text) == (404, '{"error":"Chat message #9 not found."}')


def _js(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\u0009") + '"'


def test_long_poll_waits_then_answers_empty(site: Site) -> None:
    site.send("ann", "one")
    t0 = time.monotonic()
    r = site.get("ann", "/chat-poll/1")
    waited = time.monotonic() - t0
    assert r.text == '{"msgs":[\n\n]}'
    assert 0.9 <= waited < 5, waited


def test_script_never_reaches_the_page(site: Site) -> None:
    site.send("ann", "<script>alert(1)</script> <img src=x onerror=alert(2)> [a](javascript:alert(3))")
    xmsg = site.get("ann", "/chat-fetch-one/1").text
    assert "<script" not in xmsg and "onerror" not in xmsg and "javascript:" not in xmsg
    page = site.get("ann", "/chat")
    csp = page.header("Content-Security-Policy") or ""
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert '<script src="/chat.js" defer></script>' in page.text
    assert "<script>" not in page.text
    js = site.get("ann", "/chat.js")
    assert js.status == 200 and js.header("Content-Type") == "text/javascript; charset=utf-8"
    assert b"EventSource" in js.body and b"/chat-poll" in js.body


def test_csrf_and_method_refused_nothing_written(site: Site) -> None:
    site.get("ann", "/chat")
    assert site.send("ann", "no token", csrf="").status == 403
    assert site.send("ann", "bad token", csrf="abcdef").status == 403
    assert site.send("ann", "other site", headers={"Origin": "http://evil.example"}).status == 403
    assert call(site.app, "/chat-send?msg=x", cookies=site.login("ann")).status == 405
    assert site.rows() == []


def test_without_c_nothing_is_read_or_written(site: Site) -> None:
    site.send("ann", "secret plans")
    before = site.rows()
    for user in ("rod", None):
        r = site.get(user, "/chat")
        assert r.status == 302 and "/login?g=chat" in (r.header("Location") or "")
        poll = site.get(user, "/chat-poll/0")
        assert re.fullmatch(
            r'\{"msgs":\[\{"isError": true, "xfrom": null,"mtime": "(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", '
            r'"lmtime": "\1","xmsg": "Missing permissions or not logged in\. '
            r"Try <a href='/login\?g=chat'>logging in</a>\.\"\}\]\}",
            poll.text,
        ), poll.text
        one = site.get(user, "/chat-fetch-one/1")
        assert one.text.startswith('{"isError": true, "xfrom": null,"mtime": ') and "secret" not in one.text
        dl = site.get(user, "/chat-download/1")
        assert dl.status == 403 and "Not Authorized" in dl.text
    body, ctype = _multipart({"msg": "intrusion", "csrf": "x"}, {})
    r = call(site.app, "/chat-send", method="POST", body=body, content_type=ctype, cookies=site.login("rod"))
    assert r.text.startswith('{"isError": true, "xfrom": null,') and r.status == 200
    r = call(site.app, "/chat-delete/1", method="POST", body=body, content_type=ctype, cookies=site.login("rod"))
    assert (r.status, r.body) == (200, b"")
    assert site.rows() == before


def test_delete_by_author_or_admin_only(site: Site) -> None:
    site.send("ann", "first")
    site.send("ann", "second")
    form = {"csrf": site.csrf("bob")}
    r = call(site.app, "/chat-delete/1", form=form, cookies=site.login("bob"))
    assert (r.status, r.body) == (200, b"")
    assert [row[0] for row in site.rows()] == [1, 2]  # bob may not delete ann's message
    r = call(site.app, "/chat-delete/1", form={"csrf": "wrong"}, cookies=site.login("ann"))
    assert r.status == 403 and [row[0] for row in site.rows()] == [1, 2]
    assert call(site.app, "/chat-delete/1", form={"csrf": site.csrf("ann")}, cookies=site.login("ann")).status == 200
    assert call(site.app, "/chat-delete/2", form={"csrf": site.csrf("adm")}, cookies=site.login("adm")).status == 200
    rows = site.rows()
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [(3, "ann", None, 1), (4, "adm", None, 2)]
    poll = site.get("bob", "/chat-poll/2").text
    assert poll == (
        '{"msgs":[\n'
        f'{{"msgid":3,"mtime":"{_mtime(site, 3)}","xfrom":"ann","uclr":"{user_color("ann")}","xmsg":"",'
        '"fsize":0,"mdel":1},\n'
        f'{{"msgid":4,"mtime":"{_mtime(site, 4)}","xfrom":"adm","uclr":"{user_color("adm")}","xmsg":"",'
        '"fsize":0,"mdel":2}\n]}'
    )
    # the newest-N start skips deletion rows, as Fossil's "mdel IS NOT true"
    assert site.get("bob", "/chat-poll?name=-5").text.count('"msgid"') == 2
    assert site.get("bob", "/chat-fetch-one/3").status == 404


def test_download_and_render(site: Site) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    site.send("ann", "pic", ("p.png", "image/png", png))
    site.send("ann", "", ("evil.html", "text/html", b"<script>alert(1)</script>"))
    site.send("ann", "", ("r.md", "text/markdown", b"# Title\n\n*x*\n"))
    r = site.get("bob", "/chat-download/1/p.png")
    assert (r.status, r.header("Content-Type"), r.body) == (200, "image/png", png)
    r = site.get("bob", "/chat-download/2/evil.html")
    assert r.header("Content-Type") == "text/plain; charset=utf-8" and r.body == b"<script>alert(1)</script>"
    r = site.get("bob", "/chat-download/3/r.md?render")
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.text == "<h1>Title</h1>\n<p><em>x</em></p>\n"
    assert site.get("bob", "/chat-download/3/r.md").body == b"# Title\n\n*x*\n"
    assert (site.get("bob", "/chat-download/99").status, site.get("bob", "/chat-download/99").body) == (200, b"")
    assert site.rows()[0][7] == png


def test_expiry_keeps_newest_count_and_young_messages(site: Site) -> None:
    site.get("ann", "/chat")
    for i in range(6):
        _sql(
            site.path,
            "INSERT INTO chat(mtime,xfrom,xmsg) VALUES(julianday('now')-10+?,'ann',?)",
            (i * 0.001, f"old{i}"),
        )
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-keep-count','2',0)")
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-keep-days','7',0)")
    site.send("bob", "fresh")
    # purged before the insert, as Fossil: rows older than 7 days below the
    # (keep-count+1)-th newest row (old3) go
    assert [r[2] for r in site.rows()] == ["old3", "old4", "old5", "fresh"]
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-keep-days','20',0)")
    _sql(site.path, "INSERT INTO chat(mtime,xfrom,xmsg) VALUES(julianday('now')-10,'ann','older')")
    site.get("ann", "/chat-poll?name=-10")  # a start-up poll purges too
    assert [r[2] for r in site.rows()] == ["old3", "old4", "old5", "fresh", "older"]
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-keep-days','0.5',0)")
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-keep-count','0',0)")
    site.get("ann", "/chat-poll?name=-10")
    # keep-count 0: everything older than half a day below the newest row
    assert [r[2] for r in site.rows()] == ["fresh", "older"]


def test_empty_message_writes_nothing(site: Site) -> None:
    r = site.send("ann", "")
    assert (r.status, r.body) == (200, b"")
    assert site.rows() == []
    bad = call(
        site.app,
        "/chat-send",
        method="POST",
        body=b"--x\r\nbroken",
        content_type="multipart/form-data; boundary=x",
        cookies=site.login("ann"),
    )
    assert bad.status == 400 and "Traceback" not in bad.text
    assert site.rows() == []


def test_chat_page_shows_settings(site: Site) -> None:
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-initial-history','7',0)")
    _sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('chat-inline-images','off',0)")
    page = site.get("adm", "/chat").text
    assert 'data-init-size="7"' in page and 'data-images-inline="0"' in page and 'data-admin="1"' in page
    assert 'data-me="adm"' in page and 'name="msg"' in page and 'name="file"' in page


def test_delete_with_formdata_body(site: Site) -> None:
    site.send("ann", "via fetch")
    body, ctype = _multipart({"csrf": site.csrf("ann")}, {})
    r = call(site.app, "/chat-delete/1", method="POST", body=body, content_type=ctype, cookies=site.login("ann"))
    assert (r.status, r.body) == (200, b"")
    assert [(row[0], row[5]) for row in site.rows()] == [(2, 1)]


def test_token_login_for_scripts(site: Site) -> None:
    from fossilpy.sync.auth import obscure

    def post(user: str, password: str, msg: str) -> Reply:
        body = (
            b'--xyz\r\nContent-Disposition: form-data; name="resid"\r\n\r\n'
            + (obscure(user) or "").encode()
            + b'\r\n--xyz\r\nContent-Disposition: form-data; name="token"\r\n\r\n'
            + (obscure(password) or "").encode()
            + b'\r\n--xyz\r\nContent-Disposition: form-data; name="msg"\r\n\r\n'
            + msg.encode()
            + b"\r\n--xyz--\r\n"
        )
        # as ``fossil chat send``: no boundary in the header, no Origin, no csrf
        return call(site.app, "/chat-send", method="POST", body=body, content_type="multipart/form-data", origin=False)

    assert (post("bob", "bobpw", "scripted").status, post("bob", "bobpw", "again").body) == (200, b"")
    assert post("bob", "nope", "x").text.startswith('{"isError": true,')
    assert post("rod", "rodpw", "x").text.startswith('{"isError": true,')  # right password, no C
    assert [(r[1], r[2]) for r in site.rows()] == [("bob", "scripted"), ("bob", "again")]
    # /chat-backup is for setup users only: anyone else gets an empty reply
    assert site.get("adm", "/chat-backup").body == b""
    assert site.get("ann", "/chat-backup?msgid=0").body == b""
