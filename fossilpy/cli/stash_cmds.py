"""``fossil stash``: set changes aside and put them back (``src/stash.c``).

Subcommands (any prefix of the word, tried in this order, as Fossil does)::

    stash save ?-m|--comment COMMENT? ?FILES...?   stash, then revert the files
    stash snapshot ?-m COMMENT? ?FILES...?         stash, keep the files
    stash list|ls ?-v|--verbose? ?-W|--width N?
    stash drop|rm ?STASHID...? ?-a|--all?
    stash pop | stash apply ?STASHID?
    stash goto ?STASHID?                           update to its baseline, then apply it
    stash show|cat ?STASHID? ?DIFF-OPTIONS?        the stash against its baseline
    stash diff ?STASHID? ?DIFF-OPTIONS?            the tree against the stash applied

``save`` without ``-m`` asks for a comment as Fossil does (the editor, or
stdin).  The graphical forms (``gdiff``, ``--tk``) are not offered.  The
rows are Fossil's (see :mod:`fossilpy.checkout.stash`): either program pops
what the other saved.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from fossilpy.cli.common import command
from fossilpy.errors import UserError

#: option spelling -> (key, takes a value), for the options ``stash`` reads
_OPTIONS: dict[str, tuple[str, bool]] = {
    "m": ("comment", True),
    "comment": ("comment", True),
    "v": ("verbose", False),
    "verbose": ("verbose", False),
    "l": ("detail", False),
    "detail": ("detail", False),
    "W": ("width", True),
    "width": ("width", True),
    "a": ("all", False),
    "all": ("all", False),
    "Z": ("eolws", False),
    "ignore-trailing-space": ("eolws", False),
    "w": ("allws", False),
    "ignore-all-space": ("allws", False),
    "strip-trailing-cr": ("strip_cr", False),
    "c": ("context", True),
    "context": ("context", True),
    "n": ("linenum", False),
    "linenum": ("linenum", False),
    "noopt": ("noopt", False),
    "invert": ("invert", False),
    "numstat": ("numstat", False),
    "h": ("versions", False),
    "versions": ("versions", False),
    "brief": ("brief", False),
    "i": ("internal", False),
    "internal": ("internal", False),
    "unified": ("unified", False),
    "y": ("sbs", False),
    "side-by-side": ("sbs", False),
    "yy": ("sbs_slow", False),
    "N": ("new_file", False),
    "new-file": ("new_file", False),
}


def _parse(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Fossil's ``find_option`` over the whole command line: options anywhere, "--" ends them."""
    rest: list[str] = []
    opts: dict[str, Any] = {}
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            rest += args[i:]
            break
        if not a.startswith("-") or a == "-":
            rest.append(a)
            continue
        name = a[2:] if a.startswith("--") else a[1:]
        value = None
        if "=" in name:
            name, value = name.split("=", 1)
        spec = _OPTIONS.get(name)
        if spec is None:
            raise UserError(f"unrecognized command-line option or missing argument: {a}")
        key, takes = spec
        if takes:
            if value is None:
                if i >= len(args):
                    raise UserError(f"unrecognized command-line option or missing argument: {a}")
                value = args[i]
                i += 1
            opts[key] = value
        else:
            opts[key] = True
    return rest, opts


def _is(word: str, *full: str) -> bool:
    return any(f.startswith(word) for f in full)


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data)


def _out(line: str) -> None:
    sys.stdout.buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")
    sys.stdout.flush()


def _comment(text: str, width: int) -> None:
    """``comment_print(text, 0, 7, width, legacy)`` after seven spaces."""
    from fossilpy.cli.history_cmds import _comment_print_legacy

    if width < 0:
        try:
            cols = os.get_terminal_size(1).columns if sys.stdout.isatty() else 0
        except OSError:
            cols = 0
        max_chars = cols - 7 if cols else -1
    else:
        max_chars = width - 7
    out = sys.stdout.buffer
    out.write(b"       ")
    _comment_print_legacy(out, text, 7, max_chars)
    out.flush()


def _prompt(text: str) -> str:
    """``prompt_user``: the prompt on stdout, one line from stdin ("" at end of input)."""
    sys.stdout.write(text)
    sys.stdout.flush()
    return sys.stdin.readline()


@command("stash", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def stash_cmd(args: tuple[str, ...]) -> None:
    """Save local changes to the stash, list, show, apply or drop stashes."""
    from fossilpy.checkout import stash
    from fossilpy.checkout.db import Checkout

    cmdline = " ".join(("stash",) + args)
    if args and args[0].startswith("-") and args[0] != "-":
        raise UserError("Usage: fossilpy stash SUBCOMMAND ARGS...")  # the verb comes first
    words, opts = _parse(list(args))
    with Checkout.find(os.getcwd()) as ck:
        stash.ensure_tables(ck)
        cmd = words[0] if words else "save"
        rest = words[1:]
        if _is(cmd, "save") or _is(cmd, "snapshot"):
            _save(ck, opts, rest, snapshot=not _is(cmd, "save"))
        elif _is(cmd, "list", "ls"):
            _list(ck, opts)
        elif _is(cmd, "drop", "rm"):
            _drop(ck, opts, rest, cmdline)
        elif _is(cmd, "pop", "apply"):
            popped = cmd[0] == "p"
            if popped and rest:
                raise UserError("Usage: fossilpy stash pop")
            if not popped and len(rest) > 1:
                raise UserError("Usage: fossilpy stash apply STASHID")
            stashid = stash.get_id(ck, None if popped or not rest else rest[0])
            _apply(ck, stashid, popped, cmdline)
        elif _is(cmd, "goto"):
            if len(rest) > 1:
                raise UserError("Usage: fossilpy stash apply STASHID")
            _goto(ck, stash.get_id(ck, rest[0] if rest else None), cmdline)
        elif _is(cmd, "diff", "show", "cat"):
            from fossilpy.cli.diff_cmds import make_options

            kw = {
                k: opts.get(k)
                for k in (
                    "eolws allws strip_cr context width linenum noopt invert numstat versions brief internal"
                    " unified verbose new_file sbs sbs_slow"
                ).split()
            }
            dopts = make_options(kw)
            stashid = stash.get_id(ck, rest[0] if len(rest) == 1 else None)
            stash.diff(ck, stashid, not _is(cmd, "diff"), dopts, _write)
        else:
            raise UserError("Usage: fossilpy stash SUBCOMMAND ARGS...")


def _save(ck: Any, opts: dict[str, Any], files: list[str], snapshot: bool) -> None:
    from fossilpy.checkout import ops, stash
    from fossilpy.cli.checkout_cmds import unsaved_changes

    comment = opts.get("comment")
    if not snapshot and not unsaved_changes(ck):
        raise UserError("nothing to stash")
    if comment is None:
        comment = _prompt_for_comment(ck)
    trees = [ops.tree_name(ck, os.getcwd(), f) for f in files]
    stashid = stash.create(ck, comment, trees)
    if snapshot:
        return
    names = [ck.root + r[0] for r in ck.all("SELECT origname FROM localdb.stashfile WHERE stashid=?", (stashid,))]
    if not names:
        return
    ops.revert(ck, os.getcwd(), names, _out, save_undo=False)
    _out(f"stash {stashid} saved")


_STASH_PROMPT = (
    "\n"
    "# Enter a description of what is being stashed.  Lines beginning\n"
    '# with "#" are ignored.  Stash comments are plain text except\n'
    "# newlines are not preserved.\n"
)
_NO_EDITOR = (
    "#\n"
    "# Since no default text editor is set using EDITOR or VISUAL\n"
    '# environment variables or the "fossil set editor" command,\n'
    '# and because no comment was specified using the "-m" or "-M"\n'
    "# command-line options, you will need to enter the comment below.\n"
    '# Type "." on a line by itself when you are done:\n'
)


def _prompt_for_comment(ck: Any) -> str:
    """``prompt_for_user_comment``: the editor (``editor`` setting, $VISUAL, $EDITOR)
    on a temporary file in the checkout, or without one the prompt on stdout and
    lines from stdin up to "." ; "#" lines dropped, leading blank lines and
    trailing white space trimmed."""
    import secrets
    import shlex
    import subprocess

    from fossilpy.artifact.textdiff import strip_bom

    editor = ck.repo.setting("editor") or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        rel = os.path.relpath(ck.root, os.getcwd())
        name = ("./" if rel == "." else rel + "/") + "ci-comment-" + secrets.token_hex(6).upper() + ".txt"
        with open(name, "w") as fh:
            fh.write(_STASH_PROMPT)
        cmd = f"{editor} {shlex.quote(name)}"
        _out(cmd)
        try:
            if subprocess.call(cmd, shell=True):
                raise UserError(f'editor aborted: "{cmd}"')
            with open(name, "rb") as fh:
                reply = fh.read()
        finally:
            if os.path.exists(name):
                os.unlink(name)
        cut = reply.find(b"##########")
        if cut >= 0:
            reply = reply[:cut]
    else:
        sys.stdout.write(_STASH_PROMPT + _NO_EDITOR)
        sys.stdout.flush()
        lines = []
        for line in sys.stdin.buffer:
            if line.rstrip(b"\r\n") == b".":
                break
            lines.append(line)
        reply = b"".join(lines)
    text = strip_bom(reply).replace(b"\r\n", b"\n").decode("utf-8", "surrogateescape")
    kept: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.lstrip(" \t\n\v\f\r")
        if body.startswith("#"):
            continue
        if body or kept:
            kept.append(line)
    return "".join(kept).rstrip(" \t\n\v\f\r")


def _list(ck: Any, opts: dict[str, Any]) -> None:
    from fossilpy.checkout import stash

    width = -1
    if opts.get("width") is not None:
        width = stash.atoi(opts["width"])
        if width != 0 and width <= 46:
            raise UserError("-W|--width value must be >46 or 0")
    verbose = bool(opts.get("verbose") or opts.get("detail"))
    rows = stash.listing(ck)
    for stashid, uuid, comment, when, files in rows:
        _out(f"{stashid:5d}: [{uuid[:14]}] on {when}")
        if comment:
            _comment(comment, width)
        if verbose:
            for added, removed, orig, new in files:
                if added:
                    _out(f"          ADD {new}")
                elif removed:
                    _out(f"          REMOVE {orig}")
                elif orig != new:
                    _out(f"          RENAME {orig} -> {new}")
                else:
                    _out(f"          EDIT {orig}")
    if not rows:
        _out("empty stash")


def _drop(ck: Any, opts: dict[str, Any], ids: list[str], cmdline: str) -> None:
    from fossilpy.checkout import stash, undo

    if opts.get("all"):
        answer = _prompt("This action is not undoable.  Continue (y/N)? ")
        if answer[:1] in ("y", "Y"):
            with ck.repo.write():
                ck.execute("DELETE FROM localdb.stash")
                ck.execute("DELETE FROM localdb.stashfile")
        return
    with ck.repo.write():
        undo.begin(ck, cmdline)
        if ids:
            for arg in ids:
                stashid = stash.get_id(ck, arg)
                stash.save_for_undo(ck, stashid)
                stash.drop(ck, stashid)
        else:
            # Fossil 2.21 drops stash 0 here (none): "stash drop" alone changes nothing
            stash.save_for_undo(ck, 0)
            stash.drop(ck, 0)


def _apply(ck: Any, stashid: int, popped: bool, cmdline: str) -> None:
    from fossilpy.checkout import stash, undo

    comment, when, uuid = ck.row("SELECT comment, datetime(ctime), hash FROM localdb.stash WHERE stashid=?", (stashid,))
    with ck.repo.write():
        undo.begin(ck, cmdline)
        nfiles = ck.one("SELECT count(*) FROM localdb.stashfile WHERE stashid=?", (stashid,))
        stash.apply(ck, stashid, _out)
        if popped:
            stash.save_for_undo(ck, stashid)
        _out(f"{'Popped' if popped else 'Applied'} stash:")
        _out(f"{stashid:5d}: [{str(uuid or '')[:14]}] from {when}")
        if comment:
            _comment(comment, -1)
        if nfiles:
            _out(' "fossil undo" is available to undo changes to the working checkout.')
        if popped:
            stash.drop(ck, stashid)


def _goto(ck: Any, stashid: int, cmdline: str) -> None:
    """``stash goto``: ``update`` to the stash's baseline (Fossil's ``update_to``: no
    autosync, the conflict count handed on), apply the stash, keep it."""
    from fossilpy.checkout import stash, undo, update
    from fossilpy.cli.checkout_cmds import _common_info

    uuid = ck.one("SELECT hash FROM localdb.stash WHERE stashid=?", (stashid,))
    conflicts = 0

    def out(line: str) -> None:
        nonlocal conflicts
        if line == _UNDO_LINE:
            return  # said once, at the end
        if line.startswith("!WARNING: ") and line.endswith(" merge conflicts"):
            conflicts = stash.atoi(line[10:])
            return  # counted with the stash's own conflicts
        _echo(line)

    with ck.repo.write():
        undo.begin(ck, cmdline)
        o = update.Options(version=str(uuid), cmdline=cmdline, cwd=os.getcwd())
        update.update(ck, o, out, lambda rid, label: _common_info(ck, rid, label, family=False))
        nfiles = ck.one("SELECT count(*) FROM localdb.stashfile WHERE stashid=?", (stashid,))
        stash.apply(ck, stashid, _out, conflicts)
        ck.execute(
            "UPDATE localdb.vfile SET mtime=0 WHERE pathname IN"
            " (SELECT origname FROM localdb.stashfile WHERE stashid=?)",
            (stashid,),
        )
    if nfiles:
        _out(_UNDO_LINE)


_UNDO_LINE = ' "fossil undo" is available to undo changes to the working checkout.'


def _echo(line: str) -> None:
    """A line of update: "!" lines are warnings on stderr."""
    if line.startswith("!"):
        sys.stdout.flush()
        sys.stderr.buffer.write(line[1:].encode("utf-8", "surrogateescape") + b"\n")
        sys.stderr.flush()
    else:
        _out(line)
