"""Commands that change what the next check-in holds: add, rm, mv,
addremove and revert (``src/add.c``, ``update.c`` ``revert_cmd``).

Each function takes the open :class:`~fossilpy.checkout.db.Checkout`, the
names as the user typed them (relative to ``cwd``) and ``out``, which
receives Fossil's output lines (without the newline).  Each works in one
transaction of the repository connection (the checkout database is
attached to it); files on disk are changed only after the names were
checked to lie inside the tree.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from fossilpy.checkout import vfile
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

Out = Callable[[str], None]


def canonical(cwd: str, name: str) -> str:
    """``file_canonical_name``: absolute, with "." and ".." folded, symlinks kept."""
    full = name if os.path.isabs(name) else os.path.join(cwd, name)
    out: list[str] = []
    for part in full.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


def tree_name(ck: Checkout, cwd: str, name: str) -> str:
    """``file_tree_name``: ``name`` relative to the checkout root ("." for the root itself)."""
    full = canonical(cwd, name)
    root = ck.root
    if full == root.rstrip("/") or full + "/" == root:
        return "."
    if not full.startswith(root) or len(full) <= len(root):
        raise UserError(f"file outside of check-out tree: {name}")
    return full[len(root) :]


#: SQL: pathname is ? or inside folder ? (three parameters, the same name)
UNDER = "(pathname=? OR (pathname>?||'/' AND pathname<?||'0'))"


# -- add ---------------------------------------------------------------------


def _reserved(name: str, reserved: set[str]) -> bool:
    from fossilpy.artifact.fossilize import is_reserved_name

    if "/" in name:
        return is_reserved_name(vfile.fs(name))
    return name in reserved


def _strict_name(name: str) -> bool:
    """The strict-UTF-8 part of ``file_is_simple_pathname(name, 1)``: valid UTF-8,
    nothing beyond U+FFFF, no private-use or non-characters, no backslash."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    for ch in name:
        c = ord(ch)
        if c > 0xFFFF or 0xE000 <= c <= 0xF8FF or c >= 0xFFFE or 0xFDD0 <= c <= 0xFDEF or ch == "\\":
            return False
    return True


def _add_one(ck: Checkout, name: str, vid: int, out: Out) -> int:
    from fossilpy.artifact.fossilize import is_simple_path

    if not is_simple_path(vfile.fs(name)) or not _strict_name(name):
        out(f"!filename contains illegal characters: {name}")
        return 0
    changed = False
    skip = False
    if ck.one("SELECT 1 FROM localdb.vfile WHERE pathname=?", (name,)) is not None:
        changed = ck.execute("UPDATE localdb.vfile SET deleted=0 WHERE pathname=? AND deleted", (name,)).rowcount > 0
    elif vfile.unsafe_path(ck, name) is not None:
        skip = True
    else:
        links = vfile.allow_symlinks(ck)
        _, _, perm = vfile.file_info(ck.full(name), links)
        ck.execute(
            "INSERT INTO localdb.vfile(vid,deleted,rid,mrid,pathname,isexe,islink,mhash) VALUES(?,0,0,0,?,?,?,NULL)",
            (vid, name, int(perm == vfile.PERM_EXE), int(os.path.islink(vfile.fs(ck.full(name))))),
        )
        changed = True
    if changed and not skip:
        out(f"ADDED  {name}")
        return 1
    out(f"SKIP   {name}")
    return 0


def _repo_tree_name(ck: Checkout) -> str:
    path = os.path.abspath(ck.repo.path)
    return path[len(ck.root) :] if path.startswith(ck.root) else ""


def _add_names(ck: Checkout, names: list[str], vid: int, out: Out) -> int:
    """``add_files_in_sfile``: skip the repository, reserved names and files below a symlink."""
    repo_name = _repo_tree_name(ck)
    links = [r[0] for r in ck.all("SELECT pathname FROM localdb.vfile WHERE islink AND NOT deleted")]
    n = 0
    reserved = vfile.reserved_names(ck)
    for name in sorted(set(names), key=vfile.fs):
        if name == repo_name or _reserved(name, reserved):
            continue
        if any(name.startswith(link + "/") for link in links):
            continue
        n += _add_one(ck, name, vid, out)
    return n


def add(
    ck: Checkout,
    cwd: str,
    names: list[str],
    out: Out,
    *,
    dotfiles: bool = False,
    ignore: str | None = None,
    force: bool = False,
    ask: Callable[[str], str] | None = None,
) -> int:
    """``fossil add``: return the number of files added.  A file named
    explicitly that matches ``ignore-glob`` is added only if ``ask`` answers
    y (or a: all of them) or with ``force``."""
    from fossilpy.repo.archive import glob_match, parse_globs

    ignore_globs = parse_globs(ignore if ignore is not None else ck.setting("ignore-glob"))
    clean_globs = parse_globs(ck.setting("clean-glob"))
    dotfiles = dotfiles or ck.setting_bool("dotfiles")
    vid = ck.vid
    todo: list[str] = []
    for arg in names:
        tname = tree_name(ck, cwd, arg)
        full = canonical(cwd, arg)
        if os.path.isdir(vfile.fs(full)):
            top = "" if tname == "." else tname
            found = vfile.scan(ck, top, dotfiles=dotfiles, ignore=(clean_globs or []) + (ignore_globs or []))
            todo.extend(found)
        elif not os.path.lexists(vfile.fs(full)):
            out(f"!not found: {full}")
        else:
            if not force and glob_match(ck.repo, ignore_globs, tname):
                prompt = f'file "{tname}" matches "ignore-glob".  Add it (a=all/y/N)? '
                reply = (ask(prompt) if ask else "") or "N"
                if reply[0] in "aA":
                    force = True
                elif reply[0] not in "yY":
                    continue
            todo.append(tname)
    with ck.repo.write():
        return _add_names(ck, todo, vid, out)


# -- rm ----------------------------------------------------------------------


def rm(ck: Checkout, cwd: str, names: list[str], out: Out, *, hard: bool = False, dry_run: bool = False) -> None:
    """``fossil rm``: mark files deleted; with ``hard`` also delete them from disk."""
    repo = ck.repo
    chosen: set[str] = set()
    for arg in names:
        t = tree_name(ck, cwd, arg)
        rows = ck.all("SELECT pathname FROM localdb.vfile WHERE " + UNDER + " AND NOT deleted", (t, t, t))
        chosen.update(r[0] for r in rows)
    ordered = sorted(chosen, key=vfile.fs)
    with repo.write():
        for name in ordered:
            out(f"DELETED {name}")
        if not dry_run:
            for name in ordered:
                ck.execute("UPDATE localdb.vfile SET deleted=1 WHERE pathname=?", (name,))
            ck.execute("DELETE FROM localdb.vfile WHERE rid=0 AND deleted")
    if hard:
        for name in ordered:
            full = ck.full(name)
            if not dry_run and vfile.unsafe_path(ck, name) is None and os.path.lexists(vfile.fs(full)):
                os.unlink(vfile.fs(full))
            out(f"DELETED_FILE {full}")


# -- mv ----------------------------------------------------------------------


def mv(ck: Checkout, cwd: str, args: list[str], out: Out, *, hard: bool = False, dry_run: bool = False) -> None:
    """``fossil mv OLD... NEW``: rename in vfile; with ``hard`` also on disk."""
    from fossilpy.checkout import undo

    repo = ck.repo
    vid = ck.vid
    if not vid:
        raise UserError("no check-out in which to rename files")
    if len(args) < 2:
        raise UserError("Usage: fossilpy mv OLDNAME NEWNAME")
    dest_arg = args[-1]
    dest = tree_name(ck, cwd, dest_arg)
    dest_full = canonical(cwd, dest_arg)
    dest_type = 1 if os.path.isdir(vfile.fs(dest_full)) else 2 if os.path.lexists(vfile.fs(dest_full)) else 0
    orig_type = -1 if len(args) != 2 else int(os.path.isdir(vfile.fs(canonical(cwd, args[0]))))
    moves: dict[str, str] = {}
    if orig_type == -1 and dest_type != 1:
        raise UserError("Usage: fossilpy mv OLDNAME NEWNAME")
    if orig_type == 1 and dest_type == 2:
        raise UserError(f"cannot rename '{args[0]}' to '{dest_arg}' since another file named '{dest_arg}' exists")
    with repo.write():
        ck.execute("UPDATE localdb.vfile SET origname=pathname WHERE origname IS NULL")
        if orig_type == 0 and dest_type != 1:
            moves[tree_name(ck, cwd, args[0])] = dest
        else:
            prefix = "" if dest == "." else dest + "/"
            for arg in args[:-1]:
                orig = tree_name(ck, cwd, arg)
                tail_of_orig = orig.rsplit("/", 1)[-1]
                for (path,) in ck.all(
                    "SELECT pathname FROM localdb.vfile WHERE vid=? AND " + UNDER + " ORDER BY 1",
                    (vid, orig, orig, orig),
                ):
                    if len(path) == len(orig):
                        tail = path.rsplit("/", 1)[-1]
                    elif orig_type != 0 and dest_type == 1:
                        tail = path[len(orig) - len(tail_of_orig) :]
                    else:
                        tail = path[len(orig) + 1 :]
                    moves.setdefault(path, prefix + tail)
        for old in sorted(moves, key=vfile.fs):
            new = moves[old]
            x = ck.one("SELECT deleted FROM localdb.vfile WHERE pathname=?", (new,))
            if x is not None:
                if not x:
                    raise UserError(
                        f"cannot rename '{old}' to '{new}' since another file named '{new}'"
                        " is currently under management"
                    )
                raise UserError(
                    f"cannot rename '{old}' to '{new}' since the delete of '{new}' has not yet been committed"
                )
            for name in (old, new):
                why = vfile.unsafe_path(ck, name)
                if why is not None:
                    raise UserError(why)
            out(f"RENAME {old} {new}")
            if not dry_run:
                ck.execute("UPDATE localdb.vfile SET pathname=? WHERE pathname=? AND vid=?", (new, old, vid))
        undo.reset(ck)
    if hard:
        for old in sorted(moves, key=vfile.fs):
            src, dst = ck.full(old), ck.full(moves[old])
            if not dry_run and os.path.lexists(vfile.fs(src)):
                os.makedirs(os.path.dirname(vfile.fs(dst)), exist_ok=True)
                if os.path.lexists(vfile.fs(dst)) and os.path.islink(vfile.fs(dst)):
                    os.unlink(vfile.fs(dst))
                ck.safe_dirs.clear()
                os.replace(vfile.fs(src), vfile.fs(dst))
            out(f"MOVED_FILE {src}")


# -- addremove -----------------------------------------------------------------


def addremove(
    ck: Checkout, out: Out, *, dry_run: bool = False, dotfiles: bool = False, ignore: str | None = None
) -> None:
    """``fossil addremove``: add the unmanaged files, mark the missing ones deleted."""
    from fossilpy.repo.archive import parse_globs

    globs = (parse_globs(ck.setting("clean-glob")) or []) + (
        parse_globs(ignore if ignore is not None else ck.setting("ignore-glob")) or []
    )
    dotfiles = dotfiles or ck.setting_bool("dotfiles")
    repo = ck.repo
    links = vfile.allow_symlinks(ck)
    try:
        with repo.write():
            names = vfile.scan(ck, dotfiles=dotfiles, ignore=globs, managed=False)
            n_add = _add_names(ck, names, ck.vid, out)
            n_del = 0
            for (name,) in ck.all("SELECT pathname FROM localdb.vfile WHERE NOT deleted ORDER BY 1"):
                if not vfile.is_file_or_link(ck.full(name), links):
                    if not dry_run:
                        ck.execute("UPDATE localdb.vfile SET deleted=1 WHERE pathname=?", (name,))
                    out(f"DELETED  {name}")
                    n_del += 1
            out(f"added {n_add} files, deleted {n_del} files")
            if dry_run:
                out("Dry-run mode: no changes were made.")
                raise _Rollback
    except _Rollback:
        pass


#: revert's line for a file it removes (a name, not SQL)
_DELETE_LINE = "DELETE   "


class _Rollback(Exception):
    """Leave a write block without committing (a dry run)."""


# -- revert ------------------------------------------------------------------


#: Fossil's refusal of ``revert -r`` for a folder or the whole tree
REVERT_TREE_ONLY_CURRENT = "directories or the entire tree can only be reverted back to current version"


def revert(ck: Checkout, cwd: str, names: list[str], out: Out, *, save_undo: bool = True, revision: int = 0) -> None:
    """``fossil revert [-r REVISION] [FILE...]``: the files as in the current check-in (or, for
    named files only, as in check-in ``revision``: a file that differs from the current
    check-in's stays marked as edited); undo saved first (unless ``save_undo`` is False:
    ``stash save``, whose ``undo_disable`` keeps the prior undo)."""
    from fossilpy.artifact import manifest
    from fossilpy.checkout import undo
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    repo = ck.repo
    vid = ck.vid
    if revision and not names:
        raise UserError(REVERT_TREE_ONLY_CURRENT)

    def files_of(rid: int) -> dict[str, tuple[str, str]]:
        m = manifest.parse_or_none(content.get(repo, rid) or b"") if rid else None
        return {name: (uuid, perm) for name, uuid, perm in (checkin_files(repo, m) if m else [])}

    files = files_of(revision or vid)
    current = files_of(vid) if revision else files
    todo: list[str] = []
    revert_all = not names
    for arg in names:
        t = tree_name(ck, cwd, arg)
        if t == ".":
            if revision:
                raise UserError(REVERT_TREE_ONLY_CURRENT)
            revert_all = True
            break
        if revision and ck.one(
            "SELECT 1 FROM localdb.vfile WHERE substr(pathname,1,length(?||'/'))=?||'/'"
            " OR substr(origname,1,length(?||'/'))=?||'/'",
            (t, t, t, t),
        ):
            raise UserError(REVERT_TREE_ONLY_CURRENT)
        if ck.one(
            "SELECT 1 FROM localdb.vfile WHERE substr(pathname,1,length(?||'/'))=?||'/'"
            " OR substr(origname,1,length(?||'/'))=?||'/'",
            (t, t, t, t),
        ):
            vfile.check_signature(ck, vid)
            todo += [
                r[0]
                for r in ck.all(
                    "SELECT pathname FROM localdb.vfile WHERE (substr(pathname,1,length(?||'/'))=?||'/'"
                    " OR substr(origname,1,length(?||'/'))=?||'/')"
                    " AND (chnged OR deleted OR rid=0 OR pathname!=origname) ORDER BY id",
                    (t, t, t, t),
                )
            ]
        else:
            if t in todo:  # REPLACE INTO: the row moves to the end
                todo.remove(t)
            todo.append(t)
            todo += [r[0] for r in ck.all("SELECT pathname FROM localdb.vfile WHERE origname=? ORDER BY id", (t,))]
    with repo.write():
        if save_undo:
            undo.begin(ck, "revert" + "".join(" " + n for n in names))
        if revert_all:
            vfile.check_signature(ck, vid)
            ck.execute("DELETE FROM localdb.vmerge")
            todo += [
                r[0]
                for r in ck.all(
                    "SELECT pathname FROM localdb.vfile WHERE chnged OR deleted OR rid=0 OR pathname!=origname"
                    " ORDER BY id"
                )
            ]
        # the order of Fossil's torevert table: rows in the order they were inserted
        chosen = list(dict.fromkeys(todo))
        for path, orig in ck.all("SELECT pathname, origname FROM localdb.vfile WHERE origname!=pathname ORDER BY id"):
            if path in chosen and orig not in chosen:
                chosen.append(orig)
        saved = False
        for name in chosen:
            full = ck.full(name)
            if name not in files:
                if not ck.one("SELECT rid FROM localdb.vfile WHERE pathname=? OR origname=?", (name, name)):
                    out(f"UNMANAGE {name}")
                else:
                    if vfile.unsafe_path(ck, name) is None:
                        if save_undo:
                            undo.save(ck, name)
                            saved = True
                        if os.path.lexists(vfile.fs(full)):
                            os.unlink(vfile.fs(full))
                    out(_DELETE_LINE + name)
                ck.execute(
                    "UPDATE OR REPLACE localdb.vfile SET pathname=origname, origname=NULL"
                    " WHERE pathname=? AND origname!=pathname",
                    (name,),
                )
                ck.execute("DELETE FROM localdb.vfile WHERE pathname=?", (name,))
                continue
            why = vfile.unsafe_path(ck, name)
            if why is not None:
                out("!" + why)
                continue
            uuid, perm = files[name]
            data = content.get_by_uuid(repo, uuid)
            if data is None:
                raise UserError(f"content missing for {name}")
            if save_undo:
                undo.save(ck, name)
                saved = True
            p = vfile.PERM_LNK if "l" in perm else vfile.PERM_EXE if "x" in perm else vfile.PERM_REG
            mtime = vfile.write_file(ck, name, data, p)
            out(f"REVERT   {name}")
            # Fossil's rvChnged: the file differs from the current check-in's (its permission
            # test compares the reverted-to permission with itself, so only the hash counts)
            changed = int(name in current and current[name][0] != uuid)
            ck.execute(
                "UPDATE localdb.vfile SET mtime=?, chnged=?, deleted=0, isexe=?, islink=?, mrid=rid, mhash=NULL"
                " WHERE pathname=? OR origname=?",
                (mtime, changed, int(p == vfile.PERM_EXE), int(p == vfile.PERM_LNK), name, name),
            )
        if saved:
            out(' "fossil undo" is available to undo changes to the working checkout.')
