"""Helpers shared by the tests that drive the real fossil binary."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import Runner, base_env, require_binary


def make_runners(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Runner, Runner, Path]:
    """(fossil, fossilpy, work folder): both programs run in a fresh work
    folder with the same environment and an empty HOME inside it."""
    work = tmp_path_factory.mktemp(name)
    home = work / "home"
    home.mkdir()
    env = base_env(home)
    return (
        Runner([require_binary("fossil")], env, work),
        Runner([sys.executable, "-m", "fossilpy"], env, work),
        work,
    )
