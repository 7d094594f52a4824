"""Peer sync: the backoffice keeps this repository in sync with its peers.

Fossil's backoffice has no such job; fossilpy adds one.  The peers are
listed in the ``backoffice-peers`` setting, one per line::

    line      := URL [WS DIRECTION] [WS INTERVAL]      (or blank, or "#" comment)
    URL       := http[s]://[USER[:PASSWORD]@]HOST[:PORT][/PATH]
               | ssh://[USER@]HOST[:PORT]/PATH | file:PATH | /ABSOLUTE/PATH
    DIRECTION := "push" | "pull" | "sync"                  (default sync)
    INTERVAL  := decimal seconds between syncs, >= 0       (default 300)

Each backoffice run (see :func:`backoffice_task`):

1. parses the setting; a malformed line is reported (log line, ``fossilpy
   peers``, the /delivery page) and skipped, never raised;
2. for each peer with no job in the delivery journal whose last completed
   sync is at least INTERVAL seconds old (or that never synced), journals
   a job ``kind='peer-sync', dest=CANONICAL-URL, key=JOB-TIME`` whose
   payload is ``{"direction": ..., "interval": ...}`` as JSON;
3. delivers the due ``peer-sync`` jobs through the sync client
   (``fossilpy.sync.client``).  A job is removed from the journal only once
   a sync completed without error; a failure is recorded with its message
   and retried with the journal's back-off (1, 2, 4 ... minutes, at most 6
   hours), forever, until it succeeds or the peer leaves the setting.

``dest`` is the canonical URL (no password), so neither the journal, the
log nor status pages show credentials; the full URL is looked up in the
setting at delivery time.  A job whose peer has left the setting is
dropped.  The last success of a peer is its newest row in
``fx_journal_log`` (kept 30 days).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from fossilpy.backoffice import journal
from fossilpy.repo.db import Repo
from fossilpy.text import is_digits

#: The setting listing the peers.
SETTING = "backoffice-peers"
#: Seconds between syncs when a line gives no interval.
DEFAULT_INTERVAL = 300
#: Journal kind of a peer-sync job.
KIND = "peer-sync"

_DIRECTIONS = ("push", "pull", "sync")


@dataclass(frozen=True)
class Peer:
    """One valid line of the setting."""

    url: str  # as written (may hold a password)
    dest: str  # canonical URL: no password, default port dropped
    direction: str
    interval: int
    line: int


@dataclass(frozen=True)
class BadLine:
    """A line of the setting that could not be used, and why."""

    line: int
    text: str
    error: str


def parse(text: str | None) -> tuple[list[Peer], list[BadLine]]:
    """The peers of the setting value ``text`` and the lines that are malformed."""
    from fossilpy.errors import FossilError
    from fossilpy.sync import url as urlmod

    peers: list[Peer] = []
    bad: list[BadLine] = []
    seen: set[str] = set()
    for n, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        shown = _hide_password(words[0])
        if len(words) > 3:
            bad.append(BadLine(n, _hide_password(line), "too many fields (URL [push|pull|sync] [SECONDS])"))
            continue
        direction, interval = "sync", DEFAULT_INTERVAL
        rest = words[1:]
        if rest and not is_digits(rest[0]):
            if rest[0] not in _DIRECTIONS:
                bad.append(BadLine(n, shown, f'unknown direction "{rest[0][:40]}" (push, pull or sync)'))
                continue
            direction = rest.pop(0)
        if rest:
            if not is_digits(rest[0]) or len(rest[0]) > 9:
                bad.append(BadLine(n, shown, f'interval "{rest[0][:40]}" is not a number of seconds'))
                continue
            interval = int(rest[0])
        if "://" not in words[0] and not words[0].startswith("file:") and not words[0].startswith("/"):
            bad.append(BadLine(n, shown, "a repository file must be given by its absolute path"))
            continue
        try:
            u = urlmod.parse(words[0])
        except FossilError as exc:
            bad.append(BadLine(n, shown, str(exc)))
            continue
        except (ValueError, UnicodeError) as exc:
            bad.append(BadLine(n, shown, f"malformed URL: {exc}"))
            continue
        if u.protocol not in ("http", "https", "ssh", "file") or (u.protocol != "file" and not u.name):
            bad.append(BadLine(n, shown, "malformed URL"))
            continue
        dest = u.canonical or shown
        if dest in seen:
            bad.append(BadLine(n, shown, "the same peer is listed twice"))
            continue
        seen.add(dest)
        peers.append(Peer(words[0], dest, direction, interval, n))
    return peers, bad


def _hide_password(text: str) -> str:
    """``scheme://user:SECRET@host`` -> ``scheme://user:****@host``."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    cred, at, host = rest.partition("@")
    if not at or "/" in cred:
        return text
    user, colon, _pw = cred.partition(":")
    return f"{scheme}://{user}{':****' if colon else ''}@{host}"


def configured(repo: Repo) -> tuple[list[Peer], list[BadLine]]:
    """The peers of ``repo``'s setting."""
    return parse(repo.setting(SETTING))


def last_success(repo: Repo, dest: str) -> int | None:
    """Unix time of the last completed sync with ``dest`` (within 30 days)."""
    if not repo.table_exists("fx_journal_log"):
        return None
    when: int | None = repo.one("SELECT max(dtime) FROM fx_journal_log WHERE kind=? AND dest=?", (KIND, dest))
    return when


def _job(repo: Repo, dest: str) -> journal.Entry | None:
    if not repo.table_exists("fx_journal"):
        return None
    row = repo.row(
        "SELECT jid,kind,dest,key,payload,ctime,attempts,next_try,last_error,state"
        " FROM fx_journal WHERE kind=? AND dest=? ORDER BY jid LIMIT 1",
        (KIND, dest),
    )
    return journal.Entry(*row) if row else None


def schedule(repo: Repo, *, now: int | None = None, force: str | None = None) -> int:
    """Journal a job for every due peer; return how many were added.

    ``force`` (a canonical URL, or "*" for all) makes those peers due now,
    waiting jobs included.
    """
    now = int(time.time()) if now is None else now
    peers, _bad = configured(repo)
    added = 0
    journal.ensure(repo)
    with repo.write():
        for p in peers:
            forced = force == "*" or force == p.dest
            job = _job(repo, p.dest)
            if job is not None:
                if forced:
                    repo.execute("UPDATE fx_journal SET next_try=0, state='pending' WHERE jid=?", (job.jid,))
                continue
            last = last_success(repo, p.dest)
            if not forced and last is not None and last + p.interval > now:
                continue
            payload = json.dumps({"direction": p.direction, "interval": p.interval})
            added += journal.add(repo, KIND, p.dest, str(now), payload, now=now)
    return added


#: Complete attempts of one peer sync within a backoffice run when the peer is busy.
BUSY_TRIES = 4


def sync_peer(repo: Repo, peer: Peer) -> tuple[int, int]:
    """One complete sync with ``peer``; return (artifacts sent, received).

    Raises DeliveryError with a one-line reason when it did not complete.

    A sync client holds its own repository's write lock during each round
    trip (as Fossil's does).  Two replicas that list each other and sync at
    the same moment would each wait for the other's lock: so a busy peer
    (503) is not asked again inside the round; the round is rolled back
    (freeing this repository for the peer's own sync) and the whole sync
    is tried again after a random pause of 0.5-3 s, up to
    :data:`BUSY_TRIES` times, before the journal's back-off takes over.
    """
    import random

    from fossilpy.errors import FossilError
    from fossilpy.sync import url as urlmod
    from fossilpy.sync.client import SyncOptions, SyncSession
    from fossilpy.sync.transport import ServerBusy, open_transport

    opts = SyncOptions(push=peer.direction in ("push", "sync"), pull=peer.direction in ("pull", "sync"))
    for attempt in range(BUSY_TRIES):
        try:
            u = urlmod.parse(peer.url)
            tp = open_transport(u, ssh_command=repo.setting("ssh-command") or None)
        except FossilError as exc:
            raise journal.DeliveryError(_clean(str(exc), peer)) from None
        tp.busy_retries = 0
        try:
            res = SyncSession(repo, tp, u, opts, stream=None).run()
        except ServerBusy as exc:
            if attempt + 1 == BUSY_TRIES:
                raise journal.DeliveryError(_clean(f"ProtocolError: {exc}", peer)) from None
            time.sleep(random.uniform(0.5, 3.0))
            continue
        except (FossilError, OSError) as exc:
            raise journal.DeliveryError(_clean(f"{type(exc).__name__}: {exc}", peer)) from None
        finally:
            try:
                tp.close()
            except Exception:  # noqa: BLE001 - closing a broken transport
                pass
        if res.errors:
            raise journal.DeliveryError(_clean(res.errors[0].splitlines()[0], peer))
        return res.artifacts_sent, res.artifacts_rcvd
    raise AssertionError("not reached")


def _clean(message: str, peer: Peer) -> str:
    """An error line without the peer's password."""
    from urllib.parse import unquote

    scheme, sep, rest = peer.url.partition("://")
    cred = rest.partition("@")[0] if sep and "@" in rest else ""
    pw = cred.partition(":")[2]
    if pw:
        message = message.replace(pw, "****").replace(unquote(pw), "****")
    return " ".join(message.split())[:300]


def deliver(repo: Repo, *, now: int | None = None) -> tuple[int, list[str]]:
    """Run every due peer-sync job; return (completed, one line per failure)."""
    peers = {p.dest: p for p in configured(repo)[0]}
    problems: list[str] = []

    def send(entry: journal.Entry) -> None:
        peer = peers.get(entry.dest)
        if peer is None:
            journal.drop(repo, entry.jid)
            raise journal.DeliveryError("peer is no longer in the backoffice-peers setting", permanent=True)
        try:
            sync_peer(repo, peer)
        except Exception as exc:  # recorded, then retried by the journal
            problems.append(f"peer {entry.dest} failed: {exc}")
            raise

    done = journal.deliver(repo, KIND, send, now=now, max_attempts=0)
    return done, problems


def backoffice_task(repo: Repo) -> tuple[int, list[str]]:
    """Schedule due peers and sync them; return (syncs completed, warnings)."""
    peers, bad = configured(repo)
    warnings = [f"{SETTING} line {b.line} ({b.text}): {b.error}" for b in bad]
    if not peers and not repo.table_exists("fx_journal"):
        return 0, warnings
    if peers:
        schedule(repo)
    done, problems = deliver(repo)
    return done, warnings + problems


@dataclass
class PeerStatus:
    """What ``fossilpy peers`` and the /delivery page show for one peer."""

    peer: Peer
    last_success: int | None
    next_due: int
    attempts: int
    last_error: str | None


def status(repo: Repo, *, now: int | None = None) -> tuple[list[PeerStatus], list[BadLine]]:
    """Every configured peer with its last success, next due time and last error."""
    now = int(time.time()) if now is None else now
    peers, bad = configured(repo)
    out = []
    for p in peers:
        last = last_success(repo, p.dest)
        job = _job(repo, p.dest)
        if job is not None:
            due = job.next_try
        elif last is None:
            due = now
        else:
            due = last + p.interval
        out.append(PeerStatus(p, last, due, job.attempts if job else 0, job.last_error if job else None))
    return out, bad
