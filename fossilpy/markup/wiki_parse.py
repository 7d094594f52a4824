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

import bisect
import re

MT_NONE = 0
MT_WIKI = 1
MT_MARKDOWN = 2
MT_UNKNOWN = 3

_HEX = frozenset("0123456789abcdefABCDEF")
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALNUM = _ALPHA | frozenset("0123456789")
_SPACE = frozenset(" \t\n\v\f\r")

#: HTML elements Fossil wiki accepts; any other tag is shown as text.
_WIKI_TAGS = frozenset(
    "a abbr address article aside b big blockquote br center cite code col"
    " colgroup dd del dfn div dl dt em font footer h1 h2 h3 h4 h5 h6 header hr i"
    " img ins kbd li nav nobr nowiki ol p pre s samp section small span strike"
    " strong sub sup table tbody td tfoot th thead title tr tt u ul var"
    " verbatim".split()
)
#: Attributes Fossil wiki keeps; others are dropped while parsing a tag.
_WIKI_ATTRS = frozenset(
    "align alt bgcolor border cellpadding cellspacing class clear color colspan"
    " compact face height href hspace id links name rowspan size src start style"
    " target title type valign value vspace width".split()
)


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


# -- Fossil wiki -------------------------------------------------------------


class _WikiText:
    """A wiki text with position tables, so that scanning stays linear."""

    def __init__(self, z: str) -> None:
        self.z = z
        self.lt = [m.start() for m in re.finditer("<", z)]
        self.lb = [m.start() for m in re.finditer(r"\[", z)]
        self.last_rb = z.rfind("]")
        self._close: list[int] | None = None

    def next_of(self, positions: list[int], i: int) -> int:
        """The first position in ``positions`` that is >= i, or len(z)."""
        k = bisect.bisect_left(positions, i)
        return positions[k] if k < len(positions) else len(self.z)

    def close_from(self, n: int) -> int:
        """Index of the first ">" at or after n that is outside quotes, or -1.

        Quotes (" or ') open only outside quotes and close at the same
        character; computed for every position at once, right to left.
        """
        if self._close is None:
            z = self.z
            size = len(z)
            close = [-1] * (size + 1)
            after = {'"': -1, "'": -1}
            for p in range(size - 1, -1, -1):
                c = z[p]
                if c == ">":
                    close[p] = p
                elif c in after:
                    r = after[c]
                    close[p] = close[r + 1] if r >= 0 else -1
                    after[c] = p
                else:
                    close[p] = close[p + 1]
            self._close = close
        return self._close[n]


def _tag_length(t: _WikiText, i: int) -> int:
    """Length of the HTML-like tag at z[i] ('<'), or 0 if it is not one."""
    z = t.z
    n = i + 1
    end = len(z)
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
    k = t.close_from(n)
    return 0 if k < 0 else k + 1 - i


def _parse_tag(z: str, i: int) -> tuple[bool, str, list[tuple[str, str | None]]]:
    """(is end tag, lower-case known name or "", kept attributes) of the tag at z[i].

    Attributes are (name, value) with value None when there is no "=";
    like Fossil, an unknown or repeated attribute is not kept, at most 8 are
    read, and ``<name-ID`` stands for an ``id`` attribute.
    """
    end = len(z)

    def at(k: int) -> str:
        return z[k] if k < end else ""

    is_end = at(i + 1) == "/"
    k = i + 2 if is_end else i + 1
    start = k
    while at(k) in _ALNUM and at(k):
        k += 1
    name = z[start:k][:99].lower()
    name = name if name in _WIKI_TAGS else ""
    attrs: list[tuple[str, str | None]] = []
    c = ""
    if at(k) == "-":
        k += 1
        vstart = k
        while at(k) and at(k) in _ALNUM:
            k += 1
        attrs.append(("id", z[vstart:k]))
        c = at(k)
        k += 1
        if c == ">":
            return is_end, name, attrs
    seen: set[str] = set()
    while at(k) and at(k) in _SPACE:
        k += 1
    while c != ">" and len(attrs) < 8 and at(k) and at(k) in _ALPHA:
        astart = k
        while at(k) and at(k) in _ALNUM:
            k += 1
        aname = z[astart:k][:99].lower()
        ok = aname in _WIKI_ATTRS and aname not in seen
        while at(k) and at(k) in _SPACE:
            k += 1
        value: str | None = None
        if at(k) != "=":
            c = ""
        else:
            k += 1
            while at(k) and at(k) in _SPACE:
                k += 1
            q = at(k)
            if q in ("\"", "'") and q:
                k += 1
                vstart = k
                while at(k) and at(k) != q:
                    k += 1
            else:
                vstart = k
                while at(k) and at(k) not in _SPACE and at(k) != ">":
                    if at(k) in "\"'":
                        ok = False
                    k += 1
            if ok:
                value = z[vstart:k]
                c = at(k)
            k += 1
        if ok:
            seen.add(aname)
            attrs.append((aname, value))
        while at(k) and at(k) in _SPACE:
            k += 1
        if not at(k) or at(k) == ">" or (at(k) == "/" and at(k + 1) == ">"):
            break
    return is_end, name, attrs


def _link_end(t: _WikiText, i: int) -> int:
    """Index just past the "]" closing the "[" at z[i], or 0 if there is none."""
    if i > t.last_rb:
        return 0
    return t.z.find("]", i) + 1


def _link_target(z: str, i: int, j: int) -> str:
    """The TARGET of the link token z[i:j] ("[TARGET|...]" or "[TARGET]")."""
    inner = z[i + 1 : j - 1]
    bar = inner.find("|")
    target = inner if bar < 0 else inner[:bar]
    n = len(target)
    while n > 1 and target[n - 1] == " ":
        n -= 1
    return target[:n]


def wiki_link_targets(text: str, html_only: bool = False) -> list[str]:
    """Raw targets of the hyperlinks in Fossil-wiki ``text``, in order.

    A model of what Fossil 2.21's wiki link scan sees: markup is tokenised
    as the renderer does; ``<nowiki>`` and ``<verbatim>`` switch link
    recognition off.  A ``<verbatim>`` carrying an id attribute is never
    closed (2.21 compares the closing id with the remainder of the text,
    which cannot match), and ``</div id=...>`` never matches for the same
    reason, so it changes nothing.  A tag Fossil does not know is read as
    plain text, character by character.
    """
    z = text.split("\x00", 1)[0]
    t = _WikiText(z)
    out: list[str] = []
    end = len(z)
    if html_only:
        last = 0
        for i in t.lb:
            if i < last:
                continue
            j = _link_end(t, i)
            if not j:
                break
            out.append(_link_target(z, i, j))
            last = j
        return out
    allow = True
    in_verbatim = False
    verbatim_closable = True
    allow_before = True
    i = 0
    while i < end:
        c = z[i]
        if c == "<":
            n = _tag_length(t, i)
            if n == 0:
                i += 1
                continue
            is_end, name, attrs = _parse_tag(z, i)
            if in_verbatim:
                if name == "verbatim" and is_end and verbatim_closable:
                    in_verbatim = False
                    allow = allow_before
                else:
                    n = 1
            elif not name:
                n = 1
            elif name == "nowiki":
                allow = is_end
            elif not is_end and name == "verbatim":
                in_verbatim = True
                allow_before = allow
                allow = False
                verbatim_closable = True
                if any(a == "id" for a, _ in attrs):
                    verbatim_closable = attrs[0][1] is None
            i += n
        elif c == "[" and allow:
            j = _link_end(t, i)
            if not j:
                i += 1
                continue
            out.append(_link_target(z, i, j))
            i = j
        else:
            nxt = t.next_of(t.lt, i + 1)
            if allow:
                nxt = min(nxt, t.next_of(t.lb, i + 1))
            i = nxt
    return out
