"""Repository handles kept between page requests (fossilpy.web.repopool).

The long-running doors reuse read-only handles; these tests show that a
reused handle never hides or blocks what other processes do to the file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from fossilpy.web.repopool import MAX_IDLE_PER_FILE, RepoPool
from tests.conftest import base_env, require_binary
from tests.web.wsgi import call


def _project_name(path: Path, name: str) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('project-name',?,0)", (name,))
    db.close()


def test_sequential_requests_share_one_handle(repo_copy: Path) -> None:
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    assert app.repos.idle(str(repo_copy)) == 0
    assert call(app, "/timeline").status == 200
    assert app.repos.idle(str(repo_copy)) == 1
    first = app.repos.acquire(str(repo_copy))
    app.repos.release(first, reusable=True)
    assert call(app, "/stat").status == 200
    assert app.repos.idle(str(repo_copy)) == 1
    again = app.repos.acquire(str(repo_copy))
    assert again is first
    app.repos.release(again, reusable=True)
    app.repos.close_all()
    assert app.repos.idle(str(repo_copy)) == 0


def test_one_request_per_process_doors_do_not_keep_handles(repo_copy: Path) -> None:
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    assert call(app, "/timeline", extra={"wsgi.run_once": True}).status == 200
    assert app.repos.idle(str(repo_copy)) == 0


def test_idle_handle_neither_blocks_nor_hides_a_fossil_commit(repo_copy: Path, tmp_path: Path) -> None:
    """A real fossil commit goes through while a handle is idle, and the next page shows it."""
    exe = require_binary("fossil")
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    assert "pooled commit" not in call(app, "/timeline?n=100").text
    assert app.repos.idle(str(repo_copy)) == 1
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home)
    co = tmp_path / "co"
    co.mkdir()
    subprocess.run([exe, "open", str(repo_copy)], cwd=co, env=env, check=True, capture_output=True)
    (co / "new.txt").write_text("new\n")
    subprocess.run([exe, "add", "new.txt"], cwd=co, env=env, check=True, capture_output=True)
    started = time.monotonic()
    proc = subprocess.run([exe, "commit", "-m", "pooled commit", "--no-warnings"], cwd=co, env=env,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 5  # not held up by a lock of the idle handle
    page = call(app, "/timeline?n=100").text
    assert page.count("pooled commit") == 1
    assert app.repos.idle(str(repo_copy)) == 1


def test_replaced_file_is_opened_anew(repo_copy: Path, tmp_path: Path) -> None:
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    _project_name(repo_copy, "Before Replace")
    assert "<title>Before Replace: Repository Statistics</title>" in call(app, "/stat").text
    other = tmp_path / "other.fossil"
    shutil.copyfile(repo_copy, other)
    _project_name(other, "After Replace")
    os.replace(other, repo_copy)
    assert "<title>After Replace: Repository Statistics</title>" in call(app, "/stat").text


def test_config_change_by_another_process_is_seen(repo_copy: Path) -> None:
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    _project_name(repo_copy, "First Name")
    assert "<title>First Name: Repository Statistics</title>" in call(app, "/stat").text
    _project_name(repo_copy, "Second Name")
    assert "<title>Second Name: Repository Statistics</title>" in call(app, "/stat").text


def test_failed_or_busy_handles_are_closed_not_kept(repo_copy: Path) -> None:
    pool = RepoPool()
    path = str(repo_copy)
    repo = pool.acquire(path)
    pool.release(repo, reusable=False)
    assert repo.db is None and pool.idle(path) == 0
    repo = pool.acquire(path)
    repo.db.execute("BEGIN")
    pool.release(repo, reusable=True)
    assert repo.db is None and pool.idle(path) == 0


def test_per_use_state_is_forgotten(repo_copy: Path) -> None:
    pool = RepoPool()
    path = str(repo_copy)
    repo = pool.acquire(path)
    repo.cache[1] = b"stale"
    repo.rcvid = 7
    pool.release(repo, reusable=True)
    again = pool.acquire(path)
    assert again is repo and again.cache == {} and again.rcvid == 0
    pool.close_all()


def test_idle_handles_are_bounded(repo_copy: Path) -> None:
    pool = RepoPool()
    path = str(repo_copy)
    handles = [pool.acquire(path) for _ in range(MAX_IDLE_PER_FILE + 3)]
    assert len({id(h) for h in handles}) == MAX_IDLE_PER_FILE + 3
    for h in handles:
        pool.release(h, reusable=True)
    assert pool.idle(path) == MAX_IDLE_PER_FILE
    assert sum(h.db is None for h in handles) == 3
    pool.close_all()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_uses_the_parents_connection(repo_copy: Path) -> None:
    pool = RepoPool()
    path = str(repo_copy)
    parent_handle = pool.acquire(path)
    pool.release(parent_handle, reusable=True)
    pid = os.fork()
    if pid == 0:  # child: must open its own handle
        try:
            mine = pool.acquire(path)
            ok = mine is not parent_handle and mine.one("SELECT count(*) FROM blob") > 0
            os._exit(0 if ok else 3)
        except BaseException:  # noqa: BLE001
            os._exit(4)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.acquire(path) is parent_handle


def test_repository_emptied_in_place_gets_the_clear_message(repo_copy: Path) -> None:
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    assert call(app, "/stat").status == 200
    assert app.repos.idle(str(repo_copy)) == 1
    os.truncate(repo_copy, 0)
    r = call(app, "/stat")
    assert r.status == 500
    assert "The repository cannot be read; the details are in the server log." in r.text
    assert "not a repository (not an SQLite database)" in r.errors
    assert "Traceback" not in r.errors
    assert app.repos.idle(str(repo_copy)) == 0


def test_app_config_copies_pickles_and_hashes() -> None:
    import copy
    import pickle

    config = AppConfig(repository="/srv/r.fossil", files=["*.txt"], baseurl="https://x")
    assert copy.copy(config) == config and copy.deepcopy(config) == config
    assert pickle.loads(pickle.dumps(config)) == config
    assert {config: 1}[AppConfig(repository="/srv/r.fossil", files=("*.txt",), baseurl="https://x")] == 1
    with pytest.raises(AttributeError, match="read-only"):
        config.repository = "/elsewhere"  # type: ignore[misc]
