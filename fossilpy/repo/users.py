"""Users: the ``user`` table (Fossil 2.21 ``user.c``, ``login.c``).

Capability letters and passwords are decided in one place,
:mod:`fossilpy.repo.capabilities` (expansion, :class:`~fossilpy.repo.capabilities.Caps`,
shared secrets); the names below that come from there are re-exported for
the callers that know them by this module.

A login succeeds (:func:`check_password`) for a user with caps and a
password whose password matches (``capabilities.password_matches``); the
four special users (anonymous, nobody, developer, reader) never log in by
password here, and ``info`` text "expires YYYY-MM-DD" ends logins after
that date.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fossilpy.errors import NotFound, UserError
from fossilpy.repo import capabilities as _caps  # (this module defines a capabilities() function)
from fossilpy.repo.capabilities import password_matches
from fossilpy.repo.db import Repo

if TYPE_CHECKING:
    import random

# The capability and password names callers know as users.NAME.
CAP_NAMES = _caps.CAP_NAMES
SPECIAL_USERS = _caps.SPECIAL_USERS
expand_caps = _caps.expand
effective_caps = _caps.effective_caps
user_caps = _caps.user_caps
shared_secret = _caps.shared_secret


# ---------------------------------------------------------------------------
# Passwords.
# ---------------------------------------------------------------------------

_PASSWORD_ALPHABET = "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def _system_random() -> random.SystemRandom:
    """The operating system's random numbers (what ``secrets`` uses, without its hmac import,
    which loads OpenSSL into a clone that needs no hash)."""
    import random

    return random.SystemRandom()


def random_password(length: int = 10) -> str:
    """A random password of distinct, easily told-apart characters."""
    length = max(8, min(length, len(_PASSWORD_ALPHABET)))
    pool = list(_PASSWORD_ALPHABET)
    out = []
    for _ in range(length):
        out.append(pool.pop(_system_random().randrange(len(pool))))
    return "".join(out)


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

    m = re.search(r"<([^<>\s@]+@[^<>\s@]+)>", info) or re.search(r"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+)", info)
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
        repo.execute("UPDATE user SET pw=?, mtime=strftime('%s','now') WHERE uid=?", (secret, uid))


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
        (str(r[0]), "" if r[1] is None else str(r[1])) for r in repo.all("SELECT login, info FROM user ORDER BY login")
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
        repo.execute("UPDATE user SET cap='s', pw=? WHERE login=?", (random_password(10), admin_login))
        repo.execute(
            "INSERT OR IGNORE INTO user(login,pw,cap,info) VALUES('anonymous',hex(randomblob(8)),'hmnc','Anon')"
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
            "SELECT cookie FROM user WHERE uid=? AND cexpire>julianday('now') AND length(cookie)>30",
            (uid,),
        )
        value = str(current) if current else os.urandom(25).hex().upper()
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
        "SELECT uid, cookie FROM user WHERE login=? AND cexpire>julianday('now') AND length(cap)>0 AND length(pw)>0",
        (login,),
    )
    if row is None or not row[1]:
        return 0
    return int(row[0]) if hmac.compare_digest(str(row[1]), cookie_hash) else 0


def logout(repo: Repo, uid: int) -> None:
    """Invalidate the login cookie of ``uid``."""
    with repo.write():
        repo.execute("UPDATE user SET cookie=NULL, cexpire=0 WHERE uid=?", (uid,))


# ---------------------------------------------------------------------------
# The /setup_uedit and /register writes (``setupuser.c`` ``user_edit``,
# ``login.c`` ``register_page``).
# ---------------------------------------------------------------------------


def keeps_password(pw: str | None) -> bool:
    """True if the password field ``pw`` means "leave the password as it is":
    missing, or non-empty and made of ``*`` only (``isValidPwString`` false)."""
    return pw is None or (pw != "" and not pw.strip("*"))


def save_user(repo: Repo, uid: int, login: str, info: str, pw: str | None, caps: str) -> int:
    """Write user ``uid`` (0: a new one) as ``/setup_uedit`` does; return its uid.

    The row is replaced (``REPLACE INTO user(uid,login,info,pw,cap,mtime)``),
    so cookies and other columns start afresh, as in Fossil.  ``pw`` is the
    password field: a new password is stored as its shared secret, and
    ``keeps_password`` values keep the stored one.  A renamed user's
    subscription follows the new name.  Raises UserError for an empty login
    or one used by another user.
    """
    if not login:
        raise UserError("Empty login not allowed.")
    if repo.one("SELECT 1 FROM user WHERE login=? AND uid!=?", (login, uid)):
        raise UserError(f'Login "{login}" is already used by a different user.')
    with repo.write():
        if keeps_password(pw):
            secret = repo.one("SELECT pw FROM user WHERE uid=?", (uid,))
        else:
            secret = shared_secret(pw or "", login, repo.config_get("project-code"))
        old = repo.one("SELECT login FROM user WHERE uid=?", (uid,))
        cur = repo.execute(
            "REPLACE INTO user(uid,login,info,pw,cap,mtime) VALUES(nullif(?,0),?,?,?,?,strftime('%s','now'))",
            (uid, login, info, secret, caps),
        )
        if old is not None and old != login and repo.table_exists("subscriber"):
            repo.execute("UPDATE subscriber SET suname=? WHERE suname=?", (login, old))
        return uid or int(cur.lastrowid or 0)


def delete_user(repo: Repo, uid: int) -> str | None:
    """Delete user ``uid`` and its subscription; return its login (None: no such user)."""
    with repo.write():
        login = repo.one("SELECT login FROM user WHERE uid=?", (uid,))
        if login is None:
            return None
        if repo.table_exists("subscriber"):
            repo.execute("DELETE FROM subscriber WHERE suname=?", (login,))
        repo.execute("DELETE FROM user WHERE uid=?", (uid,))
        return str(login)


def email_in_use(repo: Repo, address: str) -> bool:
    """True if a user's contact info already holds ``address`` (any case)."""
    low = address.lower()
    for (info,) in repo.all("SELECT info FROM user WHERE info LIKE ?", ("%" + address + "%",)):
        found = _email_of(str(info or ""))
        if found is not None and found.lower() == low:
            return True
    return False
