"""Real front servers: nginx -> ``fossilpy server --scgi``, lighttpd -> CGI script."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.net import raw_http, split_reply

pytestmark = pytest.mark.doors


def echoed(body: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in body.decode().splitlines() if "=" in line)


def get(port: int, target: str, *, method: str = "GET", body: bytes | None = None,
        headers: str = "") -> tuple[str, dict[str, str], bytes]:
    extra = f"Content-Length: {len(body)}\r\n" if body is not None else ""
    data = (f"{method} {target} HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n{extra}{headers}\r\n"
            .encode() + (body or b""))
    return split_reply(raw_http(port, data))


def test_nginx_scgi(fossilpy_server, nginx, repo):
    scgi = fossilpy_server(str(repo), "--scgi")
    port = nginx(scgi)

    first, _, body = get(port, "/code/timeline?n=5")
    assert first == "HTTP/1.1 200 OK"
    seen = echoed(body)
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"], seen["QUERY_STRING"]) == ("/code", "/timeline", "n=5")
    assert seen["fossilpy.door"] == "scgi"
    assert seen["wsgi.url_scheme"] == "http" and "HTTPS" not in seen or seen["HTTPS"] == ""

    seen = echoed(get(port, "/timeline?n=5")[2])  # no SCRIPT_NAME: mounted at /
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"]) == ("", "/timeline")

    seen = echoed(get(port, "/tls/info/abc")[2])  # scgi_param HTTPS on
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"], seen["wsgi.url_scheme"]) == ("/tls", "/info/abc", "https")

    payload = bytes(range(256)) * 2000
    seen = echoed(get(port, "/code/xfer", method="POST", body=payload,
                      headers="Content-Type: application/x-fossil\r\n")[2])
    assert seen["BODY"] == f"{hashlib.md5(payload).hexdigest()} {len(payload)}"
    assert seen["CONTENT_TYPE"] == "application/x-fossil"

    first, _, body = get(port, "/code/boom")
    assert first.startswith("HTTP/1.1 500") and b"secret" not in body
    # An empty POST body is bytes, not flup's str StringIO.
    seen = echoed(get(port, "/code/p", method="POST", body=b"")[2])
    assert seen["BODY"].endswith(" 0")


def write_cgi(docroot: Path, name: str, fossilpy_exe: Path, lines: str) -> Path:
    script = docroot / name
    script.write_text(f"#!{fossilpy_exe}\n# a comment\n{lines}")
    script.chmod(0o755)
    return script


def test_lighttpd_cgi(lighttpd, fossilpy_exe, repo, tmp_path):
    docroot = tmp_path / "www"
    docroot.mkdir()
    write_cgi(docroot, "repo.cgi", fossilpy_exe,
              f"setenv: FOSSILPY_APP tests.doors.echo_app:make\nrepository: {repo}\n")
    port = lighttpd(docroot)

    first, headers, body = get(port, "/repo.cgi/timeline?n=5")
    assert first == "HTTP/1.1 200 OK", body
    seen = echoed(body)
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"], seen["QUERY_STRING"]) == ("/repo.cgi", "/timeline", "n=5")
    assert seen["fossilpy.door"] == "cgi"
    assert seen["config.repository"] == repr(str(repo))

    payload = b"p" * 100_000
    seen = echoed(get(port, "/repo.cgi/xfer", method="POST", body=payload)[2])
    assert seen["BODY"] == f"{hashlib.md5(payload).hexdigest()} 100000"

    # A chunked POST: the client sends no Content-Length.
    data = (b"POST /repo.cgi/xfer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    first, _, body = split_reply(raw_http(port, data))
    assert first == "HTTP/1.1 200 OK"
    assert echoed(body)["BODY"] == f"{hashlib.md5(b'hello world').hexdigest()} 11"

    first, _, body = get(port, "/repo.cgi/boom")
    assert first.startswith("HTTP/1.1 500") and b"secret" not in body


def run_cgi(fossilpy_exe: Path, script: Path, env: dict[str, str], *, data: bytes = b"",
            **cgi: str) -> tuple[str, dict[str, str], bytes]:
    full = {**env, "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "test", **cgi}
    proc = subprocess.run([str(fossilpy_exe), str(script)], input=data, env=full,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return split_reply(proc.stdout)


def test_cgi_without_content_length(door_env, fossilpy_exe, repo, tmp_path):
    script = write_cgi(tmp_path, "s.cgi", fossilpy_exe, f"repository: {repo}\n")
    first, _, body = run_cgi(fossilpy_exe, script, door_env, data=b"body without length",
                             REQUEST_METHOD="POST", SCRIPT_NAME="/s", PATH_INFO="/xfer",
                             CONTENT_TYPE="application/x-fossil")
    assert first == "Status: 200 OK"
    seen = echoed(body)
    assert seen["fossilpy.input_terminated"] == "True"
    assert seen["BODY"] == f"{hashlib.md5(b'body without length').hexdigest()} 19"


def test_cgi_keywords(door_env, fossilpy_exe, tmp_path):
    log = tmp_path / "err.log"
    script = write_cgi(tmp_path, "d.cgi", fossilpy_exe,
                       f"errorlog: {log}\ndirectory: {tmp_path}\nnotfound: /missing\nrepolist\n"
                       "files: *.txt,*.css\nlocalauth\nsetenv: FOSSIL_X 1\nHOME: /tmp\ntimeout: 30\n"
                       "nossl\nskin: ardoise\n")
    first, _, body = run_cgi(fossilpy_exe, script, door_env, REQUEST_METHOD="GET",
                             SCRIPT_NAME="/d", PATH_INFO="/a/b", HTTPS="on", QUERY_STRING="q=1")
    seen = echoed(body)
    assert seen["config.directory"] == repr(str(tmp_path))
    assert (seen["config.repolist"], seen["config.localauth"]) == ("True", "True")
    assert seen["config.files"] == "('*.txt', '*.css')"
    assert seen["config.notfound"] == "'/missing'"
    assert seen["REQUEST_URI"] == "/d/a/b?q=1"
    assert seen["wsgi.url_scheme"] == "https"
    first, _, body = run_cgi(fossilpy_exe, script, door_env, REQUEST_METHOD="GET",
                             SCRIPT_NAME="/d", PATH_INFO="/boom")
    assert first == "Status: 500 Internal Server Error" and b"secret" not in body
    assert "secret traceback text" in log.read_text()


def test_cgi_redirect_and_errors(door_env, fossilpy_exe, tmp_path):
    script = write_cgi(tmp_path, "r.cgi", fossilpy_exe, "redirect: * https://fossil-scm.org/home\n")
    first, headers, _ = run_cgi(fossilpy_exe, script, door_env, REQUEST_METHOD="GET",
                                SCRIPT_NAME="/r", PATH_INFO="/info/abc", QUERY_STRING="x=1")
    assert first == "Status: 302 Moved Temporarily"
    assert headers["location"] == "https://fossil-scm.org/home/info/abc?x=1"
    script = write_cgi(tmp_path, "n.cgi", fossilpy_exe, "# nothing to serve\n")
    first, _, body = run_cgi(fossilpy_exe, script, door_env, REQUEST_METHOD="GET",
                             SCRIPT_NAME="/n", PATH_INFO="/")
    assert first == "Status: 500 Internal Server Error"
    assert b"Unable to find or open the project repository" in body
    first, _, body = run_cgi(fossilpy_exe, script, door_env, REQUEST_METHOD="GET")
    assert first == "Status: 501 Not Implemented" and b"missing SCRIPT_NAME" in body


def test_after_reply_work_does_not_hold_the_client(lighttpd, fossilpy_server, fossilpy_exe, repo,
                                                   tmp_path):
    """The application's close() (backoffice check) runs after the client has its reply."""
    import time

    docroot = tmp_path / "www2"
    docroot.mkdir()
    write_cgi(docroot, "repo.cgi", fossilpy_exe,
              f"setenv: FOSSILPY_APP tests.doors.echo_app:make\nrepository: {repo}\n")
    for port, path in ((lighttpd(docroot), "/repo.cgi/slowclose"), (fossilpy_server(str(repo)), "/slowclose")):
        start = time.monotonic()
        first, _, body = get(port, path)
        assert first.endswith("200 OK") and body == b"done\n"
        assert time.monotonic() - start < 8, path  # close() alone takes 10 s


def test_cgi_command_garbage(door_env, tmp_path):
    import sys

    base = [sys.executable, "-m", "fossilpy", "cgi"]
    env = {**door_env, "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/x", "PATH_INFO": "/"}
    proc = subprocess.run([*base, str(tmp_path / "missing.cgi")], env=env, capture_output=True, timeout=60)
    first, _, body = split_reply(proc.stdout)
    assert first == "Status: 500 Internal Server Error" and b"cannot read the CGI script" in body
    binary = tmp_path / "binary.cgi"
    binary.write_bytes(bytes(range(256)) * 4)
    proc = subprocess.run([*base, str(binary)], env=env, capture_output=True, timeout=60)
    first, _, body = split_reply(proc.stdout)
    assert first == "Status: 500 Internal Server Error"
    assert b"Unable to find or open the project repository" in body and b"Traceback" not in proc.stdout
    script = tmp_path / "bad.cgi"
    script.write_text(f"repository: {tmp_path / 'nope.fossil'}\ntimeout: soon\n")
    proc = subprocess.run([*base, str(script)], env={k: v for k, v in env.items() if k != "FOSSILPY_APP"},
                          capture_output=True, timeout=60)
    first, _, body = split_reply(proc.stdout)
    assert first == "Status: 500 Internal Server Error", proc.stdout[:300]
    assert b"Traceback" not in proc.stdout
