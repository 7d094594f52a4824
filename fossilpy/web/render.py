"""Turning page data into HTML: the jinja2 environment and its filters.

Templates live in ``www/templates`` (``base.html`` is the site frame;
one template per page).  Autoescaping is on for every template; the only
way to put markup into a page is a filter below that builds it from
escaped parts (``wiki``, ``comment``, ``hlink``).

The environment is built on first use by :class:`Renderer` (one per
application; nothing at module level), so a CGI request that answers
from the sync handler or with a redirect never imports jinja2.  Compiled
templates are kept in jinja2's per-user bytecode cache (a mode-0700
directory under the temp dir), so a CGI process does not recompile them.

Times in the repository are Julian day numbers (``event.mtime``; see
:mod:`fossilpy.artifact.julian`); pages show
them in UTC as ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from fossilpy.web.request import Response

if TYPE_CHECKING:
    from fossilpy.web.routes import Context


def www_dir() -> str:
    """Directory holding ``templates/`` and ``static/``.

    In a PyInstaller bundle it is ``<_MEIPASS>/www``; otherwise ``www``
    beside the ``fossilpy`` package (the source tree layout).
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return os.path.join(frozen, "www")
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidate = os.path.join(here, "www")
    if os.path.isdir(candidate):
        return candidate
    return os.path.join(sys.prefix, "share", "fossilpy", "www")


#: The Unix epoch in milliseconds since Julian day 0.
_EPOCH_MS = 210866760000000


def julian_to_text(jd: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Format a Julian day number as UTC text, as Fossil (SQLite's ``datetime()``) does.

    The day number is first taken to the nearest millisecond, then the
    seconds are truncated: ``12:00:30.783`` shows as ``12:00:30`` and
    ``23:59:59.999`` stays on its own day.
    """
    if jd is None:
        return ""
    try:
        ms = int(float(jd) * 86400000.0 + 0.5) - _EPOCH_MS
        return time.strftime(fmt, time.gmtime(ms // 1000))
    except (ValueError, OverflowError, OSError):
        return ""


def hname(uuid: str | None, n: int = 10) -> str:
    """An artifact name shortened for display."""
    return (uuid or "")[:n]


class Renderer:
    """Builds the jinja2 environment once, then renders pages with it."""

    def __init__(self) -> None:
        self._env: Any = None
        self._lock = threading.Lock()

    @property
    def env(self) -> Any:
        """The jinja2 Environment (built on first use)."""
        if self._env is None:
            with self._lock:
                if self._env is None:
                    self._env = self._build()
        return self._env

    def _build(self) -> Any:
        import jinja2
        import markupsafe  # jinja2's own dependency

        from fossilpy.markup import wikirender

        try:
            # per-user, mode-0700 directory checked by jinja2 itself; saves
            # compiling templates in every CGI process
            bcc: Any = jinja2.FileSystemBytecodeCache()
        except (RuntimeError, OSError):
            bcc = None
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(os.path.join(www_dir(), "templates")),
            bytecode_cache=bcc,
            autoescape=True,
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        markup = markupsafe.Markup
        env.filters["date"] = lambda jd: julian_to_text(jd, "%Y-%m-%d")
        env.filters["time"] = lambda jd: julian_to_text(jd, "%H:%M")
        env.filters["datetime"] = julian_to_text
        env.filters["hname"] = hname
        env.filters["wiki"] = lambda text, ctx=None, mimetype="text/x-fossil-wiki": markup(
            wikirender.render(text or "", mimetype, top=_top(ctx), links=_links(ctx), facts=link_facts(ctx))
        )
        env.filters["comment"] = lambda text, ctx=None: markup(
            wikirender.render_inline(text or "", top=_top(ctx), links=_links(ctx), facts=link_facts(ctx))
        )
        env.filters["size"] = _size
        env.filters["urlencode"] = _urlencode_filter(env.filters["urlencode"])
        return env

    def render_string(self, template: str, **values: Any) -> str:
        """Render ``template`` with ``values`` (no site frame added)."""
        html: str = self.env.get_template(template).render(**values)
        return html

    def page(self, ctx: Context, template: str, *, status: int = 200, title: str = "", **values: Any) -> Response:
        """Render a page inside ``base.html`` and wrap it in a Response."""
        repo = ctx.repo
        project = repo.config_get("project-name") or "Unnamed Fossil Project"
        html = self.render_string(
            template,
            ctx=ctx,
            req=ctx.req,
            login=ctx.login,
            top=ctx.req.top,
            title=title,
            project=str(project),
            nonce=ctx.nonce,
            started=ctx.started or time.monotonic(),
            now=time.monotonic,
            **values,
        )
        # Artifact text that is not UTF-8 is sent as its own bytes, as Fossil does.
        return Response(status=status, body=html.encode("utf-8", "surrogateescape"))


class RepoFacts:
    """What wiki links may point to, asked of the repository for one reader
    (a :class:`fossilpy.markup.links.Facts`; see ``links.resolve``).

    A hash prefix of a private artifact the reader may not see is no
    artifact (:mod:`fossilpy.repo.visibility`): a link does not tell it
    exists.  A ticket counts as closed when its status is ``Closed``
    (Fossil's default ``ticket-closed-expr``).  Answers are remembered for
    the life of the object (one page).
    """

    def __init__(self, repo: Any, private: bool) -> None:
        self.repo = repo
        self.private = private
        self._memo: dict[tuple[str, str], Any] = {}

    def _ask(self, key: tuple[str, str], sql: str, args: tuple[Any, ...]) -> Any:
        if key not in self._memo:
            self._memo[key] = self.repo.one(sql, args)
        return self._memo[key]

    def artifact(self, target: str) -> bool:
        # as Fossil's in_this_repo: the prefix as written (hashes are stored in lower case)
        return self._ask(("a", target), (
            "SELECT 1 FROM blob WHERE uuid>=? AND uuid<? AND (? OR rid NOT IN private) LIMIT 1"
        ), (target, _after_prefix(target), self.private)) is not None

    def ticket(self, target: str) -> bool | None:
        low = target.lower()
        found = self._ask(("t", low), (
            "SELECT status='Closed' FROM ticket WHERE tkt_uuid>=? AND tkt_uuid<? LIMIT 1"
        ), (low, _after_prefix(low)))
        return None if found is None else bool(found)

    def wiki_page(self, name: str) -> bool:
        return self._ask(("w", name), (
            "SELECT 1 FROM tag WHERE tagname GLOB 'wiki-'||? AND (SELECT value FROM tagxref"
            " WHERE tagid=tag.tagid ORDER BY mtime DESC LIMIT 1) > 0"
        ), (name,)) is not None

    def interwiki(self, target: str) -> str | None:
        return None  # no interwiki map yet


def _after_prefix(prefix: str) -> str:
    """The least string above every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def link_facts(ctx: Any) -> Any:
    """The link facts for a page made for ``ctx`` (None without a request)."""
    return None if ctx is None else RepoFacts(ctx.repo, private=ctx.has("x"))


def _top(ctx: Any) -> str:
    return ctx.req.top if ctx is not None else ""


def _links(ctx: Any) -> bool:
    return ctx is None or ctx.login.has("h")


def _urlencode_filter(plain: Any) -> Any:
    """Jinja's ``urlencode`` that also quotes artifact text that is not UTF-8
    (a str with surrogate escapes): its original bytes are percent-encoded."""
    from jinja2.utils import url_quote

    def urlencode(value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return url_quote(value.encode("utf-8", "surrogateescape"))
        return plain(value)

    return urlencode


def _size(n: int | None) -> str:
    if n is None or n < 0:
        return "-"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def error_html(status: int, message: str, nonce: str = "") -> bytes:
    """A minimal, template-free error page (used when rendering itself failed)."""
    from html import escape

    from fossilpy.web.request import status_line

    title = escape(status_line(status))
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>{escape(message)}</p></body></html>\n"
    ).encode()
