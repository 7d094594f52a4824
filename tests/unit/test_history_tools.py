"""The shared test repositories (tests/history.py) and comparison tools (tests/compare.py)."""

from __future__ import annotations

import sqlite3
import subprocess
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.compare import (
    DERIVED_TABLES,
    derived_table_diff,
    essential_table_diff,
    expand_all,
    format_diff,
)
from tests.conftest import Runner
from tests.history import copy_repo

pytestmark = pytest.mark.compat


def _q(repo: Path, sql: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(repo)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _rebuilt(fossil: Runner, src: Path, dest_dir: Path) -> Path:
    copy = copy_repo(src, dest_dir)
    fossil("rebuild", copy)
    return copy


# ---------------------------------------------------------------- the fixture


def test_varied_sha3_repo_contents(varied_repos: dict[str, Path]) -> None:
    repo = varied_repos["sha3"]
    assert _q(repo, "SELECT DISTINCT length(uuid) FROM blob") == [(64,)]
    kinds = dict(_q(repo, "SELECT type, count(*) FROM event GROUP BY type"))
    assert kinds == {"ci": 14, "e": 3, "f": 4, "g": 7, "t": 6, "w": 6}
    assert _q(repo, "SELECT count(*) FROM cherrypick WHERE isExclude=0") == [(1,)]
    assert _q(repo, "SELECT count(*) FROM plink WHERE isprim=0") == [(1,)]
    assert _q(repo, "SELECT count(*) FROM forumpost") == [(4,)]
    assert _q(repo, "SELECT count(*) FROM forumpost WHERE fprev IS NOT NULL") == [(1,)]
    targets = _q(repo, "SELECT length(target) FROM attachment ORDER BY 1")
    assert targets == [(4,), (40,), (40,)]  # wiki "Home", technote id, ticket uuid
    assert _q(repo, "SELECT count(DISTINCT tkt_uuid) FROM ticket") == [(2,)]
    assert _q(repo, "SELECT count(*) FROM ticketchng") == [(5,)]
    # one exec file and one symlink at some point in history
    assert _q(repo, "SELECT DISTINCT mperm FROM mlink ORDER BY 1") == [(0,), (1,), (2,)]
    # a rename and a deletion
    assert _q(repo, "SELECT count(*) FROM mlink WHERE pfnid>0") == [(1,)]
    assert _q(repo, "SELECT count(*) FROM mlink WHERE fid=0") >= [(1,)]
    tags = {r[0] for r in _q(repo, "SELECT tagname FROM tag")}
    assert {"sym-feature", "sym-experiment", "sym-release", "sym-lineage",
            "sym-temporary", "wiki-Home", "wiki-Markdown Notes"} <= tags
    # cancelled, valued, propagated tags and two closed leaves
    assert _q(repo, "SELECT count(*) FROM tagxref JOIN tag USING(tagid) "
                    "WHERE tagname='sym-temporary' AND tagtype=0") == [(1,)]
    assert _q(repo, "SELECT value FROM tagxref JOIN tag USING(tagid) "
              "WHERE tagname='sym-release' ORDER BY value IS NULL") == [("1.0",), (None,), (None,)]
    assert _q(repo, "SELECT count(*) FROM tagxref JOIN tag USING(tagid) "
                    "WHERE tagname='sym-lineage' AND srcid=0")[0][0] >= 5
    assert _q(repo, "SELECT count(*) FROM tagxref WHERE tagid=9") == [(2,)]
    assert _q(repo, "SELECT count(*) FROM tagxref WHERE tagid=1") >= [(2,)]
    # backlinks from a check-in comment, a wiki page and a ticket
    assert {r[0] for r in _q(repo, "SELECT DISTINCT srctype FROM backlink")} >= {0, 1, 2}
    # deterministic check-in dates
    assert _q(repo, "SELECT min(mtime) FROM event WHERE type='ci'") == [(2460310.504861112,)]


def test_varied_sha1_repo_mixes_hashes(varied_repos: dict[str, Path]) -> None:
    repo = varied_repos["sha1"]
    lengths = dict(_q(repo, "SELECT length(uuid), count(*) FROM blob GROUP BY 1"))
    assert set(lengths) == {40, 64}
    assert lengths[40] >= 8
    # the ticket id stays 40 hex in both variants
    assert _q(repo, "SELECT DISTINCT length(tkt_uuid) FROM ticket") == [(40,)]


def test_copy_repo_copies_and_refuses_self(varied_repos: dict[str, Path],
                                           tmp_path: Path) -> None:
    src = varied_repos["sha3"]
    copy = copy_repo(src, tmp_path / "c")
    assert copy == tmp_path / "c" / src.name
    assert copy.read_bytes() == src.read_bytes()
    with pytest.raises(ValueError):
        copy_repo(copy, copy.parent)


def test_varied_copy_and_rebuilt(varied_copy: Callable[[str], Path],
                                 varied_rebuilt: dict[str, Path],
                                 varied_repos: dict[str, Path], tmp_path: Path) -> None:
    one, two = varied_copy("sha1"), varied_copy("sha3")
    assert one.parent.parent == tmp_path and one != two
    assert one.read_bytes() == varied_repos["sha1"].read_bytes()
    assert two.read_bytes() == varied_repos["sha3"].read_bytes()
    for key in ("sha3", "sha1"):
        assert _q(varied_rebuilt[key], "SELECT count(*) FROM unsent") == [(0,)]
        assert essential_table_diff(varied_rebuilt[key], varied_repos[key]) == []


def test_build_refuses_existing_destination(tmp_path: Path) -> None:
    from tests.history import build_varied_repo

    dest = tmp_path / "there.fossil"
    dest.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        build_varied_repo(dest)
    assert dest.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["there.fossil"]


# ---------------------------------------------------------------- comparisons


@pytest.mark.parametrize("variant", ["sha3", "sha1"])
def test_two_rebuilds_compare_equal(varied_repos: dict[str, Path], fossil: Runner,
                                    tmp_path: Path, variant: str) -> None:
    a = _rebuilt(fossil, varied_repos[variant], tmp_path / "a")
    b = _rebuilt(fossil, varied_repos[variant], tmp_path / "b")
    assert "checked:  0 errors" in fossil.text("test-integrity", "-R", a)
    assert derived_table_diff(a, b) == [], format_diff(derived_table_diff(a, b))
    assert essential_table_diff(a, b) == []


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    """A small benchmarks/gen_history.py repository, its stream and statistics."""
    from benchmarks.gen_history import generate
    from tests.conftest import require_binary

    require_binary("fossil")
    root = tmp_path_factory.mktemp("generated")
    out, stream = root / "h.fossil", root / "h.fi"
    return out, stream, generate(out, 120, nfiles=30, seed=3, stream_copy=stream, quiet=True)


def test_cluster_crosslink_time_is_masked(generated: tuple[Path, Path, dict[str, int]],
                                          fossil: Runner, tmp_path: Path) -> None:
    a = _rebuilt(fossil, generated[0], tmp_path / "a")
    time.sleep(0.01)
    b = _rebuilt(fossil, generated[0], tmp_path / "b")
    assert _q(b, "SELECT count(*) FROM tagxref JOIN tag USING(tagid) "
                 "WHERE tagname='cluster'")[0][0] >= 1
    assert derived_table_diff(a, b) == []
    unmasked = derived_table_diff(a, b, mask_crosslink_time=False)
    assert unmasked
    assert all(line.startswith(("tagxref: only in A: (tagid=tag:cluster, tagtype=1",
                                "tagxref: only in B: (tagid=tag:cluster, tagtype=1"))
               for line in unmasked)


def test_deleted_mlink_row_is_reported_exactly(varied_repos: dict[str, Path], fossil: Runner,
                                               tmp_path: Path) -> None:
    a = _rebuilt(fossil, varied_repos["sha3"], tmp_path / "a")
    b = copy_repo(a, tmp_path / "b")
    (row,) = _q(b, """
        SELECT m.rowid, bm.uuid, bf.uuid, bpm.uuid, bp.uuid
          FROM mlink m JOIN filename f ON f.fnid=m.fnid
          JOIN blob bm ON bm.rid=m.mid JOIN blob bf ON bf.rid=m.fid
          JOIN blob bpm ON bpm.rid=m.pmid JOIN blob bp ON bp.rid=m.pid
         WHERE f.name='exp.txt' AND m.pid>0""")
    rowid, mid, fid, pmid, pid = row
    con = sqlite3.connect(b)
    con.execute("DELETE FROM mlink WHERE rowid=?", (rowid,))
    con.commit()
    con.close()
    assert derived_table_diff(a, b) == [
        f"mlink: only in A: (mid=@{mid}, fid=@{fid}, pmid=@{pmid}, pid=@{pid}, "
        "fnid=name:exp.txt, pfnid=0, mperm=0, isaux=0)"
    ]
    assert essential_table_diff(a, b) == []


def test_reals_compared_exactly_and_printed_readably(varied_repos: dict[str, Path],
                                                     fossil: Runner, tmp_path: Path) -> None:
    a = _rebuilt(fossil, varied_repos["sha3"], tmp_path / "a")
    b = copy_repo(a, tmp_path / "b")
    (objid, uuid, mtime) = _q(b, "SELECT objid, uuid, mtime FROM event JOIN blob ON rid=objid "
                                 "WHERE type='ci' ORDER BY mtime LIMIT 1")[0]
    con = sqlite3.connect(b)
    con.execute("UPDATE event SET mtime=mtime+1e-9 WHERE objid=?", (objid,))
    con.commit()
    con.close()
    lines = derived_table_diff(a, b, tables=["event"])
    assert len(lines) == 2
    assert lines[0].startswith(f"event: only in A: (type='ci', mtime={mtime!r}="
                               "2024-01-01 00:07:00.000, objid=@" + uuid)
    assert lines[1].startswith("event: only in B: (type='ci', mtime=")


def test_renumbered_ids_compare_equal(varied_repos: dict[str, Path], fossil: Runner,
                                      tmp_path: Path) -> None:
    """Local ids (tagid, fnid) may differ; names are what is compared."""
    a = _rebuilt(fossil, varied_repos["sha3"], tmp_path / "a")
    b = copy_repo(a, tmp_path / "b")
    con = sqlite3.connect(b)
    con.executescript("""
        UPDATE tagxref SET tagid=tagid+1000 WHERE tagid>11;
        UPDATE event SET tagid=tagid+1000 WHERE tagid>11;
        UPDATE backlink SET srcid=srcid+1000 WHERE srctype=2;
        UPDATE tag SET tagid=tagid+1000 WHERE tagid>11;
        UPDATE mlink SET fnid=fnid+500, pfnid=CASE WHEN pfnid>0 THEN pfnid+500 ELSE 0 END;
        UPDATE filename SET fnid=fnid+500;
    """)
    con.commit()
    con.close()
    assert derived_table_diff(a, b) == []


def test_table_present_in_one_only(varied_repos: dict[str, Path], fossil: Runner,
                                   tmp_path: Path) -> None:
    a = _rebuilt(fossil, varied_repos["sha3"], tmp_path / "a")
    b = copy_repo(a, tmp_path / "b")
    con = sqlite3.connect(b)
    con.execute("DROP TABLE forumpost")
    con.commit()
    con.close()
    assert derived_table_diff(a, b) == ["forumpost: table only in A"]
    assert derived_table_diff(b, a) == ["forumpost: table only in B"]
    con = sqlite3.connect(a)
    con.execute("DROP TABLE forumpost")
    con.commit()
    con.close()
    assert derived_table_diff(a, b) == []


def test_essential_diff_ignores_storage_but_sees_content(
        varied_repos: dict[str, Path], fossil: Runner, tmp_path: Path) -> None:
    a = copy_repo(varied_repos["sha1"], tmp_path / "a")
    b = copy_repo(a, tmp_path / "b")
    # Different storage: every blob full text at another zlib level, then
    # fossil's own re-deltification.
    contents = expand_all(a)
    assert all(data is not None for data in contents.values())
    con = sqlite3.connect(b)
    for uuid, data in contents.items():
        con.execute("UPDATE blob SET content=? WHERE uuid=?",
                    (len(data).to_bytes(4, "big") + zlib.compress(data, 1), uuid))
    con.execute("DELETE FROM delta")
    con.commit()
    con.close()
    assert essential_table_diff(a, b) == []
    fossil("rebuild", "--compress", b)
    assert _q(b, "SELECT count(*) FROM delta")[0][0] > 0
    assert essential_table_diff(a, b) == []
    # Same uuid, different bytes: reported as a content difference.
    rid, uuid = _q(b, "SELECT rid, uuid FROM blob WHERE rid NOT IN (SELECT rid FROM delta) "
                      "AND rid NOT IN (SELECT srcid FROM delta) ORDER BY rid DESC LIMIT 1")[0]
    size = len(contents[uuid])
    fake = b"X" * size
    con = sqlite3.connect(b)
    con.execute("UPDATE blob SET content=? WHERE rid=?",
                (size.to_bytes(4, "big") + zlib.compress(fake), rid))
    con.commit()
    con.close()
    lines = essential_table_diff(a, b)
    assert lines[0].startswith(f"content: differs for {uuid}: A=")
    assert lines[1] == f"content: B has content not matching its name {uuid}"
    assert len(lines) == 2


def test_essential_diff_blob_sets(varied_repos: dict[str, Path], tmp_path: Path) -> None:
    a = copy_repo(varied_repos["sha3"], tmp_path / "a")
    b = copy_repo(a, tmp_path / "b")
    con = sqlite3.connect(b)
    rid, uuid, size = con.execute(
        "SELECT rid, uuid, size FROM blob WHERE rid NOT IN (SELECT srcid FROM delta) "
        "ORDER BY rid DESC LIMIT 1").fetchone()
    con.execute("DELETE FROM blob WHERE rid=?", (rid,))
    con.execute("DELETE FROM delta WHERE rid=?", (rid,))
    con.commit()
    con.close()
    assert essential_table_diff(a, b) == [f"blob: only in A: (uuid={uuid}, size={size})"]


def test_compare_rejects_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.fossil"
    junk.write_bytes(b"this is not a database" * 100)
    empty = tmp_path / "empty.fossil"
    sqlite3.connect(empty).close()
    with pytest.raises(FileNotFoundError):
        derived_table_diff(tmp_path / "missing.fossil", empty)
    with pytest.raises(sqlite3.DatabaseError):
        derived_table_diff(junk, empty)
    # two empty databases: every derived table is absent in both, so equal
    other = tmp_path / "other.fossil"
    sqlite3.connect(other).close()
    assert derived_table_diff(empty, other) == []
    assert len(DERIVED_TABLES) == 17


def test_format_diff() -> None:
    assert format_diff([]) == "no differences"
    assert format_diff(["a", "b"]) == "2 difference(s):\na\nb"
    assert format_diff(["x"] * 3, limit=1) == "3 difference(s):\nx\n... and 2 more"


def test_compare_cli(varied_repos: dict[str, Path], tmp_path: Path) -> None:
    import sys

    repo = varied_repos["sha3"]
    same = subprocess.run([sys.executable, "-m", "tests.compare", repo, repo],
                          capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert (same.returncode, same.stdout) == (0, "no differences\n")
    usage = subprocess.run([sys.executable, "-m", "tests.compare", repo],
                           capture_output=True, text=True,
                           cwd=Path(__file__).resolve().parents[2])
    assert (usage.returncode, usage.stdout) == (2, "usage: python -m tests.compare REPO_A REPO_B\n")


# ---------------------------------------------------------------- gen_history


def test_gen_history_small(generated: tuple[Path, Path, dict[str, int]], fossil: Runner,
                           tmp_path: Path) -> None:
    from benchmarks.gen_history import generate

    out, stream, result = generated
    assert result["checkins"] == 120
    assert result["merges"] >= 1
    assert result["branches"] >= 2
    assert result["filenames"] >= 33
    assert stream.read_bytes().startswith(b"blob\nmark :1\ndata ")
    # deterministic: the same seed gives the same artifacts
    again = generate(tmp_path / "h2.fossil", 120, nfiles=30, seed=3, quiet=True)
    assert again == {**result, "bytes": again["bytes"]}
    assert essential_table_diff(out, tmp_path / "h2.fossil") == []
    fossil("test-integrity", "-R", out)


def test_gen_history_cli_rejects_garbage(tmp_path: Path) -> None:
    import sys

    root = Path(__file__).resolve().parents[2]
    for args in (["--checkins", "0"], ["--checkins", "many"], []):
        proc = subprocess.run([sys.executable, "benchmarks/gen_history.py",
                               *([str(tmp_path / "x.fossil")] if args else []), *args],
                              capture_output=True, text=True, cwd=root)
        assert proc.returncode == 2, proc
        assert "usage: gen_history.py" in proc.stderr
    existing = tmp_path / "exists.fossil"
    existing.write_bytes(b"keep me")
    proc = subprocess.run([sys.executable, "benchmarks/gen_history.py", str(existing),
                           "--checkins", "5"], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 1
    assert proc.stderr == f"gen_history: {existing} already exists\n"
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "x.fossil").exists()
