"""Commands that move a checkout or merge into it: update, checkout/co and
merge/cherry-pick, with Fossil 2.21's options and output (``src/update.c``,
``checkout.c``, ``merge.c``).

``update`` and ``merge`` pull from the default remote first when the
``autosync`` setting asks for it (``fossilpy.cli.autosync``), unless
``--dry-run`` (or, for ``update``, ``--nosync``) is given.
"""

from __future__ import annotations

import os
import sys

import click

from fossilpy.cli.checkout_cmds import _common_info, _open_here, _out
from fossilpy.cli.common import command
from fossilpy.errors import UserError


def _cmdline() -> str:
    """``undo_capture_command_line``: the arguments after the program name."""
    return " ".join(sys.argv[1:])


def _multiple_descendants(ck: object, rids: list[int]) -> None:
    """The leaves ``update`` could go to, as Fossil's tty timeline."""
    from fossilpy.checkout.db import Checkout
    from fossilpy.cli.history_cmds import _TIMELINE_SQL, _print_timeline

    assert isinstance(ck, Checkout)
    repo = ck.repo
    utc = repo.config_int("timeline-utc", 1) != 0
    sql = _TIMELINE_SQL.format(tz="" if utc else ",'localtime'")
    sql += "  AND event.objid IN (SELECT value FROM json_each(?))\nORDER BY event.mtime DESC"
    import json

    _print_timeline(repo, repo.db.execute(sql, (json.dumps(rids),)), -100, 79 - 9)


@command("update")
@click.option("--latest", is_flag=True, help="Update to the latest version, not only a descendant.")
@click.option("-n", "--dry-run", "--nochange", "dry_run", is_flag=True, help="Show what would be done.")
@click.option("-v", "--verbose", is_flag=True, help="Also list unchanged files.")
@click.option("--debug", is_flag=True, help="Show the file table used to decide.")
@click.option("--nosync", is_flag=True, help="Do not autosync before the update.")
@click.option("-K", "--keep-merge-files", "keep_merge_files", is_flag=True, help="Keep the merge inputs on conflict.")
@click.option(
    "--force-missing", "force_missing", is_flag=True, help="Go on when content is missing (those files are left out)."
)
@click.option("--setmtime", is_flag=True, help="Date each file by the check-in that last changed it.")
@click.option("-W", "--width", default=None, help="Width of the timeline lines.")
@click.argument("version", required=False)
@click.argument("files", nargs=-1)
def update_cmd(version: str | None, files: tuple[str, ...], **kw: object) -> None:
    """Change the check-out to VERSION (or the newest descendant of the current
    check-in), keeping and merging local edits; with FILES, update only those."""
    from fossilpy.checkout import ops, update
    from fossilpy.cli import autosync

    with _open_here() as ck:
        if not kw["dry_run"] and not kw["nosync"]:
            autosync.pull(ck, "update", _out, verbose=bool(kw["verbose"]))
        o = update.Options(
            version=version,
            files=[ops.tree_name(ck, os.getcwd(), f) for f in files],
            latest=bool(kw["latest"]),
            dry_run=bool(kw["dry_run"]),
            verbose=bool(kw["verbose"]),
            debug=bool(kw["debug"]),
            keep_merge_files=bool(kw["keep_merge_files"]),
            force_missing=bool(kw["force_missing"]),
            cmdline=_cmdline(),
            cwd=os.getcwd(),
        )
        try:
            update.update(ck, o, _out, lambda rid, label: _common_info(ck, rid, label, family=False))
        except update.MultipleDescendants as exc:
            _multiple_descendants(ck, exc.rids)
            raise UserError("Multiple descendants") from None
        if kw["setmtime"] and not kw["dry_run"] and not files:
            from fossilpy.checkout import setmtime

            setmtime.apply(ck, ck.vid)


def _ask(prompt: str) -> str:
    """``prompt_user`` for checkout's question: the prompt, one answer line; what
    follows is printed with ``fossil_print``, which adds no newline after an answer
    that had none (end of input)."""
    sys.stdout.buffer.write(prompt.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return sys.stdin.readline().strip()


@command("checkout")
@click.option("-f", "--force", is_flag=True, help="Ignore edited files in the current check-out.")
@click.option("--keep", is_flag=True, help="Only update the manifest files, leave the files alone.")
@click.option("--latest", is_flag=True, help="Check out the latest version.")
@click.option(
    "--force-missing", "force_missing", is_flag=True, help="Go on when content is missing (those files are left out)."
)
@click.option("--prompt", is_flag=True, help="Ask before overwriting files, even with --force.")
@click.option("--setmtime", is_flag=True, help="Date each file by the check-in that last changed it.")
@click.argument("version", required=False)
def checkout_cmd(
    version: str | None, force: bool, keep: bool, latest: bool, force_missing: bool, prompt: bool, setmtime: bool
) -> None:
    """Change the check-out to VERSION (refused when files are edited, unless --force).
    Most people want "update", which keeps local edits."""
    from fossilpy.checkout import switch

    if (latest and version is not None) or (not latest and version is None):
        name = click.get_current_context().info_name
        raise UserError(f"Usage: fossil {name} VERSION|--latest ?--force? ?--keep?")
    with _open_here() as ck:
        switch.checkout(
            ck,
            version,
            _out,
            latest=latest,
            force=force,
            keep=keep,
            force_missing=force_missing,
            cwd=os.getcwd(),
            ask=_ask if (prompt or not force) else None,
        )
        if setmtime:
            from fossilpy.checkout import setmtime as dating

            dating.apply(ck, ck.vid)


@command("merge")
@click.option("--backout", is_flag=True, help="Take the changes of VERSION out of the check-out.")
@click.option("--baseline", metavar="BASELINE", default=None, help="Use BASELINE as the pivot of the merge.")
@click.option("--binary", metavar="GLOBPATTERN", default=None, help="Treat matching files as binary.")
@click.option("--cherrypick", is_flag=True, help="Merge only the changes of the single check-in VERSION.")
@click.option("-f", "--force", is_flag=True, help="Merge even if it would be a no-op.")
@click.option(
    "--force-missing", "force_missing", is_flag=True, help="Go on when content is missing (those files are left out)."
)
@click.option("--integrate", is_flag=True, help="Close the merged branch when committing.")
@click.option("-K", "--keep-merge-files", "keep_merge_files", is_flag=True, help="Keep the merge inputs on conflict.")
@click.option("-n", "--dry-run", "--nochange", "dry_run", is_flag=True, help="Show what would be done.")
@click.option("-v", "--verbose", "--detail", "verbose", is_flag=True, help="Show more about the merge.")
@click.option("--debug", is_flag=True, help="Show the check-ins the merge uses.")
@click.option("--show-vfile", "show_vfile", is_flag=True, hidden=True, help="Dump the vfile table (debugging).")
@click.argument("version", required=False)
def merge_cmd(version: str | None, **kw: object) -> None:
    """Merge the changes of VERSION (back to the common ancestor) into the check-out;
    without VERSION, the most recent unmerged fork of the current branch."""
    from fossilpy.checkout import merge
    from fossilpy.cli import autosync

    pick = bool(kw["cherrypick"]) or click.get_current_context().info_name == "cherry-pick"
    with _open_here() as ck:
        if ck.vid == 0:
            raise UserError("nothing is checked out")
        if not kw["dry_run"]:  # fossil 2.21's merge has no --nosync
            autosync.pull(ck, "merge", _out, verbose=bool(kw["verbose"]))
        o = merge.Options(
            version=version,
            cherrypick=pick,
            backout=bool(kw["backout"]),
            baseline=kw["baseline"],  # type: ignore[arg-type]
            integrate=bool(kw["integrate"]),
            dry_run=bool(kw["dry_run"]),
            force=bool(kw["force"]),
            verbose=bool(kw["verbose"]),
            debug=bool(kw["debug"]),
            keep_merge_files=bool(kw["keep_merge_files"]),
            binary=kw["binary"],  # type: ignore[arg-type]
            force_missing=bool(kw["force_missing"]),
            show_vfile=bool(kw["show_vfile"]),
            cmdline=_cmdline(),
        )
        merge.merge(ck, o, _out)


@command("test-show-vfile")
def test_show_vfile_cmd() -> None:
    """Show the vfile table of the check-out (every check-in loaded in it), as
    ``merge --show-vfile`` does."""
    from fossilpy.checkout import vfile

    with _open_here() as ck:
        vfile.show(ck, _out)
