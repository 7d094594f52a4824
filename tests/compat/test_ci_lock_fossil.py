"""The check-in lock of ``commit``'s autosync (``pragma ci-lock`` / ``ci-lock-fail`` /
``ci-unlock``), fossilpy and fossil 2.21 as clients of one real ``fossil server``.

For each client, in a check-out of its own clone:

* a commit asks for the lock on its parent in the pull before it and gives it
  back in the sync after it: the server keeps no ``ci-lock-*`` row, and the
  check-out has a ``client-id``;
* when another client holds the lock (a ``ci-lock-HASH`` row of the server's,
  as a pending commit elsewhere leaves it), the commit is refused with Fossil's
  words and exit code, and nothing is checked in; the outputs of both programs
  are the same line for line (apart from ports and byte counts);
* ``--override-lock`` commits anyway; ``--branch`` needs no lock;
* with ``autosync pullonly`` no lock is asked for, so none is refused.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner
from tests.net import free_port, serving

WIRE = re.compile(rb"wire bytes sent: \d+  received: \d+")
AGE = re.compile(rb"locked by alice [0-9.]+ seconds? ago")


def _norm(data: bytes, port: int) -> list[bytes]:
    data = WIRE.sub(b"wire bytes sent: N  received: N", data).replace(str(port).encode(), b"PORT")
    data = AGE.sub(b"locked by alice N seconds ago", data)
    lines = []
    for line in data.split(b"\n"):
        parts = [p for p in line.split(b"\r") if p]
        line = parts[-1] if parts else b""
        lines.append(line[len(b"fossilpy: ") :] if line.startswith(b"fossilpy: ") else line)
    return lines


def _locks(served: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(served)
    try:
        return db.execute("SELECT name, value FROM config WHERE name GLOB 'ci-lock-*' ORDER BY name").fetchall()
    finally:
        db.close()


def _lock_tip(served: Path, tip: str) -> None:
    db = sqlite3.connect(served)
    try:
        db.execute(
            "REPLACE INTO config(name,value,mtime) VALUES(?,json_object('login','alice','clientid',?),?)",
            (f"ci-lock-{tip}", "ab" * 20, int(time.time()) - 5),
        )
        db.commit()
    finally:
        db.close()


def _current(w: Path) -> str:
    """The hash of the check-out's check-in."""
    db = sqlite3.connect(w / ".fslckout")
    try:
        (value,) = db.execute("SELECT value FROM vvar WHERE name='checkout-hash'").fetchone()
        return str(value)
    finally:
        db.close()


def _session(fossil: Runner, client: Runner, base: Path) -> list[tuple]:
    served = base / "served.fossil"
    fossil("init", str(served), "--date-override", "2023-01-01T00:00:00")
    fossil("user", "capabilities", "nobody", "gio", "-R", str(served))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log: list[tuple] = []
    with serving(["fossil", "server", "--port", str(port), "--localhost", str(served)], port, cwd=base):
        fossil("clone", url, str(base / "mine.fossil"))
        w = base / "w"
        w.mkdir()
        client("open", str(base / "mine.fossil"), cwd=w)

        def commit(*args: str, name: str = "a.txt", text: str = "x\n") -> None:
            (w / name).write_text(text)
            if name not in client("ls", cwd=w).stdout.decode():
                client("add", name, cwd=w)
            proc = client("commit", *args, cwd=w, check=False, input=b"")
            log.append((args, proc.returncode, _norm(proc.stdout, port), _norm(proc.stderr, port), _locks(served)))

        commit("-m", "first", "--date-override", "2023-01-02T00:00:00")
        assert _locks(served) == []  # taken in the pull, given back in the sync after the commit
        db = sqlite3.connect(w / ".fslckout")
        (cid,) = db.execute("SELECT value FROM vvar WHERE name='client-id'").fetchone()
        db.close()
        assert re.fullmatch(r"[0-9a-f]{40}", cid), cid
        _lock_tip(served, _current(w))
        before = fossil("sql", "-R", str(served), "SELECT count(*) FROM event WHERE type='ci'").stdout
        commit("-m", "raced", "--date-override", "2023-01-03T00:00:00", text="raced\n")
        assert fossil("sql", "-R", str(served), "SELECT count(*) FROM event WHERE type='ci'").stdout == before, log[-1]
        commit("-m", "overridden", "--override-lock", "--date-override", "2023-01-04T00:00:00", text="over\n")
        _lock_tip(served, _current(w))
        commit("-m", "on a branch", "--branch", "side", "--date-override", "2023-01-05T00:00:00", text="b\n")
        client("update", "trunk", cwd=w)
        fossil("settings", "autosync", "pullonly", "-R", str(base / "mine.fossil"))
        commit("-m", "pull only", "--date-override", "2023-01-06T00:00:00", text="pulled\n")
    return log


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "cilock")
    out = {}
    for name, client in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        base.mkdir()
        out[name] = _session(fossil, client, base)
    return out


def test_a_locked_parent_refuses_the_commit_as_fossil_does(runs: dict[str, list[tuple]]) -> None:
    raced = runs["fossilpy"][1]
    assert raced[1] == 1
    assert b"Parent check-in locked by alice N seconds ago" in raced[2]
    assert raced[3][:2] == [
        b'Might fork due to a check-in race with user "alice"',
        b'Try "update" first, or --branch, or use --override-lock',
    ]
    assert [step[1] for step in runs["fossilpy"]] == [0, 1, 0, 0, 0]


@pytest.mark.parametrize("step", range(5))
def test_each_step_matches_fossil(runs: dict[str, list[tuple]], step: int) -> None:
    mine, theirs = runs["fossilpy"][step], runs["fossil"][step]
    assert mine[:2] == theirs[:2]
    assert mine[3] == theirs[3]
    assert [line for line in mine[2] if not line.startswith((b"New_Version", b"  "))] == [
        line for line in theirs[2] if not line.startswith((b"New_Version", b"  "))
    ]
    assert len(mine[4]) == len(theirs[4])  # the server's ci-lock rows after the step
