"""Capabilities and passwords against Fossil 2.21 itself.

* Expansion of one capability string: ``fossil test-th-eval
  --set-user-caps`` calls ``login_set_capabilities(TH1_TEST_USER_CAPS, 0)``
  (src/th_main.c) and TH1's ``hascap`` is ``login_has_capability``; the
  letters it grants are compared with :func:`fossilpy.repo.capabilities.expand`.
  (Without a repository, ``u``/``v`` cannot be asked there.)
* The caps in force for a web request (``login_check_credentials`` ->
  ``login_set_uid`` -> ``login_set_anon_nobody_capabilities``, with ``u``/``v``
  inherited from the users ``reader``/``developer``): real ``fossil cgi``
  renders a skin header whose TH1 prints ``hascap`` and ``anoncap`` of every
  letter (and ``L``), for a visitor logged in through ``REMOTE_USER`` and for
  nobody, over a table of user tables; fossilpy's
  :func:`fossilpy.web.auth.check_credentials` must grant the same.
* Passwords set by real ``fossil init``/``user new``/``user password``
  (cleartext and shared-secret forms) are accepted by fossilpy exactly when
  fossil accepts them (HTTP Basic authentication through ``fossil cgi``), and
  the reverse for a password set by ``fossilpy user password``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from fossilpy.repo import capabilities
from fossilpy.repo.db import Repo

pytestmark = pytest.mark.compat

#: The letters login_has_capability knows, then "L" (logged in).
LETTERS = "a b c d e f g h i j k l m n o p q r s t u v w x y z 2 3 4 5 6 7 A C D L".split()

#: Capability strings without u/v: every letter alone, and mixtures.
SINGLE_STRINGS = [
    "", *"abcdefghijklmnopqrstwxyz234567ACD", "sxy", "ax", "ik", "wk6", "hmnc", "gjorz", "ei", "kptw",
    "oo", "?!Z", "B7E", "2y", "5q", "dl", "zzz", "3C",
]

#: (alice, reader, developer, nobody, anonymous) caps; None keeps the default of a new repository.
SCENARIOS = [
    ("u", None, None, None, None),
    ("v", None, None, None, None),
    ("uv", None, None, None, None),
    ("s", None, None, None, None),
    ("a", None, None, None, None),
    ("sxy", None, None, None, None),
    ("d", None, None, None, None),
    ("6", None, None, None, None),
    ("k7", None, None, None, None),
    ("u", "", None, None, None),
    ("uv", "v", "u", None, None),
    ("u", "vs", "ix", None, None),
    ("o", None, None, "", ""),
    ("d", None, None, "", ""),
    ("?", None, None, "", ""),
    ("u", "", None, "", ""),
    ("h", None, None, "", ""),
    ("k", None, None, "u", "v"),
    ("", None, None, None, None),  # no caps: REMOTE_USER is refused, as in Fossil
    ("i", None, None, "a", "2"),
    ("w", "y", "x", "uv", "vu"),
]

_HEADER = (
    '<th1>set r ""; foreach c {' + " ".join(LETTERS) + '} { if {[hascap $c]} { set r "$r$c" } }; html "CAPS=$r;";'
    ' set r ""; foreach c {' + " ".join(LETTERS) + '} { if {[anoncap $c]} { set r "$r$c" } }; html "ANON=$r;"</th1>'
)


def _granted(caps: capabilities.Caps) -> str:
    return "".join(c for c in LETTERS if c != "L" and caps.has(c))


def test_expansion_matches_fossil(fossil) -> None:  # type: ignore[no-untyped-def]
    """login_set_capabilities, letter by letter, for strings without u/v."""
    script = 'set r ""; foreach c {' + " ".join(LETTERS[:-1]) + '} { if {[hascap $c]} { set r "$r$c" } }; return $r'
    bad = []
    for text in SINGLE_STRINGS:
        out = fossil.text("test-th-eval", "--set-user-caps", script, env={"TH1_TEST_USER_CAPS": text})
        theirs = out.strip().removeprefix("TH_RETURN:").strip()
        ours = _granted(capabilities.expand(text))
        if theirs != ours:
            bad.append(f"{text!r}: fossil {theirs!r}, fossilpy {ours!r}")
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def probe_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(repository, CGI script, environment): alice exists; the header prints the caps."""
    from tests.conftest import runner

    work = tmp_path_factory.mktemp("caps")
    fossil = runner("fossil", work)
    exe, env = fossil.argv0[0], fossil.env
    repo = work / "r.fossil"
    fossil("init", repo)
    fossil("user", "new", "alice", "a@example.org", "pw", "-R", repo)
    db = sqlite3.connect(repo)
    with db:
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('header',?,0)", (_HEADER,))
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('remote_user_ok','1',0)")
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('http_authentication_ok','1',0)")
    db.close()
    script = work / "repo.cgi"
    script.write_text(f"#!{exe}\nrepository: {repo}\n")
    return repo, script, env


def _cgi_env(env: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    return {**env, "GATEWAY_INTERFACE": "CGI/1.0", "REQUEST_METHOD": "GET", "PATH_INFO": "/login",
            "SCRIPT_NAME": "/repo.cgi", "REQUEST_URI": "/repo.cgi/login", "REMOTE_ADDR": "192.0.2.7",
            "SERVER_NAME": "example.org", "SERVER_PORT": "80", **extra}


def _fossil_caps(probe: tuple[Path, Path, dict[str, str]], extra: dict[str, str]) -> tuple[str, str]:
    from tests.conftest import require_binary

    _, script, env = probe
    out = subprocess.run([require_binary("fossil"), "cgi", str(script)], env=_cgi_env(env, extra),
                         capture_output=True, check=True, timeout=60).stdout.decode("utf-8", "replace")
    caps, anon = re.search(r"CAPS=([^;]*);", out), re.search(r"ANON=([^;]*);", out)
    return (caps.group(1) if caps else "-"), (anon.group(1) if anon else "-")


def _fossilpy_caps(probe: tuple[Path, Path, dict[str, str]], extra: dict[str, str]) -> tuple[str, str]:
    from fossilpy.web.auth import check_credentials
    from fossilpy.web.request import Request

    repo, _, _ = probe
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/login", "REMOTE_ADDR": "192.0.2.7",
               "HTTP_HOST": "example.org", **extra}
    req = Request(environ, body=b"", https=False, baseurl=None, script_name="", path_info="/login")
    with Repo.open(str(repo), readonly=True) as r:
        login = check_credentials(r, req)
    logged_in = "L" if login.has("L") else ""
    return _granted(login.caps) + logged_in, _granted(login.anon_caps) + logged_in


def _set_caps(repo: Path, scenario: tuple[str | None, ...]) -> None:
    defaults = ("pw-unused", "kptw", "ei", "gjorz", "hmnc")
    db = sqlite3.connect(repo)
    with db:
        logins = ("alice", "reader", "developer", "nobody", "anonymous")
        for login, cap, default in zip(logins, scenario, defaults, strict=True):
            if login != "alice":
                cap = default if cap is None else cap
            db.execute("UPDATE user SET cap=? WHERE login=?", (cap, login))
    db.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=["-".join("_" if c is None else (c or "0") for c in s)
                                                     for s in SCENARIOS])
def test_web_caps_match_fossil(probe_repo, scenario) -> None:  # type: ignore[no-untyped-def]
    """The caps (and anonymous caps) in force for alice (REMOTE_USER) and for nobody."""
    _set_caps(probe_repo[0], scenario)
    for extra in ({"REMOTE_USER": "alice"}, {}):
        assert _fossilpy_caps(probe_repo, extra) == _fossil_caps(probe_repo, extra), (scenario, extra)


def _basic(login: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": "Basic " + token}


def test_passwords_agree_with_fossil(probe_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Cleartext and shared-secret passwords, set by fossil and by fossilpy."""
    import sys

    from fossilpy.repo import users
    from tests.conftest import ROOT, require_binary

    repo, _, env = probe_repo
    exe = require_binary("fossil")
    _set_caps(repo, ("o", None, None, None, None))

    def run(*argv: str) -> str:
        proc = subprocess.run(argv, env=env, capture_output=True, check=True, cwd=str(ROOT))
        return proc.stdout.decode()

    run(exe, "user", "new", "bob", "Bob", "pw1", "-R", str(repo))
    run(exe, "user", "new", "carol", "Carol", "x", "-R", str(repo))
    run(exe, "user", "password", "carol", "p\u00e4ssw\u00f6rd 2", "-R", str(repo))
    run(exe, "user", "new", "dave", "Dave", "old", "-R", str(repo))
    run(sys.executable, "-m", "fossilpy", "user", "password", "dave", "pw4", "-R", str(repo))
    db = sqlite3.connect(repo)
    with db:
        db.execute("UPDATE user SET cap='o' WHERE login IN ('bob','carol','dave')")
        db.execute("UPDATE user SET pw='clear-text-pw', cap='o' WHERE login='alice'")  # as init leaves it
        stored = dict(db.execute("SELECT login, pw FROM user"))
        code = db.execute("SELECT value FROM config WHERE name='project-code'").fetchone()[0]
    db.close()
    assert len(stored["bob"]) == 40 and len(stored["carol"]) == 40 and len(stored["dave"]) == 40
    anon_pw = stored["anonymous"]
    cases = [
        ("alice", "clear-text-pw", True), ("alice", "clear-text-pwx", False),
        ("alice", hashlib.sha1(f"{code}/alice/clear-text-pw".encode()).hexdigest(), False),
        ("bob", "pw1", True), ("bob", "PW1", False), ("bob", stored["bob"], False),
        ("carol", "p\u00e4ssw\u00f6rd 2", True), ("carol", "x", False),
        ("dave", "pw4", True), ("dave", "old", False),
        ("anonymous", anon_pw, False), ("nobody", "", False), ("reader", "x", False),
    ]
    bad = []
    with Repo.open(str(repo), readonly=True) as r:
        for login, pw, want in cases:
            theirs = "L" in _fossil_caps(probe_repo, _basic(login, pw))[0]
            ours_web = "L" in _fossilpy_caps(probe_repo, _basic(login, pw))[0]
            ours = users.check_password(r, login, pw) > 0
            if not (theirs == ours == ours_web == want):
                bad.append(f"{login}/{pw!r}: fossil {theirs}, check_password {ours}, web {ours_web}, want {want}")
            if login in ("alice", "bob", "carol", "dave"):
                nonce = hashlib.sha1(login.encode()).hexdigest()
                sig = hashlib.sha1((nonce + capabilities.shared_secret(pw, login, code)).encode()).hexdigest()
                if capabilities.login_card_matches(stored[login], login, code, nonce, sig) != want:
                    bad.append(f"{login}/{pw!r}: sync login card")
    assert not bad, "\n".join(bad)


#: Cap strings for Fossil's SQL fullcap() (the alert mailer's expansion).
FULLCAP_STRINGS = ["", "u", "v", "uv", "a", "s", "x*?y", "6", "k", "dw", "@:[", "ZzA"]


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s[0] in ("u", "uv", "k", "w")])
def test_fullcap_matches_fossil(probe_repo, scenario) -> None:  # type: ignore[no-untyped-def]
    """capabilities.fullcap against ``fullcap()`` in ``fossil sql`` (capabilities.c)."""
    from tests.conftest import require_binary

    repo, _, env = probe_repo
    _set_caps(repo, scenario)
    query = "SELECT " + ", ".join(f"fullcap('{s}')" for s in FULLCAP_STRINGS) + ";\n"
    out = subprocess.run([require_binary("fossil"), "sql", "-R", str(repo)], input=query.encode(), env=env,
                         capture_output=True, check=True, timeout=60).stdout.decode()
    theirs = [v.strip("'") for v in out.strip().split(",")]
    with Repo.open(str(repo), readonly=True) as r:
        ours = [capabilities.fullcap_for(r, s) for s in FULLCAP_STRINGS]
    assert ours == theirs
