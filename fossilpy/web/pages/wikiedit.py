"""Writing the wiki: /wikiedit, /wikinew, /wikiappend and /wikiajax.

Fossil 2.21's ``/wikiedit`` is a JavaScript application that saves
through ``/wikiajax/save``; fossilpy's ``/wikiedit`` is a plain HTML form
that works without JavaScript, with Fossil's field names where Fossil has
them:

* ``name`` the page, ``mimetype`` (text/x-fossil-wiki, text/x-markdown or
  text/plain), ``content`` the text (``w``, the field of Fossil's older
  form, is accepted too), ``csrf``;
* ``parent``: the hash of the version the text was edited from (empty
  for a new page), so that an edit made while someone else saved the page
  is not lost: the second editor gets a page showing the newer version's
  changes against their text, their text still in the form, and the
  choice of saving it on top of the newer version or going back (a
  request without the field saves on top of the newest version);
* ``preview`` shows the rendered text under the form, ``submit`` saves.

Capabilities (``wiki_ajax_can_write``): ``k`` to change an existing page,
``f`` to create one; pages about a check-in, branch or tag also need
``i``.  The Sandbox is previewed only, never saved (as Fossil's editor).
A page name that is not well formed, or a text over
:data:`fossilpy.repo.wiki.MAX_TEXT_BYTES`, is refused and nothing is
written.  A save by a visitor without ``l`` waits for a moderator when
``modreq-wiki`` is on.

``/wikiajax/ROUTE`` keeps Fossil's routes and parameters for scripts:
``save`` (``page``, ``mimetype``, ``content``, ``isnew``), ``fetch``
(``page``), ``preview`` (``mimetype``, ``content``), ``list``
(``verbose``) and ``diff`` (``page``, ``content``); errors are
``{"error": MESSAGE}`` with an HTTP status, as ``ajax_route_error``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fossilpy.repo import wiki as repowiki
from fossilpy.web import forms
from fossilpy.web.app import login_needed
from fossilpy.web.pages.wiki import name_error, q, standard_submenu
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

pages = PageSet()


class Conflict(Exception):
    """The page changed since the editor loaded it."""

    def __init__(self, page: repowiki.Page | None) -> None:
        super().__init__("edit conflict")
        self.page = page


def _may_write(ctx: Context, name: str, exists: bool) -> bool:
    """``k`` for an existing page, ``f`` for a new one, and ``i`` for pages about check-ins."""
    if repowiki.needs_write_cap(name, ctx.repo) and not ctx.has("i"):
        return False
    return ctx.has("k") if exists else ctx.has("f")


def _refuse(ctx: Context) -> Response:
    return login_needed(ctx.req, anon_ok=bool(ctx.login.anon_caps and not ctx.login.name))


def _content(ctx: Context) -> str:
    text = ctx.req.get("content")
    if text is None:
        text = ctx.req.get("w") or ""
    return text.replace("\r\n", "\n")


def save(
    ctx: Context,
    name: str,
    text: str,
    mimetype: str,
    parent: str | None,
    *,
    append: bool = False,
    check: Callable[[Repo], None] | None = None,
) -> repowiki.Page:
    """Write a new version of page ``name``; return it.

    ``parent``: the hash the editor started from ("" for a new page);
    :class:`Conflict` if the newest version is another one.  None: on
    top of whatever is newest.  ``append``: ``text`` goes after the newest
    version's text.  ``check(w)`` runs first inside the transaction (a
    captcha) and may raise.  One transaction; nothing written on error.
    """
    from fossilpy.repo import docwrite

    with forms.writable(ctx) as w, w.write():
        if check is not None:
            check(w)
        cur = repowiki.current(w, name)
        if parent is not None and parent != (cur.uuid if cur else ""):
            raise Conflict(cur)
        if append:
            text = (cur.text if cur else "") + text
            if len(text.encode("utf-8", "surrogateescape")) > repowiki.MAX_TEXT_BYTES:
                raise forms.FormError(_too_large())
        m = repowiki.build(
            name,
            text,
            mimetype,
            parent=cur.uuid if cur else "",
            user=forms.author(ctx),
            date=docwrite.now_date(),
        )
        moderate = repowiki.need_moderation(w, can_moderate=ctx.has("l"))
        stored = repowiki.put(w, m, parent_rid=cur.rid if cur else 0, moderate=moderate)
    return repowiki.Page(
        stored.rid, stored.uuid, name, text, m.mimetype or "", m.parents[0] if m.parents else "", 0.0, m.user or ""
    )


def _too_large() -> str:
    return f"The text is too large: at most {repowiki.MAX_TEXT_BYTES // 1024} KiB."


def _editor(ctx: Context, name: str, **values: Any) -> Response:
    values.setdefault("status", 200)
    values.setdefault("error", "")
    values.setdefault("preview", None)
    values.setdefault("conflict", None)
    values.setdefault("diff", None)
    return ctx.render(
        "wikiedit.html",
        title=f"Edit: {name}" if name else "Wiki Editor",
        name=name,
        mimetypes=repowiki.MIMETYPES,
        sandbox=repowiki.is_sandbox(name),
        rules=repowiki.NAME_RULES,
        **values,
    )


def _conflict_diff(theirs: str, mine: str) -> list[tuple[str, str]]:
    from fossilpy.web.pages.info import unified_diff

    return unified_diff(theirs.encode("utf-8", "surrogateescape"), mine.encode("utf-8", "surrogateescape"))


@pages.webpage("/wikiedit", caps="", methods=("GET", "HEAD", "POST"))
def wikiedit(ctx: Context) -> Response:
    """/wikiedit?name=PAGENAME&mimetype=MIMETYPE

    Create or edit a wiki page: a form with ``mimetype``, ``content``,
    ``preview`` and ``submit`` (save).  A page that changed since the form
    was loaded is not overwritten: the editor is shown the difference and
    chooses.  The Sandbox can be previewed but not saved."""
    name = ctx.req.get("name") or ""
    if not name:
        if not ctx.has("j"):
            return _refuse(ctx)
        rows = [r for r in repowiki.pages(ctx.repo, private=ctx.has("x")) if r.rid]
        return ctx.render("wikiedit_pick.html", title="Wiki Editor", rows=rows, menu=standard_submenu(ctx, "New"))
    if not repowiki.is_wellformed(name):
        return name_error(ctx, name)
    sandbox = repowiki.is_sandbox(name)
    cur = None if sandbox else repowiki.current(ctx.repo, name)
    if sandbox:
        if not ctx.has("j"):
            return _refuse(ctx)
    elif not _may_write(ctx, name, cur is not None):
        return _refuse(ctx)
    if ctx.req.method != "POST":
        if sandbox:
            text, mimetype = repowiki.sandbox(ctx.repo)
            return _editor(ctx, name, text=text, mimetype=repowiki.filter_mimetype(mimetype), parent="")
        if cur is None:
            mimetype = repowiki.filter_mimetype(ctx.req.get("mimetype"))
            return _editor(ctx, name, text="", mimetype=mimetype, parent="", new=True)
        return _editor(ctx, name, text=cur.text, mimetype=repowiki.filter_mimetype(cur.mimetype), parent=cur.uuid)
    forms.check_post(ctx)
    text = _content(ctx)
    mimetype = repowiki.filter_mimetype(ctx.req.get("mimetype"))
    # the hash the form was loaded with; a script that sends no parent field
    # (Fossil's own editor has none) saves on top of whatever is newest
    parent = ctx.req.get("parent")
    form = {"text": text, "mimetype": mimetype, "parent": parent or "", "new": not parent}
    if len(text.encode("utf-8", "surrogateescape")) > repowiki.MAX_TEXT_BYTES:
        return _editor(ctx, name, status=400, error=_too_large(), **form)
    if sandbox and ctx.req.get("submit") is not None:
        return _editor(ctx, name, status=403, error="Saving a sandbox page is prohibited.", preview=text, **form)
    if ctx.req.get("submit") is None:
        return _editor(ctx, name, preview=text, **form)
    try:
        save(ctx, name, text, mimetype, parent)
    except Conflict as c:
        newer = c.page
        return _editor(
            ctx,
            name,
            status=409,
            conflict=newer,
            diff=_conflict_diff(newer.text if newer else "", text),
            text=text,
            mimetype=mimetype,
            parent=newer.uuid if newer else "",
            new=newer is None,
        )
    return redirect(ctx.req, "/wiki?name=" + q(name))


@pages.webpage("/wikinew", caps="f", methods=("GET", "HEAD", "POST"))
def wikinew(ctx: Context) -> Response:
    """/wikinew?name=PAGENAME&mimetype=MIMETYPE

    Ask for the name (and markup style) of a new wiki page, then go to
    /wikiedit for it."""
    name = ctx.req.get("name") or ""
    mimetype = repowiki.filter_mimetype(ctx.req.get("mimetype"))
    if name and repowiki.is_wellformed(name):
        return redirect(ctx.req, f"/wikiedit?name={q(name)}&mimetype={mimetype}")
    return ctx.render(
        "wikinew.html",
        status=400 if name else 200,
        title="Create A New Wiki Page",
        name=name,
        mimetypes=repowiki.MIMETYPES,
        rules=repowiki.NAME_RULES,
        menu=standard_submenu(ctx, "List", "Help", "Sandbox"),
    )


@pages.webpage("/wikiappend", caps="m", methods=("GET", "HEAD", "POST"))
def wikiappend(ctx: Context) -> Response:
    """/wikiappend?name=PAGENAME

    Append a comment to a wiki page: fields ``u`` (your name), ``r`` (the
    comment, in the page's markup), ``preview``, ``submit``, ``cancel``."""
    name = ctx.req.get("name") or ""
    if not repowiki.is_wellformed(name):
        return name_error(ctx, name)
    sandbox = repowiki.is_sandbox(name)
    page = None if sandbox else repowiki.current(ctx.repo, name)
    if not sandbox and page is None:
        raise HTTPError(404, f"There is no wiki page named {name!r} to append to.")
    mimetype = repowiki.filter_mimetype(page.mimetype if page else None)
    back = "/wiki?name=" + q(name)
    login = forms.author(ctx)
    claimed = ctx.req.get("u")
    if claimed is None:
        claimed = ctx.login.name or ""
    remark = (ctx.req.get("r") or "").replace("\r\n", "\n")
    error = "Error: the Sandbox page may not be appended to." if sandbox else ""
    preview = None
    status = 200
    need_captcha = not ctx.login.name and ctx.repo.config_bool("require-captcha", True)
    if ctx.req.method == "POST" and not sandbox:
        forms.check_post(ctx)
        if ctx.req.get("cancel") is not None:
            return redirect(ctx.req, back)
        date = str(ctx.repo.one("SELECT datetime('now')"))
        addition = repowiki.remark(
            mimetype, login=login, claimed=claimed, date=date, remark=remark, rand_id=secrets.token_hex(8)
        )
        if ctx.req.get("submit") is not None and ctx.req.get("r") is not None:
            try:
                save(
                    ctx,
                    name,
                    addition,
                    mimetype,
                    None,
                    append=True,
                    check=_captcha_check(ctx) if need_captcha else None,
                )
            except forms.FormError as e:
                error, status = str(e), 400
            else:
                return redirect(ctx.req, back)
        elif ctx.req.get("preview") is not None:
            preview = addition
    elif sandbox:
        status = 400
    seed, art = _new_captcha(ctx) if need_captcha and not sandbox else ("", "")
    return ctx.render(
        "wikiappend.html",
        status=status,
        title=f"Append Comment To: {name}",
        name=name,
        mimetype=mimetype,
        format=repowiki.common_name(mimetype),
        user=claimed,
        remark=remark,
        preview=preview,
        error=error,
        sandbox=sandbox,
        captchaseed=seed,
        captcha=art,
    )


def _new_captcha(ctx: Context) -> tuple[str, str]:
    """(seed, ASCII art) of a fresh captcha."""
    from fossilpy.web import auth

    seed, answer = auth.captcha_new(auth.captcha_secret(ctx.repo_path, ctx.repo))
    return seed, auth.captcha_render(answer)


def _captcha_check(ctx: Context) -> Callable[[Repo], None]:
    """A check for :func:`save`: the visitor's captcha answer (``captcha_is_correct``)."""

    def check(w: Repo) -> None:
        from fossilpy.web import auth

        secret = auth.captcha_secret(ctx.repo_path, w)
        if not auth.captcha_redeem(w, secret, ctx.req.get("captchaseed") or "", ctx.req.get("captcha") or ""):
            raise forms.FormError("Error: Incorrect security code.")

    return check


def _json(value: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(value).encode(), content_type="application/json")


def _ajax_error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


def _kind(repo: Any, name: str) -> str:
    """ "normal", "checkin", "branch" or "tag" (``wiki_page_type_name``)."""
    if not repo.config_bool("wiki-about", True):
        return "normal"
    if name.startswith("checkin/") and repo.one("SELECT 1 FROM blob WHERE uuid=?", (name[8:],)):
        return "checkin"
    for prefix, label in (("branch/", "branch"), ("tag/", "tag")):
        if name.startswith(prefix):
            return label
    return "normal"


def _page_object(ctx: Context, name: str, *, content: bool) -> dict[str, Any] | None:
    """The page as ``wiki_ajax_emit_page_object`` describes it; None if missing."""
    if repowiki.is_sandbox(name):
        text, mimetype = repowiki.sandbox(ctx.repo)
        obj: dict[str, Any] = {"name": name, "type": "sandbox", "mimetype": mimetype, "version": None, "parent": None}
        if content:
            obj["content"] = text
        return obj
    page = repowiki.current(ctx.repo, name, private=ctx.has("x"))
    return None if page is None else _object(ctx.repo, page, content=content)


def _object(repo: Any, page: repowiki.Page, *, content: bool) -> dict[str, Any]:
    """A page version as ``wiki_ajax_emit_page_object`` writes it."""
    obj: dict[str, Any] = {
        "name": page.title,
        "type": _kind(repo, page.title),
        "version": page.uuid,
        "mimetype": page.mimetype or repowiki.DEFAULT_MIMETYPE,
        "parent": page.parent or None,
    }
    if not page.text:
        obj["isEmpty"] = True
    if content:
        obj["content"] = page.text
    obj["attachments"] = _attachments(repo, page.title)
    return obj


def _attachments(repo: Any, name: str) -> list[dict[str, Any]] | None:
    """Every version of the files attached to page ``name``, latest first; None if none
    (``wiki_ajax_emit_page_attachments`` with nullIfEmpty)."""
    if not repo.table_exists("attachment"):
        return None
    from fossilpy.repo.db import sql_text

    rows = repo.all(
        "SELECT datetime(mtime), src, target, filename, isLatest, (SELECT uuid FROM blob WHERE rid=attachid)"
        " FROM attachment WHERE target=CAST(? AS TEXT) ORDER BY target, isLatest DESC, mtime DESC",
        (sql_text(name),),
    )
    out = [
        {"uuid": r[5], "src": r[1], "target": r[2], "filename": r[3], "mtime": r[0], "isLatest": bool(r[4])}
        for r in rows
    ]
    return out or None


@pages.webpage("/wikiajax", caps="", methods=("GET", "HEAD", "POST"))
def wikiajax(ctx: Context) -> Response:
    """/wikiajax/ROUTE

    Fossil's wiki editor interface for scripts: ``save``, ``fetch``,
    ``preview``, ``list`` and ``diff``, with Fossil's parameters; replies
    are JSON (HTML for preview and diff)."""
    route = ctx.req.extra.strip("/") if ctx.req.extra else (ctx.req.get("name") or "")
    routes = {
        "diff": (True, True),
        "fetch": (False, False),
        "list": (False, False),
        "preview": (False, True),
        "save": (True, True),
    }
    if not route:
        return _ajax_error(400, "Missing required [route] 'name' parameter.")
    if route not in routes:
        return _ajax_error(404, "Ajax route not found.")
    write, post = routes[route]
    if write and not ctx.has("k"):
        return _ajax_error(403, "Write permissions required.")
    if not write and not ctx.has("j"):
        return _ajax_error(403, "Read-Wiki permissions required.")
    if post and (ctx.req.method != "POST" or not ctx.req.same_origin):
        return _ajax_error(
            403, "CSRF violation (make sure sending of HTTP Referer headers is enabled for XHR connections)."
        )
    page = ctx.req.get("page") or ""
    if route == "list":
        verbose = (ctx.req.get("verbose") or "0") not in ("0", "false", "")
        names = sorted({r.name for r in repowiki.pages(ctx.repo, private=ctx.has("x"))} | {"Sandbox"}, key=str.lower)
        if not verbose:
            return _json(names)
        return _json([_page_object(ctx, n, content=False) for n in names])
    if route == "preview":
        content = ctx.req.get("content")
        if content is None:
            return _ajax_error(400, "Missing content to preview.")
        from fossilpy.markup import wikirender

        html = wikirender.render(content, repowiki.filter_mimetype(ctx.req.get("mimetype")), top=ctx.req.top)
        return Response(body=html.encode(), content_type="text/html; charset=utf-8")
    if route == "fetch":
        if not page:
            return _ajax_error(400, "Missing page name.")
        obj = _page_object(ctx, page, content=True)
        return _json(obj) if obj else _ajax_error(404, f"Wiki page could not be loaded: {page}")
    if not page or not repowiki.is_wellformed(page):
        return _ajax_error(403 if route == "save" else 400, "Invalid page name.")
    cur = None if repowiki.is_sandbox(page) else repowiki.current(ctx.repo, page)
    if not repowiki.is_sandbox(page) and not _may_write(ctx, page, cur is not None):
        return _ajax_error(403, "Requires wiki-write permissions." if cur else "Requires new-wiki permissions.")
    content = (ctx.req.get("content") or "").replace("\r\n", "\n")
    if route == "diff":
        from html import escape

        lines = _conflict_diff(cur.text if cur else "", content)
        body = "".join(f'<span class="d-{cls}">{escape(line)}</span>\n' for cls, line in lines)
        return Response(body=f'<pre class="udiff">{body}</pre>'.encode(), content_type="text/html; charset=utf-8")
    if repowiki.is_sandbox(page):
        return _ajax_error(403, "Saving a sandbox page is prohibited.")
    is_new = (ctx.req.get("isnew") or "0") not in ("0", "false", "")
    if is_new and cur is not None:
        return _ajax_error(403, f"Requested a new page, but it already exists with RID {cur.rid}: {page}")
    if not is_new and cur is None:
        return _ajax_error(403, f"Creating new page [{page}] requires passing isnew=1.")
    if len(content.encode("utf-8", "surrogateescape")) > repowiki.MAX_TEXT_BYTES:
        return _ajax_error(400, "The text is too large.")
    new = save(ctx, page, content, ctx.req.get("mimetype") or repowiki.DEFAULT_MIMETYPE, None)
    return _json(_object(ctx.repo, new, content=True))
