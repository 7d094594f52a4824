"""The text search sees of each document (Fossil 2.21 ``search_stext`` in ``src/search.c``).

A document's *search text* is its title on the first line, then its body:

* ``c`` a check-in: an empty title, then the comment with
  ``(user: U, tags: T1,T2)`` appended, rendered as Fossil wiki and reduced
  to plain text (unless ``timeline-plaintext``);
* ``w`` wiki, ``e`` technote, ``f`` forum post: the artifact's text by its
  mimetype (a forum post as ``<h1>TITLE</h1>`` and ``From USER:``);
* ``t`` a ticket: the ``title`` column, then ``NAME: VALUE |`` for every
  other text column of the ticket row and of each ``ticketchng`` row
  (``tkt_*`` and ``private_*`` columns left out);
* ``d`` an embedded document: by the mimetype of its file name.

HTML becomes text as Fossil's ``html_to_plaintext`` (``src/wikiformat.c``)
does: tags dropped, block tags start a line, runs of blanks become one,
``&amp; &lt; &gt; &nbsp;`` decoded and any other entity a ``?``.

A Markdown document's title is a level-1 heading that comes before
anything else (its inner HTML, as Fossil's ``markdown_to_html`` gives it).
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from fossilpy.artifact.manifest import ArtifactType, parse_or_none
from fossilpy.errors import FossilError
from fossilpy.markup.sanitize import BLOCK, MARKUP_TYPES, TABLE
from fossilpy.text import html_escape

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

_SPACE = frozenset(" \t\n\v\f\r")
_WIKI_MIMETYPES = ("text/x-fossil-wiki", "text/x-markdown", "text/plain")


#: Fossil's ``html_tag_length``: "<", an optional "/", a name (a letter, then letters, digits and
#: "-"), then "/>" or a blank or ">" and anything up to the first ">" outside quotes.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:/>|(?=[> \t\n\v\f\r])(?:[^>\"']|\"[^\"]*\"|'[^']*')*+>)")
#: ``html_token_length`` for what is not a tag: a run of blanks, an entity, a run of other text.
_TOKEN = re.compile(r"[ \t\n\v\f\r]+|&#?[0-9A-Za-z]*;?|[^<& \t\n\v\f\r]+")
#: A tag's name as ``html_to_plaintext`` reads it (at most 30 letters and digits).
_TAG_NAME = re.compile(r"[0-9A-Za-z]{0,30}")


def _tag_length(z: str, i: int) -> int:
    """Fossil's ``html_tag_length`` of the markup at ``z[i]`` ("<"): 0 if it is not a tag."""
    m = _TAG.match(z, i)
    return m.end() - i if m else 0


def _token_length(z: str, i: int) -> int:
    """Fossil's ``html_token_length``: a tag, a run of blanks, an entity or a run of text."""
    if z[i] == "<":
        return max(_tag_length(z, i), 1)
    m = _TOKEN.match(z, i)
    return m.end() - i if m else 1


_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " "}


def html_to_plaintext(z: str, out: list[str]) -> None:
    """Append the text of HTML ``z`` to ``out`` (Fossil's ``html_to_plaintext``)."""
    in_title = seen_text = False
    n_nl = 0
    n_ws = False
    size = len(z)
    i = 0
    while i < size and z[i] in _SPACE:
        i += 1
    tag_match, token_match = _TAG.match, _TOKEN.match
    while i < size:
        c = z[i]
        if c == "<":
            m = tag_match(z, i)
            n = m.end() - i if m else 1
        else:
            m = token_match(z, i)
            n = m.end() - i if m else 1
        if c == "<" and n > 1:
            close = z[i + 1] == "/"
            name = _TAG_NAME.match(z, i + 1 + close).group().lower()  # type: ignore[union-attr]
            known = name in MARKUP_TYPES
            if not known and z[i : i + 6].lower() == "<style":
                i += n
                while i < size:
                    n = _token_length(z, i)
                    if z[i : i + 7].lower() == "</style":
                        break
                    i += n
                if i < size and z[i] == "<":
                    i += n
                continue
            if name == "title":
                in_title = not close
            if not close and seen_text and MARKUP_TYPES.get(name, 0) & (BLOCK | TABLE):
                if n_nl == 0:
                    out.append("\n")
                    n_nl += 1
                n_ws = True
        elif c in _SPACE:
            if seen_text:
                n_nl = 0
                if not in_title:
                    n_nl = z.count("\n", i, i + n)
                if not n_ws:
                    out.append("\n" if n_nl else " ")
                    n_ws = True
        elif c == "&":
            ch = "?"  # Fossil's atoi("#...") is 0: a numeric entity is always "?"
            if z[i + 1 : i + 2] != "#":
                ch = _ENTITIES.get(z[i : i + n], "?")
            if ch in _SPACE:
                if not n_ws and seen_text:
                    out.append(ch)
                n_ws = True
                n_nl = ch == "\n"
            else:
                if not seen_text and not in_title:
                    out.append("\n")
                seen_text = True
                n_nl = 0
                n_ws = False
                out.append(ch)
        else:
            if not seen_text and not in_title:
                out.append("\n")
            seen_text = True
            n_nl = 0
            n_ws = False
            out.append(z[i : i + n])
        i += n
    if n_nl == 0:
        out.append("\n")


def find_title(text: str) -> tuple[str, str] | None:
    """Fossil's ``wiki_find_title``: (title, rest) for text starting with ``<title>``, else None."""
    i = 0
    while i < len(text) and text[i] in _SPACE:
        i += 1
    if text[i : i + 7] != "<title>":
        return None
    start = i + 7
    while start < len(text) and text[start] in _SPACE:
        start += 1
    end = text.find("</title>", start)
    if end < 0:
        return "", text[start:]
    return text[start:end], text[end + 8 :]


def by_mimetype(text: str, mimetype: str | None, out: list[str]) -> None:
    """Fossil's ``get_stext_by_mimetype``: title line, then the body's text."""
    from fossilpy.markup import wikirender

    mimetype = mimetype or "text/plain"
    if mimetype == "text/x-fossil-wiki":
        found = find_title(text)
        if found is not None:
            out.append(found[0] + "\n")
            text = found[1]
        else:
            out.append("\n")
        html_to_plaintext(wikirender.render_fossil_wiki(text, links=False), out)
    elif mimetype == "text/x-markdown":
        html = wikirender.render_markdown(text, links=False)
        title = ""
        if html.startswith(("<h1>", "<h1 ")) and "</h1>" in html:
            # Fossil's markdown_to_html: a level-1 heading that comes first is the title
            head, _, html = html.partition("</h1>")
            title = head[head.index(">") + 1 :]
        out.append(title + "\n")
        html_to_plaintext(html, out)
    elif mimetype == "text/html":
        html_to_plaintext(text, out)
    else:
        out.append("\n")
        out.append(text)


def _wiki_mimetype(mimetype: str | None) -> str:
    """Fossil's ``wiki_filter_mimetypes`` (the short names: markdown, plain, wiki)."""
    short = {"wiki": "text/x-fossil-wiki", "markdown": "text/x-markdown", "plain": "text/plain"}
    if mimetype in short:
        return short[mimetype]
    if mimetype in _WIKI_MIMETYPES:
        return mimetype
    return "text/x-fossil-wiki"


def _ticket_fields(out: list[str], cursor: sqlite3.Cursor, row: tuple[object, ...], title: int) -> None:
    """Fossil's ``append_all_ticket_fields``."""
    columns = [d[0] for d in cursor.description]
    if 0 <= title < len(row):
        if isinstance(row[title], str):
            out.append(str(row[title]))
        out.append("\n")
    mime: str | None = None
    for i, name in enumerate(columns):
        value = row[i]
        low = name.lower()
        if i == title or low.startswith(("tkt_", "private_")):
            continue
        if value is None or isinstance(value, bytes):
            continue
        if low == "mimetype":
            mime = str(value)
            if mime == "text/plain":
                mime = None
        elif mime is None or not isinstance(value, str):
            out.append(f"{name}: {value} |\n")
        else:
            out.append(f"{name}: ")
            by_mimetype(value, mime, out)
            out.append(" |")


escape_html = html_escape  # Fossil's %h


def stext(repo: Repo, kind: str, rid: int, name: str | None) -> str:
    """The search text of document ``kind``/``rid`` (``name``: a document's file name).

    A document whose content cannot be read (a phantom, a damaged blob) has
    no text: it matches nothing.
    """
    from fossilpy.budget import BudgetExceeded

    try:
        return _stext(repo, kind, rid, name)
    except BudgetExceeded:
        raise
    except FossilError as exc:
        from fossilpy import log

        log.get(__name__).warning("search text of %s%d: %s", kind, rid, exc)
        return ""


def _stext(repo: Repo, kind: str, rid: int, name: str | None) -> str:
    from fossilpy.repo import content

    out: list[str] = []
    if kind == "d":
        from fossilpy.repo.search import doc_mimetype

        data = content.get(repo, rid) or b""
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        by_mimetype(data.decode("utf-8", "surrogateescape"), doc_mimetype(name or ""), out)
    elif kind in ("w", "e", "f"):
        raw = content.get(repo, rid)
        m = parse_or_none(raw) if raw else None
        want = {"w": ArtifactType.WIKI, "e": ArtifactType.EVENT, "f": ArtifactType.FORUM}[kind]
        if m is None or m.type != want:
            return ""
        if kind == "f":
            head = ""
            if m.forum_title:
                head = f"<h1>{escape_html(m.forum_title)}</h1>\n"
            text = f"{head}From {m.user or ''}:\n\n{m.text or ''}"
        else:
            text = m.text or ""
        by_mimetype(text, _wiki_mimetype(m.mimetype), out)
    elif kind == "c":
        row = repo.row(CHECKIN_TEXT + " WHERE objid=? AND type='ci'", (rid,))
        if row is not None:
            return checkin_text(row[0], repo.config_bool("timeline-plaintext", False))
    elif kind == "t":
        cur = repo.execute("SELECT * FROM ticket WHERE tkt_id=?", (rid,))
        row = cur.fetchone()
        if row is not None:
            columns = [d[0].lower() for d in cur.description]
            title = columns.index("title") if "title" in columns else len(columns)
            _ticket_fields(out, cur, row, title)
        if repo.table_exists("ticketchng"):
            cur = repo.execute("SELECT * FROM ticketchng WHERE tkt_id=? ORDER BY tkt_mtime", (rid,))
            for row in cur.fetchall():
                _ticket_fields(out, cur, row, -1)
    return "".join(out)


#: A check-in's raw search text: its comment, user and tags (NULL when it has no branch tag).
CHECKIN_TEXT = (
    "SELECT coalesce(ecomment,comment)||' (user: '||coalesce(euser,user,'?')||', tags: '||"
    " (SELECT group_concat(substr(tag.tagname,5),',') FROM tag, tagxref"
    "   WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid"
    "     AND tagxref.rid=event.objid AND tagxref.tagtype>0)||')'"
    " FROM event"
)


def checkin_text(raw: str | None, plaintext: bool) -> str:
    """A check-in's search text from its raw text (:data:`CHECKIN_TEXT`): rendered unless ``plaintext``."""
    if plaintext:
        return "\n" + (raw or "")
    out = ["\n"]
    by_mimetype(raw or "", "text/x-fossil-wiki", out)
    return "".join(out)


def split(text: str) -> tuple[str, str]:
    """(title, body) of a search text: its first line and everything after it."""
    head, _, body = text.partition("\n")
    return head, body
