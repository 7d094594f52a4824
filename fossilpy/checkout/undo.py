"""Undo state saved by the commands that change files (``src/undo.c``).

Fossil keeps one level of undo in the checkout database: the ``undo`` table
(each changed file's prior content), copies of ``vfile`` and ``vmerge``
(``undo_vfile``, ``undo_vmerge``) and the vvar entries ``undo_available``,
``undo_checkout`` and ``undo_cmdline``.  fossilpy writes and reads the
same tables, so ``fossil undo`` reverses a fossilpy ``revert`` and
``fossilpy undo`` one made by fossil (:func:`run`, :func:`explain`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fossilpy.checkout import vfile
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

_DROP = (
    "DROP TABLE IF EXISTS localdb.undo",
    "DROP TABLE IF EXISTS localdb.undo_vfile",
    "DROP TABLE IF EXISTS localdb.undo_vmerge",
    "DROP TABLE IF EXISTS localdb.undo_stash",
    "DROP TABLE IF EXISTS localdb.undo_stashfile",
)


def reset(ck: Checkout) -> None:
    """``undo_reset``: forget the undo state."""
    with ck.repo.write():
        for sql in _DROP:
            ck.execute(sql)
        ck.vset("undo_available", 0)
        ck.vset("undo_checkout", 0)


def begin(ck: Checkout, cmdline: str) -> None:
    """``undo_begin``: start saving undo state for command ``cmdline``."""
    from fossilpy.checkout.db import UNDO_SCHEMA

    with ck.repo.write():
        reset(ck)
        for sql in UNDO_SCHEMA:
            ck.execute(sql)
        ck.vset("undo_checkout", ck.vid)
        ck.vset("undo_available", 1)
        ck.vset("undo_cmdline", cmdline)


def save(ck: Checkout, name: str) -> None:
    """``undo_save``: keep the current content of ``name`` (or that it did not exist)."""
    import stat

    path = ck.full(name)
    links = vfile.allow_symlinks(ck)
    lst = vfile.lstat_or_none(path, follow=False)
    is_link = lst is not None and stat.S_ISLNK(lst.st_mode)
    # file_info(path, links) from the one lstat unless a link is to be followed
    size, _, perm = vfile.stat_info(lst if links or not is_link else vfile.lstat_or_none(path, follow=True))
    if size >= 0 and not is_link and lst is not None and stat.S_ISDIR(lst.st_mode):
        data: bytes | None = b""  # Fossil reads a folder in the way as empty
    else:
        data = vfile.read(path, links) if size >= 0 else None
    ck.execute(
        "INSERT OR IGNORE INTO localdb.undo(pathname,redoflag,existsflag,isExe,isLink,content) VALUES(?,0,?,?,?,?)",
        (name, int(size >= 0), int(perm == vfile.PERM_EXE), int(is_link), data),
    )


def _undo_one(ck: Checkout, name: str, redo: bool, out: Callable[[str], None]) -> None:
    """``undo_one``: swap the saved state of ``name`` with what is on disk now."""
    import os

    row = ck.row(
        "SELECT content, existsflag, isExe, isLink FROM localdb.undo WHERE pathname=? AND redoflag=?",
        (name, int(redo)),
    )
    if row is None:
        return
    saved, old_exists, old_exe, old_link = row
    path = ck.full(name)
    links = vfile.allow_symlinks(ck)
    size, _, perm = vfile.file_info(path, links)
    new_exists = size >= 0
    new_link = os.path.islink(vfile.fs(path))
    if new_exists and os.path.isdir(vfile.fs(path)) and not new_link:
        current: bytes | None = b""  # a folder in the way reads as empty, as in Fossil
    else:
        current = vfile.read(path, links) if new_exists else None
    new_exe = new_exists and perm == vfile.PERM_EXE
    why = vfile.unsafe_path(ck, name)
    if why is not None:
        out("!" + why)
    elif old_exists:
        out(f"{'REDO' if redo else 'UNDO'}   {name}" if new_exists else f"NEW    {name}")
        p = vfile.PERM_LNK if old_link else vfile.PERM_EXE if old_exe else vfile.PERM_REG
        vfile.write_file(ck, name, bytes(saved or b""), p)
    else:
        out(_DELETE_LINE + name)
        if os.path.lexists(vfile.fs(path)):
            os.unlink(vfile.fs(path))
    ck.execute(
        "UPDATE localdb.undo SET content=?, existsflag=?, isExe=?, isLink=?, redoflag=NOT redoflag WHERE pathname=?",
        (current, int(new_exists), int(new_exe), int(new_link), name),
    )


#: undo's line for a file it removes (a name, not SQL)
_DELETE_LINE = "DELETE "

_SWAP = (
    "CREATE TEMP TABLE undo_vfile_2 AS SELECT * FROM localdb.vfile",
    "DELETE FROM localdb.vfile",
    "INSERT INTO localdb.vfile SELECT * FROM localdb.undo_vfile",
    "DELETE FROM localdb.undo_vfile",
    "INSERT INTO localdb.undo_vfile SELECT * FROM undo_vfile_2",
    "DROP TABLE undo_vfile_2",
    "CREATE TEMP TABLE undo_vmerge_2 AS SELECT * FROM localdb.vmerge",
    "DELETE FROM localdb.vmerge",
    "INSERT INTO localdb.vmerge SELECT * FROM localdb.undo_vmerge",
    "DELETE FROM localdb.undo_vmerge",
    "INSERT INTO localdb.undo_vmerge SELECT * FROM undo_vmerge_2",
    "DROP TABLE undo_vmerge_2",
)


def run(ck: Checkout, redo: bool, names: list[str], out: Callable[[str], None]) -> None:
    """``fossil undo`` / ``fossil redo``: all saved files and vfile/vmerge, or only ``names``."""
    repo = ck.repo
    what = "redo" if redo else "undo"
    with repo.write():
        available = ck.vget_int("undo_available", 0)
        if not names:
            if available != 1 + int(redo):
                raise UserError(f"nothing to {what}")
            for (name,) in ck.all("SELECT pathname FROM localdb.undo WHERE redoflag=? ORDER BY rowid", (int(redo),)):
                _undo_one(ck, name, redo, out)
            for sql in _SWAP:
                ck.execute(sql)
            if ck.one("SELECT 1 FROM localdb.sqlite_schema WHERE name='undo_stash'") is not None:
                if redo:
                    ck.execute("DELETE FROM localdb.stash WHERE stashid IN (SELECT stashid FROM localdb.undo_stash)")
                    ck.execute("DELETE FROM localdb.stashfile WHERE stashid NOT IN (SELECT stashid FROM localdb.stash)")
                else:
                    ck.execute("INSERT OR IGNORE INTO localdb.stash SELECT * FROM localdb.undo_stash")
                    ck.execute("INSERT OR IGNORE INTO localdb.stashfile SELECT * FROM localdb.undo_stashfile")
            target = ck.vget_int("undo_checkout", 0)
            ck.vset("undo_checkout", ck.vid)
            ck.set_checkout(target)
            ck.vset("undo_available", 2 - int(redo))
        else:
            if not available:
                raise UserError(f"nothing to {what}")
            for name in names:
                _undo_one(ck, name, redo, out)


def explain(ck: Checkout, out: Callable[[str], None], program: str = "fossilpy") -> None:
    """``fossil undo --dry-run``: what an undo or redo would do."""
    available = ck.vget_int("undo_available", 0)
    if not available:
        out("No undo or redo is available")
        return
    what = "undo" if available == 1 else "redo"
    out(f"{'An' if available == 1 else 'A'} {what} is available for the following command:")
    out("")
    out(f"   {program} {ck.vget('undo_cmdline', '???')}")
    out("")
    rows = ck.all("SELECT existsflag, pathname FROM localdb.undo ORDER BY pathname")
    if rows:
        out(f"The following file changes would occur if the command above is {what}ne:")
        out("")
    for exists_flag, name in rows:
        out(f"{'UPDATE' if exists_flag else 'DELETE'} {name}")
    if not rows:
        out("No file changes would occur with this undo/redo.")


def rollback_files(ck: Checkout, out: Callable[[str], None]) -> None:
    """``undo_rollback``: a command failed half-way; put back the files it saved so far
    (the caller's transaction then forgets the rest)."""
    if ck.one("SELECT 1 FROM localdb.sqlite_schema WHERE name='undo'") is None:
        return
    rows = ck.all("SELECT pathname FROM localdb.undo WHERE redoflag=0 ORDER BY rowid")
    if not rows:
        return
    out("Rolling back prior filesystem changes...")
    for (name,) in rows:
        try:
            _undo_one(ck, str(name), False, out)
        except (OSError, UserError):
            pass  # a file that cannot be put back (a folder in the way) stays as it is, as in Fossil
