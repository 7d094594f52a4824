"""Stop requests that outlive their budget (see :mod:`fossilpy.budget`), in every door.

Code that checks its budget stops by itself at the deadline.  This module
covers code that does not (a loop that makes no progress, a long call):

Long-running doors (``server``, ``server --scgi``): each worker process
runs one :class:`Watchdog` thread that knows which thread serves which
budget.  At the deadline it marks the budget spent (the next check, or
the next SQLite step, raises); :data:`GRACE` seconds later it raises
:class:`RequestInterrupted` inside the request's thread
(``PyThreadState_SetAsyncExc``: delivered at the thread's next Python
instruction); if the thread is still busy :data:`STUCK` seconds after the
deadline, the worker is past saving and ``on_stuck`` is called (the
server stops accepting, lets its other requests finish, and exits; the
parent forks a fresh worker).  When the worker's resident memory passes
``max_rss``, the request that charged the most memory is ended the same
way.  In forked workers the watchdog also re-arms a ``faulthandler``
timer every time it runs: if it cannot run for :data:`DEADMAN` seconds
(one thread holding the interpreter in C code), the process exits and is
replaced.

One-shot doors (CGI, ``http``, ``test-http``): :func:`one_shot` arms
``SIGALRM`` for the deadline, whose handler raises
:class:`RequestInterrupted` in the main thread, and a ``faulthandler``
timer that ends the process :data:`STUCK` seconds later whatever it is
doing, as Fossil's own ``SIGALRM`` timeout does.  It also lowers the
process's address-space limit to the request's memory allowance plus
:data:`ONE_SHOT_BASE` while the request runs, so an allocation past it
fails with ``MemoryError`` (answered 503) instead of exhausting the machine.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

from fossilpy.budget import Budget, BudgetExceeded, current, use

GRACE = 2.0
#: Address space a one-shot process may use beyond its request's allowance.
ONE_SHOT_BASE = 1 << 30
STUCK = 30.0
DEADMAN = 120.0
POLL = 0.25


class RequestInterrupted(BudgetExceeded):
    """Raised inside a request's thread when it ran past its budget without noticing.

    Made without arguments (an asynchronous exception is raised by class),
    in the interrupted thread: the message is the reason its budget gives.
    """

    def __init__(self, message: str | None = None) -> None:
        spent = current()
        super().__init__(message or (spent.reason if spent is not None and spent.reason else
                                     "the request ran out of time and was stopped"))


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``thread_id`` at its next instruction (None: cancel a pending one)."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


class _Entry:
    __slots__ = ("budget", "stage")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.stage = 0  # 0 running, 1 interrupted, 2 reported stuck


class Watchdog:
    """The per-worker watchdog thread of the long-running doors."""

    def __init__(self, *, on_stuck: Callable[[], None] | None = None, deadman: bool = False,
                 max_rss: int = 0) -> None:
        self.on_stuck = on_stuck
        self.deadman = deadman
        self.max_rss = max_rss
        self._lock = threading.Lock()
        self._tracked: dict[int, _Entry] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Watchdog:
        """Start the watchdog thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="fossilpy-watchdog")
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the watchdog thread (and its faulthandler timer)."""
        self._stop.set()
        if self.deadman:
            faulthandler.cancel_dump_traceback_later()

    @contextlib.contextmanager
    def track(self, budget: Budget) -> Iterator[Budget]:
        """Make ``budget`` current and watch it for the calling thread while the block runs."""
        tid = threading.get_ident()
        entry = _Entry(budget)
        with self._lock:
            self._tracked[tid] = entry
        try:
            with use(budget):
                yield budget
        finally:
            with self._lock:
                self._tracked.pop(tid, None)
                if entry.stage:
                    _async_raise(tid, None)  # an interruption not yet delivered must not hit the next request

    def busy(self) -> int:
        """Requests being watched now."""
        with self._lock:
            return len(self._tracked)

    def _run(self) -> None:
        while not self._stop.wait(POLL):
            if self.deadman:
                faulthandler.dump_traceback_later(DEADMAN, exit=True, file=sys.stderr)
            self.sweep(time.monotonic())

    def sweep(self, now: float) -> None:
        """One round of checks (the thread calls this every :data:`POLL` seconds)."""
        stuck = False
        with self._lock:
            if self.max_rss and self._tracked and resident_bytes() > self.max_rss:
                biggest = max(self._tracked.values(), key=lambda e: e.budget.used)
                biggest.budget.expire("the server ran short of memory while answering this request")
                biggest.budget.deadline = min(biggest.budget.deadline, now - GRACE - POLL)
            for tid, entry in self._tracked.items():
                budget = entry.budget
                if now <= budget.deadline and not budget.reason:
                    continue
                budget.spent()
                if entry.stage == 0 and now > budget.deadline + GRACE:
                    entry.stage = 1
                    _async_raise(tid, RequestInterrupted)
                elif entry.stage == 1 and now > budget.deadline + STUCK:
                    entry.stage = 2
                    stuck = True
        if stuck and self.on_stuck is not None:
            self.on_stuck()


def resident_bytes() -> int:
    """This process's resident memory in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _page_size()
    except (OSError, ValueError, IndexError):
        return 0


def _page_size() -> int:
    import os

    return os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def one_shot(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` current and enforce it in a single-threaded process (SIGALRM, faulthandler)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        with use(budget):
            yield budget
        return

    def on_alarm(signum: int, frame: object) -> None:
        if budget.reason:
            return  # the request noticed by itself and is answering 503 already
        budget.expire(f"the request took longer than {budget.seconds:g} seconds")
        raise RequestInterrupted(budget.reason)

    started = time.monotonic()
    remaining = max(0.001, budget.deadline - started)
    old_as = _lower_address_space(budget.memory + ONE_SHOT_BASE)
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]  # a process timeout (CGI's timeout:) to restore
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, remaining)
    faulthandler.dump_traceback_later(remaining + STUCK, exit=True, file=sys.stderr)
    try:
        with use(budget):
            yield budget
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()
        _restore_address_space(old_as)
        if outer_left > 0:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, outer_left - (time.monotonic() - started)))


def _lower_address_space(limit: int) -> tuple[int, int] | None:
    """Lower RLIMIT_AS to ``limit`` (never raise it); the old limits, or None if unchanged."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return None
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft <= limit:
            return None
        if hard != resource.RLIM_INFINITY and hard < limit:
            limit = hard
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        return None  # the limit cannot be set here: the alarm alone guards the request
    return soft, hard


def _restore_address_space(old: tuple[int, int] | None) -> None:
    if old is None:
        return
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, old)
    except (ValueError, OSError):
        pass  # keep the lower limit: harmless for a process about to exit
