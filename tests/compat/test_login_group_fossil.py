"""Login groups (Fossil's ``login.c``): fossilpy reads the groups fossil makes, and the reverse.

* ``fossilpy login-group`` prints what ``fossil login-group`` prints, for a
  group joined by fossil and for one joined by fossilpy (whose config rows
  fossil reads);
* a login made on one member (through fossilpy's /login or fossil's) is
  accepted by the other member served by the other program: the cookie is
  named after the group code, set for "/", and its HASH is copied from the
  member where the login was made;
* an unknown or expired hash, or a login missing from the member, is refused.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.conftest import Runner
from tests.web.wsgi import call


def _make(fossil: Runner, path: Path, name: str) -> Path:
    fossil("init", "--admin-user", "admin", path)
    fossil("user", "new", "alice", "alice@example.org", "alicepw", "-R", path)
    fossil("user", "capabilities", "alice", "o", "-R", path)
    with sqlite3.connect(path) as db:
        db.execute("REPLACE INTO config(name,value) VALUES('project-name',?)", (name,))
    return path


@pytest.fixture
def pair(fossil: Runner, tmp_path: Path) -> tuple[Path, Path]:
    return _make(fossil, tmp_path / "a.fossil", "Alpha"), _make(fossil, tmp_path / "b.fossil", "Beta")


def _config(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name, value FROM config WHERE name GLOB 'peer-*' OR name GLOB 'login-group-*'")
        return dict(rows)


def _fossilpy_login(path: Path, user: str, password: str) -> tuple[str, str]:
    """(cookie name=value, the Set-Cookie line) of a login through fossilpy's /login."""
    app = make_app(AppConfig(repository=str(path), backoffice=False))
    r = call(app, "/login", form={"u": user, "p": password, "in": "Login"})
    assert r.status == 302, r.body[:300]
    line = next(v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("fossil-"))
    return line.split(";", 1)[0], line


def _fossil_login(fossil: Runner, path: Path, user: str, password: str) -> tuple[str, str]:
    body = f"u={user}&p={password}&in="
    req = (
        "POST /login HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    out = fossil("http", "--nojail", path, input=req).stdout.decode("latin-1")
    m = re.search(r"^Set-Cookie: (fossil-[^;\r\n]*)(;[^\r\n]*)?", out, re.M)
    assert m, out[:500]
    return m.group(1), m.group(0)[len("Set-Cookie: ") :]


def _fossilpy_user(path: Path, cookie: str) -> str:
    """The user fossilpy's /login page says is logged in with ``cookie`` ("" if none)."""
    app = make_app(AppConfig(repository=str(path), backoffice=False))
    name, _, value = cookie.partition("=")
    body = call(app, "/login", cookies={name: value}).body.decode()
    m = re.search(r"logged in as <b>([^<]*)</b>", body) or re.search(r"[Ll]ogged in as ([A-Za-z0-9]+)", body)
    return m.group(1) if m else ""


def _fossil_user(fossil: Runner, path: Path, cookie: str) -> str:
    req = f"GET /login HTTP/1.0\r\nHost: localhost\r\nCookie: {cookie}\r\n\r\n"
    out = fossil("http", "--nojail", path, input=req).stdout.decode("latin-1")
    m = re.search(r"logged in as <b>([^<]*)</b>", out) or re.search(r"[Ll]ogged in as ([A-Za-z0-9]+)", out)
    return m.group(1) if m else ""


def test_show_join_leave_same_as_fossil(pair: tuple[Path, Path], fossil: Runner, fossilpy: Runner) -> None:
    a, b = pair
    for program in (fossil, fossilpy):
        assert program.text("login-group", "-R", b) == "Not currently a part of any login-group\n"
    fossil("login-group", "join", "--name", "grp", "-R", b, a)
    want = fossil.text("login-group", "-R", b)
    assert want == f'Now part of login-group "grp" with:\n  {a.resolve()}\n'
    assert fossilpy.text("login-group", "-R", b) == want
    assert fossilpy.text("login-group", "-R", a) == fossil.text("login-group", "-R", a)
    joined_by_fossil = {k: v for k, v in _config(b).items() if k != "login-group-code"}
    # leave: fossil's (on copies, as the same file names) and fossilpy's change both members alike
    saved = a.read_bytes(), b.read_bytes()
    fossil("login-group", "leave", "-R", b)
    want_a, want_b = _config(a), _config(b)
    a.write_bytes(saved[0])
    b.write_bytes(saved[1])
    assert fossilpy.text("login-group", "leave", "-R", b) == 'Leaving login-group "grp"\n'
    assert (_config(a), _config(b)) == (want_a, want_b) == ({"login-group-code": want_a["login-group-code"]}, {})
    assert fossil.text("login-group", "-R", a) == "Not currently a part of any login-group\n"
    # join with fossilpy: the rows are fossil's
    fossilpy("login-group", "join", "--name", "grp", "-R", b, a)
    assert {k: v for k, v in _config(b).items() if k != "login-group-code"} == joined_by_fossil
    assert _config(b)["login-group-code"] == _config(a)["login-group-code"]
    assert fossil.text("login-group", "-R", b) == want
    assert f"  {b.resolve()}\n" in fossil.text("login-group", "-R", a)


def test_bad_subcommands_refused_as_fossil(pair: tuple[Path, Path], fossil: Runner, fossilpy: Runner) -> None:
    a, b = pair
    for args in (["frob"], ["join"], ["leave", "x"]):
        want = fossil("login-group", "-R", b, *args, check=False)
        got = fossilpy("login-group", "-R", b, *args, check=False)
        assert (got.returncode, got.stdout) == (want.returncode, want.stdout) == (1, b"")
    got = fossilpy("login-group", "join", "-R", b, b, check=False)
    assert got.returncode == 1 and b'The "other" repository is the same as this one.' in got.stderr
    assert _config(b) == {}


def test_login_on_one_member_is_accepted_by_the_other(
    pair: tuple[Path, Path], fossil: Runner, fossilpy: Runner
) -> None:
    a, b = pair
    fossil("login-group", "join", "--name", "grp", "-R", b, a)
    code = _config(a)["login-group-code"][:16]
    # fossilpy's login on A: the group's cookie name, for the path "/"
    cookie, line = _fossilpy_login(a, "alice", "alicepw")
    assert cookie.startswith(f"fossil-{code}=")
    assert "; Path=/;" in line or line.endswith("; Path=/") or "path=/;" in line.lower()
    assert _fossilpy_user(b, cookie) == "alice"  # fossilpy on B copies the hash from A
    # fossil's login on A is accepted by fossilpy on B, fossilpy's on B by fossil on A
    cookie2, line2 = _fossil_login(fossil, a, "alice", "alicepw")
    assert cookie2.split("=", 1)[0] == cookie.split("=", 1)[0]
    assert _fossilpy_user(b, cookie2) == "alice"
    cookie3, _ = _fossilpy_login(b, "alice", "alicepw")
    assert _fossil_user(fossil, a, cookie3) == "alice"
    # a forged hash or a member without that user: nobody
    name, value = cookie3.split("=", 1)
    forged = name + "=" + "A" * 50 + value[50:]
    assert _fossilpy_user(a, forged) == ""
    fossil("user", "new", "bob", "bob@example.org", "bobpw", "-R", a)
    fossil("user", "capabilities", "bob", "o", "-R", a)
    bob, _ = _fossil_login(fossil, a, "bob", "bobpw")
    assert _fossilpy_user(b, bob) == ""
