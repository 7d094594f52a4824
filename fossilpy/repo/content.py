"""The content store: blobs, delta chains and phantoms.

On disk (Fossil 2.21, ``src/content.c``)::

    blob(rid INTEGER PRIMARY KEY, rcvid, size, uuid UNIQUE, content)
        content = 4-byte big-endian length + zlib (fossilpy.artifact.blob),
                  holding either the full artifact or a delta; NULL and
                  size=-1 for a phantom (an artifact known by name only)
    delta(rid INTEGER PRIMARY KEY, srcid)
        present iff blob.content of rid is a delta against the full text
        of srcid; chains are allowed, cycles are not
    phantom(rid), private(rid), unclustered(rid), unsent(rid), shun(uuid)

This module holds the read side used by every layer; the write side
(put, phantoms, deltification) lives beside it.
"""

from __future__ import annotations

from fossilpy.artifact import blob, delta
from fossilpy.errors import ArtifactError, StorageError
from fossilpy.repo.db import Repo

#: Expanded artifacts kept per repository handle (by count).
CACHE_LIMIT = 64


def rid_of(repo: Repo, uuid: str) -> int:
    """The rid of artifact ``uuid`` (full hash), or 0."""
    return repo.one("SELECT rid FROM blob WHERE uuid=?", (uuid.lower(),), 0)


def uuid_of(repo: Repo, rid: int) -> str | None:
    """The hash of ``rid``, or None."""
    return repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))


def is_available(repo: Repo, rid: int) -> bool:
    """True if the full text of ``rid`` can be rebuilt (no phantom on its chain)."""
    seen = set()
    while rid and rid not in seen:
        seen.add(rid)
        size = repo.one("SELECT size FROM blob WHERE rid=?", (rid,))
        if size is None or size < 0:
            return False
        rid = repo.one("SELECT srcid FROM delta WHERE rid=?", (rid,), 0)
    return True


def get(repo: Repo, rid: int) -> bytes | None:
    """The full text of artifact ``rid``; None for a phantom or unknown rid.

    Raises ArtifactError if stored data is corrupt (bad zlib, bad delta,
    delta cycle).
    """
    cached = repo.cache.get(rid)
    if cached is not None:
        return cached
    # Walk the delta chain down to a full-text blob, then apply upwards.
    chain: list[int] = []
    cur = rid
    base: bytes | None = None
    seen: set[int] = set()
    while True:
        if cur in seen:
            raise ArtifactError(f"delta loop in the content store at rid {cur}")
        seen.add(cur)
        if cur in repo.cache and cur != rid:
            base = repo.cache[cur]
            break
        src = repo.one("SELECT srcid FROM delta WHERE rid=?", (cur,), 0)
        if not src:
            row = repo.row("SELECT content, size FROM blob WHERE rid=?", (cur,))
            if row is None or row[0] is None or row[1] is None or row[1] < 0:
                return None
            base = blob.uncompress(row[0], what=f"artifact rid {cur}")
            break
        chain.append(cur)
        cur = src
    for r in reversed(chain):
        data = repo.one("SELECT content FROM blob WHERE rid=?", (r,))
        if data is None:
            return None
        base = delta.apply(base, blob.uncompress(data, what=f"delta rid {r}"))
    if len(repo.cache) >= CACHE_LIMIT:
        repo.cache.pop(next(iter(repo.cache)))
    repo.cache[rid] = base
    return base


def get_by_uuid(repo: Repo, uuid: str) -> bytes | None:
    """Full text by hash, or None."""
    rid = rid_of(repo, uuid)
    return get(repo, rid) if rid else None


def raw(repo: Repo, rid: int) -> tuple[bytes | None, int]:
    """The stored ``blob.content`` of ``rid`` and its delta source (0 if none)."""
    row = repo.row(
        "SELECT content, (SELECT srcid FROM delta WHERE rid=blob.rid) FROM blob WHERE rid=?",
        (rid,),
    )
    if row is None:
        raise StorageError(f"no artifact with rid {rid}")
    return row[0], row[1] or 0
