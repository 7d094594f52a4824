"""/heatmap: exact counts in the tooltips, u= and y=, capabilities, private content,
and a screenshot (tests/artifacts/heatmap/)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField
from fossilpy.web.app import AppConfig, make_app
from tests.builders import _Writer
from tests.web.wsgi import call


@pytest.fixture(scope="module")
def hrepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Check-ins by root on 2024-01-02 (the initial one), 2024-03-05 (3), 2024-03-06 (1) and a
    private one on 2024-06-10; wiki edits by alice on 2024-03-05 (2); a ticket change by bob on
    2024-03-06.  Users: obs (o), tix (r), wik (j), none (h only); root has s and x; nobody has no caps."""
    from fossilpy.repo import users
    from fossilpy.repo.create import create_repository

    path = tmp_path_factory.mktemp("heatmap") / "h.fossil"
    repo = create_repository(path, admin_user="root", project_name="Heat", date="2024-01-02 10:00:00")
    try:
        with repo.write():
            w = _Writer(repo)
            tip = repo.one("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci'")
            files = {"a.txt": b"0\n"}
            for i, when in enumerate(
                ("2024-03-05T09:00:00", "2024-03-05T12:00:00", "2024-03-05T23:59:00", "2024-03-06T00:00:01")
            ):
                files["a.txt"] += b"%d\n" % i
                tip = w.checkin(f"work {i}", files, [tip], date=when + ".000")
            w.checkin("PRIVATE work", {"a.txt": b"secret\n"}, [tip], date="2024-06-10T10:00:00.000", private=True)
            for i, when in enumerate(("2024-03-05T08:00:00.000", "2024-03-05T20:00:00.000")):
                w.put(
                    Manifest(
                        type=ArtifactType.WIKI, date=when, wiki_title="Notes", user="alice", text=f"v{i}\n"
                    ).to_bytes()
                )
            w.put(
                Manifest(
                    type=ArtifactType.TICKET,
                    date="2024-03-06T15:00:00.000",
                    ticket_uuid="ab" * 20,
                    user="bob",
                    fields=[TicketField("status", "Open"), TicketField("title", "t")],
                ).to_bytes()
            )
        for login, caps in (("obs", "o"), ("tix", "r"), ("wik", "j"), ("none", "h")):
            users.create_user(repo, login, password=f"{login}pw", caps=caps, contact="")
        repo.execute("UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
        repo.execute("UPDATE user SET pw='rootpw', cap='sx' WHERE login='root'")
    finally:
        repo.close()
    return path


def _app(path: Path):  # type: ignore[no-untyped-def]
    return make_app(AppConfig(repository=str(path), backoffice=False))


def _as(app, user: str, pw: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = call(app, "/login", form={"u": user, "p": pw})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return {name: value.replace("/", "%2F")}


def _busy_days(text: str) -> list[str]:
    """Tooltips of the calendar's days that had something."""
    svg = text[text.index('<svg class="heatmap"') : text.index("</svg>")]
    return [t for t in re.findall(r"<title>([^<]*)</title>", svg) if not t.endswith(": 0 check-ins, 0 other events")]


def _weeks(text: str) -> list[str]:
    svg = text[text.index('<svg class="heatmap-weeks"') :]
    return [t for t in re.findall(r"<title>(Week of [^<]*)</title>", svg) if not t.endswith(": 0 check-ins")]


def test_counts_in_tooltips(hrepo: Path) -> None:
    app = _app(hrepo)
    # obs (o) sees check-ins, not wiki or tickets, not the private check-in
    r = call(app, "/heatmap", cookies=_as(app, "obs", "obspw"))
    assert r.status == 200
    assert _busy_days(r.text) == [
        "2024-01-02: 1 check-in, 0 other events",
        "2024-03-05: 3 check-ins, 0 other events",
        "2024-03-06: 1 check-in, 0 other events",
    ]
    assert "<h1>Activity, 2023-03-08 to 2024-03-06</h1>" in r.text  # the year up to the newest event
    assert r.text.count("<rect") == 365 + 53 + 0  # days + weekly bars (53 weeks shown)
    assert _weeks(r.text) == ["Week of 2023-12-31: 1 check-in", "Week of 2024-03-03: 4 check-ins"]
    assert "PRIVATE" not in r.text and "2024-06-10" not in r.text
    # root (setup and x) sees everything, private included, and the year moves to its date
    r = call(app, "/heatmap", cookies=_as(app, "root", "rootpw"))
    assert _busy_days(r.text) == [
        "2024-01-02: 1 check-in, 0 other events",
        "2024-03-05: 3 check-ins, 2 other events",
        "2024-03-06: 1 check-in, 1 other event",
        "2024-06-10: 1 check-in, 0 other events",
    ]
    assert "6 check-ins and 3 other events on 4 days; busiest day 2024-03-05: 3 check-ins, 2 other events." in r.text
    # tix (r) sees the ticket change only; wik (j) the wiki edits only
    r = call(app, "/heatmap", cookies=_as(app, "tix", "tixpw"))
    assert _busy_days(r.text) == ["2024-03-06: 0 check-ins, 1 other event"]
    r = call(app, "/heatmap", cookies=_as(app, "wik", "wikpw"))
    assert _busy_days(r.text) == ["2024-03-05: 0 check-ins, 2 other events"]


def test_user_and_year(hrepo: Path) -> None:
    app = _app(hrepo)
    root = _as(app, "root", "rootpw")
    r = call(app, "/heatmap?u=alice", cookies=root)
    assert _busy_days(r.text) == ["2024-03-05: 0 check-ins, 2 other events"]
    assert "<h1>Activity of alice, 2023-03-07 to 2024-03-05</h1>" in r.text
    r = call(app, "/heatmap?u=nobody-at-all", cookies=root)
    assert r.status == 200 and _busy_days(r.text) == []
    r = call(app, "/heatmap?y=2024", cookies=root)
    assert "<h1>Activity, 2024-01-01 to 2024-12-31</h1>" in r.text
    assert len(re.findall(r'<rect [^>]*data-date="', r.text)) == 366
    assert len(_busy_days(r.text)) == 4
    r = call(app, "/heatmap?y=2023&u=root", cookies=root)
    assert _busy_days(r.text) == []
    assert '<option value="2024">2024</option>' in r.text
    assert call(app, "/heatmap?y=24", cookies=root).status == 400
    assert call(app, "/heatmap?y=%3Cscript%3E", cookies=root).status == 400
    r = call(app, "/heatmap?u=%3Cscript%3Ealert(1)%3C/script%3E", cookies=root)
    assert r.status == 200 and "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text


def test_capabilities(hrepo: Path) -> None:
    app = _app(hrepo)
    r = call(app, "/heatmap")
    assert r.status == 302 and r.header("Location").endswith("/login?g=heatmap")
    r = call(app, "/heatmap", cookies=_as(app, "none", "nonepw"))
    assert r.status == 302


def test_linked_from_stat_and_reports(hrepo: Path) -> None:
    app = _app(hrepo)
    root = _as(app, "root", "rootpw")
    assert 'href="/heatmap"' in call(app, "/stat", cookies=root).text
    assert 'href="/heatmap"' in call(app, "/reports", cookies=root).text


def test_fast_on_20000_checkins(tmp_path: Path) -> None:
    """One grouped query: 20,000 check-in events over two years answer well under a second."""
    import sqlite3

    from fossilpy.repo.create import create_repository

    path = tmp_path / "big.fossil"
    create_repository(path, admin_user="root", date="2022-01-01 00:00:00").close()
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO event(type,mtime,objid,user,comment) VALUES('ci',?,?,?,'c')",
            ((2459581.0 + i * 730 / 20000, 100000 + i, f"u{i % 7}") for i in range(20000)),
        )
        db.execute("UPDATE user SET pw='rootpw' WHERE login='root'")
    db.close()
    app = _app(path)
    root = _as(app, "root", "rootpw")
    started = time.perf_counter()
    r = call(app, "/heatmap", cookies=root)
    elapsed = time.perf_counter() - started
    assert r.status == 200
    days = _busy_days(r.text)
    assert len(days) == 365
    assert sum(int(re.search(r": (\d+) check-in", d).group(1)) for d in days) == pytest.approx(10000, abs=30)
    assert elapsed < 1.0, elapsed


def test_screenshot(hrepo: Path) -> None:
    from tests.web.browser import chromium_page, login, serve_app, shot

    with serve_app(hrepo, backoffice=False) as base, chromium_page() as (page, problems):
        login(page, base, "root", "rootpw")
        page.goto(f"{base}/heatmap?y=2024")
        assert page.locator("svg.heatmap rect").count() == 366
        shot(page, "heatmap", "heatmap-2024")
        assert problems == []
