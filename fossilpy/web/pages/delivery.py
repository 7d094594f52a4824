"""Administration of notifications: /setup_notification and /delivery.

* ``/setup_notification`` (setup): the ``email-*`` settings; an unknown
  send method, a malformed URL or address, a non-numeric renewal interval
  or a multi-line value is refused (400) and nothing is stored.  Saving
  also creates the alert tables, as Fossil's page does.
* ``/delivery`` (admin): the delivery journal (``fossilpy.backoffice.journal``):
  pending, retrying, failed and delivered entries, with *Retry now* and
  *Drop* buttons (POST ``jid`` and ``retry`` or ``drop``), and the
  backoffice peers (``fossilpy.backoffice.peers``) with their state.
  Setup users edit the ``backoffice-peers`` list here (POST ``peers``); a
  password is shown as ``****`` and kept when the list is saved unchanged.

Every change is a same-origin POST with the login's ``csrf`` token
(:func:`fossilpy.web.forms.check_post`).
"""

from __future__ import annotations

import time

from fossilpy.text import is_digits
from fossilpy.web.forms import check_post, writable
from fossilpy.web.pages.alerts import email_error
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

_METHODS = ("off", "relay", "pipe", "db", "dir", "stdout")


# -- /setup_notification -----------------------------------------------------------


SETUP_FIELDS = (
    ("email-url", "Canonical server URL", "Base of the links in emails, without a trailing '/'."),
    ("email-self", "\"From\" email address", "The sender address of every notification."),
    ("email-subname", "Subject prefix", "Put in the Subject of every notification, e.g. [project]."),
    ("email-listid", "List-ID header", "Value of the List-ID header (optional)."),
    ("email-admin", "Administrator email address", "Where abuse reports and contact requests go."),
    ("email-send-command", "Pipe email to this command", "For method 'pipe', e.g. sendmail -ti."),
    ("email-send-dir", "Store emails in this directory", "For method 'dir'."),
    ("email-send-db", "Store emails in this database", "For method 'db'."),
    ("email-send-relayhost", "SMTP relay host", "For method 'relay': host[:port], STARTTLS and AUTH when offered."),
    ("email-renew-interval", "Subscription renewal interval", "Days; 14 or more makes unrenewed subscriptions expire."),
    ("email-reply-address", "Reply-by-email address",
     "fossilpy: NAME@DOMAIN piped to 'fossilpy email-inbound'; forum and ticket alerts then carry"
     " NAME+TOKEN@DOMAIN as Reply-To, and a reply posts as the subscriber (empty: off)."),
    ("email-reply-days", "Reply addresses valid for", "fossilpy: days a reply address in an alert stays valid."),
)


@pages.webpage("/setup_notification", caps="s", methods=("GET", "HEAD", "POST"))
def setup_notification(ctx: Context) -> Response:
    """/setup_notification

    The settings of email notification (setup users only)."""
    from fossilpy.backoffice import alerts

    req = ctx.req
    error = ""
    status = 200
    saved = False
    if req.method == "POST" and req.get("submit") is not None:
        check_post(ctx)
        values = {name: (req.get(name) or "").strip() for name, _l, _h in SETUP_FIELDS}
        values["email-send-method"] = (req.get("email-send-method") or "off").strip()
        error = _setup_error(values)
        if error:
            status = 400
        else:
            with writable(ctx) as w, w.write():
                for name, value in values.items():
                    if value:
                        w.config_set(name, value)
                    else:
                        w.config_unset(name)
                alerts.ensure_schema(w)
            saved = True
    view = ctx.repo  # a read-only connection sees what was just committed
    fields = [{"name": n, "label": lbl, "help": h,
               "value": req.get(n) if status == 400 else (view.setting(n) or "")}
              for n, lbl, h in SETUP_FIELDS]
    method = req.get("email-send-method") if status == 400 else view.setting("email-send-method")
    problems = alerts.problems(view) if alerts.tables_exist(view) else ["the alert tables do not exist yet"]
    return ctx.render("setup_notification.html", status=status, title="Email Notification Setup",
                      fields=fields, method=method, methods=_METHODS, error=error, saved=saved,
                      problems=problems)


def _setup_error(values: dict[str, str]) -> str:
    method = values["email-send-method"]
    if method not in _METHODS:
        return f'unknown email-send-method "{method[:40]}" (use one of {", ".join(_METHODS)})'
    url = values["email-url"]
    if url and (not url.startswith(("http://", "https://")) or url.endswith("/") or any(c.isspace() for c in url)):
        return "email-url must be an http:// or https:// URL without a trailing '/'"
    for name in ("email-self", "email-admin", "email-reply-address"):
        if values[name] and email_error(values[name]):
            return f"{name}: {email_error(values[name])}"
    interval = values["email-renew-interval"]
    if interval and not is_digits(interval):
        return "email-renew-interval must be a number of days"
    days = values["email-reply-days"]
    if days and (not is_digits(days) or int(days) == 0):
        return "email-reply-days must be a number of days"
    if method == "relay" and values["email-send-relayhost"]:
        from fossilpy.backoffice import mail

        try:
            mail.parse_relayhost(values["email-send-relayhost"])
        except ValueError as exc:
            return str(exc)
    for name, value in values.items():
        if "\n" in value or "\r" in value or "\x00" in value:
            return f"{name} must be a single line"
    return ""


# -- /delivery -----------------------------------------------------------------------


@pages.webpage("/delivery", caps="a", methods=("GET", "HEAD", "POST"))
def delivery(ctx: Context) -> Response:
    """/delivery

    The delivery journal: messages and peer syncs that are pending,
    retrying, failed or delivered, with retry and drop buttons; and the
    backoffice peers."""
    from fossilpy.backoffice import journal, peers

    req = ctx.req
    note = ""
    status = 200
    if req.method == "POST":
        check_post(ctx)
        if req.get("peers") is not None:
            if not ctx.has("s"):
                raise HTTPError(403, "only setup users may change the peers")
            text = (req.get("peers") or "").replace("\r\n", "\n")
            _found, bad = peers.parse(text)
            if bad:
                note = "; ".join(f"line {b.line} ({b.text}): {b.error}" for b in bad)
                status = 400
            else:
                with writable(ctx) as w, w.write():
                    text = _restore_passwords(text, w.setting(peers.SETTING) or "")
                    w.config_set(peers.SETTING, text.strip() + "\n" if text.strip() else "")
                note = "Peers saved."
        else:
            raw = req.get("jid") or ""
            if not is_digits(raw):
                raise HTTPError(400, "malformed journal entry id")
            jid = int(raw)
            with writable(ctx) as w:
                if req.get("retry") is not None:
                    ok = journal.retry(w, jid) == 1
                    note = f"Entry {jid} will be tried again by the next backoffice run."
                elif req.get("drop") is not None:
                    ok = journal.drop(w, jid)
                    note = f"Entry {jid} was dropped."
                else:
                    raise HTTPError(400, "choose retry or drop")
            if not ok:
                raise HTTPError(404, f"no journal entry {jid}")
    from fossilpy.repo.db import Repo

    now = int(time.time())
    with Repo.open(ctx.repo_path, readonly=True) as view:
        entries = []
        for e in journal.entries(view):
            state = "failed" if e.state == "failed" else ("retrying" if e.attempts else "pending")
            due = "now" if e.next_try <= now else _ago(e.next_try - now, "in ")
            entries.append({"e": e, "state": state, "due": due, "ctime": _stamp(e.ctime)})
        done = []
        if view.table_exists("fx_journal_log"):
            done = [{"jid": j, "kind": k, "dest": d, "when": _stamp(t), "attempts": a}
                    for j, k, d, t, a in view.all("SELECT jid, kind, dest, dtime, attempts FROM fx_journal_log"
                                                  " ORDER BY dtime DESC, jid DESC LIMIT 100")]
        counts = journal.status(view)
        peer_rows, bad = peers.status(view, now=now)
        peer_text = view.setting(peers.SETTING) or ""
    peer_view = [{"dest": p.peer.dest, "direction": p.peer.direction, "interval": p.peer.interval,
                  "last": _stamp(p.last_success) if p.last_success else "never",
                  "due": "now" if p.next_due <= now else _ago(p.next_due - now, "in "),
                  "error": p.last_error, "attempts": p.attempts} for p in peer_rows]
    return ctx.render("delivery.html", status=status, title="Delivery Journal", entries=entries, done=done,
                      counts=counts, peers=peer_view, bad=bad, note=note, setup=ctx.has("s"),
                      peer_text=req.get("peers") if status == 400 else _hide_passwords(peer_text))


def _hide_passwords(text: str) -> str:
    from fossilpy.backoffice.peers import _hide_password

    return "\n".join(" ".join([_hide_password(ln.split()[0])] + ln.split()[1:]) if ln.split() else ln
                     for ln in text.splitlines())


def _restore_passwords(new: str, old: str) -> str:
    """Put back the passwords that the page showed as ``****`` (same peer, same user)."""
    from fossilpy.backoffice.peers import _hide_password

    known = {}
    for ln in old.splitlines():
        if ln.split():
            known[_hide_password(ln.split()[0])] = ln.split()[0]
    out = []
    for ln in new.splitlines():
        words = ln.split()
        if words and ":****@" in words[0] and words[0] in known:
            words[0] = known[words[0]]
            ln = " ".join(words)
        out.append(ln)
    return "\n".join(out)


def _stamp(t: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if t else ""


def _ago(seconds: int, prefix: str = "") -> str:
    if seconds < 120:
        return f"{prefix}{seconds}s"
    if seconds < 7200:
        return f"{prefix}{seconds // 60}m"
    return f"{prefix}{seconds // 3600}h"
