"""Pages whose cost follows the page, not the history (issue 15).

The paths that make /timeline, /dir and friends cheap on a large history
must give the very bytes the plain paths give: the r=/t= selection tested
row by row (``timeline_filters._tagged_rows``, taken past ``SET_LIMIT``
tagged rows) against the listed set, the drawn-graph memo against a fresh
layout, the check-in file-list cache against a fresh parse, and /dir
without ci= reading one directory's range of the filename index.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.builders import WebRepo
from tests.web.conftest import sql
from tests.web.wsgi import call


def _norm(body: bytes) -> bytes:
    """A page without what changes from request to request (nonce, time taken)."""
    body = re.sub(rb"nonce=([\"'])[^\"']*\1", b"nonce=''", body)
    return re.sub(rb"generated in about [0-9.]+s", b"generated", body)


def _comments(body: bytes) -> list[str]:
    return re.findall(r'<span class="comment">(.*?)</span>', body.decode())


def _hash(webrepo: WebRepo, comment: str) -> str:
    rows = sql(webrepo.path, "SELECT uuid FROM blob JOIN event ON objid=rid WHERE comment=?", (comment,))
    return str(rows[0][0])


TAGGED = [
    "/timeline?r=trunk",
    "/timeline?r=feat",
    "/timeline?t=trunk&n=3",
    "/timeline?r=trunk&mionly",
    "/timeline?r=feat&mionly",
    "/timeline?t=feat&rel",
    "/timeline?t=tr*&ms=glob&rel",
    "/timeline?t=fe%25&ms=like&n=2",
    "/timeline?r=feat&m={trunk_work}",
    "/timeline?r=feat&c={trunk_work}&n=3",
    "/timeline?r=feat&b={trunk_work}&n=2",
    "/timeline?t=feat&a={first}&n=2",
]


@pytest.mark.parametrize("url", TAGGED)
def test_tagged_rows_tested_one_by_one_give_the_listed_page(
    app: Any, webrepo: WebRepo, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from fossilpy.web import timeline_filters

    url = url.format(trunk_work=_hash(webrepo, "trunk work")[:12], first=_hash(webrepo, "first commit")[:12])
    listed = call(app, url)
    assert listed.status == 200, listed.text
    assert _comments(listed.body), "the selection shows rows"
    calls: list[str] = []
    scan = timeline_filters._tagged_rows
    monkeypatch.setattr(timeline_filters, "SET_LIMIT", 0)
    monkeypatch.setattr(timeline_filters, "_tagged_rows", lambda st, ids: calls.append(ids) or scan(st, ids))
    scanned = call(app, url)
    assert calls, "the row-by-row path was taken"
    assert _norm(scanned.body) == _norm(listed.body)


def test_branch_with_relatives_row_by_row(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """r=feat: the branch, its parent and the merge that took it, not the trunk work beside it."""
    from fossilpy.web import timeline_filters

    monkeypatch.setattr(timeline_filters, "SET_LIMIT", 0)
    shown = _comments(call(app, "/timeline?r=feat").body)
    assert [c for c in shown if "work" in c or "merge" in c or "branch" in c] == [
        "merge feat into trunk",
        "feature work",
        'Create new branch named "feat"',
    ]
    only_merges = _comments(call(app, "/timeline?r=feat&mionly").body)
    assert "merge feat into trunk" not in only_merges and "feature work" in only_merges


def test_graph_drawn_again_from_the_memo_is_the_same(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fossilpy.web import graph

    fresh = graph._DrawnMemo(graph.DRAWN_MEMO)
    monkeypatch.setattr(graph, "_drawn", fresh)
    first = call(app, "/timeline?n=20&y=all")
    assert len(fresh.graphs) == 1
    laid: list[Any] = []
    real = graph.layout
    monkeypatch.setattr(graph, "layout", lambda nodes: laid.append(nodes) or real(nodes))
    again = call(app, "/timeline?n=20&y=all")
    assert laid == [], "the second page reused the drawing"
    assert _norm(again.body) == _norm(first.body)
    assert '<svg class="graph"' in again.text


def test_graph_memo_is_bounded() -> None:
    from fossilpy.web import graph

    memo = graph._DrawnMemo(3)
    for i in range(10):
        memo.put((i,), graph.Drawn(16, ("",)))
    assert list(memo.graphs) == [(7,), (8,), (9,)]
    assert memo.get((8,)) is not None and list(memo.graphs)[-1] == (8,)
    assert memo.get((1,)) is None


def test_file_lists_are_bounded_and_reused(webrepo: WebRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from fossilpy.repo.db import Repo
    from fossilpy.web import names

    lists = names._FileLists(max_files=10, max_lists=2)
    monkeypatch.setattr(names, "_file_lists", lists)
    repo = Repo.open(str(webrepo.path), readonly=True)
    try:
        rids = [r for (r,) in repo.all("SELECT objid FROM event WHERE type='ci' ORDER BY mtime")]
        first = [(f.name, f.uuid, f.perm) for f in names.checkin_files(repo, rids[-1])]
        assert [n for n, _, _ in first] == ["README.md", "page.html", "src/a.py", "src/b.py"]
        parsed: list[int] = []
        real = names.read_artifact
        monkeypatch.setattr(names, "read_artifact", lambda r, rid: parsed.append(rid) or real(r, rid))
        again = [(f.name, f.uuid, f.perm) for f in names.checkin_files(repo, rids[-1])]
        assert again == first and parsed == []
        for rid in rids[1:]:
            names.checkin_files(repo, rid)
        assert len(lists.lists) <= 2 and lists.files <= 10
        assert lists.files == sum(len(v) for v in lists.lists.values())
    finally:
        repo.close()


@pytest.fixture
def dir_repo(repo_copy: Path) -> Path:
    """The web repository with names that sort around ``src/``: ``src-x``
    (before it), ``src0`` (just after its range), ``src/deep/x``."""
    rid = sql(repo_copy, "SELECT objid FROM event WHERE type='ci' ORDER BY mtime DESC LIMIT 1")[0][0]
    fid = sql(repo_copy, "SELECT rid FROM blob LIMIT 1")[0][0]
    for name in ("src-x", "src0", "src/deep/x", "srcz/y", "caf\u00e9/menu", "caf\u00e9/carte/vin"):
        sql(repo_copy, "INSERT INTO filename(name) VALUES(?)", (name,))
        sql(
            repo_copy,
            "INSERT INTO mlink(mid, fid, pmid, pid, fnid, pfnid, mperm, isaux)"
            " VALUES(?, ?, 0, 0, (SELECT fnid FROM filename WHERE name=?), 0, 0, 0)",
            (rid, fid, name),
        )
    return repo_copy


def _listing(body: bytes) -> list[str]:
    return re.findall(r'<li class="(?:dir|file)"><a href="[^"]*">([^<]*)</a>', body.decode())


def test_dir_without_checkin_reads_one_directory(dir_repo: Path) -> None:
    from fossilpy.web.app import AppConfig, make_app

    app = make_app(AppConfig(repository=str(dir_repo)))
    assert _listing(call(app, "/dir").body) == [
        "caf\u00e9/",
        "src/",
        "srcz/",
        "page.html",
        "README.md",
        "src-x",
        "src0",
    ]
    assert _listing(call(app, "/dir?name=src").body) == ["deep/", "a.py", "b.py"]
    assert _listing(call(app, "/dir?name=caf%C3%A9").body) == ["carte/", "menu"]  # (every name of the range)
    assert _listing(call(app, "/dir?name=src/deep").body) == ["x"]
    assert call(app, "/dir?name=sr").status == 404


CHNG = [
    "/timeline?chng=src/*",
    "/timeline?chng=src/b.py&n=3",
    "/timeline?chng=nomatch*",
    "/timeline?chng=*&y=all",
]


@pytest.mark.parametrize("url", CHNG)
def test_changed_files_tested_one_by_one_give_the_listed_page(
    app: Any, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from fossilpy.web import timeline_query

    listed = call(app, url)
    assert listed.status == 200, listed.text
    monkeypatch.setattr(timeline_query, "CHNG_SET_LIMIT", -1)
    assert _norm(call(app, url).body) == _norm(listed.body)
    if "nomatch" not in url:
        assert _comments(listed.body)


#: Fossil 2.21's ``compute_ancestors`` query (src/descendants.c), the reference
#: for the one /timeline?p= runs.
FOSSIL_ANCESTORS = (
    "WITH RECURSIVE parent(pid,cid,isCP) AS (SELECT plink.pid, plink.cid, 0 FROM plink"
    " UNION ALL SELECT parentid, childid, 1 FROM cherrypick WHERE NOT isExclude),"
    " ancestor(rid, mtime, isCP) AS (SELECT :rid, mtime, 0 FROM event WHERE objid=:rid"
    " UNION SELECT parent.pid, event.mtime, parent.isCP FROM ancestor, parent, event"
    " WHERE parent.cid=ancestor.rid AND event.objid=parent.pid AND NOT ancestor.isCP"
    " AND (event.mtime>=:lim OR parent.pid=:back) ORDER BY mtime DESC LIMIT :n)"
    " SELECT rid FROM ancestor"
)


def test_ancestors_as_fossil_with_cherrypicks(repo_copy: Path) -> None:
    """p=: the same rows, in the same order, as Fossil's query, with cherry-pick
    merges (whose parents' ancestors are not followed) and an excluded one."""
    from fossilpy.web.timeline_filters import _ANCESTORS

    cis = [r for (r,) in sql(repo_copy, "SELECT objid FROM event WHERE type='ci' ORDER BY mtime")]
    # a cherry-pick from "feature work" into the newest, an excluded one from the branch start
    sql(repo_copy, "INSERT INTO cherrypick(parentid, childid, isExclude) VALUES(?, ?, 0)", (cis[-3], cis[-1]))
    sql(repo_copy, "INSERT INTO cherrypick(parentid, childid, isExclude) VALUES(?, ?, 1)", (cis[-4], cis[-2]))
    sql(repo_copy, "INSERT INTO cherrypick(parentid, childid, isExclude) VALUES(?, ?, 0)", (cis[1], cis[-2]))
    checked = 0
    for rid in cis:
        for n, lim, back in ((-1, 0.0, 0), (2, 0.0, 0), (4, 0.0, 0), (-1, 1e9, cis[1])):
            args = {"rid": rid, "lim": lim, "back": back, "n": n}
            ours = sql(repo_copy, _ANCESTORS, args)  # type: ignore[arg-type]
            assert ours == sql(repo_copy, FOSSIL_ANCESTORS, args), (rid, n, lim, back)  # type: ignore[arg-type]
            checked += len(ours)
    assert checked > 40
