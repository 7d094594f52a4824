"""``fossilpy rebuild`` leaves the same derived tables as ``fossil rebuild``.

Each repository is copied twice; real fossil rebuilds one copy and fossilpy
the other, and the derived tables are compared with rids mapped to hashes
(tests.compare).  The fossilpy-rebuilt copy must then pass
``fossil test-integrity``, and ``fossil timeline`` on it must print what it
prints on fossil's copy.  ``fossilpy timeline`` must print the same too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.compare import derived_table_diff, format_diff
from tests.conftest import Runner
from tests.history import copy_repo, fossil_env

pytestmark = pytest.mark.compat

#: Tables filled by check-in, cluster and control-artifact crosslinking.
CHECKIN_TABLES = (
    "filename", "mlink", "plink", "leaf", "tag", "tagxref", "cherrypick",
    "unclustered", "unsent", "orphan", "phantom",
)  # fmt: skip


def _event_diff(a: Path, b: Path) -> list[str]:
    """Differences in event rows of type ci and g, and in check-in comment backlinks."""
    return [
        line
        for line in derived_table_diff(a, b, tables=("event", "backlink"))
        if "type='ci'" in line or "type='g'" in line or "srctype=0," in line
    ]


def _fossil(args: list[str], home: Path, cwd: Path) -> str:
    return Runner([shutil.which("fossil") or "fossil"], fossil_env(home), cwd).text(*args)


def _build_edge_repo(dest: Path) -> Path:
    """Delta manifests, clock skew (time fudge), a private check-in, a merged
    branch with a propagating colour, a reparent, a closed leaf, a changed
    date and user, and a cancelled tag -- all made by real fossil."""
    home = dest.parent / "edge-home"
    work = dest.parent / "edge-work"
    home.mkdir()
    work.mkdir()

    def f(*args: str) -> str:
        return _fossil(list(args), home, work)

    def date(minute: int, second: float = 0.0) -> str:
        return f"2024-02-01T10:{minute:02d}:{second:06.3f}"

    f("init", "-A", "root", "--date-override", date(0), str(dest))
    f("open", str(dest))
    f("settings", "autosync", "off")
    f("user", "new", "bob", "bob@example.org", "pw")
    (work / "a.txt").write_text("a\n")
    f("add", "a.txt")
    f("commit", "-m", "add a", "--date-override", date(0, 1))
    (work / "a.txt").write_text("a\nb\n")
    f("commit", "-m", "delta one", "--delta", "--allow-older", "--date-override", date(0, 0.5))
    (work / "c.txt").write_text("c\n")
    f("add", "c.txt")
    f("commit", "-m", "delta two", "--delta", "--allow-older", "--date-override", date(0, 0.2))
    f("rm", "a.txt")
    f("commit", "-m", "baseline after delta", "--date-override", date(0, 3))
    (work / "p.txt").write_text("p\n")
    f("add", "p.txt")
    f("commit", "-m", "private work", "--private", "--date-override", date(5))
    f("update", "trunk")
    (work / "d.txt").write_text("d\n")
    f("add", "d.txt")
    f("commit", "-m", "side", "--branch", "side", "--bgcolor", "#abcdef",
      "--date-override", date(6))  # fmt: skip
    (work / "d.txt").write_text("d\ne\n")
    f("commit", "-m", "side 2, see [0123456789]", "--date-override", date(7))
    side = f("info", "side").split("hash:")[1].split()[0]
    f("update", "trunk")
    f("merge", "side")
    f("commit", "-m", "merge side", "--date-override", date(8))
    trunk = f("info", "trunk").split("hash:")[1].split()[0]
    f("tag", "add", "--date-override", date(9), "temp", side)
    f("tag", "cancel", "--date-override", date(10), "temp", side)
    f("reparent", "--date-override", date(11), trunk, side)
    f("amend", trunk, "--close", "--date-override", date(12))
    f("amend", side, "--date", "2024-01-01T00:00:00", "--date-override", date(13))
    f("amend", side, "--user", "bob", "--date-override", date(14))
    f("amend", side, "--comment", "Side, edited", "--date-override", date(15))
    f("close")
    return dest


@pytest.fixture(scope="session")
def edge_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import require_binary

    require_binary("fossil")
    root = tmp_path_factory.mktemp("xlink-edge")
    return _build_edge_repo(root / "edge.fossil")


def _rebuild_both(src: Path, tmp_path: Path, fossil, fossilpy) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    ours = copy_repo(src, tmp_path / "ours")
    theirs = copy_repo(src, tmp_path / "theirs")
    fossil("rebuild", theirs)
    proc = fossilpy("rebuild", "-R", ours)
    assert proc.returncode == 0
    assert proc.stdout == b""  # not a terminal: quiet
    assert proc.stderr == b""
    return ours, theirs


def _check_same(ours: Path, theirs: Path, fossil, fossilpy) -> None:  # type: ignore[no-untyped-def]
    diff = derived_table_diff(theirs, ours, tables=CHECKIN_TABLES) + _event_diff(theirs, ours)
    assert not diff, "derived tables differ (A=fossil, B=fossilpy):\n" + format_diff(diff)
    integrity = fossil.text("test-integrity", "-R", ours)
    assert " 0 errors" in integrity
    assert "low-level database integrity-check: ok" in integrity
    for args in (["-n", "0"], ["-n", "0", "-t", "ci"], ["-n", "0", "-t", "g"], ["-n", "7"]):
        want = fossil.text("timeline", *args, "-R", theirs)
        assert fossil.text("timeline", *args, "-R", ours) == want
        assert fossilpy.text("timeline", *args, "-R", ours) == want
    assert fossil.text("leaves", "-a", "-R", ours) == fossil.text("leaves", "-a", "-R", theirs)
    assert fossil.text("tag", "list", "-R", ours) == fossil.text("tag", "list", "-R", theirs)


@pytest.mark.parametrize("variant", ["sha3", "sha1"])
def test_rebuild_varied(variant, varied_repos, tmp_path, fossil, fossilpy):  # type: ignore[no-untyped-def]
    ours, theirs = _rebuild_both(varied_repos[variant], tmp_path, fossil, fossilpy)
    _check_same(ours, theirs, fossil, fossilpy)


def test_rebuild_edge_cases(edge_repo, tmp_path, fossil, fossilpy):  # type: ignore[no-untyped-def]
    ours, theirs = _rebuild_both(edge_repo, tmp_path, fossil, fossilpy)
    _check_same(ours, theirs, fossil, fossilpy)


def test_rebuild_twice_is_stable(edge_repo, tmp_path, fossil, fossilpy):  # type: ignore[no-untyped-def]
    ours, theirs = _rebuild_both(edge_repo, tmp_path, fossil, fossilpy)
    fossilpy("rebuild", ours)
    fossil("rebuild", theirs)
    _check_same(ours, theirs, fossil, fossilpy)


def test_rebuild_repo_fossil_rebuilt_after_us(edge_repo, tmp_path, fossil, fossilpy):  # type: ignore[no-untyped-def]
    """fossil can rebuild on top of our result and nothing changes."""
    ours, theirs = _rebuild_both(edge_repo, tmp_path, fossil, fossilpy)
    again = copy_repo(ours, tmp_path / "again")
    fossil("rebuild", again)
    diff = derived_table_diff(again, ours, tables=CHECKIN_TABLES) + _event_diff(again, ours)
    assert not diff, format_diff(diff)


@pytest.mark.parametrize(
    "args",
    [
        ["-n", "0"],
        ["-n", "3"],
        ["-n", "-5"],
        ["-W", "40", "-n", "0"],
        ["before", "2024-01-01T01:00"],
        ["after", "2024-01-01", "-n", "4"],
        ["2024-01-01"],
        ["-t", "w", "-n", "0"],
        ["-t", "all"],
    ],
)
def test_timeline_text_matches_fossil(args, varied_rebuilt, fossil, fossilpy):  # type: ignore[no-untyped-def]
    repo = varied_rebuilt["sha3"]
    want = fossil("timeline", *args, "-R", repo, input=b"")
    got = fossilpy("timeline", *args, "-R", repo, input=b"")
    assert got.stdout.decode() == want.stdout.decode()


def test_rebuild_garbage_file(tmp_path, fossilpy):  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.fossil"
    junk.write_bytes(b"not a repository at all\n" * 100)
    before = junk.read_bytes()
    proc = fossilpy("rebuild", junk, check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("fossilpy: not a repository")
    assert b"Traceback" not in proc.stderr
    assert junk.read_bytes() == before
    proc = fossilpy("rebuild", tmp_path / "missing.fossil", check=False)
    assert proc.returncode == 1
    assert b"does not exist" in proc.stderr
    proc = fossilpy("timeline", "-R", junk, check=False)
    assert proc.returncode == 1
    assert b"Traceback" not in proc.stderr


def test_timeline_bad_arguments(varied_rebuilt, fossilpy):  # type: ignore[no-untyped-def]
    repo = varied_rebuilt["sha3"]
    proc = fossilpy("timeline", "-W", "5", "-R", repo, check=False)
    assert proc.returncode == 1
    assert proc.stderr == b"fossilpy: -W|--width value must be >20 or 0\n"
    proc = fossilpy("timeline", "nosuchthing-xyz", "-R", repo, check=False)
    assert proc.returncode == 1
    assert proc.stderr == b"fossilpy: unknown check-in or invalid date: nosuchthing-xyz\n"
