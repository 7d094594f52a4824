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

Files of a check-in come from its manifest's F cards (map §1.7)::

    B BASELINE-HASH                      delta manifest: start from its files
    F NAME [HASH [PERM [OLDNAME]]]       NAME fossilized (\\s = space,
                                         \\n = newline, \\\\ = backslash);
                                         no HASH = removed from the baseline
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.repo import content
from fossilpy.repo.db import sql_text
from fossilpy.repo.names import AMBIGUOUS
from fossilpy.repo.visibility import TAGXREF_VISIBLE, Visibility
from fossilpy.web.request import HTTPError

if TYPE_CHECKING:
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


def defossilize(text: str) -> str:
    """Undo the card-argument escaping (``\\s``, ``\\n``, ``\\\\`` ...)."""
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "0": "\0", "v": "\v", "f": "\f"}.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


class FileEntry:
    """One file of a check-in."""

    __slots__ = ("name", "uuid", "perm")

    def __init__(self, name: str, uuid: str, perm: str) -> None:
        self.name, self.uuid, self.perm = name, uuid, perm


def _card_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace")
    if text.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        _, _, text = text.partition("\n\n")
        text = text.split("\n-----BEGIN PGP SIGNATURE", 1)[0]
    return text.split("\n")


def checkin_files(repo: Repo, rid: int) -> list[FileEntry]:
    """The files of check-in ``rid``, sorted by name ([] if not a check-in)."""
    data = content.get(repo, rid)
    if data is None:
        return []
    files: dict[str, FileEntry] = {}
    own: list[tuple[str, str | None, str]] = []
    baseline = None
    for line in _card_lines(data):
        if line.startswith("B "):
            baseline = line[2:].strip()
        elif line.startswith("F "):
            parts = line[2:].split(" ")
            fname = defossilize(parts[0])
            fhash = parts[1] if len(parts) > 1 and parts[1] else None
            perm = parts[2] if len(parts) > 2 else ""
            own.append((fname, fhash, perm))
    if baseline:
        brid = content.rid_of(repo, baseline)
        if brid:
            for entry in checkin_files(repo, brid) if brid != rid else []:
                files[entry.name] = entry
    for fname, fhash, perm in own:
        if fhash is None:
            files.pop(fname, None)
        else:
            files[fname] = FileEntry(fname, fhash, perm)
    return [files[k] for k in sorted(files)]


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
    data = content.get(repo, rid)
    if data is not None and data.startswith(b"M ") and b"\nZ " in data:
        return "cluster"
    return "unknown"


def wiki_text(repo: Repo, rid: int) -> tuple[str, str]:
    """(text, mimetype) of the W card of a wiki, technote or forum artifact.

    Card syntax: ``N MIMETYPE`` (optional) and ``W SIZE`` followed by a
    newline, exactly SIZE bytes of text and one more newline.
    """
    data = content.get(repo, rid)
    if data is None:
        return "", "text/x-fossil-wiki"
    mimetype = "text/x-fossil-wiki"
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        line = data[pos:end]
        if line.startswith(b"N "):
            mimetype = line[2:].decode("utf-8", "replace").strip() or mimetype
        elif line.startswith(b"W "):
            try:
                size = int(line[2:])
            except ValueError:
                break
            return data[end + 1 : end + 1 + size].decode("utf-8", "replace"), mimetype
        pos = end + 1
    return "", mimetype


def wiki_page_rid(vis: Visibility, name: str) -> int:
    """rid of the newest version of wiki page ``name`` this reader may see, 0 if none."""
    return vis.repo.one(
        "SELECT tagxref.rid FROM tag JOIN tagxref ON tagxref.tagid=tag.tagid"
        " WHERE tag.tagname=CAST(? AS TEXT) AND " + TAGXREF_VISIBLE + " ORDER BY tagxref.mtime DESC LIMIT 1",
        (sql_text("wiki-" + name), vis.private),
        0,
    )
