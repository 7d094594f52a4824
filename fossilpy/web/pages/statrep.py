"""/reports: activity reports (Fossil's ``stats_report_page`` in ``src/statrep.c``).

    view=byuser     events per user, most active first (the default)
    view=bymonth    events per month, newest first, with yearly totals
    view=byyear     events per year
    view=byweek     events per calendar week of year y=YYYY (this year by default)
    view=byweekday  events per day of the week
    view=byhour     events per hour of the day (UTC)
    view=byfile     check-ins per file, most changed first
    view=lastchng   per user: how many events and the age of the last one
    type=ci|e|f|g|t|w|all   which events count (all by default)
    user=NAME (or u=)       only that user's events (not byuser, lastchng)
    from=DATE&to=DATE       only events between the two

Each count links to the timeline of those events, as Fossil's links do;
bars show each row's share of the largest.  A reader without ``x`` does
not count private check-ins (:mod:`fossilpy.repo.visibility`).
"""

from __future__ import annotations

from typing import Any

from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: (view= value, label) in Fossil's order.
VIEWS = [
    ("byfile", "File Changes"), ("lastchng", "Last Change"), ("bymonth", "By Month"), ("byuser", "By User"),
    ("byweek", "By Week"), ("byweekday", "By Weekday"), ("byyear", "By Year"), ("byhour", "By Hour"),
]  # fmt: skip

#: (type= value, label) in Fossil's order.
TYPES = [("a", "All Changes"), ("ci", "Check-ins"), ("f", "Forum Posts"), ("g", "Tags"), ("e", "Tech Notes"),
         ("t", "Tickets"), ("w", "Wiki")]  # fmt: skip

#: type= first letter -> (event type, the label in headings).
_KINDS = {
    "c": ("ci", "check-ins"), "e": ("e", "technotes"), "f": ("f", "forum posts"), "g": ("g", "tag changes"),
    "t": ("t", "ticket changes"), "w": ("w", "wiki changes"),
}  # fmt: skip

#: The events a report counts (Fossil's ``v_reports`` view): bind the type
#: glob and whether private events are visible.
_EVENTS = "WITH v_reports AS (SELECT * FROM event WHERE type GLOB ? AND (? OR event.objid NOT IN private)"
_ALL_TIME = ")\n"
_BETWEEN = " AND (event.mtime BETWEEN julianday(?) AND julianday(?)))\n"
#: Only the user bound here (NULL: everybody).
_BY_USER = " WHERE ifnull(coalesce(euser,user,'')=?,1)"

_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


class _Report:
    """The events a request selects, and the rows the page shows."""

    def __init__(self, ctx: Context) -> None:
        from fossilpy.web import names

        req = ctx.req
        self.ctx = ctx
        first = (req.get("type") or "*")[:1].lower()
        self.code = first if first in _KINDS else "*"
        etype, self.label = _KINDS.get(self.code, ("*", "all types"))
        self.yflag = etype if self.code != "*" else "a"
        user = req.get("user")
        if user is None:
            user = req.get("u")
        self.user = user or None
        private = names.visibility(ctx).private
        if req.get("from") is not None and req.get("to") is not None:
            self.prefix = _EVENTS + _BETWEEN
            self.args: list[Any] = [etype, private, req.get("from"), req.get("to")]
        else:
            self.prefix = _EVENTS + _ALL_TIME
            self.args = [etype, private]
        self.rows: list[dict[str, Any]] = []
        self.footer: list[str] = []

    def query(self, sql: str, *more: Any) -> list[Any]:
        return self.ctx.repo.all(self.prefix + sql, (*self.args, *more))

    def add(self, cells: list[tuple[str, str]], count: int, top: int, kind: str = "data") -> None:
        width = max(1, int(100 * count / top)) if count else 0
        self.rows.append({"kind": kind, "cells": cells, "bar": width})

    def user_arg(self) -> str:
        from urllib.parse import quote

        return "&u=" + quote(self.user, safe="") if self.user else ""


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text.encode("utf-8", "surrogateescape"), safe="")


@pages.webpage("/reports", caps="o")
def reports(ctx: Context) -> Response:
    """/reports?view=byuser|bymonth|byyear|byweek|byweekday|byhour|byfile|lastchng&type=ci&user=NAME

    Activity reports: how many events (check-ins, wiki edits, ticket
    changes, ...) per user, month, year, week, day of the week or hour,
    check-ins per file, and each user's last change."""
    view = ctx.req.get("view") or "byuser"
    r = _Report(ctx)
    heading, columns = _VIEW_FUNCS.get(view, _by_user)(r)
    users: list[str] = []
    if view not in ("byuser", "lastchng"):
        where = "WHERE type='ci'" if view == "byfile" else ""
        users = [
            u for (u,) in ctx.repo.all(
                "SELECT DISTINCT trim(coalesce(euser,user)) AS x FROM event " + where + " ORDER BY 1 COLLATE nocase"
            ) if u
        ]  # fmt: skip
    return ctx.render(
        "reports.html", title="Activity Reports", heading=heading, columns=columns, rows=r.rows, footer=r.footer,
        views=VIEWS, types=TYPES, view=view if view in dict(VIEWS) else "byuser", type=ctx.req.get("type") or "a",
        users=users, user=r.user or "", show_type=view != "byfile",
    )  # fmt: skip


def _for_user(r: _Report) -> str:
    return f" for user {r.user}" if r.user else ""


def _by_month_year(r: _Report, months: bool) -> tuple[str, list[str]]:
    width = 7 if months else 4
    found = r.query(
        "SELECT substr(date(mtime),1,?) AS timeframe, count(*) FROM v_reports"
        + _BY_USER + " GROUP BY timeframe ORDER BY timeframe DESC",
        width, r.user,
    )  # fmt: skip
    top = max([n for _, n in found] + [1])
    year, per_year, total = "", 0, 0
    for frame, n in found:
        if months and frame[:4] != year:
            if year:
                r.rows.append({"kind": "total", "cells": [("", ""), (f"Yearly total: {per_year}", "")], "bar": 0})
            year, per_year = frame[:4], 0
            r.rows.append({"kind": "year", "cells": [(year, "")], "bar": 0})
        total += n
        per_year += n
        if months:
            link = f"/timeline?ym={_q(frame)}&n={n}&y={r.yflag}{r.user_arg()}"
        else:
            link = f"?view=byweek&y={_q(frame)}&type={_q(r.code)}{r.user_arg()}"
        r.add([(frame, link), (str(n), "")], n, top)
    if months and year:
        r.rows.append({"kind": "total", "cells": [("", ""), (f"Yearly total: {per_year}", "")], "bar": 0})
    if total:
        unit = "month" if months else "year"
        r.footer = [f"Total events: {total}", f"Average per active {unit}: {total // len(found)}"]
    by = "by year/month" if months else "by year"
    return f"Timeline Events ({r.label}) {by}{_for_user(r)}", ["Year/Month" if months else "Year", "Events", ""]


def _by_month(r: _Report) -> tuple[str, list[str]]:
    return _by_month_year(r, True)


def _by_year(r: _Report) -> tuple[str, list[str]]:
    return _by_month_year(r, False)


def _by_user(r: _Report) -> tuple[str, list[str]]:
    found = r.query(
        "SELECT ifnull(euser,user), count(*) AS n FROM v_reports GROUP BY ifnull(euser,user) ORDER BY n DESC"
    )
    top = max([n for _, n in found] + [1])
    for user, n in found:
        if n:
            r.add([(user or "", f"?view=bymonth&user={_q(user or '')}&type={_q(r.code)}"), (str(n), "")], n, top)
    return f"Timeline Events ({r.label}) by User", ["User", "Events", ""]


def _by_week(r: _Report) -> tuple[str, list[str]]:
    year = r.ctx.req.get("y") or ""
    if len(year) != 4:
        year = str(r.ctx.repo.one("SELECT substr(date('now'),1,4)") or "1970")
    found = r.query(
        "SELECT DISTINCT strftime('%W',mtime) AS wk, count(*) FROM v_reports"
        + _BY_USER + " AND ?=substr(date(mtime),1,4) AND mtime < current_timestamp GROUP BY wk ORDER BY wk DESC",
        r.user, year,
    )  # fmt: skip
    top = max([n for _, n in found] + [1])
    total = 0
    for week, n in found:
        total += n
        r.add([(week, f"/timeline?yw={_q(year)}-{week}&n={n}&y={r.yflag}{r.user_arg()}"), (str(n), "")], n, top)
    if total:
        r.footer = [f"Total events: {total}", f"Average per active week: {total // len(found)}"]
    return f"Timeline events ({r.label}) for the calendar weeks of {year}{_for_user(r)}", ["Week", "Events", ""]


def _by_weekday(r: _Report) -> tuple[str, list[str]]:
    found = r.query(
        "SELECT cast(strftime('%w', mtime) AS INTEGER) dow, count(*) FROM v_reports"
        + _BY_USER + " GROUP BY dow ORDER BY dow",
        r.user,
    )  # fmt: skip
    top = max([n for _, n in found] + [1])
    for day, n in found:
        if n:
            r.add([(str(day), ""), (_DAYS[int(day)], ""), (str(n), "")], n, top)
    return f"Timeline Events ({r.label}) by Day of the Week{_for_user(r)}", ["DoW", "Day", "Events", ""]


def _by_hour(r: _Report) -> tuple[str, list[str]]:
    found = r.query(
        "SELECT cast(strftime('%H', mtime) AS INTEGER) hod, count(*) FROM v_reports"
        + _BY_USER + " GROUP BY hod ORDER BY hod",
        r.user,
    )  # fmt: skip
    top = max([n for _, n in found] + [1])
    for hour, n in found:
        if n:
            r.add([(str(hour), ""), (str(n), "")], n, top)
    return f"Timeline Events ({r.label}) by Hour of Day{_for_user(r)}", ["Hour", "Events", ""]


def _by_file(r: _Report) -> tuple[str, list[str]]:
    from fossilpy.web import names

    private = names.visibility(r.ctx).private
    found = r.ctx.repo.all(
        "SELECT filename.name, count(DISTINCT mlink.mid) AS cnt FROM filename, mlink, event"
        " WHERE filename.fnid=mlink.fnid AND mlink.mid=event.objid AND ifnull(coalesce(euser,user,'')=?,1)"
        " AND (? OR mlink.mid NOT IN private) GROUP BY 1 ORDER BY cnt DESC, filename.name",
        (r.user, private),
    )
    top = max([n for _, n in found] + [1])
    for name, n in found:
        if n > 0:
            r.add([(name, f"/finfo?name={_q(name)}"), (str(n), "")], n, top)
    return f"Check-ins Per File{_for_user(r)}", ["File", "Check-ins", ""]


def _last_change(r: _Report) -> tuple[str, list[str]]:
    from fossilpy.text import human_age

    now = float(r.ctx.repo.one("SELECT julianday('now')") or 0.0)
    ytype = _q(r.ctx.req.get("type") or "ci")
    found = r.query("SELECT coalesce(euser,user), count(*), max(mtime) FROM v_reports GROUP BY 1 ORDER BY 3 DESC")
    for user, n, mtime in found:
        user = user or ""
        r.rows.append({
            "kind": "data", "bar": None,
            "cells": [(user, f"/timeline?y={ytype}&u={_q(user)}"), (str(n), ""), (human_age(now - mtime), "")],
        })  # fmt: skip
    return f"Event Summary ({r.label}) by User", ["User", "Total Changes", "Last Change"]


_VIEW_FUNCS = {
    "bymonth": _by_month, "byyear": _by_year, "byuser": _by_user, "byweek": _by_week,
    "byweekday": _by_weekday, "byhour": _by_hour, "byfile": _by_file, "lastchng": _last_change,
}  # fmt: skip
