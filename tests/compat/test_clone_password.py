"""Issue 9, finding 13d: ``clone`` with a password in the URL offers to remember it, as fossil does.

Fossil 2.21 (``url_parse_local``, ``save_password_prompt``): a URL with a
password, a terminal on stdin, no ``--once``: print ``remember password
(Y/n)? ``, read a line; anything but n/N keeps the password, obscured, in
``last-sync-pw`` next to ``last-sync-url`` (which never holds it).
``--save-http-password`` keeps it without asking; ``--once`` remembers
nothing; without a terminal nothing is asked and the password is not kept.
Before the fix fossilpy never asked and never kept it, so a later ``pull``
without the password in the URL failed.
"""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fossilpy.sync.auth import unobscure
from tests.conftest import require_binary, runner
from tests.net import fossil_serving

PROMPT = b"remember password (Y/n)? "


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(port, repository, env) of a real ``fossil server`` that only alice (password secretpw) may use."""
    work = tmp_path_factory.mktemp("clonepw")
    fossil = runner("fossil", work)
    repo = work / "srv.fossil"
    fossil("init", repo)
    fossil("user", "new", "alice", "alice@example.org", "secretpw", "-R", repo)
    fossil("user", "capabilities", "alice", "gio", "-R", repo)
    db = sqlite3.connect(repo)
    with db:
        db.execute("UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    db.close()
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        yield port, repo, fossil.env


def _program(name: str) -> list[str]:
    return [require_binary("fossil")] if name == "fossil" else [sys.executable, "-m", "fossilpy"]


def _on_tty(argv: list[str], answer: bytes | None, env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run ``argv`` with a terminal as stdin and stdout; type ``answer`` at the prompt."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            out += data
            if answer is not None and out.endswith(PROMPT):
                os.write(master, answer)
                answer = None
        proc.wait(60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out


def _config(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT name, value FROM config WHERE name GLOB 'last-sync-*'"))
    finally:
        db.close()


def _count(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM blob WHERE size>=0").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("prog", ["fossil", "fossilpy"])
@pytest.mark.parametrize("answer", [b"y\n", b"\n", b"n\n", b"No\n"])
def test_clone_asks_to_remember_the_password(server, tmp_path: Path, prog: str, answer: bytes) -> None:  # type: ignore[no-untyped-def]
    port, _repo, env = server
    code, out = _on_tty([*_program(prog), "clone", f"http://alice:secretpw@127.0.0.1:{port}/", "x.fossil"],
                        answer, env, tmp_path)
    assert code == 0, out
    assert out.startswith(PROMPT + answer.replace(b"\n", b"\r\n")), out[:200]
    assert out.count(b"(Y/n)") == 1
    config = _config(tmp_path / "x.fossil")
    assert config.pop("last-sync-url") == f"http://alice@127.0.0.1:{port}/"
    if answer.lower().startswith(b"n"):
        assert config == {}
    else:
        assert {k: unobscure(v) for k, v in config.items()} == {"last-sync-pw": "secretpw"}


@pytest.mark.parametrize(
    ("options", "stdin_tty", "stored"),
    [
        (["--once"], True, None),                      # nothing remembered, nothing asked
        (["--save-http-password"], True, "secretpw"),  # kept without asking
        ([], False, ""),                               # no terminal: not asked, not kept
    ],
)
def test_clone_options_and_no_terminal(server, tmp_path: Path, options: list[str], stdin_tty: bool,  # type: ignore[no-untyped-def]
                                       stored: str | None) -> None:
    port, _repo, env = server
    for prog in ("fossil", "fossilpy"):
        target = tmp_path / f"{prog}.fossil"
        argv = [*_program(prog), "clone", *options, f"http://alice:secretpw@127.0.0.1:{port}/", str(target)]
        if stdin_tty:
            code, out = _on_tty(argv, b"y\n", env, tmp_path)
        else:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=120)
            code, out = proc.returncode, proc.stdout
        assert code == 0, (prog, out)
        assert b"(Y/n)" not in out, prog
        config = _config(target)
        if stored is None:
            assert config == {}, prog
        else:
            assert config.pop("last-sync-url") == f"http://alice@127.0.0.1:{port}/", prog
            assert {k: unobscure(v) for k, v in config.items()} == (
                {"last-sync-pw": stored} if stored else {}), prog


def test_pull_uses_the_remembered_password(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port, repo, env = server
    fossil = require_binary("fossil")
    code, out = _on_tty([*_program("fossilpy"), "clone", f"http://alice:secretpw@127.0.0.1:{port}/", "x.fossil"],
                        b"y\n", env, tmp_path)
    assert code == 0, out
    clone = tmp_path / "x.fossil"
    before = _count(clone)
    page = tmp_path / "page.txt"
    page.write_text("new wiki page\n")
    subprocess.run([fossil, "wiki", "create", f"Page{time.monotonic_ns()}", str(page), "-R", str(repo)],
                   env=env, check=True, capture_output=True, timeout=60)
    pull = subprocess.run([sys.executable, "-m", "fossilpy", "pull", "-R", str(clone)], stdin=subprocess.DEVNULL,
                          capture_output=True, env=env, timeout=120)
    assert pull.returncode == 0, pull.stderr
    assert b"Pull done" in pull.stdout and b"(Y/n)" not in pull.stdout
    assert _count(clone) == before + 1
    # real fossil reads the password fossilpy kept
    pull = subprocess.run([fossil, "pull", "-R", str(clone)], stdin=subprocess.DEVNULL, capture_output=True,
                          env=env, timeout=120)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    # without the password kept, the same pull is refused
    code, out = _on_tty([*_program("fossilpy"), "clone", f"http://alice:secretpw@127.0.0.1:{port}/", "y.fossil"],
                        b"n\n", env, tmp_path)
    assert code == 0, out
    pull = subprocess.run([sys.executable, "-m", "fossilpy", "pull", "-R", str(tmp_path / "y.fossil")],
                          stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=120)
    assert (pull.returncode, pull.stderr) == (1, b'fossilpy: missing or incorrect password for user "alice"\n')
