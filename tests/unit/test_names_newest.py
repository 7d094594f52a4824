"""Naming a branch or tag resolves to its newest check-in, whether that is among
the newest events of the repository (the fast path) or far behind them."""

from __future__ import annotations

from pathlib import Path

from fossilpy.repo import names
from fossilpy.repo.create import create_repository
from fossilpy.repo.db import Repo
from tests.builders import _Writer


def _sorted_newest(repo: Repo, tag: str, private: bool) -> int:
    """Fossil's query: every event with the tag, sorted."""
    return int(
        repo.one(
            "SELECT event.objid FROM tag, tagxref, event WHERE tag.tagname=? AND tagxref.tagid=tag.tagid"
            " AND tagxref.tagtype>0 AND event.objid=tagxref.rid AND event.type GLOB 'ci'"
            " AND (? OR event.objid NOT IN private) ORDER BY event.mtime DESC LIMIT 1",
            ("sym-" + tag, private),
            0,
        )
    )


def test_newest_with_tag_near_and_far(tmp_path: Path) -> None:
    path = tmp_path / "r.fossil"
    repo = create_repository(path, admin_user="root")
    try:
        with repo.write():
            w = _Writer(repo)
            root = repo.one("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci'")
            old = w.checkin(
                "old branch",
                {"a": b"1"},
                [root],
                [("*", "branch", "old"), ("*", "sym-old", None), ("-", "sym-trunk", None)],
            )
            w.checkin("old branch again", {"a": b"2"}, [old])
            tip = root
            for i in range(names._RECENT + 20):  # trunk moves far past the branch
                tip = w.checkin(f"trunk {i}", {"a": b"t%d" % i}, [tip])
            w.checkin("private on trunk", {"a": b"p"}, [tip], private=True)
        for tag in ("trunk", "old"):
            for private in (False, True):
                want = _sorted_newest(repo, tag, private)
                assert want and names._newest_with_tag(repo, tag, "ci", private) == want, (tag, private)
        assert names._newest_with_tag(repo, "nosuchtag", "ci", True) == 0
        assert names.resolve(repo, "old", "ci") == _sorted_newest(repo, "old", False)
    finally:
        repo.close()
