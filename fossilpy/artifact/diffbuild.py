"""Fossil 2.21's diff formatters: side-by-side text and the HTML tables.

``formatDiff`` of ``src/diff.c`` walks the triples of a
:class:`fossilpy.artifact.textdiff.Diff`, merges nearby changes into one
block (``smallGap``), aligns the lines of each block (``diffBlockAlignment``:
Wagner's edit distance weighted by ``match_dline``, or divide and conquer
past 1,225 line pairs) and calls a builder per line: common, insert,
delete, replace or edit (an edit marks the changed bytes found by
``oneLineChange``).  Three builders: :func:`sbs_text` (``fossil diff -y``),
:func:`unified_html` and :func:`split_html` (the ``<table class="diff">``
of the web pages and ``--html``), each byte for byte as Fossil writes it.
"""

from __future__ import annotations

from typing import Protocol

from fossilpy.artifact import linechange, textdiff
from fossilpy.artifact.textdiff import (
    DIFF_IGNORE_ALLWS,
    DIFF_SLOW_SBS,
    Diff,
    DiffConfig,
    Lines,
    longest_common,
    trimmed_lines,
)

ALIGN_MX = 1225


def match_dline(la: Lines, i: int, lb: Lines, j: int) -> int:
    """``match_dline``: 0 (same) to 100 (nothing alike) for two lines."""
    ia, na = la.bounds(i)
    ib, nb = lb.bounds(j)
    za = la.z[i][ia : ia + min(na, 250)]
    zb = lb.z[j][ib : ib + min(nb, 250)]
    na, nb = min(na, 250), min(nb, 250)
    avg = (na + nb) // 2
    if avg == 0:
        return 0
    nmin = min(na, nb)
    if nmin == 0:
        return 68
    npre = 0
    while npre < nmin and za[npre] == zb[npre]:
        npre += 1
    best = 0
    if npre > 5 and npre > nmin // 2:
        best = min(npre * 3 // 2, avg - 2)
    if na == nb and za == zb:
        return 0
    first = [0xFF] * 256
    nxt = [0] * 252
    for k in range(nb, 0, -1):
        c = zb[k - 1]
        nxt[k] = first[c]
        first[c] = k
    # 1-based positions, as in Fossil; the chain walk stops at the first miss
    for i1 in range(1, na - best + 1):
        j1 = first[za[i1 - 1]]
        while j1 < nb - best and za[i1 - 1 : i1 - 1 + best] == zb[j1 - 1 : j1 - 1 + best]:
            limit = min(na - i1, nb - j1)
            k = best + linechange.common_run(za, i1 - 1 + best, zb, j1 - 1 + best, limit + 1 - best)
            if k > best:
                best = k
            j1 = nxt[j1]
    return 5 + (0 if best >= avg else (avg - best) * 95 // avg)


def _align_ignore_space(d: Diff, a0: int, na: int, b0: int, nb: int, cfg: DiffConfig) -> list[int] | None:
    classes: dict[tuple[bytes, int], int] = {}
    fr = trimmed_lines(d.old, a0, na, classes)
    to = trimmed_lines(d.new, b0, nb, classes)
    sx, ex, sy, ey = longest_common(fr, to, 0, na, 0, nb)
    n = ex - sx
    if n < 5:
        return None
    return align(d, a0, sx, b0, sy, cfg) + [3] * n + align(d, a0 + ex, na - ex, b0 + ey, nb - ey, cfg)


def _align_divide(d: Diff, a0: int, na: int, b0: int, nb: int, cfg: DiffConfig) -> list[int]:
    if na > nb:
        small, s0, nsmall, big, g0, nbig = d.new, b0, nb, d.old, a0, na
    else:
        small, s0, nsmall, big, g0, nbig = d.old, a0, na, d.new, b0, nb
    div_big = nbig // 2
    div_small = nsmall // 2
    best = 10000
    for i in range(nsmall):
        score = match_dline(big, g0 + div_big, small, s0 + i) + abs(i - nsmall // 2) * 2
        if score < best:
            best = score
            div_small = i
    if small is d.new:
        dl, dr = div_big, div_small
    else:
        dl, dr = div_small, div_big
    return align(d, a0, dl, b0, dr, cfg) + align(d, a0 + dl, na - dl, b0 + dr, nb - dr, cfg)


def align(d: Diff, a0: int, na: int, b0: int, nb: int, cfg: DiffConfig) -> list[int]:
    """``diffBlockAlignment``: per step 1 delete, 2 insert, 3 change a line
    into the other, 4 delete one and insert one."""
    if na == 0:
        return [2] * nb
    if nb == 0:
        return [1] * na
    cfg.tick()
    if na * nb > ALIGN_MX and not cfg.flags & DIFF_SLOW_SBS:
        if not cfg.flags & DIFF_IGNORE_ALLWS:
            res = _align_ignore_space(d, a0, na, b0, nb, cfg)
            if res is not None:
                return res
        return _align_divide(d, a0, na, b0, nb, cfg)
    left, right = d.old, d.new
    w = nb + 1
    a = [i * 50 for i in range(w)]
    m_ = [2] * ((na + 1) * w)
    m_[0] = 0
    for j in range(1, na + 1):
        p = a[0]
        a[0] = p + 50
        m_[j * w] = 1
        for i in range(1, nb + 1):
            m = a[i - 1] + 50
            dd = 2
            if m > a[i] + 50:
                m = a[i] + 50
                dd = 1
            if m > p:
                score = match_dline(left, a0 + j - 1, right, b0 + i - 1)
                if (score <= 90 or j - 1 < i < j + 1) and m > p + score:
                    m = p + score
                    dd = 3
            p = a[i]
            a[i] = m
            m_[j * w + i] = dd
    path: list[int] = []
    i, j = nb, na
    while i + j > 0:
        c = m_[j * w + i]
        if c >= 3:
            i -= 1
            j -= 1
            path.append(3)
        elif c == 2:
            i -= 1
            path.append(2)
        else:
            j -= 1
            path.append(1)
    path.reverse()
    return path


def _small_gap(r: list[int], k: int, ma: int, mb: int) -> bool:
    m = r[k + 3]
    ma += r[k + 4] + m
    mb += r[k + 5] + m
    if ma * mb > ALIGN_MX:
        return False
    return m <= 2 or m <= (r[k + 1] + r[k + 2] + r[k + 4] + r[k + 5]) // 8


class Builder(Protocol):
    """The ``DiffBuilder`` methods :func:`format_diff` calls."""

    def skip(self, n: int, final: bool) -> None: ...
    def common(self, z: bytes) -> None: ...
    def insert(self, z: bytes) -> None: ...
    def delete(self, z: bytes) -> None: ...
    def replace(self, x: bytes, y: bytes) -> None: ...
    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None: ...
    def end(self) -> None: ...


def format_diff(d: Diff, cfg: DiffConfig, out: Builder) -> None:
    """``formatDiff``: feed the blocks of ``d`` with their context to ``out``."""
    ctx = cfg.context_lines()
    az, bz = d.old.z, d.new.z
    r_ = d.edits
    a = b = 0
    mxr = len(r_)
    while mxr > 2 and r_[mxr - 1] == 0 and r_[mxr - 2] == 0:
        mxr -= 3
    r = 0
    while r < mxr:
        nr = 1
        while r_[r + nr * 3] > 0 and r_[r + nr * 3] < ctx * 2:
            nr += 1
        skip = r_[r] - ctx if r_[r] > ctx else 0
        a += skip
        b += skip
        m = r_[r] - skip
        if r:
            skip -= ctx
        if skip > 0:
            if skip < ctx:
                for j in range(skip):
                    out.common(az[a + j - skip])
            else:
                out.skip(skip, False)
        for j in range(m):
            out.common(az[a + j])
        a += m
        b += m
        i = 0
        while i < nr:
            ma = r_[r + i * 3 + 1]
            mb = r_[r + i * 3 + 2]
            while i < nr - 1 and _small_gap(r_, r + i * 3, ma, mb):
                i += 1
                m = r_[r + i * 3]
                ma += r_[r + i * 3 + 1] + m
                mb += r_[r + i * 3 + 2] + m
            for step in align(d, a, ma, b, mb, cfg):
                if step == 1:
                    out.delete(az[a])
                    a += 1
                elif step == 2:
                    out.insert(bz[b])
                    b += 1
                elif step == 3:
                    if d.same(a, b):
                        out.common(az[a])
                    else:
                        out.edit(az[a], bz[b], d.old.after(a, abs(len(bz[b]) - len(az[a])) + 2))
                    a += 1
                    b += 1
                else:
                    out.replace(az[a], bz[b])
                    a += 1
                    b += 1
            if i < nr - 1:
                m = r_[r + i * 3 + 3]
                for j in range(m):
                    out.common(az[a + j])
                a += m
                b += m
            i += 1
        for j in range(min(r_[r + nr * 3], ctx)):
            out.common(az[a + j])
        r += 3 * nr
    if r_[r] > ctx:
        out.skip(r_[r] - ctx, True)
    out.end()


class _Sbs:
    def __init__(self, cfg: DiffConfig) -> None:
        self.out: list[bytes] = []
        self.left = self.right = 0
        self.width = cfg.column_width()

    def cols(self, z: bytes, lo: int, hi: int) -> bytes:
        """``sbs_append_chars``: hi..lo characters (not bytes), space padded."""
        i = 0
        n = len(z)
        while i < hi and i < n:
            if z[i] & 0xC0 == 0x80:
                lo += 1
                hi += 1
            i += 1
        return z[:i] + b" " * max(0, lo - i)

    def skip(self, n: int, final: bool) -> None:
        if (self.left or self.right) and not final:
            self.out.append(b"." * (self.width * 2 + 16) + b"\n")
        self.left += n
        self.right += n

    def common(self, z: bytes) -> None:
        self.left += 1
        self.right += 1
        w = self.width
        self.out.append(b"%6u %s   %6u %s\n" % (self.left, self.cols(z, w, w), self.right, self.cols(z, 0, w)))

    def insert(self, z: bytes) -> None:
        self.right += 1
        self.out.append(b"%6s %*s > %6u %s\n" % (b"", self.width, b"", self.right, self.cols(z, 0, self.width)))

    def delete(self, z: bytes) -> None:
        self.left += 1
        self.out.append(b"%6u %s <\n" % (self.left, self.cols(z, self.width, self.width)))

    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None:
        self.left += 1
        self.right += 1
        w = self.width
        self.out.append(b"%6u %s | %6u %s\n" % (self.left, self.cols(x, w, w), self.right, self.cols(y, 0, w)))

    replace = edit

    def end(self) -> None:
        pass


def sbs_text(d: Diff, cfg: DiffConfig) -> bytes:
    """The side-by-side text of ``fossil diff -y`` (``DiffBuilderSbs``)."""
    b = _Sbs(cfg)
    format_diff(d, cfg, b)
    return b"".join(b.out)


def unified_html(d: Diff, cfg: DiffConfig) -> bytes:
    """The ``<table class="diff udiff">`` of ``--html`` and the web pages."""
    b = linechange.UnifiedHtml(cfg)
    format_diff(d, cfg, b)
    return b.result()


def split_html(d: Diff, cfg: DiffConfig) -> bytes:
    """The ``<table class="diff splitdiff">`` of ``-y --html`` and the web pages."""
    b = linechange.SplitHtml(cfg)
    format_diff(d, cfg, b)
    return b.result()


def filenames_header(left: str, right: str, cfg: DiffConfig) -> bytes:
    """``diff_print_filenames`` for the unified and side-by-side text forms."""
    if not cfg.flags & textdiff.DIFF_SIDEBYSIDE:
        return f"--- {left}\n+++ {right}\n".encode("utf-8", "surrogateescape")
    w = cfg.column_width()
    zl, zr = left.encode("utf-8", "surrogateescape"), right.encode("utf-8", "surrogateescape")
    n1, n2 = len(zl), len(zr)
    if zl == zr:
        n1 = min(n1, w * 2)
        x = w * 2 + 17 - (n1 + 2)
        return b"=" * (x // 2) + b" " + zl[:n1] + b" " + b"=" * ((x + 1) // 2) + b"\n"
    w = max(w, 20)
    n1 = min(n1, w - 10)
    n2 = min(n2, w - 10)
    return (
        b"=" * ((w - n1 + 10) // 2)
        + b" "
        + zl[:n1]
        + b" "
        + b"=" * ((w - n1 + 1) // 2)
        + b" versus "
        + b"=" * ((w - n2) // 2)
        + b" "
        + zr[:n2]
        + b" "
        + b"=" * ((w - n2 + 1) // 2)
        + b"\n"
    )
