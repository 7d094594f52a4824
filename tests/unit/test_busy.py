"""A repository locked by another process (issue 9: findings 5 and 12).

* Opening a repository whose lock another process holds past the busy
  timeout is :class:`RepositoryBusy`, never "not an SQLite database", and
  never opens the file outside SQLite (closing such a descriptor drops every
  POSIX lock the process holds, including other threads' connections: a
  writer elsewhere then commits in the middle of their read transaction).
* A page or a sync round on a busy repository is answered 503 with
  ``Retry-After: 1``; the sync client sends the round again and completes.
"""

from __future__ import annotations

import builtins
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fossilpy.errors import RepositoryBusy
from fossilpy.repo import db as dbmod
from fossilpy.repo.db import Repo

HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=float(sys.argv[3]))
db.execute(sys.argv[4] if len(sys.argv) > 4 else "BEGIN EXCLUSIVE")
if len(sys.argv) > 5:
    db.execute(sys.argv[5])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
print("released", flush=True)
"""


def hold_lock(path: Path, seconds: float, *, begin: str = "BEGIN EXCLUSIVE", then: str | None = None,
              wait: bool = True, timeout: float = 10.0) -> subprocess.Popen:
    """Another process that takes ``begin`` on ``path`` and keeps it ``seconds``."""
    argv = [sys.executable, "-c", HOLDER, str(path), str(seconds), str(timeout), begin]
    if then:
        argv.append(then)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    if wait:
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


@pytest.fixture
def short_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT", 0.2)


def test_open_under_lock_is_busy_and_opens_no_descriptor(created_repo: Repo, short_busy: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = created_repo.path
    created_repo.close()
    opened: list[str] = []
    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open

    def spy(real):  # type: ignore[no-untyped-def]
        def wrapped(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if isinstance(file, str | bytes | os.PathLike) and os.fspath(file) == os.fspath(path):
                opened.append(os.fspath(file))
            return real(file, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(builtins, "open", spy(real_open))
    monkeypatch.setattr(io, "open", spy(real_io_open))
    monkeypatch.setattr(os, "open", spy(real_os_open))
    holder = hold_lock(Path(path), 5)
    try:
        start = time.monotonic()
        with pytest.raises(RepositoryBusy) as err:
            Repo.open(path)
        assert time.monotonic() - start < 2
    finally:
        holder.kill()
        holder.wait()
    assert str(err.value) == f"repository is busy (locked by another process): {path}"
    assert err.value.http_status == 503
    assert opened == []


def test_a_busy_open_leaves_other_threads_locks_alone(created_repo: Repo, short_busy: None) -> None:
    """Thread A is writing (EXCLUSIVE lock); thread B's open times out; another process must still wait.

    (Before, B's error path opened and closed the file with Python, which
    dropped A's lock: the other process then wrote in the middle of A's
    transaction, and one of the two writes was lost.)
    """
    path = created_repo.path
    writer = created_repo
    writer.db.execute("BEGIN EXCLUSIVE")
    writer.execute("REPLACE INTO config(name,value,mtime) VALUES('project-name','written by A',0)")
    try:
        with pytest.raises(RepositoryBusy):
            Repo.open(path)  # B
        other = subprocess.run(
            [sys.executable, "-c", "import sqlite3, sys\n"
             "db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0.5)\n"
             "try:\n"
             "    db.execute('BEGIN IMMEDIATE')\n"
             "    db.execute(\"REPLACE INTO config(name,value,mtime) VALUES('project-name','written by P',0)\")\n"
             "    db.execute('COMMIT')\n"
             "    print('wrote')\n"
             "except sqlite3.OperationalError as exc:\n"
             "    print('refused:', exc)\n", path],
            capture_output=True, text=True, timeout=30)
        assert other.stdout == "refused: database is locked\n"
    finally:
        writer.db.execute("COMMIT")
    assert writer.one("SELECT value FROM config WHERE name='project-name'") == "written by A"
    assert writer.one("PRAGMA integrity_check") == "ok"


def test_page_and_xfer_on_a_busy_repository_are_503(created_repo: Repo, short_busy: None) -> None:
    from fossilpy.web.app import AppConfig, make_app
    from tests.web.wsgi import call

    path = created_repo.path
    created_repo.close()
    app = make_app(AppConfig(repository=path, backoffice=False))
    holder = hold_lock(Path(path), 5)
    try:
        page = call(app, "/stat")
        xfer = call(app, "/xfer", method="POST", body=b"pull 0 0\n", content_type="application/x-fossil-debug")
    finally:
        holder.kill()
        holder.wait()
    for reply in (page, xfer):
        assert reply.status == 503, reply.text
        assert reply.header("Retry-After") == "1"
        assert "The repository is busy; try again in a moment." in reply.text
    assert call(app, "/stat").status == 200


def test_sync_client_sends_a_busy_round_again(fossilpy, tmp_path: Path, short_busy: None) -> None:
    """A file:// pull meets a locked repository, is told to retry, and completes once it is free."""
    from fossilpy.sync import transport
    from fossilpy.sync.url import parse

    server = tmp_path / "server.fossil"
    fossilpy("init", str(server))
    with Repo.open(str(server)) as r:
        codes = (r.config_get("server-code"), r.config_get("project-code"))
    messages: list[str] = []
    tr = transport.open_transport(parse(f"file://{server}"))
    tr.notify = messages.append
    holder = hold_lock(server, 1.5)
    try:
        start = time.monotonic()
        ct, reply = tr.exchange(f"pull {codes[0]} {codes[1]}\n".encode(), "application/x-fossil-debug")
        elapsed = time.monotonic() - start
    finally:
        holder.wait()
        tr.close()
    assert not reply.startswith(b"error") and b"\nerror " not in reply and b"errors 0\n" in reply
    assert messages and messages[0].startswith("server is busy; trying again in ")
    assert 1.3 < elapsed < 8


@pytest.mark.slow
def test_pull_from_a_busy_server_retries_promptly(fossilpy, tmp_path: Path) -> None:
    """Finding 12: the server's repository is locked past its 10 s busy timeout; the pull
    is answered 503 and tried again a second later, not a minute later, and completes."""
    from tests.conftest import base_env
    from tests.net import free_port, stop, wait_port

    server = tmp_path / "server.fossil"
    fossilpy("init", str(server))
    fossilpy("clone", str(server), str(tmp_path / "client.fossil"))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fossilpy", "server", str(server), "--port", str(port),
                             "--localhost", "--workers", "1"], env=base_env(tmp_path / "home"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_port(port, proc)
        holder = hold_lock(server, 11.5)
        start = time.monotonic()
        result = fossilpy("pull", f"http://127.0.0.1:{port}/", "-R", str(tmp_path / "client.fossil"),
                          check=False)
        elapsed = time.monotonic() - start
        holder.wait()
    finally:
        stop(proc)
    out = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, out
    assert "server is busy; trying again in " in out
    assert elapsed < 20


def test_busy_error_is_not_swallowed_by_threads(created_repo: Repo, short_busy: None) -> None:
    """Opening from many threads at once under a lock: each gets RepositoryBusy, none another error."""
    path = created_repo.path
    created_repo.close()
    holder = hold_lock(Path(path), 5)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            Repo.open(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    try:
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        holder.kill()
        holder.wait()
    assert len(errors) == 8 and all(isinstance(e, RepositoryBusy) for e in errors)
