"""The Markdown renderer interface, and the renderer that only finds links.

The parser (:func:`fossilpy.markup.md_blocks.markdown`) calls one method of
a :class:`MarkdownRenderer` for each thing it recognises, as Fossil 2.21's
``markdown()`` calls the members of a ``struct mkd_renderer``.  Every
method appends to ``ob``, the output buffer of the enclosing element (a
list of strings); the text it gets is the already rendered content.  Span
methods return True when they rendered the span (Fossil's non-zero).

Two renderers use the one parser:

* :class:`fossilpy.markup.md_html.HtmlRenderer` -- HTML, as
  ``src/markdown_html.c``;
* :class:`LinkCollector` -- nothing but the destinations of links, as the
  backlink scan of ``src/backlink.c`` (every callback a no-op returning 1,
  the link callback recording its target).  Both renderers accept every
  span, so the parse, and therefore the set of links, is the same for both.
"""

from __future__ import annotations

from typing import Any

from fossilpy.markup.md_blocks import markdown


class MarkdownRenderer:
    """Callbacks of the Markdown parser.  This base renders nothing."""

    # -- document -------------------------------------------------------------

    def output(self) -> list[str]:
        """A new top-level output buffer."""
        return []

    def finish(self, ob: list[str]) -> str:
        """The result of a rendering, from its top-level buffer."""
        return "".join(ob)

    def prolog(self, ob: list[str]) -> None:
        pass

    def epilog(self, ob: list[str]) -> None:
        pass

    def footnotes(self, ob: list[str], items: str) -> None:
        """The list of footnotes (``items`` made by :meth:`footnote_item`)."""

    # -- blocks ---------------------------------------------------------------

    def blockcode(self, ob: list[str], text: str) -> None:
        pass

    def blockquote(self, ob: list[str], text: str) -> None:
        pass

    def blockhtml(self, ob: list[str], text: str) -> None:
        pass

    def header(self, ob: list[str], text: str, level: int) -> None:
        pass

    def hrule(self, ob: list[str]) -> None:
        pass

    def list_block(self, ob: list[str], text: str, flags: int) -> None:
        pass

    def listitem(self, ob: list[str], text: str, flags: int) -> None:
        pass

    def paragraph(self, ob: list[str], text: str) -> None:
        pass

    def table(self, ob: list[str], head: str | None, rows: str) -> None:
        pass

    def table_cell(self, ob: list[str], text: str, flags: int) -> None:
        pass

    def table_row(self, ob: list[str], cells: str, flags: int) -> None:
        pass

    def footnote_item(self, ob: list[str], note: Any, mark: int, used: int) -> None:
        """One footnote: ``mark`` > 0 its number (``used`` 0: nested too
        deep to be parsed), -1 the misreferences (``note`` None, ``used``
        their count), 0 a note never referenced."""

    # -- spans ----------------------------------------------------------------

    def autolink(self, ob: list[str], link: str, kind: int) -> bool:
        return True

    def codespan(self, ob: list[str], text: str | None, nsep: int) -> bool:
        """A code span (``nsep`` 1 or 2 backticks) or fenced block (3 or more)."""
        return True

    def double_emphasis(self, ob: list[str], text: str, c: str) -> bool:
        return True

    def emphasis(self, ob: list[str], text: str, c: str) -> bool:
        return True

    def triple_emphasis(self, ob: list[str], text: str, c: str) -> bool:
        return True

    def image(self, ob: list[str], link: str, title: str, alt: str) -> bool:
        return True

    def linebreak(self, ob: list[str]) -> bool:
        return True

    def link(self, ob: list[str], link: str, title: str, content: str) -> bool:
        return True

    def raw_html_tag(self, ob: list[str], tag: str) -> bool:
        return True

    def footnote_ref(self, ob: list[str], span: str | None, upc: str, mark: int, locus: int) -> bool:
        """A reference to footnote ``mark`` (-1: to no footnote), its
        ``locus``-th; ``span`` the text it is attached to, if any."""
        return True

    # -- text -----------------------------------------------------------------

    def entity(self, ob: list[str], text: str) -> None:
        """A character entity ``&...;``; Fossil copies it."""
        ob.append(text)

    def normal_text(self, ob: list[str], text: str) -> None:
        ob.append(text)

    def raw_text(self, ob: list[str], text: str) -> None:
        """Source text Fossil copies as it is (nested too deep, a link without text)."""
        ob.append(text)


class LinkCollector(MarkdownRenderer):
    """Collects the destination of every link, renders nothing."""

    def __init__(self) -> None:
        self.links: list[str] = []

    def link(self, ob: list[str], link: str, title: str, content: str) -> bool:
        self.links.append(link)
        return True

    def entity(self, ob: list[str], text: str) -> None:
        pass

    def normal_text(self, ob: list[str], text: str) -> None:
        pass

    def raw_text(self, ob: list[str], text: str) -> None:
        pass


def markdown_link_targets(text: str) -> list[str]:
    """Destinations of the links in Markdown ``text``, in the order found."""
    collector = LinkCollector()
    markdown(text.split("\x00", 1)[0], collector)
    return collector.links
