"""Generate a large repository directly, as Fossil's own commits store it.

    python benchmarks/gen_direct.py OUT.fossil --checkins 200000 [--files 200]
        [--seed 1] [--no-rebuild]

The same kind of deterministic pseudo-random history as
``benchmarks/gen_history.py`` (its ``HistoryGenerator``, files picked in
insertion order rather than sorted: trunk plus feature
branches that fork and mostly merge back, adds, edits, renames, deletions,
an executable file, a symlink, release tags), but written straight into a
repository made by ``fossil new`` instead of through ``fossil import --git``
(47 minutes for 50,000 check-ins, and a baseline manifest of every file for
every check-in, which real Fossil repositories do not have).  Artifacts are
made with fossilpy's artifact layer (``Manifest(...).to_bytes()``,
``delta.create``, ``blob.compress``, ``hname.sha3``); then ``fossil
rebuild`` builds every derived table (event, plink, mlink, tagxref, leaf,
...), so the derived state is fossil's own.

What is written, following Fossil 2.21's ``commit`` (src/checkin.c) and
``content_deltify`` (src/content.c)::

    blob(rid, rcvid=1, size, uuid=SHA3-256(text), content=blob.compress(stored))
    stored := text                       (full: the newest version of a chain)
            | delta.create(newer, text)  (and a row delta(rid, srcid=newer))
    unclustered(rid)                     (every artifact, as content_put does)

* Check-in manifests: ``B`` baseline-relative *delta manifests* when the
  parent's baseline (the parent itself when it is a baseline) gives
  D*D < B*3-9, where B is the number of files and D the number of F cards the
  delta manifest needs plus one (checkin.c's rule with X=3); a full baseline
  manifest otherwise (about every eighth check-in with 200 files).  A delta
  manifest lists files that differ from the baseline; ``F NAME`` alone for a
  file the baseline has and the check-in has not.  No R card (the
  ``repo-cksum`` setting off), as a rename is a delete plus an add (like the
  git importer), no prior name.  ``T *branch * NAME``, ``T *sym-NAME *`` and
  ``T -sym-OLD *`` on a branch's first check-in; ``P`` primary then merged
  parent.
* Deltas: when a check-in changes a file, the parent's version of that file
  becomes a delta of the new version, and the parent manifest a delta of the
  new manifest, unless already a delta, shorter than 50 bytes, or the delta is
  not under 3/4 of the text (content_deltify without ``force``; not tried when
  the source is under a quarter of the text's size, where no delta could be).  The newest
  version of each line of development is stored whole; older ones are reached
  through deltas, as in a repository grown by ``fossil commit``.
* Tags: a control artifact ``D``, ``T +sym-release-N HASH``, ``U`` per
  release (every 500 check-ins on trunk).

Progress (check-ins per second, artifacts) is printed to the terminal.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.gen_history import START_TIME, USERS, FileState, HistoryGenerator, fossil_env, stats  # noqa: E402
from fossilpy.artifact import blob as fblob  # noqa: E402
from fossilpy.artifact import delta, hname  # noqa: E402
from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest, TagCard  # noqa: E402

PERM = {"100644": None, "100755": "x", "120000": "l"}
HEADS_KEPT = 512  # check-ins whose file lists stay in memory (the live heads are a handful)
TEXTS_KEPT = 20000  # whole texts kept for deltification (others are read back from the blob table)
COMMIT_EVERY = 2000  # check-ins per SQLite transaction


class FastHistory(HistoryGenerator):
    """``HistoryGenerator`` choosing files in insertion order instead of sorted.

    The same kinds and rates of change; sorting every file name several times
    per check-in cost O(F log F) a check-in (a third of the time at 25,000
    check-ins, growing with the files).  Dict order is deterministic, so the
    history still depends on the seed only.
    """

    def _pick(self, files: dict[str, FileState]) -> str:
        paths = list(files)
        while True:
            path = self.rng.choice(paths)
            if files[path].mode != "120000":
                return path

    def _changes(self, files: dict[str, FileState]) -> list[tuple[str, str, FileState | None]]:
        changes: list[tuple[str, str, FileState | None]] = []
        r = self.rng.random()
        if r < 0.06 and len(files) > self.nfiles // 2:  # delete
            path = self.rng.choice(list(files))
            del files[path]
            changes.append((path, "D", None))
        elif r < 0.12 and files:  # rename (+ small edit)
            old = self.rng.choice(list(files))
            new = self._new_path(files)
            state = files.pop(old)
            if self.rng.random() < 0.5:
                state = self._store(self._edit(state.lines), state.mode)
            files[new] = state
            changes += [(old, "D", None), (new, "M", state)]
        elif r < 0.22:  # add
            path = self._new_path(files)
            files[path] = self._store(self._new_file())
            changes.append((path, "M", files[path]))
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 5))):  # edits
            path = self._pick(files)
            files[path] = self._store(self._edit(files[path].lines), files[path].mode)
            changes.append((path, "M", files[path]))
        return changes


# name -> (blob mark, perm); a check-in's whole file list
FileMap = dict[str, tuple[int, str | None]]


@dataclass
class Head:
    """What a later check-in needs of an earlier one."""

    files: FileMap  # every file of the check-in
    base_mark: int  # its baseline check-in (itself when it is a baseline)
    base_files: FileMap  # the baseline's file list
    diff: dict[str, tuple[int, str | None] | None]  # differences from the baseline (None: gone)
    branch: str
    text: bytes  # manifest text (for deltification)
    is_delta: bool = False


class DirectWriter:
    """``StreamWriter``'s interface (blob, commit, tag), writing repository rows."""

    def __init__(self, db: sqlite3.Connection, rng: random.Random, total: int) -> None:
        self.db = db
        self.rng = rng
        self.total = total
        self.clock = START_TIME
        self.commits = 0
        self.merges = 0
        self.blobs = 0
        self.baselines = 0
        self.deltas = 0
        self.rid = db.execute("SELECT coalesce(max(rid), 0) FROM blob").fetchone()[0]
        self.mark_rid = array("q", [0])  # mark -> rid
        self.mark_uuid: list[str] = [""]  # mark -> hash
        self.heads: OrderedDict[int, Head] = OrderedDict()
        self.texts: OrderedDict[int, bytes] = OrderedDict()  # rid -> whole text, not yet a delta
        self.t0 = time.monotonic()

    # -- rows ----------------------------------------------------------------
    def _mark(self, rid: int, uuid: str) -> int:
        self.mark_rid.append(rid)
        self.mark_uuid.append(uuid)
        return len(self.mark_rid) - 1

    def _put(self, text: bytes) -> tuple[int, str]:
        """Store ``text`` whole (or find it); (rid, hash)."""
        uuid = hname.sha3(text)
        row = self.db.execute("SELECT rid FROM blob WHERE uuid=?", (uuid,)).fetchone()
        if row is not None:
            return int(row[0]), uuid
        self.rid += 1
        self.db.execute(
            "INSERT INTO blob(rid, rcvid, size, uuid, content) VALUES(?, 1, ?, ?, ?)",
            (self.rid, len(text), uuid, fblob.compress(text)),
        )
        self.db.execute("INSERT INTO unclustered(rid) VALUES(?)", (self.rid,))
        self.texts[self.rid] = text
        if len(self.texts) > TEXTS_KEPT:
            self.texts.popitem(last=False)
        return self.rid, uuid

    def _text(self, rid: int) -> bytes | None:
        """Whole text of ``rid`` if it is stored whole (None once it is a delta)."""
        text = self.texts.get(rid)
        if text is not None:
            return text
        if self.db.execute("SELECT 1 FROM delta WHERE rid=?", (rid,)).fetchone():
            return None
        row = self.db.execute("SELECT content FROM blob WHERE rid=?", (rid,)).fetchone()
        return fblob.uncompress(row[0])

    def _deltify(self, rid: int, src: int, src_text: bytes) -> None:
        """Make ``rid`` a delta of ``src`` as content_deltify(rid, &src, 1, 0) does."""
        if rid == src:
            return
        text = self._text(rid)
        if text is None or len(text) < 50 or len(src_text) < 50:
            return
        if len(src_text) * 4 < len(text):
            # a baseline manifest against its child's delta manifest: no delta
            # could reach 3/4 of the text (delta.create in Python would scan it all)
            return
        d = delta.create(src_text, text)
        if len(d) >= len(text) * 0.75:
            return
        self.texts.pop(rid, None)
        self.db.execute("UPDATE blob SET content=? WHERE rid=?", (fblob.compress(d), rid))
        self.db.execute("REPLACE INTO delta(rid, srcid) VALUES(?, ?)", (rid, src))
        self.deltas += 1

    # -- StreamWriter's interface ----------------------------------------------
    def blob(self, content: bytes) -> int:
        rid, uuid = self._put(content)
        self.blobs += 1
        return self._mark(rid, uuid)

    def _date(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000", time.gmtime(self.clock))

    def commit(
        self,
        ref: str,
        comment: str,
        parent: int | None,
        merge: int | None,
        changes: list[tuple[str, str, FileState | None]],
    ) -> int:
        """One check-in of ``changes`` on ``parent`` (and ``merge``); its mark."""
        self.clock += self.rng.randint(60, 3600)
        user, _email = self.rng.choice(USERS)
        prev = self._head(parent) if parent is not None else None
        files: FileMap = dict(prev.files) if prev else {}
        for path, op, state in changes:
            if op == "D":
                files.pop(path, None)
            else:
                assert state is not None
                files[path] = (state.mark, PERM[state.mode])
        tags: list[TagCard] = []
        if prev is None:
            tags = [TagCard("*", "branch", None, ref), TagCard("*", "sym-" + ref, None)]
        elif prev.branch != ref:
            tags = [
                TagCard("*", "branch", None, ref),
                TagCard("*", "sym-" + ref, None),
                TagCard("-", "sym-" + prev.branch, None),
            ]
        parents = [self.mark_uuid[m] for m in (parent, merge) if m is not None]
        if merge is not None:
            self.merges += 1
        man = Manifest(
            type=ArtifactType.MANIFEST, comment=comment, date=self._date(), parents=parents, tags=tags, user=user
        )
        diff: dict[str, tuple[int, str | None] | None] = {}
        use_delta = False
        if prev is not None:
            base = prev.base_files
            diff = dict(prev.diff)
            for path, _op, _state in changes:
                now = files.get(path)
                if now == base.get(path):
                    diff.pop(path, None)
                else:
                    diff[path] = now
            use_delta = (len(diff) + 1) ** 2 < len(files) * 3 - 9
        if use_delta and prev is not None:
            man.baseline = self.mark_uuid[prev.base_mark]
            man.files = [
                FileCard(p, None) if v is None else FileCard(p, self.mark_uuid[v[0]], v[1]) for p, v in diff.items()
            ]
        else:
            diff = {}
            man.files = [FileCard(p, self.mark_uuid[m], perm) for p, (m, perm) in files.items()]
            self.baselines += 1
        text = man.to_bytes()
        rid, uuid = self._put(text)
        mark = self._mark(rid, uuid)
        if use_delta and prev is not None:
            head = Head(files, prev.base_mark, prev.base_files, diff, ref, text)
        else:
            head = Head(files, mark, files, {}, ref, text)
        self._remember(mark, head)
        # older versions become deltas of the new ones (checkin.c: content_deltify)
        if prev is not None:
            for path, op, state in changes:
                old = prev.files.get(path)
                if op == "D" or state is None or old is None or old[0] == state.mark:
                    continue
                new_rid = self.mark_rid[state.mark]
                new_text = self._text(new_rid)
                if new_text is not None:
                    self._deltify(self.mark_rid[old[0]], new_rid, new_text)
            if not prev.is_delta:
                self._deltify(self.mark_rid[parent or 0], rid, text)
                prev.is_delta = True
        self.commits += 1
        if self.commits % COMMIT_EVERY == 0:
            self.db.commit()
            self.progress()
        return mark

    def tag(self, name: str, commit: int) -> None:
        user, _email = USERS[0]
        man = Manifest(
            type=ArtifactType.CONTROL,
            date=self._date(),
            tags=[TagCard("+", "sym-" + name, self.mark_uuid[commit])],
            user=user,
        )
        self._put(man.to_bytes())

    # -- bookkeeping --------------------------------------------------------------
    def _head(self, mark: int) -> Head:
        head = self.heads.get(mark)
        if head is None:
            raise SystemExit(f"gen_direct: check-in mark {mark} left the {HEADS_KEPT}-entry cache")
        self.heads.move_to_end(mark)
        return head

    def _remember(self, mark: int, head: Head) -> None:
        self.heads[mark] = head
        if len(self.heads) > HEADS_KEPT:
            self.heads.popitem(last=False)

    def progress(self, final: bool = False) -> None:
        secs = time.monotonic() - self.t0
        rate = self.commits / secs if secs else 0.0
        left = (self.total - self.commits) / rate if rate and not final else 0.0
        tty = sys.stdout.isatty()
        if not (tty or final or self.commits % (COMMIT_EVERY * 5) == 0):
            return
        print(
            ("\r" if tty else "") + f"  {self.commits:,}/{self.total:,} check-ins, {self.rid:,} artifacts "
            f"({self.baselines:,} baselines, {self.deltas:,} deltas), {secs:.0f} s, "
            f"{rate:.0f}/s, ~{left:.0f} s left ",
            end="\n" if final or not tty else "",
            flush=True,
        )


def generate(
    out: Path, checkins: int, nfiles: int = 200, seed: int = 1, rebuild: bool = True, quiet: bool = False
) -> dict[str, int]:
    """Build OUT with >= ``checkins`` check-ins; return its statistics."""
    exe = shutil.which("fossil")
    if exe is None:
        raise SystemExit("gen_direct: the fossil binary is not on PATH")
    out = out.resolve()
    if out.exists():
        raise SystemExit(f"gen_direct: {out} already exists")
    with tempfile.TemporaryDirectory(prefix="gen-direct-") as tmp:
        env = fossil_env(Path(tmp))

        def fossil(*args: str) -> None:
            proc = subprocess.run([exe, *args], capture_output=True, env=env, cwd=tmp)
            if proc.returncode != 0:
                raise SystemExit(f"gen_direct: fossil {args[0]} failed:\n{proc.stdout.decode()}{proc.stderr.decode()}")

        fossil("new", "--date-override", "2015-01-01T00:00:00", str(out))
        t0 = time.monotonic()
        db = sqlite3.connect(out)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-65536")
        # the initial empty check-in of `fossil new` goes: the history has its own root
        db.execute("DELETE FROM blob")
        db.execute("DELETE FROM delta")
        db.execute("DELETE FROM unclustered")
        db.execute(
            "REPLACE INTO config(name, value, mtime) VALUES('repo-cksum', '0', CAST(strftime('%s','now') AS INTEGER))"
        )
        db.commit()
        rng = random.Random(seed)
        writer = DirectWriter(db, rng, checkins)
        # no reference cycles here: the collector would only re-scan the heads'
        # file lists (millions of entries) again and again
        gc.disable()
        FastHistory(writer, rng, nfiles).run(checkins)  # type: ignore[arg-type]
        db.commit()
        if not quiet:
            writer.progress(final=True)
            print("  vacuum ...", flush=True)
        db.execute("VACUUM")  # rows rewritten as deltas leave holes in the pages
        db.close()
        t1 = time.monotonic()
        if rebuild:
            if not quiet:
                print("  fossil rebuild ...", flush=True)
            fossil("rebuild", "--noverify", str(out))
        t2 = time.monotonic()
    result = stats(out)
    if not quiet:
        print(
            f"direct: {writer.commits} check-ins ({writer.merges} merges, {writer.baselines} baseline manifests), "
            f"{writer.blobs} file versions, {writer.deltas} deltas, {t1 - t0:.1f} s; fossil rebuild: {t2 - t1:.1f} s"
        )
        print(" ".join(f"{k}={v}" for k, v in result.items()))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="repository file to create")
    p.add_argument("--checkins", type=int, default=5000)
    p.add_argument("--files", type=int, default=200, help="files in the initial check-in")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-rebuild", action="store_true", help="leave the derived tables empty")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.checkins < 1 or args.files < 1:
        p.error("--checkins and --files must be positive")
    generate(args.out, args.checkins, args.files, args.seed, not args.no_rebuild, args.quiet)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    sys.exit(main())
