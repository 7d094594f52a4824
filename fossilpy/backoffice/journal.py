"""The delivery journal: outbound work that survives crashes and kills.

Fossil marks an alert as sent *before* sending it, so a crash loses it.
fossilpy instead writes each outbound message or job to this journal in the
same transaction that consumes its source (e.g. the ``pending_alert`` row),
and deletes the entry only after the receiver acknowledged it (SMTP 250 to
the end of DATA, a completed sync).  Delivery is therefore at-least-once;
each email keeps the Message-Id chosen when it was journaled, so a resend
after a lost acknowledgement is recognisable as the same message.

Tables (``fx_`` prefix: ``fossil rebuild`` keeps ``fx_*`` tables)::

    fx_journal(
      jid INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,         -- 'email', 'peer-sync', ...
      dest TEXT NOT NULL,         -- e-mail address, peer URL, ...
      key TEXT NOT NULL,          -- idempotency key: the Message-Id for email
      payload BLOB,               -- the full message / job parameters (JSON)
      ctime INTEGER NOT NULL,     -- unix seconds when journaled
      attempts INTEGER NOT NULL DEFAULT 0,
      next_try INTEGER NOT NULL,  -- unix seconds; not tried before this
      last_error TEXT,            -- one line, from the last failed attempt
      state TEXT NOT NULL DEFAULT 'pending',   -- 'pending' or 'failed' (gave up)
      UNIQUE(kind, dest, key)
    )
    fx_journal_log(               -- what was delivered, for /setup and status
      jid INTEGER, kind TEXT, dest TEXT, key TEXT,
      ctime INTEGER, dtime INTEGER, attempts INTEGER
    )

Retry: after the n-th failure the entry waits ``min(60 * 2**(n-1), 6h)``;
after ``MAX_ATTEMPTS`` failures it is marked ``failed`` and stays visible
until an administrator retries or drops it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fossilpy.repo.db import Repo

SCHEMA = """
CREATE TABLE IF NOT EXISTS fx_journal(
  jid INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  dest TEXT NOT NULL,
  key TEXT NOT NULL,
  payload BLOB,
  ctime INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try INTEGER NOT NULL,
  last_error TEXT,
  state TEXT NOT NULL DEFAULT 'pending',
  UNIQUE(kind, dest, key)
);
CREATE TABLE IF NOT EXISTS fx_journal_log(
  jid INTEGER, kind TEXT, dest TEXT, key TEXT,
  ctime INTEGER, dtime INTEGER, attempts INTEGER
);
"""

#: Attempts before an entry is marked failed.
MAX_ATTEMPTS = 12
#: Longest wait between attempts, seconds.
MAX_BACKOFF = 6 * 3600
#: Delivered entries kept in fx_journal_log, days.
LOG_DAYS = 30


@dataclass
class Entry:
    """One journal row."""

    jid: int
    kind: str
    dest: str
    key: str
    payload: bytes
    ctime: int
    attempts: int
    next_try: int
    last_error: str | None
    state: str


class DeliveryError(Exception):
    """A sender could not deliver; ``permanent`` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def ensure(repo: Repo) -> None:
    """Create the journal tables if they do not exist."""
    if not repo.table_exists("fx_journal") or not repo.table_exists("fx_journal_log"):
        with repo.write():
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    repo.execute(stmt)


def add(repo: Repo, kind: str, dest: str, key: str, payload: bytes | str,
        *, now: int | None = None) -> bool:
    """Journal one delivery; False if (kind, dest, key) is already journaled.

    Call it inside the transaction that consumes the source of the work.
    """
    ensure(repo)
    now = int(time.time()) if now is None else now
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    with repo.write():
        cur = repo.execute(
            "INSERT OR IGNORE INTO fx_journal(kind,dest,key,payload,ctime,next_try)"
            " VALUES(?,?,?,?,?,?)",
            (kind, dest, key, payload, now, now),
        )
        return cur.rowcount == 1


def due(repo: Repo, kind: str, *, now: int | None = None, limit: int = 500) -> list[Entry]:
    """Pending entries of ``kind`` whose next try has come, oldest first."""
    if not repo.table_exists("fx_journal"):
        return []
    now = int(time.time()) if now is None else now
    rows = repo.all(
        "SELECT jid,kind,dest,key,payload,ctime,attempts,next_try,last_error,state"
        " FROM fx_journal WHERE kind=? AND state='pending' AND next_try<=?"
        " ORDER BY jid LIMIT ?",
        (kind, now, limit),
    )
    return [Entry(*r) for r in rows]


def delivered(repo: Repo, entry: Entry, *, now: int | None = None) -> None:
    """The receiver acknowledged ``entry``: log it and remove it."""
    now = int(time.time()) if now is None else now
    with repo.write():
        repo.execute(
            "INSERT INTO fx_journal_log(jid,kind,dest,key,ctime,dtime,attempts)"
            " VALUES(?,?,?,?,?,?,?)",
            (entry.jid, entry.kind, entry.dest, entry.key, entry.ctime, now, entry.attempts + 1),
        )
        repo.execute("DELETE FROM fx_journal WHERE jid=?", (entry.jid,))
        repo.execute("DELETE FROM fx_journal_log WHERE dtime<?", (now - LOG_DAYS * 86400,))


def failed(repo: Repo, entry: Entry, error: str, *, permanent: bool = False,
           now: int | None = None, max_attempts: int = MAX_ATTEMPTS) -> None:
    """Record a failed attempt and schedule the next one (or give up).

    ``max_attempts`` 0 never gives up (peer syncs keep retrying, backing off).
    """
    now = int(time.time()) if now is None else now
    attempts = entry.attempts + 1
    give_up = permanent or (max_attempts > 0 and attempts >= max_attempts)
    wait = min(60 * 2 ** (attempts - 1), MAX_BACKOFF)
    with repo.write():
        repo.execute(
            "UPDATE fx_journal SET attempts=?, next_try=?, last_error=?, state=? WHERE jid=?",
            (attempts, now + wait, error.splitlines()[0][:500] if error else "error",
             "failed" if give_up else "pending", entry.jid),
        )


def retry(repo: Repo, jid: int | None = None) -> int:
    """Make failed (or all waiting) entries due now; return how many."""
    if not repo.table_exists("fx_journal"):
        return 0
    with repo.write():
        if jid is None:
            cur = repo.execute("UPDATE fx_journal SET state='pending', next_try=0")
        else:
            cur = repo.execute(
                "UPDATE fx_journal SET state='pending', next_try=0 WHERE jid=?", (jid,)
            )
        return cur.rowcount


def drop(repo: Repo, jid: int) -> bool:
    """Remove an entry without delivering it (administrator's choice)."""
    with repo.write():
        return repo.execute("DELETE FROM fx_journal WHERE jid=?", (jid,)).rowcount == 1


def deliver(repo: Repo, kind: str, send: Callable[[Entry], None], *,
            now: int | None = None, limit: int = 500, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Try every due entry of ``kind`` with ``send``; return how many were delivered.

    ``send(entry)`` returns only once the receiver acknowledged; it raises
    :class:`DeliveryError` (or any exception) on failure.  Each outcome is
    committed before the next entry is tried, so a kill at any point loses
    at most the knowledge that the entry in flight was delivered.
    """
    count = 0
    for entry in due(repo, kind, now=now, limit=limit):
        try:
            send(entry)
        except DeliveryError as exc:
            failed(repo, entry, str(exc), permanent=exc.permanent, now=now,
                   max_attempts=max_attempts)
            continue
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            failed(repo, entry, f"{type(exc).__name__}: {exc}", now=now, max_attempts=max_attempts)
            continue
        delivered(repo, entry, now=now)
        count += 1
    return count


def status(repo: Repo) -> dict[str, dict[str, int]]:
    """Counts per kind: pending (due or waiting), retrying, failed, delivered (log)."""
    out: dict[str, dict[str, int]] = {}
    if not repo.table_exists("fx_journal"):
        return out
    for kind, state, attempts, n in repo.all(
        "SELECT kind, state, attempts>0, count(*) FROM fx_journal GROUP BY 1,2,3"
    ):
        d = out.setdefault(kind, {"pending": 0, "retrying": 0, "failed": 0, "delivered": 0})
        if state == "failed":
            d["failed"] += n
        elif attempts:
            d["retrying"] += n
        else:
            d["pending"] += n
    for kind, n in repo.all("SELECT kind, count(*) FROM fx_journal_log GROUP BY 1"):
        d = out.setdefault(kind, {"pending": 0, "retrying": 0, "failed": 0, "delivered": 0})
        d["delivered"] = n
    return out


def entries(repo: Repo, *, states: tuple[str, ...] = ("pending", "failed")) -> list[Entry]:
    """All entries in the given states (for status pages), oldest first."""
    if not repo.table_exists("fx_journal"):
        return []
    marks = ",".join("?" * len(states))
    rows = repo.all(
        "SELECT jid,kind,dest,key,payload,ctime,attempts,next_try,last_error,state"
        f" FROM fx_journal WHERE state IN ({marks}) ORDER BY jid",
        states,
    )
    return [Entry(*r) for r in rows]
