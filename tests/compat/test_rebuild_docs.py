"""Document crosslinking against Fossil 2.21: wiki, tickets, technotes,
attachments, forum posts and backlinks.

Each repository is copied twice; one copy is rebuilt by ``fossil rebuild``,
the other by fossilpy's rebuild, and the derived rows this area owns are
compared exactly: event rows of types w/t/e/f, the wiki-/tkt-/event- tags
and their tagxref rows, ticket, ticketchng, attachment, forumpost and
backlink.

Besides the shared varied repositories, a repository of hand-written
artifacts (inserted into ``blob`` directly) covers hostile and edge
cases: HTML/SQL-looking ticket values, J fields that are not columns,
appends, a wiki page name with quotes, deleted pages, markdown pages,
technote edits with tags, attachments seen before their ticket, deleted
attachments, a forum reply to an unknown post, a deleted reply, and a wiki
artifact without a U card (never crosslinked as wiki).  Further repositories
use custom ``ticket-table`` settings and text that is not UTF-8, and the
link scanners are compared with ``fossil test-backlinks`` on random input.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.compare import derived_table_diff, format_diff
from tests.conftest import ROOT, base_env, require_binary

pytestmark = pytest.mark.compat

TKT = "4f3c2b1a00998877665544332211ffeeddccbbaa"
TECHNOTE = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
UNKNOWN_ROOT = "9" * 64
UNKNOWN_PARENT = "8" * 64
CHECKIN_LINK = "abcdef0123"

OWNED_TABLES = (
    "event", "tag", "tagxref", "ticket", "ticketchng", "attachment", "forumpost", "backlink",
)


# -- building a repository from hand-written artifacts ------------------------


def fossilize(text: str) -> str:
    """Escape a card argument as Fossil does."""
    table = {" ": "\\s", "\n": "\\n", "\\": "\\\\", "\t": "\\t", "\r": "\\r",
             "\v": "\\v", "\f": "\\f", "\0": "\\0"}
    return "".join(table.get(c, c) for c in text)


def artifact(cards: list[str], text: str | None = None) -> bytes:
    """An artifact from cards in order; "W" is replaced by the W card for text."""
    out = []
    for card in cards:
        if card == "W":
            body = (text or "").encode()
            out.append(b"W %d\n" % len(body) + body + b"\n")
        else:
            out.append(card.encode() + b"\n")
    data = b"".join(out)
    return data + b"Z " + hashlib.md5(data).hexdigest().encode() + b"\n"


def sha3(data: bytes) -> str:
    return hashlib.sha3_256(data).hexdigest()


MARKDOWN_PAGE = "# Title\n\n[here](beef0001) and [ref] and `[no](beef0002)`\n\n[ref]: beef0003\n"


def _docs_artifacts() -> list[bytes]:
    """The hand-written artifacts, in the order they are stored (= rid order)."""
    arts: list[bytes] = []
    page = "It's \"quoted\" <page>"
    # An attachment to the ticket, stored before the ticket exists.
    arts.append(artifact([
        f"A notes.txt {TKT} {'1' * 64}", "C early\\sattachment", "D 2024-02-01T09:00:00.000",
        "U carol"]))
    w1 = artifact([
        "D 2024-02-01T10:00:00.000", f"L {fossilize(page)}", "N text/x-fossil-wiki",
        "U alice", "W"],
        f"  Leading blanks. See [{CHECKIN_LINK}] and [/info/{CHECKIN_LINK}abcd|info]\n"
        "<nowiki>[deadbeef]</nowiki> <verbatim>[cafe0001]</verbatim> [cafe0002 ]\n")
    arts.append(w1)
    w2 = artifact([
        "D 2024-02-01T11:00:00.000", f"L {fossilize(page)}", "N text/x-markdown",
        f"P {sha3(w1)}", "U alice", "W"],
        MARKDOWN_PAGE)
    arts.append(w2)
    arts.append(artifact([
        "D 2024-02-01T12:00:00.000", f"L {fossilize(page)}", f"P {sha3(w2)}",
        "U alice", "W"], ""))
    arts.append(artifact([
        "D 2024-02-02T08:00:00.000", "L Blank", "U bob", "W"], " \n\t "))
    # No U card: 2.21 does not accept this as a wiki page.
    arts.append(artifact(["D 2024-02-02T09:00:00.000", "L NoUser", "W"], "[abcd1234]\n"))
    # Ticket changes.
    arts.append(artifact([
        "D 2024-02-03T10:00:00.000",
        "J comment " + fossilize("'); DROP TABLE ticket; -- see [abcd1234]"),
        "J icomment " + fossilize("first [beef0004]"),
        "J mimetype text/x-fossil-wiki",
        "J nosuchfield ignored",
        "J status Open",
        "J title " + fossilize("<script>alert('x')</script> & \"more\""),
        f"K {TKT}", "U bob"]))
    arts.append(artifact([
        "D 2024-02-03T11:00:00.000",
        "J +comment " + fossilize("\nappended [beef0005]"),
        "J status Closed",
        f"K {TKT}", "U carol"]))
    arts.append(artifact([
        "D 2024-02-03T12:00:00.000", "J priority High", f"K {TKT}", "U bob"]))
    # Technote, edited, with tags and a bgcolor.
    e1 = artifact([
        "C Note\\s<b>one</b>", "D 2024-03-01T10:00:00.000",
        f"E 2024-03-01T00:00:00 {TECHNOTE}", "N text/x-markdown",
        "T +bgcolor * #ff0000", "T +sym-release *", "U alice", "W"], "Body [x](beef0006)\n")
    arts.append(e1)
    arts.append(artifact([
        "C Note\\sone\\sedited", "D 2024-03-01T11:00:00.000",
        f"E 2024-03-01T00:00:00 {TECHNOTE}", f"P {sha3(e1)}",
        "T +sym-release *", "U alice", "W"], "Edited body\n"))
    arts.append(artifact([
        f"A shot.png {TECHNOTE} {'2' * 64}", "D 2024-03-02T10:00:00.000", "U alice"]))
    arts.append(artifact([
        f"A shot.png {TECHNOTE}", "D 2024-03-02T11:00:00.000", "U alice"]))
    # Attachments to the wiki page: added, then deleted.
    arts.append(artifact([
        f"A a\\sfile.txt {fossilize(page)} {'3' * 64}", "C with\\s<em>comment</em>",
        "D 2024-02-04T10:00:00.000", "U bob"]))
    arts.append(artifact([
        f"A a\\sfile.txt {fossilize(page)}", "D 2024-02-04T11:00:00.000", "U bob"]))
    # Forum: a thread, a reply, an edit of the root, a deleted reply, and a
    # reply into an unknown thread.
    f1 = artifact([
        "D 2024-04-01T10:00:00.000", "H Thread\\s<one>", "N text/x-markdown", "U dave", "W"],
        "Hello [link](beef0007)\n")
    arts.append(f1)
    f2 = artifact([
        "D 2024-04-01T11:00:00.000", f"G {sha3(f1)}", f"I {sha3(f1)}",
        "N text/x-fossil-wiki", "U erin", "W"], "Reply [beef0008]\n")
    arts.append(f2)
    arts.append(artifact([
        "D 2024-04-01T12:00:00.000", f"G {sha3(f1)}", "H Renamed\\sthread",
        f"P {sha3(f1)}", "U dave", "W"], "Hello again\n"))
    arts.append(artifact([
        "D 2024-04-01T13:00:00.000", f"G {sha3(f1)}", f"I {sha3(f1)}", f"P {sha3(f2)}",
        "U erin", "W"], ""))
    arts.append(artifact([
        "D 2024-04-02T10:00:00.000", f"G {UNKNOWN_ROOT}", f"I {UNKNOWN_PARENT}",
        "U mallory", "W"], "Lost [beef0009]\n"))
    # Pages whose newest versions keep their links.
    arts.append(artifact([
        "D 2024-05-01T10:00:00.000", "L Links", "U alice", "W"],
        "[abcd0001] <nowiki>[abcd0002]</nowiki> [abcd0003|x] <verbatim>[abcd0004]</verbatim>\n"
        "<foo [abcd0005]> <b title='[abcd0006]'>[/info/abcd0007abcd|y]</b> [ABCD0008 ]\n"
        "<verbatim id=v>[abcd0009]</verbatim> [abcd000a]\n"))
    arts.append(artifact([
        "D 2024-05-01T11:00:00.000", "L MdLinks", "N text/x-markdown", "U alice", "W"],
        "Intro *[em](abcd1001)* and [ref][R] and [R] and ![img](abcd1002)\n\n"
        "    [code](abcd1003)\n\n> quoted [q](abcd1004)\n\n- item [i](abcd1005)\n\n"
        "| a | b |\n|---|---|\n| [t](abcd1006) | x |\n\nNote[^n].\n\n"
        "[^n]: foot [f](abcd1007)\n[r]: <abcd1008> \"title\"\n"))
    return arts


def build_docs_repo(dest: Path, home: Path) -> Path:
    """A repository holding the hand-written artifacts (derived tables by fossil)."""
    exe = require_binary("fossil")
    env = base_env(home)
    dest.parent.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([exe, *args], check=True, capture_output=True, env=env, cwd=dest.parent)

    run("init", str(dest))
    # Stored as full text (4-byte big-endian size + zlib), in this order.
    con = sqlite3.connect(dest)
    with con:
        for data in _docs_artifacts():
            framed = len(data).to_bytes(4, "big") + zlib.compress(data)
            rid = con.execute(
                "INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,?,?,?)",
                (len(data), sha3(data), framed),
            ).lastrowid
            con.execute("INSERT INTO unclustered VALUES(?)", (rid,))
    con.close()
    run("rebuild", str(dest))
    return dest


@pytest.fixture(scope="session")
def docs_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PRISTINE repository of hand-written document artifacts; copy before use."""
    base = tmp_path_factory.mktemp("docs")
    home = base / "home"
    home.mkdir()
    return build_docs_repo(base / "docs.fossil", home)


# -- rebuilding and comparing -----------------------------------------------------


def fossil_rebuild(path: Path, home: Path) -> None:
    exe = require_binary("fossil")
    subprocess.run([exe, "rebuild", str(path)], check=True, capture_output=True,
                   env=base_env(home))


def fossilpy_rebuild(path: Path, home: Path) -> None:
    """``fossilpy rebuild -R PATH``; in-process rebuild while that command is missing."""
    try:
        import fossilpy.cli.history_cmds  # noqa: F401
    except ImportError:
        from fossilpy.repo.db import Repo
        from fossilpy.repo.rebuild import rebuild

        with Repo.open(path) as repo:
            rebuild(repo)
        return
    proc = subprocess.run([sys.executable, "-m", "fossilpy", "rebuild", "-R", str(path)],
                          capture_output=True, env=base_env(home), cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def _keep_owned_rows(path: Path) -> None:
    """Delete the derived rows this area does not produce (in a scratch copy)."""
    con = sqlite3.connect(path)
    with con:
        con.execute("DELETE FROM event WHERE type NOT IN ('w','t','e','f')")
        con.execute(
            "DELETE FROM tagxref WHERE tagid NOT IN (SELECT tagid FROM tag"
            " WHERE tagname GLOB 'wiki-*' OR tagname GLOB 'tkt-*' OR tagname GLOB 'event-*')"
        )
        con.execute(
            "DELETE FROM tag WHERE NOT (tagname GLOB 'wiki-*' OR tagname GLOB 'tkt-*'"
            " OR tagname GLOB 'event-*')"
        )
    con.close()


def owned_diff(src: Path, work: Path, home: Path) -> tuple[list[str], Path, Path]:
    """Rebuild two copies of ``src`` (fossil, fossilpy); differences in owned tables."""
    a_dir, b_dir = work / "fossil", work / "fossilpy"
    a_dir.mkdir(parents=True)
    b_dir.mkdir(parents=True)
    a = Path(shutil.copy(src, a_dir / "r.fossil"))
    b = Path(shutil.copy(src, b_dir / "r.fossil"))
    fossil_rebuild(a, home)
    fossilpy_rebuild(b, home)
    fa = Path(shutil.copy(a, a_dir / "owned.fossil"))
    fb = Path(shutil.copy(b, b_dir / "owned.fossil"))
    _keep_owned_rows(fa)
    _keep_owned_rows(fb)
    return derived_table_diff(fa, fb, tables=OWNED_TABLES), a, b


@pytest.mark.parametrize("name", ["sha3", "sha1"])
def test_varied_repo_rebuild_matches_fossil(varied_repos, name, tmp_path, home):
    diff, _a, _b = owned_diff(varied_repos[name], tmp_path, home)
    assert diff == [], format_diff(diff)


def test_docs_repo_rebuild_matches_fossil(docs_repo, tmp_path, home):
    diff, _a, _b = owned_diff(docs_repo, tmp_path, home)
    assert diff == [], format_diff(diff)


CUSTOM_TICKET_TABLE = """\
CREATE TABLE ticket(
  tkt_id INTEGER PRIMARY KEY,
  tkt_uuid TEXT UNIQUE,
  tkt_mtime DATE,
  status TEXT,
  title TEXT,
  "baseline for title" INTEGER,
  comment TEXT,
  priority TEXT
);
CREATE TABLE ticketchng(
  tkt_id INTEGER REFERENCES ticket,
  tkt_rid INTEGER REFERENCES blob,
  tkt_mtime DATE,
  status TEXT,
  icomment TEXT,
  nosuchfield TEXT
);
"""


def test_custom_ticket_table_matches_fossil(docs_repo, tmp_path, home):
    """No tkt_ctime/tkt_user, a baseline column, a field in both tables."""
    src = Path(shutil.copy(docs_repo, tmp_path / "custom.fossil"))
    con = sqlite3.connect(src)
    with con:
        con.execute("REPLACE INTO config(name,value,mtime) VALUES('ticket-table',?,0)",
                    (CUSTOM_TICKET_TABLE,))
    con.close()
    diff, _a, b = owned_diff(src, tmp_path / "work", home)
    assert diff == [], format_diff(diff)
    con = sqlite3.connect(b)
    rows = con.execute(
        "SELECT t.status, t.title, t.\"baseline for title\", c.status, c.icomment,"
        " c.nosuchfield FROM ticket t JOIN ticketchng c USING(tkt_id) ORDER BY c.tkt_mtime"
    ).fetchall()
    first = con.execute(
        "SELECT rid FROM tagxref JOIN tag USING(tagid) WHERE tagname=? ORDER BY mtime LIMIT 1",
        ("tkt-" + TKT,),
    ).fetchone()[0]
    con.close()
    title = "<script>alert('x')</script> & \"more\""
    assert rows == [
        ("Closed", title, first, "Open", "first [beef0004]", "ignored"),
        ("Closed", title, first, "Closed", None, None),
        ("Closed", title, first, "Closed", None, None),
    ]


GENERATED_MIMETYPE_TABLE = """\
CREATE TABLE ticket(
  tkt_id INTEGER PRIMARY KEY,
  tkt_uuid TEXT UNIQUE,
  tkt_mtime DATE,
  tkt_ctime DATE,
  status TEXT,
  title TEXT,
  comment TEXT,
  priority TEXT,
  mimetype TEXT GENERATED ALWAYS AS ('text/x-markdown') VIRTUAL
);
CREATE TABLE ticketchng(
  tkt_id INTEGER REFERENCES ticket,
  tkt_rid INTEGER REFERENCES blob,
  tkt_mtime DATE,
  tkt_user TEXT,
  icomment TEXT
);
"""


def test_generated_mimetype_ticket_table_matches_fossil(docs_repo, tmp_path, home):
    """A generated ticket.mimetype makes ticket text Markdown for backlinks."""
    src = Path(shutil.copy(docs_repo, tmp_path / "genmt.fossil"))
    con = sqlite3.connect(src)
    with con:
        con.execute("REPLACE INTO config(name,value,mtime) VALUES('ticket-table',?,0)",
                    (GENERATED_MIMETYPE_TABLE,))
    con.close()
    diff, _a, b = owned_diff(src, tmp_path / "work", home)
    assert diff == [], format_diff(diff)
    con = sqlite3.connect(b)
    links = con.execute("SELECT target FROM backlink WHERE srctype=1 ORDER BY target").fetchall()
    con.close()
    # "[abcd1234]" and "[beef0005]" are not Markdown links; "[beef0004]" is
    # not a ticketchng column value any more (icomment is, but as Markdown).
    assert links == []


def test_hostile_ticket_table_setting_is_refused(docs_repo, tmp_path):
    from fossilpy.errors import StorageError
    from fossilpy.repo.crosslink import tickets
    from fossilpy.repo.db import Repo

    path = Path(shutil.copy(docs_repo, tmp_path / "hostile.fossil"))
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "REPLACE INTO config(name,value,mtime) VALUES('ticket-table',?,0)",
            ("CREATE TABLE ticket(tkt_id INTEGER PRIMARY KEY, tkt_uuid, tkt_mtime);"
             "DELETE FROM user;",),
        )
    users = con.execute("SELECT count(*) FROM user").fetchone()
    tables = con.execute("SELECT sql FROM sqlite_schema WHERE name GLOB 'ticket*'").fetchall()
    con.close()
    with Repo.open(path) as repo, pytest.raises(StorageError, match="bad ticket-table setting: not authorized"):
        tickets.create_tables(repo)
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM user").fetchone() == users
    assert con.execute("SELECT sql FROM sqlite_schema WHERE name GLOB 'ticket*'").fetchall() \
        == tables
    con.close()


def _raw_artifact(lines: list[bytes], text: bytes | None = None) -> bytes:
    """Like artifact() for byte cards (text that is not UTF-8)."""
    out = []
    for card in lines:
        if card == b"W":
            out.append(b"W %d\n" % len(text or b"") + (text or b"") + b"\n")
        else:
            out.append(card + b"\n")
    data = b"".join(out)
    return data + b"Z " + hashlib.md5(data).hexdigest().encode() + b"\n"


def test_text_that_is_not_utf8_matches_fossil(tmp_path, home):
    """Latin-1 bytes in ticket values, users, forum titles, attachment names."""
    tkt = "6" * 40
    f1 = _raw_artifact([b"D 2024-04-01T10:00:00.000", b"H Caf\xe9\\sthread", b"U j\xf6rg",
                        b"W"], b"Hello [abcd1234]\n")
    arts = [
        _raw_artifact([b"D 2024-02-03T10:00:00.000", b"J comment na\xefve\\s[beef1234]",
                       b"J title Caf\xe9", b"K " + tkt.encode(), b"U j\xf6rg"]),
        _raw_artifact([b"D 2024-02-03T11:00:00.000", b"J +comment \xff", b"J status Clos\xe9d",
                       b"K " + tkt.encode(), b"U bob"]),
        _raw_artifact([b"A r\xe9sum\xe9.txt " + tkt.encode() + b" " + b"7" * 64,
                       b"C \xe0\\sla", b"D 2024-02-04T10:00:00.000", b"U j\xf6rg"]),
        f1,
        _raw_artifact([b"D 2024-04-01T11:00:00.000", b"G " + sha3(f1).encode(),
                       b"I " + sha3(f1).encode(), b"U j\xf6rg", b"W"], b"Re: \xe9\n"),
    ]
    exe = require_binary("fossil")
    src = tmp_path / "latin1.fossil"
    subprocess.run([exe, "init", str(src)], check=True, capture_output=True, env=base_env(home))
    con = sqlite3.connect(src)
    with con:
        for data in arts:
            framed = len(data).to_bytes(4, "big") + zlib.compress(data)
            rid = con.execute("INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,?,?,?)",
                              (len(data), sha3(data), framed)).lastrowid
            con.execute("INSERT INTO unclustered VALUES(?)", (rid,))
    con.close()
    diff, _a, b = owned_diff(src, tmp_path / "work", home)
    assert diff == [], format_diff(diff)
    con = sqlite3.connect(b)
    con.text_factory = bytes
    assert con.execute("SELECT title, status, comment FROM ticket").fetchall() == [
        (b"Caf\xe9", b"Clos\xe9d", b"na\xefve [beef1234]\xff")]
    assert con.execute(
        "SELECT comment FROM event WHERE type='f' ORDER BY mtime").fetchall() == [
        (b"Post: Caf\xe9 thread",), (b"Reply: Caf\xe9 thread",)]
    con.close()


# -- exact rows for hostile input ---------------------------------------------------


@pytest.fixture(scope="module")
def rebuilt_docs(docs_repo, tmp_path_factory):
    """The docs repository rebuilt by fossilpy (read-only use)."""
    work = tmp_path_factory.mktemp("docs_py")
    home = work / "home"
    home.mkdir()
    path = Path(shutil.copy(docs_repo, work / "r.fossil"))
    fossilpy_rebuild(path, home)
    con = sqlite3.connect(path)
    yield con
    con.close()


def _rid(con: sqlite3.Connection, data: bytes) -> int:
    return con.execute("SELECT rid FROM blob WHERE uuid=?", (sha3(data),)).fetchone()[0]


def test_ticket_with_html_and_sql_values(rebuilt_docs):
    con = rebuilt_docs
    row = con.execute(
        "SELECT type, status, priority, title, comment FROM ticket WHERE tkt_uuid=?", (TKT,)
    ).fetchone()
    assert row == (
        None, "Closed", "High",
        "<script>alert('x')</script> & \"more\"",
        "'); DROP TABLE ticket; -- see [abcd1234]\nappended [beef0005]",
    )
    assert con.execute("SELECT count(*) FROM ticket").fetchone() == (1,)
    chng = con.execute(
        "SELECT tkt_user, login, username, mimetype, icomment FROM ticketchng ORDER BY tkt_mtime"
    ).fetchall()
    assert chng == [
        ("bob", None, None, "text/x-fossil-wiki", "first [beef0004]"),
        ("carol", None, None, None, None),
        ("bob", None, None, None, None),
    ]
    events = con.execute(
        "SELECT user, comment, brief FROM event WHERE type='t' ORDER BY mtime"
    ).fetchall()
    title = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"
    short, long = TKT[:10], TKT[:16]
    assert events == [
        ("carol", f"Add attachment [/artifact/{'1' * 16}|notes.txt] to ticket [{long}|{short}]",
         None),
        ("bob", f"New ticket [{long}|{short}] <i>{title}</i>.", f"New ticket [{long}|{short}]."),
        ("carol", f"Closed ticket [{long}|{short}]: <i>{title}</i> plus 1 other change",
         f"Closed ticket [{long}|{short}]."),
        ("bob", f"Ticket [{long}|{short}] <i>{title}</i> status still Closed with 1 other change",
         f"Ticket [{long}|{short}]: 1 change"),
    ]
    links = con.execute(
        "SELECT target FROM backlink WHERE srctype=1 ORDER BY target"
    ).fetchall()
    assert links == [("abcd1234",), ("beef0004",), ("beef0005",)]


def test_wiki_name_with_quotes(rebuilt_docs):
    con = rebuilt_docs
    page = "It's \"quoted\" <page>"
    rows = con.execute(
        "SELECT e.comment, x.value FROM event e JOIN tagxref x ON x.rid=e.objid"
        " JOIN tag t ON t.tagid=x.tagid WHERE e.type='w' AND t.tagname=? ORDER BY e.mtime",
        ("wiki-" + page,),
    ).fetchall()
    # Leading white space is not counted; the third version deletes the page.
    first_len = len(
        "Leading blanks. See [abcdef0123] and [/info/abcdef0123abcd|info]\n"
        "<nowiki>[deadbeef]</nowiki> <verbatim>[cafe0001]</verbatim> [cafe0002 ]\n"
    )
    assert rows == [
        ("+" + page, str(first_len)), (":" + page, str(len(MARKDOWN_PAGE))), ("-" + page, "0"),
    ]
    assert con.execute(
        "SELECT comment FROM event WHERE type='w' AND comment LIKE '%Blank'"
    ).fetchall() == [("-Blank",)]
    assert con.execute("SELECT 1 FROM tag WHERE tagname='wiki-NoUser'").fetchall() == []
    # The page's newest version is empty: none of its backlinks remain.
    tagid = con.execute("SELECT tagid FROM tag WHERE tagname=?", ("wiki-" + page,)).fetchone()[0]
    assert con.execute(
        "SELECT count(*) FROM backlink WHERE srctype=2 AND srcid=?", (tagid,)
    ).fetchone() == (0,)
    att = con.execute(
        "SELECT isLatest, src, filename, comment, user FROM attachment WHERE target=?"
        " ORDER BY mtime", (page,)
    ).fetchall()
    assert att == [
        (0, "3" * 64, "a file.txt", "with <em>comment</em>", "bob"),
        (1, None, "a file.txt", "", "bob"),
    ]
    assert [r[0] for r in con.execute(
        "SELECT comment FROM event WHERE type='w' AND comment LIKE '%attachment%' ORDER BY mtime"
    )] == [
        f"Add attachment [/artifact/{'3' * 16}|a file.txt] to wiki page"
        " [It&#39;s &quot;quoted&quot; &lt;page&gt;]",
        "Delete attachment \"a file.txt\" from wiki page"
        " [It&#39;s &quot;quoted&quot; &lt;page&gt;]",
    ]


def test_wiki_backlinks(rebuilt_docs):
    con = rebuilt_docs

    def links(name: str) -> list[str]:
        return [r[0] for r in con.execute(
            "SELECT target FROM backlink JOIN tag ON tagid=srcid"
            " WHERE srctype=2 AND tagname=? ORDER BY target", ("wiki-" + name,))]

    assert links("Links") == ["abcd0001", "abcd0003", "abcd0005", "abcd0007abcd", "abcd0008"]
    assert links("MdLinks") == [
        "abcd1001", "abcd1004", "abcd1005", "abcd1006", "abcd1007", "abcd1008"]


def test_forum_reply_to_unknown_post(rebuilt_docs):
    con = rebuilt_docs
    lost = _rid(con, next(a for a in _docs_artifacts() if b"Lost [beef0009]" in a))
    root = con.execute("SELECT rid, size FROM blob WHERE uuid=?", (UNKNOWN_ROOT,)).fetchone()
    parent = con.execute("SELECT rid, size FROM blob WHERE uuid=?", (UNKNOWN_PARENT,)).fetchone()
    assert root[1] == -1 and parent[1] == -1
    assert con.execute("SELECT rid FROM phantom WHERE rid IN (?,?) ORDER BY rid",
                       (root[0], parent[0])).fetchall() == sorted([(root[0],), (parent[0],)])
    assert con.execute(
        "SELECT froot, fprev, firt FROM forumpost WHERE fpid=?", (lost,)
    ).fetchone() == (root[0], None, parent[0])
    assert con.execute("SELECT comment, user FROM event WHERE objid=?", (lost,)).fetchone() == (
        "Reply: <i>Unknown</i>", "mallory")
    comments = [r[0] for r in con.execute(
        "SELECT comment FROM event WHERE type='f' AND user!='mallory' ORDER BY mtime")]
    assert comments == [
        "Post: Renamed thread", "Reply: Renamed thread", "Edit: Renamed thread",
        "Delete reply: Renamed thread",
    ]
    assert con.execute(
        "SELECT target FROM backlink WHERE srctype=4 ORDER BY target"
    ).fetchall() == [("beef0007",), ("beef0008",), ("beef0009",)]


def test_technote_edit_and_attachments(rebuilt_docs):
    con = rebuilt_docs
    rows = con.execute(
        "SELECT comment, bgcolor, datetime(mtime) FROM event WHERE type='e' ORDER BY mtime"
    ).fetchall()
    long, short = TECHNOTE[:16], TECHNOTE[:10]
    assert rows == [
        ("Note one edited", None, "2024-03-01 00:00:00"),
        (f"Add attachment [/artifact/{'2' * 16}|shot.png] to tech note"
         f" [/technote/{long}|{short}]", None, "2024-03-02 10:00:00"),
        (f"Delete attachment \"/artifact/shot.png|shot.png\" from tech note"
         f" [/technote/{long}|{short}]", None, "2024-03-02 11:00:00"),
    ]


# -- link scanning against ``fossil test-backlinks`` ----------------------------------

_PIECES = [
    "[", "]", "(", ")", "abcd1234", "/info/", "deadbeef99", " ", "  ", "\n", "\n\n", "*", "**",
    "_", "`", "```", "> ", "- ", "1. ", "    ", "\t", "#", "# ", "|", "---", "===", "<", ">",
    "<pre>", "</pre>", "<html>", "</html>", "!", "\\", "&", ";", "'", '"', "[^1]", "[^1]: ",
    "(^", "[r]: ", "x", "<b>", "</b>", "<nowiki>", "</nowiki>", "<verbatim>", "</verbatim>",
    "<verbatim id=a>", "<div id=x>", "</div id=x>", "<a href='[", "|lbl", "~~~", "\r\n",
]


_LINES = [
    "- item [a](abcd0001)", "  - sub [b](abcd0002)", "    code [c](abcd0003)",
    "1. num [d](abcd0004)", "> quote [e](abcd0005)", "> > deep [f](abcd0006)", "", "",
    "| h1 | h2 |", "|---|:--:|", "| [g](abcd0007) | `[h](abcd0008)` |", "# head [i](abcd0009)",
    "Setext [j](abcd000a)", "===", "---", "```", "~~~", "<pre>", "</pre>", "<html>", "</html>",
    "[^n]: foot [k](abcd000b)", "   more [l](abcd000c)", '[r]: abcd000d "t"', "[R]:\n  <abcd000e>",
    "text[^n] [r] [x][r] [y][]", "*em [m](abcd000f)*", "__st [n](abcd0010)__",
    "\t[tab](abcd0011)", " * [o](abcd0012)", "***", "<!-- [p](abcd0013) -->",
    "para (^inline [q](abcd0014))", "![img](abcd0015) [s](abcd0016 'x')", "\\[t](abcd0017)",
    "<div>[u](abcd0018)</div>", "  ", "\r", "2) paren [v](abcd0019)", "[w]: <abcd001a>", "[w]",
]


def _corpus(seed: int, n: int) -> list[str]:
    """Random texts: token soup, or (odd seeds) random block-structured lines."""
    import random

    rnd = random.Random(seed)
    if seed % 2:
        return ["\n".join(rnd.choice(_LINES) for _ in range(rnd.randint(1, 12)))
                + rnd.choice(["", "\n"]) for _ in range(n)]
    return ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 25))) for _ in range(n)]


def _fossil_targets(exe: str, env: dict, path: Path, mimetype: str) -> list[str]:
    out = subprocess.run(
        [exe, "test-backlinks", "2", "7", "--mimetype", mimetype, "--mtime", "2024-01-01",
         str(path)],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    return sorted({line.split("'")[1] for line in out.splitlines() if line.startswith("target=")})


@pytest.mark.parametrize("mimetype, seed", [
    ("text/x-fossil-wiki", 2110), ("text/x-markdown", 2110), ("text/x-markdown", 2111),
])
def test_link_scanning_matches_fossil(mimetype, seed, tmp_path, home):
    from fossilpy.markup.md_render import markdown_link_targets
    from fossilpy.markup.wiki_parse import (
        MT_MARKDOWN,
        canonical_target,
        parse_mimetype,
        wiki_link_targets,
    )

    exe = require_binary("fossil")
    env = base_env(home)
    scan = markdown_link_targets if parse_mimetype(mimetype) == MT_MARKDOWN else wiki_link_targets
    bad = []
    for i, text in enumerate(_corpus(seed, 150)):
        path = tmp_path / f"in{i}.txt"
        path.write_text(text, newline="")
        expected = _fossil_targets(exe, env, path, mimetype)
        got = sorted({t for t in map(canonical_target, scan(text)) if t})
        if got != expected:
            bad.append(f"{text!r}: fossil {expected} fossilpy {got}")
    assert bad == [], "\n".join(bad)


# -- the crosslink functions fed odd manifests -------------------------------------------


def test_crosslink_functions_with_sparse_manifests(docs_repo, tmp_path):
    """Missing titles, users, texts and targets give Fossil's defaults, no errors."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.repo import crosslink
    from fossilpy.repo.crosslink import docs as xlink_docs
    from fossilpy.repo.db import Repo

    path = Path(shutil.copy(docs_repo, tmp_path / "sparse.fossil"))
    orphan_tkt = "0" * 40
    with Repo.open(path) as repo, repo.write(), crosslink.batch(repo) as b:
        xlink_docs.crosslink_forum(b, 9001, Manifest(type=ArtifactType.FORUM, julian=2460000.5))
        xlink_docs.crosslink_wiki(b, 9002, Manifest(
            type=ArtifactType.WIKI, julian=2460000.5, wiki_title="Sparse"))
        xlink_docs.crosslink_ticket(b, 9003, Manifest(
            type=ArtifactType.TICKET, julian=2460000.5, ticket_uuid=orphan_tkt))
        xlink_docs.crosslink_attachment(b, 9004, Manifest(
            type=ArtifactType.ATTACHMENT, julian=2460000.5, attach_name="f",
            attach_target="Sparse"))
        xlink_docs.crosslink_event(b, 9005, Manifest(
            type=ArtifactType.EVENT, julian=2460000.5, event_julian=2460000.25,
            event_id="1" * 40))
    con = sqlite3.connect(path)
    events = con.execute(
        "SELECT objid, type, user, comment, tagid IS NOT NULL FROM event"
        " WHERE objid BETWEEN 9001 AND 9005 ORDER BY objid"
    ).fetchall()
    forum = con.execute("SELECT * FROM forumpost WHERE fpid=9001").fetchall()
    tickets = con.execute("SELECT count(*) FROM ticket WHERE tkt_uuid=?", (orphan_tkt,)).fetchone()
    tags = con.execute(
        "SELECT tagname, value FROM tagxref JOIN tag USING(tagid)"
        " WHERE rid BETWEEN 9001 AND 9005 ORDER BY rid"
    ).fetchall()
    con.close()
    assert events == [
        (9001, "f", None, "Post: (Deleted)", 0),
        (9002, "w", None, "-Sparse", 0),
        (9004, "w", None, 'Delete attachment "f" from wiki page [Sparse]', 0),
        (9005, "e", None, None, 1),
    ]
    assert forum == [(9001, 9001, None, None, 2460000.5)]
    assert tickets == (0,)
    assert tags == [("wiki-Sparse", "0"), ("tkt-" + orphan_tkt, None), ("event-" + "1" * 40, "0")]


def test_rebuild_all_tickets_is_idempotent(docs_repo, tmp_path, home):
    """tickets.rebuild_all (Fossil's ticket_rebuild) reproduces what rebuild made."""
    from fossilpy.repo import crosslink
    from fossilpy.repo.crosslink import tickets
    from fossilpy.repo.db import Repo

    path = Path(shutil.copy(docs_repo, tmp_path / "again.fossil"))
    fossilpy_rebuild(path, home)
    query = (
        "SELECT tkt_uuid, tkt_mtime, tkt_ctime, status, title, comment, priority FROM ticket;"
        "SELECT tkt_rid, tkt_mtime, tkt_user, mimetype, icomment FROM ticketchng ORDER BY 1;"
        "SELECT objid, type, mtime, user, comment, brief FROM event WHERE type='t' ORDER BY 1;"
        "SELECT target, srctype, srcid, mtime FROM backlink WHERE srctype=1 ORDER BY 1, 3"
    )

    def snapshot() -> list:
        con = sqlite3.connect(path)
        out = [con.execute(q).fetchall() for q in query.split(";")]
        con.close()
        return out

    before = snapshot()
    with Repo.open(path) as repo, repo.write(), crosslink.batch(repo) as b:
        tickets.rebuild_all(b)
    assert snapshot() == before
    assert before[0] and before[1] and before[2] and before[3]


def test_hostile_ticket_table_setting_cannot_run_sql_in_rebuild(fossil, fossilpy, tmp_path) -> None:
    """The ticket-table setting can arrive by config sync: rebuild runs it under an authorizer."""
    fossil("init", "r.fossil")
    hostile = "CREATE TABLE ticket(tkt_id INTEGER PRIMARY KEY, tkt_uuid TEXT UNIQUE);\nDELETE FROM user;"
    fossil("sql", "-R", "r.fossil", f"REPLACE INTO config VALUES('ticket-table', '{hostile}', 1)")
    users_before = fossil.text("sql", "-R", "r.fossil", "SELECT count(*) FROM user")
    res = fossilpy("rebuild", "-R", "r.fossil", check=False)
    assert res.returncode == 1
    assert res.stderr.decode().startswith("fossilpy: bad ticket-table setting: not authorized")
    assert b"Traceback" not in res.stderr
    assert fossil.text("sql", "-R", "r.fossil", "SELECT count(*) FROM user") == users_before
    fossil("test-integrity", "-R", "r.fossil")
