"""Pages read artifacts through the one parser, bytes that are not UTF-8 included.

A repository of hand-written artifacts (crosslinked by fossilpy; the compat
test tests/compat/test_non_utf8.py holds its rebuild to fossil's) holds Latin-1 bytes in file names, a wiki
page, a forum post's title, user and text, a ticket change and a technote.
The pages that once parsed cards by hand and decoded them with "replace"
(/dir, /tree, /file, /vdiff through ``names.checkin_files``; /wiki, /info,
/forum, /forumpost through ``names.wiki_text`` and their own H/U/J/K
readers) now read them with :mod:`fossilpy.artifact.manifest`: the bytes
come back as stored (surrogate escapes, fossilpy.repo.db's rule), never as
U+FFFD, and a Latin-1 name in a URL finds its file.
"""

from __future__ import annotations

import sqlite3

import pytest

from fossilpy.artifact.hname import sha3
from fossilpy.web.app import AppConfig, make_app
from tests.builders import add_artifacts, artifact, new_repo
from tests.web.wsgi import call

#: UTF-8 of U+FFFD, what decoding with "replace" leaves.
REPLACEMENT = "\ufffd".encode()
TKT = "1234567890abcdef1234567890abcdef12345678"
NOTE_ID = "fedcba0987654321fedcba0987654321fedcba09"


_artifact = artifact
_sha3 = sha3


def _artifacts() -> dict[str, bytes]:
    latin = b"caf\xe9 au lait\n"
    plain = b"plain text\n"
    first = _artifact([
        b"C caf\xe9\\scomment",
        b"D 2024-03-01T10:00:00.000",
        b"F a\\sb.txt " + _sha3(plain).encode(),
        b"F f\xe9.txt " + _sha3(latin).encode(),
        b"T *branch * trunk",
        b"T *sym-trunk *",
        b"U j\xe9r\xf4me",
    ])
    second = _artifact([  # a delta manifest: its files are first's, minus f\xe9.txt
        b"B " + _sha3(first).encode(),
        b"C second",
        b"D 2024-03-01T11:00:00.000",
        b"F f\xe9.txt",
        b"P " + _sha3(first).encode(),
        b"U j\xe9r\xf4me",
    ])
    wiki = _artifact([b"D 2024-03-01T12:00:00.000", b"L p\xe9ge", b"N text/x-markdown", b"U j\xe9r\xf4me", b"W"],
                     b"Caf\xe9 *wiki* text\n")
    forum = _artifact([b"D 2024-03-01T13:00:00.000", b"H Th\xe9\\sread", b"N text/x-fossil-wiki",
                       b"U j\xe9r\xf4me", b"W"], b"Post caf\xe9 body")
    ticket = _artifact([b"D 2024-03-01T14:00:00.000", b"J comment caf\xe9\\scomment", b"J title bug\\s\xe9",
                        b"K " + TKT.encode(), b"U j\xe9r\xf4me"])
    note = _artifact([b"C note\\s\xe9", b"D 2024-03-01T15:00:00.000", b"E 2024-03-01T15:00:00 " + NOTE_ID.encode(),
                      b"U j\xe9r\xf4me", b"W"], b"Note caf\xe9 text\n")
    cluster = _artifact([b"M " + x.encode() for x in sorted((_sha3(latin), _sha3(plain)))])
    return {"latin": latin, "plain": plain, "first": first, "second": second, "wiki": wiki,
            "forum": forum, "ticket": ticket, "note": note, "cluster": cluster}


@pytest.fixture(scope="module")
def latin1_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(app, artifact name -> hash, repository) over the hand-written artifacts, crosslinked by fossilpy
    (tests/compat/test_non_utf8.py checks that fossil rebuild makes the same tables of such artifacts)."""
    repo = new_repo(tmp_path_factory.mktemp("reader") / "r.fossil")
    arts = _artifacts()
    add_artifacts(repo, arts.values())
    con = sqlite3.connect(repo)
    with con:
        con.execute("UPDATE user SET cap='ojr2' WHERE login='nobody'")
    con.close()
    return make_app(AppConfig(repository=str(repo))), {k: _sha3(v) for k, v in arts.items()}, repo


def _get(app, path: str) -> bytes:  # type: ignore[no-untyped-def]
    reply = call(app, path)
    assert reply.status == 200, (path, reply.status, reply.body[:300])
    assert REPLACEMENT not in reply.body, path
    return reply.body


def test_file_names_from_f_cards(latin1_app) -> None:  # type: ignore[no-untyped-def]
    app, h, _ = latin1_app
    body = _get(app, f"/dir?ci={h['first']}")
    assert b"f\xe9.txt" in body and b"a b.txt" in body  # escapes undone, bytes as stored
    assert b"f\xe9.txt" in _get(app, f"/tree?ci={h['first']}")
    second = _get(app, f"/dir?ci={h['second']}")  # the baseline's files minus the removed one
    assert b"a b.txt" in second and b"f\xe9.txt" not in second
    # a Latin-1 name in the URL finds the file (its content is shown as the
    # text of a file, not of an artifact card, so only the name is checked)
    page = call(app, f"/file?name=f%E9.txt&ci={h['first']}")
    assert page.status == 200 and b"File f\xe9.txt" in page.body
    assert call(app, f"/file?name=f%E9.txt&ci={h['second']}").status == 404
    diff = call(app, f"/vdiff?from={h['first']}&to={h['second']}").body  # (diffs file content too)
    assert b"f\xe9.txt" in diff and b"f" + REPLACEMENT + b".txt" not in diff


def test_wiki_text_from_w_card(latin1_app) -> None:  # type: ignore[no-untyped-def]
    app, h, _ = latin1_app
    assert b"Caf\xe9 <em>wiki</em> text" in _get(app, "/wiki?name=p%E9ge")
    assert b"Caf\xe9 <em>wiki</em> text" in _get(app, f"/info/{h['wiki']}")
    assert b"Note caf\xe9 text" in _get(app, f"/info/{h['note']}")


def test_forum_cards(latin1_app) -> None:  # type: ignore[no-untyped-def]
    app, h, _ = latin1_app
    listing = _get(app, "/forum")
    assert b"Th\xe9 read</a></td><td>j\xe9r\xf4me</td>" in listing
    thread = _get(app, f"/forumpost/{h['forum'][:12]}")
    assert b"<h1>Th\xe9 read</h1>" in thread and b"Post caf\xe9 body" in thread and b"j\xe9r\xf4me" in thread
    info = _get(app, f"/info/{h['forum']}")
    assert b"Forum post: Th\xe9 read" in info and b"Post caf\xe9 body" in info


def test_ticket_change_cards(latin1_app) -> None:  # type: ignore[no-untyped-def]
    app, h, _ = latin1_app
    body = _get(app, f"/info/{h['ticket']}")
    assert b"<tr><th>title</th><td>bug \xe9</td></tr>" in body
    assert b"<tr><th>comment</th><td>caf\xe9 comment</td></tr>" in body
    assert f"<code>{TKT}</code>".encode() in body


def test_artifact_kinds(latin1_app) -> None:  # type: ignore[no-untyped-def]
    """What /info and /whatis call each artifact; the parser tells a cluster
    (which fossil's rebuild also tags "cluster", so it shows as a tag)."""
    from fossilpy.artifact.manifest import ArtifactType
    from fossilpy.repo.db import Repo
    from fossilpy.web import names

    _, h, path = latin1_app
    with Repo.open(str(path), readonly=True) as repo:
        rids = {k: repo.one("SELECT rid FROM blob WHERE uuid=?", (v,)) for k, v in h.items()}
        kinds = {k: names.artifact_kind(repo, rid) for k, rid in rids.items()}
        parsed = names.read_artifact(repo, rids["cluster"])
        assert parsed is not None and parsed.type == ArtifactType.CLUSTER
        assert names.read_artifact(repo, rids["latin"]) is None
    assert kinds == {"latin": "file", "plain": "file", "first": "checkin", "second": "checkin",
                     "wiki": "wiki", "forum": "forum", "ticket": "ticket", "note": "technote",
                     "cluster": "tag"}
