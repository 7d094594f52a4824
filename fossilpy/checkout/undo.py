"""Undo state saved by the commands that change files (``src/undo.c``).

Fossil keeps one level of undo in the checkout database: the ``undo`` table
(each changed file's prior content), copies of ``vfile`` and ``vmerge``
(``undo_vfile``, ``undo_vmerge``) and the vvar entries ``undo_available``,
``undo_checkout`` and ``undo_cmdline``.  fossilpy writes the same tables so
that ``fossil undo`` works after a fossilpy ``revert``; the ``undo``
command itself is for a later change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.checkout import vfile

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
            ck.repo.execute(sql)
        ck.vset("undo_available", 0)
        ck.vset("undo_checkout", 0)


def begin(ck: Checkout, cmdline: str) -> None:
    """``undo_begin``: start saving undo state for command ``cmdline``."""
    from fossilpy.checkout.db import UNDO_SCHEMA

    with ck.repo.write():
        reset(ck)
        for sql in UNDO_SCHEMA:
            ck.repo.execute(sql)
        ck.vset("undo_checkout", ck.vid)
        ck.vset("undo_available", 1)
        ck.vset("undo_cmdline", cmdline)


def save(ck: Checkout, name: str) -> None:
    """``undo_save``: keep the current content of ``name`` (or that it did not exist)."""
    path = ck.full(name)
    links = vfile.allow_symlinks(ck)
    size, _, perm = vfile.file_info(path, links)
    import os

    is_link = os.path.islink(vfile.fs(path))
    data = vfile.read(path, links) if size >= 0 else None
    ck.repo.execute(
        "INSERT OR IGNORE INTO localdb.undo(pathname,redoflag,existsflag,isExe,isLink,content) VALUES(?,0,?,?,?,?)",
        (name, int(size >= 0), int(perm == vfile.PERM_EXE), int(is_link), data),
    )
