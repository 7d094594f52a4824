"""Whole-repository consistency check, as ``fossil test-integrity`` 2.21.

For every ``blob`` row in rid order: phantoms are noted ("skip phantom"),
everything else is expanded (following delta chains) and must have its
recorded size and hash to its name.  Also reported: public artifacts stored
as deltas of private ones (a peer could never expand them).  With
``parse``, every artifact that looks structural is parsed and counted by
type.  Finally SQLite's ``PRAGMA integrity_check``.

Damaged data is expanded the way Fossil does it, so that both report the
same numbers: undecodable zlib leaves the stored bytes, a delta that does
not apply leaves its source's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fossilpy.artifact import delta, hname
from fossilpy.errors import ArtifactError
from fossilpy.repo.db import Repo

#: Names of artifact types counted by ``--parse``, by Manifest type number.
#: Like 2.21, forum posts are counted in the total but not listed.
_PARSE_TYPE_NAMES = {
    1: "manifest",
    2: "cluster",
    3: "control",
    4: "wiki",
    5: "ticket",
    6: "attachment",
    7: "event",
}


@dataclass
class IntegrityReport:
    """Result of :func:`integrity_report`.

    ``lines`` are the per-artifact messages in Fossil's wording (problems
    and "skip phantom" notes, in rid order); ``errors`` counts problems.
    """

    lines: list[str] = field(default_factory=list)
    errors: int = 0
    checked: int = 0
    total: int = 0
    parsed: int = 0
    parsed_by_type: dict[str, int] = field(default_factory=dict)
    parse_failures: int = 0
    db_check: str = "ok"

    def summary_lines(self, parse: bool) -> list[str]:
        """The closing lines ``fossil test-integrity`` prints."""
        out = [f"{self.checked} non-phantom blobs (out of {self.total} total) checked:  {self.errors} errors"]
        if parse:
            out.append(f"{self.parsed} total control artifacts")
            for num in sorted(_PARSE_TYPE_NAMES):
                name = _PARSE_TYPE_NAMES[num]
                if self.parsed_by_type.get(name):
                    out.append(f"  {self.parsed_by_type[name]} {name}s")
        out.append(f"low-level database integrity-check: {self.db_check}")
        return out


def _looks_structural(data: bytes) -> bool:
    """Fossil's quick test for "might be a control artifact"."""
    if len(data) < 10:
        return False
    if data.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----"):
        return True
    first = data[0]
    if not (0x41 <= first <= 0x5A) or data[1] != 0x20 or first == 0x49:  # 'I'
        return False
    return data.endswith(b"\n")


def _short(repo: Repo, uuid: str | None) -> str:
    digits = max(6, min(64, repo.setting_int("hash-digits")))
    return (uuid or "")[:digits]


def _inflate_as_fossil(framed: bytes) -> bytes:
    """Fossil's lenient blob_uncompress: on failure the stored bytes stay."""
    import zlib

    from fossilpy.artifact.blob import MAX_SIZE

    if len(framed) <= 4:
        return framed
    declared = int.from_bytes(framed[:4], "big")
    if declared > MAX_SIZE:
        return framed
    try:
        d = zlib.decompressobj()
        out = d.decompress(framed[4:], declared + 2)  # never more than the header allows
    except zlib.error:
        return framed
    if not d.eof or len(out) > declared + 1:  # truncated (zlib.decompress would fail) or too long
        return framed
    return out


def _expand_as_fossil(repo: Repo, rid: int, cache: _TextCache | None = None) -> bytes:
    """Expand ``rid`` the way ``fossil test-integrity`` does, so that damage
    is reported in the same words: undecodable data stays as stored, a
    delta that does not apply leaves its source text, a loop gives b""."""
    chain = [rid]
    seen = {rid}
    data = cache.get(rid) if cache is not None else None
    if data is not None:
        return data
    while True:
        src = repo.one("SELECT srcid FROM delta WHERE rid=?", (chain[-1],), 0)
        if not src:
            break
        if src in seen:
            return b""
        seen.add(src)
        chain.append(src)
        if cache is not None and src in cache:
            break
    last = chain[-1]
    data = cache.get(last) if cache is not None else None
    if data is None:
        base_row = repo.row("SELECT content FROM blob WHERE rid=? AND size>=0", (last,))
        if base_row is None or base_row[0] is None:
            return b""
        data = _inflate_as_fossil(base_row[0])
    for r in reversed(chain[:-1]):
        row = repo.row("SELECT content FROM blob WHERE rid=? AND size>=0", (r,))
        if row is None or row[0] is None:
            return b""
        try:
            data = delta.apply(data, _inflate_as_fossil(row[0]))
        except ArtifactError:
            pass
        if cache is not None and r != rid:
            cache.put(r, data)
    return data


class _TextCache:
    """Expanded texts along the delta chains, oldest dropped first, at most
    TEXT_CACHE_BYTES: blobs are checked in rid order and a newer blob's
    chain is mostly the tail of an older one's, so each delta is applied
    about once instead of once per artifact below it."""

    def __init__(self) -> None:
        self.texts: dict[int, bytes] = {}
        self.bytes = 0

    def __contains__(self, rid: int) -> bool:
        return rid in self.texts

    def get(self, rid: int) -> bytes | None:
        return self.texts.get(rid)

    def put(self, rid: int, text: bytes) -> None:
        if rid in self.texts or len(text) > TEXT_CACHE_BYTES:
            return
        self.texts[rid] = text
        self.bytes += len(text)
        while self.bytes > TEXT_CACHE_BYTES:
            self.bytes -= len(self.texts.pop(next(iter(self.texts))))


#: Bytes of expanded texts kept by :class:`_TextCache`.
TEXT_CACHE_BYTES = 8 << 20


#: Blob rows read at once by :func:`_blobs`.
_CHUNK = 1000


def _blobs(repo: Repo) -> Iterator[tuple[int, str, int | None]]:
    """(rid, uuid, size) of every blob in rid order, read _CHUNK rows at a
    time (not a list of every blob)."""
    after = 0
    while True:
        rows = repo.all("SELECT rid, uuid, size FROM blob WHERE rid>? ORDER BY rid LIMIT ?", (after, _CHUNK))
        yield from rows
        if len(rows) < _CHUNK:
            return
        after = rows[-1][0]


def integrity_report(repo: Repo, *, parse: bool = False) -> IntegrityReport:
    """Re-expand and re-hash every artifact, as ``fossil test-integrity``."""
    rep = IntegrityReport()
    for rid, rid_uuid, srcid, src_uuid in repo.all(
        "SELECT rid, (SELECT uuid FROM blob WHERE rid=delta.rid),"
        "       srcid, (SELECT uuid FROM blob WHERE rid=delta.srcid)"
        "  FROM delta WHERE srcid IN private AND rid NOT IN private"
    ):
        rep.lines.append(
            f"public artifact {_short(repo, rid_uuid)} ({rid}) is a delta from "
            f"private artifact {_short(repo, src_uuid)} ({srcid})"
        )
        rep.errors += 1
    parser = None
    if parse:
        from fossilpy.artifact import manifest

        parser = manifest.parse
    cache = _TextCache()
    for rid, uuid, size in _blobs(repo):
        rep.total += 1
        if size is None or size < 0:
            rep.lines.append(f"skip phantom {rid} {uuid}")
            continue
        data = _expand_as_fossil(repo, rid, cache)
        if len(data) != size:
            rep.lines.append(f"size mismatch on artifact {rid}: wanted {size} but got {len(data)}")
            rep.errors += 1
        if not hname.verify(data, str(uuid)):
            rep.lines.append(f"wrong hash on artifact {rid}")
            rep.errors += 1
        if parser is not None and _looks_structural(data):
            try:
                m = parser(data)
            except ArtifactError as exc:
                rep.parse_failures += 1
                rep.lines.append(f"manifest_parse failed for {uuid}:\n{exc}")
                if str(exc).startswith("line 1:"):
                    first = data.split(b"\n", 1)[0][:399]
                    rep.lines.append('"' + first.decode("utf-8", "replace") + '"')
            else:
                rep.parsed += 1
                name = _PARSE_TYPE_NAMES.get(int(m.type))
                if name:
                    rep.parsed_by_type[name] = rep.parsed_by_type.get(name, 0) + 1
        rep.checked += 1
    rows = repo.all("PRAGMA integrity_check(10)")
    rep.db_check = "\n".join(str(r[0]) for r in rows) or "ok"
    return rep


def check_integrity(repo: Repo, *, parse: bool = False) -> list[str]:
    """Problems found by :func:`integrity_report` (empty list: all is well)."""
    rep = integrity_report(repo, parse=parse)
    problems = [line for line in rep.lines if not line.startswith("skip phantom ")]
    if rep.db_check != "ok":
        problems.append(f"low-level database integrity-check: {rep.db_check}")
    return problems
