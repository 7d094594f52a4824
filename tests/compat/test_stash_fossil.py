"""``fossilpy stash`` against ``fossil stash`` (issue 13): the same stash and
stashfile rows (apart from ``ctime``), the same output lines, the same
files afterwards; a stash saved by one program is popped by the other with
the very result the first program would give."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner

#: the stash times (the two programs run seconds apart)
_DATE = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
LINES = b"".join(b"%c\n" % c for c in b"abcdefghijklmnop")
STATE_SQL = (
    "SELECT stashid,vid,hash,comment FROM stash ORDER BY 1;"
    "SELECT * FROM stashfile ORDER BY stashid, newname;"
    "SELECT * FROM vvar WHERE name NOT IN ('undo_cmdline') ORDER BY name;"
    "SELECT id,vid,chnged,deleted,isexe,islink,rid,mrid,pathname,origname FROM vfile ORDER BY id;"
    "SELECT pathname,redoflag,existsflag,isExe,isLink,hex(content) FROM undo ORDER BY pathname;"
)


def _state(fossil: Runner, w: Path, undo: bool = True) -> tuple[bytes, bytes, dict[str, bytes]]:
    changes = fossil("changes", cwd=w).stdout + fossil("extras", cwd=w).stdout
    rows = fossil("sql", STATE_SQL if undo else STATE_SQL.rsplit("SELECT pathname,redoflag", 1)[0], cwd=w).stdout
    files = {
        str(p.relative_to(w)): p.read_bytes() for p in sorted(w.rglob("*")) if p.is_file() and p.name != ".fslckout"
    }
    return changes, rows, files


def _run_both(fossil: Runner, fossilpy: Runner, wf: Path, wp: Path, *args: str, input: str | None = None) -> bytes:
    a = fossil(*args, cwd=wf, check=False, input=input)
    b = fossilpy(*args, cwd=wp, check=False, input=input)
    assert _DATE.sub(b"DATE", b.stdout) == _DATE.sub(b"DATE", a.stdout), args
    assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr, args
    assert b.returncode == a.returncode, args
    return a.stdout


@pytest.fixture
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path, Path]:
    """Two copies of one checkout (same repository) with edits of every kind."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "stash")
    fossil("init", str(work / "r.fossil"))
    w = work / "wf"
    w.mkdir()
    fossil("open", str(work / "r.fossil"), cwd=w)
    (w / "f1").write_bytes(LINES)
    (w / "f2").write_bytes(b"x\ny\n")
    (w / "f3").write_bytes(b"gone soon\n")
    (w / "sub").mkdir()
    (w / "sub" / "s1").write_bytes(b"s\n")
    (w / "sub" / "t1").write_bytes(b"t\n")
    fossil("add", ".", cwd=w)
    fossil("commit", "-m", "one", cwd=w)
    (w / "f1").write_bytes(LINES.replace(b"b\n", b"B\n").replace(b"o\n", b"O\n"))
    (w / "f4").write_bytes(b"brand new\n")
    fossil("add", "f4", cwd=w)
    fossil("rm", "f3", cwd=w)
    (w / "sub" / "s1").write_bytes(b"s\nmore\n")
    fossil("mv", "f2", "f2m", cwd=w)
    (w / "f2").rename(w / "f2m")
    (w / "f2m").write_bytes(b"x\ny\nz\n")
    wp = work / "wp"
    shutil.copytree(w, wp, symlinks=True)
    return fossil, fossilpy, w, wp


def test_save_list_show_pop_both_directions(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    out = _run_both(fossil, fossilpy, wf, wp, "stash", "save", "-m", "first stash")
    assert out.endswith(b"stash 1 saved\n")
    assert _state(fossil, wf) == _state(fossil, wp)
    for args in (
        ["list"],
        ["ls", "-v"],
        ["show"],
        ["cat", "1", "-v"],
        ["diff"],
        ["show", "--brief"],
        ["show", "-c", "1"],
        ["show", "-y", "-W", "40"],
        ["diff", "-y"],
    ):
        _run_both(fossil, fossilpy, wf, wp, "stash", *args)
    # each program pops the stash the other saved; both end as fossil popping its own.
    # A second apart from the save: f1 comes back with its size unchanged, and within the
    # second of its revert fossil's `changes` (mtime-changes) would not notice it.
    time.sleep(1.1)
    ref = wf.parent / "ref"
    shutil.copytree(wf, ref, symlinks=True)
    fossil("stash", "pop", cwd=ref)
    out = _run_both(fossil, fossilpy, wp, wf, "stash", "pop")
    assert b"Popped stash:\n    1: [" in out and b"ADDED  f4\n" in out
    assert _state(fossil, wf) == _state(fossil, ref) == _state(fossil, wp)
    # and undo of the pop, by either program
    _run_both(fossil, fossilpy, wf, wp, "undo")
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "list")


def test_apply_with_conflict_snapshot_and_files(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    _run_both(fossil, fossilpy, wf, wp, "stash", "snapshot", "-m", "snap of f1", "f1", "sub")
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "save", "-m", "the rest")
    assert _state(fossil, wf) == _state(fossil, wp)
    for w in (wf, wp):  # a change that conflicts with stash 1 and one that merges cleanly
        (w / "f1").write_bytes(LINES.replace(b"b\n", b"bee\n").replace(b"j\n", b"J\n"))
    _run_both(fossil, fossilpy, wf, wp, "stash", "diff", "1")
    out = _run_both(fossil, fossilpy, wf, wp, "stash", "apply", "1")
    assert b"CONFLICT f1\n" in out and b"WARNING: 1 merge conflicts" in out
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "ls", "-v", "-W", "60")
    _run_both(fossil, fossilpy, wf, wp, "stash", "ls", "-W", "20")


def test_drop_and_bad_ids(pair: tuple[Runner, Runner, Path, Path]) -> None:
    fossil, fossilpy, wf, wp = pair
    _run_both(fossil, fossilpy, wf, wp, "stash", "snapshot", "-m", "one")
    _run_both(fossil, fossilpy, wf, wp, "stash", "snapshot", "-m", "two")
    for args in (["drop", "7"], ["apply", "x"], ["show", "9"], ["frobnicate"]):
        a = fossil("stash", *args, cwd=wf, check=False)
        b = fossilpy("stash", *args, cwd=wp, check=False)
        assert (b.returncode != 0) == (a.returncode != 0), args
        if not args[0].startswith("frob"):
            assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr, args
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "drop")
    _run_both(fossil, fossilpy, wf, wp, "stash", "drop", "1")
    assert _state(fossil, wf) == _state(fossil, wp)
    # the drop is undoable, whoever dropped and whoever undoes
    _run_both(fossil, fossilpy, wp, wf, "undo")
    assert _state(fossil, wf) == _state(fossil, wp)
    assert b"one" in fossil("stash", "list", cwd=wp).stdout
    _run_both(fossil, fossilpy, wf, wp, "stash", "drop", "--all", input="n\n")
    _run_both(fossil, fossilpy, wf, wp, "stash", "drop", "-a")
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "drop", "--all", input="y\n")
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "list")
    _run_both(fossil, fossilpy, wf, wp, "stash", "pop")


def test_nothing_to_stash(tmp_path_factory: pytest.TempPathFactory) -> None:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "stash0")
    fossil("init", str(work / "r.fossil"))
    w = work / "w"
    w.mkdir()
    fossil("open", str(work / "r.fossil"), cwd=w)
    _run_both(fossil, fossilpy, w, w, "stash", "save", "-m", "x")
    _run_both(fossil, fossilpy, w, w, "stash", "list")


def test_save_comment_from_stdin_or_editor(pair: tuple[Runner, Runner, Path, Path]) -> None:
    """Without -m: the comment is read from stdin after Fossil's prompt (no editor), or
    written by the editor into a temporary file of the checkout (then removed)."""
    fossil, fossilpy, wf, wp = pair
    no_editor = {"EDITOR": "", "VISUAL": ""}
    fossil.env = {k: v for k, v in fossil.env.items() if k not in no_editor}
    fossilpy.env = {k: v for k, v in fossilpy.env.items() if k not in no_editor}
    answer = "first line\n\n# dropped\n  second  \n.\nnot read\n"
    _run_both(fossil, fossilpy, wf, wp, "stash", "snapshot", "sub", input=answer)
    assert _state(fossil, wf) == _state(fossil, wp)
    assert b"'first line\n\n  second'" in fossil("sql", "SELECT quote(comment) FROM stash", cwd=wp).stdout
    editor = {"EDITOR": 'printf "from the editor\\n# no\\n" >'}
    a = fossil("stash", "save", cwd=wf / "sub", env=editor)
    b = fossilpy("stash", "save", cwd=wp / "sub", env=editor)
    strip = re.compile(rb"ci-comment-[0-9A-F]{12}\.txt")
    assert strip.sub(b"F", b.stdout) == strip.sub(b"F", a.stdout)
    assert a.stdout.startswith(b'printf "from the editor\\n# no\\n" > ../ci-comment-')
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "list")


def test_symlinks_exec_bits_and_non_ascii_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With allow-symlinks: diff, stash save and show as fossil; on pop fossilpy brings an
    added symlink back as a symlink, where fossil writes the stashed text through the link
    left on disk into its target (fossilpy never writes through a symlink)."""
    import os

    fossil, fossilpy, work = make_runners(tmp_path_factory, "stashlink")
    fossil("init", str(work / "r.fossil"))
    fossil("settings", "allow-symlinks", "on", "-R", str(work / "r.fossil"))
    wf = work / "wf"
    wf.mkdir()
    fossil("open", str(work / "r.fossil"), cwd=wf)
    (wf / "ex").write_bytes(b"a\n")
    (wf / "target").write_bytes(b"t\n")
    (wf / "plain").write_bytes(b"p\n")
    os.symlink("target", wf / "lnk")
    (wf / "café").write_bytes(b"caf\xc3\xa9\n")
    fossil("add", ".", cwd=wf)
    fossil("commit", "-m", "one", cwd=wf)
    (wf / "ex").chmod(0o755)
    (wf / "ex").write_bytes(b"a\nmore\n")
    (wf / "lnk").unlink()
    os.symlink("plain", wf / "lnk")
    (wf / "café").write_bytes(b"caf\xc3\xa9\nq\n")
    os.symlink("target", wf / "newlink")
    (wf / "newexe").write_bytes(b"y\n")
    (wf / "newexe").chmod(0o755)
    fossil("add", "newlink", "newexe", cwd=wf)
    wp = work / "wp"
    shutil.copytree(wf, wp, symlinks=True)
    for args in (["diff"], ["diff", "-v"], ["stash", "save", "-m", "links"], ["stash", "show"], ["stash", "diff"]):
        _run_both(fossil, fossilpy, wf, wp, *args)
    assert _state(fossil, wf) == _state(fossil, wp)
    _run_both(fossil, fossilpy, wf, wp, "stash", "pop")
    assert (wf / "target").read_bytes() == b"target"  # fossil wrote through newlink
    assert (wp / "target").read_bytes() == b"t\n"
    assert os.readlink(wp / "newlink") == "target" and os.readlink(wp / "lnk") == "plain"
    for name in ("ex", "newexe", "plain"):  # exec bits as fossil leaves them (vfile.isexe, not the disk's)
        assert os.stat(wp / name).st_mode == os.stat(wf / name).st_mode, name
    assert os.stat(wp / "newexe").st_mode & 0o111
    assert (wp / "café").read_bytes() == b"caf\xc3\xa9\nq\n"


def test_goto(tmp_path_factory: pytest.TempPathFactory) -> None:
    """``stash goto``: update to the stash's baseline, then apply it; same output, files
    and checkout rows as fossil.  The undo state differs on purpose: Fossil's internal
    update saves no files for undo (an undo then restores only the stash's files, over
    the updated tree); fossilpy keeps the update's saves too, so undo returns to the
    tree before the goto."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "stashgoto")
    fossil("init", str(work / "r.fossil"))
    wf = work / "wf"
    wf.mkdir()
    fossil("open", str(work / "r.fossil"), cwd=wf)
    (wf / "f1").write_bytes(LINES)
    (wf / "f2").write_bytes(b"x\n")
    fossil("add", ".", cwd=wf)
    fossil("commit", "-m", "one", cwd=wf)
    (wf / "f1").write_bytes(LINES.replace(b"b\n", b"B\n"))
    (wf / "f3").write_bytes(b"new\n")
    fossil("add", "f3", cwd=wf)
    fossil("stash", "save", "-m", "stashed", cwd=wf)
    (wf / "f1").write_bytes(LINES.replace(b"g\n", b"G\n") + b"\n")
    (wf / "f2").write_bytes(b"x\ny\n")
    fossil("commit", "-m", "two", cwd=wf)
    (wf / "f2").write_bytes(b"x\ny\nlocal\n")
    wp = work / "wp"
    shutil.copytree(wf, wp, symlinks=True)
    shutil.copytree(wf, work / "before", symlinks=True)
    out = _run_both(fossil, fossilpy, wf, wp, "stash", "goto")
    assert b"updated-to:" in out and b"MERGE f2\n" in out and b"ADDED  f3\n" in out
    assert _state(fossil, wf, undo=False) == _state(fossil, wp, undo=False)
    before = {n: (wf.parent / "before" / n).read_bytes() for n in ("f1", "f2", "f3")}
    fossilpy("undo", cwd=wp)
    assert {n: (wp / n).read_bytes() for n in ("f1", "f2", "f3")} == before
    assert b"f3" not in fossil("changes", cwd=wp).stdout  # unmanaged again, as before
