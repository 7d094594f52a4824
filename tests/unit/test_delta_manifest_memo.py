"""fmemo_delta.memo_parse_delta gives what ``manifest.parse_or_none`` gives (and fmemo too
when it looks for edits of the block before only now and then).

Delta manifests (a ``B`` card) are parsed with the batch's F-line memo; every
shape of card around the F lines, every kind of new F line, lines out of
order, wrong Z cards, and lines known from the memo (baseline lines, reserved
names) must give the parser's fields (or None where it gives None).  Lines
without a hash are not remembered: a baseline manifest with such a line is
still refused afterwards.  No fossil binary is needed.
"""

from __future__ import annotations

import pytest

from fossilpy.artifact import fmemo
from fossilpy.artifact.fmemo_delta import memo_parse_delta
from fossilpy.artifact.manifest import parse_or_none
from tests.builders import with_z
from tests.unit.conftest import HASHES, MANIFEST_TAILS, MemoBatch, manifest_fields

H = HASHES
B = f"B {H[7]}\n"
DATE = "D 2024-01-01T00:00:00\n"


_Memo = MemoBatch


def _same(b: _Memo, data: bytes) -> None:
    got = memo_parse_delta(b, data)
    want = parse_or_none(data)
    assert manifest_fields(got) == manifest_fields(want)
    if got is not None and got.extra.get("memo"):
        assert [line.decode() for line in got.extra["flines"]] == [
            line for line in data.decode("utf-8", "surrogateescape").split("\n") if line.startswith("F ")
        ]


HEADS = [
    B + "C c\n" + DATE,
    B + "C Change\\s7:\\somega(1);\n" + DATE,
    B + "C a\\\\sb\\nc\\0d\n" + DATE,
    B + "C \xe9t\xe9\n" + DATE,
    B + "C \n" + DATE,
    B + "C a b\n" + DATE,
    B + DATE,
    f"B {H[7][:40]}\nC c\n" + DATE,
    f"B {H[7].upper()}\nC c\n" + DATE,
    f"B {H[7][:50]}\nC c\n" + DATE,
    f"B {H[7]} x\nC c\n" + DATE,
    "B\nC c\n" + DATE,
    B + "C c\nD 2024-02-30T00:00:00\n",
    B + "C c\nD 2024-01-01T00:00:00.123\n",
    B + "C c\nD 0000-00-00T00:00:00\n",
    B + "C c\nC d\n" + DATE,
    f"A a {H[0]}\n" + B + "C c\n" + DATE,
]

TAILS = MANIFEST_TAILS


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("tail", TAILS)
def test_cards_around_the_f_lines_agree_with_the_parser(head: str, tail: str) -> None:
    data = with_z(head + f"F a {H[0]}\nF b\nF c {H[1]} x\n" + tail)
    b = _Memo()
    _same(b, data)
    _same(b, data)  # again, with the lines memoised


NEW_LINES = [
    f"F a {H[0]}",
    f"F a {H[0]} x",
    f"F a {H[0]} l",
    f"F a {H[0][:40]}",
    f"F a {H[0].upper()}",
    "F a",
    "F a ",
    "F a\\sb",
    f"F a\\sb {H[0]}",
    f"F a {H[0]} w old",
    f"F a {H[0]} w ../old",
    f"F ../a {H[0]}",
    "F ../a",
    f"F a//b {H[0]}",
    f"F a {H[0][:63]}",
    "F a xyz",
    f"F _FOSSIL_ {H[0]}",
    "F _FOSSIL_",
    f"F d/.fslckout {H[0]}",
    f"F a {H[0]} x y z",
    f"F a  {H[0]}",
    f"F \xe9 {H[0]}",
    f"F z {H[0]}",  # out of order before the next line
    "G x",
    "F",
]


@pytest.mark.parametrize("line", NEW_LINES)
def test_new_lines_agree_with_the_parser(line: str) -> None:
    data = with_z(f"{B}C c\n{DATE}{line}\nF y {H[1]}\nP {H[5]}\nU u\n")
    _same(_Memo(), data)
    b = _Memo()
    _same(b, with_z(f"{B}C c\n{DATE}F a {H[2]}\nF y {H[1]}\nP {H[5]}\nU u\n"))
    _same(b, data)  # after a manifest that differs in that line only
    _same(b, data)


def test_lines_from_baselines_and_order() -> None:
    b = _Memo()
    base = with_z(f"C c\n{DATE}F a {H[1]}\nF b\\sc {H[2]} w old\nF d {H[3]}\nU u\n")
    assert fmemo.memo_parse(b, base) is not None  # remembers its lines
    assert len(b.fline_memo) == 3
    b.fline_memo[f"F _FOSSIL_ {H[0]}".encode()] = (None, b"_FOSSIL_")  # a reserved name, as fmemo keeps it
    for lines in (
        [f"F a {H[1]}", f"F b\\sc {H[2]} w old", "F c", f"F d {H[3]}"],
        [f"F _FOSSIL_ {H[0]}", f"F a {H[1]}"],
        [f"F d {H[3]}", f"F a {H[1]}"],
        [f"F a {H[1]}", f"F a {H[1]}"],
        [f"F a {H[1]}", "F a"],
        [f"F b\\sc {H[2]} w old", "F b\\sd"],
        ["F b\\sc", f"F b\\sc {H[2]} w old"],
    ):
        _same(b, with_z(f"{B}C c\n{DATE}" + "".join(x + "\n" for x in lines) + f"P {H[5]}\nU u\n"))


def test_lines_without_hash_are_not_remembered() -> None:
    b = _Memo()
    delta = with_z(f"{B}C c\n{DATE}F a\nF b {H[1]}\nP {H[5]}\nU u\n")
    m = memo_parse_delta(b, delta)
    assert m is not None and m.files[0].uuid is None and m.extra["memo"]
    assert set(b.fline_memo) == {f"F b {H[1]}".encode()}
    baseline = with_z(f"C c\n{DATE}F a\nF b {H[1]}\nU u\n")
    assert parse_or_none(baseline) is None
    assert fmemo.memo_parse(b, baseline) is None


def test_wrong_z_card_and_no_f_lines() -> None:
    data = with_z(f"{B}C c\n{DATE}F a {H[0]}\nP {H[5]}\nU u\n")
    assert memo_parse_delta(_Memo(), data[:-33] + b"0" * 32 + b"\n") is None
    _same(_Memo(), with_z(f"{B}C c\n{DATE}P {H[5]}\nU u\n"))
    _same(_Memo(), b"B x\n")
    _same(_Memo(), data[:-1])


def test_baseline_edits_looked_for_now_and_then() -> None:
    """fmemo: after blocks that are not a few changes of the one before, the
    edits are looked for only every _EDIT_RETRY-th block; the fields are the
    parser's either way, and a block found as edits starts counting again."""
    b = _Memo()
    found = []
    for step in range(40):
        if step < 20:  # no line in common with the block before
            files = [f"F s{step}/f{i:03d} {i:064x}" for i in range(170 + step)]
        else:  # the block before and one more line
            files = [f"F d{i:03d} {i:064x}" for i in range(60)]
            files[31:31] = [f"F d030x{k:02d} {k:064x}" for k in range(step - 19)]
        data = with_z(f"C c\n{DATE}" + "".join(x + "\n" for x in files) + f"P {H[5]}\nU u\n")
        m = fmemo.memo_parse(b, data)
        assert manifest_fields(m) == manifest_fields(parse_or_none(data)), step
        assert m is not None and b.fmemo_ref is not None
        found.append((b.fmemo_ref.misses, "fdiff" in m.extra))
    assert [f[0] for f in found[:25]] == list(range(25))
    assert not any(f[1] for f in found[:25])
    # the block after 24 misses is looked at as edits (24 % _EDIT_RETRY == 0), then every one
    assert all(f == (0, True) for f in found[25:])


def test_memo_stays_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmemo, "FLINE_MEMO", 4)
    b = _Memo()
    for step in range(10):
        lines = [f"F f{step}x{i} {(step * 10 + i):064x}" for i in range(3)]
        _same(b, with_z(f"{B}C c\n{DATE}" + "".join(x + "\n" for x in lines) + f"P {H[5]}\nU u\n"))
        assert 0 < len(b.fline_memo) <= 4
