"""Test helpers for sync: a tiny WSGI server in front of ``handle_xfer``.

Until ``fossilpy server`` routes application/x-fossil requests itself, the
compat tests serve a repository with this wsgiref server (a thread on
127.0.0.1, free port).  To switch to the real door, replace
``XferServer(path)`` by a subprocess ``fossilpy server --port P PATH``.
"""

from __future__ import annotations

import os
import socketserver
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, *a):  # type: ignore[no-untyped-def]
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class XferServer:
    """Serve one repository's xfer endpoint on http://127.0.0.1:PORT/."""

    def __init__(self, path: str, *, fail_after: int | None = None, ssl_context=None) -> None:  # type: ignore[no-untyped-def]
        self.path = os.fspath(path)
        self.requests = 0
        self.fail_after = fail_after
        self.lock = threading.Lock()
        self.httpd = make_server(
            "127.0.0.1", 0, self.app, server_class=_ThreadingServer, handler_class=_Quiet
        )
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def app(self, environ, start_response):  # type: ignore[no-untyped-def]
        from fossilpy.repo.db import Repo
        from fossilpy.sync.server import handle_xfer

        ctype = environ.get("CONTENT_TYPE", "")
        if environ.get("PATH_INFO", "").startswith("/moved"):
            start_response("302 Moved", [("Location", self.url.rstrip("/") + "/repo/xfer"),
                                         ("Content-Length", "0")])
            return [b""]
        if environ["REQUEST_METHOD"] != "POST" or not ctype.startswith("application/x-fossil"):
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<html>not found</html>"]
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(n)
        with self.lock:
            self.requests += 1
            if self.fail_after is not None and self.requests > self.fail_after:
                # Simulate a connection that dies: a truncated reply.
                start_response("200 OK", [("Content-Type", "application/x-fossil"),
                                          ("Content-Length", "100000")])
                return [b"\x00\x01"]
            repo = Repo.open(self.path)
            try:
                rct, reply = handle_xfer(repo, body, ctype, remote_addr=environ.get("REMOTE_ADDR", ""))
            finally:
                repo.close()
        start_response("200 OK", [("Content-Type", rct), ("Content-Length", str(len(reply)))])
        return [reply]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def artifact_set(path, *, private: bool | None = False) -> set[str]:  # type: ignore[no-untyped-def]
    """Hashes of the non-phantom artifacts of a repository (public only by default)."""
    import sqlite3

    db = sqlite3.connect(os.fspath(path))
    try:
        sql = "SELECT uuid FROM blob WHERE size>=0"
        if private is False:
            sql += " AND rid NOT IN (SELECT rid FROM private)"
        elif private is True:
            sql += " AND rid IN (SELECT rid FROM private)"
        return {r[0] for r in db.execute(sql)}
    finally:
        db.close()


def row_counts(path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    import sqlite3

    db = sqlite3.connect(os.fspath(path))
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        db.close()


def sql(path, query: str, params=()):  # type: ignore[no-untyped-def]
    import sqlite3

    db = sqlite3.connect(os.fspath(path))
    try:
        cur = db.execute(query, params)
        rows = cur.fetchall()
        db.commit()
        return rows
    finally:
        db.close()


@contextmanager
def random_files_server(work: Path, files: int, size: int, max_download: int) -> Iterator[tuple[str, Path]]:
    """A real ``fossil server`` for the block; yields (URL, repository).

    The repository holds one check-in of ``files`` incompressible files of
    ``size`` bytes, and its ``max-download`` is ``max_download`` bytes, so
    that a clone of it takes several round trips.
    """
    from tests.conftest import runner
    from tests.net import fossil_serving

    fossil = runner("fossil", work)
    repo = work / "srv.fossil"
    co = work / "co"
    co.mkdir()
    fossil("init", repo)
    fossil("open", repo, cwd=co)
    for i in range(files):
        (co / f"f{i:03d}.bin").write_bytes(os.urandom(size))
    fossil("addremove", cwd=co)
    fossil("commit", "-m", "random files", "--no-warnings", cwd=co)
    fossil("close", cwd=co)
    db = sqlite3.connect(repo)
    with db:
        db.execute(
            "REPLACE INTO config(name,value,mtime) VALUES('max-download',?,strftime('%s','now'))",
            (str(max_download),),
        )
    db.close()
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        yield f"http://127.0.0.1:{port}/", repo
