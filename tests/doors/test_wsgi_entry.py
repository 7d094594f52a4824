"""``fossilpy.wsgi:application`` under real gunicorn and uWSGI processes.

Each server serves the web tests' repository (FOSSILPY_REPOSITORY) or a
directory of repositories (FOSSILPY_DIRECTORY) on loopback: pages, a
login POST, /health, /metrics, and the backoffice started after a reply
(a webhook delivery reaches a receiver without any explicit backoffice run).
"""

from __future__ import annotations

import base64
import http.client
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.builders import build_web_repo
from tests.conftest import ROOT, base_env
from tests.net import free_port, serving
from tests.unit.test_webhooks import SECRET, Receiver
from tests.web.conftest import sql

BIN = Path(sys.executable).parent


def _gunicorn(port: int) -> list[str]:
    return [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "fossilpy.wsgi:application"]


def _uwsgi(port: int) -> list[str]:
    return [
        str(BIN / "uwsgi"),
        "--http-socket",
        f"127.0.0.1:{port}",
        "--module",
        "fossilpy.wsgi:application",
        "--master",
        "--processes",
        "2",
        "--need-app",
        "--die-on-term",
        "--disable-logging",
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web tests' repository (tests/builders.py), made once for this module."""
    return build_web_repo(tmp_path_factory.mktemp("wsgi") / "web.fossil").path


@pytest.fixture
def site(built: Path, tmp_path: Path) -> Path:
    """This test's own copy of it."""
    dest = tmp_path / "site.fossil"
    shutil.copyfile(built, dest)
    return dest


SERVERS = {"gunicorn": _gunicorn, "uwsgi": _uwsgi}


@pytest.fixture(params=sorted(SERVERS))
def wsgi_server(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., object]:
    """``start(env) -> port`` as a context manager: the server named by the param."""
    make = SERVERS[request.param]
    assert Path(make(0)[0]).exists(), f"{make(0)[0]} is not installed (pip install -e '.[test]')"

    @contextmanager
    def start(extra: dict[str, str]) -> Iterator[int]:
        port = free_port()
        env = {**base_env(tmp_path / "home"), **extra, "PYTHONPATH": str(ROOT)}
        (tmp_path / "home").mkdir(exist_ok=True)
        with serving(make(port), port, env=env, cwd=tmp_path, log=tmp_path / f"{request.param}.log", timeout=30):
            yield port

    return start


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def _post(port: int, path: str, form: dict[str, str]) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            urlencode(form),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{port}"},
        )
        r = conn.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def test_one_repository(wsgi_server, site: Path) -> None:  # type: ignore[no-untyped-def]
    sql(site, "UPDATE user SET pw='rootpw' WHERE login='root'")
    sql(site, "REPLACE INTO config(name,value,mtime) VALUES('http_authentication_ok','1',0)")
    with wsgi_server({"FOSSILPY_REPOSITORY": str(site)}) as port:
        status, headers, body = _get(port, "/health")
        assert (status, body) == (200, b"ok\n")
        status, headers, body = _get(port, "/stat")
        assert status == 200 and b"<title>Web Test: Repository Statistics</title>" in body
        assert headers["content-security-policy"].startswith("default-src 'self' data:; script-src 'self' 'nonce-")
        status, headers, body = _get(port, "/timeline?n=3&y=ci")
        assert status == 200 and b"merge feat into trunk" in body
        status, headers, body = _get(port, "/doc/tip/README.md")
        assert status == 200 and b"Hello <em>world</em>." in body
        assert _get(port, "/no-such-page")[0] == 404
        status, headers = _post(port, "/login", {"u": "root", "p": "rootpw"})
        assert status == 302 and headers["set-cookie"].startswith("fossil-")
        assert _post(port, "/login", {"u": "root", "p": "wrong"})[0] == 401
        auth = {"Authorization": "Basic " + base64.b64encode(b"root:rootpw").decode()}
        status, headers, body = _get(port, "/metrics", auth)
        assert status == 200 and headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        # per worker: the counters of whichever worker answered, all from pages requested above
        from prometheus_client.parser import text_string_to_metric_families

        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
        seen = {(s.labels["page"], s.labels["status"]) for s in families["fossilpy_http_requests"].samples}
        assert seen and seen <= {
            ("health", "200"),
            ("stat", "200"),
            ("timeline", "200"),
            ("doc", "200"),
            ("-", "404"),
            ("login", "302"),
            ("login", "401"),
        }
        assert families["fossilpy_process_id"].samples[0].value > 1


def test_directory_of_repositories(wsgi_server, site: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "repos"
    d.mkdir()
    shutil.copyfile(site, d / "alpha.fossil")
    shutil.copyfile(site, d / "beta.fossil")
    with wsgi_server({"FOSSILPY_DIRECTORY": str(d), "FOSSILPY_REPOLIST": "1"}) as port:
        status, _h, body = _get(port, "/")
        assert status == 200 and b"alpha" in body and b"beta" in body
        status, _h, body = _get(port, "/beta/stat")
        assert status == 200 and b"Repository Statistics" in body
        status, headers, _b = _get(port, "/alpha/")
        assert status == 302 and headers["location"].endswith("/alpha/index")
        assert _get(port, "/gamma/stat")[0] == 404
        assert _get(port, "/alpha/health")[0] == 200


def test_backoffice_started_after_replies(wsgi_server, site: Path) -> None:  # type: ignore[no-untyped-def]
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.backoffice import webhooks
    from fossilpy.repo import docwrite
    from fossilpy.repo.db import Repo

    receiver = Receiver()
    try:
        with Repo.open(str(site)) as r:
            r.config_set("backoffice-disable", "0")
            webhooks.add(r, receiver.url, SECRET, ("w",))
            m = Manifest(type=ArtifactType.WIKI, date=docwrite.now_date(), wiki_title="Served", user="root", text="x\n")
            docwrite.commit(r, m)
        with wsgi_server({"FOSSILPY_REPOSITORY": str(site)}) as port:
            assert _get(port, "/stat")[0] == 200
            end = time.monotonic() + 20
            while not receiver.got and time.monotonic() < end:
                time.sleep(0.1)
        assert [g["page"] for g in receiver.got] == ["Served"]
        assert receiver.bad == 0
    finally:
        receiver.close()


def test_configuration_errors() -> None:
    from fossilpy.errors import UserError
    from fossilpy.serve.wsgi_entry import config_from

    with pytest.raises(UserError, match="set exactly one of FOSSILPY_REPOSITORY"):
        config_from({})
    with pytest.raises(UserError, match="set exactly one of"):
        config_from({"FOSSILPY_REPOSITORY": "/a", "FOSSILPY_DIRECTORY": "/b"})
    with pytest.raises(UserError, match="FOSSILPY_REPOSITORY: no such file: /nonexistent.fossil"):
        config_from({"FOSSILPY_REPOSITORY": "/nonexistent.fossil"})
    with pytest.raises(UserError, match="FOSSILPY_MAX_LATENCY: not a number"):
        config_from({"FOSSILPY_DIRECTORY": "/", "FOSSILPY_MAX_LATENCY": "soon"})
    cfg = config_from({"FOSSILPY_DIRECTORY": "/", "FOSSILPY_REPOLIST": "yes", "FOSSILPY_BASEURL": "https://x/y/"})
    assert (cfg["directory"], cfg["repolist"], cfg["baseurl"], cfg["backoffice"]) == ("/", True, "https://x/y", True)
