"""JSON wiki commands: list, get, save, create, diff (and ``timeline``, an alias).

``api-wiki.md``; ``src/json_wiki.c``.

* ``/json/wiki/list`` (``j`` or ``o``): page names sorted ignoring case;
  ``verbose`` gives ``wiki/get`` objects without content; ``glob`` or
  ``like`` filter the names, ``invert`` reverses the filter.
* ``/json/wiki/get?name=NAME`` or ``/json/wiki/get/NAME`` or ``?uuid=HASH``
  (``j`` or ``o``): ``{name, uuid, parent, user, timestamp, size, content,
  contentFormat}``; ``format=raw`` (default), ``html`` or ``none`` (no
  content, ``size`` of the raw text).  A missing page is ``FOSSIL-3006``.
* ``/json/wiki/save`` (``k``) and ``/json/wiki/create`` (``f``):
  ``name``, ``content``, ``mimetype`` from ``POST.payload`` (or GET);
  ``save`` needs an existing page unless ``createIfNotExists`` is true
  (then creating needs ``f`` too, as ``/wikiedit`` asks); ``create``
  refuses an existing page (``FOSSIL-3005``).  Pages about a check-in,
  branch or tag also need ``i`` (``wiki-about``), the Sandbox is not a
  page, the text is at most :data:`fossilpy.repo.wiki.MAX_TEXT_BYTES`.
  The new version is written by :func:`fossilpy.web.pages.wikiedit.save`
  (one transaction, moderation as the editor's), the existence rule checked
  inside that transaction.  The payload is ``wiki/get`` without content.
* ``/json/wiki/diff/V1/V2`` or ``?v1=&v2=`` (``h``): ``{v1, v2, diff}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fossilpy.repo import wiki as repowiki
from fossilpy.web.json_api.envelope import (
    E_ALREADY_EXISTS,
    E_AMBIGUOUS_UUID,
    E_DENIED,
    E_INVALID_ARGS,
    E_MISSING_ARGS,
    E_NOT_FOUND,
    JsonError,
    JsonRequest,
    fail,
)

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

#: ``format`` values: raw text, rendered HTML, no content.
RAW, HTML, NONE = -1, 1, 0


def _timestamp(jr: JsonRequest, julian: float) -> int:
    """Unix seconds of a Julian day (``json_julian_to_timestamp``)."""
    return int(jr.repo.one("SELECT CAST(strftime('%s', ?) AS INTEGER)", (julian,)) or 0)


def _html(jr: JsonRequest, text: str, mimetype: str) -> str:
    from fossilpy.markup import wikirender
    from fossilpy.web.render import link_facts

    ctx = jr.ctx
    mimetype = repowiki.filter_mimetype(mimetype or None)
    return wikirender.render(text, mimetype, top=ctx.req.top, links=ctx.has("h"), facts=link_facts(ctx))


def page_object(jr: JsonRequest, page: repowiki.Page, fmt: int) -> dict[str, Any]:
    """A page version as ``json_get_wiki_page_by_rid`` gives it."""
    out: dict[str, Any] = {"name": page.title, "uuid": page.uuid}
    if page.parent:
        out["parent"] = page.parent
    out["user"] = page.user
    out["timestamp"] = _timestamp(jr, page.julian)
    if fmt == NONE:
        out["size"] = len(page.text.encode("utf-8", "surrogateescape"))
        return out
    content = _html(jr, page.text, page.mimetype) if fmt == HTML and page.text else page.text
    out["size"] = len(content.encode("utf-8", "surrogateescape"))
    out["content"] = content
    out["contentFormat"] = "html" if fmt == HTML else "raw"
    return out


def _format(jr: JsonRequest, default: int) -> int:
    """``json_wiki_get_content_format_flag``: the first letter of ``format`` (r, h, n)."""
    value = jr.text("format", "f") or ""
    return {"r": RAW, "h": HTML, "n": NONE}.get(value[:1], default)


def _list(jr: JsonRequest) -> Any:
    jr.need("j|o", "Requires 'j' or 'o' permissions.")
    verbose = jr.flag("verbose", "v")
    invert = jr.flag("invert", "i")
    sql = (
        "SELECT DISTINCT substr(tagname, 6) AS name FROM tag JOIN tagxref USING(tagid)"
        " WHERE tagname GLOB 'wiki-*' AND TYPEOF(tagxref.value+0)='integer' AND (? OR tagxref.rid NOT IN private)"
    )
    args: list[Any] = [jr.private]
    pattern = jr.text("glob", "g")
    op = "GLOB"
    if not pattern:
        pattern, op = jr.text("like", "l"), "LIKE"
    if pattern:
        sql += (" AND name NOT " if invert else " AND name ") + op + " ?"
        args.append(pattern)
    names = [str(r[0]) for r in jr.repo.all(sql + " ORDER BY lower(name)", tuple(args))]
    if not verbose:
        return names
    out = []
    for name in names:
        page = repowiki.current(jr.repo, name, private=jr.private)
        if page is not None:
            out.append(page_object(jr, page, NONE))
    return out


def _get(jr: JsonRequest) -> Any:
    jr.need("j|o", "Requires 'o' or 'j' access.")
    name = jr.text("name", "n") or jr.rest(jr.depth + 1)
    if not name and isinstance(jr.payload, str):
        name = jr.payload
    uuid = jr.text("uuid", "u")
    if not name and not uuid:
        fail(E_MISSING_ARGS, "At least one of the 'name' or 'uuid' arguments must be provided.")
    fmt = _format(jr, RAW)
    if uuid:
        rid = jr.visibility().lookup(uuid, "w")
        if rid < 0:
            fail(E_AMBIGUOUS_UUID, f"UUID [{uuid}] is ambiguous.")
        page = repowiki.version(jr.repo, rid) if rid else None
        if page is None:
            fail(E_NOT_FOUND, f"UUID [{uuid}] does not resolve to a wiki page.")
        return page_object(jr, page, fmt)
    page = repowiki.current(jr.repo, str(name), private=jr.private)
    if page is None:
        fail(E_NOT_FOUND, f"Wiki page not found: {name}")
    return page_object(jr, page, fmt)


def _may_write(jr: JsonRequest, name: str, *, exists: bool) -> None:
    """``k`` to change a page, ``f`` to create one, ``i`` too for pages about check-ins, branches, tags."""
    if exists:
        jr.need("k", "Requires 'k' permissions.")
    else:
        jr.need("f", "Requires 'f' permissions.")
    if repowiki.needs_write_cap(name, jr.repo) and not jr.login.has("i"):
        fail(E_DENIED, f"Writing the page '{name}' requires 'i' permissions.")


def _save(jr: JsonRequest, *, create: bool) -> Any:
    jr.need("f" if create else "k", f"Requires '{'f' if create else 'k'}' permissions.")
    payload = jr.payload if isinstance(jr.payload, dict) else {}
    name_v: Any = payload["name"] if "name" in payload else jr.get_params.get("name")
    if name_v is None:
        fail(E_MISSING_ARGS, "'name' parameter is missing.")
    if not isinstance(name_v, str) or not name_v:
        fail(E_INVALID_ARGS, "'name' parameter must be a non-empty string.")
    name = name_v
    if repowiki.is_sandbox(name):
        fail(E_INVALID_ARGS, "The Sandbox is not a wiki page and cannot be saved.")
    if not repowiki.is_wellformed(name):
        fail(E_INVALID_ARGS, f"'{name}' is not a well-formed wiki page name.")
    allow_create = not create and jr.flag("createIfNotExists")
    exists = repowiki.current(jr.repo, name, private=jr.private) is not None
    if exists and create:
        fail(E_ALREADY_EXISTS, f"Wiki page '{name}' already exists.")
    if not exists and not create and not allow_create:
        fail(E_NOT_FOUND, f"Wiki page '{name}' not found.")
    content_v: Any = payload["content"] if "content" in payload else jr.get_params.get("content")
    if content_v is None:
        if exists and not create:
            fail(E_MISSING_ARGS, "'content' parameter is missing.")
        content_v = ""
    if not isinstance(content_v, str):
        fail(E_INVALID_ARGS, "'content' parameter must be a string.")
    if len(content_v.encode("utf-8", "surrogateescape")) > repowiki.MAX_TEXT_BYTES:
        fail(E_INVALID_ARGS, f"The text is too large: at most {repowiki.MAX_TEXT_BYTES // 1024} KiB.")
    _may_write(jr, name, exists=exists)
    jr.check_write()
    mimetype = repowiki.filter_mimetype(jr.text("mimetype", "M"))
    return _commit(jr, name, content_v, mimetype, exists=exists)


def _commit(jr: JsonRequest, name: str, text: str, mimetype: str, *, exists: bool) -> Any:
    """Write the version; the existence seen before is checked again inside the transaction."""
    from fossilpy.web.pages import wikiedit

    def still(w: Repo) -> None:
        now = repowiki.current(w, name) is not None
        if now != exists:
            raise JsonError(E_ALREADY_EXISTS if now else E_NOT_FOUND,
                            f"Wiki page '{name}' was {'created' if now else 'deleted'} meanwhile.")  # fmt: skip

    stored = wikiedit.save(jr.ctx, name, text, mimetype, None, check=still)
    page = repowiki.version(jr.repo, stored.rid) or stored
    return page_object(jr, page, NONE)


def _diff(jr: JsonRequest) -> Any:
    jr.need("h", "Requires 'h' permissions.")
    from fossilpy import budget
    from fossilpy.artifact import textdiff

    v1 = jr.text("v1", pos=jr.depth + 1)
    v2 = jr.text("v2", pos=jr.depth + 2)
    if not v1 or not v2:
        fail(E_INVALID_ARGS, "Requires both 'v1' and 'v2' arguments.")
    vis = jr.visibility()
    pages = []
    for v in (v1, v2):
        rid = vis.lookup(v, "w")
        if rid < 0:
            fail(E_AMBIGUOUS_UUID, f"UUID [{v}] is ambiguous.")
        if rid == 0:
            fail(E_NOT_FOUND, f"UUID [{v}] not found.")
        page = repowiki.version(jr.repo, rid)
        if page is None:
            fail(E_NOT_FOUND, f"Could not load wiki manifest for UUID [{v}].")
        pages.append(page)
    cfg = textdiff.DiffConfig(flags=textdiff.DIFF_IGNORE_EOLWS | textdiff.DIFF_STRIP_EOLCR, tick=budget.check)
    old, new = (p.text.encode("utf-8", "surrogateescape") for p in pages)
    diff = textdiff.text_diff(old, new, cfg).decode("utf-8", "surrogateescape")
    return {"v1": pages[0].uuid, "v2": pages[1].uuid, "diff": diff}


def wiki(jr: JsonRequest) -> Any:
    """/json/wiki/create|diff|get|list|save|timeline."""
    from fossilpy.web.json_api.misc import not_yet
    from fossilpy.web.json_api.timeline import timeline_wiki

    return jr.sub({
        "create": lambda r: _save(r, create=True),
        "diff": _diff,
        "get": _get,
        "list": _list,
        "preview": not_yet,
        "save": lambda r: _save(r, create=False),
        "timeline": timeline_wiki,
    })  # fmt: skip
