"""Markdown to safe HTML, for :mod:`fossilpy.markup.wikirender`.

Markdown: ATX and setext headings, paragraphs, emphasis, code spans,
fenced and indented code, block quotes, lists, rules, pipe tables, links,
images and autolinks.  Lists follow Fossil's ``src/markdown.c``
(``parse_listitem``): an item is ``-``, ``*``, ``+`` or ``N.``/``N)`` after
0-3 spaces; a later marker line at the same indent starts the next item, at
another indent a sublist; other lines are lazy continuation text, except
that after a blank line only lines indented 4+ spaces (or a tab) continue
the item; a blank line inside any item makes the items from then on
paragraphs (``<li><p>``), as in Fossil.

Raw HTML in the source is escaped, not interpreted.  Output goes through
wikirender's size limit and the request's budget (see wikirender's
docstring): every block loop here consumes at least one line per turn,
and a block parser that would not is ignored (the line becomes paragraph
text), so a grammar mistake degrades to plain text instead of spinning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from fossilpy import budget
from fossilpy.markup.wikirender import (
    _Sink,
    _text,
    _TooLarge,
    clean_text,
    output_limit,
    render_plain,
    safe_url,
)

_MD_TICKS = re.compile(r"`+")
_MD_IMG = re.compile(r"!\[([^\[\]]*)\]\(\s*([^()\s\[\]]+)(?:\s+\"([^\"]*)\")?\s*\)")
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\(\s*([^()\s\[\]]+)(?:\s+\"([^\"]*)\")?\s*\)")
_MD_AUTO = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>")
#: ``**strong**`` / ``__strong__``: the text may not hold the delimiter
#: pair itself, so an attempt never scans past the next "**" (linear).
_MD_STRONG = re.compile(
    r"\*\*(?=\S)((?:[^\n*]|\*(?!\*)){1,300}?)(?<=\S)\*\*|__(?=\S)((?:[^\n_]|_(?!_)){1,300}?)(?<=\S)__"
)
#: ``*em*`` / ``_em_``; runs after _MD_STRONG on escaped text, where "<" can
#: only start a tag made here, so excluding it keeps tags nested properly.
_MD_EM = re.compile(r"(?<![*\w])([*_])(?=[^\s*_<])([^\n*_<]{1,300}?)(?<=\S)\1(?![*\w])")
_SLOT = re.compile(r"\x00(\d+)\x00")


def _code_spans(text: str, keep: Callable[[str, str], str]) -> str:
    """Replace each code span by ``keep(html, source)``, in one pass over the text.

    A run of N backticks opens a span that ends at the next run of exactly
    N backticks; a run with no such partner is literal text.  For every
    run length a cursor moves forward only, so the scan is linear (the
    regular expression ``(`+)(.+?)\\1`` it replaces was cubic).
    """
    runs = [(m.start(), m.end()) for m in _MD_TICKS.finditer(text)]
    if len(runs) < 2:
        return text
    by_len: dict[int, list[int]] = {}
    for idx, (start, end) in enumerate(runs):
        by_len.setdefault(end - start, []).append(idx)
    cursor: dict[int, int] = {}
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(runs):
        start, end = runs[i]
        size = end - start
        same = by_len[size]
        c = cursor.get(size, 0)
        while c < len(same) and same[c] <= i:
            c += 1
        cursor[size] = c
        if c == len(same):
            i += 1
            continue
        j = same[c]
        close_start, close_end = runs[j]
        out.append(text[pos:start])
        out.append(keep(f"<code>{escape(text[end:close_start].strip(), quote=False)}</code>", text[start:close_end]))
        pos = close_end
        i = j + 1
    out.append(text[pos:])
    return "".join(out)


def _md_inline(text: str, top: str, links: bool, slots: list[tuple[str, str]] | None = None) -> str:
    """Inline Markdown; code spans and links are cut out before escaping.

    Cut-out HTML waits in ``slots`` (with the source it came from) as
    ``NUL index NUL`` (the input never holds a NUL: :func:`clean_text`
    removed them); a link label is rendered with the same ``slots``, so
    spans inside it resolve.  A URL or alt text takes the source back
    (a placeholder must not reach an attribute).
    """
    if not text:
        return ""
    if slots is None:
        slots = []

    def keep(html: str, source: str = "") -> str:
        slots.append((html, source))
        return f"\x00{len(slots) - 1}\x00"

    def source(s: str) -> str:
        return _SLOT.sub(lambda m: slots[int(m.group(1))][1], s) if "\x00" in s else s

    text = _code_spans(text, keep)

    def img(m: re.Match[str]) -> str:
        alt = source(m.group(1))
        url = safe_url(source(m.group(2)), top)
        if url is None:
            return keep(_text(alt), m.group(0))
        return keep(f'<img src="{escape(url, quote=True)}" alt="{escape(alt, quote=True)}">', source(m.group(0)))

    def link(m: re.Match[str]) -> str:
        label = _md_inline(m.group(1), top, links, slots)
        url = safe_url(source(m.group(2)), top)
        if url is None or not links:
            return keep(label, source(m.group(0)))
        return keep(f'<a href="{escape(url, quote=True)}">{label}</a>', source(m.group(0)))

    def auto(m: re.Match[str]) -> str:
        url = source(m.group(1))
        shown = escape(url)
        return keep(f'<a href="{escape(url, quote=True)}">{shown}</a>' if links else shown, source(m.group(0)))

    text = _MD_IMG.sub(img, text)
    text = _MD_LINK.sub(link, text)
    text = _MD_AUTO.sub(auto, text)
    html = _text(text)
    html = _MD_STRONG.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", html)
    html = _MD_EM.sub(r"<em>\2</em>", html)
    html = html.replace("  \n", "<br>\n")
    return _SLOT.sub(lambda m: slots[int(m.group(1))][0], html)


_MD_FENCE = re.compile(r"^ {0,3}(```+|~~~+)\s*([\w+-]*)")
_MD_HEAD = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_MD_HR = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
#: List item markers with what follows them up to the text (Fossil's
#: prefix_uli and prefix_oli): 0-3 spaces, the marker, a space or tab.
_MD_ULI = re.compile(r" {0,3}[*+-][ \t][ \t]*")
_MD_OLI = re.compile(r" {0,3}[0-9]+[.)][ \t][ \t]*")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")

#: Deepest nesting of block quotes and lists rendered as such.
MAX_DEPTH = 16
#: parse_listitem flags: items are paragraphs from now on; the list ended.
_LI_BLOCK, _LI_END = 1, 2


def render_markdown(text: str, top: str = "", links: bool = True) -> str:
    """Markdown to safe HTML (raw HTML in the source is shown as text)."""
    text = clean_text(text)
    out = _Sink(output_limit(text, top))
    try:
        _md_blocks(text.replace("\r\n", "\n").split("\n"), _Md(top, links), 0, out)
    except _TooLarge:
        return render_plain(text)
    return out.html()


class _Md:
    """What every Markdown block of one rendering needs."""

    __slots__ = ("top", "links")

    def __init__(self, top: str, links: bool) -> None:
        self.top = top
        self.links = links

    def inline(self, text: str) -> str:
        return _md_inline(text, self.top, self.links)


#: A block parser: (lines, index of a non-blank line, context, depth) ->
#: (HTML, index after the block), or None when the line does not start one.
_Block = Callable[[list[str], int, _Md, int], "tuple[str, int] | None"]


def _md_blocks(lines: list[str], md: _Md, depth: int = 0, sink: _Sink | None = None) -> str:
    """Render ``lines`` as blocks; into ``sink`` (the top level) or as the returned text.

    Progress invariant: every turn of the loop consumes at least one line.
    A block parser that claims a line but ends at or before it is ignored
    and the line becomes paragraph text.
    """
    if depth > MAX_DEPTH:
        return f"<p>{md.inline(chr(10).join(lines))}</p>\n"
    out: list[str] = []
    add = sink.add if sink is not None else out.append
    para: list[str] = []

    def flush() -> None:
        if para:
            add(f"<p>{md.inline(chr(10).join(para))}</p>\n")
            para.clear()

    i = 0
    while i < len(lines):
        budget.check()
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        if para and _MD_SETEXT.match(line):
            n = 1 if line.strip()[0] == "=" else 2
            add(f"<h{n}>{md.inline(chr(10).join(para))}</h{n}>\n")
            para.clear()
            i += 1
            continue
        found = None
        for parse in _BLOCKS:
            if parse is _md_code and para:
                continue  # an indented line continues a paragraph
            found = parse(lines, i, md, depth)
            if found is not None:
                break
        if found is None or found[1] <= i:  # no block, or one that consumed nothing
            para.append(line.strip())
            i += 1
            continue
        flush()
        add(found[0])
        i = found[1]
    flush()
    return "".join(out)


def _md_fence(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    m = _MD_FENCE.match(lines[i])
    if not m:
        return None
    fence = m.group(1)
    j = i + 1
    while j < len(lines) and not lines[j].strip().startswith(fence):
        j += 1
    return f"<pre><code>{escape(chr(10).join(lines[i + 1 : j]), quote=False)}</code></pre>\n", j + 1


def _md_heading(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    m = _MD_HEAD.match(lines[i])
    if not m:
        return None
    n = len(m.group(1))
    return f"<h{n}>{md.inline(_heading_text(m.group(2) or ''))}</h{n}>\n", i + 1


def _md_rule(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    return ("<hr>\n", i + 1) if _MD_HR.match(lines[i]) else None


def _md_quote(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    j = i
    while j < len(lines) and lines[j].lstrip().startswith(">"):
        j += 1
    if j == i:
        return None
    quoted = [re.sub(r"^\s*> ?", "", ln) for ln in lines[i:j]]
    return f"<blockquote>{_md_blocks(quoted, md, depth + 1)}</blockquote>\n", j


def _md_code(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    j = i
    while j < len(lines) and (lines[j].startswith(("    ", "\t")) or not lines[j].strip()):
        j += 1
    if j == i:
        return None
    code = "\n".join(ln[4:] if ln.startswith("    ") else ln[1:] for ln in lines[i:j])
    return f"<pre><code>{escape(code.rstrip(), quote=False)}</code></pre>\n", j


def _md_list(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    """A list (Fossil's parse_list): items until one ends the list or no item follows."""
    if _MD_ULI.match(lines[i]):
        tag = "ul"
    elif _MD_OLI.match(lines[i]):
        tag = "ol"
    else:
        return None
    items: list[str] = []
    flags = 0
    j = i
    while j < len(lines) and (_MD_ULI.match(lines[j]) or _MD_OLI.match(lines[j])):
        budget.check()
        work, sub, j, flags = _md_listitem(lines, j, flags)
        if flags & _LI_BLOCK:
            inner = _md_blocks(work[:sub], md, depth + 1) + _md_blocks(work[sub:], md, depth + 1)
        elif sub < len(work):
            inner = md.inline("\n".join(work[:sub])) + "\n" + _md_blocks(work[sub:], md, depth + 1)
        else:
            inner = md.inline("\n".join(work))
        items.append(f"<li>{inner.rstrip(chr(10))}</li>\n")
        if flags & _LI_END:
            break
    return f"<{tag}>\n{''.join(items)}</{tag}>\n", j


def _md_listitem(lines: list[str], i: int, flags: int) -> tuple[list[str], int, int, int]:
    """One item at ``lines[i]`` (Fossil's parse_listitem).

    Returns the item's lines without their indent, the index in them where
    a sublist starts (their length if none), the index of the line after
    the item, and the list's flags.  Always consumes ``lines[i]``.
    """
    first = lines[i]
    orgpre = len(first) - len(first.lstrip(" "))
    m = _MD_ULI.match(first) or _MD_OLI.match(first)
    work = [first[m.end() :] if m else first.strip()]
    sub = 0
    in_empty = inside_empty = False
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if not line.strip():
            in_empty = True
            j += 1
            continue
        ind = pre = min(4, len(line) - len(line.lstrip(" ")))
        if line[0] == "\t":
            ind, pre = 1, 8
        rest = line[ind:]
        if (_MD_ULI.match(rest) and not _MD_HR.match(rest)) or _MD_OLI.match(rest):
            inside_empty = inside_empty or in_empty
            if pre == orgpre:
                break  # the next item of this list
            sub = sub or len(work)
        elif in_empty and ind < 4 and line[0] != "\t":
            flags |= _LI_END  # only indented lines continue an item after a blank
            break
        elif in_empty:
            work.append("")
            inside_empty = True
        in_empty = False
        work.append(rest)
        j += 1
    if inside_empty:
        flags |= _LI_BLOCK
    return work, sub or len(work), j, flags


def _md_table(lines: list[str], i: int, md: _Md, depth: int) -> tuple[str, int] | None:
    line = lines[i]
    if not ("|" in line and i + 1 < len(lines) and "-" in lines[i + 1] and _MD_TABLE_SEP.match(lines[i + 1])):
        return None
    th = "".join(f"<th>{md.inline(c)}</th>" for c in _cells(line))
    j = i + 2
    rows = []
    while j < len(lines) and "|" in lines[j] and lines[j].strip():
        rows.append("<tr>" + "".join(f"<td>{md.inline(c)}</td>" for c in _cells(lines[j])) + "</tr>\n")
        j += 1
    return f"<table class=\"md-table\">\n<thead><tr>{th}</tr></thead>\n<tbody>\n{''.join(rows)}</tbody></table>\n", j


#: Block parsers in the order they are tried; a line none of them claims is
#: paragraph text.
_BLOCKS: tuple[_Block, ...] = (_md_fence, _md_heading, _md_rule, _md_quote, _md_code, _md_list, _md_table)


def _heading_text(text: str) -> str:
    """An ATX heading's text without its closing run of "#" (string ops, no backtracking)."""
    text = text.strip()
    bare = text.rstrip("#")
    if not bare:
        return ""
    if len(bare) < len(text) and bare[-1] in " \t":
        return bare.rstrip()
    return text


#: Table cells per row; the rest of a longer row stays in the last cell.
MAX_CELLS = 100


def _cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|", MAX_CELLS - 1)]
