"""Delta creation and application (format in fossilpy/artifact/delta.py)."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fossilpy.artifact import delta
from fossilpy.errors import ArtifactError
from tests.limits import time_limit


def test_worked_example_from_fossil() -> None:
    # observed with fossil test-delta-create: header, copy, insert, copy, insert, checksum
    d = b"1BH\nFd@0,D:INSERTED TEXTwO@Il,4:tail2N2bSt;"
    assert delta.output_size(d) == 4817


def test_small_source_is_one_insert() -> None:
    d = delta.create(b"abc", b"hello")
    assert d == b"5\n5:hello" + delta.encode_int(delta.checksum(b"hello")) + b";"
    assert delta.create(b"", b"") == b"0\n0;"
    assert delta.apply(b"", b"0\n0;") == b""


def test_copy_segments_are_used() -> None:
    src = bytes(range(256)) * 40
    tgt = src[:5000] + b"NEW" + src[5000:]
    d = delta.create(src, tgt)
    assert len(d) < 40
    assert b"@" in d
    assert delta.apply(src, d, verify_checksum=True) == tgt


def test_speed_on_a_megabyte() -> None:
    rng = random.Random(3)
    src = rng.randbytes(1 << 20)
    tgt = bytearray(src)
    for _ in range(50):
        p = rng.randrange(len(tgt))
        tgt[p : p + 10] = b"edited!"
    t = time.perf_counter()
    d = delta.create(src, bytes(tgt))
    elapsed = time.perf_counter() - t
    assert delta.apply(src, d) == tgt
    assert len(d) < 2000
    assert elapsed < 0.5, elapsed
    t = time.perf_counter()
    d = delta.create(src, rng.randbytes(1 << 20))  # nothing in common
    assert time.perf_counter() - t < 2.0
    assert len(d) < (1 << 20) + 20


def _related(draw) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    src = draw(st.binary(max_size=3000))
    tgt = bytearray(src)
    for op, pos, data in draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4000), st.binary(max_size=40)), max_size=6)
    ):
        p = pos % (len(tgt) + 1)
        if op == 0:
            tgt[p:p] = data
        elif op == 1:
            del tgt[p : p + len(data) + 1]
        else:
            tgt[p:p] = src[p : p + 100]
    return src, bytes(tgt)


related = st.composite(_related)


@settings(max_examples=300, deadline=None)
@given(related())
def test_apply_create_round_trip(pair: tuple[bytes, bytes]) -> None:
    src, tgt = pair
    d = delta.create(src, tgt)
    assert delta.output_size(d) == len(tgt)
    assert delta.apply(src, d, verify_checksum=True) == tgt


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500), st.binary(max_size=500))
def test_unrelated_round_trip(src: bytes, tgt: bytes) -> None:
    assert delta.apply(src, delta.create(src, tgt), verify_checksum=True) == tgt


@settings(max_examples=500)
@given(st.binary(max_size=200), st.binary(max_size=200))
def test_garbage_deltas_only_raise_artifact_error(src: bytes, garbage: bytes) -> None:
    for d in (garbage, b"%d\n" % len(garbage) + garbage):
        with time_limit(2):
            try:
                delta.apply(src, d, verify_checksum=True)
            except ArtifactError:
                pass
            try:
                delta.output_size(d)
            except ArtifactError:
                pass


@settings(max_examples=300, deadline=None)
@given(related(), st.integers(0, 10_000), st.integers(0, 255))
def test_corrupted_deltas_only_raise_artifact_error(pair, where: int, byte: int) -> None:  # type: ignore[no-untyped-def]
    src, tgt = pair
    d = bytearray(delta.create(src, tgt))
    d[where % len(d)] = byte
    with time_limit(2):
        try:
            delta.apply(src, bytes(d))
        except ArtifactError:
            pass


@pytest.mark.parametrize(
    "bad,message",
    [
        (b"", "bad delta: expected an integer"),
        (b"5", "bad delta: size header does not end with a newline"),
        (b"5\n3@0;", "bad delta: copy command not terminated by ','"),
        (b"2\n3@0,0;", "bad delta: copy exceeds the declared output size"),
        (b"9\n9@5,0;", "bad delta: copy extends past the end of the source"),
        (b"1\n2:ab0;", "bad delta: insert exceeds the declared output size"),
        (b"5\n5:ab", "bad delta: insert count exceeds the remaining delta"),
        (b"3\n2:ab0;", "bad delta: output size does not match the header"),
        (b"3\n2:ab!", "bad delta: expected an integer"),
        (b"3\n3?", "bad delta: unknown operator '?'"),
        (b"3\n3:abc", "bad delta: unterminated delta"),
    ],
)
def test_bad_deltas(bad: bytes, message: str) -> None:
    with pytest.raises(ArtifactError) as info:
        delta.apply(b"0123456789", bad)
    assert str(info.value) == message
