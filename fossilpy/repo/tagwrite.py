"""Control artifacts made by the command line: ``tag add``/``tag cancel``,
``branch close``/``reopen`` (``src/tag.c`` ``tag_add_artifact``,
``src/branch.c`` ``branch_cmd_tag_finalize``) and the branch check-in of
``branch new`` (``branch_new``).

A tag control artifact is::

    D YYYY-MM-DDTHH:MM:SS.SSS
    T (+|*|-)NAME TARGET-HASH [VALUE]     one per tag, sorted by tag then hash
    U USER
    Z MD5

``+`` is a one-shot tag, ``*`` a propagating one, ``-`` cancels; a check-in
tag's NAME is ``sym-NAME`` unless ``--raw``.  The value is written only for
``+``/``*`` and when it is not empty.

The new branch (``branch new NAME BASIS``) is a check-in whose files are
the basis check-in's F cards as they are written in its manifest (a delta
manifest keeps its B card; the rename source of an F card is dropped), with
comment ``Create new branch named "NAME"`` (NAME HTML-escaped), the basis
as only parent, the basis's R card, and the tags ``*bgcolor`` (given, or
``#fec084`` for a private branch), ``*branch NAME``, ``*sym-NAME``, and a
``-sym-X`` cancelling each symbolic tag of the basis.

Listing: :func:`register_uintnocase` gives SQLite Fossil's ``uintnocase`` collation.

Storing (:func:`store`): the content store (private when asked), ``unsent``
when Fossil adds it (the branch check-in), crosslink, in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest, TagCard
from fossilpy.errors import ArtifactError, UserError
from fossilpy.repo.docwrite import Stored
from fossilpy.text import html_escape

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

TAG_HIDDEN = 5
TAG_BRANCH = 8
TAG_CLOSED = 9

#: ``tagtype`` of tag_add_artifact -> card prefix
PREFIX = {0: "-", 1: "+", 2: "*"}

#: colour of a private branch without ``--bgcolor`` (``branch_new``)
PRIVATE_COLOR = "#fec084"


def is_a_leaf(repo: Repo, rid: int) -> bool:
    """``is_a_leaf``: no child on the same branch."""
    return (
        repo.one(
            "SELECT 1 FROM plink WHERE pid=?1"
            " AND coalesce((SELECT value FROM tagxref WHERE tagid=?2 AND rid=plink.pid),'trunk')"
            " =coalesce((SELECT value FROM tagxref WHERE tagid=?2 AND rid=plink.cid),'trunk')",
            (rid, TAG_BRANCH),
        )
        is None
    )


def leaf_is_closed(repo: Repo, rid: int) -> bool:
    """``leaf_is_closed``: the check-in carries an active ``closed`` tag."""
    return repo.one("SELECT 1 FROM tagxref WHERE tagid=? AND rid=? AND tagtype>0", (TAG_CLOSED, rid)) is not None


def branch_is_open(repo: Repo, name: str) -> int:
    """``branch_is_open``: rid of an open leaf of branch ``name``, else 0."""
    return int(
        repo.one(
            "SELECT rid FROM tagxref AS ox WHERE tagid=?1 AND tagtype=2 AND value=?2 AND rid IN leaf"
            " AND NOT EXISTS(SELECT 1 FROM tagxref AS ix WHERE tagid=?3 AND tagtype=1 AND ox.rid=ix.rid)",
            (TAG_BRANCH, name, TAG_CLOSED),
            0,
        )
    )


def tag_artifact(
    prefix: str, tagname: str, target: str, value: str | None, tagtype: int, date: str, user: str
) -> Manifest:
    """The control artifact of ``tag_add_artifact`` (tagtype 0 cancel, 1 one-shot, 2 propagating)."""
    card = TagCard(PREFIX[tagtype], prefix + tagname, target, value if tagtype > 0 and value else None)
    return Manifest(type=ArtifactType.CONTROL, date=date, tags=[card], user=user)


def tags_artifact(cards: list[tuple[str, str]], date: str, user: str) -> Manifest:
    """The control artifact of ``branch_cmd_tag_finalize``: ``cards`` are (hash, "+closed"-like tag)."""
    tags = [TagCard(tag[0], tag[1:], uuid) for uuid, tag in cards]
    return Manifest(type=ArtifactType.CONTROL, date=date, tags=tags, user=user)


def branch_checkin(
    repo: Repo, name: str, root: int, *, color: str | None, private: bool, date: str, user: str
) -> Manifest:
    """The check-in of ``branch new NAME BASIS`` (see the module docstring).

    ``color`` None: none given; "auto" is passed as None with ``private``
    still choosing no colour (the caller decides)."""
    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content

    data = content.get(repo, root)
    parent = parse_or_none(data) if data is not None else None
    if parent is None or parent.type != ArtifactType.MANIFEST:
        raise UserError("is not a valid check-in")
    uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (root,)))
    m = Manifest(type=ArtifactType.MANIFEST)
    m.baseline = parent.baseline
    m.comment = f'Create new branch named "{html_escape(name)}"'
    m.date = date
    m.files = [FileCard(f.name, f.uuid, f.perm if f.uuid and f.perm else None) for f in parent.files]
    m.parents = [uuid]
    m.repo_cksum = parent.repo_cksum
    tags: list[TagCard] = []
    if color is not None:
        tags.append(TagCard("*", "bgcolor", None, color))
    tags.append(TagCard("*", "branch", None, name))
    tags.append(TagCard("*", "sym-" + name, None))
    for (tag,) in repo.all(
        "SELECT tagname FROM tagxref, tag WHERE tagxref.rid=? AND tagxref.tagid=tag.tagid"
        " AND tagtype>0 AND tagname GLOB 'sym-*' ORDER BY tagname",
        (root,),
    ):
        tags.append(TagCard("-", str(tag), None))
    m.tags = tags
    m.user = user
    return m


def store(repo: Repo, m: Manifest, *, private: bool = False, unsent: bool = False, deltify: int = 0) -> Stored:
    """Store and crosslink ``m`` in one write transaction; ``deltify``: a rid to store as a delta of it."""
    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content, crosslink

    data = m.to_bytes()
    if parse_or_none(data) is None:
        raise ArtifactError("the new artifact does not parse; nothing was written")
    with repo.write():
        rid = content.put(repo, data, private=private)
        if unsent:
            repo.execute("INSERT OR IGNORE INTO unsent VALUES(?)", (rid,))
        crosslink.crosslink(repo, rid, data)
        if deltify:
            content.deltify(repo, deltify, rid)
        uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
    return Stored(rid, uuid, data)


def register_uintnocase(repo: Repo) -> None:
    """Register Fossil's ``uintnocase`` collation (``uintNocaseCollFunc``): ASCII case
    folded, runs of digits compared as numbers."""

    def collate(a: str, b: str) -> int:
        za = a.encode("utf-8", "surrogateescape")
        zb = b.encode("utf-8", "surrogateescape")
        na, nb = len(za), len(zb)
        i = j = 0
        digit = b"0123456789"
        while i < na and j < nb:
            if za[i] in digit and zb[j] in digit:
                while i < na and za[i] == 0x30:
                    i += 1
                while j < nb and zb[j] == 0x30:
                    j += 1
                k = 0
                while i + k < na and za[i + k] in digit and j + k < nb and zb[j + k] in digit:
                    k += 1
                if i + k < na and za[i + k] in digit:
                    return 1
                if j + k < nb and zb[j + k] in digit:
                    return -1
                if za[i : i + k] != zb[j : j + k]:
                    return -1 if za[i : i + k] < zb[j : j + k] else 1
                i += k
                j += k
            else:
                ca, cb = za[i], zb[j]
                if ca != cb:
                    la = ca + 32 if 65 <= ca <= 90 else ca
                    lb = cb + 32 if 65 <= cb <= 90 else cb
                    if la != lb:
                        return la - lb
                i += 1
                j += 1
        return (na - i) - (nb - j)

    repo.db.create_collation("uintnocase", collate)
