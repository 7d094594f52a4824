"""SVG text for Pikchr diagrams: number formatting, coordinates,
colours, styles, arrowheads and the ``<text>`` rows of an object, as
Fossil's embedded Pikchr writes them (``pik_append_*`` and
``pik_append_txt`` in ``extsrc/pikchr.c``).

Numbers are C's ``%g`` (six significant digits); coordinates are
flipped so y grows downward and scaled from inches to pixels.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fossilpy.markup.pikchr.model import (
    TP_ABOVE,
    TP_ABOVE2,
    TP_ALIGN,
    TP_BELOW,
    TP_BELOW2,
    TP_BIG,
    TP_BOLD,
    TP_CENTER,
    TP_ITALIC,
    TP_JMASK,
    TP_LJUST,
    TP_RJUST,
    TP_SMALL,
    TP_VMASK,
    TP_XTRA,
    Box,
    Obj,
    Pt,
)
from fossilpy.markup.pikchr.tables import text_length

if TYPE_CHECKING:
    from fossilpy.markup.pikchr.layout import Pik


def g(v: float) -> str:
    """C's ``%g``."""
    return format(v, "g")


def c_round(v: float) -> int:
    """``pik_round``: truncate toward zero, clamped to a C int."""
    if math.isnan(v):
        return 0
    if v < -2147483647:
        return -2147483648
    if v >= 2147483647:
        return 2147483647
    return int(v)


def xy(p: Pik, pre: str, x: float, y: float) -> None:
    s = p.r_scale
    p.out.append(f"{pre}{g(s * (x - p.bbox.swx))},{g(s * (p.bbox.ney - y))}")


def put_x(p: Pik, pre: str, v: float, post: str) -> None:
    p.out.append(f"{pre}{g(p.r_scale * (v - p.bbox.swx))}{post}")


def put_y(p: Pik, pre: str, v: float, post: str) -> None:
    p.out.append(f"{pre}{g(p.r_scale * (p.bbox.ney - v))}{post}")


def dis(p: Pik, pre: str, v: float, post: str) -> None:
    p.out.append(f"{pre}{g(p.r_scale * v)}{post}")


def arc(p: Pik, r1: float, r2: float, x: float, y: float) -> None:
    s = p.r_scale
    p.out.append(f"A{g(s * r1)} {g(s * r2)} 0 0 0 {g(s * (x - p.bbox.swx))} {g(s * (p.bbox.ney - y))}")


def _dark(x: int, is_bg: bool) -> int:
    """A colour inverted for dark mode."""
    x = 0xFFFFFF - x
    r, gr, b = (x >> 16) & 0xFF, (x >> 8) & 0xFF, x & 0xFF
    mx, mn = max(r, gr, b), min(r, gr, b)
    r, gr, b = mn + (mx - r), mn + (mx - gr), mn + (mx - b)
    if is_bg:
        if mx > 127:
            r, gr, b = (127 * r) // mx, (127 * gr) // mx, (127 * b) // mx
    elif mn < 128 and mx > mn:
        r = 127 + ((r - mn) * 128) // (mx - mn)
        gr = 127 + ((gr - mn) * 128) // (mx - mn)
        b = 127 + ((b - mn) * 128) // (mx - mn)
    return r * 0x10000 + gr * 0x100 + b


def clr(p: Pik, pre: str, v: float, post: str, bg: bool) -> None:
    x = c_round(v)
    if x == 0 and p.fgcolor > 0 and not bg:
        x = p.fgcolor
    elif bg and x >= 0xFFFFFF and p.bgcolor > 0:
        x = p.bgcolor
    elif p.dark_mode:
        x = _dark(x, bg)
    p.out.append(f"{pre}rgb({(x >> 16) & 0xFF},{(x >> 8) & 0xFF},{x & 0xFF}){post}")


def style(p: Pik, o: Obj, e_fill: int) -> None:
    """The ``style="...`` attribute, left open for the caller to close.
    ``e_fill``: 0 no fill; 1 fill is background; 2 fill and colour are
    foreground (dots); 3 both background."""
    clr_is_bg = False
    p.out.append(' style="')
    if o.fill >= 0 and e_fill:
        fill_is_bg = True
        if o.fill == o.color:
            if e_fill == 2:
                fill_is_bg = False
            if e_fill == 3:
                clr_is_bg = True
        clr(p, "fill:", o.fill, ";", fill_is_bg)
    else:
        p.out.append("fill:none;")
    if o.sw > 0.0 and o.color >= 0.0:
        sw = o.sw
        dis(p, "stroke-width:", sw, ";")
        if len(o.path) > 2 and o.rad <= o.sw:
            p.out.append("stroke-linejoin:round;")
        clr(p, "stroke:", o.color, ";", clr_is_bg)
        if o.dotted > 0.0:
            sw = max(sw, 2.1 / p.r_scale)
            dis(p, "stroke-dasharray:", sw, "")
            dis(p, ",", o.dotted, ";")
        elif o.dashed > 0.0:
            dis(p, "stroke-dasharray:", o.dashed, "")
            dis(p, ",", o.dashed, ";")


def chop(f: Pt, t: Pt, amt: float) -> Pt:
    """``t`` moved ``amt`` toward ``f`` (to ``f`` if closer than that)."""
    dx, dy = t[0] - f[0], t[1] - f[1]
    dist = math.hypot(dx, dy)
    if dist <= amt:
        return f
    r = 1.0 - amt / dist
    return (f[0] + r * dx, f[1] + r * dy)


def arrowhead(p: Pik, f: Pt, t: Pt, o: Obj) -> Pt:
    """Draw an arrowhead at ``t`` pointing away from ``f``; return ``t``
    pulled back so the shaft stops inside the head."""
    dx, dy = t[0] - f[0], t[1] - f[1]
    dist = math.hypot(dx, dy)
    h = p.h_arrow * o.sw
    w = p.w_arrow * o.sw
    if o.color < 0.0 or o.sw <= 0.0 or dist <= 0.0:
        return t
    dx /= dist
    dy /= dist
    e1 = dist - h
    if e1 < 0.0:
        e1 = 0.0
        h = dist
    ddx, ddy = -w * dy, w * dx
    bx, by = f[0] + e1 * dx, f[1] + e1 * dy
    xy(p, '<polygon points="', t[0], t[1])
    xy(p, " ", bx - ddx, by - ddy)
    xy(p, " ", bx + ddx, by + ddy)
    clr(p, '" style="fill:', o.color, '"/>\n', False)
    return chop(f, t, h / 2)


def is_entity(z: bytes) -> bool:
    """True if ``z`` starts with something shaped like ``&name;`` or ``&#nn;``."""
    n = len(z)
    if n < 4 or z[0] != 0x26:
        return False
    z = z[1:]
    n -= 1
    if z[0] == 0x23:
        z = z[1:]
        n -= 1
        for i in range(n):
            if i > 1 and z[i] == 0x3B:
                return True
            if not 48 <= z[i] <= 57:
                return False
        return False
    for i in range(n):
        c = z[i]
        if i > 1 and c == 0x3B:
            return True
        if i > 0 and 48 <= c <= 57:
            continue
        if c < 65 or c > 122 or 90 < c < 97:
            return False
    return False


def escape(z: bytes, flags: int) -> str:
    """``<`` and ``>`` escaped; with flag 1 spaces become U+00A0, with
    flag 2 a lone ``&`` becomes ``&amp;``."""
    out = bytearray()
    for i, c in enumerate(z):
        if c == 60:
            out += b"&lt;"
        elif c == 62:
            out += b"&gt;"
        elif c == 32 and flags & 1:
            out += b"\xc2\xa0"
        elif c == 38 and flags & 2:
            out += b"&" if is_entity(z[i:]) else b"&amp;"
        else:
            out.append(c)
    return out.decode("utf-8", "replace")


def vertical_layout(o: Obj) -> None:
    """Give every text row of ``o`` exactly one vertical slot."""
    txt = o.txt
    n = len(txt)
    if n == 0:
        return
    if n == 1:
        if txt[0].code & TP_VMASK == 0:
            txt[0].code |= TP_CENTER
        return
    j = m_just = 0
    for i in range(n - 1, -1, -1):
        if txt[i].code & TP_ABOVE:
            if j == 0:
                j = 1
                m_just = txt[i].code & TP_JMASK
            elif j == 1 and m_just != 0 and txt[i].code & m_just == 0:
                j += 1
            else:
                txt[i].code = (txt[i].code & ~TP_VMASK) | TP_ABOVE2
                break
    j = m_just = 0
    for i in range(n):
        if txt[i].code & TP_BELOW:
            if j == 0:
                j = 1
                m_just = txt[i].code & TP_JMASK
            elif j == 1 and m_just != 0 and txt[i].code & m_just == 0:
                j += 1
            else:
                txt[i].code = (txt[i].code & ~TP_VMASK) | TP_BELOW2
                break
    used = 0
    for t in txt:
        used |= t.code & TP_VMASK
    free: list[int] = []
    if n == 2 and (txt[0].code | txt[1].code) & TP_JMASK == TP_LJUST | TP_RJUST:
        free = [TP_CENTER, TP_CENTER]
    else:
        if n >= 4 and used & TP_ABOVE2 == 0:
            free.append(TP_ABOVE2)
        if used & TP_ABOVE == 0:
            free.append(TP_ABOVE)
        if n & 1:
            free.append(TP_CENTER)
        if used & TP_BELOW == 0:
            free.append(TP_BELOW)
        if n >= 4 and used & TP_BELOW2 == 0:
            free.append(TP_BELOW2)
    k = 0
    for t in txt:
        if t.code & TP_VMASK == 0:
            t.code |= free[k]
            k += 1


def font_scale(code: int) -> float:
    s = 1.0
    if code & TP_BIG:
        s *= 1.25
    if code & TP_SMALL:
        s *= 0.8
    if code & TP_XTRA:
        s *= s
    return s


def _row_height(p: Pik, o: Obj, flag: int) -> float:
    h = 0.0
    for t in o.txt:
        if t.code & flag:
            h = max(h, font_scale(t.code) * p.char_height)
    return h


def text(p: Pik, o: Obj, box: Box | None = None) -> None:
    """Write the ``<text>`` rows of ``o``, or with ``box`` only grow the
    box to hold them."""
    if p.n_err or not o.txt:
        return
    vertical_layout(o)
    x = o.at[0]
    mask = 0
    for t in o.txt:
        mask |= t.code
    hc = y_base = 0.0
    if o.kind.is_line:
        hc = o.sw * 1.5
    elif o.rad > 0.0 and o.kind.name == "cylinder":
        y_base = -0.75 * o.rad
    if mask & TP_CENTER:
        hc = max(hc, _row_height(p, o, TP_CENTER))
    ha1 = ha2 = hb1 = hb2 = 0.0
    if mask & TP_ABOVE:
        ha1 = _row_height(p, o, TP_ABOVE)
        if mask & TP_ABOVE2:
            ha2 = _row_height(p, o, TP_ABOVE2)
    if mask & TP_BELOW:
        hb1 = _row_height(p, o, TP_BELOW)
        if mask & TP_BELOW2:
            hb2 = _row_height(p, o, TP_BELOW2)
    jw = 0.5 * (o.w - 0.5 * (p.char_width + o.sw)) if o.kind.e_just else 0.0
    for t in o.txt:
        code = t.code
        scale = font_scale(code)
        nx = 0.0
        orig_y = o.at[1]
        y = y_base
        if code & TP_ABOVE2:
            y += 0.5 * hc + ha1 + 0.5 * ha2
        if code & TP_ABOVE:
            y += 0.5 * hc + 0.5 * ha1
        if code & TP_BELOW:
            y -= 0.5 * hc + 0.5 * hb1
        if code & TP_BELOW2:
            y -= 0.5 * hc + hb1 + 0.5 * hb2
        if code & TP_LJUST:
            nx -= jw
        if code & TP_RJUST:
            nx += jw
        if box is not None:
            _grow(p, o, box, t.z, t.n, code, scale, x, nx, y, orig_y)
            continue
        _emit(p, o, t.z, t.n, code, scale, x + nx, y + orig_y, x, orig_y)


def _grow(
    p: Pik, o: Obj, box: Box, z: int, n: int, code: int, scale: float,
    x: float, nx: float, y: float, orig_y: float,
) -> None:  # fmt: skip
    cw = text_length(p.src, z, n) * p.char_width * scale * 0.01
    ch = p.char_height * 0.5 * scale
    if code & TP_BOLD:
        cw *= 1.1
    if code & TP_RJUST:
        x0, y0, x1, y1 = nx, y - ch, nx - cw, y + ch
    elif code & TP_LJUST:
        x0, y0, x1, y1 = nx, y - ch, nx + cw, y + ch
    else:
        x0, y0, x1, y1 = nx + cw / 2, y + ch, nx - cw / 2, y - ch
    if code & TP_ALIGN and len(o.path) >= 2:
        dx = o.path[-1][0] - o.path[0][0]
        dy = o.path[-1][1] - o.path[0][1]
        if dx != 0 or dy != 0:
            dist = math.hypot(dx, dy)
            dx /= dist
            dy /= dist
            x0, y0 = dx * x0 - dy * y0, dy * x0 - dx * y0
            x1, y1 = dx * x1 - dy * y1, dy * x1 - dx * y1
    box.add_xy(x + x0, orig_y + y0)
    box.add_xy(x + x1, orig_y + y1)


def _emit(
    p: Pik, o: Obj, z: int, n: int, code: int, scale: float,
    tx: float, ty: float, x: float, orig_y: float,
) -> None:  # fmt: skip
    out = p.out
    put_x(p, '<text x="', tx, '"')
    put_y(p, ' y="', ty, '"')
    if code & TP_RJUST:
        out.append(' text-anchor="end"')
    elif code & TP_LJUST:
        out.append(' text-anchor="start"')
    else:
        out.append(' text-anchor="middle"')
    if code & TP_ITALIC:
        out.append(' font-style="italic"')
    if code & TP_BOLD:
        out.append(' font-weight="bold"')
    if o.color >= 0.0:
        clr(p, ' fill="', o.color, '"', False)
    scale *= p.font_scale
    if scale <= 0.99 or scale >= 1.01:
        out.append(f' font-size="{scale * 100.0:.10g}%"')
    if code & TP_ALIGN and len(o.path) >= 2:
        dx = o.path[-1][0] - o.path[0][0]
        dy = o.path[-1][1] - o.path[0][1]
        if dx != 0 or dy != 0:
            out.append(f' transform="rotate({math.atan2(dy, dx) * -180 / math.pi:.10g}')
            xy(p, " ", x, orig_y)
            out.append(')"')
    out.append(' dominant-baseline="central">')
    raw = p.src[z : z + n]
    if n >= 2 and raw[0] == 34:
        raw = raw[1:-1]
    while raw:
        j = raw.find(b"\\")
        if j < 0:
            j = len(raw)
        if j:
            out.append(escape(raw[:j], 3))
        if j < len(raw) and (j + 1 == len(raw) or raw[j + 1] == 0x5C):
            out.append("&#92;")
            j += 1
        raw = raw[j + 1 :]
    out.append("</text>\n")
