"""JSON commands about artifacts and files: artifact, diff, dir, finfo.

``api-artifact.md``, ``api-diff.md``, ``api-dir.md``, ``api-finfo.md``;
``src/json_artifact.c``, ``json_diff.c``, ``json_dir.c``, ``json_finfo.c``.

* ``/json/artifact/NAME`` (or ``name=``): what NAME is decides the reply
  (``json_page_artifact``): a ticket hash prefix gives the ticket (``r``),
  a check-in the check-in object of ``timeline/checkin`` with its files
  (``o``), a wiki version ``{type, uuid, artifact: wiki/get object}``
  (``j``), a ticket change ``{type, uuid, artifact: {eventType, uuid, user,
  timestamp}}`` (``r``), a file version ``{type, uuid, name, size, parent,
  checkins: [...]}`` (``o``) with ``content`` when ``format=raw|html`` (or
  the deprecated ``includeContent``) and the file is text.  An unknown name
  is ``FOSSIL-3006``, an ambiguous prefix ``FOSSIL-3003``.
* ``/json/diff/V1/V2`` or ``?v1=&v2=`` (``o``): the unified diff of two
  artifacts, ``{from, to, diff}``; ``context=N``, ``sbs``, ``html``.
* ``/json/dir?name=DIR&checkin=NAME`` (``o``): the entries of a directory,
  of one check-in (with uuid, size, timestamp, downloadPath for files) or of
  every file name ever recorded.
* ``/json/finfo?name=PATH`` (``o``): the check-ins that touched a file,
  newest first; ``checkin``, ``before``/``after``, ``limit``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fossilpy.repo.names import AMBIGUOUS
from fossilpy.web.json_api.envelope import (
    E_AMBIGUOUS_UUID,
    E_MANIFEST_READ_FAILED,
    E_MISSING_ARGS,
    E_NOT_FOUND,
    E_UNRESOLVED_UUID,
    JsonRequest,
    fail,
)
from fossilpy.web.json_api.timeline import checkin_object, state_name

_FILE_CHECKINS = (
    "SELECT filename.name, (mlink.pid==0), (mlink.fid==0), CAST(strftime('%s',event.mtime) AS INTEGER),"
    " coalesce(event.ecomment,event.comment), coalesce(event.euser,event.user), b.uuid,"
    " coalesce((SELECT value FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname='branch')"
    " AND tagtype>0 AND rid=mlink.mid),'trunk')"
    " FROM mlink, filename, event, blob b WHERE filename.fnid=mlink.fnid AND event.objid=mlink.mid"
    " AND b.rid=mlink.mid AND mlink.fid=? AND (? OR mlink.mid NOT IN private) ORDER BY filename.name, event.mtime"
)


#: File names some visible check-in recorded (names of private check-ins only are hidden).
_NAMES = (
    "SELECT name FROM filename WHERE name GLOB ? AND EXISTS(SELECT 1 FROM mlink WHERE mlink.fnid=filename.fnid"
    " AND (? OR mlink.mid NOT IN private))"
)
_NAME_SEEN = (
    "SELECT 1 FROM filename JOIN mlink USING(fnid) WHERE filename.name=? AND (? OR mlink.mid NOT IN private) LIMIT 1"
)


def _content_format(jr: JsonRequest) -> int:
    """-1 raw, 1 html, 0 none (``json_artifact_get_content_format_flag``)."""
    value = jr.text("format", "f") or ""
    if value[:1] in ("r", "h", "n"):
        return {"r": -1, "h": 1, "n": 0}[value[:1]]
    return -1 if jr.flag("includeContent", "c") else 0


def _file(jr: JsonRequest, rid: int, out: dict[str, Any]) -> None:
    jr.need("o", "Requires 'o' privileges.")
    from fossilpy.repo import content

    fmt = _content_format(jr)
    if fmt:
        data = content.get(jr.repo, rid) or b""
        binary = b"\0" in data
        out["contentType"] = "application/octet-stream" if binary else "text/plain"
        size = len(data)
        if not binary:
            text = data.decode("utf-8", "surrogateescape")
            if fmt > 0 and text:
                from fossilpy.markup import wikirender

                text = wikirender.render_fossil_wiki(text, top=jr.ctx.req.top, links=jr.login.has("h"))
            out["content"] = text
            size = len(text.encode("utf-8", "surrogateescape"))
        out["contentSize"] = size
        out["contentFormat"] = "html" if fmt > 0 else "raw"
    out["size"] = int(jr.repo.one("SELECT size FROM blob WHERE rid=?", (rid,), -1))
    parent = jr.repo.one("SELECT DISTINCT p.uuid FROM blob p, mlink m WHERE m.pid=p.rid AND m.fid=?", (rid,))
    if parent:
        out["parent"] = parent
    out["checkins"] = [
        {"name": name, "timestamp": ts, "comment": comment, "user": user, "checkin": ci, "branch": branch,
         "state": state_name(bool(is_new), bool(is_del))}
        for name, is_new, is_del, ts, comment, user, ci, branch in jr.repo.all(_FILE_CHECKINS, (rid, jr.private))
    ]  # fmt: skip


def _ticket_change(jr: JsonRequest, rid: int) -> dict[str, Any]:
    jr.need("r", "Requires 'r' privileges.")
    from fossilpy.artifact.manifest import ArtifactType
    from fossilpy.web.names import read_artifact

    m = read_artifact(jr.repo, rid)
    if m is None or m.type != ArtifactType.TICKET:
        fail(E_MANIFEST_READ_FAILED)
    ts = jr.repo.one("SELECT CAST(strftime('%s', ?) AS INTEGER)", (m.julian,))
    return {"eventType": "ticket", "uuid": m.ticket_uuid, "user": m.user, "timestamp": ts}


def artifact(jr: JsonRequest) -> Any:
    """/json/artifact/NAME: a check-in, file, wiki page version or ticket (change)."""
    name = jr.text("name", pos=jr.depth + 1)
    if not name:
        fail(E_MISSING_ARGS, "Missing 'name' argument.")
    repo = jr.repo
    is_hex = all(c in "0123456789abcdefABCDEF" for c in name)
    if is_hex and jr.login.has("r"):
        tkt = repo.one("SELECT tkt_uuid FROM ticket WHERE tkt_uuid GLOB ? LIMIT 1", (name.lower() + "*",))
        if tkt:
            rid = repo.one("SELECT rid FROM tagxref JOIN tag USING(tagid) WHERE tagname=? ORDER BY mtime DESC",
                           ("tkt-" + str(tkt),))  # fmt: skip
            art = _ticket_change(jr, int(rid)) if rid else {"uuid": tkt}
            return {"type": "ticket", "uuid": tkt, "artifact": art}
    rid = jr.visibility().lookup(name)
    if rid == AMBIGUOUS or rid < 0:
        fail(E_AMBIGUOUS_UUID, f"Name [{name}] is ambiguous.")
    if rid == 0:
        fail(E_NOT_FOUND, f"Artifact [{name}] not found.")
    uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
    if repo.one("SELECT 1 FROM event WHERE objid=? AND type='ci'", (rid,)) or repo.one(
        "SELECT 1 FROM plink WHERE cid=? OR pid=?", (rid, rid)
    ):
        jr.need("o", "Viewing check-ins requires 'o' privileges.")
        out = checkin_object(jr, rid, True) or {}
        out["type"], out["uuid"] = "checkin", uuid
        return out
    if repo.one("SELECT 1 FROM tagxref JOIN tag USING(tagid) WHERE rid=? AND tagname GLOB 'wiki-*'", (rid,)):
        jr.need("j", "Requires 'j' privileges.")
        from fossilpy.repo import wiki as repowiki
        from fossilpy.web.json_api.wiki import page_object

        page = repowiki.version(repo, rid)
        if page is None:
            fail(E_MANIFEST_READ_FAILED)
        fmt = _content_format(jr)
        return {"type": "wiki", "uuid": uuid, "artifact": page_object(jr, page, fmt)}
    if repo.one("SELECT 1 FROM tagxref JOIN tag USING(tagid) WHERE rid=? AND tagname GLOB 'tkt-*'", (rid,)):
        return {"type": "ticket", "uuid": uuid, "artifact": _ticket_change(jr, rid)}
    if repo.one("SELECT 1 FROM mlink WHERE fid=?", (rid,)):
        out = {"type": "file", "uuid": uuid, "name": name}
        _file(jr, rid, out)
        return out
    fail(E_NOT_FOUND, "Missing implementation for artifacts of this type.")


def diff(jr: JsonRequest) -> Any:
    """/json/diff/V1/V2: the unified diff of two artifacts."""
    jr.need("o", "Requires 'o' permissions.")
    from fossilpy import budget
    from fossilpy.artifact import textdiff
    from fossilpy.repo import content

    v1 = jr.text("v1", pos=2)
    if not v1:
        fail(E_MISSING_ARGS, "Required 'v1' parameter is missing.")
    v2 = jr.text("v2", pos=3)
    if not v2:
        fail(E_MISSING_ARGS, "Required 'v2' parameter is missing.")
    vis = jr.visibility()
    rids = []
    for which, v in (("from", v1), ("to", v2)):
        rid = vis.lookup(v)
        if rid <= 0:
            fail(E_UNRESOLVED_UUID, f"Could not resolve '{which}' ID.")
        rids.append(rid)
    old, new = (content.get(jr.repo, r) or b"" for r in rids)
    flags = (textdiff.DIFF_SIDEBYSIDE if jr.flag("sbs", "y") else 0) | (
        textdiff.DIFF_HTML if jr.flag("html", "h") else 0)  # fmt: skip
    cfg = textdiff.DiffConfig(flags=flags, context=jr.integer("context", 5, "c"), tick=budget.check)
    text = textdiff.text_diff(old, new, cfg).decode("utf-8", "surrogateescape")
    return {"from": v1, "to": v2, "diff": text}


def directory(jr: JsonRequest) -> Any:
    """/json/dir?name=DIR&checkin=NAME: one level of the file tree."""
    jr.need("o", "Requires 'o' permissions.")
    from fossilpy.web.names import checkin_files

    repo = jr.repo
    checkin = jr.text("checkin", "ci")
    base = (jr.text("name") or jr.rest(jr.depth + 1) or "").strip()
    base = "" if base == "/" else base.rstrip("/")
    prefix = base + "/" if base else ""
    out: dict[str, Any] = {"name": base or "/"}
    entries: dict[str, dict[str, Any]] = {}
    if checkin:
        rid = jr.visibility().lookup(checkin, "ci")
        if rid <= 0:
            fail(E_UNRESOLVED_UUID, f"Check-in name [{checkin}] is unresolved.")
        out["checkin"] = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
        for f in checkin_files(repo, rid):
            if not f.name.startswith(prefix):
                continue
            head, slash, _rest = f.name[len(prefix) :].partition("/")
            if slash:
                entries.setdefault("/" + head, {"name": head, "isDir": True})
                continue
            row = repo.row(
                "SELECT b.size, (SELECT CAST(strftime('%s', max(e.mtime)) AS INTEGER) FROM mlink m JOIN event e"
                " ON e.objid=m.mid WHERE m.fid=b.rid) FROM blob b WHERE b.uuid=?", (f.uuid,)
            )  # fmt: skip
            entries[head] = {"name": head, "uuid": f.uuid, "size": int(row[0]) if row else -1,
                             "timestamp": row[1] if row else None,
                             "downloadPath": f"/raw/{quote(f.name)}?name={f.uuid}"}  # fmt: skip
    else:
        for (name,) in repo.all(_NAMES, (_glob_escape(prefix) + "*", jr.private)):
            head, slash, _rest = str(name)[len(prefix) :].partition("/")
            if slash:
                entries.setdefault("/" + head, {"name": head, "isDir": True})
            else:
                entries.setdefault(head, {"name": head})
    if entries:
        out["entries"] = [entries[k] for k in sorted(entries)]
    return out


def _glob_escape(text: str) -> str:
    """``text`` with GLOB's special characters taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def finfo(jr: JsonRequest) -> Any:
    """/json/finfo?name=PATH: the check-ins that touched a file."""
    jr.need("o", "Requires 'o' privileges.")
    repo = jr.repo
    name = jr.text("name") or jr.rest(jr.depth + 1)
    if not name:
        fail(E_MISSING_ARGS, "Missing 'name' parameter.")
    if not repo.one(_NAME_SEEN, (name, jr.private)):
        fail(E_NOT_FOUND, "File entry not found.")
    sql = (
        "SELECT ci.uuid, (SELECT uuid FROM blob WHERE rid=mlink.fid), CAST(strftime('%s',event.mtime) AS INTEGER),"
        " coalesce(event.euser, event.user), coalesce(event.ecomment, event.comment), b.size,"
        " (mlink.pid==0), (mlink.fid==0)"
        " FROM mlink JOIN filename ON mlink.fnid=filename.fnid LEFT JOIN blob b ON b.rid=mlink.fid"
        " JOIN event ON event.objid=mlink.mid JOIN blob ci ON ci.rid=event.objid"
        " WHERE filename.name=? AND (? OR mlink.mid NOT IN private)"
    )
    args: list[Any] = [name, jr.private]
    checkin = jr.text("checkin", "ci")
    order = "DESC"
    if checkin:
        rid = jr.visibility().lookup(checkin, "ci")
        if rid == AMBIGUOUS or rid < 0:
            fail(E_AMBIGUOUS_UUID, "Check-in hash is ambiguous.")
        if rid == 0:
            fail(E_NOT_FOUND, "Check-in hash not found.")
        sql += " AND ci.rid=?"
        args.append(rid)
    elif after := jr.text("after", "a"):
        sql += " AND event.mtime>=julianday(?)"
        args.append(after)
        order = "ASC"
    elif before := jr.text("before", "b"):
        sql += " AND event.mtime<=julianday(?)"
        args.append(before)
    limit = jr.integer("limit", -1, "n")
    sql += " ORDER BY event.mtime " + order + (" LIMIT ?" if limit > 0 else "")
    if limit > 0:
        args.append(limit)
    out: dict[str, Any] = {"name": name}
    if limit > 0:
        out["limit"] = limit
    out["checkins"] = [
        {"checkin": ci, "uuid": uuid, "timestamp": ts, "user": user, "comment": comment, "size": int(size or 0),
         "state": state_name(bool(is_new), bool(is_del))}
        for ci, uuid, ts, user, comment, size, is_new, is_del in repo.all(sql, tuple(args))
    ]  # fmt: skip
    return out
