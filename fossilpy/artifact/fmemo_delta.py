"""Parsing delta manifests (check-ins with a ``B`` card) with the F-line memo.

A delta manifest lists only the files changed since its baseline, and
``fossil commit`` writes a new baseline when that list grows too long, so
the check-ins between two baselines share most of their F lines with the
check-in before them: each line of one is usually a line of the one parsed
just before (a rebuild walks a manifest and then its parent, stored as a
delta of it).  Every F line is validated on its own by the parser, except for
the strict name order and the rule that a line without a hash needs a
``B`` card (true here), so a line's card can be remembered in the batch's
memo (``fossilpy.artifact.fmemo``: F line -> (FileCard or None for a
reserved name, raw name)) and reused.  Lines without a hash (files deleted
by this delta) are read each time and not remembered: a baseline manifest
must not find them valid in the memo.

The usual shape is read here without the parser::

    B HASH
    C TEXT
    D DATE
    F NAME [HASH [PERM]]     one or more, names in strictly ascending order
    [P HASH...] [R MD5] [U LOGIN]
    Z MD5                    the MD5 of everything before it (checked)

New lines must be plain (no escapes, no old name, no reserved name); any
other shape, card or line goes to ``manifest.parse_or_none``, so the result
always has the fields that parser gives (tests/unit/test_delta_manifest_memo.py).
The result's ``extra`` is ``{"memo": True, "flines": [the F lines]}``
(``fossilpy.repo.crosslink.checkins.Checkin`` compares lines instead of
cards); it is not meant to be written back out.
"""

from __future__ import annotations

import re

from fossilpy.artifact import fmemo, hname, manifest
from fossilpy.artifact.fmemo import MemoStore, _forget, _unescape, parent_names
from fossilpy.artifact.fossilize import is_reserved_name, is_simple_path, julian_ms
from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest

#: the cards before the F lines: ``B HASH`` ``C TEXT`` ``D DATE``
_HEAD = re.compile(rb"B ([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)\nC ([^ \n]+)\nD ([^ \n]+)\n\Z")
#: and after them: ``[P HASH...] [R MD5] [U LOGIN]`` (the P tokens checked below)
_TAIL = re.compile(rb"(?:P ([0-9a-fA-F ]+)\n)?(?:R ([0-9a-fA-F]{32})\n)?(?:U ([^ \n]+)\n)?\Z")
#: ``F NAME [HASH [PERM]]`` without escapes (one line, no LF)
_FLINE = re.compile(rb"F ([^ \n\\]+)(?: ([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)(?: ([^ \n]+))?)?\Z")


def memo_parse_delta(b: MemoStore, data: bytes) -> Manifest | None:
    """The parse of a delta manifest, reusing known F lines (see the module
    docstring); None where ``manifest.parse_or_none`` gives None."""
    if len(data) < 45 or data[:2] != b"B " or data[-35:-33] != b"Z " or b"\0" in data:
        return manifest.parse_or_none(data)
    start = data.find(b"\nF ") + 1
    if start <= 0:
        return manifest.parse_or_none(data)
    last = data.rfind(b"\nF ")
    end = data.find(b"\n", last + 1) + 1
    if end <= 0 or end > len(data) - 35:
        return manifest.parse_or_none(data)
    z = data[-33:-1]
    if hname.md5(memoryview(data)[:-35]).hexdigest().encode() != z:
        return None  # wrong Z card: not a structural artifact
    head = _HEAD.match(data, 0, start)
    tail = _TAIL.match(data, end, len(data) - 35) if head is not None else None
    if tail is None:
        return manifest.parse_or_none(data)
    assert head is not None
    lines = data[start : end - 1].split(b"\n")
    memo = b.fline_memo
    match = _FLINE.match
    files: list[FileCard] = []
    add = files.append
    prev = b""
    for line, hit in zip(lines, list(map(memo.get, lines)), strict=True):
        if hit is None:
            mo = match(line)
            if mo is None:
                return manifest.parse_or_none(data)
            name, uuid, perm = mo.groups()
            if not is_simple_path(name) or is_reserved_name(name):
                return manifest.parse_or_none(data)
            card = FileCard(
                name.decode("utf-8", "surrogateescape"),
                None if uuid is None else uuid.decode("ascii"),
                None if perm is None else perm.decode("utf-8", "surrogateescape"),
            )
            if uuid is not None:
                if len(memo) >= fmemo.FLINE_MEMO:
                    _forget(memo, len(memo) // 2)
                memo[line] = (card, name)
        else:
            known, name = hit
            if known is None:
                return manifest.parse_or_none(data)  # a reserved name: dropped by the parser
            card = known
        if prev >= name:
            return None  # F cards out of order (the first name is never empty)
        prev = name
        add(card)
    btext, ctext, dtext = head.groups()
    ms = julian_ms(dtext)
    if not ms:
        return manifest.parse_or_none(data)
    ptext, rtext, utext = tail.groups()
    parents = parent_names(ptext)
    if parents is None:
        return manifest.parse_or_none(data)
    return Manifest(
        type=ArtifactType.MANIFEST,
        comment=_unescape(ctext).decode("utf-8", "surrogateescape"),
        date=dtext.decode("utf-8", "surrogateescape"),
        julian=ms / 86400000.0,
        baseline=btext.decode("ascii"),
        files=files,
        parents=parents,
        repo_cksum=None if rtext is None else rtext.decode("ascii"),
        user=None if utext is None else _unescape(utext).decode("utf-8", "surrogateescape"),
        z=z.decode("ascii"),
        extra={"memo": True, "flines": lines},
    )
