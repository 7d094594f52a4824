"""Commands over the history: ``rebuild`` and ``timeline``.

``fossilpy rebuild [REPOSITORY] [-R REPOSITORY]`` recomputes every derived
table (fossilpy.repo.rebuild).  On a terminal it shows Fossil's progress line
``  N.N% complete...`` rewritten with CR; otherwise it prints nothing.

``fossilpy timeline [WHEN] [ORIGIN] [-n N] [-t TYPE] [-W WIDTH] [-R REPO]``
prints the text timeline exactly as ``fossil timeline`` does::

    === YYYY-MM-DD ===
    HH:MM:SS [HASH10] [*MERGE* ][*FORK*|*BRANCH* ]COMMENT (user: U tags: T1, T2)

newest first.  ``-n N``: N > 0 limits entries, N < 0 limits printed lines
(default -20), 0 is unlimited.  ``-t`` is ci, w, t, e, f, g or all.  WHEN is
before (default) or after; ORIGIN is a date/time or an artifact hash prefix
(default now).  Long comments are wrapped (Fossil's legacy algorithm) only
when standard input is a terminal or ``-W`` is given.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from fossilpy.cli.common import command, repository_option, resolve_repository
from fossilpy.errors import UserError

if TYPE_CHECKING:
    import sqlite3
    from typing import BinaryIO

    from fossilpy.cli.where import Here
    from fossilpy.repo.db import Repo


@command("rebuild")
@click.argument("repository_arg", metavar="REPOSITORY", required=False)
@repository_option()
@click.option("--force", "-f", is_flag=True, help="Accepted for compatibility (no effect).")
@click.option("--noverify", is_flag=True, help="Ignored (accepted for compatibility).")
def rebuild_cmd(
    repository_arg: str | None,
    repository: str | None,
    force: bool,
    noverify: bool,
) -> None:
    """Rebuild the derived tables of a repository from its artifacts."""
    from fossilpy.repo.db import Repo
    from fossilpy.repo.rebuild import rebuild

    path = repository_arg or resolve_repository(repository)
    assert path is not None
    tty = sys.stdout.isatty()
    last = [-1]

    def progress(done: int, total: int) -> None:
        permill = done * 1000 // total if total else 1000
        if permill > last[0]:
            last[0] = permill
            sys.stdout.write(f"  {permill // 10}.{permill % 10}% complete...\r")
            sys.stdout.flush()

    with Repo.open(path) as repo:
        rebuild(repo, progress=progress if tty else None)
    if tty:
        progress(1, 1)
        sys.stdout.write("\n")


#: Fossil's tty timeline query (timeline_query_for_tty); {tz} = local-time modifier.
_TIMELINE_SQL = """
SELECT blob.rid AS rid, uuid,
  datetime(event.mtime{tz}) AS mDateTime,
  coalesce(ecomment,comment)
    || ' (user: ' || coalesce(euser,user,'?')
    || (SELECT case when length(x)>0 then ' tags: ' || x else '' end
          FROM (SELECT group_concat(substr(tagname,5), ', ') AS x
                  FROM tag, tagxref
                 WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid
                   AND tagxref.rid=blob.rid AND tagxref.tagtype>0))
    || ')' as comment,
  (SELECT count(*) FROM plink WHERE pid=blob.rid AND isprim) AS primPlinkCount,
  (SELECT count(*) FROM plink WHERE cid=blob.rid) AS plinkCount,
  event.mtime AS mtime,
  tagxref.value AS branch,
  event.type,
  coalesce(ecomment,comment) AS comment0,
  coalesce(euser,user,'?') AS user0
FROM tag CROSS JOIN event CROSS JOIN blob
     LEFT JOIN tagxref ON tagxref.tagid=tag.tagid
  AND tagxref.tagtype>0
  AND tagxref.rid=blob.rid
WHERE blob.rid=event.objid
  AND tag.tagname='branch'
"""


_TIMELINE_USAGE = (
    "Usage: fossilpy timeline ?WHEN? ?CHECKIN|DATETIME? ?-n|--limit #? ?-t|--type TYPE? "
    "?-W|--width WIDTH? ?-p|--path PATH?"
)


def _timeline_mode(word: str, etype: str | None, limit: str | None) -> str:
    """The WHEN word: before, after, children or parents (Fossil's prefixes)."""
    k = len(word)
    if "before"[:k] == word and k <= 6:
        return "before"
    if "after"[:k] == word and 1 < k <= 5:
        return "after"
    if ("descendants"[:k] == word and k <= 11) or ("children"[:k] == word and k <= 8):
        return "children"
    if ("ancestors"[:k] == word and 1 < k <= 9) or ("parents"[:k] == word and k <= 7):
        return "parents"
    if not etype and not limit:
        raise UserError(_TIMELINE_USAGE)
    return "none"


@command("timeline")
@click.argument("args", nargs=-1)
@repository_option()
@click.option("-n", "--limit", "--count", "limit", default=None, help="Entries (N>0) or lines (N<0).")
@click.option("-t", "--type", "etype", default=None, help="ci, w, t, e, f, g or all.")
@click.option("-W", "--width", "width", type=int, default=None, help="Line width (0: none).")
@click.option("-b", "--branch", "branch", default=None, help="Only check-ins (and tags) of this branch.")
@click.option("-c", "--current-branch", "current_branch", is_flag=True, help="Only the checkout's branch.")
@click.option("-p", "--path", "path", default=None, help="Only check-ins changing this file or folder.")
@click.option("-v", "--verbose", "--showfiles", "verbose", is_flag=True, help="List the files each check-in changed.")
@click.option("--offset", "offset", type=int, default=0, help="Skip this many entries.")
@click.option("-F", "--format", "fmt", default=None, help="Entry format: %H %h %d %a %c %b %t %p %n %%.")
@click.option("--oneline", is_flag=True, help='The format "%h %c".')
@click.option("--medium", is_flag=True, help="Commit, Date, Author and Comment lines.")
@click.option("--full", is_flag=True, help="Also Branch, Tags and Phase lines, full hashes.")
def timeline_cmd(
    args: tuple[str, ...],
    repository: str | None,
    limit: str | None,
    etype: str | None,
    width: int | None,
    branch: str | None,
    current_branch: bool,
    path: str | None,
    verbose: bool,
    offset: int,
    fmt: str | None,
    oneline: bool,
    medium: bool,
    full: bool,
) -> None:
    """Print a summary of recent activity, newest first.

    WHEN is before (default), after, descendants/children or
    ancestors/parents of ORIGIN.  Without -R, inside a checkout, the
    checkout's repository is used, its check-in is marked *CURRENT*,
    ORIGIN may be ``current`` (or a prefix of it) and -c limits the
    timeline to the checkout's branch."""
    from fossilpy.cli.where import current_uuid, open_here

    if oneline or fmt == "oneline":
        fmt = "%h %c"
    if medium or fmt == "medium":
        fmt = "Commit:   %h%nDate:     %d%nAuthor:   %a%nComment:  %c%n"
    if full or fmt == "full":
        fmt = "Commit:   %H%nDate:     %d%nAuthor:   %a%nComment:  %c%nBranch:   %b%nTags:     %t%nPhase:    %p%n"
    try:
        n = int(limit) if limit is not None else -20
    except ValueError:
        n = 0
    if width is not None and width != 0 and width <= 20:
        raise UserError("-W|--width value must be >20 or 0")
    mode = "none"
    origin = "now"
    if len(args) >= 2:
        mode = _timeline_mode(args[0], etype, limit)
        origin = args[1] if not args[1].startswith("-") else "now"
    elif len(args) == 1:
        origin = args[0]
    with open_here(repository, readonly=True) as here:
        repo = here.repo
        if current_branch:
            if here.ck is None:
                raise UserError("not within an open check-out")
            branch = repo.one("SELECT value FROM tagxref WHERE rid=? AND tagid=8", (here.vid,))
        utc = repo.config_int("timeline-utc", 1) != 0  # Fossil: db_get_int("timeline-utc", 1)
        tz = "" if utc else ",'localtime'"
        date_sql, params, objid = _origin(here, origin, mode, utc)
        tree: str | None = None
        if path is not None:
            if etype is None:
                etype = "ci"
            tree = path
            if here.ck is not None:
                from fossilpy.checkout import ops

                tree = ops.tree_name(here.ck, os.getcwd(), path)
            if tree == ".":
                tree = None
        before = mode in ("none", "before", "parents")
        cte = ""
        if mode in ("children", "parents"):
            cap = 0 if tree is not None else n
            cap = -1 if cap == 0 else abs(cap)
            if mode == "children":
                cte = _DESCENDANTS
                params = [objid, *params]
            else:
                cte = _ANCESTORS
                params = [objid, objid, cap, *params]
        sql = cte + _TIMELINE_SQL.format(tz=tz) + f"  AND event.mtime {'<=' if before else '>='} {date_sql}"
        if mode == "children":
            sql += "\n  AND blob.rid IN (SELECT rid FROM dx LIMIT ?)"
            params.append(cap)
        elif mode == "parents":
            sql += "\n  AND blob.rid IN (SELECT rid FROM ancestor)"
        if etype and etype[0] != "a":
            sql += "\n  AND event.type=?"
            params.append(etype)
        if tree is not None:
            sql += (
                "\n  AND EXISTS(SELECT 1 FROM mlink WHERE mlink.mid=event.objid AND mlink.fnid IN"
                " (SELECT fnid FROM filename WHERE name=CAST(? AS TEXT) OR name GLOB CAST(? AS TEXT)||'/*'))"
            )
            raw = tree.encode("utf-8", "surrogateescape")
            params.extend((raw, raw))
        if branch is not None:
            sql += _BRANCH_FILTER
            params.extend((branch, branch, branch, branch, branch))
        sql += "\nORDER BY event.mtime DESC"
        if offset > 0:
            sql += "\n LIMIT -1 OFFSET ?"
            params.append(offset)
        if width is None:
            try:
                cols = os.get_terminal_size(0).columns
            except OSError:
                cols = None
            max_chars = (cols - 9) if cols else -1
        else:
            max_chars = width - 9
        _print_timeline(repo, repo.db.execute(sql, params), n, max_chars, current_uuid(here), verbose, fmt)


def _origin(here: Here, origin: str, mode: str, utc: bool) -> tuple[str, list[object], int]:
    """(SQL of ORIGIN's time, its parameters, its rid or 0) as ``timeline_cmd`` reads ORIGIN."""
    if origin == "now":
        if mode in ("children", "parents"):
            raise UserError("cannot compute descendants or ancestors of a date")
        return "(SELECT julianday('now'))", [], 0
    if origin and "current".startswith(origin):
        if here.ck is None:
            raise UserError("must be within a local check-out to use 'current'")
        return "(SELECT mtime FROM plink WHERE cid=?)", [here.vid], here.vid
    if here.repo.one("SELECT julianday(?)", (origin,)) is not None:
        if mode in ("children", "parents"):
            raise UserError("cannot compute descendants or ancestors of a date")
        shift = ""
        if mode == "none" and len(origin) == 10 and origin[4] == "-" and origin[7] == "-":
            shift = ",'+1 day'"
        return f"(SELECT julianday(?{shift}{'' if utc else ',' + repr('utc')}))", [origin], 0
    from fossilpy.cli.where import lookup

    # Fossil: name_to_uuid(origin, "*"); the file's owner sees private content
    objid = lookup(here, origin, "*")
    if objid <= 0:
        raise UserError(f"unknown check-in or invalid date: {origin}")
    return "(SELECT mtime FROM event WHERE objid=?)", [objid], objid


#: ``compute_descendants(rid, N)`` as a CTE ``dx`` (?: rid; the first N rows are taken)
_DESCENDANTS = """WITH RECURSIVE dx(rid,mtime) AS (
  SELECT ?, 0
  UNION
  SELECT plink.cid, plink.mtime FROM dx, plink WHERE plink.pid=dx.rid ORDER BY 2
)
"""

#: ``compute_ancestors(rid, N, 0, 0)`` as a CTE ``ancestor`` (?: rid, rid, N): parents, merge
#: parents and cherry-pick parents, not going on past a cherry-pick parent
_ANCESTORS = """WITH RECURSIVE
  parent(pid,cid,isCP) AS (
    SELECT plink.pid, plink.cid, 0 AS xisCP FROM plink
    UNION ALL
    SELECT parentid, childid, 1 FROM cherrypick WHERE NOT isExclude
  ),
  ancestor(rid, mtime, isCP) AS (
    SELECT ?, mtime, 0 FROM event WHERE objid=?
    UNION
    SELECT parent.pid, event.mtime, parent.isCP
      FROM ancestor, parent, event
     WHERE parent.cid=ancestor.rid
       AND event.objid=parent.pid
       AND NOT ancestor.isCP
       AND (event.mtime>=0.0 OR parent.pid=0)
     ORDER BY mtime DESC LIMIT ?
  )
"""


#: ``timeline -b BRANCH`` (timeline_cmd): its check-ins, its tags' targets, its
#: wiki pages, the wiki of its check-ins; no merges closed into it.  Five ?s: the branch.
_BRANCH_FILTER = """
  AND blob.rid IN (
      SELECT rid FROM tagxref NATURAL JOIN tag
        WHERE tagtype>0 AND tagname='sym-'||?
      UNION
      SELECT srcid FROM tagxref WHERE origid IN (
        SELECT rid FROM tagxref NATURAL JOIN tag
          WHERE tagname='sym-'||?)
      UNION
      SELECT objid FROM event WHERE comment LIKE '_branch/'||?
      UNION
      SELECT e.objid FROM event e
        INNER JOIN blob b ON b.uuid=substr(e.comment, 10)
                          AND e.comment LIKE '_checkin/%'
        LEFT JOIN tagxref tx ON tx.rid=b.rid AND tx.tagid=8
          WHERE tx.value=?
)
  AND (tagxref.value IS NULL OR tagxref.value=?)"""


def _print_timeline(
    repo: Repo,
    cursor: sqlite3.Cursor,
    n: int,
    max_chars: int,
    current: str | None = None,
    verbose: bool = False,
    fmt: str | None = None,
) -> None:
    """``print_timeline``: ``current`` is the open checkout's check-in hash (marked ``*CURRENT*``);
    ``verbose`` lists each check-in's ADDED, DELETED and EDITED files; ``fmt`` is ``-F``'s
    format (one entry per substitution, no date headers)."""
    from fossilpy.repo.crosslink.tags import hash_digits

    digits = hash_digits(repo)
    private = repo.one("SELECT 1 FROM private LIMIT 1") is not None
    out = sys.stdout.buffer
    abs_limit = abs(n)
    lines = 0
    entries = 0
    prev_date = ""
    finished = True
    for row in cursor:
        rid, uuid, date, com, nchild, nparent, _mtime, _branch, typ, com_short, user = row
        if abs_limit:
            if n < 0 and lines >= abs_limit:
                out.write(f"--- line limit ({abs_limit}) reached ---\n".encode())
                finished = False
                break
            if n > 0 and entries >= abs_limit:
                out.write(f"--- entry limit ({abs_limit}) reached ---\n".encode())
                finished = False
                break
        date = date or ""
        if fmt is None and date[:10] != prev_date:
            out.write(f"=== {date[:10]} ===\n".encode())
            prev_date = date[:10]
            lines += 1
        com = com or ""
        if fmt is None:
            out.write(f"{date[11:19]} ".encode())
        prefix = ""
        if nparent > 1:
            prefix = "*MERGE* "
        if nchild > 1:
            prefix += "*FORK* " if _nonbranch_children(repo, rid) > 1 else "*BRANCH* "
        if current is not None and uuid == current:
            prefix += "*CURRENT* "
        if private and repo.one("SELECT 1 FROM private WHERE rid=?", (rid,)):
            prefix += "*UNPUBLISHED* "
        short = uuid[:digits]
        if fmt is not None:
            if nchild == 0:
                prefix += "*LEAF* "
            tags = repo.one(
                "SELECT group_concat(substr(tagname,5), ', ') FROM tag, tagxref WHERE tagname GLOB 'sym-*'"
                " AND tag.tagid=tagxref.tagid AND tagxref.rid=? AND tagxref.tagtype>0",
                (rid,),
            )
            entry, nline = _entry_subst(fmt, uuid, short, date, user, com_short, _branch, tags or "", prefix)
            out.write(entry.encode("utf-8", "surrogateescape") + b"\n")
            lines += nline
        elif typ == "w" and com[:1] in ("+", "-", ":"):
            title = (com_short or " ")[1:]
            verb = {"+": "Add", "-": "Delete", ":": "Edit to"}[com[0]]
            text = f'[{short}] {verb} wiki page "{title}" (user: {user})'
        else:
            text = f"[{short}] {prefix}{com}"
        if fmt is None:
            lines += _comment_print_legacy(out, text, 9, max_chars)
        if verbose:
            for isnew, isdel, name in repo.all(
                "SELECT (pid<=0), (fid==0), (SELECT name FROM filename WHERE fnid=mlink.fnid) FROM mlink"
                " WHERE mid=? AND pid!=fid AND NOT mlink.isaux ORDER BY 3",
                (rid,),
            ):
                word = "ADDED" if isnew else "DELETED" if isdel else "EDITED"
                out.write(f"   {word} {name}\n".encode("utf-8", "surrogateescape"))
                lines += 1
        entries += 1
    if finished:
        if abs_limit == 0:
            out.write(f"+++ end of timeline ({entries}) +++\n".encode())
        else:
            out.write(f"+++ no more data ({entries}) +++\n".encode())
    out.flush()


def _entry_subst(
    fmt: str, uuid: str, short: str, date: str, user: str, com: str | None, branch: str | None, tags: str, phase: str
) -> tuple[str, int]:
    """``timeline_entry_subst``: ``-F`` with %H %h %d %a %c %b %t %p %n %%; (text, lines)."""
    comment = "(NULL)" if com is None else com
    comment = comment.replace("\r", "").replace("\n", " ").replace("\t", " ")
    subst = {"H": uuid, "h": short, "d": date, "a": user, "c": comment, "b": branch or "", "t": tags, "p": phase}
    parts: list[str] = []
    nline = 1
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 >= len(fmt):
            parts.append(c)
            i += 1
            continue
        k = fmt[i + 1]
        if k == "%":
            parts.append("%")
        elif k == "n":
            parts.append("\n")
            nline += 1
        elif k in subst:
            parts.append(subst[k])
        else:
            parts.append("%")
            i += 1
            continue
        i += 2
    return "".join(parts), nline


def _nonbranch_children(repo: Repo, pid: int) -> int:
    return int(repo.one(
        "SELECT count(*) FROM plink WHERE pid=?1 AND isprim"
        " AND coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.pid),'trunk')"
        " =coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk')",
        (pid,),
        0,
    ))


_SPACES = b" \t\n\v\f\r"


def _comment_print_legacy(out: BinaryIO, text: str, indent: int, max_chars: int) -> int:
    """Fossil's legacy comment wrapping; returns the number of lines written.

    Lines hold at most ``max_chars`` characters (UTF-8 sequences count as
    one); runs of white space become one space; a line breaks at its last
    space, or after a hyphen that follows a letter, when the text goes on.
    Continuation lines are indented by ``indent`` spaces.
    """
    z = text.encode("utf-8", "surrogateescape")
    if max_chars <= 0:
        max_chars = len(z)
    pos = 0
    n = len(z)
    indent_next = False
    count = 0
    while True:
        while pos < n and z[pos] in _SPACES:
            pos += 1
        if pos >= n or z[pos] == 0:
            if not indent_next:
                out.write(b"\n")
                count = 1
            return count
        buf = bytearray()
        si = sk = 0
        i = pos
        kc = 0
        while i < n and z[i] != 0 and kc < max_chars:
            c = z[i]
            kc += 1
            if c & 0xE0 == 0xC0:
                width = 2
            elif c & 0xF0 == 0xE0:
                width = 3
            elif c & 0xF8 == 0xF0:
                width = 4
            else:
                width = 1
            if width > 1:
                buf.append(c)
                got = 1
                while got < width and i + 1 < n and z[i + 1] & 0xC0 == 0x80:
                    got += 1
                    i += 1
                    buf.append(z[i])
            elif c in _SPACES:
                si = i - pos
                sk = len(buf)
                if not buf or buf[-1] != 0x20:
                    buf.append(0x20)
            else:
                if c == 0x2D and buf and chr(buf[-1]).isascii() and chr(buf[-1]).isalpha():
                    si = i - pos + 1
                    sk = len(buf) + 1
                buf.append(c)
            i += 1
        if indent_next:
            out.write(b" " * indent)
        indent_next = True
        if sk > 0 and i < n and z[i] != 0:
            pos += si
            del buf[sk:]
        else:
            pos = i
        out.write(bytes(buf) + b"\n")
        count += 1
