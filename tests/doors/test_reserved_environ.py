"""Variables from outside can never claim fossilpy's own environ keys.

``fossilpy.trusted_caps`` grants setup rights (the ssh door sets it); a client
that talks SCGI to the port directly, or a CGI environment, must not be able
to set it.  The probe: clone a repository whose ``nobody`` has no caps.
"""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.doors

CLONE = b"pragma client-version 22100 20230226 192424\nclone 3 1\n"


@pytest.fixture
def closed_repo(fossil, tmp_path):
    fossil("init", "r.fossil")
    fossil("user", "capabilities", "nobody", "", "-R", "r.fossil")
    return tmp_path / "r.fossil"


def _netstring(pairs: dict[str, str], body: bytes) -> bytes:
    head = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in pairs.items())
    return str(len(head)).encode() + b":" + head + b"," + body


def test_scgi_cannot_set_trusted_caps(fossilpy, closed_repo) -> None:
    pairs = {
        "CONTENT_LENGTH": str(len(CLONE)), "SCGI": "1", "REQUEST_METHOD": "POST",
        "REQUEST_URI": "/xfer", "PATH_INFO": "/xfer", "SCRIPT_NAME": "",
        "CONTENT_TYPE": "application/x-fossil-debug", "REMOTE_ADDR": "203.0.113.9",
        "SERVER_NAME": "example.org", "SERVER_PORT": "80", "HTTP_HOST": "example.org",
    }
    honest = fossilpy("http", "--scgi", closed_repo, input=_netstring(pairs, CLONE)).stdout
    hostile = fossilpy("http", "--scgi", closed_repo, input=_netstring(
        {**pairs, "fossilpy.trusted_caps": "sxy", "wsgi.url_scheme": "https"}, CLONE)).stdout
    assert b"error not\\sauthorized\\sto\\sclone" in honest
    assert b"error not\\sauthorized\\sto\\sclone" in hostile
    assert b"cfile " not in hostile


def test_cgi_environment_cannot_set_trusted_caps(closed_repo, tmp_path, home) -> None:
    script = tmp_path / "repo.cgi"
    script.write_text(f"#!/usr/bin/env fossilpy\nrepository: {closed_repo}\n")
    env = {
        "PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": os.getcwd(),
        "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "/repo.cgi",
        "PATH_INFO": "/xfer", "CONTENT_TYPE": "application/x-fossil-debug",
        "CONTENT_LENGTH": str(len(CLONE)), "REMOTE_ADDR": "203.0.113.9",
        "HTTP_HOST": "example.org", "SERVER_NAME": "example.org", "SERVER_PORT": "80",
        "fossilpy.trusted_caps": "sxy",
    }
    out = subprocess.run([sys.executable, "-m", "fossilpy", str(script)], input=CLONE, env=env,
                         capture_output=True, timeout=60).stdout
    assert out.startswith(b"Status: 200 OK\r\n")
    assert b"error not\\sauthorized\\sto\\sclone" in out
    assert b"cfile " not in out
