"""/stat: repository statistics (Fossil's ``stat_page`` in ``src/stat.c``)."""

from __future__ import annotations

import os
import sqlite3

from fossilpy.repo.visibility import BLOB_VISIBLE, EVENT_VISIBLE, MLINK_VISIBLE
from fossilpy.web import names
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


@pages.webpage("/stat", caps="o")
def stat(ctx: Context) -> Response:
    """/stat

    Statistics about the repository: its size, how many artifacts,
    check-ins, files, wiki pages, tickets and forum posts it holds, its
    age and its project code.  Private artifacts are not counted for a
    visitor who may not see them."""
    repo = ctx.repo
    private = names.visibility(ctx).private
    rows: list[tuple[str, str]] = []
    try:
        size = os.path.getsize(repo.path)
    except OSError:
        size = 0
    rows.append(("Repository Size", f"{size:,} bytes"))
    n, total, stored = repo.row(
        "SELECT count(*), coalesce(sum(CASE WHEN size>0 THEN size END),0),"
        " coalesce(sum(length(content)),0) FROM blob WHERE " + BLOB_VISIBLE,
        (private,),
    ) or (0, 0, 0)
    phantoms = repo.one("SELECT count(*) FROM blob WHERE size<0 AND " + BLOB_VISIBLE, (private,), 0)
    deltas = repo.one("SELECT count(*) FROM delta WHERE ? OR rid NOT IN private", (private,), 0)
    ratio = f"{total / stored:.0f}:1" if stored else "-"
    rows.append(("Number Of Artifacts", f"{n:,} ({deltas:,} stored as deltas; {phantoms:,} phantoms)"))
    rows.append(("Uncompressed Artifact Size", f"{total:,} bytes (compression ratio {ratio})"))
    counts = dict(repo.all("SELECT type, count(*) FROM event WHERE " + EVENT_VISIBLE + " GROUP BY type", (private,)))
    rows.append(("Number Of Check-ins", f"{counts.get('ci', 0):,}"))
    files = repo.one(
        "SELECT count(*) FROM filename WHERE ? OR EXISTS(SELECT 1 FROM mlink"
        " WHERE mlink.fnid=filename.fnid AND " + MLINK_VISIBLE + ")",
        (private, private),
        0,
    )
    rows.append(("Number Of Files", f"{files:,}"))
    wiki_pages = repo.one("SELECT count(*) FROM tag WHERE tagname GLOB 'wiki-*'", (), 0)
    rows.append(("Number Of Wiki Pages", f"{wiki_pages:,}"))
    tickets = repo.one("SELECT count(*) FROM tag WHERE tagname GLOB 'tkt-*'", (), 0)
    rows.append(("Number Of Tickets", f"{tickets:,}"))
    if counts.get("e"):
        rows.append(("Number Of Technotes", f"{counts['e']:,}"))
    if counts.get("f"):
        rows.append(("Number Of Forum Posts", f"{counts['f']:,}"))
    span = repo.row("SELECT min(mtime), max(mtime) FROM event WHERE " + EVENT_VISIBLE, (private,))
    first, last = span or (None, None)
    if first is not None and last is not None:
        days = int(last - first)
        rows.append(("Duration Of Project", f"{days:,} days or approximately {days / 365.2425:.2f} years"))
    project = f'{repo.config_get("project-code", "")} {repo.config_get("project-name", "") or ""}'
    rows.append(("Project ID", project))
    rows.append(("Server ID", str(repo.config_get("server-code", ""))))
    rows.append(("Fossil Version", "fossilpy (compatible with Fossil 2.21)"))
    rows.append(("SQLite Version", sqlite3.sqlite_version))
    rows.append(("Schema Version", str(repo.config_get("aux-schema", ""))))
    users = repo.one("SELECT count(*) FROM user", (), 0)
    rows.append(("Number Of Users", f"{users:,}"))
    return ctx.render("stat.html", title="Repository Statistics", rows=rows)
