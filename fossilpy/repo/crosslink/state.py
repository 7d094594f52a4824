"""The crosslink batch: state shared by the crosslinks of one unit of work.

A :class:`Batch` is Fossil's ``crosslink_begin``/``crosslink_end`` pair made
an object.  It is opened by ``fossilpy.repo.crosslink.batch`` inside a write
transaction and lives in ``Repo.xlink_batch`` until the block ends; every
function of the package takes it as an explicit argument.  It holds

* work deferred to the end of the batch (tickets and wiki pages to refresh,
  leaf checks, the time nudges of close check-ins, see ``dispatch.finish``);
* caches that are only valid inside the batch's transaction (tag and file
  name ids, hash -> rid, parsed check-ins, the F-line memo of
  ``fossilpy.artifact.fmemo``);
* what ``fossilpy.repo.rebuild`` plugs in while it walks every artifact
  (``rids``, ``fetch``, ``mlink_mids``).

:func:`parse` is here too: the batch's cheap structural-artifact test.

``fossilpy.repo.backlink`` and ``fossilpy.artifact.fmemo`` are imported where
first needed, not with the package: a sync round that receives no artifact
opens a batch and should not pay for them.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fossilpy.artifact import manifest
from fossilpy.artifact.julian import fossil_real
from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest
from fossilpy.repo import content
from fossilpy.repo.crosslink.checkins import Checkin
from fossilpy.repo.db import Repo, sql_text

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.artifact.fmemo import BlockRef

#: hash -> rid entries kept in ``Batch.rids`` at most (about 180 bytes each),
#: filled by the lookups themselves (a rebuild starts with it empty).  On the
#: 50,000 check-in delta-manifest history (790,821 lookups) 8,192 entries miss
#: 243,725 times against 103,801 for 60,000 preloaded by rid, at the same CPU
#: time (22.8 and 23.5 s); 60,000 entries were 10 MiB of the peak.
RID_CACHE = 8_192
_RID_SQL = "SELECT rid FROM blob WHERE uuid=?"
#: Times kept by ``Batch.real`` (a check-in's time is looked up a few times
#: while it is crosslinked, then rarely).
_REALS = 1024

#: Parsed check-ins kept per batch, at most ...
MANIFEST_CACHE = 16
#: ... and their F cards at most, together (beside the count: a parsed
#: baseline manifest takes about 470 bytes a card with its lookups; 200,000
#: generated check-ins have baselines of 8,500 cards, and 16 of them were
#: 65 MiB of a rebuild's peak RSS).  The newest two stay whatever their size.
MANIFEST_CARDS = 24_000
#: file name -> fnid entries kept in ``Batch.fnids`` at most (31,504 names at
#: 200,000 generated check-ins; a miss is one indexed SELECT).
FNID_CACHE = 8_192

_HEX = frozenset("0123456789abcdef")

#: One mlink row: (mid, fid, pmid, pid, fnid, pfnid, mperm, isaux).
MlinkRow = tuple[int, int, int, int, int, int, int, bool]
#: ``fetch(rid)``: the expanded content of ``rid``, or None.
Fetch = Callable[[int], "bytes | None"]


class Batch:
    """State shared by the crosslinks of one unit of work (see the module docstring)."""

    __slots__ = (
        "_linked",
        "_reals",
        "deferred_tickets",
        "deferred_wiki",
        "fetch",
        "fline_memo",
        "fmemo_ref",
        "fnids",
        "has_private",
        "hash_digits",
        "leaf_pending",
        "manifest_cards",
        "manifests",
        "mlink_mids",
        "mlink_noted",
        "mlink_pending",
        "mlink_rows",
        "parsed",
        "primary_fnids",
        "rebuilding",
        "repo",
        "rids",
        "search_index",
        "seen_delta_manifest",
        "tagids",
        "time_fudge",
        "wiki_use_html",
    )

    def __init__(self, repo: Repo, rebuilding: bool = False) -> None:
        self.repo: Repo = repo
        #: True during rebuild (no alerts; backlinks of link-free texts skipped)
        self.rebuilding: bool = rebuilding
        #: ticket ids whose rows are rebuilt at the end (docs.finish)
        self.deferred_tickets: set[str] = set()
        #: wiki titles whose backlinks are refreshed at the end (docs.finish)
        self.deferred_wiki: set[str] = set()
        #: rids queued for a leaf check at the end (leaf.settle); rebuild,
        #: which queues most check-ins, makes it a RidSet
        self.leaf_pending: set[int] | RidSet = set()
        #: parent rid -> (parent mtime, child rid, child mtime), see dispatch.finish
        self.time_fudge: dict[int, tuple[float, int, float]] = {}
        #: tag name -> tagid (tags.tag_id)
        self.tagids: dict[str, int] = {}
        #: file name -> filename.fnid (:meth:`fnid`), oldest first, at most FNID_CACHE
        self.fnids: dict[str, int] = {}
        #: hash -> rid of blobs looked up lately, oldest first, at most
        #: RID_CACHE (rebuild sets it; None: no cache)
        self.rids: dict[str, int] | None = None
        #: parsed check-ins, least recently used first (:meth:`checkin`)
        self.manifests: OrderedDict[int, Checkin] = OrderedDict()
        #: the F cards of the check-ins in ``manifests``, together
        self.manifest_cards: int = 0
        #: the ``hash-digits`` setting, clamped (tags.hash_digits)
        self.hash_digits: int | None = None
        #: False while the private table is known to be empty
        self.has_private: bool = repo.one("SELECT 1 FROM private LIMIT 1") is not None
        #: config ``seen-delta-manifest`` was set in this batch
        self.seen_delta_manifest: bool = False
        #: mlink rows collected by checkins, written together
        self.mlink_rows: list[MlinkRow] = []
        #: the mids that have mlink rows, when known in full (rebuild: starts empty)
        self.mlink_mids: RidSet | None = None
        #: (mid, pmid) of the rows waiting in mlink_rows, and how many of
        #: those rows are noted there and in mlink_mids (rebuild; see
        #: checkins._flush_mlink)
        self.mlink_pending: set[tuple[int, int]] = set()
        self.mlink_noted: int = 0
        #: (mid, fnids of its primary mlink rows), cached by checkins
        self.primary_fnids: tuple[int, set[int]] | None = None
        #: F line -> (FileCard or None, raw name), see fossilpy.artifact.fmemo
        self.fline_memo: dict[bytes, tuple[FileCard | None, bytes]] = {}
        #: the F block parsed last, see fossilpy.artifact.fmemo
        self.fmemo_ref: BlockRef | None = None
        #: the ``wiki-use-html`` setting, read once (fossilpy.repo.backlink)
        self.wiki_use_html: bool | None = None
        #: replaces content.get for :meth:`checkin` (rebuild sets it)
        self.fetch: Fetch | None = None
        #: artifacts handed to crosslink()
        self.parsed: int = 0
        #: True if the repository has a search index to keep current (read once; see search_touch)
        self.search_index: bool | None = None
        self._reals: dict[float, float] = {}
        #: (srctype, srcid) whose text had a "[" (possible backlinks) in this batch
        self._linked: set[tuple[int, int]] = set()

    def real(self, x: float) -> float:
        """``fossil_real(x)``, cached: a time as Fossil stores it from SQL text."""
        reals = self._reals
        r = reals.get(x)
        if r is None:
            if len(reals) >= _REALS:
                reals.clear()
            r = reals[x] = fossil_real(x)
        return r

    # -- lookups ---------------------------------------------------------

    def rid_of(self, uuid: str | None, phantomize: bool = False) -> int:
        """Rid of a full hash; with ``phantomize``, create a phantom if unknown.

        Returns 0 for an invalid hash, an unknown one (without phantomize) or
        a shunned one.
        """
        rids = self.rids
        if rids is not None and uuid:
            known = rids.get(uuid)
            if known is not None:
                return known  # keys are valid lower-case names
            row = self.repo.db.execute(_RID_SQL, (uuid,)).fetchone()
            if row is not None:  # a name found in blob is a valid one
                self._remember_rid(rids, uuid, row[0])
                return int(row[0])
        if not uuid or len(uuid) not in (40, 64):
            return 0
        lower = uuid.lower()
        if not _HEX.issuperset(lower):
            return 0
        rid: int = 0
        if rids is None or lower != uuid:
            rid = self.repo.one(_RID_SQL, (lower,), 0)
        if rid or not phantomize:
            return rid
        return self.new_phantom(lower)

    @staticmethod
    def _remember_rid(rids: dict[str, int], uuid: str, rid: int) -> None:
        if len(rids) >= RID_CACHE:
            # forget the older half (keys are in insertion order)
            for key in list(itertools.islice(rids, RID_CACHE // 2)):
                del rids[key]
        rids[uuid] = rid

    def new_phantom(self, uuid: str) -> int:
        """Insert a phantom blob for ``uuid`` (unless shunned); return its rid."""
        if len(uuid) == 40 and self.repo.config_int("hash-policy", 2) == 4:
            return 0  # shun-sha1: SHA1 names count as shunned
        rid = content.new_phantom(self.repo, uuid)
        if rid and self.rids is not None:
            self._remember_rid(self.rids, uuid, rid)
        return rid

    def is_private(self, rid: int) -> bool:
        return self.has_private and (
            self.repo.db.execute("SELECT 1 FROM private WHERE rid=?", (rid,)).fetchone() is not None
        )

    def search_touch(self, kind: str, rid: int, name: str | None = None) -> None:
        """Queue document ``rid`` for the search index, if there is one (Fossil's
        ``search_doc_touch``, called where ``manifest_crosslink`` calls it).

        Not while rebuilding: a rebuild re-lists every document afterwards.
        Private content is never indexed.
        """
        if self.rebuilding:
            return
        if self.search_index is None:
            # search_index.exists() without importing the module first: it brings the
            # markup renderers and pikchr (~20 ms of CPU on every commit without an index)
            self.search_index = self.repo.table_exists("ftsdocs")
            if self.search_index:
                from fossilpy.repo import search_index

                search_index.register(self.repo)  # the index's content view calls title() and body()
        if not self.search_index or self.is_private(rid):
            return
        from fossilpy.repo import search_index

        search_index.touch(self.repo, kind, rid, name)

    def fnid(self, name: str) -> int:
        """filename.fnid of ``name``, inserting it if new."""
        fnid = self.fnids.get(name)
        if fnid is None:
            db = self.repo.db
            key = sql_text(name)
            row = db.execute("SELECT fnid FROM filename WHERE name=CAST(? AS TEXT)", (key,)).fetchone()
            if row is None:
                fnid = int(db.execute("INSERT INTO filename(name) VALUES(CAST(? AS TEXT))", (key,)).lastrowid or 0)
            else:
                fnid = int(row[0])
            fnids = self.fnids
            fnids[name] = fnid
            if len(fnids) > FNID_CACHE:
                for key in list(itertools.islice(fnids, FNID_CACHE // 2)):
                    del fnids[key]
        return fnid

    def checkin(self, rid: int) -> Checkin | None:
        """The parsed check-in ``rid`` (cached), or None if it is not one."""
        ci = self.manifests.get(rid)
        if ci is not None:
            self.manifests.move_to_end(rid)
            return ci
        if not rid:
            return None
        data = self.fetch(rid) if self.fetch is not None else content.get(self.repo, rid)
        m = parse(data, self) if data else None
        if m is None or m.type != ArtifactType.MANIFEST:
            return None
        return self.remember(rid, m, data)

    def remember(self, rid: int, m: Manifest, data: bytes | None = None) -> Checkin:
        """Cache the parse ``m`` of check-in ``rid``; its :class:`Checkin`."""
        ci = self.manifests.get(rid)
        if ci is None or ci.m is not m:
            self.forget(rid)
            ci = Checkin(rid, m, data)
            cache = self.manifests
            cache[rid] = ci
            self.manifest_cards += len(m.files)
            while len(cache) > MANIFEST_CACHE or len(cache) > 2 and self.manifest_cards > MANIFEST_CARDS:
                self.manifest_cards -= len(cache.popitem(last=False)[1].m.files)
        return ci

    def forget(self, rid: int) -> None:
        """Drop check-in ``rid`` from the cache of parsed check-ins."""
        old = self.manifests.pop(rid, None)
        if old is not None:
            self.manifest_cards -= len(old.m.files)

    # -- backlinks ---------------------------------------------------------

    def extract_backlinks(self, text: str, mimetype: str | int | None, srcid: int, srctype: int, mtime: float) -> None:
        """Record the hyperlinks in ``text`` (fossilpy.repo.backlink.extract).

        While rebuilding, a text without "[" is skipped unless this batch
        recorded links for the same source before (there is nothing to find
        and nothing to replace).
        """
        if "[" in text:
            self._linked.add((srctype, srcid))
        elif self.rebuilding and (srctype, srcid) not in self._linked:
            return
        from fossilpy.repo import backlink

        backlink.extract(self, text, mimetype, srctype, srcid, mtime)


class RidSet:
    """A set of rids as a bitmap: one bit per rid up to the largest added,
    instead of a Python int and a hash slot (about 60 bytes) per member."""

    __slots__ = ("bits", "count")

    def __init__(self) -> None:
        self.bits = bytearray()
        #: members added (each counted once)
        self.count = 0

    def __contains__(self, rid: int) -> bool:
        i = rid >> 3
        return i < len(self.bits) and bool(self.bits[i] & (1 << (rid & 7)))

    def add(self, rid: int) -> None:
        i = rid >> 3
        bits = self.bits
        if i >= len(bits):
            bits.extend(bytes(i + 1 - len(bits) + (len(bits) >> 1)))
        mask = 1 << (rid & 7)
        if not bits[i] & mask:
            bits[i] |= mask
            self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[int]:
        """The members in increasing order."""
        for i, byte in enumerate(self.bits):
            if byte:
                base = i << 3
                for bit in range(8):
                    if byte >> bit & 1:
                        yield base + bit

    def discard(self, rid: int) -> None:
        if rid in self:
            self.bits[rid >> 3] &= ~(1 << (rid & 7)) & 0xFF
            self.count -= 1


def parse(data: bytes, b: Batch | None = None) -> Manifest | None:
    """Parse ``data`` if it can be a structural artifact; None otherwise.

    Cheap rejections first: structural artifacts end with LF and, unless
    PGP-signed, start with ``X `` and end with ``Z <32 hex>\\n``.  With a
    batch, check-in manifests reuse the batch's memo of F lines
    (fossilpy.artifact.fmemo), and delta manifests too
    (fossilpy.artifact.fmemo_delta).
    """
    if len(data) < 10 or data[-1:] != b"\n":
        return None
    if not data.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----"):
        c = data[0]
        if not (65 <= c <= 90 and data[1] == 32):
            return None
        if len(data) < 35 or data[-35:-33] != b"Z " and data[-36:-34] != b"Z ":
            return None
    if b is not None:
        if data[:2] in (b"C ", b"D "):
            from fossilpy.artifact.fmemo import memo_parse

            return memo_parse(b, data)
        if data[:2] == b"B ":
            from fossilpy.artifact.fmemo_delta import memo_parse_delta

            return memo_parse_delta(b, data)
    return manifest.parse_or_none(data)
