"""File history commands inside a checkout: ``finfo`` and
``annotate``/``blame``/``praise`` (Fossil 2.21 ``src/finfo.c``,
``src/diff.c`` ``annotate_cmd``).

\b
fossilpy finfo ?-l|--log? ?-b|--brief? ?-n|--limit N? ?--offset P? ?-W|--width N? FILE
    The check-ins that changed FILE, newest first.  The default shows
    "History for FILE" then "DATE [CHECKIN] COMMENT (user: U, artifact:
    [FILEHASH], branch: B)" wrapped at the terminal's (or -W) width; -b one
    line per change: "CHECKIN DATE USER BRANCH COMMENT" (user and branch
    cut to 8 characters, the comment to 39).
fossilpy finfo -s|--status FILE
    "STATUS  CHECKIN10": new, deleted, renamed, edited or unchanged.
fossilpy finfo -p|--print ?-r|--revision VERSION? FILE
    The file's content (of VERSION, else of the checkout's version).
fossilpy finfo -i|--id ?-r|--revision VERSION? ?-v|--verbose? FILE
    The file's artifact in VERSION (default: the checkout's): hash, size,
    tags and the check-in that first (-v: each check-in that) used it.
\b
fossilpy annotate|blame|praise ?OPTIONS? FILE
    Each line of FILE (as in the checkout's check-in, or -r VERSION) with
    the check-in that last changed it: annotate shows "HASH DATE LINENO:",
    blame and praise "HASH DATE USER:".  --filevers: file hashes instead of
    check-in hashes; -l|--log: the versions analyzed first; -n|--limit
    N|Xs|none: how many versions (default: what fits in one second);
    -o|--origin VERSION: a reverse annotation towards VERSION;
    -w|--ignore-all-space, -Z|--ignore-trailing-space.

Lines whose origin lies beyond the versions analyzed are shown with blank
hash, date and user.
"""

from __future__ import annotations

import os
import sys

import click

from fossilpy.cli.common import command
from fossilpy.cli.where import Args, Here, max_chars, open_checkout, out, rid_of
from fossilpy.errors import NotFound, UserError

_CTX = {"ignore_unknown_options": True, "allow_interspersed_args": False, "help_option_names": ["--help"]}


def _tree_name(here: Here, name: str) -> str:
    from fossilpy.checkout import ops

    assert here.ck is not None
    return ops.tree_name(here.ck, os.getcwd(), name)


def _cut(text: str, n: int, *, left: bool = False) -> str:
    """C's ``%N.Ns`` (``%-N.Ns`` with ``left``) on the UTF-8 bytes of ``text``."""
    raw = text.encode("utf-8", "surrogateescape")[:n]
    raw = raw.ljust(n) if left else raw.rjust(n)
    return raw.decode("utf-8", "surrogateescape")


@command("finfo", context_settings=_CTX)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def finfo_cmd(words: tuple[str, ...]) -> None:
    """Print the change history of one file, its status, or its content.

    \b
    finfo ?-l|--log? ?-b|--brief? ?-n|--limit N? ?--offset P? ?-W|--width N? FILE
    finfo -s|--status FILE
    finfo -p|--print ?-r|--revision VERSION? FILE
    finfo -i|--id ?-r|--revision VERSION? ?-v|--verbose? FILE
    """
    args = Args("finfo", words)
    with open_checkout() as here:
        if args.flag("status", "s"):
            rest = args.verify()
            if len(rest) != 1:
                raise args.usage("-s|--status FILENAME")
            _status(here, rest[0])
        elif args.flag("print", "p"):
            revision = args.value("revision", "r")
            rest = args.verify()
            if not rest:
                raise args.usage("?-l|--log? ?-b|--brief? FILENAME")
            _print(here, rest[0], revision)
        elif args.flag("id", "i"):
            revision = args.value("revision", "r")
            brief = not args.flag("verbose", "v")
            rest = args.verify()
            if len(rest) != 1:
                raise args.usage("FILENAME")
            _whatis_file(here, rest[0], revision or "current", brief)
        else:
            _log(here, args)
        sys.stdout.flush()


def _status(here: Here, name: str) -> None:
    from fossilpy.checkout import vfile

    ck = here.ck
    assert ck is not None
    vid = ck.vid
    if vid == 0:
        raise UserError("no check-out to finfo files in")
    vfile.check_signature(ck, vid)
    fname = _tree_name(here, name)
    row = ck.row(
        "SELECT pathname, deleted, rid, chnged, coalesce(origname!=pathname,0)"
        " FROM localdb.vfile WHERE vfile.pathname=CAST(? AS TEXT)",
        (vfile.fs(fname),),
    )
    if row is None:
        out("unknown 0000000000")
        return
    uuid = ck.one(
        "SELECT uuid FROM blob, mlink, localdb.vfile WHERE blob.rid = mlink.mid AND mlink.fid = vfile.rid"
        " AND vfile.pathname=CAST(? AS TEXT)",
        (vfile.fs(fname),),
    )
    _, deleted, rid, chnged, renamed = row
    if rid == 0:
        status = "new"
    elif deleted:
        status = "deleted"
    elif renamed:
        status = "renamed"
    elif chnged:
        status = "edited"
    else:
        status = "unchanged"
    out(f"{status}  {_cut(str(uuid or ''), 10)}")


def _whatis_file(here: Here, name: str, revision: str, brief: bool) -> None:
    """``finfo -i``: ``whatis_rid`` of the file's artifact in REVISION (default: the checkout's)."""
    from fossilpy.artifact import manifest
    from fossilpy.cli.history_cmds import _comment_print_legacy
    from fossilpy.cli.where import lookup
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files
    from fossilpy.repo.crosslink.tags import hash_digits

    fname = _tree_name(here, name)
    repo = here.repo
    rid = 0
    cid = lookup(here, revision, "ci")
    m = manifest.parse_or_none(content.get(repo, cid) or b"") if cid > 0 else None
    if m is not None and m.type == manifest.ArtifactType.MANIFEST:
        for fn, uuid, _perm in checkin_files(repo, m):
            if fn == fname:
                rid = content.rid_of(repo, uuid)
    if not rid:
        raise UserError(f"file not found for revision {revision}: {fname}")
    utc = repo.config_int("timeline-utc", 1) != 0
    tz = "+0 days" if utc else "localtime"
    stdout = sys.stdout.buffer
    row = repo.row("SELECT uuid, size FROM blob, rcvfrom WHERE rid=? AND rcvfrom.rcvid=blob.rcvid", (rid,))
    if row is not None:
        out(f"artifact:   {row[0]}")
        out(f"size:       {row[1]} bytes")
    tags = [
        str(r[0])
        for r in repo.all(
            "SELECT substr(tagname,5) FROM tag JOIN tagxref ON tag.tagid=tagxref.tagid"
            " WHERE tagxref.rid=? AND tagxref.tagtype<>0 AND tagname GLOB 'sym-*' ORDER BY 1",
            (rid,),
        )
    ]
    if tags:
        out("tags:       " + ", ".join(tags))
    raw = [
        str(r[0])
        for r in repo.all(
            "SELECT tagname FROM tag JOIN tagxref ON tag.tagid=tagxref.tagid"
            " WHERE tagxref.rid=? AND tag.tagid IN (5,6,7,9) ORDER BY 1",
            (rid,),
        )
    ]
    if raw:
        out("raw-tags:   " + ", ".join(raw))
    digits = hash_digits(repo)
    sql = (
        "SELECT filename.name, blob.uuid, datetime(event.mtime,?), coalesce(euser,user),"
        " coalesce(ecomment,comment) FROM mlink, filename, blob, event"
        " WHERE mlink.fid=? AND filename.fnid=mlink.fnid AND event.objid=mlink.mid AND blob.rid=mlink.mid"
    )
    sql += " ORDER BY event.mtime LIMIT 1" if brief else " ORDER BY event.mtime DESC"
    for fn, cuuid, date, user, comment in repo.all(sql, (tz, rid)):
        if brief:
            out(f"mtime:      {date}")
        out(f"file:       {fn}")
        out(f"            part of [{str(cuuid)[:digits]}] by {user} on {date}")
        out("            ", end="")
        stdout.flush()
        _comment_print_legacy(stdout, str(comment or ""), 12, max_chars(None, 12))


def _print(here: Here, name: str, revision: str | None) -> None:
    from fossilpy.checkout import vfile
    from fossilpy.repo import content

    fname = _tree_name(here, name)
    repo = here.repo
    if revision is not None:
        data = checkin_file(here, revision, fname)
    else:
        assert here.ck is not None
        rid = here.ck.one("SELECT rid FROM localdb.vfile WHERE pathname=CAST(? AS TEXT)", (vfile.fs(fname),))
        if not rid:
            raise UserError(f"no history for file: {fname}")
        data = content.get(repo, int(rid)) or b""
    sys.stdout.buffer.write(data)


def checkin_file(here: Here, revision: str, fname: str) -> bytes:
    """``historical_blob(revision, fname, 1)``: the file's content in that check-in."""
    from fossilpy.artifact import manifest
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    repo = here.repo
    rid = rid_of(here, revision, "ci")
    m = manifest.parse_or_none(content.get(repo, rid) or b"")
    if m is None or m.type != manifest.ArtifactType.MANIFEST:
        raise UserError(f"could not parse manifest for check-in: {revision}")
    for fn, uuid, _perm in checkin_files(repo, m):
        if fn == fname:
            data = content.get(repo, content.rid_of(repo, uuid))
            if data is None:
                raise UserError(f"missing artifact {uuid} for file {fname} in check-in {revision}")
            return data
    raise UserError(f"file {fname} does not exist in check-in {revision}")


def _log(here: Here, args: Args) -> None:
    from fossilpy.checkout import vfile
    from fossilpy.cli.branch_cmds import _atoi
    from fossilpy.cli.history_cmds import _comment_print_legacy
    from fossilpy.repo.crosslink.tags import hash_digits

    args.flag("log", "l")
    limit_text = args.value("limit", "n")
    width_text = args.value("width", "W")
    limit = _atoi(limit_text) if limit_text is not None else -1
    offset_text = args.value("offset")
    offset = _atoi(offset_text) if offset_text is not None else 0
    brief = args.flag("brief", "b")
    if limit == 0:
        limit = -1
    width: int | None = None
    if width_text is not None:
        width = _atoi(width_text)
        if width != 0 and width <= 22:
            raise UserError("-W|--width value must be >22 or 0")
    rest = args.verify()
    if len(rest) != 1:
        raise args.usage("?-l|--log? ?-b|--brief? FILENAME")
    assert here.ck is not None
    fname = _tree_name(here, rest[0])
    repo = here.repo
    if not here.ck.one("SELECT rid FROM localdb.vfile WHERE pathname=CAST(? AS TEXT)", (vfile.fs(fname),)):
        raise UserError(f"no history for file: {fname}")
    utc = repo.config_int("timeline-utc", 1) != 0
    rows = repo.all(
        "SELECT DISTINCT b.uuid, ci.uuid, date(event.mtime, CASE WHEN ?1 THEN '+0 days' ELSE 'localtime' END),"
        " coalesce(event.ecomment, event.comment), coalesce(event.euser, event.user),"
        " (SELECT value FROM tagxref WHERE tagid=8 AND tagtype>0 AND tagxref.rid=mlink.mid)"
        " FROM mlink, blob b, event, blob ci, filename"
        " WHERE filename.name=CAST(?2 AS TEXT) AND mlink.fnid=filename.fnid AND b.rid=mlink.fid"
        " AND event.objid=mlink.mid AND event.objid=ci.rid"
        " ORDER BY event.mtime DESC LIMIT ?3 OFFSET ?4",
        (int(utc), vfile.fs(fname), limit, offset),
    )
    digits = hash_digits(repo)
    stdout = sys.stdout.buffer
    if not brief:
        out(f"History for {fname}")
    for fuuid, cuuid, date, com, user, branch in rows:
        com = str(com or "")
        user = str(user or "")
        branch = "trunk" if branch is None else str(branch)
        if not brief:
            out(f"{date} ", end="")
            stdout.flush()
            text = f"[{str(cuuid)[:digits]}] {com} (user: {user}, artifact: [{str(fuuid)[:digits]}], branch: {branch})"
            _comment_print_legacy(stdout, text, 11, max_chars(width, 11))
        else:
            line = (
                f"{str(cuuid)[:digits]} {str(date)[:10]} {_cut(user, 8)} {_cut(branch, 8)} {_cut(com, 39, left=True)}"
            )
            stdout.flush()
            _comment_print_legacy(stdout, line, 0, max_chars(width, 0))
    stdout.flush()


@command("annotate", context_settings=_CTX)
@click.pass_context
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def annotate_cmd(ctx: click.Context, words: tuple[str, ...]) -> None:
    """Show which check-in last changed each line of a file (annotate, blame, praise).

    \b
    annotate|blame|praise ?--filevers? ?-r|--revision VERSION? ?-l|--log?
            ?-n|--limit N|Xs|none? ?-o|--origin VERSION?
            ?-w|--ignore-all-space? ?-Z|--ignore-trailing-space? FILE

    annotate shows line numbers, blame and praise the user.
    """
    from fossilpy.repo import annotate
    from fossilpy.repo.crosslink.tags import hash_digits

    name = ctx.info_name or "annotate"
    blame = not name.startswith("a")
    args = Args(name, words)
    revision = args.value("r", "revision")
    limit = args.value("limit", "n")
    origin = args.value("origin", "o")
    show_log = args.flag("log", "l")
    flags = 0
    if args.flag("ignore-trailing-space", "Z"):
        flags = annotate.IGNORE_EOLWS
    if args.flag("ignore-all-space", "w"):
        flags = annotate.IGNORE_ALLWS
    filevers = args.flag("filevers")
    with open_checkout() as here:
        rest = args.verify()
        if not rest:
            raise args.usage("FILENAME")
        flags |= annotate.STRIP_EOLCR
        fname = _tree_name(here, rest[0])
        repo = here.repo
        cid = rid_of(here, revision, "ci") if revision else here.vid
        origid = rid_of(here, origin, "ci") if origin else 0
        try:
            ann = annotate.annotate(repo, fname, cid, origin=origid, limit=limit, flags=flags)
        except NotFound as exc:
            if str(exc).startswith("no such file"):
                raise NotFound(f"no such file: '{fname}'") from None
            if revision:
                raise NotFound(f"file {fname} does not exist in check-in {revision}") from None
            raise NotFound(f"no history for file: {fname}") from None
        digits = hash_digits(repo)
        if show_log:
            for i, v in enumerate(ann.versions):
                out(f"version {i + 1:3d}: {v.date} {v.checkin_uuid[:digits]} file {v.file_uuid[:digits]}")
            out("---------------------------------------------------")
        stdout = sys.stdout.buffer
        for i, line in enumerate(ann.lines):
            iv = ann.owner_of(i)
            if blame:
                if iv >= 0:
                    v = ann.versions[iv]
                    h = (v.file_uuid if filevers else v.checkin_uuid)[:digits]
                    head = f"{h} {v.date} {_cut(v.user, 13)}: "
                else:
                    head = " " * (digits + 26) + " "
            elif iv >= 0:
                v = ann.versions[iv]
                h = (v.file_uuid if filevers else v.checkin_uuid)[:digits]
                head = f"{h} {v.date} {i + 1:5d}: "
            else:
                head = " " * (digits + 11) + f" {i + 1:5d}: "
            stdout.write(head.encode("utf-8", "surrogateescape") + line + b"\n")
        stdout.flush()
