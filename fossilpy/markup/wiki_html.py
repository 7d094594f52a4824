"""Fossil wiki to HTML (Fossil 2.21 ``src/wikiformat.c``, ``wiki_convert``).

The renderer reads the text through :class:`fossilpy.markup.wiki_parse.WikiText`
(the tokenizer the backlink scan uses too) and writes what Fossil writes:

* paragraphs: a blank line starts one (``<p>``, never closed, as Fossil);
* ``  *  item`` bullets, ``  #  item`` numbered items and ``  12.  item``
  enumerations (two spaces or a tab around the marker), kept in one list
  until a blank line or another kind of marker; an indented paragraph is a
  ``<blockquote>``;
* ``[TARGET]`` and ``[TARGET|LABEL]`` links, resolved as Fossil resolves
  them (:mod:`fossilpy.markup.links`; a broken one is a
  ``<span class="brokenlink">``);
* HTML markup from Fossil's list, through the sanitizer
  (:mod:`fossilpy.markup.sanitize`), with Fossil's nesting rules (end tags
  close what they name, ``<li>`` opens a list if none is, ``<td>`` opens a
  row, unclosed elements are closed at the end); ``<title>`` becomes a
  centered ``<h1>``; anything else is shown as text;
* ``<verbatim>`` (``<pre class='verbatim'>``, nothing interpreted inside,
  ``links`` lets links through, ``type=`` names a class), ``<nowiki>``
  (no wiki rules, HTML still checked), entities.

A ``<verbatim type="pikchr">`` is drawn as Fossil draws it, inside the
``<p>`` Fossil puts around it (:func:`fossilpy.markup.sanitize.pikchr_block`).

Differences from Fossil, on purpose: the sanitizer's rules; with
``html_only`` (the ``wiki-use-html`` setting) the raw HTML Fossil would
pass through goes through :func:`fossilpy.markup.sanitize.safe_html`; no
``class="button"`` submenu links.
"""

from __future__ import annotations

from fossilpy import budget
from fossilpy.markup.links import (
    NO_FACTS,
    WIKI_HTMLONLY,
    WIKI_INLINE,
    WIKI_LINKSONLY,
    WIKI_NEWLINE,
    Facts,
    removable_prefix,
    resolve,
)
from fossilpy.markup.sanitize import (
    BLOCK,
    FONT,
    HYPERLINK,
    INLINE,
    LI,
    LIST,
    MARKUP_TYPES,
    STACK,
    TABLE,
    TD,
    TR,
    Markup,
    pikchr_block,
    quote,
    render_markup,
)
from fossilpy.markup.wiki_parse import (
    ALLOW_LINKS,
    ALLOW_WIKI,
    AT_NEWLINE,
    AT_PARAGRAPH,
    BUL_LI,
    CHARACTER,
    ENUM,
    FONT_MARKUP_ONLY,
    INDENT,
    INLINE_MARKUP_ONLY,
    LINK,
    MARKUP,
    NEWLINE,
    NUM_LI,
    PARAGRAPH,
    RAW,
    TEXT,
    WikiText,
)

_SPACE = " \t\n\v\f\r"
_OFF = frozenset({"off", "no", "false", "0"})


class WikiRenderer:
    """The state of one rendering (Fossil's ``Renderer``)."""

    def __init__(self, out: list[str], flags: int = 0, top: str = "", links: bool = True,
                 facts: Facts = NO_FACTS, inline_only: bool = False) -> None:
        self.out = out
        self.flags = flags
        self.top = top
        self.links = links
        self.facts = facts
        self.state = ALLOW_WIKI | AT_NEWLINE | AT_PARAGRAPH | flags
        if inline_only:
            self.state |= INLINE_MARKUP_ONLY
        self.wiki_list = ""          # "ul", "ol" or "blockquote" made by wiki markup
        self.in_verbatim = False
        self.pre_verbatim = 0        # the state before <verbatim>
        self.verbatim_id: str | None = None
        self.want_paragraph = not flags & WIKI_INLINE
        self.in_paragraph = False
        #: open elements: (element, allow wiki before it, id of a <div id=...>)
        self.stack: list[tuple[str, bool, str | None]] = []

    # -- the element stack ------------------------------------------------------

    def pop(self) -> None:
        name, _, ident = self.stack.pop()
        if name != "div" or ident is None:
            self.out.append(f"</{name}>")

    def push(self, name: str, ident: str | None = None) -> None:
        self.stack.append((name, bool(self.state & ALLOW_WIKI), ident))

    def pop_to(self, name: str) -> None:
        """Close elements down to the innermost ``name`` (none if it is not open)."""
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == name and self.stack[k][2] is None:
                while len(self.stack) > k:
                    self.pop()
                return

    def backup_to(self, mask: int) -> str:
        """Close elements above the innermost one of a type in ``mask``; its name, or ""."""
        for k in range(len(self.stack) - 1, -1, -1):
            if MARKUP_TYPES[self.stack[k][0]] & mask:
                while len(self.stack) > k + 1:
                    self.pop()
                return self.stack[k][0]
        return ""

    def start_paragraph(self) -> None:
        if not self.want_paragraph or self.flags & WIKI_LINKSONLY or self.wiki_list in ("ol", "ul"):
            return
        self.out.append("<p>")
        self.want_paragraph = False
        self.in_paragraph = True

    def end_paragraph(self) -> None:
        self.in_paragraph = False

    def start_list(self, kind: str) -> None:
        if self.wiki_list != kind:
            if self.wiki_list:
                self.pop_to(self.wiki_list)
            self.end_paragraph()
            self.push(kind)
            self.out.append(f"<{kind}>")
            self.wiki_list = kind
        self.pop_to("li")
        self.start_paragraph()
        self.push("li")

    # -- rendering --------------------------------------------------------------

    def render(self, w: WikiText, i: int = 0, end: int | None = None) -> None:
        """Render w.z[i:end] (Fossil's ``wiki_render``)."""
        z = w.z
        end = len(z) if end is None else end
        start = i
        out = self.out
        inline = bool(self.state & INLINE_MARKUP_ONLY)
        html_only = bool(self.state & (WIKI_HTMLONLY | WIKI_LINKSONLY))
        links_only = bool(self.state & WIKI_LINKSONLY)
        while i < end:
            budget.check()
            if html_only:
                n, kind = w.raw_token(i, self.state, end)
            else:
                n, kind = w.token(i, self.state, self.in_verbatim, end)
            self.state &= ~(AT_NEWLINE | AT_PARAGRAPH)
            if kind == PARAGRAPH:
                if inline:
                    out.append(" &nbsp;&nbsp; ")
                else:
                    if self.wiki_list:
                        self.pop_to(self.wiki_list)
                        self.wiki_list = ""
                    self.end_paragraph()
                    out.append("\n\n")
                    self.want_paragraph = True
                self.state |= AT_PARAGRAPH | AT_NEWLINE
            elif kind == NEWLINE:
                out.append("<br>\n" if self.flags & WIKI_NEWLINE else "\n")
                self.state |= AT_NEWLINE
            elif kind == BUL_LI:
                if inline:
                    out.append(" &bull; ")
                else:
                    self.start_list("ul")
                    out.append("<li>")
            elif kind == NUM_LI:
                if inline:
                    out.append(" # ")
                else:
                    self.start_list("ol")
                    out.append("<li>")
            elif kind == ENUM:
                number = int(z[i : i + n].split()[0].rstrip("."))
                if inline:
                    out.append(f" ({number}) ")
                else:
                    self.start_list("ol")
                    out.append(f'<li value="{number}">')
            elif kind == INDENT:
                if not inline:
                    self.push("blockquote")
                    out.append("<blockquote>")
                    self.want_paragraph = False
                    self.wiki_list = "blockquote"
            elif kind == CHARACTER:
                self.start_paragraph()
                out.append("&lt;" if z[i] == "<" else "&amp;")
            elif kind == LINK:
                self.start_paragraph()
                self.link(w, i, n, start)
            elif kind == TEXT:
                chunk = z[i : i + n]
                if chunk.strip(_SPACE):
                    self.start_paragraph()
                out.append(chunk)
            elif kind == RAW:
                out.append(quote(z[i : i + n]).replace("\r", " ") if links_only else z[i : i + n])
            elif kind == MARKUP:
                n = self.markup(w, i, n, inline)
            i += n

    def link(self, w: WikiText, i: int, n: int, start: int) -> None:
        z = w.z
        inner = z[i + 1 : i + n - 1]
        bar = inner.find("|")
        if bar >= 0:
            target = inner[:bar].rstrip(_SPACE)
            d = i + 1 + bar + 1
            while d < i + n - 1 and z[d] in _SPACE:
                d += 1
        else:
            target = inner
            d = i + 1 + removable_prefix(target)
        made = resolve(target, self.state & 0xFFFF, top=self.top, links=self.links, facts=self.facts,
                       before=z[i - 1] if i - start >= 1 else None)
        opening, closing = made if made is not None else ("", "")
        self.out.append(opening)
        if self.state & WIKI_LINKSONLY or made is None or self.in_verbatim:
            if not closing.startswith("]"):
                self.out.append(f"[{quote(inner)}]{closing}")
            else:
                self.out.append(quote(inner) + closing)
            return
        saved = self.state
        self.state = (self.state & ~ALLOW_WIKI) | FONT_MARKUP_ONLY
        self.render(w, d, i + n - 1)
        self.state = saved
        self.out.append(closing)

    def markup(self, w: WikiText, i: int, n: int, inline: bool) -> int:
        """Handle the tag w.z[i:i+n]; return how much of the text it took."""
        m = w.tags.parse(i)
        name = m.name
        if name == "title" and not self.in_verbatim:
            m = Markup(m.end, "h1", [("align", "center")], frozenset({"align"}))
            name = "h1"
        kind = MARKUP_TYPES.get(name, 0)
        out = self.out
        ident = m.attr("id") if name == "div" and m.end else None
        k = self._div_with_id(ident) if ident is not None else -1
        if k >= 0:
            if self.in_verbatim:
                self.in_verbatim = False
                self.state = self.pre_verbatim
                out.append("</pre>")
            while len(self.stack) > k + 1:
                self.pop()
            if self.stack[k][1]:
                self.state |= ALLOW_WIKI
            else:
                self.state &= ~ALLOW_WIKI
            self.stack.pop()
        elif self.in_verbatim:
            if self._end_verbatim(m):
                self.in_verbatim = False
                self.state = self.pre_verbatim
                out.append("</pre>")
            else:
                out.append("&lt;")
                return 1
        elif not name:
            self.start_paragraph()
            out.append("&lt;")
            return 1
        elif not kind & FONT and self.state & FONT_MARKUP_ONLY:
            pass
        elif name == "nowiki":
            if m.end:
                self.state |= ALLOW_WIKI
            else:
                self.state &= ~ALLOW_WIKI
        elif inline and not kind & INLINE:
            pass
        else:
            return n + self._place(m, name, kind, w, i + n)
        return n

    def _place(self, m: Markup, name: str, kind: int, w: WikiText, after: int) -> int:
        """A tag of the allowed markup, outside <verbatim>: into the output.
        Returns how much text after the tag it took (a Pikchr block's)."""
        out = self.out
        if m.end:
            self.pop_to(name)
        elif name == "div" and "cellpadding" in m.seen:
            # Fossil 2.21 tests the id flag against the cellpadding bit here.
            self.push(name, m.attr("id"))
        elif name == "verbatim":
            return self._verbatim(m, w, after)
        elif kind == LI:
            if not self.backup_to(LIST):
                self.end_paragraph()
                self.push("ul")
                out.append("<ul>")
            self.push("li")
            out.append(render_markup(m, self.top))
        elif kind == TR:
            if self.backup_to(TABLE):
                self.push("tr")
                out.append(render_markup(m, self.top))
        elif kind == TD:
            if self.backup_to(TABLE | TR):
                if self.stack and MARKUP_TYPES[self.stack[-1][0]] == TABLE:
                    self.push("tr")
                    out.append("<tr>")
                self.push(name)
                out.append(render_markup(m, self.top))
        elif kind == HYPERLINK:
            if self.links:  # without the Hyperlink capability: no <a> at all
                self.pop_to(name)
                self.start_paragraph()
                out.append(render_markup(m, self.top))
                self.push(name)
        else:
            if kind == FONT:
                self.start_paragraph()
            elif kind in (BLOCK, LIST):
                self.want_paragraph = False
            if name in ("hr", "h1", "h2", "h3", "h4", "h5", "p"):
                self.end_paragraph()
            if kind & STACK:
                self.push(name)
            out.append(render_markup(m, self.top))
        return 0

    def _div_with_id(self, ident: str) -> int:
        for k in range(len(self.stack) - 1, -1, -1):
            name, _, have = self.stack[k]
            if name == "div" and have is not None and have == ident:
                return k
        return -1

    def _end_verbatim(self, m: Markup) -> bool:
        if m.name != "verbatim" or not m.end:
            return False
        if self.verbatim_id is None:
            return True
        return len(m.attrs) == 1 and m.attrs[0][1] == self.verbatim_id

    def _verbatim(self, m: Markup, w: WikiText, after: int) -> int:
        self.verbatim_id = None
        self.in_verbatim = True
        self.pre_verbatim = self.state
        self.state &= ~ALLOW_WIKI
        cls = None
        for key, value in m.attrs:
            if key == "id":
                self.verbatim_id = value
            elif key == "type":
                cls = value
            elif key == "links" and (value is None or value.lower() not in _OFF):
                self.state |= ALLOW_LINKS
        self.end_paragraph()
        taken = 0
        if cls is None:
            self.out.append("<pre class='verbatim'>")
        elif cls.startswith("pikchr") and (len(cls) == 6 or cls[6] in _SPACE):
            taken = self._pikchr(w, after, cls[6:])
        else:
            self.out.append(f"<pre name='code' class='{quote(cls)}'>")
        self.want_paragraph = False
        return taken

    def _pikchr(self, w: WikiText, start: int, args: str) -> int:
        """The Pikchr source from ``start`` to its ``</verbatim>`` (or the
        end of the text) as a diagram block; how much text it took
        (Fossil's ``wiki_process_pikchr``)."""
        z = w.z
        i = start
        source_end = taken_end = len(z)
        while i < len(z):
            budget.check()
            lt = z.find("<", i)
            if lt < 0:
                break
            n = w.tags.length(lt)
            if n >= 11 and z[lt : lt + 10].lower() == "</verbatim" and self._end_verbatim(w.tags.parse(lt)):
                source_end, taken_end = lt, lt + n
                break
            i = lt + 1
        self.in_verbatim = False
        self.state = self.pre_verbatim
        self.out.append(f"<p>{pikchr_block(z[start:source_end], args)}</p>\n")
        return taken_end - start


def wiki_convert(text: str, out: list[str], flags: int = 0, top: str = "", links: bool = True,
                 facts: Facts = NO_FACTS, inline_only: bool = False) -> None:
    """Render Fossil wiki ``text`` into ``out`` (Fossil's ``wiki_convert``)."""
    r = WikiRenderer(out, flags, top, links, facts, inline_only)
    r.render(WikiText(text))
    r.end_paragraph()
    while r.stack:
        r.pop()
    out.append("\n")
