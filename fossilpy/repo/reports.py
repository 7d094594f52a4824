"""Ticket reports: the ``reportfmt`` table and report SQL run under guard.

A report (Fossil 2.21 ``src/report.c``) is a row of ``reportfmt``: ``rn``,
``title``, ``owner``, ``cols`` (the colour key: one ``COLOR LABEL`` per
line), ``sqlcode`` (one SELECT), ``jx`` (JSON: ``desc``, ``descmt``,
``tag``).  Its SQL is written by users, so it runs under Fossil's report
authorizer (``report_query_authorizer``):

* only SELECT, WITH RECURSIVE and function calls are allowed; anything else
  (INSERT, UPDATE, PRAGMA, ATTACH, CREATE, ...) fails with "only SELECT
  statements are allowed";
* only these tables may be read: backlink, blob, event, filename,
  json_each, json_tree, mlink, plink, tag, tagxref, ticket, ticketchng,
  unversioned, and any ``fx_*`` table; any other gives
  ``access to table "NAME" is restricted``;
* columns named ``private_*`` read as NULL unless the reader may see email
  addresses (capability ``e``);
* the statement must be one SELECT or WITH (``verify_sql_statement``);
* it runs on the caller's connection, whose progress handler holds it to
  the request's time budget.

Parameters ``$login`` (the reader), ``$NAME``, ``@NAME``, ``:NAME`` (a
request value; NAME starting with a lower-case letter) are bound as in
``db_exec_readonly``; others are NULL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

_ALLOWED = frozenset(
    "backlink blob event filename json_each json_tree mlink plink tag tagxref ticket ticketchng unversioned".split()
)
_SQLITE_RECURSIVE = 33

#: Fossil's default report SQL and colour key (``ticket-report-template``, ``ticket-key-template``)
DEFAULT_REPORT = """SELECT
  CASE WHEN status IN ('Open','Verified') THEN '#f2dcdc'
       WHEN status='Review' THEN '#e8e8e8'
       WHEN status='Fixed' THEN '#cfe8bd'
       WHEN status='Tested' THEN '#bde5d6'
       WHEN status='Deferred' THEN '#cacae5'
       ELSE '#c8c8c8' END AS 'bgcolor',
  substr(tkt_uuid,1,10) AS '#',
  datetime(tkt_mtime) AS 'mtime',
  type,
  status,
  subsystem,
  title,
  comment AS '_comments'
FROM ticket
"""
DEFAULT_KEY = """#ffffff Key:
#f2dcdc Active
#e8e8e8 Review
#cfe8bd Fixed
#bde5d6 Tested
#cacae5 Deferred
#c8c8c8 Closed
"""


class ReportError(UserError):
    """Report SQL that may not or cannot run; the message is Fossil's."""


@dataclass
class Result:
    """What a report produced: column names and rows of text (None for NULL)."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Report:
    """One row of ``reportfmt``."""

    rn: int
    title: str
    owner: str
    key: str
    sql: str
    desc: str | None = None
    descmt: str | None = None
    tag: str | None = None


def _authorizer(errors: list[str], read_private: bool) -> Callable[..., int]:
    def check(code: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None) -> int:
        if errors:
            return sqlite3.SQLITE_DENY
        if code in (sqlite3.SQLITE_SELECT, _SQLITE_RECURSIVE, sqlite3.SQLITE_FUNCTION):
            return sqlite3.SQLITE_OK
        if code == sqlite3.SQLITE_READ:
            if arg1 is None:
                return sqlite3.SQLITE_IGNORE
            if arg1.lower() not in _ALLOWED and not arg1.lower().startswith("fx_"):
                errors.append(f'access to table "{arg1}" is restricted')
                return sqlite3.SQLITE_DENY
            if not read_private and (arg2 or "").lower().startswith("private_"):
                return sqlite3.SQLITE_IGNORE
            return sqlite3.SQLITE_OK
        errors.append("only SELECT statements are allowed")
        return sqlite3.SQLITE_DENY

    return check


class _Params(dict[str, Any]):
    """Named parameters: request values by name, NULL for anything else."""

    def __init__(self, login: str | None, values: Mapping[str, str]) -> None:
        super().__init__()
        self.login = login
        self.request = values

    def __missing__(self, key: str) -> Any:
        if key == "login":
            return self.login
        if key[:1].islower() and key[:1].isascii():
            return self.request.get(key)
        return None


def verify(repo: Repo, sql: str) -> str | None:
    """``verify_sql_statement``: None if ``sql`` may be saved as a report, else why not."""
    text = sql.lstrip()
    if not (text[:6].lower() == "select" or text[:4].lower() == "with"):
        return "The SQL must be a SELECT or WITH statement"
    for i, c in enumerate(sql):
        if c == ";" and sqlite3.complete_statement(sql[: i + 1]):
            return "Semi-colon detected! Only a single SQL statement is allowed"
    errors: list[str] = []
    repo.db.set_authorizer(_authorizer(errors, True))
    try:
        repo.db.execute("EXPLAIN " + sql, _Params(None, {})).fetchall()
    except sqlite3.Error as exc:
        if not errors:
            return f"Syntax error: {exc}"
    except (ValueError, sqlite3.Warning) as exc:
        return f"Syntax error: {exc}"
    finally:
        repo.db.set_authorizer(None)
    return errors[0] if errors else None


#: the share of a request's remaining time a report may use, and the cap without a request
REPORT_SHARE = 0.5
REPORT_SECONDS = 30.0
_VDBE_OP_LIMIT = 10000  # report_restrict_sql: SQLITE_LIMIT_VDBE_OP


def run(
    repo: Repo,
    sql: str,
    *,
    login: str | None = None,
    values: Mapping[str, str] | None = None,
    read_private: bool = False,
    limit: int = 0,
    seconds: float | None = None,
) -> Result:
    """Run report SQL under the authorizer; errors are in ``Result.error``.

    Values come back as SQLite's text of them (a REAL as SQLite prints it),
    None for NULL.  ``limit`` > 0 stops after that many rows.  The query
    may use ``seconds`` (default: half of what is left of the request's
    time budget, at most :data:`REPORT_SECONDS`; None outside a request
    means no limit, as ``fossil ticket show``); past it the report stops
    with an error and the page is still shown."""
    import time

    from fossilpy import budget
    from fossilpy.repo.db import PROGRESS_STEPS

    out = Result()
    errors: list[str] = []
    current = budget.current()
    if seconds is None and current is not None:
        seconds = min(REPORT_SECONDS, max(0.0, (current.deadline - time.monotonic()) * REPORT_SHARE))
    deadline = None if seconds is None else time.monotonic() + seconds
    late = [False]

    def progress() -> int:
        if deadline is not None and time.monotonic() > deadline:
            late[0] = True
            return 1
        return budget.sqlite_progress()

    db = repo.db
    old_ops = db.getlimit(sqlite3.SQLITE_LIMIT_VDBE_OP)
    db.setlimit(sqlite3.SQLITE_LIMIT_VDBE_OP, _VDBE_OP_LIMIT)
    db.set_authorizer(_authorizer(errors, read_private))
    db.set_progress_handler(progress, PROGRESS_STEPS // 10)
    try:
        cur = db.execute(sql, _Params(login, values or {}))
        out.columns = [d[0] for d in cur.description or ()]
        db.set_authorizer(None)
        db.setlimit(sqlite3.SQLITE_LIMIT_VDBE_OP, old_ops)
        for row in cur:
            out.rows.append([_text(repo, v) for v in row])
            budget.charge(sum(len(v) for v in out.rows[-1] if v) + 16)
            if limit and len(out.rows) >= limit:
                break
    except sqlite3.Error as exc:
        if late[0]:
            out.error = f"the report ran longer than {seconds:.1f} seconds and was stopped"
        else:
            out.error = errors[0] if errors else str(exc)
    except (ValueError, sqlite3.Warning) as exc:
        out.error = errors[0] if errors else str(exc)
    finally:
        db.set_authorizer(None)
        db.setlimit(sqlite3.SQLITE_LIMIT_VDBE_OP, old_ops)
        db.set_progress_handler(budget.sqlite_progress, PROGRESS_STEPS)
    return out


def _text(repo: Repo, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape").split("\0", 1)[0]
    if isinstance(value, float):
        return str(repo.db.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0])
    return str(value)


def _has_jx(repo: Repo) -> bool:
    return repo.one("SELECT 1 FROM pragma_table_info('reportfmt') WHERE name='jx'") is not None


def ensure_jx(repo: Repo) -> None:
    """``report_update_reportfmt_table``: add the ``jx`` column (call inside a write)."""
    if not _has_jx(repo):
        repo.execute("ALTER TABLE reportfmt ADD COLUMN jx TEXT DEFAULT '{}'")


def get(repo: Repo, rn: int) -> Report | None:
    """Report number ``rn``."""
    return _one(repo, _BY_RN, rn)


def by_title(repo: Repo, title: str, *, glob: bool = False) -> Report | None:
    """The report titled ``title`` (or matching it as a GLOB)."""
    return _one(repo, _BY_GLOB if glob else _BY_TITLE, title)


def by_tag(repo: Repo, tag: str) -> int:
    """The rn of the report whose ``jx`` tag is ``tag`` (0: none)."""
    if not _has_jx(repo):
        return 0
    return int(repo.one("SELECT rn FROM reportfmt WHERE json_valid(jx) AND jx->>'tag'=?", (tag,), 0) or 0)


_BY_RN = "SELECT rn, title, owner, cols, sqlcode, {jx} FROM reportfmt WHERE rn=? LIMIT 1"
_BY_TITLE = "SELECT rn, title, owner, cols, sqlcode, {jx} FROM reportfmt WHERE title=? LIMIT 1"
_BY_GLOB = "SELECT rn, title, owner, cols, sqlcode, {jx} FROM reportfmt WHERE title GLOB ? LIMIT 1"
_JX = (
    "CASE WHEN json_valid(jx) THEN jx->>'desc' END, CASE WHEN json_valid(jx) THEN jx->>'descmt' END,"
    " CASE WHEN json_valid(jx) THEN jx->>'tag' END"
)


def _one(repo: Repo, query: str, key: Any) -> Report | None:
    if _has_jx(repo):
        row = repo.row(query.replace("{jx}", _JX), (key,))
    else:
        row = repo.row(query.replace("{jx}", "NULL, NULL, NULL"), (key,))
    if row is None:
        return None
    rn, title, owner, cols, sqlcode, desc, descmt, tag = row
    return Report(int(rn), title or "", owner or "", cols or "", sqlcode or "", desc, descmt, tag)


def wrap(sql: str, *, where: str | None = None, order_by: int = 0, ascending: bool = False) -> str:
    """Report SQL filtered (``fossil ticket show`` TICKETFILTER) or sorted
    (``/rptview?order_by=N``).  The text stays the user's: it runs under the
    report authorizer like the report itself."""
    if where is not None:
        sql = "SELECT * FROM (" + sql + ") WHERE " + where
    if order_by > 0:
        sql = "SELECT * FROM (" + sql + ") ORDER BY " + str(int(order_by)) + (" ASC" if ascending else " DESC")
    return sql


def all_reports(repo: Repo, order: str = "title") -> list[tuple[int, str, str]]:
    """(rn, title, owner) of every report, by title (or by rn)."""
    sql = "SELECT rn, title, coalesce(owner,'') FROM reportfmt ORDER BY " + ("rn" if order == "rn" else "title")
    return [(int(r[0]), r[1] or "", r[2]) for r in repo.all(sql)]


def save(
    repo: Repo,
    rn: int,
    *,
    title: str,
    sql: str,
    owner: str,
    key: str,
    desc: str | None,
    descmt: str | None,
    tag: str | None,
) -> int:
    """Create (rn 0) or update a report; return its rn.  Call inside a write."""
    ensure_jx(repo)
    if rn > 0:
        repo.execute(
            "UPDATE reportfmt SET title=?, sqlcode=?, owner=?, cols=?, mtime=CAST(strftime('%s','now') AS INTEGER),"
            " jx=json_patch(jx,json_object('desc',?,'descmt',?,'tag',?)) WHERE rn=?",
            (title, sql, owner, key, desc, descmt, tag, rn),
        )
        return rn
    cur = repo.execute(
        "INSERT INTO reportfmt(title,sqlcode,owner,cols,mtime,jx)"
        " VALUES(?,?,?,?,CAST(strftime('%s','now') AS INTEGER),json_object('desc',?,'descmt',?,'tag',?))",
        (title, sql, owner, key, desc, descmt, tag),
    )
    return int(cur.lastrowid or 0)


def color_key(text: str) -> list[tuple[str, str]]:
    """``output_color_key``: (colour, label) per line of a colour key."""
    out: list[tuple[str, str]] = []
    for line in text.strip().replace("\r", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        color, _, label = line.partition(" ")
        if "\t" in color:
            color, _, rest = color.partition("\t")
            label = rest + (" " + label if label else "")
        out.append((color, label.strip()))
    return out
