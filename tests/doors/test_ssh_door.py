"""The SSH door through a real OpenSSH sshd on loopback.

The remote side is fossilpy installed under the name ``fossil`` (first on
the remote PATH), so a real Fossil 2.21 client, which runs
``ssh -e none -T -- HOST fossil test-http PATH``, talks to it unchanged.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.doors.conftest import ECHO_APP, ROOT

pytestmark = pytest.mark.doors


def ssh_argv(server, *remote: str) -> list[str]:
    return [*shlex.split(server.ssh_command), "-p", str(server.port), "-T", "--", "root@127.0.0.1", *remote]


def test_ssh_test_http_loop(sshd, remote_fossil, tmp_path):
    repo = tmp_path / "r.fossil"
    repo.write_bytes(b"")
    server = sshd(remote_fossil, {"FOSSILPY_APP": ECHO_APP, "PYTHONPATH": str(ROOT)})
    requests = b"".join(
        (f"POST /xfer HTTP/1.0\r\nX-Fossil-Transport: SSH\r\nContent-Type: application/x-fossil\r\n"
         f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        for body in (b"first", b"second round")
    )
    proc = subprocess.run(ssh_argv(server, "fossil", "test-http", str(repo)), input=requests,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.count("Status: 200 OK\r\n") == 2
    assert "REMOTE_ADDR=127.0.0.1\n" in out
    assert "fossilpy.trusted_caps=sxy\n" in out
    assert "fossilpy.door=test-http\n" in out


@pytest.fixture
def fossil_repo(tmp_path: Path, fossil) -> Path:
    repo = tmp_path / "remote.fossil"
    fossil("init", str(repo))
    work = tmp_path / "work"
    work.mkdir()
    fossil("open", str(repo), "--workdir", str(work))
    for i in range(3):
        (work / f"f{i}.txt").write_text(f"file {i}\n" * (i + 1))
        fossil("add", f"f{i}.txt", cwd=work)
        fossil("commit", "-m", f"commit {i}", "--no-warnings", cwd=work)
    fossil("close", cwd=work)
    return repo


def test_real_fossil_clone_over_ssh(sshd, remote_fossil, fossil_repo, fossil, tmp_path):
    """``fossil clone ssh://root@127.0.0.1:PORT//abs/repo.fossil`` served by fossilpy, then a push."""
    require_binary("fossil")
    pytest.importorskip("fossilpy.sync.server")
    server = sshd(remote_fossil, {"PYTHONPATH": str(ROOT), "USER": "root"})
    url = f"ssh://root@127.0.0.1:{server.port}/{fossil_repo}"
    clone = tmp_path / "clone.fossil"
    proc = fossil("clone", "--ssh-command", server.ssh_command, url, str(clone), check=False)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert (remote_fossil / "calls.log").read_text().splitlines()[0] == f"test-http {fossil_repo}"
    fossil("test-integrity", "-R", str(clone))
    want = fossil.text("sql", "-R", str(fossil_repo), "SELECT uuid FROM blob ORDER BY uuid")
    got = fossil.text("sql", "-R", str(clone), "SELECT uuid FROM blob ORDER BY uuid")
    assert got == want
    # A check-in pushed back over ssh (setup rights come from test-http).
    work = tmp_path / "clone-work"
    work.mkdir()
    fossil("open", str(clone), "--workdir", str(work), "--nosync")
    fossil("settings", "autosync", "off", cwd=work)
    (work / "pushed.txt").write_text("pushed over ssh\n")
    fossil("add", "pushed.txt", cwd=work)
    fossil("commit", "-m", "pushed over ssh", "--no-warnings", cwd=work)
    proc = fossil("push", "--ssh-command", server.ssh_command, cwd=work, check=False)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    tip = fossil.text("sql", "-R", str(clone), "SELECT uuid FROM blob ORDER BY rid DESC LIMIT 1")
    assert fossil.text("sql", "-R", str(fossil_repo), "SELECT uuid FROM blob ORDER BY uuid") == \
        fossil.text("sql", "-R", str(clone), "SELECT uuid FROM blob ORDER BY uuid")
    assert tip.strip("'\n") in fossil.text("sql", "-R", str(fossil_repo), "SELECT uuid FROM blob")
    fossil("test-integrity", "-R", str(fossil_repo))




def test_fossilpy_clone_over_ssh(sshd, remote_fossil, fossil_repo, fossil, fossilpy, tmp_path):
    """fossilpy's own ssh:// client against fossilpy on the far side of a real sshd."""
    server = sshd(remote_fossil, {"PYTHONPATH": str(ROOT), "USER": "root"})
    url = f"ssh://root@127.0.0.1:{server.port}/{fossil_repo}"
    clone = tmp_path / "py-clone.fossil"
    proc = fossilpy("clone", "--ssh-command", server.ssh_command, url, str(clone), check=False)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    fossil("test-integrity", "-R", str(clone))
    want = fossil.text("sql", "-R", str(fossil_repo), "SELECT uuid FROM blob ORDER BY uuid")
    assert fossil.text("sql", "-R", str(clone), "SELECT uuid FROM blob ORDER BY uuid") == want
