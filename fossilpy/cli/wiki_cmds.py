"""The ``wiki`` command: list, export, create and commit wiki pages and
technotes, as Fossil 2.21's ``wiki_cmd`` (``src/wiki.c``).

\b
fossilpy wiki export ?OPTIONS? PAGENAME ?FILE?
fossilpy wiki export ?OPTIONS? -t|--technote DATETIME|TECHNOTE-ID|TAG ?FILE?
    Write the newest version of a page (or technote) to FILE or standard
    output ("-").  -h|--html renders it as HTML, -H|--HTML also wraps it in
    <html><body>, -p|--pre wraps a plain-text page in <pre>.
fossilpy wiki (create|commit) PAGENAME ?FILE? ?OPTIONS?
    Create a page, or commit a new version of an existing one, from FILE or
    standard input.  -M|--mimetype TEXT-FORMAT (text/x-fossil-wiki,
    text/x-markdown, text/plain, or wiki, markdown, plain; default: the
    previous version's).  -t|--technote DATETIME|TECHNOTE-ID makes or
    updates a technote whose timeline comment is PAGENAME, with
    --technote-tags TAGS and --technote-bgcolor COLOR.
fossilpy wiki (list|ls) ?OPTIONS?
    Page names, one a line, ordered ignoring case.  --all: deleted pages
    too; -a|--show-associated: pages about check-ins and branches too;
    -t|--technote: technote times instead, newest first;
    -s|--show-technote-ids: each technote's id before its time.

The page "Sandbox" (any letter case) is kept in the repository's
configuration, not as an artifact.  Options may be written with one dash
or two, anywhere on the line.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import Manifest
    from fossilpy.repo.db import Repo


class _Args:
    """Fossil's ``find_option`` over the words after the subcommand."""

    def __init__(self, words: list[str]) -> None:
        self.words = words

    def option(self, long: str, short: str | None, *, value: bool = False) -> str | None:
        """Remove ``--long``/``-short`` (with its value when ``value``); its value, "" for a flag, None if absent."""
        names = {"-" + long, "--" + long} | ({"-" + short, "--" + short} if short else set())
        for i, word in enumerate(self.words):
            if word == "--":
                return None
            head, eq, tail = word.partition("=")
            if value and eq and head in names:
                del self.words[i]
                return tail
            if word in names:
                if not value:
                    del self.words[i]
                    return ""
                if i + 1 < len(self.words):
                    got = self.words[i + 1]
                    del self.words[i : i + 2]
                    return got
        return None

    def verify(self) -> list[str]:
        """The remaining words; an error for any unknown option (``verify_all_options``)."""
        out = []
        for word in self.words:
            if word.startswith("-") and word != "-":
                raise UserError(f"unrecognized command-line option or missing argument: {word}")
            out.append(word)
        return out


def _usage(text: str) -> UserError:
    return UserError(f"Usage: fossilpy wiki {text}")


@command("wiki", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@repository_option()
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def wiki_cmd(repository: str | None, words: tuple[str, ...]) -> None:
    """Work with wiki pages and technotes: export, create, commit, list."""
    args = _Args(list(words))
    repo_opt = args.option("repository", "R", value=True)
    repository = repo_opt or repository
    show_all = args.option("all", None) is not None
    sub = args.words.pop(0) if args.words and not args.words[0].startswith("-") else ""
    with open_repo(repository) as repo:
        if sub and "export".startswith(sub):
            _export(repo, args)
        elif sub and ("commit".startswith(sub) or "create".startswith(sub)):
            _commit(repo, args, create=sub[1:2] == "r")
        elif sub and "delete".startswith(sub):
            if len(args.verify()) != 1:
                raise _usage("delete PAGENAME")
            raise UserError("delete not yet implemented.")
        elif sub and ("list".startswith(sub) or "ls".startswith(sub)):
            _list(repo, args, show_all)
        else:
            raise _usage("export|create|commit|list ...")


def _list(repo: Repo, args: _Args, show_all: bool) -> None:
    from fossilpy.repo import wiki

    technotes = args.option("technote", "t") is not None
    show_ids = args.option("show-technote-ids", "s") is not None
    associated = args.option("show-associated", "a") is not None
    args.verify()
    if technotes:
        for when, tid, _rid in wiki.technotes(repo):
            click.echo(f"{tid} {when}" if show_ids else when)
        return
    for row in wiki.pages(repo):
        if not show_all and not row.rid:
            continue
        if not associated and row.name.startswith(("checkin/", "branch/")):
            continue
        click.echo(row.name)


def technote_rid(repo: Repo, spec: str) -> int:
    """The technote named by an id prefix, a time or a tag (``wiki_technote_to_rid``); 0 none, -1 ambiguous."""
    rid = 0
    if 4 <= len(spec) <= 64 and all(c in "0123456789abcdefABCDEF" for c in spec):
        rows = repo.all(
            "SELECT e.objid FROM event e, tag t WHERE e.type='e' AND e.tagid IS NOT NULL AND t.tagid=e.tagid"
            " AND t.tagname GLOB 'event-'||?||'*' LIMIT 2",
            (spec.lower(),),
        )
        rid = -1 if len(rows) > 1 else (int(rows[0][0]) if rows else 0)
    if not rid and len(spec) > 4:
        rid = int(
            repo.one(
                "SELECT objid FROM event WHERE datetime(mtime)=datetime(?) AND type='e' AND tagid IS NOT NULL"
                " ORDER BY objid DESC LIMIT 1",
                (spec,),
                0,
            )
        )
    if not rid:
        rid = int(
            repo.one(
                "SELECT e.objid FROM event e WHERE e.type='e' AND e.tagid IS NOT NULL AND e.objid IN"
                " (SELECT rid FROM tagxref WHERE tagid IN (SELECT tagid FROM tag"
                " WHERE tagname GLOB ? OR tagname GLOB 'sym-'||?)) ORDER BY e.mtime DESC LIMIT 1",
                (spec, spec),
                0,
            )
        )
    return rid


def _export(repo: Repo, args: _Args) -> None:
    from fossilpy.repo import wiki

    html = 2 if args.option("HTML", "H") is not None else (1 if args.option("html", "h") is not None else 0)
    pre = html != 0 and args.option("pre", "p") is not None
    technote = args.option("technote", "t", value=True)
    rest = args.verify()
    mimetype = wiki.DEFAULT_MIMETYPE
    if technote is None:
        if len(rest) not in (1, 2):
            raise _usage("export ?-html? PAGENAME ?FILE?")
        name = rest[0]
        body: str | None = None
        if wiki.is_sandbox(name):
            text, mimetype = wiki.sandbox(repo)
            body = text if repo.config_get("sandbox") is not None else None
        else:
            page = wiki.current(repo, name)
            if page is not None:
                body, mimetype = page.text, wiki.filter_mimetype(page.mimetype)
        if body is None:
            raise UserError(f"wiki page [{name}] not found")
        out = rest[1] if len(rest) == 2 else "-"
    else:
        if len(rest) > 1:
            raise _usage("export ?-html? ?FILE? --technote DATETIME|TECHNOTE-ID")
        rid = technote_rid(repo, technote)
        if rid == -1:
            raise UserError(f"ambiguous tech note id: {technote}")
        note = _technote(repo, rid) if rid > 0 else None
        if note is None or note.text is None:
            raise UserError(f"technote [{technote}] not found")
        body, mimetype = note.text, wiki.filter_mimetype(note.mimetype)
        out = rest[0] if rest else "-"
    _write_export(body, mimetype, html, pre, out)


def _write_export(body: str, mimetype: str, html: int, pre: bool, out: str) -> None:
    body = body.rstrip(" \t\n\r\v\f")
    if html == 0:
        data = (body + "\n").encode("utf-8", "surrogateescape")
    else:
        from fossilpy.markup import wikirender

        if mimetype == "text/plain":
            rendered = body
            for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
                rendered = rendered.replace(a, b)
        elif mimetype == "text/x-markdown":  # with Fossil's wrapper, which the pages leave out
            rendered = '<div class="markdown">\n\n' + wikirender.render_markdown(body) + "\n</div>\n"
        else:
            rendered = wikirender.render(body, mimetype)
        data = (
            ("<html><body>" if html == 2 else "")
            + ("<pre>" if pre else "")
            + rendered
            + ("</pre>" if pre else "")
            + ("</body></html>\n" if html == 2 else "")
        ).encode("utf-8", "surrogateescape")
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    folder = os.path.dirname(out)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(out, "wb") as fh:
        fh.write(data)


def _technote(repo: Repo, rid: int) -> Manifest | None:
    from fossilpy.artifact.manifest import ArtifactType, parse_or_none
    from fossilpy.repo import content

    data = content.get(repo, rid)
    m = parse_or_none(data) if data is not None else None
    return m if m is not None and m.type == ArtifactType.EVENT else None


def _commit(repo: Repo, args: _Args, *, create: bool) -> None:
    from fossilpy.repo import wiki

    mimetype = args.option("mimetype", "M", value=True)
    technote = args.option("technote", "t", value=True)
    tags = args.option("technote-tags", None, value=True)
    color = args.option("technote-bgcolor", None, value=True)
    rest = args.verify()
    if len(rest) not in (1, 2):
        raise _usage(
            "commit|create PAGENAME ?FILE? [--mimetype TEXT-FORMAT] [--technote DATETIME]"
            " [--technote-tags TAGS] [--technote-bgcolor COLOR]"
        )
    name = rest[0]
    if len(rest) == 1:
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(rest[1], "rb") as fh:
                raw = fh.read()
        except OSError:
            raise UserError(f"cannot open {rest[1]} for reading") from None
    text = raw.decode("utf-8", "surrogateescape")
    sandbox = wiki.is_sandbox(name)
    page = None
    note: Manifest | None = None
    rid = 0
    if technote is None:
        if not sandbox:
            page = wiki.current(repo, name)
            rid = page.rid if page else 0
    else:
        rid = technote_rid(repo, technote)
        note = _technote(repo, rid) if rid > 0 else None
    if not mimetype:
        mimetype = None
        if sandbox:
            mimetype = wiki.filter_mimetype(wiki.sandbox(repo)[1])
        elif page is not None and page.mimetype:
            mimetype = page.mimetype
        elif note is not None and note.mimetype:
            mimetype = note.mimetype
    else:
        mimetype = wiki.filter_mimetype(mimetype)
    if create and rid > 0:
        if technote is None:
            raise UserError(f"wiki page {name} already exists")
        rid = 0  # another technote at the same time is a new one
    elif not create and rid == 0 and not sandbox:
        if technote is None:
            raise UserError(f"no such wiki page: {name}")
        raise UserError(f"no such tech note: {technote}")
    if technote is None:
        if sandbox:
            wiki.set_sandbox(repo, text, mimetype or wiki.DEFAULT_MIMETYPE)
            click.echo("Updated sandbox pseudo-page.")
            return
        if not wiki.is_wellformed(name):
            raise UserError(f'the wiki name "{name}" is not well-formed')
        _commit_page(repo, name, text, mimetype, page)
        click.echo(f"Created new wiki page {name}." if create else f"Updated wiki page {name}.")
        return
    if rid == -1:
        raise UserError(f"ambiguous tech note id: {technote}")
    when = str(repo.one("SELECT coalesce(datetime(?), datetime('now'))", (technote,)))
    _commit_technote(repo, when, rid, text, mimetype, name, tags, color)
    click.echo(f"Created new tech note {when}." if create else f"Updated tech note {when}.")


def _user(repo: Repo) -> str:
    from fossilpy.repo import users

    return users.select_user(repo, os.environ)[1]


def _commit_page(repo: Repo, name: str, text: str, mimetype: str | None, page: object) -> None:
    from fossilpy.repo import docwrite, wiki

    parent = page if isinstance(page, wiki.Page) else None
    m = wiki.build(
        name, text, mimetype, parent=parent.uuid if parent else "", user=_user(repo), date=docwrite.now_date()
    )
    wiki.put(repo, m, parent_rid=parent.rid if parent else 0)


def _commit_technote(
    repo: Repo,
    when: str,
    rid: int,
    text: str,
    mimetype: str | None,
    comment: str,
    tags: str | None,
    color: str | None,
) -> None:
    """A technote version as ``event_commit_common`` writes it."""
    import re
    import secrets

    from fossilpy.artifact.manifest import ArtifactType, Manifest, TagCard
    from fossilpy.repo import docwrite

    if rid:
        tid = str(
            repo.one("SELECT substr(tagname,7) FROM tag WHERE tagid=(SELECT tagid FROM event WHERE objid=?)", (rid,))
        )
    else:
        tid = secrets.token_hex(20)
    tag_cards = []
    if color:
        tag_cards.append(TagCard("+", "bgcolor", None, color))
    if tags:
        for tag in sorted(set(re.split(r"[\s,]+", tags.strip(" \t\n\r\v\f,"))) - {""}):
            tag_cards.append(TagCard("+", "sym-" + tag, None))
    comment = comment.strip(" \t\n\r\v\f")
    m = Manifest(
        type=ArtifactType.EVENT,
        comment=comment or None,
        date=docwrite.now_date(),
        event_date=when[:10] + "T" + when[11:],
        event_id=tid,
        mimetype=mimetype or None,
        parents=[str(repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))] if rid else [],
        tags=tag_cards,
        user=_user(repo),
        text=text,
    )
    docwrite.commit(repo, m, deltify_older=(rid,) if rid else ())
