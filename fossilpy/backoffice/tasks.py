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
    ("run-start", "fossilpy.backoffice.runstats:begin_task"),
    ("alerts", "fossilpy.backoffice.alerts:backoffice_task"),
    ("digests", "fossilpy.backoffice.alerts:digest_task"),
    ("deliveries", "fossilpy.backoffice.alerts:deliver_task"),
    ("peers", "fossilpy.backoffice.peers:backoffice_task"),
    ("webhooks", "fossilpy.backoffice.webhooks:backoffice_task"),
    ("run-end", "fossilpy.backoffice.runstats:end_task"),
)


def load() -> Iterator[tuple[str, Callable[[Repo], int]]]:
    """Yield (name, function) for each task.

    A task whose module does not import or lacks the function raises
    (ImportError, AttributeError): a broken install must not skip work.
    """
    for name, target in TASKS:
        module, _, attr = target.partition(":")
        func: Callable[[Repo], int] = getattr(importlib.import_module(module), attr)
        yield name, func
