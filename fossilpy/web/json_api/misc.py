"""JSON commands about the repository as a whole: version, result codes, stat, users, config, reports.

``api-version.md``, ``api-misc.md``, ``api-stat.md``, ``api-user.md``,
``api-config.md``, ``api-ticket.md`` (ticket reports); ``src/json.c``,
``json_user.c``, ``json_config.c``, ``json_report.c``.

* ``/json/version`` (alias ``HAI``): Fossil's version fields, as the
  Fossil 2.21 release this rebuilds.
* ``/json/resultCodes``: ``[{resultCode, cSymbol, number, description}]``.
* ``/json/stat`` (``o``): project name and description, repository size,
  age, project code, SQLite facts; ``full=true`` adds the counts.
* ``/json/user/list`` and ``/json/user/get?name=NAME`` (``a`` or ``s``):
  ``{uid, name, capabilities, info, timestamp}``.
* ``/json/config/get/AREA[/AREA...]`` (``s``): config rows of the areas
  ``skin``, ``ticket``, ``project``, ``all`` and ``skin-backup``.
* ``/json/report/list`` (``r``), ``/json/report/get/N`` (``t``),
  ``/json/report/run/N`` (``r``): the ticket reports.  A report runs under
  the report authorizer of :mod:`fossilpy.repo.reports` (Fossil's JSON
  code runs the SQL without it); values come back as SQLite's text of them.
"""

from __future__ import annotations

import os
import re
from typing import Any

from fossilpy.web.json_api.envelope import (
    API_VERSION,
    CODES,
    E_INVALID_ARGS,
    E_MISSING_ARGS,
    E_NOT_FOUND,
    E_NYI,
    E_UNKNOWN,
    FOSSIL_UUID,
    JsonRequest,
    fail,
    result_code,
)

#: Config rows of each ``/json/config/get`` area (``JsonConfigProperties``).
CONFIG_AREAS: dict[str, tuple[str, ...]] = {
    "skin": (
        "css", "header", "footer", "details", "logo-mimetype", "logo-image", "background-mimetype",
        "background-image", "icon-mimetype", "icon-image", "timeline-block-markup", "timeline-max-comment",
        "timeline-plaintext", "adunit", "adunit-omit-if-admin", "adunit-omit-if-user",
    ),
    "project": (
        "project-name", "short-project-name", "project-description", "index-page", "manifest", "binary-glob",
        "clean-glob", "ignore-glob", "keep-glob", "crlf-glob", "crnl-glob", "encoding-glob", "empty-dirs",
        "dotfiles",
    ),
    "ticket": (
        "ticket-table", "ticket-common", "ticket-change", "ticket-newpage", "ticket-viewpage",
        "ticket-editpage", "ticket-reportlist", "ticket-report-template", "ticket-key-template",
        "ticket-title-expr", "ticket-closed-expr",
    ),
}  # fmt: skip


def not_yet(jr: JsonRequest) -> Any:
    """A command Fossil has that fossilpy does not implement (g, query, rebuild, settings, status)."""
    fail(E_NYI, f"/json/{jr.arg(1)} is not implemented by fossilpy.")


def version(jr: JsonRequest) -> Any:
    """/json/version: the Fossil version this server speaks for."""
    del jr
    return {
        "manifestUuid": FOSSIL_UUID,
        "manifestVersion": f"[{FOSSIL_UUID[:10]}]",
        "manifestDate": "2023-02-25 19:23:39",
        "manifestYear": "2023",
        "releaseVersion": "2.21",
        "releaseVersionNumber": 22100,
        "resultCodeParanoiaLevel": 0,
        "jsonApiVersion": API_VERSION,
    }


def result_codes(jr: JsonRequest) -> Any:
    """/json/resultCodes: every result code with its C symbol and description."""
    del jr
    return [
        {"resultCode": result_code(n), "cSymbol": "FSL_JSON_E_" + sym, "number": n, "description": text}
        for n, (sym, text) in CODES.items()
    ]


def stat(jr: JsonRequest) -> Any:
    """/json/stat?full=BOOL: repository statistics (``json_page_stat``)."""
    import sqlite3

    jr.need("o", "Requires 'o' permissions.")
    repo = jr.repo
    full = jr.flag("full", "f", jr.flag("verbose", "v"))
    out: dict[str, Any] = {
        "projectName": repo.config_get("project-name"),
        "projectDescription": repo.config_get("project-description"),
    }
    try:
        size = os.path.getsize(jr.ctx.repo_path)
    except OSError:
        size = 0
    out["repositorySize"] = size
    if full:
        blobs = int(repo.one("SELECT count(*) FROM blob") or 0)
        out["blobCount"] = blobs
        out["deltaCount"] = int(repo.one("SELECT count(*) FROM delta") or 0)
        if blobs:
            total, avg, biggest = repo.row("SELECT total(size), avg(size), max(size) FROM blob WHERE size>0") or (
                0,
                0,
                0,
            )
            total = int(total or 0)
            out["uncompressedArtifactSize"] = total
            out["averageArtifactSize"] = int(avg or 0)
            out["maxArtifactSize"] = int(biggest or 0)
            fsize, b = (size, 1) if size and total // size >= 5 else (size // 10, 10)
            out["compressionRatio"] = f"{total // fsize if fsize else 0}:{b}"
        out["checkinCount"] = int(repo.one("SELECT count(distinct mid) FROM mlink") or 0)
        out["fileCount"] = int(repo.one("SELECT count(*) FROM filename") or 0)
        out["wikiPageCount"] = int(repo.one("SELECT count(*) FROM tag WHERE +tagname GLOB 'wiki-*'") or 0)
        out["ticketCount"] = int(repo.one("SELECT count(*) FROM tag WHERE +tagname GLOB 'tkt-*'") or 0)
    days = int(repo.one("SELECT julianday('now') - (SELECT min(mtime) FROM event) + 0.99") or 0)
    out["ageDays"] = days
    out["ageYears"] = days / 365.2425
    out["projectCode"] = repo.config_get("project-code", "")
    out["compiler"] = "fossilpy"
    source = str(repo.one("SELECT sqlite_source_id()") or "")
    out["sqlite"] = {
        "version": f"{source[:19]} [{source[20:30]}] ({sqlite3.sqlite_version})",
        "pageCount": int(repo.one("PRAGMA page_count") or 0),
        "pageSize": int(repo.one("PRAGMA page_size") or 0),
        "freeList": int(repo.one("PRAGMA freelist_count") or 0),
        "encoding": str(repo.one("PRAGMA encoding") or ""),
        "journalMode": repo.one("PRAGMA journal_mode") or None,
    }
    return out


_USER = "SELECT uid, login, cap, info, mtime FROM user"


def _user(row: Any) -> dict[str, Any]:
    uid, login, caps, info, mtime = row
    return {"uid": uid, "name": login, "capabilities": caps, "info": info, "timestamp": mtime}


def _user_list(jr: JsonRequest) -> Any:
    jr.need("a|s", "Requires 'a' or 's' privileges.")
    return [_user(r) for r in jr.repo.all(_USER + " ORDER BY login")]


def _user_get(jr: JsonRequest) -> Any:
    jr.need("a|s", "Requires 'a' or 's' privileges.")
    name = jr.text("name", pos=jr.depth + 1)
    if not name:
        fail(E_MISSING_ARGS, "Missing 'name' property.")
    row = jr.repo.row(_USER + " WHERE login=?", (name,))
    if row is None:
        fail(E_NOT_FOUND, "User not found.")
    return _user(row)


def user(jr: JsonRequest) -> Any:
    """/json/user/list|get."""
    return jr.sub({"get": _user_get, "list": _user_list})


def _config_get(jr: JsonRequest) -> Any:
    jr.need("s", "Requires 's' permissions.")
    wanted: set[str] = set()
    backups = False
    for area in jr.path[jr.depth + 1 :]:
        if area == "all":
            wanted.update(*CONFIG_AREAS.values())
        elif area in CONFIG_AREAS:
            wanted.update(CONFIG_AREAS[area])
        elif area == "skin-backup":
            backups = True
        else:
            fail(E_INVALID_ARGS, f"Unknown config area: {area}")
    if not wanted and not backups:
        fail(E_MISSING_ARGS, "No configuration area(s) selected.")
    out: dict[str, Any] = {}
    for name, value in jr.repo.all("SELECT name, value FROM config ORDER BY name"):
        if name in wanted or (backups and str(name).startswith("skin:")):
            out[str(name)] = value if value is None or isinstance(value, str) else str(value)
    return out


def config(jr: JsonRequest) -> Any:
    """/json/config/get/AREA..."""
    return jr.sub({"get": _config_get, "save": not_yet})


def _report_number(jr: JsonRequest) -> int:
    """``report``/``r``, an integer payload, or the path element after the subcommand."""
    rn = jr.integer("report", -1, "r")
    if rn <= 0 and isinstance(jr.payload, int) and not isinstance(jr.payload, bool):
        rn = jr.payload
    arg = jr.arg(jr.depth + 1)
    digits = re.match(r"[0-9]+", arg or "")
    if rn <= 0 and digits:
        rn = int(digits.group())
    return rn


def _report_list(jr: JsonRequest) -> Any:
    jr.need("r", "Requires 'r' privileges.")
    from fossilpy.repo import reports

    return [{"report": rn, "title": title, "owner": owner} for rn, title, owner in reports.all_reports(jr.repo)]


def _report_get(jr: JsonRequest) -> Any:
    jr.need("t", "Requires 't' privileges.")
    rn = _report_number(jr)
    if rn <= 0:
        fail(E_MISSING_ARGS, "Missing or invalid 'report' (-r) parameter.")
    row = jr.repo.row(
        "SELECT rn, owner, title, cast(strftime('%s',mtime) as int), cols, sqlcode FROM reportfmt WHERE rn=?", (rn,)
    )
    if row is None:
        fail(E_NOT_FOUND, f"Report #{rn} not found.")
    keys = ("report", "owner", "title", "timestamp", "columns", "sqlCode")
    return dict(zip(keys, row, strict=True))


def _report_run(jr: JsonRequest) -> Any:
    jr.need("r", "Requires 'r' privileges.")
    from fossilpy.repo import reports

    rn = _report_number(jr)
    if rn <= 0:
        fail(E_MISSING_ARGS, "Missing or invalid 'report' (-r) parameter.")
    report = reports.get(jr.repo, rn)
    if report is None:
        fail(E_INVALID_ARGS, f"Report number {rn} not found.")
    fmt = jr.text("format", "f") or "o"
    limit = jr.integer("limit", -1, "n")
    result = reports.run(jr.repo, report.sql, login=jr.login.name, read_private=jr.login.has("e"),
                         limit=max(limit, 0))  # fmt: skip
    if result.error:
        fail(E_UNKNOWN, f"Report #{rn} failed: {result.error}")
    out: dict[str, Any] = {"report": rn, "title": report.title}
    if limit > 0:
        out["limit"] = limit
    if jr.login.has("t"):
        out["sqlcode"] = report.sql
    out["columnNames"] = result.columns
    if fmt.startswith("a"):
        rows: list[Any] = [list(r) for r in result.rows]
    else:
        rows = [dict(zip(result.columns, r, strict=False)) for r in result.rows]
    out["tickets"] = rows or None
    return out


def report(jr: JsonRequest) -> Any:
    """/json/report/list|get|run."""
    return jr.sub({"create": not_yet, "get": _report_get, "list": _report_list, "run": _report_run,
                   "save": not_yet})  # fmt: skip
