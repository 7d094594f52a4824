"""The Pikchr token stream the parser reads: white space dropped,
macros (``define NAME {BODY}``) and their ``$1``..``$9`` arguments
expanded in place, limits enforced (``pik_tokenize`` and
``pik_parse_macro_args`` in ``extsrc/pikchr.c``).

Tokens are produced on demand, so a macro defined by one statement is
known when the next statement is read; the parser can look ahead and
back up within what has been produced.
"""

from __future__ import annotations

from dataclasses import dataclass

from fossilpy import budget
from fossilpy.markup.pikchr.layout import Pik
from fossilpy.markup.pikchr.tokens import Token, scan

#: Most tokens a diagram may have.
TOKEN_LIMIT = 100000
#: Deepest macro nesting.
MAX_CONTEXT = 10
#: Entries of Pikchr's parser stack.
STACK_DEPTH = 100

_SPACE = b" \t\n\r\f\v"


@dataclass
class Macro:
    name: Token
    z: int
    n: int
    in_use: bool = False


@dataclass
class _Frame:
    i: int
    end: int
    args: list[tuple[int, int]] | None
    macro: Macro | None = None
    pushed_ctx: bool = False


class Stream:
    """Semantic tokens of ``p.src``, with look-ahead and back-up."""

    def __init__(self, p: Pik) -> None:
        self.p = p
        self.macros: dict[bytes, Macro] = {}
        self.frames = [_Frame(0, len(p.src), None)]
        self.buf: list[Token] = []
        self.ctxs: list[tuple[Token, ...]] = []
        self.live: list[Token] = []
        self.open = {"LP": 0, "LB": 0}
        #: The token that fills the parser's stack (-1: none): the stack
        #: overflows when the parser takes the token after it.
        self.overflow_at = -1
        self.pos = 0

    def peek(self, k: int = 0) -> Token:
        while len(self.buf) <= self.pos + k:
            self.p.ctx = self.live
            tok = self._produce()
            self.buf.append(tok)
            self.ctxs.append(tuple(self.live))
            self.p.ctx = list(self.ctxs[self.pos])
        return self.buf[self.pos + k]

    def next(self) -> Token:
        tok = self.peek()
        if 0 <= self.overflow_at < self.pos:
            self.p.error(None, 0, "parser stack overflow")
        self.pos += 1
        return tok

    def blame(self, i: int) -> Token:
        """Token ``i`` (produced already), with its macro context made
        the one errors report."""
        self.p.ctx = list(self.ctxs[i])
        return self.buf[i]

    def define(self, name: Token, body: Token) -> None:
        """Record macro ``name`` with the body inside ``body``'s braces."""
        key = self.p.text_of(name)
        mac = self.macros.get(key)
        if mac is None:
            mac = self.macros[key] = Macro(name, 0, 0)
        mac.z, mac.n, mac.in_use = body.z + 1, body.n - 2, False

    def _pop(self) -> None:
        fr = self.frames.pop()
        if fr.pushed_ctx:
            self.live.pop()
        if fr.macro is not None:
            fr.macro.in_use = False

    def _produce(self) -> Token:
        p = self.p
        src = p.src
        while True:
            if not self.frames:
                return Token("EOF", max(len(src) - 1, 0), 1)
            fr = self.frames[-1]
            if fr.i >= fr.end or src[fr.i] == 0:
                self._pop()
                continue
            i = fr.i
            tok = scan(src, i)
            sz = tok.n
            fr.i += sz
            if tok.kind == "SPACE":
                continue
            if sz > 50000:
                p.error(i, 1, "token is too long - max length 50000 bytes")
            if tok.kind == "ERROR":
                p.error(i, sz, "unrecognized token")
            if sz + i > fr.end:
                p.error(i, fr.end - i, "syntax error")
            if tok.kind == "PARAMETER":
                arg = fr.args[int(tok.code)] if fr.args is not None else (0, 0)
                if arg[1] == 0:
                    continue
                if len(self.live) >= MAX_CONTEXT:
                    p.error(i, sz, "macros nested too deep")
                self.live.append(tok)
                self.frames.append(_Frame(arg[0], arg[0] + arg[1], None, None, True))
                continue
            if tok.kind == "ID" and src[i : i + sz] in self.macros:
                mac = self.macros[src[i : i + sz]]
                if mac.in_use:
                    p.error(mac.name.z, mac.name.n, "recursive macro definition")
                if len(self.live) >= MAX_CONTEXT:
                    p.error(i, sz, "macros nested too deep")
                mac.in_use = True
                self.live.append(tok)
                used, args = self._args(fr.i, fr.end, fr.args)
                fr.i += used
                self.frames.append(_Frame(mac.z, mac.z + mac.n, args, mac, True))
                continue
            p.n_token += 1
            if p.n_token > TOKEN_LIMIT + 1:
                p.error(i, sz, "script is too complex")
            self._nest(tok.kind)
            if p.n_token & 1023 == 0:
                budget.check()
            return tok

    def _nest(self, kind: str) -> None:
        """Count open parentheses and brackets: Pikchr's parser has a stack
        of 100 entries, which about 94 nested parentheses or 49 nested
        brackets fill (an estimate of its depth from them); note the token
        that fills it."""
        if kind in ("LP", "LB"):
            self.open[kind] += 1
        elif kind in ("RP", "RB"):
            opener = "LP" if kind == "RP" else "LB"
            self.open[opener] = max(self.open[opener] - 1, 0)
        lp, lb = self.open["LP"], self.open["LB"]
        if 2 * lb + lp + (6 if lp else 2) >= STACK_DEPTH and self.overflow_at < 0:
            self.overflow_at = len(self.buf)

    def _args(self, z: int, end: int, outer: list[tuple[int, int]] | None) -> tuple[int, list[tuple[int, int]]]:
        """Parse ``(arg, ...)`` at ``src[z]``: bytes used and the arguments."""
        src = self.p.src
        args = [(0, 0)] * 9
        if z >= len(src) or src[z] != 40:
            return 0, args
        n_arg = 0
        start = z + 1
        depth = 0
        i = z + 1
        while i < end and src[i] != 41:
            sz = scan(src, i, False).n
            if sz == 1:
                c = src[i]
                if c == 44 and depth <= 0:
                    args[n_arg] = (start, i - start)
                    if n_arg == 8:
                        self.p.error(z, 1, "too many macro arguments - max 9")
                    n_arg += 1
                    start = i + 1
                    depth = 0
                elif c in b"({[":
                    depth += 1
                elif c in b")}]":
                    depth -= 1
            i += sz
        if i < len(src) and src[i] == 41:
            args[n_arg] = (start, i - start)
            for j in range(n_arg + 1):
                a, n = args[j]
                while n > 0 and src[a] in _SPACE:
                    a += 1
                    n -= 1
                while n > 0 and src[a + n - 1] in _SPACE:
                    n -= 1
                if n == 2 and src[a] == 36 and 49 <= src[a + 1] <= 57:
                    a, n = outer[src[a + 1] - 49] if outer is not None else (a, 0)
                args[j] = (a, n)
            return i + 1 - z, args
        self.p.error(z, 1, "unterminated macro argument list")
        raise AssertionError
