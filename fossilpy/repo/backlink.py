"""Backlinks: hyperlinks from documents to artifacts, the ``backlink`` table.

On disk (derived; Fossil 2.21 ``src/backlink.c``)::

    backlink(target TEXT, srctype INT, srcid INT, mtime TIMESTAMP,
             UNIQUE(target, srctype, srcid))
        target  lower-case hex hash or hash prefix (4..64 digits) linked to
        srctype 0 check-in comment, 1 ticket change, 2 wiki page,
                3 technote (unused by 2.21), 4 forum post
        srcid   the source rid; for wiki the page's tagid ("wiki-NAME")
        mtime   Julian day of the source

Which text is a link target, for each markup, is pure text work:
``fossilpy.markup.wiki_parse`` (and the Markdown parser it calls).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fossilpy.artifact.julian import fossil_real
from fossilpy.markup.wiki_parse import (
    MT_MARKDOWN,
    MT_NONE,
    MT_WIKI,
    canonical_target,
    parse_mimetype,
    wiki_link_targets,
)
from fossilpy.repo.db import Repo, sql_text

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.crosslink import Batch

SRC_COMMENT = 0
SRC_TICKET = 1
SRC_WIKI = 2
SRC_EVENT = 3
SRC_FORUM = 4


# -- text that is not UTF-8 ------------------------------------------------------
#
# See fossilpy.repo.db: text is bound as ``sql_text(v)`` inside
# "CAST(? AS TEXT)"; connections already read such TEXT back as str.


def py_text(value: Any) -> Any:
    """A value read as ``CAST(x AS BLOB)`` back as str (surrogate escapes kept)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


# -- the table -----------------------------------------------------------------


def link_targets(repo: Any, text: str, mimetype: int, html_only: bool | None = None) -> list[str]:
    """Canonical backlink targets found in ``text`` of MT_* type ``mimetype``.

    ``html_only`` is the ``wiki-use-html`` setting (read from ``repo`` if None).
    Every link either markup yields starts with "[" (wiki links, Markdown
    inline and reference links; Markdown autolinks are never backlinks), so
    text without one is not parsed at all.
    """
    if "[" not in text:
        return []
    if mimetype in (MT_NONE, MT_WIKI):
        if html_only is None:
            html_only = repo.config_bool("wiki-use-html")
        raw = wiki_link_targets(text, html_only)
    elif mimetype == MT_MARKDOWN:
        from fossilpy.markup.md_render import markdown_link_targets

        raw = markdown_link_targets(text)
    else:
        return []
    out = []
    for t in raw:
        c = canonical_target(t)
        if c is not None:
            out.append(c)
    return out


def extract(
    batch: Batch | Repo,
    text: str | None,
    mimetype: str | int | None,
    srctype: int,
    srcid: int,
    mtime: float,
    *,
    replace: bool = True,
) -> None:
    """Record the backlinks of one document.

    ``mimetype`` is a mimetype string (or None) or an MT_* code.  With
    ``replace`` (the default, as for comments, wiki and forum posts) the
    source's earlier backlinks are deleted first; tickets pass False.
    ``batch`` is a crosslink batch (which caches the setting and the times)
    or a Repo.
    """
    repo = batch if isinstance(batch, Repo) else batch.repo
    if replace:
        repo.execute("DELETE FROM backlink WHERE srctype=? AND srcid=?", (srctype, srcid))
    code = mimetype if isinstance(mimetype, int) else parse_mimetype(mimetype)
    if not text:
        return
    html_only = None
    if not isinstance(batch, Repo):
        html_only = batch.wiki_use_html
        if html_only is None:
            html_only = batch.wiki_use_html = repo.config_bool("wiki-use-html")
    targets = link_targets(repo, text, code, html_only)
    if targets:
        # Fossil writes the time into SQL as "%.17g" text.
        mtime = fossil_real(mtime) if isinstance(batch, Repo) else batch.real(mtime)
        repo.db.executemany(
            "REPLACE INTO backlink(target,srctype,srcid,mtime) VALUES(CAST(? AS TEXT),?,?,?)",
            [(sql_text(t), srctype, srcid, mtime) for t in targets],
        )


def refresh_wiki(batch: Batch | Repo, title: str) -> None:
    """Replace the backlinks of wiki page ``title`` by those of its newest version."""
    from fossilpy.artifact import manifest
    from fossilpy.artifact.manifest import ArtifactType
    from fossilpy.repo import content

    repo = batch if isinstance(batch, Repo) else batch.repo
    tagid = repo.one(
        "SELECT tagid FROM tag WHERE tagname=CAST(? AS TEXT)", (sql_text("wiki-" + title),), 0
    )
    if not tagid:
        return
    rid = repo.one(
        "SELECT rid FROM tagxref WHERE tagid=? ORDER BY mtime DESC LIMIT 1", (tagid,), 0
    )
    if not rid:
        return
    data = content.get(repo, rid)
    m = manifest.parse_or_none(data) if data is not None else None
    if m is None or m.type != ArtifactType.WIKI:
        return
    extract(batch, m.text or "", m.mimetype, SRC_WIKI, tagid, m.julian)
