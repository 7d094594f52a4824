"""Which rows /timeline shows, and the line that describes them.

This follows the plan of Fossil 2.21's ``page_timeline`` (``src/timeline.c``):
one of four selections, tried in this order, each with its own heading:

1. ``from=`` and ``to=``: the check-ins on the shortest path between two
   check-ins (primary parents only unless ``shortest``), ``rel`` adding
   their merge parents and children, ``chng=`` keeping those that change
   a file matching a glob list ("3 check-ins going from X to Y");
2. ``p=``, ``d=``, ``dp=``, ``df=`` (with ``bt=``): ancestors and
   descendants of a check-in ("4 descendants and 9 ancestors of X");
3. ``f=``: a check-in with its parents and children;
4. otherwise a span of time: ``y=`` (default ``ci`` for a reader with
   ``o``), ``u=``, ``t=``/``r=``/``rel``/``ms=``, ``s=`` (comment text),
   ``chng=``, ``uf=``, ``namechng``, ``forks``, ``ym=``, ``yw=``,
   ``ymd=``, ``year=``, ``days=``, bounded by ``a=``/``b=`` or centred
   on ``c=`` (``cf=`` names the file whose first check-in is the centre),
   ``n=`` rows ("50 most recent check-ins", "5 check-ins related to
   \"feat\"", "2 wiki edits occurring on 2024-01-02", ...).

Check-ins tagged ``hidden`` are left out unless ``unhide`` (or
``forks``).  Private artifacts are left out for a reader without ``x``.
The result, :class:`Selection`, is rows of the event table plus what the
page needs around them: the description (HTML), the row to highlight,
the navigation links and whether a graph may be drawn.
"""

from __future__ import annotations

import json
from typing import Any

from fossilpy.repo.names import looks_like_date
from fossilpy.repo.visibility import EVENT_VISIBLE, Visibility
from fossilpy.text import is_digits
from fossilpy.web.routes import Context

#: Upper bound for n=all and for selections Fossil leaves unbounded.
MAX_ROWS = 5000
#: Fossil's fixed tag ids (``src/schema.c``).
TAG_HIDDEN, TAG_BRANCH = 5, 8
ONE_SECOND = 1.0 / 86400.0

#: Columns of a row: rid, type, mtime, comment, user, uuid, bgcolor, tags (as Fossil lists them), tagid, brief.
SELECT = (
    "SELECT event.objid, event.type, event.mtime, coalesce(event.ecomment,event.comment,''),"
    " coalesce(event.euser,event.user,''), blob.uuid, event.bgcolor,"
    " (SELECT group_concat(substr(tagname,5), ', ') FROM tag, tagxref"
    "   WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid AND tagxref.rid=blob.rid AND tagxref.tagtype>0),"
    " event.tagid, event.brief"
    " FROM event CROSS JOIN blob WHERE blob.rid=event.objid"
)

_ETYPE = {
    "ci": "check-in",
    "w": "wiki",
    "t": "ticket change",
    "n": "new ticket",
    "e": "technical note",
    "g": "tag",
    "f": "forum post",
}


def esc(text: str) -> str:
    """HTML-escape ``text`` (as ``%h``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class Selection:
    """The rows to show and what goes around them."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.desc = ""
        self.selected = 0
        self.graph = True
        self.this_user = ""
        self.this_tag = ""
        self.newer: tuple[str, str] | None = None  # (url, label)
        self.older: tuple[str, str] | None = None
        self.more = False  # more rows beyond the limit (plain paging)
        self.order = "DESC"
        self.circa = False
        self.ytype = "all"


def ms_text(jd: float) -> str:
    """A Julian day as ``YYYY-MM-DD HH:MM:SS.SSS`` UTC (exact to the millisecond)."""
    import time

    ms = round((jd - 2440587.5) * 86400000.0)
    secs, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs)) + f".{frac:03d}"


#: Parameters that name a check-in or a time.
_NAME_PARAMS = ("p", "d", "dp", "df", "f", "from", "to", "bt", "c", "a", "b", "m", "sel1", "sel2", "me", "you")


def echo_params(vis: Visibility, params: dict[str, str]) -> dict[str, str]:
    """The query parameters to repeat in this page's own links: a name this
    reader cannot resolve is left out (a private check-in's name is not
    repeated back, as a missing one's is not)."""
    out = dict(params)
    for k in _NAME_PARAMS:
        v = out.get(k)
        if v is not None and not looks_like_date(v.strip()) and vis.lookup(v, "*") <= 0:
            del out[k]
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _rid(vis: Visibility, name: str | None) -> int:
    """name_to_typed_rid(name, "ci"): 0 when unknown or ambiguous."""
    if not name:
        return 0
    rid = vis.lookup(name, "ci")
    return rid if rid > 0 else 0


def time_of(vis: Visibility, value: str) -> float | None:
    """symbolic_name_to_mtime: a date, or the time of the event a name stands for."""
    value = value.strip()
    if not value:
        return None
    repo = vis.repo
    if looks_like_date(value):
        jd = repo.one("SELECT julianday(?)", (value.replace("T", " ").rstrip("zZ").removesuffix("UTC").strip(),))
        if jd is not None:
            return float(jd)
    rid = vis.lookup(value, "*")
    if rid > 0:
        mtime = repo.one("SELECT mtime FROM event WHERE objid=?", (rid,))
        return float(mtime) if mtime is not None else None
    return None


def glob_list(pattern_list: str, *, whole: bool = False) -> str:
    """glob_expr's patterns as a JSON array (for ``GLOB value`` over ``json_each``):
    a comma/space separated list; ``whole``: the list is a single pattern
    (Fossil's ``chng=`` on a span of time quotes the whole value)."""
    pats = [pattern_list] if whole else [p for p in pattern_list.replace(",", " ").split() if p]
    return json.dumps(pats)


#: A file name of the mlink row matching one of the JSON patterns bound to the placeholder.
NAME_MATCHES = "EXISTS(SELECT 1 FROM json_each(?) WHERE filename.name GLOB value)"


class Builder:
    """Collects the WHERE terms of one selection."""

    def __init__(self, ctx: Context, vis: Visibility) -> None:
        self.ctx, self.vis, self.repo, self.req = ctx, vis, ctx.repo, ctx.req
        self.where: list[str] = [EVENT_VISIBLE]
        self.args: list[Any] = [vis.private]
        if not self.req.flag("unhide") and not self.req.flag("forks"):
            self.where.append(
                f"NOT EXISTS(SELECT 1 FROM tagxref WHERE tagid={TAG_HIDDEN} AND tagtype>0 AND rid=blob.rid)"
            )

    def add(self, term: str, *args: Any) -> None:
        self.where.append(term)
        self.args.extend(args)

    def in_set(self, rids: set[int] | list[int]) -> None:
        self.add("event.objid IN (SELECT value FROM json_each(?))", json.dumps(sorted(rids)))

    def sql(self, extra: str = "") -> str:
        return SELECT + " AND " + " AND ".join(self.where) + extra

    def fetch(self, extra: str = "", args: tuple[Any, ...] = ()) -> list[Any]:
        return self.repo.all(self.sql(extra), (*self.args, *args))

    def exists(self, extra: str, *args: Any) -> bool:
        """True if a row matches with ``extra`` (a constant `` AND ...`` term) added."""
        return bool(self.fetch(extra + " LIMIT 1", args))


def select(ctx: Context, vis: Visibility, default_n: str) -> Selection:
    """The selection a /timeline request asks for (see the module docstring)."""
    req = ctx.req
    sel = Selection()
    has_n = req.get("n") is not None or req.get("n1") is not None
    z = req.get("n1") or req.get("n") or default_n
    n_entry = 0 if z == "all" else _atoi(z)
    if z != "all" and n_entry <= 0:
        n_entry = 50
    use_dividers = req.get("nd") is None
    df = req.get("df")
    d_name = req.get("d")
    if df and _rid(vis, df):
        n_entry, use_dividers, d_name = 0, False, df
    read = ctx.has("o")
    from_rid, to_rid = _rid(vis, req.get("from")), _rid(vis, req.get("to"))
    pd_rid = _rid(vis, req.get("dp"))
    p_rid = pd_rid or _rid(vis, req.get("p"))
    d_rid = pd_rid or _rid(vis, d_name)
    f_rid = _rid(vis, req.get("f"))
    tag = req.get("t") or ""
    related = req.flag("rel")
    if req.get("r"):
        tag, related = req.get("r") or "", True
    ms = (req.get("ms") or "").lower()
    b = Builder(ctx, vis)
    if from_rid and to_rid and read:
        _path(sel, b, from_rid, to_rid, related)
    elif (p_rid or d_rid) and read and not tag:
        _family(sel, b, p_rid, d_rid, n_entry, has_n, use_dividers, pd_rid)
    elif f_rid and read:
        _close_family(sel, b, f_rid, use_dividers)
    else:
        _span(sel, b, n_entry, tag, related, ms, use_dividers)
    if req.get("s") is not None:
        sel.graph = False
    if sel.desc[:1].islower():
        sel.desc = sel.desc[0].upper() + sel.desc[1:]
    return sel


def _atoi(text: str) -> int:
    digits = ""
    for ch in text.strip():
        if not is_digits(ch):
            break
        digits += ch
    return int(digits) if digits else 0


def _info_link(ctx: Context, name: str, *, query: bool = False) -> str:
    from urllib.parse import quote

    href = f"{ctx.req.top}/info?name={quote(name, safe='')}" if query else f"{ctx.req.top}/info/{esc(name)}"
    return f'<a href="{href}">{esc(name)}</a>'


def _path(sel: Selection, b: Builder, from_rid: int, to_rid: int, related: bool) -> None:
    """from= and to=: the shortest path, then related check-ins and chng=."""
    req, repo = b.req, b.repo
    direct = req.get("shortest") is None
    path = shortest_path(repo, from_rid, to_rid, direct)
    nodes = set(path)
    if related or req.get("mionly") is not None:
        j = json.dumps(path)
        inside = "IN (SELECT value FROM json_each(?))"
        more = {
            r
            for (r,) in repo.all(
                f"SELECT pid FROM plink WHERE cid {inside} AND NOT isprim"
                f" UNION SELECT parentid FROM cherrypick WHERE childid {inside}",
                (j, j),
            )
        }
        if req.get("mionly") is None:
            more |= {
                r
                for (r,) in repo.all(
                    f"SELECT cid FROM plink WHERE pid {inside}"
                    f" UNION SELECT childid FROM cherrypick WHERE parentid {inside}",
                    (j, j),
                )
            }
        nodes |= more
    chng = req.get("chng") or ""
    if chng:
        pats = glob_list(chng)
        nodes = {
            r
            for r in nodes
            if repo.one(
                "SELECT EXISTS(SELECT 1 FROM mlink, filename WHERE mlink.mid=? AND mlink.fnid=filename.fnid AND "
                "EXISTS(SELECT 1 FROM json_each(?) WHERE filename.name GLOB value))",
                (r, pats),
            )
        }
    b.in_set(nodes)
    sel.rows = b.fetch(" ORDER BY event.mtime DESC LIMIT ?", (MAX_ROWS,))
    n_path = len(nodes)
    desc = f"{n_path} check-ins going from {_info_link(b.ctx, req.get('from') or '')}"
    desc += f" to {_info_link(b.ctx, req.get('to') or '')}"
    if related:
        n_rel = len(sel.rows) - n_path
        if n_rel > 0:
            desc += f" and {n_rel} related check-in{'s' if n_rel > 1 else ''}"
    if chng:
        desc += f" that include changes to files matching '{esc(chng)}'"
    sel.desc = desc


def shortest_path(repo: Any, start: int, end: int, direct: bool) -> list[int]:
    """path_shortest: the check-ins from ``start`` to ``end`` along parent/child links
    (primary links only when ``direct``), breadth first; [] when not connected."""
    if start == end:
        return [start]
    prim = " AND isprim" if direct else ""
    step = f"SELECT cid FROM plink WHERE pid=?{prim} UNION ALL SELECT pid FROM plink WHERE cid=?{prim}"
    came: dict[int, int] = {start: 0}
    frontier = [start]
    while frontier:
        nxt: list[int] = []
        for rid in frontier:
            for (other,) in repo.all(step, (rid, rid)):
                if other in came:
                    continue
                came[other] = rid
                if other == end:
                    out = [end]
                    while out[-1] != start:
                        out.append(came[out[-1]])
                    return out[::-1]
                nxt.append(other)
        frontier = nxt
    return []


_DESCENDANTS = (
    "WITH RECURSIVE dx(rid,mtime) AS (SELECT ?, 0 UNION"
    " SELECT plink.cid, plink.mtime FROM dx, plink WHERE plink.pid=dx.rid ORDER BY 2)"
    " SELECT rid FROM dx LIMIT ?"
)
_ANCESTORS = (
    "WITH RECURSIVE parent(pid,cid,isCP) AS (SELECT plink.pid, plink.cid, 0 FROM plink"
    " UNION ALL SELECT parentid, childid, 1 FROM cherrypick WHERE NOT isExclude),"
    " ancestor(rid, mtime, isCP) AS (SELECT ?, mtime, 0 FROM event WHERE objid=?"
    " UNION SELECT parent.pid, event.mtime, parent.isCP FROM ancestor, parent, event"
    " WHERE parent.cid=ancestor.rid AND event.objid=parent.pid AND NOT ancestor.isCP"
    " AND (event.mtime>=? OR parent.pid=?) ORDER BY mtime DESC LIMIT ?)"
    " SELECT rid FROM ancestor"
)


def _family(
    sel: Selection, b: Builder, p_rid: int, d_rid: int, n_entry: int, has_n: bool, use_dividers: bool, pd_rid: int
) -> None:
    """p=, d=, dp=, df= and bt=."""
    req, repo = b.req, b.repo
    if p_rid and d_rid:
        p_rid = d_rid
        if not has_n:
            n_entry = 10
    name = (req.get("pd") if pd_rid else req.get("p") if p_rid else req.get("d") or req.get("df")) or ""
    if not name:  # (Fossil reads pd= for dp=: the full hash then)
        name = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (p_rid or d_rid,), ""))
    ok: set[int] = set()
    desc = ""
    nd = 0
    if d_rid:
        found = [r for (r,) in repo.all(_DESCENDANTS, (d_rid, n_entry + 1 if n_entry else -1))]
        nd = len(found) - 1
        ok |= set(found)
        if nd > 0 or not p_rid:
            desc += _plural(nd, "descendant")
        if use_dividers and not sel.selected:
            sel.selected = d_rid
    back_name = req.get("bt")
    back = 0
    np = 0
    if p_rid:
        back = _rid(b.vis, back_name)
        if back and not has_n:
            n_entry = 0
        limit_mtime = 0.0
        if back:
            limit_mtime = float(repo.one("SELECT mtime FROM event WHERE objid=?", (back,), 0.0) or 0.0)
        found = [r for (r,) in repo.all(_ANCESTORS, (p_rid, p_rid, limit_mtime, back, n_entry + 1 if n_entry else -1))]
        if back and len(found) > 1:
            found.append(back)
        np = len(set(found)) - 1
        if np > 0 or nd == 0:
            if nd > 0:
                desc += " and "
            desc += _plural(np, "ancestor")
            ok |= set(found)
        if use_dividers and not sel.selected:
            sel.selected = p_rid
    desc += " of " + _info_link(b.ctx, name, query=True)
    if back:
        if np == 0:
            desc = (
                f"Check-in {_info_link(b.ctx, name, query=True)} only"
                f" ({_info_link(b.ctx, back_name or '', query=True)} is not an ancestor)"
            )
        else:
            desc += " back to " + _info_link(b.ctx, back_name or "", query=True)
    b.in_set(ok)
    sel.rows = b.fetch(" ORDER BY event.mtime DESC LIMIT ?", (MAX_ROWS,))
    sel.desc = desc


def _close_family(sel: Selection, b: Builder, f_rid: int, use_dividers: bool) -> None:
    """f=: a check-in, its parents and its children."""
    repo = b.repo
    ok = {f_rid}
    ok |= {
        r
        for (r,) in repo.all(
            "SELECT pid FROM plink WHERE cid=? UNION SELECT cid FROM plink WHERE pid=?"
            " UNION SELECT parentid FROM cherrypick WHERE childid=?"
            " UNION SELECT childid FROM cherrypick WHERE parentid=?",
            (f_rid,) * 4,
        )
    }
    b.in_set(ok)
    sel.rows = b.fetch(" ORDER BY event.mtime DESC LIMIT ?", (MAX_ROWS,))
    if use_dividers:
        sel.selected = f_rid
    uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (f_rid,), ""))
    sel.desc = f'Parents and children of check-in <a href="{b.req.top}/info/{uuid[:16]}">[{uuid[:10]}]</a>'


def _forks(repo: Any) -> set[int]:
    """Check-ins that fork (two children on their branch), those children, and their neighbours."""
    br = f"(SELECT value FROM tagxref WHERE tagid={TAG_BRANCH} AND rid=%s)"
    same = f"{br % 'cid'}=={br % 'pid'}"
    found = {
        r
        for (r,) in repo.all(
            f"SELECT pid FROM plink WHERE {same} GROUP BY pid HAVING count(*)>1"
            f" UNION SELECT cid FROM plink WHERE {same} GROUP BY cid HAVING count(*)>1"
        )
    }
    ids = json.dumps(sorted(found))
    found |= {
        r
        for (r,) in repo.all(
            f"SELECT cid FROM plink WHERE pid IN (SELECT value FROM json_each(?)) AND {same}"
            f" UNION SELECT pid FROM plink WHERE cid IN (SELECT value FROM json_each(?)) AND {same}",
            (ids, ids),
        )
    }
    return found


def uses_file(repo: Any, fid: int) -> set[int]:
    """compute_uses_file: check-ins that hold file version ``fid`` (where it was
    added or changed, and their primary descendants until it changes again)."""
    seen = {r for (r,) in repo.all("SELECT mid FROM mlink WHERE fid=?", (fid,))}
    out = set(seen)
    pending = list(seen)
    seen |= {r for (r,) in repo.all("SELECT mid FROM mlink WHERE pid=?", (fid,))}
    while pending:
        rid = pending.pop()
        for (cid,) in repo.all("SELECT cid FROM plink WHERE pid=? AND isprim", (rid,)):
            if cid not in seen:
                seen.add(cid)
                pending.append(cid)
                out.add(cid)
    return out


def _span(sel: Selection, b: Builder, n_entry: int, tag: str, related: bool, ms: str, use_dividers: bool) -> None:
    """A span of time: the usual timeline."""
    from fossilpy.web import timeline_span

    timeline_span.run(sel, b, n_entry, tag, related, ms, use_dividers)
