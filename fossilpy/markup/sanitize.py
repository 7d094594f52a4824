"""The sanitizer both markup languages share, and the bounds of a rendering.

Fossil 2.21 checks HTML in two places, both with the tables and the tag
parser of ``src/wikiformat.c``: the Fossil-wiki renderer as it goes, and
``safe_html()`` over the whole output of the Markdown renderer.  Here both
use :class:`Tags` (Fossil's ``html_tag_length`` and ``parseMarkup``) and
:func:`render_markup` (``renderMarkup``), with stricter rules:

* a tag is kept only if it is in :data:`ALLOWED_TAGS`, with only the
  attributes listed there for it (Fossil keeps any attribute of its global
  list on any tag, ``style`` and ``target`` included; we never keep those);
* ``href`` and ``src`` must be :func:`safe_url` (``http:``, ``https:``,
  ``ftp:``, ``mailto:`` or no scheme; not protocol-relative, no backslash)
  or the attribute is dropped (Fossil keeps ``javascript:`` URLs);
* attribute values are written with ``"`` and ``<`` escaped (Fossil writes
  them as found, so a single-quoted value could close the attribute);
* the text of a refused tag is escaped inside its error ``<span>`` (Fossil
  copies it raw); ``<verbatim>``, ``<nowiki>`` and ``<title>`` in Markdown
  are refused like unknown tags; HTML comments never get through.

So ``<script>``, ``<style>``, event handlers and ``javascript:`` URLs never
get through, and neither does a surplus closing tag (it cannot close a
``<div>`` of the page around the text).

Bounded output: for an input of N characters the HTML is at most
``EXPANSION * N + (N // 3) * len(escape(top)) + SLACK`` characters
(:func:`output_limit`; every link takes 3 input characters or more and
carries ``top`` once).  The densest legitimate markup is a Markdown inline
footnote, ``(^x)``: about 210 characters for 4 (its reference and its item).  A rendering that would go
past the limit is shown escaped instead (:func:`render_plain`, at most
5 N + 30), never as a truncated page.  Output is charged to the request's
memory budget as it is made (:mod:`fossilpy.budget`).
"""

from __future__ import annotations

import bisect
import html
import re

from fossilpy import budget
from fossilpy.markup.chars import ALNUM as _ALNUM
from fossilpy.markup.chars import ALPHA as _ALPHA
from fossilpy.markup.chars import SPACE as _SPACE
from fossilpy.markup.pikchr import NONCE, fossil_block

# -- Fossil's markup table ---------------------------------------------------------

#: Markup types (Fossil's MUTYPE_*).
SINGLE, BLOCK, FONT, LIST, LI, TABLE, TR, TD, SPECIAL, HYPERLINK = (
    0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400)
#: Types whose end tags must nest strictly (MUTYPE_Nested).
NESTED = 0x0656
#: Types that need an end tag (MUTYPE_STACK).
STACK = BLOCK | FONT | LIST | TABLE
#: Types allowed in inline text (MUTYPE_INLINE).
INLINE = FONT | HYPERLINK

_T = {"single": SINGLE, "block": BLOCK, "font": FONT, "list": LIST, "li": LI, "table": TABLE,
      "tr": TR, "td": TD, "special": SPECIAL, "a": HYPERLINK}
#: Every element Fossil's wiki knows, with its type (``aMarkup``).
MARKUP_TYPES: dict[str, int] = {
    name: _T[kind] for kind, names in (
        ("a", "a"),
        ("font", "abbr b big cite code del dfn em font i ins kbd nobr s samp small strike strong"
                 " sub sup tt u var"),
        ("block", "address article aside blockquote center colgroup div footer h1 h2 h3 h4 h5 h6"
                  " header nav p pre section span tbody tfoot thead title"),
        ("single", "br col hr img"),
        ("li", "dd dt li"),
        ("list", "dl ol ul"),
        ("special", "nowiki verbatim"),
        ("table", "table"),
        ("tr", "tr"),
        ("td", "td th"),
    ) for name in names.split()
}
#: Attribute names Fossil's tag parser keeps (``aAttribute``); others are skipped.
ATTRIBUTES = frozenset(
    "align alt bgcolor border cellpadding cellspacing class clear color colspan compact face"
    " height href hspace id links name rowspan size src start style target title type valign"
    " value vspace width".split()
)

_BOX = "id class"
_CELL = "align bgcolor colspan rowspan valign class"
#: What gets through: element -> attributes kept.  Fossil's elements (less
#: the special ones) with Fossil's attributes for each, less ``style`` and
#: ``target``, plus what the renderers write themselves (footnote ids and
#: classes, ``language-`` classes, alignment, titles).
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    t: frozenset(a.split()) for t, a in {
        "a": "href name class title id", "abbr": "id class title", "address": "",
        "article": _BOX, "aside": _BOX, "b": "", "big": "", "blockquote": "", "br": "clear",
        "center": "", "cite": "", "code": "class", "col": "align class colspan width",
        "colgroup": "align class colspan width", "dd": "", "del": "", "dfn": "",
        "div": "id class title", "dl": "compact", "dt": "", "em": "", "font": "color face size",
        "footer": _BOX, "h1": "align class id", "h2": "align class id", "h3": "align class id",
        "h4": "align class id", "h5": "align class id", "h6": "align class id", "header": _BOX,
        "hr": "align color size width class", "i": "",
        "img": "align alt border height hspace src vspace width title", "ins": "", "kbd": "",
        "li": "type value id class", "nav": _BOX, "nobr": "", "ol": "start type compact class",
        "p": "align class id", "pre": "class name", "s": "", "samp": "", "section": _BOX,
        "small": "", "span": "align class id title", "strike": "", "strong": "", "sub": "",
        "sup": "class", "table": "align bgcolor border cellpadding cellspacing hspace vspace class",
        "tbody": "align class", "td": _CELL, "tfoot": "align class", "th": _CELL,
        "thead": "align class", "tr": "align bgcolor valign class", "tt": "", "u": "",
        "ul": "type compact", "var": "",
    }.items()
}
SAFE_SCHEMES = ("http:", "https:", "ftp:", "mailto:")



# -- text ----------------------------------------------------------------------------

#: C0 control characters other than tab, newline and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(text: str) -> str:
    """``text`` with NUL and the other C0 controls (except tab, CR, LF) replaced by U+FFFD.

    Every renderer starts with this (Fossil stops at a NUL; browsers handle
    the other controls inconsistently).
    """
    return _CONTROLS.sub("\ufffd", text)


def esc(text: str) -> str:
    """``<``, ``>`` and ``&`` escaped (Fossil's ``html_escape``)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def quote(text: str) -> str:
    """Text for an attribute value: ``<>&"'`` escaped (``html_quote``, ``%h``)."""
    return esc(text).replace('"', "&quot;").replace("'", "&#39;")


def attr_value(value: str) -> str:
    """An attribute value as found, made safe inside double quotes."""
    return value.replace('"', "&quot;").replace("<", "&lt;")


def safe_url(url: str, top: str = "", root: bool = True) -> str | None:
    """``url`` if it is safe to link to, else None.

    Entities are decoded before looking (``jav&#x09;ascript:``).  With
    ``root`` a "/x" URL is made absolute under ``top``.
    """
    plain = html.unescape(url) if "&" in url else url
    low = re.sub(r"[\x00-\x20]", "", plain).lower()
    if not low or "\\" in plain:
        return None  # browsers read "\\" as "/": "/\\host" and "\\\\host" leave the site
    if low.startswith(SAFE_SCHEMES):
        return url
    if ":" in low.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return None  # javascript:, data:, vbscript:, anything with a scheme
    if low.startswith("//"):
        return None
    if root and plain.lstrip(" \t\n\r\f").startswith("/"):
        return top + url.lstrip(" \t\n\r\f")
    return url


# -- tags -------------------------------------------------------------------------------


class Markup:
    """One parsed tag (Fossil's ``ParsedMarkup``)."""

    __slots__ = ("attrs", "end", "name", "seen")

    def __init__(self, end: bool, name: str, attrs: list[tuple[str, str | None]], seen: frozenset[str]) -> None:
        self.end = end            # </x>
        self.name = name          # lower-case known element, or "" (MARKUP_INVALID)
        self.attrs = attrs        # (name, value or None), known attributes only
        self.seen = seen          # names of the kept attributes

    @property
    def type(self) -> int:
        return MARKUP_TYPES.get(self.name, 0)

    def attr(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return None


#: A tag whose end is plain to see: no "<" or ">" before it, quotes closed
#: before the next "<" or ">".  Where it matches, :meth:`Tags.length`
#: would give the same length; where it does not, that is asked.
_PLAIN_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:/>|>|[ \t\n\v\f\r](?:[^<>\"']|\"[^\"<>]*\"|'[^'<>]*')*>)")
#: The characters that decide where a tag ends.
_MARKS = re.compile("[\"'>]")


class Tags:
    """Tag scanning over one text, linear however many "<" it holds."""

    def __init__(self, z: str) -> None:
        self.z = z
        self._close: list[int] | None = None
        self._marks: list[int] = []
        self._padded: str | None = None

    def close_from(self, n: int) -> int:
        """Index of the first ">" at or after n outside quotes (opened there), or -1."""
        if self._close is None:
            # Only quotes and ">" matter: work out the answer for each of
            # them, right to left; any other position takes the answer of
            # the next one of them.
            z = self.z
            marks = [m.start() for m in _MARKS.finditer(z)]
            answer = [-1] * (len(marks) + 1)
            after = {'"': -1, "'": -1}  # index in marks of the next quote of each kind
            for k in range(len(marks) - 1, -1, -1):
                p = marks[k]
                c = z[p]
                if c == ">":
                    answer[k] = p
                else:
                    r = after[c]
                    answer[k] = answer[r + 1] if r >= 0 else -1
                    after[c] = k
            self._marks = marks
            self._close = answer
        return self._close[bisect.bisect_left(self._marks, n)]

    def length(self, i: int) -> int:
        """Length of the tag at z[i] ("<"), or 0 (Fossil's ``html_tag_length``)."""
        z = self.z
        m = _PLAIN_TAG.match(z, i)
        if m is not None:
            return m.end() - i
        end = len(z)
        n = i + 1
        if n < end and z[n] == "/":
            n += 1
        if n >= end or z[n] not in _ALPHA:
            return 0
        while n < end and (z[n] in _ALNUM or z[n] == "-"):
            n += 1
        c = z[n] if n < end else ""
        if c == "/" and z[n + 1 : n + 2] == ">":
            return n + 2 - i
        if c != ">" and c not in _SPACE:
            return 0
        k = self.close_from(n)
        return 0 if k < 0 else k + 1 - i

    def parse(self, i: int) -> Markup:
        """The tag at z[i] (Fossil's ``parseMarkup``).

        Like Fossil: an unknown or repeated attribute is skipped, at most 8
        are read, ``<name-ID`` gives an ``id``, a quoted value runs to its
        closing quote (even past the tag), an unquoted one to a space or ">".
        """
        if self._padded is None:
            self._padded = self.z + "\0"  # a sentinel instead of bounds checks
        return _parse_markup(self._padded, i)


def _parse_markup(z: str, i: int) -> Markup:
    """parseMarkup over ``z``, which ends with a NUL no set below contains."""
    alnum, alpha, space = _ALNUM, _ALPHA, _SPACE
    is_end = z[i + 1] == "/"
    k = i + 2 if is_end else i + 1
    start = k
    while z[k] in alnum:
        k += 1
    name = z[start:k][:99].lower()
    if name not in MARKUP_TYPES:
        name = ""
    attrs: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    c = ""
    if z[k] == "-":
        k += 1
        vstart = k
        while z[k] in alnum:
            k += 1
        attrs.append(("id", z[vstart:k]))
        seen.add("id")
        c = z[k]
        k += 1
        if c == ">":
            return Markup(is_end, name, attrs, frozenset(seen))
    while z[k] in space:
        k += 1
    while c != ">" and len(attrs) < 8 and z[k] in alpha:
        astart = k
        while z[k] in alnum:
            k += 1
        aname = z[astart:k][:99].lower()
        ok = aname in ATTRIBUTES and aname not in seen
        while z[k] in space:
            k += 1
        value: str | None = None
        if z[k] != "=":
            c = ""
        else:
            k += 1
            while z[k] in space:
                k += 1
            q = z[k]
            if q == '"' or q == "'":
                k += 1
                vstart = k
                stop = z.find(q, k)
                k = stop if stop >= 0 else len(z) - 1
            else:
                vstart = k
                while z[k] != "\0" and z[k] not in space and z[k] != ">":
                    if z[k] == '"' or z[k] == "'":
                        ok = False
                    k += 1
            if ok:
                value = z[vstart:k]
                c = z[k] if z[k] != "\0" else ""
            k += 1
        if ok:
            seen.add(aname)
            attrs.append((aname, value))
        if k >= len(z):
            break
        while z[k] in space:
            k += 1
        if z[k] == "\0" or z[k] == ">" or (z[k] == "/" and z[k + 1] == ">"):
            break
    return Markup(is_end, name, attrs, frozenset(seen))


def render_markup(m: Markup, top: str = "") -> str:
    """Markup for a parsed tag (Fossil's ``renderMarkup``) with this module's rules.

    ``m.name`` must be in :data:`ALLOWED_TAGS`.  A ``src`` starting with
    "/" is made absolute under ``top`` (as Fossil's ``%R``); ``href`` is
    left as written.
    """
    if m.end:
        return f"</{m.name}>"
    keep = ALLOWED_TAGS[m.name]
    out = ["<", m.name]
    for key, value in m.attrs:
        if key not in keep:
            continue
        if value is None:
            out.append(" " + key)
            continue
        if key in ("href", "src"):
            url = safe_url(value, top, root=key == "src")
            if url is None:
                continue
            value = url
        out.append(f' {key}="{attr_value(value)}"')
    if MARKUP_TYPES[m.name] & SINGLE:
        out.append(" /")
    out.append(">")
    return "".join(out)


#: What :func:`safe_html` does with a tag.
_KEEP, _OPEN, _CLOSE, _DROP = 0, 1, 2, 3


def _judge(tag: str, top: str, links: bool) -> tuple[int, str, str]:
    """(what to do, element, HTML) for one tag of Markdown's output.

    The tag is parsed on its own: an attribute value never runs past it."""
    m = _parse_markup(tag + "\0", 0)
    if m.name not in ALLOWED_TAGS:
        return _DROP, "", f"<span class='error'>&lt;{esc(tag[1:-1])}&gt;</span>"
    if m.name == "a" and not links:
        return _DROP, "", ""
    if not MARKUP_TYPES[m.name] & NESTED or m.name == "p":
        return _KEEP, m.name, render_markup(m, top)
    if m.end:
        return _CLOSE, m.name, f"</{m.name}>"
    return _OPEN, m.name, render_markup(m, top)


def safe_html(body: str, top: str = "", links: bool = True) -> str:
    """Markdown's HTML made safe to embed (Fossil's ``safe_html_append``).

    Text passes as it is; a "<" that starts no tag becomes "&lt;"; a tag
    this module refuses becomes ``<span class='error'>&lt;...&gt;</span>``;
    a surplus end tag of a nesting element likewise; elements left open are
    closed at the end.  Without ``links`` every ``<a>`` is left out.
    What lies between two copies of the nonce comment (a Pikchr diagram,
    :func:`pikchr_block`) passes as it is.
    """
    tags = Tags(body)
    seen: dict[str, tuple[int, str, str]] = {}
    out: list[str] = []
    stack: list[str] = []
    n = len(body)
    i = 0
    find = body.find
    while i < n:
        j = find("<", i)
        if j < 0:
            out.append(body[i:])
            break
        if j > i:
            out.append(body[i:j])
        if body.startswith(NONCE, j) and j + 2 * len(NONCE) < n:
            end = find(NONCE, j + len(NONCE))
            if end >= 0:
                i = end + len(NONCE)
                out.append(body[j:i])
                continue
        k = tags.length(j)
        if k == 0:
            out.append("&lt;")
            i = j + 1
            continue
        i = j + k
        tag = body[j:i]
        judged = seen.get(tag)
        if judged is None:
            judged = seen[tag] = _judge(tag, top, links)
        what, name, html = judged
        if what == _OPEN:
            stack.append(name)
        elif what == _CLOSE:
            if name not in stack:
                html = f"<span class='error'>&lt;/{name}&gt;</span>"
            else:
                closing = []
                while True:
                    e = stack.pop()
                    closing.append(f"</{e}>")
                    if e == name:
                        break
                html = "".join(closing)
        out.append(html)
    while stack:
        out.append(f"</{stack.pop()}>")
    return "".join(out)


# -- bounds --------------------------------------------------------------------------

#: Output characters allowed per input character (see the module docstring).
EXPANSION = 64
#: Output characters allowed on top of that, for any input.
SLACK = 256


def output_limit(text: str, top: str = "") -> int:
    """The most characters the HTML of ``text`` may have (module docstring)."""
    n = len(text)
    return EXPANSION * n + (n // 3) * len(quote(top)) + SLACK


class TooLarge(Exception):
    """The rendering went past :func:`output_limit`; show the text escaped instead."""


class Sink(list[str]):
    """Output of one rendering: charged to the request's budget and held to a size limit.

    Appends are charged in steps of :data:`CHARGE_STEP` characters (and the
    rest by :meth:`html`); the size limit is checked on every append.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.left = limit
        self.uncharged = 0

    def append(self, piece: str) -> None:
        n = len(piece)
        self.left -= n
        if self.left < 0:
            raise TooLarge
        self.uncharged += n
        if self.uncharged > CHARGE_STEP:
            budget.charge(self.uncharged)
            self.uncharged = 0
        list.append(self, piece)

    def html(self) -> str:
        if self.uncharged:
            budget.charge(self.uncharged)
            self.uncharged = 0
        return "".join(self)


#: Output characters a rendering makes before it charges them to the budget.
CHARGE_STEP = 1 << 16


def pikchr_block(src: str, args: str) -> str:
    """A Pikchr diagram as Fossil shows it: Fossil's wrapper
    (``div.pikchr-wrapper`` with the classes ``args`` ask for) around the
    SVG and the escaped source, or the error report, between two copies of
    the process's nonce comment (:data:`fossilpy.markup.pikchr.NONCE`),
    which :func:`safe_html` passes through untouched, as Fossil does."""
    return fossil_block(src, args)


def render_plain(text: str) -> str:
    """``text`` as escaped preformatted text (``text/plain``, and the over-size fallback)."""
    out = f"<pre class=\"textplain\">{esc(clean_text(text))}</pre>\n"
    budget.charge(len(out))
    return out
