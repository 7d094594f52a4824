"""Issue 9, finding 11: a killed clone leaves no hidden partial repository behind.

A ``fossilpy clone`` from a real ``fossil server`` is killed in the middle
(the server's ``max-download`` is small, so the clone takes dozens of
round trips).  SIGTERM, SIGHUP and SIGINT remove the temporary files at
once and end the process by the same signal; after a SIGKILL the next
clone into the same name removes them.  Either way the second clone is
complete and nothing named ``.NAME.clone-*`` remains.  Before the fix
SIGTERM left ``.NAME.clone-PID.tmp`` and its journal, and later clones
(another PID) never removed them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.compat.sync_harness import artifact_set, random_files_server
from tests.conftest import base_env, require_binary

FILES = 60
FILE_SIZE = 48_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(URL, repository) of a real ``fossil server`` whose clone takes many round trips."""
    with random_files_server(tmp_path_factory.mktemp("clonekill"), FILES, FILE_SIZE, 20_000) as served:
        yield served


def _clone_cmd(url: str, target: Path) -> list[str]:
    return [sys.executable, "-m", "fossilpy", "clone", url, str(target)]


def _leftovers(folder: Path, target: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{target.name}.clone-"))


def _start_and_kill(url: str, target: Path, sig: int, env: dict[str, str]) -> tuple[int, list[str]]:
    """Start a clone, wait until its temporary file holds part of the data, send ``sig``."""
    proc = subprocess.Popen(
        _clone_cmd(url, target), cwd=target.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    tmp = target.parent / f".{target.name}.clone-{proc.pid}.tmp"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the clone ended before it could be killed: {proc.stderr.read()!r}")
            if tmp.exists() and tmp.stat().st_size > 5 * FILE_SIZE:
                break
            time.sleep(0.005)
        else:
            pytest.fail("the clone never got going")
        seen = _leftovers(target.parent, target)
        proc.send_signal(sig)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert tmp.name in seen
    return proc.returncode, seen


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signalled_clone_cleans_up_at_once(server, tmp_path: Path, sig: int) -> None:  # type: ignore[no-untyped-def]
    url, repo = server
    env = base_env(tmp_path)
    target = tmp_path / "copy.fossil"
    code, _seen = _start_and_kill(url, target, sig, env)
    assert code == -sig  # died of the signal, as without a handler
    assert _leftovers(tmp_path, target) == [] and not target.exists()
    done = subprocess.run(_clone_cmd(url, target), cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert artifact_set(target) == artifact_set(repo)
    assert len(artifact_set(repo)) == FILES + 2  # + the initial and the new check-in
    assert _leftovers(tmp_path, target) == []


def test_killed_clone_is_cleaned_up_by_the_next(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, repo = server
    env = base_env(tmp_path)
    target = tmp_path / "copy.fossil"
    code, _seen = _start_and_kill(url, target, signal.SIGKILL, env)
    assert code == -signal.SIGKILL
    left = _leftovers(tmp_path, target)
    assert left and all(n.endswith((".tmp", ".tmp-journal")) for n in left), left
    # a live clone's temporary file (here: this process's PID) is never removed
    live = tmp_path / f".{target.name}.clone-{os.getpid()}.tmp"
    live.write_bytes(b"in use")
    done = subprocess.run(_clone_cmd(url, target), cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert artifact_set(target) == artifact_set(repo)
    assert len(artifact_set(repo)) == FILES + 2  # + the initial and the new check-in
    assert _leftovers(tmp_path, target) == [live.name]
    fossil = require_binary("fossil")
    check = subprocess.run([fossil, "test-integrity", "-R", str(target)], env=env, capture_output=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_stale_files_are_matched_exactly(tmp_path: Path) -> None:
    from fossilpy.sync.clone import remove_stale_temp_files

    dead = subprocess.Popen(["true"])
    dead.wait()
    names = [
        f".x.fossil.clone-{dead.pid}.tmp",
        f".x.fossil.clone-{dead.pid}.tmp-journal",
        f".x.fossil.clone-{dead.pid}.tmp-wal",
        f".x.fossil.clone-{os.getpid()}.tmp",  # alive
        f".x.fossil.clone-{dead.pid}.tmp-other",  # not ours
        f".y.fossil.clone-{dead.pid}.tmp",  # another target
        ".x.fossil.clone-abc.tmp",
        "x.fossil",
    ]
    for n in names:
        (tmp_path / n).write_bytes(b"")
    removed = remove_stale_temp_files(str(tmp_path / "x.fossil"))
    assert [Path(p).name for p in removed] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:])
