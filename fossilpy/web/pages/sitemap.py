"""/sitemap, /uvlist and /uv: the map of the site and its unversioned files.

``/sitemap`` is Fossil's ``sitemap_page`` (``src/sitemap.c``): the pages of
the site in groups, each entry shown only to a visitor with the
capabilities Fossil asks for it.  An entry links only to a page this
server has (:data:`fossilpy.web.routes.PAGE_MODULES`); a group whose own
page is missing keeps its name, unlinked, above the entries it holds.

``/uvlist`` is ``uvlist_page`` (``src/unversioned.c``): the unversioned
files by name (``byage``: newest first; ``showdel``: deleted ones too),
with their age, size, the user who sent them and their hash, and the
total.  ``/uv/FILE`` (``doc_page`` in ``src/doc.c``) delivers one: wiki,
Markdown, plain text and HTML that opens with ``<div class="fossil-doc">``
are shown in the site's frame as Fossil's ``document_render`` does (that
HTML through the sanitizer), anything else goes out as it is with the
Content-Type Fossil's suffix table gives (``mimetype_from_name``), under
a sandboxing Content-Security-Policy so no script in it runs.
"""

from __future__ import annotations

from typing import Any

from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Fossil's suffix -> MIME type table (``aMime`` in ``src/doc.c``), the common part.
MIME_TYPES = {
    "bz2": "application/x-bzip2", "c": "text/plain", "css": "text/css", "csv": "text/csv",
    "exe": "application/octet-stream", "gif": "image/gif", "gz": "application/x-gzip", "h": "text/plain",
    "htm": "text/html", "html": "text/html", "ico": "image/vnd.microsoft.icon", "jpeg": "image/jpeg",
    "jpg": "image/jpeg", "js": "text/javascript", "json": "application/json", "markdown": "text/x-markdown",
    "md": "text/x-markdown", "mjs": "text/javascript", "mp4": "video/mp4", "pdf": "application/pdf",
    "pikchr": "text/x-pikchr", "png": "image/png", "sh": "application/x-sh", "svg": "image/svg+xml",
    "tar": "application/x-tar", "tcl": "application/x-tcl", "tgz": "application/x-tar-gz",
    "th1": "application/x-th1", "txt": "text/plain", "wasm": "application/wasm", "webp": "image/webp",
    "wiki": "text/x-fossil-wiki", "xml": "text/xml", "zip": "application/zip",
}  # fmt: skip


def mimetype_from_name(name: str) -> str:
    """The MIME type Fossil gives a file name by its suffix (``application/x-fossil-artifact`` if unknown)."""
    suffix = name.rpartition(".")[2] if "." in name else name
    return MIME_TYPES.get(suffix.lower(), "application/x-fossil-artifact")


#: One entry of the map: (label, path, capability test, children).  The
#: test is a string of alternatives as page ``caps`` (``""``: anyone) or
#: a name looked up in :func:`_conditions`.
Entry = tuple[str, str, str, list[Any]]


def _entries(ctx: Context, cond: dict[str, bool]) -> list[Entry]:
    """The map as Fossil lays it out, before the capability and page filters."""
    who = ctx.login.name
    account: list[Entry] = []
    if not who:
        account.append(("Create a new account", "/register", "self_register", []))
    else:
        account.append((f"Change Password for {who}", "/logout", "p", []))
    if cond["alerts"]:
        if cond["individual"]:
            account.append((f"Email Alerts for {who}", "/alerts", "7", []))
        else:
            account.append(("Subscribe to Email Alerts", "/subscribe", "7", []))
    account.append(("Cookies", "/cookies", "", []))
    login: Entry = ("Login", "/login", "", account) if not who else (f"Logout from {who}", "/logout", "", account)
    return [
        ("Home Page", "/home", "", []),
        ("File Browser", "/tree", "o", [
            ("Tree-view, Trunk Check-in", "/tree?type=tree&ci=trunk", "", []),
            ("Flat-view", "/tree?type=flat", "", []),
            ("File ages for Trunk", "/fileage?name=trunk", "", []),
            ("Unversioned Files", "/uvlist", "", []),
            ("On-line File Editor", "/fileedit", "fileedit", []),
        ]),
        ("Project Timeline", "/timeline", "o", [
            ("Activity Reports", "/reports", "", []),
            ("Other timelines", "/sitemap-timeline", "", []),
        ]),
        ("Branches", "/brlist", "o", [
            ("Tags", "/taglist", "", []),
            ("Leaf Check-ins", "/leaves", "", []),
        ]),
        ("Search", "/search", "search", []),
        ("Chat", "/chat", "C", []),
        ("Forum", "/forum", "2", [("Recent activity", "/timeline?y=f", "", [])]),
        ("Tickets/Bug Reports", "/reportlist", "r", [
            ("Ticket Search", "/tktsrch", "search_tkt", []),
            ("Recent activity", "/timeline?y=t", "", []),
            ("List of Attachments", "/attachlist", "", []),
        ]),
        ("Wiki", "/wikihelp", "j", [
            ("Wiki Search", "/wikisrch", "search_wiki", []),
            ("List of Wiki Pages", "/wcontent", "", []),
            ("Recent activity", "/timeline?y=w", "", []),
            ("Wiki Sandbox", "/wikiedit?name=Sandbox", "", []),
            ("List of Attachments", "/attachlist", "", []),
            ("Pikchr Sandbox", "/pikchrshow", "", []),
        ]),
        login,
        ("Repository Status", "/stat", "o", [
            ("Collisions on hash prefixes", "/hash-collisions", "", []),
            ("List of URLs used to access this repository", "/urllist", "a", []),
            ("List of Artifacts", "/bloblist", "", []),
        ]),
        ("Help", "/help", "", [
            ("Wiki Formatting Rules", "/wiki_rules", "writer", []),
            ("Markdown Formatting Rules", "/md_rules", "writer", []),
            ('All "help" text on a single page', "/test-all-help", "", []),
            ("Filename suffix to MIME type map", "/mimetype_list", "a|i|y", []),
        ]),
        ("Administration Pages", "/setup", "a", [
            ("Security Audit", "/secaudit0", "", []),
            ("Pending Moderation Requests", "/modreq", "", []),
        ]),
        ("Skins", "/skins", "", []),
        ("Test Pages", "/sitemap-test", "", []),
    ]  # fmt: skip


def _conditions(ctx: Context) -> dict[str, bool]:
    """The tests of the map that are not plain capabilities."""
    from fossilpy.backoffice import alerts

    repo = ctx.repo

    def on(name: str) -> bool:
        return bool(repo.setting_bool(name))

    read, tkt, wiki, forum = ctx.has("o"), ctx.has("r"), ctx.has("j"), ctx.has("2")
    search = {
        "ci": read and on("search-ci"), "doc": read and on("search-doc"), "technote": read and on("search-technote"),
        "tkt": tkt and on("search-tkt"), "wiki": wiki and on("search-wiki"), "forum": forum and on("search-forum"),
    }  # fmt: skip
    who = ctx.login.name
    return {
        "search": any(search.values()),
        "search_tkt": search["tkt"],
        "search_wiki": search["wiki"],
        "self_register": on("self-register"),
        "alerts": alerts.tables_exist(repo) and repo.setting("email-send-method") != "off",
        "individual": bool(who) and who not in ("nobody", "anonymous"),
        "fileedit": ctx.has("i") and bool(repo.setting("fileedit-glob")),
        "writer": any(ctx.has(c) for c in "ai34fmklncwq"),
    }


def _allowed(ctx: Context, test: str, cond: dict[str, bool]) -> bool:
    if not test:
        return True
    if test in cond:
        return cond[test]
    return any(ctx.has(alt) for alt in test.split("|"))


def _page_of(path: str) -> str:
    return path.lstrip("/").split("?")[0].split("/")[0]


@pages.webpage("/sitemap", caps="")
def sitemap(ctx: Context) -> Response:
    """/sitemap

    The map of the site: links to the main pages, grouped, each shown
    only to a visitor who may use it."""
    from fossilpy.web.routes import PAGE_MODULES

    cond = _conditions(ctx)

    def keep(entries: list[Entry]) -> list[dict[str, Any]]:
        out = []
        for label, path, test, children in entries:
            if not _allowed(ctx, test, cond):
                continue
            kids = keep(children)
            linked = _page_of(path) in PAGE_MODULES
            if linked or kids:
                out.append({"label": label, "path": path if linked else "", "children": kids})
        return out

    return ctx.render("sitemap.html", title="Site Map", entries=keep(_entries(ctx, cond)))


@pages.webpage("/uvlist", caps="o")
def uvlist(ctx: Context) -> Response:
    """/uvlist?byage&showdel

    The unversioned files of the repository, by name (byage: newest
    first; showdel: deleted files too), with their age, size, sender and
    hash."""
    return _uvlist(ctx)


def _uvlist(ctx: Context) -> Response:
    import time

    from fossilpy.text import human_age

    repo, req = ctx.repo, ctx.req
    files: list[dict[str, Any]] = []
    total = count = 0
    if repo.table_exists("unversioned"):
        order = " ORDER BY mtime DESC" if req.flag("byage") else " ORDER BY name"
        rows = repo.all(_UVLIST + order, (req.flag("showdel"),))
        now = int(time.time())
        for name, mtime, digest, size, login, rcvid in rows:
            deleted = digest is None
            if not deleted:
                total += size or 0
                count += 1
            files.append({
                "name": name, "age": human_age((now - int(mtime or 0)) / 86400.0), "deleted": deleted,
                "size": "" if deleted else approx_size(size or 0), "user": login or "", "hash": digest or "",
                "rcvid": rcvid or 0,
            })  # fmt: skip
    return ctx.render(
        "uvlist.html", title="Unversioned Files", files=files, count=count, total=approx_size(total),
        admin=ctx.has("a"),
    )  # fmt: skip


#: The unversioned files, deleted ones too when ``?`` is true.
_UVLIST = (
    "SELECT name, mtime, hash, sz, (SELECT login FROM rcvfrom, user WHERE user.uid=rcvfrom.uid"
    " AND rcvfrom.rcvid=unversioned.rcvid), rcvid FROM unversioned WHERE (? OR hash IS NOT NULL)"
)


def approx_size(n: int) -> str:
    """A size as Fossil's ``approxSizeName`` words it: bytes, KB, MB or GB."""
    if n < 1000:
        return f"{n:,} bytes"
    if n < 1000000:
        return f"{n / 1000.0:.1f}KB"
    if n < 1000000000:
        return f"{n / 1000000.0:.1f}MB"
    return f"{n / 1000000000.0:.1f}GB"


@pages.webpage("/uv", caps="o")
def uv(ctx: Context) -> Response:
    """/uv/FILE

    An unversioned file: wiki, Markdown and plain text shown as a page,
    anything else delivered as it is with its MIME type.  /uv alone
    shows index.wiki if there is one, else the list of files.  The
    reply carries the file's hash as its ETag and its time as
    Last-Modified."""
    from fossilpy.sync import uv as uvstore

    given = ctx.req.get("name")
    name = (given or "index.wiki").lstrip("/")
    data = uvstore.read(ctx.repo, name) if name and ".." not in name.split("/") else None
    if data is None:
        if given is None:
            return _uvlist(ctx)
        raise HTTPError(404, f"Document {name} not found")
    row = ctx.repo.row("SELECT hash, mtime FROM unversioned WHERE name=?", (name,))
    if row is None:  # named by its hash
        name = str(ctx.repo.one("SELECT name FROM unversioned WHERE hash=?", (name,)) or name)
        row = ctx.repo.row("SELECT hash, mtime FROM unversioned WHERE name=?", (name,))
    digest, mtime = (str(row[0]), int(row[1] or 0)) if row else ("", 0)
    mime = mimetype_from_name(name)
    embedded = _embedded_title(data, name) if mime == "text/html" else None
    if mime in ("text/x-fossil-wiki", "text/x-markdown", "text/plain"):
        resp = _document(ctx, name, mime, data)
    elif embedded is not None:
        from markupsafe import Markup

        from fossilpy.markup.sanitize import safe_html

        html = safe_html(data.decode("utf-8", "surrogateescape"), top=ctx.req.top, links=ctx.has("h"))
        resp = ctx.render("uvlist.html", title=embedded, files=None, text=None, html=Markup(html))
    else:
        resp = Response(body=data, content_type=mime)
        resp.add_header("Content-Security-Policy", "sandbox; default-src 'none'")
    if digest:
        from fossilpy.web.request import http_date

        resp.add_header("ETag", f'"{digest}"')
        resp.add_header("Last-Modified", http_date(mtime))
        resp.add_header("Cache-Control", "max-age=0")
    return resp


def _document(ctx: Context, name: str, mime: str, data: bytes) -> Response:
    """A wiki, Markdown or text file in the site's frame, titled as Fossil's ``document_render`` does."""
    from markupsafe import Markup

    from fossilpy.markup import wikirender
    from fossilpy.web.render import link_facts

    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    title, body = name, text
    if mime == "text/plain":
        return ctx.render("uvlist.html", title=title, files=None, text=text, html=None)
    if mime == "text/x-fossil-wiki":
        title, body = _wiki_title(text, name)
    else:
        title, body = _markdown_title(text, name)
    html = wikirender.render(body, mime, top=ctx.req.top, links=ctx.has("h"), facts=link_facts(ctx))
    return ctx.render("uvlist.html", title=title, files=None, text=None, html=Markup(html))


def _embedded_title(data: bytes, default: str) -> str | None:
    """The title of an HTML file made to be shown in the site's frame (it opens with
    ``<div class="fossil-doc" ...>``, Fossil's ``doc_is_embedded_html``): its
    ``data-title`` or ``default``; None for any other HTML."""
    import html
    import re

    head = re.match(rb"\s*<div\b([^>]*)>", data[:4096], re.I)
    if head is None:
        return None
    attrs = {
        k.lower(): (v1 if v1 is not None else v2 if v2 is not None else v3)
        for k, v1, v2, v3 in (
            (m.group(1).decode("ascii"), _text(m.group(3)), _text(m.group(4)), _text(m.group(5)))
            for m in re.finditer(rb"([A-Za-z0-9-]+)\s*=\s*(\"([^\"]*)\"|'([^']*)'|([^\s>/]+))", head.group(1))
        )
    }
    if (attrs.get("class") or "").lower() != "fossil-doc":
        return None
    title = html.unescape(attrs.get("data-title") or "").strip()
    return title or default


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "surrogateescape")


def _wiki_title(text: str, default: str) -> tuple[str, str]:
    """(title, rest) of a wiki document that starts with ``<title>...</title>`` (Fossil's ``wiki_find_title``)."""
    import re

    m = re.match(r"\s*<title>(.*?)</title>", text, re.I | re.S)
    if m is None:
        return default, text
    return m.group(1).strip(), text[m.end() :]


def _markdown_title(text: str, default: str) -> tuple[str, str]:
    """(title, rest) of a Markdown document that starts with a level-1 ``# heading``."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("# "):
            return line[2:].strip().rstrip("#").strip(), "".join(lines[i + 1 :])
        break
    return default, text
