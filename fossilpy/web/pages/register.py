"""/register: visitors create their own account (Fossil 2.21 ``login.c``
``register_page``), when the ``self-register`` setting is on.

Form fields, as Fossil's: ``u`` user ID, ``dn`` display name, ``ea`` email
address, ``p`` password, ``cp`` its confirmation, ``alerts`` (1/0: also
subscribe to email alerts, offered when the alert tables exist and the
new user may get alerts), ``captcha`` with its ``captchaseed``, ``g`` the
page to go to afterwards, and the button ``new``.  The form carries the
``csrf`` token and must come from the same origin.

Checks, in Fossil's order, each with Fossil's message under its field:
the captcha; a user ID of at least 6 characters from ``-a-zA-Z0-9_.``;
a display name; a valid email address, one allowed by ``auth-sub-email``
(comma-separated globs; empty allows any) and not already in a user's
contact info; a password of at least 6 characters, typed twice the same;
a user ID nobody has.  The new user gets the ``default-perms``
capabilities (only ``7`` while ``selfreg-verify`` is on: the rest comes
when the address is verified through the alert mail, see
:mod:`fossilpy.web.pages.alerts`), contact info ``NAME <EMAIL>`` and a
note of the date and address it registered from, and is logged in.

A captcha is good for one registration and expires (see
:mod:`fossilpy.web.auth`); while other fields are wrong, a correctly
solved captcha stays filled in, as in Fossil.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from fossilpy.repo import users
from fossilpy.web import auth
from fossilpy.web.forms import check_post, writable
from fossilpy.web.request import Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

_USER_ID = re.compile(r"[-a-zA-Z0-9_.]+")


def authorized_email(repo: Any, addr: str) -> bool:
    """True if ``auth-sub-email`` (globs, any case) allows ``addr`` (``authorized_subscription_email``)."""
    globs = str(repo.config_get("auth-sub-email") or "").lower()
    patterns = [g for g in re.split(r"[\s,]+", globs) if g]
    if not patterns:
        return True
    low = addr.lower()
    return any(fnmatch.fnmatchcase(low, g) for g in patterns)


def _ssub(perms: str, repo: Any) -> str:
    """The alert kinds a new subscriber with ``perms`` gets (announcements, then what they may read)."""
    from fossilpy.repo.capabilities import expand_for

    caps = expand_for(repo, perms)
    return "a" + "".join(k for k, c in (("c", "o"), ("f", "2"), ("t", "r"), ("w", "j")) if caps.has(c))


def _problem(ctx: Context, f: dict[str, str], captcha_ok: bool) -> tuple[int, str]:
    """(form line, message) of the first thing wrong with the form, or (0, "")."""
    from fossilpy.web.pages.alerts import email_error

    repo = ctx.repo
    if not captcha_ok:
        return 6, "Incorrect CAPTCHA"
    if len(f["u"]) < 6:
        return 1, "User ID too short. Must be at least 6 characters."
    if not _USER_ID.fullmatch(f["u"]):
        return 1, "User ID may not contain spaces or special characters."
    if not f["dn"]:
        return 2, "Required"
    if not f["ea"]:
        return 3, "Required"
    if email_error(f["ea"]):
        return 3, "Not a valid email address"
    if not authorized_email(repo, f["ea"]):
        return 3, "Not an authorized email address"
    if len(f["p"]) < 6:
        return 4, "Password must be at least 6 characters long"
    if f["p"] != f["cp"]:
        return 5, "Passwords do not match"
    if users.email_in_use(repo, f["ea"]):
        return 3, "This email address is already associated with a user"
    if repo.one("SELECT 1 FROM user WHERE login=?", (f["u"],)):
        return 1, "This User ID is already taken. Choose something different."
    return 0, ""


def _captcha_solved(ctx: Context, secret: str) -> bool:
    """True if the typed captcha answers the posted seed (not yet used up)."""
    import hmac

    seed = ctx.req.get("captchaseed") or ""
    typed = (ctx.req.get("captcha") or "").strip().lower().replace("o", "0")
    return bool(seed) and hmac.compare_digest(typed, auth.captcha_answer(secret, seed))


@pages.webpage("/register", caps="", methods=("GET", "HEAD", "POST"))
def register(ctx: Context) -> Response:
    """/register?g=PAGE

    Create an account (when self-registration is enabled): user ID,
    display name, email address, password twice and the captcha; the new
    user is logged in and sent to g= (or the home page)."""
    req, repo = ctx.req, ctx.repo
    if not repo.setting_bool("self-register"):
        return ctx.render("register.html", title="Registration not possible", closed=True)
    perms = repo.setting("default-perms") or ""
    verify = repo.config_bool("selfreg-verify")
    can_alert = repo.table_exists("subscriber") and ("7" in _full(repo, perms) or verify)
    f = {k: (req.get(k) or "").strip() for k in ("u", "dn", "ea")}
    f.update({k: req.get(k) or "" for k in ("p", "cp")})
    secret = auth.captcha_secret(ctx.repo_path, repo)
    line, error, status = 0, "", 200
    captcha_ok = False
    if req.method == "POST" and req.get("new") is not None:
        check_post(ctx)
        captcha_ok = _captcha_solved(ctx, secret)
        line, error = _problem(ctx, f, captcha_ok)
        if not line:
            done = _create(ctx, f, secret, "7" if verify else perms, can_alert and req.get("alerts", "1") != "0")
            if done is not None:
                return done
            line, error, captcha_ok = 6, "Incorrect CAPTCHA", False
        status = 400
    if captcha_ok:
        seed = req.get("captchaseed") or ""
        answer = auth.captcha_answer(secret, seed)
    else:
        seed, answer = auth.captcha_new(secret)
    return ctx.render(
        "register.html",
        status=status,
        title="Register",
        closed=False,
        f=f,
        line=line,
        error=error,
        seed=seed,
        typed=answer if captcha_ok else "",
        captcha=auth.captcha_render(answer),
        can_alert=can_alert,
        alerts=req.get("alerts", "1") != "0",
        goto=req.get("g") or "",
        suggestion=users.random_password(12) if not f["p"] else "",
    )


def _full(repo: Any, perms: str) -> str:
    from fossilpy.repo.capabilities import fullcap_for

    return fullcap_for(repo, perms)


def _create(ctx: Context, f: dict[str, str], secret: str, caps: str, alerts: bool) -> Response | None:
    """Redeem the captcha and add the user (one transaction), log them in; None if the captcha was used."""
    req = ctx.req
    code = None
    verified = False
    with writable(ctx) as w, w.write():
        if not auth.captcha_redeem(w, secret, req.get("captchaseed") or "", req.get("captcha") or ""):
            return None
        pw = users.shared_secret(f["p"], f["u"], w.config_get("project-code"))
        w.execute(
            "INSERT INTO user(login,pw,cap,info,mtime)"
            " VALUES(?,?,?,?||' <'||?||'>'||char(10)||'self-register from ip '||?||' on '||datetime('now'),"
            " strftime('%s','now'))",
            (f["u"], pw, caps, f["dn"], f["ea"], req.remote_addr),
        )
        uid = int(w.one("SELECT uid FROM user WHERE login=?", (f["u"],)))
        if alerts:
            code, verified = _subscribe(ctx, w, f)
    name, value = auth.login_user(ctx.repo_path, ctx.repo, uid, f["u"], remember=False, remote_addr=req.remote_addr)
    secure = req.base_url.startswith("https:")
    ctx.cookies_out.append(auth.set_cookie_header(name, value, auth.cookie_path(ctx.repo, req.top), 0, secure))
    goto = (req.get("g") or "").lstrip("/")
    if code is not None and not verified:
        return ctx.render("register.html", title="Email Verification", closed=False, sent=f["ea"], goto=goto)
    if goto and not goto.startswith(("\\", "/")) and "\n" not in goto and "\r" not in goto:
        return redirect(req, "/" + goto)
    return redirect(req, "/home")


def _subscribe(ctx: Context, w: Any, f: dict[str, str]) -> tuple[str, bool]:
    """Make the new user a subscriber (unverified) and mail the verification link; (code, was verified)."""
    import time

    from fossilpy.web.pages import alerts

    now = int(time.time())
    perms = ctx.repo.setting("default-perms") or ""
    code = str(
        w.one(
            "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,smip,lastContact)"
            " VALUES(?,?,0,0,0,?,?,?,?,?) ON CONFLICT(semail) DO UPDATE SET suname=excluded.suname"
            " RETURNING hex(subscriberCode)",
            (f["ea"], f["u"], _ssub(perms, ctx.repo), now, now, ctx.req.remote_addr, now // 86400),
        )
    )
    if w.one("SELECT sverified FROM subscriber WHERE semail=?", (f["ea"],)):
        return code, True
    base = ctx.repo.setting("email-url") or ctx.req.base_url
    alerts.queue_mail(
        w, f["ea"], "Subscription verification", alerts.CONFIRM_MSG.format(url=base, code=code), key=f"verify-{code}"
    )
    return code, False
