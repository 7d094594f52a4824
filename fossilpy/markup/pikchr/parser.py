"""Parsing Pikchr statements and attribute lists, acting on each as
Pikchr's grammar does (the ``statement``, ``unnamed_statement``,
``attribute`` rules of ``pikchr.y``): objects are created, given their
attributes in order, placed, and at the end drawn.  Expressions and
positions come from :class:`fossilpy.markup.pikchr.exprs.ExprParser`.
"""

from __future__ import annotations

from fossilpy.markup.pikchr import attrs
from fossilpy.markup.pikchr.exprs import EDGES, EXPR_START, ExprParser, Num, Syntax
from fossilpy.markup.pikchr.layout import PikError
from fossilpy.markup.pikchr.model import Obj
from fossilpy.markup.pikchr.svg import escape
from fossilpy.markup.pikchr.tokens import Token

_DIRECTIONS = ("UP", "DOWN", "LEFT", "RIGHT")
_TEXT_FLAGS = (
    "CENTER", "LJUST", "RJUST", "ABOVE", "BELOW", "ITALIC", "BOLD", "ALIGNED", "BIG", "SMALL",
)  # fmt: skip
_NUMPROPS = ("HEIGHT", "WIDTH", "RADIUS", "DIAMETER", "THICKNESS")
#: Errors after which Pikchr's parser still completes a printed value.
_COMPLETE = frozenset(("no such variable", "not a known color name", "division by zero", "sqrt of negative value"))
#: Tokens that continue an expression.
_CONTINUES = frozenset(("PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "LP", "DOT_U", "DOT_XY", "DOT_L", "DOT_E"))


class Parser(ExprParser):
    """The whole-diagram parser: :meth:`document` renders or raises."""

    def document(self) -> None:
        objs = self.statement_list(top=True)
        if objs is not None and not self.p.n_err:
            self.p.render(objs)

    def syntax_error(self, e: Syntax) -> None:
        tok = self.s.blame(max(e.pos, self.far))
        self.p.error(tok.z, tok.n, "syntax error")

    def statement_list(self, top: bool) -> list[Obj] | None:
        objs: list[Obj] | None = None
        while True:
            self.far = self.s.pos
            try:
                obj = self.statement()
                end = self.kind()
                if end not in ("EOL", "EOF" if top else "RB"):
                    raise self.fail()
            except Syntax as e:
                self.syntax_error(e)
                raise AssertionError from None
            if obj is not None:
                if objs is None:
                    objs = []
                objs.append(obj)
                self.p.list = objs
            if end != "EOL":
                return objs
            self.s.next()

    def statement(self) -> Obj | None:
        p = self.p
        tok = self.s.peek()
        k = tok.kind
        if k in ("EOL", "EOF", "RB"):
            return None
        if k in _DIRECTIONS:
            self.s.next()
            p.set_direction(int(tok.code))
            return None
        if k in ("ID", "EDGEPT", "FILL", "COLOR", "THICKNESS"):
            self.s.next()
            op = self.expect("ASSIGN")
            val = self.rvalue()
            self._statement_end()
            p.set_var(tok, val(), op)
            return None
        if k == "PLACENAME":
            self.s.next()
            self.expect("COLON")
            if self.kind() in ("CLASSNAME", "STRING", "LB"):
                obj = self.unnamed_statement()
            else:
                pos = self.position()
                obj = p.new_obj(None, None, None)
                obj.at = pos()
            obj.name = p.text_of(tok)
            obj.name_z = tok.z
            return obj
        if k in ("CLASSNAME", "STRING", "LB"):
            return self.unnamed_statement()
        if k == "PRINT":
            self.s.next()
            self.print_list()
            return None
        if k == "ASSERT":
            self.s.next()
            self.assertion()
            return None
        if k == "DEFINE":
            self.s.next()
            name = self.expect("ID", "EDGEPT")
            body = self.expect("CODEBLOCK")
            self.s.peek()  # Pikchr's parser reads the next token before it acts
            self.s.define(name, body)
            return None
        raise self.fail()

    def _statement_end(self) -> None:
        """A statement acts only once the token after it can end it."""
        if self.kind() not in ("EOL", "EOF", "RB"):
            raise self.fail()

    def rvalue(self) -> Num:
        if self.kind() == "PLACENAME" and self.kind(1) not in ("DOT_U", "DOT_XY", "DOT_L", "DOT_E"):
            tok = self.s.next()
            self.s.peek()
            value = self.p.color(tok)  # reduced at once, as Pikchr's parser does
            return lambda: value
        return self.expr()

    def print_list(self) -> None:
        p = self.p
        while True:
            tok = self.s.peek()
            if tok.kind in ("FILL", "COLOR", "THICKNESS"):
                self.s.next()
                p.out.append(format(p.value(p.text_of(tok)), ".10g"))
            elif tok.kind == "STRING":
                self.s.next()
                p.out.append(escape(p.src[tok.z + 1 : tok.z + tok.n - 1], 0))
            else:
                p.out.append(format(self._print_value(), ".10g"))
            if not self.accept("COMMA"):
                break
            p.out.append(" ")
        p.out.append("<br>\n")

    def _print_value(self) -> float:
        """A printed value.  When it fails, Pikchr's parser has already
        finished the item if the next token cannot continue it, and prints
        the failed value (0, or -99 for a colour) and what follows."""
        try:
            return self.rvalue()()
        except PikError as e:
            if str(e) in _COMPLETE and self.kind() not in _CONTINUES:
                value = -99.0 if str(e) == "not a known color name" else 0.0
                self.p.out.append(format(value, ".10g"))
                self.p.out.append(" " if self.kind() == "COMMA" else "<br>\n")
            raise

    def assertion(self) -> None:
        p = self.p
        self.expect("LP")

        def numbers() -> None:
            a = self.expr()
            eq = self.expect("EQ")
            b = self.expr()
            self.expect("RP")
            x, y = format(a(), "g"), format(b(), "g")
            if x != y:
                p.error(eq.z, eq.n, f"{x[:50]} != {y[:50]}")

        def places() -> None:
            a = self.position()
            eq = self.expect("EQ")
            b = self.position()
            self.expect("RP")
            pa, pb = a(), b()
            x, y = f"({pa[0]:g},{pa[1]:g})", f"({pb[0]:g},{pb[1]:g})"
            if x != y:
                p.error(eq.z, eq.n, f"{x} != {y}")

        self.first(numbers, places)

    # -- objects -----------------------------------------------------------

    def unnamed_statement(self) -> Obj:
        p = self.p
        tok = self.s.next()
        if tok.kind == "CLASSNAME":
            obj = p.new_obj(tok, None, None)
        elif tok.kind == "STRING":
            tok.code = self.text_flags()
            obj = p.new_obj(None, tok, None)
        else:
            saved = p.list
            p.list = None
            sub = self.statement_list(top=False)
            rb = self.s.next()
            p.list = saved
            obj = p.new_obj(None, None, sub)
            obj.err_z, obj.err_n = rb.z, rb.n
        rel: tuple[float, float] | None = None
        if self.kind() in EXPR_START:
            rel = self.relexpr()
        while self.attribute():
            pass
        self._statement_end()
        if rel is not None:
            attrs.add_direction(p, None, rel)
        p.after_attributes(obj)
        return obj

    def text_flags(self) -> int:
        flags = 0
        while self.kind() in _TEXT_FLAGS:
            flags = attrs.text_position(flags, self.s.next())
        return flags

    def relexpr(self) -> tuple[float, float]:
        e = self.expr()
        if self.accept("PERCENT"):
            return (0.0, e() / 100)
        return (e(), 0.0)

    def optrelexpr(self, edge_is_name: bool = False) -> tuple[float, float]:
        """An optional distance; a compass point (``ne``) starts one only
        where it cannot be a heading (then it is a variable name)."""
        if self.kind() in EXPR_START and (edge_is_name or self.kind() != "EDGEPT"):
            return self.relexpr()
        return (0.0, 1.0)

    def attribute(self) -> bool:
        """Parse and apply one attribute; False at the end of the list."""
        p = self.p
        tok = self.s.peek()
        k = tok.kind
        o = p.cur
        if k in _NUMPROPS:
            self.s.next()
            attrs.set_numprop(p, tok, self.relexpr())
        elif k in ("DOTTED", "DASHED"):
            self.s.next()
            value = self.expr()() if self.kind() in EXPR_START else None
            attrs.set_dashed(p, tok, value)
        elif k in ("FILL", "COLOR"):
            self.s.next()
            attrs.set_clrprop(p, tok, self.rvalue()())
        elif k in _DIRECTIONS or (k == "GO" and self.kind(1) in _DIRECTIONS):
            self.accept("GO")
            self.direction_move()
        elif k in ("GO", "THEN"):
            self.s.next()
            if k == "THEN" and not (self.kind() in ("HEADING", "EDGEPT") or self.kind() in EXPR_START):
                attrs.then(p, tok)
                return True
            self.heading_move(tok)
        elif k in ("CLOSE", "CHOP", "FIT", "CW", "CCW", "INVIS", "THICK", "THIN", "SOLID"):
            self.s.next()
            self.flag(tok)
        elif k in ("LARROW", "RARROW", "LRARROW"):
            self.s.next()
            o.larrow = k != "RARROW"
            o.rarrow = k != "LARROW"
        elif k in ("FROM", "TO", "AT"):
            self.s.next()
            pt = self.position()()
            if k == "FROM":
                attrs.set_from(p, tok, pt)
            elif k == "TO":
                attrs.add_to(p, tok, pt)
            else:
                attrs.set_at(p, None, pt, tok)
        elif k == "WITH":
            self.s.next()
            self.accept("DOT_E")
            edge = self.expect(*EDGES)
            at = self.expect("AT")
            attrs.set_at(p, edge, self.position()(), at)
        elif k == "SAME":
            self.s.next()
            other = None
            if self.accept("AS"):
                other = self.object()()
                if other is None:
                    return True
            attrs.same(p, other, tok)
        elif k == "STRING":
            self.s.next()
            p.add_text(tok, self.text_flags())
        elif k == "BEHIND":
            self.s.next()
            attrs.behind(p, self.object()())
        else:
            return False
        return True

    def flag(self, tok: Token) -> None:
        self.s.peek()  # Pikchr's parser reads the next token before it acts
        p = self.p
        o = p.cur
        k = tok.kind
        if k == "CLOSE":
            attrs.close_path(p, tok)
        elif k == "CHOP":
            o.chop = True
        elif k == "FIT":
            p.size_to_fit(3)
        elif k in ("CW", "CCW"):
            o.cw = k == "CW"
        elif k == "INVIS":
            o.sw = 0.0
        elif k == "THICK":
            o.sw *= 1.5
        elif k == "THIN":
            o.sw *= 0.67
        else:
            o.sw = p.value("thickness")
            o.dotted = o.dashed = 0.0

    def direction_move(self) -> None:
        p = self.p
        d = self.s.next()
        if self.kind() in ("UNTIL", "EVEN"):
            if self.accept("UNTIL"):
                self.expect("EVEN")
            else:
                self.s.next()
            self.expect("WITH")
            attrs.even_with(p, d, self.position()())
            return
        attrs.add_direction(p, d, self.optrelexpr(edge_is_name=True))

    def heading_move(self, go: Token) -> None:
        p = self.p
        rel = self.optrelexpr()
        edge = self.accept("EDGEPT")
        if edge is not None:
            attrs.move_heading(p, rel, None, edge, go)
            return
        self.expect("HEADING")
        angle = self.expr()()
        attrs.move_heading(p, rel, angle, None, go)
