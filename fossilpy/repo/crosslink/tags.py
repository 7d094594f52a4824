"""Tags and properties on artifacts: the ``tag`` and ``tagxref`` tables.

On disk (derived tables, rebuilt from T cards of check-ins, control artifacts
and technotes)::

    tag(tagid INTEGER PRIMARY KEY, tagname TEXT UNIQUE)
        rows 1..11 are fixed: bgcolor comment user date hidden private
        cluster branch closed parent note; every other name gets the next id
        the first time it is seen ("sym-NAME" for symbolic tags,
        "wiki-TITLE", "tkt-UUID", "event-ID" for documents)
    tagxref(tagid, tagtype, srcid, origid, value, mtime, rid, UNIQUE(rid,tagid))
        tagtype 0 = cancelled ("-"), 1 = one-shot ("+"), 2 = propagating ("*")
        srcid   = artifact holding the T card; 0 when the row was propagated
        origid  = check-in on which a propagating tag was placed
        mtime   = Julian day of the artifact that set it; a newer row wins

A T card ``T (+|*|-)NAME TARGET [VALUE]`` on artifact SRC dated MTIME becomes
one tagxref row on TARGET (SRC itself for ``*``), unless TARGET already holds
the same tag with an mtime >= MTIME.  Propagating tags then flow down the
primary-parent links (``plink.isprim``) to every descendant that does not
hold its own (srcid != 0) or a newer copy of the tag; a cancel or a one-shot
tag removes older propagated copies from the descendants.  Some tags also
write through to other tables: bgcolor/comment/user to event columns,
date to ``event.mtime``, private to ``private``, parent re-parents a check-in
and branch schedules leaf checks.

This is Fossil 2.21's ``tag_insert``/``tag_propagate``/``tag_propagate_all``
(``src/tag.c``) in behaviour: :func:`apply_tag`, :func:`propagate` and
:func:`propagate_all` work inside a batch; :func:`tag_insert` opens one
when needed.  The text helpers at the end build the timeline comments Fossil
stores for control artifacts (``event.type='g'``); :func:`hash_digits` and
:func:`htmlize` serve other modules too.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fossilpy.repo.db import Repo, sql_text
from fossilpy.text import html_escape

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.artifact.manifest import Manifest, TagCard
    from fossilpy.repo.crosslink.state import Batch

TAG_BGCOLOR = 1
TAG_COMMENT = 2
TAG_USER = 3
TAG_DATE = 4
TAG_HIDDEN = 5
TAG_PRIVATE = 6
TAG_CLUSTER = 7
TAG_BRANCH = 8
TAG_CLOSED = 9
TAG_PARENT = 10
TAG_NOTE = 11

#: Tag type of a T card prefix.
TAGTYPE_OF_PREFIX = {"-": 0, "+": 1, "*": 2}

#: event column that mirrors a tag's value.
_EVENT_COLUMN = {TAG_BGCOLOR: "bgcolor", TAG_COMMENT: "ecomment", TAG_USER: "euser"}

#: Fossil's shortest %!S (URL) hash prefix; %S's default is the hash-digits setting's.
HASH_DIGITS_URL = 16


def tag_id(repo: Repo, name: str, create: bool = True) -> int:
    """The tagid of ``name``; 0 if unknown and ``create`` is false.

    Cached in the batch open on ``repo``, if any.
    """
    b = repo.xlink_batch
    cache = b.tagids if b is not None else None
    if cache is not None:
        tid = cache.get(name)
        if tid:
            return tid
    key = sql_text(name)
    tid = repo.one("SELECT tagid FROM tag WHERE tagname=CAST(? AS TEXT)", (key,), 0)
    if not tid and create:
        tid = repo.execute("INSERT INTO tag(tagname) VALUES(CAST(? AS TEXT))", (key,)).lastrowid
    if tid and cache is not None:
        cache[name] = tid
    return int(tid or 0)


def tag_insert(
    repo: Repo,
    tagname: str,
    tagtype: int,
    value: str | None,
    srcrid: int,
    mtime: float,
    rid: int,
) -> int:
    """Apply one tag to artifact ``rid`` (see the module docstring); return its tagid.

    ``tagtype`` is 0 (cancel), 1 (one-shot) or 2 (propagating); ``mtime`` is a
    Julian day (<= 0 means now).  Runs inside the active crosslink batch, or
    opens one so that leaf checks happen at its end.
    """
    b = repo.xlink_batch
    if b is None:
        from fossilpy.repo.crosslink.dispatch import batch

        with repo.write(), batch(repo) as nb:
            return apply_tag(nb, tagname, tagtype, value, srcrid, mtime, rid)
    return apply_tag(b, tagname, tagtype, value, srcrid, mtime, rid)


def apply_tag(b: Batch, tagname: str, tagtype: int, value: str | None, srcrid: int, mtime: float, rid: int) -> int:
    """:func:`tag_insert` inside batch ``b``."""
    repo = b.repo
    db = repo.db
    tagid = tag_id(repo, tagname, True)
    if mtime <= 0.0:
        mtime = db.execute("SELECT julianday('now')").fetchone()[0]
    if db.execute("SELECT 1 FROM tagxref WHERE tagid=? AND rid=? AND mtime>=?", (tagid, rid, mtime)).fetchone():
        return tagid  # a newer setting of this tag is already in place
    db.execute(
        "REPLACE INTO tagxref(tagid,tagtype,srcid,origid,value,mtime,rid) VALUES(?,?,?,?,CAST(? AS TEXT),?,?)",
        (tagid, tagtype, srcrid, rid, sql_text(value), mtime, rid),
    )
    if tagid == TAG_BRANCH:
        from fossilpy.repo.crosslink.leaf import eventually_check

        eventually_check(b, rid)
    if tagtype == 0:
        value = None
    col = _EVENT_COLUMN.get(tagid)
    if tagid == TAG_PRIVATE:
        db.execute("INSERT OR IGNORE INTO private(rid) VALUES(?)", (rid,))
        b.has_private = True
    if col:
        db.execute(f"UPDATE event SET {col}=CAST(? AS TEXT) WHERE objid=?", (sql_text(value), rid))
        if tagid == TAG_COMMENT:
            b.extract_backlinks(value or "", 0, rid, 0, mtime)
    if tagid == TAG_DATE:
        db.execute(
            "UPDATE event SET mtime=julianday(CAST(? AS TEXT)), omtime=coalesce(omtime,mtime) WHERE objid=?",
            (sql_text(value), rid),
        )
    if tagid == TAG_PARENT and tagtype == 1:
        from fossilpy.repo.crosslink.checkins import reparent_checkin

        reparent_checkin(b, rid, value or "")
    propagate(b, rid, tagid, 0 if tagtype == 1 else tagtype, rid, value, mtime)
    return tagid


def apply_tag_cards(b: Batch, rid: int, m: Manifest) -> None:
    """Apply the T cards of artifact ``rid`` (check-in, control or technote).

    A card's target is its hash (a phantom is created if unknown; shunned
    targets are skipped) or ``rid`` itself for ``*``.
    """
    for t in m.tags:
        tid = b.rid_of(t.uuid, True) if t.uuid else rid
        if not tid:
            continue
        tagtype = TAGTYPE_OF_PREFIX.get(t.prefix)
        if tagtype is None:
            continue
        apply_tag(b, t.name, tagtype, t.value, rid, m.julian, tid)


def propagate(b: Batch, pid: int, tagid: int, tagtype: int, origid: int, value: str | None, mtime: float) -> None:
    """Push tag ``tagid`` of ``pid`` down to its primary-line descendants.

    ``tagtype`` 2 copies a propagating tag (srcid 0) to each descendant that
    has no own copy and no newer propagated one; 0 removes older propagated
    copies.  Descendants are visited oldest first, as Fossil's queue does.
    """
    db = b.repo.db
    doit_default = 1 if tagtype == 2 else 0
    children_sql = (
        "SELECT cid, plink.mtime, coalesce(srcid=0 AND tagxref.mtime<?, ?)"
        " FROM plink LEFT JOIN tagxref ON cid=rid AND tagid=?"
        " WHERE pid=? AND isprim"
    )
    if tagtype == 2:
        write_sql = (
            "REPLACE INTO tagxref(tagid,tagtype,srcid,origid,value,mtime,rid) VALUES(?,2,0,?,CAST(? AS TEXT),?,?)"
        )
    else:
        value = None
        write_sql = "DELETE FROM tagxref WHERE tagid=? AND rid=?"
    queue: list[tuple[float, int]] = [(0.0, pid)]
    touched: list[int] = []
    seen = {pid}
    # Each check-in has one primary parent, so every descendant is reached
    # once and its own tagxref row is only read before this loop writes it:
    # the writes can wait, and are made PROPAGATE_CHUNK at a time (a tag on
    # an early check-in reaches most of the history).  A check-in reached
    # again through a damaged, cyclic history stops the walk: by ``seen``
    # until its row is written, by that row after.
    while queue:
        _, cur = heapq.heappop(queue)
        for cid, cmtime, doit in db.execute(children_sql, (mtime, doit_default, tagid, cur)).fetchall():
            if doit and cid not in seen:
                seen.add(cid)
                heapq.heappush(queue, (cmtime if cmtime is not None else 0.0, cid))
                touched.append(cid)
        if len(touched) >= PROPAGATE_CHUNK:
            _propagate_write(b, write_sql, tagid, tagtype, origid, value, mtime, touched)
            touched = []
            seen = {pid}
    _propagate_write(b, write_sql, tagid, tagtype, origid, value, mtime, touched)


#: Descendants written at once by :func:`propagate`.
PROPAGATE_CHUNK = 1000


def _propagate_write(
    b: Batch,
    write_sql: str,
    tagid: int,
    tagtype: int,
    origid: int,
    value: str | None,
    mtime: float,
    touched: list[int],
) -> None:
    """The tagxref rows (and event colours, leaf checks) of ``touched``."""
    if not touched:
        return
    db = b.repo.db
    if tagtype == 2:
        value = sql_text(value)
        db.executemany(write_sql, [(tagid, origid, value, mtime, cid) for cid in touched])
    else:
        db.executemany(write_sql, [(tagid, cid) for cid in touched])
    if tagid == TAG_BGCOLOR:
        db.executemany(
            "UPDATE event SET bgcolor=CAST(? AS TEXT) WHERE objid=?",
            [(value, cid) for cid in touched],
        )
    elif tagid == TAG_BRANCH:
        from fossilpy.repo.crosslink.leaf import eventually_check

        for cid in touched:
            eventually_check(b, cid)


def propagate_all(b: Batch, pid: int) -> None:
    """Propagate every tag held by check-in ``pid`` to its descendants."""
    rows = b.repo.all("SELECT tagid, tagtype, mtime, value, origid FROM tagxref WHERE rid=?", (pid,))
    for tagid, tagtype, mtime, value, origid in rows:
        propagate(b, pid, tagid, 0 if tagtype == 1 else tagtype, origid, value, mtime)


# -- text helpers ---------------------------------------------------------


htmlize = html_escape  # Fossil's %h, under the name the crosslink modules use


def hash_digits(repo: Repo, for_url: bool = False) -> int:
    """Length of an abbreviated hash: ``%S`` (human) or ``%!S`` (URL).

    From the ``hash-digits`` setting (default 10, clamped to 6..64); the URL
    form is six longer and at least 16.
    """
    b = repo.xlink_batch
    if b is not None and b.hash_digits is not None:
        human = b.hash_digits
    else:
        human = repo.setting_int("hash-digits")
        human = max(6, min(64, human))
        if b is not None:
            b.hash_digits = human
    if not for_url:
        return human
    return max(HASH_DIGITS_URL, min(64, human + 6))


#: Amendments Fossil's timeline describes in one sentence of its own ({hv}: the value, htmlized).
_COMPLETE_MESSAGES = {
    "*bgcolor": ' Change branch background color to "{hv}".',
    "+bgcolor": ' Change background color to "{hv}".',
    "+comment": " Edit check-in comment.",
    "+user": ' Change user to "{hv}".',
    "+date": " Timestamp {hv}.",
}


def control_comment(repo: Repo, comment: str | None, tags: Sequence[TagCard]) -> str:
    """The ``event.comment`` Fossil stores for a control artifact (type 'g').

    ``tags`` are the artifact's TagCards.  They are grouped by target hash
    (sorted by hash, then full name); each group starts with
    `` Edit [HASH|ABBREV]:`` followed by one phrase per tag.  An artifact
    with no phrases gets an empty comment.
    """
    short = hash_digits(repo, False)
    url = hash_digits(repo, True)
    parts: list[str] = []
    if comment:
        parts.append(f" {comment}.")
    cards = sorted(((t.uuid or "", t.prefix + t.name, t) for t in tags if t.uuid), key=lambda x: x[:2])
    prev = None
    branch_move = False
    for uuid, full, t in cards:
        if uuid != prev:
            parts.append(f" Edit [{uuid[:url]}|{uuid[:short]}]:")
            branch_move = False
            prev = uuid
        value = t.value
        hv = htmlize(value)
        if full == "*branch":
            parts.append(f" Move to branch [/timeline?r={hv}&nd&dp={uuid[:url]}&unhide | {hv}].")
            branch_move = True
            continue
        if full in _COMPLETE_MESSAGES:  # a whole sentence, no note
            parts.append(_COMPLETE_MESSAGES[full].replace("{hv}", hv))
            continue
        if full == "-bgcolor":
            parts.append(" Cancel background color")
        elif full.startswith("-sym-"):
            if branch_move:
                continue
            parts.append(f' Cancel tag "{htmlize(full[5:])}"')
        elif full.startswith("*sym-"):
            if branch_move:
                continue
            parts.append(f' Add propagating tag "{htmlize(full[5:])}"')
        elif full.startswith("+sym-"):
            parts.append(f' Add tag "{htmlize(full[5:])}"')
        elif full == "+closed":
            parts.append(' Mark "Closed"')
        elif full == "-closed":
            parts.append(' Remove the "Closed" mark')
        else:
            verb = {"-": "Cancel", "+": "Add"}.get(full[0], "Add propagating")
            parts.append(f' {verb} "{htmlize(full[1:])}"')
            parts.append(f' with value "{hv}".' if value else ".")
            continue
        parts.append(f' with note "{hv}".' if value else ".")
    text = "".join(parts)
    return text[1:] if text else ""
