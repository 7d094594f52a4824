"""/info, /ci, /vinfo, /artifact, /whatis: one artifact, shown for what it is.

A check-in shows its comment, user, time, branch, tags, parents and
children and the files it changed with unified diffs (from ``mlink``:
``fid`` the new version, ``pid`` the old one, 0 when added or removed,
``pfnid`` the old name of a rename, ``isaux`` for merge-parent rows,
which are not shown).  Wiki pages, technotes and forum posts show their
text rendered (safely, :mod:`fossilpy.markup.wikirender`); ticket changes
show their fields; a file shows its content; anything else its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fossilpy.artifact import textdiff
from fossilpy.repo import content
from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import BLOB_VISIBLE, MLINK_VISIBLE
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Changed lines shown per page before further files are listed without diffs.
MAX_DIFF_LINES = 20000
#: Files larger than this are not diffed.
MAX_DIFF_BYTES = 2_000_000


@dataclass
class FileChange:
    """One file of a check-in's change list.

    ``html`` is Fossil's diff table of the file (``diff=1``/``2``);
    ``diff`` the (class, line) list of a plain unified diff (wiki pages)."""

    name: str
    status: str  # added, deleted, modified, renamed
    old_name: str = ""
    uuid: str = ""
    old_uuid: str = ""
    diff: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    html: str = ""


@dataclass
class DiffView:
    """How a page shows diffs: Fossil's ``diff`` (0 none, 1 unified, 2 side
    by side), ``w`` (ignore whitespace) and ``dc`` (context lines) parameters."""

    kind: int = 2
    ignore_ws: bool = False
    context: int = 7
    #: Fossil's ``nChunk``: ``chunkN`` row ids count on across the page's files.
    chunks: int = 0

    def config(self, left_hash: str = "") -> textdiff.DiffConfig:
        """``construct_diff_flags`` + ``append_diff``: the flags of a web diff."""
        from fossilpy import budget

        flags = textdiff.DIFF_STRIP_EOLCR | textdiff.DIFF_HTML | textdiff.DIFF_NOTTOOBIG
        flags |= textdiff.DIFF_SIDEBYSIDE if self.kind == 2 else textdiff.DIFF_LINENO
        if self.ignore_ws:
            flags |= textdiff.DIFF_IGNORE_ALLWS
        return textdiff.DiffConfig(
            flags=flags, context=max(self.context, 0), left_hash=left_hash, chunks=self.chunks, tick=budget.check
        )

    def query(self, kind: int | None = None) -> str:
        """``diff=N`` (and ``&w``, ``&dc=N``) for links that keep this view."""
        q = f"diff={self.kind if kind is None else kind}"
        if self.ignore_ws:
            q += "&w"
        if self.context != 7:
            q += f"&dc={self.context}"
        return q


def _atoi(text: str | None) -> int:
    """C's ``atoi``: the leading (signed) digits, else 0."""
    m = re.match(r"\s*([-+]?[0-9]+)", text or "")
    return int(m.group(1)) if m else 0


def _display_cookie(ctx: Context) -> dict[str, str]:
    """``cookie_parse``: the ``name=value,...`` pairs of Fossil's display cookie (first 10)."""
    from urllib.parse import unquote_plus

    out: dict[str, str] = {}
    raw = ctx.req.cookies.get("fossil_display_settings") or ""
    for item in raw.split(",")[:10]:
        name, eq, value = item.lstrip().partition("=")
        if name and name not in out:
            out[name] = unquote_plus(value) if eq else ""
    return out


def diff_view(ctx: Context) -> DiffView:
    """``preferred_diff_type`` and ``construct_diff_flags``: the ``diff``
    parameter, else the ``diff`` of the ``fossil_display_settings`` cookie,
    else the ``preferred-diff-type`` setting, else unified for a
    mobile browser and side by side for others; ``w`` present ignores
    whitespace; ``dc`` (or ``context``) lines of context, 7 by default."""
    kind_param = ctx.req.get("diff")
    if kind_param is None:
        kind_param = _display_cookie(ctx).get("diff")
    if kind_param is None:
        kind = ctx.repo.setting_int("preferred-diff-type")
        if kind <= 0:
            kind = 1 if "Mobi" in str(ctx.req.environ.get("HTTP_USER_AGENT") or "") else 2
    else:
        kind = _atoi(kind_param)
    dc = ctx.req.get("dc")
    context = _atoi(dc if dc is not None else ctx.req.get("context", "7"))
    return DiffView(kind=kind, ignore_ws=ctx.req.get("w") is not None, context=context if context > 0 else 0)


def is_binary(data: bytes) -> bool:
    """Fossil's rule of thumb: a NUL byte means binary."""
    return b"\0" in data[:1_000_000]


def unified_diff(old: bytes, new: bytes, context: int = 3) -> list[tuple[str, str]]:
    """(css class, text) lines of Fossil's unified diff of two texts
    (:func:`fossilpy.artifact.textdiff.unified`: the same hunks as ``fossil diff``)."""
    from fossilpy import budget

    cfg = textdiff.DiffConfig(flags=textdiff.DIFF_CONTEXT_EX, context=context, tick=budget.check)
    try:
        d = textdiff.compute(old, new, cfg.flags, cfg.tick)
    except ValueError:
        return []
    kinds = {"@": "hunk", "+": "add", "-": "del"}
    text = textdiff.unified(d, cfg).decode("utf-8", "surrogateescape")
    return [(kinds.get(line[:1], "ctx"), line) for line in text.splitlines()]


def fill_diff(
    change: FileChange, old: bytes | None, new: bytes | None, budget: int, view: DiffView | None = None
) -> int:
    """Fill ``change.html``/``note`` with Fossil's diff of the two texts as
    ``view`` asks; return the changed lines left in the page's ``budget``."""
    view = view or DiffView()
    if view.kind <= 0:
        return budget
    if budget <= 0:
        change.note = "diff not shown (page limit reached)"
    elif new is None or old is None:
        change.note = "content not available (phantom)"
    elif len(new) > MAX_DIFF_BYTES or len(old) > MAX_DIFF_BYTES:
        change.note = "file too large to diff"
    else:
        from fossilpy import budget as request_budget

        request_budget.charge(len(old) + len(new))
        cfg = view.config(change.old_uuid)
        try:
            d = textdiff.compute(old, new, cfg.flags, cfg.tick)
        except ValueError as e:  # binary, whitespace only, too many changes
            change.note = str(e).strip()
            return budget
        from fossilpy.artifact import diffbuild

        out = diffbuild.split_html(d, cfg) if view.kind == 2 else diffbuild.unified_html(d, cfg)
        view.chunks = cfg.chunks
        change.html = out.decode("utf-8", "surrogateescape")
        budget -= sum(d.edits[i + 1] + d.edits[i + 2] for i in range(0, len(d.edits), 3))
    return budget


def _name_param(ctx: Context) -> str:
    name = ctx.req.get("name") or ""
    if not name:
        raise HTTPError(404, "which artifact? (give /info/NAME)")
    return name


@pages.webpage("/info", caps="o|r|j|2")
def info(ctx: Context) -> Response:
    """/info/NAME

    Show artifact NAME: a check-in (with its changes and diffs), a wiki
    page version, a ticket change, a technote, a forum post or a file.
    NAME is a hash prefix, a branch or tag name, a date or "tip"."""
    name = _name_param(ctx)
    try:
        rid = names.find(names.visibility(ctx), name)
    except HTTPError:
        if is_hash_prefix(name) and ctx.has("r"):
            from fossilpy.web.pages.tickets import ticket_named

            found = ticket_named(ctx, name.lower())
            if found is not None:
                return found
        raise
    return _show(ctx, rid)


@pages.webpage("/ci", caps="o")
def ci(ctx: Context) -> Response:
    """/ci/NAME

    Show check-in NAME (same as /info for a check-in)."""
    rid = names.find_checkin(names.visibility(ctx), _name_param(ctx))
    return checkin_page(ctx, rid)


@pages.webpage("/vinfo", caps="o")
def vinfo(ctx: Context) -> Response:
    """/vinfo/NAME

    Same as /ci."""
    return ci(ctx)


def _show(ctx: Context, rid: int) -> Response:
    if ctx.repo.one("SELECT 1 FROM attachment WHERE attachid=?", (rid,)):  # as info_page: ainfo_page
        from fossilpy.web.pages.attachments import attachment_info

        return attachment_info(ctx, rid)
    kind = names.artifact_kind(ctx.repo, rid)
    if kind == "checkin":
        if not ctx.has("o"):
            raise HTTPError(403, "reading check-ins needs capability o")
        return checkin_page(ctx, rid)
    if kind in ("wiki", "technote", "forum"):
        need = {"wiki": "j", "technote": "j", "forum": "2"}[kind]
        if not ctx.has(need):
            raise HTTPError(403, f"reading this needs capability {need}")
        return _text_page(ctx, rid, kind)
    if kind == "ticket":
        if not ctx.has("r"):
            raise HTTPError(403, "reading tickets needs capability r")
        return _ticket_change(ctx, rid)
    if not ctx.has("o"):
        raise HTTPError(403, "reading artifacts needs capability o")
    uuid = content.uuid_of(ctx.repo, rid)
    return redirect(ctx.req, f"/artifact/{uuid}")


def _meta(ctx: Context, rid: int) -> dict[str, Any]:
    row = ctx.repo.row(
        "SELECT blob.uuid, blob.size, event.mtime, coalesce(event.euser,event.user,''),"
        " coalesce(event.ecomment,event.comment,''), event.type"
        " FROM blob LEFT JOIN event ON event.objid=blob.rid WHERE blob.rid=?",
        (rid,),
    )
    if row is None:
        raise HTTPError(404, "no such artifact")
    return {"uuid": row[0], "size": row[1], "mtime": row[2], "user": row[3], "comment": row[4], "etype": row[5]}


def checkin_page(ctx: Context, rid: int) -> Response:
    """The page of one check-in (parents and children the visitor may not see are left out)."""
    repo = ctx.repo
    vis = names.visibility(ctx)
    if vis.hidden(rid):
        raise HTTPError(404, names.NO_CHECKIN)
    meta = _meta(ctx, rid)
    branch = names.branch_of(repo, rid)
    tags = [
        r[0]
        for r in repo.all(
            "SELECT substr(tag.tagname,5) FROM tagxref JOIN tag ON tag.tagid=tagxref.tagid"
            " WHERE tagxref.rid=? AND tagxref.tagtype>0 AND tag.tagname GLOB 'sym-*' ORDER BY 1",
            (rid,),
        )
    ]
    parents = repo.all(
        "SELECT blob.uuid, plink.isprim FROM plink JOIN blob ON blob.rid=plink.pid"
        " WHERE plink.cid=? AND " + BLOB_VISIBLE + " ORDER BY plink.isprim DESC",
        (rid, vis.private),
    )
    children = repo.all(
        "SELECT blob.uuid, plink.isprim FROM plink JOIN blob ON blob.rid=plink.cid"
        " WHERE plink.pid=? AND " + BLOB_VISIBLE + " ORDER BY plink.mtime",
        (rid, vis.private),
    )
    leaf = bool(repo.one("SELECT 1 FROM leaf WHERE rid=?", (rid,)))
    view = diff_view(ctx)
    changes = _changes(ctx, rid, view=view if view.kind > 0 and not ctx.req.flag("nodiff") else None)
    from fossilpy.web.pages import checkin_info

    parent = repo.one(
        "SELECT blob.uuid FROM plink JOIN blob ON blob.rid=plink.pid WHERE plink.cid=? AND plink.isprim", (rid,)
    )
    return ctx.render(
        "checkin.html",
        title=f"Check-in [{meta['uuid'][:10]}]",
        meta=meta,
        branch=branch,
        tags=[t for t in tags if t != branch],
        parents=parents,
        children=children,
        leaf=leaf,
        overview=checkin_info.overview(ctx, rid, meta["uuid"], branch),
        context=checkin_info.context_rows(ctx, rid),
        patch=f"/vpatch?from={parent}&to={meta['uuid']}" if parent else "",
        changes=changes,
        diffview=view,
        diffpage=f"/info/{meta['uuid']}",
    )


def _changes(ctx: Context, rid: int, *, view: DiffView | None) -> list[FileChange]:
    repo = ctx.repo
    rows = repo.all(
        "SELECT fn.name, mlink.fid, mlink.pid, coalesce(pfn.name,''),"
        " (SELECT uuid FROM blob WHERE rid=mlink.fid), (SELECT uuid FROM blob WHERE rid=mlink.pid)"
        " FROM mlink JOIN filename fn ON fn.fnid=mlink.fnid"
        " LEFT JOIN filename pfn ON pfn.fnid=mlink.pfnid AND mlink.pfnid>0"
        " WHERE mlink.mid=? AND NOT coalesce(mlink.isaux,0) ORDER BY fn.name",
        (rid,),
    )
    budget = MAX_DIFF_LINES
    out: list[FileChange] = []
    for name, fid, pid, old_name, uuid, old_uuid in rows:
        pid = pid if pid and pid > 0 else 0  # -1: added by a merge
        if fid and pid:
            status = "renamed" if old_name and old_name != name else "modified"
            if fid == pid and status == "modified":
                continue
        elif fid:
            status = "added"
        else:
            status = "deleted"
        change = FileChange(name, status, old_name, uuid or "", old_uuid or "")
        if view is not None and budget <= 0:
            change.note = "diff not shown (page limit reached)"
        elif view is not None and fid != pid:
            new = content.get(repo, fid) if fid else b""
            old = content.get(repo, pid) if pid else b""
            budget = fill_diff(change, old, new, budget, view)
        out.append(change)
    return out


def _text_page(ctx: Context, rid: int, kind: str) -> Response:
    meta = _meta(ctx, rid)
    m = names.read_artifact(ctx.repo, rid)
    text, mimetype = names.text_of(m)
    title = meta["comment"]
    if kind == "wiki":
        title = meta["comment"][1:] if meta["comment"][:1] in "+:-" else meta["comment"]
    if kind == "forum" and m is not None and m.forum_title is not None:
        title = m.forum_title
    labels = {"wiki": "Wiki page", "technote": "Technote", "forum": "Forum post"}
    return ctx.render(
        "textartifact.html",
        title=f"{labels[kind]}: {title}" if title else labels[kind],
        kind=kind,
        meta=meta,
        text=text,
        mimetype=mimetype,
        heading=title,
    )


def _ticket_change(ctx: Context, rid: int) -> Response:
    meta = _meta(ctx, rid)
    m = names.read_artifact(ctx.repo, rid)
    fields = [(f.name, f.value, f.append) for f in m.fields] if m is not None else []
    ticket = (m.ticket_uuid if m is not None else None) or ""
    return ctx.render(
        "ticketchange.html", title=f"Ticket change [{meta['uuid'][:10]}]", meta=meta, fields=fields, ticket=ticket
    )


@pages.webpage("/artifact", caps="o")
def artifact(ctx: Context) -> Response:
    """/artifact/HASH?ln

    Show the content of one artifact (a file version or a control
    artifact) with line numbers; binary content gets a download link."""
    rid = names.find(names.visibility(ctx), _name_param(ctx))
    return show_content(ctx, rid, filename=None, checkin=None)


def show_content(ctx: Context, rid: int, *, filename: str | None, checkin: str | None) -> Response:
    """Render the text of artifact ``rid`` (shared with /file); "used in"
    lists only the check-ins the visitor may see."""
    vis = names.visibility(ctx)
    if vis.hidden(rid):
        raise HTTPError(404, names.NO_ARTIFACT)
    data = content.get(ctx.repo, rid)
    uuid = content.uuid_of(ctx.repo, rid) or ""
    if data is None:
        raise HTTPError(404, "content of this artifact is not available")
    used_in = ctx.repo.all(
        "SELECT DISTINCT fn.name, b.uuid, e.mtime FROM mlink JOIN filename fn ON fn.fnid=mlink.fnid"
        " JOIN blob b ON b.rid=mlink.mid JOIN event e ON e.objid=mlink.mid WHERE mlink.fid=? AND "
        + MLINK_VISIBLE
        + " ORDER BY e.mtime LIMIT 20",
        (rid, vis.private),
    )
    if filename is None and used_in:
        filename = used_in[0][0]
    binary = is_binary(data)
    lines: list[str] = [] if binary else data.decode("utf-8", "replace").splitlines()
    kind = names.artifact_kind(ctx.repo, rid)
    rendered = None
    low = (filename or "").lower()
    if not binary and low.endswith((".md", ".markdown", ".wiki")) and ctx.req.get("txt") is None:
        mt = "text/x-markdown" if not low.endswith(".wiki") else "text/x-fossil-wiki"
        rendered = (data.decode("utf-8", "replace"), mt)
    return ctx.render(
        "artifact.html",
        title=f"{'File ' + filename if filename else 'Artifact'} [{uuid[:10]}]",
        uuid=uuid,
        size=len(data),
        binary=binary,
        lines=lines,
        filename=filename,
        checkin=checkin,
        used_in=used_in,
        kind=kind,
        rendered=rendered,
    )


@pages.webpage("/whatis", caps="o")
def whatis(ctx: Context) -> Response:
    """/whatis/NAME

    Say what kind of artifact NAME is and link to it."""
    rid = names.find(names.visibility(ctx), _name_param(ctx))
    meta = _meta(ctx, rid)
    kind = names.artifact_kind(ctx.repo, rid)
    return ctx.render("whatis.html", title=f"What is {meta['uuid'][:10]}", meta=meta, kind=kind, rid=rid)
