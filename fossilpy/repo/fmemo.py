"""Parsing check-in manifests with a per-batch memo of F lines.

A rebuild parses thousands of baseline manifests that share almost all of
their F lines.  Every F line of a manifest without a B card is validated
on its own by the parser (name, hash, permission, old name), except for
the strict name order, so a line's FileCard can be remembered and reused.
The rest of the artifact (all other cards, in order) is checked by the
parser on the same text without the F lines already remembered (a subset of
F lines keeps the artifact's type and card-order rules) and with its own Z
card; the real Z card, and the order of all file names, are checked here.
Anything unusual goes to the plain parser, so the result is always what
``manifest.parse_or_none`` gives (tests/unit/test_crosslink.py checks this).

The memo lives in the crosslink batch (``Batch.fline_memo``); it maps an F
line to (FileCard, or None for a reserved name that Fossil drops, raw name).
"""

from __future__ import annotations

import itertools
import operator
from typing import TYPE_CHECKING

from fossilpy.artifact.manifest import FileCard, Manifest

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.crosslink import Batch

#: Remembered F lines per batch, at most.
FLINE_MEMO = 200_000

_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


def memo_parse(b: Batch, data: bytes) -> Manifest | None:
    """The parse of a baseline check-in manifest, reusing known F lines.

    Returns the same Manifest fields as ``manifest.parse_or_none`` (``z`` is
    the artifact's own Z card; ``extra`` holds ``memo``/``flines`` (the raw F
    lines, used by checkins.Checkin) instead of verbatim bytes, so the result
    must not be written back out), or calls that parser when the fast path
    does not apply.
    """
    import hashlib

    from fossilpy.artifact import manifest
    from fossilpy.artifact.fossilize import defossilize_bytes

    start = 0 if data[:2] == b"F " else data.find(b"\nF ") + 1
    last = data.rfind(b"\nF ")
    if (
        start <= 0 and data[:2] != b"F "
        or last < start - 1
        or len(data) < 45
        or data[-35:-33] != b"Z "
        or data[:1] in (b"-", b"B")
        or b"\0" in data
        or b"\nB " in data[:start]
    ):
        return manifest.parse_or_none(data)
    end = data.find(b"\n", last + 1) + 1
    block = data[start:end]
    lines = block.split(b"\n")
    lines.pop()
    z = data[-33:-1]
    if hashlib.md5(memoryview(data)[:-35]).hexdigest().encode() != z:
        return None  # wrong Z card: not a structural artifact
    head = data[:start]
    tail = data[end:-35]
    if head:
        if head[head.rfind(b"\n", 0, len(head) - 1) + 1] > 0x46:
            return manifest.parse_or_none(data)
    if tail and tail[0] < 0x46:
        return manifest.parse_or_none(data)
    memo = b.fline_memo
    hits = list(map(memo.get, lines))
    todo = [i for i, hit in enumerate(hits) if hit is None] if None in hits else []
    # One parse checks every other card together with the F lines not seen
    # before (a subset of F lines keeps the artifact's type and order rules).
    rest = head + b"".join([lines[i] + b"\n" for i in todo]) + tail
    m = manifest.parse_or_none(rest + b"Z " + hashlib.md5(rest).hexdigest().encode() + b"\n")
    if m is None or m.type != 1:
        return manifest.parse_or_none(data)
    if todo:
        if len(memo) + len(todo) > FLINE_MEMO:
            memo.clear()
        if len(m.files) == len(todo):
            found = [
                (card, defossilize_bytes(lines[i][2:].split(b" ", 1)[0]))
                for card, i in zip(m.files, todo)
            ]
        else:  # a reserved name was dropped: map the lines one by one
            found = _parse_flines([lines[i] for i in todo])  # type: ignore[assignment]
            if found is None:
                return manifest.parse_or_none(data)
        for i, hit in zip(todo, found):
            memo[lines[i]] = hits[i] = hit
    elif m.files:
        return manifest.parse_or_none(data)
    files: list[FileCard] = list(map(_first, hits))
    names = list(map(_second, hits))
    if all(files):
        if not all(map(operator.lt, names, itertools.islice(names, 1, None))):
            return None  # F cards out of order
    else:
        files = []
        prev: bytes | None = None
        for card, name in hits:
            if prev is not None and prev >= name:
                return None
            if card is not None:
                prev = name
                files.append(card)
    m.files = files
    m.z = z.decode("ascii")
    extra: dict[str, object] = {"memo": True, "flines": lines}
    if m.extra.get("empty_p"):
        extra["empty_p"] = True
    m.extra = extra
    return m


def _parse_flines(lines: list[bytes]) -> list[tuple[FileCard | None, bytes]] | None:
    """(card, raw name) of each F line (card None for a reserved name).

    One parse of all the lines together (they come from one manifest, so
    they are in order); line by line if a reserved name was dropped.  None
    if a line is invalid.
    """
    import hashlib

    from fossilpy.artifact import manifest
    from fossilpy.artifact.fossilize import defossilize_bytes

    if not all(line[:2] == b"F " for line in lines):
        return None  # another card among the F lines: not for the memo
    text = b"D 2000-01-01T00:00:00\n" + b"\n".join(lines) + b"\n"
    m = manifest.parse_or_none(text + b"Z " + hashlib.md5(text).hexdigest().encode() + b"\n")
    if m is not None and m.type == 1 and len(m.files) == len(lines):
        return [
            (card, defossilize_bytes(line[2:].split(b" ", 1)[0]))
            for card, line in zip(m.files, lines)
        ]
    out = []
    for line in lines:
        one = _parse_fline(line)
        if one is None:
            return None
        out.append(one)
    return out


def _parse_fline(line: bytes) -> tuple[FileCard | None, bytes] | None:
    """(card or None if the name is reserved, raw name) of one F line; None if invalid."""
    import hashlib

    from fossilpy.artifact import manifest
    from fossilpy.artifact.fossilize import defossilize_bytes

    if line[:2] != b"F ":
        return None
    text = b"D 2000-01-01T00:00:00\n" + line + b"\n"
    m = manifest.parse_or_none(text + b"Z " + hashlib.md5(text).hexdigest().encode() + b"\n")
    if m is None or m.type != 1 or len(m.files) > 1:
        return None
    name = defossilize_bytes(line[2:].split(b" ", 1)[0])
    return (m.files[0] if m.files else None), name
