"""Versionable settings from ``.fossil-settings/NAME`` (issue 13): ``extras``,
``addremove``, ``clean``, ``commit`` warnings and ``settings`` in a checkout
behave as fossil 2.21 does with the same files, with the same warning when
the repository has a value too (fossil may repeat that warning; fossilpy
says it once, so stderr is compared as a set of lines)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner


@pytest.fixture
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path, Path]:
    """Two copies (each with its own repository) of one checkout with extra files."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "vset")
    (work / "f").mkdir()
    fossil("init", str(work / "f" / "r.fossil"))
    w = work / "f" / "w"
    w.mkdir()
    fossil("open", "../r.fossil", cwd=w)
    (w / "f1").write_bytes(b"a\n")
    fossil("add", "f1", cwd=w)
    fossil("commit", "-m", "one", cwd=w)
    for name in ("a.o", "b.txt", "c.log", "sub/d.o", "sub/e.txt", ".dot", "manifest", "manifest.uuid"):
        (w / name).parent.mkdir(parents=True, exist_ok=True)
        (w / name).write_bytes(b"x\n")
    (w / ".fossil-settings").mkdir()
    shutil.copytree(work / "f", work / "p", symlinks=True)
    # the copy names its own repository (fossil stores the absolute path)
    fossil("sql", f"UPDATE vvar SET value='{work / 'p' / 'r.fossil'}' WHERE name='repository'", cwd=work / "p" / "w")
    return fossil, fossilpy, work / "f" / "w", work / "p" / "w"


def _both(fossil: Runner, fossilpy: Runner, wf: Path, wp: Path, *args: str, input: str | None = None) -> bytes:
    a = fossil(*args, cwd=wf, check=False, input=input)
    b = fossilpy(*args, cwd=wp, check=False, input=input)
    assert b.stdout.replace(bytes(wp), bytes(wf)) == a.stdout, args
    err_a = set(a.stderr.splitlines())
    err_b = set(b.stderr.replace(b"fossilpy: ", b"").replace(bytes(wp), bytes(wf)).splitlines())
    assert err_b == err_a, args
    assert b.returncode == a.returncode, args
    return a.stdout + a.stderr


def _put(ws: tuple[Path, Path], name: str, text: str) -> None:
    for w in ws:
        (w / ".fossil-settings" / name).write_text(text)


def test_extras_and_addremove_read_the_versioned_globs(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    _both(fossil, fossilpy, wf, wp, "extras")
    _put((wf, wp), "ignore-glob", "*.o\n*.log\n")
    out = _both(fossil, fossilpy, wf, wp, "extras")
    assert b"a.o" not in out and b"b.txt" in out
    _both(fossil, fossilpy, wf, wp, "extras", "--ignore", "*.txt")
    _put((wf, wp), "dotfiles", "on\n")
    out = _both(fossil, fossilpy, wf, wp, "extras")
    assert b".dot" in out
    _put((wf, wp), "manifest", "on\n")  # manifest and manifest.uuid become reserved names
    out = _both(fossil, fossilpy, wf, wp, "extras")
    assert b"\nmanifest" not in out and b".fossil-settings/manifest\n" in out
    _both(fossil, fossilpy, wf, wp, "addremove", "-n")
    _both(fossil, fossilpy, wf, wp, "addremove")
    _both(fossil, fossilpy, wf, wp, "changes")


def test_warning_when_repository_has_a_value_too(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    for w in (wf, wp):
        fossil("settings", "ignore-glob", "*.txt", cwd=w)
    _both(fossil, fossilpy, wf, wp, "extras")  # repository value only: no warning
    _put((wf, wp), "ignore-glob", "*.o")
    out = _both(fossil, fossilpy, wf, wp, "extras")
    assert b"has both versioned and non-versioned values" in out
    assert b"b.txt" in out  # the versioned value wins
    _put((wf, wp), "ignore-glob.no-warn", "")
    out = _both(fossil, fossilpy, wf, wp, "extras")
    assert b"versioned" not in out
    for name in ("ignore-glob", "ignore", "keep-glob", "dotfiles", "crlf"):
        _both(fossil, fossilpy, wf, wp, "settings", name)
    _both(fossil, fossilpy, wf, wp, "settings")
    # set and unset inside the checkout change its repository
    (wf / ".fossil-settings" / "ignore-glob.no-warn").unlink()
    (wp / ".fossil-settings" / "ignore-glob.no-warn").unlink()
    _both(fossil, fossilpy, wf, wp, "unset", "ignore-glob")
    out = _both(fossil, fossilpy, wf, wp, "extras")
    assert b"versioned" not in out
    _both(fossil, fossilpy, wf, wp, "settings", "keep-glob", "*.keep")
    _both(fossil, fossilpy, wf, wp, "settings", "ignore-glob")
    _both(fossil, fossilpy, wf, wp, "settings", "keep-glob")


def test_clean_keeps_by_versioned_keep_glob(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    _put((wf, wp), "keep-glob", "*.txt")
    _put((wf, wp), "clean-glob", "*.log")
    out = _both(fossil, fossilpy, wf, wp, "clean", "-v", "--disable-undo", "--no-prompt")
    assert b'KEPT file "b.txt"' in out and b"Removed unmanaged file: c.log" in out
    assert sorted(p.name for p in wf.rglob("*")) == sorted(p.name for p in wp.rglob("*"))


def test_commit_warnings_follow_versioned_crlf_and_binary_globs(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    for w in (wf, wp):
        (w / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
        (w / "data.bin").write_bytes(b"bin\0ary\n")
        fossil("add", "dos.txt", "data.bin", cwd=w)
    # no globs: fossil asks, the answer "n" abandons the commit
    _both(fossil, fossilpy, wf, wp, "commit", "-m", "two", input="n\n")
    _put((wf, wp), "crlf-glob", "*.txt")
    _put((wf, wp), "binary-glob", "*.bin")
    a = fossil("commit", "-m", "two", "--dry-run", cwd=wf, check=False)
    b = fossilpy("commit", "-m", "two", "--dry-run", cwd=wp, check=False)
    cards = [
        [ln for ln in r.stdout.splitlines() if not ln.startswith((b"D ", b"Z ", b"New_Version: "))] for r in (a, b)
    ]
    assert cards[0] == cards[1] and (a.returncode, a.stderr) == (b.returncode, b.stderr) == (0, b"")
    a = fossil("commit", "-m", "two", cwd=wf, check=False)
    b = fossilpy("commit", "-m", "two", cwd=wp, check=False)
    assert a.returncode == b.returncode == 0, (a.stderr, b.stderr)
