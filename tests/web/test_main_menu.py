"""The main menu shows each entry by capability, as Fossil's default ``mainmenu`` does."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.web.wsgi import call


@pytest.fixture
def bare_app(webrepo: Any, tmp_path: Path) -> Any:
    """The web repository where nobody and anonymous have no capability of their own."""
    from fossilpy.web.app import AppConfig, make_app

    path = tmp_path / "r.fossil"
    shutil.copy(webrepo.path, path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    return make_app(AppConfig(repository=str(path), backoffice=False))


def _menu(app: Any, caps: str) -> list[str]:
    page = call(app, "/help", extra={"fossilpy.trusted_caps": caps}).text
    nav = page.split('<nav class="mainmenu">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">([^<]+)</a>", nav)


@pytest.mark.parametrize(
    ("caps", "expected"),
    [
        ("", ["Home", "Stats", "Help"]),
        ("o", ["Home", "Timeline", "Files", "Tree", "Branches", "Tags", "Stats", "Help"]),
        ("2", ["Home", "Forum", "Stats", "Help"]),
        ("C", ["Home", "Chat", "Stats", "Help"]),
        ("r", ["Home", "Timeline", "Tickets", "Stats", "Help"]),
        ("j", ["Home", "Timeline", "Wiki", "Stats", "Help"]),
        (
            "a",
            [
                "Home",
                "Timeline",
                "Files",
                "Tree",
                "Branches",
                "Tags",
                "Forum",
                "Chat",
                "Tickets",
                "Wiki",
                "Stats",
                "Help",
                "Admin",
            ],
        ),
        (
            "s",
            [
                "Home",
                "Timeline",
                "Files",
                "Tree",
                "Branches",
                "Tags",
                "Forum",
                "Chat",
                "Tickets",
                "Wiki",
                "Stats",
                "Help",
                "Admin",
            ],
        ),
    ],
)
def test_menu_by_capability(bare_app: Any, caps: str, expected: list[str]) -> None:
    assert _menu(bare_app, caps) == expected
