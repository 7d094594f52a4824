"""``fossilpy server`` / ``ui``: a small HTTP/1.0 server on the standard library.

Model: **pre-forked workers; in each, one connection loop and a few
application threads.**  Fossil forks a child per connection; in Python a
fresh child would rebuild the application's caches (compiled templates,
opened repository handles) for every request, and one process alone would
be held to one core by the GIL.  So the parent binds the socket and forks
``workers`` processes (default: two per CPU, at most 16; one process and no
fork where ``os.fork`` is missing).  The application is built once in the
parent (it holds no open repository: each request opens its own), so the
workers share its code and caches copy-on-write.  Each worker accepts
connections on the shared socket; its connection loop
(:mod:`fossilpy.serve.connections`) reads every request and writes every
reply without blocking, and hands complete requests to its application
threads, so a slow client never occupies a thread.  The parent only
restarts workers that die and stops them all on SIGINT/SIGTERM.

One request per connection, as Fossil: the reply is ``HTTP/1.0`` with
``Connection: close`` (see :mod:`fossilpy.serve.gateway`), so pipelined or
smuggled requests are never read.  Limits against slow or hostile clients
are listed in :mod:`fossilpy.serve.connections`; each request also runs
under a time and memory budget (``--max-latency``, :mod:`fossilpy.budget`),
enforced by a watchdog thread per worker (:mod:`fossilpy.serve.watchdog`).

Port choice (Fossil ``cmd_webserver``): ``--port N`` binds exactly N (or
``ADDR:N``); without it the first free port of 8080..8180.  Start-up prints
``Listening for HTTP requests on TCP port N``.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from fossilpy import budget
from fossilpy.errors import UserError
from fossilpy.serve import connections, gateway, request
from fossilpy.serve.watchdog import Watchdog

DEFAULT_PORT = 8080
PORT_RANGE = 100
STOP_GRACE = 10.0


def default_workers() -> int:
    """Worker processes when ``--workers`` is not given: two per CPU, at most 16.

    Two per CPU because a worker's threads share one GIL: while one waits
    on SQLite or the network another process runs (measured on 2 CPUs,
    /timeline at 8 connections: 4 workers answer about 15% more requests
    per second than 2, and 8 no more than 4).
    """
    return min(2 * (os.cpu_count() or 1), 16)


def bind_listener(port: str | int | None, *, localhost: bool = False,
                  first: int = DEFAULT_PORT) -> socket.socket:
    """A listening TCP socket: exactly ``port`` (``N`` or ``ADDR:N``), else the first free."""
    host = "127.0.0.1" if localhost else "0.0.0.0"
    if port is not None and str(port) != "":
        text = str(port)
        if ":" in text:
            addr, _, text = text.rpartition(":")
            host = addr.strip("[]") or host
        try:
            number = int(text)
        except ValueError:
            raise UserError(f"not a port number: {port}") from None
        if number <= 0 or number > 65535:
            raise UserError("port number must be greater than zero")
        candidates = [number]
    else:
        candidates = list(range(first, first + PORT_RANGE + 1))
    last_error: OSError | None = None
    for number in candidates:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, number))
            sock.listen(128)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    if len(candidates) == 1:
        raise UserError(f"cannot bind to port {candidates[0]}: {last_error}")
    raise UserError(f"no free TCP port in {candidates[0]}..{candidates[-1]}")


class HttpServer:
    """The listening server; :meth:`serve_forever` runs until SIGINT/SIGTERM.

    ``max_latency`` and ``max_memory`` make each request's budget
    (:mod:`fossilpy.budget`), enforced by a :class:`~fossilpy.serve.watchdog.Watchdog`
    per worker; ``max_buffered`` bounds the request bodies a worker holds at
    once (default: one largest body plus 16 MiB).
    """

    def __init__(self, app_factory: Callable[[], gateway.WSGIApp], sock: socket.socket, *,
                 door: str = "server", https: bool = False, max_body: int = 50_000_000,
                 workers: int | None = None, extra: dict[str, Any] | None = None,
                 max_latency: float = budget.DEFAULT_SECONDS, max_memory: int = budget.DEFAULT_MEMORY,
                 max_buffered: int | None = None, threads: int = connections.APP_THREADS,
                 max_rss: int | None = None, max_pending: int | None = None) -> None:
        self.app_factory = app_factory
        self.sock = sock
        self.door = door
        self.https = https
        self.max_body = max_body
        self.workers = max(1, workers if workers is not None else default_workers())
        if not hasattr(os, "fork"):
            self.workers = 1
        self.extra = dict(extra or {})
        self.port = str(sock.getsockname()[1])
        self.max_latency = max_latency
        self.max_memory = max_memory
        self.max_buffered = max_buffered if max_buffered is not None else max_body + 16 * 1024 * 1024
        self.threads = threads
        self.max_pending = max_pending
        #: resident memory past which the worker ends its hungriest request
        self.max_rss = max_rss if max_rss is not None else 2 * max_memory + self.max_buffered
        self._app: gateway.WSGIApp | None = None
        self._loop: connections.Loop | None = None
        self._watchdog: Watchdog | None = None
        self._forked = False
        self._stopping = False  # set by tests that run a worker in a thread

    # -- one request ------------------------------------------------------
    def _environ(self, conn: connections.Conn, headers: list[tuple[str, str]], method: str,
                 target: str, protocol: str) -> tuple[dict[str, Any], int]:
        env, length = request.build_environ(
            method, target, protocol, headers, remote_addr=str(conn.addr[0]) if conn.addr else "",
            server_port=self.port, https=self.https, max_body=self.max_body)
        env["wsgi.url_scheme"] = env["REQUEST_SCHEME"]
        env.update(gateway.base_environ(door=self.door, multithread=True,
                                        multiprocess=self.workers > 1))
        env.update(self.extra)
        return env, length

    def _serve_one(self, env: dict[str, Any], out: connections.Collector,
                   hand_over: Callable[..., None]) -> None:
        """Answer one complete request in an application thread (the loop sends the reply;
        a live stream's body goes to the loop too, see :mod:`fossilpy.serve.connections`)."""
        assert self._app is not None and self._watchdog is not None
        limits = budget.Budget(self.max_latency, self.max_memory)
        env["fossilpy.budget"] = limits
        with self._watchdog.track(limits):
            gateway.respond(self._app, env, out, full_http=True, sent=hand_over, stream_to=hand_over)

    def _stuck(self) -> None:
        """A request ignores its interruption: stop accepting; the parent replaces this worker."""
        from fossilpy import log

        log.get(__name__).error("a request does not stop after its time budget; restarting this worker process")
        if not self._forked:
            return  # the only process: keep serving the others
        loop = self._loop
        if loop is not None:
            loop.stop()

    # -- one worker -------------------------------------------------------
    def serve_worker(self) -> None:
        """Accept and answer connections in this process until stopped."""
        if self._app is None:
            self._app = self.app_factory()
        self._watchdog = Watchdog(on_stuck=self._stuck, deadman=self._forked, max_rss=self.max_rss).start()
        self._loop = connections.Loop(self.sock, self._serve_one, env_for=self._environ,
                                      max_buffered=self.max_buffered, threads=self.threads,
                                      max_pending=self.max_pending)
        try:
            self._loop.run(lambda: self._stopping)
        finally:
            self._watchdog.stop()
            if self._forked:  # let requests still running finish, within reason
                deadline = time.monotonic() + STOP_GRACE
                while self._watchdog.busy() and time.monotonic() < deadline:
                    time.sleep(0.05)

    def _serve_forked_worker(self) -> None:
        self._forked = True
        self.serve_worker()

    # -- the parent -------------------------------------------------------
    def serve_forever(self) -> None:
        """Run the workers (or, with one worker, serve in this process)."""
        if self._app is None:
            # Built once, before forking: a broken configuration fails here,
            # once, and the workers share the imported code copy-on-write.
            self._app = self.app_factory()
        if self.workers > 1 and hasattr(os, "fork"):
            run_workers(self.workers, self._serve_forked_worker)
        else:
            run_workers(1, self.serve_worker)


def run_workers(workers: int, run_worker: Callable[[], None]) -> None:
    """Run ``run_worker`` in ``workers`` forked processes until SIGINT/SIGTERM.

    The parent only restarts workers that die (pausing 0.2 s, so a worker
    that cannot start does not spin) and, when told to stop, passes SIGTERM
    on and waits for them.  With one worker, or without ``os.fork``, the
    worker runs in this process.
    """
    if workers <= 1 or not hasattr(os, "fork"):
        try:
            run_worker()
        except KeyboardInterrupt:
            pass
        return
    children: set[int] = set()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            while len(children) < workers and not stopping:
                children.add(_fork_worker(run_worker))
            try:
                pid, _status = os.wait()
            except ChildProcessError:
                continue
            children.discard(pid)
            if not stopping:
                time.sleep(0.2)
    finally:
        _reap(children, grace=STOP_GRACE)
        for s, handler in old.items():
            signal.signal(s, handler)


def _reap(children: set[int], *, grace: float) -> None:
    """Wait for ``children`` (already sent SIGTERM); SIGKILL those left after ``grace`` s."""
    deadline = time.monotonic() + grace
    while children:
        for pid in list(children):
            try:
                done, _status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)
        if not children:
            return
        if time.monotonic() > deadline:
            for pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            grace, deadline = 0.0, time.monotonic() + 5
        time.sleep(0.05)


def _fork_worker(run_worker: Callable[[], None]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        run_worker()
    except KeyboardInterrupt:
        pass
    except BaseException:  # noqa: BLE001 - a worker must never return into the parent's code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)
    return 0  # not reached


def open_browser(url: str) -> bool:
    """Start a browser on ``url`` in the background when one is available."""
    import shutil
    import subprocess

    if sys.platform == "darwin":
        candidates = ["open"]
    elif sys.platform.startswith("win"):
        os.startfile(url)  # type: ignore[attr-defined]
        return True
    else:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return False
        candidates = ["xdg-open", "sensible-browser", "x-www-browser", "firefox", "chromium"]
    for name in candidates:
        exe = shutil.which(name)
        if exe:
            try:
                subprocess.Popen([exe, url], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            except OSError:
                continue
            return True
    return False
