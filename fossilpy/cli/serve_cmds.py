"""The door commands: ``server``, ``ui``, ``http``, ``test-http`` and ``cgi``.

Each resolves what to serve (Fossil 2.21 ``find_server_repository``):

* a ``REPOSITORY`` argument that is a directory serves every ``*.fossil``
  below it (unless it is the root of a checkout, for ``ui``);
* a file argument serves that repository;
* no argument: the repository of the checkout around the current directory
  (``.fslckout`` or ``_FOSSIL_``, ``vvar.repository``); for ``ui`` outside a
  checkout, the default repository ``$XDG_DATA_HOME/fossilpy/default.fossil``
  (``~/.local/share/fossilpy/default.fossil``), created on first use.

then builds the one WSGI application and hands it to a door in
:mod:`fossilpy.serve`.  Only ``cli`` and ``serve`` read the environment.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from fossilpy.budget import DEFAULT_SECONDS
from fossilpy.cli.common import command
from fossilpy.errors import FossilError, UserError
from fossilpy.text import is_digits

MAX_BODY = 50_000_000
CHECKOUT_DB_NAMES = (".fslckout", "_FOSSIL_")


def checkout_repository(start: str | None = None) -> str | None:
    """The repository of the checkout containing ``start`` (default: cwd), if any."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        for name in CHECKOUT_DB_NAMES:
            db = folder / name
            if not db.is_file():
                continue
            value = _read_value(str(db), "SELECT value FROM vvar WHERE name='repository'")
            if value:
                repo = Path(str(value))
                return str(repo if repo.is_absolute() else folder / repo)
    return None


def _read_value(path: str, sql: str) -> Any:
    """The first column of the first row of ``sql`` in database ``path``, opened
    read-only; None if there is none or the file cannot be read."""
    from urllib.parse import quote

    try:
        con = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
        try:
            row = con.execute(sql).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def default_repository() -> str:
    """The newcomer's repository for ``ui``, created on first use."""
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    path = os.path.join(data, "fossilpy", "default.fossil")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from fossilpy.repo.create import create_repository

        create_repository(path, env=os.environ).close()
    return path


def resolve_target(arg: str | None, *, ui: bool = False, create: bool = False) -> dict[str, Any]:
    """``repository=`` or ``directory=`` for the AppConfig of ``arg``."""
    if arg:
        if os.path.isdir(arg):
            if ui and any(os.path.isfile(os.path.join(arg, n)) for n in CHECKOUT_DB_NAMES):
                found = checkout_repository(arg)
                if found:
                    return {"repository": os.path.abspath(found)}
            return {"directory": os.path.abspath(arg)}
        if not os.path.isfile(arg):
            if create:
                from fossilpy.repo.create import create_repository

                create_repository(arg, env=os.environ).close()
            else:
                raise UserError(
                    f"repository does not exist or is in an unreadable directory: {arg}")
        return {"repository": os.path.abspath(arg)}
    found = checkout_repository()
    if found:
        if not os.path.isfile(found):
            raise UserError(f"repository does not exist or is in an unreadable directory: {found}")
        return {"repository": os.path.abspath(found)}
    if ui:
        return {"repository": default_repository()}
    raise UserError("no repository given and not within an open checkout",
                    hint="name a repository file or a directory of repositories")


def _files(glob: str | None) -> tuple[str, ...]:
    return tuple(g.strip() for g in (glob or "").split(",") if g.strip())


def _app_factory(config: dict[str, Any]) -> Any:
    from fossilpy.serve.gateway import load_app

    def factory() -> Any:
        return load_app(**config)

    return factory


def _common_options(func: Any) -> Any:
    options = [
        click.option("--baseurl", metavar="URL", help="Use URL as the base (useful behind reverse proxies)."),
        click.option("--https", is_flag=True, help="Requests come through a proxy that decoded HTTPS."),
        click.option("--localauth", is_flag=True, help="Requests from localhost get setup rights."),
        click.option("--repolist", is_flag=True, help="If REPOSITORY is a directory, / lists its repositories."),
        click.option("--notfound", metavar="URL", help="Redirect to URL when nothing matches."),
        click.option("--files", "files", metavar="GLOBLIST", help="Comma-separated globs of static files to serve."),
        click.option("--nojail", is_flag=True, help="Accepted for compatibility (fossilpy never chroots)."),
        click.option("--chroot", metavar="DIR", hidden=True),
        click.option("--nossl", is_flag=True, hidden=True),
        click.option("--nocompress", is_flag=True, hidden=True),
        click.option("--nodelay", is_flag=True, hidden=True),
        click.option("--jsmode", hidden=True),
        click.option("--skin", hidden=True),
        click.option("--extroot", hidden=True),
        click.option("--errorlog", metavar="FILE", help="Append diagnostics (failed requests, tracebacks) to FILE."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _log_to(errorlog: str | None) -> None:
    """Send the process's log to ``errorlog`` (opened now), else leave it to the first line (stderr)."""
    if errorlog:
        from fossilpy import log

        log.configure(errorlog)


def _config(target: dict[str, Any], *, baseurl: str | None, https: bool, localauth: bool,
            repolist: bool, notfound: str | None, files: str | None) -> dict[str, Any]:
    return {**target, "repolist": repolist, "notfound": notfound, "files": _files(files),
            "baseurl": baseurl, "localauth": localauth, "https": https, "max_body": MAX_BODY}


def _serve(ui: bool, repository: str | None, port: str | None, localhost: bool, scgi: bool,
           create: bool, nobrowser: bool, page: str | None, workers: int | None,
           max_latency: float = DEFAULT_SECONDS, **opts: Any) -> None:
    from fossilpy.serve import http as door

    _log_to(opts.get("errorlog"))
    target = resolve_target(repository, ui=ui, create=create)
    if ui:
        localhost = True
        opts["localauth"] = True
        opts["repolist"] = True
    cfg = _config(target, **{k: opts[k] for k in
                             ("baseurl", "https", "localauth", "repolist", "notfound", "files")})
    cfg["max_latency"] = max_latency
    first = door.DEFAULT_PORT
    if port is None and "repository" in target:
        first = _http_port_setting(target["repository"]) or first
    sock = door.bind_listener(port, localhost=localhost, first=first)
    number = sock.getsockname()[1]
    if scgi:
        from fossilpy.serve.scgi import make_server

        app = _app_factory(cfg)()
        click.echo(f"Listening for SCGI requests on TCP port {number}")
        sys.stdout.flush()
        count = workers if workers is not None else door.default_workers()
        door.run_workers(count, lambda: make_server(app, sock, max_body=MAX_BODY, https=opts["https"],
                                                    max_latency=max_latency, forked=count > 1).run())
        return
    click.echo(f"Listening for HTTP requests on TCP port {number}")
    sys.stdout.flush()
    if ui and not nobrowser:
        if page is None and _opens_checkout(repository):  # Fossil's start page in a check-out
            page = "timeline?c=current"
        url = f"http://localhost:{number}/{(page or '').lstrip('/')}"
        browser = _read_value(target["repository"], "SELECT value FROM config WHERE name='web-browser'") \
            if "repository" in target else None
        if browser is None:  # then the per-user configuration's, as Fossil's db_get
            from fossilpy.cli.diff_cmds import global_setting

            browser = global_setting("web-browser")
        if browser:
            _start_browser(str(browser), url)
        elif not door.open_browser(url):
            click.echo(f"Open {url} in a web browser.")
            sys.stdout.flush()
    door.HttpServer(_app_factory(cfg), sock, door="server", https=opts["https"],
                    max_body=MAX_BODY, workers=workers, max_latency=max_latency).serve_forever()


def _opens_checkout(arg: str | None) -> bool:
    """``fossil ui`` runs in a check-out (``g.localOpen``): no REPOSITORY and one around
    the current folder, or REPOSITORY a check-out's folder."""
    if arg is None:
        return checkout_repository() is not None
    return os.path.isdir(arg) and any(os.path.isfile(os.path.join(arg, n)) for n in CHECKOUT_DB_NAMES)


def _start_browser(browser: str, url: str) -> None:
    """Fossil's way with the ``web-browser`` setting: ``BROWSER 'URL' &`` through the shell."""
    from fossilpy.checkout.diffext import escaped_arg, system

    cmd = escaped_arg(browser.encode("utf-8", "surrogateescape"), url.encode(), filename=False) + b" &"
    try:
        if system(cmd) < 0:
            click.echo(f"fossilpy: cannot start browser: {cmd.decode('utf-8', 'replace')}", err=True)
    except FossilError as exc:
        click.echo(f"fossilpy: {exc}", err=True)


def _http_port_setting(path: str) -> int | None:
    value = str(_read_value(path, "SELECT value FROM config WHERE name='http-port'") or "")
    return int(value) if is_digits(value) else None


def _server_command(name: str, ui: bool, doc: str) -> Any:
    @command(name, help=doc)
    @click.argument("repository", required=False)
    @click.option("-P", "--port", metavar="[ADDR:]N", help="Listen on exactly this port.")
    @click.option("--localhost", is_flag=True, help="Listen on 127.0.0.1 only.")
    @click.option("--scgi", is_flag=True, help="Speak SCGI (for a front web server) instead of HTTP.")
    @click.option("--create", is_flag=True, help="Create REPOSITORY if it does not exist.")
    @click.option("-B", "--nobrowser", is_flag=True, help="Do not start a web browser (ui).")
    @click.option("-p", "--page", metavar="PAGE", help="Start the browser on PAGE (ui).")
    @click.option("--workers", type=click.IntRange(1, 64), metavar="N",
                  help="Worker processes (default: two per CPU, at most 16).")
    @click.option("--max-latency", metavar="N", type=click.FloatRange(min=0, min_open=True),
                  default=DEFAULT_SECONDS, show_default=True,
                  help="Stop any single request after N seconds (it is answered 503).")
    @_common_options
    def cmd(repository: str | None, port: str | None, localhost: bool, scgi: bool, create: bool,
            nobrowser: bool, page: str | None, workers: int | None, max_latency: float,
            **opts: Any) -> None:
        _serve(ui, repository, port, localhost, scgi, create, nobrowser, page, workers,
               max_latency=max_latency, **opts)

    return cmd


server_cmd = _server_command("server", False, """Serve REPOSITORY (or a directory of them) over HTTP.

    Without --port the first free TCP port from 8080 (or the http-port
    setting) up is used.  Requests are answered by worker processes, a
    thread per connection; slow clients time out.  With --scgi the server
    speaks SCGI to a front web server such as nginx.
    """)

ui_cmd = _server_command("ui", True, """Serve REPOSITORY on localhost and open a web browser on it.

    Like "server", but bound to 127.0.0.1, with setup rights for local
    requests and / listing repositories.  Without REPOSITORY, the checkout
    around the current directory is served, or else a default repository
    created on first use.
    """)


@command("http")
@click.argument("repository", required=False)
@click.option("--in", "in_file", metavar="FILE", help="Read the request from FILE instead of stdin.")
@click.option("--out", "out_file", metavar="FILE", help="Write the reply to FILE instead of stdout.")
@click.option("--ipaddr", metavar="ADDR", help="The request comes from ADDR.")
@click.option("--scgi", is_flag=True, help="The request is SCGI rather than HTTP.")
@click.option("--host", metavar="NAME", hidden=True)
@click.option("--max-latency", metavar="N", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_SECONDS, show_default=True,
              help="Stop any single request after N seconds (it is answered 503).")
@_common_options
def http_cmd(repository: str | None, in_file: str | None, out_file: str | None,
             ipaddr: str | None, scgi: bool, host: str | None, max_latency: float,
             **opts: Any) -> None:
    """Answer one HTTP request on standard input (inetd, systemd sockets).

    The reply, a full HTTP/1.0 reply, goes to standard output.  When
    SSH_CONNECTION is set several requests are answered on one connection,
    as for test-http.
    """
    from fossilpy.serve import stdio
    from fossilpy.serve.gateway import load_app

    _log_to(opts.get("errorlog"))
    cfg = _config(resolve_target(repository), **{k: opts[k] for k in
                  ("baseurl", "https", "localauth", "repolist", "notfound", "files")})
    cfg["backoffice"] = in_file is None  # Fossil: --in FILE never starts a backoffice
    inp, out = _streams(in_file, out_file)
    app = load_app(**cfg)
    if host:
        app = _with_host(app, host)
    if scgi:
        from fossilpy.serve.scgi import serve_stdin

        serve_stdin(app, inp, out, max_body=MAX_BODY, https=opts["https"], max_latency=max_latency)
    else:
        stdio.run_http(app, inp, out, ipaddr=ipaddr, https=opts["https"], max_body=MAX_BODY,
                       sent=stdio.detach_stdout if out is sys.stdout.buffer else out.flush,
                       max_latency=max_latency)
    out.flush()


def _with_host(app: Any, host: str) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_HOST"] = host
        return app(environ, start_response)

    return wrapped


def _streams(in_file: str | None, out_file: str | None) -> tuple[Any, Any]:
    try:
        inp = open(in_file, "rb") if in_file else sys.stdin.buffer  # noqa: SIM115
    except OSError:
        raise UserError(f'cannot open "{in_file}" for reading') from None
    try:
        out = open(out_file, "wb") if out_file else sys.stdout.buffer  # noqa: SIM115
    except OSError:
        raise UserError(f'cannot open "{out_file}" for writing') from None
    return inp, out


@command("test-http")
@click.argument("repository", required=False)
@click.option("--usercap", metavar="CAP", default="sxy", show_default=True,
              help="Capabilities granted to the requests.")
@click.option("--test", "no_ssh", is_flag=True,
              help="No SSH sync processing, even when SSH_CONNECTION is set.")
@click.option("--th-trace", is_flag=True, hidden=True)
@click.option("--extroot", hidden=True)
@click.option("--max-latency", metavar="N", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_SECONDS, show_default=True,
              help="Stop any single request after N seconds (it is answered 503).")
def test_http_cmd(repository: str | None, usercap: str, no_ssh: bool, th_trace: bool,
                  extroot: str | None, max_latency: float) -> None:
    """Answer HTTP requests on stdin with setup rights: the far end of ssh:// sync.

    A Fossil client runs "ssh HOST fossil test-http PATH"; with SSH_CONNECTION
    set, requests are answered one after another until end of input, each
    reply in CGI form ("Status: 200 OK").  Without it, one request is
    answered, which is handy for debugging pages: echo 'GET /timeline' |
    fossilpy test-http REPO.
    """
    from fossilpy.serve import stdio
    from fossilpy.serve.gateway import load_app

    app = load_app(**resolve_target(repository), max_body=MAX_BODY)
    stdio.run_test_http(app, sys.stdin.buffer, sys.stdout.buffer, usercap=usercap,
                        use_ssh=not no_ssh, max_body=MAX_BODY, max_latency=max_latency)
    sys.stdout.flush()


@command("cgi")
@click.argument("file", metavar="FILE")
def cgi_cmd(file: str) -> None:
    """Answer a CGI request using the control file FILE.

    FILE is usually the CGI script itself ("#!/usr/bin/fossilpy" followed by
    "repository: /path/to/repo.fossil"); when the web server sets
    GATEWAY_INTERFACE the word "cgi" may be left out.  The keywords are
    those of Fossil: repository:, directory:, notfound:, repolist, files:,
    setenv:, HOME:, errorlog:, timeout:, redirect:, localauth.
    """
    from fossilpy.serve.cgi import run_cgi_script

    run_cgi_script(file)
