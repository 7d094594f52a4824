"""Wiki text to safe HTML: Fossil wiki, Markdown and plain text.

Safety rule: nothing from the repository reaches the page unescaped.
Text is HTML-escaped; the only markup emitted is what this module builds
itself, or an HTML tag from :data:`ALLOWED_TAGS` re-written from scratch
with its allowed attributes only (values escaped, URLs limited to
:data:`SAFE_SCHEMES` or relative).  ``<script>``, ``<style>``, event
handlers, ``javascript:`` URLs and unbalanced closing tags never get
through.  Markdown's raw HTML is escaped, not interpreted.

Fossil wiki (``www/wiki_rules.wiki``), the subset implemented:

* a blank line separates paragraphs;
* ``  *  item`` (two spaces or a tab, ``*``, two spaces or a tab) is a
  bullet, ``  #  item`` a numbered item, other lines starting with two
  spaces or a tab are an indented paragraph;
* ``[TARGET]`` / ``[TARGET|LABEL]`` is a link: a URL, ``/path`` in this
  repository, ``#anchor``, an artifact hash prefix (-> /info) or a wiki
  page name (-> /wiki?name=);
* ``<verbatim>...</verbatim>`` and ``<pre>`` keep text as it is,
  ``<nowiki>`` turns off the wiki rules (HTML still filtered).

Markdown: see :mod:`fossilpy.markup.mdrender`.

Bounded work: every block loop consumes at least one line per turn (a turn
that would not falls back to paragraph text), asks :func:`fossilpy.budget.check`
once per turn and charges its output with :func:`fossilpy.budget.charge`,
so a rendering inside a web request stops with ``BudgetExceeded`` (503)
when the request runs out of time or memory.  Output size is bounded too:
for an input of N characters the HTML is at most ``EXPANSION * N +
(N // 3) * len(escape(top)) + SLACK`` characters (:func:`output_limit`;
every link takes 3 input characters or more and carries ``top`` once).
Legitimate output stays far below (deepest: block quotes nested
``mdrender.MAX_DEPTH`` deep, about 26 characters per ``>``); should a renderer
ever exceed it, the text is shown escaped instead (:func:`render_plain`,
at most 5 N + 30), never a truncated page.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from fossilpy import budget

#: tag -> attributes kept
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    t: frozenset(a.split()) if a else frozenset()
    for t, a in {
        "a": "href name id class title",
        "abbr": "title", "address": "", "b": "", "big": "", "blockquote": "",
        "br": "", "caption": "", "center": "", "cite": "", "code": "",
        "dd": "", "del": "", "dfn": "", "div": "class id title", "dl": "", "dt": "",
        "em": "", "font": "color size", "h1": "id", "h2": "id", "h3": "id",
        "h4": "id", "h5": "id", "h6": "id", "hr": "", "i": "",
        "img": "src alt width height title", "ins": "", "kbd": "", "li": "value",
        "nobr": "", "ol": "start type", "p": "class id", "pre": "class", "q": "",
        "s": "", "samp": "", "small": "", "span": "class id title", "strike": "",
        "strong": "", "sub": "", "sup": "", "table": "class border cellpadding cellspacing",
        "tbody": "", "td": "colspan rowspan align valign", "tfoot": "",
        "th": "colspan rowspan align valign", "thead": "", "tr": "", "tt": "",
        "u": "", "ul": "type", "var": "",
    }.items()
}
VOID_TAGS = frozenset({"br", "hr", "img"})
BLOCK_TAGS = frozenset(
    "address blockquote center div dl h1 h2 h3 h4 h5 h6 hr ol p pre table ul".split()
)
INLINE_TAGS = frozenset(t for t in ALLOWED_TAGS if t not in BLOCK_TAGS and t not in {"li", "dd", "dt", "tr", "td", "th", "thead", "tbody", "tfoot", "caption"})
SAFE_SCHEMES = ("http:", "https:", "ftp:", "mailto:")

#: One HTML tag.  A match never crosses another "<" or ">" (not even inside a
#: quoted value), so scanning a text is linear: each attempt stops at the next
#: "<".  (Regular expressions in this module are written so that no input makes
#: them super-linear; tests/web/test_wikirender.py has a time budget for this.)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9])((?:[^<>\"']|\"[^\"<>]*\"|'[^'<>]*')*)>")
_ATTR = re.compile(r"([A-Za-z][-A-Za-z0-9_:]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_HEXNAME = re.compile(r"^[0-9a-fA-F]{4,64}$")


#: C0 control characters other than tab, newline and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(text: str) -> str:
    """``text`` with NUL and the other C0 controls (except tab, CR, LF) replaced by U+FFFD.

    Every renderer starts with this: a NUL would collide with the
    placeholders the Markdown renderer uses internally, and browsers
    handle the other controls inconsistently.
    """
    return _CONTROLS.sub("\ufffd", text)


#: Output characters allowed per input character (see the module docstring).
EXPANSION = 32
#: Output characters allowed on top of that, for any input.
SLACK = 256


def output_limit(text: str, top: str = "") -> int:
    """The most characters the HTML of ``text`` may have (module docstring)."""
    n = len(text)
    return EXPANSION * n + (n // 3) * len(escape(top, quote=True)) + SLACK


def render_plain(text: str) -> str:
    """``text`` as escaped preformatted text (``text/plain``, and the over-size fallback)."""
    html = f"<pre class=\"textplain\">{escape(clean_text(text), quote=False)}</pre>\n"
    budget.charge(len(html))
    return html


class _TooLarge(Exception):
    """The rendering went past :func:`output_limit`; show the text escaped instead."""


class _Sink:
    """Output of one rendering: charged to the request's budget and held to a size limit."""

    __slots__ = ("parts", "left")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.left = limit

    def add(self, piece: str) -> None:
        budget.charge(len(piece))
        self.left -= len(piece)
        if self.left < 0:
            raise _TooLarge
        self.parts.append(piece)

    def html(self) -> str:
        return "".join(self.parts)


def safe_url(url: str, top: str) -> str | None:
    """``url`` if it is safe to link to (made absolute under ``top`` for "/x"), else None."""
    url = url.strip()
    low = re.sub(r"[\x00-\x20]", "", url).lower()
    if not url or "\\" in url:
        return None  # browsers read "\\" as "/": "/\\host" and "\\\\host" leave the site
    if low.startswith(SAFE_SCHEMES):
        return url
    if ":" in low.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return None  # javascript:, data:, vbscript:, anything with a scheme
    if url.startswith("/") and not url.startswith("//"):
        return top + url
    if url.startswith("//"):
        return None
    return url


def _text(s: str) -> str:
    """Escape text but keep well-formed character entities."""
    out = []
    pos = 0
    for m in _ENTITY.finditer(s):
        out.append(escape(s[pos : m.start()], quote=False))
        out.append(m.group(0))
        pos = m.end()
    out.append(escape(s[pos:], quote=False))
    return "".join(out)


class _Tags:
    """Sanitises HTML tags and keeps them balanced."""

    def __init__(self, top: str, links: bool, allowed: frozenset[str] | None = None) -> None:
        self.top = top
        self.links = links
        self.allowed = allowed
        self.stack: list[str] = []

    def tag(self, closing: str, name: str, attrs: str) -> str | None:
        """Sanitised markup for one tag, or None to escape it as text."""
        name = name.lower()
        if name not in ALLOWED_TAGS or (self.allowed is not None and name not in self.allowed):
            return None
        if name == "a" and not self.links:
            return ""
        if closing:
            if name in VOID_TAGS or name not in self.stack:
                return ""
            out = []
            while self.stack:
                top = self.stack.pop()
                out.append(f"</{top}>")
                if top == name:
                    break
            return "".join(out)
        kept = []
        for m in _ATTR.finditer(attrs):
            key = m.group(1).lower()
            if key not in ALLOWED_TAGS[name]:
                continue
            value = m.group(2) or ""
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            value = _unentity(value)
            if key in ("href", "src"):
                url = safe_url(value, self.top)
                if url is None:
                    continue
                value = url
            kept.append(f' {key}="{escape(value, quote=True)}"')
        if name not in VOID_TAGS:
            self.stack.append(name)
        return f"<{name}{''.join(kept)}>"

    def close_all(self) -> str:
        out = "".join(f"</{t}>" for t in reversed(self.stack))
        self.stack.clear()
        return out


def _unentity(value: str) -> str:
    import html

    return html.unescape(value)


# -- Fossil wiki ---------------------------------------------------------


def _wiki_link(target: str, label: str, top: str, links: bool) -> str:
    target = target.strip()
    shown = _text(label.strip() or target)
    if not links:
        return shown
    if _HEXNAME.match(target):
        url: str | None = f"{top}/info/{target.lower()}"
    elif target.startswith("#"):
        url = "#" + quote(target[1:], safe="-_.", errors="surrogateescape")
    elif target.startswith("/") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
        url = safe_url(target, top)
    else:
        url = f"{top}/wiki?name={quote(target, safe='', errors='surrogateescape')}"
    if url is None:
        return shown
    return f'<a href="{escape(url, quote=True)}">{shown}</a>'


_LINK = re.compile(r"\[([^\[\]\n|]+)(?:\|([^\[\]\n]*))?\]")


def _inline_wiki(text: str, tags: _Tags, top: str, links: bool) -> str:
    """Text with tags and [links] of one stretch of Fossil wiki."""
    out: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        out.append(_links_in(text[pos : m.start()], top, links))
        made = tags.tag(m.group(1), m.group(2), m.group(3))
        out.append(_text(m.group(0)) if made is None else made)
        pos = m.end()
    out.append(_links_in(text[pos:], top, links))
    return "".join(out)


def _links_in(text: str, top: str, links: bool) -> str:
    out = []
    pos = 0
    for m in _LINK.finditer(text):
        out.append(_text(text[pos : m.start()]))
        out.append(_wiki_link(m.group(1), m.group(2) or "", top, links))
        pos = m.end()
    out.append(_text(text[pos:]))
    return "".join(out)


_VERBATIM = re.compile(r"<(verbatim|pre|nowiki)\b[^<>]*>(.*?)(?:</\1\s*>|\Z)", re.S | re.I)
_BULLET = re.compile(r"^(?:  |\t)\s*([*#])(?:  |\t)\s*(.*)$")


def render_fossil_wiki(text: str, top: str = "", links: bool = True) -> str:
    """Fossil wiki markup to safe HTML."""
    text = clean_text(text)
    tags = _Tags(top, links)
    out = _Sink(output_limit(text, top))
    pos = 0
    try:
        for m in _VERBATIM.finditer(text):
            budget.check()
            _wiki_blocks(text[pos : m.start()], tags, top, links, out)
            kind = m.group(1).lower()
            if kind in ("verbatim", "pre"):
                out.add(tags.close_all())
                out.add(f"<pre>{escape(m.group(2).strip(chr(10)), quote=False)}</pre>\n")
            else:
                out.add(_inline_wiki(m.group(2), tags, top, links))
            pos = m.end()
        _wiki_blocks(text[pos:], tags, top, links, out)
        out.add(tags.close_all())
    except _TooLarge:
        return render_plain(text)
    return out.html()


def _wiki_blocks(text: str, tags: _Tags, top: str, links: bool, out: _Sink) -> None:
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        budget.check()
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(_BULLET.match(ln) for ln in lines if ln.strip()):
            items = [_BULLET.match(ln) for ln in lines if ln.strip()]
            kind = "ol" if items[0].group(1) == "#" else "ul"  # type: ignore[union-attr]
            lis = "".join(f"<li>{_inline_wiki(it.group(2), tags, top, links)}</li>" for it in items)  # type: ignore[union-attr]
            out.add(f"<{kind}>{lis}</{kind}>\n")
            continue
        body = _inline_wiki(block.strip("\n"), tags, top, links)
        m = _TAG.match(block.lstrip())
        if m and m.group(2).lower() in BLOCK_TAGS:
            out.add(body + "\n")
        elif block.startswith(("  ", "\t")):
            out.add(f"<blockquote>{body}</blockquote>\n")
        else:
            out.add(f"<p>{body}</p>\n")


#: What makes inline text more than escaped text: tags, entities, links, controls.
_INLINE_MARKUP = re.compile(r"[<&\[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render_inline(text: str, top: str = "", links: bool = True) -> str:
    """A check-in comment or title: wiki links and inline tags only, no paragraphs."""
    if not _INLINE_MARKUP.search(text):  # most comments: plain text
        html = escape(text, quote=False)
    else:
        text = clean_text(text)
        tags = _Tags(top, links, allowed=INLINE_TAGS)
        html = _inline_wiki(text, tags, top, links) + tags.close_all()
        if len(html) > output_limit(text, top):
            html = escape(text, quote=False)
    budget.charge(len(html))
    return html


def render_markdown(text: str, top: str = "", links: bool = True) -> str:
    """Markdown to safe HTML (:mod:`fossilpy.markup.mdrender`; raw HTML is shown as text)."""
    from fossilpy.markup import mdrender

    return mdrender.render_markdown(text, top, links)


# -- entry point ---------------------------------------------------------


def render(text: str, mimetype: str = "text/x-fossil-wiki", top: str = "", links: bool = True) -> str:
    """``text`` of the given wiki MIME type as safe HTML."""
    mimetype = (mimetype or "text/x-fossil-wiki").split(";")[0].strip().lower()
    if mimetype in ("text/x-markdown", "text/markdown"):
        return render_markdown(text, top, links)
    if mimetype == "text/plain":
        return render_plain(text)
    return render_fossil_wiki(text, top, links)
