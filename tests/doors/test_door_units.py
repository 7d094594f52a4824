"""In-process tests of the door building blocks, and garbage fed to each of them."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from fossilpy.serve import gateway, request
from fossilpy.serve.cgi import complete_environ, parse_script, read_cgi_body, redirect_target
from fossilpy.serve.request import BadRequest, ClientGone
from fossilpy.serve.scgi import read_scgi_request
from tests.limits import time_limit
from tests.net import raw_http, split_reply


def parse(data: bytes, **kw):  # type: ignore[no-untyped-def]
    return request.read_request(io.BytesIO(data), remote_addr=kw.pop("remote", "192.0.2.9"),
                                max_body=kw.pop("max_body", 1000), **kw)


def test_percent_decode():
    assert request.percent_decode("/a%2e%2E/b") == "/a../b"
    assert request.percent_decode("/x%zz%4") == "/x%zz%4"
    assert request.percent_decode("/%C3%A9") == "/\xc3\xa9"  # bytes as latin-1 (PEP 3333)
    assert request.percent_decode("/a+b") == "/a+b"


def test_split_target():
    assert request.split_target("/a/b?c=d?e") == ("/a/b", "c=d?e")
    assert request.split_target("http://host:80/x?y") == ("/x", "y")
    assert request.split_target("https://host") == ("/", "")
    with pytest.raises(BadRequest):
        request.split_target("*")


def test_environ_of_a_request():
    env = parse(b"POST /p%41th?q=1 HTTP/1.1\r\nHost: Example.org:8080\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 3\r\nX_Evil: 1\r\nHTTPS: on\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\r\n\r\nabcEXTRA")
    assert env["PATH_INFO"] == "/pAth" and env["REQUEST_URI"] == "/p%41th?q=1"
    assert env["SERVER_NAME"] == "Example.org" and env["HTTP_HOST"] == "Example.org:8080"
    assert env["CONTENT_LENGTH"] == "3" and env["wsgi.input"].read() == b"abc"
    assert "HTTP_X_EVIL" not in env  # underscores could impersonate dashes
    assert env["wsgi.url_scheme"] == "https" and env["HTTPS"] == "on"
    assert env["REMOTE_ADDR"] == "192.0.2.9"  # X-Forwarded-For ignored from a non-loopback peer
    env = parse(b"GET / HTTP/1.0\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\n\n", remote="127.0.0.1")
    assert env["REMOTE_ADDR"] == "2.2.2.2"
    env = parse(b"GET /\r\n\r\n", remote="")
    assert "REMOTE_ADDR" not in env and env["SERVER_PROTOCOL"] == "HTTP/1.0"


@pytest.mark.parametrize(
    ("data", "exc", "status"),
    [
        (b"", ClientGone, None),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", ClientGone, None),
        (b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort", ClientGone, None),
        (b"POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", BadRequest, 413),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", BadRequest, 400),
        (b"POST / HTTP/1.1\r\nContent-Length: \xd9\xa3\r\n\r\n", BadRequest, 400),
        (b"GET /\x00 HTTP/1.1\r\n\r\n", BadRequest, 501),
        (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", BadRequest, 400),
        (b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", BadRequest, 400),
        (b"GET / HTTP/1.1 extra\r\n\r\n", BadRequest, 400),
        (b"\xff\xfe\xfd\r\n\r\n", BadRequest, 501),
    ],
)
def test_bad_requests(data, exc, status):
    with pytest.raises(exc) as info:
        parse(data)
    if status:
        assert info.value.status == status


def app_returning(status="200 OK", headers=None, body=(b"hi",)):  # type: ignore[no-untyped-def]
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response(status, headers if headers is not None else [("Content-Type", "text/plain")])
        return list(body)

    return app


def run_app(app, *, full_http=True, need_length=False, method="GET"):  # type: ignore[no-untyped-def]
    from tests.conftest import captured_log

    out = io.BytesIO()
    env = {"REQUEST_METHOD": method, "PATH_INFO": "/", "wsgi.errors": io.StringIO()}
    with captured_log() as logged:
        status = gateway.respond(app, env, out, full_http=full_http, need_length=need_length)
    return status, out.getvalue(), logged()


def test_reply_heads():
    status, out, _ = run_app(app_returning(), full_http=False, need_length=True)
    assert status == 200
    assert out == b"Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
    status, out, _ = run_app(app_returning(headers=[("Connection", "keep-alive"), ("X-A", "1")]))
    head = out.split(b"\r\n")
    assert head[0] == b"HTTP/1.0 200 OK" and head[1].startswith(b"Date: ")
    assert head[2:5] == [b"Connection: close", b"X-UA-Compatible: IE=edge", b"X-A: 1"]
    assert out.endswith(b"\r\n\r\nhi")
    _, out, _ = run_app(app_returning(headers=[("Content-Length", "2")]), method="HEAD")
    assert out.endswith(b"Content-Length: 2\r\n\r\n")


@pytest.mark.parametrize(
    "app",
    [
        app_returning(headers=[("X-Injected", "a\r\nSet-Cookie: evil=1")]),
        app_returning(headers=[("Content-Disposition", "attachment; filename=\u20ac.txt")]),
        app_returning(status="OK"),
        app_returning(body=("text not bytes",)),
        lambda environ, start_response: 1 / 0,
        lambda environ, start_response: [b"no start_response"],
    ],
)
def test_broken_apps_get_a_500_without_traceback(app):
    status, out, errors = run_app(app)
    assert status == 500
    assert out.startswith(b"HTTP/1.0 500 Internal Server Error\r\n")
    assert b"Traceback" not in out and b"evil" not in out
    assert "Traceback" in errors


def test_app_failing_after_head_cuts_the_reply():
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        raise RuntimeError("late")

    status, out, errors = run_app(app)
    assert status == 0 and out.endswith(b"partial") and "late" in errors


def test_write_callable_and_exc_info():
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        write = start_response("200 OK", [])
        try:
            raise ValueError("x")
        except ValueError:
            write = start_response("404 Not Found", [("Content-Type", "text/plain")], sys.exc_info())
        write(b"a")
        return [b"b"]

    status, out, _ = run_app(app, full_http=False)
    assert status == 404 and out.endswith(b"\r\n\r\nab")


def test_parse_cgi_script():
    env: dict[str, str] = {"GONE": "1"}
    script = parse_script(
        "#!/usr/bin/fossilpy\n# comment\nrepository:   /srv/a b.fossil  \nnotfound: /nf\n"
        "directory: /srv\nrepolist\nlocalauth\nfiles: *.html, *.css\nsetenv: FOO bar\nsetenv: GONE\n"
        "HOME: /home/x\nerrorlog: /tmp/e.log\ntimeout: 7\nredirect: /r.fossil /info/%s\n"
        "redirect: *\nunknown: thing\nnossl\n", env)
    assert script.directory == "/srv" and script.repository is None  # later line wins
    assert (script.notfound, script.repolist, script.localauth) == ("/nf", True, True)
    assert script.files == ("*.html",)  # one word, as Fossil's blob_token
    assert env == {"FOO": "bar", "HOME": "/home/x"}
    assert (script.errorlog, script.timeout) == ("/tmp/e.log", 7)
    assert script.redirects == [("/r.fossil", "/info/%s")]
    assert parse_script("repository: /srv/a b.fossil\n", {}).repository == "/srv/a b.fossil"
    assert parse_script("\x00\xff garbage\n\n\t\n", {}).repository is None


def test_complete_environ():
    env = {"REQUEST_URI": "/code/timeline?n=1", "SCRIPT_NAME": "/code"}
    complete_environ(env)
    assert (env["PATH_INFO"], env["QUERY_STRING"]) == ("/timeline", "n=1")
    env = {"REQUEST_URI": "/other/x", "SCRIPT_NAME": "/code"}
    complete_environ(env)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/", "other/x")
    env = {"SCRIPT_NAME": "/s", "PATH_INFO": "/p", "QUERY_STRING": "a=1", "HTTPS": "on"}
    complete_environ(env)
    assert env["REQUEST_URI"] == "/s/p?a=1" and env["wsgi.url_scheme"] == "https"
    env = {"REQUEST_URI": "/a%2e%2e/b"}
    complete_environ(env)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("", "/a../b")
    for bad in ({}, {"PATH_INFO": "/x"}, {"REQUEST_URI": "/a", "PATH_INFO": "/b"}):
        with pytest.raises(BadRequest):
            complete_environ(dict(bad))


def test_cgi_body():
    env = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "3"}
    assert read_cgi_body(env, io.BytesIO(b"abcdef"), 10) == b"abc"
    env = {"REQUEST_METHOD": "POST"}
    assert read_cgi_body(env, io.BytesIO(b"to the end"), 100) == b"to the end"
    assert env["fossilpy.input_terminated"] is True and env["CONTENT_LENGTH"] == "10"
    with pytest.raises(BadRequest):
        read_cgi_body({"REQUEST_METHOD": "POST"}, io.BytesIO(b"x" * 11), 10)
    with pytest.raises(BadRequest):
        read_cgi_body({"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "zz"}, io.BytesIO(b""), 10)
    assert read_cgi_body({"REQUEST_METHOD": "GET"}, io.BytesIO(b"ignored"), 10) == b""


def test_redirect_target(tmp_path: Path):
    env = {"PATH_INFO": "/info/abc", "QUERY_STRING": "x=1"}
    assert redirect_target([("*", "https://a.org")], env) == "https://a.org/info/abc?x=1"
    assert redirect_target([("*", "https://a.org/?p")], env) == "https://a.org/?p"
    env = {"PATH_INFO": "/whatever", "QUERY_STRING": "name=deadbeef"}
    assert redirect_target([(str(tmp_path / "none.fossil"), "/x/%s"), ("*", "/y/%s")], env) == "/y/deadbeef"
    assert redirect_target([(str(tmp_path / "none.fossil"), "/x/%s")], env) is None


def scgi_bytes(pairs: list[tuple[str, str]], body: bytes = b"") -> bytes:
    head = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in pairs)
    return str(len(head)).encode() + b":" + head + b"," + body


def test_scgi_netstring():
    env, body = read_scgi_request(io.BytesIO(scgi_bytes(
        [("CONTENT_LENGTH", "4"), ("SCGI", "1"), ("REQUEST_URI", "/x")], b"bodyEXTRA")), max_body=10)
    assert env == {"CONTENT_LENGTH": "4", "SCGI": "1", "REQUEST_URI": "/x"} and body == b"body"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", None),
        (b"12", None),
        (b"x:", 400),
        (b":", 400),
        (b"123456789:", 400),
        (b"99999:", 431),
        (b"5:ab\0c\0;", 400),
        (b"4:ab\0c", 400),
        (scgi_bytes([("SCGI", "1")]), 400),
        (scgi_bytes([("CONTENT_LENGTH", "11")]), 413),
        (scgi_bytes([("CONTENT_LENGTH", "5")], b"ab"), None),
    ],
)
def test_scgi_garbage(data, status):
    with time_limit(5), pytest.raises(BadRequest if status else ClientGone) as info:
        read_scgi_request(io.BytesIO(data), max_body=10)
    if status:
        assert info.value.status == status


def test_scgi_server_garbage(fossilpy_server, tmp_path):
    repo = tmp_path / "r.fossil"
    repo.write_bytes(b"")
    port = fossilpy_server(str(repo), "--scgi")
    assert raw_http(port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"Status: 400 Bad Request\r\n")
    assert raw_http(port, b"999999:").startswith(b"Status: 431 ")
    assert raw_http(port, scgi_bytes([("CONTENT_LENGTH", "60000000")])).startswith(b"Status: 413 ")
    ok = raw_http(port, scgi_bytes([("CONTENT_LENGTH", "2"), ("SCGI", "1"), ("REQUEST_METHOD", "POST"),
                                    ("REQUEST_URI", "/x")], b"hi"))
    first, headers, body = split_reply(ok)
    assert first == "Status: 200 OK" and b"fossilpy.door=scgi" in body
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"12")
        s.shutdown(socket.SHUT_WR)  # the peer gives up mid-netstring
        assert s.recv(100) == b""


def test_default_workers_two_per_cpu_at_most_16(monkeypatch) -> None:
    from fossilpy.serve import http as door

    for cpus, expected in ((None, 2), (1, 2), (2, 4), (8, 16), (64, 16)):
        monkeypatch.setattr(door.os, "cpu_count", lambda c=cpus: c)
        assert door.default_workers() == expected
        assert door.HttpServer(lambda: None, _StubSocket(), workers=None).workers == (
            expected if hasattr(door.os, "fork") else 1)


class _StubSocket:
    """What HttpServer asks of its listening socket at construction."""

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8080)


def test_checkout_and_port_lookup_in_paths_with_uri_characters(tmp_path: Path) -> None:
    """Folders named with ?, # and % (URI syntax) are read as plain paths."""
    import sqlite3

    from fossilpy.cli.serve_cmds import _http_port_setting, checkout_repository

    folder = tmp_path / "a?b#c%20d"
    (folder / "sub").mkdir(parents=True)
    db = sqlite3.connect(folder / ".fslckout")
    db.execute("CREATE TABLE vvar(name TEXT PRIMARY KEY, value CLOB)")
    db.execute("INSERT INTO vvar VALUES('repository', 'r.fossil')")
    db.commit()
    db.close()
    assert checkout_repository(str(folder / "sub")) == str(folder / "r.fossil")
    repo = folder / "r.fossil"
    db = sqlite3.connect(repo)
    db.execute("CREATE TABLE config(name TEXT PRIMARY KEY, value CLOB, mtime INT)")
    db.execute("INSERT INTO config VALUES('http-port', '8123', 0)")
    db.commit()
    db.close()
    assert _http_port_setting(str(repo)) == 8123
    (folder / "junk.fossil").write_bytes(b"not a database at all, " * 40)
    assert _http_port_setting(str(folder / "junk.fossil")) is None
    assert checkout_repository(str(tmp_path)) is None
