"""/search: full-text search (Fossil 2.21 ``search_page`` and ``search_screen`` in ``src/search.c``).

What is searched is what the repository's config rows allow (``search-ci``,
``search-doc`` with ``doc-glob``/``doc-branch``, ``search-tkt``,
``search-wiki``, ``search-technote``, ``search-forum``) and what the
visitor may read: check-ins, documents and technotes need ``o``, tickets
``r``, wiki ``j``, forum posts ``2``
(:func:`fossilpy.repo.search.restrict`).  With nothing left the form is
shown disabled with "Search is disabled".  Private content is never found.

Results are ranked as Fossil ranks them (full scan or the FTS5 index,
whichever the repository uses), at most ``search-limit`` of them
(``searchlimit=N`` overrides it); each shows its label, a snippet with the
matches in ``<mark>`` and, unless the label holds it, its date.  Snippet
text is escaped: only the ``<mark>`` tags around a match stay markup.  A
query FTS5 cannot parse simply finds nothing.
"""

from __future__ import annotations

from typing import Any

from fossilpy.errors import FossilError
from fossilpy.repo import search
from fossilpy.repo.search_text import escape_html
from fossilpy.settings import as_int
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: The single kinds (flag, noun on the button, class suffix), as ``search_screen``.
_SINGLE = {
    search.SRCH_CKIN: (" Check-ins", "Ckin"),
    search.SRCH_DOC: (" Docs", "Doc"),
    search.SRCH_TKT: (" Tickets", "Tkt"),
    search.SRCH_WIKI: (" Wiki", "Wiki"),
    search.SRCH_TECHNOTE: (" Tech Notes", "Note"),
    search.SRCH_FORUM: (" Forum", "Frm"),
}

#: The ``y=`` choices: value, label, flags.
_CHOICES = (
    ("all", "All", search.SRCH_ALL),
    ("c", "Check-ins", search.SRCH_CKIN),
    ("d", "Docs", search.SRCH_DOC),
    ("t", "Tickets", search.SRCH_TKT),
    ("w", "Wiki", search.SRCH_WIKI),
    ("e", "Tech Notes", search.SRCH_TECHNOTE),
    ("f", "Forum", search.SRCH_FORUM),
)

_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _mark_length(z: str, i: int) -> int:
    """Fossil's ``isSnippetMark``: length of ``<mark>WORD</mark>`` at ``z[i]`` (WORD ASCII alphanumeric), else 0."""
    if not z.startswith("<mark>", i):
        return 0
    n = i + 6
    while n < len(z) and z[n] in _ALNUM:
        n += 1
    if not z.startswith("</mark>", n):
        return 0
    return n + 7 - i


def clean_snippet(snip: str) -> str:
    """Fossil's ``cleanSnippet``: every ``<`` as ``&lt;`` except those of a ``<mark>WORD</mark>``."""
    out: list[str] = []
    i = 0
    while i < len(snip):
        j = snip.find("<", i)
        if j < 0:
            out.append(snip[i:])
            break
        out.append(snip[i:j])
        n = _mark_length(snip, j)
        if n:
            out.append(snip[j : j + n])
            i = j + n
        else:
            out.append("&lt;")
            i = j + 1
    return "".join(out)


def _refresh_index(ctx: Context, flags: int) -> None:
    """Bring the FTS5 index up to date before searching it (a GET writes, as Fossil's does)."""
    from fossilpy.repo import search_index
    from fossilpy.web.forms import writable

    if not search_index.stale(ctx.repo):
        return
    try:
        with writable(ctx) as w:
            search_index.update(w, flags)
    except FossilError:
        pass  # busy or read-only: search what is indexed


def _screen(ctx: Context, page: str, flags: int, title: str, *, choose: bool) -> Response:
    """Fossil's ``search_screen``: the form, and the results when ``s`` is given.

    ``flags`` is narrowed to what the repository and the visitor allow;
    ``choose``: offer the ``y=`` choice when more than one kind is left.
    """
    caps = "".join(c for c in "orj2" if ctx.has(c))
    flags = search.restrict(ctx.repo, flags, caps)
    single = _SINGLE.get(flags)
    pattern = (ctx.req.get("s") or "") if flags else ""
    chosen = ctx.req.get("y") or "all"
    choices: list[tuple[str, str, bool]] = []
    if choose and flags & (flags - 1):
        narrowed = flags
        for value, label, bits in _CHOICES:
            if not bits & flags:
                continue
            selected = value == chosen
            if selected:
                narrowed &= bits
            choices.append((value, label, selected))
        flags = narrowed
    debug = bool(ctx.req.get("debug"))
    query = pattern.lstrip(" \t\n\v\f\r")
    rows: list[dict[str, Any]] = []
    if query and flags:
        limit = ctx.repo.setting_int("search-limit")
        if ctx.req.get("searchlimit") is not None:
            limit = as_int(ctx.req.get("searchlimit"))
        _refresh_index(ctx, flags)
        # only the hits shown need a snippet (a negative limit shows one, as the loop below stops)
        for hit in search.run(ctx.repo, query, flags, max(limit, 1) if limit else 0):
            date = hit.date[:10]
            rows.append(
                {
                    "url": hit.url,
                    "label": hit.label,
                    "snippet": clean_snippet(hit.snippet),
                    "date": date if date and date not in hit.label else "",
                    "score": hit.score,
                    "ident": hit.ident,
                }
            )
            if limit and len(rows) >= limit:
                break
    return ctx.render(
        "search.html",
        title=title,
        action=page,
        pattern_html=escape_html(pattern),
        query_html=escape_html(query),
        query=query,
        enabled=bool(flags),
        noun=single[0] if single else "",
        klass=single[1] if single else "",
        choices=choices,
        debug=debug,
        rows=rows,
    )


@pages.webpage("/search", caps="", methods=("GET", "HEAD"))
def search_page(ctx: Context) -> Response:
    """/search?s=PATTERN&y=TYPE

    Search check-in comments, documents, tickets, wiki, technotes and forum
    posts for PATTERN.  TYPE limits what is searched: c check-ins, d
    documents, t tickets, w wiki, e technotes, f forum, all everything."""
    title = "Search Results" if ctx.req.get("s") is not None else "Search"
    return _screen(ctx, "search", search.SRCH_ALL, title, choose=True)


@pages.webpage("/wikisrch", caps="", methods=("GET", "HEAD"))
def wikisrch(ctx: Context) -> Response:
    """/wikisrch?s=PATTERN

    Full-text search of the current text of every wiki page."""
    return _screen(ctx, "wikisrch", search.SRCH_WIKI, "Wiki Search", choose=False)


@pages.webpage("/tktsrch", caps="", methods=("GET", "HEAD"))
def tktsrch(ctx: Context) -> Response:
    """/tktsrch?s=PATTERN

    Full-text search of every ticket."""
    return _screen(ctx, "tktsrch", search.SRCH_TKT, "Ticket Search", choose=False)


@pages.webpage("/docsrch", caps="", methods=("GET", "HEAD"))
def docsrch(ctx: Context) -> Response:
    """/docsrch?s=PATTERN

    Full-text search of the embedded documents (``doc-glob`` on ``doc-branch``)."""
    title = "Document Search Results" if ctx.req.get("s") is not None else "Document Search"
    return _screen(ctx, "docsrch", search.SRCH_DOC, title, choose=False)
