"""/timeline parameters on fossilpy's own (no fossil needed): what the
page shows per capability, the layout of each view style, the period
links, hostile input, and /timeline.rss for a reader who may not read.

(The rows and headings of every parameter are compared with ``fossil
server`` in tests/compat/test_timeline_fossil.py.)
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.web.wsgi import call


def _app(path: Path, caps: str | None = None) -> Any:
    from fossilpy.web.app import AppConfig, make_app

    if caps is not None:
        db = sqlite3.connect(path)
        with db:
            db.execute("UPDATE user SET cap=? WHERE login='nobody'", (caps,))
            db.execute("UPDATE user SET cap='' WHERE login='anonymous'")
        db.close()
    return make_app(AppConfig(repository=str(path), backoffice=False))


def _types(page: str) -> list[str]:
    return re.findall(r'<tr class="timeline-row type-([a-z]+)', page)


def _heading(page: str) -> str:
    m = re.search(r'<h2 class="timeline-desc">(.*?)</h2>', page, re.S)
    assert m, page[:500]
    return m.group(1)


def test_default_is_check_ins_for_a_reader_of_check_ins(repo_copy: Path) -> None:
    app = _app(repo_copy, "orjh2")
    page = call(app, "/timeline").text
    assert set(_types(page)) == {"ci"}
    assert _heading(page) == f"{len(_types(page))} check-ins"
    every = call(app, "/timeline?y=all").text
    assert {"ci", "w", "t", "e"} <= set(_types(every))
    assert _heading(call(app, "/timeline?n=2").text) == "2 most recent check-ins"


def test_default_is_every_event_the_reader_may_see_without_o(repo_copy: Path) -> None:
    """Without o the default is y=all, and it holds no check-ins or tag changes."""
    page = call(_app(repo_copy, "j"), "/timeline").text
    assert set(_types(page)) == {"w", "e"}
    assert re.fullmatch(r"\d+ events", _heading(page))
    # asking for check-ins without o: Fossil falls back to every type the reader may see
    assert set(_types(call(_app(repo_copy, "j"), "/timeline?y=ci").text)) == {"w", "e"}


LEAF = r'(<span class="badge badge-leaf">(Closed-)?Leaf</span> )?'


@pytest.mark.parametrize(
    "ss, marker",
    [
        ("m", r'<td class="timeline-comment timeline-modern"[^>]*>'),
        ("j", r'<td class="timeline-detail"><span class="timeline-meta">' + LEAF + "check-in:&nbsp;"),
        (
            "c",
            r'<details class="timeline-clutter"><summary>\.\.\.</summary><span class="timeline-meta">\('
            + LEAF
            + "check-in:&nbsp;",
        ),
        ("v", r'<span class="timeline-meta">\(' + LEAF + "check-in:&nbsp;"),
        (
            "x",
            r'<td class="timeline-comment timeline-classic"[^>]*>\n'
            r'<span class="comment">\[<a class="hash" href="/info/',
        ),
    ],
)
def test_view_styles(repo_copy: Path, ss: str, marker: str) -> None:
    page = call(_app(repo_copy, "orjh"), f"/timeline?ss={ss}&n=3").text
    assert len(re.findall(marker, page)) == 3
    assert f'class="active" href="/timeline?n=3&amp;udc=1&amp;ss={ss}"' in page
    if ss == "m":
        assert len(re.findall(r'<span class="timeline-meta">' + LEAF + 'check-in:&nbsp;<a class="hash"', page)) == 3
    if ss == "x":
        assert "check-in:" not in page and page.count("(user:&nbsp;") == 3


def test_the_style_setting_is_the_default(repo_copy: Path) -> None:
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('timeline-default-style','j',0)")
    db.close()
    page = call(_app(repo_copy, "orjh"), "/timeline?n=2").text
    assert page.count('<td class="timeline-detail">') == 2


def test_period_links_lead_to_the_neighbouring_period(repo_copy: Path) -> None:
    app = _app(repo_copy, "orjh")
    page = call(app, "/timeline?ym=2024-01").text
    assert _heading(page) == "7 check-ins for the month beginning 2024-01-01"
    assert "Following month" not in page  # nothing later
    later = call(app, "/timeline?ym=2023-12").text
    assert _heading(later) == "0 check-ins for the month beginning 2023-12-01"
    assert '<a class="button timeline-button timeline-newer" href="/timeline?ym=2024-01">Following month' in later
    day = call(app, "/timeline?ymd=2024-01-02&y=all").text
    assert re.fullmatch(r"\d+ events occurring on 2024-01-02", _heading(day))


@pytest.mark.parametrize(
    "query",
    [
        "s=<script>x</script>",
        "t=<b>",
        "r=<b>",
        "chng=<img>",
        "u=<i>",
        "ym=<x>",
        "yw=<x>",
        "ymd=<x>",
        "c=<x>",
        "from=<x>&to=<y>",
        "p=<x>",
        "uf=<x>",
        "cf=<x>",
        "ms=glob&t=<x>,'y'",
        "n=<x>",
        "ss=<x>",
        "year=<x>",
        "days=<x>",
        "bt=<x>&p=trunk",
    ],
)
def test_hostile_parameters_get_a_page(repo_copy: Path, query: str) -> None:
    r = call(_app(repo_copy, "orjh"), "/timeline?" + query.replace("<", "%3C").replace(">", "%3E"))
    assert r.status == 200
    assert "<script>" not in r.text and "<b>" not in r.text.split("<main")[-1].split("timeline-desc")[1][:300]
    assert "<x>" not in r.text and "<img>" not in r.text and "<i>" not in r.text


def test_search_heading_is_escaped(repo_copy: Path) -> None:
    page = call(_app(repo_copy, "orjh"), "/timeline?s=%3Cscript%3E").text
    assert _heading(page) == '1 check-in matching "&lt;script&gt;"'  # the XSS comment, shown escaped
    assert _types(page) == ["ci"] and "<script>" not in page


def test_rss_for_a_reader_who_may_read_nothing(repo_copy: Path) -> None:
    r = call(_app(repo_copy, ""), "/timeline.rss")
    assert (r.status, r.body) == (200, b"")


def test_rss_items(repo_copy: Path) -> None:
    r = call(_app(repo_copy, "orj"), "/timeline.rss?y=ci&n=2")
    assert r.header("Content-Type") == "application/rss+xml"
    assert r.body.startswith(b'<?xml version="1.0"?>\n<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">')
    assert r.body.count(b"<item>") == 2
    assert b"<title>*MERGE* merge feat into trunk (tags: trunk)</title>" in r.body


def test_styles_in_a_browser(repo_copy: Path) -> None:
    """Each style as a person sees it (screenshots in tests/artifacts/timeline/); the
    Compact ellipsis opens the details; no console errors (the CSP holds)."""
    from tests.web.browser import chromium_page, serve_app, shot

    _app(repo_copy, "orjh")
    with serve_app(repo_copy) as base, chromium_page() as (page, problems):
        for ss in ("m", "j", "c", "v", "x"):
            page.goto(f"{base}/timeline?y=all&ss={ss}&brbg")
            shot(page, "timeline", f"ss-{ss}")
        page.goto(f"{base}/timeline?ss=c")
        detail = page.locator("details.timeline-clutter").first
        assert not detail.locator(".timeline-meta").is_visible()
        detail.locator("summary").click()
        assert detail.locator(".timeline-meta").is_visible()
        assert "check-in:" in detail.locator(".timeline-meta").inner_text()
        page.goto(f"{base}/timeline?v&ss=v")
        shot(page, "timeline", "verbose-files")
        assert page.locator("ul.filelist li").count() > 0
    # (the XSS comment of the test repository holds an image "x" that does not exist)
    assert [p for p in problems if not p.endswith("/x")] == []


def test_a_style_chosen_in_the_submenu_is_kept(repo_copy: Path) -> None:
    """Clicking Compact sets Fossil's display cookie; the next bare /timeline is Compact."""
    app = _app(repo_copy, "orjh")
    page = call(app, "/timeline").text
    link = re.search(r'<a class="" href="(/timeline\?[^"]*ss=c)">Compact</a>', page)
    assert link, page[:3000]
    from html import unescape

    r = call(app, unescape(link.group(1)))
    cookie = [v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("fossil_display_settings=")]
    assert len(cookie) == 1 and "ss%3Dc" in cookie[0]
    value = cookie[0].split(";")[0].split("=", 1)[1]
    from urllib.parse import unquote

    again = call(app, "/timeline", cookies={"fossil_display_settings": unquote(value)}).text
    assert re.search(r'class="active" href="/timeline\?[^"]*ss=c">Compact', again)
    assert again.count('<details class="timeline-clutter">') == 7


def test_max_rows_form(repo_copy: Path) -> None:
    """The "Max:" field of the submenu: n, with the other parameters kept and the choice remembered."""
    page = call(_app(repo_copy, "orjh"), "/timeline?y=all&ss=v&n=4").text
    form = re.search(r'<form class="timeline-max" method="GET" action="/timeline">(.*?)</form>', page, re.S)
    assert form
    fields = re.findall(r'<input type="(\w+)" name="(\w+)" value="([^"]*)"', form.group(1))
    assert fields == [("hidden", "y", "all"), ("hidden", "ss", "v"), ("hidden", "udc", "1"), ("text", "n", "4")]
