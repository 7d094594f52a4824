"""Backoffice run statistics for ``/metrics``: how many runs, how long they took.

Two tasks frame every run (first and last in ``fossilpy.backoffice.tasks``):
:func:`begin_task` notes the start time in a TEMP table of the run's own
connection (no write to the repository), :func:`end_task` adds the run to
fossilpy's own table in one short write::

    fx_backoffice_stats(name TEXT PRIMARY KEY, value REAL)
        -- 'runs': runs finished; 'seconds': their total duration;
        -- 'last-start', 'last-seconds': the newest run (unix time, seconds)

Not synced; ``fossil rebuild`` keeps ``fx_`` tables.  A run killed before
its end is not counted, nor is a run that changed nothing in the
repository (so that an idle ``backoffice --poll --nolease`` does not touch
the file whose modification time it watches).  Both tasks return 0, so they never add to the
backoffice log line.
"""

from __future__ import annotations

import time

from fossilpy.repo.db import Repo

SCHEMA = "CREATE TABLE IF NOT EXISTS fx_backoffice_stats(name TEXT PRIMARY KEY, value REAL)"


def begin_task(repo: Repo) -> int:
    """Note when this run started (on this connection only)."""
    repo.execute("CREATE TEMP TABLE IF NOT EXISTS fx_run_start(t REAL, changes INTEGER)")
    repo.execute("DELETE FROM temp.fx_run_start")
    repo.execute("INSERT INTO temp.fx_run_start VALUES(?, 0)", (time.time(),))
    repo.execute("UPDATE temp.fx_run_start SET changes=?", (repo.db.total_changes + 1,))
    return 0


def end_task(repo: Repo) -> int:
    """Count the run that :func:`begin_task` started."""
    row = repo.row("SELECT t, changes FROM temp.fx_run_start") if _has_start(repo) else None
    if row is None or repo.db.total_changes == row[1]:
        return 0  # nothing happened: leave the file alone (``backoffice --poll`` watches its mtime)
    start = float(row[0])
    seconds = max(0.0, time.time() - start)
    with repo.write():
        repo.execute(SCHEMA)
        repo.execute(
            "INSERT INTO fx_backoffice_stats VALUES('runs',1),('seconds',?)"
            " ON CONFLICT(name) DO UPDATE SET value=value+excluded.value",
            (seconds,),
        )
        repo.execute("REPLACE INTO fx_backoffice_stats VALUES('last-start',?),('last-seconds',?)", (start, seconds))
    repo.execute("DELETE FROM temp.fx_run_start")
    return 0


def _has_start(repo: Repo) -> bool:
    return repo.one("SELECT 1 FROM temp.sqlite_schema WHERE name='fx_run_start'") is not None


def read(repo: Repo) -> dict[str, float]:
    """The statistics (empty before the first counted run)."""
    if not repo.table_exists("fx_backoffice_stats"):
        return {}
    return {str(k): float(v) for k, v in repo.all("SELECT name, value FROM fx_backoffice_stats")}
