"""Moving one xfer message to the server and its reply back.

Every transport offers ``exchange(body, content_type) -> (reply type, reply
body)`` on already-framed bodies, plus byte counters and ``close()``.

HTTP request (Fossil 2.21 ``http_build_header``)::

    POST /PATH HTTP/1.0\\r\\n
    [Authorization: Basic BASE64(USER:PASS)]\\r\\n      (-B/--httpauth)
    Host: HOST[:PORT]\\r\\n
    User-Agent: Fossil/2.21 ...\\r\\n
    [X-Fossil-Transport: SSH]\\r\\n                     (over ssh only)
    Content-Type: application/x-fossil[-debug]\\r\\n
    Content-Length: N\\r\\n\\r\\n BODY

Reply: ``HTTP/1.x CODE`` (or ``Status: CODE`` over ssh), headers,
``Content-Length`` bytes.  200 is success; 301/302/307/308 are followed (at
most 20, a trailing ``/xfer`` is dropped from Location, never from https to
http); 503 means the server is busy (its repository locked by another
process, or the request out of budget): the round, which the server rolled
back, is sent again after ``Retry-After`` seconds (at most
:data:`BUSY_WAIT_MAX`, with jitter), up to :data:`BUSY_RETRIES` times; any
other code is an error.  A reply that is not ``application/x-fossil*``
is an error page.

* http/https: one TCP connection per round trip; https verifies the
  server certificate against the system trust store.
* ssh: ``SSH-COMMAND [-p PORT] -T -- [USER@]HOST FOSSIL test-http PATH``;
  the connection stays open between rounds.
* file: the other repository is opened here and its xfer handler called
  with local (setup) rights, as ``fossil http --localauth`` would.
* --transport-command CMD: runs ``CMD URL UPFILE DOWNFILE`` per round.
"""

from __future__ import annotations

import base64
import os
import shlex
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from fossilpy import budget
from fossilpy.errors import ProtocolError, UserError
from fossilpy.sync.cards import CT_COMPRESSED, CT_DEBUG, CT_UNCOMPRESSED
from fossilpy.sync.url import Url, parse
from fossilpy.text import is_digits

if TYPE_CHECKING:
    import subprocess

USER_AGENT = "Fossil/2.21 (2023-02-26 19:24:24 [3c53b6364e]) fossilpy"
MAX_REDIRECTS = 20
BUSY_RETRIES = 6
BUSY_WAIT_MAX = 10.0


class ServerBusy(ProtocolError):
    """The server answered 503: try the same round again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


SAFE_FOSSIL = ("fossil", "fossil.exe", "echo")


class Transport:
    """Base: counters and tracing shared by every transport."""

    is_ssh = False
    is_file = False
    #: True when the peer takes the raw, unsigned message (--transport-command).
    raw = False

    def __init__(self, url: Url, *, httptrace: bool = False) -> None:
        self.url = url
        self.httptrace = httptrace
        self.sent = 0
        self.rcvd = 0
        self.remote = url.name
        self._trace_n = 0
        #: Called with progress messages (redirects); set by the session.
        self.notify: Callable[[str], None] | None = None
        #: How many times a busy server is asked again within one round (the
        #: backoffice's peer sync sets 0: it rolls its round back first).
        self.busy_retries = BUSY_RETRIES

    def exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
        """Send one round and return ``(reply type, reply body)``; a busy server is retried."""
        import random
        import time

        for attempt in range(self.busy_retries + 1):
            try:
                return self._exchange(body, content_type)
            except ServerBusy as exc:
                if attempt == self.busy_retries:
                    raise ServerBusy(f"server is busy: {exc}", exc.retry_after) from None
                wait = min(max(exc.retry_after, 0.2), BUSY_WAIT_MAX) * (1 + random.random() / 4)
                if self.notify is not None:
                    self.notify(f"server is busy; trying again in {wait:.1f} seconds\n")
                time.sleep(wait)
        raise AssertionError("not reached")

    def _exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def _trace(self, request: bytes, reply: bytes) -> None:
        if self.httptrace:
            self._trace_n += 1
            with open(f"http-request-{self._trace_n}.txt", "wb") as fh:
                fh.write(request)
            with open(f"http-reply-{self._trace_n}.txt", "wb") as fh:
                fh.write(reply)


def request_head(url: Url, body: bytes, content_type: str, httpauth: str | None, ssh: bool) -> bytes:
    lines = [f"{'POST' if body else 'GET'} {url.path or '/'} HTTP/1.0"]
    if httpauth:
        lines.append("Authorization: Basic " + base64.b64encode(httpauth.encode()).decode())
    lines.append(f"Host: {url.hostname}")
    lines.append(f"User-Agent: {USER_AGENT}")
    if ssh:
        lines.append("X-Fossil-Transport: SSH")
    if body:
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


#: Limits on what a server may send back (a hostile server must not exhaust memory).
MAX_HEADER_LINE = 8192
MAX_HEADER_LINES = 100
MAX_REPLY = 1 << 31


def read_reply(fh: BinaryIO, ssh: bool) -> tuple[int, dict[str, str], bytes, int]:
    """Read status, headers and body of one reply; returns (code, headers, body, nbytes)."""
    code = -1
    headers: dict[str, str] = {}
    nbytes = 0
    lines = 0
    while True:
        raw = fh.readline(MAX_HEADER_LINE + 1)
        lines += 1
        if len(raw) > MAX_HEADER_LINE or lines > MAX_HEADER_LINES:
            raise ProtocolError("malformed reply: header too long")
        if not raw:
            if code < 0:
                raise ProtocolError("server did not reply")
            break
        nbytes += len(raw)
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            if code < 0:
                continue  # stray blank line before the status (ssh)
            break
        low = line.lower()
        if low.startswith("http/1.") and code < 0:
            parts = line.split(None, 2)
            if len(parts) < 2 or not is_digits(parts[1]):
                raise ProtocolError(f"malformed reply: {line}")
            code = int(parts[1])
            headers[":reason"] = parts[2] if len(parts) > 2 else ""
        elif ssh and low.startswith("status:") and code < 0:
            parts = line[7:].split(None, 1)
            if not parts or not is_digits(parts[0]):
                raise ProtocolError(f"malformed reply: {line}")
            code = int(parts[0])
            headers[":reason"] = parts[1] if len(parts) > 1 else ""
        elif ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    if code == 503:
        _skip_body(fh, headers)  # keeps an ssh pipe in step for the retry
        retry = headers.get("retry-after", "")
        raise ServerBusy(f"{code} {headers.get(':reason', '')}".rstrip(), float(retry) if is_digits(retry) else 1.0)
    if code not in (200, 301, 302, 307, 308):
        raise ProtocolError(f"server says: {code} {headers.get(':reason', '')}".rstrip())
    length = headers.get("content-length")
    if code == 200 and length is None:
        raise ProtocolError("server did not reply")
    body = b""
    if length is not None and is_digits(length.strip()):
        n = int(length)
        if n > MAX_REPLY:
            raise ProtocolError(f"reply of {n} bytes exceeds the limit of {MAX_REPLY} bytes")
        body = budget.read_claimed(fh, n)  # never allocates what the server merely claims
        if len(body) != n:
            raise ProtocolError(f"response truncated: got {len(body)} bytes of {n}")
        nbytes += n
    return code, headers, body, nbytes


def _skip_body(fh: BinaryIO, headers: dict[str, str]) -> None:
    """Read and drop a reply body of Content-Length bytes (at most 1 MiB)."""
    length = headers.get("content-length", "").strip()
    left = min(int(length), 1 << 20) if is_digits(length) else 0
    while left > 0:
        chunk = fh.read(min(left, 65536))
        if not chunk:
            return
        left -= len(chunk)


def _reply_type(headers: dict[str, str], body: bytes) -> str:
    ct = headers.get("content-type", "").split(";")[0].strip().lower()
    if ct in (CT_COMPRESSED, CT_DEBUG, CT_UNCOMPRESSED):
        return ct
    import re

    text = re.sub(rb"<[^>]*>", b"", body).decode("utf-8", "replace").strip()
    raise ProtocolError(f"server sends error: {text}")


class HttpTransport(Transport):
    """http:// and https:// (certificate verification on)."""

    def __init__(self, url: Url, *, httpauth: str | None = None, **kw: bool) -> None:
        super().__init__(url, **kw)
        self.httpauth = httpauth
        self.remote = url.name

    def _connect(self, url: Url) -> socket.socket:
        try:
            # an ASCII name as bytes: a str would load the idna codec (and unicodedata) to encode it
            host = url.name.encode("ascii") if url.name.isascii() else url.name
            sock = socket.create_connection((host, url.port), timeout=300)  # type: ignore[arg-type]
        except OSError as exc:
            raise ProtocolError(f"cannot connect to host {url.name}:{url.port}: {exc.strerror or exc}") from None
        try:
            self.remote = sock.getpeername()[0]
        except OSError:
            pass
        if url.protocol == "https":
            import ssl

            ctx = ssl.create_default_context()
            try:
                sock = ctx.wrap_socket(sock, server_hostname=url.name)
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                raise ProtocolError(f"SSL: cannot connect to {url.name}: {exc}") from None
        return sock

    def _exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
        url = self.url
        for _ in range(MAX_REDIRECTS):
            head = request_head(url, body, content_type, self.httpauth, False)
            sock = self._connect(url)
            try:
                sock.sendall(head + body)
                self.sent += len(head) + len(body)
                with sock.makefile("rb") as fh:
                    code, headers, reply, n = read_reply(fh, False)
            except OSError as exc:
                raise ProtocolError(f"connection to {url.name} failed: {exc}") from None
            finally:
                sock.close()
            self.rcvd += n
            self._trace(head + body, reply)
            if code == 200:
                return _reply_type(headers, reply), reply
            loc = headers.get("location", "").strip()
            if not loc:
                raise ProtocolError(f'"location:" missing from {code} redirect reply')
            while loc.endswith("/xfer"):
                loc = loc[:-5]
            if self.notify is not None:
                self.notify(f"redirect with status {code} to {loc}\n")
            new = parse(loc)
            if url.protocol == "https" and new.protocol != "https":
                raise ProtocolError("cannot redirect from HTTPS to HTTP")
            if new.is_ssh or new.is_file:
                raise ProtocolError(f"cannot redirect to {loc}")
            new.user, new.password = url.user, url.password
            url = self.url = new
        raise ProtocolError("redirect limit exceeded")


def ssh_argv(url: Url, ssh_command: str) -> list[str]:
    """The command line that reaches ``FOSSIL test-http PATH`` on the host."""
    host = url.name
    if host.startswith("-") or (url.user or "").startswith("-"):
        raise UserError(f"ssh host or user name may not begin with '-': {url.canonical}")
    exe = url.fossil
    base = exe.rsplit("/", 1)[-1]
    if base not in SAFE_FOSSIL:
        raise UserError(f"the ssh:// URL is asking to run an unsafe command [{exe}] on the server.")
    if not url.path:
        raise UserError("ssh:// URI does not specify a path to the repository")
    argv = shlex.split(ssh_command)
    if url.port and url.port != url.default_port:
        argv += ["-p", str(url.port)]
    argv += ["-T", "--", f"{url.user}@{host}" if url.user else host]
    path = url.path
    if path.startswith("-"):
        path = "./" + path
    argv += [shlex.quote(exe), "test-http", shlex.quote(path)]
    return argv


class SshTransport(Transport):
    """ssh://: one long-lived ``ssh ... test-http`` child for all rounds."""

    is_ssh = True

    def __init__(self, url: Url, *, ssh_command: str = "ssh -e none", **kw: bool) -> None:
        super().__init__(url, **kw)
        self.argv = ssh_argv(url, ssh_command)
        self.proc: subprocess.Popen[bytes] | None = None

    def _open(self) -> subprocess.Popen[bytes]:
        import subprocess  # here: only the ssh and command transports start programs

        if self.proc is None:
            if self.httptrace:
                print("RUN " + " ".join(shlex.quote(a) for a in self.argv), flush=True)
            try:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            except OSError as exc:
                raise ProtocolError(f"cannot start ssh tunnel using [{' '.join(self.argv)}]: {exc}") from None
        return self.proc

    def _exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
        proc = self._open()
        assert proc.stdin is not None and proc.stdout is not None
        head = request_head(self.url, body, content_type, None, True)
        try:
            proc.stdin.write(head + body)
            proc.stdin.flush()
        except OSError as exc:
            raise ProtocolError(f"ssh connection failed: {exc}") from None
        self.sent += len(head) + len(body)
        code, headers, reply, n = read_reply(proc.stdout, True)  # type: ignore[arg-type]
        self.rcvd += n
        self._trace(head + body, reply)
        if code != 200:
            raise ProtocolError(f"cannot redirect from {self.url.canonical}")
        return _reply_type(headers, reply), reply

    def close(self) -> None:
        if self.proc is not None:
            import subprocess

            proc, self.proc = self.proc, None
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()


class FileTransport(Transport):
    """file://: call the other repository's xfer handler in this process."""

    is_file = True

    def __init__(self, url: Url, **kw: bool) -> None:
        super().__init__(url, **kw)
        self.remote = "127.0.0.1"
        from fossilpy.repo.db import Repo

        try:
            self.other = Repo.open(url.name)
        except Exception as exc:  # StorageError or sqlite
            raise UserError(f'not a fossil repository: "{url.name}"') from exc

    def _exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
        from fossilpy.errors import RepositoryBusy
        from fossilpy.sync.server import handle_xfer

        self.sent += len(body)
        try:
            ct, reply = handle_xfer(self.other, body, content_type, remote_addr="127.0.0.1", trusted_caps="sxy")
        except RepositoryBusy as exc:
            raise ServerBusy(str(exc), 1.0) from None
        self.rcvd += len(reply)
        self._trace(body, reply)
        return ct, reply

    def close(self) -> None:
        self.other.close()


class CommandTransport(Transport):
    """--transport-command CMD: ``CMD URL UPFILE DOWNFILE`` per round, raw cards."""

    raw = True

    def __init__(self, url: Url, command: str, **kw: bool) -> None:
        super().__init__(url, **kw)
        self.command = command

    def _exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="fossilpy-xfer-") as tmp:
            up, down = os.path.join(tmp, "up"), os.path.join(tmp, "down")
            with open(up, "wb") as fh:
                fh.write(body)
            cmd = f"{self.command} {shlex.quote(self.url.full())} {shlex.quote(up)} {shlex.quote(down)}"
            if self.httptrace:
                print(f"RUN {cmd}", flush=True)
            rc = subprocess.call(cmd, shell=True)
            if rc:
                raise ProtocolError(f"Transport command failed: {cmd}")
            reply = b""
            if os.path.exists(down):
                with open(down, "rb") as fh:
                    reply = fh.read()
        self.sent += len(body)
        self.rcvd += len(reply)
        return CT_DEBUG, reply


def open_transport(
    url: Url,
    *,
    httptrace: bool = False,
    ssh_command: str | None = None,
    httpauth: str | None = None,
    transport_command: str | None = None,
) -> Transport:
    """The transport for ``url``."""
    if transport_command:
        return CommandTransport(url, transport_command, httptrace=httptrace)
    if url.is_ssh:
        return SshTransport(url, ssh_command=ssh_command or "ssh -e none", httptrace=httptrace)
    if url.is_file:
        return FileTransport(url, httptrace=httptrace)
    return HttpTransport(url, httpauth=httpauth, httptrace=httptrace)
