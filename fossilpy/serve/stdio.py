"""Requests on standard input, replies on standard output.

``fossilpy http`` (inetd, xinetd, systemd socket activation, the file://
sync transport): one HTTP request in, one full HTTP reply out
(``HTTP/1.0 ...``, ``Connection: close``).

``fossilpy test-http`` (the remote end of ``ssh://`` sync; Fossil 2.21
``cmd_test_http`` and ``ssh_request_loop``): the client runs
``ssh -e none -T -- HOST fossil test-http PATH`` and sends one HTTP request
after another on the same pipe, each with ``X-Fossil-Transport: SSH``::

    POST /path HTTP/1.0\\r\\n
    X-Fossil-Transport: SSH\\r\\n
    Content-Type: application/x-fossil\\r\\n
    Content-Length: 123\\r\\n
    \\r\\n
    <123 bytes>

Each reply is in CGI form (``Status: 200 OK``) with a Content-Length, and
the loop goes on until end of input.  The loop needs ``SSH_CONNECTION``
(sshd sets it; its first word becomes REMOTE_ADDR).  Without it, or when
the first request lacks ``X-Fossil-Transport: SSH``, exactly one request
is answered with a full HTTP reply from REMOTE_ADDR 127.0.0.1.  Legacy
probes are answered before a request: a line ``echo TOKEN`` with TOKEN
starting ``test`` or ``probe-`` is echoed back as ``TOKEN\\n``; any other
``echo`` line is a malformed request.

``fossilpy http`` run with ``SSH_CONNECTION`` set (and no ``--ipaddr``)
enters the same loop, as Fossil's does.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any, BinaryIO

from fossilpy.serve import gateway, request

if TYPE_CHECKING:  # pragma: no cover
    import socket

DEFAULT_MAX_BODY = 50_000_000
#: Time budget of one request in these doors, seconds (fossilpy.budget.DEFAULT_SECONDS).
DEFAULT_MAX_LATENCY = 60.0


def ssh_remote_addr() -> str | None:
    """The client address from ``SSH_CONNECTION`` ("client-ip client-port server-ip port")."""
    conn = os.environ.get("SSH_CONNECTION", "")
    first = conn.split(" ", 1)[0] if " " in conn else ""
    return first or None


def _socket_on(fd: int) -> socket.socket | None:
    """A socket object on a duplicate of ``fd`` if ``fd`` is a socket, else None.

    (The socket module is imported only for a socket: CGI and SSH never pay for it.)"""
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return None
    except OSError:
        return None
    import socket

    copy = os.dup(fd)
    try:
        return socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        return None


def peer_address(stream: BinaryIO) -> str:
    """The peer of a socket on ``stream`` (inetd hands us one), else ""."""
    try:
        sock = _socket_on(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return ""
    if sock is None:
        return ""
    try:
        return str(sock.getpeername()[0])
    except (OSError, IndexError):
        return ""
    finally:
        sock.close()


def detach_stdout() -> None:
    """Hand a finished reply over: end our side of fd 1, keep fd 1 valid.

    The client (or the web server running a CGI) sees the end of the reply
    when every copy of the stream is closed; after-reply work such as the
    backoffice check then does not delay it.  A socket (inetd, systemd)
    is shut down for writing, since fd 0 may hold the same socket.
    """
    import sys

    sys.stdout.flush()
    sys.stdout.buffer.flush()
    sock = _socket_on(1)
    if sock is not None:
        import socket

        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
    finally:
        os.close(devnull)


def serve_one(app: gateway.WSGIApp, inp: BinaryIO, out: BinaryIO, *, remote_addr: str,
              door: str = "http", https: bool = False, max_body: int = DEFAULT_MAX_BODY,
              extra: dict[str, Any] | None = None, first_line: str | None = None,
              sent: Any = None, max_latency: float = DEFAULT_MAX_LATENCY) -> int:
    """Answer one HTTP request from ``inp`` with a full HTTP reply; return its status."""
    try:
        env = request.read_request(inp, remote_addr=remote_addr, max_body=max_body,
                                   https=https, first_line=first_line)
    except request.BadRequest as exc:
        gateway.write_error(out, exc.status, exc.message, full_http=True)
        return exc.status
    except request.ClientGone:
        gateway.write_error(out, 501, "missing HTTP header", full_http=True)
        return 501
    env.update(gateway.base_environ(door=door, run_once=True))
    env.update(extra or {})
    return gateway.respond_once(app, env, out, seconds=max_latency, full_http=True, sent=sent)


def _answer_probes(line: str, inp: BinaryIO, out: BinaryIO) -> str | None:
    """Echo legacy ``echo TOKEN`` probes; return the first non-probe line."""
    while line.split()[:1] == ["echo"]:
        words = line.split()
        if len(words) < 2 or not (words[1].startswith("test") or words[1].startswith("probe-")):
            raise request.BadRequest(501, "malformed probe")
        out.write(words[1].encode("latin-1") + b"\n")
        out.flush()
        nxt = request.read_request_line(inp)
        if nxt is None:
            return None
        line = nxt
    return line


def serve_ssh(app: gateway.WSGIApp, inp: BinaryIO, out: BinaryIO, *, remote_addr: str,
              door: str, max_body: int = DEFAULT_MAX_BODY,
              extra: dict[str, Any] | None = None, max_latency: float = DEFAULT_MAX_LATENCY) -> int:
    """The SSH request loop; return the number of requests answered (each under its own budget)."""
    count = 0
    probed = False
    while True:
        try:
            line = request.read_request_line(inp, skip_blank=count > 0 or probed)
            if line is None:
                if count == 0 and not probed:
                    gateway.write_error(out, 501, "missing HTTP header", full_http=False)
                return count
            if line.split()[:1] == ["echo"]:
                probed = True
                line = _answer_probes(line, inp, out)
                if line is None:
                    return count
            env = request.read_request(inp, remote_addr=remote_addr, max_body=max_body,
                                       first_line=line)
        except request.BadRequest as exc:
            gateway.write_error(out, exc.status, exc.message, full_http=count == 0)
            return count
        except request.ClientGone:
            return count
        is_ssh = env.get("HTTP_X_FOSSIL_TRANSPORT", "")[:3].lower() == "ssh"
        env.update(gateway.base_environ(door=door))
        env.update(extra or {})
        if count == 0 and not is_ssh and not probed:
            # An ordinary HTTP client on the pipe: one request, full reply.
            env["REMOTE_ADDR"] = "127.0.0.1"
            gateway.respond_once(app, env, out, seconds=max_latency, full_http=True)
            return 1
        status = gateway.respond_once(app, env, out, seconds=max_latency, full_http=False,
                                      need_length=True)
        out.flush()
        count += 1
        if status == 0:
            return count


def run_http(app: gateway.WSGIApp, inp: BinaryIO, out: BinaryIO, *, ipaddr: str | None = None,
             https: bool = False, max_body: int = DEFAULT_MAX_BODY,
             extra: dict[str, Any] | None = None, sent: Any = None,
             max_latency: float = DEFAULT_MAX_LATENCY) -> int:
    """``fossilpy http``: one request, or the SSH loop when SSH_CONNECTION is set.

    ``sent`` (e.g. :func:`detach_stdout`) runs once the single reply is out.
    """
    if ipaddr is None and not https:
        ssh_addr = ssh_remote_addr()
        if ssh_addr:
            return serve_ssh(app, inp, out, remote_addr=ssh_addr, door="http",
                             max_body=max_body, extra=extra, max_latency=max_latency)
    addr = ipaddr if ipaddr is not None else peer_address(inp)
    if https and ipaddr is None:
        addr = os.environ.get("REMOTE_HOST", addr)  # set by stunnel
    serve_one(app, inp, out, remote_addr=addr, https=https, max_body=max_body, extra=extra,
              sent=sent, max_latency=max_latency)
    return 1


def run_test_http(app: gateway.WSGIApp, inp: BinaryIO, out: BinaryIO, *, usercap: str = "sxy",
                  use_ssh: bool = True, max_body: int = DEFAULT_MAX_BODY,
                  max_latency: float = DEFAULT_MAX_LATENCY) -> int:
    """``fossilpy test-http``: like ``http`` with capabilities ``usercap`` granted.

    With SSH_CONNECTION set (and ``use_ssh``) this is the SSH loop; otherwise
    one request from 127.0.0.1 with a full HTTP reply.
    """
    extra = {"fossilpy.trusted_caps": usercap}
    ssh_addr = ssh_remote_addr() if use_ssh else None
    if ssh_addr:
        return serve_ssh(app, inp, out, remote_addr=ssh_addr, door="test-http",
                         max_body=max_body, extra=extra, max_latency=max_latency)
    serve_one(app, inp, out, remote_addr="127.0.0.1", door="test-http", max_body=max_body,
              extra=extra, max_latency=max_latency)
    return 1
