"""Changes inside one line, and the HTML diff tables built with them.

``oneLineChange`` of Fossil 2.21's ``src/diff.c`` finds which bytes of a
changed line differ (common prefix and suffix, an inner common run when the
middle is long enough, the indentation moved to the left margin); the two
builders here write the ``<table class="diff udiff">`` and
``<table class="diff splitdiff">`` of ``DiffBuilderUnified`` and
``DiffBuilderSplit`` byte for byte, marking whole changed lines with
``<ins>``/``<del>`` and the changed bytes with nested ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fossilpy.artifact.textdiff import DiffConfig

_SPACE = frozenset(b"\t\n\x0b\x0c\r ")
_MX_CSN = 8
Span = list[int]  # [start1, len1, start2, len2, is_min]


def common_run(a: bytes, i: int, b: bytes, j: int, n: int) -> int:
    """How many of the ``n`` bytes from ``a[i]`` and ``b[j]`` agree before the first difference."""
    k = 0
    while k < n and k < 8:
        if a[i + k] != b[j + k]:
            return k
        k += 1
    step = 64
    while step:
        while k + step <= n and a[i + k : i + k + step] == b[j + k : j + k + step]:
            k += step
        step //= 4
    return k


def _text_lcs(za: bytes, zb_line: bytes, b0: int, nb: int) -> tuple[int, int, int, int] | None:
    """``textLCS`` of ``za`` and ``nb`` bytes of ``zb_line`` from ``b0`` (the
    UTF-8 back-off may look one byte past the span, as Fossil's does)."""
    na = len(za)
    zb = zb_line[b0 : b0 + nb] + (zb_line[b0 + nb : b0 + nb + 1] or b"\0")
    best = 0
    res = None
    i = 0
    while i < na - best:
        ca = za[i]
        if ca & 0xC0 != 0x80:
            cb = za[i : i + 1]
            j = zb.find(cb, 0, nb - best) if nb > best else -1
            while j >= 0:
                k = 1
                m = min(nb - j, na - i)
                while k < m and zb[j + k] == za[i + k]:
                    k += 1
                while zb[j + k] & 0xC0 == 0x80:
                    k -= 1
                if k > best:
                    best = k
                    res = (i, i + k, j, j + k)
                j = zb.find(cb, j + 1, nb - best) if nb > best else -1
        i += 1
    return res


def _text_line_changes(za: bytes, zb: bytes, b0: int, nb: int) -> list[Span]:
    p: list[Span] = [[0, len(za), 0, nb, 0]]
    while len(p) < _MX_CSN - 1:
        mxi, mxlen = -1, -1
        for i, s in enumerate(p):
            if s[4]:
                continue
            x = min(s[1], s[3])
            if x > mxlen:
                mxlen, mxi = x, i
        if mxlen < 6:
            break
        a = p[mxi]
        lcs = _text_lcs(za[a[0] : a[0] + a[1]], zb, b0 + a[2], a[3])
        if lcs is None:
            a[4] = 1
            continue
        b = [a[0] + lcs[1], a[1] - lcs[1], a[2] + lcs[3], a[3] - lcs[3], 0]
        a[1] = lcs[0]
        a[3] = lcs[2]
        p.insert(mxi + 1, b)
    return p


def _all_spaces(z: bytes, n: int) -> bool:
    return all(c in _SPACE for c in z[:n])


def _improve(za: bytes, zb: bytes, p: list[Span]) -> None:
    if not p:
        return
    f = p[0]
    for z, ist, il, ol in ((zb, 2, 3, 1), (za, 0, 1, 3)):
        length, j = f[il], f[ist]
        if f[ol] == 0 and length > 0 and j > 0 and z[0] == (z[j] if j < len(z) else 0) and _all_spaces(z, j):
            n = 1
            while n < length and n < j and z[j] == z[j + n]:
                n += 1
            if n < length:
                second = list(f)
                second[ist] += n
                second[il] -= n
                p.insert(1, second)
                f[il] = n
            f[0] = 0
            f[2] = 0
            return


def one_line_change(za: bytes, zb: bytes, after: bytes = b"") -> list[Span]:
    """``oneLineChange``: spans [start1, len1, start2, len2, _] that differ.

    ``after``: the bytes that follow ``za`` in its file, which Fossil's
    alignment scoring may read past the end of a shorter left line."""
    nl, nr = len(za), len(zb)
    nshort = min(nl, nr)
    pre = 0
    while pre < nshort and za[pre] == zb[pre]:
        pre += 1
    if pre < nshort:
        while pre > 0 and za[pre] & 0xC0 == 0x80:
            pre -= 1
    suf = 0
    if pre < nshort:
        while suf < nshort and za[nl - suf - 1] == zb[nr - suf - 1]:
            suf += 1
        if suf < nshort:
            while suf > 0 and za[nl - suf] & 0xC0 == 0x80:
                suf -= 1
        if suf in (nl, nr):
            pre = 0
    common = pre + suf
    if common > nshort:
        ibest, bestval = -1, -1
        gap = max(nl, nr) - nshort
        ext = za + after + b"\0" * (gap + 2)
        for i in range(nshort - suf, pre + 1):
            val = 0
            for c in (ext[i], ext[i + gap - 1]):
                if c in _SPACE:
                    val += 5
                elif not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122):
                    val += 2
            if val > bestval:
                bestval, ibest = val, i
        pre = ibest
        suf = nshort - pre
        common = pre + suf
    p: list[Span]
    if common == nl:
        p = [[pre, 0, pre, nr - common, 0]]
    elif common == nr:
        p = [[pre, nl - common, pre, 0, 0]]
    else:
        dl, dr = nl - common, nr - common
        p = []
        if dl >= 4 and dr >= 4:
            p = _text_line_changes(za[pre : pre + dl], zb, pre, dr)
            for s in p:
                s[0] += pre
                s[2] += pre
        if len(p) <= 1:
            p = [[pre, dl, pre, dr, 0]]
    _improve(za, zb, p)
    return p


def htmlize(z: bytes) -> bytes:
    """``htmlize_to_blob``: escape ``<>&"'`` and turn CR into a space."""
    return (
        z.replace(b"&", b"&amp;")
        .replace(b"<", b"&lt;")
        .replace(b">", b"&gt;")
        .replace(b'"', b"&quot;")
        .replace(b"'", b"&#39;")
        .replace(b"\r", b" ")
    )


def _marked(z: bytes, spans: list[Span], side: int, tags: tuple[bytes, bytes, bytes]) -> bytes:
    """The line with its changed spans wrapped (``tags``: plain open, edit open, close)."""
    out: list[bytes] = []
    x = 0
    st, ln, ol = (0, 1, 3) if side == 0 else (2, 3, 1)
    for s in spans:
        if s[ln]:
            out.append(htmlize(z[x : s[st]]))
            x = s[st]
            out.append(tags[1] if s[ol] else tags[0])
            out.append(htmlize(z[x : x + s[ln]]))
            x += s[ln]
            out.append(tags[2])
    out.append(htmlize(z[x:]))
    return b"".join(out)


class _Html:
    def __init__(self, cfg: DiffConfig, cls: bytes) -> None:
        self.cfg = cfg
        self.out: list[bytes] = []
        self.col: list[list[bytes]] = [[], [], [], [], []]
        self.left = self.right = 0
        self.state = 0
        self.pending = 0
        lh = cfg.left_hash.encode()
        if lh:
            self.out.append(b'<table class="diff %s" data-lefthash="%s">\n' % (cls, lh))
        else:
            self.out.append(b'<table class="diff %s">\n' % cls)

    def _start_row(self) -> bool:
        if self.col[0]:
            return False
        self.cfg.chunks += 1
        self.out.append(b'<tr id="chunk%d"><td class="diffln difflnl"><pre>\n' % self.cfg.chunks)
        return True

    def _skip_row(self, n: int, cells: bytes) -> None:
        if self.cfg.left_hash:
            self.out.append(
                b'<tr class="diffskip" data-startln="%d" data-endln="%d" id="skip%xh%xi%x">\n'
                % (self.left + 1, self.left + n, self.cfg.chunks, self.left, n)
            )
        else:
            self.out.append(b"<tr>")
        self.out.append(cells)
        self.left += n
        self.right += n

    def result(self) -> bytes:
        return b"".join(self.out)


class UnifiedHtml(_Html):
    """``DiffBuilderUnified``: line numbers, marks and text in four cells."""

    def __init__(self, cfg: DiffConfig) -> None:
        super().__init__(cfg, b"udiff")

    def _finish_delete(self) -> None:
        if self.state:
            self.out.append(b"</del>")
            self.col[2].append(b"</del>")
            self.state = 0

    def _finish_insert(self) -> None:
        if not self.pending:
            return
        self._finish_delete()
        c = self.col
        self.out.append(b"\n" * self.pending)
        c[0] += [b"<ins>", *c[3], b"</ins>"]
        c[1].append(b"+\n" * self.pending)
        c[2] += [b"<ins>", *c[4], b"</ins>"]
        c[3], c[4] = [], []
        self.pending = 0

    def _finish_row(self) -> None:
        self._finish_delete()
        self._finish_insert()
        c = self.col
        if not c[0]:
            return
        self.out += [b'</pre></td><td class="diffln difflnr"><pre>\n', *c[0]]
        self.out += [b'</pre></td><td class="diffsep"><pre>\n', *c[1]]
        self.out += [b'</pre></td><td class="difftxt difftxtu"><pre>\n', *c[2], b"</pre></td></tr>\n"]
        self.col = [[], [], [], [], []]

    def _open_del(self) -> None:
        if self.state == 0:
            self._finish_insert()
            self.out.append(b"<del>")
            self.col[2].append(b"<del>")
            self.state = 1

    def skip(self, n: int, final: bool) -> None:
        self._finish_row()
        self._skip_row(n, b'<td class="diffln difflne">&#xfe19;</td><td></td><td></td></tr>\n')

    def common(self, z: bytes) -> None:
        self._start_row()
        self._finish_delete()
        self._finish_insert()
        self.left += 1
        self.right += 1
        self.out.append(b"%d\n" % self.left)
        self.col[0].append(b"%d\n" % self.right)
        self.col[1].append(b"\n")
        self.col[2].append(htmlize(z) + b"\n")

    def insert(self, z: bytes) -> None:
        self._start_row()
        self.right += 1
        self.col[3].append(b"%d\n" % self.right)
        self.col[4].append(b"<ins>" + htmlize(z) + b"</ins>\n")
        self.pending += 1

    def delete(self, z: bytes) -> None:
        self._start_row()
        self._finish_insert()
        self._open_del()
        self.left += 1
        self.out.append(b"%d\n" % self.left)
        self.col[0].append(b"\n")
        self.col[1].append(b"-\n")
        self.col[2].append(b"<del>" + htmlize(z) + b"</del>\n")

    def _pair(self, x: bytes, y: bytes) -> None:
        self._start_row()
        self._open_del()
        self.left += 1
        self.right += 1
        self.out.append(b"%d\n" % self.left)
        self.col[0].append(b"\n")
        self.col[1].append(b"-\n")
        self.col[2].append(x + b"\n")
        self.col[3].append(b"%d\n" % self.right)
        self.col[4].append(y + b"\n")
        self.pending += 1

    def replace(self, x: bytes, y: bytes) -> None:
        self._pair(htmlize(x), htmlize(y))

    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None:
        spans = one_line_change(x, y, after)
        self._pair(
            _marked(x, spans, 0, (b"<del>", b"<del>", b"</del>")),
            _marked(y, spans, 1, (b"<ins>", b"<ins>", b"</ins>")),
        )

    def end(self) -> None:
        self._finish_row()
        self.out.append(b"</table>\n")


class SplitHtml(_Html):
    """``DiffBuilderSplit``: old and new text side by side in five cells."""

    def __init__(self, cfg: DiffConfig) -> None:
        super().__init__(cfg, b"splitdiff")

    def _state(self, new: int) -> None:
        if self.state == new:
            return
        c = self.col
        if not self.state & 1 and new & 1:
            self.out.append(b"<del>")
            c[0].append(b"<del>")
            self.state |= 1
        elif self.state & 1 and not new & 1:
            self.out.append(b"</del>")
            c[0].append(b"</del>")
            self.state &= ~1
        if not self.state & 2 and new & 2:
            c[2].append(b"<ins>")
            c[3].append(b"<ins>")
            self.state |= 2
        elif self.state & 2 and not new & 2:
            c[2].append(b"</ins>")
            c[3].append(b"</ins>")
            self.state &= ~2

    def _row(self) -> None:
        if self._start_row():
            self.state = 0

    def _finish_row(self) -> None:
        c = self.col
        if not c[0]:
            return
        self._state(0)
        self.out += [b'</pre></td><td class="difftxt difftxtl"><pre>\n', *c[0]]
        self.out += [b'</pre></td><td class="diffsep"><pre>\n', *c[1]]
        self.out += [b'</pre></td><td class="diffln difflnr"><pre>\n', *c[2]]
        self.out += [b'</pre></td><td class="difftxt difftxtr"><pre>\n', *c[3], b"</pre></td></tr>\n"]
        self.col = [[], [], [], [], []]

    def skip(self, n: int, final: bool) -> None:
        self._finish_row()
        self._skip_row(
            n,
            b'<td class="diffln difflnl difflne">&#xfe19;</td><td></td><td></td>'
            b'<td class="diffln difflnr difflne">&#xfe19;</td><td/td></tr>\n',
        )

    def common(self, z: bytes) -> None:
        self._row()
        self._state(0)
        self.left += 1
        self.right += 1
        h = htmlize(z) + b"\n"
        self.out.append(b"%d\n" % self.left)
        self.col[0].append(h)
        self.col[1].append(b"\n")
        self.col[2].append(b"%d\n" % self.right)
        self.col[3].append(h)

    def insert(self, z: bytes) -> None:
        self._row()
        self._state(2)
        self.right += 1
        self.out.append(b"\n")
        self.col[0].append(b"\n")
        self.col[1].append(b"&gt;\n")
        self.col[2].append(b"%d\n" % self.right)
        self.col[3].append(b"<ins>" + htmlize(z) + b"</ins>\n")

    def delete(self, z: bytes) -> None:
        self._row()
        self._state(1)
        self.left += 1
        self.out.append(b"%d\n" % self.left)
        self.col[0].append(b"<del>" + htmlize(z) + b"</del>\n")
        self.col[1].append(b"&lt;\n")
        self.col[2].append(b"\n")
        self.col[3].append(b"\n")

    def _pair(self, x: bytes, y: bytes) -> None:
        self._row()
        self._state(3)
        self.left += 1
        self.right += 1
        self.out.append(b"%d\n" % self.left)
        self.col[0].append(x + b"\n")
        self.col[1].append(b"|\n")
        self.col[2].append(b"%d\n" % self.right)
        self.col[3].append(y + b"\n")

    def replace(self, x: bytes, y: bytes) -> None:
        self._pair(htmlize(x), htmlize(y))

    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None:
        spans = one_line_change(x, y, after)
        self._pair(
            _marked(x, spans, 0, (b"<del>", b"<del class='edit'>", b"</del>")),
            _marked(y, spans, 1, (b"<ins>", b"<ins class='edit'>", b"</ins>")),
        )

    def end(self) -> None:
        self._finish_row()
        self.out.append(b"</table>\n")
