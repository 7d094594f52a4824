"""Email alert pages: subscribe, manage, unsubscribe, renew, subscribers, announce.

Behaviour follows Fossil 2.21 (``src/alerts.c``, ``www/alerts.md``) on the same
``subscriber`` table.  Form fields:

* ``/subscribe``  ``e`` address, ``sa sc sf st sw sx`` event kinds (see
  ``fossilpy.backoffice.alerts``), ``di`` digest, ``suname`` (admin
  only), ``captcha``/``captchaseed`` for visitors who are not logged in,
  ``csrf``, ``submit``.  A visitor (cap ``7``) gets an unverified row and
  a verification email; a logged-in user subscribing for self is verified
  at once and sent to /alerts.  A visitor giving an address that is
  already subscribed sees the same page, and the owner gets a mail (the
  verification again, or the link to manage the subscription).
* ``/alerts/CODE`` (or ``?name=CODE``): CODE is the 64-hex subscriber code
  (its first use verifies the address) or a 32..63-hex prefix (identifies
  without verifying).  A logged-in user may omit it; an admin may give
  ``sid=N``.  Fields ``sdigest sdonotcall``, the kinds, ``semail``
  (logged-in users), ``suname sverified`` (admin), ``delete``+``dodelete``.
* ``/unsubscribe/CODE``: a confirmation button (``confirmXXXX`` with the
  subscriber id in 4 hex digits); RFC 8058 one-click POSTs
  (``List-Unsubscribe=One-Click``) unsubscribe at once.  Without a code,
  ``e`` + captcha mails the unsubscribe link; the page never tells
  whether the address is subscribed.

A visitor's captcha is drawn as ASCII art, expires after ten minutes and
is good for one try; the mail these pages send is limited per address
and per client (see :mod:`fossilpy.web.auth`), 429 beyond the limit.
* ``/renew/CODE`` moves ``lastContact`` to today.
* ``/subscribers`` (admin): the list; POST ``purge`` removes unverified
  rows older than a day.  ``/announce`` (cap ``A``): ``to`` (admin),
  ``aa`` (announcement subscribers), ``all`` (admin), ``subject``, ``msg``.

``/setup_notification`` and ``/delivery`` are in :mod:`fossilpy.web.pages.delivery`.

Every change is a POST carrying the ``csrf`` token of the login and coming
from the same origin; outgoing mail is written to the delivery journal,
which the backoffice started after the reply delivers.  Bad input (an
address that is not one, a code that is not hex, an unknown user name, an
unknown send method) is refused with status 400 and changes nothing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fossilpy.web.forms import check_post, writable
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

pages = PageSet()

#: (letter, form field, label, capability needed to choose it)
KINDS = (
    ("a", "sa", "Announcements", ""),
    ("c", "sc", "Check-ins", "o"),
    ("f", "sf", "Forum Posts", "2"),
    ("t", "st", "Ticket changes", "r"),
    ("w", "sw", "Wiki", "j"),
    ("x", "sx", "Edits to forum posts", "2"),
)

_HEX = frozenset("0123456789abcdefABCDEF")
_EMAIL_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")

CONFIRM_MSG = """Someone has signed you up for email alerts on the Fossil repository
at {url}.

To confirm your subscription and begin receiving alerts, click on
the following hyperlink:

   {url}/alerts/{code}

Save the hyperlink above!  You can reuse this same hyperlink to
unsubscribe or to change the kinds of alerts you receive.

If you do not want to subscribe, you can simply ignore this message.
You will not be contacted again.
"""

ALREADY_MSG = """Someone asked to sign this address up for email alerts on the Fossil
repository at {url}.

This address is already subscribed.  To change the kinds of alerts you
receive, or to unsubscribe, click on the following hyperlink:

   {url}/alerts/{code}

If you did not ask for this, you can simply ignore this message.
"""

LIMITED = ("Too many email messages have been requested for this address or from your network"
           " in the last hour. No email was sent; please try again later.")

UNSUB_MSG = """To stop receiving email notifications from the Fossil repository
at {url}, click on the following hyperlink:

   {url}/unsubscribe/{code}

To change your subscription settings at {url}, visit this link:

   {url}/alerts/{code}
"""


# -- helpers -------------------------------------------------------------------


def email_error(addr: str | None) -> str | None:
    """Why ``addr`` is not an acceptable address (Fossil's rules), or None."""
    if not addr:
        return "an email address is required"
    if len(addr) > 254:
        return "email address too long"
    for c in addr:
        if c != "@" and c not in _EMAIL_OK:
            return f"illegal character in email address: 0x{ord(c):x} '{c}'" if c.isprintable() \
                else f"illegal character in email address: 0x{ord(c):x}"
    if addr.count("@") != 1:
        return "email address should contain exactly one '@'"
    at = addr.index("@")
    if at < 1:
        return "name missing before '@' in email address"
    if at > len(addr) - 5:
        return "email domain too short"
    return None


def subscriber_code(text: str | None, *, prefix_ok: bool = True) -> str:
    """``text`` upper-cased if it is a subscriber code (or a 32+ digit prefix); else 400."""
    text = (text or "").strip()
    lo = 32 if prefix_ok else 64
    if not (lo <= len(text) <= 64) or not set(text) <= _HEX:
        raise HTTPError(400, "malformed subscriber code: expected "
                        + ("32 to 64" if prefix_ok else "64") + " hexadecimal digits")
    return text.upper()


def message_page(ctx: Context, title: str, text: str, *, status: int = 200, link: str | None = None) -> Response:
    """A short page saying ``text`` (the alert pages' confirmations and refusals)."""
    return ctx.render("alerts_message.html", status=status, title=title, text=text, link=link)


def enabled_or_page(ctx: Context) -> Response | None:
    """None if the alert tables exist; else the 'not enabled' page (Fossil's check)."""
    from fossilpy.backoffice import alerts

    if alerts.tables_exist(ctx.repo):
        return None
    text = "Email alerts are not enabled on this repository."
    if ctx.has("s"):
        return message_page(ctx, "Email Alerts", text + " Configure them on the notification setup page.",
                        link=ctx.url("/setup_notification"))
    return message_page(ctx, "Email Alerts", text, status=404)


def _chosen(ctx: Context) -> str:
    """The ssub letters ticked in the form that the visitor may read."""
    return "".join(letter for letter, field, _l, cap in KINDS
                   if ctx.req.flag(field) and (not cap or ctx.has(cap)))


def _kinds(ctx: Context, ssub: str) -> list[dict[str, Any]]:
    return [{"letter": letter, "field": field, "label": label, "on": letter in ssub}
            for letter, field, label, cap in KINDS if not cap or ctx.has(cap)]


def queue_mail(w: Repo, to: str, subject: str, body: str, *, key: str | None = None) -> bool:
    """Compose one message to ``to`` into the delivery journal (inside ``w``'s transaction)."""
    from fossilpy.backoffice import journal, mail

    settings = mail.MailSettings.from_repo(w)
    mid = mail.new_message_id(settings.email_self or "fossil@localhost")
    msg = mail.compose(settings, f"To: <{to}>\r\nSubject: {subject}\r\n", body, message_id=mid)
    return journal.add(w, "email", to, key or mid, msg)


def _base(ctx: Context) -> str:
    return ctx.repo.setting("email-url") or ctx.req.base_url


def _captcha(ctx: Context) -> tuple[str, str]:
    """(seed, ASCII art) of a new captcha."""
    from fossilpy.web import auth

    seed, answer = auth.captcha_new(auth.captcha_secret(ctx.repo_path, ctx.repo))
    return seed, auth.captcha_render(answer)


def _guarded_mail(ctx: Context, addr: str, send: Any) -> str:
    """Redeem the visitor's captcha, count one mail to ``addr``, then ``send(w)``.

    Returns "captcha" (wrong, expired or used code), "limited" (over the
    mail limits; nothing sent) or "sent".  One transaction: the used
    captcha is recorded whatever the outcome.
    """
    from fossilpy.web import auth

    req = ctx.req
    secret = auth.captcha_secret(ctx.repo_path, ctx.repo)
    with writable(ctx) as w, w.write():
        if not auth.captcha_redeem(w, secret, req.get("captchaseed") or "", req.get("captcha") or ""):
            return "captcha"
        if not auth.mail_allowed(w, addr, req.remote_addr):
            return "limited"
        send(w)
    return "sent"


# -- /subscribe ----------------------------------------------------------------


def _posted_address(ctx: Context) -> tuple[str, str] | None:
    """``(address, error)`` of a submitted /subscribe or /unsubscribe form (CSRF-checked), else None."""
    req = ctx.req
    if req.method != "POST" or req.get("submit") is None:
        return None
    check_post(ctx)
    addr = (req.get("e") or "").strip()
    return addr, email_error(addr) or ""


@pages.webpage("/subscribe", caps="7", methods=("GET", "HEAD", "POST"))
def subscribe(ctx: Context) -> Response:
    """/subscribe

    Sign up for email alerts.  Visitors who are not logged in confirm
    their address through a verification email; a logged-in user is
    subscribed at once; administrators may subscribe others."""
    page = enabled_or_page(ctx)
    if page is not None:
        return page
    req, login = ctx.req, ctx.login
    individual = login.is_individual
    admin = ctx.has("a")
    if individual and not admin and ctx.repo.one("SELECT 1 FROM subscriber WHERE suname=?", (login.name,)):
        return redirect(req, "/alerts")
    need_captcha = not individual
    error = ""
    status = 200
    if (posted := _posted_address(ctx)) is not None:
        addr, error = posted
        suname = (req.get("suname") or "").strip() if admin else ""
        if not error and suname and not ctx.repo.one("SELECT 1 FROM user WHERE login=?", (suname,)):
            error = f"no such user: {suname}"
        if not error and need_captcha:
            outcome = _guarded_mail(ctx, addr, lambda w: _visitor_subscribe(ctx, w, addr))
            if outcome != "captcha":
                return _sent_page(ctx, "Email Alert Verification",
                                  f'An email has been sent to "{addr}". That email contains a hyperlink that'
                                  " you must click to activate your subscription.", outcome)
            error = "incorrect security code"
        if not error and ctx.repo.one("SELECT 1 FROM subscriber WHERE semail=?", (addr,)):
            error = "this email address is used by someone else"
        if not error:
            return _subscribe(ctx, addr, suname or (login.name if individual and not admin else None))
        status = 400
    seed, art = _captcha(ctx) if need_captcha else ("", "")
    pre = "".join(k[0] for k in KINDS if k[0] != "x")
    ssub = _chosen(ctx) if req.method == "POST" else pre
    return ctx.render("subscribe.html", status=status, title="Signup For Email Alerts", error=error,
                      addr=req.get("e") or "", kinds=_kinds(ctx, ssub), digest=req.flag("di"),
                      admin=admin, suname=req.get("suname") or "", need_captcha=need_captcha,
                      seed=seed, captcha=art, mine=individual and admin and ctx.repo.one(
                          "SELECT 1 FROM subscriber WHERE suname=?", (login.name,)))


def _sent_page(ctx: Context, title: str, text: str, outcome: str) -> Response:
    if outcome == "limited":
        return message_page(ctx, title, LIMITED, status=429)
    return message_page(ctx, title, text)


def _insert_subscriber(ctx: Context, w: Repo, addr: str, suname: str | None, verified: int) -> str:
    now = int(time.time())
    return str(w.one(
        "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,smip,lastContact)"
        " VALUES(?,?,?,0,?,?,?,?,?,?) RETURNING hex(subscriberCode)",
        (addr, suname, verified, 1 if ctx.req.flag("di") else 0, _chosen(ctx),
         now, now, ctx.req.remote_addr, now // 86400),
    ))


def _visitor_subscribe(ctx: Context, w: Repo, addr: str) -> None:
    """Mail ``addr``: the verification of a new (or unverified) subscription, else the manage link."""
    row = w.row("SELECT hex(subscriberCode), sverified FROM subscriber WHERE semail=?", (addr,))
    if row is None:
        code = _insert_subscriber(ctx, w, addr, None, 0)
        queue_mail(w, addr, "Subscription verification",
                   CONFIRM_MSG.format(url=_base(ctx), code=code), key=f"verify-{code}")
    elif not row[1]:
        queue_mail(w, addr, "Subscription verification", CONFIRM_MSG.format(url=_base(ctx), code=row[0]))
    else:
        queue_mail(w, addr, "Email alert subscription", ALREADY_MSG.format(url=_base(ctx), code=row[0]))


def _subscribe(ctx: Context, addr: str, suname: str | None) -> Response:
    """Subscribe ``addr`` for a logged-in user (verified at once)."""
    import sqlite3

    try:
        with writable(ctx) as w, w.write():
            code = _insert_subscriber(ctx, w, addr, suname, 1)
    except sqlite3.IntegrityError:  # the same address, subscribed a moment ago
        raise HTTPError(400, "this email address is used by someone else") from None
    return redirect(ctx.req, f"/alerts/{code[:32]}" if ctx.has("a") else "/alerts")


# -- /alerts -------------------------------------------------------------------


def _find(ctx: Context, w: Repo | None = None) -> tuple[int, str, bool]:
    """(subscriberId, code given, keep-alive) for this request; 0 if none."""
    repo = w or ctx.repo
    req = ctx.req
    name = req.get("name") or ""
    if ctx.has("a") and req.get("sid"):
        sid = req.int("sid", 0)
        if sid > 0 and repo.one("SELECT 1 FROM subscriber WHERE subscriberId=?", (sid,)):
            return sid, "", False
        raise HTTPError(404, "no such subscriber")
    if name:
        code = subscriber_code(name)
        sid = repo.one("SELECT subscriberId FROM subscriber WHERE substr(hex(subscriberCode),1,?)=?",
                       (len(code), code))
        if not sid:
            raise HTTPError(404, "no subscription has this code; it may have been cancelled")
        return sid, code, True
    if ctx.login.is_individual and ctx.has("7"):
        sid = repo.one("SELECT subscriberId FROM subscriber WHERE suname=?", (ctx.login.name,))
        if sid:
            return sid, "", False
    return 0, "", False


@pages.webpage("/alerts", caps="", methods=("GET", "HEAD", "POST"))
def alerts_page(ctx: Context) -> Response:
    """/alerts/CODE  or  /alerts?name=CODE

    Change or cancel an email subscription.  The full 64-digit code from
    the verification email confirms the address."""
    page = enabled_or_page(ctx)
    if page is not None:
        return page
    req = ctx.req
    sid, code, keep_alive = _find(ctx)
    if not sid:
        return redirect(req, "/subscribe")
    error = ""
    status = 200
    admin = ctx.has("a")
    now = int(time.time())
    if req.method == "POST":
        check_post(ctx)
        if req.get("delete") is not None:
            if req.flag("dodelete"):
                return _unsubscribe(ctx, sid)
            error = 'Select this checkbox and press "Unsubscribe" again to unsubscribe'
            status = 400
        elif req.get("submit") is not None:
            sets = ["sdonotcall=?", "sdigest=?", "ssub=?", "mtime=?", "lastContact=?", "smip=?"]
            args: list[Any] = [1 if req.flag("sdonotcall") else 0, 1 if req.flag("sdigest") else 0,
                               _chosen(ctx), now, now // 86400, req.remote_addr]
            if admin:
                suname = (req.get("suname") or "").strip()
                if suname and not ctx.repo.one("SELECT 1 FROM user WHERE login=?", (suname,)):
                    error = f"no such user: {suname}"
                sets += ["suname=?", "sverified=?"]
                args += [suname or None, 1 if req.flag("sverified") else 0]
            if ctx.login.is_individual:
                new_email = (req.get("semail") or "").strip()
                error = error or email_error(new_email) or ""
                if not error and ctx.repo.one(
                        "SELECT 1 FROM subscriber WHERE semail=? AND subscriberId<>?", (new_email, sid)):
                    error = "this email address is used by someone else"
                sets.append("semail=?")
                args.append(new_email)
            if error:
                status = 400
            else:
                import sqlite3

                try:
                    with writable(ctx) as w, w.write():
                        w.execute(f"UPDATE subscriber SET {', '.join(sets)} WHERE subscriberId=?", (*args, sid))
                except sqlite3.IntegrityError:
                    raise HTTPError(400, "this email address is used by someone else") from None
    verified_now = False
    if req.method != "POST" and (keep_alive or len(code) == 64):
        with writable(ctx) as w, w.write():
            if keep_alive:
                w.execute("UPDATE subscriber SET lastContact=? WHERE subscriberId=?", (now // 86400, sid))
            if len(code) == 64 and not admin and w.one(
                    "SELECT NOT sverified FROM subscriber WHERE subscriberId=?", (sid,)):
                w.execute("UPDATE subscriber SET sverified=1 WHERE subscriberId=?", (sid,))
                verified_now = True
                if w.config_bool("selfreg-verify"):
                    w.execute("UPDATE user SET cap=? WHERE cap='7' AND login=(SELECT suname FROM subscriber"
                              " WHERE subscriberId=?)", (w.setting("default-perms"), sid))
    row = ctx.repo.row(
        "SELECT semail, sverified, sdonotcall, sdigest, ssub, smip, suname, datetime(mtime,'unixepoch'),"
        " datetime(sctime,'unixepoch'), hex(subscriberCode),"
        " date(coalesce(lastContact*86400,mtime),'unixepoch') FROM subscriber WHERE subscriberId=?", (sid,))
    if row is None:
        return redirect(req, "/subscribe")
    semail, sverified, sdonotcall, sdigest, ssub, smip, suname, mtime, sctime, full, last = row
    if status == 400:  # show what was submitted, not what is stored
        semail = req.get("semail", semail) if ctx.login.is_individual else semail
        ssub, sdigest, sdonotcall = _chosen(ctx), req.flag("sdigest"), req.flag("sdonotcall")
    return ctx.render(
        "alerts.html", status=status, title="Update Subscription", error=error, sid=sid,
        code=code, semail=semail, verified=bool(sverified) or verified_now, verified_now=verified_now,
        sdonotcall=bool(sdonotcall), sdigest=bool(sdigest), kinds=_kinds(ctx, ssub or ""),
        smip=smip, suname=suname or "", mtime=mtime, sctime=sctime, last=last, admin=admin,
        edit_email=ctx.login.is_individual, short=full[:32],
    )


def _unsubscribe(ctx: Context, sid: int) -> Response:
    with writable(ctx) as w, w.write():
        row = w.row("SELECT semail, suname FROM subscriber WHERE subscriberId=?", (sid,))
        if row is None:
            return message_page(ctx, "Unsubscribe Fail", "Unable to locate a subscriber with the requested key",
                            status=404)
        w.execute("DELETE FROM subscriber WHERE subscriberId=?", (sid,))
    email = row[0]
    return message_page(ctx, "Unsubscribed",
                    f'The "{email}" email address has been unsubscribed from all notifications. '
                    f'All subscription records for "{email}" have been purged. '
                    f'No further emails will be sent to "{email}".')


# -- /unsubscribe, /renew ------------------------------------------------------


@pages.webpage("/unsubscribe", caps="", methods=("GET", "HEAD", "POST"))
def unsubscribe(ctx: Context) -> Response:
    """/unsubscribe/CODE

    Cancel the subscription with code CODE (after a confirmation, or at
    once for a one-click unsubscribe from a mail program).  Without a code,
    enter your address to be mailed the unsubscribe link."""
    page = enabled_or_page(ctx)
    if page is not None:
        return page
    req = ctx.req
    name = req.get("name") or req.get("scode")
    if name:
        code = subscriber_code(name, prefix_ok=False)
        sid = ctx.repo.one("SELECT subscriberId FROM subscriber WHERE hex(subscriberCode)=?", (code,))
        if not sid:
            raise HTTPError(404, "no subscription has this code; it may have been cancelled already")
        if req.method == "POST" and req.get("List-Unsubscribe") == "One-Click":
            return _unsubscribe(ctx, sid)  # RFC 8058: the code is the credential
        if req.method == "POST" and req.get(f"confirm{sid:04x}") is not None:
            check_post(ctx)
            return _unsubscribe(ctx, sid)
        if req.get("manage") is not None:
            return redirect(req, f"/alerts/{code}")
        email = ctx.repo.one("SELECT semail FROM subscriber WHERE subscriberId=?", (sid,))
        return ctx.render("alerts_unsubscribe.html", title="Unsubscribe", code=code, sid=sid,
                          confirm=f"confirm{sid:04x}", email=email, ask=False, error="", seed="", captcha="")
    if ctx.login.is_individual:
        return redirect(req, "/alerts")
    error = ""
    status = 200
    if (posted := _posted_address(ctx)) is not None:
        addr, error = posted
        if not error:
            outcome = _guarded_mail(ctx, addr, lambda w: _mail_unsubscribe_link(ctx, w, addr))
            if outcome != "captcha":
                return _sent_page(ctx, "Unsubscribe Instructions Sent",
                                  f'If "{addr}" is subscribed to notifications from this repository, an email'
                                  " has been sent to it that explains how to unsubscribe and/or modify your"
                                  " subscription settings.", outcome)
            error = "enter the security code shown below"
        status = 400
    seed, art = _captcha(ctx)
    return ctx.render("alerts_unsubscribe.html", status=status, title="Unsubscribe Request", ask=True,
                      error=error, addr=req.get("e") or "", seed=seed, captcha=art)


def _mail_unsubscribe_link(ctx: Context, w: Repo, addr: str) -> None:
    code = w.one("SELECT hex(subscriberCode) FROM subscriber WHERE semail=?", (addr,))
    if code is not None:
        queue_mail(w, addr, "Unsubscribe Instructions", UNSUB_MSG.format(url=_base(ctx), code=code))


@pages.webpage("/renew", caps="", methods=("GET", "HEAD", "POST"))
def renew(ctx: Context) -> Response:
    """/renew/CODE

    Keep the subscription with code CODE from expiring."""
    page = enabled_or_page(ctx)
    if page is not None:
        return page
    code = subscriber_code(ctx.req.get("name"), prefix_ok=False)
    interval = ctx.repo.setting_int("email-renew-interval")
    if interval < 1:
        return message_page(ctx, "Subscription Renewal", "Subscriptions on this repository do not expire.")
    with writable(ctx) as w, w.write():
        row = w.row("UPDATE subscriber SET lastContact=CAST(strftime('%s','now') AS INT)/86400"
                    " WHERE hex(subscriberCode)=? RETURNING semail, date('now', ?)",
                    (code, f"+{interval + 1} days"))
    if row is None:
        return message_page(ctx, "Subscription Renewal", "No such subscriber-id.", status=404)
    return message_page(ctx, "Subscription Renewal",
                    f"The email notification subscription for {row[0]} has been extended until {row[1]} UTC.")


# -- /subscribers, /announce -----------------------------------------------------
