"""Compare two repositories table by table, independent of local ids.

``derived_table_diff(a, b)`` compares every table that ``fossil rebuild``
recreates from artifacts (``www/tech_overview.wiki``, the derived tables).  Local integer ids differ between two
repositories holding the same artifacts, so before comparing, each row is
normalized:

* a blob rid becomes ``@<uuid>`` (``@rid:N?`` if the rid has no blob row,
  ``0`` and NULL stay as they are, negative values are kept);
* a filename id becomes ``name:<path>``;
* a tag id becomes ``tag:<tagname>``;
* ``event.uid`` becomes ``user:<login>``;
* ``ticket.tkt_id``/``attachment.attachid`` are dropped, ``ticketchng.tkt_id``
  becomes the ticket's uuid;
* ``backlink.srcid`` is a tag id for srctype 2 (wiki), a rid otherwise.

Rows are compared as multisets.  REAL values are compared exactly; when
printed, Julian-day columns also show their calendar time.  A cluster
artifact has no D card, so its ``tagxref`` row gets the time it was
crosslinked: with ``mask_crosslink_time=True`` (the default) that mtime is
shown as ``<crosslink-time>`` and not compared.

``essential_table_diff(a, b)`` compares artifact content independently of
storage (deltas, compression): the same ``(uuid, size)`` set, the same
expanded content for every uuid, and the same private set.

Both return a list of human-readable lines (empty means equal);
``format_diff(lines)`` joins them for an assertion message.  The module
deliberately does not use fossilpy: it is the oracle fossilpy is tested
against.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "DERIVED_TABLES",
    "derived_table_diff",
    "essential_table_diff",
    "format_diff",
    "expand_all",
]

DERIVED_TABLES = (
    "filename", "mlink", "plink", "leaf", "event", "phantom", "orphan",
    "unclustered", "unsent", "tag", "tagxref", "backlink", "attachment",
    "ticket", "ticketchng", "cherrypick", "forumpost",
)

_RID, _FNID, _TAGID, _UID, _DROP, _TKT = "rid", "fnid", "tagid", "uid", "drop", "tkt"

# Column kinds per table; columns not listed are compared as stored.
_COLUMNS: dict[str, dict[str, str]] = {
    "filename": {"fnid": _DROP},
    "mlink": {"mid": _RID, "fid": _RID, "pmid": _RID, "pid": _RID,
              "fnid": _FNID, "pfnid": _FNID},
    "plink": {"pid": _RID, "cid": _RID, "baseid": _RID},
    "leaf": {"rid": _RID},
    "event": {"objid": _RID, "tagid": _TAGID, "uid": _UID},
    "phantom": {"rid": _RID},
    "orphan": {"rid": _RID, "baseline": _RID},
    "unclustered": {"rid": _RID},
    "unsent": {"rid": _RID},
    "tag": {"tagid": _DROP},
    "tagxref": {"tagid": _TAGID, "srcid": _RID, "origid": _RID, "rid": _RID},
    "backlink": {},  # srcid handled specially
    "attachment": {"attachid": _DROP},
    "ticket": {"tkt_id": _DROP},
    "ticketchng": {"tkt_id": _TKT, "tkt_rid": _RID},
    "cherrypick": {"parentid": _RID, "childid": _RID},
    "forumpost": {"fpid": _RID, "froot": _RID, "fprev": _RID, "firt": _RID},
}


def _connect(path: Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    con = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    con.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    return con


class _Names:
    """Maps one repository's local ids to portable names."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.tables = {r[0].lower() for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type='table'")}
        self.uuid = self._map("SELECT rid, uuid FROM blob", "blob")
        self.fname = self._map("SELECT fnid, name FROM filename", "filename")
        self.tag = self._map("SELECT tagid, tagname FROM tag", "tag")
        self.login = self._map("SELECT uid, login FROM user", "user")
        self.tkt = self._map("SELECT tkt_id, tkt_uuid FROM ticket", "ticket")

    def _map(self, sql: str, table: str) -> dict[int, str]:
        if table not in self.tables:
            return {}
        return dict(self.con.execute(sql).fetchall())

    def convert(self, kind: str, value: object) -> object:
        if not isinstance(value, int) or value <= 0:
            return value
        if kind == _RID:
            return _Ref("@", self.uuid.get(value), value)
        if kind == _FNID:
            return _Ref("name:", self.fname.get(value), value)
        if kind == _TAGID:
            return _Ref("tag:", self.tag.get(value), value)
        if kind == _UID:
            return _Ref("user:", self.login.get(value), value)
        if kind == _TKT:
            return _Ref("tkt:", self.tkt.get(value), value)
        return value


class _Ref(str):
    """A portable name for a local id, e.g. ``@<uuid>``; unknown ids stay distinct."""

    def __new__(cls, prefix: str, name: str | None, local: int) -> _Ref:
        text = f"{prefix}{name}" if name is not None else f"{prefix}?{local}"
        return super().__new__(cls, text)

    def __repr__(self) -> str:
        return str(self)


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]


_MASKED = "<crosslink-time>"


def _rows(names: _Names, table: str, columns: list[str], mask: bool) -> Counter:
    kinds = _COLUMNS.get(table, {})
    keep = [c for c in columns if kinds.get(c) != _DROP]
    sql = "SELECT " + ", ".join(f'"{c}"' for c in keep) + f' FROM "{table}"'
    out: Counter = Counter()
    for row in names.con.execute(sql):
        values = []
        for col, value in zip(keep, row, strict=True):
            if table == "backlink" and col == "srcid":
                srctype = row[keep.index("srctype")] if "srctype" in keep else None
                kind = _TAGID if srctype == 2 else _RID
            else:
                kind = kinds.get(col, "")
            values.append(names.convert(kind, value))
        if mask and table == "tagxref" and "mtime" in keep \
                and "tagid" in keep and values[keep.index("tagid")] == "tag:cluster":
            values[keep.index("mtime")] = _MASKED
        out[tuple(values)] += 1
    return out


def _julian_text(value: float) -> str:
    try:
        when = datetime.datetime(2000, 1, 1, 12) + datetime.timedelta(days=value - 2451545.0)
    except (OverflowError, ValueError):
        return ""
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def _show(columns: list[str], row: tuple) -> str:
    parts = []
    for col, value in zip(columns, row, strict=True):
        if isinstance(value, float):
            text = repr(value)
            if "time" in col.lower() and 2000000 < value < 3000000:
                text += f"={_julian_text(value)}"
        elif isinstance(value, _Ref):
            text = str(value)
        elif isinstance(value, bytes):
            text = f"x'{value.hex()[:64]}'" + ("..." if len(value) > 32 else "")
        else:
            text = repr(value)
            if len(text) > 200:
                text = text[:200] + "..."
        parts.append(f"{col}={text}")
    return "(" + ", ".join(parts) + ")"


def _diff_counters(table: str, columns: list[str], a: Counter, b: Counter,
                   limit: int) -> list[str]:
    lines: list[str] = []
    for label, mine, other in (("A", a, b), ("B", b, a)):
        extra = mine - other
        for row in sorted(extra, key=repr):
            if len(lines) >= limit:
                lines.append(f"{table}: ... more differences omitted")
                return lines
            times = f" x{extra[row]}" if extra[row] > 1 else ""
            lines.append(f"{table}: only in {label}{times}: {_show(columns, row)}")
    return lines


def _table_diff(na: _Names, nb: _Names, table: str, limit: int, mask: bool) -> list[str]:
    in_a, in_b = table in na.tables, table in nb.tables
    if not in_a and not in_b:
        return []
    if in_a != in_b:
        return [f"{table}: table only in {'A' if in_a else 'B'}"]
    cols_a, cols_b = _columns(na.con, table), _columns(nb.con, table)
    lines: list[str] = []
    if cols_a != cols_b:
        lines.append(f"{table}: columns differ: A={cols_a} B={cols_b}")
    common = [c for c in cols_a if c in cols_b]
    shown = [c for c in common if _COLUMNS.get(table, {}).get(c) != _DROP]
    lines += _diff_counters(table, shown, _rows(na, table, common, mask),
                            _rows(nb, table, common, mask), limit)
    return lines


def derived_table_diff(repo_a: Path, repo_b: Path, *,
                       tables: Iterable[str] = DERIVED_TABLES,
                       limit_per_table: int = 50,
                       mask_crosslink_time: bool = True) -> list[str]:
    """Differences between the derived tables of two repositories (empty if equal)."""
    con_a, con_b = _connect(repo_a), _connect(repo_b)
    try:
        na, nb = _Names(con_a), _Names(con_b)
        lines: list[str] = []
        for table in tables:
            lines += _table_diff(na, nb, table, limit_per_table, mask_crosslink_time)
        return lines
    finally:
        con_a.close()
        con_b.close()


# --------------------------------------------------------------------------
# Essential content, independent of storage.
#
# blob.content = 4-byte big-endian expanded length + zlib stream (fossilpy.artifact.blob).
# A delta (fossilpy.artifact.delta): INT "\n" then segments INT "@" INT "," (copy COUNT
# bytes from source OFFSET) or INT ":" BYTES (insert COUNT literal bytes),
# ending INT ";".  INT is base 64 over "0-9A-Z_a-z~", most significant first.

_DIGITS = {c: i for i, c in enumerate(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~")}


def _int(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    start = pos
    while pos < len(data) and data[pos] in _DIGITS:
        value = value * 64 + _DIGITS[data[pos]]
        pos += 1
    if pos == start:
        raise ValueError(f"delta: number expected at {pos}")
    return value, pos


def _apply_delta(source: bytes, delta: bytes) -> bytes:
    size, pos = _int(delta, 0)
    if delta[pos:pos + 1] != b"\n":
        raise ValueError("delta: bad size line")
    pos += 1
    out = bytearray()
    while pos < len(delta):
        count, pos = _int(delta, pos)
        op = delta[pos:pos + 1]
        pos += 1
        if op == b"@":
            offset, pos = _int(delta, pos)
            if delta[pos:pos + 1] != b",":
                raise ValueError("delta: copy not terminated by ','")
            pos += 1
            if offset + count > len(source):
                raise ValueError("delta: copy beyond source")
            out += source[offset:offset + count]
        elif op == b":":
            out += delta[pos:pos + count]
            pos += count
        elif op == b";":
            if len(out) != size:
                raise ValueError("delta: size mismatch")
            return bytes(out)
        else:
            raise ValueError(f"delta: bad operator {op!r}")
        if len(out) > size:
            raise ValueError("delta: output too long")
    raise ValueError("delta: unterminated")


def _unframe(content: bytes) -> bytes:
    return zlib.decompress(content[4:])


def expand_all(repo: Path) -> dict[str, bytes | None]:
    """uuid -> expanded content (None for phantoms or undecodable blobs)."""
    con = _connect(repo)
    try:
        rows = {rid: (uuid, content) for rid, uuid, content in con.execute(
            "SELECT rid, uuid, content FROM blob")}
        deltas = dict(con.execute("SELECT rid, srcid FROM delta"))
    finally:
        con.close()
    cache: dict[int, bytes | None] = {}

    def expand(rid: int) -> bytes | None:
        chain = []
        while rid not in cache:
            chain.append(rid)
            if rid not in deltas or len(chain) > len(rows):
                break
            rid = deltas[rid]
        for cur in reversed(chain):
            content = rows.get(cur, (None, None))[1]
            try:
                if content is None:
                    cache[cur] = None
                elif cur in deltas:
                    base = cache.get(deltas[cur])
                    cache[cur] = None if base is None else _apply_delta(base, _unframe(content))
                else:
                    cache[cur] = _unframe(content)
            except (ValueError, zlib.error):
                cache[cur] = None
        return cache[chain[0]] if chain else cache[rid]

    return {uuid: expand(rid) for rid, (uuid, _) in rows.items()}


def _content_hash(data: bytes | None) -> str:
    return "<missing>" if data is None else hashlib.sha3_256(data).hexdigest()


def _name_matches(uuid: str, data: bytes) -> bool:
    if len(uuid) == 40:
        return hashlib.sha1(data).hexdigest() == uuid
    return hashlib.sha3_256(data).hexdigest() == uuid


def essential_table_diff(repo_a: Path, repo_b: Path) -> list[str]:
    """Storage-independent differences in artifacts: (uuid, size), content, private set."""
    lines: list[str] = []
    sets = []
    privs = []
    for repo in (repo_a, repo_b):
        con = _connect(repo)
        try:
            sets.append(set(con.execute("SELECT uuid, size FROM blob")))
            privs.append({r[0] for r in con.execute(
                "SELECT uuid FROM private JOIN blob USING(rid)")})
        finally:
            con.close()
    for label, mine, other in (("A", sets[0], sets[1]), ("B", sets[1], sets[0])):
        for uuid, size in sorted(mine - other):
            lines.append(f"blob: only in {label}: (uuid={uuid}, size={size})")
    for label, mine, other in (("A", privs[0], privs[1]), ("B", privs[1], privs[0])):
        for uuid in sorted(mine - other):
            lines.append(f"private: only in {label}: {uuid}")
    content_a, content_b = expand_all(repo_a), expand_all(repo_b)
    for uuid in sorted(content_a.keys() & content_b.keys()):
        da, db = content_a[uuid], content_b[uuid]
        if _content_hash(da) != _content_hash(db):
            lines.append(f"content: differs for {uuid}: A={_content_hash(da)[:16]} "
                         f"B={_content_hash(db)[:16]}")
    for label, content, sizes in (("A", content_a, sets[0]), ("B", content_b, sets[1])):
        size_of = dict(sizes)
        for uuid, data in sorted(content.items()):
            if data is None:
                if size_of.get(uuid, -1) >= 0:
                    lines.append(f"content: {label} cannot expand {uuid}")
            elif not _name_matches(uuid, data):
                lines.append(f"content: {label} has content not matching its name {uuid}")
            elif len(data) != size_of.get(uuid):
                lines.append(f"content: {label} size {size_of.get(uuid)} != "
                             f"expanded {len(data)} for {uuid}")
    return lines


def format_diff(lines: list[str], limit: int = 200) -> str:
    """Lines joined for an assertion message ("no differences" if empty)."""
    if not lines:
        return "no differences"
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"... and {len(lines) - limit} more")
    return f"{len(lines)} difference(s):\n" + "\n".join(shown)


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """``python -m tests.compare A.fossil B.fossil``: print differences, exit 1 if any."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        out("usage: python -m tests.compare REPO_A REPO_B")
        return 2
    lines = derived_table_diff(Path(args[0]), Path(args[1]))
    lines += essential_table_diff(Path(args[0]), Path(args[1]))
    out(format_diff(lines))
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
