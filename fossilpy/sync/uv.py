"""Unversioned files: storage, catalogue hash and the uv* cards.

Table (created on demand, Fossil 2.21 ``src/unversioned.c``)::

    unversioned(uvid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
                rcvid INTEGER, mtime DATETIME (unix seconds),
                hash TEXT (NULL = deleted), sz INTEGER,
                encoding INT (0 plain, 1 = 4-byte size + zlib), content BLOB)

Cards::

    pragma uv-hash HASH                C->S  sha1 of the catalogue lines
                                             "NAME YYYY-MM-DD HH:MM:SS HASH\\n"
                                             (live files, by name)
    pragma uv-push-ok | uv-pull-only   S->C  answer to a different uv-hash
    uvigot NAME MTIME HASH SIZE        S->C  catalogue entry (HASH "-" = deleted)
    uvgimme NAME                       C->S  request one file
    uvfile NAME MTIME HASH SIZE FLAGS LF <SIZE bytes>
                                       both  FLAGS 1 = deleted (no content),
                                             4 = content omitted (mtime only)

``status()`` compares a local row with a remote (mtime, hash)::

    0 no local row       1 remote is newer      2 same hash, local mtime older
    3 identical          4 same hash, local mtime newer    5 local is newer
"""

from __future__ import annotations

from collections.abc import Callable

from fossilpy import budget
from fossilpy.artifact import blob as blobfmt
from fossilpy.artifact import hname
from fossilpy.repo.db import Repo
from fossilpy.sync.cards import Reader, as_int, is_hname, is_simple_filename

EMPTY_HASH = "da39a3ee5e6b4b0d3255bfef95601890afd80709"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS unversioned(\n"
    "  uvid INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  name TEXT UNIQUE,\n"
    "  rcvid INTEGER,\n"
    "  mtime DATETIME,\n"
    "  hash TEXT,\n"
    "  sz INTEGER,\n"
    "  encoding INT,\n"
    "  content BLOB\n"
    ")"
)


def ensure_schema(repo: Repo) -> None:
    if not repo.table_exists("unversioned"):
        with repo.write():
            repo.execute(SCHEMA)


def content_hash(repo: Repo, recompute: bool = False) -> str:
    """The catalogue hash (cached in config ``uv-hash``)."""
    if not recompute:
        cached = repo.config_get("uv-hash")
        if cached:
            return str(cached)
    if not repo.table_exists("unversioned"):
        return EMPTY_HASH
    import hashlib  # here: OpenSSL only where unversioned files are hashed

    h = hashlib.sha1()
    for (line,) in repo.all(
        "SELECT printf('%s %s %s\n',name,datetime(mtime,'unixepoch'),hash)"
        " FROM unversioned WHERE hash IS NOT NULL ORDER BY name"
    ):
        h.update(line.encode())
    value = h.hexdigest()
    if not repo.readonly:
        repo.config_set("uv-hash", value)
    return value


def status(repo: Repo, name: str, mtime: int, rhash: str) -> int:
    row = repo.row("SELECT mtime, hash FROM unversioned WHERE name=?", (name,))
    if row is None:
        return 0
    local_mtime = int(row[0] or 0)
    local_hash = row[1] or "-"
    mcmp = (local_mtime > mtime) - (local_mtime < mtime)
    if local_hash == rhash:
        return 3 + mcmp
    if mcmp < 0 or (mcmp == 0 and local_hash < rhash):
        return 1
    return 5


def write(repo: Repo, name: str, data: bytes, mtime: int, rcvid: int = 0) -> None:
    """Add or replace an unversioned file (compressed when that saves 20%)."""
    policy = repo.config_int("hash-policy", 2)
    digest = hname.compute(data, hname.default_for_policy(policy))
    packed = blobfmt.compress(data)
    enc, stored = (1, packed) if len(packed) <= 0.8 * len(data) else (0, data)
    with repo.write():
        repo.execute(SCHEMA)
        repo.execute(
            "REPLACE INTO unversioned(name,rcvid,mtime,hash,sz,encoding,content)"
            " VALUES(?,?,?,?,?,?,?)",
            (name, rcvid, mtime, digest, len(data), enc, stored),
        )
        repo.config_unset("uv-hash")


def read(repo: Repo, name: str) -> bytes | None:
    """Content of a live unversioned file by name (or by hash), else None."""
    if not repo.table_exists("unversioned"):
        return None
    row = repo.row("SELECT encoding, content FROM unversioned WHERE name=?", (name,))
    if row is None:
        row = repo.row("SELECT encoding, content FROM unversioned WHERE hash=?", (name,))
    if row is None or row[1] is None:
        return None
    data = bytes(row[1])
    if row[0] != 1:
        return data
    return blobfmt.uncompress(data, what=f"unversioned {name}", limit=budget.room(blobfmt.MAX_SIZE))


def send_catalog(repo: Repo, out: bytearray) -> None:
    for name, mtime, digest, sz in repo.all("SELECT name, mtime, hash, sz FROM unversioned"):
        if digest is None:
            digest, sz = "-", 0
        out += f"uvigot {name} {int(mtime)} {digest} {sz}\n".encode()


def send_file(repo: Repo, out: bytearray, name: str, no_content: bool, mx_send: int) -> None:
    """Append a uvfile card (or, past ``mx_send``, a uvigot) for ``name``."""
    if len(out) >= mx_send:
        no_content = True
    row = repo.row("SELECT mtime, hash, encoding, sz, content FROM unversioned WHERE name=?", (name,))
    if row is None:
        return
    mtime, digest, enc, sz, data = row
    mtime = int(mtime)
    if len(out) >= mx_send:
        out += f"uvigot {name} {mtime} {digest} {sz}\n".encode()
    elif digest is None:
        out += f"uvfile {name} {mtime} - 0 1\n".encode()
    elif no_content:
        out += f"uvfile {name} {mtime} {digest} {sz} 4\n".encode()
    else:
        data = bytes(data or b"")
        if enc:
            data = blobfmt.uncompress(data, what=f"unversioned {name}", limit=budget.room(blobfmt.MAX_SIZE))
        out += f"uvfile {name} {mtime} {digest} {len(data)} 0\n".encode()
        out += data


def accept_file(repo: Repo, toks: list[bytes], rd: Reader, is_writer: bool,
                rcvid: int | Callable[[], int]) -> str:
    """Process a uvfile card; returns an error message or ''.

    ``rcvid`` may be a function that starts the receive session: it is
    called only when the file is actually stored, so a card that is
    refused or changes nothing writes no ``rcvfrom`` row.
    """
    if len(toks) != 6:
        return "malformed uvfile line"
    try:
        name = toks[1].decode()
    except UnicodeDecodeError:
        return "malformed uvfile line"
    mtime, sz, flags = as_int(toks[2]), as_int(toks[4]), as_int(toks[5])
    rhash = toks[3]
    if (
        not is_simple_filename(name)
        or mtime is None
        or sz is None
        or flags is None
        or (rhash != b"-" and not is_hname(rhash))
    ):
        return "malformed uvfile line"
    digest = rhash.decode()
    data: bytes | None = None
    if sz > 0 and (flags & 5) == 0:
        data = rd.extract(sz)
        if not hname.verify(data, digest):
            return "in uvfile line, HASH does not match CONTENT"
    if not is_writer:
        return ""
    repo.execute(SCHEMA)
    st = status(repo, name, mtime, digest)
    if st >= 3:
        return ""
    if callable(rcvid):
        rcvid = rcvid()
    if digest == "-":
        repo.execute(
            "UPDATE unversioned SET rcvid=?, mtime=?, hash=NULL, sz=0, encoding=0,"
            " content=NULL WHERE name=?",
            (rcvid, mtime, name),
        )
    elif st == 2:
        repo.execute("UPDATE unversioned SET mtime=? WHERE name=?", (mtime, name))
    else:
        enc, stored = 0, data
        if data is not None:
            packed = blobfmt.compress(data)
            if len(packed) < 0.8 * len(data):
                enc, stored = 1, packed
        repo.execute(
            "REPLACE INTO unversioned(name,rcvid,mtime,hash,sz,encoding,content)"
            " VALUES(?,?,?,?,?,?,?)",
            (name, rcvid, mtime, digest, len(data or b""), enc, stored),
        )
    repo.execute("DELETE FROM config WHERE name='uv-hash'")
    return ""
