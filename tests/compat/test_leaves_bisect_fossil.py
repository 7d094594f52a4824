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


BISECT_SESSION = (
    ("bisect",),
    ("bisect", "log"),
    ("bisect", "ls"),
    ("bisect", "options"),
    ("bisect", "options", "display"),
    ("bisect", "options", "nosuch"),
    ("bisect", "bad"),
    ("bisect", "good", "root:trunk"),
    ("bisect", "ls", "-a"),
    ("bisect", "chart"),
    ("bisect", "skip"),
    ("bisect", "vlist"),
    ("bisect", "status", "--all"),
    ("bisect", "undo"),
    ("bisect", "bad"),
    ("bisect", "log"),
    ("bisect", "good"),
    ("bisect", "next"),
    ("bisect", "ls"),
    ("bisect", "good", "nosuch"),
    ("bisect", "frob"),
    ("bisect", "reset"),
    ("bisect", "log"),
    ("bisect", "options", "display", "log"),
    ("bisect", "options", "direct-only", "off"),
    ("bisect", "good", "v1"),
    ("bisect", "bad", "trunk"),
    ("bisect", "options", "linear", "on"),
    ("bisect", "bad"),
    ("bisect", "options"),
    ("bisect", "options", "display", "status"),
    ("bisect", "good"),
    ("bisect", "next"),
    ("bisect", "undo"),
    ("bisect", "undo"),
    ("bisect", "undo"),
    ("bisect", "undo"),
    ("bisect", "reset"),
)


def _bisect_state(t, side: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v for k, v in t.vvar(side).items() if k.startswith("bisect") or k in ("checkout", "checkout-hash")}


def test_bisect_session(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "bisect")
    for args in BISECT_SESSION:
        t.same(*args)
        assert _bisect_state(t, 1) == _bisect_state(t, 0), args
        assert (t.co(1) / "a.txt").read_bytes() == (t.co(0) / "a.txt").read_bytes()
    t.same("bisect", "log", sub="..")


def test_bisect_taking_turns(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """One bisect in one checkout, fossil and fossilpy alternating, against fossil alone."""
    t = make_twins(tmp_path_factory, base, "bisect-turns")
    for i, args in enumerate(BISECT_SESSION):
        if i % 2:
            t.same(*args)
        else:
            for side in (0, 1):
                t.fossil(*args, check=False, cwd=t.co(side))
        assert _bisect_state(t, 1) == _bisect_state(t, 0), args
    t.fossil("test-integrity", cwd=t.co(1))


def test_bisect_run(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """``bisect run COMMAND`` drives the bisect to its end as fossil's does (the
    program name in the lines it prints is each program's own)."""
    import re
    import sys

    t = make_twins(tmp_path_factory, base, "bisect-run")
    t.same("bisect", "run", "true")
    t.same("bisect", "bad", "trunk")
    t.same("bisect", "run", "true")
    t.same("bisect", "good", "root:trunk")
    t.same("bisect", "run", "-x", "true")
    f, p = t.pair("bisect", "run", 'grep -q "line three" a.txt')
    me = re.escape(sys.executable) + " -m fossilpy"
    fossil_exe = re.compile(r"^/\S*fossil (bisect (good|bad|skip))$", re.M)
    assert (p[0], re.sub("^" + me + " ", "fossil ", p[1], flags=re.M), p[2]) == (
        f[0],
        fossil_exe.sub(r"fossil \1", f[1]),
        f[2],
    )
    assert "bisect complete" in f[1]
    assert _bisect_state(t, 1) == _bisect_state(t, 0)
    t.same("bisect", "log")
