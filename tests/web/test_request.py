"""Request parsing units: body limits, cookies, hosts, parameters."""

from __future__ import annotations

import io

import pytest

from fossilpy.web.request import HTTPError, Request, host_of, parse_cookies, read_body


def test_read_body_exact_and_limits() -> None:
    env = {"CONTENT_LENGTH": "5", "wsgi.input": io.BytesIO(b"hello world")}
    assert read_body(env, 100) == b"hello"
    with pytest.raises(HTTPError) as e:
        read_body({"CONTENT_LENGTH": "101", "wsgi.input": io.BytesIO(b"")}, 100)
    assert e.value.status == 413
    for bad in ("x", "-1", "1e3", "0x10", " 5 5"):
        with pytest.raises(HTTPError) as e:
            read_body({"CONTENT_LENGTH": bad, "wsgi.input": io.BytesIO(b"")}, 100)
        assert e.value.status == 400
    # a short stream ends the body early instead of hanging
    assert read_body({"CONTENT_LENGTH": "50", "wsgi.input": io.BytesIO(b"abc")}, 100) == b"abc"
    # flup hands back str for empty bodies
    assert read_body({"CONTENT_LENGTH": "0", "wsgi.input": io.StringIO("")}, 100) == b""
    post = {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(b"x" * 200)}
    assert read_body(dict(post), 1000) == b""
    assert read_body({**post, "fossilpy.input_terminated": True}, 1000) == b"x" * 200
    with pytest.raises(HTTPError):
        read_body({**post, "wsgi.input": io.BytesIO(b"x" * 200), "fossilpy.input_terminated": True}, 100)


def test_cookies() -> None:
    assert parse_cookies('a=1; fossil-abc=HASH%2Fcode%2Falice; b="q"') == {
        "a": "1", "fossil-abc": "HASH/code/alice", "b": "q",
    }
    assert parse_cookies(";;=x; novalue; a=1; a=2") == {"a": "1"}


def test_host_rules() -> None:
    assert host_of({"HTTP_HOST": "Example.ORG:80"}, False) == "example.org"
    assert host_of({"HTTP_HOST": "example.org:443"}, True) == "example.org"
    assert host_of({"HTTP_HOST": "example.org:443"}, False) == "example.org:443"
    assert host_of({"HTTP_HOST": "example.org."}, False) == "example.org"
    assert host_of({"HTTP_HOST": "evil\"><x", "SERVER_NAME": "srv", "SERVER_PORT": "81"}, False) == "srv:81"
    assert host_of({}, False) == "localhost"


def test_params_merge_and_name() -> None:
    env = {
        "REQUEST_METHOD": "POST",
        "QUERY_STRING": "a=1&b=2&name=q",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
    }
    req = Request(env, body=b"b=3&c=%E2%9C%93", https=False, baseurl=None, script_name="", path_info="/info/abc/def")
    assert (req.page, req.extra) == ("info", "abc/def")
    assert req.params == {"a": "1", "b": "3", "c": "\u2713", "name": "abc/def"}
    assert req.int("a", 0) == 1 and req.int("c", 7) == 7
    assert req.flag("a") and not req.flag("zzz")
    assert req.base_url == "http://localhost" and req.top == ""
    req = Request({}, body=b"", https=True, baseurl=None, script_name="/a b", path_info="/")
    assert req.top == "/a%20b" and req.page == ""
