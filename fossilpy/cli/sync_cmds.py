"""Sync commands: clone, pull, push, sync, remote, uv, test-xfer."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import ProtocolError, UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.sync.url import Url

_F = TypeVar("_F", bound=Callable[..., Any])


def _sync_options(f: _F) -> _F:
    opts = [
        click.option("-B", "--httpauth", metavar="USER:PASS", help="HTTP Basic Authorization credentials."),
        click.option("--once", is_flag=True, help="Do not remember the URL for later syncs."),
        click.option("--all", "all_remotes", is_flag=True, help="Use every remembered remote, not just the default."),
        click.option("--private", is_flag=True, help="Also transfer private branches."),
        click.option("--verily", is_flag=True, help="Exchange the full catalogue of artifacts."),
        click.option("-v", "--verbose", is_flag=True, help="Show per-round statistics."),
        click.option("--no-http-compression", is_flag=True, help="Do not compress HTTP traffic."),
        click.option(
            "--httptrace", is_flag=True, help="Save each request/reply as http-request-N.txt/http-reply-N.txt."
        ),
        click.option("-c", "--ssh-command", metavar="SSH", help='Use SSH as the "ssh" command.'),
        click.option("--transport-command", metavar="CMD", help="Run CMD URL UPFILE DOWNFILE per round trip."),
        repository_option(),
        click.argument("url", required=False),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _ask_remember(url: Url) -> bool:
    """Fossil's ``save_password_prompt``: for a URL with a password, on a terminal only.

    Prints ``remember password (Y/n)? `` and reads one line; anything but
    an answer starting with n or N (an empty line too) means yes.  Never
    asked for ssh URLs, nor when FOSSIL_SECURITY_LEVEL is 1 or more.
    """
    import re

    if not (url.user and url.password) or url.is_ssh or not sys.stdin.isatty():
        return False
    level = re.match(r"\s*([-+]?\d+)", os.environ.get("FOSSIL_SECURITY_LEVEL") or "")
    if level and int(level.group(1)) >= 1:
        return False
    sys.stdout.write("remember password (Y/n)? ")
    sys.stdout.flush()
    return not sys.stdin.readline().strip().startswith(("n", "N"))


def _prompt_password(user: str) -> str:
    if not sys.stdin.isatty():
        raise UserError(f'missing or incorrect password for user "{user}"')
    return click.prompt(f"password for {user}", hide_input=True, default="", show_default=False)


def _run_sync(repository: str | None, url_arg: str | None, *, push: bool, pull: bool, all_remotes: bool = False,
              **kw: Any) -> None:
    if not all_remotes:
        _run_one(repository, url_arg, push=push, pull=pull, **kw)
        return
    if url_arg:
        raise UserError(f'cannot use both the --all option and specific URL "{url_arg}"')
    repo = open_repo(repository, readonly=True)
    try:
        default = repo.config_get("last-sync-url")
        names = [None] if default else []
        names += [n for (n, v) in repo.all(
            "SELECT substr(name,10), value FROM config WHERE name GLOB 'sync-url:*' ORDER BY 1"
        ) if v != default]
    finally:
        repo.close()
    if not names:
        raise UserError('no remote URL: give one, or set it with the "remote" command')
    for name in names:
        _run_one(repository, name, push=push, pull=pull, **{**kw, "once": True})


def _run_one(repository: str | None, url_arg: str | None, *, push: bool, pull: bool, unversioned: bool = False,
             uv_revert: bool = False, uv_dryrun: bool = False, **kw: Any) -> None:
    from fossilpy.sync import url as urlmod
    from fossilpy.sync.client import SyncOptions, SyncSession
    from fossilpy.sync.transport import open_transport

    repo = open_repo(repository)
    try:
        url = urlmod.from_config(repo, url_arg)
        if url is None:
            raise UserError("no remote URL: give one, or set it with the \"remote\" command")
        remember = bool(url_arg) and url_arg != "default" and not kw.get("once") \
            and not repo.config_get(f"sync-url:{url_arg}")
        save_password = remember and _ask_remember(url)  # asked before the sync, as Fossil does
        if unversioned is False and push and pull and repo.setting_bool("uv-sync"):
            unversioned = True
        if push and repo.setting_bool("dont-push") and not pull:
            raise UserError("pushing is prohibited: the 'dont-push' option is set")
        ssh = kw.get("ssh_command") or repo.setting("ssh-command")
        tp = open_transport(url, httptrace=kw.get("httptrace", False), ssh_command=ssh,
                            httpauth=kw.get("httpauth"), transport_command=kw.get("transport_command"))
        opts = SyncOptions(
            push=push, pull=pull, private=kw.get("private", False), verbose=kw.get("verbose", False),
            resync=kw.get("verily", False), unversioned=unversioned, uv_revert=uv_revert,
            uv_dryrun=uv_dryrun, uv_trace=uv_dryrun or (unversioned and kw.get("verbose", False)),
            httptrace=kw.get("httptrace", False), no_compress=kw.get("no_http_compression", False),
        )
        try:
            res = SyncSession(repo, tp, url, opts, password_prompt=_prompt_password).run()
        finally:
            tp.close()
        if not res.errors and remember:
            urlmod.remember(repo, url, with_password=save_password)
        if res.errors:
            raise ProtocolError(res.errors[0].splitlines()[0])
    finally:
        repo.close()


@command("pull")
@_sync_options
def pull_cmd(repository: str | None, url: str | None, **kw: Any) -> None:
    """Pull all sharable changes from a remote repository (default: the remembered URL)."""
    _run_sync(repository, url, push=False, pull=True, **kw)


@command("push")
@_sync_options
def push_cmd(repository: str | None, url: str | None, **kw: Any) -> None:
    """Push all sharable changes to a remote repository."""
    _run_sync(repository, url, push=True, pull=False, **kw)


@command("sync")
@_sync_options
@click.option("-u", "--unversioned", is_flag=True, help="Also sync unversioned content.")
def sync_cmd(repository: str | None, url: str | None, unversioned: bool, **kw: Any) -> None:
    """Synchronize (push and pull) with a remote repository."""
    _run_sync(repository, url, push=True, pull=True, unversioned=unversioned or False, **kw)


class _Terminated(BaseException):
    """A termination signal arrived; raised from the handler so that clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_clean_up() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP and SIGINT into an exception while the block runs.

    The block's ``except``/``finally`` clauses run (a clone removes its
    temporary files); then the process dies of the same signal, so the
    caller sees the exit status it would have seen without the handler.
    Further signals are ignored while cleaning up.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    def handler(signum: int, frame: object) -> None:
        for s in signums:
            signal.signal(s, signal.SIG_IGN)
        raise _Terminated(signum)

    old = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    except _Terminated as exc:
        signal.signal(exc.signum, signal.SIG_DFL)
        os.kill(os.getpid(), exc.signum)
        raise SystemExit(128 + exc.signum) from None  # only if the signal did not end the process
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@command("clone")
@click.option("-A", "--admin-user", metavar="USERNAME", help="Make USERNAME the administrator.")
@click.option("-B", "--httpauth", metavar="USER:PASS", help="HTTP Basic Authorization credentials.")
@click.option("--once", is_flag=True, help="Do not remember the URL.")
@click.option("--private", is_flag=True, help="Also clone private branches.")
@click.option("--save-http-password", is_flag=True, help="Remember the password without asking.")
@click.option("-c", "--ssh-command", metavar="SSH", help='Use SSH as the "ssh" command.')
@click.option("--transport-command", metavar="CMD", help="Run CMD URL UPFILE DOWNFILE per round trip.")
@click.option("-u", "--unversioned", is_flag=True, help="Also sync unversioned content.")
@click.option("-v", "--verbose", is_flag=True, help="Show per-round statistics.")
@click.option("--httptrace", is_flag=True, help="Save each request/reply in the current directory.")
@click.option("--nocompress", is_flag=True, help="Accepted for compatibility (no extra deltification).")
@click.option("--no-open", is_flag=True, help="Clone only: do not open a check-out.")
@click.option("--nested", is_flag=True, help="Allow opening the check-out inside another one.")
@click.option("--workdir", metavar="DIR", help="Also open a check-out in DIR.")
@click.argument("source")
@click.argument("filename", required=False)
def clone_cmd(admin_user: str | None, httpauth: str | None, once: bool, private: bool, save_http_password: bool,
              ssh_command: str | None, transport_command: str | None, unversioned: bool, verbose: bool,
              httptrace: bool, nocompress: bool, no_open: bool, nested: bool, workdir: str | None, source: str,
              filename: str | None) -> None:
    """Make a clone of the repository at SOURCE (URL or file) in FILENAME.

    Without FILENAME the clone is ./NAME.fossil, NAME taken from the URL's last
    term, and a check-out of it is opened in ./NAME; --workdir DIR opens one in
    DIR in any case; --no-open never opens one."""
    from fossilpy.sync.clone import clone

    if filename is None:  # (the check-out commands are imported only when one is opened)
        from fossilpy.cli.open_cmds import url_to_repo_basename

        base = url_to_repo_basename(source)
        if base is None:
            raise UserError(
                f'unable to guess a repository name from the url "{source}".\n'
                "give the repository filename as an additional argument."
            )
        filename = f"./{base}.fossil"
        workdir = workdir or f"./{base}"
    with _signals_clean_up():
        clone(source, filename, admin_user=admin_user, private=private, unversioned=unversioned,
              verbose=verbose, httptrace=httptrace, ssh_command=ssh_command, httpauth=httpauth,
              transport_command=transport_command, remember=not once,
              save_password=save_http_password or None,
              ask_password=_ask_remember, env=dict(os.environ))
    if workdir and not no_open:
        from fossilpy.cli.open_cmds import open_checkout

        click.echo(f"opening the new {filename} repository in directory {workdir}...")
        open_checkout(filename, nosync=True, workdir=workdir, nested=nested)


@command("remote")
@repository_option()
@click.option("--show-passwords", is_flag=True, help="Show passwords with config-data.")
@click.argument("args", nargs=-1)
def remote_cmd(repository: str | None, show_passwords: bool, args: tuple[str, ...]) -> None:
    """View or change remembered remote URLs.

    \b
    remote                 show the default URL ("off" if none)
    remote URL|NAME        make it the default
    remote off             forget the default
    remote list|ls         list all
    remote add NAME URL    add a named remote
    remote delete NAME     delete one
    remote scrub           forget all saved passwords
    """
    from fossilpy.sync import auth
    from fossilpy.sync import url as urlmod

    repo = open_repo(repository)
    try:
        if not args:
            cur = repo.config_get("last-sync-url")
            click.echo("off" if not cur else urlmod.parse(str(cur)).canonical)
            return
        sub, rest = args[0], args[1:]
        if sub == "off":
            repo.execute("DELETE FROM config WHERE name GLOB 'last-sync-*'")
        elif sub in ("list", "ls") or ("list".startswith(sub) and len(sub) > 1):
            for name, value in repo.all(
                "SELECT 'default', value FROM config WHERE name='last-sync-url' UNION ALL"
                " SELECT substr(name,10), value FROM config WHERE name GLOB 'sync-url:*' ORDER BY 1"
            ):
                click.echo(f"{name:<18} {value}")
        elif sub == "add":
            if len(rest) != 2:
                raise UserError("usage: remote add NAME URL")
            name, target = rest
            if name == "default":
                raise UserError("update the \"default\" remote-url with 'fossil remote REF'")
            if target == "default":
                canon, pw = repo.config_get("last-sync-url"), auth.unobscure(repo.config_get("last-sync-pw"))
            else:
                u = urlmod.parse(target)
                canon, pw = u.canonical, u.password
            with repo.write():
                repo.config_set(f"sync-url:{name}", canon)
                repo.config_set(f"sync-pw:{name}", auth.obscure(pw) if pw else None)
        elif sub in ("delete", "del") or (len(sub) > 1 and "delete".startswith(sub)):
            if len(rest) != 1:
                raise UserError("usage: remote delete NAME")
            if rest[0] == "default":
                repo.execute("DELETE FROM config WHERE name GLOB 'last-sync-*'")
            else:
                with repo.write():
                    repo.execute("DELETE FROM config WHERE name=?", (f"sync-url:{rest[0]}",))
                    repo.execute("DELETE FROM config WHERE name=?", (f"sync-pw:{rest[0]}",))
        elif sub == "scrub":
            repo.execute("DELETE FROM config WHERE name GLOB 'sync-pw:*' OR name='last-sync-pw'")
        elif sub == "config-data":
            for name, value in repo.all(
                "SELECT name, value FROM config WHERE name GLOB 'sync-*:*' OR name GLOB 'last-sync-*'"
                " OR name GLOB 'parent-project-*'"
                " ORDER BY name LIKE '%sync-pw%' OR name='parent-project-pw', name"
            ):
                if "sync-pw" in name or name == "parent-project-pw":
                    value = auth.unobscure(value) if show_passwords else "*" * (len(value or "") // 2 - 1)
                click.echo(f"{name:<13}  {value}")
        elif sub.startswith(("http://", "https://", "ssh:", "file:")) or repo.config_get(f"sync-url:{sub}"):
            with repo.write():
                repo.execute("DELETE FROM config WHERE name IN ('last-sync-url','last-sync-pw')")
                remote = urlmod.from_config(repo, sub)
                if remote is None:  # "default" with no default set
                    raise UserError('no remote URL: give one, or set it with the "remote" command')
                urlmod.remember(repo, remote, with_password=bool(remote.password))
        else:
            raise UserError(
                f'unknown command "{sub}" - should be a URL or one of: add delete list off scrub'
            )
    finally:
        repo.close()


@command("uv")
@repository_option()
@click.option("--mtime", metavar="TIMESTAMP", help='Use TIMESTAMP instead of "now".')
@click.option("--as", "as_name", metavar="UVFILE", help="Name in the repository (add).")
@click.option("--glob", metavar="PATTERN", help="Only names matching the GLOB pattern.")
@click.option("--like", metavar="PATTERN", help="Only names matching the LIKE pattern.")
@click.option("-l", "long_", is_flag=True, help="Long listing.")
@click.option("-a", "--all", "all_", is_flag=True, help="Also list deleted files.")
@click.option("-v", "--verbose", is_flag=True, help="Extra diagnostics (sync/revert).")
@click.option("-n", "--dry-run", is_flag=True, help="Show what sync/revert would do.")
@click.option("-c", "--ssh-command", metavar="SSH", help='Use SSH as the "ssh" command.')
@click.option("--httptrace", is_flag=True, help="Save each request/reply (sync/revert).")
@click.argument("subcommand")
@click.argument("args", nargs=-1)
def uv_cmd(
    repository: str | None, mtime: str | None, as_name: str | None, glob: str | None, like: str | None,
    long_: bool, all_: bool, verbose: bool, dry_run: bool, ssh_command: str | None, httptrace: bool,
    subcommand: str, args: tuple[str, ...],
) -> None:
    """Unversioned files: add, cat, export, list|ls, rm|remove|delete, touch, sync, revert, hash."""
    from fossilpy.sync import uv

    sub = subcommand
    if sub in ("sync", "revert"):
        _run_sync(repository, args[0] if args else None, push=False, pull=False, unversioned=True,
                  uv_revert=sub == "revert", uv_dryrun=dry_run, verbose=verbose,
                  ssh_command=ssh_command, httptrace=httptrace, once=True)
        return
    repo = open_repo(repository)
    try:
        uv.ensure_schema(repo)
        now = int(time.time())
        if mtime:
            now = int(repo.one("SELECT strftime('%s',?)", (mtime,)) or 0)
            if now <= 0:
                raise UserError(f"bad timestamp: '{mtime}'")
        if sub == "add":
            _uv_add(repo, args, as_name, now)
        elif sub == "cat":
            out = sys.stdout.buffer
            for name in args:
                data = uv.read(repo, name)
                if data is not None:
                    out.write(data)
        elif sub == "export":
            if len(args) != 2:
                raise UserError("usage: uv export UVFILE OUTPUT")
            data = uv.read(repo, args[0])
            if data is None:
                raise UserError(f"no such uv-file: '{args[0]}'")
            if args[1] == "-":
                sys.stdout.buffer.write(data)
            else:
                with open(args[1], "wb") as fh:
                    fh.write(data)
        elif sub == "hash":
            click.echo(uv.content_hash(repo, recompute=False))
        elif sub in ("list", "ls") or (len(sub) > 1 and "list".startswith(sub)):
            _uv_list(repo, glob, like, long=long_ or sub.startswith("li"), deleted=all_)
        elif sub in ("rm", "remove", "delete"):
            with repo.write():
                if glob:
                    repo.execute("UPDATE unversioned SET hash=NULL, content=NULL, mtime=?, sz=0"
                                 " WHERE name GLOB ?", (now, glob))
                if like:
                    repo.execute("UPDATE unversioned SET hash=NULL, content=NULL, mtime=?, sz=0"
                                 " WHERE name LIKE ?", (now, like))
                for name in args:
                    repo.execute("UPDATE unversioned SET hash=NULL, content=NULL, mtime=?, sz=0"
                                 " WHERE name=?", (now, name))
                repo.execute("DELETE FROM config WHERE name='uv-hash'")
        elif sub == "touch":
            with repo.write():
                for name in args:
                    repo.execute("UPDATE unversioned SET mtime=? WHERE name=?", (now, name))
                repo.execute("DELETE FROM config WHERE name='uv-hash'")
        else:
            raise UserError("usage: uv add|cat|export|list|revert|remove|sync|touch")
    finally:
        repo.close()


def _uv_add(repo: Repo, disk_files: tuple[str, ...], as_name: str | None, now: int) -> None:
    """``uv add DISKFILE... [--as UVFILE]``."""
    from fossilpy.repo import content
    from fossilpy.sync import uv

    if as_name and len(disk_files) != 1:
        raise UserError("usage: uv add DISKFILE --as UVFILE")
    for disk in disk_files:
        name = as_name or disk
        problem = (
            "be empty string" if not name else
            "be absolute" if name.startswith("/") else
            "contain complex paths" if not _simple(name) else
            "contain whitespace" if any(c.isspace() for c in name) else None
        )
        if problem:
            raise UserError(f"unversioned filenames may not {problem}: '{name}'")
        try:
            with open(disk, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UserError(f"cannot read {disk}: {exc.strerror}") from None
        with repo.write():
            rcvid = content.begin_receive(repo)
            uv.write(repo, name, data, now, rcvid)


def _uv_list(repo: Repo, glob: str | None, like: str | None, *, long: bool, deleted: bool) -> None:
    """``uv list``/``ls``: names, or (``long``) hash, time, sizes and name of each file."""
    where = "1"
    params: tuple[str, ...] = ()
    if glob:
        where, params = "name GLOB ?", (glob,)
    if like:
        where, params = "name LIKE ?", (like,)
    if not long:
        extra = "" if deleted else " AND hash IS NOT NULL"
        for (name,) in repo.all(f"SELECT name FROM unversioned WHERE {where}{extra} ORDER BY name", params):
            click.echo(name)
        return
    for h, when, sz, clen, name, ctype in repo.all(
        "SELECT hash, datetime(mtime,'unixepoch'), sz, length(content), name,"
        f" typeof(content) FROM unversioned WHERE {where} ORDER BY name", params,
    ):
        note = ""
        if h is None:
            if not deleted:
                continue
            h = "(deleted)"
        elif ctype == "null":
            note = " (no content)"
        click.echo(f"{h[:12]:>12} {when} {sz or 0:8d} {clen or 0:8d} {name}{note}")


def _simple(name: str) -> bool:
    from fossilpy.sync.cards import is_simple_filename

    return is_simple_filename(name)


@command("test-xfer")
@repository_option()
@click.option("--host", metavar="HOSTNAME", default="localhost:8080", help="Server host name.")
@click.argument("xferfile", required=False, default="-")
def test_xfer_cmd(repository: str | None, host: str, xferfile: str) -> None:
    """Run the uncompressed sync request in XFERFILE through the server handler
    (login cards are accepted unchecked) and print the reply."""
    from fossilpy.sync.server import run_test_xfer

    if xferfile == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(xferfile, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UserError(f"cannot read {xferfile}: {exc.strerror}") from None
    repo = open_repo(repository)
    try:
        sys.stdout.buffer.write(run_test_xfer(repo, data))
    finally:
        repo.close()
