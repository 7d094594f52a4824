"""Who may do what over sync: capabilities, login cards, shared secrets.

Capabilities seen by the xfer handler (Fossil 2.21 ``page_xfer`` and
``check_login``) are the union of

* the caps of user ``nobody`` (never ``anonymous``), or the caps forced by
  a trusted door (ssh ``test-http`` and ``file://``: ``sxy``), or those of
  ``REMOTE_USER`` when the ``remote_user_ok`` setting is on;
* the caps of every user named by a valid ``login USER NONCE SIG`` card.

Password forms (``user.pw``)::

    40 hex digits   sha1("PROJECT-CODE/LOGIN/PASSWORD")   (shared secret)
    anything else   the cleartext password

A login card is valid when ``SIG == sha1(NONCE + PW)``, or, for a cleartext
``PW``, ``SIG == sha1(NONCE + shared_secret(PW))``.  ``NONCE`` must be the
SHA1 (or SHA3-256, by length) of every byte after the login line.

Passwords remembered in the ``config`` table (``last-sync-pw``,
``sync-pw:NAME``) are "obscured": hex of one salt byte followed by the
text XOR-ed with a fixed 16-byte pattern and the salt.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from fossilpy.repo.db import Repo

#: Single-letter permission flags used by the sync code.
READ, WRITE, CLONE, PRIVATE, ADMIN, SETUP, RDADDR, WRUNVER = "oigxasey"

_OBSCURER = bytes([0xA7, 0x21, 0x31, 0xE3, 0x2A, 0x50, 0x2C, 0x86,
                   0x4C, 0xA4, 0x52, 0x25, 0xFF, 0x49, 0x35, 0x85])

SPECIAL_USERS = ("anonymous", "nobody", "developer", "reader")


def expand_caps(repo: Repo, caps: str, _seen: set[str] | None = None) -> set[str]:
    """The sync-relevant permissions implied by a capability string.

    ``s`` implies ``a``; ``a`` implies clone, read, write and e-mail
    addresses; ``i`` implies read; ``u``/``v`` inherit the caps of the
    ``reader``/``developer`` users.  ``x`` and ``y`` are never implied.
    """
    seen = _seen if _seen is not None else set()
    perms: set[str] = set()
    for c in caps or "":
        if c == "s":
            perms |= {SETUP, ADMIN, CLONE, READ, WRITE, RDADDR}
        elif c == "a":
            perms |= {ADMIN, CLONE, READ, WRITE, RDADDR}
        elif c == "i":
            perms |= {READ, WRITE}
        elif c in "ogxey":
            perms.add(c)
        elif c in "uv" and c not in seen:
            seen.add(c)
            login = "reader" if c == "u" else "developer"
            sub = repo.one("SELECT cap FROM user WHERE login=?", (login,), "") or ""
            perms |= expand_caps(repo, sub, seen)
    return perms


def user_caps(repo: Repo, login: str) -> str:
    """The capability string of ``login`` ('' if none)."""
    return repo.one("SELECT cap FROM user WHERE login=?", (login,), "") or ""


def shared_secret(password: str, login: str, project_code: str | None) -> str:
    """sha1("PROJECT/LOGIN/PASSWORD"); the password itself if no project code."""
    if not project_code:
        return password
    return hashlib.sha1(f"{project_code}/{login}/{password}".encode()).hexdigest()


def is_sha1_hex(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdefABCDEF" for c in text)


def check_login(
    repo: Repo, login: str, nonce: str, sig: str, *, remote_user: str | None = None
) -> tuple[bool, str | None, int]:
    """Verify a login card's signature.

    Returns ``(ok, caps, uid)``.  ``nobody``/``anonymous`` and an accepted
    ``REMOTE_USER`` are ok but add no caps (``caps`` is None).
    """
    if login in ("nobody", "anonymous"):
        return True, None, 0
    if remote_user is not None and remote_user == login and repo.config_bool("remote_user_ok"):
        return True, None, 0
    row = repo.row(
        "SELECT pw, cap, uid FROM user WHERE login=? AND login NOT IN"
        " ('anonymous','nobody','developer','reader') AND length(pw)>0",
        (login,),
    )
    if row is None:
        return False, None, 0
    pw, cap, uid = str(row[0]), row[1] or "", row[2]
    expect = hashlib.sha1((nonce + pw).encode()).hexdigest()
    ok = hmac.compare_digest(expect, sig)
    if not ok and len(pw) != 40:
        secret = shared_secret(pw, login, repo.config_get("project-code"))
        expect = hashlib.sha1((nonce + secret).encode()).hexdigest()
        ok = hmac.compare_digest(expect, sig)
    return ok, (cap if ok else None), (uid if ok else 0)


def obscure(text: str | None) -> str | None:
    """Fossil's ``obscure()`` with a random salt."""
    if text is None:
        return None
    data = text.encode()
    salt = os.urandom(1)[0]
    body = bytes(b ^ _OBSCURER[i & 15] ^ salt for i, b in enumerate(data))
    return (bytes([salt]) + body).hex()


def unobscure(text: str | None) -> str | None:
    """Undo :func:`obscure`; text that is not hex is returned unchanged."""
    if text is None:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return text
    if len(text) < 2 or len(text) % 2:
        return text
    salt, body = raw[0], raw[1:]
    return bytes(b ^ _OBSCURER[i & 15] ^ salt for i, b in enumerate(body)).decode(
        "utf-8", "replace"
    )
