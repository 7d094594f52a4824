"""How the costs of fossilpy and fossil grow with history: a table by size.

    python benchmarks/scale.py [--sizes 5000,50000,200000] [--runs 1]
        [--generator import|direct] [--page-runs 5]
        [--skip rebuild,clone,pages,throughput] [--work DIR]
        [--page URL ...] [--baseline PYTHON] [--seconds 10] [--rounds 2]

For each size a history of that many check-ins is generated once and
cached.  ``--generator import`` (the default): with the real fossil
(``benchmarks/gen_history.py``: a generated ``git fast-import`` stream fed
to ``fossil import --git``; a baseline manifest per check-in), cached as
``benchmarks/work/scale-SIZE.fossil``.  ``--generator direct``: the same kind
of history written straight into the repository as ``fossil commit`` stores
it (``benchmarks/gen_direct.py``: delta manifests, older file versions as
deltas of newer ones; minutes for 200,000 check-ins), cached as
``benchmarks/work/direct-SIZE.fossil``.  Then, fossil and fossilpy back to
back (paired, so that both see the same load on a shared machine):

* ``rebuild``: each program rebuilds its own copy; wall time, CPU time
  (user + system) and peak RSS of the child (``os.wait4``).
* ``clone``: ``fossil server`` serves a copy over HTTP; ``fossil clone`` and
  ``fossilpy clone`` each clone it; wall time, CPU time and peak RSS of
  the client.
* ``pages``: ``fossil server`` and ``fossilpy server`` serve one copy each;
  ``/timeline?n=50``, ``/info/tip``, ``/dir`` and ``/finfo?name=FILE`` (the
  file with the most changes) are fetched ``--page-runs`` times, fossil and
  fossilpy in turn; the median time to the last byte.  ``--page URL``
  (repeatable; ``{finfo}`` stands for that file's name) measures these
  pages instead.  ``--baseline PYTHON``: a third server, that python's
  ``-m fossilpy`` (another build, e.g. the tree before a change, first on
  its ``sys.path``), takes its turn too; its rows are marked
  ``[baseline]`` (fossil's figure beside the baseline's).
* ``throughput``: ``/timeline?n=50`` at 8 connections (``--concurrency``)
  for ``--seconds``, ``fossil server`` and ``fossilpy server`` taking turns
  ``--rounds`` times (``benchmarks/bench_web.py``'s load generator):
  requests per second over all turns and CPU time (user+sys, every process
  of the server) per request.

Printed: one table, a row per (size, work), with fossil's figure,
fossilpy's, the ratio fossilpy/fossil (wall, CPU and peak RSS where
measured; the best wall and CPU time and the highest RSS of ``--runs``;
for requests per second higher is better) and the 1-minute load average
when the work started.
``--markdown`` prints the table as Markdown for ``benchmarks/RESULTS.md``.
Long runs: this is not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
PAGES = ("/timeline?n=50", "/info/tip", "/dir", "/finfo?name={finfo}")
STEPS = ("rebuild", "clone", "pages", "throughput")
GENERATORS = {"import": "scale", "direct": "direct"}  # --generator -> cache file prefix


def _env(home: Path, tree: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOSSIL")}
    env.update(USER="root", HOME=str(home), TZ="UTC", PYTHONPATH=str(tree))
    return env


def history(size: int, work: Path, generator: str = "import") -> Path:
    """The cached generated repository of ``size`` check-ins (made if missing)."""
    path = (work / f"{GENERATORS[generator]}-{size}.fossil").resolve()
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        if generator == "direct":
            from benchmarks.gen_direct import generate
        else:
            from benchmarks.gen_history import generate

        tmp = path.with_suffix(".part")
        if tmp.exists():
            tmp.unlink()
        print(f"generating {size} check-ins into {path} ...", flush=True)
        generate(tmp, size)
        tmp.rename(path)
    return path


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of one
    command, which must succeed."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if p.stderr:
        p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"{' '.join(argv)} failed ({code}): {err[-2000:]}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"no server on port {port}")


def serve(argv: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get(port: int, path: str) -> tuple[float, int, int]:
    """(seconds to the last byte, status, body length) of one GET."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return time.perf_counter() - t0, resp.status, len(body)


class Table:
    def __init__(self) -> None:
        self.load = ""
        self.rows: list[tuple[str, str, str, str, str, str]] = []

    def add(self, size: int, work: str, fossil: float, py: float, unit: str) -> None:
        if unit == "req/s":
            f, p = f"{fossil:.1f} req/s", f"{py:.1f} req/s"
        elif unit == "s":
            f, p = f"{fossil:.2f} s", f"{py:.2f} s"
        elif unit == "ms":
            f, p = f"{fossil * 1000:.1f} ms", f"{py * 1000:.1f} ms"
        else:  # KiB -> MiB
            f, p = f"{fossil / 1024:.1f} MiB", f"{py / 1024:.1f} MiB"
        ratio = f"{py / fossil:.2f}x" if fossil else "-"
        self.rows.append((f"{size:,}", work, f, p, ratio, self.load))
        print(f"  {work}: fossil {f}, fossilpy {p}, {ratio} (load {self.load})", flush=True)

    def start(self) -> None:
        """Note the 1-minute load average as a work starts (its rows carry it)."""
        self.load = f"{os.getloadavg()[0]:.1f}"

    def render(self, markdown: bool) -> str:
        head = ("check-ins", "work", "fossil", "fossilpy", "fossilpy/fossil", "load")
        if markdown:
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in self.rows]
            return "\n".join(lines)
        widths = [max(len(x[i]) for x in [head, *self.rows]) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *self.rows])


def bench_rebuild(repo: Path, runs: int, env: dict[str, str], tmp: Path, fossil: str, t: Table, size: int) -> None:
    best: dict[str, tuple[float, int, float]] = {}
    for i in range(runs):
        order = ("fossil", "fossilpy") if i % 2 == 0 else ("fossilpy", "fossil")
        for who in order:
            copy = tmp / f"rebuild-{who}.fossil"
            shutil.copyfile(repo, copy)
            argv = [fossil, "rebuild", str(copy)]
            if who == "fossilpy":
                argv = [sys.executable, "-m", "fossilpy", "rebuild", "-R", str(copy)]
            wall, rss, cpu = run(argv, env, tmp)
            copy.unlink()
            w, r, c = best.get(who, (float("inf"), 0, float("inf")))
            best[who] = (min(w, wall), max(r, rss), min(c, cpu))
    t.add(size, "rebuild wall", best["fossil"][0], best["fossilpy"][0], "s")
    t.add(size, "rebuild CPU (user+sys)", best["fossil"][2], best["fossilpy"][2], "s")
    t.add(size, "rebuild peak RSS", best["fossil"][1], best["fossilpy"][1], "KiB")


def bench_clone(repo: Path, runs: int, env: dict[str, str], tmp: Path, fossil: str, t: Table, size: int) -> None:
    served = tmp / "served.fossil"
    shutil.copyfile(repo, served)
    port = free_port()
    server = serve([fossil, "server", "--nojail", "--localhost", "--port", str(port), str(served)], port, env)
    url = f"http://127.0.0.1:{port}/"
    best: dict[str, tuple[float, int, float]] = {}
    try:
        for i in range(runs):
            order = ("fossil", "fossilpy") if i % 2 == 0 else ("fossilpy", "fossil")
            for who in order:
                dest = tmp / f"clone-{who}.fossil"
                argv = [fossil, "clone", url, str(dest)]
                if who == "fossilpy":
                    argv = [sys.executable, "-m", "fossilpy", "clone", url, str(dest)]
                wall, rss, cpu = run(argv, env, tmp)
                dest.unlink()
                w, r, c = best.get(who, (float("inf"), 0, float("inf")))
                best[who] = (min(w, wall), max(r, rss), min(c, cpu))
    finally:
        stop(server)
        served.unlink()
    t.add(size, "clone from fossil server, wall", best["fossil"][0], best["fossilpy"][0], "s")
    t.add(size, "clone CPU (user+sys, client)", best["fossil"][2], best["fossilpy"][2], "s")
    t.add(size, "clone peak RSS", best["fossil"][1], best["fossilpy"][1], "KiB")


def busiest_file(repo: Path) -> str:
    db = sqlite3.connect(f"file:{repo}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT name FROM filename JOIN mlink USING(fnid) GROUP BY fnid ORDER BY count(*) DESC, name LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    return str(row[0]) if row else "README"


def bench_pages(
    repo: Path,
    runs: int,
    env: dict[str, str],
    tmp: Path,
    fossil: str,
    t: Table,
    size: int,
    pages: tuple[str, ...] = PAGES,
    baseline: Path | None = None,
) -> None:
    from urllib.parse import quote

    a, b, c = tmp / "pages-fossil.fossil", tmp / "pages-fossilpy.fossil", tmp / "pages-baseline.fossil"
    shutil.copyfile(repo, a)
    shutil.copyfile(repo, b)
    finfo = quote(busiest_file(repo))
    pf, pp, pb = free_port(), free_port(), free_port()
    servers = [
        serve([fossil, "server", "--nojail", "--localhost", "--port", str(pf), str(a)], pf, env),
        serve([sys.executable, "-m", "fossilpy", "server", "--localhost", "--port", str(pp), str(b)], pp, env),
    ]
    ports = [pf, pp]
    if baseline is not None:
        shutil.copyfile(repo, c)
        benv = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        servers.append(
            serve([str(baseline), "-m", "fossilpy", "server", "--localhost", "--port", str(pb), str(c)], pb, benv)
        )
        ports.append(pb)
    try:
        for page in pages:
            path = page.format(finfo=finfo)
            times: dict[int, list[float]] = {port: [] for port in ports}
            for port in ports:  # warm each (page cache, lazy imports)
                get(port, path)
            for _ in range(runs):
                for port in ports:
                    secs, status, _ = get(port, path)
                    if status != 200:
                        raise SystemExit(f"GET {path} on port {port}: status {status}")
                    times[port].append(secs)
            label = f"GET {page.split('=')[0] + '=' if '{' in page else page}"
            t.add(size, label, statistics.median(times[pf]), statistics.median(times[pp]), "ms")
            if baseline is not None:
                t.add(size, label + " [baseline]", statistics.median(times[pf]), statistics.median(times[pb]), "ms")
    finally:
        for s in servers:
            stop(s)
        for f in (a, b, c):
            f.unlink(missing_ok=True)


def bench_throughput(
    repo: Path,
    env: dict[str, str],
    tmp: Path,
    fossil: str,
    t: Table,
    size: int,
    seconds: float,
    rounds: int,
    concurrency: int,
) -> None:
    """``/timeline?n=50`` at ``concurrency`` connections, the servers taking turns."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import bench_web

    copy = tmp / "throughput.fossil"
    shutil.copyfile(repo, copy)
    subprocess.run(
        [fossil, "settings", "backoffice-disable", "1", "-R", str(copy)], env=env, check=True, capture_output=True
    )
    servers = {
        "fossil": [fossil, "server", "--nojail", "--localhost", str(copy), "--port"],
        "fossilpy": [sys.executable, "-m", "fossilpy", "server", str(copy), "--localhost", "--port"],
    }
    done = {name: [0.0, 0.0, 0.0] for name in servers}  # requests, errors, cpu seconds
    try:
        for i in range(rounds):
            for name in servers if i % 2 == 0 else reversed(servers):
                port = free_port()
                proc = bench_web.serve([*servers[name], str(port)], port, env)
                try:
                    cpu0 = bench_web.group_cpu(proc.pid)
                    rps, errors = bench_web.load(port, seconds, concurrency)
                    cpu = bench_web.group_cpu(proc.pid) - cpu0
                finally:
                    bench_web.stop(proc)
                acc = done[name]
                acc[0] += rps * seconds
                acc[1] += errors
                acc[2] += cpu
    finally:
        copy.unlink(missing_ok=True)
    f, p = done["fossil"], done["fossilpy"]
    if f[1] or p[1]:
        print(f"  throughput: errors fossil {int(f[1])}, fossilpy {int(p[1])}", flush=True)
    label = f"/timeline?n=50 at {concurrency} connections"
    t.add(size, label, f[0] / (seconds * rounds), p[0] / (seconds * rounds), "req/s")
    t.add(size, label + ", CPU per request", f[2] / max(f[0], 1), p[2] / max(p[0], 1), "ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="5000,50000,200000", help="check-in counts, comma separated")
    p.add_argument("--runs", type=int, default=1, help="rebuild and clone runs (best wall, highest RSS)")
    p.add_argument("--page-runs", type=int, default=5, help="requests per page and server (median)")
    p.add_argument("--skip", default="", help=f"comma separated of {','.join(STEPS)}")
    p.add_argument("--work", type=Path, default=WORK, help="where the generated histories are cached")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--generator", choices=sorted(GENERATORS), default="import", help="how histories are made")
    p.add_argument("--seconds", type=float, default=10.0, help="throughput: seconds per turn")
    p.add_argument("--rounds", type=int, default=2, help="throughput: turns per server")
    p.add_argument("--concurrency", type=int, default=8, help="throughput: connections")
    p.add_argument(
        "--page",
        action="append",
        metavar="URL",
        help="a page to measure (repeatable; {finfo}: the busiest file's name); default: " + " ".join(PAGES),
    )
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="PYTHON",
        help="a python whose -m fossilpy is another build: its server is measured in the same turns",
    )
    p.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help="the directory holding the fossilpy package to measure (e.g. an export of an older commit)",
    )
    args = p.parse_args(argv)
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        p.error("--sizes: comma separated numbers")
    skip = {x for x in args.skip.split(",") if x}
    if skip - set(STEPS) or not sizes or min(sizes) < 1 or args.runs < 1 or args.page_runs < 1 or args.rounds < 1:
        p.error("bad --sizes, --skip, --runs or --page-runs")
    fossil = shutil.which("fossil")
    if fossil is None:
        raise SystemExit("scale: the fossil binary is not on PATH")
    args.work.mkdir(parents=True, exist_ok=True)
    tmp = args.work / f"run-{os.getpid()}"
    tmp.mkdir()
    env = _env(tmp, args.tree.resolve())
    # compile fossilpy's byte code once, so that no measured run pays for it
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.tree.resolve() / "fossilpy")], check=False)
    table = Table()
    try:
        for size in sizes:
            repo = history(size, args.work, args.generator)
            print(f"{size} check-ins ({repo.stat().st_size >> 20} MiB), load {os.getloadavg()[0]:.1f}", flush=True)
            if "rebuild" not in skip:
                table.start()
                bench_rebuild(repo, args.runs, env, tmp, fossil, table, size)
            if "clone" not in skip:
                table.start()
                bench_clone(repo, args.runs, env, tmp, fossil, table, size)
            if "pages" not in skip:
                table.start()
                bench_pages(
                    repo, args.page_runs, env, tmp, fossil, table, size, tuple(args.page or PAGES), args.baseline
                )
            if "throughput" not in skip:
                table.start()
                bench_throughput(repo, env, tmp, fossil, table, size, args.seconds, args.rounds, args.concurrency)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(table.render(args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
