"""/srchsetup: what /search looks through, and the full-text index."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import call


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _root(path: Path) -> tuple[object, dict[str, str], str]:
    app = make_app(AppConfig(repository=str(path), localauth=True))
    r = call(app, "/srchsetup", remote_addr="127.0.0.1")
    assert r.status == 200
    cookies = dict(r.cookies().items())
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert csrf
    return app, cookies, csrf.group(1)


def test_settings_and_index_through_the_page(repo_copy: Path) -> None:
    app, cookies, csrf = _root(repo_copy)
    post = {"csrf": csrf, "sc": "on", "sw": "on", "st": "on", "db": "trunk", "dg": "", "submit": "Apply Changes"}
    r = call(app, "/srchsetup", form=post, cookies=cookies, remote_addr="127.0.0.1")
    assert r.status == 200 and "Changes saved." in r.text
    rows = _rows(repo_copy, "SELECT name, value FROM config WHERE name GLOB 'search-*' ORDER BY name")
    assert dict(rows) == {"search-ci": "1", "search-tkt": "1", "search-wiki": "1"}  # changed rows only, as Fossil
    assert "Create A Full-Text Index" in r.text and 'name="fts0"' not in r.text
    r = call(app, "/srchsetup", form={"csrf": csrf, "fts1": "Create"}, cookies=cookies, remote_addr="127.0.0.1")
    assert r.status == 200 and "The full-text index was built." in r.text and 'name="fts0"' in r.text
    assert _rows(repo_copy, "SELECT count(*) FROM ftsdocs WHERE NOT idxed") == [(0,)]
    assert _rows(repo_copy, "SELECT count(*) FROM ftsdocs")[0][0] > 5
    r = call(app, "/search?s=bug", remote_addr="127.0.0.1", cookies=cookies)
    assert "<span class='snippet'>A &lt;i><mark>bug</mark>&lt;/i> </span>" in r.text  # found through the index
    r = call(app, "/srchsetup", form={"csrf": csrf, "fts0": "Delete"}, cookies=cookies, remote_addr="127.0.0.1")
    assert "The full-text index was deleted." in r.text
    assert _rows(repo_copy, "SELECT count(*) FROM sqlite_schema WHERE name='ftsdocs'") == [(0,)]


def test_refused_without_admin_or_token(repo_copy: Path) -> None:
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/srchsetup")
    assert r.status == 302 and "/login?g=" in (r.header("Location") or "")
    app, cookies, _csrf = _root(repo_copy)
    r = call(app, "/srchsetup", form={"csrf": "forged", "fts1": "Create"}, cookies=cookies, remote_addr="127.0.0.1")
    assert r.status == 403
    assert _rows(repo_copy, "SELECT count(*) FROM sqlite_schema WHERE name='ftsdocs'") == [(0,)]
