"""Alerts composed by fossilpy equal those of Fossil 2.21 for the same events."""

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from fossilpy.backoffice import alerts, journal
from fossilpy.repo.db import Repo

pytestmark = pytest.mark.compat

SETTINGS = {
    "email-send-method": "dir",
    "email-url": "https://fossil.example/repo",
    "email-subname": "[demo]",
    "email-self": "bot@fossil.example",
}


def _normalize(text: str) -> str:
    text = re.sub(r"Date: [^\r]*", "Date: D", text)
    return re.sub(r"Message-Id: <[0-9a-f]+x[0-9a-f]{16}@", "Message-Id: <ID@", text)


@pytest.fixture
def alert_repo(fossil, tmp_path) -> Path:
    """A repository with subscribers and pending alerts made by real fossil."""
    fossil("init", "r.fossil")
    for k, v in SETTINGS.items():
        fossil("settings", k, v, "-R", "r.fossil")
    fossil("alerts", "status", "-R", "r.fossil")
    fossil("user", "new", "rita", "rita@x", "pw", "-R", "r.fossil")
    fossil("user", "capabilities", "rita", "u", "-R", "r.fossil")  # reader: o? no -> via u
    fossil("user", "new", "ann", "ann@x", "pw", "-R", "r.fossil")
    fossil("user", "capabilities", "ann", "j", "-R", "r.fossil")  # wiki only
    db = sqlite3.connect(tmp_path / "r.fossil")
    db.executescript(
        "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,lastContact)"
        " VALUES('root@x','root',1,0,0,'acftw',1,1,1000000),"
        "       ('rita@x','rita',1,0,0,'cftw',1,1,1000000),"
        "       ('ann@x','ann',1,0,0,'cw',1,1,1000000),"
        "       ('anon@x',NULL,1,0,0,'cw',1,1,1000000),"
        "       ('digest@x','root',1,0,1,'acftw',1,1,1000000),"
        "       ('unverified@x','root',0,0,0,'acftw',1,1,1000000);"
    )
    db.commit()
    db.close()
    fossil("settings", "autosync", "off", "-R", "r.fossil")
    (tmp_path / "wd").mkdir()
    fossil("open", "../r.fossil", "--nosync", cwd=tmp_path / "wd")
    (tmp_path / "wd" / "a.txt").write_text("hello\n")
    fossil("add", "a.txt", cwd=tmp_path / "wd")
    fossil("commit", "-m", "first: add a=1", "--no-warnings", cwd=tmp_path / "wd")
    fossil("tag", "add", "release", "trunk", cwd=tmp_path / "wd")
    (tmp_path / "page.txt").write_text("Wiki *text*\n")
    fossil("wiki", "create", "Home Page", "page.txt", "-R", "r.fossil")
    fossil("ticket", "add", "title", "Crash: on start", "status", "Open", "type", "Code_Defect",
           "-R", "r.fossil")
    fossil("close", cwd=tmp_path / "wd")
    return tmp_path / "r.fossil"


def test_instant_alerts_match_fossil(fossil, alert_repo, tmp_path) -> None:
    theirs_repo = tmp_path / "theirs.fossil"
    shutil.copy(alert_repo, theirs_repo)
    out_f, out_p = tmp_path / "out-fossil", tmp_path / "out-fossilpy"
    out_f.mkdir()
    out_p.mkdir()
    fossil("settings", "email-send-dir", out_f, "-R", theirs_repo)
    pending_before = fossil.text("alerts", "pending", "-R", theirs_repo)
    assert pending_before.count("\n") >= 3
    fossil("alerts", "send", "-R", theirs_repo)

    r = Repo.open(str(alert_repo))
    r.config_set("email-send-dir", str(out_p))
    # root (all), rita (reader caps), ann (w), anon@x (nobody+anonymous caps)
    assert alerts.queue(r) == 4
    # journaled but not yet delivered: nothing in the directory
    assert list(out_p.iterdir()) == []
    assert alerts.deliver(r) == 4
    assert r.one("SELECT count(*) FROM fx_journal") == 0
    pending_ours = r.all("SELECT eventid, sentSep, sentDigest FROM pending_alert ORDER BY 1")
    r.close()

    theirs = sorted(_normalize(p.read_text()) for p in out_f.iterdir())
    ours = sorted(_normalize(p.read_text()) for p in out_p.iterdir())
    assert ours == theirs
    fossil_pending = fossil.text("sql", "-R", theirs_repo,
                                 "SELECT eventid, sentSep, sentDigest FROM pending_alert ORDER BY 1")
    assert [f"'{e}',{a},{b}" for e, a, b in pending_ours] == fossil_pending.split()


def test_digest_matches_fossil(fossil, alert_repo, tmp_path) -> None:
    theirs_repo = tmp_path / "theirs.fossil"
    shutil.copy(alert_repo, theirs_repo)
    out_f, out_p = tmp_path / "df", tmp_path / "dp"
    out_f.mkdir()
    out_p.mkdir()
    fossil("settings", "email-send-dir", out_f, "-R", theirs_repo)
    fossil("alerts", "send", "--digest", "-R", theirs_repo)
    r = Repo.open(str(alert_repo))
    r.config_set("email-send-dir", str(out_p))
    assert alerts.queue(r, digest=True) == 1
    assert alerts.deliver(r) == 1
    r.close()
    theirs = [_normalize(p.read_text()) for p in out_f.iterdir()]
    ours = [_normalize(p.read_text()) for p in out_p.iterdir()]
    assert ours == theirs and "To: <digest@x>" in ours[0]


def test_alerts_wait_in_journal_while_delivery_fails(alert_repo, tmp_path) -> None:
    r = Repo.open(str(alert_repo))
    r.config_set("email-send-dir", str(tmp_path / "missing-dir"))
    assert alerts.queue(r) == 4
    assert alerts.deliver(r) == 0
    rows = r.all("SELECT dest, attempts, state, last_error FROM fx_journal ORDER BY dest")
    assert [(d, a, s) for d, a, s, _ in rows] == [
        ("ann@x", 1, "pending"), ("anon@x", 1, "pending"), ("rita@x", 1, "pending"),
        ("root@x", 1, "pending")]
    assert rows[0][3].startswith('cannot write to email-send-dir "')
    assert alerts.queue(r) == 0  # already consumed; nothing is queued twice
    (tmp_path / "missing-dir").mkdir()
    journal.retry(r)
    assert alerts.deliver(r) == 4
    assert len(list((tmp_path / "missing-dir").iterdir())) == 4
    r.close()


def test_alerts_need_all_four_settings(alert_repo) -> None:
    r = Repo.open(str(alert_repo))
    r.config_unset("email-subname")
    assert not alerts.enabled(r)
    assert alerts.queue(r) == 0
    assert alerts.problems(r) == ['missing "email-subname" setting',
                                  'missing "email-send-dir" setting']
    r.config_set("email-send-method", "smtp")
    r.config_set("email-subname", "[x]")
    assert alerts.problems(r) == [
        'unknown email-send-method "smtp" (use one of off, pipe, db, dir, relay, stdout)']
    r.close()


def _add_subscribers(path: Path, n: int) -> list[str]:
    db = sqlite3.connect(path)
    emails = [f"s{i:03d}@example.org" for i in range(n)]
    db.executemany(
        "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,lastContact)"
        " VALUES(?,'root',1,0,0,'acftw',1,1,1000000)", [(e,) for e in emails])
    db.commit()
    db.close()
    return emails


@pytest.mark.doors
def test_sigkill_at_random_points_loses_nothing(fossilpy, alert_repo, tmp_path) -> None:
    import random
    import signal
    import subprocess
    import sys
    import time

    from tests.net import free_port
    from tests.smtp_server import SmtpServer

    emails = _add_subscribers(alert_repo, 400)
    # instant alerts, plus the day's first digest for digest@x
    expected = set(emails) | {"root@x", "rita@x", "ann@x", "anon@x", "digest@x"}
    server = SmtpServer(free_port(), delay=0.02)  # a full run takes ~8 s: kills land mid-run
    server.up()
    try:
        r = Repo.open(str(alert_repo))
        r.config_set("email-send-method", "relay")
        r.config_set("email-send-relayhost", f"127.0.0.1:{server.port}")
        r.close()
        rng = random.Random(20261122)
        argv = [sys.executable, "-m", "fossilpy", "backoffice", "--nolease", str(alert_repo)]
        killed_while_running = 0
        for _ in range(20):
            proc = subprocess.Popen(argv, env=fossilpy.env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.05, 0.8))
            if proc.poll() is None:
                killed_while_running += 1
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert killed_while_running >= 15  # most kills hit a running backoffice
        fossilpy("backoffice", "--nolease", alert_repo)
        r = Repo.open(str(alert_repo))
        assert r.one("SELECT count(*) FROM fx_journal") == 0
        assert r.one("SELECT count(*) FROM pending_alert WHERE NOT sentSep") == 0
        r.close()
    finally:
        server.down()
    by_dest: dict[str, set[str]] = {}
    for m in server.messages:
        (dest,) = m.rcpt_tos
        mid = re.search(rb"\r\nMessage-Id: (<[^>]+>)\r\n", m.data).group(1).decode()
        by_dest.setdefault(dest, set()).add(mid)
    assert set(by_dest) == expected  # every alert delivered at least once
    assert all(len(ids) == 1 for ids in by_dest.values())  # duplicates share the Message-Id
    assert len(server.messages) >= len(expected)


@pytest.mark.doors
def test_smtp_down_then_up(fossilpy, alert_repo) -> None:
    from tests.net import free_port
    from tests.smtp_server import SmtpServer

    server = SmtpServer(free_port())
    r = Repo.open(str(alert_repo))
    r.config_set("email-send-method", "relay")
    r.config_set("email-send-relayhost", f"127.0.0.1:{server.port}")
    r.close()
    fossilpy("backoffice", "--nolease", alert_repo)  # server is down
    r = Repo.open(str(alert_repo))
    rows = r.all("SELECT dest, attempts, state FROM fx_journal ORDER BY dest")
    assert rows == [("ann@x", 1, "pending"), ("anon@x", 1, "pending"), ("digest@x", 1, "pending"),
                    ("rita@x", 1, "pending"), ("root@x", 1, "pending")]
    assert "unreachable" in r.one("SELECT last_error FROM fx_journal LIMIT 1")
    r.execute("UPDATE fx_journal SET next_try=0")  # the back-off has passed
    r.close()
    server.up()
    try:
        fossilpy("backoffice", "--nolease", alert_repo)
    finally:
        server.down()
    assert sorted(m.rcpt_tos[0] for m in server.messages) == [
        "ann@x", "anon@x", "digest@x", "rita@x", "root@x"]
    r = Repo.open(str(alert_repo))
    assert r.one("SELECT count(*) FROM fx_journal") == 0
    assert r.one("SELECT count(*) FROM fx_journal_log") == 5
    r.close()


def test_alerts_cli(fossil, fossilpy, alert_repo, tmp_path) -> None:
    assert fossilpy.text("alerts", "pending", "-R", alert_repo) == \
        fossil.text("alerts", "pending", "-R", alert_repo)
    assert fossilpy.text("alerts", "subscribers", "rit", "-R", alert_repo) == "rita@x\n"
    out = tmp_path / "mail"
    fossil("settings", "email-send-dir", out, "-R", alert_repo)
    res = fossilpy("alerts", "send", "-R", alert_repo)  # directory missing: kept in journal
    assert res.stdout.decode() == "queued 4, delivered 0\n"
    status = fossilpy.text("alerts", "status", "-R", alert_repo)
    assert "journal-retrying              4\n" in status
    assert "pending-alerts                0\n" in status
    journal_lines = fossilpy.text("alerts", "journal", "-R", alert_repo).splitlines()
    assert len(journal_lines) == 4
    assert all(" email     retrying   1 in " in line for line in journal_lines)
    assert "cannot write to email-send-dir" in journal_lines[0]
    out.mkdir()
    assert fossilpy.text("alerts", "retry", "-R", alert_repo) == "4 entries due now\n"
    assert fossilpy.text("alerts", "send", "-R", alert_repo) == "queued 0, delivered 4\n"
    assert len(list(out.iterdir())) == 4
    status = fossilpy.text("alerts", "status", "-R", alert_repo)
    assert "journal-delivered             4\n" in status
    bad = fossilpy("alerts", "unsubscribe", "nobody@nowhere", "-R", alert_repo, check=False)
    assert (bad.returncode, bad.stderr) == (1, b"fossilpy: no subscriber with address nobody@nowhere\n")
    fossilpy("alerts", "unsubscribe", "ann@x", "-R", alert_repo)
    assert "ann@x" not in fossilpy.text("alerts", "subscribers", "-R", alert_repo)
    bad = fossilpy("alerts", "retry", "77", "-R", alert_repo, check=False)
    assert (bad.returncode, bad.stderr) == (1, b"fossilpy: no journal entry 77\n")


# -- events pushed by real fossil to `fossilpy server` --------------------------------


def _forum_artifact(title: str, text: str, user: str) -> bytes:
    """A first forum post, in Fossil's card order (D H N U W Z)."""
    import hashlib
    import time as _t

    esc = title.replace("\\", "\\\\").replace(" ", "\\s").replace("\n", "\\n")
    body = (f"D {_t.strftime('%Y-%m-%dT%H:%M:%S', _t.gmtime())}.000\nH {esc}\nN text/x-markdown\n"
            f"U {user}\nW {len(text.encode())}\n{text}\n").encode()
    return body + b"Z " + hashlib.md5(body).hexdigest().encode() + b"\n"


def _received(server) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """recipient -> decoded messages (headers + QP-decoded body)."""
    import quopri

    out: dict[str, list[str]] = {}
    for m in server.messages:
        head, _, body = m.data.partition(b"\r\n\r\n")
        text = (head.decode() + "\n\n" + quopri.decodestring(body).decode()).replace("\r\n", "\n")
        for rcpt in m.rcpt_tos:
            out.setdefault(rcpt, []).append(text)
    return out


@pytest.mark.doors
def test_events_pushed_by_fossil_alert_the_right_subscribers(fossil, fossilpy, tmp_path, home) -> None:
    """Check-in, wiki edit, ticket change and forum post, pushed by fossil to `fossilpy server`."""
    import sys
    import time

    from tests.conftest import base_env
    from tests.net import free_port, serving
    from tests.smtp_server import SmtpServer

    server = SmtpServer(free_port())
    server.up()
    fossil("init", "S.fossil")
    s = tmp_path / "S.fossil"
    url = "http://fossil.example/s"
    for k, v in {"email-send-method": "relay", "email-send-relayhost": f"127.0.0.1:{server.port}",
                 "email-url": url, "email-subname": "[S]", "email-self": "bot@fossil.example"}.items():
        fossil("settings", k, v, "-R", s)
    fossil("alerts", "status", "-R", s)  # creates subscriber and pending_alert
    fossil("user", "password", "root", "pw", "-R", s)
    for login, cap in (("ann", "j"), ("tom", "r"), ("fay", "2")):
        fossil("user", "new", login, f"{login}@x", "pw", "-R", s)
        fossil("user", "capabilities", login, cap, "-R", s)
    db = sqlite3.connect(s)
    with db:
        db.execute("UPDATE user SET cap='' WHERE login IN ('nobody','anonymous')")
        db.executescript(
            "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,lastContact)"
            " VALUES('root@x','root',1,0,0,'acftw',1,1,100000),"
            "       ('ann@x','ann',1,0,0,'cftw',1,1,100000),"
            "       ('tom@x','tom',1,0,0,'cftw',1,1,100000),"
            "       ('fay@x','fay',1,0,0,'cftw',1,1,100000),"
            "       ('nocaps@x',NULL,1,0,0,'acftw',1,1,100000),"
            "       ('digest@x','root',1,0,1,'acftw',1,1,100000);"
            # today's digest has gone out already: the digest below is tomorrow's
            "REPLACE INTO config(name,value,mtime) VALUES('email-last-digest',"
            "  CAST(julianday('now') AS INT),0);"
        )
    db.close()
    fossil("clone", s, "W.fossil")
    fossil("settings", "autosync", "off", "-R", "W.fossil")
    wd = tmp_path / "wd"
    wd.mkdir()
    fossil("open", "../W.fossil", "--nosync", cwd=wd)
    (wd / "f.txt").write_text("v1\n")
    fossil("add", "f.txt", cwd=wd)
    fossil("commit", "-m", "pushed check-in", "--no-warnings", cwd=wd)
    (tmp_path / "page.txt").write_text("Some *wiki*\n")
    fossil("wiki", "create", "Plans", "../page.txt", cwd=wd)
    fossil("ticket", "add", "title", "Crash on start", "status", "Open", cwd=wd)
    (tmp_path / "post.txt").write_bytes(_forum_artifact("Release plans", "When is 1.0 due?", "root"))
    fossil("test-content-put", tmp_path / "post.txt", cwd=wd)
    port = free_port()
    env = base_env(home)
    argv = [sys.executable, "-m", "fossilpy", "server", str(s), "--port", str(port), "--localhost"]
    try:
        with serving(argv, port, env=env, cwd=tmp_path, log=tmp_path / "server.out"):
            fossil("push", f"http://root:pw@127.0.0.1:{port}/", "-R", "W.fossil")
            deadline = time.monotonic() + 90
            want = {"root@x", "ann@x", "tom@x", "fay@x"}
            while time.monotonic() < deadline and not (set(_received(server)) >= want
                                                      and len(server.messages) >= 5):
                time.sleep(0.3)
            time.sleep(1)  # nothing more should arrive
        got = _received(server)
        assert sorted((k, len(v)) for k, v in got.items()) == [
            ("ann@x", 1), ("fay@x", 1), ("root@x", 2), ("tom@x", 1)], got
        activity = [m for m in got["root@x"] if "Subject: [S] activity alert" in m]
        forum = [m for m in got["root@x"] if "Subject: [S] Release plans" in m]
        assert len(activity) == 1 and len(forum) == 1
        for label in ("Check-In ==\npushed check-in (user: root tags: trunk)", "Wiki Added ==\nPlans",
                      "Ticket Change ==\nNew ticket", f"-- \nSubscription info: {url}/alerts/"):
            assert label in activity[0], (label, activity[0])
        assert "When is 1.0 due?" in forum[0] and "\nFrom: root <" in forum[0], forum[0]
        assert "Wiki Added ==\nPlans" in got["ann@x"][0] and "Check-In" not in got["ann@x"][0] \
            and "Ticket Change" not in got["ann@x"][0]
        assert "Ticket Change ==" in got["tom@x"][0] and "Wiki" not in got["tom@x"][0]
        assert "Subject: [S] Release plans" in got["fay@x"][0]
        # the pushed events were queued by the crosslink trigger and are all consumed
        assert sorted(e[0] for (e,) in sqlite3.connect(s).execute("SELECT eventid FROM pending_alert")) \
            == ["c", "f", "t", "w"]  # sent instantly, waiting for the digest
        # a day later: exactly one digest, with every event, then none until the next day
        before = len(server.messages)
        db = sqlite3.connect(s)
        with db:
            db.execute("UPDATE config SET value=value-1 WHERE name='email-last-digest'")
        db.close()
        fossilpy("test-backoffice-lease", "--reset", "-R", s)
        fossilpy("backoffice", s)
        fossilpy("test-backoffice-lease", "--reset", "-R", s)
        fossilpy("backoffice", s)
        digests = server.messages[before:]
        assert [m.rcpt_tos for m in digests] == [["digest@x"]]
        text = _received(server)["digest@x"][0]
        for label in ("Check-In ==", "Wiki Added ==", "Ticket Change ==", "Release plans"):
            assert label in text, label
        assert sqlite3.connect(s).execute("SELECT count(*) FROM pending_alert").fetchone() == (0,)
        # rebuilding recreates every event row but queues no alert (as Fossil)
        fossilpy("rebuild", s)
        assert sqlite3.connect(s).execute("SELECT count(*) FROM pending_alert").fetchone() == (0,)
        assert sqlite3.connect(s).execute("SELECT count(*) FROM event").fetchone()[0] >= 4
    finally:
        server.down()


def test_bad_mail_settings_give_log_lines_and_status(fossilpy, alert_repo, tmp_path) -> None:
    from tests.net import free_port

    log = tmp_path / "bo.log"
    r = Repo.open(str(alert_repo))
    r.config_set("email-send-method", "smtp")
    r.close()
    fossilpy("backoffice", "--nolease", "--logfile", log, alert_repo)
    line = log.read_text()
    assert ("deliveries-warning email not delivered (5x): unknown email-send-method \"smtp\""
            " (use one of off, pipe, db, dir, relay, stdout)") in line, line
    assert "alerts-enabled                no: unknown email-send-method \"smtp\"" in fossilpy.text(
        "alerts", "status", "-R", alert_repo)
    dead = free_port()
    r = Repo.open(str(alert_repo))
    r.config_set("email-send-method", "relay")
    r.config_set("email-send-relayhost", f"127.0.0.1:{dead}")
    r.execute("UPDATE fx_journal SET next_try=0")
    r.close()
    fossilpy("backoffice", "--nolease", "--logfile", log, alert_repo)
    second = log.read_text().splitlines()[1]
    assert f"deliveries-warning email not delivered (5x): relay 127.0.0.1:{dead} unreachable:" in second
    r = Repo.open(str(alert_repo))
    assert r.all("SELECT DISTINCT attempts, state FROM fx_journal") == [(2, "pending")]
    r.close()
