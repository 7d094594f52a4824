"""Write benchmarks: a wiki edit and a ticket change through the server,
fossilpy against the real fossil doing the same POST in one run.

    python benchmarks/bench_write.py [--writes 40] [--checkins 0|N]

Both servers serve copies of the same repository (made by ``fossil new``, or
a generated history of ``--checkins`` check-ins), each logged in as the
setup user through ``/login``.  Each write is one HTTP request on a fresh
connection, sent after the previous reply (sequential, as a person saves):

* wiki: ``POST /wikiajax/save`` with ``page``, ``mimetype``, ``content``,
  ``isnew`` (Fossil's editor's own request, which fossilpy keeps);
* ticket: ``POST /tktedit`` with ``name``, the ticket's fields, a new
  ``icomment`` and ``submit``, carrying the ``csrf`` token scraped from the
  form, as a browser does.

Prints the median and the 90th percentile milliseconds per write and the
ratio fossilpy/fossil (goal: at most 1.0x) as a Markdown table.  Each write
is checked: the wiki page's version count and the ticket's change count grow
by one per request, on both servers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import free_port, wait_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchpw"
USER = "bench"


def request(
    port: int, method: str, path: str, *, cookie: str = "", form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.0 request on a fresh connection: (status, headers, body)."""
    body = urllib.parse.urlencode(form or {}).encode() if form is not None else b""
    origin = f"http://127.0.0.1:{port}"
    head = [f"{method} {path} HTTP/1.0", f"Host: 127.0.0.1:{port}", f"Origin: {origin}", f"Referer: {origin}{path}"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    if form is not None:
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(raw)
        chunks = []
        while chunk := s.recv(262144):
            chunks.append(chunk)
    reply = b"".join(chunks)
    top, _, content = reply.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = (headers[key] + "\n" if key in headers else "") + value.strip()
    return int(lines[0].split()[1]), headers, content


def login(port: int) -> str:
    status, headers, _ = request(port, "POST", "/login", form={"u": USER, "p": PASSWORD, "in": "Login"})
    cookies = [c.split(";")[0] for c in headers.get("set-cookie", "").split("\n") if "=" in c]
    cookie = "; ".join(c for c in cookies if not c.endswith("="))
    if status not in (200, 302, 303) or not cookie:
        raise RuntimeError(f"login on port {port} failed: {status} {headers}")
    return cookie


def csrf_of(body: bytes) -> str:
    m = re.search(rb'name="csrf" value="([^"]*)"', body)
    if not m:
        raise RuntimeError("no csrf field in the form")
    return m.group(1).decode()


def wiki_write(port: int, cookie: str, i: int) -> None:
    content = f"# Benchmark page\n\nEdit number {i}.\n\n" + "Some text that makes the page a page. " * 20 + "\n"
    status, _, body = request(
        port,
        "POST",
        "/wikiajax/save",
        cookie=cookie,
        form={"page": "BenchPage", "mimetype": "text/x-markdown", "content": content, "isnew": "0"},
    )
    if status != 200 or b'"version"' not in body:
        raise RuntimeError(f"wiki save on {port}: {status} {body[:300]!r}")


def ticket_form(port: int, cookie: str, uuid: str) -> dict[str, str]:
    status, _, body = request(port, "GET", f"/tktedit/{uuid}", cookie=cookie)
    if status != 200:
        raise RuntimeError(f"tktedit form on {port}: {status}")
    return {"csrf": csrf_of(body)}


def ticket_write(port: int, cookie: str, uuid: str, csrf: str, i: int) -> None:
    form = {
        "name": uuid,
        "csrf": csrf,
        "title": "Benchmark ticket",
        "status": "Open",
        "type": "Code_Defect",
        "severity": "Minor",
        "priority": "Low",
        "resolution": "Open",
        "subsystem": "",
        "foundin": "",
        "private_contact": "",
        "mimetype": "text/x-markdown",
        "icomment": f"Comment number {i}.",
        "submit": "Submit Changes",
    }
    status, _, body = request(port, "POST", "/tktedit", cookie=cookie, form=form)
    if status not in (200, 302, 303):
        raise RuntimeError(f"ticket change on {port}: {status} {body[:300]!r}")


def count(fossil: str, repo: Path, sql: str, env: dict[str, str]) -> int:
    out = subprocess.run(
        [fossil, "sql", "-R", str(repo), sql], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    return int(out or 0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--writes", type=int, default=40)
    args = p.parse_args(argv)
    fossil = shutil.which("fossil")
    if not fossil:
        print("the fossil binary is needed", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-write-"))
    env = {**os.environ, "HOME": str(work), "USER": "root", "FOSSIL_USER": "root"}
    base = work / "base.fossil"
    subprocess.run([fossil, "new", str(base)], env=env, check=True, capture_output=True)
    subprocess.run(
        [fossil, "user", "new", USER, "b@example.org", PASSWORD, "-R", str(base)],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [fossil, "user", "capabilities", USER, "s", "-R", str(base)], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [fossil, "settings", "backoffice-disable", "1", "-R", str(base)], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [fossil, "wiki", "create", "BenchPage", "-M", "text/x-markdown", "-R", str(base)],
        input=b"# Benchmark page\n",
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [fossil, "ticket", "add", "title", "Benchmark ticket", "status", "Open", "-R", str(base)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    uuid = re.search(r"[0-9a-f]{40}", out)
    if not uuid:
        raise RuntimeError(f"no ticket id in {out!r}")
    tkt = uuid.group(0)
    results: dict[str, dict[str, list[float]]] = {}
    servers = {
        "fossil": lambda repo, port: [fossil, "server", "--nojail", "--localhost", "--port", str(port), str(repo)],
        "fossilpy": lambda repo, port: [
            sys.executable,
            "-m",
            "fossilpy",
            "server",
            str(repo),
            "--port",
            str(port),
            "--localhost",
        ],
    }
    procs: dict[str, tuple[subprocess.Popen[bytes], int, str, Path]] = {}
    try:
        for name, argv_for in servers.items():
            repo = work / f"{name}.fossil"
            shutil.copyfile(base, repo)
            port = free_port()
            proc = subprocess.Popen(argv_for(repo, port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(port)
            procs[name] = (proc, port, login(port), repo)
            results[name] = {"wiki": [], "ticket": []}
        csrf = {name: ticket_form(port, cookie, tkt)["csrf"] for name, (_, port, cookie, _) in procs.items()}
        for i in range(args.writes):  # interleaved: both servers see the same machine load
            for name, (_, port, cookie, _) in procs.items():
                t = time.perf_counter()
                wiki_write(port, cookie, i)
                results[name]["wiki"].append(time.perf_counter() - t)
                t = time.perf_counter()
                ticket_write(port, cookie, tkt, csrf[name], i)
                results[name]["ticket"].append(time.perf_counter() - t)
    finally:
        for proc, *_ in procs.values():
            proc.terminate()
            proc.wait()
    for name, (_, _, _, repo) in procs.items():
        wikis = count(
            fossil, repo, "SELECT count(*) FROM tagxref JOIN tag USING(tagid) WHERE tagname='wiki-BenchPage'", env
        )
        changes = count(
            fossil,
            repo,
            f"SELECT count(*) FROM ticketchng WHERE tkt_id=(SELECT tkt_id FROM ticket WHERE tkt_uuid='{tkt}')",
            env,
        )
        if wikis != args.writes + 1 or changes != args.writes + 1:
            raise RuntimeError(
                f"{name}: {wikis} wiki versions and {changes} ticket changes, expected {args.writes + 1} of each"
            )
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; {args.writes} writes of each kind\n"
    )
    print("| write | fossil median (p90) ms | fossilpy median (p90) ms | ratio (goal <= 1.0) |")
    print("|---|---|---|---|")
    for kind in ("wiki", "ticket"):
        f = results["fossil"][kind]
        y = results["fossilpy"][kind]

        def fmt(xs: list[float]) -> str:
            return f"{statistics.median(xs) * 1000:.1f} ({statistics.quantiles(xs, n=10)[-1] * 1000:.1f})"

        print(f"| {kind} | {fmt(f)} | {fmt(y)} | {statistics.median(y) / statistics.median(f):.2f}x |")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
