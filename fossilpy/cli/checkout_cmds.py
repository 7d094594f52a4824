"""Checkout commands: close, status, changes, extras, ls, add, rm,
mv, addremove, revert and commit, with Fossil 2.21's names, options and
output (``src/checkout.c``, ``checkin.c``, ``add.c``, ``update.c``).

The checkout is found by looking upwards from the current directory for
``.fslckout`` or ``_FOSSIL_`` (``db_open_local``).  A checkout opened here
is usable by the real ``fossil`` and the reverse.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fossilpy.cli.common import command
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

F = TypeVar("F", bound=Callable[..., Any])


def _out(line: str) -> None:
    """One line of output; a line starting with "!" is a warning on stderr."""
    if line.startswith("!"):
        sys.stderr.buffer.write(line[1:].encode("utf-8", "surrogateescape") + b"\n")
        sys.stderr.flush()
    else:
        sys.stdout.buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")
        sys.stdout.flush()


def _open_here() -> Checkout:
    from fossilpy.checkout.db import Checkout

    return Checkout.find(os.getcwd())


def config_db() -> str:
    """The per-user configuration database Fossil uses (``db_configdb_name``, unix)."""
    home = os.environ.get("FOSSIL_HOME")
    if home:
        return home + "/.fossil"
    home = os.environ.get("HOME", "")
    name = home + "/.fossil"
    try:
        if os.path.getsize(name) > 3 * 1024:
            return name
    except OSError:
        pass
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return xdg + "/fossil.db"
    if os.path.isdir(home + "/.config"):
        return home + "/.config/fossil.db"
    return name


def _record(ck: Checkout) -> None:
    """``db_record_repository_filename``: the repository and checkout in the
    per-user configuration and ``ckout:ROOT`` in the repository."""
    import sqlite3

    repo_full = os.path.normpath(os.path.abspath(ck.repo.path))
    try:
        db = sqlite3.connect(config_db(), isolation_level=None)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS global_config(\n  name TEXT PRIMARY KEY,\n  value TEXT\n)")
            db.execute("PRAGMA application_id=252006675")
            db.execute("INSERT OR IGNORE INTO global_config(name,value) VALUES(?,1)", ("repo:" + repo_full,))
            db.execute("REPLACE INTO global_config(name,value) VALUES(?,?)", ("ckout:" + ck.root, repo_full))
        finally:
            db.close()
    except sqlite3.Error:
        pass  # the per-user configuration is a convenience: an unwritable one does not stop the command
    with ck.repo.write():
        ck.execute(
            "REPLACE INTO config(name,value,mtime) VALUES(?,1,CAST(strftime('%s','now') AS INTEGER))",
            ("ckout:" + ck.root,),
        )


def _forget_in_config(root: str) -> None:
    """Remove ``ckout:ROOT`` from the per-user configuration (``close``)."""
    import sqlite3

    if not os.path.exists(config_db()):
        return
    try:
        db = sqlite3.connect(config_db(), isolation_level=None)
        try:
            db.execute("DELETE FROM global_config WHERE name=?", ("ckout:" + root,))
        finally:
            db.close()
    except sqlite3.Error:
        pass  # the per-user configuration is a convenience: an unwritable one does not stop the command


def _repo_file(ck: Checkout) -> str:
    return os.path.normpath(os.path.abspath(ck.repo.path))


def _common_info(ck: Checkout, rid: int, label: str, family: bool = True) -> None:
    """``show_common_info(rid, label, 1, family)``."""
    repo = ck.repo

    def date(r: int) -> str:
        return str(repo.one("SELECT datetime(mtime) || ' UTC' FROM event WHERE objid=?", (r,)) or "")

    uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
    if uuid is None:
        return
    _out(f"{label:<13} {str(uuid)[:40]} {date(rid)}")
    comment = repo.one(
        "SELECT coalesce(ecomment,comment) || ' (user: ' || coalesce(euser,user,'?') || ')' FROM event WHERE objid=?",
        (rid,),
    )
    for prim, merge, sql in (
        ()
        if not family
        else (
            (
                "parent:",
                "merged-from:",
                "SELECT uuid, pid, isprim FROM plink JOIN blob ON pid=rid WHERE cid=? ORDER BY isprim DESC, mtime DESC",
            ),
            (
                "child:",
                "merged-into:",
                "SELECT uuid, cid, isprim FROM plink JOIN blob ON cid=rid WHERE pid=? ORDER BY isprim DESC, mtime DESC",
            ),
        )
    ):
        for other, orid, isprim in repo.all(sql, (rid,)):
            _out(f"{prim if isprim else merge:<13} {str(other)[:40]} {date(orid)}")
    tags = repo.one(  # info_tags_of_checkin: in the order SQLite finds them, as Fossil
        "SELECT group_concat(substr(tagname, 5), ', ') FROM tagxref, tag"
        " WHERE tagxref.rid=? AND tagxref.tagtype>0 AND tag.tagid=tagxref.tagid AND tag.tagname GLOB 'sym-*'",
        (rid,),
    )
    if tags:
        _out(f"tags:         {tags}")
    if comment:
        _out(f"comment:      {comment}")


# -- close (open is in open_cmds.py) -----------------------------------------------


def unsaved_changes(ck: Checkout) -> bool:
    """``unsaved_changes``: anything a commit would record."""
    from fossilpy.checkout import vfile

    vfile.check_signature(ck, ck.vid)
    return (
        ck.one("SELECT 1 FROM localdb.vfile WHERE chnged OR deleted OR rid=0 OR pathname!=origname") is not None
        or ck.one("SELECT 1 FROM localdb.vmerge") is not None
    )


@command("close")
@click.option("-f", "--force", is_flag=True, help="Close even with unsaved changes or a stash.")
def close_cmd(force: bool) -> None:
    """Close the current check-out: delete its database, keep the files."""
    with _open_here() as ck:
        if not force and unsaved_changes(ck):
            raise UserError("there are unsaved changes in the current check-out")
        has_stash = ck.one("SELECT 1 FROM localdb.sqlite_schema WHERE name='stash'") is not None
        if not force and has_stash and ck.one("SELECT 1 FROM localdb.stash") is not None:
            raise UserError("closing the check-out will delete your stash")
        with ck.repo.write():
            ck.execute("DELETE FROM config WHERE name=?", ("ckout:" + ck.root,))
        _forget_in_config(ck.root)
        dbfile = ck.dbfile
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(dbfile + suffix):
            os.unlink(dbfile + suffix)


# -- status, changes, extras, ls -------------------------------------------------

C_EDITED, C_UPDATED, C_CHANGED, C_MISSING, C_ADDED, C_DELETED = 1, 2, 4, 8, 16, 32
C_RENAMED, C_CONFLICT, C_META, C_UNCHANGED, C_EXTRA, C_MERGE = 64, 128, 256, 512, 1024, 2048
C_RELPATH, C_CLASSIFY = 4096, 8192
C_FILTER = 4095
C_ALL = C_FILTER & ~(C_EXTRA | C_MERGE)
C_DIFFER = C_FILTER & ~(C_UNCHANGED | C_MERGE)
C_DEFAULT = (C_ALL & ~C_UNCHANGED) | C_MERGE | C_CLASSIFY

_FILTERS = (
    ("edited", C_EDITED),
    ("updated", C_UPDATED),
    ("changed", C_CHANGED),
    ("missing", C_MISSING),
    ("added", C_ADDED),
    ("deleted", C_DELETED),
    ("renamed", C_RENAMED),
    ("conflict", C_CONFLICT),
    ("meta", C_META),
    ("unchanged", C_UNCHANGED),
    ("all", C_ALL),
    ("extra", C_EXTRA),
    ("differ", C_DIFFER),
    ("merge", C_MERGE),
)


def _display(ck: Checkout, name: str, flags: int) -> str:
    if not flags & C_RELPATH:
        return name
    rel = os.path.relpath(ck.full(name), os.getcwd())
    return rel[2:] if rel.startswith("./") else rel


def _unmanaged(ck: Checkout, args: tuple[str, ...], dotfiles: bool, ignore: str | None) -> list[str]:
    """``locate_unmanaged_files``."""
    from fossilpy.checkout import ops, vfile
    from fossilpy.repo.archive import parse_globs

    globs = parse_globs(ignore if ignore is not None else ck.setting("ignore-glob"))
    dotfiles = dotfiles or ck.setting_bool("dotfiles")
    if not args:
        return vfile.scan(ck, dotfiles=dotfiles, ignore=globs, managed=False)
    out: list[str] = []
    for arg in args:
        full = ops.canonical(os.getcwd(), arg)
        t = ops.tree_name(ck, os.getcwd(), arg)
        if os.path.isdir(vfile.fs(full)):
            out += vfile.scan(ck, "" if t == "." else t, dotfiles=dotfiles, ignore=globs, managed=False)
        elif not os.path.lexists(vfile.fs(full)):
            _out(f"!not found: {t}")
        elif ck.one("SELECT 1 FROM localdb.vfile WHERE pathname=?", (t,)) is None:
            out.append(t)
    return out


_META = {6: "EXECUTABLE", 7: "SYMLINK", 8: "UNEXEC", 9: "UNLINK"}


def _classify(
    flags: int,
    deleted: bool,
    missing: bool,
    present: bool,
    is_new: bool,
    chnged: int,
    renamed: bool,
    managed: bool,
    conflict: Callable[[], bool] = lambda: False,
) -> str | None:
    """The change type ``status_report`` shows for a file, or None."""
    if deleted:
        return "DELETED" if flags & C_DELETED else None
    if missing:
        return ("NOT_A_FILE" if present else "MISSING") if flags & C_MISSING else None
    if is_new:
        return "ADDED" if flags & C_ADDED else None
    if flags & (C_UPDATED | C_CHANGED) and chnged == 2:
        return "UPDATED_BY_MERGE"
    if flags & C_ADDED and chnged == 3:
        return "ADDED_BY_MERGE"
    if flags & (C_UPDATED | C_CHANGED) and chnged == 4:
        return "UPDATED_BY_INTEGRATE"
    if flags & C_ADDED and chnged == 5:
        return "ADDED_BY_INTEGRATE"
    if flags & C_META and chnged in _META:
        return _META[chnged]
    if flags & C_CONFLICT and chnged and conflict():
        return "CONFLICT"
    if flags & (C_EDITED | C_CHANGED) and chnged and (chnged < 2 or chnged > 9):
        return "EDITED"
    if flags & C_RENAMED and renamed:
        return "RENAMED"
    if flags & C_UNCHANGED and managed and not is_new and not chnged and not renamed:
        return "UNCHANGED"
    if flags & C_EXTRA and not managed:
        return "EXTRA"
    return None


def _has_conflict(full: str) -> bool:
    """``file_contains_merge_marker`` for a file that is not a symlink."""
    from fossilpy.artifact.merge3 import contains_merge_marker
    from fossilpy.checkout import vfile

    if os.path.islink(vfile.fs(full)):
        return False
    try:
        return contains_merge_marker(vfile.read(full, False))
    except OSError:
        return False


def status_report(ck: Checkout, flags: int, args: tuple[str, ...], extras: list[str]) -> list[str]:
    """``status_report``: one line per file of the selected kinds, then merge contributors."""
    from fossilpy.checkout import ops, vfile

    links = vfile.allow_symlinks(ck)
    wanted = [ops.tree_name(ck, os.getcwd(), a) for a in args]
    if "." in wanted:
        wanted = []

    def picked(name: str) -> bool:
        return not wanted or any(name == w or name.startswith(w + "/") for w in wanted)

    rows: list[tuple[str, int, int, int, int, bool, str | None]] = []
    if flags & C_ALL:
        for name, deleted, chnged, rid, orig in ck.all(
            "SELECT pathname, deleted, chnged, rid, origname FROM localdb.vfile"
            " WHERE ? OR chnged OR deleted OR coalesce(rid,0)=0 OR (origname IS NOT NULL AND origname<>pathname)",
            (1 if flags & C_UNCHANGED else 0,),  # unchanged rows only when asked for
        ):
            renamed = orig is not None and orig != name
            if picked(name):
                rows.append((name, int(deleted), int(chnged or 0), int(rid or 0), int(renamed), True, orig))
    if flags & C_EXTRA:
        reserved = vfile.reserved_names(ck)
        rows += [(n, 0, 0, 0, 0, False, None) for n in extras if picked(n) and n not in reserved]
    rows.sort(key=lambda r: vfile.fs(r[0]))
    lines: list[str] = []
    for name, deleted, chnged, rid, renamed, managed, orig in rows:
        full = ck.full(name)
        missing = not vfile.is_file_or_link(full, links)
        is_new = managed and not rid
        cls = _classify(
            flags,
            bool(deleted),
            missing,
            vfile.exists(full),
            is_new,
            chnged,
            bool(renamed),
            managed,
            lambda full=full: _has_conflict(full),  # type: ignore[misc]
        )
        if cls is None:
            continue
        text = _display(ck, name, flags)
        if cls == "RENAMED" and flags & (C_FILTER ^ C_RENAMED) and orig and flags & C_RELPATH:
            text = f"{orig}  ->  {text}"
        lines.append((f"{cls:<10} " if flags & C_CLASSIFY else "") + text)
    if flags & C_MERGE:
        names = {-1: "CHERRYPICK", -2: "BACKOUT", -4: "INTEGRATE"}
        for mhash, mid in ck.all("SELECT mhash, id FROM localdb.vmerge WHERE id<=0"):
            lines.append((f"{names.get(int(mid), 'MERGED_WITH'):<10} " if flags & C_CLASSIFY else "") + str(mhash))
    return lines


def _status_flags(opts: dict[str, bool], is_status: bool, classify: bool, no_classify: bool, no_merge: bool) -> int:
    flags = 0
    for name, bit in _FILTERS:
        if opts.get(name):
            flags |= bit
    if not flags & C_FILTER:
        flags |= C_DEFAULT
    if is_status or flags & (flags - 1) & C_FILTER or classify:
        flags |= C_CLASSIFY
    if no_merge:
        flags &= ~C_MERGE
    if no_classify and not is_status:
        flags &= ~C_CLASSIFY
    return flags


def _filter_options(f: F) -> F:
    for name, _ in reversed(_FILTERS):
        f = click.option(f"--{name}", name, is_flag=True, help=f"Show {name} files.")(f)
    return f


def _run_status(is_status: bool, kw: dict[str, object], paths: tuple[str, ...]) -> None:
    from fossilpy.checkout import vfile

    rel = kw.pop("rel_paths")
    absp = kw.pop("abs_paths")
    flags = _status_flags(
        {k: bool(v) for k, v in kw.items()},
        is_status,
        bool(kw.get("classify")),
        bool(kw.get("no_classify")),
        bool(kw.get("no_merge")),
    )
    with _open_here() as ck:
        relative = ck.setting_bool("relative-paths") if ck.setting("relative-paths") is not None else True
        if absp:
            relative = False
        if rel:
            relative = True
        if relative:
            flags |= C_RELPATH
        vfile.check_signature(ck, ck.vid, use_hash=bool(kw.get("hash")))
        extras = _unmanaged(ck, paths, bool(kw.get("dotfiles")), kw.get("ignore")) if flags & C_EXTRA else []  # type: ignore[arg-type]
        if is_status:
            _out(f"repository:   {_repo_file(ck)}")
            _out(f"local-root:   {ck.root}")
            _out(f"config-db:    {config_db()}")
            if ck.vid:
                _common_info(ck, ck.vid, "checkout:")
        lines = status_report(ck, flags, paths, extras)
        if lines and kw.get("header"):
            _out(f"Changes for {ck.repo.config_get('project-name', '<unnamed>')} at {ck.root}:")
        for line in lines:
            _out(line)
        if not lines and kw.get("verbose"):
            _out("  (none)")
        if is_status:
            from fossilpy.checkout.ancestry import leaf_ambiguity_warning

            for line in leaf_ambiguity_warning(ck, ck.vid, ck.vid):
                _out("!" + line)


def _common_status_options(f: F) -> F:
    f = click.option("--abs-paths", "abs_paths", is_flag=True, help="Display absolute path names.")(f)
    f = click.option("--rel-paths", "rel_paths", is_flag=True, help="Display paths relative to the current directory.")(
        f
    )
    f = click.option("--hash", "hash", is_flag=True, help="Verify file status by hashing, not by mtime.")(f)
    f = click.option("--dotfiles", is_flag=True, help="Include unmanaged files whose names begin with '.'.")(f)
    f = click.option("--ignore", metavar="CSG", default=None, help="Ignore unmanaged files matching these globs.")(f)
    f = click.option("--no-merge", "no_merge", is_flag=True, help="Do not show merge contributors.")(f)
    return _filter_options(f)


@command("changes")
@_common_status_options
@click.option("--header", is_flag=True, help="Identify the repository if the report is not empty.")
@click.option("-v", "--verbose", is_flag=True, help='Say "(none)" if there are no changes.')
@click.option("--classify", is_flag=True, help="Start each line with the change type.")
@click.option("--no-classify", "no_classify", is_flag=True, help="Do not print change types.")
@click.argument("paths", nargs=-1)
def changes_cmd(paths: tuple[str, ...], **kw: object) -> None:
    """Report the change status of files in the current check-out."""
    _run_status(False, kw, paths)


@command("status")
@_common_status_options
@click.argument("paths", nargs=-1)
def status_cmd(paths: tuple[str, ...], **kw: object) -> None:
    """Show the check-out, then the changed files (as changes)."""
    _run_status(True, kw, paths)


@command("extras")
@click.option("--abs-paths", "abs_paths", is_flag=True, help="Display absolute path names.")
@click.option("--rel-paths", "rel_paths", is_flag=True, help="Display paths relative to the current directory.")
@click.option("--dotfiles", is_flag=True, help="Include files whose names begin with '.'.")
@click.option("--ignore", metavar="CSG", default=None, help="Ignore files matching these globs.")
@click.option("--header", is_flag=True, help="Identify the repository if the report is not empty.")
@click.argument("paths", nargs=-1)
def extras_cmd(
    paths: tuple[str, ...], abs_paths: bool, rel_paths: bool, dotfiles: bool, ignore: str | None, header: bool
) -> None:
    """Show the files in the check-out that are not under version control."""
    with _open_here() as ck:
        flags = C_EXTRA
        relative = ck.setting_bool("relative-paths") if ck.setting("relative-paths") is not None else True
        if (relative and not abs_paths) or rel_paths:
            flags |= C_RELPATH
        lines = status_report(ck, flags, paths, _unmanaged(ck, paths, dotfiles, ignore))
        if lines and header:
            _out(f"Extras for {ck.repo.config_get('project-name', '<unnamed>')} at {ck.root}:")
        for line in lines:
            _out(line)


@command("ls")
@click.option("-v", "--verbose", is_flag=True, help="Show each file's status.")
@click.option("--hash", "hash", is_flag=True, help="With -v, verify file status by hashing.")
@click.argument("paths", nargs=-1)
def ls_cmd(paths: tuple[str, ...], verbose: bool, hash: bool) -> None:
    """List the files of the current check-out."""
    from fossilpy.checkout import ops, vfile

    with _open_here() as ck:
        wanted = [ops.tree_name(ck, os.getcwd(), a) for a in paths]
        if "." in wanted:
            wanted = []
        vfile.check_signature(ck, ck.vid, use_hash=hash and verbose)
        links = vfile.allow_symlinks(ck)
        for name, deleted, rid, chnged, renamed in ck.all(
            "SELECT pathname, deleted, rid, chnged, coalesce(origname!=pathname,0) FROM localdb.vfile ORDER BY pathname"
        ):
            if wanted and not any(name == w or name.startswith(w + "/") for w in wanted):
                continue
            kind = ""
            if verbose:
                full = ck.full(name)
                if not rid:
                    kind = "ADDED      "
                elif deleted:
                    kind = "DELETED    "
                elif not vfile.is_file_or_link(full, links):
                    kind = "NOT_A_FILE " if vfile.exists(full) else "MISSING    "
                elif chnged:
                    kind = {
                        2: "UPDATED_BY_MERGE ",
                        3: "ADDED_BY_MERGE ",
                        4: "UPDATED_BY_INTEGRATE ",
                        5: "ADDED_BY_INTEGRATE ",
                    }.get(int(chnged), "CONFLICT   " if _has_conflict(full) else "EDITED     ")
                elif renamed:
                    kind = "RENAMED    "
                else:
                    kind = "UNCHANGED  "
            _out(kind + name)
