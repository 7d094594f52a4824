"""The stash of a checkout (``src/stash.c``): changes set aside and put back.

Tables, in the checkout database (schemas in
:data:`fossilpy.checkout.db.STASH_SCHEMA`, created on first use with the
vvar ``stash-next`` = 1):

* ``stash(stashid, vid, hash, comment, ctime)``: one row per stash;
  ``vid`` is the legacy rid of the baseline check-in, ``hash`` its hash,
  ``ctime`` a julian day;
* ``stashfile(stashid, isAdded, isRemoved, isExec, isLink, rid, hash,
  origname, newname, delta)``: one row per changed file.  ``delta`` is the
  whole content of an added file, NULL for a removed one, else a Fossil
  delta from the baseline content (``hash``/``rid``) to the edited file.

The rows are written exactly as Fossil writes them, so either program
pops a stash the other saved.  ``stash-next`` numbers the stashes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from fossilpy.checkout import vfile
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout
    from fossilpy.checkout.diffcmd import DiffOptions

Out = Callable[[str], None]

#: output lines of ``stash apply`` (file names follow; not SQL)
_DELETE_LINE, _UPDATE_LINE = "DELETE ", "UPDATE "

#: the files of a stash, baseline rid resolved through the hash (``stash_apply``)
_FILES_SQL = (
    "SELECT blob.rid, isRemoved, isExec, isLink, origname, newname, delta"
    "  FROM localdb.stashfile, blob WHERE stashid=? AND blob.uuid=stashfile.hash"
    " UNION ALL SELECT 0, isRemoved, isExec, isLink, origname, newname, delta"
    "  FROM localdb.stashfile WHERE stashid=? AND stashfile.hash IS NULL"
)


def ensure_tables(ck: Checkout) -> None:
    """``stash_tables_exist_and_current`` (for tables of Fossil 2.8 and later)."""
    from fossilpy.checkout.db import STASH_SCHEMA

    with ck.repo.write():
        have = {r[0] for r in ck.all("SELECT name FROM localdb.sqlite_schema WHERE type='table'")}
        if "stash" in have and "stashfile" in have:
            cols = {r[1] for r in ck.all("PRAGMA localdb.table_info(stashfile)")}
            if "hash" not in cols:
                raise UserError("the stash tables predate Fossil 2.8: run a fossil stash command once to upgrade them")
            if ck.one("SELECT hash IS NULL FROM localdb.stash ORDER BY stashid DESC LIMIT 1"):
                ck.execute(
                    "UPDATE localdb.stash SET hash=(SELECT uuid FROM blob WHERE blob.rid=stash.vid) WHERE hash IS NULL"
                )
                ck.execute(
                    "UPDATE localdb.stashfile SET hash=(SELECT uuid FROM blob WHERE blob.rid=stashfile.rid)"
                    " WHERE hash IS NULL AND rid>0"
                )
            return
        ck.execute("DROP TABLE IF EXISTS localdb.stash")
        ck.execute("DROP TABLE IF EXISTS localdb.stashfile")
        for sql in STASH_SCHEMA:
            ck.execute(sql)
        ck.execute("INSERT OR IGNORE INTO localdb.vvar(name, value) VALUES('stash-next', 1)")


def _add_file_or_dir(ck: Checkout, stashid: int, vid: int, tree: str) -> None:
    """``stash_add_file_or_dir``: the changed files at or under tree-relative ``tree``."""
    from fossilpy.artifact import delta
    from fossilpy.repo import content

    sql = (
        "SELECT deleted, isexe, islink, mrid, pathname, coalesce(origname,pathname)"
        "  FROM localdb.vfile WHERE vid=? AND (chnged OR deleted OR origname NOT NULL OR mrid==0)"
    )
    params: tuple[object, ...] = (vid,)
    if tree != ".":
        glob = "".join("[" + c + "]" if c in "*?[" else c for c in tree) + "/*"
        sql += " AND (pathname GLOB ? OR origname GLOB ? OR pathname=? OR origname=?)"
        params += (glob, glob, tree, tree)
    links = vfile.allow_symlinks(ck)
    for deleted, isexe, _islink, rid, name, orig in ck.all(sql, params):
        path = ck.full(name)
        rid = int(rid or 0)
        data: bytes | None
        exists = vfile.exists(path)
        if rid == 0:
            data = vfile.read(path, links) if exists else b""
        elif deleted:
            data = None
        else:
            disk = vfile.read(path, links) if exists else b""
            data = delta.create(content.get(ck.repo, rid) or b"", disk)
        is_link = vfile.file_info(path, links)[2] == vfile.PERM_LNK
        ck.execute(
            "INSERT INTO localdb.stashfile(stashid, isAdded, isRemoved, isExec, isLink, rid, hash, origname,"
            " newname, delta) VALUES(?,?,?,?,?,?,(SELECT uuid FROM blob WHERE rid=?),?,?,?)",
            (stashid, int(rid == 0), int(deleted or 0), int(isexe or 0), int(is_link), rid, rid, orig, name, data),
        )


def create(ck: Checkout, comment: str | None, trees: list[str]) -> int:
    """``stash_create``: a new stash of the changes at or under ``trees``
    (checkout-relative; empty for the whole tree); returns its id."""
    with ck.repo.write():
        stashid = ck.vget_int("stash-next", 1)
        ck.vset("stash-next", stashid + 1)
        vid = ck.vid
        vfile.check_signature(ck, vid)
        ck.execute(
            "INSERT INTO localdb.stash(stashid,vid,hash,comment,ctime)"
            " VALUES(?,?,(SELECT uuid FROM blob WHERE rid=?),?,julianday('now'))",
            (stashid, vid, vid, comment),
        )
        for tree in trees or ["."]:
            _add_file_or_dir(ck, stashid, vid, tree)
    return stashid


def get_id(ck: Checkout, arg: str | None) -> int:
    """``stash_get_id``: the newest stash, or the one numbered ``arg`` (C ``atoi``)."""
    if arg is None:
        stashid = int(ck.one("SELECT max(stashid) FROM localdb.stash") or 0)
        if stashid == 0:
            raise UserError("empty stash")
        return stashid
    stashid = atoi(arg)
    if ck.one("SELECT 1 FROM localdb.stash WHERE stashid=?", (stashid,)) is None:
        raise UserError(f"no such stash: {arg}")
    return stashid


def atoi(text: str) -> int:
    """C's ``atoi``."""
    text = text.lstrip()
    sign = -1 if text[:1] == "-" else 1
    if text[:1] in ("+", "-"):
        text = text[1:]
    n = 0
    for ch in text:
        if not "0" <= ch <= "9":
            break
        n = n * 10 + ord(ch) - 48
    return sign * n


def newname(full: str, suffix: str) -> str:
    """``file_newname``: FULL-SUFFIX, or FULL-SUFFIX-N for the first N free."""
    name = f"{full}-{suffix}"
    n = 0
    while os.path.lexists(vfile.fs(name)):
        name = f"{full}-{suffix}-{n}"
        n += 1
    return name


def _write_new(ck: Checkout, name: str, data: bytes, exe: bool) -> None:
    vfile.write_file(ck, name, data, vfile.PERM_EXE if exe else vfile.PERM_REG)


def apply(ck: Checkout, stashid: int, out: Out, conflicts: int = 0) -> int:
    """``stash_apply``: put stash ``stashid`` onto the tree (undo saved per file,
    when undo is active); returns the number of conflicts."""
    from fossilpy.artifact import delta as fdelta
    from fossilpy.artifact import merge3
    from fossilpy.checkout import ops, undo
    from fossilpy.repo import content

    repo = ck.repo
    vid = ck.vid
    links = vfile.allow_symlinks(ck)
    added: list[str] = []
    with repo.write():
        for rid, removed, is_exec, is_link, orig, new, data in ck.all(_FILES_SQL, (stashid, stashid)):
            opath = ck.full(orig)
            undo.save(ck, new)
            data = bytes(data or b"")
            if rid == 0:
                if new not in added:
                    added.append(new)
                if vfile.unsafe_path(ck, new) is None:
                    # Fossil writes the content through a symlink left on disk; fossilpy
                    # replaces the link (a stashed symlink comes back as a symlink)
                    perm = vfile.PERM_LNK if is_link else vfile.PERM_EXE if is_exec else vfile.PERM_REG
                    vfile.write_file(ck, new, data, perm)
            elif removed:
                out(_DELETE_LINE + orig)
                if vfile.unsafe_path(ck, orig) is None and os.path.lexists(vfile.fs(opath)):
                    os.unlink(vfile.fs(opath))
            elif vfile.unsafe_path(ck, new) is not None:
                pass
            else:
                new_link = vfile.file_info(opath, links)[2] == vfile.PERM_LNK
                disk = vfile.read(opath, links) if vfile.exists(opath) else b""
                base = content.get(repo, rid) or b""
                b = fdelta.apply(base, data)
                if bool(is_link) == new_link and disk == base:
                    perm = vfile.PERM_LNK if is_link else vfile.PERM_EXE if is_exec else vfile.PERM_REG
                    vfile.write_file(ck, new, b, perm)
                    out(_UPDATE_LINE + new)
                else:
                    if is_link or new_link:
                        rc = -1
                        out(f"***** Cannot merge symlink {new}")
                    else:
                        merged, rc = merge3.merge(base, disk, b)
                        if rc and vfile.unsafe_path(ck, orig) is None:
                            for suffix, keep in (("baseline", base), ("original", disk), ("merge", b)):
                                with open(vfile.fs(newname(opath, suffix)), "wb") as fh:
                                    fh.write(keep)
                        _write_new(ck, new, merged, bool(is_exec))
                    if rc:
                        out(f"CONFLICT {new}")
                        conflicts += 1
                    else:
                        out(f"MERGE {new}")
            if orig != new:
                undo.save(ck, orig)
                if vfile.unsafe_path(ck, orig) is None and os.path.lexists(vfile.fs(opath)):
                    os.unlink(vfile.fs(opath))
                ck.execute(
                    "UPDATE localdb.vfile SET pathname=?, origname=? WHERE pathname=? AND vid=?", (new, orig, orig, vid)
                )
        ops._add_names(ck, added, vid, out)
    if conflicts:
        out(f"WARNING: {conflicts} merge conflicts - see messages above for details.")
    return conflicts


def drop(ck: Checkout, stashid: int) -> None:
    """``stash_drop``."""
    with ck.repo.write():
        ck.execute("DELETE FROM localdb.stash WHERE stashid=?", (stashid,))
        ck.execute("DELETE FROM localdb.stashfile WHERE stashid=?", (stashid,))


def save_for_undo(ck: Checkout, stashid: int) -> None:
    """``undo_save_stash``: keep the rows of ``stashid`` in undo_stash/undo_stashfile."""
    with ck.repo.write():
        ck.execute("CREATE TABLE IF NOT EXISTS localdb.undo_stash AS SELECT * FROM localdb.stash WHERE 0")
        ck.execute("INSERT INTO localdb.undo_stash SELECT * FROM localdb.stash WHERE stashid=?", (stashid,))
        ck.execute("CREATE TABLE IF NOT EXISTS localdb.undo_stashfile AS SELECT * FROM localdb.stashfile WHERE 0")
        ck.execute("INSERT INTO localdb.undo_stashfile SELECT * FROM localdb.stashfile WHERE stashid=?", (stashid,))


def listing(ck: Checkout) -> list[tuple[int, str, str | None, str, list[tuple[int, int, str, str]]]]:
    """(id, hash, comment, date, [(isAdded, isRemoved, origname, newname)]) of each stash, oldest first."""
    out = []
    for stashid, uuid, comment, when in ck.all(
        "SELECT stashid, hash, comment, datetime(ctime) FROM localdb.stash ORDER BY ctime"
    ):
        files = ck.all(
            "SELECT isAdded, isRemoved, origname, newname FROM localdb.stashfile WHERE stashid=?", (stashid,)
        )
        entries = [(int(f[0] or 0), int(f[1] or 0), str(f[2]), str(f[3])) for f in files]
        out.append((int(stashid), str(uuid or ""), comment, str(when or ""), entries))
    return out


def diff(ck: Checkout, stashid: int, baseline: bool, opts: DiffOptions, write: Callable[[bytes], None]) -> None:
    """``stash_diff``: the stash against its baseline (``show``) or against the tree (``diff``)."""
    from fossilpy.artifact import delta as fdelta
    from fossilpy.artifact import textdiff
    from fossilpy.checkout import diffcmd
    from fossilpy.repo import content

    def b(s: str) -> bytes:
        return s.encode("utf-8", "surrogateescape")

    links = vfile.allow_symlinks(ck)
    for rid, removed, _exe, is_link, orig, new, data in ck.all(_FILES_SQL, (stashid, stashid)):
        data = bytes(data or b"")
        if rid == 0:
            write(b"ADDED " + b(new) + b"\n")
            diffcmd.print_index(new, opts, write)
            diffcmd.diff_file_mem(b"", data, new, opts, write)
        elif removed:
            write(_DELETE_LINE.encode() + b(orig) + b"\n")
            diffcmd.print_index(new, opts, write)
            if baseline:
                diffcmd.diff_file_mem(content.get(ck.repo, rid) or b"", b"", orig, opts, write)
        else:
            write(b"CHANGED " + b(new) + b"\n")
            opath = ck.full(orig)
            if (vfile.file_info(opath, links)[2] == vfile.PERM_LNK) != bool(is_link):
                diffcmd.print_index(new, opts, write)
                diffcmd.print_filenames(orig, new, opts, write)
                write(diffcmd.CANNOT_COMPUTE_SYMLINK)
                continue
            base = content.get(ck.repo, rid) or b""
            after = fdelta.apply(base, data)
            if baseline:
                diffcmd.diff_file_mem(base, after, new, opts, write)
            else:
                opts.flags ^= textdiff.DIFF_INVERT
                try:
                    diffcmd.diff_file(after, opath, new, opts, write, links)
                finally:
                    opts.flags ^= textdiff.DIFF_INVERT
