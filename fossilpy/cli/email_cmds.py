"""``fossilpy email-inbound REPO``: post a reply to an alert email (see www/doc/email-inbound.md)."""

from __future__ import annotations

import os
import sys

import click

from fossilpy.cli.common import command
from fossilpy.errors import RepositoryBusy, StorageError


@command("email-inbound")
@click.argument("repo_arg", metavar="REPO", required=False)
@click.option("-R", "--repository", "repository", metavar="FILE", default=None, help="The repository file to use.")
@click.option(
    "--recipient",
    metavar="ADDR",
    default=None,
    help="Envelope recipient (default: $ORIGINAL_RECIPIENT or $RECIPIENT as postfix and exim set them).",
)
@click.option("--logfile", metavar="FILE", default=None, help="Append a line for each refused message to FILE.")
def email_inbound_cmd(repo_arg: str | None, repository: str | None, recipient: str | None, logfile: str | None) -> None:
    """Post the email on standard input as a reply to the alert it answers.

    Run by an MTA pipe alias for the address in the email-reply-address
    setting.  A reply to a forum alert becomes a forum reply, a reply to a
    ticket alert a ticket comment, by the subscriber's user.  Quoted text
    and the signature are left out; a message delivered twice is posted
    once.  Exit codes (sysexits.h): 0 posted (or already posted, or an
    automatic reply ignored), 65 no usable text, 67 no valid reply
    address (forged, expired), 77 sender or user not allowed, 75 the
    repository is busy (the MTA retries), 78 misconfigured.  A refusal is
    one line on standard error and writes nothing.
    """
    from fossilpy.backoffice import inbound
    from fossilpy.cli.common import resolve_repository
    from fossilpy.repo.db import Repo

    path = resolve_repository(repository or repo_arg)
    assert path is not None
    rcpt = recipient or os.environ.get("ORIGINAL_RECIPIENT") or os.environ.get("RECIPIENT")
    data = sys.stdin.buffer.read(inbound.MAX_MESSAGE + 1)
    if data.startswith(b"From "):  # an mbox envelope line some pipes prepend
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    try:
        repo = Repo.open(path)
    except RepositoryBusy as exc:
        raise inbound.Refused(str(exc), inbound.EX_TEMPFAIL) from None
    except StorageError as exc:
        raise inbound.Refused(str(exc), inbound.EX_CONFIG) from None
    try:
        outcome = inbound.receive(repo, data, recipient=rcpt)
    except inbound.Refused as exc:
        _log(logfile, f"email-inbound {path}: refused ({exc.exit_code}): {exc}")
        raise
    except RepositoryBusy as exc:
        raise inbound.Refused(str(exc), inbound.EX_TEMPFAIL) from None
    finally:
        repo.close()
    if outcome.status == "posted":
        click.echo(outcome.message)
    else:
        _log(logfile, f"email-inbound {path}: {outcome.message}")
        click.echo(f"fossilpy: {outcome.message}", err=True)


def _log(logfile: str | None, line: str) -> None:
    if not logfile:
        return
    from fossilpy import log

    log.configure(logfile)
    log.get(__name__).warning(line)
