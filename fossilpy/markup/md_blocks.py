"""Block-level Markdown and the document (Fossil 2.21 ``src/markdown.c``).

``markdown(text, renderer)`` parses a document the way Fossil's
``markdown()`` does and returns what the renderer made of it:

1. a first pass removes link definitions ``[id]: dest "title"`` and
   footnote definitions ``[^id]: text`` and joins the remaining lines;
2. blocks: ATX and setext headers, HTML blocks (``<html>``, ``<pre>``,
   ``<script>`` followed by a blank line after the closing tag, comments,
   ``<hr>``), rules, block quotes, indented and fenced code, lists, tables
   and paragraphs, each handed to the renderer (inline content through
   :mod:`fossilpy.markup.md_inline`);
3. the referenced footnotes are parsed (references found in them are
   followed a few rounds deep) and rendered as a list at the end.

The grammar is Fossil's, not CommonMark's: reference ids are case-folded
(ASCII) with runs of white space collapsed, a backslash removes itself
(not just before punctuation) inside an inline destination, and list
indentation follows Fossil.

Text positions are handled as in the C code: each function works on a span
``s[beg:end]`` of a string and may look at the character just past the
span, which is why spans are passed as (string, begin, end) and never
sliced.
"""

from __future__ import annotations

import re
from typing import Any

from fossilpy import budget
from fossilpy.markup.chars import ALNUM
from fossilpy.markup.md_defs import is_footnote, is_ref
from fossilpy.markup.md_inline import MAX_DEPTH, InlineParser, Note
from fossilpy.markup.md_scan import (
    at,
    htmlblock_end,
    is_empty,
    is_headerline,
    is_hrule,
    is_table_sep,
    is_tableline,
    prefix_code,
    prefix_fenced,
    prefix_oli,
    prefix_quote,
    prefix_uli,
    tag_length,
)

_BLOCK_TAGS = ("html", "pre", "script")
#: The end of a run of line ends before a line that may be a definition.
_DEF_LINE = re.compile(r"[\n\r]+(?= {0,3}\[)")
#: List flags (MKD_LIST_ORDERED, MKD_LI_BLOCK, MKD_LI_END).
LIST_ORDERED, LI_BLOCK, LI_END = 1, 2, 8
#: Table cell flags (MKD_CELL_*).
ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER, CELL_HEAD = 1, 2, 3, 4


class Parser(InlineParser):
    """Block structure of one Markdown document."""

    # -- blocks ---------------------------------------------------------------

    def parse_block(self, ob: list[str], s: str, beg: int, end: int) -> None:
        if beg >= end:
            return
        has_table = s.find("|", beg, end) >= 0
        r = self.r
        pos = beg
        while pos < end:
            budget.check()
            old = pos
            c = s[pos]
            if c == "#":
                pos += self.atxheader(ob, s, pos, end)
            elif c == "<" and (n := self.htmlblock(ob, s, pos, end)):
                pos += n
            elif n := is_empty(s, pos, end):
                pos += n
            elif is_hrule(s, pos, end):
                r.hrule(ob)
                n = s.find("\n", pos, end)
                pos = end + 1 if n < 0 else n + 1
            elif prefix_quote(s, pos, end):
                pos += self.blockquote(ob, s, pos, end)
            elif prefix_code(s, pos, end):
                pos += self.blockcode(ob, s, pos, end)
            elif prefix_uli(s, pos, end):
                pos += self.parse_list(ob, s, pos, end, 0)
            elif prefix_oli(s, pos, end):
                pos += self.parse_list(ob, s, pos, end, LIST_ORDERED)
            elif has_table and is_tableline(s, pos, end, self.skip_codespan):
                pos += self.table(ob, s, pos, end)
            elif prefix_fenced(s, pos, end) and (n := self.char_codespan(ob, s, pos, end)):
                pos += n
            else:
                pos += self.paragraph(ob, s, pos, end)
            if pos <= old:  # never so in Fossil's grammar; a guard against spinning
                pos = old + max(1, self.paragraph(ob, s, old, end))

    def atxheader(self, ob: list[str], s: str, beg: int, end: int) -> int:
        size = end - beg
        level = 0
        while level < size and level < 6 and s[beg + level] == "#":
            level += 1
        i = level
        while i < size and s[beg + i] in " \t":
            i += 1
        if i == level:
            return self.paragraph(ob, s, beg, end)
        e = s.find("\n", beg + i, end)
        e = size if e < 0 else e - beg
        skip = e
        if e <= i:
            return self.paragraph(ob, s, beg, end)
        while e and s[beg + e - 1] == "#":
            e -= 1
        while e and s[beg + e - 1] in " \t":
            e -= 1
        if e <= i:
            return self.paragraph(ob, s, beg, end)
        self._header(ob, s, beg + i, beg + e, level)
        return skip

    def _header(self, ob: list[str], s: str, beg: int, end: int, level: int) -> None:
        self.depth += 1
        span: list[str] = []
        self.parse_inline(span, s, beg, end)
        self.r.header(ob, "".join(span), level)
        self.depth -= 1

    def htmlblock(self, ob: list[str], s: str, beg: int, end: int) -> int:
        size = end - beg
        if size < 2 or s[beg] != "<":
            return 0
        j = beg + 1
        while j < end and s[j] in ALNUM:
            j += 1
        tag = s[beg + 1 : j].lower() if j < end else ""
        if tag not in _BLOCK_TAGS:
            if size > 5 and s[beg + 1 : beg + 4] == "!--":
                i = 5
                while i < size and s[beg + i - 2 : beg + i + 1] != "-->":
                    i += 1
                i += 1
                if i < size:
                    w = is_empty(s, beg + i, end)
                    if w:
                        self.r.blockhtml(ob, s[beg : beg + i + w])
                        return i + w
            if size > 4 and s[beg + 1] in "hH" and s[beg + 2] in "rR":
                i = 3
                while i < size and s[beg + i] != ">":
                    i += 1
                if i + 1 < size:
                    i += 1
                    w = is_empty(s, beg + i, end)
                    if w:
                        self.r.blockhtml(ob, s[beg : beg + i + w])
                        return i + w
            return 0
        i = 1
        while i < size:
            i += 1
            while i < size and not (s[beg + i - 1] == "<" and s[beg + i] == "/"):
                i += 1
            if i + 2 + len(tag) > size:
                break
            w = htmlblock_end(tag, s, beg + i - 1, end)
            if w:
                i += w - 1
                if tag == "html":  # the <html> tags themselves are left out
                    k = tag_length(s, beg, end)[0]
                    self.r.blockhtml(ob, s[beg + k : beg + i - w] if i - (w + k) > 0 else "")
                else:
                    self.r.blockhtml(ob, s[beg : beg + i])
                return i
        return 0

    def blockquote(self, ob: list[str], s: str, beg: int, end: int) -> int:
        size = end - beg
        pos = 0
        e = 0
        chunks: list[str] = []
        while pos < size:
            nl = s.find("\n", beg + pos, end)
            e = size if nl < 0 else nl - beg + 1
            pre = prefix_quote(s, beg + pos, beg + e)
            if pre:
                pos += pre
            elif is_empty(s, beg + pos, beg + e) and (
                e >= size or (not prefix_quote(s, beg + e, end) and not is_empty(s, beg + e, end))
            ):
                break
            if pos < e:
                chunks.append(s[beg + pos : beg + e])
            pos = e
        work = "".join(chunks)
        self.depth += 1
        out: list[str] = []
        if self.depth <= MAX_DEPTH:
            self.parse_block(out, work, 0, len(work))
        elif work:
            self.r.raw_text(out, work)
        self.r.blockquote(ob, "".join(out))
        self.depth -= 1
        return e

    def paragraph(self, ob: list[str], s: str, beg: int, end: int) -> int:
        size = end - beg
        i = 0
        e = 0
        level = 0
        while i < size:
            nl = s.find("\n", beg + i, end - 1) if size - i - 1 > 0 else -1
            e = size if nl < 0 else nl - beg + 1
            if is_empty(s, beg + i, end):
                break
            level = is_headerline(s, beg + i, end)
            if level:
                break
            if (i and s[beg + i] == "#") or is_hrule(s, beg + i, end):
                e = i
                break
            i = e
        work = i
        while work and s[beg + work - 1] == "\n":
            work -= 1
        if not level:
            self._paragraph(ob, s, beg, beg + work)
        else:
            wstart = beg
            if work:
                i = work
                work -= 1
                while work and s[beg + work] != "\n":
                    work -= 1
                hbeg = work + 1
                while work and s[beg + work - 1] == "\n":
                    work -= 1
                if work:
                    self._paragraph(ob, s, beg, beg + work)
                    wstart = beg + hbeg
                    work = i - hbeg
                else:
                    work = i
            self._header(ob, s, wstart, wstart + work, level)
        return e

    def _paragraph(self, ob: list[str], s: str, beg: int, end: int) -> None:
        self.depth += 1
        tmp: list[str] = []
        self.parse_inline(tmp, s, beg, end)
        self.r.paragraph(ob, "".join(tmp))
        self.depth -= 1

    def blockcode(self, ob: list[str], s: str, beg: int, end: int) -> int:
        size = end - beg
        pos = 0
        work: list[str] = []
        while pos < size:
            nl = s.find("\n", beg + pos, end - 1) if size - pos - 1 > 0 else -1
            e = size if nl < 0 else nl - beg + 1
            pre = prefix_code(s, beg + pos, beg + e)
            if pre:
                pos += pre
            elif not is_empty(s, beg + pos, beg + e):
                break
            if pos < e:
                work.append("\n" if is_empty(s, beg + pos, beg + e) else s[beg + pos : beg + e])
            pos = e
        self.r.blockcode(ob, "".join(work).rstrip("\n") + "\n")
        return pos

    def listitem(self, ob: list[str], s: str, beg: int, end: int, flags: list[int]) -> int:
        size = end - beg
        orgpre = 0
        if size > 1 and s[beg] == " ":
            orgpre = 1
            if size > 2 and s[beg + 1] == " ":
                orgpre = 2
                if size > 3 and s[beg + 2] == " ":
                    orgpre = 3
        p = prefix_uli(s, beg, end) or prefix_oli(s, beg, end)
        if not p:
            return 0
        nl = s.find("\n", beg + p - 1, end)
        e = size if nl < 0 else nl - beg + 1
        work = [s[beg + p : beg + e]]
        wlen = e - p
        pos = e
        sublist = 0
        in_empty = has_inside_empty = False
        while pos < size:
            nl = s.find("\n", beg + e, end)
            e = size if nl < 0 else nl - beg + 1
            if is_empty(s, beg + pos, beg + e):
                in_empty = True
                pos = e
                continue
            i = 0
            n = e - pos
            if n > 1 and s[beg + pos] == " ":
                i = 1
                if n > 2 and s[beg + pos + 1] == " ":
                    i = 2
                    if n > 3 and s[beg + pos + 2] == " ":
                        i = 3
                        if n > 3 and s[beg + pos + 3] == " ":
                            i = 4
            pre = i
            if s[beg + pos] == "\t":
                i, pre = 1, 8
            a, b = beg + pos + i, beg + e
            if (prefix_uli(s, a, b) and not is_hrule(s, a, b)) or prefix_oli(s, a, b):
                if in_empty:
                    has_inside_empty = True
                if pre == orgpre:
                    break
                if not sublist:
                    sublist = wlen
            elif in_empty and i < 4 and s[beg + pos] != "\t":
                flags[0] |= LI_END
                break
            elif in_empty:
                work.append("\n")
                wlen += 1
                has_inside_empty = True
            in_empty = False
            work.append(s[a:b])
            wlen += b - a
            pos = e
        text = "".join(work)
        self.depth += 2  # Fossil's work and inter buffers
        inter: list[str] = []
        if has_inside_empty:
            flags[0] |= LI_BLOCK
        if self.depth > MAX_DEPTH:
            # Fossil recurses on (its inline parser copies text from here
            # on); the item's text is shown as it is instead.
            self.r.raw_text(inter, text)
        else:
            first = self.parse_block if flags[0] & LI_BLOCK else self.parse_inline
            if sublist and sublist < len(text):
                first(inter, text, 0, sublist)
                self.parse_block(inter, text, sublist, len(text))
            else:
                first(inter, text, 0, len(text))
        self.r.listitem(ob, "".join(inter), flags[0])
        self.depth -= 2
        return pos

    def parse_list(self, ob: list[str], s: str, beg: int, end: int, flags0: int) -> int:
        flags = [flags0]
        self.depth += 1
        work: list[str] = []
        i = 0
        while i < end - beg:
            budget.check()
            j = self.listitem(work, s, beg + i, end, flags)
            i += j
            if not j or flags[0] & LI_END:
                break
        self.r.list_block(ob, "".join(work), flags[0])
        self.depth -= 1
        return i

    def table(self, ob: list[str], s: str, beg: int, end: int) -> int:
        size = end - beg
        self.depth += 1
        rows: list[str] = []
        head: list[str] | None = None
        aligns: list[int] = []
        i = s.find("\n", beg, end)
        i = size if i < 0 else i - beg
        head_end = i
        if i >= size:
            self.table_row(rows, s, beg, beg + size, aligns, 0)
            self.r.table(ob, None, "".join(rows))
            self.depth -= 1
            return i
        i += 1
        ncols = 0
        colons = False
        while i < size and s[beg + i] in " \t-:|":
            ncols += s[beg + i] == "|"
            colons = colons or s[beg + i] == ":"
            i += 1
        if i < size and s[beg + i] == "\n":
            ncols += 1
            self.depth += 1
            head = []
            self.table_row(head, s, beg, beg + head_end, aligns, CELL_HEAD)
            if colons:
                aligns = [0] * ncols
                col = 0
                i = head_end + 1
                while i < size and s[beg + i] in " \t":
                    i += 1
                if at(s, beg + i) == "|":
                    i += 1
                while i < size and s[beg + i] != "\n":
                    if s[beg + i] == ":":
                        aligns[col] |= ALIGN_LEFT
                    while i < size and s[beg + i] not in "|\n":
                        i += 1
                    if s[beg + i - 1] == ":":
                        aligns[col] |= ALIGN_RIGHT
                    if i < size and s[beg + i] == "|":
                        i += 1
                    col += 1
            i += 1
        else:
            i = 0
        while i < size and is_tableline(s, beg + i, end, self.skip_codespan):
            budget.check()
            i += self.table_row(rows, s, beg + i, end, aligns, 0)
        self.r.table(ob, None if head is None else "".join(head), "".join(rows))
        self.depth -= 1 if head is None else 2
        return i

    def table_row(self, ob: list[str], s: str, beg: int, end: int, aligns: list[int], flags: int) -> int:
        size = end - beg
        i = 0
        col = 0
        total = 0
        self.depth += 1
        cells: list[str] = []
        while i < size and s[beg + i] in " \t":
            i += 1
        if i < size and s[beg + i] == "|":
            i += 1
        while i < size and total == 0:
            align = 0
            if s[beg + i] == ":":
                align |= ALIGN_LEFT
                i += 1
            while i < size and s[beg + i] in " \t":
                i += 1
            cb = i
            while i < size and not is_table_sep(s, beg, beg + i) and s[beg + i] != "\n":
                if s[beg + i] == "`":
                    i = self.skip_codespan(s, beg + i, end) - beg
                else:
                    i += 1
            ce = i
            if i < size:
                i += 1
                if s[beg + i - 1] == "\n":
                    total = i
            if i > cb and s[beg + ce - 1] == ":":
                align |= ALIGN_RIGHT
                ce -= 1
            while ce > cb and s[beg + ce - 1] in " \t":
                ce -= 1
            if total and ce <= cb:
                continue
            if align == 0 and col < len(aligns):
                align = aligns[col]
            if ce >= cb:
                self.depth += 1
                span: list[str] = []
                self.parse_inline(span, s, beg + cb, beg + ce)
                self.r.table_cell(cells, "".join(span), align | flags)
                self.depth -= 1
            col += 1
        self.r.table_row(ob, "".join(cells), flags)
        self.depth -= 1
        return total if total else size

    # -- document -------------------------------------------------------------

    def first_pass(self, src: str) -> str:
        """Take out link and footnote definitions; return the text left."""
        size = len(src)
        out: list[str] = []
        labeled: list[Note] = []
        pos = 0
        while pos < size:
            if src[pos] in " [":
                e = is_ref(src, pos, size, self.refs)
                if e:
                    pos = e
                    continue
                note = is_footnote(src, pos, size)
                if note is not None:
                    pos, key, body, upc = note
                    labeled.append(Note(body, upc, key.encode("utf-8", "surrogateescape"), len(labeled)))
                    continue
            # Lines up to the next one that may hold a definition: each
            # "\n" stays, a "\r" becomes "\n" unless a "\n" follows it (or
            # nothing does).
            m = _DEF_LINE.search(src, pos)
            stop = size if m is None else m.end()
            chunk = src[pos:stop]
            if "\r" in chunk:
                chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
                if stop == size and src.endswith("\r"):
                    chunk = chunk[:-1]
            out.append(chunk)
            pos = stop
        self.refs.sort(key=lambda ref: ref[0])
        self.longest_ref = max((len(k) for k, _, _ in self.refs), default=0)
        self.notes = _join_duplicates(labeled)
        self.labeled = len(self.notes)
        return "".join(out)

    def footnotes(self, ob: list[str]) -> None:
        """Parse the referenced footnotes and render the list of them."""
        if not self.notes and not self.misref.used:
            return
        r = self.r
        self.depth += 2  # Fossil's notes and tmp buffers
        marks = -1
        rounds = 5
        while True:
            order = sorted(self.notes, key=_note_order)
            rounds -= 1
            if rounds < 0 or marks == self.marks:
                break
            marks = self.marks
            for note in order:
                budget.check()
                if note.rendered or not note.used:
                    continue
                tmp: list[str] = []
                self.parse_inline(tmp, note.text, 0, len(note.text))
                note.text = "".join(tmp)
                note.rendered = True
        items: list[str] = []
        done = 0
        for note in order:
            if not note.mark:
                break
            r.footnote_item(items, note, note.mark, note.used if note.rendered else 0)
            done += 1
        if self.misref.used:
            r.footnote_item(items, None, -1, self.misref.used)
        for note in order[done:]:
            r.footnote_item(items, note, 0, 0)
        r.footnotes(ob, "".join(items))
        self.depth -= 2


def _note_order(note: Note) -> tuple[int, int]:
    """Fossil's ``cmp_footnote_sort``: used notes by number, then the others by definition."""
    return (0, note.mark) if note.used else (1, note.defno)


def _join_duplicates(labeled: list[Note]) -> list[Note]:
    """The labeled notes sorted by id; notes with the same id joined into one
    (their texts as items of a ``<ul class='fn-joined'>``)."""
    labeled.sort(key=lambda n: (n.id, n.defno))
    out: list[Note] = []
    i = 0
    while i < len(labeled):
        x = labeled[i]
        j = i + 1
        while j < len(labeled) and labeled[j].id == x.id:
            j += 1
        if j > i + 1:
            parts = ["<ul class='fn-joined'>\n"]
            for y in labeled[i:j]:
                parts.append(f"<li>{y.upc}{y.text}</li>\n")
            parts.append("</ul>\n")
            x.text = "".join(parts)
            x.upc = ""
        x.index = len(out)
        out.append(x)
        i = j
    return out


def markdown(text: str, renderer: Any) -> str:
    """Parse Markdown ``text`` (Fossil's ``markdown()``) and return what ``renderer`` made."""
    p = Parser(renderer)
    body = p.first_pass(text)
    ob = renderer.output()
    renderer.prolog(ob)
    p.parse_block(ob, body, 0, len(body))
    p.footnotes(ob)
    renderer.epilog(ob)
    result: str = renderer.finish(ob)
    return result
