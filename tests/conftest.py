"""Shared fixtures: running the real ``fossil`` binary and fossilpy itself.

Tests that drive real peers (the ``fossil`` binary, nginx, lighttpd, sshd,
an SMTP server) are marked ``compat`` or ``doors``.  In CI (``CI=true``) a
missing peer is an error, never a skip: ``require_binary`` fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

pytest_plugins = ["tests.history"]

ROOT = Path(__file__).resolve().parent.parent


def require_binary(name: str) -> str:
    """Path of ``name`` on PATH (or /usr/sbin); skip locally, fail in CI."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; .ci/run must install it")
    pytest.skip(f"{name} is not installed")


def base_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for fossil/fossilpy subprocesses: USER=root, private HOME, TZ=UTC.

    Made from ``base`` (default: this process's environment) without FOSSIL*, SSH_*
    and CGI request variables."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith(("FOSSIL", "SSH_"))}
    env.update(
        USER="root",
        LOGNAME="root",
        HOME=str(home),
        TZ="UTC",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("GATEWAY_INTERFACE", None)
    env.pop("REQUEST_METHOD", None)
    return env


class Runner:
    """Runs a program with a fixed environment and working directory.

    ``runner(*args)`` returns the CompletedProcess; with ``check=True``
    (default) a non-zero exit fails the test with the full output.
    """

    def __init__(self, argv0: list[str], env: dict[str, str], cwd: Path) -> None:
        self.argv0 = argv0
        self.env = env
        self.cwd = cwd

    def __call__(
        self,
        *args: str,
        check: bool = True,
        input: bytes | str | None = None,
        cwd: Path | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess:
        if isinstance(input, str):
            input = input.encode()
        proc = subprocess.run(
            [*self.argv0, *map(str, args)],
            input=input,
            capture_output=True,
            cwd=str(cwd or self.cwd),
            env={**self.env, **(env or {})},
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"{' '.join(self.argv0 + list(map(str, args)))} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout.decode(errors='replace')}\n"
                f"stderr:\n{proc.stderr.decode(errors='replace')}"
            )
        return proc

    def text(self, *args: str, **kw) -> str:  # type: ignore[no-untyped-def]
        """stdout of a successful run, decoded."""
        return self(*args, **kw).stdout.decode()


def runner(program: str, work: Path) -> Runner:
    """A :class:`Runner` for ``"fossil"`` (the real binary) or ``"fossilpy"`` working in
    ``work``, with HOME=work/home (created): for fixtures wider than one test, which
    cannot use the ``fossil``/``fossilpy`` fixtures."""
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    argv0 = [require_binary("fossil")] if program == "fossil" else [sys.executable, "-m", "fossilpy"]
    return Runner(argv0, base_env(home), work)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def fossil(tmp_path: Path, home: Path) -> Runner:
    """The real fossil 2.21 binary, run in tmp_path with HOME=tmp_path/home."""
    exe = require_binary("fossil")
    return Runner([exe], base_env(home), tmp_path)


@pytest.fixture
def fossilpy(tmp_path: Path, home: Path) -> Runner:
    """fossilpy as a subprocess (``python -m fossilpy``), same environment."""
    return Runner([sys.executable, "-m", "fossilpy"], base_env(home), tmp_path)


@pytest.fixture
def bare_repo(tmp_path: Path):
    """A minimal file with just the tables ``Repo.open`` requires, opened."""
    import sqlite3

    from fossilpy.repo.db import Repo

    path = tmp_path / "r.fossil"
    db = sqlite3.connect(path)
    for t in ("blob", "delta", "rcvfrom", "user", "mlink", "plink"):
        db.execute(f"CREATE TABLE {t}(x)")
    db.execute("CREATE TABLE config(name TEXT PRIMARY KEY NOT NULL, value CLOB, mtime DATE)")
    db.commit()
    db.close()
    repo = Repo.open(str(path))
    yield repo
    repo.close()


class captured_log:  # noqa: N801 - used like a function: ``with captured_log() as text:``
    """Collect what fossilpy logs inside the block (``fossilpy: MESSAGE`` lines, tracebacks too).

    ``text()`` returns what was logged so far.  Attached to the ``fossilpy``
    logger itself, so it sees every line whatever the doors configured.
    """

    def __enter__(self):  # type: ignore[no-untyped-def]
        import io
        import logging

        self._stream = io.StringIO()
        self._handler = logging.StreamHandler(self._stream)
        self._handler.setFormatter(logging.Formatter("fossilpy: %(message)s"))
        self._logger = logging.getLogger("fossilpy")
        self._level = self._logger.level
        self._logger.addHandler(self._handler)
        if self._logger.getEffectiveLevel() > logging.INFO:
            self._logger.setLevel(logging.INFO)
        return self._stream.getvalue

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._level)
