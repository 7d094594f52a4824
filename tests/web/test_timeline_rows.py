"""Timeline rows written in Python (fossilpy.web.timeline_rows) and the
plain-text fast path of inline wiki: same output as the slow paths, and
nothing from the repository reaches the page unescaped."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import markupsafe
from hypothesis import given, settings
from hypothesis import strategies as st

from fossilpy.markup import sanitize, wiki_html, wikirender
from fossilpy.markup.links import WIKI_INLINE, WIKI_NOBADLINKS
from fossilpy.web import timeline_rows
from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import call

HOSTILE = '<script>alert("x")</script> & \'q\''


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_esc_is_markupsafe_escape(text: str) -> None:
    assert timeline_rows.esc(text) == str(markupsafe.escape(text))


def _inline_slow(text: str, top: str, links: bool) -> str:
    """The comment through the whole Fossil-wiki renderer (timeline flags)."""
    out: list[str] = []
    wiki_html.wiki_convert(sanitize.clean_text(text), out, WIKI_INLINE | WIKI_NOBADLINKS, top, links)
    return "".join(out)[:-1]


@given(st.text(alphabet=st.sampled_from("ab <>&[]|\"'\x00\x01\t\n;#/:é")), st.booleans())
@settings(max_examples=400, deadline=None)
def test_inline_fast_path_equals_full_renderer(text: str, links: bool) -> None:
    assert wikirender.render_inline(text, top="/t", links=links) == _inline_slow(text, "/t", links)


def test_utc_text_and_day_split() -> None:
    assert timeline_rows.utc_text(2440587.5) == "1970-01-01 00:00:00"
    assert timeline_rows.utc_text(2460000.25) == "2023-02-24 18:00:00"
    assert timeline_rows._day_and_clock("2023-02-24 18:00:00") == ("2023-02-24", "18:00")
    assert timeline_rows.utc_text(float("nan")) == ""


def test_hostile_names_are_escaped_in_rows(repo_copy: Path, tmp_path: Path) -> None:
    """User, branch, tag and comment text from the repository, with markup in
    them, come out escaped (and URL-encoded inside links)."""
    db = sqlite3.connect(repo_copy)
    with db:
        rid = db.execute("SELECT objid FROM event WHERE type='ci' ORDER BY mtime DESC LIMIT 1").fetchone()[0]
        db.execute("UPDATE event SET user=?, euser=NULL, comment=?, ecomment=NULL WHERE objid=?",
                   (HOSTILE, HOSTILE, rid))
        db.execute("UPDATE tagxref SET value=? WHERE rid=? AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')",
                   (HOSTILE, rid))
        db.execute("INSERT INTO tag(tagname) VALUES(?)", ("sym-" + HOSTILE + "2",))
        tagid = db.execute("SELECT tagid FROM tag WHERE tagname=?", ("sym-" + HOSTILE + "2",)).fetchone()[0]
        db.execute("INSERT INTO tagxref(tagid,tagtype,srcid,origid,value,mtime,rid) VALUES(?,1,0,?,NULL,0,?)",
                   (tagid, rid, rid))
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    page = call(app, "/timeline?y=ci&n=3").text
    assert "<script>" not in page
    esc = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;"
    quoted = "%3Cscript%3Ealert%28%22x%22%29%3C/script%3E%20%26%20%27q%27"
    assert re.search(f'user:&nbsp;<a href="/timeline\\?u={re.escape(quoted)}&amp;c=[^"]+&amp;y=a">{re.escape(esc)}</a>',
                     page)
    assert re.search(f'<a class="tag" href="/timeline\\?r={re.escape(quoted)}2&amp;c=[^"]+">{re.escape(esc)}2</a>',
                     page)
    assert '<span class="comment">&lt;script>alert("x")&lt;/script> &amp; \'q\'</span>' in page


def test_rows_without_history_links(webrepo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Without h (and no auto-hyperlink): hashes and names are plain text, no links."""
    copy = tmp_path / "r.fossil"
    shutil.copyfile(webrepo.path, copy)
    db = sqlite3.connect(copy)
    with db:
        db.execute("UPDATE user SET cap='o' WHERE login IN ('nobody','anonymous')")
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('auto-hyperlink','0',0)")
    db.close()
    app = make_app(AppConfig(repository=str(copy), backoffice=False))
    page = call(app, "/timeline?y=ci").text
    assert re.search(r'check-in:&nbsp;<span class="hash">[0-9a-f]{10}</span> user:&nbsp;[^<]+ tags:&nbsp;(trunk|feat)<',
                     page)
    assert 'class="hash" href=' not in page


def _one_checkin(path: Path) -> int:
    db = sqlite3.connect(path)
    rid = db.execute("SELECT objid FROM event WHERE type='ci' ORDER BY mtime DESC LIMIT 1").fetchone()[0]
    db.close()
    return int(rid)


def test_null_time_gives_an_empty_time_not_an_error(repo_copy: Path) -> None:
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("UPDATE event SET mtime=NULL WHERE type='w'")
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    r = call(app, "/timeline?y=w")
    assert r.status == 200
    assert '<td class="timeline-time" title=""></td>' in r.text


def test_tags_shown_even_when_the_branch_name_looks_like_their_json(repo_copy: Path) -> None:
    """A branch value 'a","b' on a check-in tagged a and b: both tags still listed."""
    rid = _one_checkin(repo_copy)
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("DELETE FROM tagxref WHERE rid=? AND tagid IN (SELECT tagid FROM tag WHERE tagname GLOB 'sym-*')",
                   (rid,))
        db.execute("UPDATE tagxref SET value=? WHERE rid=? AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')",
                   ('a","b', rid))
        for name in ("sym-a", "sym-b"):
            db.execute("INSERT OR IGNORE INTO tag(tagname) VALUES(?)", (name,))
            db.execute("INSERT INTO tagxref(tagid,tagtype,srcid,origid,value,mtime,rid)"
                       " SELECT tagid,1,0,?,NULL,0,? FROM tag WHERE tagname=?", (rid, rid, name))
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    page = call(app, "/timeline?y=ci&n=1").text
    assert re.search(r'tags:&nbsp;<a class="tag" href="/timeline\?r=a&amp;c=[^"]+">a</a>, '
                     r'<a class="tag" href="/timeline\?r=b&amp;c=[^"]+">b</a><', page)


def test_wiki_rows_have_no_space_between_label_and_link(webrepo) -> None:  # type: ignore[no-untyped-def]
    app = make_app(AppConfig(repository=str(webrepo.path), backoffice=False))
    page = call(app, "/timeline?y=w").text
    assert '<span class="comment">Added wiki page "<a href="/wiki?name=Home">Home</a>"</span>' in page


def test_branch_name_that_is_not_utf8_gets_a_colour(repo_copy: Path) -> None:
    rid = _one_checkin(repo_copy)
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("UPDATE tagxref SET value=CAST(? AS TEXT) WHERE rid=?"
                   " AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')", (b"b\xffx", rid))
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy), backoffice=False))
    r = call(app, "/timeline?y=ci")
    assert r.status == 200
    from fossilpy.web.graph import hash_color

    colour = hash_color(b"b\xffx".decode("utf-8", "surrogateescape"))
    assert f'style="background-color:{colour}"'.encode() in r.body
