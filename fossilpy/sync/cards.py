"""The xfer message codec: lines, tokens, payloads and HTTP body framing.

A sync message (Fossil 2.21 ``www/sync.wiki``, ``src/xfer.c``) is a byte
string of cards, one per line::

    message  := { card }
    card     := comment | blank | TOKEN { SP TOKEN } LF [ payload ]
    comment  := "#" ... LF            (ignored; "# timestamp ..." ends replies)
    TOKEN    := non-whitespace bytes; free text inside a token is
                "fossilized": \\s space, \\n LF, \\t, \\r, \\v, \\f, \\0, \\\\
    payload  := exactly SIZE raw bytes following the LF of
                  file HASH [SRCHASH] SIZE          (no separator after)
                  cfile HASH [SRCHASH] USIZE CSIZE  (sender adds LF if absent)
                  uvfile NAME MTIME HASH SIZE FLAGS (absent when FLAGS&5)
                  config NAME SIZE                  (followed by one skipped byte)

At most six tokens of a line are looked at; the rest are ignored.

HTTP body framing depends on the Content-Type of the request or reply::

    application/x-fossil               SIZE(4 bytes, big-endian) + zlib(message)
    application/x-fossil-debug         message as is
    application/x-fossil-uncompressed  message as is (clone protocol 3 replies)

The login card, when present, is the first line *inside* the framed body.
"""

from __future__ import annotations

import os

from fossilpy.artifact import hname
from fossilpy.errors import ProtocolError
from fossilpy.text import is_digits

CT_COMPRESSED = "application/x-fossil"
CT_DEBUG = "application/x-fossil-debug"
CT_UNCOMPRESSED = "application/x-fossil-uncompressed"

#: Fossil looks at no more than this many tokens of a line.
MAX_TOKENS = 6

_WS = b" \t\n\r\v\f"
_HEX = frozenset(b"0123456789abcdefABCDEF")

_FOSSILIZE = {
    "\0": "\\0", "\\": "\\\\", "\n": "\\n", " ": "\\s",
    "\t": "\\t", "\r": "\\r", "\v": "\\v", "\f": "\\f",
}
_DEFOSSILIZE = {"n": "\n", "s": " ", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "0": "\0", "\\": "\\"}


def fossilize(text: str) -> str:
    """Encode free text as one token (Fossil's ``fossilize``)."""
    if not any(c in _FOSSILIZE for c in text):
        return text
    return "".join(_FOSSILIZE.get(c, c) for c in text)


def defossilize(text: str) -> str:
    """Undo :func:`fossilize`; an unknown escape yields the escaped character."""
    if "\\" not in text:
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            i += 1
            c = _DEFOSSILIZE.get(text[i], text[i])
        out.append(c)
        i += 1
    return "".join(out)


def urlize(text: str) -> str:
    """Fossil's ``%T`` conversion (used by some server error cards): space
    becomes ``+``; alphanumerics and ``. $ ~ - _ / :`` stay; the rest ``%HH``."""
    safe = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.$~-_/:"
    out = []
    for b in text.encode():
        out.append(chr(b) if b in safe else "+" if b == 32 else f"%{b:02X}")
    return "".join(out)


def is_hname(tok: bytes) -> bool:
    """True for a 40- or 64-digit hexadecimal artifact name."""
    return len(tok) in (40, 64) and _HEX.issuperset(tok)


#: Significant digits of the largest number a card may carry: every
#: number (size, time, version, sequence) is far below 10**18, which still
#: fits SQLite's 64-bit integers.
MAX_DIGITS = 18


def as_int(tok: bytes) -> int | None:
    """Fossil's ``blob_is_int``: decimal digits only (empty counts as 0).

    A number of more than :data:`MAX_DIGITS` significant digits is no
    number (None): Fossil's C ``int`` would wrap, and converting thousands
    of digits would raise ``ValueError`` in Python.
    """
    if tok and not is_digits(tok):
        return None
    if len(tok) > MAX_DIGITS and len(tok.lstrip(b"0")) > MAX_DIGITS:
        return None
    return int(tok) if tok else 0


def is_simple_filename(name: str) -> bool:
    """Fossil's ``file_is_simple_pathname`` (strict): a relative path without
    ``.``/``..`` segments, ``//``, a trailing ``/`` or backslashes."""
    if not name or name[0] == "/" or "\\" in name or name.endswith("/"):
        return False
    for seg in name.split("/"):
        if seg in ("", ".", ".."):
            return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return all(ord(c) <= 0xFFFF for c in name)


class Reader:
    """Cursor over one received message.

    ``next_card()`` returns ``(line, tokens)`` for the next line (``line``
    keeps its LF); payload bytes are taken with :meth:`extract` right after
    the card that announced them, exactly as Fossil's ``blob_extract`` does
    (a short read returns what is left).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def next_card(self) -> tuple[bytes, list[bytes]] | None:
        data, pos = self.data, self.pos
        if pos >= len(data):
            return None
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        line = data[pos:end]
        self.pos = end
        return line, line.split(None, MAX_TOKENS)[:MAX_TOKENS]

    def extract(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def skip(self, n: int) -> None:
        self.pos = min(len(self.data), self.pos + n)

    def tail(self) -> bytes:
        """Every byte after the cursor (what a login card's nonce covers)."""
        return self.data[self.pos :]

    def percent(self) -> int:
        return (self.pos * 100) // len(self.data) if self.data else 100


def random_comment() -> bytes:
    """The ``# <40 hex>`` line a client ends each request with."""
    return b"# " + os.urandom(20).hex().upper().encode() + b"\n"


def sha1hex(data: bytes) -> str:
    return hname.sha1(data)


def login_card(user: str, secret: str, payload: bytes) -> bytes:
    """``login USER NONCE SIG``: NONCE = sha1(payload), SIG = sha1(NONCE+SECRET)."""
    nonce = sha1hex(payload)
    sig = sha1hex((nonce + secret).encode())
    return f"login {fossilize(user)} {nonce} {sig}\n".encode()


def frame(message: bytes, content_type: str) -> bytes:
    """Encode a message as an HTTP body of ``content_type``."""
    if content_type == CT_COMPRESSED:
        from fossilpy.artifact import blob

        return blob.compress(message)
    return message


#: A compressed message may expand to at most this much plus
#: EXPANSION_RATIO times its compressed size.  Real messages (source code,
#: deltas, already-compressed cfile payloads) stay far below; a few hundred
#: KB crafted to declare gigabytes is refused before anything is inflated.
EXPANSION_BASE = 32 * 1024 * 1024
EXPANSION_RATIO = 16


def unframe(body: bytes, content_type: str, *, limit: int | None = None) -> bytes:
    """Decode an HTTP body; raise ProtocolError on bad framing.

    ``limit`` caps the uncompressed size (default: EXPANSION_BASE +
    EXPANSION_RATIO x the body's size).
    """
    ct = content_type.split(";")[0].strip().lower()
    if ct == CT_COMPRESSED:
        from fossilpy.artifact import blob
        from fossilpy.errors import ArtifactError

        if limit is None:
            limit = EXPANSION_BASE + EXPANSION_RATIO * len(body)
        try:
            return blob.uncompress(body, what="sync message", limit=limit)
        except ArtifactError as exc:
            raise ProtocolError(str(exc)) from None
    if ct in (CT_DEBUG, CT_UNCOMPRESSED):
        return body
    raise ProtocolError(f"not a sync message (content type {content_type!r})")


def is_xfer_type(content_type: str | None) -> bool:
    """True for any of the three x-fossil content types."""
    return content_type is not None and content_type.split(";")[0].strip().lower().startswith(CT_COMPRESSED)
