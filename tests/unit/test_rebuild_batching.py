"""A rebuild's batching of mlink rows and of its walk's queries changes nothing.

During a rebuild, mlink rows wait in the crosslink batch until
``checkins.MLINK_BATCH`` have been collected (code that reads mlink writes
them first), and the walk reads a blob with the list of its delta children
in one statement.  A rebuild of a delta-manifest history (merges, renames,
deletions; tests/compat/test_rebuild_delta_manifests.py compares the same
kind of history with fossil) must leave the same tables whether rows are
written after every parent/child step, in batches of a few, or once at the
end; and with the walk's caches at their smallest.  No fossil binary is
needed.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from fossilpy.artifact import blob, delta
from fossilpy.repo import rebuild as rebuild_mod
from fossilpy.repo.crosslink import checkins
from fossilpy.repo.db import Repo
from tests.builders import store_raw
from tests.compat.test_rebuild_delta_manifests import _history
from tests.unit.conftest import new_schema_repo

TABLES = ("plink", "mlink", "filename", "event", "tagxref", "leaf", "tag", "orphan", "phantom")


def _tables(repo: Repo) -> dict[str, list[tuple]]:
    return {t: sorted(repo.all(f"SELECT * FROM {t}"), key=repr) for t in TABLES}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batching") / "h.fossil"
    new_schema_repo(path).close()
    rnd = random.Random(7)
    artifacts = _history(rnd, 160)
    order = list(range(len(artifacts)))
    rnd.shuffle(order)
    rids = store_raw(path, [artifacts[i] for i in order])
    rid_of = dict(zip(order, rids, strict=True))
    # most manifests stored as deltas of a newer one (chains end at a full text)
    with sqlite3.connect(path) as con:
        for i in range(len(artifacts) - 1):
            if rnd.randrange(5):
                j = rnd.randrange(i + 1, min(i + 6, len(artifacts)))
                d = delta.create(artifacts[j], artifacts[i])
                con.execute("UPDATE blob SET content=? WHERE rid=?", (blob.compress(d), rid_of[i]))
                con.execute("INSERT INTO delta(rid, srcid) VALUES(?,?)", (rid_of[i], rid_of[j]))
    return path


def _rebuilt(history: Path, dest: Path) -> dict[str, list[tuple]]:
    shutil.copyfile(history, dest)
    with Repo.open(dest) as repo:
        rebuild_mod.rebuild(repo)
        return _tables(repo)


def test_mlink_rows_written_in_batches_or_at_once(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = _rebuilt(history, tmp_path / "default.fossil")
    assert len(default["plink"]) > 160 and any(row[-1] for row in default["mlink"])  # merges (isaux)
    assert any(row[5] for row in default["mlink"])  # renames (pfnid)
    writes: list[int] = []
    real_write = checkins.write_mlink
    monkeypatch.setattr(checkins, "write_mlink", lambda b: writes.append(len(b.mlink_rows)) or real_write(b))
    for size in (1, 7, 10**9):
        writes.clear()
        monkeypatch.setattr(checkins, "MLINK_BATCH", size)
        assert _rebuilt(history, tmp_path / f"b{size}.fossil") == default, size
        if size == 10**9:
            # written only where mlink is read (merges, the end of the batch)
            assert 1 < sum(1 for n in writes if n) < 80
        else:
            assert sum(1 for n in writes if n) > len(default["mlink"]) // (size + 20)


def test_smallest_walk_caches(history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fetched: list[int] = []
    real_fetch = rebuild_mod._Walker.fetch
    monkeypatch.setattr(rebuild_mod._Walker, "fetch", lambda self, rid: fetched.append(rid) or real_fetch(self, rid))
    default = _rebuilt(history, tmp_path / "default.fossil")
    assert len(fetched) > 20  # parents expanded ahead of the walk
    monkeypatch.setattr(rebuild_mod, "_WALK_CACHE", 1)
    monkeypatch.setattr(rebuild_mod, "CHECKPOINT_BYTES", 0)
    monkeypatch.setattr(rebuild_mod, "WALK_CACHE_BYTES", 0)
    monkeypatch.setattr(rebuild_mod, "PRELOAD_BYTES", 0)
    assert _rebuilt(history, tmp_path / "small.fossil") == default


@pytest.mark.parametrize("budget", [0, 3000])
def test_waiting_sources_bounded_by_bytes(
    budget: int, history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The texts kept for children waiting on the walk's stack stay within
    # STACK_BYTES (or the one text held last); a text dropped is expanded
    # again when its next child comes, and the tables do not change.
    default = _rebuilt(history, tmp_path / "default.fossil")
    refetched: list[int] = []
    real_refetch = rebuild_mod._Walker._refetch
    monkeypatch.setattr(
        rebuild_mod._Walker, "_refetch", lambda self, rid: refetched.append(rid) or real_refetch(self, rid)
    )
    held: list[tuple[int, int]] = []
    real_hold = rebuild_mod._Held.hold

    def hold(self: rebuild_mod._Held, rid: int, text: bytes) -> None:
        real_hold(self, rid, text)
        held.append((self.bytes, max(map(len, self.texts.values()))))

    monkeypatch.setattr(rebuild_mod._Held, "hold", hold)
    monkeypatch.setattr(rebuild_mod, "STACK_BYTES", budget)
    assert _rebuilt(history, tmp_path / "small.fossil") == default
    assert refetched  # texts were dropped and expanded again
    assert held and all(total <= max(budget, biggest) for total, biggest in held)
    assert max(total for total, _ in held) > budget // 2
