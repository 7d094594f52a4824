"""Commands that show or prune files of a checkout: ``diff``, ``cat`` and
``clean`` (``src/diffcmd.c``, ``finfo.c`` ``cat_cmd``, ``checkin.c``
``clean_cmd``), with Fossil 2.21's options and output.

``diff`` always uses the internal diff (``-i`` is accepted and changes
nothing); the graphical and HTML forms (``--tk``, ``-b``, ``--webpage``,
``--json``, ``--tcl``) are not offered.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from fossilpy.cli.common import command
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data)


def diff_options(f: Any) -> Any:
    """The options ``diff_options`` reads (``src/diff.c``), for diff and stash diff."""
    for opt in reversed(
        [
            click.option("-Z", "--ignore-trailing-space", "eolws", is_flag=True, help="Ignore end-of-line whitespace."),
            click.option("-w", "--ignore-all-space", "allws", is_flag=True, help="Ignore white space."),
            click.option("--strip-trailing-cr", "strip_cr", is_flag=True, help="Strip trailing CR."),
            click.option("-c", "--context", "context", metavar="N", default=None, help="Lines of context."),
            click.option("-W", "--width", "width", metavar="N", default=None, help="Line width (side by side)."),
            click.option("-n", "--linenum", "linenum", is_flag=True, help="Show line numbers."),
            click.option("--noopt", is_flag=True, hidden=True),
            click.option("--invert", is_flag=True, hidden=True),
            click.option("--numstat", is_flag=True, help="Only the numbers of added and deleted lines."),
            click.option("-h", "--versions", "versions", is_flag=True, help="Show the compared versions."),
            click.option("--brief", is_flag=True, help="Show file names only."),
            click.option("-i", "--internal", "internal", is_flag=True, help="Use the internal diff (always)."),
            click.option("--unified", is_flag=True, help="Unified diff (the default)."),
            click.option("-v", "--verbose", "verbose", is_flag=True, help="Show complete text of added/deleted files."),
            click.option("-N", "--new-file", "new_file", is_flag=True, help="Alias for --verbose."),
        ]
    ):
        f = opt(f)
    return f


def make_options(kw: dict[str, Any]) -> Any:
    """A :class:`~fossilpy.checkout.diffcmd.DiffOptions` from the options of :func:`diff_options`."""
    from fossilpy.artifact import textdiff
    from fossilpy.checkout import diffcmd

    flags = 0
    if kw.pop("eolws"):
        flags = textdiff.DIFF_IGNORE_EOLWS
    if kw.pop("allws"):
        flags = textdiff.DIFF_IGNORE_ALLWS
    if kw.pop("strip_cr"):
        flags |= textdiff.DIFF_STRIP_EOLCR
    opts = diffcmd.DiffOptions()
    context = kw.pop("context")
    if context is not None:
        n = _atoi(context)
        if n >= 0:
            opts.context = n
            flags |= textdiff.DIFF_CONTEXT_EX
    width = kw.pop("width")
    if width is not None and _atoi(width) > 0:
        opts.width = _atoi(width)
    for name, flag in (
        ("linenum", textdiff.DIFF_LINENO),
        ("noopt", textdiff.DIFF_NOOPT),
        ("numstat", diffcmd.DIFF_NUMSTAT),
        ("versions", diffcmd.DIFF_SHOW_VERS),
        ("invert", textdiff.DIFF_INVERT),
        ("brief", diffcmd.DIFF_BRIEF),
    ):
        if kw.pop(name):
            flags |= flag
    kw.pop("internal")
    kw.pop("unified")
    verbose, new_file = kw.pop("verbose"), kw.pop("new_file")
    if verbose or new_file:
        flags |= diffcmd.DIFF_VERBOSE
    opts.flags = flags
    return opts


def _atoi(text: str) -> int:
    """C's ``atoi``: the leading digits (with a sign), 0 if none."""
    text = text.strip()
    sign = -1 if text[:1] == "-" else 1
    if text[:1] in "+-":
        text = text[1:]
    digits = ""
    for ch in text:
        if "0" <= ch <= "9":
            digits += ch
        else:
            break
    return sign * int(digits) if digits else 0


def _open_checkout_or_none() -> Checkout | None:
    from fossilpy.checkout.db import Checkout

    try:
        return Checkout.find(os.getcwd())
    except UserError:
        return None


@command("diff")
@diff_options
@click.option("-r", "--from", "frm", metavar="VERSION", default=None, help="The source check-in.")
@click.option("--to", "to", metavar="VERSION", default=None, help="The target check-in.")
@click.option("-ci", "--checkin", "checkin", metavar="VERSION", default=None, help="The changes of VERSION.")
@click.option("--branch", metavar="BRANCH", default=None, help="All changes on BRANCH.")
@click.option("--undo", "undo", is_flag=True, help="Diff against the undo buffer.")
@click.option("-R", "--repository", "repository", metavar="FILE", default=None, help="The repository.")
@click.argument("files", nargs=-1)
def diff_cmd(
    files: tuple[str, ...],
    frm: str | None,
    to: str | None,
    checkin: str | None,
    branch: str | None,
    undo: bool,
    repository: str | None,
    **kw: Any,
) -> None:
    """Show the changes of the check-out (or between check-ins) as a unified diff."""
    from fossilpy.checkout import diffcmd
    from fossilpy.checkout.ops import tree_name

    if undo and (frm or to or checkin or branch):
        raise UserError("cannot use --undo together with --from, --to, --checkin, or --branch")
    if branch:
        if to or frm or checkin:
            raise UserError("cannot use --from, --to, or --checkin with --branch")
        to, frm = branch, "root:" + branch
    if checkin is not None and (frm or to):
        raise UserError("cannot use --checkin together with --from or --to")
    opts = make_options(kw)
    ck = _open_checkout_or_none()
    if checkin is None and (to is None or undo):
        if ck is None:
            raise UserError("current directory is not within an open check-out")
    elif checkin is None and frm is None:
        raise UserError("must use --from if --to is present")
    try:
        repo = ck.repo if ck is not None else _open_repo(repository)
        names: list[str] = []
        for name in files:
            if ck is None:
                names.append(name)
                continue
            tn = tree_name(ck, os.getcwd(), name)
            if tn == ".":
                names = ["."]
                break
            names.append(tn)
        dirs = diffcmd.FileDirList(names)
        if checkin is not None:
            rid = diffcmd.checkin_rid(repo, checkin)
            to = checkin
            frm = repo.one(
                "SELECT uuid FROM blob, plink WHERE plink.cid=? AND plink.isprim AND plink.pid=blob.rid", (rid,)
            )
            if frm is None:
                raise UserError(f"check-in {to} has no parent")
        if undo:
            assert ck is not None
            if not ck.vget_int("undo_available", 0):
                _write(b"No undo or redo is available\n")
                return
            diffcmd.against_undo(ck, opts, dirs, _write)
        elif to is None:
            assert ck is not None
            diffcmd.against_disk(ck, frm, opts, dirs, _write)
        else:
            assert frm is not None
            diffcmd.two_versions(repo, frm, to, opts, dirs, _write)
        if names and names[0] != ".":
            for i, used in enumerate(dirs.used):
                if not used and not os.path.isdir(files[i]):
                    sys.stdout.flush()
                    raise UserError(f"not found: '{files[i]}'")
        if opts.flags & diffcmd.DIFF_NUMSTAT:
            c = opts.counts
            _write(b"%10d %10d TOTAL over %d changed files\n" % (c[1], c[2], c[0]))
    finally:
        if ck is not None:
            ck.close()


def _open_repo(path: str | None) -> Any:
    from fossilpy.cli.common import open_repo

    return open_repo(path)
