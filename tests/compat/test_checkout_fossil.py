"""The checkout workflow against the real fossil 2.21 (issue 13).

One scripted session (open, add, status/changes/extras/ls, commit, edits,
rm, mv, a commit on a new branch with tags, revert, addremove, a private
check-in, a closing check-in, errors, close) runs twice, once with fossil
and once with fossilpy, each in its own copy of the same repository and
with the same file edits between steps.  Claims:

* every step's exit status, stdout and stderr match line for line, after
  replacing the two working folders by one name, hashes by HASH and times
  by TIME (fossilpy prefixes its error lines with "fossilpy: ", fossil
  with nothing);
* the check-ins carry ``--date-override``, so the two repositories end
  with the very same artifacts, byte for byte (card for card), and the
  checkout databases hold the same vfile/vmerge rows and vvar values;
* one last check-in without a date override matches card for card apart
  from D, Z (and nothing else differs);
* a checkout opened by fossilpy works with fossil (status, changes,
  commit, test-integrity) and the reverse;
* nothing outside the checkout is touched: ``../`` names are refused and
  a symlink pointing out of the tree is replaced, not written through.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

HASH = re.compile(r"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")
TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{3})?")
D1, D2, D3, D4, D5 = (f"2021-01-0{i}T10:00:00.000" for i in range(1, 6))


def _write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)


def _setup_files(w: Path) -> None:
    _write(w / "a.txt", "alpha\n")
    _write(w / "sub" / "b.txt", "beta\n")
    _write(w / "sub" / "deep" / "c.txt", "gamma\n")
    _write(w / "run.sh", "#!/bin/sh\necho hi\n", 0o755)
    _write(w / ".hidden", "dot\n")
    _write(w / "notes.tmp", "ignored\n")
    _write(w / ".fossil-settings" / "ignore-glob", "*.tmp\n")


def _edit_a(w: Path) -> None:
    _write(w / "a.txt", "alpha\nmore\n")


def _edit_second(w: Path) -> None:
    _write(w / "e.txt", "epsilon\n")


def _edit_a_again(w: Path) -> None:
    _write(w / "a.txt", "scribble\n")


def _addremove_files(w: Path) -> None:
    _write(w / "d.txt", "delta\n")
    (w / "e.txt").unlink()


def _edit_b(w: Path) -> None:
    _write(w / "sub" / "b.txt", "beta 2\n")


def _edit_c(w: Path) -> None:
    _write(w / "sub" / "deep" / "c.txt", "gamma 2\n")


def _edit_c_more(w: Path) -> None:
    _write(w / "sub" / "deep" / "c.txt", "gamma before close\n")


def _chmod_run(w: Path) -> None:
    (w / "d.txt").chmod(0o755)
    _write(w / "a.txt", "alpha\nmore\nagain\n")


def _edit_many(w: Path) -> None:
    _write(w / "sub" / "b.txt", "beta three\n")
    _write(w / "a.txt", "alpha three\n")
    _write(w / "go.sh", "#!/bin/sh\nexit 0\n")
    (w / "d.txt").unlink()


def _manifest_setting(w: Path) -> None:
    _write(w / ".fossil-settings" / "manifest", "rut\n")


def _edit_two(w: Path) -> None:
    _write(w / "a.txt", "alpha, partly committed\n")
    _write(w / "go.sh", "#!/bin/sh\nexit 1 # later\n")


def _move_went(w: Path) -> None:
    (w / "go.sh").rename(w / "went.sh")


def _nothing(w: Path) -> None:
    pass


#: (edit before the command, command arguments); the session in order
SESSION: list[tuple[Callable[[Path], None], tuple[str, ...]]] = [
    (_setup_files, ("extras",)),
    (_nothing, ("extras", "--dotfiles")),
    (_nothing, ("add", "a.txt", "sub", "run.sh", ".fossil-settings")),
    (_nothing, ("status",)),
    (_nothing, ("changes",)),
    (_nothing, ("ls",)),
    (_nothing, ("ls", "-v")),
    (_nothing, ("extras",)),
    (_nothing, ("commit", "-m", "first files", "--date-override", D1)),
    (_nothing, ("changes",)),
    (_nothing, ("commit", "-m", "again", "--date-override", D1)),
    (_edit_a, ("rm", "sub/b.txt")),
    (_nothing, ("mv", "run.sh", "go.sh", "--hard")),
    (_edit_second, ("add", "e.txt", "missing.txt")),
    (_nothing, ("status",)),
    (_nothing, ("changes", "--differ")),
    (_nothing, ("ls", "-v")),
    (_nothing, ("extras",)),
    (_nothing, ("add", "../outside.txt")),
    (_nothing, ("mv", "a.txt", "e.txt")),
    (_nothing, ("commit", "-m", "on a branch", "--branch", "feat", "--tag", "t1", "--date-override", D2)),
    (_nothing, ("status",)),
    (_edit_a_again, ("changes",)),
    (_nothing, ("revert", "a.txt")),
    (_nothing, ("changes",)),
    (_addremove_files, ("addremove", "-n")),
    (_nothing, ("addremove",)),
    (_nothing, ("changes",)),
    (_nothing, ("commit", "-m", "tags", "--tag", "zz", "--tag", "aa", "--date-override", D3)),
    (_edit_b, ("commit", "-m", "private work", "--private", "--date-override", D4)),
    (_chmod_run, ("changes",)),
    (_nothing, ("commit", "-m", "closing", "--close", "--date-override", D5)),
    (_edit_c, ("changes",)),
    (_nothing, ("commit", "-m", "on a closed leaf")),
    (_nothing, ("commit", "-m", "too old", "--branch", "old", "--date-override", "2020-06-01 12:00:00")),
    (_manifest_setting, ("add", ".fossil-settings/manifest")),
    (_nothing, ("commit", "-m", "manifest files", "--branch", "mf", "--date-override", "2021-01-06 10:00:00")),
    (_nothing, ("extras",)),
    (_nothing, ("changes", "--differ")),
    (_edit_c_more, ("close",)),
    (_nothing, ("revert",)),
    (_nothing, ("ls", "-v", "sub")),
    (_nothing, ("status",)),
    (_edit_many, ("rm", "--hard", "sub/deep")),
    (_nothing, ("changes",)),
    (_nothing, ("revert",)),
    (_nothing, ("changes",)),
    (_edit_two, ("commit", "-m", "partial", "a.txt", "--date-override", "2021-01-07 00:00:00")),
    (_nothing, ("changes",)),
    (_nothing, ("rename", "go.sh", "went.sh", "--hard")),
    (_nothing, ("commit", "-m", "rest", "--date-override", "2021-01-08 00:00:00")),
    (_move_went, ("changes", "sub", "went.sh")),
    (_nothing, ("commit", "-m", "rest", "--date-override", "2021-01-08 00:00:00")),
    (_nothing, ("status",)),
]


def _normal(text: str, roots: list[str]) -> list[str]:
    for root in roots:
        text = text.replace(root, "ROOT")
    text = HASH.sub("HASH", text)
    text = re.sub(r"\[[0-9a-f]{10}\]", "[HASH]", text)
    text = TIME.sub("TIME", text)
    lines = []
    for line in text.splitlines():
        if line.startswith("fossilpy: "):
            line = line[len("fossilpy: ") :]
        lines.append(line)
    return lines


def _run_session(run: Runner, work: Path) -> list[tuple[tuple[str, ...], int, list[str], list[str]]]:
    w = work / "w"
    w.mkdir()
    roots = [str(work)]
    log = []
    proc = run("open", "../repo.fossil", cwd=w, check=False)
    log.append((("open",), proc.returncode, _normal(proc.stdout.decode(), roots), _normal(proc.stderr.decode(), roots)))
    for edit, args in SESSION:
        edit(w)
        proc = run(*args, cwd=w, check=False, input=b"")
        log.append((args, proc.returncode, _normal(proc.stdout.decode(), roots), _normal(proc.stderr.decode(), roots)))
    return log


def _artifacts(path: Path) -> dict[str, bytes]:
    """Every artifact of a repository, expanded, by hash (read with fossilpy's content store)."""
    from fossilpy.repo import content
    from fossilpy.repo.db import Repo

    out: dict[str, bytes] = {}
    with Repo.open(str(path), readonly=True) as repo:
        for rid, uuid in repo.all("SELECT rid, uuid FROM blob"):
            data = content.get(repo, rid)
            assert data is not None
            out[uuid] = data
    return out


def _ckout_state(w: Path) -> tuple[list[tuple], list[tuple], dict[str, str]]:
    db = sqlite3.connect(w / ".fslckout")
    try:
        vfile = db.execute(
            "SELECT vid, chnged, deleted, isexe, islink, rid, mrid, pathname, origname, mhash FROM vfile"
            " ORDER BY pathname"
        ).fetchall()
        vmerge = db.execute("SELECT * FROM vmerge ORDER BY 1, 2").fetchall()
        vvar = dict(db.execute("SELECT name, value FROM vvar WHERE name NOT IN ('undo_cmdline')").fetchall())
        # the fingerprint hashes the last rcvfrom row, whose time differs by construction
        vvar["fingerprint"] = vvar["fingerprint"].split("/")[0]
    finally:
        db.close()
    return vfile, vmerge, vvar


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "checkout")
    seed = work / "seed.fossil"
    fossil("init", str(seed), "--date-override", "2020-12-31T00:00:00")
    results: dict[str, object] = {}
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        d = work / name
        d.mkdir()
        shutil.copy(seed, d / "repo.fossil")
        results[name] = _run_session(run, d)
        results[name + ":dir"] = d
    results["fossil:run"] = fossil
    results["fossilpy:run"] = fossilpy
    return results


def test_session_outputs_match_line_for_line(sessions: dict[str, object]) -> None:
    mine, theirs = sessions["fossilpy"], sessions["fossil"]
    assert isinstance(mine, list) and isinstance(theirs, list)
    assert len(mine) == len(theirs)
    for got, want in zip(mine, theirs, strict=True):
        assert got == want, f"step {want[0]}"


def test_session_outputs_say_what_happened(sessions: dict[str, object]) -> None:
    """The compared outputs are not vacuous: key lines are there."""
    log = {" ".join(args): (rc, out, err) for args, rc, out, err in sessions["fossilpy"]}  # type: ignore[attr-defined]
    assert log["add a.txt sub run.sh .fossil-settings"] == (
        0,
        [
            "ADDED  .fossil-settings/ignore-glob",
            "ADDED  a.txt",
            "ADDED  run.sh",
            "ADDED  sub/b.txt",
            "ADDED  sub/deep/c.txt",
        ],
        [],
    )
    assert log["extras"][1] == []
    assert log["add ../outside.txt"][0] == 1
    assert log["add ../outside.txt"][2] == ["file outside of check-out tree: ../outside.txt"]
    assert log[f"commit -m first files --date-override {D1}"][1] == ["New_Version: HASH"]
    assert log[f"commit -m again --date-override {D1}"][2] == ["nothing has changed; use --allow-empty to override"]
    assert log["commit -m on a closed leaf"][2] == ["cannot commit against a closed leaf"]


def test_same_artifacts_and_checkout_state(sessions: dict[str, object]) -> None:
    a, b = sessions["fossil:dir"], sessions["fossilpy:dir"]
    assert isinstance(a, Path) and isinstance(b, Path)
    theirs, mine = _artifacts(a / "repo.fossil"), _artifacts(b / "repo.fossil")
    assert sorted(mine) == sorted(theirs)
    for uuid, data in theirs.items():
        assert mine[uuid] == data, uuid
    assert _ckout_state(b / "w") == _ckout_state(a / "w")
    names = sorted(p.name for p in (a / "w").iterdir())
    assert sorted(p.name for p in (b / "w").iterdir()) == names
    assert {"manifest", "manifest.uuid", "manifest.tags"} <= set(names)
    for name in ("manifest", "manifest.uuid", "manifest.tags"):
        assert (b / "w" / name).read_bytes() == (a / "w" / name).read_bytes()
    fossil = sessions["fossil:run"]
    assert isinstance(fossil, Runner)
    out = fossil.text("test-integrity", "-R", str(b / "repo.fossil"))
    assert "0 errors" in out


def test_private_and_branch_cards(sessions: dict[str, object]) -> None:
    """The branch, tag, private and close check-ins carry Fossil's T cards."""
    b = sessions["fossilpy:dir"]
    assert isinstance(b, Path)
    cards = {data.split(b"\n", 1)[0]: data for data in _artifacts(b / "repo.fossil").values() if data.startswith(b"C ")}
    branch = cards[b"C on\\sa\\sbranch"]
    assert b"T *branch * feat\nT *sym-feat *\nT +sym-t1 *\nT -sym-trunk *\nU root\n" in branch
    private = cards[b"C private\\swork"]
    assert b"T *bgcolor * #fec084\nT *branch * private\nT *sym-private *\nT -sym-feat *\n" in private
    assert b"T +closed *\n" in cards[b"C closing"]
    assert b"T +sym-aa *\nT +sym-zz *\n" in cards[b"C tags"]
    assert b"F go.sh " in branch and b" x run.sh\n" in branch


def _commit_without_override(run: Runner, fossil: Runner, w: Path) -> bytes:
    _write(w / "a.txt", "final\n")
    run("commit", "-m", "final", "--branch", "last", cwd=w)
    return fossil("artifact", "current", cwd=w).stdout


def test_commit_cards_match_apart_from_d_and_z(sessions: dict[str, object], tmp_path: Path) -> None:
    """A check-in made now (no date override): the same cards but D and Z."""
    texts = []
    for name in ("fossil", "fossilpy"):
        d, run = sessions[name + ":dir"], sessions[name + ":run"]
        assert isinstance(d, Path) and isinstance(run, Runner)
        copy = tmp_path / name
        shutil.copytree(d, copy, symlinks=True)
        fossil = sessions["fossil:run"]
        assert isinstance(fossil, Runner)
        texts.append(_commit_without_override(run, fossil, copy / "w"))
    theirs, mine = (t.splitlines() for t in texts)
    assert len(mine) == len(theirs) == 16
    assert [x for x in mine if not x.startswith((b"D ", b"Z "))] == [
        x for x in theirs if not x.startswith((b"D ", b"Z "))
    ]


# -- one checkout, two programs ------------------------------------------------


def _mixed(first: Runner, second: Runner, work: Path) -> None:
    w = work / "w"
    w.mkdir()
    first("open", "../repo.fossil", cwd=w)
    _write(w / "x.txt", "x\n")
    _write(w / "tool.sh", "#!/bin/sh\n", 0o755)
    second("add", "x.txt", "tool.sh", cwd=w)
    assert second.text("changes", cwd=w) == "ADDED      tool.sh\nADDED      x.txt\n"
    assert first.text("changes", cwd=w) == "ADDED      tool.sh\nADDED      x.txt\n"
    second("commit", "-m", "one", cwd=w)
    assert first.text("changes", cwd=w) == ""
    _write(w / "x.txt", "x2\n")
    first("mv", "tool.sh", "bin/tool.sh", "--hard", cwd=w)
    assert second.text("changes", cwd=w) == "RENAMED    tool.sh  ->  bin/tool.sh\nEDITED     x.txt\n"
    second("commit", "-m", "two", cwd=w)
    assert first.text("changes", cwd=w) == ""
    status = first.text("status", cwd=w)
    assert "comment:      two (user: root)" in status
    _write(w / "x.txt", "x3\n")
    first("revert", "x.txt", cwd=w)
    assert (w / "x.txt").read_text() == "x2\n"
    assert second.text("changes", cwd=w) == ""
    first("commit", "-m", "three", "--allow-empty", cwd=w)
    assert "0 errors" in first.text("test-integrity", "-R", str(work / "repo.fossil"))
    second("close", cwd=w)
    assert not (w / ".fslckout").exists()
    assert (
        first.text("sql", "-R", str(work / "repo.fossil"), "SELECT count(*) FROM config WHERE name GLOB 'ckout:*'")
        == "0\n"
    )
    config = sqlite3.connect(work / "home" / ".fossil")
    try:
        assert config.execute("SELECT name FROM global_config ORDER BY name").fetchall() == [
            ("repo:" + str(work / "repo.fossil"),)
        ]
    finally:
        config.close()


@pytest.mark.parametrize("opener", ["fossilpy", "fossil"])
def test_checkout_shared_with_fossil(tmp_path_factory: pytest.TempPathFactory, opener: str) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "mixed")
    fossil("init", str(work / "repo.fossil"))
    if opener == "fossilpy":
        _mixed(fossilpy, fossil, work)
    else:
        _mixed(fossil, fossilpy, work)


# -- outside the tree ------------------------------------------------------------


def test_nothing_outside_the_checkout_is_written(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "outside")
    fossil("init", str(work / "repo.fossil"))
    outside = work / "outside"
    outside.mkdir()
    _write(outside / "secret.txt", "keep me, I am outside\n")
    _write(outside / "b.txt", "outside b\n")
    w = work / "w"
    w.mkdir()
    fossilpy("open", "../repo.fossil", cwd=w)
    _write(w / "lnk", "in tree\n")
    _write(w / "sub" / "b.txt", "beta\n")
    fossilpy("add", "lnk", "sub", cwd=w)
    fossilpy("commit", "-m", "files", cwd=w)
    # a managed file replaced by a symlink out of the tree, a folder by a symlink to a folder outside
    (w / "lnk").unlink()
    (w / "lnk").symlink_to(outside / "secret.txt")
    shutil.rmtree(w / "sub")
    (w / "sub").symlink_to(outside)
    proc = fossilpy("revert", cwd=w, check=False)
    assert (outside / "secret.txt").read_text() == "keep me, I am outside\n"
    assert (outside / "b.txt").read_text() == "outside b\n"
    assert not (w / "lnk").is_symlink() and (w / "lnk").read_text() == "in tree\n"
    assert "REVERT   lnk" in proc.stdout.decode()
    assert f"cannot write to {w}/sub/b.txt because non-directory object {w}/sub is in the way" in proc.stderr.decode()
    for args in (("add", "../outside/secret.txt"), ("rm", "../outside/secret.txt"), ("revert", "../x")):
        proc = fossilpy(*args, cwd=w, check=False)
        assert proc.returncode == 1
        assert b"file outside of check-out tree" in proc.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["b.txt", "secret.txt"]


def _schema(dbfile: Path) -> list[tuple]:
    db = sqlite3.connect(dbfile)
    try:
        rows = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        return rows + [db.execute("PRAGMA application_id").fetchone()]
    finally:
        db.close()


def test_checkout_database_schema_is_fossils(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same tables, indexes, trigger and application id, after open and after a revert (undo tables)."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "schema")
    fossil("init", str(work / "seed.fossil"))
    schemas = []
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        w = work / name / "w"
        w.mkdir(parents=True)
        shutil.copy(work / "seed.fossil", work / name / "repo.fossil")
        run("open", "../repo.fossil", cwd=w)
        opened = _schema(w / ".fslckout")
        _write(w / "f.txt", "f\n")
        run("add", "f.txt", cwd=w)
        run("commit", "-m", "f", cwd=w)
        _write(w / "f.txt", "changed\n")
        run("revert", cwd=w)
        schemas.append((opened, _schema(w / ".fslckout")))
    assert schemas[1] == schemas[0]
    assert {r[1] for r in schemas[0][1] if r and len(r) == 4} >= {"undo", "undo_vfile", "undo_vmerge", "vfile"}


def test_fossil_undo_reverses_a_fossilpy_revert(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "undo")
    fossil("init", str(work / "repo.fossil"))
    w = work / "w"
    w.mkdir()
    fossilpy("open", "../repo.fossil", cwd=w)
    _write(w / "u.txt", "committed\n")
    _write(w / "v.sh", "#!/bin/sh\n", 0o755)
    fossilpy("add", "u.txt", "v.sh", cwd=w)
    fossilpy("commit", "-m", "u", cwd=w)
    _write(w / "u.txt", "my precious edit\n")
    (w / "v.sh").unlink()
    assert fossilpy.text("revert", cwd=w) == (
        'REVERT   u.txt\nREVERT   v.sh\n "fossil undo" is available to undo changes to the working checkout.\n'
    )
    assert (w / "u.txt").read_text() == "committed\n" and os.access(w / "v.sh", os.X_OK)
    assert fossil.text("undo", cwd=w) == "UNDO   u.txt\nDELETE v.sh\n"
    assert (w / "u.txt").read_text() == "my precious edit\n"
    assert not (w / "v.sh").exists()
    assert fossil.text("changes", cwd=w) == "EDITED     u.txt\nMISSING    v.sh\n"
    assert fossilpy.text("changes", cwd=w) == "EDITED     u.txt\nMISSING    v.sh\n"
