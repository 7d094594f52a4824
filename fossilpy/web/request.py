"""One HTTP request and its reply, read from and written to a PEP 3333 environ.

Fossil merges the query string, urlencoded POST fields and the page-name
suffix into one parameter namespace (``P()`` in ``src/cgi.c``); fossilpy
keeps the same rule in :attr:`Request.params` (POST fields win over the
query string) and keeps cookies apart in :attr:`Request.cookies`.

Request bodies (PEP 3333 and the doors' contract):

* exactly ``CONTENT_LENGTH`` bytes are read from ``wsgi.input``, never
  ``read()`` to EOF (flup's SCGI input would hang);
* a POST without ``CONTENT_LENGTH`` is read to EOF only when the door says
  the stream is bounded (environ key ``fossilpy.input_terminated``), else
  its body is empty;
* a body longer than the configured limit is refused with 413 before a
  byte of it is read; a malformed length gives 400.

Base URL (``set_base_url`` in ``src/main.c``): ``--baseurl`` wins; else
``http[s]://`` + the lower-cased Host (``:80``/``:443`` and a trailing dot
dropped) + SCRIPT_NAME without its trailing ``/``.  :attr:`Request.top`
is the path part (Fossil's ``%R``), used to build every link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fossilpy.errors import FossilError
from fossilpy.text import is_digits

#: Characters accepted in a Host header; anything else falls back to SERVER_NAME.
_HOST_OK = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-:[]_")


class HTTPError(FossilError):
    """Stop handling and answer with ``status`` and a one-line ``message``.

    A :class:`~fossilpy.errors.FossilError` like every error a page raises,
    so the application maps all of them in one place; its ``http_status``
    is ``status``.  ``headers`` are added to the error reply (e.g.
    ``Location`` for a 302).
    """

    def __init__(self, status: int, message: str = "", headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message or str(status))
        self.http_status = status
        self.status = status
        self.message = message
        self.headers = headers or []


class Response:
    """A complete reply: status, headers and body bytes."""

    __slots__ = ("status", "body", "content_type", "headers")

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers: list[tuple[str, str]] = headers if headers is not None else []

    def add_header(self, name: str, value: str) -> None:
        """Append a header (several Set-Cookie lines are allowed)."""
        self.headers.append((name, value))


#: Reason phrases of the statuses pages answer with, as ``http.HTTPStatus``
#: has them (``tests/test_import_time.py`` holds the two equal); building
#: that enum costs a CGI process more than the rest of this module.
_PHRASES = {
    200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content",
    301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 411: "Length Required", 413: "Request Entity Too Large",
    416: "Requested Range Not Satisfiable", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


def status_line(code: int) -> str:
    """``"404 Not Found"`` for 404 (PEP 3333 status string)."""
    phrase = _PHRASES.get(code)
    if phrase is not None:
        return f"{code} {phrase}"
    from http import HTTPStatus

    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Status {code}"


def read_body(environ: dict[str, Any], max_body: int) -> bytes:
    """The request body under the rules in the module docstring.

    The body is charged to the request's memory allowance
    (:mod:`fossilpy.budget`).  A door's in-memory body (a ``BytesIO`` made
    from bytes) is returned without a copy; other streams are read in one
    call of the exact length (their ``read`` loops until it is complete).
    """
    from fossilpy import budget

    stream = environ.get("wsgi.input")
    raw_len = str(environ.get("CONTENT_LENGTH") or "").strip()
    if raw_len:
        if not is_digits(raw_len):
            raise HTTPError(400, "malformed Content-Length")
        length = int(raw_len)
        if length > max_body:
            raise HTTPError(413, f"request body too large ({length} bytes; limit {max_body})")
        if length == 0 or stream is None:
            return b""
        budget.charge(length)
        data: bytes | str = stream.read(length)
        if isinstance(data, str):  # flup hands back a str StringIO for empty bodies
            data = data.encode("latin-1")
        if len(data) < length:  # a raw stream may return less: read the rest
            data = budget.read_claimed(stream, length, data)
        return data
    terminated = environ.get("fossilpy.input_terminated")
    if environ.get("REQUEST_METHOD", "GET") == "POST" and terminated and stream is not None:
        rest: bytes | str = stream.read(max_body + 1)
        if isinstance(rest, str):
            rest = rest.encode("latin-1")
        if len(rest) > max_body:
            raise HTTPError(413, f"request body too large (limit {max_body})")
        budget.charge(len(rest))
        return rest
    return b""


#: Most fields accepted in a query string and again in a form body (Fossil
#: stops at about 1000 parameters too: ``cgi_set_parameter_nocopy``).
MAX_FIELDS = 1000


def _fields(text: str) -> list[tuple[str, str]]:
    """``name=value`` pairs of a query string or urlencoded body; over MAX_FIELDS -> 400."""
    try:
        # %XX bytes that are not UTF-8 are kept (surrogate escapes), as Fossil
        # keeps them: they can name a wiki page, a file or a user.
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS,
                         errors="surrogateescape")
    except ValueError:
        raise HTTPError(400, f"too many query parameters (limit {MAX_FIELDS})") from None


def http_date(when: float) -> str:
    """``when`` as Fossil writes the ``Date:`` header (see artifact.fossilize.rfc822_date)."""
    from fossilpy.artifact.fossilize import rfc822_date

    return rfc822_date(when)


def _wsgi_str(value: str) -> str:
    """PEP 3333 native strings are latin-1 decoded bytes; re-decode as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def host_of(environ: dict[str, Any], https: bool) -> str:
    """The host[:port] of the request, lower-cased, default port and trailing dot removed."""
    host = str(environ.get("HTTP_HOST") or "").strip().lower()
    if not host or not set(host) <= _HOST_OK:
        host = str(environ.get("SERVER_NAME") or "localhost").lower()
        port = str(environ.get("SERVER_PORT") or "")
        if port and port not in ("80", "443"):
            host = f"{host}:{port}"
        if not set(host) <= _HOST_OK:
            host = "localhost"
    if https and host.endswith(":443"):
        host = host[:-4]
    elif not https and host.endswith(":80"):
        host = host[:-3]
    if host.endswith("."):
        host = host[:-1]
    return host


class Request:
    """What a page sees of one request.

    Attributes:
        environ: the WSGI environ (not modified).
        method: GET, POST or HEAD.
        script_name: SCRIPT_NAME, extended by the repository name in
            directory mode.
        path_info: the part of the path that names the page, starting "/".
        page: first element of ``path_info`` ("timeline"), "" for "/".
        extra: everything after the page element, decoded ("" if none);
            also available as ``params["name"]`` as in Fossil.
        params: query string + POST fields (first value of each name).
        cookies: request cookies by name.
        body: raw request body bytes.
        https: True if the request came over HTTPS.
        base_url: absolute URL of the repository root, without trailing "/".
        top: path part of ``base_url`` (prefix of every link).
        remote_addr: REMOTE_ADDR.
    """

    def __init__(
        self,
        environ: dict[str, Any],
        *,
        body: bytes,
        https: bool,
        baseurl: str | None,
        script_name: str,
        path_info: str,
    ) -> None:
        self.environ = environ
        self.method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        self.script_name = script_name
        self.path_info = path_info or "/"
        self.body = body
        self.https = https
        self.remote_addr = str(environ.get("REMOTE_ADDR") or "")
        self.content_type = str(environ.get("CONTENT_TYPE") or "")
        if baseurl:
            base = baseurl.rstrip("/")
            self.base_url = base + script_name.rstrip("/") if script_name else base
            self.top = urlsplit(self.base_url).path.rstrip("/")
        else:
            scheme = "https" if https else "http"
            sn = quote(script_name.rstrip("/"), safe="/-_.~")
            self.base_url = f"{scheme}://{host_of(environ, https)}{sn}"
            self.top = sn
        rest = self.path_info.lstrip("/")
        self.page, _, self.extra = rest.partition("/")
        self.query_string = str(environ.get("QUERY_STRING") or "")
        params: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for k, v in _fields(_wsgi_str(self.query_string)):
            params.setdefault(k, v)
            multi.setdefault(k, []).append(v)
        if (
            self.method == "POST"
            and body
            and self.content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
        ):
            for k, v in _fields(body.decode("utf-8", "replace")):
                params[k] = v
                multi.setdefault(k, []).append(v)
        if self.extra:
            params["name"] = self.extra  # as Fossil: /page/NAME wins over ?name=
        self.params = params
        self.multi = multi
        self.cookies = parse_cookies(str(environ.get("HTTP_COOKIE") or ""))

    def get(self, name: str, default: str | None = None) -> str | None:
        """Parameter ``name`` (query or POST), or ``default``."""
        return self.params.get(name, default)

    def flag(self, name: str) -> bool:
        """True if parameter ``name`` is present and not 0/no/off/false."""
        value = self.params.get(name)
        if value is None:
            return False
        return value.strip().lower() not in ("0", "no", "off", "false")

    def int(self, name: str, default: int) -> int:
        """Parameter ``name`` as an integer, ``default`` when absent or malformed."""
        value = self.params.get(name, "")
        try:
            return int(value)
        except ValueError:
            return default

    def url(self, path: str) -> str:
        """Link to ``path`` (starting "/") under this repository."""
        return self.top + path

    def absolute(self, path: str) -> str:
        """Absolute URL of ``path`` under this repository (for redirects)."""
        return self.base_url + path

    @property
    def same_origin(self) -> bool:
        """True if the request provably comes from a page of this site (CSRF check for POSTs).

        ``Origin`` (sent by browsers on every POST) must name the scheme and
        host of :attr:`base_url`; without it, ``Referer`` must be
        :attr:`base_url` itself or start with it followed by "/" or "?"
        (Fossil's ``cgi_same_origin`` rule).  Neither header, or
        ``Origin: null``: False.
        """
        want = urlsplit(self.base_url)
        origin = str(self.environ.get("HTTP_ORIGIN") or "").strip()
        if origin:
            if origin == "null":
                return False
            got = urlsplit(origin)
            return (got.scheme.lower(), got.netloc.lower()) == (want.scheme.lower(), want.netloc.lower())
        referer = str(self.environ.get("HTTP_REFERER") or "").strip()
        if not referer:
            return False
        base = self.base_url
        if not referer.lower().startswith(base.lower()):
            return False
        return len(referer) == len(base) or referer[len(base)] in "/?#"


def parse_cookies(header: str) -> dict[str, str]:
    """Cookies of a ``Cookie:`` header, values percent-decoded as Fossil sends them."""
    from urllib.parse import unquote

    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out.setdefault(name, unquote(value))
    return out


#: ASCII characters a Location keeps as they are: RFC 3986 unreserved and reserved.
_URL_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=")
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def _percent_encode_url(url: str) -> str:
    """``url`` with every byte that may not appear in a URL as %XX (UTF-8).

    Reserved characters and an existing valid ``%XX`` are kept, so an
    already-encoded URL comes back unchanged; a lone ``%`` becomes ``%25``.
    Characters that are not UTF-8 text (surrogate escapes of raw bytes in
    a parameter) are encoded as the bytes they stand for.
    """
    out: list[str] = []
    i = 0
    while i < len(url):
        c = url[i]
        if c in _URL_KEEP:
            out.append(c)
        elif c == "%" and len(url) >= i + 3 and url[i + 1] in _HEXDIGITS and url[i + 2] in _HEXDIGITS:
            out.append(url[i:i + 3])
            i += 2
        else:
            try:
                raw = c.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:  # a lone surrogate that stands for no byte
                raw = b"?"
            out.append("".join(f"%{b:02X}" for b in raw))
        i += 1
    return "".join(out)


def redirect(req: Request, path: str, status: int = 302) -> Response:
    """A redirect to ``path`` under the repository (absolute Location, as Fossil sends).

    The Location is percent-encoded (:func:`_percent_encode_url`): HTTP
    headers carry only ASCII, and CR or LF must never reach the header.
    """
    location = path if path.startswith(("http://", "https://")) else req.absolute(path)
    location = _percent_encode_url(location)
    resp = Response(status=status, content_type="text/html; charset=utf-8")
    resp.body = (
        f'<html><head><meta http-equiv="refresh" content="0; url={_attr(location)}"></head>'
        f'<body><p>Redirect to <a href="{_attr(location)}">{_attr(location)}</a></p></body></html>\n'
    ).encode()
    resp.add_header("Location", location)
    return resp


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


