"""The machine-readable forms of ``fossil diff``: ``--json`` and ``--tcl``
(``DiffBuilderJson``/``DiffBuilderTcl`` of ``src/diff.c``).

``--json``: one object per file, in one array closed by ``diff_end``::

    [{                              "[{" for the first file, ",\\n{" after
      "leftname":"NAME",
      "rightname":"NAME",
      "diff":
    [OP,ARG,                        one line per DiffBuilder call, then
    0]}                             "0]}", an empty line

with the opcodes 1 SKIP n, 2 COMMON "line", 3 INSERT "line", 4 DELETE
"line", 5 EDIT ["common","left","right",...,"suffix"].  Strings are JSON
literals (``blob_append_json_literal``: control bytes as \\u00XX, \\b \\t
\\r \\n \\f, quote and backslash escaped; other bytes as they are).

``--tcl`` (what ``--tk`` reads): ``FILE "left" "right"`` then one line per
call: ``SKIP n``, ``COM "line"``, ``INS "line"``, ``DEL "line"``,
``EDIT "common" "left" "right" ... "suffix"``; strings are Tcl literals
(``blob_append_tcl_literal``: ``[ ] $ " \\`` escaped, CR as ``\\r``).
"""

from __future__ import annotations

from fossilpy.artifact import diffbuild, linechange
from fossilpy.artifact.textdiff import Diff, DiffConfig

_JSON_ESC = {8: b"\\b", 9: b"\\t", 10: b"\\n", 12: b"\\f", 13: b"\\r", 34: b'\\"', 92: b"\\\\"}


def json_literal(z: bytes) -> bytes:
    """``blob_append_json_literal``."""
    out = bytearray(b'"')
    for c in z:
        e = _JSON_ESC.get(c)
        if e is not None:
            out += e
        elif c < 0x20:
            out += b"\\u%04x" % c
        else:
            out.append(c)
    out += b'"'
    return bytes(out)


def tcl_literal(z: bytes) -> bytes:
    """``blob_append_tcl_literal``."""
    out = bytearray(b'"')
    for c in z:
        if c == 13:
            out += b"\\r"
        elif c in b'[]$"\\':
            out += b"\\" + bytes([c])
        else:
            out.append(c)
    out += b'"'
    return bytes(out)


def _pieces(x: bytes, y: bytes, after: bytes) -> tuple[list[bytes], bytes]:
    """The (common, left, right) triples of an edited line, and the common suffix."""
    parts: list[bytes] = []
    pos = 0
    for s1, n1, s2, n2, *_ in linechange.one_line_change(x, y, after):
        parts += [x[pos:s1], x[s1 : s1 + n1], y[s2 : s2 + n2]]
        pos = s1 + n1
    return parts, x[pos:]


class _Json:
    def __init__(self) -> None:
        self.out = [b"["]

    def skip(self, n: int, final: bool) -> None:
        self.out.append(b"1,%d,\n" % n)

    def common(self, z: bytes) -> None:
        self.out.append(b"2," + json_literal(z) + b",\n")

    def insert(self, z: bytes) -> None:
        self.out.append(b"3," + json_literal(z) + b",\n")

    def delete(self, z: bytes) -> None:
        self.out.append(b"4," + json_literal(z) + b",\n")

    def replace(self, x: bytes, y: bytes) -> None:
        self.out.append(b'5,["",' + json_literal(x) + b"," + json_literal(y) + b',""],\n')

    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None:
        parts, tail = _pieces(x, y, after)
        self.out.append(b"5,[" + b",".join(json_literal(p) for p in [*parts, tail]) + b"],\n")

    def end(self) -> None:
        self.out.append(b"0]}")


class _Tcl:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def skip(self, n: int, final: bool) -> None:
        self.out.append(b"SKIP %d\n" % n)

    def common(self, z: bytes) -> None:
        self.out.append(b"COM " + tcl_literal(z) + b"\n")

    def insert(self, z: bytes) -> None:
        self.out.append(b"INS " + tcl_literal(z) + b"\n")

    def delete(self, z: bytes) -> None:
        self.out.append(b"DEL " + tcl_literal(z) + b"\n")

    def replace(self, x: bytes, y: bytes) -> None:
        self.out.append(b'EDIT "" ' + tcl_literal(x) + b" " + tcl_literal(y) + b"\n")

    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None:
        parts, tail = _pieces(x, y, after)
        if tail:
            parts.append(tail)
        self.out.append(b"EDIT" + b"".join(b" " + tcl_literal(p) for p in parts) + b"\n")

    def end(self) -> None:
        pass


class _Debug:
    """``DiffBuilderDebug`` (the undocumented ``--debug``): one line per call, with line
    numbers, and under an edited line the digits of the changed spans."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.left = self.right = 0

    def skip(self, n: int, final: bool) -> None:
        self.out.append(
            b"SKIP %d (%d..%d left and %d..%d right)%s\n"
            % (n, self.left + 1, self.left + n, self.right + 1, self.right + n, b" FINAL" if final else b"")
        )
        self.left += n
        self.right += n

    def common(self, z: bytes) -> None:
        self.left += 1
        self.right += 1
        self.out.append(b"COMMON  %8d %8d %s\n" % (self.left, self.right, z))

    def insert(self, z: bytes) -> None:
        self.right += 1
        self.out.append(b"INSERT           %8d %s\n" % (self.right, z))

    def delete(self, z: bytes) -> None:
        self.left += 1
        self.out.append(b"DELETE  %8d          %s\n" % (self.left, z))

    def replace(self, x: bytes, y: bytes) -> None:
        self.left += 1
        self.right += 1
        self.out.append(b"REPLACE %8d          %s\n            %8d %s\n" % (self.left, x, self.right, y))

    def edit(self, x: bytes, y: bytes, after: bytes = b"") -> None:
        self.left += 1
        self.right += 1
        spans = linechange.one_line_change(x, y, after)
        self.out.append(b"EDIT    %8d          %s\n" % (self.left, x))
        self.out.append(_marks(x, [(s[0], s[1]) for s in spans]))
        self.out.append(b"                 %8d %s\n" % (self.right, y))
        self.out.append(_marks(y, [(s[2], s[3]) for s in spans]))

    def end(self) -> None:
        self.out.append(b"END with %d lines left and %d lines right\n" % (self.left, self.right))


def _marks(z: bytes, spans: list[tuple[int, int]]) -> bytes:
    """The line of span digits under ``z`` (one per character, not per byte)."""
    buf = bytearray()
    x = 0
    for i, (ofst, n) in enumerate(spans):
        if not n:
            continue
        if x == 0:
            buf += b" " * 26
        while ofst > x:
            if x >= len(z) or z[x] & 0xC0 != 0x80:
                buf.append(32)
            x += 1
        for _ in range(n):
            if x >= len(z) or z[x] & 0xC0 != 0x80:
                buf.append(48 + i)
            x += 1
    if x:
        buf += b"\n"
    return bytes(buf)


def debug_diff(d: Diff, cfg: DiffConfig) -> bytes:
    """The ``--debug`` text of one file's diff."""
    b = _Debug()
    diffbuild.format_diff(d, cfg, b)
    return b"".join(b.out)


def raw_diff(d: Diff) -> bytes:
    """The ``--raw`` text of one file's diff: its copy/delete/insert triples."""
    r = d.edits
    out = []
    i = 0
    while i + 2 < len(r) and (r[i] or r[i + 1] or r[i + 2]):
        out.append(b" copy %6d  delete %6d  insert %6d\n" % (r[i], r[i + 1], r[i + 2]))
        i += 3
    return b"".join(out)


def json_diff(d: Diff, cfg: DiffConfig) -> bytes:
    """The ``--json`` text of one file's diff (``text_diff`` with ``DIFF_JSON``)."""
    b = _Json()
    diffbuild.format_diff(d, cfg, b)
    return b"".join(b.out) + b"\n"


def tcl_diff(d: Diff, cfg: DiffConfig) -> bytes:
    """The ``--tcl`` lines of one file's diff (``text_diff`` with ``DIFF_TCL``)."""
    b = _Tcl()
    diffbuild.format_diff(d, cfg, b)
    return b"".join(b.out)


def json_filenames(left: str, right: str, first: bool) -> bytes:
    """``diff_print_filenames`` for ``--json``: the start of a file's object."""
    return (
        (b"[{" if first else b",\n{")
        + b'\n  "leftname":'
        + json_literal(left.encode("utf-8", "surrogateescape"))
        + b',\n  "rightname":'
        + json_literal(right.encode("utf-8", "surrogateescape"))
        + b',\n  "diff":\n'
    )


def tcl_filenames(left: str, right: str) -> bytes:
    """``diff_print_filenames`` for ``--tcl``."""
    return (
        b"FILE "
        + tcl_literal(left.encode("utf-8", "surrogateescape"))
        + b" "
        + tcl_literal(right.encode("utf-8", "surrogateescape"))
        + b"\n"
    )
