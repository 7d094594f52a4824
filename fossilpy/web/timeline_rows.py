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


def render(events: Iterable[Any], *, graph_width: int | None, top: str, links: bool,
           comment: Callable[[str], str]) -> str:
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
            html = (f'<a href="{top}/timeline?u={url_arg(name)}">{esc(name)}</a>' if links else esc(name))
            seen["u" + name] = html
        return html

    def branch_link(name: str) -> str:
        html = seen.get("b" + name)
        if html is None:
            html = (f'<a class="branch" href="{top}/timeline?r={url_arg(name)}">{esc(name)}</a>'
                    if links else esc(name))
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
            out.append(f'  <span class="timeline-meta">\n  (<a class="hash" href="{top}{link}">{short}</a> \n'
                       f'  user: {user_link(e.user)}')
        else:
            out.append(f'  <span class="timeline-meta">\n  (<span class="hash">{short}</span> \n'
                       f'  user: {user_link(e.user)}')
        if e.branch:
            out.append(f" branch: {branch_link(e.branch)}")
        if e.tags:
            out.append(" tags: " + ", ".join(
                f'<a class="tag" href="{top}/timeline?t={url_arg(t)}">{esc(t)}</a>' for t in e.tags
            ))
        out.append(")\n  </span>\n</td>\n</tr>\n")
    return "".join(out)
