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

Markdown: ATX and setext headings, paragraphs, emphasis, code spans,
fenced and indented code, block quotes, lists, rules, pipe tables, links,
images and autolinks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from urllib.parse import quote

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
    out: list[str] = []
    pos = 0
    for m in _VERBATIM.finditer(text):
        out.append(_wiki_blocks(text[pos : m.start()], tags, top, links))
        kind = m.group(1).lower()
        if kind in ("verbatim", "pre"):
            out.append(tags.close_all())
            out.append(f"<pre>{escape(m.group(2).strip(chr(10)), quote=False)}</pre>\n")
        else:
            out.append(_inline_wiki(m.group(2), tags, top, links))
        pos = m.end()
    out.append(_wiki_blocks(text[pos:], tags, top, links))
    out.append(tags.close_all())
    return "".join(out)


def _wiki_blocks(text: str, tags: _Tags, top: str, links: bool) -> str:
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(_BULLET.match(ln) for ln in lines if ln.strip()):
            items = [_BULLET.match(ln) for ln in lines if ln.strip()]
            kind = "ol" if items[0].group(1) == "#" else "ul"  # type: ignore[union-attr]
            out.append(f"<{kind}>")
            for it in items:
                out.append(f"<li>{_inline_wiki(it.group(2), tags, top, links)}</li>")  # type: ignore[union-attr]
            out.append(f"</{kind}>\n")
            continue
        body = _inline_wiki(block.strip("\n"), tags, top, links)
        first = block.lstrip()
        m = _TAG.match(first)
        if m and m.group(2).lower() in BLOCK_TAGS:
            out.append(body + "\n")
        elif block.startswith(("  ", "\t")):
            out.append(f"<blockquote>{body}</blockquote>\n")
        else:
            out.append(f"<p>{body}</p>\n")
    return "".join(out)


#: What makes inline text more than escaped text: tags, entities, links, controls.
_INLINE_MARKUP = re.compile(r"[<&\[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render_inline(text: str, top: str = "", links: bool = True) -> str:
    """A check-in comment or title: wiki links and inline tags only, no paragraphs."""
    if not _INLINE_MARKUP.search(text):  # most comments: plain text
        return escape(text, quote=False)
    text = clean_text(text)
    tags = _Tags(top, links, allowed=INLINE_TAGS)
    return _inline_wiki(text, tags, top, links) + tags.close_all()


# -- Markdown ------------------------------------------------------------

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


def _code_spans(text: str, keep: Callable[[str], str]) -> str:
    """Replace each code span by ``keep(html)``, in one pass over the text.

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
        out.append(keep(f"<code>{escape(text[end:close_start].strip(), quote=False)}</code>"))
        pos = close_end
        i = j + 1
    out.append(text[pos:])
    return "".join(out)


def _md_inline(text: str, top: str, links: bool, slots: list[str] | None = None) -> str:
    """Inline Markdown; code spans and links are cut out before escaping.

    Cut-out HTML waits in ``slots`` as ``NUL index NUL`` (the input never
    holds a NUL: :func:`clean_text` removed them); a link label is
    rendered with the same ``slots``, so spans inside it resolve.
    """
    if not text:
        return ""
    if slots is None:
        slots = []

    def keep(html: str) -> str:
        slots.append(html)
        return f"\x00{len(slots) - 1}\x00"

    text = _code_spans(text, keep)

    def img(m: re.Match[str]) -> str:
        url = safe_url(m.group(2), top)
        if url is None:
            return keep(_text(m.group(1)))
        return keep(f'<img src="{escape(url, quote=True)}" alt="{escape(m.group(1), quote=True)}">')

    def link(m: re.Match[str]) -> str:
        label = _md_inline(m.group(1), top, links, slots)
        url = safe_url(m.group(2), top)
        if url is None or not links:
            return keep(label)
        return keep(f'<a href="{escape(url, quote=True)}">{label}</a>')

    text = _MD_IMG.sub(img, text)
    text = _MD_LINK.sub(link, text)
    text = _MD_AUTO.sub(
        lambda m: keep(f'<a href="{escape(m.group(1), quote=True)}">{escape(m.group(1))}</a>' if links else escape(m.group(1))),
        text,
    )
    html = _text(text)
    html = _MD_STRONG.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", html)
    html = _MD_EM.sub(r"<em>\2</em>", html)
    html = html.replace("  \n", "<br>\n")
    return _SLOT.sub(lambda m: slots[int(m.group(1))], html)


_MD_FENCE = re.compile(r"^ {0,3}(```+|~~~+)\s*([\w+-]*)")
_MD_HEAD = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_MD_HR = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_MD_ITEM = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])\s+(.*)$")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")


def render_markdown(text: str, top: str = "", links: bool = True) -> str:
    """Markdown to safe HTML (raw HTML in the source is shown as text)."""
    lines = clean_text(text).replace("\r\n", "\n").split("\n")
    return _md_blocks(lines, top, links)


#: Deepest nesting of block quotes and lists rendered as such.
MAX_DEPTH = 16


def _md_blocks(lines: list[str], top: str, links: bool, depth: int = 0) -> str:
    if depth > MAX_DEPTH:
        return f"<p>{_md_inline(chr(10).join(lines), top, links)}</p>\n"
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            out.append(f"<p>{_md_inline(chr(10).join(para), top, links)}</p>\n")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        m = _MD_FENCE.match(line)
        if m:
            flush()
            fence = m.group(1)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            i += 1
            out.append(f"<pre><code>{escape(chr(10).join(body), quote=False)}</code></pre>\n")
            continue
        m = _MD_HEAD.match(line)
        if m:
            flush()
            n = len(m.group(1))
            out.append(f"<h{n}>{_md_inline(_heading_text(m.group(2) or ''), top, links)}</h{n}>\n")
            i += 1
            continue
        if para and re.match(r"^ {0,3}(=+|-+)\s*$", line):
            n = 1 if line.strip()[0] == "=" else 2
            heading = _md_inline(chr(10).join(para), top, links)
            para.clear()
            out.append(f"<h{n}>{heading}</h{n}>\n")
            i += 1
            continue
        if _MD_HR.match(line):
            flush()
            out.append("<hr>\n")
            i += 1
            continue
        if line.lstrip().startswith(">"):
            flush()
            quoted = []
            while i < len(lines) and lines[i].lstrip().startswith(">"):
                quoted.append(re.sub(r"^\s*> ?", "", lines[i]))
                i += 1
            out.append(f"<blockquote>{_md_blocks(quoted, top, links, depth + 1)}</blockquote>\n")
            continue
        if line.startswith(("    ", "\t")) and not para:
            code = []
            while i < len(lines) and (lines[i].startswith(("    ", "\t")) or not lines[i].strip()):
                code.append(lines[i][4:] if lines[i].startswith("    ") else lines[i][1:])
                i += 1
            out.append(f"<pre><code>{escape(chr(10).join(code).rstrip(), quote=False)}</code></pre>\n")
            continue
        m = _MD_ITEM.match(line)
        if m:
            flush()
            ordered = m.group(2)[0].isdigit()
            items: list[list[str]] = []
            while i < len(lines):
                m = _MD_ITEM.match(lines[i])
                if m and not m.group(1) and m.group(2)[0].isdigit() == ordered:
                    items.append([m.group(3)])
                elif m and not m.group(1):
                    break
                elif lines[i].strip() and (lines[i].startswith("  ") or not _starts_block(lines[i])) and items:
                    items[-1].append(lines[i].strip() if not lines[i].startswith("    ") else lines[i][2:])
                elif not lines[i].strip() and i + 1 < len(lines) and (_MD_ITEM.match(lines[i + 1]) or lines[i + 1].startswith("  ")):
                    pass
                else:
                    break
                i += 1
            tag = "ol" if ordered else "ul"
            body = "".join(f"<li>{_md_item(it, top, links, depth)}</li>\n" for it in items)
            out.append(f"<{tag}>\n{body}</{tag}>\n")
            continue
        if "|" in line and i + 1 < len(lines) and _MD_TABLE_SEP.match(lines[i + 1]) and "-" in lines[i + 1]:
            flush()
            head = _cells(line)
            i += 2
            rows = []
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            th = "".join(f"<th>{_md_inline(c, top, links)}</th>" for c in head)
            trs = "".join(
                "<tr>" + "".join(f"<td>{_md_inline(c, top, links)}</td>" for c in r) + "</tr>\n" for r in rows
            )
            out.append(f"<table class=\"md-table\">\n<thead><tr>{th}</tr></thead>\n<tbody>\n{trs}</tbody></table>\n")
            continue
        para.append(line.strip())
        i += 1
    flush()
    return "".join(out)


def _heading_text(text: str) -> str:
    """An ATX heading's text without its closing run of "#" (string ops, no backtracking)."""
    text = text.strip()
    bare = text.rstrip("#")
    if not bare:
        return ""
    if len(bare) < len(text) and bare[-1] in " \t":
        return bare.rstrip()
    return text


def _starts_block(line: str) -> bool:
    return bool(_MD_HEAD.match(line) or _MD_FENCE.match(line) or _MD_HR.match(line) or line.lstrip().startswith(">"))


def _md_item(lines: list[str], top: str, links: bool, depth: int) -> str:
    if len(lines) > 1 and any(_MD_ITEM.match(x) for x in lines[1:]):
        return _md_inline(lines[0], top, links) + _md_blocks(lines[1:], top, links, depth + 1)
    return _md_inline("\n".join(lines), top, links)


#: Table cells per row; the rest of a longer row stays in the last cell.
MAX_CELLS = 100


def _cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|", MAX_CELLS - 1)]


# -- entry point ---------------------------------------------------------


def render(text: str, mimetype: str = "text/x-fossil-wiki", top: str = "", links: bool = True) -> str:
    """``text`` of the given wiki MIME type as safe HTML."""
    mimetype = (mimetype or "text/x-fossil-wiki").split(";")[0].strip().lower()
    if mimetype in ("text/x-markdown", "text/markdown"):
        return render_markdown(text, top, links)
    if mimetype == "text/plain":
        return f"<pre class=\"textplain\">{escape(clean_text(text), quote=False)}</pre>\n"
    return render_fossil_wiki(text, top, links)
