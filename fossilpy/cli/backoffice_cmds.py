"""``fossilpy backoffice`` and ``fossilpy test-backoffice-lease``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import click

from fossilpy.cli.common import command, open_repo, repository_option


@command("backoffice")
@click.option("--poll", "poll", type=int, default=0, metavar="N",
              help="Repeat every N seconds for repositories that changed (0: run once).")
@click.option("--min", "min_interval", type=int, default=3600, metavar="N",
              help="While polling, run each repository at least every N seconds (default 3600).")
@click.option("--nodelay", is_flag=True, help="Do not wait on deck for a running backoffice.")
@click.option("--nolease", is_flag=True, help="Do the work regardless of the lease (implies --nodelay).")
@click.option("--logfile", metavar="FILE", help="Append one line per run, and any diagnostics, to FILE.")
@click.option("--debug", is_flag=True, help="Show what is done; log no-op runs too.")
@click.option("--trace", is_flag=True, help="Print lease decisions on stderr.")
@repository_option()
@click.argument("repositories", nargs=-1)
def backoffice_cmd(poll: int, min_interval: int, nodelay: bool, nolease: bool,
                   logfile: str | None, debug: bool, trace: bool, repository: str | None,
                   repositories: tuple[str, ...]) -> None:
    """Run backoffice work (alerts, digests, deliveries, peer sync) now.

    With one repository and no --poll the work runs in this process, under
    the lease shared with Fossil.  With several repositories, or --poll, each
    run is a separate ``fossilpy backoffice --nodelay REPO`` subprocess; with
    --poll the loop runs a repository again when its file changed, or at
    least every --min seconds.  For quiet servers, run this from cron or as
    ``fossilpy backoffice --poll 60 REPO...``.
    """
    if logfile:  # diagnostics (a task that raised, a lease warning) go there too
        from fossilpy import log

        log.configure(logfile)
    repos = list(repositories) or ([repository] if repository else [])
    if not repos:
        from fossilpy.cli.common import resolve_repository

        path = resolve_repository(None)  # raises when there is none
        assert path is not None
        repos = [path]
    if len(repos) == 1 and poll <= 0:
        _run_one(repos[0], nodelay=nodelay, nolease=nolease, logfile=logfile, debug=debug, trace=trace)
        return
    from fossilpy.backoffice.runner import spawn_command

    last_run: dict[str, float] = {}
    previous_pass = 0.0
    while True:
        pass_start = time.time()
        for path in repos:
            if not os.path.isfile(path):
                continue
            if previous_pass and previous_pass > os.path.getmtime(path) and (
                min_interval <= 0 or last_run.get(path, 0) + min_interval > previous_pass
            ):
                continue
            argv = spawn_command(path)[:-1] + ["--nodelay"]
            if poll > 0:
                argv.append("--nolease")
            if debug:
                argv.append("--debug")
            if logfile:
                argv += ["--logfile", logfile]
            argv.append(path)
            if debug:
                click.echo(f"COMMAND: {' '.join(argv)}")
            subprocess.run(argv, check=False)
            last_run[path] = pass_start
        if poll <= 0:
            return
        previous_pass = pass_start
        delay = pass_start + poll - time.time()
        if delay > 0:
            if debug:
                click.echo(f"SLEEP: {int(delay * 1000)}")
            time.sleep(delay)


def _run_one(path: str, *, nodelay: bool, nolease: bool, logfile: str | None,
             debug: bool, trace: bool) -> None:
    from fossilpy.backoffice import runner

    repo = open_repo(path)
    try:
        if nolease:
            counts, _ = runner.work(repo, logfile=logfile, debug=debug)
            outcome = "worked"
        else:
            result = runner.run(repo, nodelay=nodelay, logfile=logfile, debug=debug)
            counts, outcome = result.counts, result.outcome
    finally:
        repo.close()
    if trace:
        click.echo(f"backoffice {os.getpid()}: {outcome}", err=True)
    if debug:
        summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no-op"
        click.echo(f"{outcome}: {summary}")


@command("test-backoffice-lease")
@click.option("--reset", is_flag=True, help="Delete the lease (may let two backoffices run at once).")
@repository_option()
def test_backoffice_lease_cmd(reset: bool, repository: str | None) -> None:
    """Show the backoffice lease of a repository, as ``fossil test-backoffice-lease`` does."""
    from fossilpy.repo import lease as leasemod

    repo = open_repo(repository)
    try:
        if reset:
            leasemod.reset(repo)
        now = int(time.time())
        value = repo.config_get("backoffice", "")
        x = leasemod.read(repo)
    finally:
        repo.close()
    out = sys.stdout

    def flags(pid: int) -> str:
        s = ""
        if leasemod.process_exists(pid):
            s += " (exists)"
        if leasemod.process_done(pid):
            s += " (done)"
        return s

    def when(tm: int) -> str:
        return f" (now{tm - now:+d})" if tm > 0 else ""

    out.write(f"now:        {now}\n")
    out.write(f'lease:      "{value}"\n')
    out.write(f"idCurrent:  {x.id_current:<20d}{flags(x.id_current)}\n")
    out.write(f"tmCurrent:  {x.tm_current:<20d}{when(x.tm_current)}\n")
    out.write(f"idNext:     {x.id_next:<20d}{flags(x.id_next)}\n")
    out.write(f"tmNext:     {x.tm_next:<20d}{when(x.tm_next)}\n")
