"""Run the WSGI application for one request and write its reply.

Every door ends here.  A door builds a PEP 3333 environ (its body already
read into memory, so the application never waits on a slow client) and
calls :func:`respond`, which writes the reply in one of two forms
(Fossil 2.21 ``cgi_reply``)::

    full HTTP  (server, ui, http)         CGI  (cgi, scgi, ssh test-http)
    HTTP/1.0 200 OK\\r\\n                   Status: 200 OK\\r\\n
    Date: Sun, 22 Nov 2026 16:00:00 GMT\\r\\n  <application headers>\\r\\n
    Connection: close\\r\\n                  \\r\\n
    X-UA-Compatible: IE=edge\\r\\n          <body>
    <application headers>\\r\\n
    \\r\\n
    <body>

Header lines always end in CRLF.  When the transport carries several
requests (SSH) the reply must have a Content-Length: a body without one is
buffered and measured.  A HEAD request gets the head only.

Errors: an exception from the application becomes a plain 500 page if
nothing was sent yet (the traceback goes to the log, :mod:`fossilpy.log`,
never to the client); after the head was sent the connection is simply
cut short.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from fossilpy.budget import RETRY_AFTER, BudgetExceeded
from fossilpy.text import is_digits

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Output(Protocol):
    """Where a reply goes: a binary file, a socket file, or the server loop's Collector."""

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...

#: HTTP reason phrases for the statuses the doors produce themselves.
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

#: Content-Security-Policy of the replies a door makes itself: they hold no
#: script, style or image at all.
DOOR_CSP = "default-src 'none'"

#: Response headers a door owns in full-HTTP form; the application's copies are dropped.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "date", "upgrade"})



def http_date(when: float | None = None) -> str:
    """The ``Date:`` header value for ``when`` (default now), exactly as Fossil writes it."""
    from fossilpy.artifact.fossilize import rfc822_date

    return rfc822_date(time.time() if when is None else when)


def load_app(**config: Any) -> WSGIApp:
    """The fossilpy WSGI application for ``AppConfig(**config)``.

    ``FOSSILPY_APP=module:factory`` serves another application through the
    same doors (the factory gets the same keyword arguments); the door tests
    use it to exercise a transport without the web pages.
    """
    spec = os.environ.get("FOSSILPY_APP")
    if spec:
        import importlib

        module, _, attr = spec.partition(":")
        factory = getattr(importlib.import_module(module), attr)
        app: WSGIApp = factory(**config)
        return app
    from fossilpy.web.app import AppConfig, make_app

    config.setdefault("temp_dir", temp_dir())
    return make_app(AppConfig(**config))


def temp_dir() -> str:
    """The temporary directory as ``tempfile.gettempdir`` first looks for it:
    ``TMPDIR``, ``TEMP`` or ``TMP`` when it names a directory, else ``/tmp``
    (without importing tempfile, which a CGI process would pay for)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and os.path.isdir(value):
            return value
    return "/tmp"


#: Environ namespaces that only fossilpy's doors and the WSGI server may set.
#: Variables arriving from outside (an SCGI netstring, a CGI environment)
#: in these namespaces are dropped: ``fossilpy.trusted_caps`` grants setup.
RESERVED_PREFIXES = ("fossilpy.", "wsgi.")


def untrusted_environ(variables: dict[str, Any]) -> dict[str, Any]:
    """``variables`` from a proxy or web server, minus the reserved namespaces."""
    return {k: v for k, v in variables.items() if not k.startswith(RESERVED_PREFIXES)}


def base_environ(*, door: str, multithread: bool = False, multiprocess: bool = False,
                 run_once: bool = False, errors: Any = None) -> dict[str, Any]:
    """The ``wsgi.*`` keys (but ``wsgi.input``/``url_scheme``) and ``fossilpy.door``."""
    return {
        "wsgi.version": (1, 0),
        "wsgi.errors": errors if errors is not None else sys.stderr,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": run_once,
        "fossilpy.door": door,
    }


def error_page(status: int, message: str) -> bytes:
    """The small HTML body of a reply the door makes itself (Fossil's wording)."""
    esc = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if status == 501:
        return f"<html><body><p>Bad Request: {esc}</p></body></html>\n".encode()
    return f"<html><body><p>{status} {REASONS.get(status, 'Error')}: {esc}</p></body></html>\n".encode()


def write_error(out: Output, status: int, message: str, *, full_http: bool,
                head_only: bool = False, retry_after: int | None = None) -> None:
    """Write a complete reply for a request the door rejects before the app.

    It carries the same protective headers as the application's replies
    (a CSP that allows nothing, ``nosniff``, ``SAMEORIGIN``), and
    ``Retry-After`` for a 503.
    """
    body = error_page(status, message)
    headers = [
        ("Cache-control", "no-cache"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", DOOR_CSP),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ]
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    out.write(_head(f"{status} {REASONS.get(status, 'Error')}", headers, full_http))
    if not head_only:
        out.write(body)
    out.flush()


def _head(status: str, headers: list[tuple[str, str]], full_http: bool) -> bytes:
    if full_http:
        lines = [f"HTTP/1.0 {status}", f"Date: {http_date()}", "Connection: close",
                 "X-UA-Compatible: IE=edge"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in _HOP_BY_HOP]
    else:
        lines = [f"Status: {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Reply:
    """start_response/write state of one request."""

    def __init__(self, out: Output, full_http: bool, need_length: bool, head_only: bool):
        self.out = out
        self.full_http = full_http
        self.need_length = need_length
        self.head_only = head_only
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        self.buffered: list[bytes] | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called twice without exc_info")
        _check_status(status)
        for name, value in headers:
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError("response header names and values must be str")
            if any(c in name + value for c in "\r\n\0") or ":" in name:
                raise ValueError(f"bad response header {name!r}")
        self.status, self.headers = status, list(headers)
        self.buffered = None
        if self.need_length and not self._has_length():
            self.buffered = []
        return self.write

    def _has_length(self) -> bool:
        return any(k.lower() == "content-length" for k, _ in self.headers)

    def write(self, data: bytes) -> None:
        if self.status is None:
            raise AssertionError("write() before start_response()")
        if not isinstance(data, bytes | bytearray):
            raise TypeError("the application must yield bytes")
        if self.buffered is not None:
            self.buffered.append(bytes(data))
            return
        if not self.sent:
            self.send_head()
        if data and not self.head_only:
            self.out.write(data)

    def send_head(self) -> None:
        assert self.status is not None
        head = _head(self.status, self.headers, self.full_http)  # may fail: not latin-1
        self.sent = True
        self.out.write(head)

    def finish(self) -> None:
        if self.buffered is not None:
            body = b"".join(self.buffered)
            self.buffered = None
            self.headers.append(("Content-Length", str(len(body))))
            self.send_head()
            if not self.head_only:
                self.out.write(body)
        elif not self.sent:
            self.send_head()
        self.out.flush()


def _check_status(status: str) -> None:
    if not isinstance(status, str) or len(status) < 4 or not is_digits(status[:3]) or status[3] != " ":
        raise ValueError(f"bad status {status!r}")


def respond(app: WSGIApp, environ: dict[str, Any], out: Output, *, full_http: bool,
            need_length: bool = False, sent: Callable[[], None] | None = None,
            stream_to: Callable[[Any], None] | None = None) -> int:
    """Call ``app`` for ``environ`` and write the reply to ``out``; return the status.

    ``sent`` runs once the whole reply is written and flushed, before the
    application's ``close()`` (where its after-reply work happens), so a
    door can release the client first.  Returns 0 when the reply could not
    be completed (the application failed after sending its head, or the
    client went away).

    A live stream (a body iterable with ``live = True``, the ``/events``
    reply of :mod:`fossilpy.web.eventfeed`) is flushed after every chunk;
    a door that writes streams itself passes ``stream_to``: the head is
    written to ``out``, then ``stream_to(body)`` gets the body to feed
    (and close) instead of this thread iterating it, and ``sent`` is not
    called.
    """
    reply = _Reply(out, full_http, need_length, environ.get("REQUEST_METHOD") == "HEAD")
    try:
        result = app(environ, reply.start_response)
        live = getattr(result, "live", False) is True and not reply.head_only
        if live and stream_to is not None:  # the door's loop writes the stream (serve/connections.py)
            try:
                reply.finish()
                stream_to(result)
            except BaseException:
                result.close()  # type: ignore[attr-defined]
                raise
            assert reply.status is not None
            return int(reply.status[:3])
        try:
            for chunk in result:
                if chunk:
                    reply.write(chunk)
                    if live:  # a live stream: every chunk goes out now
                        out.flush()
            reply.finish()
            if sent is not None:
                sent()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except (BrokenPipeError, ConnectionError):
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place a door catches everything
        if isinstance(exc, MemoryError):
            # its traceback's frames hold what filled the memory: free it before logging
            # (which may import) and answering, or those fail too and nothing is answered
            exc.__traceback__ = None
        spent = out_of_budget(exc)
        if spent:
            _log_line(environ, f"stopped: {exc}")
        else:
            log_exception(environ)
        if reply.sent:
            return 0
        status = 503 if spent else 500
        try:
            write_error(out, status, budget_message(exc) if spent else "the server could not complete this request",
                        full_http=full_http, head_only=reply.head_only,
                        retry_after=RETRY_AFTER if spent else None)
        except OSError:
            return 0
        return status
    assert reply.status is not None
    return int(reply.status[:3])


def respond_once(app: WSGIApp, environ: dict[str, Any], out: Output, *, seconds: float,
                 memory: int | None = None, **kw: Any) -> int:
    """:func:`respond` under a fresh request budget enforced by an alarm (the one-shot doors).

    Used by CGI, ``http`` and ``test-http``, which answer in the main
    thread of a process of their own: see :func:`fossilpy.serve.watchdog.one_shot`.
    """
    from fossilpy import budget
    from fossilpy.serve.watchdog import one_shot

    limits = budget.Budget(seconds, memory if memory is not None else budget.DEFAULT_MEMORY)
    environ["fossilpy.budget"] = limits
    with one_shot(limits):
        return respond(app, environ, out, **kw)


def out_of_budget(exc: BaseException) -> bool:
    """True for a failure that means "out of time or memory" (answered 503, Retry-After)."""
    return isinstance(exc, BudgetExceeded | MemoryError)


def budget_message(exc: BaseException) -> str:
    """The one-line reason shown for an :func:`out_of_budget` failure."""
    return str(exc) or "the request needed too much memory"


def _log_line(environ: dict[str, Any], text: str) -> None:
    from fossilpy import log

    log.get(__name__).warning("%s %s: %s", environ.get("REQUEST_METHOD", "?"),
                              environ.get("REQUEST_URI") or environ.get("PATH_INFO", ""), text)


def log_exception(environ: dict[str, Any]) -> None:
    """Log the current exception, with its traceback (never sent to the client)."""
    from fossilpy import log

    log.get(__name__).exception("error serving %s %s", environ.get("REQUEST_METHOD", "?"),
                                environ.get("REQUEST_URI") or environ.get("PATH_INFO", ""))
