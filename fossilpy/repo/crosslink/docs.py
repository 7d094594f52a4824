"""Crosslinking of document artifacts: wiki, tickets, technotes, attachments, forum.

Called by the crosslink dispatcher (``dispatch``) once per parsed
artifact, inside its batch (through :data:`CROSSLINKERS`); ``finish(batch)``
runs at the end of the batch.  The dispatcher itself adds the plink rows of wiki, forum and
technote P cards and applies technote T cards before calling in here.  The
effect on the derived tables is Fossil 2.21's ``manifest_crosslink`` for
these artifact kinds:

Wiki page ``L TITLE`` (rid R, date D, user U, W text)::

    tagxref: tag "wiki-TITLE", type 1, value = byte length of the text after
             leading white space is removed, on R
    event(type='w', mtime=D, objid=R, user=U, comment=PREFIX||TITLE)
        PREFIX "-" if the text is empty (page deleted), "+" if there is no
        P card (new page), ":" otherwise (edit)
    backlinks of the page's newest version, srctype 2, srcid = the tagid,
        refreshed at the end of the batch

Ticket change ``K UUID``::

    tagxref: tag "tkt-UUID", type 1, value NULL, on R
    the ticket is queued; at the end of the batch ticket, ticketchng, its
    backlinks and its 't' events are rebuilt from all its changes
    (``tickets``); comments of attachments already seen for the
    ticket are rewritten

Technote ``E DATE ID``::

    tagxref: tag "event-ID", type 1, value = text length, on R
    event(type='e', mtime=E-card date, objid=R, tagid=event-ID, user=U,
          comment=C card, bgcolor=its bgcolor tag) -- only for the newest
          version seen so far; older 'e' rows of the note are removed

Attachment ``A NAME TARGET [SRC]`` (no SRC: the attachment is deleted)::

    attachment(attachid=R, mtime=D, src, target, filename, comment=C or '',
               user=U); isLatest=1 on the newest row per (target, filename)
    event(type='w'|'t'|'e', mtime=D, objid=R, user=U, comment=...)
        type 't'/'e' when TARGET is a hash already known as a ticket or
        technote, else 'w' (the ticket or technote fixes it up later)

Forum post (H title, or I/G reply; P = previous version)::

    forumpost(fpid=R, froot=rid(G) or R, fprev=rid(P), firt=rid(I), fmtime=D)
    event(type='f', ..., comment="Post: T" | "Edit: T" | "Reply: T" |
          "Edit reply: T" | "Delete reply: T"), T = the thread title
    backlinks of the text, srctype 4, srcid = R

Hashes named by G and I cards that are not in the repository become
phantoms, as Fossil does.  HTML in comments is escaped (``%h``) and hash
abbreviations follow the ``hash-digits`` setting, as in Fossil.  Times
that Fossil writes into SQL as ``%.17g`` text are stored as it stores them
(``batch.real``); times it binds (tagxref) are exact.
"""

from __future__ import annotations

from collections.abc import Callable

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.repo import backlink
from fossilpy.repo.backlink import py_text
from fossilpy.repo.crosslink import tickets
from fossilpy.repo.crosslink.state import Batch
from fossilpy.repo.crosslink.tags import (
    TAG_BGCOLOR,
    apply_tag,
    hash_digits,
    htmlize,
    tag_id,
)
from fossilpy.repo.db import Repo, sql_text

_SPACE = " \t\n\v\f\r"
_HEX = frozenset("0123456789abcdefABCDEF")


# -- helpers ---------------------------------------------------------------


def is_hash(text: str | None) -> bool:
    """True for a full artifact hash: 40 or 64 hex digits (either case)."""
    return text is not None and len(text) in (40, 64) and all(c in _HEX for c in text)


def _text_length(text: str | None) -> int:
    """Length in bytes of the text (up to a NUL) without leading white space."""
    body = (text or "").split("\x00", 1)[0].lstrip(_SPACE)
    return len(body.encode("utf-8", "surrogateescape"))


def _abbrev(repo: Repo, value: str | None, url: bool) -> str:
    """``%S`` / ``%!S``: the first hash-digits characters of ``value``."""
    return (value or "")[: hash_digits(repo, url)]


# -- wiki ------------------------------------------------------------------


def crosslink_wiki(batch: Batch, rid: int, m: Manifest) -> None:
    """Crosslink wiki page version ``rid``."""
    repo = batch.repo
    title = m.wiki_title or ""
    size = _text_length(m.text)
    apply_tag(batch, "wiki-" + title, 1, str(size), rid, m.julian, rid)
    prior = 0
    if m.parents:
        prior = repo.one("SELECT rid FROM blob WHERE uuid=?", (m.parents[0],), 0)
    prefix = "-" if size <= 0 else ("+" if not prior else ":")
    batch.deferred_wiki.add(title)
    batch.search_touch("w", rid, title)
    repo.execute(
        "REPLACE INTO event(type,mtime,objid,user,comment)"
        " VALUES('w',?,?,CAST(? AS TEXT),CAST(? AS TEXT))",
        (batch.real(m.julian), rid, sql_text(m.user), sql_text(prefix + title)),
    )


# -- tickets ---------------------------------------------------------------


def crosslink_ticket(batch: Batch, rid: int, m: Manifest) -> None:
    """Crosslink ticket change ``rid``; the ticket itself is rebuilt in ``finish``."""
    repo = batch.repo
    uuid = m.ticket_uuid or ""
    apply_tag(batch, "tkt-" + uuid, 1, None, rid, m.julian, rid)
    batch.deferred_tickets.add(uuid)
    _retitle_attachments(repo, uuid, "t")


def _retitle_attachments(repo: Repo, target: str, kind: str) -> None:
    """Rewrite the events of attachments to ``target`` now known as a ticket ('t')."""
    for attachid, src, tgt, name in _attachments_to(repo, target):
        comment = _attachment_comment(repo, kind, src, tgt, name)
        repo.execute(
            "UPDATE event SET comment=CAST(? AS TEXT), type=? WHERE objid=?",
            (sql_text(comment), kind, attachid),
        )


def _attachments_to(
    repo: Repo, target: str
) -> list[tuple[int, str | None, str | None, str | None]]:
    """(attachid, src, target, filename) of every attachment row for ``target``."""
    rows = repo.all(
        "SELECT attachid, CAST(src AS BLOB), CAST(target AS BLOB), CAST(filename AS BLOB)"
        " FROM attachment WHERE target=CAST(? AS TEXT)",
        (sql_text(target),),
    )
    return [(r[0], py_text(r[1]), py_text(r[2]), py_text(r[3])) for r in rows]


def _attachment_comment(
    repo: Repo, kind: str, src: str | None, target: str | None, name: str | None
) -> str:
    """The timeline comment of an attachment to a wiki page, ticket or technote.

    The wording (including 2.21's odd "Delete attachment" text for
    technotes, which abbreviates the file name as if it were a hash) is
    what Fossil stores.
    """
    adding = bool(src)
    hname = htmlize(name)
    if kind == "w":
        if adding:
            return (
                f"Add attachment [/artifact/{_abbrev(repo, src, True)}|{hname}]"
                f" to wiki page [{htmlize(target)}]"
            )
        return f'Delete attachment "{hname}" from wiki page [{htmlize(target)}]'
    tlong, tshort = _abbrev(repo, target, True), _abbrev(repo, target, False)
    if kind == "e":
        if adding:
            return (
                f"Add attachment [/artifact/{_abbrev(repo, src, True)}|{hname}]"
                f" to tech note [/technote/{tlong}|{tshort}]"
            )
        return (
            f'Delete attachment "/artifact/{_abbrev(repo, name, True)}|{hname}"'
            f" from tech note [/technote/{tlong}|{tshort}]"
        )
    if adding:
        return (
            f"Add attachment [/artifact/{_abbrev(repo, src, True)}|{hname}]"
            f" to ticket [{tlong}|{tshort}]"
        )
    return f'Delete attachment "{hname}" from ticket [{tlong}|{tshort}]'


def _retitle_attachments_event(repo: Repo, target: str) -> None:
    """Technote variant: the delete wording differs from the attachment branch."""
    for attachid, src, tgt, name in _attachments_to(repo, target):
        tlong, tshort = _abbrev(repo, tgt, True), _abbrev(repo, tgt, False)
        if src:
            comment = (
                f"Add attachment [/artifact/{_abbrev(repo, src, True)}|{htmlize(name)}]"
                f" to tech note [/technote/{tlong}|{tshort}]"
            )
        else:
            comment = (
                f'Delete attachment "{htmlize(name)}" from'
                f" tech note [/technote/{tlong}|{tshort}]"
            )
        repo.execute(
            "UPDATE event SET comment=CAST(? AS TEXT), type='e' WHERE objid=?",
            (sql_text(comment), attachid),
        )


# -- technotes -------------------------------------------------------------


def crosslink_event(batch: Batch, rid: int, m: Manifest) -> None:
    """Crosslink technote version ``rid`` (its T cards included)."""
    repo = batch.repo
    event_id = m.event_id or ""
    tagname = "event-" + event_id
    tagid = tag_id(repo, tagname, True)
    size = _text_length(m.text)
    apply_tag(batch, tagname, 1, str(size), rid, m.julian, rid)
    prior = 0
    if m.parents:
        prior = repo.one("SELECT rid FROM blob WHERE uuid=?", (m.parents[0],), 0)
    subsequent = repo.one(
        "SELECT rid FROM tagxref WHERE tagid=? AND mtime>=? AND rid!=? ORDER BY mtime",
        (tagid, batch.real(m.julian), rid),
        0,
    )
    if prior and not subsequent:
        repo.execute(
            "DELETE FROM event WHERE type='e' AND tagid=?"
            " AND objid IN (SELECT rid FROM tagxref WHERE tagid=?)",
            (tagid, tagid),
        )
    if not subsequent:
        batch.search_touch("e", rid)
        repo.execute(
            "REPLACE INTO event(type,mtime,objid,tagid,user,comment,bgcolor)"
            " VALUES('e',?,?,?,CAST(? AS TEXT),CAST(? AS TEXT),"
            "(SELECT value FROM tagxref WHERE tagid=? AND rid=?))",
            (batch.real(m.event_julian), rid, tagid, sql_text(m.user), sql_text(m.comment),
             TAG_BGCOLOR, rid),
        )
    _retitle_attachments_event(repo, event_id)


# -- attachments -----------------------------------------------------------


def crosslink_attachment(batch: Batch, rid: int, m: Manifest) -> None:
    """Crosslink attachment artifact ``rid``."""
    repo = batch.repo
    target = m.attach_target or ""
    name = m.attach_name or ""
    kind = "w"
    if is_hash(target):
        if repo.one("SELECT 1 FROM tag WHERE tagname=?", ("tkt-" + target,)):
            kind = "t"
        elif repo.one("SELECT 1 FROM tag WHERE tagname=?", ("event-" + target,)):
            kind = "e"
    repo.execute(
        "INSERT INTO attachment(attachid,mtime,src,target,filename,comment,user)"
        " VALUES(?,?,?,CAST(? AS TEXT),CAST(? AS TEXT),CAST(? AS TEXT),CAST(? AS TEXT))",
        (rid, batch.real(m.julian), m.attach_src, sql_text(target), sql_text(name),
         sql_text(m.comment or ""), sql_text(m.user)),
    )
    repo.execute(
        "UPDATE attachment SET isLatest=(mtime=="
        "(SELECT max(mtime) FROM attachment"
        " WHERE target=CAST(?1 AS TEXT) AND filename=CAST(?2 AS TEXT)))"
        " WHERE target=CAST(?1 AS TEXT) AND filename=CAST(?2 AS TEXT)",
        (sql_text(target), sql_text(name)),
    )
    comment = _attachment_comment(repo, kind, m.attach_src, target, name)
    repo.execute(
        "REPLACE INTO event(type,mtime,objid,user,comment)"
        " VALUES(?,?,?,CAST(? AS TEXT),CAST(? AS TEXT))",
        (kind, batch.real(m.julian), rid, sql_text(m.user), sql_text(comment)),
    )


# -- forum -----------------------------------------------------------------


def crosslink_forum(batch: Batch, rid: int, m: Manifest) -> None:
    """Crosslink forum post ``rid``."""
    repo = batch.repo
    from fossilpy.repo.schema import ensure_table

    ensure_table(repo, "forumpost")
    batch.search_touch("f", rid)
    when = batch.real(m.julian)
    froot = batch.rid_of(m.thread_root, True) if m.thread_root else rid
    fprev = batch.rid_of(m.parents[0], True) if m.parents else 0
    firt = batch.rid_of(m.reply_to, True) if m.reply_to else 0
    repo.execute(
        "REPLACE INTO forumpost(fpid,froot,fprev,firt,fmtime)"
        " VALUES(?,?,nullif(?,0),nullif(?,0),?)",
        (rid, froot, fprev, firt, when),
    )
    text = (m.text or "").split("\x00", 1)[0]
    if firt == 0:
        title = m.forum_title or "(Deleted)"
        kind = "Edit" if fprev else "Post"
        repo.execute(
            "REPLACE INTO event(type,mtime,objid,user,comment)"
            " VALUES('f',?,?,CAST(? AS TEXT),CAST(? AS TEXT))",
            (when, rid, sql_text(m.user), sql_text(f"{kind}: {title}")),
        )
        # Fossil compares firt with 0 although it stores NULL for roots, so
        # this test never finds a newer root edit: the title always spreads.
        newer = repo.one(
            "SELECT 1 FROM forumpost WHERE froot=? AND firt=0 AND fpid!=? AND fmtime>?",
            (froot, rid, when),
        )
        if not newer:
            repo.execute(
                "UPDATE event"
                " SET comment=substr(comment,1,instr(comment,':')) || ' ' || CAST(? AS TEXT)"
                " WHERE objid IN (SELECT fpid FROM forumpost WHERE froot=?)",
                (sql_text(title), froot),
            )
    else:
        row = repo.row(
            "SELECT CAST(substr(comment,instr(comment,':')+2) AS BLOB) FROM event"
            " WHERE objid=?",
            (froot,),
        )
        if row is None:
            title = "<i>Unknown</i>"
        else:
            title = "" if row[0] is None else str(py_text(row[0]))
        if not text:
            kind = "Delete reply"
        elif fprev:
            kind = "Edit reply"
        else:
            kind = "Reply"
        repo.execute(
            "REPLACE INTO event(type,mtime,objid,user,comment)"
            " VALUES('f',?,?,CAST(? AS TEXT),CAST(? AS TEXT))",
            (when, rid, sql_text(m.user), sql_text(f"{kind}: {title}")),
        )
    if text:
        backlink.extract(batch, text, m.mimetype, backlink.SRC_FORUM, rid, m.julian)


# -- end of batch ----------------------------------------------------------


def finish(batch: Batch) -> None:
    """Deferred work: rebuild queued tickets, then refresh queued wiki backlinks.

    Both run in the byte order of their ids, tickets first, as Fossil's
    pending list does.
    """
    repo = batch.repo
    queued = sorted(batch.deferred_tickets, key=lambda s: s.encode("utf-8", "surrogateescape"))
    batch.deferred_tickets.clear()
    if queued:
        layout = tickets.TicketLayout.load(repo)
        for uuid in queued:
            tickets.rebuild_entry(batch, uuid, layout)
    pending = sorted(batch.deferred_wiki, key=lambda s: s.encode("utf-8", "surrogateescape"))
    batch.deferred_wiki.clear()
    for title in pending:
        backlink.refresh_wiki(batch, title)


#: The crosslinker of each document type (dispatch._document).
CROSSLINKERS: dict[ArtifactType, Callable[[Batch, int, Manifest], None]] = {
    ArtifactType.WIKI: crosslink_wiki,
    ArtifactType.TICKET: crosslink_ticket,
    ArtifactType.EVENT: crosslink_event,
    ArtifactType.ATTACHMENT: crosslink_attachment,
    ArtifactType.FORUM: crosslink_forum,
}
