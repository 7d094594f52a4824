"""Pikchr's line-oriented classes: line, arrow, spline, move and arc,
with their path drawing (straight segments, rounded corners, arcs as
quadratic curves) as ``extsrc/pikchr.c`` draws them; and the table of
all classes by name.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fossilpy.markup.pikchr import svg
from fossilpy.markup.pikchr.model import Obj, Pt
from fossilpy.markup.pikchr.shapes import (
    BoxKind,
    CircleKind,
    CylinderKind,
    DotKind,
    EllipseKind,
    FileKind,
    Kind,
    OvalKind,
    SublistKind,
    TextKind,
)

if TYPE_CHECKING:
    from fossilpy.markup.pikchr.layout import Pik


class LineKind(Kind):
    name, is_line = "line", True

    def init(self, p: Pik, o: Obj) -> None:
        o.w, o.h, o.rad = p.value("linewid"), p.value("lineht"), p.value("linerad")

    def render(self, p: Pik, o: Obj) -> None:
        if o.sw > 0.0:
            n = len(o.path)
            if n < 3 or o.rad <= 0.0:
                straight(p, o)
                return
            if o.larrow:
                o.path[0] = svg.arrowhead(p, o.path[1], o.path[0], o)
            if o.rarrow:
                o.path[n - 1] = svg.arrowhead(p, o.path[n - 2], o.path[n - 1], o)
            rounded(p, o, o.rad)
        svg.text(p, o)


class ArrowKind(LineKind):
    name = "arrow"

    def init(self, p: Pik, o: Obj) -> None:
        super().init(p, o)
        o.rarrow = True


class SplineKind(LineKind):
    name = "spline"

    def init(self, p: Pik, o: Obj) -> None:
        o.w, o.h, o.rad = p.value("linewid"), p.value("lineht"), 1000.0


class MoveKind(LineKind):
    name = "move"

    def init(self, p: Pik, o: Obj) -> None:
        o.w = o.h = p.value("movewid")
        o.fill = o.color = o.sw = -1.0

    def render(self, p: Pik, o: Obj) -> None:
        return


def arc_control(cw: bool, f: Pt, t: Pt, scale: float) -> Pt:
    mx, my = 0.5 * (f[0] + t[0]), 0.5 * (f[1] + t[1])
    dx, dy = t[0] - f[0], t[1] - f[1]
    if cw:
        return (mx - 0.5 * scale * dy, my + 0.5 * scale * dx)
    return (mx + 0.5 * scale * dy, my - 0.5 * scale * dx)


class ArcKind(LineKind):
    name = "arc"

    def init(self, p: Pik, o: Obj) -> None:
        o.w = o.h = p.value("arcrad")

    def check(self, p: Pik, o: Obj) -> None:
        if len(p.tpath) > 2:
            p.error(o.err_z, o.err_n, "arc geometry error")
        m = arc_control(o.cw, p.tpath[0], p.tpath[1], 0.5)
        o.bbox.add_xy(m[0], m[1])

    def render(self, p: Pik, o: Obj) -> None:
        if len(o.path) < 2 or o.sw <= 0.0:
            return
        f, t = o.path[0], o.path[1]
        m = arc_control(o.cw, f, t, 1.0)
        if o.larrow:
            f = svg.arrowhead(p, m, f, o)
        if o.rarrow:
            t = svg.arrowhead(p, m, t, o)
        svg.xy(p, '<path d="M', f[0], f[1])
        svg.xy(p, "Q", m[0], m[1])
        svg.xy(p, " ", t[0], t[1])
        p.out.append('" ')
        svg.style(p, o, 0)
        p.out.append('" />\n')
        svg.text(p, o)


def straight(p: Pik, o: Obj) -> None:
    """A path of straight segments (``lineRender``)."""
    if o.sw > 0.0:
        n = len(o.path)
        if o.larrow:
            o.path[0] = svg.arrowhead(p, o.path[1], o.path[0], o)
        if o.rarrow:
            o.path[n - 1] = svg.arrowhead(p, o.path[n - 2], o.path[n - 1], o)
        lead = '<path d="M'
        for x, y in o.path:
            svg.xy(p, lead, x, y)
            lead = "L"
        if o.close:
            p.out.append("Z")
        else:
            o.fill = -1.0
        p.out.append('" ')
        svg.style(p, o, 3 if o.close else 0)
        p.out.append('" />\n')
    svg.text(p, o)


def _toward(f: Pt, t: Pt, r: float, was_mid: bool) -> tuple[Pt, bool]:
    """The point ``r`` before ``t`` on the way from ``f``, or the midpoint
    (and True) when the segment is shorter than ``2r``; a zero-length
    segment gives ``t`` and leaves the flag as it was."""
    dx, dy = t[0] - f[0], t[1] - f[1]
    dist = math.hypot(dx, dy)
    if dist <= 0.0:
        return t, was_mid
    mid = r > 0.5 * dist
    if mid:
        r = 0.5 * dist
    return (t[0] - r * dx / dist, t[1] - r * dy / dist), mid


def rounded(p: Pik, o: Obj, r: float) -> None:
    """A path whose corners are rounded with radius ``r`` (``radiusPath``)."""
    a = o.path
    n = len(a)
    an = a[n - 1]
    last = n if o.close else n - 1
    svg.xy(p, '<path d="M', a[0][0], a[0][1])
    m, mid = _toward(a[0], a[1], r, False)
    svg.xy(p, " L ", m[0], m[1])
    for i in range(1, last):
        an = a[i + 1] if i < n - 1 else a[0]
        m, mid = _toward(an, a[i], r, mid)
        svg.xy(p, " Q ", a[i][0], a[i][1])
        svg.xy(p, " ", m[0], m[1])
        if not mid:
            m, mid = _toward(a[i], an, r, mid)
            svg.xy(p, " L ", m[0], m[1])
    svg.xy(p, " L ", an[0], an[1])
    if o.close:
        p.out.append("Z")
    else:
        o.fill = -1.0
    p.out.append('" ')
    svg.style(p, o, 3 if o.close else 0)
    p.out.append('" />\n')


#: Every class by its name, as a ``CLASSNAME`` token names it.
CLASSES: dict[bytes, Kind] = {
    k.name.encode(): k
    for k in (
        ArcKind(), ArrowKind(), BoxKind(), CircleKind(), CylinderKind(), DotKind(),
        EllipseKind(), FileKind(), LineKind(), MoveKind(), OvalKind(), SplineKind(),
        TextKind(),
    )
}  # fmt: skip
SUBLIST = SublistKind()
NOOP = Kind()
