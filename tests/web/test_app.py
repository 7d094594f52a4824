"""The application shell: headers, errors, limits, xfer routing, base URLs."""

from __future__ import annotations

import re
import subprocess
import sys
import types

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import call, environ


def test_security_headers_with_fresh_nonce(app) -> None:
    a = call(app, "/stat")
    b = call(app, "/stat")
    csp = a.header("Content-Security-Policy")
    m = re.fullmatch(
        r"default-src 'self' data:; script-src 'self' 'nonce-([0-9a-f]{48})'; "
        r"style-src 'self' 'unsafe-inline'; img-src \* data:",
        csp,
    )
    assert m
    assert m.group(1) not in b.header("Content-Security-Policy")
    assert a.header("X-Frame-Options") == "SAMEORIGIN"
    assert a.header("X-Content-Type-Options") == "nosniff"
    assert a.header("Cache-control") == "no-cache"
    assert int(a.header("Content-Length")) == len(a.body)
    # error pages carry them too
    e = call(app, "/nope")
    assert e.status == 404 and e.header("Content-Security-Policy").startswith("default-src")


def test_body_over_limit_is_413(webrepo) -> None:
    app = make_app(AppConfig(repository=str(webrepo.path), max_body=100))
    r = call(app, "/login", method="POST", body=b"x" * 101, content_type="application/x-www-form-urlencoded")
    assert r.status == 413
    # exactly the limit is fine
    r = call(app, "/login", method="POST", body=b"u=a&p=" + b"x" * 94, content_type="application/x-www-form-urlencoded")
    assert r.status == 401


def test_body_read_exactly_content_length(app) -> None:
    class Stream:
        def __init__(self) -> None:
            self.data = b"u=alice&p=wrong"
            self.reads = 0

        def read(self, n: int = -1) -> bytes:
            assert n >= 0, "must never read to EOF"
            self.reads += 1
            out, self.data = self.data[:n], self.data[n:]
            return out

        # wsgiref's validator insists that wsgi.input has the whole PEP 3333
        # input interface; the app reads only with read(n), never these.
        def readline(self, size: int = -1) -> bytes:
            raise AssertionError("the app must read the body with read(n)")

        readlines = __iter__ = readline

    env = environ("/login", method="POST", content_type="application/x-www-form-urlencoded",
                  headers={"Origin": "http://localhost:8080"})
    env["wsgi.input"] = Stream()
    env["CONTENT_LENGTH"] = "15"
    r = call(app, env=env)
    assert r.status == 401


def test_post_without_content_length(app) -> None:
    body = b"u=alice&p=wrong"
    r = call(app, "/login", method="POST", body=body, content_type="application/x-www-form-urlencoded",
             content_length="-")
    assert r.status == 200  # body ignored: the stream is not known to be bounded
    r = call(
        app, "/login", method="POST", body=body, content_type="application/x-www-form-urlencoded",
        content_length="-", extra={"fossilpy.input_terminated": True},
    )
    assert r.status == 401


def test_garbage_requests(app, bounded) -> None:
    # No PEP 3333 server passes on such a CONTENT_LENGTH (wsgiref's validator
    # refuses the environ); the app must answer 400 all the same.
    assert call(app, "/stat", content_length="abc", method="POST", validate=False).status == 400
    assert call(app, "/stat", content_length="-5", method="POST", validate=False).status == 400
    assert call(app, "/stat", method="PUT").status == 405
    assert call(app, "/stat", method="DELETE").status == 405
    assert call(app, "/%00stat").status == 404
    assert call(app, "/timeline?n=%ff%fe&y=%00").status in (200, 400)
    assert call(app, "/info/" + "f" * 500).status == 404
    assert call(app, "/stat", headers={"Cookie": "\x00\x01;;;=;fossil-=="}).status == 200
    assert call(app, "/stat", host="evil.example/<script>").status == 200


def test_no_traceback_on_crash(app, monkeypatch) -> None:
    from fossilpy.web.pages import stat

    def boom(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    page = stat.pages.pages["stat"]
    monkeypatch.setitem(stat.pages.pages, "stat", page.__class__(page.name, boom, page.caps, page.methods, page.help))
    r = call(app, "/stat")
    assert r.status == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert "Internal server error" in r.text
    assert "Traceback" in r.errors and "secret internals" in r.errors


def test_storage_error_is_clean(tmp_path) -> None:
    bad = tmp_path / "bad.fossil"
    bad.write_bytes(b"not a database" * 100)
    r = call(make_app(AppConfig(repository=str(bad))), "/timeline")
    assert r.status == 500
    assert "The repository cannot be read" in r.text and str(bad) not in r.text
    assert "not a repository" in r.errors and "Traceback" not in r.text + r.errors


def test_xfer_routed_by_content_type(webrepo, monkeypatch) -> None:
    seen = {}

    def handle_xfer(repo, body, content_type, *, remote_addr, remote_user, trusted_caps):  # type: ignore[no-untyped-def]
        seen.update(path=repo.path, body=body, ctype=content_type, addr=remote_addr, user=remote_user,
                    caps=trusted_caps)
        return "application/x-fossil", b"reply-bytes"

    fake = types.ModuleType("fossilpy.sync.server")
    fake.handle_xfer = handle_xfer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fossilpy.sync.server", fake)
    import fossilpy.sync

    monkeypatch.setattr(fossilpy.sync, "server", fake, raising=False)
    app = make_app(AppConfig(repository=str(webrepo.path)))
    for path in ("/xfer", "/", "/timeline/anything"):
        r = call(app, path, method="POST", body=b"\x00\x00\x00\x05abc", content_type="application/x-fossil",
                 extra={"fossilpy.trusted_caps": "sxy", "REMOTE_USER": "bob"})
        assert r.status == 200
        assert r.body == b"reply-bytes"
        assert r.header("Content-Type") == "application/x-fossil"
        assert seen == {"path": str(webrepo.path), "body": b"\x00\x00\x00\x05abc", "ctype": "application/x-fossil",
                        "addr": "192.0.2.10", "user": "bob", "caps": "sxy"}
    r = call(app, "/xfer")
    assert r.status == 302 and r.header("Location") == "http://localhost:8080/index"


def test_backoffice_hook_after_200_only(webrepo, monkeypatch) -> None:
    from fossilpy.backoffice import trigger

    calls = []
    monkeypatch.setattr(trigger, "after_reply", lambda path, repo=None: calls.append(path))
    app = make_app(AppConfig(repository=str(webrepo.path)))
    env = environ("/stat")
    result = app(env, lambda s, h: None)
    assert calls == []  # not before the body is sent
    b"".join(result)
    result.close()
    assert calls == [str(webrepo.path)]
    call(app, "/nope")
    call(app, "/")
    assert calls == [str(webrepo.path)]


def test_backoffice_hook_reads_the_lease_through_the_pool(webrepo, monkeypatch) -> None:
    """A long-running door's after-reply check borrows an idle handle (no second open of
    the file per reply) and gives it back; a one-request process (CGI) opens its own."""
    from fossilpy.backoffice import trigger
    from fossilpy.repo.db import Repo

    seen: list[tuple[str, object]] = []

    def spy(path: str, repo: Repo | None = None) -> int:
        seen.append((path, repo))
        return 0

    monkeypatch.setattr(trigger, "after_reply", spy)
    app = make_app(AppConfig(repository=str(webrepo.path)))
    path = str(webrepo.path)
    assert call(app, "/stat").status == 200
    assert len(seen) == 1 and seen[0][0] == path and isinstance(seen[0][1], Repo)
    assert app.repos.idle(path) == 1  # the page's handle served the check too, and is back
    assert call(app, "/stat", extra={"wsgi.run_once": True}).status == 200
    assert seen[1] == (path, None)
    assert app.repos.idle(path) == 1


def test_backoffice_trigger_with_a_pooled_handle_leaves_it_open(webrepo, tmp_path) -> None:
    import shutil
    import sqlite3

    from fossilpy.backoffice import trigger
    from fossilpy.repo.db import Repo

    path = tmp_path / "copy.fossil"
    shutil.copy(webrepo.path, path)
    with sqlite3.connect(path) as db:
        db.execute("REPLACE INTO config(name, value, mtime) VALUES('backoffice-disable', '1', 0)")
    db.close()
    repo = Repo.open(str(path), readonly=True)
    try:
        assert trigger.after_reply(str(path), repo) == 0  # disabled: nothing to start
        assert repo.one("SELECT value FROM config WHERE name='backoffice-disable'") == "1"  # still open
    finally:
        repo.close()


def test_base_url_rules(webrepo) -> None:
    app = make_app(AppConfig(repository=str(webrepo.path)))
    r = call(app, "/", script_name="/cgi-bin/repo.cgi", host="Example.ORG:443", extra={"HTTPS": "on"})
    assert r.header("Location") == "https://example.org/cgi-bin/repo.cgi/index"
    r = call(app, "/stat", script_name="/code/")
    assert 'href="/code/timeline"' in r.text
    r = call(app, "/", host="example.org:80")
    assert r.header("Location") == "http://example.org/index"
    r = call(app, "/", host="example.org.")
    assert r.header("Location") == "http://example.org/index"
    based = make_app(AppConfig(repository=str(webrepo.path), baseurl="https://pub.example/fossil/"))
    r = call(based, "/")
    assert r.header("Location") == "https://pub.example/fossil/index"
    assert 'href="/fossil/timeline"' in call(based, "/stat").text
    r = call(based, "/login", form={"u": "alice", "p": "pw1"}, headers={"Origin": "https://pub.example"})
    assert r.header("Set-Cookie").endswith("; Path=/fossil; HttpOnly; SameSite=Lax; secure; Version=1")


def test_web_app_import_is_cheap() -> None:
    code = (
        "import sys, fossilpy.web.app as a; "
        "print(sorted(m for m in ('jinja2','sqlite3','fossilpy.web.pages.timeline','http.cookies','email')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_page_table_matches_modules() -> None:
    from fossilpy.web import routes

    pages = routes.all_pages()
    assert sorted(p.name for p in pages) == sorted(routes.PAGE_MODULES)
    for p in pages:
        assert p.help, f"/{p.name} has no help text"
        assert p.help.startswith("/" + p.name), p.name


def test_every_page_module_is_in_the_table() -> None:
    """A page declared in any module under fossilpy/web/pages is reachable."""
    import importlib
    import pkgutil

    import fossilpy.web.pages as pkg
    from fossilpy.web import routes

    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"fossilpy.web.pages.{info.name}")
        for name in mod.pages.pages:
            assert routes.PAGE_MODULES.get(name) == info.name, (name, info.name)


def test_duplicate_page_is_programming_error() -> None:
    from fossilpy.errors import ProgrammingError
    from fossilpy.web.routes import PageSet

    ps = PageSet()
    ps.webpage("/x", caps="")(lambda ctx: None)
    with pytest.raises(ProgrammingError):
        ps.webpage("/x", caps="")(lambda ctx: None)
    assert ps.webpage("/y")(lambda ctx: None) and ps.pages["y"].caps == "s"  # secure by default


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/file/../../etc/passwd",
        "/file?name=../../../etc/passwd",
        "/raw?ci=tip&filename=/etc/passwd",
        "/raw/..%2f..%2fetc%2fpasswd",
        "/dir?name=../..",
        "/tree?name=src/../../x",
        "//etc/passwd",
        "/style.css/../../../etc/passwd",
    ],
)
def test_hostile_paths_single_repo(app, path: str) -> None:
    r = call(app, path)
    assert r.status == 404, (path, r.status)
    assert b"root:" not in r.body
