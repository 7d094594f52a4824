"""Past one machine, Fossil's way (www/doc/scaling.md): replicas kept in step by peer sync.

Real nginx spreads requests round-robin over two ``fossilpy server``
replicas, each with its own repository file (as on two machines: copies of
one repository, same project code).  Each replica lists the other in
``backoffice-peers`` (interval 0: every backoffice run syncs), and only
the first sends email (``email-send-method`` is ``dir`` there, ``off`` on
the second).  The test, with the real ``fossil`` as the developer's client:

1. a check-in pushed through nginx (its round trips land on either replica)
   is served by both replicas within one backoffice interval (the 60 s
   lease, plus the sync);
2. the second replica is stopped (its backoffice too, as a machine that goes
   down), a second check-in is pushed through nginx (which fails over to
   the first), the second replica is started again, and after one request
   it catches up by itself;
3. each check-in was announced once (in one email), however it reached the
   replica that sends mail, and the second replica sent none;
4. ``fossil test-integrity`` is clean on both replica files.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import Runner, base_env, require_binary
from tests.net import free_port, serving, spawn, stop, wait_port

#: One backoffice interval (the lease, Fossil's 60 s) plus the time a sync takes.
CATCH_UP = 150.0


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _has(path: Path, prefix: str) -> bool:
    """True when the artifact whose hash starts with ``prefix`` is stored (not a phantom) in ``path``."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute("SELECT size FROM blob WHERE uuid>=? AND uuid<?", (prefix, prefix + "g")).fetchone()
    finally:
        db.close()
    return row is not None and row[0] >= 0


def _wait(what: str, pred, timeout: float, poke=None) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return time.monotonic() - start
        if poke:
            poke()
        time.sleep(1.0)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _kill_users_of(path: Path) -> None:
    """SIGKILL every process whose command line names ``path`` (the replica's backoffice)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(path).encode() in cmd:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def _nginx_conf(d: Path, port: int, upstreams: list[int]) -> str:
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in upstreams)
    return f"""
daemon off;
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 512; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  client_max_body_size 60m;
  upstream replicas {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://replicas;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 2s;
    }}
  }}
}}
"""


class Replicas:
    """Two replica files, their servers and nginx in front."""

    def __init__(self, tmp: Path, env: dict[str, str], stack: ExitStack) -> None:
        self.tmp, self.env, self.stack = tmp, env, stack
        self.files = [tmp / "r1.fossil", tmp / "r2.fossil"]
        self.ports = [free_port(), free_port()]
        self.procs: list[subprocess.Popen[bytes] | None] = [None, None]
        self.mail = tmp / "mail"

    def start(self, i: int) -> None:
        argv = [sys.executable, "-m", "fossilpy", "server", str(self.files[i]), "--port", str(self.ports[i]),
                "--localhost"]  # fmt: skip
        proc = spawn(argv, env=self.env, cwd=self.tmp, log=self.tmp / f"server-{i + 1}.log")
        wait_port(self.ports[i], proc, 20)
        self.procs[i] = proc

    def stop(self, i: int) -> None:
        proc = self.procs[i]
        if proc is not None:
            stop(proc)
            self.procs[i] = None
        _kill_users_of(self.files[i])

    def mails(self) -> list[str]:
        return sorted(p.read_text(errors="replace") for p in self.mail.iterdir()) if self.mail.exists() else []


@pytest.fixture
def replicas(tmp_path: Path, home: Path, fossil: Runner) -> Iterator[Replicas]:
    exe = require_binary("nginx")
    env = base_env(home)
    with ExitStack() as stack:
        r = Replicas(tmp_path, env, stack)
        base = tmp_path / "base.fossil"
        fossil("init", "--admin-user", "admin", base)
        fossil("user", "password", "admin", "adminpw", "-R", base)
        fossil("settings", "autosync", "off", "-R", base)
        fossil("alerts", "status", "-R", base)  # creates the subscriber tables
        db = sqlite3.connect(base)
        db.execute(
            "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,lastContact)"
            " VALUES('dev@example.org','admin',1,0,0,'c',1,1,1000000)"
        )
        db.commit()
        db.close()
        for f in r.files:
            shutil.copy(base, f)
        r.mail.mkdir()
        logs = []
        for i, f in enumerate(r.files):
            other = r.ports[1 - i]
            settings = {
                "backoffice-peers": f"http://admin:adminpw@127.0.0.1:{other}/ sync 0",
                "backoffice-logfile": str(tmp_path / f"backoffice-{i + 1}.log"),
                "email-send-method": "dir" if i == 0 else "off",
                "email-send-dir": str(r.mail),
                "email-self": "repo@example.org",
                "email-subname": "[replicas]",
                "email-url": "http://replicas.example/",
            }
            for k, v in settings.items():
                subprocess.run([sys.executable, "-m", "fossilpy", "settings", k, v, "-R", str(f)], env=env,
                               check=True, capture_output=True)  # fmt: skip
            logs.append(tmp_path / f"backoffice-{i + 1}.log")
        r.start(0)
        r.start(1)
        port = free_port()
        d = tmp_path / "nginx"
        d.mkdir()
        (d / "nginx.conf").write_text(_nginx_conf(d, port, r.ports))
        stack.enter_context(serving([exe, "-p", str(d), "-c", str(d / "nginx.conf")], port, log=d / "stderr"))
        r.front = port  # type: ignore[attr-defined]
        try:
            yield r
        finally:
            for i in (0, 1):
                r.stop(i)
            for log in logs:
                if log.exists():
                    sys.stderr.write(f"--- {log.name}\n{log.read_text()}")


def _commit(fossil: Runner, wd: Path, name: str, text: str, comment: str) -> str:
    (wd / name).write_text(text)
    fossil("add", name, cwd=wd)
    fossil("commit", "-m", comment, "--no-warnings", "--nosync", cwd=wd)
    return _checkout_hash(fossil, wd)


def _checkout_hash(fossil: Runner, wd: Path) -> str:
    for line in fossil.text("info", cwd=wd).splitlines():
        if line.startswith("checkout:"):
            return line.split()[1]
    raise AssertionError("no checkout line")


def test_push_through_nginx_reaches_both_replicas_and_mails_once(
    replicas: Replicas, fossil: Runner, tmp_path: Path
) -> None:
    r = replicas
    front = r.front  # type: ignore[attr-defined]
    url = f"http://admin:adminpw@127.0.0.1:{front}/"
    fossil("clone", url, tmp_path / "dev.fossil")
    wd = tmp_path / "dev"
    wd.mkdir()
    fossil("open", tmp_path / "dev.fossil", "--nosync", cwd=wd)
    fossil("settings", "autosync", "off", cwd=wd)

    # 1. a push through nginx: both replicas serve it within one interval
    first = _commit(fossil, wd, "a.txt", "one\n", "first change through the front")
    fossil("push", url, cwd=wd)
    took = _wait("first check-in on both replicas", lambda: all(_has(f, first) for f in r.files), CATCH_UP)
    for port in r.ports:
        status, body = _get(port, f"/info/{first}")
        assert status == 200 and b"first change through the front" in body

    # 2. replica 2 goes down; a push fails over to replica 1; replica 2 comes back and catches up
    r.stop(1)
    second = _commit(fossil, wd, "b.txt", "two\n", "second change while a replica is down")
    fossil("push", url, cwd=wd)
    assert _has(r.files[0], second) and not _has(r.files[1], second)
    r.start(1)
    assert _get(r.ports[1], "/timeline")[0] == 200  # a request: its backoffice runs after it
    took2 = _wait("the restarted replica catches up", lambda: _has(r.files[1], second), CATCH_UP)
    status, body = _get(r.ports[1], f"/info/{second}")
    assert status == 200 and b"second change while a replica is down" in body

    # 3. each check-in announced once, by the replica that sends mail (an alert run may
    #    bundle several events for one subscriber into one email)
    comments = ("first change through the front", "second change while a replica is down")

    def announced() -> bool:
        text = "".join(r.mails())
        return all(c in text for c in comments)

    _wait("the alerts", announced, CATCH_UP, poke=lambda: _get(r.ports[0], "/timeline"))
    time.sleep(3)
    mails = r.mails()
    assert 1 <= len(mails) <= 2, mails
    for c in comments:
        assert sum(m.count(c) for m in mails) == 1, (c, mails)

    # 4. both files are sound for the real fossil
    for i in (0, 1):
        r.stop(i)
    for f in r.files:
        out = fossil.text("test-integrity", "-R", f)
        assert " checked:  0 errors" in out and out.endswith("low-level database integrity-check: ok\n"), out
    sys.stderr.write(f"caught up in {took:.1f} s and {took2:.1f} s\n")
