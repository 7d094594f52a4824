"""The subscription administrator's pages: /subscribers and /announce.

Fossil 2.21 ``src/alerts.c`` (``subscriber_list_page``,
``announce_page``).  Both need the alert tables (else the "not enabled"
page), changes are same-origin POSTs with the login's CSRF token, and mail
goes through the delivery journal like every alert (:mod:`fossilpy.web.pages.alerts`).
"""

from __future__ import annotations

import time

from fossilpy.web.forms import check_post, writable
from fossilpy.web.pages.alerts import email_error, enabled_or_page, message_page, queue_mail
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


@pages.webpage("/subscribers", caps="a", methods=("GET", "HEAD", "POST"))
def subscribers(ctx: Context) -> Response:
    """/subscribers

    Every subscription, for administrators; unverified ones older than a
    day may be purged."""
    page = enabled_or_page(ctx)
    if page is not None:
        return page
    purged = None
    if ctx.req.method == "POST":
        check_post(ctx)
        if ctx.req.get("purge") is not None:
            with writable(ctx) as w, w.write():
                purged = w.execute(
                    "DELETE FROM subscriber WHERE NOT sverified AND mtime<?", (int(time.time()) - 86400,)
                ).rowcount
    rows = ctx.repo.all(
        "SELECT subscriberId, semail, suname, sverified, sdigest, ssub, sdonotcall,"
        " datetime(sctime,'unixepoch'), date(coalesce(lastContact*86400,mtime),'unixepoch')"
        " FROM subscriber ORDER BY semail"
    )
    return ctx.render("alerts_subscribers.html", title="Subscribers", rows=rows, purged=purged)


@pages.webpage("/announce", caps="A", methods=("GET", "HEAD", "POST"))
def announce(ctx: Context) -> Response:
    """/announce

    Send an announcement to the subscribers who asked for announcements
    (administrators may also mail any address, or every subscriber)."""
    page = enabled_or_page(ctx)
    if page is not None:
        return page
    req = ctx.req
    admin = ctx.has("a")
    error = ""
    if req.method == "POST" and req.get("submit") is not None:
        check_post(ctx)
        to = (req.get("to") or "").strip() if admin else ""
        subject = " ".join((req.get("subject") or "").split())
        msg = (req.get("msg") or "").replace("\r\n", "\n")
        every = admin and req.flag("all")
        if to:
            error = email_error(to) or ""
        if not error and not subject:
            error = "the announcement needs a subject"
        if not error and not (to or every or req.flag("aa")):
            error = "choose who receives the announcement"
        if not error:
            n = _announce(ctx, to, subject, msg, every)
            return message_page(
                ctx,
                "Announcement Sent",
                f"The announcement was queued for {n} recipient{'' if n == 1 else 's'}.",
                link=ctx.url("/delivery") if admin else None,
            )
        return ctx.render(
            "alerts_announce.html", status=400, title="Send Announcement", error=error, admin=admin, form=req.params
        )
    return ctx.render("alerts_announce.html", title="Send Announcement", error="", admin=admin, form={})


def _announce(ctx: Context, to: str, subject: str, msg: str, every: bool) -> int:
    sub = ctx.repo.setting("email-subname") or "[Fossil Repo]"
    url = ctx.repo.setting("email-url")
    n = 0
    with writable(ctx) as w, w.write():
        if to:
            n += queue_mail(w, to, f"{sub} {subject}", msg)
        if every or ctx.req.flag("aa"):
            sql = "SELECT semail, hex(subscriberCode) FROM subscriber WHERE sverified AND NOT sdonotcall"
            if not every:
                sql += " AND ssub LIKE '%a%'"
            for email, code in w.all(sql):
                body = msg + (f"\n-- \nSubscription info: {url}/alerts/{code}\n" if url else "")
                n += queue_mail(w, email, f"{sub} {subject}", body)
    return n
