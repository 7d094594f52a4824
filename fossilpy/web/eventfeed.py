"""The live event feed behind ``/events``: repository rows become Server-Sent Events.

No broker: the repository is the event log.  A stream polls the ``event``
table (every check-in, wiki edit, ticket change, forum post, technote and
tag change has one row there, made by the crosslink step in the same
transaction that stored the artifact) and, when the ``chat`` table exists
and the reader has ``C``, Fossil's chat messages (``fossilpy.repo.chat``).

**Cursor.**  ``event.objid`` is the rid of the artifact, the table's
INTEGER PRIMARY KEY: SQLite hands out rids in increasing order as artifacts
arrive, whatever their own timestamps say (``event.mtime`` is the time the
author wrote down, often in the past for a pushed check-in), so "rows with
``objid`` > N" is exactly "what arrived after row N", read by a range scan
of the primary key.  The SSE ``id:`` of a frame is that cursor::

    id     = OBJID [ ":" MSGID ]     MSGID (chat.msgid) only for readers who get chat

Known limit: an artifact first known as a phantom (its rid reserved by a
cluster or a reference before its content came, in an earlier
transaction) or crosslinked late keeps its older rid; if a stream already
passed that rid, it does not see the event.  Approving a held forum post
publishes an existing rid: not an event either.

**Wire format** (``text/event-stream``, WHATWG HTML "Server-sent events")::

    retry: MS                        once, first: the reconnection delay
    : fossilpy live events           comment lines: the opening, heartbeats
    id: 1234                         the cursor after this event
    event: checkin                   checkin wiki ticket forum technote tag chat
    data: {"objid":1234,...}         one line of JSON (see www/doc/live.md)
    <blank line>

**Who sees what** (the timeline's rule, ``fossilpy.web.timeline_query``):
check-ins and tag changes need ``o``, wiki and technotes ``j``, tickets
``r``, forum posts ``2``, chat ``C``; private artifacts (held forum posts
among them) need ``x`` (:mod:`fossilpy.repo.visibility`); check-ins tagged
``hidden`` are left out as the timeline leaves them out.

**Two ways to run a stream.**  A blocking WSGI server (CGI, flup's SCGI
threads, gunicorn) iterates :class:`EventStream`: it polls every
:data:`POLL` seconds with its own read-only connection (no transaction
between polls), yields frames and heartbeats, and renews its request
budget after each poll, so ``--max-latency`` ends a stuck poll but not a
healthy stream.  ``fossilpy server`` instead hands the stream to its
connection loop, which calls :meth:`EventStream.attach`: the process's one
:class:`Hub` thread then polls each repository once per :data:`POLL` for
all its streams and queues their frames; the loop writes them.  Either
way at most ``live-max-streams`` streams are open per process
(:func:`acquire_slot`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from fossilpy.web.request import Response

#: Seconds between two looks at the repository.
POLL = 1.0
#: Seconds of silence after which a comment line is sent.
HEARTBEAT = 15.0
#: Most events read in one poll (a long backlog comes over several polls).
BATCH = 100
#: Reconnection delay the browser is told (``retry:``), milliseconds.
RETRY_MS = 2000
#: Longest life of a stream under CGI, seconds (fewer when the CGI budget is lower).
CGI_LIFETIME = 25.0
#: Seconds a CGI stream goes on after it sent events (a buffering web server
#: then passes them on when the reply ends).
CGI_LINGER = 0.15
#: Seconds between polls of a CGI stream (it lives a short while: look more often).
CGI_POLL = 0.5
#: Reconnection delay of a CGI stream, milliseconds: the page's own refresh
#: (another CGI process) goes first.
CGI_RETRY_MS = 1500

#: event.type -> SSE event name
EVENT_NAMES = {"ci": "checkin", "w": "wiki", "t": "ticket", "f": "forum", "e": "technote", "g": "tag"}
#: event.type -> capability letter needed to see it
NEEDS = {"ci": "o", "g": "o", "w": "j", "e": "j", "t": "r", "f": "2"}
#: tag.tagname prefix -> payload key naming the object the event is about
_TAG_KEYS = (("tkt-", "ticket"), ("wiki-", "wiki"), ("event-", "technote"))

_ROWS = (
    "SELECT event.objid, event.type, event.mtime, coalesce(event.euser,event.user,''),"
    " coalesce(event.ecomment,event.comment,''), blob.uuid, tag.tagname,"
    " event.objid IN private,"
    " EXISTS(SELECT 1 FROM tagxref WHERE tagxref.tagid=5 AND tagxref.tagtype>0 AND tagxref.rid=event.objid)"
    " {froot}"
    " FROM event JOIN blob ON blob.rid=event.objid LEFT JOIN tag ON tag.tagid=event.tagid"
    " WHERE event.objid>? ORDER BY event.objid LIMIT ?"
)
_FROOT = ", (SELECT r.uuid FROM forumpost JOIN blob AS r ON r.rid=forumpost.froot WHERE forumpost.fpid=event.objid)"


class Row:
    """One event row as the feed reads it (before the reader's filter)."""

    __slots__ = ("objid", "type", "private", "hidden", "payload")

    def __init__(self, objid: int, etype: str, private: bool, hidden: bool, payload: dict[str, Any]) -> None:
        self.objid = objid
        self.type = etype
        self.private = private
        self.hidden = hidden
        self.payload = payload


def iso_time(jd: float) -> str:
    """A Julian day as ``YYYY-MM-DDTHH:MM:SS.SSSZ`` (UTC)."""
    ms = round((float(jd) - 2440587.5) * 86400000.0)
    secs, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:03d}Z"


def latest(repo: Any) -> int:
    """The cursor of "now": the newest event's objid (0 for none)."""
    return int(repo.one("SELECT max(objid) FROM event", (), 0) or 0)


def read_rows(repo: Any, after: int, limit: int = 0) -> list[Row]:
    """Event rows with ``objid > after``, oldest first, at most ``limit`` (0: :data:`BATCH`)."""
    limit = limit or BATCH
    froot = _FROOT if repo.table_exists("forumpost") else ""
    out = []
    for objid, etype, mtime, user, comment, uuid, tagname, private, hidden, *rest in repo.all(
        _ROWS.replace("{froot}", froot), (after, limit)
    ):
        payload: dict[str, Any] = {
            "objid": objid,
            "type": etype,
            "uuid": uuid,
            "mtime": iso_time(mtime or 0),
            "user": user,
            "comment": comment,
        }
        for prefix, key in _TAG_KEYS:
            if tagname and tagname.startswith(prefix):
                payload[key] = tagname[len(prefix) :]
        if etype == "w" and "wiki" not in payload and comment[:1] in ("+", ":", "-"):
            payload["wiki"] = comment[1:]
        if etype == "f" and rest and rest[0]:
            payload["froot"] = rest[0]
        out.append(Row(int(objid), str(etype), bool(private), bool(hidden), payload))
    return out


class Reader:
    """What one reader may receive: capability letters, as the timeline decides."""

    __slots__ = ("caps", "chat")

    def __init__(self, caps: str, *, chat: bool = False) -> None:
        self.caps = caps
        #: the reader gets chat messages (``C`` and a ``chat`` table)
        self.chat = chat

    def sees(self, row: Row) -> bool:
        """True if this reader may receive ``row``."""
        need = NEEDS.get(row.type)
        if need is None or need not in self.caps:
            return False
        if row.private and "x" not in self.caps:
            return False
        return not (row.hidden and row.type == "ci")


def frame(event: str, ident: str, data: dict[str, Any]) -> bytes:
    """One SSE frame: ``id:``, ``event:`` and one ``data:`` line of JSON."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return f"id: {ident}\nevent: {event}\ndata: {text}\n\n".encode("ascii")


def parse_cursor(text: str | None) -> tuple[int, int] | None:
    """``OBJID[:MSGID]`` (a Last-Event-ID or ``since=``) as two ints; None if malformed or absent."""
    from fossilpy.text import is_digits

    if not text:
        return None
    head, sep, tail = text.strip().partition(":")
    if not is_digits(head) or len(head) > 18 or (sep and (not is_digits(tail) or len(tail) > 18)):
        return None
    return int(head), int(tail or 0)


# -- the per-process bound --------------------------------------------------


class _Slots:
    """The count of open streams in this process, under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0


_SLOTS = _Slots()


def acquire_slot(limit: int) -> bool:
    """Count one more open stream in this process, unless ``limit`` are open already."""
    with _SLOTS.lock:
        if _SLOTS.open >= limit:
            return False
        _SLOTS.open += 1
        return True


def release_slot() -> None:
    """Give back a slot taken by :func:`acquire_slot`."""
    with _SLOTS.lock:
        _SLOTS.open = max(0, _SLOTS.open - 1)


def open_streams() -> int:
    """Streams open in this process now."""
    return _SLOTS.open


# -- one stream -------------------------------------------------------------


class EventStream:
    """The body of one ``/events`` reply; see the module docstring for the two modes.

    ``cursor``/``msgid`` are where the reader is; ``lifetime`` (seconds, 0:
    none) ends the stream (CGI); ``end_after_events`` ends it shortly after
    the first events (CGI, for web servers that buffer a CGI's reply).
    """

    live = True  # the doors' mark: flush after every chunk, or hand to the connection loop

    def __init__(
        self,
        path: str,
        reader: Reader,
        cursor: int,
        msgid: int,
        *,
        retry_ms: int = RETRY_MS,
        lifetime: float = 0.0,
        end_after_events: bool = False,
        top: str = "",
        peer_gone: Callable[[], bool] | None = None,
    ) -> None:
        self.path = path
        self.top = top
        #: the door's check that the client left (blocking mode; SCGI), asked once a poll
        self.peer_gone = peer_gone
        self.reader = reader
        self.cursor = cursor
        self.msgid = msgid
        self.retry_ms = retry_ms
        self.lifetime = lifetime
        self.end_after_events = end_after_events
        self.started = time.monotonic()
        self.last_sent = self.started
        self.closed = False
        self.finished = False
        self._lock = threading.Lock()
        self._pending: list[bytes] = [self.preamble()]
        self._wake: Callable[[], None] | None = None

    def preamble(self) -> bytes:
        """The first bytes: the reconnection delay and an opening comment."""
        return f"retry: {self.retry_ms}\n: fossilpy live events\n\n".encode("ascii")

    def ident(self) -> str:
        """The SSE id of the reader's current position."""
        return f"{self.cursor}:{self.msgid}" if self.reader.chat else str(self.cursor)

    def offer(self, rows: list[Row], chats: list[dict[str, Any]], now: float) -> bytes:
        """Frames for what this reader has not had of ``rows``/``chats`` (advancing the cursor);
        a heartbeat when nothing was sent for :data:`HEARTBEAT` seconds; else b""."""
        out = []
        for row in rows:
            if row.objid <= self.cursor:
                continue
            self.cursor = row.objid
            if self.reader.sees(row):
                out.append(frame(EVENT_NAMES[row.type], self.ident(), row.payload))
        if self.reader.chat:
            for msg in chats:
                msgid = int(msg.get("msgid") or 0)
                if msgid > self.msgid:
                    self.msgid = msgid
                    out.append(frame("chat", self.ident(), msg))
        if not out and now - self.last_sent >= HEARTBEAT:
            out.append(b": keepalive\n\n")
        if out:
            self.last_sent = now
        return b"".join(out)

    def poll(self, repo: Any, now: float) -> bytes:
        """Read what is new for this stream alone (the blocking mode)."""
        rows = read_rows(repo, self.cursor)
        chats = read_chat(repo, self.msgid, self.top) if self.reader.chat else []
        return self.offer(rows, chats, now)

    # -- blocking mode: a WSGI server iterates ---------------------------------
    def __iter__(self) -> Iterator[bytes]:
        from fossilpy import budget
        from fossilpy.repo.db import Repo

        repo = None
        try:
            first, self._pending = b"".join(self._pending), []
            yield first
            deadline = self.started + self.lifetime if self.lifetime else 0.0
            ending = 0.0
            while not self.closed:
                now = time.monotonic()
                if (deadline and now >= deadline) or (ending and now >= ending):
                    return
                if self.peer_gone is not None and self.peer_gone():
                    return
                limits = budget.current()
                if limits is not None and not deadline:
                    limits.deadline = max(limits.deadline, now + max(limits.seconds, 2 * POLL))
                if repo is None:
                    repo = Repo.open(self.path, readonly=True)
                data = self.poll(repo, now)
                if data:
                    yield data
                    if self.end_after_events and not ending and data[:1] != b":":
                        ending = time.monotonic() + CGI_LINGER
                wait = (CGI_POLL if self.end_after_events else POLL) if not ending else CGI_LINGER
                if deadline:
                    wait = min(wait, max(0.0, deadline - time.monotonic()))
                time.sleep(wait)
        finally:
            if repo is not None:
                repo.close()
            self.close()

    # -- loop mode: the server's connection loop writes what the hub queues --------
    def attach(self, wake: Callable[[], None]) -> None:
        """Be fed by this process's :class:`Hub`; ``wake()`` (any thread) says data is waiting."""
        self._wake = wake
        HUB.add(self)
        wake()  # the preamble

    def push(self, data: bytes) -> None:
        """Queue ``data`` for the loop (the hub's thread) and wake it."""
        if not data or self.closed:
            return
        with self._lock:
            self._pending.append(data)
        if self._wake is not None:
            self._wake()

    def take(self) -> bytes:
        """Everything queued so far (the loop's thread)."""
        with self._lock:
            data, self._pending = b"".join(self._pending), []
        return data

    def close(self) -> None:
        """The reply is over (the client went, or the stream ended): free the slot."""
        if self.closed:
            return
        self.closed = True
        HUB.remove(self)
        release_slot()


def read_chat(repo: Any, msgid: int, top: str = "") -> list[dict[str, Any]]:
    """Chat messages after ``msgid`` (Fossil's chat-poll objects, deletions included), through
    ``fossilpy.repo.chat.messages_since``; none while the ``chat`` table does not exist."""
    from fossilpy.repo import chat

    if not repo.table_exists("chat"):
        return []
    return chat.messages_since(repo, msgid, BATCH, top=top)


def chat_latest(repo: Any) -> int:
    """The newest chat message's msgid (0: none, or no chat table)."""
    if not repo.table_exists("chat"):
        return 0
    return int(repo.one("SELECT max(msgid) FROM chat", (), 0) or 0)


# -- the hub: one polling thread per process for the loop's streams ---------------


class Hub:
    """Polls each repository with open streams once per :data:`POLL` and feeds them.

    Its thread starts with the first stream and ends when the last one
    closes.  Each repository gets one read-only connection, kept open
    between polls but never inside a transaction; one query per poll
    serves every stream of it (from the lowest cursor among them).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[EventStream] = set()
        self._thread: threading.Thread | None = None
        #: polls made (for tests and the benchmark)
        self.polls = 0

    def add(self, stream: EventStream) -> None:
        """Feed ``stream`` from the next poll on."""
        with self._lock:
            self._streams.add(stream)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="fossilpy-events")
                self._thread.start()

    def remove(self, stream: EventStream) -> None:
        """Stop feeding ``stream``."""
        with self._lock:
            self._streams.discard(stream)

    def _run(self) -> None:
        from fossilpy.repo.db import Repo

        repos: dict[str, Any] = {}
        try:
            while True:
                with self._lock:
                    streams = list(self._streams)
                    if not streams:
                        self._thread = None
                        return
                groups: dict[str, list[EventStream]] = {}
                for s in streams:
                    groups.setdefault(s.path, []).append(s)
                for path in list(repos):
                    if path not in groups:
                        repos.pop(path).close()
                for path, group in groups.items():
                    try:
                        repo = repos.get(path)
                        if repo is None:
                            repo = repos[path] = Repo.open(path, readonly=True)
                        self._feed(repo, group)
                    except Exception:  # noqa: BLE001 - a bad poll must not end every stream
                        from fossilpy import log

                        log.get(__name__).exception("polling %s for live events failed", path)
                        old = repos.pop(path, None)
                        if old is not None:
                            old.close()
                self.polls += 1
                time.sleep(POLL)
        finally:
            for repo in repos.values():
                repo.close()

    def _feed(self, repo: Any, group: list[EventStream]) -> None:
        """One poll for ``group`` (the streams of one repository).

        One read serves every stream; when a stream far behind (a resume
        from long ago) fills the batch, the streams past the batch's end
        get their own read in the same poll, so a laggard never delays the
        others."""
        chatters = [s for s in group if s.reader.chat]
        chats = read_chat(repo, min(s.msgid for s in chatters), chatters[0].top) if chatters else []
        now = time.monotonic()
        waiting = sorted(group, key=lambda s: s.cursor)
        while waiting:
            rows = read_rows(repo, waiting[0].cursor)
            end = rows[-1].objid if len(rows) >= BATCH else None
            served = [s for s in waiting if end is None or s.cursor < end]
            waiting = waiting[len(served) :]
            for s in served:
                s.push(s.offer(rows, chats, now))


HUB = Hub()


class StreamResponse(Response):
    """A :class:`Response` whose body is an :class:`EventStream` (the app returns it unmeasured)."""

    __slots__ = ("stream",)

    def __init__(self, stream: EventStream, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(status=200, body=b"", content_type="text/event-stream; charset=utf-8", headers=headers)
        self.stream = stream
