"""Time limits for tests whose only claim is that something finishes.

A test that feeds garbage to a parser and asserts no more than "it returns
(or raises the documented error)" would, if the code looped forever, hang
the whole run instead of failing.  ``with time_limit(seconds):`` bounds the
block:

* ``SIGALRM`` (``setitimer``) raises :class:`TimeLimitExceeded` in the
  main thread once ``seconds`` have passed: the test fails with the
  traceback of where it was stuck (and hypothesis shrinks the input);
* a Python-level alarm cannot interrupt a single C call that never returns
  (a regular expression backtracking for hours, say); behind it stands
  pytest's own faulthandler timeout (``faulthandler_timeout`` and
  ``faulthandler_exit_on_timeout`` in pyproject.toml): a test still running
  then has every thread's traceback printed and the run exits - it fails
  instead of blocking CI.

Main thread only, and not around code that sets ``SIGALRM`` itself (the
one-shot doors' budget alarm); such tests run their subject in a
subprocess with a ``timeout`` instead.  (pytest-timeout would do the same
per test; this is the few lines the suite needs, without a dependency.)
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class TimeLimitExceeded(Exception):
    """The block ran longer than its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail the block with :class:`TimeLimitExceeded` if it runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("time_limit works in the main thread only")
    if signal.getitimer(signal.ITIMER_REAL)[0]:
        raise RuntimeError("time_limit cannot nest inside another alarm")

    def fire(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitExceeded(f"still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
