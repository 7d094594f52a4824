"""/chat in two headless chromium browsers at once.

Each sees the other's message within 2 seconds without a reload: first
over the ``/events`` stream, then with ``/events`` blocked (the script
falls back to Fossil's long poll, ``/chat-poll``).  An attachment shows as
an inline image, a deleted message disappears from the other browser, and
a user without ``C`` is sent to the login page and refused by the JSON
requests.  Screenshots: tests/artifacts/chat/."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary
from tests.web.browser import ARGS, chromium_page, login, playwright, serve_app, shot

USERS = {"ann": "oC", "bob": "oC", "rod": "o"}


def _png(size: int = 48) -> bytes:
    """A solid orange square as a PNG file."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xf0\x80\x20" * size for _ in range(size))
    head = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


PNG = _png()


@pytest.fixture
def chat_repo(repo_copy: Path) -> Path:
    db = sqlite3.connect(repo_copy)
    with db:
        for user, caps in USERS.items():
            db.execute("INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (user, user + "pw", caps))
        db.execute("UPDATE user SET cap='o' WHERE login IN ('nobody','anonymous')")
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('project-name','Chat Demo',0)")
    db.close()
    return repo_copy


def _open_chat(page: Any, base: str, user: str, mode: str) -> None:
    login(page, base, user, user + "pw")
    page.goto(base + "/chat")
    page.wait_for_function(
        "want => document.getElementById('chat-status').textContent === want", arg=mode, timeout=10000
    )


def _send(page: Any, text: str) -> None:
    page.fill("#chat-input-field", text)
    page.press("#chat-input-field", "Enter")


def _seen_within(page: Any, text: str, limit: float = 2.0) -> float:
    """Seconds until a message containing ``text`` shows on ``page`` (fails past ``limit``)."""
    t0 = time.monotonic()
    page.wait_for_function(
        "t => [...document.querySelectorAll('.chat-msg .chat-body')].some(e => e.textContent.includes(t))",
        arg=text,
        timeout=int(limit * 1000) + 500,
    )
    took = time.monotonic() - t0
    assert took < limit, f"{text!r} took {took:.2f}s"
    return took


@contextmanager
def two_browsers() -> Iterator[tuple[Any, list[str], Any, list[str]]]:
    """Two separate headless chromium processes, a page in each, and the
    problems each saw (console errors, page errors, statuses >= 400)."""
    chromium = require_binary("chromium")
    with playwright()() as pw:
        out: list[Any] = []
        browsers = []
        try:
            for _ in range(2):
                browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
                browsers.append(browser)
                page = browser.new_page(viewport={"width": 900, "height": 760})
                problems: list[str] = []
                page.on(
                    "console",
                    lambda m, p=problems: (
                        p.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
                    ),
                )
                page.on("response", lambda r, p=problems: p.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                page.on("pageerror", lambda e, p=problems: p.append(str(e)))
                out += [page, problems]
            yield out[0], out[1], out[2], out[3]
        finally:
            for browser in browsers:
                browser.close()


def _conversation(base: str, mode: str, tag: str, block_events: bool) -> list[float]:
    times: list[float] = []
    with two_browsers() as (a, pa, b, pb):
        if block_events:
            for page in (a, b):
                page.route("**/events*", lambda route: route.abort())
        _open_chat(a, base, "ann", mode)
        _open_chat(b, base, "bob", mode)
        _send(a, f"Hello from **ann** ({tag}) with `code`")
        times.append(_seen_within(b, f"Hello from ann ({tag})"))
        _send(b, f"Hi ann, bob here ({tag}) - see <script>document.title='pwned'</script>")
        times.append(_seen_within(a, f"Hi ann, bob here ({tag})"))
        b.set_input_files("#chat-input-file", files=[{"name": "dot.png", "mimeType": "image/png", "buffer": PNG}])
        _send(b, f"a picture ({tag})")
        times.append(_seen_within(a, f"a picture ({tag})"))
        a.wait_for_function(
            "() => [...document.querySelectorAll('.chat-file img')].some(i => i.complete && i.naturalWidth === 48)"
        )
        _send(a, f"to be deleted ({tag})")
        times.append(_seen_within(b, f"to be deleted ({tag})"))
        assert a.title() != "pwned" and b.title() != "pwned"
        assert "<script>" in b.inner_text(".chat-msg:has-text('bob here') .chat-body")  # shown as text
        shot(a, "chat", f"{tag}-ann")
        shot(b, "chat", f"{tag}-bob")
        a.once("dialog", lambda d: d.accept())
        a.click(".chat-msg:has-text('to be deleted') .chat-delete")
        t0 = time.monotonic()
        b.wait_for_function(
            "t => ![...document.querySelectorAll('.chat-msg')].some(e => e.textContent.includes(t))",
            arg=f"to be deleted ({tag})",
            timeout=2500,
        )
        times.append(time.monotonic() - t0)
        assert times[-1] < 2.0
        # bob may delete his own messages only
        assert b.locator(".chat-msg:not(.mine) .chat-delete").count() == 0
        assert b.locator(".chat-msg.mine .chat-delete").count() == b.locator(".chat-msg.mine").count() >= 2
        assert pa == [] and pb == []
    return times


def test_two_browsers_over_events_then_long_poll(chat_repo: Path) -> None:
    with serve_app(chat_repo) as base:
        over_events = _conversation(base, "live", "events", block_events=False)
        over_poll = _conversation(base, "live (polling)", "poll", block_events=True)
    print(f"seconds until seen, events: {over_events}, long poll: {over_poll}")


def test_user_without_c_cannot_read(chat_repo: Path) -> None:
    db = sqlite3.connect(chat_repo)
    with db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS chat(msgid INTEGER PRIMARY KEY AUTOINCREMENT, mtime JULIANDAY,"
            " lmtime TEXT, xfrom TEXT, xmsg TEXT, fname TEXT, fmime TEXT, mdel INT, file BLOB)"
        )
        db.execute("INSERT INTO chat(mtime,xfrom,xmsg) VALUES(julianday('now'),'ann','top secret')")
    db.close()
    with serve_app(chat_repo) as base, chromium_page() as (page, problems):
        login(page, base, "rod", "rodpw")
        page.goto(base + "/chat")
        assert "/login" in page.url and "top secret" not in page.content()
        reply = page.evaluate("u => fetch(u).then(r => r.text())", base + "/chat-poll?before=99")
        assert reply.startswith('{"msgs":[{"isError": true,') and "top secret" not in reply
        shot(page, "chat", "no-c-capability")
        assert problems == []


def test_load_older_messages(chat_repo: Path) -> None:
    db = sqlite3.connect(chat_repo)
    with db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS chat(msgid INTEGER PRIMARY KEY AUTOINCREMENT, mtime JULIANDAY,"
            " lmtime TEXT, xfrom TEXT, xmsg TEXT, fname TEXT, fmime TEXT, mdel INT, file BLOB)"
        )
        for i in range(1, 9):
            db.execute("INSERT INTO chat(mtime,xfrom,xmsg) VALUES(julianday('now'),'bob',?)", (f"message number {i}",))
        db.execute("REPLACE INTO config(name,value,mtime) VALUES('chat-initial-history','3',0)")
    db.close()
    shown = "() => [...document.querySelectorAll('.chat-msg .chat-text')].map(e => e.textContent.trim())"
    with serve_app(chat_repo) as base, chromium_page() as (page, problems):
        _open_chat(page, base, "ann", "live")
        assert page.evaluate(shown) == ["message number 8", "message number 7", "message number 6"]
        page.click("#chat-older")
        page.wait_for_function("() => document.querySelectorAll('.chat-msg').length === 6")
        page.click("#chat-older")
        page.wait_for_function("() => document.querySelectorAll('.chat-msg').length === 8")
        assert page.evaluate(shown) == [f"message number {i}" for i in range(8, 0, -1)]
        page.wait_for_function("() => document.getElementById('chat-older').hidden")
        assert problems == []
