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
