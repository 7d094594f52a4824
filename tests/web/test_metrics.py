"""/metrics (parsed with prometheus_client's text parser) and /health."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fossilpy.web.app import AppConfig, make_app
from tests.web.conftest import sql
from tests.web.wsgi import call


@pytest.fixture
def mrepo(repo_copy: Path) -> Path:
    sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    sql(repo_copy, "UPDATE user SET pw='alicepw' WHERE login='alice'")
    return repo_copy


def _app(path: Path):  # type: ignore[no-untyped-def]
    return make_app(AppConfig(repository=str(path), backoffice=False))


def _basic(user: str, pw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def _scrape(app, headers: dict[str, str]) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    r = call(app, "/metrics", headers=headers)
    assert r.status == 200, r.text
    assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    out: dict[str, dict] = {}
    for fam in text_string_to_metric_families(r.text):
        out[fam.name] = {"type": fam.type, "samples": {}}
        for s in fam.samples:
            out[fam.name]["samples"][(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _requests(m: dict, page: str, status: str) -> float:
    key = ("fossilpy_http_requests_total", (("page", page), ("status", status)))
    return float(m["fossilpy_http_requests"]["samples"].get(key, 0))


def test_metrics_parse_and_counters_move(mrepo: Path) -> None:
    sql(mrepo, "REPLACE INTO config(name,value,mtime) VALUES('http_authentication_ok','1',0)")
    app = _app(mrepo)
    auth = _basic("root", "rootpw")
    first = _scrape(app, auth)
    assert first["fossilpy_http_requests"]["type"] == "counter"
    assert first["fossilpy_http_request_duration_seconds"]["type"] == "histogram"
    assert first["fossilpy_backoffice_run_duration_seconds"]["type"] == "summary"
    assert first["fossilpy_journal_entries"]["type"] == "gauge"
    assert _requests(first, "stat", "200") == 0
    for _ in range(3):
        assert call(app, "/stat").status == 200
    assert call(app, "/no-such-page").status == 404
    second = _scrape(app, auth)
    assert _requests(second, "stat", "200") == 3
    assert _requests(second, "-", "404") == 1
    assert _requests(second, "metrics", "200") == 1  # the first scrape; this one is counted after
    hist = second["fossilpy_http_request_duration_seconds"]["samples"]
    count = hist[("fossilpy_http_request_duration_seconds_count", ())]
    assert count == 5
    assert hist[("fossilpy_http_request_duration_seconds_bucket", (("le", "+Inf"),))] == 5
    buckets = [v for (name, labels), v in hist.items() if name.endswith("_bucket")]
    assert buckets == sorted(buckets)  # cumulative
    assert _requests(_scrape(app, auth), "metrics", "200") == 2


def test_metrics_needs_admin(mrepo: Path) -> None:
    sql(mrepo, "REPLACE INTO config(name,value,mtime) VALUES('http_authentication_ok','1',0)")
    app = _app(mrepo)
    r = call(app, "/metrics")
    assert r.status == 302 and r.header("Location").endswith("/login?g=metrics&anon")
    assert call(app, "/metrics", headers=_basic("alice", "alicepw")).status == 302  # v: developer, not admin
    assert call(app, "/metrics", headers=_basic("root", "wrong")).status == 302
    sql(mrepo, "UPDATE user SET cap='a' WHERE login='alice'")
    assert call(app, "/metrics", headers=_basic("alice", "alicepw")).status == 200


def test_backoffice_and_journal_metrics(mrepo: Path) -> None:
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.backoffice import journal, runner, webhooks
    from fossilpy.repo import docwrite
    from fossilpy.repo.db import Repo

    with Repo.open(str(mrepo)) as r:
        # an idle run writes nothing and is not counted
        runner.work(r)
        assert not r.table_exists("fx_backoffice_stats")
        webhooks.add(r, "http://127.0.0.1:1/refused", "k", ("w",))
        m = Manifest(type=ArtifactType.WIKI, date=docwrite.now_date(), wiki_title="M", user="root", text="x\n")
        docwrite.commit(r, m)
        runner.work(r)  # queues the delivery, one refused attempt
        journal.add(r, "email", "a@example.org", "<1@x>", b"msg")
        journal.add(r, "email", "b@example.org", "<2@x>", b"msg")
        (entry,) = [e for e in journal.entries(r) if e.dest == "b@example.org"]
        journal.failed(r, entry, "550 no such user", permanent=True)
    app = _app(mrepo)
    cookies = {}
    login = call(app, "/login", form={"u": "root", "p": "rootpw"})
    ((name, value),) = login.cookies().items()
    cookies = {name: value.replace("/", "%2F")}
    r = call(app, "/metrics", cookies=cookies)
    assert r.status == 200
    m = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(r.text)
        for s in fam.samples
    }
    assert m[("fossilpy_backoffice_runs_total", ())] == 1
    assert m[("fossilpy_backoffice_run_duration_seconds_count", ())] == 1
    assert 0 <= m[("fossilpy_backoffice_run_duration_seconds_sum", ())] < 30
    assert m[("fossilpy_journal_entries", (("kind", "email"), ("state", "pending")))] == 1
    assert m[("fossilpy_journal_entries", (("kind", "email"), ("state", "failed")))] == 1
    assert m[("fossilpy_journal_entries", (("kind", "webhook"), ("state", "retrying")))] == 1
    assert m[("fossilpy_deliveries_failed", (("kind", "email"),))] == 1
    assert m[("fossilpy_deliveries_failed", (("kind", "webhook"),))] == 0
    assert m[("fossilpy_webhook_attempts_total", (("result", "failed"),))] == 1
    assert m[("fossilpy_webhook_attempts_total", (("result", "ok"),))] == 0


def test_health(mrepo: Path, tmp_path: Path) -> None:
    r = call(_app(mrepo), "/health")
    assert (r.status, r.body, r.header("Content-Type")) == (200, b"ok\n", "text/plain; charset=utf-8")
    broken = tmp_path / "broken.fossil"
    broken.write_bytes(b"this is not a database" * 100)
    r = call(_app(broken), "/health")
    assert r.status == 503
    assert call(_app(broken), "/stat").status == 500  # other pages keep their status
