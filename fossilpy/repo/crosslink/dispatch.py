"""The crosslink dispatcher: one artifact in, derived-table rows out.

Behaviour follows Fossil 2.21's ``manifest_crosslink`` (``src/manifest.c``):
check-ins go to ``checkins`` (plink, mlink, filename, cherrypick, the 'ci'
event), their T cards and those of control artifacts and technotes to
``tags``; wiki, ticket, technote, attachment and forum artifacts to
``docs``.

A cluster (M cards) gets tag "cluster" and removes its members from
``unclustered``.  A control artifact applies its T cards and gets an event row
of type 'g' whose comment describes the edits (tags.control_comment).

Deferred work lives in the :class:`~fossilpy.repo.crosslink.state.Batch`
(Fossil's crosslink_begin/end); :func:`finish` runs it at the end of
:func:`batch`: "parent" tags re-parent check-ins, documents finish (ticket
rebuilds, wiki backlinks), close-together check-in times are nudged into
order (``time_fudge``), and queued leaf checks run.

Storage side effects that Fossil performs while crosslinking (opportunistic
deltification of parents against children) are storage choices, not part of
the derived state, and are not done here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.errors import ProgrammingError
from fossilpy.repo import content
from fossilpy.repo.crosslink import leaf
from fossilpy.repo.crosslink import tags as tagmod
from fossilpy.repo.crosslink.checkins import (
    AGE_FUDGE_WINDOW,
    crosslink_checkin,
    fetch_baseline,
    reparent_checkin,
    write_mlink,
)
from fossilpy.repo.crosslink.state import Batch, parse
from fossilpy.repo.db import Repo, sql_text

#: Step, in days, used to push such a parent just before its child.
AGE_ADJUST_INCREMENT = 25.0 / 86400000.0


# -- batches --------------------------------------------------------------


@contextmanager
def batch(repo: Repo, *, rebuilding: bool = False) -> Iterator[Batch]:
    """Group crosslinks; deferred work runs when the block ends without error.

    Must be used inside ``repo.write()``.  A nested call joins the batch
    already open on ``repo`` (``Repo.xlink_batch``, set here and only here).
    """
    current = repo.xlink_batch
    if current is not None:
        yield current
        return
    if not repo.in_write:
        raise ProgrammingError("crosslink batch outside a write transaction")
    b = Batch(repo, rebuilding)
    _event_triggers(repo, rebuilding)
    repo.xlink_batch = b
    try:
        yield b
        finish(b)
    finally:
        repo.xlink_batch = None


#: :func:`batch` under a name that the ``batch`` parameters below do not hide.
open_batch = batch


#: Fossil's TEMP trigger queueing an alert for each new event row
#: (``alert_create_trigger``); event ids are the type letter + objid.
_ALERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS temp.alert_trigger1 AFTER INSERT ON main.event BEGIN"
    " INSERT INTO pending_alert(eventid) SELECT printf('%.1c%d', new.type, new.objid)"
    " WHERE true ON CONFLICT(eventid) DO NOTHING; END"
)


def _event_triggers(repo: Repo, rebuilding: bool) -> None:
    """Queue email alerts for new events, except while rebuilding.

    (Fossil's pending_alert trigger, dropped for a rebuild: ``alert_create_trigger``
    and ``alert_drop_trigger`` in src/alerts.c.)
    """
    if not rebuilding and repo.table_exists("pending_alert"):
        repo.db.execute(_ALERT_TRIGGER)
    else:
        repo.db.execute("DROP TRIGGER IF EXISTS temp.alert_trigger1")


def finish(b: Batch) -> None:
    """The batch's deferred work, in Fossil's order (see the module docstring)."""
    db = b.repo.db
    write_mlink(b)
    for rid, value in db.execute(
        "SELECT rid, value FROM tagxref WHERE tagid=? AND tagtype=1", (tagmod.TAG_PARENT,)
    ).fetchall():
        reparent_checkin(b, rid, value or "")
    if b.deferred_tickets or b.deferred_wiki:
        # loaded when first needed: a sync round without documents never loads it
        from fossilpy.repo.crosslink import docs

        docs.finish(b)
    _apply_time_fudge(b)
    leaf.settle(b)


def _apply_time_fudge(b: Batch) -> None:
    """Move parents dated at or after a close child to just before it."""
    if not b.time_fudge:
        return
    # mid -> [its mtime, child rid, child mtime]; a row whose child has no
    # entry gets child mtime -inf (Fossil: NULL) and never matches again
    fudge: dict[int, list[float]] = {mid: list(v) for mid, v in b.time_fudge.items()}
    for _ in range(30):
        changed = False
        for row in fudge.values():
            m1, _cid, m2 = row
            if m1 >= m2 and m1 < m2 + AGE_FUDGE_WINDOW:
                row[0] = m2 - AGE_ADJUST_INCREMENT
                changed = True
        if not changed:
            break
        for row in fudge.values():
            child = fudge.get(int(row[1]))
            row[2] = child[0] if child is not None else float("-inf")
    b.repo.db.executemany(
        "UPDATE event SET mtime=? WHERE objid=? AND (mtime=omtime OR omtime IS NULL)",
        [(row[0], mid) for mid, row in fudge.items()],
    )
    b.time_fudge.clear()


# -- entry point ----------------------------------------------------------


def crosslink(
    repo: Repo, rid: int, data: bytes | None = None, *, batch: Batch | None = None
) -> bool:
    """Crosslink artifact ``rid``; False if it is not a structural artifact.

    Without ``batch``, joins the batch open on ``repo`` or opens one (and a
    write transaction) for this artifact alone.
    """
    if batch is None:
        cur = repo.xlink_batch
        if cur is None:
            with repo.write(), open_batch(repo) as nb:
                return crosslink(repo, rid, data, batch=nb)
        batch = cur
    b = batch
    ci = b.manifests.get(rid)
    m: Manifest | None
    if ci is not None:
        m = ci.m
    else:
        if data is None:
            data = content.get(repo, rid)
            if data is None:
                return False
        m = parse(data, b)
        if m is None:
            return False
    b.parsed += 1
    t = m.type
    if t == ArtifactType.MANIFEST:
        ci = b.remember(rid, m, data)
        if fetch_baseline(b, ci):
            return False
        crosslink_checkin(b, rid, ci)
    elif t == ArtifactType.CLUSTER:
        _cluster(b, rid, m)
    elif t == ArtifactType.CONTROL:
        tagmod.apply_tag_cards(b, rid, m)
        comment = tagmod.control_comment(repo, m.comment, m.tags)
        repo.db.execute(
            "REPLACE INTO event(type,mtime,objid,user,comment)"
            " VALUES('g',?,?,CAST(? AS TEXT),CAST(? AS TEXT))",
            (b.real(m.julian), rid, sql_text(m.user), sql_text(comment)),
        )
    else:
        _document(b, rid, m)
    return True


def after_dephantomize(
    repo: Repo, rid: int, *, link: bool = True, batch: Batch | None = None
) -> None:
    """Crosslink what became readable when phantom ``rid`` got its content.

    That is ``rid`` itself (unless ``link`` is false), the delta manifests
    waiting for it as their baseline (``orphan``), and, recursively, the
    artifacts stored as deltas of it that have no mlink rows yet (Fossil's
    ``after_dephantomize``).
    """
    if batch is None:
        cur = repo.xlink_batch
        if cur is None:
            with repo.write(), open_batch(repo) as nb:
                return after_dephantomize(repo, rid, link=link, batch=nb)
        batch = cur
    db = repo.db
    todo = [(rid, link)]
    while todo:
        cur_rid, do_link = todo.pop()
        if do_link:
            crosslink(repo, cur_rid, batch=batch)
        orphans = [r for (r,) in db.execute(
            "SELECT rid FROM orphan WHERE baseline=?", (cur_rid,)).fetchall()]
        for orphan in orphans:
            batch.forget(orphan)
            crosslink(repo, orphan, batch=batch)
        if orphans:
            db.execute("DELETE FROM orphan WHERE baseline=?", (cur_rid,))
        write_mlink(batch)
        kids = [r for (r,) in db.execute(
            "SELECT rid FROM delta WHERE srcid=?"
            " AND NOT EXISTS(SELECT 1 FROM mlink WHERE mid=delta.rid)", (cur_rid,)).fetchall()]
        todo.extend((k, True) for k in reversed(kids))


def _document(b: Batch, rid: int, m: Manifest) -> None:
    """Wiki, ticket, technote, attachment and forum artifacts."""
    t = m.type
    if t == ArtifactType.EVENT:
        tagmod.apply_tag_cards(b, rid, m)
    if t in (ArtifactType.WIKI, ArtifactType.FORUM, ArtifactType.EVENT):
        add_fwt_plink(b, rid, m)
    # loaded when first needed, so that sync starts faster
    from fossilpy.repo.crosslink import docs

    docs.CROSSLINKERS[t](b, rid, m)


def add_fwt_plink(b: Batch, rid: int, m: Manifest) -> None:
    """plink rows for the P card of a wiki page, forum post or technote."""
    parent = 0
    for i, puuid in enumerate(m.parents):
        pid = b.rid_of(puuid, True)
        if i == 0:
            parent = pid
        b.repo.db.execute(
            "INSERT OR IGNORE INTO plink(pid,cid,isprim,mtime,baseid) VALUES(?,?,?,?,NULL)",
            (pid, rid, i == 0, b.real(m.julian)),
        )
    if parent:
        tagmod.propagate_all(b, parent)


def _cluster(b: Batch, rid: int, m: Manifest) -> None:
    tagmod.apply_tag(b, "cluster", 1, None, rid, m.julian, rid)
    db = b.repo.db
    members = [b.rid_of(u, True) for u in m.clusters]
    db.executemany("DELETE FROM unclustered WHERE rid=?", [(r,) for r in members if r > 0])
