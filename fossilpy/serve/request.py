"""Read one HTTP request head (and body) into a PEP 3333 environ.

Wire syntax accepted (Fossil 2.21 ``cgi_handle_http_request``, made strict
where Fossil is lenient, because a door must never guess)::

    request   = METHOD SP TARGET [SP HTTP/1.x] EOL *(header EOL) EOL [body]
    METHOD    = "GET" | "POST" | "HEAD"           other methods -> 501
    TARGET    = "/" path ["?" query]              or http(s)://authority/path
    header    = NAME ":" *SP VALUE                NAME is an RFC 7230 token
    EOL       = CRLF | LF

Limits: a request line of at most :data:`MAX_LINE` bytes (414), header lines
of at most :data:`MAX_LINE` bytes, :data:`MAX_HEADERS` headers and
:data:`MAX_HEAD` bytes in all (431), a body of at most ``max_body`` bytes
(413).  ``Transfer-Encoding`` is refused (501): Fossil has no chunked
request bodies and every door closes the connection after its reply, so no
request can be smuggled behind another.  A ``Content-Length`` must be all
digits; two different values are a 400.

Environ produced: ``REQUEST_METHOD``, ``REQUEST_URI`` (raw target),
``SCRIPT_NAME`` (""), ``PATH_INFO`` (percent-decoded, as latin-1 text per
PEP 3333), ``QUERY_STRING``, ``SERVER_PROTOCOL``, ``CONTENT_TYPE``,
``CONTENT_LENGTH``, ``HTTP_*`` for every other header (names containing
``_`` are dropped so they cannot impersonate ``-`` ones), ``SERVER_NAME``
and ``HTTP_HOST`` from ``Host:``, ``REMOTE_ADDR`` (replaced by the last
``X-Forwarded-For`` entry only when the peer is loopback), and ``HTTPS`` /
``wsgi.url_scheme`` ``https`` when the door serves HTTPS or the request has
Fossil's ``HTTPS:`` header.  ``wsgi.input`` is a BytesIO of the body.
"""

from __future__ import annotations

import io
from typing import Any, Protocol

from fossilpy.text import is_digits

MAX_LINE = 8190
MAX_HEADERS = 100
MAX_HEAD = 65536
METHODS = ("GET", "POST", "HEAD")
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


class Reader(Protocol):
    """What a door reads a request from (a buffered binary file will do)."""

    def readline(self, limit: int = -1, /) -> bytes: ...
    def read(self, n: int = -1, /) -> bytes: ...


class BadRequest(Exception):
    """A request the door answers itself with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ClientGone(Exception):
    """The client closed the connection (or timed out) before a full request."""


def percent_decode(text: str) -> str:
    """``%XX`` decoding of a URL path into latin-1 text (PEP 3333); ``+`` is kept."""
    if "%" not in text:
        return text
    parts = text.encode("latin-1", "replace").split(b"%")
    out = bytearray(parts[0])
    for part in parts[1:]:
        if len(part) >= 2 and _is_hex(part[:2]):
            out.append(int(part[:2], 16))
            out += part[2:]
        else:
            out += b"%" + part
    return out.decode("latin-1")


def _is_hex(two: bytes) -> bool:
    return all(c in b"0123456789abcdefABCDEF" for c in two)


def split_target(target: str) -> tuple[str, str]:
    """``(path, query)`` of a request target; an absolute URL loses its authority."""
    low = target[:8].lower()
    if low.startswith(("http://", "https://")):
        rest = target.split("//", 1)[1]
        slash = rest.find("/")
        qmark = rest.find("?")
        if slash < 0 or (0 <= qmark < slash):
            target = "/" + (rest[qmark:] if qmark >= 0 else "")
        else:
            target = rest[slash:]
    if not target.startswith("/"):
        raise BadRequest(501, "malformed URL in HTTP header")
    path, _, query = target.partition("?")
    return path, query


def _readline(reader: Reader, limit: int) -> bytes:
    line = reader.readline(limit + 1)
    if len(line) > limit:
        raise BadRequest(431, "header line too long")
    return line


def read_request_line(reader: Reader, *, skip_blank: bool = False) -> str | None:
    """The first line of a request, without its EOL; None at a clean EOF."""
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            raise BadRequest(414, "request line too long")
        text = line.decode("latin-1").rstrip("\r\n")
        if text.strip() or not skip_blank:
            return text


def parse_request_line(line: str) -> tuple[str, str, str]:
    """``(method, target, protocol)`` of a request line."""
    if any(c in line for c in "\0\r"):
        raise BadRequest(501, "malformed HTTP header")
    words = line.split()
    if not words:
        raise BadRequest(501, "missing HTTP header")
    if words[0] not in METHODS:
        raise BadRequest(501, "unsupported HTTP method")
    if len(words) < 2:
        raise BadRequest(501, "malformed URL in HTTP header")
    protocol = words[2] if len(words) > 2 else "HTTP/1.0"
    if len(words) > 3 or not protocol.startswith("HTTP/1."):
        raise BadRequest(400, "malformed request line")
    return words[0], words[1], protocol


def read_headers(reader: Reader) -> list[tuple[str, str]]:
    """Header fields up to the blank line, names lower-cased."""
    headers: list[tuple[str, str]] = []
    total = 0
    while True:
        line = _readline(reader, MAX_LINE)
        if not line:
            raise ClientGone("end of input inside the request head")
        total += len(line)
        if total > MAX_HEAD or len(headers) >= MAX_HEADERS:
            raise BadRequest(431, "request head too large")
        text = line.decode("latin-1").rstrip("\r\n")
        if not text:
            return headers
        if text[0] in " \t":
            raise BadRequest(400, "folded header line")
        name, sep, value = text.partition(":")
        if not sep or not name or not all(c in _TOKEN for c in name):
            raise BadRequest(400, "malformed header line")
        if "\0" in value or "\r" in value:
            raise BadRequest(400, "malformed header value")
        headers.append((name.lower(), value.strip(" \t")))


def content_length(value: str | None, max_body: int) -> int:
    """The body length named by a Content-Length value (400/413 on abuse)."""
    if value is None or value == "":
        return 0
    if not is_digits(value):
        raise BadRequest(400, "bad Content-Length")
    n = int(value)
    if n > max_body:
        raise BadRequest(413, f"request body larger than {max_body} bytes")
    return n


def read_body(reader: Reader, length: int) -> bytes:
    """Exactly ``length`` bytes, or ClientGone."""
    chunks = []
    left = length
    while left > 0:
        chunk = reader.read(min(left, 1 << 20))
        if not chunk:
            raise ClientGone("end of input inside the request body")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def build_environ(method: str, target: str, protocol: str, headers: list[tuple[str, str]],
                  *, remote_addr: str, server_port: str = "80", https: bool = False,
                  max_body: int) -> tuple[dict[str, Any], int]:
    """The CGI part of the environ for a parsed head, and the body length to read."""
    path, query = split_target(target)
    env: dict[str, Any] = {
        "GATEWAY_INTERFACE": "CGI/1.0",
        "REQUEST_METHOD": method,
        "REQUEST_URI": target,
        "SCRIPT_NAME": "",
        "PATH_INFO": percent_decode(path),
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": protocol,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": server_port,
        "REMOTE_ADDR": remote_addr,
    }
    lengths = set()
    for name, value in headers:
        if name == "transfer-encoding":
            raise BadRequest(501, "Transfer-Encoding is not supported")
        if name == "content-length":
            lengths.add(value)
            continue
        if name == "content-type":
            env["CONTENT_TYPE"] = value
            continue
        if "_" in name:
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in env:
            env[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            env[key] = value
    if len(lengths) > 1:
        raise BadRequest(400, "conflicting Content-Length headers")
    length = content_length(lengths.pop() if lengths else None, max_body)
    if lengths or length:
        env["CONTENT_LENGTH"] = str(length)
    host = env.get("HTTP_HOST")
    if host:
        env["SERVER_NAME"] = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    forwarded = env.get("HTTP_X_FORWARDED_FOR")
    if forwarded and remote_addr in _LOOPBACK:
        last = forwarded.replace(",", " ").split()
        if last:
            env["REMOTE_ADDR"] = last[-1]
    if "HTTP_HTTPS" in env:
        env["HTTPS"] = env["HTTP_HTTPS"]
        https = True
    if https:
        env.setdefault("HTTPS", "on")
    if not env["REMOTE_ADDR"]:
        del env["REMOTE_ADDR"]
    env["REQUEST_SCHEME"] = "https" if https else "http"
    return env, length


def read_request(reader: Reader, *, remote_addr: str, max_body: int, server_port: str = "80",
                 https: bool = False, first_line: str | None = None) -> dict[str, Any]:
    """Read a whole request; return its environ with ``wsgi.input`` filled in.

    Raises :class:`BadRequest` (answer it) or :class:`ClientGone` (just close).
    """
    line = first_line if first_line is not None else read_request_line(reader)
    if line is None:
        raise ClientGone("no request")
    method, target, protocol = parse_request_line(line)
    headers = read_headers(reader)
    env, length = build_environ(method, target, protocol, headers, remote_addr=remote_addr,
                                server_port=server_port, https=https, max_body=max_body)
    env["wsgi.input"] = io.BytesIO(read_body(reader, length) if length else b"")
    env["wsgi.url_scheme"] = env["REQUEST_SCHEME"]
    return env
