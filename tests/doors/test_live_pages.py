"""Live pages through every door: /timeline and a forum thread kept open in headless chromium.

For each door (``fossilpy server``; ``server --scgi`` behind nginx; CGI
behind lighttpd) the browser opens the timeline and a forum thread, then
real ``fossil`` pushes a check-in from a clone and another user posts a
reply through the forum's form: both must appear within 3 seconds without
a reload.  A ticket page updates too, and when the server goes away the page
must say so.  The long-running doors' stream handling (the bound, a slot
freed when the client leaves, a stream past ``--max-latency``) is checked
on raw sockets, for ``server`` and for SCGI behind nginx.  Screenshots in
tests/artifacts/live/.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.builders import add_artifacts, build_web_repo
from tests.conftest import base_env, require_binary
from tests.net import free_port, serving
from tests.web.browser import chromium_page, shot

APPEAR = 3.0  # seconds within which new content must show


@dataclass
class Served:
    base: str  # URL of the repository
    repo: Path
    froot: str  # the forum thread's first post


def sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def live_repo(tmp_path: Path) -> tuple[Path, str]:
    """The web tests' repository with a forum thread, a pusher and a forum writer."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest

    path = tmp_path / "live.fossil"
    build_web_repo(path)
    for login, caps in (("dev", "ghijkmnorstuvwxz2345"), ("bob", "jor2345")):
        sql(path, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (login, login + "pw", caps))
    sql(path, "UPDATE user SET cap='gjorz2' WHERE login='nobody'")
    first = Manifest(
        type=ArtifactType.FORUM,
        date="2026-12-03T10:00:00.000",
        forum_title="Live thread",
        user="alice",
        mimetype="text/x-markdown",
        text="Is anyone there?\n",
    ).to_bytes()
    (froot,) = add_artifacts(path, [first])
    return path, froot


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return base_env(home)


@contextmanager
def door(
    kind: str,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
    fossilpy_exe: Path,
    nginx: Callable[[int], int],
    lighttpd: Callable[[Path], int],
    *extra: str,
) -> Iterator[str]:
    """Serve ``repo`` through door ``kind``; yield its base URL."""
    with ExitStack() as stack:
        if kind == "server":
            port = free_port()
            argv = [sys.executable, "-m", "fossilpy", "server", str(repo), "--port", str(port), "--localhost", *extra]
            stack.enter_context(serving(argv, port, env=env, cwd=tmp_path, log=tmp_path / "server.log"))
            yield f"http://127.0.0.1:{port}"
        elif kind == "scgi":
            port = free_port()
            argv = [
                sys.executable,
                "-m",
                "fossilpy",
                "server",
                "--scgi",
                str(repo),
                "--port",
                str(port),
                "--localhost",
                *extra,
            ]
            stack.enter_context(serving(argv, port, env=env, cwd=tmp_path, log=tmp_path / "scgi.log"))
            yield f"http://127.0.0.1:{nginx(port)}"
        else:
            docroot = tmp_path / "www"
            docroot.mkdir()
            script = docroot / "live.cgi"
            script.write_text(f"#!{fossilpy_exe}\nrepository: {repo}\nerrorlog: {tmp_path / 'cgi.log'}\n")
            script.chmod(0o755)
            yield f"http://127.0.0.1:{lighttpd(docroot)}/live.cgi"


class Poster:
    """A person using the forum's form over HTTP (not the browser under test)."""

    def __init__(self, base: str, user: str, origin: str | None = None) -> None:
        self.base = base
        self.origin = origin or "/".join(base.split("/")[:3])
        self.cookie = ""
        form = {"u": user, "p": user + "pw", "in": "Login"}
        reply = self._open("/login", form, follow=False)
        cookie = reply.headers["Set-Cookie"]  # type: ignore[attr-defined]
        assert cookie, (reply.code, re.findall(rb"<p[^>]*>[^<]*", reply.read()))  # type: ignore[attr-defined]
        self.cookie = cookie.split(";", 1)[0]

    def _open(self, path: str, form: dict[str, str] | None = None, *, follow: bool = True) -> object:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a: object, **k: object) -> None:
                return None

        opener = urllib.request.build_opener(*([] if follow else [NoRedirect()]))
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data)
        req.add_header("Origin", self.origin)
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        try:
            return opener.open(req, timeout=20)
        except urllib.error.HTTPError as exc:  # the 302 after a login or a post
            return exc

    def reply(self, fpid: str, text: str) -> None:
        page = self._open("/forumnew").read().decode()  # type: ignore[attr-defined]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf, page[:500]
        form = {
            "fpid": fpid,
            "reply": "1",
            "content": text,
            "mimetype": "text/x-markdown",
            "submit": "1",
            "csrf": csrf.group(1),
        }
        got = self._open("/forume2", form, follow=False)
        assert got.code == 302, got.read()[:500]  # type: ignore[attr-defined]


def fossil_clone(base: str, tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    """A checkout of a clone of ``base`` by the real fossil; the URL to push to."""
    exe = require_binary("fossil")
    url = base.replace("http://", "http://dev:devpw@")
    work = tmp_path / "work"
    work.mkdir()

    def run(*args: str) -> None:
        proc = subprocess.run([exe, *args], cwd=work, env=env, capture_output=True, timeout=120)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)

    run("clone", url, str(tmp_path / "clone.fossil"))
    run("settings", "autosync", "off", "-R", str(tmp_path / "clone.fossil"))
    run("open", str(tmp_path / "clone.fossil"), "--workdir", str(work))
    return work, url


def push_checkin(work: Path, url: str, env: dict[str, str], comment: str) -> None:
    exe = require_binary("fossil")
    (work / "README.md").write_text(f"# Test project\n\n{comment}\n")
    for args in (["commit", "-m", comment, "--no-warnings"], ["push", url]):
        proc = subprocess.run([exe, *args], cwd=work, env=env, capture_output=True, timeout=120)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)


@pytest.mark.parametrize("kind", ["server", "scgi", "cgi"])
def test_timeline_and_thread_update_in_place(
    kind: str,
    live_repo: tuple[Path, str],
    env: dict[str, str],
    tmp_path: Path,
    fossilpy_exe: Path,
    nginx: Callable,
    lighttpd: Callable,
) -> None:
    repo, froot = live_repo
    with ExitStack() as stack:
        base = stack.enter_context(door(kind, repo, env, tmp_path, fossilpy_exe, nginx, lighttpd))
        work, url = fossil_clone(base, tmp_path, env)
        page, problems = stack.enter_context(chromium_page(1100, 700))
        thread = page.context.browser.new_page(viewport={"width": 1100, "height": 700})
        thread.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(base + "/timeline")
        thread.goto(base + f"/forumthread/{froot[:16]}")
        for p in (page, thread):
            p.wait_for_function("() => document.querySelector('script[data-live]') !== null")
        time.sleep(1.0)  # the streams are open (EventSource connects after the load)
        comment = f"live check-in through {kind}"
        push_checkin(work, url, env, comment)
        pushed = time.monotonic()
        page.locator("table.timeline", has_text=comment).wait_for(timeout=APPEAR * 1000 + 2000)
        assert time.monotonic() - pushed < APPEAR, f"the check-in took {time.monotonic() - pushed:.1f} s"
        # the new row alone is highlighted; the heading counts it
        assert page.locator("tr.live-new").count() == 1
        assert page.locator("tr.live-new", has_text=comment).count() == 1
        assert page.inner_text("h2.timeline-desc") == "8 check-ins"
        shot(page, "live", f"{kind}-timeline")
        # Debian's /etc/nginx/scgi_params pass HTTP_HOST as $host, without the port: the
        # application's own origin is then http://127.0.0.1, and a form must come from there
        origin = "http://127.0.0.1" if kind == "scgi" else None
        Poster(base, "bob", origin).reply(froot, f"Here, through {kind}.")
        replied = time.monotonic()
        thread.locator("main.content", has_text=f"Here, through {kind}.").wait_for(timeout=APPEAR * 1000 + 2000)
        assert time.monotonic() - replied < APPEAR, f"the reply took {time.monotonic() - replied:.1f} s"
        assert "Is anyone there?" in thread.inner_text("main.content")
        shot(thread, "live", f"{kind}-thread")
        assert page.url == base + "/timeline" and thread.url.endswith(f"/forumthread/{froot[:16]}")  # no reload
        # (the test repository's XSS check-in comment holds <img src=x>, which Fossil's wiki allows: its 404)
        assert [p for p in problems if not p.endswith("/x")] == []


def test_notice_when_the_connection_drops(
    live_repo: tuple[Path, str],
    env: dict[str, str],
    tmp_path: Path,
    fossilpy_exe: Path,
    nginx: Callable,
    lighttpd: Callable,
) -> None:
    repo, _ = live_repo
    with chromium_page(1100, 500) as (page, problems):
        with door("server", repo, env, tmp_path, fossilpy_exe, nginx, lighttpd) as base:
            page.goto(base + "/timeline")
            page.wait_for_timeout(1000)
            assert page.locator(".live-notice").count() == 0
        notice = page.locator(".live-notice")
        notice.wait_for(timeout=8000)
        assert notice.inner_text() == "Live updates: connection lost, retrying\u2026"
        shot(page, "live", "connection-lost")


def _open_stream(port: int, path: str = "/events") -> tuple[socket.socket, bytes]:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return s, data


@pytest.mark.parametrize("kind", ["server", "scgi"])
def test_bound_and_max_latency(
    kind: str,
    live_repo: tuple[Path, str],
    env: dict[str, str],
    tmp_path: Path,
    fossilpy_exe: Path,
    nginx: Callable,
    lighttpd: Callable,
) -> None:
    """At most live-max-streams per process (503 + Retry-After beyond), a slot comes back when its
    client leaves, and a stream outlives --max-latency (server: the loop holds it; SCGI: it renews)."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest

    repo, _ = live_repo
    sql(repo, "REPLACE INTO config(name,value,mtime) VALUES('live-max-streams','2',0)")
    with door(kind, repo, env, tmp_path, fossilpy_exe, nginx, lighttpd, "--workers", "1", "--max-latency", "2") as base:
        port = int(base.rsplit(":", 1)[1])
        a, head_a = _open_stream(port)
        b, _ = _open_stream(port)
        assert re.match(rb"HTTP/1\.[01] 200 OK\r\n", head_a) and b"Content-Type: text/event-stream" in head_a
        c, head_c = _open_stream(port)
        assert re.match(rb"HTTP/1\.[01] 503 Service Unavailable\r\n", head_c) and b"\r\nRetry-After: 5\r\n" in head_c
        c.close()
        a.close()  # the door sees the client go and frees the slot
        deadline = time.monotonic() + 5
        while True:
            d, head_d = _open_stream(port)
            if re.match(rb"HTTP/1\.[01] 200", head_d) or time.monotonic() > deadline:
                break
            d.close()
            time.sleep(0.2)
        assert re.match(rb"HTTP/1\.[01] 200 OK", head_d)
        time.sleep(3.0)  # past --max-latency: a healthy stream is not stopped
        page = Manifest(
            type=ArtifactType.WIKI, date="2026-12-03T11:00:00.000", wiki_title="After", user="alice", text="x\n"
        ).to_bytes()
        (uuid,) = add_artifacts(repo, [page])
        got = b""
        d.settimeout(5)
        while uuid.encode() not in got:
            chunk = d.recv(4096)
            assert chunk, got
            got += chunk
        assert b"event: wiki\n" in got
        for s in (b, d):
            s.close()


def test_ticket_page_updates(
    live_repo: tuple[Path, str],
    env: dict[str, str],
    tmp_path: Path,
    fossilpy_exe: Path,
    nginx: Callable,
    lighttpd: Callable,
) -> None:
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField
    from tests.builders import TICKET_ID

    repo, _ = live_repo
    with (
        door("server", repo, env, tmp_path, fossilpy_exe, nginx, lighttpd) as base,
        chromium_page(1100, 600) as (page, problems),
    ):
        page.goto(base + f"/tktview/{TICKET_ID[:10]}")
        page.wait_for_timeout(1000)
        assert "Fixed" not in page.inner_text("main.content")
        change = Manifest(
            type=ArtifactType.TICKET,
            date="2026-12-03T12:00:00.000",
            ticket_uuid=TICKET_ID,
            user="alice",
            fields=[TicketField("status", "Fixed")],
        ).to_bytes()
        add_artifacts(repo, [change])
        changed = time.monotonic()
        page.locator("td.tktDspValue", has_text="Fixed").wait_for(timeout=APPEAR * 1000 + 2000)
        assert time.monotonic() - changed < APPEAR
        shot(page, "live", "server-ticket")
        assert page.url.endswith(f"/tktview/{TICKET_ID[:10]}") and problems == []


class FakeStream:
    """A live body as the connection loop sees it (web/eventfeed.EventStream's loop protocol)."""

    live = True

    def __init__(self, chunk: bytes, every: float) -> None:
        import threading

        self.chunk, self.every = chunk, every
        self.done = threading.Event()
        self.pending: list[bytes] = [b": hello\n\n"]
        self.lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:  # never used by the loop
        raise AssertionError("the loop must not iterate a live body")

    def attach(self, wake: Callable[[], None]) -> None:
        import threading

        def feed() -> None:
            wake()
            while not self.done.wait(self.every):
                with self.lock:
                    self.pending.append(self.chunk)
                wake()

        threading.Thread(target=feed, daemon=True).start()

    def take(self) -> bytes:
        with self.lock:
            data, self.pending = b"".join(self.pending), []
        return data

    @property
    def closed(self) -> bool:
        return self.done.is_set()

    def close(self) -> None:
        self.done.set()


def test_loop_writes_streams_and_drops_clients_that_do_not_read(inprocess: Callable[..., int]) -> None:
    streams: list[FakeStream] = []

    def app(environ: dict, start_response: Callable) -> FakeStream:
        big = environ["PATH_INFO"] == "/big"
        streams.append(FakeStream(b"x" * (65536 if big else 8) + b"\n\n", 0.01 if big else 0.05))
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return streams[-1]

    port = inprocess(app)
    s, head = _open_stream(port, "/small")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n")
    got = head
    while got.count(b"xxxxxxxx\n\n") < 5:  # chunks keep coming, written by the loop
        chunk = s.recv(4096)
        assert chunk, got
        got += chunk
    assert b": hello\n\n" in got
    s.close()  # the client leaves: the loop closes the stream
    assert streams[0].done.wait(5)
    s, head = _open_stream(port, "/big")  # a client that stops reading: dropped past STREAM_BUFFER
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    assert streams[1].done.wait(15)
    s.close()
