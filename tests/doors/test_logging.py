"""Diagnostics go through :mod:`logging`, configured once per door (fossilpy.log).

* ``server --errorlog FILE``: a failing request's traceback lands in FILE,
  nothing on standard error, and the client sees no traceback;
* CGI ``errorlog:``: the same, and a CGI request that has nothing to report
  never imports :mod:`logging` (about 7 ms on every request otherwise);
* ``backoffice --logfile FILE``: the run line and the diagnostics;
* without configuration, ``fossilpy: MESSAGE`` lines on standard error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.net import free_port, raw_http, stop, wait_port


def test_server_errorlog(door_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "r.fossil").write_bytes(b"")
    log = tmp_path / "server.log"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fossilpy", "server", "r.fossil", "--port", str(port),
                             "--localhost", "--workers", "1", "--errorlog", str(log)], env=door_env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_port(port, proc)
        reply = raw_http(port, b"GET /boom HTTP/1.0\r\n\r\n")
    finally:
        stop(proc)
    assert reply.startswith(b"HTTP/1.0 500 ") and b"secret" not in reply
    text = log.read_text()
    lines = text.splitlines()
    assert " ERROR fossilpy.serve.gateway: error serving GET /boom" in lines[0]
    assert "Traceback (most recent call last):" in text and "RuntimeError: secret traceback text" in text
    assert b"secret" not in proc.stderr.read()


def test_unconfigured_log_goes_to_stderr(door_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "r.fossil").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "fossilpy", "http", "r.fossil"], env=door_env, cwd=tmp_path,
                          input=b"GET /boom HTTP/1.0\r\n\r\n", capture_output=True, timeout=60)
    assert proc.stdout.startswith(b"HTTP/1.0 500 ")
    err = proc.stderr.decode()
    assert err.startswith("fossilpy: error serving GET /boom\nTraceback (most recent call last):\n")
    assert err.rstrip().endswith("RuntimeError: secret traceback text")


CHECK_IMPORTS = """
import runpy, sys
sys.argv = ["fossilpy", sys.argv[1]]
try:
    runpy.run_module("fossilpy", run_name="__main__")
except SystemExit:
    pass
sys.stderr.write("LOGGING=%s\\n" % ("logging" in sys.modules))
"""


def test_cgi_errorlog_and_lazy_import(door_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "cgi.log"
    script = tmp_path / "x.cgi"
    script.write_text(f"#!/bin/false\nerrorlog: {log}\nrepository: {tmp_path / 'r.fossil'}\n")
    (tmp_path / "r.fossil").write_bytes(b"")
    env = {**door_env, "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/x",
           "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1"}
    ok = subprocess.run([sys.executable, "-c", CHECK_IMPORTS, str(script)], env={**env, "PATH_INFO": "/fine"},
                        capture_output=True, timeout=60)
    assert ok.stdout.startswith(b"Status: 200 OK\r\n")
    assert ok.stderr.decode().endswith("LOGGING=False\n")
    assert not log.exists()  # nothing to report: the file is not even opened
    bad = subprocess.run([sys.executable, "-c", CHECK_IMPORTS, str(script)], env={**env, "PATH_INFO": "/boom"},
                         capture_output=True, timeout=60)
    assert bad.stdout.startswith(b"Status: 500 Internal Server Error\r\n") and b"secret" not in bad.stdout
    assert bad.stderr.decode() == "LOGGING=True\n"
    text = log.read_text()
    assert " ERROR fossilpy.serve.gateway: error serving GET /x/boom" in text.splitlines()[0]
    assert "RuntimeError: secret traceback text" in text


def test_errorlog_that_cannot_be_opened_falls_back_to_stderr(door_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "r.fossil").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "fossilpy", "http", "r.fossil", "--errorlog",
                           str(tmp_path / "no" / "such" / "dir.log")], env=door_env, cwd=tmp_path,
                          input=b"GET /boom HTTP/1.0\r\n\r\n", capture_output=True, timeout=60)
    err = proc.stderr.decode().splitlines()
    assert err[0] == f"fossilpy: cannot open the log file {tmp_path / 'no' / 'such' / 'dir.log'}: " \
                     "No such file or directory"
    assert err[1] == "fossilpy: error serving GET /boom"
