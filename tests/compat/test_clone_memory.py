"""A clone holds one reply at a time, read without a second copy (issue 15).

A real ``fossil server`` whose ``max-download`` is small sends a clone of
incompressible files in several replies of about the same size.  Watching
the Python heap (tracemalloc) around each round trip of an in-process
``fossilpy clone``:

* when a request goes out, the previous reply is no longer held (before the
  fix the loop's variable kept it until the next reply had arrived, so two
  replies were alive at once: 4.8 + 2.2 MiB on the 5,000 check-in clone);
* reading a reply of N bytes peaks near N (before: the pieces read and
  their join, 2N).
"""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import pytest

from fossilpy import budget
from fossilpy.sync import clone as clone_mod
from fossilpy.sync import transport
from tests.compat.sync_harness import artifact_set, random_files_server

FILES = 8
FILE_SIZE = 300_000
MAX_DOWNLOAD = 600_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with random_files_server(tmp_path_factory.mktemp("clonemem"), FILES, FILE_SIZE, MAX_DOWNLOAD) as served:
        yield served


def test_a_clone_holds_one_reply_at_a_time(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    url, src = server
    rounds: list[tuple[int, int, int]] = []  # (heap when sent, peak while reading, reply size)
    real = transport.HttpTransport._exchange

    def watched(self, body: bytes, content_type: str):  # type: ignore[no-untyped-def]
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        rct, reply = real(self, body, content_type)
        rounds.append((before, tracemalloc.get_traced_memory()[1] - before, len(reply)))
        return rct, reply

    monkeypatch.setattr(transport.HttpTransport, "_exchange", watched)
    monkeypatch.setenv("USER", "root")
    dest = tmp_path / "clone.fossil"
    tracemalloc.start()
    try:
        clone_mod.clone(url, str(dest), stream=None, remember=False)
    finally:
        tracemalloc.stop()
    assert artifact_set(dest) == artifact_set(src)
    big = [r for r in rounds if r[2] >= MAX_DOWNLOAD // 2]
    assert len(big) >= 3, rounds
    base = rounds[0][0]
    for (_, _, size), (sent, _, _) in zip(rounds, rounds[1:], strict=False):
        if size >= MAX_DOWNLOAD // 2:
            # the heap when the next request goes out: not the reply before it
            assert sent - base < size // 2, rounds
    for _, peak, size in big:
        assert peak < size * 3 // 2, rounds


class _Stream:
    """A file that hands out at most ``piece`` bytes per read, like a socket."""

    def __init__(self, data: bytes, piece: int) -> None:
        self.src = io.BytesIO(data)
        self.piece = piece

    def read(self, n: int) -> bytes:
        return self.src.read(min(n, self.piece))


@pytest.mark.parametrize("first", [b"", b"head:"])
def test_read_claimed_peaks_near_the_body(first: bytes) -> None:
    data = os.urandom(8 << 20)
    stream = _Stream(data, 64 << 10)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        got = budget.read_claimed(stream, len(first) + len(data), first)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert got == first + data
    assert peak < len(data) * 5 // 4


def test_read_claimed_stops_at_the_end_of_the_stream() -> None:
    stream = _Stream(b"x" * 1000, 300)
    assert budget.read_claimed(stream, 1 << 30, b"ab") == b"ab" + b"x" * 1000
    assert budget.read_claimed(_Stream(b"", 10), 5) == b""
