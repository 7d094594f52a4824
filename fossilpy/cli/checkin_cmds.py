"""Commands that prepare and make a check-in: add, rm/delete, mv/rename,
addremove, revert and commit (``src/add.c``, ``update.c``, ``checkin.c``).

Output lines and messages are Fossil 2.21's.  ``commit`` needs ``-m`` or
``-M`` (no editor yet); it autosyncs as the ``autosync`` setting says
(``fossilpy.cli.autosync``).
"""

from __future__ import annotations

import os

import click

from fossilpy.cli.checkout_cmds import _open_here, _out
from fossilpy.cli.common import command
from fossilpy.errors import UserError


@command("add")
@click.option("--dotfiles", is_flag=True, help="Include files whose names begin with '.'.")
@click.option("--ignore", metavar="CSG", default=None, help="Ignore files matching these globs.")
@click.option("-f", "--force", is_flag=True, help="Add files even if they match ignore-glob.")
@click.argument("files", nargs=-1, required=True)
def add_cmd(files: tuple[str, ...], dotfiles: bool, ignore: str | None, force: bool) -> None:
    """Make FILES (folders: the files inside) part of the next check-in."""
    from fossilpy.checkout import ops

    with _open_here() as ck:
        ops.add(ck, os.getcwd(), list(files), _out, dotfiles=dotfiles, ignore=ignore, force=force, ask=_ask)


def _remove_files(soft: bool, hard: bool, setting: bool) -> bool:
    if soft:
        return False
    return hard or setting


@command("rm")
@click.option("--soft", is_flag=True, help="Do not delete the files from disk.")
@click.option("--hard", is_flag=True, help="Also delete the files from disk.")
@click.option("-n", "--dry-run", "dry_run", is_flag=True, help="Show what would be done.")
@click.argument("files", nargs=-1, required=True)
def rm_cmd(files: tuple[str, ...], soft: bool, hard: bool, dry_run: bool) -> None:
    """Remove FILES from the next check-in (from disk too with --hard or mv-rm-files)."""
    from fossilpy.checkout import ops

    with _open_here() as ck:
        remove = _remove_files(soft, hard, ck.setting_bool("mv-rm-files"))
        ops.rm(ck, os.getcwd(), list(files), _out, hard=remove, dry_run=dry_run)


@command("mv")
@click.option("--soft", is_flag=True, help="Do not move the files on disk.")
@click.option("--hard", is_flag=True, help="Also move the files on disk.")
@click.option("-n", "--dry-run", "dry_run", is_flag=True, help="Show what would be done.")
@click.argument("names", nargs=-1, required=True)
def mv_cmd(names: tuple[str, ...], soft: bool, hard: bool, dry_run: bool) -> None:
    """Rename OLDNAME to NEWNAME (or move files into a folder) in the next check-in."""
    from fossilpy.checkout import ops

    renaming = click.get_current_context().info_name == "rename"  # "rename" never moves files
    with _open_here() as ck:
        move = not renaming and _remove_files(soft, hard, ck.setting_bool("mv-rm-files"))
        ops.mv(ck, os.getcwd(), list(names), _out, hard=move, dry_run=dry_run)


@command("addremove")
@click.option("--dotfiles", is_flag=True, help="Include files whose names begin with '.'.")
@click.option("--ignore", metavar="CSG", default=None, help="Ignore files matching these globs.")
@click.option("-n", "--dry-run", "dry_run", is_flag=True, help="Show what would be done.")
@click.argument("args", nargs=-1)
def addremove_cmd(args: tuple[str, ...], dotfiles: bool, ignore: str | None, dry_run: bool) -> None:
    """Add every unmanaged file and remove every missing one."""
    from fossilpy.checkout import ops

    if args:
        raise UserError("addremove: Can only work on the entire check-out, no arguments supported.")
    with _open_here() as ck:
        from fossilpy.cli.progress import Progress

        progress = Progress()
        counted = progress.wrap(_out, lambda text: text.startswith(("ADDED", "DELETED")))

        def out(line: str) -> None:
            if line.startswith("added "):  # the summary: the counter's last value first
                progress.finish()
            counted(line)

        ops.addremove(ck, out, dry_run=dry_run, dotfiles=dotfiles, ignore=ignore)


@command("revert")
@click.option("-r", "--revision", "revision", metavar="REVISION", default=None,
              help="Revert the named files to their contents in REVISION.")  # fmt: skip
@click.argument("files", nargs=-1)
def revert_cmd(files: tuple[str, ...], revision: str | None) -> None:
    """Put FILES (all files) back as in the current check-in, or with -r as in REVISION
    (files only, not folders); "fossil undo" can reverse it."""
    from fossilpy.checkout import ops

    with _open_here() as ck:
        rid = 0
        if revision is not None:
            from fossilpy.errors import UserError
            from fossilpy.repo import names

            if not files:
                raise UserError(ops.REVERT_TREE_ONLY_CURRENT)
            rid = names.resolve(ck.repo, revision, "ci")
        ops.revert(ck, os.getcwd(), list(files), _out, revision=rid)


@command("undo")
@click.option("-n", "--dry-run", "--explain", "dry_run", is_flag=True, help="Only say what would be undone.")
@click.argument("files", nargs=-1)
def undo_cmd(files: tuple[str, ...], dry_run: bool) -> None:
    """Undo the changes the last revert (or update, merge, ...) made to the check-out."""
    _undo(False, files, dry_run)


@command("redo")
@click.option("-n", "--dry-run", "--explain", "dry_run", is_flag=True, help="Only say what would be redone.")
@click.argument("files", nargs=-1)
def redo_cmd(files: tuple[str, ...], dry_run: bool) -> None:
    """Redo what the last undo reversed."""
    _undo(True, files, dry_run)


def _undo(redo: bool, files: tuple[str, ...], dry_run: bool) -> None:
    from fossilpy.checkout import ops, undo
    from fossilpy.cli.checkout_cmds import _common_info

    with _open_here() as ck:
        if dry_run:
            undo.explain(ck, _out)
            return
        before = ck.vid
        names = [ops.tree_name(ck, os.getcwd(), f) for f in files]
        undo.run(ck, redo, names, _out)
        if ck.vid != before:
            _out("--------------------")
            _common_info(ck, ck.vid, "updated-to:", family=False)


def _login(ck: object) -> str:
    """``user_select``: default-user, FOSSIL_USER, USER, LOGNAME, USERNAME."""
    from fossilpy.checkout.db import Checkout

    assert isinstance(ck, Checkout)
    for value in (ck.vget("default-user"), ck.repo.config_get("default-user")):
        if value:
            return str(value)
    for var in ("FOSSIL_USER", "USER", "LOGNAME", "USERNAME"):
        if os.environ.get(var):
            return os.environ[var]
    return "root"


def _ask(prompt: str) -> str:
    """``prompt_user``: the prompt on stdout, one answer line from stdin (empty at end of input)."""
    import sys

    sys.stdout.buffer.write(prompt.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line.endswith("\n"):
        sys.stdout.write("\n")  # fossil_force_newline before what follows
        sys.stdout.flush()
    return line.strip()


@command("commit")
@click.option("-m", "--comment", "comment", default=None, help="The check-in comment.")
@click.option("-M", "--message-file", "message_file", default=None, help="Read the comment from this file.")
@click.option("-b", "--branch", default=None, help="Start a new branch with this name.")
@click.option("--bgcolor", default=None, help="Background color of this check-in.")
@click.option("--branchcolor", default=None, help="Background color of the new branch.")
@click.option("--tag", "tags", multiple=True, help="Add this symbolic tag (repeatable).")
@click.option("--private", is_flag=True, help="Never sync this check-in (new branch 'private').")
@click.option("--close", is_flag=True, help="Close the branch with this check-in.")
@click.option("-n", "--dry-run", "dry_run", is_flag=True, help="Show the manifest, write nothing.")
@click.option("--allow-empty", "allow_empty", is_flag=True, help="Allow a check-in with no changes.")
@click.option("--allow-fork", "allow_fork", is_flag=True, help="Allow the check-in to fork.")
@click.option("--allow-older", "allow_older", is_flag=True, help="Allow a date older than the parent's.")
@click.option("-f", "--force", is_flag=True, help="Allow forks, empty check-ins and an open branch name.")
@click.option("--mimetype", default=None, help="Mimetype of the check-in comment.")
@click.option("--date-override", "date_override", default=None, help="Use this date (YYYY-MM-DDTHH:MM:SS.SSS).")
@click.option("--user-override", "user_override", default=None, help="Use this user name.")
@click.option("--no-warnings", "no_warnings", is_flag=True, help="Do not warn about CR/LF, binary or Unicode files.")
@click.option("--no-prompt", "no_prompt", is_flag=True, help="Answer no to every question.")
@click.option("--hash", "--sha1sum", "use_hash", is_flag=True, help="Find edited files by hashing, not by mtime.")
@click.option("--integrate", is_flag=True, help="Close the branches merged into this check-in.")
@click.option("--ignore-oversize", "ignore_oversize", is_flag=True, help="Do not warn about oversized files.")
@click.option("--allow-conflict", "allow_conflict", is_flag=True, help="Allow unresolved merge conflicts.")
@click.option("--nosync", is_flag=True, help="Do not autosync before and after the commit.")
@click.option("--ignore-clock-skew", "ignore_clock_skew", is_flag=True, help="Accepted (no clock-skew check).")
@click.option(
    "--override-lock", "override_lock", is_flag=True, help="Allow a check-in even though the parent is locked."
)
@click.option("--nosign", is_flag=True, help="Do not sign (fossilpy never signs).")
@click.option("--no-verify", "no_verify", is_flag=True, help="Do not run before-commit hooks (there are none).")
@click.option("--trace", is_flag=True, help="Accepted.")
@click.option("-v", "--verbose", is_flag=True, help="Accepted (no editor).")
@click.option("--delta", is_flag=True, help="Write a delta manifest.")
@click.option("--baseline", is_flag=True, help="Write a baseline manifest.")
@click.argument("files", nargs=-1)
def commit_cmd(files: tuple[str, ...], **kw: object) -> None:
    """Make a new check-in of the changes in the check-out (or of FILES only)."""
    from fossilpy.checkout import commit, ops

    if kw["delta"] and kw["baseline"]:
        raise UserError("cannot use --delta and --baseline together")
    comment = kw["comment"]
    if comment is None and kw["message_file"]:
        with open(str(kw["message_file"]), "rb") as fh:
            comment = fh.read().decode("utf-8", "surrogateescape")
    if comment is None:
        raise UserError("a check-in comment is needed: use -m COMMENT or -M FILE (fossilpy has no editor yet)")
    with _open_here() as ck:
        names = [ops.tree_name(ck, os.getcwd(), f) for f in files]
        o = commit.Options(
            comment=str(comment),
            user=_login(ck),
            user_override=kw["user_override"] or None,  # type: ignore[arg-type]
            branch=kw["branch"],  # type: ignore[arg-type]
            bgcolor=kw["bgcolor"],  # type: ignore[arg-type]
            branchcolor=kw["branchcolor"],  # type: ignore[arg-type]
            tags=sorted(str(t) for t in kw["tags"]),  # type: ignore[attr-defined]
            private=bool(kw["private"]),
            close=bool(kw["close"]),
            dry_run=bool(kw["dry_run"]),
            allow_empty=bool(kw["allow_empty"]),
            allow_fork=bool(kw["allow_fork"] or kw["override_lock"]),
            use_hash=bool(kw["use_hash"]),
            integrate=bool(kw["integrate"]),
            ignore_oversize=bool(kw["ignore_oversize"]),
            allow_older=bool(kw["allow_older"]),
            delta=bool(kw["delta"]),
            baseline=bool(kw["baseline"]),
            no_warnings=bool(kw["no_warnings"]),
            no_prompt=bool(kw["no_prompt"]),
            ask=_ask,
            cwd=os.getcwd(),
            force=bool(kw["force"]),
            mimetype=kw["mimetype"],  # type: ignore[arg-type]
            date=kw["date_override"],  # type: ignore[arg-type]
            files=[] if names == ["."] else names,
            allow_conflict=bool(kw["allow_conflict"]),
        )
        if not kw["nosync"]:
            from fossilpy.cli import autosync
            from fossilpy.repo.content import is_private

            if not o.private and not (ck.vid and is_private(ck.repo, ck.vid)):
                lock = None
                if ck.vid and not o.allow_fork and not o.force:
                    lock = autosync.CheckinLock(str(ck.one("SELECT uuid FROM blob WHERE rid=?", (ck.vid,))))
                autosync.before_commit(ck, _out, lock)
                o.lock_held_by = lock.held_by if lock else None
            o.after = lambda: autosync.after_commit(ck, _out)
        commit.commit(ck, o, _out)
