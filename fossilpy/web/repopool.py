"""Read-only repository handles kept open between page requests.

Opening a repository for a request costs more than many pages do: the
file checks, a new SQLite connection, the schema parsed again, and every
page read again into an empty cache (about 0.7 ms of a 3 ms timeline).
Fossil pays this in each forked child; the long-running doors of
fossilpy (``server``, ``ui``, SCGI) keep idle read-only handles instead,
per application, and hand one to the next page request for the same
file (so does the SSH loop of ``http``/``test-http``, several requests on
one connection).  A request that is its process's only one (CGI, a single
``http`` request: ``wsgi.run_once``) gets a fresh handle, as before.

Why reuse is safe:

* SQLite itself notices writes by other connections and processes (the
  file change counter and schema cookie) and drops what it cached.
* Handles are read-only (``mode=ro``) and autocommit; one that is inside
  a transaction when returned, or whose request failed, is closed instead.
* A handle is reused only in the process that opened it (a connection
  must never cross a fork) and only while the path still names the same
  file (device and inode) of at least one database page: a repository
  replaced or emptied on disk is opened anew, with all of ``Repo.open``'s
  checks and their clear messages.
* The per-handle state of :class:`fossilpy.repo.db.Repo` (content cache,
  config cache, receive session) is reset on return.

At most :data:`MAX_IDLE_PER_FILE` idle handles per file and
:data:`MAX_IDLE` in all are kept; the least recently used go first.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from fossilpy.repo.db import Repo

#: Idle handles kept per repository file (one per concurrent request is plenty).
MAX_IDLE_PER_FILE = 8
#: Idle handles kept in all (a directory of repositories).
MAX_IDLE = 32


class RepoPool:
    """Idle read-only handles by path, for one application in one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: OrderedDict[str, list[tuple[Repo, tuple[int, int]]]] = OrderedDict()
        self._count = 0
        self._pid = os.getpid()

    def acquire(self, path: str) -> Repo:
        """A read-only handle on ``path``: an idle one still valid, else ``Repo.open``."""
        key = _identity(path)
        with self._lock:
            self._forget_parent()
            stack = self._idle.get(path)
            while stack:
                repo, ident = stack.pop()
                self._count -= 1
                if ident == key and key != (-1, -1):
                    self._idle.move_to_end(path)
                    return repo
                repo.close()  # the file was replaced, removed or emptied
        repo = Repo.open(path, readonly=True)
        repo.pool_identity = key  # type: ignore[attr-defined]
        return repo

    def release(self, repo: Repo, *, reusable: bool) -> None:
        """Return ``repo`` after a request (closed instead unless ``reusable`` and clean)."""
        ident = getattr(repo, "pool_identity", None)
        if not reusable or ident is None or not repo.reusable():
            repo.close()
            return
        repo.forget()
        drop: list[Repo] = []
        with self._lock:
            self._forget_parent()
            stack = self._idle.setdefault(repo.path, [])
            self._idle.move_to_end(repo.path)
            if len(stack) >= MAX_IDLE_PER_FILE:
                drop.append(repo)
            else:
                stack.append((repo, ident))
                self._count += 1
            while self._count > MAX_IDLE:
                oldest = next(iter(self._idle))
                old_stack = self._idle[oldest]
                if old_stack:
                    drop.append(old_stack.pop(0)[0])
                    self._count -= 1
                if not old_stack:
                    del self._idle[oldest]
        for r in drop:
            r.close()

    def close_all(self) -> None:
        """Close every idle handle (tests, shutdown)."""
        with self._lock:
            stacks, self._idle, self._count = list(self._idle.values()), OrderedDict(), 0
        if os.getpid() != self._pid:
            return
        for stack in stacks:
            for repo, _ in stack:
                repo.close()

    def idle(self, path: str) -> int:
        """How many idle handles are kept for ``path``."""
        with self._lock:
            return len(self._idle.get(path, ()))

    def _forget_parent(self) -> None:
        """After a fork, drop (without closing) the handles the parent opened."""
        if os.getpid() != self._pid:
            self._idle, self._count, self._pid = OrderedDict(), 0, os.getpid()


def _identity(path: str) -> tuple[int, int]:
    """(device, inode) of ``path``; (-1, -1) if it cannot be read or is shorter
    than a database page (Repo.open then says what is wrong)."""
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    if st.st_size < 512:
        return (-1, -1)
    return (st.st_dev, st.st_ino)
