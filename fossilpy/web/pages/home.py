"""Site-wide pages: the home page, /help, /robots.txt, /style.css.

The home page (``/home``, ``/index``) follows Fossil's ``home_page``: if
the ``index-page`` setting names another page, redirect there; otherwise
show the wiki page named after the project, else the wiki page ``Home``,
else the timeline.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def _no_extra(ctx: Context) -> None:
    """Fixed-name resources take no /NAME suffix."""
    if ctx.req.extra:
        raise HTTPError(404, "not found")


def _index_target(ctx: Context) -> str | None:
    index = ctx.repo.config_get("index-page")
    if not index:
        return None
    want = str(index).lstrip("/")
    here = ctx.req.path_info.lstrip("/")
    return None if want == here or want in ("home", "index") else want


@pages.webpage("/home", caps="")
def home(ctx: Context) -> Response:
    """/home

    The project's home page: the page named by the ``index-page`` setting,
    or the wiki page named after the project, or the wiki page "Home",
    or else the timeline."""
    return _home(ctx)


@pages.webpage("/index", caps="")
def index(ctx: Context) -> Response:
    """/index

    Same as /home."""
    return _home(ctx)


@pages.webpage("/not_found", caps="")
def not_found(ctx: Context) -> Response:
    """/not_found

    Same as /home."""
    return _home(ctx)


def _home(ctx: Context) -> Response:
    target = _index_target(ctx)
    if target:
        return redirect(ctx.req, "/" + target)
    if ctx.has("j"):
        for title in (ctx.repo.config_get("project-name"), "Home"):
            if title:
                rid = names.wiki_page_rid(names.visibility(ctx), str(title))
                if rid:
                    from fossilpy.web.pages import wiki

                    return wiki.show(ctx, str(title), home=True)
    if not ctx.login.name and not (ctx.has("o") or ctx.has("r") or ctx.has("j")):
        return redirect(ctx.req, "/login?g=home")
    return _stub(ctx)


#: (capabilities, label, link, what it is) offered on the stub home page
_ACTIONS = (
    ("f", "Create the home page", "/wikiedit?name={page}", "a wiki page; its text becomes this page"),
    ("s", "Name the project", "/setup_config", "project name and description"),
    ("o", "Timeline", "/timeline?y=all", "everything that happened so far"),
    ("f", "New wiki page", "/wikinew", ""),
    ("n", "New ticket", "/tktnew", "report a bug or ask for a feature"),
    ("3", "New forum thread", "/forumnew", "start a discussion"),
    ("if", "New technote", "/technoteedit", "a note pinned to a point in time"),
    ("a", "Users", "/setup_ulist", "who may do what"),
)


def _stub(ctx: Context) -> Response:
    """The home page of a repository without one: what it would be and how to
    make it (as Fossil's stub home page says), with what the visitor can do."""
    from urllib.parse import quote

    named = ctx.repo.config_get("project-name")
    page = str(named) if named else "Home"
    actions = [
        (label, href.format(page=quote(page)), note)
        for caps, label, href, note in _ACTIONS
        if ctx.has(caps) and (caps != "s" or not named)
    ]
    return ctx.render("home_stub.html", title="Home", page=page, named=bool(named), actions=actions)


@pages.webpage("/robots.txt", caps="")
def robots(ctx: Context) -> Response:
    """/robots.txt

    Asks web crawlers to stay away from pages that are costly to compute
    or that only repeat what other pages show."""
    _no_extra(ctx)
    top = ctx.req.top
    lines = ["User-agent: *"]
    for page in ("raw", "artifact", "vdiff", "fdiff", "annotate", "blame", "zip", "tarball", "timeline", "login",
                 "xfer"):
        lines.append(f"Disallow: {top}/{page}")
    return Response(body=("\n".join(lines) + "\n").encode(), content_type="text/plain; charset=utf-8")


@pages.webpage("/style.css", caps="")
def style_css(ctx: Context) -> Response:
    """/style.css

    The style sheet of every page: the built-in rules, then the
    repository's own CSS (the "css" config row, edited on /setup_skinedit),
    as Fossil puts the skin's CSS after its defaults."""
    import hashlib

    _no_extra(ctx)
    from fossilpy.web.render import www_dir

    with open(os.path.join(www_dir(), "static", "style.css"), "rb") as fh:
        body = fh.read()
    custom = ctx.repo.config_get("css")
    if custom:
        text = custom.encode("utf-8", "surrogateescape") if isinstance(custom, str) else bytes(custom)
        body += (b"\n/***********************************************************\n"
                 b"** Skin-specific CSS for this repository\n"
                 b"***********************************************************/\n" + text)
    resp = Response(body=body, content_type="text/css; charset=utf-8")
    resp.add_header("ETag", '"' + hashlib.sha1(body).hexdigest()[:20] + '"')
    resp.add_header("Cache-control", "no-cache")  # revalidated: a new skin CSS shows at once
    return resp


@pages.webpage("/favicon.ico", caps="")
def favicon(ctx: Context) -> Response:
    """/favicon.ico

    The site icon (an SVG image)."""
    return _static(ctx, "favicon.svg", "image/svg+xml", max_age=86400)


def _static(ctx: Context, name: str, content_type: str, *, max_age: int) -> Response:
    """A file of ``www/static`` (the page takes no extra path)."""
    _no_extra(ctx)
    from fossilpy.web.render import www_dir

    with open(os.path.join(www_dir(), "static", name), "rb") as fh:
        data = fh.read()
    resp = Response(body=data, content_type=content_type)
    resp.add_header("Cache-control", f"max-age={max_age}")
    return resp


@pages.webpage("/help", caps="")
def help_page(ctx: Context) -> Response:
    """/help[/PAGE]

    The list of web pages, or the help text of one page."""
    from fossilpy.web import routes

    name = (ctx.req.get("name") or "").lstrip("/")
    if name:
        page = routes.lookup(name)
        if page is None:
            raise HTTPError(404, f"no such page: /{name}")
        return ctx.render("help.html", title=f"Help: /{name}", pages=[page], one=True)
    return ctx.render("help.html", title="Help", pages=routes.all_pages(), one=False)


@pages.webpage("/xfer", caps="", methods=("GET", "HEAD", "POST"))
def xfer(ctx: Context) -> Response:
    """/xfer

    The sync protocol endpoint.  Requests with an ``application/x-fossil``
    content type go to the sync server whatever their path; anything else
    sent here is redirected to the home page."""
    index = str(ctx.repo.config_get("index-page") or "/index")
    return redirect(ctx.req, "/" + quote(index.lstrip("/"), safe="/?=&"))
