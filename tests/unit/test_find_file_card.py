"""``manifest.find_file_card`` (one file of a check-in without parsing it all)
agrees with the full parser on baseline and delta manifests."""

from __future__ import annotations

import hashlib
import random

from fossilpy.artifact import manifest
from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest

NAMES = ["README.md", "a b.txt", "dir/x.c", "dir/sub/y", "z\\back", "tab\there", "é.txt", "zz"]


def _h(i: int) -> str:
    return hashlib.sha3_256(str(i).encode()).hexdigest()


def _checkin(files: list[FileCard], baseline: str | None = None) -> bytes:
    m = Manifest(
        type=ArtifactType.MANIFEST,
        comment="c",
        date="2026-01-01T00:00:00",
        user="u",
        files=sorted(files, key=lambda f: f.name.encode()),
    )
    m.baseline = baseline
    m.parents = [_h(999)]
    return m.to_bytes()


def _reference(data: bytes, name: str) -> tuple[bool, str | None, str]:
    m = manifest.parse(data)
    for f in m.files:
        if f.name == name:
            return True, f.uuid, f.perm or ""
    return False, None, ""


def test_agrees_with_the_parser_on_random_manifests() -> None:
    rnd = random.Random(7)
    for trial in range(200):
        chosen = rnd.sample(NAMES, rnd.randint(1, len(NAMES)))
        files = [FileCard(n, _h(trial * 100 + i), rnd.choice([None, "x", "l"])) for i, n in enumerate(chosen)]
        base = _h(trial) if rnd.random() < 0.5 else None
        if base:  # a delta manifest may remove a file (no hash)
            files = [FileCard(f.name, None) if rnd.random() < 0.3 else f for f in files]
        data = _checkin(files, base)
        for name in [*NAMES, "dir", "dir/", "nothere", "README"]:
            found, uuid, perm, baseline = manifest.find_file_card(data, name)
            assert (found, uuid, perm) == _reference(data, name), (name, data)
            assert baseline == base


def test_a_comment_that_looks_like_an_f_card_is_not_one() -> None:
    m = Manifest(
        type=ArtifactType.MANIFEST,
        comment="x\nF README.md " + _h(1),
        date="2026-01-01T00:00:00",
        user="u",
        files=[FileCard("b", _h(2))],
    )
    data = m.to_bytes()
    assert manifest.find_file_card(data, "README.md") == (False, None, "", None)
    assert manifest.find_file_card(data, "b") == (True, _h(2), "", None)


def test_reserved_and_unsafe_names_are_never_found() -> None:
    data = _checkin([FileCard("ok", _h(1))])
    for name in ["_FOSSIL_", ".fslckout", "../ok", "/ok", "a//b"]:
        assert manifest.find_file_card(data, name)[0] is False
