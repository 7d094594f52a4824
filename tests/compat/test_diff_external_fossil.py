"""``fossilpy diff``/``gdiff`` with an external diff program against
``fossil diff``/``gdiff`` in the same checkout (issue 13): ``--command``,
the ``diff-command``/``gdiff-command`` settings, ``-i``, binary files
(``--binary``, ``binary-glob``, ``--diff-binary``, ``diff-binary``),
``--exec-rel-paths``/``--exec-abs-paths``, ``--invert``.

The program is a shell script that prints its arguments and the content of
both files; both programs run with the same fresh ``TMPDIR``, so the
temporary file names (``NAME~orig``, ``~before``, ``~after``) are part of
the compared bytes, as is the order of the program's lines against
Fossil's own (C stdio buffering: the program's output comes first in a
pipe until Fossil has written a whole block)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

#: files whose Index lines pass one 4096-byte stdio block
MANY = 45

SHOW = """#!/bin/sh
echo "ARGS: $*"
for f in "$@"; do echo "== $f"; cat "$f"; done
echo "(end)"
"""


class Tree:
    def __init__(self, fossil: Runner, fossilpy: Runner, w: Path, show: Path, work: Path) -> None:
        self.fossil, self.fossilpy, self.w, self.show, self.work = fossil, fossilpy, w, show, work
        self.n = 0

    def same(self, *args: str, cwd: Path | None = None) -> bytes:
        """Both programs, each with a fresh (equal) TMPDIR: stdout, stderr, exit code equal."""
        self.n += 1
        tmp = self.work / f"tmp{self.n}"
        tmp.mkdir()
        env = {"TMPDIR": str(tmp)}
        a = self.fossil(*args, check=False, cwd=cwd or self.w, env=env)
        assert list(tmp.iterdir()) == [], "fossil left a temporary file"
        b = self.fossilpy(*args, check=False, cwd=cwd or self.w, env=env)
        assert list(tmp.iterdir()) == [], "fossilpy left a temporary file"
        assert b.stdout == a.stdout, args
        assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr, args
        assert b.returncode == a.returncode, args
        return a.stdout

    def setting(self, name: str, value: str | None) -> None:
        if value is None:
            self.fossil("unset", name, cwd=self.w)
        else:
            self.fossil("settings", name, value, cwd=self.w)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "diffext")
    show = work / "show.sh"
    show.write_text(SHOW)
    show.chmod(0o755)
    fossil("init", str(work / "r.fossil"))
    w = work / "w"
    w.mkdir()
    fossil("open", "../r.fossil", cwd=w)
    (w / "f1.txt").write_bytes(b"one\ntwo\nthree\n")
    (w / "b.bin").write_bytes(b"bin\0ary")
    (w / "gone").write_bytes(b"will go\n")
    (w / "d").write_bytes(b"to delete\n")
    (w / "-dash").write_bytes(b"dash\n")
    (w / "sp ace").write_bytes(b"space\n")
    (w / "it's \u00e9.txt").write_bytes(b"quote\n")
    (w / "sub").mkdir()
    (w / "sub" / "s1.c").write_bytes(b"s\n")
    (w / "many").mkdir()
    for i in range(MANY):
        (w / "many" / f"file-with-a-longish-name-{i:03d}.txt").write_bytes(b"x\n")
    fossil("add", ".", cwd=w)
    fossil("commit", "--no-warnings", "-m", "one", cwd=w)
    (w / "f1.txt").write_bytes(b"one\nTWO\nthree\nfour\n")
    (w / "b.bin").write_bytes(b"bin\0ary, longer")
    (w / "-dash").write_bytes(b"dash\nmore\n")
    (w / "sp ace").write_bytes(b"space\nmore\n")
    (w / "it's \u00e9.txt").write_bytes(b"quote\nmore\n")
    (w / "sub" / "s1.c").write_bytes(b"s\nmore\n")
    fossil("commit", "--no-warnings", "-m", "two", cwd=w)
    (w / "f1.txt").write_bytes(b"one\n2\nthree\nfour\nfive\n")
    (w / "sub" / "s1.c").write_bytes(b"s\nmore\nand more\n")
    (w / "b.bin").write_bytes(b"bin\0ary, longer still")
    (w / "gone").unlink()
    fossil("rm", "d", cwd=w)
    (w / "new").write_bytes(b"brand new\n")
    fossil("add", "new", cwd=w)
    return Tree(fossil, fossilpy, w, show, work)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-v"],
        ["--diff-binary", "0", "-v"],
        ["--diff-binary", "yes"],
        ["--binary", "*.c", "--diff-binary", "off"],
        ["--binary", "*.c"],
        ["--invert"],
        ["--exec-rel-paths", "-v"],
        ["--exec-rel-paths", "--exec-abs-paths"],
        ["sub", "f1.txt"],
        ["--from", "root:trunk", "-v"],
        ["--from", "root:trunk", "--to", "trunk"],
        ["--from", "root:trunk", "--to", "trunk", "--diff-binary", "0"],
        ["--from", "root:trunk", "--to", "trunk", "--binary", "-dash", "--diff-binary", "0", "-v"],
        ["--checkin", "trunk", "--invert"],
        ["--brief"],
        ["--numstat"],
        ["-h"],
    ],
)
def test_command_option(tree: Tree, args: list[str]) -> None:
    tree.same("diff", "--command", str(tree.show), *args)


def test_outputs_are_not_trivial(tree: Tree) -> None:
    """The program really runs, with the names and contents expected."""
    out = tree.same("diff", "--command", str(tree.show), "--diff-binary", "0", "f1.txt", "b.bin")
    assert out.startswith(b"ARGS: ")
    assert b"f1~orig.txt " + str(tree.w).encode() + b"/f1.txt\n== " in out
    assert b"one\nTWO\nthree\nfour\n== " in out
    binary = b"cannot compute difference between binary files\n"
    assert out.endswith(b"Index: b.bin\n" + b"=" * 66 + b"\n" + binary + b"Index: f1.txt\n" + b"=" * 66 + b"\n")
    files = [tree.w / "many" / f"file-with-a-longish-name-{i:03d}.txt" for i in range(MANY)]
    for f in files:
        f.write_bytes(b"x\ny\n")
    try:
        many = tree.same("diff", "--command", "echo", "many")
        tree.same("diff", "--command", str(tree.show), "many")
    finally:
        for f in files:
            f.write_bytes(b"x\n")
    # past one 4096-byte block of Fossil's own lines, the program's lines come after them
    assert many.index(b"Index: many/") < many.rindex(b"~orig.txt")
    quoted = tree.same("diff", "--command", "echo", "-v", "--from", "root:trunk", "--exec-rel-paths")
    assert b" ./-dash\n" in quoted and b"/sp ace~orig sp ace\n" in quoted
    assert b"/it_s \xc3\xa9~orig.txt it's \xc3\xa9.txt\n" in quoted


def test_exec_rel_paths_from_subdirectory(tree: Tree) -> None:
    """Relative names are the checkout's names, so from a sub-folder Fossil finds nothing."""
    for args in (["--exec-rel-paths"], ["--exec-rel-paths", "-v"], ["--exec-abs-paths"], []):
        tree.same("diff", "--command", str(tree.show), *args, cwd=tree.w / "sub")
    tree.setting("exec-rel-paths", "1")
    try:
        tree.same("diff", "--command", str(tree.show))
        tree.same("diff", "--command", str(tree.show), cwd=tree.w / "sub")
        tree.same("diff", "--command", str(tree.show), "--exec-abs-paths", cwd=tree.w / "sub")
        tree.same("diff", cwd=tree.w / "sub")
    finally:
        tree.setting("exec-rel-paths", None)


def test_settings_diff_command_gdiff_command(tree: Tree) -> None:
    show = str(tree.show)
    tree.setting("diff-command", show)
    try:
        out = tree.same("diff")
        assert out.startswith(b"ARGS: ")
        tree.same("diff", "-i")
        tree.same("diff", "--command", "echo")
        tree.same("diff", "--diff-binary", "0")
        tree.same("gdiff", "-i")
        tree.same("diff", "--json")
        tree.same("diff", "-y")
        tree.setting("binary-glob", "*.txt")
        tree.setting("diff-binary", "off")
        tree.same("diff")
        tree.same("diff", "--diff-binary", "1")
        tree.same("diff", "--binary", "sub/*")
        tree.setting("binary-glob", None)
        tree.setting("diff-binary", None)
    finally:
        tree.setting("diff-command", None)
    # gdiff with no gdiff-command runs "gdiff" (the setting's default), which is not there
    tree.same("gdiff", "f1.txt")
    tree.setting("gdiff-command", show)
    try:
        assert tree.same("gdiff", "f1.txt").startswith(b"ARGS: ")
        tree.same("gdiff", "-i", "f1.txt")
        tree.same("diff", "f1.txt")
        tree.same("gdiff", "--command", "echo", "f1.txt")
        tree.same("gdiff", "--from", "root:trunk", "--to", "trunk", "sub")
    finally:
        tree.setting("gdiff-command", None)


@pytest.mark.parametrize(
    "args",
    [
        ["-i", "--command", "echo"],
        ["--binary", "*"],
        ["--diff-binary", "1"],
        ["--json", "--command", "echo"],
        ["--webpage", "--command", "echo"],
        ["--tcl", "--binary", "x"],
    ],
)
def test_program_options_without_program(tree: Tree, args: list[str]) -> None:
    tree.same("diff", *args)


def test_unsafe_command_refused(tree: Tree) -> None:
    """Fossil panics (SIGABRT) on a command string with a ';' outside quotes;
    fossilpy refuses it with the same message (exit code 1), runs nothing, leaves no file."""
    tmp = tree.work / "tmp-unsafe"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    b = tree.fossilpy("diff", "--command", "echo a;echo b", "f1.txt", check=False, cwd=tree.w, env=env)
    assert list(tmp.iterdir()) == []
    a = tree.fossil("diff", "--command", "echo a;echo b", "f1.txt", check=False, cwd=tree.w, env=env)
    assert a.returncode != 0 and b.returncode == 1
    assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr
    assert b"echo" not in b.stdout and b"\na\n" not in b.stdout
    for f in tmp.iterdir():
        os.unlink(f)


def test_per_user_settings(tree: Tree) -> None:
    """Settings of the per-user configuration (~/.fossil) count when the repository has none."""
    show = str(tree.show)
    tree.fossil("settings", "--global", "gdiff-command", show, cwd=tree.w)
    tree.fossil("settings", "--global", "diff-binary", "off", cwd=tree.w)
    try:
        assert tree.same("gdiff", "f1.txt", "b.bin").startswith(b"ARGS: ")
        tree.same("diff", "f1.txt")
        tree.setting("gdiff-command", "echo")  # the repository's value first
        tree.same("gdiff", "f1.txt", "b.bin")
        tree.setting("gdiff-command", None)
        tree.fossil("settings", "--global", "exec-rel-paths", "on", cwd=tree.w)
        tree.same("gdiff", "--command", "echo", "f1.txt")
    finally:
        for name in ("gdiff-command", "diff-binary", "exec-rel-paths"):
            tree.fossil("unset", "--global", name, cwd=tree.w)
