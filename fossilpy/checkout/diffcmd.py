"""``fossil diff`` in a checkout (``src/diffcmd.c``): the unified diff of the
tree against its baseline (or ``--from`` a check-in), of two check-ins
(``--from``/``--to``, ``--checkin``), or of the undo buffer (``--undo``).

Output, byte for byte as Fossil 2.21 writes it with its internal diff::

    ADDED    NAME             a file added (rid 0); with -v its diff from empty
    DELETED  NAME             a file rm'ed; with -v its diff to empty
    MISSING  NAME             a managed file gone from disk
    Index: NAME               per changed file, then 66 "="
    --- NAME                  (``/dev/null`` on the right for a file missing
    +++ NAME                  from disk)
    @@ -a,b +c,d @@ ...       the hunks of :func:`fossilpy.artifact.textdiff.unified`
    (empty line)

Between two check-ins the status words are ``DELETED NAME``/``ADDED   NAME``
(one space fewer, as in ``diff_two_versions``).  ``--brief`` prints only
``CHANGED  NAME`` (tree) / ``CHANGED NAME`` (check-ins); ``--numstat`` prints
``%10d %10d NAME`` (inserted, deleted) per file and a TOTAL line.

The other forms change what a file's part looks like: ``--json``/``--tcl``
(:mod:`fossilpy.checkout.diffformat`: no Index lines; ``--tcl`` and the HTML
forms no status words either), ``--html`` (the tables of the web pages, with
the Index lines), ``--webpage``/``--browser`` (``<h1>NAME</h1>`` and a table
per file, :mod:`fossilpy.checkout.diffpage`; the HTML forms count added and
deleted files as ``-v`` does); with a diff program
(:mod:`fossilpy.checkout.diffext`) Fossil prints the Index lines and the
program the rest.

Everything is written through ``out`` (bytes), in order.  Nothing in the
checkout changes but ``vfile.chnged``/``mtime`` (``vfile_check_signature``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fossilpy.artifact import textdiff
from fossilpy.checkout import vfile
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout
    from fossilpy.checkout.diffext import External
    from fossilpy.repo.db import Repo

Write = Callable[[bytes], None]

# flags of Fossil's diff.c that only the commands use (textdiff has the others)
DIFF_VERBOSE = 0x00000008
DIFF_BRIEF = 0x00000010
DIFF_NUMSTAT = 0x00000080
DIFF_WEBPAGE = 0x00004000
DIFF_BROWSER = 0x00008000
DIFF_JSON = 0x00010000
DIFF_DEBUG = 0x00020000
DIFF_RAW = 0x00040000
DIFF_TCL = 0x00080000
DIFF_INCBINARY = 0x00100000
DIFF_SHOW_VERS = 0x00200000

#: the forms that leave out the -h/--versions header
_NO_VERSIONS = (
    textdiff.DIFF_SIDEBYSIDE
    | DIFF_BRIEF
    | DIFF_NUMSTAT
    | textdiff.DIFF_HTML
    | DIFF_WEBPAGE
    | DIFF_BROWSER
    | DIFF_JSON
    | DIFF_TCL
)

NULL_DEVICE = "/dev/null"
CANNOT_COMPUTE_SYMLINK = b"cannot compute difference between symlink and regular file\n"


@dataclass
class DiffOptions:
    """``DiffConfig`` of the diff commands, plus ``g.diffCnt`` for --numstat."""

    flags: int = 0
    context: int = 0
    width: int = 0
    #: files, inserted lines, deleted lines (``g.diffCnt``)
    counts: list[int] = field(default_factory=lambda: [0, 0, 0])
    #: the diff program (``zDiffCmd``), None for the internal diff
    external: External | None = None
    #: exec-rel-paths: files on disk named relative to the current folder
    rel_paths: bool = False
    #: files shown so far with --json (``nFile``)
    n_file: int = 0
    _cfg: textdiff.DiffConfig | None = None

    def config(self) -> textdiff.DiffConfig:
        """The line diff's configuration, one for the whole command (HTML chunk ids count on)."""
        flags = self.flags & 0xFFFF & ~(DIFF_VERBOSE | DIFF_BRIEF | DIFF_NUMSTAT)
        if self._cfg is None:
            self._cfg = textdiff.DiffConfig(flags=flags, context=self.context, width=self.width)
        else:  # the flags may change between files (stash diff inverts some)
            self._cfg.flags, self._cfg.context, self._cfg.width = flags, self.context, self.width
        return self._cfg


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


class FileDirList:
    """``FileDirList``: the files and folders named on the command line, with use counts."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.used = [0] * len(names)

    def match(self, name: str) -> bool:
        """``file_dir_match``: ``name`` is listed or inside a listed folder."""
        if not self.names or self.names[0] == ".":
            return True
        for i, n in enumerate(self.names):
            if name == n or name.startswith(n + "/"):
                self.used[i] += 1
                return True
        return False


def text_diff(old: bytes, new: bytes, opts: DiffOptions) -> bytes:
    """``text_diff`` with output, including the ``--numstat`` form and its counts."""
    f = opts.flags
    if not f & (DIFF_NUMSTAT | DIFF_RAW | DIFF_JSON | DIFF_TCL) and (
        not f & DIFF_DEBUG or f & textdiff.DIFF_SIDEBYSIDE
    ):
        return textdiff.text_diff(old, new, opts.config())
    if not f & DIFF_NUMSTAT:
        from fossilpy.checkout import diffformat

        cfg = opts.config()
        try:
            d = textdiff.compute(old, new, cfg.flags, cfg.tick)
        except ValueError as exc:
            return str(exc).encode()
        if f & DIFF_RAW:
            return diffformat.raw_diff(d)
        if f & DIFF_JSON:
            return diffformat.json_diff(d, cfg)
        return diffformat.tcl_diff(d, cfg) if f & DIFF_TCL else diffformat.debug_diff(d, cfg)
    try:
        d = textdiff.compute(old, new, opts.flags & 0xFFFF & ~(DIFF_VERBOSE | DIFF_BRIEF | DIFF_NUMSTAT))
    except ValueError as exc:
        return str(exc).encode()
    r = d.edits
    n_del = n_ins = 0
    i = 0
    while i + 2 < len(r) and (r[i] or r[i + 1] or r[i + 2]):
        n_del += r[i + 1]
        n_ins += r[i + 2]
        i += 3
    opts.counts[1] += n_ins
    opts.counts[2] += n_del
    if n_ins + n_del:
        opts.counts[0] += 1
        return b"%10d %10d" % (n_ins, n_del)
    return b""


def print_index(name: str, opts: DiffOptions, out: Write) -> None:
    """``diff_print_index``."""
    if not opts.flags & (textdiff.DIFF_SIDEBYSIDE | DIFF_BRIEF | DIFF_NUMSTAT | DIFF_JSON | DIFF_WEBPAGE | DIFF_TCL):
        out(b"Index: " + _b(name) + b"\n" + b"=" * 66 + b"\n")


def print_filenames(left: str, right: str, opts: DiffOptions, out: Write) -> None:
    """``diff_print_filenames`` (unified text form)."""
    if opts.flags & (DIFF_BRIEF | DIFF_RAW):
        return
    if opts.flags & DIFF_DEBUG:
        out(b"FILE-LEFT   " + _b(left) + b"\nFILE-RIGHT  " + _b(right) + b"\n")
        return
    if opts.flags & DIFF_WEBPAGE:
        from fossilpy.text import html_escape

        both = html_escape(left) if left == right else html_escape(left) + " &lrarr; " + html_escape(right)
        out(b"<h1>" + _b(both) + b"</h1>\n")
        return
    if opts.flags & (DIFF_TCL | DIFF_JSON):
        from fossilpy.checkout import diffformat

        if opts.flags & DIFF_TCL:
            out(diffformat.tcl_filenames(left, right))
        else:
            out(diffformat.json_filenames(left, right, opts.n_file == 0))
            opts.n_file += 1
        return
    if opts.flags & textdiff.DIFF_SIDEBYSIDE:
        out(_sbs_names(_b(left), _b(right), opts.config().column_width()))
        return
    out(b"--- " + _b(left) + b"\n+++ " + _b(right) + b"\n")


def _sbs_names(left: bytes, right: bytes, w: int) -> bytes:
    """The "=== NAME ===" line of a side-by-side diff (``diff_print_filenames``)."""
    n1, n2 = len(left), len(right)
    if left == right:
        n1 = min(n1, w * 2)
        x = w * 2 + 17 - (n1 + 2)
        return b"=" * max(0, x // 2) + b" " + left[:n1] + b" " + b"=" * max(0, (x + 1) // 2) + b"\n"
    w = max(w, 20)
    n1, n2 = min(n1, w - 10), min(n2, w - 10)
    return (
        b"=" * max(0, (w - n1 + 10) // 2)
        + b" "
        + left[:n1]
        + b" "
        + b"=" * max(0, (w - n1 + 1) // 2)
        + b" versus "
        + b"=" * max(0, (w - n2) // 2)
        + b" "
        + right[:n2]
        + b" "
        + b"=" * max(0, (w - n2 + 1) // 2)
        + b"\n"
    )


def _read_ext(path: str, links: bool) -> bytes | None:
    """``blob_read_from_file(..., ExtFILE)`` after an ExtFILE size check: None when the
    file (a symlink followed) does not exist; a symlink's target name when ``links``."""
    if not os.path.exists(vfile.fs(path)):
        return None
    try:
        return vfile.read(path, links)
    except OSError:
        return b""


def diff_file(old: bytes, path: str, name: str, opts: DiffOptions, out: Write, links: bool = False) -> None:
    """``diff_file``: stored ``old`` against the file ``path`` on disk (missing: empty, "/dev/null");
    ``links``: the ``allow-symlinks`` setting (a symlink is then its target's name)."""
    if opts.external is not None:
        opts.external.diff_file(old, path, name, bool(opts.flags & textdiff.DIFF_INVERT))
        return
    got = _read_ext(path, links)
    new, name2 = (b"", NULL_DEVICE) if got is None else (got, name)
    if opts.flags & DIFF_BRIEF:
        if old != new:
            out(b"CHANGED  " + _b(name) + b"\n")
        return
    text = text_diff(old, new, opts)
    if text:
        if opts.flags & DIFF_NUMSTAT:
            out(text + b" " + _b(name) + b"\n")
        else:
            print_filenames(name, name2, opts, out)
            out(text + b"\n")


def diff_file_mem(old: bytes, new: bytes, name: str, opts: DiffOptions, out: Write) -> None:
    """``diff_file_mem``: two texts in memory."""
    if opts.flags & DIFF_BRIEF:
        return
    if opts.external is not None:
        opts.external.diff_mem(old, new, name)
        return
    text = text_diff(old, new, opts)
    if opts.flags & DIFF_NUMSTAT:
        out(text + b" " + _b(name) + b"\n")
    else:
        print_filenames(name, name, opts, out)
        out(text + b"\n")


def _version_files(repo: Repo, rid: int) -> dict[str, tuple[int, bool]]:
    """name -> (rid, is a symlink) of the files of check-in ``rid``."""
    from fossilpy.artifact import manifest
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    m = manifest.parse_or_none(content.get(repo, rid) or b"")
    if m is None:
        return {}
    out: dict[str, tuple[int, bool]] = {}
    for name, uuid, perm in checkin_files(repo, m):
        frid = repo.one("SELECT rid FROM blob WHERE uuid=? AND size>=0", (uuid,))
        if frid is not None:
            out[name] = (int(frid), "l" in perm)
    return out


def checkin_rid(repo: Repo, name: str) -> int:
    """``name_to_typed_rid(name, "ci")`` that is a check-in (``is_a_version``)."""
    from fossilpy.repo import names

    rid = names.resolve(repo, name, "ci")
    if repo.one("SELECT 1 FROM event WHERE objid=? AND type='ci'", (rid,)) is None:
        raise UserError(f"no such check-in: {name}")
    return rid


def against_disk(ck: Checkout, frm: str | None, opts: DiffOptions, files: FileDirList, out: Write) -> None:
    """``diff_against_disk``: the tree against its baseline or check-in ``frm``."""
    from fossilpy.repo import content

    repo = ck.repo
    as_new = bool(opts.flags & (DIFF_VERBOSE | DIFF_NUMSTAT | textdiff.DIFF_HTML))
    is_numstat = bool(opts.flags & (DIFF_NUMSTAT | DIFF_TCL | textdiff.DIFF_HTML))
    vid = ck.vid
    vfile.check_signature(ck, vid)
    # (pathname, deleted, chnged, is new, source rid, is link)
    rows: list[tuple[str, int, int, int, int, int]] = []
    # against the baseline only changed rows count: the query leaves the others out
    cur = ck.all(
        "SELECT pathname, deleted, chnged, rid, islink, mrid FROM localdb.vfile WHERE vid=?"
        " AND (? OR deleted OR chnged OR coalesce(rid,0)=0)",
        (vid, 0 if frm is None else 1),
    )
    if frm is not None:
        frid = checkin_rid(repo, frm)
        # the rows load_vfile_from_rid gives check-in frid: those of the tree itself when it is the baseline
        base = (
            {r[0]: (int(r[3] or 0), int(r[5] or 0), bool(r[4])) for r in cur}
            if frid == vid
            else {n: (r, r, lk) for n, (r, lk) in _version_files(repo, frid).items()}
        )
        seen = set()
        for name, deleted, chnged, rid, islink, _mrid in cur:
            seen.add(name)
            if name in base:
                brid, bmrid, blink = base[name]
                if deleted or chnged or bmrid != rid:
                    rows.append((name, int(deleted or 0), int(chnged or 0), int(not rid), brid, int(blink)))
            else:
                rows.append((name, 0, 0, 1, 0, int(islink or 0)))
        for name, (_brid, _bmrid, blink) in base.items():
            if name not in seen:
                rows.append((name, 1, 0, 0, 0, int(blink)))
    else:
        for name, deleted, chnged, rid, islink, _mrid in cur:
            if deleted or chnged or not rid:
                rows.append((name, int(deleted or 0), int(chnged or 0), int(not rid), int(rid or 0), int(islink or 0)))
    rows.sort(key=lambda r: _b(r[0]))
    if opts.flags & DIFF_SHOW_VERS and not opts.flags & _NO_VERSIONS:
        print_versions(repo, frm if frm is not None else (ck.vget("checkout-hash") or ""), "(workdir)", out)
    links = vfile.allow_symlinks(ck)
    for name, deleted, chnged, is_new, srcid, is_link in rows:
        if not files.match(name):
            continue
        path = name if opts.rel_paths else ck.full(name)
        show = True
        if deleted:
            if not is_numstat:
                out(b"DELETED  " + _b(name) + b"\n")
            if not as_new:
                show = False
                path = NULL_DEVICE
        elif not os.path.exists(vfile.fs(path)):
            if not is_numstat:
                out(b"MISSING  " + _b(name) + b"\n")
            if not as_new:
                show = False
        elif is_new or chnged in (3, 5):
            if not is_numstat:
                word = b"ADDED    " if is_new else b"ADDED_BY_MERGE " if chnged == 3 else b"ADDED_BY_INTEGRATE "
                out(word + _b(name) + b"\n")
            srcid = 0
            if not as_new:
                show = False
        if not show:
            continue
        on_disk_link = vfile.file_info(path, links)[2] == vfile.PERM_LNK
        if bool(is_link) != on_disk_link:
            print_index(name, opts, out)
            print_filenames(name, name, opts, out)
            out(CANNOT_COMPUTE_SYMLINK)
            continue
        old = (content.get(repo, srcid) or b"") if srcid > 0 else b""
        if chnged == 0 or not _same_as(old, path, links):
            print_index(name, opts, out)
            diff_file(old, path, name, opts, out, links)


def _same_as(data: bytes, path: str, links: bool) -> bool:
    """``file_same_as_blob``: the size of the file a symlink points to, then the content."""
    try:
        if os.path.getsize(vfile.fs(path)) != len(data):
            return False
    except OSError:
        return False
    return _read_ext(path, links) == data


def against_undo(ck: Checkout, opts: DiffOptions, files: FileDirList, out: Write) -> None:
    """``diff_against_undo``: the files saved for undo against the tree."""
    if opts.flags & DIFF_SHOW_VERS and not opts.flags & _NO_VERSIONS:
        print_versions(ck.repo, "(undo)", "(workdir)", out)
    for name, data in ck.all("SELECT pathname, content FROM localdb.undo"):
        if not files.match(name):
            continue
        diff_file(bytes(data or b""), ck.full(name), name, opts, out, vfile.allow_symlinks(ck))


def two_versions(repo: Repo, frm: str, to: str, opts: DiffOptions, files: FileDirList, out: Write) -> None:
    """``diff_two_versions``: check-in ``frm`` against check-in ``to``."""
    from fossilpy.artifact import manifest
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    def listing(name: str) -> list[tuple[str, str, str]]:
        rid = checkin_rid(repo, name)
        m = manifest.parse_or_none(content.get(repo, rid) or b"")
        if m is None:
            raise UserError(f"cannot parse manifest for check-in: {name}")
        return checkin_files(repo, m)

    a, b = listing(frm), listing(to)
    as_new = bool(opts.flags & (DIFF_VERBOSE | DIFF_NUMSTAT))
    if opts.flags & DIFF_SHOW_VERS and not opts.flags & _NO_VERSIONS:
        print_versions(repo, frm, to, out)

    def entry(f: tuple[str, str, str] | None, t: tuple[str, str, str] | None) -> None:
        name = f[0] if f else t[0] if t else "(unknown)"
        if opts.flags & DIFF_BRIEF:
            return
        print_index(name, opts, out)
        old = content.get_by_uuid(repo, f[1]) or b"" if f else b""
        new = content.get_by_uuid(repo, t[1]) or b"" if t else b""
        diff_file_mem(old, new, name, opts, out)

    i = j = 0
    while i < len(a) or j < len(b):
        if i >= len(a):
            cmp = 1
        elif j >= len(b):
            cmp = -1
        else:
            x, y = _b(a[i][0]), _b(b[j][0])
            cmp = (x > y) - (x < y)
        if cmp < 0:
            if files.match(a[i][0]):
                if not opts.flags & (DIFF_NUMSTAT | textdiff.DIFF_HTML):
                    out(b"DELETED " + _b(a[i][0]) + b"\n")
                if as_new:
                    entry(a[i], None)
            i += 1
        elif cmp > 0:
            if files.match(b[j][0]):
                if not opts.flags & (DIFF_NUMSTAT | textdiff.DIFF_HTML | DIFF_TCL | DIFF_JSON):
                    out(b"ADDED   " + _b(b[j][0]) + b"\n")
                if as_new:
                    entry(None, b[j])
            j += 1
        elif a[i][1] == b[j][1]:
            files.match(a[i][0])
            i += 1
            j += 1
        else:
            if files.match(b[j][0]):
                if opts.flags & DIFF_BRIEF:
                    out(b"CHANGED " + _b(a[i][0]) + b"\n")
                else:
                    entry(a[i], b[j])
            i += 1
            j += 1


def print_versions(repo: Repo, frm: str, to: str, out: Write) -> None:
    """``diff_print_versions`` (``-h/--versions``)."""

    def label(name: str) -> str:
        if name.startswith("("):
            return name
        from fossilpy.repo import names

        rid = names.lookup(repo, name, "ci")
        uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)) or ""
        # Fossil prints the time through "datetime(%f)": the Julian day cut to 6 decimals
        # (86 ms) first, which can move the second shown
        when = repo.one("SELECT datetime(printf('%.6f', mtime))||' UTC' FROM event WHERE objid=?", (rid,)) or ""
        return f"{str(uuid)[:10]} {when}"

    out(b"Fossil-Diff-From:  " + _b(label(frm)) + b"\n")
    out(b"Fossil-Diff-To:    " + _b(label(to)) + b"\n")
    out(b"-" * 66 + b"\n")
