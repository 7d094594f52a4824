"""Walking the check-in graph for update and merge.

* :func:`compute_leaves` fills the temporary ``leaves`` table with the
  leaves descending from a check-in (``compute_leaves`` in
  ``src/descendants.c``);
* :func:`pivot_find` finds the most recent common ancestor of a primary
  check-in and one or more secondaries (``src/pivot.c``), using the same
  temporary ``aqueue`` table and the same search order, so that ties are
  broken as Fossil breaks them;
* :func:`filename_changes` lists the renames along the shortest path of
  primary parent links between two check-ins (``find_filename_changes`` in
  ``src/path.c``), as (old fnid, new fnid) pairs in Fossil's order;
* :func:`nearest_fork` picks the fork ``merge`` merges when no version is
  named (``fossil_find_nearest_fork`` in ``src/merge.c``);
* :func:`leaf_ambiguity_warning` gives the warning ``status``, ``update``
  and ``commit`` print when the branch has other open leaves (here, a light
  module, so ``status`` does not import the commit machinery).

Temporary tables live in the repository connection, which is the one
connection of a checkout (``localdb`` attached), as in Fossil.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fossilpy import budget

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

TAG_BRANCH = 8
TAG_CLOSED = 9


def is_a_version(ck: Checkout, rid: int) -> bool:
    """``is_a_version``: ``rid`` is a check-in."""
    return ck.one("SELECT 1 FROM event WHERE objid=? AND type='ci'", (rid,)) is not None


def is_closed(ck: Checkout, rid: int) -> bool:
    """``leaf_is_closed``: check-in ``rid`` carries the ``closed`` tag."""
    return ck.one("SELECT 1 FROM tagxref WHERE tagid=? AND rid=? AND tagtype>0", (TAG_CLOSED, rid)) is not None


def compute_leaves(ck: Checkout, base: int, close_mode: int) -> None:
    """Fill ``temp.leaves`` with the leaves below ``base`` (all leaves for 0).

    A child that starts another branch does not count as a descendant on
    the way; ``close_mode`` 1 drops closed leaves, 2 keeps only closed ones.
    """
    from fossilpy.repo.crosslink.leaf import is_leaf

    repo = ck.repo
    repo.execute("CREATE TEMP TABLE IF NOT EXISTS leaves(rid INTEGER PRIMARY KEY)")
    repo.execute("DELETE FROM leaves")
    if base > 0:
        seen: set[int] = set()
        pending = {base}
        children = (
            "SELECT cid FROM plink WHERE pid=? AND (isprim"
            " OR coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.pid),'trunk')"
            "=coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk'))"
        )
        starts_branch = "SELECT 1 FROM tagxref WHERE rid=? AND tagid=8 AND tagtype=2 AND srcid>0"
        while pending:
            budget.check()
            rid = min(pending)  # bag_first: the smallest rid
            pending.discard(rid)
            cnt = 0
            for (cid,) in repo.all(children, (rid,)):
                if cid not in seen:
                    seen.add(cid)
                    pending.add(cid)
                if repo.one(starts_branch, (cid,)) is None:
                    cnt += 1
            if cnt == 0 and not is_leaf(repo, rid):
                cnt += 1
            if cnt == 0:
                repo.execute("INSERT OR IGNORE INTO leaves VALUES(?)", (rid,))
    else:
        repo.execute("INSERT INTO leaves SELECT leaf.rid FROM leaf")
    closed = "SELECT leaves.rid FROM leaves, tagxref WHERE tagxref.rid=leaves.rid AND tagxref.tagid=9 AND tagtype>0"
    if close_mode == 1:
        repo.execute("DELETE FROM leaves WHERE rid IN (" + closed + ")")
    elif close_mode == 2:
        repo.execute("DELETE FROM leaves WHERE rid NOT IN (" + closed + ")")


def pivot_find(ck: Checkout, primary: int, secondaries: list[int], ignore_merges: bool) -> int:
    """The most recent common ancestor of ``primary`` and any of ``secondaries`` (0 if none)."""
    repo = ck.repo
    repo.execute(
        "CREATE TEMP TABLE IF NOT EXISTS aqueue(rid INTEGER, mtime REAL, pending BOOLEAN, src BOOLEAN,"
        " PRIMARY KEY(rid,src)) WITHOUT ROWID"
    )
    repo.execute("DELETE FROM aqueue")
    repo.execute("CREATE INDEX IF NOT EXISTS aqueue_idx1 ON aqueue(pending, mtime)")
    repo.execute(
        "INSERT INTO aqueue(rid, mtime, pending, src)"
        " SELECT ?, mtime, 1, 1 FROM event WHERE objid=? AND type='ci' LIMIT 1",
        (primary, primary),
    )
    for rid in secondaries:
        repo.execute(
            "INSERT OR IGNORE INTO aqueue(rid, mtime, pending, src)"
            " SELECT ?, mtime, 1, 0 FROM event WHERE objid=? AND type='ci'",
            (rid, rid),
        )
    if int(repo.one("SELECT count(distinct src) FROM aqueue", (), 0)) < 2:
        from fossilpy.errors import UserError

        raise UserError("lack both primary and secondary files")
    prim = " AND plink.isprim" if ignore_merges else ""
    is_common = (
        "SELECT 1 FROM aqueue A, plink, aqueue B WHERE plink.pid=?1 AND plink.cid=B.rid AND A.rid=?1 AND A.src!=B.src"
        + prim
    )
    add_parents = (
        "REPLACE INTO aqueue SELECT plink.pid,"
        " coalesce((SELECT mtime FROM event X WHERE X.objid=plink.pid), 0.0), 1, aqueue.src"
        " FROM plink, aqueue WHERE plink.cid=?1 AND aqueue.rid=?1" + prim
    )
    while True:
        budget.check()
        rid = repo.one("SELECT rid FROM aqueue WHERE pending ORDER BY pending DESC, mtime DESC")
        if rid is None:
            return 0
        if repo.one(is_common, (rid,)) is not None:
            return int(rid)
        repo.execute(add_parents, (rid,))
        repo.execute("UPDATE aqueue SET pending=0 WHERE rid=?", (rid,))


def _shortest_path(ck: Checkout, start: int, end: int, one_way: bool) -> list[tuple[int, bool]]:
    """``path_shortest(start, end, directOnly=1, oneWayOnly)``: the (rid, reached-from-parent)
    nodes from ``start`` to ``end`` along primary links, in Fossil's search order; [] if none."""
    if start == end:
        return [(start, False)]
    if one_way:
        sql = "SELECT cid, 1 FROM plink WHERE pid=?1 AND isprim"
    else:
        sql = (
            "SELECT cid, 1 FROM plink WHERE pid=?1 AND isprim"
            " UNION ALL SELECT pid, 0 FROM plink WHERE cid=?1 AND isprim"
        )
    came: dict[int, tuple[int, bool]] = {start: (0, False)}
    level = [start]
    while level:
        budget.check()
        nxt: list[int] = []
        for node in level:
            for rid, is_parent in ck.repo.all(sql, (node,)):
                if rid in came:
                    continue
                came[rid] = (node, bool(is_parent))
                nxt.insert(0, rid)  # path_new_node pushes on the front of the next level
                if rid == end:
                    path = [rid]
                    while came[path[-1]][0]:
                        path.append(came[path[-1]][0])
                    return [(r, came[r][1]) for r in reversed(path)]
        level = nxt
    return []


def filename_changes(
    ck: Checkout, frm: int, to: int, rev_ok: bool, trace: tuple[str, Callable[[str], None]] | None = None
) -> list[tuple[int, int]]:
    """Renames from check-in ``frm`` to ``to``: (fnid in ``frm``, fnid in ``to``) pairs.

    ``trace`` (label, out) prints each step and the summary as ``--debug`` does."""
    if frm == to:
        return []
    path = _shortest_path(ck, frm, to, one_way=not rev_ok)
    if not path:
        return []
    # each change: [origName, curName, newName]; newest first as Fossil's list
    changes: list[list[int]] = []
    for i, (rid, from_parent) in enumerate(path):
        nxt_from_parent = path[i + 1][1] if i + 1 < len(path) else None
        if not from_parent and (nxt_from_parent is None or nxt_from_parent):
            continue
        for pfnid, fnid in ck.all(
            "SELECT pfnid, fnid FROM mlink WHERE mid=? AND (pfnid>0 OR fid==0) ORDER BY pfnid", (rid,)
        ):
            pfnid, fnid = int(pfnid), int(fnid)
            if pfnid == 0:
                pfnid, fnid = fnid, 0
            if not from_parent:
                fnid, pfnid = pfnid, fnid
            if trace is not None:
                uuid = str(ck.one("SELECT uuid FROM blob WHERE rid=?", (rid,)) or "")[:10]
                trace[1](
                    f"{trace[0]} at {rid}{'>' if from_parent else '<'} {uuid}:"
                    f" {pfnid}[{_name_or_empty(ck, pfnid)}] -> {fnid}[{_name_or_empty(ck, fnid)}]"
                )
            for c in changes:
                if c[1] == pfnid:
                    c[2] = fnid
                    break
            else:
                if fnid > 0:
                    changes.insert(0, [pfnid, pfnid, fnid])
        for c in changes:
            c[1] = c[2]
    result = [(c[0], c[2]) for c in changes if c[2] and c[0]]
    if trace is not None:
        for a, b in result:
            trace[1](f"{trace[0]} summary {a}[{_name_or_empty(ck, a)}] -> {b}[{_name_or_empty(ck, b)}]")
    return result


def _name_or_empty(ck: Checkout, fnid: int) -> str:
    return str(ck.one("SELECT name FROM filename WHERE fnid=?", (fnid,)) or "")


def filename(ck: Checkout, fnid: int) -> str:
    return str(ck.one("SELECT name FROM filename WHERE fnid=?", (fnid,)))


def nearest_fork(ck: Checkout, vid: int, use_vmerge: bool = True) -> int:
    """The most recent open leaf of ``vid``'s branch, other than ``vid`` and not yet merged."""
    sql = "SELECT leaf.rid FROM leaf, event WHERE leaf.rid=event.objid AND leaf.rid!=?"
    if use_vmerge:
        sql += " AND leaf.rid NOT IN (SELECT merge FROM localdb.vmerge)"
    sql += (
        " AND NOT EXISTS(SELECT 1 FROM tagxref WHERE rid=leaf.rid AND tagid=9 AND tagtype>0)"
        " AND (SELECT value FROM tagxref WHERE tagid=8 AND rid=? AND tagtype>0)="
        " (SELECT value FROM tagxref WHERE tagid=8 AND rid=leaf.rid AND tagtype>0)"
        " ORDER BY event.mtime DESC LIMIT 1"
    )
    return int(ck.one(sql, (vid, vid), 0))


_AMBIGUOUS = (
    "SELECT 1 FROM leaf"
    " WHERE NOT EXISTS(SELECT 1 FROM tagxref AS tx WHERE tx.rid=?1 AND tx.tagid=9 AND tx.tagtype>0)"
    " AND rid<>?1 AND (SELECT value FROM tagxref WHERE tagid=8 AND rid=leaf.rid)="
    "(SELECT value FROM tagxref WHERE tagid=8 AND rid=?1)"
    " AND NOT EXISTS(SELECT 1 FROM tagxref AS tx WHERE tx.rid=leaf.rid AND tx.tagid=9 AND tx.tagtype>0)"
)
_OPEN_LEAVES = (
    "SELECT (SELECT uuid FROM blob WHERE rid=leaf.rid),"
    " (SELECT datetime(mtime) FROM event WHERE objid=leaf.rid), leaf.rid FROM leaf"
    " WHERE (SELECT value FROM tagxref WHERE tagid=8 AND rid=leaf.rid)=?"
    " AND NOT EXISTS(SELECT 1 FROM tagxref AS tx WHERE tx.rid=leaf.rid AND tx.tagid=9 AND tx.tagtype>0)"
    " ORDER BY 2 DESC"
)


def leaf_ambiguity_warning(ck: Checkout, rid: int, current: int) -> list[str]:
    """``leaf_ambiguity_warning``: the lines of the warning about other open
    leaves on ``rid``'s branch (empty if there are none)."""
    from fossilpy.repo.crosslink.leaf import is_leaf

    repo = ck.repo
    if not rid or not is_leaf(repo, rid) or ck.one(_AMBIGUOUS, (rid,)) is None:
        return []
    branch = ck.one("SELECT value FROM tagxref WHERE tagid=8 AND rid=?", (rid,)) or "trunk"
    lines = [f"WARNING: multiple open leaf check-ins on {branch}:"]
    for n, (uuid, when, leaf) in enumerate(ck.all(_OPEN_LEAVES, (branch,)), 1):
        lines.append(f"  ({n}) {when} [{str(uuid)[:10]}]{' (current)' if leaf == current else ''}")
    return lines
