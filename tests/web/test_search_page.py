"""/search: the settings that decide what is searchable, capability filtering, private content,
hostile queries (full scan and FTS5 index), the index kept fresh from the search side, limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.builders import build_private_repo
from tests.web.conftest import sql
from tests.web.wsgi import call

ALL_KINDS = ("search-ci", "search-doc", "search-tkt", "search-wiki", "search-technote", "search-forum")


def _app(path: Path):  # type: ignore[no-untyped-def]
    return make_app(AppConfig(repository=str(path)))


def _enable(path: Path, *keys: str, nobody: str = "ojr2") -> None:
    for key in keys:
        sql(path, "REPLACE INTO config(name,value,mtime) VALUES(?,'1',0)", (key,))
    sql(path, "UPDATE user SET cap=? WHERE login='nobody'", (nobody,))
    sql(path, "UPDATE user SET cap='' WHERE login='anonymous'")


def _index_on(path: Path) -> None:
    from fossilpy.repo import search_index
    from fossilpy.repo.db import Repo

    with Repo.open(str(path)) as repo:
        search_index.rebuild_index(repo)


def _labels(html: str) -> list[str]:
    return re.findall(r"<li><p><a href='[^']*'>([^<]*)</a>", html)


def _content(html: str) -> str:
    return html[html.index("<form method='GET'") : html.index("</main>")]


def test_search_disabled_by_default(repo_copy: Path) -> None:
    sql(repo_copy, "UPDATE user SET cap='ojr2' WHERE login='nobody'")
    r = call(_app(repo_copy), "/search?s=bug")
    assert r.status == 200
    assert _content(r.text) == (
        "<form method='GET' action='/search'>\n<div class='searchForm'>\n"
        '<input type="text" name="s" size="40" value="" disabled>\n'
        '<input type="submit" value="Search" disabled>\n'
        '<p class="generalError">Search is disabled</p>\n</div></form>\n'
    )
    assert "<title>Web Test: Search Results</title>" in r.text
    assert "<title>Web Test: Search</title>" in call(_app(repo_copy), "/search").text


def test_one_kind_enabled_has_no_choice_and_names_it(repo_copy: Path) -> None:
    _enable(repo_copy, "search-tkt")
    r = call(_app(repo_copy), "/search?s=bug")
    body = _content(r.text)
    assert "<select" not in body
    assert "<div class='searchForm searchFormTkt'>" in body
    assert '<input type="submit" value="Search Tickets">' in body
    assert "<div class='searchResult searchResultTkt'>" in body
    assert _labels(r.text) == [_labels(r.text)[0]]
    assert _labels(r.text)[0].startswith("Ticket: A &lt;i&gt;bug&lt;/i&gt; (")


def test_choices_follow_settings_and_y(repo_copy: Path) -> None:
    _enable(repo_copy, *ALL_KINDS)
    r = call(_app(repo_copy), "/search?s=fix&y=c")
    options = re.findall(r"<option value='(\w+)'( selected)?>([^<]+)</option>", r.text)
    assert options == [
        ("all", "", "All"),
        ("c", " selected", "Check-ins"),
        ("d", "", "Docs"),
        ("t", "", "Tickets"),
        ("w", "", "Wiki"),
        ("e", "", "Tech Notes"),
        ("f", "", "Forum"),
    ]
    assert all(label.startswith("Check-in [") for label in _labels(r.text))
    assert _labels(r.text)


@pytest.mark.parametrize(
    ("caps", "kinds"),
    [
        ("o", ["Check-in"]),
        ("r", ["Ticket"]),
        ("j", ["Wiki"]),
        ("ojr", ["Check-in", "Ticket", "Wiki"]),
        ("2", []),
        ("", []),
    ],
)
def test_results_filtered_by_capability(repo_copy: Path, caps: str, kinds: list[str]) -> None:
    """'the' is in a wiki page, the ticket and a check-in: each kind shows only with its letter."""
    _enable(repo_copy, *ALL_KINDS, nobody=caps)
    sql(repo_copy, "UPDATE event SET ecomment='the reader test' WHERE type='ci' AND comment='trunk work'")
    sql(repo_copy, "UPDATE ticket SET title='the bug'")
    for index in (False, True):
        if index:
            _index_on(repo_copy)
        r = call(_app(repo_copy), "/search?s=the")
        assert r.status == 200
        seen = sorted({label.split(":")[0].split(" [")[0] for label in _labels(r.text)})
        assert seen == sorted(kinds), (caps, index, _labels(r.text))
        assert ("Search is disabled" in r.text) == (caps == "")


HOSTILE = [
    '"',
    '"unterminated',
    "NEAR(",
    "NEAR(a b",
    "*",
    "a AND",
    "OR OR",
    "(((",
    ")",
    "title:",
    "nosuchcol:x",
    "^",
    "-",
    "<script>alert(1)</script>",
    "'; DROP TABLE blob; --",
    "x" * 3000,
    "\u00e9\u0000\ufffd",
    "a" * 10 + " b" * 200,
]


@pytest.mark.parametrize("index", [False, True], ids=["fullscan", "fts5"])
def test_hostile_queries_get_a_result_page(repo_copy: Path, index: bool) -> None:
    from urllib.parse import quote

    _enable(repo_copy, *ALL_KINDS)
    if index:
        _index_on(repo_copy)
    app = _app(repo_copy)
    for q in HOSTILE:
        r = call(app, "/search?s=" + quote(q, safe=""))
        assert r.status == 200, (q, r.text[:300])
        assert "<script>alert" not in r.text
        assert "class='searchResult'" in r.text or not q.strip(), q
    assert sql(repo_copy, "SELECT count(*) FROM blob")[0][0] > 0


@pytest.mark.parametrize("index", [False, True], ids=["fullscan", "fts5"])
def test_snippet_escapes_markup_and_marks_matches(repo_copy: Path, index: bool) -> None:
    _enable(repo_copy, *ALL_KINDS)
    if index:
        _index_on(repo_copy)
    r = call(_app(repo_copy), "/search?s=alert&y=c")
    snippets = re.findall(r"<span class='snippet'>(.*?)</span>", r.text, re.S)
    assert len(snippets) == 1
    snippet = snippets[0]
    assert "<mark>alert</mark>" in snippet
    assert "<script" not in snippet and "<img" not in snippet and "<b>" not in snippet
    assert "&lt;" in snippet


def test_private_content_never_found(tmp_path: Path) -> None:
    priv = build_private_repo(tmp_path / "p.fossil")
    _enable(priv.path, *ALL_KINDS, nobody="ojr2x")
    word = "PRIVCOMMENT"
    for index in (False, True):
        if index:
            _index_on(priv.path)
        r = call(_app(priv.path), "/search?s=" + word)
        assert r.status == 200
        assert _labels(r.text) == []
        assert f"No matches for: <span>{word}</span>" in r.text
    assert sql(priv.path, "SELECT count(*) FROM ftsdocs WHERE rid=?", (priv.priv_rid,)) == [(0,)]


def test_index_kept_fresh_from_the_search_side(repo_copy: Path) -> None:
    """New and edited wiki pages and a changed ticket are found without any crosslink hook."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField
    from fossilpy.repo import docwrite
    from fossilpy.repo.db import Repo

    _enable(repo_copy, *ALL_KINDS)
    _index_on(repo_copy)
    app = _app(repo_copy)
    assert _labels(call(app, "/search?s=zebra").text) == []
    with Repo.open(str(repo_copy)) as repo:
        docwrite.commit(
            repo,
            Manifest(
                type=ArtifactType.WIKI,
                date=docwrite.now_date(),
                wiki_title="Zoo",
                user="root",
                text="A zebra lives here.\n",
            ),
        )
    assert _labels(call(app, "/search?s=zebra").text) == ["Wiki: Zoo"]
    with Repo.open(str(repo_copy)) as repo:
        docwrite.commit(
            repo,
            Manifest(
                type=ArtifactType.WIKI,
                date=docwrite.now_date(),
                wiki_title="Zoo",
                user="root",
                text="Only a giraffe now.\n",
            ),
        )
        tkt = repo.one("SELECT tkt_uuid FROM ticket")
        docwrite.commit(
            repo,
            Manifest(
                type=ArtifactType.TICKET,
                date=docwrite.now_date(),
                ticket_uuid=tkt,
                user="root",
                fields=[TicketField("title", "okapi sighting")],
            ),
            tktid=tkt,
        )
    assert _labels(call(app, "/search?s=zebra").text) == []
    assert _labels(call(app, "/search?s=giraffe").text) == ["Wiki: Zoo"]
    labels = _labels(call(app, "/search?s=okapi").text)
    assert len(labels) == 1 and labels[0].startswith("Ticket: okapi sighting (")
    assert _labels(call(app, "/search?s=bug&y=t").text) == []
    assert sql(repo_copy, "SELECT count(*) FROM ftsdocs WHERE NOT idxed") == [(0,)]
    assert sql(repo_copy, "SELECT count(*) FROM ftsdocs WHERE type='w' AND name='Zoo'") == [(1,)]
    assert sql(repo_copy, "INSERT INTO ftsidx(ftsidx) VALUES('integrity-check')") == []


def test_search_limit(repo_copy: Path) -> None:
    _enable(repo_copy, "search-ci")
    app = _app(repo_copy)
    every = _labels(call(app, "/search?s=user").text)
    assert len(every) >= 3
    sql(repo_copy, "REPLACE INTO config(name,value,mtime) VALUES('search-limit','2',0)")
    assert _labels(call(app, "/search?s=user").text) == every[:2]
    assert _labels(call(app, "/search?s=user&searchlimit=1").text) == every[:1]
    assert _labels(call(app, "/search?s=user&searchlimit=0").text) == every


def test_search_in_a_browser(repo_copy: Path) -> None:
    """A visitor types words, picks Wiki, submits; the results show with the match marked and no script runs."""
    from tests.web.browser import chromium_page, serve_app, shot

    _enable(repo_copy, *ALL_KINDS)
    sql(repo_copy, "UPDATE event SET ecomment='the bold sprocket <b>fix</b>' WHERE type='ci' AND comment='trunk work'")
    with serve_app(repo_copy) as base, chromium_page() as (page, problems):
        page.goto(base + "/search")
        page.fill("input[name=s]", "bold")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        items = page.locator(".searchResult li")
        assert [items.nth(i).locator("a").inner_text() for i in range(items.count())][:1] == ["Wiki: Home"]
        assert page.locator(".searchResult mark").first.inner_text().lower() == "bold"
        shot(page, "search", "01-all")
        page.fill("input[name=s]", "bold sprocket")
        page.select_option("select[name=y]", "c")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        assert page.url.endswith("/search?s=bold+sprocket&y=c")
        labels = page.locator(".searchResult li a").all_inner_texts()
        assert len(labels) == 1 and labels[0].startswith("Check-in [")
        assert page.locator(".searchResult .snippet").first.inner_text().startswith("the bold sprocket <b>fix</b>")
        shot(page, "search", "02-checkins")
        page.goto(base + "/search?s=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        assert page.locator(".searchEmpty span").inner_text() == "<script>alert(1)</script>"
        shot(page, "search", "03-hostile")
    assert problems == []


@pytest.mark.parametrize(
    ("page", "title", "word", "label"),
    [
        ("wikisrch", "Wiki Search", "bold", "Wiki: Home"),
        ("tktsrch", "Ticket Search", "bug", "Ticket: A &lt;i&gt;bug&lt;/i&gt; ("),
        ("docsrch", "Document Search Results", "hello", "Document: Test project"),
    ],
)
def test_single_kind_search_pages(repo_copy: Path, page: str, title: str, word: str, label: str) -> None:
    _enable(repo_copy, *ALL_KINDS)
    sql(repo_copy, "REPLACE INTO config(name,value,mtime) VALUES('doc-glob','*.md',0)")
    r = call(_app(repo_copy), f"/{page}?s={word}&y=c")
    assert r.status == 200
    assert f"<title>Web Test: {title}</title>" in r.text
    assert f"<form method='GET' action='/{page}'>" in r.text
    assert "<select" not in r.text
    labels = _labels(r.text)
    assert len(labels) == 1 and labels[0].startswith(label), labels
    sql(repo_copy, "UPDATE user SET cap='' WHERE login='nobody'")
    r = call(_app(repo_copy), f"/{page}?s={word}")
    assert "Search is disabled" in r.text and _labels(r.text) == []
