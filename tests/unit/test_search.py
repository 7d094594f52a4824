"""fossilpy.repo.search and search_text in-process: the full-scan matcher's scores and snippets,
HTML to search text, the snippet cleaner, what a reader may search, URL encoding.
(tests/compat/test_search_fossil.py holds all of these to fossil 2.21.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from fossilpy.repo.search import SRCH_ALL, SRCH_CKIN, SRCH_FORUM, SRCH_TKT, SRCH_WIKI, Pattern, restrict, urlencode
from fossilpy.repo.search_text import find_title, html_to_plaintext
from fossilpy.web.pages.search import clean_snippet


@pytest.mark.parametrize(
    ("pattern", "docs", "score", "snippet"),
    [
        # consecutive words score the length of their run, each
        ("parser crash", ["", "Fix the parser crash <now>"], 4, "Fix the [parser] [crash] &lt;now&gt;"),
        # not consecutive: one point each
        ("crash parser", ["", "Fix the parser crash"], 1, "Fix the [parser] [crash]"),
        # a title (earlier text) weighs double; the snippet comes from the best match
        ("foo*", ["title foobar", "body foo"], 2, "title [foobar]"),
        # whole words only for scoring, but the snippet marks inside words as Fossil does
        ("bar", ["foobar bar"], 1, "foo[bar] [bar]"),
        # case-insensitive (ASCII), every word needed
        ("PARSER", ["the Parser"], 1, "the [Parser]"),
        ("parser missing", ["the parser"], 0, ""),
        # at most 8 words: the ninth is ignored
        ("a b c d e f g h zzz", ["a b c d e f g h"], 8**8, "[a] [b] [c] [d] [e] [f] [g] [h]"),
        # bytes >= 0x80 are word bytes
        ("café", ["un café noir"], 1, "un [café] noir"),
        # context is 50 bytes each side, gaps marked
        ("needle", ["x " * 40 + "needle" + " y" * 40], 1, ".." + "x " * 25 + "[needle]" + " y" * 25 + ".."),
    ],
)
def test_pattern_scores_and_snippets(pattern: str, docs: list[str], score: int, snippet: str) -> None:
    p = Pattern(pattern, "[", "]", "..", html=True)
    assert p.match(docs) == score
    assert (p.score, p.snippet) == (score, snippet)


def test_empty_pattern_matches_everything_with_score_one() -> None:
    p = Pattern("  --  ", "[", "]", "..", html=False)
    assert p.terms == []
    assert p.match(["anything"]) == 1
    assert p.snippet == ""


def test_html_to_plaintext() -> None:
    out: list[str] = []
    html_to_plaintext("<p>Hello <b>big</b>\n world</p><div>x &amp; y &#65; &nbsp;z</div><style>p{}</style>end", out)
    assert "".join(out) == "\nHello big\nworld\nx & y ? zend\n"


def test_find_title() -> None:
    assert find_title("  <title> Big Title</title>\nrest") == ("Big Title", "\nrest")
    assert find_title("<title>open") == ("", "open")
    assert find_title("no title") is None


def test_clean_snippet_keeps_only_word_marks() -> None:
    assert clean_snippet("a <mark>word</mark> <b>x</b> <mark>two words</mark> <mark>é</mark>") == (
        "a <mark>word</mark> &lt;b>x&lt;/b> &lt;mark>two words&lt;/mark> &lt;mark>é&lt;/mark>"
    )
    assert clean_snippet("<script>alert(1)</script>") == "&lt;script>alert(1)&lt;/script>"


def test_urlencode() -> None:
    assert urlencode("A b/c&d~é:$") == "A+b/c%26d~%C3%A9:$"


def test_restrict_by_capability_and_settings(tmp_path: Path) -> None:
    from fossilpy.repo.create import create_repository

    repo = create_repository(tmp_path / "r.fossil", admin_user="root", project_name="t", date="2024-01-01 00:00:00")
    try:
        assert restrict(repo, SRCH_ALL, "ojr2") == 0  # everything is off by default
        for key in ("search-ci", "search-tkt", "search-wiki", "search-forum"):
            repo.config_set(key, "on")
        assert restrict(repo, SRCH_ALL, "ojr2") == SRCH_CKIN | SRCH_TKT | SRCH_WIKI | SRCH_FORUM
        assert restrict(repo, SRCH_ALL, "o") == SRCH_CKIN
        assert restrict(repo, SRCH_ALL, "r") == SRCH_TKT
        assert restrict(repo, SRCH_ALL, "j2") == SRCH_WIKI | SRCH_FORUM
        assert restrict(repo, SRCH_ALL, "") == 0
        repo.config_set("search-ci", "junk")  # not a truth word: the default (off)
        assert restrict(repo, SRCH_ALL, "o") == 0
    finally:
        repo.close()


def test_ascii_words_tokenize_as_the_index_tokenizer_does(tmp_path: Path) -> None:
    """The short cut for ASCII words (lower case, no table) gives what unicode61 itself gives;
    words it does not cover go to the tokenizer (porter stems, "_" splits, accents fold)."""
    from fossilpy.repo.create import create_repository
    from fossilpy.repo.search_index import _phrases, tokenize

    repo = create_repository(tmp_path / "r.fossil", admin_user="root", project_name="t", date="2024-01-01 00:00:00")
    try:
        words = ["kappa", "Kappa", "KAPPA", "x", "ABC123", "123", "0x7f", "Release2", "zZ9"]
        assert tokenize(repo, words, porter=False) == [[w.lower()] for w in words]
        repo.execute("CREATE VIRTUAL TABLE ftsidx USING fts5(title, body)")  # an unstemmed index
        assert _phrases(repo, "Kappa AND release2* OR NOT zZ9") == [
            ("kappa", False),
            ("release2", True),
            ("zz9", False),
        ]
        assert _phrases(repo, "Café") == [("cafe", False)]  # through the table: diacritics removed
        assert _phrases(repo, "foo_bar") is None  # two tokens
        assert tokenize(repo, ["Running", "foo_bar"], porter=True) == [["run"], ["foo", "bar"]]
    finally:
        repo.close()
