"""Fixtures shared by the unit tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fossilpy.repo.db import Repo


def new_schema_repo(path: Path) -> Repo:
    """A repository file with fossilpy's full schema and no content, opened."""
    from fossilpy.repo.schema import new_repository_sql, split_statements

    db = sqlite3.connect(path)
    for stmt in split_statements(new_repository_sql()):
        db.execute(stmt)
    db.commit()
    db.close()
    return Repo.open(path)


@pytest.fixture(scope="session")
def created_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository made by ``create_repository`` (admin alice, no check-in), made once."""
    from fossilpy.repo.create import create_repository

    path = tmp_path_factory.mktemp("created") / "empty.fossil"
    create_repository(path, admin_user="alice", initial=False).close()
    return path


@pytest.fixture
def created_repo(created_template: Path, tmp_path: Path) -> Iterator[Repo]:
    """A private copy of ``created_template``, opened."""
    import shutil

    path = tmp_path / "created.fossil"
    shutil.copy(created_template, path)
    r = Repo.open(path)
    yield r
    r.close()


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    """An empty repository with the full schema (``new_schema_repo``)."""
    r = new_schema_repo(tmp_path / "r.fossil")
    yield r
    r.close()


def manifest_fields(m):  # type: ignore[no-untyped-def]
    """A parsed manifest as a dict of its cards (None stays None), for equality checks."""
    import dataclasses

    if m is None:
        return None
    d = dataclasses.asdict(m)
    d.pop("extra")
    d.pop("source")
    return d
