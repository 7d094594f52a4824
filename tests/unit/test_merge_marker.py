"""``contains_merge_marker`` finds a marker where Fossil's line scan does.

The reference below is Fossil 2.21's scan (``contains_merge_marker`` in
``src/merge3.c``) transcribed step for step: check the markers at a line
start, walk to the next LF, skip the run of CR and LF that follows.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fossilpy.artifact.merge3 import MARKERS, contains_merge_marker


def _fossil_scan(text: bytes) -> bool:
    n = len(text) - len(MARKERS[0]) + 1
    i = 0
    while i < n:
        if any(text.startswith(m, i) for m in MARKERS):
            return True
        while i < n and text[i] != 10:
            i += 1
        while i < n and text[i] in (10, 13):
            i += 1
    return False


_PIECES = st.sampled_from([b"a", b"xy z", b"\n", b"\r", b"\r\n", b"\n\r", b"<", b"=", *MARKERS, MARKERS[0][:-1]])


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=12))
def test_same_answer_as_fossils_line_scan(pieces: list[bytes]) -> None:
    text = b"".join(pieces)
    assert contains_merge_marker(text) is _fossil_scan(text)


def test_the_cases_by_name() -> None:
    m = MARKERS[2]
    assert contains_merge_marker(m)
    assert contains_merge_marker(b"x\n" + m)
    assert contains_merge_marker(b"x\r\n\r\n" + m)
    assert contains_merge_marker(b"\r\n" + m)
    assert not contains_merge_marker(b"x\r" + m)  # a lone CR ends no line
    assert not contains_merge_marker(b"\r" + m)
    assert not contains_merge_marker(b"x " + m)
    assert not contains_merge_marker(b"x\n" + m[:-1])  # the whole marker line, 65 bytes


def test_a_large_file_is_scanned_without_a_python_loop_per_byte() -> None:
    text = b"ordinary line of text\n" * 200_000  # 4.4 MB
    assert not contains_merge_marker(text)
    assert contains_merge_marker(text + MARKERS[3] + b"\n")
