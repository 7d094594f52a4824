"""Progress counters on a terminal (issue 13): ``open``, ``addremove``, ``zip``, ``tarball``.

Standard error is the slave side of a pseudo-terminal (standard output a pipe):
the counter is written there, rewritten in place, and its final line is
``  DONE/TOTAL files`` (``  DONE files`` for addremove).  With standard error a
pipe nothing is written there, and standard output and the files written are
the same either way (and, for open, the same as fossil's).
"""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

FILES = 300


def _on_tty(run: Runner, cwd: Path, *args: str) -> tuple[int, bytes, str]:
    """(exit code, stdout, what the terminal on stderr received)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*run.argv0, *args], cwd=cwd, env=run.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    out = proc.stdout.read() if proc.stdout else b""
    proc.wait()
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode()


def _final_line(tty: str) -> str:
    """The counter as last drawn: the text after the last carriage return of the last line."""
    lines = tty.replace("\r\n", "\n").split("\n")
    assert lines[-1] == ""  # ends with a newline
    return lines[-2].split("\r")[-1]


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "progress")
    w = work / "seed"
    w.mkdir()
    fossil("init", str(work / "r.fossil"), "--date-override", "2024-01-01")
    fossil("open", "../r.fossil", cwd=w)
    for i in range(FILES):
        f = w / f"d{i % 7}" / f"s{i % 3}" / f"f{i}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"file {i}\n" * (1 + i % 9))
    fossil("add", ".", cwd=w)
    fossil("commit", "-m", "files", "--date-override", "2024-01-02", cwd=w)
    fossil("close", cwd=w)
    return fossil, fossilpy, work


def test_open_shows_progress_on_a_terminal(repo: tuple[Runner, Runner, Path]) -> None:
    fossil, fossilpy, work = repo
    outputs = []
    for name in ("tty", "pipe", "fossil"):
        (work / name).mkdir()
    rc, out, tty = _on_tty(fossilpy, work / "tty", "open", "../r.fossil")
    assert rc == 0
    assert _final_line(tty) == f"  {FILES}/{FILES} files"
    assert "Traceback" not in tty
    outputs.append(out.replace(b"/tty", b"/X"))
    piped = fossilpy("open", "../r.fossil", cwd=work / "pipe")
    assert piped.stderr == b""
    outputs.append(piped.stdout.replace(b"/pipe", b"/X"))
    outputs.append(fossil("open", "../r.fossil", cwd=work / "fossil").stdout.replace(b"/fossil/", b"/X/"))
    assert outputs[0] == outputs[1]
    assert sorted(outputs[1].splitlines()[:FILES]) == sorted(outputs[2].splitlines()[:FILES])
    assert outputs[1].splitlines()[FILES:] == outputs[2].splitlines()[FILES:]
    assert fossil.text("changes", cwd=work / "tty") == ""
    assert fossil.text("ls", cwd=work / "tty") == fossil.text("ls", cwd=work / "fossil")


def test_addremove_shows_progress_on_a_terminal(repo: tuple[Runner, Runner, Path]) -> None:
    fossil, fossilpy, work = repo
    for name in ("tty", "pipe"):
        w = work / name
        w.mkdir()
        fossil("open", "../r.fossil", cwd=w)
        for i in range(40):
            (w / "new" / f"n{i}.txt").parent.mkdir(exist_ok=True)
            (w / "new" / f"n{i}.txt").write_text(f"new {i}\n")
        for i in range(5):
            (w / f"d{i}" / f"s{i % 3}" / f"f{i}.txt").unlink()
    rc, out, tty = _on_tty(fossilpy, work / "tty", "addremove")
    assert rc == 0
    assert _final_line(tty) == "  45 files"
    piped = fossilpy("addremove", cwd=work / "pipe")
    assert (piped.stdout, piped.stderr) == (out, b"")
    assert out.splitlines()[-1] == b"added 40 files, deleted 5 files"
    assert fossil.text("changes", cwd=work / "tty") == fossil.text("changes", cwd=work / "pipe")


@pytest.mark.parametrize("kind", ["zip", "tarball"])
def test_archive_shows_progress_on_a_terminal(repo: tuple[Runner, Runner, Path], kind: str) -> None:
    fossil, fossilpy, work = repo
    rc, out, tty = _on_tty(fossilpy, work, kind, "trunk", "tty.out", "-R", "r.fossil")
    assert rc == 0 and out == b""
    assert _final_line(tty) == f"  {FILES}/{FILES} files"
    piped = fossilpy(kind, "trunk", "pipe.out", "-R", "r.fossil", cwd=work)
    assert (piped.stdout, piped.stderr) == (b"", b"")
    fossil(kind, "trunk", "fossil.out", "-R", "r.fossil", cwd=work)
    assert (work / "tty.out").read_bytes() == (work / "pipe.out").read_bytes() == (work / "fossil.out").read_bytes()
