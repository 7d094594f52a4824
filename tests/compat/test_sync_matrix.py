"""Issue 3's matrix over HTTP and file://: {fossil->fossilpy, fossilpy->fossil,
fossilpy->fossilpy} x {clone, pull, push, sync} (the ssh leg is
tests/doors/test_ssh_sync_matrix.py).

HTTP servers are the real doors: ``fossilpy server`` and ``fossil server
--nojail``.  Over file:// the client's own program serves, so there the
pairs say which program made the repository and which one syncs with it.
After every operation both sides hold the same artifacts and ``fossil
test-integrity`` is clean on both.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.net import free_port, serving

pytestmark = pytest.mark.compat

PAIRS = [("fossil", "fossilpy"), ("fossilpy", "fossil"), ("fossilpy", "fossilpy")]
IDS = [f"{c}-to-{s}" for c, s in PAIRS]


def _commit(fossil, repo: Path, work: Path, name: str) -> None:
    work.mkdir()
    fossil("open", repo, "--workdir", work, "--nosync")
    fossil("settings", "autosync", "off", cwd=work)
    (work / f"{name}.txt").write_text(f"{name}\n" * 40)
    fossil("add", f"{name}.txt", cwd=work)
    fossil("commit", "-m", f"check-in {name}", "--no-warnings", cwd=work)
    fossil("close", cwd=work)


def _same(fossil, a: Path, b: Path, *, must_have: int) -> None:
    sql = "SELECT uuid FROM blob WHERE size>=0 ORDER BY uuid"
    left, right = fossil.text("sql", "-R", a, sql).split(), fossil.text("sql", "-R", b, sql).split()
    assert left == right
    assert len(left) >= must_have
    for repo in (a, b):
        report = fossil.text("test-integrity", "-R", repo)
        assert " 0 errors" in report and "low-level database integrity-check: ok" in report, report


def _origin(maker, fossil, tmp_path: Path) -> Path:
    origin = tmp_path / "origin.fossil"
    maker("init", origin)
    maker("user", "password", "root", "s3cret", "-R", origin)
    # the test commits into the served file itself: no backoffice run after a reply may hold
    # its write lock at that moment (fossil's commit does not wait for a lock)
    fossil("settings", "backoffice-disable", "1", "-R", origin)
    _commit(fossil, origin, tmp_path / "w0", "base")
    return origin


def _round_trip(run, fossil, origin: Path, url: str, tmp_path: Path, base: int) -> None:
    clone = tmp_path / "clone.fossil"
    run("clone", url, clone)
    _same(fossil, origin, clone, must_have=base)
    _commit(fossil, origin, tmp_path / "w1", "on-server")
    run("pull", url, "-R", clone)
    _same(fossil, origin, clone, must_have=base + 2)
    _commit(fossil, clone, tmp_path / "w2", "on-client")
    run("push", url, "-R", clone)
    _same(fossil, origin, clone, must_have=base + 4)
    _commit(fossil, origin, tmp_path / "w3", "server-again")
    _commit(fossil, clone, tmp_path / "w4", "client-again")
    run("sync", url, "-R", clone)
    _same(fossil, origin, clone, must_have=base + 8)


@pytest.mark.parametrize("client, server", PAIRS, ids=IDS)
def test_http_matrix(client, server, fossil, fossilpy, tmp_path) -> None:
    real = require_binary("fossil")
    origin = _origin(fossilpy if server == "fossilpy" else fossil, fossil, tmp_path)
    port = free_port()
    argv = ([sys.executable, "-m", "fossilpy", "server"] if server == "fossilpy"
            else [real, "server", "--nojail"]) + ["--localhost", "--port", str(port), str(origin)]
    with serving(argv, port, env=fossil.env):
        run = fossil if client == "fossil" else fossilpy
        _round_trip(run, fossil, origin, f"http://root:s3cret@127.0.0.1:{port}/", tmp_path, 3)


@pytest.mark.parametrize("client, maker", PAIRS, ids=IDS)
def test_file_matrix(client, maker, fossil, fossilpy, tmp_path) -> None:
    origin = _origin(fossilpy if maker == "fossilpy" else fossil, fossil, tmp_path)
    run = fossil if client == "fossil" else fossilpy
    _round_trip(run, fossil, origin, f"file://{origin}", tmp_path, 3)
