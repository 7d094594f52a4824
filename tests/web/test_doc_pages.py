"""/doc on a repository fossilpy made: names, index files, 404.md, titles, $ROOT, and safety.

(The comparison with ``fossil server`` is tests/compat/test_doc_fossil.py.)
Hostile documents: Markdown, Fossil wiki and framed HTML with script tags,
event handlers and ``javascript:`` links never put a script into the page;
a raw SVG or HTML file is sent with a CSP that runs no script; private
check-ins and names that climb out of the tree are "not found".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fossilpy.web.pages import doc
from tests.builders import _Writer, new_repo
from tests.web.wsgi import call

HOSTILE_MD = b"""# Evil <em>Doc</em>

<img src=x onerror="alert(1)">
[click](javascript:alert(2))
<script>alert(3)</script>
Link to [root]($ROOT/timeline).
"""

HOSTILE_HTML = b"""<div class="fossil-doc" data-title="Framed &amp; Evil">
<p onclick="alert(4)">text <a href="$ROOT/doc/$CURRENT/www/a.md">doc</a></p>
<iframe src="javascript:alert(5)"></iframe><script>alert(6)</script>
</div>
"""

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(7)</script></svg>\n'


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from fossilpy.repo.db import Repo

    path = new_repo(tmp_path_factory.mktemp("docweb") / "d.fossil")
    with Repo.open(str(path)) as r, r.write():
        w = _Writer(r)
        initial = r.one("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci'")
        files = {
            "www/index.md": b"Index\n=====\n\nThe index.\n",
            "www/a.md": HOSTILE_MD,
            "www/framed.html": HOSTILE_HTML,
            "www/pic.svg": SVG,
            "www/page.wiki": b"<title>Wiki Title</title>\n<script>alert(8)</script> [javascript:alert(9)|x]\n",
            "404.md": b"# Gone\n",
        }
        # dated after the repository's initial check-in (made now)
        first = w.checkin("docs", files, [initial], date="2099-01-01T00:00:00.000")
        secret = w.checkin(
            "secret", {**files, "www/secret.md": b"# Secret\n"}, [first], private=True, date="2099-01-02T00:00:00.000"
        )
        r.config_set("project-name", "Doc Web")
    return {"path": str(path), "first": first, "secret": secret}


def _app(repo: dict[str, str]):  # type: ignore[no-untyped-def]
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=repo["path"]))


def _content(text: str) -> str:
    return text.split('<main class="content">', 1)[1].split("</main>", 1)[0]


def test_index_and_titles(repo: dict[str, str]) -> None:
    app = _app(repo)
    for path in ("/doc/trunk/www/", f"/doc/{repo['first'][:12]}/www/index.md", "/doc/ckout/www/"):
        r = call(app, path)
        assert r.status == 200, path
        assert "<title>Doc Web: Index</title>" in r.text
        assert "<p>The index.</p>" in _content(r.text)
        assert "Index" not in _content(r.text)
    r = call(app, "/doc/trunk/www/page.wiki")
    assert "<title>Doc Web: Wiki Title</title>" in r.text
    r = call(app, "/doc/trunk/www/nothing")
    assert r.status == 404
    assert "<title>Doc Web: Gone</title>" in r.text


def test_hostile_documents_run_no_script(repo: dict[str, str]) -> None:
    app = _app(repo)
    for path in ("/doc/trunk/www/a.md", "/doc/trunk/www/framed.html", "/doc/trunk/www/page.wiki"):
        r = call(app, path)
        assert r.status == 200, path
        body = _content(r.text).lower()
        for bad in ("<script", "<iframe"):
            assert bad not in body, (path, bad)
        assert not re.search(r"<[^>]*\bon[a-z]+\s*=", body), path
        assert not re.search(r"<[^>]*\b(href|src)\s*=\s*[\"']?\s*javascript:", body), path
    md = call(app, "/doc/trunk/www/a.md")
    assert "<title>Doc Web: Evil Doc</title>" in md.text
    assert '<a href="/timeline">root</a>' in md.text
    framed = call(app, "/doc/trunk/www/framed.html")
    assert "<title>Doc Web: Framed &amp; Evil</title>" in framed.text
    assert 'href="/doc/trunk/www/a.md"' in framed.text
    svg = call(app, "/doc/trunk/www/pic.svg")
    assert (svg.status, svg.header("Content-Type"), svg.body) == (200, "image/svg+xml", SVG)
    assert "script-src 'none'" in (svg.header("Content-Security-Policy") or "")
    raw = call(app, "/doc/trunk/www/a.md?mimetype=text/html")
    assert raw.header("Content-Type") == "text/html; charset=utf-8"
    assert "script-src 'none'" in (raw.header("Content-Security-Policy") or "")


@pytest.mark.parametrize(
    "path",
    [
        "/doc/trunk/../404.md",
        "/doc/trunk/www/../404.md",
        "/doc/trunk/www//a.md",
        "/doc/trunk/www/./a.md",
        "/doc/trunk/www%5Ca.md",
        "/doc/nosuch/www/a.md",
    ],
)
def test_bad_names_are_not_found(repo: dict[str, str], path: str) -> None:
    r = call(_app(repo), path)
    assert r.status == 404
    assert "not found" in _content(r.text)


def test_private_checkin_is_not_shown(repo: dict[str, str]) -> None:
    app = _app(repo)
    r = call(app, f"/doc/{repo['secret'][:16]}/www/secret.md")
    assert r.status == 404
    assert "Secret" not in r.text
    r = call(app, "/doc/tip/www/secret.md")
    assert r.status == 404


def test_needs_read_capability(repo: dict[str, str], tmp_path: Path) -> None:
    import shutil

    from fossilpy.repo.db import Repo
    from fossilpy.web.app import AppConfig, make_app

    copy = tmp_path / "c.fossil"
    shutil.copyfile(repo["path"], copy)
    with Repo.open(str(copy)) as r, r.write():
        r.execute("UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    reply = call(make_app(AppConfig(repository=str(copy))), "/doc/trunk/www/a.md")
    assert reply.status == 302
    assert (reply.header("Location") or "").endswith("/login?g=doc%2Ftrunk%2Fwww%2Fa.md")
    assert b"Evil" not in reply.body


def test_helpers() -> None:
    assert doc.is_simple_pathname("www/a.md")
    for bad in ("", "/a", "a/", "a//b", "./a", "a/../b", "a\\b", "..", "a/.", "\udcff"):
        assert not doc.is_simple_pathname(bad), bad
    assert doc.wiki_title("  <title> T </title>rest") == ("T ", "rest")
    assert doc.wiki_title("<TITLE>T</TITLE>") == (None, "<TITLE>T</TITLE>")
    assert doc.markdown_title("\n## Two ##\ntext\n") == ("Two", "text\n")
    assert doc.markdown_title("    # code\n") == (None, "    # code\n")
    assert doc.embedded_html_title("<div class='fossil-doc'>x</div>") == ""
    assert doc.embedded_html_title("<div class='other' data-title='t'>") is None
    assert doc.embedded_html_title("<p class='fossil-doc'>") is None
    assert doc.convert_hrefs("<a href='$ROOT/x'> <form action=\"$ROOT/y\"> $ROOT/z", "/top", "doc/v1/a") == (
        "<a href='/top/x'> <form action=\"/top/y\"> $ROOT/z"
    )
    assert doc.convert_hrefs('<a href="/doc/$CURRENT/f">', "", "doc/v1/www/f") == '<a href="/doc/v1/f">'
