"""Rebuild: recompute every derived table from the stored artifacts.

Follows Fossil 2.21's ``rebuild_db`` (``src/rebuild.c``):

1. Drop every table except the essential ones
   (``schema.is_essential_table``: the essential list plus ``sqlite_*`` and
   ``fx_*``), then create the derived schema again (the ticket tables from
   the ``ticket-table`` setting when it is set).
2. Delete shunned artifacts (after storing full text for anything that was a
   delta of one).
3. ``unclustered`` = every non-private blob; ``unsent`` stays empty; config
   rows ``remote-code`` and ``remote-maxid`` are deleted; users without an
   mtime get "now".
4. Crosslink every artifact inside one batch, in Fossil's order: for each
   full-text blob in rid order, the blob and then, depth first, the blobs
   stored as deltas of it (children visited in the order of Fossil's hash
   "bag"), each expanded from its source exactly once.  Remaining blobs
   (those whose chain starts at a phantom) come next; phantoms are put in
   ``phantom``.  A blob whose recorded size is wrong gets it corrected.
5. Private check-ins and files used only by them go back into ``private``
   (public artifacts stored as deltas of private ones are expanded).
6. Config ``content-schema``=2, ``aux-schema``=2015-01-24 and ``rebuilt``.

Speed: a parent manifest needed before the walk reaches it (to compute
mlink rows) is expanded through ``_Walker.fetch`` from the nearest text
already in hand (walk cache, texts fetched before, or checkpoints kept
every 8 deltas along long chains) and handed back to the walk, so no delta
is applied twice for it; parsed check-ins are cached in the batch, and
check-in manifests are parsed with the batch's F-line memo
(``fossilpy.artifact.fmemo``).  Everything runs on one thread: a second
one that computed the Z-card MD5s ahead of the crosslinks made the rebuild
slower (its hand-offs of the GIL cost more than the hashing, 2.9 -> 3.6 s
on 5,000 check-ins with 2 busy processors).

Memory: every text kept is under a bound in bytes or count (walk cache,
fetched texts, checkpoints, the texts of delta sources whose children wait
on the walk's stack, parsed check-ins by F cards, the F-line memo, hash ->
rid and name -> fnid lookups), SQLite's page cache is PAGE_CACHE_KIB, and
nothing is kept per artifact but bitmaps of rids.  Fossil's own recursion
holds a text per fork along the path it walks (96 MiB at 200,000 check-ins).

Not done (as in Fossil only in special cases): re-creating the trunk tag for
repositories that have no ``sym-trunk`` tag at all (``rebuild_tag_trunk``
writes new control artifacts), rebuilding a full-text search index, and
opportunistic re-deltification.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from fossilpy.artifact import blob as blobfmt
from fossilpy.artifact import delta as deltafmt
from fossilpy.errors import FossilError
from fossilpy.repo import crosslink
from fossilpy.repo.crosslink import tickets
from fossilpy.repo.db import Repo

CONTENT_SCHEMA = "2"
AUX_SCHEMA = "2015-01-24"
#: What ``config.rebuilt`` records (the version string of the binary we mirror).
REBUILT_VERSION = "2.21 [3c53b6364e] 2023-02-26 19:24:24 UTC"

#: Expanded artifacts kept in repo.cache while walking delta trees.
_WALK_CACHE = 32
#: Intermediate texts kept when expanding long chains out of order, at most,
#: and their bytes at most (50,000 check-ins, manifests of 138 KB: 2 MiB kept
#: 14 of them, and the fetches applied 7.3 deltas each; 8 MiB, 3.0; 16 MiB,
#: 2.0).  The count keeps small manifests from filling the bytes (5,000
#: check-ins, 33 KB: 16 MiB of them was 9 MiB more peak RSS for no time
#: saved; 100 texts 3 MiB, and the clone's peak RSS 1.47x fossil's).
CHECKPOINT_TEXTS = 64
CHECKPOINT_BYTES = 16 << 20
#: ... every this many deltas along the chain (4 or 2 did worse at 8 MiB).
CHECKPOINT_EVERY = 8
#: Compressed blob rows read into memory at once when they total at most this
#: (was 16 MiB: 6.5 MiB more peak RSS on 5,000 check-ins for no CPU time saved
#: when the file is in the OS cache).
PRELOAD_BYTES = 4 << 20
#: Bytes of expanded texts kept in repo.cache and in the fetched texts, each
#: at most (beside the count limit); texts longer than _BIG_TEXT make the walk
#: look at the bytes.
WALK_CACHE_BYTES = 8 << 20
_BIG_TEXT = 256 << 10
#: Bytes of source texts kept for the children waiting on the walk's stack
#: (see _Walker._expand).
STACK_BYTES = 8 << 20
#: SQLite's page cache during a rebuild, in KiB (its default is 2,000): each
#: KiB is peak RSS, and the walk reads blob rows once, in rid order.  1,024
#: took 1.1 MiB (5,000 check-ins) and 1.6 MiB (50,000) off the peak at the
#: same CPU time (50,000: 23.4 s user against 23.6-24.0 s with 2,000).
PAGE_CACHE_KIB = 1024


def rebuild(repo: Repo, *, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Drop and recompute all derived tables; return counts.

    ``progress(done, total)`` is called as artifacts are processed (total is
    an estimate, as Fossil's).  Runs in one write transaction.
    """
    t0 = time.monotonic()
    stats: dict[str, Any] = {"artifacts": 0, "structural": 0, "phantoms": 0}
    with _page_cache(repo, PAGE_CACHE_KIB), repo.write():
        db = repo.db
        _recreate_schema(repo)
        _shun_artifacts(repo)
        db.execute("INSERT INTO unclustered SELECT rid FROM blob EXCEPT SELECT rid FROM private")
        db.execute("DELETE FROM unclustered WHERE rid IN (SELECT rid FROM shun JOIN blob USING(uuid))")
        db.execute("DELETE FROM config WHERE name IN ('remote-code','remote-maxid')")
        db.execute("UPDATE user SET mtime=strftime('%s','now') WHERE mtime IS NULL")

        total = repo.one("SELECT max(rid) FROM blob") or 0
        incr = total // 100
        total += incr * 2
        walker = _Walker(repo, total, progress)
        if progress:
            progress(0, total)
        try:
            with crosslink.batch(repo, rebuilding=True) as b:
                b.rids = {}  # hash -> rid, filled by the lookups (RID_CACHE at most)
                walker.batch = b
                b.fetch = walker.fetch
                b.mlink_mids = crosslink.RidSet()  # the mlink table was just created empty
                b.leaf_pending = crosslink.RidSet()  # most check-ins get queued
                last = repo.one("SELECT max(rid) FROM blob") or 0
                for rid, size in _rows_in_chunks(repo, _ROOTS_SQL, last):
                    if size is not None and size >= 0:
                        walker.walk(rid, size, walker.full_text(rid))
                last = repo.one("SELECT max(rid) FROM blob") or 0
                for rid, size in _rows_in_chunks(repo, _REST_SQL, last):
                    if size is not None and size >= 0:
                        if rid not in walker.done:
                            walker.walk(rid, size, _safe_get(repo, rid))
                    else:
                        db.execute("INSERT OR IGNORE INTO phantom VALUES(?)", (rid,))
                        stats["phantoms"] += 1
                        walker.step_done(rid)
                stats["structural"] = b.parsed
        finally:
            # walker <-> batch is a cycle (b.fetch is walker.fetch): broken here so that
            # their caches go when rebuild returns, not at the next full collection
            # (a clone VACUUMs right after and would otherwise grow past them)
            if walker.batch is not None:
                walker.batch.fetch = None
                walker.batch = None
        walker.count += incr
        _reconstruct_private(repo)
        if repo.one("SELECT 1 FROM sqlite_schema WHERE type='view' AND name='ftscontent'"):
            # Fossil's rebuild re-creates a search index (imported only then: it is large)
            from fossilpy.repo import search_index

            search_index.restore_after_rebuild(repo)
        for name, value in (
            ("content-schema", CONTENT_SCHEMA),
            ("aux-schema", AUX_SCHEMA),
            ("rebuilt", REBUILT_VERSION),
        ):
            repo.config_set(name, value)
        if progress:
            progress(total, total)
    repo.cache.clear()
    stats["artifacts"] = walker.done.count
    stats["seconds"] = time.monotonic() - t0
    return stats


@contextlib.contextmanager
def _page_cache(repo: Repo, kib: int) -> Iterator[None]:
    """SQLite's page cache of ``repo`` set to ``kib`` KiB for the block, then put back."""
    before = int(repo.one("PRAGMA cache_size"))
    repo.db.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        repo.db.execute(f"PRAGMA cache_size={before}")


def _safe_get(repo: Repo, rid: int) -> bytes:
    from fossilpy.repo import content

    try:
        return content.get(repo, rid) or b""
    except FossilError:
        return b""


class _Walker:
    """Walks delta trees, expanding each artifact once, and crosslinks."""

    def __init__(self, repo: Repo, total: int, progress: Callable[[int, int], None] | None):
        self.repo = repo
        self.total = total
        self.progress = progress
        self.count = 0
        #: rids crosslinked (or put in phantom)
        self.done = crosslink.RidSet()
        self.batch: crosslink.Batch | None = None
        #: expanded texts kept while fetching along long delta chains
        self.checkpoints: OrderedDict[int, bytes] = OrderedDict()
        #: (text, blob.size) expanded by fetch() ahead of the walk, by rid
        self.fetched: dict[int, tuple[bytes, int]] = {}
        self.fetched_bytes = 0
        self.checkpoint_bytes = 0
        #: rids the walk has expanded (crosslinked or waiting in its queue)
        self.expanded = crosslink.RidSet()
        #: the text being crosslinked, by rid (expanded, not yet crosslinked)
        self.ahead: dict[int, bytes] = {}
        self._last_permill = -1
        #: (content, size) of the blob rows, read in one query when they are
        #: small enough (PRELOAD_BYTES); the walk takes each row out once
        self.rows: dict[int, tuple[bytes, int]] = {}
        stored = repo.one("SELECT sum(length(content)) FROM blob")
        if stored and stored <= PRELOAD_BYTES:
            self.rows = {r[0]: (r[1], r[2]) for r in repo.db.execute("SELECT rid, content, size FROM blob")}

    def full_text(self, rid: int) -> bytes:
        row = self.rows.pop(rid, None)
        if row is None:
            row = self.repo.db.execute("SELECT content FROM blob WHERE rid=?", (rid,)).fetchone()
        if row is None or row[0] is None:
            return b""
        try:
            return blobfmt.uncompress(row[0], what=f"artifact rid {rid}")
        except FossilError:
            return b""

    def fetch(self, rid: int) -> bytes | None:
        """Full text of ``rid`` out of walk order (e.g. a parent manifest).

        Walks the delta chain up to a text already expanded (the walk's
        cache or a checkpoint), then applies the deltas down, keeping every
        8th intermediate text as a checkpoint (bounded by CHECKPOINT_BYTES).
        """
        text = self.ahead.get(rid)
        if text is not None:
            return text  # expanded by the walk, not yet crosslinked
        hit = self.fetched.get(rid)
        if hit is not None:
            return hit[0]  # fetched before, not yet reached by the walk
        cache = self.repo.cache
        db = self.repo.db
        # (rid, (content, size) of its blob row) down from the text found
        chain: list[tuple[int, Any]] = []
        cur = rid
        seen: set[int] = set()
        fetched = self.fetched
        while True:
            text = cache.get(cur)
            if text is None:
                text = self.checkpoints.get(cur)
                if text is not None:
                    self.checkpoints.move_to_end(cur)
                elif cur in fetched:
                    text = fetched[cur][0]
            if text is not None:
                break
            got = db.execute(_SOURCE_AND_ROW_SQL, (cur,)).fetchone()
            src = None if got is None else got[0]
            row = self.rows.get(cur) or (None if got is None else got[1:])
            if src is None or src in seen:
                if row is None or row[0] is None or row[1] is None or row[1] < 0:
                    return None
                try:
                    text = blobfmt.uncompress(row[0], what=f"artifact rid {cur}")
                except FossilError:
                    return None
                break
            seen.add(cur)
            chain.append((cur, row))
            cur = src
        n = len(chain)
        if n == 0:
            return text
        size = -1
        for i, (r, row) in enumerate(reversed(chain), 1):
            try:
                size = row[1]
                text = deltafmt.apply(text, blobfmt.uncompress(row[0], what="delta"))
            except (FossilError, TypeError):
                return None
            if i < n and (n - i) % CHECKPOINT_EVERY == 0:
                self._checkpoint(r, text)
        # the walk will reach rid later: let it take this text instead
        self._unfetch(rid)
        self.fetched[rid] = (text, size)
        self.fetched_bytes += len(text)
        while len(self.fetched) > 1 and (len(self.fetched) > _WALK_CACHE or self.fetched_bytes > WALK_CACHE_BYTES):
            self.fetched_bytes -= len(self.fetched.pop(next(iter(self.fetched)))[0])
        return text

    def _checkpoint(self, rid: int, text: bytes) -> None:
        old = self.checkpoints.pop(rid, None)
        if old is not None:
            self.checkpoint_bytes -= len(old)
        self.checkpoints[rid] = text
        self.checkpoint_bytes += len(text)
        while self.checkpoints and (
            self.checkpoint_bytes > CHECKPOINT_BYTES or len(self.checkpoints) > CHECKPOINT_TEXTS
        ):
            _, dropped = self.checkpoints.popitem(last=False)
            self.checkpoint_bytes -= len(dropped)

    def step_done(self, rid: int) -> None:
        self.done.add(rid)
        self.count += 1
        if self.progress and self.total:
            permill = self.count * 1000 // self.total
            if permill > self._last_permill:
                self._last_permill = permill
                self.progress(self.count, self.total)

    def walk(self, root: int, root_size: int, text: bytes) -> None:
        """Crosslink ``root`` (full text ``text``) and everything derived from it."""
        repo = self.repo
        db = repo.db
        b = self.batch
        ahead = self.ahead
        link = crosslink.crosslink  # a lazy name of the package: looked up once
        for rid, size, base in self._expand(root, root_size, text):
            ahead[rid] = base
            if size != len(base):
                db.execute("UPDATE blob SET size=? WHERE rid=?", (len(base), rid))
            link(repo, rid, base, batch=b)
            del ahead[rid]
            self.step_done(rid)

    def _expand(self, rid: int, size: int, text: bytes) -> Iterator[tuple[int, int, bytes]]:
        """(rid, blob.size, full text) of ``rid`` and the artifacts stored as
        deltas of it, depth first, each expanded from its source once.

        While the walk descends into one child, the child's siblings wait on
        the stack for their source's text (Fossil's recursion holds it in its
        frames).  On a long history that is a text per fork along the path: 236
        texts, 96 MiB, at 200,000 check-ins.  So the waiting sources' texts are
        kept up to STACK_BYTES, the oldest dropped first, and a dropped one is
        fetched again when its next child's turn comes.
        """
        repo = self.repo
        db = repo.db
        cache = repo.cache
        done = self.done
        expanded = self.expanded
        # (rid, blob.size, full text if known, rid of the delta source or 0)
        stack: list[tuple[int, int, bytes | None, int]] = [(rid, size, text, 0)]
        held = _Held()
        # the artifact expanded last, if it has children: the first of them is popped next
        last_src, last_text = 0, b""
        while stack:
            rid, size, base, src = stack.pop()
            parent = last_text if src == last_src else held.next_child(src)
            last_src, last_text = 0, b""
            if base is None and rid in self.fetched:
                base, size = self.fetched.pop(rid)
                self.fetched_bytes -= len(base)
            listed: list[int] | None = None
            if base is None:
                row = self.rows.pop(rid, None)
                if row is None:
                    # the blob and the blobs stored as deltas of it, in one statement
                    got = db.execute(_ROW_AND_CHILDREN_SQL, (rid,)).fetchone()
                    if got is not None:
                        row = got
                        listed = sorted(map(int, got[2].split(","))) if got[2] else []
                if row is None or row[1] is None or row[1] < 0:
                    continue
                size = row[1]
                if parent is None:  # dropped from the budget: expanded again
                    parent = self._refetch(src)
                    if parent is not None and held.waiting.get(src):
                        held.hold(src, parent)
                try:
                    delta = blobfmt.uncompress(row[0], what="delta")
                    base = b"" if parent is None else deltafmt.apply(parent, delta)
                except (FossilError, TypeError, IndexError, ValueError):
                    base = b""
            parent = None
            if listed is None:
                listed = [c for (c,) in db.execute(_CHILDREN_SQL, (rid,))]
            kids = [c for c in listed if c not in done and c not in expanded]
            expanded.add(rid)
            if kids:
                # content fetches of a neighbour (e.g. a parent manifest) start here
                cache[rid] = base
                if len(cache) > _WALK_CACHE or len(base) > _BIG_TEXT:
                    _trim(cache, keep=rid)
            yield rid, size, base
            if kids:
                ordered = _bag_order(kids) if len(kids) > 1 else kids
                stack.extend((cid, 0, None, rid) for cid in reversed(ordered))
                last_src, last_text = rid, base
                if len(kids) > 1:
                    held.wait(rid, len(kids) - 1, base)

    def _refetch(self, rid: int) -> bytes | None:
        """The text of ``rid``, crosslinked already, dropped from the stack's budget."""
        text = self.fetch(rid)
        self._unfetch(rid)  # the walk will not reach it again
        return text

    def _unfetch(self, rid: int) -> None:
        """Forget the text of ``rid`` among the fetched ones, if it is there."""
        old = self.fetched.pop(rid, None)
        if old is not None:
            self.fetched_bytes -= len(old[0])


class _Held:
    """Texts of delta sources whose children wait on the walk's stack.

    ``waiting[rid]``: children of ``rid`` still on the stack after the first
    (which is popped right after ``rid`` and takes its text from the walk); ``texts``:
    the sources' texts, at most STACK_BYTES in all (the last one held always
    stays), in the order they were held, so that the oldest go first.
    """

    def __init__(self) -> None:
        self.waiting: dict[int, int] = {}
        self.texts: dict[int, bytes] = {}
        self.bytes = 0

    def wait(self, rid: int, children: int, text: bytes) -> None:
        """``children`` children of ``rid`` (text ``text``) wait on the stack."""
        self.waiting[rid] = children
        self.hold(rid, text)

    def next_child(self, rid: int) -> bytes | None:
        """A waiting child of ``rid`` is popped: the text of ``rid`` if still held."""
        left = self.waiting.get(rid, 0) - 1
        if left > 0:
            self.waiting[rid] = left
            return self.texts.get(rid)
        self.waiting.pop(rid, None)
        text = self.texts.pop(rid, None)
        if text is not None:
            self.bytes -= len(text)
        return text

    def hold(self, rid: int, text: bytes) -> None:
        self.texts[rid] = text
        self.bytes += len(text)
        texts = self.texts
        while self.bytes > STACK_BYTES and len(texts) > 1:
            self.bytes -= len(texts.pop(next(iter(texts))))


#: The blobs that are not deltas (the roots of the walk), by rid, from ?1 to ?2.
_ROOTS_SQL = (
    "SELECT rid, size FROM blob"
    " WHERE rid>?1 AND rid<=?2"
    " AND NOT EXISTS(SELECT 1 FROM shun WHERE uuid=blob.uuid)"
    " AND NOT EXISTS(SELECT 1 FROM delta WHERE rid=blob.rid) ORDER BY rid LIMIT ?3"
)
#: Every blob not shunned, by rid, from ?1 to ?2.
_REST_SQL = (
    "SELECT rid, size FROM blob"
    " WHERE rid>?1 AND rid<=?2"
    " AND NOT EXISTS(SELECT 1 FROM shun WHERE uuid=blob.uuid) ORDER BY rid LIMIT ?3"
)
#: The blobs stored as deltas of ?1, in rid order (the order Fossil's query
#: on the delta_i1 index gives them to its bag).
_CHILDREN_SQL = "SELECT rid FROM delta WHERE srcid=? ORDER BY rid"
#: The delta source of blob ?1 (NULL if it is not a delta), its content and size.
_SOURCE_AND_ROW_SQL = "SELECT (SELECT srcid FROM delta WHERE rid=?1), content, size FROM blob WHERE rid=?1"
#: The content and size of blob ?1 and the rids stored as deltas of it
#: (comma separated, in no particular order; NULL for none).
_ROW_AND_CHILDREN_SQL = (
    "SELECT content, size, (SELECT group_concat(rid) FROM delta WHERE srcid=?1) FROM blob WHERE rid=?1"
)
#: Rows read at once by :func:`_rows_in_chunks`.
_CHUNK = 1000


def _rows_in_chunks(repo: Repo, sql: str, last: int) -> Iterator[tuple[int, Any]]:
    """The (rid, ...) rows of ``sql`` with rid up to ``last``, read _CHUNK at a
    time, so that the walk holds one chunk, not one row per artifact.  Blobs
    added meanwhile (phantoms) are after ``last`` and not listed, as in a
    list read before the loop."""
    after = 0
    while True:
        rows = repo.db.execute(sql, (after, last, _CHUNK)).fetchall()
        yield from rows
        if len(rows) < _CHUNK:
            return
        after = rows[-1][0]


def _trim(cache: dict[int, bytes], keep: int) -> None:
    """Drop the oldest texts but ``keep`` down to _WALK_CACHE texts and
    WALK_CACHE_BYTES bytes."""
    for key in list(cache)[: len(cache) - _WALK_CACHE]:
        if key != keep:
            del cache[key]
    total = sum(map(len, cache.values()))
    if total > WALK_CACHE_BYTES:
        for key in list(cache):
            if key != keep:
                total -= len(cache.pop(key))
                if total <= WALK_CACHE_BYTES:
                    break


def _bag_order(items: list[int]) -> list[int]:
    """The iteration order of Fossil's integer "bag" after inserting ``items``.

    The bag is an open-addressing hash table (hash = value*101, linear
    probing) that doubles (+20) when half full; iteration is slot order.
    """
    size = 0
    slots: list[int] = []
    used = 0
    for e in items:
        if used + 1 >= size // 2:
            new_size = size * 2 + 20
            new = [0] * new_size
            for old in slots:
                if old > 0:
                    h = (old * 101) % new_size
                    while new[h]:
                        h = (h + 1) % new_size
                    new[h] = old
            slots, size = new, new_size
        h = (e * 101) % size
        while slots[h] > 0 and slots[h] != e:
            h = (h + 1) % size
        if slots[h] <= 0:
            slots[h] = e
            used += 1
    return [x for x in slots if x > 0]


# -- schema -----------------------------------------------------------------


def _recreate_schema(repo: Repo) -> None:
    """Drop every non-essential table; create the derived ones again.

    The ticket tables come from the ``ticket-table`` setting, which may have
    arrived from a peer by config sync: ``tickets.create_tables`` runs it under
    an authorizer that allows only ticket schema statements.
    """
    from fossilpy.repo.schema import DERIVED_SCHEMA, is_essential_table, split_statements

    db = repo.db
    names = [
        r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'") if not is_essential_table(r[0])
    ]
    for name in names:
        db.execute(f'DROP TABLE IF EXISTS "{name.replace(chr(34), chr(34) * 2)}"')
    for stmt in split_statements(DERIVED_SCHEMA):
        if stmt.strip(" \n\t;"):
            db.execute(stmt)
    tickets.create_tables(repo)


# -- shunning and privacy -------------------------------------------------------


def _undelta(repo: Repo, rid: int) -> None:
    """Store the full text of ``rid`` instead of a delta."""
    from fossilpy.repo import content

    content.undeltify(repo, rid)
    repo.cache.pop(rid, None)


def _shun_artifacts(repo: Repo) -> None:
    db = repo.db
    shunned = [r[0] for r in db.execute("SELECT rid FROM blob, shun WHERE blob.uuid=shun.uuid")]
    if not shunned:
        return
    marks = ",".join("?" * len(shunned))
    for (rid,) in db.execute(f"SELECT rid FROM delta WHERE srcid IN ({marks})", shunned).fetchall():
        _undelta(repo, rid)
    db.execute(f"DELETE FROM delta WHERE rid IN ({marks})", shunned)
    db.execute(f"DELETE FROM blob WHERE rid IN ({marks})", shunned)
    db.execute("DELETE FROM private WHERE NOT EXISTS(SELECT 1 FROM blob WHERE rid=private.rid)")
    repo.cache.clear()


def _reconstruct_private(repo: Repo) -> None:
    """private = private-tagged check-ins + files used only by them."""
    db = repo.db
    ckins = [r[0] for r in db.execute("SELECT rid FROM tagxref WHERE tagid=6 AND tagtype>0")]
    if ckins:
        marks = ",".join("?" * len(ckins))
        db.execute(
            "INSERT OR IGNORE INTO private SELECT fid FROM mlink"
            f" EXCEPT SELECT fid FROM mlink WHERE mid NOT IN ({marks})",
            ckins,
        )
        db.executemany("INSERT OR IGNORE INTO private VALUES(?)", [(r,) for r in ckins])
    for (rid,) in db.execute("SELECT rid FROM delta WHERE srcid IN private AND rid NOT IN private").fetchall():
        _undelta(repo, rid)
