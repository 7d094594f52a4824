"""The Pikchr tokenizer: cuts source bytes into tokens as Fossil's
embedded Pikchr does (``pik_token_length`` in ``extsrc/pikchr.c``).

A token is a slice of the one source byte string (macro bodies and
macro arguments are slices of it too), so error messages can point at
it by offset.  Token kinds are short upper-case strings named after
Pikchr's grammar symbols (``ID``, ``EDGEPT``, ``CLASSNAME``...).
"""

from __future__ import annotations

from dataclasses import dataclass

# Compass points and places (``eEdge``).
CP_N, CP_NE, CP_E, CP_SE, CP_S, CP_SW, CP_W, CP_NW, CP_C, CP_END, CP_START = range(1, 12)

# Directions of travel.
DIR_RIGHT, DIR_DOWN, DIR_LEFT, DIR_UP = range(4)

#: Object class names (the words that make a ``CLASSNAME`` token).
CLASS_NAMES = frozenset("arc arrow box circle cylinder dot ellipse file line move oval spline text".split())

#: Keywords as (words, kind[, code[, edge]]).
_KEYWORD_SPECS: tuple[tuple[str, str] | tuple[str, str, int | str] | tuple[str, str, int | str, int], ...] = (
    ("above", "ABOVE"),
    ("aligned", "ALIGNED"),
    ("and", "AND"),
    ("as", "AS"),
    ("assert", "ASSERT"),
    ("at", "AT"),
    ("behind", "BEHIND"),
    ("below", "BELOW"),
    ("between", "BETWEEN"),
    ("big", "BIG"),
    ("bold", "BOLD"),
    ("ccw", "CCW"),
    ("chop", "CHOP"),
    ("close", "CLOSE"),
    ("color", "COLOR"),
    ("cw", "CW"),
    ("dashed", "DASHED"),
    ("define", "DEFINE"),
    ("diameter", "DIAMETER"),
    ("dist", "DIST"),
    ("dotted", "DOTTED"),
    ("even", "EVEN"),
    ("fill", "FILL"),
    ("fit", "FIT"),
    ("from", "FROM"),
    ("go", "GO"),
    ("heading", "HEADING"),
    ("height ht", "HEIGHT"),
    ("in", "IN"),
    ("invis invisible", "INVIS"),
    ("italic", "ITALIC"),
    ("last previous", "LAST"),
    ("ljust", "LJUST"),
    ("of", "OF"),
    ("print", "PRINT"),
    ("rad radius", "RADIUS"),
    ("rjust", "RJUST"),
    ("same", "SAME"),
    ("small", "SMALL"),
    ("solid", "SOLID"),
    ("the", "THE"),
    ("then", "THEN"),
    ("thick", "THICK"),
    ("thickness", "THICKNESS"),
    ("thin", "THIN"),
    ("this", "THIS"),
    ("to", "TO"),
    ("until", "UNTIL"),
    ("vertex", "VERTEX"),
    ("way", "WAY"),
    ("wid width", "WIDTH"),
    ("with", "WITH"),
    ("x", "X"),
    ("y", "Y"),
    ("first", "NTH"),
    ("abs", "FUNC1", "abs"),
    ("cos", "FUNC1", "cos"),
    ("int", "FUNC1", "int"),
    ("sin", "FUNC1", "sin"),
    ("sqrt", "FUNC1", "sqrt"),
    ("max", "FUNC2", "max"),
    ("min", "FUNC2", "min"),
    ("down", "DOWN", DIR_DOWN),
    ("up", "UP", DIR_UP),
    ("left", "LEFT", DIR_LEFT, CP_W),
    ("right", "RIGHT", DIR_RIGHT, CP_E),
    ("bottom", "BOTTOM", 0, CP_S),
    ("top t", "TOP", 0, CP_N),
    ("center", "CENTER", 0, CP_C),
    ("end", "END", 0, CP_END),
    ("start", "START", 0, CP_START),
    ("c", "EDGEPT", 0, CP_C),
    ("n north", "EDGEPT", 0, CP_N),
    ("ne", "EDGEPT", 0, CP_NE),
    ("e east", "EDGEPT", 0, CP_E),
    ("se", "EDGEPT", 0, CP_SE),
    ("s south bot", "EDGEPT", 0, CP_S),
    ("sw", "EDGEPT", 0, CP_SW),
    ("w west", "EDGEPT", 0, CP_W),
    ("nw", "EDGEPT", 0, CP_NW),
)


def _keywords() -> dict[bytes, tuple[str, int | str, int]]:
    table: dict[bytes, tuple[str, int | str, int]] = {}
    for spec in _KEYWORD_SPECS:
        words, kind = spec[0], spec[1]
        code: int | str = spec[2] if len(spec) > 2 else 0
        edge: int = spec[3] if len(spec) > 3 else 0
        for w in words.split():
            table[w.encode()] = (kind, code, edge)
    return table


#: Keywords: word -> (kind, code, edge).
KEYWORDS = _keywords()

_ONE_CHAR = {
    ord("%"): "PERCENT",
    ord("("): "LP",
    ord(")"): "RP",
    ord("["): "LB",
    ord("]"): "RB",
    ord(","): "COMMA",
    ord(":"): "COLON",
    ord(">"): "GT",
}
_ENTITIES = (
    (b"&rarr;", "RARROW"),
    (b"&rightarrow;", "RARROW"),
    (b"&larr;", "LARROW"),
    (b"&leftarrow;", "LARROW"),
    (b"&leftrightarrow;", "LRARROW"),
)
_UNITS = (b"in", b"cm", b"mm", b"pt", b"px", b"pc")
_ORDINALS = (b"th", b"rd", b"nd", b"st")


@dataclass(slots=True)
class Token:
    """One token: ``kind`` at ``src[z:z+n]``; ``code`` and ``edge`` carry
    the keyword's extra meaning (direction, function, assignment operator,
    compass point, text-position flags)."""

    kind: str
    z: int
    n: int
    code: int | str = 0
    edge: int = 0


def _at(src: bytes, i: int) -> int:
    return src[i] if i < len(src) else 0


def _alnum(c: int) -> bool:
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122


def _word_end(src: bytes, i: int) -> int:
    while True:
        c = _at(src, i)
        if not (_alnum(c) or c == 95):
            return i
        i += 1


def scan(src: bytes, z: int, code_blocks: bool = True) -> Token:  # noqa: C901 (one branch per first byte, as pik_token_length)
    """The token starting at ``src[z]`` (``z`` below ``len(src)``)."""
    tok = Token("ERROR", z, 1)
    c = src[z]

    def done(kind: str, n: int, code: int | str = 0) -> Token:
        tok.kind, tok.n, tok.code = kind, n, code
        return tok

    if c == 0x5C:  # backslash-newline continues a line
        i = z + 1
        while _at(src, i) in (13, 32, 9):
            i += 1
        if _at(src, i) == 10:
            return done("SPACE", i + 1 - z)
        return done("ERROR", 1)
    if c in (59, 10):
        return done("EOL", 1)
    if c == 34:
        i = z + 1
        while (d := _at(src, i)) != 0:
            if d == 0x5C:
                if _at(src, i + 1) == 0:
                    break
                i += 2
                continue
            if d == 34:
                return done("STRING", i + 1 - z)
            i += 1
        return done("ERROR", i - z)
    if c in (32, 9, 12, 13):
        i = z + 1
        while _at(src, i) in (32, 9, 13):
            i += 1
        return done("SPACE", i - z)
    if c == 35:
        i = z + 1
        while _at(src, i) not in (0, 10):
            i += 1
        return done("SPACE", i - z)
    nxt = _at(src, z + 1)
    if c == 47:
        if nxt == 42:
            i = z + 2
            while _at(src, i) != 0 and not (src[i] == 42 and _at(src, i + 1) == 47):
                i += 1
            if _at(src, i) == 42:
                return done("SPACE", i + 2 - z)
            return done("ERROR", i - z)
        if nxt == 47:
            i = z + 2
            while _at(src, i) not in (0, 10):
                i += 1
            return done("SPACE", i - z)
        return done("ASSIGN", 2, "SLASH") if nxt == 61 else done("SLASH", 1)
    if c == 43:
        return done("ASSIGN", 2, "PLUS") if nxt == 61 else done("PLUS", 1)
    if c == 42:
        return done("ASSIGN", 2, "STAR") if nxt == 61 else done("STAR", 1)
    if c in _ONE_CHAR:
        return done(_ONE_CHAR[c], 1)
    if c == 61:
        return done("EQ", 2) if nxt == 61 else done("ASSIGN", 1, "ASSIGN")
    if c == 45:
        if nxt == 62:
            return done("RARROW", 2)
        return done("ASSIGN", 2, "MINUS") if nxt == 61 else done("MINUS", 1)
    if c == 60:
        if nxt == 45:
            return done("LRARROW", 3) if _at(src, z + 2) == 62 else done("LARROW", 2)
        return done("LT", 1)
    if c == 0xE2:
        if nxt == 0x86:
            arrow = {0x90: "LARROW", 0x92: "RARROW", 0x94: "LRARROW"}.get(_at(src, z + 2))
            if arrow:
                return done(arrow, 3)
        return done("ERROR", 1)
    if c == 123:
        i = z + 1
        depth = 0
        if code_blocks:
            depth = 1
            while _at(src, i) and depth > 0:
                inner = scan(src, i, False)
                if inner.n == 1:
                    if src[i] == 123:
                        depth += 1
                    elif src[i] == 125:
                        depth -= 1
                i += inner.n
        if depth:
            return done("ERROR", 1)
        return done("CODEBLOCK", i - z)
    if c == 38:
        for ent, kind in _ENTITIES:
            if src.startswith(ent, z):
                return done(kind, len(ent))
        return done("ERROR", 1)
    return _scan_word(src, z, tok)


def _scan_word(src: bytes, z: int, tok: Token) -> Token:
    """Numbers, words, dots, parameters (the rest of ``scan``)."""
    c = src[z]
    if c == 46:
        c1 = _at(src, z + 1)
        if 97 <= c1 <= 122:
            i = z + 2
            while 97 <= _at(src, i) <= 122:
                i += 1
            found = KEYWORDS.get(src[z + 1 : i])
            tok.n = 1
            if found and (found[2] > 0 or found[0] in ("EDGEPT", "START", "END")):
                tok.kind = "DOT_E"
            elif found and found[0] in ("X", "Y"):
                tok.kind = "DOT_XY"
            else:
                tok.kind = "DOT_L"
            return tok
        if 65 <= c1 <= 90:
            tok.kind, tok.n = "DOT_U", 1
            return tok
        if not 48 <= c1 <= 57:
            tok.kind, tok.n = "ERROR", 1
            return tok
    if 48 <= c <= 57 or c == 46:
        return _scan_number(src, z, tok)
    if 97 <= c <= 122:
        i = _word_end(src, z + 1)
        word = src[z:i]
        tok.n = i - z
        found = KEYWORDS.get(word)
        if found:
            tok.kind, tok.code, tok.edge = found
        elif word.decode("latin-1") in CLASS_NAMES:
            tok.kind = "CLASSNAME"
        else:
            tok.kind = "ID"
        return tok
    if 65 <= c <= 90:
        tok.kind, tok.n = "PLACENAME", _word_end(src, z + 1) - z
        return tok
    c1 = _at(src, z + 1)
    if c == 36 and 49 <= c1 <= 57 and not 48 <= _at(src, z + 2) <= 57:
        tok.kind, tok.n, tok.code = "PARAMETER", 2, c1 - 49
        return tok
    if c in (95, 36, 64):
        tok.kind, tok.n = "ID", _word_end(src, z + 1) - z
        return tok
    tok.kind, tok.n = "ERROR", 1
    return tok


def _scan_number(src: bytes, z: int, tok: Token) -> Token:
    i = z
    digits = 0
    is_int = True
    if src[z] != 46:
        while 48 <= _at(src, i) <= 57:
            i += 1
            digits += 1
        if i == z + 1 and _at(src, i) in (120, 88):
            i += 1
            while (d := _at(src, i)) and (48 <= d <= 57 or 97 <= d <= 102 or 65 <= d <= 70):
                i += 1
            tok.kind, tok.n = "NUMBER", i - z
            return tok
    if _at(src, i) == 46:
        is_int = False
        i += 1
        while 48 <= _at(src, i) <= 57:
            i += 1
            digits += 1
    if digits == 0:
        tok.kind, tok.n = "ERROR", i - z
        return tok
    # An exponent never becomes part of the token (Pikchr's own quirk).
    two = src[i : i + 2] if _at(src, i) else b""
    if is_int and two in _ORDINALS:
        tok.kind, tok.n = "NTH", i + 2 - z
        return tok
    if two in _UNITS:
        i += 2
    tok.kind, tok.n = "NUMBER", i - z
    return tok
