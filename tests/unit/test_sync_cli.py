"""Sync commands from the command line: errors, remote, uv, test-xfer, file://."""

from __future__ import annotations

import sqlite3

import pytest

from fossilpy.repo.create import create_repository
from tests.limits import time_limit


@pytest.fixture
def repo(tmp_path):  # type: ignore[no-untyped-def]
    p = tmp_path / "r.fossil"
    create_repository(p, admin_user="root", env={}).close()
    return p


def _q(path, sql):  # type: ignore[no-untyped-def]
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_clone_errors(fossilpy, repo, tmp_path):  # type: ignore[no-untyped-def]
    p = fossilpy("clone", str(repo), str(repo), check=False)
    assert p.returncode == 1 and p.stderr.decode() == f"fossilpy: file already exists: {repo}\n"
    p = fossilpy("clone", "no-such-thing", "x.fossil", check=False)
    assert p.returncode == 1 and p.stderr.decode() == "fossilpy: unknown repository: no-such-thing\n"
    p = fossilpy("clone", "ssh://-oProxyCommand=touch%20pwned/r.fossil", "y.fossil", check=False)
    assert p.returncode == 1 and b"may not begin with '-'" in p.stderr
    assert not (tmp_path / "y.fossil").exists() and not (tmp_path / "pwned").exists()
    junk = tmp_path / "junk.fossil"
    junk.write_bytes(b"not a database" * 100)
    p = fossilpy("clone", f"file://{junk}", "z.fossil", check=False)
    assert p.returncode == 1 and b"not a fossil repository" in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["home", "junk.fossil", "r.fossil"]


def test_pull_without_remote(fossilpy, repo):  # type: ignore[no-untyped-def]
    p = fossilpy("pull", "-R", str(repo), check=False)
    assert p.returncode == 1 and b"no remote URL" in p.stderr


def test_file_clone_push_pull(fossilpy, repo, tmp_path):  # type: ignore[no-untyped-def]
    out = fossilpy.text("clone", f"file://{repo}", "c.fossil")
    assert "project-id: " in out and 'admin-user: root (password is "' in out
    c = tmp_path / "c.fossil"
    assert _q(c, "SELECT uuid FROM blob ORDER BY 1") == _q(repo, "SELECT uuid FROM blob ORDER BY 1")
    assert _q(c, "SELECT value FROM config WHERE name='last-sync-url'") == [(f"file://{repo}",)]
    out = fossilpy.text("sync", "-R", "c.fossil")
    assert "Round-trips: " in out and "Sync done, wire bytes sent: " in out


def test_remote_command(fossilpy, repo):  # type: ignore[no-untyped-def]
    r = str(repo)
    assert fossilpy.text("remote", "-R", r) == "off\n"
    fossilpy("remote", "http://u:secret@Example.com:8080/x", "-R", r)
    assert fossilpy.text("remote", "-R", r) == "http://u@example.com:8080/x\n"
    pw = _q(repo, "SELECT value FROM config WHERE name='last-sync-pw'")[0][0]
    assert "secret" not in pw
    fossilpy("remote", "add", "other", "https://h/y", "-R", r)
    assert fossilpy.text("remote", "list", "-R", r) == (
        "default            http://u@example.com:8080/x\nother              https://h/y\n"
    )
    fossilpy("remote", "delete", "other", "-R", r)
    fossilpy("remote", "scrub", "-R", r)
    assert _q(repo, "SELECT count(*) FROM config WHERE name='last-sync-pw'") == [(0,)]
    fossilpy("remote", "off", "-R", r)
    assert fossilpy.text("remote", "-R", r) == "off\n"
    p = fossilpy("remote", "bogus", "-R", r, check=False)
    assert p.returncode == 1 and b'unknown command "bogus"' in p.stderr


def test_uv_commands(fossilpy, repo, tmp_path):  # type: ignore[no-untyped-def]
    r = str(repo)
    (tmp_path / "a.txt").write_text("alpha\n")
    fossilpy("uv", "add", "a.txt", "-R", r, "--mtime", "2024-01-02 03:04:05")
    fossilpy("uv", "add", "a.txt", "--as", "dir/b.txt", "-R", r)
    assert fossilpy.text("uv", "ls", "-R", r) == "a.txt\ndir/b.txt\n"
    assert fossilpy("uv", "cat", "a.txt", "-R", r).stdout == b"alpha\n"
    longer = fossilpy.text("uv", "list", "-R", r).splitlines()[0]
    assert longer.endswith(" 2024-01-02 03:04:05        6        6 a.txt")
    fossilpy("uv", "rm", "a.txt", "-R", r)
    assert fossilpy.text("uv", "ls", "-R", r) == "dir/b.txt\n"
    for bad, why in (("/abs", "be absolute"), ("a b", "contain whitespace"), ("../x", "contain complex paths")):
        p = fossilpy("uv", "add", "a.txt", "--as", bad, "-R", r, check=False)
        assert p.returncode == 1 and why in p.stderr.decode()


def test_test_xfer(fossilpy, repo, tmp_path):  # type: ignore[no-untyped-def]
    p = fossilpy("test-xfer", "-R", str(repo), "missing.txt", check=False)
    assert p.returncode == 1 and p.stderr.decode().startswith("fossilpy: cannot read missing.txt")
    before = _q(repo, "SELECT count(*) FROM blob")
    out = fossilpy("test-xfer", "-R", str(repo), input=b"\x00\xffgarbage card\n").stdout
    assert out.startswith(b"error bad\\scommand:\\s")
    assert _q(repo, "SELECT count(*) FROM blob") == before
    pcode = _q(repo, "SELECT value FROM config WHERE name='project-code'")[0][0]
    out = fossilpy("test-xfer", "-R", str(repo), input=f"pull x {pcode}\n".encode()).stdout
    assert out.startswith(b"igot ") and b"errors 0" in out


def test_progress_on_a_terminal():  # type: ignore[no-untyped-def]
    import io

    from fossilpy.sync.client import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    s = Tty()
    p = Progress(s, False)
    p.brief(1, 0, 5, (100, 2000))
    p.brief(2, 0, 9, (200, 4000))
    p.finish()
    assert s.getvalue() == (
        "\rRound-trips: 1   Artifacts sent: 0  received: 5   bytes sent: 100  received: 2000"
        "\rRound-trips: 2   Artifacts sent: 0  received: 9   bytes sent: 200  received: 4000\n"
    )
    plain = io.StringIO()
    p = Progress(plain, False)
    p.brief(1, 0, 5, (1, 2))
    p.brief(2, 0, 9, (1, 2))
    p.finish()
    assert plain.getvalue() == "Round-trips: 2   Artifacts sent: 0  received: 9\n"


class _FakeTransport:
    """A transport whose server answers with canned bytes."""

    is_ssh = is_file = raw = False

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.sent = self.rcvd = 0
        self.remote = "fake"

    def exchange(self, body, ct):  # type: ignore[no-untyped-def]
        return "application/x-fossil-debug", self.reply

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "reply, error",
    [
        (b"<html>oops</html>\n", "server replies with HTML"),
        (b"bogus card\n", "unknown command: [bogus]"),
        (b"file 1234567890123456789012345678901234567890 5\nhello", "wrong hash on received artifact"),
        (b"error go\\saway\n", "server says: go away"),
        (b"cfile 1234567890123456789012345678901234567890 5 3\nabc", "wrong hash on received artifact"),
    ],
)
def test_client_rejects_garbage_replies(repo, reply, error):  # type: ignore[no-untyped-def]
    from fossilpy.repo.db import Repo
    from fossilpy.sync.client import SyncOptions, SyncSession
    from fossilpy.sync.url import parse

    r = Repo.open(repo)
    try:
        before = r.one("SELECT count(*) FROM blob")
        with time_limit(10):
            res = SyncSession(r, _FakeTransport(reply), parse("http://h/"), SyncOptions(pull=True),
                              stream=None).run()
        assert res.errors and error in res.errors[0]
        assert r.one("SELECT count(*) FROM blob") == before
    finally:
        r.close()


def test_push_and_uv_garbage(fossilpy, repo):  # type: ignore[no-untyped-def]
    p = fossilpy("push", "nonsense://x", "-R", str(repo), check=False)
    assert p.returncode == 1 and p.stderr.decode() == "fossilpy: unknown repository: nonsense://x\n"
    p = fossilpy("uv", "frob", "-R", str(repo), check=False)
    assert p.returncode == 1 and b"usage: uv add|cat" in p.stderr


def test_sync_all_remotes(fossilpy, repo, tmp_path):  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.fossil", tmp_path / "b.fossil"
    fossilpy("clone", f"file://{repo}", str(a))
    fossilpy("clone", f"file://{repo}", str(b))
    fossilpy("remote", "add", "other", f"file://{b}", "-R", str(a))
    out = fossilpy.text("sync", "--all", "-R", str(a))
    assert out.count("Sync done") == 2
    p = fossilpy("sync", "--all", f"file://{b}", "-R", str(a), check=False)
    assert p.returncode == 1 and b"cannot use both the --all option" in p.stderr
