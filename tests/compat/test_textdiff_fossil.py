"""fossilpy's line diff against ``fossil test-diff`` (2.21), byte for byte.

A corpus of hand-made cases (edges of files, moved and repeated blocks,
CR/LF, missing final newline, empty files, whitespace-only changes,
re-indented code, UTF-8, binary and BOM input, long files) is diffed with
every option set; then 200 random pairs (fixed seed) made by editing a
base text.  Options: ``--context N``, ``-w``, ``-Z``,
``--strip-trailing-cr``, ``-n``, ``--noopt``, ``--invert``, ``-y``/``-W``,
``--html`` (unified and side-by-side tables).
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from fossilpy.artifact import diffbuild, textdiff
from tests.conftest import require_binary

OPTION_SETS: list[list[str]] = [
    [],
    ["--context", "0"],
    ["--context", "1"],
    ["--context", "12"],
    ["-w"],
    ["-Z"],
    ["--strip-trailing-cr"],
    ["-n"],
    ["-y"],
    ["-y", "-W", "24"],
    ["--html"],
    ["--html", "-y"],
    ["-w", "--html", "-y", "--context", "2"],
    ["-Z", "--html"],
    ["--noopt"],
    ["--invert", "--context", "3"],
]

_FLAGS = {
    "-w": textdiff.DIFF_IGNORE_ALLWS,
    "-Z": textdiff.DIFF_IGNORE_EOLWS,
    "-y": textdiff.DIFF_SIDEBYSIDE,
    "--html": textdiff.DIFF_HTML,
    "--strip-trailing-cr": textdiff.DIFF_STRIP_EOLCR,
    "-n": textdiff.DIFF_LINENO,
    "--noopt": textdiff.DIFF_NOOPT,
    "--invert": textdiff.DIFF_INVERT,
}


def ours(opts: list[str], left: str, right: str, a: bytes, b: bytes) -> bytes:
    """What ``fossil test-diff OPTS LEFT RIGHT`` prints, from fossilpy."""
    cfg = textdiff.DiffConfig()
    it = iter(opts)
    for o in it:
        if o in _FLAGS:
            cfg.flags |= _FLAGS[o]
        elif o == "--context":
            cfg.context = int(next(it))
            cfg.flags |= textdiff.DIFF_CONTEXT_EX
        elif o == "-W":
            cfg.width = int(next(it))
    return diffbuild.filenames_header(left, right, cfg) + textdiff.text_diff(a, b, cfg)


class Judge:
    def __init__(self, work: Path) -> None:
        self.exe = require_binary("fossil")
        self.work = work
        self.left = work / "left.txt"
        self.right = work / "right.txt"

    def check(self, a: bytes, b: bytes, opts: list[str], label: str) -> None:
        self.left.write_bytes(a)
        self.right.write_bytes(b)
        proc = subprocess.run(
            [self.exe, "test-diff", *opts, str(self.left), str(self.right)],
            capture_output=True,
            input=b"",  # stdin not a terminal: the default width is that of 80 columns
            cwd=self.work,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        mine = ours(opts, str(self.left), str(self.right), a, b)
        if proc.stdout != mine:
            pytest.fail(f"{label} {opts}:\n--- fossil\n{proc.stdout!r}\n--- fossilpy\n{mine!r}")


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> Judge:
    return Judge(tmp_path_factory.mktemp("textdiff"))


def _lines(n: int, fmt: str = "line {} of the text") -> list[bytes]:
    return [fmt.format(i).encode() for i in range(n)]


def _j(lines: list[bytes], eol: bytes = b"\n", final: bool = True) -> bytes:
    return eol.join(lines) + (eol if final and lines else b"")


BASE = _lines(40)
C_CODE = b"".join(
    b"int f%d(int x){\n  if( x>%d ){\n    return x*%d;\n  }\n  return 0;\n}\n\n" % (i, i, i) for i in range(8)
)
CORPUS: dict[str, tuple[bytes, bytes]] = {
    "identical": (_j(BASE), _j(BASE)),
    "both empty": (b"", b""),
    "from empty": (b"", _j(BASE[:5])),
    "to empty": (_j(BASE[:5]), b""),
    "insert at start": (_j(BASE), _j([b"new first", b"new second", *BASE])),
    "insert at end": (_j(BASE), _j([*BASE, b"new last"])),
    "delete at start": (_j(BASE), _j(BASE[3:])),
    "delete at end": (_j(BASE), _j(BASE[:-4])),
    "change in middle": (_j(BASE), _j([*BASE[:20], b"changed 20", b"changed 21", *BASE[22:]])),
    "two nearby changes": (_j(BASE), _j([*BASE[:10], b"x", *BASE[11:17], b"y", *BASE[18:]])),
    "moved block": (_j(BASE), _j([*BASE[:5], *BASE[25:35], *BASE[5:25], *BASE[35:]])),
    "repeated lines": (_j([b"a", b"b"] * 30), _j([b"a", b"b", b"c"] * 20)),
    "blank-line shift": (_j([b"x", b"", b"y", b"", b"z"]), _j([b"x", b"", b"y", b"", b"w", b"", b"z"])),
    "crlf": (_j(BASE, b"\r\n"), _j([*BASE[:7], b"seven", *BASE[8:]], b"\r\n")),
    "crlf to lf": (_j(BASE, b"\r\n"), _j(BASE)),
    "no final newline": (_j(BASE, final=False), _j([*BASE[:-1], b"other end"], final=False)),
    "newline added at end": (_j(BASE, final=False), _j(BASE)),
    "trailing spaces": (_j(BASE), _j([x + b"  " if i % 3 == 0 else x for i, x in enumerate(BASE)])),
    "indent only": (_j(BASE), _j([b"\t" + x for x in BASE])),
    "inner spaces": (_j([b"a b c", b"d e"]), _j([b"a  b\tc", b"d e"])),
    "reindented code": (
        C_CODE,
        C_CODE.replace(b"  return 0;\n", b"  {\n    return 0;\n  }\n").replace(b"    return", b"      return"),
    ),
    "utf8 edits": (
        "naïve café ünïcode line\nsecond ñ line\n".encode(),
        "naïve cafés ünïcødé line\nsecond ñ line\n".encode(),
    ),
    "intraline repeats": (
        b"q\na. a\nZ. a\nab ab\nx = 1;\n",
        b"q\na. a. a\nZ. . a\nab ab ab\nx = 1;;\n",
    ),
    "html specials": (b"<a href=\"x\">&amp;</a>\n'q'\n", b"<a href=\"y\">&lt;</a>\n'q'\n"),
    "long lines": (_j([b"w" * 300 + b"%d" % i for i in range(10)]), _j([b"w" * 301 + b"%d" % i for i in range(10)])),
    "binary left": (b"abc\0def\n", b"abc\n"),
    "line too long": (b"x" * 40000 + b"\n", b"y\n"),
    "utf8 bom": (b"\xef\xbb\xbf" + _j(BASE[:4]), _j([*BASE[:3], b"three"])),
    "long file": (
        _j(_lines(3000)),
        _j([x if i % 97 else b"edited %d" % i for i, x in enumerate(_lines(3000)) if i % 131 != 5]),
    ),
    "big replaced block": (_j(_lines(60, "old {} text")), _j(_lines(45, "new {} text"))),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus(judge: Judge, name: str) -> None:
    a, b = CORPUS[name]
    for opts in OPTION_SETS:
        judge.check(a, b, opts, name)


def test_whitespace_only_message(judge: Judge) -> None:
    a, b = CORPUS["indent only"]
    assert ours(["-w"], "l", "r", a, b) == b"--- l\n+++ r\nwhitespace changes only\n"
    judge.check(a, b, ["-w"], "indent only")


_WORDS = [b"{", b"}", b"", b"  return x;", b"int f(void){", b"alpha", b"beta gamma", b"\tcall(a, b);", b"x\r", b"   "]


def _line(rng: random.Random) -> bytes:
    w = rng.choice(_WORDS)
    return w + (b"%d" % rng.randrange(12) if rng.random() < 0.6 else b"")


def _edit(rng: random.Random, base: list[bytes]) -> list[bytes]:
    new = list(base)
    for _ in range(rng.randrange(1, 10)):
        op = rng.randrange(5)
        p = rng.randrange(len(new) + 1)
        n = rng.randrange(1, 12)
        if op == 0:
            del new[p : p + n]
        elif op == 1:
            new[p:p] = [_line(rng) for _ in range(n)]
        elif op == 2:
            block = new[p : p + n]
            del new[p : p + n]
            q = rng.randrange(len(new) + 1)
            new[q:q] = block
        elif op == 3:
            for k in range(p, min(p + n, len(new))):
                new[k] = b"  " + new[k] + b" "
        else:
            for k in range(p, min(p + n, len(new))):
                new[k] = new[k].replace(b"a", b"ae")
    return new


def test_random_pairs(judge: Judge) -> None:
    rng = random.Random(20230226)
    for k in range(200):
        base = [_line(rng) for _ in range(rng.randrange(0, 400 if k % 10 else 1500))]
        new = _edit(rng, base)
        a = _j(base, final=rng.random() < 0.9)
        b = _j(new, final=rng.random() < 0.9)
        judge.check(a, b, OPTION_SETS[k % len(OPTION_SETS)], f"random pair {k}")
