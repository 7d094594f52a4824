"""Benchmark ``fossilpy rebuild`` against ``fossil rebuild``.

    python benchmarks/bench_rebuild.py [REPO.fossil] [--checkins 5000] [--runs 1]
        [--keep DIR] [--profile FILE] [--baseline PYTHON]

Without REPO a history of --checkins check-ins is generated with the real
fossil (benchmarks/gen_history.py).  Each run copies the repository twice and
rebuilds one copy with each program, alternating which goes first; every
program runs under ``/usr/bin/time -v`` when available (else
``resource.getrusage(RUSAGE_CHILDREN)`` around the child), so the figures
are the child's own wall time, CPU time (user+sys) and peak RSS.  Printed:
the figures for each run, the best of each, and the ratios fossilpy/fossil
(goals: wall <= 1.5, RSS <= 2).  On a busy machine the CPU ratio is the
steadier one.  fossilpy's byte code is compiled first into a cache in the
work directory, so no run pays for compiling.  ``--profile FILE`` also
writes a cProfile of an in-process fossilpy rebuild of a third copy.
``--baseline PYTHON`` also rebuilds with that interpreter's ``-m fossilpy``
(e.g. a venv holding the tree before a change), in turn with the others,
and prints the ratio fossilpy/baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(home: Path) -> dict[str, str]:
    """The children's environment.  Python byte code goes to a cache under the
    work directory, compiled before the first run, so that every fossilpy run
    starts as an installed program does (with PYTHONDONTWRITEBYTECODE set, a
    module edited since its .pyc was written would be compiled at every run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOSSIL")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(USER="root", HOME=str(home), TZ="UTC")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONPYCACHEPREFIX"] = str(home.parent / "pycache")
    return env


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, float]:
    """Run ``argv``; return (wall seconds, peak RSS in KiB, CPU seconds) of the child."""
    timer = shutil.which("time", path="/usr/bin:/bin")
    if timer:
        with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
            t0 = time.monotonic()
            proc = subprocess.run([timer, "-v", "-o", out.name, *argv], env=env, cwd=cwd,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.monotonic() - t0
            report = out.read()
        if proc.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {proc.stderr.decode(errors='replace')}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
        m = re.search(r"Elapsed \(wall clock\) time .*?: (?:(\d+):)?(\d+):([\d.]+)", report)
        if m:
            wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        cpu = sum(
            float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", report)
        )
        return wall, rss, cpu
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, max(after.ru_maxrss, before.ru_maxrss), cpu


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("repo", nargs="?", type=Path, help="repository to rebuild (copied)")
    p.add_argument("--checkins", type=int, default=5000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    p.add_argument("--profile", type=Path, help="write a cProfile of fossilpy's rebuild here")
    p.add_argument("--baseline", type=Path, metavar="PYTHON",
                   help="also rebuild with PYTHON -m fossilpy (another build), for a before/after ratio")
    args = p.parse_args(argv)
    fossil = shutil.which("fossil")
    if fossil is None:
        raise SystemExit("bench_rebuild: the fossil binary is not on PATH")
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-rebuild-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = _env(home)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fossilpy")],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        src = args.repo
        if src is None:
            sys.path.insert(0, str(ROOT))
            from benchmarks.gen_history import generate

            src = work / "history.fossil"
            if not src.exists():
                generate(src, args.checkins, quiet=True)
        results: dict[str, list[tuple[float, int, float]]] = {"fossil": [], "fossilpy": []}
        commands = {
            "fossil": lambda repo: [fossil, "rebuild", str(repo)],
            "fossilpy": lambda repo: [sys.executable, "-m", "fossilpy", "rebuild", str(repo)],
        }
        envs = {"fossil": env, "fossilpy": env}
        if args.baseline:
            results["baseline"] = []
            commands["baseline"] = lambda repo: [str(args.baseline), "-m", "fossilpy", "rebuild", str(repo)]
            envs["baseline"] = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        for run in range(args.runs):
            order = list(commands) if run % 2 == 0 else list(reversed(commands))
            for name in order:
                copy = work / f"{name}.fossil"
                shutil.copyfile(src, copy)
                wall, rss, cpu = measure(commands[name](copy), envs[name], work)
                results[name].append((wall, rss, cpu))
                print(f"run {run + 1}: {name:<8} wall {wall:7.2f} s   CPU {cpu:7.2f} s"
                      f"   peak RSS {rss / 1024:7.1f} MiB")
        best = {
            k: tuple(min(row[i] for row in v) for i in range(3)) for k, v in results.items()
        }
        fw, fr, fc = best["fossil"]
        pw, pr, pc = best["fossilpy"]
        print(f"fossil   best: wall {fw:.2f} s, CPU {fc:.2f} s, peak RSS {fr / 1024:.1f} MiB")
        print(f"fossilpy best: wall {pw:.2f} s, CPU {pc:.2f} s, peak RSS {pr / 1024:.1f} MiB")
        print(f"ratio fossilpy/fossil: wall {pw / fw:.2f}x (goal <= 1.5), "
              f"CPU {pc / fc:.2f}x, RSS {pr / fr:.2f}x (goal <= 2)")
        if args.baseline:
            bw, br, bc = best["baseline"]
            print(f"baseline best: wall {bw:.2f} s, CPU {bc:.2f} s, peak RSS {br / 1024:.1f} MiB")
            print(f"ratio fossilpy/baseline: wall {pw / bw:.2f}x, CPU {pc / bc:.2f}x, RSS {pr / br:.2f}x")
        if args.profile:
            import cProfile

            sys.path.insert(0, str(ROOT))
            from fossilpy.repo.db import Repo
            from fossilpy.repo.rebuild import rebuild

            copy = work / "profile.fossil"
            shutil.copyfile(src, copy)
            with Repo.open(copy) as repo:
                cProfile.runctx("rebuild(repo)", globals(), {"rebuild": rebuild, "repo": repo},
                                str(args.profile))
            print(f"profile written to {args.profile}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
