"""Pages of one repository, called in-process with hand-built environs."""

from __future__ import annotations

import re
import sqlite3

from tests.web.conftest import WebRepo
from tests.web.wsgi import call


def _tip(webrepo: WebRepo) -> str:
    db = sqlite3.connect(webrepo.path)
    try:
        return db.execute(
            "SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci' ORDER BY mtime DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        db.close()


def test_root_redirects_to_index(app) -> None:
    r = call(app, "/")
    assert r.status == 302
    assert r.header("Location") == "http://localhost:8080/index"


def test_home_shows_home_wiki_page(app) -> None:
    r = call(app, "/home")
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert "<h1>Welcome</h1>" in r.text
    assert "<title>Web Test: Home</title>" in r.text


def test_index_page_setting_redirects(repo_copy) -> None:
    from fossilpy.web.app import AppConfig, make_app

    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('index-page','/timeline',0)")
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy)))
    assert call(app, "/").header("Location") == "http://localhost:8080/timeline"
    assert call(app, "/home").header("Location") == "http://localhost:8080/timeline"


def test_home_without_its_page_says_how_to_make_it(repo_copy) -> None:
    """As Fossil's stub home page, plus what the visitor may do next (by capability)."""
    from fossilpy.web.app import AppConfig, make_app

    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("DELETE FROM tag WHERE tagname='wiki-Home'")
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/home")  # nobody: may read, may not write
    assert r.status == 200
    assert "it has no content yet" in r.text and "the wiki page named <b>Web Test</b> (or\n<b>Home</b>)" in r.text
    assert re.findall(r'<li><a href="([^"]+)">', r.text) == ["/timeline?y=all"]
    r = call(make_app(AppConfig(repository=str(repo_copy), localauth=True)), "/home", remote_addr="127.0.0.1")
    assert re.findall(r'<li><a href="([^"]+)">', r.text) == [
        "/wikiedit?name=Web%20Test", "/timeline?y=all", "/wikinew", "/tktnew", "/forumnew", "/technoteedit",
        "/setup_ulist",
    ]


def test_timeline_lists_events_with_graph(app, webrepo) -> None:
    r = call(app, "/timeline?y=all")
    assert r.status == 200
    text = r.text
    for comment in ("first commit", "feature work", "trunk work", "merge feat into trunk", "initial empty check-in"):
        assert comment in text
    assert "Added wiki page" in text
    assert "Release note" in text
    assert "New ticket" in text
    assert text.count('class="gn') == 7  # one node per check-in
    assert 'class="gh gh-merge"' in text  # the merge line
    assert _tip(webrepo)[:10] in text


def test_timeline_parameters(app) -> None:
    r = call(app, "/timeline?y=ci&n=2")
    assert r.status == 200
    assert r.text.count('class="timeline-row type-ci"') == 2
    assert "More&nbsp;&darr;" in r.text
    r = call(app, "/timeline?y=w")
    assert 'type-ci"' not in r.text and "MdPage" in r.text
    r = call(app, "/timeline?r=feat&y=ci")
    assert "feature work" in r.text and "merge feat into trunk" in r.text
    r = call(app, "/timeline?t=feat&y=ci")
    assert "feature work" in r.text and "trunk work" not in r.text
    r = call(app, "/timeline?u=nobody-at-all")
    assert "No events match." in r.text
    assert call(app, "/timeline?a=1990-01-01&y=ci").text.count("type-ci") == 7
    assert call(app, "/timeline?b=1990-01-01").text.count("type-ci") == 0
    assert call(app, "/timeline?y=bogus").status == 200  # ignored, as by Fossil
    assert call(app, "/timeline?a=no-such-thing").status == 200  # ignored, as by Fossil
    assert call(app, "/timeline?n=all&ng").status == 200


def test_timeline_paging_neither_overlaps_nor_skips(app) -> None:
    from html import unescape

    seen: list[str] = []
    url = "/timeline?n=3"
    for _ in range(10):
        r = call(app, url)
        seen += re.findall(r'class="hash" href="/info/([0-9a-f]+)"', r.text)
        m = re.search(r'timeline-older" href="(/timeline\?[^"]*)">More', r.text)
        if not m:
            break
        url = unescape(m.group(1))
    everything = re.findall(r'class="hash" href="/info/([0-9a-f]+)"', call(app, "/timeline?n=all").text)
    assert seen == everything and len(seen) == len(set(seen))
    newer = re.search(r'timeline-newer" href="(/timeline\?[^"]*)">More', call(app, url).text)
    assert newer


def test_info_checkin_with_diff(app, webrepo) -> None:
    r = call(app, "/info/trunk")
    assert r.status == 200
    assert "merge feat into trunk" in r.text
    assert "src/b.py" in r.text
    assert 'class="status status-added"' in r.text
    r = call(app, "/info/tip")
    assert r.status == 200
    # the commit that appended "print(2)" has a diff
    db = sqlite3.connect(webrepo.path)
    uuid = db.execute("SELECT uuid FROM blob JOIN event ON objid=rid WHERE comment LIKE '%fix%'").fetchone()[0]
    db.close()
    r = call(app, f"/info/{uuid[:12]}")
    assert r.status == 200
    assert "<ins><ins>print(2)</ins>\n</ins>" in r.text  # side-by-side table: print(2) added
    assert '<td class="difftxt difftxtl"><pre>\nprint(1)\n' in r.text  # print(1) unchanged on the left


def test_info_unknown_name(app) -> None:
    r = call(app, "/info/no-such-thing")
    assert r.status == 404
    assert "No such artifact." in r.text and "no-such-thing" not in r.text  # the name is not repeated
    assert call(app, "/info").status == 404


def test_info_wiki_technote_ticket(app, webrepo) -> None:
    db = sqlite3.connect(webrepo.path)
    rows = dict(db.execute(
        "SELECT type, (SELECT uuid FROM blob WHERE rid=objid) FROM event WHERE type IN ('w','e','t')"
    ))
    tkt = db.execute("SELECT tkt_uuid FROM ticket").fetchone()[0]
    db.close()
    r = call(app, f"/info/{rows['e']}")
    assert r.status == 200 and "technote body" in r.text
    r = call(app, f"/info/{rows['t']}")
    assert r.status == 200 and "Ticket change" in r.text and "A &lt;i&gt;bug&lt;/i&gt;" in r.text
    r = call(app, f"/info/{tkt[:16]}")
    assert r.status == 200 and "Open" in r.text


def test_dir_tree_file(app) -> None:
    r = call(app, "/dir?ci=tip")
    assert r.status == 200
    assert 'href="/dir?name=src&amp;ci=' in r.text
    assert "README.md" in r.text and "Hello <em>world</em>." in r.text  # the README is rendered
    r = call(app, "/dir?ci=tip&name=src")
    assert "a.py" in r.text and "b.py" in r.text
    assert call(app, "/dir?ci=tip&name=nope").status == 404
    assert call(app, "/dir").status == 200
    r = call(app, "/tree?ci=trunk&type=tree")
    assert r.status == 200 and "b.py" in r.text and "4 files" in r.text
    # without type=tree, /tree is the flat /dir page, as Fossil's
    for url in ("/tree?ci=trunk", "/tree?ci=trunk&type=flat"):
        r = call(app, url)
        assert r.status == 200 and "tree view</a>" in r.text and 'class="tree"' not in r.text
    r = call(app, "/file?name=src/a.py&ci=tip")
    assert r.status == 200
    assert "<pre>print(2)</pre>" in r.text
    r = call(app, "/file/src/a.py")
    assert r.status == 200 and "<pre>print(1)</pre>" in r.text
    r = call(app, "/file?name=src")
    assert r.status == 302 and "/dir?ci=" in r.header("Location")
    assert call(app, "/file?name=nope.txt").status == 404
    assert call(app, "/file?name=src/a.py&ci=nosuchbranch").status == 404


def test_raw_content_types(app) -> None:
    r = call(app, "/raw?ci=tip&filename=src/a.py")
    assert r.status == 200
    assert r.body == b"print(1)\nprint(2)\n"
    # Fossil's mimetype_from_name has no "py": its default type
    assert r.header("Content-Type") == "application/x-fossil-artifact"
    r = call(app, "/raw?ci=tip&filename=page.html")
    assert r.status == 200
    assert r.header("Content-Type") == "text/plain; charset=utf-8"  # never rendered as HTML
    assert r.header("Content-Security-Policy") == "sandbox; default-src 'none'"
    assert r.header("X-Content-Type-Options") == "nosniff"
    r2 = call(app, "/raw?ci=tip&filename=page.html&m=text/html")
    assert r2.header("Content-Type") == "text/plain; charset=utf-8"
    assert call(app, "/raw/zzzz").status == 404
    assert call(app, "/raw?ci=tip&filename=missing").status == 404


def test_artifact_and_whatis(app, webrepo) -> None:
    r = call(app, "/raw?ci=tip&filename=src/a.py")
    etag = r.header("ETag").strip('"')
    r = call(app, f"/artifact/{etag}")
    assert r.status == 200 and "src/a.py" in r.text
    r = call(app, f"/whatis/{etag[:8]}")
    assert r.status == 200 and "<td>file</td>" in r.text


def test_stat_robots_help_style(app) -> None:
    r = call(app, "/stat")
    assert r.status == 200 and "Number Of Check-ins</th><td>7</td>" in r.text
    r = call(app, "/robots.txt")
    assert r.status == 200 and r.header("Content-Type") == "text/plain; charset=utf-8"
    assert r.text.startswith("User-agent: *\nDisallow: /raw\n")
    r = call(app, "/help")
    assert r.status == 200 and 'href="/help/timeline">/timeline</a>' in r.text
    r = call(app, "/help/timeline")
    assert r.status == 200 and "y= picks a type" in r.text
    assert call(app, "/help/nosuchpage").status == 404
    r = call(app, "/style.css")
    assert r.status == 200 and r.header("Content-Type") == "text/css; charset=utf-8"


def test_wiki_page(app) -> None:
    r = call(app, "/wiki?name=MdPage")
    assert r.status == 200
    assert "<h1>Markdown page</h1>" in r.text
    missing = call(app, "/wiki?name=Nope")  # as Fossil: an empty page, offered for creation to users with f
    assert missing.status == 200 and "<i>Empty Page</i>" in missing.text
    assert '<a href="/wcontent">List of All Wiki Pages</a>' in call(app, "/wiki").text  # Fossil's wiki index
    assert "MdPage" in call(app, "/wcontent").text


def test_unknown_page_is_404(app) -> None:
    r = call(app, "/no-such-page")
    assert r.status == 404
    assert "Page not found: no-such-page" in r.text


def test_head_has_no_body(app) -> None:
    r = call(app, "/stat", method="HEAD")
    assert r.status == 200 and r.body == b""
    assert int(r.header("Content-Length")) > 0
