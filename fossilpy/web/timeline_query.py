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

The span of time (the page everyone sees) is built here; the other
selections and the rarer filters are in :mod:`fossilpy.web.timeline_filters`,
imported only when asked for (a CGI request pays for every module).  Bounds
are inclusive to the second, as in Fossil; a bound written to the
millisecond (the More links) is exact and exclusive, so that paging
neither repeats nor skips a row.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from fossilpy.repo.db import sql_text
from fossilpy.repo.names import looks_like_date
from fossilpy.repo.visibility import EVENT_VISIBLE, Visibility
from fossilpy.text import is_digits
from fossilpy.web.routes import Context

#: Upper bound for n=all and for selections Fossil leaves unbounded.
MAX_ROWS = 5000
#: Fossil's fixed tag ids (``src/schema.c``).
TAG_HIDDEN, TAG_BRANCH = 5, 8
ONE_SECOND = 1.0 / 86400.0

#: Columns of a row: rid, type, mtime, comment, user, uuid, bgcolor, tags (as
#: Fossil lists them), tagid, brief; then, for a check-in (else NULL), what
#: the page draws it with (read in the same pass, the rows being few):
#: branch, leaf, its symbolic tags (a JSON array), parents as ``pid isprim``
#: pairs, closed (see ``_decorate_checkins`` in ``web/pages/timeline.py``).
SELECT = (
    "SELECT event.objid, event.type, event.mtime, coalesce(event.ecomment,event.comment,''),"
    " coalesce(event.euser,event.user,''), blob.uuid, event.bgcolor,"
    " (SELECT group_concat(substr(tagname,5), ', ') FROM tag, tagxref"
    "   WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid AND tagxref.rid=blob.rid AND tagxref.tagtype>0),"
    " event.tagid, event.brief,"
    " CASE WHEN event.type='ci' THEN (SELECT value FROM tagxref WHERE tagxref.rid=event.objid"
    "   AND tagxref.tagtype>0 AND tagxref.tagid=(SELECT tagid FROM tag WHERE tagname='branch')) END,"
    " CASE WHEN event.type='ci' THEN EXISTS(SELECT 1 FROM leaf WHERE leaf.rid=event.objid) END,"
    " CASE WHEN event.type='ci' THEN (SELECT json_group_array(substr(tag.tagname,5)) FROM tagxref"
    "   JOIN tag ON tag.tagid=tagxref.tagid"
    "   WHERE tagxref.rid=event.objid AND tagxref.tagtype>0 AND tag.tagname GLOB 'sym-*') END,"
    " CASE WHEN event.type='ci' THEN (SELECT group_concat(pid || ' ' || isprim, ' ') FROM plink"
    "   WHERE plink.cid=event.objid) END,"
    " CASE WHEN event.type='ci' THEN EXISTS(SELECT 1 FROM tagxref WHERE tagxref.rid=event.objid"
    "   AND tagxref.tagid=9 AND tagxref.tagtype>0) END"
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
        self.secondary = 0
        self.error = ""
        self.graph = True
        self.this_user = ""
        self.this_tag = ""
        self.newer: tuple[str, str] | None = None  # (url, label)
        self.older: tuple[str, str] | None = None
        self.more = False  # more rows beyond the limit (plain paging)
        self.order = "DESC"
        self.circa = False
        self.ytype = "all"
        #: bisect / bid=: rid -> (step number, mark) (:mod:`fossilpy.web.timeline_bisect`)
        self.bisect: dict[int, tuple[int | None, str | None]] | None = None


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


class Builder:
    """Collects the WHERE terms of one selection."""

    def __init__(self, ctx: Context, vis: Visibility, *, unhide: bool = False) -> None:
        self.ctx, self.vis, self.repo, self.req = ctx, vis, ctx.repo, ctx.req
        self.where: list[str] = [EVENT_VISIBLE]
        self.args: list[Any] = [vis.private]
        if not unhide and not self.req.flag("unhide") and not self.req.flag("forks"):
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


def select(
    ctx: Context, vis: Visibility, default_n: str, bisect: dict[int, tuple[int | None, str | None]] | None = None
) -> Selection:
    """The selection a /timeline request asks for (see the module docstring);
    ``bisect``: the check-ins of a bisect (``bisect``/``bid=``), which a span
    of time keeps to, hidden ones included."""
    req = ctx.req
    sel = Selection()
    sel.bisect = bisect
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
    sel.secondary = _rid(vis, req.get("sel2"))
    sel.selected = _rid(vis, req.get("sel1"))
    b = Builder(ctx, vis, unhide=bisect is not None)
    me_rid, you_rid = _rid(vis, req.get("me")), _rid(vis, req.get("you"))
    if from_rid and to_rid and read:
        from fossilpy.web import timeline_filters

        timeline_filters.path(sel, b, from_rid, to_rid, related)
    elif me_rid and you_rid and read:
        from fossilpy.web import timeline_filters

        timeline_filters.path(sel, b, me_rid, you_rid, related, common=True)
    elif (p_rid or d_rid) and read and not tag:
        from fossilpy.web import timeline_filters

        timeline_filters.family(sel, b, p_rid, d_rid, n_entry, has_n, use_dividers, pd_rid)
    elif f_rid and read:
        from fossilpy.web import timeline_filters

        timeline_filters.close_family(sel, b, f_rid, use_dividers)
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


def _url(bld: Builder, changes: dict[str, str | None]) -> str:
    """This page's URL with parameters replaced (None: removed)."""
    params = echo_params(bld.vis, dict(bld.req.params.items()))
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return "/timeline?" + urlencode(params, errors="surrogateescape")


class _Span:
    """The state of one span-of-time selection, filled step by step."""

    def __init__(self, sel: Selection, b: Builder, n_entry: int, tag: str, related: bool, ms: str) -> None:
        self.sel, self.b, self.n_entry, self.tag, self.related, self.ms = sel, b, n_entry, tag, related, ms
        req = b.req
        self.ytype = req.get("y") or ("ci" if b.ctx.has("o") else "all")
        if tag:
            self.ytype = "ci"
        self.chng = req.get("chng") or ""
        self.uses = ""
        self.forks = req.flag("forks")
        self.period, self.has_period = "", False
        self.before_text, self.after_text, self.circa_text = req.get("b"), req.get("a"), req.get("c")
        self.mark = req.get("m")
        self.tag_desc = ""
        self.tag_exact = True
        self.cherrypicks = False
        self.bisect = sel.bisect is not None
        self.etype = "event"
        self.user = req.get("u")
        self.search = req.get("s")
        self.r_before: float | None = None
        self.r_after: float | None = None
        self.r_circa: float | None = None


def _span(sel: Selection, b: Builder, n_entry: int, tag: str, related: bool, ms: str, use_dividers: bool) -> None:
    """Fill ``sel`` for a span-of-time timeline."""
    st = _Span(sel, b, n_entry, tag, related, ms)
    _files(st)
    if any(b.req.get(k) is not None for k in ("ym", "yw", "ymd", "days", "year")):
        from fossilpy.web import timeline_filters

        st.period, st.has_period = timeline_filters.period(sel, b)
    if st.has_period:
        st.n_entry = -1
    cf = b.req.get("cf")
    if cf is not None:
        st.circa_text = b.repo.one(
            "SELECT (SELECT uuid FROM blob WHERE rid=mlink.mid) FROM mlink, event"
            " WHERE mlink.fid=(SELECT rid FROM blob WHERE uuid LIKE ?||'%') AND event.objid=mlink.mid"
            " ORDER BY event.mtime LIMIT 1",
            (cf,),
        )
    if tag:
        from fossilpy.web import timeline_filters

        timeline_filters.tagged(st)
    _types(st)
    _user_and_text(st)
    _fetch(st)
    _describe(st)
    if not st.has_period and sel.rows and b.ctx.has("h"):
        _more_links(sel, b, sel.rows)
    if use_dividers and st.mark:
        when = time_of(b.vis, st.mark)
        if when is not None and sel.rows and not sel.selected:
            sel.selected = min(sel.rows, key=lambda r: abs(float(r[2] or 0.0) - when))[0]


#: chng=: the names matching the glob list (a JSON array) ...
_CHNG_NAMES = "SELECT fnid FROM filename WHERE EXISTS(SELECT 1 FROM json_each(?) WHERE filename.name GLOB value)"
#: ... how many mlink rows they have, counted up to a bound ...
_CHNG_ROWS = "SELECT count(*) FROM (SELECT 1 FROM mlink WHERE mlink.fnid IN (SELECT value FROM json_each(?)) LIMIT ?)"
_CHNG_FNID = "mlink.fnid IN (SELECT value FROM json_each(?))"
#: ... and past this many, each row is tested as the newest-first scan meets
#: it (through mlink_i1) instead of listing every check-in that touched them.
CHNG_SET_LIMIT = 2000


def _files(st: _Span) -> None:
    """chng=, uf=, namechng and forks."""
    b, req, repo = st.b, st.b.req, st.b.repo
    if st.chng:  # the check-ins with an mlink row of a matching name
        globs = glob_list(st.chng, whole=True)
        fnids = json.dumps([f for (f,) in repo.all(_CHNG_NAMES, (globs,))])
        if int(repo.one(_CHNG_ROWS, (fnids, CHNG_SET_LIMIT + 1), 0)) > CHNG_SET_LIMIT:
            b.add("EXISTS(SELECT 1 FROM mlink WHERE mlink.mid=event.objid AND " + _CHNG_FNID + ")", fnids)
        else:
            b.add("event.objid IN (SELECT mlink.mid FROM mlink WHERE " + _CHNG_FNID + ")", fnids)
    uses = req.get("uf") or ""
    if uses:
        row = repo.one("SELECT rid FROM blob WHERE uuid GLOB ?||'*'", (uses.lower(),)) if _hexish(uses) else None
        if row:
            st.uses = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (row,)))
            from fossilpy.web import timeline_filters

            b.in_set(timeline_filters.uses_file(repo, int(row)))
            st.ytype = "ci"
            if req.get("n") is None and req.get("n1") is None:
                st.n_entry = 0
    if req.get("namechng") is not None:
        b.add("event.objid IN (SELECT mid FROM mlink WHERE pfnid>0 AND pfnid!=fnid)")
    st.cherrypicks = req.flag("cherrypicks") and not req.flag("ncp")
    if st.cherrypicks:
        b.add("event.objid IN (SELECT childid FROM cherrypick UNION SELECT parentid FROM cherrypick)")
    if st.forks:
        from fossilpy.web import timeline_filters

        b.in_set(timeline_filters.forks(repo))
        st.ytype = "ci"
    if st.sel.bisect is not None:
        b.in_set(set(st.sel.bisect))
        st.ytype = "ci"


def _types(st: _Span) -> None:
    """y=, within what the reader may see."""
    ctx, b = st.b.ctx, st.b
    read = ctx.has("o")
    perms = {"w": ctx.has("j"), "e": ctx.has("j"), "t": ctx.has("r"), "n": ctx.has("r"), "c": read, "g": read}
    perms["f"] = ctx.has("2")
    if not perms.get(st.ytype[:1], True):
        st.ytype = "all"
    if st.ytype[:1] == "a":
        allowed = (
            (["ci", "g"] if read else [])
            + (["w", "e"] if ctx.has("j") else [])
            + (["t"] if ctx.has("r") else [])
            + (["f"] if ctx.has("2") else [])
        )
        if len(allowed) < 6:
            b.add("event.type IN (SELECT value FROM json_each(?))", json_list(allowed))
    else:
        if st.ytype[:1] == "n":
            b.add("event.type='t' AND event.comment GLOB 'New ticket*'")
        else:
            b.add("event.type=?", st.ytype)
        st.etype = "check-in" if st.ytype[:1] == "c" else _ETYPE.get(st.ytype, "event")
    st.sel.ytype = st.ytype


def _user_and_text(st: _Span) -> None:
    """u= and s=."""
    b, user = st.b, st.user
    if user is not None:
        n_user = int(
            b.repo.one(
                "SELECT count(*) FROM event WHERE user=CAST(? AS TEXT) OR euser=CAST(? AS TEXT)",
                (sql_text(user), sql_text(user)),
                0,
            )
        )
        if n_user <= st.n_entry:
            st.circa_text = st.before_text = st.after_text = None
            st.n_entry = -1
        b.add("(event.user=CAST(? AS TEXT) OR event.euser=CAST(? AS TEXT))", sql_text(user), sql_text(user))
        st.sel.this_user = user
    if st.search is not None:
        b.add("(event.comment LIKE '%'||?||'%' OR event.brief LIKE '%'||?||'%')", st.search, st.search)


def _fetch(st: _Span) -> None:
    """The rows: after a=, before b=, between both, around c=, or the newest."""
    b, sel, vis, n_entry = st.b, st.sel, st.b.vis, st.n_entry
    st.r_before = time_of(vis, st.before_text) if st.before_text else None
    st.r_after = time_of(vis, st.after_text) if st.after_text else None
    st.r_circa = time_of(vis, st.circa_text) if st.circa_text else None
    limit = n_entry if n_entry > 0 else MAX_ROWS
    rows: list[Any]
    if st.r_after is not None:
        lo = _bound(st.after_text or "", st.r_after, -1)
        if st.r_before is not None:
            hi = _bound(st.before_text or "", st.r_before, 1)
            rows = b.fetch(
                " AND event.mtime>=? AND event.mtime<=? ORDER BY event.mtime ASC LIMIT ?",
                (lo, hi, MAX_ROWS + 1),
            )
            limit = MAX_ROWS
        else:
            rows = b.fetch(" AND event.mtime>=? ORDER BY event.mtime ASC LIMIT ?", (lo, limit + 1))
        sel.more = len(rows) > limit
        rows = rows[:limit][::-1]
        sel.order = "ASC"
        st.circa_text, st.r_circa = None, None
    elif st.r_before is not None:
        hi = _bound(st.before_text or "", st.r_before, 1)
        rows = b.fetch(" AND event.mtime<=? ORDER BY event.mtime DESC LIMIT ?", (hi, limit + 1))
        sel.more = len(rows) > limit
        rows = rows[:limit]
        st.circa_text, st.r_circa = None, None
    elif st.r_circa is not None:
        circa = st.r_circa = float(f"{st.r_circa:f}")  # as Fossil writes it into its SQL (%f)
        n_after = (n_entry + 1) // 2 if n_entry > 0 else MAX_ROWS
        after = b.fetch(" AND event.mtime>=? ORDER BY event.mtime ASC LIMIT ?", (circa, n_after))
        rest = n_entry - len(after) if n_entry > 0 else MAX_ROWS
        before = b.fetch(" AND event.mtime<=? ORDER BY event.mtime DESC LIMIT ?", (circa, max(rest, 0)))
        have = {r[0] for r in after}
        rows = after[::-1] + [r for r in before if r[0] not in have]
        sel.circa = True
        if st.mark is None:
            st.mark = st.circa_text
    else:
        rows = b.fetch(" ORDER BY event.mtime DESC LIMIT ?", (limit + 1,))
        sel.more = len(rows) > limit
        rows = rows[:limit]
    sel.rows = rows


def _describe(st: _Span) -> None:
    """The heading line, as Fossil words it."""
    req, repo, n = st.b.req, st.b.repo, len(st.sel.rows)
    what = st.etype + ("" if n == 1 else "s")
    if st.has_period:
        desc = f"{n} {what}{st.period}"
    elif st.before_text is None and st.circa_text is None and n >= st.n_entry and st.n_entry > 0:
        desc = f"{n} most recent {what}"
    else:
        desc = f"{n} {what}"
    uses = st.uses
    if uses:
        names = repo.all(
            "SELECT DISTINCT filename.name FROM mlink, filename"
            " WHERE mlink.fid=(SELECT rid FROM blob WHERE uuid=?) AND filename.fnid=mlink.fnid",
            (uses,),
        )
        links = " or ".join(
            f'<a href="{req.top}/finfo?name={quote(nm, safe="")}&amp;m={uses[:16]}">{esc(nm)}</a>' for (nm,) in names
        )
        desc += f' using file {links} version <a href="{req.top}/artifact/{uses[:16]}">{uses[:10]}</a>'
    if req.get("namechng") is not None:
        desc += " that contain filename changes"
    if st.forks:
        desc += " associated with forks"
    if st.bisect:
        desc += " in a bisect"
    if st.cherrypicks:
        desc += " that participate in a cherrypick merge"
    if st.user is not None:
        desc += f" by user {esc(st.user)}"
    if st.tag:
        exact = st.tag_exact
        what = (
            ("related to " if st.related else "tagged with ")
            if exact
            else ("related to tags matching " if st.related else "with tags matching ")
        )
        desc += " " + what + esc(st.tag_desc)
        if st.mark:
            desc += f' plus check-in "{esc(st.mark)}"'
    if st.chng:
        desc += f" that include changes to files matching '{esc(st.chng)}'"
    after, before = esc(st.after_text or ""), esc(st.before_text or "")
    if st.r_after is not None:
        desc += (
            f" occurring between {after} and {before}.<br />"
            if st.r_before is not None
            else (f" occurring on or after {after}.<br />")
        )
    elif st.r_before is not None:
        desc += f" occurring on or before {before}.<br />"
    elif st.r_circa is not None:
        desc += f" occurring around {esc(st.circa_text or '')}.<br />"
    if st.search is not None:
        desc += f' matching "{esc(st.search)}"'
    st.sel.desc = desc


def json_list(items: list[str]) -> str:
    return json.dumps(items)


def _hexish(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def _bound(text: str, when: float, direction: int) -> float:
    """The inclusive limit for an a= (direction -1) or b= (+1) bound: a second's
    slack, as Fossil; a time written to the millisecond (the More links) is
    exact and exclusive (just inside it)."""
    if "." in text and is_digits(text.replace(" ", "").replace("-", "").replace(":", "").replace(".", "")):
        return when - direction * 1e-9
    return when + direction * ONE_SECOND


def _more_links(sel: Selection, b: Builder, rows: list[Any]) -> None:
    """Fossil's "More" buttons: older and newer rows under the same filters."""
    if rows[-1][2] is None or rows[0][2] is None:
        return
    oldest, newest = float(rows[-1][2]), float(rows[0][2])
    plain = sel.order == "DESC" and not sel.circa and b.req.get("b") is None
    # the newest rows, as most requests ask: one more row was fetched to tell whether older ones exist
    if sel.more if plain else b.exists(" AND event.mtime<?", oldest):
        sel.older = (_url(b, {"b": ms_text(oldest), "a": None, "c": None, "cf": None}), "More")
    if not plain and b.exists(" AND event.mtime>?", newest):
        sel.newer = (_url(b, {"a": ms_text(newest), "b": None, "c": None, "cf": None}), "More")
