"""What the fuzz tests share: example counts, a per-case watchdog, a child process.

Each fuzz target is a hypothesis-decorated function that pytest runs in a
child process (:func:`run_in_child`): the child has a memory ceiling and a
hard time limit, so an input that makes a parser spin or allocate without
bound fails the test instead of hanging the run or the machine.  Inside the
child every case runs under :func:`watchdog` (``SIGALRM``), which turns a
case slower than its bound into a failure that hypothesis reports and
shrinks.

Example counts: a fixed, derandomized number per target in CI; set
``FOSSILPY_FUZZ_EXAMPLES=N`` to run N random (not derandomized) examples
per target instead, e.g.::

    FOSSILPY_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/fuzz -q
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.limits import TimeLimitExceeded, time_limit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_ENV = "FOSSILPY_FUZZ_EXAMPLES"
#: Address space of a fuzzing child process.
CHILD_MEMORY = 2 << 30


def by_hand_examples() -> int:
    """Examples per target asked for in the environment (0: the CI default)."""
    return int(os.environ.get(EXAMPLES_ENV, "0") or 0)


def fuzz_settings(ci_examples: int) -> settings:
    """``ci_examples`` derandomized examples, or FOSSILPY_FUZZ_EXAMPLES random ones."""
    n = by_hand_examples()
    return settings(
        max_examples=n or ci_examples,
        derandomize=not n,
        database=None,
        deadline=None,  # the watchdog bounds each case instead
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


#: A fuzz case ran longer than its bound.
CaseTimeout = TimeLimitExceeded
#: ``with watchdog(seconds):`` - raise CaseTimeout in the main thread if the block runs past ``seconds``.
watchdog = time_limit


def _limit_memory() -> None:  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def run_in_child(module: str, target: str, *, per_example: float = 0.05, base: float = 120) -> None:
    """Run ``module.target()`` in a fresh interpreter; fail with its output if it fails.

    The hard limit is ``base`` seconds plus ``per_example`` for each example
    asked for by hand (the per-case watchdog fires long before it).
    """
    limit = base + per_example * by_hand_examples()
    code = f"import {module} as m\nm.{target}()\n"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
            timeout=limit, preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stderr or b"")[-4000:]
        pytest.fail(f"{target}: no result within {limit:g} s (a case hung in C code?)\n{out!r}")
    if proc.returncode != 0:
        pytest.fail(f"{target} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-6000:]}")
