"""fossilpy.repo.docwrite: commit, moderation approve and disapprove."""

from __future__ import annotations

from pathlib import Path

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.repo import attach, docwrite
from fossilpy.repo.create import create_repository
from fossilpy.repo.db import Repo


def _repo(tmp_path: Path) -> Repo:
    create_repository(tmp_path / "r.fossil", admin_user="root").close()
    return Repo.open(str(tmp_path / "r.fossil"))


def _page(title: str, text: str, parent: str | None = None) -> Manifest:
    return Manifest(
        type=ArtifactType.WIKI,
        date="2026-12-03T12:00:30.783",
        wiki_title=title,
        user="root",
        parents=[parent] if parent else [],
        text=text,
    )


def test_now_date_truncates_to_milliseconds() -> None:
    assert docwrite.now_date(1764763230.7839) == "2025-12-03T12:00:30.783"
    assert docwrite.now_date(0.9999) == "1970-01-01T00:00:00.999"


def test_commit_stores_crosslinks_and_queues_for_sync(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    s = docwrite.commit(repo, _page("P", "text one\n"))
    assert s.data.startswith(b"D 2026-12-03T12:00:30.783\nL P\nU root\nW 9\ntext one\n\nZ ")
    assert repo.one("SELECT uuid FROM blob WHERE rid=?", (s.rid,)) == s.uuid
    assert repo.all("SELECT type, comment FROM event WHERE objid=?", (s.rid,)) == [("w", "+P")]
    assert repo.one("SELECT count(*) FROM unsent WHERE rid=?", (s.rid,)) == 1
    assert repo.one("SELECT count(*) FROM unclustered WHERE rid=?", (s.rid,)) == 1
    # a second version: the first is stored as a delta of it when it is big enough
    big = "line of wiki text\n" * 20
    s1 = docwrite.commit(repo, _page("P", big))
    s2 = docwrite.commit(repo, _page("P", big + "more\n", s1.uuid), deltify_older=(s1.rid,))
    assert repo.one("SELECT srcid FROM delta WHERE rid=?", (s1.rid,)) == s2.rid


def test_held_attachment_approved_publishes_its_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    docwrite.commit(repo, _page("P", "x\n"))
    s = attach.add(repo, name="a.txt", target="P", data=b"file body\n", comment="c", user="root", moderate=True)
    src = repo.one("SELECT attachRid FROM modreq WHERE objid=?", (s.rid,))
    assert sorted(r for (r,) in repo.all("SELECT rid FROM private")) == sorted([s.rid, src])
    assert docwrite.pending(repo, s.rid)
    assert docwrite.approve(repo, s.rid) is True
    assert repo.all("SELECT rid FROM private") == []
    assert repo.all("SELECT objid FROM modreq") == []
    assert repo.one("SELECT count(*) FROM unclustered WHERE rid IN (?,?)", (s.rid, src)) == 2
    assert docwrite.approve(repo, s.rid) is False


def test_disapprove_forgets_the_artifact_and_its_unused_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    docwrite.commit(repo, _page("P", "x\n"))
    before = repo.one("SELECT count(*) FROM blob")
    s = attach.add(repo, name="a.txt", target="P", data=b"file body\n", comment="c", user="root", moderate=True)
    assert repo.one("SELECT count(*) FROM blob") == before + 2
    assert docwrite.disapprove(repo, s.rid) is True
    assert repo.one("SELECT count(*) FROM blob") == before
    assert repo.all("SELECT * FROM attachment") == []
    assert repo.all("SELECT objid FROM event WHERE objid=?", (s.rid,)) == []
    assert repo.all("SELECT objid FROM modreq") == []
    assert docwrite.disapprove(repo, s.rid) is False
