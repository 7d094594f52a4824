"""Peer sync by the backoffice: three fossilpy servers and one real fossil server.

The chain is A -> B -> C -> F: A syncs with B, B pushes to C, C syncs with
F (``fossil server --nojail``).  A check-in pushed by real fossil to A must
reach B, C and F through backoffice runs alone: the reply to each sync
request starts the receiving server's backoffice, which syncs its own peers.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from fossilpy.backoffice import journal, peers
from fossilpy.repo.db import Repo
from tests.conftest import base_env, require_binary
from tests.net import free_port, serving

pytestmark = pytest.mark.compat


# -- the setting -------------------------------------------------------------


def test_parse_peer_lines(tmp_path) -> None:
    repo_file = tmp_path / "x.fossil"
    repo_file.write_bytes(b"")
    text = (
        "# comment\n\n"
        "http://u:secret@Host.example:8080/r push 60\n"
        "https://h.example/ \n"
        f"{repo_file} pull\n"
        "https://h.example/ 10\n"            # same peer as line 4
        "ftp://h.example/\n"
        "http://h.example/x sideways\n"
        "http://h.example/y push 1e3\n"
        "http://h.example/z push 5 extra\n"
        "http://user:pw@h.example/w sync -1\n"
        "relative/repo.fossil pull\n"
    )
    found, bad = peers.parse(text)
    assert [(p.dest, p.direction, p.interval, p.line) for p in found] == [
        ("http://u@host.example:8080/r", "push", 60, 3),
        ("https://h.example/", "sync", 300, 4),
        (f"file://{repo_file}", "pull", 300, 5),
    ]
    assert [(b.line, b.text, b.error) for b in bad] == [
        (6, "https://h.example/", "the same peer is listed twice"),
        (7, "ftp://h.example/", "unknown repository: ftp://h.example/"),
        (8, "http://h.example/x", 'unknown direction "sideways" (push, pull or sync)'),
        (9, "http://h.example/y", 'interval "1e3" is not a number of seconds'),
        (10, "http://h.example/z push 5 extra", "too many fields (URL [push|pull|sync] [SECONDS])"),
        (11, "http://user:****@h.example/w", 'interval "-1" is not a number of seconds'),
        (12, "relative/repo.fossil", "a repository file must be given by its absolute path"),
    ]
    assert "secret" not in repr(bad) and all("pw@" not in b.text for b in bad)


def _bare(fossil, tmp_path: Path, name: str) -> Path:
    fossil("init", name)
    return tmp_path / name


def test_bad_peers_are_logged_and_shown_never_raised(fossil, fossilpy, tmp_path) -> None:
    repo = _bare(fossil, tmp_path, "r.fossil")
    dead = free_port()
    with Repo.open(str(repo)) as r:
        r.config_set(peers.SETTING, f"http://root:hunter2@127.0.0.1:{dead}/ push 5\nftp://bogus/\n")
    log = tmp_path / "bo.log"
    fossilpy("backoffice", "--logfile", log, repo)
    line = log.read_text()
    assert line.count("\n") == 1
    assert "peers-warning backoffice-peers line 2 (ftp://bogus/): unknown repository: ftp://bogus/" in line
    assert f"peers-warning peer http://root@127.0.0.1:{dead}/ failed: ProtocolError: cannot connect" in line
    assert "hunter2" not in line
    with Repo.open(str(repo)) as r:
        rows = r.all("SELECT kind, dest, attempts, state FROM fx_journal")
        err = r.one("SELECT last_error FROM fx_journal")
        next_try = r.one("SELECT next_try - ? FROM fx_journal", (int(time.time()),))
    assert rows == [("peer-sync", f"http://root@127.0.0.1:{dead}/", 1, "pending")]
    assert "hunter2" not in err and 50 <= next_try <= 60  # back-off: one minute
    out = fossilpy.text("peers", "-R", repo)
    assert f"http://root@127.0.0.1:{dead}/  push every 5s\n    last success: never\n" in out
    assert "    last error:   ProtocolError: cannot connect" in out and "(after 1 attempt)" in out
    assert "malformed line 2 of backoffice-peers (ftp://bogus/): unknown repository: ftp://bogus/" in out
    # sync-now retries at once, fails again: a clear one-line error, exit 1
    res = fossilpy("peers", "sync-now", "-R", repo, check=False)
    assert res.returncode == 1 and b"Traceback" not in res.stderr
    assert res.stderr.decode().startswith(f"fossilpy: peer http://root@127.0.0.1:{dead}/ failed:")
    with Repo.open(str(repo)) as r:
        assert r.all("SELECT attempts, state FROM fx_journal") == [(2, "pending")]
        # a peer whose line was removed: its job is dropped, not retried
        r.config_set(peers.SETTING, "")
        journal.retry(r)
        assert peers.deliver(r) == (0, [])
        assert r.one("SELECT count(*) FROM fx_journal") == 0


def test_peers_cli_add_remove_and_garbage(fossil, fossilpy, tmp_path) -> None:
    repo = _bare(fossil, tmp_path, "r.fossil")
    fossilpy("peers", "add", "http://u:pw@h.example:8080/x", "push", "60", "-R", repo)
    fossilpy("peers", "add", "https://other.example/", "-R", repo)
    fossilpy("peers", "add", "http://u:pw2@h.example:8080/x", "pull", "-R", repo)  # replaces
    with Repo.open(str(repo)) as r:
        assert r.config_get(peers.SETTING) == (
            "https://other.example/ sync\nhttp://u:pw2@h.example:8080/x pull\n")
    before = repo.read_bytes()
    for args, msg in (
        (("add", "gopher://x/"), "fossilpy: unknown repository: gopher://x/\n"),
        (("add", "http://h.example/", "both"), 'fossilpy: unknown direction "both" (push, pull or sync)\n'),
        (("add", "http://h.example/", "push", "soon"),
         'fossilpy: interval "soon" is not a number of seconds\n'),
        (("remove", "http://nowhere.example/"), "fossilpy: no peer http://nowhere.example/\n"),
        (("sync-now", "http://nowhere.example/"), "fossilpy: no peer http://nowhere.example/\n"),
    ):
        res = fossilpy("peers", *args, "-R", repo, check=False)
        assert (res.returncode, res.stderr.decode()) == (1, msg), args
    assert repo.read_bytes() == before
    fossilpy("peers", "remove", "http://u@h.example:8080/x", "-R", repo)  # as listed
    with Repo.open(str(repo)) as r:
        assert r.config_get(peers.SETTING) == "https://other.example/ sync\n"


# -- four servers ------------------------------------------------------------


def _has(path: Path, uuid: str) -> bool:
    db = sqlite3.connect(path, timeout=30)
    try:
        return db.execute("SELECT 1 FROM blob WHERE uuid=? AND size>=0", (uuid,)).fetchone() is not None
    finally:
        db.close()


def test_checkin_reaches_every_peer_through_backoffice_runs(fossil, tmp_path, home) -> None:
    exe = require_binary("fossil")
    env = base_env(home)
    fossil("init", "F.fossil")
    fossil("user", "password", "root", "pw", "-R", "F.fossil")
    for name in ("A", "B", "C", "W"):
        fossil("clone", "F.fossil", f"{name}.fossil")
        fossil("user", "password", "root", "pw", "-R", f"{name}.fossil")
        fossil("settings", "autosync", "off", "-R", f"{name}.fossil")
    ports = {n: free_port() for n in "ABCF"}
    url = {n: f"http://root:pw@127.0.0.1:{p}/" for n, p in ports.items()}
    chain = {"A": f"{url['B']} sync 1", "B": f"{url['C']} push 1", "C": f"{url['F']} sync 1"}
    for name, line in chain.items():
        with Repo.open(str(tmp_path / f"{name}.fossil")) as r:
            r.config_set(peers.SETTING, line + "\n")
            r.config_set("backoffice-logfile", str(tmp_path / f"{name}.log"))
    with ExitStack() as servers:
        servers.callback(time.sleep, 0.2)  # runs last: let spawned backoffices finish before tmp_path goes
        for name in "ABC":
            argv = [sys.executable, "-m", "fossilpy", "server", str(tmp_path / f"{name}.fossil"),
                    "--port", str(ports[name]), "--localhost"]
            servers.enter_context(serving(argv, ports[name], env=env, cwd=tmp_path,
                                          log=tmp_path / f"server-{name}.out"))
        servers.enter_context(serving([exe, "server", "--nojail", "--port", str(ports["F"]), "--localhost",
                                       str(tmp_path / "F.fossil")], ports["F"], env=env, cwd=tmp_path,
                                      log=tmp_path / "server-F.out"))
        wd = tmp_path / "wd"
        wd.mkdir()
        fossil("open", "../W.fossil", "--nosync", cwd=wd)
        (wd / "peer.txt").write_text("travels A -> B -> C -> F\n")
        fossil("add", "peer.txt", cwd=wd)
        fossil("commit", "-m", "peer sync check-in", "--no-warnings", cwd=wd)
        uuid = fossil.text("sql", "-R", tmp_path / "W.fossil",
                           "SELECT uuid FROM blob, event WHERE rid=objid AND comment='peer sync check-in'"
                           ).strip().strip("'")
        assert len(uuid) == 64
        fossil("push", url["A"], "-R", tmp_path / "W.fossil")
        assert _has(tmp_path / "A.fossil", uuid)
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            if all(_has(tmp_path / f"{n}.fossil", uuid) for n in "BCF"):
                break
            time.sleep(0.5)
        reached = {n: _has(tmp_path / f"{n}.fossil", uuid) for n in "BCF"}
        logs = {n: (tmp_path / f"{n}.log").read_text() if (tmp_path / f"{n}.log").exists() else ""
                for n in "ABC"}
        assert reached == {"B": True, "C": True, "F": True}, logs
        # every hop was a backoffice run that logged a completed peer sync
        for n in "ABC":
            assert " 1 peers " in logs[n], logs
            assert "warning" not in logs[n] and "error" not in logs[n], logs
        # the real fossil peer's copy is sound
        out = fossil.text("artifact", uuid, "-R", tmp_path / "F.fossil")
        assert out.startswith("C peer\\ssync\\scheck-in\n")
        # and fossilpy peers shows the last success
        with Repo.open(str(tmp_path / "A.fossil")) as r:
            st, bad = peers.status(r)
        assert bad == [] and st[0].last_success is not None and st[0].last_error is None
