"""/attachadd, /attachlist, /attachview, /attachdownload, /attachimage and
/ainfo: files attached to wiki pages, tickets and technotes (Fossil 2.21's
``src/attach.c``).

One of ``page=NAME``, ``tkt=HASH`` or ``technote=HASH`` names the target.
Capabilities, as Fossil checks them:

* reading: ``j`` (wiki read) for a wiki page or technote, ``r`` (ticket
  read) for a ticket;
* adding: ``b`` (attach) plus ``m`` (wiki append) for a wiki page, plus
  ``i`` (check in) and ``m`` for a technote, plus ``c`` (ticket append)
  for a ticket;
* deleting (``/ainfo/HASH?del``, then the ``confirm`` button): ``k`` (wiki
  write) for a wiki page, ``i`` and ``k`` for a technote, ``w`` (ticket
  write) for a ticket.  Fossil has no /attachdelete page; a delete is a
  new attachment artifact without a source.

An attachment to a wiki page or ticket waits for a moderator when
``modreq-wiki`` / ``modreq-tkt`` is on and the user lacks ``l`` / ``q``.

/attachadd takes a ``multipart/form-data`` POST (field ``f`` the file,
``comment``, ``ok`` or ``cancel``, ``from`` the page to return to) with the
login's ``csrf`` token.  Files larger than the ``attachment-max-size``
setting (a fossilpy extension: Fossil 2.21 has no limit) are refused with
a message on the form and nothing is written.

/attachview shows the file as /artifact does; /attachdownload sends its
bytes.  Unlike Fossil, which sends ``text/html`` or ``image/svg+xml`` as
such (under its CSP), the bytes are sent with a type from
``files.SAFE_TYPES`` only (HTML, SVG, XML, scripts become ``text/plain``),
``Content-Security-Policy: sandbox`` and ``X-Content-Type-Options: nosniff``,
so an attached page can never run script as this site.
"""

from __future__ import annotations

from urllib.parse import quote

from fossilpy.errors import NotFound, UserError
from fossilpy.repo import attach, content
from fossilpy.web import forms
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def _q(text: str) -> str:
    return quote(text.encode("utf-8", "surrogateescape"), safe="")


def _target_param(ctx: Context) -> tuple[str, str]:
    """(kind, value) of the page=/tkt=/technote= parameter; ("", "") if none."""
    for kind, field in (("wiki", "page"), ("ticket", "tkt"), ("technote", "technote")):
        value = ctx.req.get(field)
        if value is not None:
            return kind, value
    return "", ""


_READ = {"wiki": "j", "ticket": "r", "technote": "j"}
_FIELD = {"wiki": "page", "ticket": "tkt", "technote": "technote"}


def _need(ctx: Context, letters: str, what: str) -> None:
    missing = [c for c in letters if not ctx.has(c)]
    if missing:
        raise HTTPError(403, f"{what} needs capability {' and '.join(missing)}; nothing was written")


def _upload_fields(ctx: Context) -> dict[str, tuple[str, bytes]]:
    """Merge a multipart body's text fields into the request's parameters
    (POST fields win, as for urlencoded forms) and return its files as
    name -> (file name, bytes)."""
    from fossilpy.web import multipart

    req = ctx.req
    files: dict[str, tuple[str, bytes]] = {}
    if req.method == "POST" and multipart.is_multipart(req.content_type):
        parts = multipart.parse(req.body, req.content_type)
        req.params.update(multipart.fields(parts))
        for p in parts:
            if p.filename is not None:
                files.setdefault(p.name, (p.filename, p.data))
    return files


@pages.webpage("/attachadd", caps="b", methods=("GET", "HEAD", "POST"))
def attachadd(ctx: Context) -> Response:
    """/attachadd?page=NAME|tkt=HASH|technote=HASH&from=URL

    Add an attachment: a form with the file (f), a description (comment)
    and the Add Attachment (ok) and Cancel buttons; it returns to from=."""
    files = _upload_fields(ctx)
    req = ctx.req
    given = [f for f in ("page", "tkt", "technote") if req.get(f) is not None]
    if len(given) != 1:
        return redirect(req, "/home")
    kind, value = _target_param(ctx)
    repo = ctx.repo
    if kind == "wiki":
        _need(ctx, "mb", "attaching a file to a wiki page")
        if not attach.wiki_exists(repo, value):
            return redirect(req, "/home")
        target = value
    elif kind == "technote":
        _need(ctx, "imb", "attaching a file to a technote")
        found = attach.full_id(repo, value, "event")
        if found is None:
            return redirect(req, "/home")
        target = found
    else:
        _need(ctx, "cb", "attaching a file to a ticket")
        found = attach.full_id(repo, value, "tkt")
        if found is None:
            return redirect(req, "/home")
        target = found
    back = req.get("from") or "/home"
    if req.get("cancel") is not None:
        return _back(ctx, back)
    error = ""
    status = 200
    if req.get("ok") is not None:
        forms.check_post(ctx)
        name, data = files.get("f", ("", b""))
        limit = repo.setting_int("attachment-max-size")
        if not data:
            error, status = "Choose a file to attach (an empty file cannot be attached).", 400
        elif limit > 0 and len(data) > limit:
            error = f"The file is {len(data)} bytes; attachments are limited to {limit} bytes. Nothing was attached."
            status = 413
        else:
            moderate = (kind == "ticket" and _moderated(ctx, "modreq-tkt", "q")) or (
                kind == "wiki" and _moderated(ctx, "modreq-wiki", "l")
            )
            try:
                with forms.writable(ctx) as w, w.write():
                    attach.add(
                        w,
                        name=name or "unknown",
                        target=target,
                        data=data,
                        comment=req.get("comment") or "",
                        user=forms.author(ctx),
                        moderate=moderate,
                    )
            except UserError as exc:
                error, status = str(exc), 400
            else:
                return _back(ctx, back)
    return ctx.render(
        "attachadd.html",
        status=status,
        title="Add Attachment",
        kind=kind,
        field=_FIELD[kind],
        target=target,
        back=back,
        error=error,
        comment=req.get("comment") or "",
    )


def _moderated(ctx: Context, name: str, exempt: str) -> bool:
    """``wiki_need_moderation`` / ``ticket_need_moderation``: config row ``name``
    (``modreq-wiki``, ``modreq-tkt``; set on /setup_modreq) is on and the user lacks ``exempt``."""
    from fossilpy.settings import as_bool

    return as_bool(ctx.repo.config_get(name), False) and not ctx.has(exempt)


def _back(ctx: Context, back: str) -> Response:
    """Redirect to from= when it is a path of this site (never elsewhere)."""
    top = ctx.req.top
    if back.startswith(ctx.req.base_url + "/"):
        back = back[len(ctx.req.base_url) :]
    elif top and back.startswith(top + "/"):
        back = back[len(top) :]
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/home"
    return redirect(ctx.req, back)


@pages.webpage("/attachlist", caps="j|r")
def attachlist(ctx: Context) -> Response:
    """/attachlist?page=NAME|tkt=HASH|technote=HASH

    List the attachments (additions and deletions) of one wiki page,
    ticket or technote (a hash may be a prefix), or of everything."""
    kind, value = _target_param(ctx)
    repo = ctx.repo
    if kind:
        _need(ctx, _READ[kind], "reading these attachments")
    rows = []
    if kind == "wiki":
        title = f"Attachments To {value}"
        found = attach.history(repo, value)
    else:
        found = attach.history(repo, None)
        if kind:
            label = "Ticket" if kind == "ticket" else "Tech Note"
            title = f"Attachments {'To' if kind == 'ticket' else 'to'} {label} {value[:10]}"
            found = [a for a in found if a.target.startswith(value)]
        else:
            title = "All Attachments"
    for a in found:
        tkind = _row_kind(ctx, a.target)
        if not kind and not ctx.has(_READ[tkind]):
            continue
        rows.append((a, tkind, _FIELD[tkind], a.filename.rsplit("/", 1)[-1] or a.filename))
    return ctx.render("attachlist.html", title=title, rows=rows, kind=kind)


def _row_kind(ctx: Context, target: str) -> str:
    """ "ticket", "technote" or "wiki", as /attachlist decides by tag."""
    repo = ctx.repo
    if repo.one("SELECT 1 FROM tag WHERE tagname=?", ("tkt-" + target,)):
        return "ticket"
    if repo.one("SELECT 1 FROM tag WHERE tagname=CAST(? AS TEXT)", (_sql("event-" + target),)):
        return "technote"
    return "wiki"


def _sql(text: str) -> object:
    from fossilpy.repo.db import sql_text

    return sql_text(text)


def _file_of(ctx: Context) -> tuple[int, str]:
    """(rid, file name) of the attachment the request names; refusal or 404 otherwise."""
    req = ctx.req
    filename = req.get("file")
    kind, target = _target_param(ctx)
    if filename is None or not kind:
        raise HTTPError(404, "which attachment? give page=, tkt= or technote= and file=")
    _need(ctx, _READ[kind], "reading this attachment")
    try:
        src = attach.source_of(ctx.repo, target, filename, req.int("attachid", 0))
    except NotFound:
        raise HTTPError(404, "No such attachment....") from None
    if src == "x":
        raise HTTPError(410, "Attachment has been deleted")
    rid = content.rid_of(ctx.repo, src)
    from fossilpy.web import names

    if not rid or names.visibility(ctx).hidden(rid):
        raise HTTPError(404, "No such attachment....")
    return rid, filename


@pages.webpage("/attachview", caps="j|r")
def attachview(ctx: Context) -> Response:
    """/attachview?page=NAME|tkt=HASH|technote=HASH&file=FILENAME&attachid=ID

    Show an attached file as /artifact shows an artifact."""
    rid, filename = _file_of(ctx)
    from fossilpy.web.pages.info import show_content

    return show_content(ctx, rid, filename=filename, checkin=None)


@pages.webpage("/attachdownload", caps="j|r")
def attachdownload(ctx: Context) -> Response:
    """/attachdownload/FILENAME?page=NAME|tkt=HASH|technote=HASH&file=FILENAME

    The bytes of an attached file (see the module docstring for the
    content types sent)."""
    return _deliver(ctx, download=True)


@pages.webpage("/attachimage", caps="j|r")
def attachimage(ctx: Context) -> Response:
    """/attachimage?page=NAME|tkt=HASH|technote=HASH&file=FILENAME

    Same as /attachdownload, shown inline."""
    return _deliver(ctx, download=False)


def _deliver(ctx: Context, *, download: bool) -> Response:
    rid, filename = _file_of(ctx)
    data = content.get(ctx.repo, rid)
    if data is None:
        raise HTTPError(404, "content of this attachment is not available")
    from fossilpy.web.pages.files import mimetype_for, safe_type

    mt = safe_type(mimetype_for(filename), data)
    resp = Response(body=data, content_type=mt + ("; charset=utf-8" if mt.startswith("text/") else ""))
    resp.add_header("Content-Security-Policy", "sandbox; default-src 'none'")
    resp.add_header("X-Content-Type-Options", "nosniff")
    if download:
        safe = "".join(c for c in attach.base_name(filename) if c.isalnum() or c in "._- ") or "download"
        resp.add_header("Content-Disposition", f'attachment; filename="{safe}"')
    return resp


@pages.webpage("/ainfo", caps="j|r", methods=("GET", "HEAD", "POST"))
def ainfo(ctx: Context) -> Response:
    """/ainfo/HASH?del  (then the confirm button)

    The details of one attachment artifact: its target, date, user, the
    attached file, its name and description, and the file's text (or its
    size).  ?del asks to delete it; moderators approve or delete a held
    attachment here (modaction=approve|delete)."""
    from fossilpy.repo.visibility import Visibility
    from fossilpy.web import names

    name = ctx.req.get("name") or ""
    if not name:
        return redirect(ctx.req, "/home")
    # moderators see held (private) attachments here: /modreq links to this page
    rid = names.find(Visibility(ctx.repo, private=ctx.has("x") or _moderator_any(ctx)), name)
    return attachment_info(ctx, rid)


def _moderator_any(ctx: Context) -> bool:
    return ctx.has("a") or ctx.has("l") or ctx.has("q")


def attachment_info(ctx: Context, rid: int) -> Response:
    """The /ainfo page of attachment artifact ``rid`` (also what /info shows for one)."""
    from fossilpy.artifact.manifest import ArtifactType
    from fossilpy.repo import docwrite
    from fossilpy.web import names

    repo = ctx.repo
    m = names.read_artifact(repo, rid)
    if m is None or m.type != ArtifactType.ATTACHMENT:
        return redirect(ctx.req, "/home")
    uuid = content.uuid_of(repo, rid) or ""
    target = m.attach_target or ""
    src = m.attach_src or ""
    fname = m.attach_name or ""
    kind = attach.target_kind(repo, target)
    if kind:
        _need(ctx, _READ[kind], "reading this attachment")
    can_delete = {"ticket": "w", "wiki": "k", "technote": "ik"}.get(kind, "")
    may_delete = bool(can_delete) and ctx.has(can_delete)
    deleted = False
    req = ctx.req
    if req.get("confirm") is not None and may_delete:
        forms.check_post(ctx)
        with forms.writable(ctx) as w, w.write():
            attach.delete(w, name=fname, target=target, user=forms.author(ctx))
        deleted = True
    elif req.get("confirm") is not None:
        _need(ctx, can_delete or "s", "deleting this attachment")
    moderator = ctx.has("a") or (kind == "ticket" and ctx.has("q")) or (kind == "wiki" and ctx.has("l"))
    if not moderator and names.visibility(ctx).hidden(rid):
        raise HTTPError(404, names.NO_ARTIFACT)
    action = req.get("modaction")
    if moderator and action in ("approve", "delete"):
        forms.check_post(ctx)
        with forms.writable(ctx) as w:
            if action == "delete":
                docwrite.disapprove(w, rid)
            else:
                docwrite.approve(w, rid)  # publishes the attached file too, in one transaction
        if action == "delete":
            back = f"/tktview/{target}" if kind == "ticket" else f"/wiki?name={_q(target)}"
            return redirect(req, back)
    src_rid = content.rid_of(repo, src) if src else 0
    from fossilpy.web.pages.files import mimetype_for

    mime = mimetype_for(fname)
    data = content.get(repo, src_rid) if src_rid else None
    text = None
    if data is not None and mime.startswith("text/"):
        text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    return ctx.render(
        "ainfo.html",
        title="Attachment Details",
        uuid=uuid,
        rid=rid,
        m=m,
        kind=kind,
        target=target,
        src=src,
        src_rid=src_rid,
        fname=fname,
        mime=mime,
        size=repo.one("SELECT size FROM blob WHERE rid=?", (src_rid,), 0) if src_rid else 0,
        text=text,
        image=mime.startswith("image/") and data is not None,
        ask_delete=req.get("del") is not None and may_delete and not deleted,
        may_delete=may_delete,
        deleted=deleted,
        pending=docwrite.pending(repo, rid),
        moderator=moderator,
        field=_FIELD.get(kind, "page"),
    )
