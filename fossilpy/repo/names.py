"""Resolve the names people give artifacts (Fossil 2.21 ``name.c``): the
one resolver, used by the command line and by every web page.

Forms accepted by :func:`resolve`, tried in this order::

    tip                     newest check-in
    date:DATETIME           newest event at or before DATETIME (UTC)
    DATETIME                same, when the name looks like a date
    tag:NAME                newest event tagged sym-NAME
    root:NAME / start:NAME  origin / first check-in of branch NAME
    HEX / [HEX]             full hash or a unique prefix of >= 4 hex digits
    NAME                    newest event tagged sym-NAME (branch or tag)
    rid:N                   record id N (undocumented in Fossil too)

``kind`` restricts the result to events of one kind ("ci", "w", "t",
"e", "f", "g"; "*" any).  Hashes may be any artifact when the type is
"*".  An ambiguous hash prefix raises UserError ("ambiguous name: X"),
no match raises NotFound ("cannot resolve name: X").

Private content (:mod:`fossilpy.repo.visibility`): ``private=False``
(the default, and what a web visitor without capability ``x`` gets)
resolves every form as if private artifacts did not exist: ``tip`` is the
newest public check-in, a date or a tag the newest public event, ``root:``
and ``start:`` walk public parents only, ``rid:N`` of a private artifact
is unknown.  The command line passes ``private=True`` (the owner of the
file sees everything, as with Fossil).

Ambiguous prefixes: a prefix is ambiguous only among the artifacts the
reader may see.  Private rows are left out by the same SQL statement that
finds the matches, before they are counted, so a prefix shared by one
public and one private artifact resolves to the public one for a reader
without ``x`` (and is ambiguous for a reader with it).  Reporting it as
ambiguous would tell the reader that a hidden artifact starts with those
digits -- exactly what hiding is meant to prevent; a hidden artifact must
be indistinguishable from a missing one in wording and in work done.
"""

from __future__ import annotations

import re

from fossilpy.errors import NotFound, UserError
from fossilpy.repo.db import Repo
from fossilpy.repo.visibility import BLOB_VISIBLE, EVENT_VISIBLE, is_private
from fossilpy.text import is_digits

_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
_DATE = re.compile(
    r"\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d{1,3})?)?)?(z|Z|utc|UTC)?"
)

#: Returned by :func:`lookup` for an ambiguous name.
AMBIGUOUS = -1


def is_hash_prefix(name: str) -> bool:
    """True if ``name`` looks like a hash or a prefix of one (4-64 hex digits)."""
    return _HEX.fullmatch(name) is not None


def looks_like_date(name: str) -> bool:
    """True if ``name`` is a date ``YYYY-MM-DD[ HH:MM[:SS[.SSS]]][Z|UTC]``."""
    return _DATE.fullmatch(name) is not None


#: how many of the newest events :func:`_newest_with_tag` looks through first
_RECENT = 200


def _newest_with_tag(repo: Repo, tag: str, etype: str, private: bool) -> int:
    """The newest event of type ``etype`` carrying tag ``sym-TAG`` (0: none).

    Fossil sorts every event with the tag, so naming ``trunk`` costs as much
    as trunk is long.  The answer is usually among the newest events, which
    the ``event.mtime`` index reads in order: look there first, and sort
    the tag's events only when none of the newest carries it.
    """
    recent = repo.one(
        "SELECT e.objid FROM (SELECT event.objid AS objid, event.mtime AS mtime FROM event"
        "   WHERE event.type GLOB ? AND " + EVENT_VISIBLE + " ORDER BY event.mtime DESC LIMIT ?) AS e"
        " WHERE EXISTS(SELECT 1 FROM tagxref WHERE tagxref.rid=e.objid AND tagxref.tagtype>0"
        "   AND tagxref.tagid=(SELECT tagid FROM tag WHERE tagname=?))"
        " ORDER BY e.mtime DESC LIMIT 1",
        (etype, private, _RECENT, "sym-" + tag),
    )
    if recent is not None:
        return int(recent)
    return int(repo.one(
        "SELECT event.objid FROM tag, tagxref, event"
        " WHERE tag.tagname=? AND tagxref.tagid=tag.tagid AND tagxref.tagtype>0"
        "   AND event.objid=tagxref.rid AND event.type GLOB ? AND " + EVENT_VISIBLE +
        " ORDER BY event.mtime DESC LIMIT 1",
        ("sym-" + tag, etype, private),
        0,
    ))


def _at_or_before(repo: Repo, when: str, etype: str, private: bool) -> int:
    when = re.sub(r"(?i)(z|utc)$", "", when.strip())
    # A date without a time means the end of that day (Fossil rounds up).
    if len(when) == 10:
        when += " 23:59:59.999"
    elif len(when) == 16:
        when += ":59.999"
    elif len(when) == 19:
        when += ".999"
    return int(repo.one(
        "SELECT objid FROM event WHERE mtime<=julianday(?) AND type GLOB ? AND " + EVENT_VISIBLE +
        " ORDER BY mtime DESC LIMIT 1",
        (when, etype, private),
        0,
    ))


def _start_of_branch(repo: Repo, rid: int, first_on_branch: bool, private: bool) -> int:
    """Walk primary parents back while they stay on rid's branch (and are visible)."""
    if rid <= 0:
        return rid
    branch = repo.one(
        "SELECT value FROM tagxref WHERE tagid=8 AND rid=? AND tagtype>0", (rid,)
    )
    seen = {rid}
    while True:
        parent = repo.one("SELECT pid FROM plink WHERE cid=? AND isprim", (rid,), 0)
        if not parent or parent in seen or (not private and is_private(repo, parent)):
            return rid
        pbranch = repo.one(
            "SELECT value FROM tagxref WHERE tagid=8 AND rid=? AND tagtype>0", (parent,)
        )
        if pbranch != branch:
            return rid if first_on_branch else parent
        seen.add(parent)
        rid = parent


def lookup(repo: Repo, name: str, kind: str = "*", *, private: bool = False) -> int:
    """The rid ``name`` stands for, 0 if none, :data:`AMBIGUOUS` if ambiguous.

    ``private``: the reader may see private artifacts; without it they are
    treated as missing in every form (see the module docstring).
    """
    if not name:
        return 0
    etype = kind or "*"
    if etype == "br":
        etype = "ci"
    if name == "tip" and etype in ("*", "ci"):
        rid = repo.one(
            "SELECT objid FROM event WHERE type='ci' AND " + EVENT_VISIBLE + " ORDER BY mtime DESC LIMIT 1",
            (private,),
            0,
        )
        if rid:
            return int(rid)
    if name.startswith("date:"):
        return int(_at_or_before(repo, name[5:], etype, private))
    if _DATE.fullmatch(name):
        rid = _at_or_before(repo, name, etype, private)
        if rid:
            return int(rid)
    if name.startswith("tag:"):
        return int(_newest_with_tag(repo, name[4:], etype, private))
    if name.startswith("root:"):
        return _start_of_branch(repo, lookup(repo, name[5:], "ci", private=private), False, private)
    if name.startswith("start:"):
        return _start_of_branch(repo, lookup(repo, name[6:], "ci", private=private), True, private)
    bare = name[1:] if name.startswith("[") else name
    bare = bare[:-1] if bare.endswith("]") else bare
    if _HEX.fullmatch(bare):
        prefix = bare.lower()
        if etype == "*":
            rows = repo.all(
                "SELECT rid FROM blob WHERE uuid>=? AND uuid<? AND " + BLOB_VISIBLE + " LIMIT 2",
                (prefix, prefix + "g", private),
            )
        else:
            rows = repo.all(
                "SELECT blob.rid FROM blob JOIN event ON event.objid=blob.rid"
                " WHERE blob.uuid>=? AND blob.uuid<? AND event.type GLOB ? AND " + BLOB_VISIBLE + " LIMIT 2",
                (prefix, prefix + "g", etype, private),
            )
        if len(rows) > 1:
            return AMBIGUOUS
        if rows:
            return int(rows[0][0])
    rid = _newest_with_tag(repo, name, etype, private)
    if rid:
        return int(rid)
    if name.startswith("rid:") and is_digits(name[4:]):
        rid = int(name[4:])
        if etype == "*":
            found = repo.one(
                "SELECT 1 FROM blob WHERE rid=? AND " + BLOB_VISIBLE, (rid, private)
            )
            return rid if found else 0
        return int(
            repo.one(
                "SELECT objid FROM event WHERE objid=? AND type GLOB ? AND " + EVENT_VISIBLE,
                (rid, etype, private),
                0,
            )
        )
    return 0


def resolve(repo: Repo, name: str, kind: str = "*", *, private: bool = False) -> int:
    """Like :func:`lookup` but raising for unknown or ambiguous names."""
    rid = lookup(repo, name, kind, private=private)
    if rid == AMBIGUOUS:
        raise UserError(f"ambiguous name: {name}")
    if not rid:
        raise NotFound(f"cannot resolve name: {name}")
    return rid


def resolve_uuid(repo: Repo, name: str, kind: str = "*", *, private: bool = False) -> str:
    """The full hash ``name`` stands for."""
    rid = resolve(repo, name, kind, private=private)
    return str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
