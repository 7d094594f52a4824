"""/dir, /tree, /file and /raw: browsing the files of a check-in.

``ci=`` names the check-in (default ``tip`` for /file, /tree and /raw; /dir
without ``ci=`` lists every file name the repository has ever seen, as
Fossil does).  ``name=`` is a directory (/dir, /tree) or a file (/file).

/raw sends the bytes as they are stored, with a content type guessed from
the file name (``m=`` overrides it).  Types a browser would execute --
HTML, SVG, XML, JavaScript -- are sent as ``text/plain`` and every /raw
reply carries ``Content-Security-Policy: sandbox`` so repository content
never runs as part of this site.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fossilpy.repo import content
from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import Visibility
from fossilpy.text import human_age
from fossilpy.web import names
from fossilpy.web.pages.doc import MIMETYPES, mimetype_from_name
from fossilpy.web.render import julian_to_text
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: MIME types never sent as such by /raw (a browser would run them).
#: Content types /raw sends as they are (lower-case type/subtype, no
#: parameters).  None of them is rendered as a document a script could run
#: in; any other type (asked with m= or guessed from the name: HTML, SVG,
#: XML, scripts, " text/html" ...) becomes text/plain, or
#: application/octet-stream for binary data.
SAFE_TYPES = frozenset(
    """text/plain text/markdown text/x-markdown text/x-fossil-wiki text/csv text/x-diff
    image/png image/jpeg image/gif image/webp image/bmp image/x-icon image/vnd.microsoft.icon
    application/octet-stream application/pdf application/json application/zip application/gzip
    application/x-gzip application/x-tar application/x-xz application/x-bzip2
    audio/mpeg audio/ogg audio/wav video/mp4 video/webm font/woff font/woff2
    application/x-fossil-artifact""".split()
) | frozenset(
    t.lower()
    for t in MIMETYPES.values()
    if not any(w in t.lower() for w in ("html", "xml", "svg", "script", "xsl", "sgml", "flash", "mime", "css"))
)

#: The type of an artifact whose name tells nothing (Fossil's default).
FOSSIL_ARTIFACT = "application/x-fossil-artifact"


def safe_type(asked: str, data: bytes) -> str:
    """``asked`` if it is in SAFE_TYPES, else text/plain or application/octet-stream by content."""
    mt = asked.split(";", 1)[0].strip().lower()
    if mt in SAFE_TYPES:
        return mt
    return "text/plain" if b"\0" not in data[:8192] else "application/octet-stream"


def _checkin(ctx: Context, vis: Visibility, default: str | None = "tip") -> tuple[int, str]:
    """(rid, hash) of the check-in named by ci= (or r=), as this visitor may see it."""
    name = ctx.req.get("ci") or ctx.req.get("r") or default
    if name is None:
        return 0, ""
    rid = names.find_checkin(vis, name)
    return rid, content.uuid_of(ctx.repo, rid) or ""


def _clean_dir(name: str) -> str:
    parts = [p for p in name.strip("/").split("/") if p and p != "."]
    if ".." in parts:
        raise HTTPError(404, "no such directory")
    return "/".join(parts)


@dataclass
class Entry:
    """A row of a directory listing."""

    name: str
    path: str
    is_dir: bool
    uuid: str = ""
    children: list[Entry] = field(default_factory=list)
    #: When the content it has in the check-in first appeared (a directory:
    #: its newest file), as a Julian day; 0 if unknown.
    mtime: float = 0.0
    age: str = ""


#: The file names (fnid) that only private check-ins use: hidden from a
#: visitor who may not see private content.  Its cost follows the private
#: check-ins' mlink rows, not the history.
_PRIVATE_ONLY_NAMES = (
    "SELECT DISTINCT m.fnid FROM private JOIN mlink AS m ON m.mid=private.rid"
    " WHERE NOT EXISTS(SELECT 1 FROM mlink AS o WHERE o.fnid=m.fnid AND o.mid NOT IN private)"
)


def _all_names(ctx: Context, vis: Visibility, rid: int, prefix: str = "") -> list[tuple[str, str]]:
    """(name, hash) of the files of check-in ``rid``; without one, every file
    name under ``prefix`` (``DIR/``, or "" for all) the visitor may see (a
    name only private check-ins use is hidden).

    Without ``rid`` the names come from the ``filename`` table through its
    unique index: a directory reads only its own entries (:data:`_ENTRIES`;
    with a private check-in or a prefix that is not ASCII, every name of
    the range ``DIR/`` .. ``DIR0``, '0' being the byte after '/'), and the
    private rule costs nothing when no check-in is private.  (Fossil's
    ``page_dir`` reads every name of the table and shows private names.)"""
    if rid:
        return [(f.name, f.uuid) for f in names.checkin_files(ctx.repo, rid)]
    from fossilpy.repo.db import sql_text

    hiding = not vis.private and ctx.repo.one("SELECT 1 FROM private LIMIT 1") is not None
    if not hiding and prefix.isascii():
        top = prefix[:-1] + "0" if prefix else "\U0010ffff"
        rows = ctx.repo.all(_ENTRIES, {"lo": prefix, "hi": top, "n": len(prefix)})
        return [(r[0], "") for r in rows]
    sql = "SELECT fnid, name FROM filename"
    params: tuple[object, ...] = ()
    if prefix:
        sql += " WHERE name >= CAST(? AS TEXT) AND name < CAST(? AS TEXT)"
        params = (sql_text(prefix), sql_text(prefix[:-1] + "0"))
    rows = ctx.repo.all(sql + " ORDER BY name", params)
    if hiding:
        hidden = {r[0] for r in ctx.repo.all(_PRIVATE_ONLY_NAMES)}
        rows = [r for r in rows if r[0] not in hidden]
    return [(r[1], "") for r in rows]


#: The entries of one directory (names from :lo up to :hi, :n characters of
#: prefix): its files, and the first name under each subdirectory, each
#: found by one seek in the filename index from the one before (past a
#: subdirectory: to HEAD0, '0' being the byte after '/'), so the root of a
#: tree of thousands of files costs a handful of seeks.
_ENTRIES = """
WITH RECURSIVE walk(name) AS (
  SELECT (SELECT min(name) FROM filename WHERE name >= :lo AND name < :hi)
  UNION ALL
  SELECT (SELECT min(f.name) FROM filename AS f WHERE f.name >= (
      CASE WHEN instr(substr(walk.name, :n + 1), '/') > 0
           THEN substr(walk.name, 1, :n + instr(substr(walk.name, :n + 1), '/') - 1) || '0'
           ELSE walk.name || char(1) END) AND f.name < :hi)
  FROM walk WHERE walk.name IS NOT NULL)
SELECT name FROM walk WHERE name IS NOT NULL
"""


@pages.webpage("/dir", caps="o")
def dir_page(ctx: Context) -> Response:
    """/dir?ci=CHECKIN&name=DIRECTORY

    List one directory of a check-in (or, without ci=, of every file
    the repository knows).  ``type=tree`` shows /tree instead, as Fossil."""
    if ctx.req.get("type") == "tree":
        return tree(ctx)
    vis = names.visibility(ctx)
    rid, uuid = _checkin(ctx, vis, default=None)
    base = _clean_dir(ctx.req.get("name") or "")
    prefix = base + "/" if base else ""
    dirs: dict[str, Entry] = {}
    files: list[Entry] = []
    for path, fuuid in _all_names(ctx, vis, rid, prefix):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            if head not in dirs:
                dirs[head] = Entry(head, prefix + head, True)
        else:
            files.append(Entry(rest, path, False, fuuid))
    if base and not dirs and not files:
        raise HTTPError(404, f"no directory {base!r}")
    readme = None
    if rid and not ctx.req.flag("noreadme"):
        for f in files:
            if f.name.lower() in ("readme", "readme.md", "readme.txt", "readme.wiki", "readme.markdown"):
                data = content.get_by_uuid(ctx.repo, f.uuid)
                if data is not None and b"\0" not in data:
                    mt = (
                        "text/x-markdown"
                        if f.name.lower().endswith(("md", "markdown"))
                        else ("text/x-fossil-wiki" if f.name.lower().endswith("wiki") else "text/plain")
                    )
                    readme = (data.decode("utf-8", "replace"), mt, f.name)
                break
    crumbs = _crumbs(base)
    entries = sorted(dirs.values(), key=lambda e: e.name.lower()) + sorted(files, key=lambda e: e.name.lower())
    title = f"Files in {base or 'the top-level directory'}"
    return ctx.render("dir.html", title=title, entries=entries, crumbs=crumbs, ci=uuid, base=base, readme=readme)


def _crumbs(base: str) -> list[tuple[str, str]]:
    out = []
    acc = []
    for part in base.split("/") if base else []:
        acc.append(part)
        out.append((part, "/".join(acc)))
    return out


@pages.webpage("/tree", caps="o")
def tree(ctx: Context) -> Response:
    """/tree?type=tree&ci=CHECKIN&name=DIRECTORY[&mtime=1]

    All files of a check-in (default: tip) as a tree of directories, each
    with its age as Fossil shows it: the time from the check-in where the
    file got the content it has to the check-in shown (a directory: its
    youngest file).  ``mtime=1`` sorts the newest first.  Only ``type=tree``
    shows the tree: without it (or with ``type=flat``) /tree shows /dir, as
    Fossil's does."""
    if (ctx.req.get("type") or "flat") != "tree":
        return dir_page(ctx)
    vis = names.visibility(ctx)
    rid, uuid = _checkin(ctx, vis)
    base = _clean_dir(ctx.req.get("name") or "")
    prefix = base + "/" if base else ""
    root = Entry(base or "", base, True)
    index: dict[str, Entry] = {"": root}
    count = 0
    listed = _all_names(ctx, vis, rid)
    ages = file_ages(ctx, rid, [u for _, u in listed])
    for path, fuuid in listed:
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        parts = rest.split("/")
        parent = root
        acc = ""
        chain = [root]
        for part in parts[:-1]:
            acc = f"{acc}/{part}" if acc else part
            node = index.get(acc)
            if node is None:
                node = Entry(part, prefix + acc, True)
                index[acc] = node
                parent.children.append(node)
            parent = node
            chain.append(node)
        mtime = ages.get(fuuid, 0.0)
        parent.children.append(Entry(parts[-1], path, False, fuuid, mtime=mtime))
        for d in chain:
            d.mtime = max(d.mtime, mtime)
        count += 1
    if base and count == 0:
        raise HTTPError(404, f"no directory {base!r}")
    now = float(ctx.repo.one("SELECT mtime FROM event WHERE objid=?", (rid,), 0.0) or 0.0)
    by_time = _atoi(ctx.req.get("mtime")) != 0
    _sort(root, now, by_time)
    return ctx.render(
        "tree.html",
        title=f"File tree of {uuid[:10]}",
        root=root,
        ci=uuid,
        count=count,
        crumbs=_crumbs(base),
        ages_at=julian_to_text(now) if now else "",
        by_time=by_time,
    )


def _atoi(text: str | None) -> int:
    digits = ""
    for c in (text or "").strip():
        if not "0" <= c <= "9":
            break
        digits += c
    return int(digits) if digits else 0


def file_ages(ctx: Context, rid: int, uuids: list[str]) -> dict[str, float]:
    """Fossil's ``compute_fileage``: per file hash of check-in ``rid``, the
    time of the oldest ancestor check-in (``rid`` included) that gave a
    file that content."""
    if not rid or not uuids:
        return {}
    import json

    rows = ctx.repo.all(
        "WITH RECURSIVE ckin(x) AS (VALUES(?) UNION SELECT plink.pid FROM ckin, plink WHERE plink.cid=ckin.x)"
        " SELECT blob.uuid, min(event.mtime) FROM blob, mlink, event"
        " WHERE blob.uuid IN (SELECT value FROM json_each(?)) AND mlink.fid=blob.rid"
        " AND mlink.fid!=mlink.pid AND mlink.mid IN (SELECT x FROM ckin) AND event.objid=mlink.mid"
        " GROUP BY blob.uuid",
        (rid, json.dumps(sorted(set(uuids)))),
    )
    return {str(u): float(m) for u, m in rows if m is not None}


def _sort(node: Entry, now: float = 0.0, by_time: bool = False) -> None:
    if by_time:
        node.children.sort(key=lambda e: (-e.mtime, e.name))
    else:
        node.children.sort(key=lambda e: (not e.is_dir, e.name.lower()))
    for c in node.children:
        c.age = human_age(now - c.mtime) if now and c.mtime > 0 else ""
        if c.is_dir:
            _sort(c, now, by_time)


def _find_file(ctx: Context, rid: int, name: str) -> names.FileEntry | None:
    return names.checkin_file(ctx.repo, rid, name)


@pages.webpage("/file", caps="o")
def file_page(ctx: Context) -> Response:
    """/file/NAME?ci=CHECKIN  or  /file?name=NAME&ci=CHECKIN

    Show file NAME as it is in a check-in (default: tip).  A directory
    name shows its listing."""
    name = (ctx.req.get("name") or "").strip("/")
    if not name:
        return redirect(ctx.req, "/dir?ci=tip")
    vis = names.visibility(ctx)
    rid, uuid = _checkin(ctx, vis)
    entry = _find_file(ctx, rid, name)
    if entry is None:
        prefix = name + "/"
        if any(f.name.startswith(prefix) for f in names.checkin_files(ctx.repo, rid)):
            from urllib.parse import quote

            return redirect(ctx.req, f"/dir?ci={uuid[:16]}&name={quote(name, safe='', errors='surrogateescape')}")
        raise HTTPError(404, f"no file {name!r} in check-in {uuid[:10]}")
    frid = content.rid_of(ctx.repo, entry.uuid)
    if not frid or vis.hidden(frid):
        raise HTTPError(404, "file content is not available")
    from fossilpy.web.pages.info import show_content

    return show_content(ctx, frid, filename=name, checkin=uuid)


def mimetype_for(name: str) -> str:
    """Content type for a file name (application/octet-stream when unknown)."""
    import mimetypes

    low = name.lower()
    if low.endswith((".md", ".markdown")):
        return "text/markdown"
    if low.endswith((".wiki", ".c", ".h", ".py", ".tcl", ".txt", ".sh", ".rs", ".go", ".toml", ".ini", ".cfg")):
        return "text/plain"
    mt, _ = mimetypes.guess_type(name, strict=False)
    return mt or "application/octet-stream"


@pages.webpage("/raw", caps="o")
def raw(ctx: Context) -> Response:
    """/raw/HASH?at=FILENAME&m=MIMETYPE  or  /raw?ci=CHECKIN&name=FILENAME

    The bytes of an artifact, as Fossil's ``rawartifact_page``: with ci=,
    the file named by ``filename=``, ``fn=`` or ``name=`` in that check-in;
    otherwise the artifact ``name=`` (or the path) names.  The content type
    is m=, else the one of the file's name (at=, or a name the artifact
    has in some check-in) as ``mimetype_from_name`` gives it, else
    ``application/x-fossil-artifact``.  Types a browser would run (HTML,
    SVG, XML, scripts) are sent as text/plain, always with a sandbox CSP."""
    req = ctx.req
    vis = names.visibility(ctx)
    rid = 0
    filename = req.get("filename") or req.get("fn")
    if req.get("ci") is not None or (filename and not req.extra):
        filename = filename or req.get("name")
        if filename:
            crid, _ = _checkin(ctx, vis)
            entry = _find_file(ctx, crid, filename)
            if entry is None and req.get("name") is None:
                raise HTTPError(404, f"no file {filename!r}")
            if entry is not None:
                rid = content.rid_of(ctx.repo, entry.uuid)
    if not rid:
        name = req.get("name") or ""
        if not is_hash_prefix(name):
            raise HTTPError(404, "give /raw/HASH or /raw?ci=CHECKIN&name=FILENAME")
        rid = names.find(vis, name)
    if not vis.visible(rid):
        raise HTTPError(404, names.NO_ARTIFACT)
    data = content.get(ctx.repo, rid)
    if data is None:
        raise HTTPError(404, "content of this artifact is not available")
    at = req.get("at")
    mt = req.get("m")
    if mt is None:
        known = at or _name_of(ctx, rid)
        mt = mimetype_from_name(known, ctx.repo.setting("mimetypes")) if known else FOSSIL_ARTIFACT
    mt = safe_type(mt, data)
    if mt.startswith("text/"):
        mt += "; charset=utf-8"
    resp = Response(body=data, content_type=mt)
    resp.add_header("Content-Security-Policy", "sandbox; default-src 'none'")
    if at:
        safe = "".join(c for c in at.split("/")[-1] if c.isalnum() or c in "._- ") or "download"
        resp.add_header("Content-Disposition", f'attachment; filename="{safe}"')
    uuid = content.uuid_of(ctx.repo, rid)
    resp.add_header("Cache-control", "max-age=86400")
    resp.add_header("ETag", f'"{uuid}"')
    return resp


def _name_of(ctx: Context, rid: int) -> str:
    """A name artifact ``rid`` has: as a file of some check-in, else as an attachment ("" if none)."""
    name = ctx.repo.one(
        "SELECT filename.name FROM mlink, filename WHERE mlink.fid=? AND filename.fnid=mlink.fnid", (rid,), ""
    )
    if not name:
        name = ctx.repo.one(
            "SELECT attachment.filename FROM attachment, blob WHERE blob.rid=? AND attachment.src=blob.uuid",
            (rid,),
            "",
        )
    return str(name or "")
