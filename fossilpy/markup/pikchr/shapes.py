"""Pikchr's object classes (arc, arrow, box, circle, cylinder, dot,
ellipse, file, line, move, oval, spline, text, ``[]`` and the no-op
place holder): their defaults, compass-point offsets, chopping, fitting
to text and SVG drawing (the ``aClass`` methods of ``extsrc/pikchr.c``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fossilpy.markup.pikchr import svg
from fossilpy.markup.pikchr.model import A_HEIGHT, A_RADIUS, A_WIDTH, Box, Obj, Pt
from fossilpy.markup.pikchr.tokens import (
    CP_C,
    CP_E,
    CP_N,
    CP_NE,
    CP_NW,
    CP_S,
    CP_SE,
    CP_SW,
    CP_W,
    DIR_DOWN,
    DIR_LEFT,
    DIR_UP,
)

if TYPE_CHECKING:
    from fossilpy.markup.pikchr.layout import Pik

_SIGNS = {
    CP_C: (0, 0), CP_N: (0, 1), CP_NE: (1, 1), CP_E: (1, 0), CP_SE: (1, -1),
    CP_S: (0, -1), CP_SW: (-1, -1), CP_W: (-1, 0), CP_NW: (-1, 1),
}  # fmt: skip


def box_offset(o: Obj, cp: int) -> Pt:
    """Offset from a (possibly rounded) box's centre to compass point ``cp``."""
    w2, h2 = 0.5 * o.w, 0.5 * o.h
    rad = o.rad
    rx = 0.0
    if rad > 0.0:
        rad = min(rad, w2, h2) if rad > w2 or rad > h2 else rad
        rx = 0.29289321881345252392 * rad
    sx, sy = _SIGNS[cp]
    if sx and sy:
        return (sx * w2 - sx * rx, sy * h2 - sy * rx)
    return (sx * w2, sy * h2)


def ellipse_offset(o: Obj, cp: int) -> Pt:
    w, h = o.w * 0.5, o.h * 0.5
    sx, sy = _SIGNS[cp]
    if sx and sy:
        return (sx * w * 0.70710678118654747608, sy * h * 0.70710678118654747608)
    return (sx * w, sy * h)


class Kind:
    """An object class: defaults and behaviour.  Subclasses override."""

    name = "noop"
    is_line = False
    e_just = False
    can_chop = False
    can_fit = False

    def init(self, p: Pik, o: Obj) -> None:
        """Set the class defaults of a new object."""

    def numprop(self, p: Pik, o: Obj, kind: str) -> None:
        """Keep properties consistent after ``kind`` was set."""

    def check(self, p: Pik, o: Obj) -> None:
        """Checks after all attributes are in."""

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        return box_offset(o, cp)

    def chop(self, p: Pik, o: Obj, pt: Pt) -> Pt:
        return o.at

    def fit(self, p: Pik, o: Obj, w: float, h: float) -> None:
        if w > 0:
            o.w = w
        if h > 0:
            o.h = h

    def render(self, p: Pik, o: Obj) -> None:
        """Write the object's SVG."""


class BoxKind(Kind):
    name, e_just, can_chop, can_fit = "box", True, True, True
    defaults = ("boxwid", "boxht", "boxrad")

    def init(self, p: Pik, o: Obj) -> None:
        o.w, o.h, o.rad = (p.value(v) for v in self.defaults)

    def chop(self, p: Pik, o: Obj, pt: Pt) -> Pt:
        if o.w <= 0.0 or o.h <= 0.0:
            return o.at
        dx = (pt[0] - o.at[0]) * o.h / o.w
        dy = pt[1] - o.at[1]
        if dx > 0.0:
            if dy >= 2.414 * dx:
                cp = CP_N
            elif dy >= 0.414 * dx:
                cp = CP_NE
            elif dy >= -0.414 * dx:
                cp = CP_E
            elif dy > -2.414 * dx:
                cp = CP_SE
            else:
                cp = CP_S
        elif dy >= -2.414 * dx:
            cp = CP_N
        elif dy >= -0.414 * dx:
            cp = CP_NW
        elif dy >= 0.414 * dx:
            cp = CP_W
        elif dy > 2.414 * dx:
            cp = CP_SW
        else:
            cp = CP_S
        off = self.offset(p, o, cp)
        return (off[0] + o.at[0], off[1] + o.at[1])

    def render(self, p: Pik, o: Obj) -> None:
        w2, h2, rad = 0.5 * o.w, 0.5 * o.h, o.rad
        x, y = o.at
        if o.sw > 0.0:
            if rad <= 0.0:
                svg.xy(p, '<path d="M', x - w2, y - h2)
                svg.xy(p, "L", x + w2, y - h2)
                svg.xy(p, "L", x + w2, y + h2)
                svg.xy(p, "L", x - w2, y + h2)
                p.out.append('Z" ')
            else:
                rad = min(rad, w2) if rad > w2 else rad
                rad = h2 if rad > h2 else rad
                x0, x3, y0, y3 = x - w2, x + w2, y - h2, y + h2
                x1, x2, y1, y2 = x0 + rad, x3 - rad, y0 + rad, y3 - rad
                svg.xy(p, '<path d="M', x1, y0)
                if x2 > x1:
                    svg.xy(p, "L", x2, y0)
                svg.arc(p, rad, rad, x3, y1)
                if y2 > y1:
                    svg.xy(p, "L", x3, y2)
                svg.arc(p, rad, rad, x2, y3)
                if x2 > x1:
                    svg.xy(p, "L", x1, y3)
                svg.arc(p, rad, rad, x0, y2)
                if y2 > y1:
                    svg.xy(p, "L", x0, y1)
                svg.arc(p, rad, rad, x1, y0)
                p.out.append('Z" ')
            svg.style(p, o, 3)
            p.out.append('" />\n')
        svg.text(p, o)


class OvalKind(BoxKind):
    name = "oval"

    def init(self, p: Pik, o: Obj) -> None:
        o.h, o.w = p.value("ovalht"), p.value("ovalwid")
        o.rad = 0.5 * min(o.h, o.w)

    def numprop(self, p: Pik, o: Obj, kind: str) -> None:
        o.rad = 0.5 * min(o.h, o.w)

    def fit(self, p: Pik, o: Obj, w: float, h: float) -> None:
        super().fit(p, o, w, h)
        if o.w < o.h:
            o.w = o.h
        o.rad = 0.5 * min(o.h, o.w)


class TextKind(BoxKind):
    name, e_just = "text", False

    def init(self, p: Pik, o: Obj) -> None:
        o.sw = 0.0

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        p.size_to_fit(3)
        return box_offset(o, cp)


class CylinderKind(BoxKind):
    name = "cylinder"
    defaults = ("cylwid", "cylht", "cylrad")

    def fit(self, p: Pik, o: Obj, w: float, h: float) -> None:
        if w > 0:
            o.w = w
        if h > 0:
            o.h = h + 0.25 * o.rad + o.sw

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        w2, h1 = o.w * 0.5, o.h * 0.5
        h2 = h1 - o.rad
        sx, sy = _SIGNS[cp]
        return (sx * w2, sy * (h2 if sx else h1))

    def render(self, p: Pik, o: Obj) -> None:
        w2, h2, rad = 0.5 * o.w, 0.5 * o.h, o.rad
        x, y = o.at
        if o.sw > 0.0:
            rad = h2 if rad > h2 else (0.0 if rad < 0 else rad)
            svg.xy(p, '<path d="M', x - w2, y + h2 - rad)
            svg.xy(p, "L", x - w2, y - h2 + rad)
            svg.arc(p, w2, rad, x + w2, y - h2 + rad)
            svg.xy(p, "L", x + w2, y + h2 - rad)
            svg.arc(p, w2, rad, x - w2, y + h2 - rad)
            svg.arc(p, w2, rad, x + w2, y + h2 - rad)
            p.out.append('" ')
            svg.style(p, o, 3)
            p.out.append('" />\n')
        svg.text(p, o)


class FileKind(BoxKind):
    name = "file"
    defaults = ("filewid", "fileht", "filerad")

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        w2, h2 = 0.5 * o.w, 0.5 * o.h
        mn = min(w2, h2)
        rx = min(o.rad, mn) if o.rad > mn else o.rad
        rx = mn * 0.25 if rx < mn * 0.25 else rx
        rx *= 0.5
        if cp == CP_NE:
            return (w2 - rx, h2 - rx)
        sx, sy = _SIGNS[cp]
        return (sx * w2, sy * h2)

    def fit(self, p: Pik, o: Obj, w: float, h: float) -> None:
        if w > 0:
            o.w = w
        if h > 0:
            o.h = h + 2 * o.rad

    def render(self, p: Pik, o: Obj) -> None:
        w2, h2 = 0.5 * o.w, 0.5 * o.h
        x, y = o.at
        mn = w2 if w2 < h2 else h2
        rad = mn if o.rad > mn else o.rad
        rad = mn * 0.25 if rad < mn * 0.25 else rad
        if o.sw > 0.0:
            svg.xy(p, '<path d="M', x - w2, y - h2)
            svg.xy(p, "L", x + w2, y - h2)
            svg.xy(p, "L", x + w2, y + (h2 - rad))
            svg.xy(p, "L", x + (w2 - rad), y + h2)
            svg.xy(p, "L", x - w2, y + h2)
            p.out.append('Z" ')
            svg.style(p, o, 1)
            p.out.append('" />\n')
            svg.xy(p, '<path d="M', x + (w2 - rad), y + h2)
            svg.xy(p, "L", x + (w2 - rad), y + (h2 - rad))
            svg.xy(p, "L", x + w2, y + (h2 - rad))
            p.out.append('" ')
            svg.style(p, o, 0)
            p.out.append('" />\n')
        svg.text(p, o)


class CircleKind(Kind):
    name, can_chop, can_fit = "circle", True, True

    def init(self, p: Pik, o: Obj) -> None:
        o.w = o.h = p.value("circlerad") * 2
        o.rad = 0.5 * o.w

    def numprop(self, p: Pik, o: Obj, kind: str) -> None:
        if kind in ("DIAMETER", "RADIUS"):
            o.w = o.h = 2.0 * o.rad
        elif kind == "WIDTH":
            o.h = o.w
            o.rad = 0.5 * o.w
        elif kind == "HEIGHT":
            o.w = o.h
            o.rad = 0.5 * o.w

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        return ellipse_offset(o, cp)

    def chop(self, p: Pik, o: Obj, pt: Pt) -> Pt:
        dx, dy = pt[0] - o.at[0], pt[1] - o.at[1]
        dist = math.hypot(dx, dy)
        if dist < o.rad or dist <= 0:
            return o.at
        return (o.at[0] + dx * o.rad / dist, o.at[1] + dy * o.rad / dist)

    def fit(self, p: Pik, o: Obj, w: float, h: float) -> None:
        mx = w if w > 0 else 0.0
        if h > mx:
            mx = h
        if w * h > 0 and w * w + h * h > mx * mx:
            mx = math.hypot(w, h)
        if mx > 0.0:
            o.rad = 0.5 * mx
            o.w = o.h = mx

    def render(self, p: Pik, o: Obj) -> None:
        if o.sw > 0.0:
            svg.put_x(p, '<circle cx="', o.at[0], '"')
            svg.put_y(p, ' cy="', o.at[1], '"')
            svg.dis(p, ' r="', o.rad, '" ')
            svg.style(p, o, 3)
            p.out.append('" />\n')
        svg.text(p, o)


class DotKind(CircleKind):
    name, can_fit = "dot", False

    def init(self, p: Pik, o: Obj) -> None:
        o.rad = p.value("dotrad")
        o.h = o.w = o.rad * 6
        o.fill = o.color

    def numprop(self, p: Pik, o: Obj, kind: str) -> None:
        if kind == "COLOR":
            o.fill = o.color
        elif kind == "FILL":
            o.color = o.fill

    def check(self, p: Pik, o: Obj) -> None:
        o.w = o.h = 0
        o.bbox.add_ellipse(o.at[0], o.at[1], o.rad, o.rad)

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        return (0.0, 0.0)

    def render(self, p: Pik, o: Obj) -> None:
        if o.sw > 0.0:
            svg.put_x(p, '<circle cx="', o.at[0], '"')
            svg.put_y(p, ' cy="', o.at[1], '"')
            svg.dis(p, ' r="', o.rad, '"')
            svg.style(p, o, 2)
            p.out.append('" />\n')
        svg.text(p, o)


class EllipseKind(Kind):
    name, can_chop, can_fit = "ellipse", True, True

    def init(self, p: Pik, o: Obj) -> None:
        o.w, o.h = p.value("ellipsewid"), p.value("ellipseht")

    def offset(self, p: Pik, o: Obj, cp: int) -> Pt:
        return ellipse_offset(o, cp)

    def chop(self, p: Pik, o: Obj, pt: Pt) -> Pt:
        dx, dy = pt[0] - o.at[0], pt[1] - o.at[1]
        if o.w <= 0.0 or o.h <= 0.0:
            return o.at
        s = o.h / o.w
        dq = dx * s
        dist = math.hypot(dq, dy)
        if dist < o.h:
            return o.at
        return (o.at[0] + 0.5 * dq * o.h / (dist * s), o.at[1] + 0.5 * dy * o.h / dist)

    def render(self, p: Pik, o: Obj) -> None:
        if o.sw > 0.0:
            svg.put_x(p, '<ellipse cx="', o.at[0], '"')
            svg.put_y(p, ' cy="', o.at[1], '"')
            svg.dis(p, ' rx="', o.w / 2.0, '"')
            svg.dis(p, ' ry="', o.h / 2.0, '" ')
            svg.style(p, o, 3)
            p.out.append('" />\n')
        svg.text(p, o)


class SublistKind(Kind):
    name = "[]"

    def init(self, p: Pik, o: Obj) -> None:
        o.bbox = Box()
        for sub in o.sublist or ():
            o.bbox.add_box(sub.bbox)
        o.w = o.bbox.nex - o.bbox.swx
        o.h = o.bbox.ney - o.bbox.swy
        o.at = (0.5 * (o.bbox.nex + o.bbox.swx), 0.5 * (o.bbox.ney + o.bbox.swy))
        o.m_calc |= A_WIDTH | A_HEIGHT | A_RADIUS


def default_exit(o: Obj, direction: int) -> Pt:
    """The point half a width or height from the centre in ``direction``."""
    x, y = o.at
    if direction == DIR_LEFT:
        return (x - o.w * 0.5, y)
    if direction == DIR_UP:
        return (x, y + o.h * 0.5)
    if direction == DIR_DOWN:
        return (x, y - o.h * 0.5)
    return (x + o.w * 0.5, y)
