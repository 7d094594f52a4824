"""Link targets in wiki text: the parsing half of backlinks (Fossil 2.21
``src/backlink.c`` and the link scan of ``src/wikiformat.c``).

A link target counts when, after dropping an ``/info/`` prefix (only if the
target is at least 10 characters), it is 4 to 64 hex digits
(:func:`canonical_target`).  Which text is a link target depends on the
markup (:func:`parse_mimetype`):

* Fossil wiki (mimetype containing "wiki", or none): ``[TARGET]`` and
  ``[TARGET|label]`` (trailing spaces of TARGET dropped), except inside
  ``<nowiki>`` or ``<verbatim>`` and inside HTML tags.  With the
  ``wiki-use-html`` setting every ``[...]`` counts (:func:`wiki_link_targets`).
* Markdown (mimetype containing "markdown"): the destination of inline
  links ``[text](TARGET)`` and reference links ``[text][id]`` / ``[id]``,
  as Fossil's markdown parser finds them (see ``fossilpy.markup.md_blocks``).
* Anything else (text/plain, ...): no links.

The backlink table itself is ``fossilpy.repo.backlink``.
"""

from __future__ import annotations

import re

from fossilpy.markup.chars import HEX as _HEX
from fossilpy.markup.chars import SPACE as _SPACE

MT_NONE = 0
MT_WIKI = 1
MT_MARKDOWN = 2
MT_UNKNOWN = 3


def parse_mimetype(mimetype: str | None) -> int:
    """MT_* code of a mimetype: none, "*wiki*", "*markdown*", or unknown."""
    if mimetype is None:
        return MT_NONE
    if "wiki" in mimetype:
        return MT_WIKI
    if "markdown" in mimetype:
        return MT_MARKDOWN
    return MT_UNKNOWN


def canonical_target(target: str) -> str | None:
    """The backlink.target for link text ``target``, or None if it is no hash link."""
    if len(target) < 4:
        return None
    if len(target) >= 10 and target.startswith("/info/"):
        target = target[6:]
    if len(target) > 64 or not all(c in _HEX for c in target):
        return None
    return target.lower()


# -- Fossil wiki: tokens --------------------------------------------------------

#: Renderer state (Fossil's; the low 16 bits are the WIKI_* flags).
AT_NEWLINE = 0x0010000
AT_PARAGRAPH = 0x0020000
ALLOW_WIKI = 0x0040000
ALLOW_LINKS = 0x0080000
FONT_MARKUP_ONLY = 0x0100000
INLINE_MARKUP_ONLY = 0x0200000

#: Token types (Fossil's TOKEN_*).
MARKUP, CHARACTER, LINK, PARAGRAPH, NEWLINE, BUL_LI, NUM_LI, ENUM, INDENT, RAW, TEXT = range(1, 12)

#: Where a text token ends, by what the state allows (Fossil's ``textLength``).
_TEXT_END = {ALLOW_WIKI: re.compile(r"[<&\[\n]"), ALLOW_LINKS: re.compile(r"[<&\[]"), 0: re.compile(r"[<&]")}
_ELEMENT = re.compile(r"&(?:#[0-9]+|[A-Za-z]+);")
_BLANKS = re.compile(r"\n[ \t\n\v\f\r]*")


def _indent(z: str, i: int) -> tuple[int, int]:
    """(end, width) of the spaces and tabs at z[i]; a tab counts twice."""
    w = 0
    while i < len(z) and z[i] in " \t":
        w += 2 if z[i] == "\t" else 1
        i += 1
    return i, w


def _item_length(z: str, i: int, marker: str) -> int:
    """Length of a wiki list marker ``  *  `` (``marker`` "*" or "#"), or 0."""
    n, w = _indent(z, i)
    if w < 2 or n >= len(z) or z[n] != marker:
        return 0
    n, w = _indent(z, n + 1)
    if w < 2 or n >= len(z) or z[n] in _SPACE:
        return 0
    return n - i


def _enum_length(z: str, i: int) -> int:
    """Length of an enumeration marker ``  12.  ``, or 0."""
    n, w = _indent(z, i)
    if w < 2:
        return 0
    d = n
    while n < len(z) and "0" <= z[n] <= "9":
        n += 1
    if n == d:
        return 0
    if n < len(z) and z[n] == ".":
        n += 1
    n, w = _indent(z, n)
    if w < 2 or n >= len(z) or z[n] in _SPACE:
        return 0
    return n - i


def _indent_length(z: str, i: int) -> int:
    """Length of the indent of an indented paragraph, or 0."""
    n, w = _indent(z, i)
    if w < 2 or n >= len(z) or z[n] in _SPACE:
        return 0
    return n - i


class WikiText:
    """One Fossil-wiki text and how it splits into tokens (``src/wikiformat.c``).

    The renderer (:mod:`fossilpy.markup.wiki_html`) and the link scan
    (:func:`wiki_link_targets`) both read a text through this class.
    """

    def __init__(self, z: str) -> None:
        from fossilpy.markup.sanitize import Tags

        self.z = z
        self.tags = Tags(z)
        self.last_rb = z.rfind("]")

    def link_length(self, i: int) -> int:
        """Length of ``[...]`` at z[i], or 0 if no "]" follows."""
        if i > self.last_rb:
            return 0
        return self.z.find("]", i) - i + 1

    def token(self, i: int, state: int, in_verbatim: bool = False, end: int | None = None) -> tuple[int, int]:
        """(length, type) of the token at z[i] (Fossil's ``nextWikiToken``);
        the text ends at ``end`` (where Fossil has put a NUL)."""
        z = self.z
        c = z[i]
        if c == "<":
            n = self.tags.length(i)
            return (n, MARKUP) if n and (end is None or i + n <= end) else (1, CHARACTER)
        if c == "&" and (in_verbatim or not _ELEMENT.match(z, i, len(z) if end is None else end)):
            return 1, CHARACTER
        if state & ALLOW_WIKI:
            if c == "\n":
                m = _BLANKS.match(z, i)
                run = m.group() if m else c
                if run.count("\n") >= 2:
                    return run.rfind("\n") + 1, PARAGRAPH
                return 1, NEWLINE
            if state & AT_NEWLINE and c in _SPACE:
                n = _item_length(z, i, "*")
                if n:
                    return n, BUL_LI
                n = _item_length(z, i, "#")
                if n:
                    return n, NUM_LI
                n = _enum_length(z, i)
                if n:
                    return n, ENUM
            if state & AT_PARAGRAPH and c in _SPACE:
                n = _indent_length(z, i)
                if n:
                    return n, INDENT
            if c == "[":
                n = self.link_length(i)
                if n:
                    return n, LINK
        elif state & ALLOW_LINKS and c == "[":
            n = self.link_length(i)
            if n:
                return n, LINK
        return self._text(i, state, end), TEXT

    def raw_token(self, i: int, state: int, end: int | None = None) -> tuple[int, int]:
        """(length, type) of a token when only links count (``nextRawToken``)."""
        if self.z[i] == "[":
            n = self.link_length(i)
            if n and (end is None or i + n <= end):
                return n, LINK
        return self._text(i, state, end), RAW

    def _text(self, i: int, state: int, end: int | None = None) -> int:
        key = ALLOW_WIKI if state & ALLOW_WIKI else ALLOW_LINKS if state & ALLOW_LINKS else 0
        stop = len(self.z) if end is None else end
        m = _TEXT_END[key].search(self.z, i + 1, stop)
        return (m.start() if m else stop) - i


def link_target(z: str, i: int, n: int) -> str:
    """The TARGET of the link token z[i:i+n] ("[TARGET|...]" or "[TARGET]"),
    trailing spaces dropped (as Fossil's link scan takes it)."""
    inner = z[i + 1 : i + n - 1]
    bar = inner.find("|")
    target = inner if bar < 0 else inner[:bar]
    k = len(target)
    while k > 1 and target[k - 1] == " ":
        k -= 1
    return target[:k]


def wiki_link_targets(text: str, html_only: bool = False) -> list[str]:
    """Raw targets of the hyperlinks in Fossil-wiki ``text``, in order
    (Fossil's ``wiki_extract_links``).

    Tokens as the renderer reads them; ``<nowiki>`` and ``<verbatim>`` turn
    link recognition off.  A ``<verbatim>`` carrying an id attribute is
    never closed (2.21 compares the closing id with the remainder of the
    text, which cannot match), and ``</div id=...>`` never matches for the
    same reason, so it changes nothing.  A tag Fossil does not know is
    read as text.  With ``html_only`` (the ``wiki-use-html`` setting)
    every ``[...]`` is a link.
    """
    z = text.split("\x00", 1)[0]
    w = WikiText(z)
    out: list[str] = []
    state = ALLOW_WIKI | AT_NEWLINE | AT_PARAGRAPH
    in_verbatim = False
    closable = True
    before = state
    i = 0
    end = len(z)
    while i < end:
        n, kind = w.raw_token(i, state) if html_only else w.token(i, state, in_verbatim)
        if kind == LINK:
            out.append(link_target(z, i, n))
        elif kind == MARKUP:
            m = w.tags.parse(i)
            if in_verbatim:
                if m.name == "verbatim" and m.end and closable:
                    in_verbatim = False
                    state = before
                else:
                    n = 1
            elif not m.name:
                n = 1
            elif m.name == "nowiki":
                state = state | ALLOW_WIKI if m.end else state & ~ALLOW_WIKI
            elif not m.end and m.name == "verbatim":
                in_verbatim = True
                before = state
                state &= ~ALLOW_WIKI
                # Fossil keeps the first attribute's value as the id; with
                # an id that value runs to the end of the text (see above).
                closable = "id" not in m.seen or m.attrs[0][1] is None
        i += n
    return out
