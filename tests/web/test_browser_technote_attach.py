"""A person in headless chromium writes a technote, attaches files to it and
to a wiki page, sees them listed, on the timeline and in /info, and
downloads one; an attached HTML page with script never runs.

Screenshots: ``tests/artifacts/technote_attach/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.browser import chromium_page, login, serve_app, shot
from tests.web.conftest import sql

HOSTILE = (
    b"<html><body><h1>hi</h1><script>alert('attached script ran')</script><img src=x onerror=alert(2)></body></html>\n"
)


def test_technote_and_attachments_in_a_browser(repo_copy: Path) -> None:
    sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    dialogs: list[str] = []
    with serve_app(repo_copy) as base, chromium_page() as (page, problems):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, base, "root", "rootpw")

        # a new technote: fill the form, preview, submit
        page.goto(base + "/technoteedit")
        page.fill("input[name=t]", "2024-06-01 12:00:00")
        page.fill("textarea[name=c]", "Release 2.0 is out")
        page.fill("input[name=g]", "release, v2")
        page.check("input[name=newclr]")
        page.select_option("select[name=mimetype]", "text/x-markdown")
        page.fill("textarea[name=w]", "# Release 2.0\n\nWhat is new:\n\n* faster\n* <script>alert('x')</script>safer\n")
        page.click("input[name=preview]")
        page.wait_for_load_state()
        assert "Page content preview:" in page.content()
        shot(page, "technote_attach", "01-technote-preview")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        assert re.search(r"/technote\?name=[0-9a-f]{40}$", page.url), page.url
        note_id = page.url.rsplit("=", 1)[1]
        assert page.inner_text("h1.technote-title") == "Release 2.0"
        assert page.inner_text(".technote-body li >> nth=1").endswith("safer")
        assert page.locator("main script").count() == 0
        shot(page, "technote_attach", "02-technote")

        # attach a file to it through the Attach link
        page.click("text=Attach")
        page.wait_for_load_state()
        assert "Add Attachment To" in page.inner_text("h2")
        page.set_input_files(
            "input[name=f]",
            files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Release notes, plain text.\n"}],
        )
        page.fill("textarea[name=comment]", "The full notes")
        shot(page, "technote_attach", "03-attachadd")
        page.click("input[name=ok]")
        page.wait_for_load_state()
        assert page.url == f"{base}/technote/{note_id}"
        assert "Attachments:" in page.inner_text("main")
        assert page.inner_text("main li a >> nth=0") == "notes.txt"
        shot(page, "technote_attach", "04-technote-with-attachment")

        # attach a hostile HTML page to the wiki page Home
        page.goto(base + "/attachadd?page=Home&from=/attachlist?page=Home")
        page.set_input_files("input[name=f]", files=[{"name": "evil.html", "mimeType": "text/html", "buffer": HOSTILE}])
        page.click("input[name=ok]")
        page.wait_for_load_state()
        assert page.url == f"{base}/attachlist?page=Home"
        assert page.inner_text("h1") == "Attachments To Home"
        shot(page, "technote_attach", "05-attachlist")

        # download it: the same bytes, as a file (never rendered)
        with page.expect_download() as dl:
            page.click("text=download")
        download = dl.value
        assert download.suggested_filename == "evil.html"
        assert Path(download.path()).read_bytes() == HOSTILE

        # view it: shown as text, its script does not run
        page.click("main a:text('evil.html')")
        page.wait_for_load_state()
        assert "alert('attached script ran')" in page.inner_text("main")
        shot(page, "technote_attach", "06-attachview")
        page.goto(base + "/attachimage?page=Home&file=evil.html")
        assert "<script>" in page.inner_text("body")  # plain text, not a document

        # the timeline and /info show attachments as fossil does
        page.goto(base + "/timeline?y=all")  # (the default is check-ins only, as Fossil)
        rows = page.inner_text("table")
        assert "Add attachment evil.html to wiki page Home" in rows
        assert f"Add attachment notes.txt to tech note {note_id[:10]}" in rows
        assert "[/artifact/" not in page.content()
        shot(page, "technote_attach", "07-timeline")
        page.click("a:text('evil.html') >> nth=0")
        page.wait_for_load_state()
        page.go_back()
        uuid = sql(repo_copy, "SELECT uuid FROM blob WHERE rid=(SELECT max(attachid) FROM attachment)")[0][0]
        page.goto(f"{base}/info/{uuid}")
        assert page.inner_text("h1") == "Attachment Details"
        shot(page, "technote_attach", "08-info")
        page.goto(base + "/timeline?y=e")
        assert "Release 2.0 is out" in page.inner_text("table")
    assert dialogs == []
    # the web test repository's XSS check-in comment keeps a harmless <img src=x> (no onerror): its 404 only
    assert [p for p in problems if not p.endswith("/x")] == []
    assert sql(repo_copy, "SELECT filename, user FROM attachment ORDER BY attachid") == [
        ("notes.txt", "root"),
        ("evil.html", "root"),
    ]
