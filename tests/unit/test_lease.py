"""The backoffice lease row and the lease algorithm."""

import os
import subprocess
import time

import pytest

from fossilpy.backoffice import runner
from fossilpy.repo import lease


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11169 1795363047 0 0", (11169, 1795363047, 0, 0)),
        ("  5   6 7 8", (5, 6, 7, 8)),
        ("", (0, 0, 0, 0)),
        (None, (0, 0, 0, 0)),
        ("12 abc", (12, 0, 0, 0)),
        ("-3 4", (0, 0, 0, 0)),
    ],
)
def test_parse_is_lenient_like_fossil(text, expected) -> None:
    x = lease.parse(text)
    assert (x.id_current, x.tm_current, x.id_next, x.tm_next) == expected


def test_format_roundtrip() -> None:
    assert lease.Lease(1, 2, 3, 4).format() == "1 2 3 4"
    assert lease.parse("1 2 3 4") == lease.Lease(1, 2, 3, 4)


def test_process_exists() -> None:
    assert lease.process_exists(os.getpid())
    assert not lease.process_exists(0)
    assert not lease.process_exists(-5)
    p = subprocess.Popen(["true"])
    p.wait()
    assert not lease.process_exists(p.pid)
    assert lease.process_done(p.pid)




def test_run_takes_free_lease_and_works(bare_repo) -> None:
    before = int(time.time())
    result = runner.run(bare_repo, nodelay=True)
    assert result.outcome == "worked"
    x = lease.read(bare_repo)
    assert x.id_current == os.getpid()
    assert before + 60 <= x.tm_current <= int(time.time()) + 60
    assert (x.id_next, x.tm_next) == (0, 0)
    assert bare_repo.one("SELECT mtime FROM config WHERE name='backoffice'") >= before


def test_run_with_nodelay_leaves_a_held_lease_alone(bare_repo) -> None:
    holder = subprocess.Popen(["sleep", "30"])
    try:
        held = lease.Lease(holder.pid, int(time.time()) + 60, 0, 0)
        lease.write(bare_repo, held)
        assert runner.run(bare_repo, nodelay=True).outcome == "nodelay-exit"
        assert lease.read(bare_repo) == held
        bare_repo.config_set("backoffice-nodelay", "1")
        assert runner.run(bare_repo).outcome == "nodelay-exit"
    finally:
        holder.kill()
        holder.wait()


def test_run_goes_on_deck_then_takes_over(bare_repo) -> None:
    holder = subprocess.Popen(["sleep", "30"])
    now = int(time.time())
    lease.write(bare_repo, lease.Lease(holder.pid, now + 2, 0, 0))
    slept = []

    def fake_sleep(seconds):
        slept.append(seconds)
        x = lease.read(bare_repo)
        assert x.id_next == os.getpid()
        assert x.tm_next == max(now, now + 2) + 60 or x.tm_next >= now + 60
        holder.kill()
        holder.wait()
        lease.write(bare_repo, lease.Lease(holder.pid, 0, x.id_next, x.tm_next))

    result = runner.run(bare_repo, sleep=fake_sleep)
    assert slept and slept[0] >= 1
    assert result.outcome == "worked"
    assert lease.read(bare_repo).id_current == os.getpid()


def test_another_live_process_on_deck_means_not_needed(bare_repo) -> None:
    other = subprocess.Popen(["sleep", "30"])
    try:
        lease.write(bare_repo, lease.Lease(0, 0, other.pid, int(time.time()) + 60))
        assert not runner.needed(bare_repo)
        assert runner.run(bare_repo).outcome == "not-needed"
    finally:
        other.kill()
        other.wait()
    assert runner.needed(bare_repo)


def test_disable_setting(bare_repo) -> None:
    assert runner.needed(bare_repo)
    bare_repo.config_set("backoffice-disable", "on")
    assert not runner.needed(bare_repo)


def test_log_line_format(bare_repo, tmp_path) -> None:
    log = tmp_path / "bo.log"
    runner.work(bare_repo, logfile=str(log), debug=False)
    assert not log.exists()  # nothing done, no --debug: no line
    runner.work(bare_repo, logfile=str(log), debug=True)
    line = log.read_text().splitlines()[-1]
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d r\.fossil no-op elapse-time \d+ us", line)
