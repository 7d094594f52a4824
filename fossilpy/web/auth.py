"""Who is asking, and what may they do: login cookies and capabilities.

Login cookie (Fossil 2.21 ``src/login.c``, ``login_set_user_cookie`` and
``login_cookie_name``; the name must match Fossil's, or a login made by one
program is not seen by the other)::

    name   fossil-<first 16 chars of login-group-code, else project-code>
    value  HASH/<first 16 chars of project-code>/LOGIN     (a named user)
           HASH = user.cookie (hex of 25 random bytes), valid while
           user.cexpire (Julian day) is in the future
    value  SHA1(TIME/captcha-secret)/TIME/anonymous        (anonymous)
           TIME = Julian day of the login; valid for 6 hours
    header Set-Cookie: NAME=VALUE-percent-encoded; Path=TOP; [max-age=N; ]
           HttpOnly; [ secure;] Version=1

Passwords and capability letters are decided by
``fossilpy.repo.capabilities`` (the one place), the user.cookie column by
``fossilpy.repo.users``; this module adds the web side (which cookie,
which visitor, which caps in force for this request).

Capabilities (``login_set_uid``): the visitor's letters expand as
``capabilities.expand_for`` does (``u``/``v`` pull in the caps of users
``reader`` and ``developer``); every visitor also gets ``nobody``'s caps,
and a logged-in visitor (anonymous included) also gets ``anonymous``'s
(``capabilities.with_nobody_anonymous``).  Pages ask ``ctx.has(LETTERS)``,
which is :meth:`Login.has`: ``Caps.has`` plus Fossil's ``L`` ("logged
in").  A trusted door
(ssh ``test-http``) or ``--localauth`` (plain HTTP from a loopback peer
*and* a Host header of localhost, 127.0.0.1 or [::1]) acts as the first
setup user with exactly the trusted caps (``sxy``).  Such a visitor has
no login cookie, so its CSRF token is a random value kept in a session
cookie ``<login cookie name>-csrf``.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from fossilpy.artifact import hname
from fossilpy.repo import capabilities
from fossilpy.repo.capabilities import NO_CAPS, Caps
from fossilpy.text import is_digits

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.web.request import Request

#: The four built-in users that can never log in with a password.
SPECIAL_USERS = capabilities.SPECIAL_USERS

#: Seconds an anonymous login lasts.
ANON_LIFETIME = 6 * 3600


def julian_now() -> float:
    """The current time as a Julian day number (SQLite's julianday('now'))."""
    return time.time() / 86400.0 + 2440587.5


def expand_caps(repo: Repo, caps: str) -> Caps:
    """The capabilities granted by the letters ``caps`` (u/v followed once)."""
    return capabilities.expand_for(repo, caps)


class Login:
    """The visitor of one request.

    Attributes:
        uid: user.uid (-1 when there is no ``nobody`` user at all).
        name: the login name, or None for ``nobody``.
        caps: the capabilities in force (a :class:`Caps`).
        anon_caps: what the anonymous login would give (to offer it).
        csrf: token to embed in forms (Fossil's g.zCsrfToken).
        trusted: True for localauth/ssh (no password was checked).
        set_cookies: Set-Cookie values the reply must carry (the CSRF
            cookie of a trusted visitor).
    """

    __slots__ = ("uid", "name", "caps", "anon_caps", "csrf", "trusted", "set_cookies")

    def __init__(
        self,
        uid: int,
        name: str | None,
        caps: Caps = NO_CAPS,
        anon_caps: Caps = NO_CAPS,
        csrf: str = "none",
        trusted: bool = False,
    ) -> None:
        self.uid = uid
        self.name = name
        self.caps = caps
        self.anon_caps = anon_caps
        self.csrf = csrf
        self.trusted = trusted
        self.set_cookies: list[str] = []

    def has(self, letters: str) -> bool:
        """True if every letter is granted (``Caps.has``); ``L`` means "logged in"."""
        if "L" in letters:
            if not self.name:
                return False
            letters = letters.replace("L", "")
        return self.caps.has(letters)

    @property
    def display(self) -> str:
        """The name to show: the login or "nobody"."""
        return self.name or "nobody"

    @property
    def is_individual(self) -> bool:
        """True for a named user (not nobody, not anonymous)."""
        return bool(self.name) and self.name != "anonymous"


def cookie_name(repo: Repo) -> str:
    """``fossil-`` + first 16 chars of the login-group-code or project-code."""
    row = repo.row("SELECT value FROM config WHERE name IN ('project-code','login-group-code') ORDER BY name LIMIT 1")
    return "fossil-" + str(row[0] if row and row[0] else "")[:16]


def is_human(agent: str | None) -> bool:
    """Fossil's guess that a User-Agent is a person's browser, not a robot."""
    if not agent:
        return False
    low = agent.lower()
    if any(w in low for w in ("bot", "spider", "crawl")) or "http" in agent:
        return False
    if agent.startswith("Mozilla/"):
        try:
            if int(agent[8:].split(".")[0]) < 4:
                return False
        except ValueError:
            return False
        return any(k in agent for k in ("Firefox/", "Chrome/", "MSIE", "Trident/", "AppleWebKit/", "PaleMoon/"))
    return agent.startswith(("Opera/", "Safari/", "Lynx/", "NetSurf/"))


def _is_loopback(addr: str) -> bool:
    return addr.startswith(("127.", "::ffff:127.")) or addr == "::1"


#: Host names a browser uses for a server on this machine (DNS rebinding guard).
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


def is_local_host(header: str) -> bool:
    """True if a ``Host:`` header names this machine: localhost, 127.0.0.1 or [::1], any port.

    A DNS rebinding attack makes the victim's browser send requests to
    127.0.0.1 under the attacker's host name; the Host header still
    carries that name, so loopback address alone proves nothing.
    """
    host = header.strip().lower()
    if host.startswith("["):
        name, sep, rest = host.partition("]")
        name += sep
    else:
        name, colon, port = host.partition(":")
        rest = colon + port
    if rest and not (rest[0] == ":" and is_digits(rest[1:])):
        return False
    return name in _LOCAL_HOSTS


def localauth_applies(req: Request, localauth: bool) -> bool:
    """True if ``--localauth`` grants setup rights: plain HTTP from a loopback
    peer, addressed to a local host name (see :func:`is_local_host`)."""
    return (
        localauth
        and not req.https
        and _is_loopback(req.remote_addr)
        and is_local_host(str(req.environ.get("HTTP_HOST") or ""))
    )


def csrf_cookie_name(repo: Repo) -> str:
    """Cookie holding the CSRF token of a trusted (localauth/ssh) visitor."""
    return cookie_name(repo) + "-csrf"


def _session_token(repo: Repo, req: Request) -> tuple[str, str | None]:
    """(token, new cookie value or None): the CSRF token of a visitor without a login cookie.

    The token is random per browser session and kept in a session cookie
    (double-submit: a form must echo the cookie's value, which another
    site can neither read nor set).
    """
    have = req.cookies.get(csrf_cookie_name(repo), "")
    if len(have) == 32 and all(c in "0123456789abcdef" for c in have):
        return have, None
    token = os.urandom(16).hex()  # secrets.token_hex(16), without importing secrets and random
    return token, token


def check_credentials(repo: Repo, req: Request, *, localauth: bool = False) -> Login:
    """Establish the visitor of ``req``: trusted door, cookie, REMOTE_USER, Basic auth or nobody."""
    env = req.environ
    uid = 0
    name: str | None = None
    forced: str | None = None
    csrf = "none"
    new_csrf_cookie: str | None = None
    trusted_caps = env.get("fossilpy.trusted_caps")
    if trusted_caps is None and localauth_applies(req, localauth) and not repo.setting_int("localauth"):
        trusted_caps = "sxy"
    if trusted_caps is not None:
        row = capabilities.setup_user(repo)
        if row:
            uid, name = row
        forced = str(trusted_caps)
        csrf, new_csrf_cookie = _session_token(repo, req)
    if not uid:
        value = req.cookies.get(cookie_name(repo))
        if value:
            uid, name = _check_cookie(repo, value)
            csrf = value.split("/", 1)[0][:10]
    if not uid:
        remote_user = env.get("REMOTE_USER")
        if remote_user and repo.config_bool("remote_user_ok"):
            row = repo.row(
                "SELECT uid, login FROM user WHERE login=? AND length(cap)>0 AND length(pw)>0",
                (remote_user,),
            )
            if row:
                uid, name = row
    if not uid and repo.config_bool("http_authentication_ok"):
        uid, name = _basic_auth(repo, str(env.get("HTTP_AUTHORIZATION") or ""))
    if not uid:
        uid = repo.one("SELECT uid FROM user WHERE login='nobody'", (), 0) or -1
        name = None
        csrf = "none"
    if name == "nobody":
        name = None
    if forced is not None:
        letters = forced
    elif uid > 0:
        letters = repo.one("SELECT cap FROM user WHERE uid=?", (uid,), "") or ""
    else:
        letters = ""
    caps = capabilities.expand_for(repo, letters)
    human = bool(name) or is_human(env.get("HTTP_USER_AGENT"))
    # Fossil tests the letters as stored, not what they expand to ("d" counts).
    if letters and not caps.hyperlink and human and repo.setting_int("auto-hyperlink") in (1, 2):
        caps = caps.plus_flags("h")
    caps, anon = capabilities.with_nobody_anonymous(repo, caps, logged_in=bool(name))
    public = repo.config_get("public-pages")
    if public:
        import fnmatch

        uri = req.path_info
        if any(fnmatch.fnmatchcase(uri, g.strip()) for g in str(public).replace(",", " ").split() if g.strip()):
            caps |= expand_caps(repo, repo.setting("default-perms") or "")
    login = Login(uid=uid, name=name, caps=caps, anon_caps=anon, csrf=csrf, trusted=forced is not None)
    if new_csrf_cookie is not None:
        login.set_cookies.append(
            set_cookie_header(csrf_cookie_name(repo), new_csrf_cookie, req.top or "/", 0, req.https)
        )
    return login


def _check_cookie(repo: Repo, value: str) -> tuple[int, str | None]:
    parts = value.split("/", 2)
    if len(parts) != 3:
        return 0, None
    hash_, arg, user = parts
    if user == "anonymous":
        secret = repo.config_get("captcha-secret", "")
        want = hname.sha1(f"{arg}/{secret}".encode())
        try:
            when = float(arg)
        except ValueError:
            return 0, None
        if capabilities.same_secret(want, hash_) and when + 0.25 > julian_now():
            uid = repo.one("SELECT uid FROM user WHERE login='anonymous' AND length(cap)>0 AND length(pw)>0")
            return (uid, "anonymous") if uid else (0, None)
        return 0, None
    from fossilpy.repo import users

    uid = users.user_for_cookie(repo, user, hash_) if len(hash_) > 30 else 0
    if not uid and len(hash_) > 30 and repo.config_get("login-group-name"):
        from fossilpy.repo import login_group
        from fossilpy.repo.db import Repo as RepoClass

        with RepoClass.open(repo.path) as w:
            if login_group.transfer_credentials(w, user, arg, hash_):
                uid = users.user_for_cookie(w, user, hash_)
    return (uid, user) if uid else (0, None)


def cookie_path(repo: Repo, top: str) -> str:
    """Fossil's ``login_cookie_path``: "/" for a member of a login group (its
    members share the login cookie), else the repository's own path."""
    return "/" if repo.config_get("login-group-name") else (top or "/")


def _basic_auth(repo: Repo, header: str) -> tuple[int, str | None]:
    import base64
    import binascii

    header = header.strip()
    if not header.startswith("Basic "):
        return 0, None
    try:
        text = base64.b64decode(header[6:].strip(), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return 0, None
    user, sep, pw = text.partition(":")
    if not sep:
        return 0, None
    uid = search_uid(repo, user, pw)
    return (uid, user) if uid else (0, None)


def search_uid(repo: Repo, login: str, password: str) -> int:
    """uid of ``login`` if ``password`` is right (either pw form), else 0."""
    from fossilpy.repo import users

    if not login or not password or login in SPECIAL_USERS:
        return 0
    return users.check_password(repo, login, password)


def set_cookie_header(name: str, value: str | None, path: str, lifetime: int, secure: bool) -> str:
    """A Set-Cookie value as Fossil writes it (``lifetime`` 0: session cookie).

    Name, value, ``Path`` (``/`` when the repository is at the top, as
    Fossil's ``cgi_set_cookie``), ``max-age``, ``HttpOnly``, ``secure`` and
    ``Version=1`` are Fossil's; ``SameSite=Lax`` is added so that no other
    site's form or image request carries the login.
    """
    from urllib.parse import quote

    flag = " secure;" if secure else ""
    path = path or "/"
    if lifetime != 0:
        shown = quote(value, safe="") if lifetime > 0 and value is not None else "null"
        return f"{name}={shown}; Path={path}; max-age={lifetime}; HttpOnly; SameSite=Lax;{flag} Version=1"
    return f"{name}={quote(value or '', safe='')}; Path={path}; HttpOnly; SameSite=Lax;{flag} Version=1"


def login_user(
    repo_path: str, repo: Repo, uid: int, login: str, *, remember: bool, remote_addr: str
) -> tuple[str, str]:
    """Record a new login of ``uid``; return (cookie name, cookie value).

    Reuses an unexpired ``user.cookie`` (so several browsers stay logged in)
    and moves ``cexpire`` forward by ``cookie-expire`` hours.
    """
    from fossilpy.repo import users
    from fossilpy.repo.db import Repo as RepoClass

    hours = repo.config_int("cookie-expire", 8766)
    pcode = str(repo.config_get("project-code", ""))
    with RepoClass.open(repo_path) as w, w.write():
        hash_ = users.login_cookie_hash(w, uid, hours)
        _record_attempt(w, login, remote_addr, True)
    del remember
    return cookie_name(repo), f"{hash_}/{pcode[:16]}/{login}"


def logout_user(repo_path: str, uid: int) -> None:
    """Forget the login cookie of ``uid`` in the user table."""
    from fossilpy.repo import users
    from fossilpy.repo.db import Repo as RepoClass

    with RepoClass.open(repo_path) as w, w.write():
        if w.one("SELECT login FROM user WHERE uid=?", (uid,)) not in SPECIAL_USERS:
            users.logout(w, uid)


def record_failure(repo_path: str, login: str, remote_addr: str) -> None:
    """Log a failed login in ``accesslog`` when the access-log setting is on."""
    from fossilpy.repo.db import Repo as RepoClass

    with RepoClass.open(repo_path) as w, w.write():
        _record_attempt(w, login, remote_addr, False)


def _record_attempt(w: Any, login: str, addr: str, success: bool) -> None:
    if not w.setting_bool("access-log"):
        return
    w.execute("CREATE TABLE IF NOT EXISTS accesslog(uname TEXT, ipaddr TEXT, success BOOLEAN, mtime TIMESTAMP)")
    w.execute(
        "INSERT INTO accesslog(uname,ipaddr,success,mtime) VALUES(?,?,?,julianday('now'))",
        (login, addr, 1 if success else 0),
    )


def captcha_secret(repo_path: str, repo: Repo) -> str:
    """The repository's ``captcha-secret``, created (as Fossil does) when missing."""
    secret = repo.config_get("captcha-secret")
    if secret:
        return str(secret)
    from fossilpy.repo.db import Repo as RepoClass

    with RepoClass.open(repo_path) as w, w.write():
        secret = w.config_get("captcha-secret")
        if not secret:
            secret = os.urandom(20).hex()
            w.execute(
                "REPLACE INTO config(name,value,mtime) VALUES('captcha-secret',?,?)",
                (secret, int(time.time())),
            )
    return str(secret)


def captcha_password(secret: str, seed: int) -> str:
    """The 8-hex-digit anonymous password for captcha seed ``seed``."""
    return hname.sha1(f"{secret}-{seed:x}".encode())[:8]


def anon_cookie_value(secret: str) -> str:
    """``SHA1(TIME/secret)/TIME/anonymous`` for now."""
    now = repr(julian_now())
    return f"{hname.sha1(f'{now}/{secret}'.encode())}/{now}/anonymous"


# -- the captcha of /subscribe and /unsubscribe, and their mail allowance -----------
#
# Fossil's captcha seed is a bare random number whose answer never changes,
# so one solved pair could be replayed forever.  Here a seed is
# ``TIME-NONCE-MAC``: its issue time (unix seconds), 16 random hex digits
# and an HMAC under the repository's captcha-secret.  It is accepted for
# CAPTCHA_LIFETIME seconds and only once: every seed tried is recorded in
# ``fx_captcha_used`` until it would have expired anyway.  The answer is
# drawn as ASCII art (:func:`captcha_render`), never written as text.
#
# Mail sent from those pages is limited per address and per client
# address (``fx_mail_rate``: one row per message and limit key, an hour
# long).  Both tables are fossilpy's own; the ``fx_`` prefix is the one
# Fossil leaves alone (``fossil rebuild`` keeps such tables).

#: Seconds a captcha may be answered after the page showing it was served.
CAPTCHA_LIFETIME = 600
#: Messages the captcha pages may send to one address per MAIL_WINDOW.
MAIL_LIMIT_PER_ADDRESS = 3
#: Messages the captcha pages may send on behalf of one client (REMOTE_ADDR) per MAIL_WINDOW.
MAIL_LIMIT_PER_CLIENT = 10
#: Seconds over which the mail limits count.
MAIL_WINDOW = 3600

#: An ASCII-art font for the 16 hex digits: 7 rows of 5 columns each.
CAPTCHA_FONT: dict[str, tuple[str, ...]] = {
    "0": (" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "),
    "1": ("  #  ", " ##  ", "# #  ", "  #  ", "  #  ", "  #  ", "#####"),
    "2": (" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"),
    "3": ("#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "),
    "4": ("   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "),
    "5": ("#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "),
    "6": ("  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "),
    "7": ("#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "),
    "8": (" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "),
    "9": (" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "),
    "a": ("  #  ", " # # ", "#   #", "#   #", "#####", "#   #", "#   #"),
    "b": ("#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "),
    "c": (" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "),
    "d": ("###  ", "#  # ", "#   #", "#   #", "#   #", "#  # ", "###  "),
    "e": ("#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"),
    "f": ("#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "),
}
#: Spaces between two digits of a drawn captcha.
CAPTCHA_GAP = 3


def captcha_render(answer: str) -> str:
    """``answer`` (hex digits) drawn in :data:`CAPTCHA_FONT`, one text line per font row."""
    glyphs = [CAPTCHA_FONT[c] for c in answer.lower()]
    gap = " " * CAPTCHA_GAP
    return "\n".join(gap.join(g[row] for g in glyphs).rstrip() for row in range(7)) + "\n"


def _captcha_mac(secret: str, body: str) -> str:
    return _hmac_sha256(secret, f"captcha-seed/{body}")[:20]


def captcha_answer(secret: str, seed: str) -> str:
    """The 8 hexadecimal digits that solve captcha ``seed``."""
    return _hmac_sha256(secret, f"captcha-answer/{seed}")[:8]


def captcha_new(secret: str, now: float | None = None) -> tuple[str, str]:
    """(seed, answer) of a fresh captcha issued at ``now``."""
    body = f"{int(time.time() if now is None else now)}-{os.urandom(8).hex()}"
    seed = f"{body}-{_captcha_mac(secret, body)}"
    return seed, captcha_answer(secret, seed)


def _captcha_issued(secret: str, seed: str) -> int | None:
    """The issue time of ``seed`` if it is one of ours (MAC checked), else None."""
    if len(seed) > 64:
        return None
    body, _, mac = seed.rpartition("-")
    when, _, nonce = body.partition("-")
    if not (is_digits(when) and len(nonce) == 16 and capabilities.same_secret(mac, _captcha_mac(secret, body))):
        return None
    return int(when)


def captcha_redeem(w: Repo, secret: str, seed: str, typed: str, *, now: float | None = None) -> bool:
    """True if ``typed`` solves ``seed`` and the seed is ours, unexpired and unused.

    Every genuine seed is used up by this call, solved or not; call it
    inside a write transaction of ``w``.  Seeds we did not sign, or that
    expired, are refused without writing anything.
    """
    now = int(time.time() if now is None else now)
    issued = _captcha_issued(secret, seed)
    if issued is None or not now - CAPTCHA_LIFETIME <= issued <= now + 60:
        return False
    w.execute("CREATE TABLE IF NOT EXISTS fx_captcha_used(seed TEXT PRIMARY KEY, expires INTEGER NOT NULL)")
    w.execute("DELETE FROM fx_captcha_used WHERE expires<?", (now,))
    fresh = (
        w.execute(
            "INSERT OR IGNORE INTO fx_captcha_used(seed,expires) VALUES(?,?)", (seed, issued + CAPTCHA_LIFETIME)
        ).rowcount
        == 1
    )
    answer = typed.strip().lower().replace("o", "0")
    return fresh and capabilities.same_secret(answer, captcha_answer(secret, seed))


def _hmac_sha256(secret: str, text: str) -> str:
    import hashlib  # here and below: hashlib and hmac load OpenSSL, which most pages never need
    import hmac

    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _rate_key(kind: str, value: str) -> str:
    import hashlib

    return kind + ":" + hashlib.sha256(value.strip().lower().encode("utf-8", "surrogateescape")).hexdigest()[:32]


def mail_allowed(w: Repo, address: str, client: str, *, now: float | None = None) -> bool:
    """Count one message to ``address`` asked for by ``client``; False (nothing counted) if over a limit.

    Addresses and client addresses are stored hashed.  Call it inside a
    write transaction of ``w``.
    """
    now = int(time.time() if now is None else now)
    w.execute("CREATE TABLE IF NOT EXISTS fx_mail_rate(who TEXT NOT NULL, mtime INTEGER NOT NULL)")
    w.execute("CREATE INDEX IF NOT EXISTS fx_mail_rate_who ON fx_mail_rate(who, mtime)")
    w.execute("DELETE FROM fx_mail_rate WHERE mtime<=?", (now - MAIL_WINDOW,))
    keys = ((_rate_key("to", address), MAIL_LIMIT_PER_ADDRESS), (_rate_key("ip", client), MAIL_LIMIT_PER_CLIENT))
    for key, limit in keys:
        if w.one("SELECT count(*) FROM fx_mail_rate WHERE who=?", (key,)) >= limit:
            return False
    for key, _limit in keys:
        w.execute("INSERT INTO fx_mail_rate(who,mtime) VALUES(?,?)", (key, now))
    return True
