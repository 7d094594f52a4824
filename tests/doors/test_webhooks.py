"""Webhooks end to end: real fossil pushes to ``fossilpy server``, fossilpy's
commands and pages write, ``fossilpy backoffice`` processes deliver to a
signature-checking HTTP receiver on loopback (tests/unit/test_webhooks.py).
"""

from __future__ import annotations

import http.client
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from fossilpy.repo.db import Repo
from fossilpy.web.app import AppConfig, make_app
from tests.conftest import Runner, base_env
from tests.net import free_port, serving
from tests.unit.test_webhooks import SECRET, Receiver
from tests.web.wsgi import call


def _sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    with Repo.open(str(path)) as r:
        return r.all(query, args)


@pytest.fixture
def hooked(tmp_path: Path, fossil: Runner, fossilpy: Runner) -> Path:
    """A repository made by real fossil: setup user root (password rootpw), forum and
    ticket rights for nobody's sake given to root only, the backoffice run explicitly."""
    repo = tmp_path / "hooked.fossil"
    fossil("init", repo, "--admin-user", "root")
    fossil("user", "password", "root", "rootpw", "-R", repo)
    fossil("settings", "backoffice-disable", "1", "-R", repo)
    return repo


def _backoffice(fossilpy: Runner, repo: Path) -> None:
    fossilpy("backoffice", "--nolease", repo, timeout=60)


def _login(port: int) -> tuple[str, str]:
    """(cookie header, csrf token) of root logged in through the server."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urlencode({"u": "root", "p": "rootpw"})
    conn.request(
        "POST",
        "/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{port}"},
    )
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    return cookie, cookie.split("=", 1)[1].split("/")[0][:10]


def _post(port: int, path: str, form: dict[str, str], cookie: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        path,
        urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{port}", "Cookie": cookie},
    )
    resp = conn.getresponse()
    resp.read()
    return resp.status


def test_each_kind_arrives_once_signed_in_order(
    tmp_path: Path, hooked: Path, fossil: Runner, fossilpy: Runner, receiver: Receiver
) -> None:
    fossilpy("webhook", "add", receiver.url, "--secret", SECRET, "--events", "ci,w,t,f", "-R", hooked)
    port = free_port()
    argv = [sys.executable, "-m", "fossilpy", "server", str(hooked), "--port", str(port), "--localhost"]
    with serving(argv, port, env=fossilpy.env, cwd=tmp_path, log=tmp_path / "server.log"):
        # a check-in made and pushed by real fossil
        fossil("clone", f"http://root:rootpw@127.0.0.1:{port}/", tmp_path / "clone.fossil")
        fossil("settings", "autosync", "off", "-R", tmp_path / "clone.fossil")
        work = tmp_path / "work"
        work.mkdir()
        fossil("open", tmp_path / "clone.fossil", cwd=work)
        (work / "hello.txt").write_text("hello\n")
        fossil("add", "hello.txt", cwd=work)
        fossil("commit", "--no-warnings", "-m", "pushed by fossil", cwd=work)
        fossil("push", f"http://root:rootpw@127.0.0.1:{port}/", cwd=work)
        # a wiki page and a ticket through fossilpy's commands, a forum post through its pages
        (tmp_path / "page.txt").write_text("wiki text\n")
        fossilpy("wiki", "create", "HookPage", tmp_path / "page.txt", "-R", hooked)
        fossilpy("ticket", "add", "title", "A hooked bug", "status", "Open", "-R", hooked)
        cookie, csrf = _login(port)
        status = _post(
            port,
            "/forume1",
            {
                "title": "Hook thread",
                "content": "first post",
                "mimetype": "text/x-markdown",
                "submit": "1",
                "csrf": csrf,
            },
            cookie,
        )
        assert status == 302
    _backoffice(fossilpy, hooked)
    _backoffice(fossilpy, hooked)  # nothing twice
    assert receiver.bad == 0
    assert receiver.events() == ["checkin", "wiki", "ticket", "forum"]
    ci, wiki, tkt, forum = receiver.got
    assert ci["comment"] == "pushed by fossil" and ci["branch"] == "trunk" and ci["user"] == "root"
    assert ci["artifact"].startswith(fossil.text("info", "tip", cwd=work).split("hash:")[1].split()[0])
    assert len(ci["artifact"]) == 64
    assert (wiki["page"], wiki["action"]) == ("HookPage", "add")
    assert tkt["ticket"] == _sql(hooked, "SELECT tkt_uuid FROM ticket")[0][0]
    assert forum["comment"] == "Post: Hook thread" and forum["thread"] == forum["artifact"]
    assert len({g["delivery"] for g in receiver.got}) == 4
    assert [h["X-Fossilpy-Delivery"] for h in receiver.headers] == [g["delivery"] for g in receiver.got]
    assert _sql(hooked, "SELECT count(*) FROM fx_journal") == [(0,)]


def test_receiver_down_then_up_all_arrive_after_backoff(hooked: Path, fossilpy: Runner, tmp_path: Path) -> None:
    probe = Receiver()
    port, url = probe.port, probe.url
    probe.close()
    fossilpy("webhook", "add", url, "--secret", SECRET, "--events", "w", "-R", hooked)
    for i in range(3):
        (tmp_path / "p.txt").write_text(f"text {i}\n")
        fossilpy("wiki", "create", f"Page{i}", tmp_path / "p.txt", "-R", hooked)
    _backoffice(fossilpy, hooked)
    ((attempts, next_try, error),) = _sql(
        hooked, "SELECT attempts, next_try, last_error FROM fx_journal WHERE attempts>0"
    )
    assert attempts == 1 and "ConnectionRefusedError" in error
    assert _sql(hooked, "SELECT count(*) FROM fx_journal WHERE attempts=0") == [(2,)]
    up = Receiver(port=port)
    try:
        _backoffice(fossilpy, hooked)  # too early: the back-off holds all three
        assert up.got == []
        time.sleep(max(0.0, next_try - time.time()) + 0.5)
        _backoffice(fossilpy, hooked)
        assert [g["page"] for g in up.got] == ["Page0", "Page1", "Page2"]
    finally:
        up.close()


def test_500_then_200_two_attempts_on_the_delivery_page(
    hooked: Path, fossilpy: Runner, tmp_path: Path, receiver: Receiver
) -> None:
    fossilpy("webhook", "add", receiver.url, "--secret", SECRET, "--events", "w", "-R", hooked)
    (tmp_path / "p.txt").write_text("text\n")
    fossilpy("wiki", "create", "Flaky", tmp_path / "p.txt", "-R", hooked)
    receiver.statuses = [500]
    _backoffice(fossilpy, hooked)
    app = make_app(AppConfig(repository=str(hooked), backoffice=False))
    r = call(app, "/login", form={"u": "root", "p": "rootpw"})
    ((name, value),) = r.cookies().items()
    cookies, csrf = {name: value.replace("/", "%2F")}, value.split("/")[0][:10]
    page = call(app, "/setup_webhooks?hid=1", cookies=cookies)
    assert page.status == 200
    assert re.findall(r'<td class="attempt-result"[^>]*>([^<]*)</td>', page.text) == ["HTTP 500"]
    (delivery,) = re.findall(
        r'name="delivery" value="([0-9a-f]{32})"><input type="submit" name="redeliver" '
        r'value="Redeliver now">',
        page.text,
    )
    # Redeliver now: due at once, no waiting for the back-off
    r = call(
        app, "/setup_webhooks", form={"hid": "1", "delivery": delivery, "redeliver": "1", "csrf": csrf}, cookies=cookies
    )
    assert r.status == 302
    _backoffice(fossilpy, hooked)
    page = call(app, "/setup_webhooks?hid=1", cookies=cookies)
    assert re.findall(r'<td class="attempt-result"[^>]*>([^<]*)</td>', page.text) == ["HTTP 200", "HTTP 500"]
    assert "Nothing is waiting." in page.text
    assert page.text.count(f"<code>{delivery}</code>") == 2
    assert "X-Fossilpy-Signature-256: sha256=" in page.text and "status 500" in page.text
    assert [g["page"] for g in receiver.got] == ["Flaky"]


def test_setup_page_add_remove_refusals(hooked: Path, receiver: Receiver) -> None:
    app = make_app(AppConfig(repository=str(hooked), backoffice=False))
    r = call(app, "/login", form={"u": "root", "p": "rootpw"})
    ((name, value),) = r.cookies().items()
    cookies, csrf = {name: value.replace("/", "%2F")}, value.split("/")[0][:10]
    form = {"url": receiver.url, "secret": "k", "ev_ci": "1", "ev_f": "1", "add": "1", "csrf": csrf}
    assert call(app, "/setup_webhooks").status == 302  # login needed
    assert call(app, "/setup_webhooks", form={**form, "csrf": "forged"}, cookies=cookies).status == 403
    bad = call(app, "/setup_webhooks", form={**form, "url": "ftp://x/"}, cookies=cookies)
    assert bad.status == 400 and "the URL must be http://HOST[:PORT]/PATH" in bad.text
    assert call(app, "/setup_webhooks", form={**form, "secret": ""}, cookies=cookies).status == 400
    assert not _sql(hooked, "SELECT 1 FROM sqlite_schema WHERE name='fx_webhook'")
    ok = call(app, "/setup_webhooks", form=form, cookies=cookies)
    assert ok.status == 200 and "Webhook 1 added." in ok.text
    assert _sql(hooked, "SELECT hid, url, secret, events FROM fx_webhook") == [(1, receiver.url, "k", "ci,f")]
    test = call(app, "/setup_webhooks", form={"hid": "1", "test": "1", "csrf": csrf}, cookies=cookies)
    assert test.status == 302 and receiver.got == []  # queued, never sent by a request
    assert _sql(hooked, "SELECT kind, dest FROM fx_journal") == [("webhook", "1")]
    gone = call(app, "/setup_webhooks", form={"hid": "1", "remove": "1", "csrf": csrf}, cookies=cookies)
    assert gone.status == 200 and "Webhook 1 removed." in gone.text
    assert _sql(hooked, "SELECT count(*) FROM fx_webhook") == [(0,)]
    assert _sql(hooked, "SELECT count(*) FROM fx_journal") == [(0,)]


def test_kill_9_at_random_points_loses_nothing(hooked: Path, fossilpy: Runner, tmp_path: Path) -> None:
    slow = Receiver()
    original = slow.server.RequestHandlerClass.do_POST  # type: ignore[attr-defined]

    def do_post(handler) -> None:  # type: ignore[no-untyped-def]
        time.sleep(0.03)
        original(handler)

    slow.server.RequestHandlerClass.do_POST = do_post  # type: ignore[attr-defined]
    try:
        fossilpy("webhook", "add", slow.url, "--secret", SECRET, "--events", "w", "-R", hooked)
        with Repo.open(str(hooked)) as r:
            from tests.unit.test_webhooks import _wiki

            made = [_wiki(r, f"K{i}", f"text {i}\n").uuid for i in range(30)]
        rng = random.Random(14)
        env = base_env(tmp_path / "home")
        argv = [sys.executable, "-m", "fossilpy", "backoffice", "--nolease", str(hooked)]
        for _ in range(20):
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.15, 0.9))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        _backoffice(fossilpy, hooked)
        assert slow.bad == 0
        got = [g["artifact"] for g in slow.got]
        assert set(got) == set(made)
        # order per hook: the first arrival of each is in event order
        assert list(dict.fromkeys(got)) == made
        assert _sql(hooked, "SELECT count(*) FROM fx_journal") == [(0,)]
    finally:
        slow.close()


@pytest.fixture
def receiver() -> Receiver:  # type: ignore[misc]
    r = Receiver()
    yield r
    r.close()


def test_setup_pages_screenshots(hooked: Path, fossilpy: Runner, tmp_path: Path, receiver: Receiver) -> None:
    from tests.web.browser import chromium_page, login, serve_app, shot

    fossilpy("webhook", "add", receiver.url, "--secret", SECRET, "--events", "w,t", "-R", hooked)
    (tmp_path / "p.txt").write_text("text\n")
    fossilpy("wiki", "create", "Shown", tmp_path / "p.txt", "-R", hooked)
    receiver.statuses = [500]
    _backoffice(fossilpy, hooked)
    with Repo.open(str(hooked)) as r:
        from fossilpy.backoffice import journal

        journal.retry(r)
    _backoffice(fossilpy, hooked)
    with serve_app(hooked, backoffice=False) as base, chromium_page() as (page, problems):
        login(page, base, "root", "rootpw")
        page.goto(f"{base}/setup_webhooks")
        assert page.locator("table.webhook-list tbody tr").count() == 1
        shot(page, "webhooks", "setup-webhooks")
        page.click("text=Deliveries")
        page.wait_for_load_state()
        assert page.locator("td.attempt-result").all_inner_texts() == ["HTTP 200", "HTTP 500"]
        page.locator("summary", has_text="request").first.click()
        shot(page, "webhooks", "webhook-deliveries")
        assert problems == []


def test_events_written_by_real_fossil_itself(
    hooked: Path, fossil: Runner, fossilpy: Runner, tmp_path: Path, receiver: Receiver
) -> None:
    """fossil writing the repository file directly (no fossilpy involved) is seen too:
    the hooks' cursor is the receive id that fossil also sets."""
    fossilpy("webhook", "add", receiver.url, "--secret", SECRET, "-R", hooked)
    (tmp_path / "p.txt").write_text("by fossil\n")
    fossil("wiki", "create", "FossilPage", tmp_path / "p.txt", "-R", hooked)
    fossil("ticket", "add", "title", "from fossil", "status", "Open", "-R", hooked)
    _backoffice(fossilpy, hooked)
    assert receiver.bad == 0
    assert receiver.events() == ["wiki", "ticket"]
    assert receiver.got[0]["page"] == "FossilPage"
    assert receiver.got[1]["ticket"] == _sql(hooked, "SELECT tkt_uuid FROM ticket")[0][0]
