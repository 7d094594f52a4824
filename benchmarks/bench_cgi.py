"""CGI start-up against the Python peer (Mercurial's hgweb.cgi) and fossil, in one run.

    python benchmarks/bench_cgi.py [--checkins 300] [--runs 15] [--work DIR]
        [--installed VENV/bin/fossilpy] [--binary DIST/fossilpy] [--baseline SRC]

Builds (once per ``--checkins``, kept in ``--work``) one history three ways
from the same generated ``git fast-import`` stream
(``benchmarks/gen_history.py``): a fossil repository (``fossil import
--git``), a git repository (``git fast-import``) and, from that, a Mercurial
repository (``hg convert``).  Then answers one CGI request per fresh
process, all kinds interleaved run by run so that a loaded machine weighs
on each alike:

* floor: the venv's ``python -c 'import sqlite3'`` (any CPython CGI program
  pays at least this), and the system ``python3 -c pass`` that hgweb runs on;
* fossilpy: ``.venv/bin/fossilpy SCRIPT`` (the console script, as a CGI
  script's ``#!`` line runs it) for ``/timeline?n=50``;
* hgweb: Mercurial's own ``hgweb.cgi`` (Debian's example, its ``config``
  pointed at the repository) for ``/shortlog?revcount=50``;
* fossil: ``fossil SCRIPT`` for ``/timeline?n=50``;
* optionally a non-editable install's console script (``--installed``),
  the PyInstaller binary (``--binary``) and another source tree run by the
  venv's python (``--baseline SRC``, e.g. a ``git worktree`` of an older
  commit: before and after in one run).

The figure is the CPU time of the child (user + sys from
``RUSAGE_CHILDREN``), best of ``--runs`` and median: wall time says little
on a shared machine.  Also prints how many modules fossilpy's CGI path
imports beyond ``python -c pass`` (``python -X importtime``).

Needs ``fossil``, ``git`` and ``hg`` (Debian's ``mercurial``) on PATH.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
HGWEB_EXAMPLE = Path("/usr/share/doc/mercurial-common/examples/hgweb.cgi")
PAGE, QUERY = "/timeline", "n=50"
HG_PAGE, HG_QUERY = "/shortlog", "revcount=50"


def base_env(home: Path) -> dict[str, str]:
    """The caller's environment without CGI/fossil variables or PYTHONDONTWRITEBYTECODE."""
    drop = ("FOSSIL", "SSH_", "GATEWAY_", "REQUEST_", "QUERY_", "PATH_INFO", "SCRIPT_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(HOME=str(home), USER="root", LOGNAME="root", TZ="UTC")
    return env


def cgi_env(env: dict[str, str], path: str, query: str) -> dict[str, str]:
    return {
        **env,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "/cgi",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
    }


def build(work: Path, checkins: int, env: dict[str, str]) -> tuple[Path, Path]:
    """(fossil repository, Mercurial repository) of one generated history, cached in ``work``."""
    fossil_repo = work / f"h{checkins}.fossil"
    hg_repo = work / f"hg{checkins}"
    if fossil_repo.exists() and (hg_repo / ".hg").is_dir():
        return fossil_repo, hg_repo
    stream = work / f"h{checkins}.stream"
    git_repo = work / f"git{checkins}"
    for stale in (fossil_repo, git_repo, hg_repo):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "gen_history.py"),
            str(fossil_repo),
            "--checkins",
            str(checkins),
            "--stream",
            str(stream),
            "--quiet",
        ],
        env=env,
        cwd=work,
        check=True,
    )
    subprocess.run(["git", "init", "-q", str(git_repo)], env=env, check=True)
    with stream.open("rb") as data:
        subprocess.run(["git", "fast-import", "--quiet"], stdin=data, cwd=git_repo, env=env, check=True)
    subprocess.run(
        ["hg", "--config", "extensions.convert=", "convert", "-q", str(git_repo), str(hg_repo)],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["fossil", "settings", "backoffice-disable", "1", "-R", str(fossil_repo)],
        env=env,
        cwd=work,
        check=True,
        capture_output=True,
    )
    return fossil_repo, hg_repo


def cpu_ms(argv: list[str], env: dict[str, str], cwd: Path, expect: bytes) -> float:
    """CPU milliseconds (user + sys) of one child process answering one request."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if expect not in proc.stdout[:200]:
        raise SystemExit(f"{argv} answered {proc.stdout[:300]!r} {proc.stderr[-500:]!r}")
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def modules_beyond_bare(python: str, argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, int, int]:
    """(modules beyond ``python -c pass``, fossilpy's, jinja2's) imported by one request."""

    def names(args: list[str], run_env: dict[str, str]) -> list[str]:
        proc = subprocess.run(
            [python, "-X", "importtime", *args],
            env=run_env,
            cwd=cwd,
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        return [
            ln.split("|", 2)[2].strip()
            for ln in proc.stderr.decode().splitlines()
            if ln.startswith("import time:") and ln.count("|") == 2
        ]

    bare = set(names(["-c", "pass"], {k: v for k, v in env.items() if k != "GATEWAY_INTERFACE"}))
    got = names(argv, env)
    new = [m for m in got if m not in bare and m not in ("runpy", "module")]
    return len(new), sum(1 for m in new if m.startswith("fossilpy")), sum(1 for m in new if m.startswith("jinja2"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkins", type=int, default=300)
    p.add_argument("--runs", type=int, default=15, help="fresh processes per program")
    p.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "cgi")
    p.add_argument("--installed", type=Path, help="a non-editable install's console script")
    p.add_argument("--binary", type=Path, help="the PyInstaller binary (fossilpy.spec)")
    p.add_argument("--baseline", type=Path, help="another fossilpy source tree, for before/after")
    args = p.parse_args()
    for tool in ("fossil", "git", "hg"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not on PATH")
    work = args.work.resolve()
    (work / "home").mkdir(parents=True, exist_ok=True)
    env = base_env(work / "home")
    fossil_repo, hg_repo = build(work, args.checkins, env)

    script = work / f"fossil{args.checkins}.cgi"
    script.write_text(f"#!/usr/bin/fossilpy\nrepository: {fossil_repo}\n")
    hgweb = work / f"hgweb{args.checkins}.cgi"
    hgweb.write_text(
        HGWEB_EXAMPLE.read_text().replace('config = b"/path/to/repo/or/config"', f"config = {str(hg_repo).encode()!r}")
    )
    page_env = cgi_env(env, PAGE, QUERY)
    hg_env = cgi_env(env, HG_PAGE, HG_QUERY)
    console = str(VENV_PYTHON.parent / "fossilpy")
    jobs: list[tuple[str, list[str], dict[str, str], bytes]] = [
        ("floor: venv python -c 'import sqlite3'", [str(VENV_PYTHON), "-c", "import sqlite3"], env, b""),
        (f"fossilpy CGI {PAGE}?{QUERY} (venv console script)", [console, str(script)], page_env, b"Status: 200"),
        (f"hgweb.cgi {HG_PAGE}?{HG_QUERY}", ["/usr/bin/python3", str(hgweb)], hg_env, b"200"),
        (f"fossil CGI {PAGE}?{QUERY}", ["fossil", str(script)], page_env, b"200"),
        ("system python3 -c pass (hgweb's interpreter)", ["/usr/bin/python3", "-c", "pass"], env, b""),
    ]
    if args.installed:
        jobs.append(
            (
                f"fossilpy CGI {PAGE}?{QUERY} (non-editable install)",
                [str(args.installed), str(script)],
                page_env,
                b"Status: 200",
            )
        )
        jobs.append(
            (
                "floor: that install's python -c 'import sqlite3'",
                [str(args.installed.parent / "python"), "-c", "import sqlite3"],
                env,
                b"",
            )
        )
    if args.binary:
        jobs.append(
            (
                f"fossilpy CGI {PAGE}?{QUERY} (PyInstaller binary)",
                [str(args.binary), str(script)],
                page_env,
                b"Status: 200",
            )
        )
    if args.baseline:
        main_code = "import sys\nfrom fossilpy.cli.main import main\nsys.exit(main())\n"
        base_env_ = {**page_env, "PYTHONPATH": str(args.baseline.resolve())}
        jobs.append(
            (
                f"fossilpy CGI {PAGE}?{QUERY} (baseline {args.baseline.name})",
                [str(VENV_PYTHON), "-c", main_code, str(script)],
                base_env_,
                b"Status: 200",
            )
        )
        jobs.append(
            (
                f"fossilpy CGI {PAGE}?{QUERY} (this tree, same form)",
                [str(VENV_PYTHON), "-c", main_code, str(script)],
                {**page_env, "PYTHONPATH": str(ROOT)},
                b"Status: 200",
            )
        )
    for _label, argv, job_env, expect in jobs:  # warm caches, write byte code
        cpu_ms(argv, job_env, work, expect)
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(args.runs):
        for i, (_label, argv, job_env, expect) in enumerate(jobs):
            times[i].append(cpu_ms(argv, job_env, work, expect))
    best = [min(t) for t in times]
    load = os.getloadavg()
    print(
        f"# CGI start-up, {args.checkins}-check-in history, CPU ms of the child "
        f"(user+sys), {args.runs} interleaved runs; load {load[0]:.1f} on "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| program | best CPU ms | median CPU ms |")
    print("|---|---:|---:|")
    for (label, *_rest), t in zip(jobs, times, strict=True):
        print(f"| {label} | {min(t):.1f} | {statistics.median(t):.1f} |")
    floor, ours, hg, fossil = best[0], best[1], best[2], best[3]
    print(
        f"\nfossilpy / hgweb: {ours / hg:.2f}x (goal <= 0.5x); fossilpy / floor: "
        f"{ours / floor:.2f}x (goal <= 2.5x); fossilpy / fossil: {ours / fossil:.1f}x"
    )
    new, fp, jinja = modules_beyond_bare(str(VENV_PYTHON), ["-m", "fossilpy", str(script)], page_env, work)
    print(f"fossilpy CGI path: {new} modules beyond `python -c pass`, {fp} of them fossilpy's, {jinja} jinja2's")


if __name__ == "__main__":
    main()
