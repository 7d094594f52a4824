"""Email alert pages: exact rows written, status codes, and refusals of bad input."""

from __future__ import annotations

import quopri
import re
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.web.conftest import enable_alerts, sql
from tests.web.wsgi import call

URL = "https://fossil.example/repo"


_sql = sql


@pytest.fixture
def arepo(repo_copy: Path) -> Path:
    """The web test repository with alerts enabled; nobody may subscribe; root is admin."""
    enable_alerts(repo_copy, URL)
    _sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    _sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES('carol','carolpw','A7o','')")
    return repo_copy


def _app(path: Path):  # type: ignore[no-untyped-def]
    return make_app(AppConfig(repository=str(path)))


def _login(app, user: str, pw: str) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    r = call(app, "/login", form={"u": user, "p": pw})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return {name: value.replace("/", "%2F")}, value.split("/")[0][:10]


def _captcha(text: str) -> dict[str, str]:
    """The captcha of a page, solved by reading its ASCII art."""
    from fossilpy.web.auth import CAPTCHA_FONT, CAPTCHA_GAP

    seed = re.search(r'name="captchaseed" value="([0-9a-f-]+)"', text).group(1)
    art = re.search(r'<pre class="captcha">(.*?)</pre>', text, re.S).group(1).split("\n")[:7]
    glyphs = {rows: digit for digit, rows in CAPTCHA_FONT.items()}
    step = 5 + CAPTCHA_GAP
    code = "".join(glyphs[tuple(row.ljust(8 * step)[i * step:i * step + 5] for row in art)] for i in range(8))
    return {"captchaseed": seed, "captcha": code}


def _subs(path: Path) -> list[tuple]:
    return _sql(path, "SELECT semail, suname, sverified, sdigest, sdonotcall, ssub FROM subscriber ORDER BY semail")


def _journal(path: Path) -> list[tuple]:
    if not _sql(path, "SELECT 1 FROM sqlite_schema WHERE name='fx_journal'"):
        return []
    return _sql(path, "SELECT kind, dest, key FROM fx_journal ORDER BY jid")


def _body(path: Path, dest: str) -> str:
    (payload,) = _sql(path, "SELECT payload FROM fx_journal WHERE dest=?", (dest,))[0]
    head, _, body = payload.partition(b"\r\n\r\n")
    return head.decode() + "\n\n" + quopri.decodestring(body).decode()


def _subscribe_anon(app, extra: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    page = call(app, "/subscribe")
    assert page.status == 200
    form = {"e": "zoe@example.org", "sc": "on", "sw": "on", "st": "on", "sf": "on", "di": "0",
            "csrf": "none", "submit": "Submit", **_captcha(page.text)}
    form.update(extra or {})
    return call(app, "/subscribe", form=form)


# -- subscribing -----------------------------------------------------------------


def test_anonymous_subscribe_sends_verification_through_the_journal(arepo) -> None:
    app = _app(arepo)
    r = _subscribe_anon(app)
    assert r.status == 200, r.text
    assert 'An email has been sent to &#34;zoe@example.org&#34;.' in r.text
    # nobody has o, 7, j, r: forum (2) is not theirs to choose
    assert _subs(arepo) == [("zoe@example.org", None, 0, 0, 0, "ctw")]
    (code,) = _sql(arepo, "SELECT hex(subscriberCode) FROM subscriber")[0]
    assert _journal(arepo) == [("email", "zoe@example.org", f"verify-{code}")]
    msg = _body(arepo, "zoe@example.org")
    assert "To: <zoe@example.org>\r\nSubject: Subscription verification\r\nFrom: <bot@fossil.example>\r\n" in msg
    assert f"\r\n   {URL}/alerts/{code}\r\n" in msg
    # verifying with the full code
    v = call(app, f"/alerts/{code}")
    assert v.status == 200 and "Your email address has been verified." in v.text
    assert _subs(arepo)[0][2] == 1


def test_subscribe_refusals_change_nothing(arepo) -> None:
    app = _app(arepo)
    for extra, status, message in (
        ({"e": "a<b>@example.org"}, 400, "illegal character in email address: 0x3c &#39;&lt;&#39;"),
        ({"e": "no-at-sign.example.org"}, 400, "email address should contain exactly one &#39;@&#39;"),
        ({"e": "x@a.b"}, 400, "email domain too short"),
        ({"e": ""}, 400, "an email address is required"),
        ({"captcha": "00000000"}, 400, "incorrect security code"),
        ({"captchaseed": "not-a-seed"}, 400, "incorrect security code"),
        ({"csrf": "forged"}, 403, "cross-site or stale form submission refused"),
    ):
        r = _subscribe_anon(app, extra)
        assert (r.status, message in r.text) == (status, True), (extra, r.text)
        assert "<b>" not in r.text
    r = call(app, "/subscribe", form={"e": "zoe@example.org", "csrf": "none", "submit": "1"},
             headers={"Origin": "http://evil.example"})
    assert r.status == 403
    assert _subs(arepo) == [] and _journal(arepo) == []


def test_subscribe_needs_cap_7(arepo) -> None:
    _sql(arepo, "UPDATE user SET cap='o' WHERE login IN ('nobody','anonymous')")
    r = call(_app(arepo), "/subscribe")
    assert r.status == 302 and "/login?g=subscribe" in r.header("Location")


def test_logged_in_user_is_verified_at_once(arepo) -> None:
    app = _app(arepo)
    cookies, csrf = _login(app, "carol", "carolpw")
    r = call(app, "/subscribe", cookies=cookies,
             form={"e": "carol@example.org", "sa": "on", "sc": "on", "sw": "on", "csrf": csrf, "submit": "1"})
    assert r.status == 302 and r.header("Location") == "http://localhost:8080/alerts"
    assert _subs(arepo) == [("carol@example.org", "carol", 1, 0, 0, "acw")]
    assert _journal(arepo) == []
    # a second visit goes to /alerts, which shows the subscription without a code
    assert call(app, "/subscribe", cookies=cookies).status == 302
    page = call(app, "/alerts", cookies=cookies)
    assert page.status == 200 and 'name="semail" value="carol@example.org"' in page.text
    # changing the address to a bad one is refused
    r = call(app, "/alerts", cookies=cookies, form={"semail": "carol@<x>.org", "csrf": csrf, "submit": "1"})
    assert r.status == 400 and "illegal character" in r.text
    assert _subs(arepo) == [("carol@example.org", "carol", 1, 0, 0, "acw")]


# -- /alerts, /unsubscribe, /renew -------------------------------------------------


def _add(arepo: Path, email: str, *, verified: int = 1, suname: str | None = None) -> str:
    _sql(arepo, "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,lastContact)"
                " VALUES(?,?,?,0,0,'cw',1,1,1)", (email, suname, verified))
    return _sql(arepo, "SELECT hex(subscriberCode) FROM subscriber WHERE semail=?", (email,))[0][0]


def test_alerts_codes(arepo) -> None:
    app = _app(arepo)
    code = _add(arepo, "una@example.org", verified=0)
    # a 32-digit prefix identifies without verifying, and renews the contact date
    r = call(app, f"/alerts/{code[:32].lower()}")
    assert r.status == 200 and "has not been verified yet" in r.text
    assert _sql(arepo, "SELECT sverified, lastContact>1 FROM subscriber") == [(0, 1)]
    for bad, status, text in (
        ("nothex" + "0" * 30, 400, "malformed subscriber code"),
        ("0123", 400, "malformed subscriber code"),
        ("<script>" + "0" * 40, 400, "malformed subscriber code"),
        ("0" * 64, 404, "no subscription has this code"),
    ):
        r = call(app, f"/alerts?name={bad}")
        assert (r.status, text in r.text, "<script>" in r.text) == (status, True, False), bad
    assert _sql(arepo, "SELECT sverified FROM subscriber") == [(0,)]
    # change the topics with the code
    r = call(app, "/alerts", form={"name": code, "sc": "on", "sdigest": "1", "csrf": "none", "submit": "1"})
    assert r.status == 200
    assert _subs(arepo) == [("una@example.org", None, 0, 1, 0, "c")]
    # delete needs the confirmation box
    r = call(app, "/alerts", form={"name": code, "csrf": "none", "delete": "1"})
    assert r.status == 400 and len(_subs(arepo)) == 1
    r = call(app, "/alerts", form={"name": code, "csrf": "none", "delete": "1", "dodelete": "on"})
    assert r.status == 200 and "has been unsubscribed" in r.text and _subs(arepo) == []


def test_unsubscribe_confirm_and_one_click(arepo) -> None:
    app = _app(arepo)
    code = _add(arepo, "u1@example.org")
    code2 = _add(arepo, "u2@example.org")
    sid = _sql(arepo, "SELECT subscriberId FROM subscriber WHERE semail='u1@example.org'")[0][0]
    page = call(app, f"/unsubscribe/{code}")
    assert page.status == 200 and f'name="confirm{sid:04x}"' in page.text and len(_subs(arepo)) == 2
    r = call(app, "/unsubscribe", form={"name": code, f"confirm{sid:04x}": "1", "csrf": "none"})
    assert r.status == 200 and '&#34;u1@example.org&#34; email address has been unsubscribed' in r.text
    # RFC 8058 one-click POST from a mail program
    r = call(app, f"/unsubscribe/{code2}", form={"List-Unsubscribe": "One-Click"})
    assert r.status == 200 and _subs(arepo) == []
    for bad, status in (("zz" * 32, 400), (code[:32], 400), (code, 404)):
        assert call(app, f"/unsubscribe/{bad}").status == status


def test_unsubscribe_by_address_mails_the_link(arepo) -> None:
    app = _app(arepo)
    code = _add(arepo, "u3@example.org")
    page = call(app, "/unsubscribe")
    r = call(app, "/unsubscribe", form={"e": "nobody-here@example.org", "csrf": "none", "submit": "1",
                                        **_captcha(page.text)})
    # the same page as for a subscribed address, and no mail
    assert r.status == 200 and _journal(arepo) == []
    assert ("If &#34;nobody-here@example.org&#34; is subscribed to notifications from this repository, an email"
            " has been sent to it that explains how to unsubscribe and/or modify your subscription settings."
            in r.text)
    page = call(app, "/unsubscribe")
    r = call(app, "/unsubscribe", form={"e": "u3@example.org", "csrf": "none", "submit": "1",
                                        **_captcha(page.text)})
    assert r.status == 200 and [j[:2] for j in _journal(arepo)] == [("email", "u3@example.org")]
    assert f"{URL}/unsubscribe/{code}" in _body(arepo, "u3@example.org")


def test_renew(arepo) -> None:
    app = _app(arepo)
    code = _add(arepo, "r@example.org")
    assert "do not expire" in call(app, f"/renew/{code}").text
    _sql(arepo, "REPLACE INTO config(name,value,mtime) VALUES('email-renew-interval','30',0)")
    r = call(app, f"/renew/{code}")
    assert r.status == 200 and "has been extended until" in r.text
    assert _sql(arepo, "SELECT lastContact = CAST(strftime('%s','now') AS INT)/86400 FROM subscriber") == [(1,)]
    assert call(app, "/renew/xyz").status == 400
    assert call(app, "/renew/" + "A" * 64).status == 404


# -- administration ------------------------------------------------------------------


def test_subscribers_page_and_html_in_names(arepo) -> None:
    app = _app(arepo)
    assert call(app, "/subscribers").status == 302  # needs admin
    _add(arepo, "a@example.org")
    cookies, csrf = _login(app, "root", "rootpw")
    sid = _sql(arepo, "SELECT subscriberId FROM subscriber")[0][0]
    r = call(app, "/alerts", cookies=cookies,
             form={"sid": str(sid), "suname": "<script>alert(1)</script>", "sverified": "on", "sc": "on",
                   "csrf": csrf, "submit": "1", "semail": "a@example.org"})
    assert r.status == 400 and "no such user: &lt;script&gt;" in r.text and "<script>alert" not in r.text
    assert _subs(arepo) == [("a@example.org", None, 1, 0, 0, "cw")]
    r = call(app, "/alerts", cookies=cookies,
             form={"sid": str(sid), "suname": "alice", "sverified": "on", "sc": "on", "csrf": csrf,
                   "submit": "1", "semail": "a@example.org"})
    assert r.status == 200 and _subs(arepo) == [("a@example.org", "alice", 1, 0, 0, "c")]
    page = call(app, "/subscribers", cookies=cookies)
    assert page.status == 200 and f'<a href="/alerts?sid={sid}">a@example.org</a>' in page.text
    _sql(arepo, "UPDATE subscriber SET sverified=0, mtime=1")
    r = call(app, "/subscribers", cookies=cookies, form={"purge": "1", "csrf": csrf})
    assert r.status == 200 and "1 unverified subscription purged" in r.text and _subs(arepo) == []


def test_announce(arepo) -> None:
    app = _app(arepo)
    _add(arepo, "w@example.org")
    _sql(arepo, "UPDATE subscriber SET ssub='acw'")
    _add(arepo, "n@example.org")
    cookies, csrf = _login(app, "carol", "carolpw")  # cap A, not admin
    form = call(app, "/announce", cookies=cookies)
    assert form.status == 200 and 'name="subject"' in form.text and 'name="to"' not in form.text
    r = call(app, "/announce", cookies=cookies, form={"subject": "", "aa": "on", "csrf": csrf, "submit": "1"})
    assert r.status == 400 and _journal(arepo) == []
    r = call(app, "/announce", cookies=cookies,
             form={"to": "x@example.org", "subject": "Release 1.0", "msg": "It is out.", "aa": "on",
                   "csrf": csrf, "submit": "1"})
    assert r.status == 200 and "queued for 1 recipient." in r.text
    assert [j[:2] for j in _journal(arepo)] == [("email", "w@example.org")]  # "to" is admin-only
    assert "Subject: [web] Release 1.0\r\n" in _body(arepo, "w@example.org")
    assert call(_app(arepo), "/announce").status == 302


def test_setup_notification(arepo) -> None:
    app = _app(arepo)
    cookies, csrf = _login(app, "root", "rootpw")
    before = _sql(arepo, "SELECT name, value FROM config WHERE name GLOB 'email-*' ORDER BY name")
    form = {"email-send-method": "carrier-pigeon", "email-url": URL, "email-self": "bot@fossil.example",
            "email-subname": "[web]", "csrf": csrf, "submit": "1"}
    r = call(app, "/setup_notification", cookies=cookies, form=form)
    assert r.status == 400 and 'unknown email-send-method &#34;carrier-pigeon&#34;' in r.text
    for k, v in (("email-url", "ftp://x"), ("email-self", "bot<at>x"), ("email-renew-interval", "soon"),
                 ("email-subname", "a\nBcc: x@y"), ("email-reply-address", "reply at x"),
                 ("email-reply-days", "0"), ("email-reply-days", "-3")):
        r = call(app, "/setup_notification", cookies=cookies, form={**form, "email-send-method": "dir", k: v})
        assert r.status == 400, k
    assert _sql(arepo, "SELECT name, value FROM config WHERE name GLOB 'email-*' ORDER BY name") == before
    r = call(app, "/setup_notification", cookies=cookies,
             form={**form, "email-send-method": "dir", "email-send-dir": "/tmp/mail-out"})
    assert r.status == 200 and "Settings saved." in r.text
    assert _sql(arepo, "SELECT name, value FROM config WHERE name GLOB 'email-*' ORDER BY name") == [
        ("email-self", "bot@fossil.example"), ("email-send-dir", "/tmp/mail-out"),
        ("email-send-method", "dir"), ("email-subname", "[web]"), ("email-url", URL)]
    r = call(app, "/setup_notification", cookies=cookies,
             form={**form, "email-send-method": "dir", "email-send-dir": "/tmp/mail-out",
                   "email-reply-address": "reply@fossil.example", "email-reply-days": "30"})
    assert r.status == 200 and 'name="email-reply-address" value="reply@fossil.example"' in r.text.replace("\n", " ")
    assert _sql(arepo, "SELECT value FROM config WHERE name IN ('email-reply-address','email-reply-days')"
                " ORDER BY name") == [("reply@fossil.example",), ("30",)]
    _cookies, alice_csrf = _login(app, "alice", "pw1")
    assert call(app, "/setup_notification", cookies=_cookies).status == 302


def test_delivery_page_retry_and_drop(arepo) -> None:
    from fossilpy.backoffice import journal
    from fossilpy.repo.db import Repo

    with Repo.open(str(arepo)) as r:
        journal.add(r, "email", "q@example.org", "<k1@x>", "msg")
        journal.add(r, "email", "f@example.org", "<k2@x>", "msg")
        (e,) = [x for x in journal.due(r, "email") if x.dest == "f@example.org"]
        journal.failed(r, e, "relay 127.0.0.1:25 said 550 <no such user>", permanent=True)
        r.config_set("backoffice-peers", "http://u:secret@peer.example/ push 60\nbogus\n")
    app = _app(arepo)
    assert call(app, "/delivery").status == 302
    cookies, csrf = _login(app, "root", "rootpw")
    page = call(app, "/delivery", cookies=cookies)
    assert page.status == 200
    assert "<td>q@example.org</td>\n<td>pending</td>" in page.text
    assert "<td>f@example.org</td>\n<td>failed</td>" in page.text
    assert "550 &lt;no such user&gt;" in page.text
    assert "http://u@peer.example/" in page.text and "secret" not in page.text
    assert ("Malformed line 2 of backoffice-peers (bogus): a repository file must be given by its absolute path"
            in page.text)
    jids = {d: j for j, d in _sql(arepo, "SELECT jid, dest FROM fx_journal")}
    r = call(app, "/delivery", cookies=cookies, form={"jid": str(jids["f@example.org"]), "retry": "1", "csrf": csrf})
    assert r.status == 200
    assert _sql(arepo, "SELECT state, next_try FROM fx_journal WHERE dest='f@example.org'") == [("pending", 0)]
    r = call(app, "/delivery", cookies=cookies, form={"jid": str(jids["q@example.org"]), "drop": "1", "csrf": csrf})
    assert r.status == 200 and [j[1] for j in _journal(arepo)] == ["f@example.org"]
    for form, status in (({"jid": "1; DROP TABLE x", "drop": "1"}, 400), ({"jid": "999", "drop": "1"}, 404),
                         ({"jid": "1"}, 400), ({"jid": str(jids["f@example.org"]), "drop": "1", "csrf": "x"}, 403)):
        if "csrf" not in form:
            form = {**form, "csrf": csrf}
        assert call(app, "/delivery", cookies=cookies, form=form).status == status, form
    assert [j[1] for j in _journal(arepo)] == ["f@example.org"]
    # peers: a malformed list is refused; the shown (masked) password survives a save
    r = call(app, "/delivery", cookies=cookies, form={"peers": "http://h.example/ sideways", "csrf": csrf})
    assert r.status == 400 and 'unknown direction &#34;sideways&#34;' in r.text
    assert _sql(arepo, "SELECT value FROM config WHERE name='backoffice-peers'") == [
        ("http://u:secret@peer.example/ push 60\nbogus\n",)]
    r = call(app, "/delivery", cookies=cookies,
             form={"peers": "http://u:****@peer.example/ push 60\r\nhttps://other.example/", "csrf": csrf})
    assert r.status == 200
    assert _sql(arepo, "SELECT value FROM config WHERE name='backoffice-peers'") == [
        ("http://u:secret@peer.example/ push 60\nhttps://other.example/\n",)]


def test_pages_when_alerts_are_not_enabled(repo_copy) -> None:
    app = _app(repo_copy)
    _sql(repo_copy, "UPDATE user SET cap='o7' WHERE login='nobody'")
    for page in ("/subscribe", "/alerts/" + "0" * 64, "/unsubscribe", "/renew/" + "0" * 64):
        r = call(app, page)
        assert r.status == 404 and "Email alerts are not enabled on this repository." in r.text, page
    assert not _sql(repo_copy, "SELECT 1 FROM sqlite_schema WHERE name='subscriber'")


def test_admin_pages_before_anything_was_journaled(repo_copy) -> None:
    _sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    app = _app(repo_copy)
    cookies, csrf = _login(app, "root", "rootpw")
    page = call(app, "/delivery", cookies=cookies)
    assert page.status == 200 and "Nothing has been journaled." in page.text and "No peers." in page.text
    page = call(app, "/setup_notification", cookies=cookies)
    assert page.status == 200 and "the alert tables do not exist yet" in page.text
    assert not _sql(repo_copy, "SELECT 1 FROM sqlite_schema WHERE name IN ('subscriber','fx_journal')")
    r = call(app, "/setup_notification", cookies=cookies,
             form={"email-send-method": "off", "csrf": csrf, "submit": "1"})
    assert r.status == 200 and "email-send-method is off" in r.text
    assert _sql(repo_copy, "SELECT count(*) FROM sqlite_schema WHERE name IN ('subscriber','pending_alert')") == [(2,)]


def test_delivery_choice_names_and_selection(arepo) -> None:
    """Both forms share one Topics/Delivery partial; the field keeps Fossil's name on each page."""
    app = _app(arepo)
    page = call(app, "/subscribe").text
    assert ('<select name="di" size="1">\n<option value="0" selected>Individual Emails</option>\n'
            '<option value="1">Daily Digest</option>\n</select>') in page
    code = _add(arepo, "dig@example.org", verified=1)
    r = call(app, "/alerts", form={"name": code, "sc": "on", "sdigest": "1", "csrf": "none", "submit": "1"})
    assert r.status == 200
    assert ('<select name="sdigest" size="1">\n<option value="0">Individual Emails</option>\n'
            '<option value="1" selected>Daily Digest</option>\n</select>') in r.text
    assert '<input type="checkbox" name="sc" checked> Check-ins</label>' in r.text
