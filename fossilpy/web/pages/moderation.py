"""/modreq: every change that waits for a moderator, and approving or rejecting it.

As Fossil 2.21's ``modreq_page`` (``src/moderate.c``), the list is the
timeline rows (``event``) whose ``objid`` is in ``modreq``, newest
first: wiki edits, ticket changes, forum posts, technotes and
attachments held because their author may not publish without review.
The page is for wiki moderators (``l``), ticket moderators (``q``) and
forum moderators (``5``).

Fossil approves on each item's own page (``/winfo``, ``/tinfo``,
``/forumpost``); here each row also carries the buttons, posting
``modaction=approve`` or ``modaction=delete`` (the field of Fossil's
moderation form) with ``rid`` and ``csrf`` back to /modreq.  Which
moderator may act on a row follows its timeline type: ``w`` (wiki and
wiki attachments) and ``e`` (technotes) need ``l``, ``t`` (tickets and
ticket attachments) ``q``, ``f`` (forum posts) ``5``.  Approving makes the
artifact public (``moderation_approve``); rejecting deletes it and what
it left in the derived tables (``moderation_disapprove``), both through
:mod:`fossilpy.repo.docwrite`.
"""

from __future__ import annotations

from typing import Any

from fossilpy.repo import docwrite
from fossilpy.text import is_digits
from fossilpy.web import forms
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: timeline type -> the moderator capability that may act on it
MODERATOR = {"w": "l", "e": "l", "t": "q", "f": "5"}

#: timeline type -> what the list calls it
KIND = {"w": "Wiki", "e": "Technote", "t": "Ticket", "f": "Forum"}


def may_moderate(ctx: Context, etype: str) -> bool:
    """True if this visitor moderates changes of timeline type ``etype``."""
    letter = MODERATOR.get(etype)
    return letter is not None and ctx.has(letter)


def _link(etype: str, uuid: str, attached: bool) -> str:
    if etype == "f":
        return "/forumpost/" + uuid[:16]
    if attached:
        return "/ainfo/" + uuid[:16]
    return {"w": "/winfo/", "t": "/tinfo/"}.get(etype, "/info/") + uuid[:16]


def pending_rows(ctx: Context) -> list[dict[str, Any]]:
    """The held changes, newest first (``event.objid IN modreq``)."""
    repo = ctx.repo
    if not repo.table_exists("modreq"):
        return []
    rows = repo.all(
        "SELECT event.objid, event.type, event.mtime, coalesce(event.euser, event.user), event.comment,"
        " blob.uuid, modreq.attachRid, modreq.tktid"
        " FROM event JOIN modreq ON modreq.objid=event.objid JOIN blob ON blob.rid=event.objid"
        " ORDER BY event.mtime DESC"
    )
    out = []
    for rid, etype, mtime, user, comment, uuid, attach, tktid in rows:
        attached = bool(attach) or repo.one("SELECT 1 FROM attachment WHERE attachid=?", (rid,)) is not None
        out.append(
            {
                "rid": rid,
                "type": etype,
                "kind": ("Attachment to " if attached else "") + KIND.get(etype, etype),
                "mtime": mtime,
                "user": user or "",
                "comment": comment or "",
                "uuid": uuid,
                "link": _link(etype, uuid, attached),
                "tktid": tktid or "",
                "mine": may_moderate(ctx, etype),
            }
        )
    return out


@pages.webpage("/modreq", caps="l|q|5", methods=("GET", "HEAD", "POST"))
def modreq(ctx: Context) -> Response:
    """/modreq (POST rid, modaction=approve|delete, csrf)

    All pending moderation requests: wiki, ticket, technote, forum and
    attachment changes held for a moderator, newest first, each with
    Approve and Delete buttons for the moderators of its kind."""
    req = ctx.req
    if req.method == "POST":
        forms.check_post(ctx)
        rid_text = req.get("rid") or ""
        action = req.get("modaction") or ""
        if not is_digits(rid_text) or action not in ("approve", "delete"):
            raise HTTPError(400, "Missing or invalid rid or modaction.")
        rid = int(rid_text)
        etype = ctx.repo.one("SELECT type FROM event WHERE objid=?", (rid,))
        if etype is None or not docwrite.pending(ctx.repo, rid):
            raise HTTPError(404, "No such moderation request.")
        if not may_moderate(ctx, str(etype)):
            raise HTTPError(403, "You do not moderate this kind of change.")
        with forms.writable(ctx) as w:
            if action == "approve":
                docwrite.approve(w, rid)
            else:
                docwrite.disapprove(w, rid)
        return redirect(req, "/modreq")
    return ctx.render("modreq.html", title="Pending Moderation Requests", rows=pending_rows(ctx))
