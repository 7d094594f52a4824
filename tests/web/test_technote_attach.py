"""Technotes and attachments through the WSGI app: /technote, /technoteedit,
/attachadd, /attachlist, /attachview, /attachdownload, /ainfo; and the
multipart/form-data parser they need (``fossilpy.web.multipart``).

Every write is refused without its capability letter, without the form's
CSRF token, or with bad input, and then nothing is written; hostile file
names and contents never come back as markup or as a document that could
run script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fossilpy.web import multipart
from fossilpy.web.request import HTTPError
from tests.web.conftest import sql
from tests.web.wsgi import call

B = "XyZzY"
CT = f"multipart/form-data; boundary={B}"


# -- the multipart parser --------------------------------------------------


def _body(*parts: tuple[str, str | tuple[str, bytes]]) -> bytes:
    out = b""
    for name, value in parts:
        if isinstance(value, tuple):
            head = f'Content-Disposition: form-data; name="{name}"; filename="{value[0]}"\r\nContent-Type: x/y\r\n'
            out += f"--{B}\r\n{head}\r\n".encode() + value[1] + b"\r\n"
        else:
            out += f'--{B}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    return out + f"--{B}--\r\n".encode()


def test_multipart_parses_fields_and_files() -> None:
    data = b"bin\r\n--XyZ\r\n\x00\xff--" + B.encode() + b"x"  # CRLF, a near-boundary, NUL and non-UTF-8 bytes
    body = b"preamble\r\n" + _body(("comment", "h\xe9llo"), ("f", ("C:\\a\\b.txt", data))) + b"epilogue"
    parts = multipart.parse(body, CT)
    assert parts == [
        multipart.Part("comment", None, "", "h\xe9llo".encode()),
        multipart.Part("f", "C:\\a\\b.txt", "x/y", data),
    ]
    assert multipart.fields(parts) == {"comment": "h\xe9llo"}
    quoted = multipart.parse(
        f'--{B}\r\nContent-Disposition: form-data; name=f; filename="x%22y;z.txt"; x=1\r\n\r\nv\r\n--{B}--'.encode(), CT
    )
    assert quoted == [multipart.Part("f", "x%22y;z.txt", "", b"v")]
    assert multipart.parse(f"--{B}--\r\n".encode(), CT) == []


@pytest.mark.parametrize(
    ("body", "ctype", "why"),
    [
        (b"", "multipart/form-data", "missing or invalid boundary"),
        (b"", "multipart/form-data; boundary=" + "b" * 71, "missing or invalid boundary"),
        (b"", "text/plain; boundary=x", "not multipart/form-data"),
        (b"garbage", CT, "no boundary line"),
        (f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'.encode(), CT, "no closing boundary"),
        (f"--{B}\r\nContent-Type: text/plain\r\n\r\nv\r\n--{B}--".encode(), CT, "a part without a name"),
        (f"--{B}\r\n\r\nv\r\n--{B}--".encode(), CT, "a part without a name"),
        (f"--{B}\r\nno colon here\r\n\r\nv\r\n--{B}--".encode(), CT, "a part header without a colon"),
        (f'--{B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--{B}--'.encode(), CT, "not form-data"),
        (f'--{B}\r\nContent-Disposition: form-data; name="a\r\n\r\nv\r\n--{B}--'.encode(), CT, "unterminated"),
        (f"--{B}junk".encode(), CT, "a boundary line not followed by CRLF"),
        (f"--{B}\r\nX: {'y' * 9000}\r\n\r\nv\r\n--{B}--".encode(), CT, "part headers missing their end or too long"),
        (_body(*[("a", "1")] * 101), CT, "more than 100 parts"),
    ],
)
def test_multipart_garbage_is_a_400(body: bytes, ctype: str, why: str) -> None:
    with pytest.raises(HTTPError) as err:
        multipart.parse(body, ctype)
    assert err.value.status == 400
    assert err.value.message.startswith("malformed multipart/form-data body: ") and why in err.value.message


# -- the pages -------------------------------------------------------------

USERS = {
    # name: caps
    "att": "jmbr",  # may attach to wiki pages
    "nob": "jmr",  # no b
    "nom": "jbr",  # no m
    "tkt": "rcb",  # may attach to tickets
    "tnb": "rb",  # ticket reader without c
    "del": "jmbk",  # may delete wiki attachments
    "tn": "ijfk",  # technotes: create and edit
    "tnew": "ijf",  # create only
    "tread": "j",
}


@pytest.fixture
def site(repo_copy: Path) -> Path:
    sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    sql(repo_copy, "UPDATE user SET cap='' WHERE login='anonymous'")  # else every login inherits m and c
    for name, caps in USERS.items():
        sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (name, name + "pw", caps))
    return repo_copy


def _app(path: Path) -> Any:
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(path)))


def _login(app: Any, user: str) -> tuple[dict[str, str], str]:
    r = call(app, "/login", form={"u": user, "p": "rootpw" if user == "root" else user + "pw"})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return {name: value.replace("/", "%2F")}, value.split("/")[0][:10]


def _state(path: Path) -> list[tuple]:
    """What a refused write must leave alone."""
    return sql(path, "SELECT count(*), max(rid) FROM blob") + sql(path, "SELECT count(*) FROM attachment")


def _upload(
    app: Any,
    user: str,
    target: str = "page=Home",
    name: str = "notes.txt",
    data: bytes = b"hello\n",
    comment: str = "a file",
    csrf: str | None = None,
    **kw: Any,
) -> Any:
    cookies, token = _login(app, user)
    field, value = target.split("=", 1)
    body = _body(
        ("csrf", token if csrf is None else csrf),
        (field, value),
        ("from", "/wiki?name=Home"),
        ("comment", comment),
        ("f", (name, data)),
        ("ok", "Add Attachment"),
    )
    return call(app, "/attachadd", cookies=cookies, method="POST", body=body, content_type=CT, **kw)


def _ticket(path: Path) -> str:
    return str(sql(path, "SELECT tkt_uuid FROM ticket")[0][0])


def test_attach_to_wiki_page_list_view_download(site: Path) -> None:
    app = _app(site)
    r = _upload(app, "att", name="../dir/report.txt", data=b"<script>alert(1)</script>\n", comment=" <b>x</b> ")
    assert (r.status, r.header("Location")) == (302, "http://localhost:8080/wiki?name=Home")
    ((target, fname, comment, user, src),) = sql(site, "SELECT target, filename, comment, user, src FROM attachment")
    assert (target, fname, comment, user) == ("Home", "report.txt", "<b>x</b>", "att")
    cookies, _ = _login(app, "att")
    listing = call(app, "/attachlist?page=Home", cookies=cookies)
    assert listing.status == 200
    assert '<a href="/attachview?page=Home&amp;file=report.txt">report.txt</a>' in listing.text
    assert '[<a href="/attachdownload/report.txt?page=Home&amp;file=report.txt">download</a>]' in listing.text
    assert "<b>x</b>" in listing.text  # the description is wiki text (bold is allowed markup), as %!W
    view = call(app, "/attachview?page=Home&file=report.txt", cookies=cookies)
    assert (
        view.status == 200 and "&lt;script&gt;alert(1)&lt;/script&gt;" in view.text and "<script>alert" not in view.text
    )
    dl = call(app, "/attachdownload/report.txt?page=Home&file=report.txt", cookies=cookies)
    assert (dl.status, dl.body) == (200, b"<script>alert(1)</script>\n")
    assert dl.header("Content-Type") == "text/plain; charset=utf-8"
    assert dl.header("Content-Disposition") == 'attachment; filename="report.txt"'
    assert dl.header("Content-Security-Policy") == "sandbox; default-src 'none'"
    assert dl.header("X-Content-Type-Options") == "nosniff"
    assert call(app, "/attachdownload/x?page=Home&file=nope.txt", cookies=cookies).status == 404


@pytest.mark.parametrize(
    ("name", "stored", "disposition"),
    [
        ("<script>.html", "<script>.html", "script.html"),
        ("evil.svg", "evil.svg", "evil.svg"),
        ("..\\dir\\c.html", "c.html", "c.html"),
        ("", "unknown", "unknown"),
    ],
)
def test_hostile_file_names_and_types(site: Path, name: str, stored: str, disposition: str) -> None:
    app = _app(site)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    assert _upload(app, "att", name=name, data=svg).status == 302
    assert sql(site, "SELECT filename FROM attachment") == [(stored,)]
    cookies, _ = _login(app, "att")
    from urllib.parse import quote

    for page in ("attachdownload", "attachimage"):
        r = call(app, f"/{page}?page=Home&file={quote(stored)}", cookies=cookies)
        assert r.status == 200 and r.body == svg
        # never text/html or image/svg+xml: a file of unknown type is application/octet-stream
        want = "application/octet-stream" if stored == "unknown" else "text/plain; charset=utf-8"
        assert r.header("Content-Type") == want
        assert r.header("Content-Security-Policy") == "sandbox; default-src 'none'"
    assert (
        call(app, f"/attachdownload?page=Home&file={quote(stored)}", cookies=cookies).header("Content-Disposition")
        == f'attachment; filename="{disposition}"'
    )
    for page in ("/attachlist", "/attachlist?page=Home", f"/attachview?page=Home&file={quote(stored)}"):
        text = call(app, page, cookies=cookies).text
        assert "<script>" not in text and "onload=" not in text.replace("onload=&#34;", "").replace(
            "onload=&quot;", ""
        ), page


@pytest.mark.parametrize(
    ("user", "target", "status", "message"),
    [
        ("nob", "page=Home", 302, None),  # no b: the page itself asks to log in
        ("nom", "page=Home", 403, "attaching a file to a wiki page needs capability m; nothing was written"),
        ("att", "technote=TECHNOTE", 403, "attaching a file to a technote needs capability i; nothing was written"),
        ("tnb", "tkt=TICKET", 403, "attaching a file to a ticket needs capability c; nothing was written"),
        ("att", "tkt=TICKET", 403, "attaching a file to a ticket needs capability c; nothing was written"),
    ],
)
def test_attach_refused_without_capability(
    site: Path, user: str, target: str, status: int, message: str | None
) -> None:
    app = _app(site)
    technote = str(sql(site, "SELECT substr(tagname,7) FROM tag WHERE tagname GLOB 'event-*'")[0][0])
    target = target.replace("TECHNOTE", technote).replace("TICKET", _ticket(site))
    before = _state(site)
    r = _upload(app, user, target=target)
    assert r.status == status, r.header("Location")
    if message:
        assert f'<p class="error-message">{message}</p>' in r.text
    else:
        assert r.header(
            "Location",
        ).startswith("http://localhost:8080/login?g=")
    assert _state(site) == before


def test_attach_to_ticket_and_technote(site: Path) -> None:
    app = _app(site)
    tkt = _ticket(site)
    assert _upload(app, "tkt", target=f"tkt={tkt[:8]}", name="t.txt").status == 302
    technote = str(sql(site, "SELECT substr(tagname,7) FROM tag WHERE tagname GLOB 'event-*'")[0][0])
    assert _upload(app, "root", target=f"technote={technote[:6]}", name="n.txt").status == 302
    assert sql(site, "SELECT target, filename FROM attachment ORDER BY attachid") == [
        (tkt, "t.txt"),
        (technote, "n.txt"),
    ]
    assert sql(site, "SELECT type FROM event WHERE objid IN (SELECT attachid FROM attachment) ORDER BY objid") == [
        ("t",),
        ("e",),
    ]
    cookies, _ = _login(app, "root")
    note = call(app, f"/technote/{technote}", cookies=cookies)
    assert "<hr><h2>Attachments:</h2><ul>" in note.text and f"?technote={technote}&amp;file=n.txt" in note.text
    listing = call(app, "/attachlist", cookies=cookies).text
    assert f'Added to\nticket <a href="/tktview?name={tkt}">{tkt[:10]}</a>' in listing
    assert f'Added to\ntech note <a href="/technote/{technote}">{technote[:10]}</a>' in listing


def test_attach_csrf_and_bad_input_write_nothing(site: Path) -> None:
    app = _app(site)
    before = _state(site)
    assert _upload(app, "att", csrf="forged").status == 403
    assert _upload(app, "att", headers={"Origin": "http://evil.example"}).status == 403
    r = _upload(app, "att", data=b"")
    assert r.status == 400 and "Choose a file to attach" in r.text
    cookies, _ = _login(app, "att")
    r = call(
        app, "/attachadd", cookies=cookies, method="POST", body=b"--" + B.encode() + b"\r\nbroken", content_type=CT
    )
    assert r.status == 400 and "malformed multipart/form-data body" in r.text
    assert _state(site) == before
    # a wiki page that does not exist, two targets at once: home, as Fossil
    assert _upload(app, "att", target="page=NoSuchPage").header("Location") == "http://localhost:8080/home"
    assert call(app, "/attachadd?page=Home&tkt=abc", cookies=cookies).header("Location") == "http://localhost:8080/home"
    r = call(app, "/attachadd?page=Home&cancel=1&from=http://evil.example/", cookies=cookies)
    assert r.header("Location") == "http://localhost:8080/home"
    assert _state(site) == before


def test_attach_size_limit(site: Path) -> None:
    sql(site, "INSERT INTO config(name,value,mtime) VALUES('attachment-max-size','10',0)")
    app = _app(site)
    before = _state(site)
    r = _upload(app, "att", data=b"x" * 11)
    assert r.status == 413
    assert "The file is 11 bytes; attachments are limited to 10 bytes. Nothing was attached." in r.text
    assert 'name="comment"' in r.text and ">a file</textarea>" in r.text  # the form again, description kept
    assert _state(site) == before
    assert _upload(app, "att", data=b"x" * 10).status == 302


def test_attach_moderated(site: Path) -> None:
    sql(site, "INSERT INTO config(name,value,mtime) VALUES('modreq-wiki','on',0)")
    app = _app(site)
    assert _upload(app, "att").status == 302
    ((attachid, src),) = sql(site, "SELECT attachid, src FROM attachment")
    src_rid = sql(site, "SELECT rid FROM blob WHERE uuid=?", (src,))[0][0]
    assert sql(site, "SELECT objid, attachRid, tktid FROM modreq") == [(attachid, src_rid, None)]
    assert sql(site, "SELECT rid FROM private ORDER BY rid") == [(src_rid,), (attachid,)]
    sql(site, "UPDATE user SET cap=cap||'l' WHERE login='att'")  # a wiki moderator is not held
    assert _upload(app, "att", name="b.txt").status == 302
    assert len(sql(site, "SELECT * FROM modreq")) == 1
    uuid = sql(site, "SELECT uuid FROM blob WHERE rid=?", (attachid,))[0][0]
    cookies, csrf = _login(app, "att")
    page = call(app, f"/ainfo/{uuid}", cookies=cookies)
    assert "(Awaiting Moderator Approval)" in page.text and 'value="approve"' in page.text
    assert call(app, f"/ainfo/{uuid}", cookies=cookies, form={"modaction": "approve", "csrf": "x"}).status == 403
    assert call(app, f"/ainfo/{uuid}", cookies=cookies, form={"modaction": "approve", "csrf": csrf}).status == 200
    assert sql(site, "SELECT * FROM modreq") == [] and sql(site, "SELECT * FROM private") == []
    # the artifact and its file join unclustered (Fossil's moderation_approve only makes the
    # file public, so it never syncs; fossilpy.repo.docwrite.approve publishes both)
    rows = sql(site, "SELECT rid FROM unclustered WHERE rid IN (?,?) ORDER BY rid", (attachid, src_rid))
    assert rows == sorted([(attachid,), (src_rid,)])


def test_attach_disapproved(site: Path) -> None:
    sql(site, "INSERT INTO config(name,value,mtime) VALUES('modreq-wiki','on',0)")
    app = _app(site)
    before = _state(site)
    assert _upload(app, "att").status == 302
    uuid = sql(site, "SELECT uuid FROM blob WHERE rid=(SELECT attachid FROM attachment)")[0][0]
    cookies, csrf = _login(app, "root")
    r = call(app, f"/ainfo/{uuid}", cookies=cookies, form={"modaction": "delete", "csrf": csrf})
    assert (r.status, r.header("Location")) == (302, "http://localhost:8080/wiki?name=Home")
    assert _state(site) == before and sql(site, "SELECT * FROM modreq") == []


def test_delete_attachment(site: Path) -> None:
    app = _app(site)
    assert _upload(app, "att").status == 302
    uuid = sql(site, "SELECT uuid FROM blob WHERE rid=(SELECT attachid FROM attachment)")[0][0]
    cookies, csrf = _login(app, "att")  # no k: no Delete, and a forged confirm writes nothing
    page = call(app, f"/ainfo/{uuid}", cookies=cookies)
    assert page.status == 200 and "?del" not in page.text
    before = _state(site)
    assert call(app, f"/ainfo/{uuid}", cookies=cookies, form={"confirm": "Confirm", "csrf": csrf}).status == 403
    assert _state(site) == before
    cookies, csrf = _login(app, "del")
    ask = call(app, f"/ainfo/{uuid}?del", cookies=cookies)
    assert "Confirm you want to delete the attachment shown below." in ask.text
    assert call(app, f"/ainfo/{uuid}", cookies=cookies, form={"confirm": "Confirm", "csrf": "x"}).status == 403
    assert _state(site) == before
    done = call(app, f"/ainfo/{uuid}", cookies=cookies, form={"confirm": "Confirm", "csrf": csrf})
    assert done.status == 200 and "The attachment below has been deleted." in done.text
    rows = sql(site, "SELECT src, filename, user FROM attachment ORDER BY attachid")
    assert rows[1] == (None, "notes.txt", "del")
    gone = call(app, "/attachdownload?page=Home&file=notes.txt", cookies=cookies)
    assert gone.status == 410 and "Attachment has been deleted" in gone.text
    listing = call(app, "/attachlist?page=Home", cookies=cookies).text
    assert listing.count("\nDeleted\n") == 1 and listing.count("\nAdded\n") == 1
    timeline = call(app, "/timeline?y=w", cookies=cookies).text
    assert 'Delete attachment "notes.txt" from wiki page <a href="/wiki?name=Home">Home</a>' in timeline


# -- technotes -------------------------------------------------------------


def _note_form(**over: str) -> dict[str, str]:
    form = {
        "t": "2024-03-04 05:06:07",
        "c": "Note <script>alert(1)</script>",
        "g": "",
        "mimetype": "text/x-markdown",
        "w": "# Heading\n\n<script>alert(2)</script> *text*\n",
        "submit": "Submit",
    }
    form.update(over)
    return form


def _notes(path: Path) -> list[tuple]:
    return sql(path, "SELECT objid FROM event WHERE type='e' ORDER BY objid")


def test_technote_create_view_edit(site: Path) -> None:
    app = _app(site)
    cookies, csrf = _login(app, "tn")
    new = call(app, "/technoteedit", cookies=cookies)
    assert new.status == 200 and "<h1>New Tech-note " in new.text
    for field in (
        'name="t"',
        'name="c"',
        'name="newclr"',
        'name="clr"',
        'name="g"',
        'name="mimetype"',
        'name="w"',
        'name="cancel"',
        'name="preview"',
        'name="csrf"',
    ):
        assert field in new.text, field
    form = _note_form()
    del form["submit"]
    preview = call(app, "/technoteedit", cookies=cookies, form={**form, "preview": "Preview", "name": "ab" * 20})
    assert preview.status == 200 and "Page content preview:" in preview.text
    assert "<script>" not in preview.text and "<em>text</em>" in preview.text
    assert 'name="submit" value="Submit"' in preview.text
    before = len(_notes(site))
    r = call(app, "/technoteedit", cookies=cookies, form={**_note_form(), "name": "ab" * 20, "csrf": csrf})
    assert (r.status, r.header("Location")) == (302, f"http://localhost:8080/technote?name={'ab' * 20}")
    assert len(_notes(site)) == before + 1
    view = call(app, f"/technote/{'ab' * 10}", cookies=cookies)
    assert view.status == 200 and "<title>Web Test: Heading</title>" in view.text
    assert "<script>" not in view.text and "<em>text</em>" in view.text
    timeline = call(app, "/timeline?y=e", cookies=cookies).text
    assert '<span class="comment">Note &lt;script>alert(1)&lt;/script></span>' in timeline
    assert "<script>alert(1)" not in timeline
    edit = call(app, f"/technoteedit?name={'ab' * 20}", cookies=cookies)
    assert "<h1>Edit Tech-note abababab" in edit.text and 'value="2024-03-04 05:06:07"' in edit.text
    r = call(app, "/technoteedit", cookies=cookies, form={**_note_form(w="changed"), "name": "ab" * 20, "csrf": csrf})
    assert r.status == 302 and len(_notes(site)) == before + 1  # the note's newest version replaces the old row
    assert "changed" in call(app, f"/technote/{'ab' * 20}", cookies=cookies).text
    assert call(app, "/technote/deadbeef", cookies=cookies).status == 404


@pytest.mark.parametrize(
    ("user", "existing", "status"),
    [
        ("tread", False, 302),  # no i: login
        ("att", False, 302),
        ("tnew", True, 403),  # may create, not edit (needs k)
        ("del", False, 302),
    ],
)
def test_technote_refused_without_capability(site: Path, user: str, existing: bool, status: int) -> None:
    app = _app(site)
    name = (
        str(sql(site, "SELECT substr(tagname,7) FROM tag WHERE tagname GLOB 'event-*'")[0][0])
        if existing
        else "cd" * 20
    )
    cookies, csrf = _login(app, user)
    before = _state(site)
    r = call(app, "/technoteedit", cookies=cookies, form={**_note_form(), "name": name, "csrf": csrf})
    assert r.status == status, r.header("Location")
    if status == 403:
        assert "editing a technote needs capability k; nothing was written" in r.text
    assert _state(site) == before


def test_technote_create_needs_f_and_csrf(site: Path) -> None:
    sql(site, "UPDATE user SET cap='ijk' WHERE login='tn'")
    app = _app(site)
    cookies, csrf = _login(app, "tn")
    before = _state(site)
    r = call(app, "/technoteedit", cookies=cookies, form={**_note_form(), "name": "ef" * 20, "csrf": csrf})
    assert r.status == 403 and "creating a technote needs capability f; nothing was written" in r.text
    sql(site, "UPDATE user SET cap='ijkf' WHERE login='tn'")
    assert call(app, "/technoteedit", cookies=cookies, form={**_note_form(), "name": "ef" * 20}).status == 403
    assert (
        call(
            app,
            "/technoteedit",
            cookies=cookies,
            form={**_note_form(), "name": "ef" * 20, "csrf": csrf},
            headers={"Origin": "http://evil.example"},
        ).status
        == 403
    )
    assert _state(site) == before
    assert (
        call(app, "/eventedit", cookies=cookies, form={**_note_form(), "name": "ef" * 20, "csrf": csrf}).status == 302
    )
    assert call(app, f"/event/{'ef' * 20}", cookies=cookies).status == 200
