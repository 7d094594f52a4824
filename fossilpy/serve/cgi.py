"""The CGI door: a web server runs a script whose first line is ``#!/path/to/fossilpy``.

The script is a Fossil 2.21 CGI control file (``cmd_cgi``).  Lines are read
in order; the first word is the keyword, the rest its argument::

    #!/usr/bin/fossilpy            # lines starting with "#" are ignored
    errorlog: /var/log/fossil.log  # before repository:, to catch its errors
    repository: /srv/fossil/project.fossil      (PATH = rest of the line)
    directory: /srv/fossil         # serve every *.fossil below (one word)
    notfound: URL                  # directory mode: 302 here when nothing matches
    repolist                       # directory mode: "/" lists the repositories
    files: *.html,*.css            # directory mode: static files to serve
    localauth                      # loopback clients get setup rights
    setenv: NAME [VALUE]           # set (or, without VALUE, unset) NAME
    HOME: PATH                     # same as "setenv: HOME PATH"
    timeout: SECONDS               # the request's time budget (default 60; see below)
    redirect: REPO URL             # see below; may repeat
    nossl, nocompress, skin:, jsmode:, mainmenu:, extroot:, cgi-debug:
                                   # accepted and ignored

``redirect:`` lines (Fossil's ``redirect_web_page``) replace serving: NAME
is the ``name`` query parameter or PATH_INFO without its ``/``; the first
REPO holding an artifact or ticket whose hash starts with NAME (NAME all
hex) gets a 302 to URL with ``%s`` replaced by NAME.  REPO ``*`` names the
fallback URL, which gets NAME for ``%s``, is used as is when it holds a
``?``, and otherwise gets PATH_INFO and ``?QUERY_STRING`` appended.

``timeout:`` sets the request's time budget (:mod:`fossilpy.budget`): past
it the request is answered 503 and its work stops.  Without the line the
budget is 60 seconds.  Either way the process ends
:data:`DEFAULT_TIMEOUT` seconds (Fossil's 600), or ``timeout:`` seconds,
after it started, whatever it is doing, as Fossil's CGI timeout does.

The request comes in the CGI variables and on standard input.  Without
CONTENT_LENGTH a POST body is read to end of input (some servers pass a
chunked body that way) and ``fossilpy.input_terminated`` is set.  SCRIPT_NAME,
PATH_INFO and REQUEST_URI are completed from each other as Fossil's
``cgi_init`` does.  The reply is in CGI form (``Status: 200 OK``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, BinaryIO

from fossilpy.record import Record
from fossilpy.serve import gateway
from fossilpy.serve.request import BadRequest, content_length, percent_decode

DEFAULT_TIMEOUT = 600
#: The request's time budget without a ``timeout:`` line (fossilpy.budget.DEFAULT_SECONDS).
DEFAULT_MAX_LATENCY = 60.0
DEFAULT_MAX_BODY = 50_000_000
_IGNORED = {"nossl", "nocompress", "skin:", "jsmode:", "mainmenu:", "extroot:", "cgi-debug:"}


class CgiScript(Record):
    """What a control file asks for (the AppConfig fields plus door-only ones)."""

    __slots__ = ("repository", "directory", "notfound", "repolist", "localauth", "files", "errorlog",
                 "timeout", "redirects")

    def __init__(self, repository: str | None = None, directory: str | None = None, notfound: str | None = None,
                 repolist: bool = False, localauth: bool = False, files: tuple[str, ...] = (),
                 errorlog: str | None = None, timeout: int | None = None,
                 redirects: list[tuple[str, str]] | None = None) -> None:
        self.repository = repository
        self.directory = directory
        self.notfound = notfound
        self.repolist = repolist
        self.localauth = localauth
        self.files = files
        self.errorlog = errorlog
        self.timeout = timeout
        self.redirects: list[tuple[str, str]] = [] if redirects is None else redirects

    def app_config(self) -> dict[str, Any]:
        """Keyword arguments for ``AppConfig``."""
        return {
            "repository": self.repository,
            "directory": self.directory,
            "repolist": self.repolist,
            "notfound": self.notfound,
            "files": self.files,
            "localauth": self.localauth,
        }


def parse_script(text: str, environ: dict[str, str] | None = None) -> CgiScript:
    """Apply the lines of a control file in order; ``setenv:``/``HOME:`` edit ``environ``."""
    env = os.environ if environ is None else environ
    script = CgiScript()
    for raw in text.splitlines():
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        key, args = words[0], words[1:]
        rest = raw.strip()[len(key):].strip()
        if key == "repository:" and rest:
            script.repository, script.directory = rest, None
        elif key == "directory:" and args:
            script.directory, script.repository = args[0], None
        elif key == "notfound:" and args:
            script.notfound = args[0]
        elif key == "repolist":
            script.repolist = True
        elif key == "localauth":
            script.localauth = True
        elif key == "files:" and args:
            script.files = tuple(g.strip() for g in args[0].split(",") if g.strip())
        elif key == "setenv:" and args:
            if len(args) > 1:
                env[args[0]] = args[1]
            else:
                env.pop(args[0], None)
        elif key == "HOME:" and args:
            env["HOME"] = args[0]
        elif key == "errorlog:" and args:
            script.errorlog = args[0]
        elif key == "timeout:" and args:
            try:
                script.timeout = int(args[0])
            except ValueError:
                script.timeout = 0
        elif key == "redirect:" and len(args) >= 2:
            script.redirects.append((args[0], args[1]))
        elif key in _IGNORED:
            continue
    return script


def complete_environ(env: dict[str, Any]) -> None:
    """Fill in SCRIPT_NAME / PATH_INFO / REQUEST_URI from each other (Fossil ``cgi_init``).

    One leniency over Fossil: with only REQUEST_URI (nginx's stock
    ``scgi_params`` send no SCRIPT_NAME or PATH_INFO) the application is
    taken to be mounted at the root.

    Raises BadRequest when they cannot be reconciled.
    """
    uri = env.get("REQUEST_URI")
    script = env.get("SCRIPT_NAME")
    path = env.get("PATH_INFO")
    if script is None and path is None and uri is not None:
        script = env["SCRIPT_NAME"] = ""  # nginx's stock scgi_params: mounted at the root
    if script is None:
        if uri is None or path is None:
            raise BadRequest(501, "missing SCRIPT_NAME")
        at = uri.find(path)
        if at < 0:
            raise BadRequest(501, "PATH_INFO not found in REQUEST_URI")
        script = env["SCRIPT_NAME"] = uri[:at]
    if uri is None:
        if path is None:
            raise BadRequest(501, "missing PATH_INFO and/or REQUEST_URI")
        query = env.get("QUERY_STRING", "")
        uri = env["REQUEST_URI"] = f"{script}/{path.lstrip('/')}" + (f"?{query}" if query else "")
    if path is None:
        target = uri.split("?", 1)[0]
        common = 0
        while common < min(len(target), len(script)) and target[common] == script[common]:
            common += 1
        env["PATH_INFO"] = percent_decode(target[common:])
        if common < len(script) and common < len(target):
            env["SCRIPT_NAME"] = script[:common]
    env.setdefault("QUERY_STRING", uri.split("?", 1)[1] if "?" in uri else "")
    https = str(env.get("HTTPS", "")).lower() in ("on", "1")
    env["wsgi.url_scheme"] = "https" if https else "http"


def read_cgi_body(env: dict[str, Any], stdin: BinaryIO, max_body: int) -> bytes:
    """The request body: CONTENT_LENGTH bytes, or (a POST without it) all of stdin."""
    length = env.get("CONTENT_LENGTH")
    if length not in (None, ""):
        n = content_length(str(length).strip(), max_body)
        data = stdin.read(n) if n else b""
        return data or b""
    if env.get("REQUEST_METHOD") != "POST":
        return b""
    data = stdin.read(max_body + 1) or b""
    if len(data) > max_body:
        raise BadRequest(413, f"request body larger than {max_body} bytes")
    env["fossilpy.input_terminated"] = True
    env["CONTENT_LENGTH"] = str(len(data))
    return data


def _is_hex_prefix(name: str) -> bool:
    return 4 <= len(name) <= 64 and all(c in "0123456789abcdefABCDEF" for c in name)


def redirect_target(redirects: Iterable[tuple[str, str]], env: dict[str, Any]) -> str | None:
    """Where the ``redirect:`` lines send this request; None means "No such object"."""
    from urllib.parse import parse_qs

    names = parse_qs(env.get("QUERY_STRING", "")).get("name")
    name = names[0] if names else env.get("PATH_INFO", "").lstrip("/")
    fallback = None
    for repo, url in redirects:
        if repo == "*":
            fallback = url
            continue
        if name and _is_hex_prefix(name) and _repo_has(repo, name.lower()):
            return url.replace("%s", name)
    if fallback is None:
        return None
    if "%s" in fallback:
        return fallback.replace("%s", name)
    if "?" in fallback:
        return fallback
    path = env.get("PATH_INFO", "")
    query = env.get("QUERY_STRING", "")
    return fallback + (path if path.startswith("/") else "") + (f"?{query}" if query else "")


def _repo_has(path: str, prefix: str) -> bool:
    from fossilpy.repo.db import Repo

    try:
        repo = Repo.open(path, readonly=True)
    except Exception:  # noqa: BLE001 - an unreadable repository simply does not match
        return False
    try:
        pattern = prefix + "*"
        if repo.one("SELECT 1 FROM blob WHERE uuid GLOB ?", (pattern,)):
            return True
        return bool(repo.table_exists("ticket")
                    and repo.one("SELECT 1 FROM ticket WHERE tkt_uuid GLOB ?", (pattern,)))
    finally:
        repo.close()


def _redirect_app(redirects: list[tuple[str, str]]) -> gateway.WSGIApp:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        target = redirect_target(redirects, environ)
        if target is None:
            name = environ.get("PATH_INFO", "").lstrip("/")
            esc = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            body = (f"<html>\n<head><title>No Such Object</title></head>\n<body>\n"
                    f"<p>No such object: <b>{esc}</b></p>\n</body>\n").encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        start_response("302 Moved Temporarily", [("Location", target), ("Content-Length", "0")])
        return []

    return app


def _arm_timeout(seconds: int) -> None:
    import signal

    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        return

    def expired(signum: int, frame: Any) -> None:
        from fossilpy import log

        log.get(__name__).error("CGI timeout after %d seconds", seconds)
        os._exit(1)

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


def serve_cgi(script: CgiScript, env: dict[str, Any], stdin: BinaryIO, stdout: BinaryIO,
              *, app: gateway.WSGIApp | None = None, max_body: int = DEFAULT_MAX_BODY,
              sent: Any = None) -> int:
    """Answer the CGI request in ``env``/``stdin`` for ``script``; return the status.

    ``sent`` is called once the reply is out (see :func:`gateway.respond`).
    """
    errors: Any = sys.stderr
    if script.errorlog:
        from fossilpy import log

        log.configure(script.errorlog, lazy=True)
    try:
        complete_environ(env)
        body = read_cgi_body(env, stdin, max_body)
    except BadRequest as exc:
        gateway.write_error(stdout, exc.status, exc.message, full_http=False)
        return exc.status
    import io

    env["wsgi.input"] = io.BytesIO(body)
    env.update(gateway.base_environ(door="cgi", run_once=True, errors=errors))
    if app is None:
        if script.redirects:
            app = _redirect_app(script.redirects)
        elif not script.repository and not script.directory:
            gateway.write_error(stdout, 500, "Unable to find or open the project repository",
                                full_http=False)
            return 500
        else:
            try:
                app = gateway.load_app(**script.app_config(), max_body=max_body)
            except Exception:  # noqa: BLE001 - report, never show a traceback
                gateway.log_exception(env)
                gateway.write_error(stdout, 500, "Unable to find or open the project repository",
                                    full_http=False)
                return 500
    seconds = script.timeout if script.timeout and script.timeout > 0 else DEFAULT_MAX_LATENCY
    return gateway.respond_once(app, env, stdout, seconds=seconds, full_http=False, sent=sent)


def run_cgi_script(path: str) -> int:
    """Serve the CGI request of this process with control file ``path``; exit status."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError as exc:
        gateway.write_error(sys.stdout.buffer, 500, f"cannot read the CGI script: {exc.strerror}",
                            full_http=False)
        return 1
    from fossilpy.serve.stdio import detach_stdout

    script = parse_script(text)
    _arm_timeout(script.timeout if script.timeout is not None else DEFAULT_TIMEOUT)
    from fossilpy.backoffice.trigger import keep_cgi_alive

    keep_cgi_alive()  # lighttpd SIGTERMs a CGI once it has the reply: start the backoffice first
    env: dict[str, Any] = gateway.untrusted_environ(dict(os.environ))
    serve_cgi(script, env, sys.stdin.buffer, sys.stdout.buffer, sent=detach_stdout)
    sys.stdout.flush()
    return 0

