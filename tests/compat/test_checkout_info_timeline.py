"""``info`` and ``timeline`` inside a checkout against the real fossil 2.21
(issue 13), in twin checkouts of one history (tests/compat/twin_checkout.py).

Without -R the repository is the checkout's: ``info`` adds the
repository, local-root, config-db and checkout lines (with parents,
children, merges, tags and comment), ``info current|prev|next`` resolve
against the checkout, ``timeline`` marks the checkout's check-in
``*CURRENT*``, takes ``current`` as origin and ``-c`` for the checkout's
branch.  With -R, the checkout is not used, as in Fossil.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.twin_checkout import build_history, make_twins


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fossil, _, work = make_runners(tmp_path_factory, "info-base")
    return build_history(fossil, work)


INFO = (
    ("info",),
    ("info", "current"),
    ("info", "prev"),
    ("info", "next"),
    ("info", "v1"),
    ("info", "feat"),
    ("info", "nosuch"),
)

TIMELINE = (
    ("timeline",),
    ("timeline", "-n", "5"),
    ("timeline", "-n", "-6"),
    ("timeline", "-n", "0"),
    ("timeline", "current"),
    ("timeline", "cu", "-n", "3"),
    ("timeline", "before", "current", "-n", "3"),
    ("timeline", "after", "current"),
    ("timeline", "after", "v1", "-n", "4"),
    ("timeline", "-c"),
    ("timeline", "--current-branch", "-n", "2"),
    ("timeline", "-b", "feat"),
    ("timeline", "-W", "40", "-n", "6"),
    ("timeline", "prev", "-n", "2"),
    ("timeline", "-t", "ci", "-n", "3"),
    ("timeline", "descendants", "v1"),
    ("timeline", "children", "v1", "-n", "3"),
    ("timeline", "ancestors", "current"),
    ("timeline", "parents", "feat", "-n", "4"),
    ("timeline", "a", "v1"),
    ("timeline", "d", "now"),
    ("timeline", "descendants", "2024-02-01"),
    ("timeline", "before", "2024-02-03"),
    ("timeline", "2024-02-03"),
    ("timeline", "frob", "v1"),
    ("timeline", "frob", "v1", "-n", "2"),
    ("timeline", "-v", "-n", "4"),
    ("timeline", "--showfiles", "-n", "2"),
    ("timeline", "-p", "a.txt"),
    ("timeline", "-p", "sub", "-v"),
    ("timeline", "--path", "nosuch"),
    ("timeline", "--offset", "3", "-n", "3"),
    ("timeline", "--count", "2"),
    ("timeline", "--oneline", "-n", "5"),
    ("timeline", "--medium", "-n", "3"),
    ("timeline", "--full", "-n", "-9"),
    ("timeline", "-F", "oneline", "-n", "-5"),
    ("timeline", "-F", "[%b|%t|%p|%a|%d|%H] %c%%%x%", "-n", "20"),
    ("timeline", "--format", "%h%n%n%c", "-n", "-7"),
)


def test_info_and_timeline_in_checkout(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "info-timeline")
    for args in INFO + TIMELINE:
        t.same(*args)
    for args in (("info",), ("timeline", "-n", "3"), ("timeline", "-p", "b.txt"), ("timeline", "-p", ".", "-n", "2")):
        t.same(*args, sub="sub")
    # with -R the checkout is not open: no checkout lines, no *CURRENT*, no 'current'
    t.same("info", repo_opt=True)
    t.same("timeline", "-n", "4", repo_opt=True)
    t.same("timeline", "current", repo_opt=True)
    t.same("timeline", "-c", repo_opt=True)
    t.same("info", "current", repo_opt=True)


def test_info_on_a_merge_and_a_branch(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "info-merge", version="feat")
    for args in (("info",), ("timeline", "-n", "6"), ("timeline", "-c")):
        t.same(*args)
    for side in (0, 1):
        t.fossil("update", "trunk", cwd=t.co(side))
        t.fossil("update", "prev", cwd=t.co(side))
        t.fossil("update", "prev", cwd=t.co(side))
        t.fossil("update", "prev", cwd=t.co(side))
    for args in (("info",), ("info", "prev"), ("timeline", "current", "-n", "3")):
        t.same(*args)


def test_info_verbose_and_repository_file(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """``info -v`` adds the other checkouts (alt-root:/check-out:) and the program's
    name and version (fossilpy's own: the last two lines differ by design);
    ``info REPOSITORY-FILE`` lists the repository's checkouts."""
    t = make_twins(tmp_path_factory, base, "info-verbose")
    for side in (0, 1):
        (t.dirs[side] / "co2").mkdir()
        t.fossil("open", "--force", str(t.repo(side)), "v1", cwd=t.dirs[side] / "co2")
        # distinct times for the two checkouts (they are listed newest first)
        con = sqlite3.connect(t.repo(side))
        con.execute("UPDATE config SET mtime=1000 WHERE name GLOB 'ckout:*co2/'")
        con.execute("UPDATE config SET mtime=2000 WHERE name GLOB 'ckout:*co/'")
        con.commit()
        con.close()
    t.same("info", "../r.fossil")
    for repo_opt in (False, True):
        f, p = t.pair("info", "-v", repo_opt=repo_opt)
        assert (f[0], f[2]) == (p[0], p[2]) == (0, "")
        assert p[1].splitlines()[:-2] == f[1].splitlines()[:-2]
        assert p[1].splitlines()[-2].startswith("fossil:       ")
        assert p[1].splitlines()[-1].startswith("version:      fossilpy ")
    assert "alt-root:     ROOT/co2/" in p[1] or "check-out:    ROOT/co" in p[1]
