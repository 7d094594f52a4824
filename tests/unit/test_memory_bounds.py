"""Rebuild holds no state per artifact beyond its fixed-size caches.

Two generated histories (``benchmarks/gen_history.py``, imported by the real
fossil), one five times the other, are rebuilt under tracemalloc with the
caches made small (so that both histories fill them); the peak of Python
allocations may then grow between them only by a fixed allowance.  A
dict or set with an entry per artifact, per check-in or per mlink row (what
the rebuild held before: hash -> rid, the delta tree, the rids done, the
(mid, pmid) pairs, every F line seen) grows by far more than that.
The derived tables are checked against fossil's by tests/compat/test_rebuild_*.
"""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest

from fossilpy.artifact import fmemo
from fossilpy.repo import rebuild as rebuild_mod
from fossilpy.repo.crosslink import state
from fossilpy.repo.db import Repo

#: Growth of the peak allowed between the two histories.  What may grow:
#: bitmaps of rids (a bit per artifact), file names (Batch.fnids, one per
#: distinct name), the few texts the walk keeps (the last check-in of the
#: larger history lists 177 files, of the smaller 47): about 250 KiB today,
#: against 3.5 MiB when the rebuild kept its per-artifact dicts and sets.
ALLOWANCE = 512 << 10

SMALL, LARGE = 300, 1500


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    from benchmarks.gen_history import generate

    base = tmp_path_factory.mktemp("memhist")
    out = {}
    for n in (SMALL, LARGE):
        path = base / f"h{n}.fossil"
        generate(path, n, nfiles=40, seed=7, quiet=True)
        out[n] = path
    return out


def _peak_of_rebuild(src: Path, work: Path) -> tuple[int, dict[str, int]]:
    dest = work / ("copy-" + src.name)
    shutil.copyfile(src, dest)
    repo = Repo.open(str(dest))
    try:
        tracemalloc.start()
        try:
            stats = rebuild_mod.rebuild(repo)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        counts = {
            "checkins": repo.one("SELECT count(*) FROM event WHERE type='ci'"),
            "mlink": repo.one("SELECT count(*) FROM mlink"),
            "blobs": repo.one("SELECT count(*) FROM blob"),
        }
    finally:
        repo.db.close()
    assert stats["artifacts"] == counts["blobs"]
    return peak, counts


def test_rebuild_peak_does_not_follow_history(
    histories: dict[int, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # caches small enough that both histories fill them
    monkeypatch.setattr(state, "RID_CACHE", 200)
    monkeypatch.setattr(fmemo, "FLINE_MEMO", 300)
    monkeypatch.setattr(rebuild_mod, "PRELOAD_BYTES", 0)
    # the texts the walk keeps are bounded by count; make the counts small,
    # as manifests of the larger history list more files
    monkeypatch.setattr(rebuild_mod, "_WALK_CACHE", 4)
    monkeypatch.setattr(rebuild_mod, "CHECKPOINT_BYTES", 32 << 10)
    monkeypatch.setattr(state, "MANIFEST_CACHE", 4)
    # one rebuild first: modules imported on first use are not counted
    _peak_of_rebuild(histories[SMALL], tmp_path)
    small, small_counts = _peak_of_rebuild(histories[SMALL], tmp_path)
    large, large_counts = _peak_of_rebuild(histories[LARGE], tmp_path)
    assert small_counts["checkins"] >= SMALL
    assert large_counts["checkins"] >= LARGE
    assert large_counts["blobs"] > 4 * small_counts["blobs"]
    growth = large - small
    assert growth < ALLOWANCE, (
        f"rebuild peak grew by {growth} bytes from {small_counts} to {large_counts} ({small} -> {large})"
    )


def test_parsed_checkins_are_bounded_by_cards(created_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # large baseline manifests: the cache keeps F cards, not just entries, bounded
    from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest

    monkeypatch.setattr(state, "MANIFEST_CARDS", 2_500)
    b = state.Batch(created_repo, rebuilding=True)
    for rid in range(1, 11):
        files = [FileCard(f"f{i:05d}", "0" * 64) for i in range(1_000)]
        b.remember(rid, Manifest(type=ArtifactType.MANIFEST, comment="x", files=files))
    assert list(b.manifests) == [9, 10]
    small = [FileCard("a", "0" * 64)]
    for rid in range(11, 31):
        b.remember(rid, Manifest(type=ArtifactType.MANIFEST, comment="x", files=small))
    assert list(b.manifests) == list(range(15, 31))  # the count bound (16) still holds


def test_file_name_ids_are_bounded(created_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "FNID_CACHE", 8)
    with created_repo.write():
        b = state.Batch(created_repo, rebuilding=True)
        ids = [b.fnid(f"dir/file{i}.c") for i in range(20)]
        assert len(b.fnids) <= 8
        assert [b.fnid(f"dir/file{i}.c") for i in range(20)] == ids  # misses come back from the table
        assert created_repo.one("SELECT count(*) FROM filename") == 20


def test_rebuild_frees_its_caches_when_it_returns(histories: dict[int, Path], tmp_path: Path) -> None:
    # The walker and the batch refer to each other (the batch's fetch is the
    # walker's); unless rebuild breaks that cycle, their texts and memo stay
    # until the next full collection, and a clone's VACUUM grows past them.
    import gc

    _peak_of_rebuild(histories[SMALL], tmp_path)  # imports on first use are not counted
    dest = tmp_path / "cycle.fossil"
    shutil.copyfile(histories[LARGE], dest)
    repo = Repo.open(str(dest))
    gc.disable()
    try:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            rebuild_mod.rebuild(repo)
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        gc.enable()
        repo.db.close()
    assert peak - before > 2 << 20  # the caches were used
    assert held - before < 256 << 10, f"{held - before} bytes still held after rebuild"


def test_rebuild_hash_lookups_stay_bounded(
    histories: dict[int, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hash -> rid is filled by lookups (nothing preloaded) and kept under RID_CACHE
    monkeypatch.setattr(state, "RID_CACHE", 100)
    sizes = []
    real = state.Batch._remember_rid

    def remember(rids: dict[str, int], uuid: str, rid: int) -> None:
        real(rids, uuid, rid)
        sizes.append(len(rids))

    monkeypatch.setattr(state.Batch, "_remember_rid", staticmethod(remember))
    dest = tmp_path / "rids.fossil"
    shutil.copyfile(histories[SMALL], dest)
    repo = Repo.open(str(dest))
    try:
        rebuild_mod.rebuild(repo)
        blobs = repo.one("SELECT count(*) FROM blob")
    finally:
        repo.db.close()
    assert blobs > 500
    assert len(sizes) > 200
    assert sizes[0] == 1
    assert max(sizes) == 100


def test_rebuild_runs_with_a_smaller_page_cache_and_puts_it_back(histories: dict[int, Path], tmp_path: Path) -> None:
    dest = tmp_path / "cache.fossil"
    shutil.copyfile(histories[SMALL], dest)
    repo = Repo.open(str(dest))
    seen: list[int] = []
    real = rebuild_mod.crosslink.crosslink

    def spy(repo_: Repo, *a: object, **k: object) -> object:
        if not seen:
            seen.append(repo_.one("PRAGMA cache_size"))
        return real(repo_, *a, **k)  # type: ignore[arg-type]

    try:
        repo.db.execute("PRAGMA cache_size=-3000")
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(rebuild_mod.crosslink, "crosslink", spy)
            rebuild_mod.rebuild(repo)
        after = repo.one("PRAGMA cache_size")
    finally:
        repo.db.close()
    assert seen == [-rebuild_mod.PAGE_CACHE_KIB]
    assert after == -3000
