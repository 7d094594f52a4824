"""Start-up cost of one request: fossilpy against fossil, in one run.

    python benchmarks/bench_import.py [--runs 15] [--repo R.fossil]

Prints, as a Markdown table:

1. import cost of the request path of ``fossilpy http`` (the console
   script's ``main``, run under ``python -X importtime``): modules imported,
   how many are fossilpy's, wall-clock import time in total and in
   fossilpy's own modules, and the CPU time of fossilpy's own modules
   measured apart (as in ``tests/test_import_time.py``);
2. wall time to answer one request on stdin, median of ``--runs`` fresh
   processes, for ``fossilpy http REPO`` against ``fossil http --nojail
   REPO`` on the same repository (made with ``fossil init``, backoffice
   disabled): ``GET /timeline`` (a page) and an anonymous ``clone`` sync
   request (``POST /xfer``, ``application/x-fossil``), with the ratio;
3. the floor: ``python -c pass`` and ``python -c "import fossilpy.cli.main"``.

Needs the ``fossil`` binary on PATH.  Runs as root use ``--nojail``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN = "import sys\nfrom fossilpy.cli.main import main\nsys.exit(main(['fossilpy', *sys.argv[1:]]))\n"


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FOSSIL", "SSH_", "GATEWAY_", "REQUEST_"))}
    env.update(USER="root", LOGNAME="root", HOME=str(home), TZ="UTC",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def xfer_request() -> bytes:
    message = b"clone 3 1\n"
    body = struct.pack(">I", len(message)) + zlib.compress(message)
    return (b"POST /xfer HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/x-fossil\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def page_request(path: str = "/timeline") -> bytes:
    return f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode()


def timed(argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path
          ) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of the child, stdout) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, env=env, cwd=cwd, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, proc.stdout


def median_ms(argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path, runs: int,
              expect: bytes) -> tuple[float, float]:
    """Median wall and CPU milliseconds over ``runs`` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        elapsed, cpu, out = timed(argv, stdin, env, cwd)
        if not out.startswith(expect):
            raise SystemExit(f"{argv[:3]}... answered {out[:200]!r}")
        walls.append(elapsed)
        cpus.append(cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def importtime(argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path
               ) -> dict[str, tuple[int, int, int]]:
    """module -> (self us, cumulative us, nesting depth), in completion order."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", MAIN, *argv], input=stdin,
                          env=env, cwd=cwd, capture_output=True, timeout=120)
    out: dict[str, tuple[int, int, int]] = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            head, cumulative, name = line.split("|")
            depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
            try:
                out[name.strip()] = (int(head.split(":")[1]), int(cumulative), depth)
            except ValueError:
                continue
    return out


CPU_PROBE = """
import importlib, sys, time
for name in sys.argv[1].split():
    try:
        importlib.import_module(name)
    except Exception:
        pass  # optional modules that also failed in the measured run
start = time.process_time()
for name in sys.argv[2].split():
    importlib.import_module(name)
print((time.process_time() - start) * 1000)
"""


def fossilpy_cpu_ms(modules: list[str], env: dict[str, str], cwd: Path, runs: int = 5) -> float:
    ours = [m for m in modules if m == "fossilpy" or m.startswith("fossilpy.")]
    others = [m for m in modules if m not in ours and m != "runpy"]
    best = float("inf")
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", CPU_PROBE, " ".join(others), " ".join(ours)],
                              env=env, cwd=cwd, capture_output=True, timeout=120, check=True)
        best = min(best, float(proc.stdout))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per measurement")
    parser.add_argument("--repo", type=Path, help="use this repository (copied) instead of a new one")
    args = parser.parse_args()
    fossil = shutil.which("fossil")
    if not fossil:
        raise SystemExit("the fossil binary is not on PATH")

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        env = env_for(work / "home")
        repo = work / "repo.fossil"
        if args.repo:
            shutil.copyfile(args.repo, repo)
        else:
            subprocess.run([fossil, "init", str(repo)], env=env, cwd=work, check=True,
                           capture_output=True)
        subprocess.run([fossil, "settings", "backoffice-disable", "1", "-R", str(repo)],
                       env=env, cwd=work, check=True, capture_output=True)
        ours = [sys.executable, "-c", MAIN, "http", str(repo)]
        theirs = [fossil, "http", "--nojail", str(repo)]

        print(f"# Start-up of one request ({args.runs} runs each, median; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)\n")
        print("| request path | modules | fossilpy modules | import wall ms | fossilpy self wall ms "
              "| fossilpy CPU ms |")
        print("|---|---:|---:|---:|---:|---:|")
        bare = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], env=env,
                              capture_output=True).stderr.decode().splitlines()
        bare_names = {ln.split("|")[2].strip() for ln in bare if ln.startswith("import time:") and ln.count("|") == 2}
        for label, stdin in (("GET /timeline", page_request()), ("POST /xfer (clone)", xfer_request())):
            mods = importtime(["http", str(repo)], stdin, env, work)
            new = [m for m in mods if m not in bare_names and m != "runpy"]
            fp = [m for m in mods if m.startswith("fossilpy")]
            top = sum(cum for name, (_, cum, depth) in mods.items() if depth == 0 and name in new)
            print(f"| http {label} | {len(new)} | {len(fp)} | {top / 1000:.1f} | "
                  f"{sum(mods[m][0] for m in fp) / 1000:.1f} | "
                  f"{fossilpy_cpu_ms(list(mods), env, work):.1f} |")

        print("\n| request | fossilpy http wall ms | fossil http wall ms | wall ratio "
              "| fossilpy CPU ms | fossil CPU ms | CPU ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, stdin in (("GET /timeline", page_request()), ("POST /xfer (clone)", xfer_request())):
            a, a_cpu = median_ms(ours, stdin, env, work, args.runs, b"HTTP/1.0 200")
            b, b_cpu = median_ms(theirs, stdin, env, work, args.runs, b"HTTP/1.0 200")
            print(f"| {label} | {a:.1f} | {b:.1f} | {a / b:.1f}x | {a_cpu:.1f} | {b_cpu:.1f} "
                  f"| {a_cpu / max(b_cpu, 0.1):.1f}x |")
        floor = median_ms([sys.executable, "-c", "pass"], b"", env, work, args.runs, b"")
        entry = median_ms([sys.executable, "-c", "import fossilpy.cli.main"], b"", env, work,
                          args.runs, b"")
        print(f"\nfloor (wall/CPU ms): python -c pass {floor[0]:.1f}/{floor[1]:.1f}; "
              f"import fossilpy.cli.main {entry[0]:.1f}/{entry[1]:.1f}")
        print("CPU ms count user+sys of the child (resource.RUSAGE_CHILDREN); they are the "
              "numbers to compare on a loaded machine.")


if __name__ == "__main__":
    main()
