"""/login and /logout, with cookies Fossil 2.21 itself accepts.

POST fields of /login (as Fossil's ``login_page``): ``u`` user, ``p``
password, ``g`` the page to go back to, ``remember`` for a persistent
cookie (otherwise a session cookie), ``cs`` the captcha seed of an
anonymous login, ``out`` to log out.  The anonymous password is shown on
the page as plain text (Fossil draws it as ASCII art): it is the first 8
hex digits of ``SHA1(captcha-secret-<seed in hex>)``.

A successful login answers 302 to ``g`` (or the home page) with
``Set-Cookie``; a wrong password answers 401 with the form again.
Cookie formats are described in :mod:`fossilpy.web.auth`.
"""

from __future__ import annotations

import secrets

from fossilpy.web import auth
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def _go_back(ctx: Context) -> Response:
    target = (ctx.req.get("g") or "").lstrip("/")
    if target.startswith(("\\", "/")) or "\n" in target or "\r" in target:
        target = ""
    if target:
        return redirect(ctx.req, "/" + target)
    index = str(ctx.repo.config_get("index-page") or "/index")
    return redirect(ctx.req, "/" + index.lstrip("/"))


def _secure(ctx: Context) -> bool:
    return ctx.req.base_url.startswith("https:")


def _clear_cookie(ctx: Context) -> None:
    name = auth.cookie_name(ctx.repo)
    ctx.cookies_out.append(
        auth.set_cookie_header(name, "", auth.cookie_path(ctx.repo, ctx.req.top), -86400, _secure(ctx))
    )


@pages.webpage("/login", caps="", methods=("GET", "HEAD", "POST"))
def login(ctx: Context) -> Response:
    """/login?g=PAGE&anon

    Log in as a named user (u=, p=) or as "anonymous" with the password
    shown on the page; g= is the page to return to.  POST with out= logs
    out."""
    req = ctx.req
    if req.method == "POST" and not req.same_origin:
        raise HTTPError(403, "cross-site login form submission refused")
    path = ctx.repo_path
    if req.method == "POST" and req.get("out") is not None:
        if ctx.login.uid > 0 and ctx.login.is_individual:
            auth.logout_user(path, ctx.login.uid)
        _clear_cookie(ctx)
        return _go_back(ctx)
    if req.get("self") is not None:
        return redirect(ctx.req, "/register")
    user = req.get("u")
    password = req.get("p")
    error = ""
    status = 200
    if (
        req.method == "POST"
        and password is not None
        and req.get("n1") is not None
        and req.get("n2") is not None
        and ctx.has("p")
    ):
        error = _change_password(ctx, password, req.get("n1") or "", req.get("n2") or "")
        if not error:
            return _go_back(ctx)
        status = 400
        user = None
    remember = req.get("remember") is not None
    if req.method == "POST" and user:
        if user == "anonymous":
            secret = auth.captcha_secret(path, ctx.repo)
            seed = req.int("cs", -1)
            anon_ok = ctx.repo.one("SELECT 1 FROM user WHERE login='anonymous' AND length(pw)>0 AND length(cap)>0")
            answer = (password or "").strip().lower()
            if anon_ok and 0 <= seed < 2**31 and answer == auth.captcha_password(secret, seed):
                value = auth.anon_cookie_value(secret)
                ctx.cookies_out.append(
                    auth.set_cookie_header(
                        auth.cookie_name(ctx.repo),
                        value,
                        auth.cookie_path(ctx.repo, req.top),
                        auth.ANON_LIFETIME if remember else 0,
                        _secure(ctx),
                    )
                )
                return _go_back(ctx)
        elif password:
            uid = auth.search_uid(ctx.repo, user, password)
            if uid:
                name, value = auth.login_user(path, ctx.repo, uid, user, remember=remember, remote_addr=req.remote_addr)
                lifetime = ctx.repo.config_int("cookie-expire", 8766) * 3600 if remember else 0
                ctx.cookies_out.append(
                    auth.set_cookie_header(name, value, auth.cookie_path(ctx.repo, req.top), lifetime, _secure(ctx))
                )
                return _go_back(ctx)
        auth.record_failure(path, user, req.remote_addr)
        error = "You entered an unknown user or an incorrect password."
        status = 401
    anon_password = None
    seed = 0
    if not ctx.login.name and not req.flag("noanon"):
        has_anon = ctx.repo.one("SELECT 1 FROM user WHERE login='anonymous' AND cap<>'' AND length(pw)>0")
        if has_anon:
            seed = secrets.randbelow(2**31)
            anon_password = auth.captcha_password(auth.captcha_secret(path, ctx.repo), seed)
    goto = req.get("g") or ""
    return ctx.render(
        "login.html",
        status=status,
        title="Login/Logout",
        error=error,
        goto=goto,
        goto_page=goto.split("?")[0].split("%3f")[0],
        anon=req.flag("anon"),
        anon_password=anon_password,
        seed=seed,
        user=user or ("anonymous" if req.flag("anon") else ""),
        insecure=not _secure(ctx),
        self_register=ctx.repo.setting_bool("self-register") and not ctx.login.name,
        change_pw=ctx.has("p") and ctx.login.is_individual,
    )


def _change_password(ctx: Context, old: str, new1: str, new2: str) -> str:
    """Change the visitor's own password (``p`` capability); the error message, or "" when changed.

    As Fossil's ``login_page``: the old password must match (shared secret
    or cleartext), the two new ones must be equal; the change is one
    transaction with its admin-log entry."""
    import time

    from fossilpy.repo import admin_log, capabilities, users
    from fossilpy.web.forms import writable

    if not ctx.login.is_individual or ctx.login.uid <= 0:
        return "The password cannot be changed for this type of login. The password is unchanged."
    name = ctx.login.name or ""
    stored = ctx.repo.one("SELECT pw FROM user WHERE uid=?", (ctx.login.uid,))
    code = ctx.repo.config_get("project-code")
    if not capabilities.password_matches(stored, old, name, code):
        time.sleep(1)
        return (
            "You entered an incorrect old password while attempting to change your password."
            "  Your password is unchanged."
        )
    if new1 != new2:
        return "The two copies of your new passwords do not match. Your password is unchanged."
    with writable(ctx) as w, w.write():
        admin_log.record(w, "login", name, admin_log.password_changed(name))
        w.execute("UPDATE user SET pw=? WHERE uid=?", (users.shared_secret(new1, name, code), ctx.login.uid))
    return ""


@pages.webpage("/my", caps="", methods=("GET", "HEAD", "POST"))
def my(ctx: Context) -> Response:
    """/my

    Same as /login (Fossil 2.21): a logged-in user with the Password
    capability changes the password there (p= old, n1= and n2= new)."""
    return login(ctx)


@pages.webpage("/logout", caps="", methods=("GET", "HEAD", "POST"))
def logout(ctx: Context) -> Response:
    """/logout?g=PAGE

    GET shows the login page, whose Logout button asks for confirmation
    (as Fossil 2.21's /logout does), so a link or an image cannot log
    anybody out.  A same-origin POST logs out: it forgets the login cookie
    in the user table, clears it in the browser and goes to g= or the
    home page."""
    if ctx.req.method != "POST":
        return login(ctx)
    if not ctx.req.same_origin:
        raise HTTPError(403, "cross-site logout form submission refused")
    if ctx.login.uid > 0 and ctx.login.is_individual:
        auth.logout_user(ctx.repo_path, ctx.login.uid)
    _clear_cookie(ctx)
    return _go_back(ctx)
