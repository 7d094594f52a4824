"""Backlink extraction: Fossil-wiki and Markdown link scanning, the backlink table."""

from __future__ import annotations

import sqlite3

import pytest

from fossilpy.markup.md_render import markdown_link_targets
from fossilpy.markup.wiki_parse import (
    MT_UNKNOWN,
    canonical_target,
    parse_mimetype,
    wiki_link_targets,
)
from fossilpy.repo import backlink
from fossilpy.repo.db import Repo
from tests.limits import time_limit


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "r.db"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE config(name TEXT PRIMARY KEY, value, mtime);"
        "CREATE TABLE backlink(target TEXT, srctype INT, srcid INT, mtime TIMESTAMP,"
        " UNIQUE(target, srctype, srcid));"
        "CREATE TABLE tag(tagid INTEGER PRIMARY KEY, tagname TEXT UNIQUE);"
        "CREATE TABLE tagxref(tagid, tagtype, srcid, origid, value, mtime, rid);"
        "CREATE TABLE blob(rid INTEGER PRIMARY KEY, rcvid, size, uuid, content);"
        "CREATE TABLE delta(rid INTEGER PRIMARY KEY, srcid);"
    )
    con.close()
    r = Repo.open(path, check=False)
    yield r
    r.close()


def rows(repo):
    return repo.all("SELECT target, srctype, srcid, mtime FROM backlink ORDER BY target")


# -- targets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("abc", None),
        ("abcd", "abcd"),
        ("ABCDEF12", "abcdef12"),
        ("/info/abc", None),
        ("/info/abcd", "abcd"),
        ("/info/ABCD1234", "abcd1234"),
        ("a" * 64, "a" * 64),
        ("a" * 65, None),
        ("/info/" + "a" * 64, "a" * 64),
        ("abcg", None),
        (" abcd", None),
        ("Home", None),
    ],
)
def test_canonical_target(text, expected):
    assert canonical_target(text) == expected


@pytest.mark.parametrize(
    "mimetype, code",
    [
        (None, backlink.MT_NONE),
        ("text/x-fossil-wiki", backlink.MT_WIKI),
        ("text/x-markdown", backlink.MT_MARKDOWN),
        ("text/plain", MT_UNKNOWN),
        ("", MT_UNKNOWN),
    ],
)
def test_parse_mimetype(mimetype, code):
    assert parse_mimetype(mimetype) == code


def test_wiki_links_basic():
    assert wiki_link_targets("See [abcd1234] and [/info/0123456789|x] and [Home].") == [
        "abcd1234", "/info/0123456789", "Home"]
    # Trailing blanks of the target go; leading ones stay.
    assert wiki_link_targets("[abcd   |label] [ abcd]") == ["abcd", " abcd"]
    assert wiki_link_targets("[unclosed abcd") == []


def test_wiki_links_nowiki_verbatim_and_tags():
    text = (
        "<nowiki>[aaaa]</nowiki>[bbbb] <verbatim>[cccc]</verbatim>[dddd]"
        " <bogus [eeee]> <b title='[ffff]'>[1111]</b>"
    )
    assert wiki_link_targets(text) == ["bbbb", "dddd", "eeee", "1111"]


def test_wiki_verbatim_with_id_never_closes():
    # 2.21 compares the closing id with the rest of the text: never equal.
    assert wiki_link_targets("<verbatim id=x>[aaaa]</verbatim id=x>[bbbb]") == []
    # An id attribute whose first attribute has no value closes normally.
    assert wiki_link_targets("<verbatim type id=x>[aaaa]</verbatim>[bbbb]") == ["bbbb"]


def test_wiki_html_only_mode():
    text = "<nowiki>[aaaa]</nowiki> <x [bbbb]>"
    assert wiki_link_targets(text, html_only=True) == ["aaaa", "bbbb"]


def test_wiki_text_stops_at_nul():
    assert wiki_link_targets("[aaaa]\x00[bbbb]") == ["aaaa"]


def test_markdown_links():
    text = (
        "x [a](abcdef12) [b][r] [r] `[c](abcdef13)` ![i](abcdef15)\n\n"
        "    [d](abcdef14)\n\n[r]: 1234abcd\n"
    )
    assert markdown_link_targets(text) == ["abcdef12", "1234abcd", "1234abcd"]


def test_markdown_nested_and_footnotes():
    text = "[outer [inner](aaaa1111)](bbbb2222) x[^1]\n\n[^1]: note [f](cccc3333)\n"
    assert markdown_link_targets(text) == ["aaaa1111", "bbbb2222", "cccc3333"]


def test_markdown_inline_destination_forms():
    text = '[a](<aaaa1111>) [b](bbbb2222 "t") [c]( cccc3333 ) [d](dd\\dd4444)\n'
    assert markdown_link_targets(text) == ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444"]


def test_markdown_blocks_without_links():
    text = "```\n[a](aaaa1111)\n```\n<pre>\n[b](bbbb2222)\n</pre>\n\n<http://x/[c](cccc)>\n"
    assert markdown_link_targets(text) == []


@pytest.mark.parametrize(
    "text",
    [
        ">" * 5000 + " [a](abcd1234)",
        "".join("  " * i + "- x\n" for i in range(150)),
        "*" * 3000 + "[a](abcd1234)" + "*" * 3000,
        "[" * 3000 + "](abcd)" + "]" * 3000,
        "(^" * 3000,
        "<" * 5000,
        "\r\n\r\r\n" * 100,
        # each of these took quadratic time in pure Python before indexing
        "*a " * 5000,
        "_a_" * 5000,
        "[x](" * 5000,
        "<http://" * 5000,
        "`" * 20000,
        "[" * 30000 + "](abcd)" + "]" * 30000 + "\n\n[x]: abcd\n",
    ],
)
def test_markdown_garbage_terminates(text):
    with time_limit(10):
        assert isinstance(markdown_link_targets(text), list)


@pytest.mark.parametrize("text", ["<a '" * 20000, "[" * 50000, "<b>" * 20000 + "[abcd]"])
def test_wiki_garbage_terminates(text):
    with time_limit(10):
        assert isinstance(wiki_link_targets(text), list)


# -- the table ------------------------------------------------------------------------


def test_extract_writes_rows(repo):
    from fossilpy.artifact.julian import fossil_real

    with repo.write():
        backlink.extract(repo, "[abcd1234] [ABCD1234] [Home] [/info/beef0001]", None,
                         backlink.SRC_COMMENT, 7, 2460310.54375)
    when = fossil_real(2460310.54375)
    assert rows(repo) == [("abcd1234", 0, 7, when), ("beef0001", 0, 7, when)]


def test_extract_replace_and_keep(repo):
    with repo.write():
        backlink.extract(repo, "[aaaa]", "text/x-fossil-wiki", backlink.SRC_TICKET, 5, 2.0)
        backlink.extract(repo, "[bbbb]", "text/x-fossil-wiki", backlink.SRC_TICKET, 5, 2.0,
                         replace=False)
    assert [r[0] for r in rows(repo)] == ["aaaa", "bbbb"]
    with repo.write():
        backlink.extract(repo, "[cccc](dddd)", "text/x-markdown", backlink.SRC_TICKET, 5, 2.0)
    assert [r[0] for r in rows(repo)] == ["dddd"]


def test_extract_unknown_mimetype_and_empty_text(repo):
    with repo.write():
        backlink.extract(repo, "[aaaa]", "text/plain", backlink.SRC_FORUM, 9, 2.0)
        backlink.extract(repo, None, None, backlink.SRC_FORUM, 10, 2.0)
        backlink.extract(repo, "", backlink.MT_WIKI, backlink.SRC_FORUM, 11, 2.0)
    assert rows(repo) == []


def test_extract_honours_wiki_use_html(repo):
    repo.config_set("wiki-use-html", "1")
    with repo.write():
        backlink.extract(repo, "<nowiki>[aaaa]</nowiki>", None, backlink.SRC_WIKI, 3, 2.0)
    assert [r[0] for r in rows(repo)] == ["aaaa"]


def test_refresh_wiki_unknown_page_is_a_no_op(repo):
    with repo.write():
        backlink.refresh_wiki(repo, "No such page")
        repo.execute("INSERT INTO tag(tagname) VALUES('wiki-Empty')")
        backlink.refresh_wiki(repo, "Empty")
    assert rows(repo) == []
