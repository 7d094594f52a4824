"""``merge`` against the real fossil 2.21 (issue 13).

A scripted session runs with fossil and with fossilpy on copies of one
repository: a branch that edits, adds, renames, removes a file and flips
an x bit is merged into trunk (``-n`` first, then for real, ``-v``),
committed; a conflicting edit is merged (conflict markers, ``status`` and
``ls -v`` say CONFLICT, ``commit`` refuses until ``--allow-conflict``);
a ``--cherrypick`` (undone, redone, committed: a ``Q +`` card), a
``--backout`` (``Q -``), a merge with ``--baseline``, a fork merge without
VERSION, ``--integrate`` (the merged branch is closed by the commit), a
no-op merge and bad names.  Claims: outputs line for line, the files and
the checkout database (vfile, vmerge, vvar) after every step, and the
resulting artifacts byte for byte (so the P and Q cards of the merge
check-ins are fossil's).

And a checkout shared by both programs: a merge made by one is committed
by the other, with the same check-in as when one program does both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_checkout_fossil import _artifacts
from tests.compat.test_update_fossil import Run, Step, assert_same, put, run_both

D = [f"2021-03-{i:02d}T09:00:00" for i in range(1, 28)]


def _base(w: Path) -> None:
    put(w, "a.txt", "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n")
    put(w, "b.txt", "bee\n")
    put(w, "keep.txt", "keep\n")
    put(w, "old.txt", "old name\n")
    put(w, "gone.txt", "to be removed\n")
    put(w, "run.sh", "#!/bin/sh\n")


def _feature(w: Path) -> None:
    put(w, "a.txt", "l1\nL2-branch\nl3\nl4\nl5\nl6\nl7\nl8\n")
    put(w, "feat.txt", "feature file\n")
    (w / "run.sh").chmod(0o755)


def _feature2(w: Path) -> None:
    put(w, "a.txt", "l1\nL2-branch\nl3\nl4\nl5\nl6\nl7\nl8-branch\n")
    put(w, "b.txt", "bee from the branch\n")


def _trunk1(w: Path) -> None:
    put(w, "a.txt", "l1\nl2\nl3\nl4\nL5-trunk\nl6\nl7\nl8\n")


def _feature3(w: Path) -> None:
    put(w, "a.txt", "l1\nL2-conflict\nl3\nl4\nl5\nl6\nl7\nl8-branch\n")


def _local_conflict(w: Path) -> None:
    put(w, "a.txt", "l1\nL2-other\nl3\nl4\nL5-trunk\nl6\nl7\nl8-branch\nmore\n")


def _feature4(w: Path) -> None:
    put(w, "keep.txt", "keep, changed on the branch\n")


def _resolve(w: Path) -> None:
    put(w, "a.txt", "l1\nL2-resolved\nl3\nl4\nL5-trunk\nl6\nl7\nl8-branch\n")


def _fork(w: Path) -> None:
    put(w, "fork.txt", "a fork\n")


def _fix(w: Path) -> None:
    put(w, "fix.txt", "a fix\n")


def _keep_on_feat(w: Path) -> None:
    put(w, "keep.txt", "keep, changed on the branch\nand more on the branch\n")


MERGE_STEPS: list[Step] = [
    (_base, ("add", ".")),
    (None, ("commit", "-m", "base", "--tag", "base", "--date-override", D[0])),
    (_feature, ("add", "feat.txt")),
    (None, ("mv", "old.txt", "renamed.txt", "--hard")),
    (None, ("rm", "gone.txt", "--hard")),
    (None, ("commit", "-m", "feature", "--branch", "feat", "--date-override", D[1])),
    (_feature2, ("commit", "-m", "feature two", "--tag", "f2", "--date-override", D[2])),
    (None, ("update", "trunk")),
    (_trunk1, ("commit", "-m", "trunk one", "--date-override", D[3])),
    (None, ("merge", "feat", "-n")),
    (None, ("merge", "feat", "-v")),
    (None, ("status",)),
    (None, ("changes", "--merge")),
    (None, ("commit", "-m", "merge feat", "--date-override", D[4])),
    (None, ("update", "feat")),
    (_feature3, ("commit", "-m", "feature three", "--date-override", D[5])),
    (None, ("update", "trunk")),
    (_local_conflict, ("merge", "feat")),
    (None, ("status",)),
    (None, ("ls", "-v")),
    (None, ("changes", "--conflict")),
    (None, ("commit", "-m", "conflicted", "--date-override", D[6])),
    (None, ("commit", "-m", "conflicted", "--allow-conflict", "--date-override", D[6])),
    (None, ("update", "feat")),
    (_feature4, ("commit", "-m", "feature four", "--tag", "f4", "--date-override", D[7])),
    (None, ("update", "trunk")),
    (None, ("merge", "--cherrypick", "f4")),
    (None, ("status",)),
    (None, ("undo",)),
    (None, ("status",)),
    (None, ("redo",)),
    (None, ("commit", "-m", "picked", "--date-override", D[8])),
    (None, ("merge", "--backout", "f4")),
    (None, ("changes",)),
    (None, ("commit", "-m", "backed out", "--date-override", D[9])),
    (None, ("merge", "feat", "--baseline", "f2")),
    (None, ("changes",)),
    (None, ("commit", "-m", "from f2 on", "--allow-conflict", "--date-override", D[10])),
    (_resolve, ("commit", "-m", "resolved", "--date-override", "2021-03-11T12:00:00")),
    (None, ("update", "base")),
    (_fork, ("add", "fork.txt")),
    (None, ("commit", "-m", "a fork", "--allow-fork", "--date-override", D[11])),
    (None, ("update", "trunk")),
    (None, ("merge",)),
    (None, ("commit", "-m", "fork merged", "--date-override", D[12])),
    (None, ("update", "base")),
    (_fix, ("add", "fix.txt")),
    (None, ("commit", "-m", "a fix", "--branch", "fix", "--date-override", D[13])),
    (None, ("update", "trunk")),
    (None, ("merge", "--integrate", "fix")),
    (None, ("status",)),
    (None, ("commit", "-m", "integrated", "--date-override", D[14])),
    (None, ("merge", "fix")),
    (None, ("merge", "nosuch")),
    (None, ("merge", "--cherrypick", "f4", "--baseline", "base")),
    (None, ("merge", "--cherrypick")),
    (None, ("merge", "f2", "--backout", "--integrate")),
    (None, ("status",)),
    (None, ("mv", "keep.txt", "kept.txt", "--hard")),
    (None, ("commit", "-m", "keep renamed on trunk", "--date-override", D[16])),
    (None, ("update", "feat")),
    (_keep_on_feat, ("commit", "-m", "keep edited on feat", "--date-override", D[17])),
    (None, ("update", "trunk")),
    (None, ("merge", "feat", "--debug")),
    (None, ("changes",)),
    (None, ("commit", "-m", "merged into the renamed file", "--date-override", D[18])),
    (None, ("update", "feat")),
    (None, ("merge", "trunk")),
    (None, ("changes",)),
]


@pytest.fixture(scope="module")
def merge_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    theirs, mine, _ = run_both(tmp_path_factory, "merge", MERGE_STEPS)
    return theirs, mine


def test_merge_session_matches_fossil(merge_runs: tuple[Run, Run]) -> None:
    theirs, mine = merge_runs
    assert_same(theirs, mine)


def test_merge_session_says_what_happened(merge_runs: tuple[Run, Run]) -> None:
    _, mine = merge_runs
    everything = "\n".join(line for _, _, o, e in mine.log for line in o + e)
    for needle in (
        "EXECUTABLE run.sh",
        "UPDATE b.txt",
        "DELETE gone.txt",
        "RENAME old.txt -> renamed.txt",
        "ADDED feat.txt",
        "MERGE kept.txt",
        "MERGE a.txt",
        "***** 1 merge conflict in a.txt",
        "WARNING: 1 merge conflicts",
        "REMINDER: this was a dry run - no files were actually changed.",
        "CONFLICT   a.txt",
        "possible unresolved merge conflict in ./a.txt",
        "abort due to unresolved merge conflicts; use --allow-conflict to override",
        "CHERRYPICK ",
        "BACKOUT    ",
        "MERGED_WITH ",
        "INTEGRATE  ",
        "UPDATED_BY_MERGE b.txt",
        "ADDED_BY_INTEGRATE fix.txt",
        "ADDED_BY_MERGE feat.txt",
        "Merging fork [",
        "Closed: ",
        "Merge skipped because it is a no-op.  Use --force to override.",
        "cannot resolve name: nosuch",
        "incompatible options: --cherrypick and --baseline",
        "cannot use --backout, --cherrypick or --integrate with a fork merge",
        "incompatible options: --integrate and --cherrypick with --backout",
    ):
        assert needle in everything, needle
    arts = _artifacts(mine.base / "repo.fossil")

    def with_card(card: bytes) -> list[list[bytes]]:
        return [a.split(b"\n") for a in arts.values() if card in a.split(b"\n")]

    picked, backed = with_card(b"C picked"), with_card(b"C backed\\sout")
    assert len(picked) == len(backed) == 1
    assert [ln[:3] for ln in picked[0] if ln.startswith(b"Q ")] == [b"Q +"]
    assert [ln[:3] for ln in backed[0] if ln.startswith(b"Q ")] == [b"Q -"]
    merged = with_card(b"C merge\\sfeat")
    assert len(merged) == 1 and len(next(ln for ln in merged[0] if ln.startswith(b"P ")).split()) == 3


def _mixed(first: str, second: str, tmp_path_factory: pytest.TempPathFactory, name: str) -> dict[str, bytes]:
    """A branch merged into trunk by ``first`` and committed by ``second`` (same checkout)."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, name)
    run = {"fossil": fossil, "fossilpy": fossilpy}
    fossil("init", str(work / "repo.fossil"), "--date-override", "2020-12-31T00:00:00")
    w = work / "w"
    w.mkdir()
    fossil("open", "../repo.fossil", cwd=w)
    _base(w)
    fossil("add", ".", cwd=w)
    fossil("commit", "-m", "base", "--date-override", D[0], cwd=w)
    _feature(w)
    fossil("add", "feat.txt", cwd=w)
    fossil("commit", "-m", "feature", "--branch", "feat", "--date-override", D[1], cwd=w)
    fossil("update", "trunk", cwd=w)
    _trunk1(w)
    fossil("commit", "-m", "trunk one", "--date-override", D[3], cwd=w)
    run[first]("merge", "feat", cwd=w)
    assert run[second]("changes", cwd=w).stdout.decode().splitlines()[-1].startswith("MERGED_WITH ")
    run[second]("commit", "-m", "merged", "--date-override", D[4], cwd=w)
    integrity = fossil("test-integrity", "-R", str(work / "repo.fossil")).stdout.decode()
    assert "0 errors" in integrity
    return _artifacts(work / "repo.fossil")


def test_merge_by_one_commit_by_the_other(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The merge state one program leaves is committed by the other as if one did both."""
    both_fossil = _mixed("fossil", "fossil", tmp_path_factory, "mix-ff")
    assert _mixed("fossilpy", "fossil", tmp_path_factory, "mix-pf") == both_fossil
    assert _mixed("fossil", "fossilpy", tmp_path_factory, "mix-fp") == both_fossil


def test_bad_merge_writes_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A merge that cannot start leaves files, checkout database and undo state as they were."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "badmerge")
    fossil("init", str(work / "repo.fossil"), "--date-override", "2020-12-31T00:00:00")
    w = work / "w"
    w.mkdir()
    fossilpy("open", "../repo.fossil", cwd=w)
    _base(w)
    fossilpy("add", ".", cwd=w)
    fossilpy("commit", "-m", "base", "--date-override", D[0], cwd=w)
    before = (w / ".fslckout").read_bytes()
    for args, message in (
        (("merge", "nosuch"), "cannot resolve name: nosuch"),
        (("merge",), 'no unmerged forks of branch "trunk"'),
        (
            ("merge", "--cherrypick", "trunk", "--baseline", "trunk"),
            "incompatible options: --cherrypick and --baseline",
        ),
    ):
        proc = fossilpy(*args, cwd=w, check=False)
        assert proc.returncode == 1
        assert proc.stderr.decode().splitlines() == ["fossilpy: " + message]
        assert proc.stdout == b""
    assert (w / ".fslckout").read_bytes() == before
    shutil.rmtree(w)
