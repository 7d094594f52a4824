"""A newcomer's first minutes, as ``fossilpy ui`` serves a new repository:
the home page says what it is and offers what to do; the person creates the
home page, names the project, and files a first ticket (preview, then submit,
as Fossil's default new-ticket page)."""

from __future__ import annotations

from pathlib import Path

from fossilpy.repo.create import create_repository
from tests.web.browser import chromium_page, serve_app, shot


def test_newcomer_makes_the_home_page(tmp_path: Path) -> None:
    repo = tmp_path / "new.fossil"
    create_repository(repo, admin_user="root").close()
    with serve_app(repo, localauth=True) as base, chromium_page() as (page, problems):
        page.goto(base + "/")
        assert page.inner_text("main h1") == "Unnamed Fossil Project"
        shot(page, "home", "01-stub")
        page.click("text=Create the home page")
        page.fill("textarea[name=content]", "# Welcome\n\nOur *first* page.\n")
        page.select_option("select[name=mimetype]", "text/x-markdown")
        page.click("input[type=submit][name=submit]")
        page.wait_for_load_state()
        page.goto(base + "/")
        assert page.inner_text("main h1") == "Welcome"
        assert page.inner_text("main em") == "first"
        shot(page, "home", "02-made")
        page.goto(base + "/setup_config")
        page.fill("input[name=pn]", "Garden")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        page.goto(base + "/")
        # no wiki page is named after the project: the page "Home" still is the home page
        assert page.inner_text("main h1") == "Welcome"
        assert page.inner_text("header .project") == "Garden"
        page.click("nav.mainmenu >> text=Tickets")
        page.wait_for_load_state()
        page.goto(base + "/tktnew")
        page.fill("input[name=title]", "Seeds do not sprout")
        page.click("input[type=submit][name=preview]")
        page.wait_for_load_state()
        page.click("input[type=submit][name=submit]")
        page.wait_for_load_state()
        assert "Seeds do not sprout" in page.inner_text("main")
        shot(page, "home", "03-ticket")
    assert problems == []
