"""Users, passwords and capabilities (Fossil 2.21 ``login.c``, ``user.c``).

Passwords (``user.pw``)::

    pw := 40 hex digits   SHA1(project-code "/" login "/" password), the
                          "shared secret"; what every password change stores
        | anything else   the password in cleartext (initial setup users,
                          the anonymous user's captcha password)

A password is accepted if it hashes to the stored secret, or, when the
stored value is not 40 characters long, if it equals the stored value.  The
four special users (anonymous, nobody, developer, reader) never log in by
password here, and ``info`` text "expires YYYY-MM-DD" ends logins after
that date.

Capabilities are letters (see :data:`CAP_NAMES`).  Some imply others:
``s`` everything ``a`` gives plus setup; ``a`` nearly everything except
``x`` (private sync) and ``y`` (unversioned writes); ``i`` implies ``o``;
``k`` implies ``j``/``m``; ``w`` implies ``r``/``n``/``c``; forum levels
``6`` > ``5`` > ``4`` > ``3`` > ``2``; ``u`` and ``v`` inherit the caps of
the users ``reader`` and ``developer`` (once each).  Effective caps of a
request: the user's own, plus ``nobody``'s always, plus ``anonymous``'s for
any logged-in user except on ``/xfer`` (sync).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping

from fossilpy.errors import NotFound, UserError
from fossilpy.repo.db import Repo

#: Logins created by every new repository besides the setup user.
SPECIAL_USERS = ("anonymous", "nobody", "developer", "reader")

#: Capability letter -> short description (as shown on the user pages).
CAP_NAMES: dict[str, str] = {
    "a": "Admin",
    "b": "Attach",
    "c": "Append-Tkt",
    "d": "Delete (unused)",
    "e": "View-PII",
    "f": "New-Wiki",
    "g": "Clone",
    "h": "Hyperlinks",
    "i": "Check-In",
    "j": "Read-Wiki",
    "k": "Write-Wiki",
    "l": "Mod-Wiki",
    "m": "Append-Wiki",
    "n": "New-Tkt",
    "o": "Check-Out",
    "p": "Password",
    "q": "Mod-Tkt",
    "r": "Read-Tkt",
    "s": "Setup",
    "t": "Tkt-Report",
    "u": "Reader",
    "v": "Developer",
    "w": "Write-Tkt",
    "x": "Private",
    "y": "Write-Unver",
    "z": "Zip download",
    "2": "Forum-Read",
    "3": "Forum-Write",
    "4": "Forum-Trusted",
    "5": "Forum-Mod",
    "6": "Forum-Admin",
    "7": "Email-Alerts",
    "A": "Announce",
    "C": "Chat",
    "D": "Debug",
}

#: What ``a`` grants (``s`` grants the same plus ``s``).
_ADMIN_GRANTS = frozenset("arwzjkfmhgnpetbclq23456C7ADoi")

#: Letters granting more than themselves (besides a, s, u, v).
_IMPLIES: dict[str, str] = {
    "i": "io",
    "k": "kjm",
    "w": "wrnc",
    "6": "65432",
    "5": "5432",
    "4": "432",
    "3": "32",
}

#: Letters that grant exactly themselves.
_PLAIN = frozenset("ozhgpjmflerncqtbxy27ACD")


def expand_caps(caps: str | None, lookup: Callable[[str], str | None] | None = None) -> frozenset[str]:
    """The full set of capabilities granted by the letters ``caps``.

    ``lookup(login)`` returns another user's cap string; it resolves ``u``
    (user ``reader``) and ``v`` (user ``developer``), each followed once.
    Without it, ``u`` and ``v`` grant nothing.  Unknown letters (and the
    legacy ``d``) grant nothing.
    """
    out: set[str] = set()
    followed: set[str] = set()
    todo = [caps or ""]
    while todo:
        for ch in todo.pop():
            if ch == "s":
                out.add("s")
                out |= _ADMIN_GRANTS
            elif ch == "a":
                out |= _ADMIN_GRANTS
            elif ch in _IMPLIES:
                out.update(_IMPLIES[ch])
            elif ch in _PLAIN:
                out.add(ch)
            elif ch in "uv":
                who = "reader" if ch == "u" else "developer"
                if who not in followed and lookup is not None:
                    followed.add(who)
                    todo.append(lookup(who) or "")
    return frozenset(out)


def user_caps(repo: Repo, login: str) -> str:
    """The raw ``user.cap`` of ``login`` ('' if no such user)."""
    return repo.one("SELECT cap FROM user WHERE login=?", (login,), "") or ""


def effective_caps(repo: Repo, login: str | None, *, sync: bool = False) -> frozenset[str]:
    """Capabilities of a request made as ``login`` (None or "nobody": not logged in).

    Everybody gets ``nobody``'s caps; a logged-in user (anonymous included)
    also gets ``anonymous``'s, except for sync (``sync=True``).
    """

    def lookup(name: str) -> str:
        return user_caps(repo, name)

    text = user_caps(repo, "nobody")
    if login and login != "nobody":
        text += user_caps(repo, login)
        if not sync:
            text += user_caps(repo, "anonymous")
    return expand_caps(text, lookup)


# ---------------------------------------------------------------------------
# Passwords.
# ---------------------------------------------------------------------------

_PASSWORD_ALPHABET = "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def random_password(length: int = 10) -> str:
    """A random password of distinct, easily told-apart characters."""
    length = max(8, min(length, len(_PASSWORD_ALPHABET)))
    pool = list(_PASSWORD_ALPHABET)
    out = []
    for _ in range(length):
        out.append(pool.pop(secrets.randbelow(len(pool))))
    return "".join(out)


def shared_secret(password: str, login: str, project_code: str | None) -> str:
    """SHA1(project-code "/" login "/" password) in hex; the password itself
    when the project code is unknown (first round of a clone)."""
    if not project_code:
        return password
    text = f"{project_code}/{login}/{password}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def password_matches(stored: str | None, password: str, login: str, project_code: str | None) -> bool:
    """True if ``password`` (cleartext) matches the stored ``user.pw``."""
    if not stored:
        return False
    if stored == shared_secret(password, login, project_code):
        return True
    return len(stored) != 40 and stored == password


def check_password(repo: Repo, login: str, password: str) -> int:
    """The uid if ``login``/``password`` may log in, else 0.

    ``login`` may also be an email address found in a user's contact info.
    """
    code = repo.config_get("project-code")
    uid = _check_one(repo, login, password, code)
    if uid or "@" not in login:
        return uid
    for (other,) in repo.all("SELECT login FROM user WHERE instr(login,'@')=0 ORDER BY uid"):
        info = repo.one("SELECT info FROM user WHERE login=?", (other,)) or ""
        if _email_of(info) == login:
            uid = _check_one(repo, other, password, code)
            if uid:
                return uid
    return 0


def _check_one(repo: Repo, login: str, password: str, code: str | None) -> int:
    row = repo.row(
        "SELECT uid, pw FROM user WHERE login=? AND length(cap)>0 AND length(pw)>0"
        " AND login NOT IN ('anonymous','nobody','developer','reader')"
        " AND (info NOT LIKE '%expires 20%'"
        "      OR substr(info,instr(lower(info),'expires')+8,10)>datetime('now'))",
        (login,),
    )
    if row is None:
        return 0
    return int(row[0]) if password_matches(row[1], password, login, code) else 0


def _email_of(info: str) -> str | None:
    """The first "<addr@host>" or bare addr@host in contact text."""
    import re

    m = re.search(r"<([^<>\s@]+@[^<>\s@]+)>", info) or re.search(
        r"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+)", info
    )
    return m.group(1) if m else None


# ---------------------------------------------------------------------------
# User management.
# ---------------------------------------------------------------------------


def _uid(repo: Repo, login: str) -> int:
    uid = repo.one("SELECT uid FROM user WHERE login=?", (login,), 0)
    if not uid:
        raise NotFound(f"no such user: {login}")
    return int(uid)


def create_user(
    repo: Repo,
    login: str,
    *,
    password: str = "",
    caps: str | None = None,
    contact: str = "",
) -> int:
    """Add a user (caps default to the ``default-perms`` setting); return the uid."""
    if not login:
        raise UserError("a login name is required")
    if repo.one("SELECT 1 FROM user WHERE login=?", (login,)):
        raise UserError(f"user {login} already exists")
    if caps is None:
        caps = repo.setting("default-perms") or ""
    pw = shared_secret(password, login, repo.config_get("project-code"))
    with repo.write():
        cur = repo.execute(
            "INSERT INTO user(login,pw,cap,info,mtime) VALUES(?,?,?,?,strftime('%s','now'))",
            (login, pw, caps, contact),
        )
        return int(cur.lastrowid or 0)


def set_password(repo: Repo, login: str, password: str) -> None:
    """Store ``password`` for ``login`` in shared-secret form."""
    uid = _uid(repo, login)
    secret = shared_secret(password, login, repo.config_get("project-code"))
    with repo.write():
        repo.execute(
            "UPDATE user SET pw=?, mtime=strftime('%s','now') WHERE uid=?", (secret, uid)
        )


def set_capabilities(repo: Repo, login: str, caps: str) -> None:
    """Replace the capability letters of ``login``."""
    uid = _uid(repo, login)
    with repo.write():
        repo.execute("UPDATE user SET cap=?, mtime=strftime('%s','now') WHERE uid=?", (caps, uid))


def set_contact(repo: Repo, login: str, info: str) -> None:
    """Replace the contact information of ``login``."""
    uid = _uid(repo, login)
    with repo.write():
        repo.execute("UPDATE user SET info=?, mtime=strftime('%s','now') WHERE uid=?", (info, uid))


def capabilities(repo: Repo, login: str) -> str:
    """The raw capability letters of ``login``; NotFound if no such user."""
    uid = _uid(repo, login)
    return repo.one("SELECT cap FROM user WHERE uid=?", (uid,), "") or ""


def list_users(repo: Repo) -> list[tuple[str, str]]:
    """(login, contact info) of every user, by login."""
    return [
        (str(r[0]), "" if r[1] is None else str(r[1]))
        for r in repo.all("SELECT login, info FROM user ORDER BY login")
    ]


_ENV_USER_VARS = ("FOSSIL_USER", "USER", "LOGNAME", "USERNAME")


def default_admin_login(env: Mapping[str, str] | None, repo: Repo | None = None) -> str:
    """Login for a new repository's setup user.

    The ``default-user`` setting, then FOSSIL_USER, USER, LOGNAME, USERNAME
    from ``env``, else "root".
    """
    if repo is not None:
        name = repo.config_get("default-user")
        if name:
            return str(name)
    for var in _ENV_USER_VARS:
        value = (env or {}).get(var)
        if value:
            return value
    return "root"


def select_user(repo: Repo, env: Mapping[str, str] | None) -> tuple[int, str]:
    """(uid, login) of the acting user: the first existing one of
    ``default-user``, FOSSIL_USER, USER, LOGNAME, USERNAME."""
    candidates = [repo.config_get("default-user")] + [(env or {}).get(v) for v in _ENV_USER_VARS]
    for name in candidates:
        if name:
            uid = repo.one("SELECT uid FROM user WHERE login=?", (name,), 0)
            if uid:
                return int(uid), str(name)
    raise UserError(
        "cannot determine user",
        hint='set USER or run "fossilpy user default LOGIN"',
    )


def set_default_user(repo: Repo, login: str) -> None:
    """Make ``login`` the repository's default user (``default-user``)."""
    _uid(repo, login)
    repo.config_set("default-user", login)


def create_default_users(repo: Repo, admin_login: str) -> int:
    """The users of a new repository; return the setup user's uid.

    The setup user gets cap ``s`` and a random 10-character password stored
    in cleartext; ``anonymous`` a random cleartext password (16 upper-case
    hex digits) and ``hmnc``; ``nobody`` ``gjorz``; ``developer`` ``ei``;
    ``reader`` ``kptw``.
    """
    with repo.write():
        repo.execute("INSERT OR IGNORE INTO user(login, info) VALUES(?,'')", (admin_login,))
        repo.execute(
            "UPDATE user SET cap='s', pw=? WHERE login=?", (random_password(10), admin_login)
        )
        repo.execute(
            "INSERT OR IGNORE INTO user(login,pw,cap,info)"
            " VALUES('anonymous',hex(randomblob(8)),'hmnc','Anon')"
        )
        for login, caps, info in (
            ("nobody", "gjorz", "Nobody"),
            ("developer", "ei", "Dev"),
            ("reader", "kptw", "Reader"),
        ):
            repo.execute(
                "INSERT OR IGNORE INTO user(login,pw,cap,info) VALUES(?,'',?,?)",
                (login, caps, info),
            )
        return _uid(repo, admin_login)


# ---------------------------------------------------------------------------
# Login cookies (the user-table side; the HTTP side belongs to the web layer).
#
#   cookie name  := "fossil-" first 16 chars of login-group-code, else of
#                   project-code
#   cookie value := HASH "/" first 16 chars of project-code "/" LOGIN
#   HASH         := user.cookie, 50 upper-case hex digits (25 random bytes),
#                   valid while user.cexpire (Julian day) is in the future
# ---------------------------------------------------------------------------


def login_cookie_hash(repo: Repo, uid: int, hours: float) -> str:
    """The HASH part of a login cookie for ``uid``, valid ``hours`` from now.

    An unexpired existing hash longer than 30 characters is reused (so one
    user can be logged in from several places), else a new one is made.
    """
    with repo.write():
        current = repo.one(
            "SELECT cookie FROM user WHERE uid=? AND cexpire>julianday('now')"
            " AND length(cookie)>30",
            (uid,),
        )
        value = str(current) if current else secrets.token_hex(25).upper()
        repo.execute(
            "UPDATE user SET cookie=?, cexpire=julianday('now')+?/24.0 WHERE uid=?",
            (value, hours, uid),
        )
    return value


def user_for_cookie(repo: Repo, login: str, cookie_hash: str) -> int:
    """The uid whose login cookie HASH this is (0 if none or expired)."""
    import hmac

    if login in SPECIAL_USERS or not cookie_hash:
        return 0
    row = repo.row(
        "SELECT uid, cookie FROM user WHERE login=? AND cexpire>julianday('now')"
        " AND length(cap)>0 AND length(pw)>0",
        (login,),
    )
    if row is None or not row[1]:
        return 0
    return int(row[0]) if hmac.compare_digest(str(row[1]), cookie_hash) else 0


def logout(repo: Repo, uid: int) -> None:
    """Invalidate the login cookie of ``uid``."""
    with repo.write():
        repo.execute("UPDATE user SET cookie=NULL, cexpire=0 WHERE uid=?", (uid,))
