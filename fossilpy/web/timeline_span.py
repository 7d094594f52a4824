"""The usual /timeline: events over a span of time (the last branch of
Fossil 2.21's ``page_timeline``, ``src/timeline.c``).

Filters, in the order Fossil applies them: ``chng=`` (check-ins changing
a file matching the glob), ``uf=`` (check-ins holding a file version),
``namechng`` (check-ins renaming a file), ``forks``; one period among
``ym=YYYY-MM``, ``yw=YYYY-WW`` (or a day of that week), ``ymd=YYYY-MM-DD``,
``days=N``, ``year=YYYY`` (with links to the previous and following
period); ``t=TAG`` (``ms=glob|like`` for patterns; ``rel`` or ``r=TAG``
adds the parents and children of the tagged check-ins); ``y=TYPE``;
``u=USER``; ``s=TEXT`` (comment contains TEXT); and the bounds ``a=``,
``b=`` or the centre ``c=`` (``cf=FILEHASH``: the first check-in with
that file).  Bounds are inclusive to the second, as in Fossil; a bound
written to the millisecond (the More links) is exact and exclusive, so
that paging neither repeats nor skips a row.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from fossilpy.repo.db import sql_text
from fossilpy.repo.visibility import TAGXREF_VISIBLE
from fossilpy.text import is_digits
from fossilpy.web.timeline_query import (
    _ETYPE,
    MAX_ROWS,
    ONE_SECOND,
    Builder,
    Selection,
    _forks,
    _plural,
    echo_params,
    esc,
    glob_list,
    ms_text,
    time_of,
    uses_file,
)


def _url(bld: Builder, changes: dict[str, str | None]) -> str:
    """This page's URL with parameters replaced (None: removed)."""
    params = echo_params(bld.vis, dict(bld.req.params.items()))
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return "/timeline?" + urlencode(params)


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


_MATCH_STYLES = {"glob": ("GLOB", "glob pattern "), "like": ("LIKE", "SQL LIKE pattern "), "brlist": ("=", "any of ")}


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


def _period(sel: Selection, b: Builder) -> tuple[str, bool]:
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
        self.etype = "event"
        self.user = req.get("u")
        self.search = req.get("s")
        self.r_before: float | None = None
        self.r_after: float | None = None
        self.r_circa: float | None = None


def run(sel: Selection, b: Builder, n_entry: int, tag: str, related: bool, ms: str, use_dividers: bool) -> None:
    """Fill ``sel`` for a span-of-time timeline."""
    st = _Span(sel, b, n_entry, tag, related, ms)
    _files(st)
    st.period, st.has_period = _period(sel, b)
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
        _tagged(st)
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


def _files(st: _Span) -> None:
    """chng=, uf=, namechng and forks."""
    b, req, repo = st.b, st.b.req, st.b.repo
    if st.chng:
        b.add(
            "event.objid IN (SELECT mlink.mid FROM mlink, filename WHERE mlink.fnid=filename.fnid AND "
            "EXISTS(SELECT 1 FROM json_each(?) WHERE filename.name GLOB value))",
            glob_list(st.chng, whole=True),
        )
    uses = req.get("uf") or ""
    if uses:
        row = repo.one("SELECT rid FROM blob WHERE uuid GLOB ?||'*'", (uses.lower(),)) if _hexish(uses) else None
        if row:
            st.uses = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (row,)))
            b.in_set(uses_file(repo, int(row)))
            st.ytype = "ci"
            if req.get("n") is None and req.get("n1") is None:
                st.n_entry = 0
    if req.get("namechng") is not None:
        b.add("event.objid IN (SELECT mid FROM mlink WHERE pfnid>0 AND pfnid!=fnid)")
    if st.forks:
        b.in_set(_forks(repo))
        st.ytype = "ci"


def _tagged(st: _Span) -> None:
    """t=, r=, rel, mionly, ms= and m=."""
    b, repo, vis = st.b, st.b.repo, st.b.vis
    names, st.tag_desc = _tag_match(st.tag, st.ms)
    style = st.ms if st.ms in _MATCH_STYLES else "exact"
    if style == "exact":
        st.sel.this_tag = st.tag
    cond = _TAG_SQL[style]
    args = [json.dumps(names)]
    count = int(repo.one("SELECT count(*) FROM tagxref NATURAL JOIN tag WHERE " + cond, tuple(args), 0))
    if count <= st.n_entry:
        st.n_entry, st.circa_text = -1, None
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
    if st.user is not None:
        desc += f" by user {esc(st.user)}"
    if st.tag:
        exact = st.ms not in _MATCH_STYLES
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
    if b.exists(" AND event.mtime<?", oldest):
        sel.older = (_url(b, {"b": ms_text(oldest), "a": None, "c": None, "cf": None}), "More")
    if b.exists(" AND event.mtime>?", newest):
        sel.newer = (_url(b, {"a": ms_text(newest), "b": None, "c": None, "cf": None}), "More")
