"""Bounded work per request: a time budget and a memory allowance.

Every door serves a request inside ``with budget.limit(seconds, memory):``.
Code that may run long asks :func:`check` where it makes progress (the text
renderers once per block or line, SQLite through a progress handler every
few thousand virtual-machine steps, see :func:`sqlite_progress`), and code
that builds a buffer whose size follows its input rather than the request
(decompression, rendered pages, diffs) asks :func:`charge` first.

Once the deadline has passed or the allowance is spent, the budget stays
spent: every later :func:`check` raises :class:`BudgetExceeded` again, so
work that swallowed one exception meets the next at its next step.  The
application answers 503 with ``Retry-After`` (``fossilpy.web.app``).

A budget can also be ended from outside (:meth:`Budget.expire`): the
long-running doors' watchdog does that, and interrupts the thread, when a
request runs past its time in code that never checks (see
``fossilpy.serve.watchdog``); the one-shot doors use an alarm signal.

Outside a request (the CLI, rebuild, clone) there is no budget and
:func:`check` costs one context-variable read.  The current budget lives in
a :class:`contextvars.ContextVar`, so threads of one server never see each
other's budgets.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

from fossilpy.errors import FossilError

#: Default time budget of one request, in seconds (``--max-latency``).
DEFAULT_SECONDS = 60.0
#: Default memory allowance of one request, in bytes (charged buffers only).
DEFAULT_MEMORY = 512 * 1024 * 1024
#: Seconds a client is asked to wait before retrying (``Retry-After``).
RETRY_AFTER = 5


class BudgetExceeded(FossilError):
    """The request ran out of time or memory; it is answered 503."""

    http_status = 503
    exit_code = 1


class Budget:
    """The limits of one request and what it has used.

    Attributes:
        seconds: the time budget as given.
        deadline: ``time.monotonic()`` value after which the work must stop.
        memory: bytes the request may :func:`charge` in all.
        used: bytes charged so far (less what was released).
        reason: why the budget is spent ("" while it is not).
    """

    __slots__ = ("seconds", "deadline", "memory", "used", "reason")

    def __init__(self, seconds: float = DEFAULT_SECONDS, memory: int = DEFAULT_MEMORY) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.memory = memory
        self.used = 0
        self.reason = ""

    def spent(self) -> bool:
        """True once the deadline has passed or the allowance was exceeded."""
        if not self.reason and time.monotonic() > self.deadline:
            self.reason = f"the request took longer than {self.seconds:g} seconds"
        return bool(self.reason)

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` if the budget is spent."""
        if self.reason or time.monotonic() > self.deadline:
            self.spent()
            raise BudgetExceeded(self.reason)

    def charge(self, nbytes: int) -> None:
        """Count ``nbytes`` against the allowance (and the clock); raise when over."""
        self.used += nbytes
        if self.used > self.memory and not self.reason:
            self.reason = f"the request needed more than {self.memory // (1024 * 1024)} MiB"
        self.check()

    def need(self, nbytes: int) -> None:
        """Raise unless a buffer of ``nbytes`` fits in what is left (nothing is charged)."""
        if self.used + nbytes > self.memory and not self.reason:
            self.reason = f"the request needed more than {self.memory // (1024 * 1024)} MiB"
        self.check()

    def room(self) -> int:
        """Bytes left in the allowance."""
        return max(0, self.memory - self.used)

    def release(self, nbytes: int) -> None:
        """Give back ``nbytes`` charged earlier (a buffer was freed)."""
        self.used = max(0, self.used - nbytes)

    def expire(self, reason: str) -> None:
        """End the budget now (from any thread); the next check raises."""
        if not self.reason:
            self.reason = reason


_CURRENT: ContextVar[Budget | None] = ContextVar("fossilpy_budget", default=None)


def current() -> Budget | None:
    """The budget of the request being served in this context, if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def limit(seconds: float = DEFAULT_SECONDS, memory: int = DEFAULT_MEMORY) -> Iterator[Budget]:
    """Run the block under a new budget (nested blocks get their own)."""
    budget = Budget(seconds, memory)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def use(budget: Budget) -> Iterator[Budget]:
    """Make an existing ``budget`` (one a door made) the current one for the block."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def check() -> None:
    """Raise :class:`BudgetExceeded` if the current request's budget is spent."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.check()


def charge(nbytes: int) -> None:
    """Count ``nbytes`` against the current request's memory allowance."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.charge(nbytes)


def need(nbytes: int) -> None:
    """Raise unless a buffer of ``nbytes`` fits in the current request's allowance."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.need(nbytes)


def room(default: int) -> int:
    """Bytes left in the current request's allowance (``default`` outside a request)."""
    budget = _CURRENT.get()
    return min(default, budget.room()) if budget is not None else default


def release(nbytes: int) -> None:
    """Give back ``nbytes`` charged earlier in this request."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.release(nbytes)


def spent() -> bool:
    """True if the current request's budget is spent (False outside a request)."""
    budget = _CURRENT.get()
    return budget is not None and budget.spent()


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


#: Largest piece :func:`read_claimed` reads at once: what a body of N bytes
#: costs above N while it is read (each piece is copied into the buffer).
READ_CHUNK = 64 << 10


def read_claimed(stream: _Readable, length: int, first: bytes = b"") -> bytes:
    """Up to ``length`` bytes of ``stream`` (after ``first``, already read), fewer if it ends.

    A peer's Content-Length is only a claim: reading in pieces of at most
    READ_CHUNK bytes allocates no more than what actually arrives.  The
    pieces go into one growing buffer whose value is returned without a
    copy (``BytesIO.getvalue``), so a body of N bytes peaks near N, not 2N
    as joining a list of pieces would.
    """
    buf = io.BytesIO()
    buf.write(first)
    left = length - len(first)
    while left > 0:
        chunk = stream.read(min(left, READ_CHUNK))
        if not chunk:
            break
        buf.write(chunk)
        left -= len(chunk)
    return buf.getvalue()


def sqlite_progress() -> int:
    """SQLite progress handler: non-zero (interrupt the statement) once the budget is spent.

    Installed on every connection by ``fossilpy.repo.db.connect``; an
    interrupted statement raises ``sqlite3.OperationalError``, which the
    application reports as the budget's 503.
    """
    budget = _CURRENT.get()
    return 1 if budget is not None and budget.spent() else 0
