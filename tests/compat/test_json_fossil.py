"""Wiki writes through the JSON API, judged by the real fossil 2.21 (issue 14).

Debian's fossil is built without JSON, so it cannot answer ``/json/...``
itself; what it can judge is what the API writes.  The same edits made with
``fossil wiki create/commit`` (reference) and with ``/json/wiki/create`` and
``/json/wiki/save`` (each on its own copy of one repository) give artifacts
equal card for card apart from D and Z; ``fossil wiki export`` and ``fossil
wiki ls`` read the pages back, ``fossil test-integrity`` is clean, and after
``fossil rebuild`` the pages read the same.  A refused write (bad token,
existing page) leaves the repository file byte for byte as it was.

Auth tokens are Fossil's login cookies: a token from ``/json/login`` (served
by ``fossilpy server`` over HTTP) logs into the real ``fossil server`` on the
same file, a cookie from fossil's ``/login`` works as a token, and
``/json/logout`` ends the login for fossil too.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.compat.test_wiki_fossil import docs
from tests.conftest import Runner
from tests.web.wsgi import call

T1 = "Hello <b>wiki</b>\n\nfirst version\n"
T2 = "# Now markdown\n\nsecond *version*\n"
T3 = "third, plain\ttext\n"


@pytest.fixture
def base(tmp_path: Path, fossil: Runner) -> Path:
    repo = tmp_path / "base.fossil"
    fossil("init", repo)
    fossil("sqlite3", "-R", repo, input="UPDATE user SET pw='rootpw' WHERE login='root';\n")
    for name, text in (("t1", T1), ("t2", T2), ("t3", T3)):
        (tmp_path / name).write_text(text)
    return repo


def _copy(base: Path, name: str) -> Path:
    dest = base.parent / name
    shutil.copyfile(base, dest)
    return dest


class _Client:
    """POSTs JSON envelopes to one repository through the WSGI app."""

    def __init__(self, repo: Path) -> None:
        self.app = make_app(AppConfig(repository=str(repo), backoffice=False))
        self.token = ""

    def post(self, path: str, payload: Any, **envelope: Any) -> dict[str, Any]:
        body = {"payload": payload, **envelope}
        if self.token and "authToken" not in envelope:
            body["authToken"] = self.token
        reply = call(self.app, path, method="POST", body=json.dumps(body).encode(), content_type="application/json",
                     origin=False)  # fmt: skip
        assert reply.status == 200, reply.text
        out: dict[str, Any] = json.loads(reply.body)
        return out

    def login(self, name: str, password: str) -> None:
        reply = self.post("/json/login", {"name": name, "password": password})
        assert "resultCode" not in reply, reply
        self.token = reply["payload"]["authToken"]


def test_json_wiki_writes_match_fossil_wiki_commands(base: Path, fossil: Runner, tmp_path: Path) -> None:
    ref, mine = _copy(base, "ref.fossil"), _copy(base, "json.fossil")
    for args in (
        ["wiki", "create", "Page One", "t1"],
        ["wiki", "commit", "Page One", "t2", "-M", "markdown"],
        ["wiki", "commit", "Page One", "t3", "--mimetype", "text/plain"],
        ["wiki", "create", "Second", "t2", "-M", "text/x-markdown"],
    ):
        fossil(*args, "-R", ref, cwd=tmp_path)
    client = _Client(mine)
    client.login("root", "rootpw")
    steps = [
        ("/json/wiki/create", {"name": "Page One", "content": T1}),
        ("/json/wiki/save", {"name": "Page One", "content": T2, "mimetype": "markdown"}),
        ("/json/wiki/save", {"name": "Page One", "content": T3, "mimetype": "text/plain"}),
        ("/json/wiki/create", {"name": "Second", "content": T2, "mimetype": "text/x-markdown"}),
    ]
    uuids = []
    for path, payload in steps:
        reply = client.post(path, payload)
        assert "resultCode" not in reply, reply
        assert sorted(reply["payload"]) in (
            ["name", "size", "timestamp", "user", "uuid"],
            ["name", "parent", "size", "timestamp", "user", "uuid"],
        )
        assert reply["payload"]["user"] == "root"
        assert reply["payload"]["size"] == len(payload["content"].encode())
        uuids.append(reply["payload"]["uuid"])
    assert docs(mine) == docs(ref)
    assert fossil.text("wiki", "export", "Page One", "-R", mine) == T3
    assert fossil.text("wiki", "export", "Second", "-R", mine) == T2
    assert fossil.text("wiki", "ls", "-R", mine) == fossil.text("wiki", "ls", "-R", ref) == "Page One\nSecond\n"
    fossil("test-integrity", "-R", mine)
    # the parent chain the API reported is the one fossil follows
    page = client.post("/json/wiki/get", {"name": "Page One"})["payload"]
    assert page["uuid"] == uuids[2] and page["parent"] == uuids[1] and page["content"] == T3
    fossil("rebuild", mine)
    assert fossil.text("wiki", "export", "Page One", "-R", mine) == T3
    assert docs(mine) == docs(ref)


def test_refused_json_writes_change_nothing(base: Path, fossil: Runner) -> None:
    mine = _copy(base, "json.fossil")
    client = _Client(mine)
    client.login("root", "rootpw")
    assert "resultCode" not in client.post("/json/wiki/create", {"name": "Kept", "content": T1})
    before = mine.read_bytes()
    refused = [
        (client.post("/json/wiki/save", {"name": "Kept", "content": "x"}, authToken="0/1/root"), "FOSSIL-2002"),
        (client.post("/json/wiki/create", {"name": "Kept", "content": "x"}), "FOSSIL-3005"),
        (client.post("/json/wiki/save", {"name": "Absent", "content": "x"}), "FOSSIL-3006"),
        (client.post("/json/wiki/save", {"name": "Kept", "content": 42}), "FOSSIL-3001"),
        (client.post("/json/wiki/save", {"name": "Kept"}), "FOSSIL-3002"),
        (client.post("/json/wiki/create", {"name": " bad  name", "content": "x"}), "FOSSIL-3001"),
        (client.post("/json/wiki/create", {"name": "Sandbox", "content": "x"}), "FOSSIL-3001"),
    ]
    assert [r["resultCode"] for r, _ in refused] == [code for _, code in refused]
    assert mine.read_bytes() == before
    assert fossil.text("wiki", "export", "Kept", "-R", mine) == T1


def _http(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Any:
    """(status, headers, body) of one request to 127.0.0.1:port, redirects not followed."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.getheaders(), reply.read()
    finally:
        conn.close()


def test_login_token_is_fossils_login_cookie(base: Path, fossil: Runner, fossilpy: Runner) -> None:
    """A token from /json/login is a login cookie the real fossil server accepts, and a
    cookie from fossil's /login is a token /json accepts; /json/logout ends both."""
    from urllib.parse import quote, unquote

    from tests.net import fossil_serving

    repo = _copy(base, "served.fossil")
    with sqlite3.connect(repo) as db:
        code = db.execute("SELECT value FROM config WHERE name='project-code'").fetchone()[0]
    name = "fossil-" + code[:16]
    login = json.dumps({"payload": {"name": "root", "password": "rootpw"}, "requestId": 1}).encode()
    with fossil_serving(fossilpy.argv0, repo, env=fossilpy.env) as port:
        status, headers, body = _http(port, "POST", "/json/login", login, {"Content-Type": "application/json"})
        assert status == 200 and dict(headers)["Content-Type"] == "application/json; charset=utf-8"
        out = json.loads(body)
        assert out["requestId"] == 1 and out["payload"]["loginCookieName"] == name
        token = out["payload"]["authToken"]
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        status, _, page = _http(port, "GET", "/setup_ulist", headers={"Cookie": f"{name}={token}"})
        assert status == 200 and b">root<" in page.replace(b"</a>", b"<")
        assert _http(port, "GET", "/setup_ulist")[0] == 302
        status, headers, _ = _http(port, "POST", "/login", b"u=root&p=rootpw",
                                   {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        cookie = next(v for k, v in headers if k.lower() == "set-cookie" and v.startswith(name + "="))
        sent = cookie.split(";", 1)[0].split("=", 1)[1]
        fossil_token = unquote(sent)
    with fossil_serving(fossilpy.argv0, repo, env=fossilpy.env) as port:
        whoami = json.loads(_http(port, "GET", "/json/whoami?authToken=" + quote(fossil_token, safe=""))[2])
        assert whoami["payload"] == {"name": "root", "capabilities": "s", "authToken": fossil_token}
        # the Set-Cookie value as sent (percent-encoded) is accepted too
        whoami = json.loads(_http(port, "GET", "/json/whoami?authToken=" + quote(sent, safe=""))[2])
        assert whoami["payload"]["name"] == "root"
        logout = json.dumps({"authToken": fossil_token}).encode()
        out = json.loads(_http(port, "POST", "/json/logout", logout, {"Content-Type": "text/plain"})[2])
        assert out["payload"]["name"] == "nobody"
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        assert _http(port, "GET", "/setup_ulist", headers={"Cookie": f"{name}={token}"})[0] == 302
