"""/forum and /forumpost: the forum's threads and one thread.

Rows come from the ``forumpost`` table (filled by crosslinking)::

    fpid   rid of the post's artifact       froot  fpid of the thread's first post
    fprev  fpid of the version this edits    firt   fpid of the post this replies to
    fmtime Julian day of the post

A post that was edited later (its fpid is some row's ``fprev``) is not
shown; its newest edit is.  A thread's title is the ``H`` card of the
newest version of its first post; a post's text is its ``W`` card in
the mimetype of its ``N`` card, rendered by the safe wiki renderer
(:mod:`fossilpy.markup.wikirender`), never as raw HTML.  Posts are read by
the one artifact parser (``names.read_artifact``).
"""

from __future__ import annotations

from typing import Any

from fossilpy.artifact.manifest import Manifest
from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import FORUM_ROOT_VISIBLE
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Threads per /forum page at most.
MAX_THREADS = 500


def _post(ctx: Context, rid: int) -> Manifest | None:
    """Forum post ``rid``, parsed (None if it is not one)."""
    return names.read_artifact(ctx.repo, rid)


def _user(post: Manifest | None) -> str:
    """The U card of a post ("" without one)."""
    return (post.user if post is not None else None) or ""


def _title(ctx: Context, root: int) -> str:
    newest = ctx.repo.one(
        "SELECT fpid FROM forumpost WHERE froot=? AND coalesce(firt,0)=0 ORDER BY fmtime DESC LIMIT 1",
        (root,),
        root,
    )
    post = _post(ctx, newest)
    return (post.forum_title if post is not None else None) or "(no title)"


@pages.webpage("/forum", caps="2")
def forum(ctx: Context) -> Response:
    """/forum?n=N

    The forum's threads, most recently active first: title, author,
    number of posts (edits not counted) and time of the last post."""
    repo = ctx.repo
    limit = max(1, min(MAX_THREADS, ctx.req.int("n", 50)))
    threads: list[dict[str, Any]] = []
    if repo.table_exists("forumpost"):
        rows = repo.all(
            "SELECT froot, max(fmtime), count(*) - count(fprev), (SELECT uuid FROM blob WHERE rid=froot)"
            " FROM forumpost WHERE " + FORUM_ROOT_VISIBLE + " GROUP BY froot ORDER BY 2 DESC LIMIT ?",
            (names.visibility(ctx).private, limit),
        )
        for root, last, count, uuid in rows:
            threads.append(
                {"uuid": uuid or "", "title": _title(ctx, root), "user": _user(_post(ctx, root)), "last": last,
                 "count": count}
            )
    return ctx.render("forum.html", title="Forum", threads=threads)


@pages.webpage("/forumpost", caps="2")
def forumpost(ctx: Context) -> Response:
    """/forumpost/HASH

    The thread that the post HASH (a hash prefix) belongs to, each post
    in its newest version, oldest first; HASH's post is marked."""
    repo = ctx.repo
    name = (ctx.req.get("name") or "").strip()
    vis = names.visibility(ctx)
    rid = vis.lookup(name) if is_hash_prefix(name) else 0
    row = None
    if rid > 0 and repo.table_exists("forumpost"):
        row = repo.row("SELECT froot FROM forumpost WHERE fpid=?", (rid,))
    if row is None or vis.hidden(row[0]):
        raise HTTPError(404, "No such forum post.")
    root = row[0]
    rows = repo.all(
        "SELECT fpid, fmtime, firt, (SELECT uuid FROM blob WHERE rid=fpid) FROM forumpost"
        " WHERE froot=? AND fpid NOT IN (SELECT fprev FROM forumpost WHERE fprev IS NOT NULL)"
        " ORDER BY fmtime",
        (root,),
    )
    rows = vis.keep(rows)
    uuids = {r[0]: r[3] for r in rows}
    posts = []
    for fpid, mtime, firt, uuid in rows:
        post = _post(ctx, fpid)
        text, mimetype = names.text_of(post)
        posts.append(
            {
                "uuid": uuid or "",
                "mtime": mtime,
                "user": _user(post),
                "text": text,
                "mimetype": mimetype,
                "reply_to": uuids.get(firt or 0, ""),
                "selected": fpid == rid,
            }
        )
    title = _title(ctx, root)
    return ctx.render("forumpost.html", title=f"Forum: {title}", heading=title, posts=posts)
