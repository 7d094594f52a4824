"""The real fossil client clones through the web application (xfer routing)."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.conftest import base_env, require_binary


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.compat
def test_fossil_clone_over_http(repo_copy: Path, tmp_path: Path) -> None:
    exe = require_binary("fossil")
    db = sqlite3.connect(repo_copy)
    with db:
        db.execute("UPDATE user SET pw='secret1' WHERE login='alice'")
        db.execute("UPDATE user SET cap='gov' WHERE login='alice'")
        want = db.execute("SELECT count(*) FROM blob WHERE size>=0").fetchone()[0]
    db.close()
    server = make_server("127.0.0.1", 0, make_app(AppConfig(repository=str(repo_copy))), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tmp_path / "home"
    home.mkdir()
    try:
        url = f"http://alice:secret1@127.0.0.1:{server.server_port}/"
        proc = subprocess.run(
            [exe, "clone", url, str(tmp_path / "clone.fossil")],
            capture_output=True, env=base_env(home), timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    db = sqlite3.connect(tmp_path / "clone.fossil")
    got = db.execute("SELECT count(*) FROM blob WHERE size>=0").fetchone()[0]
    db.close()
    assert got == want
