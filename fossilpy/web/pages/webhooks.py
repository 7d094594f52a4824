"""/setup_webhooks: the signed webhooks (``fossilpy.backoffice.webhooks``).

Setup users only.  The page lists the hooks with their waiting and failed
deliveries, adds one (``url``, ``secret``, a checkbox ``ev_LETTER`` per
event: ci, w, t, f, e, g), removes one (``remove`` with ``hid``) and queues
a ``ping`` (``test`` with ``hid``).  ``?hid=N`` shows one hook's deliveries:
what waits in the journal and every attempt (the request as sent, the
status or the error, the time, the duration and the start of the reply),
each with a *Redeliver* button (``redeliver`` with ``hid`` and
``delivery``).  Nothing is sent while the page is answered: the backoffice
delivers after the reply.  Every change is a same-origin POST with the
login's ``csrf`` token.
"""

from __future__ import annotations

import time
from typing import Any

from fossilpy.text import is_digits
from fossilpy.web.forms import check_post, writable
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

EVENT_LABELS = (
    ("ci", "Check-ins"),
    ("w", "Wiki edits"),
    ("t", "Ticket changes"),
    ("f", "Forum posts"),
    ("e", "Technotes"),
    ("g", "Tag changes"),
)


def _stamp(t: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if t else ""


def _hid(ctx: Context) -> int:
    raw = ctx.req.get("hid") or ""
    if not is_digits(raw) or len(raw) > 9:
        raise HTTPError(400, "malformed webhook id")
    return int(raw)


@pages.webpage("/setup_webhooks", caps="s", methods=("GET", "HEAD", "POST"))
def setup_webhooks(ctx: Context) -> Response:
    """/setup_webhooks?hid=N

    Signed webhooks: add, remove and test hooks; with hid=N, the hook's
    deliveries and every attempt, with a Redeliver button."""
    from fossilpy.backoffice import webhooks

    req = ctx.req
    error = ""
    note = ""
    status = 200
    form: dict[str, Any] = {"url": "", "events": [e for e, _ in EVENT_LABELS]}
    if req.method == "POST":
        check_post(ctx)
        if req.get("add") is not None:
            url = (req.get("url") or "").strip()
            secret = (req.get("secret") or "").strip()
            events = tuple(e for e, _ in EVENT_LABELS if req.get(f"ev_{e}"))
            form = {"url": url, "events": list(events)}
            try:
                if not events:
                    raise ValueError("choose at least one event")
                if not secret or any(c in secret for c in "\r\n\x00"):
                    raise ValueError("a secret (one line) is required")
                webhooks.check_url(url)
            except ValueError as exc:
                error, status = str(exc), 400
            else:
                with writable(ctx) as w:
                    hid = webhooks.add(w, url, secret, events)
                note = f"Webhook {hid} added."
                form = {"url": "", "events": [e for e, _ in EVENT_LABELS]}
        elif req.get("remove") is not None:
            hid = _hid(ctx)
            with writable(ctx) as w:
                if not webhooks.remove(w, hid):
                    raise HTTPError(404, f"no webhook {hid}")
            note = f"Webhook {hid} removed."
        elif req.get("test") is not None:
            hid = _hid(ctx)
            with writable(ctx) as w:
                if webhooks.hook(w, hid) is None:
                    raise HTTPError(404, f"no webhook {hid}")
                did = webhooks.test_event(w, hid)
            return redirect(req, f"/setup_webhooks?hid={hid}&queued={did}")
        elif req.get("redeliver") is not None:
            hid = _hid(ctx)
            delivery = (req.get("delivery") or "").strip()
            with writable(ctx) as w:
                if not webhooks.redeliver(w, hid, delivery):
                    raise HTTPError(404, f"no delivery {delivery[:40]} for webhook {hid}")
            return redirect(req, f"/setup_webhooks?hid={hid}&queued={delivery}")
        else:
            raise HTTPError(400, "choose add, remove, test or redeliver")
    from fossilpy.repo.db import Repo

    with Repo.open(ctx.repo_path, readonly=True) as view:
        if req.get("hid") and req.method != "POST":
            return _one_hook(ctx, view, _hid(ctx))
        rows = []
        for h in webhooks.hooks(view):
            waiting = webhooks.queued(view, h.hid)
            last = webhooks.attempts(view, h.hid, limit=1)
            rows.append(
                {
                    "hook": h,
                    "events": ", ".join(label for e, label in EVENT_LABELS if e in h.events),
                    "queued": sum(1 for e in waiting if e.state == "pending"),
                    "failed": sum(1 for e in waiting if e.state == "failed"),
                    "last": last[0] if last else None,
                    "last_time": _stamp(last[0]["time"]) if last else "",
                }
            )
    return ctx.render(
        "webhooks.html",
        status=status,
        title="Webhooks",
        hooks=rows,
        labels=EVENT_LABELS,
        form=form,
        error=error,
        note=note,
    )


def _one_hook(ctx: Context, view: Any, hid: int) -> Response:
    from fossilpy.backoffice import webhooks

    h = webhooks.hook(view, hid)
    if h is None:
        raise HTTPError(404, f"no webhook {hid}")
    now = int(time.time())
    waiting = [
        {
            "e": e,
            "due": "failed" if e.state == "failed" else ("now" if e.next_try <= now else _stamp(e.next_try)),
            "queued": _stamp(e.ctime),
        }
        for e in webhooks.queued(view, hid)
    ]
    tried = [dict(a, when=_stamp(a["time"])) for a in webhooks.attempts(view, hid)]
    return ctx.render(
        "webhook_deliveries.html",
        title=f"Webhook {hid} Deliveries",
        hook=h,
        events=", ".join(label for e, label in EVENT_LABELS if e in h.events),
        waiting=waiting,
        attempts=tried,
        queued=ctx.req.get("queued") or "",
    )
