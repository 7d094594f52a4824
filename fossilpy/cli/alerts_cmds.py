"""``fossilpy alerts ...`` (Fossil's subcommands plus the delivery journal)."""

from __future__ import annotations

import sys
import time

import click

from fossilpy.cli.common import open_repo, repository_option
from fossilpy.cli.main import FossilErrorHandlingCommand
from fossilpy.errors import NotFound, UserError


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


def _open(repository):  # type: ignore[no-untyped-def]
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
    cutoff = repo.config_int("email-renew-cutoff", 0)
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
    from fossilpy.backoffice import mail
    from fossilpy.backoffice.journal import DeliveryError

    repo = open_repo(repository)
    settings = mail.MailSettings.from_repo(repo)
    repo.close()
    if to_stdout:
        settings.method = "stdout"
    body = open(body_file, encoding="utf-8").read() if body_file else sys.stdin.read()
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


@click.command("peers", cls=FossilErrorHandlingCommand)
def peers_cmd() -> None:
    """Peer repositories synced by the backoffice (see www/doc/backoffice.md)."""
    raise UserError("peer sync is not available yet")
