"""The SCGI door: ``fossilpy server --scgi`` behind nginx (or any SCGI client).

Wire format (https://python.ca/scgi/protocol.txt; Fossil 2.21
``cgi_handle_scgi_request``)::

    request  = netstring body
    netstring = LENGTH ":" headers ","        LENGTH in ASCII decimal
    headers  = *(NAME NUL VALUE NUL)          CONTENT_LENGTH comes first, SCGI "1"
    body     = CONTENT_LENGTH bytes

The reply is CGI form: ``Status: 200 OK``, headers, blank line, body; the
connection is closed after it.

Each worker process (forked as for ``server``, see
:func:`fossilpy.serve.http.run_workers`) runs flup's threaded
``flup.server.scgi.WSGIServer`` on the shared socket, with its
measured defects (flup 1.0.3, ``server/scgi_base.py``) fixed here: the netstring length is
bounded (:data:`MAX_SCGI_HEAD`, 431 beyond), the body is read in full,
bounded by ``max_body`` (413), into a bytes ``wsgi.input`` (flup hands out
the raw socket file, whose ``read()`` waits for the peer to close, or a
*str* StringIO for an empty body), the whole request must arrive by a
deadline that grows only with the bytes received (as in
:mod:`fossilpy.serve.connections`), so a stalled or trickling peer cannot
pin a thread, bodies over 64 KiB are admitted against the worker's body
allowance (503 with ``Retry-After`` beyond it), ``debug`` is forced off
(flup's debug page imports ``cgitb`` and shows tracebacks), and no
``signal.alarm`` is used.  Each request runs under a time and memory
budget watched by the worker's :class:`~fossilpy.serve.watchdog.Watchdog`.
(The front server normally buffers whole requests before it passes them
on, as nginx does by default, so slow clients meet it, not this door.)
SCRIPT_NAME/PATH_INFO are completed as for CGI (nginx sends REQUEST_URI
and, optionally, SCRIPT_NAME; no PATH_INFO).

Live streams (``/events``): flup writes and flushes every chunk, so a
stream stays open in its thread, polling, until the client goes (a write
fails on the next heartbeat, or the stream sees the front server close the
connection: ``fossilpy.peer_gone``); the stream renews its own budget after
each poll.  At most :data:`MAX_STREAMS` of the worker's threads hold streams
(``fossilpy.max_streams``; 503 beyond).  The stream's reply carries
``X-Accel-Buffering: no``, which turns nginx's reply buffering off for it.

``fossilpy http --scgi`` reads one SCGI request from standard input and
answers it with a full ``HTTP/1.0`` reply, as Fossil's does.
"""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from typing import Any, BinaryIO

from fossilpy import budget
from fossilpy.budget import RETRY_AFTER
from fossilpy.serve import gateway
from fossilpy.serve.cgi import complete_environ
from fossilpy.serve.connections import HEAD_TIMEOUT, IDLE_TIMEOUT, MIN_RATE, SMALL_BODY
from fossilpy.serve.request import BadRequest, ClientGone, Reader, content_length
from fossilpy.serve.watchdog import Watchdog
from fossilpy.text import is_digits

MAX_SCGI_HEAD = 65536
#: flup's threads per worker (``maxThreads``), and how many of them live streams may hold.
MAX_THREADS = 256
MAX_STREAMS = MAX_THREADS // 2


class DeadlineReader:
    """Reads from a socket that must deliver by a deadline growing with what it delivered."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.started = time.monotonic()
        self.received = 0
        self.buf = bytearray()

    def read(self, n: int = -1, /) -> bytes:
        while len(self.buf) < n:
            remaining = self.started + HEAD_TIMEOUT + self.received / MIN_RATE - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("request not received in time")
            self.sock.settimeout(min(remaining, IDLE_TIMEOUT))
            data = self.sock.recv(65536)
            if not data:
                break
            self.received += len(data)
            self.buf += data
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def readline(self, limit: int = -1, /) -> bytes:  # the Reader protocol; SCGI has no lines
        raise NotImplementedError


def peer_gone(sock: socket.socket) -> bool:
    """True when the front server closed the connection (a live stream's client left)."""
    import select

    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and not sock.recv(1, socket.MSG_PEEK)
    except (OSError, ValueError):
        return True


def read_scgi_request(reader: Reader, *, max_body: int) -> tuple[dict[str, Any], bytes]:
    """Parse one SCGI request; return its CGI variables and body."""
    env, length = read_scgi_head(reader, max_body=max_body)
    body = reader.read(length) if length else b""
    if len(body) < length:
        raise ClientGone("end of input inside the SCGI body")
    return env, body


def read_scgi_head(reader: Reader, *, max_body: int) -> tuple[dict[str, Any], int]:
    """Parse the netstring of one SCGI request; return its CGI variables and body length."""
    digits = b""
    while True:
        c = reader.read(1)
        if not c:
            raise ClientGone("end of input before the SCGI header")
        if c == b":":
            break
        if not is_digits(c) or len(digits) >= 8:
            raise BadRequest(400, "malformed SCGI netstring length")
        digits += c
    if not digits:
        raise BadRequest(400, "malformed SCGI netstring length")
    size = int(digits)
    if size > MAX_SCGI_HEAD:
        raise BadRequest(431, "SCGI header too large")
    data = reader.read(size)
    if len(data) < size:
        raise ClientGone("cannot read entire SCGI header")
    if reader.read(1) != b",":
        raise BadRequest(400, "SCGI header formatting error")
    fields = data.split(b"\0")
    if len(fields) % 2 != 1 or fields[-1] != b"":
        raise BadRequest(400, "SCGI header formatting error")
    pairs: dict[str, Any] = {}
    for i in range(0, len(fields) - 1, 2):
        pairs[fields[i].decode("latin-1")] = fields[i + 1].decode("latin-1")
    env = gateway.untrusted_environ(pairs)
    if "CONTENT_LENGTH" not in env:
        raise BadRequest(400, "SCGI request without CONTENT_LENGTH")
    return env, content_length(env["CONTENT_LENGTH"], max_body)


def _prepare(env: dict[str, Any], body: bytes) -> None:
    complete_environ(env)
    env["wsgi.input"] = io.BytesIO(body)
    env["fossilpy.door"] = "scgi"


def serve_stdin(app: gateway.WSGIApp, inp: BinaryIO, out: BinaryIO, *, max_body: int,
                https: bool = False, max_latency: float = budget.DEFAULT_SECONDS) -> int:
    """``fossilpy http --scgi``: one SCGI request, full HTTP reply."""
    try:
        env, body = read_scgi_request(inp, max_body=max_body)
        if https:
            env["HTTPS"] = "on"
        _prepare(env, body)
    except BadRequest as exc:
        gateway.write_error(out, exc.status, exc.message, full_http=True)
        return exc.status
    except ClientGone:
        gateway.write_error(out, 501, "cannot read entire SCGI header", full_http=True)
        return 501
    env.update(gateway.base_environ(door="scgi", run_once=True))
    return gateway.respond_once(app, env, out, seconds=max_latency, full_http=True)


class Admission:
    """The body allowance of one worker: bytes of large bodies held at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        """Hold ``n`` bytes if they fit (small bodies always do)."""
        if n <= SMALL_BODY:
            return True
        with self._lock:
            if self.held + n > self.limit:
                return False
            self.held += n
            return True

    def give(self, n: int) -> None:
        """Return ``n`` bytes taken by :meth:`take`."""
        if n > SMALL_BODY:
            with self._lock:
                self.held -= n


def make_server(app: gateway.WSGIApp, sock: socket.socket, *, max_body: int,
                https: bool = False, max_latency: float = budget.DEFAULT_SECONDS,
                max_memory: int = budget.DEFAULT_MEMORY, forked: bool = False) -> Any:
    """A flup SCGI server answering on the bound, listening ``sock``."""
    from flup.server.scgi import WSGIServer
    from flup.server.scgi_base import Connection, Request

    admission = Admission(max_body + 16 * 1024 * 1024)
    watchdog = Watchdog(deadman=forked, max_rss=2 * max_memory + admission.limit)

    class BoundedConnection(Connection):  # type: ignore[misc]
        """flup's connection with a bounded, timed, fully-read request."""

        def processInput(self) -> None:  # noqa: N802 - flup's name
            output = self._sock.makefile("wb")
            held = 0
            try:
                try:
                    reader = DeadlineReader(self._sock)
                    env, length = read_scgi_head(reader, max_body=max_body)
                    if not admission.take(length):
                        gateway.write_error(output, 503, "the server is busy receiving other uploads; try again",
                                            full_http=False, retry_after=RETRY_AFTER)
                        return
                    held = length
                    body = reader.read(length) if length else b""
                    if len(body) < length:
                        return
                except BadRequest as exc:
                    gateway.write_error(output, exc.status, exc.message, full_http=False)
                    return
                except TimeoutError:
                    gateway.write_error(output, 408, "request not received in time", full_http=False)
                    return
                except (ClientGone, OSError):
                    return
                if https:
                    env["HTTPS"] = "on"
                env["fossilpy.max_streams"] = MAX_STREAMS
                env["fossilpy.peer_gone"] = lambda sock=self._sock: peer_gone(sock)
                self._sock.settimeout(IDLE_TIMEOUT)
                limits = budget.Budget(max_latency, max_memory)
                env["fossilpy.budget"] = limits
                req = Request(self, env, io.BytesIO(body), output)
                with watchdog.track(limits):
                    req.run()
            finally:
                admission.give(held)
                try:
                    output.close()
                except OSError:
                    pass  # the peer went away; nothing more to send

    def door_app(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            _prepare(environ, environ["wsgi.input"].read())
        except BadRequest as exc:
            body = gateway.error_page(exc.status, exc.message)
            start_response(f"{exc.status} {gateway.REASONS.get(exc.status, 'Error')}",
                           [("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
            return [body]
        try:
            return app(environ, start_response)
        except Exception as exc:
            if not gateway.out_of_budget(exc):
                raise  # flup logs it and answers 500 (debug is off: no traceback to the client)
            body = gateway.error_page(503, gateway.budget_message(exc))
            start_response("503 Service Unavailable",
                           [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                            ("Retry-After", str(RETRY_AFTER)),
                            ("Content-Security-Policy", gateway.DOOR_CSP),
                            ("X-Content-Type-Options", "nosniff")], sys.exc_info())
            return [body]

    class Server(WSGIServer):  # type: ignore[misc]
        def _setupSocket(self) -> socket.socket:  # noqa: N802 - flup's name
            # Non-blocking: when several workers share the socket, all wake
            # from flup's select() but one wins accept(); the others must
            # get EAGAIN (flup retries) rather than block there, deaf to
            # their stop signal.  Accepted sockets are blocking again.
            sock.setblocking(False)
            return sock

        def _cleanupSocket(self, s: socket.socket) -> None:  # noqa: N802
            s.close()

        def run(self) -> Any:
            watchdog.start()
            try:
                return super().run()
            finally:
                watchdog.stop()

    server = Server(door_app, scriptName=None, debug=False, multithreaded=True,
                    multiprocess=False, bindAddress=sock.getsockname(), allowedServers=None,
                    loggingLevel=30, maxThreads=MAX_THREADS)
    server._jobClass = BoundedConnection
    server.environ = {"wsgi.errors": sys.stderr}
    return server
