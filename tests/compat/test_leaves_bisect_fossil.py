"""``leaves``, ``descendants`` and ``bisect`` against the real fossil 2.21
(issue 13), in twin checkouts of one history (tests/compat/twin_checkout.py):
same exit status, output and errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.twin_checkout import build_history, make_twins


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fossil, _, work = make_runners(tmp_path_factory, "leaves-base")
    return build_history(fossil, work)


def test_leaves_and_descendants(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "leaves")
    for args in (
        ("leaves",),
        ("leaves", "-a"),
        ("leaves", "--all"),
        ("leaves", "-c"),
        ("leaves", "--closed"),
        ("leaves", "--bybranch", "-a"),
        ("leaves", "-m"),
        ("leaves", "--multiple", "-a"),
        ("leaves", "-W", "45"),
        ("leaves", "-W", "0", "-a"),
        ("leaves", "-W", "39"),
        ("leaves", "--recompute"),
        ("leaves", "-x"),
        ("descendants",),
        ("descendants", "v1"),
        ("descendants", "feat", "-W", "40"),
        ("descendants", "root:feat"),
        ("descendants", "nosuch"),
        ("descendants", "-W", "10"),
        ("descendants", "--width", "0", "v1"),
    ):
        t.same(*args)
    t.same("leaves", "-a", repo_opt=True)
    t.same("descendants", "v1", repo_opt=True)
    t.same("leaves", sub="..")
    # another checkout version: a different *CURRENT* and different descendants
    for side in (0, 1):
        t.fossil("update", "feat", cwd=t.co(side))
    t.same("descendants")
    t.same("descendants", "prev")
    t.same("leaves", "-a")
