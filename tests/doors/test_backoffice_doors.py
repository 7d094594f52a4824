"""The backoffice behind every door: one at a time, one on deck, never in the reply's way.

Each door (``fossilpy server``, a CGI script under lighttpd, ``fossilpy
server --scgi`` behind nginx) serves its own repository.  The backoffice is
made slow with the test-only environment variable
``FOSSILPY_BACKOFFICE_SLOW`` (see ``fossilpy.backoffice.runner``), which
also writes ``pid PID run START END`` into each line of the
``backoffice-logfile``.  Fifty concurrent requests then show that:

* at most one backoffice works at a time (logged runs never overlap, and
  only two run: the first and the one that queued on deck);
* a request inside the lease queues exactly one "next" (the lease names
  one live on-deck process, whatever the number of requests);
* replies do not wait for the backoffice (a reply while it works takes a
  fraction of one slow run; under the burst the median is close to the
  median with the backoffice disabled).

Real ``fossil http --nojail`` on the same repository reads our lease and
leaves the queued fossilpy process in place.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fossilpy.repo import lease as leasemod
from tests.conftest import base_env, require_binary
from tests.net import raw_http, split_reply

pytestmark = pytest.mark.doors

SLOW = 20  # seconds one backoffice run takes
N = 50


def _get(port: int, path: str) -> tuple[int, float]:
    t0 = time.monotonic()
    reply = raw_http(port, f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode(), timeout=120)
    elapsed = time.monotonic() - t0
    first = split_reply(reply)[0]
    return int(first.split()[1]), elapsed


def _burst(port: int, path: str, n: int = N) -> list[float]:
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda _i: _get(port, path), range(n)))
    assert [s for s, _ in results] == [200] * n
    return [t for _, t in results]


def _lease(repo: Path) -> leasemod.Lease:
    import sqlite3

    db = sqlite3.connect(repo, timeout=30)
    try:
        row = db.execute("SELECT value FROM config WHERE name='backoffice'").fetchone()
    finally:
        db.close()
    return leasemod.parse(row[0] if row else "")


def _set(repo: Path, name: str, value: str | None) -> None:
    import sqlite3

    db = sqlite3.connect(repo, timeout=30)
    with db:
        if value is None:
            db.execute("DELETE FROM config WHERE name=?", (name,))
        else:
            db.execute("REPLACE INTO config(name,value,mtime) VALUES(?,?,0)", (name, value))
    db.close()


def _runs(log: Path) -> list[tuple[int, float, float]]:
    out = []
    for line in log.read_text().splitlines() if log.exists() else []:
        words = line.split()
        i = words.index("pid")
        assert words[i + 2] == "run", line
        out.append((int(words[i + 1]), float(words[i + 3]), float(words[i + 4])))
    return out


@pytest.fixture
def slow_env(home: Path) -> dict[str, str]:
    return {**base_env(home), "FOSSILPY_BACKOFFICE_SLOW": str(SLOW)}


def test_fifty_requests_through_each_door(fossil, tmp_path, slow_env, fossilpy_server, nginx, lighttpd,
                                          fossilpy_exe) -> None:
    exe = require_binary("fossil")
    repos = {}
    for door in ("server", "cgi", "scgi"):
        fossil("init", f"{door}.fossil")
        repos[door] = tmp_path / f"{door}.fossil"
        _set(repos[door], "backoffice-logfile", str(tmp_path / f"{door}.log"))
        _set(repos[door], "backoffice-disable", "1")
    ports = {"server": fossilpy_server(str(repos["server"]), env=slow_env),
             "scgi": nginx(fossilpy_server(str(repos["scgi"]), "--scgi", env=slow_env))}
    docroot = tmp_path / "www"
    docroot.mkdir()
    wrapper = tmp_path / "bin" / "slow-fossilpy"
    wrapper.write_text(f"#!/bin/sh\nFOSSILPY_BACKOFFICE_SLOW={SLOW}\nHOME={slow_env['HOME']}\nUSER=root\n"
                       f"export FOSSILPY_BACKOFFICE_SLOW HOME USER\nexec {fossilpy_exe} \"$@\"\n")
    wrapper.chmod(0o755)
    (docroot / "repo.cgi").write_text(f"#!{wrapper}\nrepository: {repos['cgi']}\n")
    (docroot / "repo.cgi").chmod(0o755)
    ports["cgi"] = lighttpd(docroot)
    path = {"server": "/stat", "scgi": "/stat", "cgi": "/repo.cgi/stat"}

    # baseline: the same burst with the backoffice disabled
    baseline = {door: statistics.median(_burst(ports[door], path[door])) for door in repos}
    for door in repos:
        assert _runs(tmp_path / f"{door}.log") == [] and _lease(repos[door]) == leasemod.Lease()
        _set(repos[door], "backoffice-disable", None)

    started = {}
    latencies = {}
    for door in repos:
        # one request starts the first backoffice, which holds the lease for SLOW seconds
        status, t_first = _get(ports[door], path[door])
        assert status == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not leasemod.process_exists(_lease(repos[door]).id_current):
            time.sleep(0.05)
        first = _lease(repos[door])
        assert leasemod.process_exists(first.id_current), door
        started[door] = time.time()
        # replies while it works do not wait for it: each takes a fraction of one run
        alone = [t_first] + [_get(ports[door], path[door])[1] for _ in range(3)]
        assert max(alone) < SLOW / 2, (door, alone)
        assert leasemod.process_exists(_lease(repos[door]).id_current), door  # still working
        latencies[door] = _burst(ports[door], path[door])
        x = _lease(repos[door])
        # still the same worker, and exactly one live process on deck
        assert x.id_current == first.id_current and x.tm_current == first.tm_current, door
        assert x.id_next not in (0, first.id_current) and leasemod.process_exists(x.id_next), door
        assert x.tm_next == x.tm_current + leasemod.LEASE_TIME, door
        # more requests while someone is on deck change nothing
        assert _burst(ports[door], path[door], 10)
        assert _lease(repos[door]) == x, door
        if door == "server":
            # real fossil, answering a request on our repository, respects our lease
            raw = b"GET /stat HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
            out = subprocess.run([exe, "http", "--nojail", str(repos[door])], input=raw,
                                 capture_output=True, env=slow_env, timeout=60).stdout
            assert out.startswith(b"HTTP/1.0 200 OK"), out[:200]
            time.sleep(1)
            assert _lease(repos[door]) == x

    for door in repos:
        print(f"{door}: median reply {statistics.median(latencies[door]):.3f}s (backoffice off: "
              f"{baseline[door]:.3f}s), slowest {max(latencies[door]):.3f}s; one run takes {SLOW}s")
        # under load, replies are as fast as with no backoffice at all (the spawned
        # processes that find someone on deck exit at once)
        assert statistics.median(latencies[door]) < 2 * baseline[door] + 2.0, (door, baseline[door],
                                                                               latencies[door])

    # wait for the on-deck process of each door to take its turn and finish
    deadline = max(started.values()) + leasemod.LEASE_TIME + SLOW + 30
    while time.time() < deadline and not all(len(_runs(tmp_path / f"{d}.log")) >= 2 for d in repos):
        time.sleep(1)
    for door in repos:
        runs = _runs(tmp_path / f"{door}.log")
        assert len(runs) == 2, (door, runs)
        (pid1, s1, e1), (pid2, s2, e2) = runs
        assert pid1 != pid2 and e1 - s1 >= SLOW and e2 - s2 >= SLOW
        assert s2 >= e1, f"{door}: backoffice runs overlap: {runs}"
        # the next one waited for the first lease to expire, as Fossil's does
        assert s2 >= s1 + leasemod.LEASE_TIME - 2, (door, runs)
