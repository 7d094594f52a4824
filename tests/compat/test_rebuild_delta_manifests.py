"""``fossilpy rebuild`` of histories made of delta manifests equals ``fossil rebuild``.

The mlink rows of a check-in come from comparing its manifest with each
parent's.  fossilpy compares only the F lines that differ when both are
delta manifests or when a new baseline follows a delta manifest
(``fossilpy.repo.crosslink.checkins.add_mlink``), and parses delta manifests
with a memo of F lines (``fossilpy.artifact.fmemo_delta``).  The histories
here are written directly (random but fixed): two lines of development, each
check-in a delta manifest against its line's baseline or a new baseline,
with changed, added, deleted, resurrected and renamed files (``F NEW HASH w
OLD``), files reverting to their baseline version, executable bits and
merges between the lines (whose baselines differ).  The artifacts are stored
in random order; real fossil and fossilpy each rebuild a copy and the derived
tables must be the same.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from fossilpy.artifact import hname
from tests.builders import store_raw, with_z
from tests.compare import derived_table_diff, format_diff
from tests.conftest import Runner

pytestmark = pytest.mark.compat

TABLES = ("filename", "mlink", "plink", "leaf", "tag", "tagxref", "orphan", "phantom", "event")


class _Line:
    """One line of development: its files, its baseline's files and hash."""

    def __init__(self, files: dict[str, tuple[str, str]]) -> None:
        self.files = dict(files)
        self.base: dict[str, tuple[str, str]] = {}
        self.base_uuid = ""
        self.tip = ""
        #: the renames made on the line so far (new name -> old name)
        self.renamed: dict[str, str] = {}


def _hash(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(256):064x}"


def _step(rnd: random.Random, line: _Line, renamed: dict[str, str]) -> None:
    """Random changes to ``line.files``; renames recorded in ``renamed`` (new -> old)."""
    names = sorted(line.files)
    for _ in range(rnd.randrange(1, 5)):
        op = rnd.randrange(10)
        name = rnd.choice(names)
        if op == 0 and len(names) > 5 and name in line.files and name not in renamed:
            del line.files[name]  # deleted
        elif op == 1:
            line.files[f"d{rnd.randrange(4)}/n{rnd.randrange(400)}.c"] = (_hash(rnd), "")
        elif op == 2 and name in line.base:
            line.files[name] = line.base[name]  # back to the baseline's version
        elif op == 3 and line.base:
            gone = sorted(set(line.base) - set(line.files))
            if gone:  # resurrected as it was in the baseline
                line.files[gone[0]] = line.base[gone[0]]
        elif op == 4 and name in line.files and name not in renamed.values():
            new = f"d{rnd.randrange(4)}/r{rnd.randrange(400)}.c"
            if new not in line.files:
                line.files[new] = line.files.pop(name)
                renamed[new] = name
        elif op == 5 and name in line.files:
            line.files[name] = (line.files[name][0], "" if line.files[name][1] else "x")
        elif name in line.files:
            line.files[name] = (_hash(rnd), line.files[name][1])


def _fcard(name: str, uuid: str, perm: str, prior: str | None) -> str:
    if prior is not None:
        return f"F {name} {uuid} {perm or 'w'} {prior}\n"
    return f"F {name} {uuid} {perm}\n" if perm else f"F {name} {uuid}\n"


def _manifest(line: _Line, n: int, parents: list[str], renamed: dict[str, str], baseline: bool) -> bytes:
    cards = []
    if baseline:
        for name in sorted(line.files, key=str.encode):
            uuid, perm = line.files[name]
            cards.append(_fcard(name, uuid, perm, renamed.get(name)))
    else:
        names = set(line.files) | set(line.base)
        for name in sorted(names, key=str.encode):
            now = line.files.get(name)
            if now is None:
                cards.append(f"F {name}\n")
            elif now != line.base.get(name) or name in renamed:
                cards.append(_fcard(name, now[0], now[1], renamed.get(name)))
    head = "" if baseline else f"B {line.base_uuid}\n"
    body = (
        f"{head}C c{n}\nD 2024-03-{1 + n // 200:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00\n"
        + "".join(cards)
        + f"P {' '.join(parents)}\nU u\n"
    )
    return with_z(body)


def _history(rnd: random.Random, count: int) -> list[bytes]:
    files = {f"d{i % 4}/f{i:03d}.c": (_hash(rnd), "x" if i % 7 == 0 else "") for i in range(40)}
    root = with_z(
        "C root\nD 2024-03-01T00:00:00\n"
        + "".join(_fcard(k, v[0], v[1], None) for k, v in sorted(files.items()))
        + "U u\n"
    )
    lines = [_Line(files), _Line(files)]
    for ln in lines:
        ln.base, ln.base_uuid, ln.tip = dict(files), hname.sha3(root), hname.sha3(root)
    out = [root]
    for n in range(1, count):
        ln = lines[rnd.randrange(2)]
        other = lines[1] if ln is lines[0] else lines[0]
        parents = [ln.tip]
        # a rename's card is sometimes written again by a later check-in
        renamed = {k: v for k, v in ln.renamed.items() if k in ln.files and rnd.randrange(3) == 0}
        if n % 9 == 0 and other.tip != ln.tip:
            parents.append(other.tip)  # a merge: take a few of the other line's files
            for name in rnd.sample(sorted(other.files), 3):
                ln.files[name] = other.files[name]
        _step(rnd, ln, renamed)
        delta_size = sum(1 for k in set(ln.files) | set(ln.base) if ln.files.get(k) != ln.base.get(k))
        baseline = rnd.randrange(12) == 0 or delta_size * delta_size >= 3 * len(ln.base) - 9
        data = _manifest(ln, n, parents, renamed, baseline)
        uuid = hname.sha3(data)
        if baseline:
            ln.base, ln.base_uuid = dict(ln.files), uuid
        ln.tip = uuid
        ln.renamed.update(renamed)
        out.append(data)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuild_delta_manifest_history(seed: int, tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    rnd = random.Random(seed)
    artifacts = _history(rnd, 220)
    theirs = tmp_path / "theirs.fossil"
    fossil("new", theirs)
    order = artifacts[:]
    rnd.shuffle(order)
    store_raw(theirs, order)
    ours = tmp_path / "ours.fossil"
    shutil.copyfile(theirs, ours)
    fossil("rebuild", theirs)
    proc = fossilpy("rebuild", ours)
    assert proc.returncode == 0 and proc.stderr == b""
    diff = derived_table_diff(theirs, ours, tables=TABLES)
    assert not diff, "derived tables differ (A=fossil, B=fossilpy):\n" + format_diff(diff)
    con = sqlite3.connect(ours)
    try:
        kinds = dict(con.execute("SELECT pfnid>0, count(*) FROM mlink GROUP BY 1").fetchall())
        baselines = con.execute("SELECT count(*) FROM plink WHERE baseid IS NULL").fetchone()[0]
        assert con.execute("SELECT count(*) FROM mlink WHERE fid=0").fetchone()[0] > 10  # deletions
        assert con.execute("SELECT count(*) FROM mlink WHERE isaux").fetchone()[0] > 5  # merges
        assert con.execute("SELECT count(*) FROM plink WHERE NOT isprim").fetchone()[0] > 10
    finally:
        con.close()
    assert kinds.get(1, 0) > 5  # renames
    assert 10 < baselines < 150
