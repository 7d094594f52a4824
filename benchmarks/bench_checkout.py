"""Checkout command benchmarks: fossilpy against the real fossil, side by side.

    python benchmarks/bench_checkout.py [--runs 3] [--files 10000] [--checkins 5000]
        [--fossilpy PROGRAM]

Two workloads, each prepared once with the real fossil and then copied, so
fossil and fossilpy work on separate but identical repositories and checkouts:

1. ``web-5000``: the generated 5,000-check-in history (``benchmarks/gen_history.py``,
   cached as ``benchmarks/work/web-5000.fossil``, as ``bench_web.py`` makes it),
   opened at its trunk tip.
2. ``tree-10000``: a repository made by fossil (``init``, 10,000 small files in
   nested folders ``dNN/sN/fNNNNN.txt``, ``add``, ``commit``), opened.

Timed, each command with fossil and with fossilpy taking turns (so the load of
this shared machine hits both alike): ``status``, ``changes``, ``diff`` with
three edited files, ``commit`` of one edited file (a new edit before each run),
``update`` to the trunk check-in 100 steps back and ``update`` forward again
(web-5000), ``annotate`` of the file with the longest history (web-5000).
Printed as a Markdown table: best wall time of ``--runs`` runs and the child's
CPU time (user + system from ``getrusage(RUSAGE_CHILDREN)``) of the best-CPU
run, with fossilpy/fossil ratios (goal: wall <= 1.5x, status <= 2x).

The fossilpy timed is this tree run as ``python -m fossilpy`` by the python
running the benchmark, unless ``--fossilpy PROGRAM`` names another: give the
``fossilpy`` console script of a venv made as the README installs it
(``pip install .``) to time the form users run.  A development venv made with
``pip install -e`` starts slower: setuptools' editable finder imports
pathlib, re, enum, urllib.parse and ipaddress into every process before
fossilpy's first line (about 12 ms of CPU on the machine of RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOSSIL = shutil.which("fossil") or "fossil"
PY = [sys.executable, "-m", "fossilpy"]


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run of ``argv`` in ``cwd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} in {cwd} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def fossil(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run([FOSSIL, *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def twin_checkouts(repo: Path, work: Path, name: str, env: dict[str, str]) -> tuple[Path, Path]:
    """Two copies of ``repo``, each opened by fossil in its own folder: (fossil's, fossilpy's)."""
    dirs = []
    for who in ("fossil", "fossilpy"):
        copy = work / f"{name}-{who}.fossil"
        shutil.copyfile(repo, copy)
        fossil(["settings", "autosync", "off", "-R", str(copy)], work, env)
        fossil(["settings", "backoffice-disable", "1", "-R", str(copy)], work, env)
        co = work / f"{name}-{who}"
        co.mkdir()
        fossil(["open", str(copy)], co, env)
        fossil(["status"], co, env)
        dirs.append(co)
    return dirs[0], dirs[1]


def make_tree(work: Path, files: int, env: dict[str, str]) -> Path:
    """A repository of ``files`` small files in nested folders, committed by fossil."""
    repo = work / f"tree-{files}.fossil"
    fossil(["init", str(repo)], work, env)
    co = work / "tree-make"
    co.mkdir()
    fossil(["open", str(repo)], co, env)
    for i in range(files):
        path = co / f"d{i // 1000:02d}" / f"s{i // 100 % 10}" / f"f{i:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"line {j} of file {i}\n" for j in range(1 + i % 20)))
    fossil(["add", "."], co, env)
    fossil(["commit", "-m", "ten thousand files", "--no-warnings"], co, env)
    fossil(["close"], co, env)
    return repo


def edit(co: Path, name: str, tag: str) -> None:
    path = co / name
    with path.open("a") as f:
        f.write(f"edited {tag}\n")


def timed(
    label: str,
    setup: Callable[[Path, int], None] | None,
    args: list[str],
    fsl_co: Path,
    py_co: Path,
    runs: int,
    env: dict[str, str],
) -> tuple[str, float, float, float, float]:
    """(label, fossil wall, fossilpy wall, fossil cpu, fossilpy cpu): best of ``runs``, turns taken."""
    f_wall, p_wall, f_cpu, p_cpu = [], [], [], []
    for i in range(runs):
        for co, walls, cpus, argv in ((fsl_co, f_wall, f_cpu, [FOSSIL, *args]), (py_co, p_wall, p_cpu, [*PY, *args])):
            if setup is not None:
                setup(co, i)
            wall, cpu = run(argv, co, env)
            walls.append(wall)
            cpus.append(cpu)
    return label, min(f_wall), min(p_wall), min(f_cpu), min(p_cpu)


def history_points(co: Path) -> tuple[str, str, str]:
    """(tip hash, hash of the trunk check-in 100 primary parents back, longest-history file)."""
    db = sqlite3.connect(co / ".fslckout")
    repo = db.execute("SELECT value FROM vvar WHERE name='repository'").fetchone()
    db.close()
    r = sqlite3.connect(repo[0] if Path(repo[0]).is_absolute() else co / repo[0])
    cdb = sqlite3.connect(co / ".fslckout")
    tip_rid = int(cdb.execute("SELECT value FROM vvar WHERE name='checkout'").fetchone()[0])
    cdb.close()
    rid = tip_rid
    for _ in range(100):
        row = r.execute("SELECT pid FROM plink WHERE cid=? AND isprim", (rid,)).fetchone()
        rid = int(row[0])
    tip = r.execute("SELECT uuid FROM blob WHERE rid=?", (tip_rid,)).fetchone()[0]
    back = r.execute("SELECT uuid FROM blob WHERE rid=?", (rid,)).fetchone()[0]
    names = [
        row[0]
        for row in r.execute(
            "SELECT filename.name FROM mlink JOIN filename USING(fnid) GROUP BY fnid ORDER BY count(*) DESC"
        )
    ]
    r.close()
    present = next(n for n in names if (co / n).is_file() and not (co / n).is_symlink())
    return tip, back, present


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--checkins", type=int, default=5000)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--fossilpy", metavar="PROGRAM", help="the fossilpy to time (default: python -m fossilpy)")
    args = ap.parse_args()
    if args.fossilpy:
        PY[:] = [os.path.abspath(args.fossilpy)]
    work = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    env = {
        **os.environ,
        "USER": "root",
        "HOME": str(work),
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        "TZ": "UTC",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for key in ("FOSSIL_USER", "EDITOR", "VISUAL"):
        env.pop(key, None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "fossilpy")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    history = ROOT / "benchmarks" / "work" / f"web-{args.checkins}.fossil"
    if not history.exists():
        history.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "gen_history.py"),
                str(history),
                "--checkins",
                str(args.checkins),
                "--quiet",
            ],
            check=True,
            env=env,
        )
    rows: list[tuple[str, float, float, float, float]] = []
    try:
        wf, wp = twin_checkouts(history, work, "web", env)
        tip, back, longest = history_points(wf)
        tracked = [n for n in fossil(["ls"], wf, env).split() if (wf / n).is_file() and not (wf / n).is_symlink()]
        few = tracked[:3]
        n = args.runs
        w = f"web-{args.checkins}"
        # the floor: start-up alone (an interpreter, click, the command table) against fossil's
        rows.append(timed("floor: version (start-up only)", None, ["version"], wf, wp, n, env))
        rows.append(timed(f"{w}: status", None, ["status"], wf, wp, n, env))
        rows.append(timed(f"{w}: changes", None, ["changes"], wf, wp, n, env))
        rows.append(timed(f"{w}: annotate {longest}", None, ["annotate", longest], wf, wp, n, env))

        def up_back(co: Path, i: int) -> None:
            if i:
                run([FOSSIL, "update", tip], co, env)

        def up_fwd(co: Path, i: int) -> None:
            run([FOSSIL, "update", back], co, env)

        rows.append(timed(f"{w}: update 100 check-ins back", up_back, ["update", back], wf, wp, n, env))
        rows.append(timed(f"{w}: update 100 check-ins forward", up_fwd, ["update", tip], wf, wp, n, env))

        def edit_few(co: Path, i: int) -> None:
            if i == 0:
                for name in few:
                    edit(co, name, "diff")

        rows.append(timed(f"{w}: diff (3 edited files)", edit_few, ["diff"], wf, wp, n, env))

        def edit_one(co: Path, i: int) -> None:
            edit(co, few[0], f"commit {i}")

        rows.append(
            timed(
                f"{w}: commit of one edited file",
                edit_one,
                ["commit", "-m", "one file", "--no-warnings", few[0]],
                wf,
                wp,
                n,
                env,
            )
        )

        tree = make_tree(work, args.files, env)
        tf, tp = twin_checkouts(tree, work, "tree", env)
        t = f"tree-{args.files}"
        names = [
            "d00/s0/f00000.txt",
            f"d{args.files // 2000:02d}/s5/f{args.files // 2 + 50:05d}.txt",
            f"d{(args.files - 1) // 1000:02d}/s{(args.files - 1) // 100 % 10}/f{args.files - 1:05d}.txt",
        ]
        rows.append(timed(f"{t}: status", None, ["status"], tf, tp, n, env))
        rows.append(timed(f"{t}: changes", None, ["changes"], tf, tp, n, env))

        def tree_few(co: Path, i: int) -> None:
            if i == 0:
                for name in names:
                    edit(co, name, "diff")

        rows.append(timed(f"{t}: diff (3 edited files)", tree_few, ["diff"], tf, tp, n, env))

        def tree_one(co: Path, i: int) -> None:
            edit(co, names[0], f"commit {i}")

        rows.append(
            timed(
                f"{t}: commit of one edited file",
                tree_one,
                ["commit", "-m", "one file", "--no-warnings", names[0]],
                tf,
                tp,
                n,
                env,
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder: {work}", file=sys.stderr)
    print(
        f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"best of {args.runs}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print()
    print(
        "| command | fossil wall (ms) | fossilpy wall (ms) | wall ratio | fossil CPU (ms) | fossilpy CPU (ms) "
        "| CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, fw, pw, fc, pc in rows:
        print(
            f"| {label} | {fw * 1000:.0f} | {pw * 1000:.0f} | {pw / fw:.2f}x | {fc * 1000:.0f} | {pc * 1000:.0f} "
            f"| {pc / max(fc, 1e-3):.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
