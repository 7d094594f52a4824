"""The ``leaves``, ``descendants`` and ``bisect`` commands (Fossil 2.21
``src/descendants.c``, ``src/bisect.c``).

\b
fossilpy leaves ?-a|--all? ?-c|--closed? ?--bybranch? ?-m|--multiple?
                ?--recompute? ?-W|--width N? ?-R REPO?
    Leaves newest first, open ones only by default, numbered "(N)", each
    "DATE [HASH] COMMENT (user: U tags: T)" and, off the main branch,
    " (branched from: [HASH])".  --bybranch groups them under
    "*** BRANCH ***"; -m shows only branches with several open leaves.
fossilpy descendants ?CHECK-IN? ?-W|--width N? ?-R REPO?
    The leaves descending from CHECK-IN (default: the checkout's), as a
    timeline.
fossilpy bisect bad|good|skip ?VERSION?
fossilpy bisect next | undo | reset | log | chart | options ?NAME? ?VALUE?
fossilpy bisect vlist|ls|status ?-a|--all?
    Bisect between a good and a bad check-in; the state lives in the
    checkout's vvar table exactly as Fossil keeps it (bisect-good,
    bisect-bad, bisect-log, bisect-complete and the options), so fossil
    and fossilpy can take turns in one bisect.
"""

from __future__ import annotations

import sys

import click

from fossilpy.cli.common import command
from fossilpy.cli.where import Args, Here, current_uuid, max_chars, open_here, out, rid_of
from fossilpy.errors import UserError

_CTX = {"ignore_unknown_options": True, "allow_interspersed_args": False, "help_option_names": ["--help"]}

#: ``leaf_is_closed_sql("blob.rid")``
_CLOSED = "EXISTS(SELECT 1 FROM tagxref AS tx WHERE tx.rid=blob.rid AND tx.tagid=9 AND tx.tagtype>0)"


def _width(args: Args, minimum: int) -> int | None:
    text = args.value("width", "W")
    if text is None:
        return None
    from fossilpy.cli.branch_cmds import _atoi

    width = _atoi(text)
    if width != 0 and width <= minimum:
        raise UserError(f"-W|--width value must be >{minimum} or 0")
    return width


def _tty_query(here: Here) -> str:
    from fossilpy.cli.branch_cmds import TTY_QUERY_LOCAL, TTY_QUERY_UTC

    return TTY_QUERY_UTC if _utc(here) else TTY_QUERY_LOCAL


def _utc(here: Here) -> bool:
    return here.repo.config_int("timeline-utc", 1) != 0


@command("leaves", context_settings=_CTX)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def leaves_cmd(words: tuple[str, ...]) -> None:
    """Show the leaves (check-ins without children on their branch), newest first."""
    from fossilpy.cli.history_cmds import _comment_print_legacy
    from fossilpy.repo import names
    from fossilpy.repo.crosslink.tags import hash_digits

    args = Args("leaves", words)
    show_all = args.flag("all", "a")
    show_closed = args.flag("closed", "c")
    recompute = args.flag("recompute")
    by_branch = args.flag("bybranch")
    multiple = args.flag("multiple", "m")
    if multiple:
        by_branch = True
    width = _width(args, 39)
    repository = args.value("repository", "R")
    with open_here(repository) as here:
        args.verify()
        repo = here.repo
        main_branch = repo.setting("main-branch") or "trunk"
        if recompute:
            from fossilpy.repo.crosslink import leaf

            with repo.write():
                leaf.rebuild_all(repo)
        sql = _tty_query(here)
        if not multiple:
            sql += " AND blob.rid IN leaf"
        else:
            sql += (
                " AND blob.rid IN (SELECT rid FROM leaf AS ol WHERE NOT EXISTS(SELECT 1 FROM tagxref"
                " WHERE tagid=9 AND tagtype>0 AND rid=ol.rid) AND (SELECT value FROM tagxref"
                " WHERE tagid=8 AND rid=ol.rid) IN (SELECT (SELECT value FROM tagxref WHERE tagid=8 AND rid=l2.rid)"
                " FROM leaf AS l2 WHERE NOT EXISTS(SELECT 1 FROM tagxref WHERE tagid=9 AND tagtype>0"
                " AND rid=l2.rid) GROUP BY 1 HAVING count(*)>1))"
            )
        if show_closed:
            sql += " AND " + _CLOSED
        elif not show_all:
            sql += " AND NOT " + _CLOSED
        if by_branch:
            sql += " ORDER BY nullif(branch,'trunk') COLLATE nocase, event.mtime DESC"
        else:
            sql += " ORDER BY event.mtime DESC"
        digits = hash_digits(repo)
        limit = max_chars(width, 7)
        stdout = sys.stdout.buffer
        last: object = 0
        n = 0
        for row in repo.all(sql):
            uuid, date, com, branch = str(row[1]), str(row[2]), str(row[3] or ""), row[7]
            if by_branch and branch != last:
                out(f"*** {'(null)' if branch is None else branch} ***")
                last = branch
                if multiple:
                    n = 0
            n += 1
            out(f"{f'({n})':>6} ", end="")
            point = ""
            if branch != main_branch:
                root = names.lookup(repo, "root:" + uuid, "ci", private=True)
                if root > 0:
                    ruuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (root,)))
                    point = f" (branched from: [{ruuid[:digits]}])"
            stdout.flush()
            _comment_print_legacy(stdout, f"{date} [{uuid[:digits]}] {com}{point}", 7, limit)
        stdout.flush()


def compute_leaves(here: Here, base: int) -> list[int]:
    """``compute_leaves(base, 0)``: the leaves descending from ``base`` (itself included)."""
    repo = here.repo
    seen: set[int] = set()
    pending = [base]
    found: list[int] = []
    while pending:
        rid = pending.pop()
        cnt = 0
        for (cid,) in repo.all(
            "SELECT cid FROM plink WHERE pid=?1 AND (isprim"
            " OR coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.pid),'trunk')"
            " =coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk'))",
            (rid,),
        ):
            if cid not in seen:
                seen.add(cid)
                pending.append(cid)
            if repo.one("SELECT 1 FROM tagxref WHERE rid=? AND tagid=8 AND tagtype=2 AND srcid>0", (cid,)) is None:
                cnt += 1
        if cnt == 0:
            from fossilpy.repo.tagwrite import is_a_leaf

            if not is_a_leaf(repo, rid):
                cnt += 1
        if cnt == 0:
            found.append(rid)
    return found


@command("descendants", context_settings=_CTX)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def descendants_cmd(words: tuple[str, ...]) -> None:
    """Show the leaf descendants of a check-in (default: the checkout's)."""
    import json

    from fossilpy.cli.history_cmds import _print_timeline

    args = Args("descendants", words)
    repository = args.value("repository", "R")
    with open_here(repository) as here:
        width = _width(args, 20)
        rest = args.verify()
        base = here.vid if not rest else rid_of(here, rest[0], "ci")
        if base == 0:
            return
        leaves = compute_leaves(here, base)
        sql = _tty_query(here)
        sql += " AND event.objid IN (SELECT value FROM json_each(?)) ORDER BY event.mtime DESC"
        cursor = here.repo.db.execute(sql, (json.dumps(sorted(set(leaves))),))
        _print_timeline(here.repo, cursor, 0, max_chars(width, 9), current_uuid(here))
        sys.stdout.flush()
