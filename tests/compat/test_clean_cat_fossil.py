"""``fossilpy cat`` and ``fossilpy clean`` against fossil 2.21 (issue 13):
the same output (prompts included, answers piped in or none at all), the
same exit codes, the same files left on disk and the same undo rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path]:
    """A checkout with two check-ins and extra files of every kind (copied per case)."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "clean")
    fossil("init", str(work / "r.fossil"))
    w = work / "seed"
    w.mkdir()
    fossil("open", str(work / "r.fossil"), cwd=w)
    (w / "f1").write_bytes(b"a\n")
    (w / "sub").mkdir()
    (w / "sub" / "s1").write_bytes(b"s\n")
    fossil("add", ".", cwd=w)
    fossil("commit", "-m", "one", cwd=w)
    (w / "f1").write_bytes(b"a\nb\n")
    fossil("commit", "-m", "two", cwd=w)
    for name, data in {
        "extra1": b"x\n",
        "sub/extra2": b"y\n",
        "e3/e4/zz": b"z\n",
        "a.o": b"object\n",
        "keep.txt": b"keep me\n",
        ".dot": b"dot\n",
        ".hid/h": b"hidden\n",
        "sub/b.log": b"log\n",
        "f1-baseline": b"temp\n",
        "sub/s1-merge-3": b"temp\n",
        "sub/s1-original-x": b"not temp\n",
        "ci-comment-0123456789AB.txt": b"temp\n",
    }.items():
        (w / name).parent.mkdir(parents=True, exist_ok=True)
        (w / name).write_bytes(data)
    (w / "e1" / "e2").mkdir(parents=True)
    (w / "sub" / "link").symlink_to("../../outside")
    (work / "outside").write_bytes(b"outside the tree\n")
    return fossil, fossilpy, work


def _copies(seed: tuple[Runner, Runner, Path], name: str) -> tuple[Path, Path]:
    _fossil, _fossilpy, work = seed
    out = []
    for who in ("f", "p"):
        dst = work / f"{name}-{who}"
        shutil.copytree(work / "seed", dst, symlinks=True)
        out.append(dst)
    return out[0], out[1]


def _tree(fossil: Runner, w: Path) -> tuple[list[str], bytes]:
    files = sorted(str(p.relative_to(w)) + ("/" if p.is_dir() else "") for p in w.rglob("*"))
    undo = fossil("sql", "SELECT pathname, existsflag, hex(content) FROM undo ORDER BY 1", cwd=w, check=False).stdout
    return files, undo


def _both(seed: tuple[Runner, Runner, Path], wf: Path, wp: Path, *args: str, input: str | None = None) -> bytes:
    fossil, fossilpy, _work = seed
    a = fossil(*args, cwd=wf, check=False, input=input)
    b = fossilpy(*args, cwd=wp, check=False, input=input)
    assert b.stdout == a.stdout, args
    assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr, args
    assert b.returncode == a.returncode, args
    assert _tree(fossil, wp) == _tree(fossil, wf), args
    return a.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["cat", "f1"],
        ["cat", "f1", "-r", "root:trunk"],
        ["cat", "sub/s1", "f1"],
        ["cat", "nope"],
        ["cat", "f1", "-r", "nonesuch"],
        ["cat", "nope", "-r", "trunk"],
        ["cat", "-R", "../r.fossil", "f1"],
        ["cat", "-R", "../r.fossil", "sub/s1", "-r", "root:trunk"],
    ],
)
def test_cat(seed: tuple[Runner, Runner, Path], args: list[str]) -> None:
    wf, wp = _copies(seed, "cat" + str(abs(hash(tuple(args)))))
    _both(seed, wf, wp, *args)


def test_cat_from_subdirectory_and_outside(seed: tuple[Runner, Runner, Path]) -> None:
    wf, wp = _copies(seed, "catsub")
    _both(seed, wf / "sub", wp / "sub", "cat", "s1", "../f1")
    _both(seed, wf / "sub", wp / "sub", "cat", "../../outside")


CLEAN_CASES: list[tuple[list[str], str | None]] = [
    (["-n"], None),
    (["--temp", "-v"], None),
    (["--temp", "-n", "sub"], None),
    (["-n", "-v", "--dotfiles"], None),
    (["--dry-run", "--keep", "*.txt", "-v"], None),
    (["-n", "--emptydirs"], None),
    (["-n", "-x"], None),
    ([], None),
    (["-v"], None),
    (["-v", "sub", "--disable-undo", "--no-prompt"], None),
    (["-v", "sub/extra2", "extra1", "nope"], None),
    (["-v", "--disable-undo"], "y\nn\na\n"),
    (["-v", "--disable-undo"], None),
    (["-i", "-v"], "y\nn\na\n"),
    (["-i", "-v"], None),
    (["-x", "-v"], None),
    (["--emptydirs", "-v", "-f"], None),
    (["--dirsonly", "-v"], "y\na\n"),
    (["--clean", "*.o", "-v", "--disable-undo", "--no-prompt"], None),
    (["-v", "--ignore", "sub/*", "--keep", "keep*", "--dotfiles", "-f", "--disable-undo"], None),
]


@pytest.mark.parametrize("args,answers", CLEAN_CASES)
def test_clean(seed: tuple[Runner, Runner, Path], args: list[str], answers: str | None) -> None:
    wf, wp = _copies(seed, "clean" + str(abs(hash((tuple(args), answers)))))
    _both(seed, wf, wp, "clean", *args, input=answers)
    # nothing outside the tree is touched, whatever the options
    assert (seed[2] / "outside").read_bytes() == b"outside the tree\n"


def test_clean_then_undo_either_way(seed: tuple[Runner, Runner, Path]) -> None:
    wf, wp = _copies(seed, "cleanundo")
    out = _both(seed, wf, wp, "clean")
    assert out == b' "fossil undo" is available to undo changes to the working checkout.\n'
    assert not (wf / "extra1").exists()
    # each program undoes the other's clean
    fossil, fossilpy, _work = seed
    a = fossil("undo", cwd=wp)
    b = fossilpy("undo", cwd=wf)
    assert a.stdout == b.stdout
    assert _tree(fossil, wf) == _tree(fossil, wp)
    assert (wf / "extra1").read_bytes() == b"x\n"


def test_clean_settings_globs(seed: tuple[Runner, Runner, Path]) -> None:
    """keep-glob, clean-glob and ignore-glob from the repository and from .fossil-settings/."""
    fossil, _fossilpy, work = seed
    wf, wp = _copies(seed, "cleanset")
    fossil("settings", "keep-glob", "*.txt", cwd=wf)
    for w in (wf, wp):
        (w / ".fossil-settings").mkdir()
        (w / ".fossil-settings" / "clean-glob").write_bytes(b"*.o\n")
        (w / ".fossil-settings" / "ignore-glob").write_bytes(b"*.log, e3/*\n")
    _both(seed, wf, wp, "clean", "-v", "--no-prompt", "--disable-undo")
    fossil("unset", "keep-glob", cwd=wf)


def test_clean_refuses_paths_outside_the_tree(seed: tuple[Runner, Runner, Path]) -> None:
    """fossil 2.21 scans (and would delete in) a folder outside the checkout named on
    the command line; fossilpy refuses with file_tree_name's error and removes nothing."""
    _fossil, fossilpy, work = seed
    _wf, wp = _copies(seed, "outside")
    before = sorted(p.name for p in work.iterdir())
    for arg in ("..", "../outside", "/etc"):
        r = fossilpy("clean", "-f", "--disable-undo", arg, cwd=wp, check=False)
        assert r.returncode == 1, arg
        assert r.stderr == f"fossilpy: file outside of check-out tree: {arg}\n".encode(), (arg, r.stderr)
    # a name that goes through a symlinked folder is never removed through it
    (wp / "dirlink").symlink_to(work)
    r = fossilpy("clean", "-f", "--disable-undo", "-v", "dirlink/outside", "sub/link", cwd=wp, check=False)
    assert r.stdout == b"Could not remove file: dirlink/outside\nRemoved unmanaged file: sub/link\n", r
    assert not (wp / "sub" / "link").is_symlink()
    assert sorted(p.name for p in work.iterdir()) == before
    assert (work / "outside").read_bytes() == b"outside the tree\n"
    assert (wp / "extra1").exists()
