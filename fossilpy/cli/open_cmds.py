"""``open``: a check-out of a repository file, or of a URL cloned first (``cmd_open`` in
Fossil's ``src/db.c``), and the open that ``clone`` does after a clone.

``open REPOSITORY ?VERSION?`` makes ``.fslckout`` in the current directory (or
``--workdir DIR``), pulls first when the ``autosync`` setting and a remembered
remote say so (``--nosync`` skips it; a failed pull stops the open unless
``--force``), then checks out VERSION (the ``main-branch`` setting's tip by
default) and describes the check-out as ``info`` does.

When REPOSITORY is an ``http:``, ``https:``, ``ssh:`` or ``file:`` URL, it is
first cloned into ``DIR/NAME.fossil``: DIR is ``--repodir`` or the directory
the command started in, NAME the URL's last term (:func:`url_to_repo_basename`).
As Fossil does, the clone's command line is shown before it runs.
"""

from __future__ import annotations

import os
import shlex
import sys

import click

from fossilpy.cli.checkout_cmds import _common_info, _out, _record, _repo_file, config_db
from fossilpy.cli.common import command
from fossilpy.errors import FossilError, UserError

URL_PREFIXES = ("http://", "https://", "ssh:", "file:")


def url_to_repo_basename(url: str) -> str | None:
    """Fossil's ``url_to_repo_basename``: the name a clone of ``url`` gets (its last
    term after "/" or "@", before the query, without a leading ``www.`` when more
    dots follow, cut at the first ".", "?", ":" or "/"); None if there is none."""
    tail = None
    for i, ch in enumerate(url):
        if ch == "?":
            break
        if ch in "/@" and i + 1 < len(url):
            tail = url[i + 1 :]
    if tail is None:
        return None
    if tail[:4].lower() == "www." and "." in tail[4:]:
        tail = tail[4:]
    end = 0
    while end < len(tail) and tail[end] not in ".?:/":
        end += 1
    return tail[:end] or None


def _exe_arg(arg: str) -> str:
    """One argument of a command line as Fossil shows it (quoted when it must be)."""
    return shlex.quote(arg)


def _program() -> str:
    """This program's name as it was run (``fossilpy`` for ``python -m fossilpy``)."""
    argv0 = sys.argv[0] if sys.argv else ""
    return "fossilpy" if not argv0 or argv0.endswith("__main__.py") else argv0


def clone_first(url: str, repodir: str, verbose: bool) -> str:
    """Clone ``url`` into ``repodir/NAME.fossil`` as ``open URL`` does; the file's path."""
    from fossilpy.cli.sync_cmds import clone_cmd

    base = url_to_repo_basename(url)
    if base is None:
        raise UserError(f'unable to deduce a repository name from the url "{url}"')
    target = f"{repodir}/{base}.fossil"
    args = ["--verbose"] if verbose else []
    args += [url, target]
    _out(" ".join([_exe_arg(_program()), "clone", *(_exe_arg(a) for a in args)]))
    try:
        clone_cmd.main(args=args, prog_name="clone", standalone_mode=False)
    except (FossilError, click.ClickException, OSError) as exc:
        _out("!" + (exc.format_message() if isinstance(exc, click.ClickException) else str(exc)))
        raise UserError(f"clone of {url} failed") from None
    return target


@command("open")
@click.option("--empty", is_flag=True, help="Open an empty check-out, connected to the repository.")
@click.option("-f", "--force", is_flag=True, help="Open even if the directory is not empty (or the pull failed).")
@click.option("--force-missing", is_flag=True, help="Go on when content is missing (those files are left out).")
@click.option("-k", "--keep", is_flag=True, help="Only write the check-out database, keep the files.")
@click.option("--nested", is_flag=True, help="Allow opening inside another check-out.")
@click.option("--nosync", is_flag=True, help="Do not autosync before opening.")
@click.option("--repodir", metavar="DIR", default=None, help="Where a repository cloned from a URL goes.")
@click.option("--setmtime", is_flag=True, help="Date each file by the check-in that last changed it.")
@click.option("--verbose", is_flag=True, help="Passed on to the clone of a URL.")
@click.option("--workdir", metavar="DIR", default=None, help="Open in DIR (created if missing).")
@click.argument("repository", metavar="REPOSITORY")
@click.argument("version", required=False)
def open_cmd(
    empty: bool,
    force: bool,
    force_missing: bool,
    keep: bool,
    nested: bool,
    nosync: bool,
    repodir: str | None,
    setmtime: bool,
    verbose: bool,
    workdir: str | None,
    repository: str,
    version: str | None,
) -> None:
    """Open a check-out of REPOSITORY (a file, or a URL to clone) in the current directory."""
    open_checkout(
        repository,
        version,
        empty=empty,
        force=force,
        force_missing=force_missing,
        keep=keep,
        nested=nested,
        nosync=nosync,
        repodir=repodir,
        setmtime=setmtime,
        verbose=verbose,
        workdir=workdir,
    )


def open_checkout(
    repository: str,
    version: str | None = None,
    *,
    empty: bool = False,
    force: bool = False,
    force_missing: bool = False,
    keep: bool = False,
    nested: bool = False,
    nosync: bool = False,
    repodir: str | None = None,
    setmtime: bool = False,
    verbose: bool = False,
    workdir: str | None = None,
) -> None:
    """``cmd_open``; see the module's docstring."""
    from fossilpy.checkout import undo, vfile
    from fossilpy.checkout.db import Checkout, find_root
    from fossilpy.repo import names

    is_url = repository.startswith(URL_PREFIXES)
    start = os.getcwd()
    if repodir and not is_url:
        raise UserError(
            "the --repodir option only makes sense if the REPOSITORY argument is a URI"
            " that begins with http:, https:, ssh:, or file:"
        )
    if workdir:
        if not is_url:
            repository = os.path.abspath(repository)
        if repodir:
            repodir = os.path.abspath(repodir)
        try:
            os.makedirs(workdir, exist_ok=True)
            os.chdir(workdir)
        except OSError:
            raise UserError(f"cannot create directory {workdir}") from None
    cwd = os.getcwd()
    entries = [e for e in os.listdir(cwd) if not e.startswith(".")]
    in_cwd = not is_url and os.path.dirname(os.path.abspath(repository)) == cwd
    if not keep and not force and entries and (len(entries) > 1 or not in_cwd):
        raise UserError(
            f"directory {cwd} is not empty\nuse the -f (--force) option to override\n"
            "or the -k (--keep) option to keep local files unchanged"
        )
    found = find_root(cwd, root_only=nested)
    if found is not None:
        raise UserError(f"there is already an open tree at {found[0]}")
    if is_url:
        os.chdir(start)
        repository = os.path.abspath(clone_first(repository, repodir or start, verbose))
        os.chdir(cwd)
    ck = Checkout.create(cwd, repository)
    try:
        repo = ck.repo
        target: int = 0
        if not empty:
            name = version
            if name is None and repo.one("SELECT 1 FROM event WHERE type='ci'") is not None:
                name = repo.setting("main-branch")
            if not nosync:
                from fossilpy.cli import autosync

                if not autosync.run(ck, "open", _out, ask=None if force else autosync.ask) and not force:
                    raise UserError("unable to auto-sync the repository")
            if name is None:
                target = int(repo.one("SELECT objid FROM event WHERE type='ci' ORDER BY mtime DESC LIMIT 1", (), 0))
            else:
                target = names.resolve(repo, name, "ci")
        _record(ck)  # after the name resolved: a refused open leaves the repository as it was
        with repo.write():
            ck.set_checkout(0)
            if target:
                if vfile.load(ck, target) and not force_missing:
                    raise UserError("missing content, unable to check out")
                if not keep:
                    from fossilpy.cli.progress import Progress

                    progress = Progress(ck.one("SELECT count(*) FROM localdb.vfile WHERE vid=? AND mrid>0", (target,)))
                    vfile.to_disk(ck, target, progress.wrap(_out))
                    progress.finish()
                ck.set_checkout(target)
                vfile.manifest_to_disk(ck, target)
                repo.execute("DELETE FROM localdb.vmerge")
                undo.reset(ck)
                if not keep:
                    from fossilpy.checkout.switch import verify_checksums

                    verify_checksums(ck, target, _out)
            if setmtime and ck.vid:
                from fossilpy.checkout import setmtime as dating

                dating.apply(ck, ck.vid)
        _out(f"project-name: {repo.config_get('project-name', '<unnamed>')}")
        _out(f"repository:   {_repo_file(ck)}")
        _out(f"local-root:   {ck.root}")
        _out(f"config-db:    {config_db()}")
        _out(f"project-code: {repo.config_get('project-code', '')}")
        if ck.vid:
            _common_info(ck, ck.vid, "checkout:")
        count = repo.one("SELECT count(*) FROM event WHERE type='ci'")
        _out(f"check-ins:    {count}")
    except BaseException:
        ck.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(os.path.join(cwd, ".fslckout" + suffix)):
                os.unlink(os.path.join(cwd, ".fslckout" + suffix))
        raise
    ck.close()
