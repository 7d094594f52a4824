"""Moving a checkout to another check-in: ``update`` (keeping local edits)
and ``checkout`` (refusing them), as ``update_cmd`` in ``src/update.c`` and
``checkout_cmd`` in ``src/checkout.c``.

``update`` compares three things per file name (the temporary ``fv``
table of Fossil: the current check-in V with the local edits, the target
T, and the renames on the way from V to T) and says what it does, one
line per file:

* ``ADD NAME`` (a file of T not in V; ``- overwrites an unmanaged file``
  when one was in the way, which is kept as ``NAME-original``);
* ``UPDATE NAME`` (unedited, or missing, file: T's content);
* ``REMOVE NAME`` (unedited file gone in T; emptied folders go too);
* ``MERGE NAME`` (edited file changed in T: the 3-way merge of the edit
  into T's content, ``***** N merge conflicts in NAME`` when they
  overlap);
* ``CONFLICT NAME`` (added here and in T; edited here and deleted in T).

then a line of 79 dashes and ``updated-from:``/``updated-to:``/
``changes:`` (or ``checkout:`` and ``changes: None. Already
up-to-date``).  Warnings go to stderr (lines starting with "!" for the
caller): uncommitted merges, the leaf ambiguity, ``WARNING: N merge
conflicts``.  Everything (vfile, vvar, the undo state saved first) is one
transaction; files are written inside it, and with ``--dry-run`` nothing
is written and the transaction is rolled back.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fossilpy.checkout import ancestry, vfile
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

Out = Callable[[str], None]


class MultipleDescendants(UserError):
    """``update`` without a version found several leaves: ``rids`` lists them."""

    def __init__(self, rids: list[int]) -> None:
        super().__init__("Multiple descendants")
        self.rids = rids


@dataclass
class Options:
    """What ``fossil update`` was asked for."""

    version: str | None = None
    #: checkout-relative names (files or folders) to update alone
    files: list[str] = field(default_factory=list)
    latest: bool = False
    dry_run: bool = False
    verbose: bool = False
    debug: bool = False
    keep_merge_files: bool = False
    #: go on when the target's content is incomplete (its missing files are left out)
    force_missing: bool = False
    #: the command line saved for ``undo --explain``
    cmdline: str = "update"
    cwd: str = ""


class _Rollback(Exception):
    """Roll back a dry run's transaction."""


# -- helpers shared with merge ----------------------------------------------


def line(*words: str) -> str:
    """An output line of words ("UPDATE NAME": a report, not SQL)."""
    return " ".join(words)


def newname(ck: Checkout, full: str, suffix: str) -> str:
    """``file_newname``: ``FULL-SUFFIX``, or ``FULL-SUFFIX-N`` for the first free N."""
    name = f"{full}-{suffix}"
    n = 0
    while os.path.lexists(vfile.fs(name)):
        name = f"{full}-{suffix}-{n}"
        n += 1
    return name


def copy_file(src: str, dst: str) -> None:
    """``file_copy``: the bytes of ``src`` into a new ``dst``."""
    with open(vfile.fs(src), "rb") as fh:
        data = fh.read()
    with open(vfile.fs(dst), "wb") as fh:
        fh.write(data)


def file_to_disk(
    ck: Checkout,
    fid: int,
    row: tuple[str, int, int, int] | None = None,
    mtimes: list[tuple[int, int]] | None = None,
) -> None:
    """``vfile_to_disk(0, id, 0, 0)``: write one vfile row's ``mrid`` content,
    unless the file already holds it (then only its x bit).  ``row``: the row's
    (pathname, mrid, isexe, islink) when the caller has read it already;
    ``mtimes``: where to leave (mtime, id) for the caller to store in one batch."""
    from fossilpy.repo import content

    if row is None:
        row = ck.row("SELECT pathname, mrid, isexe, islink FROM localdb.vfile WHERE id=? AND mrid>0", (fid,))
    if row is None:
        return
    name, rid, isexe, islink = str(row[0]), int(row[1]), bool(row[2]), bool(row[3])
    if vfile.unsafe_path(ck, name) is not None:
        return
    data = content.get(ck.repo, rid)
    if data is None:
        return
    path = ck.full(name)
    links = vfile.allow_symlinks(ck)
    st = vfile.lstat_or_none(path, follow=not links)
    # file_is_the_same: the size first, the content only when the sizes agree
    if (
        st is not None
        and (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode))
        and st.st_size == len(data)
        and vfile.read(path, links) == data
    ):
        before = vfile.file_info(path, links)[2]
        vfile.set_exe(path, isexe)
        if vfile.file_info(path, links)[2] != before:
            ck.execute("UPDATE localdb.vfile SET mtime=? WHERE id=?", (vfile.file_info(path, links)[1], fid))
        return
    perm = vfile.PERM_LNK if islink else vfile.PERM_EXE if isexe else vfile.PERM_REG
    mtime = vfile.write_file(ck, name, data, perm)
    if mtimes is not None:
        mtimes.append((mtime, fid))
    else:
        ck.execute("UPDATE localdb.vfile SET mtime=? WHERE id=?", (mtime, fid))


def set_all_exe(ck: Checkout, vid: int) -> None:
    """``checkout_set_all_exe``: the x bit of every file as check-in ``vid`` says."""
    from fossilpy.artifact import manifest
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    m = manifest.parse_or_none(content.get(ck.repo, vid) or b"")
    if m is None:
        return
    rows: list[tuple[int, int, bytes, int]] = []
    for name, _uuid, perm in checkin_files(ck.repo, m):
        exe = "x" in perm
        if vfile.unsafe_path(ck, name) is None:
            vfile.set_exe(ck.full(name), exe)
        rows.append((int(exe), vid, vfile.fs(name), int(exe)))
    with ck.repo.write():
        ck.repo.db.executemany(
            "UPDATE localdb.vfile SET isexe=? WHERE vid=? AND pathname=CAST(? AS TEXT) AND isexe!=?", rows
        )


def empty_dirs(ck: Checkout, out: Out, keep: set[str] | None = None) -> None:
    """``ensure_empty_dirs_created``: make the folders the ``empty-dirs`` setting names;
    those folders are taken out of ``keep`` (the folders about to be removed)."""
    value = ck.setting("empty-dirs")
    if not value:
        return
    for d in value.replace(",", " ").split():
        path = ck.root + d
        if not os.path.lexists(vfile.fs(path)):
            try:
                os.makedirs(vfile.fs(path), exist_ok=True)
            except OSError:
                out(f"!couldn't create directory {d} as required by empty-dirs setting")
        elif os.path.isdir(vfile.fs(path)):
            if keep is not None:
                keep.discard(d)
        else:
            out(f"!file {d} found, but a directory is required by empty-dirs setting")


def remove_dirs(ck: Checkout, dirs: set[str], cwd: str) -> None:
    """Remove the folders that became empty (``rmdir`` ignores the others), deepest first,
    never the current directory."""
    here = os.path.abspath(cwd or os.getcwd())
    for d in sorted(dirs, key=vfile.fs, reverse=True):
        full = ck.root + d
        if os.path.abspath(full) == here:
            continue
        ck.safe_dirs.clear()
        try:
            os.rmdir(vfile.fs(full))
        except OSError:
            pass


def merge_file(
    ck: Checkout, pivot: bytes, name: str, other: bytes, dry_run: bool, keep_files: bool
) -> tuple[int, bytes]:
    """``merge_3way``: merge ``pivot``->``other`` into file ``name`` on disk.

    Returns (conflicts, merged bytes), conflicts -1 for binary content.
    With ``keep_files`` and a conflict, the three inputs are left beside
    the file as NAME-baseline, NAME-original and NAME-merge.
    """
    from fossilpy.artifact import merge3, textdiff

    full = ck.full(name)
    mine = vfile.read(full, False) if vfile.exists(full) else b""
    try:
        merged, conflicts = merge3.merge(pivot, mine, other)
    except textdiff.BinaryInput:
        return -1, b""
    if not dry_run and conflicts and keep_files:
        for suffix, data in (("baseline", pivot), ("original", mine), ("merge", other)):
            with open(vfile.fs(newname(ck, full, suffix)), "wb") as fh:
                fh.write(data)
    return conflicts, merged


def write_plain(ck: Checkout, name: str, data: bytes, exe: bool) -> None:
    """``blob_write_to_file`` + ``file_setexe``: ``name`` gets ``data`` (a symlink in the
    way is replaced, never written through)."""
    vfile.write_file(ck, name, data, vfile.PERM_EXE if exe else vfile.PERM_REG)


# -- choosing the target --------------------------------------------------------


def target(ck: Checkout, o: Options) -> int:
    """The check-in ``update`` goes to: the named one, or the newest leaf descending
    from the current check-in (on its branch when there are several)."""
    from fossilpy.repo import names

    vid = ck.vid
    latest = o.latest
    if o.version is not None and o.version != "current":
        if o.version == "latest":
            latest = True
        else:
            tid = names.resolve(ck.repo, o.version, "ci")
            if tid <= 0 or not ancestry.is_a_version(ck, tid):
                raise UserError(f"no such check-in: {o.version}")
            return tid
    close_mode = 1
    ancestry.compute_leaves(ck, vid, close_mode)
    if ck.one("SELECT 1 FROM leaves") is None:
        close_mode = 0
        ancestry.compute_leaves(ck, vid, close_mode)
    if not latest and int(ck.one("SELECT count(*) FROM leaves", (), 0)) > 1:
        ck.execute(
            "DELETE FROM leaves WHERE rid NOT IN (SELECT leaves.rid FROM leaves, tagxref"
            " WHERE leaves.rid=tagxref.rid AND tagxref.tagid=8"
            " AND tagxref.value==(SELECT value FROM tagxref WHERE tagid=8 AND rid=?))",
            (vid,),
        )
        if int(ck.one("SELECT count(*) FROM leaves", (), 0)) > 1:
            ancestry.compute_leaves(ck, vid, close_mode)
            raise MultipleDescendants([int(r[0]) for r in ck.all("SELECT rid FROM leaves")])
    tid = int(ck.one("SELECT rid FROM leaves, event WHERE event.objid=leaves.rid ORDER BY event.mtime DESC", (), 0))
    return tid or vid


# -- update -------------------------------------------------------------------------

_FV = (
    "CREATE TEMP TABLE fv(fn TEXT PRIMARY KEY, idv INTEGER, idt INTEGER, chnged BOOLEAN,"
    " islinkv BOOLEAN, islinkt BOOLEAN, ridv INTEGER, ridt INTEGER, isexe BOOLEAN,"
    " deleted BOOLEAN DEFAULT 0, fnt TEXT)"
)


def _fill_fv(ck: Checkout, vid: int, tid: int, o: Options, out: Out) -> None:
    ck.execute("DROP TABLE IF EXISTS temp.fv")
    ck.execute(_FV)
    ck.execute(
        "INSERT OR IGNORE INTO fv(fn,fnt,idv,idt,ridv,ridt,isexe,chnged,deleted)"
        " SELECT pathname, pathname, id, 0, rid, 0, isexe, chnged, deleted FROM localdb.vfile WHERE vid=?",
        (vid,),
    )
    if vid:
        for old, new in ancestry.filename_changes(ck, vid, tid, True, ("V->T", out) if o.debug else None):
            ck.execute(
                "UPDATE fv SET fnt=(SELECT name FROM filename WHERE fnid=?)"
                " WHERE fn=(SELECT name FROM filename WHERE fnid=?) AND chnged",
                (new, old),
            )
    ck.execute(
        "INSERT OR IGNORE INTO fv(fn,fnt,idv,idt,ridv,ridt,isexe,chnged)"
        " SELECT pathname, pathname, 0, 0, 0, 0, isexe, 0 FROM localdb.vfile"
        " WHERE vid=? AND pathname NOT IN (SELECT fnt FROM fv)",
        (tid,),
    )
    ck.execute(
        "UPDATE fv SET idt=coalesce((SELECT id FROM localdb.vfile WHERE vid=?1 AND fnt=pathname),0),"
        " ridt=coalesce((SELECT rid FROM localdb.vfile WHERE vid=?1 AND fnt=pathname),0)",
        (tid,),
    )
    ck.execute(
        "UPDATE fv SET islinkv=coalesce((SELECT islink FROM localdb.vfile WHERE vid=?1 AND fnt=pathname),0),"
        " islinkt=coalesce((SELECT islink FROM localdb.vfile WHERE vid=?2 AND fnt=pathname),0)",
        (vid, tid),
    )
    if o.debug:
        for rowid, fn, fnt, chnged, ridv, ridt, isexe, islinkv, islinkt in ck.all(
            "SELECT rowid, fn, fnt, chnged, ridv, ridt, isexe, islinkv, islinkt FROM fv"
        ):
            out(
                f"{rowid:3d}: ridv={ridv:<4d} ridt={ridt:<4d} chnged={chnged} isexe={isexe}"
                f" islinkv={islinkv}  islinkt={islinkt}"
            )
            out(f"     fnv = [{fn}]")
            out(f"     fnt = [{fnt}]")
    if o.files:
        for name in o.files:
            if name == ".":
                return
        keep_sql = " OR ".join("fn GLOB ? || '/*'" if os.path.isdir(vfile.fs(ck.full(n))) else "fn=?" for n in o.files)
        ck.execute("DELETE FROM fv WHERE NOT (" + keep_sql + ")", tuple(o.files))


@dataclass
class _Counts:
    update: int = 0
    conflict: int = 0
    overwrite: int = 0
    saved: bool = False


def _save(ck: Checkout, o: Options, c: _Counts, name: str) -> None:
    from fossilpy.checkout import undo

    if not o.dry_run:
        undo.save(ck, name)
        c.saved = True


def _merge_edit(ck: Checkout, o: Options, c: _Counts, out: Out, f: tuple[str, str, int, int, bool]) -> None:
    """Merge the local edit of file ``name`` (V: ``ridv``) into T's content (``ridt``),
    written as ``new_name``."""
    from fossilpy.repo import content

    name, new_name, ridv, ridt, isexe = f
    full = ck.full(name)
    _save(ck, o, c, name)
    theirs = content.get(ck.repo, ridt) or b""
    pivot = content.get(ck.repo, ridv) or b""
    rc, merged = merge_file(ck, pivot, name, theirs, o.dry_run, o.keep_merge_files)
    if rc >= 0:
        if not o.dry_run:
            write_plain(ck, new_name, merged, isexe)
        if rc > 0:
            out(f"***** {rc} merge conflicts in {new_name}")
            c.conflict += 1
        return
    if not o.dry_run:
        if not o.keep_merge_files:
            copy_file(full, newname(ck, full, "original"))
        write_plain(ck, new_name, theirs, isexe)
    out(f"***** Cannot merge binary file {new_name}" + ("" if o.dry_run else ", original copy backed up locally"))
    c.conflict += 1


def _apply(ck: Checkout, o: Options, tid: int, out: Out, dirs: set[str]) -> _Counts:
    """Alter the files so that the checkout conforms with ``tid`` (the loop of ``update_cmd``)."""
    c = _Counts()
    links = vfile.allow_symlinks(ck)
    rows = ck.all("SELECT fn, idv, ridv, idt, ridt, chnged, fnt, isexe, islinkv, islinkt, deleted FROM fv ORDER BY 1")
    # the target's rows, read once for file_to_disk (the loop changes none of these columns)
    targets = {
        int(r[0]): (str(r[1]), int(r[2]), int(r[3] or 0), int(r[4] or 0))
        for r in ck.all("SELECT id, pathname, mrid, isexe, islink FROM localdb.vfile WHERE vid=? AND mrid>0", (tid,))
    }

    mtimes: list[tuple[int, int]] = []  # (mtime, id) of the files written, stored after the loop

    def to_disk(fid: int) -> None:
        target = targets.get(fid)
        if target is not None:
            file_to_disk(ck, fid, target, mtimes)

    for name, idv, ridv, idt, ridt, chnged, new_name, isexe, islinkv, islinkt, deleted in rows:
        name, new_name = str(name), str(new_name)
        idv, ridv, idt, ridt, chnged = int(idv or 0), int(ridv or 0), int(idt or 0), int(ridt or 0), int(chnged or 0)
        full = ck.full(name)
        name_chng = name != new_name
        c.update += 1
        if deleted:
            ck.execute("UPDATE localdb.vfile SET deleted=1 WHERE id=?", (idt,))
        if idv > 0 and ridv == 0 and idt > 0 and ridt > 0:
            out(f"CONFLICT {name}")
            c.conflict += 1
        elif idt > 0 and idv == 0:
            if vfile.is_file_or_link(full, links):
                copy_file(full, newname(ck, full, "original"))
                out(
                    f"ADD {name} - overwrites an unmanaged file"
                    + ("" if o.dry_run else ", original copy backed up locally")
                )
                c.overwrite += 1
            else:
                out(f"ADD {name}")
            _save(ck, o, c, name)
            if not o.dry_run:
                to_disk(idt)
        elif idt > 0 and idv > 0 and ridt != ridv and (chnged == 0 or deleted):
            out(line("UPDATE", name, "- change to unmanaged file") if deleted else line("UPDATE", name))
            _save(ck, o, c, name)
            if not o.dry_run:
                to_disk(idt)
        elif idt > 0 and idv > 0 and not deleted and vfile.file_info(full, links)[0] < 0:
            out(line("UPDATE", name))
            _save(ck, o, c, name)
            if not o.dry_run:
                to_disk(idt)
        elif idt == 0 and idv > 0:
            if ridv == 0:
                ck.execute("UPDATE localdb.vfile SET vid=? WHERE id=?", (tid, idv))
            elif chnged:
                out(f"CONFLICT {name} - edited locally but deleted by update")
                c.conflict += 1
            else:
                out(line("REMOVE", name))
                _save(ck, o, c, name)
                if not o.dry_run:
                    if os.path.lexists(vfile.fs(full)):
                        os.unlink(vfile.fs(full))
                    d = os.path.dirname(name)
                    while d and d not in dirs:
                        dirs.add(d)
                        d = os.path.dirname(d)
        elif idt > 0 and idv > 0 and ridt != ridv and chnged:
            out(f"MERGE {name} -> {new_name}" if name_chng else f"MERGE {name}")
            if islinkv or islinkt:
                out(f"***** Cannot merge symlink {new_name}")
                c.conflict += 1
            else:
                _merge_edit(ck, o, c, out, (name, new_name, ridv, ridt, bool(isexe)))
            if name_chng and not o.dry_run and os.path.lexists(vfile.fs(full)):
                os.unlink(vfile.fs(full))
        else:
            c.update -= 1
            if chnged:
                if o.verbose:
                    out(f"EDITED {name}")
            else:
                ck.execute(
                    "UPDATE localdb.vfile SET mtime=(SELECT mtime FROM localdb.vfile WHERE id=?) WHERE id=?", (idv, idt)
                )
                if o.verbose:
                    out(f"UNCHANGED {name}")
    ck.repo.db.executemany("UPDATE localdb.vfile SET mtime=? WHERE id=?", mtimes)
    return c


def update(ck: Checkout, o: Options, out: Out, info: Callable[[int, str], None]) -> None:
    """``fossil update``: move the checkout to ``o.version`` (or the newest
    descendant), merging local edits.  ``info(rid, label)`` prints Fossil's
    ``show_common_info`` block for a check-in."""
    from fossilpy.checkout import undo
    from fossilpy.checkout.ancestry import leaf_ambiguity_warning

    vid = ck.vid
    repo = ck.repo
    if not o.dry_run:
        empty_dirs(ck, out)
    tid = target(ck, o)
    if not tid:
        return
    c = _Counts()
    try:
        with repo.write():
            vfile.check_signature(ck, vid)
            if not o.dry_run:
                undo.begin(ck, o.cmdline)
            if vfile.load(ck, tid) and not o.force_missing:
                raise UserError("missing content, unable to update")
            _fill_fv(ck, vid, tid, o, out)
            dirs: set[str] = set()
            try:
                c = _apply(ck, o, tid, out, dirs)
            except BaseException:
                if not o.dry_run:
                    undo.rollback_files(ck, out)
                raise
            out("-" * 79)
            if c.update == 0:
                info(tid, "checkout:")
                out(f"{'changes:':<13} None. Already up-to-date")
            else:
                when = ck.one("SELECT datetime(mtime) || ' UTC' FROM event WHERE objid=?", (vid,)) or ""
                uuid = ck.one("SELECT uuid FROM blob WHERE rid=?", (vid,)) or ""
                out(f"{'updated-from:':<13} {str(uuid)[:40]} {when}")
                info(tid, "updated-to:")
                out(f"{'changes:':<13} {c.update} file{'s' if c.update > 1 else ''} modified.")
            if not o.dry_run:
                n_merge = 0
                for mhash, mid in ck.all("SELECT mhash, id FROM localdb.vmerge WHERE id<=0"):
                    label = {-1: "cherrypick merge", -2: "backout merge"}.get(int(mid), "merge")
                    out(f"!uncommitted {label} against {str(mhash)[:10]}.")
                    n_merge += 1
                for line in leaf_ambiguity_warning(ck, tid, tid):
                    out("!" + line)
                if c.conflict:
                    out(f"!WARNING: {c.conflict} merge conflicts")
                if c.overwrite:
                    out(f"!WARNING: {c.overwrite} unmanaged files were overwritten")
                if n_merge:
                    out(f"!WARNING: {n_merge} uncommitted prior merges")
            if o.dry_run:
                raise _Rollback
            empty_dirs(ck, out, dirs)
            remove_dirs(ck, dirs, o.cwd)
            if not o.files:
                ck.execute("DELETE FROM localdb.vfile WHERE vid!=?", (tid,))
                set_all_exe(ck, tid)
                vfile.manifest_to_disk(ck, tid)
                ck.set_checkout(tid)
            else:
                ck.execute("DELETE FROM localdb.vfile WHERE vid!=?", (vid,))
            ck.execute("DROP TABLE IF EXISTS temp.fv")
    except _Rollback:
        return
    if c.saved:
        out(' "fossil undo" is available to undo changes to the working checkout.')
