"""``update`` and ``checkout`` against the real fossil 2.21 (issue 13).

A scripted session (check-ins on trunk and a branch with adds, removes and
renames; then updates back and forth with and without local edits,
``-v``, ``-n``, a named file, a merge of a local edit with a conflict, an
edit of a file the target deletes, an unmanaged file in the way, ``undo``
of an update, ``checkout`` refused with edits and forced, ``--keep``, a
bad version) runs with fossil and with fossilpy on copies of one
repository.  Claims: each step's exit status, stdout and stderr match line
for line (fossilpy's "fossilpy: " prefix dropped, the two folders named
ROOT); the files on disk (content and x bit) and the checkout databases
(vfile, vmerge, vvar) are the same after every step; the repositories end
with the same artifacts, byte for byte (the check-ins carry
``--date-override``).

The helpers here (:func:`run_both`, :func:`put`) are shared by the merge
and session tests.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_checkout_fossil import _artifacts
from tests.conftest import Runner

Edit = Callable[[Path], None]
Step = tuple[Edit | None, tuple[str, ...]]

_TICK = [1_700_000_000]


def put(w: Path, name: str, text: str, mode: int | None = None) -> None:
    """Write ``name`` and give it an mtime of its own (an edit is never missed
    because it kept the size within the same second)."""
    path = w / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    _TICK[0] += 7
    os.utime(path, (_TICK[0], _TICK[0]))


def tree(w: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file of the checkout but its database: (content, executable)."""
    out: dict[str, tuple[bytes, bool]] = {}
    for p in sorted(w.rglob("*")):
        rel = p.relative_to(w).as_posix()
        if rel.startswith(".fslckout") or p.is_dir():
            continue
        out[rel] = (p.read_bytes(), bool(p.stat().st_mode & stat.S_IXUSR))
    return out


def ckout_state(w: Path) -> tuple[list[tuple], list[tuple], dict[str, str]]:
    """vfile (without ids and mtimes), vmerge (merge rids as hashes) and vvar of a checkout."""
    db = sqlite3.connect(w / ".fslckout")
    try:
        vf = db.execute(
            "SELECT vid, chnged, deleted, isexe, islink, rid, mrid, pathname, origname, mhash FROM vfile"
            " ORDER BY pathname, vid"
        ).fetchall()
        ids = {r[0]: r[1] for r in db.execute("SELECT id, pathname FROM vfile")}
        vm = sorted((str(ids.get(i, i)), m, h) for i, m, h in db.execute("SELECT id, merge, mhash FROM vmerge"))
        vv = dict(db.execute("SELECT name, value FROM vvar WHERE name NOT IN ('undo_cmdline')").fetchall())
        if "fingerprint" in vv:
            vv["fingerprint"] = str(vv["fingerprint"]).split("/")[0]
    finally:
        db.close()
    return vf, vm, vv


TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def normal(text: bytes, root: Path, mask_times: bool = False) -> list[str]:
    s = text.decode("utf-8", "replace").replace(str(root), "ROOT")
    if mask_times:
        s = TIME.sub("TIME", s)
    return [line[len("fossilpy: ") :] if line.startswith("fossilpy: ") else line for line in s.splitlines()]


@dataclass
class Run:
    """One program's session: per step (args, exit code, stdout, stderr), and its folder."""

    base: Path
    log: list[tuple[tuple[str, ...], int, list[str], list[str]]] = field(default_factory=list)
    trees: list[dict[str, tuple[bytes, bool]]] = field(default_factory=list)
    states: list[tuple[list[tuple], list[tuple], dict[str, str]]] = field(default_factory=list)


def run_session(run: Runner, base: Path, steps: list[Step], *, snapshots: bool = True, mask_times: bool = False) -> Run:
    w = base / "w"
    w.mkdir(parents=True)
    r = Run(base)
    for edit, args in [(None, ("open", "../repo.fossil")), *steps]:
        if edit is not None:
            edit(w)
        proc = run(*args, cwd=w, check=False, input=b"")
        r.log.append(
            (args, proc.returncode, normal(proc.stdout, base, mask_times), normal(proc.stderr, base, mask_times))
        )
        if snapshots:
            r.trees.append(tree(w))
            r.states.append(ckout_state(w))
    return r


def run_both(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    steps: list[Step],
    *,
    snapshots: bool = True,
    mask_times: bool = False,
) -> tuple[Run, Run, Runner]:
    """The session with fossil and with fossilpy, each on a copy of one new repository."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, name)
    seed = work / "seed.fossil"
    fossil("init", str(seed), "--date-override", "2020-12-31T00:00:00")
    runs = []
    for prog, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / prog
        base.mkdir()
        shutil.copy(seed, base / "repo.fossil")
        runs.append(run_session(run, base, steps, snapshots=snapshots, mask_times=mask_times))
    return runs[0], runs[1], fossil


def assert_same(theirs: Run, mine: Run) -> None:
    """Outputs line for line, the tree and the checkout database after each step, the artifacts."""
    assert len(mine.log) == len(theirs.log)
    for n, (got, want) in enumerate(zip(mine.log, theirs.log, strict=True)):
        assert got == want, f"step {n}: {want[0]}"
        if theirs.trees:
            assert mine.trees[n] == theirs.trees[n], f"files after step {n}: {want[0]}"
            assert mine.states[n] == theirs.states[n], f"checkout database after step {n}: {want[0]}"
    assert _artifacts(mine.base / "repo.fossil") == _artifacts(theirs.base / "repo.fossil")


# -- the update session -------------------------------------------------------------


def _base_files(w: Path) -> None:
    put(w, "a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n")
    put(w, "b.txt", "bee\n")
    put(w, "doc/d.txt", "doc\n")
    put(w, "run.sh", "#!/bin/sh\n", 0o755)


def _edit_a_two(w: Path) -> None:
    put(w, "a.txt", "1\nTWO\n3\n4\n5\n6\n7\n8\n")
    put(w, "n.txt", "new\n")


def _branch_edits(w: Path) -> None:
    put(w, "a.txt", "1\nTWO\n3\n4\n5\n6\n7\nEIGHT-branch\n")
    (w / "run.sh").chmod(0o644)


def _local_edit_a(w: Path) -> None:
    put(w, "a.txt", "1\nTWO\n3\n4\nFIVE-local\n6\n7\n8\n")


def _conflicting_edit(w: Path) -> None:
    put(w, "a.txt", "1\nTWO\n3\n4\nFIVE-local\n6\n7\nEIGHT-local\n")


def _edit_doc(w: Path) -> None:
    put(w, "doc/d.txt", "doc edited locally\n")


def _dir_in_the_way(w: Path) -> None:
    put(w, "n.txt/inside", "a folder where the update wants a file\n")


def _remove_dir(w: Path) -> None:
    shutil.rmtree(w / "n.txt")


def _unmanaged_in_the_way(w: Path) -> None:
    put(w, "n.txt", "an unmanaged n.txt\n")


def _edit_a_again(w: Path) -> None:
    put(w, "a.txt", "1\n2\n3\nfour, edited\n5\n6\n7\n8\n")


def _remove_file(w: Path) -> None:
    (w / "b.txt").unlink()


D = [f"2021-02-{i:02d}T08:00:00" for i in range(1, 20)]

UPDATE_STEPS: list[Step] = [
    (_base_files, ("add", "a.txt", "b.txt", "doc", "run.sh")),
    (None, ("commit", "-m", "base", "--tag", "base", "--date-override", D[0])),
    (_edit_a_two, ("add", "n.txt")),
    (None, ("rm", "doc/d.txt")),
    (None, ("mv", "b.txt", "c.txt", "--hard")),
    (None, ("commit", "-m", "second", "--tag", "second", "--date-override", D[1])),
    (None, ("update", "base")),
    (None, ("status",)),
    (None, ("update", "-v")),
    (None, ("update", "base", "-n")),
    (_local_edit_a, ("update", "base", "-v")),
    (None, ("changes",)),
    (None, ("update",)),
    (None, ("changes",)),
    (None, ("undo",)),
    (None, ("changes",)),
    (None, ("redo",)),
    (None, ("commit", "-m", "five", "--date-override", D[2])),
    (None, ("update", "base")),
    (_branch_edits, ("commit", "-m", "on a branch", "--branch", "br", "--date-override", D[3])),
    (None, ("update", "trunk")),
    (_conflicting_edit, ("update", "br")),
    (None, ("changes",)),
    (None, ("ls", "-v")),
    (None, ("revert",)),
    (None, ("update", "base")),
    (_edit_doc, ("update", "trunk")),
    (None, ("changes",)),
    (None, ("revert",)),
    (None, ("update", "base")),
    (_dir_in_the_way, ("update", "second")),
    (_remove_dir, ("changes",)),
    (_unmanaged_in_the_way, ("update", "second")),
    (None, ("update", "base", "a.txt")),
    (None, ("changes",)),
    (None, ("revert",)),
    (_edit_a_again, ("checkout", "trunk")),
    (None, ("checkout", "br", "--force")),
    (None, ("checkout", "trunk", "--keep")),
    (None, ("changes",)),
    (None, ("checkout", "trunk", "--force")),
    (None, ("update", "nosuchversion")),
    (None, ("checkout", "nosuchversion")),
    (_remove_file, ("update", "--latest")),
    (None, ("co", "--latest")),
    (None, ("update", "current")),
]


@pytest.fixture(scope="module")
def update_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    theirs, mine, _ = run_both(tmp_path_factory, "update", UPDATE_STEPS)
    return theirs, mine


def test_update_session_matches_fossil(update_runs: tuple[Run, Run]) -> None:
    theirs, mine = update_runs
    assert_same(theirs, mine)


def test_update_session_says_what_happened(update_runs: tuple[Run, Run]) -> None:
    """The session exercises what it claims to (so the comparison above means something)."""
    _, mine = update_runs
    out = {n: (args, rc, stdout, stderr) for n, (args, rc, stdout, stderr) in enumerate(mine.log)}
    everything = "\n".join(line for _, _, o, e in out.values() for line in o + e)
    for needle in (
        "UPDATE a.txt",
        "ADD b.txt",
        "REMOVE c.txt",
        "MERGE a.txt",
        "***** 1 merge conflicts in a.txt",
        "WARNING: 1 merge conflicts",
        "CONFLICT doc/d.txt - edited locally but deleted by update",
        "ADD n.txt - overwrites an unmanaged file, original copy backed up locally",
        "WARNING: 1 unmanaged files were overwritten",
        "changes:      None. Already up-to-date",
        ' "fossil undo" is available to undo changes to the working checkout.',
        "UNCHANGED run.sh",
        "there are unsaved changes in the current check-out",
        "cannot resolve name: nosuchversion",
        "CONFLICT   a.txt",
        "-" * 79,
        "Rolling back prior filesystem changes...",
        "ROOT/w/n.txt is directory, cannot overwrite",
    ):
        assert needle in everything, needle
    assert (mine.base / "w" / "n.txt-original").read_text() == "an unmanaged n.txt\n"


def test_dry_run_changes_nothing(update_runs: tuple[Run, Run]) -> None:
    """``update -n`` reports the changes but leaves files and the checkout database alone."""
    _, mine = update_runs
    n = next(i for i, (args, *_rest) in enumerate(mine.log) if args == ("update", "base", "-n"))
    assert mine.trees[n] == mine.trees[n - 1]
    assert mine.states[n] == mine.states[n - 1]
    assert "UPDATE a.txt" in mine.log[n][2]


# -- forks, renames under local edits, binary files, --debug ----------------------------


def _bin(w: Path, tail: bytes) -> None:
    path = w / "pic.bin"
    path.write_bytes(b"\x89PNG\0\0binary" + tail)
    _TICK[0] += 7
    os.utime(path, (_TICK[0], _TICK[0]))


def _fork_base(w: Path) -> None:
    put(w, "src/main.c", "int main(void)\n{\n  return 0;\n}\n")
    put(w, "src/util.c", "void util(void) {}\n")
    _bin(w, b"-base")


def _leaf_one(w: Path) -> None:
    put(w, "src/util.c", "void util(void) { /* one */ }\n")
    _bin(w, b"-leaf-one")


def _edit_app(w: Path) -> None:
    put(w, "src/app.c", "/* app */\nint main(void)\n{\n  return 0;\n}\n")


def _leaf_two(w: Path) -> None:
    put(w, "two.txt", "second leaf\n")


def _edit_main_and_bin(w: Path) -> None:
    put(w, "src/main.c", "int main(void)\n{\n  return 1; /* local */\n}\n")
    _bin(w, b"-local-edit")


def _unmanaged_app(w: Path) -> None:
    put(w, "src/app.c", "an unmanaged file where the check-in has one\n")


FORK_STEPS: list[Step] = [
    (_fork_base, ("add", "src", "pic.bin")),
    (None, ("commit", "-m", "base", "--tag", "base", "--no-warnings", "--date-override", D[0])),
    (_leaf_one, ("mv", "src/main.c", "src/app.c", "--hard")),
    (_edit_app, ("commit", "-m", "leaf one", "--tag", "one", "--no-warnings", "--date-override", D[1])),
    (None, ("update", "base")),
    (_leaf_two, ("add", "two.txt")),
    (None, ("commit", "-m", "leaf two", "--allow-fork", "--date-override", D[2])),
    (None, ("update", "base")),
    (None, ("update",)),
    (_edit_main_and_bin, ("update", "one", "--debug", "-n")),
    (None, ("update", "one", "-v")),
    (None, ("status",)),
    (None, ("extras",)),
    (None, ("undo",)),
    (None, ("changes",)),
    (None, ("update", "one", "src", "-K")),
    (None, ("changes",)),
    (None, ("extras",)),
    (None, ("revert",)),
    (None, ("update", "--latest")),
    (None, ("merge", "--debug", "-v", "-n")),
    (_unmanaged_app, ("checkout", "one")),
    (None, ("changes",)),
]


def test_forks_renames_and_binaries_match_fossil(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Several leaves (``update`` lists them and stops), an edited file renamed by the
    target (``MERGE src/main.c -> src/app.c``), a binary file edited on both sides, ``--debug``,
    a folder as the FILES argument, ``-K`` keeping the merge inputs."""
    theirs, mine, _ = run_both(tmp_path_factory, "forks", FORK_STEPS)
    assert_same(theirs, mine)
    text = "\n".join(line for _, _, o, e in mine.log for line in o + e)
    for needle in (
        "Multiple descendants",
        "+++ no more data (2) +++",
        "MERGE src/main.c -> src/app.c",
        "***** Cannot merge binary file pic.bin, original copy backed up locally",
        "     fnt = [src/app.c]",
        "******** FV final *******",
        "overwrite ROOT/w/src/app.c (a=always/y/N)? src/util.c",
        "WARNING: manifest checksum does not agree with disk",
    ):
        assert needle in text, needle
