"""Pushes that fossilpy servers must handle as Fossil 2.21 does.

* A delta manifest (B card) pushed before its baseline: the server parks it
  in ``orphan`` and crosslinks it when the baseline fills the phantom
  (Fossil's ``after_dephantomize``).  Pushed by real fossil and by fossilpy
  to a fossilpy server; the derived tables must equal those of the same
  push received by fossil itself (``file://``).
* Hash policy shun-sha1 on the server: SHA1-named artifacts pushed by a
  real fossil client are discarded, and no SHA1 phantom is made.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from fossilpy.artifact.hname import sha1, sha3
from tests.builders import artifact, delta_before_baseline, store_raw
from tests.compare import derived_table_diff, format_diff
from tests.compat.sync_harness import XferServer, artifact_set
from tests.conftest import ROOT, Runner, base_env, require_binary

pytestmark = pytest.mark.compat


def _run(env, *args, py=False, check=True):  # type: ignore[no-untyped-def]
    argv = [sys.executable, "-m", "fossilpy"] if py else [require_binary("fossil")]
    return Runner(argv, env, ROOT)(*args, check=check)


_art = artifact
_sha3 = sha3


@pytest.fixture
def env(tmp_path):  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    return base_env(home)


def _pair(env, tmp_path: Path):  # type: ignore[no-untyped-def]
    """(client, server for fossilpy, server for fossil): same project, user alice."""
    client = tmp_path / "client.fossil"
    _run(env, "init", client)
    _run(env, "user", "new", "alice", "", "pw1", "-R", client)
    _run(env, "user", "capabilities", "alice", "oi", "-R", client)
    srv_py = Path(shutil.copy(client, tmp_path / "srv_py.fossil"))
    srv_fossil = Path(shutil.copy(client, tmp_path / "srv_fossil.fossil"))
    return client, srv_py, srv_fossil


_orphan_artifacts = delta_before_baseline


@pytest.mark.parametrize("client_kind", ["fossil", "fossilpy"])
def test_delta_manifest_pushed_before_its_baseline(tmp_path, env, client_kind):  # type: ignore[no-untyped-def]
    client, srv_py, srv_fossil = _pair(env, tmp_path)
    store_raw(client, _orphan_artifacts(), unsent=True)
    srv = XferServer(srv_py)
    try:
        url = srv.url.replace("http://", "http://alice:pw1@")
        _run(env, "push", url, "-R", client, py=client_kind == "fossilpy")
    finally:
        srv.close()
    _run(env, "push", srv_fossil, "-R", client)
    assert artifact_set(srv_py) == artifact_set(srv_fossil)
    diff = derived_table_diff(srv_fossil, srv_py)
    assert diff == [], format_diff(diff)
    con = sqlite3.connect(srv_py)
    assert con.execute("SELECT comment FROM event WHERE type='ci' AND user='alice'"
                       " ORDER BY mtime").fetchall() == [("base",), ("child",)]
    assert con.execute("SELECT count(*) FROM orphan").fetchone() == (0,)
    con.close()


def test_shun_sha1_server_discards_sha1_push(tmp_path, env):  # type: ignore[no-untyped-def]
    client, srv_py, srv_fossil = _pair(env, tmp_path)
    for srv in (srv_py, srv_fossil):
        _run(env, "hash-policy", "shun-sha1", "-R", srv)
    sha1_art = b"content named by sha1\n"
    sha3_art = b"content named by sha3\n"
    store_raw(client, [sha1_art], unsent=True, name=sha1)
    store_raw(client, [sha3_art], unsent=True)
    srv = XferServer(srv_py)
    try:
        _run(env, "push", srv.url.replace("http://", "http://alice:pw1@"), "-R", client)
    finally:
        srv.close()
    _run(env, "push", srv_fossil, "-R", client)
    got = artifact_set(srv_py)
    assert got == artifact_set(srv_fossil)
    assert _sha3(sha3_art) in got
    con = sqlite3.connect(srv_py)
    assert con.execute("SELECT count(*) FROM blob WHERE length(uuid)=40").fetchone() == (0,)
    con.close()
