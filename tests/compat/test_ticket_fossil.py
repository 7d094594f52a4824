"""Tickets against the real fossil 2.21: the ``ticket`` command, /tktnew and /tktedit, reports.

* ``fossil ticket add/change`` and ``fossilpy ticket add/change`` with the
  same --uuid-override/--date-override/--user-override make byte-identical
  artifacts; ``show``, ``list`` and ``history`` print the same lines, and
  errors exit with the same codes;
* the same POST to fossil's and fossilpy's /tktnew and /tktedit makes
  artifacts equal card for card apart from D, U, Z and (new tickets) K;
* after fossilpy's writes, ``fossil rebuild`` leaves the ticket tables as
  fossilpy made them.
"""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.conftest import Runner
from tests.net import fossil_serving
from tests.web.wsgi import call

pytestmark = pytest.mark.compat

K = "0123456789abcdef0123456789abcdef01234567"


def _sql(path: Path, query: str, args: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute(query, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def pair(fossil: Runner, tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of one fossil-made repository (a for fossil, b for fossilpy)."""
    a = tmp_path / "a.fossil"
    fossil("init", "--date-override", "2024-01-01 00:00:00", "-A", "root", a)
    b = tmp_path / "b.fossil"
    b.write_bytes(a.read_bytes())
    return a, b


def _ticket_artifacts(path: Path) -> list[bytes]:
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


CHANGES = [
    [
        "add",
        "title",
        "Crash <b>now</b>",
        "type",
        "Code_Defect",
        "status",
        "Open",
        "private_contact",
        "me@x.org",
        "+icomment",
        "first  line\nsecond",
        "--uuid-override",
        K,
        "--date-override",
        "2024-01-02 03:04:05",
    ],
    [
        "change",
        K[:6],
        "status",
        "Closed",
        "+comment",
        "appended",
        "resolution",
        "Fixed",
        "--date-override",
        "2024-01-03 03:04:05",
    ],
    ["set", K, "+icomment", "x" * 70, "--user-override", "root", "--date-override", "2024-01-04 03:04:05"],
    ["add", "title", "q\\sa\\nb", "-q", "--uuid-override", "f" * 40, "--date-override", "2024-01-05 00:00:00"],
]


def test_ticket_command_matches_fossil(fossil: Runner, fossilpy: Runner, pair: tuple[Path, Path]) -> None:
    a, b = pair
    for args in CHANGES:
        fa = fossil("ticket", *args, "-R", a)
        fb = fossilpy("ticket", *args, "-R", b)
        assert fb.stdout == fa.stdout
    assert _ticket_artifacts(b) == _ticket_artifacts(a)
    assert len(_ticket_artifacts(a)) == 4
    for args in (
        ["show", "0"],
        ["show", "1"],
        ["show", "All Tickets", "status='Closed'"],
        ["show", "0", "-q"],
        ["show", "1", "-l", "|"],
        ["list", "fields"],
        ["ls", "reports"],
        ["history", K[:8]],
        ["history", "f" * 40],
    ):
        fa = fossil("ticket", *args, "-R", a)
        fb = fossilpy("ticket", *args, "-R", b)
        assert fb.stdout.decode() == fa.stdout.decode(), args
    for bad in (
        ["set", "zzzz", "a", "b"],
        ["add", "bogus", "x"],
        ["show", "9"],
        ["s"],
        [],
        ["add"],
        ["add", "title"],
        ["history", K, "extra"],
        ["list", "nothing"],
    ):
        fa = fossil("ticket", *bad, "-R", a, check=False)
        fb = fossilpy("ticket", *bad, "-R", b, check=False)
        assert (fb.returncode, fb.stdout) == (fa.returncode, fa.stdout), bad
        want = fa.stderr.decode().replace(f"Usage: {fossil.argv0[0]} ", "Usage: fossilpy ")
        assert fb.stderr.decode().removeprefix("fossilpy: ") == want, bad
    assert _ticket_artifacts(b) == _ticket_artifacts(a)


def _cards(data: bytes, *, skip: str = "DUZ") -> list[str]:
    return [line for line in data.decode().splitlines() if line[:1] not in skip]


def _setup_web(path: Path) -> None:
    _sql(path, "UPDATE user SET cap='rnwceh' WHERE login='nobody'")
    _sql(path, "UPDATE user SET cap='' WHERE login='anonymous'")
    _sql(path, "REPLACE INTO config(name,value,mtime) VALUES('require-captcha','0',0)")
    # no detached backoffice process outliving the fossil server of the test
    _sql(path, "REPLACE INTO config(name,value,mtime) VALUES('backoffice-disable','1',0)")


def _post(port: int, page: str, form: dict[str, str]) -> int:
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/{page}",
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{port}",
            "Referer": f"http://127.0.0.1:{port}/{page}",
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kw):  # type: ignore[no-untyped-def]
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


NEW = {
    "title": "Web <i>ticket</i>",
    "type": "Incident",
    "foundin": "2.21",
    "severity": "Minor",
    "private_contact": "web@example.org",
    "mutype": "Markdown",
    "icomment": "Body *text*  \n",
    "csrf": "none",
    "submit": "Submit",
}


def test_web_forms_match_fossil(fossil: Runner, pair: tuple[Path, Path]) -> None:
    a, b = pair
    for p in pair:
        _setup_web(p)
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        assert _post(port, "tktnew", NEW) == 302
        (uuid_a,) = _sql(a, "SELECT tkt_uuid FROM ticket")[0]
        edit = {
            "name": uuid_a[:10],
            "title": NEW["title"],
            "status": "Closed",
            "type": "Incident",
            "severity": "Minor",
            "priority": "High",
            "resolution": "Fixed",
            "subsystem": "",
            "foundin": "2.21",
            "private_contact": "web@example.org",
            "mutype": "Plain Text",
            "username": "someone",
            "icomment": "closing <script>x</script>",
            "csrf": "none",
            "submit": "Submit",
        }
        assert _post(port, "tktedit", edit) == 302
    app = make_app(AppConfig(repository=str(b)))
    r = call(app, "/tktnew", form=NEW)
    assert r.status == 302
    (uuid_b,) = _sql(b, "SELECT tkt_uuid FROM ticket")[0]
    r = call(app, "/tktedit", form={**edit, "name": uuid_b[:10]})
    assert r.status == 302
    fa, fb = _ticket_artifacts(a), _ticket_artifacts(b)
    assert len(fa) == len(fb) == 2
    assert _cards(fb[0], skip="DUZK") == _cards(fa[0], skip="DUZK")
    assert _cards(fb[1], skip="DUZK") == _cards(fa[1], skip="DUZK")
    assert [c for c in _cards(fb[1]) if c[0] == "K"] == [f"K {uuid_b}"]
    cols = "type, status, subsystem, priority, severity, foundin, private_contact, resolution, title, comment"
    assert _sql(b, "SELECT " + cols + " FROM ticket") == _sql(a, "SELECT " + cols + " FROM ticket")
    chng = "login, username, mimetype, icomment"
    assert _sql(b, "SELECT " + chng + " FROM ticketchng ORDER BY rowid") == _sql(
        a, "SELECT " + chng + " FROM ticketchng ORDER BY rowid"
    )


def test_rebuild_keeps_fossilpy_ticket_tables(fossil: Runner, fossilpy: Runner, pair: tuple[Path, Path]) -> None:
    _, b = pair
    _setup_web(b)
    for args in CHANGES:
        fossilpy("ticket", *args, "-R", b)
    app = make_app(AppConfig(repository=str(b)))
    assert call(app, "/tktnew", form=NEW).status == 302
    uuid = _sql(b, "SELECT tkt_uuid FROM ticket ORDER BY tkt_id DESC LIMIT 1")[0][0]
    assert (
        call(
            app,
            "/tktedit",
            form={
                "name": uuid,
                "status": "Fixed",
                "icomment": "done",
                "mutype": "Wiki",
                "csrf": "none",
                "submit": "Submit",
            },
        ).status
        == 302
    )
    queries = (
        "SELECT * FROM ticket ORDER BY tkt_uuid",
        "SELECT ticketchng.*, tkt_uuid FROM ticketchng JOIN ticket USING(tkt_id) ORDER BY tkt_rid",
        "SELECT hash, content FROM concealed ORDER BY hash",
    )
    before = [_sql(b, q) for q in queries]
    before = [
        [tuple(v for k, v in enumerate(row) if not (qi < 2 and k == 0)) for row in rows]
        for qi, rows in enumerate(before)
    ]
    fossil("rebuild", b)
    after = [_sql(b, q) for q in queries]
    after = [
        [tuple(v for k, v in enumerate(row) if not (qi < 2 and k == 0)) for row in rows]
        for qi, rows in enumerate(after)
    ]
    assert after == before
    assert len(before[0]) == 3 and len(before[1]) == 6
    fossil("test-integrity", "-R", b)


def _view_cells(html: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(label, value) pairs of a ticket view and the commenter lines, tags stripped, spaces collapsed."""
    import re

    def text(fragment: str) -> str:
        return " ".join(re.sub(r"<[^>]*>", " ", fragment).replace("&nbsp;", " ").split())

    start = html.index('<td class="tktDspLabel">Ticket&nbsp;Hash:</td>')
    table = html[start : html.index("</table>", start)]
    pairs = re.findall(
        r"<td class=[\"']tktDspLabel[\"']>(.*?)</td>\s*<td[^>]*class=[\"']tktDspValue[\"'][^>]*>(.*?)</td>", table, re.S
    )
    commenters = re.findall(r"<span class=[\"']tktDspCommenter[\"']>(.*?)</span>", table, re.S)
    return [(text(a), text(b)) for a, b in pairs], [text(c) for c in commenters]


def test_tktview_shows_what_fossil_shows(fossil: Runner, pair: tuple[Path, Path]) -> None:
    a, _ = pair
    for args in CHANGES:
        fossil("ticket", *args, "-R", a)
    _setup_web(a)
    _sql(a, "UPDATE user SET cap='rnwcehs' WHERE login='nobody'")
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        assert _post(port, "tktnew", NEW) == 302
        uuid = _sql(a, "SELECT tkt_uuid FROM ticket WHERE title LIKE 'Web%'")[0][0]
        edit = {
            "name": uuid,
            "status": "Review",
            "priority": "Low",
            "mutype": "Wiki",
            "username": "claimed",
            "icomment": "A '''bold''' <b>remark</b>",
            "csrf": "none",
            "submit": "Submit",
        }
        assert _post(port, "tktedit", edit) == 302
        theirs = {}
        for name in (K, uuid, "f" * 40):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/tktview/{name[:12]}", timeout=30) as reply:
                theirs[name] = _view_cells(reply.read().decode())
    app = make_app(AppConfig(repository=str(a)))
    for name, (cells, commenters) in theirs.items():
        r = call(app, f"/tktview/{name[:12]}")
        assert r.status == 200
        ours = _view_cells(r.text)
        assert ours == (cells, commenters), name
        assert len(cells) == 11
    assert theirs[uuid][1][1].startswith("nobody (claiming to be claimed) added on ")


def _text(fragment: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]*>", " ", fragment).replace("&nbsp;", " ").split())


def _report_table(html: str) -> list[list[str]]:
    import re

    start = html.index('<table border="1"')
    table = html[start : html.index("</tbody>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    # Fossil leaves the <td> of a wide ("_") row unclosed: a cell ends at </td>, the next cell or the row's end
    cell = r"<t[hd][^>]*>(.*?)(?:</t[hd]>|(?=<t[hd][ >])|$)"
    return [[_text(c) for c in re.findall(cell, row, re.S)] for row in rows]


def _history(html: str) -> list[str]:
    import re

    start = html.index("<h2>")
    return [_text(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", html[start:], re.S)]


def test_report_and_history_pages_match_fossil(fossil: Runner, pair: tuple[Path, Path]) -> None:
    a, _ = pair
    for args in CHANGES:
        fossil("ticket", *args, "-R", a)
    _setup_web(a)
    _sql(a, "UPDATE user SET cap='rnwcehi' WHERE login='nobody'")
    _sql(
        a,
        "INSERT INTO reportfmt(title,cols,sqlcode) VALUES('Wide','#ffffff Key',"
        "'SELECT tkt_uuid AS ''#'', status, title, comment AS ''_Remarks'' FROM ticket ORDER BY tkt_uuid')",
    )
    pages = ["/rptview/1", "/rptview?rn=2", "/rptview/1?order_by=2&order_dir=ASC"]
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        theirs = {}
        for page in [*pages, f"/tkthistory/{K}", "/rptview/1?tablist=1"]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=30) as reply:
                theirs[page] = reply.read().decode()
    app = make_app(AppConfig(repository=str(a)))
    for page in pages:
        ours = call(app, page).text
        assert _report_table(ours) == _report_table(theirs[page]), page
    assert len(_report_table(theirs["/rptview?rn=2"])) == 7
    ours = call(app, f"/tkthistory/{K}").text
    assert _history(ours) == _history(theirs[f"/tkthistory/{K}"])
    assert len(_history(ours)) == 9
    assert call(app, "/rptview/1?tablist=1").text == theirs["/rptview/1?tablist=1"]


def test_custom_column_written_as_fossil(fossil: Runner, fossilpy: Runner, pair: tuple[Path, Path]) -> None:
    """A column added through ticket-table is a field for both programs, on the web and the command line."""
    from fossilpy.repo.schema import DEFAULT_TICKET_TABLE

    a, b = pair
    table = DEFAULT_TICKET_TABLE.replace("  title TEXT,", "  title TEXT,\n  cpu TEXT,", 1)
    for p in pair:
        _setup_web(p)
        _sql(p, "REPLACE INTO config(name,value,mtime) VALUES('ticket-table',?,0)", (table,))
        fossil("rebuild", p)
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        assert _post(port, "tktnew", {**NEW, "cpu": "arm64"}) == 302
    assert call(make_app(AppConfig(repository=str(b))), "/tktnew", form={**NEW, "cpu": "arm64"}).status == 302
    args = ["add", "cpu", "riscv", "title", "cli", "--uuid-override", K, "--date-override", "2024-01-02 00:00:00"]
    assert fossilpy("ticket", *args, "-R", b).stdout == fossil("ticket", *args, "-R", a).stdout
    fa, fb = _ticket_artifacts(a), _ticket_artifacts(b)
    # the command's change is dated 2024, before the web's
    assert fb[0] == fa[0]
    assert _cards(fb[1], skip="DUZK") == _cards(fa[1], skip="DUZK")
    assert "J cpu arm64" in _cards(fa[1])
    assert _sql(b, "SELECT cpu, title FROM ticket ORDER BY title") == _sql(
        a, "SELECT cpu, title FROM ticket ORDER BY title"
    )
    assert fossilpy("ticket", "list", "fields", "-R", b).stdout == fossil("ticket", "list", "fields", "-R", a).stdout


def test_tkttimeline_lists_what_fossil_lists(fossil: Runner, pair: tuple[Path, Path], tmp_path: Path) -> None:
    import re

    a, _ = pair
    for args in CHANGES[:2]:
        fossil("ticket", *args, "-R", a)
    work = tmp_path / "co"
    work.mkdir()
    fossil("open", a, "--workdir", work)
    (work / "f.txt").write_text("x\n")
    fossil("add", "f.txt", cwd=work)
    fossil("commit", "-m", f"Fix [{K[:10]}] at last", "--date-override", "2024-01-05 00:00:00", cwd=work)
    fossil("close", cwd=work)
    _setup_web(a)
    pages = [f"/tkttimeline/{K}", f"/tkttimeline/{K}?y=ci"]
    theirs = {}
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        for page in pages:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=30) as reply:
                theirs[page] = reply.read().decode()
    app = make_app(AppConfig(repository=str(a)))

    def linked(html: str) -> list[str]:
        return sorted({h[:10] for h in re.findall(r'href="/info/([0-9a-f]{10,64})"', html)} - {K[:10]})

    for page in pages:
        ours = call(app, page)
        assert ours.status == 200
        assert linked(ours.text) == linked(theirs[page]), page
    assert len(linked(theirs[pages[0]])) == 3
    assert len(linked(theirs[pages[1]])) == 1
