"""The ``ticket`` command, as Fossil 2.21's ``fossil ticket`` (``src/tkt.c``).

::

    fossilpy ticket show (REPORTTITLE|REPORTNR) ?TICKETFILTER? ?-l|--limit SEP? ?-q|--quote?
    fossilpy ticket list|ls fields|reports
    fossilpy ticket set|change TICKETUUID (FIELD VALUE)+ ?-q|--quote?
    fossilpy ticket add (FIELD VALUE)+ ?-q|--quote?
    fossilpy ticket history TICKETUUID

``show`` prints the report (0: every column of the ticket table) as lines
of values separated by TAB (or SEP); TICKETFILTER is an SQL condition on
the report's columns.  Without ``--quote`` white space inside a value
prints as a space; with it values are fossilized (``\\s``, ``\\n``, ...),
and the VALUEs of ``add``/``set`` are read that way.  ``+FIELD VALUE``
appends VALUE to FIELD.  ``--user-override USER``, ``--date-override
DATE`` and ``--uuid-override HASH`` set the U, D and (for add) K cards.
The subcommand may be abbreviated.  Messages and exit codes are Fossil's.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import UserError
from fossilpy.text import html_escape

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

_USAGE = "add|change|list|set|show|history"
_WS = " \t\n\v\f\r"


class _Fatal(UserError):
    """A fatal error printed as Fossil prints it."""


def _usage(text: str) -> _Fatal:
    return _Fatal(f"Usage: fossilpy ticket {text}")


@command("ticket", context_settings={"ignore_unknown_options": True, "help_option_names": ["-h", "--help"]})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-l", "--limit", "sep", default=None, metavar="SEP", help="Separator for 'show' (default TAB).")
@click.option("-q", "--quote", is_flag=True, help="Fossilize values in 'show'; decode them in 'add'/'set'.")
@click.option("--user-override", default=None, help="U card user for add/set.")
@click.option("--date-override", default=None, help="D card date for add/set.")
@click.option("--uuid-override", default=None, help="Ticket id of a new ticket.")
@repository_option()
def ticket_cmd(
    args: tuple[str, ...],
    sep: str | None,
    quote: bool,
    user_override: str | None,
    date_override: str | None,
    uuid_override: str | None,
    repository: str | None,
) -> None:
    """Show, list, add and change tickets.

    \b
    fossilpy ticket show (REPORTTITLE|REPORTNR) ?TICKETFILTER? ?-l SEP? ?-q?
    fossilpy ticket list|ls fields|reports
    fossilpy ticket set|change TICKETUUID (FIELD VALUE)+ ?-q?
    fossilpy ticket add (FIELD VALUE)+ ?-q?
    fossilpy ticket history TICKETUUID

    show prints a report (0: every column) as lines of values separated by
    TAB (or SEP); TICKETFILTER is an SQL condition on the report's columns.
    +FIELD VALUE appends VALUE to FIELD.  The subcommand may be abbreviated.
    """
    from fossilpy.repo import users

    with open_repo(repository) as repo:
        user = user_override or users.select_user(repo, os.environ)[1]
        date = _date(repo, date_override or "now")
        if uuid_override is not None and not _is_hex40(uuid_override):
            raise _Fatal("invalid --uuid-override: must be 40 characters of hex")
        if repo.one("SELECT 1 FROM user WHERE login=?", (user,)) is None:
            raise _Fatal(f"no such user: {user}")
        if not args:
            raise _usage(_USAGE)
        sub = args[0]
        n = len(sub)
        if sub == "s":
            raise _usage(_USAGE)
        if "list".startswith(sub) or "ls".startswith(sub):
            _list(repo, args)
        elif "show".startswith(sub):
            if len(args) < 2:
                raise _usage("show REPORTNR")
            _show(repo, args[1], sep, args[2] if len(args) > 2 else None, quote)
        elif any(w.startswith(sub) for w in ("set", "change", "history")):
            if len(args) < 2:
                raise _usage("set|change|history TICKETUUID")
            from fossilpy.repo import tickets_write

            found = tickets_write.resolve(repo, args[1])
            if not found:
                raise _Fatal(f"unknown ticket: '{args[1]}'!")
            if "history".startswith(sub) and n > 0:
                if len(args) != 2:
                    raise _Fatal(f"no other parameters expected to {sub}!")
                _history(repo, found[0])
            else:
                _write(repo, sub, found[0], list(args[2:]), quote, user, date, "set")
        elif "add".startswith(sub):
            from fossilpy.repo.docwrite import new_ticket_uuid

            _write(repo, sub, uuid_override or new_ticket_uuid(), list(args[1:]), quote, user, date, "add")
        else:
            raise _usage("add|fieldlist|set|show|history")


def _is_hex40(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdefABCDEF" for c in text)


def _date(repo: Repo, when: str) -> str:
    """``date_in_standard_format``."""
    from fossilpy.repo.docwrite import now_date

    if when == "now":
        return now_date()
    value = repo.one("SELECT strftime('%Y-%m-%dT%H:%M:%f', ?)", (when,))
    if not value:
        raise _Fatal(f'unrecognized date format ({when}): use "YYYY-MM-DD HH:MM:SS.SSS"')
    return str(value)


def _list(repo: Repo, args: tuple[str, ...]) -> None:
    if len(args) < 2:
        raise _usage("list fields|reports")
    what = args[1]
    if "fields".startswith(what):
        from fossilpy.repo import tickets_write

        for name in tickets_write.field_names(repo):
            _out(name + "\n")
    elif "reports".startswith(what):
        _list_reports(repo)
    else:
        raise _Fatal(f"unknown ticket list option '{what}'!")


def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))


def _list_reports(repo: Repo) -> None:
    from fossilpy.repo import reports

    _out("Available reports:\nreport number\treport title\n0\tfull ticket export\n")
    for rn, title, _owner in reports.all_reports(repo, order="rn"):
        _out(f"{rn}\t{title}\n")


def _show(repo: Repo, which: str, sep: str | None, where: str | None, quote: bool) -> None:
    """``rptshow``."""
    from fossilpy.artifact.manifest import fossilize
    from fossilpy.repo import reports

    if which in ("0", "full ticket export"):
        sql = "SELECT * FROM ticket"
    else:
        rn = _atoi(which)
        report = reports.get(repo, rn) if rn else reports.by_title(repo, which)
        if report is None:
            _list_reports(repo)
            sys.stdout.flush()
            raise _Fatal(f"unknown report format({which})!")
        sql = report.sql
    sql = reports.wrap(sql, where=where)
    result = reports.run(repo, sql)
    if not result.rows:
        return
    gap = "\t" if sep is None else sep

    def cell(value: str | None) -> str:
        if not value:
            return ""
        if quote:
            return fossilize(value)
        return "".join(" " if c in _WS else c for c in value)

    table: list[list[str | None]] = [list(result.columns), *result.rows]
    for row in table:
        _out(gap.join(cell(v) for v in row) + "\n")


def _atoi(text: str) -> int:
    digits = ""
    body = text.lstrip(_WS)
    sign = -1 if body[:1] == "-" else 1
    body = body[1:] if body[:1] in "+-" else body
    for c in body:
        if c not in "0123456789":
            break
        digits += c
    return sign * int(digits) if digits else 0


def _history(repo: Repo, tkt_uuid: str) -> None:
    """``fossil ticket history``: every change, newest first."""
    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content

    tagid = repo.one("SELECT tagid FROM tag WHERE tagname=?", ("tkt-" + tkt_uuid,))
    if tagid is None:
        raise _Fatal(f"no such ticket {tkt_uuid}")
    rows = repo.all(
        "SELECT datetime(mtime), objid, NULL, NULL, NULL FROM event, blob"
        " WHERE objid IN (SELECT rid FROM tagxref WHERE tagid=?1) AND blob.rid=event.objid"
        " UNION SELECT datetime(mtime), attachid, filename, src, user FROM attachment, blob"
        " WHERE target=(SELECT substr(tagname,5) FROM tag WHERE tagid=?1) AND blob.rid=attachid"
        " ORDER BY 1 DESC",
        (tagid,),
    )
    tty = sys.stdout.isatty()
    cols = os.get_terminal_size().columns if tty else 0
    for date, rid, filename, src, user in rows:
        if filename is not None:
            _out(("Delete" if not src else "Add") + f" attachment {filename}\n by {user} on {date}\n")
            continue
        data = content.get(repo, int(rid))
        m = parse_or_none(data) if data is not None else None
        if m is None or m.ticket_uuid is None:
            continue
        _out(f"Ticket Change by {m.user} on {date}:\n")
        for f in m.fields:
            _out(("  Append to " if f.append else "  Change ") + html_escape(f.name) + ": ")
            if len(f.value.encode("utf-8", "surrogateescape")) > 50 or "\n" in f.value:
                _out("\n    ")
                _comment(f.value, cols - 4 if cols else -1)
            else:
                _out(f.value + "\n")


def _comment(text: str, max_chars: int) -> None:
    from fossilpy.cli.history_cmds import _comment_print_legacy

    sys.stdout.flush()
    _comment_print_legacy(sys.stdout.buffer, text, 4, max_chars)
    sys.stdout.buffer.flush()


def _write(repo: Repo, sub: str, tkt_uuid: str, rest: list[str], quote: bool, user: str, date: str, verb: str) -> None:
    """``fossil ticket add|set``: one ticket change from FIELD VALUE pairs."""
    from fossilpy.repo import tickets_write

    if not rest:
        raise _Fatal(f"empty {sub} command aborted!")
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(rest):
        name = rest[i]
        if i + 1 >= len(rest):
            raise _Fatal(f"missing value for '{name}'!")
        value = rest[i + 1]
        pairs.append((name, _unquote(value) if quote else value))
        i += 2
    with repo.write():
        edits = tickets_write.from_args(repo, pairs)
        m = tickets_write.manifest(repo, tkt_uuid, edits, user=user, date=date)
        tickets_write.put(repo, m, edits, moderate=bool(os.environ.get("FOSSIL_FORCE_TICKET_MODERATION")))
    _out(f"ticket {verb} succeeded for {tkt_uuid}\n")


def _unquote(value: str) -> str:
    """A ``--quote`` value typed on the command line, in Fossil's escaping (``\\s``, ``\\n``, ...)."""
    from fossilpy.artifact.manifest import defossilize

    return defossilize(value)
