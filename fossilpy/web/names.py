"""Read-side helpers the pages share: who sees what, names to rids, files of a check-in.

Names are resolved by the one resolver, :mod:`fossilpy.repo.names` (Fossil's
``name.c`` forms: ``tip``, hash prefixes, dates, ``tag:``/branch names,
``root:``/``start:``, ``rid:``), through the reader's
:class:`~fossilpy.repo.visibility.Visibility`: a visitor without capability
``x`` never gets a private artifact from a name, and every page that takes
a name or a hash answers a hidden artifact with the very reply a missing
one gets (:func:`find`: the same status and message, which does not repeat
the name).  Lists filter with the same object (``Visibility.keep`` or the
SQL constants of :mod:`fossilpy.repo.visibility`).

Artifact text is read only by the one parser,
:mod:`fossilpy.artifact.manifest` (:func:`read_artifact`): card arguments
are unescaped there and bytes that are not UTF-8 stay in str as surrogate
escapes, which the renderer sends back as the very bytes stored (see the
comment block on text that is not UTF-8 in :mod:`fossilpy.repo.db`).
Files of a check-in come from its manifest's F cards (``www/fileformat.wiki``: B and F cards), on top
of those of its baseline (B card) for a delta manifest; an F card
without a hash removes a file of the baseline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.repo.db import sql_text
from fossilpy.repo.names import AMBIGUOUS
from fossilpy.repo.visibility import TAGXREF_VISIBLE, Visibility
from fossilpy.web.request import HTTPError

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import Manifest
    from fossilpy.repo.db import Repo
    from fossilpy.web.routes import Context

#: The reply to a name that stands for nothing the visitor may see.  It
#: never repeats the name, so a hidden artifact and a missing one give
#: byte-for-byte the same page.
NO_ARTIFACT = "No such artifact."
NO_CHECKIN = "No such check-in."
AMBIGUOUS_NAME = "Ambiguous name: more than one artifact starts with these digits."


def visibility(ctx: Context) -> Visibility:
    """What this request's visitor may see: private content with capability ``x``."""
    return Visibility(ctx.repo, private=ctx.has("x"))


def find(vis: Visibility, name: str, kind: str = "*", *, missing: str = NO_ARTIFACT) -> int:
    """The rid ``name`` stands for, for this reader; HTTP 404 if none or ambiguous.

    ``kind`` as for :func:`fossilpy.repo.names.lookup` ("ci": check-ins
    only); ``missing`` is the message for an unknown (or hidden) name.
    """
    rid = vis.lookup((name or "").strip(), kind)
    if rid == AMBIGUOUS:
        raise HTTPError(404, AMBIGUOUS_NAME)
    if rid <= 0:
        raise HTTPError(404, missing)
    return rid


def find_checkin(vis: Visibility, name: str) -> int:
    """The check-in ``name`` stands for, for this reader; HTTP 404 if none."""
    return find(vis, name, "ci", missing=NO_CHECKIN)


def read_artifact(repo: Repo, rid: int) -> Manifest | None:
    """Artifact ``rid`` parsed by :mod:`fossilpy.artifact.manifest`; None if
    its content is missing or it is not a structural artifact."""
    # imported here: a page that reads no artifact (/timeline) does not pay
    # for the parser (dataclasses, its regular expressions) in a CGI process
    from fossilpy.artifact import manifest
    from fossilpy.repo import content

    data = content.get(repo, rid)
    if data is None or not manifest.looks_structural(data):
        return None
    return manifest.parse_or_none(data)


class FileEntry:
    """One file of a check-in."""

    __slots__ = ("name", "uuid", "perm")

    def __init__(self, name: str, uuid: str, perm: str) -> None:
        self.name, self.uuid, self.perm = name, uuid, perm


class _FileLists:
    """Recently listed check-ins: hash -> their sorted files, bounded.

    A check-in's hash names its manifest's bytes, so its file list never
    changes; only a complete list (the baseline of a delta manifest
    present) is kept.  The bound is on file entries in all (``max_files``)
    and on check-ins (``max_lists``), least recently used first out, so a
    server worker's memory does not grow with the history, and browsing
    the directories of one check-in parses its manifest once.  Shared by
    a worker's threads (each operation under one lock).
    """

    def __init__(self, max_files: int = 30_000, max_lists: int = 16) -> None:
        import threading
        from collections import OrderedDict

        self.max_files, self.max_lists = max_files, max_lists
        self.lists: OrderedDict[str, tuple[FileEntry, ...]] = OrderedDict()
        self.files = 0
        self.lock = threading.Lock()

    def get(self, uuid: str) -> tuple[FileEntry, ...] | None:
        with self.lock:
            found = self.lists.get(uuid)
            if found is not None:
                self.lists.move_to_end(uuid)
            return found

    def put(self, uuid: str, files: tuple[FileEntry, ...]) -> None:
        if len(files) > self.max_files // 2:
            return
        with self.lock:
            if uuid in self.lists:
                return
            self.lists[uuid] = files
            self.files += len(files)
            while self.files > self.max_files or len(self.lists) > self.max_lists:
                _, old = self.lists.popitem(last=False)
                self.files -= len(old)


_file_lists = _FileLists()


def checkin_files(repo: Repo, rid: int) -> list[FileEntry]:
    """The files of check-in ``rid``, sorted by name ([] if not a check-in).

    Entries are shared with a bounded cache (:class:`_FileLists`): read them, never change them."""
    from fossilpy.repo import content

    uuid = content.uuid_of(repo, rid)
    if uuid:
        cached = _file_lists.get(uuid)
        if cached is not None:
            return list(cached)
    files, complete = _checkin_files(repo, rid)
    if uuid and complete and files:
        _file_lists.put(uuid, tuple(files))
    return files


def _checkin_files(repo: Repo, rid: int) -> tuple[list[FileEntry], bool]:
    """(the files of check-in ``rid`` sorted by name, True if its baseline, if any, was there)."""
    m = read_artifact(repo, rid)
    if m is None:
        return [], False
    files: dict[str, FileEntry] = {}
    complete = True
    if m.baseline:
        from fossilpy.repo import content

        brid = content.rid_of(repo, m.baseline)
        base = checkin_files(repo, brid) if brid and brid != rid else []
        complete = bool(base)
        for entry in base:
            files[entry.name] = entry
    for f in m.files:
        if f.uuid is None:
            files.pop(f.name, None)
        else:
            files[f.name] = FileEntry(f.name, f.uuid, f.perm or "")
    return [files[k] for k in sorted(files, key=_name_order)], complete


def checkin_file(repo: Repo, rid: int, name: str) -> FileEntry | None:
    """File ``name`` of check-in ``rid`` (None: not in it), as Fossil's
    ``manifest_file_find``: the check-in's own F card, else its baseline's.

    Only that name is looked for in the artifact text
    (:func:`fossilpy.artifact.manifest.find_file_card`), not the whole sorted
    file list, so the cost does not grow with the size of the tree.
    """
    from fossilpy.artifact import manifest
    from fossilpy.repo import content

    data = content.get(repo, rid)
    if data is None or not manifest.looks_structural(data):
        return None
    found, uuid, perm, baseline = manifest.find_file_card(data, name)
    if not found and baseline:
        brid = content.rid_of(repo, baseline)
        base = content.get(repo, brid) if brid and brid != rid else None
        if base is not None:
            found, uuid, perm, _ = manifest.find_file_card(base, name)
    if not found or uuid is None:
        return None
    return FileEntry(name, uuid, perm)


def _name_order(name: str) -> bytes:
    """Names sort as the bytes stored (Fossil's order, also for names that are not UTF-8)."""
    return name.encode("utf-8", "surrogateescape")


def branch_of(repo: Repo, rid: int) -> str:
    """The branch of check-in ``rid`` ("" if unknown)."""
    return (
        repo.one(
            "SELECT value FROM tagxref WHERE rid=? AND tagtype>0"
            " AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')",
            (rid,),
        )
        or ""
    )


def artifact_kind(repo: Repo, rid: int) -> str:
    """What ``rid`` is: "checkin", "wiki", "ticket", "technote", "forum", "tag", "file", "cluster" or "unknown"."""
    etype = repo.one("SELECT type FROM event WHERE objid=?", (rid,))
    kinds = {"ci": "checkin", "w": "wiki", "t": "ticket", "e": "technote", "f": "forum", "g": "tag"}
    if etype in kinds:
        return kinds[etype]
    if repo.one("SELECT 1 FROM mlink WHERE fid=? LIMIT 1", (rid,)):
        return "file"
    if repo.one("SELECT 1 FROM tagxref WHERE srcid=? LIMIT 1", (rid,)):
        return "tag"
    m = read_artifact(repo, rid)
    from fossilpy.artifact.manifest import ArtifactType

    if m is not None and m.type == ArtifactType.CLUSTER:
        return "cluster"
    return "unknown"


def wiki_text(repo: Repo, rid: int) -> tuple[str, str]:
    """(text, mimetype) of the W card of a wiki, technote or forum artifact."""
    return text_of(read_artifact(repo, rid))


def text_of(m: Manifest | None) -> tuple[str, str]:
    """(W card text, N card mimetype) of a parsed artifact; ("", wiki) if none."""
    if m is None:
        return "", "text/x-fossil-wiki"
    return m.text or "", m.mimetype or "text/x-fossil-wiki"


def wiki_page_rid(vis: Visibility, name: str) -> int:
    """rid of the newest version of wiki page ``name`` this reader may see, 0 if none."""
    return int(
        vis.repo.one(
            "SELECT tagxref.rid FROM tag JOIN tagxref ON tagxref.tagid=tag.tagid"
            " WHERE tag.tagname=CAST(? AS TEXT) AND " + TAGXREF_VISIBLE + " ORDER BY tagxref.mtime DESC LIMIT 1",
            (sql_text("wiki-" + name), vis.private),
            0,
        )
    )
