"""Attachments and technotes written by fossilpy against those of fossil 2.21.

The same edit is made on two copies of one repository, by the real
``fossil`` (its command, or its server's form) and by fossilpy (its
command, or its page through the WSGI app); the new artifacts must agree
card for card apart from D, U and Z, and the attached file must be the
same blob.  The read side is compared too: the timeline row of an
attachment and its /info page, on ``fossil server`` and on fossilpy.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import Runner
from tests.net import fossil_serving
from tests.web.wsgi import call

_BODY = b"D 2024-01-01T00:00:00.000\nL Page\nU root\nW 4\nabc\n\n"
#: a file that is itself a valid wiki artifact: fossil stores it compressed, named NAME.gz
_ARTIFACT = _BODY + b"Z " + hashlib.md5(_BODY).hexdigest().encode() + b"\n"
_LONG = "".join(f"Line {i} of a long enough technote to be worth a delta.\n" for i in range(20))
NOTE_ID = "0123456789abcdef0123456789abcdef01234567"
BOUNDARY = "----fossilpyTestBoundary7MA4YWxk"


def _cards(data: bytes) -> list[str]:
    """The cards of an artifact without D, U and Z."""
    return [line for line in data.decode().split("\n") if line and line[:2] not in ("D ", "U ", "Z ")]


def _newest(path: Path, kind: str) -> tuple[bytes, str]:
    """(bytes, hash) of the newest attachment ("a") or technote ("e") artifact of ``path``."""
    from fossilpy.repo import content
    from fossilpy.repo.db import Repo

    sql = (
        "SELECT attachid FROM attachment ORDER BY attachid DESC LIMIT 1"
        if kind == "a"
        else "SELECT objid FROM event WHERE type='e' ORDER BY objid DESC LIMIT 1"
    )
    with Repo.open(str(path), readonly=True) as repo:
        rid = repo.one(sql)
        data = content.get(repo, rid)
        assert data is not None
        return data, str(content.uuid_of(repo, rid))


def _multipart(fields: list[tuple[str, str | tuple[str, bytes]]]) -> bytes:
    out = b""
    for name, value in fields:
        out += f"--{BOUNDARY}\r\n".encode()
        if isinstance(value, tuple):
            fname, data = value
            out += f'Content-Disposition: form-data; name="{name}"; filename="{fname}"\r\n'.encode()
            out += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    return out + f"--{BOUNDARY}--\r\n".encode()


class _FossilSite:
    """A logged-in visitor of ``fossil server`` on 127.0.0.1:port."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.port = port
        status, headers, _ = self.request(
            "POST", "/login", urlencode({"u": user, "p": password}).encode(), "application/x-www-form-urlencoded"
        )
        assert status == 302, status
        self.cookie = headers["set-cookie"].split(";")[0]

    def request(self, method: str, path: str, body: bytes = b"", ctype: str = "") -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Origin": f"http://127.0.0.1:{self.port}",
            "Referer": f"http://127.0.0.1:{self.port}{path}",
        }
        if ctype:
            headers["Content-Type"] = ctype
        if getattr(self, "cookie", None):
            headers["Cookie"] = self.cookie
        conn.request(method, path, body=body or None, headers=headers)
        r = conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        out = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        return r.status, out, data


@pytest.fixture
def base(tmp_path: Path, fossil: Runner) -> Path:
    """A fossil repository with wiki page "Page" and user root (password rootpw)."""
    repo = tmp_path / "base.fossil"
    fossil("init", repo)
    (tmp_path / "page.txt").write_text("Some page text.\n")
    fossil("wiki", "create", "Page", "page.txt", "-R", repo)
    fossil("user", "password", "root", "rootpw", "-R", repo)
    return repo


def _copy(base: Path, name: str) -> Path:
    dest = base.parent / name
    shutil.copyfile(base, dest)
    return dest


def _fossilpy_login(app: object) -> tuple[dict[str, str], str]:
    r = call(app, "/login", form={"u": "root", "p": "rootpw"})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return {name: value.replace("/", "%2F")}, value.split("/")[0][:10]


def _app(path: Path) -> object:
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(path)))


@pytest.mark.parametrize(
    "payload",
    [b"plain text\nline two\n", _ARTIFACT],
    ids=["text", "looks-like-an-artifact"],
)
def test_attachment_add_command_matches_fossil(
    base: Path, fossil: Runner, fossilpy: Runner, tmp_path: Path, payload: bytes
) -> None:
    a, b = _copy(base, "a.fossil"), _copy(base, "b.fossil")
    sub = tmp_path / "dir"
    sub.mkdir()
    (sub / "data.txt").write_bytes(payload)
    out_f = fossil("attachment", "add", "Page", "dir/data.txt", "-R", a)
    out_p = fossilpy("attachment", "add", "Page", "dir/data.txt", "-R", b)
    assert out_p.stdout == out_f.stdout == b"Attached dir/data.txt to wiki page Page.\n"
    art_f, _ = _newest(a, "a")
    art_p, _ = _newest(b, "a")
    assert _cards(art_p) == _cards(art_f)
    name = "data.txt.gz" if payload is _ARTIFACT else "data.txt"
    assert _cards(art_p)[0].startswith(f"A {name} Page ")
    src = _cards(art_p)[0].split()[-1]
    stored_f = fossil("artifact", src, "-R", a).stdout
    assert fossil("artifact", src, "-R", b).stdout == stored_f  # the same blob, read by fossil from both
    if payload is _ARTIFACT:  # stored in fossil's blob framing, so it is not taken for an artifact
        import zlib

        assert int.from_bytes(stored_f[:4], "big") == len(payload) and zlib.decompress(stored_f[4:]) == payload
    else:
        assert stored_f == payload
    assert fossil("test-integrity", "-R", b).returncode == 0
    listing_f = fossil("test-list-attachments", "-R", a).stdout
    listing_p = fossilpy("test-list-attachments", "-R", b).stdout
    assert re.sub(rb"\d\d:\d\d:\d\d", b"T", listing_p) == re.sub(rb"\d\d:\d\d:\d\d", b"T", listing_f)


def test_attachment_command_errors_match_fossil(base: Path, fossil: Runner, fossilpy: Runner, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x\n")
    for args in (
        ["list"],
        ["add", "Nope", "x.txt"],
        ["add", "x.txt"],
        [],
        ["add", "x.txt", "-t", "2024-01-01"],
        ["add", "Page", "missing.txt"],
        ["add", "Page", "x.txt", "extra"],
    ):
        got_f = fossil("attachment", *args, "-R", base, check=False)
        got_p = fossilpy("attachment", *args, "-R", base, check=False)
        assert (got_p.returncode, got_p.stdout) == (got_f.returncode, got_f.stdout) == (1, b""), args
        # fossil names itself by its argv[0] in a usage line; fossilpy says "fossil", as its wiki command
        want = got_f.stderr.decode().replace(f"Usage: {fossil.argv0[0]} ", "Usage: fossil ")
        assert got_p.stderr.decode() == "fossilpy: " + want, args
    assert fossilpy("test-list-attachments", "-R", base).stdout == b""


def test_attachment_to_technote_command_matches_fossil(
    base: Path, fossil: Runner, fossilpy: Runner, tmp_path: Path
) -> None:
    (tmp_path / "note.txt").write_text("Note body\n")
    fossil("wiki", "create", "A note", "note.txt", "--technote", "2024-05-06 07:08:09", "-R", base)
    a, b = _copy(base, "a.fossil"), _copy(base, "b.fossil")
    (tmp_path / "f.bin").write_bytes(b"\x00\x01binary")
    note_id = fossil("wiki", "list", "-t", "-s", "-R", base).stdout.split()[0].decode()
    for spec in ("2024-05-06 07:08:09", note_id[:8]):
        out_f = fossil("attachment", "add", "f.bin", "-t", spec, "-R", a)
        out_p = fossilpy("attachment", "add", "f.bin", "--technote", spec, "-R", b)
        assert out_p.stdout == out_f.stdout == f"Attached f.bin to tech note {spec}.\n".encode()
        assert (
            _cards(_newest(b, "a")[0])
            == _cards(_newest(a, "a")[0])
            == [f"A f.bin {note_id} " + _cards(_newest(a, "a")[0])[0].split()[-1]]
        )


def test_attachadd_page_matches_fossil_server(base: Path, fossil: Runner) -> None:
    """The same multipart POST to /attachadd on fossil server and on fossilpy; then the read side."""
    a, b = _copy(base, "a.fossil"), _copy(base, "b.fossil")
    payload = b"hello <b>attachment</b>\n"
    fields: list[tuple[str, str | tuple[str, bytes]]] = [
        ("page", "Page"),
        ("from", "/wiki?name=Page"),
        ("comment", "  A  file\nfor you  "),
        ("f", ("../up/notes.txt", payload)),
        ("ok", "Add Attachment"),
    ]
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        site = _FossilSite(port, "root", "rootpw")
        status, _, _ = site.request(
            "POST", "/attachadd", _multipart(fields), f"multipart/form-data; boundary={BOUNDARY}"
        )
        assert status == 302
        art_f, uuid_f = _newest(a, "a")
        _, _, timeline_f = site.request("GET", "/timeline?y=w")
        _, _, info_f = site.request("GET", f"/info/{uuid_f}")
    app = _app(b)
    cookies, csrf = _fossilpy_login(app)
    r = call(
        app,
        "/attachadd",
        cookies=cookies,
        method="POST",
        body=_multipart([("csrf", csrf), *fields]),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert r.status == 302 and r.header("Location") == "http://localhost:8080/wiki?name=Page", r.text
    art_p, uuid_p = _newest(b, "a")
    assert _cards(art_p) == _cards(art_f)
    assert _cards(art_p)[0] == "A notes.txt Page " + _cards(art_f)[0].split()[-1]
    assert _cards(art_p)[1] == r"C A\s\sfile\nfor\syou"

    # the timeline row: Fossil renders the attachment message as wiki text
    def row_text(html: str) -> str:
        m = re.search(r"Add attachment.*?</a>[^<]*<a [^>]*>Page</a>", html, re.S)
        assert m, html[-3000:]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(0)))

    timeline_p = call(app, "/timeline?y=w", cookies=cookies).text
    assert row_text(timeline_p) == row_text(timeline_f) == "Add attachment notes.txt to wiki page Page"
    assert 'href="/artifact/' in re.search(r"Add attachment <a [^>]*>", timeline_p).group(0)
    assert "[/artifact/" not in timeline_p
    # /info of the attachment artifact: the attachment details, as fossil's
    info_p = call(app, f"/info/{uuid_p}", cookies=cookies)
    assert info_p.status == 200
    for text in (
        "Attachment Details",
        "Artifact&nbsp;ID:",
        "Wiki&nbsp;Page:",
        "Artifact&nbsp;Attached:",
        "<tr><th>Filename:</th><td>notes.txt</td></tr>",
        "Content Appended",
        "hello &lt;b&gt;attachment&lt;/b&gt;",
    ):
        assert text in info_f, text
        assert text in info_p.text, text
    assert "Wiki version" not in info_p.text


def test_technoteedit_matches_fossil_server(base: Path, fossil: Runner) -> None:
    """A new technote, then an edit, through /technoteedit on both servers: the same cards."""
    a, b = _copy(base, "a.fossil"), _copy(base, "b.fossil")
    forms = [
        {
            "name": NOTE_ID,
            "t": "2024-05-06 07:08:09",
            "c": "  Release <b>1.0</b> ",
            "g": "beta, alpha  gamma",
            "newclr": "on",
            "clr": "#ff0000",
            "mimetype": "text/x-markdown",
            "w": "# Title\r\n\r\nBody *x*\r\n" + _LONG,
            "submit": "Submit",
        },
        {
            "name": NOTE_ID[:10],
            "t": "2024-05-07",
            "c": "Release 1.0 final",
            "g": "",
            "mimetype": "text/x-fossil-wiki",
            "w": "<title>T</title>\nNew body\n" + _LONG,
            "submit": "Submit",
        },
    ]
    arts_f = []
    with fossil_serving(fossil.argv0, a, env=fossil.env) as port:
        site = _FossilSite(port, "root", "rootpw")
        for form in forms:
            _, _, page = site.request("GET", f"/technoteedit?name={form['name']}")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            status, headers, _ = site.request(
                "POST", "/technoteedit", urlencode({**form, "csrf": csrf}).encode(), "application/x-www-form-urlencoded"
            )
            assert status == 302, status
            arts_f.append(_newest(a, "e")[0])
    app = _app(b)
    cookies, csrf = _fossilpy_login(app)
    arts_p = []
    for form in forms:
        r = call(app, "/technoteedit", cookies=cookies, form={**form, "csrf": csrf})
        assert r.status == 302, r.text
        assert r.header("Location") == f"http://localhost:8080/technote?name={NOTE_ID}"
        arts_p.append(_newest(b, "e")[0])

    def parent_named(arts: list[bytes]) -> list[list[str]]:  # P names the previous version, whose D differs
        prev = [hashlib.sha3_256(arts[0]).hexdigest()]
        return [[c if c != f"P {prev[0]}" else "P (previous)" for c in _cards(x)] for x in arts]

    assert parent_named(arts_p) == parent_named(arts_f)
    assert "P (previous)" in parent_named(arts_p)[1]
    assert _cards(arts_p[0])[:7] == [
        r"C Release\s<b>1.0</b>",
        f"E 2024-05-06T07:08:09 {NOTE_ID}",
        "N text/x-markdown",
        "T +bgcolor * #ff0000",
        "T +sym-alpha *",
        "T +sym-beta *",
        "T +sym-gamma *",
    ]
    assert _cards(arts_p[1])[1:3] == [f"E 2024-05-07T00:00:00 {NOTE_ID}", "N text/x-fossil-wiki"]
    # the previous version is stored as a delta of the new one exactly when fossil does so
    deltas = []
    for path in (a, b):
        db = sqlite3.connect(path)
        try:
            deltas.append(
                db.execute(
                    "SELECT count(*) FROM delta WHERE rid IN (SELECT rid FROM tagxref WHERE tagid="
                    "(SELECT tagid FROM tag WHERE tagname=?))",
                    ("event-" + NOTE_ID,),
                ).fetchone()[0]
            )
        finally:
            db.close()
    assert deltas == [1, 1]
    assert fossil("test-integrity", "-R", b).returncode == 0
    # fossil lists and exports fossilpy's technote as its own
    exported = fossil("wiki", "export", "--technote", NOTE_ID, "-R", b).stdout
    assert exported == b"<title>T</title>\nNew body\n" + _LONG.encode()


def test_technoteedit_matches_fossil_wiki_create_technote(base: Path, fossil: Runner, tmp_path: Path) -> None:
    """fossil wiki create --technote and /technoteedit with the same fields: the same cards but the id."""
    a, b = _copy(base, "a.fossil"), _copy(base, "b.fossil")
    (tmp_path / "n.txt").write_text("Plain body\n")
    fossil(
        "wiki",
        "create",
        "My comment",
        "n.txt",
        "--technote",
        "2024-02-03 04:05:06",
        "--technote-tags",
        "x y",
        "--technote-bgcolor",
        "#00ff00",
        "-M",
        "text/plain",
        "-R",
        a,
    )
    art_f = _newest(a, "e")[0]
    app = _app(b)
    cookies, csrf = _fossilpy_login(app)
    r = call(
        app,
        "/technoteedit",
        cookies=cookies,
        form={
            "name": NOTE_ID,
            "t": "2024-02-03 04:05:06",
            "c": "My comment",
            "g": "x y",
            "newclr": "on",
            "clr": "#00ff00",
            "mimetype": "text/plain",
            "w": "Plain body\n",
            "submit": "Submit",
            "csrf": csrf,
        },
    )
    assert r.status == 302
    art_p = _newest(b, "e")[0]
    fossil_id = _cards(art_f)[1].split()[-1]
    assert [c.replace(NOTE_ID, fossil_id) for c in _cards(art_p)] == _cards(art_f)


def _visible(html: str, start: str, end: str) -> str:
    """The text a person reads between two markers of a page (tags dropped, white space collapsed)."""
    import html as htmllib

    body = html[html.index(start) : html.index(end, html.index(start))]
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def test_attachlist_reads_as_fossil_server(base: Path, fossil: Runner, tmp_path: Path) -> None:
    """One repository written by fossil; /attachlist on fossil server and on fossilpy say the same."""
    (tmp_path / "d.txt").write_text("data\n")
    fossil("attachment", "add", "Page", "d.txt", "-R", base)
    fossil("wiki", "create", "Note", "d.txt", "--technote", "2024-01-01 00:00:00", "-R", base)
    fossil("attachment", "add", "d.txt", "-t", "2024-01-01", "-R", base)
    note_id = fossil("wiki", "list", "-t", "-s", "-R", base).stdout.split()[0].decode()
    pages = ["/attachlist", "/attachlist?page=Page", f"/attachlist?technote={note_id[:8]}", f"/technote/{note_id}"]
    with fossil_serving(fossil.argv0, base, env=fossil.env) as port:
        site = _FossilSite(port, "root", "rootpw")
        seen_f = [site.request("GET", p)[2] for p in pages]
    app = _app(base)
    cookies, _ = _fossilpy_login(app)
    seen_p = [call(app, p, cookies=cookies).text for p in pages]
    for page, f, p in zip(pages, seen_f, seen_p, strict=True):
        start, end = ("Attachments:", "</ul>") if "technote/" in page else ("<ol", "</ol>")
        assert _visible(p, start, end) == _visible(f, start, end), page
    assert "Added to tech note" in _visible(seen_p[0], "<ol", "</ol>")
