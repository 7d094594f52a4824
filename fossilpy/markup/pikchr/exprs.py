"""Parsing Pikchr expressions, positions and object references.

A hand-written recursive-descent parser for the ``expr``, ``position``,
``place`` and ``object`` rules of Pikchr's grammar (``pikchr.y``): each
rule returns a closure that computes the value when called, so the
parser can try an alternative and back up without side effects; the
statement parser calls the closure where Pikchr's LALR parser would
reduce the rule.  Where alternatives overlap (``(A)`` as a position or
an expression), the parse that gets furthest wins, and a syntax error
points at the furthest token any alternative reached.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TypeVar

from fossilpy import budget
from fossilpy.markup.pikchr import attrs
from fossilpy.markup.pikchr.layout import Pik
from fossilpy.markup.pikchr.model import Obj, Pt
from fossilpy.markup.pikchr.stream import STACK_DEPTH, Stream
from fossilpy.markup.pikchr.tokens import Token

Num = Callable[[], float]
Place = Callable[[], Pt]
ObjRef = Callable[[], Obj | None]
T = TypeVar("T")

#: Most parse steps for one diagram (garbage input gives up early).
STEP_LIMIT = 2_000_000

EDGES = frozenset(("CENTER", "EDGEPT", "TOP", "BOTTOM", "START", "END", "RIGHT", "LEFT"))
OBJECT_START = frozenset(("NTH", "LAST", "THIS", "PLACENAME"))
EXPR_START = frozenset(
    ("NUMBER", "ID", "EDGEPT", "LP", "MINUS", "PLUS", "FUNC1", "FUNC2", "DIST") + tuple(OBJECT_START)
)
PROPERTIES = frozenset(("HEIGHT", "WIDTH", "RADIUS", "DIAMETER", "THICKNESS", "DOTTED", "DASHED", "FILL", "COLOR"))
_FLOAT = re.compile(rb"[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?")
_UNIT = {b"cm": 2.54, b"mm": 25.4, b"px": 96.0, b"pt": 72.0, b"pc": 6.0}
_BINARY = {"PLUS": 1, "MINUS": 1, "STAR": 2, "SLASH": 2}


class Syntax(Exception):
    """No rule matches at token ``pos``."""

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.pos = pos


def number(p: Pik, tok: Token) -> float:
    """The value of a NUMBER token, in inches."""
    raw = p.text_of(tok)
    if tok.n >= 3 and raw[0] == 48 and raw[1] in b"xX":
        digits = raw[2:]
        return float(int(digits, 16)) if digits else 0.0
    m = _FLOAT.match(p.src, tok.z)
    text = m.group(0) if m else b""
    try:
        ans = float(text) if text else 0.0
    except ValueError:
        ans = 0.0
    if len(text) == tok.n - 2:
        ans /= _UNIT.get(raw[-2:], 1.0)
    return ans


class ExprParser:
    """The expression half of the parser (see the module docstring)."""

    def __init__(self, p: Pik) -> None:
        self.p = p
        self.s = Stream(p)
        self.far = 0
        self.steps = 0
        self.signs = 0

    # -- token helpers -------------------------------------------------------

    def kind(self, k: int = 0) -> str:
        return self.s.peek(k).kind

    def fail(self) -> Syntax:
        self.far = max(self.far, self.s.pos)
        return Syntax(self.s.pos)

    def expect(self, *kinds: str) -> Token:
        self.steps += 1
        if self.steps > STEP_LIMIT:
            tok = self.s.peek()
            self.p.error(tok.z, tok.n, "script is too complex")
        if self.steps & 4095 == 0:
            budget.check()
        if self.s.peek().kind not in kinds:
            raise self.fail()
        return self.s.next()

    def accept(self, *kinds: str) -> Token | None:
        return self.s.next() if self.s.peek().kind in kinds else None

    def first(self, *alternatives: Callable[[], T]) -> T:
        """The first alternative that parses; else the furthest failure."""
        start = self.s.pos
        worst: Syntax | None = None
        for alt in alternatives:
            try:
                return alt()
            except Syntax as e:
                self.s.pos = start
                if worst is None or e.pos > worst.pos:
                    worst = e
        assert worst is not None
        raise worst

    # -- expressions -------------------------------------------------------

    def expr(self, min_prec: int = 1) -> Num:
        left = self.unary()
        while (prec := _BINARY.get(self.kind(), 0)) >= min_prec:
            op = self.s.next()
            right = self.expr(prec + 1)
            left = self._binary(op, left, right)
        return left

    def _binary(self, op: Token, a: Num, b: Num) -> Num:
        p = self.p

        def value() -> float:
            x, y = a(), b()
            if op.kind == "PLUS":
                return x + y
            if op.kind == "MINUS":
                return x - y
            if op.kind == "STAR":
                return x * y
            if y == 0.0:
                p.error(op.z, op.n, "division by zero")
            return x / y

        self.s.peek()
        v = value()  # reduced as soon as the look-ahead ends the operand
        return lambda: v

    def unary(self) -> Num:
        tok = self.accept("MINUS", "PLUS")
        if tok is None:
            return self.primary()
        self.signs += 1
        if self.signs + self.s.open["LP"] + 4 >= STACK_DEPTH:
            self.p.error(None, 0, "parser stack overflow")
        try:
            inner = self.unary()
        finally:
            self.signs -= 1
        if tok.kind == "MINUS":
            return lambda: -inner()
        return inner

    def primary(self) -> Num:
        p = self.p
        tok = self.s.peek()
        k = tok.kind
        if k == "NUMBER":
            self.s.next()
            v = number(p, tok)
            return lambda: v
        if k in ("ID", "EDGEPT"):
            self.s.next()
            self.s.peek()  # errors speak from the look-ahead's macro context
            v = p.get_var(tok)  # reduced at once, as Pikchr's parser does
            return lambda: v
        if k == "LP":
            self.s.next()
            var = self.accept("FILL", "COLOR", "THICKNESS")
            if var is not None:
                self.expect("RP")
                return lambda: p.get_var(var)
            inner = self.expr()
            self.expect("RP")
            return inner
        if k == "FUNC1":
            self.s.next()
            self.expect("LP")
            x = self.expr()
            self.expect("RP")
            self.s.peek()
            v1 = _func(p, tok, x(), 0.0)
            return lambda: v1
        if k == "FUNC2":
            self.s.next()
            self.expect("LP")
            x = self.expr()
            self.expect("COMMA")
            y = self.expr()
            self.expect("RP")
            self.s.peek()
            v2 = _func(p, tok, x(), y())
            return lambda: v2
        if k == "DIST":
            self.s.next()
            self.expect("LP")
            a = self.position()
            self.expect("COMMA")
            b = self.position()
            self.expect("RP")
            return lambda: _dist(a(), b())
        if k in OBJECT_START:
            return self._object_value()
        raise self.fail()

    def _object_value(self) -> Num:
        """``place2 .x``/``.y`` or ``object .property``."""
        if self.kind() == "NTH" and self.kind(1) == "VERTEX":
            place = self.vertex()
        else:
            obj = self.object()
            if self.accept("DOT_L"):
                prop = self.expect(*PROPERTIES)
                return lambda: attrs.property_of(obj(), prop.kind)
            place = self._after_object(obj)
        self.expect("DOT_XY")
        axis = self.expect("X", "Y")
        index = 0 if axis.kind == "X" else 1
        return lambda: place()[index]

    # -- objects and places --------------------------------------------------

    def object(self) -> ObjRef:
        """An object reference, looked up at once (Pikchr's parser reduces
        it before it reads on, so a missing object is reported first)."""
        p = self.p
        tok = self.s.peek()
        if tok.kind in ("NTH", "LAST"):
            count, what, err = self._nth()
            basis: Obj | None = None
            if self.accept("OF", "IN"):
                basis = self.object()()
            self.s.peek()
            found: Obj | None = attrs.find_nth(p, basis, err, count, what)
        elif tok.kind == "THIS":
            self.s.next()
            found = p.cur
        else:
            name = self.expect("PLACENAME")
            self.s.peek()
            found = attrs.find_byname(p, None, name)
        while tok.kind in ("THIS", "PLACENAME") and self.kind() == "DOT_U" and self.kind(1) == "PLACENAME":
            self.s.next()
            part = self.s.next()
            self.s.peek()
            found = attrs.find_byname(p, found, part)
        result = found
        return lambda: result

    def _nth(self) -> tuple[int, str, Token]:
        """An ordinal: (signed count, class name or ``[]`` or ``*``, token)."""
        p = self.p
        if self.kind() == "LAST":
            last = self.s.next()
            lb = self.accept("LB")
            if lb is not None:
                self.expect("RB")
                return -1, "[]", lb
            cls = self.accept("CLASSNAME")
            if cls is None:
                return -1, "*", last
            return -1, p.text_of(cls).decode(), cls
        nth = self.expect("NTH")
        sign = -1 if self.accept("LAST") else 1
        lb = self.accept("LB")
        if lb is not None:
            self.expect("RB")
            return sign * attrs.nth_value(p, nth), "[]", lb
        cls = self.expect("CLASSNAME")
        return sign * attrs.nth_value(p, nth), p.text_of(cls).decode(), cls

    def _after_object(self, obj: ObjRef) -> Place:
        """``object`` or ``object .EDGE`` as a place."""
        p = self.p
        if self.accept("DOT_E"):
            edge = self.expect(*EDGES)
            return lambda: attrs.place_of(p, obj(), edge)
        return lambda: attrs.place_of(p, obj(), None)

    def vertex(self) -> Place:
        nth = self.expect("NTH")
        err = self.expect("VERTEX")
        self.expect("OF")
        obj = self.object()
        self.s.peek()
        pt = attrs.nth_vertex(self.p, nth, err, obj())  # reduced at once, as Pikchr's parser does
        return lambda: pt

    def place(self) -> Place:
        """``EDGE of OBJECT``, ``OBJECT[.EDGE]`` or ``Nth vertex of OBJECT``."""
        p = self.p
        if self.kind() in EDGES:
            edge = self.s.next()
            self.expect("OF")
            obj = self.object()
            return lambda: attrs.place_of(p, obj(), edge)
        if self.kind() == "NTH" and self.kind(1) == "VERTEX":
            return self.vertex()
        if self.kind() not in OBJECT_START:
            raise self.fail()
        return self._after_object(self.object())

    # -- positions ---------------------------------------------------------

    def position(self) -> Place:
        k = self.kind()
        alternatives: list[Callable[[], Place]] = []
        if k in EDGES or k in OBJECT_START:
            alternatives.append(self._place_position)
        if k == "EDGEPT":
            return self._place_position()
        if k == "LP":
            alternatives.append(self._paren_position)
        alternatives.append(self._expr_position)
        return self.first(*alternatives)

    def _place_position(self) -> Place:
        place = self.place()
        if self.kind() in ("DOT_XY", "DOT_L"):
            raise self.fail()
        sign_tok = self.accept("PLUS", "MINUS")
        if sign_tok is None:
            return place
        sign = 1.0 if sign_tok.kind == "PLUS" else -1.0

        def offset() -> tuple[Num, Num]:
            if self.accept("LP"):
                dx = self.expr()
                self.expect("COMMA")
                dy = self.expr()
                self.expect("RP")
                return dx, dy
            dx = self.expr()
            self.expect("COMMA")
            return dx, self.expr()

        def plain() -> tuple[Num, Num]:
            dx = self.expr()
            self.expect("COMMA")
            return dx, self.expr()

        dx, dy = self.first(offset, plain)

        def value() -> Pt:
            x, y = place()
            a = dx()
            b = dy()
            return (x + sign * a, y + sign * b) if sign > 0 else (x - a, y - b)

        return value

    def _paren_position(self) -> Place:
        self.expect("LP")
        a = self.position()
        if self.accept("COMMA"):
            b = self.position()
            self.expect("RP")
            return lambda: (a()[0], b()[1])
        self.expect("RP")
        return a

    def _expr_position(self) -> Place:
        n = 0
        while self.kind(n) == "LP":
            n += 1
        if self.kind(n) == "EDGEPT":
            raise self.fail()  # where a place may start, a compass point is one
        e = self.expr()
        k = self.kind()
        if k == "COMMA":
            self.s.next()
            f = self.expr()
            return lambda: (e(), f())
        if k in ("BETWEEN", "WAY", "OF"):
            if self.accept("OF"):
                self.expect("THE")
                self.expect("WAY")
            else:
                self.accept("WAY")
            self.expect("BETWEEN")
            a = self.position()
            self.expect("AND")
            b = self.position()
            return lambda: _between(e(), a(), b())
        if k == "LT":
            self.s.next()
            a = self.position()
            self.expect("COMMA")
            b = self.position()
            self.expect("GT")
            return lambda: _between(e(), a(), b())
        if k in ("ABOVE", "BELOW"):
            self.s.next()
            a = self.position()
            up = k == "ABOVE"
            return lambda: _shift(e(), a(), 0, up)
        if k in ("LEFT", "RIGHT"):
            self.s.next()
            self.expect("OF")
            a = self.position()
            right = k == "RIGHT"
            return lambda: _shift(e(), a(), 1, right)
        if k in ("ON", "HEADING", "EDGEPT"):
            return self._heading_position(e)
        raise self.fail()

    def _heading_position(self, dist: Num) -> Place:
        if self.kind() == "EDGEPT":
            edge = self.s.next()
            self.expect("OF")
            a = self.position()
            return lambda: _at_angle(dist(), attrs.HEADINGS[edge.edge], a())
        self.accept("ON")
        self.expect("HEADING")
        edge_tok = self.accept("EDGEPT")
        if edge_tok is not None:
            e = edge_tok
            self.expect("OF")
            a = self.position()
            return lambda: _at_angle(dist(), attrs.HEADINGS[e.edge], a())
        angle = self.expr()
        self.expect("FROM")
        a = self.position()
        return lambda: _at_angle(dist(), angle(), a())


def _by_name_in(p: Pik, basis: ObjRef, part: Token) -> ObjRef:
    return lambda: attrs.find_byname(p, basis(), part)


def _func(p: Pik, tok: Token, x: float, y: float) -> float:
    name = tok.code
    if name == "abs":
        return -x if x < 0.0 else x
    if name == "cos":
        return math.cos(x)
    if name == "sin":
        return math.sin(x)
    if name == "int":
        return float(round(x)) if math.isfinite(x) else x
    if name == "sqrt":
        if x < 0.0:
            p.error(tok.z, tok.n, "sqrt of negative value")
        return math.sqrt(x)
    if name == "max":
        return x if x > y else y
    return x if x < y else y


def _dist(a: Pt, b: Pt) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


def _between(x: float, a: Pt, b: Pt) -> Pt:
    return (b[0] * x + a[0] * (1.0 - x), b[1] * x + a[1] * (1.0 - x))


def _shift(d: float, pt: Pt, axis: int, positive: bool) -> Pt:
    if axis == 0:
        return (pt[0], pt[1] + d if positive else pt[1] - d)
    return (pt[0] + d if positive else pt[0] - d, pt[1])


def _at_angle(dist: float, deg: float, pt: Pt) -> Pt:
    r = deg * 0.017453292519943295769
    return (pt[0] + dist * math.sin(r), pt[1] + dist * math.cos(r))
