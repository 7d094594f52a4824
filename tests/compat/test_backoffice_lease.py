"""fossil and fossilpy share one backoffice lease and respect each other's."""

import os
import re
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.compat


def _lease_fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        out[key.strip()] = rest.strip()
    return out


@pytest.fixture
def repo(fossil, tmp_path):
    fossil("init", "r.fossil")
    return tmp_path / "r.fossil"


def test_fossil_reads_fossilpy_lease(fossil, fossilpy, repo) -> None:
    fossilpy("backoffice", repo)
    out = _lease_fields(fossil.text("test-backoffice-lease", "-R", repo))
    pid_s, tm_s, nxt, tmn = out["lease"].strip('"').split()
    assert (nxt, tmn) == ("0", "0")
    assert re.fullmatch(r"\d+ +\(done\)", out["idCurrent"])
    assert re.fullmatch(rf"{tm_s} +\(now\+(59|60)\)", out["tmCurrent"])
    # fossilpy prints the same report for the same row
    mine = fossilpy.text("test-backoffice-lease", "-R", repo)
    theirs = fossil.text("test-backoffice-lease", "-R", repo)
    strip = lambda s: re.sub(r"now[+-]\d+", "now+N", s.split("\n", 1)[1])  # noqa: E731
    assert strip(mine) == strip(theirs)


def test_fossilpy_reads_fossil_lease(fossil, fossilpy, repo) -> None:
    fossil("backoffice", repo)
    value = fossil.text("sql", "-R", repo, "SELECT value FROM config WHERE name='backoffice'").strip().strip("'")
    out = _lease_fields(fossilpy.text("test-backoffice-lease", "-R", repo))
    assert out["lease"] == f'"{value}"'
    # fossil's lease has not expired: fossilpy must not work now
    res = fossilpy.text("backoffice", "--nodelay", "--debug", repo)
    assert res.strip() == "nodelay-exit: no-op"


def test_held_lease_blocks_both_implementations(fossil, fossilpy, repo, tmp_path) -> None:
    holder = subprocess.Popen(["sleep", "60"])
    try:
        now = int(time.time())
        value = f"{holder.pid} {now + 60} 0 0"
        fossil("sql", "-R", repo, f"REPLACE INTO config VALUES('backoffice','{value}',{now})")
        log_f = tmp_path / "fossil.log"
        log_p = tmp_path / "fossilpy.log"
        fossil("backoffice", "--nodelay", "--debug", "--logfile", log_f, repo)
        fossilpy("backoffice", "--nodelay", "--debug", "--logfile", log_p, repo)
        assert not log_f.exists() and not log_p.exists()
        got = fossil.text("sql", "-R", repo, "SELECT value FROM config WHERE name='backoffice'")
        assert got.strip().strip("'") == value
    finally:
        holder.kill()
        holder.wait()
    # holder gone and its lease expired -> each one works
    fossil("sql", "-R", repo, f"REPLACE INTO config VALUES('backoffice','{holder.pid} 1 0 0',1)")
    fossilpy("backoffice", "--nodelay", "--debug", "--logfile", tmp_path / "p2.log", repo)
    assert "no-op elapse-time" in (tmp_path / "p2.log").read_text()
    fossil("sql", "-R", repo, f"REPLACE INTO config VALUES('backoffice','{holder.pid} 1 0 0',1)")
    fossil("backoffice", "--nodelay", "--debug", "--logfile", tmp_path / "f2.log", repo)
    assert "no-op elapse-time" in (tmp_path / "f2.log").read_text()


def test_one_process_goes_on_deck(fossil, fossilpy, repo, home) -> None:
    holder = subprocess.Popen(["sleep", "60"])
    waiting = None
    try:
        now = int(time.time())
        fossil("sql", "-R", repo, f"REPLACE INTO config VALUES('backoffice','{holder.pid} {now + 30} 0 0',{now})")
        waiting = subprocess.Popen(
            [sys.executable, "-m", "fossilpy", "backoffice", str(repo)],
            env={**fossilpy.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        deadline = time.time() + 20
        x = None
        while time.time() < deadline:
            x = _lease_fields(fossil.text("test-backoffice-lease", "-R", repo))
            if x["idNext"].startswith(str(waiting.pid)):
                break
            time.sleep(0.2)
        assert x and x["idNext"].split()[0] == str(waiting.pid)
        assert "(exists)" in x["idNext"]
        assert re.search(r"\(now\+(8\d|90)\)", x["tmNext"])
        # a second fossilpy and real fossil both see someone on deck and stop at once
        t0 = time.time()
        assert fossilpy.text("backoffice", "--debug", repo).strip() == "not-needed: no-op"
        fossil("backoffice", repo)
        assert time.time() - t0 < 10
        x2 = _lease_fields(fossil.text("test-backoffice-lease", "-R", repo))
        assert x2["idNext"].split()[0] == str(waiting.pid)
    finally:
        holder.kill()
        holder.wait()
        if waiting:
            waiting.kill()
            waiting.wait()


def test_requests_start_one_backoffice_per_lease(repo, monkeypatch) -> None:
    """The after-reply trigger enters the process it starts on deck: a burst starts one or two."""
    import signal

    from fossilpy.backoffice import trigger
    from fossilpy.repo import lease as leasemod
    from fossilpy.repo.db import Repo
    from tests.conftest import ROOT

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("FOSSILPY_BACKOFFICE_SLOW", "30")
    started = [pid for pid in (trigger.after_reply(str(repo)) for _ in range(20)) if pid]
    try:
        # the first is on deck at once, so the other 19 start nothing
        assert len(started) == 1, started
        deadline = time.time() + 20
        while time.time() < deadline:
            with Repo.open(str(repo), readonly=True) as r:
                x = leasemod.read(r)
            if x.id_current == started[0]:
                break
            time.sleep(0.1)
        assert x.id_current == started[0] and leasemod.process_exists(x.id_current)
        assert (x.id_next, x.tm_next) == (0, 0)
        # it works for 30 s under its lease: the next requests queue exactly one process
        more = [pid for pid in (trigger.after_reply(str(repo)) for _ in range(10)) if pid]
        started += more
        assert len(more) == 1, more
        with Repo.open(str(repo), readonly=True) as r:
            y = leasemod.read(r)
        assert (y.id_current, y.id_next) == (started[0], more[0]) and leasemod.process_exists(y.id_next)
        assert y.tm_next == y.tm_current + leasemod.LEASE_TIME
    finally:
        with Repo.open(str(repo), readonly=True) as r:
            z = leasemod.read(r)
        for pid in set(started) | {z.id_next}:
            if pid and leasemod.process_exists(pid):
                os.kill(pid, signal.SIGTERM)


def test_poll_runs_changed_repositories_only(fossil, tmp_path) -> None:
    """``backoffice --poll N``: every repository on the first pass, later only changed ones."""
    import threading

    fossil("init", "a.fossil")
    fossil("init", "b.fossil")
    a, b = tmp_path / "a.fossil", tmp_path / "b.fossil"
    log = tmp_path / "bo.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fossilpy", "backoffice", "--poll", "1", "--min", "0", "--debug",
         "--logfile", str(log), str(a), str(b)],
        env=fossil.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()

    def commands() -> list[str]:
        return [ln for ln in list(lines) if ln.startswith("COMMAND: ")]

    def wait_for(n: int) -> None:
        deadline = time.time() + 30
        while len(commands()) < n and time.time() < deadline:
            time.sleep(0.1)

    try:
        wait_for(2)
        first = commands()
        assert len(first) == 2
        assert first[0].rstrip().endswith(f"--nodelay --nolease --debug --logfile {log} {a}")
        assert first[1].rstrip().endswith(f" {b}")
        time.sleep(2.5)  # two more passes: nothing changed, nothing runs
        assert len(commands()) == 2
        fossil("sql", "-R", b, "REPLACE INTO config VALUES('project-name','changed',1)")
        wait_for(3)
        third = commands()[2]
        assert third.rstrip().endswith(f" {b}")
        deadline = time.time() + 30  # the child started by the third pass logs its run
        while time.time() < deadline and log.read_text().count("\n") < 3:
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    runs = log.read_text().splitlines()
    assert len(runs) == 3
    assert all(re.search(r"no-op elapse-time \d+ us$", r) for r in runs)
