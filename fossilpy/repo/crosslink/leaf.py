"""The ``leaf`` table: check-ins with no child on the same branch.

On disk (derived)::

    leaf(rid INTEGER PRIMARY KEY)

A check-in is a leaf when no ``plink`` row has it as parent with a child
whose ``branch`` tag value (tagid 8, "trunk" when absent) equals its own.
Every child counts, merge children included.  Closed leaves stay in the
table (closing is a separate tag).

Maintenance follows Fossil 2.21 (``src/leaf.c``): whenever a branch tag is
set on a check-in, that check-in and its parents (as known at that moment)
are queued, and the queue is settled once, at the end of the crosslink
batch.  A check-in that never receives a branch tag is never examined, so it
never appears in the table; ``rebuild_all`` recomputes everything instead.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from fossilpy.repo.crosslink.tags import TAG_BRANCH
from fossilpy.repo.db import Repo

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.crosslink.state import Batch, RidSet

#: "rid has a child on its own branch" for the rid bound as ?1.
_HAS_SAME_BRANCH_CHILD = (
    "SELECT 1 FROM plink WHERE pid=?1"
    " AND coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=?1),'trunk')"
    " == coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk')"
)
assert TAG_BRANCH == 8


def eventually_check(b: Batch, rid: int) -> None:
    """Queue ``rid`` and its current parents for a leaf check at batch end."""
    pending = b.leaf_pending
    pending.add(rid)
    for (pid,) in b.repo.db.execute("SELECT pid FROM plink WHERE cid=? AND pid>0", (rid,)):
        pending.add(pid)


def check(repo: Repo, rid: int) -> None:
    """Add ``rid`` to, or remove it from, the leaf table as it is now."""
    db = repo.db
    if db.execute(_HAS_SAME_BRANCH_CHILD, (rid,)).fetchone():
        db.execute("DELETE FROM leaf WHERE rid=?", (rid,))
    else:
        db.execute("INSERT OR IGNORE INTO leaf VALUES(?)", (rid,))


def check_many(repo: Repo, rids: Collection[int] | RidSet) -> None:
    """:func:`check` for many check-ins at once (two set-based statements)."""
    if not rids:
        return
    db = repo.db
    if len(rids) < 20:
        for rid in rids:
            check(repo, rid)
        return
    db.execute("CREATE TEMP TABLE IF NOT EXISTS leaf_todo(rid INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM leaf_todo")
    db.executemany("INSERT OR IGNORE INTO leaf_todo VALUES(?)", ((r,) for r in rids))
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS leaf_not(rid INTEGER PRIMARY KEY)"
    )
    db.execute("DELETE FROM leaf_not")
    db.execute(
        "INSERT INTO leaf_not SELECT t.rid FROM leaf_todo t WHERE EXISTS("
        " SELECT 1 FROM plink WHERE pid=t.rid"
        " AND coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=t.rid),'trunk')"
        " == coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk'))"
    )
    db.execute("DELETE FROM leaf WHERE rid IN leaf_not")
    db.execute("INSERT OR IGNORE INTO leaf SELECT rid FROM leaf_todo EXCEPT SELECT rid FROM leaf_not")
    db.execute("DROP TABLE leaf_todo")
    db.execute("DROP TABLE leaf_not")


def settle(b: Batch) -> None:
    """Run the queued leaf checks of batch ``b`` and empty the queue."""
    pending = b.leaf_pending
    b.leaf_pending = type(pending)()
    check_many(b.repo, pending)


def is_leaf(repo: Repo, rid: int) -> bool:
    """True if ``rid`` has no child on its own branch (computed, not from the table)."""
    return repo.db.execute(_HAS_SAME_BRANCH_CHILD, (rid,)).fetchone() is None


def rebuild_all(repo: Repo) -> None:
    """Recompute the whole leaf table from plink and the branch tags."""
    db = repo.db
    db.execute("DELETE FROM leaf")
    db.execute(
        "INSERT OR IGNORE INTO leaf SELECT cid FROM plink EXCEPT SELECT pid FROM plink"
        " WHERE coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.pid),'trunk')"
        " == coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk')"
    )
