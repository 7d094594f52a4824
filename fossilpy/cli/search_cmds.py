"""``fossilpy search`` and ``fossilpy fts-config`` (Fossil 2.21 ``search_cmd``, ``fts_config_cmd``).

``fossilpy search [-a|--all] [-n|--limit N] [-W|--width N] PATTERN...``
matches the words against every timeline comment (the ``event`` table,
edited comments included) with Fossil's full-scan matcher and prints the
matches as ``fossil timeline`` lines, best score first, then newest.
Without ``-a`` only matches scoring more than a third of the best are
shown.  ``-n N`` limits entries (N > 0) or lines (N < 0; the default is
-1000).  As in Fossil 2.21, options it does not know are words of the
pattern (``-c`` searches for "c").

``fossilpy fts-config [reindex | index on|off | enable CDTWEF | disable CDTWEF
| stemmer on|off]`` changes the search configuration (the config rows
``search-ci``, ``search-doc``, ``search-tkt``, ``search-wiki``,
``search-technote``, ``search-forum``, ``search-stemmer`` that Fossil
reads) and the FTS5 index, then prints the status as Fossil does.
"""

from __future__ import annotations

import os
import sys

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import UserError
from fossilpy.settings import as_int, is_truth


@command("search", context_settings={"ignore_unknown_options": True, "help_option_names": ["-h", "--help"]})
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
@repository_option()
@click.option("-a", "--all", "show_all", is_flag=True, help="Output all matches, not just best matches.")
@click.option("-n", "--limit", "limit", default=None, help="Limit output to N matches.")
@click.option("-W", "--width", "width", default=None, help="Display width (>20, or 0 for unlimited).")
def search_cmd(
    words: tuple[str, ...], repository: str | None, show_all: bool, limit: str | None, width: str | None
) -> None:
    """Search timeline comments for all the words given (whole words score higher)."""
    from fossilpy.cli.history_cmds import _print_timeline
    from fossilpy.cli.where import current_uuid, open_here
    from fossilpy.repo.search import Pattern

    n = as_int(limit) if limit is not None else -1000
    w = as_int(width) if width is not None else -1
    if width is not None and w != 0 and w <= 20:
        raise UserError("-W|--width value must be >20 or 0")
    with open_here(repository, readonly=True) as here:
        repo = here.repo
        if not words:
            return
        pat = Pattern(" ".join(words), "*", "*", "...", html=False)
        utc = repo.config_int("timeline-utc", 1) != 0
        modifier = "0 seconds" if utc else "localtime"
        found = []
        for rid, uuid, date, comment in repo.all(
            "SELECT blob.rid, uuid, datetime(event.mtime,?), coalesce(ecomment,comment)"
            " FROM event, blob WHERE blob.rid=event.objid",
            (modifier,),
        ):
            if pat.match([comment]):
                found.append((pat.score, date or "", rid, uuid, comment))
        best = max((f[0] for f in found), default=0)
        if not show_all:
            found = [f for f in found if f[0] > best // 3]
        # SQLite's ORDER BY x DESC, date DESC returns ties latest row first
        found.sort(key=lambda f: (f[0], f[1], f[2]), reverse=True)
        rows = [
            (rid, uuid, date, comment, 0, 0, None, None, None, None, None) for _s, date, rid, uuid, comment in found
        ]
        if w < 0:
            try:
                cols: int | None = os.get_terminal_size(0).columns
            except OSError:
                cols = None
            max_chars = (cols - 9) if cols else -1
        else:
            max_chars = w - 9
        _print_timeline(repo, iter(rows), n, max_chars, current_uuid(here))  # type: ignore[arg-type]


_SUBCOMMANDS = ("reindex", "index", "disable", "enable", "stemmer")
_KINDS = (
    ("search-ci", "check-in search:", "c"),
    ("search-doc", "document search:", "d"),
    ("search-tkt", "ticket search:", "t"),
    ("search-wiki", "wiki search:", "w"),
    ("search-technote", "tech note search:", "e"),
    ("search-forum", "forum search:", "f"),
)


@command("fts-config")
@click.argument("args", nargs=-1)
@repository_option()
def fts_config_cmd(args: tuple[str, ...], repository: str | None) -> None:
    """Configure full-text search: reindex, index on|off, enable/disable cdtwef, stemmer on|off."""
    from fossilpy.repo import search_index
    from fossilpy.repo.search import SRCH_ALL, restrict

    icmd = 0
    if args:
        sub = args[0]
        for i, name in enumerate(_SUBCOMMANDS):
            if name.startswith(sub):
                icmd = i + 1
                break
        else:
            raise UserError(f'unknown "{sub}" - should be on of: {" ".join(_SUBCOMMANDS)}')
    out = sys.stdout
    with open_repo(repository) as repo:
        action = 0
        if icmd == 1 and search_index.exists(repo):
            action = 2
        if icmd == 2:
            if len(args) < 2:
                raise UserError("Usage: fossilpy fts-config index (on|off)")
            action = 1 + is_truth(args[1])
        with repo.write():
            if icmd in (3, 4):
                if len(args) < 2:
                    raise UserError(f"Usage: fossilpy fts-config {args[0]} STRING")
                for key, _label, letter in _KINDS:
                    if letter in args[1]:
                        repo.config_set(key, icmd - 3)
            if icmd == 5:
                if len(args) < 2:
                    raise UserError("Usage: fossilpy fts-config porter ON/OFF")
                repo.config_set("search-stemmer", int(is_truth(args[1])))
            if action >= 1:
                search_index.drop(repo)
            if action >= 2:
                out.write("rebuilding the search index...")
                out.flush()
                search_index.create(repo)
                search_index.fill(repo)
                search_index.update(repo, restrict(repo, SRCH_ALL, "ojr"))  # Fossil's command has no forum cap
                out.write(" done\n")
            for key, label, _letter in _KINDS:
                out.write(f"{label:<17} {'on' if repo.setting_bool(key) else 'off'}\n")
            out.write(f"{'Porter stemmer:':<17} {'on' if repo.setting_bool('search-stemmer') else 'off'}\n")
            if search_index.exists(repo):
                out.write(f"{'full-text index:':<17} FTS{search_index.index_type(repo)}\n")
                out.write(f"{'documents:':<17} {repo.one('SELECT count(*) FROM ftsdocs')}\n")
            else:
                out.write(f"{'full-text index:':<17} disabled\n")
