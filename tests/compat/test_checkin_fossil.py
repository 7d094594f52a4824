"""Check-ins against the real fossil 2.21 (issue 13): delta or baseline
manifest as fossil chooses, the fork and leaf warnings, symlinks with
allow-symlinks on, and the questions commit asks about a file's content.
Each test runs the same steps with fossil and with fossilpy on copies of
one repository and compares outputs and artifacts (byte for byte: the
check-ins carry --date-override).
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.compat.conftest import make_runners
from tests.compat.test_checkout_fossil import D1, D2, HASH, _artifacts, _normal, _write


def test_fork_warnings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Two checkouts of one repository commit on the same leaf: the fork and leaf warnings."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "fork")
    fossil("init", str(work / "seed.fossil"), "--date-override", "2020-12-31T00:00:00")
    logs = []
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        base.mkdir()
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        log = []
        for w in (base / "w1", base / "w2"):
            w.mkdir()
            run("open", "../repo.fossil", cwd=w)
            _write(w / (w.name + ".txt"), w.name + "\n")
            run("add", w.name + ".txt", cwd=w)
        for args, w in (
            (("commit", "-m", "one", "--date-override", D1), base / "w1"),
            (("commit", "-m", "two", "--date-override", D2), base / "w2"),
            (("commit", "-m", "two", "--allow-fork", "--date-override", D2), base / "w2"),
            (("status",), base / "w2"),
            (("status",), base / "w1"),
        ):
            proc = run(*args, cwd=w, check=False, input=b"")
            log.append(
                (
                    proc.returncode,
                    _normal(proc.stdout.decode(), [str(base)]),
                    _normal(proc.stderr.decode(), [str(base)]),
                )
            )
        logs.append(log)
    assert logs[1] == logs[0]
    assert logs[1][2][1][-1] == "**** warning: a fork has occurred *****"
    assert logs[1][3][2][0] == "WARNING: multiple open leaf check-ins on trunk:"


def test_delta_manifests_as_fossil_chooses(tmp_path_factory: pytest.TempPathFactory) -> None:
    """--delta, then the size rule once the repository has seen a delta manifest, --baseline:
    the same artifacts as fossil's, byte for byte."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "delta")
    fossil("init", str(work / "seed.fossil"), "--date-override", "2020-12-31T00:00:00")
    dirs = []
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        w = base / "w"
        w.mkdir(parents=True)
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        run("open", "../repo.fossil", cwd=w)
        for i in range(12):
            _write(w / f"f{i:02}.txt", f"file {i}\n")
        run("add", ".", cwd=w)
        run("commit", "-m", "twelve files", "--date-override", "2021-01-01 00:00:00", cwd=w)
        steps = [
            (("f03.txt",), ("--delta",)),  # a delta manifest on request
            (("f04.txt", "f05.txt"), ()),  # small: delta (repository has seen one)
            (tuple(f"f{i:02}.txt" for i in range(12)), ()),  # everything changed: baseline
            (("f07.txt",), ("--baseline",)),
            (("f08.txt",), ()),
        ]
        for n, (edits, opts) in enumerate(steps, 2):
            for e in edits:
                _write(w / e, f"edit {n} of {e}\n" + "+" * n)
            if n == 4:
                run("rm", "f00.txt", cwd=w)
                run("mv", "f01.txt", "g01.txt", "--hard", cwd=w)
            run("commit", "-m", f"step {n}", "--date-override", f"2021-01-0{n} 00:00:00", *opts, cwd=w)
        dirs.append(base)
    theirs, mine = _artifacts(dirs[0] / "repo.fossil"), _artifacts(dirs[1] / "repo.fossil")
    assert mine == theirs
    kinds = sorted(data.startswith(b"B ") for data in mine.values() if b"\nC step" in b"\n" + data)
    assert kinds == [False, False, True, True, True]


def test_symlinks_stored_as_links(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With allow-symlinks on, a symlink is committed as its target path (perm l) and
    opened as a symlink again; a link pointing out of the tree is never followed."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "symlinks")
    fossil("init", str(work / "seed.fossil"), "--date-override", "2020-12-31T00:00:00")
    fossil("settings", "allow-symlinks", "on", "-R", str(work / "seed.fossil"))
    (work / "elsewhere.txt").write_text("outside\n")
    logs, dirs = [], []
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        w = base / "w"
        w.mkdir(parents=True)
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        run("open", "../repo.fossil", cwd=w)
        _write(w / "a.txt", "a\n")
        (w / "ln").symlink_to("a.txt")
        (w / "out").symlink_to(work / "elsewhere.txt")
        log = [run("add", "a.txt", "ln", "out", cwd=w).stdout]
        log.append(run("commit", "-m", "links", "--date-override", D1, cwd=w).stdout)
        (w / "ln").unlink()
        (w / "ln").symlink_to("bbb.txt")
        log.append(run("changes", cwd=w).stdout)
        log.append(run("revert", cwd=w).stdout)
        w2 = base / "w2"
        w2.mkdir()
        run("open", "../repo.fossil", cwd=w2)
        assert os.readlink(w2 / "ln") == "a.txt"
        assert os.readlink(w2 / "out") == str(work / "elsewhere.txt")
        assert os.readlink(w / "ln") == "a.txt"
        logs.append([HASH.sub("HASH", x.decode()) for x in log])
        dirs.append(base)
    assert logs[1] == logs[0]
    assert logs[0][2] == "EDITED     ln\n"
    assert _artifacts(dirs[1] / "repo.fossil") == _artifacts(dirs[0] / "repo.fossil")
    assert (work / "elsewhere.txt").read_text() == "outside\n"


WARNED = [
    ("dos.txt", b"one\r\ntwo\r\n"),
    ("mac.txt", b"one\rtwo\r"),
    ("mixed.txt", b"one\r\ntwo\n"),
    ("bin.dat", b"GIF89a\0\1\2"),
    ("utf16.txt", "\ufeffhello\n".encode("utf-16-le")),
    ("latin1.txt", "caf\xe9\n".encode("latin-1")),
    ("long.txt", b"x" * 40000 + b"\n"),
    ("long-but-fine.txt", b"x" * 30000 + b"\n"),
    ("silenced.txt", b"crlf\r\nallowed\r\n"),
]


def test_commit_warnings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fossil's questions about CR/LF, binary, Unicode, invalid UTF-8 and long lines:
    abandoned without an answer, committed with "y", silenced by crlf-glob."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "warnings")
    fossil("init", str(work / "seed.fossil"), "--date-override", "2020-12-31T00:00:00")
    logs, dirs = [], []
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        w = base / "w"
        w.mkdir(parents=True)
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        run("open", "../repo.fossil", cwd=w)
        _write(w / ".fossil-settings" / "crlf-glob", "silenced.txt\n")
        run("add", ".fossil-settings", cwd=w)
        log = []
        for n, (fname, data) in enumerate(WARNED, 1):
            (w / fname).write_bytes(data)
            run("add", fname, cwd=w)
            date = f"2021-01-01 00:{n:02}:00"
            for answer in (b"", b"n\n", b"y\n"):
                proc = run("commit", "-m", fname, "--date-override", date, cwd=w, check=False, input=answer)
                err = proc.stderr.replace(b"fossilpy: ", b"")
                log.append((fname, answer, proc.returncode, HASH.sub("HASH", proc.stdout.decode()), err))
                if proc.returncode == 0:
                    break
        proc = run("commit", "-m", "x", "--no-prompt", cwd=w, check=False, input=b"y\n")
        log.append(("nothing", b"", proc.returncode, proc.stdout.decode(), proc.stderr.replace(b"fossilpy: ", b"")))
        logs.append(log)
        dirs.append(base)
    assert logs[1] == logs[0]
    assert logs[0][0][4] == b"Abandoning commit due to CR/LF line endings in ./dos.txt\n"
    assert _artifacts(dirs[1] / "repo.fossil") == _artifacts(dirs[0] / "repo.fossil")


def _steps_log(run, base, steps):  # type: ignore[no-untyped-def]
    log = []
    for cwd, edit, args in steps:
        if edit is not None:
            edit(base)
        d = base / cwd
        d.mkdir(parents=True, exist_ok=True)
        proc = run(*args, cwd=d, check=False, input=b"")
        log.append(
            (
                args,
                proc.returncode,
                _normal(proc.stdout.decode("utf-8", "surrogateescape"), [str(base)]),
                _normal(re.sub(r"Usage: \S+ ", "Usage: PROGRAM ", proc.stderr.decode("utf-8", "replace")), [str(base)]),
            )
        )
    return log


def _files_for_options(base):  # type: ignore[no-untyped-def]
    _write(base / "e" / "one.txt", "one\n")
    _write(base / "e" / "sub" / "two.txt", "two\n")
    _write(base / "e" / "skip.o", "object\n")


def _edit_one(base):  # type: ignore[no-untyped-def]
    _write(base / "e" / "one.txt", "one, edited here\n")


OPTION_STEPS = [
    ("busy", lambda b: _write(b / "busy" / "x.txt", "x\n"), ("open", "../repo.fossil")),
    ("busy", None, ("open", "../repo.fossil", "--force")),
    ("busy/deeper", None, ("open", "../../repo.fossil")),
    ("busy", None, ("close",)),
    # fossil 2.21 cannot use a checkout it opened with --empty (checkout=0 reads as "not open"):
    # only the open itself is compared
    (".", None, ("open", "repo.fossil", "--workdir", "wd", "--empty")),
    (".", None, ("open", "repo.fossil", "--workdir", "wd2")),
    ("wd2", None, ("status",)),
    ("wd2", None, ("close",)),
    ("e", None, ("open", "../repo.fossil")),
    ("e", _files_for_options, ("extras",)),
    ("e", None, ("extras", "--ignore", "*.o")),
    ("e", None, ("add", ".", "--ignore", "*.o")),
    ("e", None, ("add", "skip.o", "--ignore", "*.o")),
    ("e/sub", None, ("changes",)),
    ("e/sub", None, ("changes", "--abs-paths")),
    ("e/sub", None, ("ls", "..")),
    ("e", None, ("commit", "-m", "first files", "--date-override", "2021-01-01 00:00:00")),
    ("e", _edit_one, ("changes", "--header", "-v")),
    ("e", None, ("changes", "-v", "sub")),
    ("e", None, ("commit", "-m", "a dry run", "--dry-run", "--date-override", "2021-01-02 00:00:00")),
    ("e", None, ("commit", "-m", "")),
    ("e", None, ("commit", "-m", "", "--no-prompt")),
    ("e", None, ("commit", "-m", "", "--dry-run", "--hash", "--date-override", "2021-01-02 00:00:00")),
    ("e", None, ("changes",)),
    (
        "e",
        None,
        (
            "commit",
            "-m",
            "colours",
            "--bgcolor",
            "#123456",
            "--mimetype",
            "text/x-markdown",
            "--date-override",
            "2021-01-03 00:00:00",
        ),
    ),
    (
        "e",
        None,
        (
            "commit",
            "-m",
            "empty",
            "--allow-empty",
            "--branch",
            "b2",
            "--branchcolor",
            "#abcdef",
            "--date-override",
            "2021-01-04 00:00:00",
        ),
    ),
    ("e", None, ("commit", "-m", "again", "--branch", "b2", "--allow-empty")),
    (
        "e",
        None,
        ("commit", "-m", "user", "--allow-empty", "--user-override", "stranger", "--date-override", "2021-01-05"),
    ),
    ("e", None, ("open", "../repo.fossil", "trunk", "--force")),
    ("f", None, ("open", "../repo.fossil", "trunk")),
    ("g", None, ("open", "../repo.fossil", "no-such-version")),
    ("f", None, ("ls", "-v")),
    ("f", lambda b: (b / "f" / "dest").mkdir(), ("mv", "one.txt", "sub/two.txt", "dest")),
    ("f", None, ("mv", "sub", "renamed-sub", "--hard")),
    ("f", None, ("mv", "dest", "renamed-sub")),
    ("f/dest", None, ("mv", "one.txt", "..")),
    ("f", None, ("mv", "nothing.txt")),
    ("f", None, ("changes",)),
    ("f", None, ("rm", "renamed-sub", "--hard", "-n")),
    ("f", None, ("rm", "renamed-sub", "--soft")),
    ("f", None, ("ls", "-v")),
    ("f", None, ("revert", "dest")),
    ("f", None, ("changes",)),
    # a file name that is not UTF-8 (Latin-1), as fossil stores it: its very bytes
    ("f", lambda b: (b / "f" / "caf\udce9.txt").write_bytes(b"latin\n"), ("extras",)),
    ("f", None, ("add", "caf\udce9.txt")),
    ("f", None, ("commit", "-m", "latin-1 name", "--date-override", "2021-01-06", "--allow-fork")),
    ("f", lambda b: (b / "f" / "caf\udce9.txt").write_bytes(b"latin, edited\n"), ("changes",)),
    ("f", None, ("mv", "caf\udce9.txt", "th\udce9.txt", "--hard")),
    ("f", None, ("commit", "-m", "renamed", "--date-override", "2021-01-07")),
    ("f", None, ("ls", "-v")),
]


def test_open_and_commit_options(tmp_path_factory: pytest.TempPathFactory) -> None:
    """open with --force, --workdir, --empty, a VERSION, inside another checkout; extras --ignore,
    changes from a subfolder, --header, -v, --abs-paths; commit --dry-run, --bgcolor, --mimetype,
    --branchcolor, --allow-empty, --user-override."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "options")
    fossil("init", str(work / "seed.fossil"), "--date-override", "2020-12-31T00:00:00")
    logs, dirs = [], []
    for name, run in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / name
        base.mkdir()
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        logs.append(_steps_log(run, base, OPTION_STEPS))
        dirs.append(base)
    for got, want in zip(logs[1], logs[0], strict=True):
        assert got == want
    assert _artifacts(dirs[1] / "repo.fossil") == _artifacts(dirs[0] / "repo.fossil")
    assert sorted(p.name for p in (dirs[1] / "f").iterdir()) == sorted(p.name for p in (dirs[0] / "f").iterdir())


def _undo_files(base):  # type: ignore[no-untyped-def]
    _write(base / "u" / "a.txt", "a\n")
    _write(base / "u" / "b.txt", "b\n")
    _write(base / "u" / "c.sh", "#!/bin/sh\n", 0o755)


def _undo_edits(base):  # type: ignore[no-untyped-def]
    _write(base / "u" / "a.txt", "a, edited\n")
    (base / "u" / "c.sh").unlink()
    _write(base / "u" / "new.txt", "new\n")


UNDO_STEPS = [
    ("u", None, ("open", "../repo.fossil")),
    ("u", _undo_files, ("undo",)),
    ("u", None, ("undo", "-n")),
    ("u", None, ("add", "a.txt", "b.txt", "c.sh")),
    ("u", None, ("commit", "-m", "files", "--date-override", "2021-01-01")),
    ("u", _undo_edits, ("add", "new.txt")),
    ("u", None, ("revert",)),
    ("u", None, ("changes",)),
    ("u", None, ("undo", "--dry-run")),
    ("u", None, ("redo",)),
    ("u", None, ("undo",)),
    ("u", None, ("changes",)),
    ("u", None, ("undo",)),
    ("u", None, ("redo", "-n")),
    ("u", None, ("redo",)),
    ("u", None, ("changes",)),
    ("u", None, ("ls", "-v")),
    ("u", None, ("undo", "a.txt")),
    ("u", None, ("changes",)),
]


@pytest.mark.parametrize("program", ["fossil", "fossilpy"])
def test_undo_and_redo(tmp_path_factory: pytest.TempPathFactory, program: str) -> None:
    """undo/redo (all, one file, --dry-run) after a revert; with the undo run by `program`
    and everything else by fossilpy, against fossil doing all of it."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, "undo2")
    fossil("init", str(work / "seed.fossil"), "--date-override", "2020-12-31T00:00:00")

    class Mixed:
        """fossilpy, except undo/redo which `program` runs."""

        def __call__(self, *args, **kw):  # type: ignore[no-untyped-def]
            other = fossil if program == "fossil" else fossilpy
            return (other if args[0] in ("undo", "redo") else fossilpy)(*args, **kw)

    logs = []
    for name, run in (("fossil", fossil), ("mixed", Mixed())):
        base = work / name
        base.mkdir()
        shutil.copy(work / "seed.fossil", base / "repo.fossil")
        log = _steps_log(run, base, UNDO_STEPS)
        logs.append(
            [(a, rc, [re.sub(r"^   \S*fossil(py)? ", "   PROGRAM ", x) for x in out], err) for a, rc, out, err in log]
        )
        files = (p for p in (base / "u").iterdir() if p.is_file() and p.name != ".fslckout")
        logs[-1].append(sorted((p.name, p.read_bytes(), os.access(p, os.X_OK)) for p in files))
    for got, want in zip(logs[1], logs[0], strict=True):
        assert got == want
    steps = {" ".join(x[0]): x for x in logs[1][:-1]}
    assert steps["revert"][2] == [
        "REVERT   a.txt",
        "REVERT   c.sh",
        "UNMANAGE new.txt",
        ' "fossil undo" is available to undo changes to the working checkout.',
    ]
    assert steps["undo a.txt"][2] == ["UNDO   a.txt"]
    assert steps["redo -n"][2][0] == "A redo is available for the following command:"
    assert logs[1][-1][0][0] == "a.txt"
