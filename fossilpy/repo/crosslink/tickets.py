"""The ticket tables: ``ticket`` and ``ticketchng``, rebuilt from ticket changes.

A ticket change artifact (Fossil 2.21 ``www/fileformat.wiki``)::

    D <date>
    J [+]<field> [<value>]     one per field, sorted by name; "+" appends
    K <40 hex>                 the ticket id
    U <user>
    Z <md5>

The tables' layout is the ``ticket-table`` setting (SQL run with an
authorizer that only permits ticket*/fx_* objects), by default
``fossilpy.repo.schema.DEFAULT_TICKET_TABLE``.  Columns named ``tkt_*`` are
bookkeeping (tkt_id, tkt_uuid, tkt_mtime, tkt_ctime; ticketchng tkt_rid,
tkt_user); other columns without a space are fields.  A column
``"baseline for F"`` of type INTEGER records the rid that last assigned F.

Rebuilding one ticket (``rebuild_entry``, Fossil's ``ticket_rebuild_entry``)
replays all its changes -- the artifacts tagged ``tkt-UUID`` -- in time order:

* ticket fields named by J cards are assigned (``+name`` appends to the old
  value); tkt_mtime is the change's date, tkt_ctime the first one's;
* each change adds a ticketchng row holding the J values of ticketchng
  columns, tkt_rid, tkt_user, and the current ticket value of every field
  present in both tables that the change did not set;
* J fields that are not columns are ignored;
* each change gets an ``event`` row of type 't' whose comment is built from
  the title (setting ``ticket-title-expr``, default "title") and status
  (``ticket-status-column``, default "status");
* backlinks (srctype 1, srcid = the change's rid) come from ticketchng
  field values as they are applied, and from the final values of ticket-only
  fields.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField
from fossilpy.errors import StorageError
from fossilpy.markup.wiki_parse import MT_NONE, parse_mimetype
from fossilpy.repo import backlink
from fossilpy.repo.backlink import py_text
from fossilpy.repo.crosslink.tags import hash_digits, htmlize, tag_id
from fossilpy.repo.db import Repo, sql_text

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.crosslink.state import Batch

USED_TICKET = 1
USED_TICKETCHNG = 2
USED_BOTH = 3


def _ident(name: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


# -- table creation --------------------------------------------------------


def _schema_authorizer(
    action: int, arg1: str | None, arg2: str | None, dbname: str | None, _src: str | None
) -> int:
    """Allow only what a ticket schema may do (Fossil's ticket_schema_auth)."""

    def low(x: str | None) -> str:
        return (x or "").lower()

    main = low(dbname) in ("main", "repository")
    if action in (sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_VIEW,
                  sqlite3.SQLITE_DROP_VIEW):
        ok = main and low(arg1).startswith(("ticket", "fx_"))
    elif action in (sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX):
        ok = main and (low(arg2).startswith("ticket") or low(arg1).startswith("fx_"))
    elif action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE):
        ok = main and low(arg1).startswith(("ticket", "sqlite_", "fx_"))
    elif action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_REINDEX,
                    sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_READ):
        ok = True
    else:
        ok = False
    return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY


def create_tables(repo: Repo) -> None:
    """Drop and re-create ticket/ticketchng from the ``ticket-table`` setting.

    The setting's SQL may only create/drop ticket* and fx_* objects; anything
    else raises StorageError and leaves the transaction to be rolled back.
    """
    from fossilpy.repo.schema import ticket_table_sql

    sql = ticket_table_sql(repo)
    with repo.write():
        repo.execute("DROP TABLE IF EXISTS ticket")
        repo.execute("DROP TABLE IF EXISTS ticketchng")
        repo.db.set_authorizer(_schema_authorizer)
        try:
            for statement in _statements(sql):
                repo.execute(statement)
        except sqlite3.Error as exc:
            raise StorageError(f"bad ticket-table setting: {exc}") from None
        finally:
            repo.db.set_authorizer(None)


def _statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (a ";" inside quotes or a
    trigger body does not end one)."""
    out: list[str] = []
    start = 0
    for i, c in enumerate(script):
        if c == ";" and sqlite3.complete_statement(script[start : i + 1]):
            out.append(script[start : i + 1])
            start = i + 1
    if script[start:].strip():
        out.append(script[start:])
    return out


# -- layout ----------------------------------------------------------------


@dataclass
class TicketLayout:
    """Which fields the ticket tables have (Fossil's getAllTicketFields)."""

    have_ticket: bool = False
    have_ctime: bool = False
    have_chng: bool = False
    have_chng_rid: bool = False
    have_chng_user: bool = False
    #: field name -> USED_* bits, in byte order of the names
    used: dict[str, int] = field(default_factory=dict)
    #: field name -> its "baseline for NAME" column
    baseline: dict[str, str] = field(default_factory=dict)
    gen_mimetype_ticket: bool = False
    gen_mimetype_chng: bool = False

    @classmethod
    def load(cls, repo: Repo) -> TicketLayout:
        lay = cls()
        used: dict[str, int] = {}
        baselines = 0
        for _cid, name, ctype, *_ in repo.all("PRAGMA table_info(ticket)"):
            lay.have_ticket = True
            if name.startswith("tkt_"):
                lay.have_ctime |= name == "tkt_ctime"
                continue
            if name.startswith("baseline for "):
                baselines += ctype == "INTEGER"
                continue
            if " " in name:
                continue
            used[name] = USED_TICKET
        if baselines:
            ints = {
                r[0]
                for r in repo.all(
                    "SELECT name FROM pragma_table_info('ticket') WHERE type='INTEGER'"
                )
            }
            for name in used:
                if "baseline for " + name in ints:
                    lay.baseline[name] = "baseline for " + name
        for _cid, name, *_ in repo.all("PRAGMA table_info(ticketchng)"):
            lay.have_chng = True
            if name.startswith("tkt_"):
                lay.have_chng_rid |= name == "tkt_rid"
                lay.have_chng_user |= name == "tkt_user"
                continue
            if " " in name:
                continue
            used[name] = used.get(name, 0) | USED_TICKETCHNG
        lay.used = dict(
            sorted(used.items(), key=lambda kv: kv[0].encode("utf-8", "surrogateescape"))
        )
        if "mimetype" not in used:
            lay.gen_mimetype_ticket = bool(
                repo.one("SELECT 1 FROM pragma_table_xinfo('ticket') WHERE name='mimetype'")
            )
            lay.gen_mimetype_chng = bool(
                repo.one("SELECT 1 FROM pragma_table_xinfo('ticketchng') WHERE name='mimetype'")
            )
        return lay


# -- one change --------------------------------------------------------------


@dataclass
class _Card:
    value: str
    mimetype: int
    rid: int
    mtime: float


def _field_name(f: TicketField) -> str:
    return ("+" if f.append else "") + f.name


def _apply_change(  # noqa: C901 - one branch per J card form, as Fossil's ticket_insert
    repo: Repo, lay: TicketLayout, m: Manifest, rid: int, tktid: int,
    latest: dict[str, list[_Card]], batch: Batch,
) -> int:
    """Apply ticket change ``m`` (rid) to the ticket row ``tktid`` (0: create it)."""
    if tktid == 0:
        tktid = int(repo.execute(
            "INSERT INTO ticket(tkt_uuid, tkt_mtime) VALUES(?, 0)", (m.ticket_uuid,)
        ).lastrowid or 0)
    sets = ["tkt_mtime=:mtime"]
    params: dict[str, Any] = {"mtime": m.julian}
    if lay.have_ctime:
        sets.append("tkt_ctime=coalesce(tkt_ctime,:mtime)")
    chng_cols: list[str] = []
    chng_vals: list[str] = []
    applied: set[str] = set()
    mt_ticket = mt_chng = MT_NONE
    for i, f in enumerate(m.fields):
        base = f.name
        bits = lay.used.get(base)
        if bits is None:
            continue
        applied.add(base)
        key = f"v{i}"
        params[key] = sql_text(f.value)
        col = _ident(base)
        value = f"CAST(:{key} AS TEXT)"
        if bits & USED_TICKET:
            if f.append:
                sets.append(f"{col}=coalesce({col},'') || {value}")
            else:
                sets.append(f"{col}={value}")
                if base in lay.baseline:
                    sets.append(f"{_ident(lay.baseline[base])}={int(rid)}")
        if bits & USED_TICKETCHNG:
            chng_cols.append(col)
            chng_vals.append(value)
        if base == "mimetype":
            mt_ticket = mt_chng = parse_mimetype(f.value)
    sql = f"UPDATE OR REPLACE ticket SET {', '.join(sets)} WHERE tkt_id={int(tktid)}"
    if lay.gen_mimetype_ticket:
        row = repo.execute(sql + " RETURNING CAST(mimetype AS BLOB)", params).fetchone()
        mt_ticket = parse_mimetype(py_text(row[0]) if row else None)
        if not lay.gen_mimetype_chng:
            mt_chng = mt_ticket
    else:
        repo.execute(sql, params)
    if chng_cols or lay.have_chng_rid or lay.have_chng_user:
        if lay.have_chng_rid:
            chng_cols.append("tkt_rid")
            chng_vals.append(str(int(rid)))
        if lay.have_chng_user and m.user is not None:
            chng_cols.append("tkt_user")
            chng_vals.append("CAST(:user AS TEXT)")
            params["user"] = sql_text(m.user)
        from_ticket = False
        for name, bits in lay.used.items():
            if name not in applied and bits & USED_BOTH == USED_BOTH:
                from_ticket = True
                chng_cols.append(_ident(name))
                chng_vals.append(_ident(name))
        cols = "".join("," + c for c in chng_cols)
        vals = "".join("," + v for v in chng_vals)
        returning = " RETURNING CAST(mimetype AS BLOB)" if lay.gen_mimetype_chng else ""
        if from_ticket:
            sql = (
                f"INSERT INTO ticketchng(tkt_id,tkt_mtime{cols})"
                f" SELECT {int(tktid)},:mtime{vals} FROM ticket"
                f" WHERE tkt_id={int(tktid)}{returning}"
            )
        else:
            sql = (
                f"INSERT INTO ticketchng(tkt_id,tkt_mtime{cols})"
                f" VALUES({int(tktid)},:mtime{vals}){returning}"
            )
        cur = repo.execute(sql, params)
        if returning:
            row = cur.fetchone()
            mt_chng = parse_mimetype(py_text(row[0]) if row else None)
            if not lay.gen_mimetype_ticket:
                mt_ticket = mt_chng
            elif mt_chng == MT_NONE:
                mt_chng = mt_ticket
            elif mt_ticket == MT_NONE:
                mt_ticket = mt_chng
    if rid > 0:
        for f in m.fields:
            bits = lay.used.get(f.name)
            if bits is None:
                continue
            if bits & USED_TICKETCHNG:
                backlink.extract(
                    batch, f.value, mt_chng, backlink.SRC_TICKET, rid, m.julian, replace=False
                )
            else:
                cards = latest.setdefault(f.name, [])
                if cards and not f.append:
                    cards.clear()
                cards.append(_Card(f.value, mt_ticket, rid, m.julian))
    return tktid


def _ticket_event(
    batch: Batch, rid: int, m: Manifest, is_new: bool, tagid: int, cols: tuple[str, str] | None = None
) -> None:
    """The event row (type 't') of one ticket change; ``cols`` are the title and
    status columns (the ``ticket-title-expr`` and ``ticket-status-column`` config)."""
    repo = batch.repo
    when = batch.real(m.julian)
    title_col, status_col = cols or _title_status(repo)
    uuid = m.ticket_uuid or ""
    long_id = uuid[: hash_digits(repo, True)]
    short_id = uuid[: hash_digits(repo, False)]

    def column(name: str) -> str:
        try:
            row = repo.row(
                f"SELECT CAST({_ident(name)} AS BLOB) FROM ticket WHERE tkt_uuid=?", (uuid,)
            )
        except sqlite3.Error:
            row = None
        if row is None:
            return "unknown"
        return "" if row[0] is None else str(py_text(row[0]))

    title = column(title_col)
    n = len(m.fields)
    if is_new:
        comment = f"New ticket [{long_id}|{short_id}] <i>{htmlize(title)}</i>."
        brief = f"New ticket [{long_id}|{short_id}]."
    else:
        status = None
        for f in m.fields:
            if _field_name(f) == status_col:
                status = f.value
        if status is not None:
            comment = (
                f"{htmlize(status)} ticket [{long_id}|{short_id}]: <i>{htmlize(title)}</i>"
            )
            if n > 1:
                comment += f" plus {n - 1} other change{'' if n == 2 else 's'}"
            brief = f"{htmlize(status)} ticket [{long_id}|{short_id}]."
        else:
            status = column(status_col)
            comment = (
                f"Ticket [{long_id}|{short_id}] <i>{htmlize(title)}</i> status still"
                f" {htmlize(status)} with {n} other change{'' if n == 1 else 's'}"
            )
            brief = f"Ticket [{long_id}|{short_id}]: {n} change{'' if n == 1 else 's'}"
    if repo.one("SELECT 1 FROM event WHERE type='t' AND objid=?", (rid,)):
        repo.execute(
            "UPDATE event SET tagid=?, mtime=?, user=CAST(? AS TEXT), comment=CAST(? AS TEXT),"
            " brief=CAST(? AS TEXT) WHERE objid=?",
            (tagid, when, sql_text(m.user), sql_text(comment), sql_text(brief), rid),
        )
    else:
        repo.execute(
            "REPLACE INTO event(type,tagid,mtime,objid,user,comment,brief)"
            " VALUES('t',?,?,?,CAST(? AS TEXT),CAST(? AS TEXT),CAST(? AS TEXT))",
            (tagid, when, rid, sql_text(m.user), sql_text(comment), sql_text(brief)),
        )


def _title_status(repo: Repo) -> tuple[str, str]:
    return (str(repo.config_get("ticket-title-expr", "title")),
            str(repo.config_get("ticket-status-column", "status")))


def _load_ticket_change(repo: Repo, rid: int) -> Manifest | None:
    from fossilpy.artifact import manifest
    from fossilpy.repo import content

    data = content.get(repo, rid)
    if data is None:
        return None
    m = manifest.parse_or_none(data)
    if m is None or m.type != ArtifactType.TICKET:
        return None
    return m


# -- whole tickets -----------------------------------------------------------


def rebuild_entry(batch: Batch, uuid: str, layout: TicketLayout | None = None) -> None:
    """Rebuild ticket ``uuid`` from all of its change artifacts."""
    repo = batch.repo
    lay = layout if layout is not None else TicketLayout.load(repo)
    tagid = tag_id(repo, "tkt-" + uuid, True)
    if not lay.have_ticket:
        return
    tktid = repo.one("SELECT tkt_id FROM ticket WHERE tkt_uuid=?", (uuid,), 0)
    if tktid and not batch.rebuilding and _apply_newest(batch, lay, tagid, tktid):
        return
    if tktid:
        batch.search_touch("t-", tktid)  # unindex the old text while the row still has it
    if lay.have_chng:
        repo.execute("DELETE FROM ticketchng WHERE tkt_id=?", (tktid,))
    repo.execute("DELETE FROM ticket WHERE tkt_id=?", (tktid,))
    tktid = 0
    repo.execute(
        "DELETE FROM backlink WHERE srctype=? AND srcid IN"
        " (SELECT rid FROM tagxref WHERE tagid=?)",
        (backlink.SRC_TICKET, tagid),
    )
    latest: dict[str, list[_Card]] = {}
    first = True
    rids = [
        r[0] for r in repo.all("SELECT rid FROM tagxref WHERE tagid=? ORDER BY mtime", (tagid,))
    ]
    cols = _title_status(repo)
    for rid in rids:
        m = _load_ticket_change(repo, rid)
        if m is not None:
            tktid = _apply_change(repo, lay, m, rid, tktid, latest, batch)
            _ticket_event(batch, rid, m, first, tagid, cols)
        first = False
    if tktid:
        batch.search_touch("t", tktid)
    for name in lay.used:
        for card in latest.get(name, ()):
            backlink.extract(
                batch, card.value, card.mimetype, backlink.SRC_TICKET, card.rid, card.mtime,
                replace=False,
            )


def _apply_newest(batch: Batch, lay: TicketLayout, tagid: int, tktid: int) -> bool:
    """Apply a ticket's one new change on top of its row, if that gives what the
    full replay of :func:`rebuild_entry` would; False (nothing done) otherwise.

    Fossil replays every change of a ticket each time one arrives, so the
    cost of a change grows with the ticket's history.  The replay's result
    up to the change before the new one is the row as it stands, so when the
    new change is the only one not applied yet (no event row) and is newer
    than every other, applying it alone is the same, except that the ticket
    keeps its ``tkt_id`` (a replay gives it a new one; ``tkt_id`` is local).
    Backlinks: the replay keeps those of each field's latest values; a field
    the change sets (not appends) whose current value has a link would lose
    it, which only the replay does, so that case replays.
    """
    repo = batch.repo
    rows = repo.all(
        "SELECT tagxref.rid, tagxref.mtime, event.objid IS NULL FROM tagxref"
        " LEFT JOIN event ON event.objid=tagxref.rid AND event.type='t'"
        " WHERE tagxref.tagid=? ORDER BY tagxref.mtime",
        (tagid,),
    )
    if len(rows) < 2 or not rows[-1][2] or any(r[2] for r in rows[:-1]) or rows[-2][1] >= rows[-1][1]:
        return False
    rid = int(rows[-1][0])
    m = _load_ticket_change(repo, rid)
    if m is None:
        return False
    for f in m.fields:
        bits = lay.used.get(f.name)
        if bits is None or bits & USED_TICKETCHNG or f.append:
            continue
        row = repo.row(f"SELECT CAST({_ident(f.name)} AS BLOB) FROM ticket WHERE tkt_id=?", (tktid,))
        if row is not None and row[0] is not None and b"[" in row[0]:
            return False
    batch.search_touch("t-", tktid)
    latest: dict[str, list[_Card]] = {}
    _apply_change(repo, lay, m, rid, tktid, latest, batch)
    _ticket_event(batch, rid, m, False, tagid)
    batch.search_touch("t", tktid)
    for name in lay.used:
        for card in latest.get(name, ()):
            backlink.extract(
                batch, card.value, card.mimetype, backlink.SRC_TICKET, card.rid, card.mtime, replace=False
            )
    return True


def rebuild_all(batch: Batch) -> None:
    """Re-create the ticket tables and rebuild every ticket (``tkt-*`` tags)."""
    repo = batch.repo
    create_tables(repo)
    lay = TicketLayout.load(repo)
    for (name,) in repo.all("SELECT tagname FROM tag WHERE tagname GLOB 'tkt-*'"):
        uuid = name[4:]
        if len(uuid) < 20 or any(c not in "0123456789abcdefABCDEF" for c in uuid):
            continue
        rebuild_entry(batch, uuid, lay)
