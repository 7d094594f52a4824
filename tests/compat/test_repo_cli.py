"""The repository commands of ``fossilpy`` against the real ``fossil``:
same output where they overlap, one-line errors, nothing written on error."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from fossilpy import settings as registry
from fossilpy.errors import NotFound, UserError
from fossilpy.repo import users
from fossilpy.repo.db import Repo
from tests.compat.conftest import make_runners
from tests.conftest import Runner

pytestmark = pytest.mark.compat


@pytest.fixture(scope="session")
def env_runners(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path]:
    return make_runners(tmp_path_factory, "cli")


@pytest.fixture(scope="session")
def fossil_made(env_runners) -> Path:
    fossil, _, work = env_runners
    path = work / "made-by-fossil.fossil"
    fossil("init", path, "--project-name", "Demo")
    return path


@pytest.fixture
def repo_copy(fossil_made: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "c.fossil"
    shutil.copy(fossil_made, dst)
    return dst


def one_line_error(proc, text: str | None = None) -> str:
    """Assert a clean failure: exit 1, one stderr line, no traceback."""
    err = proc.stderr.decode()
    assert proc.returncode == 1, (proc.returncode, err)
    assert err.count("\n") == 1 and err.startswith("fossilpy: "), err
    assert "Traceback" not in err
    if text is not None:
        assert err == f"fossilpy: {text}\n"
    return err


# -- files that are not repositories -------------------------------------------


def _bad_files(tmp: Path, good: Path) -> dict[str, tuple[Path, str]]:
    missing = tmp / "missing.fossil"
    directory = tmp / "adir"
    directory.mkdir()
    text = tmp / "text.fossil"
    text.write_text("this is not a database\n" * 20)
    empty = tmp / "empty.fossil"
    empty.write_bytes(b"")
    truncated = tmp / "truncated.fossil"
    truncated.write_bytes(good.read_bytes()[:5000])
    foreign = tmp / "foreign.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE t(x)")
    db.commit()
    db.close()
    garbled = tmp / "garbled.fossil"
    garbled.write_bytes(good.read_bytes()[:100] + b"\xff" * 8092)
    return {
        "missing": (missing, f"repository does not exist: {missing}"),
        "directory": (directory, f"not a repository (a directory): {directory}"),
        "text": (text, f"not a repository (not an SQLite database): {text}"),
        "empty": (empty, f"not a repository (not an SQLite database): {empty}"),
        "truncated": (truncated, f"not a repository (file is truncated): {truncated}"),
        "foreign": (
            foreign,
            f"not a repository (no blob, delta, rcvfrom, user, config, mlink, plink tables): {foreign}",
        ),
        "garbled": (garbled, None),  # type: ignore[dict-item]
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["info"],
        ["test-integrity"],
        ["artifact", "tip"],
        ["user", "list"],
        ["settings"],
        ["settings", "autosync", "off"],
        ["sql", "SELECT 1"],
    ],
)
def test_not_a_repository(env_runners, fossil_made, tmp_path: Path, argv) -> None:
    fossilpy = env_runners[1]
    for _name, (path, message) in _bad_files(tmp_path, fossil_made).items():
        before = path.read_bytes() if path.is_file() else None
        proc = fossilpy(*argv, "-R", path, check=False)
        one_line_error(proc, message)
        if before is None:
            assert not path.is_file()
        else:
            assert path.read_bytes() == before
        assert not Path(str(path) + "-journal").exists()


def test_no_repository_given(env_runners) -> None:
    proc = env_runners[1]("info", check=False)
    one_line_error(proc, "use --repository or -R to specify the repository")


# -- init ----------------------------------------------------------------------


def test_init_output_and_refusals(env_runners, tmp_path: Path) -> None:
    fossil, fossilpy, _ = env_runners
    path = tmp_path / "n.fossil"
    out = fossilpy.text("init", path, "--project-name", "P", "-A", "zoe")
    lines = out.splitlines()
    assert lines[0] == "project-name: P"
    assert re.fullmatch(r"project-id: [0-9a-f]{40}", lines[1])
    assert re.fullmatch(r"server-id:  [0-9a-f]{40}", lines[2])
    m = re.fullmatch(r'admin-user: zoe \(initial password is "(\w{10})"\)', lines[3])
    assert m and len(lines) == 4
    with Repo.open(path, readonly=True) as repo:
        assert users.check_password(repo, "zoe", m.group(1)) == 1
    assert fossil.text("info", "-R", path).startswith("project-name: P\n")
    before = path.read_bytes()
    one_line_error(fossilpy("init", path, check=False), f"file already exists: {path}")
    assert path.read_bytes() == before
    bad = tmp_path / "d.fossil"
    proc = fossilpy("init", bad, "--date-override", "yesterday-ish", check=False)
    one_line_error(proc, 'unrecognized date format (yesterday-ish): use "YYYY-MM-DD HH:MM:SS.SSS"')
    assert not bad.exists()
    nodir = tmp_path / "nope" / "x.fossil"
    one_line_error(fossilpy("init", nodir, check=False))
    assert not nodir.exists()


def test_new_is_init(env_runners, tmp_path: Path) -> None:
    fossil, fossilpy, _ = env_runners
    fossilpy("new", tmp_path / "x.fossil")
    assert "0 errors" in fossil.text("test-integrity", "-R", tmp_path / "x.fossil")


# -- info, artifact, test-integrity -----------------------------------------------


def test_info_matches_fossil(env_runners, fossil_made) -> None:
    fossil, fossilpy, _ = env_runners
    assert fossilpy.text("info", "-R", fossil_made) == fossil.text("info", "-R", fossil_made)
    assert fossilpy.text("info", "tip", "-R", fossil_made) == fossil.text(
        "info", "tip", "-R", fossil_made
    )
    one_line_error(fossilpy("info", "nosuchname", "-R", fossil_made, check=False),
                   "cannot resolve name: nosuchname")


def test_artifact(env_runners, fossil_made, tmp_path: Path) -> None:
    fossil, fossilpy, _ = env_runners
    expected = fossil("artifact", "trunk", "-R", fossil_made).stdout
    assert fossilpy("artifact", "trunk", "-R", fossil_made).stdout == expected
    out = tmp_path / "out.txt"
    fossilpy("artifact", "tip", out, "-R", fossil_made)
    assert out.read_bytes() == expected
    one_line_error(fossilpy("artifact", "12", "-R", fossil_made, check=False),
                   "cannot resolve name: 12")


def _strip_progress(text: str) -> str:
    return re.sub(r"  \d+/\d+\r", "", text)


@pytest.mark.parametrize("extra", [[], ["--parse"]])
def test_test_integrity_matches_fossil(env_runners, fossil_made, extra) -> None:
    fossil, fossilpy, _ = env_runners
    ours = fossilpy.text("test-integrity", *extra, "-R", fossil_made)
    theirs = _strip_progress(fossil.text("test-integrity", *extra, "-R", fossil_made))
    assert ours == theirs
    assert fossilpy.text("test-integrity", "-d", "-R", fossil_made) == "ok\n"


def test_test_integrity_reports_damage(env_runners, repo_copy) -> None:
    fossil, fossilpy, _ = env_runners
    db = sqlite3.connect(repo_copy)
    db.execute("UPDATE blob SET content=X'0000000A789C0300' WHERE rid=1")
    db.commit()
    db.close()
    ours = fossilpy.text("test-integrity", "-R", repo_copy)
    theirs = _strip_progress(fossil.text("test-integrity", "-R", repo_copy))
    assert "wrong hash on artifact 1\n" in ours
    assert ours == theirs


# -- user ----------------------------------------------------------------------


def test_user_commands_match_fossil(env_runners, repo_copy) -> None:
    fossil, fossilpy, _ = env_runners
    fossilpy("user", "new", "bob", "Bob <bob@example.org>", "pw1", "-R", repo_copy)
    fossil("user", "new", "carol", "Carol", "pw1", "-R", repo_copy)
    assert fossilpy.text("user", "list", "-R", repo_copy) == fossil.text(
        "user", "list", "-R", repo_copy
    )
    assert fossilpy.text("user", "ls", "-R", repo_copy) == fossil.text("user", "ls", "-R", repo_copy)
    with Repo.open(repo_copy, readonly=True) as repo:
        code = repo.config_get("project-code")
        for login in ("bob", "carol"):
            row = repo.row("SELECT pw, cap FROM user WHERE login=?", (login,))
            assert row == (users.shared_secret("pw1", login, code), "u")
            assert users.check_password(repo, login, "pw1") > 0
    assert fossilpy.text("user", "capabilities", "bob", "oi", "-R", repo_copy) == "oi\n"
    assert fossil.text("user", "capabilities", "bob", "-R", repo_copy) == "oi\n"
    assert fossilpy.text("user", "cap", "carol", "-R", repo_copy) == "u\n"
    fossilpy("user", "password", "carol", "pw2", "-R", repo_copy)
    with Repo.open(repo_copy, readonly=True) as repo:
        assert users.check_password(repo, "carol", "pw2") > 0
        assert users.check_password(repo, "carol", "pw1") == 0
    assert fossilpy.text("user", "contact", "bob", "-R", repo_copy) == "Bob <bob@example.org>\n"
    fossilpy("user", "default", "bob", "-R", repo_copy)
    assert fossil.text("user", "default", "-R", repo_copy) == "bob\n"
    assert fossilpy.text("user", "default", "-R", repo_copy) == "bob\n"


def test_fossil_accepts_password_set_by_fossilpy(env_runners, repo_copy) -> None:
    fossil, fossilpy, _ = env_runners
    fossilpy("user", "new", "dan", "", "s3cret", "-R", repo_copy)
    fossilpy("user", "capabilities", "dan", "o", "-R", repo_copy)
    body = "u=dan&p=s3cret"
    req = (
        "POST /login HTTP/1.0\r\nHost: localhost\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    out = fossil("http", "--nojail", repo_copy, input=req).stdout
    assert out.startswith(b"HTTP/1.0 302"), out[:300]
    assert re.search(rb"Set-Cookie: fossil-[0-9a-f]{16}=[0-9A-F]{50}%2F[0-9a-f]{16}%2Fdan", out)


def test_user_errors(env_runners, repo_copy) -> None:
    fossilpy = env_runners[1]
    before = repo_copy.read_bytes()
    one_line_error(fossilpy("user", "new", "root", "x", "y", "-R", repo_copy, check=False),
                   "user root already exists")
    one_line_error(fossilpy("user", "password", "zed", "x", "-R", repo_copy, check=False),
                   "no such user: zed")
    one_line_error(fossilpy("user", "capabilities", "zed", "-R", repo_copy, check=False),
                   "no such user: zed")
    one_line_error(fossilpy("user", "default", "zed", "-R", repo_copy, check=False),
                   "no such user: zed")
    one_line_error(
        fossilpy("user", "frob", "-R", repo_copy, check=False),
        "user subcommand should be one of: capabilities contact default list new password",
    )
    one_line_error(fossilpy("user", "-R", repo_copy, check=False))
    one_line_error(fossilpy("user", "password", "-R", repo_copy, check=False))
    assert fossilpy.text("user", "password", "root", "", "-R", repo_copy) == "password unchanged\n"
    assert repo_copy.read_bytes() == before


# -- settings --------------------------------------------------------------------


def test_settings_registry_matches_fossil(env_runners, fossil_made) -> None:
    fossil = env_runners[0]
    names = [line.split()[0] for line in fossil.text("settings", "-R", fossil_made).splitlines()]
    assert names == list(registry.SETTINGS)
    for s in registry.SETTINGS.values():
        assert s.help and "\n" not in s.help and s.kind in ("boolean", "text", "block")
    assert registry.find_setting("autosync").default == "on"
    assert registry.find_setting("autosync-t", allow_prefix=True).name == "autosync-tries"
    for garbage in ("", "zzz", "auto\x00", " autosync"):
        with pytest.raises(NotFound):
            registry.find_setting(garbage, allow_prefix=True)
    with pytest.raises(UserError, match="ambiguous"):
        registry.find_setting("auto", allow_prefix=True)
    with pytest.raises(NotFound):
        registry.find_setting("autosync-t")


def test_settings_output_matches_fossil(env_runners, repo_copy) -> None:
    fossil, fossilpy, _ = env_runners
    assert fossilpy.text("settings", "-R", repo_copy) == fossil.text("settings", "-R", repo_copy)
    fossilpy("settings", "autosync", "off", "-R", repo_copy)
    fossilpy("set", "mtime-ch", "0", "-R", repo_copy)  # unique prefix
    for name in ("autosync", "mtime-changes", "auto", "e"):
        assert fossilpy.text("settings", name, "-R", repo_copy) == fossil.text(
            "settings", name, "-R", repo_copy
        )
    assert fossil.text("settings", "autosync", "--exact", "-R", repo_copy) == (
        "autosync             (local)  off\n"
    )
    fossilpy("unset", "autosync", "-R", repo_copy)
    assert fossil.text("settings", "autosync", "--exact", "-R", repo_copy) == "autosync            \n"
    assert fossilpy.text("settings", "-R", repo_copy) == fossil.text("settings", "-R", repo_copy)
    with Repo.open(repo_copy, readonly=True) as repo:
        assert repo.one("SELECT mtime FROM config WHERE name='mtime-changes'") > 0
        assert repo.setting("mtime-changes") == "0"
        assert repo.setting("autosync") == "on"  # default again
        assert repo.setting_bool("repo-cksum") is True
        assert repo.setting_int("http-port") == 8080
        assert repo.config_get("project-name") == "Demo"  # a config row, not a setting


def test_settings_errors(env_runners, repo_copy) -> None:
    fossilpy = env_runners[1]
    before = repo_copy.read_bytes()
    one_line_error(fossilpy("settings", "nosuch", "-R", repo_copy, check=False),
                   "no such setting: nosuch")
    one_line_error(fossilpy("settings", "nosuch", "1", "-R", repo_copy, check=False),
                   "no such setting: nosuch")
    one_line_error(
        fossilpy("settings", "http", "1", "-R", repo_copy, check=False),
        'ambiguous setting "http" - might be: http-port https-login',
    )
    one_line_error(fossilpy("unset", "zzz", "-R", repo_copy, check=False), "no such setting: zzz")
    assert repo_copy.read_bytes() == before


# -- sql, version ------------------------------------------------------------------


def test_sql(env_runners, repo_copy) -> None:
    fossilpy = env_runners[1]
    assert fossilpy.text("sql", "-R", repo_copy, "SELECT 1, NULL, 'a|b', 2.5") == "1||a|b|2.5\n"
    out = fossilpy.text(
        "sql", "-R", repo_copy,
        input="SELECT login FROM user WHERE uid<3 ORDER BY uid;\nSELECT count(*) FROM blob;\n",
    )
    assert out == "root\nanonymous\n1\n"
    assert fossilpy.text("sql", "--mode", "quote", "-R", repo_copy, "SELECT 1, NULL, 'it''s'") == (
        "1,NULL,'it''s'\n"
    )
    one_line_error(fossilpy("sql", "-R", repo_copy, "SELEC nonsense", check=False))
    before = repo_copy.read_bytes()
    one_line_error(
        fossilpy("sql", "--readonly", "-R", repo_copy, "DELETE FROM user", check=False)
    )
    assert repo_copy.read_bytes() == before


def test_version(env_runners) -> None:
    out = env_runners[1].text("version")
    assert re.fullmatch(r"This is fossilpy version \S+ \(compatible with Fossil 2\.21\)\n", out)
