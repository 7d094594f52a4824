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

Read side: :func:`get`, :func:`rid_of`, :func:`uuid_of`, :func:`raw`, ...
Write side (always inside ``with repo.write():``):

* :func:`put` stores full text or a delta and fills phantoms;
  :func:`put_raw` stores a received ``blob.content`` value verbatim;
* :func:`new_phantom` / :func:`rid_for` create names without content;
* :func:`deltify` / :func:`undeltify` change storage, never content;
* :func:`mark_private` / :func:`make_public`, :func:`is_shunned`;
* :func:`check_integrity` re-expands everything (``fossil test-integrity``;
  implemented in :mod:`fossilpy.repo.integrity`).

Bookkeeping kept by the write side, as Fossil does:

* a new name gets an ``unclustered`` row unless it is private, in which
  case it gets a ``private`` row instead;
* a phantom (size -1, NULL content) also has a ``phantom`` row, deleted
  when the content arrives;
* every stored artifact points at an ``rcvfrom`` row (``blob.rcvid``);
  unless the caller passes one, :func:`put` creates one per write
  transaction (see :func:`begin_receive`);
* nothing here crosslinks: callers run ``fossilpy.repo.crosslink`` on what
  they stored (and on :func:`delta_dependents` of a filled phantom).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from fossilpy import budget
from fossilpy.artifact import blob, delta, hname
from fossilpy.errors import ArtifactError, StorageError
from fossilpy.repo.db import Repo

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.integrity import IntegrityReport

#: Expanded artifacts kept per repository handle (by count).
CACHE_LIMIT = 64


def rid_of(repo: Repo, uuid: str) -> int:
    """The rid of artifact ``uuid`` (full hash), or 0."""
    return int(repo.one("SELECT rid FROM blob WHERE uuid=?", (uuid.lower(),), 0))


def uuid_of(repo: Repo, rid: int) -> str | None:
    """The hash of ``rid``, or None."""
    uuid: str | None = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
    return uuid


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
    if (cached := repo.cache.get(rid)) is not None:
        return cached
    # Walk the delta chain down to a full-text blob (one query a link), then apply upwards.
    chain: list[tuple[int, bytes | None]] = []
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
        row = repo.row("SELECT content, size, (SELECT srcid FROM delta WHERE rid=?1) FROM blob WHERE rid=?1", (cur,))
        if row is None or not row[2]:
            if row is None or row[0] is None or row[1] is None or row[1] < 0:
                return None
            base = blob.uncompress(row[0], what=f"artifact rid {cur}", limit=budget.room(blob.MAX_SIZE))
            break
        chain.append((cur, row[0]))
        cur = row[2]
    for r, data in reversed(chain):
        if data is None:
            return None
        room = budget.room(blob.MAX_SIZE)  # a request's buffers fit its memory allowance
        base = delta.apply(base, blob.uncompress(data, what=f"delta rid {r}", limit=room), max_size=room)
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


# ---------------------------------------------------------------------------
# Write side.
# ---------------------------------------------------------------------------

#: Artifacts smaller than this are never stored as deltas (and never used
#: as delta sources).
DELTA_MIN_SIZE = 50
#: A delta is kept only if it is smaller than this fraction of the full text.
DELTA_MAX_RATIO = 0.75


def hash_policy(repo: Repo) -> int:
    """The repository's hash policy (``config.hash-policy``, hname.POLICY_*).

    When the row is missing, derive it as Fossil does on open: sha3 if any
    SHA3 name is stored or there are no artifacts at all, otherwise auto.
    """
    value = repo.config_get("hash-policy")
    if value is not None:
        try:
            return hname.policy_from_name(str(value))
        except ValueError:
            pass
    if repo.one("SELECT 1 FROM blob WHERE length(uuid)>40 LIMIT 1") or not repo.one(
        "SELECT 1 FROM blob LIMIT 1"
    ):
        return hname.POLICY_SHA3
    return hname.POLICY_AUTO


def name_for(repo: Repo, data: bytes, policy: int | None = None) -> str:
    """The name new content ``data`` gets under the repository's hash policy.

    If the same bytes are already stored (or wanted, as a phantom) under
    the *other* hash, that existing name is reused.
    """
    if policy is None:
        policy = hash_policy(repo)
    if policy in (hname.POLICY_SHA1, hname.POLICY_AUTO):
        alternate: str | None = hname.sha3(data)
    elif policy == hname.POLICY_SHA3:
        alternate = hname.sha1(data)
    else:
        alternate = None
    if alternate is not None and rid_of(repo, alternate):
        return alternate
    return hname.compute(data, hname.default_for_policy(policy))


def begin_receive(
    repo: Repo, *, uid: int = 0, nonce: str | None = None, ipaddr: str | None = None
) -> int:
    """Start a receive session: a new ``rcvfrom`` row; return its rcvid.

    The row becomes the current session of the write transaction it is
    created in: later :func:`put` calls without ``rcvid`` use it, until the
    transaction commits.
    """
    with repo.write():
        cur = repo.execute(
            "INSERT INTO rcvfrom(uid,mtime,nonce,ipaddr) VALUES(?,julianday('now'),?,?)",
            (uid, nonce, ipaddr),
        )
        rcvid = int(cur.lastrowid or 0)
        # Per-handle, per-transaction state: remembered on the handle and
        # forgotten when the transaction commits.
        repo.rcvid = rcvid
        repo.on_commit(lambda: setattr(repo, "rcvid", 0))
    return rcvid


def _session_rcvid(repo: Repo) -> int:
    rcvid = repo.rcvid
    if rcvid and repo.one("SELECT 1 FROM rcvfrom WHERE rcvid=?", (rcvid,)):
        return int(rcvid)
    return begin_receive(repo)


class _Atomic:
    """A write transaction plus a savepoint: a failed step undoes only itself.

    This keeps "bad input leaves the database unchanged" true even when the
    caller holds a bigger transaction and carries on after the error.
    """

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._write = repo.write()

    def __enter__(self) -> Repo:
        self._write.__enter__()
        self.repo.execute("SAVEPOINT fossilpy_content")
        return self.repo

    def __exit__(self, etype: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if etype is None:
            self.repo.execute("RELEASE fossilpy_content")
        elif self.repo.db is not None and self.repo.db.in_transaction:
            self.repo.execute("ROLLBACK TO fossilpy_content")
            self.repo.execute("RELEASE fossilpy_content")
        self._write.__exit__(etype, exc, tb)  # Repo.write() re-raises: nothing is suppressed


def _check_name(uuid: str, what: str = "artifact") -> str:
    if not isinstance(uuid, str) or not hname.is_valid(uuid):
        raise ArtifactError(f"not a valid {what} hash: {uuid!r}")
    return uuid.lower()


def _check_no_loop(repo: Repo, rid: int, srcid: int) -> None:
    """Refuse to make ``rid`` a delta of ``srcid`` if that closes a cycle."""
    seen: set[int] = set()
    cur = srcid
    while cur:
        if cur == rid:
            raise ArtifactError(f"delta loop: rid {rid} would be a delta of its own descendant")
        if cur in seen:
            raise ArtifactError(f"delta loop already present at rid {cur}")
        seen.add(cur)
        cur = repo.one("SELECT srcid FROM delta WHERE rid=?", (cur,), 0)


def _store(
    repo: Repo,
    uuid: str,
    framed: bytes,
    size: int,
    srcid: int,
    private: bool,
    rcvid: int | None,
    policy: int | None = None,
) -> int:
    """Insert or fill the blob row for ``uuid``; caller holds an _Atomic."""
    if policy is None:
        policy = hash_policy(repo)
    if policy == hname.POLICY_SHUN_SHA1 and len(uuid) == hname.HNAME_LEN_SHA1:
        raise ArtifactError(f"artifact {uuid} is shunned (hash policy shun-sha1)")
    if policy == hname.POLICY_AUTO and len(uuid) > hname.HNAME_LEN_SHA1:
        repo.config_set("hash-policy", str(hname.POLICY_SHA3))
    row = repo.row("SELECT rid, size FROM blob WHERE uuid=?", (uuid,))
    if row is not None and row[1] is not None and row[1] >= 0:
        return int(row[0])
    if srcid:
        if row is not None:
            _check_no_loop(repo, int(row[0]), srcid)
        elif repo.one("SELECT 1 FROM blob WHERE rid=?", (srcid,)) is None:
            raise ArtifactError(f"delta source rid {srcid} does not exist")
    rcvid = rcvid or _session_rcvid(repo)
    if row is not None:
        rid = int(row[0])
        repo.execute(
            "UPDATE blob SET rcvid=?, size=?, content=? WHERE rid=?",
            (rcvid, size, framed, rid),
        )
        repo.execute("DELETE FROM phantom WHERE rid=?", (rid,))
        repo.cache.pop(rid, None)
        new_name = False
    else:
        cur = repo.execute(
            "INSERT INTO blob(rcvid,size,uuid,content) VALUES(?,?,?,?)",
            (rcvid, size, uuid, framed),
        )
        rid = int(cur.lastrowid or 0)
        new_name = True
    if private:
        repo.execute("INSERT OR IGNORE INTO private VALUES(?)", (rid,))
    elif new_name:
        repo.execute("INSERT OR IGNORE INTO unclustered VALUES(?)", (rid,))
    if srcid:
        repo.execute("REPLACE INTO delta(rid,srcid) VALUES(?,?)", (rid, srcid))
    else:
        repo.execute("DELETE FROM delta WHERE rid=?", (rid,))
    return rid


def put(
    repo: Repo,
    data: bytes,
    *,
    uuid: str | None = None,
    srcid: int = 0,
    private: bool = False,
    rcvid: int | None = None,
) -> int:
    """Store an artifact; return its rid.

    ``data`` is the full text, or with ``srcid`` a delta against the full
    text of rid ``srcid`` (stored verbatim as that delta; ``blob.size`` is
    the expanded size).  Without ``uuid`` the name follows the hash policy
    (:func:`name_for`).  An explicit ``uuid`` is verified whenever the full
    text can be computed: a mismatch raises ArtifactError and writes
    nothing.  A delta whose source is a phantom cannot be checked yet and
    needs ``uuid``.  Storing content that is already present is a no-op;
    storing the content of a phantom fills it in.  The shun list is not
    checked here (see :func:`is_shunned`; a SHA1 name under hash policy
    shun-sha1 is refused), and nothing is crosslinked.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ArtifactError("artifact content must be bytes")
    data = bytes(data)
    if uuid is not None:
        uuid = _check_name(uuid)
    with _Atomic(repo):
        policy = hash_policy(repo)
        if srcid:
            if repo.one("SELECT 1 FROM blob WHERE rid=?", (srcid,)) is None:
                raise ArtifactError(f"delta source rid {srcid} does not exist")
            size = delta.output_size(data)
            full: bytes | None = None
            if is_available(repo, srcid):
                source = get(repo, srcid)
                assert source is not None
                full = delta.apply(source, data)
            if uuid is None:
                if full is None:
                    raise ArtifactError("a delta against a phantom needs an explicit hash")
                uuid = name_for(repo, full, policy)
            elif full is not None and not hname.verify(full, uuid):
                raise ArtifactError(f"hash mismatch: content does not hash to {uuid}")
        else:
            size = len(data)
            if uuid is None:
                uuid = name_for(repo, data, policy)
            elif not hname.verify(data, uuid):
                raise ArtifactError(f"hash mismatch: content does not hash to {uuid}")
        return _store(repo, uuid, blob.compress(data), size, srcid, private, rcvid, policy)


def put_raw(
    repo: Repo,
    uuid: str,
    framed: bytes,
    *,
    size: int,
    srcuuid: str | None,
    private: bool = False,
    verify: bool = True,
    rcvid: int | None = None,
) -> int:
    """Store a received ``blob.content`` value verbatim (clone ``cfile``).

    ``framed`` is the 4-byte length + zlib framing of either the full text
    (``srcuuid`` None) or a delta against ``srcuuid``, which becomes a
    phantom if unknown.  ``size`` is the expanded size.  The framing, the
    size and (when computable) the hash are checked before anything is
    written; errors raise ArtifactError.  ``verify=False`` skips those
    content checks (names and delta loops are still checked), for a clone
    that re-reads everything in its closing rebuild anyway.
    """
    uuid = _check_name(uuid)
    if srcuuid is not None:
        srcuuid = _check_name(srcuuid, "delta source")
        if srcuuid == uuid:
            raise ArtifactError(f"artifact {uuid} cannot be a delta of itself")
    if not isinstance(framed, (bytes, bytearray, memoryview)):
        raise ArtifactError("compressed content must be bytes")
    framed = bytes(framed)
    payload = blob.uncompress(framed, what=f"artifact {uuid}") if verify else b""
    with _Atomic(repo):
        existing = repo.row("SELECT rid, size FROM blob WHERE uuid=?", (uuid,))
        if existing is not None and existing[1] is not None and existing[1] >= 0:
            return int(existing[0])
        srcid = 0
        if not verify:
            if srcuuid is not None:
                srcid = rid_of(repo, srcuuid) or new_phantom(repo, srcuuid, private=private)
                if not srcid:
                    raise ArtifactError(f"delta source {srcuuid} is shunned")
        elif srcuuid is None:
            if len(payload) != size:
                raise ArtifactError(
                    f"size mismatch for {uuid}: declared {size}, content has {len(payload)}"
                )
            if not hname.verify(payload, uuid):
                raise ArtifactError(f"hash mismatch: content does not hash to {uuid}")
        else:
            if delta.output_size(payload) != size:
                raise ArtifactError(f"size mismatch for {uuid}: delta does not yield {size} bytes")
            srcid = rid_of(repo, srcuuid)
            if srcid and is_available(repo, srcid):
                source = get(repo, srcid)
                assert source is not None
                if not hname.verify(delta.apply(source, payload), uuid):
                    raise ArtifactError(f"hash mismatch: content does not hash to {uuid}")
            if not srcid:
                srcid = new_phantom(repo, srcuuid, private=private)
                if not srcid:
                    raise ArtifactError(f"delta source {srcuuid} is shunned")
        return _store(repo, uuid, framed, size, srcid, private, rcvid)


def new_phantom(repo: Repo, uuid: str, *, private: bool = False) -> int:
    """Record that artifact ``uuid`` exists without its content; return its rid.

    Returns 0 for a shunned hash (:func:`is_shunned`), and the existing
    rid if the name is already known.
    """
    uuid = _check_name(uuid)
    with repo.write():
        rid = rid_of(repo, uuid)
        if rid:
            return rid
        if is_shunned(repo, uuid):
            return 0
        cur = repo.execute(
            "INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,-1,?,NULL)", (uuid,)
        )
        rid = int(cur.lastrowid or 0)
        repo.execute("INSERT OR IGNORE INTO phantom VALUES(?)", (rid,))
        if private:
            repo.execute("INSERT OR IGNORE INTO private VALUES(?)", (rid,))
        else:
            repo.execute("INSERT OR IGNORE INTO unclustered VALUES(?)", (rid,))
        return rid


def rid_for(repo: Repo, uuid: str, *, phantomize: bool = False, private: bool = False) -> int:
    """The rid of ``uuid``; 0 if unknown, or a new phantom with ``phantomize``.

    A string that is not a valid hash gives 0 (ArtifactError with
    ``phantomize``).
    """
    if not phantomize:
        if not isinstance(uuid, str) or not hname.is_valid(uuid):
            return 0
        return rid_of(repo, uuid)
    uuid = _check_name(uuid)
    rid = rid_of(repo, uuid)
    if rid:
        return rid
    return new_phantom(repo, uuid, private=private)


def delta_dependents(repo: Repo, rid: int) -> list[int]:
    """Rids stored as deltas (directly or through a chain) of ``rid``.

    After a phantom is filled, these become readable and should be
    crosslinked by the caller.
    """
    out: list[int] = []
    todo = [rid]
    seen = {rid}
    while todo:
        cur = todo.pop()
        for (child,) in repo.all("SELECT rid FROM delta WHERE srcid=? ORDER BY rid", (cur,)):
            if child not in seen:
                seen.add(child)
                out.append(child)
                todo.append(child)
    return out


def is_private(repo: Repo, rid: int) -> bool:
    """True if ``rid`` is marked private."""
    return repo.one("SELECT 1 FROM private WHERE rid=?", (rid,)) is not None


def mark_private(repo: Repo, rid: int) -> None:
    """Mark ``rid`` private: never offered or sent to peers.

    As in Fossil, other bookkeeping rows (unclustered, unsent) are left as
    they are; everything that sends content skips private rids.
    """
    with repo.write():
        repo.execute("INSERT OR IGNORE INTO private(rid) VALUES(?)", (rid,))


def make_public(repo: Repo, rid: int) -> None:
    """Remove the private mark of ``rid`` (Fossil's ``content_make_public``;
    publishing a local artifact also needs unsent/unclustered rows, which
    is the caller's business)."""
    with repo.write():
        repo.execute("DELETE FROM private WHERE rid=?", (rid,))


def is_shunned(repo: Repo, uuid: str) -> bool:
    """True if ``uuid`` is on the shun list, or SHA1 under hash policy shun-sha1."""
    if not isinstance(uuid, str) or not uuid:
        return False
    return (len(uuid) == 40 and hash_policy(repo) == hname.POLICY_SHUN_SHA1) or repo.one(
        "SELECT 1 FROM shun WHERE uuid=?", (uuid.lower(),)) is not None



def phantoms(repo: Repo) -> list[int]:
    """Rids of every phantom (known name, no content)."""
    return [r[0] for r in repo.all("SELECT rid FROM blob WHERE size<0 ORDER BY rid")]


def undeltify(repo: Repo, rid: int) -> None:
    """Store ``rid`` as full text if it is a delta (no-op otherwise)."""
    with _Atomic(repo):
        if not repo.one("SELECT srcid FROM delta WHERE rid=?", (rid,), 0):
            return
        data = get(repo, rid)
        if data is None:
            return  # the chain ends in a phantom: nothing to expand
        repo.execute(
            "UPDATE blob SET content=?, size=? WHERE rid=?", (blob.compress(data), len(data), rid)
        )
        repo.execute("DELETE FROM delta WHERE rid=?", (rid,))


def deltify(repo: Repo, rid: int, srcid: int, *, force: bool = False) -> bool:
    """Try to store ``rid`` as a delta of ``srcid``; True if it now is one.

    Storage policy (content never changes): both texts must be at least 50
    bytes, the delta must be under 75% of the full text, a public artifact
    is never a delta of a private one, phantoms are skipped, and an
    artifact that is already a delta is left alone unless ``force``.  If
    ``srcid`` is itself (through its chain) a delta of ``rid``, ``srcid`` is
    expanded first so that no loop can form.
    """
    if not rid or not srcid or rid == srcid:
        return False
    with _Atomic(repo):
        current = repo.one("SELECT srcid FROM delta WHERE rid=?", (rid,), 0)
        if current and not force:
            return False
        if current == srcid:
            return True
        if not is_available(repo, rid) or not is_available(repo, srcid):
            return False
        if is_private(repo, srcid) and not is_private(repo, rid):
            return False
        data = get(repo, rid)
        assert data is not None
        if len(data) < DELTA_MIN_SIZE:
            return False
        source = get(repo, srcid)
        assert source is not None
        if len(source) < DELTA_MIN_SIZE:
            return False
        d = delta.create(source, data)
        if len(d) >= len(data) * DELTA_MAX_RATIO:
            return False
        s = repo.one("SELECT srcid FROM delta WHERE rid=?", (srcid,), 0)
        seen: set[int] = set()
        while s and s not in seen:
            if s == rid:
                undeltify(repo, srcid)
                break
            seen.add(s)
            s = repo.one("SELECT srcid FROM delta WHERE rid=?", (s,), 0)
        repo.execute("UPDATE blob SET content=? WHERE rid=?", (blob.compress(d), rid))
        repo.execute("REPLACE INTO delta(rid,srcid) VALUES(?,?)", (rid, srcid))
        repo.cache.pop(rid, None)
        return True


# -- integrity check: implemented in fossilpy.repo.integrity -----------------


def integrity_report(repo: Repo, *, parse: bool = False) -> IntegrityReport:
    """Re-expand and re-hash every artifact (see :mod:`fossilpy.repo.integrity`)."""
    from fossilpy.repo.integrity import integrity_report as run

    return run(repo, parse=parse)


def check_integrity(repo: Repo, *, parse: bool = False) -> list[str]:
    """Problems found by ``fossil test-integrity``-style checking; [] if none."""
    from fossilpy.repo.integrity import check_integrity as run

    return run(repo, parse=parse)
