"""/forum, /forumpost and /forumthread: the forum's threads and one thread.

Rows come from the ``forumpost`` table (filled by crosslinking)::

    fpid   rid of the post's artifact       froot  fpid of the thread's first post
    fprev  fpid of the version this edits    firt   fpid of the post this replies to
    fmtime Julian day of the post

A thread is read as Fossil 2.21's ``forumthread_create`` reads it
(``src/forum.c``): every row oldest first; a post that is not an edit gets
the next serial number (``sid``), an edit takes the serial number of what
it edits and the next revision number (``rev``), so posts are labelled
``(2)`` or ``(2.1)``.  /forumpost shows the thread in one of Fossil's
display modes (query parameter ``t``): ``c`` chronological, ``h``
hierarchical (replies indented under what they answer), ``s`` the single
post, ``a`` automatic (hierarchical, chronological from a phone), ``r`` =
``c`` with ``unf`` and ``hist``, ``y`` = ``s`` with ``unf`` and ``hist``;
``unf`` shows the source text, ``hist`` every version instead of the
newest only, ``raw`` the source of the one post.  /forumthread is the
same page with no post selected.  Under each newest version are Fossil's
buttons (posting to /forumedit): Reply; Edit and Delete for its author or
an administrator; Approve and Reject of a held post for moderators (and
"trust this user" for supervisors, ``6``); Delete of a held post for its
author.

A post's text is its ``W`` card in the mimetype of its ``N`` card,
rendered by the safe wiki renderer (:mod:`fossilpy.markup.wikirender`),
never as raw HTML.  A post held for a moderator (in ``modreq``) is shown
to moderators (``5``) and to its author only, marked; others see
"Awaiting Moderator Approval" in its place (and, unlike Fossil, not the
title of a held thread); /forum lists a thread whose first post is held
to moderators only.  Other private posts follow the usual rule (visible
with ``x``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fossilpy.repo import docwrite
from fossilpy.repo import names as repo_names
from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import is_private
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Threads per /forum page at most.
MAX_THREADS = 500

#: The mimetypes a post may have, with their names (``azStyles`` in ``src/wiki.c``).
MIMETYPES = (
    ("text/x-fossil-wiki", "Fossil Wiki"),
    ("text/x-markdown", "Markdown"),
    ("text/plain", "Plain Text"),
)

#: ``t=`` values and the display mode each one means.
MODES = {"a": "h", "c": "c", "h": "h", "s": "s", "r": "c", "y": "s"}  # "a": "c" from a phone


@dataclass(eq=False)
class Post:
    """One row of a thread, linked as ``forumthread_create`` links them."""

    fpid: int
    uuid: str
    mtime: float
    sid: int = 0
    rev: int = 0
    n_edit: int = 0
    indent: int = 0
    irt: Post | None = None
    edit_head: Post | None = None
    edit_tail: Post | None = None
    edit_next: Post | None = None
    edit_prev: Post | None = None
    replies: list[Post] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How links name this version: ``sid``, or ``sid.rev`` once the post has edits
        (rev zero-padded to the width of the edit count)."""
        if self.edit_prev is None and self.n_edit == 0:
            return str(self.sid)
        return f"{self.sid}.{self.rev:0{len(str(self.n_edit))}d}"

    @property
    def heading(self) -> str:
        """How its own header numbers it: ``sid`` for a first version, ``sid.rev`` for an edit."""
        return self.label if self.edit_prev is not None else str(self.sid)


def readable(ctx: Context, rid: int) -> bool:
    """True if this visitor may see forum post ``rid`` at all (held posts count as visible)."""
    if ctx.has("x") or not is_private(ctx.repo, rid):
        return True
    return docwrite.pending(ctx.repo, rid)


def thread_posts(ctx: Context, froot: int) -> list[Post]:
    """Every version of every post of thread ``froot`` this visitor may see, oldest first, linked."""
    rows = ctx.repo.all(
        "SELECT fpid, firt, fprev, (SELECT uuid FROM blob WHERE rid=fpid), fmtime"
        " FROM forumpost WHERE froot=? ORDER BY fmtime",
        (froot,),
    )
    posts: list[Post] = []
    by_id: dict[int, Post] = {}
    sid = 1
    for fpid, firt, fprev, uuid, mtime in rows:
        if not readable(ctx, fpid):
            continue
        p = Post(fpid, uuid or "", float(mtime))
        prev = by_id.get(fprev or 0)
        if firt:
            p.irt = by_id.get(firt, posts[0] if posts else None)
        if prev is None:
            p.sid = sid
            sid += 1
        else:
            prev.edit_next = p
            p.sid, p.rev, p.n_edit, p.edit_prev = prev.sid, prev.rev + 1, prev.n_edit + 1, prev
            p.edit_head = prev.edit_head or prev
            q: Post | None = prev
            while q is not None:
                q.n_edit, q.edit_tail = p.n_edit, p
                q = q.edit_prev
        posts.append(p)
        by_id[fpid] = p
    return posts


def hierarchy(posts: list[Post]) -> list[Post]:
    """The first versions of the posts in hierarchical order (``forumthread_display_order``)."""
    if not posts:
        return []
    for p in posts:
        p.replies = []
    for p in posts:
        if p.edit_prev is None and p.irt is not None:
            parent = p.irt.edit_head or p.irt
            parent.replies.append(p)
    order: list[Post] = []

    def walk(p: Post, indent: int) -> None:
        p.indent = indent
        order.append(p)
        for r in p.replies:
            walk(r, indent + 1)

    walk(posts[0], 1)
    return order


def indent_scale(order: list[Post]) -> int:
    """ex per indent level in hierarchical mode: 4, less while 25ex would not hold the depth.

    The depth is Fossil's ``mxIndent``, which ``forumthread_display_order``
    raises only for the last reply at each level."""
    deepest = max([1] + [p.replies[-1].indent for p in order if p.replies])
    scale = 4
    while scale > 1 and scale * deepest > 25:
        scale -= 1
    return scale


def from_mobile(ctx: Context) -> bool:
    """``cgi_from_mobile``: a User-Agent saying "mobile" (any case), unless an iPad."""
    agent = str(ctx.req.environ.get("HTTP_USER_AGENT") or "")
    return "iPad" not in agent and "mobile" in agent.lower()


def _newest(p: Post, hist: bool) -> list[Post]:
    """``p`` in its newest version, or (``hist``) every version of it, oldest first."""
    if not hist:
        return [p.edit_tail or p]
    out = []
    q: Post | None = p.edit_head or p
    while q is not None:
        out.append(q)
        q = q.edit_next
    return out


def display_list(posts: list[Post], mode: str, selected: Post | None, hist: bool) -> list[Post]:
    """The posts to show, in order, for display mode ``mode`` (``c``, ``h`` or ``s``)."""
    if mode == "s":
        return _newest(selected, hist) if selected is not None else []
    if mode == "c":
        if hist:
            return list(posts)
        return [p.edit_tail or p for p in posts if p.edit_prev is None]
    return [v for p in hierarchy(posts) for v in _newest(p, hist)]


def post_view(ctx: Context, p: Post, *, selected: bool, unf: bool, indent_scale: int, query: str) -> dict[str, Any]:
    """What the template needs to show post ``p`` (``forum_display_post``)."""
    m = names.read_artifact(ctx.repo, p.fpid)
    user = (m.user if m is not None else None) or ""
    private = is_private(ctx.repo, p.fpid)
    same_user = ctx.login.is_individual and user == ctx.login.name
    text, mimetype = names.text_of(m)
    if unf or p.edit_tail is not None:
        mimetype = "text/plain"
    head = p.edit_head or p
    head_m = names.read_artifact(ctx.repo, head.fpid) if p.edit_prev is not None else m
    poster = (head_m.user if head_m is not None else None) or ""
    return {
        "post": p,
        "uuid": p.uuid,
        "title": m.forum_title if m is not None else None,
        "user": user,
        "poster": poster,
        "mtime": p.mtime,
        "text": text,
        "mimetype": mimetype,
        "selected": selected,
        "margin": ((head.indent or 1) - 1) * indent_scale,
        "private": private,
        "pending": docwrite.pending(ctx.repo, p.fpid),
        "hidden": private and not ctx.has("5") and not same_user,
        "same_user": same_user,
        "can_edit": ctx.has("a") or same_user,
        "special": user in ("anonymous", "nobody", "developer", "reader"),
        "query": query,
    }


def _may_see_held(ctx: Context, rid: int) -> bool:
    """True unless ``rid`` is held and this visitor is neither a moderator nor its author."""
    if not docwrite.pending(ctx.repo, rid) or ctx.has("5"):
        return True
    m = names.read_artifact(ctx.repo, rid)
    return ctx.login.is_individual and m is not None and m.user == ctx.login.name


def find_post(ctx: Context, name: str) -> tuple[int, int]:
    """(fpid, froot) of forum post ``name`` (a hash prefix); 404 if there is none this visitor may see."""
    rid = repo_names.lookup(ctx.repo, name, private=True) if is_hash_prefix(name) else 0
    if rid == repo_names.AMBIGUOUS:
        raise HTTPError(404, f'Ambiguous forum id: "{name}"')
    row = None
    if rid > 0 and ctx.repo.table_exists("forumpost"):
        row = ctx.repo.row("SELECT froot FROM forumpost WHERE fpid=?", (rid,))
    if row is None or not readable(ctx, rid) or not readable(ctx, row[0]):
        raise HTTPError(404, "No such forum post.")
    return rid, int(row[0])


def thread_title(ctx: Context, fpid: int) -> str:
    """The thread's title as the event row of ``fpid`` carries it ("" if none)."""
    comment = ctx.repo.one("SELECT comment FROM event WHERE objid=?", (fpid,), "") or ""
    head, sep, rest = str(comment).partition(":")
    return rest[1:] if sep else ""


@pages.webpage("/forum", caps="2")
def forum(ctx: Context) -> Response:
    """/forum?n=N&x=X

    The forum's threads, most recently active first: title, author,
    number of posts (edits not counted) and time of the last post.  Posts
    held for a moderator count for moderators only (a thread whose first
    post is held is listed to them alone); a thread whose newest post is
    held is marked "Awaiting Moderator Approval" for them."""
    repo = ctx.repo
    limit = max(1, min(MAX_THREADS, ctx.req.int("n", 25)))
    offset = max(0, ctx.req.int("x", 0))
    mod = ctx.has("5")
    threads: list[dict[str, Any]] = []
    older = False
    if repo.table_exists("forumpost"):
        every = mod or ctx.has("x")
        rows = repo.all(
            "SELECT froot, max(fmtime), sum(fprev IS NULL), (SELECT uuid FROM blob WHERE rid=froot),"
            " (SELECT y.fpid FROM forumpost AS y WHERE y.froot=x.froot AND (:all OR y.fpid NOT IN private)"
            "  ORDER BY y.fmtime DESC LIMIT 1)"
            " FROM forumpost AS x WHERE (:all OR fpid NOT IN private) GROUP BY froot ORDER BY 2 DESC"
            " LIMIT :n OFFSET :x",
            {"all": every, "n": limit + 1, "x": offset},
        )
        older = len(rows) > limit
        rows = rows[:limit]
        for root, last, count, uuid, newest in rows:
            m = names.read_artifact(repo, root)
            threads.append(
                {
                    "uuid": uuid or "",
                    "title": thread_title(ctx, root) or "(no title)",
                    "user": (m.user if m is not None else None) or "",
                    "last": last,
                    "count": count,
                    "pending": mod and docwrite.pending(repo, newest),
                }
            )
    modreq = mod and repo.table_exists("modreq") and repo.one("SELECT 1 FROM modreq LIMIT 1") is not None
    pages = {
        "newer": None if offset == 0 else (f"?x={offset - limit}&n={limit}" if offset > limit else f"?n={limit}"),
        "older": f"?x={offset + limit}&n={limit}" if threads and older else None,
    }
    return ctx.render("forum.html", title="Forum", threads=threads, can_post=ctx.has("3"), modreq=modreq, paging=pages)


@pages.webpage("/forumpost", caps="2")
def forumpost(ctx: Context) -> Response:
    """/forumpost/HASH?t=MODE&unf&hist&raw

    The thread that the post HASH (a hash prefix) belongs to, with HASH's
    post marked.  ``t``: ``a`` (default) or ``h`` hierarchical, ``c``
    chronological, ``s`` this post only, ``r`` = ``c&unf&hist``, ``y`` =
    ``s&unf&hist``.  ``unf``: the source text.  ``hist``: every version
    of each post.  ``raw``: the source of this post only."""
    return _thread_page(ctx, select=True)


@pages.webpage("/forumthread", caps="2")
def forumthread(ctx: Context) -> Response:
    """/forumthread/HASH?t=MODE&unf&hist

    The whole thread of post HASH, no post marked (as /forumpost)."""
    return _thread_page(ctx, select=False)


def _thread_page(ctx: Context, *, select: bool) -> Response:
    req = ctx.req
    name = (req.get("name") or "").strip()
    fpid, froot = find_post(ctx, name)
    t = req.get("t") or "a"
    raw = req.get("raw") is not None
    unf = req.get("unf") is not None
    hist = req.get("hist") is not None
    if raw:
        mode, unf, hist = "s", True, False
    elif t[:1] in MODES:
        mode = "c" if t[:1] == "a" and from_mobile(ctx) else MODES[t[:1]]
        if t[:1] in "ry":
            unf = hist = True
    else:
        raise HTTPError(400, f'Invalid thread mode: "{t}"')
    posts = thread_posts(ctx, froot)
    # /forumthread selects no post (so its single-post modes show nothing, as in Fossil)
    chosen = next((p for p in posts if p.fpid == fpid), None) if select else None
    if chosen is not None and not hist and not raw and chosen.edit_tail is not None:
        chosen = chosen.edit_tail
    if chosen is None and mode == "s" and select:
        raise HTTPError(404, f'Not a forum post: "{name}"')
    shown = display_list(posts, mode, chosen, hist)
    scale = indent_scale(hierarchy(posts)) if mode == "h" else 0
    parts = [] if t == "a" and not raw else [f"t={t[:1]}"]
    parts += ["unf"] if unf else []
    parts += ["hist"] if hist else []
    query = ("?" + "&".join(parts)) if parts else ""
    views = [
        post_view(ctx, p, selected=select and p is chosen, unf=unf, indent_scale=scale, query=query) for p in shown
    ]
    # the title of a thread whose first post is held is the moderators' and the author's business
    title = (thread_title(ctx, fpid) or "Forum") if _may_see_held(ctx, froot) else "Forum"
    extra = ("&unf" if unf else "") + ("&hist" if hist else "")
    return ctx.render(
        "forumpost.html",
        title=title,
        posts=views,
        raw=raw,
        unf=unf,
        hist=hist,
        mode=mode,
        page="forumpost" if select else "forumthread",
        name=name,
        extra=extra,
        can_write=ctx.has("3"),
    )
