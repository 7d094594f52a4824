"""Ticket and report pages: exact fields shown and written, refusals per capability, CSRF, report SQL guard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fossilpy.artifact.manifest import parse
from fossilpy.web.app import AppConfig, make_app
from tests.web.conftest import sql
from tests.web.wsgi import call


def _app(path: Path):  # type: ignore[no-untyped-def]
    return make_app(AppConfig(repository=str(path)))


@pytest.fixture
def trepo(repo_copy: Path) -> Path:
    """The web repository; users with chosen ticket letters; no captcha for nobody."""
    sql(repo_copy, "UPDATE user SET cap='' WHERE login='anonymous'")
    sql(repo_copy, "UPDATE user SET cap='rnwcteh' WHERE login='nobody'")
    sql(repo_copy, "REPLACE INTO config(name,value,mtime) VALUES('require-captcha','0',0)")
    for login, caps in (("treader", "rh"), ("filer", "nrh"), ("commenter", "crh"), ("twriter", "wrh"), ("boss", "a")):
        sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (login, login + "pw", caps))
    return repo_copy


def _login(app, user: str) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    r = call(app, "/login", form={"u": user, "p": user + "pw"})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return {name: value.replace("/", "%2F")}, value.split("/")[0][:10]


def _changes(path: Path) -> list[bytes]:
    """Ticket change artifacts, oldest first."""
    from fossilpy.repo import content
    from fossilpy.repo.db import Repo

    with Repo.open(str(path), readonly=True) as repo:
        rids = [
            r[0]
            for r in repo.all(
                "SELECT rid FROM tagxref JOIN tag USING(tagid) WHERE tagname GLOB 'tkt-*' ORDER BY mtime, rid"
            )
        ]
        return [content.get(repo, rid) or b"" for rid in rids]


def _cards(data: bytes) -> list[str]:
    return [line for line in data.decode().splitlines() if line[:1] not in ("D", "Z")]


NEW = {
    "title": "Crash on <script>alert(1)</script>",
    "type": "Incident",
    "foundin": "1.0",
    "severity": "Minor",
    "private_contact": "pat@example.org",
    "mutype": "Markdown",
    "icomment": "It *breaks*.\n",
    "csrf": "none",
    "submit": "Submit",
}


def _file(app, form: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
    return call(app, "/tktnew", form=form or NEW, **kw)


def test_tktnew_form_fields(trepo: Path) -> None:
    r = call(_app(trepo), "/tktnew")
    assert r.status == 200
    form = r.text[r.text.index("<form") : r.text.index("</form>")]
    names = re.findall(r'name="([^"]+)"', form)
    assert names == [
        "csrf",
        "title",
        "type",
        "foundin",
        "severity",
        "private_contact",
        "mutype",
        "icomment",
        "preview",
        "cancel",
    ]
    assert '<option value="Code_Defect">Code_Defect</option>' in r.text
    assert 'name="submit"' not in r.text  # only after a preview, as Fossil's default page


def test_tktnew_writes_fossil_cards(trepo: Path) -> None:
    app = _app(trepo)
    before = len(_changes(trepo))
    r = _file(app)
    assert r.status == 302
    (data,) = _changes(trepo)[before:]
    m = parse(data)
    assert r.header("Location").endswith("/tktview/" + m.ticket_uuid)
    assert _cards(data) == [
        "J foundin 1.0",
        "J icomment It\\s*breaks*.",
        "J login nobody",
        "J mimetype text/x-markdown",
        "J private_contact " + _sha1("pat@example.org"),
        "J severity Minor",
        "J status Open",
        "J title Crash\\son\\s<script>alert(1)</script>",
        "J type Incident",
        f"K {m.ticket_uuid}",
        "U nobody",
    ]
    assert sql(trepo, "SELECT content FROM concealed WHERE hash=?", (_sha1("pat@example.org"),)) == [
        ("pat@example.org",)
    ]
    assert sql(
        trepo, "SELECT title, status, type, severity, foundin FROM ticket WHERE tkt_uuid=?", (m.ticket_uuid,)
    ) == [(NEW["title"], "Open", "Incident", "Minor", "1.0")]


def _sha1(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()


def test_tktview_default_layout_and_comments(trepo: Path) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    r = call(
        _app(trepo),
        "/tktedit/" + uuid,
        form={
            "name": uuid,
            "status": "Closed",
            "resolution": "Fixed",
            "mutype": "Plain Text",
            "icomment": "Fixed <b>now</b>",
            "csrf": "none",
            "submit": "Submit",
        },
    )
    assert r.status == 302, r.text
    page = call(app, "/tktview/" + uuid[:8]).text
    labels = re.findall(r'<td class="tktDspLabel">([^<]*)</td>', page)
    assert labels == [
        "Ticket&nbsp;Hash:",
        "Title:",
        "Status:",
        "Type:",
        "Severity:",
        "Priority:",
        "Subsystem:",
        "Resolution:",
        "Last&nbsp;Modified:",
        "Contact:",
        "Version&nbsp;Found&nbsp;In:",
        "User Comments:",
    ]
    assert '<td class="tktDspValue">Closed</td>' in page
    assert '<td class="tktDspValue">Fixed</td>' in page
    assert "<script>alert(1)</script>" not in page
    assert "Crash on &lt;script&gt;alert(1)&lt;/script&gt;" in page
    commenters = re.findall(r'<span class="tktDspCommenter">([^<]*)</span>', page)
    assert [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "T", c) for c in commenters] == [
        "nobody added on T:",
        "nobody added on T:",
    ]
    assert "<em>breaks</em>" in page
    assert '<pre class="verbatim">Fixed &lt;b&gt;now&lt;/b&gt;</pre>' in page
    assert "pat@example.org" in page  # nobody has e here


def test_tktedit_writes_only_changed_fields(trepo: Path) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    form = dict(re.findall(r'name="(\w+)" (?:size="\d+" )?value="([^"]*)"', call(app, "/tktedit/" + uuid).text))
    assert form["title"] == "Crash on &lt;script&gt;alert(1)&lt;/script&gt;"
    r = call(
        app,
        "/tktedit",
        form={
            "name": uuid,
            "title": NEW["title"],
            "status": "Open",
            "type": "Incident",
            "severity": "Minor",
            "priority": "High",
            "foundin": "1.0",
            "private_contact": "pat@example.org",
            "mutype": "Wiki",
            "username": "nobody",
            "icomment": "",
            "csrf": "none",
            "submit": "Submit",
        },
    )
    assert r.status == 302
    data = _changes(trepo)[-1]
    assert _cards(data) == [
        "J login nobody",
        "J mimetype text/x-fossil-wiki",
        "J priority High",
        "J username nobody",
        f"K {uuid}",
        "U nobody",
    ]


def test_unknown_field_refused(trepo: Path) -> None:
    app = _app(trepo)
    before = _changes(trepo)
    r = _file(app, {**NEW, "bogus": "x"})
    assert r.status == 400
    assert "no such ticket field: bogus" in r.text
    assert _changes(trepo) == before


def test_custom_column_is_a_field(trepo: Path) -> None:
    from fossilpy.repo.crosslink import tickets
    from fossilpy.repo.db import Repo

    with Repo.open(str(trepo)) as repo, repo.write():
        repo.config_set("ticket-table", _custom_table())
        tickets.create_tables(repo)
    app = _app(trepo)
    page = call(app, "/tktnew").text
    assert '<input type="text" name="cpu" size="40" value="">' in page
    uuid = _file(app, {**NEW, "cpu": "arm64"}).header("Location").rsplit("/", 1)[1]
    assert "J cpu arm64" in _cards(_changes(trepo)[-1])
    view = call(app, "/tktview/" + uuid).text
    assert (
        '<td class="tktDspLabel">cpu:</td><td colspan="3" valign="top" class="tktDspValue tktExtra">arm64</td>' in view
    )


def _custom_table() -> str:
    from fossilpy.repo.schema import DEFAULT_TICKET_TABLE

    return DEFAULT_TICKET_TABLE.replace("  title TEXT,", "  title TEXT,\n  cpu TEXT,", 1)


@pytest.mark.parametrize(
    ("user", "url", "form"),
    [
        ("treader", "/tktnew", NEW),
        ("filer", "/tktedit", {"status": "Closed", "submit": "Submit"}),
        ("commenter", "/tktedit", {"status": "Closed", "submit": "Submit"}),
        ("filer", "/rptnew", {"t": "Mine", "s": "SELECT 1"}),
        ("treader", "/rptedit", {"rn": "1", "t": "Renamed", "s": "SELECT 1"}),
    ],
)
def test_refusal_writes_nothing(trepo: Path, user: str, url: str, form: dict[str, str]) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    sql(trepo, "UPDATE user SET cap='' WHERE login='nobody'")
    before = (_changes(trepo), sql(trepo, "SELECT * FROM reportfmt"))
    cookies, csrf = _login(app, user)
    r = call(app, url, form={"name": uuid, **form, "csrf": csrf}, cookies=cookies)
    assert r.status in (302, 403)
    if r.status == 302:
        assert "/login" in r.header("Location")
    assert (_changes(trepo), sql(trepo, "SELECT * FROM reportfmt")) == before


def test_commenter_may_only_comment(trepo: Path) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    sql(trepo, "UPDATE user SET cap='' WHERE login='nobody'")
    cookies, csrf = _login(app, "commenter")
    page = call(app, "/tktedit/" + uuid, cookies=cookies).text
    assert 'name="status"' not in page
    r = call(
        app,
        "/tktedit",
        form={"name": uuid, "icomment": "me too", "mutype": "Plain Text", "csrf": csrf, "submit": "Submit"},
        cookies=cookies,
    )
    assert r.status == 302
    assert _cards(_changes(trepo)[-1]) == [
        "J icomment me\\stoo",
        "J login commenter",
        "J mimetype text/plain",
        "J username commenter",
        f"K {uuid}",
        "U commenter",
    ]


@pytest.mark.parametrize("how", ["no-token", "bad-token", "cross-site", "get"])
def test_csrf(trepo: Path, how: str) -> None:
    app = _app(trepo)
    before = _changes(trepo)
    if how == "get":
        r = call(app, "/tktnew?title=x&submit=Submit&csrf=none")
    elif how == "cross-site":
        r = _file(app, headers={"Origin": "http://evil.example"})
    else:
        form = dict(NEW)
        if how == "no-token":
            del form["csrf"]
        else:
            form["csrf"] = "0123456789"
        r = _file(app, form)
    assert r.status in (403, 405)
    assert _changes(trepo) == before


def test_captcha_for_nobody(trepo: Path) -> None:
    sql(trepo, "DELETE FROM config WHERE name='require-captcha'")
    app = _app(trepo)
    before = _changes(trepo)
    assert 'name="captchaseed"' in call(app, "/tktnew").text
    r = _file(app, {**NEW, "captchaseed": "1-2-3", "captcha": "00000000"})
    assert r.status == 400
    assert "Incorrect security code" in r.text
    assert _changes(trepo) == before


def test_moderation(trepo: Path) -> None:
    sql(trepo, "REPLACE INTO config(name,value,mtime) VALUES('modreq-tkt','1',0)")
    app = _app(trepo)
    r = _file(app)
    assert r.status == 302
    (rid, tktid) = sql(trepo, "SELECT objid, tktid FROM modreq")[0]
    assert sql(trepo, "SELECT 1 FROM private WHERE rid=?", (rid,)) == [(1,)]
    assert r.header("Location").endswith("/tktview/" + tktid)


# -- reports ----------------------------------------------------------------


def test_reportlist_and_rptview(trepo: Path) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    page = call(app, "/reportlist").text
    assert '<a href="/rptview/1">All Tickets</a>' in page
    assert '<a href="/tktnew">New ticket</a>' in page
    assert call(app, "/ticket").text.count('<a href="/rptview/1">All Tickets</a>') == 1
    view = call(app, "/rptview?rn=1").text
    assert '<td style="background-color: #f2dcdc;">Active</td>' in view
    assert (
        f'<tr style="background-color:#f2dcdc">\n<td valign="top"><a href="/tktview/{uuid[:10]}">{uuid[:10]}</a></td>'
        in view
    )
    assert "<th>bgcolor</th>" not in view
    assert "&lt;script&gt;" in view and "<script>alert" not in view
    raw = call(app, "/rptview/1?tablist").text.splitlines()
    assert raw[0] == "bgcolor\t#\tmtime\ttype\tstatus\tsubsystem\ttitle"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * FROM user", 'access to table "user" is restricted'),
        ("SELECT 1; DELETE FROM ticket", "Semi-colon detected! Only a single SQL statement is allowed"),
        ("DELETE FROM ticket", "The SQL must be a SELECT or WITH statement"),
        ("SELECT * FROM ticket WHERE (SELECT count(*) FROM config)", 'access to table "config" is restricted'),
        ("SELECT nosuch FROM ticket", "Syntax error: no such column: nosuch"),
        ("WITH x AS (SELECT 1) SELECT * FROM x JOIN sqlite_schema", 'access to table "sqlite_master" is restricted'),
    ],
)
def test_rptedit_refuses_bad_sql(trepo: Path, query: str, message: str) -> None:
    app = _app(trepo)
    cookies, csrf = _login(app, "boss")
    before = sql(trepo, "SELECT * FROM reportfmt")
    r = call(app, "/rptedit", form={"rn": "0", "t": "Bad", "s": query, "csrf": csrf}, cookies=cookies)
    assert r.status == 400
    assert (
        f'<blockquote class="reportError" style="color:#a00">{message.replace(chr(34), "&#34;")}</blockquote>' in r.text
    )
    assert sql(trepo, "SELECT * FROM reportfmt") == before


def test_stored_bad_report_shows_error_not_500(trepo: Path) -> None:
    sql(trepo, "INSERT INTO reportfmt(title,sqlcode,cols) VALUES('evil','SELECT login, pw FROM user','')")
    sql(trepo, "INSERT INTO reportfmt(title,sqlcode,cols) VALUES('writer','UPDATE ticket SET title=1','')")
    app = _app(trepo)
    r = call(app, "/rptview?rn=2")
    assert r.status == 200
    assert '<p class="reportError" style="color:#a00">Error: access to table &#34;user&#34; is restricted</p>' in r.text
    r = call(app, "/rptview?rn=3")
    assert r.status == 200
    assert "Error: only SELECT statements are allowed" in r.text


def test_rptnew_creates_report(trepo: Path) -> None:
    app = _app(trepo)
    cookies, csrf = _login(app, "boss")
    page = call(app, "/rptnew", cookies=cookies).text
    assert "substr(tkt_uuid,1,10) AS &#39;#&#39;" in page
    r = call(
        app,
        "/rptedit",
        form={
            "rn": "0",
            "t": "Open ones",
            "s": "SELECT tkt_uuid AS '#', title FROM ticket",
            "k": "#ffffff Key",
            "w": "boss",
            "csrf": csrf,
        },
        cookies=cookies,
    )
    assert r.status == 302
    assert r.header("Location").endswith("/rptview/2")
    assert sql(trepo, "SELECT title, owner, cols, sqlcode FROM reportfmt WHERE rn=2") == [
        ("Open ones", "boss", "#ffffff Key", "SELECT tkt_uuid AS '#', title FROM ticket")
    ]


def test_runaway_report_is_stopped_with_a_message(trepo: Path) -> None:
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c WHERE x<0"
    sql(trepo, "INSERT INTO reportfmt(title,sqlcode,cols) VALUES('forever',?,'')", (forever,))
    app = make_app(AppConfig(repository=str(trepo), max_latency=2.0))
    r = call(app, "/rptview?rn=2")
    assert r.status == 200
    assert re.search(
        r'<p class="reportError" style="color:#a00">Error: the report ran longer than (0\.9|1\.0) seconds'
        r" and was stopped</p>",
        r.text,
    )


def test_tktview_lists_attachments(trepo: Path) -> None:
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.repo import content, docwrite
    from fossilpy.repo.db import Repo

    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    with Repo.open(str(trepo)) as repo, repo.write():
        src_rid = content.put(repo, b"log <line>\n")
        src = repo.one("SELECT uuid FROM blob WHERE rid=?", (src_rid,))
        m = Manifest(
            type=ArtifactType.ATTACHMENT,
            attach_name="crash <1>.log",
            attach_target=uuid,
            attach_src=src,
            date="2024-02-03T04:05:06.000",
            user="filer",
        )
        stored = docwrite.commit(repo, m)
    page = call(app, "/tktview/" + uuid).text
    assert (
        f'<hr><h2>Attachments:</h2><ul>\n<li>\n<a href="/artifact/{src}">crash &lt;1&gt;.log</a>\n'
        f'[<a href="/attachdownload/crash%20%3C1%3E.log?page={uuid}&amp;file=crash%20%3C1%3E.log">download</a>]\n'
        f"added by filer on\n2024-02-03 04:05:06.\n"
        f'[<a href="/ainfo/{stored.uuid}">details</a>]\n</li>\n</ul>'
    ) in page


def test_info_of_a_ticket_is_its_view_with_timeline(trepo: Path) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    page = call(app, "/info/" + uuid[:12]).text
    assert '<ul class="tkt-timeline">' in page
    assert f'<code class="hash-full">{uuid}</code>' in page


@pytest.mark.parametrize(
    ("name", "message"),
    [("zz", "Not a valid ticket id: &#34;zz&#34;"), ("abcd", "No such ticket: &#34;abcd&#34;")],
)
def test_tktedit_bad_names(trepo: Path, name: str, message: str) -> None:
    r = call(_app(trepo), "/tktedit?name=" + name)
    assert r.status == 200
    assert f'<span class="tktError" style="color:#a00">{message}</span>' in r.text


def test_rptedit_copy_delete_and_owner(trepo: Path) -> None:
    app = _app(trepo)
    sql(trepo, "UPDATE user SET cap='' WHERE login='nobody'")
    sql(trepo, "INSERT INTO user(login,pw,cap,info) VALUES('fmt','fmtpw','rt','')")
    cookies, csrf = _login(app, "fmt")
    copy = call(app, "/rptedit/1?copy=1", cookies=cookies).text
    assert '<input type="text" name="t" value="Copy Of All Tickets" size="60">' in copy
    assert '<input type="hidden" name="rn" value="0">' in copy
    r = call(
        app,
        "/rptedit",
        form={"rn": "0", "t": "Mine", "s": "SELECT title FROM ticket", "w": "fmt", "csrf": csrf},
        cookies=cookies,
    )
    assert r.status == 302
    ((rn, owner),) = sql(trepo, "SELECT rn, owner FROM reportfmt WHERE title='Mine'")
    assert owner == "fmt"
    # the report of another owner can be seen but not changed
    other = call(app, "/rptedit/1", cookies=cookies).text
    assert "You are not allowed" in other
    r = call(app, "/rptedit", form={"rn": "1", "t": "Hijacked", "s": "SELECT 1", "csrf": csrf}, cookies=cookies)
    assert r.status == 403
    assert sql(trepo, "SELECT title FROM reportfmt WHERE rn=1") == [("All Tickets",)]
    ask = call(app, f"/rptedit/{rn}?del1=1", cookies=cookies)
    assert "You are about to delete all traces of the report <strong>Mine</strong>" in ask.text
    r = call(app, "/rptedit", form={"rn": str(rn), "del2": "Delete The Report", "csrf": csrf}, cookies=cookies)
    assert r.status == 302
    assert sql(trepo, "SELECT count(*) FROM reportfmt WHERE rn=?", (rn,)) == [(0,)]


def test_tkthistory_raw_for_admin_only(trepo: Path) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    assert "<blockquote><pre>D 20" not in call(app, f"/tkthistory/{uuid}?raw").text
    cookies, _ = _login(app, "boss")
    raw = call(app, f"/tkthistory/{uuid}?raw", cookies=cookies).text
    assert "<h2>Raw Artifacts Associated With Ticket" in raw
    assert f"K {uuid}\nU nobody\nZ " in raw


def test_rptedit_needs_csrf(trepo: Path) -> None:
    app = _app(trepo)
    cookies, csrf = _login(app, "boss")
    before = sql(trepo, "SELECT * FROM reportfmt")
    for form, headers in (
        ({"rn": "0", "t": "X", "s": "SELECT 1"}, {}),
        ({"rn": "0", "t": "X", "s": "SELECT 1", "csrf": csrf}, {"Origin": "http://evil.example"}),
        ({"rn": "1", "del2": "Delete The Report", "csrf": "none"}, {}),
    ):
        r = call(app, "/rptedit", form=form, cookies=cookies, headers=headers)
        assert r.status == 403
    assert sql(trepo, "SELECT * FROM reportfmt") == before


@pytest.mark.parametrize(
    ("caps", "url"),
    [
        ("n", "/rptview?rn=1"),
        ("n", "/tktview/{uuid}"),
        ("n", "/tkthistory/{uuid}"),
        ("n", "/tkttimeline/{uuid}"),
        ("h", "/reportlist"),
        ("r", "/rptsql/1"),
    ],
)
def test_reading_needs_its_letter(trepo: Path, caps: str, url: str) -> None:
    app = _app(trepo)
    uuid = _file(app).header("Location").rsplit("/", 1)[1]
    sql(trepo, "UPDATE user SET cap='' WHERE login='nobody'")
    sql(trepo, "INSERT INTO user(login,pw,cap,info) VALUES('only','onlypw',?,'')", (caps,))
    cookies, _ = _login(app, "only")
    r = call(app, url.format(uuid=uuid), cookies=cookies)
    assert r.status == 302, r.text[r.text.find("<main") :][:600]
    assert "/login" in r.header("Location")
    assert "Crash on" not in r.text
