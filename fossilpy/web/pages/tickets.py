"""Ticket pages: /tktview (moved from info.py; the writable pages follow)."""

from __future__ import annotations

from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import TAGXREF_VISIBLE
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def ticket_named(ctx: Context, prefix: str) -> Response | None:
    """A ticket named by a prefix of its 40-hex id: its fields and changes."""
    rows = ctx.repo.all(
        "SELECT tagid, substr(tagname,5) FROM tag WHERE tagname>=? AND tagname<? LIMIT 2",
        ("tkt-" + prefix, "tkt-" + prefix + "g"),
    )
    if len(rows) != 1:
        return None
    tagid, tkt_uuid = rows[0]
    fields: list[tuple[str, str]] = []
    if ctx.repo.table_exists("ticket"):
        cur = ctx.repo.execute("SELECT * FROM ticket WHERE tkt_uuid=?", (tkt_uuid,))
        row = cur.fetchone()
        if row is not None:
            for (col, *_), value in zip(cur.description, row, strict=True):
                if col in ("tkt_id", "tkt_uuid") or value in (None, ""):
                    continue
                if col in ("tkt_mtime", "tkt_ctime"):
                    from fossilpy.web.render import julian_to_text

                    value = julian_to_text(value)
                fields.append((col, str(value)))
    changes = ctx.repo.all(
        "SELECT blob.uuid, tagxref.mtime, coalesce(event.user,'') FROM tagxref"
        " JOIN blob ON blob.rid=tagxref.rid LEFT JOIN event ON event.objid=tagxref.rid"
        " WHERE tagxref.tagid=? AND " + TAGXREF_VISIBLE + " ORDER BY tagxref.mtime",
        (tagid, names.visibility(ctx).private),
    )
    return ctx.render("ticket.html", title=f"Ticket {tkt_uuid[:10]}", tkt_uuid=tkt_uuid, fields=fields, changes=changes)


@pages.webpage("/tktview", caps="r")
def tktview(ctx: Context) -> Response:
    """/tktview/UUID  or  /tktview?name=UUID

    Show a ticket."""
    name = (ctx.req.get("name") or "").strip().lower()
    if not name or not is_hash_prefix(name):
        raise HTTPError(404, f"no ticket {name!r}")
    found = ticket_named(ctx, name)
    if found is None:
        raise HTTPError(404, f"no ticket {name!r}")
    return found
