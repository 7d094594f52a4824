"""Byte-for-byte comparison of fossilpy's xfer handler with ``fossil http``.

The same request body goes to real fossil (one-shot ``fossil http``) and to
``handle_xfer`` on an identical copy of the repository; the replies must
match except for the ``# timestamp`` line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fossilpy.repo.db import Repo
from fossilpy.sync.server import handle_xfer
from tests.compat.sync_harness import row_counts, sql
from tests.conftest import require_binary, runner

pytestmark = pytest.mark.compat


def _fossil_reply(env, repo: Path, body: bytes) -> bytes:  # type: ignore[no-untyped-def]
    head = (
        "POST /xfer HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/x-fossil-debug\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    p = subprocess.run([require_binary("fossil"), "http", "--nojail", str(repo)], input=head + body,
                       env=env, capture_output=True, timeout=120)
    raw = p.stdout
    return raw[raw.index(b"\r\n\r\n") + 4 :]


def _strip(reply: bytes) -> bytes:
    return b"".join(line for line in reply.splitlines(keepends=True) if not line.startswith(b"# timestamp"))


@pytest.fixture(scope="module")
def wire_repos(tmp_path_factory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("wire")
    run = runner("fossil", d)
    env = run.env
    repo = d / "r.fossil"
    run("init", repo)
    w = d / "w"
    w.mkdir()
    run("open", repo, "--nosync", cwd=w)
    run("settings", "mtime-changes", "off", cwd=w)
    for i in range(60):  # > 100 unclustered artifacts: the pull reply makes a cluster
        (w / f"f{i % 7}.txt").write_text(f"line {i}\n" * (20 + i))
        run("add", f"f{i % 7}.txt", cwd=w)
        run("commit", "-m", f"c{i}", "--no-warnings", cwd=w)
    run("close", "--force", cwd=w)
    run("user", "capabilities", "nobody", "gjorzi", "-R", repo)
    pcode = sql(repo, "SELECT value FROM config WHERE name='project-code'")[0][0]
    return env, repo, pcode


REQUESTS = [
    "pragma client-version 22100 20230226 192424\nclone 3 1\n# x\n",
    "pragma client-version 22100 20230226 192424\nclone 2 1\n",
    "pragma client-version 22100 20230226 192424\nclone\n",
    "pragma client-version 22100 20230226 192424\npull x {pcode}\n",
    "pull x {pcode}\npragma send-catalog\n",
    "pull x {pcode}\nreqconfig /all\nreqconfig /user\n",
    "push x {pcode}\nfile 1234567890123456789012345678901234567890 abc\nhello",
    "push x {pcode}\nfrobnicate\npull x {pcode}\n",
    "pull x 1234567890123456789012345678901234567890\n",
    "file 1234567890123456789012345678901234567890 5\nhello",
    "private\npush x {pcode}\nigot 1234567890123456789012345678901234567890\n",
    "login bob abc def\npull x {pcode}\n",
    "uvfile a.txt 100 1234567890123456789012345678901234567890 5 0\nhello",
    "pull x {pcode}\npragma uv-hash 1234567890123456789012345678901234567890\n",
]


@pytest.mark.parametrize("template", REQUESTS)
def test_reply_matches_fossil(tmp_path, wire_repos, template):  # type: ignore[no-untyped-def]
    env, repo, pcode = wire_repos
    body = template.format(pcode=pcode).encode()
    a, b = tmp_path / "a.fossil", tmp_path / "b.fossil"
    shutil.copy(repo, a)
    shutil.copy(repo, b)
    expect = _fossil_reply(env, a, body)
    r = Repo.open(b)
    try:
        ct, got = handle_xfer(r, body, "application/x-fossil-debug")
    finally:
        r.close()
    assert _strip(got) == _strip(expect)
    if b"clone 3" in body:
        assert ct == "application/x-fossil-uncompressed"


def test_cluster_matches_fossil(tmp_path, wire_repos):  # type: ignore[no-untyped-def]
    """A pull reply creates the same cluster artifact as fossil does."""
    env, repo, pcode = wire_repos
    body = f"pull x {pcode}\n".encode()
    a, b = tmp_path / "a.fossil", tmp_path / "b.fossil"
    shutil.copy(repo, a)
    shutil.copy(repo, b)
    _fossil_reply(env, a, body)
    r = Repo.open(b)
    try:
        handle_xfer(r, body, "application/x-fossil-debug")
    finally:
        r.close()
    q = "SELECT uuid FROM blob ORDER BY uuid"
    assert sql(a, q) == sql(b, q)
    assert row_counts(a)["unclustered"] == row_counts(b)["unclustered"]
    assert sql(b, "SELECT count(*) FROM tagxref WHERE tagid=7") == sql(a, "SELECT count(*) FROM tagxref WHERE tagid=7")
