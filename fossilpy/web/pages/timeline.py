"""/timeline: the history of the repository, with its branch graph.

Rows come from the ``event`` table (filled by crosslinking, :mod:`fossilpy.repo.crosslink`),
one per check-in (``ci``), wiki edit (``w``), ticket change (``t``),
technote (``e``), forum post (``f``) or tag change (``g``).  Parameters
(a subset of Fossil's ``page_timeline``):

    n=N|all     how many rows (default: setting timeline-default-length, 50)
    y=TYPE      ci, w, t, n (new tickets), e, f, g or all
    u=USER      only events by USER
    a=TIMEORTAG only events after it;  b=TIMEORTAG only before it
                (a check-in name or YYYY-MM-DD[ HH:MM[:SS]])
    t=TAG       only check-ins tagged TAG (a branch name is a tag)
    r=TAG       check-ins tagged TAG and their parents and children
    p=CHECKIN   CHECKIN and its ancestors (the newest N, walking ``plink``
                from child to parents in order of time)
    d=CHECKIN   CHECKIN and its descendants (the oldest N);  dp=CHECKIN: both
    c=TIMEORTAG the N events around a time or check-in: N/2 at or before
                it, the rest after; the row at or just before it is marked
    ng          no graph
"""

from __future__ import annotations

from typing import Any

from fossilpy.repo.db import sql_text
from fossilpy.repo.names import looks_like_date
from fossilpy.repo.visibility import EVENT_VISIBLE, TAGXREF_VISIBLE, Visibility
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Upper bound for n=all.
MAX_ROWS = 5000

_TYPES = {"ci": "ci", "w": "w", "t": "t", "n": "t", "e": "e", "f": "f", "g": "g"}


class Event:
    """One timeline row, ready for the template."""

    __slots__ = (
        "rid", "type", "mtime", "comment", "user", "uuid", "branch", "leaf", "tags", "link", "label", "graph", "merge",
        "selected",
    )

    def __init__(self, rid: int, type: str, mtime: float, comment: str, user: str, uuid: str) -> None:
        self.rid, self.type, self.mtime, self.comment, self.user, self.uuid = rid, type, mtime, comment, user, uuid
        self.branch = ""
        self.leaf = False
        self.tags: list[str] = []
        self.link = ""
        self.label = ""
        self.graph: Any = None
        self.merge = False
        self.selected = False


def _time_or_tag(vis: Visibility, value: str) -> float | None:
    """Julian time named by a date or a check-in name (one this visitor may see), None if neither."""
    repo = vis.repo
    value = value.strip()
    if not value:
        return None
    if looks_like_date(value):
        jd = repo.one("SELECT julianday(?)", (value.replace("T", " "),))
        if jd is not None:
            return float(jd)
    rid = vis.lookup(value, "ci")
    if rid > 0:
        mtime: float | None = repo.one("SELECT mtime FROM event WHERE objid=?", (rid,))
        return mtime
    return None


def _wiki_label(comment: str) -> tuple[str, str]:
    """(label, page name) of a wiki event comment ``+NAME``, ``:NAME``, ``-NAME``."""
    if comment[:1] in "+:-" and comment:
        name = comment[1:]
        label = {"+": "Added wiki page", ":": "Changes to wiki page", "-": "Deleted wiki page"}[comment[0]]
        return label, name
    return "Wiki page", comment


@pages.webpage("/timeline", caps="o|r|j|2")
def timeline(ctx: Context) -> Response:
    """/timeline?n=N&y=TYPE&u=USER&a=TIMEORTAG&b=TIMEORTAG&t=TAG&r=TAG&p=CI&d=CI&c=TIMEORTAG&ng

    The history of the project: check-ins, wiki edits, ticket changes,
    technotes and forum posts, newest first, with the branch graph.
    y= picks a type (ci, w, t, n, e, f, g, all); u= a user; a= and b=
    bound the time (a date or a check-in name); t= shows check-ins with
    a tag or on a branch, r= adds their parents and children; p= shows
    a check-in and its ancestors, d= its descendants; c= the events
    around a time or check-in; n= sets how many rows ("all" for every
    row)."""
    req, repo = ctx.req, ctx.repo
    vis = names.visibility(ctx)
    nparam = req.get("n") or req.get("n1") or str(repo.config_get("timeline-default-length") or "50")
    limit = MAX_ROWS if nparam == "all" else max(1, min(MAX_ROWS, _int(nparam, 50)))
    y = (req.get("y") or "all").strip()
    where: list[str] = []
    args: list[Any] = []
    allowed_types = []
    if ctx.has("o"):
        allowed_types += ["ci", "g"]
    if ctx.has("j"):
        allowed_types.append("w")
    if ctx.has("r"):
        allowed_types.append("t")
    if ctx.has("j") or ctx.has("r") or ctx.has("o"):
        allowed_types.append("e")
    if ctx.has("2"):
        allowed_types.append("f")
    if y in _TYPES:
        if _TYPES[y] not in allowed_types:
            allowed_types = []
        else:
            allowed_types = [_TYPES[y]]
        if y == "n":
            where.append("event.comment GLOB 'New ticket*'")
    else:
        y = "all"  # Fossil ignores an unknown y=
    if not allowed_types:
        allowed_types = ["none"]
    where.append(f"event.type IN ({','.join('?' * len(allowed_types))})")
    args += allowed_types
    where.append(EVENT_VISIBLE)
    args.append(vis.private)
    user = req.get("u")
    if user:
        where.append("coalesce(event.euser,event.user)=CAST(? AS TEXT)")
        args.append(sql_text(user))
    tag = req.get("t") or req.get("r")
    if tag:
        # only check-ins the visitor may see carry the tag (r= shows their
        # parents and children: never those of a hidden check-in)
        tagged = (
            "SELECT rid FROM tagxref JOIN tag ON tag.tagid=tagxref.tagid WHERE tag.tagname=CAST(? AS TEXT)"
            " AND tagxref.tagtype>0 AND " + TAGXREF_VISIBLE
        )
        if req.get("r"):
            where.append(
                f"(event.objid IN ({tagged}) OR event.objid IN (SELECT pid FROM plink WHERE cid IN ({tagged}))"
                f" OR event.objid IN (SELECT cid FROM plink WHERE pid IN ({tagged})))"
            )
            args += [sql_text("sym-" + tag), vis.private] * 3
        else:
            where.append(f"event.objid IN ({tagged})")
            args += [sql_text("sym-" + tag), vis.private]
    family, family_title = _family(ctx, vis, limit)
    if family is not None:
        import json

        where.append("event.objid IN (SELECT value FROM json_each(?))")
        args.append(json.dumps(sorted(family)))
    after = _time_or_tag(vis, req.get("a") or "") if req.get("a") else None
    before = _time_or_tag(vis, req.get("b") or "") if req.get("b") else None
    if req.get("a") and after is None or req.get("b") and before is None:
        raise HTTPError(404, "no such time or check-in")
    if after is not None:
        where.append("event.mtime>?")
        args.append(after)
    if before is not None:
        where.append("event.mtime<?")
        args.append(before)
    order = "ASC" if after is not None and before is None else "DESC"
    select = (
        "SELECT event.objid, event.type, event.mtime, coalesce(event.ecomment,event.comment,''),"
        " coalesce(event.euser,event.user,''), blob.uuid"
        " FROM event JOIN blob ON blob.rid=event.objid WHERE "
    )
    center = req.get("c")
    selected = 0
    if center:
        when = _time_or_tag(vis, center)
        if when is None:
            raise HTTPError(404, "no such time or check-in")
        cond = " AND ".join(where)
        n_after = limit // 2
        older_rows = repo.all(
            select + cond + " AND event.mtime<=? ORDER BY event.mtime DESC LIMIT ?", (*args, when, limit - n_after + 1)
        )
        newer_rows = repo.all(
            select + cond + " AND event.mtime>? ORDER BY event.mtime ASC LIMIT ?", (*args, when, n_after + 1)
        )
        center_nav = (len(older_rows) > limit - n_after, len(newer_rows) > n_after)
        older_rows, newer_rows = older_rows[: limit - n_after], newer_rows[:n_after]
        selected = older_rows[0][0] if older_rows else 0
        rows = newer_rows[::-1] + older_rows
        more = False
    else:
        rows = repo.all(select + " AND ".join(where) + f" ORDER BY event.mtime {order} LIMIT ?", (*args, limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        if order == "ASC":
            rows.reverse()
    events = [_event(ctx, *r) for r in rows]
    for e in events:
        e.selected = e.rid == selected
    parents = _decorate_checkins(ctx, vis, events)
    graph = None
    if not req.flag("ng") and parents is not None:
        graph = _graph(events, parents)
    from markupsafe import Markup

    from fossilpy.markup import wikirender
    from fossilpy.web import timeline_rows
    from fossilpy.web.render import link_facts

    top, links, facts = req.top, ctx.login.has("h"), link_facts(ctx)
    html = timeline_rows.render(
        events, graph_width=graph.width if graph is not None else None, top=top, links=links,
        comment=lambda text: wikirender.render_inline(text, top=top, links=links, facts=facts),
    )
    nav = _nav(ctx, events, more, order) if not center else _center_nav(ctx, events, *center_nav)
    title = "Timeline" + family_title
    if center:
        title += f" around {center}"
    if tag:
        title += f" of {tag}"
    if user:
        title += f" by {user}"
    return ctx.render("timeline.html", title=title, rows=Markup(html), nav=nav, y=y, count=len(events))


def _family(ctx: Context, vis: Visibility, limit: int) -> tuple[set[int] | None, str]:
    """(rids, title suffix) for p=, d= and dp=; (None, "") when none is given."""
    req = ctx.req
    both = req.get("dp")
    up, down = req.get("p") or both, req.get("d") or both
    if not up and not down:
        return None, ""
    rids: set[int] = set()
    parts = []
    for name, ancestors in ((up, True), (down, False)):
        if not name:
            continue
        rid = names.find_checkin(vis, name)
        rids |= _walk(vis, rid, limit, ancestors)
        parts.append(("ancestors" if ancestors else "descendants") + f" of {name}")
    return rids, ": " + " and ".join(parts)


def _walk(vis: Visibility, start: int, limit: int, ancestors: bool) -> set[int]:
    """``start`` and up to ``limit``-1 ancestors (newest first) or descendants (oldest first),
    through check-ins the visitor may see only."""
    import heapq

    repo = vis.repo
    if ancestors:
        step = ("SELECT plink.pid, coalesce(event.mtime,0) FROM plink LEFT JOIN event ON event.objid=plink.pid"
                " WHERE plink.cid=?")
    else:
        step = "SELECT plink.cid, plink.mtime FROM plink WHERE plink.pid=?"
    sign = -1.0 if ancestors else 1.0
    heap: list[tuple[float, int]] = [(0.0, start)]
    seen = {start}
    out: set[int] = set()
    while heap and len(out) < limit:
        _, rid = heapq.heappop(heap)
        out.add(rid)
        for nxt, mtime in repo.all(step, (rid,)):
            if nxt not in seen and not vis.hidden(nxt):
                seen.add(nxt)
                heapq.heappush(heap, (sign * float(mtime or 0.0), nxt))
    return out


def _center_nav(ctx: Context, events: list[Event], older: bool, newer: bool) -> dict[str, str]:
    """Older/newer links of a c= timeline (plain b=/a= pages from its ends)."""
    from urllib.parse import urlencode

    keep = {k: v for k, v in ctx.req.params.items() if k not in ("a", "b", "c", "name")}
    nav: dict[str, str] = {}
    if events and older:
        nav["older"] = "/timeline?" + urlencode({**keep, "b": _ms_text(events[-1].mtime)})
    if events and newer:
        nav["newer"] = "/timeline?" + urlencode({**keep, "a": _ms_text(events[0].mtime)})
    return nav


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _event(ctx: Context, rid: int, etype: str, mtime: float, comment: str, user: str, uuid: str) -> Event:
    e = Event(rid, etype, mtime, comment, user, uuid)
    if etype == "w":
        e.label, page = _wiki_label(comment)
        e.comment = page
        from urllib.parse import quote

        e.link = f"/wiki?name={quote(page, safe='', errors='surrogateescape')}"
    else:
        e.link = f"/info/{uuid}"
        e.label = {"t": "Ticket", "e": "Technote", "f": "Forum post", "g": "Tag change"}.get(etype, "")
    return e


#: Per check-in: branch, leaf, its symbolic tags (a JSON array) and parents
#: as ``pid isprim`` pairs, for the rids in the JSON array bound to the
#: placeholder.
_DECORATE = """
SELECT ids.value,
  (SELECT value FROM tagxref WHERE tagxref.rid=ids.value AND tagxref.tagtype>0
      AND tagxref.tagid=(SELECT tagid FROM tag WHERE tagname='branch')),
  EXISTS(SELECT 1 FROM leaf WHERE leaf.rid=ids.value),
  (SELECT json_group_array(substr(tag.tagname,5)) FROM tagxref JOIN tag ON tag.tagid=tagxref.tagid
      WHERE tagxref.rid=ids.value AND tagxref.tagtype>0 AND tag.tagname GLOB 'sym-*'),
  (SELECT group_concat(pid || ' ' || isprim, ' ') FROM plink WHERE plink.cid=ids.value)
FROM json_each(?) AS ids
"""


def _decorate_checkins(ctx: Context, vis: Visibility, events: list[Event]) -> dict[int, list[int]] | None:
    """Fill branch, leaf, tags and merge of the check-in rows (one query);
    return their parents (primary first, merges by time), None if no check-ins.
    A merge parent the visitor may not see is left out (no Merge badge for it)."""
    import json

    cis = {e.rid: e for e in events if e.type == "ci"}
    if not cis:
        return None
    parents: dict[int, list[int]] = {}
    for rid, branch, leaf, tags, plinks in ctx.repo.all(_DECORATE, (json.dumps(list(cis)),)):
        e = cis[rid]
        e.branch = branch or ""
        e.leaf = bool(leaf)
        only_branch = '"' not in e.branch and "\\" not in e.branch and tags == f'["{e.branch}"]'
        if tags != "[]" and not only_branch:  # most carry only their branch
            # in byte order, as SQLite sorts (text that is not UTF-8 included)
            e.tags = sorted((t for t in json.loads(tags) if t != e.branch),
                            key=lambda t: t.encode("utf-8", "surrogateescape"))
        if not plinks:
            parents[rid] = []
        elif plinks.count(" ") == 1:  # one parent, the usual
            pid, _, prim = plinks.partition(" ")
            parents[rid] = [int(pid)]
            e.merge = prim == "0" and not vis.hidden(int(pid))
        else:  # primary parent first, then merge parents in rid order
            fields = plinks.split(" ")
            links = sorted((-int(fields[i + 1]), int(fields[i])) for i in range(0, len(fields), 2)
                           if not vis.hidden(int(fields[i])))
            parents[rid] = [pid for _, pid in links]
            e.merge = any(prim == 0 for prim, _ in links)
    return parents


def _graph(events: list[Event], parents: dict[int, list[int]]) -> Any:
    """Lay out the graph and give each row its SVG (markup made of numbers only)."""
    from fossilpy.web import graph

    laid = graph.layout([(e.rid, parents.get(e.rid, []) if e.type == "ci" else None, e.branch) for e in events])
    for e in events:
        row = laid.rows.get(e.rid)
        e.graph = row.html(laid.width, e.leaf, e.merge) if row is not None else ""
    return laid


def _ms_text(jd: float) -> str:
    """A Julian day as ``YYYY-MM-DD HH:MM:SS.SSS`` UTC (exact to the millisecond)."""
    import time

    ms = round((jd - 2440587.5) * 86400000.0)
    secs, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs)) + f".{frac:03d}"


def _nav(ctx: Context, events: list[Event], more: bool, order: str) -> dict[str, str]:
    """Links to older and newer rows, keeping the other parameters.

    The bounds are the exact times of the last and first rows shown, and
    a=/b= are exclusive, so pages neither overlap nor skip rows.
    """
    from urllib.parse import urlencode

    keep = {k: v for k, v in ctx.req.params.items() if k not in ("a", "b", "name")}
    nav: dict[str, str] = {}
    if not events:
        return nav
    if more or (order == "ASC" and ctx.req.get("a")):
        nav["older"] = "/timeline?" + urlencode({**keep, "b": _ms_text(events[-1].mtime)})
    if ctx.req.get("b") or (order == "ASC" and more):
        nav["newer"] = "/timeline?" + urlencode({**keep, "a": _ms_text(events[0].mtime)})
    return nav
