"""Hyperlink destinations in Markdown text, as Fossil 2.21's parser finds them.

Only what backlinks need: ``markdown_link_targets(text)`` returns, in
document order, the destination of every link Fossil's Markdown parser
(``src/markdown.c``) would render -- inline links ``[text](dest "title")``,
full/collapsed/shortcut reference links ``[text][id]`` / ``[id][]`` /
``[id]`` resolved through definitions ``[id]: dest "title"``.  Images,
autolinks ``<http://...>``, raw HTML, code spans, code blocks and HTML
blocks (``<html>``, ``<pre>``, ``<script>`` followed by a blank line after
the closing tag) yield nothing, but link text, emphasis, list items, block
quotes, headers, table cells and referenced footnotes are searched.

The block and inline grammar is Fossil's, not CommonMark's; in particular
reference ids are case-folded (ASCII) with runs of white space collapsed,
a backslash removes itself (not just before punctuation) inside an inline
destination, and indentation rules for lists follow Fossil.

Text positions are handled as in the C code: each function works on a span
``s[beg:end]`` of a string and may look at the character just past the
span, which is why spans are passed as (string, begin, end) and never
sliced.
"""

from __future__ import annotations

from fossilpy.markup.md_inline import MAX_DEPTH, InlineScanner
from fossilpy.markup.md_scan import (
    ALNUM,
    blockcode_length,
    htmlblock_end,
    is_empty,
    is_footnote,
    is_headerline,
    is_hrule,
    is_ref,
    is_table_sep,
    is_tableline,
    prefix_code,
    prefix_fenced,
    prefix_oli,
    prefix_quote,
    prefix_uli,
    skip_codespan,
)

_BLOCK_TAGS = ("html", "pre", "script")
_LI_END = 8
_LI_BLOCK = 2


class _Parser(InlineScanner):
    """Block structure of one Markdown document."""

    # -- blocks ---------------------------------------------------------------

    def block(self, s: str, beg: int, end: int) -> None:
        if beg >= end:
            return
        has_table = "|" in s[beg:end]
        pos = beg
        while pos < end:
            c = s[pos]
            if c == "#":
                pos += self.atxheader(s, pos, end)
            elif c == "<" and (n := self.htmlblock(s, pos, end)):
                pos += n
            elif n := is_empty(s, pos, end):
                pos += n
            elif is_hrule(s, pos, end):
                while pos < end and s[pos] != "\n":
                    pos += 1
                pos += 1
            elif prefix_quote(s, pos, end):
                pos += self.blockquote(s, pos, end)
            elif prefix_code(s, pos, end):
                pos += blockcode_length(s, pos, end)
            elif prefix_uli(s, pos, end):
                pos += self.list(s, pos, end, 0)
            elif prefix_oli(s, pos, end):
                pos += self.list(s, pos, end, 1)
            elif has_table and is_tableline(s, pos, end):
                pos += self.table(s, pos, end)
            elif prefix_fenced(s, pos, end) and (n := self.char_codespan(s, pos, end)):
                pos += n
            else:
                pos += self.paragraph(s, pos, end)

    def atxheader(self, s: str, beg: int, end: int) -> int:
        size = end - beg
        level = 0
        while level < size and level < 6 and s[beg + level] == "#":
            level += 1
        i = level
        while i < size and s[beg + i] in " \t":
            i += 1
        if i == level:
            return self.paragraph(s, beg, end)
        e = i
        while e < size and s[beg + e] != "\n":
            e += 1
        skip = e
        if e <= i:
            return self.paragraph(s, beg, end)
        while e and s[beg + e - 1] == "#":
            e -= 1
        while e and s[beg + e - 1] in " \t":
            e -= 1
        if e <= i:
            return self.paragraph(s, beg, end)
        self.inline(s, beg + i, beg + e)
        return skip

    def htmlblock(self, s: str, beg: int, end: int) -> int:
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
                        return i + w
            if size > 4 and s[beg + 1] in "hH" and s[beg + 2] in "rR":
                i = 3
                while i < size and s[beg + i] != ">":
                    i += 1
                if i + 1 < size:
                    i += 1
                    w = is_empty(s, beg + i, end)
                    if w:
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
                return i + w - 1
        return 0

    def blockquote(self, s: str, beg: int, end: int) -> int:
        size = end - beg
        pos = 0
        e = 0
        chunks: list[str] = []
        while pos < size:
            e = pos + 1
            while e < size and s[beg + e - 1] != "\n":
                e += 1
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
        if self.depth <= MAX_DEPTH:
            self.depth += 1
            self.block(work, 0, len(work))
            self.depth -= 1
        return e

    def paragraph(self, s: str, beg: int, end: int) -> int:
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
            self.inline(s, beg, beg + work)
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
                    self.inline(s, beg, beg + work)
                    wstart = beg + hbeg
                    work = i - hbeg
                else:
                    work = i
            self.inline(s, wstart, wstart + work)
        return e

    def listitem(self, s: str, beg: int, end: int, flags: list[int]) -> int:
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
        e = p
        while e < size and s[beg + e - 1] != "\n":
            e += 1
        work = [s[beg + p : beg + e]]
        wlen = e - p
        pos = e
        sublist = 0
        in_empty = has_inside_empty = False
        while pos < size:
            e += 1
            while e < size and s[beg + e - 1] != "\n":
                e += 1
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
                flags[0] |= _LI_END
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
        if self.depth > MAX_DEPTH:
            return pos
        if has_inside_empty:
            flags[0] |= _LI_BLOCK
        first = self.block if flags[0] & _LI_BLOCK else self.inline
        self.depth += 1
        if sublist and sublist < len(text):
            first(text, 0, sublist)
            self.block(text, sublist, len(text))
        else:
            first(text, 0, len(text))
        self.depth -= 1
        return pos

    def list(self, s: str, beg: int, end: int, flags0: int) -> int:
        flags = [flags0]
        i = 0
        while i < end - beg:
            j = self.listitem(s, beg + i, end, flags)
            i += j
            if not j or flags[0] & _LI_END:
                break
        return i

    def table(self, s: str, beg: int, end: int) -> int:
        size = end - beg
        i = 0
        while i < size and s[beg + i] != "\n":
            i += 1
        head_end = i
        if i >= size:
            self.table_row(s, beg, beg + size)
            return i
        i += 1
        while i < size and s[beg + i] in " \t-:|":
            i += 1
        if i < size and s[beg + i] == "\n":
            self.table_row(s, beg, beg + head_end)
            i += 1
        else:
            i = 0
        while i < size and is_tableline(s, beg + i, end):
            i += self.table_row(s, beg + i, end)
        return i

    def table_row(self, s: str, beg: int, end: int) -> int:
        size = end - beg
        i = 0
        total = 0
        while i < size and s[beg + i] in " \t":
            i += 1
        if i < size and s[beg + i] == "|":
            i += 1
        while i < size and total == 0:
            if s[beg + i] == ":":
                i += 1
            while i < size and s[beg + i] in " \t":
                i += 1
            cb = i
            while i < size and not is_table_sep(s, beg, beg + i) and s[beg + i] != "\n":
                if s[beg + i] == "`":
                    i = skip_codespan(s, beg + i, end) - beg
                else:
                    i += 1
            ce = i
            if i < size:
                i += 1
                if s[beg + i - 1] == "\n":
                    total = i
            if i > cb and s[beg + ce - 1] == ":":
                ce -= 1
            while ce > cb and s[beg + ce - 1] in " \t":
                ce -= 1
            if total and ce <= cb:
                continue
            if ce >= cb:
                self.inline(s, beg + cb, beg + ce)
        return total if total else size

    # -- document -------------------------------------------------------------

    def document(self, src: str) -> list[str]:
        size = len(src)
        out: list[str] = []
        pos = 0
        while pos < size:
            e = is_ref(src, pos, size, self.refs)
            if e:
                pos = e
                continue
            note = is_footnote(src, pos, size)
            if note is not None:
                pos, key, body = note
                if key not in self.labeled:
                    self.labeled[key] = len(self.notes)
                    self.notes.append({"text": body, "used": 0, "mark": 0, "done": False})
                else:  # Fossil joins the texts of notes with the same id
                    joined = self.notes[self.labeled[key]]
                    joined["text"] += "\n" + body
                continue
            e = pos
            while e < size and src[e] not in "\n\r":
                e += 1
            if e > pos:
                out.append(src[pos:e])
            while e < size and src[e] in "\n\r":
                if src[e] == "\n" or (e + 1 < size and src[e + 1] != "\n"):
                    out.append("\n")
                e += 1
            pos = e
        text = "".join(out)
        self.refs.sort(key=lambda ref: ref[0])
        self.longest_ref = max((len(k) for k, _ in self.refs), default=0)
        self.block(text, 0, len(text))
        # Referenced footnotes are parsed afterwards; new references found
        # while doing so are followed a few rounds deep, as Fossil does.
        if self.notes:
            marks = -1
            depth = 5
            while True:
                depth -= 1
                if depth < 0 or marks == self.marks:
                    break
                marks = self.marks
                order = sorted(
                    range(len(self.notes)),
                    key=lambda k: (0, self.notes[k]["mark"]) if self.notes[k]["used"]
                    else (1, k),
                )
                for k in order:
                    note = self.notes[k]
                    if note["done"] or not note["used"]:
                        continue
                    body = note["text"]
                    self.inline(body, 0, len(body))
                    note["done"] = True
        return self.links


def markdown_link_targets(text: str) -> list[str]:
    """Destinations of the links in Markdown ``text``, in the order found."""
    return _Parser().document(text.split("\x00", 1)[0])
