"""Attachments to wiki pages, tickets and technotes: what the pages and the
``attachment`` command share (Fossil 2.21's ``src/attach.c``).

An attachment is two artifacts: the file's bytes, stored as a blob of its
own, and a control artifact naming it::

    A FILENAME TARGET SRC      the file name (directories dropped), the wiki
                               page name or the ticket or technote id, and
                               the hash of the file's blob
    C COMMENT                  the description, trimmed; no card if empty
    D DATE
    U USER
    Z CHECKSUM

Deleting an attachment is a new artifact with an A card without SRC (and
no C card).  When the file's bytes would themselves parse as an artifact,
Fossil stores them compressed (its blob framing) and adds ``.gz`` to the
name, so that the file cannot be mistaken for a control artifact; so do we.

A held (moderated) attachment stores both artifacts private and records
the file's rid as the ``modreq`` row's ``attachRid``.

Targets: a ticket is named by its 40-hex id (``tkt-ID`` tag), a technote by
its id (``event-ID`` tag), a wiki page by its name (``wiki-NAME`` tag);
:func:`target_kind` tells which an attachment's target is, in
``ainfo_page``'s order (ticket, wiki page, technote).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from fossilpy.errors import NotFound

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.repo.docwrite import Stored

_HEX = frozenset("0123456789abcdefABCDEF")
_SPACE = " \t\n\v\f\r"


class Attachment(NamedTuple):
    """A row of the ``attachment`` table with the hash of its control artifact."""

    attachid: int
    uuid: str
    mtime: float
    src: str
    target: str
    filename: str
    comment: str
    user: str


def is_hex(text: str) -> bool:
    """True for a non-empty string of hex digits (Fossil's ``validate16``)."""
    return bool(text) and all(c in _HEX for c in text)


def base_name(name: str) -> str:
    """``name`` without directories ("/" or "\\"); "unknown" if nothing is left."""
    cut = max(name.rfind("/"), name.rfind("\\"))
    return name[cut + 1 :] or "unknown"


def _glob_escape(text: str) -> str:
    """``text`` with GLOB's special characters made literal."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def full_id(repo: Repo, prefix: str, kind: str) -> str | None:
    """The full ticket (``kind`` "tkt") or technote ("event") id starting with ``prefix``.

    An exact id wins; otherwise the first id with that prefix, as
    ``attachadd_page`` takes it; None if there is none.
    """
    if not is_hex(prefix):
        return None
    if repo.one("SELECT 1 FROM tag WHERE tagname=?", (f"{kind}-{prefix}",)):
        return prefix
    found = repo.one(
        "SELECT substr(tagname,?) FROM tag WHERE tagname GLOB ? ORDER BY tagname LIMIT 1",
        (len(kind) + 2, f"{kind}-{_glob_escape(prefix)}*"),
    )
    return str(found) if found else None


def wiki_exists(repo: Repo, name: str) -> bool:
    """True if wiki page ``name`` has ever been written."""
    return repo.one("SELECT 1 FROM tag WHERE tagname=CAST(? AS TEXT)", (_sql("wiki-" + name),)) is not None


def _sql(text: str) -> object:
    from fossilpy.repo.db import sql_text

    return sql_text(text)


def target_kind(repo: Repo, target: str) -> str:
    """What ``target`` names: "ticket", "wiki", "technote" or "" (``ainfo_page``'s order)."""
    if is_hex(target) and repo.table_exists("ticket") and repo.one("SELECT 1 FROM ticket WHERE tkt_uuid=?", (target,)):
        return "ticket"
    if wiki_exists(repo, target):
        return "wiki"
    if repo.one("SELECT 1 FROM tag WHERE tagname=CAST(? AS TEXT)", (_sql("event-" + target),)):
        return "technote"
    return ""


def technote_rid(repo: Repo, spec: str) -> int:
    """The technote ``spec`` names, as ``wiki_technote_to_rid``: an id prefix, a
    date (its newest note), or a tag.  0 if none; -1 if an id prefix is ambiguous."""
    if 4 <= len(spec) <= 64 and is_hex(spec):
        rows = repo.all(
            "SELECT e.objid FROM event e, tag t WHERE e.type='e' AND e.tagid IS NOT NULL"
            " AND t.tagid=e.tagid AND t.tagname GLOB ? LIMIT 2",
            ("event-" + spec.lower() + "*",),
        )
        if len(rows) > 1:
            return -1
        if rows:
            return int(rows[0][0])
    if len(spec) > 4:
        found = repo.one(
            "SELECT objid FROM event WHERE datetime(mtime)=datetime(?) AND type='e'"
            " AND tagid IS NOT NULL ORDER BY objid DESC LIMIT 1",
            (spec,),
        )
        if found:
            return int(found)
    found = repo.one(
        "SELECT e.objid FROM event e WHERE e.type='e' AND e.tagid IS NOT NULL AND ("
        " e.objid IN (SELECT rid FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname GLOB ?))"
        " OR e.objid IN (SELECT rid FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname GLOB ?)))"
        " ORDER BY e.mtime DESC LIMIT 1",
        (spec, "sym-" + spec),
    )
    return int(found or 0)


def add(
    repo: Repo,
    *,
    name: str,
    target: str,
    data: bytes,
    comment: str,
    user: str,
    moderate: bool = False,
    when: float | None = None,
) -> Stored:
    """Attach ``data`` as ``name`` to ``target`` in one transaction (``attach_commit``).

    Returns the stored control artifact.  The caller has checked the
    capabilities, that the target exists and the size (the command
    attaches even an empty file, as Fossil's does).
    """
    from fossilpy.artifact import blob
    from fossilpy.artifact.manifest import ArtifactType, Manifest, parse_or_none
    from fossilpy.repo import content, docwrite

    stored = data
    suffix = ""
    if parse_or_none(data) is not None:
        stored, suffix = blob.compress(data), ".gz"
    comment = comment.strip(_SPACE)
    with repo.write():
        src_rid = content.put(repo, stored, private=moderate)
        src = content.uuid_of(repo, src_rid) or ""
        m = Manifest(
            type=ArtifactType.ATTACHMENT,
            attach_name=base_name(name) + suffix,
            attach_target=target,
            attach_src=src,
            comment=comment or None,
            date=docwrite.now_date(when),
            user=user,
        )
        return docwrite.commit(repo, m, moderate=moderate, attach_rid=src_rid)


def delete(repo: Repo, *, name: str, target: str, user: str, when: float | None = None) -> Stored:
    """Record that attachment ``name`` of ``target`` is deleted (an A card without source)."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.repo import docwrite

    # ainfo_page cuts at the last "/" but keeps it (n = i, not i+1): as Fossil.
    cut = max(name.rfind("/"), name.rfind("\\"))
    fname = name[max(cut, 0) :] or "unknown"
    m = Manifest(
        type=ArtifactType.ATTACHMENT,
        attach_name=fname,
        attach_target=target,
        date=docwrite.now_date(when),
        user=user,
    )
    return docwrite.commit(repo, m)


_COLUMNS = (
    "SELECT attachid, (SELECT uuid FROM blob WHERE rid=attachid), mtime, coalesce(src,''),"
    " target, filename, coalesce(comment,''), coalesce(user,'') FROM attachment"
)


def latest(repo: Repo, target: str) -> list[Attachment]:
    """The attachments of ``target`` that are not deleted, newest first (``attachment_list``)."""
    rows = repo.all(
        _COLUMNS + " WHERE isLatest AND src!='' AND target=CAST(? AS TEXT) ORDER BY mtime DESC",
        (_sql(target),),
    )
    return [Attachment(*r) for r in rows]


def history(repo: Repo, target: str | None, limit: int = 500) -> list[Attachment]:
    """Every attachment artifact (adds and deletes) of ``target`` (all targets if None), newest first."""
    if target is None:
        rows = repo.all(_COLUMNS + " ORDER BY mtime DESC LIMIT ?", (limit,))
    else:
        rows = repo.all(_COLUMNS + " WHERE target=CAST(? AS TEXT) ORDER BY mtime DESC LIMIT ?", (_sql(target), limit))
    return [Attachment(*r) for r in rows]


def source_of(repo: Repo, target: str, filename: str, attachid: int = 0) -> str:
    """The hash of the newest version of ``filename`` attached to ``target``
    (or of attachment ``attachid``): "x" if it was deleted; NotFound if none."""
    if attachid > 0:
        found = repo.row(
            "SELECT coalesce(src,'x') FROM attachment WHERE target=CAST(? AS TEXT) AND attachid=?",
            (_sql(target), attachid),
        )
    else:
        found = repo.row(
            "SELECT coalesce(src,'x') FROM attachment WHERE target=CAST(? AS TEXT)"
            " AND filename=CAST(? AS TEXT) ORDER BY mtime DESC LIMIT 1",
            (_sql(target), _sql(filename)),
        )
    if found is None or not found[0]:
        raise NotFound("No such attachment....")
    return str(found[0])
