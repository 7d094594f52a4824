"""Search against the real fossil 2.21 on a repository fossil made.

The repository: check-ins on three days with comments that repeat, share
and split words (HTML, an ampersand, UTF-8, a long comment), wiki pages in
Fossil wiki (with a ``<title>``), Markdown and plain text, two tickets (one
changed later).  Compared exactly:

* ``fossilpy search`` and ``fossil search`` (stdout and exit status) for one
  word, several words, prefixes, no match, ``-a``, ``-n``, ``-W``;
* the matcher's score and snippet against ``fossil test-match``;
* ``fts-config`` status lines and the config rows it writes, and
  ``fossil fts-config`` reading what fossilpy wrote;
* the FTS5 index fossilpy builds against fossil's (schema, ``ftsdocs`` rows,
  every indexed token), each program searching the other's index;
* the result list of ``/search`` (full scan and indexed) against ``fossil
  http`` on the same file (fossil writes ``&`` unescaped in hrefs).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, runner
from tests.web.wsgi import call

COMMENTS = [
    ("2024-01-02 10:00:00", "Initial import of the parser code"),
    ("2024-01-02 11:00:00", "Fix the parser crash on empty input; parser now robust"),
    ("2024-01-03 09:30:00", "Add <script>alert(1)</script> & escape test for parsers"),
    ("2024-01-03 12:00:00", "Café résumé: naïve parser for UTF-8 names"),
    (
        "2024-01-04 08:15:00",
        "A long comment about the tokenizer and the parser: it splits words at every byte that is not"
        " a letter or digit, keeps UTF-8 sequences whole, and the crash of yesterday is fixed here too",
    ),
    ("2024-01-04 09:00:00", "Unrelated change to docs"),
]

WIKI = {
    "ParserNotes": ("text/x-fossil-wiki", "Hello parser world. The parser handles <b>wiki</b> text &amp; more.\n"),
    "CrashPage": ("text/x-fossil-wiki", "<title>Big Title</title>\nSome text about crash reports.\n"),
    "MdPage": ("text/x-markdown", "# Heading\n\nMarkdown *parser* notes, crash free.\n"),
    "PlainPage": ("text/plain", "plain <text> about the parser & the crash\n"),
}

PATTERNS = [
    ["parser"],
    ["parser", "crash"],
    ["crash", "parser"],
    ["pars*"],
    ["PARSER"],
    ["nomatchword"],
    ["the"],
    ["-a", "the"],
    ["-a", "e"],
    ["-n", "2", "parser"],
    ["-n", "-2", "parser"],
    ["-W", "40", "parser"],
    ["-W", "0", "tokenizer", "crash"],
    ["café"],
    ["script", "alert"],
    ["docs"],
    ["-c", "parser"],  # 2.21 has no -c/-t/-w/-e/-f: an unknown option is a word of the pattern
    ["-t", "-w", "crash"],
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository built by fossil: check-ins, wiki pages, tickets; searching all of it on."""
    work = tmp_path_factory.mktemp("search")
    f = runner("fossil", work)
    repo = work / "r.fossil"
    f("init", "--date-override", "2024-01-01 00:00:00", repo)
    co = work / "co"
    co.mkdir()
    f("open", repo, cwd=co)
    for i, (date, comment) in enumerate(COMMENTS):
        (co / "a.txt").write_text(f"line {i}\n" * (i + 1))
        if i == 0:
            f("add", "a.txt", cwd=co)
        f("commit", "--no-warnings", "--date-override", date, "-m", comment, cwd=co)
    for name, (mime, text) in WIKI.items():
        f("wiki", "create", name, "-", "--mimetype", mime, input=text, cwd=co)
    f(
        "ticket",
        "add",
        "title",
        "Parser crashes on empty file",
        "comment",
        "It crashes hard when the input is empty",
        "type",
        "Code_Defect",
        cwd=co,
    )
    f("ticket", "add", "title", "Docs missing", "comment", "Please write docs", cwd=co)
    uuid = f.text("sql", "-R", repo, "SELECT tkt_uuid FROM ticket WHERE title='Docs missing'").strip().strip("'")
    f("ticket", "change", uuid, "+comment", "The parser docs too", cwd=co)
    (co / "www").mkdir()
    for name, text in DOCS.items():
        (co / "www" / name).write_text(text)
        f("add", f"www/{name}", cwd=co)
    f("commit", "--no-warnings", "--date-override", "2024-01-05 10:00:00", "-m", "Documents", cwd=co)
    f("wiki", "create", "Release notes", "-", "--technote", "2024-01-06 12:00:00", input=TECHNOTE, cwd=co)
    f("close", "--force", cwd=co)
    _forum_post(repo)
    db = sqlite3.connect(repo)
    with db:
        db.execute("UPDATE user SET cap='ojr2' WHERE login='nobody'")
        for key in ("search-ci", "search-tkt", "search-wiki", "search-doc", "search-technote", "search-forum"):
            db.execute("REPLACE INTO config(name,value,mtime) VALUES(?,'1',0)", (key,))
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('doc-glob','*.md,*.wiki,*.html',0)")
    db.close()
    return repo


DOCS = {
    "index.md": "# The Guide\n\nHow the parser reads a document, and what a crash looks like.\n",
    "notes.wiki": "<title>Wiki Notes</title>\nThe parser is <b>fast</b> &amp; small.\n",
    "page.html": "<html><head><title>Html Page</title></head><body><p>parser in html</p>"
    "<script>alert('x')</script></body></html>\n",
    "plain.txt": "parser in a text file that doc-glob leaves out\n",
}

TECHNOTE = "The parser release: crash fixes and a faster tokenizer.\n"


def _forum_post(path: Path) -> None:
    """A forum thread (fossil 2.21 has no command for one): written with fossilpy's docwrite."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.repo import docwrite
    from fossilpy.repo.db import Repo

    with Repo.open(str(path)) as repo:
        post = Manifest(
            type=ArtifactType.FORUM,
            date="2024-01-07T10:00:00.000",
            forum_title="Parser question",
            user="alice",
            mimetype="text/x-markdown",
            text="Does the *parser* crash on <b>empty</b> input?\n",
        )
        docwrite.commit(repo, post)


def _copy(made: Path, tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copyfile(made, dest)
    return dest


@pytest.mark.parametrize("args", PATTERNS, ids=lambda a: " ".join(a))
def test_search_command_same_as_fossil(made: Path, fossil: Runner, fossilpy: Runner, args: list[str]) -> None:
    want = fossil("search", "-R", made, *args, check=False)
    got = fossilpy("search", "-R", made, *args, check=False)
    assert (got.returncode, got.stdout.decode()) == (want.returncode, want.stdout.decode())
    assert want.stdout  # every pattern prints at least the closing line


def test_search_command_without_words_prints_nothing(made: Path, fossil: Runner, fossilpy: Runner) -> None:
    want = fossil("search", "-R", made)
    got = fossilpy("search", "-R", made)
    assert (got.stdout, got.stderr) == (want.stdout, want.stderr) == (b"", b"")


def test_search_command_width_refused(made: Path, fossil: Runner, fossilpy: Runner) -> None:
    want = fossil("search", "-R", made, "-W", "10", "x", check=False)
    got = fossilpy("search", "-R", made, "-W", "10", "x", check=False)
    assert want.returncode == got.returncode == 1
    assert want.stderr.decode().strip() == "-W|--width value must be >20 or 0"
    assert got.stderr.decode().strip() == "fossilpy: -W|--width value must be >20 or 0"


MATCH_DOCS = {
    "one.txt": "The parser of the parser parses; parsers parse.\n",
    "two.txt": ("word " * 40) + "needle in the middle " + ("filler " * 40) + "needle again at the end\n",
    "three.txt": "<b>HTML</b> & 'quotes' \"double\" foobar and bar bar-bar\n",
    "four.txt": "résumé naïve café — UTF-8 words résumé\n",
}


@pytest.mark.parametrize(
    "pattern", ["parser", "the parser", "pars*", "needle", "needle the", "bar", "quotes double", "résumé", "nothing"]
)
def test_matcher_same_as_fossil_test_match(tmp_path: Path, fossil: Runner, pattern: str) -> None:
    from fossilpy.repo.search import Pattern

    files = []
    for name, text in MATCH_DOCS.items():
        (tmp_path / name).write_text(text)
        files.append(name)
    for html in (False, True):
        want = fossil("test-match", *(["--html"] if html else []), pattern, *files).stdout.decode()
        got = []
        for name in files:
            pat = Pattern(pattern, "[[", "]]", " ... ", html=html)
            score = pat.match([MATCH_DOCS[name]])
            got.append(f"{name}: {pat.score}\n")
            if score:
                got.append("=" * 78 + "\n" + pat.snippet + "\n" + "=" * 78 + "\n\n")
        assert "".join(got) == want


FTS_STEPS = [
    "",
    "enable cdtwef",
    "disable w",
    "stemmer on",
    "stemmer off",
    "index on",
    "reindex",
    "en",
    "bogus",
    "index off",
    "reindex",
    "enable w",
]


def test_fts_config_same_as_fossil(made: Path, tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    a, b = _copy(made, tmp_path, "a.fossil"), _copy(made, tmp_path, "b.fossil")
    for step in FTS_STEPS:
        want = fossil("fts-config", "-R", a, *step.split(), check=False)
        got = fossilpy("fts-config", "-R", b, *step.split(), check=False)
        assert (got.returncode, got.stdout.decode()) == (want.returncode, want.stdout.decode()), step
        rows = "SELECT name, value FROM config WHERE name GLOB 'search-*' ORDER BY name"
        assert _rows(b, rows) == _rows(a, rows), step
    # fossil reads what fossilpy wrote
    assert fossil.text("fts-config", "-R", b) == fossil.text("fts-config", "-R", a)
    assert "full-text index:  disabled\n" in fossil.text("fts-config", "-R", b)


def _rows(path: Path, query: str) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def _index_picture(path: Path) -> tuple[list, list, list]:
    db = sqlite3.connect(path)
    try:
        schema = db.execute("SELECT type, name, sql FROM sqlite_schema WHERE name GLOB 'fts*' ORDER BY name").fetchall()
        docs = db.execute(
            "SELECT rowid, type, rid, name, idxed, label, url, mtime FROM ftsdocs ORDER BY rowid"
        ).fetchall()
        db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, ftsidx, instance)")
        tokens = db.execute("SELECT * FROM temp.v ORDER BY doc, col, offset").fetchall()
        return schema, docs, tokens
    finally:
        db.close()


def test_index_same_as_fossil(made: Path, tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    a, b = _copy(made, tmp_path, "a.fossil"), _copy(made, tmp_path, "b.fossil")
    fossil("fts-config", "-R", a, "index", "on")
    fossilpy("fts-config", "-R", b, "index", "on")
    want, got = _index_picture(a), _index_picture(b)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert len(got[2]) > 100
    assert got[2] == want[2]


def _http(path: Path, query: str) -> str:
    exe = shutil.which("fossil")
    assert exe
    out = subprocess.run(
        [exe, "http", str(path)],
        input=f"GET {query} HTTP/1.0\r\n\r\n".encode(),
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    return out.decode("utf-8", "replace")


def _results(page: str) -> str:
    start = page.find("<div class='searchResult")
    if start < 0:
        return ""
    return page[start : page.find("</div>", start)].replace("&amp;c=", "&c=")


QUERIES = [
    "/search?s=parser",
    "/search?s=parser+crash",
    "/search?s=the+parser",
    "/search?s=pars*",
    "/search?s=crash&y=t",
    "/search?s=parser&y=w",
    "/search?s=parser&y=c",
    "/search?s=script",
    "/search?s=docs",
    "/search?s=nomatchword",
    "/search?s=text",
    "/search?s=parser&y=d",
    "/search?s=parser&y=e",
    "/search?s=parser&y=f",
    "/search?s=guide",
    "/search?s=html",
    "/search?s=question",
    "/search?s=parser+OR+crash",
    "/search?s=parser+NOT+crash",
    "/search?s=(parser+OR+docs)+AND+crash",
    "/search?s=crash*+OR+pars*",
    "/search?s=caf%C3%A9",
    "/wikisrch?s=parser",
    "/tktsrch?s=docs",
    "/docsrch?s=parser",
]


def _page(path: Path, query: str) -> str:
    from fossilpy.web.app import AppConfig, make_app

    return call(make_app(AppConfig(repository=str(path))), query).text


def test_page_full_scan_same_as_fossil(made: Path, tmp_path: Path) -> None:
    a = _copy(made, tmp_path, "a.fossil")
    for query in QUERIES:
        want = _results(_http(a, query))
        assert want, query
        assert _results(_page(a, query)) == want, query


def test_page_indexed_same_as_fossil_on_each_others_index(
    made: Path, tmp_path: Path, fossil: Runner, fossilpy: Runner
) -> None:
    a, b = _copy(made, tmp_path, "a.fossil"), _copy(made, tmp_path, "b.fossil")
    fossil("fts-config", "-R", a, "index", "on")
    fossilpy("fts-config", "-R", b, "index", "on")
    for query in QUERIES:
        want = _results(_http(a, query))
        assert want, query
        assert "mark>" in want or "No matches" in want
        assert _results(_page(a, query)) == want, query  # fossilpy on fossil's index
        assert _results(_http(b, query)) == want, query  # fossil on fossilpy's index
        assert _results(_page(b, query)) == want, query


def test_matcher_same_as_fossil_on_generated_documents(tmp_path: Path, fossil: Runner) -> None:
    """60 documents of short, overlapping, mixed-case words and separators (seeded)."""
    import random

    from fossilpy.repo.search import Pattern

    rnd = random.Random(7)
    words = ["foo", "bar", "foobar", "Foo", "baz", "é", "qux", "a", "ab", "abc", "x"]
    seps = [" ", "  ", "-", ".", "\n", "<", "&", ", ", "'"]
    docs = {}
    for k in range(60):
        docs[f"d{k}.txt"] = "".join(rnd.choice(words) + rnd.choice(seps) for _ in range(rnd.randint(1, 120)))
        (tmp_path / f"d{k}.txt").write_text(docs[f"d{k}.txt"])
    for pattern in ["foo", "foo bar", "bar foo", "foo*", "ab* x", "a ab abc", "é foo", "baz qux foo bar a"]:
        for html in (False, True):
            want = fossil("test-match", *(["--html"] if html else []), pattern, *docs).stdout.decode()
            got = []
            for name, text in docs.items():
                pat = Pattern(pattern, "[[", "]]", " ... ", html=html)
                if pat.match([text]):
                    got.append(f"{name}: {pat.score}\n" + "=" * 78 + "\n" + pat.snippet + "\n" + "=" * 78 + "\n\n")
                else:
                    got.append(f"{name}: 0\n")
            assert "".join(got) == want, (pattern, html)


def test_rebuild_recreates_the_index_as_fossil(made: Path, tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    """``rebuild`` drops the index and lists every document again, unindexed, as fossil's does."""
    a, b = _copy(made, tmp_path, "a.fossil"), _copy(made, tmp_path, "b.fossil")
    fossil("fts-config", "-R", a, "index", "on")
    fossilpy("fts-config", "-R", b, "index", "on")
    fossil("rebuild", a)
    fossilpy("rebuild", "-R", b)
    query = "SELECT type, rid, name, idxed FROM ftsdocs ORDER BY rowid"
    assert _rows(b, query) == _rows(a, query)
    assert {row[3] for row in _rows(b, query)} == {0}
    schema = "SELECT type, name, sql FROM sqlite_schema WHERE name GLOB 'fts*' ORDER BY name"
    assert _rows(b, schema) == _rows(a, schema)
    want = _results(_http(a, "/search?s=parser"))
    assert "<mark>parser</mark>" in want
    assert _results(_page(b, "/search?s=parser")) == want
    assert _index_picture(b) == _index_picture(a)  # both brought up to date by the search


def test_page_indexed_with_stemmer_same_as_fossil(made: Path, tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    a, b = _copy(made, tmp_path, "a.fossil"), _copy(made, tmp_path, "b.fossil")
    for program, path in ((fossil, a), (fossilpy, b)):
        program("fts-config", "-R", path, "stemmer", "on")
        program("fts-config", "-R", path, "index", "on")
    assert _index_picture(b) == _index_picture(a)
    for query in (
        "/search?s=crashes+parsers",
        "/search?s=parsers",
        "/search?s=parser+OR+crashing",
        "/search?s=pars*",
        "/search?s=fix*+the",
    ):
        want = _results(_http(a, query))
        assert "<mark>" in want, query
        assert _results(_page(b, query)) == want, query


def test_new_documents_queued_at_crosslink_as_fossil_does(
    made: Path, tmp_path: Path, fossil: Runner, fossilpy: Runner
) -> None:
    """A wiki page, a technote and a ticket written into an indexed repository are
    queued for the index when they are crosslinked (``search_doc_touch``), by
    fossilpy as by fossil, so the other program's next search indexes them."""
    a, b = _copy(made, tmp_path, "a.fossil"), _copy(made, tmp_path, "b.fossil")
    queued = "SELECT type, name, idxed FROM ftsdocs WHERE NOT idxed ORDER BY type, name"
    for program, path in ((fossil, a), (fossilpy, b)):
        program("fts-config", "-R", path, "index", "on")
    before = _rows(a, queued)
    assert _rows(b, queued) == before
    page = tmp_path / "page.txt"
    page.write_text("A zebrafish page.\n")
    for program, path in ((fossil, a), (fossilpy, b)):
        program("wiki", "create", "Zebra", str(page), "-R", path)
        program("wiki", "commit", "ParserNotes", str(page), "-R", path)  # a new version of an indexed page
        program("wiki", "create", "Zoo note", str(page), "--technote", "2024-02-01 10:00:00", "-R", path)
    want = [row for row in _rows(a, queued) if row not in before]
    assert want == [("e", None, 0), ("w", "ParserNotes", 0), ("w", "Zebra", 0)]
    assert [row for row in _rows(b, queued) if row not in before] == want
    # the page shows the new text to a search, whichever program wrote it
    for path in (a, b):
        app_page = _page(path, "/search?s=zebrafish")
        assert "Zebra" in app_page and "ParserNotes" in app_page, path


def test_one_word_rank_unrolled_equals_the_general_rank(made: Path, tmp_path: Path, fossilpy: Runner) -> None:
    """The unrolled one-word rank gives the very float of the term-by-term one, for every document."""
    from fossilpy.repo import search_rank
    from fossilpy.repo.db import Repo

    b = _copy(made, tmp_path, "b.fossil")
    fossilpy("fts-config", "-R", b, "index", "on")
    repo = Repo.open(str(b))
    try:
        terms = (
            [t for (t,) in repo.all("SELECT DISTINCT term FROM ftsidx_v ORDER BY term")]
            if repo.table_exists("ftsidx_v")
            else []
        )
        if not terms:
            repo.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, ftsidx, row)")
            terms = [t for (t,) in repo.all("SELECT term FROM temp.v ORDER BY term")]
        assert len(terms) > 50
        compared = 0
        for term in terms:
            ranker = search_rank.Ranker(repo, [(term, False)], "main")
            docs = {doc for (doc, _col) in ranker.where[0]}
            for doc in docs:
                assert ranker.rank_one_word(doc) == ranker.rank_general(doc), (term, doc)
                compared += 1
        assert compared > 150
    finally:
        repo.close()
