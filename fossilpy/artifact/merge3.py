"""Fossil 2.21's 3-way merge (``blob_merge`` of ``src/merge3.c``).

The changes from the pivot (common ancestor) to V1 and from the pivot to
V2 are computed with Fossil's own line diff
(:func:`fossilpy.artifact.textdiff.edits`), then walked side by side:
text unchanged on both sides is copied, an edit on one side inside text
the other side left alone is taken, the same edit on both sides is taken
once, and overlapping different edits are a conflict, written between
Fossil's four marker lines (with the line numbers of V1, the pivot and
V2) and counted.  CR/LF marker lines when both V1 and V2 use CR/LF in
their first ten lines; a UTF-8 byte-order mark kept when both carry one.

:func:`merge` returns the merged bytes and the conflict count, or raises
:class:`fossilpy.artifact.textdiff.BinaryInput` (Fossil's -1) when a side
is binary.  Pure: no I/O; ``merge_3way``'s files and ``gmerge-command``
are the checkout layer's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: ``MERGE_DRYRUN``: compute, write nothing.
MERGE_DRYRUN = 0x0001
#: ``MERGE_KEEP_FILES``: keep the baseline/original/merge files after a conflict.
MERGE_KEEP_FILES = 0x0002

MARKERS = (
    b"<<<<<<< BEGIN MERGE CONFLICT: local copy shown first <<<<<<<<<<<<",
    b"||||||| COMMON ANCESTOR content follows |||||||||||||||||||||||||",
    b"======= MERGED IN content follows ===============================",
    b">>>>>>> END MERGE CONFLICT >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>",
)
_BOM = b"\xef\xbb\xbf"


def contains_crlf(text: bytes) -> bool:
    """``contains_crlf``: a CR/LF pair within the first ten lines."""
    z = text + b"\0"
    n = len(text) + 1
    i = 1
    lines = 0
    while i < n:
        if z[i - 1] == 13 and z[i] == 10:
            return True
        while i < n and z[i] != 10:
            i += 1
        lines += 1
        if lines > 10:
            return False
    return False


def contains_merge_marker(text: bytes) -> bool:
    """``contains_merge_marker``: a marker at the start of some line.

    Fossil scans line by line: a line starts at offset 0 and after a run of
    CR and LF characters that holds at least one LF (a lone CR ends no line).
    One regular expression over the whole text finds the same places.
    """
    return _MARKER_AT_LINE_START.search(text) is not None


_MARKER_AT_LINE_START = re.compile(rb"(?:\A|\n[\r\n]*)(?:" + b"|".join(re.escape(m) for m in MARKERS) + rb")")


class _Cursor:
    """A blob with a read cursor: ``blob_copy_lines`` and ``sameLines``."""

    __slots__ = ("z", "pos")

    def __init__(self, z: bytes) -> None:
        self.z = z
        self.pos = 0

    def take(self, n: int) -> bytes:
        """The next ``n`` lines (fewer at the end); the cursor moves past them."""
        if n == 0:
            return b""
        start = i = self.pos
        z = self.z
        for _ in range(n):
            j = z.find(b"\n", i)
            if j < 0:
                i = len(z)
                break
            i = j + 1
        self.pos = i
        return z[start:i]


def _same_lines(v1: _Cursor, v2: _Cursor, n: int) -> bool:
    if n == 0:
        return True
    z1 = v1.z + b"\0"
    z2 = v2.z + b"\0"
    i1, i2 = v1.pos, v2.pos
    while True:
        c = z1[i1]
        if c != z2[i2]:
            return False
        if c in (10, 0):
            n -= 1
            if n == 0 or c == 0:
                return True
        i1 += 1
        i2 += 1


def _ends_at_cpy(ac: list[int], k: int, sz: int) -> bool:
    while sz > 0 and (ac[k] > 0 or ac[k + 1] > 0 or ac[k + 2] > 0):
        if ac[k] >= sz:
            return True
        sz -= ac[k]
        if ac[k + 1] > sz:
            return False
        sz -= ac[k + 1]
        k += 3
    return True


def _one_side(out: list[bytes], src: _Cursor, ac: list[int], i: int, sz: int) -> tuple[int, int]:
    """``output_one_side``: V's text for ``sz`` pivot lines; (new index, lines written)."""
    ln = 0
    while sz > 0:
        if ac[i] == 0 and ac[i + 1] == 0 and ac[i + 2] == 0:
            break
        if ac[i] >= sz:
            out.append(src.take(sz))
            ln += sz
            ac[i] -= sz
            break
        out.append(src.take(ac[i]))
        out.append(src.take(ac[i + 2]))
        ln += ac[i] + ac[i + 2]
        sz -= ac[i] + ac[i + 1]
        i += 3
    return i, ln


def _limit(ac: list[int]) -> int:
    i = 0
    while ac[i] or ac[i + 1] or ac[i + 2]:
        i += 3
    return i


def _mark(out: list[bytes], which: int, ln: int, crlf: bool) -> None:
    """``append_merge_mark``: end the last line, then the marker line."""
    eol = b"\r\n" if crlf else b"\n"
    last = next((p for p in reversed(out) if p), b"")
    if last and not last.endswith(b"\n"):
        out.append(eol)
    out.append(MARKERS[which] + (b" (line %d)" % ln if ln > 0 else b"") + eol)


def merge(pivot: bytes, v1: bytes, v2: bytes, tick: Callable[[], None] = lambda: None) -> tuple[bytes, int]:
    """``blob_merge``: apply pivot->V1 to V2; (merged text, conflicts)."""
    from fossilpy.artifact import textdiff  # here: status only asks contains_merge_marker

    out: list[bytes] = []
    if v1.startswith(_BOM) and v2.startswith(_BOM):
        out.append(_BOM)
    crlf = contains_crlf(v1) and contains_crlf(v2)
    # text_diff strips a BOM from its inputs in place: the pivot twice
    v1, v2 = textdiff.strip_bom(v1), textdiff.strip_bom(v2)
    pivot1 = textdiff.strip_bom(pivot)
    pivot = textdiff.strip_bom(pivot1)
    c1 = textdiff.compute(pivot1, v1, 0, tick, bom=False).edits
    c2 = textdiff.compute(pivot, v2, 0, tick, bom=False).edits
    p, a, b = _Cursor(pivot), _Cursor(v1), _Cursor(v2)
    limit1 = _limit(c1)
    limit2 = _limit(c2)
    i1 = i2 = 0
    ln1 = ln2 = lnp = 1
    conflicts = 0
    while i1 < limit1 and i2 < limit2:
        tick()
        if c1[i1] > 0 and c2[i2] > 0:
            n = min(c1[i1], c2[i2])
            out.append(p.take(n))
            a.take(n)
            b.take(n)
            lnp += n
            ln1 += n
            ln2 += n
            c1[i1] -= n
            c2[i2] -= n
        elif c1[i1] >= c2[i2 + 1] and c1[i1] > 0 and c2[i2 + 1] + c2[i2 + 2] > 0:
            nd, ni = c2[i2 + 1], c2[i2 + 2]
            p.take(nd)
            a.take(nd)
            out.append(b.take(ni))
            lnp += nd
            ln1 += nd
            ln2 += ni
            c1[i1] -= nd
            i2 += 3
        elif c2[i2] >= c1[i1 + 1] and c2[i2] > 0 and c1[i1 + 1] + c1[i1 + 2] > 0:
            nd, ni = c1[i1 + 1], c1[i1 + 2]
            p.take(nd)
            b.take(nd)
            out.append(a.take(ni))
            lnp += nd
            ln2 += nd
            ln1 += ni
            c2[i2] -= nd
            i1 += 3
        elif c1[i1 : i1 + 3] == c2[i2 : i2 + 3] and _same_lines(a, b, c1[i1 + 2]):
            nd, ni = c1[i1 + 1], c1[i1 + 2]
            p.take(nd)
            out.append(a.take(ni))
            b.take(ni)
            lnp += nd
            ln1 += ni
            ln2 += ni
            i1 += 3
            i2 += 3
        else:
            conflicts += 1
            sz = 1
            while not _ends_at_cpy(c1, i1, sz) or not _ends_at_cpy(c2, i2, sz):
                sz += 1
            _mark(out, 0, ln1, crlf)
            i1, n = _one_side(out, a, c1, i1, sz)
            ln1 += n
            _mark(out, 1, lnp, crlf)
            out.append(p.take(sz))
            lnp += sz
            _mark(out, 2, ln2, crlf)
            i2, n = _one_side(out, b, c2, i2, sz)
            ln2 += n
            _mark(out, 3, -1, crlf)
        if i1 < limit1 and c1[i1] == 0 and c1[i1 + 1] == 0 and c1[i1 + 2] == 0:
            i1 += 3
        if i2 < limit2 and c2[i2] == 0 and c2[i2 + 1] == 0 and c2[i2 + 2] == 0:
            i2 += 3
    if i1 < limit1 and c1[i1 + 2] > 0:
        out.append(a.take(c1[i1 + 2]))
    elif i2 < limit2 and c2[i2 + 2] > 0:
        out.append(b.take(c2[i2 + 2]))
    return b"".join(out), conflicts


def conflict_warning(conflicts: int) -> str:
    """The line ``fossil 3-way-merge`` warns with after conflicts."""
    return f"WARNING: {conflicts} merge conflicts"
