"""Wiki text to safe HTML: Fossil wiki, Markdown and plain text.

The entry points of the markup layer for pages: :func:`render` (by wiki
MIME type), :func:`render_inline` (check-in comments and other one-line
texts) and :func:`render_plain`.

* Fossil wiki: :mod:`fossilpy.markup.wiki_html`, Fossil's renderer
  (``wiki_convert``); check-in comments as Fossil's timeline renders them
  (``WIKI_INLINE | WIKI_NOBADLINKS``: no paragraph at the start, links to
  missing pages or artifacts left out).
* Markdown: :mod:`fossilpy.markup.md_html`, Fossil's parser and HTML
  renderer, then Fossil's ``safe_html()`` pass.
* text/plain: escaped, in a ``<pre>``.

Safety rule: nothing from the repository reaches the page unescaped.  Text
is escaped; the only markup emitted is what the renderers build
themselves, or an HTML tag from :data:`fossilpy.markup.sanitize.ALLOWED_TAGS`
re-written from scratch with its allowed attributes only (URLs limited to
safe schemes or relative).  ``<script>``, ``<style>``, event handlers,
``javascript:`` URLs and unbalanced closing tags never get through
(:mod:`fossilpy.markup.sanitize`, which also states the output bound).
Without the Hyperlink capability (``links=False``) no ``<a>`` is made.

Bounded work: the block loops ask :func:`fossilpy.budget.check` once per
turn and output is charged with :func:`fossilpy.budget.charge`, so a
rendering inside a web request stops with ``BudgetExceeded`` (503) when the
request runs out of time or memory; past the output limit the text is
shown escaped instead (:func:`render_plain`).

The modules doing the work are imported on first use: a timeline of plain
comments loads none of them.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import TYPE_CHECKING

from fossilpy import budget

if TYPE_CHECKING:
    from fossilpy.markup.links import Facts

#: What makes a one-line text more than escaped text: markup, entities,
#: links, line ends, control characters.
_INLINE_MARKUP = re.compile(r"[<&\[\n\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACE = " \t\n\v\f\r"


def render_plain(text: str) -> str:
    """``text`` as escaped preformatted text (``text/plain``, and the over-size fallback)."""
    from fossilpy.markup import sanitize

    return sanitize.render_plain(text)


def render_fossil_wiki(text: str, top: str = "", links: bool = True, facts: Facts | None = None,
                       html_only: bool = False) -> str:
    """Fossil wiki markup to safe HTML (a wiki page; ``html_only``: the
    ``wiki-use-html`` setting, only links are wiki markup)."""
    from fossilpy.markup import links as linkmod
    from fossilpy.markup import sanitize, wiki_html

    text = sanitize.clean_text(text)
    limit = sanitize.output_limit(text, top)
    out = sanitize.Sink(limit)
    flags = linkmod.WIKI_HTMLONLY if html_only else 0
    try:
        wiki_html.wiki_convert(text, out, flags, top, links, facts or linkmod.NO_FACTS)
        html = out.html()
        if html_only:
            budget.release(len(html))
            html = sanitize.safe_html(html, top, links)
            if len(html) > limit:
                raise sanitize.TooLarge
            budget.charge(len(html))
    except sanitize.TooLarge:
        return sanitize.render_plain(text)
    return html


def render_inline(text: str, top: str = "", links: bool = True, facts: Facts | None = None) -> str:
    """A check-in comment: Fossil wiki as Fossil's timeline renders it, without the final newline."""
    if not _INLINE_MARKUP.search(text) and text[:1] not in _SPACE:
        html = text  # most comments: one text token, copied as Fossil copies it
    else:
        from fossilpy.markup import links as linkmod
        from fossilpy.markup import sanitize, wiki_html

        text = sanitize.clean_text(text)
        out: list[str] = []
        wiki_html.wiki_convert(text, out, linkmod.WIKI_INLINE | linkmod.WIKI_NOBADLINKS, top, links,
                               facts or linkmod.NO_FACTS)
        html = "".join(out)[:-1]
        if len(html) > sanitize.output_limit(text, top):
            html = sanitize.esc(text)
    budget.charge(len(html))
    return html


#: (the request's budget, how many Markdown documents it has rendered)
_DOCUMENTS: ContextVar[tuple[object, int] | None] = ContextVar("fossilpy_markdown_documents", default=None)


def _document_marker() -> str:
    """The marker that keeps footnote ids of several Markdown documents on
    one page apart, as Fossil's ``markdown_to_html`` counts its calls: none
    for the first document of a request, then ``A``, ``B``, ... ``Z``,
    ``BA`` (``footnote-1-a``, ``footnoteA-1-a``, ...).  Outside a request
    (no budget) every document is a first one."""
    from fossilpy.markup.md_html import base26

    request = budget.current()
    if request is None:
        return ""
    seen = _DOCUMENTS.get()
    n = seen[1] if seen is not None and seen[0] is request else -1
    _DOCUMENTS.set((request, n + 1))
    return base26(n, upper=True)


def render_markdown(text: str, top: str = "", links: bool = True, facts: Facts | None = None) -> str:
    """Markdown to safe HTML (:mod:`fossilpy.markup.md_html`); within a
    request each document gets its footnote marker (:func:`_document_marker`)."""
    from fossilpy.markup import links as linkmod
    from fossilpy.markup import md_html

    return md_html.render_markdown(text, top, links, facts or linkmod.NO_FACTS, _document_marker())


def render(text: str, mimetype: str = "text/x-fossil-wiki", top: str = "", links: bool = True,
           facts: Facts | None = None) -> str:
    """``text`` of the given wiki MIME type as safe HTML."""
    mimetype = (mimetype or "text/x-fossil-wiki").split(";")[0].strip().lower()
    if mimetype in ("text/x-markdown", "text/markdown"):
        return render_markdown(text, top, links, facts)
    if mimetype == "text/plain":
        return render_plain(text)
    return render_fossil_wiki(text, top, links, facts)
