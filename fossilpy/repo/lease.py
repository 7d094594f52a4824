"""The backoffice lease: one config row shared with Fossil 2.21.

Disk format (``src/backoffice.c``), config row ``name='backoffice'``::

    value := ID_CURRENT " " TM_CURRENT " " ID_NEXT " " TM_NEXT

four decimal integers: the process id of the backoffice that holds the
lease and the unix time its lease expires, then the process id of the one
waiting "on deck" and the time its claim expires.  0 means "no process".
Parsing is lenient as Fossil's: leading spaces are skipped, digits are read
until a non-digit, and anything missing is 0.  The row is written with
``REPLACE INTO config(name,value,mtime) VALUES('backoffice', ..., now)``.

A pid that is non-zero may name a process that has gone; whether it still
runs is decided with ``kill(pid, 0)`` exactly as Fossil does, so fossil and
fossilpy processes on the same repository respect each other's lease.
"""

from __future__ import annotations

import os
import time

from fossilpy.record import Record
from fossilpy.repo.db import Repo

#: Seconds a backoffice run may hold the lease (Fossil's BKOFCE_LEASE_TIME).
LEASE_TIME = 60


class Lease(Record):
    """The four numbers of the lease row."""

    __slots__ = ("id_current", "tm_current", "id_next", "tm_next")

    def __init__(self, id_current: int = 0, tm_current: int = 0, id_next: int = 0, tm_next: int = 0) -> None:
        self.id_current = id_current
        self.tm_current = tm_current
        self.id_next = id_next
        self.tm_next = tm_next

    def format(self) -> str:
        """The config value, as Fossil writes it."""
        return f"{self.id_current} {self.tm_current} {self.id_next} {self.tm_next}"


def parse(text: str | None) -> Lease:
    """Parse a lease value leniently, as ``backofficeParseInt`` does."""
    values = []
    pos = 0
    text = text or ""
    for _ in range(4):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        start = pos
        while pos < len(text) and text[pos] in "0123456789":
            pos += 1
        values.append(int(text[start:pos]) if pos > start else 0)
    return Lease(*values)


def read(repo: Repo) -> Lease:
    """The lease currently stored in ``repo``."""
    return parse(repo.config_get("backoffice"))


def write(repo: Repo, lease: Lease, *, now: int | None = None) -> None:
    """Store ``lease`` (inside the caller's write transaction, if any)."""
    repo.config_set("backoffice", lease.format(), mtime=int(time.time()) if now is None else now)


def reset(repo: Repo) -> None:
    """Delete the lease row (``test-backoffice-lease --reset``)."""
    repo.config_unset("backoffice")


def process_exists(pid: int) -> bool:
    """True if ``pid`` > 0 names a process that exists (``kill(pid, 0)``)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def process_done(pid: int) -> bool:
    """True unless ``pid`` provably still runs (Fossil's backofficeProcessDone)."""
    return not process_exists(pid)
