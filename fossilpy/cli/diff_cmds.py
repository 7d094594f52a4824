"""Commands that show or prune files of a checkout: ``diff``, ``cat`` and
``clean`` (``src/diffcmd.c``, ``finfo.c`` ``cat_cmd``, ``checkin.c``
``clean_cmd``), with Fossil 2.21's options and output.

``diff`` and ``gdiff`` run the diff program of the ``diff-command`` or
``gdiff-command`` setting (or ``--command``) unless ``-i``
(``fossilpy.checkout.diffext``); ``--webpage``, ``-b``/``--by``,
``--json``, ``--tcl`` and ``--tk`` are Fossil's other forms
(``diffpage``, ``diffformat``, ``difftk``).
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
            click.option("-y", "--side-by-side", "sbs", is_flag=True, help="Side-by-side diff."),
            click.option("--yy", "sbs_slow", is_flag=True, help="Side-by-side diff, better but slower."),
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
    if kw.pop("sbs", None):
        flags |= textdiff.DIFF_SIDEBYSIDE
    if kw.pop("sbs_slow", None):
        flags |= textdiff.DIFF_SIDEBYSIDE | textdiff.DIFF_SLOW_SBS
    if kw.get("unified"):
        flags &= ~textdiff.DIFF_SIDEBYSIDE
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
    from fossilpy.checkout.db import Checkout, find_root

    if find_root(os.getcwd()) is None:
        return None
    return Checkout.find(os.getcwd())  # a checkout whose repository moved: Fossil's error


def _output_options(f: Any) -> Any:
    """The options of ``diff``/``gdiff`` beyond :func:`diff_options`: the HTML, JSON and
    Tcl forms, the Tk and browser viewers, and the external diff programs."""
    for opt in reversed(
        [
            click.option("--webpage", is_flag=True, help="Format output as a stand-alone HTML webpage."),
            click.option("-b", "--browser", "browser", is_flag=True, help="Show the diff output in a web-browser."),
            click.option("--by", "by", is_flag=True, help='Shorthand for "--browser -y".'),
            click.option("--json", "json_", is_flag=True, help="Output formatted as JSON."),
            click.option("--tcl", "-tcl", "tcl", is_flag=True, help="TCL-formatted output used internally by --tk."),
            click.option("--html", "html", is_flag=True, hidden=True),
            click.option("--debug", "debug", is_flag=True, hidden=True),
            click.option("--raw", "raw", is_flag=True, hidden=True),
            click.option("--tk", "tk", is_flag=True, help="Launch a Tcl/Tk GUI for display."),
            click.option("--tclsh", metavar="PATH", default=None, help='TCL/TK used for --tk (default: "tclsh").'),
            click.option("--script", metavar="FILE", default=None, hidden=True),
            click.option("--command", "command_", metavar="PROG", default=None, help="External diff program."),
            click.option("--binary", "binary", metavar="PATTERN", default=None, help="Treat matching files as binary."),
            click.option("--diff-binary", "diff_binary", metavar="BOOL", default=None, help="Include binary files."),
            click.option("--exec-abs-paths", is_flag=True, help="Force absolute path names on external commands."),
            click.option("--exec-rel-paths", is_flag=True, help="Force relative path names on external commands."),
        ]
    ):
        f = opt(f)
    return f


@command("diff")
@diff_options
@_output_options
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
    """Show the changes of the check-out (or between check-ins) as a unified diff,
    or in another form; gdiff runs the gdiff-command program (-i: as diff)."""
    if kw["tk"] or kw["tclsh"] is not None:
        from fossilpy.checkout import difftk

        difftk.run("diff", sys.argv[2:], _write)
        return
    from fossilpy.checkout import diffext

    out = diffext.CStdout()
    try:
        _diff(
            click.get_current_context().info_name == "gdiff", files, frm, to, checkin, branch, undo, repository, kw, out
        )
    finally:
        out.flush()


def _diff(
    gdiff: bool,
    files: tuple[str, ...],
    frm: str | None,
    to: str | None,
    checkin: str | None,
    branch: str | None,
    undo: bool,
    repository: str | None,
    kw: dict[str, Any],
    out: Any,
) -> None:
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
    internal = bool(kw["internal"])
    extra = _form_flags(kw)
    opts = make_options(kw)
    opts.flags |= extra
    ck = _open_checkout_or_none()
    if checkin is None and (to is None or undo):
        if ck is None:
            raise UserError("current directory is not within an open check-out")
    elif checkin is None and frm is None:
        raise UserError("must use --from if --to is present")
    page: Any = None
    try:
        repo = ck.repo if ck is not None else _open_repo(repository)
        _external(gdiff, internal, opts, kw, ck, repo, out)
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
        if opts.flags & diffcmd.DIFF_WEBPAGE:
            from fossilpy.checkout import diffpage

            page = diffpage.Page(opts.flags, out, os.environ)
            out = page.begin()
        write = out.write
        if undo:
            assert ck is not None
            if not ck.vget_int("undo_available", 0):
                write(b"No undo or redo is available\n")
                return
            diffcmd.against_undo(ck, opts, dirs, write)
        elif to is None:
            assert ck is not None
            diffcmd.against_disk(ck, frm, opts, dirs, write)
        else:
            assert frm is not None
            diffcmd.two_versions(repo, frm, to, opts, dirs, write)
        if names and names[0] != ".":
            for i, used in enumerate(dirs.used):
                if not used and not os.path.isdir(files[i]):
                    raise UserError(f"not found: '{files[i]}'")
        if page is not None:
            out = page.end(_setting(ck, repo, "web-browser"))
            write = out.write
        if opts.flags & diffcmd.DIFF_JSON and opts.n_file > 0:
            write(b"]\n")
        if opts.flags & diffcmd.DIFF_NUMSTAT:
            c = opts.counts
            write(b"%10d %10d TOTAL over %d changed files\n" % (c[1], c[2], c[0]))
    finally:
        if page is not None:
            page.discard()  # an error or Ctrl-C before the browser ran: no page left behind
        if ck is not None:
            ck.close()


def _form_flags(kw: dict[str, Any]) -> int:
    """The flags of the HTML, JSON and Tcl forms (``diff_options``)."""
    from fossilpy.artifact import textdiff
    from fossilpy.checkout import diffcmd

    page = textdiff.DIFF_HTML | diffcmd.DIFF_WEBPAGE | textdiff.DIFF_LINENO
    extra = 0
    for name, flag in (
        ("html", textdiff.DIFF_HTML),
        ("webpage", page),
        ("browser", page | diffcmd.DIFF_BROWSER),
        ("by", page | diffcmd.DIFF_BROWSER | textdiff.DIFF_SIDEBYSIDE),
        ("json_", diffcmd.DIFF_JSON),
        ("tcl", diffcmd.DIFF_TCL),
        ("debug", diffcmd.DIFF_DEBUG),
        ("raw", diffcmd.DIFF_RAW),
    ):
        if kw.pop(name):
            extra |= flag
    return extra


def _external(gdiff: bool, internal: bool, opts: Any, kw: dict[str, Any], ck: Any, repo: Any, out: Any) -> None:
    """``diff_options``' choice of a diff program: --command, else the diff-command
    (gdiff-command) setting, unless -i or an HTML, JSON or Tcl form; the options that
    only a program reads are an error without one."""
    from fossilpy.artifact import textdiff
    from fossilpy.checkout import diffcmd, diffext
    from fossilpy.settings import is_truth

    def setting(name: str) -> str | None:
        return _setting(ck, repo, name)

    unread = ["command_", "binary", "diff_binary"]
    if not internal and not opts.flags & (
        textdiff.DIFF_HTML | diffcmd.DIFF_TCL | diffcmd.DIFF_JSON | diffcmd.DIFF_DEBUG
    ):
        unread.remove("command_")
        prog = kw["command_"] or setting("gdiff-command" if gdiff else "diff-command")
        if prog:
            unread = []
            from fossilpy.repo.archive import glob_match, parse_globs

            globs = parse_globs(kw["binary"] if kw["binary"] is not None else setting("binary-glob"))
            if kw["diff_binary"] is not None:
                include = is_truth(kw["diff_binary"])
            else:
                include = _setting_bool(ck, repo, "diff-binary")
            if include:
                opts.flags |= diffcmd.DIFF_INCBINARY
            opts.external = diffext.External(
                prog, include, lambda name: glob_match(repo, globs, name), out, os.environ.get("TMPDIR")
            )
    # determine_exec_relative_option
    opts.rel_paths = _setting_bool(ck, repo, "exec-rel-paths")
    if kw["exec_rel_paths"]:
        opts.rel_paths = True
    if kw["exec_abs_paths"]:
        opts.rel_paths = False
    for name in unread:
        if kw[name] is not None:
            raise UserError(
                "unrecognized command-line option or missing argument: --" + name.rstrip("_").replace("_", "-")
            )


def _setting(ck: Any, repo: Any, name: str) -> str | None:
    """``db_get``: a versionable setting's file in the check-out, else the repository's
    value, else the per-user configuration's (``global_config`` in ~/.fossil), else the
    default (repo.setting alone knows no per-user values)."""
    if ck is not None:
        from fossilpy.checkout.settings import is_versionable, versioned_value

        if is_versionable(name) and versioned_value(ck.root, name) is not None:
            return ck.setting(name)  # type: ignore[no-any-return]
    if repo.config_get(name) is None:
        value = global_setting(name)
        if value is not None:
            return value
    return repo.setting(name)  # type: ignore[no-any-return]


def _setting_bool(ck: Any, repo: Any, name: str) -> bool:
    """``db_get_boolean`` of :func:`_setting`."""
    from fossilpy import settings

    return settings.as_bool(_setting(ck, repo, name), settings.default_bool(settings.registered(name)))


def global_setting(name: str) -> str | None:
    """Setting ``name`` in the per-user configuration database, None if unset or unreadable."""
    import sqlite3
    from urllib.parse import quote

    from fossilpy.cli.checkout_cmds import config_db

    path = config_db()
    if not os.path.isfile(path):
        return None
    try:
        con = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM global_config WHERE name=?", (name,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return None if row is None or row[0] is None else str(row[0])


def _open_repo(path: str | None) -> Any:
    from fossilpy.cli.common import open_repo

    return open_repo(path)


@command("cat")
@click.option("-r", "revision", metavar="VERSION", default=None, help="The check-in holding the files.")
@click.option("-R", "--repository", "repository", metavar="FILE", default=None, help="The repository.")
@click.argument("files", nargs=-1)
def cat_cmd(files: tuple[str, ...], revision: str | None, repository: str | None) -> None:
    """Print the content of FILES as in the current check-out (or check-in -r VERSION)."""
    from fossilpy.artifact import manifest
    from fossilpy.checkout import diffcmd
    from fossilpy.checkout.ops import tree_name
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    ck = None if repository else _open_checkout_or_none()
    repo = ck.repo if ck is not None else _open_repo(repository)
    try:
        if revision is not None:
            rid = diffcmd.checkin_rid(repo, revision)
        elif ck is None:
            rid = diffcmd.checkin_rid(repo, repo.setting("main-branch") or "trunk")
        else:
            rid = ck.vid
        m = manifest.parse_or_none(content.get(repo, rid) or b"") if rid else None
        if rid and m is None:
            raise UserError(
                f"could not parse manifest for check-in: {revision}"
                if revision
                else "could not parse manifest for current check-out"
            )
        listing = {name: uuid for name, uuid, _perm in (checkin_files(repo, m) if m else [])}
        for arg in files:
            name = tree_name(ck, os.getcwd(), arg) if ck is not None else arg
            uuid = listing.get(name)
            if uuid is None:
                raise UserError(
                    f"file {name} does not exist in check-in {revision}" if revision else f"no such file: {name}"
                )
            data = content.get_by_uuid(repo, uuid)
            if data is None:
                where = f" in check-in {revision}" if revision else ""
                raise UserError(f"missing artifact {uuid} for file {name}{where}")
            _write(data)
            sys.stdout.flush()
    finally:
        repo.close()


class _Prompter:
    """``prompt_user`` with Fossil's ``fossil_force_newline``: a prompt starts on a
    fresh line of stdout; the answer is the line read, trimmed (``strip_string``)."""

    def __init__(self) -> None:
        self.at_bol = True

    def out(self, line: str) -> None:
        if line.startswith("!"):
            sys.stdout.flush()
            sys.stderr.buffer.write(line[1:].encode("utf-8", "surrogateescape") + b"\n")
            sys.stderr.flush()
            return
        _write(line.encode("utf-8", "surrogateescape") + b"\n")
        sys.stdout.flush()
        self.at_bol = True

    def ask(self, prompt: str) -> str:
        if not self.at_bol:
            _write(b"\n")
        _write(prompt.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
        self.at_bol = prompt.endswith("\n")
        line = sys.stdin.readline()
        if line.endswith("\n"):
            self.at_bol = True
        line = line.lstrip(" \t\n\v\f\r")
        for i, ch in enumerate(line):
            if ch in "\r\n":
                line = line[:i].rstrip(" \t\n\v\f\r")
                break
        return "".join(" " if "\x00" < ch < " " else ch for ch in line)


@command("clean")
@click.option("-n", "--dry-run", "dry_run", is_flag=True, help="Delete nothing, show what would be deleted.")
@click.option("--test", "dry_run_test", is_flag=True, hidden=True)
@click.option("--whatif", "dry_run_whatif", is_flag=True, hidden=True)
@click.option("--disable-undo", "disable_undo", is_flag=True, help="Do not save the files for undo.")
@click.option("--no-prompt", "no_prompt", is_flag=True, help="Answer no to every question.")
@click.option("-i", "--prompt", "prompt", is_flag=True, help="Ask before removing each file.")
@click.option("-f", "--force", is_flag=True, help="Remove files without asking.")
@click.option("--dirsonly", "dirs_only", is_flag=True, help="Only remove empty folders.")
@click.option("-d", "--emptydirs", "empty_dirs", is_flag=True, help="Also remove empty folders.")
@click.option("--dotfiles", is_flag=True, help="Include files whose names begin with '.'.")
@click.option("--allckouts", is_flag=True, help="Look for empty folders inside nested check-outs too.")
@click.option("--temp", is_flag=True, help="Remove only Fossil's temporary files (*-baseline, ...).")
@click.option("--ignore", metavar="CSG", default=None, help="Never remove files matching these globs.")
@click.option("--keep", metavar="CSG", default=None, help="Keep files matching these globs.")
@click.option("--clean", "clean_globs", metavar="CSG", default=None, help="Remove these without asking or undo.")
@click.option("-v", "--verbose", is_flag=True, help="Show every file removed.")
@click.option("-x", "--verily", is_flag=True, help="Remove everything not managed (-f --emptydirs --dotfiles ...).")
@click.argument("paths", nargs=-1)
def clean_cmd(paths: tuple[str, ...], **kw: Any) -> None:
    """Delete the files of the check-out that are not under version control."""
    from fossilpy.checkout import clean
    from fossilpy.checkout.db import Checkout
    from fossilpy.repo.archive import parse_globs

    cmdline = "clean" + "".join(" " + a for a in sys.argv[2:]) if len(sys.argv) > 1 else "clean"
    opts = clean.CleanOptions(
        dry_run=bool(kw["dry_run"] or kw["dry_run_test"] or kw["dry_run_whatif"]),
        disable_undo=bool(kw["disable_undo"]),
        no_prompt=bool(kw["no_prompt"]),
        prompt=bool(kw["prompt"]),
        force=bool(kw["force"]),
        dirs_only=bool(kw["dirs_only"]),
        empty_dirs=bool(kw["empty_dirs"] or kw["dirs_only"]),
        dotfiles=bool(kw["dotfiles"]),
        nested=bool(kw["allckouts"]),
        temp=bool(kw["temp"]),
        verbose=bool(kw["verbose"]),
    )
    ignore, keep, clean_globs = kw["ignore"], kw["keep"], kw["clean_globs"]
    with Checkout.find(os.getcwd()) as ck:
        if kw["verily"]:
            opts.force = opts.empty_dirs = opts.disable_undo = opts.dotfiles = True
            clean_globs = None
        else:
            ignore = ignore if ignore is not None else ck.setting("ignore-glob")
            keep = keep if keep is not None else ck.setting("keep-glob")
            clean_globs = clean_globs if clean_globs is not None else ck.setting("clean-glob")
        if ck.setting_bool("dotfiles"):
            opts.dotfiles = True
        opts.ignore, opts.keep, opts.clean = parse_globs(ignore), parse_globs(keep), parse_globs(clean_globs)
        p = _Prompter()
        clean.clean(ck, os.getcwd(), list(paths), opts, p.out, p.ask, cmdline)
