"""``--setmtime``: each file of a check-out dated by the check-in that gave it
its content (``vfile_check_signature`` with ``CKSIG_SETMTIME`` in
``src/vfile.c``, ``mtime_of_manifest_file`` in ``src/descendants.c``).

``open``, ``checkout`` and ``update`` take the option; after their work
:func:`apply` runs over the rows of ``vfile`` for the check-in now checked
out:

* the usual signature check first (:func:`fossilpy.checkout.vfile.check_signature`),
  so a file edited on disk is known as such;
* for every file the check left unchanged, or changed only by a merge
  (``chnged`` 0, 2 or 4 at the point Fossil looks, before the permission
  codes 6..9 are decided), the wanted time is the newest ``event.mtime``
  among the direct (primary-parent) ancestors of the check-in, the
  check-in included, that have an ``mlink`` row with the file's artifact:
  the check-in where the file took its current content.  The time is
  Fossil's ``(mtime-2440587.5)*86400`` as a REAL truncated toward zero to
  whole seconds; no such ancestor gives 0 (the NULL of ``max()`` read as
  an integer), as in Fossil;
* when the file's mtime differs, access and modification times are set to
  that second (``utimes`` with zero microseconds) and the new mtime goes
  into ``vfile.mtime``, so ``changes`` stays clean.

Deviation kept on purpose: Fossil's ``utimes`` follows a symlink and dates
its target, which may lie outside the tree; fossilpy dates the link itself
and never touches what it points to.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

#: ``compute_ancestors(vid, 100000000, directOnly=1, 0)`` then, per file,
#: ``(max(event.mtime)-2440587.5)*86400`` over the ancestors' mlink rows for
#: the file's artifact (vfile.mrid).  One row per vfile row of the check-in:
#: (id, pathname as bytes, chnged, mtime, wanted time or NULL).
_SQL = """
WITH RECURSIVE ancestor(rid, mtime) AS (
  SELECT ?1, mtime FROM event WHERE objid=?1
  UNION
  SELECT plink.pid, event.mtime FROM ancestor, plink, event
   WHERE plink.cid=ancestor.rid AND event.objid=plink.pid AND plink.isPrim
   ORDER BY mtime DESC LIMIT 100000000
)
SELECT vfile.id, CAST(vfile.pathname AS BLOB), vfile.chnged, coalesce(vfile.mtime,0),
  (SELECT (max(event.mtime)-2440587.5)*86400 FROM mlink, event
    WHERE mlink.mid=event.objid AND +mlink.mid IN (SELECT rid FROM ancestor)
      AND mlink.fid=vfile.mrid)
  FROM localdb.vfile WHERE vfile.vid=?1
"""


def _seconds(value: object) -> int:
    """A REAL read as Fossil's ``db_column_int64``: truncated toward zero, NULL as 0."""
    if value is None:
        return 0
    assert isinstance(value, (int, float))
    return int(value)


def apply(ck: Checkout, vid: int) -> None:
    """``vfile_check_signature(vid, CKSIG_SETMTIME)``; see the module's docstring."""
    from fossilpy.checkout import vfile

    if not vid:
        return
    repo = ck.repo
    links = vfile.allow_symlinks(ck)
    root = vfile.fs(ck.root)
    with repo.write():
        # the chnged codes before the check: a row already marked 6..9 that the
        # check leaves with unmodified content was not 0, 2 or 4 when Fossil
        # looked, so it keeps its time (the permission step comes after)
        before = {int(r[0]): int(r[1] or 0) for r in ck.all("SELECT id, chnged FROM localdb.vfile WHERE vid=?", (vid,))}
        vfile.check_signature(ck, vid)
        updates: list[tuple[int, int]] = []
        for fid, name, chnged, mtime, wanted in ck.all(_SQL, (vid,)):
            chnged = int(chnged or 0)
            if chnged in (2, 4):
                pass
            elif chnged in (0, 6, 8, 9) and before.get(int(fid), 0) not in (6, 7, 8, 9):
                pass
            else:
                continue
            desired = _seconds(wanted)
            if int(mtime) == desired:
                continue
            path = root + bytes(name)
            try:
                os.utime(path, (desired, desired), follow_symlinks=False)
            except OSError:
                continue  # Fossil ignores a failed utimes too
            current = vfile.file_info(os.fsdecode(path), links)[1]
            if current != int(mtime):
                updates.append((current, int(fid)))
        if updates:
            repo.db.executemany("UPDATE localdb.vfile SET mtime=? WHERE id=?", updates)
