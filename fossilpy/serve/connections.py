"""The connection loop of one ``fossilpy server`` worker: all socket I/O, no threads waiting on clients.

One thread per worker process runs a :mod:`selectors` loop that accepts
connections, reads each request head and body as the bytes arrive, and
writes each reply as fast as the client takes it.  Only a *complete*
request reaches an application thread (:data:`APP_THREADS` per worker),
and an application thread never writes to a socket: it hands the finished
reply back to the loop.  A client that is slow to send or slow to read
therefore costs a file descriptor and a few kilobytes, never a thread, and
cannot keep the application from answering other clients.

Per connection (states in order)::

    HEAD   reading the request line and headers (serve/request.py syntax)
    BODY   reading CONTENT_LENGTH bytes
    APP    a complete request, queued for or running in an application thread
    REPLY  writing the reply; then shutdown(SHUT_WR) and close
    STREAM writing a live stream (``/events``) as its chunks come; see below
    DRAIN  after a reply the door made before reading the whole request:
           input is read and dropped for at most LINGER_TIME seconds, so
           closing does not reset the connection (which could destroy the
           reply before the client read it)

Limits (all per worker):

* the head must be complete :data:`HEAD_TIMEOUT` seconds after the
  connection was accepted (slowloris), else 408; a bad request line is
  answered as soon as its first line has arrived;
* the body must keep an average of :data:`MIN_RATE` bytes a second,
  counted on the bytes *received* (a declared length buys no time):
  it must be complete by ``head end + HEAD_TIMEOUT + received / MIN_RATE``
  and no read may wait longer than :data:`IDLE_TIMEOUT`, else 408;
* bodies larger than :data:`SMALL_BODY` are admitted against the worker's
  body allowance (``max_buffered`` bytes in all, held from the head until
  the reply is written); a body that does not fit gets 503 with
  ``Retry-After`` before a byte of it is read;
* at most ``max_pending`` connections at once (the file-descriptor limit
  allowing); when a new client arrives at the limit, the connection that
  has been reading its request the longest is dropped to make room, so a
  crowd of idle sockets cannot lock out clients that send promptly;
* a reply must be taken at :data:`MIN_RATE` bytes a second on average and
  with no pause over :data:`IDLE_TIMEOUT`, else the connection is dropped.

Live streams (Server-Sent Events, :mod:`fossilpy.web.eventfeed`): the
application thread does not iterate such a body.  It writes the head and
hands the stream object to the loop (``hand_over(stream)``), and returns
at once, so its budget and its thread are free after a few milliseconds.
The loop calls ``stream.attach(wake)``: the process's one hub thread polls
the repository for all streams and queues each stream's frames, then
``wake()`` puts the connection on the loop's ``streams`` queue and wakes
the loop, which sends what :meth:`take` returns.  A stream therefore costs
a socket and its queued bytes, no thread and no budget.  While STREAM the
loop also reads the socket: end of input (the client went) closes the
connection and the stream.  Limits: queued bytes the client does not take
may not pass :data:`STREAM_BUFFER`, and queued bytes may not wait longer
than :data:`IDLE_TIMEOUT`, else the connection is dropped; the stream
itself sends a heartbeat every 15 seconds, so a dead peer is noticed.
"""

from __future__ import annotations

import io
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from fossilpy.budget import RETRY_AFTER
from fossilpy.serve import gateway, request

HEAD_TIMEOUT = 30.0
IDLE_TIMEOUT = 30.0
MIN_RATE = 16384
#: Bodies up to this size need no admission (bounded by the connection count).
SMALL_BODY = 65536
APP_THREADS = 16
#: How often the loop wakes to enforce deadlines when nothing happens.
TICK = 0.25
RECV_SIZE = 65536

#: Seconds a refused client may go on sending before its connection is closed.
LINGER_TIME = 5.0
#: Bytes of a live stream a client may leave unread before it is dropped.
STREAM_BUFFER = 1 << 20

HEAD, BODY, APP, REPLY, DRAIN, STREAM = "head", "body", "app", "reply", "drain", "stream"


class Conn:
    """One client connection and its progress through the states above."""

    __slots__ = ("sock", "addr", "state", "accepted", "deadline", "buf", "scan", "line_checked",
                 "env", "length", "chunks", "received", "body_started", "last_io", "admitted",
                 "out", "out_pos", "sent_bytes", "reply_started", "linger", "stream")

    def __init__(self, sock: socket.socket, addr: Any, now: float) -> None:
        self.sock = sock
        self.addr = addr
        self.state = HEAD
        self.accepted = now
        self.deadline = now + HEAD_TIMEOUT
        self.buf = bytearray()
        self.scan = 0  # where to resume looking for the end of the head
        self.line_checked = False
        self.env: dict[str, Any] | None = None
        self.length = 0
        self.chunks: list[bytes] = []
        self.received = 0
        self.body_started = 0.0
        self.last_io = now
        self.admitted = 0
        self.out: list[bytes] = []
        self.out_pos = 0
        self.sent_bytes = 0
        self.reply_started = 0.0
        self.linger = False
        self.stream: Any = None  # a live stream's body (STREAM)


class Collector:
    """A write-only binary stream that keeps what is written (no copies)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        if data:
            self.parts.append(bytes(data) if not isinstance(data, bytes) else data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the loop sends the parts."""


class Loop:
    """The connection loop of one worker; see the module docstring.

    All its state belongs to the loop's thread, but for the two queues
    (``jobs`` to the application threads, ``done`` back) and the wake-up
    socket pair.  ``serve(env, out, hand_over)`` runs in an application
    thread for each complete request: it writes the full reply (HTTP/1.0
    form) to ``out`` and calls ``hand_over()`` once the reply is complete,
    before any after-reply work; the loop then sends it.  For a live
    stream it calls ``hand_over(stream)`` after writing the head instead.
    """

    def __init__(self, listener: socket.socket, serve: Callable[[dict[str, Any], Collector, Callable[..., None]], None],
                 *, env_for: Callable[[Conn, list[tuple[str, str]], str, str, str], tuple[dict[str, Any], int]],
                 max_buffered: int, max_pending: int | None = None, threads: int = APP_THREADS) -> None:
        self.listener = listener
        self.serve = serve
        self.env_for = env_for
        self.max_buffered = max_buffered
        self.max_pending = max_pending or pending_limit()
        self.threads = threads
        self.buffered = 0
        self.conns: dict[int, Conn] = {}
        self.selector = selectors.DefaultSelector()
        self.jobs: queue.SimpleQueue[Conn | None] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[tuple[Conn, list[bytes], Any]] = queue.SimpleQueue()
        #: STREAM connections whose stream has queued bytes (put by the hub's thread)
        self.streams: queue.SimpleQueue[Conn] = queue.SimpleQueue()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.stopping = False

    # -- running ----------------------------------------------------------
    def run(self, stopped: Callable[[], bool]) -> None:
        """Serve until ``stopped()`` is true (checked every :data:`TICK` seconds)."""
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        workers = [threading.Thread(target=self._app_thread, daemon=True, name=f"fossilpy-app-{i}")
                   for i in range(self.threads)]
        for t in workers:
            t.start()
        try:
            while not stopped() and not self.stopping:
                try:
                    events = self.selector.select(TICK)
                except OSError:
                    if stopped():
                        return
                    raise
                now = time.monotonic()
                for key, mask in events:
                    if key.fileobj is self.listener:
                        self._accept(now)
                    elif key.fileobj is self.wake_r:
                        self._drain_wakeups()
                    else:
                        conn = key.data
                        if mask & selectors.EVENT_READ and conn.state in (HEAD, BODY):
                            self._read(conn, now)
                        elif mask & selectors.EVENT_READ and conn.state == DRAIN:
                            self._drain(conn)
                        elif conn.state == STREAM:
                            if mask & selectors.EVENT_READ:
                                self._drain(conn)
                            if mask & selectors.EVENT_WRITE and conn.state == STREAM:
                                self._write(conn, now)
                        elif mask & selectors.EVENT_WRITE and conn.state == REPLY:
                            self._write(conn, now)
                self._take_replies(now)
                self._enforce_deadlines(time.monotonic())
        finally:
            for _ in workers:
                self.jobs.put(None)
            for conn in list(self.conns.values()):
                self._close(conn)
            try:
                self.selector.unregister(self.listener)
            except (KeyError, ValueError, OSError):
                pass
            self.selector.close()
            self.wake_r.close()
            self.wake_w.close()

    def stop(self) -> None:
        """Ask the loop to end (from any thread)."""
        self.stopping = True
        self._wake()

    # -- accepting --------------------------------------------------------
    def _accept(self, now: float) -> None:
        for _ in range(64):
            try:
                sock, addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # EMFILE, ECONNABORTED, a closed listener...
                if len(self.conns) and self._evict_oldest():
                    continue
                return
            if len(self.conns) >= self.max_pending and not self._evict_oldest():
                sock.close()  # everything is in the application or replying: the kernel queue waits
                continue
            sock.setblocking(False)
            conn = Conn(sock, addr, now)
            self.conns[sock.fileno()] = conn
            self.selector.register(sock, selectors.EVENT_READ, conn)

    def _evict_oldest(self) -> bool:
        """Drop the connection that has waited longest for its head (else for its body); False if none."""
        waiting = [c for c in self.conns.values() if c.state in (HEAD, BODY)]
        if not waiting:
            return False
        self._close(min(waiting, key=lambda c: (c.state == BODY, c.accepted)))
        return True

    # -- reading ----------------------------------------------------------
    def _read(self, conn: Conn, now: float) -> None:
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)  # the client left before sending a whole request
            return
        conn.last_io = now
        if conn.state == HEAD:
            conn.buf += data
            self._head_progress(conn, now)
        else:
            self._body_bytes(conn, data, now)

    def _head_progress(self, conn: Conn, now: float) -> None:
        buf = conn.buf
        if not conn.line_checked:
            eol = buf.find(b"\n")
            if eol < 0:
                if len(buf) > request.MAX_LINE:
                    self._refuse(conn, 414, "request line too long")
                return
            try:
                request.parse_request_line(bytes(buf[:eol]).decode("latin-1").rstrip("\r\n"))
            except request.BadRequest as exc:
                self._refuse(conn, exc.status, exc.message)
                return
            conn.line_checked = True
        start = max(0, conn.scan - 2)
        end = _head_end(buf, start)
        if end < 0:
            conn.scan = len(buf)
            if len(buf) > request.MAX_LINE + request.MAX_HEAD:
                self._refuse(conn, 431, "request head too large")
            return
        head, rest = bytes(buf[:end]), bytes(buf[end:])
        conn.buf = bytearray()
        try:
            reader = io.BytesIO(head)
            line = request.read_request_line(reader)
            assert line is not None
            method, target, protocol = request.parse_request_line(line)
            headers = request.read_headers(reader)
            env, length = self.env_for(conn, headers, method, target, protocol)
        except request.BadRequest as exc:
            self._refuse(conn, exc.status, exc.message)
            return
        except request.ClientGone:
            self._refuse(conn, 400, "malformed request head")
            return
        conn.env = env
        conn.length = length
        if length > SMALL_BODY:
            if self.buffered + length > self.max_buffered:
                self._refuse(conn, 503, "the server is busy receiving other uploads; try again",
                             retry_after=True)
                return
            self.buffered += length
            conn.admitted = length
        conn.state = BODY
        conn.body_started = now
        conn.deadline = now + HEAD_TIMEOUT
        if rest or not length:
            self._body_bytes(conn, rest, now)

    def _body_bytes(self, conn: Conn, data: bytes, now: float) -> None:
        if data:
            take = data[: conn.length - conn.received]
            conn.chunks.append(take)
            conn.received += len(take)
            conn.deadline = conn.body_started + HEAD_TIMEOUT + conn.received / MIN_RATE
        if conn.received < conn.length:
            return
        body = b"".join(conn.chunks) if len(conn.chunks) != 1 else conn.chunks[0]
        conn.chunks = []
        assert conn.env is not None
        conn.env["wsgi.input"] = io.BytesIO(body)
        conn.state = APP
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        self.jobs.put(conn)

    # -- the application threads -------------------------------------------
    def _app_thread(self) -> None:
        while True:
            conn = self.jobs.get()
            if conn is None:
                return
            out = Collector()
            hand_over = self._hand_over_once(conn, out)
            try:
                assert conn.env is not None
                self.serve(conn.env, out, hand_over)
            except BaseException:  # noqa: BLE001 - serve() reports its own errors; the reply must still go
                gateway.log_exception(conn.env or {})
            finally:
                hand_over()
                conn.env = None

    def _hand_over_once(self, conn: Conn, out: Collector) -> Callable[..., None]:
        """Queues ``out`` as the reply of ``conn`` the first time it is called (by
        the app when its body is complete, or after it returned), never twice;
        ``hand_over(stream)``: ``out`` is the head of a live stream to feed."""
        handed = False

        def hand_over(stream: Any = None) -> None:
            nonlocal handed
            if not handed:
                handed = True
                self._reply_ready(conn, out.parts, stream)
            elif stream is not None:
                stream.close()

        return hand_over

    def _reply_ready(self, conn: Conn, parts: list[bytes], stream: Any = None) -> None:
        self.done.put((conn, parts, stream))
        self._wake()

    def _wake(self) -> None:
        try:
            self.wake_w.send(b"\0")
        except OSError:
            pass  # the pipe is full (a wake-up is pending anyway) or closed (stopping)

    def _drain_wakeups(self) -> None:
        try:
            while self.wake_r.recv(4096):
                pass
        except OSError:
            pass  # nothing more to drain (EAGAIN)

    def _take_replies(self, now: float) -> None:
        while True:
            try:
                conn, parts, stream = self.done.get_nowait()
            except queue.Empty:
                break
            self._start_reply(conn, parts, now, stream)
        while True:
            try:
                conn = self.streams.get_nowait()
            except queue.Empty:
                return
            if conn.state == STREAM and conn.stream is not None:
                data = conn.stream.take()
                if data:
                    conn.out.append(data)
                    if sum(len(p) for p in conn.out) - conn.out_pos > STREAM_BUFFER:
                        self._close(conn)  # the client does not read
                        continue
                    self._write(conn, now)

    def _stream_waker(self, conn: Conn) -> Callable[[], None]:
        def wake() -> None:  # any thread
            self.streams.put(conn)
            self._wake()

        return wake

    # -- writing ------------------------------------------------------------
    def _start_reply(self, conn: Conn, parts: list[bytes], now: float, stream: Any = None) -> None:
        conn.state = REPLY if stream is None else STREAM
        conn.stream = stream
        conn.out = [p for p in parts if p]
        conn.out_pos = 0
        conn.reply_started = now
        conn.last_io = now
        conn.deadline = now + HEAD_TIMEOUT
        if conn.sock.fileno() < 0:
            self._close(conn)
            return
        try:
            self.selector.register(conn.sock, selectors.EVENT_WRITE, conn)
        except KeyError:
            self.selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
        if stream is not None:
            stream.attach(self._stream_waker(conn))
        self._write(conn, now)

    def _write(self, conn: Conn, now: float) -> None:
        while conn.out:
            first = conn.out[0]
            try:
                n = conn.sock.send(memoryview(first)[conn.out_pos:])
            except (BlockingIOError, InterruptedError):
                if conn.state == STREAM:  # the client's window is full: wait until it reads
                    try:
                        self.selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)
                    except (KeyError, ValueError):
                        self._close(conn)
                return
            except OSError:
                self._close(conn)
                return
            conn.last_io = now
            conn.sent_bytes += n
            conn.deadline = conn.reply_started + HEAD_TIMEOUT + conn.sent_bytes / MIN_RATE
            conn.out_pos += n
            if conn.out_pos >= len(first):
                conn.out.pop(0)
                conn.out_pos = 0
        if conn.state == STREAM:
            if conn.stream is None or conn.stream.closed:
                self._finish(conn)
                return
            try:  # all sent: wait for more (the hub wakes us) or for the client to leave
                self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
            except (KeyError, ValueError):
                self._close(conn)
            return
        self._finish(conn)

    def _finish(self, conn: Conn) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)  # the client already went
            return
        if not conn.linger:
            self._close(conn)
            return
        conn.state = DRAIN
        conn.deadline = time.monotonic() + LINGER_TIME
        try:
            self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
        except (KeyError, ValueError):
            self._close(conn)

    def _drain(self, conn: Conn) -> None:
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)

    def _refuse(self, conn: Conn, status: int, message: str, *, retry_after: bool = False) -> None:
        """Answer a request the door rejects itself (through the loop, like any reply)."""
        out = io.BytesIO()
        gateway.write_error(out, status, message, full_http=True,
                            retry_after=RETRY_AFTER if retry_after else None)
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.linger = conn.state == HEAD or conn.received < conn.length
        self._release(conn)
        self._start_reply(conn, [out.getvalue()], time.monotonic())

    # -- time limits ----------------------------------------------------------
    def _enforce_deadlines(self, now: float) -> None:
        for conn in list(self.conns.values()):
            if conn.state in (HEAD, BODY):
                if now > conn.deadline or now - conn.last_io > IDLE_TIMEOUT:
                    self._refuse(conn, 408, "request not received in time")
            elif conn.state == REPLY:
                if now > conn.deadline or now - conn.last_io > IDLE_TIMEOUT:
                    self._close(conn)
            elif conn.state == DRAIN and now > conn.deadline:
                self._close(conn)
            elif conn.state == STREAM and conn.out and now - conn.last_io > IDLE_TIMEOUT:
                self._close(conn)  # queued bytes the client does not take

    # -- closing -----------------------------------------------------------
    def _release(self, conn: Conn) -> None:
        if conn.admitted:
            self.buffered -= conn.admitted
            conn.admitted = 0
        conn.chunks = []
        conn.buf = bytearray()

    def _close(self, conn: Conn) -> None:
        self._release(conn)
        fd = conn.sock.fileno()
        if fd >= 0:
            try:
                self.selector.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
            self.conns.pop(fd, None)
        else:
            for key, value in list(self.conns.items()):
                if value is conn:
                    del self.conns[key]
        conn.out = []
        if conn.stream is not None:
            stream, conn.stream = conn.stream, None
            stream.close()
        try:
            conn.sock.close()
        except OSError:
            pass  # already closed


def _head_end(buf: bytearray, start: int) -> int:
    """Index just past the blank line ending a request head in ``buf``, or -1."""
    lf = buf.find(b"\n\n", start)
    crlf = buf.find(b"\n\r\n", start)
    ends = []
    if lf >= 0:
        ends.append(lf + 2)
    if crlf >= 0:
        ends.append(crlf + 3)
    return min(ends) if ends else -1


def pending_limit() -> int:
    """Connections a worker keeps at once: most of the file-descriptor limit (raised to its hard cap)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and soft < hard:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                soft = hard
            except (ValueError, OSError):
                pass  # keep the soft limit we have
        limit = soft if soft != resource.RLIM_INFINITY else 65536
    except ImportError:  # not on POSIX
        limit = 1024
    return max(64, min(limit - 64, 16384))
