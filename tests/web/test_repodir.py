"""Directory mode: repository names, --repolist, --notfound, --files, hostile paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from fossilpy.web.repodir import name_is_safe, resolve
from tests.web.wsgi import call


@pytest.fixture
def served(webrepo, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "team" / "sub").mkdir(parents=True)
    shutil.copyfile(webrepo.path, root / "web.fossil")
    shutil.copyfile(webrepo.path, root / "team" / "sub" / "deep.fossil")
    (root / "logo.png").write_bytes(b"\x89PNG fake")
    (root / "notes.txt").write_text("hello\n")
    (root / "web.fossil-notes").write_text("x")
    (root / "tiny.fossil").write_bytes(b"x" * 100)
    outside = tmp_path / "secret.fossil"
    shutil.copyfile(webrepo.path, outside)
    (tmp_path / "secret.txt").write_text("top secret\n")
    (root / "link.fossil").symlink_to(outside)
    return root


def test_names(served: Path) -> None:
    assert name_is_safe("web") and name_is_safe("team/sub/deep") and name_is_safe("a.b-c_d")
    for bad in ("..", "../x", "a/../b", ".x", "x.", "-x", "a/-x", "a b", "a\\b", "a%2e", "é", "a\x00", "a..b"):
        assert not name_is_safe(bad), bad
    f = resolve(str(served), "/web/timeline")
    assert (f.kind, f.prefix, f.rest) == ("repo", "/web", "/timeline")
    f = resolve(str(served), "/team/sub/deep/info/tip")
    assert (f.kind, f.prefix, f.rest) == ("repo", "/team/sub/deep", "/info/tip")
    assert resolve(str(served), "/web").rest == "/"


def test_pages_in_directory_mode(served: Path) -> None:
    app = make_app(AppConfig(directory=str(served)))
    r = call(app, "/web/stat")
    assert r.status == 200
    assert 'href="/web/timeline"' in r.text
    r = call(app, "/team/sub/deep/timeline", script_name="/scm")
    assert r.status == 200 and 'href="/scm/team/sub/deep/info/' in r.text
    r = call(app, "/web")
    assert r.status == 302 and r.header("Location") == "http://localhost:8080/web/index"
    r = call(app, "/web/login", form={"u": "alice", "p": "pw1"})
    assert "; Path=/web; HttpOnly;" in r.header("Set-Cookie")


@pytest.mark.parametrize(
    "path",
    [
        "/../secret/stat",
        "/%2e%2e/secret/stat",
        "/web/../../secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/-web/stat",
        "/.web/stat",
        "/web.fossil/stat",
        "/web.fossil-notes",
        "/tiny/stat",
        "/link/stat",
        "/team/../web/stat",
        "/team%2f..%2fweb/stat",
        "/nosuch/stat",
        "/web%00/stat",
        "/wéb/stat",
        "/team",
        "/team/sub",
    ],
)
def test_hostile_or_unknown_paths_are_404(served: Path, path: str) -> None:
    app = make_app(AppConfig(directory=str(served), files=("*",)))
    r = call(app, path)
    assert r.status == 404, (path, r.status, r.text[:200])
    assert b"top secret" not in r.body and b"SQLite format" not in r.body


def test_files_glob(served: Path) -> None:
    app = make_app(AppConfig(directory=str(served), files=("*.png", "*.txt")))
    r = call(app, "/logo.png")
    assert r.status == 200 and r.header("Content-Type") == "image/png" and r.body == b"\x89PNG fake"
    assert call(app, "/notes.txt").body == b"hello\n"
    assert call(make_app(AppConfig(directory=str(served))), "/logo.png").status == 404
    assert call(make_app(AppConfig(directory=str(served), files=("*.fossil*", "*"))), "/web.fossil-notes").status == 404


def test_repolist_and_notfound(served: Path) -> None:
    plain = make_app(AppConfig(directory=str(served)))
    assert call(plain, "/").status == 404
    listing = make_app(AppConfig(directory=str(served), repolist=True))
    r = call(listing, "/")
    assert r.status == 200
    assert '<a href="/web/home">web</a>' in r.text
    assert '<a href="/team/sub/deep/home">team/sub/deep</a>' in r.text
    assert "tiny" not in r.text
    redirecting = make_app(AppConfig(directory=str(served), notfound="https://example.org/missing"))
    r = call(redirecting, "/nosuch/timeline")
    assert r.status == 302 and r.header("Location") == "https://example.org/missing"
