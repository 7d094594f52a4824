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
fossilpy bisect run ?-i|--interactive? COMMAND
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
    """Show the leaves (check-ins without children on their branch), newest first.

    \b
    leaves ?-a|--all? ?-c|--closed? ?--bybranch? ?-m|--multiple?
           ?--recompute? ?-W|--width N? ?-R REPO?
    """
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
    """Show the leaf descendants of a check-in (default: the checkout's).

    \b
    descendants ?CHECK-IN? ?-W|--width N? ?-R REPO?
    """
    import json

    from fossilpy.cli.history_cmds import _print_timeline

    args = Args("descendants", words)
    repository = args.value("repository", "R")
    with open_here(repository) as here:
        width = _width(args, 20)
        rest = args.verify()
        if not rest and here.ck is None:
            raise UserError("Database error: no such table: vvar")  # what fossil says (-R, no CHECK-IN)
        base = here.vid if not rest else rid_of(here, rest[0], "ci")
        if base == 0:
            return
        leaves = compute_leaves(here, base)
        sql = _tty_query(here)
        sql += " AND event.objid IN (SELECT value FROM json_each(?)) ORDER BY event.mtime DESC"
        cursor = here.repo.db.execute(sql, (json.dumps(sorted(set(leaves))),))
        _print_timeline(here.repo, cursor, 0, max_chars(width, 9), current_uuid(here))
        sys.stdout.flush()


@command("bisect", context_settings=_CTX)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def bisect_cmd(words: tuple[str, ...]) -> None:
    """Find the check-in that introduced a bug by bisecting between good and bad ones.

    \b
    bisect bad|good|skip ?VERSION?
    bisect next | undo | reset
    bisect log | chart
    bisect options ?NAME? ?VALUE?
    bisect vlist|ls|status ?-a|--all?
    bisect run ?-i|--interactive? COMMAND

    The state is kept in the checkout as Fossil keeps it.
    """
    from fossilpy.checkout import bisect
    from fossilpy.cli.where import open_checkout

    usage = "bad|good|log|chart|next|options|reset|run|skip|status|ui|undo"
    args = Args("bisect", words)
    start_ui = False
    with open_checkout() as here:
        ck = here.ck
        assert ck is not None
        rest = args.rest
        if not rest:
            raise args.usage(usage)
        cmd = rest[0] or "-"
        n = len(cmd)

        def abbrev(full: str) -> bool:
            return full[:n] == cmd[:n] and n <= len(full)

        found = False
        if abbrev("bad") or abbrev("good") or abbrev("skip"):
            found = True
            kind = "bad" if abbrev("bad") else "good" if abbrev("good") else "skip"
            rid = ck.vid if len(rest) == 1 else rid_of(here, rest[1], "ci")
            if rid > 0:
                if kind == "bad":
                    bisect.append_log(ck, -rid)
                    if bisect.option(ck, "auto-next") and ck.vget_int("bisect-good", 0) > 0:
                        cmd, n = "next", 4
                elif kind == "good":
                    bisect.append_log(ck, rid)
                    if bisect.option(ck, "auto-next") and ck.vget_int("bisect-bad", 0) > 0:
                        cmd, n = "next", 4
                else:
                    bisect.append_skip(ck, rid)
                    if (
                        bisect.option(ck, "auto-next")
                        and ck.vget_int("bisect-bad", 0) > 0
                        and ck.vget_int("bisect-good", 0) > 0
                    ):
                        cmd, n = "next", 4
        elif abbrev("undo"):
            found = True
            good, bad = bisect.undo(ck)
            if good and bad:
                cmd, n = "next", 4
        if cmd[:n] == "next"[:n] and n <= 4:
            _bisect_next(here)
        elif abbrev("log"):
            _bisect_chart(here, False)
        elif abbrev("chart"):
            _bisect_chart(here, True)
        elif abbrev("run"):
            _bisect_run(here, rest[1:])
        elif abbrev("options"):
            _bisect_options(here, rest[1:], args)
        elif abbrev("reset"):
            bisect.reset(ck)
        elif cmd == "ui":
            start_ui = True
        elif abbrev("vlist") or abbrev("ls") or abbrev("status"):
            show_all = args.flag("all", "a")
            _bisect_list(here, not show_all)
        elif not found:
            raise args.usage(usage)
        sys.stdout.flush()
    if start_ui:
        _bisect_ui()


def _bisect_ui() -> None:
    """``bisect ui``: ``ui --page timeline?bisect`` from the check-out (the page
    shows this check-out's bisect: :mod:`fossilpy.web.timeline_bisect`).  As
    in Fossil, the other words after ``ui`` are not passed on."""
    from fossilpy.cli.serve_cmds import ui_cmd

    ui_cmd.main(args=["--page", "timeline?bisect"], prog_name="ui", standalone_mode=False)


def _bisect_next(here: Here) -> None:
    from fossilpy.checkout import bisect

    ck = here.ck
    assert ck is not None
    display = ck.vget("bisect-display", "chart") or ""
    path, _good, _bad = bisect.bisect_path(ck)
    if bisect.is_truth(ck.vget("bisect-linear", "0")):
        mid = path.next()
        if mid is not None and mid.rid == ck.vid:
            mid = None
    else:
        mid = path.midpoint()
    if mid is None:
        out("bisect complete")
        ck.vset("bisect-complete", 1)
    else:
        from fossilpy.checkout import update
        from fossilpy.cli.checkout_cmds import _common_info, _out

        uuid = str(here.repo.one("SELECT uuid FROM blob WHERE rid=?", (mid.rid,)))
        sys.stdout.flush()
        o = update.Options(version=uuid, cmdline=f"update {uuid}", cwd=__import__("os").getcwd())
        update.update(ck, o, _out, lambda rid, label: _common_info(ck, rid, label, family=False))
        out(f"span: {path.not_hidden}  steps-remaining: {path.search_depth()}")
    m = len(display)
    if "chart"[:m] == display and m <= 5:
        _bisect_chart(here, True)
    elif "log"[:m] == display and m <= 3:
        _bisect_chart(here, False)
    elif "status"[:m] == display and m <= 6:
        _bisect_list(here, True)


def _bisect_chart(here: Here, by_time: bool) -> None:
    from fossilpy.checkout import bisect

    assert here.ck is not None
    for seq, stat, date, uuid, is_current in bisect.chart_rows(here.ck, by_time):
        mark = " CURRENT" if is_current and stat[0] != "C" else ""
        out(f"{seq:3d} {stat:<7} {date} {uuid}{mark}")


def _bisect_options(here: Here, words: list[str], args: Args) -> None:
    from fossilpy.checkout import bisect
    from fossilpy.cli.history_cmds import _comment_print_legacy

    ck = here.ck
    assert ck is not None
    if not words:
        for name, default, desc in bisect.OPTIONS:
            out(f"  {name:<15}  {ck.vget('bisect-' + name, default) or '':<6}  ", end="")
            sys.stdout.flush()
            _comment_print_legacy(sys.stdout.buffer, desc, 27, max_chars(None, 27))
    elif len(words) in (1, 2):
        key = words[0]
        for name, default, _ in bisect.OPTIONS:
            if name.startswith(key):
                if len(words) == 2:
                    ck.vset("bisect-" + name, words[1])
                out(ck.vget("bisect-" + name, default) or "")
                return
        raise UserError(f"no such bisect option: {key}")
    else:
        raise args.usage("options ?NAME? ?VALUE?")


def _bisect_list(here: Here, abbreviated: bool) -> None:
    from fossilpy.checkout import bisect
    from fossilpy.repo.crosslink.tags import hash_digits

    ck = here.ck
    assert ck is not None
    vid = ck.vid
    path, good, bad = bisect.bisect_path(ck)
    nodes = list(reversed(path.nodes))  # from the end (bad) back to the start (good)
    nstep = path.steps
    hidden = [n.hidden for n in nodes]
    if abbreviated:
        hidden = [True] * len(nodes)
        for i, node in enumerate(nodes):
            if node.rid in (good, bad, vid) or (nstep > 1 and i == nstep // 2):
                hidden[i] = False
                if i + 1 < len(nodes):
                    hidden[i + 1] = False
        for i in range(len(nodes)):
            if i + 1 < len(nodes) and not hidden[i + 1]:
                hidden[i] = False
    digits = hash_digits(here.repo)
    nhidden = 0
    for i, node in enumerate(nodes):
        nxt_hidden = i + 1 < len(nodes) and hidden[i + 1]
        if hidden[i] and (nhidden or nxt_hidden):
            nhidden += 1
            continue
        if nhidden:
            out(f"  ... {nhidden} other check-ins omitted")
            nhidden = 0
        row = here.repo.row(
            "SELECT blob.uuid, datetime(event.mtime) FROM blob, event"
            " WHERE blob.rid=?1 AND event.objid=?1 AND event.type='ci'",
            (node.rid,),
        )
        if row is None:
            continue
        line = f"{row[1]} {str(row[0])[:digits]}"
        if node.rid == good:
            line += " GOOD"
        if node.rid == bad:
            line += " BAD"
        if node.rid == vid:
            line += " CURRENT"
        if nstep > 1 and i == nstep // 2:
            line += " NEXT"
        out(line)


def _bisect_run(here: Here, words: list[str]) -> None:
    """``bisect_run``: run COMMAND (through the shell) until the bisect is complete; its
    wait status 0 means good, 125 skip, anything else bad (as Fossil reads ``system()``)."""
    import os
    import shlex

    ck = here.ck
    assert ck is not None
    if not words:
        raise UserError("Usage: fossil bisect run [OPTIONS] COMMAND\n")
    interactive = False
    for word in words[:-1]:
        w = word[1:] if word.startswith("--") and len(word) > 2 else word
        if w in ("-i", "-interactive"):
            interactive = True
            continue
        raise UserError(f'unknown command-line option: "{word}"\n')
    command_line = words[-1]
    if ck.one("SELECT count(*) FROM localdb.vvar WHERE name IN ('bisect-good','bisect-bad')") != 2:
        raise UserError('need good/bad boundaries to use "fossil bisect run"')
    me = shlex.quote(sys.executable) + " -m fossilpy"
    # Fossil's own lines sit in its stdout buffer when that is not a terminal: they come
    # out after the output of the commands it ran
    tty = sys.stdout.isatty()
    later: list[str] = []
    try:
        while ck.vget_int("bisect-complete", 0) == 0:
            sys.stdout.flush()
            rc = os.system(command_line)
            if interactive:
                out(f"test-command result: {rc}")
                while True:
                    sys.stdout.write("Enter (g)ood, (b)ad, (s)kip, (a)uto, (h)alt: ")
                    sys.stdout.flush()
                    answer = sys.stdin.readline()
                    if not answer:
                        return
                    answer = answer.strip().lower()
                    if not answer:
                        continue
                    if "good".startswith(answer):
                        rc = 0
                        break
                    if "bad".startswith(answer):
                        rc = 1
                        break
                    if "skip".startswith(answer):
                        rc = 125
                        break
                    if "auto".startswith(answer):
                        interactive = False
                        break
                    if "halt".startswith(answer):
                        return
            step = " bisect good" if rc == 0 else " bisect skip" if rc == 125 else " bisect bad"
            if tty:
                out(me + step)
                sys.stdout.flush()
            else:
                later.append(me + step)
            os.system(me + step)
    finally:
        for line in later:
            out(line)
