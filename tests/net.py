"""Servers on loopback for tests (and benchmarks/): one copy of each helper.

* :func:`free_port` - a TCP port on 127.0.0.1 nobody listens on (now).
* :func:`wait_port` - wait until something accepts connections there.
* :func:`spawn` - start a server process in its own session, its output
  in a log file (closed in this process at once) or discarded.
* :func:`stop` - SIGTERM (the whole process group), SIGKILL after 15 s.
* :func:`serving` - spawn, wait for the port, yield, stop: a ``with`` block.
* :func:`raw_http` / :func:`split_reply` - send raw bytes, parse a reply.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 15.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port.

    RuntimeError if ``proc`` exits first or nothing listens within ``timeout`` seconds.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def spawn(
    argv: list[str], *, env: Mapping[str, str] | None = None, cwd: Path | str | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session (so :func:`stop` reaches its workers too).

    stdout and stderr go to ``log`` (created) or nowhere; stdin is closed.
    """
    if log is None:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    with open(log, "wb") as out:  # the child has its own copy of the descriptor
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop ``proc``: SIGTERM, then SIGKILL after 15 s.

    When ``proc`` leads its own process group (``start_new_session=True``)
    the whole group is signalled, so forked workers never outlive the test.
    """

    def signal_it(sig: int) -> None:
        try:
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    if proc.poll() is not None:
        return
    try:
        group = os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return
    signal_it(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        signal_it(signal.SIGKILL)
        proc.wait(5)
    if group:
        try:  # workers may outlive their parent for a moment
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def serving(
    argv: list[str],
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    log: Path | None = None,
    timeout: float = 15.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the server ``argv`` (which listens on ``port``) for the ``with`` block."""
    proc = spawn(argv, env=env, cwd=cwd, log=log)
    try:
        wait_port(port, proc, timeout)
        yield proc
    finally:
        stop(proc)


def raw_http(port: int, data: bytes, *, timeout: float = 30.0) -> bytes:
    """Send raw bytes to 127.0.0.1:port, return everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def split_reply(reply: bytes) -> tuple[str, dict[str, str], bytes]:
    """(first line, headers with lower-case names, body) of an HTTP or CGI reply."""
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, body


@contextmanager
def fossil_serving(argv0: list[str], repo: Path | str, *, env: Mapping[str, str] | None = None) -> Iterator[int]:
    """The real ``fossil server --nojail --localhost`` on ``repo`` for the block; yields its port."""
    port = free_port()
    with serving([*argv0, "server", "--nojail", "--localhost", "--port", str(port), str(repo)], port, env=env):
        yield port
