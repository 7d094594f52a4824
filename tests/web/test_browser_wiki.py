"""The wiki in a headless chromium, as a person uses it (issue 11).

Create a page from /wikinew, preview it, save it, edit it twice (once in
Markdown), look at the history and a diff; meet an edit conflict from a
second tab and save anyway.  The page text carries hostile content
(``<script>``, a ``javascript:`` link, ``onerror``/``onload`` attributes,
SVG): no dialog opens and no such element or attribute reaches the page.
Screenshots go to tests/artifacts/wiki/.
"""

from __future__ import annotations

from pathlib import Path

from tests.web.browser import chromium_page, login, serve_app, shot
from tests.web.conftest import sql

EVIL = (
    "<script>alert('script')</script>\n"
    '<a href="javascript:alert(2)">a javascript: link</a>\n'
    "<img src=x onerror=alert(3)>\n"
    '<svg onload="alert(4)"><circle r="5"/></svg>\n'
)

FIRST = "<h2>Browser page</h2>\n\nWritten in a browser.\n\n" + EVIL
SECOND = FIRST + "\nA second paragraph, added in the first edit.\n"
THIRD = "# Browser page\n\nNow in *Markdown*, third version.\n\n" + EVIL


def _harmless(page) -> None:  # type: ignore[no-untyped-def]
    found = page.evaluate(
        """() => {
        const w = document.querySelector('.wiki') || document.body;
        const bad = [];
        w.querySelectorAll('script, svg, iframe, object').forEach(e => bad.push(e.tagName));
        w.querySelectorAll('a[href^="javascript" i]').forEach(e => bad.push('link ' + e.href));
        w.querySelectorAll('*').forEach(e => { for (const a of e.attributes) {
            if (a.name.startsWith('on')) bad.push(e.tagName + ' ' + a.name); } });
        return bad;
    }"""
    )
    assert found == []


def test_wiki_in_a_browser(repo_copy: Path) -> None:
    sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    dialogs: list[str] = []
    with serve_app(repo_copy) as base, chromium_page() as (page, problems):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, base, "root", "rootpw")
        page.goto(base + "/wiki")
        shot(page, "wiki", "01-index")
        page.click("text=new wiki page")
        page.fill("input[name=name]", "Browser Page")
        page.select_option("select[name=mimetype]", "text/x-fossil-wiki")
        page.click("input[type=submit][value=Create]")
        page.wait_for_load_state()
        assert "/wikiedit?name=Browser%20Page" in page.url
        page.fill("textarea[name=content]", FIRST)
        page.click("input[name=preview]")
        page.wait_for_load_state()
        assert page.inner_text(".wikiedit-preview h2") == "Browser page"
        _harmless(page)
        shot(page, "wiki", "02-preview")
        page.click("input[name=submit]")
        page.wait_for_load_state()
        assert page.url.endswith("/wiki?name=Browser%20Page")
        assert "Written in a browser." in page.inner_text(".wiki")
        _harmless(page)
        shot(page, "wiki", "03-created")

        # first edit
        page.click(".submenu >> text=Edit")
        page.fill("textarea[name=content]", SECOND)
        page.click("input[name=submit]")
        page.wait_for_load_state()
        assert "added in the first edit" in page.inner_text(".wiki")

        # second edit, in Markdown; a second tab edits the same version meanwhile
        page.click(".submenu >> text=Edit")
        second = page.context.browser.new_context(viewport={"width": 1200, "height": 860})
        second.add_cookies(page.context.cookies())
        other = second.new_page()
        other.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        other.goto(base + "/wikiedit?name=Browser%20Page")
        page.select_option("select[name=mimetype]", "text/x-markdown")
        page.fill("textarea[name=content]", THIRD)
        page.click("input[name=submit]")
        page.wait_for_load_state()
        assert page.inner_text(".wiki h1") == "Browser page"
        _harmless(page)
        shot(page, "wiki", "04-markdown")

        other.fill("textarea[name=content]", SECOND + "\nThe other tab's line.\n")
        other.click("input[name=submit]")
        other.wait_for_load_state()
        assert "Edit conflict" in other.inner_text("h2")
        assert "The other tab's line." in other.input_value("textarea[name=content]")
        assert "+The other tab's line." in other.inner_text(".wiki-conflict pre")
        shot(other, "wiki", "05-conflict")
        other.click("input[value='Save anyway']")
        other.wait_for_load_state()
        assert "The other tab's line." in other.inner_text(".wiki")
        second.close()

        # history and a diff
        page.goto(base + "/wiki?name=Browser%20Page")
        page.click(".submenu >> text=History")
        page.wait_for_load_state()
        assert page.locator("table.whistory tbody tr").count() == 4
        shot(page, "wiki", "06-history")
        page.locator("a.wh-difflink").nth(1).click()
        page.wait_for_load_state()
        assert "Changes to" in page.inner_text("h2")
        assert page.locator("pre.udiff .d-add").count() > 0
        shot(page, "wiki", "07-diff")

        page.goto(base + "/wcontent")
        assert "Browser Page" in page.inner_text("table.wcontent")
        shot(page, "wiki", "08-list")
        page.goto(base + "/wiki_rules")
        assert page.locator(".wiki ul li").count() == 2
        shot(page, "wiki", "09-rules")
    assert dialogs == []
    assert [p for p in problems if not p.endswith("/x")] == []
