"""Merging another check-in into the checkout (``merge_cmd`` in ``src/merge.c``).

Notation of Fossil: V the current check-in (with the local edits), M the
check-in merged in, P the pivot (the most recent common ancestor, or the
``--baseline``; M's parent for ``--cherrypick``; with ``--backout`` P and
M swap so that M's changes are taken out), N the "name pivot" (common
ancestor along primary parents, for renames).

The temporary ``fv`` table holds one row per file name with its vfile
ids and rids in V, P and M; then, in Fossil's order, files whose x bit
changed P->M only (``EXECUTABLE``/``UNEXEC``), files changed P->M only
(``UPDATE``: M's content, ``chnged`` 2, 4 with ``--integrate``), files
changed on both sides (``MERGE``, the 3-way merge; conflicts counted),
files gone in M (``DELETE``), renames P->M (``RENAME``) and files new in M
(``ADDED``, ``chnged`` 3, 5 with ``--integrate``).

The merge is recorded in ``vmerge`` as Fossil does: id 0 (merge), -1
(cherry-pick), -2 (back-out, of P), -4 (integrate) for the whole merge,
and one row per merged file (id = the file's vfile id, merge = M's file
rid).  A later commit reads them for its P and Q cards.  Undo state is
saved first; everything is one transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from fossilpy.checkout import ancestry, update, vfile
from fossilpy.checkout.db import Checkout
from fossilpy.errors import UserError

Out = Callable[[str], None]


@dataclass
class Options:
    """What ``fossil merge`` was asked for."""

    version: str | None = None
    cherrypick: bool = False
    backout: bool = False
    baseline: str | None = None
    integrate: bool = False
    dry_run: bool = False
    force: bool = False
    verbose: bool = False
    debug: bool = False
    keep_merge_files: bool = False
    binary: str | None = None
    #: go on when a check-in's content is incomplete (its missing files are left out)
    force_missing: bool = False
    #: dump the vfile table after loading the check-ins (``--show-vfile``)
    show_vfile: bool = False
    cmdline: str = "merge"


class _Rollback(Exception):
    pass


_FV = (
    "CREATE TEMP TABLE fv(fn TEXT UNIQUE, idv INTEGER DEFAULT 0, idp INTEGER DEFAULT 0,"
    " idm INTEGER DEFAULT 0, chnged BOOLEAN, ridv INTEGER DEFAULT 0, ridp INTEGER DEFAULT 0,"
    " ridm INTEGER DEFAULT 0, isexe BOOLEAN, fnp TEXT UNIQUE, fnm TEXT UNIQUE, fnn TEXT UNIQUE,"
    " islinkv BOOLEAN, islinkm BOOLEAN)"
)


def _version(ck: Checkout, name: str) -> int:
    from fossilpy.repo import names

    rid = names.resolve(ck.repo, name, "ci")
    if rid <= 0 or not ancestry.is_a_version(ck, rid):
        raise UserError(f"not a version: {name}")
    return rid


_RENAME_SQL = {
    "fn": ("INSERT OR IGNORE INTO fv(fn,fnn) VALUES(?,?)", "UPDATE fv SET fn=? WHERE fnn=?"),
    "fnp": ("INSERT OR IGNORE INTO fv(fnp,fnn) VALUES(?,?)", "UPDATE fv SET fnp=? WHERE fnn=?"),
    "fnm": ("INSERT OR IGNORE INTO fv(fnm,fnn) VALUES(?,?)", "UPDATE fv SET fnm=? WHERE fnn=?"),
}


def _add_renames(
    ck: Checkout, col: str, rid: int, nid: int, rev_ok: bool, trace: tuple[str, Out] | None = None
) -> None:
    """``add_renames``: the name in ``rid`` (column ``col``) of each file renamed since N."""
    insert, update_sql = _RENAME_SQL[col]
    for n_fnid, v_fnid in ancestry.filename_changes(ck, nid, rid, rev_ok, trace):
        zn, zv = ancestry.filename(ck, n_fnid), ancestry.filename(ck, v_fnid)
        if ck.execute(insert, (zv, zn)).rowcount == 0:
            ck.execute(update_sql, (zv, zn))


def _vmerge_insert(ck: Checkout, mid: int, rid: int) -> None:
    ck.execute(
        "INSERT OR IGNORE INTO localdb.vmerge(id,merge,mhash) VALUES(?,?,(SELECT uuid FROM blob WHERE rid=?))",
        (mid, rid, rid),
    )


@dataclass
class _Plan:
    vid: int
    mid: int
    pid: int
    nid: int
    v_ancestor: str
    integrate: bool


def _plan(ck: Checkout, o: Options, out: Out) -> _Plan:
    """Find M, P and N (the checks ``merge_cmd`` makes before its transaction)."""
    from fossilpy.repo import content
    from fossilpy.repo.crosslink.leaf import is_leaf

    vid = ck.vid
    if vid == 0:
        raise UserError("nothing is checked out")
    if not o.force and ancestry.is_closed(ck, vid):
        raise UserError("cannot merge into a closed leaf. Use --force to override")
    if o.version is not None:
        mid = _version(ck, o.version)
    else:
        if o.cherrypick or o.backout or o.integrate:
            raise UserError("cannot use --backout, --cherrypick or --integrate with a fork merge")
        mid = ancestry.nearest_fork(ck, vid)
        if mid == 0:
            branch = ck.one("SELECT value FROM tagxref WHERE tagid=8 AND rid=? AND tagtype>0", (vid,))
            raise UserError(f'no unmerged forks of branch "{branch}"')
        row = ck.row(
            "SELECT blob.uuid, datetime(event.mtime), coalesce(ecomment, comment), coalesce(euser, user)"
            " FROM event, blob WHERE event.objid=? AND blob.rid=?",
            (mid, mid),
        )
        if row is not None:
            out(f'Merging fork [{str(row[0])[:10]}] at {row[1]} by {row[3]}: "{row[2]}"')
    pid = nid = 0
    if o.baseline:
        pid = _version(ck, o.baseline)
        if o.cherrypick:
            raise UserError("incompatible options: --cherrypick and --baseline")
    if o.cherrypick or o.backout:
        if o.integrate:
            raise UserError("incompatible options: --integrate and --cherrypick with --backout")
        pid = int(ck.one("SELECT pid FROM plink WHERE cid=? AND isprim", (mid,), 0))
        if pid <= 0:
            raise UserError(f"cannot find an ancestor for {o.version}")
    else:
        if not o.baseline:
            secondaries = [vid] + [int(r[0]) for r in ck.all("SELECT merge FROM localdb.vmerge WHERE id=0")]
            pid = ancestry.pivot_find(ck, mid, secondaries, False)
            if pid <= 0:
                raise UserError(f"cannot find a common ancestor between the current check-out and {o.version}")
        nid = ancestry.pivot_find(ck, mid, [vid], True)
        if nid != pid:
            nid = ancestry.pivot_find(ck, nid, [pid], True)
    if o.backout:
        pid, mid = mid, pid
    if nid == 0:
        nid = pid
    if not ancestry.is_a_version(ck, pid):
        raise UserError(f"not a version: record #{pid}")
    integrate = o.integrate
    if integrate and not is_leaf(ck.repo, mid):
        out(f"!ignoring --integrate: {o.version} is not a leaf")
        integrate = False
    if integrate and content.is_private(ck.repo, mid):
        out(
            f"!ignoring --integrate: {o.version} is on a private branch"
            '\n Use "fossil amend --close" (after commit) to close the leaf.'
        )
        integrate = False
    return _Plan(vid, mid, pid, nid, "p", integrate)


def _describe(ck: Checkout, rid: int, label: str, out: Out) -> None:
    """``print_checkin_description(rid, 12, label)`` for a short comment."""
    row = ck.row(
        "SELECT datetime(mtime), coalesce(euser,user), coalesce(ecomment,comment),"
        " (SELECT uuid FROM blob WHERE rid=?1),"
        " (SELECT group_concat(substr(tagname,5), ', ') FROM tag, tagxref"
        " WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid AND tagxref.rid=?1 AND tagxref.tagtype>0)"
        " FROM event WHERE objid=?1",
        (rid,),
    )
    if row is None:
        return
    com = f"{row[2]} ({row[4]})" if row[4] else str(row[2])
    out(f"{label:<11} [{str(row[3])[:10]}] by {row[1]} on {row[0]}")
    out(" " * 12 + com)


_FILL_IN = (
    "UPDATE OR IGNORE fv SET fnp=vfile.pathname FROM localdb.vfile"
    " WHERE fnp IS NULL AND vfile.pathname = fv.fnn AND vfile.vid=?",
    "UPDATE OR IGNORE fv SET fn=vfile.pathname FROM localdb.vfile"
    " WHERE fn IS NULL AND vfile.pathname = coalesce(fv.fnp,fv.fnn) AND vfile.vid=?",
    "UPDATE OR IGNORE fv SET fnm=vfile.pathname FROM localdb.vfile"
    " WHERE fnm IS NULL AND vfile.pathname = coalesce(fv.fnp,fv.fnn) AND vfile.vid=?",
    "UPDATE OR IGNORE fv SET fnp=vfile.pathname FROM localdb.vfile"
    " WHERE fnp IS NULL AND vfile.pathname IN (fv.fnm,fv.fn) AND vfile.vid=?",
    "UPDATE OR IGNORE fv SET fn=vfile.pathname FROM localdb.vfile"
    " WHERE fn IS NULL AND vfile.pathname = fv.fnm AND vfile.vid=?",
    "UPDATE OR IGNORE fv SET fnm=vfile.pathname FROM localdb.vfile"
    " WHERE fnm IS NULL AND vfile.pathname = fv.fn AND vfile.vid=?",
)
_FN_FROM = {
    "p": "UPDATE OR IGNORE fv SET fn=coalesce(fnp,fnn) WHERE fn IS NULL",
    "n": "UPDATE OR IGNORE fv SET fn=coalesce(fnn,fnn) WHERE fn IS NULL",
}


def _dump_fv(ck: Checkout, out: Out, show_all: bool) -> None:
    """``debug_fv_dump``."""
    sql = "SELECT rowid, fn, fnp, fnm, chnged, ridv, ridp, ridm, isexe, islinkv, islinkm, fnn FROM fv"
    if not show_all:
        sql += " WHERE chnged OR (ridv!=ridm AND ridm!=ridp)"
    for row in ck.all(sql):
        n = [v if isinstance(v, int) else 0 for v in row]
        t = ["" if v is None else str(v) for v in row]
        out(
            f"{n[0]:3d}: ridv={n[5]:<4d} ridp={n[6]:<4d} ridm={n[7]:<4d} chnged={n[4]} isexe={n[8]} "
            f" islinkv={n[9]} islinkm={n[10]}"
        )
        out(f"     fn  = [{t[1]}]")
        out(f"     fnp = [{t[2]}]")
        out(f"     fnm = [{t[3]}]")
        out(f"     fnn = [{t[11]}]")


def _fill_fv(ck: Checkout, p: _Plan, backout: bool, debug: int, out: Out) -> None:
    """The FV table: one row per file name of V, P and M with their ids and rids."""
    vid, pid, mid, nid = p.vid, p.pid, p.mid, p.nid
    ck.execute("DROP TABLE IF EXISTS temp.fv")
    ck.execute(_FV)
    _add_renames(ck, "fn", vid, nid, False, ("N->V", out) if debug else None)
    _add_renames(ck, "fnp", pid, nid, False, ("N->P", out) if debug else None)
    _add_renames(ck, "fnm", mid, nid, backout, ("N->M", out) if debug else None)
    if debug:
        out("******** FV after name change search *******")
        _dump_fv(ck, out, True)
    if nid != pid:
        # a name that changed between N and only some of P, V, M: fill in the others
        for sql, rid in zip(_FILL_IN, (pid, vid, mid, pid, vid, mid), strict=True):
            ck.execute(sql, (rid,))
    if debug:
        out("******** FV after name change fill-in *******")
        _dump_fv(ck, out, True)
    ck.execute(_FN_FROM[p.v_ancestor])
    ck.execute(
        "REPLACE INTO fv(fn,fnp,fnm,fnn,idv,ridv,islinkv,isexe,chnged)"
        " SELECT pathname, fnp, fnm, fnn, id, rid, islink, vf.isexe, vf.chnged"
        " FROM localdb.vfile vf LEFT JOIN fv ON fn=coalesce(origname,pathname)"
        " AND rid>0 AND vf.chnged NOT IN (3,5) WHERE vid=?",
        (vid,),
    )
    if debug >= 2:
        out("******** FV after adding files in current version *******")
        _dump_fv(ck, out, True)
    ck.execute(
        "UPDATE OR IGNORE fv SET fnp=coalesce(fnn,"
        " (SELECT coalesce(origname,pathname) FROM localdb.vfile WHERE id=idv)) WHERE fnp IS NULL"
    )
    ck.execute(
        "INSERT OR IGNORE INTO fv(fnp) SELECT coalesce(origname,pathname) FROM localdb.vfile WHERE vid=?", (pid,)
    )
    if debug >= 2:
        out("******** FV after adding pivot files *******")
        _dump_fv(ck, out, True)
    ck.execute("UPDATE OR IGNORE fv SET fnm=fnp WHERE fnm IS NULL")
    ck.execute("INSERT OR IGNORE INTO fv(fnm) SELECT pathname FROM localdb.vfile WHERE vid=?", (mid,))
    if debug >= 2:
        out("******** FV after adding merge-in files *******")
        _dump_fv(ck, out, True)
    if pid == vid:
        ck.execute("UPDATE fv SET idp=idv, ridp=ridv WHERE ridv>0 AND chnged NOT IN (3,5)")
    else:
        ck.execute(
            "UPDATE fv SET idp=coalesce(vfile.id,0), ridp=coalesce(vfile.rid,0) FROM localdb.vfile"
            " WHERE vfile.vid=? AND fv.fnp=vfile.pathname",
            (pid,),
        )
    ck.execute(
        "UPDATE fv SET idm=coalesce(vfile.id,0), ridm=coalesce(vfile.rid,0), islinkm=coalesce(vfile.islink,0),"
        " isexe=coalesce(vfile.isexe,fv.isexe) FROM localdb.vfile WHERE vid=? AND fnm=pathname",
        (mid,),
    )


@dataclass
class _Counts:
    conflict: int = 0
    overwrite: int = 0


def _apply(ck: Checkout, o: Options, p: _Plan, out: Out) -> _Counts:
    from fossilpy.checkout import undo
    from fossilpy.repo import content
    from fossilpy.repo.archive import glob_match, parse_globs

    c = _Counts()
    dry = o.dry_run

    def save(name: str) -> None:
        if not dry:
            undo.save(ck, name)

    for idv, name, is_exe in ck.all(
        "SELECT idv, fn, fv.isexe FROM fv, localdb.vfile p, localdb.vfile v"
        " WHERE p.id=idp AND v.id=idv AND fv.isexe!=p.isexe AND v.isexe=p.isexe"
    ):
        out(f"{'EXECUTABLE' if is_exe else 'UNEXEC'} {name}")
        if not dry:
            vfile.set_exe(ck.full(str(name)), bool(is_exe))
            ck.execute("UPDATE localdb.vfile SET isexe=? WHERE id=?", (is_exe, idv))
    if o.debug:
        out("******** FV final *******")
        _dump_fv(ck, out, o.debug and o.verbose)
    for (idm,) in ck.all("SELECT idm FROM fv WHERE idp=0 AND idv>0 AND idm>0"):
        name = ck.one("SELECT pathname FROM localdb.vfile WHERE id=?", (idm,))
        out(f"!WARNING: no common ancestor for {name}")
        ck.execute("UPDATE fv SET idm=0 WHERE idm=?", (idm,))
    # changed P->M only: take M's content
    for idv, ridm, name, islinkm in ck.all(
        "SELECT idv, ridm, fn, islinkm FROM fv WHERE idp>0 AND idv>0 AND idm>0"
        " AND ridm!=ridp AND ridv=ridp AND NOT chnged"
    ):
        out(update.line("UPDATE", str(name)))
        if not dry:
            save(str(name))
            ck.execute(
                "UPDATE localdb.vfile SET mtime=0, mrid=?1, chnged=?2, islink=?3,"
                " mhash=CASE WHEN rid<>?1 THEN (SELECT uuid FROM blob WHERE blob.rid=?1) END WHERE id=?4",
                (ridm, 4 if p.integrate else 2, islinkm, idv),
            )
            update.file_to_disk(ck, int(idv))
    # changed on both sides: 3-way merge
    binary = parse_globs(o.binary if o.binary is not None else ck.setting("binary-glob"))
    for ridm, idv, ridp, ridv, name, is_exe, islinkv, islinkm in ck.all(
        "SELECT ridm, idv, ridp, ridv, fn, isexe, islinkv, islinkm FROM fv"
        " WHERE idp>0 AND idv>0 AND idm>0 AND ridm!=ridp AND (ridv!=ridp OR chnged)"
    ):
        name = str(name)
        out(f"MERGE {name}  (pivot={ridp} v1={ridm} v2={ridv})" if o.verbose else f"MERGE {name}")
        if islinkv or islinkm:
            out(f"***** Cannot merge symlink {name}")
            c.conflict += 1
        else:
            save(name)
            pivot = content.get(ck.repo, int(ridp)) or b""
            theirs = content.get(ck.repo, int(ridm)) or b""
            if glob_match(ck.repo, binary, name):
                rc, merged = -1, b""
            else:
                rc, merged = update.merge_file(ck, pivot, name, theirs, dry, o.keep_merge_files)
            if rc >= 0:
                if not dry:
                    update.write_plain(ck, name, merged, bool(is_exe))
                ck.execute("UPDATE localdb.vfile SET mtime=0 WHERE id=?", (idv,))
                if rc > 0:
                    out(f"***** {rc} merge conflict{'s' if rc > 1 else ''} in {name}")
                    c.conflict += 1
            else:
                out(f"***** Cannot merge binary file {name}")
                c.conflict += 1
        _vmerge_insert(ck, int(idv), int(ridm))
    # in P and V but not in M: delete
    for idv, name, chnged in ck.all("SELECT idv, fn, chnged FROM fv WHERE idp>0 AND idv>0 AND idm=0"):
        out(update.line("DELETE", str(name)))
        if chnged:
            out(f"!WARNING: local edits lost for {name}")
            c.conflict += 1
        save(str(name))
        ck.execute("UPDATE localdb.vfile SET deleted=1 WHERE id=?", (idv,))
        path = ck.full(str(name))
        if not dry and os.path.lexists(vfile.fs(path)) and not os.path.isdir(vfile.fs(path)):
            os.unlink(vfile.fs(path))
    _renames(ck, p, dry, out, save)
    ck.execute("UPDATE localdb.vfile SET pathname=origname || ' (overwritten by rename)' WHERE pathname IS NULL")
    # in M only: add
    for idm, name in ck.all("SELECT idm, fnm FROM fv WHERE idp=0 AND idv=0 AND idm>0"):
        name = str(name)
        ck.execute(
            "REPLACE INTO localdb.vfile(vid,chnged,deleted,rid,mrid,isexe,islink,pathname,mhash)"
            " SELECT ?,?,0,rid,mrid,isexe,islink,pathname,"
            " CASE WHEN rid<>mrid THEN (SELECT uuid FROM blob WHERE blob.rid=vfile.mrid) END"
            " FROM localdb.vfile WHERE id=?",
            (p.vid, 5 if p.integrate else 3, idm),
        )
        full = ck.full(name)
        if (
            vfile.is_file_or_link(full, vfile.allow_symlinks(ck))
            and ck.one("SELECT 1 FROM fv WHERE fn=?", (name,)) is None
        ):
            update.copy_file(full, update.newname(ck, full, "original"))
            out(f"ADDED {name} (overwrites an unmanaged file)" + ("" if dry else ", original copy backed up locally"))
            c.overwrite += 1
        else:
            out(f"ADDED {name}")
        if not dry:
            save(name)
            fid = ck.one("SELECT id FROM localdb.vfile WHERE vid=? AND pathname=?", (p.vid, name))
            if fid is not None:
                update.file_to_disk(ck, int(fid))
    return c


def _renames(ck: Checkout, p: _Plan, dry: bool, out: Out, save: Callable[[str], None]) -> None:
    """Files renamed P->M but not P->V take M's name (through a temporary copy
    when the new name is in use)."""
    import tempfile

    tmp: dict[str, str] = {}
    for idv, old, new, is_exe in ck.all(
        "SELECT idv, fnp, fnm, isexe FROM fv WHERE idv>0 AND idp>0 AND idm>0 AND fnp=fn AND fnm!=fnp"
    ):
        old, new = str(old), str(new)
        out(f"RENAME {old} -> {new}")
        save(old)
        save(new)
        ck.execute("UPDATE localdb.vfile SET pathname=NULL, origname=pathname WHERE vid=? AND pathname=?", (p.vid, new))
        ck.execute("UPDATE localdb.vfile SET pathname=?, origname=coalesce(origname,pathname) WHERE id=?", (new, idv))
        if dry:
            continue
        why = vfile.unsafe_path(ck, new) or vfile.unsafe_path(ck, old)
        if why is not None:
            raise UserError(why)
        old_full = tmp.get(old, ck.full(old))
        new_full = ck.full(new)
        if os.path.lexists(vfile.fs(new_full)):
            fd, tname = tempfile.mkstemp(dir=ck.root, prefix=".fossil-rename-")
            os.close(fd)
            update.copy_file(new_full, tname)
            tmp[new] = tname
        with open(vfile.fs(old_full), "rb") as fh:
            data = fh.read()
        update.write_plain(ck, new, data, bool(is_exe))
        os.unlink(vfile.fs(old_full))


def merge(ck: Checkout, o: Options, out: Out) -> None:
    """``fossil merge``: merge ``o.version`` (or the nearest fork) into the checkout."""
    from fossilpy.checkout import undo

    p = _plan(ck, o, out)
    if not o.force and p.mid == p.pid:
        out("Merge skipped because it is a no-op.  Use --force to override.")
        return
    if o.verbose:
        _describe(ck, p.mid, "integrate:" if p.integrate else "merge-from:", out)
        _describe(ck, p.pid, "baseline:", out)
    repo = ck.repo
    c = _Counts()
    try:
        with repo.write():
            vfile.check_signature(ck, p.vid)
            if not o.dry_run:
                undo.begin(ck, o.cmdline)
            if vfile.load(ck, p.mid) and not o.force_missing:
                raise UserError("missing content, unable to merge")
            if vfile.load(ck, p.pid) and not o.force_missing:
                raise UserError("missing content, unable to merge")
            if o.baseline:
                p.v_ancestor = "p" if _is_ancestor(ck, p) else "n"
            if o.debug:
                for label, rid, what in (
                    ("N", p.nid, "file rename pivot"),
                    ("P", p.pid, "file content pivot"),
                    ("M", p.mid, "merged-in version"),
                    ("V", p.vid, "current version"),
                ):
                    out(f"{label}={rid:<4d} {ck.one('SELECT uuid FROM blob WHERE rid=?', (rid,))} ({what})")
                out(f"vAncestor = '{p.v_ancestor}'")
            if o.show_vfile:
                vfile.show(ck, out)
            _fill_fv(ck, p, o.backout, (1 + int(o.verbose)) if o.debug else 0, out)
            try:
                c = _apply(ck, o, p, out)
            except BaseException:
                if not o.dry_run:
                    undo.rollback_files(ck, out)
                raise
            if c.conflict:
                out(f"!WARNING: {c.conflict} merge conflicts")
            if c.overwrite:
                out(f"!WARNING: {c.overwrite} unmanaged files were overwritten")
            if o.dry_run:
                out("!REMINDER: this was a dry run - no files were actually changed.")
            ck.execute("DELETE FROM localdb.vfile WHERE vid!=?", (p.vid,))
            if o.cherrypick:
                _vmerge_insert(ck, -1, p.mid)
                ck.execute(
                    "REPLACE INTO localdb.vvar(name,value) SELECT 'ci-comment', coalesce(ecomment,comment)"
                    " FROM event WHERE type='ci' AND objid=?",
                    (p.mid,),
                )
            elif o.backout:
                _vmerge_insert(ck, -2, p.pid)
            elif p.integrate:
                _vmerge_insert(ck, -4, p.mid)
            else:
                _vmerge_insert(ck, 0, p.mid)
            ck.execute("DROP TABLE IF EXISTS temp.fv")
            if o.dry_run:
                raise _Rollback
    except _Rollback:
        return
    if undo_saved(ck):
        out(' "fossil undo" is available to undo changes to the working checkout.')


def undo_saved(ck: Checkout) -> bool:
    """Whether the command saved a file for undo (``undoNeedRollback``)."""
    if ck.one("SELECT 1 FROM localdb.sqlite_schema WHERE name='undo'") is None:
        return False
    return ck.one("SELECT 1 FROM localdb.undo") is not None


def _is_ancestor(ck: Checkout, p: _Plan) -> bool:
    """With --baseline: is P an ancestor of V, not through N or P itself."""
    return (
        ck.one(
            "WITH RECURSIVE ancestor(id) AS (VALUES(?1) UNION"
            " SELECT pid FROM plink, ancestor WHERE cid=ancestor.id AND pid!=?2 AND cid!=?3)"
            " SELECT 1 FROM ancestor WHERE id=?3 LIMIT 1",
            (p.vid, p.nid, p.pid),
        )
        is not None
    )
