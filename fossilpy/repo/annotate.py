"""Annotation ("blame"): which check-in last changed each line of a file.

Fossil 2.21's ``annotate_file`` (``src/diff.c``).  The versions of the
file are those of the check-ins on a path through history, nearest first:
the primary-parent chain from the check-in shown back to the root
(``compute_direct_ancestors``), or, with an origin, the shortest path
between the check-in and the origin along primary parent links in either
direction (``path_shortest``; "origin=trunk" on an old check-in gives a
reverse annotation).  Only check-ins that changed the file (its ``mlink``
rows) count.

The newest version's lines are kept; each older version is diffed against
them with Fossil's line diff (:func:`fossilpy.artifact.textdiff.diff_all`,
without the ``diff_optimize`` pass, as ``annotation_step``), and a line
that the older version lacks and that has no owner yet is credited to the
version just after it.  Lines still without an owner at the end belong to
the oldest version analyzed, unless the walk stopped early (a limit, or an
origin), when they stay blank.

Limits (``limit=``): ``none``; ``Ns`` (as many versions as fit in N
seconds); ``N`` versions (30 if not positive); by default what fits in
one second.  At least three versions are always analyzed.  The request
budget (:mod:`fossilpy.budget`) is asked after every version.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fossilpy import budget
from fossilpy.artifact import textdiff
from fossilpy.errors import NotFound
from fossilpy.repo import content
from fossilpy.text import is_digits

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

#: Diff flags of ``fossil annotate``: CR before LF ignored; -w, -Z add to them.
STRIP_EOLCR = textdiff.DIFF_STRIP_EOLCR
IGNORE_ALLWS = textdiff.DIFF_IGNORE_ALLWS
IGNORE_EOLWS = textdiff.DIFF_IGNORE_EOLWS


@dataclass
class Version:
    """One version analyzed: file and check-in hashes, check-in date (YYYY-MM-DD), user."""

    file_uuid: str
    checkin_uuid: str
    date: str
    user: str
    color: str = ""


@dataclass
class Annotation:
    """The result: ``lines`` of the file, ``owner[i]`` the index in ``versions`` of the
    version that brought line ``i`` (-1: unknown), ``more_to_do`` when the walk stopped early."""

    lines: list[bytes] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    more_to_do: bool = False
    origin_id: int = 0

    def owner_of(self, i: int) -> int:
        """The version shown for line ``i`` (the oldest one when the walk went to the root)."""
        v = self.owner[i]
        if v < 0 and not self.more_to_do:
            v = len(self.versions) - 1
        return v


def gradient_color(c1: int, c2: int, n: int, i: int) -> int:
    """Fossil's ``gradient_color``: step ``i`` of ``n`` from colour ``c1`` to ``c2``."""
    if i == 0 or n == 0:
        return c1
    if i >= n:
        return c2
    out = 0
    for shift in (16, 8, 0):
        x1, x2 = (c1 >> shift) & 0xFF, (c2 >> shift) & 0xFF
        out |= ((x1 * (n - i) + x2 * i) // n << shift) & (0xFF << shift)
    return out


def direct_ancestors(repo: Repo, rid: int) -> list[int]:
    """``compute_direct_ancestors``: ``rid`` and its primary parents back to the root."""
    rows = repo.all(
        "WITH RECURSIVE g(x,i) AS (VALUES(?,1) UNION ALL"
        " SELECT plink.pid, g.i+1 FROM plink, g WHERE plink.cid=g.x AND plink.isprim)"
        " SELECT x FROM g ORDER BY i",
        (rid,),
    )
    return [r[0] for r in rows]


def shortest_path(repo: Repo, start: int, end: int) -> list[int]:
    """``path_shortest(start, end, directOnly)``: check-ins from ``start`` to ``end`` along
    primary parent links either way, breadth first in Fossil's order; [] if none."""
    if start == end:
        return [start]
    came_from: dict[int, int] = {start: 0}
    level = [start]
    sql = "SELECT cid, 1 FROM plink WHERE pid=?1 AND isprim UNION ALL SELECT pid, 0 FROM plink WHERE cid=?1 AND isprim"
    while level:
        budget.check()
        nxt: list[int] = []
        for node in level:
            for rid, _ in repo.all(sql, (node,)):
                if rid in came_from:
                    continue
                came_from[rid] = node
                nxt.insert(0, rid)  # Fossil pushes each new node on the front of the next level
                if rid == end:
                    path = [rid]
                    while came_from[path[-1]]:
                        path.append(came_from[path[-1]])
                    return path[::-1]
        level = nxt
    return []


def _deadline(limit: str | None) -> tuple[int, float]:
    """(version limit, time limit as time.monotonic(); 0 = none) from a ``limit`` value."""
    if limit is None:
        return 0, time.monotonic() + 1.0
    if limit == "none":
        return 0, 0.0
    if len(limit) >= 2 and limit.endswith("s") and is_digits(limit[-2]):
        return 0, time.monotonic() + _atof(limit)
    n = _atoi(limit)
    return (n if n > 0 else 30), 0.0


def _atoi(text: str) -> int:
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    digits = ""
    for ch in text.lstrip("+-"):
        if not ("0" <= ch <= "9"):
            break
        digits += ch
    return sign * int(digits) if digits else 0


def _atof(text: str) -> float:
    best = 0.0
    for end in range(1, len(text) + 1):
        try:
            best = float(text[:end])
        except ValueError:
            continue
    return best


def annotate(
    repo: Repo, filename: str, checkin: int, *, origin: int = 0, limit: str | None = None, flags: int = STRIP_EOLCR
) -> Annotation:
    """Annotate ``filename`` as of check-in rid ``checkin`` (see the module docstring).

    Raises NotFound with Fossil's message for an unknown file name or a
    file the check-in does not have."""
    max_versions, deadline = _deadline(limit)
    fnid = repo.one(
        "SELECT fnid FROM filename WHERE name=CAST(? AS TEXT)", (filename.encode("utf-8", "surrogateescape"),)
    )
    if not fnid:
        raise NotFound(f"no such file: '{filename}'")
    if origin:
        # the path as a JSON array of rids (integers: no encoder needed)
        path = "[" + ",".join(str(rid) for rid in shortest_path(repo, checkin, origin)) + "]"
        ancestor = "ancestor(rid, generation) AS (SELECT value, key+1 FROM json_each(?1))"
    else:
        # compute_direct_ancestors, inside the one query (the chain never leaves SQLite)
        path = str(checkin)
        ancestor = (
            "RECURSIVE ancestor(rid, generation) AS (VALUES(CAST(?1 AS INTEGER),1) UNION ALL"
            " SELECT plink.pid, ancestor.generation+1 FROM plink, ancestor"
            " WHERE plink.cid=ancestor.rid AND plink.isprim)"
        )
    rows = repo.all(
        "WITH " + ancestor + " SELECT DISTINCT (SELECT uuid FROM blob WHERE rid=mlink.fid),"
        " (SELECT uuid FROM blob WHERE rid=mlink.mid), date(event.mtime), coalesce(event.euser,event.user), mlink.fid"
        " FROM mlink, event, ancestor WHERE mlink.fnid=?2 AND ancestor.rid=mlink.mid"
        " AND event.objid=mlink.mid AND mlink.mid!=mlink.pid ORDER BY ancestor.generation",
        (path, fnid),
    )
    ann = Annotation(origin_id=origin)
    classes: dict[bytes, int] = {}
    hashes: dict[bytes, int] = {}  # each distinct line hashed once over all the versions
    target: textdiff.Lines | None = None
    for count, (fuuid, muuid, date, user, fid) in enumerate(rows):
        if count >= 3 and ((max_versions > 0 and count >= max_versions) or (deadline and time.monotonic() > deadline)):
            ann.more_to_do = True
            break
        budget.check()
        data = textdiff.strip_bom(content.get(repo, fid) or b"")
        if count == 0:
            ann.more_to_do = origin != 0
            try:
                target = textdiff.split_lines(data, flags, classes, hashes)
            except textdiff.BinaryInput:
                target = None
            if target is not None:
                ann.lines = list(target.z)
                ann.owner = [-1] * len(target.z)
        ann.versions.append(Version(fuuid or "", muuid or "", date or "", user or ""))
        if count > 0 and target is not None:
            _step(ann, target, data, flags, (classes, hashes), len(ann.versions) - 2)
    if not ann.versions:
        raise NotFound(f"file {filename} does not exist in check-in {content.uuid_of(repo, checkin) or checkin}")
    return ann


def _step(
    ann: Annotation,
    target: textdiff.Lines,
    older: bytes,
    flags: int,
    tables: tuple[dict[bytes, int], dict[bytes, int]],
    version: int,
) -> None:
    """``annotation_step``: lines of ``target`` missing from ``older`` and not yet owned go to ``version``."""
    try:
        parent = textdiff.split_lines(older, flags, *tables)
    except textdiff.BinaryInput:
        return
    edits = textdiff.diff_all(parent, target)
    line = 0
    for i in range(0, len(edits), 3):
        line += edits[i]
        for _ in range(edits[i + 2]):
            if ann.owner[line] < 0:
                ann.owner[line] = version
            line += 1
