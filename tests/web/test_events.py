"""/events (web/pages/events.py, web/eventfeed.py): the stream's bytes, resume, who sees what, the bound.

The app is called in-process and its reply iterated as a blocking WSGI
server would (one poll per second); the doors' own streaming is tested in
tests/doors/test_live_pages.py.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fossilpy import budget
from fossilpy.web import eventfeed
from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import call, environ

PREAMBLE = b"retry: 2000\n: fossilpy live events\n\n"
CGI_PREAMBLE = b"retry: 1500\n: fossilpy live events\n\n"


def sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def site(repo_copy: Path) -> Iterator[Site]:
    for login, caps in (
        ("coder", "o"),
        ("wikier", "j"),
        ("tkter", "r"),
        ("forumer", "2"),
        ("seer", "ojr2x"),
        ("chatter", "C"),
    ):
        sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (login, login + "pw", caps))
    sql(repo_copy, "UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    # streams of other tests' in-process servers (browser tests) may still be
    # winding down in this process: count only this test's
    before = eventfeed.open_streams()
    made = Site(repo_copy)
    made.streams_before = before
    yield made
    made.close()
    assert eventfeed.open_streams() <= before


class Site:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.app = make_app(AppConfig(repository=str(path), backoffice=False))
        self.cookies: dict[str, dict[str, str]] = {}
        self.open: list[Any] = []
        self.streams_before = 0

    def login(self, user: str) -> dict[str, str]:
        if user not in self.cookies:
            r = call(self.app, "/login", form={"u": user, "p": user + "pw"})
            assert r.status == 302, r.text
            ((name, value),) = r.cookies().items()
            self.cookies[user] = {name: value.replace("/", "%2F")}
        return self.cookies[user]

    def stream(self, user: str | None, path: str = "/events", **kw: Any) -> tuple[str, dict[str, str], Any]:
        """(status, headers, body iterable) of a GET of ``path``."""
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, dict(headers)
            return lambda data: None

        env = environ(path, cookies=self.login(user) if user else None, **kw)
        body = self.app(env, start_response)
        self.open.append(body)
        return seen["status"], seen["headers"], body

    def close(self) -> None:
        for body in self.open:
            getattr(body, "close", lambda: None)()


def frames(data: bytes) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, event, payload) of every frame in ``data`` (comments skipped)."""
    out = []
    for block in data.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if "event" in fields:
            out.append((fields["id"], fields["event"], json.loads(fields["data"])))
    return out


def test_stream_bytes_and_backlog(site: Site) -> None:
    status, headers, body = site.stream("seer", "/events?since=0")
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert headers["X-Accel-Buffering"] == "no" and headers["Cache-control"] == "no-cache"
    assert "Content-Length" not in headers
    it = iter(body)
    assert next(it) == PREAMBLE
    data = next(it)
    uuid, mtime = sql(
        site.path, "SELECT uuid, strftime('%Y-%m-%dT%H:%M:%f', mtime) FROM blob JOIN event ON objid=rid WHERE rid=1"
    )[0]
    assert data.startswith(
        b'id: 1\nevent: checkin\ndata: {"objid":1,"type":"ci","uuid":"'
        + uuid.encode()
        + b'","mtime":"'
        + mtime.encode()
        + b'Z","user":"root","comment":"initial empty check-in"}\n\n'
    )
    got = frames(data)
    want = sql(site.path, "SELECT objid, type FROM event ORDER BY objid")
    assert [(int(i), e) for i, e, _ in got] == [(o, eventfeed.EVENT_NAMES[t]) for o, t in want]
    by_type = {e: p for _, e, p in got}
    assert by_type["wiki"]["wiki"] == "MdPage"
    assert by_type["ticket"]["ticket"] == "172a86b7513b2154e5ec1addb6a356b6fe8fc687"
    assert by_type["technote"]["technote"] == "1c4e62c9b389d57c5fe8ca781323298aafa4a34b"


def test_resume_from_last_event_id_and_since(site: Site) -> None:
    _, _, body = site.stream("seer", "/events", headers={"Last-Event-ID": "13"})
    it = iter(body)
    next(it)
    assert [i for i, _, _ in frames(next(it))] == ["14", "15", "16", "17"]
    _, _, body = site.stream("seer", "/events?since=15")
    it = iter(body)
    next(it)
    assert [i for i, _, _ in frames(next(it))] == ["16", "17"]
    # the header (a reconnection) wins over since= (the first connection's URL)
    _, _, body = site.stream("seer", "/events?since=1", headers={"Last-Event-ID": "16"})
    it = iter(body)
    next(it)
    assert [i for i, _, _ in frames(next(it))] == ["17"]
    r = call(site.app, "/events?since=12x", cookies=site.login("seer"))
    assert r.status == 400 and "since= must be OBJID or OBJID:MSGID" in r.text


def test_new_events_arrive_and_heartbeats(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from tests.builders import add_artifacts

    monkeypatch.setattr(eventfeed, "HEARTBEAT", 1.5)
    _, _, body = site.stream("seer", "/events")  # from now
    it = iter(body)
    assert next(it) == PREAMBLE
    page = Manifest(
        type=ArtifactType.WIKI, date="2026-12-03T10:00:00.000", wiki_title="Live", user="alice", text="hello\n"
    ).to_bytes()
    started = time.monotonic()
    (uuid,) = add_artifacts(site.path, [page])
    got = frames(next(it))
    assert time.monotonic() - started < 2.5
    assert [(e, p["uuid"], p["wiki"], p["user"]) for _, e, p in got] == [("wiki", uuid, "Live", "alice")]
    assert next(it) == b": keepalive\n\n"  # nothing for HEARTBEAT seconds


def test_who_sees_what(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventfeed, "HEARTBEAT", 1.0)  # a reader who sees nothing gets this soon
    sql(site.path, "INSERT INTO private(rid) VALUES(12)")  # "trunk work" made private
    sql(site.path, "INSERT INTO tagxref(tagid,tagtype,srcid,origid,value,mtime,rid) VALUES(5,1,0,10,NULL,0,10)")

    def seen(user: str | None) -> list[tuple[str, str]]:
        _, _, body = site.stream(user, "/events?since=0")
        it = iter(body)
        next(it)
        return [(i, e) for i, e, _ in frames(next(it))]

    assert seen("coder") == [("1", "checkin"), ("5", "checkin"), ("7", "checkin"), ("8", "checkin"), ("13", "checkin")]
    assert seen("wikier") == [("14", "wiki"), ("15", "wiki"), ("17", "technote")]
    assert seen("tkter") == [("16", "ticket")]
    assert seen("seer")[3:5] == [("8", "checkin"), ("12", "checkin")]  # x: the private one; hidden 10 never
    assert seen("chatter") == []  # C alone: no event rows, chat only
    r = call(site.app, "/events")  # a visitor who may read nothing at all is sent to log in
    assert r.status == 302 and r.header("Location") == "http://localhost:8080/login?g=events"


def test_forum_posts_need_2_and_carry_the_thread(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventfeed, "HEARTBEAT", 1.0)
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from tests.builders import add_artifacts

    first = Manifest(
        type=ArtifactType.FORUM,
        date="2026-12-03T10:00:00.000",
        forum_title="Hi",
        user="alice",
        mimetype="text/x-markdown",
        text="first\n",
    ).to_bytes()
    (root,) = add_artifacts(site.path, [first])
    reply = Manifest(
        type=ArtifactType.FORUM,
        date="2026-12-03T10:01:00.000",
        thread_root=root,
        reply_to=root,
        user="alice",
        mimetype="text/x-markdown",
        text="second\n",
    ).to_bytes()
    (second,) = add_artifacts(site.path, [reply])
    for user, want in (("forumer", [root, second]), ("coder", [])):
        _, _, body = site.stream(user, "/events?since=17")
        it = iter(body)
        next(it)
        got = frames(next(it))
        assert [p["uuid"] for _, _, p in got] == want
        assert all(e == "forum" and p["froot"] == root for _, e, p in got)


def test_chat_messages_for_C(site: Site) -> None:
    from fossilpy.repo import chat
    from fossilpy.repo.db import Repo

    _, _, body = site.stream("chatter", "/events")
    it = iter(body)
    next(it)
    with Repo.open(str(site.path)) as repo:
        msgid = chat.send(repo, "chatter", "hello *there*", None)
    got = frames(next(it))
    assert [(i, e) for i, e, _ in got] == [(f"17:{msgid}", "chat")]
    assert got[0][2]["msgid"] == msgid and got[0][2]["xfrom"] == "chatter"
    with Repo.open(str(site.path)) as repo:
        later = chat.send(repo, "chatter", "again", None)
    # /chat's script starts after the message it has (chat=); a reconnection's id wins over it
    _, _, body = site.stream("chatter", f"/events?chat={msgid}")
    it = iter(body)
    next(it)
    assert [(i, p["xmsg"]) for i, _, p in frames(next(it))] == [
        (f"17:{later}", '<div class="markdown">\n\n<p>again</p>\n\n</div>\n')
    ]
    _, _, body = site.stream("chatter", "/events?chat=0", headers={"Last-Event-ID": f"17:{msgid}"})
    it = iter(body)
    next(it)
    assert [i for i, _, _ in frames(next(it))] == [f"17:{later}"]
    assert call(site.app, "/events?chat=x", cookies=site.login("chatter")).status == 400
    # a reader without C gets no chat frames (and an id without the chat part)
    _, _, body = site.stream("seer", "/events?since=16")
    it = iter(body)
    next(it)
    assert [(i, e) for i, e, _ in frames(next(it))] == [("17", "technote")]


def test_bound_per_process(site: Site) -> None:
    base = site.streams_before  # the bound counts every stream of the process
    bound = base + 2
    sql(site.path, "REPLACE INTO config(name,value,mtime) VALUES('live-max-streams',?,0)", (str(bound),))
    bodies = [site.stream("seer")[2] for _ in range(2)]
    running = [iter(b) for b in bodies]
    for it in running:
        next(it)
    assert eventfeed.open_streams() == bound
    r = call(site.app, "/events", cookies=site.login("seer"))
    assert r.status == 503 and r.header("Retry-After") == str(budget.RETRY_AFTER)
    assert f"too many live streams are open ({bound})" in r.text
    bodies[0].close()
    assert eventfeed.open_streams() == bound - 1
    status, _, _ = site.stream("seer")
    assert status == "200 OK"


def test_cgi_streams_end(site: Site) -> None:
    # budget 6 s: the stream lives 3 s; with events it ends a moment after sending them
    extra = {"fossilpy.door": "cgi", "wsgi.run_once": True, "fossilpy.budget": budget.Budget(6.0)}
    _, _, body = site.stream("seer", "/events", extra=dict(extra))
    started = time.monotonic()
    chunks = list(body)
    assert chunks == [CGI_PREAMBLE] and 2.9 < time.monotonic() - started < 4.5
    extra["fossilpy.budget"] = budget.Budget(60.0)
    _, _, body = site.stream("seer", "/events?since=15", extra=extra)
    started = time.monotonic()
    chunks = list(body)
    assert [i for i, _, _ in frames(b"".join(chunks))] == ["16", "17"]
    assert time.monotonic() - started < 1.5


def test_healthy_stream_outlives_its_budget(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventfeed, "HEARTBEAT", 0.5)
    limits = budget.Budget(1.0)
    _, _, body = site.stream("seer", "/events", extra={"fossilpy.budget": limits})
    it = iter(body)
    next(it)
    started = time.monotonic()
    with budget.use(limits):  # as a door's thread has it current
        while time.monotonic() - started < 3.0:
            assert next(it) == b": keepalive\n\n"
    assert not limits.spent()


def test_live_js_and_page_hooks(site: Site) -> None:
    r = call(site.app, "/live.js")
    assert r.status == 200 and r.header("Content-Type") == "text/javascript; charset=utf-8"
    assert r.body == (Path(__file__).parents[2] / "www/static/live.js").read_bytes()
    r = call(site.app, "/timeline", cookies=site.login("seer"))
    assert '<script src="/live.js" defer data-live="timeline" data-top="" data-since="17"></script>' in r.text
    assert "script-src 'self'" in (r.header("Content-Security-Policy") or "")
    r = call(site.app, "/tktview/172a86b751", cookies=site.login("seer"))
    assert (
        'data-live="ticket" data-top="" data-since="17" data-ticket="172a86b7513b2154e5ec1addb6a356b6fe8fc687"'
        in r.text
    )
    r = call(site.app, "/events", method="HEAD", cookies=site.login("seer"))
    assert r.status == 200 and r.body == b"" and eventfeed.open_streams() <= site.streams_before


def test_cursor_syntax() -> None:
    assert eventfeed.parse_cursor("12") == (12, 0)
    assert eventfeed.parse_cursor(" 12:7 ") == (12, 7)
    for bad in ("", "x", "12:", "1:2:3", "-1", "²", "1" * 19):
        assert eventfeed.parse_cursor(bad) is None, bad


def test_hub_serves_a_laggard_and_the_others_in_one_poll(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from fossilpy.repo.db import Repo

    monkeypatch.setattr(eventfeed, "BATCH", 5)
    reader = eventfeed.Reader("ojr2")
    behind = eventfeed.EventStream(str(site.path), reader, 0, 0)
    ahead = eventfeed.EventStream(str(site.path), reader, 16, 0)
    for s in (behind, ahead):
        s.take()  # the preamble
    with Repo.open(str(site.path), readonly=True) as repo:
        eventfeed.Hub()._feed(repo, [ahead, behind])
    assert [i for i, _, _ in frames(behind.take())] == ["1", "5", "7", "8", "10"]  # one batch
    assert [i for i, _, _ in frames(ahead.take())] == ["17"]  # not held back by the laggard
    assert (behind.cursor, ahead.cursor) == (10, 17)
