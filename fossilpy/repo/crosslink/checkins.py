"""Check-in crosslinking: plink, mlink, filename, cherrypick and the 'ci' event.

Rows written for a check-in RID (derived tables, see ``fossilpy.repo.schema``)::

    plink(pid, cid=RID, isprim, mtime=D card, baseid=B card rid or NULL)
        one per P-card hash (missing parents become phantoms)
    mlink(mid, fid, pmid, pid, fnid, pfnid, mperm, isaux)
        one per file that differs between a parent PMID and check-in MID:
        fid=0 deleted, pid=0 added, pid=-1 added by a merge, pfnid = old
        name of a rename (0 otherwise), mperm 0 regular / 1 exec / 2 symlink,
        isaux=1 for rows against merge parents and cherry-picks; rows against
        a merge parent exist only for files that also changed relative to
        the primary parent.  A root check-in lists all its files (pmid=0).
    filename(fnid, name)        one per distinct path
    cherrypick(parentid, childid, isExclude)   from Q cards
    event(type='ci', mtime, objid=RID, user, comment, bgcolor, euser,
          ecomment, omtime)     mtime/bgcolor/euser/ecomment from tags
    tagxref via the T cards     (fossilpy.repo.crosslink.tags)
    orphan(rid, baseline)       delta manifests whose baseline is missing

The mlink rows for a parent/child pair are computed when the second of the
two is crosslinked (Fossil's ``add_mlink``); times go through
``fossilpy.artifact.julian.fossil_real`` as Fossil's SQL text does.
"""

from __future__ import annotations

import itertools
import operator
import re
from typing import TYPE_CHECKING

from fossilpy.artifact.manifest import FileCard, Manifest
from fossilpy.repo.crosslink import tags as tagmod
from fossilpy.repo.db import sql_text

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.crosslink.state import Batch

#: Children dated less than this many days after a parent may be re-timed.
AGE_FUDGE_WINDOW = 2.0 / 86400.0


def mperm(f: FileCard | None) -> int:
    """mlink.mperm of a file card: 1 executable, 2 symlink, 0 otherwise."""
    if f is None or not f.perm:
        return 0
    if "x" in f.perm:
        return 1
    if "l" in f.perm:
        return 2
    return 0


#: The run of F cards of a manifest (cards are sorted, so they are adjacent).
_F_BLOCK = re.compile(rb"^(?:F [^\n]*\n)+", re.M)


class Checkin:
    """A parsed manifest with its rid and file lookups.

    ``raw()`` maps names to the artifact's own F cards; ``seek`` also looks
    in the baseline of a delta manifest.  For a manifest whose F lines map
    one to one onto its file cards (baselines, and delta manifests read by
    fossilpy.artifact.fmemo_delta), ``flines`` holds those raw lines
    (``lines()`` maps each to its card), so that add_mlink can find changed
    files by comparing lines (an identical line means the same name, hash,
    permission and prior name).
    """

    __slots__ = ("rid", "m", "base", "_raw", "_full", "flines", "_lines", "_renames")

    def __init__(self, rid: int, m: Manifest, data: bytes | None = None) -> None:
        self.rid = rid
        self.m = m
        self.base: Checkin | None = None
        self._raw: dict[str, FileCard] | None = None
        self._full: list[FileCard] | None = None
        #: the raw F lines, one per file card (baseline manifests, and delta
        #: manifests parsed by fossilpy.artifact.fmemo_delta; see add_mlink)
        self.flines: list[bytes] | None = None
        self._lines: dict[bytes, FileCard] | None = None
        self._renames: list[FileCard] | None = None
        flines: list[bytes] | None = m.extra.get("flines")
        if flines is None and data is not None and m.baseline is None and m.files:
            block = _F_BLOCK.search(data) if data[:2] != b"--" else None
            if block is not None:
                flines = block.group().split(b"\n")
                flines.pop()
        if flines is not None and len(flines) == len(m.files):
            self.flines = flines

    def lines(self) -> dict[bytes, FileCard] | None:
        """F line -> card (None if two lines are the same), made when first needed."""
        if self._lines is None and self.flines is not None:
            self._lines = dict(zip(self.flines, self.m.files, strict=True))
            if len(self._lines) != len(self.flines):
                self.flines = self._lines = None
        return self._lines

    def renames(self) -> list[FileCard]:
        """The artifact's own cards with an old name (made when first needed)."""
        if self._renames is None:
            self._renames = [f for f in self.m.files if f.prior]
        return self._renames

    def raw(self) -> dict[str, FileCard]:
        if self._raw is None:
            self._raw = {f.name: f for f in self.m.files}
        return self._raw

    def seek(self, name: str) -> FileCard | None:
        """The file ``name`` in this check-in (baseline included), or None."""
        f = self.raw().get(name)
        if f is not None:
            return None if f.uuid is None else f
        if self.base is not None:
            return self.base.raw().get(name)
        return None

    def all_files(self) -> list[FileCard]:
        """Every file of the check-in, baseline merged, sorted by name."""
        if self._full is None:
            if self.base is None:
                self._full = [f for f in self.m.files if f.uuid]
            else:
                merged = dict(self.base.raw())
                for f in self.m.files:
                    if f.uuid is None:
                        merged.pop(f.name, None)
                    else:
                        merged[f.name] = f
                self._full = [merged[k] for k in sorted(merged, key=_name_key) if merged[k].uuid]
        return self._full


def fetch_baseline(b: Batch, ci: Checkin) -> bool:
    """Attach the baseline of a delta manifest; True (and an orphan row) if missing."""
    m = ci.m
    if m.baseline is None or ci.base is not None:
        return False
    brid = b.rid_of(m.baseline, True)
    base = b.checkin(brid) if brid else None
    if base is None:
        b.repo.db.execute("INSERT OR IGNORE INTO orphan(rid, baseline) VALUES(?,?)", (ci.rid, brid))
        return True
    ci.base = base
    return False


def crosslink_checkin(b: Batch, rid: int, ci: Checkin) -> None:
    """Crosslink check-in ``rid`` (its baseline already attached)."""
    m = ci.m
    db = b.repo.db
    for cp in m.cherrypicks:
        db.execute(
            "REPLACE INTO cherrypick(parentid,childid,isExclude) SELECT rid, ?, ? FROM blob WHERE uuid=?",
            (rid, cp.sign == "-", cp.target),
        )
    parentid = 0
    if not _has_mlink(b, rid):
        parentid = add_checkin_linkages(b, rid, ci, m.parents)
        b.search_touch("c", rid)
        # REPLACE, as Fossil; tried as INSERT OR IGNORE first: SQLite writes a
        # statement journal to a temp file for a REPLACE or a RETURNING clause
        params = (rid, b.real(m.julian), sql_text(m.user), sql_text(m.comment))
        if db.execute("INSERT OR IGNORE" + _CI_EVENT, params).rowcount != 1:
            db.execute("REPLACE" + _CI_EVENT, params)  # a row for ``rid`` was there
        row = db.execute("SELECT coalesce(ecomment,comment) FROM event WHERE objid=?", (rid,)).fetchone()
        b.extract_backlinks((row[0] if row else None) or "", 0, rid, 0, m.julian)
        if m.baseline is not None and not b.seen_delta_manifest:
            b.seen_delta_manifest = True
            b.repo.config_set("seen-delta-manifest", 1)
    tagmod.apply_tag_cards(b, rid, m)
    if parentid:
        tagmod.propagate_all(b, parentid)


#: the 'ci' event of a check-in, after "REPLACE" or "INSERT OR IGNORE"
_CI_EVENT = (
    " INTO event(type,mtime,objid,user,comment,bgcolor,euser,ecomment,omtime)"
    " VALUES('ci',"
    " coalesce((SELECT julianday(value) FROM tagxref WHERE tagid=4 AND rid=?1),?2),"
    " ?1,CAST(?3 AS TEXT),CAST(?4 AS TEXT),"
    " (SELECT value FROM tagxref WHERE tagid=1 AND rid=?1 AND tagtype>0),"
    " (SELECT value FROM tagxref WHERE tagid=3 AND rid=?1),"
    " (SELECT value FROM tagxref WHERE tagid=2 AND rid=?1),?2)"
)


def add_checkin_linkages(b: Batch, rid: int, ci: Checkin, parents: list[str]) -> int:
    """plink and mlink rows of check-in ``rid``; returns the primary parent's rid."""
    m = ci.m
    db = b.repo.db
    baseid = b.rid_of(m.baseline, True) if m.baseline else None
    parentid = 0
    mtime = b.real(m.julian)
    for i, puuid in enumerate(parents):
        pid = b.rid_of(puuid, True)
        db.execute(
            "INSERT OR IGNORE INTO plink(pid,cid,isprim,mtime,baseid) VALUES(?,?,?,?,?)",
            (pid, rid, i == 0, mtime, baseid),
        )
        if i == 0:
            parentid = pid
    add_mlink(b, parentid, None, rid, ci, True)
    nlink = len(parents) + sum(1 for cp in m.cherrypicks if cp.sign == "+")
    if nlink > 1:
        write_mlink(b)
        db.execute(
            "UPDATE mlink SET pid=-1 WHERE mid=?1 AND pid=0 AND fnid IN"
            " (SELECT fnid FROM mlink WHERE mid=?1 GROUP BY fnid HAVING count(*)<?2)",
            (rid, nlink),
        )
    for cid, isprim in db.execute("SELECT cid, isprim FROM plink WHERE pid=?", (rid,)).fetchall():
        add_mlink(b, rid, ci, cid, None, bool(isprim))
    if not parents:
        public = not b.is_private(rid)
        for f in m.files:
            _add_one_mlink(b, 0, None, rid, f.uuid, f.name, None, public, True, mperm(f))
        _flush_mlink(b)
    return parentid


def _add_renamed(
    b: Batch, pmid: int, parent: Checkin, mid: int, cf: FileCard, public: bool, is_prim: bool, perm: int
) -> None:
    """The mlink of a file renamed from ``cf.prior`` (from nothing if the parent lacks it)."""
    pf = parent.seek(cf.prior or "")
    if pf is not None:
        _add_one_mlink(b, pmid, pf.uuid, mid, cf.uuid, cf.name, cf.prior, public, is_prim, perm)
    else:
        _add_one_mlink(b, pmid, None, mid, cf.uuid, cf.name, None, public, is_prim, perm)


def _add_one_mlink(
    b: Batch,
    pmid: int,
    from_uuid: str | None,
    mid: int,
    to_uuid: str | None,
    name: str,
    prior: str | None,
    public: bool,
    primary: bool,
    perm: int,
) -> None:
    fnid = b.fnid(name)
    pfnid = b.fnid(prior) if prior else 0
    pid = b.rid_of(from_uuid, True) if from_uuid else 0
    fid = b.rid_of(to_uuid, True) if to_uuid else 0
    db = b.repo.db
    if fid and public and b.has_private:
        db.execute("DELETE FROM private WHERE rid=?", (fid,))
    if not primary:
        if b.primary_fnids is None or b.primary_fnids[0] != mid:
            write_mlink(b)
            b.primary_fnids = (
                mid,
                {r[0] for r in db.execute("SELECT fnid FROM mlink WHERE mid=? AND NOT isaux", (mid,))},
            )
        if fnid not in b.primary_fnids[1]:
            return
    b.mlink_rows.append((mid, fid, pmid, pid, fnid, pfnid, perm, not primary))


def _has_mlink(b: Batch, mid: int, pmid: int | None = None) -> bool:
    """True if mlink has rows for ``mid`` (from ``pmid`` if given).

    During a rebuild the table starts empty and only this module writes it,
    so the batch's bitmap of mids answers "no" without a query.
    """
    mids = b.mlink_mids
    if mids is not None:
        if mid not in mids:
            return False
        if pmid is None or (mid, pmid) in b.mlink_pending:
            return True
        # rows of other pairs may be waiting (_flush_mlink), not of this one
    if pmid is None:
        row = b.repo.db.execute("SELECT 1 FROM mlink WHERE mid=?", (mid,)).fetchone()
    else:
        row = b.repo.db.execute("SELECT 1 FROM mlink WHERE mid=? AND pmid=?", (mid, pmid)).fetchone()
    return row is not None


#: mlink rows a rebuild collects before it writes them (one executemany)
MLINK_BATCH = 2000


def _flush_mlink(b: Batch) -> None:
    """End of one parent/child step: write the mlink rows collected by
    _add_one_mlink, or (rebuild) note their mids and (mid, pmid) pairs and
    write them once MLINK_BATCH are waiting.  Code that reads mlink during a
    rebuild calls :func:`write_mlink` first; ``_has_mlink`` looks at the
    waiting pairs."""
    b.primary_fnids = None
    rows = b.mlink_rows
    mids = b.mlink_mids
    if mids is None:
        write_mlink(b)
        return
    pending = b.mlink_pending
    for r in itertools.islice(rows, b.mlink_noted, None):
        mids.add(r[0])
        pending.add((r[0], r[2]))
    b.mlink_noted = len(rows)
    if len(rows) >= MLINK_BATCH:
        write_mlink(b)


def write_mlink(b: Batch) -> None:
    """Write the mlink rows waiting in the batch (before mlink is read)."""
    rows = b.mlink_rows
    if rows:
        b.repo.db.executemany(
            "INSERT INTO mlink(mid,fid,pmid,pid,fnid,pfnid,mperm,isaux) VALUES(?,?,?,?,?,?,?,?)",
            rows,
        )
        rows.clear()
        b.mlink_pending.clear()
        b.mlink_noted = 0


def add_mlink(
    b: Batch,
    pmid: int,
    parent: Checkin | None,
    mid: int,
    child: Checkin | None,
    is_prim: bool,
) -> None:
    """mlink rows for the step from check-in ``pmid`` to ``mid`` (one side given)."""
    db = b.repo.db
    if _has_mlink(b, mid, pmid):
        return
    if parent is None:
        other_rid = pmid
        parent = b.checkin(pmid)
        if parent is None:
            return
    else:
        other_rid = mid
        child = b.checkin(mid)
        if child is None:
            return
    assert child is not None
    if fetch_baseline(b, parent) or fetch_baseline(b, child):
        return
    public = not b.is_private(mid)
    cm = child.m
    if not is_prim and other_rid == mid:
        first = cm.parents[0] if cm.parents else ""
        if db.execute("SELECT 1 FROM blob WHERE uuid=? AND size>0", (first,)).fetchone() is None:
            return  # the primary parent is a phantom: wait for it
    pm = parent.m
    if cm.julian < pm.julian + AGE_FUDGE_WINDOW:
        b.time_fudge[parent.rid] = (b.real(pm.julian), child.rid, b.real(cm.julian))

    pfl, cfl = parent.flines, child.flines
    if pfl is None or cfl is None:
        _mlink_by_cards(b, pmid, parent, mid, child, public, is_prim)
    elif pm.baseline is None:
        if cm.baseline is not None:
            # a delta manifest against a baseline: it lists few files
            _mlink_by_cards(b, pmid, parent, mid, child, public, is_prim)
        elif not _mlink_by_lines(b, pmid, parent, mid, child, public, is_prim):
            _mlink_by_cards(b, pmid, parent, mid, child, public, is_prim)
    elif cm.baseline is not None:
        # two delta manifests: a line both have changes nothing (see _mlink_by_cards)
        pset, cset = set(pfl), set(cfl)
        cfiles = [f for line, f in zip(cfl, cm.files, strict=True) if f.prior or line not in pset]
        pfiles = [f for line, f in zip(pfl, pm.files, strict=True) if line not in cset]
        _mlink_by_cards(b, pmid, parent, mid, child, public, is_prim, cfiles, pfiles)
    else:
        _mlink_new_baseline(b, pmid, parent, mid, child, public, is_prim)
    _flush_mlink(b)

    if is_prim:
        for puuid in cm.parents[1:]:
            xmid = b.rid_of(puuid, False)
            if xmid > 0:
                add_mlink(b, xmid, None, mid, child, False)
        for cp in cm.cherrypicks:
            if cp.sign == "+":
                xmid = b.rid_of(cp.target, False)
                if xmid > 0:
                    add_mlink(b, xmid, None, mid, child, False)


def _mlink_new_baseline(
    b: Batch, pmid: int, parent: Checkin, mid: int, child: Checkin, public: bool, is_prim: bool
) -> None:
    """_mlink_by_cards for a baseline manifest whose parent is a delta manifest
    (both with F lines), looking at the cards that can make a row only.

    A child line that is also a line of the parent's baseline, for a name the
    parent's own cards do not list, is the card the parent has: no row.  A
    file of the parent that the child lacks is either a baseline card whose
    line the child does not have (and whose name the parent's own cards do
    not list) or one of the parent's own cards.
    """
    base = parent.base
    bfl, pfl, cfl = (None if base is None else base.flines), parent.flines, child.flines
    if base is None or bfl is None or pfl is None or cfl is None:
        _mlink_by_cards(b, pmid, parent, mid, child, public, is_prim)
        return
    bset, cset = set(bfl), set(cfl)
    own = parent.raw()
    cfiles = [f for line, f in zip(cfl, child.m.files, strict=True) if line not in bset or f.name in own or f.prior]
    pfiles = [f for line, f in zip(bfl, base.m.files, strict=True) if line not in cset and f.name not in own]
    pfiles += [f for f in parent.m.files if f.uuid]
    _mlink_by_cards(b, pmid, parent, mid, child, public, is_prim, cfiles, pfiles)


def _mlink_by_cards(
    b: Batch,
    pmid: int,
    parent: Checkin,
    mid: int,
    child: Checkin,
    public: bool,
    is_prim: bool,
    cfiles: list[FileCard] | None = None,
    pfiles: list[FileCard] | None = None,
) -> None:
    """add_mlink's comparison, card by card (any kind of manifest).

    ``cfiles`` (default: the child's own cards) and ``pfiles`` (default:
    the parent's own cards when both are delta manifests, every file of the
    parent when the child is a baseline) may leave out cards that make no
    row, as add_mlink's faster selections do.
    """
    pm, cm = parent.m, child.m
    for cf in cm.files if cfiles is None else cfiles:
        perm = mperm(cf)
        if cf.prior:
            _add_renamed(b, pmid, parent, mid, cf, public, is_prim, perm)
        else:
            pf = parent.seek(cf.name)
            if pf is None:
                if cf.uuid:
                    _add_one_mlink(b, pmid, None, mid, cf.uuid, cf.name, None, public, is_prim, perm)
            elif cf.uuid != pf.uuid or mperm(pf) != perm:
                _add_one_mlink(b, pmid, pf.uuid, mid, cf.uuid, cf.name, None, public, is_prim, perm)
    if pm.baseline is not None and cm.baseline is not None:
        # both are delta manifests: files the parent changed or deleted that
        # revert to, or reappear from, the baseline in the child
        craw = child.raw()
        for pf in pm.files if pfiles is None else pfiles:
            if pf.uuid:
                if pf.name in craw:
                    continue
                xf = child.seek(pf.name)
                if xf is not None:
                    _add_one_mlink(b, pmid, pf.uuid, mid, xf.uuid, xf.name, None, public, is_prim, mperm(xf))
            else:
                xf = child.seek(pf.name)
                if xf is not None:
                    _add_one_mlink(b, pmid, None, mid, xf.uuid, xf.name, None, public, is_prim, mperm(xf))
    elif cm.baseline is None:
        # the child lists every file: anything else the parent had is deleted
        craw = child.raw()
        for pf in parent.all_files() if pfiles is None else pfiles:
            if pf.name not in craw:
                _add_one_mlink(b, pmid, pf.uuid, mid, None, pf.name, None, public, is_prim, 0)


def _mlink_by_lines(
    b: Batch, pmid: int, parent: Checkin, mid: int, child: Checkin, public: bool, is_prim: bool
) -> bool:
    """_mlink_by_cards for two baseline manifests, looking only at F lines
    that differ: a file whose line is in both is unchanged, and a name's
    line in one manifest that is absent from the other is the only line
    for that name there (a card with an old name is looked at all the same:
    it makes a row when its line is in both).  False (nothing done) if the lines of one are not
    distinct.

    When one of the two was parsed right after the other, fmemo recorded
    which lines it replaced (``extra["fdiff"]``): the lines of each that
    are not in the other are then those, without comparing all lines.
    """
    fdiff = child.m.extra.get("fdiff")
    if fdiff is not None and fdiff[0] is parent.flines:
        _, cnew, pnew = fdiff  # child = common + cnew; parent = common + pnew
    else:
        fdiff = parent.m.extra.get("fdiff")
        if fdiff is not None and fdiff[0] is child.flines:
            _, pnew, cnew = fdiff
        else:
            fdiff = None
            pfl, cfl = parent.flines, child.flines
            if pfl is not None and cfl is not None and parent.m.extra.get("memo") and child.m.extra.get("memo"):
                # memo-parsed lines are in strict name order, hence distinct
                cfiles, pfiles = child.m.files, parent.m.files
                if len(pfl) == len(cfl):
                    # the lines at the positions that differ are the difference
                    ne = map(operator.ne, pfl, cfl)
                    differ = list(itertools.compress(itertools.count(), ne))
                    cnew = [(cfl[i], cfiles[i]) for i in differ]
                    pnew = [(pfl[i], pfiles[i]) for i in differ]
                else:
                    # the lines between the common first and last ones
                    np_, nc = len(pfl), len(cfl)
                    a = next(itertools.compress(itertools.count(), map(operator.ne, pfl, cfl)), min(np_, nc))
                    z = next(
                        itertools.compress(itertools.count(), map(operator.ne, reversed(pfl), reversed(cfl))),
                        min(np_, nc),
                    )
                    z = min(z, np_ - a, nc - a)
                    cnew = list(zip(cfl[a : nc - z], cfiles[a : nc - z], strict=True))
                    pnew = list(zip(pfl[a : np_ - z], pfiles[a : np_ - z], strict=True))
                fdiff = True
    if fdiff is not None:
        # lines are distinct within a manifest, so a line in both ``cnew``
        # and ``pnew`` is the only common line the difference has to drop
        if cnew and pnew:
            cset = {line for line, _ in cnew}
            pset = {line for line, _ in pnew}
            ccand = sorted([card for line, card in cnew if line not in pset], key=_card_key)
            pcand = sorted([card for line, card in pnew if line not in cset], key=_card_key)
        else:
            ccand = sorted([card for _, card in cnew], key=_card_key)
            pcand = sorted([card for _, card in pnew], key=_card_key)
    else:
        plines, clines = parent.lines(), child.lines()
        if plines is None or clines is None:
            return False
        # cards are in name order, so sorting by name restores file order
        ccand = sorted(map(clines.__getitem__, clines.keys() - plines.keys()), key=_card_key)
        pcand = sorted(map(plines.__getitem__, plines.keys() - clines.keys()), key=_card_key)
    renames = child.renames()
    if renames:
        # a card with an old name makes a row even when the parent has its line
        have = set(map(id, ccand))
        ccand += [cf for cf in renames if id(cf) not in have]
    pnames = {pf.name: pf for pf in pcand}
    for cf in ccand:
        perm = mperm(cf)
        if cf.prior:
            _add_renamed(b, pmid, parent, mid, cf, public, is_prim, perm)
            continue
        pf = pnames.get(cf.name)
        if pf is None:
            _add_one_mlink(b, pmid, None, mid, cf.uuid, cf.name, None, public, is_prim, perm)
        elif cf.uuid != pf.uuid or mperm(pf) != perm:
            _add_one_mlink(b, pmid, pf.uuid, mid, cf.uuid, cf.name, None, public, is_prim, perm)
    if pcand:
        cnames = {cf.name for cf in ccand}
        for pf in pcand:
            if pf.name not in cnames:
                _add_one_mlink(b, pmid, pf.uuid, mid, None, pf.name, None, public, is_prim, 0)
    return True


def _card_key(f: FileCard) -> bytes:
    return f.name.encode("utf-8", "surrogateescape")


def _name_key(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


_REPARENT_SPLIT = re.compile(r"[\x00- ]")


def reparent_checkin(b: Batch, rid: int, value: str) -> None:
    """Apply a "parent" tag: replace the parents of check-in ``rid``.

    The value is a list of full hashes separated by single spaces; anything
    else is ignored.
    """
    n = len(value)
    max_parents = (n + 1) // 41
    if max_parents < 1:
        return
    parts = _REPARENT_SPLIT.split(value)
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if len(parts) > max_parents:
        return
    for p in parts:
        if len(p) not in (40, 64) or not frozenset("0123456789abcdefABCDEF").issuperset(p):
            return
    ci = b.checkin(rid)
    if ci is None:
        return
    db = b.repo.db
    write_mlink(b)
    db.execute("DELETE FROM plink WHERE cid=?", (rid,))
    db.execute("DELETE FROM mlink WHERE mid=?", (rid,))
    if b.mlink_mids is not None:
        b.mlink_mids.discard(rid)
    b.primary_fnids = None
    add_checkin_linkages(b, rid, ci, parts)
