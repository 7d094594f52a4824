"""Bad input to the checkout commands (issue 13): the same refusal as fossil 2.21
(message apart from the "fossilpy: " prefix, exit code) and nothing written.

Each case runs in twin checkouts (copies of one repository, opened by fossil):
the command once with fossil and once with fossilpy; outputs are compared with the
twin's folder replaced by ``BASE``, and each twin's files, checkout database rows
and repository are compared before and after.  Cases: names with ``..`` and
absolute names outside the tree, a symlink pointing out of the tree (committed
with allow-symlinks off and on), a checkout database of a newer schema (extra
table and column: still used, as fossil does) and one that is not a database, a
repository that moved, a file missing at commit, and check-ins whose manifest
names ``../evil``, ``/abs/evil`` or ``a/../../evil`` (open and update refuse,
nothing is written inside or outside).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

TABLES = ("vvar", "vfile", "vmerge", "undo", "undo_vfile", "undo_vmerge", "stash", "stashfile")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tree(base: Path) -> dict[str, str]:
    """Every file under ``base`` (the checkout database and repository by their rows/hash)."""
    out: dict[str, str] = {}
    for p in sorted(base.rglob("*")):
        rel = str(p.relative_to(base))
        if p.is_symlink():
            out[rel] = "-> " + str(p.readlink())
        elif p.name == ".fslckout" and p.read_bytes()[:15] == b"SQLite format 3":
            db = sqlite3.connect(p)
            names = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
            out[rel] = repr([(t, sorted(map(repr, db.execute(f"SELECT * FROM {t}")))) for t in TABLES if t in names])
            db.close()
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _twins(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Runner, Runner, list[Path]]:
    """fossil, fossilpy and two bases, each holding r.fossil, an open checkout w/ and outside/secret.txt."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, name)
    seed = work / "seed"
    w = seed / "w"
    w.mkdir(parents=True)
    fossil("init", str(seed / "r.fossil"), "--date-override", "2024-01-01")
    fossil("settings", "autosync", "off", "-R", str(seed / "r.fossil"))
    fossil("open", "../r.fossil", cwd=w)
    _write(w / "a.txt", "alpha\n")
    _write(w / "sub" / "b.txt", "beta\n")
    _write(seed / "outside" / "secret.txt", "keep me\n")
    fossil("add", "a.txt", "sub", cwd=w)
    fossil("commit", "-m", "files", "--date-override", "2024-01-02", cwd=w)
    bases = []
    for who in ("fossil", "fossilpy"):
        shutil.copytree(seed, work / who, symlinks=True)
        bases.append(work / who)
    return fossil, fossilpy, bases


def _both(fossil: Runner, fossilpy: Runner, bases: list[Path], *args: str, where: str = "w") -> tuple[int, str, str]:
    """Run ``args`` with fossil in the first twin and fossilpy in the second: the same
    exit code, stdout and stderr (apart from the prefix and the twin's path); returned."""
    results = []
    for run, base in zip((fossil, fossilpy), bases, strict=True):
        proc = run(*[a.replace("BASE", str(base)) for a in args], cwd=base / where, check=False, input=b"")
        out = proc.stdout.decode().replace(str(base), "BASE")
        err = proc.stderr.decode().replace(str(base), "BASE").replace("fossilpy: ", "")
        results.append((proc.returncode, out, err))
    assert results[1] == results[0]
    return results[0]


def _refused(fossil: Runner, fossilpy: Runner, bases: list[Path], *args: str, where: str = "w") -> tuple[int, str, str]:
    """``_both`` for a refusal: non-zero exit, a message, and both twins unchanged."""
    before = [_tree(b) for b in bases]
    result = _both(fossil, fossilpy, bases, *args, where=where)
    assert result[0] != 0 and result[2].strip()
    assert [_tree(b) for b in bases] == before
    return result


@pytest.mark.parametrize(
    "name", ["../outside/secret.txt", "BASE/outside/secret.txt", "sub/../../outside/secret.txt", "..", "../x"]
)
def test_add_outside_the_tree(tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    fossil, fossilpy, bases = _twins(tmp_path_factory, "outside")
    rc, out, err = _refused(fossil, fossilpy, bases, "add", name)
    assert rc == 1 and "file outside of check-out tree" in err
    _refused(fossil, fossilpy, bases, "rm", name)


@pytest.mark.parametrize("links", ["off", "on"])
def test_symlink_out_of_the_tree(tmp_path_factory: pytest.TempPathFactory, links: str) -> None:
    """A symlink to a file outside: added and committed as fossil does (its target's
    content with allow-symlinks off, the link itself with it on); the outside file is
    never written, the check-ins are the same."""
    fossil, fossilpy, bases = _twins(tmp_path_factory, "symlink-" + links)
    for base in bases:
        fossil("settings", "allow-symlinks", links, "-R", str(base / "r.fossil"))
        (base / "w" / "lnk").symlink_to("../outside/secret.txt")
    assert _both(fossil, fossilpy, bases, "add", "lnk")[0] == 0
    assert _both(fossil, fossilpy, bases, "changes")[1] == "ADDED      lnk\n"
    rc, out, err = _both(
        fossil, fossilpy, bases, "commit", "-m", "link", "--no-warnings", "--date-override", "2024-01-03"
    )
    assert rc == 0
    for base in bases:
        assert (base / "outside" / "secret.txt").read_text() == "keep me\n"
        assert (base / "w" / "lnk").is_symlink()
    listed = [fossil.text("ls", "-v", cwd=b / "w") for b in bases]
    assert listed[0] == listed[1]
    cat = [fossil.text("cat", "lnk", cwd=b / "w") for b in bases]
    assert cat[0] == cat[1] == ("keep me\n" if links == "off" else "../outside/secret.txt")
    tips = [fossil.text("info", "tip", cwd=b / "w").splitlines()[0] for b in bases]
    assert tips[0] == tips[1]  # the same check-in hash: byte-identical manifests
    assert _both(fossil, fossilpy, bases, "status")[1]


def test_checkout_database_of_a_newer_schema(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Extra tables and columns (a later schema) are used as fossil uses them; a file
    that is no database is 'not within an open check-out' and left as it is."""
    fossil, fossilpy, bases = _twins(tmp_path_factory, "schema")
    for base in bases:
        db = sqlite3.connect(base / "w" / ".fslckout")
        db.executescript("ALTER TABLE vfile ADD COLUMN future TEXT; CREATE TABLE vfuture(x); PRAGMA user_version=99;")
        db.close()
        _write(base / "w" / "a.txt", "alpha edited\n")
    assert _both(fossil, fossilpy, bases, "changes") == (0, "EDITED     a.txt\n", "")
    assert _both(fossil, fossilpy, bases, "commit", "-m", "edit", "--date-override", "2024-01-04")[0] == 0
    for base in bases:
        assert "0 errors" in fossil.text("test-integrity", "-R", str(base / "r.fossil"))
        assert fossil.text("changes", cwd=base / "w") == ""
        db = sqlite3.connect(base / "w" / ".fslckout")
        assert db.execute("PRAGMA user_version").fetchone() == (99,)
        assert db.execute("SELECT count(*) FROM vfuture").fetchone() == (0,)
        db.close()
    for base in bases:
        (base / "w" / ".fslckout").write_bytes(b"not a database, from some later program\n")
    for args in (("status",), ("commit", "-m", "x"), ("update",), ("add", "a.txt")):
        rc, out, err = _refused(fossil, fossilpy, bases, *args)
        assert (rc, err) == (1, "current directory is not within an open check-out\n")


def test_repository_that_moved(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, bases = _twins(tmp_path_factory, "moved")
    for base in bases:
        (base / "r.fossil").rename(base / "moved.fossil")
    for args in (("status",), ("changes",), ("commit", "-m", "x"), ("update",), ("add", "a.txt"), ("diff",)):
        rc, out, err = _refused(fossil, fossilpy, bases, *args)
        assert (rc, err) == (1, "repository does not exist or is in an unreadable directory: BASE/r.fossil\n")


def test_missing_file_at_commit(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, bases = _twins(tmp_path_factory, "missing")
    for base in bases:
        (base / "w" / "sub" / "b.txt").unlink()
        _write(base / "w" / "a.txt", "alpha edited\n")
    before = [fossil.text("sql", "-R", str(b / "r.fossil"), "SELECT count(*) FROM blob") for b in bases]
    rc, out, err = _both(fossil, fossilpy, bases, "commit", "-m", "x", "--no-warnings")
    assert (rc, err) == (1, "no such file: BASE/w/sub/b.txt\n")
    assert [fossil.text("sql", "-R", str(b / "r.fossil"), "SELECT count(*) FROM blob") for b in bases] == before
    status = _both(fossil, fossilpy, bases, "changes")
    assert status == (0, "EDITED     a.txt\nMISSING    sub/b.txt\n", "")


def _evil_checkin(repo: Path, name: str) -> str:
    """Store, with fossilpy's writer, a check-in whose manifest names ``name``; its hash."""
    from fossilpy.artifact import hname
    from fossilpy.artifact.manifest import repo_checksum
    from tests.builders import add_artifacts, artifact

    files = {name: b"evil\n", "ok.txt": b"ok\n"}
    parent = "P " + _tip(repo)
    cards = ["C evil", "D 2024-01-05T10:00:00.000"]
    cards += [f"F {n} {hname.sha3(d)}" for n, d in sorted(files.items())]
    cards += [parent, "R " + repo_checksum(files.items()), "U root"]
    return add_artifacts(repo, [*files.values(), artifact(cards)])[-1]


def _tip(repo: Path) -> str:
    db = sqlite3.connect(repo)
    try:
        return str(
            db.execute("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci' ORDER BY mtime DESC").fetchone()[
                0
            ]
        )
    finally:
        db.close()


@pytest.mark.parametrize("name", ["../evil", "/tmp/evil-by-manifest", "a/../../evil", "sub/./../../evil"])
def test_manifest_naming_files_outside(tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    """open and update of a check-in naming a file outside the tree refuse as fossil
    does (its manifest is no check-in to either) and nothing is written anywhere."""
    fossil, fossilpy, bases = _twins(tmp_path_factory, "evil")
    hashes = {_evil_checkin(b / "r.fossil", name) for b in bases}
    assert len(hashes) == 1
    evil = hashes.pop()
    for base in bases:
        (base / "fresh").mkdir()
    rc, out, err = _refused(fossil, fossilpy, bases, "open", "../r.fossil", evil, where="fresh")
    assert (rc, err) == (1, f"cannot resolve name: {evil}\n")
    for args in (("update", evil), ("checkout", evil), ("merge", evil)):
        rc, out, err = _refused(fossil, fossilpy, bases, *args)
        assert rc == 1
    for base in bases:
        assert sorted(p.name for p in base.iterdir()) == ["fresh", "outside", "r.fossil", "w"]
        assert not Path("/tmp/evil-by-manifest").exists()
