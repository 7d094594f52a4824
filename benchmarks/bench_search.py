"""Search and /doc benchmarks: fossilpy against the real fossil on copies of one repository.

    python benchmarks/bench_search.py [--repo R.fossil | --checkins 5000] [--seconds 5]
        [--concurrency 8] [--slices 6] [--common kappa] [--rare release] [--baseline PYTHON]

Measures, at ``--concurrency`` concurrent connections for ``--seconds``
each, the requests per second of ``fossilpy server`` and ``fossil server
--nojail`` (goal: ratio >= 1.0) for:

* ``/search?s=WORD`` by the full scan (no index), for a common word (in
  about a fifth of the check-in comments) and a rare one (a release tag,
  on a handful of check-ins);
* the same with the FTS5 index (``fts-config index on`` on both copies,
  each program making its own index; brought up to date before timing);
* ``/doc/trunk/README.md``, a Markdown file of some 200 lines.

The servers of one case run side by side and take turns in ``--slices``
slices of the ``--seconds``, so that a change in the machine's load
during a case falls on each program alike.

Without ``--repo`` a history of ``--checkins`` check-ins is generated with
``benchmarks/gen_history.py`` under ``benchmarks/work/`` (the same file
``bench_web.py`` uses).  The generated history has no Markdown file, so a
``README.md`` is checked in on trunk with the real ``fossil`` in the
working copies (the generated file itself is left as it is).  Searching is
enabled on the copies with ``fossil fts-config enable cd`` and
``doc-glob=*.md``, ``doc-branch=trunk`` (documents are searched too).
The load generator is this process (see ``bench_web.load``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_web import ROOT, fetch, free_port, serve, stop


def readme() -> str:
    """A Markdown document with headings, lists, code, links and a table (about 200 lines)."""
    out = ["# Benchmark project", "", "A generated history used to time **fossilpy** against *fossil*.", ""]
    for s in range(1, 11):
        out += [
            f"## Section {s}",
            "",
            f"Paragraph {s} talks about `buffer` handling, the [timeline](/timeline)"
            " and the *cursor* over an index table; it continues for a while so that the"
            f" renderer has some text to wrap ({s}).",
            "",
        ]
        out += [f"- item {s}.{i} with **bold** and a [link](https://example.org/{s}/{i})" for i in range(1, 6)]
        out += ["", "```", f"int parse_{s}(const char *z){{", "  return render(z, TOKEN);", "}", "```", ""]
        out += ["| column | value |", "|---|---|"] + [f"| row {i} | {i * s} |" for i in range(1, 5)] + [""]
        out += [f"> A quote in section {s}: merge the branch, commit the token.", ""]
    return "\n".join(out) + "\n"


def run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-500:]}")
    return proc.stdout


def prepare(fossil: str, source: Path, work: Path, env: dict[str, str]) -> Path:
    """A copy of ``source`` with README.md on trunk and search of check-ins and documents enabled."""
    base = work / "base.fossil"
    shutil.copyfile(source, base)
    ckout = work / "ckout"
    ckout.mkdir()
    run([fossil, "open", str(base), "trunk", "--nested"], env, ckout)
    if not (ckout / "README.md").exists():
        (ckout / "README.md").write_text(readme())
        run([fossil, "add", "README.md"], env, ckout)
        run([fossil, "commit", "-m", "Add README.md", "--no-warnings"], env, ckout)
    run([fossil, "close", "--force"], env, ckout)
    run([fossil, "settings", "backoffice-disable", "1", "-R", str(base)], env)
    # doc-glob and doc-branch are config rows (set on /srchsetup), not settings
    run(
        [
            fossil,
            "sql",
            "-R",
            str(base),
            "REPLACE INTO config(name,value,mtime) VALUES('doc-glob','*.md',now()),('doc-branch','trunk',now());",
        ],
        env,
    )
    run([fossil, "fts-config", "enable", "cd", "-R", str(base)], env)
    return base


def load_page(
    port: int, page: str, seconds: float, concurrency: int, *, warm: bool = True
) -> tuple[int, float, int, int]:
    """(replies, seconds, errors, reply bytes) of ``concurrency`` clients asking for ``page``."""
    request = f"GET {page} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    size = len(fetch(port, request))
    if warm:  # (with an index, the first request brings it up to date)
        size = len(fetch(port, request))
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
    return sum(counts), time.monotonic() - started, sum(errors), size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path)
    p.add_argument("--checkins", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--slices", type=int, default=6, help="turns each server takes within --seconds")
    p.add_argument("--common", default="kappa", help="a word in many check-in comments")
    p.add_argument("--rare", default="release", help="a word on few check-ins")
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="PYTHON",
        help="a python whose `-m fossilpy` is another build (e.g. the tree before a change): "
        "its server is measured in the same run",
    )
    args = p.parse_args(argv)

    fossil = shutil.which("fossil")
    if not fossil:
        print("the fossil binary is needed", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    env = {
        **os.environ,
        "USER": "root",
        "HOME": str(work),
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
    }
    env.pop("FOSSILPY_APP", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "fossilpy")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    source = args.repo
    if source is None:
        source = ROOT / "benchmarks" / "work" / f"web-{args.checkins}.fossil"
        if not source.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "benchmarks" / "gen_history.py"),
                    str(source),
                    "--checkins",
                    str(args.checkins),
                    "--quiet",
                ],
                check=True,
                env=env,
            )
    base = prepare(fossil, source, work, env)
    copies: dict[tuple[str, str], Path] = {}
    for engine in ("scan", "index"):
        for who in ("fossilpy", "fossil", "baseline"):
            if who == "baseline" and not args.baseline:
                continue
            copy = work / f"{engine}-{who}.fossil"
            shutil.copyfile(base, copy)
            copies[engine, who] = copy
            if engine == "index":
                exe = [fossil] if who == "fossil" else [sys.executable, "-m", "fossilpy"]
                if who == "baseline":
                    exe = [str(args.baseline), "-m", "fossilpy"]
                run([*exe, "fts-config", "index", "on", "-R", str(copy)], env)
                run([*exe, "fts-config", "reindex", "-R", str(copy)], env)

    benv = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    cases = [
        ("scan", f"/search?s={args.common}", f"`/search?s={args.common}` full scan (common word)"),
        ("scan", f"/search?s={args.rare}", f"`/search?s={args.rare}` full scan (rare word)"),
        ("index", f"/search?s={args.common}", f"`/search?s={args.common}` FTS5 index (common word)"),
        ("index", f"/search?s={args.rare}", f"`/search?s={args.rare}` FTS5 index (rare word)"),
        ("scan", "/doc/trunk/README.md", "`/doc/trunk/README.md`"),
    ]
    rows: list[tuple[str, str, str, str, str]] = []
    for engine, page, label in cases:
        # every server of the case runs at once; they take turns in short slices, so a change of
        # the machine's load during the case weighs on each of them alike
        ports: dict[str, int] = {}
        procs = []
        try:
            for who in ("fossilpy", "fossil", "baseline"):
                if (engine, who) not in copies:
                    continue
                port = ports[who] = free_port()
                repo = str(copies[engine, who])
                if who == "fossil":
                    cmd = [fossil, "server", "--nojail", "--localhost", "--port", str(port), repo]
                    procs.append(serve(cmd, port, env))
                else:
                    py = sys.executable if who == "fossilpy" else str(args.baseline)
                    cmd = [py, "-m", "fossilpy", "server", repo, "--port", str(port), "--localhost"]
                    procs.append(serve(cmd, port, env if who == "fossilpy" else benv))
            totals = {who: [0, 0.0, 0, 0] for who in ports}
            for turn in range(args.slices):
                for who, port in ports.items():
                    n, secs, err, size = load_page(
                        port, page, args.seconds / args.slices, args.concurrency, warm=turn == 0
                    )
                    acc = totals[who]
                    acc[0] += n
                    acc[1] += secs
                    acc[2] += err
                    acc[3] = size
        finally:
            for proc in procs:
                stop(proc)
        result = {who: (int(n) / secs, int(err), int(size)) for who, (n, secs, err, size) in totals.items()}
        py_rps, py_err, py_size = result["fossilpy"]
        f_rps, f_err, f_size = result["fossil"]
        base_cell = ""
        if "baseline" in result:
            b_rps, b_err, _ = result["baseline"]
            base_cell = f"{b_rps:.1f} ({b_err} err; {py_rps / b_rps:.2f}x)"
        rows.append(
            (
                label,
                f"{py_rps:.1f} ({py_err} err, {py_size} B)",
                f"{f_rps:.1f} ({f_err} err, {f_size} B)",
                f"{py_rps / f_rps:.2f}x",
                base_cell,
            )
        )

    print(
        f"## Search and /doc ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, repo {source.name} + README.md, "
        f"{args.concurrency} connections, {args.seconds:g} s each)\n"
    )
    head = "| page | fossilpy req/s | fossil req/s | ratio (goal >= 1.0) |"
    print(head + (" baseline req/s (fossilpy/baseline) |" if args.baseline else ""))
    print("|---|---|---|---|" + ("---|" if args.baseline else ""))
    for label, py_cell, f_cell, ratio, base_cell in rows:
        print(f"| {label} | {py_cell} | {f_cell} | {ratio} |" + (f" {base_cell} |" if args.baseline else ""))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
