"""The state of one Pikchr rendering: variables, the object list under
construction, error reports, creating objects, placing them once their
attributes are in, and writing the final ``<svg>`` (``pik_elem_new``,
``pik_after_adding_attributes``, ``pik_render`` and the error
reporting of ``extsrc/pikchr.c``).  Attribute actions are in
:mod:`fossilpy.markup.pikchr.attrs`.
"""

from __future__ import annotations

from fossilpy.markup.pikchr import svg
from fossilpy.markup.pikchr.lines import CLASSES, NOOP, SUBLIST
from fossilpy.markup.pikchr.model import A_FIT, TP_ABOVE, Box, Obj, Pt, Text
from fossilpy.markup.pikchr.shapes import default_exit
from fossilpy.markup.pikchr.tables import BUILTINS, COLORS
from fossilpy.markup.pikchr.tokens import (
    CP_C,
    CP_E,
    CP_N,
    CP_S,
    CP_W,
    DIR_DOWN,
    DIR_LEFT,
    DIR_RIGHT,
    DIR_UP,
    Token,
)

#: Most vertices a line path may have.
MAX_PATH = 1000


class PikError(Exception):
    """The first error of a diagram: the report is already in the output."""


class Pik:
    """One rendering: the source, the output so far and the layout state."""

    def __init__(self, src: bytes, css_class: str | None = "pikchr", dark: bool = False) -> None:
        self.src = src
        self.out: list[str] = []
        self.css_class = css_class
        self.dark_mode = dark
        self.n_err = 0
        self.n_token = 0
        self.e_dir = DIR_RIGHT
        self.cur: Obj = Obj(NOOP)
        self.last_ref: Obj | None = None
        self.list: list[Obj] | None = None
        self.vars: dict[bytes, float] = {}
        self.bbox = Box()
        self.r_scale = 144.0
        self.font_scale = self.char_width = self.char_height = 0.0
        self.w_arrow = self.h_arrow = 0.0
        self.layout_ok = False
        self.then_flag = False
        self.same_path = False
        self.w_svg = self.h_svg = 0
        self.fgcolor = self.bgcolor = -1
        self.tpath: list[Pt] = [(0.0, 0.0)]
        self.m_tpath = 0
        self.ctx: list[Token] = []

    # -- variables ---------------------------------------------------------

    def lookup(self, name: bytes | str) -> float | None:
        """A variable's value (set by the script, else built in), or None."""
        key = name.encode() if isinstance(name, str) else name
        if key in self.vars:
            return self.vars[key]
        return BUILTINS.get(key)

    def value(self, name: bytes | str) -> float:
        v = self.lookup(name)
        return 0.0 if v is None else v

    def color(self, tok: Token, report: bool = True) -> float:
        """The RGB value of a colour name (any case), -1 for None/Off."""
        raw = self.src[tok.z : tok.z + tok.n]
        v = COLORS.get(bytes(b & 0x7F for b in raw).lower())
        if v is not None:
            return float(v)
        if report:
            self.error(tok.z, tok.n, "not a known color name")
        return -99.0

    def get_var(self, tok: Token) -> float:
        v = self.lookup(self.text_of(tok))
        if v is not None:
            return v
        c = self.color(tok, False)
        if c > -90.0:
            return c
        self.error(tok.z, tok.n, "no such variable")
        return 0.0

    def set_var(self, name: Token, val: float, op: Token) -> None:
        key = self.text_of(name)
        old = self.vars[key] if key in self.vars else self.value(key)
        if op.code == "PLUS":
            old += val
        elif op.code == "STAR":
            old *= val
        elif op.code == "MINUS":
            old -= val
        elif op.code == "SLASH":
            self.vars[key] = old
            if val == 0.0:
                self.error(op.z, op.n, "division by zero")
            old /= val
        else:
            old = val
        self.vars[key] = old
        self.layout_ok = False

    def text_of(self, tok: Token) -> bytes:
        return self.src[tok.z : tok.z + tok.n]

    def layout_settings(self) -> None:
        """Recompute the cached sizes that follow from the variables."""
        if self.layout_ok:
            return
        thickness = self.value("thickness")
        if thickness <= 0.01:
            thickness = 0.01
        self.w_arrow = 0.5 * self.value("arrowwid") / thickness
        self.h_arrow = self.value("arrowht") / thickness
        self.font_scale = self.value("fontscale")
        if self.font_scale <= 0.0:
            self.font_scale = 1.0
        self.r_scale = 144.0
        self.char_width = self.value("charwid") * self.font_scale
        self.char_height = self.value("charht") * self.font_scale
        self.layout_ok = True

    # -- errors ------------------------------------------------------------

    def error(self, z: int | None, n: int, msg: str) -> None:
        """Report the diagram's error at ``src[z:z+n]`` and stop."""
        if self.n_err:
            raise PikError(msg)
        self.n_err += 1
        if z is None:
            self.out.append("\n" + msg)
            raise PikError(msg)
        self._context(z, n, 5)
        self.out.append(f"ERROR: {msg}\n")
        for tok in reversed(self.ctx):
            self.out.append("Called from:\n")
            self._context(tok.z, tok.n, 0)
        raise PikError(msg)

    def _context(self, at: int, n: int, n_context: int) -> None:
        src = self.src
        size = len(src)
        bump = 0
        if at >= size:
            at = size - 1
            bump = 1
        else:
            while at > 0 and src[at] in (10, 13):
                at -= 1
                bump = 1
        lineno = src.count(b"\n", 0, max(at, 0)) + 1
        start = 0
        first = 1
        while first + n_context < lineno:
            start = src.index(b"\n", start) + 1
            first += 1
        while first <= lineno:
            end = src.find(b"\n", start)
            end = size if end < 0 else end
            line = src[start:end].split(b"\0", 1)[0]
            self.out.append(f"/* {first:4d} */  {line.decode('utf-8', 'replace')}\n")
            first += 1
            start = end + 1
        col = 0
        i = at
        while i > 0 and src[i] != 10:
            col += 1
            i -= 1
        self.out.append(" " * (col + 11 + bump) + "^" * n + "\n")

    # -- objects -----------------------------------------------------------

    def new_obj(self, cls: Token | None, text: Token | None, sub: list[Obj] | None) -> Obj:
        """A new object of class ``cls``, a text object for string
        ``text``, a ``[]`` object around ``sub``, or with none of them
        the no-op object a bare ``Name: position`` makes."""
        o = Obj(NOOP)
        self.cur = o
        self.tpath = [(0.0, 0.0)]
        self.then_flag = False
        if not self.list:
            o.at = (0.0, 0.0)
            o.e_with = CP_C
        else:
            o.at = self.list[-1].exit
            o.e_with = {DIR_LEFT: CP_E, DIR_UP: CP_S, DIR_DOWN: CP_N}.get(self.e_dir, CP_W)
        self.tpath[0] = o.at
        o.with_pt = o.at
        o.out_dir = o.in_dir = self.e_dir
        layer = self.lookup("layer")
        o.layer = 1000 if layer is None else max(svg.c_round(layer), 0)
        if sub is not None:
            o.kind = SUBLIST
            o.sublist = sub
            SUBLIST.init(self, o)
            return o
        if text is not None:
            o.kind = CLASSES[b"text"]
            o.err_z, o.err_n = text.z, text.n
            o.kind.init(self, o)
            self.add_text(text, int(text.code))
            return o
        if cls is not None:
            o.err_z, o.err_n = cls.z, cls.n
            o.kind = CLASSES[self.text_of(cls)]
            o.sw = self.value("thickness")
            o.fill = self.value("fill")
            o.color = self.value("color")
            o.kind.init(self, o)
            return o
        o.exit = o.enter = o.at
        return o

    def add_text(self, tok: Token, flags: int) -> None:
        if len(self.cur.txt) >= 5:
            self.error(tok.z, tok.n, "too many text terms")
        self.cur.txt.append(Text(tok.z, tok.n, flags))

    def set_exit(self, o: Obj, direction: int) -> None:
        o.out_dir = direction
        if not o.kind.is_line or o.close:
            o.exit = default_exit(o, direction)

    def set_direction(self, direction: int) -> None:
        self.e_dir = direction
        if self.list:
            self.set_exit(self.list[-1], direction)

    def next_rpath(self) -> int:
        """Start a new path vertex (a copy of the last); its index."""
        n = len(self.tpath) - 1
        if n + 1 >= MAX_PATH:
            return n
        self.tpath.append(self.tpath[-1])
        self.m_tpath = 0
        return n + 1

    def size_to_fit(self, which: int) -> None:
        """Fit the current object around its text (1 width, 2 height, 3 both)."""
        if self.n_err:
            return
        o = self.cur
        if not o.txt or not o.kind.can_fit:
            return
        box = Box()
        self.layout_settings()
        svg.text(self, o, box)
        w = (box.nex - box.swx) + self.char_width if which & 1 else 0.0
        h = 0.0
        if which & 2:
            h1 = box.ney - o.at[1]
            h2 = o.at[1] - box.swy
            h = 2.0 * (h2 if h1 < h2 else h1) + 0.5 * self.char_height
        o.kind.fit(self, o, w, h)
        o.m_prop |= A_FIT

    def after_attributes(self, o: Obj) -> None:
        """Place the object and fix its path, box, entry and exit."""
        if not o.kind.is_line:
            if o.h <= 0.0:
                if not o.txt:
                    o.h = 0.0
                else:
                    self.size_to_fit(3 if o.w <= 0.0 else 2)
            if o.w <= 0.0:
                if not o.txt:
                    o.w = 0.0
                else:
                    self.size_to_fit(1)
            off = o.kind.offset(self, o, o.e_with)
            dx = (o.with_pt[0] - off[0]) - o.at[0]
            dy = (o.with_pt[1] - off[1]) - o.at[1]
            if dx != 0 or dy != 0:
                o.move(dx, dy)
        if o.kind.is_line and len(self.tpath) < 2:
            self.next_rpath()
            self.tpath[1] = _step(self.tpath[1], o, o.in_dir)
            if o.kind.name == "arc":
                o.out_dir = (o.in_dir + (1 if o.cw else 3)) % 4
                self.e_dir = o.out_dir
                self.tpath[1] = _step(self.tpath[1], o, o.out_dir)
        o.bbox = Box()
        o.kind.check(self, o)
        if o.kind.is_line:
            o.path = list(self.tpath)
            if o.chop and len(o.path) >= 2:
                n = len(o.path)
                o.path[n - 1] = self._autochop(o.path[n - 2], o.path[n - 1], o.p_to)
                o.path[0] = self._autochop(o.path[1], o.path[0], o.p_from)
            o.enter = o.path[0]
            o.exit = o.path[-1]
            for x, y in o.path:
                o.bbox.add_xy(x, y)
            o.at = ((o.bbox.nex + o.bbox.swx) / 2.0, (o.bbox.ney + o.bbox.swy) / 2.0)
            o.w = o.bbox.nex - o.bbox.swx
            o.h = o.bbox.ney - o.bbox.swy
            if o.close:
                self.set_exit(o, o.in_dir)
        else:
            w2, h2 = o.w / 2.0, o.h / 2.0
            x, y = o.at
            o.enter = {
                DIR_LEFT: (x + w2, y), DIR_UP: (x, y - h2), DIR_DOWN: (x, y + h2)
            }.get(o.in_dir, (x - w2, y))  # fmt: skip
            o.exit = default_exit(o, o.out_dir)
            o.bbox.add_xy(x - w2, y - h2)
            o.bbox.add_xy(x + w2, y + h2)
        self.e_dir = o.out_dir

    def _autochop(self, f: Pt, t: Pt, o: Obj | None) -> Pt:
        if o is None or not o.kind.can_chop:
            o = _find_chopper(self.list, t, f)
        if o is not None:
            return o.kind.chop(self, o, f)
        return t

    # -- output ------------------------------------------------------------

    def render(self, objs: list[Obj]) -> None:
        """Write the ``<svg>`` for the finished diagram."""
        self.layout_settings()
        thickness = self.value("thickness")
        if thickness <= 0.01:
            thickness = 0.01
        margin = self.value("margin") + thickness
        w_arrow = self.w_arrow * thickness
        for attr in ("fgcolor", "bgcolor"):
            v = self.lookup(attr)
            setattr(self, attr, svg.c_round(v if v is not None else -99.0))
        self.bbox = Box()
        self._bbox_add(objs, w_arrow)
        b = self.bbox
        b.nex += margin + self.value("rightmargin")
        b.ney += margin + self.value("topmargin")
        b.swx -= margin + self.value("leftmargin")
        b.swy -= margin + self.value("bottommargin")
        self.out.append("<svg xmlns='http://www.w3.org/2000/svg'")
        if self.css_class:
            self.out.append(f' class="{self.css_class}"')
        w = b.nex - b.swx
        h = b.ney - b.swy
        self.w_svg = svg.c_round(self.r_scale * w)
        self.h_svg = svg.c_round(self.r_scale * h)
        scale = self.value("scale")
        if 0.001 <= scale <= 1000.0 and (scale < 0.99 or scale > 1.01):
            self.w_svg = svg.c_round(self.w_svg * scale)
            self.h_svg = svg.c_round(self.h_svg * scale)
            self.out.append(f' width="{self.w_svg:.10g}" height="{self.h_svg:.10g}"')
        svg.dis(self, ' viewBox="0 0 ', w, "")
        svg.dis(self, " ", h, '">\n')
        self._draw(objs)
        self.out.append("</svg>\n")

    def _bbox_add(self, objs: list[Obj], w_arrow: float) -> None:
        for o in objs:
            if o.sw > 0.0:
                self.bbox.add_box(o.bbox)
            svg.text(self, o, self.bbox)
            if o.sublist:
                self._bbox_add(o.sublist, w_arrow)
            if o.kind.is_line and o.path:
                if o.larrow:
                    self.bbox.add_ellipse(o.path[0][0], o.path[0][1], w_arrow, w_arrow)
                if o.rarrow:
                    self.bbox.add_ellipse(o.path[-1][0], o.path[-1][1], w_arrow, w_arrow)

    def _draw(self, objs: list[Obj]) -> None:
        debug = svg.c_round(self.value("debug")) & 1
        next_layer = 0
        more = True
        while more:
            more = False
            this_layer = next_layer
            next_layer = 0x7FFFFFFF
            for o in objs:
                if o.layer > this_layer:
                    next_layer = min(next_layer, o.layer)
                    more = True
                    continue
                if o.layer < this_layer:
                    continue
                if debug:
                    self._debug_comment(o)
                o.kind.render(self, o)
                if o.sublist:
                    self._draw(o.sublist)
        label = self.lookup("debug_label_color")
        if label is not None and label >= 0.0:
            for o in objs:
                if o.name is None:
                    continue
                dot = Obj(NOOP, at=o.at, rad=0.015, sw=0.015, fill=label, color=label)
                dot.txt.append(Text(o.name_z, len(o.name), TP_ABOVE))
                CLASSES[b"dot"].render(self, dot)

    def _debug_comment(self, o: Obj) -> None:
        """The comment ``debug = 1`` puts before each object."""
        out = self.out
        out.append("<!-- ")
        if o.name is not None:
            out.append(svg.escape(o.name, 0) + ": ")
        out.append(svg.escape(o.kind.name.encode(), 0))
        if o.txt:
            t = o.txt[0]
            out.append(' "' + svg.escape(self.src[t.z + 1 : t.z + t.n - 1], 1) + '"')
        out.append(f" w={o.w:.10g} h={o.h:.10g} center={o.at[0]:.10g},{o.at[1]:.10g}")
        out.append(f" enter={o.enter[0]:.10g},{o.enter[1]:.10g}")
        out.append(f" exit={o.exit[0]:.10g},{o.exit[1]:.10g}")
        out.append({DIR_LEFT: " left", DIR_UP: " up", DIR_DOWN: " down"}.get(o.out_dir, " right"))
        out.append(" -->\n")


def _step(pt: Pt, o: Obj, direction: int) -> Pt:
    if direction == DIR_DOWN:
        return (pt[0], pt[1] - o.h)
    if direction == DIR_LEFT:
        return (pt[0] - o.w, pt[1])
    if direction == DIR_UP:
        return (pt[0], pt[1] + o.h)
    return (pt[0] + o.w, pt[1])


def _find_chopper(objs: list[Obj] | None, center: Pt, other: Pt) -> Obj | None:
    for o in reversed(objs or ()):
        if o.kind.can_chop and o.at == center and not o.bbox.contains(other):
            return o
        if o.sublist:
            found = _find_chopper(o.sublist, center, other)
            if found is not None:
                return found
    return None


#: Where ``with .end``/``.start`` of a block object attaches, by direction.
END_CP = {DIR_RIGHT: CP_E, DIR_DOWN: CP_S, DIR_LEFT: CP_W, DIR_UP: CP_N}
