"""``--force-missing`` of open, update, checkout and merge, and ``merge --show-vfile``
/ ``test-show-vfile``, against the real fossil 2.21 (issue 13).

One repository made by fossil (trunk: ``a.txt``, ``b.txt``, then ``b.txt``
edited and ``c.txt`` added; a branch ``br`` from the first check-in that
edits ``a.txt``), then the second version of ``b.txt`` made a phantom, as a
clone that never received it.  Each program works on its own copy.  Without
``--force-missing`` every command names the missing file on standard error and
refuses, leaving nothing; with it the file is left out and the rest goes on
(open and checkout also warn that the R card no longer agrees).  Claims:
exit status, stdout and stderr line for line (fossilpy's "fossilpy: " prefix
dropped, the check-out folder named ROOT), the files on disk and the vfile
rows after each step.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_update_fossil import put, tree
from tests.conftest import Runner


def _seed(fossil: Runner, work: Path) -> tuple[Path, dict[str, str]]:
    repo = work / "seed.fossil"
    fossil("init", str(repo), "--date-override", "2021-01-01T00:00:00")
    w = work / "seed"
    w.mkdir()
    fossil("open", str(repo), cwd=w)
    put(w, "a.txt", "one\ntwo\nthree\n")
    put(w, "b.txt", "bee\n")
    fossil("add", "a.txt", "b.txt", cwd=w)
    fossil("commit", "-m", "first", "--no-warnings", "--date-override", "2021-01-02T00:00:00", cwd=w)
    put(w, "b.txt", "bee, second version\n")
    put(w, "c.txt", "sea\n")
    fossil("add", "c.txt", cwd=w)
    fossil("commit", "-m", "second", "--no-warnings", "--date-override", "2021-01-03T00:00:00", cwd=w)
    fossil("update", "trunk", cwd=w)
    names = {}
    for tag in ("first", "second"):
        names[tag] = str(
            fossil("sql", "-R", str(repo), f"SELECT uuid FROM blob, event WHERE objid=rid AND comment='{tag}'")
            .stdout.decode()
            .strip()
            .strip("'")
        )
    fossil("update", names["first"], cwd=w)
    put(w, "a.txt", "one\nTWO\nthree\n")
    fossil("commit", "-m", "on br", "--branch", "br", "--no-warnings", "--date-override", "2021-01-04T00:00:00", cwd=w)
    fossil("close", "--force", cwd=w)
    db = sqlite3.connect(repo)
    with db:
        rid = db.execute("SELECT rid FROM blob WHERE content IS NOT NULL AND size=20").fetchone()[0]
        assert db.execute("SELECT count(*) FROM delta WHERE srcid=?", (rid,)).fetchone()[0] == 0
        db.execute("UPDATE blob SET content=NULL, size=-1 WHERE rid=?", (rid,))
        db.execute("INSERT INTO phantom VALUES(?)", (rid,))
    db.close()
    return repo, names


def _vfile(w: Path) -> list[tuple]:
    if not (w / ".fslckout").exists():
        return []
    db = sqlite3.connect(w / ".fslckout")
    try:
        return db.execute(
            "SELECT vid, chnged, deleted, isexe, islink, rid, mrid, pathname, origname FROM vfile"
            " ORDER BY vid, pathname"
        ).fetchall()
    finally:
        db.close()


def _norm(text: bytes, base: Path) -> list[str]:
    lines = text.decode().replace(str(base / "w"), "ROOT").replace(str(base), "BASE").splitlines()
    return [line.removeprefix("fossilpy: ") for line in lines]


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[Runner, Path]], dict[str, str]]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "force-missing")
    seed, names = _seed(fossil, work)
    out = []
    for prog, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / prog
        (base / "w").mkdir(parents=True)
        shutil.copy(seed, base / "repo.fossil")
        out.append((run, base))
    return out, names


def _step(twins: tuple[list[tuple[Runner, Path]], dict[str, str]], *args: str) -> tuple[int, list[str], list[str]]:
    """Run ``args`` (names of check-ins in braces) in both check-outs; the same status,
    output, files and vfile rows; return fossil's status and lines."""
    pair, names = twins
    seen = []
    for run, base in pair:
        w = base / "w"
        argv = [a.format(**names).replace("REPO", str(base / "repo.fossil")) for a in args]
        p = run(*argv, check=False, cwd=w)
        seen.append((p.returncode, _norm(p.stdout, base), _norm(p.stderr, base), tree(w), _vfile(w)))
    theirs, mine = seen
    assert mine[:3] == theirs[:3], args
    assert mine[3] == theirs[3], f"files after {args}"
    assert mine[4] == theirs[4], f"vfile after {args}"
    return theirs[0], theirs[1], theirs[2]


def test_the_commands_refuse_then_go_on_without_the_missing_file(twins) -> None:  # type: ignore[no-untyped-def]
    rc, out, err = _step(twins, "open", "REPO", "{second}", "--nosync")
    assert (rc, err) == (1, ["content missing for b.txt", "missing content, unable to check out"])

    rc, out, err = _step(twins, "open", "REPO", "{second}", "--nosync", "--force-missing")
    assert rc == 0 and err == ["content missing for b.txt"]
    assert out[:4] == [
        "a.txt",
        "c.txt",
        "WARNING: manifest checksum does not agree with disk",
        "WARNING: manifest checksum does not agree with manifest",
    ]
    _step(twins, "test-show-vfile")

    rc, out, err = _step(twins, "checkout", "{first}", "--force")
    assert rc == 0
    rc, out, err = _step(twins, "update", "{second}", "--nosync")
    assert (rc, err) == (1, ["content missing for b.txt", "missing content, unable to update"])
    rc, out, err = _step(twins, "update", "{second}", "--nosync", "--force-missing")
    assert rc == 0 and out[0] == "REMOVE b.txt" and out[1].startswith("ADD c.txt")

    rc, out, err = _step(twins, "checkout", "{first}", "--force")
    assert rc == 0
    rc, out, err = _step(twins, "checkout", "{second}", "--force")
    assert (rc, err) == (1, ["content missing for b.txt", "missing content, unable to check out"])
    rc, out, err = _step(twins, "checkout", "{second}", "--force", "--force-missing")
    assert rc == 0 and err == ["content missing for b.txt"]

    _step(twins, "checkout", "br", "--force")
    rc, out, err = _step(twins, "merge", "trunk")
    assert (rc, err) == (1, ["content missing for b.txt", "missing content, unable to merge"])
    rc, out, err = _step(twins, "merge", "trunk", "--force-missing", "--show-vfile")
    assert rc == 0 and out[0].startswith("VFILE vid=")
    _step(twins, "test-show-vfile")
