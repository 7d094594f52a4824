"""``revert -r REVISION FILE...`` against fossil 2.21 (``revert_cmd`` in update.c): the
same output, files, checkout rows and exit codes, in twin checkouts of one repository."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from tests.conftest import Runner


def _rows(wd: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(wd / ".fslckout")
    try:
        return db.execute(
            "SELECT pathname, origname, chnged, deleted, isexe, islink, rid, mrid FROM vfile ORDER BY pathname"
        ).fetchall()
    finally:
        db.close()


def _tree(wd: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(wd)): p.read_bytes() for p in sorted(wd.rglob("*")) if p.is_file() and p.name != ".fslckout"
    }


def test_revert_to_a_revision_as_fossil(tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    fossil("init", "r.fossil")
    seed = tmp_path / "seed"
    seed.mkdir()
    fossil("open", "../r.fossil", "--nosync", cwd=seed)
    (seed / "sub").mkdir()
    (seed / "a.txt").write_text("a one\n")
    (seed / "sub" / "b.txt").write_text("b one\n")
    fossil("add", "a.txt", "sub/b.txt", cwd=seed)
    fossil("commit", "-m", "first", "--no-warnings", "--nosync", "--date-override", "2027-01-01T00:00:00", cwd=seed)
    first = fossil.text("info", cwd=seed).split("checkout:")[1].split()[0]
    (seed / "a.txt").write_text("a two, longer\n")
    (seed / "c.txt").write_text("c new\n")
    fossil("add", "c.txt", cwd=seed)
    fossil("commit", "-m", "second", "--no-warnings", "--nosync", "--date-override", "2027-01-02T00:00:00", cwd=seed)
    fossil("close", cwd=seed)
    shutil.copy(tmp_path / "r.fossil", tmp_path / "p.fossil")
    sides = {}
    for name, repo in (("f", "r.fossil"), ("p", "p.fossil")):
        wd = tmp_path / name
        wd.mkdir()
        fossil("open", f"../{repo}", "--nosync", cwd=wd)
        (wd / "sub" / "b.txt").write_text("b edited locally\n")
        sides[name] = wd
    steps = [
        ["revert", "-r", first, "a.txt"],  # an older content: stays "edited"
        ["revert", "-r", first, "c.txt"],  # not in that check-in: deleted
        ["revert", "-r", first],  # refused: the whole tree
        ["revert", "-r", first, "sub"],  # refused: a folder
        ["revert", "-r", first, "."],
        ["revert", "-r", "no-such-name", "a.txt"],
        ["revert", "--revision", first, "sub/b.txt"],
        ["changes"],
        ["undo"],
        ["changes"],
        ["revert"],
        ["changes"],
    ]
    for step in steps:
        want = fossil(*step, cwd=sides["f"], check=False)
        got = fossilpy(*step, cwd=sides["p"], check=False)
        assert got.returncode == want.returncode, (step, got.stderr, want.stderr)
        assert got.stdout == want.stdout, step
        assert got.stderr.replace(b"fossilpy: ", b"") == want.stderr.replace(b"fossil: ", b""), step
        assert _tree(sides["p"]) == _tree(sides["f"]), step
        assert [r[:6] for r in _rows(sides["p"])] == [r[:6] for r in _rows(sides["f"])], step
