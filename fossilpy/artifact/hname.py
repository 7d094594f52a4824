"""Artifact names (hashes) and the hash policy.

An artifact's name is the lowercase hexadecimal hash of its exact bytes:

* 40 hex digits: SHA1 (Fossil uses hardened SHA1, SHA1DC, which equals plain
  SHA1 for every input that is not a crafted collision);
* 64 hex digits: SHA3-256.

``config.hash-policy`` (integer) selects the hash for new content:

    0 sha1        always SHA1
    1 auto        SHA1 until any SHA3 name is stored, then behaves as 2
    2 sha3        SHA3-256 for new content (default for new repositories)
    3 sha3-only   SHA3-256 only
    4 shun-sha1   SHA3-256 only, and received SHA1 artifacts are discarded
"""

from __future__ import annotations

from typing import Protocol

HNAME_SHA1 = 1
HNAME_SHA3 = 2
HNAME_LEN_SHA1 = 40
HNAME_LEN_SHA3 = 64

POLICY_SHA1 = 0
POLICY_AUTO = 1
POLICY_SHA3 = 2
POLICY_SHA3_ONLY = 3
POLICY_SHUN_SHA1 = 4
POLICY_NAMES = ("sha1", "auto", "sha3", "sha3-only", "shun-sha1")

_HEX = frozenset("0123456789abcdefABCDEF")


def sha1(data: bytes) -> str:
    """Return the 40-digit SHA1 name of ``data``."""
    import hashlib  # here, not above: loading OpenSSL costs 2-4 ms a command that reads but never hashes

    return hashlib.sha1(data).hexdigest()


def sha3(data: bytes) -> str:
    """Return the 64-digit SHA3-256 name of ``data``."""
    import hashlib

    return hashlib.sha3_256(data).hexdigest()


class Hasher(Protocol):
    """What :func:`md5` returns (hashlib's interface)."""

    def update(self, data: bytes | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


def md5(data: bytes | memoryview = b"") -> Hasher:
    """An MD5 hasher fed ``data`` (Z cards, R cards, fingerprints).

    The interpreter's own ``_md5`` when it has one: as fast as OpenSSL's
    (faster on manifest-sized inputs), and ``hashlib`` would load OpenSSL,
    3.7 MiB of resident memory and 2-4 ms for a command that never
    computes an artifact name.
    """
    try:
        import _md5  # type: ignore[import-not-found]
    except ImportError:  # an interpreter built without its own hash modules
        import hashlib

        return hashlib.md5(data)
    hasher: Hasher = _md5.md5(data)
    return hasher


def hash_type(name: str) -> int:
    """Return HNAME_SHA1 or HNAME_SHA3 for a valid name, 0 otherwise."""
    if len(name) == HNAME_LEN_SHA1 and _HEX.issuperset(name):
        return HNAME_SHA1
    if len(name) == HNAME_LEN_SHA3 and _HEX.issuperset(name):
        return HNAME_SHA3
    return 0


def is_valid(name: str) -> bool:
    """True if ``name`` is 40 or 64 hexadecimal digits."""
    return hash_type(name) != 0


def compute(data: bytes, htype: int) -> str:
    """Hash ``data`` with the algorithm of ``htype``."""
    return sha3(data) if htype == HNAME_SHA3 else sha1(data)


def verify(data: bytes, name: str) -> bool:
    """True if ``name`` (either length) is the hash of ``data``."""
    htype = hash_type(name)
    if not htype:
        return False
    return compute(data, htype) == name.lower()


def default_for_policy(policy: int) -> int:
    """The hash type a repository with ``policy`` uses for new content."""
    return HNAME_SHA1 if policy in (POLICY_SHA1, POLICY_AUTO) else HNAME_SHA3


def policy_from_name(text: str) -> int:
    """Parse a hash-policy setting, by name or number; raise ValueError."""
    text = text.strip().lower()
    if text in POLICY_NAMES:
        return POLICY_NAMES.index(text)
    value = int(text)
    if not 0 <= value < len(POLICY_NAMES):
        raise ValueError(f"unknown hash policy {text!r}")
    return value
