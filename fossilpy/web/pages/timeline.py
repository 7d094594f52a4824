"""/timeline: the history of the repository, with its branch graph.

Rows come from the ``event`` table (filled by crosslinking, :mod:`fossilpy.repo.crosslink`),
one per check-in (``ci``), wiki edit (``w``), ticket change (``t``),
technote (``e``), forum post (``f``) or tag change (``g``).  Which rows,
and the line describing them, follow Fossil 2.21's ``page_timeline``
(:mod:`fossilpy.web.timeline_query`, :mod:`fossilpy.web.timeline_span`);
this module draws them: the graph, the row colours (``bgcolor``, brbg,
ubg), the changed files (v=) and the view style (ss=, written by
:func:`fossilpy.web.timeline_rows.render_styled`).  The helpers
``_event``, ``_decorate_checkins`` and ``_graph`` also serve the branch
and leaf timelines.
"""

from __future__ import annotations

from typing import Any

from fossilpy.repo.names import looks_like_date
from fossilpy.repo.visibility import Visibility
from fossilpy.web import names
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Upper bound for n=all.
MAX_ROWS = 5000

_TYPES = {"ci": "ci", "w": "w", "t": "t", "n": "t", "e": "e", "f": "f", "g": "g"}


class Event:
    """One timeline row, ready for the template."""

    __slots__ = (
        "rid",
        "type",
        "mtime",
        "comment",
        "user",
        "uuid",
        "branch",
        "leaf",
        "tags",
        "link",
        "label",
        "graph",
        "merge",
        "selected",
        "bgcolor",
        "taglist",
        "bg",
        "files",
        "closed",
        "tagid",
        "omitted",
        "note",
        "secondary",
        "forum",
        "bisect",
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
        self.bgcolor = self.taglist = self.bg = ""
        self.files: list[str] = []
        self.closed = False
        self.tagid = self.omitted = 0
        self.note = ""
        self.secondary = False
        self.forum = ""
        self.bisect: tuple[int, str] | None = None


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
    """/timeline?n=N&y=TYPE&u=USER&a=T&b=T&c=T&t=TAG&r=TAG&p=CI&d=CI&f=CI&from=CI&to=CI&ss=STYLE&...

    The history of the project, newest first, with the branch graph.
    With no y= a reader of check-ins sees check-ins only (y=all: every
    event).  y= picks a type (ci, w, t, n, e, f, g, all); u= a user;
    a=/b= bound the time (a date or a name), c= the events around one;
    t= check-ins with a tag (r= also their parents and children, ms=glob
    or like for patterns); s= comment text; chng= check-ins changing
    files matching a glob; uf= check-ins holding a file version; cf= the
    check-ins around a file's first use; ym=, yw=, ymd=, days=, year= a
    month, week, day, recent days; namechng, forks; p=, d=, dp=, df=,
    bt= ancestors and descendants, f= parents and children, from=/to= the
    path between two check-ins; n= how many rows ("all"); ss= the view
    style (m Modern, j Columnar, c Compact, v Verbose, x Classic); v
    lists changed files; brbg/ubg colour rows by branch/user, nc not at
    all; ng no graph; nd no highlight; unhide shows hidden check-ins."""
    from markupsafe import Markup

    from fossilpy.markup import wikirender
    from fossilpy.web import timeline_query, timeline_rows
    from fossilpy.web.render import link_facts

    req, repo = ctx.req, ctx.repo
    vis = names.visibility(ctx)
    config = dict(repo.all(_CONFIG))
    prefs = _display_prefs(ctx)
    default_n = prefs.get("n", str(config.get("timeline-default-length") or "50"))
    for name in ("y", "ss"):  # a choice remembered in the display cookie stands in for a missing parameter
        if req.get(name) is None and name in prefs:
            req.params[name] = prefs[name]
    bisect: dict[int, tuple[int | None, str | None]] | None = None
    bisect_links: list[tuple[str, str, bool]] = []  # the submenu's Permalink of a local bisect
    if req.get("bisect") is not None or req.get("bid") is not None:
        from fossilpy.web import timeline_bisect

        found = timeline_bisect.for_request(ctx)
        if isinstance(found, Response):
            return found
        if found is not None:
            bisect, bisect_links = found
    sel = timeline_query.select(ctx, vis, default_n, bisect)
    events: list[Event] = []
    known: dict[int, tuple[Any, ...]] = {}
    brief = sel.ytype[:1] == "a"
    prev_tagid = 0
    for r in sel.rows:
        tagid = r[8] or 0
        if tagid and tagid == prev_tagid:
            if brief:  # y=all: "... N similar events omitted."
                events[-1].omitted += 1
                continue
            r = (*r[:3], r[9] or "", *r[4:])  # the same ticket again: its short comment
        prev_tagid = tagid
        e = _event(ctx, *r[:6])
        e.bgcolor, e.taglist, e.tagid = r[6] or "", r[7] or "", tagid
        if e.type == "ci":
            known[e.rid] = r[10:15]
            step = bisect.get(e.rid) if bisect is not None else None
            if step is not None and step[0] and step[1]:
                e.bisect = (step[0], step[1])
        e.selected = e.rid == sel.selected or e.rid == sel.secondary
        e.secondary = e.rid == sel.secondary and e.rid != sel.selected
        events.append(e)
    parents = _decorate_checkins(ctx, vis, events, known)
    for e in events:
        if e.type == "e" and e.tagid:  # technote: its id, from the tag event-ID
            e.note = str(repo.one("SELECT substr(tagname,7) FROM tag WHERE tagid=?", (e.tagid,), "") or "")
    graph = None
    if sel.graph and not req.flag("ng"):
        if parents is not None:
            graph = _graph(events, parents)
        _colour(ctx, events)  # (Fossil colours technotes in its graph even when no check-in is shown)
    if (req.flag("v") or req.flag("fc") or req.flag("detail")) and ctx.has("h"):
        _file_changes(ctx, events)
    _truncate_comments(ctx, events, config)
    if req.flag("vfx") and ctx.has("h"):
        _forum_text(ctx, events)
    datefmt = _int(req.get("datefmt") or str(config.get("timeline-date-format") or "0"), 0)
    style = (req.get("ss") or str(config.get("timeline-default-style") or "m"))[:1]
    if style not in timeline_rows.STYLES:
        style = "m"
    top, links, facts = req.top, ctx.login.has("h"), link_facts(ctx)
    html = timeline_rows.render_styled(
        events,
        graph_width=graph.width if graph is not None else None,
        top=top,
        links=links,
        comment=lambda text: wikirender.render_inline(text, top=top, links=links, facts=facts),
        style=style,
        this_user=sel.this_user,
        this_tag=sel.this_tag,
        datefmt=datefmt,
        ts_info=_on(config.get("timeline-tslink-info")),
    )
    about = _about(ctx, vis)
    cookie = _remember_choices(ctx, prefs, config, style)
    page = ctx.render(
        "timeline.html",
        about=about,
        error=sel.error,
        title="Timeline",
        desc=Markup(sel.desc),
        rows=Markup(html),
        newer=sel.newer,
        older=sel.older,
        y=sel.ytype,
        ss=style,
        count=len(events),
        columnar=style == "j",
        styles=_style_links(ctx, style),
        types=_type_links(ctx, sel.ytype) + bisect_links,
        max_keep=_max_form_fields(ctx),
        n_value=req.get("n1") or req.get("n") or default_n,
    )
    if cookie:
        page.add_header("Set-Cookie", cookie)
    return page


def _about(ctx: Context, vis: Visibility) -> tuple[str, Any] | None:
    """(label, HTML) of the wiki page about the branch of r= or the tag of t=
    (``branch/NAME``, ``tag/NAME``), shown above the rows as Fossil does
    (``wiki_render_associated``); None without one, with ``nowiki``, or
    when the ``wiki-about`` config is off."""
    req, repo = ctx.req, ctx.repo
    if req.get("nowiki") is not None or not ctx.has("j") or not repo.config_bool("wiki-about", True):
        return None
    if req.get("r"):
        prefix, name = "branch", req.get("r") or ""
    elif req.get("t") and (req.get("ms") or "exact").lower() not in ("glob", "like", "regexp", "brlist"):
        prefix, name = "tag", req.get("t") or ""
    else:
        return None
    from markupsafe import Markup

    from fossilpy.markup import wikirender
    from fossilpy.repo import wiki
    from fossilpy.web.render import link_facts

    page = wiki.current(repo, f"{prefix}/{name}", private=vis.private)
    if page is None or not page.text:
        return None
    html = wikirender.render(
        page.text, page.mimetype or "text/x-fossil-wiki", top=req.top, links=ctx.has("h"), facts=link_facts(ctx)
    )
    return f"About {prefix} {name}", Markup(html)


#: The cookie in which Fossil keeps a visitor's display choices (``src/cookies.c``).
DISPLAY_COOKIE = "fossil_display_settings"


def _display_prefs(ctx: Context) -> dict[str, str]:
    """The display choices in the visitor's cookie: ``n=50,ss=c,advm=0,y=ci`` (in order)."""
    from urllib.parse import unquote_plus

    raw = ctx.req.cookies.get(DISPLAY_COOKIE, "")
    prefs: dict[str, str] = {}
    for part in raw.split(",")[:10]:
        name, _, value = part.strip().partition("=")
        if name:
            prefs[name] = unquote_plus(value)
    return prefs


def _remember_choices(ctx: Context, prefs: dict[str, str], config: dict[str, Any], style: str) -> str:
    """The Set-Cookie value that keeps this page's n, ss, advm and y for the
    next visit, when the request asks for it (``udc``, as the submenu's links
    do) and something changed; "" otherwise."""
    req = ctx.req
    if req.get("udc") is None:
        return ""
    new = dict(prefs)
    given = req.get("n")
    new["n"] = given if given is not None else prefs.get("n", str(config.get("timeline-default-length") or ""))
    new["ss"] = req.get("ss") or style
    new["advm"] = req.get("advm") or prefs.get("advm", "0")
    ytype = req.get("y") or ("ci" if ctx.has("o") else "all")
    allowed = {
        "a": True,
        "c": ctx.has("o"),
        "t": ctx.has("r"),
        "n": ctx.has("r"),
        "w": ctx.has("j"),
        "e": ctx.has("j"),
        "f": ctx.has("2"),
    }
    if allowed.get(ytype[:1], False):
        new["y"] = ytype
    if new == prefs and list(new) == list(prefs):
        return ""
    from urllib.parse import quote_plus

    from fossilpy.web.auth import set_cookie_header

    value = ",".join(f"{k}={quote_plus(v)}" for k, v in new.items())
    return set_cookie_header(DISPLAY_COOKIE, value, req.top, 31536000, req.base_url.startswith("https:"))


def _choice_links(ctx: Context, param: str, choices: Any, current: str) -> list[tuple[str, str, bool]]:
    """(url, label, active) per choice of ``param``, the other parameters kept."""
    from urllib.parse import quote, urlencode

    from fossilpy.web.timeline_query import echo_params

    params = ctx.req.params
    keep = {k: v for k, v in echo_params(names.visibility(ctx), dict(params)).items() if k != param} if params else {}
    keep["udc"] = "1"  # (the choice is remembered, as by Fossil's submenu)
    base = "/timeline?" + urlencode(keep, errors="surrogateescape") + "&" + param + "="
    return [(base + quote(k), label, k == current) for k, label in choices]


def _max_form_fields(ctx: Context) -> list[tuple[str, str]]:
    """The parameters the "Max:" form repeats as hidden fields (all but n, n1 and udc)."""
    from fossilpy.web.timeline_query import echo_params

    params = ctx.req.params
    if not params:
        return []
    kept = echo_params(names.visibility(ctx), dict(params))
    return [(k, v) for k, v in kept.items() if k not in ("n", "n1", "udc")]


def _type_links(ctx: Context, current: str) -> list[tuple[str, str, bool]]:
    """(url, label, active) of the y= choices this reader may use, in the order
    of Fossil's ``timeline_y_submenu``, keeping the other parameters."""

    choices = [("all", "Any Type")]
    if ctx.has("o"):
        choices += [("ci", "Check-ins"), ("g", "Tags")]
    if ctx.has("j"):
        choices.append(("e", "Tech Notes"))
    if ctx.has("r"):
        choices += [("t", "Tickets"), ("n", "New Tickets")]
    if ctx.has("j"):
        choices.append(("w", "Wiki"))
    if ctx.has("2"):
        choices.append(("f", "Forum"))
    return _choice_links(ctx, "y", choices, current)


#: The /setup_timeline configuration this page reads (one query).
_CONFIG = (
    "SELECT name, value FROM config WHERE name IN ('timeline-default-length', 'timeline-default-style',"
    " 'timeline-date-format', 'timeline-truncate-at-blank', 'timeline-max-comment', 'timeline-tslink-info')"
)


def _on(value: Any) -> bool:
    """A config value as a boolean (``1``, ``on``, ``yes``, ``true``)."""
    return str(value or "0").strip().lower() in ("1", "on", "yes", "true")


_STYLE_NAMES = (("m", "Modern"), ("j", "Columnar"), ("c", "Compact"), ("v", "Verbose"), ("x", "Classic"))


def _style_links(ctx: Context, current: str) -> list[tuple[str, str, bool]]:
    """(url, label, active) of the view-style choices, keeping the other parameters."""

    return _choice_links(ctx, "ss", _STYLE_NAMES, current)


def _colour(ctx: Context, events: list[Event]) -> None:
    """Row backgrounds as Fossil's graph gives them: the ``bgcolor`` of the
    event, else (or with brbg) a colour from the branch name for check-ins
    off trunk; ubg colours by user; nc none.  Only check-ins and technotes
    are coloured (they are the rows Fossil puts in its graph)."""
    from fossilpy.web.graph import hash_color, user_color

    req = ctx.req
    if req.flag("nc"):
        return
    ubg, brbg, delta = req.flag("ubg"), req.flag("brbg"), req.flag("deltabg")
    cmap = str(ctx.repo.setting("user-color-map") or "") if ubg else ""
    for e in events:
        bg = user_color(e.user, cmap) if ubg and e.user else e.bgcolor
        if delta and not ubg and e.type == "ci":  # baseline or delta manifest
            base = ctx.repo.one("SELECT baseid IS NULL FROM plink WHERE cid=? LIMIT 1", (e.rid,))
            bg = "" if base is None else hash_color("b" if base else "f")
        if e.type == "ci":
            if delta and not ubg:
                e.bg = bg
            elif not bg or brbg:
                branch = e.branch or "trunk"
                bg = "" if branch == "trunk" else hash_color(branch)
            e.bg = bg
        elif e.type == "e" and bg:
            e.bg = bg


def _truncate_comments(ctx: Context, events: list[Event], config: dict[str, Any]) -> None:
    """Check-in comments cut as the timeline settings say: at the first blank
    line (timeline-truncate-at-blank), else to timeline-max-comment bytes
    followed by "..."."""
    at_blank = _on(config.get("timeline-truncate-at-blank"))
    most = _int(str(config.get("timeline-max-comment") or "0"), 0)
    if not at_blank and most <= 0:
        return
    import re

    for e in events:
        if e.type != "ci":
            continue
        if at_blank:
            m = re.search(r"\n[^\S\n]*\n", e.comment)
            if m:
                e.comment = e.comment[: m.start()]
        elif most > 0:
            data = e.comment.encode("utf-8", "surrogateescape")
            if len(data) > most:
                e.comment = data[:most].decode("utf-8", "surrogateescape") + "..."


def _forum_text(ctx: Context, events: list[Event]) -> None:
    """vfx: the text of each forum post under its row (rendered and sanitised as on /forumpost)."""
    from fossilpy.markup import wikirender
    from fossilpy.web.render import link_facts

    for e in events:
        if e.type != "f":
            continue
        m = names.read_artifact(ctx.repo, e.rid)
        if m is not None and m.text:
            e.forum = wikirender.render(
                m.text, m.mimetype or "text/x-fossil-wiki", top=ctx.req.top, links=True, facts=link_facts(ctx)
            )


def _file_changes(ctx: Context, events: list[Event]) -> None:
    """v=: the files each check-in adds, changes, renames or deletes."""
    top = ctx.req.top
    from fossilpy.web.timeline_rows import esc

    for e in events:
        if e.type != "ci":
            continue
        items = []
        for pid, fid, name, new, old, oldname in ctx.repo.all(
            "SELECT pid, fid, (SELECT name FROM filename WHERE fnid=mlink.fnid) AS name,"
            " (SELECT uuid FROM blob WHERE rid=fid), (SELECT uuid FROM blob WHERE rid=pid),"
            " (SELECT name FROM filename WHERE fnid=mlink.pfnid) FROM mlink"
            " WHERE mid=? AND (pid!=fid OR pfnid>0) AND (fid>0 OR fnid NOT IN (SELECT pfnid FROM mlink WHERE mid=?))"
            " AND NOT mlink.isaux ORDER BY 3",
            (e.rid, e.rid),
        ):
            a = f'<a href="{top}/artifact/{(new if fid else old)[:16]}">{esc(name)}</a>'
            if pid <= 0:
                how = "(added by merge)" if pid < 0 else "(new file)"
                items.append(f'<li>{a} {how} &nbsp; <a href="{top}/artifact/{new[:16]}">[view]</a></li>')
            elif not fid:
                items.append(f"<li>{a} (deleted)</li>")
            elif new == old and oldname:
                items.append(f'<li>{esc(oldname)} &rarr; {a} <a href="{top}/artifact/{new[:16]}">[view]</a></li>')
            else:
                renamed = f"{esc(oldname)} &rarr; " if oldname else ""
                items.append(
                    f'<li>{renamed}{a} &nbsp; <a href="{top}/fdiff?v1={old[:16]}&amp;v2={new[:16]}">[diff]</a></li>'
                )
        e.files = items


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
  (SELECT group_concat(pid || ' ' || isprim, ' ') FROM plink WHERE plink.cid=ids.value),
  EXISTS(SELECT 1 FROM tagxref WHERE tagxref.rid=ids.value AND tagxref.tagid=9 AND tagxref.tagtype>0)
FROM json_each(?) AS ids
"""


def _decorate_checkins(
    ctx: Context, vis: Visibility, events: list[Event], known: dict[int, tuple[Any, ...]] | None = None
) -> dict[int, list[int]] | None:
    """Fill branch, leaf, tags and merge of the check-in rows (one query, or
    ``known``: rid -> the last five columns of a ``timeline_query.SELECT``
    row, the same values); return their parents (primary first, merges by
    time), None if no check-ins.  A merge parent the visitor may not see is
    left out (no Merge badge for it)."""
    import json

    cis = {e.rid: e for e in events if e.type == "ci"}
    if not cis:
        return None
    parents: dict[int, list[int]] = {}
    if known is not None:
        found: Any = ((rid, *known[rid]) for rid in cis)
    else:
        found = ctx.repo.all(_DECORATE, (json.dumps(list(cis)),))
    for rid, branch, leaf, tags, plinks, closed in found:
        e = cis[rid]
        e.closed = bool(closed)
        e.branch = branch or ""
        e.leaf = bool(leaf)
        only_branch = '"' not in e.branch and "\\" not in e.branch and tags == f'["{e.branch}"]'
        if tags != "[]" and not only_branch:  # most carry only their branch
            # in byte order, as SQLite sorts (text that is not UTF-8 included)
            e.tags = sorted(
                (t for t in json.loads(tags) if t != e.branch), key=lambda t: t.encode("utf-8", "surrogateescape")
            )
        if not plinks:
            parents[rid] = []
        elif plinks.count(" ") == 1:  # one parent, the usual
            pid, _, prim = plinks.partition(" ")
            parents[rid] = [int(pid)]
            e.merge = prim == "0" and not vis.hidden(int(pid))
        else:  # primary parent first, then merge parents in rid order
            fields = plinks.split(" ")
            links = sorted(
                (-int(fields[i + 1]), int(fields[i]))
                for i in range(0, len(fields), 2)
                if not vis.hidden(int(fields[i]))
            )
            parents[rid] = [pid for _, pid in links]
            e.merge = any(prim == 0 for prim, _ in links)
    return parents


def _graph(events: list[Event], parents: dict[int, list[int]]) -> Any:
    """Lay out the graph and give each row its SVG (markup made of numbers only)."""
    from fossilpy.web import graph

    drawn = graph.draw(
        [(e.rid, parents.get(e.rid, []) if e.type == "ci" else None, e.branch) for e in events],
        [(e.leaf, e.merge) for e in events],
    )
    for e, svg in zip(events, drawn.svgs, strict=True):
        e.graph = svg
    return drawn
