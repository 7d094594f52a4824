"""Argument-level syntax of artifact cards: escaping, dates, names.

Escaping ("fossilizing") of text arguments such as the C, U, L, H and T
value cards.  Each of these bytes is written as a backslash pair::

    NUL -> \\0    "\\" -> \\\\    SP -> \\s    LF -> \\n
    TAB -> \\t    CR -> \\r       VT -> \\v    FF -> \\f

When decoding, a backslash followed by any other byte stands for that byte
and a backslash at the very end stays a backslash.  A decoded NUL ends the
value (Fossil keeps values as C strings), so ``a\\0b`` decodes to ``a``.

Dates of D and E cards are read as SQLite 3.41's ``julianday()`` reads its
text argument (Fossil runs ``SELECT julianday(%Q)`` on the card argument)::

    date     := ["-"] YYYY "-" MM "-" DD {SPACE | "T"}* [time]   (01..12, 01..31)
              | time                                     (day 2000-01-01)
              | NUMBER                                   (a Julian day number)
              | "now"                                    (any case: current time)
    time     := HH ":" MM [":" SS ["." DIGIT+]] SPACE* [zone]  (00..24, 00..59)
    zone     := ("+" | "-") HH ":" MM SPACE*  |  ("Z" | "z") SPACE*

:func:`julian_ms` gives SQLite's integer milliseconds since Julian day 0 and
:func:`julianday` that number divided by 86400000.0, the double SQLite
returns.  Fossil does not store that double directly: it writes REALs into
SQL as text with its own ``printf("%.17g")``, which keeps 16 significant
digits computed in 80-bit arithmetic, so ``event.mtime`` (and the other
mtime columns) are the Julian day after that round trip, not the Julian day
itself (they differ in the last bits); ``fossilpy.repo.crosslink.fossil_real``
reproduces that conversion.

Names: :func:`is_simple_path` (F and A card file names),
:func:`is_reserved_name` (checkout-database names Fossil drops from
manifests) and :func:`is_wiki_name` (the L card and attachment targets).
"""

from __future__ import annotations

import re

from fossilpy.text import is_digits

_ENCODE = str.maketrans(
    {
        "\0": "\\0",
        "\\": "\\\\",
        " ": "\\s",
        "\n": "\\n",
        "\t": "\\t",
        "\r": "\\r",
        "\v": "\\v",
        "\f": "\\f",
    }
)
_NEEDS_ESCAPE = re.compile("[\0\\\\ \n\t\r\v\f]")
_DECODE = {
    ord("n"): b"\n",
    ord("s"): b" ",
    ord("t"): b"\t",
    ord("r"): b"\r",
    ord("v"): b"\v",
    ord("f"): b"\f",
    ord("0"): b"\0",
}
_ESCAPE_PAIR = re.compile(rb"\\(.)", re.DOTALL)


def fossilize(text: str) -> str:
    """Escape ``text`` for use as one card argument."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return text.translate(_ENCODE)


def _unescape(match: re.Match[bytes]) -> bytes:
    c = match.group(1)[0]
    return _DECODE.get(c) or match.group(1)


def defossilize_bytes(raw: bytes) -> bytes:
    """Decode an escaped card argument; the result ends at a decoded NUL."""
    if b"\\" not in raw:
        return raw
    out = _ESCAPE_PAIR.sub(_unescape, raw)
    nul = out.find(b"\0")
    return out if nul < 0 else out[:nul]


def defossilize(text: str) -> str:
    """Decode an escaped card argument (str form of :func:`defossilize_bytes`)."""
    if "\\" not in text:
        return text
    raw = text.encode("utf-8", "surrogateescape")
    return defossilize_bytes(raw).decode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------
# julianday()

_SPACES = b" \t\n\v\f\r"
_MAX_IJD = 464269060799999  # 9999-12-31 23:59:59.999
_NUMBER = re.compile(rb"[ \t\n\v\f\r]*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[ \t\n\v\f\r]*\Z")


def _digits(s: bytes, pos: int, count: int, lo: int, hi: int) -> int | None:
    """``count`` digits at ``pos`` as an int within [lo, hi], else None."""
    chunk = s[pos : pos + count]
    if len(chunk) != count or not is_digits(chunk):
        return None
    value = int(chunk)
    return value if lo <= value <= hi else None


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _at(s: bytes, pos: int) -> int:
    return s[pos] if pos < len(s) else 0


def _parse_zone(s: bytes, pos: int) -> int | None:
    """Minutes east of UTC of a zone suffix at ``pos``; None if malformed."""
    while _at(s, pos) and _at(s, pos) in _SPACES:
        pos += 1
    c = _at(s, pos)
    tz = 0
    if c in (0x2B, 0x2D):  # + -
        hh = _digits(s, pos + 1, 2, 0, 14)
        mm = _digits(s, pos + 4, 2, 0, 59) if _at(s, pos + 3) == 0x3A else None
        if hh is None or mm is None:
            return None
        tz = (hh * 60 + mm) * (1 if c == 0x2B else -1)
        pos += 6
    elif c in (0x5A, 0x7A):  # Z z
        pos += 1
    else:
        return 0 if c == 0 else None
    while _at(s, pos) and _at(s, pos) in _SPACES:
        pos += 1
    return tz if pos >= len(s) else None


def _parse_time(s: bytes, pos: int) -> tuple[int, int, float, int] | None:
    """(hour, minute, seconds, zone minutes) of a time at ``pos``."""
    h = _digits(s, pos, 2, 0, 24)
    if h is None or _at(s, pos + 2) != 0x3A:
        return None
    m = _digits(s, pos + 3, 2, 0, 59)
    if m is None:
        return None
    pos += 5
    sec = 0.0
    if _at(s, pos) == 0x3A:
        whole = _digits(s, pos + 1, 2, 0, 59)
        if whole is None:
            return None
        pos += 3
        frac = 0.0
        if _at(s, pos) == 0x2E and 0x30 <= _at(s, pos + 1) <= 0x39:
            scale = 1.0
            pos += 1
            while 0x30 <= _at(s, pos) <= 0x39:
                frac = frac * 10.0 + (s[pos] - 0x30)
                scale *= 10.0
                pos += 1
            frac /= scale
        sec = whole + frac
    tz = _parse_zone(s, pos)
    if tz is None:
        return None
    return h, m, sec, tz


def _ymd_to_ijd(y: int, mo: int, d: int) -> int | None:
    if y < -4713 or y > 9999:
        return None
    if mo <= 2:
        y -= 1
        mo += 12
    a = _cdiv(y, 100)
    b = 2 - a + _cdiv(a, 4)
    x1 = _cdiv(36525 * (y + 4716), 100)
    x2 = _cdiv(306001 * (mo + 1), 10000)
    return int((x1 + x2 + d + b - 1524.5) * 86400000)


#: the form every D card Fossil writes has: YYYY-MM-DDTHH:MM:SS[.SSS]
_PLAIN_DATE = re.compile(rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?\Z")


def julian_ms(text: str | bytes) -> int | None:
    """Milliseconds since Julian day 0 as SQLite computes them; None if invalid."""
    s = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    mo = _PLAIN_DATE.match(s)
    if mo is not None:  # the usual form: whole milliseconds, no zone
        y, mo_, d, h, mi, sec, frac = mo.groups()
        mon, dom, hour, minute, second = int(mo_), int(d), int(h), int(mi), int(sec)
        if 1 <= mon <= 12 and 1 <= dom <= 31 and hour <= 24 and minute <= 59 and second <= 59:
            days = _ymd_to_ijd(int(y), mon, dom)
            if days is not None:
                ms = days + hour * 3600000 + minute * 60000 + second * 1000
                if frac is not None:
                    ms += int(frac.ljust(3, b"0"))
                return ms if 0 <= ms <= _MAX_IJD else None
    nul = s.find(b"\0")
    if nul >= 0:
        s = s[:nul]
    ijd: int | None = None
    pos = 1 if s[:1] == b"-" else 0
    year = _digits(s, pos, 4, 0, 9999)
    month = day = None
    if year is not None and _at(s, pos + 4) == 0x2D:
        month = _digits(s, pos + 5, 2, 1, 12)
        if month is not None and _at(s, pos + 7) == 0x2D:
            day = _digits(s, pos + 8, 2, 1, 31)
    if day is not None:
        assert year is not None and month is not None
        if pos:
            year = -year
        pos += 10
        while _at(s, pos) and (_at(s, pos) in _SPACES or s[pos] == 0x54):
            pos += 1
        hms = _parse_time(s, pos)
        if hms is None and pos < len(s):
            return None
        ijd = _ymd_to_ijd(year, month, day)
    else:
        hms = _parse_time(s, 0)
        if hms is not None:
            ijd = _ymd_to_ijd(2000, 1, 1)
        elif s.lower() == b"now":  # SQLite: the current time
            import time

            return int(time.time() * 1000) + 210866760000000
        elif _NUMBER.match(s):
            r = float(s)
            if not 0.0 <= r < 5373484.5:
                return None
            ijd = int(r * 86400000.0 + 0.5)
            return ijd if 0 <= ijd <= _MAX_IJD else None
        else:
            return None
    if ijd is None:
        return None
    if hms is not None:
        h, m, sec, tz = hms
        ijd += h * 3600000 + m * 60000 + int(sec * 1000 + 0.5) - tz * 60000
    return ijd if 0 <= ijd <= _MAX_IJD else None


def julianday(text: str | bytes) -> float | None:
    """SQLite ``julianday(text)``; None where SQLite returns NULL."""
    ms = julian_ms(text)
    return None if ms is None else ms / 86400000.0


# ---------------------------------------------------------------------------
# names


#: a path with an empty, "." or ".." segment (this also catches a leading or
#: trailing "/" and "//")
_BAD_PATH = re.compile(rb"(?:^|/)\.{0,2}(?:/|\Z)")


def is_simple_path(name: bytes) -> bool:
    """A relative path with no empty, "." or ".." segment (F and A card names)."""
    return _BAD_PATH.search(name) is None


def is_reserved_name(name: bytes) -> bool:
    """True for checkout-database names that Fossil drops from manifests.

    ``_FOSSIL_`` and ``.fslckout`` at the top level or after a "/"; with a
    ``-wal``, ``-shm`` or ``-journal`` suffix any name ending in those
    (case-insensitive), as Fossil's ``file_is_reserved_name`` decides.
    """
    n = len(name)
    if n < 8 or name[-1] not in b"_tTlLmM":  # last byte of every reserved form
        return False
    low = name.lower()
    suffixed = False
    if n >= 12:
        if low[-4] == 0x2D:
            if low[-3:] not in (b"wal", b"shm"):
                return False
            low, suffixed = low[:-4], True
        elif n >= 16 and low[-8] == 0x2D:
            if low[-7:] != b"journal":
                return False
            low, suffixed = low[:-8], True
    for base in (b"_fossil_", b".fslckout"):
        if low.endswith(base):
            if len(low) == len(base) or low[-len(base) - 1] == 0x2F:
                return True
            return suffixed
    return False


def is_wiki_name(name: bytes) -> bool:
    """1..100 bytes, no control characters, no leading, trailing or double space."""
    if not name or name[0] <= 0x20 or len(name) > 100:
        return False
    if name[-1] == 0x20 or b"  " in name:
        return False
    return not any(c < 0x20 for c in name)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822_date(when: float) -> str:
    """``when`` (Unix seconds) as Fossil 2.21 writes ``Date:`` headers.

    ``cgi_rfc822_datestamp`` in ``src/cgi.c``, used for HTTP replies and
    email alike: the day of the month is not zero-padded and the zone is
    ``+0000``, e.g. ``Sun, 6 Nov 1994 08:49:37 +0000``.
    """
    import time

    t = time.gmtime(int(when))
    return (f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")
