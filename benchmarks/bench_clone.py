"""Clone benchmark: fossilpy against the real fossil 2.21 binary.

    python benchmarks/bench_clone.py [--repo BIG.fossil] [--checkins 5000] [--runs 3]
        [--results benchmarks/RESULTS.md] [--baseline PYTHON]

(a) real ``fossil clone`` from ``fossilpy server`` against real ``fossil
    clone`` from ``fossil server`` (goal: at most 1.1x wall time);
(b) ``fossilpy clone`` against ``fossil clone``, both from ``fossil server``
    (goal: at most 1.5x wall time and 2x peak memory).

With ``--baseline PYTHON`` (a python whose ``-m fossilpy`` is another build,
e.g. the tree before a change) that build's clone from ``fossil server`` and
real ``fossil clone`` from its server are measured too, for before/after
ratios in one run.

Each figure is the best of ``--runs`` runs; peak RSS is the client's
(``wait4`` rusage).  Without ``--repo`` a history is generated with
``benchmarks/gen_history.py`` (cached under the system temp directory).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOSSIL")}
    env.update(USER="root", HOME=str(home), TZ="UTC", PYTHONPATH=str(ROOT))
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not start")


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if p.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {err}")
    return wall, usage.ru_maxrss


def _best(argv_for: object, runs: int, env: dict[str, str], work: Path) -> tuple[float, int]:
    best_wall, best_rss = float("inf"), 0
    for _ in range(runs):
        dest = work / f"clone-{time.monotonic_ns()}.fossil"
        wall, rss = _run(argv_for(dest), env, work)  # type: ignore[operator]
        dest.unlink()
        if wall < best_wall:
            best_wall = wall
        best_rss = max(best_rss, rss)
    return best_wall, best_rss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, help="existing repository to clone")
    ap.add_argument("--checkins", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--results", type=Path, help="append a Markdown section to this file")
    ap.add_argument("--baseline", type=Path, metavar="PYTHON", help="another build's python, measured too")
    args = ap.parse_args(argv)
    fossil = shutil.which("fossil")
    if not fossil:
        raise SystemExit("the fossil binary is required")
    work = Path(tempfile.mkdtemp(prefix="bench-clone-"))
    env = _env(work)
    repo = args.repo
    if repo is None:
        cache = Path(tempfile.gettempdir()) / f"fossilpy-bench-{args.checkins}.fossil"
        if not cache.exists():
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_history.py"), str(cache),
                            "--checkins", str(args.checkins)], check=True, env=env)
        repo = cache
    a_repo, b_repo = work / "served-by-fossil.fossil", work / "served-by-fossilpy.fossil"
    shutil.copy(repo, a_repo)
    shutil.copy(repo, b_repo)
    pf, pp = _free_port(), _free_port()
    servers = [
        subprocess.Popen([fossil, "server", "--nojail", "--localhost", "--port", str(pf), str(a_repo)],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "fossilpy", "server", "--localhost", "--port", str(pp),
                          str(b_repo)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    benv = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    if args.baseline:
        c_repo, pb = work / "served-by-baseline.fossil", _free_port()
        shutil.copy(repo, c_repo)
        servers.append(subprocess.Popen([str(args.baseline), "-m", "fossilpy", "server", "--localhost", "--port",
                                         str(pb), str(c_repo)], env=benv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
    try:
        _wait_port(pf)
        _wait_port(pp)
        uf, up = f"http://127.0.0.1:{pf}/", f"http://127.0.0.1:{pp}/"
        fossil_from_fossil = _best(lambda d: [fossil, "clone", uf, str(d)], args.runs, env, work)
        fossil_from_py = _best(lambda d: [fossil, "clone", up, str(d)], args.runs, env, work)
        py_from_fossil = _best(lambda d: [sys.executable, "-m", "fossilpy", "clone", uf, str(d)],
                               args.runs, env, work)
        if args.baseline:
            _wait_port(pb)
            ub = f"http://127.0.0.1:{pb}/"
            fossil_from_base = _best(lambda d: [fossil, "clone", ub, str(d)], args.runs, env, work)
            base_from_fossil = _best(lambda d: [str(args.baseline), "-m", "fossilpy", "clone", uf, str(d)],
                                     args.runs, benv, work)
    finally:
        for s in servers:
            s.terminate()
            s.wait(10)
    nblob = subprocess.run([fossil, "sql", "-R", str(repo), "SELECT count(*) FROM blob"], env=env,
                           capture_output=True, text=True).stdout.strip()
    rows = [
        ("(a) fossil clone <- fossil server", fossil_from_fossil),
        ("(a) fossil clone <- fossilpy server", fossil_from_py),
        ("(b) fossilpy clone <- fossil server", py_from_fossil),
    ]
    ra = fossil_from_py[0] / fossil_from_fossil[0]
    rb = py_from_fossil[0] / fossil_from_fossil[0]
    rm = py_from_fossil[1] / max(1, fossil_from_fossil[1])
    lines = [f"Clone benchmark: {repo.name}, {nblob} artifacts, best of {args.runs}", ""]
    lines += ["| case | wall s | peak RSS MiB |", "|---|---:|---:|"]
    lines += [f"| {name} | {w:.2f} | {r / 1024:.1f} |" for name, (w, r) in rows]
    lines += ["", f"(a) ratio wall: {ra:.2f}x (goal <= 1.1x)",
              f"(b) ratio wall: {rb:.2f}x (goal <= 1.5x), peak RSS: {rm:.2f}x (goal <= 2x)"]
    if args.baseline:
        lines += [f"| (a) fossil clone <- baseline server | {fossil_from_base[0]:.2f}"
                  f" | {fossil_from_base[1] / 1024:.1f} |",
                  f"| (b) baseline clone <- fossil server | {base_from_fossil[0]:.2f}"
                  f" | {base_from_fossil[1] / 1024:.1f} |",
                  f"(a) fossilpy server / baseline server, wall: {fossil_from_py[0] / fossil_from_base[0]:.2f}x",
                  f"(b) fossilpy clone / baseline clone: wall {py_from_fossil[0] / base_from_fossil[0]:.2f}x, "
                  f"peak RSS {py_from_fossil[1] / max(1, base_from_fossil[1]):.2f}x"]
    text = "\n".join(lines)
    print(text)
    if args.results:
        with open(args.results, "a") as fh:
            fh.write("\n## Clone (" + time.strftime("%Y-%m-%d") + ")\n\n" + text + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
