"""Operations: ``/metrics`` (Prometheus text format) and ``/health``.

``/health`` answers ``200 ok`` when the repository opens and answers a
query, ``503`` otherwise (the app answers 503 itself when the file does not
open at all); anyone may ask, nothing is shown about the repository.

``/metrics`` is for administrators: capability ``a`` (admin; setup ``s``
includes it).  A scraper logs in as a user with ``a`` by HTTP Basic
authentication (turn on the ``http_authentication_ok`` setting; Prometheus's
``basic_auth``) or with a login cookie.  It serves, in the Prometheus text
exposition format 0.0.4:

* ``fossilpy_http_requests_total{page,status}`` and the latency histogram
  ``fossilpy_http_request_duration_seconds``: counters of *this process*,
  kept on the application object (``App.metrics``, see ``web/app.py``).
  ``fossilpy server`` and SCGI run several forked workers: each counts the
  requests it served, and ``fossilpy_process_id`` says which one answered,
  so every worker's series is monotonic on its own; with one worker
  (``--workers 1``) or a single gunicorn worker they are the process's
  totals.
* backoffice runs and their duration (``fossilpy_backoffice_runs_total``,
  ``fossilpy_backoffice_run_duration_seconds``): from the repository
  (``fossilpy.backoffice.runstats``), so every process reports the same;
* the delivery journal's depth by kind and state
  (``fossilpy_journal_entries{kind,state}``: pending, retrying, failed,
  and delivered in the last 30 days), failed deliveries among them, and
  webhook attempts ever made by result
  (``fossilpy_webhook_attempts_total{result}``).
"""

from __future__ import annotations

import os
from typing import Any

from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@pages.webpage("/health", caps="")
def health(ctx: Context) -> Response:
    """/health

    For load balancers: "ok" (200) when the repository opens and answers a
    query, 503 otherwise."""
    try:
        ctx.repo.one("SELECT count(*) FROM config WHERE name='project-code'")
    except Exception:  # noqa: BLE001 - any failure means unhealthy; the status says it
        return Response(status=503, body=b"unavailable\n", content_type="text/plain; charset=utf-8")
    return Response(status=200, body=b"ok\n", content_type="text/plain; charset=utf-8")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class _Out:
    """Lines of the exposition, one HELP/TYPE header per metric family."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help: str) -> None:
        self.lines += [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, **labels: str) -> None:
        inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        self.lines.append(f"{name}{{{inner}}} {_num(value)}" if inner else f"{name} {_num(value)}")


def render(app: Any, repo: Any) -> str:
    """The exposition text for ``app``'s counters and ``repo``'s backoffice."""
    from fossilpy.backoffice import journal, runstats

    out = _Out()
    m = app.metrics
    with m.lock:
        requests = dict(m.requests)
        buckets, seconds, count = list(m.buckets), m.seconds, m.count
    out.family("fossilpy_process_id", "gauge", "Process id of the worker that answered this scrape.")
    out.sample("fossilpy_process_id", os.getpid())
    out.family("fossilpy_http_requests_total", "counter", "HTTP requests answered by this process.")
    for (page, status), n in sorted(requests.items()):
        out.sample("fossilpy_http_requests_total", n, page=page, status=str(status))
    name = "fossilpy_http_request_duration_seconds"
    out.family(name, "histogram", "Time to answer a request in this process.")
    running = 0
    for bound, n in zip((*m.BOUNDS, float("inf")), buckets, strict=True):
        running += n
        out.sample(f"{name}_bucket", running, le="+Inf" if bound == float("inf") else repr(bound))
    out.sample(f"{name}_sum", seconds)
    out.sample(f"{name}_count", count)
    stats = runstats.read(repo)
    out.family("fossilpy_backoffice_runs_total", "counter", "Backoffice runs that did work on this repository.")
    out.sample("fossilpy_backoffice_runs_total", stats.get("runs", 0))
    name = "fossilpy_backoffice_run_duration_seconds"
    out.family(name, "summary", "Duration of those backoffice runs.")
    out.sample(f"{name}_sum", stats.get("seconds", 0.0))
    out.sample(f"{name}_count", stats.get("runs", 0))
    out.family("fossilpy_backoffice_last_run_timestamp_seconds", "gauge", "When the newest counted run started.")
    out.sample("fossilpy_backoffice_last_run_timestamp_seconds", stats.get("last-start", 0.0))
    out.family("fossilpy_journal_entries", "gauge", "Delivery journal entries by kind and state.")
    status = journal.status(repo)
    for kind in sorted(status):
        for state in ("pending", "retrying", "failed", "delivered"):
            out.sample("fossilpy_journal_entries", status[kind][state], kind=kind, state=state)
    out.family("fossilpy_deliveries_failed", "gauge", "Deliveries given up after their last attempt, by kind.")
    for kind in sorted(status):
        out.sample("fossilpy_deliveries_failed", status[kind]["failed"], kind=kind)
    out.family("fossilpy_webhook_attempts_total", "counter", "Webhook delivery attempts by result.")
    tried = {}
    if repo.table_exists("fx_webhook_state"):
        tried = dict(repo.all("SELECT name, value FROM fx_webhook_state WHERE name GLOB 'attempts-*'"))
    for result in ("ok", "failed"):
        out.sample("fossilpy_webhook_attempts_total", tried.get(f"attempts-{result}", 0), result=result)
    return "\n".join(out.lines) + "\n"


@pages.webpage("/metrics", caps="a")
def metrics(ctx: Context) -> Response:
    """/metrics

    Prometheus text format: requests by page and status and their latency
    (this process), backoffice runs and their duration, the delivery
    journal by kind and state, failed deliveries and webhook attempts.
    Needs capability a (admin)."""
    body = render(ctx.app, ctx.repo).encode("utf-8")
    return Response(status=200, body=body, content_type=CONTENT_TYPE)
