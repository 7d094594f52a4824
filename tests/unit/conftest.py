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


#: Eight distinct SHA3-256 names for hand-made manifests.
HASHES = [f"{i:064x}" for i in range(1, 9)]


class MemoBatch:
    """What the F-line memo parsers (fmemo, fmemo_delta) use of a crosslink Batch
    (a real one needs a repository)."""

    def __init__(self) -> None:
        self.fline_memo: dict = {}  # type: ignore[type-arg]
        self.fmemo_ref = None


#: The cards after the F block of a manifest, usual and malformed, for the memo
#: parsers' differential tests (each must give what manifest.parse_or_none gives).
MANIFEST_TAILS = [
    f"P {HASHES[5]}\nU u\n",
    f"P {HASHES[5]} {HASHES[6]}\nR {'a' * 32}\nU bob\n",
    f"P {HASHES[5].upper()}\nU u\n",
    "U u\n",
    "",
    f"P {'b' * 40}\nU u\n",
    f"P {HASHES[5]}\n",
    f"P {HASHES[5]}  {HASHES[6]}\nU u\n",  # two spaces: an empty hash
    f"P {HASHES[5]} \nU u\n",  # trailing space
    f"P {HASHES[5][:50]}\nU u\n",  # wrong length
    f"P {HASHES[5]}{HASHES[6]}\nU u\n",  # no space between
    "P\nU u\n",  # empty P card
    f"P {HASHES[5]}\nR {'a' * 31}\nU u\n",
    f"P {HASHES[5]}\nR {'g' * 32}\nU u\n",
    f"P {HASHES[5]}\nU\n",
    f"P {HASHES[5]}\nU \n",
    f"P {HASHES[5]}\nU a b\n",
    f"P {HASHES[5]}\nU a\\sb\\\\c\n",
    f"P {HASHES[5]}\nQ +{HASHES[6]}\nU u\n",
    f"P {HASHES[5]}\nT *branch * x\nU u\n",
    f"N text/plain\nP {HASHES[5]}\nU u\n",
    f"U u\nP {HASHES[5]}\n",  # out of order
    f"P {HASHES[5]}\nU u\nW 3\nabc\n",  # a card no manifest has
]
