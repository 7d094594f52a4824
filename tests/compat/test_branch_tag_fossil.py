"""``branch`` and ``tag`` against the real fossil 2.21 (issue 13).

Each step runs with fossil in one checkout and with fossilpy in a twin
checkout of a copy of the same repository (tests/compat/twin_checkout.py):
same exit status, output and errors.  Dates and users are pinned with
``--date-override`` / ``--user-override``, so the control artifacts and the
new branch check-ins are the very same bytes: after the session both
repositories hold the same artifacts, and their tag tables agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.twin_checkout import Twins, build_history, make_twins


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fossil, _, work = make_runners(tmp_path_factory, "branch-base")
    return build_history(fossil, work)


def _same_artifacts(t: Twins) -> None:
    out = t.fossil.text("test-integrity", "-R", str(t.repo(1)))
    assert "checked:  0 errors" in out and "integrity-check: ok" in out, out
    sql = "SELECT uuid, size FROM blob ORDER BY uuid"
    assert t.rows(0, sql) == t.rows(1, sql)
    tags = (
        "SELECT tagname, tagtype, (SELECT uuid FROM blob WHERE rid=tagxref.rid), value,"
        " (SELECT uuid FROM blob WHERE rid=srcid), mtime FROM tagxref JOIN tag USING(tagid) ORDER BY 1, 3"
    )
    assert t.rows(0, tags) == t.rows(1, tags)
    sql = "SELECT (SELECT uuid FROM blob WHERE rid=private.rid) FROM private ORDER BY 1"
    assert t.rows(0, sql) == t.rows(1, sql)


def test_branch_session(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "branch-session")
    for args in (
        ("branch",),
        ("branch", "list"),
        ("branch", "ls", "-a"),
        ("branch", "ls", "--closed"),
        ("branch", "ls", "-a", "-t"),
        ("branch", "ls", "-a", "-r"),
        ("branch", "ls", "-a", "t*"),
        ("branch", "lsh"),
        ("branch", "lsh", "1"),
        ("branch", "lsh", "x"),
        ("branch", "current"),
        ("branch", "info", "feat", "old", "nosuch"),
        ("branch", "new", "topic", "feat", "--date-override", "2024-03-01T10:00:00"),
        (
            "branch",
            "new",
            "colored",
            "v1",
            "--bgcolor",
            "#abcdef",
            "--user-override",
            "alice",
            "--date-override",
            "2024-03-01T11:00:00",
        ),
        ("branch", "new", "<odd> & name", "trunk", "--date-override", "2024-03-01T12:00:00"),
        ("branch", "new", "hidden-one", "trunk", "--private", "--date-override", "2024-03-01T13:00:00"),
        (
            "branch",
            "new",
            "priv-auto",
            "trunk",
            "--private",
            "--bgcolor",
            "auto",
            "--date-override",
            "2024-03-01T14:00:00",
        ),
        ("branch", "ls", "-a"),
        ("branch", "ls", "-p"),
        ("branch", "new", "topic", "trunk"),
        ("branch", "new", "x", "nosuch"),
        ("branch", "new", "", "trunk"),
        ("branch", "new", "x"),
        ("branch", "new", "x", "trunk", "--bogus"),
        ("branch", "new", "x", "trunk", "--date-override", "yesterday-ish"),
        ("branch", "close", "topic", "--date-override", "2024-03-02T10:00:00"),
        ("branch", "close", "topic", "--date-override", "2024-03-02T10:00:00"),
        ("branch", "close", "v1", "colored", "-v", "--date-override", "2024-03-02T11:00:00"),
        ("branch", "reopen", "old", "-v", "--user-override", "bob", "--date-override", "2024-03-02T12:00:00"),
        ("branch", "reopen", "feat"),
        ("branch", "close", "-n", "-v", "feat", "--date-override", "2024-03-02T13:00:00"),
        ("branch", "close"),
        ("branch", "close", "nosuch"),
        ("branch", "hide", "colored", "--date-override", "2024-03-02T14:00:00"),
        ("branch", "unhide", "colored", "--date-override", "2024-03-02T15:00:00"),
        ("branch", "unhide", "colored"),
        ("branch", "ls", "-a"),
        ("branch", "ls", "-c"),
        ("branch", "frob"),
        ("branch", "-a"),
        ("branch", ""),
        ("branch", "l", "-a"),
        ("branch", "cur"),
    ):
        t.same(*args)
    t.same("branch", "ls", "-a", repo_opt=True)
    t.same("branch", "current", repo_opt=True)
    _same_artifacts(t)


def test_tag_session(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "tag-session")
    for args in (
        ("tag", "list"),
        ("tag", "ls", "--raw"),
        ("tag", "list", "trunk"),
        ("tag", "list", "--raw", "feat"),
        ("tag", "add", "release", "v1", "1.0", "--date-override", "2024-03-03T10:00:00"),
        ("tag", "add", "--propagate", "lineage", "feat", "--date-override", "2024-03-03T11:00:00"),
        ("tag", "add", "--raw", "rawname", "trunk", "some value", "--date-override", "2024-03-03T12:00:00"),
        ("tag", "add", "empty", "trunk", "", "--user-override", "carol", "--date-override", "2024-03-03T13:00:00"),
        ("tag", "add", "-n", "dry", "trunk", "--date-override", "2024-03-03T14:00:00"),
        ("tag", "cancel", "v1", "v1", "--date-override", "2024-03-03T15:00:00"),
        ("tag", "cancel", "--raw", "rawname", "trunk", "--date-override", "2024-03-03T16:00:00"),
        ("tag", "add", "wiki-x", "trunk"),
        ("tag", "add", "x", "nosuch"),
        ("tag", "add", "x"),
        ("tag", "cancel", "x"),
        ("tag", "branch", "x"),
        ("tag", "frob"),
        ("tag",),
        ("tag", "list"),
        ("tag", "list", "-t", "cancel"),
        ("tag", "list", "--tagtype", "propagated", "-v"),
        ("tag", "list", "--prefix", "sym-"),
        ("tag", "list", "--raw", "trunk"),
        ("tag", "list", "v1"),
        ("tag", "list", "-t", "bogus"),
        ("tag", "list", "a", "b"),
        ("tag", "find", "lineage"),
        ("tag", "find", "-t", "ci", "lineage"),
        ("tag", "find", "-t", "ci", "-n", "1", "lineage"),
        ("tag", "find", "--raw", "sym-release"),
        ("tag", "find", "--raw", "-n", "1", "sym-lineage"),
        ("tag", "find", "nosuch"),
        ("tag", "find"),
    ):
        t.same(*args)
    t.same("tag", "list", "trunk", repo_opt=True)
    # the manifest setting: tag add rewrites manifest.uuid and manifest.tags
    for side in (0, 1):
        t.fossil("settings", "manifest", "ut", cwd=t.co(side))
    t.same("tag", "add", "with-manifest", "current", "--date-override", "2024-03-04T10:00:00")
    for name in ("manifest.uuid", "manifest.tags"):
        assert (t.co(1) / name).read_bytes() == (t.co(0) / name).read_bytes(), name
    assert b"tag with-manifest" in (t.co(1) / "manifest.tags").read_bytes()
    # a tag on a private check-in is private too
    t.same("branch", "new", "secret", "trunk", "--private", "--date-override", "2024-03-04T11:00:00")
    t.same("tag", "add", "on-secret", "secret", "--date-override", "2024-03-04T12:00:00")
    t.same("tag", "list", "secret")
    _same_artifacts(t)
    assert len(t.rows(1, "SELECT rid FROM private")) == 2


def test_mixed_session_in_one_checkout(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """fossil and fossilpy take turns in one checkout; fossil sees what fossilpy made and the
    reverse, ``fossil test-integrity`` stays clean, and a ``fossil rebuild`` of a copy derives
    the very tables fossilpy's crosslink wrote."""
    import shutil

    from tests.compare import DERIVED_TABLES, derived_table_diff

    t = make_twins(tmp_path_factory, base, "branch-mixed")
    co = t.co(1)
    fossil, fossilpy = t.fossil, t.fossilpy
    assert "New branch:" in fossilpy.text(
        "branch", "new", "topic", "trunk", "--date-override", "2024-03-05T10:00:00", cwd=co
    )
    fossil("update", "topic", cwd=co)
    (co / "a.txt").write_text("topic work\n")
    fossil("commit", "-m", "Work on topic", "--date-override", "2024-03-05T11:00:00", cwd=co)
    fossilpy("tag", "add", "reviewed", "current", "yes", "--date-override", "2024-03-05T12:00:00", cwd=co)
    assert "reviewed=yes" in fossil.text("tag", "list", "current", cwd=co).splitlines()
    assert fossil.text("branch", "current", cwd=co) == "topic\n"
    fossilpy("branch", "close", "topic", "--date-override", "2024-03-05T13:00:00", cwd=co)
    assert "Work on topic" in fossil.text("leaves", "-c", cwd=co)
    fossil("branch", "reopen", "topic", "--date-override", "2024-03-05T14:00:00", cwd=co)
    assert "topic" not in fossilpy.text("branch", "ls", "-c", cwd=co)
    assert "* topic" in fossilpy.text("branch", "ls", cwd=co)
    fossil("tag", "cancel", "reviewed", "current", "--date-override", "2024-03-05T15:00:00", cwd=co)
    assert "reviewed" not in fossilpy.text("tag", "list", "current", cwd=co)
    out = fossil.text("test-integrity", cwd=co)
    assert "checked:  0 errors" in out and "integrity-check: ok" in out, out
    copy = t.dirs[1] / "rebuilt.fossil"
    shutil.copyfile(t.repo(1), copy)
    fossil("rebuild", str(copy))
    tables = [name for name in DERIVED_TABLES if name not in ("unsent", "unclustered")]
    assert derived_table_diff(t.repo(1), copy, tables=tables) == []


def _sync_lines(text: str, port: int) -> list[str]:
    """Output lines with the port and wire byte counts masked; of a line rewritten with
    CR (fossil's progress), the last state."""
    import re

    lines = []
    for line in text.replace(str(port), "PORT").split("\n"):
        parts = [p for p in line.split("\r") if p]
        line = parts[-1] if parts else ""
        lines.append(re.sub(r"wire bytes sent: \d+  received: \d+", "wire bytes sent: N  received: N", line))
    return lines


def test_branch_new_autosync_push(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """With autosync on, ``branch new`` pushes the new branch to the default remote, as fossil."""
    import shutil

    from tests.net import free_port, serving

    fossil, fossilpy, work = make_runners(tmp_path_factory, "branch-autosync")
    results = []
    for name, prog in (("f", fossil), ("p", fossilpy)):
        served = work / f"served-{name}.fossil"
        shutil.copyfile(base, served)
        fossil("user", "capabilities", "nobody", "gio", "-R", str(served))
        port = free_port()
        with serving(["fossil", "server", "--port", str(port), "--localhost", str(served)], port, cwd=work):
            co = work / name
            co.mkdir()
            fossil("clone", f"http://127.0.0.1:{port}/", str(work / f"{name}.fossil"))
            fossil("open", str(work / f"{name}.fossil"), cwd=co)
            fossil("settings", "autosync", "on", cwd=co)
            proc = prog("branch", "new", "pushed", "trunk", "--date-override", "2024-03-06T10:00:00", cwd=co)
            results.append((_sync_lines(proc.stdout.decode(), port), proc.stderr))
        rows = fossil.text("sql", "-R", str(served), "SELECT count(*) FROM tagxref WHERE value='pushed'")
        assert rows.strip() == "1", name
    assert results[1] == results[0]
    assert "Push to http://127.0.0.1:PORT/" in results[0][0]
