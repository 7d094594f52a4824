"""A person in chromium files a ticket, comments on it, closes it and finds it in a report.

Hostile content (a script tag, an event handler, a ``javascript:`` link, SVG
with script) is typed into the title and the comments; the test records
any dialog the page opens and any script error: none may happen.
Screenshots: tests/artifacts/tickets/.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.web.browser import chromium_page, login, serve_app, shot

HOSTILE_TITLE = "Crash <script>alert('title')</script> <img src=x onerror=alert('img')>"
HOSTILE_BODY = (
    "Steps:\n\n1. open the *editor*\n2. click [here](javascript:alert('md'))\n\n"
    "<svg onload=alert('svg')><script>alert('svg2')</script></svg>\n"
)


def _sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, args).fetchall()
    finally:
        db.close()


def test_file_comment_close_and_report(repo_copy: Path) -> None:
    _sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES('tess','tesspw','nrwcteh','Tess <tess@example.org>')")
    _sql(repo_copy, "UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    dialogs: list[str] = []
    with serve_app(repo_copy) as base, chromium_page() as (page, problems):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, base, "tess", "tesspw")
        page.goto(base + "/ticket")
        shot(page, "tickets", "01-ticket-menu")
        page.click("a:text-is('New ticket')")
        page.fill("input[name=title]", HOSTILE_TITLE)
        page.select_option("select[name=type]", "Code_Defect")
        page.select_option("select[name=severity]", "Important")
        page.fill("input[name=foundin]", "2.21")
        page.fill("textarea[name=icomment]", HOSTILE_BODY)
        page.click("input[name=preview]")
        page.wait_for_load_state()
        shot(page, "tickets", "02-new-preview")
        assert page.locator("em", has_text="editor").count() == 1
        page.click("input[name=submit]")
        page.wait_for_load_state()
        ((uuid, title, status),) = _sql(
            repo_copy, "SELECT tkt_uuid, title, status FROM ticket WHERE title LIKE 'Crash%'"
        )
        assert (title, status) == (HOSTILE_TITLE, "Open")
        assert page.url == f"{base}/tktview/{uuid}"
        shot(page, "tickets", "03-view")
        assert page.locator("td.tktDspValue", has_text="Code_Defect").count() == 1
        assert page.locator("td.tktDspValue", has_text="tess@example.org").count() == 1

        page.click("a[href*='/tktedit/']")
        page.wait_for_load_state()
        shot(page, "tickets", "03b-edit")
        page.fill("textarea[name=icomment]", "Reproduced; <b onmouseover=alert('b')>bold</b> fix coming.")
        page.select_option("select[name=mutype]", "Wiki")
        page.click("input[name=preview]")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        page.click("a[href*='/tktedit/']")
        page.select_option("select[name=status]", "Closed")
        page.select_option("select[name=resolution]", "Fixed")
        page.fill("textarea[name=icomment]", "Fixed in trunk.")
        page.click("input[name=preview]")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        shot(page, "tickets", "04-closed")
        assert page.locator("td.tktDspValue", has_text="Closed").count() == 1
        commenters = page.locator("span.tktDspCommenter").all_inner_texts()
        assert len(commenters) == 3 and all(c.startswith("tess added on ") for c in commenters)
        page.hover("b", timeout=2000)

        page.goto(base + "/reportlist")
        page.click("a:text-is('All Tickets')")
        page.wait_for_load_state()
        shot(page, "tickets", "05-report")
        row = page.locator(f"tr:has(a[href$='/tktview/{uuid[:10]}'])")
        assert row.count() == 1
        assert "Closed" in row.inner_text()
        assert row.get_attribute("style") == "background-color:#c8c8c8"
        page.click(f"a[href$='/tktview/{uuid[:10]}']")
        page.wait_for_load_state()
        page.click("a[href*='/tkthistory/']")
        page.wait_for_load_state()
        shot(page, "tickets", "06-history")
        assert page.locator("ol.tkt-changes > li").count() == 3
    assert dialogs == []
    assert problems == []
    assert _sql(repo_copy, "SELECT status, resolution FROM ticket WHERE tkt_uuid=?", (uuid,)) == [("Closed", "Fixed")]
