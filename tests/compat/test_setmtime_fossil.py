"""``--setmtime`` on ``open``, ``checkout`` and ``update`` against fossil 2.21 (issue 13).

One history is built with the real fossil, every check-in dated with
``--date-override`` (one of them with a fraction of a second):

* c1 adds a.txt, b.txt, sub/c.txt and run.sh (executable);
* c2 edits b.txt and adds d.txt;
* on branch ``br`` (from c2) c.txt is edited and e.txt added;
* c3 (trunk) edits a.txt; c4 merges ``br`` (c.txt and e.txt arrive by the
  merge, so they date from c4, the check-in whose mlink rows carry them
  relative to its primary parent); c5 puts b.txt back to c1's content and
  renames d.txt to f.txt.

Each scenario runs the same commands with fossil and with fossilpy in twin
folders holding copies of the repository; claims: exit status and output
match (folders named ROOT), every file's ``st_mtime`` is the same in both
and is the expected check-in's time in whole seconds, the ``vfile`` rows
(mtime and chnged included) are the same, and ``fossil changes`` run by the
real fossil in the fossilpy checkout prints nothing (or only the local
edit).
"""

from __future__ import annotations

import calendar
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_update_fossil import normal
from tests.conftest import Runner

DATES = {
    "c1": "2020-01-02 03:04:05",
    "c2": "2020-02-03 04:05:06.750",
    "br": "2020-03-04 05:06:07",
    "c3": "2020-04-05 06:07:08",
    "c4": "2020-05-06 07:08:09",
    "c5": "2020-06-07 08:09:10",
}


TIMES: dict[str, int] = {}


def _secs(name: str) -> int:
    """A check-in's time as Fossil computes it: ``(event.mtime-2440587.5)*86400``
    truncated toward zero (c4 comes out one second early: the Julian day REAL
    is a hair below the exact second)."""
    return TIMES[name]


def _put(w: Path, name: str, text: str) -> None:
    (w / name).parent.mkdir(parents=True, exist_ok=True)
    (w / name).write_text(text)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path, dict[str, str]]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "setmtime")
    repo = work / "seed.fossil"
    fossil("init", repo, "--date-override", "2020-01-01 00:00:00")
    w = work / "build"
    w.mkdir()
    fossil("open", repo, cwd=w)

    def ci(tag: str, *extra: str) -> None:
        fossil("commit", "-m", tag, "--date-override", DATES[tag], "--no-warnings", *extra, cwd=w)

    _put(w, "a.txt", "a1\n")
    _put(w, "m.txt", "".join(f"line {i}\n" for i in range(10)))
    _put(w, "b.txt", "b1\n")
    _put(w, "sub/c.txt", "c1\n")
    _put(w, "run.sh", "#!/bin/sh\n")
    (w / "run.sh").chmod(0o755)
    fossil("add", ".", cwd=w)
    ci("c1")
    _put(w, "b.txt", "b2 longer\n")
    _put(w, "d.txt", "d\n")
    fossil("add", "d.txt", cwd=w)
    ci("c2")
    _put(w, "sub/c.txt", "c on the branch\n")
    _put(w, "e.txt", "e\n")
    fossil("add", "e.txt", cwd=w)
    ci("br", "--branch", "br")
    fossil("update", "trunk", cwd=w)
    _put(w, "a.txt", "a3 edited\n")
    _put(w, "m.txt", "first line changed at c3\n" + "".join(f"line {i}\n" for i in range(1, 10)))
    ci("c3")
    fossil("merge", "br", cwd=w)
    ci("c4")
    _put(w, "b.txt", "b1\n")
    fossil("mv", "--hard", "d.txt", "f.txt", cwd=w)
    ci("c5")
    db = sqlite3.connect(repo)
    hashes = {}
    for comment, uuid, mtime in db.execute(
        "SELECT event.comment, blob.uuid, event.mtime FROM event JOIN blob ON blob.rid=event.objid"
    ):
        hashes[str(comment)] = str(uuid)
        TIMES[str(comment)] = int((float(mtime) - 2440587.5) * 86400)
    db.close()
    for tag, date in DATES.items():
        exact = calendar.timegm(time.strptime(date[:19], "%Y-%m-%d %H:%M:%S"))
        assert exact - 1 <= TIMES[tag] <= exact
    fossil("close", cwd=w)
    return fossil, fossilpy, work, hashes


Step = tuple[Callable[[Path], None] | None, tuple[str, ...]]


def _mtimes(w: Path) -> dict[str, float]:
    return {
        p.relative_to(w).as_posix(): p.stat().st_mtime
        for p in sorted(w.rglob("*"))
        if p.is_file() and not p.name.startswith(".fslckout") and p.name != "manifest"
    }


def _vfile(w: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(w / ".fslckout")
    try:
        return db.execute("SELECT vid, pathname, chnged, mtime, isexe FROM vfile ORDER BY vid, pathname").fetchall()
    finally:
        db.close()


def _twins(history: tuple[Runner, Runner, Path, dict[str, str]], name: str, steps: list[Step]) -> tuple[Path, Path]:
    """The steps by each program in its own folder; the outputs and, after each
    step, the files' mtimes and the vfile rows compared; the two checkouts."""
    fossil, fossilpy, work, _ = history
    folders = []
    logs = []
    for prog, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name / prog
        w = base / "w"
        w.mkdir(parents=True)
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        log = []
        for edit, args in steps:
            if edit is not None:
                edit(w)
            proc = run(*args, cwd=w, check=False, input=b"")
            # the times of a command without --setmtime are those of its writes: not compared
            dated = "--setmtime" in args and proc.returncode == 0
            log.append(
                (
                    args,
                    proc.returncode,
                    normal(proc.stdout, base),
                    normal(proc.stderr, base),
                    _mtimes(w) if "--setmtime" in args else None,
                    _vfile(w) if dated else [r[:3] for r in _vfile(w)],
                )
            )
        folders.append(w)
        logs.append(log)
    for theirs, mine in zip(logs[0], logs[1], strict=True):
        assert mine == theirs, f"step {theirs[0]}"
    return folders[0], folders[1]


def _stale(w: Path) -> None:
    """Every file dated now-ish (as a fresh write would), in whole seconds."""
    for p in w.rglob("*"):
        if p.is_file() and not p.name.startswith(".fslckout"):
            os.utime(p, (1_700_000_000, 1_700_000_000))


def _changes_clean(fossil: Runner, w: Path) -> str:
    return fossil.text("changes", cwd=w)


def test_open_setmtime_dates_each_file_by_its_checkin(history) -> None:  # type: ignore[no-untyped-def]
    fossil, _, _, _ = history
    theirs, mine = _twins(history, "open", [(None, ("open", "../repo.fossil", "--setmtime"))])
    want = {
        "a.txt": _secs("c3"),
        "b.txt": _secs("c5"),  # back to c1's content at c5: the newest ancestor with that artifact
        "sub/c.txt": _secs("c4"),  # arrived by the merge
        "e.txt": _secs("c4"),
        "f.txt": _secs("c5"),  # renamed at c5
        "run.sh": _secs("c1"),
        "m.txt": _secs("c3"),
    }
    assert _mtimes(mine) == want
    assert _mtimes(theirs) == want
    assert _changes_clean(fossil, mine) == ""
    assert all(row[3] == want[str(row[1])] for row in _vfile(mine))


def test_checkout_setmtime_back_and_forth(history) -> None:  # type: ignore[no-untyped-def]
    fossil, _, _, hashes = history
    steps: list[Step] = [
        (None, ("open", "../repo.fossil")),
        (None, ("checkout", hashes["c2"], "--setmtime")),
        (_stale, ("checkout", hashes["c2"], "--setmtime")),  # the same check-in: only re-dated
        (None, ("checkout", "--latest", "--setmtime")),
        (None, ("co", "br", "--setmtime", "--force")),
    ]
    theirs, mine = _twins(history, "checkout", steps)
    assert _mtimes(mine) == {
        "a.txt": _secs("c1"),
        "b.txt": _secs("c2"),  # the fraction of a second dropped
        "d.txt": _secs("c2"),
        "e.txt": _secs("br"),
        "f.txt": _secs("c5"),  # left by --force (vfile emptied first), no longer managed
        "m.txt": _secs("c1"),
        "run.sh": _secs("c1"),
        "sub/c.txt": _secs("br"),
    }
    assert _changes_clean(fossil, mine) == ""


def _edit_run(w: Path) -> None:
    """A local edit of a file no check-in changes (update leaves it alone)."""
    (w / "run.sh").write_text("#!/bin/sh\necho local\n")
    os.utime(w / "run.sh", (1_650_000_000, 1_650_000_000))


def test_update_setmtime_keeps_edited_files(history) -> None:  # type: ignore[no-untyped-def]
    fossil, _, _, hashes = history
    steps: list[Step] = [
        (None, ("open", "../repo.fossil", hashes["c1"])),
        (_edit_run, ("update", hashes["c2"], "--setmtime")),
        (None, ("update", "-n", "--setmtime")),  # dry run: nothing dated
        (_stale, ("update", "--setmtime")),
        (None, ("update", hashes["c5"], "b.txt", "--setmtime")),  # named files: Fossil dates none
    ]
    theirs, mine = _twins(history, "update", steps)
    got = _mtimes(mine)
    assert got["run.sh"] == 1_700_000_000  # the local edit keeps the time _stale gave it
    assert got["sub/c.txt"] == _secs("c4")
    assert got["a.txt"] == _secs("c3")
    assert fossil.text("changes", cwd=mine) == "EDITED     run.sh\n"


def _pin_added(w: Path) -> None:
    os.utime(w / "d.txt", (1_650_000_000, 1_650_000_000))


def test_setmtime_after_a_merge(history) -> None:  # type: ignore[no-untyped-def]
    """Files changed by an uncommitted merge (chnged 2) are dated too, by the
    newest ancestor of the check-out holding their new content: none holds
    it, so Fossil dates them 1970-01-01 (its NULL read as 0)."""
    fossil, _, _, hashes = history
    steps: list[Step] = [
        (None, ("open", "../repo.fossil", hashes["c1"])),
        (None, ("merge", hashes["c3"])),
        (_pin_added, ("update", hashes["c1"], "--setmtime")),
    ]
    theirs, mine = _twins(history, "merged", steps)
    got = _mtimes(mine)
    assert got["m.txt"] == got["a.txt"] == got["b.txt"] == 0
    assert got["d.txt"] == 1_650_000_000  # added by the merge (chnged 3): not dated
    assert got["run.sh"] == _secs("c1")
    assert _mtimes(theirs) == got


def test_setmtime_with_bad_version_writes_nothing(history) -> None:  # type: ignore[no-untyped-def]
    steps: list[Step] = [
        (None, ("open", "../repo.fossil")),
        (_stale, ("checkout", "no-such-thing", "--setmtime")),
        (None, ("update", "no-such-thing", "--setmtime")),
    ]
    theirs, mine = _twins(history, "bad", steps)
    assert set(_mtimes(mine).values()) == {1_700_000_000}


def _chmod_a(w: Path) -> None:
    (w / "a.txt").chmod(0o755)
    os.utime(w / "a.txt", (1_650_000_000, 1_650_000_000))


def _touch_a(w: Path) -> None:
    os.utime(w / "a.txt", (1_640_000_000, 1_640_000_000))


def test_setmtime_and_the_x_bit(history) -> None:  # type: ignore[no-untyped-def]
    """A file that only became executable: update gives it back the
    manifest's permission, and both programs date it alike."""
    steps: list[Step] = [
        (None, ("open", "../repo.fossil")),
        (_chmod_a, ("update", "--setmtime")),
        (_touch_a, ("update", "--setmtime")),
    ]
    theirs, mine = _twins(history, "xbit", steps)
    assert _mtimes(mine)["a.txt"] == _secs("c3")
    assert not os.access(mine / "a.txt", os.X_OK)
    assert _vfile(mine) == _vfile(theirs)
