"""The shared test helpers themselves: time limits, ports, artifact text."""

from __future__ import annotations

import hashlib
import signal
import sys
import time

import pytest

from tests.builders import artifact, with_z
from tests.limits import TimeLimitExceeded, time_limit
from tests.net import free_port, serving


def test_time_limit_stops_a_loop_that_never_ends() -> None:
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        while True:
            pass
    assert time.monotonic() - started < 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing left armed


def test_time_limit_lets_quick_work_through() -> None:
    with time_limit(5):
        assert sum(range(1000)) == 499500
    with pytest.raises(RuntimeError, match="cannot nest"), time_limit(5), time_limit(1):
        pass


def test_serving_waits_for_the_port_and_stops_the_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    with serving(argv, port, cwd=tmp_path, log=tmp_path / "log") as proc:
        assert proc.poll() is None
    assert proc.poll() is not None


def test_artifact_text() -> None:
    body = b"D 2024-01-01T00:00:00\nL p\nU u\nW 3\nabc\n"
    assert with_z(body) == body + b"Z " + hashlib.md5(body).hexdigest().encode() + b"\n"
    assert artifact(["D 2024-01-01T00:00:00", "L p", "U u", "W"], "abc") == with_z(body)
