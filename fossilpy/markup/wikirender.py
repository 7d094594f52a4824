"""Wiki text to safe HTML: Fossil wiki, Markdown and plain text.

The entry points of the markup layer for pages: :func:`render` (by wiki
MIME type), :func:`render_inline` (check-in comments and titles),
:func:`render_plain`.

Safety rule: nothing from the repository reaches the page unescaped.
Text is HTML-escaped; the only markup emitted is what the renderers build
themselves, or an HTML tag from :data:`ALLOWED_TAGS` re-written from
scratch with its allowed attributes only (URLs limited to safe schemes or
relative).  ``<script>``, ``<style>``, event handlers, ``javascript:`` URLs
and unbalanced closing tags never get through
(:mod:`fossilpy.markup.sanitize`, which also documents the output bound).

Markdown: :mod:`fossilpy.markup.md_html` (Fossil's parser and HTML
renderer, raw HTML through the sanitizer).

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

Bounded work: every block loop asks :func:`fossilpy.budget.check` once per
turn and output is charged with :func:`fossilpy.budget.charge`, so a
rendering inside a web request stops with ``BudgetExceeded`` (503) when the
request runs out of time or memory; past :func:`output_limit` the text is
shown escaped instead (:func:`render_plain`).
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fossilpy import budget

if TYPE_CHECKING:
    from types import ModuleType

    from fossilpy.markup.links import Facts


def _san() -> ModuleType:
    """The sanitizer, imported on first use: a plain comment never needs it."""
    from fossilpy.markup import sanitize

    return sanitize


def clean_text(text: str) -> str:
    """See :func:`fossilpy.markup.sanitize.clean_text`."""
    return _san().clean_text(text)  # type: ignore[no-any-return]


def output_limit(text: str, top: str = "") -> int:
    """See :func:`fossilpy.markup.sanitize.output_limit`."""
    return _san().output_limit(text, top)  # type: ignore[no-any-return]


def render_plain(text: str) -> str:
    """``text`` as escaped preformatted text (:func:`fossilpy.markup.sanitize.render_plain`)."""
    return _san().render_plain(text)  # type: ignore[no-any-return]

BLOCK_TAGS = frozenset(
    "address blockquote center div dl h1 h2 h3 h4 h5 h6 hr ol p pre table ul".split()
)
#: One HTML tag.  A match never crosses another "<" or ">" (not even inside a
#: quoted value), so scanning a text is linear.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9])((?:[^<>\"']|\"[^\"<>]*\"|'[^'<>]*')*)>")
_ATTR = re.compile(r"([A-Za-z][-A-Za-z0-9_:]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_HEXNAME = re.compile(r"^[0-9a-fA-F]{4,64}$")


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
        if name not in _san().ALLOWED_TAGS or (self.allowed is not None and name not in self.allowed):
            return None
        if name == "a" and not self.links:
            return ""
        if closing:
            if name in _san().VOID_TAGS or name not in self.stack:
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
            if key not in _san().ALLOWED_TAGS[name]:
                continue
            value = m.group(2) or ""
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            value = _unentity(value)
            if key in ("href", "src"):
                url = _san().safe_url(value, self.top)
                if url is None:
                    continue
                value = url
            kept.append(f' {key}="{escape(value, quote=True)}"')
        if name not in _san().VOID_TAGS:
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
        url = _san().safe_url(target, top)
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
    out = _san().Sink(output_limit(text, top))
    pos = 0
    try:
        for m in _VERBATIM.finditer(text):
            budget.check()
            _wiki_blocks(text[pos : m.start()], tags, top, links, out)
            kind = m.group(1).lower()
            if kind in ("verbatim", "pre"):
                out.append(tags.close_all())
                out.append(f"<pre>{escape(m.group(2).strip(chr(10)), quote=False)}</pre>\n")
            else:
                out.append(_inline_wiki(m.group(2), tags, top, links))
            pos = m.end()
        _wiki_blocks(text[pos:], tags, top, links, out)
        out.append(tags.close_all())
    except _san().TooLarge:
        return render_plain(text)
    return str(out.html())


def _wiki_blocks(text: str, tags: _Tags, top: str, links: bool, out: Any) -> None:
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        budget.check()
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(_BULLET.match(ln) for ln in lines if ln.strip()):
            items = [_BULLET.match(ln) for ln in lines if ln.strip()]
            kind = "ol" if items[0].group(1) == "#" else "ul"  # type: ignore[union-attr]
            lis = "".join(f"<li>{_inline_wiki(it.group(2), tags, top, links)}</li>" for it in items)  # type: ignore[union-attr]
            out.append(f"<{kind}>{lis}</{kind}>\n")
            continue
        body = _inline_wiki(block.strip("\n"), tags, top, links)
        m = _TAG.match(block.lstrip())
        if m and m.group(2).lower() in BLOCK_TAGS:
            out.append(body + "\n")
        elif block.startswith(("  ", "\t")):
            out.append(f"<blockquote>{body}</blockquote>\n")
        else:
            out.append(f"<p>{body}</p>\n")


#: What makes inline text more than escaped text: tags, entities, links, controls.
_INLINE_MARKUP = re.compile(r"[<&\[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render_inline(text: str, top: str = "", links: bool = True) -> str:
    """A check-in comment or title: wiki links and inline tags only, no paragraphs."""
    if not _INLINE_MARKUP.search(text):  # most comments: plain text
        html = escape(text, quote=False)
    else:
        text = clean_text(text)
        tags = _Tags(top, links, allowed=_san().INLINE_TAGS)
        html = _inline_wiki(text, tags, top, links) + tags.close_all()
        if len(html) > output_limit(text, top):
            html = escape(text, quote=False)
    budget.charge(len(html))
    return html


def render_markdown(text: str, top: str = "", links: bool = True, facts: Facts | None = None) -> str:
    """Markdown to safe HTML (:mod:`fossilpy.markup.md_html`)."""
    from fossilpy.markup import md_html

    return md_html.render_markdown(text, top, links, *(() if facts is None else (facts,)))


# -- entry point ---------------------------------------------------------


def render(text: str, mimetype: str = "text/x-fossil-wiki", top: str = "", links: bool = True,
           facts: Facts | None = None) -> str:
    """``text`` of the given wiki MIME type as safe HTML."""
    mimetype = (mimetype or "text/x-fossil-wiki").split(";")[0].strip().lower()
    if mimetype in ("text/x-markdown", "text/markdown"):
        return render_markdown(text, top, links, facts)
    if mimetype == "text/plain":
        return render_plain(text)
    return render_fossil_wiki(text, top, links)
