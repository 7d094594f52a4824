"""The less common selections of /timeline (Fossil 2.21 ``page_timeline``),
imported only when a request asks for one:

* ``from=``/``to=`` (:func:`path`): the shortest path between two check-ins,
  ``rel``/``mionly`` adding merge parents and children, ``chng=`` keeping
  those changing a file matching a glob list;
* ``p=``, ``d=``, ``dp=``, ``df=``, ``bt=`` (:func:`family`): ancestors and
  descendants, as ``compute_ancestors``/``compute_descendants``;
* ``f=`` (:func:`close_family`): a check-in, its parents and children;
* ``t=``/``r=``/``rel``/``ms=``/``m=`` (:func:`tagged`): tagged check-ins and
  their relatives; ``forks`` (:func:`forks`); ``uf=`` (:func:`uses_file`);
* ``ym=``, ``yw=``, ``ymd=``, ``days=``, ``year=`` (:func:`period`), with the
  links to the previous and following period.
"""

from __future__ import annotations

import json
from typing import Any

from fossilpy.repo.visibility import TAGXREF_VISIBLE
from fossilpy.text import is_digits
from fossilpy.web.routes import Context
from fossilpy.web.timeline_query import (
    MAX_ROWS,
    TAG_BRANCH,
    Builder,
    Selection,
    _plural,
    _rid,
    _url,
    esc,
    glob_list,
)


def _info_link(ctx: Context, name: str, *, query: bool = False) -> str:
    from urllib.parse import quote

    href = f"{ctx.req.top}/info?name={quote(name, safe='')}" if query else f"{ctx.req.top}/info/{esc(name)}"
    return f'<a href="{href}">{esc(name)}</a>'


def path(sel: Selection, b: Builder, from_rid: int, to_rid: int, related: bool, *, common: bool = False) -> None:
    """from= and to= (the shortest path), or me= and you= (``common``: both
    down from their nearest common ancestor); then related check-ins and chng=."""
    req, repo = b.req, b.repo
    direct = req.get("shortest") is None
    path = common_ancestor_path(repo, from_rid, to_rid) if common else shortest_path(repo, from_rid, to_rid, direct)
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
    start, end = (req.get("me"), req.get("you")) if common else (req.get("from"), req.get("to"))
    desc = f"{n_path} check-ins going from {_info_link(b.ctx, start or '')}"
    desc += f" to {_info_link(b.ctx, end or '')}"
    if related:
        n_rel = len(sel.rows) - n_path
        if n_rel > 0:
            desc += f" and {n_rel} related check-in{'s' if n_rel > 1 else ''}"
    if chng:
        desc += f" that include changes to files matching '{esc(chng)}'"
    sel.desc = desc


def common_ancestor_path(repo: Any, me: int, you: int) -> list[int]:
    """path_common_ancestor: ``me`` up to the nearest ancestor shared with
    ``you`` and down to ``you`` (both walked up a generation at a time); []
    when they share none or are the same."""
    if me == you:
        return []  # (Fossil finds no path then: "0 check-ins going from X to X")
    leg = {me: True, you: False}  # True: on me's side
    came: dict[int, int] = {}
    seen = {me, you}
    current = [you, me]  # (Fossil walks its newest nodes first)

    def chain(rid: int) -> list[int]:
        out = [rid]
        while out[-1] in came:
            out.append(came[out[-1]])
        return out

    while current:
        nxt: list[int] = []
        for rid in current:
            for (pid,) in repo.all("SELECT pid FROM plink WHERE cid=?", (rid,)):
                if pid in leg and leg[pid] != leg[rid]:
                    mine, yours = (chain(rid), chain(pid)) if leg[rid] else (chain(pid), chain(rid))
                    return mine[::-1] + yours if leg[rid] else yours[::-1] + mine
                if pid in seen:
                    continue
                seen.add(pid)
                leg[pid], came[pid] = leg[rid], rid
                nxt.insert(0, pid)
        current = nxt
    return []


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
#: Fossil's ``compute_ancestors`` (not direct-only): parents, merge parents
#: and cherry-pick parents (whose own ancestors are not followed), newest
#: first, at most :n, back to the time :lim (or the check-in :back).  Fossil
#: joins a view of plink UNION ALL cherrypick, which SQLite materialises
#: whole (every plink row, each request); two recursive steps, one per
#: table, give the same rows in the same order through plink_i2 (cid) and
#: cherrypick_cid, so the cost follows the ancestors shown.
_ANCESTORS = (
    "WITH RECURSIVE ancestor(rid, mtime, isCP) AS (SELECT :rid, mtime, 0 FROM event WHERE objid=:rid"
    " UNION SELECT plink.pid, event.mtime, 0 FROM ancestor, plink, event"
    " WHERE plink.cid=ancestor.rid AND event.objid=plink.pid AND NOT ancestor.isCP"
    " AND (event.mtime>=:lim OR plink.pid=:back)"
    " UNION SELECT cherrypick.parentid, event.mtime, 1 FROM ancestor, cherrypick, event"
    " WHERE cherrypick.childid=ancestor.rid AND NOT cherrypick.isExclude AND event.objid=cherrypick.parentid"
    " AND NOT ancestor.isCP AND (event.mtime>=:lim OR cherrypick.parentid=:back)"
    " ORDER BY mtime DESC LIMIT :n)"
    " SELECT rid FROM ancestor"
)


def family(
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
        args = {"rid": p_rid, "lim": limit_mtime, "back": back, "n": n_entry + 1 if n_entry else -1}
        found = [r for (r,) in repo.all(_ANCESTORS, args)]
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


def close_family(sel: Selection, b: Builder, f_rid: int, use_dividers: bool) -> None:
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


def forks(repo: Any) -> set[int]:
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


def _tag_quote(tag: str) -> str:
    return '"' + tag.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tag_words(text: str) -> list[str]:
    """The patterns of a t= list: separated by commas or spaces, or quoted."""
    words: list[str] = []
    i = 0
    while True:
        while i < len(text) and (text[i].isspace() or text[i] == ","):
            i += 1
        if i >= len(text):
            return words
        if text[i] in "'\"":
            end = text.find(text[i], i + 1)
            end = len(text) if end < 0 else end
            words.append(text[i + 1 : end])
            i = end + 1
        else:
            j = i
            while j < len(text) and text[j] != "," and not text[j].isspace():
                j += 1
            words.append(text[i:j])
            i = j


_MATCH_STYLES = {
    "glob": ("GLOB", "glob pattern "),
    "like": ("LIKE", "SQL LIKE pattern "),
    "regexp": ("~", "regular expression "),
    "brlist": ("=", "any of "),
}


#: t= under each match style: tag.tagname against the JSON array of names/patterns bound to the placeholder.
_TAG_SQL = {
    "exact": "tag.tagname IN (SELECT value FROM json_each(?))",
    "brlist": "tag.tagname IN (SELECT value FROM json_each(?))",
    "glob": "EXISTS(SELECT 1 FROM json_each(?) WHERE tag.tagname GLOB value)",
    "like": "EXISTS(SELECT 1 FROM json_each(?) WHERE tag.tagname LIKE value)",
}


def _tag_match(tag: str, ms: str) -> tuple[list[str], str]:
    """tagMatchExpression: (``sym-`` names or patterns, description) for t= under
    match style ``ms`` (exact, glob, like or brlist)."""
    if ms in _MATCH_STYLES:
        intro = _MATCH_STYLES[ms][1]
        pats = _tag_words(tag)
        if ms == "regexp":  # a pattern that does not compile is left out (Fossil reports it)
            pats = [p for p in pats if _compiles(p)]
        quoted = [_tag_quote(p) for p in pats]
        desc = ""
        if quoted:
            desc = intro + quoted[0]
            if len(quoted) == 2:
                desc += " or " + quoted[1]
            elif len(quoted) > 2:
                desc += ", " + ", ".join(quoted[1:-1]) + ", or " + quoted[-1]
        return ["sym-" + p for p in pats], desc
    return ["sym-" + tag], _tag_quote(tag)


def _compiles(pattern: str) -> bool:
    import re

    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _regexp_names(repo: Any, names: list[str]) -> list[str]:
    """The ``sym-`` tags whose whole name matches one of the patterns (``sym-PATTERN``)."""
    import re

    if not names:
        return []
    expr = re.compile("^sym-(" + "|".join(n[4:] for n in names) + ")$")
    return [t for (t,) in repo.all("SELECT tagname FROM tag WHERE tagname GLOB 'sym-*'") if expr.search(t)]


def tagged(st: Any) -> None:
    """t=, r=, rel, mionly, ms= and m=."""
    b, repo, vis = st.b, st.b.repo, st.b.vis
    names, st.tag_desc = _tag_match(st.tag, st.ms)
    style = st.ms if st.ms in _MATCH_STYLES else "exact"
    if style == "regexp":
        bad = [p for p in _tag_words(st.tag) if not _compiles(p)]
        if bad:
            st.sel.error = "Error: " + ", ".join(f"(regular expression {_tag_quote(p)}: does not compile)" for p in bad)
        if not names:  # nothing usable: no tag filter at all, as Fossil
            st.tag = ""
            return
    st.tag_exact = style == "exact"
    if style == "exact":
        st.sel.this_tag = st.tag
    if style == "regexp":
        names, style = _regexp_names(repo, names), "brlist"
    cond = _TAG_SQL[style]
    args = [json.dumps(names)]
    tagids = json.dumps([t for (t,) in repo.all("SELECT tagid FROM tag WHERE " + cond, tuple(args))])
    # how many tagxref rows the tags have, counted only as far as it matters
    enough = max(st.n_entry, SET_LIMIT) + 1
    count = int(
        repo.one(
            "SELECT count(*) FROM (SELECT 1 FROM tagxref WHERE tagid IN (SELECT value FROM json_each(?)) LIMIT ?)",
            (tagids, enough),
            0,
        )
    )
    if count <= st.n_entry:
        st.n_entry, st.circa_text = -1, None
    if count > SET_LIMIT:
        _tagged_rows(st, tagids)
        return
    selected = {
        r
        for (r,) in repo.all(
            "SELECT tagxref.rid FROM tagxref NATURAL JOIN tag WHERE " + cond + " AND tagtype>0 AND " + TAGXREF_VISIBLE,
            (*args, vis.private),
        )
    }
    if st.mark:
        rid = vis.lookup(st.mark, "*")
        if rid > 0:
            selected.add(rid)
    if st.related:
        j = json.dumps(sorted(selected))
        inside = "IN (SELECT value FROM json_each(?))"
        extra = {
            r
            for (r,) in repo.all(
                f"SELECT pid FROM plink WHERE cid {inside}"
                f" UNION SELECT parentid FROM cherrypick WHERE childid {inside}",
                (j, j),
            )
        }
        if b.req.get("mionly") is None:
            extra |= {
                r
                for (r,) in repo.all(
                    f"SELECT cid FROM plink WHERE pid {inside}"
                    f" UNION SELECT childid FROM cherrypick WHERE parentid {inside}",
                    (j, j),
                )
            }
        selected |= extra
    b.in_set(selected)


#: Tagged rows up to which t=/r= lists the matching check-ins (and their
#: relatives) first; past it, each candidate row is tested as the newest-first
#: scan meets it (:func:`_tagged_rows`), which stops at the page's last row.
SET_LIMIT = 2000


def _tagged_rows(st: Any, tagids: str) -> None:
    """The selection of :func:`tagged` as a test of each event row: tagged
    with one of ``tagids`` (a JSON array) or the m= check-in, or (``rel``,
    r=) a parent or merge parent of one, or (without ``mionly``) a child.
    Its cost follows the rows the page shows (a branch as busy as trunk),
    not the number of check-ins that carry the tag."""
    b, vis = st.b, st.b.vis
    mark = 0
    if st.mark:
        rid = vis.lookup(st.mark, "*")
        mark = rid if rid > 0 else 0
    terms = [_CHOSEN_ROW]
    if st.related:
        terms += _PARENT_OF_CHOSEN
        if b.req.get("mionly") is None:
            terms += _CHILD_OF_CHOSEN
    b.add("(" + " OR ".join(terms) + ")", *(tagids, vis.private, mark) * len(terms))


#: The end of "check-in X is chosen": tagged with one of the tags of the
#: JSON array at the first placeholder (visible per the second) ... or X is
#: the third (the m= check-in).
_TAGGED = " AND tagxref.tagid IN (SELECT value FROM json_each(?)) AND tagxref.tagtype>0 AND " + TAGXREF_VISIBLE
_CHOSEN_ROW = "(EXISTS(SELECT 1 FROM tagxref WHERE tagxref.rid=event.objid" + _TAGGED + ") OR event.objid=?)"
#: The row is a parent or merge parent of a chosen check-in.
_PARENT_OF_CHOSEN = [
    "EXISTS(SELECT 1 FROM plink WHERE plink.pid=event.objid AND (EXISTS(SELECT 1 FROM tagxref"
    " WHERE tagxref.rid=plink.cid" + _TAGGED + ") OR plink.cid=?))",
    "EXISTS(SELECT 1 FROM cherrypick WHERE cherrypick.parentid=event.objid AND (EXISTS(SELECT 1 FROM tagxref"
    " WHERE tagxref.rid=cherrypick.childid" + _TAGGED + ") OR cherrypick.childid=?))",
]
#: The row is a child (or cherry-pick) of a chosen check-in.
_CHILD_OF_CHOSEN = [
    "EXISTS(SELECT 1 FROM plink WHERE plink.cid=event.objid AND (EXISTS(SELECT 1 FROM tagxref"
    " WHERE tagxref.rid=plink.pid" + _TAGGED + ") OR plink.pid=?))",
    "EXISTS(SELECT 1 FROM cherrypick WHERE cherrypick.childid=event.objid AND (EXISTS(SELECT 1 FROM tagxref"
    " WHERE tagxref.rid=cherrypick.parentid" + _TAGGED + ") OR cherrypick.parentid=?))",
]


def period(sel: Selection, b: Builder) -> tuple[str, bool]:
    """Apply ym=, yw=, ymd=, days= or year=; return (description, applied)."""
    req, repo = b.req, b.repo
    one = repo.one
    newer = older = None
    if req.get("ym"):
        ym = (req.get("ym") or "")[:7]
        if one("SELECT julianday(?||'-01') IS NULL", (ym,)):
            ym = str(one("SELECT strftime('%Y-%m','now')"))
        nxt = str(one("SELECT strftime('%Y-%m',?||'-01','+1 month')", (ym,)))
        if b.exists(" AND event.mtime>=julianday(?||'-01')", nxt):
            newer = (_url(b, {"ym": nxt}), "Following month")
        prev = str(one("SELECT strftime('%Y-%m',?||'-01','-1 month')", (ym,)))
        if b.exists(" AND event.mtime<julianday(?||'-01')", ym):
            older = (_url(b, {"ym": prev}), "Previous month")
        b.add("strftime('%Y-%m',event.mtime)=?", ym)
        desc = f" for the month beginning {esc(ym)}-01"
    elif req.get("yw"):
        yw = req.get("yw") or ""
        week = one("SELECT strftime('%Y-%W',?)", (yw,))
        if week:
            start = one("SELECT date(?,'-6 days','weekday 1')", (yw,))
            yw = str(week)
        else:
            start = None
            if len(yw) == 7 and is_digits(yw[5:]):
                start = one("SELECT date(?||'-01-01',?,'weekday 1')", (yw[:4], f"{int(yw[5:]) * 7 - 6:+d} days"))
            if not start:
                start = one("SELECT date('now','-6 days','weekday 1')")
                yw = str(one("SELECT strftime('%Y-%W','now','-6 days','weekday 1')"))
        start = str(start)
        nxt = str(one("SELECT date(?,'+7 day')", (start,)))
        if b.exists(" AND event.mtime>=julianday(?)", nxt):
            newer = (_url(b, {"yw": nxt}), "Following week")
        prev = str(one("SELECT date(?,'-7 days')", (start,)))
        if b.exists(" AND event.mtime<julianday(?)", start):
            older = (_url(b, {"yw": prev}), "Previous week")
        b.add("strftime('%Y-%W',event.mtime)=?", yw)
        desc = f" for week {esc(yw)} beginning on {esc(start)}"
    elif req.get("ymd"):
        day = one("SELECT date(?)", (req.get("ymd"),)) or one("SELECT date('now')")
        day = str(day)
        nxt = str(one("SELECT date(?,'+1 day')", (day,)))
        if b.exists(" AND event.mtime>=julianday(?)", nxt):
            newer = (_url(b, {"ymd": nxt}), "Following day")
        prev = str(one("SELECT date(?,'-1 day')", (day,)))
        if b.exists(" AND event.mtime<julianday(?)", day):
            older = (_url(b, {"ymd": prev}), "Previous day")
        b.add("date(event.mtime)=?", day)
        desc = f" occurring on {esc(day)}"
    elif req.get("days"):
        days = max(1, _int(req.get("days") or ""))
        b.add("event.mtime>=julianday('now',?)", f"-{days} days")
        desc = f" within the past {_plural(days, 'day')}"
    elif _is_year(req.get("year") or ""):
        year = req.get("year") or ""
        if year == "0":
            year = str(one("SELECT strftime('%Y','now')"))
        else:
            nxt = str(int(year) + 1)
            if b.exists(" AND strftime('%Y',event.mtime)=?", nxt):
                newer = (_url(b, {"year": nxt}), "Following year")
        prev = str(int(year) - 1)
        if b.exists(" AND strftime('%Y',event.mtime)=?", prev):
            older = (_url(b, {"year": prev}), "Previous year")
        b.add("strftime('%Y',event.mtime)=?", year)
        desc = ""
    else:
        return "", False
    sel.newer, sel.older = newer, older
    return desc, True


def _is_year(text: str) -> bool:
    """year=: four digits after 1900, or "0" (this year)."""
    return (len(text) == 4 and is_digits(text) and int(text) > 1900) or text == "0"


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return 0
