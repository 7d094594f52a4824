"""fossilpy.backoffice.webhooks: events queued, signed, delivered in order, retried.

A real HTTP receiver on loopback (:class:`Receiver`, also used by
tests/doors/test_webhooks.py) checks each signature with the hook's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.backoffice import journal, webhooks
from fossilpy.repo import docwrite
from fossilpy.repo.create import create_repository
from fossilpy.repo.db import Repo

SECRET = "s3cret"


class Receiver:
    """A threaded http.server on 127.0.0.1 that records signed POSTs.

    ``statuses`` is the queue of statuses to answer (200 once it is empty);
    a POST whose signature does not match ``secret`` is answered 401 and
    counted in ``bad``.
    """

    def __init__(self, secret: str = SECRET, port: int = 0) -> None:
        self.secret = secret
        self.got: list[dict[str, object]] = []
        self.headers: list[dict[str, str]] = []
        self.bad = 0
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                want = "sha256=" + hmac.new(owner.secret.encode(), body, hashlib.sha256).hexdigest()
                with owner.lock:
                    if not hmac.compare_digest(want, self.headers.get("X-Fossilpy-Signature-256") or ""):
                        owner.bad += 1
                        status = 401
                    else:
                        status = owner.statuses.pop(0) if owner.statuses else 200
                        if 200 <= status < 300:
                            owner.got.append(json.loads(body))
                            owner.headers.append(dict(self.headers.items()))
                reply = f"status {status}\n".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [str(g["event"]) for g in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _repo(tmp_path: Path) -> Repo:
    create_repository(tmp_path / "r.fossil", admin_user="root", project_name="Hooked").close()
    return Repo.open(str(tmp_path / "r.fossil"))


def _wiki(repo: Repo, title: str, text: str, *, moderate: bool = False) -> docwrite.Stored:
    m = Manifest(type=ArtifactType.WIKI, date=docwrite.now_date(), wiki_title=title, user="root", text=text)
    return docwrite.commit(repo, m, moderate=moderate)


def test_event_signed_and_delivered_once(tmp_path: Path, receiver: Receiver) -> None:
    repo = _repo(tmp_path)
    hid = webhooks.add(repo, receiver.url, SECRET, ("w",))
    # history before the hook is not sent
    assert webhooks.queue(repo) == 0
    s = _wiki(repo, "Page", "hello\n")
    assert webhooks.queue(repo) == 1
    assert webhooks.queue(repo) == 0  # the cursor moved
    assert webhooks.deliver(repo) == (1, 0)
    assert webhooks.deliver(repo) == (0, 0)
    assert receiver.bad == 0
    (got,) = receiver.got
    assert got["schema_version"] == 1
    assert got["event"] == "wiki" and got["page"] == "Page" and got["action"] == "add"
    assert got["artifact"] == s.uuid and got["user"] == "root" and got["comment"] == "Page"
    assert got["repository"] == {"name": "Hooked", "code": repo.config_get("project-code"), "url": ""}
    hdr = receiver.headers[0]
    assert hdr["X-Fossilpy-Delivery"] == got["delivery"] and hdr["X-Fossilpy-Event"] == "wiki"
    assert hdr["X-Fossilpy-Timestamp"].isascii() and int(hdr["X-Fossilpy-Timestamp"]) > 0
    (a,) = webhooks.attempts(repo, hid)
    assert (a["status"], a["error"], a["delivery"]) == (200, None, got["delivery"])
    assert a["response"] == "status 200\n"
    assert a["request"].startswith(f"POST {receiver.url}\nContent-Type: application/json\n")
    assert repo.one("SELECT count(*) FROM fx_journal") == 0


def test_events_filter_and_wrong_secret(tmp_path: Path, receiver: Receiver) -> None:
    repo = _repo(tmp_path)
    webhooks.add(repo, receiver.url, SECRET, ("t",))
    webhooks.add(repo, receiver.url, "other secret", ("w",))
    _wiki(repo, "Page", "hello\n")
    assert webhooks.queue(repo) == 1  # only the wiki hook wants it
    assert webhooks.deliver(repo) == (0, 1)  # the receiver refuses the bad signature (401)
    assert receiver.bad == 1 and receiver.got == []


def test_alerts_and_hooks_do_not_steal_each_others_events(tmp_path: Path, receiver: Receiver) -> None:
    from fossilpy.backoffice import alerts

    repo = _repo(tmp_path)
    alerts.ensure_schema(repo)
    webhooks.add(repo, receiver.url, SECRET, ("w",))
    s = _wiki(repo, "Page", "hello\n")
    assert repo.all("SELECT eventid FROM pending_alert") == [(f"w{s.rid}",)]
    webhooks.queue(repo)
    assert repo.all("SELECT eventid FROM pending_alert") == [(f"w{s.rid}",)]
    # the alerts consume their row: the hook still has its delivery
    with repo.write():
        repo.execute("DELETE FROM pending_alert")
    s2 = _wiki(repo, "Other", "x\n")
    with repo.write():
        repo.execute("DELETE FROM pending_alert")
    webhooks.queue(repo)
    assert webhooks.deliver(repo) == (2, 0)
    assert [g["artifact"] for g in receiver.got] == [s.uuid, s2.uuid]


def test_down_then_up_backs_off_keeps_order_then_delivers(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    probe = Receiver()
    port, url = probe.port, probe.url
    probe.close()  # nobody listens there now
    hid = webhooks.add(repo, url, SECRET, ("w",))
    pages = [_wiki(repo, f"P{i}", "x\n") for i in range(3)]
    assert webhooks.queue(repo) == 3
    now = int(time.time()) + 1
    assert webhooks.deliver(repo, now=now, rand=lambda: 1.0) == (0, 1)  # one refused; the rest wait
    (a,) = webhooks.attempts(repo, hid)
    assert a["status"] is None and "ConnectionRefusedError" in a["error"]
    entries = webhooks.queued(repo, hid)
    assert [e.attempts for e in entries] == [1, 0, 0]
    assert entries[0].next_try == now + 10 + 2  # 10 s, plus 25% jitter at most
    assert webhooks.deliver(repo, now=now + 5) == (0, 0)  # not due yet: nothing sent out of order
    assert webhooks.deliver(repo, now=now + 12, rand=lambda: 0.0) == (0, 1)
    assert webhooks.queued(repo, hid)[0].next_try == now + 12 + 20  # doubled
    up = Receiver(port=port)
    try:
        assert webhooks.deliver(repo, now=now + 32) == (3, 0)
        assert [g["artifact"] for g in up.got] == [p.uuid for p in pages]
    finally:
        up.close()
    assert len(webhooks.attempts(repo, hid)) == 5
    assert webhooks.queued(repo, hid) == []


def test_gives_up_after_max_attempts_then_redeliver(tmp_path: Path, receiver: Receiver) -> None:
    repo = _repo(tmp_path)
    hid = webhooks.add(repo, receiver.url, SECRET, ("w",))
    first, second = _wiki(repo, "A", "x\n"), _wiki(repo, "B", "x\n")
    webhooks.queue(repo)
    receiver.statuses = [500] * webhooks.MAX_ATTEMPTS
    t = int(time.time())
    for _ in range(webhooks.MAX_ATTEMPTS):
        t += webhooks.RETRY_MAX * 2
        webhooks.deliver(repo, now=t)
    # the first gave up after MAX_ATTEMPTS; the second went through behind it
    (failed,) = webhooks.queued(repo, hid)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", webhooks.MAX_ATTEMPTS, "HTTP 500")
    assert [g["artifact"] for g in receiver.got] == [second.uuid]
    assert webhooks.redeliver(repo, hid, failed.key) is True
    assert webhooks.deliver(repo, now=t + 1) == (1, 0)
    assert [g["artifact"] for g in receiver.got] == [second.uuid, first.uuid]
    assert receiver.got[1]["delivery"] == failed.key
    # a delivered one can be sent again too, with its id
    assert webhooks.redeliver(repo, hid, failed.key) is True
    assert webhooks.deliver(repo, now=t + 2) == (1, 0)
    assert receiver.got[2] == receiver.got[1]


def test_private_never_sent_moderated_sent_once_approved(tmp_path: Path, receiver: Receiver) -> None:
    repo = _repo(tmp_path)
    webhooks.add(repo, receiver.url, SECRET, ("w",))
    held = _wiki(repo, "Held", "x\n", moderate=True)
    rejected = _wiki(repo, "Rejected", "x\n", moderate=True)
    assert webhooks.queue(repo) == 0
    assert repo.all("SELECT objid FROM fx_webhook_held ORDER BY 1") == [(held.rid,), (rejected.rid,)]
    docwrite.approve(repo, held.rid)
    docwrite.disapprove(repo, rejected.rid)
    assert webhooks.queue(repo) == 1
    assert repo.all("SELECT objid FROM fx_webhook_held") == []
    webhooks.deliver(repo)
    assert [g["artifact"] for g in receiver.got] == [held.uuid]


def test_budget_and_remove(tmp_path: Path, receiver: Receiver) -> None:
    repo = _repo(tmp_path)
    hid = webhooks.add(repo, receiver.url, SECRET, ("w",))
    _wiki(repo, "A", "x\n")
    webhooks.queue(repo)
    assert webhooks.deliver(repo, budget=0.0) == (0, 0)  # no attempt starts after the budget
    assert webhooks.remove(repo, hid) is True
    assert repo.one("SELECT count(*) FROM fx_journal WHERE kind='webhook'") == 0
    assert webhooks.remove(repo, hid) is False


def test_parse_events_and_urls() -> None:
    assert webhooks.parse_events("") == ("ci", "w", "t", "f", "e", "g")
    assert webhooks.parse_events("w,ci") == ("ci", "w")
    with pytest.raises(ValueError, match='unknown event "x"'):
        webhooks.parse_events("ci,x")
    assert webhooks.check_url(" http://h:8/p ") == "http://h:8/p"
    for bad in ("ftp://h/", "http:///p", "http://h:99999/", "h/p"):
        with pytest.raises(ValueError):
            webhooks.check_url(bad)
    body = b'{"a":1}'
    assert webhooks.signature("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


def test_journal_entry_survives_until_acknowledged(tmp_path: Path, receiver: Receiver) -> None:
    """A send that dies (here: raises) leaves the entry in the journal, untouched."""
    repo = _repo(tmp_path)
    webhooks.add(repo, receiver.url, SECRET, ("w",))
    _wiki(repo, "A", "x\n")
    webhooks.queue(repo)

    def dying(url: str, hdrs: list[tuple[str, str]], body: bytes) -> webhooks.Reply:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        webhooks.deliver(repo, send=dying)
    (entry,) = journal.entries(repo)
    assert (entry.state, entry.attempts) == ("pending", 0)
    assert webhooks.deliver(repo) == (1, 0)


def test_slow_receiver_is_cut_off_and_the_run_keeps_its_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiver that never answers costs one READ_TIMEOUT per attempt, and no attempt
    starts once the run's budget is spent: the backoffice never outlives its lease."""
    import socket

    monkeypatch.setattr(webhooks, "READ_TIMEOUT", 0.3)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections (the kernel does), never answers
    try:
        repo = _repo(tmp_path)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        hids = [webhooks.add(repo, url, SECRET, ("w",)) for _ in range(3)]
        _wiki(repo, "A", "x\n")
        assert webhooks.queue(repo) == 3
        started = time.monotonic()
        assert webhooks.deliver(repo, budget=0.5) == (0, 2)  # the third hook waits for the next run
        assert time.monotonic() - started < 1.5
        tried = [webhooks.attempts(repo, h) for h in hids]
        assert [len(t) for t in tried] == [1, 1, 0]
        assert "TimeoutError" in tried[0][0]["error"] and 250 <= tried[0][0]["msec"] < 1000
    finally:
        silent.close()


def test_tag_and_technote_payloads(tmp_path: Path, receiver: Receiver) -> None:
    from fossilpy.artifact.manifest import TagCard

    repo = _repo(tmp_path)
    webhooks.add(repo, receiver.url, SECRET, ("g", "e", "ci"))
    initial = repo.one("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci'")
    tag = docwrite.commit(
        repo,
        Manifest(
            type=ArtifactType.CONTROL,
            date=docwrite.now_date(),
            user="root",
            tags=[TagCard("+", "release", initial, None)],
        ),
    )
    when = docwrite.now_date()
    note = docwrite.commit(
        repo,
        Manifest(
            type=ArtifactType.EVENT,
            date=when,
            event_date=when[:19],
            event_id="12" * 20,
            comment="Release note",
            user="root",
            text="body\n",
        ),
    )
    assert webhooks.queue(repo) == 2
    webhooks.deliver(repo)
    g, e = receiver.got
    assert (g["event"], g["artifact"], g["user"]) == ("tag", tag.uuid, "root")
    assert (e["event"], e["artifact"], e["technote"], e["comment"]) == (
        "technote",
        note.uuid,
        "12" * 20,
        "Release note",
    )


def test_dripping_receiver_is_cut_off_at_the_attempt_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reply dripped a byte at a time passes every READ_TIMEOUT; the attempt still
    ends at ATTEMPT_DEADLINE."""
    import socket
    import threading
    import time

    from fossilpy.backoffice import webhooks

    monkeypatch.setattr(webhooks, "ATTEMPT_DEADLINE", 0.6)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def drip() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.05)

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    try:
        started = time.monotonic()
        reply = webhooks.post(f"http://127.0.0.1:{srv.getsockname()[1]}/hook", [], b"{}")
        took = time.monotonic() - started
    finally:
        stop.set()
        srv.close()
    assert reply.status is None and reply.error is not None
    assert took < 2.0, took
