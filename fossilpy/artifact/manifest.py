"""Structural artifacts: parse and write every kind in ``www/fileformat.wiki``.

INTERFACE (fixed; the parser and writer are implemented below it):

* ``parse(data: bytes) -> Manifest`` parses a structural artifact strictly,
  as Fossil 2.21's ``manifest_parse`` does, and raises
  ``fossilpy.errors.ArtifactError`` with a one-line reason otherwise.
* ``parse_or_none(data) -> Manifest | None``: None for content that is not a
  (well-formed) structural artifact; used by crosslinking, where such content
  is simply an ordinary file.
* ``Manifest.to_bytes() -> bytes`` writes the cards in canonical order and
  appends the Z card (MD5 of everything before it).  For every artifact
  Fossil wrote, ``parse(data).to_bytes() == data``.
* ``fossilize(text) / defossilize(text)``: the escaping of card arguments.
* ``looks_structural(data)``: a cheap pre-check; False means "certainly a
  plain file".  ``repo_checksum(files)``: the R card value.

Card letters map to fields as listed on :class:`Manifest`.

Syntax (one card per line, letters strictly ascending; a technote may have
N after P)::

    artifact := [PGP-HEADER BLANK-LINE] card* "Z " MD5 "\n" [PGP-SIGNATURE]
    card     := LETTER ["\n" | " " ARG (" " ARG)* "\n"]
              | "W " SIZE "\n" SIZE-BYTES "\n"
    A NAME TARGET [SRC]     B HASH          C TEXT        D DATE
    E DATE HASH             F NAME [HASH [PERM [OLD]]]    G HASH
    H TEXT                  I HASH          J [+]NAME [TEXT]
    K 40-HEX                L NAME          M HASH        N TEXT
    P HASH*                 Q (+|-)HASH [HASH]            R MD5
    T (+|-|*)NAME (HASH|*) [TEXT]           U [TEXT]      W SIZE
    Z MD5 (MD5 of every byte before the Z card)

HASH is 40 or 64 hex digits; TEXT, NAME and OLD are escaped with
:func:`fossilize`.  Fields are str; bytes that are not UTF-8 survive as
surrogate escapes (Fossil does not require UTF-8), so writing them back
reproduces the input.  When an input is accepted but is not in the canonical
form this module writes (escapes Fossil would not use, N after P in an old
technote, a PGP wrapper, ...), ``to_bytes()`` returns the original bytes
while the fields are unchanged.  ``parse`` keeps the input in
``Manifest.source`` (left out of ``==``, ``repr`` and ``__init__``) and ``to_bytes`` works
this out only when called (parsing is hot, writing back is rare); setting
``extra["verbatim"] = (body as parsed, bytes)`` does the same eagerly.
``extra["empty_p"]`` marks an empty ``P`` card.

Error messages are Fossil's: ``line N: REASON`` where N counts cards.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fossilpy.artifact import hname
from fossilpy.artifact.fossilize import (
    defossilize,
    defossilize_bytes,
    fossilize,
    is_reserved_name,
    is_simple_path,
    is_wiki_name,
    julian_ms,
)
from fossilpy.errors import ArtifactError

__all__ = [
    "ArtifactType",
    "FileCard",
    "TagCard",
    "CherryPick",
    "TicketField",
    "Manifest",
    "parse",
    "parse_or_none",
    "looks_structural",
    "repo_checksum",
    "fossilize",
    "defossilize",
]


class ArtifactType(enum.IntEnum):
    """Numbers as in Fossil's CFTYPE_* constants."""

    MANIFEST = 1
    CLUSTER = 2
    CONTROL = 3
    WIKI = 4
    TICKET = 5
    ATTACHMENT = 6
    EVENT = 7  # technote
    FORUM = 8


@dataclass
class FileCard:
    """``F NAME [HASH [PERM [OLDNAME]]]``.

    ``uuid`` is None in a delta manifest when the file is deleted.
    ``perm`` is None, "x" (executable), "l" (symlink) or "w" (written so
    that an old name can follow).  ``prior`` is the old name of a rename.
    """

    name: str
    uuid: str | None
    perm: str | None = None
    prior: str | None = None


@dataclass
class TagCard:
    """``T PREFIXNAME TARGET [VALUE]``; prefix "+" (one-shot), "*" (propagating), "-" (cancel).

    ``uuid`` is None when TARGET is ``*`` (the artifact itself).
    """

    prefix: str
    name: str
    uuid: str | None
    value: str | None = None


@dataclass
class CherryPick:
    """``Q (+|-)HASH [BASELINE]``: "+" cherry-pick, "-" backout."""

    sign: str
    target: str
    base: str | None = None


@dataclass
class TicketField:
    """``J [+]NAME [VALUE]``; a leading "+" means append to the field."""

    name: str
    value: str
    append: bool = False


@dataclass
class Manifest:
    """One parsed structural artifact; unused cards stay None/empty.

    Card -> field: A -> attach_name/attach_target/attach_src, B -> baseline,
    C -> comment, D -> date (text as written) and julian (Julian day number
    computed as SQLite's julianday() does), E -> event_date/event_id,
    F -> files, G -> thread_root, H -> forum_title, I -> reply_to,
    J -> fields, K -> ticket_uuid, L -> wiki_title, M -> clusters,
    N -> mimetype, P -> parents, Q -> cherrypicks, R -> repo_cksum,
    T -> tags, U -> user, W -> text, Z -> z.
    """

    type: ArtifactType
    comment: str | None = None
    date: str | None = None
    julian: float = 0.0
    baseline: str | None = None
    files: list[FileCard] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    cherrypicks: list[CherryPick] = field(default_factory=list)
    repo_cksum: str | None = None
    tags: list[TagCard] = field(default_factory=list)
    user: str | None = None
    mimetype: str | None = None
    wiki_title: str | None = None
    text: str | None = None
    fields: list[TicketField] = field(default_factory=list)
    ticket_uuid: str | None = None
    attach_name: str | None = None
    attach_target: str | None = None
    attach_src: str | None = None
    event_date: str | None = None
    event_julian: float = 0.0
    event_id: str | None = None
    clusters: list[str] = field(default_factory=list)
    thread_root: str | None = None
    reply_to: str | None = None
    forum_title: str | None = None
    z: str | None = None
    #: parser notes: "empty_p" (True: an empty P card, as in old root
    #: check-ins), "verbatim" ((canonical body, original bytes) when the input
    #: was not in canonical form; see the module docstring)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the bytes :func:`parse` read (None for a built manifest); ``==`` ignores it
    source: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def to_bytes(self) -> bytes:
        """The artifact text: canonical cards, then the computed Z card.

        The parsed bytes instead, if the input was not canonical and the
        fields still describe it.
        """
        body = _render(self, sort=True)
        verbatim = self.extra.get("verbatim")
        if verbatim is None and self.source is not None:
            verbatim = _verbatim(self.source)
        if verbatim is not None and verbatim[0] == body:
            original: bytes = verbatim[1]
            return original
        return body + b"Z " + hname.md5(body).hexdigest().encode() + b"\n"


def _verbatim(data: bytes) -> tuple[bytes, bytes] | None:
    """(cards as parsed, ``data``) if ``data`` is a structural artifact that
    is not in canonical form; None otherwise."""
    try:
        m = parse(data)
    except ArtifactError:
        return None
    start, end = _strip_pgp(data)
    body = _render(m, sort=False)
    if data != body + data[end - 35 : end] or start != 0 or end != len(data):
        return body, data
    return None


_TYPE_NAMES = {
    ArtifactType.MANIFEST: "manifest",
    ArtifactType.CLUSTER: "cluster",
    ArtifactType.CONTROL: "tag",
    ArtifactType.WIKI: "wiki",
    ArtifactType.TICKET: "ticket",
    ArtifactType.ATTACHMENT: "attachment",
    ArtifactType.EVENT: "technote",
    ArtifactType.FORUM: "forum post",
}


def _mask(letters: str) -> int:
    m = 0
    for c in letters:
        m |= 1 << (ord(c) - 65)
    return m


#: type -> (allowed cards, required cards), from manifestCardTypes[].
_CARDS = {
    ArtifactType.MANIFEST: (_mask("BCDFNPQRTUZ"), _mask("DZ")),
    ArtifactType.CLUSTER: (_mask("MZ"), _mask("MZ")),
    ArtifactType.CONTROL: (_mask("DTUZ"), _mask("DTUZ")),
    ArtifactType.WIKI: (_mask("CDLNPUWZ"), _mask("DLUWZ")),
    ArtifactType.TICKET: (_mask("DJKUZ"), _mask("DJKUZ")),
    ArtifactType.ATTACHMENT: (_mask("ACDNUZ"), _mask("ADZ")),
    ArtifactType.EVENT: (_mask("CDENPTUWZ"), _mask("DEWZ")),
    ArtifactType.FORUM: (_mask("DGHINPUWZ"), _mask("DUWZ")),
}

_HEXCHARS = frozenset(b"0123456789abcdefABCDEF")
_PGP_HEAD = b"-----BEGIN PGP SIGNED MESSAGE-----"
_PGP_SIG = b"\n-----BEGIN PGP SIGNATURE"


#: an F card with plain tokens: NAME HASH [PERM]
_F_FAST = re.compile(rb"F ([^ \n\\\0]+) ([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)(?: ([^ \n\0]+))?\n")


def _is_hex(tok: bytes) -> bool:
    return _HEXCHARS.issuperset(tok)


def _is_hash(tok: bytes | None) -> bool:
    return tok is not None and len(tok) in (40, 64) and _HEXCHARS.issuperset(tok)


def _s(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _lowest_letter(mask: int) -> str:
    c = 0
    while not mask & 1:
        mask >>= 1
        c += 1
    return chr(65 + c)


class _Syntax(Exception):
    """Internal: a card error, turned into "line N: reason"."""


def _strip_pgp(data: bytes) -> tuple[int, int]:
    """(start, end) of the signed text inside an optional PGP clear-sign wrapper."""
    if not data.startswith(_PGP_HEAD):
        return 0, len(data)
    i = 34
    n = len(data)
    # the text starts after the first blank line (LF LF or LF CR LF)
    while i < n:
        if data[i - 1] == 0x0A and (data[i - 2] == 0x0A or data[i - 3 : i - 1] == b"\n\r"):
            break
        i += 1
    else:
        return 0, n
    end = data.rfind(_PGP_SIG, i)
    return i, (end + 1 if end >= 0 else n)


def looks_structural(data: bytes) -> bool:
    """Cheap test: False means ``data`` is certainly not a structural artifact.

    Mirrors the quick checks of Fossil's ``manifest_is_well_formed``: a first
    card A..M followed by a second card whose letter is not smaller.
    """
    start, end = _strip_pgp(data)
    if end - start < 3:
        return False
    c0 = data[start]
    if not (0x41 <= c0 <= 0x4D) or data[start + 1] != 0x20:
        return False
    i = data.find(b"\n", start + 2, end)
    if i < 0 or i >= end - 3:
        return False
    c1 = data[i + 1]
    return 0x41 <= c1 <= 0x5A and c1 >= c0 and data[i + 2] == 0x20


def find_file_card(data: bytes, name: str) -> tuple[bool, str | None, str, str | None]:
    """Fossil's ``manifest_file_find`` on a crosslinked check-in's text, without parsing it all:
    ``(found, hash (None: removed by this delta manifest), perm, B-card baseline)``.  A card is
    one line and a C card never holds a raw newline, so only an F card starts "\\nF NAME "."""
    start, end = _strip_pgp(data)
    baseline = None
    if data.startswith(b"B ", start):
        baseline = data[start + 2 : data.find(b"\n", start)].decode("ascii", "replace")
    raw = name.encode("utf-8", "surrogateescape")
    if is_reserved_name(raw) or not is_simple_path(raw):
        return False, None, "", baseline
    key = b"\nF " + fossilize(name).encode("utf-8", "surrogateescape")
    lo = start - 1 if start else 0
    at = data.find(key + b" ", lo, end)
    if at < 0:
        return data.find(key + b"\n", lo, end) >= 0, None, "", baseline
    eol = data.find(b"\n", at + 1)
    toks = data[at + len(key) + 1 : eol if eol >= 0 else end].split(b" ")
    perm = toks[1].decode("ascii", "replace") if len(toks) > 1 else ""
    return True, toks[0].decode("ascii", "replace"), perm, baseline


def sterilize(data: bytes, kind: str = "manifest") -> bytes:
    """Fossil's ``sterilize_manifest``: the text with a line that keeps it from parsing as an
    artifact (the ``manifest`` file of a checkout or an archive), put before a PGP signature."""
    line = f"# Remove this line to create a well-formed Fossil {kind}.\n".encode()
    start, end = _strip_pgp(data)
    return data + line if start == 0 else data[:end] + line + data[end:]


def parse_or_none(data: bytes) -> Manifest | None:
    """Like :func:`parse` but None for anything Fossil would not parse."""
    try:
        return parse(data)
    except ArtifactError:
        return None


def parse(data: bytes) -> Manifest:
    """Parse a structural artifact as strictly as Fossil 2.21; see module doc."""
    return _parse(data, True)


def parse_own_z_or_none(data: bytes) -> Manifest | None:
    """:func:`parse_or_none` for text whose Z card the caller has just
    computed itself (the MD5 is not checked again)."""
    try:
        return _parse(data, False)
    except ArtifactError:
        return None


def _parse(data: bytes, check_z: bool) -> Manifest:
    data = bytes(data)
    n = len(data)
    if n == 0:
        raise ArtifactError("zero-length")
    if data[-1] != 0x0A:
        raise ArtifactError("not terminated with \\n")
    start, end = _strip_pgp(data)
    if end - start < 10 or not 0x41 <= data[start] <= 0x5A or data[start + 1] != 0x20:
        raise ArtifactError("line 1 not recognized")
    if check_z and end - start >= 35 and data[end - 35] == 0x5A and data[end - 34] == 0x20:
        expected = hname.md5(data[start : end - 35]).hexdigest().encode()
        if data[end - 33 : end - 1] != expected:
            raise ArtifactError(f"incorrect Z-card cksum: expected {expected.decode()}")
    state = _Parser(data, start, end)
    try:
        m = state.run()
    except _Syntax as exc:
        if exc.args[0] is None:
            raise ArtifactError(f"unknown error on line {state.line_no}") from None
        raise ArtifactError(f"line {state.line_no}: {exc.args[0]}") from None
    m.source = data  # to_bytes checks whether this is canonical
    return m


#: Cards with exactly one argument and no other rule:
#: letter -> (field, kind, message when missing, message when invalid, type set)
_SINGLE: dict[int, tuple[str, str, str, str, int]] = {
    0x42: ("baseline", "hash", "missing hash on B-card", "invalid hash on B-card", 1),
    0x43: ("comment", "text", "missing comment text on C-card", "", 0),
    0x47: ("thread_root", "hash", "missing hash on G-card", "Invalid hash on G-card", 8),
    0x48: ("forum_title", "text", "missing title on H-card", "", 8),
    0x49: ("reply_to", "hash", "missing hash on I-card", "Invalid hash on I-card", 8),
    0x4B: ("ticket_uuid", "hex40", "K-card UUID is the wrong size", "invalid K-card UUID", 5),
    0x4C: ("wiki_title", "wiki", "missing title on L-card", "L-card has malformed wiki name", 4),
    0x4E: ("mimetype", "text", "missing mimetype on N-card", "", 0),
    0x52: ("repo_cksum", "hex32", "wrong size cksum on R-card", "malformed R-card cksum", 1),
}


def _unescape(tok: bytes) -> bytes:
    return defossilize_bytes(tok) if b"\\" in tok else tok


class _Parser:
    """One pass over the cards of ``data[start:end]``; ``line_no`` counts cards."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data = data
        self.start = start
        self.end = end
        self.line_no = 0

    def run(self) -> Manifest:  # noqa: C901  (one branch per card letter)
        data, end = self.data, self.end
        has_nul = b"\0" in data
        m = Manifest(type=ArtifactType.MANIFEST)
        files = m.files
        mtype = seen = prev = 0
        pos = self.start
        prev_file = prev_field = prev_cluster = None
        prev_tag: tuple[bytes, bytes | None] | None = None
        self_tags = simple_tags = 0
        fast_f = _F_FAST.match
        while pos < end:
            c = data[pos]
            if c == 0x46 and prev <= 0x46:
                # Fast path for the common "F NAME HASH [PERM]" line; anything
                # unusual falls through to the general code below.
                mo = fast_f(data, pos, end)
                if mo is not None:
                    name = mo.group(1)
                    if (prev_file is None or prev_file < name) and is_simple_path(name) and not is_reserved_name(name):
                        perm = mo.group(3)
                        files.append(
                            FileCard(
                                _s(name),
                                mo.group(2).decode("ascii"),
                                None if perm is None else _s(perm),
                            )
                        )
                        prev_file = name
                        prev = c
                        seen |= 1 << 5
                        mtype = 1
                        self.line_no += 1
                        pos = mo.end()
                        continue
            c2 = data[pos + 1] if pos + 1 < len(data) else 0
            if c == 0:  # Fossil's card reader stops at a NUL letter
                if c2 == 0x0A:
                    pos += 2
                break
            if c2 == 0x20:
                eol = data.find(b"\n", pos)
                line = data[pos + 2 : eol]
                toks = (line.replace(b"\0", b" ") if has_nul else line).split(b" ")
                pos = eol + 1
            elif c2 == 0x0A:
                toks = []
                pos += 2
            else:
                break
            # out of order, except an N card after the P cards of a technote
            if c >= 0x80 or (c < prev and not (c == 0x4E and prev == 0x50 and m.event_id is not None)):
                raise _Syntax("cards not in lexicographical order")
            self.line_no += 1
            if not 0x41 <= c <= 0x5A:
                raise _Syntax("bad card type")
            seen |= 1 << (c - 65)
            prev = c
            nt = len(toks)
            used = 1
            if c == 0x46:  # F NAME [HASH [PERM [OLDNAME]]]
                if not nt:
                    raise _Syntax("missing filename on F-card")
                used = 4
                name = _unescape(toks[0])
                if not is_simple_path(name):
                    raise _Syntax("F-card filename is not a simple path")
                uuid = toks[1] if nt > 1 else None
                if uuid is not None or m.baseline is None:
                    if uuid is None:
                        raise _Syntax("missing hash on F-card")
                    if not _is_hash(uuid):
                        raise _Syntax("F-card hash invalid")
                prior = None
                if nt > 3:
                    prior = _unescape(toks[3])
                    if not is_simple_path(prior):
                        raise _Syntax("F-card old filename is not a simple path")
                if prev_file is not None and prev_file >= name:
                    raise _Syntax("incorrect F-card sort order")
                if not is_reserved_name(name):  # reserved names are dropped, as Fossil does
                    prev_file = name
                    files.append(
                        FileCard(
                            _s(name),
                            None if uuid is None else uuid.decode("ascii"),
                            None if nt < 3 else _s(toks[2]),
                            None if prior is None else _s(prior),
                        )
                    )
                    mtype = 1
            elif c in _SINGLE:
                attr, kind, missing, invalid, ctype = _SINGLE[c]
                if getattr(m, attr) is not None:
                    raise _Syntax(f"more than one {chr(c)}-card")
                tok = toks[0] if nt else None
                if kind == "hash":
                    if tok is None:
                        raise _Syntax(missing)
                    if not _is_hash(tok):
                        raise _Syntax(invalid)
                elif kind == "hex40" or kind == "hex32":
                    if tok is None or len(tok) != int(kind[3:]):
                        raise _Syntax(missing)
                    if not _is_hex(tok):
                        raise _Syntax(invalid)
                else:
                    if tok is None:
                        raise _Syntax(missing)
                    tok = _unescape(tok)
                    if kind == "wiki" and not is_wiki_name(tok):
                        raise _Syntax(invalid)
                setattr(m, attr, _s(tok))
                mtype = ctype or mtype
            elif c == 0x41:  # A NAME TARGET [SRC]
                if nt < 2 or m.attach_name is not None:
                    raise _Syntax(None)
                used = 3
                name = _unescape(toks[0])
                if not is_simple_path(name):
                    raise _Syntax("invalid filename on A-card")
                target = _unescape(toks[1])
                if not _is_hash(toks[1]) and not is_wiki_name(target):
                    raise _Syntax("invalid target on A-card")
                src = toks[2] if nt > 2 else None
                if src is not None and not _is_hash(src):
                    raise _Syntax("invalid source on A-card")
                m.attach_name = _s(name.rsplit(b"/", 1)[-1])
                m.attach_target = _s(target)
                m.attach_src = None if src is None else _s(src)
                mtype = ArtifactType.ATTACHMENT
            elif c == 0x44:  # D DATE
                if m.date is not None:
                    raise _Syntax("more than one D-card")
                ms = julian_ms(toks[0]) if nt else None
                if not ms:
                    raise _Syntax("cannot parse date on D-card")
                m.date = _s(toks[0])
                m.julian = ms / 86400000.0
            elif c == 0x45:  # E DATE HASH
                if m.event_date is not None:
                    raise _Syntax("more than one E-card")
                ms = julian_ms(toks[0]) if nt else None
                if not ms:
                    raise _Syntax("malformed date on E-card")
                if nt < 2:
                    raise _Syntax("missing hash on E-card")
                if not _is_hash(toks[1]):
                    raise _Syntax("malformed hash on E-card")
                used = 2
                m.event_date = _s(toks[0])
                m.event_julian = ms / 86400000.0
                m.event_id = _s(toks[1])
                mtype = ArtifactType.EVENT
            elif c == 0x4A:  # J [+]NAME [VALUE]
                if not nt:
                    raise _Syntax("name missing from J-card")
                used = 2
                jname = toks[0]
                value = _unescape(toks[1]) if nt > 1 else b""
                if prev_field is not None and prev_field >= jname:
                    raise _Syntax("incorrect J-card sort order")
                prev_field = jname
                append = jname[:1] == b"+"
                m.fields.append(TicketField(_s(jname[1:] if append else jname), _s(value), append))
                mtype = ArtifactType.TICKET
            elif c == 0x4D:  # M HASH
                if not nt:
                    raise _Syntax("missing hash on M-card")
                if not _is_hash(toks[0]):
                    raise _Syntax("Invalid hash on M-card")
                if prev_cluster is not None and prev_cluster >= toks[0]:
                    raise _Syntax("M-card in the wrong order")
                prev_cluster = toks[0]
                m.clusters.append(_s(toks[0]))
                mtype = ArtifactType.CLUSTER
            elif c == 0x50:  # P HASH*
                used = nt
                for tok in toks:
                    if not _is_hash(tok):
                        raise _Syntax("invalid hash on P-card")
                    m.parents.append(_s(tok))
                if not nt:
                    m.extra["empty_p"] = True
            elif c == 0x51:  # Q (+|-)HASH [HASH]
                if not nt:
                    raise _Syntax("missing hash on Q-card")
                if toks[0][:1] not in (b"+", b"-"):
                    raise _Syntax("Q-card does not begin with '+' or '-'")
                if not _is_hash(toks[0][1:]):
                    raise _Syntax("invalid hash on Q-card")
                base = toks[1] if nt > 1 else None
                if base is not None and not _is_hash(base):
                    raise _Syntax("invalid second hash on Q-card")
                used = 2
                m.cherrypicks.append(CherryPick(_s(toks[0][:1]), _s(toks[0][1:]), None if base is None else _s(base)))
                mtype = ArtifactType.MANIFEST
            elif c == 0x54:  # T (+|-|*)NAME (HASH|*) [VALUE]
                if not nt:
                    raise _Syntax("missing name on T-card")
                if nt < 2:
                    raise _Syntax("missing artifact hash on T-card")
                used = 3
                tvalue = _unescape(toks[2]) if nt > 2 else None
                tagged: bytes | None = toks[1]
                if tagged == b"*":
                    tagged = None
                    self_tags += 1
                elif not _is_hash(tagged):
                    raise _Syntax("malformed artifact hash on T-card")
                tname = _unescape(toks[0])
                if tname[:1] not in (b"+", b"-", b"*"):
                    raise _Syntax("T-card name does not begin with '-', '+', or '*'")
                if tname[:1] == b"+":
                    simple_tags += 1
                if _is_hex(tname[1:]):
                    raise _Syntax("T-card name looks like a hexadecimal hash")
                if prev_tag is not None and (
                    prev_tag[0] > tname or (prev_tag[0] == tname and (prev_tag[1] or b"") >= (tagged or b""))
                ):
                    raise _Syntax("T-card in the wrong order")
                prev_tag = (tname, tagged)
                m.tags.append(
                    TagCard(
                        _s(tname[:1]),
                        _s(tname[1:]),
                        None if tagged is None else _s(tagged),
                        None if tvalue is None else _s(tvalue),
                    )
                )
            elif c == 0x55:  # U [LOGIN]
                if m.user is not None:
                    raise _Syntax("more than one U-card")
                m.user = _s(_unescape(toks[0])) if nt and toks[0] else "anonymous"
            elif c == 0x57:  # W SIZE, then SIZE bytes and a LF
                if not nt:
                    raise _Syntax("missing size on W-card")
                if nt > 1:
                    raise _Syntax("no content after W-card")
                size = old = 0
                for d in toks[0]:
                    if not 0x30 <= d <= 0x39:
                        break
                    size = (old * 10 + d - 0x30) & 0xFFFFFFFF
                    if size < old:
                        raise _Syntax("size overflow on W-card")
                    old = size
                if m.text is not None:
                    raise _Syntax("more than one W-card")
                if pos + size + 1 >= end:
                    raise _Syntax("not enough content after W-card")
                if data[pos + size] != 0x0A:
                    raise _Syntax("W-card content no \\n terminated")
                m.text = _s(data[pos : pos + size])
                pos += size + 1
            elif c == 0x5A:  # Z MD5
                if not nt or len(toks[0]) != 32:
                    raise _Syntax("wrong size for Z-card cksum")
                if not _is_hex(toks[0]):
                    raise _Syntax("malformed Z-card cksum")
                m.z = _s(toks[0])
            else:
                raise _Syntax("unrecognized card")
            if nt > used:
                raise _Syntax("extra characters at end of card")
        if pos < end:
            raise _Syntax("extra characters at end of card")
        if not mtype:
            mtype = 1 if (m.comment is not None or files or m.parents) else 3
        m.type = ArtifactType(mtype)
        self.check_type(m, seen, self_tags, simple_tags)
        return m

    @staticmethod
    def check_type(m: Manifest, seen: int, self_tags: int, simple_tags: int) -> None:
        """The per-type rules Fossil applies once all cards are read."""
        allowed, required = _CARDS[m.type]
        what = _TYPE_NAMES[m.type]
        if seen & ~allowed:
            raise _Syntax(f"{_lowest_letter(seen & ~allowed)}-card in {what}")
        if ~seen & required:
            raise _Syntax(f"{_lowest_letter(~seen & required)}-card missing in {what}")
        if m.type == ArtifactType.CONTROL and self_tags:
            raise _Syntax("self-referential T-card in control artifact")
        if m.type == ArtifactType.EVENT:
            if len(m.tags) != self_tags:
                raise _Syntax("non-self-referential T-card in technote")
            if len(m.tags) != simple_tags:
                raise _Syntax("T-card with '*' or '-' in technote")
        if m.type == ArtifactType.FORUM:
            if m.forum_title is not None and m.reply_to is not None:
                raise _Syntax("cannot have I-card and H-card in a forum post")
            if len(m.parents) > 1:
                raise _Syntax("too many arguments to P-card")


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _render(m: Manifest, *, sort: bool) -> bytes:  # noqa: C901
    """All cards but Z, in canonical order; ``sort`` orders F, J, M and T cards."""
    out: list[str] = []
    add = out.append
    f = fossilize
    if m.attach_name is not None:
        src = "" if m.attach_src is None else " " + m.attach_src
        add(f"A {f(m.attach_name)} {f(m.attach_target or '')}{src}\n")
    if m.baseline is not None:
        add(f"B {m.baseline}\n")
    if m.comment is not None:
        add(f"C {f(m.comment)}\n")
    if m.date is not None:
        add(f"D {m.date}\n")
    if m.event_id is not None:
        add(f"E {m.event_date} {m.event_id}\n")
    files = sorted(m.files, key=lambda fc: _b(fc.name)) if sort else m.files
    for fc in files:
        if fc.uuid is None:
            add(f"F {f(fc.name)}\n")
            continue
        perm = fc.perm
        if fc.prior is not None:
            add(f"F {f(fc.name)} {fc.uuid} {perm or 'w'} {f(fc.prior)}\n")
        elif perm is not None:
            add(f"F {f(fc.name)} {fc.uuid} {perm}\n")
        else:
            add(f"F {f(fc.name)} {fc.uuid}\n")
    if m.thread_root is not None:
        add(f"G {m.thread_root}\n")
    if m.forum_title is not None:
        add(f"H {f(m.forum_title)}\n")
    if m.reply_to is not None:
        add(f"I {m.reply_to}\n")
    fields = m.fields
    if sort:
        fields = sorted(fields, key=lambda tf: _b(("+" if tf.append else "") + tf.name))
    for tf in fields:
        add(f"J {'+' if tf.append else ''}{tf.name} {f(tf.value)}\n")
    if m.ticket_uuid is not None:
        add(f"K {m.ticket_uuid}\n")
    if m.wiki_title is not None:
        add(f"L {f(m.wiki_title)}\n")
    for h in sorted(m.clusters) if sort else m.clusters:
        add(f"M {h}\n")
    if m.mimetype is not None:
        add(f"N {f(m.mimetype)}\n")
    if m.parents:
        add("P " + " ".join(m.parents) + "\n")
    elif m.extra.get("empty_p"):
        add("P\n")
    for cp in m.cherrypicks:
        add(f"Q {cp.sign}{cp.target}\n" if cp.base is None else f"Q {cp.sign}{cp.target} {cp.base}\n")
    if m.repo_cksum is not None:
        add(f"R {m.repo_cksum}\n")
    tags = m.tags
    if sort:
        tags = sorted(tags, key=lambda t: (_b(t.prefix + t.name), _b(t.uuid or "")))
    for t in tags:
        target = t.uuid or "*"
        if t.value is None:
            add(f"T {t.prefix}{f(t.name)} {target}\n")
        else:
            add(f"T {t.prefix}{f(t.name)} {target} {f(t.value)}\n")
    if m.user is not None:
        add(f"U {f(m.user)}\n")
    head = _b("".join(out))
    if m.text is None:
        return head
    text = _b(m.text)
    return head + b"W %d\n" % len(text) + text + b"\n"


def repo_checksum(files: Iterable[tuple[str | bytes, bytes]]) -> str:
    """The R card: MD5 over ``NAME SP SIZE LF CONTENT`` for files sorted by raw name."""
    items = [(_b(name) if isinstance(name, str) else name, content) for name, content in files]
    items.sort(key=lambda item: item[0])
    h = hname.md5()
    for name, content in items:
        h.update(b"%s %d\n" % (name, len(content)))
        h.update(content)
    return h.hexdigest()
