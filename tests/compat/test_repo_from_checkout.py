"""Inside a checkout, repository commands without -R use the checkout's repository
(Fossil's ``db_find_and_open_repository``), from any folder of the tree; outside
one they fail with Fossil's message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner


@pytest.fixture
def tree(fossil: Runner, tmp_path: Path) -> Path:
    fossil("init", "r.fossil")
    wd = tmp_path / "wd"
    wd.mkdir()
    fossil("open", "../r.fossil", "--nosync", cwd=wd)
    (wd / "sub" / "deeper").mkdir(parents=True)
    (wd / "sub" / "a.txt").write_text("kappa alpha\n")
    fossil("add", "sub/a.txt", cwd=wd)
    fossil("commit", "-m", "kappa: the first file", "--no-warnings", "--nosync", cwd=wd)
    (tmp_path / "page.txt").write_text("Kappa wiki text\n")
    fossil("wiki", "create", "Kappa Page", str(tmp_path / "page.txt"), cwd=wd)
    fossil("fts-config", "enable", "cdw", cwd=wd)
    return wd


@pytest.mark.parametrize(
    "argv",
    [["wiki", "list"], ["user", "list"], ["search", "kappa"], ["search", "-a", "wiki"], ["ticket", "list", "fields"]],
)
def test_commands_use_the_checkouts_repository(tree: Path, fossil: Runner, fossilpy: Runner, argv: list[str]) -> None:
    for cwd in (tree, tree / "sub" / "deeper"):
        want = fossil(*argv, cwd=cwd)
        got = fossilpy(*argv, cwd=cwd)
        assert (got.returncode, got.stdout) == (want.returncode, want.stdout) == (0, want.stdout)
        repo = tree.parent / "r.fossil"
        assert fossilpy(*argv, "-R", repo, cwd=cwd).stdout == fossil(*argv, "-R", repo, cwd=cwd).stdout
    assert fossilpy("search", "kappa", cwd=tree).stdout.count(b"kappa") >= 1


def test_outside_a_checkout_fossils_message(tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    for argv in (["wiki", "list"], ["search", "x"], ["user", "list"]):
        want = fossil(*argv, check=False)
        got = fossilpy(*argv, check=False)
        assert want.returncode == got.returncode == 1
        assert want.stderr == b"use --repository or -R to specify the repository database\n"
        assert got.stderr == b"fossilpy: use --repository or -R to specify the repository database\n"
