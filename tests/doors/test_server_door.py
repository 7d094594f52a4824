"""``fossilpy server``: concurrency, slow clients, limits, port choice."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from fossilpy.serve import http as door
from tests.net import free_port, raw_http, split_reply, stop, wait_port


def test_server_prints_port_and_serves(tmp_path, repo, door_env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fossilpy", "server", str(repo), "--port", str(port),
                             "--localhost", "--workers", "2"], env=door_env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout.readline() == f"Listening for HTTP requests on TCP port {port}\n".encode()
        wait_port(port, proc)
        first, headers, body = split_reply(raw_http(port, b"GET /timeline?n=50 HTTP/1.1\r\nHost: h\r\n\r\n"))
        assert first == "HTTP/1.0 200 OK"
        assert headers["connection"] == "close"
        assert b"PATH_INFO=/timeline\n" in body and b"fossilpy.door=server\n" in body
        head = raw_http(port, b"HEAD /x HTTP/1.0\r\n\r\n")
        assert head.endswith(b"\r\n\r\n") and b"Content-Length: " in head
        boom = raw_http(port, b"GET /boom HTTP/1.0\r\n\r\n")
        assert boom.startswith(b"HTTP/1.0 500 ") and b"secret" not in boom
    finally:
        stop(proc)
    assert b"secret traceback text" in proc.stderr.read()  # logged, not sent


def test_slow_clients_do_not_block_others(inprocess):
    port = inprocess()
    slow = []
    for _ in range(40):  # slowloris: heads that never finish
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nX-a: 1\r\n")
        slow.append(s)
    start = time.monotonic()
    replies = []

    def fetch() -> None:
        replies.append(raw_http(port, b"GET /fast HTTP/1.0\r\n\r\n", timeout=5))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - start < 1.8  # before the slow heads time out
    assert all(r.startswith(b"HTTP/1.0 200 OK\r\n") for r in replies) and len(replies) == 8
    # The slow ones are cut off at the head deadline with a 408.
    slow[0].settimeout(5)
    data = b""
    while chunk := slow[0].recv(4096):
        data += chunk
    assert data.startswith(b"HTTP/1.0 408 Request Timeout\r\n")
    for s in slow:
        s.close()


def test_dribbling_client_hits_deadline(inprocess):
    port = inprocess()
    s = socket.create_connection(("127.0.0.1", port))
    start = time.monotonic()
    data = b""
    for _ in range(15):  # one byte every 0.1 s: no read waits long, the head never ends
        s.sendall(b"X")
        time.sleep(0.1)
    s.settimeout(3)
    try:
        while chunk := s.recv(4096):
            data += chunk
    except OSError:
        pass
    assert time.monotonic() - start < 3.5  # the head deadline, not the 10 s idle timeout
    assert data.startswith(b"HTTP/1.0 408 Request Timeout\r\n")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"POST / HTTP/1.1\r\nContent-Length: 50000001\r\n\r\n", b"413"),
        (b"DELETE / HTTP/1.1\r\n\r\n", b"501"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", b"431"),
        (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\n\r\n", b"414"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200) + b"\r\n\r\n", b"501"),
    ],
)
def test_limits(inprocess, data, status):
    port = inprocess()
    assert raw_http(port, data).startswith(b"HTTP/1.0 " + status)


def test_body_is_read_before_the_app(inprocess):
    port = inprocess()
    body = b"z" * 300_000
    reply = raw_http(port, b"POST /p HTTP/1.1\r\nContent-Length: 300000\r\n\r\n" + body)
    assert b"BODY=" in reply and b" 300000\n" in reply


def test_port_choice(tmp_path):
    taken = door.bind_listener(None, localhost=True, first=free_port())
    first = taken.getsockname()[1]
    try:
        nxt = door.bind_listener(None, localhost=True, first=first)
        assert first < nxt.getsockname()[1] <= first + door.PORT_RANGE
        nxt.close()
        from fossilpy.errors import UserError

        with pytest.raises(UserError, match=f"cannot bind to port {first}"):
            door.bind_listener(first, localhost=True)
        with pytest.raises(UserError, match="not a port number"):
            door.bind_listener("http", localhost=True)
    finally:
        taken.close()


def test_server_bad_arguments(fossilpy, tmp_path):
    proc = fossilpy("server", str(tmp_path / "missing.fossil"), "--port", "1", check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("fossilpy: repository does not exist")
    proc = fossilpy("server", "--port", "x", check=False, cwd=tmp_path)
    assert proc.returncode != 0


def test_ui_creates_default_repository_and_binds_localhost(tmp_path, home):
    """``fossilpy ui`` outside a checkout: a starter repository, loopback only, no browser needed."""
    from tests.conftest import base_env

    env = base_env(home)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fossilpy", "ui", "--port", str(port)], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout.readline() == f"Listening for HTTP requests on TCP port {port}\n".encode()
        assert proc.stdout.readline() == f"Open http://localhost:{port}/ in a web browser.\n".encode()
        wait_port(port, proc)
        assert (tmp_path / "data" / "fossilpy" / "default.fossil").is_file()
        first, _, _ = split_reply(raw_http(port, b"GET /stat HTTP/1.0\r\nHost: localhost\r\n\r\n"))
        assert first == "HTTP/1.0 200 OK"
        with socket.socket() as s:  # bound to 127.0.0.1 only
            s.settimeout(2)
            addr = socket.gethostbyname(socket.gethostname())
            if not addr.startswith("127."):
                assert s.connect_ex((addr, port)) != 0
    finally:
        stop(proc)
