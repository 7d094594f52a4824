"""The rows of ``/timeline`` as HTML.

The timeline is the page a forge serves most, and its rows are most of
its cost: a row of the template evaluated some 25 autoescaped
expressions, and jinja2's per-expression work (attribute lookup, the
escape call, a ``Markup`` object each time) came to about a quarter of a
warm request.  So the page frame, menu and navigation stay in
``www/templates/timeline.html`` and the rows are written here, with the
same markup the template used.  Text from the repository is escaped by
:func:`esc` (the same five replacements as markupsafe, so the output is
unchanged); only time stamps and labels, safe by construction, go in as
they are.

A row, newest first, grouped under a date row::

    <tr class="timeline-date">...<span>YYYY-MM-DD</span></td></tr>
    <tr class="timeline-row type-TYPE[ timeline-selected]">
    <td class="timeline-time" title="YYYY-MM-DD HH:MM:SS">HH:MM</td>
    [<td class="timeline-gcell" style="width:Wpx">SVG</td>]
    <td class="timeline-comment">BADGES COMMENT <span class="timeline-meta">(HASH user: U branch: B tags: T)</span></td>
    </tr>
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from fossilpy.web.render import julian_to_text


def esc(text: str) -> str:
    """``text`` escaped for HTML text and attribute values (markupsafe's entities)."""
    return (
        text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    )


def url_arg(text: str) -> str:
    """``text`` percent-encoded for a query value (bytes that are not UTF-8 as themselves)."""
    return quote(text.encode("utf-8", "surrogateescape"), safe="/")


#: A Julian day as ``YYYY-MM-DD HH:MM:SS`` UTC ("" for NULL or out of range),
#: as every page shows times.
utc_text = julian_to_text


def _day_and_clock(stamp: str) -> tuple[str, str]:
    """(``YYYY-MM-DD``, ``HH:MM``) of a :func:`utc_text` stamp."""
    if len(stamp) == 19:
        return stamp[:10], stamp[11:16]
    day, _, clock = stamp.rpartition(" ")  # a year of other than four digits
    return day, clock[:5]


def render(
    events: Iterable[Any], *, graph_width: int | None, top: str, links: bool, comment: Callable[[str], str]
) -> str:
    """The ``<tr>`` rows of ``events`` (objects with the fields of ``timeline.Event``).

    ``graph_width`` is the graph column's width in pixels (None: no
    graph column); ``comment`` turns a comment into safe inline HTML.
    """
    top = esc(top)
    out: list[str] = []
    last_day = None
    gcell_empty = '<td class="timeline-gcell"></td>' if graph_width is not None else ""
    gcell_open = f'<td class="timeline-gcell" style="width:{graph_width}px">\n'
    # Names repeat from row to row: escape and encode each once.  Time
    # stamps and labels are safe by construction (digits, fixed words);
    # types, hashes and links come from the repository and are escaped
    # anyway, though crosslinking only ever writes safe ones.
    seen: dict[str, str] = {}

    def user_link(name: str) -> str:
        html = seen.get("u" + name)
        if html is None:
            html = f'<a href="{top}/timeline?u={url_arg(name)}">{esc(name)}</a>' if links else esc(name)
            seen["u" + name] = html
        return html

    def branch_link(name: str) -> str:
        html = seen.get("b" + name)
        if html is None:
            html = f'<a class="branch" href="{top}/timeline?r={url_arg(name)}">{esc(name)}</a>' if links else esc(name)
            seen["b" + name] = html
        return html

    for e in events:
        stamp = utc_text(e.mtime)
        day, clock = _day_and_clock(stamp)
        if day != last_day:
            last_day = day
            out.append(
                f'<tr class="timeline-date"><td class="timeline-time"></td>{gcell_empty}'
                f'<td class="timeline-day"><span>{day}</span></td></tr>\n'
            )
        selected = " timeline-selected" if e.selected else ""
        out.append(
            f'<tr class="timeline-row type-{esc(e.type)}{selected}">\n'
            f'<td class="timeline-time" title="{stamp}">{clock}</td>\n'
        )
        if graph_width is not None:
            out.append(f"{gcell_open}{e.graph or ''}\n</td>\n")
        out.append('<td class="timeline-comment">\n')
        link = esc(e.link)
        # A 'w' row whose comment is not "+NAME"/":NAME"/"-NAME" (the fallback
        # label) is an attachment message: Fossil renders it as wiki text and
        # links the artifact, not a page named after the comment.
        attachment = e.type == "w" and e.label == "Wiki page"
        if attachment:
            link = f"/info/{esc(e.uuid)}"
            out.append(f'\n  <span class="comment">{comment(e.comment)}</span>\n')
        elif e.type == "ci":
            out.append("  ")
            if e.leaf:
                out.append('<span class="badge badge-leaf">Leaf</span>')
            if e.merge:
                out.append('<span class="badge badge-merge">Merge</span>')
            out.append(f'\n  <span class="comment">{comment(e.comment)}</span>\n')
        else:
            out.append(f'  <span class="event-label">{e.label}</span>')
            if e.type == "w":
                text = esc(e.comment)
                out.append(f'<a href="{top}{link}">{text}</a>' if links else text)
            else:
                out.append(f'\n  <span class="comment">{comment(e.comment)}</span>')
            out.append("\n")
        short = esc(e.uuid[:10])
        if links:
            out.append(
                f'  <span class="timeline-meta">\n  (<a class="hash" href="{top}{link}">{short}</a> \n'
                f"  user: {user_link(e.user)}"
            )
        else:
            out.append(
                f'  <span class="timeline-meta">\n  (<span class="hash">{short}</span> \n  user: {user_link(e.user)}'
            )
        if e.branch:
            out.append(f" branch: {branch_link(e.branch)}")
        if e.tags:
            out.append(
                " tags: "
                + ", ".join(f'<a class="tag" href="{top}/timeline?t={url_arg(t)}">{esc(t)}</a>' for t in e.tags)
            )
        out.append(")\n  </span>\n</td>\n</tr>\n")
    return "".join(out)


#: View styles (``ss=``): the class suffix and whether the details go in parentheses.
STYLES = {
    "m": ("modern", False),
    "j": ("columnar", False),
    "c": ("compact", True),
    "v": ("verbose", True),
    "x": ("classic", True),
}


def render_styled(
    events: Iterable[Any],
    *,
    graph_width: int | None,
    top: str,
    links: bool,
    comment: Callable[[str], str],
    style: str = "m",
    this_user: str = "",
    this_tag: str = "",
    datefmt: int = 0,
    ts_info: bool = False,
) -> str:
    """The ``<tr>`` rows of /timeline in one of Fossil's view styles.

    Each row shows what ``www_print_timeline`` shows: the time (a link to
    the events around it), the graph, the comment and the details --
    ``check-in: HASH`` (``artifact:``/``technote:`` for other events),
    ``user: U`` and ``tags: T`` (every tag, the branch included) -- laid
    out per ``style``: Modern (details after the comment), Verbose
    (in parentheses), Compact (behind an ellipsis that opens them),
    Columnar (details in a column of their own) and Classic (the hash
    first, ``Leaf:`` before the comment).  ``this_user``/``this_tag``
    are not linked (the page is about them).  A row's ``bg`` colours its
    comment cell; ``files`` lists its changed files (``v=``), ``forum``
    is the HTML of a forum post (``vfx``).  ``datefmt`` is Fossil's time
    format: 0 HH:MM, 1 HH:MM:SS (both under a row per day), 2
    YYYY-MM-DD HH:MM, 3 YYMMDD HH:MM, 4 none.  The time links to the
    events around it, or (``ts_info``) to the row's /info page.
    """
    cls, parens = STYLES.get(style, STYLES["m"])
    top = esc(top)
    out: list[str] = []
    last_day = None
    ncols = 3 if style == "j" else 2
    gcell_empty = '<td class="timeline-gcell"></td>' if graph_width is not None else ""
    gcell_open = f'<td class="timeline-gcell" style="width:{graph_width}px">\n'
    for e in events:
        stamp = utc_text(e.mtime)
        day, clock = _clock(stamp, datefmt)
        if day != last_day and datefmt < 2:
            last_day = day
            out.append(
                f'<tr class="timeline-date"><td class="timeline-time"></td>{gcell_empty}'
                f'<td class="timeline-day" colspan="{ncols - 1}"><span>{day}</span></td></tr>\n'
            )
        selected = " timeline-selected" if e.selected else ""
        if getattr(e, "secondary", False):
            selected += " timeline-secondary"
        out.append(f'<tr class="timeline-row type-{esc(e.type)}{selected}">\n')
        if links and stamp:
            note = getattr(e, "note", "")
            target = (
                (f"/technote/{esc(note)}" if note else f"/info/{esc(e.uuid[:16])}")
                if ts_info
                else (f"/timeline?c={esc(e.uuid[:16])}&amp;y=a")
            )
            out.append(f'<td class="timeline-time" title="{stamp}"><a href="{top}{target}">{clock}</a></td>\n')
        else:
            out.append(f'<td class="timeline-time" title="{stamp}">{clock}</td>\n')
        if graph_width is not None:
            out.append(f"{gcell_open}{e.graph or ''}\n</td>\n")
        bg = f' style="background-color:{esc(e.bg)}"' if getattr(e, "bg", "") else ""
        out.append(f'<td class="timeline-comment timeline-{cls}"{bg}>\n')
        link = esc(e.link)
        hash_link = (
            f'<a class="hash" href="{top}{link}">{esc(e.uuid[:10])}</a>'
            if links
            else f'<span class="hash">{esc(e.uuid[:10])}</span>'
        )
        leaf = ("Closed-Leaf" if getattr(e, "closed", False) else "Leaf") if e.type == "ci" and e.leaf else ""
        lead = ""  # Classic: the hash (or technote id) and Leaf: come first, in the comment
        if style == "x" and e.type == "ci":
            lead = f"[{hash_link}] " + (f'<span class="timeline-leaf">{leaf}:</span> ' if leaf else "")
        elif style == "x" and e.type == "e" and getattr(e, "note", ""):
            note = esc(e.note)
            lead = f'[<a class="hash" href="{top}/technote/{note}">{note[:10]}</a>] ' if links else f"[{note[:10]}] "
        mark = getattr(e, "bisect", None)
        if mark:  # a step of a bisect: <b>GOOD</b> (3)
            out.append(f"<b>{mark[1]}</b>\n({mark[0]})\n")
        if e.type == "w" and e.label != "Wiki page":
            text = esc(e.comment)
            page = f'<a href="{top}{link}">{text}</a>' if links else text
            out.append(f'<span class="comment">{lead}{e.label} "{page}"</span>\n')
        else:
            out.append(f'<span class="comment">{lead}{comment(e.comment)}</span>\n')
        text = _details(e, style, leaf, hash_link, top, links, this_user, this_tag, stamp)
        if parens:
            text = f"({text})"
        if style == "c":
            out.append(
                f'<details class="timeline-clutter"><summary>...</summary>'
                f'<span class="timeline-meta">{text}</span></details>\n'
            )
        elif style == "j":
            out.append(f'</td>\n<td class="timeline-detail"><span class="timeline-meta">{text}</span>\n')
        else:
            out.append(f'<span class="timeline-meta">{text}</span>\n')
        if getattr(e, "omitted", 0):
            n = e.omitted
            out.append(f'<span class="timeline-omitted">... {n} similar event{"s" if n > 1 else ""} omitted.</span>\n')
        if getattr(e, "forum", ""):
            out.append(f'<div class="timeline-forum">{e.forum}</div>\n')
        files = getattr(e, "files", None)
        if files:
            out.append('<ul class="filelist">' + "".join(files) + "</ul>\n")
        out.append("</td>\n</tr>\n")
    return "".join(out)


def _clock(stamp: str, datefmt: int) -> tuple[str, str]:
    """(day, time text) of a row under Fossil's ``datefmt`` (see :func:`render_styled`)."""
    day, clock = _day_and_clock(stamp)
    if datefmt == 1:
        clock = stamp[11:19]
    elif datefmt == 2:
        clock = stamp[:16]
    elif datefmt == 3:
        clock = stamp[2:4] + stamp[5:7] + stamp[8:10] + " " + stamp[11:16] if len(stamp) == 19 else ""
    elif datefmt >= 4:
        clock = ""
    return day, clock


def _details(
    e: Any, style: str, leaf: str, hash_link: str, top: str, links: bool, this_user: str, this_tag: str, stamp: str
) -> str:
    """The details of a row: Leaf, ``check-in:``/``technote:``/``artifact:`` HASH, user, tags."""
    detail: list[str] = []
    if leaf and style != "x":
        detail.append(f'<span class="badge badge-leaf">{leaf}</span> ')
    if style != "x":
        kind = "check-in" if e.type == "ci" else "technote" if e.type == "e" and e.tagid else "artifact"
        note = getattr(e, "note", "")
        if kind == "technote" and note:
            detail.append(
                f'technote:&nbsp;<a class="hash" href="{top}/technote/{esc(note)}">[{esc(note[:10])}]</a> '
                if links
                else f"technote:&nbsp;[{esc(note[:10])}] "
            )
        else:
            detail.append(f"{kind}:&nbsp;{hash_link} ")
    elif e.type != "ci" and e.type != "e":
        detail.append(f"artifact:&nbsp;{hash_link} ")
    user = e.user or "anonymous"
    # the time as Fossil's %t writes it (a stamp holds only digits, '-', ' ' and ':')
    date = stamp.replace(" ", "+").replace(":", "%3A")
    if links and user != this_user:
        detail.append(f'user:&nbsp;<a href="{top}/timeline?u={_arg(user)}&amp;c={date}&amp;y=a">{_esc(user)}</a>')
    else:
        detail.append(f"user:&nbsp;{_esc(user)}")
    taglist = getattr(e, "taglist", "")
    if taglist:
        parts = []
        for t in taglist.split(", "):
            if links and t != this_tag:
                parts.append(f'<a class="tag" href="{top}/timeline?r={_arg(t)}&amp;c={date}">{_esc(t)}</a>')
            else:
                parts.append(_esc(t))
        detail.append(" tags:&nbsp;" + ", ".join(parts))
    return "".join(detail)


@functools.lru_cache(maxsize=1024)
def _arg(name: str) -> str:
    """:func:`url_arg`, remembered (names repeat from row to row)."""
    return url_arg(name)


@functools.lru_cache(maxsize=1024)
def _esc(name: str) -> str:
    """:func:`esc`, remembered."""
    return esc(name)
