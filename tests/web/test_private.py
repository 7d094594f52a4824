"""Private content is invisible without capability ``x``: one rule on every page and name.

The repository is made by fossilpy alone (:func:`tests.builders.build_private_repo`,
no fossil binary needed), artifact for artifact what the real fossil makes
of the same commands (``tests/compat/test_builders_fossil.py`` checks): two
public check-ins on trunk, then the newest check-in, ``commit --private
--branch hushbranch``, which adds a file only it has (``secret.txt``),
changes ``README`` and reverts ``src/a.txt`` to its first version: that
version stays public (the first check-in uses it too), the other two are
private.  The tests that compare with Fossil 2.21 itself (``fossil info``,
``fossil timeline``, ``fossil http``) still need the binary.

For a visitor without ``x`` -- nobody with ``orj2``, and a logged-in
developer -- every way of naming the private check-in or its files (full
hash, prefix, branch name, ``tag:``, ``root:``/``start:``, ``rid:``) gets
byte-for-byte the reply a missing name gets, ``tip`` and dates skip it,
and no list shows it.  A user with ``x`` sees all of it.

Fossil 2.21 goes less far: it hides nothing from such a visitor (its
/info, /artifact, /dir, /raw pages show the private check-in, /timeline
marks it "unpublished", ``tip`` resolves to it); see
:func:`test_fossil_2_21_shows_what_we_hide`.  The rule and that decision
live in ``fossilpy/repo/visibility.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fossilpy.repo import names
from fossilpy.repo.db import Repo
from fossilpy.web.app import AppConfig, make_app
from tests.builders import PRIVATE_BRANCH, PRIVATE_COMMENT, build_private_repo
from tests.builders import PrivRepo as BuiltPrivRepo
from tests.conftest import Runner, base_env, require_binary
from tests.web.conftest import sql
from tests.web.wsgi import Reply, call

COMMENT = PRIVATE_COMMENT
BRANCH = PRIVATE_BRANCH
MISSING_HASH = "0123abcd" * 8


@dataclass(frozen=True)
class PrivRepo(BuiltPrivRepo):
    """The built repository and the environment the command-line comparisons run in."""

    env: dict[str, str]


def _fossil(exe: str, env: dict[str, str], cwd: Path, *args: str) -> str:
    return Runner([exe], env, cwd).text(*args, timeout=120)


@pytest.fixture(scope="session")
def privrepo(tmp_path_factory: pytest.TempPathFactory) -> PrivRepo:
    base = tmp_path_factory.mktemp("privrepo")
    (base / "home").mkdir()
    p = PrivRepo(**build_private_repo(base / "priv.fossil").__dict__, env=base_env(base / "home"))
    repo = p.path
    cis = dict(sql(repo, "SELECT comment, uuid FROM event JOIN blob ON rid=objid WHERE type='ci'"))

    def file_hash(ci: str, name: str) -> str:
        return sql(repo, "SELECT b.uuid FROM mlink JOIN filename USING(fnid) JOIN blob b ON b.rid=mlink.fid"
                         " WHERE mlink.mid=(SELECT rid FROM blob WHERE uuid=?) AND filename.name=?", (ci, name))[0][0]

    assert (cis["public one"], cis["public two"], cis[COMMENT]) == (p.pub1, p.pub2, p.priv)
    assert sql(repo, "SELECT rid FROM blob WHERE uuid=?", (p.priv,))[0][0] == p.priv_rid
    assert (file_hash(p.priv, "secret.txt"), file_hash(p.priv, "README")) == (p.secret, p.readme_priv)
    assert file_hash(p.pub1, "src/a.txt") == file_hash(p.priv, "src/a.txt") == p.shared
    private = {r[0] for r in sql(repo, "SELECT uuid FROM blob JOIN private USING(rid)")}
    assert private == {p.priv, p.secret, p.readme_priv}, "fossil commit --private marks exactly these"
    assert not sql(repo, "SELECT 1 FROM unclustered JOIN private USING(rid)")
    assert p.cookie_name == "fossil-" + sql(repo, "SELECT value FROM config WHERE name='project-code'")[0][0][:16]
    return p


@pytest.fixture(scope="session")
def site(privrepo: PrivRepo, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(app, {who: cookies}) over a copy of the repository; who is nobody, dev or boss."""
    path = tmp_path_factory.mktemp("privsite") / "site.fossil"
    shutil.copyfile(privrepo.path, path)
    app = make_app(AppConfig(repository=str(path)))
    cookies: dict[str, dict[str, str]] = {"nobody": {}}
    for who in ("dev", "boss"):
        r = call(app, "/login", form={"u": who, "p": "pw"})
        assert r.status == 302, r.text
        cookies[who] = {privrepo.cookie_name: r.cookies()[privrepo.cookie_name].replace("/", "%2F")}
    return app, cookies


def _get(site, who: str, url: str) -> Reply:  # type: ignore[no-untyped-def]
    app, cookies = site
    r = call(app, url, cookies=cookies[who])
    if who != "nobody" and (r.header("Content-Type") or "").startswith("text/html"):
        assert f'<span class="who">{who}</span>' in r.text, "the login did not hold"
    return r


def _norm(body: bytes) -> str:
    """The page without the one part that varies between requests (the time it took)."""
    return re.sub(r"generated in about [0-9.]+s", "generated in about Ns", body.decode("utf-8", "replace"))


def _assert_nothing_private(r: Reply, p: PrivRepo) -> None:
    text = r.body.decode("utf-8", "replace")
    for secret in (p.priv[:10], p.secret[:10], p.readme_priv[:10], BRANCH, COMMENT, "classified", "privately changed"):
        assert secret not in text, f"{secret!r} leaks"


# -- names of the private check-in: each gives the reply of a missing name ---------------------

#: (form, how to spell the private check-in's name, the same form for a missing one)
CHECKIN_FORMS = [
    ("full hash", lambda p: p.priv, lambda p: MISSING_HASH),
    ("prefix", lambda p: p.priv[:12], lambda p: MISSING_HASH[:12]),
    ("bracketed prefix", lambda p: f"[{p.priv[:8]}]", lambda p: f"[{MISSING_HASH[:8]}]"),
    ("branch", lambda p: BRANCH, lambda p: "nosuchbranch"),
    ("tag:", lambda p: "tag:" + BRANCH, lambda p: "tag:nosuchbranch"),
    ("root:", lambda p: "root:" + BRANCH, lambda p: "root:nosuchbranch"),
    ("start:", lambda p: "start:" + BRANCH, lambda p: "start:nosuchbranch"),
    ("rid:", lambda p: f"rid:{p.priv_rid}", lambda p: "rid:999999"),
]

#: Pages that take a check-in name ({} is the name).
CHECKIN_PAGES = [
    "/info/{}", "/ci/{}", "/vinfo/{}", "/artifact/{}", "/whatis/{}", "/dir?ci={}", "/tree?ci={}",
    "/file?name=secret.txt&ci={}", "/raw?ci={}&filename=secret.txt", "/vdiff?from={}&to=trunk",
    "/vdiff?from=trunk&to={}", "/timeline?p={}", "/timeline?d={}", "/timeline?c={}",
]


@pytest.mark.parametrize("who", ["nobody", "dev"])
@pytest.mark.parametrize("form, name, missing", CHECKIN_FORMS, ids=[f[0] for f in CHECKIN_FORMS])
@pytest.mark.parametrize("page", CHECKIN_PAGES)
def test_private_checkin_names_look_missing(site, privrepo, who, page, form, name, missing) -> None:
    got = _get(site, who, page.format(name(privrepo)))
    want = _get(site, who, page.format(missing(privrepo)))
    # /timeline ignores a name it cannot resolve (as Fossil's page_timeline): the usual timeline
    assert want.status == (200 if page.startswith("/timeline") else 404), (page, want.text)
    assert got.status == want.status
    assert _norm(got.body) == _norm(want.body)
    _assert_nothing_private(got, privrepo)


#: Pages that take an artifact hash; the private files' hashes must look missing.
FILE_PAGES = ["/artifact/{}", "/raw/{}", "/info/{}", "/whatis/{}", "/fdiff?v1={shared}&v2={}",
              "/fdiff?v1={}&v2={shared}"]


@pytest.mark.parametrize("who", ["nobody", "dev"])
@pytest.mark.parametrize("which", ["secret", "readme_priv"])
@pytest.mark.parametrize("length", [64, 10])
@pytest.mark.parametrize("page", FILE_PAGES)
def test_private_file_hashes_look_missing(site, privrepo, who, which, length, page) -> None:
    hidden = getattr(privrepo, which)[:length]
    got = _get(site, who, page.format(hidden, shared=privrepo.shared))
    want = _get(site, who, page.format(MISSING_HASH[:length], shared=privrepo.shared))
    assert want.status == 404
    assert got.status == want.status
    assert _norm(got.body) == _norm(want.body)
    _assert_nothing_private(got, privrepo)


# -- tip and dates skip the private check-in ------------------------------------------------------


def _hash_full(r: Reply) -> str:
    m = re.search(r'<code class="hash-full">([0-9a-f]+)</code>', r.text)
    assert m, r.text
    return m.group(1)


@pytest.mark.parametrize("who", ["nobody", "dev"])
def test_tip_and_dates_are_the_newest_public(site, privrepo, who) -> None:
    for name in ("tip", "2024-01-03", "2024-01-03 10:00:00", "date:2024-01-04", "trunk"):
        r = _get(site, who, f"/info/{name}")
        assert r.status == 200, name
        assert _hash_full(r) == privrepo.pub2, name
        _assert_nothing_private(r, privrepo)
    for url in ("/dir?ci=tip", "/tree", "/tree?ci=tip", "/timeline?c=tip", "/raw?filename=README",
                "/file?name=README", "/timeline?a=2024-01-02&y=ci", "/timeline?c=2024-01-04"):
        r = _get(site, who, url)
        assert r.status == 200, url
        _assert_nothing_private(r, privrepo)
    assert _get(site, who, "/raw?filename=README").body == b"public readme\n"
    assert "secret.txt" not in _get(site, who, "/dir?ci=tip").text
    assert _get(site, who, "/file?name=secret.txt").status == 404


# -- lists leave it out ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["nobody", "dev"])
def test_lists_leave_private_out(site, privrepo, who) -> None:
    for url in ("/timeline", "/timeline?n=all", "/timeline?y=ci", "/timeline?d=" + privrepo.pub2,
                "/timeline?dp=" + privrepo.pub1, "/timeline?u=root", "/timeline?b=2024-02-01",
                "/info/" + privrepo.pub2, "/ci/" + privrepo.pub2,  # children
                "/artifact/" + privrepo.shared,  # "appears in"
                "/dir", "/tree?ci=trunk", "/stat", "/home", "/vdiff?from=" + privrepo.pub1 + "&to=tip"):
        r = _get(site, who, url)
        assert r.status == 200, url
        _assert_nothing_private(r, privrepo)
    assert "secret.txt" not in _get(site, who, "/dir").text
    assert "Number Of Check-ins</th><td>3</td>" in _get(site, who, "/stat").text
    # a branch made of hidden check-ins is a branch nobody heard of, parents and children included
    for query in ("t=", "r="):
        got = _get(site, who, f"/timeline?{query}{BRANCH}")
        want = _get(site, who, f"/timeline?{query}nosuchbranch")
        assert got.status == want.status == 200
        assert _norm(got.body).replace(BRANCH, "X") == _norm(want.body).replace("nosuchbranch", "X")


# -- a user with x sees everything ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["boss", "trusted"])
def test_x_user_sees_private(site, privrepo, who) -> None:
    app, cookies = site

    def get(url: str) -> Reply:
        if who == "trusted":
            return call(app, url, extra={"fossilpy.trusted_caps": "sxy"})
        return _get(site, who, url)

    p = privrepo
    for name in (p.priv, p.priv[:12], BRANCH, "tag:" + BRANCH, "tip", f"rid:{p.priv_rid}", "2024-01-03 10:00:00"):
        for page in ("/info/", "/ci/", "/vinfo/"):
            r = get(page + name)
            assert r.status == 200 and COMMENT in r.text, page + name
            assert _hash_full(r) == p.priv
    assert "secret.txt" in get(f"/dir?ci={BRANCH}").text and "secret.txt" in get("/dir").text
    assert "secret.txt" in get(f"/tree?ci={p.priv[:10]}").text
    assert get(f"/raw/{p.secret}").body == b"classified contents\n"
    assert get(f"/raw?ci={BRANCH}&filename=secret.txt").body == b"classified contents\n"
    assert "classified contents" in get(f"/artifact/{p.secret[:10]}").text
    assert "classified contents" in get(f"/file?name=secret.txt&ci={BRANCH}").text
    assert "privately changed" in get(f"/vdiff?from=trunk&to={BRANCH}").text
    assert get(f"/fdiff?v1={p.shared}&v2={p.readme_priv[:10]}").status == 200
    assert get(f"/whatis/{p.secret}").status == 200
    for url in ("/timeline", f"/timeline?r={BRANCH}", f"/timeline?d={p.pub2}"):
        assert COMMENT in get(url).text, url
    assert p.priv[:10] in get(f"/info/{p.pub2}").text  # its child
    assert p.priv[:10] in get(f"/artifact/{p.shared}").text  # appears in
    assert "Number Of Check-ins</th><td>4</td>" in get("/stat").text


# -- ambiguous prefixes ------------------------------------------------------------------------------


def test_prefix_shared_with_a_private_artifact_is_not_ambiguous_without_x(privrepo, tmp_path) -> None:
    """A prefix that one public and one private artifact share: unique without x
    (telling "ambiguous" would reveal the hidden artifact), ambiguous with x."""
    path = tmp_path / "amb.fossil"
    shutil.copyfile(privrepo.path, path)
    twin = privrepo.pub2[:8] + "f" * 56 if privrepo.pub2[8] != "f" else privrepo.pub2[:8] + "0" * 56
    sql(path, "INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,-1,?,NULL)", (twin,))
    sql(path, "INSERT INTO private SELECT rid FROM blob WHERE uuid=?", (twin,))
    prefix = privrepo.pub2[:8]
    repo = Repo.open(str(path), readonly=True)
    try:
        pub2 = names.resolve(repo, privrepo.pub2)
        assert names.lookup(repo, prefix) == pub2
        assert names.lookup(repo, prefix, "ci") == pub2
        assert names.lookup(repo, prefix, private=True) == names.AMBIGUOUS
        assert names.lookup(repo, twin) == 0 and names.lookup(repo, twin, private=True) > 0
    finally:
        repo.close()
    app = make_app(AppConfig(repository=str(path)))
    r = call(app, f"/info/{prefix}")
    assert r.status == 200 and _hash_full(r) == privrepo.pub2
    assert twin[:10] not in r.text
    r = call(app, f"/info/{prefix}", extra={"fossilpy.trusted_caps": "sxy"})
    assert r.status == 404 and "Ambiguous name" in r.text
    missing = call(app, f"/info/{twin}")
    assert _norm(missing.body) == _norm(call(app, f"/info/{MISSING_HASH}").body)


# -- the one resolver: web pages and the command line agree ------------------------------------------


def _public_names(p: PrivRepo) -> list[str]:
    return ["trunk", "tag:trunk", p.pub1, p.pub1[:6], f"[{p.pub2[:12]}]", p.pub2.upper()[:20],
            "2024-01-01", "2024-01-02 12:00", "date:2024-01-01 10:00:00", "root:trunk", "start:trunk"]


def test_web_and_cli_resolve_names_alike(site, privrepo) -> None:
    """The same public names give the same check-in through /info (web), the
    resolver itself, ``fossilpy info`` and Fossil 2.21's ``fossil info``."""
    exe = require_binary("fossil")
    repo = Repo.open(str(privrepo.path), readonly=True)
    try:
        for name in _public_names(privrepo):
            rid = names.resolve(repo, name)
            uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
            assert names.resolve(repo, name, private=True) == rid, name
            assert _hash_full(_get(site, "nobody", f"/info/{name}")) == uuid, name
            ours = subprocess.run([sys.executable, "-m", "fossilpy", "info", name, "-R", str(privrepo.path)],
                                  env=privrepo.env, capture_output=True, check=True).stdout.decode()
            theirs = _fossil(exe, privrepo.env, privrepo.path.parent, "info", name, "-R", str(privrepo.path))
            assert re.search(r"^hash: +(\w+)", ours, re.M).group(1) == uuid[:40], name
            assert re.search(r"^hash: +(\w+)", theirs, re.M).group(1) == uuid[:40], name
        # the command line is the owner: it sees private names, as fossil does
        assert names.lookup(repo, BRANCH) == 0
        assert names.resolve(repo, BRANCH, private=True) == privrepo.priv_rid
    finally:
        repo.close()
    for name in (BRANCH, privrepo.priv[:10], "tip"):
        ours = subprocess.run([sys.executable, "-m", "fossilpy", "info", name, "-R", str(privrepo.path)],
                              env=privrepo.env, capture_output=True, check=True).stdout.decode()
        theirs = _fossil(exe, privrepo.env, privrepo.path.parent, "info", name, "-R", str(privrepo.path))
        assert re.search(r"^hash: +(\w+)", ours, re.M).group(1) == privrepo.priv[:40]
        assert re.search(r"^hash: +(\w+)", theirs, re.M).group(1) == privrepo.priv[:40]


def test_cli_timeline_origin_uses_the_resolver(privrepo) -> None:
    """``timeline before NAME`` takes any name fossil's name_to_uuid takes."""
    exe = require_binary("fossil")
    for origin in (BRANCH, "trunk", privrepo.pub1[:8]):
        args = ["timeline", "before", origin, "-n", "0", "-W", "0", "-R", str(privrepo.path)]
        ours = subprocess.run([sys.executable, "-m", "fossilpy", *args], env=privrepo.env,
                              capture_output=True, check=True).stdout.decode()
        assert ours == _fossil(exe, privrepo.env, privrepo.path.parent, *args), origin


# -- what Fossil 2.21 does ----------------------------------------------------------------------


def _fossil_http(p: PrivRepo, url: str) -> tuple[int, str]:
    """One GET through ``fossil http`` (a visitor who is not logged in: nobody)."""
    exe = require_binary("fossil")
    request = f"GET {url} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode()
    proc = subprocess.run([exe, "http", str(p.path), "--nojail"], input=request, env=p.env,
                          capture_output=True, timeout=60, cwd=p.path.parent)
    head, _, body = proc.stdout.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_fossil_2_21_shows_what_we_hide(site, privrepo, tmp_path) -> None:
    """Fossil 2.21 serves the private check-in to nobody (``orj2``): the same
    public answers as ours, and private ones where we deliberately say 404."""
    p = privrepo
    copy = PrivRepo(**{**p.__dict__, "path": tmp_path / "f.fossil"})
    shutil.copyfile(p.path, copy.path)
    # public names: the same check-in on both
    for name in ("trunk", p.pub1[:10]):
        status, body = _fossil_http(copy, f"/info/{name}")
        want = p.pub2 if name == "trunk" else p.pub1
        assert status == 200 and want[:16] in body
        assert _hash_full(_get(site, "nobody", f"/info/{name}")) == want
    # private ones: fossil shows them, we do not (project decision, beyond Fossil)
    for url in (f"/info/{p.priv[:10]}", f"/info/{BRANCH}", "/info/tip", "/timeline"):
        status, body = _fossil_http(copy, url)
        assert status == 200 and COMMENT in body, url
        ours = _get(site, "nobody", url)
        assert COMMENT not in ours.text, url
    status, body = _fossil_http(copy, f"/raw/{p.secret}")
    assert status == 200 and "classified contents" in body
    assert _get(site, "nobody", f"/raw/{p.secret}").status == 404
