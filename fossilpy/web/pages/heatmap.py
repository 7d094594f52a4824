"""/heatmap: activity pictures, a fossilpy extension (Fossil has only tables).

A calendar heatmap (inline SVG, no script): one square per day over a
year, weeks as columns (Sunday first), coloured by how many events the day
had, each with its counts as a ``<title>`` tooltip; below it, check-ins per
week as SVG bars.  Both come from one grouped query over ``event`` by day
(``event.mtime`` is indexed), so a 20,000-check-in repository costs one
index range scan.

What is counted follows the visitor's capabilities, as the timeline does:
check-ins and tag changes with ``o``, wiki edits and technotes with ``j``,
ticket changes with ``r``, forum posts with ``2``; private artifacts only
with ``x`` (:mod:`fossilpy.repo.visibility`).  ``u=USER`` counts one
user's events only; ``y=YEAR`` shows that calendar year instead of the
year up to the newest event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fossilpy.repo.visibility import EVENT_VISIBLE
from fossilpy.text import is_digits
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: event type -> the capability that shows it (timeline's rules)
TYPE_CAPS = (("ci", "o"), ("g", "o"), ("w", "j"), ("e", "j"), ("t", "r"), ("f", "2"))
#: square size and gap, pixels; left margin for weekday names, top for months
CELL, GAP, LEFT, TOP = 13, 3, 30, 18
#: fills from no activity to the busiest quarter
COLORS = ("#ebedf0", "#c6e48b", "#7bc96f", "#239a3b", "#196127")
BAR_HEIGHT = 80

_DAYS = (
    "SELECT date(mtime) AS day, sum(type='ci'), sum(type<>'ci') FROM event"
    " WHERE mtime>=julianday(?) AND mtime<julianday(?) AND type IN (SELECT value FROM json_each(?))"
    " AND " + EVENT_VISIBLE + " AND (?='' OR coalesce(euser,user)=?) GROUP BY day"
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def tooltip(day: dt.date, checkins: int, others: int) -> str:
    """The tooltip of one day's square, e.g. ``2024-01-02: 3 check-ins, 1 other event``."""
    return f"{day.isoformat()}: {_plural(checkins, 'check-in')}, {_plural(others, 'other event')}"


def _level(n: int, top: int) -> int:
    if n <= 0 or top <= 0:
        return 0
    return min(4, 1 + (4 * (n - 1)) // top)


def calendar_svg(start: dt.date, end: dt.date, days: dict[dt.date, tuple[int, int]]) -> str:
    """The calendar heatmap from ``start`` to ``end`` (inclusive) as an ``<svg>`` element."""
    first = start - dt.timedelta(days=(start.weekday() + 1) % 7)  # the Sunday of start's week
    weeks = (end - first).days // 7 + 1
    width, height = LEFT + weeks * (CELL + GAP), TOP + 7 * (CELL + GAP)
    top = max((c + o for c, o in days.values()), default=0)
    out = [
        f'<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="Events per day">'
    ]
    for row, name in ((1, "Mon"), (3, "Wed"), (5, "Fri")):
        y = TOP + row * (CELL + GAP) + CELL - 2
        out.append(f'<text x="0" y="{y}" font-size="9" fill="#767676">{name}</text>')
    month = None
    day = start
    while day <= end:
        col = (day - first).days // 7
        row = (day.weekday() + 1) % 7
        if day.month != month and row < 7 and (day.day <= 7 or day == start):
            month = day.month
            out.append(f'<text x="{LEFT + col * (CELL + GAP)}" y="10" font-size="9" fill="#767676">{day:%b}</text>')
        c, o = days.get(day, (0, 0))
        x, y = LEFT + col * (CELL + GAP), TOP + row * (CELL + GAP)
        out.append(
            f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" fill="{COLORS[_level(c + o, top)]}"'
            f' data-date="{day.isoformat()}" data-count="{c + o}"><title>{tooltip(day, c, o)}</title></rect>'
        )
        day += dt.timedelta(days=1)
    out.append("</svg>")
    return "".join(out)


def weekly_svg(start: dt.date, end: dt.date, days: dict[dt.date, tuple[int, int]]) -> str:
    """Check-ins per week (weeks starting on Sunday) as an ``<svg>`` bar chart."""
    first = start - dt.timedelta(days=(start.weekday() + 1) % 7)
    weeks = (end - first).days // 7 + 1
    counts = [0] * weeks
    for day, (c, _o) in days.items():
        if start <= day <= end:
            counts[(day - first).days // 7] += c
    top = max(counts, default=0)
    width, height = LEFT + weeks * (CELL + GAP), BAR_HEIGHT + 14
    out = [
        f'<svg class="heatmap-weeks" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="Check-ins per week">',
        f'<line x1="{LEFT}" y1="{BAR_HEIGHT}" x2="{width}" y2="{BAR_HEIGHT}" stroke="#d0d7de"/>',
        f'<text x="0" y="10" font-size="9" fill="#767676">{top}</text>',
    ]
    for i, n in enumerate(counts):
        h = 0 if not top else max(1, round(BAR_HEIGHT * n / top)) if n else 0
        week = first + dt.timedelta(days=7 * i)
        x = LEFT + i * (CELL + GAP)
        out.append(
            f'<rect x="{x}" y="{BAR_HEIGHT - h}" width="{CELL}" height="{max(h, 0)}" fill="#239a3b"'
            f' data-week="{week.isoformat()}" data-count="{n}">'
            f"<title>Week of {week.isoformat()}: {_plural(n, 'check-in')}</title></rect>"
        )
    out.append("</svg>")
    return "".join(out)


def _range(ctx: Context, types: list[str], private: bool, user: str) -> tuple[dt.date, dt.date]:
    """The year shown: ``y=YEAR``, else the 365 days up to the newest counted event (or today)."""
    raw = ctx.req.get("y") or ""
    if raw:
        if not is_digits(raw) or len(raw) != 4 or not 1000 <= int(raw) <= 9999:
            raise HTTPError(400, "y must be a year, e.g. y=2024")
        return dt.date(int(raw), 1, 1), dt.date(int(raw), 12, 31)
    import json

    newest = ctx.repo.one(
        "SELECT date(max(mtime)) FROM event WHERE type IN (SELECT value FROM json_each(?)) AND "
        + EVENT_VISIBLE
        + " AND (?='' OR coalesce(euser,user)=?)",
        (json.dumps(types), private, user, user),
    )
    end = dt.date.fromisoformat(newest) if newest else dt.date.today()
    return end - dt.timedelta(days=364), end


@pages.webpage("/heatmap", caps="o|r|j")
def heatmap(ctx: Context) -> Response:
    """/heatmap?u=USER&y=YEAR

    Activity pictures: a calendar of events per day over a year (check-ins
    and other events, counts in each day's tooltip) and check-ins per
    week.  u=USER shows one user's activity; y=YEAR a calendar year."""
    import json

    user = (ctx.req.get("u") or "").strip()
    types = [t for t, cap in TYPE_CAPS if ctx.has(cap)]
    private = names.visibility(ctx).private
    start, end = _range(ctx, types, private, user)
    days: dict[dt.date, tuple[int, int]] = {}
    for day, checkins, others in ctx.repo.all(
        _DAYS,
        (start.isoformat(), (end + dt.timedelta(days=1)).isoformat(), json.dumps(types), private, user, user),
    ):
        days[dt.date.fromisoformat(day)] = (int(checkins), int(others))
    years = [
        int(y)
        for (y,) in ctx.repo.all(
            "SELECT DISTINCT strftime('%Y', mtime) FROM event WHERE type IN (SELECT value FROM json_each(?)) AND "
            + EVENT_VISIBLE
            + " AND (?='' OR coalesce(euser,user)=?) ORDER BY 1 DESC",
            (json.dumps(types), private, user, user),
        )
        if y
    ]
    total_c = sum(c for c, _o in days.values())
    total_o = sum(o for _c, o in days.values())
    busiest = max(days.items(), key=lambda kv: (kv[1][0] + kv[1][1], kv[0]), default=None)
    values: dict[str, Any] = {
        "user": user,
        "year": ctx.req.get("y") or "",
        "years": years,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "calendar": calendar_svg(start, end, days),
        "weekly": weekly_svg(start, end, days),
        "summary": f"{_plural(total_c, 'check-in')} and {_plural(total_o, 'other event')}"
        f" on {_plural(len(days), 'day')}",
        "busiest": tooltip(busiest[0], *busiest[1]) if busiest else "",
        "colors": COLORS,
    }
    title = f"Activity of {user}" if user else "Activity Heatmap"
    return ctx.render("heatmap.html", title=title, **values)
