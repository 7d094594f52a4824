"""Generate a large repository with the real fossil binary, for benchmarks.

    python benchmarks/gen_history.py OUT.fossil --checkins 5000 [--files 200]
        [--seed 1] [--stream FILE]

A deterministic pseudo-random history (trunk plus feature branches that
fork from trunk, receive commits, and are mostly merged back; file adds,
edits, renames, deletions, an executable flag, a symlink and release tags)
is written as a ``git fast-import`` stream and fed to
``fossil import --git OUT.fossil``.

Stream syntax used (the subset fossil 2.21's importer reads)::

    blob LF  mark :N LF  data LEN LF  <LEN bytes> LF
    commit refs/heads/BRANCH LF  mark :N LF
      committer NAME <EMAIL> UNIXSECS +0000 LF
      data LEN LF <comment> LF
      from :PARENT LF  [merge :OTHER LF]
      (M MODE :BLOB PATH | D PATH) LF ...   (MODE 100644, 100755, 120000)
    tag NAME LF  from :COMMIT LF  tagger NAME <EMAIL> UNIXSECS +0000 LF  data LEN LF <message> LF

The main line uses the ref ``refs/heads/trunk`` (2.21's importer would keep
a ``master`` ref as branch "master" under a propagated ``sym-trunk``).  The
importer starts a fossil branch (``*branch``, ``*sym-NAME``, ``-sym-PARENT``)
whenever a commit's ref differs from its parent's, writes a baseline
manifest for every commit, records ``merge`` lines as extra P-card
parents, and keys users by e-mail address.  Every commit here carries an
explicit ``from`` (fossil would otherwise chain commits on the same ref).
Renames are written as ``D`` + ``M`` because fossil's importer drops the
prior name anyway.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

START_TIME = 1420070400  # 2015-01-01 00:00:00 UTC
USERS = [("alice", "alice@example.org"), ("bob", "bob@example.org"),
         ("carol", "carol@example.org"), ("dave", "dave@example.org")]
WORDS = ("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega "
         "buffer cursor index table merge branch commit parse render token").split()


@dataclass
class FileState:
    mark: int
    lines: tuple[str, ...]
    mode: str = "100644"


@dataclass
class Branch:
    name: str
    head: int                         # commit mark
    files: dict[str, FileState]
    fork_files: dict[str, FileState] = field(default_factory=dict)
    commits_left: int = 0
    merge_back: bool = True


class StreamWriter:
    """Writes the fast-import stream and tracks marks and statistics."""

    def __init__(self, out: BinaryIO, rng: random.Random) -> None:
        self.out = out
        self.rng = rng
        self.next_mark = 1
        self.clock = START_TIME
        self.commits = 0
        self.merges = 0
        self.blobs = 0

    def _mark(self) -> int:
        self.next_mark += 1
        return self.next_mark - 1

    def _data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def blob(self, content: bytes) -> int:
        mark = self._mark()
        self.out.write(b"blob\nmark :%d\n" % mark)
        self._data(content)
        self.blobs += 1
        return mark

    def commit(self, ref: str, comment: str, parent: int | None, merge: int | None,
               changes: list[tuple[str, str, FileState | None]]) -> int:
        """changes: (path, 'M'|'D', state); returns the commit mark."""
        mark = self._mark()
        self.clock += self.rng.randint(60, 3600)
        user, email = self.rng.choice(USERS)
        self.out.write(f"commit refs/heads/{ref}\nmark :{mark}\n"
                       f"committer {user} <{email}> {self.clock} +0000\n".encode())
        self._data(comment.encode())
        if parent is not None:
            self.out.write(b"from :%d\n" % parent)
        if merge is not None:
            self.out.write(b"merge :%d\n" % merge)
            self.merges += 1
        for path, op, state in changes:
            if op == "D":
                self.out.write(f"D {path}\n".encode())
            else:
                assert state is not None
                self.out.write(f"M {state.mode} :{state.mark} {path}\n".encode())
        self.out.write(b"\n")
        self.commits += 1
        return mark

    def tag(self, name: str, commit: int) -> None:
        user, email = USERS[0]
        self.out.write(f"tag {name}\nfrom :{commit}\n"
                       f"tagger {user} <{email}> {self.clock} +0000\n".encode())
        self._data(f"Release {name.split('-')[-1]}".encode())


class HistoryGenerator:
    """Deterministic history: trunk plus short-lived feature branches."""

    def __init__(self, writer: StreamWriter, rng: random.Random, nfiles: int) -> None:
        self.w = writer
        self.rng = rng
        self.nfiles = nfiles
        self.serial = 0

    # -- file content --------------------------------------------------------
    def _line(self) -> str:
        self.serial += 1
        words = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 8)))
        return f"    {words}({self.serial});"

    def _new_file(self) -> tuple[str, ...]:
        return tuple(self._line() for _ in range(self.rng.randint(10, 120)))

    def _edit(self, lines: tuple[str, ...]) -> tuple[str, ...]:
        out = list(lines)
        for _ in range(self.rng.randint(1, 4)):
            kind = self.rng.random()
            pos = self.rng.randrange(len(out) + 1)
            if kind < 0.5 and out:
                out[min(pos, len(out) - 1)] = self._line()
            elif kind < 0.85 or len(out) < 5:
                out[pos:pos] = [self._line() for _ in range(self.rng.randint(1, 6))]
            else:
                del out[pos:pos + self.rng.randint(1, 3)]
        return tuple(out)

    def _store(self, lines: tuple[str, ...], mode: str = "100644") -> FileState:
        data = ("\n".join(lines) + "\n").encode()
        return FileState(self.w.blob(data), lines, mode)

    def _new_path(self, files: dict[str, FileState]) -> str:
        while True:
            d = self.rng.randrange(max(1, self.nfiles // 20))
            name = f"src/mod{d:02d}/{self.rng.choice(WORDS)}_{self.rng.randrange(10000)}.c"
            if name not in files:
                return name

    # -- one commit's worth of changes ----------------------------------------
    def _changes(self, files: dict[str, FileState]) -> list[tuple[str, str, FileState | None]]:
        changes: list[tuple[str, str, FileState | None]] = []
        paths = sorted(files)
        r = self.rng.random()
        if r < 0.06 and len(paths) > self.nfiles // 2:          # delete
            path = self.rng.choice(paths)
            del files[path]
            changes.append((path, "D", None))
        elif r < 0.12 and paths:                                # rename (+ small edit)
            old = self.rng.choice(paths)
            new = self._new_path(files)
            state = files.pop(old)
            if self.rng.random() < 0.5:
                state = self._store(self._edit(state.lines), state.mode)
            files[new] = state
            changes += [(old, "D", None), (new, "M", state)]
        elif r < 0.22:                                          # add
            path = self._new_path(files)
            files[path] = self._store(self._new_file())
            changes.append((path, "M", files[path]))
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 5))):  # edits
            live = [p for p in sorted(files) if files[p].mode != "120000"]
            path = self.rng.choice(live)
            files[path] = self._store(self._edit(files[path].lines), files[path].mode)
            changes.append((path, "M", files[path]))
        return changes

    # -- the whole history -------------------------------------------------------
    def run(self, ncheckins: int) -> None:
        files: dict[str, FileState] = {}
        for i in range(self.nfiles):
            path = f"src/mod{i % max(1, self.nfiles // 20):02d}/file{i:04d}.c"
            files[path] = self._store(self._new_file())
        files["build.sh"] = self._store(("#!/bin/sh", "make all"), "100755")
        files["README.txt"] = self._store(("Benchmark project", "", "Generated history."))
        files["current"] = FileState(self.w.blob(b"README.txt"), ("README.txt",), "120000")
        root = self.w.commit("trunk", "Initial import", None, None,
                             [(p, "M", s) for p, s in sorted(files.items())])
        trunk = Branch("trunk", root, files)
        active: list[Branch] = []
        nbranch = 0
        next_release = 500
        while self.w.commits < ncheckins:
            n = self.w.commits
            if n % 40 == 7 and len(active) < 4:                  # fork a branch
                nbranch += 1
                active.append(Branch(f"feature-{nbranch:03d}", trunk.head, dict(trunk.files),
                                     dict(trunk.files), self.rng.randint(3, 40),
                                     self.rng.random() < 0.85))
            ready = [b for b in active if b.commits_left <= 0]
            if ready:
                br = ready[0]
                active.remove(br)
                if br.merge_back:
                    self._merge(trunk, br)
                    continue
            if active and self.rng.random() < 0.45:
                br = self.rng.choice(active)
                br.commits_left -= 1
            else:
                br = trunk
            changes = self._changes(br.files)
            br.head = self.w.commit(br.name, f"Change {n}: {self._line().strip()}",
                                    br.head, None, changes)
            if br is trunk and self.w.commits >= next_release:
                self.w.tag(f"release-{next_release // 500}", trunk.head)
                next_release += 500

    def _merge(self, trunk: Branch, br: Branch) -> None:
        """Merge br into trunk: take br's changes since the fork point."""
        changes: list[tuple[str, str, FileState | None]] = []
        for path in sorted(set(br.fork_files) | set(br.files)):
            before, after = br.fork_files.get(path), br.files.get(path)
            if before is after:
                continue
            if after is None:
                if path in trunk.files:
                    del trunk.files[path]
                    changes.append((path, "D", None))
            elif trunk.files.get(path) is not after:
                trunk.files[path] = after
                changes.append((path, "M", after))
        trunk.head = self.w.commit("trunk", f"Merge {br.name} into trunk",
                                   trunk.head, br.head, changes)


def fossil_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOSSIL", "SSH_"))}
    env.update(USER="root", LOGNAME="root", HOME=str(home), TZ="UTC")
    return env


def stats(repo: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{repo.resolve()}?mode=ro", uri=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "checkins": one("SELECT count(*) FROM event WHERE type='ci'"),
            "merges": one("SELECT count(*) FROM plink WHERE isprim=0"),
            "branches": one("SELECT count(DISTINCT value) FROM tagxref WHERE tagid=8"),
            "leaves": one("SELECT count(*) FROM leaf"),
            "filenames": one("SELECT count(*) FROM filename"),
            "artifacts": one("SELECT count(*) FROM blob"),
            "deltas": one("SELECT count(*) FROM delta"),
            "bytes": repo.stat().st_size,
        }
    finally:
        con.close()


def generate(out: Path, checkins: int, nfiles: int = 200, seed: int = 1,
             stream_copy: Path | None = None, quiet: bool = False) -> dict[str, int]:
    """Build OUT with >= ``checkins`` check-ins; return its statistics."""
    exe = shutil.which("fossil")
    if exe is None:
        raise SystemExit("gen_history: the fossil binary is not on PATH")
    if out.exists():
        raise SystemExit(f"gen_history: {out} already exists")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="gen-history-") as tmp:
        home = Path(tmp)
        stream_path = stream_copy or home / "stream.fi"
        t0 = time.monotonic()
        with open(stream_path, "wb") as fh:
            writer = StreamWriter(fh, rng)
            HistoryGenerator(writer, rng, nfiles).run(checkins)
        t1 = time.monotonic()
        with open(stream_path, "rb") as fh:
            proc = subprocess.run([exe, "import", "--git", "--quiet", str(out)], stdin=fh,
                                  capture_output=True, env=fossil_env(home), cwd=tmp)
        t2 = time.monotonic()
    if proc.returncode != 0:
        raise SystemExit(f"gen_history: fossil import failed ({proc.returncode}):\n"
                         + proc.stdout.decode(errors="replace")
                         + proc.stderr.decode(errors="replace"))
    result = stats(out)
    if not quiet:
        print(f"stream: {writer.commits} commits ({writer.merges} merges), {writer.blobs} blobs,"
              f" {t1 - t0:.1f}s; fossil import: {t2 - t1:.1f}s")
        print(" ".join(f"{k}={v}" for k, v in result.items()))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="repository file to create")
    p.add_argument("--checkins", type=int, default=5000)
    p.add_argument("--files", type=int, default=200, help="files in the initial check-in")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stream", type=Path, help="also keep the fast-import stream here")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.checkins < 1 or args.files < 1:
        p.error("--checkins and --files must be positive")
    generate(args.out, args.checkins, args.files, args.seed, args.stream, args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
