"""Writing new artifacts made here: wiki pages, ticket changes, forum posts,
technotes, attachments and tag (control) artifacts.

Every page and command that creates an artifact builds a
:class:`fossilpy.artifact.manifest.Manifest` and hands it to :func:`commit`,
which does what Fossil 2.21's ``wiki_put`` / ``ticket_put`` / ``forum_post``
/ ``event_commit_common`` / ``attach_put`` do (``src/wiki.c``, ``tkt.c``,
``forum.c``, ``event.c``, ``attach.c``), in one write transaction:

1. render the cards in canonical order with the Z card
   (``Manifest.to_bytes``), so the bytes are those Fossil writes for the
   same fields;
2. store the text through the content store (private when the write waits
   for a moderator), add it to ``unsent`` and ``unclustered`` so that the
   next sync pushes it;
3. record a moderation request (``modreq``: ``objid``, ``attachRid``,
   ``tktid``) when asked;
4. optionally store older versions as deltas of the new one (Fossil
   deltifies the previous wiki and technote versions against the new text,
   and a new ticket change against the previous ones);
5. crosslink it, which fills the derived tables and, through the event
   trigger, queues the email alerts that the backoffice sends.

Dates: the D card (and a technote's E card) is Fossil's "standard format"
``YYYY-MM-DDTHH:MM:SS.SSS`` in UTC (``date_in_standard_format``);
:func:`now_date` gives it.

Moderation (``src/moderate.c``): :func:`approve` makes a held artifact
public; :func:`disapprove` deletes it and everything derived from it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

from fossilpy.errors import ArtifactError

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import Manifest
    from fossilpy.repo.db import Repo

_MODREQ = """CREATE TABLE IF NOT EXISTS modreq(
  objid INTEGER PRIMARY KEY,
  attachRid INT,
  tktid TEXT
)"""


#: what a disapproved artifact leaves behind (``moderation_disapprove``)
_FORGET = (
    "DELETE FROM blob WHERE rid=?",
    "DELETE FROM delta WHERE rid=?",
    "DELETE FROM event WHERE objid=?",
    "DELETE FROM tagxref WHERE rid=?",
    "DELETE FROM private WHERE rid=?",
    "DELETE FROM attachment WHERE attachid=?",
    "DELETE FROM unsent WHERE rid=?",
    "DELETE FROM unclustered WHERE rid=?",
)


class Stored(NamedTuple):
    """A committed artifact: its rid, its hash and the exact bytes stored."""

    rid: int
    uuid: str
    data: bytes


def now_date(when: float | None = None) -> str:
    """``when`` (seconds since the epoch; now by default) as a D card value."""
    if when is None:
        when = time.time()
    ms = int(when * 1000)
    secs, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:03d}"


def new_ticket_uuid() -> str:
    """A fresh ticket id: 40 random lowercase hex digits (Fossil's ``db_text(0,
    "SELECT lower(hex(randomblob(20)))")``)."""
    import secrets  # here: it brings random, hmac and base64, which a commit does not need

    return secrets.token_hex(20)


def commit(
    repo: Repo,
    m: Manifest,
    *,
    moderate: bool = False,
    tktid: str | None = None,
    attach_rid: int = 0,
    deltify_older: tuple[int, ...] = (),
    deltify_against: tuple[int, ...] = (),
) -> Stored:
    """Store and crosslink the new artifact ``m``; one write transaction.

    ``moderate``: hold it for a moderator (private, with a ``modreq`` row
    naming ``tktid`` or ``attach_rid`` as Fossil records them).
    ``deltify_older``: rids to store as deltas of the new artifact (wiki and
    technote parents).  ``deltify_against``: rids the new artifact may be
    stored as a delta of (earlier changes of the same ticket).
    """
    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content, crosslink

    data = m.to_bytes()
    if parse_or_none(data) is None:  # a field the card syntax cannot carry
        raise ArtifactError("the new artifact does not parse; nothing was written")
    with repo.write():
        rid = content.put(repo, data, private=moderate)
        uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
        if moderate:
            repo.execute(_MODREQ)
            repo.execute(
                "REPLACE INTO modreq(objid, attachRid, tktid) VALUES(?,?,?)",
                (rid, attach_rid or None, tktid),
            )
        else:
            for old in deltify_older:
                content.deltify(repo, old, rid)
            for src in deltify_against:
                if content.deltify(repo, rid, src):
                    break
        repo.execute("INSERT OR IGNORE INTO unsent VALUES(?)", (rid,))
        if not moderate:
            repo.execute("INSERT OR IGNORE INTO unclustered VALUES(?)", (rid,))
        crosslink.crosslink(repo, rid, data)
    return Stored(rid, str(uuid), data)


def pending(repo: Repo, rid: int) -> bool:
    """True if ``rid`` waits for a moderator."""
    if not repo.table_exists("modreq"):
        return False
    return repo.one("SELECT 1 FROM modreq WHERE objid=?", (rid,)) is not None


def approve(repo: Repo, rid: int) -> bool:
    """Publish held artifact ``rid`` (``moderation_approve``); False if not held.

    A held attachment's file (``modreq.attachRid``) is published with it:
    Fossil 2.21 leaves that blob private, so the approved attachment names a
    file that neither syncs nor shows to users without ``x``.
    """
    with repo.write():
        if not pending(repo, rid):
            return False
        attach_rid = repo.one("SELECT attachRid FROM modreq WHERE objid=?", (rid,))
        for r in (rid, attach_rid):
            if not r:
                continue
            repo.execute("DELETE FROM private WHERE rid=?", (r,))
            repo.execute("INSERT OR IGNORE INTO unclustered VALUES(?)", (r,))
            repo.execute("INSERT OR IGNORE INTO unsent VALUES(?)", (r,))
        repo.execute("DELETE FROM modreq WHERE objid=?", (rid,))
    return True


def disapprove(repo: Repo, rid: int) -> bool:
    """Delete held artifact ``rid`` and what it left (``moderation_disapprove``).

    A held attachment's content goes too unless something else uses it.
    A held ticket change's ticket is replayed without it.  False if
    ``rid`` was not held.
    """
    from fossilpy.repo import crosslink
    from fossilpy.repo.crosslink import tickets

    with repo.write():
        if not pending(repo, rid):
            return False
        tktid, attach = repo.row("SELECT tktid, attachRid FROM modreq WHERE objid=?", (rid,)) or (None, None)
        for r in (rid, attach):
            if not r or (r != rid and _used(repo, int(r))):
                continue
            if repo.one("SELECT 1 FROM delta WHERE srcid=?", (r,)) is not None:
                # another artifact is stored as a delta of this one: expand it first
                from fossilpy.repo import content

                for dep in content.delta_dependents(repo, r):
                    content.undeltify(repo, dep)
            for sql in _FORGET:
                repo.execute(sql, (r,))
            if repo.table_exists("forumpost"):
                repo.execute("DELETE FROM forumpost WHERE fpid=?", (r,))
            if repo.table_exists("pending_alert"):
                repo.execute(
                    "DELETE FROM pending_alert WHERE eventid IN (?,?,?,?,?)", tuple(f"{c}{r}" for c in "wtfec")
                )
        repo.execute("DELETE FROM modreq WHERE objid=?", (rid,))
        repo.cache.clear()
        if tktid:
            with crosslink.batch(repo) as b:
                tickets.rebuild_entry(b, str(tktid))
    return True


def _used(repo: Repo, rid: int) -> bool:
    """True if ``rid`` is named by an artifact's F card or an attachment (``object_used``)."""
    return (
        repo.one("SELECT 1 FROM mlink WHERE fid=? OR pid=? LIMIT 1", (rid, rid)) is not None
        or repo.one("SELECT 1 FROM attachment, blob WHERE blob.rid=? AND attachment.src=blob.uuid LIMIT 1", (rid,))
        is not None
    )
