"""Signed reply addresses for alert emails: ``PREFIX+TOKEN@DOMAIN``.

A forum or ticket alert carries ``Reply-To: <PREFIX+TOKEN@DOMAIN>``, where
``PREFIX@DOMAIN`` is the ``email-reply-address`` setting (e.g.
``fossil-reply@example.org``; the MTA delivers every ``PREFIX+anything``
to ``fossilpy email-inbound``, see ``www/doc/email-inbound.md``).  The
token names what the reply is about and who may send it, and cannot be
made without the repository's secret.

Token (25 bytes, written as 40 characters of lowercase base32 without
padding, so that it survives MTAs that change the case of local parts and
keeps the local part under RFC 5321's 64 octets)::

    offset size
    0      1    kind: "f" (a forum post) or "t" (a ticket)
    1      4    subscriber.subscriberId, big-endian
    5      2    last day the token is good for, days since 1970-01-01 (UTC), big-endian
    7      8    the first 8 bytes of the target: the forum post's artifact hash
                or the ticket's tkt_uuid (hex)
    15     10   the first 10 bytes of HMAC-SHA256(secret, MESSAGE)

    MESSAGE = "fossilpy-reply-1" NUL  bytes 0..14 of the token
              FULL-TARGET-HASH (lowercase hex) NUL  lowercased subscriber email

The full target hash and the subscriber's address are in the MAC but not
in the token: a subscriber row deleted and its id reused by someone else,
or a hash prefix naming another post, does not verify.

The secret is the config row ``email-reply-secret`` (64 hex digits; not a
setting, never synced), created the first time an alert needs a token.
Verifying never creates it: without one every token is forged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass

from fossilpy.repo.db import Repo

#: Config row holding the HMAC key (hex).
SECRET_NAME = "email-reply-secret"

#: Kinds of target a token can name.
KINDS = {"f": "forum post", "t": "ticket"}

_LAYOUT = struct.Struct(">cIH8s")  # kind, subscriber id, last day, target prefix
_MAC_BYTES = 10
_TOKEN_BYTES = _LAYOUT.size + _MAC_BYTES  # 25
_TOKEN_CHARS = 40
_DOMAIN_TAG = b"fossilpy-reply-1\0"


class BadToken(ValueError):
    """The text is not a token at all (wrong length or alphabet, unknown kind)."""


@dataclass(frozen=True)
class Claim:
    """What a token says, before its MAC is checked."""

    kind: str  # "f" or "t"
    subscriber_id: int
    last_day: int  # days since 1970-01-01
    target_prefix: str  # 16 lowercase hex digits
    signed: bytes  # bytes 0..14
    mac: bytes

    @property
    def expires(self) -> str:
        """The last day as YYYY-MM-DD."""
        return time.strftime("%Y-%m-%d", time.gmtime(self.last_day * 86400))


def secret(repo: Repo, *, create: bool = False) -> bytes | None:
    """The repository's reply secret; made (inside the caller's write) when ``create``."""
    value = repo.config_get(SECRET_NAME)
    if value:
        try:
            return bytes.fromhex(str(value))
        except ValueError:
            pass  # a damaged row is replaced below (tokens made with it die, as they must)
    if not create:
        return None
    key = secrets.token_bytes(32)
    with repo.write():
        repo.config_set(SECRET_NAME, key.hex())
    return key


def _mac(key: bytes, signed: bytes, target: str, email: str) -> bytes:
    message = _DOMAIN_TAG + signed + target.lower().encode("ascii") + b"\0" + email.strip().lower().encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def make(key: bytes, kind: str, subscriber_id: int, email: str, target: str, last_day: int) -> str:
    """The token for ``kind``/``target`` and subscriber ``subscriber_id`` (``email``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown token kind {kind!r}")
    prefix = bytes.fromhex(target[:16])
    if len(prefix) != 8 or not 0 < subscriber_id < 2**32 or not 0 <= last_day < 2**16:
        raise ValueError("target, subscriber id or day out of range for a reply token")
    signed = _LAYOUT.pack(kind.encode("ascii"), subscriber_id, last_day, prefix)
    raw = signed + _mac(key, signed, target, email)
    return base64.b32encode(raw).decode("ascii").lower()


def decode(token: str) -> Claim:
    """Split a token into its claim; BadToken if it is not one."""
    if len(token) != _TOKEN_CHARS:
        raise BadToken("wrong length")
    try:
        raw = base64.b32decode(token.upper())
    except (ValueError, TypeError):
        raise BadToken("not base32") from None
    kind_b, sid, day, prefix = _LAYOUT.unpack(raw[: _LAYOUT.size])
    kind = kind_b.decode("latin-1")
    if kind not in KINDS:
        raise BadToken("unknown kind")
    return Claim(kind, sid, day, prefix.hex(), raw[: _LAYOUT.size], raw[_LAYOUT.size :])


def matches(key: bytes, claim: Claim, email: str, target: str) -> bool:
    """True if ``claim``'s MAC is right for subscriber ``email`` and the full ``target`` hash."""
    if not target.lower().startswith(claim.target_prefix):
        return False
    return hmac.compare_digest(claim.mac, _mac(key, claim.signed, target, email))


def today(now: float | None = None) -> int:
    """Days since 1970-01-01 (UTC)."""
    return int((time.time() if now is None else now) // 86400)


# -- the address -------------------------------------------------------------------


def base_address(repo: Repo) -> tuple[str, str] | None:
    """(local part, domain) of ``email-reply-address``; None when unset or malformed."""
    value = (repo.setting("email-reply-address") or "").strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or "+" in local or any(c in value for c in " <>\t\r\n,;\"'"):
        return None
    return local, domain


def reply_address(
    repo: Repo, kind: str, subscriber_id: int, email: str, target: str, *, now: float | None = None
) -> str | None:
    """``PREFIX+TOKEN@DOMAIN`` for this subscriber and target, or None when reply
    by email is off (``email-reply-address`` unset).  Creates the secret on first use."""
    base = base_address(repo)
    if base is None:
        return None
    days = max(repo.setting_int("email-reply-days"), 1)
    key = secret(repo, create=True)
    assert key is not None
    token = make(key, kind, subscriber_id, email, target, min(today(now) + days, 2**16 - 1))
    return f"{base[0]}+{token}@{base[1]}"


def token_of(address: str, base: tuple[str, str]) -> str | None:
    """The token of ``address`` if it is ``PREFIX+TOKEN@DOMAIN`` for ``base`` (case-insensitive)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.lower() != base[1].lower():
        return None
    head, plus, token = local.partition("+")
    if not plus or head.lower() != base[0].lower() or not token:
        return None
    return token
