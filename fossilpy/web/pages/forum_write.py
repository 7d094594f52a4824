"""Writing to the forum: /forumnew, /forumedit, /forume1, /forume2.

As Fossil 2.21 (``src/forum.c``):

* ``/forumnew`` and ``/forumedit`` are what links and the post buttons
  name: a visitor who is not logged in is first asked whether to post
  anonymously, log in or register; a logged-in one gets ``/forume1``
  (new thread) or ``/forume2`` (reply, edit, delete, moderate).
* ``/forume1`` fields: ``title``, ``mimetype`` (default Markdown),
  ``content``, ``preview``, ``submit``, ``csrf``.
* ``/forume2`` fields: ``fpid`` (the post acted on), one of ``reply``,
  ``edit``, ``nullout`` (delete), ``approve``, ``reject``, ``cancel``;
  ``content``, ``mimetype``, ``title`` (editing a thread's first post),
  ``preview``, ``submit``; for a forum supervisor approving,
  ``trust`` and ``trustuser`` add ``4`` to the author's capabilities.

The artifact is what ``forum_post`` writes: ``D``, then ``G`` (the
thread's first post) for replies and edits, ``H`` title for a first post
and its edits, ``I`` the post answered (an edit keeps the original's),
``N`` unless the mimetype is Fossil wiki, ``P`` the version an edit
replaces, ``U``, ``W``, ``Z``.  A delete is an edit with empty content
(and an empty title for a first post).  A post by a visitor without
``4`` (trusted) or ``5`` (moderator) is held for moderation: private and
listed in ``modreq`` until approved (``forum_need_moderation``).
Edits and deletes are for the author, a moderator or an administrator.
Capabilities: ``3`` to write at all.
"""

from __future__ import annotations

from typing import Any

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.repo import docwrite
from fossilpy.repo import names as repo_names
from fossilpy.repo.visibility import is_private
from fossilpy.web import forms, names
from fossilpy.web.pages.forum import MIMETYPES, find_post
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: The mimetype of a new post when the form names none (``DEFAULT_FORUM_MIMETYPE``).
DEFAULT_MIMETYPE = "text/x-markdown"

#: Longest title the form takes (the field's ``maxlength``).
MAX_TITLE = 125

#: What ``fossil_isspace`` calls white space.
SPACE = " \t\n\v\f\r"

#: Logins that are not a person (``login_is_special``).
SPECIAL = ("anonymous", "nobody", "developer", "reader")


def _trimmed(text: str | None) -> str:
    """A form value without leading and trailing white space (``PDT``, ``cgi_parameter_trimmed``)."""
    return (text or "").strip(SPACE)


def _blank(text: str | None) -> bool:
    return text is None or text.strip(SPACE) == ""


def _mimetype(ctx: Context) -> str:
    mimetype = ctx.req.get("mimetype") or DEFAULT_MIMETYPE
    if mimetype not in {m for m, _ in MIMETYPES}:
        raise forms.FormError(f'Unknown markup style "{mimetype}".')
    return mimetype


def _need_moderation(ctx: Context) -> bool:
    """``forum_need_moderation``: unless trusted (``4``) or a moderator (``5``)."""
    return not (ctx.has("4") or ctx.has("5"))


def _uuid(repo: Any, rid: int) -> str | None:
    value = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
    return str(value) if value else None


class DryRun(forms.FormError):
    """``dryrun``: the artifact that would have been written (nothing was)."""


def post(ctx: Context, *, title: str | None, reply_to: int, edit: int, mimetype: str, content: str) -> docwrite.Stored:
    """Write one forum post artifact as ``forum_post`` does, in one transaction.

    With the ``dryrun`` parameter nothing is written: :class:`DryRun`
    carries the artifact's text.  With ``domod`` the post is held for a
    moderator whoever writes it (``forum_need_moderation``)."""
    from fossilpy.repo.schema import ensure_table

    dry_run = ctx.req.get("dryrun") is not None
    with forms.writable(ctx) as w, w.write():
        if not dry_run:
            ensure_table(w, "forumpost")  # schema_forum
        basis = reply_to
        if edit > 0 and w.one("SELECT 1 FROM forumpost WHERE fprev=?", (edit,)) is not None:
            raise forms.FormError("This post was changed meanwhile; edit its newest version.")
        if reply_to == 0 and edit > 0:
            basis = edit
            reply_to = int(w.one("SELECT firt FROM forumpost WHERE fpid=?", (edit,), 0) or 0)
        if (title is None) == (reply_to == 0):
            raise forms.FormError("A first post needs a title and a reply must not have one.")
        root = None
        if basis:
            root = w.one(
                "SELECT uuid FROM blob, forumpost WHERE blob.rid=forumpost.froot AND forumpost.fpid=?", (basis,)
            )
        m = Manifest(
            type=ArtifactType.FORUM,
            date=docwrite.now_date(),
            thread_root=str(root) if root else None,
            forum_title=title,
            reply_to=_uuid(w, reply_to) if reply_to else None,
            mimetype=None if mimetype == "text/x-fossil-wiki" else mimetype,
            parents=[p for p in [_uuid(w, edit) if edit else None] if p],
            user=forms.author(ctx) if ctx.login.name else "anonymous",
            text=content,
        )
        if dry_run:
            raise DryRun(m.to_bytes().decode("utf-8", "surrogateescape"))
        moderate = _need_moderation(ctx) or ctx.req.get("domod") is not None
        return docwrite.commit(w, m, moderate=moderate, deltify_older=(edit,) if edit and not moderate else ())


def _form(ctx: Context, template: str, *, status: int = 200, error: str = "", **values: Any) -> Response:
    return ctx.render(
        template,
        status=status,
        error=error,
        mimetypes=MIMETYPES,
        who=ctx.login.name or "anonymous",
        **values,
    )


def _anonymous_choice(ctx: Context, goto: str, is_edit: bool) -> Response:
    return ctx.render(
        "forum_anon.html",
        title=("Reply" if is_edit else "Post") + " As Anonymous?",
        goto=goto,
        register=ctx.repo.setting_bool("self-register"),
    )


@pages.webpage("/forumnew", caps="3", methods=("GET", "HEAD", "POST"))
def forumnew(ctx: Context) -> Response:
    """/forumnew

    Start a new thread; asks a visitor who is not logged in whether to
    post anonymously first."""
    if not ctx.login.is_individual:
        return _anonymous_choice(ctx, "forume1", False)
    return forume1(ctx)


@pages.webpage("/forumedit", caps="3", methods=("GET", "HEAD", "POST"))
def forumedit(ctx: Context) -> Response:
    """/forumedit?fpid=HASH

    Reply to, edit, delete or moderate post HASH (the buttons under a post
    lead here); asks a visitor who is not logged in first."""
    if not ctx.login.is_individual:
        return _anonymous_choice(ctx, "forume2?fpid=" + (ctx.req.get("fpid") or "")[:16], True)
    return forume2(ctx)


@pages.webpage("/forume1", caps="3", methods=("GET", "HEAD", "POST"))
def forume1(ctx: Context) -> Response:
    """/forume1 (POST title, mimetype, content, preview, submit, csrf)

    The new-thread form and its submit target."""
    req = ctx.req
    title = _trimmed(req.get("title"))
    content = _trimmed(req.get("content"))
    mimetype = req.get("mimetype") or DEFAULT_MIMETYPE
    values: dict[str, Any] = {"title": title, "content": content, "mimetype": mimetype}
    preview = req.get("preview") is not None and not _blank(content)
    try:
        mimetype = _mimetype(ctx)
        if req.get("submit") is not None:
            forms.check_post(ctx)
            if not title:
                raise forms.FormError("The new thread needs a title.")
            if len(title) > MAX_TITLE:
                raise forms.FormError(f"The title is longer than {MAX_TITLE} characters.")
            if _blank(content):
                raise forms.FormError("The post is empty: write something first.")
            stored = post(ctx, title=title, reply_to=0, edit=0, mimetype=mimetype, content=content)
            return redirect(req, "/forumpost/" + stored.uuid[:16])
    except DryRun as e:
        return _form(ctx, "forum_new.html", dryrun=str(e), preview=preview, title="New Forum Thread", **_rename(values))
    except forms.FormError as e:
        return _form(
            ctx, "forum_new.html", status=400, error=str(e), preview=False, title="New Forum Thread", **_rename(values)
        )
    return _form(ctx, "forum_new.html", preview=preview, title="New Forum Thread", **_rename(values))


def _rename(values: dict[str, Any]) -> dict[str, Any]:
    """Form values under template names (``title`` is the page's)."""
    return {"post_title": values.get("title"), "content": values.get("content"), "mimetype": values.get("mimetype")}


@pages.webpage("/forume2", caps="3", methods=("GET", "HEAD", "POST"))
def forume2(ctx: Context) -> Response:
    """/forume2?fpid=HASH (POST reply|edit|nullout|approve|reject|cancel, content, mimetype, title,
    preview, submit, csrf)

    Reply to, edit, delete (an edit with empty content), approve or
    reject the forum post HASH."""
    req = ctx.req
    repo = ctx.repo
    name = (req.get("fpid") or "").strip()
    try:
        fpid, froot = find_post(ctx, name) if repo_names.is_hash_prefix(name) else (0, 0)
    except HTTPError:
        fpid = froot = 0
    if fpid <= 0:
        raise HTTPError(400, "Missing or invalid fpid query parameter")
    m = names.read_artifact(repo, fpid)
    root_m = names.read_artifact(repo, froot)
    if m is None or root_m is None:
        raise HTTPError(400, f'fpid does not appear to be a forum post: "{fpid}"')
    uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (fpid,)))
    if req.get("cancel") is not None:
        return redirect(req, "/forumpost/" + uuid[:16])
    private = is_private(repo, fpid)
    same_user = ctx.login.is_individual and m.user == ctx.login.name
    if req.get("approve") is not None or req.get("reject") is not None:
        forms.check_post(ctx)
        if req.get("approve") is not None:
            if not ctx.has("5"):
                raise HTTPError(403, "Only a forum moderator may approve posts.")
            with forms.writable(ctx) as w, w.write():
                docwrite.approve(w, fpid)
                trustee = req.get("trustuser")
                if ctx.has("6") and req.get("trust") is not None and trustee and trustee not in SPECIAL:
                    w.execute("UPDATE user SET cap=cap||'4' WHERE login=? AND cap NOT GLOB '*4*'", (trustee,))
            return redirect(req, "/forumpost/" + uuid[:16])
        if not (ctx.has("5") or (private and same_user)):
            raise HTTPError(403, "Only a forum moderator or the author of a held post may reject it.")
        parent = repo.one(
            "SELECT uuid FROM forumpost, blob WHERE forumpost.fpid=? AND blob.rid=forumpost.firt", (fpid,)
        )
        with forms.writable(ctx) as w:
            docwrite.disapprove(w, fpid)
        return redirect(req, "/forumpost/" + str(parent)[:16] if parent else "/forum")
    is_delete = req.get("nullout") is not None
    is_edit = req.get("edit") is not None
    if (is_edit or is_delete) and not (same_user or ctx.has("5") or ctx.has("a")):
        raise HTTPError(403, "Only the author, a moderator or an administrator may change this post.")
    if private and (is_edit or is_delete or req.get("reply") is not None) and not (ctx.has("5") or same_user):
        raise HTTPError(403, "This post waits for a moderator.")
    content = None if req.get("content") is None else _trimmed(req.get("content"))
    mimetype = req.get("mimetype") or ((m.mimetype or "text/x-fossil-wiki") if is_edit else DEFAULT_MIMETYPE)
    title = req.get("title")
    if is_edit and title is None and m.forum_title is not None:
        title = m.forum_title
    if is_delete:
        mimetype, content = "text/x-fossil-wiki", ""
        title = "" if m.forum_title is not None else None
    values: dict[str, Any] = {
        "fpid": name,
        "uuid": uuid,
        "post": m,
        "post_text": names.text_of(m)[0],
        "post_mimetype": names.text_of(m)[1],
        "root_title": root_m.forum_title,
        "post_title": title,
        "content": content if content is not None else ((m.text or "") if is_edit else ""),
        "mimetype": mimetype,
        "kind": "delete" if is_delete else "edit" if is_edit else "reply",
        "date": repo.one("SELECT fmtime FROM forumpost WHERE fpid=?", (fpid,)),
    }
    heading = {"delete": "Delete ", "edit": "Edit "}.get(values["kind"], "")
    page_title = (heading + ("Post" if m.forum_title is not None else "Reply")) if heading else "Reply"
    values["preview"] = req.get("preview") is not None and not _blank(values["content"])
    try:
        mimetype = _mimetype(ctx)
        if is_delete:
            mimetype = "text/x-fossil-wiki"
        if req.get("submit") is not None:
            forms.check_post(ctx)
            if _blank(content) and not is_delete:
                raise forms.FormError("The post is empty: write something first.")
            if title is not None and not is_delete and not title.strip():
                raise forms.FormError("The thread needs a title.")
            if title is not None and len(title) > MAX_TITLE:
                raise forms.FormError(f"The title is longer than {MAX_TITLE} characters.")
            if req.get("reply") is not None:
                stored = post(ctx, title=None, reply_to=fpid, edit=0, mimetype=mimetype, content=content or "")
            elif is_edit or is_delete:
                stored = post(ctx, title=title, reply_to=0, edit=fpid, mimetype=mimetype, content=content or "")
            else:
                raise HTTPError(400, "Missing 'reply' query parameter")
            return redirect(req, "/forumpost/" + stored.uuid[:16])
    except DryRun as e:
        return _form(ctx, "forum_edit.html", dryrun=str(e), title=page_title, **values)
    except forms.FormError as e:
        values["preview"] = False
        return _form(ctx, "forum_edit.html", status=400, error=str(e), title=page_title, **values)
    return _form(ctx, "forum_edit.html", title=page_title, **values)
