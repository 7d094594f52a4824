"""Sync interoperability with the real fossil 2.21 binary.

Matrix: real fossil client -> fossilpy xfer handler (tiny wsgiref server,
see sync_harness), fossilpy client -> ``fossil server``, fossilpy <->
fossilpy, and file:// both ways; clone, push, pull and sync, with private
artifacts, unversioned files and a history needing many round trips.
After each operation both sides hold the same artifacts and ``fossil
test-integrity`` is clean on both.

The ssh matrix through a real sshd belongs to the doors helper; here ssh
runs through ``--ssh-command`` pointing at a wrapper that executes the
remote command locally.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.compat.sync_harness import XferServer, artifact_set, row_counts, sql
from tests.conftest import ROOT, Runner, base_env, require_binary
from tests.net import free_port, serving, spawn, stop, wait_port

pytestmark = pytest.mark.compat


def _fossil(env, *args, cwd=None, check=True, input=None):  # type: ignore[no-untyped-def]
    return Runner([require_binary("fossil")], env, cwd or ROOT)(*args, check=check, input=input, timeout=600)


def _commit(env, repo: Path, work: Path, files: dict[str, str], msg: str, *, private=False):  # type: ignore[no-untyped-def]
    if not work.exists():
        work.mkdir(parents=True)
        _fossil(env, "open", repo, "--nosync", cwd=work)
        _fossil(env, "settings", "autosync", "off", cwd=work)
        _fossil(env, "settings", "mtime-changes", "off", cwd=work)
    for name, text in files.items():
        (work / name).write_text(text)
        _fossil(env, "add", name, cwd=work)
    args = ["commit", "-m", msg, "--no-warnings", "--allow-fork"]
    if private:
        args += ["--private"]
    _fossil(env, *args, cwd=work)


@pytest.fixture(scope="session")
def sync_env(tmp_path_factory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("synchome")
    return base_env(home)


@pytest.fixture(scope="session")
def base_repo(tmp_path_factory, sync_env):  # type: ignore[no-untyped-def]
    """A fossil-made repository: 6 check-ins, one private check-in, a wiki
    page, two unversioned files; user alice (pw1, caps oi), bob (pw2, g o),
    priv (pw3, gioxy)."""
    d = tmp_path_factory.mktemp("syncbase")
    repo = d / "base.fossil"
    env = sync_env
    _fossil(env, "init", repo)
    work = d / "w"
    for i in range(6):
        _commit(env, repo, work, {f"f{i}.txt": "line\n" * (50 + i * 40), "common.txt": f"v{i}\n" * (80 + i)},
                f"commit {i}")
    _commit(env, repo, work, {"secret.txt": "private stuff\n" * 30}, "private commit", private=True)
    _fossil(env, "close", "--force", cwd=work)
    (d / "wiki.txt").write_text("Hello wiki\n")
    _fossil(env, "wiki", "create", "Home", d / "wiki.txt", "-R", repo)
    (d / "uv1.bin").write_bytes(bytes(range(256)) * 10)
    (d / "uv2.txt").write_text("unversioned text\n")
    _fossil(env, "uv", "add", d / "uv1.bin", "--as", "uv1.bin", "-R", repo)
    _fossil(env, "uv", "add", d / "uv2.txt", "--as", "docs/uv2.txt", "-R", repo)
    for login, pw, caps in (("alice", "pw1", "oi"), ("bob", "pw2", "go"), ("priv", "pw3", "gioxy")):
        _fossil(env, "user", "new", login, "", pw, "-R", repo)
        _fossil(env, "user", "capabilities", login, caps, "-R", repo)
    return repo


def _copy(src: Path, dest: Path) -> Path:
    shutil.copy(src, dest)
    return dest


def _integrity(env, repo: Path) -> None:  # type: ignore[no-untyped-def]
    out = _fossil(env, "test-integrity", "-R", repo).stdout.decode()
    assert " 0 errors" in out and "integrity-check: ok" in out, out


def _fossilpy(env, *args, cwd=None, check=True, input=None):  # type: ignore[no-untyped-def]
    import sys

    return Runner([sys.executable, "-m", "fossilpy"], env, cwd or ROOT)(*args, check=check, input=input, timeout=600)


class FossilServer:
    """``fossil server --nojail`` on a free 127.0.0.1 port."""

    def __init__(self, env: dict[str, str], repo: Path) -> None:
        self.port = free_port()
        self.proc = spawn(
            [require_binary("fossil"), "server", "--nojail", "--localhost", "--port", str(self.port), str(repo)],
            env=env,
        )
        wait_port(self.port, self.proc)
        self.url = f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        stop(self.proc)


def _url(base: str, user: str, pw: str) -> str:
    return base.replace("http://", f"http://{user}:{pw}@")


def _same(env, a: Path, b: Path, *, private: bool | None = False) -> None:  # type: ignore[no-untyped-def]
    assert artifact_set(a, private=private) == artifact_set(b, private=private)
    _integrity(env, a)
    _integrity(env, b)


# ---------------------------------------------------------------------------
# real fossil client -> fossilpy server


def test_fossil_client_against_fossilpy_server(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = XferServer(server_repo)
    try:
        # anonymous clone works: nobody has g and o
        clone = tmp_path / "clone.fossil"
        _fossil(env, "clone", srv.url, clone, cwd=tmp_path)
        _same(env, server_repo, clone)
        assert artifact_set(clone, private=True) == set()
        # a commit pushed by alice (cleartext password on the server)
        work = tmp_path / "w"
        _commit(env, clone, work, {"pushed.txt": "pushed by fossil\n" * 20}, "pushed")
        _fossil(env, "push", _url(srv.url, "alice", "pw1"), cwd=work)
        _same(env, server_repo, clone)
        # a server-side change pulled back
        _commit(env, server_repo, tmp_path / "w2", {"srv.txt": "server side\n" * 20}, "server")
        _fossil(env, "pull", _url(srv.url, "alice", "pw1"), cwd=work)
        _same(env, server_repo, clone)
        # sync both ways
        _commit(env, clone, work, {"s1.txt": "one\n"}, "s1")
        _commit(env, server_repo, tmp_path / "w2", {"s2.txt": "two\n"}, "s2")
        _fossil(env, "sync", _url(srv.url, "alice", "pw1"), cwd=work)
        _same(env, server_repo, clone)
        # the server crosslinked what it received
        assert sql(server_repo, "SELECT count(*) FROM event WHERE comment='s1'") == [(1,)]
    finally:
        srv.close()


def test_fossil_private_and_unversioned_from_fossilpy(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = XferServer(server_repo)
    try:
        clone = tmp_path / "clone.fossil"
        _fossil(env, "clone", "--private", "-u", _url(srv.url, "priv", "pw3"), clone, cwd=tmp_path)
        # as with a real fossil server, the first (login-less) clone round
        # cannot carry private content; a private pull fetches it
        assert artifact_set(clone, private=True) == set()
        _fossil(env, "pull", "--private", _url(srv.url, "priv", "pw3"), "-R", clone)
        _same(env, server_repo, clone, private=None)
        assert artifact_set(clone, private=True) == artifact_set(server_repo, private=True) != set()
        out = _fossil(env, "uv", "cat", "docs/uv2.txt", "-R", clone).stdout
        assert out == b"unversioned text\n"
        # an unversioned file added by fossil goes back up with uv sync
        (tmp_path / "n.txt").write_text("new uv\n")
        _fossil(env, "uv", "add", tmp_path / "n.txt", "--as", "n.txt", "-R", clone)
        _fossil(env, "uv", "sync", _url(srv.url, "priv", "pw3"), "-R", clone)
        assert sql(server_repo, "SELECT count(*) FROM unversioned WHERE name='n.txt'") == [(1,)]
        assert _fossilpy(env, "uv", "cat", "n.txt", "-R", server_repo).stdout == b"new uv\n"
    finally:
        srv.close()


def test_capabilities(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    sql(server_repo, "UPDATE user SET cap='' WHERE login='nobody'")
    srv = XferServer(server_repo)
    try:
        before = row_counts(server_repo)
        p = _fossil(env, "clone", srv.url, tmp_path / "anon.fossil", cwd=tmp_path, check=False)
        assert p.returncode != 0
        assert b"not authorized to clone" in p.stdout + p.stderr
        assert not (tmp_path / "anon.fossil").exists()
        p = _fossil(env, "clone", _url(srv.url, "bob", "wrong"), tmp_path / "bad.fossil",
                    cwd=tmp_path, check=False)
        assert p.returncode != 0 and b"login failed" in p.stdout + p.stderr
        clone = tmp_path / "bob.fossil"
        _fossil(env, "clone", _url(srv.url, "bob", "pw2"), clone, cwd=tmp_path)
        _same(env, server_repo, clone)
        # bob has no i: his push is refused and the server is unchanged
        work = tmp_path / "w"
        _commit(env, clone, work, {"x.txt": "x\n"}, "bob's")
        mid = row_counts(server_repo)
        p = _fossil(env, "push", _url(srv.url, "bob", "pw2"), cwd=work, check=False)
        assert b"not authorized to write" in p.stdout + p.stderr
        assert row_counts(server_repo)["blob"] == mid["blob"] == before["blob"]
    finally:
        srv.close()


# ---------------------------------------------------------------------------
# fossilpy client -> real fossil server


def test_fossilpy_client_against_fossil_server(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = FossilServer(env, server_repo)
    try:
        clone = tmp_path / "clone.fossil"
        out = _fossilpy(env, "clone", "-u", srv.url, clone, cwd=tmp_path).stdout.decode()
        assert "Clone done" in out and "project-id:" in out
        _same(env, server_repo, clone)
        assert sql(clone, "SELECT value FROM config WHERE name='last-sync-url'") == [(srv.url,)]
        assert _fossilpy(env, "uv", "cat", "uv1.bin", "-R", clone).stdout == bytes(range(256)) * 10
        # push a commit made with fossil in the fossilpy clone
        work = tmp_path / "w"
        _commit(env, clone, work, {"p.txt": "from fossilpy push\n" * 30}, "py push")
        out = _fossilpy(env, "push", _url(srv.url, "alice", "pw1"), "-R", clone).stdout.decode()
        assert "Push done" in out
        _same(env, server_repo, clone)
        _commit(env, server_repo, tmp_path / "w2", {"q.txt": "server\n" * 30}, "srv")
        # "remote URL" remembers URL and (obscured) password; pull uses them
        _fossilpy(env, "remote", _url(srv.url, "alice", "pw1"), "-R", clone)
        shown = _fossilpy(env, "remote", "-R", clone).stdout.decode()
        assert shown == _url(srv.url, "alice", "").replace(":@", "@") + "\n"
        stored = sql(clone, "SELECT value FROM config WHERE name='last-sync-pw'")[0][0]
        assert "pw1" not in stored
        _fossilpy(env, "pull", "-R", clone)
        # after use, the remembered password is the obscured shared secret
        from fossilpy.sync.auth import shared_secret, unobscure

        pcode = sql(clone, "SELECT value FROM config WHERE name='project-code'")[0][0]
        stored = sql(clone, "SELECT value FROM config WHERE name='last-sync-pw'")[0][0]
        assert unobscure(stored) == shared_secret("pw1", "alice", pcode)
        _same(env, server_repo, clone)
        _commit(env, clone, work, {"r.txt": "r\n"}, "r")
        _commit(env, server_repo, tmp_path / "w2", {"t.txt": "t\n"}, "t")
        _fossilpy(env, "sync", _url(srv.url, "alice", "pw1"), "-R", clone)
        _same(env, server_repo, clone)
        # the pulled check-ins were crosslinked locally
        assert sql(clone, "SELECT count(*) FROM event WHERE comment IN ('t','srv')") == [(2,)]
        # wrong password refused
        p = _fossilpy(env, "pull", _url(srv.url, "alice", "nope"), "-R", clone, check=False)
        assert p.returncode == 1 and b"login failed" in p.stderr + p.stdout
        # unversioned files up to the real server (priv has y)
        (tmp_path / "up.txt").write_text("uv to fossil\n")
        _fossilpy(env, "uv", "add", tmp_path / "up.txt", "--as", "up.txt", "-R", clone)
        _fossilpy(env, "uv", "rm", "docs/uv2.txt", "-R", clone)
        _fossilpy(env, "uv", "sync", _url(srv.url, "priv", "pw3"), "-R", clone)
        assert _fossil(env, "uv", "cat", "up.txt", "-R", server_repo).stdout == b"uv to fossil\n"
        assert _fossil(env, "uv", "ls", "-R", server_repo).stdout == b"up.txt\nuv1.bin\n"
        assert _fossil(env, "uv", "hash", "-R", server_repo).stdout == _fossilpy(
            env, "uv", "hash", "-R", clone).stdout
    finally:
        srv.close()


def test_fossilpy_private_clone_from_fossil(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    srv = FossilServer(env, base_repo)
    try:
        clone = tmp_path / "p.fossil"
        _fossilpy(env, "clone", "--private", "--save-http-password", _url(srv.url, "priv", "pw3"),
                  clone, cwd=tmp_path)
        _fossilpy(env, "pull", "--private", "-R", clone)
        _same(env, base_repo, clone, private=None)
        assert artifact_set(clone, private=True) != set()
        plain = tmp_path / "plain.fossil"
        _fossilpy(env, "clone", srv.url, plain, cwd=tmp_path)
        assert artifact_set(plain, private=None) == artifact_set(base_repo, private=False)
    finally:
        srv.close()


# ---------------------------------------------------------------------------
# fossilpy <-> fossilpy, file://, many round trips, interruptions


def test_fossilpy_both_sides(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = XferServer(server_repo)
    try:
        clone = tmp_path / "c.fossil"
        _fossilpy(env, "clone", "--private", "-u", _url(srv.url, "priv", "pw3"), clone, cwd=tmp_path)
        _fossilpy(env, "pull", "--private", _url(srv.url, "priv", "pw3"), "-R", clone)
        _same(env, server_repo, clone, private=None)
        work = tmp_path / "w"
        _commit(env, clone, work, {"a.txt": "a\n" * 99}, "a")
        _commit(env, server_repo, tmp_path / "w2", {"b.txt": "b\n" * 99}, "b")
        (tmp_path / "u.txt").write_text("uv from fossilpy\n")
        _fossilpy(env, "uv", "add", tmp_path / "u.txt", "--as", "u.txt", "-R", clone)
        _fossilpy(env, "sync", "-u", "--private", _url(srv.url, "priv", "pw3"), "-R", clone)
        _same(env, server_repo, clone, private=None)
        assert _fossilpy(env, "uv", "cat", "u.txt", "-R", server_repo).stdout == b"uv from fossilpy\n"
        # --verily exchanges the whole catalogue, both clients
        _fossilpy(env, "sync", "--verily", _url(srv.url, "priv", "pw3"), "-R", clone)
        _fossil(env, "sync", "--verily", _url(srv.url, "priv", "pw3"), "-R", clone)
        _same(env, server_repo, clone, private=None)
    finally:
        srv.close()


def test_file_urls_both_ways(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    origin = _copy(base_repo, tmp_path / "origin.fossil")
    clone = tmp_path / "c.fossil"
    out = _fossilpy(env, "clone", "-A", "carol", f"file://{origin}", clone, cwd=tmp_path).stdout
    assert b'admin-user: carol (password is "' in out
    assert sql(clone, "SELECT cap FROM user WHERE login='carol'") == [("s",)]
    _same(env, origin, clone)
    assert artifact_set(clone, private=True) == set()
    _commit(env, clone, tmp_path / "w", {"z.txt": "z\n" * 70}, "z")
    _fossilpy(env, "push", f"file://{origin}", "-R", clone)
    _same(env, origin, clone)
    _commit(env, origin, tmp_path / "w2", {"y.txt": "y\n" * 70}, "y")
    _fossilpy(env, "pull", "-R", clone)
    _same(env, origin, clone)
    # real fossil's file:// client against a repository fossilpy wrote
    _commit(env, origin, tmp_path / "w2", {"k.txt": "k\n"}, "k")
    _fossil(env, "sync", f"file://{origin}", "-R", clone)
    _same(env, origin, clone)


def test_many_round_trips(tmp_path, sync_env):  # type: ignore[no-untyped-def]
    """Thousands of artifacts; tiny max-download forces many rounds."""
    env = sync_env
    repo = tmp_path / "big.fossil"
    _fossil(env, "init", repo)
    lines = []
    for i in range(1200):
        mark = i + 1
        data = f"file {i}\n".encode() * 3
        lines.append(f"blob\nmark :{mark}\ndata {len(data)}\n".encode() + data + b"\n")
        msg = f"c{i}"
        lines.append(
            f"commit refs/heads/trunk\nmark :{100000 + i}\ncommitter U <u@x> {1700000000 + i} +0000\n"
            f"data {len(msg)}\n{msg}\nM 100644 :{mark} f{i % 50}.txt\n\n".encode()
        )
    stream = b"".join(lines)
    imported = tmp_path / "imp.fossil"
    _fossil(env, "import", "--git", imported, input=stream)
    sql(imported, "REPLACE INTO config(name,value,mtime) VALUES('max-download','20000',1)")
    n = len(artifact_set(imported))
    assert n > 2400
    srv = XferServer(imported)
    try:
        a = tmp_path / "a.fossil"
        out = _fossil(env, "clone", srv.url, a, cwd=tmp_path).stdout.decode()
        _same(env, imported, a)
        assert srv.requests > 10, out
        b = tmp_path / "b.fossil"
        srv.requests = 0
        _fossilpy(env, "clone", srv.url, b, cwd=tmp_path)
        _same(env, imported, b)
        assert srv.requests > 10
    finally:
        srv.close()


def test_interrupted_clone_and_push(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = XferServer(server_repo, fail_after=1)
    try:
        dest = tmp_path / "broken.fossil"
        p = _fossilpy(env, "clone", srv.url, dest, cwd=tmp_path, check=False)
        assert p.returncode == 1 and b"truncated" in p.stderr
        assert sorted(os.listdir(tmp_path)) == ["srv.fossil"]
        srv.fail_after = None
        clone = tmp_path / "c.fossil"
        _fossilpy(env, "clone", srv.url, clone, cwd=tmp_path)
        _commit(env, clone, tmp_path / "w", {f"m{i}.txt": f"{i}\n" * 60 for i in range(5)}, "many")
        srv.requests, srv.fail_after = 0, 0
        p = _fossilpy(env, "push", _url(srv.url, "alice", "pw1"), "-R", clone, check=False)
        assert p.returncode == 1
        srv.fail_after = None
        _fossilpy(env, "push", _url(srv.url, "alice", "pw1"), "-R", clone)
        _same(env, server_repo, clone)
        # an interrupted pull, run again, completes
        _commit(env, server_repo, tmp_path / "w2", {f"n{i}.txt": f"{i}\n" * 70 for i in range(5)}, "more")
        srv.requests, srv.fail_after = 0, 0
        assert _fossilpy(env, "pull", srv.url, "-R", clone, check=False).returncode == 1
        srv.fail_after = None
        _fossilpy(env, "pull", srv.url, "-R", clone)
        _same(env, server_repo, clone)
    finally:
        srv.close()


def test_ssh_command_wrapper(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    """ssh:// through a dummy ssh that runs the remote command locally."""
    env = dict(sync_env)
    origin = _copy(base_repo, tmp_path / "origin.fossil")
    log = tmp_path / "ssh.log"
    dummy = tmp_path / "dummyssh"
    dummy.write_text(
        "#!/bin/sh\n"
        f"echo \"$@\" >> {log}\n"
        "while [ \"$1\" != \"--\" ]; do shift; done; shift; shift\n"
        "SSH_CONNECTION='127.0.0.1 1 127.0.0.1 22' exec sh -c \"$*\"\n"
    )
    dummy.chmod(0o755)
    fossil_exe = require_binary("fossil")
    url = f"ssh://me@localhost/{origin}?fossil={fossil_exe}"
    clone = tmp_path / "c.fossil"
    _fossilpy(env, "clone", "--ssh-command", str(dummy), url, clone, cwd=tmp_path)
    _same(env, origin, clone)
    assert f"-T -- me@localhost {fossil_exe} test-http {origin}" in log.read_text()
    _commit(env, clone, tmp_path / "w", {"s.txt": "over ssh\n" * 20}, "ssh")
    _fossilpy(env, "push", "-R", clone)  # remembered URL and ssh-command
    _same(env, origin, clone)
    p = _fossilpy(env, "pull", "--ssh-command", str(dummy), "ssh://-oProxyCommand=x/r.fossil",
                  "-R", clone, check=False)
    assert p.returncode == 1 and b"may not begin with '-'" in p.stderr


def test_ssh_to_fossilpy_test_http(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    """Both clients over ssh:// to ``fossilpy test-http`` (dummy ssh, a
    ``fossil`` wrapper that runs fossilpy on the "remote" side)."""
    import sys

    env = dict(sync_env)
    origin = _copy(base_repo, tmp_path / "origin.fossil")
    bindir = tmp_path / "remote-bin"
    bindir.mkdir()
    wrapper = bindir / "fossil"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m fossilpy \"$@\"\n")
    wrapper.chmod(0o755)
    dummy = tmp_path / "dummyssh"
    dummy.write_text(
        "#!/bin/sh\n"
        "while [ \"$1\" != \"--\" ]; do shift; done; shift; shift\n"
        "SSH_CONNECTION='127.0.0.1 1 127.0.0.1 22' exec sh -c \"$*\"\n"
    )
    dummy.chmod(0o755)
    url = f"ssh://localhost/{origin}?fossil={wrapper}"
    real = tmp_path / "real.fossil"
    _fossil(env, "clone", "--ssh-command", dummy, url, real, cwd=tmp_path)
    _same(env, origin, real)
    py = tmp_path / "py.fossil"
    _fossilpy(env, "clone", "--ssh-command", dummy, url, py, cwd=tmp_path)
    _same(env, origin, py)
    _commit(env, py, tmp_path / "w", {"ssh.txt": "via fossilpy ssh\n" * 9}, "py-ssh")
    _fossilpy(env, "sync", "-R", py)
    _same(env, origin, py)
    _commit(env, real, tmp_path / "w2", {"ssh2.txt": "via fossil ssh\n" * 9}, "fossil-ssh")
    _fossil(env, "sync", "-R", real)
    _same(env, origin, real)
    assert sql(origin, "SELECT count(*) FROM event WHERE comment IN ('py-ssh','fossil-ssh')") == [(2,)]


def test_transport_command_and_httptrace(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    """fossil's --transport-command driving fossilpy's handler (test-xfer),
    and fossilpy's --httptrace files."""
    import sys

    env = sync_env
    origin = _copy(base_repo, tmp_path / "origin.fossil")
    clone = tmp_path / "c.fossil"
    _fossilpy(env, "clone", f"file://{origin}", clone, cwd=tmp_path)
    _commit(env, origin, tmp_path / "w", {"tc.txt": "transport command\n" * 9}, "tc")
    script = tmp_path / "xport.sh"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m fossilpy test-xfer -R {origin} \"$2\" > \"$3\"\n")
    script.chmod(0o755)
    _fossil(env, "pull", "--transport-command", script, "http://ignored/", "-R", clone)
    _same(env, origin, clone)
    trace = tmp_path / "trace"
    trace.mkdir()
    _fossilpy(env, "pull", "--httptrace", f"file://{origin}", "-R", clone, cwd=trace)
    req = (trace / "http-request-1.txt").read_bytes()
    assert req.startswith(b"pragma client-version 22100 20230226 192424\npull ")
    assert (trace / "http-reply-1.txt").read_bytes().startswith(b"pragma server-version")


def test_https_verifies_certificates(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    import ssl

    openssl = require_binary("openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = XferServer(server_repo, ssl_context=ctx)
    try:
        env = dict(sync_env)
        p = _fossilpy(env, "clone", srv.url, tmp_path / "untrusted.fossil", cwd=tmp_path, check=False)
        assert p.returncode == 1 and b"CERTIFICATE_VERIFY_FAILED" in p.stderr
        assert not (tmp_path / "untrusted.fossil").exists()
        env["SSL_CERT_FILE"] = str(cert)
        clone = tmp_path / "c.fossil"
        _fossilpy(env, "clone", srv.url, clone, cwd=tmp_path)
        _same(env, server_repo, clone)
    finally:
        srv.close()


def test_through_fossilpy_server(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    """The same exchange through the real door: ``fossilpy server``."""
    import sys

    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    port = free_port()
    argv = [sys.executable, "-m", "fossilpy", "server", "--localhost", "--port", str(port), str(server_repo)]
    with serving(argv, port, env=env):
        url = f"http://127.0.0.1:{port}/"
        clone = tmp_path / "c.fossil"
        _fossil(env, "clone", url, clone, cwd=tmp_path)
        _same(env, server_repo, clone)
        _commit(env, clone, tmp_path / "w", {"door.txt": "through the door\n" * 5}, "door")
        _fossil(env, "push", _url(url, "alice", "pw1"), "-R", clone)
        _same(env, server_repo, clone)
        py = tmp_path / "py.fossil"
        _fossilpy(env, "clone", url, py, cwd=tmp_path)
        _same(env, server_repo, py)


def test_configuration_push_pull(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    """``fossil configuration push/pull`` against fossilpy: config cards both ways."""
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    local = _copy(base_repo, tmp_path / "local.fossil")
    now = int(time.time())
    sql(local, "REPLACE INTO config(name,value,mtime) VALUES('project-name','Pushed Name',?)", (now + 5,))
    sql(server_repo, "REPLACE INTO config(name,value,mtime) VALUES('css','body{color:red}',?)", (now + 5,))
    srv = XferServer(server_repo)
    try:
        # bob has no admin rights: his configuration push is refused, nothing changes
        p = _fossil(env, "configuration", "push", "project", _url(srv.url, "bob", "pw2"), "-R", local,
                    check=False)
        assert b"not authorized to push configuration" in p.stdout + p.stderr
        assert sql(server_repo, "SELECT value FROM config WHERE name='project-name'") == []
        root_pw = sql(server_repo, "SELECT pw FROM user WHERE login='root'")[0][0]
        _fossil(env, "configuration", "push", "project", _url(srv.url, "root", root_pw), "-R", local)
        assert sql(server_repo, "SELECT value FROM config WHERE name='project-name'") == [("Pushed Name",)]
        _fossil(env, "configuration", "pull", "skin", _url(srv.url, "root", root_pw), "-R", local)
        assert sql(local, "SELECT value FROM config WHERE name='css'") == [("body{color:red}",)]
    finally:
        srv.close()


def test_redirects_are_followed(tmp_path, sync_env, base_repo):  # type: ignore[no-untyped-def]
    env = sync_env
    server_repo = _copy(base_repo, tmp_path / "srv.fossil")
    srv = XferServer(server_repo)
    try:
        for runner, name in ((_fossil, "f.fossil"), (_fossilpy, "p.fossil")):
            out = runner(env, "clone", srv.url + "moved", tmp_path / name, cwd=tmp_path).stdout
            _same(env, server_repo, tmp_path / name)
            assert b"Clone done" in out
    finally:
        srv.close()
