"""Shared pieces of the browser tests: a threaded server for the app, a
headless chromium page that records console errors, and keeping screenshots.

    with serve_app(repo_path) as base, chromium_page() as (page, problems):
        page.goto(base + "/wikinew")
        shot(page, "wiki", "01-new")          # tests/artifacts/wiki/01-new.png
        ...
    assert problems == []

Screenshots go to ``tests/artifacts/<group>/`` (git-ignored) for people to
look at; :func:`shot` checks that the picture is not blank.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.conftest import ROOT, require_binary

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class ThreadedServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        t = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        t.start()

    def _handle(self, request, client_address):  # type: ignore[no-untyped-def]
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


def playwright():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed (pip install playwright; it is in the test extras)")
        pytest.skip("playwright is not installed")
    return sync_playwright


@contextmanager
def serve_app(repository: Path | str, **config: Any) -> Iterator[str]:
    """Serve ``repository`` on 127.0.0.1 (a free port) in threads; yield the base URL."""
    app = make_app(AppConfig(repository=str(repository), **config))
    server = make_server("127.0.0.1", 0, app, server_class=ThreadedServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium_page(width: int = 1200, height: int = 860) -> Iterator[tuple[Any, list[str]]]:
    """A page of a fresh headless chromium, and the list of problems it saw
    (console errors, page errors, HTTP statuses >= 400)."""
    chromium = require_binary("chromium")
    sync_playwright = playwright()
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
                ),
            )
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            yield page, problems
        finally:
            browser.close()


def login(page: Any, base: str, user: str, password: str) -> None:
    """Log in through /login as a person would."""
    page.goto(base + "/login")
    page.fill("#u", user)
    page.fill("#p", password)
    page.click("input[type=submit][name=in]")
    page.wait_for_load_state()


def shot(page: Any, group: str, name: str) -> Path:
    """Screenshot the whole page into tests/artifacts/GROUP/NAME.png; refuse a blank one."""
    keep = ROOT / "tests" / "artifacts" / group
    keep.mkdir(parents=True, exist_ok=True)
    path = keep / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000, f"screenshot {path} looks blank"
    return path
