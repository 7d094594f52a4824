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

Looking every line up still costs a hash per line, so the F block last parsed
is kept too (``Batch.extra["fmemo_ref"]``, a :class:`_Ref`).  Neighbouring
check-ins usually differ in a few lines: a block of the same length is
compared with it in windows of bytes, and only lines inside windows that
differ (and keep their length) are looked up; a block of another length
keeps the reference's lines before the common prefix and after the common
suffix.  Unchanged lines are in order already, so only the name order around
a replaced line is checked.  Anything else splits the block into lines.
"""

from __future__ import annotations

import bisect
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
    does not apply.  When only some lines differ from the manifest parsed
    before, ``extra["fdiff"]`` is (that manifest's ``flines`` list, the new
    (line, card) pairs, the replaced (line, card) pairs).
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
    notes = getattr(b, "extra", None)
    ref: _Ref | None = notes.get("fmemo_ref") if notes is not None else None
    found_changes = _changed_lines(ref, block) if ref is not None else None
    changed, windows = found_changes if found_changes is not None else (None, None)
    moved = _moved_lines(ref, block) if ref is not None and changed is None else None
    offsets: list[int] | None = None
    if moved is not None:
        # lines [a, c) of ``ref`` are replaced by ``mid``; the others are kept
        assert ref is not None
        a, c, mid = moved
        lines = ref.lines[:a] + mid + ref.lines[c:]
        hits = ref.hits[:a] + list(map(memo.get, mid)) + ref.hits[c:]
        todo = [i for i in range(a, a + len(mid)) if hits[i] is None]
        changed = list(zip(range(a, a + len(mid)), mid))
        old = ref.offsets
        delta = len(block) - len(ref.block)
        offsets = old[:a]
        offsets += map(
            operator.add, itertools.accumulate(map(len, mid), initial=0), itertools.count(old[a])
        )
        offsets.pop()
        offsets += [o + delta for o in old[c:]]
        ref_files = ref.files[:a] + [None] * len(mid) + ref.files[c:]  # type: ignore[list-item]
    elif changed is not None:
        assert ref is not None
        offsets = ref.offsets
        ref_files = ref.files
        lines = ref.lines[:]
        hits = ref.hits[:]
        todo = []
        for i, line in changed:
            lines[i] = line
            hit = hits[i] = memo.get(line)
            if hit is None:
                todo.append(i)
    else:
        lines = block.split(b"\n")
        lines.pop()
        hits = list(map(memo.get, lines))
        todo = list(itertools.compress(itertools.count(), map(operator.not_, hits)))
    # One parse checks every other card together with the F lines not seen
    # before (a subset of F lines keeps the artifact's type and order rules).
    rest = head + b"".join([lines[i] + b"\n" for i in todo]) + tail
    m = manifest.parse_own_z_or_none(
        rest + b"Z " + hashlib.md5(rest).hexdigest().encode() + b"\n"
    )
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
    fdiff = None
    if changed is not None and all(hits[i][0] for i, _ in changed):
        # the other lines are those of ``ref``, already in order
        assert offsets is not None
        n = len(hits)
        files = ref_files[:] if moved is None else ref_files
        for i, _ in changed:
            card, name = hits[i]
            if i and not hits[i - 1][1] < name or i + 1 < n and not name < hits[i + 1][1]:
                return None  # F cards out of order
            files[i] = card
        # what changed against the manifest parsed before (see checkins.Checkin)
        if moved is None:
            assert ref is not None
            old_pairs = [(ref.lines[i], ref.files[i]) for i, _ in changed]
        else:
            assert ref is not None
            old_pairs = list(zip(ref.lines[moved[0] : moved[1]], ref.files[moved[0] : moved[1]]))
        new_pairs = [(line, files[i]) for i, line in changed]
        fdiff = (ref.lines, new_pairs, old_pairs)
        new_ref = _Ref(block, lines, hits, files, offsets)
        new_ref.windows = windows
        notes["fmemo_ref"] = new_ref  # type: ignore[index]
    elif all(files := list(map(_first, hits))):
        names = list(map(_second, hits))
        if not all(map(operator.lt, names, itertools.islice(names, 1, None))):
            return None  # F cards out of order
        if notes is not None:
            offsets = [0]
            offsets += map(operator.add, itertools.accumulate(map(len, lines)),
                           itertools.count(1))
            notes["fmemo_ref"] = _Ref(block, lines, hits, files, offsets)
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
    if fdiff is not None:
        extra["fdiff"] = fdiff
    if m.extra.get("empty_p"):
        extra["empty_p"] = True
    m.extra = extra
    m.source = None  # not the artifact's bytes
    return m


class _Ref:
    """The F block last parsed: its text, lines, memo hits, cards (no
    reserved names) and the offset of each line (plus the block's length)."""

    __slots__ = ("block", "lines", "hits", "files", "offsets", "windows")

    def __init__(
        self, block: bytes, lines: list[bytes], hits: list, files: list[FileCard],
        offsets: list[int],
    ) -> None:
        self.block = block
        self.lines = lines
        self.hits = hits
        self.files = files
        self.offsets = offsets
        #: ``block`` cut into _WINDOW-byte pieces, made when first needed
        self.windows: list[bytes] | None = None


#: the blocks are compared in windows of this many bytes
_WINDOW = 1024


def _windows(block: bytes) -> list[bytes]:
    return [block[i : i + _WINDOW] for i in range(0, len(block), _WINDOW)]


def _changed_lines(
    ref: _Ref, block: bytes
) -> tuple[list[tuple[int, bytes]], list[bytes]] | None:
    """(index, new line) of the lines of ``ref`` that differ in ``block``,
    and the windows of ``block``.

    Only for a block of the same length whose changed lines keep their
    lengths (the usual change: new file hashes); None otherwise.  The
    blocks are compared window by window, then line by line inside the
    windows that differ.
    """
    old = ref.block
    if len(old) != len(block):
        return None
    if ref.windows is None:
        ref.windows = _windows(old)
    new_windows = _windows(block)
    differ = list(
        itertools.compress(itertools.count(), map(operator.ne, ref.windows, new_windows))
    )
    if len(differ) > 16:
        return None  # many changes: split the block instead
    offsets = ref.offsets
    lines = ref.lines
    out = []
    last = -1
    for j in differ:
        lo = j * _WINDOW
        hi = lo + len(new_windows[j])
        first = max(bisect.bisect_right(offsets, lo) - 1, last + 1)
        end = bisect.bisect_right(offsets, hi - 1)
        for i in range(first, end):
            s, e = offsets[i], offsets[i + 1] - 1
            line = block[s:e]
            if block[e] != 0x0A or b"\n" in line:
                return None  # the line boundaries moved
            if line != lines[i]:
                out.append((i, line))
        last = end - 1
    return out, new_windows


#: at most this many bytes of lines are replaced in _moved_lines
_MOVED = 4096


def _moved_lines(ref: _Ref, block: bytes) -> tuple[int, int, list[bytes]] | None:
    """(a, c, lines): ``block`` is lines [0, a) and [c, end) of ``ref``
    around ``lines``; found by the longest common prefix and suffix (for a
    block whose length changed: files added or removed).  None if the
    lines do not line up."""
    old = ref.block
    n_old, n_new = len(old), len(block)
    limit = min(n_old, n_new)
    lo, hi = 0, limit  # old[:lo] == block[:lo]; the prefix is at most hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == block[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[n_old - mid : n_old - lo] == block[n_new - mid : n_new - lo]:
            lo = mid
        else:
            hi = mid - 1
    offsets = ref.offsets
    a = bisect.bisect_right(offsets, prefix) - 1
    c = bisect.bisect_left(offsets, n_old - lo)
    if c >= len(offsets):
        c = len(offsets) - 1
    if c < a:
        return None
    delta = n_new - n_old
    s, e = offsets[a], offsets[c] + delta
    if e < s:
        return None
    if e - s > _MOVED:
        return None  # a long stretch differs: split the block instead
    middle = block[s:e]
    if not middle:
        return a, c, []
    if middle[-1] != 0x0A:
        return None
    return a, c, middle[:-1].split(b"\n")


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
