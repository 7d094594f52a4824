"""A person browses the history pages of a repository made by the real fossil:
the /info page of a merge check-in (Overview rows, the Context graph), its
"branch diff" link to /vdiff?branch=, the Patch link to /vpatch, a file's
/raw bytes and the /tree with file ages.  Screenshots in tests/artifacts/info/.

The repository is the one of ``tests/compat/test_info_fossil.py`` (its
module fixture builds it with fossil; here it is built again).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.test_info_fossil import histrepo  # noqa: F401  (the fixture)


def test_browse_checkin_history(histrepo: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    from tests.web.browser import chromium_page, serve_app, shot

    repo, ci = histrepo
    with serve_app(repo) as base, chromium_page() as (page, problems):
        page.goto(f"{base}/info/{ci['f2'][:12]}")
        labels = [t.strip() for t in page.locator("table.label-value th").all_inner_texts()]
        assert labels == [
            "Comment:",
            "Downloads:",
            "Timelines:",
            "Files:",
            "SHA3-256:",
            "User\xa0&\xa0Date:",
            "Other\xa0Links:",
        ]
        # the context: the merge, its two parents and its child, the merge highlighted
        rows = page.locator("table.context tr.timeline-row")
        assert rows.count() == 4
        assert page.locator("table.context tr.timeline-selected").count() == 1
        assert page.locator("table.context svg").count() >= 1
        shot(page, "info", "01-info-merge")
        # Tarball link names the project and the check-in as fossil's
        href = page.locator("text=Tarball").get_attribute("href")
        assert href == f"/tarball/{ci['f2'][:10]}/Info-{ci['f2'][:10]}.tar.gz"
        page.click("text=branch diff")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Changes On Branch " + ci["f2"][:16]
        shot(page, "info", "02-branch-diff")
        page.goto(f"{base}/info/{ci['f3']}")
        page.click("a:text-is('Patch')")
        page.wait_for_load_state()
        text = page.locator("body").inner_text()
        assert text.startswith("Index: added.txt\n" + "=" * 66 + "\n--- added.txt\n+++ added.txt\n")
        page.goto(f"{base}/tree?ci={ci['f3'][:12]}&type=tree&mtime=1")
        ages = page.locator(".filetreeage").all_inner_texts()
        assert ages[0] == "current" and "minutes" in ages[-1]
        shot(page, "info", "03-tree-ages")
        assert problems == [] or all("favicon" in p for p in problems), problems


def test_raw_of_a_file_by_name(histrepo: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    from fossilpy.web.app import AppConfig, make_app
    from tests.web.wsgi import call

    repo, ci = histrepo
    app = make_app(AppConfig(repository=str(repo)))
    r = call(app, f"/raw?name=crlf.txt&ci={ci['t3'][:10]}")
    assert (r.status, r.body, r.header("Content-Type")) == (
        200,
        b"one\r\nTWO\r\nthree\r\n",
        "text/plain; charset=utf-8",
    )
    r = call(app, "/raw?name=logo.bin&ci=feature")
    assert (r.body, r.header("Content-Type")) == (b"\x89PNG\x00\x03\x04binary\x00", "application/octet-stream")
    assert call(app, "/raw?name=nope.txt&ci=trunk").status == 404
    with pytest.raises(AssertionError):
        assert call(app, "/raw?name=added.txt&ci=trunk").status == 200  # trunk never had it
