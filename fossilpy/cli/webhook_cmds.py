"""``fossilpy webhook add|list|remove|test``: signed webhooks (see www/doc/webhooks.md)."""

from __future__ import annotations

import time

import click

from fossilpy.cli.common import open_repo, repository_option
from fossilpy.cli.group import FossilErrorHandlingCommand
from fossilpy.errors import NotFound, UserError


class _Group(click.Group):
    command_class = FossilErrorHandlingCommand


@click.group("webhook", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def webhook_cmd() -> None:
    """Signed webhooks: POST each new event as JSON to a URL.

    Each check-in, wiki edit, ticket change, forum post, technote or tag
    change becomes a JSON payload signed with HMAC-SHA256 in an
    X-Fossilpy-Signature-256 header.  The backoffice delivers them,
    retrying with back-off until the receiver answers 2xx.  The setup page
    /setup_webhooks shows every attempt.
    """


@webhook_cmd.command("add")
@click.argument("url")
@click.option("--secret", required=True, metavar="S", help="Key of the HMAC-SHA256 signature.")
@click.option(
    "--events",
    default="",
    metavar="LIST",
    help="Comma list of ci,w,t,f,e,g (check-ins, wiki, tickets, forum, technotes, tags); default all.",
)
@repository_option()
def add_cmd(url: str, secret: str, events: str, repository: str | None) -> None:
    """Add a hook that receives the events of LIST at URL."""
    from fossilpy.backoffice import webhooks

    try:
        wanted = webhooks.parse_events(events)
        repo = open_repo(repository)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        hid = webhooks.add(repo, url, secret, wanted)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    finally:
        repo.close()
    click.echo(f"webhook {hid} added: {url} ({','.join(wanted)})")


@webhook_cmd.command("list")
@repository_option()
def list_cmd(repository: str | None) -> None:
    """List the hooks: id, events, URL, queued and failed deliveries."""
    from fossilpy.backoffice import webhooks

    repo = open_repo(repository, readonly=True)
    try:
        for h in webhooks.hooks(repo):
            waiting = webhooks.queued(repo, h.hid)
            failed = sum(1 for e in waiting if e.state == "failed")
            click.echo(f"{h.hid:<4} {','.join(h.events):<16} {h.url}  queued {len(waiting) - failed} failed {failed}")
    finally:
        repo.close()


@webhook_cmd.command("remove")
@click.argument("hid", type=int)
@repository_option()
def remove_cmd(hid: int, repository: str | None) -> None:
    """Remove hook HID and its queued deliveries."""
    from fossilpy.backoffice import webhooks

    repo = open_repo(repository)
    try:
        if not webhooks.remove(repo, hid):
            raise NotFound(f"no webhook {hid}")
    finally:
        repo.close()
    click.echo(f"webhook {hid} removed")


@webhook_cmd.command("test")
@click.argument("hid", type=int)
@repository_option()
def test_cmd(hid: int, repository: str | None) -> None:
    """Send a "ping" event to hook HID now and show the reply.

    The ping is queued behind the hook's waiting deliveries, which are
    tried first (in order).
    """
    from fossilpy.backoffice import webhooks

    repo = open_repo(repository)
    try:
        if webhooks.hook(repo, hid) is None:
            raise NotFound(f"no webhook {hid}")
        did = webhooks.test_event(repo, hid)
        webhooks.deliver(repo)
        tried = [a for a in webhooks.attempts(repo, hid) if a["delivery"] == did]
    finally:
        repo.close()
    if not tried:
        raise UserError(f"delivery {did} is queued behind earlier deliveries that are waiting")
    a = tried[0]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(a["time"]))
    outcome = f"HTTP {a['status']}" if a["status"] is not None else a["error"]
    click.echo(f"delivery {did} at {when}: {outcome} in {a['msec']} ms")
    if a["status"] is None or not 200 <= a["status"] < 300:
        raise UserError("the receiver did not acknowledge the ping; it will be retried")
