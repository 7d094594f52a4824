"""A tiny WSGI application for door tests: it answers with the request it saw.

``FOSSILPY_APP=tests.doors.echo_app:make`` serves it through any door.
Paths: ``/boom`` raises, ``/big`` answers 100 kB without Content-Length,
``/slowclose`` answers at once but its ``close()`` (where after-reply work
such as the backoffice check runs) takes 10 seconds, ``/spin`` loops for
ever without looking at its budget, ``/spin-checked`` loops asking
``fossilpy.budget.check()``, ``/hog`` grows a buffer without charging it,
anything else answers ``text/plain`` lines ``KEY=VALUE`` for the environ keys
the doors set, then ``BODY=<md5 of the body> <length>``.
"""

from __future__ import annotations

import hashlib
from typing import Any

KEYS = (
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI",
    "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_HOST", "HTTPS", "REMOTE_ADDR",
    "HTTP_COOKIE", "wsgi.url_scheme", "fossilpy.door", "fossilpy.trusted_caps",
    "fossilpy.input_terminated",
)


def make(**config: Any):  # type: ignore[no-untyped-def]
    """The echo app; the AppConfig keywords are echoed too."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/boom":
            raise RuntimeError("secret traceback text")
        if path == "/slowclose":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
            return _SlowClose([b"done\n"])
        if path == "/spin":
            n = 0
            while True:
                n += 1
        if path == "/spin-checked":
            from fossilpy import budget

            while True:
                budget.check()
        if path == "/hog":
            hoard = []
            while True:
                hoard.append(b"\x01" * (1 << 20))  # touched pages: resident memory grows
        if path == "/big":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"x" * 1000] * 100
        body = environ["wsgi.input"].read()
        if not isinstance(body, bytes):
            raise TypeError("wsgi.input must give bytes")
        lines = [f"{k}={environ[k]}" for k in KEYS if k in environ]
        lines += [f"config.{k}={config[k]!r}" for k in sorted(config)]
        lines.append(f"BODY={hashlib.md5(body).hexdigest()} {len(body)}")
        out = ("\n".join(lines) + "\n").encode("utf-8", "replace")
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                                  ("Content-Length", str(len(out)))])
        return [out]

    return app


class _SlowClose(list):  # type: ignore[type-arg]
    """A reply iterable whose ``close()`` is slow."""

    def close(self) -> None:
        import time

        time.sleep(10)
