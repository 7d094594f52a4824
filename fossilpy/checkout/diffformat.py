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
