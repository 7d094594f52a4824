"""Repository files: fossilpy's are accepted by real fossil, and fossil's by
fossilpy (schema, config, users, initial check-in, content store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fossilpy.artifact import delta, hname
from fossilpy.repo import content, names
from fossilpy.repo.db import Repo
from tests.compat.conftest import make_runners
from tests.conftest import Runner

pytestmark = pytest.mark.compat

DATE = "2021-03-04 05:06:07"


@pytest.fixture(scope="session")
def runners(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path]:
    return make_runners(tmp_path_factory, "core")


@pytest.fixture(scope="session")
def pair(runners) -> tuple[Path, Path]:
    """(made by fossilpy init, made by fossil init), same admin and date."""
    fossil, fossilpy, work = runners
    ours, theirs = work / "ours.fossil", work / "theirs.fossil"
    fossilpy("init", ours, "--admin-user", "alice", "--date-override", DATE)
    fossil("init", theirs, "--admin-user", "alice", "--date-override", DATE)
    return ours, theirs


@pytest.fixture
def scratch(pair, tmp_path: Path) -> Path:
    """A writable copy of fossilpy's repository."""
    dst = tmp_path / "copy.fossil"
    shutil.copy(pair[0], dst)
    return dst


def sql(fossil: Runner, repo: Path, query: str) -> list[str]:
    return fossil.text("sql", "-R", repo, query).splitlines()


# -- fossil accepts fossilpy's repository ---------------------------------------


def test_fossil_test_integrity(runners, pair) -> None:
    fossil = runners[0]
    out = fossil.text("test-integrity", "--parse", "-R", pair[0])
    assert "1 non-phantom blobs (out of 1 total) checked:  0 errors\n" in out
    assert "  1 manifests\n" in out
    assert out.endswith("low-level database integrity-check: ok\n")


def test_initial_checkin_is_byte_identical(runners, pair) -> None:
    fossil = runners[0]
    ours = fossil("artifact", "tip", "-R", pair[0]).stdout
    theirs = fossil("artifact", "tip", "-R", pair[1]).stdout
    assert ours == theirs
    assert ours.startswith(b"C initial\\sempty\\scheck-in\nD 2021-03-04T05:06:07.000\n")
    assert b"\nT *branch * trunk\nT *sym-trunk *\nU alice\nZ " in ours


def test_fossil_timeline(runners, pair) -> None:
    out = runners[0].text("timeline", "-R", pair[0])
    assert "=== 2021-03-04 ===\n" in out
    assert "05:06:07 [" in out
    assert "] initial empty check-in (user: alice tags: trunk)\n" in out


def test_fossil_rebuild_then_integrity(runners, scratch) -> None:
    fossil = runners[0]
    before = sql(fossil, scratch, "SELECT type, objid, user, comment FROM event")
    fossil("rebuild", scratch)
    assert sql(fossil, scratch, "SELECT type, objid, user, comment FROM event") == before
    assert "checked:  0 errors" in fossil.text("test-integrity", "-R", scratch)
    assert sql(fossil, scratch, "SELECT tagname FROM tag WHERE tagid>11") == ["'sym-trunk'"]


def test_fossil_http_get(runners, scratch) -> None:
    fossil = runners[0]
    for page in ("/timeline", "/index", "/dir"):
        req = f"GET {page} HTTP/1.0\r\nHost: localhost\r\n\r\n"
        out = fossil("http", "--nojail", scratch, input=req).stdout
        assert out.startswith(b"HTTP/1.0 200 OK\r\n"), out[:200]
    req = "GET /timeline HTTP/1.0\r\nHost: localhost\r\n\r\n"
    body = fossil("http", "--nojail", scratch, input=req).stdout
    assert b"initial empty check-in" in body


def test_fossil_info_and_ui_semantics(runners, scratch) -> None:
    fossil = runners[0]
    out = fossil.text("info", "-R", scratch)
    assert "check-ins:    1\n" in out
    # "fossil ui" opens the repository with localauth; test-http gives the
    # same setup rights through stdin/stdout.
    req = "GET /setup HTTP/1.0\r\nHost: localhost\r\n\r\n"
    out = fossil("test-http", scratch, input=req).stdout
    assert out.startswith((b"HTTP/1.0 200 OK\r\n", b"Status: 200"))


# -- same schema, config and users as fossil init -------------------------------


def _tables(fossil: Runner, repo: Path) -> dict[str, list[str]]:
    names_ = sql(
        fossil, repo, "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT GLOB 'sqlite_*'"
    )
    out = {}
    for quoted in names_:
        name = quoted.strip("'")
        out[name] = sql(
            fossil, repo, f"SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{name}')"
        )
    return out


def test_same_tables_and_columns(runners, pair) -> None:
    fossil = runners[0]
    assert _tables(fossil, pair[0]) == _tables(fossil, pair[1])
    q = "SELECT type, name, tbl_name FROM sqlite_schema WHERE name NOT GLOB 'sqlite_stat*' ORDER BY name"
    assert sql(fossil, pair[0], q) == sql(fossil, pair[1], q)


def test_same_pragmas_and_reports(runners, pair) -> None:
    fossil = runners[0]
    for pragma in ("application_id", "page_size", "journal_mode", "encoding"):
        assert sql(fossil, pair[0], f"PRAGMA {pragma}") == sql(fossil, pair[1], f"PRAGMA {pragma}")
    q = "SELECT * FROM reportfmt"
    assert sql(fossil, pair[0], q) == sql(fossil, pair[1], q)
    size = pair[0].stat().st_size
    assert size >= 16834 and size % 512 == 0


def test_same_config_rows(runners, pair) -> None:
    fossil = runners[0]
    q = "SELECT name, mtime IS NOT NULL FROM config ORDER BY name"
    assert sql(fossil, pair[0], q) == sql(fossil, pair[1], q)
    q = (
        "SELECT name, value FROM config WHERE name NOT IN"
        " ('project-code','server-code','rebuilt') ORDER BY name"
    )
    assert sql(fossil, pair[0], q) == sql(fossil, pair[1], q)
    for code in ("project-code", "server-code"):
        value = sql(fossil, pair[0], f"SELECT value FROM config WHERE name='{code}'")[0]
        assert len(value.strip("'")) == 40 and hname.is_valid(value.strip("'"))


def test_same_default_users(runners, pair) -> None:
    fossil = runners[0]
    q = (
        "SELECT uid, login, cap, info, length(pw), cookie, ipaddr, cexpire, mtime, photo, jx"
        " FROM user ORDER BY uid"
    )
    assert sql(fossil, pair[0], q) == sql(fossil, pair[1], q)


def test_same_derived_rows(runners, pair) -> None:
    fossil = runners[0]
    for q in (
        "SELECT rid, size, uuid FROM blob",
        "SELECT type, mtime, objid, user, comment FROM event",
        "SELECT tagid, tagtype, srcid, origid, value, mtime, rid FROM tagxref",
        "SELECT rid FROM leaf",
        "SELECT rid FROM unclustered",
        "SELECT rid FROM unsent",
        "SELECT rcvid, uid, nonce, ipaddr FROM rcvfrom",
    ):
        assert sql(fossil, pair[0], q) == sql(fossil, pair[1], q), q


def test_sha1_repository(runners, tmp_path: Path) -> None:
    fossil, fossilpy, _ = runners
    repo = tmp_path / "s.fossil"
    fossilpy("init", "--sha1", repo)
    uuid = sql(fossil, repo, "SELECT uuid FROM blob")[0].strip("'")
    assert len(uuid) == 40
    assert sql(fossil, repo, "SELECT value FROM config WHERE name='hash-policy'") == ["'0'"]
    assert "checked:  0 errors" in fossil.text("test-integrity", "-R", repo)


# -- fossilpy reads fossil's repository -------------------------------------------


def test_read_fossil_repository(runners, pair) -> None:
    fossil = runners[0]
    theirs = pair[1]
    with Repo.open(theirs, readonly=True) as repo:
        rid = names.resolve(repo, "tip")
        assert names.resolve(repo, "trunk") == rid
        uuid = content.uuid_of(repo, rid)
        assert names.resolve(repo, uuid[:4]) == rid
        assert names.resolve(repo, f"[{uuid[:12]}]") == rid
        assert names.resolve(repo, "tag:trunk") == rid
        assert names.resolve(repo, "2021-03-04") == rid
        assert content.get(repo, rid) == fossil("artifact", uuid, "-R", theirs).stdout
        assert content.check_integrity(repo, parse=True) == []


def test_fossilpy_writes_fossil_reads(runners, pair, tmp_path: Path) -> None:
    """Content stored by fossilpy in a fossil-made repository: full text,
    deltas, phantoms and private artifacts all pass fossil's checks."""
    fossil = runners[0]
    repo_path = tmp_path / "w.fossil"
    shutil.copy(pair[1], repo_path)
    a = b"".join(b"row %d of some file content\n" % i for i in range(100))
    b = a.replace(b"row 50 of", b"ROW FIFTY of")
    c = b + b"tail\n"
    with Repo.open(repo_path) as repo:
        with repo.write():
            ra = content.put(repo, a)
            rb = content.put(repo, b)
            rc = content.put(repo, delta.create(b, c), srcid=rb)
            assert content.deltify(repo, ra, rb)
            content.new_phantom(repo, hname.sha3(b"never arrives"))
            content.put(repo, b"secret\n", private=True)
        uuids = {r: content.uuid_of(repo, r) for r in (ra, rb, rc)}
    out = fossil.text("test-integrity", "-R", repo_path)
    assert "5 non-phantom blobs (out of 6 total) checked:  0 errors" in out
    assert "skip phantom " in out
    for rid, data in ((ra, a), (rb, b), (rc, c)):
        assert fossil("artifact", uuids[rid], "-R", repo_path).stdout == data
    fossil("rebuild", repo_path)
    assert "0 errors" in fossil.text("test-integrity", "-R", repo_path)
