"""/timeline.rss: the timeline as an RSS 2.0 feed, as Fossil 2.21's
``page_timeline_rss`` (``src/rss.c``) writes it.

Parameters: ``y=TYPE`` (``all`` by default: check-ins, ticket changes,
wiki edits and forum posts the reader may see; ``ci``, ``t``, ``w``,
``f`` or another event type), ``n=N`` items (20), ``tkt=HASH`` (changes
of one ticket), ``tag=TAG`` (events tagged TAG; a prefix), ``wiki=NAME``
(edits of one page; a prefix), ``name=FILENAME`` (check-ins changing a
file).  Each item has Fossil's title (``*MERGE*`` before a check-in with
several parents, ``Edit wiki page:``/``Add wiki page:``/``Delete wiki
page:`` before a page name, `` (tags: ...)`` after), the link and guid
``BASE/info/HASH``, the date in RFC 822 form and the author.  A reader
with none of ``o``, ``r``, ``j`` gets an empty reply, as from Fossil.
Private artifacts are left out for a reader without ``x``.
"""

from __future__ import annotations

from fossilpy.repo.visibility import EVENT_VISIBLE
from fossilpy.web import names
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

_ITEMS = (
    "SELECT blob.rid, uuid, event.mtime, event.type, coalesce(ecomment,comment), coalesce(euser,user),"
    " (SELECT count(*) FROM plink WHERE pid=blob.rid AND isprim),"
    " (SELECT count(*) FROM plink WHERE cid=blob.rid),"
    " (SELECT group_concat(substr(tagname,5), ', ') FROM tag, tagxref"
    "   WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid AND tagxref.rid=blob.rid AND tagxref.tagtype>0)"
    " FROM event, blob WHERE blob.rid=event.objid"
    " AND event.type IN (SELECT value FROM json_each(?))"
    " AND (? = 0 OR EXISTS(SELECT 1 FROM tagxref WHERE tagid=? AND tagtype>0 AND rid=blob.rid))"
    " AND (? IS NULL OR (SELECT mlink.fnid FROM mlink WHERE event.objid=mlink.mid)"
    "   IN (SELECT fnid FROM filename WHERE name=CAST(? AS TEXT)))"
    " AND " + EVENT_VISIBLE + " ORDER BY event.mtime DESC LIMIT ?"
)

#: The tag prefix for tkt=, tag= and wiki=.
_TAG_PARAMS = (("tkt", "tkt-"), ("tag", "sym-"), ("wiki", "wiki-"))


def _xml(text: str) -> str:
    """``%h``: the five characters HTML escapes."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _leading_int(text: str) -> int:
    """SQLite's integer value of a text (its leading digits), as ``db_column_int``."""
    digits = ""
    for ch in text.strip():
        if ch not in "0123456789":
            break
        digits += ch
    return int(digits) if digits else 0


@pages.webpage("/timeline.rss", caps="")
def timeline_rss(ctx: Context) -> Response:
    """/timeline.rss?y=TYPE&n=LIMIT&tkt=HASH&tag=TAG&wiki=NAME&name=FILENAME

    The timeline as an RSS 2.0 feed: the newest N (20) events of type
    TYPE (all that the reader may see by default), of one ticket, tag or
    wiki page, or the check-ins changing one file."""
    from fossilpy.artifact.fossilize import rfc822_date
    from fossilpy.repo.db import sql_text

    req, repo = ctx.req, ctx.repo
    read, tkt, wiki, forum = ctx.has("o"), ctx.has("r"), ctx.has("j"), ctx.has("2")
    if not read and not tkt and not wiki:
        return Response(200, b"", "text/html; charset=utf-8")
    ytype = req.get("y") or "all"
    if ytype[:1] != "a":
        denied = {"c": not read, "w": not wiki, "t": not tkt, "f": not forum}.get(ytype[:1], False)
        types = ["x" if denied else ytype]
    else:
        types = (["ci"] if read else []) + (["t"] if tkt else []) + (["w"] if wiki else []) + (["f"] if forum else [])
    tagid = 0
    for param, prefix in _TAG_PARAMS:
        value = req.get(param)
        if value is not None:
            found = repo.one("SELECT tagid FROM tag WHERE tagname GLOB ?||?||'*'", (prefix, sql_text(value)), 0)
            tagid = int(found or 0) or -1
            break
    limit = _leading_int(req.get("n") or "20")
    filename = req.get("name")
    import json

    vis = names.visibility(ctx)
    rows = (
        []
        if tagid < 0
        else repo.all(
            _ITEMS,
            (json.dumps(types), tagid, tagid, filename, sql_text(filename or ""), vis.private, max(limit, 0)),
        )
    )
    base = req.base_url
    project = repo.config_get("project-name") or f"Fossil source repository for: {base}"
    descr = repo.config_get("project-description") or project
    import time

    out = [
        '<?xml version="1.0"?>\n',
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">\n',
        "  <channel>\n",
        f"    <title>{_xml(str(project))}</title>\n",
        f"    <link>{base}</link>\n",
        f"    <description>{_xml(str(descr))}</description>\n",
        f"    <pubDate>{rfc822_date(time.time())}</pubDate>\n",
        "    <generator>fossilpy (Fossil 2.21 compatible)</generator>\n",
    ]
    for _rid, uuid, mtime, etype, comment, author, _children, parents, tags in rows:
        comment, author = comment or "", author or ""
        prefix = ""
        n_child = _leading_int(author)  # (Fossil reads the author column here)
        if etype[:1] == "c":
            if parents > 1 and n_child > 1:
                prefix = "*MERGE/FORK* "
            elif parents > 1:
                prefix = "*MERGE* "
            elif n_child > 1:
                prefix = "*FORK* "
        elif etype[:1] == "w":
            prefix = {":": "Edit wiki page: ", "+": "Add wiki page: ", "-": "Delete wiki page: "}.get(comment[:1], "")
            if prefix:
                comment = comment[1:]
        suffix = f" (tags: {tags})" if tags else ""
        text = prefix + _xml(comment) + _xml(suffix)
        when = rfc822_date((float(mtime or 0.0) - 2440587.5) * 86400.0)
        out.append(
            "    <item>\n"
            f"      <title>{text}</title>\n"
            f"      <link>{base}/info/{uuid}</link>\n"
            f"      <description>{text}</description>\n"
            f"      <pubDate>{when}</pubDate>\n"
            f"      <dc:creator>{_xml(author)}</dc:creator>\n"
            f"      <guid>{base}/info/{uuid}</guid>\n"
            "    </item>\n"
        )
    out.append("  </channel>\n</rss>\n")
    body = "".join(out).encode("utf-8", "surrogateescape")
    return Response(200, body, "application/rss+xml")
