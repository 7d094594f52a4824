"""Issue 3's matrix over a real OpenSSH sshd: {fossil->fossilpy, fossilpy->fossil,
fossilpy->fossilpy} x {clone, pull, push, sync}.

The remote program is chosen as a Fossil 2.21 client chooses it: ``fossil`` on
the remote PATH is fossilpy (the ``remote_fossil`` fixture), and the URL query
``?fossil=/usr/bin/fossil`` selects the real binary.  After every operation
both repositories hold the same artifacts and ``fossil test-integrity`` is
clean on both.
"""

from __future__ import annotations

import pytest

from tests.compat.test_sync_matrix import _commit, _same
from tests.conftest import require_binary
from tests.doors.conftest import ROOT

pytestmark = pytest.mark.doors

PAIRS = [("fossil", "fossilpy"), ("fossilpy", "fossil"), ("fossilpy", "fossilpy")]


@pytest.mark.parametrize("client, server", PAIRS, ids=[f"{c}-to-{s}" for c, s in PAIRS])
def test_clone_pull_push_sync_over_sshd(client, server, sshd, remote_fossil, fossil, fossilpy,
                                        tmp_path) -> None:
    real = require_binary("fossil")
    srv = sshd(remote_fossil, {"PYTHONPATH": str(ROOT), "USER": "root"})
    origin = tmp_path / "origin.fossil"
    fossil("init", origin)
    _commit(fossil, origin, tmp_path / "w0", "base")
    query = f"?fossil={real}" if server == "fossil" else ""
    url = f"ssh://root@127.0.0.1:{srv.port}/{origin}{query}"
    run = fossil if client == "fossil" else fossilpy
    ssh = ("--ssh-command", srv.ssh_command)
    calls = remote_fossil / "calls.log"

    clone = tmp_path / "clone.fossil"
    run("clone", *ssh, url, clone)
    _same(fossil, origin, clone, must_have=3)

    _commit(fossil, origin, tmp_path / "w1", "on-server")
    run("pull", *ssh, url, "-R", clone)
    _same(fossil, origin, clone, must_have=5)

    _commit(fossil, clone, tmp_path / "w2", "on-client")
    run("push", *ssh, url, "-R", clone)
    _same(fossil, origin, clone, must_have=7)

    _commit(fossil, origin, tmp_path / "w3", "server-again")
    _commit(fossil, clone, tmp_path / "w4", "client-again")
    run("sync", *ssh, url, "-R", clone)
    _same(fossil, origin, clone, must_have=11)

    # the far side really was the program the URL chose
    served_by_fossilpy = calls.exists() and calls.read_text().count("test-http") >= 4
    assert served_by_fossilpy == (server == "fossilpy")
