"""Login, logout, cookies and capabilities."""

from __future__ import annotations

import re
import sqlite3

from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import call


def _cookie_name(webrepo) -> str:  # type: ignore[no-untyped-def]
    return "fossil-" + webrepo.project_code[:16]


def test_login_page(app) -> None:
    r = call(app, "/login")
    assert r.status == 200
    assert '<input type="text" id="u" name="u"' in r.text
    assert re.search(r'name="cs" value="\d+"', r.text)
    assert re.search(r'<code class="anon-password">[0-9a-f]{8}</code>', r.text)


def test_login_wrong_password(app, webrepo) -> None:
    r = call(app, "/login", form={"u": "alice", "p": "wrong"})
    assert r.status == 401
    assert "You entered an unknown user or an incorrect password." in r.text
    assert r.all("Set-Cookie") == []
    assert call(app, "/login", form={"u": "nobody", "p": ""}).status == 401


def test_login_and_logout_flow(repo_copy, webrepo) -> None:
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/login", form={"u": "alice", "p": "pw1", "g": "timeline?y=ci"})
    assert r.status == 302
    assert r.header("Location") == "http://localhost:8080/timeline?y=ci"
    name = _cookie_name(webrepo)
    (set_cookie,) = r.all("Set-Cookie")
    m = re.fullmatch(
        name + r"=([0-9A-F]{50})%2F" + webrepo.project_code[:16]
        + r"%2Falice; Path=/; HttpOnly; SameSite=Lax; Version=1",
        set_cookie,
    )
    assert m, set_cookie
    db = sqlite3.connect(repo_copy)
    stored, live = db.execute("SELECT cookie, cexpire>julianday('now') FROM user WHERE login='alice'").fetchone()
    db.close()
    assert stored == m.group(1) and live == 1
    cookies = {name: r.cookies()[name].replace("/", "%2F")}
    page = call(app, "/timeline", cookies=cookies)
    assert '<span class="who">alice</span>' in page.text
    # a forged hash is not accepted
    forged = {name: "0" * 50 + "%2F" + webrepo.project_code[:16] + "%2Falice"}
    assert '<span class="who">' not in call(app, "/timeline", cookies=forged).text
    # remember me: persistent cookie with the cookie-expire lifetime
    r = call(app, "/login", form={"u": "alice", "p": "pw1", "remember": "1"})
    assert "; max-age=31557600; HttpOnly;" in r.header("Set-Cookie")
    # logout: GET only asks for confirmation, the POST logs out
    ask = call(app, "/logout", cookies=cookies)
    assert ask.status == 200 and ask.all("Set-Cookie") == []
    assert '<input type="submit" name="out" value="Logout">' in ask.text
    out = call(app, "/logout", cookies=cookies, form={"out": "Logout"})
    assert out.status == 302
    assert out.header("Set-Cookie") == f"{name}=null; Path=/; max-age=-86400; HttpOnly; SameSite=Lax; Version=1"
    db = sqlite3.connect(repo_copy)
    assert db.execute("SELECT cookie, cexpire FROM user WHERE login='alice'").fetchone() == (None, 0)
    db.close()
    assert '<span class="who">' not in call(app, "/timeline", cookies=cookies).text


def test_sha1_password_and_cleartext(repo_copy, webrepo) -> None:
    import hashlib

    db = sqlite3.connect(repo_copy)
    with db:
        secret = hashlib.sha1(f"{webrepo.project_code}/alice/pw1".encode()).hexdigest()
        assert db.execute("SELECT pw FROM user WHERE login='alice'").fetchone()[0] == secret
        db.execute("UPDATE user SET pw='clear1' WHERE login='alice'")
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy)))
    assert call(app, "/login", form={"u": "alice", "p": "clear1"}).status == 302


def test_anonymous_login(repo_copy, webrepo) -> None:
    app = make_app(AppConfig(repository=str(repo_copy)))
    page = call(app, "/login?anon")
    seed = re.search(r'name="cs" value="(\d+)"', page.text).group(1)
    password = re.search(r'<code class="anon-password">([0-9a-f]{8})</code>', page.text).group(1)
    bad = call(app, "/login", form={"u": "anonymous", "p": "00000000", "cs": seed})
    assert bad.status == 401
    r = call(app, "/login", form={"u": "anonymous", "p": password.upper(), "cs": seed})
    assert r.status == 302
    value = r.cookies()[_cookie_name(webrepo)]
    assert re.fullmatch(r"[0-9a-f]{40}/2\d{6}\.\d+/anonymous", value)
    page = call(app, "/stat", cookies={_cookie_name(webrepo): value})
    assert '<span class="who">anonymous</span>' in page.text
    # a forged anonymous cookie whose hash is not ASCII: not logged in, no 500
    forged = "\u00e9" * 40 + value[40:]
    page = call(app, "/stat", cookies={_cookie_name(webrepo): forged})
    assert page.status == 200 and '<span class="who">anonymous</span>' not in page.text


def test_fossil_accepts_our_cookie(repo_copy, webrepo, tmp_path) -> None:
    """The real fossil binary treats the cookie fossilpy set as a login."""
    import subprocess

    from tests.conftest import base_env, require_binary

    exe = require_binary("fossil")
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/login", form={"u": "alice", "p": "pw1"})
    header = r.header("Set-Cookie").split(";", 1)[0]
    request = f"GET /login HTTP/1.0\r\nHost: localhost\r\nCookie: {header}\r\n\r\n".encode()
    home = tmp_path / "h"
    home.mkdir()
    out = subprocess.run(
        [exe, "http", "--nojail", str(repo_copy)], input=request, capture_output=True, env=base_env(home), timeout=60
    )
    assert b"Currently logged in as <b>alice</b>" in out.stdout


def test_capability_denied_redirects_to_login(repo_copy) -> None:
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
    db.close()
    app = make_app(AppConfig(repository=str(repo_copy)))
    r = call(app, "/timeline?y=ci&n=5")
    assert r.status == 302
    assert r.header("Location") == "http://localhost:8080/login?g=timeline%3fy%3Dci%26n%3D5"
    assert call(app, "/raw?ci=tip&filename=src/a.py").status == 302
    assert call(app, "/dir").status == 302
    assert call(app, "/login").status == 200
    assert call(app, "/robots.txt").status == 200
    # a named user with read access gets in
    r = call(app, "/login", form={"u": "alice", "p": "pw1"})
    assert r.status == 302
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("UPDATE user SET cap='o' WHERE login='alice'")
    db.close()
    cookie = r.header("Set-Cookie").split(";", 1)[0].split("=", 1)
    assert call(app, "/timeline", cookies={cookie[0]: cookie[1]}).status == 200


def test_reader_inheritance(repo_copy) -> None:
    """cap 'u' pulls in the caps of user reader, 'v' those of developer."""
    from fossilpy.repo.db import Repo
    from fossilpy.web.auth import expand_caps

    repo = Repo.open(str(repo_copy), readonly=True)
    try:
        assert expand_caps(repo, "u") == set("kptwjmrnc")
        assert expand_caps(repo, "v") == set("eio")  # i implies o
        assert "x" not in expand_caps(repo, "s") and "y" not in expand_caps(repo, "a")
        assert expand_caps(repo, "i") == {"i", "o"}
    finally:
        repo.close()


def test_localauth_and_trusted_caps(app, webrepo) -> None:
    local = make_app(AppConfig(repository=str(webrepo.path), localauth=True))
    r = call(local, "/stat", remote_addr="127.0.0.1")
    assert '<span class="who">root</span>' in r.text
    r = call(local, "/stat", remote_addr="192.0.2.1")
    assert '<span class="who">' not in r.text
    r = call(local, "/stat", remote_addr="127.0.0.1", extra={"HTTPS": "on"})
    assert '<span class="who">' not in r.text
    r = call(app, "/stat", extra={"fossilpy.trusted_caps": "sxy"})
    assert '<span class="who">root</span>' in r.text


def test_login_post_from_other_site_refused(app) -> None:
    r = call(app, "/login", form={"u": "alice", "p": "pw1"}, headers={"Origin": "http://evil.example"})
    assert r.status == 403
