"""Fixes from the security review of the web application, one test each.

Each test asserts the exact status/headers/body that the fixed code gives
and that the code before the fix did not (see the comment on each).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import call, environ

FORM = "application/x-www-form-urlencoded"


# -- 1. same-origin check: no Origin and no Referer is not same-origin ---------


def test_post_without_origin_or_referer_is_refused(repo_copy: Path) -> None:
    # before: Request.same_origin was True without both headers -> 302 login
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/login", form={"u": "alice", "p": "pw1"}, origin=False)
    assert r.status == 403
    assert r.all("Set-Cookie") == []
    assert "cross-site login form submission refused" in r.text


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://localhost:8080"}, 302),
        ({"Origin": "HTTP://LOCALHOST:8080"}, 302),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://localhost:8081"}, 403),
        ({"Origin": "https://localhost:8080"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Referer": "http://localhost:8080/login?g=timeline"}, 302),
        ({"Referer": "http://localhost:8080"}, 302),
        ({"Referer": "http://localhost:8080.evil.example/login"}, 403),
        ({"Referer": "http://evil.example/http://localhost:8080/"}, 403),
        ({"Origin": "http://evil.example", "Referer": "http://localhost:8080/login"}, 403),
    ],
)
def test_same_origin_rules(repo_copy: Path, headers: dict[str, str], status: int) -> None:
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/login", form={"u": "alice", "p": "pw1"}, headers=headers, origin=False)
    assert r.status == status, r.text[:300]


def test_same_origin_property() -> None:
    from fossilpy.web.request import Request

    def req(**h: str) -> Request:
        env = environ("/login", method="POST", headers=h)
        return Request(env, body=b"", https=False, baseurl=None, script_name="/repo", path_info="/login")

    assert req().same_origin is False
    assert req(Origin="http://localhost:8080").same_origin is True
    assert req(Referer="http://localhost:8080/repo/timeline").same_origin is True
    assert req(Referer="http://localhost:8080/repo").same_origin is True
    assert req(Referer="http://localhost:8080/repository").same_origin is False
    assert req(Referer="http://localhost:8080/other").same_origin is False


# -- 1b/2. localauth: Host must be local; CSRF token per session ------------------


@pytest.mark.parametrize(
    ("host", "who"),
    [
        ("localhost:8080", True),
        ("127.0.0.1:8080", True),
        ("[::1]:8080", True),
        ("localhost", True),
        ("evil.example:8080", False),  # DNS rebinding: name resolves to 127.0.0.1
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io:8080", False),
        ("localhost:80x", False),
    ],
)
def test_localauth_needs_local_host_header(webrepo, host: str, who: bool) -> None:
    # before: any Host from 127.0.0.1 got setup rights
    local = make_app(AppConfig(repository=str(webrepo.path), localauth=True))
    r = call(local, "/stat", remote_addr="127.0.0.1", host=host)
    assert r.status == 200
    assert ('<span class="who">root</span>' in r.text) is who


def test_localauth_without_host_header_is_not_trusted(webrepo) -> None:
    local = make_app(AppConfig(repository=str(webrepo.path), localauth=True))
    env = environ("/stat", remote_addr="127.0.0.1")
    del env["HTTP_HOST"]
    r = call(local, env=env)
    assert r.status == 200 and '<span class="who">' not in r.text


def test_localauth_needs_loopback_peer(webrepo) -> None:
    local = make_app(AppConfig(repository=str(webrepo.path), localauth=True))
    r = call(local, "/stat", remote_addr="192.0.2.1", host="localhost:8080")
    assert '<span class="who">' not in r.text
    r = call(local, "/stat", remote_addr="::1", host="[::1]:8080")
    assert '<span class="who">root</span>' in r.text


def test_localauth_csrf_token_is_random_per_session(webrepo) -> None:
    # before: every localauth visitor had the fixed token "localhost"
    from fossilpy.repo.db import Repo
    from fossilpy.web import auth
    from fossilpy.web.request import Request

    repo = Repo.open(str(webrepo.path), readonly=True)
    try:
        def login(cookies: dict[str, str] | None = None) -> auth.Login:
            env = environ("/stat", remote_addr="127.0.0.1", cookies=cookies)
            req = Request(env, body=b"", https=False, baseurl=None, script_name="", path_info="/stat")
            return auth.check_credentials(repo, req, localauth=True)

        first, second = login(), login()
        assert first.name == "root" and first.trusted
        assert first.csrf != "localhost" and len(first.csrf) == 32
        assert first.csrf != second.csrf
        (cookie,) = first.set_cookies
        name = auth.csrf_cookie_name(repo)
        assert cookie == f"{name}={first.csrf}; Path=/; HttpOnly; SameSite=Lax; Version=1"
        again = login({name: first.csrf})
        assert again.csrf == first.csrf and again.set_cookies == []
        assert login({name: "localhost"}).csrf != "localhost"
    finally:
        repo.close()


def test_localauth_reply_sets_csrf_cookie(webrepo) -> None:
    local = make_app(AppConfig(repository=str(webrepo.path), localauth=True))
    r = call(local, "/stat", remote_addr="127.0.0.1")
    (cookie,) = r.all("Set-Cookie")
    assert cookie.startswith("fossil-") and "-csrf=" in cookie
    assert cookie.endswith("; Path=/; HttpOnly; SameSite=Lax; Version=1")


# -- 5. form field limit, /raw m= allow-list, static file sandbox -----------------


def test_too_many_query_fields_is_400(app) -> None:
    # before: parse_qsl had no limit
    assert call(app, "/stat?" + "&".join(f"a{i}=1" for i in range(1000))).status == 200
    r = call(app, "/stat?" + "&".join(f"a{i}=1" for i in range(1001)))
    assert r.status == 400
    assert "too many query parameters (limit 1000)" in r.text


def test_too_many_post_fields_is_400(app) -> None:
    body = "&".join(f"a{i}=1" for i in range(1001)).encode()
    r = call(app, "/login", method="POST", body=body, content_type=FORM)
    assert r.status == 400
    assert "too many query parameters" in r.text


@pytest.mark.parametrize(
    ("m", "want"),
    [
        ("text/html", "text/plain; charset=utf-8"),
        (" text/html", "text/plain; charset=utf-8"),  # before: the leading space passed
        ("\ttext/html", "text/plain; charset=utf-8"),
        ("TEXT/HTML", "text/plain; charset=utf-8"),
        ("image/svg+xml", "text/plain; charset=utf-8"),
        ("application/xhtml+xml", "text/plain; charset=utf-8"),
        ("text/xsl", "text/plain; charset=utf-8"),
        ("multipart/x-mixed-replace", "text/plain; charset=utf-8"),
        ("application/javascript", "text/plain; charset=utf-8"),
        ("image/png", "image/png"),
        ("image/png; x=1", "image/png"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("application/pdf", "application/pdf"),
    ],
)
def test_raw_mimetype_allow_list(app, m: str, want: str) -> None:
    from urllib.parse import quote

    r = call(app, "/raw?ci=tip&filename=page.html&m=" + quote(m))
    assert r.status == 200
    assert r.header("Content-Type") == want
    assert r.header("Content-Security-Policy") == "sandbox; default-src 'none'"


def test_raw_binary_unknown_type_is_octet_stream() -> None:
    from fossilpy.web.pages.files import safe_type

    assert safe_type("text/html", b"a\0b") == "application/octet-stream"
    assert safe_type(" text/html", b"<b>") == "text/plain"
    assert safe_type("Image/PNG", b"\x89PNG") == "image/png"


@pytest.mark.parametrize(
    ("name", "ctype", "csp"),
    [
        ("page.html", "text/html; charset=utf-8", "sandbox"),
        ("pic.svg", "image/svg+xml", "sandbox"),
        ("data.xml", None, "sandbox"),
        ("logo.png", "image/png", None),
        ("notes.txt", "text/plain; charset=utf-8", None),
    ],
)
def test_static_active_files_are_sandboxed(tmp_path: Path, name: str, ctype: str | None, csp: str | None) -> None:
    # before: no sandbox CSP, the default CSP (scripts with nonce) applied
    root = tmp_path / "root"
    root.mkdir()
    (root / name).write_bytes(b"<svg><script>alert(1)</script></svg>")
    r = call(make_app(AppConfig(directory=str(root), files=("*",))), "/" + name)
    assert r.status == 200
    if ctype is not None:
        assert r.header("Content-Type") == ctype
    policy = r.header("Content-Security-Policy")
    if csp is None:
        assert policy is not None and policy.startswith("default-src 'self'")
    else:
        assert policy == csp
        assert len(r.all("Content-Security-Policy")) == 1


# -- 6. swallowed exceptions are logged -------------------------------------------


def test_after_reply_failure_is_logged(monkeypatch, app) -> None:
    from fossilpy.backoffice import trigger

    def boom(path: str, repo: object = None) -> None:
        raise RuntimeError("after-reply boom")

    monkeypatch.setattr(trigger, "after_reply", boom)
    r = call(app, "/stat")
    assert r.status == 200
    assert "fossilpy: after-reply work for " in r.errors
    assert "RuntimeError: after-reply boom" in r.errors


def test_error_page_render_failure_is_logged(monkeypatch, app) -> None:
    from fossilpy.web.render import Renderer

    def broken(self, *a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("template boom")

    monkeypatch.setattr(Renderer, "page", broken)
    r = call(app, "/info/ffffffffffffffff")
    assert r.status == 404
    assert "RuntimeError: template boom" in r.errors


def test_broken_error_stream_does_not_fail_the_reply(monkeypatch, app) -> None:
    from fossilpy.backoffice import trigger

    class Broken(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError("stream gone")

    monkeypatch.setattr(trigger, "after_reply", lambda path, repo=None: 1 / 0)
    env = environ("/stat")
    env["wsgi.errors"] = Broken()
    seen: dict[str, str] = {}
    result = app(env, lambda status, headers, exc=None: seen.setdefault("status", status))
    assert b"".join(result)
    result.close()
    assert seen["status"] == "200 OK"


# -- 7. Date header as fossil writes it --------------------------------------------


def test_http_date_matches_fossil() -> None:
    from fossilpy.web.request import http_date

    assert http_date(784111777) == "Sun, 6 Nov 1994 08:49:37 +0000"
    assert http_date(0) == "Thu, 1 Jan 1970 00:00:00 +0000"
    assert http_date(1700000000.9) == "Tue, 14 Nov 2023 22:13:20 +0000"


def test_sync_localauth_needs_local_host(monkeypatch, webrepo) -> None:
    from fossilpy.sync import server

    seen: list[object] = []

    def fake(repo, body, ctype, **kw):  # type: ignore[no-untyped-def]
        seen.append(kw["trusted_caps"])
        return "application/x-fossil", b""

    monkeypatch.setattr(server, "handle_xfer", fake)
    local = make_app(AppConfig(repository=str(webrepo.path), localauth=True))
    for host in ("localhost:8080", "evil.example:8080"):
        r = call(local, "/xfer", method="POST", body=b"x", content_type="application/x-fossil",
                 remote_addr="127.0.0.1", host=host)
        assert r.status == 200
    assert seen == ["sxy", None]
