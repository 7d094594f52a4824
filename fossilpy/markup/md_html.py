"""Markdown to HTML (Fossil 2.21 ``src/markdown_html.c``).

:class:`HtmlRenderer` writes what ``markdown_html.c`` writes: headers,
paragraphs, lists, block quotes, code blocks and fenced code (a
``language-`` class from the info string), tables with ``align``,
emphasis, links (resolved as Fossil resolves them,
:mod:`fossilpy.markup.links`), images, autolinks, line breaks, entities
as written, raw HTML as written, and footnotes as Fossil numbers them
(references with back-references, the list at the end, misreferences,
unreferenced and joined notes).  :func:`render_markdown` then passes the
whole through :func:`fossilpy.markup.sanitize.safe_html`, as Fossil runs
``safe_html()`` over Markdown shown on wiki, forum and ticket pages.  The
renderer writes its own markup as that pass rewrites it (attributes in
double quotes, ``<hr ... />``), so the pass runs only when raw HTML, or
source text Fossil copies unchanged, went into the output
(``HtmlRenderer.raw``; tests/fuzz checks the pass would change nothing
otherwise).

A ``pikchr`` fence is drawn as Fossil draws it
(:func:`fossilpy.markup.sanitize.pikchr_block`).

Differences from Fossil, on purpose: the ``<div class="markdown">``
around the document is left out (the page has its own); footnote links
are page-local (``#footnote-1-a``, as Fossil's FOOTNOTES_WITHOUT_URI
build) unless ``base_uri`` is given; a header at the very
start is not taken as the document title (the pages show titles
themselves); and the sanitizer's own rules (see
:mod:`fossilpy.markup.sanitize`).
"""

from __future__ import annotations

from fossilpy import budget
from fossilpy.markup.links import NO_FACTS, WIKI_MARKDOWNLINKS, WIKI_NOBADLINKS, Facts, resolve
from fossilpy.markup.md_blocks import ALIGN_CENTER, ALIGN_LEFT, ALIGN_RIGHT, CELL_HEAD, LIST_ORDERED, markdown
from fossilpy.markup.md_inline import Note
from fossilpy.markup.md_render import MarkdownRenderer
from fossilpy.markup.md_scan import EXPLICIT_EMAIL, IMPLICIT_EMAIL
from fossilpy.markup.sanitize import (
    Sink,
    TooLarge,
    clean_text,
    esc,
    output_limit,
    pikchr_block,
    quote,
    render_plain,
    safe_html,
    safe_url,
)

PROLOG = '<div class="markdown">\n'
EPILOG = "</div>\n"
_JOINED = "<ul class='fn-joined'>"
_SPACE = " \t\n\v\f\r"
_ALIGN = {ALIGN_LEFT: ' align="left"', ALIGN_RIGHT: ' align="right"', ALIGN_CENTER: ' align="center"'}


def base26(i: int, upper: bool = False) -> str:
    """Fossil's ``to_base26``: digits a-z (or A-Z), "" for a negative number."""
    if i < 0:
        return ""
    a = ord("A" if upper else "a")
    out = ""
    while True:
        out = chr(a + i % 26) + out
        i //= 26
        if i == 0:
            return out


def _trim(ob: list[str]) -> None:
    """Remove white space from the end of the output (``blob_trim``)."""
    while ob:
        last = ob[-1].rstrip(_SPACE)
        if last:
            ob[-1] = last
            return
        ob.pop()


def _upc_classes(upc: str) -> str:
    """The classes of a footnote class list ``.a.B:`` ("fn-upc-a fn-upc-b ")."""
    if len(upc) < 3:
        return ""
    return "".join(f"fn-upc-{w.lower()} " for w in upc[1:-1].split("."))


def _upc_html(upc: str) -> str:
    """A footnote class list shown at the start of the note."""
    if len(upc) < 3:
        return ""
    out = ['<span class="fn-upc"><span class="fn-upcDot">.</span>']
    words = upc[1:-1].split(".")
    for k, w in enumerate(words):
        out.append(f'<span class="fn-upc-{w.lower()}">{w}</span>')
        out.append('<span class="fn-upcColon">:</span>' if k == len(words) - 1
                   else '<span class="fn-upcDot">.</span>')
    out.append("</span>\n")
    return "".join(out)


class HtmlRenderer(MarkdownRenderer):
    """Markdown to HTML as ``markdown_html.c`` writes it (before ``safe_html``)."""

    def __init__(self, top: str = "", links: bool = True, facts: Facts = NO_FACTS,
                 unique: str = "", base_uri: str = "", limit: int = 1 << 62) -> None:
        self.top = top
        self.links = links
        self.facts = facts
        self.unique = unique          # tells footnote ids of several documents apart
        self.uri = base_uri.replace('"', "%22").replace("'", "%27")
        self.limit = limit
        #: True once raw HTML (or text copied as it is) went into the output:
        #: only then has safe_html() work to do (module docstring)
        self.raw = False

    def output(self) -> list[str]:
        return Sink(self.limit)

    def finish(self, ob: list[str]) -> str:
        return ob.html() if isinstance(ob, Sink) else "".join(ob)

    @staticmethod
    def _block(ob: list[str]) -> None:
        if ob:  # INTER_BLOCK: a new line between blocks
            ob.append("\n")

    def prolog(self, ob: list[str]) -> None:
        self._block(ob)
        ob.append(PROLOG)

    def epilog(self, ob: list[str]) -> None:
        self._block(ob)
        ob.append(EPILOG)

    # -- blocks ---------------------------------------------------------------

    def blockhtml(self, ob: list[str], text: str) -> None:
        self.raw = True
        self._block(ob)
        text = text.strip(_SPACE)
        if text:
            ob.append(text)
        ob.append("\n")

    def blockcode(self, ob: list[str], text: str) -> None:
        self._block(ob)
        ob.append(f"<pre><code>{esc(text)}</code></pre>\n")

    def blockquote(self, ob: list[str], text: str) -> None:
        self._block(ob)
        ob.append(f"<blockquote>\n{text}</blockquote>\n")

    def header(self, ob: list[str], text: str, level: int) -> None:
        self._block(ob)
        ob.append(f"<h{level}>{text}</h{level}>")

    def hrule(self, ob: list[str]) -> None:
        self._block(ob)
        ob.append("<hr />\n")

    def list_block(self, ob: list[str], text: str, flags: int) -> None:
        tag = "ol" if flags & LIST_ORDERED else "ul"
        self._block(ob)
        ob.append(f"<{tag}>\n{text}</{tag}>\n")

    def listitem(self, ob: list[str], text: str, flags: int) -> None:
        ob.append(f"<li>{text.rstrip(chr(10))}</li>\n")

    def paragraph(self, ob: list[str], text: str) -> None:
        self._block(ob)
        ob.append(f"<p>{text}</p>\n")

    def table(self, ob: list[str], head: str | None, rows: str) -> None:
        self._block(ob)
        if head:
            ob.append(f"<table>\n<thead>\n{head}</thead>\n<tbody>\n{rows}</tbody>\n</table>\n")
        else:
            ob.append(f"<table>\n{rows}</table>\n")

    def table_cell(self, ob: list[str], text: str, flags: int) -> None:
        tag = "th" if flags & CELL_HEAD else "td"
        ob.append(f"    <{tag}{_ALIGN.get(flags & ALIGN_CENTER, '')}>{text}</{tag}>\n")

    def table_row(self, ob: list[str], cells: str, flags: int) -> None:
        ob.append(f"  <tr>\n{cells}  </tr>\n")

    # -- footnotes ------------------------------------------------------------

    def _a(self, attrs: str, text: str) -> str:
        """A link (``attrs`` its attributes), or only its text without links."""
        if not self.links:
            return text
        return f"<a {attrs}>{text}</a>" if attrs else f"<a>{text}</a>"

    def footnote_ref(self, ob: list[str], span: str | None, upc: str, mark: int, locus: int) -> bool:
        uri, u = self.uri, self.unique
        letters = base26(locus - 1)
        if mark > 0:
            pos = f"{u}-{mark}-{letters}"
            if span:
                ob.append(f'<span class="{_upc_classes(upc)}notescope" id="noteref{pos}">')
                ob.append(span)
                _trim(ob)
                link = self._a(f'href="{uri}#footnote{pos}"', str(mark))
                ob.append(f'<sup class="noteref">{link}</sup></span>')
            else:
                _trim(ob)
                link = self._a(f'href="{uri}#footnote{pos}" id="noteref{pos}"', str(mark))
                ob.append(f'<sup class="{_upc_classes(upc)}noteref">{link}</sup>')
        else:
            pos = f"{u}-{letters}"
            if span:
                ob.append(f'<span class="notescope" id="misref{pos}">')
                ob.append(span)
                _trim(ob)
                link = self._a(f'href="{uri}#misreference{pos}"', "misref")
                ob.append(f'<sup class="noteref misref">{link}</sup></span>')
            else:
                _trim(ob)
                link = self._a(f'href="{uri}#misreference{pos}" id="misref{pos}"', "misref")
                ob.append(f'<sup class="noteref misref">{link}</sup>')
        return True

    def _backrefs(self, anchor: str, target: str, used: int) -> str:
        uri = self.uri
        out = ["^"]
        for i in range(min(used, 676)):
            c = base26(i)
            out.append(" " + self._a(f'id="{anchor}-{c}" href="{uri}#{target}-{c}"', c))
        if used > 676:
            out.append(" &hellip;")
        return "".join(out)

    def footnote_item(self, ob: list[str], note: Note | None, mark: int, used: int) -> None:
        uri, u = self.uri, self.unique
        out: list[str] = []
        if mark < 0 or note is None:
            out.append('<li class="fn-misreference"><sup class="fn-backrefs">')
            if used == 1:
                out.append(self._a(f'id="misreference{u}-a" href="{uri}#misref{u}-a"', "^"))
            else:
                refs = self._backrefs(f"misreference{u}", f"misref{u}", min(used, 26))
                out.append(refs + (" &hellip;" if used > 26 else ""))
            out.append("</sup>\n<span>Misreference</span>")
        elif mark > 0:
            pos = f"{u}-{mark}"
            text = note.text
            joined = False
            out.append(f'<li id="footnote{pos}" class="')
            if used:
                if text.startswith(_JOINED):
                    joined = True
                    out.append("fn-joined ")
                out.append(_upc_classes(note.upc))
            else:
                out.append("fn-toodeep ")
            if used <= 1:
                out.append('fn-monoref"><sup class="fn-backrefs">')
                out.append(self._a(f'id="footnote{pos}-a" href="{uri}#noteref{pos}-a"', "^"))
            else:
                out.append('fn-polyref"><sup class="fn-backrefs">')
                out.append(self._backrefs(f"footnote{pos}", f"noteref{pos}", used))
            out.append("</sup>\n")
            if joined:
                out.append('<sup class="fn-joined"></sup><ul>' + text[len(_JOINED):])
            elif used:
                out.append(_upc_html(note.upc) + text)
            else:
                out.append(f'<i></i>\n<pre><code class="language-markdown">{note.upc}{esc(text)}</code></pre>')
        else:
            key = note.id.decode("utf-8", "surrogateescape")
            out.append(f'<li class="fn-unreferenced">\n[^&nbsp;<code>{esc(key)}</code>&nbsp;]<i></i>\n'
                       f'<pre><code class="language-markdown">{note.upc}{esc(note.text)}</code></pre>')
        out.append("\n</li>\n")
        ob.append("".join(out))

    def footnotes(self, ob: list[str], items: str) -> None:
        if items:
            ob.append(f'\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n{items}</ol>\n')

    # -- spans ----------------------------------------------------------------

    def raw_html_tag(self, ob: list[str], tag: str) -> bool:
        self.raw = True
        ob.append(tag)
        return True

    def raw_text(self, ob: list[str], text: str) -> None:
        self.raw = True
        ob.append(text)

    def autolink(self, ob: list[str], link: str, kind: int) -> bool:
        if not link:
            return False
        mailto = "mailto:" if kind == IMPLICIT_EMAIL else ""
        shown = link[7:] if kind == EXPLICIT_EMAIL and len(link) > 7 else link
        href = mailto + quote(link)
        ob.append(self._a(f'href="{href}"' if safe_url(href) is not None else "", esc(shown)))
        return True

    def codespan(self, ob: list[str], text: str | None, nsep: int) -> bool:
        if text is None:
            return True
        if nsep <= 2:
            ob.append(f"<code>{esc(text)}</code>")
            return True
        i = text.find("\n")
        if i < 0:
            ob.append(f"<pre><code>{quote(text)}</code></pre>")
            return True
        i += 1
        k = 0
        while k < i and text[k] in _SPACE:
            k += 1
        if k == i:
            ob.append(f"<pre><code>{quote(text[i:])}</code></pre>")
        else:
            j = k + 1
            while j < i and text[j] not in _SPACE:
                j += 1
            if text[k:j] == "pikchr":
                ob.append(pikchr_block(text[i:], text[j:i]))
            else:
                ob.append(f'<pre><code class="language-{quote(text[k:j])}">{quote(text[i:])}</code></pre>')
        return True

    def double_emphasis(self, ob: list[str], text: str, c: str) -> bool:
        ob.append(f"<strong>{text}</strong>")
        return True

    def emphasis(self, ob: list[str], text: str, c: str) -> bool:
        ob.append(f"<em>{text}</em>")
        return True

    def triple_emphasis(self, ob: list[str], text: str, c: str) -> bool:
        ob.append(f"<strong><em>{text}</em></strong>")
        return True

    def image(self, ob: list[str], link: str, title: str, alt: str) -> bool:
        src = quote(link)
        if safe_url(src, self.top) != src:
            self.raw = True  # safe_html() must drop it, or put it under top
        more = f' title="{quote(title)}"' if title else ""
        ob.append(f'<img src="{src}" alt="{quote(alt)}"{more} />')
        return True

    def linebreak(self, ob: list[str]) -> bool:
        ob.append("<br />\n")
        return True

    def link(self, ob: list[str], link: str, title: str, content: str) -> bool:
        close = ""
        if link:
            made = resolve(link, WIKI_NOBADLINKS | WIKI_MARKDOWNLINKS, title or None,
                           top=self.top, links=self.links, facts=self.facts, double=True)
            if made is not None:
                ob.append(made[0])
                close = made[1]
        if content:
            ob.append(content)
        elif link:
            self.raw_text(ob, link)  # Fossil shows the destination as it is
        if close:
            ob.append(close)
        return True

    def normal_text(self, ob: list[str], text: str) -> None:
        ob.append(esc(text))


def render_markdown(text: str, top: str = "", links: bool = True, facts: Facts = NO_FACTS,
                    unique: str = "", base_uri: str = "") -> str:
    """Markdown to safe HTML, as Fossil shows it (module docstring)."""
    text = clean_text(text)
    limit = output_limit(text, top)
    r = HtmlRenderer(top, links, facts, unique, base_uri, limit)
    try:
        body = markdown(text, r)
        # Fossil's page: PROLOG, "\n" (before the first block), the blocks,
        # "\n" (before EPILOG), EPILOG; safe_html() sees what is between.
        inner = body[len(PROLOG) : -len(EPILOG)]
        inner = inner[1:] if inner.startswith("\n") else inner
        html = safe_html(inner, top, links) if r.raw else inner
        html = html[:-1] if html.endswith("\n") else html
        budget.release(len(body))
        if len(html) > limit:
            raise TooLarge
    except TooLarge:
        return render_plain(text)
    budget.charge(len(html))
    return html
