"""The single executable built from ``fossilpy.spec`` passes door tests.

Builds both forms once per session into a tmp directory (about 40 s):
``dist/fossilpy`` (one file) and ``dist/fossilpy-dir/fossilpy`` (one folder).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, base_env
from tests.net import split_reply

pytestmark = [pytest.mark.slow, pytest.mark.doors]


@pytest.fixture(scope="session")
def binaries(tmp_path_factory) -> dict[str, Path]:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PyInstaller is not installed; .ci/run must install the test extras")
        pytest.skip("PyInstaller is not installed")
    out = tmp_path_factory.mktemp("pyinstaller")
    env = {**os.environ, "FOSSILPY_BUILD": "both"}
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "build"), str(ROOT / "fossilpy.spec")],
        cwd=ROOT, env=env, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return {"onefile": out / "dist" / "fossilpy", "onedir": out / "dist" / "fossilpy-dir" / "fossilpy"}


@pytest.fixture
def repo(tmp_path: Path, fossil) -> Path:
    path = tmp_path / "r.fossil"
    fossil("init", str(path))
    return path


def clean_env(home: Path) -> dict[str, str]:
    env = base_env(home)
    env.pop("PYTHONPATH", None)  # the binary must carry everything it needs
    return env


@pytest.mark.parametrize("form", ["onefile", "onedir"])
def test_binary_version_and_http(binaries, form, repo, home):
    exe = binaries[form]
    env = clean_env(home)
    version = subprocess.run([str(exe), "version"], env=env, capture_output=True, timeout=60)
    assert version.stdout.decode().startswith("This is fossilpy version ")
    proc = subprocess.run([str(exe), "http", str(repo)], env=env, capture_output=True, timeout=60,
                          input=b"GET /timeline?n=50 HTTP/1.0\r\nHost: example.org\r\n\r\n")
    first, headers, body = split_reply(proc.stdout)
    assert first == "HTTP/1.0 200 OK", proc.stdout[:500] + proc.stderr[-2000:]
    assert headers["content-length"] == str(len(body))
    assert b"<html" in body.lower()
    bad = subprocess.run([str(exe), "http", str(repo)], env=env, capture_output=True, timeout=60,
                         input=b"GET /../../etc/passwd HTTP/1.0\r\n\r\n")
    assert split_reply(bad.stdout)[0] == "HTTP/1.0 404 Not Found"


def test_binary_cgi(binaries, repo, home, tmp_path):
    exe = binaries["onefile"]
    script = tmp_path / "repo.cgi"
    script.write_text(f"#!{exe}\nrepository: {repo}\n")
    script.chmod(0o755)
    env = {**clean_env(home), "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
           "SCRIPT_NAME": "/cgi-bin/repo.cgi", "PATH_INFO": "/stat", "QUERY_STRING": "",
           "HTTP_HOST": "example.org", "HTTPS": "on", "REMOTE_ADDR": "192.0.2.1"}
    proc = subprocess.run([str(script)], env=env, capture_output=True, timeout=60)
    first, _, body = split_reply(proc.stdout)
    assert first == "Status: 200 OK", proc.stderr.decode()[-2000:]
    assert b'href="/cgi-bin/repo.cgi/' in body
