"""``fossilpy http`` and ``fossilpy test-http`` fed raw bytes (echo app behind them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.net import split_reply


def run(env: dict[str, str], *args: str, data: bytes, extra: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fossilpy", *args], input=data,
                          capture_output=True, env={**env, **(extra or {})}, cwd=cwd, timeout=60)


def echoed(body: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in body.decode().splitlines() if "=" in line)


def test_http_get(door_env, repo):
    proc = run(door_env, "http", str(repo), "--ipaddr", "10.1.2.3",
               data=b"GET /timeline%2Fx?n=5&y=ci HTTP/1.1\r\nHost: Example.org:8080\r\n"
                    b"Cookie: a=1\r\nCookie: b=2\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n")
    assert proc.returncode == 0, proc.stderr
    first, headers, body = split_reply(proc.stdout)
    assert first == "HTTP/1.0 200 OK"
    assert list(headers)[:3] == ["date", "connection", "x-ua-compatible"]
    assert headers["connection"] == "close"
    assert headers["content-length"] == str(len(body))
    seen = echoed(body)
    assert seen["PATH_INFO"] == "/timeline/x"
    assert seen["REQUEST_URI"] == "/timeline%2Fx?n=5&y=ci"
    assert seen["QUERY_STRING"] == "n=5&y=ci"
    assert seen["SCRIPT_NAME"] == ""
    assert seen["HTTP_HOST"] == "Example.org:8080"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert seen["REMOTE_ADDR"] == "10.1.2.3"  # X-Forwarded-For only trusted from loopback
    assert seen["fossilpy.door"] == "http"
    assert "fossilpy.trusted_caps" not in seen


def test_http_post_body_and_options(door_env, repo):
    payload = bytes(range(256)) * 40
    proc = run(door_env, "http", str(repo), "--https", "--localauth", "--baseurl", "https://x.org/f",
               data=b"POST /xfer HTTP/1.0\r\nContent-Type: application/x-fossil\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
    seen = echoed(split_reply(proc.stdout)[2])
    import hashlib

    assert seen["BODY"] == f"{hashlib.md5(payload).hexdigest()} {len(payload)}"
    assert seen["wsgi.url_scheme"] == "https"
    assert seen["HTTPS"] == "on"
    assert seen["config.localauth"] == "True"
    assert seen["config.baseurl"] == "'https://x.org/f'"


def test_http_in_out_files(door_env, repo, tmp_path):
    (tmp_path / "req").write_bytes(b"GET /stat HTTP/1.0\r\n\r\n")
    proc = run(door_env, "http", str(repo), "--in", str(tmp_path / "req"), "--out",
               str(tmp_path / "reply"), "--ipaddr", "127.0.0.1", data=b"")
    assert proc.returncode == 0 and proc.stdout == b""
    assert (tmp_path / "reply").read_bytes().startswith(b"HTTP/1.0 200 OK\r\n")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"", "501 Not Implemented"),
        (b"\r\n", "501 Not Implemented"),
        (b"PUT / HTTP/1.1\r\n\r\n", "501 Not Implemented"),
        (b"GET\r\n\r\n", "501 Not Implemented"),
        (b"GET relative HTTP/1.1\r\n\r\n", "501 Not Implemented"),
        (b"GET / SPDY/3\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", "400 Bad Request"),
        (b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", "400 Bad Request"),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "400 Bad Request"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
         "501 Not Implemented"),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", "413 Payload Too Large"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", "414 URI Too Long"),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", "431 Request Header Fields Too Large"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: 1\r\n" * 200 + b"\r\n", "431 Request Header Fields Too Large"),
        (b"GET /boom HTTP/1.0\r\n\r\n", "500 Internal Server Error"),
    ],
)
def test_http_garbage(door_env, repo, request_bytes, status):
    proc = run(door_env, "http", str(repo), data=request_bytes)
    assert proc.returncode == 0
    first, headers, body = split_reply(proc.stdout)
    assert first == f"HTTP/1.0 {status}"
    assert headers["content-length"] == str(len(body))
    assert b"Traceback" not in proc.stdout and b"secret" not in proc.stdout


def test_http_missing_repository(door_env, tmp_path):
    proc = run(door_env, "http", str(tmp_path / "nope.fossil"), data=b"GET / HTTP/1.0\r\n\r\n")
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode() == (
        f"fossilpy: repository does not exist or is in an unreadable directory: "
        f"{tmp_path / 'nope.fossil'}\n")


def test_http_directory_mode(door_env, tmp_path):
    proc = run(door_env, "http", str(tmp_path), "--repolist", "--notfound", "/nf", "--files", "*.txt,*.css",
               data=b"GET /a/b HTTP/1.0\r\n\r\n")
    seen = echoed(split_reply(proc.stdout)[2])
    assert seen["config.directory"] == repr(str(tmp_path))
    assert seen["config.repolist"] == "True"
    assert seen["config.files"] == "('*.txt', '*.css')"
    assert seen["config.notfound"] == "'/nf'"


SSH_ENV = {"SSH_CONNECTION": "192.0.2.7 50000 127.0.0.1 22"}


def ssh_request(path: str, body: bytes = b"") -> bytes:
    return (f"POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: Fossil/2.21\r\n"
            f"X-Fossil-Transport: SSH\r\nContent-Type: application/x-fossil\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def parse_cgi_replies(data: bytes) -> list[tuple[str, bytes]]:
    replies = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        length = int(next(v for k, _, v in (ln.partition(": ") for ln in lines) if k == "Content-Length"))
        replies.append((lines[0], rest[:length]))
        data = rest[length:]
    return replies


def test_test_http_ssh_loop(door_env, repo):
    data = ssh_request("/xfer", b"one") + ssh_request("/other", b"") + ssh_request("/x?y=1", b"three!")
    proc = run(door_env, "test-http", str(repo), data=data, extra=SSH_ENV)
    assert proc.returncode == 0, proc.stderr
    replies = parse_cgi_replies(proc.stdout)
    assert [r[0] for r in replies] == ["Status: 200 OK"] * 3
    seen = [echoed(body) for _, body in replies]
    assert [s["PATH_INFO"] for s in seen] == ["/xfer", "/other", "/x"]
    assert all(s["REMOTE_ADDR"] == "192.0.2.7" for s in seen)
    assert all(s["fossilpy.trusted_caps"] == "sxy" for s in seen)
    assert all(s["fossilpy.door"] == "test-http" for s in seen)
    assert seen[2]["BODY"].endswith(" 6")


def test_test_http_probes_and_plain_http(door_env, repo):
    data = b"echo test\necho probe-1234\n" + ssh_request("/xfer", b"z")
    proc = run(door_env, "test-http", str(repo), data=data, extra=SSH_ENV)
    assert proc.stdout.startswith(b"test\nprobe-1234\nStatus: 200 OK\r\n")
    bad = run(door_env, "test-http", str(repo), data=b"echo rm -rf\n", extra=SSH_ENV)
    assert bad.stdout.startswith(b"HTTP/1.0 501 Not Implemented\r\n")
    # Without X-Fossil-Transport: one request, full HTTP reply, from 127.0.0.1.
    plain = run(door_env, "test-http", str(repo), data=b"GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
                extra=SSH_ENV)
    first, _, body = split_reply(plain.stdout)
    assert first == "HTTP/1.0 200 OK"
    assert echoed(body)["REMOTE_ADDR"] == "127.0.0.1"
    assert plain.stdout.count(b"HTTP/1.0") == 1
    # No SSH_CONNECTION: one request (Fossil's interactive debugging form).
    single = run(door_env, "test-http", str(repo), data=b"GET /timeline\n\n")
    assert split_reply(single.stdout.replace(b"\n\n", b"\r\n\r\n", 1))[0] == "HTTP/1.0 200 OK"
    assert echoed(single.stdout.split(b"\r\n\r\n", 1)[1])["fossilpy.trusted_caps"] == "sxy"


def test_http_with_ssh_connection_loops(door_env, repo):
    proc = run(door_env, "http", str(repo), data=ssh_request("/a") + ssh_request("/b"), extra=SSH_ENV)
    replies = parse_cgi_replies(proc.stdout)
    assert len(replies) == 2
    assert "fossilpy.trusted_caps" not in echoed(replies[0][1])


def test_test_http_truncated_body_stops(door_env, repo):
    data = ssh_request("/a", b"abc") + ssh_request("/b", b"0123456789")[:-4]
    proc = run(door_env, "test-http", str(repo), data=data, extra=SSH_ENV)
    assert len(parse_cgi_replies(proc.stdout)) == 1
    assert proc.returncode == 0


def test_http_on_an_inetd_socket(door_env, repo):
    """inetd / systemd ``Accept=yes``: the connection is stdin and stdout."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        conn, _ = listener.accept()
    with client, conn:
        proc = subprocess.Popen([sys.executable, "-m", "fossilpy", "http", str(repo)], stdin=conn,
                                stdout=conn, stderr=subprocess.PIPE, env=door_env)
        conn.close()
        client.sendall(b"GET /x HTTP/1.0\r\nHost: h\r\n\r\n")
        client.settimeout(30)
        data = b""
        while chunk := client.recv(65536):
            data += chunk
        assert proc.wait(30) == 0, proc.stderr.read()
    first, _, body = split_reply(data)
    assert first == "HTTP/1.0 200 OK"
    assert echoed(body)["REMOTE_ADDR"] == "127.0.0.1"


def test_http_in_file_starts_no_backoffice(fossil, fossilpy, tmp_path) -> None:
    """Fossil's rule (``fossil http --in``): replaying a saved request never runs the backoffice."""
    import time as _time

    fossil("init", "r.fossil")
    req = tmp_path / "req.txt"
    req.write_bytes(b"GET /timeline HTTP/1.0\r\nHost: example.org\r\n\r\n")
    res = fossilpy("http", "--in", req, "--out", tmp_path / "reply.txt", tmp_path / "r.fossil")
    assert (tmp_path / "reply.txt").read_bytes().startswith(b"HTTP/1.0 200 OK\r\n")
    _time.sleep(1.5)
    lease = fossil.text("sql", "-R", "r.fossil", "SELECT count(*) FROM config WHERE name='backoffice'")
    assert lease.strip() == "0", res.stderr
    fossilpy("http", "r.fossil", input=req.read_bytes())
    deadline = _time.time() + 20
    while _time.time() < deadline:
        lease = fossil.text("sql", "-R", "r.fossil", "SELECT count(*) FROM config WHERE name='backoffice'")
        if lease.strip() == "1":
            break
        _time.sleep(0.2)
    assert lease.strip() == "1"  # stdin requests do start one


@pytest.mark.parametrize("argv", [["test-http"], ["test-http", "--"], ["http"]],
                         ids=["test-http-fast", "test-http-click", "http-fast"])
def test_ctrl_c_while_waiting_says_aborted(door_env, repo, argv):
    """Interrupted while waiting for a request: "Aborted!" and exit 1, with or without click."""
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "fossilpy", *argv, str(repo)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=door_env)
    _wait_reading_stdin(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert err.decode().strip().splitlines()[-1] == "Aborted!"
    assert b"Traceback" not in err


def _wait_reading_stdin(pid: int, timeout: float = 60.0) -> None:
    """Until process ``pid`` sleeps in read(2) on its standard input (a pipe)."""
    import time as _time

    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/wchan") as fh:
                wchan = fh.read()
            with open(f"/proc/{pid}/syscall") as fh:
                call = fh.read().split()
        except OSError:
            call, wchan = [], ""
        if "pipe_read" in wchan and len(call) > 1 and call[1] == "0x0":
            return
        _time.sleep(0.05)
    raise AssertionError(f"process {pid} never waited on its standard input")


@pytest.mark.parametrize("door", ["http", "test-http"])
def test_click_free_doors_on_a_file_that_is_not_a_repository(door, home, tmp_path):
    """``http FILE`` / ``test-http FILE`` with junk in FILE: a clear 500, one log
    line naming the file, exit 0, and the file left as it was."""
    from tests.conftest import base_env

    junk = tmp_path / "junk.fossil"
    junk.write_bytes(b"hello, not a repository\n" * 40)
    proc = run(base_env(home), door, str(junk), data=b"GET /timeline HTTP/1.0\r\nHost: x\r\n\r\n")
    assert proc.returncode == 0
    first, _headers, body = split_reply(proc.stdout)
    assert first == "HTTP/1.0 500 Internal Server Error"
    assert b"<p>The repository cannot be read; the details are in the server log.</p>" in body
    assert proc.stderr.decode() == f"fossilpy: /timeline: not a repository (not an SQLite database): {junk}\n"
    assert junk.read_bytes() == b"hello, not a repository\n" * 40
