"""The ``branch`` and ``tag`` commands (Fossil 2.21 ``src/branch.c``,
``src/tag.c``), on the repository of ``-R`` or of the open checkout.

\b
fossilpy branch new NAME BASIS ?--private? ?--bgcolor COLOR? ?--nosign?
                ?--date-override DATE? ?--user-override USER?
    A new check-in on branch NAME with the files of BASIS; prints
    "New branch: HASH".
fossilpy branch list|ls ?-a|--all? ?-c|--closed? ?-p? ?-r? ?-t? ?GLOB?
fossilpy branch lsh ?OPTIONS? ?LIMIT?
    Branch names, the checkout's branch marked "* ", private ones "#".
fossilpy branch close|reopen ?-n|--dry-run? ?-v|--verbose?
                ?--date-override DATE? ?--user-override USER? NAME...
fossilpy branch hide|unhide (same options) NAME...
    One control artifact adding (cancelling) "closed" ("hidden") tags.
fossilpy branch current
fossilpy branch info NAME...
\b
fossilpy tag add ?--raw? ?--propagate? ?-n|--dry-run?
             ?--date-override DATE? ?--user-override USER? TAGNAME ARTIFACT ?VALUE?
fossilpy tag cancel ?--raw? (same options) TAGNAME ARTIFACT
fossilpy tag find ?--raw? ?-t|--type TYPE? ?-n|--limit N? TAGNAME
fossilpy tag list|ls ?--raw? ?-t|--tagtype TYPE? ?-v|--inverse? ?--prefix P? ?ARTIFACT?

Options may be given anywhere on the line, with one dash or two.
"""

from __future__ import annotations

import sys

import click

from fossilpy.cli.common import command
from fossilpy.cli.history_cmds import _TIMELINE_SQL
from fossilpy.cli.where import Args, Here, current_uuid, login, lookup, open_here, out, rid_of, std_date, warn
from fossilpy.errors import UserError

_CTX = {"ignore_unknown_options": True, "allow_interspersed_args": False, "help_option_names": ["--help"]}


def _prefix(sub: str, word: str, minimum: int = 1) -> bool:
    """Fossil's ``strncmp(word, sub, strlen(word))==0``: ``word`` abbreviates ``sub``."""
    return len(word) >= minimum and sub.startswith(word)


# -- branch ----------------------------------------------------------------------


@command("branch", context_settings=_CTX)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def branch_cmd(words: tuple[str, ...]) -> None:
    """Manage branches: new, list, close, reopen, hide, unhide, current, info.

    \b
    branch new NAME BASIS ?--private? ?--bgcolor COLOR|auto? ?--nosign?
               ?--date-override DATE? ?--user-override USER?
    branch list|ls ?-a|--all? ?-c|--closed? ?-p? ?-r? ?-t? ?GLOB?
    branch lsh ?OPTIONS? ?LIMIT?
    branch close|reopen|hide|unhide ?-n|--dry-run? ?-v|--verbose?
               ?--date-override DATE? ?--user-override USER? NAME...
    branch current
    branch info NAME...

    -R|--repository REPO works on REPO instead of the open checkout's.
    """
    args = Args("branch", words)
    repository = args.value("repository", "R")
    with open_here(repository) as here:
        rest = args.rest
        cmd = rest[0] if rest else "list"
        args.rest = rest[1:]
        if _prefix("current", cmd, 0):
            if here.ck is None:
                raise UserError("not within an open check-out")
            value = here.repo.one("SELECT value FROM tagxref WHERE rid=? AND tagid=8", (here.vid,))
            out("(null)" if value is None else str(value))
        elif _prefix("info", cmd, 0):
            _branch_info(here, args.rest)
        elif _prefix("list", cmd, 0) or _prefix("ls", cmd, 0) or cmd == "lsh":
            _branch_list(here, args, cmd == "lsh")
        elif _prefix("new", cmd, 0):
            _branch_new(here, args)
        elif cmd.startswith(("close", "reopen")):
            verb = "close" if cmd.startswith("close") else "reopen"
            if not args.rest:
                raise args.usage(f"branch {verb} branch-name(s)...")
            _branch_close(here, args, verb == "close")
        elif cmd.startswith(("hide", "unhide")):
            verb = "hide" if cmd.startswith("hide") else "unhide"
            if not args.rest:
                raise args.usage(f"branch {verb} branch-name(s)...")
            _branch_hide(here, args, verb == "hide")
        else:
            raise UserError("branch subcommand should be one of: close current hide info list ls lsh new reopen unhide")
        import sys

        sys.stdout.flush()


def _branch_info(here: Here, names: list[str]) -> None:
    from fossilpy.repo.tagwrite import branch_is_open

    repo = here.repo
    utc = repo.config_int("timeline-utc", 1) != 0
    for name in names:
        rid = branch_is_open(repo, name)
        if not rid:
            out(f"{name}: not an open branch")
            continue
        uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
        tz = "" if utc else ",'localtime'"
        date = repo.one(f"SELECT datetime(mtime{tz}) FROM event WHERE objid=?", (rid,))
        out(f"{name}: open as of {date} on {uuid[:16]}")


#: ``createBrlistQuery`` of branch.c: one row per branch name
_BRLIST = """
SELECT
  tagxref.value AS name,
  max(event.mtime) AS mtime,
  EXISTS(SELECT 1 FROM tagxref AS tx
          WHERE tx.rid=tagxref.rid
            AND tx.tagid=(SELECT tagid FROM tag WHERE tagname='closed')
            AND tx.tagtype>0) AS isclosed,
  count(*) AS nckin,
  EXISTS(SELECT 1 FROM private WHERE rid=tagxref.rid) AS isprivate
 FROM tagxref, tag, event
WHERE tagxref.tagid=tag.tagid
  AND tagxref.tagtype>0
  AND tag.tagname='branch'
  AND event.objid=tagxref.rid
GROUP BY 1
"""


_WHICH = {"closed": " WHERE isclosed", "both": " WHERE 1", "open": " WHERE NOT isclosed"}


def _branch_list(here: Here, args: Args, lsh: bool) -> None:
    which = "open"
    if args.flag("all", "a"):
        which = "both"
    if args.flag("closed", "c"):
        which = "closed"
    by_mtime = args.flag("t")
    reverse = args.flag("r")
    private_only = args.flag("p")
    rest = args.verify()
    limit = 0
    glob: str | None = None
    if lsh:
        limit = 5
        if len(rest) > 1 or (len(rest) == 1 and _atoi(rest[0]) == 0):
            raise UserError("the lsh subcommand allows one optional numeric argument")
        if rest:
            limit = _atoi(rest[0])
        by_mtime = True
    elif rest:
        glob = rest[0]
    if not by_mtime:
        limit = 0
    limit = abs(limit)
    where = _WHICH[which]
    params: list[object] = []
    if private_only:
        where += " AND isprivate"
    if glob is not None:
        where += " AND (name GLOB ?)"
        params.append(glob)
    order = " ORDER BY -mtime" if by_mtime else " ORDER BY name COLLATE nocase"
    if reverse and not limit:
        order += " DESC"
    if limit:
        order += f" LIMIT {int(limit)}"
    sql = f"SELECT name, isprivate FROM (SELECT name, isprivate, mtime FROM ({_BRLIST}){where}{order})"
    if reverse and limit:
        sql += " ORDER BY mtime"
    current = None
    if here.ck is not None:
        current = here.repo.one("SELECT value FROM tagxref WHERE rid=? AND tagid=8", (here.vid,))
    for name, isprivate in here.repo.all(sql, tuple(params)):
        is_priv = current is not None and isprivate == 1
        is_cur = current is not None and current == name
        mark = " " if private_only else ("#" if is_priv else " ")
        out(f"{mark}{'* ' if is_cur else '  '}{name}")


def _atoi(text: str) -> int:
    """C's ``atoi``: the leading optional sign and digits, 0 if none."""
    import re

    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0


def _branch_new(here: Here, args: Args) -> None:
    from fossilpy.repo import content, tagwrite

    args.flag("nosign")
    color = args.value("bgcolor", "c")
    auto = color is not None and color.startswith("auto")
    if auto:
        color = None
    private = args.flag("private")
    date_ovrd = args.value("date-override")
    user_ovrd = args.value("user-override")
    rest = args.verify()
    if len(rest) < 2:
        raise args.usage("new BRANCH-NAME BASIS ?OPTIONS?")
    name, basis = rest[0], rest[1]
    repo = here.repo
    if not name:
        raise UserError("branch name cannot be empty")
    if tagwrite.branch_is_open(repo, name):
        raise UserError(f'an open branch named "{name}" already exists')
    user = login(here)
    root = rid_of(here, basis, "ci")
    date = std_date(repo, date_ovrd)
    if content.is_private(repo, root):
        private = True
    if private and color is None and not auto:
        color = tagwrite.PRIVATE_COLOR
    try:
        m = tagwrite.branch_checkin(repo, name, root, color=color, private=private, date=date, user=user_ovrd or user)
    except UserError:
        raise UserError(f"{basis} is not a valid check-in") from None
    stored = tagwrite.store(repo, m, private=private, unsent=True, deltify=root)
    out(f"New branch: {stored.uuid}")
    if not private and here.ck is not None:  # autosync_loop(SYNC_PUSH, 0, "branch")
        from fossilpy.cli import autosync
        from fossilpy.cli.checkout_cmds import _out

        sys.stdout.flush()
        autosync.run(here.ck, "branch", _out, push=True, pull=False)


def _resolve_checkin(here: Here, name: str) -> tuple[int, str]:
    """``branch_resolve_name``."""
    rid = lookup(here, name, "ci")
    if rid == 0:
        raise UserError(f"Cannot resolve name: {name}")
    if rid < 0:
        raise UserError(f"Ambiguous name: {name}")
    return rid, str(here.repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))


def _finalize(
    here: Here,
    cards: dict[int, tuple[str, str]],
    dry_run: bool,
    verbose: bool,
    date_ovrd: str | None,
    user_ovrd: str | None,
) -> None:
    """``branch_cmd_tag_finalize``: one control artifact with the queued tags."""
    from fossilpy.repo import tagwrite

    repo = here.repo
    if not cards:
        warn("No tags added - nothing to do.")
        return
    date = std_date(repo, date_ovrd)
    user = user_ovrd or login(here)
    m = tagwrite.tags_artifact(sorted(cards.values(), key=lambda c: (c[1], c[0])), date, user)
    if dry_run and verbose:
        out("Dry-run mode: will roll back new artifact:\n" + m.to_bytes().decode("utf-8", "surrogateescape"), end="")
    with repo.write():
        stored = tagwrite.store(repo, m, unsent=False)
        out(f"Saved new control artifact {stored.uuid} (RID {stored.rid}).")
        repo.execute("INSERT OR IGNORE INTO unsent VALUES(?)", (stored.rid,))
        if dry_run:
            out("Dry-run mode: rolling back new artifact.")
            raise _Rollback
    return


class _Rollback(Exception):
    """Raised inside the write transaction to undo a dry run."""


def _branch_close(here: Here, args: Args, close: bool) -> None:
    from fossilpy.repo import tagwrite

    verbose = args.flag("verbose", "v")
    dry_run = args.flag("dry-run", "n")
    date_ovrd = args.value("date-override")
    user_ovrd = args.value("user-override")
    names = args.verify()
    cards: dict[int, tuple[str, str]] = {}
    for name in names:
        rid, uuid = _resolve_checkin(here, name)
        closed = tagwrite.leaf_is_closed(here.repo, rid)
        if not tagwrite.is_a_leaf(here.repo, rid):
            warn(f"Skipping non-leaf [{name}] {uuid}")
            continue
        if close and closed:
            warn(f"Skipping closed leaf [{name}] {uuid}")
            continue
        if not close and not closed:
            warn(f"Skipping non-closed leaf [{name}] {uuid}")
            continue
        cards.setdefault(rid, (uuid, "+closed" if close else "-closed"))
        if verbose:
            out(f"{'Closing' if close else 'Re-opening'} branch [{name}] {uuid}")
    _run_finalize(here, cards, dry_run, verbose, date_ovrd, user_ovrd)


def _branch_hide(here: Here, args: Args, hide: bool) -> None:
    verbose = args.flag("verbose", "v")
    dry_run = args.flag("dry-run", "n")
    date_ovrd = args.value("date-override")
    user_ovrd = args.value("user-override")
    names = args.verify()
    cards: dict[int, tuple[str, str]] = {}
    for name in names:
        rid, uuid = _resolve_checkin(here, name)
        hidden = here.repo.one("SELECT 1 FROM tagxref WHERE tagid=5 AND rid=? AND tagtype>0", (rid,)) is not None
        if hide and hidden:
            warn(f"Skipping hidden check-in {name}: {uuid}.")
            continue
        if not hide and not hidden:
            warn(f"Skipping non-hidden check-in {name}: {uuid}.")
            continue
        cards.setdefault(rid, (uuid, "*hidden" if hide else "-hidden"))
        if verbose:
            out(f"{'Hiding' if hide else 'Unhiding'} check-in [{name}] {uuid}")
    _run_finalize(here, cards, dry_run, verbose, date_ovrd, user_ovrd)


def _run_finalize(
    here: Here,
    cards: dict[int, tuple[str, str]],
    dry_run: bool,
    verbose: bool,
    date_ovrd: str | None,
    user_ovrd: str | None,
) -> None:
    try:
        _finalize(here, cards, dry_run, verbose, date_ovrd, user_ovrd)
    except _Rollback:
        pass


# -- tag ---------------------------------------------------------------------------


def _check_tagname(tag: str) -> None:
    """``tag_cmd_tagname_check``: names Fossil keeps for itself."""
    if tag.startswith(("wiki-", "tkt-", "event-")):
        raise UserError(f"Invalid prefix for tag name: {tag}")


def _object_type(here: Here, name: str) -> str:
    """``whatis_rid_type(symbolic_name_to_rid(name, 0))``: the event type letter, "" if none."""
    rid = lookup(here, name, "*")
    if rid <= 0:
        return ""
    etype = here.repo.one("SELECT type FROM event WHERE objid=?", (rid,))
    return str(etype)[:1] if etype else ""


@command("tag", context_settings=_CTX)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def tag_cmd(words: tuple[str, ...]) -> None:
    """Control tags and properties: add, cancel, find, list.

    \b
    tag add ?--raw? ?--propagate? ?-n|--dry-run? ?--date-override DATE?
            ?--user-override USER? TAGNAME ARTIFACT-ID ?VALUE?
    tag cancel ?--raw? ?-n|--dry-run? ?--date-override DATE?
            ?--user-override USER? TAGNAME ARTIFACT-ID
    tag find ?--raw? ?-t|--type TYPE? ?-n|--limit N? TAGNAME
    tag list|ls ?--raw? ?-t|--tagtype TYPE? ?-v|--inverse? ?--prefix P? ?ARTIFACT-ID?

    -R|--repository REPO works on REPO instead of the open checkout's.
    """
    args = Args("tag", words)
    repository = args.value("repository", "R")
    with open_here(repository) as here:
        if not args.rest or not args.rest[0]:
            raise args.usage("add|cancel|find|list ...")
        cmd = args.rest.pop(0)
        if _prefix("add", cmd):
            _tag_add(here, args, cancel=False)
        elif _prefix("branch", cmd):
            raise UserError(
                'the "fossil tag branch" command is discontinued\nUse the "fossil branch new" command instead.'
            )
        elif _prefix("cancel", cmd):
            _tag_add(here, args, cancel=True)
        elif _prefix("find", cmd):
            _tag_find(here, args)
        elif _prefix("list", cmd) or _prefix("ls", cmd):
            _tag_list(here, args)
        else:
            raise args.usage("add|cancel|find|list ...")
        import sys

        sys.stdout.flush()


def _tag_add(here: Here, args: Args, *, cancel: bool) -> None:
    from fossilpy.repo import content, tagwrite

    raw = args.flag("raw")
    propagate = False if cancel else args.flag("propagate")
    date_ovrd = args.value("date-override")
    user_ovrd = args.value("user-override")
    dry_run = args.flag("dry-run", "n")
    rest = args.rest
    if cancel and len(rest) != 2:
        raise args.usage("cancel ?options? TAGNAME ARTIFACT-ID")
    if not cancel and len(rest) not in (2, 3):
        raise args.usage("add ?options? TAGNAME ARTIFACT-ID ?VALUE?")
    tag, obj = rest[0], rest[1]
    value = rest[2] if len(rest) == 3 else None
    _check_tagname(tag)
    kind = _object_type(here, obj)
    if not kind:
        raise UserError(f"Cannot resolve artifact ID: {obj}")
    prefix = ("" if raw else "sym-") if kind == "c" else ""
    repo = here.repo
    user = login(here)
    rid = rid_of(here, obj, "*")
    uuid = str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
    date = std_date(repo, date_ovrd)
    tagtype = 0 if cancel else 1 + int(propagate)
    m = tagwrite.tag_artifact(prefix, tag, uuid, value, tagtype, date, user_ovrd or user)
    if dry_run:
        out(m.to_bytes().decode("utf-8", "surrogateescape"), end="")
    else:
        tagwrite.store(repo, m, private=content.is_private(repo, rid))
    if here.ck is not None:
        from fossilpy.checkout import vfile

        vfile.manifest_to_disk(here.ck, rid)  # as tag_add_artifact: the tagged artifact's manifest files


#: Fossil's ``timeline_query_for_tty`` (the CLI timeline rows): the one in history_cmds
TTY_QUERY = _TIMELINE_SQL


TTY_QUERY_UTC = TTY_QUERY.format(tz="")
TTY_QUERY_LOCAL = TTY_QUERY.format(tz=",'localtime'")


def _tag_find(here: Here, args: Args) -> None:
    from fossilpy.cli.history_cmds import _print_timeline

    raw = args.flag("raw")
    limit_text = args.value("limit", "n")
    limit = _atoi(limit_text) if limit_text is not None else -2000
    etype = args.value("type", "t")
    if not etype:
        etype = "*"
    rest = args.rest
    if len(rest) != 1:
        raise args.usage("find ?--raw? ?-t|--type TYPE? ?-n|--limit #? TAGNAME")
    repo = here.repo
    if raw:
        sql = (
            "SELECT blob.uuid FROM tagxref, blob WHERE tagid=(SELECT tagid FROM tag WHERE tagname=?)"
            " AND tagxref.tagtype>0 AND blob.rid=tagxref.rid"
        )
        if limit > 0:
            sql += f" LIMIT {int(limit)}"
        for (uuid,) in repo.all(sql, (rest[0],)):
            out(str(uuid))
        return
    tagid = repo.one("SELECT tagid FROM tag WHERE tagname=?", (("sym-" if etype[0] == "c" else "") + rest[0],))
    if not tagid or int(tagid) <= 0:
        return
    utc = repo.config_int("timeline-utc", 1) != 0
    sql = (
        (TTY_QUERY_UTC if utc else TTY_QUERY_LOCAL)
        + " AND event.type GLOB ? AND blob.rid IN (SELECT rid FROM tagxref WHERE tagtype>0 AND tagid=?)"
        " ORDER BY event.mtime DESC"
    )
    _print_timeline(repo, repo.db.execute(sql, (etype, tagid)), limit, 79 - 9, current_uuid(here))


def _tag_list(here: Here, args: Args) -> None:
    raw = args.flag("raw")
    tagtype_text = args.value("tagtype", "t")
    inverse = args.flag("inverse", "v")
    prefix = args.value("prefix")
    ntype = -1 if raw else 0
    if tagtype_text is not None:
        if "cancel".startswith(tagtype_text):
            ntype = 0
        elif "singleton".startswith(tagtype_text):
            ntype = 1
        elif "propagated".startswith(tagtype_text):
            ntype = 2
        else:
            raise UserError("unrecognized tag type")
    op = ("<>" if inverse else "=") if tagtype_text is not None else ">"
    rest = args.rest
    repo = here.repo
    from fossilpy.repo.tagwrite import register_uintnocase

    register_uintnocase(repo)
    if not rest:
        nprefix = len(prefix.encode("utf-8", "surrogateescape")) if prefix else 0
        rows = repo.all(
            "SELECT tagname FROM tag WHERE EXISTS(SELECT 1 FROM tagxref WHERE tagid=tag.tagid AND tagtype"
            + op
            + "?) AND CASE WHEN ? IS NULL THEN 1 ELSE tagname GLOB ?||'*' END ORDER BY tagname COLLATE uintnocase",
            (ntype, prefix, prefix),
        )
        for (name,) in rows:
            name = str(name)
            if raw:
                out(name)
            elif nprefix > 0:
                out(name.encode("utf-8", "surrogateescape")[nprefix:].decode("utf-8", "surrogateescape"))
            elif name.startswith("sym-"):
                out(name[4:])
    elif len(rest) == 1:
        obj = rest[0]
        rid = rid_of(here, obj, "*")
        kind = str(repo.one("SELECT type FROM event WHERE objid=?", (rid,)) or "")[:1]
        if not kind:
            raise UserError(f"Cannot resolve artifact ID: {obj}")
        strip = None
        if not raw:
            strip = {"c": "sym-", "w": "wiki-", "t": "tkt-", "e": "event-"}.get(kind)
        for name, value in repo.all(
            "SELECT tagname, value FROM tagxref, tag WHERE tagxref.rid=? AND tagxref.tagid=tag.tagid"
            " AND tagtype" + op + "? ORDER BY tagname COLLATE uintnocase",
            (rid, ntype),
        ):
            name = str(name)
            if strip and name.startswith(strip):
                name = name[len(strip) :]
            out(f"{name}={value}" if value else name)
    else:
        raise args.usage("list ?OPTIONS? ?CHECK-IN?")
