"""The overview and the context of a check-in's /info page, as Fossil's ``ci_page``.

The overview is Fossil's table of labelled rows: ``Comment:``,
``Downloads:`` (Tarball | ZIP archive | SQL archive, for ``z``),
``Timelines:`` (family, ancestors, descendants, both, then the branch and
each tag), ``Files:`` (files, file ages, folders), the hash under its
algorithm's name (``SHA3-256:`` or ``SHA1:``), ``User & Date:``, the
original comment and user/date of an amended check-in, ``Received From:``
(for ``a``), the wiki links (``k``, ``j`` and ``i``) and ``Other Links:``
(branch diff, manifest, tags, mlink table, edit).  Links are drawn only for
a visitor with ``h``, as Fossil shows plain text otherwise.

The context is the small timeline ``render_checkin_context`` draws: the
check-in, its parents, its children and its cherry-pick relatives, newest
first, with the graph, the check-in itself highlighted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from fossilpy.web import names
from fossilpy.web.render import julian_to_text
from fossilpy.web.routes import Context, PageSet
from fossilpy.web.timeline_rows import esc

#: No pages of its own: /info, /ci and /vinfo (:mod:`fossilpy.web.pages.info`) use it.
pages = PageSet()

#: Characters Fossil replaces by "_" in the project name of an archive's file name.
_BAD_IN_NAME = set('"*/:<>?\\|')


def _q(text: str) -> str:
    """Fossil's ``%T``: the text URL-encoded for a query value."""
    return quote(text, safe="-_.~!*'()/:", errors="surrogateescape").replace("%20", "+")


class _Links:
    """Links drawn as Fossil's ``href()``: plain text without the ``h`` capability."""

    def __init__(self, ctx: Context) -> None:
        self.top = esc(ctx.req.top)
        self.on = ctx.has("h")

    def __call__(self, path: str, text: str) -> str:
        if not self.on:
            return esc(text)
        return f'<a href="{self.top}{esc(path)}">{esc(text)}</a>'


def _project_stem(ctx: Context) -> str:
    pj = ctx.repo.config_get("short-project-name") or ctx.repo.config_get("project-name") or "unnamed"
    return "".join("_" if (0 < ord(c) < 32 or c in _BAD_IN_NAME) else c for c in str(pj).strip())


def overview(ctx: Context, rid: int, uuid: str, branch: str) -> list[tuple[str, Markup]]:
    """The rows (label, cell HTML) of the check-in's Overview table."""
    repo = ctx.repo
    a = _Links(ctx)
    h16 = uuid[:16]
    row = repo.row(
        "SELECT user, comment, mtime, coalesce(omtime, mtime) FROM event WHERE objid=?",
        (rid,),
    ) or ("", "", 0.0, 0.0)
    orig_user, orig_comment = str(row[0] or ""), str(row[1] or "")
    euser = repo.one("SELECT value FROM tagxref WHERE tagid=3 AND rid=? AND tagtype>0", (rid,))
    ecomment = repo.one("SELECT value FROM tagxref WHERE tagid=2 AND rid=?", (rid,))
    user = str(euser) if euser else orig_user
    date, odate = julian_to_text(row[2]), julian_to_text(row[3])
    has_parent = bool(repo.one("SELECT 1 FROM plink WHERE cid=? AND isprim", (rid,)))
    is_leaf = not repo.one("SELECT 1 FROM plink WHERE pid=?", (rid,))
    rows: list[tuple[str, Markup]] = []
    rows.append(("Comment", comment_html(ctx, str(ecomment) if ecomment is not None else orig_comment)))
    if ctx.has("z"):
        pj, h10 = _project_stem(ctx), uuid[:10]
        stem = f"{_q(pj)}-{h10}"
        cells = [
            a(f"/tarball/{h10}/{stem}.tar.gz", "Tarball"),
            a(f"/zip/{h10}/{stem}.zip", "ZIP archive"),
            a(f"/sqlar/{h10}/{stem}.sqlar", "SQL archive"),
        ]
        rows.append(("Downloads", Markup(" | ".join(cells))))
    tl = [a(f"/timeline?f={h16}&unhide", "family")]
    if has_parent:
        tl.append(a(f"/timeline?p={h16}&unhide", "ancestors"))
    if not is_leaf:
        tl.append(a(f"/timeline?d={h16}&unhide", "descendants"))
    if has_parent and not is_leaf:
        tl.append(a(f"/timeline?dp={h16}&unhide", "both"))
    for (tag,) in repo.all(
        "SELECT substr(tag.tagname,5) FROM tagxref, tag WHERE rid=? AND tagtype>0"
        " AND tag.tagid=tagxref.tagid AND +tag.tagname GLOB 'sym-*' ORDER BY tagxref.tagid",
        (rid,),
    ):
        key = "r" if tag == branch else "t"
        tl.append(a(f"/timeline?{key}={_q(tag)}&unhide", tag))
    rows.append(("Timelines", Markup(" | ".join(tl))))
    files = [
        a(f"/tree?ci={h16}", "files"),
        a(f"/fileage?name={h16}", "file ages"),
        a(f"/tree?nofiles&type=tree&ci={h16}", "folders"),
    ]
    rows.append(("Files", Markup(" | ".join(files))))
    rec = f" (Record ID: {rid})" if ctx.has("s") else ""
    rows.append(("SHA3-256" if len(uuid) == 64 else "SHA1", Markup(f'<code class="hash-full">{esc(uuid)}</code>{rec}')))
    rows.append(("User & Date", _user_date(a, user, date)))
    if ecomment is not None:
        rows.append(("Original Comment", comment_html(ctx, orig_comment)))
    if date != odate or user != orig_user:
        rows.append(("Original User & Date", _user_date(a, orig_user, odate)))
    if ctx.has("a"):
        got = repo.row(
            "SELECT rcvfrom.ipaddr, user.login, datetime(rcvfrom.mtime), blob.rcvid FROM blob"
            " JOIN rcvfrom USING(rcvid) LEFT JOIN user USING(uid) WHERE blob.rid=?",
            (rid,),
        )
        if got is not None:
            who = esc(str(got[1] or "unknown"))
            link = f'<a href="{a.top}/rcvfrom?rcvid={got[3]}">Rcvid {got[3]}</a>'
            rows.append(("Received From", Markup(f"{who} @ {esc(str(got[0] or ''))} on {got[2]} ({link})")))
    rows.extend(_wiki_rows(ctx, a, uuid, branch, rid))
    if ctx.has("h"):
        other = []
        if branch != ctx.repo.setting("main-branch"):
            other.append(a(f"/vdiff?branch={h16}", "branch diff"))
        other.append(a(f"/artifact/{h16}", "manifest"))
        other.append(a(f"/ci_tags/{h16}", "tags"))
        if ctx.has("a"):
            other.append(a(f"/mlink?ci={h16}", "mlink table"))
        if ctx.has("i"):
            other.append(a(f"/ci_edit?r={h16}", "edit"))
        rows.append(("Other Links", Markup(" | ".join(other))))
    return rows


def comment_html(ctx: Context, text: str) -> Markup:
    """A check-in comment rendered as Fossil's ``%!W`` (inline wiki)."""
    from fossilpy.markup import wikirender
    from fossilpy.web.render import link_facts

    html = wikirender.render_inline(text, top=ctx.req.top, links=ctx.has("h"), facts=link_facts(ctx))
    return Markup(html)


def _user_date(a: _Links, user: str, date: str) -> Markup:
    return Markup(f"{a(f'/timeline?c={_q(date)}&u={_q(user)}&y=a', user)} on {a(f'/timeline?c={_q(date)}', date)}")


def _wiki_rows(ctx: Context, a: _Links, uuid: str, branch: str, rid: int) -> list[tuple[str, Markup]]:
    """ "Edit Wiki:" and "Add Wiki:" for a visitor with k, j and i (setting ``wiki-about``)."""
    if not (ctx.has("k") and ctx.has("j") and ctx.has("i")) or str(
        ctx.repo.config_get("wiki-about") or "1"
    ).lower() in ("0", "off", "no", "false"):
        return []
    repo = ctx.repo

    def has_page(name: str) -> bool:
        return bool(repo.one("SELECT 1 FROM tag WHERE tagname=?", (f"wiki-{name}",)))

    read: list[str] = []
    add: list[str] = []
    for (tag,) in repo.all(
        "SELECT substr(tag.tagname,5) FROM tagxref, tag WHERE rid=? AND tagtype>0"
        " AND tag.tagid=tagxref.tagid AND +tag.tagname GLOB 'sym-*' ORDER BY tagxref.tagid",
        (rid,),
    ):
        kind = "branch" if tag == branch else "tag"
        page = f"{kind}/{tag}"
        if has_page(page):
            read.append(a(f"/{'wikiedit' if kind == 'branch' else 'wiki'}?name={page}", tag))
        else:
            add.append(a(f"/wikiedit?name={page}", tag))
    ok_wiki = has_page(f"checkin/{uuid}")
    this = a(f"/wikiedit?name=checkin/{uuid}", "this check-in")
    rows: list[tuple[str, Markup]] = []
    if ok_wiki or read:
        rows.append(("Edit Wiki", Markup(" | ".join(([this] if ok_wiki else []) + read))))
    if add or not ok_wiki:
        rows.append(("Add Wiki", Markup(" | ".join(([] if ok_wiki else [this]) + add))))
    return rows


def context_rows(ctx: Context, rid: int, rid2: int = 0) -> Markup:
    """The rows of the Context timeline: ``rid`` (and ``rid2``, as /vdiff
    shows its two check-ins), their parents, children and cherry-pick
    relatives the visitor may see, newest first, with the graph."""
    from fossilpy.markup import wikirender
    from fossilpy.web import timeline_rows
    from fossilpy.web.pages import timeline
    from fossilpy.web.render import link_facts

    repo = ctx.repo
    vis = names.visibility(ctx)
    ids: set[int] = set()
    picks = bool(repo.one("SELECT 1 FROM sqlite_schema WHERE name='cherrypick'"))
    for one in (rid, rid2) if rid2 else (rid,):
        ids.add(one)
        ids.update(r[0] for r in repo.all("SELECT pid FROM plink WHERE cid=?", (one,)))
        ids.update(r[0] for r in repo.all("SELECT cid FROM plink WHERE pid=?", (one,)))
        if picks:
            ids.update(r[0] for r in repo.all("SELECT parentid FROM cherrypick WHERE childid=?", (one,)))
            ids.update(r[0] for r in repo.all("SELECT childid FROM cherrypick WHERE parentid=?", (one,)))
    events: list[Any] = []
    for r in repo.all(
        "SELECT event.objid, event.type, event.mtime, coalesce(event.ecomment, event.comment, ''),"
        " coalesce(event.euser, event.user, ''), blob.uuid, coalesce(event.bgcolor, '')"
        " FROM event JOIN blob ON blob.rid=event.objid WHERE event.objid IN (SELECT value FROM json_each(?))"
        " ORDER BY event.mtime DESC",
        ("[" + ",".join(str(i) for i in ids) + "]",),
    ):
        if vis.hidden(r[0]):
            continue
        e = timeline._event(ctx, r[0], r[1], r[2], r[3], r[4], r[5])
        e.bgcolor = r[6]
        e.selected = e.rid in (rid, rid2)
        e.secondary = bool(rid2) and e.rid == rid2 and rid2 != rid
        events.append(e)
    parents = timeline._decorate_checkins(ctx, vis, events)
    graph = timeline._graph(events, parents) if parents is not None else None
    timeline._colour(ctx, events)
    top, links, facts = ctx.req.top, ctx.has("h"), link_facts(ctx)
    html = timeline_rows.render_styled(
        events,
        graph_width=graph.width if graph is not None else None,
        top=top,
        links=links,
        comment=lambda text: wikirender.render_inline(text, top=top, links=links, facts=facts),
    )
    return Markup(html)
