"""/vdiff, /fdiff, /timeline p= d= c=, /forum, /forumpost, /tktview."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.builders import add_artifacts, artifact
from tests.web.conftest import sql
from tests.web.wsgi import call

_sql = sql


def _checkins(path: Path) -> dict[str, str]:
    """comment -> check-in hash."""
    rows = _sql(path, "SELECT comment, blob.uuid FROM event JOIN blob ON blob.rid=objid WHERE type='ci'")
    return dict(rows)


def _rows(text: str) -> list[str]:
    """The comments of the timeline rows, top to bottom."""
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<span class="comment">(.*?)</span>', text, re.S)]


@pytest.fixture
def reader(repo_copy: Path):  # type: ignore[no-untyped-def]
    """The app over a private copy where nobody may read code, tickets and the forum."""
    _sql(repo_copy, "UPDATE user SET cap='ohrj2' WHERE login='nobody'")
    return make_app(AppConfig(repository=str(repo_copy))), repo_copy


# -- /vdiff ------------------------------------------------------------------------


def test_vdiff_between_checkins(reader) -> None:
    app, path = reader
    ci = _checkins(path)
    r = call(app, f"/vdiff?from={ci['first commit'][:12]}&to={ci['feature work'][:12]}")
    assert r.status == 200
    assert re.findall(r'<li><span class="status status-(\w+)">\w+</span> <a [^>]*>([^<]*)</a>', r.text) == [
        ("modified", "src/a.py"),
        ("added", "src/b.py"),
    ]
    assert '<table class="diff splitdiff"' in r.text  # Fossil's side-by-side table by default
    assert "<ins><ins>print(2)</ins>\n</ins>" in r.text
    assert "<ins><ins>feature</ins>\n</ins>" in r.text
    assert "<script>alert" not in r.text


def test_vdiff_reverse_and_same(reader) -> None:
    app, path = reader
    ci = _checkins(path)
    r = call(app, f"/vdiff?from={ci['feature work'][:12]}&to={ci['first commit'][:12]}")
    assert r.status == 200
    assert '<span class="status status-deleted">deleted</span>' in r.text
    assert "<del>print(2)</del>\n" in r.text
    r = call(app, "/vdiff?from=tip&to=tip")
    assert r.status == 200 and "No files differ." in r.text


@pytest.mark.parametrize("query", ["", "?from=tip", "?to=tip", "?from=nosuch&to=tip", "?from=tip&to=%3Cx%3E",
                                   "?from=ffff&to=tip"])
def test_vdiff_garbage_is_404(reader, bounded, query: str) -> None:
    app, _ = reader
    r = call(app, "/vdiff" + query)
    assert r.status == 404
    assert "<x>" not in r.text


def test_vdiff_needs_read_capability(repo_copy: Path) -> None:
    _sql(repo_copy, "UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    r = call(make_app(AppConfig(repository=str(repo_copy))), "/vdiff?from=trunk&to=feat")
    assert r.status == 302 and "/login?g=vdiff" in r.header("Location")


# -- /fdiff ------------------------------------------------------------------------


def test_fdiff_two_file_versions(reader) -> None:
    app, path = reader
    v1, v2 = [r[0] for r in _sql(
        path,
        "SELECT b.uuid FROM mlink m JOIN filename f ON f.fnid=m.fnid JOIN blob b ON b.rid=m.fid"
        " JOIN event e ON e.objid=m.mid WHERE f.name='src/a.py' GROUP BY b.uuid ORDER BY min(e.mtime)",
    )]
    r = call(app, f"/fdiff?v1={v1[:10]}&v2={v2[:10]}")
    assert r.status == 200
    assert "<h1>Diff of src/a.py</h1>" in r.text
    assert "<ins><ins>print(2)</ins>\n</ins>" in r.text
    # Fossil's hunk header (difflib wrote "@@ -1 +1,2 @@"): /fdiff?patch is text_diff's plain output
    r = call(app, f"/fdiff?v1={v1[:10]}&v2={v2[:10]}&patch")
    assert r.status == 200 and r.body == b"@@ -1,1 +1,2 @@\n print(1)\n+print(2)\n"
    r = call(app, f"/fdiff?v1={v1[:10]}&v2={v2[:10]}&diff=1")
    assert '<table class="diff udiff"' in r.text and "<ins>print(2)</ins>\n" in r.text
    r = call(app, f"/fdiff?v1={v2}&v2={v2}")
    assert r.status == 200 and "The two versions are the same artifact." in r.text


@pytest.mark.parametrize("query", ["", "?v1=abcd", "?v1=zzzz&v2=zzzz", "?v1=0000&v2=0000", "?v1=%00&v2=%0a"])
def test_fdiff_garbage_is_404(reader, bounded, query: str) -> None:
    app, _ = reader
    assert call(app, "/fdiff" + query).status == 404


# -- /timeline p= d= c= --------------------------------------------------------------

#: The XSS comment as Fossil's timeline renders it (its wiki renderer escapes "<" of a tag it refuses).
XSS = '&lt;script>alert("ci")&lt;/script> fix bold'


def test_timeline_ancestors(reader) -> None:
    app, path = reader
    ci = _checkins(path)
    r = call(app, f"/timeline?p={ci['feature work'][:12]}&ng")
    assert r.status == 200
    assert _rows(r.text) == [
        "feature work", 'Create new branch named "feat"', XSS, "first commit", "initial empty check-in",
    ]
    assert '<h2 class="timeline-desc">4 ancestors of <a href="/info?name=' in r.text
    r = call(app, f"/timeline?p={ci['feature work'][:12]}&n=2&ng")
    # n= counts the ancestors, as Fossil's compute_ancestors (the check-in itself and 2 ancestors)
    assert len(_rows(r.text)) == 3 and _rows(r.text)[0] == "feature work"


def test_timeline_descendants_and_both(reader) -> None:
    app, path = reader
    ci = _checkins(path)
    r = call(app, f"/timeline?d={ci['feature work'][:12]}&ng")
    assert r.status == 200
    assert _rows(r.text) == ["merge feat into trunk", "feature work"]
    r = call(app, f"/timeline?dp={ci['trunk work'][:12]}&ng")
    assert _rows(r.text) == ["merge feat into trunk", "trunk work", XSS, "first commit", "initial empty check-in"]


def test_timeline_around(reader) -> None:
    app, path = reader
    ci = _checkins(path)
    r = call(app, f"/timeline?c={ci['feature work'][:12]}&n=3&y=ci&ng")
    assert r.status == 200
    assert _rows(r.text) == ["trunk work", "feature work", 'Create new branch named "feat"']
    assert len(re.findall(r'class="timeline-row type-ci timeline-selected"', r.text)) == 1
    sel = re.search(r'timeline-selected">.*?<span class="comment">(.*?)</span>', r.text, re.S).group(1)
    assert "feature work" in sel


@pytest.mark.parametrize("query", ["p=nosuch", "d=zzzz", "dp=%3Cb%3E", "c=nosuch", "c=2024-13-45", "p=ffff"])
def test_timeline_family_garbage_is_404(reader, bounded, query: str) -> None:
    """A name that resolves to nothing is ignored, as by Fossil's page_timeline: the usual timeline."""
    app, _ = reader
    r = call(app, "/timeline?" + query)
    assert r.status == 200
    assert "%3Cb%3E" not in r.text and "&lt;b&gt;" not in r.text  # the bad name is not repeated back


# -- /tktview ----------------------------------------------------------------------


def test_tktview(reader) -> None:
    app, path = reader
    ((uuid,),) = _sql(path, "SELECT tkt_uuid FROM ticket")
    for url in (f"/tktview/{uuid}", f"/tktview?name={uuid[:8]}"):
        r = call(app, url)
        assert r.status == 200
        assert f'<code class="hash-full">{uuid}</code>' in r.text
        assert '<td class="tktDspValue" colspan="3">A &lt;i&gt;bug&lt;/i&gt;</td>' in r.text
        assert "<i>bug</i>" not in r.text


@pytest.mark.parametrize("name", ["", "/zzzz", "/0000", "/%3Cscript%3E", "/ab"])
def test_tktview_garbage_is_404(reader, bounded, name: str) -> None:
    app, _ = reader
    r = call(app, "/tktview" + name)
    assert r.status == 404
    assert "<script>" not in r.text


def test_tktview_needs_r(repo_copy: Path) -> None:
    _sql(repo_copy, "UPDATE user SET cap='o' WHERE login='nobody'")
    _sql(repo_copy, "UPDATE user SET cap='' WHERE login='anonymous'")
    ((uuid,),) = _sql(repo_copy, "SELECT tkt_uuid FROM ticket")
    r = call(make_app(AppConfig(repository=str(repo_copy))), f"/tktview/{uuid}")
    assert r.status == 302


# -- /forum, /forumpost ------------------------------------------------------------


def _forum_artifact(cards: list[str], body: str) -> bytes:
    return artifact([*cards, "W"], body)


@pytest.fixture(scope="session")
def forum_repo(webrepo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the web repository with one forum thread: a post, a reply, an edit of the reply."""
    base = tmp_path_factory.mktemp("forum")
    repo = base / "forum.fossil"
    repo.write_bytes(webrepo.path.read_bytes())
    root = _forum_artifact(
        ["D 2024-01-02T03:04:05.000", "H Hello\\s<b>thread</b>", "N text/x-markdown", "U alice"],
        "First *post* <script>alert(1)</script> [x](javascript:alert(2))",
    )
    h_root = hashlib.sha3_256(root).hexdigest()
    reply = _forum_artifact(
        ["D 2024-01-02T04:00:00.000", f"G {h_root}", f"I {h_root}", "N text/x-fossil-wiki", "U bob"],
        "A <i>reply</i> <img src=x onerror=alert(3)>",
    )
    h_reply = hashlib.sha3_256(reply).hexdigest()
    edit = _forum_artifact(
        ["D 2024-01-02T05:00:00.000", f"G {h_root}", f"I {h_root}", "N text/x-fossil-wiki", f"P {h_reply}", "U bob"],
        "An edited reply",
    )
    h_edit = hashlib.sha3_256(edit).hexdigest()
    add_artifacts(repo, [root, reply, edit])
    _sql(repo, "UPDATE user SET cap='ohrj2' WHERE login='nobody'")
    return repo, {"root": h_root, "reply": h_reply, "edit": h_edit}


def test_forum_lists_threads(forum_repo) -> None:
    path, h = forum_repo
    r = call(make_app(AppConfig(repository=str(path))), "/forum")
    assert r.status == 200
    assert (
        f'<tr><td><a href="/forumpost/{h["root"][:16]}">Hello &lt;b&gt;thread&lt;/b&gt;</a></td>'
        "<td>alice</td><td>2</td><td>2024-01-02 05:00:00</td></tr>"
    ) in r.text


def test_forumpost_shows_thread_safely(forum_repo) -> None:
    path, h = forum_repo
    app = make_app(AppConfig(repository=str(path)))
    r = call(app, f"/forumpost/{h['reply'][:12]}")
    assert r.status == 200
    assert "<h1>Hello &lt;b&gt;thread&lt;/b&gt;</h1>" in r.text
    # as fossil test-markdown-render --safe writes it: the refused tags shown in error spans
    assert ("First <em>post</em> <span class='error'>&lt;script&gt;</span>alert(1)"
            "<span class='error'>&lt;/script&gt;</span>") in r.text
    assert "An edited reply" in r.text
    assert "A <i>reply</i>" not in r.text  # the superseded version is hidden
    assert "<script>alert" not in r.text and 'href="javascript' not in r.text and "onerror" not in r.text
    assert r.text.count('class="forum-post') == 2
    r = call(app, f"/forumpost/{h['edit'][:12]}")
    assert 'class="forum-post forum-selected"' in r.text


@pytest.mark.parametrize("name", ["", "/zzzz", "/0000", "/%3Cscript%3E"])
def test_forumpost_garbage_is_404(forum_repo, bounded, name: str) -> None:
    path, _ = forum_repo
    r = call(make_app(AppConfig(repository=str(path))), "/forumpost" + name)
    assert r.status == 404
    assert "<script>" not in r.text


def test_forumpost_of_non_forum_artifact_is_404(forum_repo) -> None:
    path, _ = forum_repo
    (uuid,) = _sql(path, "SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci' LIMIT 1")[0]
    assert call(make_app(AppConfig(repository=str(path))), f"/forumpost/{uuid}").status == 404


def test_forum_empty_and_needs_2(repo_copy: Path) -> None:
    _sql(repo_copy, "UPDATE user SET cap='o2' WHERE login='nobody'")
    r = call(make_app(AppConfig(repository=str(repo_copy))), "/forum")
    assert r.status == 200 and "No forum posts." in r.text
    _sql(repo_copy, "UPDATE user SET cap='o' WHERE login='nobody'")
    _sql(repo_copy, "UPDATE user SET cap='' WHERE login='anonymous'")
    assert call(make_app(AppConfig(repository=str(repo_copy))), "/forum").status == 302
