"""A tiny WSGI test client: build an environ, call the app, collect the reply.

(werkzeug is not a dependency.)  ``call(app, "/timeline?n=5")`` returns a
:class:`Reply` with ``status`` (int), ``headers`` (list of pairs),
``body`` (bytes) and helpers; the reply iterable's ``close()`` is called,
as a real server would.  ``errors`` holds what the request logged.

Every call goes through :func:`wsgiref.validate.validator`, with its
warnings turned into errors: each web test also checks that the application
keeps to PEP 3333 (start_response, header types, the reply iterable, how
``wsgi.input`` and ``wsgi.errors`` are used).  A test that hands the app an
environ no PEP 3333 server would make (a garbage CONTENT_LENGTH, say) passes
``validate=False``.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode
from wsgiref.validate import WSGIWarning, validator


@dataclass
class Reply:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    errors: str = ""
    environ: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookies(self) -> dict[str, str]:
        """name -> decoded value of every Set-Cookie in the reply."""
        out = {}
        for value in self.all("Set-Cookie"):
            pair = value.split(";", 1)[0]
            name, _, val = pair.partition("=")
            out[name] = unquote(val)
        return out


def environ(
    path: str = "/",
    *,
    method: str = "GET",
    body: bytes = b"",
    content_type: str = "",
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    script_name: str = "",
    remote_addr: str = "192.0.2.10",
    host: str = "localhost:8080",
    content_length: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    path_info, _, qs = path.partition("?")
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": unquote(path_info).encode("utf-8").decode("latin-1"),
        "QUERY_STRING": qs,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr,
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
        ),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if content_length is None:
        if body or method == "POST":
            env["CONTENT_LENGTH"] = str(len(body))
    elif content_length != "-":
        env["CONTENT_LENGTH"] = content_length
    if content_type:
        env["CONTENT_TYPE"] = content_type
    for k, v in (headers or {}).items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    if cookies:
        env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    env.update(extra or {})
    return env


def call(app: Any, path: str = "/", **kw: Any) -> Reply:
    """Run one request through ``app``.

    A POST carries ``Origin: http://HOST`` as a browser's form
    submission does, unless ``headers`` name an Origin or ``origin=False``.
    """
    form = kw.pop("form", None)
    origin = kw.pop("origin", True)
    validate = kw.pop("validate", True)
    if form is not None:
        kw["body"] = urlencode(form).encode()
        kw.setdefault("content_type", "application/x-www-form-urlencoded")
        kw.setdefault("method", "POST")
    if kw.get("method") == "POST" and "env" not in kw:
        headers = dict(kw.get("headers") or {})
        if origin and not any(k.lower() == "origin" for k in headers):
            headers["Origin"] = f"http://{kw.get('host', 'localhost:8080')}"
            kw["headers"] = headers
    env = kw.pop("env", None) or environ(path, **kw)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        assert isinstance(status, str) and re.match(r"^\d{3} ", status), status
        for k, v in headers:
            assert isinstance(k, str) and isinstance(v, str), (k, v)
            assert "\n" not in v and "\r" not in v, (k, v)
        seen["status"] = status
        seen["headers"] = headers
        return lambda data: None

    from tests.conftest import captured_log

    stream = env["wsgi.errors"]  # the validator puts a wrapper in its place
    with captured_log() as logged, warnings.catch_warnings():
        warnings.simplefilter("error", WSGIWarning)
        result = (validator(app) if validate else app)(env, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
    code, _, reason = seen["status"].partition(" ")
    errors = stream.getvalue() if hasattr(stream, "getvalue") else ""
    text = errors + logged()
    # The app turns any exception into an error page; one raised by the
    # validator (a misuse of wsgi.input or wsgi.errors) must fail the test.
    assert "wsgiref/validate.py" not in text, f"the application broke PEP 3333:\n{text}"
    return Reply(int(code), reason, seen["headers"], body, text, env)
