"""Displayed times are truncated to the second, as Fossil shows them.

Fossil formats a Julian day number with SQLite's ``datetime()``: the day
number is taken to the nearest millisecond and the seconds are then cut,
so a D card of ``12:00:30.783`` shows as ``12:00:30`` (never ``:31``) and
``23:59:59.999`` stays on its own day.  The shared formatter
(``fossilpy.web.render.julian_to_text``) is checked against SQLite itself,
then the pages are compared with the real ``fossil server`` on one
repository holding a check-in, a wiki page, a forum post and a ticket
change at each of those two instants.
"""

from __future__ import annotations

import random
import re
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from fossilpy.web.render import julian_to_text
from tests.builders import artifact, store_raw
from tests.conftest import Runner
from tests.net import fossil_serving
from tests.web.conftest import sql
from tests.web.wsgi import call

TICKET = "0123456789abcdef0123456789abcdef01234567"
NOON = "2024-01-01T12:00:30.783"
MIDNIGHT = "2024-01-01T23:59:59.999"
_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def test_formatter_is_sqlite_datetime() -> None:
    """julian_to_text agrees with SQLite's datetime() (what Fossil uses) to the byte."""
    db = sqlite3.connect(":memory:")
    rng = random.Random(11)
    stamps = [
        NOON,
        MIDNIGHT,
        "2024-02-28T23:59:59.999",
        "1999-12-31T23:59:59.500",
        "2024-01-01T00:00:00.000",
        "2024-01-01T12:00:59.999",
        "1970-01-01T00:00:00.001",
    ]
    stamps += [
        f"20{rng.randrange(10, 40)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        f"T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}"
        for _ in range(2000)
    ]
    for stamp in stamps:
        jd, want, day, hm = db.execute(
            "SELECT julianday(?1), datetime(julianday(?1)), date(julianday(?1)), strftime('%H:%M', julianday(?1))",
            (stamp,),
        ).fetchone()
        assert julian_to_text(jd) == want, stamp
        assert julian_to_text(jd, "%Y-%m-%d") == day, stamp
        assert julian_to_text(jd, "%H:%M") == hm, stamp
    assert julian_to_text(db.execute("SELECT julianday(?)", (NOON,)).fetchone()[0]) == "2024-01-01 12:00:30"
    assert julian_to_text(db.execute("SELECT julianday(?)", (MIDNIGHT,)).fetchone()[0]) == "2024-01-01 23:59:59"
    assert julian_to_text(None) == ""


@pytest.fixture
def timed_repo(fossil: Runner, tmp_path: Path) -> dict[str, str]:
    """A repository (made and rebuilt by fossil) with check-ins, a wiki page, a forum
    post and ticket changes dated NOON and MIDNIGHT; name -> hash, and "path"."""
    repo = tmp_path / "t.fossil"
    fossil("init", "-A", "root", "--date-override", "2024-01-01T10:00:00", repo)
    work = tmp_path / "co"
    work.mkdir()
    fossil("open", repo, cwd=work)
    (work / "a.txt").write_text("one\n")
    fossil("add", "a.txt", cwd=work)
    fossil("commit", "-m", "first", "--user", "root", "--date-override", NOON, cwd=work)
    (work / "a.txt").write_text("two lines\nmore\n")
    fossil("commit", "-m", "second", "--user", "root", "--date-override", MIDNIGHT, cwd=work)
    wiki = artifact([f"D {NOON}", "L TimePage", "N text/x-markdown", "U root", "W"], "Some *text*.\n")
    wiki2 = artifact(
        [f"D {MIDNIGHT}", "L TimePage", "N text/x-markdown", "P " + _sha3(wiki), "U root", "W"], "Some *more* text.\n"
    )
    forum = artifact([f"D {NOON}", "H Time\\sthread", "N text/x-markdown", "U root", "W"], "A post.\n")
    reply = artifact(
        [f"D {MIDNIGHT}", f"G {_sha3(forum)}", f"I {_sha3(forum)}", "N text/x-markdown", "U root", "W"], "A reply.\n"
    )
    tkt = artifact([f"D {NOON}", "J status Open", "J title Time\\sticket", f"K {TICKET}", "U root"])
    tkt2 = artifact([f"D {MIDNIGHT}", "J +icomment appended\\scomment", f"K {TICKET}", "U root"])
    store_raw(repo, [wiki, wiki2, forum, reply, tkt, tkt2])
    fossil("rebuild", repo)
    sql(repo, "UPDATE user SET cap='s' WHERE login='nobody'")
    ci = dict(sql(repo, "SELECT comment, uuid FROM event JOIN blob ON rid=objid WHERE type='ci'"))
    return {
        "path": str(repo),
        "initial": ci["initial empty check-in"],
        "first": ci["first"],
        "second": ci["second"],
        "wiki": _sha3(wiki),
        "wiki2": _sha3(wiki2),
        "forum": _sha3(forum),
        "reply": _sha3(reply),
    }


def _sha3(data: bytes) -> str:
    import hashlib

    return hashlib.sha3_256(data).hexdigest()


def _pages(h: dict[str, str]) -> list[str]:
    return [
        f"/info/{h['first'][:12]}",
        f"/info/{h['second'][:12]}",
        f"/info/{h['wiki2'][:12]}",
        f"/forumpost/{h['forum'][:12]}",
        f"/forumpost/{h['reply'][:12]}",
        f"/vdiff?from={h['first'][:12]}&to={h['second'][:12]}",
        "/wiki?name=TimePage",
        f"/tktview/{TICKET[:10]}",
        "/timeline",
    ]


def test_pages_show_times_as_fossil_server(timed_repo: dict[str, str], fossil: Runner) -> None:
    """Every time our pages show is one fossil server shows for the same repository,
    and the two instants are shown cut to the second on each page."""
    app = make_app(AppConfig(repository=timed_repo["path"]))
    ours: dict[str, set[str]] = {}
    for page in _pages(timed_repo):
        r = call(app, page)
        assert r.status == 200, page
        ours[page] = set(_STAMP.findall(r.text))
    theirs: set[str] = set()
    with fossil_serving(fossil.argv0, timed_repo["path"], env=fossil.env) as port:
        for page in [
            *_pages(timed_repo),
            "/whistory?name=TimePage",
            f"/info/{timed_repo['forum'][:12]}",
            f"/info/{timed_repo['reply'][:12]}",
            f"/info/{timed_repo['initial'][:12]}",
        ]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=30) as reply:
                theirs |= set(_STAMP.findall(reply.read().decode()))
    assert {"2024-01-01 12:00:30", "2024-01-01 23:59:59"} <= theirs
    for page, stamps in ours.items():
        assert stamps <= theirs, (page, stamps - theirs)
    assert "2024-01-01 12:00:30" in ours[f"/info/{timed_repo['first'][:12]}"]
    assert "2024-01-01 23:59:59" in ours[f"/info/{timed_repo['second'][:12]}"]
    assert "2024-01-01 23:59:59" in ours[f"/info/{timed_repo['wiki2'][:12]}"]
    assert "2024-01-01 12:00:30" in ours[f"/forumpost/{timed_repo['forum'][:12]}"]
    assert "2024-01-01 23:59:59" in ours[f"/forumpost/{timed_repo['reply'][:12]}"]
    assert {"2024-01-01 23:59:59"} <= ours[f"/tktview/{TICKET[:10]}"]  # last modified, comment time (as Fossil)
    assert {"2024-01-01 12:00:30", "2024-01-01 23:59:59"} <= ours[
        f"/vdiff?from={timed_repo['first'][:12]}&to={timed_repo['second'][:12]}"
    ]
    assert ours["/wiki?name=TimePage"] <= {"2024-01-01 23:59:59"}
    assert {"2024-01-01 12:00:30", "2024-01-01 23:59:59"} <= ours["/timeline"]
    everything = set().union(*ours.values())
    assert not everything & {"2024-01-01 12:00:31", "2024-01-02 00:00:00"}
