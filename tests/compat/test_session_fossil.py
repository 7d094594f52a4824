"""A day of work in a checkout, with fossil and with fossilpy (issue 13 acceptance).

**Scripted session** (:data:`SESSION`, 60 steps): adds, edits, renames,
deletes, a branch made by ``commit --branch``, updates across branches
with local edits carried along, a stash saved on one branch and popped on
another, merges with and without conflicts, a commit refused for conflict
markers, undo and redo of a merge, a cherry-pick and a back-out, checkout
of another branch.  It runs once with fossil and once with fossilpy, each
on a copy of one repository.  Claims: every step's exit status, stdout
and stderr match line for line (the folders named ROOT, fossilpy's
"fossilpy: " prefix dropped, the stash's creation times masked); the files
and the checkout database (vfile, vmerge, vvar) match after every step;
the two repositories end with the same artifacts byte for byte (check-ins
carry ``--date-override``).

**Mixed session**: the same steps alternate between fossil and fossilpy in
ONE checkout (fossil, fossilpy, fossil, ... and the other way round); every
step has the exit status the scripted session gave it, ``fossil
test-integrity`` stays clean after each step, and the repository ends with
the same artifacts as fossil's scripted run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_checkout_fossil import _artifacts
from tests.compat.test_update_fossil import Run, Step, assert_same, normal, put, run_both

D = [f"2021-05-{i:02d}T11:00:00" for i in range(1, 29)]


def _start(w: Path) -> None:
    put(w, "a.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\n")
    put(w, "b.txt", "b file\n")
    put(w, "README", "read me\n")
    put(w, "lib/util.c", "int util(void) { return 0; }\n")


def _second(w: Path) -> None:
    put(w, "a.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\niota\n")
    put(w, "c.txt", "c file\n")


def _dev_work(w: Path) -> None:
    put(w, "lib/util.c", "int util(void) { return 1; }\n")


def _local_a(w: Path) -> None:
    put(w, "a.txt", "ALPHA (local)\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\niota\n")


def _trunk_c(w: Path) -> None:
    put(w, "c.txt", "c file, trunk\n")


def _dev_conflict(w: Path) -> None:
    put(w, "a.txt", "ALPHA (local)\nbeta\ngamma\nDELTA on dev\nepsilon\nzeta\neta\ntheta\niota\n")


def _trunk_conflict(w: Path) -> None:
    put(w, "a.txt", "ALPHA (local)\nbeta\ngamma\nDELTA on trunk\nepsilon\nzeta\neta\ntheta\niota\n")


def _resolve(w: Path) -> None:
    put(w, "a.txt", "ALPHA (local)\nbeta\ngamma\nDELTA, both\nepsilon\nzeta\neta\ntheta\niota\n")


def _dev_fix(w: Path) -> None:
    put(w, "lib/b.txt", "b file, fixed on dev\n")


def _scratch(w: Path) -> None:
    put(w, "b.txt", "b file, scratch work\n")
    put(w, "scratch.txt", "scratch\n")


SESSION: list[Step] = [
    (_start, ("add", "a.txt", "b.txt", "README", "lib")),
    (None, ("commit", "-m", "initial files", "--date-override", D[0])),
    (_second, ("add", "c.txt")),
    (None, ("changes",)),
    (None, ("commit", "-m", "second", "--tag", "rel1", "--date-override", D[1])),
    (None, ("mv", "b.txt", "lib/b.txt", "--hard")),
    (None, ("rm", "README", "--hard")),
    (None, ("status",)),
    (None, ("commit", "-m", "reorganize", "--branch", "dev", "--date-override", D[2])),
    (_dev_work, ("commit", "-m", "dev work", "--date-override", D[3])),
    (None, ("update", "trunk")),
    (None, ("ls",)),
    (_local_a, ("update", "dev")),
    (None, ("changes",)),
    (None, ("stash", "save", "-m", "local alpha")),
    (None, ("changes",)),
    (None, ("stash", "list")),
    (None, ("update", "trunk")),
    (None, ("stash", "pop")),
    (None, ("changes",)),
    (_trunk_c, ("commit", "-m", "trunk edits", "--date-override", D[4])),
    (None, ("merge", "dev")),
    (None, ("status",)),
    (None, ("commit", "-m", "merge dev", "--date-override", D[5])),
    (None, ("update", "dev")),
    (_dev_conflict, ("commit", "-m", "delta on dev", "--date-override", D[6])),
    (None, ("update", "trunk")),
    (_trunk_conflict, ("commit", "-m", "delta on trunk", "--date-override", D[7])),
    (None, ("merge", "dev")),
    (None, ("status",)),
    (None, ("commit", "-m", "would keep markers", "--date-override", D[8])),
    (None, ("undo",)),
    (None, ("status",)),
    (None, ("redo",)),
    (None, ("changes",)),
    (_resolve, ("commit", "-m", "resolved", "--date-override", D[9])),
    (None, ("update", "dev")),
    (_dev_fix, ("commit", "-m", "fix on dev", "--tag", "fix1", "--date-override", D[10])),
    (None, ("update", "trunk")),
    (None, ("merge", "--cherrypick", "fix1")),
    (None, ("changes",)),
    (None, ("commit", "-m", "picked the fix", "--date-override", D[11])),
    (None, ("merge", "--backout", "fix1")),
    (None, ("changes",)),
    (None, ("commit", "-m", "backed the fix out", "--date-override", D[12])),
    (_scratch, ("add", "scratch.txt")),
    (None, ("stash", "save", "-m", "scratch")),
    (None, ("stash", "apply")),
    (None, ("changes",)),
    (None, ("revert",)),
    (None, ("stash", "drop")),
    (None, ("checkout", "dev")),
    (None, ("ls", "-v")),
    (None, ("checkout", "trunk")),
    (None, ("update", "rel1")),
    (None, ("update",)),
    (None, ("merge", "dev")),
    (None, ("undo",)),
    (None, ("changes",)),
    (None, ("status",)),
]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    theirs, mine, _ = run_both(tmp_path_factory, "session", SESSION, mask_times=True)
    return theirs, mine


def test_session_is_long_and_varied() -> None:
    verbs = [args[0] for _, args in SESSION]
    assert len(SESSION) >= 30
    for verb in ("add", "mv", "rm", "commit", "update", "merge", "stash", "undo", "redo", "checkout", "revert"):
        assert verb in verbs, verb
    flat = [a for _, args in SESSION for a in args]
    for option in ("--branch", "--cherrypick", "--backout"):
        assert option in flat


def test_scripted_session_matches_fossil(sessions: tuple[Run, Run]) -> None:
    theirs, mine = sessions
    assert_same(theirs, mine)


def test_session_steps_did_their_work(sessions: tuple[Run, Run]) -> None:
    _, mine = sessions
    text = "\n".join(line for _, _, o, e in mine.log for line in o + e)
    for needle in (
        "MERGE a.txt",
        "***** 1 merge conflict in a.txt",
        "abort due to unresolved merge conflicts; use --allow-conflict to override",
        "CONFLICT   a.txt",
        "CHERRYPICK ",
        "BACKOUT    ",
        "MERGED_WITH ",
        "RENAMED    b.txt  ->  lib/b.txt",
    ):
        assert needle in text, needle
    failed = [(args, rc) for args, rc, _, _ in mine.log if rc]
    assert failed == [(("commit", "-m", "would keep markers", "--date-override", D[8]), 1)]


def _mixed(tmp_path_factory: pytest.TempPathFactory, name: str, first: int) -> tuple[list[tuple], Path]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, name)
    programs = (fossil, fossilpy)
    fossil("init", str(work / "repo.fossil"), "--date-override", "2020-12-31T00:00:00")
    w = work / "w"
    w.mkdir()
    programs[first]("open", "../repo.fossil", cwd=w)
    log = []
    for n, (edit, args) in enumerate(SESSION):
        if edit is not None:
            edit(w)
        proc = programs[(first + n + 1) % 2](*args, cwd=w, check=False, input=b"")
        integrity = fossil("test-integrity", "-R", str(work / "repo.fossil"), check=False)
        log.append((args, proc.returncode, normal(proc.stderr, work), integrity.returncode, integrity.stdout))
    return log, work / "repo.fossil"


@pytest.mark.parametrize("first", [0, 1], ids=["fossil-first", "fossilpy-first"])
def test_mixed_session_in_one_checkout(
    tmp_path_factory: pytest.TempPathFactory, sessions: tuple[Run, Run], first: int
) -> None:
    theirs, _ = sessions
    log, repo = _mixed(tmp_path_factory, f"mixed{first}", first)
    expected = {tuple(args): rc for args, rc, _, _ in theirs.log[1:]}
    for (args, rc, stderr, irc, iout), (want_args, want_rc, _, _) in zip(log, theirs.log[1:], strict=True):
        assert args == want_args
        assert rc == want_rc == expected[tuple(args)], f"{args}: {stderr}"
        assert irc == 0 and b"0 errors" in iout, f"test-integrity after {args}: {iout!r}"
    assert _artifacts(repo) == _artifacts(theirs.base / "repo.fossil")
    shutil.rmtree(repo.parent / "w")
