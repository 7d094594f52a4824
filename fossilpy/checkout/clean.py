"""``fossil clean``: delete the files of the tree that are not managed
(``clean_cmd`` in ``src/checkin.c``).

Which files: those ``extras`` lists (``locate_unmanaged_files``: all of
the tree, or the files and folders named), less the checkout database,
the manifest files the ``manifest`` setting writes and the repository
file when it lies in the tree.  Then, per file, in byte order of its name:

* a name matching ``keep`` (``--keep`` or the ``keep-glob`` setting) stays
  (``-v`` says ``KEPT file "NAME" not removed ...``);
* a name matching ``clean`` (``--clean`` or ``clean-glob``) goes without a
  question and without undo;
* any other file is first saved for ``fossil undo`` (up to 10 MiB; with
  ``--disable-undo`` not at all); a file that could not be saved is removed
  only after a "yes" (or ``-f``; ``--no-prompt`` answers no).  ``-i`` asks
  for every file instead.

``--emptydirs`` then removes folders left without files
(``vfile_dir_scan``), deepest first, except those matching ``empty-dirs``
or ``keep``; ``-x/--verily`` is ``-f --emptydirs --dotfiles --disable-undo``
without the ignore/keep/clean settings.  Only names inside the tree are
ever removed: every name comes from a walk that never follows a symlink.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.checkout import vfile

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

Out = Callable[[str], None]
Ask = Callable[[str], str]

#: ``UNDO_SIZE_LIMIT``: larger files are not saved for undo
UNDO_SIZE_LIMIT = 10 * 1024 * 1024

_UNDO_MESSAGES = {
    "none": "undo is disabled for this operation",
    "toobig": "the file is too big",
}


@dataclass
class CleanOptions:
    """The options of ``clean`` after ``-x`` and the settings were applied."""

    dry_run: bool = False
    disable_undo: bool = False
    no_prompt: bool = False
    prompt: bool = False
    force: bool = False
    dirs_only: bool = False
    empty_dirs: bool = False
    dotfiles: bool = False
    nested: bool = False
    #: ``--temp``: only Fossil's own temporary files (``is_temporary_file``)
    temp: bool = False
    verbose: bool = False
    ignore: list[str] | None = None
    keep: list[str] | None = None
    clean: list[str] | None = None


_TEMP_SUFFIXES = ("baseline", "merge", "original", "output")


def is_temporary_file(name: str) -> bool:
    """``is_temporary_file``: a file name (no folder) Fossil makes for a while:
    ``ci-comment-XXXXXXXXXXXX.txt``, ``NAME-baseline``/``-merge``/``-original``/``-output``
    with an optional ``-DIGITS``."""
    import re

    if re.fullmatch(r"ci-comment-.{12}\.txt", name, re.S):
        return True
    for i, ch in enumerate(name):
        if ch == "/" and re.fullmatch(r"/ci-comment-.{12}\.txt", name[i:], re.S):
            return True
        if ch != "-":
            continue
        rest = name[i + 1 :]
        for word in _TEMP_SUFFIXES:
            if not rest.startswith(word):
                continue
            tail = rest[len(word) :]
            if tail == "" or (tail[:1] == "-" and all("0" <= c <= "9" for c in tail[1:])):
                return True
    return False


def _scan(ck: Checkout, top: str, opts: CleanOptions) -> list[str]:
    found = vfile.scan(ck, top, dotfiles=opts.dotfiles, ignore=opts.ignore, managed=False)
    if opts.temp:
        found = [n for n in found if is_temporary_file(n.rsplit("/", 1)[-1])]
    return found


def _unmanaged(ck: Checkout, cwd: str, args: list[str], opts: CleanOptions, out: Out) -> list[str]:
    """``locate_unmanaged_files`` (missing names are warned about on ``out`` with "!")."""
    from fossilpy.checkout import ops

    if not args:
        return _scan(ck, "", opts)
    found: list[str] = []
    for arg in args:
        full = ops.canonical(cwd, arg)
        rel = full[len(ck.root) :] if full.startswith(ck.root) else full
        st = vfile.lstat_or_none(full, follow=False)
        if st is not None and stat.S_ISDIR(st.st_mode):
            t = ops.tree_name(ck, cwd, arg)
            found += _scan(ck, "" if t == "." else t, opts)
        elif st is None:
            out(f"!not found: {rel}")
        else:
            t = ops.tree_name(ck, cwd, arg)
            if ck.one("SELECT 1 FROM localdb.vfile WHERE pathname=?", (t,)) is None and t not in found:
                found.append(t)
    return found


def _match(ck: Checkout, globs: list[str] | None, name: str) -> bool:
    from fossilpy.repo.archive import glob_match

    return glob_match(ck.repo, globs, name)


def clean(ck: Checkout, cwd: str, args: list[str], opts: CleanOptions, out: Out, ask: Ask, cmdline: str) -> None:
    """Run ``fossil clean`` with ``opts``; ``ask`` shows a prompt and returns the answer line."""
    from fossilpy.checkout import undo

    all_files = all_dirs = opts.force
    always_prompt = opts.prompt
    if not opts.dirs_only:
        use_undo = not opts.dry_run and not opts.disable_undo
        if use_undo:
            undo.begin(ck, cmdline)
        names = _unmanaged(ck, cwd, args, opts, out)
        reserved = vfile.reserved_names(ck)
        managed = {r[0] for r in ck.all("SELECT pathname FROM localdb.vfile")}
        names = sorted(
            {n for n in names if n not in reserved and n not in managed}, key=lambda n: vfile.fs(ck.root + n)
        )
        saved_any = False
        for name in names:
            if _match(ck, opts.keep, name):
                if opts.verbose:
                    out(f'KEPT file "{name}" not removed (due to --keep or "keep-glob")')
                continue
            if not opts.dry_run and not _match(ck, opts.clean, name):
                why = "none"
                if always_prompt:
                    reply = ask(f'Remove unmanaged file "{name}" (a=all/y/N)? ')[:1].upper()
                    if reply == "N":
                        continue
                    if reply == "A":
                        all_files = True
                        always_prompt = False
                    else:
                        why = "saved"
                elif use_undo:
                    size = vfile.file_info(ck.full(name), vfile.allow_symlinks(ck))[0]
                    if size <= UNDO_SIZE_LIMIT:
                        undo.save(ck, name)
                        saved_any = True
                        why = "saved"
                    else:
                        why = "toobig"
                if why != "saved":
                    if all_files:
                        reply = "Y"
                    elif not opts.no_prompt:
                        reply = ask(
                            "\nWARNING: Deletion of this file will not be undoable via the 'undo'\n"
                            f"         command because {_UNDO_MESSAGES[why]}.\n\n"
                            f'Remove unmanaged file "{name}" (a=all/y/N)? '
                        )[:1]
                    else:
                        reply = "N"
                    if reply in ("a", "A"):
                        all_files = True
                    elif reply not in ("y", "Y"):
                        continue
            if opts.dry_run or _remove(ck, name):
                if opts.verbose or opts.dry_run:
                    out(f"Removed unmanaged file: {name}")
            else:
                out(f"Could not remove file: {name}")
        if use_undo and saved_any:
            out(' "fossil undo" is available to undo changes to the working checkout.')
    if opts.empty_dirs:
        _empty_dirs(ck, opts, out, ask, all_dirs)


def _remove(ck: Checkout, name: str) -> bool:
    """``file_delete`` of a tree name, never through a symlinked folder."""
    if vfile.unsafe_path(ck, name) is not None:
        return False
    try:
        os.unlink(vfile.fs(ck.full(name)))
    except OSError:
        return False
    return True


def _dir_scan(ck: Checkout, opts: CleanOptions, empty_globs: list[str] | None) -> dict[str, int]:
    """``vfile_dir_scan``: folder -> number of files below it, for folders holding no managed file."""
    managed = [r[0] for r in ck.all("SELECT pathname FROM localdb.vfile")]
    found: dict[str, int] = {}

    def walk(rel: str) -> int:
        if rel and (_match(ck, opts.ignore, rel + "/") or _match(ck, empty_globs, rel + "/")):
            return 0
        try:
            entries = os.listdir(vfile.fs(ck.root + rel) or b".")
        except OSError:
            return 0
        count = 0
        for raw in entries:
            name = raw.decode("utf-8", "surrogateescape")
            if name.startswith(".") and not opts.dotfiles:
                continue
            sub = f"{rel}/{name}" if rel else name
            if _match(ck, opts.ignore, sub) or _match(ck, empty_globs, sub):
                continue
            st = vfile.lstat_or_none(ck.root + sub, follow=False)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                full = ck.root + sub
                nested = any(os.path.exists(vfile.fs(full + "/" + d)) for d in (".fslckout", "_FOSSIL_"))
                if opts.nested or not nested:
                    n = walk(sub)
                    if not any(m.startswith(sub + "/") for m in managed):
                        found.setdefault(sub, n)
                    count += n
            elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                count += 1
        return count

    walk("")
    return found


def _empty_dirs(ck: Checkout, opts: CleanOptions, out: Out, ask: Ask, all_dirs: bool) -> None:
    from fossilpy.repo.archive import parse_globs

    empty_globs = parse_globs(ck.setting("empty-dirs"))
    found = _dir_scan(ck, opts, empty_globs)
    reserved = vfile.reserved_names(ck)
    todo = [d for d, n in found.items() if n == 0 and d not in reserved]
    for name in sorted(todo, key=lambda d: vfile.fs(ck.root + d), reverse=True):
        if _match(ck, opts.keep, name):
            if opts.verbose:
                out(f'KEPT directory "{name}" not removed (due to --keep or "keep-glob")')
            continue
        if not all_dirs and not opts.dry_run and not _match(ck, opts.clean, name):
            reply = "N" if opts.no_prompt else ask(f'Remove empty directory "{name}" (a=all/y/N)? ')[:1]
            if reply in ("a", "A"):
                all_dirs = True
            elif reply not in ("y", "Y"):
                continue
        removed = opts.dry_run
        if not removed and vfile.unsafe_path(ck, name + "/x") is None:
            ck.safe_dirs.clear()
            try:
                os.rmdir(vfile.fs(ck.full(name)))
                removed = True
            except OSError:
                removed = False
        if removed:
            if opts.verbose or opts.dry_run:
                out(f"Removed unmanaged directory: {name}")
        elif opts.verbose:
            out(f"Could not remove directory: {name}")
