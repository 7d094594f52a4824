"""A small, bounded parser of ``multipart/form-data`` request bodies.

File uploads (``/attachadd``) arrive as ``multipart/form-data``
(RFC 7578): the ``Content-Type`` header names a boundary, and the body is
a list of parts separated by it::

    Content-Type: multipart/form-data; boundary=XYZ

    --XYZ\\r\\n
    Content-Disposition: form-data; name="comment"\\r\\n
    \\r\\n
    the value\\r\\n
    --XYZ\\r\\n
    Content-Disposition: form-data; name="f"; filename="notes.txt"\\r\\n
    Content-Type: text/plain\\r\\n
    \\r\\n
    the file's bytes\\r\\n
    --XYZ--\\r\\n

Text before the first boundary line (a preamble) and after the last one
(an epilogue) is ignored, as RFC 2046 says.  A part's headers end at the
first empty line; its content runs to the CRLF before the next boundary
line, byte for byte (no transfer decoding: browsers send 8-bit).  Only
``Content-Disposition`` (``name``, ``filename``, quoted or bare) and
``Content-Type`` are read; other headers are ignored.  A quoted value runs
to the next ``"``: browsers send a ``"`` in a file name as ``%22`` and a
backslash as itself (HTML's form encoding, which Fossil's
``process_multipart_form_data`` also assumes), so there are no escapes.

Fossil's CGI layer (``process_multipart_form_data`` in ``src/cgi.c``)
exposes a file field ``f`` as ``P("f")`` (the bytes), ``P("f:filename")``
and ``P("f:bytes")``; :func:`parse` gives the same three facts in a
:class:`Part`.

Limits: the body itself was already held to the server's body limit
when it was read (``request.read_body``); here at most :data:`MAX_PARTS`
parts and :data:`MAX_HEADER_BYTES` of headers per part.  Anything
malformed (no boundary, a missing closing boundary, a part without a
``name``, headers without their empty line, too many parts) raises
``HTTPError(400)``: nothing is guessed.  The work is linear in the body
(``bytes.find`` from a moving offset).
"""

from __future__ import annotations

from typing import NamedTuple

from fossilpy.web.request import HTTPError

#: Parts accepted in one body.
MAX_PARTS = 100
#: Bytes of headers accepted in one part.
MAX_HEADER_BYTES = 8192
#: Longest boundary RFC 2046 allows.
MAX_BOUNDARY = 70


class Part(NamedTuple):
    """One form field: its name, its file name (None for a plain field), its
    declared content type ("" if none) and its bytes."""

    name: str
    filename: str | None
    content_type: str
    data: bytes

    def text(self) -> str:
        """The value as text (bytes that are not UTF-8 kept as surrogate escapes)."""
        return self.data.decode("utf-8", "surrogateescape")


def _bad(why: str) -> HTTPError:
    return HTTPError(400, f"malformed multipart/form-data body: {why}")


def is_multipart(content_type: str) -> bool:
    """True if ``content_type`` is ``multipart/form-data`` (any parameters)."""
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def _params(header: str) -> tuple[str, dict[str, str]]:
    """(value, {param: value}) of a header such as ``form-data; name="f"``.

    Parameter names are lower-cased; quoted values lose their quotes; a
    quote left open is an error.
    """
    value, _, rest = header.partition(";")
    out: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t;":
            i += 1
        if i >= n:
            break
        eq = rest.find("=", i)
        semi = rest.find(";", i)
        if eq < 0 or (0 <= semi < eq):  # a bare token without "=": skip it
            i = n if semi < 0 else semi + 1
            continue
        key = rest[i:eq].strip().lower()
        i = eq + 1
        while i < n and rest[i] in " \t":
            i += 1
        if i < n and rest[i] == '"':
            i += 1
            end = rest.find('"', i)
            if end < 0:
                raise _bad("unterminated quoted parameter")
            val = rest[i:end]
            i = end + 1
        else:
            end = rest.find(";", i)
            end = n if end < 0 else end
            val = rest[i:end].strip()
            i = end
        out.setdefault(key, val)
    return value.strip().lower(), out


def boundary_of(content_type: str) -> bytes:
    """The boundary named by a ``multipart/form-data`` Content-Type; 400 if none or invalid."""
    if not is_multipart(content_type):
        raise _bad("not multipart/form-data")
    _, params = _params(content_type)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > MAX_BOUNDARY or any(ord(c) < 32 or ord(c) > 126 for c in boundary):
        raise _bad("missing or invalid boundary")
    return boundary.encode("ascii")


def _headers(block: bytes) -> tuple[str, str | None, str]:
    """(name, filename, content type) from the header lines of one part."""
    name: str | None = None
    filename: str | None = None
    ctype = ""
    for raw in block.split(b"\r\n"):
        if not raw:
            continue
        line = raw.decode("utf-8", "surrogateescape")
        key, sep, value = line.partition(":")
        if not sep:
            raise _bad("a part header without a colon")
        key = key.strip().lower()
        if key == "content-disposition":
            kind, params = _params(value)
            if kind != "form-data":
                raise _bad("a part that is not form-data")
            name = params.get("name")
            filename = params.get("filename")
        elif key == "content-type":
            ctype = value.strip()
    if name is None:
        raise _bad("a part without a name")
    return name, filename, ctype


def parse(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/form-data`` body, in order (see the module docstring)."""
    dash = b"--" + boundary_of(content_type)
    if body.startswith(dash):
        pos = len(dash)
    else:
        at = body.find(b"\r\n" + dash)
        if at < 0:
            raise _bad("no boundary line")
        pos = at + 2 + len(dash)
    delim = b"\r\n" + dash
    parts: list[Part] = []
    while True:
        if body.startswith(b"--", pos):
            return parts  # the closing boundary; the epilogue is ignored
        while body.startswith((b" ", b"\t"), pos):  # transport padding
            pos += 1
        if not body.startswith(b"\r\n", pos):
            raise _bad("a boundary line not followed by CRLF")
        pos += 2
        if len(parts) >= MAX_PARTS:
            raise _bad(f"more than {MAX_PARTS} parts")
        if body.startswith(b"\r\n", pos):  # no header lines at all
            raise _bad("a part without a name")
        end_head = body.find(b"\r\n\r\n", pos, pos + MAX_HEADER_BYTES + 4)
        if end_head < 0:
            raise _bad("part headers missing their end or too long")
        name, filename, ctype = _headers(body[pos:end_head])
        start = end_head + 4
        nxt = body.find(delim, start)
        if nxt < 0:
            raise _bad("no closing boundary")
        parts.append(Part(name, filename, ctype, body[start:nxt]))
        pos = nxt + len(delim)


def fields(parts: list[Part]) -> dict[str, str]:
    """The plain (non-file) fields of ``parts`` as text, first value of each name."""
    out: dict[str, str] = {}
    for p in parts:
        if p.filename is None:
            out.setdefault(p.name, p.text())
    return out
