"""fossilpy.checkout in-process: the checkout database, finding the root,
tree names, and a commit that fails half-way leaving everything as it was."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from fossilpy.checkout import commit, ops, vfile
from fossilpy.checkout.db import LOCAL_SCHEMA, Checkout, find_root, fingerprint
from fossilpy.errors import UserError
from tests.builders import new_repo


@pytest.fixture
def ck(tmp_path: Path):  # type: ignore[no-untyped-def]
    new_repo(tmp_path / "r.fossil")
    root = tmp_path / "w"
    root.mkdir()
    c = Checkout.create(str(root), "../r.fossil")
    vid = int(c.repo.one("SELECT objid FROM event WHERE type='ci'"))
    vfile.load(c, vid)
    c.set_checkout(vid)
    yield c
    c.close()


def _lines() -> tuple[list[str], object]:
    got: list[str] = []
    return got, got.append


def test_schema_is_fossils(ck: Checkout) -> None:
    db = sqlite3.connect(ck.dbfile)
    try:
        sql = [r[0] for r in db.execute("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")]
        assert sql == list(LOCAL_SCHEMA)
        assert db.execute("PRAGMA application_id").fetchone() == (252006674,)
        vvar = dict(db.execute("SELECT name, value FROM vvar"))
    finally:
        db.close()
    assert vvar["repository"] == "../r.fossil"
    assert vvar["checkout"] == str(ck.vid)
    assert vvar["checkout-hash"] == ck.repo.one("SELECT uuid FROM blob WHERE rid=?", (ck.vid,))
    assert vvar["fingerprint"] == fingerprint(ck.repo)
    assert vvar["fingerprint"].startswith("1/") and len(vvar["fingerprint"]) == 34


def test_find_root_walks_up(ck: Checkout) -> None:
    deep = Path(ck.root) / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(str(deep)) == (ck.root, ck.dbfile)
    assert find_root(str(deep), root_only=True) is None
    assert find_root(str(Path(ck.root).parent)) is None
    # a file named .fslckout that is not a checkout database does not count
    (deep / ".fslckout").write_bytes(b"x" * 4096)
    assert find_root(str(deep)) == (ck.root, ck.dbfile)


def test_tree_names(ck: Checkout) -> None:
    root = ck.root.rstrip("/")
    assert ops.tree_name(ck, root, "a/../b.txt") == "b.txt"
    assert ops.tree_name(ck, root + "/sub", "./x") == "sub/x"
    assert ops.tree_name(ck, root, ".") == "."
    for bad in ("../x", "/etc/passwd", "sub/../../x"):
        with pytest.raises(UserError, match="file outside of check-out tree"):
            ops.tree_name(ck, root, bad)


def test_unsafe_paths(ck: Checkout, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, Path(ck.root) / "link")
    assert vfile.unsafe_path(ck, "link/f.txt") is not None
    assert vfile.unsafe_path(ck, "../f.txt") == "illegal file name: ../f.txt"
    assert vfile.unsafe_path(ck, "ok/f.txt") is None
    with pytest.raises(UserError):
        vfile.write_file(ck, "link/f.txt", b"x", vfile.PERM_REG)
    assert list(outside.iterdir()) == []


def test_old_checkout_schema_is_refused(ck: Checkout) -> None:
    ck.close()
    db = sqlite3.connect(ck.dbfile)
    db.execute("DROP TRIGGER vmerge_ck1")
    db.execute("DROP INDEX vmergex1")
    db.execute("ALTER TABLE vmerge DROP COLUMN mhash")
    db.commit()
    db.close()
    with pytest.raises(Exception, match="predates"):
        Checkout.find(ck.root)


def test_repository_that_moved(ck: Checkout) -> None:
    ck.close()
    os.rename(Path(ck.root).parent / "r.fossil", Path(ck.root).parent / "moved.fossil")
    with pytest.raises(UserError, match="repository does not exist"):
        Checkout.find(ck.root)


def test_failed_commit_changes_nothing(ck: Checkout, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the files and the manifest were stored rolls back
    the repository AND the checkout database (one transaction)."""
    (Path(ck.root) / "f.txt").write_text("hello\n")
    got: list[str] = []
    ops.add(ck, ck.root, ["f.txt"], got.append)
    assert got == ["ADDED  f.txt"]
    vfile.check_signature(ck, ck.vid)  # commit does this first, in its own transaction (as Fossil)
    before_blobs = ck.repo.all("SELECT rid, uuid FROM blob ORDER BY rid")
    before_vfile = ck.repo.all("SELECT * FROM localdb.vfile ORDER BY id")
    before_vvar = ck.repo.all("SELECT * FROM localdb.vvar ORDER BY name")

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(commit, "checksum_repository", boom)
    with pytest.raises(RuntimeError, match="killed"):
        commit.commit(ck, commit.Options(comment="x", user="root"), got.append)
    assert got[-1].startswith("New_Version: ")  # it got that far
    assert ck.repo.all("SELECT rid, uuid FROM blob ORDER BY rid") == before_blobs
    assert ck.repo.all("SELECT * FROM localdb.vfile ORDER BY id") == before_vfile
    assert ck.repo.all("SELECT * FROM localdb.vvar ORDER BY name") == before_vvar
    monkeypatch.undo()
    got.clear()
    assert commit.commit(ck, commit.Options(comment="x", user="root"), got.append)
    assert ck.repo.one("SELECT count(*) FROM event WHERE type='ci'") == 2


def test_commit_checks(ck: Checkout) -> None:
    got: list[str] = []
    with pytest.raises(UserError, match="nothing has changed; use --allow-empty to override"):
        commit.commit(ck, commit.Options(comment="x", user="root"), got.append)
    with pytest.raises(UserError, match="no such user: stranger"):
        commit.commit(ck, commit.Options(comment="x", user="stranger", allow_empty=True), got.append)
    with pytest.raises(UserError, match='an open branch named "trunk" already exists'):
        commit.commit(ck, commit.Options(comment="x", user="root", branch="trunk", allow_empty=True), got.append)
    assert got == []
    uuid = commit.commit(ck, commit.Options(comment="", user="root", allow_empty=True, dry_run=True), got.append)
    assert uuid is None
    assert got[0] == "C (no\\scomment)" and got[-1].startswith("New_Version: ")
    assert ck.repo.one("SELECT count(*) FROM event WHERE type='ci'") == 1
