"""The one WSGI application behind every door (PEP 3333).

``make_app(AppConfig(...))`` returns an immutable callable.  One request:

1. read the body (exactly CONTENT_LENGTH bytes; over ``max_body`` -> 413);
2. find the repository: the configured file, or in directory mode the
   leading PATH_INFO segments (:mod:`fossilpy.web.repodir`, Fossil's
   naming rules), which move from PATH_INFO to SCRIPT_NAME;
3. a Content-Type starting ``application/x-fossil`` goes to the sync
   server whatever the path (Fossil's rule: ``process_one_web_page`` in
   ``src/main.c`` dispatches on the Content-Type);
4. otherwise open the repository read-only, establish the login
   (:mod:`fossilpy.web.auth`), look the page up (:mod:`fossilpy.web.routes`),
   check its capabilities (missing ones -> redirect to /login) and call it;
5. errors map once, here (``App._status_of``; ``HTTPError`` is a
   ``FossilError`` too): ``HTTPError`` -> its status, ``NotFound`` -> 404,
   ``PermissionDenied`` -> 403, other ``UserError``/``ArtifactError`` -> 400,
   anything else -> 500 with a one-line message; the traceback goes to
   the log (:mod:`fossilpy.log`), never to the client;
6. every reply carries a Content-Security-Policy with a fresh nonce,
   ``X-Frame-Options: SAMEORIGIN`` and ``X-Content-Type-Options: nosniff``;
7. after a 200 for a repository, once the body has been sent (the reply
   iterable's ``close()``), ``fossilpy.backoffice.trigger.after_reply``.
"""

from __future__ import annotations

import _thread
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fossilpy import budget
from fossilpy.errors import FossilError
from fossilpy.record import Record
from fossilpy.web.request import HTTPError, Request, Response, read_body, redirect, status_line

if TYPE_CHECKING:
    from fossilpy.web.repopool import RepoPool

#: Fossil's built-in Content-Security-Policy ($nonce replaced per reply).
DEFAULT_CSP = (
    "default-src 'self' data:; script-src 'self' 'nonce-$nonce'; "
    "style-src 'self' 'unsafe-inline'; img-src * data:"
)


class AppConfig(Record):
    """What to serve and how; the doors fill it from their options.

    ``backoffice``: start a backoffice after 200 replies (off for
    ``http --in FILE``, as in Fossil).  ``max_latency`` (seconds) and
    ``max_memory`` (bytes) make a request's budget when the door did not
    make one (:mod:`fossilpy.budget`).  ``temp_dir``: where the per-user
    cache of compiled templates goes (:class:`fossilpy.web.render.CodeCache`;
    the doors pass ``TMPDIR`` or ``/tmp``, None asks ``tempfile``).
    Read-only once made.
    """

    __slots__ = ("repository", "directory", "repolist", "notfound", "files", "baseurl", "localauth", "https",
                 "max_body", "backoffice", "max_latency", "max_memory", "temp_dir")
    repository: str | None
    directory: str | None
    repolist: bool
    notfound: str | None
    files: tuple[str, ...]
    baseurl: str | None
    localauth: bool
    https: bool
    max_body: int
    backoffice: bool
    max_latency: float
    max_memory: int
    temp_dir: str | None

    def __init__(self, *, repository: str | None = None, directory: str | None = None, repolist: bool = False,
                 notfound: str | None = None, files: tuple[str, ...] = (), baseurl: str | None = None,
                 localauth: bool = False, https: bool = False, max_body: int = 50_000_000,
                 backoffice: bool = True, max_latency: float = budget.DEFAULT_SECONDS,
                 max_memory: int = budget.DEFAULT_MEMORY, temp_dir: str | None = None) -> None:
        values = (repository, directory, repolist, notfound, tuple(files), baseurl, localauth, https, max_body,
                  backoffice, max_latency, max_memory, temp_dir)
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"AppConfig is read-only: cannot set {name}")

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in self.__slots__))

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle go through __init__
        return (_config_from_fields, ({name: getattr(self, name) for name in self.__slots__},))


def _config_from_fields(fields: dict[str, Any]) -> AppConfig:
    return AppConfig(**fields)


class RequestMetrics:
    """Request counters of this process, read by ``/metrics`` (``fossilpy.web.pages.ops``).

    Per process: under ``server``/SCGI each forked worker counts its own
    requests (the page reports its pid).  ``requests`` maps (page, status)
    to a count; ``buckets`` counts latencies up to each bound of ``BOUNDS``
    (seconds; the last slot is +Inf).
    """

    BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

    def __init__(self) -> None:
        self.lock = _thread.allocate_lock()
        self.requests: dict[tuple[str, int], int] = {}
        self.buckets = [0] * (len(self.BOUNDS) + 1)
        self.seconds = 0.0
        self.count = 0

    def observe(self, page: str, status: int, seconds: float) -> None:
        """Count one reply of ``page`` with ``status`` that took ``seconds``."""
        slot = next((i for i, b in enumerate(self.BOUNDS) if seconds <= b), len(self.BOUNDS))
        with self.lock:
            self.requests[(page, status)] = self.requests.get((page, status), 0) + 1
            self.buckets[slot] += 1
            self.seconds += seconds
            self.count += 1


def make_app(config: AppConfig) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """The WSGI application for ``config``."""
    return App(config)


class _Body:
    """The reply iterable; ``close()`` runs the after-reply hook once."""

    def __init__(self, chunks: list[bytes], on_close: Callable[[], None] | None) -> None:
        self._chunks = chunks
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        hook, self._on_close = self._on_close, None
        if hook is not None:
            try:
                hook()
            except Exception:  # noqa: BLE001 - the reply is sent: report, never fail it
                _logger().exception("after-reply hook failed")


def _error_headers(resp: Response, exc: BaseException, retry: int | None) -> None:
    """Add an error reply's extra headers: an ``HTTPError``'s own, and ``Retry-After``."""
    if isinstance(exc, HTTPError):
        resp.headers.extend(exc.headers)
    if retry is not None:
        resp.headers.append(("Retry-After", str(retry)))


def _logger() -> Any:
    """This module's logger (fossilpy.log is imported only when something is logged)."""
    from fossilpy import log

    return log.get(__name__)


def _after_reply(repo_path: str, pool: RepoPool | None) -> None:
    """Run the backoffice's after-reply work; a failure is logged, never raised.

    ``pool``: the long-running doors' idle handles, through which the lease
    is read (None: a one-request process, which opens the file once more).
    """
    from fossilpy.backoffice import trigger

    try:
        if pool is None:
            trigger.after_reply(repo_path)
            return
        repo = pool.acquire(repo_path)
        ok = False
        try:
            trigger.after_reply(repo_path, repo)
            ok = True
        finally:
            pool.release(repo, reusable=ok)
    except Exception:  # noqa: BLE001 - background work must not fail a finished reply
        _logger().exception("after-reply work for %s failed", repo_path)


class App:
    """The WSGI callable.  Holds only the frozen config and a lazy renderer."""

    def __init__(self, config: AppConfig) -> None:
        from fossilpy.web.render import Renderer
        from fossilpy.web.repopool import RepoPool

        self.config = config
        self.render = Renderer(config.temp_dir)
        #: idle read-only handles for the long-running doors (see repopool)
        self.repos = RepoPool()
        #: request counters of this process, for /metrics
        self.metrics = RequestMetrics()

    # -- WSGI entry ------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        limits = environ.get("fossilpy.budget")
        if not isinstance(limits, budget.Budget):  # served by a WSGI server other than fossilpy's doors
            limits = budget.Budget(self.config.max_latency, self.config.max_memory)
        with budget.use(limits):
            return self._respond(environ, start_response, limits)

    def _respond(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 limits: budget.Budget) -> Iterable[bytes]:
        started = time.monotonic()
        nonce = os.urandom(24).hex()  # 48 hex digits, as Fossil
        repo_path: str | None = None
        csp_format = DEFAULT_CSP
        try:
            resp, repo_path, csp_format = self._handle(environ, nonce, started)
            limits.charge(len(resp.body))
        except Exception as exc:  # noqa: BLE001 - one place maps every failure to a status
            resp = self._failure(environ, exc, nonce)
        self.metrics.observe(str(environ.get("fossilpy.page") or "-"), resp.status, time.monotonic() - started)
        headers = [("Content-Type", resp.content_type)]
        headers += resp.headers
        names = {k.lower() for k, _ in headers}
        if "content-security-policy" not in names:
            headers.append(("Content-Security-Policy", csp_format.replace("$nonce", nonce)))
        headers.append(("X-Frame-Options", "SAMEORIGIN"))
        headers.append(("X-Content-Type-Options", "nosniff"))
        if "cache-control" not in names:
            headers.append(("Cache-control", "no-cache"))
        stream = getattr(resp, "stream", None)
        if stream is not None:  # a live stream (web/eventfeed.py): no length, no after-reply work
            start_response(status_line(resp.status), headers)
            return stream  # type: ignore[no-any-return]
        body = resp.body
        headers.append(("Content-Length", str(len(body))))
        start_response(status_line(resp.status), headers)
        if str(environ.get("REQUEST_METHOD", "GET")).upper() == "HEAD":
            body = b""
        hook = None
        if resp.status == 200 and repo_path and self.config.backoffice:
            path, pool = repo_path, (None if environ.get("wsgi.run_once") else self.repos)
            hook = lambda: _after_reply(path, pool)  # noqa: E731
        return _Body([body], hook)

    def _failure(self, environ: dict[str, Any], exc: Exception, nonce: str) -> Response:
        """The plain error page for a request that failed with ``exc`` (see :meth:`_status_of`)."""
        status, message, retry = self._status_of(environ, exc)
        resp = self.error_page(status, message, nonce)
        _error_headers(resp, exc, retry)
        return resp

    def _status_of(self, environ: dict[str, Any], exc: BaseException) -> tuple[int, str, int | None]:
        """``(status, message, Retry-After)`` for ``exc``: the one error-to-status mapping.

        ``HTTPError`` -> its status and message; a spent budget, an
        interrupted SQLite statement or ``MemoryError`` -> 503 with
        ``Retry-After``; a repository locked by another process -> 503 with
        ``Retry-After: 1``; another ``FossilError`` -> its ``http_status``
        (5xx details go to the log only); anything else -> 500 and the
        traceback in the log.  The message is shown to the client.
        """
        from fossilpy.repo.db import is_busy

        limits = budget.current()
        if isinstance(exc, MemoryError):
            exc.__traceback__ = None  # free what its frames held before logging and the error page
        if isinstance(exc, HTTPError):
            return exc.http_status, exc.message, None
        if isinstance(exc, budget.BudgetExceeded | MemoryError) or (limits is not None and limits.spent()):
            reason = (limits.reason if limits is not None else "") or str(exc) or "the request needed too much memory"
            self._log_line(environ, f"stopped: {reason}")
            return 503, f"This request was stopped: {reason}. Try again later.", budget.RETRY_AFTER
        if isinstance(exc, FossilError) and exc.http_status == 503 or is_busy(exc):
            self._log_line(environ, str(exc) or "repository is busy")
            return 503, "The repository is busy; try again in a moment.", 1
        if isinstance(exc, FossilError):
            if exc.http_status >= 500:  # server-side trouble: details (paths) go to the log only
                self._log_line(environ, str(exc))
                return exc.http_status, "The repository cannot be read; the details are in the server log.", None
            return exc.http_status, str(exc), None
        self._log_traceback(environ)
        return 500, "Internal server error; the details are in the server log.", None

    def _log_traceback(self, environ: dict[str, Any]) -> None:
        _logger().exception("error serving %s %s%s (door %s)", environ.get("REQUEST_METHOD"),
                                    environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
                                    environ.get("fossilpy.door", "?"))

    def _log_line(self, environ: dict[str, Any], message: str) -> None:
        _logger().warning("%s: %s", environ.get("PATH_INFO", ""), message)

    def error_page(self, status: int, message: str, nonce: str) -> Response:
        """A small HTML page for an error status (never a traceback)."""
        from fossilpy.web.render import error_html

        return Response(status=status, body=error_html(status, message, nonce))

    # -- one request -----------------------------------------------------

    def _handle(self, environ: dict[str, Any], nonce: str, started: float) -> tuple[Response, str | None, str]:
        cfg = self.config
        method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        if method not in ("GET", "POST", "HEAD"):
            raise HTTPError(405, f"method {method} is not supported")
        body = read_body(environ, cfg.max_body)
        from fossilpy.web.request import _wsgi_str

        path_info = _wsgi_str(str(environ.get("PATH_INFO") or ""))
        script_name = _wsgi_str(str(environ.get("SCRIPT_NAME") or "")).rstrip("/")
        https = (cfg.https or str(environ.get("HTTPS") or "").lower() == "on"
                 or environ.get("wsgi.url_scheme") == "https")
        if "\x00" in path_info:
            raise HTTPError(404, "not found")
        if cfg.repository:
            repo_path = cfg.repository
        elif cfg.directory:
            from fossilpy.web import repodir

            found = repodir.resolve(cfg.directory, path_info, cfg.files)
            if found.kind == "file":
                return repodir.static_response(found.path), None, DEFAULT_CSP
            if found.kind == "none":
                req = Request(environ, body=body, https=https, baseurl=cfg.baseurl, script_name=script_name,
                              path_info=path_info)
                if path_info in ("", "/") and cfg.repolist:
                    return repodir.list_page(self, req, cfg.directory, nonce), None, DEFAULT_CSP
                if cfg.notfound:
                    return redirect(req, cfg.notfound), None, DEFAULT_CSP
                raise HTTPError(404, "no such repository")
            repo_path = found.path
            script_name += found.prefix
            path_info = found.rest
        else:
            raise HTTPError(404, "no repository is configured")
        req = Request(environ, body=body, https=https, baseurl=cfg.baseurl, script_name=script_name,
                      path_info=path_info)
        if req.content_type.lower().startswith("application/x-fossil"):
            environ["fossilpy.page"] = "xfer"
            return self._xfer(req, repo_path), repo_path, DEFAULT_CSP
        from fossilpy.errors import StorageError
        from fossilpy.repo.db import Repo

        pooled = not environ.get("wsgi.run_once")
        try:
            repo = self.repos.acquire(repo_path) if pooled else Repo.open(repo_path, readonly=True)
        except StorageError:
            if req.page == "health":  # /health (web/pages/ops.py): the repository does not open
                raise HTTPError(503, "unavailable") from None
            if cfg.directory:
                raise HTTPError(404, "no such repository") from None
            raise
        ok = False
        try:
            resp, csp = self._page(req, repo, repo_path, nonce, started)
            ok = True
        finally:
            if pooled:
                self.repos.release(repo, reusable=ok)
            else:
                repo.close()
        return resp, repo_path, csp

    def _page(self, req: Request, repo: Any, repo_path: str, nonce: str, started: float) -> tuple[Response, str]:
        from fossilpy.web import auth, routes

        csp = repo.setting("default-csp") or DEFAULT_CSP
        csp = " ".join(csp.split())
        if not req.page:
            index = str(repo.config_get("index-page") or "/index")
            return redirect(req, "/" + index.lstrip("/")), csp
        page = routes.lookup(req.page)
        if page is None:
            raise HTTPError(404, f"Page not found: {req.page}")
        req.environ["fossilpy.page"] = page.name
        if req.method not in page.methods and not (req.method == "HEAD" and "GET" in page.methods):
            raise HTTPError(405, f"/{req.page} does not accept {req.method}")
        login = auth.check_credentials(repo, req, localauth=self.config.localauth)
        ctx = routes.Context(req=req, repo=repo, login=login, app=self, nonce=nonce)
        ctx.repo_path = repo_path
        ctx.started = started
        if not page.allowed(login):
            return login_needed(req, anon_ok=page.anon_ok and bool(login.anon_caps and not login.name)), csp
        try:
            resp = page.func(ctx)
        except FossilError as exc:
            if exc.http_status == 503 and not isinstance(exc, HTTPError):
                raise  # out of budget or a busy repository: answered without the repository
            status, message, retry = self._status_of(req.environ, exc)
            try:
                resp = ctx.render("error.html", status=status, title=status_line(status),
                                  heading=status_line(status), message=message)
            except Exception:  # noqa: BLE001 - fall back to the plain page, and say why
                self._log_traceback(req.environ)
                resp = self.error_page(status, message, nonce)
            _error_headers(resp, exc, retry)
        for cookie in login.set_cookies + ctx.cookies_out:
            resp.add_header("Set-Cookie", cookie)
        return resp, csp

    def _xfer(self, req: Request, repo_path: str) -> Response:
        """Hand a sync request to ``fossilpy.sync.server.handle_xfer``."""
        from fossilpy.repo.db import Repo
        from fossilpy.sync import server

        trusted = req.environ.get("fossilpy.trusted_caps")
        if trusted is None and self.config.localauth:  # import auth only then: sync must start fast
            from fossilpy.web.auth import localauth_applies

            if localauth_applies(req, True):
                trusted = "sxy"
        repo = Repo.open(repo_path)
        try:
            if trusted is not None and repo.setting_int("localauth") and "fossilpy.trusted_caps" not in req.environ:
                trusted = None
            ctype, body = server.handle_xfer(
                repo,
                req.body,
                req.content_type,
                remote_addr=req.remote_addr,
                remote_user=req.environ.get("REMOTE_USER"),
                trusted_caps=trusted,
            )
        finally:
            repo.close()
        return Response(status=200, body=body, content_type=ctype)


def login_needed(req: Request, *, anon_ok: bool) -> Response:
    """Redirect to /login?g=PAGE, as Fossil's ``login_needed``."""
    from urllib.parse import quote

    target = "/login?g=" + quote(req.path_info.lstrip("/"), safe="")
    if req.query_string:
        target += "%3f" + quote(req.query_string, safe="")
    if anon_ok:
        target += "&anon"
    return redirect(req, target)

