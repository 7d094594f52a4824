"""Wiki pages in the repository: names, versions, the page list and writing
a new version, shared by the wiki web pages and the ``wiki`` command.

Rules from Fossil 2.21's ``src/wiki.c``:

* A page name is well formed (``wiki_name_is_wellformed``) when it is 1 to
  100 bytes long, does not start or end with a space, has no control
  character and no two spaces in a row.
* The page called "Sandbox" (or "Sand Box", in any letter case) is not a
  wiki page: its text lives in the ``sandbox`` and ``sandbox-mimetype``
  config rows, which only the ``wiki`` command writes; the web editor
  previews it and refuses to save it.
* Only three mimetypes are kept (``wiki_filter_mimetypes``):
  text/x-fossil-wiki (the default, written without an N card),
  text/x-markdown and text/plain; "wiki", "markdown" and "plain" are
  accepted as their short names; anything else becomes fossil wiki.
* The newest version of a page is the ``wiki-NAME`` tagxref row with the
  latest mtime; an empty text means the page was deleted.
* A new version names the previous one on its P card
  (``wiki_cmd_commit``).
  It waits for a moderator when the ``modreq-wiki`` config is on and the
  writer lacks capability ``l`` (``wiki_need_moderation``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from fossilpy.artifact.fossilize import is_wiki_name

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import Manifest
    from fossilpy.repo.db import Repo
    from fossilpy.repo.docwrite import Stored

#: (mimetype, common name, short name), in Fossil's menu order (``azStyles``)
MIMETYPES = (
    ("text/x-fossil-wiki", "Fossil Wiki", "wiki"),
    ("text/x-markdown", "Markdown", "markdown"),
    ("text/plain", "Plain Text", "plain"),
)
DEFAULT_MIMETYPE = "text/x-fossil-wiki"

#: the largest page text accepted from a form (bytes)
MAX_TEXT_BYTES = 4 * 1024 * 1024

#: Fossil's rules for page names (``well_formed_wiki_name_rules``)
NAME_RULES = (
    "Must not begin or end with a space.",
    "Must not contain any control characters, including tab or newline.",
    "Must not have two or more spaces in a row internally.",
    "Must be between 1 and 100 characters in length.",
)

# the pages wanted by name, newest first, for readers with or without capability x
_VERSIONS = (
    "SELECT tagxref.rid FROM tagxref WHERE tagxref.tagid=(SELECT tagid FROM tag WHERE tagname=CAST(? AS TEXT))"
    " AND (? OR tagxref.rid NOT IN private) ORDER BY tagxref.mtime DESC"
)

#: the page list (``listAllWikiPages``): name, sort key, newest rid (0: deleted), newest mtime, versions
_LIST = (
    "SELECT substr(tag.tagname, 6) AS wname, lower(substr(tag.tagname, 6)) AS sortname,"
    " tagxref.value+0 AS wrid, max(tagxref.mtime) AS wmtime, count(*) AS wcnt"
    " FROM tag, tagxref WHERE tag.tagname GLOB 'wiki-*' AND tagxref.tagid=tag.tagid"
    " AND TYPEOF(wrid)='integer' AND (? OR tagxref.rid NOT IN private)"
    " GROUP BY 1 ORDER BY 2"
)


class Page(NamedTuple):
    """One version of a wiki page."""

    rid: int
    uuid: str
    title: str
    text: str
    #: the N card as written ("" when absent)
    mimetype: str
    #: hash of the previous version ("" for the first)
    parent: str
    #: Julian day of the D card
    julian: float
    user: str


class PageRow(NamedTuple):
    """A row of the page list (``/wcontent``, ``wiki ls``)."""

    name: str
    rid: int  # 0: the newest version is empty (a deleted page)
    mtime: float
    versions: int


def is_wellformed(name: str | None) -> bool:
    """True if ``name`` may name a wiki page (``wiki_name_is_wellformed``)."""
    return bool(name) and is_wiki_name(str(name).encode("utf-8", "surrogateescape"))


def is_sandbox(name: str | None) -> bool:
    """True if ``name`` is the sandbox pseudo-page (``is_sandbox``: ASCII case ignored)."""
    low = (name or "").encode("utf-8", "surrogateescape").lower()
    return low in (b"sandbox", b"sand box")


def filter_mimetype(mimetype: str | None) -> str:
    """One of the three wiki mimetypes for ``mimetype`` (``wiki_filter_mimetypes``)."""
    for full, _common, short in MIMETYPES:
        if mimetype in (full, short):
            return full
    return DEFAULT_MIMETYPE


def common_name(mimetype: str) -> str:
    """ "Fossil Wiki", "Markdown" or "Plain Text" (``mimetype_common_name``)."""
    for full, common, _short in MIMETYPES:
        if mimetype == full:
            return common
    return "Fossil Wiki"


def needs_write_cap(name: str, repo: Repo) -> bool:
    """True if writing ``name`` also needs capability ``i`` (``wiki_special_permission``):
    pages about a check-in, branch or tag, while the ``wiki-about`` config is on."""
    return name.startswith(("branch/", "checkin/", "tag/")) and repo.config_bool("wiki-about", True)


def version(repo: Repo, rid: int) -> Page | None:
    """Wiki artifact ``rid`` as a :class:`Page`; None if it is not one."""
    from fossilpy.artifact.manifest import ArtifactType, parse_or_none
    from fossilpy.repo import content

    data = content.get(repo, rid)
    m = parse_or_none(data) if data is not None else None
    if m is None or m.type != ArtifactType.WIKI:
        return None
    uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
    return Page(
        rid,
        uuid,
        m.wiki_title or "",
        m.text or "",
        m.mimetype or "",
        m.parents[0] if m.parents else "",
        m.julian,
        m.user or "",
    )


def current(repo: Repo, name: str, *, private: bool = True) -> Page | None:
    """The newest version of page ``name``; None if there is none.

    ``private`` False skips versions that are private (waiting for a
    moderator) for a reader without capability ``x``.
    """
    from fossilpy.repo.db import sql_text

    for (rid,) in repo.all(_VERSIONS, (sql_text("wiki-" + name), private)):
        page = version(repo, int(rid))
        if page is not None:
            return page
    return None


def pages(repo: Repo, *, private: bool = True) -> list[PageRow]:
    """Every wiki page, sorted by name ignoring case, deleted ones with rid 0."""
    return [PageRow(str(r[0]), int(r[2] or 0), float(r[3]), int(r[4])) for r in repo.all(_LIST, (private,))]


def history(repo: Repo, name: str, *, private: bool = True) -> list[tuple[float, str, str, int]]:
    """Versions of page ``name``, newest first: (mtime, hash, user, rid) (``whistory``)."""
    from fossilpy.repo.db import sql_text

    rows = repo.all(
        "SELECT event.mtime, blob.uuid, coalesce(event.euser, event.user), event.objid"
        " FROM event, blob, tag, tagxref WHERE event.type='w' AND blob.rid=event.objid"
        " AND tag.tagname=CAST(? AS TEXT) AND tagxref.tagid=tag.tagid AND tagxref.srcid=event.objid"
        " AND (? OR event.objid NOT IN private) ORDER BY event.mtime DESC",
        (sql_text("wiki-" + name), private),
    )
    return [(float(r[0]), str(r[1]), str(r[2] or ""), int(r[3])) for r in rows]


def next_version(repo: Repo, name: str, julian: float) -> int:
    """rid of the version after the one of time ``julian`` (``wiki_next``); 0 if none."""
    from fossilpy.repo.db import sql_text

    return int(
        repo.one(
            "SELECT srcid FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname=CAST(? AS TEXT))"
            " AND mtime>? ORDER BY mtime ASC LIMIT 1",
            (sql_text("wiki-" + name), julian),
            0,
        )
    )


def build(name: str, text: str, mimetype: str | None, *, parent: str, user: str, date: str) -> Manifest:
    """The wiki artifact for a new version (``wiki_cmd_commit``): no N card for
    fossil wiki, P naming ``parent`` if any.

    Fossil leaves the U card out for a visitor who is not logged in, which
    makes an artifact its own parser rejects (U is required in wiki
    artifacts); fossilpy writes ``U nobody`` instead."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest

    return Manifest(
        type=ArtifactType.WIKI,
        date=date,
        wiki_title=name,
        mimetype=mimetype if mimetype and mimetype != DEFAULT_MIMETYPE else None,
        parents=[parent] if parent else [],
        user=user or "nobody",
        text=text,
    )


def need_moderation(repo: Repo, *, can_moderate: bool) -> bool:
    """True if a web edit waits for a moderator: ``modreq-wiki`` on and no capability ``l``."""
    return not can_moderate and repo.config_bool("modreq-wiki", False)


def put(repo: Repo, m: Manifest, *, parent_rid: int = 0, moderate: bool = False) -> Stored:
    """Store and crosslink the new version ``m`` in one transaction (``wiki_put``).

    ``parent_rid``: the previous version, stored afterwards as a delta of
    the new text (Fossil does this for appended comments; its editor and
    command pass no parent).
    """
    from fossilpy.repo import docwrite

    return docwrite.commit(repo, m, moderate=moderate, deltify_older=(parent_rid,) if parent_rid else ())


def sandbox(repo: Repo) -> tuple[str, str]:
    """(text, mimetype) of the sandbox pseudo-page."""
    text = repo.config_get("sandbox", "")
    mimetype = repo.config_get("sandbox-mimetype", DEFAULT_MIMETYPE)
    return str(text), str(mimetype)


def set_sandbox(repo: Repo, text: str, mimetype: str) -> None:
    """Store the sandbox text (only the ``wiki`` command does)."""
    with repo.write():
        repo.config_set("sandbox", text)
        repo.config_set("sandbox-mimetype", mimetype)


def remark(mimetype: str, *, login: str, claimed: str, date: str, remark: str, rand_id: str) -> str:
    """The text ``/wikiappend`` adds to a page (``appendRemark``).

    ``date`` is "YYYY-MM-DD HH:MM:SS" (UTC), ``claimed`` the name the
    visitor typed (shown when it is not the login), ``rand_id`` 16 hex
    digits for fossil wiki's ``<div id>``.
    """
    claim = claimed and claimed != login
    if mimetype == "text/x-fossil-wiki":
        out = f'\n\n<hr /><div id="{rand_id}"><i>On {date} UTC {_h(login)}'
        if claim:
            out += f" (claiming to be {_h(claimed)})"
        return out + f' added:</i><br />\n{remark}</div id="{rand_id}">'
    if mimetype == "text/x-markdown":
        out = f"\n\n------\n*On {date} UTC {_h(login)}"
        if claim:
            out += f" (claiming to be {_h(claimed)})"
        return out + f" added:*\n\n{remark}\n"
    out = f"\n\n------------------------------------------------\nOn {date} UTC {login}"
    if claim:
        out += f" (claiming to be {claimed})"
    return out + f" added:\n\n{remark}\n"


def _h(text: str) -> str:
    """Fossil's ``%h``: & < > " ' escaped."""
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        text = text.replace(a, b)
    return text


def technotes(repo: Repo) -> list[tuple[str, str, int]]:
    """Technotes newest first: (time "YYYY-MM-DD HH:MM:SS", technote id, rid) (``wiki ls -t``)."""
    rows = repo.all(
        "SELECT datetime(e.mtime), substr(t.tagname,7), e.objid FROM event e, tag t"
        " WHERE e.type='e' AND e.tagid IS NOT NULL AND t.tagid=e.tagid ORDER BY e.mtime DESC"
    )
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
