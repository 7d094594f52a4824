"""Turning page data into HTML: the template environment and its filters.

Templates live in ``www/templates`` (``base.html`` is the site frame;
one template per page).  Autoescaping is on for every template; the only
way to put markup into a page is a filter below that builds it from
escaped parts (``wiki``, ``comment``, ``hlink``).

Templates are compiled by jinja2's compiler (:mod:`fossilpy.web.tplcompile`)
into code that runs on fossilpy's small template runtime
(:mod:`fossilpy.web.tplruntime`), so rendering a page never imports jinja2:
only the first request after a template changed compiles it.  The compiled
code is kept in a per-user cache (:class:`CodeCache`, a mode-0700 directory
under the temp dir).  The environment is built on first use by
:class:`Renderer` (one per application; nothing at module level), so a CGI
request that answers from the sync handler or with a redirect never
imports markupsafe either.

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
    from fossilpy.web import tplenv
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
    """Loads compiled templates on first use (compiling any not in the cache), then renders pages."""

    def __init__(self, temp_dir: str | None = None) -> None:
        self._env: Any = None
        self._lock = threading.Lock()
        self._temp_dir = temp_dir
        self._cache: CodeCache | None = None
        self._compiler: Any = None

    @property
    def env(self) -> tplenv.Environment:
        """The templates' environment (:class:`fossilpy.web.tplenv.Environment`, built on first use)."""
        if self._env is None:
            with self._lock:
                if self._env is None:
                    self._env = self._build()
        return self._env  # type: ignore[no-any-return]

    def _build(self) -> tplenv.Environment:
        from fossilpy.web import tplenv

        self._cache = CodeCache.open(self._temp_dir, kind="runtime")
        return tplenv.Environment(self._load, {**tplenv.FILTERS, **custom_filters()}, tplenv.TESTS)

    def _load(self, env: tplenv.Environment, name: str) -> tplenv.Template:
        """Template ``name``: its code from the cache while its source is unchanged, else compiled."""
        from fossilpy.web import tplenv

        path = tplenv.template_path(os.path.join(www_dir(), "templates"), name)
        with open(path, encoding="utf-8") as f:
            source = f.read()
        cache = self._cache
        bucket = cache.get_bucket(None, name, path, source) if cache is not None else None
        code = bucket.code if bucket is not None else None
        if code is None:
            with self._lock:
                if self._compiler is None:
                    from fossilpy.web.tplcompile import Compiler

                    self._compiler = Compiler(custom_filters())
            code = self._compiler.compile(source, name, path, env)
            if cache is not None and bucket is not None:
                bucket.code = code
                cache.set_bucket(bucket)
        return tplenv.Template(env, code)

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


def custom_filters() -> dict[str, Any]:
    """Our own filters (besides jinja2's built-ins in :mod:`fossilpy.web.tplenv`)."""
    from markupsafe import Markup

    from fossilpy.markup import wikirender
    from fossilpy.web.tplenv import do_urlencode

    return {
        "date": lambda jd: julian_to_text(jd, "%Y-%m-%d"),
        "time": lambda jd: julian_to_text(jd, "%H:%M"),
        "datetime": julian_to_text,
        "hname": hname,
        "wiki": lambda text, ctx=None, mimetype="text/x-fossil-wiki": Markup(
            wikirender.render(text or "", mimetype, top=_top(ctx), links=_links(ctx), facts=link_facts(ctx))
        ),
        "comment": lambda text, ctx=None: Markup(
            wikirender.render_inline(text or "", top=_top(ctx), links=_links(ctx), facts=link_facts(ctx))
        ),
        "size": _size,
        "urlencode": _urlencode_filter(do_urlencode),
    }


def import_jinja2() -> Any:
    """jinja2 without its package ``__init__`` (see :func:`fossilpy.web.tplcompile.import_jinja2`)."""
    from fossilpy.web.tplcompile import import_jinja2 as load

    return load()


#: The form of the runtime code in the cache (:mod:`fossilpy.web.tplcompile`): raise it when
#: that changes, so that code compiled before is compiled again.
RUNTIME_CODE_FORMAT = 1


class _Bucket:
    """What jinja2's loader asks of a cache entry: ``code`` (None: compile)."""

    __slots__ = ("path", "checksum", "code")

    def __init__(self, path: str, checksum: bytes, code: Any) -> None:
        self.path, self.checksum, self.code = path, checksum, code


class CodeCache:
    """Compiled templates on disk, in jinja2's ``bytecode_cache`` protocol
    (the renderer uses the same two calls for its runtime code).

    The rules of jinja2's ``FileSystemBytecodeCache``, other keys: one file
    per template name and file name, valid while the MD5 of the template
    source matches (the interpreter's own ``_md5``: a page must not load
    OpenSSL for a cache key), in a directory ``_fossilpy-templates-UID`` under the
    temp dir (the doors pass ``TMPDIR``, ``TEMP``, ``TMP`` or ``/tmp``;
    otherwise ``tempfile.gettempdir()``) that must be the user's own with
    mode 0700 (else no cache).  File layout::

        MAGIC                       one line: kind, cache tag, import magic, jinja2 install stamp
        MD5                         16 bytes: MD5 of the template source (UTF-8, "replace")
        CODE                        the template's code object, as marshal writes it

    A file written by another Python or jinja2 does not match MAGIC and is
    rewritten.  Files are written to a temporary name and renamed, so a
    concurrent reader sees the old file or the new one.
    """

    def __init__(self, directory: str, magic: bytes, suffix: str = ".cache") -> None:
        self.directory = directory
        self.magic = magic
        self.suffix = suffix

    @classmethod
    def open(cls, temp_dir: str | None = None, kind: str = "jinja2") -> CodeCache | None:
        """The cache of this user under ``temp_dir``, or None when its directory is not safe to use.

        ``kind`` ``"runtime"``: code for :mod:`fossilpy.web.tplruntime` (what
        pages render with; files ``*.rt.cache``, MAGIC names the code format
        :data:`RUNTIME_CODE_FORMAT`); ``"jinja2"``: a ``bytecode_cache`` for a
        jinja2 Environment (files ``*.cache``).
        """
        import importlib.util
        import stat

        if temp_dir is None:
            import tempfile

            temp_dir = tempfile.gettempdir()
        base = temp_dir
        try:
            uid = os.getuid()
            directory = os.path.join(base, f"_fossilpy-templates-{uid}")
            try:
                os.mkdir(directory, 0o700)
            except FileExistsError:
                pass
            st = os.lstat(directory)
            if st.st_uid != uid or not stat.S_ISDIR(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o700:
                return None
        except (OSError, AttributeError):  # no getuid: not POSIX
            return None
        stamp = "-"  # jinja2's install, when it is a file (not in a PyInstaller bundle)
        spec = importlib.util.find_spec("jinja2")
        if spec is not None and spec.origin:
            try:
                origin = os.stat(spec.origin)
                stamp = f"{origin.st_size}-{origin.st_mtime_ns}"
            except OSError:
                pass
        head = "fossilpy-templates" if kind == "jinja2" else f"fossilpy-templates-runtime-{RUNTIME_CODE_FORMAT}"
        magic = f"{head} {sys.implementation.cache_tag} {importlib.util.MAGIC_NUMBER.hex()} {stamp}\n".encode()
        return cls(directory, magic, ".cache" if kind == "jinja2" else ".rt.cache")

    def get_bucket(self, environment: Any, name: str, filename: str | None, source: str) -> _Bucket:
        import marshal

        from fossilpy.artifact import hname

        key = hname.md5(name.encode("utf-8"))
        if filename is not None:
            key.update(("|" + filename).encode("utf-8"))
        path = os.path.join(self.directory, key.hexdigest() + self.suffix)
        checksum = hname.md5(source.encode("utf-8", "replace")).digest()
        code = None
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        head = len(self.magic)
        if data[:head] == self.magic and data[head : head + len(checksum)] == checksum:
            try:
                code = marshal.loads(data[head + len(checksum) :])
            except (EOFError, ValueError, TypeError):
                code = None
        return _Bucket(path, checksum, code)

    def set_bucket(self, bucket: _Bucket) -> None:
        import marshal

        temp = f"{bucket.path}.{os.getpid()}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.magic + bucket.checksum + marshal.dumps(bucket.code))
            os.replace(temp, bucket.path)
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass


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
    from fossilpy.web.tplenv import url_quote

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
