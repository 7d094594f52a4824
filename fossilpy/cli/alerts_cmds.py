"""``fossilpy alerts ...`` (Fossil's subcommands plus the delivery journal)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from fossilpy.cli.common import open_repo, repository_option
from fossilpy.cli.group import FossilErrorHandlingCommand
from fossilpy.errors import NotFound, UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


class _Group(click.Group):
    command_class = FossilErrorHandlingCommand


@click.group("alerts", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def alerts_cmd() -> None:
    """Email alerts: status, pending events, sending, subscribers, the delivery journal.

    Alerts go out only when email-send-method is not "off" and email-url,
    email-subname and email-self are all set.  Messages are composed into a
    delivery journal and removed from it only once the mail system accepted
    them; ``alerts journal`` shows what waits, ``alerts retry`` retries.
    """


def _open(repository: str | None) -> Repo:
    from fossilpy.backoffice import alerts

    repo = open_repo(repository)
    alerts.ensure_schema(repo)
    return repo


@alerts_cmd.command("pending")
@repository_option()
def pending_cmd(repository: str | None) -> None:
    """Show the events waiting for an alert or a digest."""
    repo = _open(repository)
    for eventid, sep, dig, mod in repo.all(
        "SELECT eventid, sentSep, sentDigest, sentMod FROM pending_alert"
    ):
        click.echo(f"{eventid:>10} {'sentSep' if sep else '':>7} {'sentDigest' if dig else '':>10} "
                   f"{'sentMod' if mod else '':>7}")
    repo.close()


@alerts_cmd.command("send")
@click.option("--digest", is_flag=True, help="Compose the daily digest instead of instant alerts.")
@click.option("--renewal", is_flag=True, help="Also compose subscription renewal notices.")
@click.option("--test", is_flag=True, help="Print the messages instead; change nothing.")
@repository_option()
def send_cmd(digest: bool, renewal: bool, test: bool, repository: str | None) -> None:
    """Compose pending alerts into the journal and deliver everything due."""
    from fossilpy.backoffice import alerts, journal

    repo = _open(repository)
    if test:
        class _Rollback(Exception):
            pass

        try:
            with repo.write():
                alerts.queue(repo, digest=digest)
                if renewal:
                    alerts.queue_renewals(repo)
                for e in journal.entries(repo, states=("pending",)):
                    sys.stdout.write(e.payload.decode("utf-8"))
                raise _Rollback
        except _Rollback:
            pass
        repo.close()
        return
    for p in alerts.problems(repo):
        click.echo(f"warning: {p}", err=True)
    n = alerts.queue(repo, digest=digest)
    if renewal:
        n += alerts.queue_renewals(repo)
    sent = alerts.deliver(repo)
    click.echo(f"queued {n}, delivered {sent}")
    repo.close()


@alerts_cmd.command("status")
@repository_option()
def status_cmd(repository: str | None) -> None:
    """Settings, pending events, subscribers and the delivery journal."""
    from fossilpy.backoffice import alerts, journal

    repo = _open(repository)
    for (name, value) in repo.all("SELECT name, value FROM config WHERE name GLOB 'email-*' ORDER BY name"):
        click.echo(f"{name:<29} {value}")
    fmt = "{:<29} {}"
    click.echo(fmt.format("pending-alerts", repo.one("SELECT count(*) FROM pending_alert WHERE NOT sentSep")))
    click.echo(fmt.format("pending-digest-alerts",
                          repo.one("SELECT count(*) FROM pending_alert WHERE NOT sentDigest")))
    click.echo(fmt.format("total-subscribers", repo.one("SELECT count(*) FROM subscriber")))
    cutoff = repo.config_int("email-renew-cutoff")
    click.echo(fmt.format("active-subscribers", repo.one(
        "SELECT count(*) FROM subscriber WHERE sverified AND NOT sdonotcall AND length(ssub)>1"
        " AND lastContact>=?", (cutoff,))))
    stats = journal.status(repo).get("email", {"pending": 0, "retrying": 0, "failed": 0, "delivered": 0})
    for key in ("pending", "retrying", "failed", "delivered"):
        click.echo(fmt.format(f"journal-{key}", stats[key]))
    problems = alerts.problems(repo)
    click.echo(fmt.format("alerts-enabled", "yes" if not problems else "no: " + "; ".join(problems)))
    repo.close()


@alerts_cmd.command("subscribers")
@click.argument("pattern", required=False)
@repository_option()
def subscribers_cmd(pattern: str | None, repository: str | None) -> None:
    """List subscriber addresses, optionally those matching PATTERN."""
    repo = _open(repository)
    if pattern:
        rows = repo.all(
            "SELECT semail FROM subscriber WHERE semail LIKE '%'||?1||'%' OR suname LIKE '%'||?1||'%'"
            " OR semail GLOB '*'||?1||'*' OR suname GLOB '*'||?1||'*' ORDER BY semail", (pattern,))
    else:
        rows = repo.all("SELECT semail FROM subscriber ORDER BY semail")
    for (email,) in rows:
        click.echo(email)
    repo.close()


@alerts_cmd.command("unsubscribe")
@click.argument("email")
@repository_option()
def unsubscribe_cmd(email: str, repository: str | None) -> None:
    """Remove the subscriber with address EMAIL."""
    repo = _open(repository)
    with repo.write():
        n = repo.execute("DELETE FROM subscriber WHERE semail=?", (email,)).rowcount
    repo.close()
    if not n:
        raise NotFound(f"no subscriber with address {email}")


@alerts_cmd.command("reset")
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@repository_option()
def reset_cmd(force: bool, repository: str | None) -> None:
    """Erase all subscribers and pending alerts (cannot be undone)."""
    if not force and not click.confirm("This erases every subscriber. Continue?", default=False):
        return
    from fossilpy.backoffice import alerts

    repo = open_repo(repository)
    with repo.write():
        repo.execute("DROP TABLE IF EXISTS subscriber")
        repo.execute("DROP TABLE IF EXISTS pending_alert")
    alerts.ensure_schema(repo)
    repo.close()


@alerts_cmd.command("test-message")
@click.argument("to", nargs=-1, required=True)
@click.option("-S", "--subject", default="fossil alerts test-message", help="Subject line.")
@click.option("--body", "body_file", type=click.Path(exists=True, dir_okay=False), help="Body from FILE.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the message instead of sending it.")
@repository_option()
def test_message_cmd(to: tuple[str, ...], subject: str, body_file: str | None, to_stdout: bool,
                     repository: str | None) -> None:
    """Send one message through the configured email-send-method, now."""
    from pathlib import Path

    from fossilpy.backoffice import mail
    from fossilpy.backoffice.journal import DeliveryError

    repo = open_repo(repository)
    settings = mail.MailSettings.from_repo(repo)
    repo.close()
    if to_stdout:
        settings.method = "stdout"
    body = Path(body_file).read_text(encoding="utf-8") if body_file else sys.stdin.read()
    header = "To: " + ", ".join(f"<{a}>" for a in to) + f"\r\nSubject: {subject}\r\n"
    try:
        mail.Sender(settings).send(mail.compose(settings, header, body), list(to))
    except DeliveryError as exc:
        raise UserError(str(exc)) from None


@alerts_cmd.command("journal")
@click.option("--all", "show_all", is_flag=True, help="Include delivered messages (last 30 days).")
@repository_option()
def journal_cmd(show_all: bool, repository: str | None) -> None:
    """List journal entries: id, kind, state, attempts, next try, destination, last error."""
    from fossilpy.backoffice import journal

    repo = _open(repository)
    now = int(time.time())
    for e in journal.entries(repo):
        state = e.state if e.state == "failed" else ("retrying" if e.attempts else "pending")
        when = "now" if e.next_try <= now else f"in {e.next_try - now}s"
        click.echo(f"{e.jid:>6} {e.kind:<9} {state:<8} {e.attempts:>3} {when:<10} {e.dest}"
                   + (f"  ({e.last_error})" if e.last_error else ""))
    if show_all and repo.table_exists("fx_journal_log"):
        for jid, kind, dest, dtime, attempts in repo.all(
            "SELECT jid, kind, dest, dtime, attempts FROM fx_journal_log ORDER BY dtime, jid"
        ):
            click.echo(f"{jid:>6} {kind:<9} {'done':<8} {attempts:>3} "
                       f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(dtime))} {dest}")
    repo.close()


@alerts_cmd.command("retry")
@click.argument("jid", type=int, required=False)
@repository_option()
def retry_cmd(jid: int | None, repository: str | None) -> None:
    """Make journal entry JID (or every entry) due now, failed ones included."""
    from fossilpy.backoffice import journal

    repo = _open(repository)
    n = journal.retry(repo, jid)
    repo.close()
    if jid is not None and not n:
        raise NotFound(f"no journal entry {jid}")
    click.echo(f"{n} entr{'y' if n == 1 else 'ies'} due now")


@click.group("peers", cls=_Group, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@repository_option()
@click.pass_context
def peers_cmd(ctx: click.Context, repository: str | None) -> None:
    """Peer repositories synced by the backoffice (see www/doc/backoffice.md).

    Without a subcommand, list each peer of the backoffice-peers setting with
    its direction, interval, last success, next due time and last error, and
    every malformed line of the setting.
    """
    ctx.ensure_object(dict)
    ctx.obj["repository"] = repository
    if ctx.invoked_subcommand is None:
        _peers_list(repository)


def _when(t: int | None, now: int) -> str:
    if t is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def _peers_list(repository: str | None) -> None:
    from fossilpy.backoffice import peers

    repo = open_repo(repository)
    try:
        now = int(time.time())
        rows, bad = peers.status(repo, now=now)
    finally:
        repo.close()
    if not rows and not bad:
        click.echo("no peers (set them with: fossilpy peers add URL [push|pull|sync] [SECONDS])")
    for st in rows:
        p = st.peer
        due = "now" if st.next_due <= now else _when(st.next_due, now)
        click.echo(f"{p.dest}  {p.direction} every {p.interval}s")
        click.echo(f"    last success: {_when(st.last_success, now)}")
        click.echo(f"    next due:     {due}")
        if st.last_error:
            click.echo(f"    last error:   {st.last_error} (after {st.attempts} attempt"
                       f"{'' if st.attempts == 1 else 's'})")
    for b in bad:
        click.echo(f"malformed line {b.line} of backoffice-peers ({b.text}): {b.error}")


def _peers_repo(ctx: click.Context, repository: str | None) -> str | None:
    return repository or (ctx.obj or {}).get("repository")


@peers_cmd.command("add")
@click.argument("url")
@click.argument("direction", required=False, default="sync")
@click.argument("seconds", required=False)
@repository_option()
@click.pass_context
def peers_add_cmd(ctx: click.Context, url: str, direction: str, seconds: str | None,
                  repository: str | None) -> None:
    """Add (or replace) peer URL: DIRECTION push, pull or sync; every SECONDS."""
    from fossilpy.backoffice import peers

    line = " ".join([url, direction] + ([seconds] if seconds else []))
    new, bad = peers.parse(line)
    if bad:
        raise UserError(bad[0].error)
    repo = open_repo(_peers_repo(ctx, repository))
    try:
        with repo.write():
            current = repo.setting(peers.SETTING) or ""
            kept = [ln for ln in current.splitlines() if not _names(ln, new[0].dest)]
            repo.config_set(peers.SETTING, "\n".join(kept + [line]) + "\n")
    finally:
        repo.close()


def _names(line: str, dest: str) -> bool:
    from fossilpy.backoffice import peers

    found, _bad = peers.parse(line)
    return bool(found) and found[0].dest == dest


@peers_cmd.command("remove")
@click.argument("url")
@repository_option()
@click.pass_context
def peers_remove_cmd(ctx: click.Context, url: str, repository: str | None) -> None:
    """Remove peer URL from the backoffice-peers setting."""
    from fossilpy.backoffice import peers

    found, bad = peers.parse(url)
    dest = found[0].dest if found else url
    repo = open_repo(_peers_repo(ctx, repository))
    try:
        with repo.write():
            current = repo.setting(peers.SETTING) or ""
            lines = current.splitlines()
            kept = [ln for ln in lines if not _names(ln, dest) and ln.split()[:1] != [url]]
            if len(kept) == len(lines):
                raise NotFound(f"no peer {url}")
            repo.config_set(peers.SETTING, "\n".join(kept) + ("\n" if kept else ""))
    finally:
        repo.close()


@peers_cmd.command("sync-now")
@click.argument("url", required=False)
@repository_option()
@click.pass_context
def peers_sync_now_cmd(ctx: click.Context, url: str | None, repository: str | None) -> None:
    """Sync with every peer (or peer URL) now, whatever its schedule.

    Exits with an error if a sync did not complete; the job then stays in
    the journal and the backoffice retries it.
    """
    from fossilpy.backoffice import peers

    repo = open_repo(_peers_repo(ctx, repository))
    try:
        found, _bad = peers.configured(repo)
        target = "*"
        if url:
            match = [p for p in found if p.dest == url or p.url == url]
            if not match:
                parsed, _ = peers.parse(url)
                match = [p for p in found if parsed and p.dest == parsed[0].dest]
            if not match:
                raise NotFound(f"no peer {url}")
            target = match[0].dest
        peers.schedule(repo, force=target)
        done, problems = peers.deliver(repo)
    finally:
        repo.close()
    click.echo(f"{done} peer sync{'' if done == 1 else 's'} completed")
    if problems:
        raise UserError("; ".join(problems))
