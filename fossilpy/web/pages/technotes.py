"""/technote (alias /event) and /technoteedit (alias /eventedit): technical
notes, read and written as Fossil 2.21 does (``src/event.c``).

A technote is a wiki-like document pinned to a point on the timeline.
Each version is an artifact::

    C COMMENT                the timeline comment, trimmed (no card if empty)
    D DATE                   when this version was written
    E TIMESTAMP ID           where it shows on the timeline (seconds) and its
                             40-hex id, the same for every version
    N MIMETYPE               text/x-fossil-wiki, text/x-markdown or text/plain
    P PREVIOUS               the version this one replaces (none for a new note)
    T +bgcolor * COLOR       a timeline background colour, if chosen
    T +sym-TAG *             one per tag, sorted
    U USER                   (none for an anonymous writer)
    W SIZE                   the text
    Z CHECKSUM

The previous version is then stored as a delta of the new one.  Technotes
appear on the timeline as type ``e`` (``/timeline?y=e`` lists them).

Capabilities (``eventedit_page``): reading needs ``j``; writing needs
``i`` (check in) and ``k`` (wiki write) to edit an existing note, ``f``
(new wiki) to create one.  The form's fields are Fossil's: ``name`` (the
id; none for a new note), ``t`` timestamp (UTC), ``c`` comment, ``newclr``
+ ``clr`` colour, ``g`` tags, ``mimetype``, ``w`` text, and the ``cancel``,
``preview`` and ``submit`` buttons.  A direct ``submit`` (without a
preview first) works too, as in Fossil.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.repo import attach, content
from fossilpy.web import forms
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import Manifest
    from fossilpy.repo.db import Repo

pages = PageSet()

#: The markup styles the editor offers (``mimetype_option_menu``).
MIMETYPES = (
    ("text/x-fossil-wiki", "Fossil Wiki"),
    ("text/x-markdown", "Markdown"),
    ("text/plain", "Plain Text"),
)
_SPACE = " \t\n\v\f\r"


def _glob(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def versions(repo: Repo, prefix: str) -> list[int]:
    """rids of the versions of the technote whose id starts with ``prefix``, newest first."""
    return [
        int(r[0])
        for r in repo.all(
            "SELECT rid FROM tagxref WHERE tagid=(SELECT tagid FROM tag WHERE tagname GLOB ?) ORDER BY mtime DESC",
            ("event-" + _glob(prefix) + "*",),
        )
    ]


def split_title(text: str, mimetype: str) -> tuple[str, str]:
    """(title, rest) of a technote's text; "" title when it has none.

    Fossil wiki: a leading ``<title>...</title>`` (``wiki_find_title``);
    Markdown: a leading level-1 heading; plain text: never.
    """
    body = text.lstrip(_SPACE)
    if mimetype == "text/x-fossil-wiki":
        if body[:7].lower() == "<title>":
            end = body.lower().find("</title>", 7)
            if end >= 0 and "<" not in body[7:end]:
                return body[7:end].strip(_SPACE), body[end + 8 :]
    elif mimetype == "text/x-markdown":
        first, _, rest = body.partition("\n")
        if first.startswith("# ") and first[2:].strip():
            return first[2:].strip().rstrip("#").strip(), rest
    return "", text


def _mimetype(value: str | None) -> str:
    """Fossil's ``wiki_filter_mimetypes``: one of MIMETYPES, fossil wiki otherwise."""
    return value if value is not None and value in dict(MIMETYPES) else "text/x-fossil-wiki"


@pages.webpage("/technote", caps="j")
def technote(ctx: Context) -> Response:
    """/technote/ID?aid=HASH&v  (also /event)

    Show a technote: its newest version, or version aid=.  v (verbose)
    adds who wrote it, when, and its timeline comment."""
    req = ctx.req
    note_id = req.get("name") or ""
    if not note_id:
        return redirect(req, "/home")
    from fossilpy.web import names

    repo = ctx.repo
    vis = names.visibility(ctx)
    rids = [r for r in versions(repo, note_id) if not vis.hidden(r)] if attach.is_hex(note_id) else []
    want = content.rid_of(repo, req.get("aid") or "") if req.get("aid") else 0
    index = next((i for i, r in enumerate(rids) if not want or r == want), None)
    if index is None:
        return ctx.render(
            "error.html",
            status=404,
            title="No Such Tech-Note",
            heading="No Such Tech-Note",
            message=f"Cannot locate a technical note called {note_id}.",
        )
    rid = rids[index]
    m = names.read_artifact(repo, rid)
    if m is None:
        raise HTTPError(404, "not a technote")
    full_id = m.event_id or note_id
    mimetype = _mimetype(req.get("mimetype") or m.mimetype)
    text = m.text or ""
    title, rest = split_title(text, mimetype)
    if not title:
        title, rest = f"Tech-note {full_id[:10]}", text
    bgcolor = next((t.value for t in m.tags if t.prefix + t.name == "+bgcolor" and t.value), None)
    return ctx.render(
        "technote.html",
        title=title,
        note_id=full_id,
        uuid=content.uuid_of(repo, rid) or "",
        m=m,
        text=rest,
        mimetype=mimetype,
        newest=index == 0,
        verbose=req.flag("v") or req.flag("verbose") or req.flag("detail"),
        next_uuid=content.uuid_of(repo, rids[index - 1]) if index > 0 else None,
        prev_uuid=content.uuid_of(repo, rids[index + 1]) if index + 1 < len(rids) else None,
        bgcolor=bgcolor,
        attachments=attach.latest(repo, full_id),
    )


@pages.webpage("/event", caps="j")
def event(ctx: Context) -> Response:
    """/event/ID

    Same as /technote."""
    return technote(ctx)


def tag_list(tags: str) -> list[str]:
    """The tags of the ``g`` field: separated by white space or commas, sorted
    as SQLite sorts text (``event_commit_common``), each once."""
    words = tags.replace(",", " ").split()
    return sorted(set(words), key=lambda w: w.encode("utf-8", "surrogateescape"))


def build(
    *,
    note_id: str,
    body: str,
    when: str,
    comment: str,
    mimetype: str | None,
    tags: str,
    color: str | None,
    user: str,
    parent: str | None,
    date: str,
) -> Manifest:
    """The Manifest of a technote version, card for card as ``event_commit_common`` writes it.

    ``when`` is ``YYYY-MM-DD HH:MM:SS``; ``user`` "" or "nobody" writes no U card.
    """
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TagCard

    cards = []
    if color:
        cards.append(TagCard("+", "bgcolor", None, color))
    cards += [TagCard("+", "sym-" + t, None, None) for t in tag_list(tags)]
    return Manifest(
        type=ArtifactType.EVENT,
        comment=comment.strip(_SPACE) or None,
        date=date,
        event_date=when[:10] + "T" + when[11:],
        event_id=note_id,
        mimetype=mimetype or None,
        parents=[parent] if parent else [],
        tags=cards,
        user=None if user in ("", "nobody") else user,
        text=body,
    )


@pages.webpage("/technoteedit", caps="i", methods=("GET", "HEAD", "POST"))
def technoteedit(ctx: Context) -> Response:
    """/technoteedit?name=ID  (also /eventedit)

    Create (no name=) or edit a technote: timestamp t, comment c,
    background colour newclr/clr, tags g, mimetype, text w; buttons
    cancel, preview and submit."""
    import secrets

    from fossilpy.web import names

    req, repo = ctx.req, ctx.repo
    note_id = req.get("name")
    if note_id is None:
        note_id = secrets.token_hex(20)  # a new note (so is any id not yet used)
    elif not attach.is_hex(note_id):
        return redirect(req, "/home")
    rids = versions(repo, note_id)
    rid = rids[0] if rids else 0
    if rid and len(note_id) < 4:
        note_id = str(
            repo.one("SELECT substr(tagname,7) FROM tag WHERE tagname GLOB ?", ("event-" + note_id + "*",)) or note_id
        )
    elif rid:
        found = names.read_artifact(repo, rid)
        if found is not None and found.event_id:
            note_id = found.event_id
    need = "ik" if rid else "if"
    missing = [c for c in need if not ctx.has(c)]
    if missing:
        raise HTTPError(
            403,
            f"{'editing' if rid else 'creating'} a technote needs capability "
            f"{' and '.join(missing)}; nothing was written",
        )
    body, when, comment, tags, mimetype = (req.get(k) for k in ("w", "t", "c", "g", "mimetype"))
    color = ""
    color_on = False
    if rid:
        color = str(repo.one("SELECT bgcolor FROM event WHERE objid=?", (rid,)) or "")
        color_on = bool(color) and req.method in ("GET", "HEAD")
    if req.get("newclr") is not None:
        color = req.get("clr") or color
        color_on = bool(color)
    if rid and None in (body, when, comment, tags, mimetype):
        prev = names.read_artifact(repo, rid)
        if prev is not None:
            body = prev.text if body is None else body
            comment = prev.comment if comment is None else comment
            mimetype = prev.mimetype if mimetype is None else mimetype
            if when is None:
                when = repo.one("SELECT datetime(?)", (prev.event_julian,))
        if tags is None:
            tags = repo.one(
                "SELECT group_concat(substr(tagname,5),', ') FROM tagxref, tag WHERE tagxref.rid=?"
                " AND tagxref.tagid=tag.tagid AND tag.tagname GLOB 'sym-*'",
                (rid,),
            )
    stamp = str(repo.one("SELECT coalesce(datetime(?),datetime('now'))", (when,)))
    if req.get("cancel") is not None:
        return redirect(req, f"/technote?name={note_id}")
    error = ""
    if req.get("submit") is not None and body is not None and comment is not None:
        forms.check_post(ctx)
        from fossilpy.repo import docwrite

        with forms.writable(ctx) as w, w.write():
            latest = versions(w, note_id)
            if latest[:1] != rids[:1]:
                error = "This technote was changed by someone else while you edited it; review and submit again."
            else:
                m = build(
                    note_id=note_id,
                    body=body,
                    when=stamp,
                    comment=comment,
                    mimetype=mimetype,
                    tags=tags or "",
                    color=color if color_on else None,
                    user=forms.author(ctx),
                    parent=content.uuid_of(w, rid) if rid else None,
                    date=docwrite.now_date(),
                )
                docwrite.commit(w, m, deltify_older=(rid,) if rid else ())
        if not error:
            return redirect(req, f"/technote?name={note_id}")
    if body is None:
        body = "Insert new content here..."
    rows = min(max(body.count("\n") + 2, 20), 40)
    return ctx.render(
        "technoteedit.html",
        status=409 if error else 200,
        title=f"{'New' if not rid else 'Edit'} Tech-note {note_id[:10]}",
        note_id=note_id,
        stamp=stamp,
        comment=comment or "",
        color=color or "#c0f0ff",
        color_on=color_on,
        tags=tags or "",
        mimetype=_mimetype(mimetype),
        mimetypes=MIMETYPES,
        body=body,
        rows=rows,
        preview=req.get("preview") is not None,
        error=error,
    )


@pages.webpage("/eventedit", caps="i", methods=("GET", "HEAD", "POST"))
def eventedit(ctx: Context) -> Response:
    """/eventedit?name=ID

    Same as /technoteedit."""
    return technoteedit(ctx)
