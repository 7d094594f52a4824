"""Archives of one check-in: ZIP, gzip-compressed tar and SQLite archive (sqlar).

The same bytes as Fossil 2.21's ``zip_of_checkin`` (``src/zip.c``) and
``tarball_of_checkin`` (``src/tar.c``, ``src/gzip.c``) for the same
check-in, name and globs.  Every member carries the check-in's time.  The
members are, in order:

* ``NAME/manifest``, ``NAME/manifest.uuid`` (the hash and a newline) and
  ``NAME/manifest.tags`` (``branch B`` and ``tag T`` lines) when the
  ``manifest`` setting asks for them (on: r and u; or letters r, u, t).
  The setting is versionable: ``.fossil-settings/manifest`` in the
  check-in itself wins over the repository's value;
* every file of the check-in in manifest order (names sorted as bytes),
  kept by ``in=`` (a list of globs; all files when absent) and not
  dropped by ``ex=``; a directory entry precedes the first file in it.

ZIP layout (``zip_add_file_to_zip``): per member a local header (signature
``PK\\3\\4``, version 10, flags 0x0800 = UTF-8 names, method 8 = raw deflate
at level 9 for non-empty files or 0 = stored, DOS time and date of the
check-in, CRC-32, sizes, name length, extra length 13), the name, an
extended-timestamp extra field (``UT``: flags 3, mtime and atime as unix
seconds), then the deflated data.  Directories (name ending in ``/``) are
stored entries with mode 040755.  The central directory repeats each
header (made by 0x0317 = Unix, version 2.3; external attributes = mode
<< 16: 0100644, 0100755 executable, 0120755 symlink whose data is its
target) with a 5-byte ``UT`` field, then the end record.  There is no
data descriptor and no comment; the output is deterministic.

Tar layout (``tar_add_header``): POSIX ustar 512-byte headers (owner and
group ``nobody``, ids 0, mode 0644/0755, mtime, size and checksum in
octal), the data padded with NULs to 512 bytes, two empty blocks at the
end.  Names longer than 100 bytes are split into prefix and name at a
``/``; a name that cannot be split, or has a byte above 0x7e, is preceded
by a pax ``x`` header (``PaxHeader/NAME``) with a ``path=`` record.
Directories have type ``5``, mode 0755 and no trailing slash; symlinks
with a target of at most 100 bytes have type ``2`` and the target in the
linkname field.  Fossil builds every header in one buffer and never clears
its linkname field, so a header after a symlink repeats that target; so
does this writer.  The whole stream is gzip-compressed (deflate level 9,
header mtime = the check-in's time, XFL 2, OS 255).

Sqlar (``zip_add_file_to_sqlar``): an SQLite database (page size 512) with
the table ``sqlar(name, mode, mtime, sz, data)``; ``data`` is zlib's
``compress()`` output unless that is not smaller than the file, symlinks
keep their target as text with ``sz`` -1, directories have no data.
"""

from __future__ import annotations

import sqlite3
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy import budget
from fossilpy.artifact import manifest
from fossilpy.repo import content
from fossilpy.settings import is_false, is_truth

if TYPE_CHECKING:
    from collections.abc import Callable

    from fossilpy.repo.db import Repo

#: The ``manifest`` setting's flags (``MFESTFLG_*``).
MANIFEST_RAW, MANIFEST_UUID, MANIFEST_TAGS = 1, 2, 4

#: The table Fossil creates, with its very text (it is stored in sqlite_schema).
SQLAR_SCHEMA = (
    "CREATE TABLE sqlar("
    "name TEXT PRIMARY KEY,  -- name of the file\n"
    "mode INT,               -- access permissions\n"
    "mtime INT,              -- last modification time\n"
    "sz INT,                 -- original file size\n"
    "data BLOB               -- compressed content\n"
    ")"
)


@dataclass
class Member:
    """One file of an archive: its full name (prefix included), its bytes, ``perm`` "", "x" or "l"."""

    name: bytes
    data: bytes
    perm: str = ""


@dataclass
class Checkin:
    """What goes into an archive: the check-in's time and the file members in order."""

    uuid: str
    julian: float
    members: list[Member]

    @property
    def unix_time(self) -> int:
        """Seconds since 1970 as Fossil computes them (C truncation of the double)."""
        return int((self.julian - 2440587.5) * 86400.0)


def parse_globs(text: str | None) -> list[str] | None:
    """The patterns of a glob list as Fossil's ``glob_create``: separated by commas
    or spaces, each optionally quoted with "..." or '...'; None for no list."""
    if not text:
        return None
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and (text[i] in " \t\n\r\f\v,"):
            i += 1
        if i >= n:
            break
        delim = ","
        if text[i] in "'\"":
            delim = text[i]
            i += 1
        j = i
        while j < n and text[j] != delim:
            if delim == "," and text[j] in " \t\n\r\f\v":
                break
            j += 1
        out.append(text[i:j])
        i = j + 1
    return out


def glob_match(repo: Repo, patterns: list[str] | None, name: str) -> bool:
    """True if ``name`` matches one of ``patterns`` (SQLite's GLOB, as ``sqlite3_strglob``)."""
    if not patterns:
        return False
    return any(repo.one("SELECT CAST(? AS TEXT) GLOB ?", (_b(name), p), 0) for p in patterns)


def _b(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def checkin_files(repo: Repo, m: manifest.Manifest) -> list[tuple[str, str, str]]:
    """(name, hash, perm) of the files of check-in ``m``, its baseline merged, sorted as bytes."""
    files: dict[str, tuple[str, str, str]] = {}
    if m.baseline:
        base = manifest.parse_or_none(content.get_by_uuid(repo, m.baseline) or b"")
        if base is not None:
            for f in base.files:
                if f.uuid:
                    files[f.name] = (f.name, f.uuid, f.perm or "")
    for f in m.files:
        if f.uuid is None:
            files.pop(f.name, None)
        else:
            files[f.name] = (f.name, f.uuid, f.perm or "")
    return [files[k] for k in sorted(files, key=_b)]


def manifest_flags(repo: Repo, files: list[tuple[str, str, str]]) -> int:
    """Fossil's ``db_get_manifest_setting`` with the check-in's ``.fossil-settings/manifest`` first."""
    value = repo.setting("manifest")
    for name, uuid, _ in files:
        if name == ".fossil-settings/manifest":
            data = content.get_by_uuid(repo, uuid)
            if data is not None:
                value = data.rstrip().decode("utf-8", "surrogateescape")
    if value is None or is_false(value):
        return 0
    if is_truth(value):
        return MANIFEST_RAW | MANIFEST_UUID
    flags = 0
    for ch, flag in (("r", MANIFEST_RAW), ("u", MANIFEST_UUID), ("t", MANIFEST_TAGS)):
        if ch in value:
            flags |= flag
    return flags


def taglist(repo: Repo, rid: int) -> bytes:
    """The ``manifest.tags`` text (``get_checkin_taglist``)."""
    branch = repo.one(
        "SELECT value FROM tagxref WHERE rid=? AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')",
        (rid,),
    )
    lines = [f"branch {branch if branch is not None else '(NULL)'}\n"]
    for (name,) in repo.all(
        "SELECT substr(tagname, 5) FROM tagxref, tag WHERE tagxref.rid=? AND tagxref.tagtype>0"
        " AND tag.tagid=tagxref.tagid AND tag.tagname GLOB 'sym-*'",
        (rid,),
    ):
        lines.append(f"tag {name}\n")
    return _b("".join(lines))


def default_name(repo: Repo, rid: int) -> str:
    """The top directory when none is given: PROJECT_YYYY-MM-DD_HHMMSS_HASH10 (``archive_cmd``)."""
    project = repo.config_get("project-name")
    name: str = repo.one(
        "SELECT replace(CAST(? AS TEXT),' ','_') || strftime('_%Y-%m-%d_%H%M%S_', event.mtime)"
        " || substr(blob.uuid, 1, 10) FROM event, blob WHERE event.objid=? AND blob.rid=?",
        (_b(str(project) if project is not None else "unnamed"), rid, rid),
        "",
    )
    return name


def checkin_content(
    repo: Repo,
    rid: int,
    prefix: str,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Checkin | None:
    """The members of an archive of check-in ``rid`` under directory ``prefix``; None if not a check-in.

    ``progress(done, total)`` is called after each file of the check-in is read."""
    data = content.get(repo, rid)
    m = manifest.parse_or_none(data) if data else None
    if data is None or m is None or m.type != manifest.ArtifactType.MANIFEST:
        return None
    uuid = content.uuid_of(repo, rid) or ""
    top = prefix + "/" if prefix else ""
    files = checkin_files(repo, m)
    members: list[Member] = []
    flags = manifest_flags(repo, files)

    def wanted(name: str) -> bool:
        return (include is None or glob_match(repo, include, name)) and not glob_match(repo, exclude, name)

    if flags & MANIFEST_RAW and wanted("manifest"):
        members.append(Member(_b(top + "manifest"), data))
    if flags & MANIFEST_UUID and wanted("manifest.uuid"):
        members.append(Member(_b(top + "manifest.uuid"), uuid.encode() + b"\n"))
    if flags & MANIFEST_TAGS and wanted("manifest.tags"):
        members.append(Member(_b(top + "manifest.tags"), taglist(repo, rid)))
    for done, (name, fuuid, perm) in enumerate(files, 1):
        if progress is not None:
            progress(done, len(files))
        if not wanted(name):
            continue
        frid = content.rid_of(repo, fuuid)
        if not frid:
            continue
        budget.check()
        body = content.get(repo, frid) or b""
        budget.charge(len(body))
        members.append(Member(_b(top + name), body, perm))
    return Checkin(uuid, m.julian, members)


def _dos_time(repo: Repo, julian: float) -> tuple[int, int]:
    """(DOS time, DOS date) of SQLite's ``datetime()`` of the check-in time, as ``zip_set_timedate``."""
    text: str = repo.one("SELECT datetime(?)", (julian,), "")
    y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    h, mi, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
    return (h << 11) + (mi << 5) + (s >> 1), ((y - 1980) << 9) + (mo << 5) + d


def _folders(name: bytes, seen: set[bytes]) -> list[bytes]:
    """Directories of ``name`` (with a trailing slash, outermost first) not yet in ``seen``."""
    out = []
    for i, ch in enumerate(name):
        if ch == 0x2F:
            d = name[: i + 1]
            if d not in seen:
                seen.add(d)
                out.append(d)
    return out


def zip_bytes(repo: Repo, ci: Checkin) -> bytes:
    """The ZIP archive (``zip_add_file_to_zip`` and ``zip_close``)."""
    dos_time, dos_date = _dos_time(repo, ci.julian)
    unix = ci.unix_time & 0xFFFFFFFF
    body = bytearray()
    toc = bytearray()
    seen: set[bytes] = set()
    count = 0
    entries: list[tuple[bytes, bytes | None, str]] = []
    for mem in ci.members:
        entries.extend((d, None, "") for d in _folders(mem.name, seen))
        entries.append((mem.name, mem.data, mem.perm))
    for name, data, perm in entries:
        budget.check()
        if data is None:
            method, mode, crc, packed = 0, 0o40755, 0, b""
        else:
            method = 8 if data else 0
            mode = {"l": 0o120755, "x": 0o100755}.get(perm, 0o100644)
            crc = zlib.crc32(data)
            if data:
                comp = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
                packed = comp.compress(data) + comp.flush()
            else:
                packed = b""
        size = len(data) if data else 0
        start = len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 10, 0x0800, method, dos_time, dos_date, crc, len(packed), size, len(name), 13
        )
        body += name + struct.pack("<HHBII", 0x5455, 9, 3, unix, unix) + packed
        toc += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 0x0317, 10, 0x0800, method, dos_time, dos_date, crc, len(packed), size,
            len(name), 9, 0, 0, 0, (mode << 16) & 0xFFFFFFFF, start,
        )  # fmt: skip
        toc += name + struct.pack("<HHBI", 0x5455, 5, 3, unix)
        count += 1
    toc_start = len(body)
    body += toc
    body += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count & 0xFFFF, count & 0xFFFF, len(toc), toc_start, 0)
    return bytes(body)


class _Tar:
    """The tar stream writer of ``src/tar.c`` (one reused header buffer) feeding a gzip stream."""

    def __init__(self, mtime: int) -> None:
        self.hdr = bytearray(512)
        self.hdr[108:116] = b"0000000\0"
        self.hdr[116:124] = b"0000000\0"
        self.hdr[257:265] = b"ustar\x0000"
        self.hdr[265:272] = b"nobody\0"
        self.hdr[297:304] = b"nobody\0"
        self.mtime = mtime
        self.dirs: set[bytes] = set()
        self.comp = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
        self.crc = 0
        self.total = 0
        self.out = [b"\x1f\x8b\x08\x00" + struct.pack("<I", mtime & 0xFFFFFFFF) + b"\x02\xff"]

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.total += len(data)
        self.out.append(self.comp.compress(data))

    def pad(self, n: int) -> None:
        if n % 512:
            self.write(b"\0" * (512 - n % 512))

    def _octal(self, at: int, width: int, value: int) -> None:
        text = b"%0*o" % (width - 1, value)
        self.hdr[at : at + width] = text[: width - 1] + b"\0"

    def _emit(self, kind: bytes) -> None:
        self.hdr[148:156] = b" " * 8
        self.hdr[156:157] = kind
        self._octal(148, 8, sum(self.hdr))
        self.write(bytes(self.hdr))

    def _names(self, name: bytes, pax: bool) -> bool:
        """Fill the name and prefix fields; False if the name does not fit (``tar_split_path``)."""
        if pax:
            name = b"PaxHeader/" + name
        split = _split_pos(name)
        fits = len(name) - split <= 100 and split <= 156
        self.hdr[0:100] = _padded(name[split:], 100)
        self.hdr[345:500] = _padded(name[: split - 1] if split > 0 else b"", 155)
        return fits

    def header(self, name: bytes, mode: int, size: int, kind: bytes) -> None:
        self._octal(100, 8, mode)
        self._octal(136, 12, self.mtime & 0xFFFFFFFF)
        if any(c > 0x7E for c in name) or not self._names(name, False):
            self._names(name, True)
            blen = len(b"path") + len(name) + 3
            next10, n = 1, blen
            while n > 0:
                blen += 1
                next10 *= 10
                n //= 10
            if blen > next10:
                blen += 1
            record = b"%d path=" % blen + name + b"\n"
            self._octal(124, 12, len(record))
            self._emit(b"x")
            self.write(record)
            self.pad(len(record))
            self._names(name, False)
        self._octal(124, 12, size)
        self._emit(kind)

    def directory_of(self, name: bytes) -> None:
        i = name.rfind(b"/", 1)
        if i <= 0 or name[:i] in self.dirs:
            return
        self.dirs.add(name[:i])
        self.directory_of(name[: i - 1])
        self.header(name[:i], 0o755, 0, b"5")

    def add(self, mem: Member) -> None:
        self.directory_of(mem.name)
        data, kind = mem.data, b"0"
        if mem.perm == "l" and len(data) <= 100:
            target = data.split(b"\0", 1)[0][:99] + b"\0"
            self.hdr[157 : 157 + len(target)] = target
            data, kind = b"", b"2"
        self.header(mem.name, 0o755 if mem.perm == "x" else 0o644, len(data), kind)
        if data:
            self.write(data)
            self.pad(len(data))

    def finish(self) -> bytes:
        self.write(b"\0" * 1024)
        self.out.append(self.comp.flush())
        self.out.append(struct.pack("<II", self.crc, self.total & 0xFFFFFFFF))
        return b"".join(self.out)


def _split_pos(name: bytes) -> int:
    """``find_split_pos``: where to split a name longer than 100 bytes into prefix and name."""
    split = 0
    if len(name) > 100:
        for i in range(1, len(name) - 1):
            if name[i] == 0x2F:
                split = i + 1
                if len(name) - split <= 100:
                    break
    return split


def _padded(value: bytes, width: int) -> bytes:
    return value[:width] + b"\0" * (width - len(value[:width]))


def tarball_bytes(ci: Checkin) -> bytes:
    """The gzip-compressed tarball (``tarball_of_checkin``)."""
    tar = _Tar(int((ci.julian - 2440587.5) * 86400.0) & 0xFFFFFFFF)
    for mem in ci.members:
        budget.check()
        tar.add(mem)
    return tar.finish()


def sqlar_bytes(ci: Checkin) -> bytes:
    """The SQLite archive (``zip_add_file_to_sqlar``): the rows Fossil inserts, in its order."""
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(
            "PRAGMA page_size=512; PRAGMA journal_mode=off; PRAGMA cache_spill=off; PRAGMA secure_delete=off;"
        )
        con.execute("BEGIN")
        con.execute(SQLAR_SCHEMA)
        seen: set[bytes] = set()
        mtime = ci.unix_time
        insert = "INSERT INTO sqlar VALUES(CAST(? AS TEXT), ?, ?, ?, ?)"
        link = "INSERT INTO sqlar VALUES(CAST(? AS TEXT), ?, ?, ?, CAST(? AS TEXT))"
        for mem in ci.members:
            budget.check()
            for d in _folders(mem.name, seen):
                con.execute(insert, (d[:-1], 0o40755, mtime, 0, None))
            if mem.perm == "l":
                con.execute(link, (mem.name, 0o120755, mtime, -1, mem.data))
                continue
            packed = zlib.compress(mem.data)
            data = mem.data if len(packed) >= len(mem.data) else packed
            con.execute(insert, (mem.name, 0o100755 if mem.perm == "x" else 0o100644, mtime, len(mem.data), data))
        con.execute("COMMIT")
        image = bytearray(con.serialize())
    finally:
        con.close()
    # The header a file written in one transaction has (an in-memory database
    # leaves the change counter and the writer's version at zero).
    major, minor, patch = sqlite3.sqlite_version_info
    image[24:28] = struct.pack(">I", 1)
    image[92:100] = struct.pack(">II", 1, major * 1000000 + minor * 1000 + patch)
    return bytes(image)
