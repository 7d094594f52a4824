"""Accepting artifacts from the peer: ``file`` and ``cfile`` cards.

::

    file HASH SIZE LF <SIZE bytes: full content>
    file HASH SRCHASH SIZE LF <SIZE bytes: delta against SRCHASH>
    cfile HASH USIZE CSIZE LF <CSIZE bytes: blob.content verbatim> [LF]
    cfile HASH SRCHASH USIZE CSIZE LF <CSIZE bytes> [LF]

Outside a clone, ``file`` content is expanded (deltas applied), checked
against HASH and crosslinked; a delta whose source is unknown is stored as
is with the source as a phantom.  In a clone, content is stored as received
(the rebuild at the end of the clone reads and links everything).  A
``private`` card before makes the artifact private (needs permission).
Problems are reported in ``Xfer.err`` and nothing is stored for that card.
"""

from __future__ import annotations

from fossilpy import budget
from fossilpy.artifact import blob as blobfmt
from fossilpy.artifact import hname
from fossilpy.errors import ArtifactError, FossilError
from fossilpy.sync.cards import Reader, as_int, is_hname
from fossilpy.sync.xfer import (
    Xfer,
    _crosslink,
    _make_public,
    is_shunned,
    remote_has,
    rid_from_uuid,
)


def accept_file(x: Xfer, toks: list[bytes], rd: Reader, clone: bool) -> None:
    """Process ``file HASH [SRC] SIZE`` + payload; errors go to ``x.err``."""
    from fossilpy.repo import content

    priv = x.next_is_private
    x.next_is_private = False
    n = as_int(toks[-1]) if len(toks) >= 3 else None
    if (
        len(toks) not in (3, 4)
        or not is_hname(toks[1])
        or n is None
        or (len(toks) == 4 and not is_hname(toks[2]))
    ):
        x.err = "malformed file line"
        return
    data = rd.extract(n)
    if len(data) != n:
        x.err = "malformed file line"
        return
    uuid = toks[1].decode()
    repo = x.repo
    if not clone and is_shunned(repo, uuid):
        return
    if priv and not x.may_private:
        return
    if clone:
        srcid = 0
        if len(toks) == 4:
            srcid = rid_from_uuid(repo, toks[2].decode(), True, priv)
            x.n_delta_rcvd += 1
        else:
            x.n_file_rcvd += 1
        try:
            rid = content.put(repo, data, uuid=uuid, srcid=srcid, private=priv, rcvid=x.rcvid)
        except (ArtifactError, FossilError) as exc:
            x.err = f"cannot store {uuid}: {exc}"
            return
        remote_has(repo, rid)
        return
    if len(toks) == 4:
        srcid = rid_from_uuid(repo, toks[2].decode(), True, priv)
        src = content.get(repo, srcid) if content.is_available(repo, srcid) else None
        if src is None:
            try:
                rid = content.put(repo, data, uuid=uuid, srcid=srcid, private=priv, rcvid=x.rcvid)
            except (ArtifactError, FossilError):
                x.err = f"wrong hash on received artifact: {uuid}"
                return
            x.n_dangling += 1
            repo.execute("DELETE FROM phantom WHERE rid=?", (rid,))
            if not priv:
                _make_public(repo, rid)
            return
        x.n_delta_rcvd += 1
        try:
            from fossilpy.artifact import delta

            data = delta.apply(src, data, max_size=budget.room(delta.MAX_SIZE))
        except (ArtifactError, FossilError, ValueError, IndexError):
            x.err = f"wrong hash on received artifact: {uuid}"
            return
    else:
        x.n_file_rcvd += 1
    if not hname.verify(data, uuid):
        x.err = f"wrong hash on received artifact: {uuid}"
        return
    was_phantom = repo.one(
        "SELECT 1 FROM blob WHERE uuid=? AND size<0", (uuid,)
    ) is not None
    try:
        rid = content.put(repo, data, uuid=uuid, private=priv, rcvid=x.rcvid)
    except (ArtifactError, FossilError):
        x.err = f"wrong hash on received artifact: {uuid}"
        return
    if not priv:
        _make_public(repo, rid)
    _crosslink(x, rid, data)
    if was_phantom:
        crosslink_dependents(x, rid)
    remote_has(repo, rid)


def crosslink_dependents(x: Xfer, rid: int) -> None:
    """What became readable when phantom ``rid`` was filled in, as Fossil's
    ``content_put`` does: delta manifests waiting for ``rid`` as their
    baseline, and (recursively) artifacts stored as deltas of it that are
    not crosslinked yet.  ``rid`` itself is linked by the caller."""
    from fossilpy.repo import crosslink

    try:
        crosslink.after_dephantomize(x.repo, rid, link=False, batch=x.batch)
    except ArtifactError:
        pass  # a dependent Fossil would not link either


def accept_cfile(x: Xfer, toks: list[bytes], rd: Reader, verify: bool) -> None:
    """Process ``cfile HASH [SRC] USIZE CSIZE`` + payload (stored verbatim)."""
    from fossilpy.repo import content

    priv = x.next_is_private
    x.next_is_private = False
    szu = as_int(toks[-2]) if len(toks) >= 4 else None
    szc = as_int(toks[-1]) if len(toks) >= 4 else None
    if (
        len(toks) not in (4, 5)
        or not is_hname(toks[1])
        or szu is None
        or szc is None
        or (len(toks) == 5 and not is_hname(toks[2]))
    ):
        x.err = "malformed cfile line"
        return
    data = rd.extract(szc)
    if len(data) != szc:
        x.err = "malformed cfile line"
        return
    if priv and not x.may_private:
        return
    uuid = toks[1].decode()
    repo = x.repo
    if is_shunned(repo, uuid):
        return
    src_uuid = toks[2].decode() if len(toks) == 5 else None
    if verify:
        try:
            text = blobfmt.uncompress(data, what="cfile", limit=budget.room(blobfmt.MAX_SIZE))
            if len(text) != szu and src_uuid is None:
                raise ArtifactError("size")
            if src_uuid is None:
                ok = hname.verify(text, uuid)
            else:
                srcid = rid_from_uuid(repo, src_uuid)
                src = content.get(repo, srcid) if srcid and content.is_available(repo, srcid) else None
                if src is None:
                    ok = True  # dangling delta: cannot be checked yet
                else:
                    from fossilpy.artifact import delta

                    ok = hname.verify(delta.apply(src, text, max_size=budget.room(delta.MAX_SIZE)), uuid)
        except (ArtifactError, FossilError, ValueError, IndexError):
            ok = False
        if not ok:
            x.err = f"wrong hash on received artifact: {uuid}"
            return
    srcid = 0
    if src_uuid is not None:
        srcid = rid_from_uuid(repo, src_uuid, True, priv)
        x.n_delta_rcvd += 1
    else:
        x.n_file_rcvd += 1
    try:
        if verify:
            rid = content.put_raw(repo, uuid, data, size=szu, srcuuid=src_uuid, private=priv)
        else:
            rid = _store_verbatim(x, uuid, data, szu, srcid, priv)
    except (ArtifactError, FossilError):
        x.err = f"wrong hash on received artifact: {uuid}"
        return
    remote_has(repo, rid)


def _store_verbatim(x: Xfer, uuid: str, data: bytes, size: int, srcid: int,
                    priv: bool) -> int:
    """Store a cloned ``blob.content`` as is (Fossil does not check cfile
    content either; the rebuild that ends a clone reads every artifact),
    a delta against ``srcid`` (its rid, phantom or not) unless 0.  Same
    rows as ``content.put_raw``: blob, delta, phantom, private,
    unclustered."""
    from fossilpy.repo import content

    repo = x.repo
    row = repo.row("SELECT rid, size FROM blob WHERE uuid=?", (uuid,))
    if row is not None and row[1] is not None and row[1] >= 0:
        return int(row[0])
    if x.rcvid is None:
        x.rcvid = content.begin_receive(repo)
    if row is not None:
        rid = int(row[0])
        repo.execute("UPDATE blob SET rcvid=?, size=?, content=? WHERE rid=?", (x.rcvid, size, data, rid))
        repo.execute("DELETE FROM phantom WHERE rid=?", (rid,))
    else:
        rid = int(
            repo.execute(
                "INSERT INTO blob(rcvid,size,uuid,content) VALUES(?,?,?,?)", (x.rcvid, size, uuid, data)
            ).lastrowid
            or 0
        )
        if not priv:
            repo.execute("INSERT OR IGNORE INTO unclustered VALUES(?)", (rid,))
    if priv:
        repo.execute("INSERT OR IGNORE INTO private VALUES(?)", (rid,))
    if srcid:
        repo.execute("REPLACE INTO delta(rid,srcid) VALUES(?,?)", (rid, srcid))
    return rid
