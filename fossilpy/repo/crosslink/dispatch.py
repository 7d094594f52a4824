"""Crosslinking: turning stored structural artifacts into derived-table rows.

Every artifact that parses as a structural artifact (see
``fossilpy.artifact.manifest``) is "crosslinked" once it is stored, and again
on rebuild.  This module handles check-ins, clusters and control artifacts
and dispatches wiki, ticket, technote, attachment and forum artifacts to
``fossilpy.repo.xlink_docs``.  Behaviour follows Fossil 2.21's
``manifest_crosslink`` (``src/manifest.c``).

Check-ins are handled in ``fossilpy.repo.checkins`` (plink, mlink, filename,
cherrypick, the 'ci' event) and tags in ``fossilpy.repo.tags``.

A cluster (M cards) gets tag "cluster" and removes its members from
``unclustered``.  A control artifact applies its T cards and gets an event row
of type 'g' whose comment describes the edits (tags.control_comment).

Deferred work lives in a :class:`Batch` (Fossil's crosslink_begin/end): at the
end, "parent" tags re-parent check-ins, documents finish (ticket rebuilds,
wiki backlinks), close-together check-in times are nudged into order
(``time_fudge``), and queued leaf checks run.

Storage side effects that Fossil performs while crosslinking (opportunistic
deltification of parents against children) are storage choices, not part of
the derived state, and are not done here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.errors import ProgrammingError
from fossilpy.repo import tags as tagmod
from fossilpy.repo.checkins import (  # noqa: F401  (re-exported)
    AGE_FUDGE_WINDOW,
    Checkin,
    add_checkin_linkages,
    add_mlink,
    crosslink_checkin,
    fetch_baseline,
    mperm,
    reparent_checkin,
)
from fossilpy.repo.db import Repo, sql_text
from fossilpy.repo.julian import format_g17, fossil_real  # noqa: F401  (re-exported)

__all__ = [
    "Batch", "batch", "crosslink", "after_dephantomize", "add_fwt_plink", "parse",
    "Checkin", "add_checkin_linkages", "add_mlink", "crosslink_checkin", "fetch_baseline",
    "mperm", "reparent_checkin", "format_g17", "fossil_real",
]  # fmt: skip

#: Step, in days, used to push such a parent just before its child.
AGE_ADJUST_INCREMENT = 25.0 / 86400000.0

#: Parsed check-ins kept per batch.
MANIFEST_CACHE = 16

_HEX = frozenset("0123456789abcdef")


class Batch:
    """State shared by the crosslinks of one unit of work.

    Attributes: ``repo``; ``rebuilding`` (True during rebuild);
    ``deferred_tickets`` / ``deferred_wiki`` (ticket ids / wiki titles whose
    derived rows are recomputed at the end, by xlink_docs.finish);
    ``leaf_pending`` (rids queued for leaf checks); ``time_fudge``
    (parent rid -> (parent mtime, child rid, child mtime)); ``tagids``
    (tag name cache); ``extra`` (free-form state for other modules).
    """

    def __init__(self, repo: Repo, rebuilding: bool = False) -> None:
        self.repo = repo
        self.rebuilding = rebuilding
        self.deferred_tickets: set[str] = set()
        self.deferred_wiki: set[str] = set()
        self.leaf_pending: set[int] = set()
        self.time_fudge: dict[int, tuple[float, int, float]] = {}
        self.tagids: dict[str, int] = {}
        self.fnids: dict[str, int] = {}
        self.rids: dict[str, int] | None = None
        self.manifests: OrderedDict[int, Checkin] = OrderedDict()
        self.hash_digits: int | None = None
        self.has_private = repo.one("SELECT 1 FROM private LIMIT 1") is not None
        self.seen_delta_manifest = False
        self.extra: dict[str, Any] = {}
        self.cluster_only = False
        self.mlink_rows: list[tuple[Any, ...]] = []
        #: (mid, pmid) pairs present in mlink, when known (rebuild: starts empty)
        self.mlink_pairs: set[tuple[int, int]] | None = None
        self.mlink_mids: set[int] = set()
        #: (mid, fnids of its primary mlink rows) cached by checkins._add_one_mlink
        self.primary_fnids: tuple[int, set[int]] | None = None
        #: F line -> (FileCard or None, raw name), see fossilpy.repo.fmemo
        self.fline_memo: dict[bytes, Any] = {}
        #: ``fetch(rid) -> bytes | None`` replacing content.get (rebuild sets it)
        self.fetch: Any = None
        #: ``zdigest(data) -> bytes | None``: the hex MD5 of ``data`` without
        #: its Z card when computed ahead (rebuild sets it), else None
        self.zdigest: Any = None
        self.parsed = 0
        self._docs: Any = None
        self._backlink: Any = None
        self._reals: dict[float, float] = {}
        #: (srctype, srcid) whose text had a "[" (possible backlinks) in this batch
        self._linked: set[tuple[int, int]] = set()

    def real(self, x: float) -> float:
        """``fossil_real(x)``, cached: a time as Fossil stores it from SQL text."""
        r = self._reals.get(x)
        if r is None:
            r = self._reals[x] = fossil_real(x)
        return r

    # -- lookups ---------------------------------------------------------

    def rid_of(self, uuid: str | None, phantomize: bool = False) -> int:
        """Rid of a full hash; with ``phantomize``, create a phantom if unknown.

        Returns 0 for an invalid hash, an unknown one (without phantomize) or
        a shunned one.
        """
        rids = self.rids
        if rids is not None and uuid in rids:
            return rids[uuid]  # keys are valid lower-case names
        if not uuid or len(uuid) not in (40, 64):
            return 0
        uuid = uuid.lower()
        if not _HEX.issuperset(uuid):
            return 0
        rid = rids.get(uuid, 0) if rids is not None else 0
        if not rid:
            rid = self.repo.one("SELECT rid FROM blob WHERE uuid=?", (uuid,), 0)
        if rid or not phantomize:
            return rid
        return self.new_phantom(uuid)

    def new_phantom(self, uuid: str) -> int:
        """Insert a phantom blob for ``uuid`` (unless shunned); return its rid."""
        from fossilpy.repo import content

        if len(uuid) == 40 and self.repo.config_int("hash-policy", 2) == 4:
            return 0  # shun-sha1: SHA1 names count as shunned
        rid = content.new_phantom(self.repo, uuid)
        if rid and self.rids is not None:
            self.rids[uuid] = rid
        return rid

    def is_private(self, rid: int) -> bool:
        return self.has_private and (
            self.repo.db.execute("SELECT 1 FROM private WHERE rid=?", (rid,)).fetchone()
            is not None
        )

    def fnid(self, name: str) -> int:
        """filename.fnid of ``name``, inserting it if new."""
        fnid = self.fnids.get(name)
        if fnid is None:
            db = self.repo.db
            key = sql_text(name)
            row = db.execute(
                "SELECT fnid FROM filename WHERE name=CAST(? AS TEXT)", (key,)).fetchone()
            if row is None:
                fnid = db.execute(
                    "INSERT INTO filename(name) VALUES(CAST(? AS TEXT))", (key,)).lastrowid
            else:
                fnid = row[0]
            self.fnids[name] = fnid
        return fnid

    def checkin(self, rid: int) -> Checkin | None:
        """The parsed check-in ``rid`` (cached), or None if it is not one."""
        ci = self.manifests.get(rid)
        if ci is not None:
            self.manifests.move_to_end(rid)
            return ci
        if not rid:
            return None
        if self.fetch is not None:
            data = self.fetch(rid)
        else:
            from fossilpy.repo import content

            data = content.get(self.repo, rid)
        m = parse(data, self) if data else None
        if m is None or m.type != ArtifactType.MANIFEST:
            return None
        return self.remember(rid, m, data)

    def remember(self, rid: int, m: Manifest, data: bytes | None = None) -> Checkin:
        ci = self.manifests.get(rid)
        if ci is None or ci.m is not m:
            ci = Checkin(rid, m, data)
            self.manifests[rid] = ci
            if len(self.manifests) > MANIFEST_CACHE:
                self.manifests.popitem(last=False)
        return ci

    # -- hooks into other modules -----------------------------------------

    def docs(self) -> Any:
        """The xlink_docs module, or False if it is not available."""
        if self._docs is None:
            try:
                from fossilpy.repo import xlink_docs
            except ImportError:
                xlink_docs = False  # type: ignore[assignment]
            self._docs = xlink_docs
        return self._docs

    def extract_backlinks(
        self, text: str, mimetype: Any, srcid: int, srctype: int, mtime: float
    ) -> None:
        """Record the hyperlinks in ``text`` (fossilpy.repo.backlink.extract)."""
        if self._backlink is None:
            try:
                from fossilpy.repo import backlink

                self._backlink = getattr(backlink, "extract", False)
            except ImportError:
                self._backlink = False
        if not self._backlink:
            return
        if "[" not in text and self.rebuilding and (srctype, srcid) not in self._linked:
            return  # no link can be found, and none was recorded to replace
        if "[" in text:
            self._linked.add((srctype, srcid))
        self._backlink(self, text, mimetype, srctype, srcid, mtime)


def parse(data: bytes, b: Batch | None = None) -> Manifest | None:
    """Parse ``data`` if it can be a structural artifact; None otherwise.

    Cheap rejections first: structural artifacts end with LF and, unless
    PGP-signed, start with ``X `` and end with ``Z <32 hex>\\n``.  With a
    batch, check-in manifests reuse the batch's memo of F lines
    (fossilpy.repo.fmemo).
    """
    if len(data) < 10 or data[-1:] != b"\n":
        return None
    if not data.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----"):
        c = data[0]
        if not (65 <= c <= 90 and data[1] == 32):
            return None
        if len(data) < 35 or data[-35:-33] != b"Z " and data[-36:-34] != b"Z ":
            return None
    if b is not None and data[:2] in (b"C ", b"D "):
        from fossilpy.repo.fmemo import memo_parse

        return memo_parse(b, data)
    from fossilpy.artifact import manifest

    return manifest.parse_or_none(data)


# -- batches --------------------------------------------------------------


@contextmanager
def batch(repo: Repo, *, rebuilding: bool = False) -> Iterator[Batch]:
    """Group crosslinks; deferred work runs when the block ends without error.

    Must be used inside ``repo.write()``.  A nested call joins the batch
    already open on ``repo``.
    """
    current = getattr(repo, "xlink_batch", None)
    if current is not None:
        yield current
        return
    if not repo.in_write:
        raise ProgrammingError("crosslink batch outside a write transaction")
    b = Batch(repo, rebuilding)
    _event_triggers(repo, rebuilding)
    repo.xlink_batch = b  # type: ignore[attr-defined]
    try:
        yield b
        _finish(b)
    finally:
        repo.xlink_batch = None  # type: ignore[attr-defined]


#: Fossil's TEMP trigger queueing an alert for each new event row
#: (``alert_create_trigger``); event ids are the type letter + objid.
_ALERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS temp.alert_trigger1 AFTER INSERT ON main.event BEGIN"
    " INSERT INTO pending_alert(eventid) SELECT printf('%.1c%d', new.type, new.objid)"
    " WHERE true ON CONFLICT(eventid) DO NOTHING; END"
)


def _event_triggers(repo: Repo, rebuilding: bool) -> None:
    """Queue email alerts for new events, except while rebuilding (map §5)."""
    if not rebuilding and repo.table_exists("pending_alert"):
        repo.db.execute(_ALERT_TRIGGER)
    else:
        repo.db.execute("DROP TRIGGER IF EXISTS temp.alert_trigger1")


def _finish(b: Batch) -> None:
    db = b.repo.db
    for rid, value in db.execute(
        "SELECT rid, value FROM tagxref WHERE tagid=? AND tagtype=1", (tagmod.TAG_PARENT,)
    ).fetchall():
        reparent_checkin(b, rid, value or "")
    docs = b.docs()
    if docs and hasattr(docs, "finish"):
        _call_docs(docs.finish, b)
    _apply_time_fudge(b)
    from fossilpy.repo import leaf

    leaf.settle(b)


def _apply_time_fudge(b: Batch) -> None:
    """Move parents dated at or after a close child to just before it."""
    if not b.time_fudge:
        return
    fudge = {mid: list(v) for mid, v in b.time_fudge.items()}
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
            child = fudge.get(row[1])
            row[2] = child[0] if child is not None else None  # type: ignore[assignment]
        # rows whose child has no entry get m2=NULL and never match again
        for row in fudge.values():
            if row[2] is None:
                row[2] = float("-inf")
    b.repo.db.executemany(
        "UPDATE event SET mtime=? WHERE objid=? AND (mtime=omtime OR omtime IS NULL)",
        [(row[0], mid) for mid, row in fudge.items()],
    )
    b.time_fudge.clear()


# -- entry point ----------------------------------------------------------


def crosslink(
    repo: Repo, rid: int, data: bytes | None = None, *, batch: Batch | None = None
) -> bool:
    """Crosslink artifact ``rid``; False if it is not a structural artifact."""
    if batch is None:
        cur = getattr(repo, "xlink_batch", None)
        if cur is None:
            from fossilpy.repo.crosslink import batch as open_batch

            with repo.write(), open_batch(repo) as nb:
                return crosslink(repo, rid, data, batch=nb)
        batch = cur
    b = batch
    ci = b.manifests.get(rid)
    if ci is not None:
        m = ci.m
    else:
        if data is None:
            from fossilpy.repo import content

            data = content.get(repo, rid)
            if data is None:
                return False
        m = parse(data, b)
        if m is None:
            return False
    b.parsed += 1
    if b.cluster_only and m.type != ArtifactType.CLUSTER:
        return False
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
        cur = getattr(repo, "xlink_batch", None)
        if cur is None:
            from fossilpy.repo.crosslink import batch as open_batch

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
            batch.manifests.pop(orphan, None)
            crosslink(repo, orphan, batch=batch)
        if orphans:
            db.execute("DELETE FROM orphan WHERE baseline=?", (cur_rid,))
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
    docs = b.docs()
    if not docs:
        return
    name = {
        ArtifactType.WIKI: "crosslink_wiki",
        ArtifactType.TICKET: "crosslink_ticket",
        ArtifactType.EVENT: "crosslink_event",
        ArtifactType.ATTACHMENT: "crosslink_attachment",
        ArtifactType.FORUM: "crosslink_forum",
    }.get(t)
    func = getattr(docs, name, None) if name else None
    if func is not None:
        _call_docs(func, b, rid, m)


def _call_docs(func: Any, *args: Any) -> None:
    try:
        func(*args)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("fossilpy"):
            raise
        # a fossilpy module that is not written yet: skip this kind


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
    tagmod._tag_insert(b, "cluster", 1, None, rid, m.julian, rid)
    db = b.repo.db
    members = [b.rid_of(u, True) for u in m.clusters]
    db.executemany("DELETE FROM unclustered WHERE rid=?", [(r,) for r in members if r > 0])
