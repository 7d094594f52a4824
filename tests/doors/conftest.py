"""Fixtures that start real servers in front of fossilpy's doors.

Every server listens on 127.0.0.1 on a free port, keeps its configuration,
logs and pid file in the test's tmp directory, and is stopped after the test.
``require_binary`` skips locally and fails in CI when a server is missing.

* :func:`fossilpy_server` starts ``fossilpy server`` (HTTP or ``--scgi``).
* :func:`nginx` proxies ``/code/`` (SCRIPT_NAME=/code), ``/tls/`` (also
  ``HTTPS on``) and ``/`` (no SCRIPT_NAME) to an SCGI port.
* :func:`lighttpd` runs ``*.cgi`` scripts from a document root.
* :func:`sshd` accepts one generated key for root; the key's
  ``environment="PATH=..."`` puts a directory holding a ``fossil`` wrapper
  (which runs fossilpy) first on the remote PATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import ROOT, base_env, require_binary
from tests.net import free_port, serving

__all__ = ["ECHO_APP", "ROOT"]

ECHO_APP = "tests.doors.echo_app:make"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty "repository" file: the echo app never opens it; the doors only check it exists."""
    path = tmp_path / "r.fossil"
    path.write_bytes(b"")
    return path


@pytest.fixture
def door_env(home: Path) -> dict[str, str]:
    """Environment for fossilpy subprocesses serving the echo app."""
    env = base_env(home)
    env["FOSSILPY_APP"] = ECHO_APP
    return env


@pytest.fixture
def inprocess(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., int]]:
    """``start(app=None, **HttpServer options) -> port``: an in-process ``server`` worker
    (threads, the echo app by default) with a 2 s head deadline and a 10 s idle timeout."""
    import threading

    from fossilpy.serve import connections
    from fossilpy.serve import http as door
    from tests.doors.echo_app import make

    monkeypatch.setattr(connections, "HEAD_TIMEOUT", 2.0)
    monkeypatch.setattr(connections, "IDLE_TIMEOUT", 10.0)
    servers = []

    def start(app=None, **kw) -> int:  # type: ignore[no-untyped-def]
        sock = door.bind_listener(free_port(), localhost=True)
        server = door.HttpServer(lambda: app or make(), sock, workers=1, **kw)
        threading.Thread(target=server.serve_worker, daemon=True).start()
        servers.append(server)
        return int(sock.getsockname()[1])

    yield start
    for server in servers:
        server._stopping = True
        server.sock.close()


@pytest.fixture
def fossilpy_exe(tmp_path: Path) -> Path:
    """An executable script that runs this checkout's fossilpy (for #! lines and ssh)."""
    exe = tmp_path / "bin" / "fossilpy"
    exe.parent.mkdir(exist_ok=True)
    exe.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={ROOT}${{PYTHONPATH:+:$PYTHONPATH}}\nexport PYTHONPATH\n"
        f'exec {sys.executable} -m fossilpy "$@"\n'
    )
    exe.chmod(0o755)
    return exe


@pytest.fixture
def fossilpy_server(tmp_path: Path, door_env: dict[str, str]) -> Callable:
    """``start(args, env=None) -> port``: ``fossilpy server ARGS --port P --localhost``."""
    with ExitStack() as stack:

        def start(*args: str, env: dict[str, str] | None = None) -> int:
            port = free_port()
            argv = [sys.executable, "-m", "fossilpy", "server", *args, "--port", str(port), "--localhost"]
            stack.enter_context(serving(argv, port, env=env or door_env, cwd=tmp_path,
                                        log=tmp_path / f"server-{port}.log"))
            return port

        yield start


@pytest.fixture
def nginx(tmp_path: Path) -> Callable:
    """``start(scgi_port) -> http_port``: nginx in front of an SCGI server."""
    exe = require_binary("nginx")
    stack = ExitStack()

    def start(scgi_port: int) -> int:
        port = free_port()
        d = tmp_path / f"nginx-{port}"
        d.mkdir()
        scgi = f"include /etc/nginx/scgi_params; scgi_pass 127.0.0.1:{scgi_port};"
        (d / "nginx.conf").write_text(f"""
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
  server {{
    listen 127.0.0.1:{port};
    location /code/ {{ {scgi} scgi_param SCRIPT_NAME "/code"; }}
    location /tls/ {{ {scgi} scgi_param SCRIPT_NAME "/tls"; scgi_param HTTPS "on"; }}
    location / {{ {scgi} }}
  }}
}}
""")
        stack.enter_context(serving([exe, "-p", str(d), "-c", str(d / "nginx.conf")], port, log=d / "stderr"))
        return port

    with stack:
        yield start


@pytest.fixture
def lighttpd(tmp_path: Path) -> Callable:
    """``start(docroot) -> port``: lighttpd running ``*.cgi`` under docroot."""
    exe = require_binary("lighttpd")
    stack = ExitStack()

    def start(docroot: Path) -> int:
        port = free_port()
        d = tmp_path / f"lighttpd-{port}"
        d.mkdir()
        (d / "lighttpd.conf").write_text(f"""
server.document-root = "{docroot}"
server.port = {port}
server.bind = "127.0.0.1"
server.modules = ("mod_cgi")
server.errorlog = "{d}/error.log"
server.pid-file = "{d}/pid"
server.upload-dirs = ("{d}")
server.max-request-size = 61440
cgi.assign = (".cgi" => "")
""")
        stack.enter_context(serving([exe, "-D", "-f", str(d / "lighttpd.conf")], port, log=d / "stderr"))
        return port

    with stack:
        yield start


class Sshd:
    """A running sshd and what a client needs to reach it."""

    def __init__(self, port: int, key: Path, known_hosts: Path) -> None:
        self.port = port
        self.key = key
        self.known_hosts = known_hosts

    @property
    def ssh_command(self) -> str:
        """The ``--ssh-command`` for fossil/fossilpy clients."""
        return (f"ssh -e none -F /dev/null -o StrictHostKeyChecking=no -o BatchMode=yes "
                f"-o IdentitiesOnly=yes -o UserKnownHostsFile={self.known_hosts} -i {self.key}")


@pytest.fixture
def sshd(tmp_path: Path) -> Callable:
    """``start(remote_bin_dir, env=None) -> Sshd``: sshd for root on 127.0.0.1."""
    exe = require_binary("sshd")
    keygen = require_binary("ssh-keygen")
    require_binary("ssh")
    if os.geteuid() != 0:
        pytest.skip("the sshd door test logs in as root")
    stack = ExitStack()

    def start(remote_bin: Path, env: dict[str, str] | None = None) -> Sshd:
        # sshd insists on its privilege-separation directory (the Debian
        # package creates it at boot); nothing else is written outside tmp.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        port = free_port()
        d = tmp_path / f"sshd-{port}"
        d.mkdir(mode=0o700)
        for name in ("host_key", "client_key"):
            subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
        settings = {"PATH": f"{remote_bin}:/usr/local/bin:/usr/bin:/bin", **(env or {})}
        opts = ",".join(f'environment="{k}={v}"' for k, v in settings.items())
        (d / "authorized_keys").write_text(f"{opts} {(d / 'client_key.pub').read_text()}")
        (d / "authorized_keys").chmod(0o600)
        (d / "sshd_config").write_text(f"""
ListenAddress 127.0.0.1
HostKey {d}/host_key
AuthorizedKeysFile {d}/authorized_keys
PidFile {d}/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitUserEnvironment yes
PrintMotd no
Subsystem sftp internal-sftp
""")
        stack.enter_context(serving([exe, "-f", str(d / "sshd_config"), "-D", "-e", "-p", str(port)], port,
                                    log=d / "sshd.log"))
        return Sshd(port, d / "client_key", d / "known_hosts")

    with stack:
        yield start


@pytest.fixture
def remote_fossil(tmp_path: Path, fossilpy_exe: Path) -> Path:
    """A directory whose ``fossil`` runs fossilpy: the 'remote' side of ssh sync.

    Each call's arguments are appended to ``calls.log`` in that directory.
    """
    d = tmp_path / "remote-bin"
    d.mkdir()
    (d / "fossil").write_text(f'#!/bin/sh\necho "$@" >> {d}/calls.log\nexec {fossilpy_exe} "$@"\n')
    (d / "fossil").chmod(0o755)
    return d
