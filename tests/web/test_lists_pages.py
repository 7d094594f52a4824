"""The browsing lists through the app alone: capabilities, private content, hostile names.

The repository is :func:`tests.builders.build_private_repo` (two public
check-ins on trunk, a private check-in on branch ``hushbranch``; nobody has
``orj2``, dev ``v``, boss ``sx``) plus, added by fossilpy here, a tag and
a branch whose names carry markup, and unversioned files (one HTML file
with a script).  The side-by-side comparison with ``fossil server`` is in
``tests/compat/test_lists_fossil.py``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from fossilpy.repo.db import Repo
from fossilpy.sync import uv
from fossilpy.web.app import AppConfig, make_app
from tests.builders import PRIVATE_BRANCH, PRIVATE_COMMENT, _Writer, build_private_repo
from tests.web.conftest import sql
from tests.web.wsgi import Reply, call

EVIL_TAG = "<script>alert(1)</script>"
EVIL_BRANCH = "x<img/src=x/onerror=alert(2)>"
EVIL_COLOR = "red;background-image:url(//evil.example/x)"
EMBEDDED_HTML = b'<div class="fossil-doc" data-title="Doc &lt;1&gt;"><p>ok</p><script>alert(4)</script></div>\n'
EVIL_HTML = b"<html><body><script>alert(3)</script></body></html>\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, dict[str, str]], Path]:
    """(app, {who: cookies}, repository path); who is nobody, dev or boss."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TagCard

    base = tmp_path_factory.mktemp("lists-web")
    built = build_private_repo(base / "built.fossil")
    path = base / "site.fossil"
    shutil.copyfile(built.path, path)
    with Repo.open(str(path)) as repo:
        with repo.write():
            w = _Writer(repo)
            tag = Manifest(
                type=ArtifactType.CONTROL, date="2024-01-05T10:00:00.000", user="root",
                tags=[TagCard("+", "sym-" + EVIL_TAG, built.pub1, None)],
            )  # fmt: skip
            w.put(tag.to_bytes())
            files = {"README": b"public readme\n", "src/a.txt": b"one\ntwo\nthree\n"}
            w.checkin(
                "evil branch", files, [built.pub2],
                [("*", "branch", EVIL_BRANCH), ("*", "sym-" + EVIL_BRANCH, None), ("-", "sym-trunk", None),
                 ("+", "bgcolor", EVIL_COLOR)],
                date="2024-01-06T10:00:00.000",
            )  # fmt: skip
        uv.write(repo, "page.html", EVIL_HTML, 1704067200)
        uv.write(repo, "notes.txt", b"a < b\n", 1704153600)
        uv.write(repo, "doc.html", EMBEDDED_HTML, 1704153600)
    app = make_app(AppConfig(repository=str(path)))
    cookies: dict[str, dict[str, str]] = {"nobody": {}}
    for who in ("dev", "boss"):
        r = call(app, "/login", form={"u": who, "p": "pw"})
        assert r.status == 302, r.text
        cookies[who] = {built.cookie_name: r.cookies()[built.cookie_name].replace("/", "%2F")}
    return app, cookies, path


def get(site: Any, who: str, url: str) -> Reply:
    app, cookies, _ = site
    return call(app, url, cookies=cookies[who])


def content(reply: Reply) -> str:
    """The page's main area."""
    text = reply.text
    return text[text.index('<main class="content">') : text.index("</main>")]


def links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a[^>]*href="([^"]*)"[^>]*>([^<]*)</a>', html)


LIST_PAGES = ["/brlist", "/brlist?all", "/brtimeline", "/taglist", "/tagtimeline", "/leaves", "/leaves?all",
              "/finfo?name=README", "/uvlist", "/uv/notes.txt", "/reports"]  # fmt: skip


@pytest.mark.parametrize("url", LIST_PAGES)
def test_need_read_capability(site: Any, url: str) -> None:
    """Without ``o`` every list sends the visitor to log in, as Fossil's ``login_needed``."""
    _, _, path = site
    sql(path, "UPDATE user SET cap='' WHERE login='nobody'")
    try:
        r = get(site, "nobody", url)
    finally:
        sql(path, "UPDATE user SET cap='orj2' WHERE login='nobody'")
    assert r.status == 302
    assert (r.header("Location") or "").startswith("http://localhost:8080/login?g=")


def test_sitemap_by_capability(site: Any) -> None:
    """The map is for anyone; what it lists follows the visitor's capabilities."""
    _, _, path = site
    sql(path, "UPDATE user SET cap='' WHERE login='nobody'")
    try:
        bare = get(site, "nobody", "/sitemap")
    finally:
        sql(path, "UPDATE user SET cap='orj2' WHERE login='nobody'")
    assert bare.status == 200
    targets = [h for h, _ in links(content(bare))]
    assert targets == ["/home", "/login", "/help"]
    full = [h for h, _ in links(content(get(site, "nobody", "/sitemap")))]
    assert "/brlist" in full and "/uvlist" in full and "/taglist" in full and "/leaves" in full
    assert "/setup" not in full
    assert all(h.split("?")[0].strip("/").split("/")[0] in _pages() for h in full)
    boss = [h for h, _ in links(content(get(site, "boss", "/sitemap")))]
    assert "/logout" in boss and "/login" not in boss


def _pages() -> set[str]:
    from fossilpy.web.routes import PAGE_MODULES

    return set(PAGE_MODULES)


def branch_names(html: str) -> list[str]:
    return [t for h, t in links(html) if h.startswith("/timeline?r=")]


def test_private_branch_hidden(site: Any) -> None:
    """A branch only private check-ins carry is listed only for a reader with ``x``."""
    for who in ("nobody", "dev"):
        page = content(get(site, who, "/brlist"))
        assert PRIVATE_BRANCH not in page
        assert branch_names(page) == ["x&lt;img/src=x/onerror=alert(2)&gt;", "trunk"]
        assert PRIVATE_COMMENT not in content(get(site, who, "/leaves?all"))
        assert PRIVATE_COMMENT not in content(get(site, who, "/brtimeline"))
    page = content(get(site, "boss", "/brlist"))
    assert branch_names(page) == ["x&lt;img/src=x/onerror=alert(2)&gt;", PRIVATE_BRANCH, "trunk"]
    assert PRIVATE_COMMENT in content(get(site, "boss", "/leaves"))


def test_brlist_counts_and_filters(site: Any) -> None:
    page = content(get(site, "boss", "/brlist"))
    cells = re.findall(r"<td>([^<]*)</td>", page)
    # trunk: 3 check-ins (the initial empty one and two public ones)
    row = page[page.index("/timeline?r=trunk") :]
    assert re.findall(r"<td>([^<]*)</td>", row)[:3][1:] == ["3", ""]
    assert "years" in " ".join(cells)
    assert branch_names(content(get(site, "nobody", "/brlist?closed"))) == []
    assert "<h2>" not in content(get(site, "nobody", "/brlist?closed"))
    assert branch_names(content(get(site, "nobody", "/brlist?open"))) == [
        "trunk", "x&lt;img/src=x/onerror=alert(2)&gt;",
    ]  # fmt: skip


def test_hostile_names_escaped(site: Any) -> None:
    """Tag and branch names with markup are shown as text, never as markup."""
    for url in ("/taglist", "/tagtimeline", "/brlist", "/brtimeline", "/leaves"):
        page = content(get(site, "nobody", url))
        assert "<script>" not in page and "<img" not in page, url
    tags = content(get(site, "nobody", "/taglist"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tags
    assert 'href="/timeline?t=%3Cscript%3Ealert%281%29%3C/script%3E"' in tags


def test_finfo_rows_and_limits(site: Any) -> None:
    page = content(get(site, "nobody", "/finfo?name=src/a.txt"))
    assert page.count('class="timeline-row') == 3
    assert page.count("<b>Added:</b>") == 1
    limited = content(get(site, "nobody", "/finfo?name=src/a.txt&n=1"))
    assert limited.count('class="timeline-row') == 1
    # the private check-in's version of secret.txt does not exist for nobody
    hidden = content(get(site, "nobody", "/finfo?name=secret.txt"))
    assert 'class="timeline-row' not in hidden
    shown = content(get(site, "boss", "/finfo?name=secret.txt"))
    assert shown.count('class="timeline-row') == 1
    missing = get(site, "nobody", "/finfo?name=no/such/file")
    assert missing.status == 200
    assert "<p>No such file: no/such/file</p>" in content(missing)
    bad = get(site, "nobody", "/finfo?name=src/a.txt&from=nonesuch")
    assert bad.status == 404


def test_uv_delivery(site: Any) -> None:
    html = get(site, "nobody", "/uv/page.html")
    assert html.status == 200
    assert html.header("Content-Type") == "text/html"
    assert html.body == EVIL_HTML
    assert html.header("Content-Security-Policy") == "sandbox; default-src 'none'"
    etag = html.header("ETag")
    assert etag == '"' + sql(site[2], "SELECT hash FROM unversioned WHERE name='page.html'")[0][0] + '"'
    assert html.header("Last-Modified") == "Mon, 1 Jan 2024 00:00:00 +0000"
    text = get(site, "nobody", "/uv/notes.txt")
    assert "<pre>\na &lt; b\n\n</pre>" in text.text
    assert get(site, "nobody", "/uv/nope.txt").status == 404
    assert get(site, "nobody", "/uv/../site.fossil").status == 404
    listing = content(get(site, "nobody", "/uvlist"))
    assert [t for h, t in links(listing)] == ["doc.html", "notes.txt", "page.html"]
    assert "Total for 3 files" in listing
    embedded = get(site, "nobody", "/uv/doc.html")
    assert embedded.header("Content-Type") == "text/html; charset=utf-8"
    assert "<title>Unnamed Fossil Project: Doc &lt;1&gt;</title>" in embedded.text
    assert "<p>ok</p>" in content(embedded)
    assert "<script>alert(4)" not in embedded.text


def test_reports_views_and_privacy(site: Any) -> None:
    """Private check-ins are not counted without ``x``; unknown view= and type= fall back as Fossil's."""
    nobody = content(get(site, "nobody", "/reports?view=byfile"))
    assert "<h1>Check-ins Per File</h1>" in nobody
    assert "secret.txt" not in nobody
    files = [t for h, t in links(nobody) if h.startswith("/finfo?name=")]
    assert files == ["src/a.txt", "README"]
    boss = [t for h, t in links(content(get(site, "boss", "/reports?view=byfile")))
            if h.startswith("/finfo?name=")]  # fmt: skip
    assert boss == ["src/a.txt", "README", "secret.txt"]
    default = content(get(site, "nobody", "/reports?view=nonesuch&type=zzz"))
    assert "<h1>Timeline Events (all types) by User</h1>" in default
    by_type = content(get(site, "nobody", "/reports?view=bymonth&type=ci"))
    assert "<h1>Timeline Events (check-ins) by year/month</h1>" in by_type
    assert [t for h, t in links(by_type) if h.startswith("/timeline?ym=")] == ["2024-01", "2023-12"]
    assert "Total events: 4" in by_type


def test_browser_walk(site: Any) -> None:
    """A person finds the lists from the site map: branches, leaves, a file's history, reports."""
    from tests.web.browser import chromium_page, serve_app, shot

    _, _, path = site
    with serve_app(path) as base, chromium_page() as (page, problems):
        page.goto(base + "/sitemap")
        shot(page, "lists", "sitemap")
        page.click("#sitemap >> text=Branches")
        page.wait_for_load_state()
        assert page.url == base + "/brlist"
        rows = page.locator("table.brlist tbody tr")
        assert rows.count() == 2
        assert rows.nth(1).locator("td").all_inner_texts()[0] == "trunk"
        page.click(".submenu >> text=Use Branch Colors")
        page.wait_for_load_state()
        assert page.url == base + "/brlist?colors=1"
        shot(page, "lists", "brlist")
        page.goto(base + "/brlist?all")
        page.click(".submenu >> text=Timeline")
        page.wait_for_load_state()
        assert page.locator("h2").inner_text() == "The initial check-in for each branch:"
        page.goto(base + "/sitemap")
        page.click("#sitemap >> text=Leaf Check-ins")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Open leaves:"
        assert page.locator("tr.timeline-row").count() == 2
        shot(page, "lists", "leaves")
        page.goto(base + "/sitemap")
        page.click("#sitemap >> text=Unversioned Files")
        page.wait_for_load_state()
        assert page.locator("table.uvlist tbody tr").count() == 3
        shot(page, "lists", "uvlist")
        page.click("text=notes.txt")
        page.wait_for_load_state()
        assert page.locator("pre").inner_text() == "a < b\n\n"  # as Fossil: the text, then a blank line
        page.goto(base + "/finfo?name=src/a.txt")
        assert page.locator("tr.timeline-row").count() == 3
        shot(page, "lists", "finfo")
        page.goto(base + "/reports?view=bymonth")
        page.select_option("select[name=view]", "byuser")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Timeline Events (all types) by User"
        shot(page, "lists", "reports")
        assert problems == []


def test_brlist_colors_only_colours(site: Any) -> None:
    """A bgcolor tag that is not a colour puts nothing in the style attribute."""
    page = content(get(site, "nobody", "/brlist?colors=1"))
    assert "evil.example" not in page
    rows = re.findall(r"<tr([^>]*)>\s*<td><a href=\"/timeline\?r=([^\"]+)\"", page)
    assert rows == [("", "x%3Cimg/src%3Dx/onerror%3Dalert%282%29%3E"), ("", "trunk")]
