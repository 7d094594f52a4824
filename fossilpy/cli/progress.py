"""A one-line progress counter on a terminal, for long checkout work.

Used by ``open`` (files written), ``addremove`` (files added or marked
deleted) and ``zip``/``tarball``/``sqlar`` (files read into the archive).

Terminal format (standard error only, and only when standard error is a
terminal): the line ``  DONE/TOTAL files`` (``  DONE files`` when the total
is not known in advance) rewritten in place after a carriage return, at most
every 0.1 s; before another line of output goes to the terminal the counter
is blanked (carriage return, spaces, carriage return) so that the line
starts at the left margin; at the end the last count is written once more,
followed by a newline.  When standard error is not a terminal nothing at
all is written: piped or captured outputs stay exactly Fossil's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

#: seconds between two redraws of the counter
INTERVAL = 0.1


class Progress:
    """The counter of ``total`` items (``None``: unknown) named ``noun``."""

    def __init__(self, total: int | None = None, noun: str = "files", stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.active = bool(isatty is not None and isatty())
        self.total = total
        self.noun = noun
        self.done = 0
        self.shown = ""
        self.last_draw = 0.0

    def text(self) -> str:
        if self.total is None:
            return f"  {self.done} {self.noun}"
        return f"  {self.done}/{self.total} {self.noun}"

    def _draw(self) -> None:
        self.shown = self.text()
        self.stream.write("\r" + self.shown)
        self.stream.flush()
        self.last_draw = time.monotonic()

    def update(self, done: int, total: int | None = None) -> None:
        """Set the count (and the total, when given); redraw if it is time."""
        self.done = done
        if total is not None:
            self.total = total
        if self.active and time.monotonic() - self.last_draw >= INTERVAL:
            self._draw()

    def step(self, n: int = 1) -> None:
        """Count ``n`` more items."""
        self.update(self.done + n)

    def clear(self) -> None:
        """Blank the counter before other output goes to the terminal."""
        if self.active and self.shown:
            self.stream.write("\r" + " " * len(self.shown) + "\r")
            self.stream.flush()
            self.shown = ""
            self.last_draw = 0.0

    def finish(self) -> None:
        """The final count on its own line (once; nothing when not a terminal)."""
        if self.active:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self.active = False

    def wrap(
        self, out: Callable[[str], None], counted: Callable[[str], bool] = lambda line: True
    ) -> Callable[[str], None]:
        """``out`` with the counter blanked before each line; lines ``counted`` are steps."""

        def write(line: str) -> None:
            self.clear()
            out(line)
            if counted(line):
                self.step()

        return write
