"""``clone``: make a new repository from a remote one.

Network clone (Fossil 2.21 ``clone_cmd``):

1. create an empty repository (no initial check-in, no project-code, a new
   random server-code) whose setup user is ``-A USER``, else the URL user,
   else the local default user; remember the URL;
2. run the sync loop in clone mode: round 1 sends ``clone 3 1`` without a
   login card; the reply's ``push SCODE PCODE`` card sets the project code;
   round 2 adds the login card and ``reqconfig /all``; rounds continue with
   ``clone 3 SEQNO`` until ``clone_seqno 0``;
3. refuse the result if a delta source is still a phantom; rebuild the
   derived tables; VACUUM (8192-byte pages past 1000 pages).

``file://`` clones copy the file (SQLite backup), drop private content
unless ``--private``, add the setup user and rebuild, as Fossil does.

The new repository is built under a temporary name next to the target,
``.NAME.clone-PID.tmp`` (with SQLite's ``-journal``), and renamed only when
complete.  An exception (the command turns SIGTERM, SIGHUP and SIGINT into
one) removes it; what a SIGKILL leaves behind is removed by the next clone
into the same name, once no process has the PID in its name.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from typing import TextIO

from fossilpy.errors import FossilError, ProtocolError, UserError
from fossilpy.repo import capabilities
from fossilpy.repo.create import remove_database
from fossilpy.repo.db import Repo
from fossilpy.sync import url as urlmod
from fossilpy.sync.client import SyncOptions, SyncSession
from fossilpy.sync.transport import open_transport
from fossilpy.text import is_digits


def _temp_name(dest: str) -> str:
    d, base = os.path.split(os.path.abspath(dest))
    return os.path.join(d, f".{base}.clone-{os.getpid()}.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def remove_stale_temp_files(dest: str) -> list[str]:
    """Remove what earlier clones into ``dest`` left behind; the paths removed.

    A file ``.NAME.clone-PID.tmp`` (or its ``-journal``, ``-wal``, ``-shm``)
    is removed only when no process PID exists, so the file of a clone
    still running is never touched.
    """
    d, base = os.path.split(os.path.abspath(dest))
    prefix = f".{base}.clone-"
    try:
        names = os.listdir(d)
    except OSError:
        return []
    removed = []
    for name in sorted(names):
        pid, tmp, suffix = name[len(prefix):].partition(".tmp")
        if not name.startswith(prefix) or not tmp or not is_digits(pid) \
                or suffix not in ("", "-journal", "-wal", "-shm"):
            continue
        if int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        path = os.path.join(d, name)
        try:
            os.remove(path)
        except FileNotFoundError:  # another clone removed it first
            continue
        removed.append(path)
    return removed


def clone(
    source: str,
    dest: str,
    *,
    admin_user: str | None = None,
    private: bool = False,
    unversioned: bool = False,
    verbose: bool = False,
    httptrace: bool = False,
    ssh_command: str | None = None,
    httpauth: str | None = None,
    transport_command: str | None = None,
    remember: bool = True,
    save_password: bool | None = False,
    ask_password: Callable[[urlmod.Url], bool] | None = None,
    env: dict[str, str] | None = None,
    stream: TextIO | None = sys.stdout,
) -> str:
    """Clone ``source`` (URL or file) into the new file ``dest``.

    With ``remember``, the URL is kept as ``last-sync-url``; its password
    too (obscured, ``last-sync-pw``) if ``save_password`` is true, or, when
    it is None, if ``ask_password(url)`` says so: Fossil asks "remember
    password (Y/n)?" after parsing the URL, before anything is fetched.
    """
    if os.path.lexists(dest):
        raise UserError(f"file already exists: {dest}")
    url = urlmod.parse(source)
    if save_password is None:
        save_password = bool(remember and ask_password is not None and ask_password(url))
    if admin_user is None and url.user:
        admin_user = url.user
    tmp = _temp_name(dest)
    remove_stale_temp_files(dest)
    remove_database(tmp)
    out = stream.write if stream is not None else (lambda s: None)
    try:
        if url.is_file and not transport_command:
            repo = _file_copy(url, tmp, private, admin_user, env)
        else:
            repo = _network(url, tmp, admin_user, env, private=private,
                            unversioned=unversioned, verbose=verbose, httptrace=httptrace,
                            ssh_command=ssh_command, httpauth=httpauth,
                            transport_command=transport_command, stream=stream)
        try:
            if remember:
                urlmod.remember(repo, url, with_password=save_password)
            if ssh_command:
                repo.config_set("ssh-command", ssh_command)
            if repo.one("SELECT 1 FROM delta WHERE srcid IN (SELECT rid FROM phantom) LIMIT 1"):
                raise ProtocolError(
                    "there are unresolved deltas - the clone is probably incomplete and unusable."
                )
            out("Rebuilding repository meta-data...\n")
            from fossilpy.repo.rebuild import rebuild

            rebuild(repo)
            out("Vacuuming the database... ")
            if stream is not None:
                stream.flush()
            if (repo.one("PRAGMA page_count") or 0) > 1000 and (repo.one("PRAGMA page_size") or 0) < 8192:
                repo.execute("PRAGMA page_size=8192")
            repo.execute("VACUUM")
            pcode = repo.config_get("project-code")
            scode = repo.config_get("server-code")
            setup = capabilities.setup_user(repo)
            login = admin_user or (setup[1] if setup else None)
            pw = repo.one("SELECT pw FROM user WHERE login=?", (login,))
        finally:
            repo.close()
        os.replace(tmp, dest)
    except BaseException:
        remove_database(tmp)
        raise
    out(f"\nproject-id: {pcode}\nserver-id:  {scode}\n")
    out(f'admin-user: {login} (password is "{pw}")\n')
    return dest


def _network(url: urlmod.Url, tmp: str, admin_user: str | None, env: dict[str, str] | None,
             *, stream: TextIO | None, private: bool, unversioned: bool, verbose: bool, httptrace: bool,
             ssh_command: str | None, httpauth: str | None, transport_command: str | None) -> Repo:
    from fossilpy.repo.create import create_repository

    repo = create_repository(tmp, admin_user=admin_user, env=env or {},
                             initial=False)
    try:
        with repo.write():
            repo.execute("DELETE FROM config WHERE name='project-code'")
            repo.execute("DELETE FROM config WHERE name='hash-policy'")
        tp = open_transport(
            url,
            httptrace=httptrace,
            ssh_command=ssh_command,
            httpauth=httpauth,
            transport_command=transport_command,
        )
        from fossilpy.sync import config_sync

        opts = SyncOptions(
            clone=True,
            private=private,
            unversioned=unversioned,
            verbose=verbose,
            uv_trace=unversioned and verbose,
            config_rcv=config_sync.ALL,
            httptrace=httptrace,
        )
        try:
            res = SyncSession(repo, tp, url, opts, stream=stream).run()
        finally:
            tp.close()
        if res.errors:
            raise ProtocolError("server returned an error - clone aborted")
        if not repo.config_get("project-code"):
            raise ProtocolError("server returned no project code - clone aborted")
    except BaseException:
        repo.close()
        raise
    return repo


def _file_copy(url: urlmod.Url, tmp: str, private: bool, admin_user: str | None,
               env: dict[str, str] | None) -> Repo:
    try:
        src = Repo.open(url.name, readonly=True)
    except FossilError:
        raise UserError(f'not a fossil repository: "{url.name}"') from None
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.db.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    repo = Repo.open(tmp)
    try:
        with repo.write():
            if not private:
                delete_private_content(repo)
            from fossilpy.repo import users

            login = admin_user or users.default_admin_login(env or {}, repo)
            if not repo.one("SELECT 1 FROM user WHERE login=?", (login,)):
                repo.execute(
                    "INSERT INTO user(login,pw,cap,info) VALUES(?,?,'s','')",
                    (login, users.random_password(10)),
                )
    except BaseException:
        repo.close()
        raise
    return repo


def delete_private_content(repo: Repo) -> None:
    """Drop private artifacts, first undeltifying public deltas of them."""
    from fossilpy.repo import content

    for (rid,) in repo.all(
        "SELECT rid FROM delta WHERE srcid IN private AND rid NOT IN private"
    ):
        content.undeltify(repo, rid)
    repo.execute("DELETE FROM blob WHERE rid IN private")
    repo.execute("DELETE FROM delta WHERE rid IN private")
    repo.execute("DELETE FROM private")
    repo.execute("DROP TABLE IF EXISTS modreq")
