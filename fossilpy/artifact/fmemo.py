"""Parsing check-in manifests with a per-batch memo of F lines.

A rebuild parses thousands of baseline manifests that share almost all of
their F lines.  Every F line of a manifest without a B card is validated
on its own by the parser (name, hash, permission, old name), except for
the strict name order, so a line's FileCard can be remembered and reused.
The rest of the artifact (all other cards, in order) is checked by the
parser on the same text without the F lines already remembered (a subset of
F lines keeps the artifact's type and card-order rules) and with its own Z
card; the real Z card, and the order of all file names, are checked here.
The usual shape of those other cards (``C``, ``D``, then ``P``, ``R``, ``U``
with plain tokens, new F lines without escapes or old names) is read by
:func:`_plain_rest` without the parser.  Anything unusual goes to the plain
parser, so the result is always what ``manifest.parse_or_none`` gives
(tests/unit/test_crosslink.py and test_rebuild_pipeline.py check this).

The memo lives with the caller (a :class:`MemoStore`: the crosslink batch,
``fossilpy.repo.crosslink.Batch``); ``fline_memo`` maps an F line to
(FileCard, or None for a reserved name that Fossil drops, raw name).

Looking every line up still costs a hash per line, so the F block last parsed
is kept too (``MemoStore.fmemo_ref``, a :class:`BlockRef`).  Neighbouring
check-ins usually differ in a few lines: a block of the same length is
compared with it in halves (down to pieces of 256 bytes), and only lines
inside pieces that differ (and keep their length) are looked up; any other
block is read as a few edits of the reference (:func:`_edits`: runs of shared lines found by
comparing bytes, lines between them replaced, inserted or deleted).
Unchanged lines are in order already, so only the name order around a
replaced line is checked.  Anything else splits the block into lines
(and after a few such blocks in a row, the edits are looked for only now
and then: see _EDIT_TRIES).
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from typing import Any, Protocol

from fossilpy.artifact import hname, manifest
from fossilpy.artifact.fossilize import (
    defossilize_bytes,
    is_reserved_name,
    is_simple_path,
    julian_ms,
)
from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest

#: Remembered F lines per batch, at most (about 500 bytes each).  The lines
#: a manifest shares with the one parsed before come from ``fmemo_ref``, so
#: the memo only serves lines changed since, and the lines of delta
#: manifests (fossilpy.artifact.fmemo_delta).  A rebuild of 5,000 generated
#: check-ins with delta manifests: 8,000 lines, 16,013 misses of 348,000
#: lookups and 32.3 MiB peak RSS; 4,000, 26,070 misses and 30.1 MiB; 3,000,
#: 28,589 and 29.6 MiB (50,000 check-ins: 330,000, 512,000, 936,000 misses of
#: 8.5 million, 73.7, 72.2, 71.4 MiB).
FLINE_MEMO = 4_000

_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


def _forget(memo: dict[bytes, Any], n: int) -> None:
    """Drop the ``n`` oldest entries of ``memo`` (keys are in insertion order)."""
    for key in list(itertools.islice(memo, n)):
        del memo[key]


class MemoStore(Protocol):
    """Where a caller keeps the memo between parses (the crosslink batch)."""

    #: F line -> (FileCard or None, raw name)
    fline_memo: dict[bytes, tuple[FileCard | None, bytes]]
    #: the F block parsed last
    fmemo_ref: BlockRef | None


def parent_names(ptext: bytes | None) -> list[str] | None:
    """The hashes of a P card's text as the tail patterns matched it (None: no P card, an
    empty list), or None when one is not 40 or 64 digits long (the full parser decides)."""
    if ptext is None:
        return []
    parents = ptext.decode("ascii").split(" ")
    if any(len(p) != 40 and len(p) != 64 for p in parents):
        return None
    return parents


def memo_parse(b: MemoStore, data: bytes) -> Manifest | None:  # noqa: C901 - the fast path, kept in one frame
    """The parse of a baseline check-in manifest, reusing known F lines.

    Returns the same Manifest fields as ``manifest.parse_or_none`` (``z`` is
    the artifact's own Z card; ``extra`` holds ``memo``/``flines`` (the raw F
    lines, used by checkins.Checkin) instead of verbatim bytes, so the result
    must not be written back out), or calls that parser when the fast path
    does not apply.  When only some lines differ from the manifest parsed
    before, ``extra["fdiff"]`` is (that manifest's ``flines`` list, the new
    (line, card) pairs, the replaced (line, card) pairs).
    """
    start = 0 if data[:2] == b"F " else data.find(b"\nF ") + 1
    last = data.rfind(b"\nF ")
    if (
        start <= 0
        and data[:2] != b"F "
        or last < start - 1
        or len(data) < 45
        or data[-35:-33] != b"Z "
        or data[:1] in (b"-", b"B")
        or b"\0" in data
        or b"\nB " in data[:start]
    ):
        return manifest.parse_or_none(data)
    end = data.find(b"\n", last + 1) + 1
    block = data[start:end]
    z = data[-33:-1]
    if hname.md5(memoryview(data)[:-35]).hexdigest().encode() != z:
        return None  # wrong Z card: not a structural artifact
    head = data[:start]
    tail = data[end:-35]
    if head and head[head.rfind(b"\n", 0, len(head) - 1) + 1] > 0x46:
        return manifest.parse_or_none(data)
    if tail and tail[0] < 0x46:
        return manifest.parse_or_none(data)
    memo = b.fline_memo
    ref = b.fmemo_ref
    changed = _changed_lines(ref, block) if ref is not None else None
    edits = None
    if ref is not None and changed is None and (ref.misses < _EDIT_TRIES or ref.misses % _EDIT_RETRY == 0):
        edits = _edits(ref, block)
    offsets: list[int] | None = None
    if edits is not None:
        # lines [a, c) of ``ref`` are replaced by ``mid`` for each edit; the
        # others are kept, shifted by the length of the edits before them
        assert ref is not None
        rl, rh, rf, ro = ref.lines, ref.hits, ref.files, ref.offsets
        lines, hits, ref_files, offsets, changed = [], [], [], [], []
        prev = shift = 0
        for a, c, mid in edits:
            lines += rl[prev:a]
            hits += rh[prev:a]
            ref_files += rf[prev:a]
            offsets += [o + shift for o in ro[prev:a]] if shift else ro[prev:a]
            n = len(lines)
            changed += zip(range(n, n + len(mid)), mid, strict=True)
            lines += mid
            hits += map(memo.get, mid)
            ref_files += [None] * len(mid)  # type: ignore[list-item]
            offsets += itertools.accumulate([ro[a] + shift] + [len(line) + 1 for line in mid[:-1]]) if mid else ()
            shift = ro[a] + shift + sum(map(len, mid)) + len(mid) - ro[c]
            prev = c
        lines += rl[prev:]
        hits += rh[prev:]
        ref_files += rf[prev:]
        offsets += [o + shift for o in ro[prev:]] if shift else ro[prev:]
        todo = [i for i, _ in changed if hits[i] is None]
        if offsets[-1] != len(block):  # cannot happen: the edits rebuild ``block``
            edits = changed = None
    elif changed is not None:
        assert ref is not None
        offsets = ref.offsets
        ref_files = ref.files
        lines = ref.lines[:]
        hits = ref.hits[:]
        todo = []
        for i, line in changed:
            lines[i] = line
            hit = hits[i] = memo.get(line)
            if hit is None:
                todo.append(i)
    # blocks read without the reference in a row (see _EDIT_TRIES)
    misses = 0 if changed is not None or ref is None else ref.misses + 1
    if changed is None:
        lines = block.split(b"\n")
        lines.pop()
        hits = list(map(memo.get, lines))
        todo = list(itertools.compress(itertools.count(), map(operator.not_, hits)))
    # One parse checks every other card together with the F lines not seen
    # before (a subset of F lines keeps the artifact's type and order rules);
    # the usual shape of check-in is read by _plain_rest instead.
    new_lines = [lines[i] for i in todo]
    plain = _plain_rest(head, tail, new_lines)
    m: Manifest | None
    if plain is not None:
        m, found = plain
    else:
        found = None
        rest = head + b"".join([line + b"\n" for line in new_lines]) + tail
        m = manifest.parse_own_z_or_none(rest + b"Z " + hname.md5(rest).hexdigest().encode() + b"\n")
        if m is None or m.type != 1:
            return manifest.parse_or_none(data)
    if todo:
        if len(memo) + len(todo) > FLINE_MEMO:
            _forget(memo, len(memo) // 2 + len(todo))
        if found is None and len(m.files) == len(todo):
            found = [
                (card, defossilize_bytes(line[2:].split(b" ", 1)[0]))
                for card, line in zip(m.files, new_lines, strict=True)
            ]
        elif found is None:  # a reserved name was dropped: map the lines one by one
            found = _parse_flines(new_lines)  # type: ignore[assignment]
            if found is None:
                return manifest.parse_or_none(data)
        for i, hit in zip(todo, found, strict=True):
            memo[lines[i]] = hits[i] = hit
    elif m.files:
        return manifest.parse_or_none(data)
    fdiff = None
    if changed is not None and all(hits[i][0] for i, _ in changed):
        # the other lines are those of ``ref``, already in order
        assert offsets is not None
        n = len(hits)
        files = ref_files[:] if edits is None else ref_files
        for i, _ in changed:
            card, name = hits[i]
            if i and not hits[i - 1][1] < name or i + 1 < n and not name < hits[i + 1][1]:
                return None  # F cards out of order
            files[i] = card
        # what changed against the manifest parsed before (see checkins.Checkin)
        assert ref is not None
        if edits is None:
            old_pairs = [(ref.lines[i], ref.files[i]) for i, _ in changed]
        else:
            old_pairs = []
            for a, c, _ in edits:
                old_pairs += zip(ref.lines[a:c], ref.files[a:c], strict=True)
        new_pairs = [(line, files[i]) for i, line in changed]
        fdiff = (ref.lines, new_pairs, old_pairs)
        b.fmemo_ref = BlockRef(block, lines, hits, files, offsets, misses)
    elif all(files := list(map(_first, hits))):
        names = list(map(_second, hits))
        if not all(map(operator.lt, names, itertools.islice(names, 1, None))):
            return None  # F cards out of order
        offsets = [0]
        offsets += map(operator.add, itertools.accumulate(map(len, lines)), itertools.count(1))
        b.fmemo_ref = BlockRef(block, lines, hits, files, offsets, misses)
    else:
        files = []
        last_name: bytes | None = None
        for card, name in hits:
            if last_name is not None and last_name >= name:
                return None
            if card is not None:
                last_name = name
                files.append(card)
    m.files = files
    m.z = z.decode("ascii")
    extra: dict[str, object] = {"memo": True, "flines": lines}
    if fdiff is not None:
        extra["fdiff"] = fdiff
    if m.extra.get("empty_p"):
        extra["empty_p"] = True
    m.extra = extra
    m.source = None  # not the artifact's bytes
    return m


#: the cards before the F block of the usual check-in: ``C TEXT`` ``D DATE``
_PLAIN_HEAD = re.compile(rb"C ([^ \n]+)\nD ([^ \n]+)\n\Z")
#: and after it: ``[P HASH...] [R MD5] [U LOGIN]`` (tokens checked below)
_PLAIN_TAIL = re.compile(rb"(?:P ([0-9a-fA-F ]+)\n)?(?:R ([0-9a-fA-F]{32})\n)?(?:U ([^ \n]+)\n)?\Z")
#: ``F NAME HASH [PERM]`` without escapes (one line, no LF)
_PLAIN_F = re.compile(rb"F ([^ \n\\]+) ([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)(?: ([^ \n]+))?\Z")


def _plain_rest(
    head: bytes, tail: bytes, new_lines: list[bytes]
) -> tuple[Manifest, list[tuple[FileCard, bytes]]] | None:
    """What the parser makes of ``head`` + ``new_lines`` + ``tail`` (and
    the (card, raw name) of each line) when they have the usual shape
    written above: no NUL (memo_parse checked), the C card present (so the
    type is a check-in); None for anything else, which the parser decides.
    """
    mh = _PLAIN_HEAD.match(head)
    mt = _PLAIN_TAIL.match(tail) if mh is not None else None
    if mt is None:
        return None
    assert mh is not None
    ctext, dtext = mh.groups()
    ms = julian_ms(dtext)
    if not ms:
        return None
    ptext, rtext, utext = mt.groups()
    parents = parent_names(ptext)
    if parents is None:
        return None
    found = []
    match = _PLAIN_F.match
    for line in new_lines:
        mo = match(line)
        if mo is None:
            return None
        name, uuid, perm = mo.groups()
        if not is_simple_path(name) or is_reserved_name(name):
            return None
        card = FileCard(
            name.decode("utf-8", "surrogateescape"),
            uuid.decode("ascii"),
            None if perm is None else perm.decode("utf-8", "surrogateescape"),
        )
        found.append((card, name))
    m = Manifest(
        type=ArtifactType.MANIFEST,
        comment=_unescape(ctext).decode("utf-8", "surrogateescape"),
        date=dtext.decode("utf-8", "surrogateescape"),
        julian=ms / 86400000.0,
        files=[card for card, _ in found],
        parents=parents,
        repo_cksum=None if rtext is None else rtext.decode("ascii"),
        user=None if utext is None else _unescape(utext).decode("utf-8", "surrogateescape"),
    )
    return m, found


def _unescape(raw: bytes) -> bytes:
    """defossilize_bytes, without its regex when every escape is ``\\s``."""
    n = raw.count(b"\\")
    if not n:
        return raw
    if raw.count(b"\\s") == n:
        return raw.replace(b"\\s", b" ")
    return defossilize_bytes(raw)


class BlockRef:
    """The F block last parsed: its text, lines, memo hits, cards (no
    reserved names) and the offset of each line (plus the block's length)."""

    __slots__ = ("block", "lines", "hits", "files", "offsets", "misses")

    def __init__(
        self,
        block: bytes,
        lines: list[bytes],
        hits: list[Any],
        files: list[FileCard],
        offsets: list[int],
        misses: int = 0,
    ) -> None:
        self.block = block
        self.lines = lines
        self.hits = hits
        self.files = files
        self.offsets = offsets
        #: blocks parsed in a row without being read as changes of the one before
        self.misses = misses


#: the blocks are compared in halves down to pieces of at most this many bytes
_WINDOW = 256
#: ... and at most this many pieces may differ
_PIECES = 32


def _changed_lines(ref: BlockRef, block: bytes) -> list[tuple[int, bytes]] | None:
    """(index, new line) of the lines of ``ref`` that differ in ``block``.

    Only for a block of the same length whose changed lines keep their
    lengths (the usual change: new file hashes); None otherwise.  The
    blocks are compared in halves (memcmp, no copies), the halves that
    differ again in halves down to _WINDOW bytes, then line by line inside
    the pieces that differ.
    """
    old = ref.block
    n = len(block)
    if len(old) != n:
        return None
    view = memoryview(old)
    same = block.startswith
    pieces: list[tuple[int, int]] = []
    todo = [(0, n)]
    while todo:
        lo, hi = todo.pop()
        if same(view[lo:hi], lo):
            continue
        if hi - lo > _WINDOW:
            mid = (lo + hi) >> 1
            todo.append((mid, hi))
            todo.append((lo, mid))  # taken first: pieces come in order
        elif len(pieces) == _PIECES:
            return None  # many changes: split the block instead
        else:
            pieces.append((lo, hi))
    offsets = ref.offsets
    lines = ref.lines
    out = []
    last = -1
    for lo, hi in pieces:
        first = max(bisect.bisect_right(offsets, lo) - 1, last + 1)
        end = bisect.bisect_right(offsets, hi - 1)
        for i in range(first, end):
            s, e = offsets[i], offsets[i + 1] - 1
            line = block[s:e]
            if block[e] != 0x0A or b"\n" in line:
                return None  # the line boundaries moved
            if line != lines[i]:
                out.append((i, line))
        last = end - 1
    return out


#: After this many blocks in a row that were not a few changes of the block
#: before (e.g. baselines met in a rebuild's walk order, which is not
#: history order: 5,000 generated check-ins, 731 of 731), _edits is tried
#: only for every _EDIT_RETRY-th block (its result is the same either way).
_EDIT_TRIES = 4
_EDIT_RETRY = 8
#: _edits gives up beyond this many edits or replacing lines
_EDITS = 10
_EDIT_LINES = 160


def _edits(ref: BlockRef, block: bytes) -> list[tuple[int, int, list[bytes]]] | None:
    """``block`` as edits of ``ref``'s lines: (a, c, lines) replaces lines
    [a, c) of ``ref`` by ``lines`` (in order, not overlapping); None when
    there are too many.

    Runs of lines both blocks share are found by comparing bytes (a binary
    search over the line starts of ``ref``); between them the lines are
    paired by name (equal names: replaced; a smaller new name: inserted;
    else the old line is deleted) until the next line both share.  Any
    pairing gives a correct edit list; pairing by name keeps it short.
    """
    old = ref.block
    offs = ref.offsets
    olines = ref.lines
    n_old = len(olines)
    nb = len(block)
    view = memoryview(old)
    starts = block.startswith
    find = block.find
    edits: list[tuple[int, int, list[bytes]]] = []
    total = i = pn = 0
    while True:
        if i < n_old and pn < nb:
            po = offs[i]
            room = nb - pn + po
            lo, hi = i, n_old  # lines [i, lo) are shared; the run ends by hi
            while lo < hi:
                m = (lo + hi + 1) >> 1
                end = offs[m]
                if end <= room and starts(view[po:end], pn):
                    lo = m
                else:
                    hi = m - 1
            pn += offs[lo] - po
            i = lo
        if i == n_old and pn == nb:
            return edits
        a = i
        mid: list[bytes] = []
        while True:
            if i == n_old:
                if pn < nb:
                    mid += block[pn : nb - 1].split(b"\n")
                    pn = nb
                break
            if pn == nb:
                i = n_old
                break
            e = find(b"\n", pn)
            line = block[pn:e]
            oline = olines[i]
            if line == oline:
                break
            sp = line.find(b" ", 2)
            name = line[2:sp] if sp > 0 else line[2:]
            sp = oline.find(b" ", 2)
            oname = oline[2:sp] if sp > 0 else oline[2:]
            if name <= oname:
                mid.append(line)
                pn = e + 1
                if name == oname:
                    i += 1
            else:
                i += 1
        total += len(mid)
        edits.append((a, i, mid))
        if len(edits) > _EDITS or total > _EDIT_LINES:
            return None


def _parse_flines(lines: list[bytes]) -> list[tuple[FileCard | None, bytes]] | None:
    """(card, raw name) of each F line (card None for a reserved name).

    One parse of all the lines together (they come from one manifest, so
    they are in order); line by line if a reserved name was dropped.  None
    if a line is invalid.
    """
    if not all(line[:2] == b"F " for line in lines):
        return None  # another card among the F lines: not for the memo
    text = b"D 2000-01-01T00:00:00\n" + b"\n".join(lines) + b"\n"
    m = manifest.parse_or_none(text + b"Z " + hname.md5(text).hexdigest().encode() + b"\n")
    if m is not None and m.type == 1 and len(m.files) == len(lines):
        return [
            (card, defossilize_bytes(line[2:].split(b" ", 1)[0])) for card, line in zip(m.files, lines, strict=True)
        ]
    out = []
    for line in lines:
        one = _parse_fline(line)
        if one is None:
            return None
        out.append(one)
    return out


def _parse_fline(line: bytes) -> tuple[FileCard | None, bytes] | None:
    """(card or None if the name is reserved, raw name) of one F line; None if invalid."""
    if line[:2] != b"F ":
        return None
    text = b"D 2000-01-01T00:00:00\n" + line + b"\n"
    m = manifest.parse_or_none(text + b"Z " + hname.md5(text).hexdigest().encode() + b"\n")
    if m is None or m.type != 1 or len(m.files) > 1:
        return None
    name = defossilize_bytes(line[2:].split(b" ", 1)[0])
    return (m.files[0] if m.files else None), name
