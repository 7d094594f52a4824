"""Ticket changes made here: the fields, the J cards, concealment, ticket_put.

Fossil 2.21 (``src/tkt.c``) writes a ticket change from two places, and this
module serves both:

* the web pages ``/tktnew`` and ``/tktedit`` (``submitTicketCmd``): every
  field of the ticket tables whose submitted value, trailing white space
  trimmed, differs from the ticket's current value -- or that is a
  ticketchng column and is not empty -- becomes ``J NAME VALUE``; a field
  to append to becomes ``J +NAME VALUE``;
* the command ``fossil ticket add|set`` (``ticket_cmd``): every field given
  on the command line with a non-empty value.

Fields are the columns of ``ticket`` and ``ticketchng`` that do not start
with ``tkt_`` and hold no space (:class:`TicketLayout`); a name that is not
one of them is refused (:class:`UnknownField`) and nothing is written.
Values of fields named ``private_*`` are *concealed*: the J card carries the
SHA1 of the text, and the text goes to the ``concealed`` table
(``db_conceal``); :func:`reveal` turns the hash back for those allowed to
see it (capability ``e``).

:func:`put` stores the change as ``ticket_put`` does: held for a moderator
when asked, otherwise delta-compressed against the artifacts named by the
``baseline for F`` columns of the fields it assigns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.artifact import hname
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import Manifest
    from fossilpy.repo.crosslink.tickets import TicketLayout
    from fossilpy.repo.db import Repo
    from fossilpy.repo.docwrite import Stored

_HASH = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class UnknownField(UserError):
    """A field that is not a column of the ticket tables."""


@dataclass
class Edit:
    """One requested change of a field: assign (``append`` False) or append."""

    name: str
    value: str
    append: bool = False


def layout(repo: Repo) -> TicketLayout:
    """The fields of this repository's ticket tables, sorted by name."""
    from fossilpy.repo.crosslink.tickets import TicketLayout

    return TicketLayout.load(repo)


def field_names(repo: Repo) -> list[str]:
    """The ticket fields in Fossil's order (``fossil ticket list fields``)."""
    return list(layout(repo).used)


def resolve(repo: Repo, prefix: str) -> list[str]:
    """The tkt_uuid values that start with ``prefix`` (``GLOB 'prefix*'``)."""
    if not repo.table_exists("ticket"):
        return []
    glob = re.sub(r"([*?\[])", r"[\1]", prefix) + "*"
    return [str(r[0]) for r in repo.all("SELECT tkt_uuid FROM ticket WHERE tkt_uuid GLOB ? LIMIT 3", (glob,))]


def current(repo: Repo, tkt_uuid: str | None) -> dict[str, str]:
    """The ticket row of ``tkt_uuid`` as text ("" for NULL); {} if there is none."""
    if not tkt_uuid or not repo.table_exists("ticket"):
        return {}
    cur = repo.execute("SELECT * FROM ticket WHERE tkt_uuid=?", (tkt_uuid,))
    row = cur.fetchone()
    if row is None:
        return {}
    return {d[0]: ("" if v is None else str(v)) for d, v in zip(cur.description, row, strict=True)}


def conceal(repo: Repo, value: str) -> str:
    """``db_conceal``: the SHA1 standing for ``value`` in a J card (stored in
    ``concealed``); a value that already is a hash stands for itself."""
    if _HASH.fullmatch(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    digest = hname.sha1(data)
    from fossilpy.repo.db import sql_text

    repo.execute(
        "INSERT OR IGNORE INTO concealed(hash,content,mtime)"
        " VALUES(?,CAST(? AS TEXT),CAST(strftime('%s','now') AS INTEGER))",
        (digest, sql_text(value)),
    )
    return digest


def reveal(repo: Repo, value: str) -> str:
    """``db_reveal``: the text a concealed hash stands for, or ``value`` itself."""
    if not value or not repo.table_exists("concealed"):
        return value
    found = repo.one("SELECT content FROM concealed WHERE hash=?", (value,))
    return value if found is None else str(found)


def from_form(repo: Repo, old: dict[str, str], submitted: dict[str, str], appends: dict[str, str]) -> list[Edit]:
    """The J cards of a web submission (``submitTicketCmd``).

    ``submitted`` maps field names to the values the page holds for them
    (those not submitted keep their current value and are left out);
    ``appends`` maps a field to text appended to it."""
    from fossilpy.repo.crosslink.tickets import USED_TICKETCHNG

    lay = layout(repo)
    out: list[Edit] = []
    for name, value in appends.items():
        if name not in lay.used:
            raise UnknownField(f"no such TICKET column: {name}")
        out.append(Edit(name, value, True))
    for name, raw in submitted.items():
        if name not in lay.used:
            raise UnknownField(f"no such ticket field: {name}")
        if name in appends:
            continue
        value = raw.rstrip(" \t\n\r\f\v")
        was = old.get(name, "")
        if (lay.used[name] & USED_TICKETCHNG and value) or value != was:
            out.append(Edit(name, value))
    return out


def from_args(repo: Repo, pairs: list[tuple[str, str]]) -> list[Edit]:
    """The J cards of ``fossil ticket add|set FIELD VALUE ...`` (``+FIELD`` appends)."""
    names = set(layout(repo).used)
    assign: dict[str, str] = {}
    append: dict[str, str] = {}
    for raw, value in pairs:
        name = raw[1:] if raw.startswith("+") else raw
        if name not in names:
            raise UnknownField(f"unknown field name '{name}'!")
        (append if raw.startswith("+") else assign)[name] = value
    out: list[Edit] = []
    for name in sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape")):
        if append.get(name):
            out.append(Edit(name, append[name], True))
        elif assign.get(name):
            out.append(Edit(name, assign[name]))
    return out


def manifest(repo: Repo, tkt_uuid: str, edits: list[Edit], *, user: str, date: str) -> Manifest:
    """The ticket change artifact for ``edits`` (private_* values concealed)."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField

    fields = [
        TicketField(e.name, conceal(repo, e.value) if e.name.startswith("private_") else e.value, e.append)
        for e in edits
    ]
    return Manifest(type=ArtifactType.TICKET, date=date, fields=fields, ticket_uuid=tkt_uuid, user=user)


def put(repo: Repo, m: Manifest, edits: list[Edit], *, moderate: bool) -> Stored:
    """``ticket_put``: store, delta-compress against the baselines of the
    assigned fields, crosslink; one transaction."""
    from fossilpy.repo import docwrite

    tkt_uuid = m.ticket_uuid or ""
    with repo.write():
        lay = layout(repo)
        against: list[int] = []
        cur = repo.execute("SELECT * FROM ticket WHERE tkt_uuid=?", (tkt_uuid,))
        row = cur.fetchone()
        values = dict(zip([d[0] for d in cur.description or ()], row or (), strict=False))
        for e in edits:
            column = lay.baseline.get(e.name)
            if column and not e.append and not e.name.startswith("private_"):
                src = values.get(column)
                if src and int(src) > 0:
                    against.append(int(src))
        return docwrite.commit(
            repo, m, moderate=moderate, tktid=tkt_uuid if moderate else None, deltify_against=tuple(against)
        )


def needs_moderation(repo: Repo, can_moderate: bool) -> bool:
    """``ticket_need_moderation``: the ``modreq-tkt`` option is on and the
    writer lacks capability ``q``."""
    return repo.config_bool("modreq-tkt") and not can_moderate
