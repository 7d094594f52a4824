"""The ``attachment`` command (Fossil 2.21's ``attachment_cmd`` in
``src/attach.c``) and ``test-list-attachments``.

\b
fossilpy attachment add PAGENAME FILENAME
fossilpy attachment add FILENAME -t|--technote DATETIME|TECHNOTE-ID
    Attach FILENAME (its name without directories) to an existing wiki
    page, or to the technote with that id (or id prefix), or the newest
    technote at that time ("now" or YYYY-MM-DDTHH:MM:SS.SSS, which may be
    cut short, with a space for the "T" and a -HH:MM/+HH:MM or Z zone).
    The attachment has no description; it is not moderated.

Fossil 2.21 has no other subcommand: anything else (``list`` included)
prints the usage and exits 1.  ``test-list-attachments ?-latest?
?TARGET-PREFIX ...?`` lists the attachment table, as Fossil's test
command does.
"""

from __future__ import annotations

import os

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import UserError

_USAGE = "Usage: fossil attachment add ?PAGENAME? FILENAME [-t|--technote DATETIME ]"


def _take(words: list[str], long: str, short: str) -> str | None:
    """Fossil's ``find_option(long, short, 1)``: remove the option and return its value."""
    names = {"-" + long, "--" + long, "-" + short, "--" + short}
    for i, word in enumerate(words):
        if word == "--":
            return None
        head, eq, tail = word.partition("=")
        if eq and head in names:
            del words[i]
            return tail
        if word in names and i + 1 < len(words):
            value = words[i + 1]
            del words[i : i + 2]
            return value
    return None


@command(
    "attachment",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@repository_option()
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def attachment_cmd(repository: str | None, words: tuple[str, ...]) -> None:
    """Add an attachment to a wiki page or technote: attachment add ?PAGENAME? FILENAME [-t|--technote DATETIME|ID]"""
    from fossilpy.repo import attach, users

    args = list(words)
    repository = _take(args, "repository", "R") or repository
    with open_repo(repository) as repo:
        if not args or not args[0] or not "add".startswith(args[0]):
            raise UserError(_USAGE)
        technote = _take(args, "technote", "t")
        if technote is None:
            if len(args) != 3:
                raise UserError("Usage: fossil attachment add PAGENAME FILENAME")
            page, filename = args[1], args[2]
            rid = repo.one(
                "SELECT x.rid FROM tag t, tagxref x WHERE x.tagid=t.tagid AND t.tagname=CAST(? AS TEXT)"
                " ORDER BY x.mtime DESC LIMIT 1",
                (_sql("wiki-" + page),),
                0,
            )
            if not _has_text(repo, rid, "wiki"):
                raise UserError(f"wiki page [{page}] not found")
            target = page
        else:
            if len(args) != 2:
                raise UserError("Usage: fossil attachment add FILENAME --technote DATETIME|TECHNOTE-ID")
            filename = args[1]
            rid = attach.technote_rid(repo, technote)
            if rid < 0:
                raise UserError(f"ambiguous tech note id: {technote}")
            if not _has_text(repo, rid, "technote"):
                raise UserError(f"technote [{technote}] not found")
            target = str(
                repo.one(
                    "SELECT substr(tagname,7) FROM tag WHERE tagid=(SELECT tagid FROM event WHERE objid=?)", (rid,), ""
                )
            )
        try:
            with open(filename, "rb") as f:
                data = f.read()
        except OSError:
            raise UserError(f"no such file: {filename}") from None
        user = users.select_user(repo, os.environ)[1]
        attach.add(repo, name=filename, target=target, data=data, comment="", user=user)
    if technote is None:
        click.echo(f"Attached {filename} to wiki page {page}.")
    else:
        click.echo(f"Attached {filename} to tech note {technote}.")


def _sql(text: str) -> object:
    from fossilpy.repo.db import sql_text

    return sql_text(text)


def _has_text(repo: object, rid: int, kind: str) -> bool:
    """True if ``rid`` is a wiki page (or technote) artifact with a W card (``manifest_get``)."""
    from fossilpy.artifact.manifest import ArtifactType, parse_or_none
    from fossilpy.repo import content
    from fossilpy.repo.db import Repo

    assert isinstance(repo, Repo)
    if rid <= 0:
        return False
    data = content.get(repo, rid)
    m = parse_or_none(data) if data is not None else None
    want = ArtifactType.WIKI if kind == "wiki" else ArtifactType.EVENT
    return m is not None and m.type == want and m.text is not None


@command("test-list-attachments")
@repository_option()
@click.option("-latest", "--latest", "latest", is_flag=True, help="List only the latest version of each attachment.")
@click.argument("targets", nargs=-1)
def test_list_attachments_cmd(repository: str | None, latest: bool, targets: tuple[str, ...]) -> None:
    """List attachments whose target starts with each TARGET (default [a-zA-Z]): ?-latest? ?TARGET...?"""
    with open_repo(repository, readonly=True) as repo:
        for prefix in targets or ("[a-zA-Z]",):
            rows = repo.all(
                "SELECT datetime(mtime), coalesce(src,''), target, filename FROM attachment"
                " WHERE target GLOB CAST(? AS TEXT) || '*' AND (isLatest OR ?)"
                " ORDER BY target, isLatest DESC, mtime DESC",
                (_sql(prefix), 0 if latest else 1),
            )
            for when, src, target, filename in rows:
                click.echo(f"{target:<20} {when} {src[:12]} {filename}")
