"""kill -9 and Ctrl-C in the middle of ``fossilpy commit`` and ``fossilpy update`` (issue 13).

A checkout of 500 files (every file edited between the two check-ins A and B, so
an update rewrites all of them) is copied for each run; the command is started
and interrupted after a pseudo-random delay spread over its measured duration
(SIGKILL, or SIGINT as Ctrl-C sends it).  Afterwards:

- ``fossilpy status`` and the real ``fossil status`` print the same lines,
- ``fossil test-integrity`` is clean,
- the checkout is truthful: a commit is either not made (the same changes are
  listed) or made (nothing listed, one more check-in); after an interrupted update
  the listed changes are exactly the files whose content differs from the
  check-in the checkout database names,
- the next ``fossilpy commit`` / ``fossilpy update`` succeeds and leaves what an
  uninterrupted one leaves.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

FILES = 500


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _seed(fossil: Runner, work: Path) -> tuple[Path, str, str]:
    """work/seed (r.fossil, w/ open at B); the hashes of check-ins A and B."""
    seed = work / "seed"
    w = seed / "w"
    w.mkdir(parents=True)
    fossil("init", str(seed / "r.fossil"), "--date-override", "2024-01-01")
    fossil("settings", "autosync", "off", "-R", str(seed / "r.fossil"))
    fossil("open", "../r.fossil", cwd=w)
    for i in range(FILES):
        _write(w / f"d{i % 10}" / f"e{i % 7}" / f"f{i}.txt", f"line {i}\n" * (1 + i % 30))
    fossil("add", ".", cwd=w)
    fossil("commit", "-m", "A", "--date-override", "2024-01-02", cwd=w)
    for i in range(FILES):
        _write(w / f"d{i % 10}" / f"e{i % 7}" / f"f{i}.txt", f"line {i} of B\n" * (1 + i % 30))
    fossil("commit", "-m", "B", "--date-override", "2024-01-03", cwd=w)
    hashes = fossil.text(
        "sql",
        "-R",
        str(seed / "r.fossil"),
        "SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci' AND comment IN ('A','B') ORDER BY comment",
    )
    a, b = (h.strip("'") for h in hashes.split())
    return seed, a, b


def _copy(seed: Path, dest: Path) -> Path:
    shutil.copytree(seed, dest, symlinks=True)
    return dest / "w"


def _interrupt(fossilpy: Runner, w: Path, args: list[str], delay: float, sig: int) -> int:
    proc = subprocess.Popen(
        [*fossilpy.argv0, *args],
        cwd=w,
        env=fossilpy.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    # Python reports a Ctrl-C landing inside an import lock's callback as "Exception ignored"
    # (the interrupt itself still ends the command as "Aborted!"): not a traceback of ours
    err = re.sub(rb"Exception ignored in: .*?\nKeyboardInterrupt: ?\n", b"", err, flags=re.DOTALL)
    assert b"Traceback" not in err, err
    return proc.returncode


def _duration(fossilpy: Runner, w: Path, args: list[str]) -> float:
    start = time.monotonic()
    fossilpy(*args, cwd=w)
    return time.monotonic() - start


def _same_status(fossil: Runner, fossilpy: Runner, w: Path) -> str:
    expected = fossil("status", cwd=w, check=False)
    got = fossilpy("status", cwd=w, check=False)
    assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout)
    assert expected.returncode == 0
    return expected.stdout.decode()


def _integrity(fossil: Runner, repo: Path) -> None:
    out = fossil.text("test-integrity", "-R", str(repo))
    assert "0 errors" in out, out


def _plan(duration: float, runs: int, seed: int) -> list[tuple[float, int]]:
    """(delay, signal) per run: a few SIGINTs; delays spread over the second half of the
    command's duration and a little past it (the first half is mostly interpreter start-up)."""
    rng = random.Random(seed)
    slots = [(k + rng.random()) / runs for k in range(runs)]
    return [
        ((0.45 + 0.65 * s) * duration, signal.SIGINT if k % 3 == 2 else signal.SIGKILL) for k, s in enumerate(slots)
    ]


def test_commit_interrupted_at_random_points(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "kill-commit")
    seed, _, _ = _seed(fossil, work)

    def edit(w: Path) -> None:
        for i in range(0, FILES, 2):
            _write(w / f"d{i % 10}" / f"e{i % 7}" / f"f{i}.txt", f"edited {i}\n" * 40)
        for i in range(30):
            _write(w / "new" / f"n{i}.txt", f"new {i}\n")

    w = _copy(seed, work / "timing")
    edit(w)
    fossilpy("add", "new", cwd=w)
    pending = fossil.text("changes", cwd=w)
    duration = _duration(fossilpy, w, ["commit", "-m", "C", "--no-warnings"])
    after_ok = fossil.text("ls", "-v", cwd=w)
    outcomes = set()
    for n, (delay, sig) in enumerate(_plan(duration, 9, 13)):
        w = _copy(seed, work / f"run{n}")
        edit(w)
        fossilpy("add", "new", cwd=w)
        _interrupt(fossilpy, w, ["commit", "-m", "C", "--no-warnings"], delay, sig)
        _integrity(fossil, w.parent / "r.fossil")
        _same_status(fossil, fossilpy, w)
        changes = fossil.text("changes", cwd=w)
        checkins = fossil.text("sql", "-R", str(w.parent / "r.fossil"), "SELECT count(*) FROM event WHERE type='ci'")
        if changes == "":
            assert checkins.strip() == "4"  # initial, A, B, C
            outcomes.add("after")
        else:
            assert (changes, checkins.strip()) == (pending, "3")
            outcomes.add("before")
            fossilpy("commit", "-m", "C", "--no-warnings", cwd=w)
            _integrity(fossil, w.parent / "r.fossil")
        assert fossil.text("changes", cwd=w) == ""
        assert fossil.text("ls", "-v", cwd=w) == after_ok
    assert outcomes


def _content_of(fossil: Runner, w: Path) -> dict[str, str]:
    out = {}
    for p in sorted(w.rglob("*.txt")):
        out[str(p.relative_to(w))] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


def test_update_interrupted_at_random_points(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "kill-update")
    seed, a, b = _seed(fossil, work)
    w = _copy(seed, work / "timing")
    duration = _duration(fossilpy, w, ["update", a])
    files_at_a = _content_of(fossil, w)
    status_at_a = fossil.text("status", cwd=w).splitlines()[3:]
    for n, (delay, sig) in enumerate(_plan(duration, 9, 17)):
        w = _copy(seed, work / f"run{n}")
        _interrupt(fossilpy, w, ["update", a], delay, sig)
        _integrity(fossil, w.parent / "r.fossil")
        status = _same_status(fossil, fossilpy, w)
        # truthful: what status lists as edited is exactly what differs from the named check-in
        current = fossil.text(
            "sql", "SELECT uuid FROM blob WHERE rid=(SELECT value FROM vvar WHERE name='checkout')", cwd=w
        )
        edited = sorted(line.split()[1] for line in status.splitlines() if line.startswith("EDITED"))
        ref = work / f"ref{n}"
        ref.mkdir()
        fossil("open", str(w.parent / "r.fossil"), current.strip().strip("'"), "--workdir", str(ref), "--nested")
        expected = _content_of(fossil, ref)
        fossil("close", "--force", cwd=ref)
        got = _content_of(fossil, w)
        assert edited == sorted(k for k in expected if got.get(k) != expected[k])
        # the next update: as fossil's in a copy of this very state (a file cut mid-write by
        # the kill is a local edit to both, merged, possibly with a conflict)
        twin = work / f"run{n}-fossil"
        shutil.copytree(w.parent, twin, symlinks=True)
        partial = {k for k, v in got.items() if v not in (expected.get(k), files_at_a.get(k))}
        want = fossil("update", a, cwd=twin / "w", check=False)
        proc = fossilpy("update", a, cwd=w, check=False)
        assert (proc.returncode, proc.stdout.replace(bytes(w.parent), b"BASE")) == (
            want.returncode,
            want.stdout.replace(bytes(twin), b"BASE"),
        )
        assert proc.returncode == 0
        _integrity(fossil, w.parent / "r.fossil")
        assert _content_of(fossil, w) == _content_of(fossil, twin / "w")
        assert _same_status(fossil, fossilpy, w) == fossil.text("status", cwd=twin / "w").replace(
            str(twin), str(w.parent)
        )
        assert {k: v for k, v in _content_of(fossil, w).items() if k not in partial} == {
            k: v for k, v in files_at_a.items() if k not in partial
        }
        if not partial:
            assert fossil.text("status", cwd=w).splitlines()[3:] == status_at_a
            assert fossil.text("changes", cwd=w) == ""
