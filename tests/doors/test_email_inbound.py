"""Reply by email: an alert received by aiosmtpd, answered, piped to `fossilpy email-inbound`.

The repository is made by real fossil; the backoffice sends the alerts
over SMTP to aiosmtpd; each reply is built from the message received
(its Reply-To, Message-Id, quoted body) and piped to the command as an
MTA would.  Real fossil reads what was posted (`fossil artifact`,
`fossil test-integrity`, `fossil sql`).
"""

from __future__ import annotations

import email
import email.policy
import re
import sqlite3
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from fossilpy.artifact.manifest import ArtifactType, Manifest
from fossilpy.backoffice import reply_token
from fossilpy.repo import docwrite
from fossilpy.repo.db import Repo
from fossilpy.web.app import AppConfig, make_app
from tests.net import free_port
from tests.smtp_server import SmtpServer
from tests.web.wsgi import call

pytestmark = pytest.mark.doors

URL = "http://fossil.example/r"
REPLY = "fossil-reply@example.org"


def _received(server: SmtpServer, rcpt: str) -> EmailMessage:
    (m,) = [m for m in server.messages if m.rcpt_tos == [rcpt]]
    msg = email.message_from_bytes(m.data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _reply_address(msg: EmailMessage) -> str:
    (addr,) = msg["Reply-To"].addresses
    return str(addr.addr_spec)


def _reply(
    alert: EmailMessage, sender: str, text: str, *, mid: str, to: str | None = None, html: str | None = None
) -> bytes:
    """A reply as a mail client writes it: Re: subject, In-Reply-To, the alert quoted, a signature."""
    original = alert.get_content().replace("\r\n", "\n")
    quoted = "\n".join("> " + line if line else ">" for line in original.rstrip("\n").split("\n"))
    r = EmailMessage()
    r["From"] = f"Someone <{sender}>"
    r["To"] = to or _reply_address(alert)
    r["Subject"] = "Re: " + str(alert["Subject"])
    r["Message-Id"] = mid
    if alert["Message-Id"]:
        r["In-Reply-To"] = str(alert["Message-Id"])
        r["References"] = str(alert["Message-Id"])
    r["Date"] = "Thu, 03 Dec 2026 16:00:00 +0000"
    body = (
        f"{text}\n\nOn Thu, Dec 3, 2026 at 4:00 PM Fossil <bot@fossil.example>\nwrote:\n{quoted}\n\n"
        "-- \nSent from my phone\n"
    )
    if html is None:
        r.set_content(body)
    else:
        r.set_content(html, subtype="html")
    return r.as_bytes()


@pytest.fixture
def setup(fossil, fossilpy, tmp_path):  # type: ignore[no-untyped-def]
    """A repository with a forum thread and a ticket, alerts sent to aiosmtpd."""
    server = SmtpServer(free_port())
    server.up()
    fossil("init", "r.fossil")
    repo = tmp_path / "r.fossil"
    for k, v in {
        "email-send-method": "relay",
        "email-send-relayhost": f"127.0.0.1:{server.port}",
        "email-url": URL,
        "email-subname": "[R]",
        "email-self": "bot@fossil.example",
    }.items():
        fossil("settings", k, v, "-R", repo)
    fossilpy("settings", "email-reply-address", REPLY, "-R", repo)
    fossil("alerts", "status", "-R", repo)  # creates subscriber and pending_alert
    for login, cap in (("ann", "234"), ("eve", "2"), ("tom", "rc"), ("ned", "234"), ("una", "23")):
        fossil("user", "new", login, f"{login}@x", "pw", "-R", repo)
        fossil("user", "capabilities", login, cap, "-R", repo)
    db = sqlite3.connect(repo)
    with db:
        db.execute("UPDATE user SET cap='2r' WHERE login='nobody'")
        db.execute("UPDATE user SET cap='' WHERE login='anonymous'")
        db.executescript(
            "INSERT INTO subscriber(semail,suname,sverified,sdonotcall,sdigest,ssub,sctime,mtime,lastContact)"
            " VALUES('ann@x','ann',1,0,0,'f',1,1,100000),"
            "       ('eve@x','eve',1,0,0,'f',1,1,100000),"
            "       ('tom@x','tom',1,0,0,'t',1,1,100000),"
            "       ('ned@x',NULL,1,0,0,'f',1,1,100000),"
            "       ('una@x','una',1,0,0,'f',1,1,100000),"
            "       ('mix@x','root',1,0,0,'tw',1,1,100000);"
        )
    db.close()
    fossil("ticket", "add", "title", "Crash on start", "status", "Open", "-R", repo)
    (tmp_path / "page.txt").write_text("Plans\n")
    fossil("wiki", "create", "Plans", tmp_path / "page.txt", "-R", repo)
    r = Repo.open(str(repo))
    post = docwrite.commit(
        r,
        Manifest(
            type=ArtifactType.FORUM,
            date=docwrite.now_date(),
            forum_title="Release plans",
            mimetype="text/x-markdown",
            user="root",
            text="When is 1.0 due?\n",
        ),
    )
    r.close()
    try:
        fossilpy("backoffice", "--nolease", repo)
    finally:
        server.down()
    tkt = fossil.text("sql", "-R", repo, "SELECT tkt_uuid FROM ticket").strip().strip("'")
    return {"repo": repo, "server": server, "post": post.uuid, "tkt": tkt}


def _blobs(repo: Path) -> int:
    return sqlite3.connect(repo).execute("SELECT count(*) FROM blob").fetchone()[0]


def _inbound(fossilpy, repo: Path, data: bytes, *extra: str):  # type: ignore[no-untyped-def]
    return fossilpy("email-inbound", repo, *extra, input=data, check=False)


def test_forum_reply_by_email(fossil, fossilpy, setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo, post = setup["repo"], setup["post"]
    alert = _received(setup["server"], "ann@x")
    reply_to = _reply_address(alert)
    assert re.fullmatch(r"fossil-reply\+[a-z2-7]{40}@example\.org", reply_to), reply_to
    assert len(reply_to.split("@")[0]) <= 64  # RFC 5321 local part
    raw = [m.data for m in setup["server"].messages if m.rcpt_tos == ["ann@x"]][0]
    assert f"\r\nReply-To: <{reply_to}>\r\n".encode() in raw
    assert str(alert["Message-Id"]) == f"<{post[:32]}@fossil.example>"
    eve_alert = _received(setup["server"], "eve@x")
    assert eve_alert["Reply-To"] != alert["Reply-To"]  # one address per subscriber
    # tom's activity alert is about the one ticket only: it carries a reply address too
    assert re.fullmatch(r"fossil-reply\+[a-z2-7]{40}@example\.org", _reply_address(_received(setup["server"], "tom@x")))
    # an activity alert about a ticket and a wiki page could not say what a reply answers: none
    mix = _received(setup["server"], "mix@x")
    assert "Ticket Change ==" in mix.get_content() and "Wiki Added ==" in mix.get_content()
    assert mix["Reply-To"] is None

    data = _reply(alert, "ann@x", "Thanks -- 1.0 is due in March.\nSee the roadmap.", mid="<r1@mail.x>")
    before = _blobs(repo)
    res = _inbound(fossilpy, repo, data)
    assert res.returncode == 0, res.stderr
    m = re.fullmatch(rb"forum reply ([0-9a-f]{16}) by ann\n", res.stdout)
    assert m, res.stdout
    assert res.stderr == b""
    assert _blobs(repo) == before + 1
    new = (
        fossil.text("sql", "-R", repo, f"SELECT uuid FROM blob WHERE uuid GLOB '{m.group(1).decode()}*'")
        .strip()
        .strip("'")
    )
    art = fossil.text("artifact", new, "-R", repo)
    text = "Thanks -- 1.0 is due in March.\nSee the roadmap."
    cards = art.split("\n")
    assert cards[0].startswith("D ")
    assert cards[1:6] == [f"G {post}", f"I {post}", "N text/plain", "U ann", f"W {len(text)}"]
    assert "\n".join(cards[6:8]) == text and cards[8].startswith("Z ")
    integrity = fossil.text("test-integrity", "-R", repo)
    assert "0 errors" in integrity, integrity
    # fossil's own reading of the thread (after a rebuild, from the artifacts alone)
    fossil("rebuild", repo)
    rows = fossil.text(
        "sql",
        "-R",
        repo,
        "SELECT (SELECT uuid FROM blob WHERE rid=fpid), "
        "(SELECT uuid FROM blob WHERE rid=firt) FROM forumpost ORDER BY fmtime",
    )
    assert rows.split() == [f"'{post}',NULL", f"'{new}','{post}'"]
    # the thread page shows the reply, by ann, with the quote and signature left out
    app = make_app(AppConfig(repository=str(repo)))
    page = call(app, f"/forumpost/{post[:16]}?t=c")
    assert page.status == 200
    html = page.body.decode()
    assert "Thanks -- 1.0 is due in March." in html and "See the roadmap." in html
    assert "Sent from my phone" not in html and "wrote:" not in html
    reply_div = re.search(r'<div id="forum\d+" class="forum-post" style="[^"]*">.*?</div>\n</div>', html, re.S)
    assert reply_div, html
    assert re.search(
        r'\(2\)\nBy <a href="/timeline\?ss=v&amp;y=f&amp;vfx&amp;u=ann">ann</a> on [-0-9: ]+\n in reply to '
        rf'<a href="/forumpost/{post[:16]}\?t=c">1</a>.*<pre class="textplain">Thanks -- 1.0 is due in March.\n'
        r"See the roadmap.</pre>",
        reply_div.group(0),
        re.S,
    ), reply_div.group(0)
    # real fossil's own /forumpost page
    theirs = fossil("test-http", repo, input=f"GET /forumpost/{post[:16]}?t=c HTTP/1.0\r\nHost: x\r\n\r\n")
    assert re.search(
        r'\(2\) By <a href="/timeline\?ss=v&amp;y=f&amp;vfx&amp;u=ann">ann</a> on [-0-9: ]+\n.*?'
        rf'in reply to <a href="/forumpost/{post[:10]}\?t=c">1</a>.*?'
        r"<pre class='textPlain'>\nThanks -- 1.0 is due in March.\nSee the roadmap.\n</pre>",
        theirs.stdout.decode(),
        re.S,
    ), theirs.stdout.decode()  # real fossil's thread page shows it too
    # the same message again: nothing new, exit 0, one line saying so
    again = _inbound(fossilpy, repo, data)
    assert (again.returncode, again.stdout, again.stderr) == (
        0,
        b"",
        f"fossilpy: message <r1@mail.x> was already posted as {new[:16]}\n".encode(),
    )
    assert _blobs(repo) == before + 1
    db = sqlite3.connect(repo)
    rows = db.execute("SELECT msgid, subscriberId, target, artifact FROM fx_email_inbound").fetchall()
    assert rows == [("<r1@mail.x>", 1, post, new)]
    # una may write but is not trusted: her reply waits for a moderator, as on /forume2
    una = _received(setup["server"], "una@x")
    res = _inbound(fossilpy, repo, _reply(una, "una@x", "Is it?", mid="<r2@mail.x>"))
    m = re.fullmatch(rb"forum reply ([0-9a-f]{16}) by una \(held for moderation\)\n", res.stdout)
    assert res.returncode == 0 and m, (res.stdout, res.stderr)
    held = db.execute("SELECT rid FROM blob WHERE uuid GLOB ?", (m.group(1).decode() + "*",)).fetchone()[0]
    assert db.execute("SELECT count(*) FROM private WHERE rid=?", (held,)).fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM modreq WHERE objid=?", (held,)).fetchone() == (1,)


def _refused(fossilpy, repo: Path, data: bytes, code: int, line: str, *extra: str) -> None:  # type: ignore[no-untyped-def]
    before = _blobs(repo)
    res = _inbound(fossilpy, repo, data, *extra)
    assert (res.returncode, res.stdout, res.stderr.decode()) == (code, b"", f"fossilpy: {line}\n")
    assert _blobs(repo) == before


def test_refusals_write_nothing(fossilpy, setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo, post = setup["repo"], setup["post"]
    alert = _received(setup["server"], "ann@x")
    addr = _reply_address(alert)
    local, domain = addr.split("@")
    token = local.split("+")[1]
    # forged: one character of the token changed
    bad = token[:-1] + ("a" if token[-1] != "a" else "b")
    forged = _reply(alert, "ann@x", "Forged.", mid="<f1@x>", to=f"fossil-reply+{bad}@{domain}")
    _refused(fossilpy, repo, forged, 67, "forged or unknown reply address")
    garbage = _reply(alert, "ann@x", "Garbage.", mid="<f2@x>", to=f"fossil-reply+zz!@{domain}")
    _refused(fossilpy, repo, garbage, 67, "forged or unknown reply address")
    # a token signed with the right secret but past its day
    r = Repo.open(str(repo))
    key = reply_token.secret(r)
    sid = r.one("SELECT subscriberId FROM subscriber WHERE semail='ann@x'")
    r.close()
    assert key is not None
    old = reply_token.make(key, "f", sid, "ann@x", post, reply_token.today() - 1)
    expired_day = reply_token.decode(old).expires
    expired = _reply(alert, "ann@x", "Late.", mid="<e1@x>", to=f"fossil-reply+{old}@{domain}")
    _refused(fossilpy, repo, expired, 67, f"reply address expired on {expired_day}")
    # the right address, the wrong sender
    stranger = _reply(alert, "mallory@x", "Hijack.", mid="<u1@x>")
    _refused(fossilpy, repo, stranger, 77, "sender mallory@x is not the subscriber of this reply address")
    # only quotes and a signature
    empty = _reply(alert, "ann@x", "", mid="<n1@x>")
    _refused(fossilpy, repo, empty, 65, "message has no text to post")
    # no reply address at all
    nowhere = _reply(alert, "ann@x", "Hello.", mid="<n2@x>", to="someone@example.org")
    _refused(fossilpy, repo, nowhere, 67, "no reply address fossil-reply+TOKEN@example.org among the recipients")
    # eve reads the forum but may not write
    eve = _received(setup["server"], "eve@x")
    _refused(
        fossilpy,
        repo,
        _reply(eve, "eve@x", "Me too.", mid="<v1@x>"),
        77,
        "user eve may not reply in the forum (needs capability 3)",
    )
    # a subscriber without a login
    ned = _received(setup["server"], "ned@x")
    _refused(fossilpy, repo, _reply(ned, "ned@x", "Hi.", mid="<d1@x>"), 77, "subscriber ned@x has no user login")
    _refused(fossilpy, repo, b"not a message at all", 65, "not an email message (no header)")
    # a refusal is logged with --logfile (and still one line on stderr)
    log = tmp_path / "inbound.log"
    _refused(
        fossilpy,
        repo,
        stranger,
        77,
        "sender mallory@x is not the subscriber of this reply address",
        "--logfile",
        str(log),
    )
    (line,) = log.read_text().splitlines()
    assert line.endswith(
        f"email-inbound {repo}: refused (77): sender mallory@x is not the subscriber of this reply address"
    ), line
    # none of them left a trace in the repository
    assert sqlite3.connect(repo).execute(
        "SELECT count(*) FROM sqlite_master WHERE name='fx_email_inbound'"
    ).fetchone() == (0,)
    # an automatic reply (vacation message) is dropped quietly: exit 0, nothing posted
    auto = _reply(alert, "ann@x", "I am away until Monday.", mid="<a1@x>").replace(
        b"Subject:", b"Auto-Submitted: auto-replied\nSubject:", 1
    )
    before = _blobs(repo)
    res = _inbound(fossilpy, repo, auto)
    assert (res.returncode, res.stderr) == (0, b"fossilpy: automatic reply <a1@x> ignored\n")
    assert _blobs(repo) == before


def test_ticket_comment_by_email_html_only(fossil, fossilpy, setup) -> None:  # type: ignore[no-untyped-def]
    repo, tkt = setup["repo"], setup["tkt"]
    alert = _received(setup["server"], "tom@x")
    assert "Ticket Change ==\nNew ticket" in alert.get_content().replace("\r\n", "\n")
    markup = (
        "<html><head><style>p{color:red}</style></head><body><div>Still crashes on 2.1&nbsp;&amp; later."
        '<br>Log attached.</div><div class="gmail_quote"><div>On Thu, Dec 3, 2026 Fossil wrote:</div>'
        "<blockquote>== Ticket Change ==<blockquote>nested</blockquote></blockquote></div>"
        "<div>-- <br>Tom</div></body></html>"
    )
    # sent to a list address too: the envelope recipient, from the MTA's environment, names the token
    data = _reply(alert, "tom@x", "", mid="<t1@x>", html=markup, to="project-list@example.org")
    assert _reply_address(alert).encode() not in data
    res = fossilpy("email-inbound", repo, input=data, check=False, env={"ORIGINAL_RECIPIENT": _reply_address(alert)})
    assert res.returncode == 0, res.stderr
    m = re.fullmatch(rb"ticket comment ([0-9a-f]{16}) by tom\n", res.stdout)
    assert m, res.stdout
    new = (
        fossil.text("sql", "-R", repo, f"SELECT uuid FROM blob WHERE uuid GLOB '{m.group(1).decode()}*'")
        .strip()
        .strip("'")
    )
    art = fossil.text("artifact", new, "-R", repo).split("\n")
    assert art[1:6] == [
        r"J icomment Still\scrashes\son\s2.1\s&\slater.\nLog\sattached.",
        "J login tom",
        "J mimetype text/plain",
        "J username tom",
        f"K {tkt}",
    ]
    assert art[6] == "U tom"
    assert "0 errors" in fossil.text("test-integrity", "-R", repo)
    got = fossil.text("sql", "-R", repo, "SELECT icomment, login FROM ticketchng WHERE length(icomment)>0")
    assert got == "'Still crashes on 2.1 & later.\nLog attached.','tom'\n"
    view = fossil("test-http", repo, input=f"GET /tktview/{tkt} HTTP/1.0\r\nHost: x\r\n\r\n").stdout.decode()
    assert re.search(  # real fossil's ticket page shows the comment, by tom
        r"<span class='tktDspCommenter'>tom added on [-0-9: ]+:</span>\n"
        r"<pre class='verbatim'>Still crashes on 2.1 &amp; later.\nLog attached.</pre>",
        view,
    ), view
    # the same message delivered twice at the same time (two MTA deliveries racing): posted once
    again = _reply(alert, "tom@x", "Fixed by the patch, thanks.", mid="<t2@x>")
    before = _blobs(repo)
    argv = [*fossilpy.argv0, "email-inbound", str(repo), "--recipient", _reply_address(alert)]
    procs = [
        subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=fossilpy.env)
        for _ in range(2)
    ]
    outs = sorted(p.communicate(again, timeout=60) + (p.returncode,) for p in procs)
    assert _blobs(repo) == before + 1
    posted = re.fullmatch(rb"ticket comment ([0-9a-f]{16}) by tom\n", outs[1][0])
    assert posted and outs[1][1:] == (b"", 0), outs
    assert outs[0] == (b"", b"fossilpy: message <t2@x> was already posted as " + posted.group(1) + b"\n", 0), outs
