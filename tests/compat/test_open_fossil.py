"""``open`` of a URL, ``open``'s autosync and ``clone``'s open, side by side with fossil 2.21.

One repository with three check-ins is served by a real ``fossil server``.
Each program, in folders of its own:

* ``open URL`` clones into ``NAME.fossil`` in the folder it started in (or
  ``--repodir DIR``), shows the clone's command line first, and opens the
  clone: the same files and the same ``checkout:`` line as fossil's;
* ``open FILE`` of a clone with a remembered remote pulls first: a check-in
  pushed to the server after the clone is the one checked out; ``--nosync``
  keeps the old tip; a remote that does not answer stops the open ("unable
  to auto-sync the repository", exit 1, no ``.fslckout``) unless ``--force``;
* ``clone URL`` without a file name opens ``./NAME``; ``--workdir DIR`` opens
  there; ``--no-open`` does not open;
* the clone's name comes from the URL as ``fossil test-url-basename`` says.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from fossilpy.cli.open_cmds import url_to_repo_basename
from tests.compat.conftest import make_runners
from tests.conftest import Runner
from tests.net import free_port, serving

DATES = ["2022-03-01T10:00:00", "2022-03-02T10:00:00", "2022-03-03T10:00:00", "2022-03-04T10:00:00"]


def _files(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith((".fslckout", "_FOSSIL_")) or name.endswith(".fossil"):
                continue
            full = Path(dirpath, name)
            out[str(full.relative_to(root))] = full.read_bytes()
    return out


def _clone_line(text: str) -> str:
    """The clone's command line an ``open URL`` shows, after the program's own name (fossil's
    comes after the clone's output when stdout is not a terminal: it is buffered)."""
    return next(line.split(" ", 1)[1] for line in text.splitlines() if " clone " in line)


def _checkout_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("checkout:"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    fossil, fossilpy, work = make_runners(tmp_path_factory, "open")
    seed = work / "seed.fossil"
    fossil("init", str(seed), "--date-override", "2022-02-28T00:00:00")
    fossil("user", "capabilities", "nobody", "gio", "-R", str(seed))
    ck = work / "seedck"
    ck.mkdir()
    fossil("open", str(seed), cwd=ck)
    for i in range(3):
        (ck / f"f{i}.txt").write_text(f"file {i}\n" * (i + 1))
        (ck / "sub").mkdir(exist_ok=True)
        (ck / "sub" / "s.txt").write_text(f"version {i}\n" * (i + 1))
        fossil("addremove", cwd=ck)
        fossil("commit", "-m", f"check-in {i}", "--date-override", DATES[i], cwd=ck)
    port = free_port()
    url = f"http://127.0.0.1:{port}/proj.fossil"
    with serving(["fossil", "server", "--port", str(port), "--localhost", str(seed)], port, cwd=work):
        yield fossil, fossilpy, work, url, ck


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "https://www.fossil-scm.org/home",
        "https://www.example.org/",
        "ssh://user@host/path/to/repo.fossil",
        "file:///tmp/x/y.fossil?z=1",
        "https://host/dir/name.v2.fossil",
        "http://host/a?b/c",
        "https://user@",
        "http://www.com/",
    ],
)
def test_url_basename_is_fossils(url: str, fossil: Runner) -> None:
    line = fossil("test-url-basename", url).stdout.decode().strip()
    want = line.split(" -> ", 1)[1]
    assert str(url_to_repo_basename(url)) == ("None" if want == "(null)" else want), line


def test_open_url_clones_then_opens_as_fossil_does(served) -> None:
    fossil, fossilpy, work, url, _ck = served
    results = {}
    for name, prog in (("fossil", fossil), ("fossilpy", fossilpy)):
        where = work / f"url-{name}"
        where.mkdir()
        proc = prog("open", url, cwd=where)
        out = proc.stdout.decode()
        assert _clone_line(out) == f"clone {url} {where}/proj.fossil", out
        assert f"Pull from {url}" in out.splitlines()  # the open after the clone syncs with its remote
        assert (where / "proj.fossil").is_file()
        assert (where / ".fslckout").is_file()
        results[name] = (_files(where), _checkout_line(out), out)
    assert results["fossil"][0] == results["fossilpy"][0]
    assert set(results["fossilpy"][0]) == {"f0.txt", "f1.txt", "f2.txt", "sub/s.txt"}
    assert results["fossil"][1] == results["fossilpy"][1]
    # the clone and the check-out are usable by fossil
    where = work / "url-fossilpy"
    assert fossil("changes", cwd=where).stdout == b""
    assert fossil("test-integrity", "-R", str(where / "proj.fossil")).returncode == 0


def test_open_url_with_repodir_and_workdir(served) -> None:
    fossil, fossilpy, work, url, _ck = served
    for name, prog in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / f"rd-{name}"
        (base / "repos").mkdir(parents=True)
        proc = prog("open", url, "--repodir", "repos", "--workdir", "wd", cwd=base)
        assert _clone_line(proc.stdout.decode()) == f"clone {url} {base}/repos/proj.fossil"
        assert (base / "repos" / "proj.fossil").is_file()
        assert _files(base / "wd") == {
            "f0.txt": b"file 0\n",
            "f1.txt": b"file 1\n" * 2,
            "f2.txt": b"file 2\n" * 3,
            "sub/s.txt": b"version 2\n" * 3,
        }
    # --repodir with a file: refused by both, nothing made
    for name, prog in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / f"rdf-{name}"
        base.mkdir()
        proc = prog("open", str(work / "seed.fossil"), "--repodir", "x", cwd=base, check=False)
        assert proc.returncode == 1
        assert b"the --repodir option only makes sense if the REPOSITORY argument is a URI" in proc.stderr.replace(
            b"\n", b" "
        )
        assert list(base.iterdir()) == []


def test_open_pulls_first_unless_nosync_and_stops_when_the_pull_fails(served) -> None:
    fossil, fossilpy, work, url, ck = served
    names = ("fossil", "fossilpy")
    for name in names:
        fossil("clone", url, str(work / f"as-{name}.fossil"))
    # a check-in reaches the server after the clones
    (ck / "f0.txt").write_text("changed on the server, longer\n")
    fossil("commit", "-m", "after the clones", "--date-override", DATES[3], cwd=ck)
    tip = fossil("info", "tip", cwd=ck).stdout.decode()
    tip_hash = re.search(r"hash:\s+([0-9a-f]+)", tip).group(1)  # type: ignore[union-attr]
    seen = {}
    for name, prog in zip(names, (fossil, fossilpy), strict=True):
        nosync = work / f"ns-{name}"
        nosync.mkdir()
        shutil.copy(work / f"as-{name}.fossil", work / f"ns-{name}.fossil")
        out = prog("open", str(work / f"ns-{name}.fossil"), "--nosync", cwd=nosync).stdout.decode()
        assert "Pull from" not in out
        assert tip_hash not in _checkout_line(out)
        assert (nosync / "f0.txt").read_bytes() == b"file 0\n"
        pulled = work / f"as-{name}"
        pulled.mkdir()
        out = prog("open", str(work / f"as-{name}.fossil"), cwd=pulled).stdout.decode()
        assert out.splitlines()[0] == f"Pull from {url}", out
        assert tip_hash in _checkout_line(out)
        assert (pulled / "f0.txt").read_bytes() == b"changed on the server, longer\n"
        seen[name] = (_files(pulled), _checkout_line(out))
    assert seen["fossil"] == seen["fossilpy"]
    # the remote does not answer: refused (the question answered by an empty stdin), nothing made
    dead = f"http://127.0.0.1:{free_port()}/"
    for name, prog in zip(names, (fossil, fossilpy), strict=True):
        repo = work / f"dead-{name}.fossil"
        shutil.copy(work / f"as-{name}.fossil", repo)
        fossil("remote", dead, "-R", str(repo))
        where = work / f"dead-{name}"
        where.mkdir()
        proc = prog("open", str(repo), cwd=where, check=False, input=b"")
        assert proc.returncode == 1, proc
        assert b"Autosync failed." in proc.stderr
        assert proc.stderr.rstrip().endswith(b"unable to auto-sync the repository"), proc.stderr
        assert b"continue in spite of sync failure (y/N)? " in proc.stdout
        assert sorted(p.name for p in where.iterdir()) == []
        proc = prog("open", str(repo), "--force", cwd=where, check=False, input=b"")
        assert proc.returncode == 0, proc
        assert b"continue in spite" not in proc.stdout
        assert (where / "f0.txt").read_bytes() == b"changed on the server, longer\n"


def test_clone_opens_without_a_file_name_or_with_workdir(served) -> None:
    fossil, fossilpy, work, url, _ck = served
    seen = {}
    for name, prog in (("fossil", fossil), ("fossilpy", fossilpy)):
        base = work / f"cl-{name}"
        base.mkdir()
        out = prog("clone", url, cwd=base).stdout.decode()
        assert "opening the new ./proj.fossil repository in directory ./proj..." in out.splitlines()
        assert (base / "proj.fossil").is_file()
        seen[name] = _files(base / "proj")
        assert (base / "proj" / ".fslckout").is_file()
        prog("clone", url, "named.fossil", "--workdir", "there", cwd=base)
        assert _files(base / "there") == seen[name]
        prog("clone", url, "--no-open", cwd=base / "there")
        assert (base / "there" / "proj.fossil").is_file() and not (base / "there" / "proj").exists()
        prog("clone", url, "only.fossil", cwd=base)
        assert not (base / "only").exists()
    assert seen["fossil"] == seen["fossilpy"] != {}
