"""``fossilpy diff`` against ``fossil diff`` in the same checkout (issue 13):
for each option combination both programs run in the one checkout and
stdout must be byte-identical, stderr identical apart from the program
prefix, exit codes equal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

LINES = b"".join(b"%c\n" % c for c in b"abcdefghijklmnopqrstuvwxyz")


def _same(fossil: Runner, fossilpy: Runner, cwd: Path, *args: str) -> bytes:
    a = fossil(*args, check=False, cwd=cwd)
    b = fossilpy(*args, check=False, cwd=cwd)
    assert b.stdout == a.stdout, args
    assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr, args
    assert b.returncode == a.returncode, args
    return a.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "diff")
    fossil("init", str(work / "r.fossil"))
    w = work / "w"
    w.mkdir()
    fossil("open", "../r.fossil", cwd=w)
    (w / "f1").write_bytes(LINES)
    (w / "f2").write_bytes(b"x\ny\n")
    (w / "f3").write_bytes(b"to delete\n")
    (w / "gone").write_bytes(b"will go missing\n")
    (w / "b.bin").write_bytes(b"bin\0ary")
    (w / "ws").write_bytes(b"one two\nthree\n")
    (w / "sub").mkdir()
    (w / "sub" / "s1").write_bytes(b"s\n")
    fossil("add", ".", cwd=w)
    fossil("commit", "--no-warnings", "-m", "one", cwd=w)
    (w / "f2").write_bytes(b"x\ny\nz\n")
    fossil("commit", "--no-warnings", "-m", "two", cwd=w)
    # uncommitted edits of every kind
    (w / "f1").write_bytes(LINES.replace(b"b\n", b"B\n").replace(b"t\n", b"T  \n") + b"tail\n")
    (w / "ws").write_bytes(b"one  two \nthree\n")
    (w / "b.bin").write_bytes(b"bin\0ary, longer")
    (w / "new").write_bytes(b"brand\nnew\n")
    fossil("add", "new", cwd=w)
    fossil("rm", "f3", cwd=w)
    (w / "gone").unlink()
    fossil("mv", "f2", "f2moved", cwd=w)
    (w / "f2").rename(w / "f2moved")
    (w / "sub" / "s1").write_bytes(b"s\nmore\n")
    return fossil, fossilpy, w


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-v"],
        ["-N"],
        ["-c", "1"],
        ["--context", "0"],
        ["-c", "-3"],
        ["--brief"],
        ["--numstat"],
        ["-v", "--numstat"],
        ["-w"],
        ["-Z"],
        ["-i", "-Z", "-c", "2"],
        ["sub"],
        ["f1", "new"],
        ["."],
        ["nonesuch"],
        ["../r.fossil"],
        ["/etc/passwd"],
        ["f1", "../r.fossil"],
        ["--from", "root:trunk"],
        ["--from", "root:trunk", "-v"],
        ["--from", "trunk", "--brief"],
        ["--from", "root:trunk", "--to", "trunk"],
        ["--from", "root:trunk", "--to", "trunk", "-v"],
        ["--from", "root:trunk", "--to", "trunk", "--numstat"],
        ["--from", "root:trunk", "--to", "trunk", "--brief"],
        ["-r", "root:trunk", "--to", "trunk", "f2"],
        ["--checkin", "trunk"],
        ["--branch", "trunk"],
        ["--branch", "trunk", "--to", "trunk"],
        ["--checkin", "root:trunk"],
        ["-ci", "trunk", "-v"],
        ["-h"],
        ["-h", "--from", "root:trunk", "--to", "trunk"],
        ["--to", "trunk"],
        ["--from", "nonesuch"],
        ["--undo"],
        ["--undo", "--from", "trunk"],
        ["--checkin", "trunk", "--from", "trunk"],
        ["-n"],
        ["--invert"],
        ["-y"],
        ["-y", "-W", "50"],
        ["-y", "-W", "10", "-v"],
        ["--yy"],
        ["-y", "--unified"],
        ["-y", "--from", "root:trunk", "--to", "trunk", "-v"],
    ],
)
def test_diff_same_bytes(tree: tuple[Runner, Runner, Path], args: list[str]) -> None:
    fossil, fossilpy, w = tree
    _same(fossil, fossilpy, w, "diff", *args)


def test_diff_outputs_are_not_trivial(tree: tuple[Runner, Runner, Path]) -> None:
    """The fixture really has each kind of change (the comparisons above are not of empty outputs)."""
    fossil, _fossilpy, w = tree
    out = fossil("diff", "-v", cwd=w).stdout
    for line in (b"ADDED    new", b"DELETED  f3", b"MISSING  gone", b"cannot compute difference between binary files"):
        assert line in out
    assert b"Index: f1\n" + b"=" * 66 + b"\n--- f1\n+++ f1\n@@ -1,7 +1,7 @@" in out


def test_diff_from_subdirectory_and_after_undoable_revert(tree: tuple[Runner, Runner, Path]) -> None:
    fossil, fossilpy, w = tree
    _same(fossil, fossilpy, w / "sub", "diff", "s1")
    _same(fossil, fossilpy, w / "sub", "diff", "../f1")
    _same(fossil, fossilpy, w / "sub", "diff", "..")


def test_diff_against_undo(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "diffundo")
    fossil("init", str(work / "r.fossil"))
    w = work / "w"
    w.mkdir()
    fossil("open", "../r.fossil", cwd=w)
    (w / "a").write_bytes(LINES)
    fossil("add", "a", cwd=w)
    fossil("commit", "-m", "a", cwd=w)
    (w / "a").write_bytes(LINES + b"edited\n")
    fossil("revert", cwd=w)
    out = _same(fossil, fossilpy, w, "diff", "--undo")
    assert b"+++ a\n" in out or b"--- a\n" in out
    _same(fossil, fossilpy, w, "diff", "--undo", "a")


def test_diff_outside_checkout(tree: tuple[Runner, Runner, Path]) -> None:
    fossil, fossilpy, w = tree
    _same(fossil, fossilpy, w.parent, "diff")
    _same(fossil, fossilpy, w.parent, "diff", "-R", "r.fossil", "--from", "root:trunk", "--to", "trunk")
    _same(fossil, fossilpy, w.parent, "diff", "-R", "r.fossil", "--to", "trunk")
