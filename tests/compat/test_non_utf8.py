"""Text that is not UTF-8, end to end, against Fossil 2.21.

Fossil does not require artifacts to be UTF-8.  A repository of
hand-written artifacts holds Latin-1 bytes in a check-in comment, a file
name, a user name, a tag name and value and a wiki page title.  It is
rebuilt by ``fossil rebuild`` and by ``fossilpy rebuild``: every derived
table must be identical (the stored bytes equal Fossil's), and the web
pages that show those rows must render.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from fossilpy.artifact.hname import sha3
from tests.builders import artifact, store_raw
from tests.compare import derived_table_diff, format_diff

pytestmark = pytest.mark.compat


_artifact = artifact
_sha3 = sha3


def _latin1_artifacts() -> list[bytes]:
    body = b"caf\xe9 au lait\n"
    checkin = _artifact([
        b"C caf\xe9\\scomment",
        b"D 2024-03-01T10:00:00.000",
        b"F f\xe9.txt " + _sha3(body).encode(),
        b"T *branch * trunk",
        b"T *sym-trunk *",
        b"U j\xe9r\xf4me",
    ])
    tag = _artifact([
        b"D 2024-03-01T11:00:00.000",
        b"T +t\xe9g " + _sha3(checkin).encode() + b" v\xe9l",
        b"U j\xe9r\xf4me",
    ])
    wiki = _artifact([
        b"D 2024-03-01T12:00:00.000", b"L p\xe9ge", b"U j\xe9r\xf4me", b"W",
    ], b"Caf\xe9 [" + _sha3(checkin)[:10].encode() + b"]\n")
    return [body, checkin, tag, wiki]


@pytest.fixture(scope="module")
def latin1_repos(tmp_path_factory):
    """(rebuilt by fossil, rebuilt by fossilpy, check-in hash)."""
    from tests.conftest import runner

    work = tmp_path_factory.mktemp("latin1")
    fossil, fossilpy = runner("fossil", work), runner("fossilpy", work)
    src = work / "src.fossil"
    fossil("init", src)
    arts = _latin1_artifacts()
    store_raw(src, arts)
    a = Path(shutil.copy(src, work / "fossil.fossil"))
    b = Path(shutil.copy(src, work / "fossilpy.fossil"))
    fossil("rebuild", a)
    fossilpy("rebuild", "-R", b)
    return a, b, _sha3(arts[1])


def test_rebuild_matches_fossil(latin1_repos):
    a, b, _ = latin1_repos
    diff = derived_table_diff(a, b)
    assert diff == [], format_diff(diff)
    con = sqlite3.connect(b)
    con.text_factory = bytes
    assert con.execute("SELECT comment, user FROM event WHERE type='ci' AND user<>'root'").fetchall() == [
        (b"caf\xe9 comment", b"j\xe9r\xf4me")]
    assert con.execute("SELECT name FROM filename").fetchall() == [(b"f\xe9.txt",)]
    assert con.execute(
        "SELECT value FROM tagxref JOIN tag USING(tagid) WHERE tagname=CAST(? AS TEXT)",
        (b"t\xe9g",)).fetchall() == [(b"v\xe9l",)]
    assert con.execute("SELECT tagname FROM tag WHERE tagname GLOB 'wiki-*'").fetchall() == [
        (b"wiki-p\xe9ge",)]
    assert con.execute("SELECT typeof(tagname) FROM tag WHERE tagname GLOB 'wiki-*'"
                       ).fetchall() == [(b"text",)]
    con.close()


def test_pages_render(latin1_repos):
    """The pages showing those rows answer 200 and send the bytes as stored."""
    from fossilpy.web.app import AppConfig, make_app
    from tests.web.wsgi import call

    _, b, ci = latin1_repos
    app = make_app(AppConfig(repository=str(b)))
    for path in ("/timeline", f"/info/{ci}", "/wiki?name=p%E9ge", f"/artifact/{ci}",
                 "/timeline?u=j%E9r%F4me", "/timeline?t=t%E9g", "/dir?ci=tip", "/home",
                 "/wiki?name=nothing%E9%FF"):
        reply = call(app, path, remote_addr="127.0.0.1")
        assert reply.status == 200, (path, reply.status, reply.body[:400])
        if "nothing" in path:  # a missing page: Fossil's "Empty Page"
            assert b"<i>Empty Page</i>" in reply.body
    body = call(app, "/timeline?y=all", remote_addr="127.0.0.1").body  # (check-ins only by default, as Fossil)
    assert b"caf\xe9 comment" in body
    assert re.search(rb'<a href="/timeline\?u=j%E9r%F4me&amp;c=[^"]+&amp;y=a">j\xe9r\xf4me</a>', body)
    assert b'href="/wiki?name=p%E9ge"' in body
    assert b'Add "t\xe9g" with value "v\xe9l".' in body
    page = call(app, "/wiki?name=p%E9ge", remote_addr="127.0.0.1").body
    assert b"<title>Unnamed Fossil Project: p\xe9ge</title>" in page
