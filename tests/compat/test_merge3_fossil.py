"""fossilpy's 3-way merge against ``fossil 3-way-merge`` (2.21).

The merged bytes must be identical and the conflict count the one fossil
warns about ("WARNING: N merge conflicts"): a corpus (clean merges, both
sides making the same edit, conflicts in the middle and at the ends,
CR/LF files, missing final newlines, BOMs, empty files) and 300 random
edits of a base text with a fixed seed.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from fossilpy.artifact import merge3, textdiff
from tests.conftest import require_binary


class Judge:
    def __init__(self, work: Path) -> None:
        self.exe = require_binary("fossil")
        self.work = work

    def fossil(self, pivot: bytes, v1: bytes, v2: bytes) -> tuple[bytes, int]:
        paths = [self.work / n for n in ("pivot", "v1", "v2", "merged")]
        for p, text in zip(paths[:3], (pivot, v1, v2), strict=True):
            p.write_bytes(text)
        proc = subprocess.run(
            [self.exe, "3-way-merge", *map(str, paths)], capture_output=True, cwd=self.work, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        m = re.search(rb"WARNING: (\d+) merge conflicts", proc.stdout + proc.stderr)
        return paths[3].read_bytes(), int(m.group(1)) if m else 0

    def check(self, pivot: bytes, v1: bytes, v2: bytes, label: str) -> tuple[bytes, int]:
        expected = self.fossil(pivot, v1, v2)
        got = merge3.merge(pivot, v1, v2)
        if got != expected:
            pytest.fail(f"{label}:\nfossil   {expected!r}\nfossilpy {got!r}")
        return got


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> Judge:
    return Judge(tmp_path_factory.mktemp("merge3"))


def _j(lines: list[bytes], eol: bytes = b"\n", final: bool = True) -> bytes:
    return eol.join(lines) + (eol if final and lines else b"")


BASE = [b"line %d" % i for i in range(30)]


def _set(lines: list[bytes], i: int, text: bytes) -> list[bytes]:
    return [*lines[:i], text, *lines[i + 1 :]]


CORPUS: dict[str, tuple[bytes, bytes, bytes]] = {
    "clean, edits apart": (_j(BASE), _j(_set(BASE, 3, b"mine")), _j(_set(BASE, 25, b"theirs"))),
    "same edit both sides": (_j(BASE), _j(_set(BASE, 10, b"both")), _j(_set(BASE, 10, b"both"))),
    "conflict": (_j(BASE), _j(_set(BASE, 10, b"mine")), _j(_set(BASE, 10, b"theirs"))),
    "conflict at start": (_j(BASE), _j([b"mine", *BASE[1:]]), _j([b"theirs", *BASE[1:]])),
    "conflict at end, no newline": (
        _j(BASE, final=False),
        _j([*BASE[:-1], b"mine"], final=False),
        _j([*BASE[:-1], b"theirs"], final=False),
    ),
    "two conflicts": (
        _j(BASE),
        _j(_set(_set(BASE, 5, b"m5"), 20, b"m20")),
        _j(_set(_set(BASE, 5, b"t5"), 20, b"t20")),
    ),
    "delete vs edit": (_j(BASE), _j(BASE[:8] + BASE[12:]), _j(_set(BASE, 10, b"theirs"))),
    "insert both at same place": (_j(BASE), _j([*BASE[:5], b"a", *BASE[5:]]), _j([*BASE[:5], b"b", *BASE[5:]])),
    "append both": (_j(BASE), _j([*BASE, b"mine"]), _j([*BASE, b"theirs"])),
    "crlf conflict": (
        _j(BASE, b"\r\n"),
        _j(_set(BASE, 4, b"mine"), b"\r\n"),
        _j(_set(BASE, 4, b"theirs"), b"\r\n"),
    ),
    "crlf one side only": (_j(BASE, b"\r\n"), _j(_set(BASE, 4, b"mine"), b"\r\n"), _j(_set(BASE, 4, b"x"))),
    "bom both": (
        b"\xef\xbb\xbf" + _j(BASE),
        b"\xef\xbb\xbf" + _j(_set(BASE, 2, b"mine")),
        b"\xef\xbb\xbf" + _j(_set(BASE, 20, b"theirs")),
    ),
    "empty pivot": (b"", b"mine\n", b"theirs\n"),
    "empty sides": (_j(BASE), b"", b""),
    "v1 unchanged": (_j(BASE), _j(BASE), _j(_set(BASE, 7, b"theirs"))),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus(judge: Judge, name: str) -> None:
    judge.check(*CORPUS[name], name)


def test_conflict_markers_exact(judge: Judge) -> None:
    merged, n = judge.check(*CORPUS["conflict"], "conflict")
    assert n == 1
    assert merged == _j(
        [
            *BASE[:10],
            b"<<<<<<< BEGIN MERGE CONFLICT: local copy shown first <<<<<<<<<<<< (line 11)",
            b"mine",
            b"||||||| COMMON ANCESTOR content follows ||||||||||||||||||||||||| (line 11)",
            b"line 10",
            b"======= MERGED IN content follows =============================== (line 11)",
            b"theirs",
            b">>>>>>> END MERGE CONFLICT >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>",
            *BASE[11:],
        ]
    )
    assert merge3.contains_merge_marker(merged)
    assert not merge3.contains_merge_marker(_j(BASE))


def test_binary_refused() -> None:
    with pytest.raises(textdiff.BinaryInput):
        merge3.merge(b"a\0b\n", b"a\n", b"b\n")


_WORDS = [b"a", b"b", b"c", b"d{", b"}", b"", b"x y", b"line\r"]


def _edit(rng: random.Random, lines: list[bytes]) -> list[bytes]:
    out = list(lines)
    for _ in range(rng.randrange(0, 6)):
        op = rng.randrange(3)
        p = rng.randrange(len(out) + 1)
        if op == 0:
            del out[p : p + rng.randrange(1, 4)]
        elif op == 1:
            out[p:p] = [rng.choice(_WORDS) + b"%d" % rng.randrange(9) for _ in range(rng.randrange(1, 4))]
        elif p < len(out):
            out[p] = out[p] + b"!"
    return out


def test_random_merges(judge: Judge) -> None:
    rng = random.Random(2021)
    conflicts = clean = 0
    for k in range(300):
        base = [rng.choice(_WORDS) + b"%d" % rng.randrange(5) for _ in range(rng.randrange(0, 60))]
        v1 = _edit(rng, base)
        v2 = _edit(rng, base) if rng.random() < 0.85 else list(v1)
        eol = b"\r\n" if k % 5 == 0 else b"\n"
        final = k % 7 != 0
        _, n = judge.check(_j(base, eol, final), _j(v1, eol, final), _j(v2, eol), f"random merge {k}")
        conflicts += n > 0
        clean += n == 0
    assert conflicts > 30 and clean > 30  # both kinds were exercised
