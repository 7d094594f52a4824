"""Live pages benchmark: N open /events streams on ``fossilpy server``, one check-in pushed.

    python benchmarks/bench_sse.py [--streams 200] [--workers N] [--rounds 3]

Builds the web tests' repository (tests/builders.py), serves it with
``fossilpy server`` (default worker count), opens ``--streams`` raw
HTTP/1.0 connections to ``/events`` from this process (one selector loop,
no threads), waits until every stream has its head and opening comment,
then has the real ``fossil`` commit a check-in in a clone and ``fossil
push`` it.  Measured per round: from the end of ``fossil push`` (the
server has stored the check-in) to the moment the last stream received the
frame, and the median stream.  Also: the server's resident memory (sum of
its processes) with the streams open, and how many threads it runs.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_web import free_port, wait_port  # noqa: E402


def open_streams(port: int, n: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        socks.append(s)
    return socks


def read_until(socks: list[socket.socket], marker: bytes, timeout: float) -> list[float]:
    """Read every socket until ``marker`` shows in what it received; the time each one saw it."""
    sel = selectors.DefaultSelector()
    bufs = {s.fileno(): b"" for s in socks}
    seen: dict[int, float] = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while len(seen) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            assert isinstance(s, socket.socket)
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(s)
                seen.setdefault(s.fileno(), float("inf"))
                continue
            bufs[s.fileno()] += data
            if marker in bufs[s.fileno()] and s.fileno() not in seen:
                seen[s.fileno()] = time.monotonic()
                bufs[s.fileno()] = b""
    sel.close()
    for s in socks:
        s.setblocking(True)
    return [seen.get(s.fileno(), float("inf")) for s in socks]


def rss_and_threads(pid: int) -> tuple[int, int]:
    """Resident bytes and threads of ``pid`` and its children (Linux /proc)."""
    out = subprocess.run(
        ["ps", "-o", "rss=,nlwp=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True
    ).stdout.split()
    rss = sum(int(v) for v in out[0::2]) * 1024
    threads = sum(int(v) for v in out[1::2])
    return rss, threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from tests.builders import build_web_repo

    work = Path(tempfile.mkdtemp(prefix="bench-sse-"))
    repo = work / "live.fossil"
    build_web_repo(repo)
    import sqlite3

    db = sqlite3.connect(repo)
    with db:
        db.execute("INSERT INTO user(login,pw,cap,info) VALUES('dev','devpw','ghijkmnorstuvwxz2345','')")
        db.execute("UPDATE user SET cap='gjorz2' WHERE login='nobody'")
    db.close()
    env = {**os.environ, "HOME": str(work), "USER": "root", "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("FOSSIL")}
    port = free_port()
    argv = [sys.executable, "-m", "fossilpy", "server", str(repo), "--port", str(port), "--localhost"]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    results = []
    try:
        wait_port(port)
        url = f"http://dev:devpw@127.0.0.1:{port}"
        checkout = work / "co"
        checkout.mkdir()

        def fossil(*a: str) -> None:
            subprocess.run(["fossil", *a], cwd=checkout, env=env, check=True, capture_output=True, timeout=120)

        fossil("clone", url, str(work / "clone.fossil"))
        fossil("settings", "autosync", "off", "-R", str(work / "clone.fossil"))
        fossil("open", str(work / "clone.fossil"), "--workdir", str(checkout))
        socks = open_streams(port, args.streams)
        opened = read_until(socks, b": fossilpy live events\n\n", 30)
        assert all(t != float("inf") for t in opened), "not every stream opened"
        rss, threads = rss_and_threads(server.pid)
        for n in range(args.rounds):
            comment = f"bench check-in {n}"
            (checkout / "README.md").write_text(f"# bench\n{comment}\n")
            fossil("commit", "-m", comment, "--no-warnings")
            started = time.monotonic()
            fossil("push", url)
            pushed = time.monotonic()
            got = read_until(socks, comment.encode(), 30)
            late = [t - pushed for t in got]
            results.append((pushed - started, max(late), statistics.median(late), sum(t == float("inf") for t in got)))
        for s in socks:
            s.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(20)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}"
    )
    print(f"{args.streams} streams open: server RSS {rss / 2**20:.0f} MiB, {threads} threads in all\n")
    print("| round | fossil push (s) | push end -> last stream (s) | median stream (s) | missed |")
    print("|---|---|---|---|---|")
    for i, (push, last, median, missed) in enumerate(results, 1):
        print(f"| {i} | {push:.2f} | {last:.2f} | {median:.2f} | {missed} |")


if __name__ == "__main__":
    main()
