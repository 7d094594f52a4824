"""The page registry: which module serves which page, and what it needs.

Each page module under ``fossilpy.web.pages`` declares its pages with a
module-local :class:`PageSet`::

    pages = PageSet()

    @pages.webpage("/timeline", caps="o|r|j")
    def timeline(ctx: Context) -> Response:
        '''/timeline?n=N&y=TYPE&u=USER&a=TIME&b=TIME&r=TAG

        The history of the repository ...'''

The docstring is the page's ``/help`` text.  ``caps`` is secure by default
(``"s"``, setup only): a page must say what it is content with.  It is a
list of alternatives separated by ``|``; each alternative is a string of
capability letters that must all be present.  ``""`` means anyone.

:data:`PAGE_MODULES` maps each page name to its module, so a request
imports only the module it needs (CGI starts a process per request).
A test checks that the table and the modules' declarations agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fossilpy.errors import ProgrammingError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.web.auth import Login
    from fossilpy.web.request import Request, Response

#: page name -> module under fossilpy.web.pages
PAGE_MODULES: dict[str, str] = {
    "home": "home",
    "index": "home",
    "not_found": "home",
    "robots.txt": "home",
    "help": "home",
    "wiki": "wiki",
    "wikihelp": "wiki",
    "wcontent": "wiki",
    "whistory": "wiki",
    "wdiff": "wiki",
    "wikiedit": "wikiedit",
    "wikinew": "wikiedit",
    "wikiappend": "wikiedit",
    "wikiajax": "wikiedit",
    "markup_help": "wiki",
    "wiki_rules": "wiki",
    "md_rules": "wiki",
    "timeline": "timeline",
    "timeline.rss": "rss",
    "info": "info",
    "ci": "info",
    "vinfo": "info",
    "artifact": "info",
    "whatis": "info",
    "tktview": "tickets",
    "tktnew": "tickets",
    "tktedit": "tickets",
    "tkthistory": "tickets",
    "tkttimeline": "tickets",
    "ticket": "reports",
    "reportlist": "reports",
    "rptview": "reports",
    "rptedit": "reports",
    "rptnew": "reports",
    "rptsql": "reports",
    "vdiff": "diffs",
    "vpatch": "diffs",
    "fdiff": "diffs",
    "forum": "forum",
    "forumpost": "forum",
    "forumthread": "forum",
    "forumnew": "forum_write",
    "forumedit": "forum_write",
    "forume1": "forum_write",
    "forume2": "forum_write",
    "modreq": "moderation",
    "file": "files",
    "raw": "files",
    "dir": "files",
    "tree": "files",
    "login": "login",
    "logout": "login",
    "my": "login",
    "stat": "stat",
    "xfer": "home",
    "style.css": "home",
    "favicon.ico": "home",
    # email alerts and the delivery journal
    "subscribe": "alerts",
    "alerts": "alerts",
    "unsubscribe": "alerts",
    "renew": "alerts",
    "subscribers": "alerts_admin",
    "announce": "alerts_admin",
    "setup_notification": "delivery",
    "delivery": "delivery",
    "search": "search",
    "wikisrch": "search",
    "tktsrch": "search",
    "docsrch": "search",
    # technotes and attachments
    "technote": "technotes",
    "event": "technotes",
    "technoteedit": "technotes",
    "eventedit": "technotes",
    "attachadd": "attachments",
    "attachlist": "attachments",
    "attachview": "attachments",
    "attachdownload": "attachments",
    "attachimage": "attachments",
    "ainfo": "attachments",
    # browsing lists: branches, tags, leaves, file history, site map, unversioned files
    "brlist": "branches",
    "brtimeline": "branches",
    "taglist": "branches",
    "tagtimeline": "branches",
    "leaves": "branches",
    "finfo": "finfo",
    "sitemap": "sitemap",
    "uvlist": "sitemap",
    "uv": "sitemap",
    "reports": "statrep",
    # downloads, embedded documents, annotations
    "zip": "archives",
    "sqlar": "archives",
    "tarball": "archives",
    "doc": "doc",
    "annotate": "annotate",
    "blame": "annotate",
    "praise": "annotate",
    # people and setup pages (issue 12)
    "setup": "setup",
    "setup_config": "setup",
    "setup_access": "setup",
    "setup_timeline": "setup",
    "srchsetup": "setup",
    "setup_settings": "setup",
    "admin_log": "setup",
    "setup_ulist": "setup_users",
    "setup_uedit": "setup_users",
    "setup_ucap_list": "setup_users",
    "setup_skin": "setup_skin",
    "setup_skinedit": "setup_skin",
    "setup_logo": "setup_skin",
    "logo": "setup_skin",
    "background": "setup_skin",
    "register": "register",
    # beyond Fossil (issue 14)
    "setup_webhooks": "webhooks",
    "metrics": "ops",
    "health": "ops",
    "heatmap": "heatmap",
    "json": "json_api",  # Fossil's JSON API, /json/... (fossilpy/web/json_api/)
    "events": "events",
    "live.js": "events",
    "chat": "chat",
    "chat.js": "chat",
    "chat-send": "chat",
    "chat-poll": "chat",
    "chat-fetch-one": "chat",
    "chat-download": "chat",
    "chat-delete": "chat",
    "chat-backup": "chat",
}


class Context:
    """Everything one page call may use; built per request, never shared.

    Attributes:
        req: the request.
        repo: the repository, opened read-only for this request.
        login: who is asking and with which capabilities.
        app: the application (its ``config`` and ``render``).
        nonce: the Content-Security-Policy nonce of this reply.
        cookies_out: Set-Cookie values added by pages (name, header value).
    """

    def __init__(self, req: Request, repo: Repo, login: Login, app: Any, nonce: str) -> None:
        self.req = req
        self.repo = repo
        self.login = login
        self.app = app
        self.nonce = nonce
        self.cookies_out: list[str] = []
        #: path of the repository file (for short write transactions)
        self.repo_path = ""
        #: time.monotonic() when the request arrived
        self.started = 0.0

    def url(self, path: str) -> str:
        """Link to ``path`` under the repository."""
        return self.req.top + path

    def render(self, template: str, *, status: int = 200, title: str = "", **values: Any) -> Response:
        """Render ``template`` inside the site frame."""
        page: Response = self.app.render.page(self, template, status=status, title=title, **values)
        return page

    def has(self, caps: str) -> bool:
        """True if the visitor has every capability letter in ``caps``."""
        return self.login.has(caps)


class WebPage:
    """One registered page (``anon_ok``: offer the anonymous login when the
    visitor lacks ``caps``)."""

    __slots__ = ("name", "func", "caps", "methods", "help", "anon_ok")

    def __init__(
        self,
        name: str,
        func: Callable[[Context], Response],
        caps: str,
        methods: tuple[str, ...],
        help: str,
        anon_ok: bool = True,
    ) -> None:
        self.name, self.func, self.caps, self.methods, self.help, self.anon_ok = (
            name, func, caps, methods, help, anon_ok,
        )

    def allowed(self, login: Login) -> bool:
        """True if ``login`` satisfies one of the alternatives in ``caps``."""
        if not self.caps:
            return True
        return any(login.has(alt) for alt in self.caps.split("|"))


class PageSet:
    """The pages declared by one module."""

    def __init__(self) -> None:
        self.pages: dict[str, WebPage] = {}

    def webpage(
        self,
        path: str,
        *,
        caps: str = "s",
        methods: tuple[str, ...] = ("GET", "HEAD"),
        anon_ok: bool = True,
    ) -> Callable[[Callable[[Context], Response]], Callable[[Context], Response]]:
        """Register the decorated function as page ``path`` ("/name")."""
        name = path.lstrip("/")
        if not name or "/" in name:
            raise ProgrammingError(f"bad page path {path!r}")

        def deco(func: Callable[[Context], Response]) -> Callable[[Context], Response]:
            if name in self.pages:
                raise ProgrammingError(f"page {path} registered twice")
            doc = (func.__doc__ or "").strip()
            self.pages[name] = WebPage(name, func, caps, methods, doc, anon_ok)
            return func

        return deco


def lookup(name: str) -> WebPage | None:
    """The page called ``name``, importing only its module; None if unknown."""
    module = PAGE_MODULES.get(name)
    if module is None:
        return None
    mod = importlib.import_module(f"fossilpy.web.pages.{module}")
    page: WebPage | None = mod.pages.pages.get(name)
    return page


def all_pages() -> list[WebPage]:
    """Every registered page, sorted by name (imports every page module)."""
    out: dict[str, WebPage] = {}
    for module in sorted(set(PAGE_MODULES.values())):
        mod = importlib.import_module(f"fossilpy.web.pages.{module}")
        out.update(mod.pages.pages)
    return [out[k] for k in sorted(out)]
