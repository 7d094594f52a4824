"""Pikchr attribute actions and object references: sizes, colours,
dashes, path movements (``right 1``, ``then``, ``heading``, ``until even
with``, ``from``/``to``, ``close``), ``at``/``with``, ``same``,
``behind``, and finding objects by name, ordinal or place (the
``pik_set_*``, ``pik_add_*``, ``pik_find_*`` family of
``extsrc/pikchr.c``).  Each function acts on the object under
construction (``p.cur``).
"""

from __future__ import annotations

import math

from fossilpy.markup.pikchr.layout import END_CP, Pik
from fossilpy.markup.pikchr.lines import CLASSES, SUBLIST
from fossilpy.markup.pikchr.model import (
    A_AT,
    A_COLOR,
    A_FILL,
    A_FROM,
    A_HEIGHT,
    A_RADIUS,
    A_THICKNESS,
    A_WIDTH,
    TP_ABOVE,
    TP_ALIGN,
    TP_BELOW,
    TP_BIG,
    TP_BOLD,
    TP_CENTER,
    TP_ITALIC,
    TP_JMASK,
    TP_LJUST,
    TP_RJUST,
    TP_SMALL,
    TP_SZMASK,
    TP_VMASK,
    TP_XTRA,
    Obj,
    Pt,
)
from fossilpy.markup.pikchr.tokens import (
    CP_C,
    CP_END,
    CP_START,
    DIR_DOWN,
    DIR_LEFT,
    DIR_RIGHT,
    DIR_UP,
    Token,
    scan,
)

#: Compass headings (degrees) of the compass points, by CP_* value.
HEADINGS = (0.0, 0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0, 0.0)

_NUM_BITS = {
    "HEIGHT": A_HEIGHT, "WIDTH": A_WIDTH, "RADIUS": A_RADIUS,
    "DIAMETER": A_RADIUS, "THICKNESS": A_THICKNESS,
}  # fmt: skip


def _param_ok(p: Pik, o: Obj, tok: Token, bit: int) -> bool:
    if o.m_prop & bit:
        p.error(tok.z, tok.n, "value is already set")
    if o.m_calc & bit:
        p.error(tok.z, tok.n, "value already fixed by prior constraints")
    o.m_prop |= bit
    return True


def set_numprop(p: Pik, tok: Token, rel: tuple[float, float]) -> None:
    """``width``/``height``/``radius``/``diameter``/``thickness`` EXPR[%]."""
    o = p.cur
    ab, rl = rel
    _param_ok(p, o, tok, _NUM_BITS[tok.kind])
    if tok.kind == "HEIGHT":
        o.h = o.h * rl + ab
    elif tok.kind == "WIDTH":
        o.w = o.w * rl + ab
    elif tok.kind == "RADIUS":
        o.rad = o.rad * rl + ab
    elif tok.kind == "DIAMETER":
        o.rad = o.rad * rl + 0.5 * ab
    else:
        o.sw = o.sw * rl + ab
    o.kind.numprop(p, o, tok.kind)


def set_clrprop(p: Pik, tok: Token, value: float) -> None:
    o = p.cur
    if tok.kind == "FILL":
        _param_ok(p, o, tok, A_FILL)
        o.fill = value
    else:
        _param_ok(p, o, tok, A_COLOR)
        o.color = value
    o.kind.numprop(p, o, tok.kind)


def set_dashed(p: Pik, tok: Token, value: float | None) -> None:
    o = p.cur
    v = p.value("dashwid") if value is None else value
    if tok.kind == "DOTTED":
        o.dotted, o.dashed = v, 0.0
    else:
        o.dashed, o.dotted = v, 0.0


def _line_only(p: Pik, tok: Token) -> None:
    if not p.cur.kind.is_line:
        p.error(tok.z, tok.n, "use with line-oriented objects only")


def _reset_same(p: Pik) -> None:
    if p.same_path:
        p.same_path = False
        del p.tpath[1:]


def then(p: Pik, tok: Token) -> None:
    _line_only(p, tok)
    if len(p.tpath) - 1 < 1 and not p.cur.m_prop & A_FROM:
        p.error(tok.z, tok.n, "no prior path points")
    p.then_flag = True


def next_semantic(p: Pik, z: int, n: int) -> Token:
    """The first token after ``src[z:z+n]`` that is not white space."""
    i = z + n
    while True:
        if i >= len(p.src):
            return Token("EOF", i, 0)
        tok = scan(p.src, i)
        if tok.kind != "SPACE":
            return tok
        i += tok.n


def add_direction(p: Pik, tok: Token | None, rel: tuple[float, float]) -> None:
    """A movement ``up|down|left|right [EXPR[%]]``, or with no direction
    token the bare distance given first in the attribute list."""
    o = p.cur
    if not o.kind.is_line:
        if tok is not None:
            p.error(tok.z, tok.n, "use with line-oriented objects only")
        nxt = next_semantic(p, o.err_z, o.err_n)
        p.error(nxt.z, nxt.n, "syntax error")
    _reset_same(p)
    n = len(p.tpath) - 1
    if p.then_flag or p.m_tpath == 3 or n == 0:
        n = p.next_rpath()
        p.then_flag = False
    direction = int(tok.code) if tok is not None else p.e_dir
    ab, rl = rel
    x, y = p.tpath[n]
    if direction in (DIR_UP, DIR_DOWN):
        if p.m_tpath & 2:
            n = p.next_rpath()
            x, y = p.tpath[n]
        d = ab + o.h * rl
        p.tpath[n] = (x, y + d if direction == DIR_UP else y - d)
        p.m_tpath |= 2
    else:
        if p.m_tpath & 1:
            n = p.next_rpath()
            x, y = p.tpath[n]
        d = ab + o.w * rl
        p.tpath[n] = (x + d if direction == DIR_RIGHT else x - d, y)
        p.m_tpath |= 1
    o.out_dir = direction


def move_heading(p: Pik, rel: tuple[float, float], heading: float | None, edge: Token | None, err: Token) -> None:
    """``go|then [DIST] heading ANGLE`` or ``go|then [DIST] COMPASSPOINT``."""
    o = p.cur
    dist = rel[0] + p.value("linewid") * rel[1]
    _line_only(p, err)
    _reset_same(p)
    n = p.next_rpath()
    while n < 1:
        n = p.next_rpath()
    if heading is not None:
        hdg = math.fmod(heading, 360.0)
    else:
        assert edge is not None
        if edge.edge == CP_C:
            p.error(edge.z, edge.n, "syntax error")
        hdg = HEADINGS[edge.edge]
    if hdg <= 45.0:
        o.out_dir = DIR_UP
    elif hdg <= 135.0:
        o.out_dir = DIR_RIGHT
    elif hdg <= 225.0:
        o.out_dir = DIR_DOWN
    elif hdg <= 315.0:
        o.out_dir = DIR_LEFT
    else:
        o.out_dir = DIR_UP
    hdg *= 0.017453292519943295769
    x, y = p.tpath[n]
    p.tpath[n] = (x + dist * math.sin(hdg), y + dist * math.cos(hdg))
    p.m_tpath = 2


def even_with(p: Pik, tok: Token, place: Pt) -> None:
    """``DIRECTION until even with PLACE``."""
    o = p.cur
    _line_only(p, tok)
    _reset_same(p)
    n = len(p.tpath) - 1
    if p.then_flag or p.m_tpath == 3 or n == 0:
        n = p.next_rpath()
        p.then_flag = False
    direction = int(tok.code)
    if direction in (DIR_UP, DIR_DOWN):
        if p.m_tpath & 2:
            n = p.next_rpath()
        p.tpath[n] = (p.tpath[n][0], place[1])
        p.m_tpath |= 2
    else:
        if p.m_tpath & 1:
            n = p.next_rpath()
        p.tpath[n] = (place[0], p.tpath[n][1])
        p.m_tpath |= 1
    o.out_dir = direction


def _last_ref(p: Pik, pt: Pt) -> Obj | None:
    ref = p.last_ref
    p.last_ref = None
    if ref is not None and ref.at == pt:
        return ref
    return None


def set_from(p: Pik, tok: Token, pt: Pt) -> None:
    o = p.cur
    if not o.kind.is_line:
        p.error(tok.z, tok.n, 'use "at" to position this object')
    if o.m_prop & A_FROM:
        p.error(tok.z, tok.n, "line start location already fixed")
    if o.close:
        p.error(tok.z, tok.n, "polygon is closed")
    if len(p.tpath) > 1:
        dx, dy = pt[0] - p.tpath[0][0], pt[1] - p.tpath[0][1]
        p.tpath[1:] = [(x + dx, y + dy) for x, y in p.tpath[1:]]
    p.tpath[0] = pt
    p.m_tpath = 3
    o.m_prop |= A_FROM
    o.p_from = _last_ref(p, pt)


def add_to(p: Pik, tok: Token, pt: Pt) -> None:
    o = p.cur
    n = len(p.tpath) - 1
    if not o.kind.is_line:
        p.error(tok.z, tok.n, 'use "at" to position this object')
    if o.close:
        p.error(tok.z, tok.n, "polygon is closed")
    _reset_same(p)
    if n == 0 or p.m_tpath == 3 or p.then_flag:
        n = p.next_rpath()
    p.tpath[n] = pt
    p.m_tpath = 3
    o.p_to = _last_ref(p, pt)


def close_path(p: Pik, tok: Token) -> None:
    if len(p.tpath) < 3:
        p.error(tok.z, tok.n, "need at least 3 vertexes in order to close the polygon")
    if p.cur.close:
        p.error(tok.z, tok.n, "polygon already closed")
    p.cur.close = True


def behind(p: Pik, other: Obj | None) -> None:
    if other is not None and p.cur.layer >= other.layer:
        p.cur.layer = other.layer - 1


def set_at(p: Pik, edge: Token | None, pt: Pt, tok: Token) -> None:
    """``at PLACE`` or ``with EDGE at PLACE``."""
    o = p.cur
    if o.kind.is_line:
        p.error(tok.z, tok.n, 'use "from" and "to" to position this object')
    if o.m_prop & A_AT:
        p.error(tok.z, tok.n, 'location fixed by prior "at"')
    o.m_prop |= A_AT
    o.e_with = edge.edge if edge is not None else CP_C
    if o.e_with >= CP_END:
        o.e_with = END_CP[o.out_dir if o.e_with == CP_END else o.in_dir]
    o.with_pt = pt


def text_position(flags: int, tok: Token) -> int:
    """``flags`` with the text attribute ``tok`` merged in."""
    k = tok.kind
    if k == "LJUST":
        return (flags & ~TP_JMASK) | TP_LJUST
    if k == "RJUST":
        return (flags & ~TP_JMASK) | TP_RJUST
    if k == "ABOVE":
        return (flags & ~TP_VMASK) | TP_ABOVE
    if k == "CENTER":
        return (flags & ~TP_VMASK) | TP_CENTER
    if k == "BELOW":
        return (flags & ~TP_VMASK) | TP_BELOW
    if k == "ITALIC":
        return flags | TP_ITALIC
    if k == "BOLD":
        return flags | TP_BOLD
    if k == "ALIGNED":
        return flags | TP_ALIGN
    if k == "BIG":
        return flags | TP_XTRA if flags & TP_BIG else (flags & ~TP_SZMASK) | TP_BIG
    return flags | TP_XTRA if flags & TP_SMALL else (flags & ~TP_SZMASK) | TP_SMALL


def same(p: Pik, other: Obj | None, tok: Token) -> None:
    """``same`` (as the last object of this class) or ``same as OBJECT``."""
    o = p.cur
    if other is None:
        for cand in reversed(p.list or ()):
            if cand.kind is o.kind:
                other = cand
                break
        else:
            p.error(tok.z, tok.n, "no prior objects of the same type")
    assert other is not None
    if other.path and o.kind.is_line:
        dx = p.tpath[0][0] - other.path[0][0]
        dy = p.tpath[0][1] - other.path[0][1]
        p.tpath[1:] = [(x + dx, y + dy) for x, y in other.path[1:]]
        p.m_tpath = 3
        p.same_path = True
    if not o.kind.is_line:
        o.w, o.h = other.w, other.h
    for f in ("rad", "sw", "dashed", "dotted", "fill", "color", "cw", "larrow"):
        setattr(o, f, getattr(other, f))
    for f in ("rarrow", "close", "chop", "in_dir", "out_dir", "layer"):
        setattr(o, f, getattr(other, f))


def leading_int(raw: bytes) -> int:
    """C's ``atoi`` of ``raw`` (leading digits; 0 if none)."""
    k = 0
    while k < len(raw) and 48 <= raw[k] <= 57:
        k += 1
    return int(raw[:k]) if k else 0


def nth_value(p: Pik, tok: Token) -> int:
    raw = p.text_of(tok)
    i = leading_int(raw)
    if i > 1000:
        p.error(tok.z, tok.n, "value too big - max '1000th'")
    if i == 0 and raw == b"first":
        i = 1
    return i


def find_nth(p: Pik, basis: Obj | None, tok: Token, n: int, what: str) -> Obj:
    """The ``n``-th object (negative: from the end) of class ``what``
    (a class name, ``[]`` or ``*`` for any) in ``basis`` or the diagram."""
    objs = p.list if basis is None else basis.sublist
    if objs is None:
        p.error(tok.z, tok.n, "no such object")
    assert objs is not None
    kind = None if what == "*" else SUBLIST if what == "[]" else CLASSES[what.encode()]
    seq = reversed(objs) if n < 0 else iter(objs)
    left = abs(n)
    for o in seq:
        if kind is not None and o.kind is not kind:
            continue
        left -= 1
        if left == 0:
            return o
    p.error(tok.z, tok.n, "no such object")
    raise AssertionError


def find_byname(p: Pik, basis: Obj | None, tok: Token) -> Obj:
    objs = p.list if basis is None else basis.sublist
    if objs is None:
        p.error(tok.z, tok.n, "no such object")
    assert objs is not None
    name = p.text_of(tok)
    for o in reversed(objs):
        if o.name is not None and o.name == name:
            p.last_ref = o
            return o
    for o in reversed(objs):
        for t in o.txt:
            if t.n == len(name) + 2 and p.src[t.z + 1 : t.z + 1 + len(name)] == name:
                p.last_ref = o
                return o
    p.error(tok.z, tok.n, "no such object")
    raise AssertionError


def place_of(p: Pik, o: Obj | None, edge: Token | None) -> Pt:
    """The centre of ``o``, or its point named by ``edge``."""
    if o is None:
        return (0.0, 0.0)
    if edge is None:
        return o.at
    if edge.kind == "EDGEPT" or 0 < edge.edge < CP_END:
        off = o.kind.offset(p, o, edge.edge)
        return (off[0] + o.at[0], off[1] + o.at[1])
    return o.enter if edge.edge == CP_START else o.exit


def nth_vertex(p: Pik, nth: Token, err: Token, o: Obj | None) -> Pt:
    if o is None:
        return p.tpath[0]
    if not o.kind.is_line:
        p.error(err.z, err.n, "object is not a line")
    n = leading_int(p.text_of(nth))
    if n < 1 or n > len(o.path):
        p.error(nth.z, nth.n, "no such vertex")
    return o.path[n - 1]


def property_of(o: Obj | None, kind: str) -> float:
    if o is None:
        return 0.0
    return {
        "HEIGHT": o.h, "WIDTH": o.w, "RADIUS": o.rad, "DIAMETER": o.rad * 2.0,
        "THICKNESS": o.sw, "DASHED": o.dashed, "DOTTED": o.dotted,
        "FILL": o.fill, "COLOR": o.color,
    }.get(kind, 0.0)  # fmt: skip
