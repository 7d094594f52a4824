"""Fixtures for the web application tests.

``webrepo`` is one repository built by fossilpy itself (no fossil binary
needed; ``tests/compat/test_builders_fossil.py`` checks that ``fossil
rebuild`` derives the same tables from it), shared by the whole session and
never written to by tests; ``repo_copy`` gives a test its own copy to modify.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import HOME_WIKI, MD_WIKI, XSS_COMMENT, WebRepo, build_web_repo
from tests.limits import time_limit

__all__ = ["HOME_WIKI", "MD_WIKI", "XSS_COMMENT", "WebRepo", "sql"]


@pytest.fixture(scope="session")
def webrepo(tmp_path_factory: pytest.TempPathFactory) -> WebRepo:
    """The web tests' repository, built by fossilpy alone (:func:`tests.builders.build_web_repo`)."""
    return build_web_repo(tmp_path_factory.mktemp("webrepo") / "web.fossil")


def sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    """Run one statement on the repository file ``path`` (committed); its rows."""
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def repo_copy(webrepo: WebRepo, tmp_path: Path) -> Path:
    """A private copy of the session repository, free to modify."""
    dest = tmp_path / "copy.fossil"
    shutil.copyfile(webrepo.path, dest)
    return dest


def enable_alerts(path: Path, url: str) -> Path:
    """Turn email alerts on in the repository ``path`` (method off, ``url``, subject prefix [web],
    sender bot@fossil.example); nobody may subscribe (caps o7jr)."""
    from fossilpy.backoffice import alerts
    from fossilpy.repo.db import Repo

    with Repo.open(str(path)) as r:
        alerts.ensure_schema(r)
        for k, v in {"email-send-method": "off", "email-url": url, "email-subname": "[web]",
                     "email-self": "bot@fossil.example"}.items():
            r.config_set(k, v)
    sql(path, "UPDATE user SET cap='o7jr' WHERE login='nobody'")
    return path


@pytest.fixture
def bounded() -> Iterator[None]:
    """The test must finish within 30 s: garbage in a request must never hang the app."""
    with time_limit(30):
        yield


@pytest.fixture
def app(webrepo: WebRepo):  # type: ignore[no-untyped-def]
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(webrepo.path)))
