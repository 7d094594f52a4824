"""/finfo: the history of one file (Fossil's ``finfo_page`` in ``src/finfo.c``).

Each row is a version of the file at the check-in that first brought it,
newest first, grouped by day: the time (a link to the file as of that
check-in), "Added", "Deleted" or "Renamed" when the check-in did so, the
check-in comment, then the file's hash, the check-in, the user, the
branch and the size, and (with ``h``) links to the annotation, the
check-ins using that version and the diff against the version before.

Parameters, as Fossil's:

    name=FILE    the file (its name in the repository)
    ci=CHECKIN   follow the file that is called FILE in CHECKIN through its
                 renames, back and forth, instead of every file of that name
    from=CHECKIN only versions in CHECKIN and its direct ancestors;
    to=CHECKIN   with from=, only those on the path between the two
    a=, b=       only versions made after / before a time or check-in
    n=N          at most N rows
    m=ARTIFACT   mark the row of this file version
    ng           no graph

A version only private check-ins brought is shown only to a reader with
``x`` (:mod:`fossilpy.repo.visibility`).
"""

from __future__ import annotations

from typing import Any

from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: The versions of every file called the bound name (``clade`` of Fossil).
_CLADE_ALL = "WITH clade(fid,fnid) AS (SELECT DISTINCT fid, :fnid FROM mlink WHERE fnid=:fnid)\n"

#: The versions of one file followed through renames from the version
#: (``:start``) it has in a check-in.
_CLADE_CI = """WITH RECURSIVE clade(fid,fnid) AS (
  SELECT :start, :fnid WHERE :start>0
  UNION
  SELECT mlink.fid, mlink.fnid FROM clade, mlink
   WHERE clade.fid=mlink.pid
     AND ((mlink.pfnid=0 AND mlink.fnid=clade.fnid) OR mlink.pfnid=clade.fnid)
     AND (mlink.fid>0 OR NOT EXISTS(SELECT 1 FROM mlink AS mx
           WHERE mx.mid=mlink.mid AND mx.pid=mlink.pid AND mx.fid>0 AND mx.pfnid=mlink.fnid))
  UNION
  SELECT mlink.pid, CASE WHEN mlink.pfnid>0 THEN mlink.pfnid ELSE mlink.fnid END
    FROM clade, mlink
   WHERE mlink.pid>0 AND mlink.fid=clade.fid AND mlink.fnid=clade.fnid
)
"""

_SELECT = """SELECT
  min(event.mtime),
  coalesce(event.ecomment, event.comment, ''),
  coalesce(event.euser, event.user, ''),
  mlink.pid, mlink.fid,
  (SELECT uuid FROM blob WHERE rid=mlink.pid),
  blob.uuid,
  (SELECT uuid FROM blob WHERE rid=mlink.mid),
  (SELECT value FROM tagxref WHERE tagxref.rid=mlink.mid AND tagxref.tagtype>0
      AND tagxref.tagid=(SELECT tagid FROM tag WHERE tagname='branch')),
  mlink.mid, mlink.pfnid, blob.size, mlink.fnid, filename.name
FROM clade CROSS JOIN mlink, event
  LEFT JOIN blob ON blob.rid=clade.fid
  LEFT JOIN filename ON filename.fnid=clade.fnid
WHERE mlink.fnid=clade.fnid AND mlink.fid=clade.fid AND event.objid=mlink.mid
  AND (:private OR mlink.mid NOT IN private)
"""

#: The check-ins of the ``from=`` ancestry or ``from=``/``to=`` path (a JSON array bound to ``:anc``).
_ON_PATH = "mlink.mid IN (SELECT value FROM json_each(:anc))\n"

#: Direct ancestors (primary parents) of the check-in bound first, itself included.
_DIRECT_ANCESTORS = (
    "WITH RECURSIVE anc(rid) AS (SELECT ? UNION"
    " SELECT plink.pid FROM plink JOIN anc ON plink.cid=anc.rid WHERE plink.isprim) SELECT rid FROM anc"
)

#: Primary-link neighbours of a check-in: children (1) then parents (0), as Fossil's ``path_shortest``.
_NEIGHBOURS = (
    "SELECT cid, 1 FROM plink WHERE pid=?1 AND isprim UNION ALL SELECT pid, 0 FROM plink WHERE cid=?1 AND isprim"
)


class Version:
    """One row of the page."""

    __slots__ = (
        "mtime",
        "comment",
        "user",
        "fpid",
        "frid",
        "puuid",
        "uuid",
        "ckin",
        "branch",
        "mid",
        "prev_name",
        "size",
        "fnid",
        "fname",
        "added",
        "renamed_to",
        "deleted",
        "graph",
        "selected",
        "parents",
        "node",
        "prev_pfnid",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.mtime,
            self.comment,
            self.user,
            self.fpid,
            self.frid,
            self.puuid,
            self.uuid,
            self.ckin,
            branch,
            self.mid,
            pfnid,
            size,
            self.fnid,
            self.fname,
        ) = row
        self.branch = branch or "trunk"
        self.size = size or 0
        self.prev_name = ""
        self.added = self.deleted = self.selected = False
        self.renamed_to = ""
        self.graph = ""
        self.parents: list[int] = []
        self.node = 0
        self.fpid = self.fpid or 0
        self.frid = self.frid or 0
        self.fname = self.fname or ""
        self.prev_pfnid = pfnid or 0


@pages.webpage("/finfo", caps="o")
def finfo(ctx: Context) -> Response:
    """/finfo?name=FILE&ci=CHECKIN&from=CHECKIN&to=CHECKIN&a=TIME&b=TIME&n=N&m=ARTIFACT&ng

    The history of a file: each check-in that changed it, newest first,
    with links to that version of the file, its diff against the version
    before and the check-in.  ci= follows the file of that name in a
    check-in through its renames; from= shows only the versions on the
    direct ancestry of a check-in (with to=, the path between two);
    n= limits the rows; m= marks the row of a file version."""
    req, repo = ctx.req, ctx.repo
    vis = names.visibility(ctx)
    name = req.get("name") or ""
    fnid = repo.one("SELECT fnid FROM filename WHERE name=CAST(? AS TEXT)", (_text(name),), 0)
    ci = req.get("ci")
    ci_rid = vis.lookup(ci, "ci") if ci else 0
    if ci_rid < 0:
        ci_rid = 0
    if not fnid:
        return ctx.render("finfo.html", status=200, title="No such file", missing=name, rows=[])
    title = f'All files named "{name}"' if not ci_rid else f"History of {name} of {ci}"
    params: dict[str, Any] = {"fnid": fnid, "private": vis.private}
    sql = _CLADE_ALL
    if ci_rid:
        # no such file in that check-in: an empty history, as Fossil's
        sql, params["start"] = _CLADE_CI, _version_in(ctx, ci_rid, name) or -1
    sql += _SELECT
    origin = end = 0
    if req.get("from"):
        import json

        origin = names.find_checkin(vis, req.get("from") or "")
        if req.get("to") is not None:
            end = names.find_checkin(vis, req.get("to") or "")
            path = _shortest_path(ctx, end, origin)
        else:
            path = [rid for (rid,) in repo.all(_DIRECT_ANCESTORS, (origin,))]
        sql += " AND " + _ON_PATH
        params["anc"] = json.dumps(path)
    for key, op in (("a", ">="), ("b", "<=")):
        if req.get(key):
            from fossilpy.web.pages.timeline import _time_or_tag

            when = _time_or_tag(vis, req.get(key) or "")
            if when is None:
                raise HTTPError(404, "no such time or check-in")
            sql += f" AND event.mtime{op}:{key}\n"
            params[key] = when
    if origin:
        sql += "GROUP BY mlink.fid\n"
    else:
        sql += "GROUP BY CASE WHEN mlink.fid>0 THEN mlink.fid ELSE mlink.pid+1000000000 END, mlink.fnid\n"
    sql += "ORDER BY event.mtime DESC"
    limit = req.int("n", 0)
    if limit > 0:
        sql += " LIMIT :n"
        params["n"] = limit
    rows = [Version(r) for r in repo.all(sql, params)]
    mark = req.get("m")
    selected = vis.lookup(mark, "*") if mark else 0
    _describe(ctx, rows, fnid, selected, params.get("anc", ""), bool(end))
    graph_width = _graph(rows) if not req.flag("ng") else None
    heading = _heading(ctx, name, (ci or "") if ci_rid else "", origin, end, limit)
    pages_here = _linkable()
    return ctx.render(
        "finfo.html",
        title=title,
        missing="",
        rows=rows,
        heading=heading,
        graph_width=graph_width,
        links=ctx.has("h"),
        has_page=pages_here,
    )


def _text(value: str) -> Any:
    from fossilpy.repo.db import sql_text

    return sql_text(value)


def _version_in(ctx: Context, ci_rid: int, name: str) -> int:
    """The rid of the file called ``name`` in check-in ``ci_rid`` (0 if none)."""
    from fossilpy.repo import content

    for entry in names.checkin_files(ctx.repo, ci_rid):
        if entry.name == name:
            rid: int = content.rid_of(ctx.repo, entry.uuid)
            return rid
    return 0


def _shortest_path(ctx: Context, start: int, goal: int) -> list[int]:
    """The check-ins of the shortest path of primary links from ``start`` to ``goal`` ([] if none)."""
    came: dict[int, int] = {start: 0}
    frontier = [start]
    while frontier and goal not in came:
        nxt: list[int] = []
        for rid in frontier:
            for other, _ in ctx.repo.all(_NEIGHBOURS, (rid,)):
                if other not in came:
                    came[other] = rid
                    nxt.append(other)
                    if other == goal:
                        break
            if goal in came:
                break
        frontier = nxt
    if goal not in came:
        return []
    path, rid = [], goal
    while rid:
        path.append(rid)
        rid = came[rid]
    return path


def _describe(ctx: Context, rows: list[Version], fnid: int, selected: int, anc: str, between: bool) -> None:
    """Fill the parents, renames, added/deleted and mark of each row."""
    repo = ctx.repo
    top = int(repo.one("SELECT max(fnid) FROM filename", (), 0) or 0) + 1
    parent_sql = (
        "SELECT DISTINCT pid*:m+CASE WHEN pfnid>0 THEN pfnid ELSE fnid END FROM mlink"
        " WHERE fid=:fid AND mid=:mid AND pid>0 AND fnid=:fnid"
    )
    if anc:
        parent_sql += " AND pmid IN (SELECT value FROM json_each(:anc))"
    parent_sql += " ORDER BY isaux"
    # A deletion (fid 0) is found through the check-in (mlink_i1), not
    # through the file: every deletion in the history shares fid 0.
    deleted_sql = parent_sql.replace("WHERE fid=:fid", "WHERE +fid=:fid").replace("AND fnid=", "AND +fnid=")
    for v in rows:
        args = {"m": top, "fid": v.frid, "mid": v.mid, "fnid": v.fnid, "anc": anc}
        v.parents = [p for (p,) in repo.all(parent_sql if v.frid else deleted_sql, args)]
        v.node = v.frid * top + v.fnid if v.frid > 0 else v.fpid + 1000000000
        if v.prev_pfnid:
            v.prev_name = repo.one("SELECT name FROM filename WHERE fnid=?", (v.prev_pfnid,), "") or ""
        if v.uuid and not between and not v.parents:
            v.added = True
        if not v.uuid:
            renamed = repo.one(
                "SELECT name FROM filename WHERE fnid=(SELECT fnid FROM mlink WHERE mid=? AND pfnid IN"
                " (SELECT fnid FROM filename WHERE name=CAST(? AS TEXT)))",
                (v.mid, _text(v.fname)),
            )
            if renamed:
                v.renamed_to = renamed
            else:
                v.deleted = True
        v.selected = v.frid == selected  # as Fossil: with no m=, a deletion row (no file) is marked


def _graph(rows: list[Version]) -> int | None:
    """Lay out the graph of file versions; its width (None if there are no rows)."""
    if not rows:
        return None
    from fossilpy.web import graph

    laid = graph.layout([(v.node, v.parents, v.branch) for v in rows])
    for v in rows:
        row = laid.rows.get(v.node)
        v.graph = row.html(laid.width, False, False) if row is not None else ""
    width: int = laid.width
    return width


def _heading(ctx: Context, name: str, ci: str, origin: int, end: int, limit: int) -> list[tuple[str, str]]:
    """The heading as (text, link) parts (link "" for plain text)."""
    from urllib.parse import quote

    def q(text: str) -> str:
        return quote(text.encode("utf-8", "surrogateescape"), safe="/")

    parts: list[tuple[str, str]] = []
    if origin:
        uuid = ctx.repo.one("SELECT uuid FROM blob WHERE rid=?", (origin,), "") or ""
        if end:
            lead = "Changes to file "
        else:
            lead = f"First {limit} ancestors of file " if limit > 0 else "Ancestors of file "
        parts += [
            (lead, ""),
            (name, f"/file?name={q(name)}&ci={uuid[:16]}"),
            (" between check-in " if end else " from check-in ", ""),
            (uuid[:10], f"/info/{uuid[:16]}"),
        ]
        if end:
            last = ctx.repo.one("SELECT uuid FROM blob WHERE rid=?", (end,), "") or ""
            parts += [(" and check-in ", ""), (last[:10], f"/info/{last[:16]}")]
        return parts
    parts.append(("History of the file that is called " if ci else "History for ", ""))
    pieces = [p for p in name.split("/") if p]
    for i, piece in enumerate(pieces):
        path = "/".join(pieces[: i + 1])
        page = "file" if i == len(pieces) - 1 else "tree"
        if i:
            parts.append(("/", ""))
        parts.append((piece, f"/{page}?name={q(path)}"))
    if ci:
        parts += [(" at check-in ", ""), (ci, f"/info?name={q(ci)}")]
    return parts


def _linkable() -> dict[str, bool]:
    """Which of the pages a row links to this server has."""
    from fossilpy.web.routes import PAGE_MODULES

    return {p: p in PAGE_MODULES for p in ("annotate", "blame", "fdiff", "file", "timeline", "info")}
