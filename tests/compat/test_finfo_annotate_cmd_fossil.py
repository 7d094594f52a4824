"""``finfo`` and ``annotate``/``blame``/``praise`` against the real fossil 2.21
(issue 13), run in twin checkouts of one history
(tests/compat/twin_checkout.py): same exit status, output and errors,
byte for byte, in every mode -- the log (wrapped and not), the brief
log, status of unchanged, edited, added, renamed and deleted files, print
of the checkout's and an older version, forward and reverse annotation,
limits, file versions, from a subfolder, and the error messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.compat.twin_checkout import build_history, make_twins


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fossil, _, work = make_runners(tmp_path_factory, "finfo-base")
    return build_history(fossil, work)


def test_finfo(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "finfo")
    for side in (0, 1):
        co = t.co(side)
        (co / "a.txt").write_text((co / "a.txt").read_text() + "edited\n")
        (co / "new.txt").write_text("new\n")
    for side, prog in enumerate((t.fossil, t.fossil)):
        prog("add", "new.txt", cwd=t.co(side))
        prog("mv", "c.txt", "c2.txt", cwd=t.co(side))
        prog("rm", "sub/b.txt", cwd=t.co(side))
    for args in (
        ("finfo", "a.txt"),
        ("finfo", "-l", "a.txt"),
        ("finfo", "-b", "a.txt"),
        ("finfo", "--brief", "--limit", "2", "a.txt"),
        ("finfo", "-n", "2", "--offset", "1", "a.txt"),
        ("finfo", "-n", "0", "a.txt"),
        ("finfo", "-W", "40", "a.txt"),
        ("finfo", "-W", "30", "-b", "a.txt"),
        ("finfo", "-W", "0", "a.txt"),
        ("finfo", "-W", "10", "a.txt"),
        ("finfo", "sub/b.txt"),
        ("finfo", "-b", "c2.txt"),
        ("finfo", "nosuch.txt"),
        ("finfo", "new.txt"),
        ("finfo",),
        ("finfo", "a.txt", "c.txt"),
        ("finfo", "--bogus", "a.txt"),
        ("finfo", "-s", "a.txt"),
        ("finfo", "--status", "sub/b.txt"),
        ("finfo", "-s", "c2.txt"),
        ("finfo", "-s", "new.txt"),
        ("finfo", "-s", "nosuch.txt"),
        ("finfo", "-s"),
        ("finfo", "-p", "a.txt"),
        ("finfo", "-p", "-r", "v1", "a.txt"),
        ("finfo", "--print", "--revision", "feat", "sub/b.txt"),
        ("finfo", "-p", "-r", "v1", "c.txt"),
        ("finfo", "-p", "-r", "nosuch", "a.txt"),
        ("finfo", "-p", "nosuch.txt"),
        ("finfo", "../outside.txt"),
        ("finfo", "-i", "a.txt"),
        ("finfo", "--id", "-v", "a.txt"),
        ("finfo", "-i", "-r", "v1", "a.txt"),
        ("finfo", "-i", "-r", "feat", "-v", "sub/b.txt"),
        ("finfo", "-i", "new.txt"),
        ("finfo", "-i", "-r", "nosuch", "a.txt"),
        ("finfo", "-i"),
    ):
        t.same(*args)
    t.same("finfo", "b.txt", sub="sub")
    t.same("finfo", "-b", "../a.txt", sub="sub")


def test_annotate(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "annotate")
    for args in (
        ("annotate", "a.txt"),
        ("blame", "a.txt"),
        ("praise", "a.txt"),
        ("annotate", "--filevers", "a.txt"),
        ("blame", "--filevers", "sub/b.txt"),
        ("annotate", "-l", "a.txt"),
        ("blame", "--log", "sub/b.txt"),
        ("annotate", "-r", "v1", "a.txt"),
        ("blame", "--revision", "feat", "sub/b.txt"),
        ("annotate", "-n", "3", "a.txt"),
        ("blame", "-n", "3", "-l", "a.txt"),
        ("annotate", "--limit", "none", "a.txt"),
        ("annotate", "-o", "trunk", "-r", "v1", "a.txt"),
        ("blame", "--origin", "trunk", "-r", "v1", "-l", "a.txt"),
        ("blame", "-w", "a.txt"),
        ("blame", "-Z", "a.txt"),
        ("annotate", "nosuch.txt"),
        ("annotate", "-r", "v1", "c.txt"),
        ("annotate", "-r", "nosuch", "a.txt"),
        ("annotate",),
        ("blame", "--bogus", "a.txt"),
    ):
        t.same(*args)
    t.same("blame", "../a.txt", sub="sub")
    t.same("annotate", "b.txt", sub="sub")


def test_outside_a_checkout(base: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    t = make_twins(tmp_path_factory, base, "finfo-outside")
    for args in (("finfo", "a.txt"), ("annotate", "a.txt"), ("blame", "-r", "trunk", "a.txt")):
        t.same(*args, sub="..")
