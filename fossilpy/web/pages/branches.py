"""Branches, tags and leaves: /brlist, /brtimeline, /taglist, /tagtimeline, /leaves.

As Fossil 2.21 shows them (``brlist_page`` and ``brtimeline_page`` in
``src/branch.c``, ``taglist_page`` and ``tagtimeline_page`` in
``src/tag.c``, ``leaves_page`` in ``src/descendants.c``):

* /brlist: a table of every branch, the most recently changed first, with
  the age of its last check-in, how many check-ins it holds, "closed" when
  its last check-in is closed, and the branch it was merged into when its
  last check-in has a child on another branch.  ``all``, ``open`` and
  ``closed`` give Fossil's plain list of names instead (by name).
* /brtimeline: the check-ins that start a branch (the branch tag is set
  on them, not inherited), as a timeline.
* /taglist: the names of the non-propagating tags in use;
  /tagtimeline: the check-ins that carry one.
* /leaves: the leaves (check-ins with no child on their branch), open only,
  ``closed`` only or ``all``.

A reader without ``x`` sees no private check-in (:mod:`fossilpy.repo.visibility`):
a branch or tag that exists only on private check-ins is not listed, and
the counts leave private check-ins out.
"""

from __future__ import annotations

import re
from typing import Any

from fossilpy.repo.visibility import EVENT_VISIBLE, TAGXREF_VISIBLE
from fossilpy.text import human_age
from fossilpy.web import names
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: One row per branch, as Fossil's ``tmp_brlist``: the columns other than
#: the aggregates come from the branch's newest check-in (SQLite takes the
#: bare columns of a max() query from the row holding the maximum).
_BRANCHES = (
    """
SELECT tagxref.value AS name,
  max(event.mtime) AS mtime,
  EXISTS(SELECT 1 FROM tagxref AS tx
          WHERE tx.rid=tagxref.rid AND tx.tagtype>0
            AND tx.tagid=(SELECT tagid FROM tag WHERE tagname='closed')) AS isclosed,
  (SELECT tx.value FROM plink CROSS JOIN tagxref AS tx
    WHERE plink.pid=event.objid AND tx.rid=plink.cid AND tx.tagtype>0
      AND tx.tagid=(SELECT tagid FROM tag WHERE tagname='branch')
      AND (? OR plink.cid NOT IN private)) AS mergeto,
  count(*) AS nckin,
  (SELECT uuid FROM blob WHERE rid=tagxref.rid) AS ckin,
  event.bgcolor AS bgclr
FROM tagxref, tag, event
WHERE tagxref.tagid=tag.tagid AND tagxref.tagtype>0 AND tag.tagname='branch'
  AND event.objid=tagxref.rid AND """
    + TAGXREF_VISIBLE
    + """
GROUP BY 1
"""
)

#: Timeline rows (as /timeline selects them) of check-ins matching a condition.
_ROWS = (
    "SELECT event.objid, event.type, event.mtime, coalesce(event.ecomment,event.comment,''),"
    " coalesce(event.euser,event.user,''), blob.uuid"
    " FROM event JOIN blob ON blob.rid=event.objid WHERE " + EVENT_VISIBLE + " AND "
)

#: The end of a :data:`_ROWS` query: newest first, at most ``?`` rows.
_NEWEST = " ORDER BY event.mtime DESC LIMIT ?"

#: True if the check-in ``blob.rid`` carries the "closed" tag (``leaf_is_closed_sql``).
_CLOSED = (
    "EXISTS(SELECT 1 FROM tagxref AS tx WHERE tx.rid=blob.rid AND tx.tagtype>0"
    " AND tx.tagid=(SELECT tagid FROM tag WHERE tagname='closed'))"
)

#: True if the check-in ``blob.rid`` is hidden (tag "hidden").
_HIDDEN = (
    "EXISTS(SELECT 1 FROM tagxref AS th WHERE th.rid=blob.rid AND th.tagtype>0"
    " AND th.tagid=(SELECT tagid FROM tag WHERE tagname='hidden'))"
)


def _hidden(ctx: Context) -> str:
    """The SQL of ``nohidden`` (leave hidden check-ins out) or ``onlyhidden`` (only those), as Fossil's."""
    if ctx.req.flag("nohidden"):
        return " AND NOT " + _HIDDEN
    if ctx.req.flag("onlyhidden"):
        return " AND " + _HIDDEN
    return ""


#: Upper bound of rows on a timeline of these pages.
MAX_ROWS = 5000


def _nocase(name: str) -> bytes:
    """Sort key of ``ORDER BY name COLLATE nocase`` (ASCII letters folded)."""
    return name.encode("utf-8", "surrogateescape").lower()


def uint_nocase(name: str) -> list[tuple[int, int, bytes]]:
    """Sort key of Fossil's ``uintnocase`` collation: case folded, digit runs compared as numbers."""
    key: list[tuple[int, int, bytes]] = []
    for run in re.findall(rb"[0-9]+|[^0-9]+", name.encode("utf-8", "surrogateescape")):
        if 48 <= run[0] <= 57:  # an ASCII digit
            key.append((0, int(run), b""))
        else:
            key.append((1, 0, run.lower()))
    return key


@pages.webpage("/brlist", caps="o")
def brlist(ctx: Context) -> Response:
    """/brlist?all|open|closed

    The branches of the project, the most recently changed first: for
    each its last change, how many check-ins it holds, whether it is
    closed and which branch it was merged into.  all, open or closed
    list the names only: every branch, the open or the closed ones."""
    req = ctx.req
    private = names.visibility(ctx).private
    rows = ctx.repo.all(_BRANCHES, (private, private))
    show_all, show_closed, show_open = "all" in req.params, "closed" in req.params, "open" in req.params
    color_test = "colortest" in req.params
    if show_all or show_closed or show_open or color_test:
        if color_test:
            show_closed, show_all = False, True
        if show_closed:
            kept, heading, title = [r for r in rows if r[2]], "Closed Branches:", "Closed Branches"
            submenu = [("All", "/brlist?all"), ("Open", "/brlist?open")]
        elif show_all:
            kept, heading, title = rows, "All Branches:", "All Branches"
            submenu = [("Closed", "/brlist?closed"), ("Open", "/brlist")]
        else:
            kept, heading, title = [r for r in rows if not r[2]], "Open Branches:", "Open Branches"
            submenu = [("All", "/brlist?all"), ("Closed", "/brlist?closed")]
        submenu.insert(0, ("Timeline", "/brtimeline"))
        submenu.append(("All", "/brlist?all") if color_test else ("Color-Test", "/brlist?colortest"))
        if color_test:
            heading = "Default background colors for all branches:"
        listed = [(name, hash_color(name)) for name in sorted((r[0] for r in kept), key=_nocase)]
        return ctx.render(
            "brlist.html", title=title, heading=heading, names=listed, table=None, submenu=submenu,
            color_test=color_test,
        )  # fmt: skip
    now = float(ctx.repo.one("SELECT julianday('now')") or 0.0)
    colors = req.flag("colors")
    table = []
    for name, mtime, closed, mergeto, count, last, bgcolor in sorted(rows, key=lambda r: -r[1]):
        if not bgcolor:
            bgcolor = "" if name == "trunk" else hash_color(name)
        elif not _COLOR.fullmatch(bgcolor):
            bgcolor = ""  # a colour only: nothing else goes into the style attribute
        table.append({
            "name": name, "age": human_age(now - mtime), "count": count, "closed": bool(closed),
            "mergeto": mergeto or "", "last": last or "", "color": bgcolor if colors else "",
        })  # fmt: skip
    toggle = ("Plain", "/brlist") if colors else ("Use Branch Colors", "/brlist?colors=1")
    return ctx.render("brlist.html", title="Branches", heading="", names=[], table=table, submenu=[toggle])


#: A colour a bgcolor tag may carry into a style attribute: #hex or a name.
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}")


def hash_color(name: str) -> str:
    """The background colour Fossil derives from a branch name (``hash_color`` in ``src/color.c``,
    for a skin with a dark foreground)."""
    h = 0
    for byte in name.encode("utf-8", "surrogateescape"):
        c = byte - 256 if byte > 127 else byte  # C's signed char
        h = ((h << 11) ^ (h << 1) ^ (h >> 3) ^ c) & 0xFFFFFFFF
    h1 = h % 6
    h //= 6
    h3 = h % 10
    h //= 10
    h4 = h % 10
    h //= 10
    mx = 0xF8 - h3
    mn = mx - h4 - 0x20
    h2 = (h % (mx - mn)) + mn
    r, g, b = [(mx, h2, mn), (h2, mx, mn), (mn, mx, h2), (mn, h2, mx), (h2, mn, mx), (mx, mn, h2)][h1]
    return f"#{r:02x}{g:02x}{b:02x}"


@pages.webpage("/brtimeline", caps="o")
def brtimeline(ctx: Context) -> Response:
    """/brtimeline?ng&nohidden&onlyhidden

    The initial check-in of each branch, newest first, as a timeline
    (nohidden: without hidden check-ins; onlyhidden: those only)."""
    cond = (
        "blob.rid IN (SELECT rid FROM tagxref WHERE tagtype>0 AND srcid!=0"
        " AND tagid=(SELECT tagid FROM tag WHERE tagname='branch'))"
    )
    rows = ctx.repo.all(_ROWS + cond + _hidden(ctx) + _NEWEST, (names.visibility(ctx).private, MAX_ROWS))
    return _timeline(
        ctx, rows, title="Branches", heading="The initial check-in for each branch:", submenu=[("List", "/brlist")]
    )


@pages.webpage("/taglist", caps="o")
def taglist(ctx: Context) -> Response:
    """/taglist

    The non-propagating tags used on check-ins, by name."""
    private = names.visibility(ctx).private
    found = ctx.repo.all(
        "SELECT substr(tagname,5) FROM tag WHERE tagname GLOB 'sym-*' AND EXISTS(SELECT 1 FROM tagxref"
        " WHERE tagxref.tagid=tag.tagid AND tagxref.tagtype=1 AND " + TAGXREF_VISIBLE + ")",
        (private,),
    )
    tags = sorted((r[0] for r in found), key=uint_nocase)
    return ctx.render(
        "taglist.html", title="Tags", tags=tags, links=ctx.has("h"), submenu=[("Timeline", "/tagtimeline")]
    )


@pages.webpage("/tagtimeline", caps="o")
def tagtimeline(ctx: Context) -> Response:
    """/tagtimeline?ng&nohidden&onlyhidden

    The check-ins that carry a non-propagating tag, newest first
    (nohidden: without hidden check-ins; onlyhidden: those only)."""
    cond = (
        "blob.rid IN (SELECT rid FROM tagxref WHERE tagtype=1 AND srcid>0"
        " AND tagid IN (SELECT tagid FROM tag WHERE tagname GLOB 'sym-*'))"
    )
    rows = ctx.repo.all(_ROWS + cond + _hidden(ctx) + _NEWEST, (names.visibility(ctx).private, MAX_ROWS))
    return _timeline(
        ctx,
        rows,
        title="Tagged Check-ins",
        heading="Check-ins with non-propagating tags:",
        submenu=[("List", "/taglist")],
    )


@pages.webpage("/leaves", caps="o")
def leaves(ctx: Context) -> Response:
    """/leaves?all&closed&ng&nohidden&onlyhidden

    The leaves of the project (check-ins with no child on their own
    branch), newest first: the open ones, closed= the closed ones only,
    all= both; nohidden leaves hidden check-ins out, onlyhidden shows
    only those."""
    req = ctx.req
    show_all, show_closed = "all" in req.params, "closed" in req.params
    keep = "?ng" if req.flag("ng") else ""
    sep = "&" if keep else "?"
    submenu = []
    if not show_all:
        submenu.append(("All", f"/leaves{keep}{sep}all"))
    if not show_closed:
        submenu.append(("Closed", f"/leaves{keep}{sep}closed"))
    if show_all or show_closed:
        submenu.append(("Open", f"/leaves{keep}"))
    cond = "blob.rid IN leaf"
    if show_all:
        heading = "All leaves, both open and closed:"
    elif show_closed:
        heading, cond = "Closed leaves:", cond + " AND " + _CLOSED
    else:
        heading, cond = "Open leaves:", cond + " AND NOT " + _CLOSED
    rows = ctx.repo.all(_ROWS + cond + _hidden(ctx) + _NEWEST, (names.visibility(ctx).private, MAX_ROWS))
    return _timeline(ctx, rows, title="Leaves", heading=heading, submenu=submenu, level=1)


def _timeline(
    ctx: Context, rows: list[Any], *, title: str, heading: str, submenu: list[tuple[str, str]], level: int = 2
) -> Response:
    """A timeline page of ``rows`` (selected with :data:`_ROWS`), with the graph."""
    from markupsafe import Markup

    from fossilpy.markup import wikirender
    from fossilpy.web import timeline_rows
    from fossilpy.web.pages import timeline as tl
    from fossilpy.web.render import link_facts

    vis = names.visibility(ctx)
    events = [tl._event(ctx, *r) for r in rows]
    parents = tl._decorate_checkins(ctx, vis, events)
    graph: Any = None
    if not ctx.req.flag("ng") and parents is not None:
        graph = tl._graph(events, parents)
    top, links, facts = ctx.req.top, ctx.has("h"), link_facts(ctx)
    html = timeline_rows.render(
        events,
        graph_width=graph.width if graph is not None else None,
        top=top,
        links=links,
        comment=lambda text: wikirender.render_inline(text, top=top, links=links, facts=facts),
    )
    return ctx.render(
        "leaves.html", title=title, heading=heading, rows=Markup(html), count=len(events), submenu=submenu, level=level
    )
