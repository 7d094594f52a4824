"""Users and setup in a headless chromium, as people use them (issue 12).

The setup user creates a developer (Developer, i.e. ``v``) and a reader
(Check-Out, ``o``) on /setup_uedit, turns self-registration on in
/setup_access; a visitor registers through /register (from the login
page's "Create A New Account"), logs in again, and is turned away from
every /setup_* page; the setup user renames the project on /setup_config
and changes the CSS on /setup_skinedit, and the pages show both.
Screenshots go to tests/artifacts/setup/.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.browser import chromium_page, login, serve_app, shot
from tests.web.conftest import sql


def _new_user(page, base: str, name: str, info: str, pw: str, boxes: list[str]) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/setup_ulist")
    page.click("a.button:text('Add')")
    page.wait_for_load_state()
    assert page.url.endswith("/setup_uedit")
    page.fill("input[name=login]", name)
    page.fill("textarea[name=info]", info)
    page.fill("input[name=pw]", pw)
    for box in boxes:
        page.check(f"input[name=a{box}]")
    page.click("input[name=apply]")
    page.wait_for_load_state()
    assert page.url.endswith("/setup_ulist")


def _logout(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/logout")
    page.click("input[name=out]")
    page.wait_for_load_state()


def test_people_and_setup_in_a_browser(repo_copy: Path) -> None:
    sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    with serve_app(repo_copy) as base, chromium_page() as (page, problems):
        login(page, base, "root", "rootpw")
        page.goto(base + "/setup")
        shot(page, "setup", "01-setup-menu")
        _new_user(page, base, "devel1", "Devel One <devel1@example.org>", "develpw1", ["v"])
        _new_user(page, base, "reader1", "Reader One", "readerpw1", ["o"])
        shot(page, "setup", "02-user-list")
        assert sql(repo_copy, "SELECT login, cap FROM user WHERE login IN ('devel1','reader1') ORDER BY 1") == [
            ("devel1", "v"),
            ("reader1", "o"),
        ]
        page.click("a:text('reader1')")
        page.wait_for_load_state()
        assert page.is_checked("input[name=ao]") and not page.is_checked("input[name=av]")
        shot(page, "setup", "03-edit-reader")

        page.goto(base + "/setup_access")
        page.check("input[name=selfreg]")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        assert page.is_checked("input[name=selfreg]")
        shot(page, "setup", "04-access")
        # the search engine: check-in comments, tickets and wiki
        page.goto(base + "/srchsetup")
        for box in ("sc", "st", "sw"):
            page.check(f"input[name={box}]")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        assert page.is_checked("input[name=sw]")
        _logout(page, base)

        # a visitor registers
        page.goto(base + "/login")
        page.click("input[name=self]")
        page.wait_for_load_state()
        assert page.url.endswith("/register")
        page.fill("input[name=u]", "visitor1")
        page.fill("input[name=dn]", "Visiting Reader")
        page.fill("input[name=ea]", "visitor1@example.org")
        page.fill("input[name=p]", "visitpw1")
        page.fill("input[name=cp]", "visitpw1")
        from fossilpy.web import auth

        seed = page.input_value("input[name=captchaseed]")
        secret = sql(repo_copy, "SELECT value FROM config WHERE name='captcha-secret'")[0][0]
        page.fill("input[name=captcha]", auth.captcha_answer(secret, seed))
        shot(page, "setup", "05-register")
        page.click("input[name=new]")
        page.wait_for_load_state()
        assert page.inner_text(".site-login .who") == "visitor1"
        assert sql(repo_copy, "SELECT cap FROM user WHERE login='visitor1'") == [("u",)]
        _logout(page, base)
        login(page, base, "visitor1", "visitpw1")
        assert page.inner_text(".site-login .who") == "visitor1"
        for setup_page in (
            "setup",
            "setup_ulist",
            "setup_uedit?id=1",
            "setup_config",
            "setup_access",
            "setup_settings",
            "setup_skin",
            "setup_logo",
            "admin_log",
        ):
            page.goto(f"{base}/{setup_page}")
            assert "/login?g=" in page.url, setup_page
            assert "Use a login with more privileges than" in page.inner_text(".login-why")
        shot(page, "setup", "06-reader-refused")
        # ... and searches: a ticket, a wiki page and a check-in comment
        for word, found in (
            ("bug", "Ticket: A <i>bug</i>"),
            ("welcome", "Wiki: Home"),
            ("feature", "feature work (user: root, tags: feat)"),
        ):
            page.goto(base + "/search")
            page.fill("input[name=s]", word)
            page.click("input[type=submit][value=Search]")
            page.wait_for_load_state()
            assert found in page.inner_text(".searchResult"), word
        shot(page, "setup", "06b-reader-search")
        _logout(page, base)

        # the setup user renames the project and changes the skin
        login(page, base, "root", "rootpw")
        page.goto(base + "/setup_config")
        page.fill("input[name=pn]", "Renamed Project")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        shot(page, "setup", "07-config")
        page.goto(base + "/setup_skinedit?w=0")
        page.fill(
            "textarea[name=css]",
            "body { background-color: rgb(255, 244, 214); }\n.site-title .project { color: rgb(255, 221, 120); }\n",
        )
        page.click("input[name=submit]")
        page.wait_for_load_state()
        shot(page, "setup", "08-css")
        for shown in ("/timeline", "/wiki?name=Home", "/setup_ulist"):
            page.goto(base + shown)
            assert page.title().startswith("Renamed Project"), shown
            assert page.inner_text(".site-title .project") == "Renamed Project"
            colors = page.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
                getComputedStyle(document.querySelector('.site-title .project')).color]""")
            assert colors == ["rgb(255, 244, 214)", "rgb(255, 221, 120)"], shown
        shot(page, "setup", "09-renamed-timeline")
        page.goto(base + "/admin_log")
        log = page.inner_text("table.adminLogTable")
        assert re.search(r"root\s+setup_config\s+Set entry_attribute 'project-name' to: Renamed Project", log)
        assert re.search(r"root\s+setup_uedit\s+Updated user \[reader1\] with capabilities \[o\]\.", log)
        shot(page, "setup", "10-admin-log")
        # the test repository's hostile comment and wiki page keep a harmless <img src=x>
        assert [p for p in problems if not p.endswith("/x")] == [], problems
