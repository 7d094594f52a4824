"""Ticket reports: /ticket, /reportlist, /rptview, /rptedit, /rptnew, /rptsql.

As Fossil 2.21 (``src/report.c``, ``view_list``, ``rptview_page``,
``view_edit``, ``view_see_sql``):

* ``/ticket`` and ``/reportlist`` (the ticket main menu; ``r`` or ``n``):
  a "New ticket" link for those who may file one, the reports by title
  (titles starting with "_" only for ``t``), with [copy] [edit] [sql]
  links by capability, and "New report format" for ``t``;
* ``/rptview?rn=N`` (or ``/rptview/N``, ``name=TAG``, ``title=GLOB``;
  ``r``): the report's colour key, then its rows: a column named ``#``
  links to the ticket, ``bgcolor`` colours the row, and the first column
  whose name starts with "_" and all after it are shown on rows of their
  own, as wiki text; ``tablist`` gives tab-separated text;
  ``order_by=N&order_dir=ASC|DESC`` sorts;
* ``/rptedit?rn=N`` and ``/rptnew`` (``t``): fields ``t`` (title), ``s``
  (SQL), ``k`` (colour key), ``w`` (owner, admins), ``x`` (tag, admins),
  ``d`` and ``m`` (description and its mimetype), ``dflt`` (make it the
  default report), buttons ``del1``/``del2`` (delete) and ``can``;
* ``/rptsql/N`` (``t``): the SQL and colour key.

Report SQL runs under :mod:`fossilpy.repo.reports` (SELECT only, allowed
tables only, the request's time budget); a report that fails shows
"Error: ..." under the table, never a server error.
"""

from __future__ import annotations

from typing import Any

from fossilpy.repo import reports
from fossilpy.text import is_digits
from fossilpy.web.forms import check_post, writable
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def _report_number(ctx: Context) -> int:
    """``report_number``: ``rn=N``, ``name=N`` or ``name=TAG``; 0 if none."""
    rn = _atoi(ctx.req.get("rn") or "0")
    if rn > 0:
        return rn
    name = ctx.req.get("name") or ""
    if not name:
        return 0
    if is_digits(name) and int(name) > 0:
        return int(name)
    return reports.by_tag(ctx.repo, name)


def _atoi(text: str) -> int:
    digits = ""
    for c in text.strip():
        if c not in "0123456789":
            break
        digits += c
    return int(digits[:12]) if digits else 0


def _list(ctx: Context) -> Response:
    if not (ctx.has("r") or ctx.has("n")):
        raise HTTPError(403, "the ticket reports need capability r or n")
    default = ctx.repo.setting("ticket-default-report")
    items = []
    for rn, title, owner in reports.all_reports(ctx.repo):
        if title.startswith("_") and not ctx.has("t"):
            continue
        items.append(
            {
                "rn": rn,
                "title": title,
                "owner": owner if ctx.has("i") else "",
                "edit": ctx.has("a") or (ctx.has("w") and owner and owner == ctx.login.name),
                "default": title == default,
            }
        )
    return ctx.render("rptlist.html", title="Ticket Main Menu", items=items)


@pages.webpage("/ticket", caps="")
def ticket(ctx: Context) -> Response:
    """/ticket

    The tickets' main page: the list of reports (as /reportlist)."""
    if not (ctx.has("r") or ctx.has("n")):
        return redirect(ctx.req, "/login?g=" + ctx.req.top + "/ticket")
    return _list(ctx)


@pages.webpage("/reportlist", caps="r|n")
def reportlist(ctx: Context) -> Response:
    """/reportlist

    Ticket main menu: a link to file a new ticket and the list of report formats."""
    return _list(ctx)


@pages.webpage("/rptview", caps="r")
def rptview(ctx: Context) -> Response:
    """/rptview?rn=N  or  /rptview/N

    Run report N and show it as a table (``tablist``: tab-separated text)."""
    repo = ctx.repo
    rn = _report_number(ctx)
    report = reports.get(repo, rn) if rn else None
    if report is None and ctx.req.get("title"):
        report = reports.by_title(repo, ctx.req.get("title") or "", glob=True)
    if report is None:
        return redirect(ctx.req, "/reportlist")
    sql = report.sql
    order = _atoi(ctx.req.get("order_by") or "")
    if order > 0:
        sql = reports.wrap(sql, order_by=order, ascending=ctx.req.get("order_dir") == "ASC")
    result = reports.run(repo, sql, login=ctx.login.name, values=ctx.req.params, read_private=ctx.has("e"))
    if ctx.req.get("tablist") is not None:
        lines = []
        if result.rows:
            table: list[list[str | None]] = [list(result.columns), *result.rows]
            for row in table:
                lines.append("\t".join(_no_tabs(v) for v in row) + "\n")
        body = "".join(lines).encode("utf-8", "surrogateescape")
        return Response(status=200, body=body, headers=[("Content-Type", "text/plain; charset=utf-8")])
    return ctx.render(
        "rptview.html",
        title=report.title,
        report=report,
        key=reports.color_key(report.key),
        table=_table(ctx, result),
        error=result.error,
        plain=ctx.req.get("plaintext") is not None,
    )


def _no_tabs(value: str | None) -> str:
    return "".join(" " if c in " \t\n\v\f\r" else c for c in (value or ""))


def _table(ctx: Context, result: reports.Result) -> dict[str, Any]:
    """``generate_html``: the header cells and, per row, its cells and wide rows."""
    write = ctx.has("i")
    cols = result.columns
    bg = cols.index("bgcolor") if "bgcolor" in cols else -1
    new_row = next((i for i, c in enumerate(cols) if c.startswith("_")), -1)
    narrow = [i for i in range(len(cols)) if i != bg and (new_row < 0 or i < new_row)]
    wide = [i for i in range(len(cols)) if i != bg and new_row >= 0 and i >= new_row]
    tid_col = next((i for i in narrow if cols[i].startswith("#")), -1)
    ncol = len(narrow) + (1 if write and tid_col >= 0 else 0)
    rows = []
    for row in result.rows:
        color = (row[bg] if bg >= 0 else None) or "white"
        cells = [{"value": row[i] or "", "ticket": i == tid_col} for i in narrow]
        edit = row[tid_col] if write and tid_col >= 0 else None
        rows.append(
            {"bg": color, "cells": cells, "edit": edit, "wide": [(cols[i].lstrip("_"), row[i]) for i in wide if row[i]]}
        )
    return {
        "head": [cols[i] for i in narrow],
        "edit_col": write and tid_col >= 0,
        "ncol": max(ncol, 1),
        "wide_head": [cols[i][1:] if cols[i].startswith("_") else cols[i] for i in wide],
        "rows": rows,
        "multirow": new_row >= 0,
    }


@pages.webpage("/rptsql", caps="t")
def rptsql(ctx: Context) -> Response:
    """/rptsql/N

    The SQL and colour key of report N."""
    rn = _report_number(ctx)
    report = reports.get(ctx.repo, rn)
    return ctx.render(
        "rptsql.html",
        title=f"SQL For Report Format Number {rn}",
        rn=rn,
        report=report,
        key=reports.color_key(report.key) if report else [],
        schema=_schema(ctx),
    )


def _schema(ctx: Context) -> str:
    return str(ctx.repo.one("SELECT sql FROM sqlite_schema WHERE name='ticket'") or "")


@pages.webpage("/rptnew", caps="t", methods=("GET", "HEAD", "POST"))
def rptnew(ctx: Context) -> Response:
    """/rptnew

    Create a new report format (the form of /rptedit with Fossil's template)."""
    return _edit(ctx)


@pages.webpage("/rptedit", caps="t", methods=("GET", "HEAD", "POST"))
def rptedit(ctx: Context) -> Response:
    """/rptedit?rn=N  or  /rptedit/N

    Edit report N (``copy``: start a new one from it); ``del1`` asks,
    ``del2`` deletes.  Only its owner or an administrator may change it."""
    return _edit(ctx)


def _edit(ctx: Context) -> Response:
    req = ctx.req
    repo = ctx.repo
    rn = _report_number(ctx) if ctx.req.page != "rptnew" else 0
    me = ctx.login.name or ""
    existing = reports.get(repo, rn) if rn > 0 else None
    if rn > 0 and existing is None and req.get("t") is None:
        return redirect(req, "/reportlist")
    may_change = existing is None or ctx.has("a") or existing.owner == me
    if rn > 0 and req.get("del2") is not None:
        check_post(ctx)
        if not may_change:
            raise HTTPError(403, f"This report format is owned by {existing.owner if existing else ''}.")
        with writable(ctx) as w, w.write():
            w.execute("DELETE FROM reportfmt WHERE rn=?", (rn,))
        return redirect(req, "/reportlist")
    if rn > 0 and req.get("del1") is not None:
        if existing is None:
            return redirect(req, "/reportlist")
        return ctx.render("rptdelete.html", title="Are You Sure?", rn=rn, report=existing)
    if req.get("can") is not None:
        return redirect(req, "/reportlist")
    title = req.get("t")
    sql = req.get("s")
    error = ""
    dflt = req.get("dflt") is not None
    form: dict[str, Any] = {
        "t": title or "",
        "s": (sql or "").strip(),
        "k": (req.get("k") or "").strip(),
        "d": (req.get("d") or "").strip(),
        "m": req.get("m") or "",
        "x": req.get("x") or "",
        "w": req.get("w") or me,
    }
    if title is not None and sql is not None:
        check_post(ctx)
        if not may_change:
            raise HTTPError(403, f"This report format is owned by {existing.owner if existing else ''}.")
        form["t"] = title.strip()
        if not form["s"]:
            error = "Please supply an SQL query statement"
        elif not form["t"]:
            error = "Please supply a title"
        else:
            error = reports.verify(repo, form["s"]) or ""
        if not error and repo.one("SELECT 1 FROM reportfmt WHERE title=? AND rn<>?", (form["t"], rn)):
            error = f'There is already another report named "{form["t"]}"'
        if not error:
            owner = form["w"] if ctx.has("a") else (existing.owner if existing else me) or me
            tag = form["x"] if ctx.has("a") else (existing.tag if existing else None)
            desc, mt = form["d"] or None, form["m"] or None
            if desc is None or mt is None:
                desc = mt = None
            with writable(ctx) as w, w.write():
                rn = reports.save(
                    w,
                    rn,
                    title=form["t"],
                    sql=form["s"],
                    owner=owner,
                    key=form["k"],
                    desc=desc,
                    descmt=mt,
                    tag=tag or None,
                )
                if dflt:
                    w.config_set("ticket-default-report", form["t"])
                elif w.setting("ticket-default-report") == form["t"]:
                    w.config_set("ticket-default-report", "")
            return redirect(req, f"/rptview/{rn}")
    elif existing is None:
        form.update(t="", s=reports.DEFAULT_REPORT.strip() if rn == 0 else "", k=reports.DEFAULT_KEY.strip())
        rn = 0
    else:
        form.update(
            t=existing.title,
            s=existing.sql,
            w=existing.owner,
            k=existing.key,
            d=existing.desc or "",
            m=existing.descmt or "",
            x=existing.tag or "",
        )
        dflt = existing.title == repo.setting("ticket-default-report")
        if req.get("copy") is not None:
            rn = 0
            form.update(t="Copy Of " + existing.title, w=me)
            may_change = True
    return ctx.render(
        "rptedit.html",
        status=400 if error else 200,
        title="Edit Report Format" if rn > 0 else "Create New Report Format",
        rn=rn,
        form=form,
        error=error,
        dflt=dflt,
        may_change=may_change,
        schema=_schema(ctx),
    )
