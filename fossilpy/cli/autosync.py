"""Autosync: the pull before ``update``/``merge``/``commit`` and the sync after
``commit`` (``autosync`` and ``autosync_loop`` in ``src/sync.c``).

The ``autosync`` setting is read per command as Fossil's
``db_get_for_subsystem``: a comma-separated list whose entries without
"=" give the default and ``NAME=VALUE`` entries override it for command
NAME (``on,update=off``).  Off (any false value): nothing.  ``pullonly``
(anything matching ``*pull*``), or the ``dont-push`` setting: pulls only,
no push after a commit.  ``all`` (``*all*``): the default remote, then
every remote named by ``fossil remote add`` with another URL.  No default
remote (``last-sync-url``): nothing.
Otherwise the remote is named (``Pull from URL`` / ``Sync with URL``) and
one sync runs with the usual round-trip lines.  A failed sync is retried
up to ``autosync-tries`` times; then ``Autosync failed.`` and, before the
command's work, the question ``continue in spite of sync failure (y/N)?``.

This is CLI glue: the checkout layer lies below the sync layer, so the
commands call these functions around their checkout work.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.errors import FossilError, UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

Out = Callable[[str], None]


@dataclass
class CheckinLock:
    """The check-in lock a commit asks the server for (``SYNC_CKIN_LOCK``): the hash of
    the check-out's check-in, and who holds it when the server said ``ci-lock-fail``."""

    uuid: str
    held_by: str | None = None


def setting_for(value: str | None, subsystem: str) -> str | None:
    """``db_get_for_subsystem``: the entry of ``value`` that applies to ``subsystem``."""
    if value is None:
        return None
    result: str | None = None
    for item in value.split(","):
        item = item.strip()
        if "=" not in item:
            if result is None:
                result = item
        elif subsystem and item.startswith(subsystem + "="):
            return item[len(subsystem) + 1 :]
    return result


def _value(ck: Checkout, subsystem: str) -> str:
    """The ``autosync`` setting for ``subsystem`` ("on" when unset)."""
    value = setting_for(ck.repo.setting("autosync"), subsystem)
    return "on" if value is None else value


def _remotes(ck: Checkout, push: bool, subsystem: str) -> list[str | None]:
    """The remotes to sync with: none (autosync off, or a push that ``pullonly`` or
    ``dont-push`` forbids), the default one, or with ``all`` also every named remote
    whose URL is not the default's (``client_sync_all_urls``)."""
    from fossilpy.settings import is_false

    value = _value(ck, subsystem)
    if is_false(value.strip()):
        return []
    if push and (ck.repo.setting_bool("dont-push") or "pull" in value):
        return []
    names: list[str | None] = [None]
    if "all" in value:
        default = ck.repo.config_get("last-sync-url")
        names += [
            str(n)
            for (n,) in ck.all(
                "SELECT substr(name,10) FROM config WHERE name GLOB 'sync-url:*'"
                " AND value<>coalesce((SELECT value FROM config WHERE name='last-sync-url'),'')"
            )
            if n != default
        ]
    return names


def _client_id(ck: Checkout, lock: CheckinLock | None) -> str | None:
    """The check-out's ``client-id`` (vvar), made when a lock is first asked for."""
    cid = ck.vget("client-id")
    if cid is None and lock is not None:
        cid = os.urandom(20).hex()
        ck.vset("client-id", cid)
    return cid


def _one(
    ck: Checkout, name: str | None, push: bool, pull: bool, out: Out, verbose: bool, lock: CheckinLock | None
) -> bool:
    """One sync with the default remote (or remote ``name``); True when it worked
    (or there is no such remote)."""
    from fossilpy.sync import url as urlmod

    repo = ck.repo
    url = urlmod.from_config(repo, name)
    if url is None:
        return True
    # Only now: the sync client and its transports cost a command without a remote ~20 ms.
    from fossilpy.sync.client import SyncOptions, SyncSession
    from fossilpy.sync.transport import open_transport

    last_rcvid = int(repo.one("SELECT max(rcvid) FROM rcvfrom", (), 0) or 0)
    what = "Sync with" if push and pull else "Push to" if push else "Pull from"
    out(f"{what} {url.canonical}")
    try:
        tp = open_transport(url, ssh_command=repo.setting("ssh-command"))
        try:
            opts = SyncOptions(push=push, pull=pull, verbose=verbose)
            opts.client_id = _client_id(ck, lock)
            opts.ckin_lock = lock.uuid if lock is not None else None
            opts.unversioned = push and pull and repo.setting_bool("uv-sync")
            res = SyncSession(repo, tp, url, opts, password_prompt=_no_password).run()
        finally:
            tp.close()
            sys.stdout.flush()
    except (FossilError, OSError) as exc:
        out("!" + str(exc).splitlines()[0] if str(exc) else "!sync failed")
        return False
    if lock is not None and res.ckin_lock_fail is not None:
        lock.held_by = res.ckin_lock_fail
    if res.errors:
        out("!" + res.errors[0].splitlines()[0])
        return False
    rcvid = int(repo.one("SELECT max(rcvid) FROM rcvfrom", (), 0) or 0)
    if rcvid > last_rcvid and _any_has_fork(ck, rcvid):
        out("!***** WARNING: a fork has occurred *****")
        out('!use "fossil leaves -multiple" for more details.')
    return True


def _any_has_fork(ck: Checkout, rcvid: int) -> bool:
    """``fossil_any_has_fork``: did the check-ins received in ``rcvid`` fork a branch?"""
    from fossilpy.checkout import ancestry

    for (pid,) in ck.all(
        "SELECT pid FROM plink WHERE pid>0 AND isprim AND cid IN (SELECT blob.rid FROM blob WHERE rcvid=?)", (rcvid,)
    ):
        children = ck.one(
            "SELECT count(*) FROM plink WHERE pid=?1 AND isprim"
            " AND coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.pid),'trunk')"
            " =coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk')",
            (pid,),
            0,
        )
        if int(children) > 1:
            ancestry.compute_leaves(ck, int(pid), 1)
            if int(ck.one("SELECT count(*) FROM leaves", (), 0)) > 1:
                rid = int(
                    ck.one(
                        "SELECT rid FROM leaves, event WHERE event.objid=leaves.rid ORDER BY event.mtime DESC", (), 0
                    )
                )
                if ancestry.nearest_fork(ck, rid):
                    return True
    return False


def _no_password(user: str) -> str:
    raise UserError(f'missing or incorrect password for user "{user}"')


def run(
    ck: Checkout,
    subsystem: str,
    out: Out,
    *,
    push: bool = False,
    pull: bool = True,
    verbose: bool = False,
    ask: Callable[[str], str] | None = None,
    lock: CheckinLock | None = None,
) -> bool:
    """``autosync_loop``: sync as the setting says; False when it failed and the
    user (asked when ``ask`` is given) did not choose to continue.  ``lock``: ask
    for the check-in lock too (not when the setting only pulls)."""
    remotes = _remotes(ck, push, subsystem)
    if not remotes:
        return True
    if lock is not None and (ck.repo.setting_bool("dont-push") or "pull" in _value(ck, subsystem)):
        lock = None
    tries = max(ck.repo.setting_int("autosync-tries"), 1)
    for n in range(1, tries + 1):
        results = [_one(ck, r, push, pull, out, verbose, lock) for r in remotes]  # every one, even after a failure
        if all(results):
            return True
        if n < tries:
            out("!Autosync failed, making another attempt.")
            time.sleep(0.5)
        else:
            out("!Autosync failed.")
    if ask is not None:
        reply = ask("continue in spite of sync failure (y/N)? ")
        return reply[:1] in ("y", "Y")
    return False


def ask(prompt: str) -> str:
    """Fossil's ``prompt_user``: ``prompt`` on stdout, one line from stdin."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line.endswith("\n"):
        sys.stdout.write("\n")
        sys.stdout.flush()
    return line.strip()


def pull(ck: Checkout, subsystem: str, out: Out, *, verbose: bool = False) -> None:
    """The pull before ``update`` or ``merge``: raises when it failed and the user stops."""
    if not run(ck, subsystem, out, verbose=verbose, ask=ask):
        raise UserError(f"{subsystem} abandoned due to sync failure")


def before_commit(ck: Checkout, out: Out, lock: CheckinLock | None = None) -> None:
    """The pull before a commit (not for a private one), asking for ``lock`` if given."""
    if not run(ck, "commit", out, ask=ask, lock=lock):
        sys.exit(1)  # fossil_exit(1): "Autosync failed." was said


def after_commit(ck: Checkout, out: Out) -> None:
    """The push and pull after a commit (failures are only reported)."""
    run(ck, "commit", out, push=True, pull=True)
