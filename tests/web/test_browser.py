"""A real browser (Debian's chromium via Playwright) logs in and browses.

The app is served by ``wsgiref.simple_server`` on 127.0.0.1 (a free port)
in a thread.  Screenshots are kept in the test's tmp dir and copied to
``tests/artifacts/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_binary
from tests.web.browser import ARGS, playwright, serve_app


@pytest.fixture
def served(repo_copy: Path):  # type: ignore[no-untyped-def]
    with serve_app(repo_copy) as base:
        yield base


def test_browser_login_timeline_checkin_file(served: str, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    sync_playwright = playwright()
    shots = tmp_path / "shots"
    shots.mkdir()
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 860})
            page.on("console", lambda m: problems.append(m.text)
                    if m.type == "error" and "Failed to load resource" not in m.text else None)
            # /x: the img in a test comment
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/x") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(served + "/login")
            page.screenshot(path=str(shots / "01-login.png"), full_page=True)
            page.fill("#u", "alice")
            page.fill("#p", "pw1")
            page.click("input[type=submit][name=in]")
            page.wait_for_load_state()
            assert page.inner_text(".site-login .who") == "alice"
            page.goto(served + "/timeline?y=all")  # (the default is check-ins only, as Fossil)
            assert page.locator(".timeline-row").count() >= 10
            assert page.locator(".gn").count() == 7
            page.screenshot(path=str(shots / "02-timeline.png"), full_page=True)
            page.locator(".timeline-row", has_text="merge feat into trunk").locator("a.hash").click()
            page.wait_for_load_state()
            assert page.inner_text(".page-title").startswith("Check-in [")
            assert "merge feat into trunk" in page.inner_text("main")
            assert page.locator(".filelist li").count() >= 1
            page.screenshot(path=str(shots / "03-checkin.png"), full_page=True)
            page.goto(served + "/timeline?y=ci")
            page.locator(".timeline-row", has_text="fix").locator("a.hash").click()
            page.wait_for_load_state()
            assert page.locator("table.splitdiff td.difftxtr ins > ins").count() == 1
            page.screenshot(path=str(shots / "04-diff.png"), full_page=True)
            page.locator(".filelist a", has_text="src/a.py").click()
            page.wait_for_load_state()
            assert "print(2)" in page.inner_text("table.source")
            page.screenshot(path=str(shots / "05-file.png"), full_page=True)
            page.goto(served + "/dir?ci=tip")
            page.screenshot(path=str(shots / "06-dir.png"), full_page=True)
            page.goto(served + "/home")
            assert page.evaluate("typeof window.alertCalled") == "undefined"
            page.screenshot(path=str(shots / "07-home.png"), full_page=True)
            page.goto(served + "/logout")  # asks for confirmation: still logged in
            assert page.inner_text(".site-login .who") == "alice"
            page.click("input[type=submit][name=out]")
            page.wait_for_load_state()
            assert page.locator(".site-login .who").count() == 0
        finally:
            browser.close()
    assert problems == []
    keep = ROOT / "tests" / "artifacts" / "web-browser"
    keep.mkdir(parents=True, exist_ok=True)
    for shot in sorted(shots.iterdir()):
        assert shot.stat().st_size > 5000
        shutil.copyfile(shot, keep / shot.name)
