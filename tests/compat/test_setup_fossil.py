"""Setup pages against the real fossil 2.21, on the same repository file.

* Users, capabilities and settings written through fossilpy's
  /setup_uedit, /setup_settings, /setup_access and /setup_config are read
  back the same way by ``fossil user capabilities``, ``fossil user list``,
  ``fossil settings`` and ``fossil sql`` (a password stored by the page is
  the shared secret fossil computes, so fossil accepts it).
* What ``fossil user new``/``user capabilities``/``settings`` write,
  fossilpy's pages show.
* The rows of /setup_ulist and /setup_ucap_list (letter, name, meaning,
  number of users) are the same as ``fossil test-http`` gives for the
  same pages.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner
from tests.web.wsgi import call


@pytest.fixture
def repo(fossil: Runner, tmp_path: Path) -> Path:
    path = tmp_path / "r.fossil"
    fossil("init", path, env={"USER": "root"})
    fossil("user", "password", "root", "rootpw", "-R", path, env={"USER": "root"})
    return path


def _app(path: Path) -> Any:
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(path)))


def _post(app: Any, page: str, form: list[tuple[str, str]]) -> Any:
    r = call(app, "/login", form={"u": "root", "p": "rootpw"})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    cookies = {name: value.replace("/", "%2F")}
    return call(app, page, cookies=cookies, form=[*form, ("csrf", value.split("/")[0][:10])])


def _get(app: Any, page: str) -> str:
    r = call(app, "/login", form={"u": "root", "p": "rootpw"})
    ((name, value),) = r.cookies().items()
    return call(app, page, cookies={name: value.replace("/", "%2F")}).text


def _sql(fossil: Runner, repo: Path, query: str) -> str:
    """One value selected by ``fossil sql`` (the query on stdin)."""
    return fossil.text("sql", "-R", repo, input=f".mode list\n{query};\n").strip()


def _fossil_page(fossil: Runner, repo: Path, page: str) -> str:
    req = f"GET /{page} HTTP/1.0\r\nHost: localhost\r\n\r\n"
    return fossil("test-http", repo, input=req, env={"USER": "root"}).stdout.decode()


def test_user_written_by_page_is_read_by_fossil(fossil: Runner, repo: Path) -> None:
    app = _app(repo)
    form = [
        ("id", "0"),
        ("login", "carol"),
        ("info", "Carol <carol@example.org>"),
        ("pw", "carolpw"),
        ("ao", "on"),
        ("ai", "on"),
        ("a2", "on"),
        ("av", "on"),
        ("apply", "Apply Changes"),
    ]
    assert _post(app, "/setup_uedit", form).status == 302
    assert fossil.text("user", "capabilities", "carol", "-R", repo) == "iov2\n"
    assert "carol        Carol <carol@example.org>\n" in fossil.text("user", "list", "-R", repo)
    code = _sql(fossil, repo, "SELECT value FROM config WHERE name='project-code'")
    stored = _sql(fossil, repo, "SELECT pw FROM user WHERE login='carol'")
    assert stored == hashlib.sha1(f"{code}/carol/carolpw".encode()).hexdigest()  # sha1_shared_secret
    # fossil's own login check accepts the password: /login through fossil http
    req = (
        "POST /login HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 21\r\n\r\nu=carol&p=carolpw&in="
    )
    out = fossil("http", "--nojail", repo, input=req).stdout.decode("latin-1")
    assert out.startswith("HTTP/1.0 302") and "Set-Cookie: fossil-" in out, out[:400]


def test_settings_written_by_pages_are_read_by_fossil(fossil: Runner, repo: Path) -> None:
    app = _app(repo)
    r = _post(
        app,
        "/setup_settings",
        [("hash-digits", "12"), ("mv-rm-files", "on"), ("admin-log", "on"), ("main-branch", "main"), ("submit", "1")],
    )
    assert r.status == 200
    assert fossil.text("settings", "hash-digits", "-R", repo) == "hash-digits          (local)  12\n"
    assert fossil.text("settings", "mv-rm-files", "-R", repo) == "mv-rm-files          (local)  1\n"
    assert fossil.text("settings", "main-branch", "-R", repo) == "main-branch          (local)  main\n"
    assert fossil.text("settings", "auto-shun", "-R", repo) == "auto-shun            (local)  0\n"
    assert _post(app, "/setup_access", [("selfreg", "on"), ("defaultperms", "u7"), ("submit", "1")]).status == 200
    assert fossil.text("settings", "self-register", "-R", repo) == "self-register        (local)  1\n"
    assert fossil.text("settings", "default-perms", "-R", repo) == "default-perms        (local)  u7\n"
    assert _post(app, "/setup_config", [("pn", "Shared Name"), ("submit", "1")]).status == 200
    assert _sql(fossil, repo, "SELECT value FROM config WHERE name='project-name'") == "Shared Name"
    # fossil's /admin_log shows what fossilpy's pages recorded
    page = _fossil_page(fossil, repo, "admin_log")
    assert "Set entry_attribute &#39;project-name&#39; to: Shared Name" in page
    assert "Set option [self-register] to [on]." in page


def test_what_fossil_writes_the_pages_show(fossil: Runner, repo: Path) -> None:
    fossil("user", "new", "bob", "Bob <bob@example.org>", "bobpw", "-R", repo, env={"USER": "root"})
    fossil("user", "capabilities", "bob", "oi3", "-R", repo)
    fossil("settings", "hash-digits", "14", "-R", repo)
    fossil("settings", "mv-rm-files", "on", "-R", repo)
    fossil("settings", "self-register", "on", "-R", repo)
    app = _app(repo)
    ulist = _get(app, "/setup_ulist")
    uid = _sql(fossil, repo, "SELECT uid FROM user WHERE login='bob'")
    assert f'<a href="/setup_uedit?id={uid}">bob</a></td><td>oi3</td><td>Bob &lt;bob@example.org&gt;</td>' in ulist
    edit = _get(app, f"/setup_uedit?id={uid}")
    for c in "oi3":
        assert f'name="a{c}" checked="checked"' in edit
    assert 'name="aw" checked' not in edit
    settings = _get(app, "/setup_settings")
    assert 'name="hash-digits" value="14"' in settings
    assert (
        '<input type="checkbox" name="mv-rm-files" id="idmv-rm-files" aria-label="mv-rm-files" checked="checked">'
        in settings
    )
    access = _get(app, "/setup_access")
    assert (
        '<input type="checkbox" name="selfreg" id="idselfreg" aria-label="Allow users to register themselves"'
        ' checked="checked">' in access
    )


def _rows(text: str, pattern: str) -> list[tuple[str, ...]]:
    flat = re.sub(r"\s*\n\s*", "", text)
    return [tuple(html.unescape(re.sub(r"<[^>]+>", "", g)).strip() for g in m) for m in re.findall(pattern, flat)]


def test_user_list_and_capability_key_match_fossil(fossil: Runner, repo: Path) -> None:
    fossil("user", "new", "bob", "Bob <bob@example.org>", "bobpw", "-R", repo, env={"USER": "root"})
    fossil("user", "capabilities", "bob", "oiv", "-R", repo)
    fossil("user", "new", "zed", "", "zedpw", "-R", repo, env={"USER": "root"})
    fossil("user", "capabilities", "zed", "u2", "-R", repo)
    app = _app(repo)
    key_pattern = r"<tr><th valign=\"top\">(.)</th><td>([^<]*)</td><td>([^<]*)</td>(?:<td>(.*?)</td>)?</tr>"
    theirs = _rows(_fossil_page(fossil, repo, "setup_ucap_list"), key_pattern)
    ours = _rows(_get(app, "/setup_ucap_list"), key_pattern)
    assert len(theirs) > 60 and ours == theirs
    row_pattern = r"setup_uedit\?id=(\d+)['\"]>([^<]*)</a>(?:</td>)?<td>([^<]*)"
    theirs_u = _rows(_fossil_page(fossil, repo, "setup_ulist"), row_pattern)
    ours_u = _rows(_get(app, "/setup_ulist"), row_pattern)
    assert ours_u == theirs_u and len(ours_u) == 7 and ("3", "nobody", "gjorz") in ours_u


#: Fields of Fossil's forms fossilpy does not offer: skin diffs, and "Delete User" on an empty new-user form.
NOT_OFFERED = {"setup_skinedit": {"diff", "sbsdiff"}, "setup_uedit": {"delete"}}


@pytest.mark.parametrize(
    "page",
    [
        "setup_access",
        "setup_config",
        "setup_timeline",
        "setup_settings",
        "setup_uedit",
        "setup_logo",
        "setup_skinedit",
        "srchsetup",
    ],
)
def test_form_field_names_are_fossils(fossil: Runner, repo: Path, page: str) -> None:
    """Every form field of Fossil's page is on fossilpy's, under the same name."""
    theirs = set(re.findall(r'name="([^"]+)"', _fossil_page(fossil, repo, page))) - {"viewport"}
    ours = set(re.findall(r'name="([^"]+)"', _get(_app(repo), "/" + page)))
    assert len(theirs) >= 5
    assert theirs - NOT_OFFERED.get(page, set()) <= ours, sorted(theirs - ours)
