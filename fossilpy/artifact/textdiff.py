"""Fossil 2.21's line diff: the edit script and its unified text output.

The algorithm is ``text_diff`` of ``src/diff.c``: lines are hashed as
Fossil hashes them (the hash also picks the buckets its heuristic walks,
so the very same hash is needed for the very same hunks); common head and
tail lines are carved off; the middle is split recursively around a long
common run found by ``longestCommonSequence`` (hash chains, cut off after
a few entries, with ``optimalLCS`` as the exact fallback on small
blocks); ``likelyNotIndentChngArtifact`` refuses runs that are only
braces after a re-indent; ``diff_optimize`` slides insertions and
deletions to blank-line boundaries.

The result is a list of COPY/DELETE/INSERT triples ending with ``(0, 0, 0)`` (:func:`edits`),
or text in Fossil's formats: :func:`unified` (the ``@@`` hunks of ``fossil diff``), and through
:mod:`fossilpy.artifact.diffbuild` the side-by-side text and the HTML
tables of the web pages.  :func:`text_diff` picks among them by flags as Fossil does.  Pure: no
I/O.  The caller can bound the work (``DiffConfig.tick``; pages pass the request budget's check);
like Fossil's, the LCS work per block is capped (hash chains at most 64 deep, the exact search only
below 2,500 line pairs).
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

DIFF_IGNORE_EOLWS = 0x00000001
DIFF_IGNORE_ALLWS = 0x00000003
DIFF_SIDEBYSIDE = 0x00000004
DIFF_HTML = 0x00000020
DIFF_LINENO = 0x00000040
DIFF_NOOPT = 0x00000100
DIFF_INVERT = 0x00000200
DIFF_CONTEXT_EX = 0x00000400
DIFF_NOTTOOBIG = 0x00000800
DIFF_STRIP_EOLCR = 0x00001000
DIFF_SLOW_SBS = 0x00002000

CANNOT_COMPUTE_BINARY = "cannot compute difference between binary files\n"
TOO_MANY_CHANGES = "more than 10,000 changes\n"
WHITESPACE_ONLY = "whitespace changes only\n"

LENGTH_MASK_SZ = 15
LENGTH_MASK = (1 << LENGTH_MASK_SZ) - 1
_M64 = (1 << 64) - 1
_MULT = 9000000000000000041
_PRIME = 281474976710597
#: ``diff_isspace``: tab, LF, VT, FF, CR and space.
SPACE = frozenset(b"\t\n\x0b\x0c\r ")
_WS_STRIP = bytes(sorted(SPACE))
_DEFAULT_CONTEXT = 5


class BinaryInput(ValueError):
    """A side is not text (a NUL byte or a line longer than 32767 bytes)."""


@dataclass
class DiffConfig:
    """What ``DiffConfig`` holds in Fossil: flags, context, column width,
    the left hash of web diffs, and the chunk counter (``nChunk``, one per
    page so that ``chunkN`` ids stay unique)."""

    flags: int = 0
    context: int = 0
    width: int = 0
    left_hash: str = ""
    chunks: int = 0
    #: Called as the work progresses; may raise to stop it (pages pass
    #: ``fossilpy.budget.check``: the artifact layer imports no budget).
    tick: Callable[[], None] = field(default=lambda: None, repr=False)

    def context_lines(self) -> int:
        """``diff_context_lines``: 5 unless a context was given."""
        n = self.context
        if n <= 0 and not self.flags & DIFF_CONTEXT_EX:
            n = _DEFAULT_CONTEXT
        return n

    def column_width(self, terminal: int = 80) -> int:
        """``diff_width``: the given width, or one derived from an 80-column terminal."""
        if self.width:
            return self.width
        tw = min(max(terminal, (24 + 7) * 2 + 4), (132 + 7) * 2 + 4)
        return (tw - 4) // 2 - 7


def _signed_hash(data: bytes, h: int = 0) -> int:
    for c in data:
        if c not in SPACE:
            h = ((h ^ (c - 256 if c > 127 else c)) & _M64) * _MULT & _M64
    return h


class Lines:
    """A side of a diff: Fossil's ``DLine`` array, column by column.

    ``z`` holds each line's bytes (its ``n`` bytes: without the newline,
    and without a final CR when stripping CRs), ``h`` Fossil's hash (low 15
    bits: the compared length), ``eq`` a class number (equal lines, as the
    comparison function of the mode sees them, share it), ``ihash`` and
    ``inext`` the hash chains (1-based, 0 ends), ``indent``/``nw`` the
    whitespace bounds that ``match_dline`` computes lazily."""

    __slots__ = ("z", "h", "eq", "ihash", "inext", "indent", "nw", "text", "starts")

    def __init__(self, z: list[bytes], h: list[int], eq: list[int], indent: list[int], nw: list[int]) -> None:
        self.z = z
        self.h = h
        self.eq = eq
        self.indent = indent
        self.nw = nw
        self.text = b""
        self.starts: list[int] = []
        n = len(z)
        self.ihash = [0] * n
        self.inext = [0] * n
        for i, hv in enumerate(h):
            b = hv % n
            self.inext[i] = self.ihash[b]
            self.ihash[b] = i + 1

    def __len__(self) -> int:
        return len(self.z)

    def after(self, i: int, n: int) -> bytes:
        """``n`` bytes that follow line ``i``'s ``z`` in the file (NUL past its end):
        what Fossil's ``oneLineChange`` may peek at beyond a line."""
        if not self.starts:
            return b"\0" * n
        s = self.starts[i] + len(self.z[i])
        got = self.text[s : s + n]
        return got + b"\0" * (n - len(got))

    def bounds(self, i: int) -> tuple[int, int]:
        """(indent, nw) of line ``i``, computed as ``match_dline`` does when unset."""
        if self.nw[i] == 0 and self.z[i]:
            z = self.z[i]
            a = len(z) - len(z.lstrip(_WS_STRIP))
            j = len(z) - 1
            while j > a and z[j] in SPACE:
                j -= 1
            self.indent[i] = a
            self.nw[i] = j - a + 1
        return self.indent[i], self.nw[i]


def split_lines(text: bytes, flags: int, classes: dict[bytes, int], hashes: dict[bytes, int] | None = None) -> Lines:
    """``break_into_lines``: the lines of ``text`` hashed as the flags say; ``hashes`` (one dict for
    all the texts of a diff or an annotation) keeps each distinct line's hash outside ``-w``.
    Raises :class:`BinaryInput` for a NUL byte or an over-long line."""
    hashes = {} if hashes is None else hashes
    if b"\0" in text:
        raise BinaryInput(CANNOT_COMPUTE_BINARY)
    raw = text.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    nline = len(raw)
    zs: list[bytes] = []
    hs: list[int] = []
    eqs: list[int] = []
    indents = [0] * nline
    nws = [0] * nline
    allws = flags & DIFF_IGNORE_ALLWS == DIFF_IGNORE_ALLWS
    if not allws:  # the common case, list by list
        if any(len(line) > LENGTH_MASK for line in raw):
            raise BinaryInput(CANNOT_COMPUTE_BINARY)
        zs = [ln[:-1] if ln.endswith(b"\r") else ln for ln in raw] if flags & DIFF_STRIP_EOLCR else list(raw)
        keys = [ln.rstrip(_WS_STRIP) for ln in zs] if flags & DIFF_IGNORE_EOLWS else zs
        for key in set(keys).difference(hashes):
            whole = len(key) & ~7
            h = 0
            for (m,) in struct.iter_unpack("<Q", key[:whole]):
                h = (h ^ m) * _MULT & _M64
            h ^= int.from_bytes(key[whole:], "little")
            hashes[key] = ((h % _PRIME) << LENGTH_MASK_SZ) | len(key)
        hs = [hashes[key] for key in keys]
        eqs = [classes.setdefault(key, len(classes)) for key in keys]
    else:
        for i, line in enumerate(raw):
            if len(line) > LENGTH_MASK:
                raise BinaryInput(CANNOT_COMPUTE_BINARY)
            if flags & DIFF_STRIP_EOLCR and line.endswith(b"\r"):
                line = line[:-1]
            k = len(line.rstrip(_WS_STRIP)) if flags & DIFF_IGNORE_EOLWS else len(line)
            s = 0
            while s < k and (line[s] <= 32 or line[s] > 127):
                s += 1
            indents[i] = s
            nws[i] = k - s
            body = line[s:k]
            key = bytes(c for c in body if c not in SPACE)
            hs.append(((_signed_hash(body) % _PRIME) << LENGTH_MASK_SZ) | len(key))
            zs.append(line)
            eqs.append(classes.setdefault(key, len(classes)))
    lines = Lines(zs, hs, eqs, indents, nws)
    lines.text = text
    lines.starts = list(itertools.accumulate((len(line) + 1 for line in raw[:-1]), initial=0)) if raw else []
    return lines


def trimmed_lines(src: Lines, first: int, count: int, classes: dict[tuple[bytes, int], int]) -> Lines:
    """``diffDLineXfer``: lines stripped at both ends, hashed ignoring spaces.

    Two such lines are equal when their non-space bytes and their stripped
    lengths are."""
    zs: list[bytes] = []
    hs: list[int] = []
    eqs: list[int] = []
    for i in range(first, first + count):
        z = src.z[i].strip(_WS_STRIP)
        key = bytes(c for c in z if c not in SPACE)
        hs.append(((_signed_hash(z) % _PRIME) << LENGTH_MASK_SZ) | len(z))
        zs.append(z)
        eqs.append(classes.setdefault((key, len(z)), len(classes)))
    return Lines(zs, hs, eqs, [0] * count, [0] * count)


def _optimal_lcs(a: list[int], b: list[int], s1: int, e1: int, s2: int, e2: int) -> tuple[int, int, int, int]:
    best = 0
    bx, by = s1, s2
    i = s1
    while i < e1 - best:
        j = s2
        ai = a[i]
        while j < e2 - best:
            if ai == b[j] and (not best or a[i + best] == b[j + best]):
                k = 1
                while i + k < e1 and j + k < e2 and a[i + k] == b[j + k]:
                    k += 1
                if k > best:
                    bx, by, best = i, j, k
            j += 1
        i += 1
    return bx, bx + best, by, by + best


def longest_common(fr: Lines, to: Lines, s1: int, e1: int, s2: int, e2: int) -> tuple[int, int, int, int]:
    """``longestCommonSequence``: (iSX, iEX, iSY, iEY) of a long common run
    near the middle of the two blocks (hash heuristic, exact below 2,500 pairs)."""
    a, b = fr.eq, to.eq
    fh, tih, tnext = fr.h, to.ihash, to.inext
    nto = len(to)
    span = (e1 - s1) + (e2 - s2)
    best_score = -10000
    sxb = exb = exp_ = s1
    syb = syp = eyb = eyp = s2
    mid = (e1 + s1) // 2
    cutoff = 4
    while True:
        next_cutoff = 0
        for i in range(s1, e1):
            limit = 0
            ai = a[i]
            j = tih[fh[i] % nto]
            while j > 0 and (j - 1 < s2 or j >= e2 or b[j - 1] != ai):
                if limit > cutoff:
                    j = 0
                    next_cutoff = cutoff * 4
                    break
                limit += 1
                j = tnext[j - 1]
            if j == 0:
                continue
            if i < exb and syb <= j < eyb:
                continue
            if i < exp_ and syp <= j < eyp:
                continue
            sx, sy = i, j - 1
            n = min(sx - s1, sy - s2)
            k = 0
            while k < n and a[sx - 1 - k] == b[sy - 1 - k]:
                k += 1
            sx -= k
            sy -= k
            ex, ey = i + 1, j
            n = min(e1 - ex, e2 - ey)
            k = 0
            while k < n and a[ex + k] == b[ey + k]:
                k += 1
            ex += k
            ey += k
            skew = abs((sx - s1) - (sy - s2))
            dist = abs((sx + ex) // 2 - mid)
            score = (ex - sx) * span - (skew + dist)
            if score > best_score:
                best_score = score
                sxb, syb, exb, eyb = sx, sy, ex, ey
            elif ex > exp_:
                syp, exp_, eyp = sy, ex, ey
        if not (sxb == exb and next_cutoff):
            break
        cutoff = next_cutoff
        if cutoff > 64:
            break
    if sxb == exb and (e1 - s1) * (e2 - s2) < 2500:
        return _optimal_lcs(a, b, s1, e1, s2, e2)
    return sxb, exb, syb, eyb


def _append(edits: list[int], cpy: int, dele: int, ins: int) -> None:
    """``appendTriple``: add a triple, folding it into the last one when Fossil does."""
    if len(edits) >= 3:
        if edits[-1] == 0:
            if edits[-2] == 0:
                edits[-3] += cpy
                edits[-2] += dele
                edits[-1] += ins
                return
            if cpy == 0:
                edits[-2] += dele
                edits[-1] += ins
                return
        if cpy == 0 and dele == 0:
            edits[-1] += ins
            return
    edits += (cpy, dele, ins)


def _not_indent_artifact(fr: Lines, s1: int, sx: int, ex: int, e1: int) -> bool:
    """``likelyNotIndentChngArtifact``: is the run more than re-indented braces?"""
    if (ex - sx) * 7 >= e1 - s1:
        return True
    if sum(fr.bounds(i)[1] > 1 for i in range(sx, ex)) == 0:
        return False
    for i in range(s1, e1):
        fr.bounds(i)
    z, ind, nw = fr.z, fr.indent, fr.nw
    for i in range(sx, ex):
        w = nw[i]
        if w <= 1:
            continue
        text = z[i][ind[i] : ind[i] + w]
        if any(nw[j] == w and z[j][ind[j] : ind[j] + w] == text for j in range(s1, sx)):
            continue
        if not any(nw[j] == w and z[j][ind[j] : ind[j] + w] == text for j in range(ex, e1)):
            return True
    return False


def _diff_step(
    fr: Lines, to: Lines, edits: list[int], s1: int, e1: int, s2: int, e2: int, tick: Callable[[], None]
) -> None:
    """``diff_step`` with an explicit stack instead of recursion."""
    work: list[tuple[int, int, int, int, int]] = [(0, s1, e1, s2, e2)]
    while work:
        kind, s1, e1, s2, e2 = work.pop()
        if kind:
            _append(edits, kind, 0, 0)
            continue
        if e1 <= s1:
            if e2 > s2:
                _append(edits, 0, 0, e2 - s2)
            continue
        if e2 <= s2:
            _append(edits, 0, e1 - s1, 0)
            continue
        tick()
        sx, ex, sy, ey = longest_common(fr, to, s1, e1, s2, e2)
        if ex > sx + 5 or (ex > sx and _not_indent_artifact(fr, s1, sx, ex, e1)):
            work.append((0, ex, e1, ey, e2))
            if ex > sx:
                work.append((ex - sx, 0, 0, 0, 0))
            work.append((0, s1, sx, s2, sy))
        else:
            _append(edits, 0, e1 - s1, e2 - s2)


def diff_all(fr: Lines, to: Lines, tick: Callable[[], None] = lambda: None) -> list[int]:
    """``diff_all``: the COPY/DELETE/INSERT triples, ending with three zeros."""
    a, b = fr.eq, to.eq
    e1, e2 = len(a), len(b)
    while e1 > 0 and e2 > 0 and a[e1 - 1] == b[e2 - 1]:
        e1 -= 1
        e2 -= 1
    mn = min(e1, e2)
    s = 0
    while s < mn and a[s] == b[s]:
        s += 1
    edits: list[int] = []
    if s > 0:
        _append(edits, s, 0, 0)
    _diff_step(fr, to, edits, s, e1, s, e2, tick)
    if e1 < len(a):
        _append(edits, len(a) - e1, 0, 0)
    edits += (0, 0, 0)
    return edits


def diff_optimize(fr: Lines, to: Lines, r_: list[int]) -> None:
    """``diff_optimize``: slide lone insertions/deletions to blank-line edges."""
    a, b = fr.eq, to.eq
    na = [len(z) for z in fr.z] + [0]
    nb = [len(z) for z in to.z] + [0]
    ln_from = ln_to = 0
    for r in range(0, len(r_), 3):
        cpy, dele, ins = r_[r], r_[r + 1], r_[r + 2]
        ln_from += cpy
        ln_to += cpy
        while cpy > 0 and dele == 0 and ins > 0:
            top, btm = ln_from - 1, ln_to + ins - 1
            if a[top] != b[btm] or na[top + 1] + nb[btm] <= na[top] + nb[btm - 1]:
                break
            ln_from -= 1
            ln_to -= 1
            r_[r] -= 1
            r_[r + 3] += 1
            cpy -= 1
        while r + 3 < len(r_) and r_[r + 3] > 0 and dele == 0 and ins > 0:
            top, btm = ln_to, ln_to + ins
            if b[top] != b[btm] or nb[top] + nb[btm - 1] <= nb[top + 1] + nb[btm]:
                break
            ln_from += 1
            ln_to += 1
            r_[r] += 1
            r_[r + 3] -= 1
            cpy += 1
        while cpy > 0 and dele > 0 and ins == 0:
            top, btm = ln_from - 1, ln_from + dele - 1
            if a[top] != a[btm] or na[top + 1] + na[btm] <= na[top] + na[btm - 1]:
                break
            ln_from -= 1
            ln_to -= 1
            r_[r] -= 1
            r_[r + 3] += 1
            cpy -= 1
        while r + 3 < len(r_) and r_[r + 3] > 0 and dele > 0 and ins == 0:
            top, btm = ln_from, ln_from + dele
            if a[top] != a[btm] or na[top] + na[btm - 1] <= na[top] + na[btm]:
                break
            ln_from += 1
            ln_to += 1
            r_[r] += 1
            r_[r + 3] -= 1
            cpy += 1
        ln_from += dele
        ln_to += ins


def strip_bom(text: bytes) -> bytes:
    """``blob_to_utf8_no_bom``: drop a UTF-8 BOM, decode a UTF-16 one."""
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
        return text.split(b"\0", 1)[0]
    if len(text) >= 2 and text[:2] in (b"\xff\xfe", b"\xfe\xff") and not (len(text) >= 4 and text[2:4] == b"\0\0"):
        codec = "utf-16-le" if text[:2] == b"\xff\xfe" else "utf-16-be"
        body = text[2 : len(text) & ~1]
        units = body.decode(codec, "surrogatepass")
        units = units.split("\0", 1)[0]
        return units.encode("utf-8", "surrogatepass")
    return text


@dataclass
class Diff:
    """A computed diff: both sides and the triples (after ``diff_optimize``)."""

    old: Lines
    new: Lines
    edits: list[int]

    def same(self, i: int, j: int) -> bool:
        """The mode's comparison of old line ``i`` and new line ``j``."""
        return self.old.eq[i] == self.new.eq[j]


def compute(
    old: bytes, new: bytes, flags: int = 0, tick: Callable[[], None] = lambda: None, *, bom: bool = True
) -> Diff:
    """Split, diff and (unless ``DIFF_NOOPT``) optimize: the core of ``text_diff``.

    ``bom=False`` when the caller already applied :func:`strip_bom`.
    Raises :class:`BinaryInput` when either side is not text, and
    ``ValueError`` with Fossil's message for whitespace-only changes (under
    ``-w``) and, with ``DIFF_NOTTOOBIG``, more than 10,000 changed lines."""
    if flags & DIFF_INVERT:
        old, new = new, old
    if bom:
        old, new = strip_bom(old), strip_bom(new)
    classes: dict[bytes, int] = {}
    hashes: dict[bytes, int] = {}
    fr = split_lines(old, flags, classes, hashes)
    to = split_lines(new, flags, classes, hashes)
    edits = diff_all(fr, to, tick)
    if flags & DIFF_IGNORE_ALLWS and len(edits) == 6 and edits[1] == 0 and edits[2] == 0:
        raise ValueError(WHITESPACE_ONLY)
    if flags & DIFF_NOTTOOBIG and sum(edits[i + 1] + edits[i + 2] for i in range(0, len(edits), 3)) > 10000:
        raise ValueError(TOO_MANY_CHANGES)
    if not flags & DIFF_NOOPT:
        diff_optimize(fr, to, edits)
    return Diff(fr, to, edits)


def edits(old: bytes, new: bytes, flags: int = 0) -> list[int]:
    """The COPY/DELETE/INSERT triples of ``text_diff`` called without output."""
    return compute(old, new, flags).edits


def _last_triple(r: list[int]) -> int:
    mxr = len(r)
    while mxr > 2 and r[mxr - 1] == 0 and r[mxr - 2] == 0:
        mxr -= 3
    return mxr


def unified(d: Diff, cfg: DiffConfig) -> bytes:
    """``contextDiff``: the ``@@ -a,b +c,d @@`` hunks of ``fossil diff``
    (with ``DIFF_LINENO``, the numbered form with dotted dividers)."""
    out: list[bytes] = []
    ctx = cfg.context_lines()
    show_ln = bool(cfg.flags & DIFF_LINENO)
    divider = False
    az, bz = d.old.z, d.new.z
    r_ = d.edits
    a = b = 0
    mxr = _last_triple(r_)

    def line(prefix: bytes, z: bytes, la: int, lb: int) -> None:
        if show_ln:
            out.append(b"%6d " % la if la > 0 else b"       ")
            out.append(b"%6d  " % lb if lb > 0 else b"        ")
        out.append(prefix + z + b"\n")

    r = 0
    while r < mxr:
        nr = 1
        while r_[r + nr * 3] > 0 and r_[r + nr * 3] < ctx * 2:
            nr += 1
        if r_[r] > ctx:
            na = nb = ctx
            skip = r_[r] - ctx
        else:
            na = nb = r_[r]
            skip = 0
        for i in range(nr):
            na += r_[r + i * 3 + 1]
            nb += r_[r + i * 3 + 2]
        tail = min(r_[r + nr * 3], ctx)
        na += tail
        nb += tail
        for i in range(1, nr):
            na += r_[r + i * 3]
            nb += r_[r + i * 3]
        cfg.chunks += 1
        if show_ln:
            if divider:
                out.append(b"." * 80 + b"\n")
            divider = True
        else:
            out.append(
                b"@@ -%d,%d +%d,%d @@\n" % (a + skip + 1 if na else a + skip, na, b + skip + 1 if nb else b + skip, nb)
            )
        a += skip
        b += skip
        m = r_[r] - skip
        for j in range(m):
            line(b" ", az[a + j], a + j + 1, b + j + 1)
        a += m
        b += m
        for i in range(nr):
            m = r_[r + i * 3 + 1]
            for j in range(m):
                line(b"-", az[a + j], a + j + 1, 0)
            a += m
            m = r_[r + i * 3 + 2]
            for j in range(m):
                line(b"+", bz[b + j], 0, b + j + 1)
            b += m
            if i < nr - 1:
                m = r_[r + i * 3 + 3]
                for j in range(m):
                    line(b" ", az[a + j], a + j + 1, b + j + 1)
                a += m
                b += m
        for j in range(min(r_[r + nr * 3], ctx)):
            line(b" ", az[a + j], a + j + 1, b + j + 1)
        r += 3 * nr
        cfg.tick()
    return b"".join(out)


def text_diff(old: bytes, new: bytes, cfg: DiffConfig) -> bytes:
    """``text_diff`` with output: the format the flags ask for, or Fossil's
    message (binary input, whitespace-only changes, too many changes)."""
    try:
        d = compute(old, new, cfg.flags, cfg.tick)
    except ValueError as e:
        msg = str(e)
        if cfg.flags & DIFF_HTML:
            return b'<p class="generalError">%s</p>' % msg.encode()
        return msg.encode()
    if not cfg.flags & (DIFF_SIDEBYSIDE | DIFF_HTML):
        return unified(d, cfg)
    from fossilpy.artifact import diffbuild

    if cfg.flags & DIFF_SIDEBYSIDE:
        return diffbuild.split_html(d, cfg) if cfg.flags & DIFF_HTML else diffbuild.sbs_text(d, cfg)
    return diffbuild.unified_html(d, cfg)
