"""JSON login state: the auth token, ``login``, ``logout``, ``whoami``, ``anonymousPassword``, ``cap``.

``api-auth.md`` and ``src/json_login.c``.  The auth token *is* the value of
Fossil's login cookie (``HASH/PROJECTCODE/LOGIN`` for a user,
``SHA1/TIME/anonymous`` for the anonymous login), so a token returned by
``/json/login`` works as the cookie and the cookie works as a token.

* ``/json/login`` (``name``/``n`` and ``password``/``p``; for "anonymous"
  also ``anonymousSeed`` from ``/json/anonymousPassword``): payload
  ``{authToken, name, capabilities, loginCookieName}``; it also sets the
  cookie.  A missing name or password or a wrong pair is ``FOSSIL-2100``
  (the 2102-2104 details are for testing only, says ``conventions.md``); an
  anonymous login without its seed is ``FOSSIL-2101``.  A login POSTed from
  another site (its ``Origin``/``Referer`` names another host) is refused
  with ``FOSSIL-2002`` so that no page can log a visitor into someone
  else's account.
* ``/json/logout``: needs a valid token (else ``FOSSIL-2001``), forgets the
  login, clears the cookie; payload as ``whoami`` for nobody.
* ``/json/whoami``: ``{name, capabilities, authToken}`` (``authToken`` only
  while a valid one is in force).
* ``/json/anonymousPassword``: ``{seed, password}``.
* ``/json/cap``: ``{name, capabilities, permissionFlags: {...}}``.
"""

from __future__ import annotations

import secrets
from typing import Any

from fossilpy.text import is_digits
from fossilpy.web import auth as web_auth
from fossilpy.web.json_api.envelope import (
    E_DENIED,
    E_LOGIN_FAILED,
    E_LOGIN_FAILED_NOSEED,
    E_MISSING_AUTH,
    E_NOT_FOUND,
    JsonRequest,
    fail,
)

#: Seconds an anonymous login cookie lasts (Fossil: 6 hours).
ANON_LIFETIME = 6 * 3600

#: ``permissionFlags`` of ``/json/cap``: property -> capability letter (``json_page_cap``).
PERMISSION_FLAGS = (
    ("setup", "s"), ("admin", "a"), ("password", "p"), ("query", ""), ("checkin", "i"), ("checkout", "o"),
    ("history", "h"), ("clone", "g"), ("readWiki", "j"), ("createWiki", "f"), ("appendWiki", "m"),
    ("editWiki", "k"), ("moderateWiki", "l"), ("readTicket", "r"), ("createTicket", "n"),
    ("appendTicket", "c"), ("editTicket", "w"), ("moderateTicket", "q"), ("attachFile", "b"),
    ("createTicketReport", "t"), ("readPrivate", "e"), ("zip", "z"), ("xferPrivate", "x"),
    ("writeUnversioned", "y"), ("readForum", "2"), ("writeForum", "3"), ("writeTrustedForum", "4"),
    ("moderateForum", "5"), ("adminForum", "6"), ("emailAlert", "7"), ("announce", "A"), ("debug", "D"),
    ("chat", "C"),
)  # fmt: skip


def establish(jr: JsonRequest, *, cookie_ok: bool) -> None:
    """Set ``jr.ctx.login`` from the request's ``authToken``, else the login cookie.

    ``cookie_ok`` False (JSONP): the cookie is not used.  A localauth
    (trusted) visitor keeps its login and the token is ignored, as in Fossil.
    """
    ctx = jr.ctx
    if ctx.login.trusted:
        return
    req = ctx.req
    name = web_auth.cookie_name(ctx.repo)
    token = jr.get_params.get("authToken")
    if token is None and jr.post is not None and isinstance(jr.post.get("authToken"), str):
        token = jr.post["authToken"]
    if token and "/" not in token and "%2f" in token.lower():
        from urllib.parse import unquote

        token = unquote(token)  # the Set-Cookie value copied as sent (Fossil percent-encodes it)
    if token:
        jr.token, jr.token_from = token, "request"
    elif cookie_ok and req.cookies.get(name):
        jr.token, jr.token_from = req.cookies[name], "cookie"
    cookies = {k: v for k, v in req.cookies.items() if k != name}
    if jr.token:
        cookies[name] = jr.token
    req.cookies = cookies
    ctx.login = web_auth.check_credentials(ctx.repo, req, localauth=bool(ctx.app.config.localauth))
    if jr.token and not ctx.login.name:
        jr.bad_token = True


def _secure(jr: JsonRequest) -> bool:
    return jr.ctx.req.base_url.startswith("https:")


def _cross_site(jr: JsonRequest) -> bool:
    """True if the request says it comes from a page of another site."""
    env = jr.ctx.req.environ
    return bool(env.get("HTTP_ORIGIN") or env.get("HTTP_REFERER")) and not jr.ctx.req.same_origin


def _user_row(jr: JsonRequest) -> tuple[str, str] | None:
    """(login, cap) of the visitor, or of "nobody" when nobody is logged in."""
    login = jr.login
    if login.name and login.uid > 0:
        row = jr.repo.row("SELECT login, cap FROM user WHERE uid=?", (login.uid,))
    else:
        row = jr.repo.row("SELECT login, cap FROM user WHERE login='nobody'")
    return (str(row[0]), str(row[1] or "")) if row else None


def whoami(jr: JsonRequest) -> Any:
    """/json/whoami: the visitor's name, capabilities and (while valid) auth token."""
    row = _user_row(jr)
    if row is None:
        fail(E_NOT_FOUND, "There is no user 'nobody' in this repository.")
    out: dict[str, Any] = {"name": row[0], "capabilities": row[1]}
    if jr.token and not jr.bad_token:
        out["authToken"] = jr.token
    return out


def cap(jr: JsonRequest) -> Any:
    """/json/cap: whoami's name and capabilities, and each permission as a boolean."""
    row = _user_row(jr)
    out: dict[str, Any] = {}
    if row is not None:
        out["name"], out["capabilities"] = row
    out["permissionFlags"] = {key: bool(letter) and jr.login.has(letter) for key, letter in PERMISSION_FLAGS}
    return out


def anonymous_password(jr: JsonRequest) -> Any:
    """/json/anonymousPassword: a captcha seed and the anonymous password it stands for."""
    secret = web_auth.captcha_secret(jr.ctx.repo_path, jr.repo)
    seed = secrets.randbelow(2**31)
    return {"seed": seed, "password": web_auth.captcha_password(secret, seed)}


def _seed(jr: JsonRequest) -> int | None:
    """The anonymousSeed of the request (envelope/GET, payload, or ``cs``), None if absent or bad."""
    for value in (jr.get_params.get("anonymousSeed"), (jr.post or {}).get("anonymousSeed"),
                  jr.payload.get("anonymousSeed") if isinstance(jr.payload, dict) else None,
                  jr.get_params.get("cs")):  # fmt: skip
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, str) and is_digits(value.strip()):
            return int(value.strip())
        return -1
    return None


def login(jr: JsonRequest) -> Any:
    """/json/login: check a name and password, start a login; the token and who it is."""
    if _cross_site(jr):
        fail(E_DENIED, "Cross-site login refused.")
    payload = jr.payload if isinstance(jr.payload, dict) else {}
    password = payload.get("password")
    if not isinstance(password, str):
        password = jr.get_params.get("p") or jr.get_params.get("password")
    name = payload.get("name")
    if not isinstance(name, str):
        name = jr.get_params.get("n") or jr.get_params.get("name")
    if not password or not name:
        fail(E_LOGIN_FAILED)
    ctx, req, repo = jr.ctx, jr.ctx.req, jr.repo
    cookie = web_auth.cookie_name(repo)
    if name == "anonymous":
        seed = _seed(jr)
        if seed is None:
            fail(E_LOGIN_FAILED_NOSEED)
        secret = web_auth.captcha_secret(ctx.repo_path, repo)
        anon_ok = repo.one("SELECT 1 FROM user WHERE login='anonymous' AND length(pw)>0 AND length(cap)>0")
        if not anon_ok or not 0 <= seed < 2**31 or password.strip().lower() != web_auth.captcha_password(secret, seed):
            fail(E_LOGIN_FAILED)
        value = web_auth.anon_cookie_value(secret)
        ctx.cookies_out.append(
            web_auth.set_cookie_header(cookie, value, web_auth.cookie_path(repo, req.top), ANON_LIFETIME, _secure(jr))
        )
    else:
        uid = web_auth.search_uid(repo, name, password)
        if not uid:
            web_auth.record_failure(ctx.repo_path, name, req.remote_addr)
            fail(E_LOGIN_FAILED)
        cookie, value = web_auth.login_user(ctx.repo_path, repo, uid, name, remember=True,
                                            remote_addr=req.remote_addr)  # fmt: skip
        lifetime = repo.config_int("cookie-expire", 8766) * 3600
        ctx.cookies_out.append(
            web_auth.set_cookie_header(cookie, value, web_auth.cookie_path(repo, req.top), lifetime, _secure(jr))
        )
    caps = repo.one("SELECT cap FROM user WHERE login=?", (name,))
    return {"authToken": value, "name": name, "capabilities": caps, "loginCookieName": cookie}


def logout(jr: JsonRequest) -> Any:
    """/json/logout: end the login named by the token; whoami for nobody."""
    if not jr.token or jr.bad_token:
        fail(E_MISSING_AUTH)
    jr.check_write()
    ctx = jr.ctx
    if ctx.login.uid > 0 and ctx.login.is_individual:
        web_auth.logout_user(ctx.repo_path, ctx.login.uid)
    ctx.cookies_out.append(
        web_auth.set_cookie_header(
            web_auth.cookie_name(jr.repo), "", web_auth.cookie_path(jr.repo, ctx.req.top), -86400, _secure(jr)
        )
    )
    row = jr.repo.row("SELECT login, cap FROM user WHERE login='nobody'")
    jr.token, jr.token_from = None, ""
    return {"name": str(row[0]), "capabilities": str(row[1] or "")} if row else None
