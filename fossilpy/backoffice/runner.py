"""The backoffice lease algorithm and one run of the work.

Same protocol as Fossil 2.21 (``src/backoffice.c``), on the same config row
(see ``fossilpy.repo.lease``), so a fossil and a fossilpy backoffice on one
repository never work at the same time.  One pass of :func:`run`:

1. In a write transaction, read the lease.
2. If another live process is on deck (``tm_next >= now``), stop: it will
   do the work.
3. If the current lease has expired and its holder is gone, take the lease
   (self, now+60, 0, 0), commit, do the work, stop.
4. With ``nodelay`` (option or the ``backoffice-nodelay`` setting), stop.
5. Otherwise go on deck (self, max(now, tm_current)+60), commit, sleep
   until the current lease expires (or 1 s when its holder overruns, with a
   warning that backs off), and try again.

The work (:func:`work`) runs each task of ``fossilpy.backoffice.tasks`` and
logs one line per run that did something (every run with ``debug``), in
Fossil's format::

    YYYY-MM-DD HH:MM:SS PROJECT-NAME N alerts M peers elapse-time U us

followed, when something went wrong, by ``TASK-error TYPE: MESSAGE`` (a
task raised) or ``TASK-warning MESSAGE`` (a task returned ``(count,
warnings)``, e.g. a malformed peer line or a failed peer sync).

For tests only: the environment variable ``FOSSILPY_BACKOFFICE_SLOW=SECONDS``
makes every run sleep that long while holding the lease, after its work,
and adds ``slow SECONDS pid PID run START END`` (unix times with
microseconds) to the log line, so that a test can check that runs never
overlap.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from fossilpy.record import Record
from fossilpy.repo import lease as leasemod
from fossilpy.repo.db import Repo

#: Environment variables of the request that started a backoffice: not passed on.
_REQUEST_VARIABLES = ("GATEWAY_", "HTTP_", "REQUEST_", "SCRIPT_", "QUERY_", "PATH_INFO", "CONTENT_")


class RunResult(Record):
    """What one call of :func:`run` did: ``outcome`` is "worked",
    "not-needed" (another process on deck) or "nodelay-exit"; ``counts``
    what each task did; ``log_line`` the line written to the log."""

    __slots__ = ("outcome", "counts", "log_line")

    def __init__(self, outcome: str, counts: dict[str, int] | None = None, log_line: str | None = None) -> None:
        self.outcome = outcome
        self.counts: dict[str, int] = {} if counts is None else counts
        self.log_line = log_line


def run(
    repo: Repo,
    *,
    nodelay: bool = False,
    logfile: str | None = None,
    debug: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    warn: Callable[[str], None] | None = None,
) -> RunResult:
    """Run the lease algorithm on ``repo`` and, if this process wins, the work."""
    me = os.getpid()
    last_warning = 0
    warning_delay = 30
    nodelay = nodelay or repo.setting_bool("backoffice-nodelay")
    while True:
        now = int(time.time())
        with repo.write():
            lease = leasemod.read(repo)
            if lease.tm_next >= now and lease.id_next != me and leasemod.process_exists(lease.id_next):
                return RunResult("not-needed")
            if lease.tm_current < now and leasemod.process_done(lease.id_current):
                leasemod.write(
                    repo, leasemod.Lease(me, now + leasemod.LEASE_TIME, 0, 0), now=now
                )
                take = True
            elif nodelay:
                return RunResult("nodelay-exit")
            else:
                lease.id_next = me
                lease.tm_next = max(now, lease.tm_current) + leasemod.LEASE_TIME
                leasemod.write(repo, lease, now=now)
                take = False
        if take:
            counts, line = work(repo, logfile=logfile, debug=debug)
            return RunResult("worked", counts, line)
        if lease.tm_current >= now:
            sleep(lease.tm_current - now + 1)
        else:
            if last_warning + warning_delay < now:
                msg = (
                    f"backoffice process {lease.id_current} still running after "
                    f"{leasemod.LEASE_TIME + now - lease.tm_current} seconds"
                )
                (warn or _stderr)(msg)
                last_warning = now
                warning_delay *= 2
            sleep(1)


def _stderr(msg: str) -> None:
    from fossilpy import log

    log.get(__name__).warning("warning: %s", msg)


def work(repo: Repo, *, logfile: str | None = None, debug: bool = False) -> tuple[dict[str, int], str | None]:
    """Run every backoffice task once; return (counts, the log line or None).

    A task that raises is logged as ``NAME-error`` and does not stop the
    others: one misconfigured feature must not block the rest.
    """
    from fossilpy.backoffice import tasks

    started = time.perf_counter()
    wall_start = time.time()
    logfile = logfile or repo.setting("backoffice-logfile") or None
    counts: dict[str, int] = {}
    errors: list[str] = []
    for name, task in tasks.load():
        try:
            n = task(repo)
        except Exception as exc:  # noqa: BLE001 - a failing task is logged, never fatal
            errors.append(f"{name}-error {type(exc).__name__}: {exc}")
            n = 0
        if isinstance(n, tuple):  # (count, warnings): problems worth a log line
            n, warnings = n
            errors += [f"{name}-warning {w}" for w in warnings]
        if n:
            counts[name] = n
    slow = _test_slowness()
    if slow:
        time.sleep(slow)
        errors.append(f"slow {slow:g} pid {os.getpid()} run {wall_start:.6f} {time.time():.6f}")
    line = None
    if logfile and (counts or errors or debug):
        name = repo.config_get("project-name") or os.path.basename(repo.path) or "(unnamed)"
        name = str(name).replace(" ", "-")
        parts = [time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), name]
        parts += [f"{n} {k}" for k, n in counts.items()]
        parts += errors
        if not counts and not errors:
            parts.append("no-op")
        elapsed = int((time.perf_counter() - started) * 1_000_000)
        parts.append(f"elapse-time {elapsed} us")
        line = " ".join(parts)
        try:
            with open(logfile, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError:
            pass
    return counts, line


def _test_slowness() -> float:
    """Seconds from FOSSILPY_BACKOFFICE_SLOW (tests only; see the module docstring)."""
    try:
        return max(0.0, min(float(os.environ.get("FOSSILPY_BACKOFFICE_SLOW") or 0), 300.0))
    except ValueError:
        return 0.0


def needed(repo: Repo) -> bool:
    """Fossil's ``backoffice_check_if_needed``: False if disabled or someone is on deck."""
    if repo.setting_bool("backoffice-disable"):
        return False
    lease = leasemod.read(repo)
    now = int(time.time())
    return not (lease.tm_next >= now and leasemod.process_exists(lease.id_next))


def spawn_on_deck(repo_path: str) -> int:
    """Start a backoffice and enter it on deck in the lease; return its pid (0: none needed).

    Under the write lock: check again that nobody is on deck, start the
    process, and write its pid as ``ID_NEXT`` (with ``TM_NEXT`` =
    ``max(now, TM_CURRENT) + 60``, as it would itself).  The child finds
    itself on deck and proceeds with the usual algorithm; meanwhile every
    other request sees a live process on deck and starts none, so a burst
    of requests starts one process instead of one per request.  Fossil
    reads the row the same way.  If the repository cannot be written, the
    process is started without the claim.
    """
    try:
        w = Repo.open(repo_path, check=False)
    except Exception:  # noqa: BLE001 - e.g. a read-only file: the child decides alone
        return spawn(repo_path)
    pid = 0
    try:
        w.execute("PRAGMA busy_timeout=2000")
        with w.write():
            if not needed(w):
                return 0
            pid = spawn(repo_path)
            now = int(time.time())
            lease = leasemod.read(w)
            lease.id_next = pid
            lease.tm_next = max(now, lease.tm_current) + leasemod.LEASE_TIME
            leasemod.write(w, lease, now=now)
        return pid
    except Exception:  # noqa: BLE001 - busy or read-only repository: the child decides alone
        return pid or spawn(repo_path)
    finally:
        w.close()


def spawn_command(repo_path: str) -> list[str]:
    """The argv that runs one backoffice for ``repo_path`` in a new process."""
    if getattr(sys, "frozen", False):  # the PyInstaller binary
        return [sys.executable, "backoffice", os.path.abspath(repo_path)]
    return [sys.executable, "-m", "fossilpy", "backoffice", os.path.abspath(repo_path)]


def spawn(repo_path: str) -> int:
    """Start a detached backoffice for ``repo_path``; return its pid.

    The child has its own session, stdin/stdout/stderr on /dev/null and no
    inherited descriptors, so the client of the request that triggered it
    never waits for it.  A thread reaps it so that a long-running server
    collects no zombies (a zombie would look alive to ``kill(pid, 0)`` and
    hold the lease).
    """
    import subprocess
    import threading

    proc = subprocess.Popen(
        spawn_command(repo_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(_REQUEST_VARIABLES)},
    )
    threading.Thread(target=proc.wait, name="backoffice-reaper", daemon=True).start()
    return proc.pid
