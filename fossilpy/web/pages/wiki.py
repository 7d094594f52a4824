"""Reading the wiki: a page with its attachments, the wiki index, the page
list, a page's history and the diff between two versions.

As Fossil 2.21's ``wiki_page``, ``wiki_helppage``, ``wcontent_page``,
``whistory_page`` and ``wdiff_page`` (``src/wiki.c``): the same URLs and
query fields.  A page that does not exist yet shows "Empty Page" with an
Edit link for visitors who may create it (capability ``f``); a page whose
newest version is empty shows "This page has been deleted".  The Sandbox
is a pseudo-page kept in the ``sandbox`` config row.  The pages that write
are in :mod:`fossilpy.web.pages.wikiedit`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fossilpy.repo import wiki as repowiki
from fossilpy.text import human_age
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def q(text: str) -> str:
    """``text`` %-escaped for a query value (bytes that are not UTF-8 kept as they were stored)."""
    return quote(text, safe="", errors="surrogateescape")


def _now_julian(ctx: Context) -> float:
    return float(ctx.repo.one("SELECT julianday('now')"))


def name_error(ctx: Context, name: str) -> Response:
    """Fossil's "Wiki Page Name Error" page (``check_name``), status 400."""
    return ctx.render(
        "wikinameerror.html", status=400, title="Wiki Page Name Error", name=name, rules=repowiki.NAME_RULES
    )


def standard_submenu(ctx: Context, *items: str) -> list[tuple[str, str]]:
    """The wiki submenu entries of ``wiki_standard_submenu`` named in ``items``."""
    out = []
    for label, path in (
        ("List", "/wcontent"),
        ("Help", "/wikihelp"),
        ("New", "/wikinew"),
        ("Sandbox", "/wikiedit?name=Sandbox"),
    ):
        if label in items and (label != "New" or ctx.has("f")):
            out.append((label, path))
    return out


def attachments(ctx: Context, target: str) -> list[tuple[Any, ...]]:
    """The newest version of each file attached to ``target`` (``attachment_list``):
    (mtime, filename, user, attachment hash, content hash)."""
    if not ctx.repo.table_exists("attachment"):
        return []
    from fossilpy.repo.db import sql_text

    rows = ctx.repo.all(
        "SELECT mtime, filename, user, (SELECT uuid FROM blob WHERE rid=attachid), src, attachid"
        " FROM attachment WHERE isLatest AND src!='' AND target=CAST(? AS TEXT) ORDER BY mtime DESC",
        (sql_text(target),),
    )
    vis = names.visibility(ctx)
    return [r[:5] for r in rows if not vis.hidden(int(r[5] or 0))]


def _special_redirect(ctx: Context, name: str) -> Response | None:
    """Pages about a check-in, branch or tag lead to what they describe unless ``p`` is given."""
    if ctx.req.get("p") is not None or not ctx.repo.config_bool("wiki-about", True):
        return None
    if name.startswith("checkin/"):
        uuid = name[8:]
        if ctx.repo.one("SELECT 1 FROM blob WHERE uuid=?", (uuid,)):
            return redirect(ctx.req, "/info/" + q(uuid))
    elif name.startswith("branch/"):
        return redirect(ctx.req, "/timeline?r=" + q(name[7:]))
    elif name.startswith("tag/"):
        return redirect(ctx.req, "/timeline?t=" + q(name[4:]))
    return None


def show(ctx: Context, name: str, *, home: bool = False) -> Response:
    """Page ``name`` as /wiki shows it; ``home``: as the home page (no submenu)."""
    vis = names.visibility(ctx)
    rid, uuid, mtime = 0, "", None
    text, mimetype = "", "text/x-fossil-wiki"
    exists = False
    if repowiki.is_sandbox(name):
        text, mimetype = repowiki.sandbox(ctx.repo)
        text = text or "<i>Empty Page</i>"
        exists = True
    else:
        page = None
        wanted = ctx.req.get("id")
        if wanted:
            found = vis.lookup(wanted, "w")
            page = repowiki.version(ctx.repo, found) if found > 0 else None
        if page is None:
            page = repowiki.current(ctx.repo, name, private=vis.private)
        if page is not None:
            rid, uuid, mtime, exists = page.rid, page.uuid, page.julian, True
            text, mimetype = page.text, page.mimetype
        else:
            text = "<i>Empty Page</i>"
    mimetype = repowiki.filter_mimetype(mimetype)
    menu: list[tuple[str, str]] = []
    if not home and ctx.req.get("nsm") is None:
        special_ok = not repowiki.needs_write_cap(name, ctx.repo) or ctx.has("i")
        if ((rid and ctx.has("k")) or (not rid and ctx.has("f"))) and special_ok:
            menu.append(("Edit", "/wikiedit?name=" + q(name)))
        elif rid and ctx.has("m"):
            menu.append(("Edit", "/wikiappend?name=" + q(name)))
        if ctx.has("h"):
            menu.append(("History", "/whistory?name=" + q(name)))
        menu += standard_submenu(ctx, "Help")
    return ctx.render(
        "wiki.html",
        title=name,
        name=name,
        text=text,
        mimetype=mimetype,
        uuid=uuid,
        mtime=mtime,
        missing=not exists,
        deleted=exists and not text,
        menu=menu,
        attachments=[] if repowiki.is_sandbox(name) else attachments(ctx, name),
    )


@pages.webpage("/wiki", caps="j")
def wiki(ctx: Context) -> Response:
    """/wiki?name=PAGENAME&id=HASH&p&nsm

    Show the newest version of a wiki page (or version ``id``) and the
    files attached to it.  Without a name: the wiki index.  ``p``: show the
    page even if it is about a check-in, branch or tag; ``nsm``: no submenu."""
    name = ctx.req.get("name")
    if name is None:
        return wikihelp(ctx)
    if not repowiki.is_wellformed(name):
        return name_error(ctx, name)
    jump = _special_redirect(ctx, name)
    if jump is not None:
        return jump
    return show(ctx, name)


@pages.webpage("/wikihelp", caps="j")
def wikihelp(ctx: Context) -> Response:
    """/wikihelp

    The wiki's landing page: links to recent changes, the formatting rules,
    the sandbox, a new page and the list of all pages."""
    return ctx.render("wikihelp.html", title="Wiki Help", menu=standard_submenu(ctx, "List", "New", "Sandbox"))


@pages.webpage("/wcontent", caps="j")
def wcontent(ctx: Context) -> Response:
    """/wcontent?all=1&showid

    List the wiki pages with the age of their last change and their number
    of versions; ``all``: deleted (emptied) pages too; ``showid``: rids."""
    show_all = ctx.req.get("all") is not None
    show_assoc = ctx.req.get("showckbr") is not None
    rows = []
    for row in repowiki.pages(ctx.repo, private=ctx.has("x")):
        if not show_assoc and row.name.startswith(("checkin/", "branch/")):
            continue
        if not row.rid and not show_all:
            continue
        shown = row.name[:25] + "..." if row.name.startswith("checkin/") else row.name
        rows.append((row, shown))
    menu = [("Active", "/wcontent")] if show_all else [("All", "/wcontent?all=1")]
    return ctx.render(
        "wcontent.html",
        title="Available Wiki Pages",
        rows=rows,
        jnow=_now_julian(ctx),
        age=human_age,
        showid=ctx.req.get("showid") is not None,
        menu=menu + standard_submenu(ctx, "Help", "New", "Sandbox"),
    )


@pages.webpage("/whistory", caps="j")
def whistory(ctx: Context) -> Response:
    """/whistory?name=PAGENAME&showid

    Every version of a wiki page, newest first, with links to each
    version and to its diff against the previous one."""
    name = ctx.req.get("name") or ""
    rows = repowiki.history(ctx.repo, name, private=ctx.has("x"))
    out = []
    previous_user = None
    for mtime, uuid, user, rid in rows:
        out.append({"mtime": mtime, "uuid": uuid, "user": user, "rid": rid, "major": user != previous_user})
        previous_user = user
    return ctx.render(
        "whistory.html",
        title=f"History Of {name}",
        name=name,
        rows=out,
        jnow=_now_julian(ctx),
        age=human_age,
        showid=ctx.req.get("showid") is not None,
    )


def _wiki_version(ctx: Context, name: str) -> repowiki.Page:
    vis = names.visibility(ctx)
    rid = names.find(vis, name, "w")
    page = repowiki.version(ctx.repo, rid)
    if page is None:
        raise HTTPError(404, "not a wiki page version: " + name)
    return page


@pages.webpage("/wdiff", caps="j")
def wdiff(ctx: Context) -> Response:
    """/wdiff?id=HASH&pid=HASH  (or rid=RID instead of id)

    The changes to a wiki page between version ``pid`` (by default the
    parent of ``id``) and version ``id``."""
    from fossilpy.web.pages.info import FileChange, unified_diff

    wanted = ctx.req.get("id")
    if wanted:
        new = _wiki_version(ctx, wanted)
    else:
        rid_text = ctx.req.get("rid") or "0"
        from fossilpy.text import is_digits

        rid = int(rid_text) if is_digits(rid_text) else 0
        vis = names.visibility(ctx)
        found = repowiki.version(ctx.repo, rid) if vis.visible(rid) else None
        if found is None:
            raise HTTPError(404, "not a wiki page version")
        new = found
    pid = ctx.req.get("pid") or new.parent
    old = _wiki_version(ctx, pid) if pid else None
    change = FileChange(name=new.title, status="modified" if old else "added", uuid=new.uuid)
    change.old_uuid = old.uuid if old else ""
    change.diff = unified_diff(
        (old.text if old else "").encode("utf-8", "surrogateescape"), new.text.encode("utf-8", "surrogateescape")
    )
    menu = []
    if old is not None:
        menu.append(("Previous", "/wdiff?id=" + old.uuid[:16]))
    nxt = repowiki.next_version(ctx.repo, new.title, new.julian)
    if nxt and names.visibility(ctx).visible(nxt):
        menu.append(("Next", f"/wdiff?rid={nxt}"))
    return ctx.render("wdiff.html", title=f"Changes To {new.title}", new=new, old=old, change=change, menu=menu)


#: (source, note) pairs for /wiki_rules; an empty note shows the rendered source
_WIKI_EXAMPLES = (
    ("A blank line\n\nstarts a new paragraph.", ""),
    ("<b>bold</b>, <i>italic</i>, <tt>typewriter</tt>", ""),
    ("  *  a bullet item\n  *  another one", ""),
    ("  #  a numbered item\n  #  the next one", ""),
    ("[/timeline|the timeline]", ""),
    ("[https://fossil-scm.org|Fossil's site]", ""),
    ("[Sandbox]", "a link to the wiki page Sandbox"),
    ("<verbatim>*not* [a link]</verbatim>", ""),
)

_MD_EXAMPLES = (
    ("# Heading\n## Smaller heading", ""),
    ("*italic*, **bold**, `code`", ""),
    ("* a bullet item\n* another one", ""),
    ("1. numbered\n2. items", ""),
    ("[Fossil](https://fossil-scm.org)", ""),
    ("> a quotation", ""),
    ("| a | b |\n|---|---|\n| 1 | 2 |", ""),
    ("```\nfenced code\n```", ""),
)


@pages.webpage("/markup_help", caps="")
def markup_help(ctx: Context) -> Response:
    """/markup_help

    The markup styles a wiki page, technote or forum post may use."""
    return ctx.render("wikirules.html", title="Markup Style Help", style="help", examples=())


@pages.webpage("/wiki_rules", caps="")
def wiki_rules(ctx: Context) -> Response:
    """/wiki_rules

    A summary of the Fossil Wiki markup, with examples."""
    return ctx.render("wikirules.html", title="Wiki Formatting Rules", style="wiki", examples=_WIKI_EXAMPLES)


@pages.webpage("/md_rules", caps="")
def md_rules(ctx: Context) -> Response:
    """/md_rules

    A summary of the Markdown markup, with examples."""
    return ctx.render("wikirules.html", title="Markdown Formatting Rules", style="md", examples=_MD_EXAMPLES)
