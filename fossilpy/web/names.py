"""Read-side queries the pages share: names to rids, files of a check-in.

Name resolution follows the common forms of Fossil's ``name_to_typed_rid``
(``src/name.c``):

* ``tip`` -- the most recent check-in;
* a hash prefix of at least 4 hex digits (ambiguity -> None, unless only
  one of the matches has the wanted type);
* a date ``YYYY-MM-DD[ HH:MM[:SS]]`` -- the last check-in at or before it;
* ``tag:NAME`` or a bare ``NAME`` -- the most recent check-in carrying the
  symbolic tag ``sym-NAME`` (a branch name or tag).

Files of a check-in come from its manifest's F cards (map §1.7)::

    B BASELINE-HASH                      delta manifest: start from its files
    F NAME [HASH [PERM [OLDNAME]]]       NAME fossilized (\\s = space,
                                         \\n = newline, \\\\ = backslash);
                                         no HASH = removed from the baseline
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fossilpy.repo import content
from fossilpy.repo.db import sql_text

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

_HEX = re.compile(r"^[0-9a-fA-F]{4,64}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def resolve(repo: Repo, name: str, want: str = "ci") -> int:
    """rid named by ``name``; 0 if none.  ``want`` is an event type ("ci", "*")."""
    name = (name or "").strip()
    if not name:
        return 0
    if name == "tip":
        return repo.one("SELECT objid FROM event WHERE type='ci' ORDER BY mtime DESC LIMIT 1", (), 0)
    if _HEX.match(name):
        rows = repo.all(
            "SELECT rid FROM blob WHERE uuid>=? AND uuid<? ORDER BY rid LIMIT 20",
            (name.lower(), name.lower() + "g"),
        )
        if len(rows) == 1:
            return rows[0][0]
        if len(rows) > 1 and want != "*":
            typed = [
                r[0]
                for r in rows
                if repo.one("SELECT 1 FROM event WHERE objid=? AND type=?", (r[0], want))
            ]
            if len(typed) == 1:
                return typed[0]
        if rows:
            return 0
    if _DATE.match(name):
        return repo.one(
            "SELECT objid FROM event WHERE type='ci' AND mtime<=julianday(?,'utc')"
            " ORDER BY mtime DESC LIMIT 1",
            (name.replace("T", " "),),
            0,
        )
    tag = name[4:] if name.startswith("tag:") else name
    return repo.one(
        "SELECT tagxref.rid FROM tagxref JOIN tag ON tag.tagid=tagxref.tagid"
        " JOIN event ON event.objid=tagxref.rid"
        " WHERE tag.tagname=? AND tagxref.tagtype>0 AND event.type='ci'"
        " ORDER BY event.mtime DESC LIMIT 1",
        ("sym-" + tag,),
        0,
    )


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


def wiki_page_rid(repo: Repo, name: str) -> int:
    """rid of the newest version of wiki page ``name``, 0 if none."""
    return repo.one(
        "SELECT x.rid FROM tag t JOIN tagxref x ON x.tagid=t.tagid"
        " WHERE t.tagname=CAST(? AS TEXT) ORDER BY x.mtime DESC LIMIT 1",
        (sql_text("wiki-" + name),),
        0,
    )
