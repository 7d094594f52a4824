"""Archives of a check-in against the real fossil 2.21, on a repository fossil made.

``fossilpy zip|tarball|sqlar`` against ``fossil zip|tarball|sqlar`` and the
pages ``/zip``, ``/tarball``, ``/sqlar`` against ``fossil server`` on the
same file: the same bytes.  The one difference allowed: an sqlar file's
header records the version of the SQLite library that wrote it (bytes
96..99), which is Python's SQLite for fossilpy.  The repository
(``tests.compat.site_repo``) has an executable, a symlink, an empty file, a
UTF-8 name and a path longer than 100 bytes (a pax header in the tarball).
"""

from __future__ import annotations

import shutil
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.compat.site_repo import build_site_repo
from tests.conftest import Runner, runner
from tests.net import fossil_serving
from tests.web.wsgi import call


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return build_site_repo(tmp_path_factory.mktemp("archive") / "site.fossil")


def _same_archive(kind: str, mine: bytes, theirs: bytes) -> None:
    if kind == "sqlar":
        assert mine[:96] == theirs[:96]
        assert mine[100:] == theirs[100:]
        assert len(mine) == len(theirs)
    else:
        assert mine == theirs


def _members(data: bytes, tmp: Path) -> list[tuple]:
    path = tmp / "x.sqlar"
    path.write_bytes(data)
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT name, mode, mtime, sz, data FROM sqlar ORDER BY rowid").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("kind", ["zip", "tarball", "sqlar"])
def test_commands_write_fossils_bytes(kind: str, site: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, hashes = site
    fossil, mine = runner("fossil", tmp_path / "f"), runner("fossilpy", tmp_path / "p")
    cases = [
        ["trunk"],
        [hashes["c1"], "--name", "Demo"],
        ["feature", "--name", "x", "-X", "www/*,*.sh"],
        ["release-1", "--include", "www/*, 'src/*'", "--name", "y"],
    ]
    for n, args in enumerate(cases):
        want = tmp_path / f"f{n}"
        got = tmp_path / f"p{n}"
        a = fossil(kind, args[0], str(want), *args[1:], "-R", str(repo))
        b = mine(kind, args[0], str(got), *args[1:], "-R", str(repo))
        assert (b.returncode, b.stdout) == (a.returncode, a.stdout), args
        _same_archive(kind, got.read_bytes(), want.read_bytes())
        if kind == "sqlar":
            assert _members(got.read_bytes(), tmp_path) == _members(want.read_bytes(), tmp_path)


def test_list_option_and_default_name(site: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = site
    fossil, mine = runner("fossil", tmp_path / "f"), runner("fossilpy", tmp_path / "p")
    for kind in ("zip", "tarball", "sqlar"):
        a = fossil(kind, "trunk", "", "-l", "-R", str(repo))
        b = mine(kind, "trunk", "", "-l", "-R", str(repo))
        assert a.returncode == 0
        assert b.stdout == a.stdout
    lines = b.stdout.decode().splitlines()
    assert lines[0].startswith("Site_Demo_2024-01-01_003500_")
    assert lines[0].endswith("/404.md")
    assert lines[1].endswith("/README.md")
    assert not any("empty.txt" in line for line in lines)
    bad = mine("zip", "no-such-thing", "out.zip", "-R", str(repo), check=False)
    assert (bad.returncode, bad.stderr) == (1, b"fossilpy: cannot resolve name: no-such-thing\n")
    assert not (tmp_path / "p" / "out.zip").exists()


def test_manifest_setting_adds_manifest_files(site: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo = tmp_path / "m.fossil"
    shutil.copyfile(site[0], repo)
    fossil, mine = runner("fossil", tmp_path / "f"), runner("fossilpy", tmp_path / "p")
    for value, names in (
        ("on", ["manifest", "manifest.uuid"]),
        ("rut", ["manifest", "manifest.uuid", "manifest.tags"]),
    ):
        fossil("settings", "manifest", value, "-R", str(repo))
        for kind in ("zip", "tarball", "sqlar"):
            a = fossil(kind, "release-1", str(tmp_path / "a"), "--name", "M", "-l", "-R", str(repo))
            b = mine(kind, "release-1", str(tmp_path / "b"), "--name", "M", "-l", "-R", str(repo))
            assert b.stdout == a.stdout
            assert b.stdout.decode().splitlines()[: len(names)] == [f"M/{n}" for n in names]
            _same_archive(kind, (tmp_path / "b").read_bytes(), (tmp_path / "a").read_bytes())
    # an excluded manifest is left out
    a = fossil("zip", "trunk", str(tmp_path / "a"), "-X", "manifest.tags", "-R", str(repo))
    b = mine("zip", "trunk", str(tmp_path / "b"), "-X", "manifest.tags", "-R", str(repo))
    assert (tmp_path / "b").read_bytes() == (tmp_path / "a").read_bytes()


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def test_pages_send_fossils_archives(site: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo, hashes = site
    app = make_app(AppConfig(repository=str(repo)))
    paths = [
        "/zip/Demo.zip?r=trunk",
        f"/zip?name={hashes['c2'][:12]}/download.zip",
        f"/zip/{hashes['c1'][:10]}/first.zip",
        "/zip?r=feature&name=feat.zip&ex=www/*",
        "/zip?uuid=release-1&name=rel.zip&in=www/*",
        "/zip/Nameonly.anything?r=trunk",
        "/tarball/Demo.tar.gz?r=trunk",
        "/tarball?r=release-1&name=r1.tar.gz&in=src/*,README.md",
        "/tarball/feature/f.tar.gz",
        "/sqlar/Demo.sqlar?r=trunk",
        "/sqlar?r=feature&name=f.sqlar&ex=*.png",
    ]
    env = dict(runner("fossil", tmp_path).env)
    with fossil_serving([shutil.which("fossil") or "fossil"], repo, env=env) as port:
        for path in paths:
            status, ctype, body = _get(port, path)
            assert status == 200, path
            reply = call(app, path)
            assert reply.status == 200, path
            assert reply.header("Content-Type") == ctype, path
            _same_archive(path[1:].split("/")[0].split("?")[0], reply.body, body)
        for path in ("/zip/x.zip?r=no-such-name", "/tarball?r=deadbeef00", "/sqlar?name=nothing/x.sqlar"):
            status, _, body = _get(port, path)
            reply = call(app, path)
            assert (reply.status, reply.body) == (status, body) == (404, b"Not found\n"), path


def test_pages_need_zip_capability(site: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo = tmp_path / "z.fossil"
    shutil.copyfile(site[0], repo)
    fossil: Runner = runner("fossil", tmp_path)
    fossil("user", "capabilities", "nobody", "o", "-R", str(repo))
    app = make_app(AppConfig(repository=str(repo)))
    for page in ("zip", "tarball", "sqlar"):
        reply = call(app, f"/{page}/x?r=trunk")
        assert reply.status != 200
        assert not reply.body.startswith((b"PK", b"\x1f\x8b", b"SQLite"))
