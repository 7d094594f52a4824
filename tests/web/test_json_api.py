"""Fossil's JSON API (``/json/...``, issue 14), held to Fossil's ``www/json-api/`` documents.

Debian's fossil has no JSON support, so the documents (and ``src/json*.c``
where they are silent) are the specification:

* a schema test: every endpoint's envelope (``fossil``, ``timestamp``,
  ``command``, ``procTimeUs``, ``procTimeMs``, ``payload`` in that order;
  ``resultCode``/``resultText`` on errors only; ``requestId`` echoed) and
  its payload's property names and types, exactly: a missing or an extra
  property fails;
* Fossil's result codes for unknown commands, missing arguments, bad JSON,
  bodies over the limit, missing capabilities, bad and missing tokens and
  failed logins;
* auth tokens: the login token is the cookie value, works as a GET
  parameter, in the envelope or as the cookie, and dies at logout;
* CSRF: a cookie-authenticated write from another site is refused and
  writes nothing; JSONP ignores the cookie.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fossilpy.repo import users
from fossilpy.repo.db import Repo
from fossilpy.web.app import AppConfig, make_app
from tests.builders import HOME_WIKI, WebRepo
from tests.web.conftest import sql
from tests.web.wsgi import Reply, call

# -- a tiny strict schema checker -------------------------------------------------------


class Obj:
    """A JSON object with exactly the ``required`` keys and any of the ``optional`` ones."""

    def __init__(self, required: dict[str, Any], optional: dict[str, Any] | None = None) -> None:
        self.required, self.optional = required, optional or {}


class Arr:
    """A JSON array whose every item matches ``item``."""

    def __init__(self, item: Any) -> None:
        self.item = item


class MapOf:
    """A JSON object with any keys whose values match ``value``."""

    def __init__(self, value: Any) -> None:
        self.value = value


NULL = type(None)
TEXT = str
INT = int
OPT_TEXT = (str, NULL)


def check(value: Any, schema: Any, where: str = "payload") -> None:
    """Fail unless ``value`` matches ``schema`` exactly (bool is not an int)."""
    if isinstance(schema, Obj):
        assert isinstance(value, dict), f"{where}: not an object: {value!r}"
        missing = set(schema.required) - set(value)
        extra = set(value) - set(schema.required) - set(schema.optional)
        assert not missing and not extra, f"{where}: missing {sorted(missing)}, unexpected {sorted(extra)}"
        for key, sub in {**schema.required, **schema.optional}.items():
            if key in value:
                check(value[key], sub, f"{where}.{key}")
    elif isinstance(schema, Arr):
        assert isinstance(value, list), f"{where}: not an array: {value!r}"
        for i, item in enumerate(value):
            check(item, schema.item, f"{where}[{i}]")
    elif isinstance(schema, MapOf):
        assert isinstance(value, dict), f"{where}: not an object: {value!r}"
        for key, item in value.items():
            check(item, schema.value, f"{where}.{key}")
    else:
        types = schema if isinstance(schema, tuple) else (schema,)
        ok = any(isinstance(value, t) and not (t is int and isinstance(value, bool)) for t in types)
        assert ok, f"{where}: {value!r} is not {types}"


ENVELOPE_OK = ["fossil", "timestamp", "command", "procTimeUs", "procTimeMs", "payload"]
ENVELOPE_ERR = ["fossil", "timestamp", "resultCode", "resultText", "command", "procTimeUs", "procTimeMs"]

WIKI_PAGE = Obj({"name": TEXT, "uuid": TEXT, "user": TEXT, "timestamp": INT, "size": INT}, {"parent": TEXT})
WIKI_CONTENT = Obj(
    {**WIKI_PAGE.required, "content": TEXT, "contentFormat": TEXT}, {"parent": TEXT}
)  # fmt: skip
CHANGED_FILE = Obj({"name": TEXT, "uuid": TEXT, "size": INT, "state": TEXT, "downloadPath": TEXT}, {"parent": TEXT})
CHECKIN = Obj(
    {"type": TEXT, "uuid": TEXT, "isLeaf": bool, "timestamp": INT, "user": TEXT, "comment": TEXT},
    {"parents": Arr(TEXT), "tags": Arr(TEXT), "files": Arr(CHANGED_FILE), "originTime": INT,
     "originUser": TEXT, "originComment": TEXT},
)  # fmt: skip
USER = Obj({"uid": INT, "name": TEXT, "capabilities": TEXT, "info": OPT_TEXT, "timestamp": (int, NULL)})
FLAGS = (
    "setup admin password query checkin checkout history clone readWiki createWiki appendWiki editWiki "
    "moderateWiki readTicket createTicket appendTicket editTicket moderateTicket attachFile createTicketReport "
    "readPrivate zip xferPrivate writeUnversioned readForum writeForum writeTrustedForum moderateForum "
    "adminForum emailAlert announce debug chat"
).split()

#: (request path, who asks, payload schema): each endpoint as Fossil documents it.
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("/json/version", "nobody", Obj({"manifestUuid": TEXT, "manifestVersion": TEXT, "manifestDate": TEXT,
                                     "manifestYear": TEXT, "releaseVersion": TEXT, "releaseVersionNumber": INT,
                                     "jsonApiVersion": TEXT}, {"resultCodeParanoiaLevel": INT})),
    ("/json/HAI", "nobody", Obj({"manifestUuid": TEXT, "manifestVersion": TEXT, "manifestDate": TEXT,
                                 "manifestYear": TEXT, "releaseVersion": TEXT, "releaseVersionNumber": INT,
                                 "jsonApiVersion": TEXT}, {"resultCodeParanoiaLevel": INT})),
    ("/json/resultCodes", "nobody",
     Arr(Obj({"resultCode": TEXT, "cSymbol": TEXT, "number": INT, "description": TEXT}))),
    ("/json/whoami", "nobody", Obj({"name": TEXT, "capabilities": TEXT})),
    ("/json/whoami", "root", Obj({"name": TEXT, "capabilities": TEXT, "authToken": TEXT})),
    ("/json/cap", "root", Obj({"name": TEXT, "capabilities": TEXT,
                               "permissionFlags": Obj(dict.fromkeys(FLAGS, bool))})),
    ("/json/anonymousPassword", "nobody", Obj({"seed": INT, "password": TEXT})),
    ("/json/timeline/checkin?files=true", "nobody", Obj({"limit": INT, "timeline": Arr(CHECKIN)})),
    ("/json/timeline/checkin?tag=feat", "nobody", Obj({"limit": INT, "tag": TEXT, "timeline": Arr(CHECKIN)})),
    ("/json/timeline/checkin?branch=feat", "nobody", Obj({"limit": INT, "branch": TEXT, "timeline": Arr(CHECKIN)})),
    ("/json/timeline/wiki", "nobody", Obj({"limit": INT, "timeline": Arr(Obj(
        {"uuid": TEXT, "timestamp": INT, "comment": TEXT, "user": TEXT, "eventType": TEXT}))})),
    ("/json/timeline/ticket", "nobody", Obj({"limit": INT, "timeline": Arr(Obj(
        {"uuid": TEXT, "timestamp": INT, "user": TEXT, "eventType": TEXT, "comment": TEXT,
         "briefComment": OPT_TEXT, "ticketUuid": TEXT}))})),
    ("/json/timeline/technote", "nobody", Obj({"limit": INT, "timeline": Arr(Obj(
        {"name": TEXT, "uuid": TEXT, "timestamp": INT, "comment": TEXT, "user": TEXT, "eventType": TEXT}))})),
    ("/json/wiki/list", "nobody", Arr(TEXT)),
    ("/json/wiki/list?verbose=1", "nobody", Arr(WIKI_PAGE)),
    ("/json/wiki/get/Home", "nobody", WIKI_CONTENT),
    ("/json/wiki/get?name=MdPage&format=html", "nobody", WIKI_CONTENT),
    ("/json/wiki/get?name=Home&format=none", "nobody", WIKI_PAGE),
    ("/json/report/list", "nobody", Arr(Obj({"report": INT, "title": TEXT, "owner": OPT_TEXT}))),
    ("/json/report/get/1", "root", Obj({"report": INT, "owner": OPT_TEXT, "title": TEXT, "timestamp": (int, NULL),
                                        "columns": OPT_TEXT, "sqlCode": TEXT})),
    ("/json/report/run/1", "nobody", Obj({"report": INT, "title": TEXT, "columnNames": Arr(TEXT),
                                          "tickets": Arr(MapOf(OPT_TEXT))})),
    ("/json/report/run/1?format=a&limit=1", "root", Obj({"report": INT, "title": TEXT, "limit": INT,
                                                         "sqlcode": TEXT, "columnNames": Arr(TEXT),
                                                         "tickets": Arr(Arr(OPT_TEXT))})),
    ("/json/branch/list?range=all", "nobody", Obj({"range": TEXT, "branches": Arr(TEXT)})),
    ("/json/tag/list", "nobody", Obj({"raw": bool, "includeTickets": bool, "tags": Arr(TEXT)})),
    ("/json/tag/list/trunk", "nobody", Obj({"raw": bool, "checkin": TEXT, "tags": MapOf(OPT_TEXT)})),
    ("/json/artifact/tip", "nobody", CHECKIN),
    ("/json/artifact/README.md-v1?format=raw", "nobody", Obj(
        {"type": TEXT, "uuid": TEXT, "name": TEXT, "size": INT, "contentType": TEXT, "content": TEXT,
         "contentSize": INT, "contentFormat": TEXT,
         "checkins": Arr(Obj({"name": TEXT, "timestamp": INT, "comment": TEXT, "user": TEXT, "checkin": TEXT,
                              "branch": TEXT, "state": TEXT}))}, {"parent": TEXT})),
    ("/json/artifact/HOME-v1", "nobody", Obj({"type": TEXT, "uuid": TEXT, "artifact": WIKI_PAGE})),
    ("/json/diff/README.md-v1/README.md-v2", "nobody", Obj({"from": TEXT, "to": TEXT, "diff": TEXT})),
    ("/json/dir", "nobody", Obj({"name": TEXT, "entries": Arr(Obj({"name": TEXT}, {"isDir": bool}))})),
    ("/json/dir?name=src&checkin=tip", "nobody", Obj({"name": TEXT, "checkin": TEXT, "entries": Arr(Obj(
        {"name": TEXT}, {"isDir": bool, "uuid": TEXT, "size": INT, "timestamp": INT, "downloadPath": TEXT}))})),
    ("/json/finfo?name=README.md", "nobody", Obj({"name": TEXT, "checkins": Arr(Obj(
        {"checkin": TEXT, "uuid": TEXT, "timestamp": INT, "user": TEXT, "comment": TEXT, "size": INT,
         "state": TEXT}))})),
    ("/json/stat", "nobody", Obj({"projectName": OPT_TEXT, "projectDescription": OPT_TEXT, "repositorySize": INT,
                                  "ageDays": INT, "ageYears": float, "projectCode": TEXT, "compiler": TEXT,
                                  "sqlite": Obj({"version": TEXT, "pageCount": INT, "pageSize": INT,
                                                 "freeList": INT, "encoding": TEXT, "journalMode": OPT_TEXT})})),
    ("/json/user/list", "root", Arr(USER)),
    ("/json/user/get?name=alice", "root", USER),
    ("/json/user/get/alice", "admin", USER),
    ("/json/config/get/project/skin", "root", MapOf(OPT_TEXT)),
]  # fmt: skip


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def site(webrepo: WebRepo, tmp_path: Path) -> dict[str, Any]:
    """A copy of the web repository with root (password rootpw), "admin" (a) and "editor" (k j only)."""
    path = tmp_path / "json.fossil"
    shutil.copyfile(webrepo.path, path)
    with Repo.open(str(path)) as r, r.write():
        users.set_password(r, "root", "rootpw")
        users.create_user(r, "admin", password="adminpw", caps="a")
        users.create_user(r, "editor", password="editorpw", caps="jk")
    app = make_app(AppConfig(repository=str(path), backoffice=False))
    return {"path": path, "app": app, "code": webrepo.project_code, "tokens": {}}


def post(site: dict[str, Any], path: str, envelope: Any, **kw: Any) -> Reply:
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    kw.setdefault("content_type", "application/json")
    return call(site["app"], path, method="POST", body=body, **kw)


def answer(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.text
    out: dict[str, Any] = json.loads(reply.body)
    return out


def token(site: dict[str, Any], who: str) -> str:
    if who not in site["tokens"]:
        out = answer(post(site, "/json/login", {"payload": {"name": who, "password": who + "pw"}}))
        assert "resultCode" not in out, out
        site["tokens"][who] = out["payload"]["authToken"]
    tok: str = site["tokens"][who]
    return tok


def get(site: dict[str, Any], path: str, who: str = "nobody", **kw: Any) -> dict[str, Any]:
    if who != "nobody":
        path += ("&" if "?" in path else "?") + "authToken=" + token(site, who)
    return answer(call(site["app"], path, **kw))


def hashes(site: dict[str, Any]) -> dict[str, str]:
    """Names for artifacts the schema table mentions."""
    rows = sql(
        site["path"],
        "SELECT b.uuid FROM mlink JOIN filename USING(fnid) JOIN blob b ON b.rid=mlink.fid"
        " JOIN event e ON e.objid=mlink.mid WHERE filename.name='README.md' ORDER BY e.mtime",
    )
    home = sql(site["path"], "SELECT b.uuid FROM tagxref JOIN tag USING(tagid) JOIN blob b ON b.rid=tagxref.rid"
                             " WHERE tagname='wiki-Home'")  # fmt: skip
    return {"README.md-v1": rows[0][0], "README.md-v2": rows[-1][0], "HOME-v1": home[0][0]}


def error(out: dict[str, Any], code: str) -> str:
    assert list(out) == ENVELOPE_ERR, out
    assert out["resultCode"] == code, out
    text: str = out["resultText"]
    return text


# -- the schema test --------------------------------------------------------------------


@pytest.mark.parametrize(("path", "who", "schema"), ENDPOINTS, ids=[f"{p} as {w}" for p, w, _ in ENDPOINTS])
def test_endpoint_envelope_and_payload(site: dict[str, Any], path: str, who: str, schema: Any) -> None:
    for name, uuid in hashes(site).items():
        path = path.replace(name, uuid)
    out = get(site, path, who)
    assert list(out) == ENVELOPE_OK, out
    assert out["fossil"] == "f9aa474081f0618c76f4c2f4d6f0277a3fd480aa185d7da0b8b61b00fad1aa78"
    check(out["timestamp"], INT)
    assert out["procTimeMs"] == out["procTimeUs"] // 1000 and out["procTimeUs"] > 0
    command = path.split("?")[0].removeprefix("/json/")
    depth = 1 if command.split("/")[0] in ("artifact", "diff", "dir", "finfo", "stat", "whoami", "cap", "version",
                                            "HAI", "resultCodes", "anonymousPassword") else 2  # fmt: skip
    assert out["command"] == "/".join(command.split("/")[:depth])
    check(out["payload"], schema)


def test_envelope_post_request_id_indent_and_content_type(site: dict[str, Any]) -> None:
    rid = {"any": ["json", 1, None]}
    out = answer(post(site, "/json", {"command": "wiki/get", "requestId": rid, "payload": {"name": "Home"}}))
    assert list(out) == ["fossil", "timestamp", "command", "requestId", "procTimeUs", "procTimeMs", "payload"]
    assert out["command"] == "wiki/get" and out["requestId"] == rid
    assert out["payload"]["content"] == HOME_WIKI and out["payload"]["contentFormat"] == "raw"
    assert out["payload"]["size"] == len(HOME_WIKI.encode())
    reply = call(site["app"], "/json/whoami?requestId=7&indent=1", headers={"Accept": "text/html"})
    assert reply.header("Content-Type") == "text/plain"
    assert reply.text.startswith('{\n\t"fossil": ') and json.loads(reply.body)["requestId"] == "7"
    reply = call(site["app"], "/json/whoami", headers={"Accept": "application/json"})
    assert reply.header("Content-Type") == "application/json; charset=utf-8" and b"\n" not in reply.body
    reply = call(site["app"], "/json/whoami?jsonp=my.cb")
    assert reply.header("Content-Type") == "text/javascript; charset=utf-8"
    assert reply.text.startswith("my.cb({") and reply.text.endswith("})")
    error(get(site, "/json/whoami?jsonp=alert(1)//"), "FOSSIL-3001")


def test_values_follow_the_repository(site: dict[str, Any]) -> None:
    assert get(site, "/json/branch/list")["payload"] == {"range": "open", "branches": ["feat", "trunk"]}
    assert get(site, "/json/branch/list?range=closed")["payload"]["branches"] == []
    assert get(site, "/json/wiki/list")["payload"] == ["Home", "MdPage"]
    assert get(site, "/json/wiki/list?glob=M*")["payload"] == ["MdPage"]
    assert get(site, "/json/wiki/list?glob=M*&invert=1")["payload"] == ["Home"]
    tl = get(site, "/json/timeline/checkin?limit=2")["payload"]
    assert tl["limit"] == 2 and [c["comment"] for c in tl["timeline"]] == ["merge feat into trunk", "trunk work"]
    assert len(tl["timeline"][0]["parents"]) == 2 and tl["timeline"][0]["isLeaf"] is True
    old = get(site, "/json/timeline/checkin?after=2000-01-01&limit=1")["payload"]["timeline"]
    assert old[0]["comment"] == "initial empty check-in"
    assert len(get(site, "/json/timeline/checkin?limit=0")["payload"]["timeline"]) == 7
    tags = get(site, "/json/tag/list?raw=1")["payload"]["tags"]
    assert "sym-trunk" in tags and "trunk" not in tags
    home = get(site, "/json/wiki/get?name=Home&format=html")["payload"]
    assert (
        home["contentFormat"] == "html" and "<script>" not in home["content"] and "<h1>Welcome</h1>" in home["content"]
    )
    ci = get(site, "/json/artifact/tip")["payload"]
    assert ci["type"] == "checkin" and [f["name"] for f in ci["files"]] == ["src/b.py"]
    assert ci["files"][0]["state"] == "added"
    h = hashes(site)
    d = get(site, f"/json/diff?v1={h['README.md-v1']}&v2={h['README.md-v2']}")["payload"]
    assert d["diff"] == "@@ -1,3 +1,5 @@\n # Test project\n \n Hello *world*.\n+\n+More text.\n"
    top = get(site, "/json/dir")["payload"]["entries"]
    assert top == [{"name": "src", "isDir": True}, {"name": "README.md"}, {"name": "page.html"}]
    assert get(site, "/json/finfo/src/a.py")["payload"]["name"] == "src/a.py"
    assert [e["name"] for e in get(site, "/json/dir/src")["payload"]["entries"]] == ["a.py", "b.py"]
    fi = get(site, "/json/finfo?name=README.md&limit=1")["payload"]
    assert fi["limit"] == 1 and [c["state"] for c in fi["checkins"]] == ["modified"]
    codes = {c["number"]: c["resultCode"] for c in get(site, "/json/resultCodes")["payload"]}
    assert codes[2002] == "FOSSIL-2002" and codes[3006] == "FOSSIL-3006" and len(codes) == 35


# -- errors -----------------------------------------------------------------------------


def test_usage_errors(site: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    assert error(get(site, "/json/bogus"), "FOSSIL-1102") == "Unknown command: bogus"
    assert error(get(site, "/json/wiki/bogus"), "FOSSIL-1102") == "Unknown subcommand: bogus"
    assert error(get(site, "/json"), "FOSSIL-3002").startswith("No command (sub-path) specified. Try one of: ")
    assert error(get(site, "/json/timeline"), "FOSSIL-3002").startswith("No subcommand specified. Try one of: ")
    error(get(site, "/json/wiki/get"), "FOSSIL-3002")
    assert error(get(site, "/json/wiki/get/Nope"), "FOSSIL-3006") == "Wiki page not found: Nope"
    error(get(site, "/json/artifact/ffffffffffff"), "FOSSIL-3006")
    error(get(site, "/json/timeline/checkin?tag=no-such-tag"), "FOSSIL-3001")
    error(get(site, "/json/tag/list/no-such-checkin"), "FOSSIL-3004")
    error(get(site, "/json/config/get/bogus", "root"), "FOSSIL-3001")
    error(get(site, "/json/query"), "FOSSIL-1108")
    text = error(answer(post(site, "/json/whoami", b'{"payload": ')), "FOSSIL-1101")
    assert text.startswith("JSON parse error at line 1, column 13, byte offset 12: ")
    assert error(answer(post(site, "/json/whoami", b"[1, 2]")), "FOSSIL-1101") == (
        "Request envelope must be a JSON Object (not array).")  # fmt: skip
    error(answer(post(site, "/json/whoami", b"a=1", content_type="application/x-www-form-urlencoded")),
          "FOSSIL-1101")  # fmt: skip
    from fossilpy.web.json_api import envelope

    monkeypatch.setattr(envelope, "MAX_BODY", 100)
    big = {"payload": {"name": "Home", "content": "x" * 200}}
    assert error(answer(post(site, "/json/wiki/save", big)), "FOSSIL-1101").startswith("Request body too large")


def test_missing_capabilities_and_bad_tokens(site: dict[str, Any]) -> None:
    assert error(get(site, "/json/user/list"), "FOSSIL-2002") == "Requires 'a' or 's' privileges."
    error(get(site, "/json/config/get/project", "admin"), "FOSSIL-2002")
    error(get(site, "/json/report/get/1"), "FOSSIL-2002")
    error(answer(post(site, "/json/wiki/save", {"payload": {"name": "Home", "content": "x"}})), "FOSSIL-2002")
    ed = token(site, "editor")
    error(answer(post(site, "/json/wiki/create", {"authToken": ed, "payload": {"name": "N", "content": "x"}})),
          "FOSSIL-2002")  # fmt: skip
    assert "resultCode" not in answer(
        post(site, "/json/wiki/save", {"authToken": ed, "payload": {"name": "Home", "content": "x"}})
    )
    error(answer(post(site, "/json/wiki/save", {"authToken": ed, "payload": {"name": "branch/feat", "content": "x",
                                                                             }, "createIfNotExists": True})),
          "FOSSIL-2002")  # fmt: skip
    bad = f"{'0' * 50}/{site['code'][:16]}/root"
    text = error(get(site, f"/json/user/list?authToken={bad}"), "FOSSIL-2002")
    assert "authToken given is not valid" in text
    who = get(site, f"/json/whoami?authToken={bad}")["payload"]
    assert who == {"name": "nobody", "capabilities": "gjorz"}
    assert error(get(site, "/json/logout"), "FOSSIL-2001") == "Authentication info missing from request"
    error(get(site, f"/json/logout?authToken={bad}"), "FOSSIL-2001")


def test_login_failures(site: dict[str, Any]) -> None:
    for payload in ({"name": "root", "password": "wrong"}, {"name": "root"}, {"password": "x"},
                    {"name": "nobody", "password": ""}):  # fmt: skip
        assert error(answer(post(site, "/json/login", {"payload": payload})), "FOSSIL-2100") == "Login failed"
    error(get(site, "/json/login?name=root&password=wrong"), "FOSSIL-2100")
    error(answer(post(site, "/json/login", {"payload": {"name": "anonymous", "password": "x"}})), "FOSSIL-2101")
    cross = post(site, "/json/login", {"payload": {"name": "root", "password": "rootpw"}},
                 headers={"Origin": "http://evil.example"})  # fmt: skip
    assert error(answer(cross), "FOSSIL-2002") == "Cross-site login refused." and not cross.all("Set-Cookie")


# -- tokens, cookies, CSRF --------------------------------------------------------------


def test_token_is_the_cookie_and_dies_at_logout(site: dict[str, Any]) -> None:
    reply = call(site["app"], "/json/login?n=root&p=rootpw")
    out = answer(reply)["payload"]
    name = "fossil-" + site["code"][:16]
    assert out["loginCookieName"] == name and out["name"] == "root" and out["capabilities"] == "s"
    assert reply.cookies()[name] == out["authToken"]
    tok = out["authToken"]
    assert get(site, f"/json/whoami?authToken={tok}")["payload"]["authToken"] == tok
    assert answer(post(site, "/json/whoami", {"authToken": tok}))["payload"]["name"] == "root"
    assert get(site, "/json/whoami", cookies={name: tok})["payload"]["name"] == "root"
    # a token in the request wins over the cookie
    assert get(site, f"/json/whoami?authToken={token(site, 'admin')}", cookies={name: tok})["payload"]["name"] == (
        "admin")  # fmt: skip
    reply = post(site, "/json/logout", {"authToken": tok})
    assert answer(reply)["payload"] == {"name": "nobody", "capabilities": "gjorz"}
    assert [c for c in reply.all("Set-Cookie") if c.startswith(name + "=")][0].startswith(
        f"{name}=null; Path=/; max-age=-86400;"
    )
    assert get(site, f"/json/whoami?authToken={tok}")["payload"] == {"name": "nobody", "capabilities": "gjorz"}
    error(answer(post(site, "/json/logout", {"authToken": tok})), "FOSSIL-2001")


def test_anonymous_login(site: dict[str, Any]) -> None:
    sql(site["path"], "UPDATE user SET pw='x', cap='hmnc' WHERE login='anonymous'")
    pw = get(site, "/json/anonymousPassword")["payload"]
    assert len(pw["password"]) == 8 and 0 <= pw["seed"] < 2**31
    out = answer(
        post(
            site,
            "/json/login",
            {"anonymousSeed": pw["seed"], "payload": {"name": "anonymous", "password": pw["password"]}},
        )
    )
    assert out["payload"]["name"] == "anonymous" and out["payload"]["capabilities"] == "hmnc"
    assert get(site, "/json/whoami?authToken=" + out["payload"]["authToken"])["payload"]["name"] == "anonymous"
    error(answer(post(site, "/json/login", {"anonymousSeed": pw["seed"] + 1,
                                            "payload": {"name": "anonymous", "password": pw["password"]}})),
          "FOSSIL-2100")  # fmt: skip


def _versions(site: dict[str, Any], page: str) -> int:
    return int(sql(site["path"], "SELECT count(*) FROM tagxref JOIN tag USING(tagid) WHERE tagname=?",
                   ("wiki-" + page,))[0][0])  # fmt: skip


def test_cookie_writes_need_same_origin(site: dict[str, Any]) -> None:
    cookies = {"fossil-" + site["code"][:16]: token(site, "root")}
    env = {"payload": {"name": "Home", "content": "from elsewhere\n"}}
    for headers in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}, {}):
        reply = post(site, "/json/wiki/save", env, cookies=cookies, headers=headers, origin=False)
        assert "must come from this site" in error(answer(reply), "FOSSIL-2002")
    assert _versions(site, "Home") == 1
    # the same cookie from this site's own page, or a token from anywhere, may write
    assert "resultCode" not in answer(post(site, "/json/wiki/save", env, cookies=cookies))
    env["authToken"] = token(site, "root")
    env["payload"]["content"] = "by token\n"
    assert "resultCode" not in answer(post(site, "/json/wiki/save", env, headers={"Origin": "http://evil.example"}))
    assert _versions(site, "Home") == 3
    assert get(site, "/json/wiki/get/Home")["payload"]["content"] == "by token\n"


def test_jsonp_ignores_the_cookie(site: dict[str, Any]) -> None:
    cookies = {"fossil-" + site["code"][:16]: token(site, "root")}
    reply = call(site["app"], "/json/whoami?jsonp=cb", cookies=cookies)
    body = json.loads(reply.text.removeprefix("cb(").removesuffix(")"))
    assert body["payload"] == {"name": "nobody", "capabilities": "gjorz"}
    reply = call(site["app"], f"/json/whoami?jsonp=cb&authToken={token(site, 'root')}")
    assert json.loads(reply.text[3:-1])["payload"]["name"] == "root"


def test_wiki_create_and_save_rules(site: dict[str, Any]) -> None:
    root = token(site, "root")

    def write(cmd: str, payload: dict[str, Any]) -> dict[str, Any]:
        return answer(post(site, f"/json/wiki/{cmd}", {"authToken": root, "payload": payload}))

    new = write("create", {"name": "Fresh"})["payload"]
    assert new["size"] == 0 and "parent" not in new and new["user"] == "root"
    error(write("create", {"name": "Fresh", "content": "x"}), "FOSSIL-3005")
    error(write("save", {"name": "Other", "content": "x"}), "FOSSIL-3006")
    made = answer(post(site, "/json/wiki/save", {"authToken": root, "createIfNotExists": True,
                                                 "payload": {"name": "Other", "content": "o\n",
                                                             "mimetype": "markdown"}}))["payload"]  # fmt: skip
    assert made["name"] == "Other" and made["size"] == 2
    saved = write("save", {"name": "Fresh", "content": "two\n"})["payload"]
    assert saved["parent"] == new["uuid"]
    page = get(site, "/json/wiki/get/Fresh")["payload"]
    assert page["uuid"] == saved["uuid"] and page["content"] == "two\n"
    assert get(site, f"/json/artifact/{made['uuid']}")["payload"]["artifact"]["name"] == "Other"
    about = write("create", {"name": "branch/feat", "content": "about feat\n"})["payload"]
    assert get(site, "/json/wiki/get/branch/feat")["payload"]["uuid"] == about["uuid"]
    diff = get(site, f"/json/wiki/diff/{new['uuid']}/{saved['uuid']}", "root")["payload"]
    assert diff == {"v1": new["uuid"], "v2": saved["uuid"], "diff": "@@ -0,0 +1,1 @@\n+two\n"}


# -- private content --------------------------------------------------------------------


def test_private_content_is_missing_without_x(tmp_path: Path) -> None:
    from tests.builders import PRIVATE_BRANCH, PRIVATE_COMMENT, build_private_repo

    priv = build_private_repo(tmp_path / "priv.fossil")
    app = make_app(AppConfig(repository=str(priv.path), backoffice=False))
    site = {"path": priv.path, "app": app, "code": priv.project_code, "tokens": {}}

    def views(who: str) -> list[Any]:
        tl = get(site, "/json/timeline/checkin?limit=0", who)["payload"]["timeline"]
        return [
            PRIVATE_COMMENT in [c["comment"] for c in tl],
            PRIVATE_BRANCH in get(site, "/json/branch/list?range=all", who)["payload"]["branches"],
            PRIVATE_BRANCH in get(site, "/json/tag/list", who)["payload"]["tags"],
            "secret.txt" in [e["name"] for e in get(site, "/json/dir", who)["payload"].get("entries", [])],
            get(site, "/json/finfo?name=secret.txt", who).get("resultCode"),
            get(site, f"/json/artifact/{priv.priv}", who).get("resultCode"),
            get(site, f"/json/artifact/{priv.secret}", who).get("resultCode"),
            get(site, f"/json/diff/{priv.shared}/{priv.readme_priv}", who).get("resultCode"),
        ]

    assert views("nobody") == [False] * 4 + ["FOSSIL-3006", "FOSSIL-3006", "FOSSIL-3006", "FOSSIL-3004"]
    site["tokens"]["boss"] = answer(post(site, "/json/login", {"payload": {"name": "boss", "password": "pw"}}))[
        "payload"]["authToken"]  # fmt: skip
    assert views("boss") == [True] * 4 + [None] * 4
