"""The Pikchr object model: points, bounding boxes, text rows and
diagram objects, with the flag values Pikchr keeps in them
(``PObj``, ``PBox``, ``TP_*``, ``A_*`` in ``extsrc/pikchr.c``).

Coordinates are in inches with y growing upward; a point is an
immutable ``(x, y)`` tuple, so assigning one copies it as C does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fossilpy.markup.pikchr.tokens import CP_C, DIR_RIGHT

if TYPE_CHECKING:
    from fossilpy.markup.pikchr.shapes import Kind

Pt = tuple[float, float]

# Text position and style flags of a text row.
TP_LJUST = 0x0001
TP_RJUST = 0x0002
TP_JMASK = 0x0003
TP_ABOVE2 = 0x0004
TP_ABOVE = 0x0008
TP_CENTER = 0x0010
TP_BELOW = 0x0020
TP_BELOW2 = 0x0040
TP_VMASK = 0x007C
TP_BIG = 0x0100
TP_SMALL = 0x0200
TP_XTRA = 0x0400
TP_SZMASK = 0x0700
TP_ITALIC = 0x1000
TP_BOLD = 0x2000
TP_ALIGN = 0x4000

# Attributes already given to an object (for "value is already set").
A_WIDTH = 0x0001
A_HEIGHT = 0x0002
A_RADIUS = 0x0004
A_THICKNESS = 0x0008
A_FILL = 0x0020
A_COLOR = 0x0040
A_FROM = 0x0100
A_AT = 0x0400
A_FIT = 0x1000


class Box:
    """A bounding box; empty while ``swx > nex``."""

    __slots__ = ("swx", "swy", "nex", "ney")

    def __init__(self) -> None:
        self.swx, self.swy, self.nex, self.ney = 1.0, 1.0, 0.0, 0.0

    def empty(self) -> bool:
        return self.swx > self.nex

    def contains(self, pt: Pt) -> bool:
        if self.empty():
            return False
        return self.swx <= pt[0] <= self.nex and self.swy <= pt[1] <= self.ney

    def add_box(self, b: Box) -> None:
        if self.empty():
            self.swx, self.swy, self.nex, self.ney = b.swx, b.swy, b.nex, b.ney
        if b.empty():
            return
        if self.swx > b.swx:
            self.swx = b.swx
        if self.swy > b.swy:
            self.swy = b.swy
        if self.nex < b.nex:
            self.nex = b.nex
        if self.ney < b.ney:
            self.ney = b.ney

    def add_xy(self, x: float, y: float) -> None:
        if self.empty():
            self.swx, self.swy, self.nex, self.ney = x, y, x, y
            return
        if self.swx > x:
            self.swx = x
        if self.swy > y:
            self.swy = y
        if self.nex < x:
            self.nex = x
        if self.ney < y:
            self.ney = y

    def add_ellipse(self, x: float, y: float, rx: float, ry: float) -> None:
        if self.empty():
            self.swx, self.swy, self.nex, self.ney = x - rx, y - ry, x + rx, y + ry
            return
        if self.swx > x - rx:
            self.swx = x - rx
        if self.swy > y - ry:
            self.swy = y - ry
        if self.nex < x + rx:
            self.nex = x + rx
        if self.ney < y + ry:
            self.ney = y + ry

    def move(self, dx: float, dy: float) -> None:
        self.swx += dx
        self.swy += dy
        self.nex += dx
        self.ney += dy


@dataclass(slots=True)
class Text:
    """A text row: the string token at ``src[z:z+n]`` and its TP flags."""

    z: int
    n: int
    code: int


@dataclass(eq=False)
class Obj:
    """One diagram object (a statement's result)."""

    kind: Kind
    err_z: int = 0
    err_n: int = 0
    at: Pt = (0.0, 0.0)
    enter: Pt = (0.0, 0.0)
    exit: Pt = (0.0, 0.0)
    sublist: list[Obj] | None = None
    name: bytes | None = None
    name_z: int = 0
    w: float = 0.0
    h: float = 0.0
    rad: float = 0.0
    sw: float = 0.0
    dotted: float = 0.0
    dashed: float = 0.0
    fill: float = 0.0
    color: float = 0.0
    with_pt: Pt = (0.0, 0.0)
    e_with: int = CP_C
    cw: bool = False
    larrow: bool = False
    rarrow: bool = False
    close: bool = False
    chop: bool = False
    txt: list[Text] = field(default_factory=list)
    m_prop: int = 0
    m_calc: int = 0
    layer: int = 0
    in_dir: int = DIR_RIGHT
    out_dir: int = DIR_RIGHT
    path: list[Pt] = field(default_factory=list)
    p_from: Obj | None = None
    p_to: Obj | None = None
    bbox: Box = field(default_factory=Box)

    def move(self, dx: float, dy: float) -> None:
        """Shift the object, its path and its sublist by ``(dx, dy)``."""
        self.at = (self.at[0] + dx, self.at[1] + dy)
        self.enter = (self.enter[0] + dx, self.enter[1] + dy)
        self.exit = (self.exit[0] + dx, self.exit[1] + dy)
        self.bbox.move(dx, dy)
        self.path = [(x + dx, y + dy) for x, y in self.path]
        for sub in self.sublist or ():
            sub.move(dx, dy)
