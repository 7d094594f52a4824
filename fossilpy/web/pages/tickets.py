"""Ticket pages: /tktview, /tktnew, /tktedit, /tkthistory, /tkttimeline.

Fossil 2.21 draws these pages with TH1 scripts kept in the ``ticket-*page``
configuration (``src/tktsetup.c``); fossilpy has no TH1, so these are the
DEFAULT pages written out, driven by the columns the repository's ticket
tables really have: a column added through ``ticket-table`` shows up as an
extra field on the view, new and edit pages (labelled with its name).

* ``/tktview/UUID``: the fields laid out as the default view page (Title,
  Status, Type, Severity, Priority, Subsystem, Resolution, Last Modified,
  Contact for those with ``e``, Version Found In, Description), the user
  comments (``icomment`` of each change, with who and when), then the
  attachments.  ``?plaintext`` shows comments unformatted.  Needs ``r``.
* ``/tktnew``: fields ``title``, ``type``, ``foundin``, ``severity``,
  ``private_contact``, ``mutype``, ``icomment``; buttons ``preview``,
  ``submit``, ``cancel``.  Needs ``n``.
* ``/tktedit/UUID``: ``title``, ``status``, ``type``, ``severity``,
  ``priority``, ``resolution``, ``subsystem``, ``private_contact`` (with
  ``e``), ``foundin``, ``mutype``, ``username``, ``icomment``.  Needs ``w``
  or ``c``; with ``c`` alone only a comment may be added.
* ``/tkthistory/UUID``: every change, decoded (``?raw``: artifact text for
  admins).  ``/tkttimeline/UUID``: the changes as a list.  Need ``r`` and ``h``.

A submission is ``submitTicketCmd``: each field whose value (trailing
white space trimmed) differs from the ticket's -- or a non-empty
ticketchng field -- becomes a J card; status is "Open" for a new ticket,
``mimetype`` follows ``mutype``, ``login`` is the writer.  A parameter that
is neither a field nor one of the form's own controls is refused (400) and
nothing is written.  Visitors who are not logged in solve a captcha unless
``require-captcha`` is off; with the ``modreq-tkt`` option a change from a
user without ``q`` waits for a moderator.
"""

from __future__ import annotations

from typing import Any

from fossilpy.repo import tickets_write
from fossilpy.repo.names import is_hash_prefix
from fossilpy.web.forms import FormError, author, check_post, writable
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: the default ``ticket-common`` choice lists
CHOICES: dict[str, list[str]] = {
    "type": ["Code_Defect", "Build_Problem", "Documentation", "Feature_Request", "Incident"],
    "priority": ["Immediate", "High", "Medium", "Low", "Zero"],
    "severity": ["Critical", "Severe", "Important", "Minor", "Cosmetic"],
    "resolution": [
        "Open",
        "Fixed",
        "Rejected",
        "Workaround",
        "Unable_To_Reproduce",
        "Works_As_Designed",
        "External_Bug",
        "Not_A_Bug",
        "Duplicate",
        "Overcome_By_Events",
        "Drive_By_Patch",
        "Misconfiguration",
    ],
    "status": ["Open", "Verified", "Review", "Deferred", "Fixed", "Tested", "Closed"],
    "subsystem": [],
}
MUTYPES = ["HTML", "[links only]", "Markdown", "Plain Text", "Wiki"]
_MIMETYPE = {
    "HTML": "text/html",
    "Wiki": "text/x-fossil-wiki",
    "Markdown": "text/x-markdown",
    "[links only]": "text/x-fossil-plain",
}
#: fields the default pages lay out themselves; other ticket columns are "extra"
_KNOWN = frozenset(
    "title status type severity priority subsystem resolution private_contact foundin comment"
    " icomment mimetype login username".split()
)
#: form parameters that are not ticket fields
_CONTROLS = frozenset(
    "csrf name submit preview cancel mutype captcha captchaseed date_override tl plaintext showfields".split()
)


def _render_comment(text: str, mimetype: str, plain: bool) -> tuple[str, str]:
    """(how the wiki filter should read it, the text) for a user comment."""
    if plain or mimetype == "text/plain":
        return "text/plain", text.rstrip()
    if mimetype in ("text/x-fossil-wiki", "text/x-markdown", "text/html"):
        return mimetype, text
    return "text/plain", text.rstrip()


def _resolve(ctx: Context) -> tuple[str, str]:
    """(name as given, full tkt_uuid) of the ticket named by ``name``; 404 otherwise."""
    name = (ctx.req.get("name") or "").strip()
    if not name or not is_hash_prefix(name.lower()):
        raise HTTPError(404, f"no ticket {name!r}")
    found = tickets_write.resolve(ctx.repo, name.lower())
    if len(found) != 1:
        raise HTTPError(404, f"no ticket {name!r}" if not found else f"{len(found)} tickets begin with {name!r}")
    return name, found[0]


def _values(ctx: Context, tkt_uuid: str | None) -> dict[str, str]:
    """The ticket's row, ``private_*`` revealed for readers with ``e``."""
    row = tickets_write.current(ctx.repo, tkt_uuid)
    if ctx.has("e"):
        for k, v in row.items():
            if k.startswith("private_"):
                row[k] = tickets_write.reveal(ctx.repo, v)
    return row


def _extra_fields(ctx: Context) -> list[str]:
    """Ticket-table columns the default pages do not lay out."""
    from fossilpy.repo.crosslink.tickets import USED_TICKET

    lay = tickets_write.layout(ctx.repo)
    return [n for n, bits in lay.used.items() if bits & USED_TICKET and n not in _KNOWN]


def ticket_named(ctx: Context, prefix: str) -> Response | None:
    """/info/HASH of a ticket: its view with the timeline (``tl``), or None."""
    found = tickets_write.resolve(ctx.repo, prefix)
    if len(found) != 1:
        return None
    return _view(ctx, prefix, found[0], timeline=True)


@pages.webpage("/tktview", caps="r")
def tktview(ctx: Context) -> Response:
    """/tktview/UUID  or  /tktview?name=UUID

    Show a ticket as Fossil's default view page: its fields, the user
    comments appended by each change, and its attachments.  ``plaintext``
    shows comments unformatted; ``tl`` adds the ticket's timeline."""
    name, tkt_uuid = _resolve(ctx)
    return _view(ctx, name, tkt_uuid, timeline=ctx.req.get("tl") is not None)


def _view(ctx: Context, name: str, tkt_uuid: str, *, timeline: bool) -> Response:
    repo = ctx.repo
    plain = ctx.req.get("plaintext") is not None
    values = _values(ctx, tkt_uuid)
    row = repo.row("SELECT datetime(tkt_mtime), tkt_id FROM ticket WHERE tkt_uuid=?", (tkt_uuid,))
    modified, tkt_id = row if row else ("", 0)
    comments: list[dict[str, Any]] = []
    lay = tickets_write.layout(repo)
    if "icomment" in lay.used and repo.table_exists("ticketchng"):
        cols = set(lay.used)
        sql = (
            "SELECT datetime(tkt_mtime), "
            + ("login" if "login" in cols else "NULL")
            + ", "
            + ("mimetype" if "mimetype" in cols else "NULL")
            + ", icomment, "
            + ("username" if "username" in cols else "NULL")
            + " FROM ticketchng WHERE tkt_id=? AND length(icomment)>0 ORDER BY rowid"
        )
        for when, who, mimetype, text, claimed in repo.all(sql, (tkt_id,)):
            mt, body = _render_comment(str(text), str(mimetype or ""), plain)
            comments.append(
                {
                    "when": when,
                    "login": who or "",
                    "claimed": claimed or "",
                    "mimetype": str(mimetype or ""),
                    "render_as": mt,
                    "text": body,
                    "plain": plain,
                }
            )
    description = values.get("comment", "")
    attachments = []
    if repo.table_exists("attachment"):
        attachments = repo.all(
            "SELECT datetime(mtime), filename, user, (SELECT uuid FROM blob WHERE rid=attachid), src"
            " FROM attachment WHERE isLatest AND src!='' AND target=? ORDER BY mtime DESC",
            (tkt_uuid,),
        )
    changes = _changes(ctx, tkt_uuid) if timeline else []
    return ctx.render(
        "tktview.html",
        title="View Ticket",
        name=name,
        tkt_uuid=tkt_uuid,
        tkt_id=tkt_id,
        v=values,
        modified=modified,
        comments=comments,
        description=description,
        plain=plain,
        attachments=attachments,
        extra=[(n, values.get(n, "")) for n in _extra_fields(ctx)],
        changes=changes,
        timeline=timeline,
    )


def _changes(ctx: Context, tkt_uuid: str, *, checkins: bool = False) -> list[tuple[Any, ...]]:
    """(date, uuid, user, comment, type) of what ``tkt_draw_timeline`` shows, newest first."""
    from fossilpy.repo.visibility import EVENT_VISIBLE
    from fossilpy.web import names

    tagid = ctx.repo.one("SELECT tagid FROM tag WHERE tagname=?", ("tkt-" + tkt_uuid,))
    query = (_TIMELINE_CI if checkins else _TIMELINE_ALL).replace("{visible}", EVENT_VISIBLE.replace("?", "?1"))
    return ctx.repo.all(query, (names.visibility(ctx).private, tagid, tkt_uuid))


# -- /tktnew and /tktedit ----------------------------------------------------


def _form_vars(ctx: Context, old: dict[str, str]) -> dict[str, str]:
    """The page's variables: request parameters over the ticket's values."""
    out = dict(old)
    for key in ctx.req.params:
        value = ctx.req.get(key)
        if value is not None:
            out[key] = value
    return out


def _check_params(ctx: Context) -> None:
    """Refuse a parameter that is neither a ticket field nor a form control."""
    names = set(tickets_write.layout(ctx.repo).used)
    for key in ctx.req.params:
        if key not in names and key not in _CONTROLS:
            raise FormError(f"no such ticket field: {key}")


def _captcha_needed(ctx: Context) -> bool:
    return not ctx.login.name and ctx.repo.config_bool("require-captcha", True)


def _captcha(ctx: Context) -> tuple[str, str]:
    from fossilpy.web import auth

    seed, answer = auth.captcha_new(auth.captcha_secret(ctx.repo_path, ctx.repo))
    return seed, auth.captcha_render(answer)


def _submit(ctx: Context, tkt_uuid: str | None, variables: dict[str, str], old: dict[str, str]) -> str:
    """Write the change the form describes; return the ticket's uuid."""
    from fossilpy.repo.docwrite import new_ticket_uuid, now_date
    from fossilpy.web import auth

    check_post(ctx)
    _check_params(ctx)
    lay = tickets_write.layout(ctx.repo)
    submitted = {n: variables[n] for n in lay.used if n in variables}
    uuid = tkt_uuid or new_ticket_uuid()
    with writable(ctx) as w, w.write():
        if _captcha_needed(ctx):
            secret = auth.captcha_secret(ctx.repo_path, w)
            if not auth.captcha_redeem(w, secret, ctx.req.get("captchaseed") or "", ctx.req.get("captcha") or ""):
                raise FormError("Error: Incorrect security code.")
        edits = tickets_write.from_form(w, old, submitted, {})
        if not edits:
            return uuid
        date = now_date()
        override = ctx.req.get("date_override")
        if override and ctx.has("s"):
            date = str(w.one("SELECT strftime('%Y-%m-%dT%H:%M:%f', ?)", (override,)) or date)
        m = tickets_write.manifest(w, uuid, edits, user=author(ctx), date=date)
        tickets_write.put(w, m, edits, moderate=tickets_write.needs_moderation(w, ctx.has("q")))
    return uuid


def _user_email(ctx: Context) -> str | None:
    """``find_emailaddr(info)`` of the logged-in user."""
    import re

    if not ctx.login.name:
        return None
    info = ctx.repo.one("SELECT info FROM user WHERE login=?", (ctx.login.name,))
    found = re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", str(info or ""))
    return found.group(0) if found else None


@pages.webpage("/tktnew", caps="n", methods=("GET", "HEAD", "POST"))
def tktnew(ctx: Context) -> Response:
    """/tktnew

    Enter a new ticket (Fossil's default new-ticket page): title, type,
    version found in, severity, contact email (not shown publicly) and a
    description in the chosen markup; Preview, then Submit."""
    if ctx.req.get("cancel") is not None:
        return redirect(ctx.req, "/home")
    lay = tickets_write.layout(ctx.repo)
    old = dict.fromkeys(lay.used, "")
    variables = _form_vars(ctx, old)
    variables.setdefault("mutype", "Markdown")
    email = _user_email(ctx)
    if email:
        variables["private_contact"] = email
    variables["login"] = author(ctx)
    error = ""
    if ctx.req.get("submit") is not None:
        variables["status"] = "Open"
        variables["mimetype"] = _MIMETYPE.get(variables["mutype"], "text/plain")
        try:
            uuid = _submit(ctx, None, variables, old)
            return redirect(ctx.req, "/tktview/" + uuid)
        except FormError as exc:
            error = str(exc)
    return _form(ctx, "tktnew.html", "New Ticket", variables, error, lay.used)


@pages.webpage("/tktedit", caps="w|c", methods=("GET", "HEAD", "POST"))
def tktedit(ctx: Context) -> Response:
    """/tktedit/UUID  or  /tktedit?name=UUID

    Edit a ticket (Fossil's default edit page): change its fields and
    append a remark.  With capability ``c`` but not ``w`` only the remark
    may be given."""
    name = (ctx.req.get("name") or "").strip()
    if ctx.req.get("cancel") is not None:
        return redirect(ctx.req, "/tktview/" + name)
    if not (4 <= len(name) <= 40 and is_hash_prefix(name.lower())):
        return _edit_error(ctx, f'Not a valid ticket id: "{name}"')
    found = tickets_write.resolve(ctx.repo, name.lower())
    if not found:
        return _edit_error(ctx, f'No such ticket: "{name}"')
    if len(found) > 1:
        return _edit_error(ctx, f'{len(found)} tickets begin with: "{name}"')
    tkt_uuid = found[0]
    lay = tickets_write.layout(ctx.repo)
    old = dict.fromkeys(lay.used, "")
    old.update({k: v for k, v in _values(ctx, tkt_uuid).items() if k in lay.used})
    variables = _form_vars(ctx, old)
    variables.setdefault("mutype", "Markdown")
    if ctx.req.get("icomment") is None:
        variables["icomment"] = ""
    variables["login"] = author(ctx)
    if ctx.req.get("username") is None:
        variables["username"] = author(ctx)
    error = ""
    if ctx.req.get("submit") is not None:
        variables["mimetype"] = _MIMETYPE.get(variables["mutype"], "text/plain")
        if not ctx.has("w"):
            changed = [
                n
                for n in lay.used
                if n not in ("icomment", "mimetype", "login", "username")
                and ctx.req.get(n) is not None
                and (ctx.req.get(n) or "").rstrip() != old.get(n, "")
            ]
            if changed:
                raise HTTPError(403, "changing ticket fields needs capability w; you may only add a comment")
        try:
            _submit(ctx, tkt_uuid, variables, old)
            return redirect(ctx.req, "/tktview/" + name)
        except FormError as exc:
            error = str(exc)
    return _form(ctx, "tktedit.html", "Edit Ticket", variables, error, lay.used, name=name, tkt_uuid=tkt_uuid)


def _edit_error(ctx: Context, message: str) -> Response:
    return ctx.render("tkterror.html", title="Edit Ticket", message=message)


def _form(
    ctx: Context,
    template: str,
    title: str,
    variables: dict[str, str],
    error: str,
    fields: dict[str, int],
    **more: Any,
) -> Response:
    seed, art = _captcha(ctx) if _captcha_needed(ctx) else ("", "")
    preview = ctx.req.get("preview") is not None or ctx.req.get("submit") is not None
    mutype = variables.get("mutype", "Markdown")
    render_as = {"Wiki": "text/x-fossil-wiki", "Markdown": "text/x-markdown", "HTML": "text/html"}.get(
        mutype, "text/plain"
    )
    return ctx.render(
        template,
        status=400 if error else 200,
        title=title,
        v=variables,
        error=error,
        choices=CHOICES,
        mutypes=MUTYPES,
        preview=preview,
        render_as=render_as,
        fields=fields,
        extra=_extra_fields(ctx),
        need_captcha=bool(seed),
        seed=seed,
        captcha=art,
        **more,
    )


# -- history and timeline ----------------------------------------------------


@pages.webpage("/tkthistory", caps="rh")
def tkthistory(ctx: Context) -> Response:
    """/tkthistory/UUID

    Every artifact of a ticket, oldest first: each change with its fields
    decoded (``?raw``: the artifact text, for administrators), and
    attachments added or deleted."""
    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content

    name = (ctx.req.get("name") or "").strip()
    raw = ctx.req.get("raw") is not None and ctx.has("a")
    tagid = ctx.repo.one(
        "SELECT tagid FROM tag WHERE tagname GLOB 'tkt-'||?||'*'",
        (name.lower() if is_hash_prefix(name.lower()) else "\x00",),
    )
    if not name or tagid is None:
        return ctx.render("tkterror.html", title=f"History Of Ticket {name}", message=f"No such ticket: {name}")
    lay = tickets_write.layout(ctx.repo)
    rows = ctx.repo.all(
        "SELECT datetime(mtime), objid, uuid, NULL, NULL, NULL FROM event, blob"
        " WHERE objid IN (SELECT rid FROM tagxref WHERE tagid=?1) AND blob.rid=event.objid"
        " UNION SELECT datetime(mtime), attachid, uuid, src, filename, user FROM attachment, blob"
        " WHERE target=(SELECT substr(tagname,5) FROM tag WHERE tagid=?1) AND blob.rid=attachid ORDER BY 1",
        (tagid,),
    )
    entries: list[dict[str, Any]] = []
    for n, (date, rid, uuid, src, filename, user) in enumerate(rows):
        entry: dict[str, Any] = {
            "date": date,
            "rid": rid,
            "uuid": uuid,
            "filename": filename,
            "src": src,
            "user": user,
            "fields": [],
            "text": None,
        }
        if filename is None:
            data = content.get(ctx.repo, int(rid))
            m = parse_or_none(data) if data else None
            if m is None or m.ticket_uuid is None:
                continue
            entry["user"] = m.user or ""
            if raw:
                entry["text"] = (data or b"").decode("utf-8", "surrogateescape")
            for f in m.fields:
                bits = lay.used.get(f.name)
                if bits is None:
                    label = f"Untracked field {f.name}:"
                elif bits == 2:
                    label = f"{f.name}:"
                elif n == 0:
                    label = f"{f.name} initialized to:"
                elif f.append and bits & 1:
                    label = f"Appended to {f.name}:"
                else:
                    label = f"{f.name} changed to:"
                long = len(f.value) > 50 or "\n" in f.value
                entry["fields"].append((label, f.value, long))
        entries.append(entry)
    return ctx.render("tkthistory.html", title=f"History Of Ticket {name}", name=name, entries=entries, raw=raw)


_TIMELINE_ALL = (
    "SELECT datetime(event.mtime), blob.uuid, coalesce(event.euser, event.user, ''),"
    " coalesce(event.ecomment, event.comment, ''), event.type FROM event JOIN blob ON blob.rid=event.objid"
    " WHERE " + "{visible}" + " AND event.objid IN (SELECT rid FROM tagxref WHERE tagid=?2"
    " UNION SELECT CASE srctype WHEN 2 THEN (SELECT rid FROM tagxref WHERE tagid=backlink.srcid"
    " ORDER BY mtime DESC LIMIT 1) ELSE srcid END FROM backlink"
    " WHERE target GLOB substr(?3,1,4)||'*' AND ?3 GLOB (target||'*')"
    " UNION SELECT attachid FROM attachment WHERE target=?3) ORDER BY event.mtime DESC"
)
_TIMELINE_CI = (
    "SELECT datetime(event.mtime), blob.uuid, coalesce(event.euser, event.user, ''),"
    " coalesce(event.ecomment, event.comment, ''), event.type FROM event JOIN blob ON blob.rid=event.objid"
    " WHERE " + "{visible}" + " AND ?2 IS NOT NULL AND event.objid IN (SELECT srcid FROM backlink"
    " WHERE target GLOB substr(?3,1,4)||'*' AND srctype=0 AND ?3 GLOB (target||'*')) ORDER BY event.mtime DESC"
)


@pages.webpage("/tkttimeline", caps="rh")
def tkttimeline(ctx: Context) -> Response:
    """/tkttimeline/UUID  ?y=ci

    The ticket's timeline (``tkt_draw_timeline``), newest first: its
    changes, the artifacts that link to it and its attachments; with
    ``y=ci`` only the check-ins whose comments name it."""
    name = (ctx.req.get("name") or "").strip()
    checkins = (ctx.req.get("y") or "a")[:1] == "c"
    title = ("Check-ins Associated With Ticket " if checkins else "Timeline Of Ticket ") + name
    found = tickets_write.resolve(ctx.repo, name.lower()) if is_hash_prefix(name.lower()) else []
    tagid = ctx.repo.one("SELECT tagid FROM tag WHERE tagname=?", ("tkt-" + found[0],)) if found else None
    if tagid is None:
        return ctx.render("tkterror.html", title=title, message=f"No such ticket: {name}")
    rows = _changes(ctx, found[0], checkins=checkins)
    return ctx.render("tkttimeline.html", title=title, name=name, changes=rows, checkins=checkins)
