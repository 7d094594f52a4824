"""The registry of backoffice tasks, in the order they run.

Each entry is ``(name, "module:function")``; the function takes an open
:class:`fossilpy.repo.db.Repo` and returns how many items it handled
(alerts sent, peers synced, ...).  The name is used in the log line
("3 alerts").  Modules load only when the backoffice runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

from fossilpy.repo.db import Repo

TASKS: tuple[tuple[str, str], ...] = (
    ("alerts", "fossilpy.backoffice.alerts:backoffice_task"),
    ("digests", "fossilpy.backoffice.alerts:digest_task"),
    ("deliveries", "fossilpy.backoffice.alerts:deliver_task"),
    ("peers", "fossilpy.backoffice.peers:backoffice_task"),
)


def load() -> Iterator[tuple[str, Callable[[Repo], int]]]:
    """Yield (name, function) for each task whose module exists."""
    for name, target in TASKS:
        module, _, attr = target.partition(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        func = getattr(mod, attr, None)
        if func is not None:
            yield name, func
