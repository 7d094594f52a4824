"""Artifact transfer shared by both ends: per-round state and sending.

Cards produced here (Fossil 2.21 ``src/xfer.c``; accepting them is in
``fossilpy.sync.receive``)::

    file HASH SIZE LF <SIZE bytes: full content>
    file HASH SRCHASH SIZE LF <SIZE bytes: delta against SRCHASH>
    cfile HASH USIZE CSIZE LF <CSIZE bytes: blob.content verbatim> [LF]
    cfile HASH SRCHASH USIZE CSIZE LF <CSIZE bytes> [LF]
    private                     the next file/cfile is private
    igot HASH [1]               "I have HASH" (1 = private)
    gimme HASH                  "send me HASH"

Per-round bookkeeping lives in two TEMP tables, as in Fossil::

    onremote(rid INTEGER PRIMARY KEY)    artifacts the peer is known to have
    unk(uuid TEXT PRIMARY KEY)           artifacts the peer asked for (lacks)

Sending rules: private artifacts only when syncing private content (else a
``igot HASH 1`` to newer peers); nothing the peer already has; nothing
shunned; once the reply passes ``mx_send`` bytes (or the time limit), an
``igot`` instead of the content.  Pull replies and pushes send a delta
against a parent (plink, then mlink) when the content is over 100 bytes and
the delta saves at least 50; clone v2 sends the stored ("native") delta.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fossilpy import budget
from fossilpy.artifact import blob as blobfmt
from fossilpy.artifact import hname
from fossilpy.errors import ArtifactError
from fossilpy.repo.db import Repo

if TYPE_CHECKING:  # pragma: no cover
    from contextlib import AbstractContextManager

    from fossilpy.repo.crosslink import Batch

#: Fossil 2.21's version numbers, announced in client-version/server-version.
RELEASE_VERSION_NUMBER = 22100
MANIFEST_NUMERIC_DATE = 20230226
MANIFEST_NUMERIC_TIME = 192424


@dataclass
class Xfer:
    """State of one side during one round trip."""

    repo: Repo
    out: bytearray = field(default_factory=bytearray)
    mx_send: int = 5_000_000
    max_time: float = -1.0
    sync_private: bool = False
    next_is_private: bool = False
    may_private: bool = False  # permission to receive private content
    remote_version: int = RELEASE_VERSION_NUMBER
    remote_date: int = 0
    resync: int = 0
    rcvid: int | None = None
    batch: Batch | None = None  # crosslink batch
    n_igot_sent: int = 0
    n_priv_igot: int = 0
    n_gimme_sent: int = 0
    n_file_sent: int = 0
    n_delta_sent: int = 0
    n_file_rcvd: int = 0
    n_delta_rcvd: int = 0
    n_dangling: int = 0
    err: str = ""

    def emit(self, text: str) -> None:
        self.out += text.encode()


def begin_round(repo: Repo) -> None:
    """Create (or empty) the per-round TEMP tables."""
    repo.execute("CREATE TEMP TABLE IF NOT EXISTS onremote(rid INTEGER PRIMARY KEY)")
    repo.execute("CREATE TEMP TABLE IF NOT EXISTS unk(uuid TEXT PRIMARY KEY) WITHOUT ROWID")
    repo.execute("DELETE FROM onremote")
    repo.execute("DELETE FROM unk")


def end_round(repo: Repo) -> None:
    repo.execute("DROP TABLE IF EXISTS temp.onremote")
    repo.execute("DROP TABLE IF EXISTS temp.unk")


def remote_has(repo: Repo, rid: int) -> None:
    if rid:
        repo.execute("INSERT OR IGNORE INTO onremote VALUES(?)", (rid,))


def remote_unk(repo: Repo, uuid: str) -> None:
    repo.execute("INSERT OR IGNORE INTO unk VALUES(?)", (uuid,))


def is_private(repo: Repo, rid: int) -> bool:
    return repo.one("SELECT 1 FROM private WHERE rid=?", (rid,)) is not None


def is_shunned(repo: Repo, uuid: str) -> bool:
    """On the shun list, or SHA1 under hash policy shun-sha1."""
    from fossilpy.repo import content

    return content.is_shunned(repo, uuid)


def rid_from_uuid(repo: Repo, uuid: str, phantomize: bool = False, private: bool = False) -> int:
    rid = int(repo.one("SELECT rid FROM blob WHERE uuid=?", (uuid,), 0))
    if not rid and phantomize:
        from fossilpy.repo import content

        rid = content.new_phantom(repo, uuid, private=private) or 0
    return rid


def _make_public(repo: Repo, rid: int) -> None:
    repo.execute("DELETE FROM private WHERE rid=?", (rid,))


def _make_private(repo: Repo, rid: int) -> None:
    repo.execute("INSERT OR IGNORE INTO private VALUES(?)", (rid,))


# -- sending -------------------------------------------------------------


def _delta_create(src: bytes, target: bytes) -> bytes | None:
    from fossilpy.artifact import delta

    return delta.create(src, target)


def _send_delta_parent(x: Xfer, rid: int, priv: bool, data: bytes, uuid: str) -> int:
    repo = x.repo
    src_id = repo.one(
        "SELECT pid FROM plink WHERE cid=? AND NOT EXISTS(SELECT 1 FROM phantom WHERE rid=pid)",
        (rid,),
        0,
    )
    if not src_id:
        src_id = repo.one(
            "SELECT pid, min(mtime) FROM mlink, event ON mlink.mid=event.objid"
            " WHERE fid=? AND NOT EXISTS(SELECT 1 FROM phantom WHERE rid=pid)",
            (rid,),
            0,
        )
    if not src_id or (not x.sync_private and is_private(repo, src_id)):
        return 0
    from fossilpy.repo import content

    src = content.get(repo, src_id)
    if src is None:
        return 0
    d = _delta_create(src, data)
    if d is None or len(d) >= len(data) - 50:
        return 0
    src_uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (src_id,))
    if is_shunned(repo, src_uuid):
        return 0
    if priv:
        x.out += b"private\n"
    x.emit(f"file {uuid} {src_uuid} {len(d)}\n")
    x.out += d
    return len(d)


def _send_delta_native(x: Xfer, rid: int, priv: bool, uuid: str) -> int:
    repo = x.repo
    src_id = repo.one("SELECT srcid FROM delta WHERE rid=?", (rid,), 0)
    if not src_id or (not x.sync_private and is_private(repo, src_id)):
        return 0
    src_uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (src_id,))
    if src_uuid is None or is_shunned(repo, src_uuid):
        return 0
    raw = repo.one("SELECT content FROM blob WHERE rid=?", (rid,))
    d = blobfmt.uncompress(raw, what=f"delta rid {rid}", limit=budget.room(blobfmt.MAX_SIZE))
    if priv:
        x.out += b"private\n"
    x.emit(f"file {uuid} {src_uuid} {len(d)}\n")
    x.out += d
    return len(d)


def send_file(x: Xfer, rid: int, want_uuid: str | None = None, native: bool = False) -> None:
    """Send artifact ``rid`` as a file card (or an igot when over budget)."""
    repo = x.repo
    priv = is_private(repo, rid)
    if priv and not x.sync_private:
        if x.remote_date >= 20200413 and want_uuid:
            x.emit(f"igot {want_uuid} 1\n")
            x.n_igot_sent += 1
            x.n_priv_igot += 1
        return
    if repo.one("SELECT 1 FROM onremote WHERE rid=?", (rid,)):
        return
    uuid = repo.one("SELECT uuid FROM blob WHERE rid=? AND size>=0", (rid,))
    if not uuid:
        return
    if len(uuid) > 40 and x.remote_version < 20000:
        x.out += b"error Fossil\\sversion\\s2.0\\sor\\slater\\srequired.\n"
        return
    if want_uuid and want_uuid != uuid:
        return
    if is_shunned(repo, uuid):
        return
    if (x.max_time != -1 and time.time() >= x.max_time) or x.mx_send <= len(x.out):
        x.emit(f"igot {uuid} 1\n" if priv else f"igot {uuid}\n")
        x.n_igot_sent += 1
        return
    size = _send_delta_native(x, rid, priv, uuid) if native else 0
    if size:
        x.n_delta_sent += 1
    else:
        from fossilpy.repo import content

        data = content.get(repo, rid)
        if data is None:
            return
        if not native and len(data) > 100:
            size = _send_delta_parent(x, rid, priv, data, uuid)
        if size:
            x.n_delta_sent += 1
        else:
            if priv:
                x.out += b"private\n"
            x.emit(f"file {uuid} {len(data)}\n")
            x.out += data
            x.n_file_sent += 1
    remote_has(repo, rid)


def send_compressed_file(x: Xfer, rid: int) -> None:
    """Send ``rid`` exactly as stored, as a cfile card (clone protocol 3)."""
    repo = x.repo
    priv = is_private(repo, rid)
    if priv and not x.sync_private:
        return
    row = repo.row(
        "SELECT uuid, size, content, delta.srcid IN private,"
        " (SELECT uuid FROM blob WHERE rid=delta.srcid)"
        " FROM blob LEFT JOIN delta ON (blob.rid=delta.rid)"
        " WHERE blob.rid=? AND blob.size>=0"
        " AND NOT EXISTS(SELECT 1 FROM shun WHERE shun.uuid=blob.uuid)",
        (rid,),
    )
    if row is None:
        return
    uuid, usize, data, src_priv, src_uuid = row
    if priv:
        x.out += b"private\n"
    if x.remote_version < 20000 and len(uuid) != 40:
        x.out += b"error Fossil\\sversion\\s2.0\\sor\\slater\\srequired.\n"
        return
    if not priv and src_priv:
        from fossilpy.repo import content

        full = content.get(repo, rid) or b""
        usize, data, src_uuid = len(full), blobfmt.compress(full), None
    data = bytes(data or b"")
    if src_uuid:
        x.emit(f"cfile {uuid} {src_uuid} {usize} {len(data)}\n")
        x.n_delta_sent += 1
    else:
        x.emit(f"cfile {uuid} {usize} {len(data)}\n")
        x.n_file_sent += 1
    x.out += data
    if not x.out.endswith(b"\n"):
        x.out += b"\n"


def send_clone_v3(x: Xfer, seqno: int, max_rid: int) -> int:
    """Send cfile cards for rids ``seqno``.. until the reply is full.

    Same output as calling :func:`send_compressed_file` for each rid in
    turn, with one query instead of several per artifact.  Returns the next
    rid to send (``max_rid + 1`` when done).
    """
    repo = x.repo
    cur = repo.execute(
        "SELECT blob.rid, uuid, size, content, blob.rid IN private, delta.srcid IN private,"
        " (SELECT uuid FROM blob AS s WHERE s.rid=delta.srcid)"
        " FROM blob LEFT JOIN delta ON (blob.rid=delta.rid)"
        " WHERE blob.rid>=? AND blob.size>=0"
        " AND NOT EXISTS(SELECT 1 FROM shun WHERE shun.uuid=blob.uuid)"
        " ORDER BY blob.rid",
        (seqno,),
    )
    out = x.out
    if x.mx_send <= len(out) or time.time() >= x.max_time:
        return seqno
    for rid, uuid, usize, data, priv, src_priv, src_uuid in cur:
        if priv and not x.sync_private:
            continue
        if priv:
            out += b"private\n"
        if x.remote_version < 20000 and len(uuid) != 40:
            out += b"error Fossil\\sversion\\s2.0\\sor\\slater\\srequired.\n"
            continue
        if not priv and src_priv:
            from fossilpy.repo import content

            full = content.get(repo, rid) or b""
            usize, data, src_uuid = len(full), blobfmt.compress(full), None
        data = data or b""
        if src_uuid:
            out += f"cfile {uuid} {src_uuid} {usize} {len(data)}\n".encode()
            x.n_delta_sent += 1
        else:
            out += f"cfile {uuid} {usize} {len(data)}\n".encode()
            x.n_file_sent += 1
        out += data
        if not out.endswith(b"\n"):
            out += b"\n"
        if x.mx_send <= len(out) or time.time() >= x.max_time:
            return int(rid) + 1
    return max_rid + 1


def request_phantoms(x: Xfer, max_req: int) -> None:
    """A gimme card for each wanted phantom (not shunned, not refused)."""
    sql = (
        "SELECT uuid FROM phantom CROSS JOIN blob USING(rid)"
        " WHERE NOT EXISTS(SELECT 1 FROM unk WHERE unk.uuid=blob.uuid)"
        " AND NOT EXISTS(SELECT 1 FROM shun WHERE uuid=blob.uuid)"
    )
    if not x.sync_private:
        sql += " AND NOT EXISTS(SELECT 1 FROM private WHERE rid=blob.rid)"
    for (uuid,) in x.repo.all(sql):
        if max_req <= 0:
            break
        max_req -= 1
        x.emit(f"gimme {uuid}\n")
        x.n_gimme_sent += 1


def send_unsent(x: Xfer) -> None:
    for (rid,) in x.repo.all("SELECT rid FROM unsent EXCEPT SELECT rid FROM private"):
        send_file(x, rid)
    x.repo.execute("DELETE FROM unsent")


def send_unclustered(x: Xfer) -> int:
    """igot for every unclustered artifact the peer may lack (all with resync)."""
    repo = x.repo
    extra = " AND NOT EXISTS(SELECT 1 FROM onremote WHERE rid=blob.rid)"
    base = (
        " WHERE NOT EXISTS(SELECT 1 FROM shun WHERE uuid=blob.uuid)"
        " AND NOT EXISTS(SELECT 1 FROM phantom WHERE rid=blob.rid)"
        " AND NOT EXISTS(SELECT 1 FROM private WHERE rid=blob.rid)" + extra
    )
    cnt = 0
    if x.resync:
        rows = repo.all(
            "SELECT uuid, rid FROM blob" + base + " AND blob.rid<=? ORDER BY blob.rid DESC",
            (x.resync,),
        )
        for uuid, rid in rows:
            x.emit(f"igot {uuid}\n")
            cnt += 1
            if x.mx_send < len(x.out):
                x.resync = rid - 1
                break
    else:
        for (uuid,) in repo.all("SELECT uuid FROM unclustered JOIN blob USING(rid)" + base):
            x.emit(f"igot {uuid}\n")
            cnt += 1
    if cnt == 0:
        x.resync = 0
    return cnt


def send_private(x: Xfer) -> int:
    cnt = 0
    if x.sync_private:
        for (uuid,) in x.repo.all("SELECT uuid FROM private JOIN blob USING(rid)"):
            x.emit(f"igot {uuid} 1\n")
            cnt += 1
    return cnt


def send_all(x: Xfer) -> None:
    for (uuid,) in x.repo.all(
        "SELECT uuid FROM blob WHERE NOT EXISTS(SELECT 1 FROM shun WHERE uuid=blob.uuid)"
        " AND NOT EXISTS(SELECT 1 FROM private WHERE rid=blob.rid)"
        " AND NOT EXISTS(SELECT 1 FROM phantom WHERE rid=blob.rid)"
    ):
        x.emit(f"igot {uuid}\n")


def create_cluster(x: Xfer) -> None:
    """Write cluster artifacts once 100+ unclustered non-phantoms exist.

    Cluster syntax: ``M HASH`` lines in hash order, then ``Z MD5``; at most
    about 800 M cards each.
    """
    repo = x.repo
    n_uncl = repo.one(
        "SELECT count(*) FROM unclustered"
        " WHERE NOT EXISTS(SELECT 1 FROM phantom WHERE rid=unclustered.rid)"
    )
    if n_uncl < 100:
        return
    rows = repo.all(
        "SELECT uuid FROM unclustered, blob"
        " WHERE NOT EXISTS(SELECT 1 FROM phantom WHERE rid=unclustered.rid)"
        " AND unclustered.rid=blob.rid"
        " AND NOT EXISTS(SELECT 1 FROM shun WHERE uuid=blob.uuid) ORDER BY 1"
    )
    keep: list[int] = []
    lines: list[str] = []

    def flush() -> int:
        body = "".join(lines).encode()
        body += b"Z " + hname.md5(body).hexdigest().encode() + b"\n"
        return _store_local(x, body)

    for (uuid,) in rows:
        lines.append(f"M {uuid}\n")
        if len(lines) >= 800 and n_uncl > len(lines) + 100:
            keep.append(flush())
            n_uncl -= len(lines)
            lines = []
    marks = ",".join(str(r) for r in keep) or "0"
    repo.execute(
        f"DELETE FROM unclustered WHERE rid NOT IN ({marks})"
        " AND NOT EXISTS(SELECT 1 FROM phantom WHERE rid=unclustered.rid)"
    )
    if lines:
        flush()


def _store_local(x: Xfer, data: bytes) -> int:
    """Store locally made content (a cluster) and crosslink it."""
    from fossilpy.repo import content

    policy = x.repo.config_int("hash-policy", 2)
    uuid = hname.compute(data, hname.default_for_policy(policy))
    rid = content.put(x.repo, data, uuid=uuid)
    _crosslink(x, rid, data)
    return rid


def _crosslink(x: Xfer, rid: int, data: bytes) -> None:
    from fossilpy.repo import crosslink

    try:
        crosslink.crosslink(x.repo, rid, data, batch=x.batch)
    except ArtifactError:
        pass  # not a structural artifact, or one Fossil would not link either


def crosslink_batch(repo: Repo) -> AbstractContextManager[Batch]:
    """``crosslink.batch(repo)``: defers the end-of-batch work to one place."""
    from fossilpy.repo import crosslink

    return crosslink.batch(repo)
