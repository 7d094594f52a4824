"""Who may do what over sync: capabilities, login cards, remembered passwords.

Capabilities seen by the xfer handler (Fossil 2.21 ``page_xfer`` and
``check_login``) are the union of

* the caps of user ``nobody`` (never ``anonymous``), or the caps forced by
  a trusted door (ssh ``test-http`` and ``file://``: ``sxy``), or those of
  ``REMOTE_USER`` when the ``remote_user_ok`` setting is on;
* the caps of every user named by a valid ``login USER NONCE SIG`` card.

Letters, their expansion and the password and signature checks are
:mod:`fossilpy.repo.capabilities`'s (the one place); the handler asks
its :class:`~fossilpy.repo.capabilities.Caps` (``perms.read``,
``perms.private`` ...).  A login card is valid when ``SIG == sha1(NONCE +
PW)``, or, for a cleartext ``PW``, ``SIG == sha1(NONCE +
shared_secret(PW))``.  ``NONCE`` must be the SHA1 (or SHA3-256, by length)
of every byte after the login line.

Passwords remembered in the ``config`` table (``last-sync-pw``,
``sync-pw:NAME``) are "obscured": hex of one salt byte followed by the
text XOR-ed with a fixed 16-byte pattern and the salt.
"""

from __future__ import annotations

import os

from fossilpy.repo import capabilities
from fossilpy.repo.capabilities import Caps
from fossilpy.repo.db import Repo

_OBSCURER = bytes([0xA7, 0x21, 0x31, 0xE3, 0x2A, 0x50, 0x2C, 0x86,
                   0x4C, 0xA4, 0x52, 0x25, 0xFF, 0x49, 0x35, 0x85])

# The capability and password names callers know as auth.NAME.
SPECIAL_USERS = capabilities.SPECIAL_USERS
user_caps = capabilities.user_caps
shared_secret = capabilities.shared_secret
is_sha1_hex = capabilities.is_sha1_hex


def expand_caps(repo: Repo, caps: str | None) -> Caps:
    """The capabilities granted by the letters ``caps`` (``u``/``v`` looked up in ``repo``)."""
    return capabilities.expand_for(repo, caps)


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
    ok = capabilities.login_card_matches(pw, login, repo.config_get("project-code"), nonce, sig)
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
