"""Web door benchmarks: fossilpy against the real fossil on the same repository.

    python benchmarks/bench_web.py [--repo R.fossil | --checkins 500] [--seconds 10]
        [--concurrency 8] [--rounds 1] [--skip cgi,startup] [--cgi-runs 15] [--binary-dir DIST]

Measures, and prints as a Markdown table:

1. ``/timeline?n=50`` at ``--concurrency`` concurrent connections for
   ``--seconds``: requests per second of ``fossilpy server`` against
   ``fossil server --nojail`` (goal: ratio >= 1.0).  The load generator is
   this process: threads sending raw HTTP/1.0 requests on fresh connections
   (both servers close after each reply).  With ``--rounds N`` the servers
   take turns N times (``--seconds`` each turn; the load of a shared machine
   hits both alike); requests per second are over all rounds, and the CPU
   time (user+sys) of each server's processes per request is reported too.
2. CGI cold start of ``/timeline?n=50``: median wall time of a fresh process
   per request, fossilpy (``python -m fossilpy``, and the one-folder binary
   when ``--binary-dir`` has one) against ``fossil`` (goal: <= 3x).
3. Start-up: ``version`` and one ``http`` request for the installed package,
   the one-file and the one-folder binaries (``--binary-dir``, default
   ``dist/``; build them with ``FOSSILPY_BUILD=both pyinstaller fossilpy.spec``),
   and ``--installed``, a ``fossilpy`` console script from ``pip install``.

Without ``--repo`` a history of ``--checkins`` check-ins is generated with
``benchmarks/gen_history.py`` under ``benchmarks/work/``.  A ``--repo`` is
copied into a temporary folder first (the benchmark sets
``backoffice-disable`` in the copy it serves, never in the file given).
``--skip cgi,startup`` leaves out parts 2 and 3.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/timeline?n=50"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def fetch(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(262144):
            chunks.append(chunk)
    return b"".join(chunks)


def load(port: int, seconds: float, concurrency: int) -> tuple[float, int]:
    """(requests per second, errors) of ``concurrency`` clients for ``seconds``."""
    request = f"GET {PAGE} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    for _ in range(3):  # warm up
        fetch(port, request)
    counts = [0] * concurrency
    errors = [0] * concurrency
    stop_at = time.monotonic() + seconds

    def client(i: int) -> None:
        while time.monotonic() < stop_at:
            reply = fetch(port, request)
            if reply.startswith(b"HTTP/1.0 200"):
                counts[i] += 1
            else:
                errors[i] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def group_cpu(sid: int) -> float:
    """CPU seconds (user+sys) used so far by the live processes of session ``sid``
    (a server started with ``start_new_session``: its parent and its workers)
    and by the children they reaped (fossil's process per connection)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdecimal():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid:  # field 6 of stat(5): session id
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick


def serve(argv: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wait_port(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    proc.wait(10)


def timed(argv: list[str], env: dict[str, str], runs: int, stdin: bytes = b"") -> float:
    """Median wall time in milliseconds of ``runs`` runs of ``argv``."""
    return interleaved([(argv, env, stdin)], runs)[0]


def interleaved(jobs: list[tuple[list[str], dict[str, str], bytes]], runs: int) -> list[float]:
    """Median wall ms of each job, the jobs taking turns so that load hits all alike."""
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for i, (argv, env, stdin) in enumerate(jobs):
            t = time.perf_counter()
            proc = subprocess.run(argv, env=env, input=stdin, capture_output=True)
            times[i].append((time.perf_counter() - t) * 1000)
            if proc.returncode != 0:
                raise RuntimeError(f"{argv} failed: {proc.stderr.decode()[-500:]}")
    return [statistics.median(t) for t in times]


def cgi_env(base: dict[str, str]) -> dict[str, str]:
    path, _, query = PAGE.partition("?")
    return {**base, "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/cgi",
            "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path)
    p.add_argument("--checkins", type=int, default=500)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rounds", type=int, default=1, help="throughput turns per server, interleaved")
    p.add_argument("--skip", default="", help="comma separated of cgi,startup")
    p.add_argument("--cgi-runs", type=int, default=15)
    p.add_argument("--binary-dir", type=Path, default=ROOT / "dist")
    p.add_argument("--installed", type=Path, help="a pip-installed `fossilpy` script (e.g. in a venv)")
    p.add_argument("--baseline", type=Path, metavar="PYTHON",
                   help="a python whose `-m fossilpy` is another build (e.g. a venv with the tree before a "
                        "change): its server and CGI are measured in the same run, for a before/after ratio")
    args = p.parse_args(argv)

    fossil = shutil.which("fossil")
    if not fossil:
        print("the fossil binary is needed", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    env = {**os.environ, "USER": "root", "HOME": str(work), "PYTHONPATH": str(ROOT),
           "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    env.pop("FOSSILPY_APP", None)
    # Byte code compiled once, before any timing: with PYTHONDONTWRITEBYTECODE
    # set, a module edited since its .pyc was written is compiled at every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fossilpy")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    skip = set(filter(None, args.skip.split(",")))
    repo = args.repo
    if repo is not None:
        copy = work / repo.name
        shutil.copyfile(repo, copy)
        repo = copy
    else:
        repo = ROOT / "benchmarks" / "work" / f"web-{args.checkins}.fossil"
        if not repo.exists():
            repo.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_history.py"), str(repo),
                            "--checkins", str(args.checkins), "--quiet"], check=True, env=env)
    subprocess.run([fossil, "settings", "backoffice-disable", "1", "-R", str(repo)], env=env,
                   check=True, capture_output=True)
    rows: list[tuple[str, str]] = []

    # 1. throughput (the servers take turns, --rounds times)
    benv_base = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    servers: list[tuple[str, list[str], dict[str, str]]] = [
        ("fossilpy", [sys.executable, "-m", "fossilpy", "server", str(repo), "--localhost", "--port"], env),
        ("fossil", [fossil, "server", "--nojail", "--localhost", str(repo), "--port"], env),
    ]
    if args.baseline:
        servers.append(("baseline", [str(args.baseline), "-m", "fossilpy", "server", str(repo), "--localhost",
                                     "--port"], benv_base))
    done: dict[str, list[float]] = {name: [0.0, 0.0, 0.0, 0.0] for name, _, _ in servers}  # reqs, errs, secs, cpu
    for _ in range(max(1, args.rounds)):
        for name, argv, senv in servers:
            port = free_port()
            proc = serve([*argv, str(port)], port, senv)
            try:
                cpu0 = group_cpu(proc.pid)
                rps, err = load(port, args.seconds, args.concurrency)
                cpu = group_cpu(proc.pid) - cpu0
            finally:
                stop(proc)
            acc = done[name]
            acc[0] += rps * args.seconds
            acc[1] += err
            acc[2] += args.seconds
            acc[3] += cpu
    rps_of = {name: acc[0] / acc[2] for name, acc in done.items()}
    for name, acc in done.items():
        rows.append((f"{PAGE} req/s at {args.concurrency} connections, {name} server",
                     f"{rps_of[name]:.1f} ({int(acc[1])} errors; {1000 * acc[3] / max(acc[0], 1):.2f} ms CPU "
                     "per request, user+sys, all processes)"))
    rows.append(("throughput ratio fossilpy/fossil (goal >= 1.0)", f"{rps_of['fossilpy'] / rps_of['fossil']:.2f}x"))
    if args.baseline:
        rows.append(("throughput ratio fossilpy/baseline", f"{rps_of['fossilpy'] / rps_of['baseline']:.2f}x"))

    if "cgi" in skip:
        return report(rows, repo, work)
    # 2. CGI cold start (the forms take turns)
    script = work / "repo.cgi"
    script.write_text(f"#!/bin/false\nrepository: {repo}\n")
    cenv = cgi_env(env)
    onedir = args.binary_dir / "fossilpy-dir" / "fossilpy"
    onefile = args.binary_dir / "fossilpy"
    benv = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    cgi_jobs = [([fossil, str(script)], cenv, b""),
                ([sys.executable, "-m", "fossilpy", str(script)], cenv, b"")]
    if onedir.exists():
        cgi_jobs.append(([str(onedir), str(script)], cgi_env(benv), b""))
    if args.installed:
        cgi_jobs.append(([str(args.installed), str(script)], cgi_env(benv), b""))
    if args.baseline:
        cgi_jobs.append(([str(args.baseline), "-m", "fossilpy", str(script)], cgi_env(benv), b""))
    # the floor of any CPython CGI program: the interpreter and sqlite3
    floor = str(args.installed.parent / "python") if args.installed else sys.executable
    cgi_jobs.append(([floor, "-c", "import sqlite3"], benv, b""))
    cgi_ms = interleaved(cgi_jobs, args.cgi_runs)
    rows.append((f"CGI {PAGE} wall ms, fossil", f"{cgi_ms[0]:.1f}"))
    rows.append((f"CGI {PAGE} wall ms, fossilpy (python -m fossilpy)", f"{cgi_ms[1]:.1f}"))
    rows.append(("CGI ratio fossilpy/fossil (goal <= 3x)", f"{cgi_ms[1] / cgi_ms[0]:.2f}x"))
    extra = 2
    if onedir.exists():
        rows.append((f"CGI {PAGE} wall ms, fossilpy one-folder binary", f"{cgi_ms[extra]:.1f}"))
        extra += 1
    if args.installed:
        rows.append((f"CGI {PAGE} wall ms, fossilpy console script in a venv", f"{cgi_ms[extra]:.1f}"))
        rows.append(("CGI ratio, console script in a venv/fossil", f"{cgi_ms[extra] / cgi_ms[0]:.2f}x"))
        extra += 1
    if args.baseline:
        rows.append((f"CGI {PAGE} wall ms, baseline (its python -m fossilpy)", f"{cgi_ms[extra]:.1f}"))
        rows.append(("CGI ratio fossilpy/baseline", f"{cgi_ms[1] / cgi_ms[extra]:.2f}x"))
        extra += 1
    rows.append((f"floor: `{Path(floor).name} -c 'import sqlite3'` wall ms", f"{cgi_ms[extra]:.1f}"))
    rows.append(("floor ratio (interpreter + sqlite3, before any request work)/fossil",
                 f"{cgi_ms[extra] / cgi_ms[0]:.2f}x"))

    if "startup" in skip:
        return report(rows, repo, work)
    # 3. start-up (the forms take turns)
    request = f"GET {PAGE} HTTP/1.0\r\nHost: x\r\n\r\n".encode()
    forms = [("source checkout (python -m fossilpy)", [sys.executable, "-m", "fossilpy"], env)]
    if args.installed:
        forms.append(("pip install in a venv (console script)", [str(args.installed)], benv))
    if onefile.is_file():
        forms.append(("one-file binary", [str(onefile)], benv))
    if onedir.exists():
        forms.append(("one-folder binary", [str(onedir)], benv))
    forms.append(("fossil 2.21 (reference)", [fossil], env))
    jobs = []
    for _label, exe, e in forms:
        jobs.append(([*exe, "version"], e, b""))
        jobs.append(([*exe, "http", str(repo)] + (["--nojail"] if exe == [fossil] else []), e, request))
    ms = interleaved(jobs, args.cgi_runs)
    for i, (label, _exe, _e) in enumerate(forms):
        rows.append((f"start-up ms `version`, {label}", f"{ms[2 * i]:.1f}"))
        rows.append((f"start-up ms `http` {PAGE}, {label}", f"{ms[2 * i + 1]:.1f}"))
    return report(rows, repo, work)


def report(rows: list[tuple[str, str]], repo: Path, work: Path) -> int:
    print(f"## Web doors ({time.strftime('%Y-%m-%d', time.gmtime())}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, repo {repo.name})\n")
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
