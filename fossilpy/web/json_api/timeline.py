"""JSON timelines, branch list and tag list.

``api-timeline.md``, ``api-branch.md``, ``api-tag.md``; ``src/json_timeline.c``,
``json_branch.c``, ``json_tag.c``, ``json_artifact.c``.

* ``/json/timeline/checkin`` (``h``; Fossil's C code asks ``h``, the
  document says ``o``: either is accepted), ``/json/timeline/wiki`` (``j``
  or ``o``), ``/json/timeline/ticket`` (``r`` or ``o``),
  ``/json/timeline/technote`` (alias ``event``; ``j``) and
  ``/json/timeline/branch`` (``o``): ``{limit, timeline: [...]}``.  Options
  ``limit`` (default 20, 0 for all), ``after``/``a`` (oldest first) or
  ``before``/``b`` (``YYYY-MM-DD[ HH:MM:SS]``); check-ins also ``files``
  (or ``verbose``) and ``tag`` or ``branch`` (an unknown one is
  ``FOSSIL-3001``).
* ``/json/branch/list?range=open|closed|all`` (``o``):
  ``{range, branches: [NAME...]}`` sorted by name ignoring case.
* ``/json/tag/list[/CHECKIN]?raw=BOOL&includeTickets=BOOL`` (``o``): every
  tag name, or the tags of one check-in as ``{NAME: VALUE|null}``.

Private check-ins (and events) are left out for a reader without ``x``.
"""

from __future__ import annotations

from typing import Any

from fossilpy.repo.visibility import EVENT_VISIBLE
from fossilpy.web.json_api.envelope import E_INVALID_ARGS, E_UNRESOLVED_UUID, JsonRequest, fail

#: Default number of timeline entries (``json_timeline_limit(20)``).
DEFAULT_LIMIT = 20

#: The timeline rows (``json_timeline_query``), before the filters and the order.
_BASE = (
    "SELECT blob.rid, blob.uuid, CAST(strftime('%s',event.mtime) AS INTEGER),"
    " coalesce(event.ecomment, event.comment), coalesce(event.euser, event.user), event.type,"
    " event.tagid, event.brief"
    " FROM event JOIN blob ON blob.rid=event.objid WHERE event.type=? AND " + EVENT_VISIBLE
)

#: The branch/tag filter (``json_timeline_add_tag_branch_clause``): the tag's check-ins;
#: for a branch also their children and parents on it.
_TAGGED = " AND (EXISTS(SELECT 1 FROM tagxref WHERE tagid=? AND tagtype>0 AND rid=blob.rid)"
_BRANCH_NEAR = (
    " OR EXISTS(SELECT 1 FROM plink JOIN tagxref ON rid=cid WHERE tagid=? AND tagtype>0 AND pid=blob.rid)"
    " OR EXISTS(SELECT 1 FROM plink JOIN tagxref ON rid=pid WHERE tagid=? AND tagtype>0 AND cid=blob.rid)"
)

#: Files changed by a check-in (``json_get_changed_files``).
_CHANGED = (
    "SELECT (pid<=0), (fid==0), (SELECT name FROM filename WHERE fnid=mlink.fnid),"
    " (SELECT uuid FROM blob WHERE rid=fid), (SELECT uuid FROM blob WHERE rid=pid), blob.size"
    " FROM mlink LEFT JOIN blob ON blob.rid=fid WHERE mid=? AND pid!=fid AND NOT mlink.isaux ORDER BY 3"
)


#: Parents of a check-in, the primary one first (``json_parent_uuids_for_ci``).
_PARENTS = (
    "SELECT uuid FROM plink JOIN blob ON blob.rid=plink.pid WHERE plink.cid=? AND (? OR plink.pid NOT IN private)"
    " ORDER BY plink.isprim DESC, blob.uuid"
)


def state_name(is_new: bool, is_deleted: bool) -> str:
    """``json_artifact_status_to_string``."""
    return "added" if is_new else "removed" if is_deleted else "modified"


def changed_files(jr: JsonRequest, rid: int) -> list[dict[str, Any]]:
    """The files check-in ``rid`` added, changed or removed."""
    out = []
    for is_new, is_del, name, uuid, parent, size in jr.repo.all(_CHANGED, (rid,)):
        row: dict[str, Any] = {"name": name, "uuid": uuid}
        if not is_new:
            row["parent"] = parent
        row["size"] = int(size or 0) if uuid else 0
        row["state"] = state_name(bool(is_new), bool(is_del))
        row["downloadPath"] = f"/raw/{name}?name={uuid}"
        out.append(row)
    return out


def checkin_tags(jr: JsonRequest, rid: int) -> list[str] | None:
    """Symbolic tags on check-in ``rid`` (``info_tags_of_checkin``), None if none."""
    rows = jr.repo.all(
        "SELECT substr(tagname, 5) FROM tagxref JOIN tag USING(tagid)"
        " WHERE tagxref.rid=? AND tagxref.tagtype>0 AND tag.tagname GLOB 'sym-*' ORDER BY tagxref.rowid",
        (rid,),
    )
    return [str(r[0]) for r in rows] or None


def checkin_object(jr: JsonRequest, rid: int, show_files: bool) -> dict[str, Any] | None:
    """One check-in as ``json_artifact_for_ci`` describes it; None if ``rid`` is not one."""
    from fossilpy.repo.crosslink.leaf import is_leaf

    repo = jr.repo
    row = repo.row(
        "SELECT b.uuid, CAST(strftime('%s',e.mtime) AS INTEGER), CAST(strftime('%s',e.omtime) AS INTEGER),"
        " e.user, e.comment FROM blob b, event e WHERE b.rid=? AND e.objid=b.rid",
        (rid,),
    )
    if row is None:
        return None
    uuid, mtime, omtime, user, comment = row
    out: dict[str, Any] = {"type": "checkin", "uuid": uuid, "isLeaf": is_leaf(repo, rid), "timestamp": mtime}
    if omtime and omtime != mtime:
        out["originTime"] = omtime
    euser = repo.one("SELECT value FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname='user')"
                     " AND rid=?", (rid,))  # fmt: skip
    out["user"] = euser if euser is not None else user
    if euser is not None and euser != user:
        out["originUser"] = user
    ecomment = repo.one("SELECT value FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname='comment')"
                        " AND rid=?", (rid,))  # fmt: skip
    out["comment"] = ecomment if ecomment is not None else comment
    if ecomment is not None and ecomment != comment:
        out["originComment"] = comment
    parents = [str(r[0]) for r in repo.all(_PARENTS, (rid, jr.private))]
    if parents:
        out["parents"] = parents
    tags = checkin_tags(jr, rid)
    if tags:
        out["tags"] = tags
    if show_files:
        files = changed_files(jr, rid)
        if files:
            out["files"] = files
    return out


def _rows(jr: JsonRequest, etype: str, out: dict[str, Any], *, tags: bool = False) -> list[Any]:
    """The timeline rows of type ``etype`` with the common options (``json_timeline_setup_sql``)."""
    sql = _BASE
    args: list[Any] = [etype, jr.private]
    if tags and jr.login.has("o"):
        tag = jr.text("tag")
        branch = None if tag else jr.text("branch")
        name = tag or branch
        if name:
            tagid = jr.repo.one("SELECT tagid FROM tag WHERE tagname=?", ("sym-" + name,))
            if not tagid:
                fail(E_INVALID_ARGS, "Query initialization failed.")
            out["branch" if branch else "tag"] = name
            sql += _TAGGED
            args.append(tagid)
            if branch:
                sql += _BRANCH_NEAR
                args += [tagid, tagid]
            sql += ")"
    after = jr.text("after", "a")
    before = None if after else jr.text("before", "b")
    if after and after.strip():
        sql += " AND event.mtime>=julianday(?) ORDER BY event.mtime ASC"
        args.append(after.strip())
    elif before and before.strip():
        sql += " AND event.mtime<=julianday(?) ORDER BY event.mtime DESC"
        args.append(before.strip())
    else:
        sql += " ORDER BY event.mtime DESC"
    limit = jr.integer("limit", -1, "n")
    limit = DEFAULT_LIMIT if limit < 0 else limit
    if limit > 0:
        sql += " LIMIT ?"
        args.append(limit)
    out["limit"] = limit
    return jr.repo.all(sql, tuple(args))


def _checkins(jr: JsonRequest) -> Any:
    jr.need("h|o", "Check-in timeline requires 'h' access.")
    files = jr.flag("verbose", "v") or jr.flag("files", "f")
    out: dict[str, Any] = {}
    rows = _rows(jr, "ci", out, tags=True)
    out["timeline"] = [obj for r in rows if (obj := checkin_object(jr, int(r[0]), files)) is not None]
    return out


def timeline_wiki(jr: JsonRequest) -> Any:
    """/json/timeline/wiki (and /json/wiki/timeline): wiki changes."""
    jr.need("j|o", "Wiki timeline requires 'o' or 'j' access.")
    out: dict[str, Any] = {}
    rows = _rows(jr, "w", out)
    out["timeline"] = [{"uuid": r[1], "timestamp": r[2], "comment": r[3], "user": r[4], "eventType": r[5]}
                       for r in rows]  # fmt: skip
    return out


def _technotes(jr: JsonRequest) -> Any:
    jr.need("j", "Event timeline requires 'j' access.")
    out: dict[str, Any] = {}
    rows = _rows(jr, "e", out)
    items = []
    for r in rows:
        name = jr.repo.one("SELECT substr(tagname, 7) FROM tag WHERE tagid=? AND tagname GLOB 'event-*'", (r[6],))
        items.append({"name": name, "uuid": r[1], "timestamp": r[2], "comment": r[3], "user": r[4],
                      "eventType": r[5]})  # fmt: skip
    out["timeline"] = items
    return out


def _tickets(jr: JsonRequest) -> Any:
    jr.need("r|o", "Ticket timeline requires 'o' or 'r' access.")
    from fossilpy.artifact.manifest import ArtifactType
    from fossilpy.web.names import read_artifact

    out: dict[str, Any] = {}
    items = []
    for rid, uuid, mtime, comment, user, etype, _tagid, brief in _rows(jr, "t", out):
        m = read_artifact(jr.repo, int(rid))
        if m is None or m.type != ArtifactType.TICKET:
            continue
        items.append({"uuid": uuid, "timestamp": mtime, "user": user, "eventType": etype, "comment": comment,
                      "briefComment": brief, "ticketUuid": m.ticket_uuid})  # fmt: skip
    out["timeline"] = items
    return out


def _branch_checkins(jr: JsonRequest) -> Any:
    """/json/timeline/branch: the check-ins that start a branch."""
    jr.need("o", "Requires 'o' permissions.")
    from fossilpy.repo.crosslink.leaf import is_leaf

    limit = jr.integer("limit", -1, "n")
    limit = DEFAULT_LIMIT if limit < 0 else limit
    rows = jr.repo.all(
        "SELECT blob.rid, uuid, CAST(strftime('%s',event.mtime) AS INTEGER), coalesce(ecomment, comment),"
        " coalesce(euser, user), bgcolor FROM event JOIN blob ON blob.rid=event.objid"
        " WHERE event.type='ci' AND blob.rid IN (SELECT rid FROM tagxref WHERE tagtype>0 AND srcid!=0"
        " AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')) AND " + EVENT_VISIBLE +
        " ORDER BY event.mtime DESC" + (" LIMIT ?" if limit > 0 else ""),
        (jr.private, limit) if limit > 0 else (jr.private,),
    )  # fmt: skip
    timeline = [{"uuid": uuid, "timestamp": ts, "comment": comment, "user": user,
                 "isLeaf": is_leaf(jr.repo, int(rid)), "bgColor": bg, "tags": checkin_tags(jr, int(rid))}
                for rid, uuid, ts, comment, user, bg in rows]  # fmt: skip
    out: dict[str, Any] = {}
    if limit > 0:
        out["limit"] = limit
    out["timeline"] = timeline
    return out


def timeline(jr: JsonRequest) -> Any:
    """/json/timeline/checkin|wiki|ticket|technote|event|branch."""
    return jr.sub({"branch": _branch_checkins, "checkin": _checkins, "event": _technotes, "technote": _technotes,
                   "ticket": _tickets, "wiki": timeline_wiki})  # fmt: skip


def _branch_list(jr: JsonRequest) -> Any:
    jr.need("o", "Requires 'o' permissions.")
    from fossilpy.web.pages.branches import _BRANCHES, _nocase

    letter = (jr.text("range", "r") or "o")[:1]
    wanted = {"c": "closed", "a": "all"}.get(letter, "open")
    rows = jr.repo.all(_BRANCHES, (jr.private, jr.private))
    kept = [str(r[0]) for r in rows if wanted == "all" or bool(r[2]) == (wanted == "closed")]
    return {"range": wanted, "branches": sorted(kept, key=_nocase)}


def branch(jr: JsonRequest) -> Any:
    """/json/branch/list."""
    return jr.sub({"list": _branch_list})


def _tag_list(jr: JsonRequest) -> Any:
    jr.need("o", "Requires 'o' permissions.")
    raw = jr.flag("raw")
    tickets = jr.flag("includeTickets", "t")
    checkin = jr.text("checkin") or jr.arg(jr.depth + 1)
    if not checkin and isinstance(jr.payload, str):
        checkin = jr.payload
    out: dict[str, Any] = {"raw": raw}
    if checkin:
        rid = jr.visibility().lookup(checkin)
        if rid <= 0:
            fail(E_UNRESOLVED_UUID, f"Could not find artifact for check-in [{checkin}].")
        out["checkin"] = checkin
        tags: dict[str, Any] = {}
        for name, value in jr.repo.all(
            "SELECT tagname, value FROM tagxref JOIN tag USING(tagid) WHERE tagxref.rid=? AND tagtype>?"
            " ORDER BY tagname",
            (rid, -1 if raw else 0),
        ):
            name = str(name)
            if not raw:
                if not name.startswith("sym-"):
                    continue
                name = name[4:]
            tags[name] = value if value else None
        out["tags"] = tags or None
        return out
    sql = (
        "SELECT tagname FROM tag WHERE EXISTS(SELECT 1 FROM tagxref WHERE tagid=tag.tagid AND tagtype>0"
        " AND (? OR tagxref.rid NOT IN private))"
    )
    if not tickets:
        sql += " AND tagname NOT GLOB 'tkt-*'"
    names = [str(r[0]) for r in jr.repo.all(sql + " ORDER BY tagname", (jr.private,))]
    out["includeTickets"] = tickets
    out["tags"] = [n[4:] if not raw and n.startswith("sym-") else n for n in names] or None
    return out


def tag(jr: JsonRequest) -> Any:
    """/json/tag/list."""
    return jr.sub({"list": _tag_list})
