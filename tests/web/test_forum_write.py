"""The writable forum: /forumnew, /forume1, /forume2, /forumpost's buttons and display modes, /modreq.

Each write is checked by the exact artifact it leaves (every card but the
D and Z values), the rows of forumpost/event/private/modreq, and each
refusal by writing nothing (the blob count does not move)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fossilpy.web.app import AppConfig, make_app
from tests.web.wsgi import Reply, call

#: user -> capabilities: reader, held poster, trusted poster, moderator, supervisor, admin
USERS = {"rita": "2", "pat": "3", "pam": "3", "tom": "4", "mod": "5", "sup": "6", "adm": "a"}


def _sql(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture
def frepo(repo_copy: Path) -> Path:
    for user, caps in USERS.items():
        _sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (user, user + "pw", caps))
    _sql(repo_copy, "UPDATE user SET cap='o' WHERE login IN ('nobody','anonymous')")
    return repo_copy


class Site:
    """The app over ``path``, with one login per user."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.app = make_app(AppConfig(repository=str(path)))
        self.cookies: dict[str, dict[str, str]] = {}

    def login(self, user: str) -> dict[str, str]:
        if user not in self.cookies:
            r = call(self.app, "/login", form={"u": user, "p": user + "pw"})
            assert r.status == 302, r.text
            ((name, value),) = r.cookies().items()
            self.cookies[user] = {name: value.replace("/", "%2F")}
        return self.cookies[user]

    def get(self, user: str, path: str) -> Reply:
        return call(self.app, path, cookies=self.login(user))

    def csrf(self, user: str) -> str:
        m = re.search(r'name="csrf" value="([^"]+)"', self.get(user, "/forumnew").text)
        return m.group(1) if m else "none"

    def post(self, user: str, path: str, form: dict[str, str], *, csrf: bool = True) -> Reply:
        fields = dict(form)
        if csrf:
            fields["csrf"] = self.csrf(user)
        return call(self.app, path, cookies=self.login(user), form=fields)

    def new_thread(self, user: str, title: str, content: str, mimetype: str = "text/x-markdown") -> str:
        r = self.post(user, "/forume1", {"title": title, "content": content, "mimetype": mimetype, "submit": "1"})
        return self._posted(r)

    def act(self, user: str, fpid: str, form: dict[str, str]) -> Reply:
        return self.post(user, "/forume2", {"fpid": fpid, **form})

    def _posted(self, r: Reply) -> str:
        assert r.status == 302, r.text
        short = (r.header("Location") or "").rsplit("/", 1)[1]
        ((uuid,),) = _sql(self.path, "SELECT uuid FROM blob WHERE uuid LIKE ?", (short + "%",))
        return str(uuid)

    def reply(self, user: str, fpid: str, content: str, mimetype: str = "text/x-fossil-wiki") -> str:
        return self._posted(
            self.act(user, fpid, {"reply": "1", "content": content, "mimetype": mimetype, "submit": "1"})
        )

    def edit(self, user: str, fpid: str, content: str, **extra: str) -> str:
        form = {"edit": "1", "content": content, "mimetype": "text/x-markdown", "submit": "1"}
        form.update(extra)
        return self._posted(self.act(user, fpid, form))

    def delete(self, user: str, fpid: str) -> str:
        page = self.act(user, fpid, {"nullout": "Delete"})
        assert page.status == 200, page.text
        form = dict(
            re.findall(r'<input (?:aria-label="Title" )?type="hidden" name="(\w+)" value="([^"]*)">', page.text)
        )
        form["submit"] = "Submit"
        return self._posted(call(self.app, "/forume2", cookies=self.login(user), form=form))

    def artifact(self, uuid: str) -> str:
        from fossilpy.repo import content
        from fossilpy.repo.db import Repo

        with Repo.open(str(self.path)) as repo:
            rid = repo.one("SELECT rid FROM blob WHERE uuid=?", (uuid,))
            data = content.get(repo, rid)
        assert data is not None
        text = data.decode()
        text = re.sub(r"^D \S+\n", "D <date>\n", text, flags=re.M)
        return re.sub(r"^Z [0-9a-f]{32}\n$", "Z <md5>\n", text, flags=re.M)

    def blobs(self) -> int:
        return int(_sql(self.path, "SELECT count(*) FROM blob")[0][0])

    def rid(self, uuid: str) -> int:
        return int(_sql(self.path, "SELECT rid FROM blob WHERE uuid=?", (uuid,))[0][0])


@pytest.fixture
def site(frepo: Path) -> Site:
    return Site(frepo)


def test_new_thread_reply_edit_delete_artifacts(site: Site) -> None:
    root = site.new_thread("tom", "Hello <b>all</b>", "First *post*\n")
    assert (
        site.artifact(root) == "D <date>\nH Hello\\s<b>all</b>\nN text/x-markdown\nU tom\nW 12\nFirst *post*\nZ <md5>\n"
    )
    reply = site.reply("mod", root, "A reply")
    assert site.artifact(reply) == f"D <date>\nG {root}\nI {root}\nU mod\nW 7\nA reply\nZ <md5>\n"
    sub = site.reply("tom", reply, "deeper", mimetype="text/plain")
    assert site.artifact(sub) == f"D <date>\nG {root}\nI {reply}\nN text/plain\nU tom\nW 6\ndeeper\nZ <md5>\n"
    # editing the first post keeps/changes the title, names the version it replaces
    e1 = site.edit("tom", root, "Edited", title="New title")
    assert site.artifact(e1) == (
        f"D <date>\nG {root}\nH New\\stitle\nN text/x-markdown\nP {root}\nU tom\nW 6\nEdited\nZ <md5>\n"
    )
    # editing a reply keeps its I card; a moderator may edit another's post
    e2 = site.edit("mod", sub, "moderated")
    assert site.artifact(e2) == (
        f"D <date>\nG {root}\nI {reply}\nN text/x-markdown\nP {sub}\nU mod\nW 9\nmoderated\nZ <md5>\n"
    )
    # delete = an edit with empty content (and an empty title for a first post)
    d1 = site.delete("mod", reply)
    assert site.artifact(d1) == f"D <date>\nG {root}\nI {root}\nP {reply}\nU mod\nW 0\n\nZ <md5>\n"
    d2 = site.delete("tom", e1)
    assert site.artifact(d2) == f"D <date>\nG {root}\nH \nP {e1}\nU tom\nW 0\n\nZ <md5>\n"
    rows = _sql(
        site.path,
        "SELECT b.uuid, (SELECT uuid FROM blob WHERE rid=froot), (SELECT uuid FROM blob WHERE rid=fprev),"
        " (SELECT uuid FROM blob WHERE rid=firt) FROM forumpost JOIN blob b ON b.rid=fpid ORDER BY fmtime",
    )
    assert rows == [
        (root, root, None, None),
        (reply, root, None, root),
        (sub, root, None, reply),
        (e1, root, root, None),
        (e2, root, sub, reply),
        (d1, root, reply, root),
        (d2, root, e1, None),
    ]
    assert _sql(site.path, "SELECT count(*) FROM private") == [(0,)]
    page = site.get("rita", f"/forumpost/{root[:16]}?t=c")
    assert page.status == 200
    assert page.text.count("<i>Deleted</i>") == 2 and "moderated" in page.text and "First *post*" not in page.text
    # a reader (2) gets no buttons
    assert 'name="reply"' not in page.text


def test_thread_display_modes(site: Site) -> None:
    root = site.new_thread("tom", "Modes", "root text", mimetype="text/plain")
    a = site.reply("mod", root, "reply A", mimetype="text/plain")
    site.reply("tom", root, "reply B", mimetype="text/plain")
    site.reply("sup", a, "reply to A", mimetype="text/plain")
    site.edit("mod", a, "reply A edited", mimetype="text/plain")

    def order(query: str) -> list[str]:
        text = site.get("rita", f"/forumpost/{root[:16]}{query}").text
        return re.findall(r'<pre class="textplain">(root text|reply A edited|reply B|reply to A|reply A)</pre>', text)

    assert order("?t=c") == ["root text", "reply A edited", "reply B", "reply to A"]
    assert order("?t=h") == ["root text", "reply A edited", "reply to A", "reply B"]
    assert order("") == ["root text", "reply A edited", "reply to A", "reply B"]
    assert order("?t=c&hist") == ["root text", "reply A", "reply B", "reply to A", "reply A edited"]
    text = site.get("rita", f"/forumpost/{a[:16]}?t=s").text
    assert re.findall(r'<pre class="textplain">(root text|reply A edited|reply B|reply to A|reply A)</pre>', text) == [
        "reply A edited"
    ]
    assert re.search(r"\(2\.1\)\s+By <a[^>]*>mod</a> on [-0-9]+ [:0-9]+ edited from\s+<a[^>]*>2\.0</a>", text), text
    hier = site.get("rita", f"/forumpost/{root[:16]}?t=h").text
    assert "margin-left:8ex" in hier  # the reply to a reply, two levels in
    thread = site.get("rita", f"/forumthread/{root[:16]}").text
    assert "forum-selected" not in thread and thread.count('class="forum-post') == 4
    assert site.get("rita", f"/forumpost/{root[:16]}?t=q").status == 400


def test_held_post_approved_and_rejected(site: Site) -> None:
    root = site.new_thread("tom", "Open", "trusted")
    held = site.reply("pat", root, "SECRET held reply")
    rid = site.rid(held)
    assert site.artifact(held) == f"D <date>\nG {root}\nI {root}\nU pat\nW 17\nSECRET held reply\nZ <md5>\n"
    assert _sql(site.path, "SELECT objid, attachRid, tktid FROM modreq") == [(rid, None, None)]
    assert _sql(site.path, "SELECT rid FROM private") == [(rid,)]
    # others see the placeholder, not the text; the author and moderators see it marked
    other = site.get("pam", f"/forumpost/{root[:16]}").text
    assert "SECRET" not in other and "Awaiting Moderator Approval" in other
    mine = site.get("pat", f"/forumpost/{root[:16]}").text
    assert "SECRET held reply" in mine and "Awaiting moderation: only you and the moderators" in mine
    assert 'name="reject" value="Delete"' in mine and 'name="edit"' not in mine.split("SECRET")[1]
    moderator = site.get("mod", f"/forumpost/{root[:16]}").text
    assert 'name="approve" value="Approve"' in moderator and "SECRET held reply" in moderator
    # a held new thread is listed to moderators only
    thread = site.new_thread("pat", "Held thread", "held root")
    assert "Held thread" not in site.get("rita", "/forum").text
    for who in ("rita", "pam"):
        text = site.get(who, f"/forumpost/{thread[:16]}").text
        assert "Held thread" not in text and "held root" not in text and "Awaiting Moderator Approval" in text
    assert "Held thread" in site.get("pat", f"/forumpost/{thread[:16]}").text
    assert "Held thread" in site.get("mod", "/forum").text
    assert "/modreq" in site.get("mod", "/forum").text
    # nobody but a moderator approves: pat may not, pam may not even reject
    before = _sql(site.path, "SELECT * FROM modreq ORDER BY objid")
    assert site.act("pat", held, {"approve": "Approve"}).status == 403
    assert site.act("pam", held, {"reject": "Reject"}).status == 403
    assert (
        site.act(
            "mod",
            held,
            {"approve": "Approve"},
        ).status
        == 302
    )
    assert _sql(site.path, "SELECT objid FROM modreq") == [(site.rid(thread),)]
    assert _sql(site.path, "SELECT rid FROM private") == [(site.rid(thread),)]
    assert _sql(site.path, "SELECT rid FROM unclustered WHERE rid=?", (rid,)) == [(rid,)]
    assert "SECRET held reply" in site.get("pam", f"/forumpost/{root[:16]}").text
    assert before != _sql(site.path, "SELECT * FROM modreq ORDER BY objid")
    # rejecting deletes the post and its rows
    trid = site.rid(thread)
    r = site.act("mod", thread, {"reject": "Reject"})
    assert r.status == 302 and (r.header("Location") or "").endswith("/forum")
    for table, col in (
        ("blob", "rid"),
        ("event", "objid"),
        ("forumpost", "fpid"),
        ("private", "rid"),
        ("modreq", "objid"),
    ):
        assert _sql(site.path, f"SELECT count(*) FROM {table} WHERE {col}=?", (trid,)) == [(0,)], table


def test_supervisor_trusts_author(site: Site) -> None:
    root = site.new_thread("tom", "T", "x")
    held = site.reply("pat", root, "please trust me")
    page = site.get("sup", f"/forumpost/{root[:16]}").text
    assert 'Trust user "pat"' in page
    assert site.act("sup", held, {"approve": "Approve", "trust": "on", "trustuser": "pat"}).status == 302
    assert _sql(site.path, "SELECT cap FROM user WHERE login='pat'") == [("34",)]
    nxt = site.reply("pat", root, "now trusted")
    assert _sql(site.path, "SELECT count(*) FROM private WHERE rid=?", (site.rid(nxt),)) == [(0,)]


def test_author_deletes_own_held_post(site: Site) -> None:
    root = site.new_thread("tom", "T", "x")
    held = site.reply("pat", root, "oops")
    r = site.act("pat", held, {"reject": "Delete"})
    assert r.status == 302 and (r.header("Location") or "").endswith("/forumpost/" + root[:16])
    assert _sql(site.path, "SELECT count(*) FROM blob WHERE uuid=?", (held,)) == [(0,)]


@pytest.mark.parametrize(
    ("user", "path", "form", "status", "message"),
    [
        ("tom", "/forume1", {"title": "", "content": "body", "submit": "1"}, 400, "The new thread needs a title."),
        ("tom", "/forume1", {"title": "   ", "content": "body", "submit": "1"}, 400, "The new thread needs a title."),
        ("tom", "/forume1", {"title": "T", "content": " \n ", "submit": "1"}, 400, "The post is empty"),
        (
            "tom",
            "/forume1",
            {"title": "T", "content": "x", "mimetype": "text/html", "submit": "1"},
            400,
            "Unknown markup style",
        ),
        ("tom", "/forume1", {"title": "T" * 126, "content": "x", "submit": "1"}, 400, "longer than 125"),
        ("tom", "/forume2", {"fpid": "ROOT", "reply": "1", "content": "", "submit": "1"}, 400, "The post is empty"),
        (
            "tom",
            "/forume2",
            {"fpid": "CHECKIN", "reply": "1", "content": "x", "submit": "1"},
            400,
            "Missing or invalid fpid query parameter",
        ),
        (
            "tom",
            "/forume2",
            {"fpid": "zz", "reply": "1", "content": "x", "submit": "1"},
            400,
            "Missing or invalid fpid query parameter",
        ),
        (
            "pam",
            "/forume2",
            {"fpid": "ROOT", "edit": "1", "content": "x", "submit": "1"},
            403,
            "Only the author, a moderator or an administrator",
        ),
        (
            "pam",
            "/forume2",
            {"fpid": "ROOT", "nullout": "1", "content": "", "submit": "1"},
            403,
            "Only the author, a moderator or an administrator",
        ),
        ("tom", "/forume2", {"fpid": "ROOT", "approve": "1"}, 403, "Only a forum moderator may approve"),
    ],
)
def test_bad_input_writes_nothing(
    site: Site, user: str, path: str, form: dict[str, str], status: int, message: str
) -> None:
    root = site.new_thread("tom", "Root", "root")
    checkin = _sql(site.path, "SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci' LIMIT 1")[0][0]
    form = {k: {"ROOT": root, "CHECKIN": checkin}.get(v, v) for k, v in form.items()}
    before = site.blobs()
    r = site.post(user, path, form)
    assert r.status == status, r.text
    assert message in r.text
    assert site.blobs() == before


@pytest.mark.parametrize("user", ["rita", None])
def test_without_3_refused(site: Site, user: str | None) -> None:
    before = site.blobs()
    form = {"title": "T", "content": "x", "submit": "1", "csrf": "none"}
    cookies = site.login(user) if user else {}
    for path in ("/forumnew", "/forume1", "/forume2", "/forumedit"):
        r = call(site.app, path, cookies=cookies, form=form)
        assert r.status == 302 and "/login" in (r.header("Location") or ""), (path, r.status)
    assert site.blobs() == before


def test_csrf_and_method_refused(site: Site) -> None:
    before = site.blobs()
    form = {"title": "T", "content": "x", "submit": "1"}
    r = call(site.app, "/forume1", cookies=site.login("tom"), form={**form, "csrf": "wrong"})
    assert r.status == 403 and "cross-site or stale form" in r.text
    r = call(
        site.app,
        "/forume1",
        cookies=site.login("tom"),
        form={**form, "csrf": site.csrf("tom")},
        origin=False,
        headers={"Origin": "http://evil.example"},
    )
    assert r.status == 403
    r = site.get("tom", "/forume1?title=T&content=x&submit=1")
    assert r.status == 405
    assert site.blobs() == before


def test_hostile_content_is_inert(site: Site) -> None:
    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) <svg onload=alert(4)>"
    root = site.new_thread("tom", "<script>alert(5)</script>", hostile)
    site.reply("tom", root, hostile)
    for path in (f"/forumpost/{root[:16]}", f"/forumpost/{root[:16]}?t=c&unf", "/forum"):
        text = site.get("rita", path).text
        text = re.sub(r'<script src="/live\.js" defer data-live="forum"[^<>]*></script>', "", text, count=1)  # ours
        assert "<script" not in text and 'href="javascript' not in text and "<svg" not in text
        assert re.search(r"<[^>]*\son\w+=", text) is None
    preview = site.post("tom", "/forume1", {"title": "<b>t</b>", "content": hostile, "preview": "1"})
    assert preview.status == 200 and "<script>alert" not in preview.text and "&lt;b&gt;t&lt;/b&gt;" in preview.text


def test_forms_show_fossil_fields(site: Site) -> None:
    new = site.get("tom", "/forumnew").text
    for field in (
        'name="title"',
        'name="mimetype"',
        'name="content"',
        'name="preview"',
        'name="submit"',
        'name="csrf"',
        'action="/forume1"',
        '<option value="text/x-markdown" selected>Markdown</option>',
    ):
        assert field in new, field
    assert 'name="submit" value="Submit" disabled' in new
    prev = site.post("tom", "/forume1", {"title": "T", "content": "hello", "preview": "1"})
    assert "<h1>Preview:</h1>" in prev.text and 'name="submit" value="Submit">' in prev.text
    root = site.new_thread("tom", "T", "x")
    reply = site.act("tom", root, {"reply": "Reply"})
    assert reply.status == 200 and "Enter Reply:" in reply.text and 'name="reply" value="1"' in reply.text
    assert 'name="title"' not in reply.text
    edit = site.act("tom", root, {"edit": "Edit"})
    assert 'name="title" value="T"' in edit.text and ">x</textarea>" in edit.text
    cancel = site.act("tom", root, {"cancel": "Cancel"})
    assert cancel.status == 302 and (cancel.header("Location") or "").endswith("/forumpost/" + root[:16])
    anon = call(site.app, "/forumnew")
    assert anon.status == 302  # nobody/anonymous here have no 3: to the login page
    _sql(site.path, "UPDATE user SET cap='23' WHERE login='nobody'")
    anon = call(make_app(AppConfig(repository=str(site.path))), "/forumnew")
    assert anon.status == 200 and "Remain Anonymous" in anon.text


def test_modreq_lists_every_kind(site: Site) -> None:
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.repo import docwrite
    from fossilpy.repo.db import Repo

    root = site.new_thread("tom", "Root", "x")
    held = site.reply("pat", root, "held forum reply")
    with Repo.open(str(site.path)) as repo:
        wiki = docwrite.commit(
            repo,
            Manifest(type=ArtifactType.WIKI, date=docwrite.now_date(), wiki_title="Held", user="pat", text="w\n"),
            moderate=True,
        )
    _sql(site.path, "INSERT INTO user(login,pw,cap,info) VALUES('wmod','wmodpw','l','')")
    assert site.get("rita", "/modreq").status == 302
    page = site.get("mod", "/modreq").text
    assert "All Pending Moderation Requests" in page
    assert page.index("Held") < page.index("Reply: Root")  # newest first
    assert page.count('value="approve"') == 1  # a forum moderator acts on the forum post only
    csrf = site.csrf("mod")
    r = call(
        site.app,
        "/modreq",
        cookies=site.login("mod"),
        form={"rid": str(wiki.rid), "modaction": "approve", "csrf": csrf},
    )
    assert r.status == 403
    r = call(
        site.app,
        "/modreq",
        cookies=site.login("mod"),
        form={"rid": str(site.rid(held)), "modaction": "approve", "csrf": csrf},
    )
    assert r.status == 302
    wpage = site.get("wmod", "/modreq").text
    m = re.search(r'name="csrf" value="([^"]+)"', wpage)
    assert m and 'value="approve"' in wpage
    r = call(
        site.app,
        "/modreq",
        cookies=site.login("wmod"),
        form={"rid": str(wiki.rid), "modaction": "delete", "csrf": m.group(1)},
    )
    assert r.status == 302
    assert _sql(site.path, "SELECT count(*) FROM modreq") == [(0,)]
    assert _sql(site.path, "SELECT count(*) FROM blob WHERE rid=?", (wiki.rid,)) == [(0,)]
    assert "Nothing waits for a moderator." in site.get("mod", "/modreq").text


def test_forum_list_counts_held_posts_for_moderators_only(site: Site) -> None:
    root = site.new_thread("tom", "Counted", "x")
    site.reply("tom", root, "public reply")
    site.reply("pat", root, "held reply")
    row = re.compile(r"<td>(\d+)</td><td>[-0-9: ]+</td></tr>")
    assert row.findall(site.get("rita", "/forum").text) == ["2"]
    moderator = site.get("mod", "/forum").text
    assert row.findall(moderator) == ["3"]
    assert moderator.count("Awaiting Moderator Approval") == 1  # its newest post is held
    assert "Awaiting Moderator Approval" not in site.get("rita", "/forum").text


def test_trust_needs_6(site: Site) -> None:
    root = site.new_thread("tom", "T", "x")
    held = site.reply("pat", root, "held")
    assert 'Trust user "pat"' not in site.get("mod", f"/forumpost/{root[:16]}").text
    assert site.act("mod", held, {"approve": "Approve", "trust": "on", "trustuser": "pat"}).status == 302
    assert _sql(site.path, "SELECT cap FROM user WHERE login='pat'") == [("3",)]
    held2 = site.reply("pat", root, "held again")
    assert site.act("sup", held2, {"approve": "Approve", "trust": "on", "trustuser": "nobody"}).status == 302
    assert _sql(site.path, "SELECT cap FROM user WHERE login='nobody'") == [("o",)]


def test_modreq_tickets_and_attachments(site: Site) -> None:
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField
    from fossilpy.repo import docwrite
    from fossilpy.repo.db import Repo
    from tests.builders import TICKET_ID

    (src,) = _sql(site.path, "SELECT uuid FROM blob ORDER BY rid LIMIT 1")[0]
    with Repo.open(str(site.path)) as repo:
        tkt = docwrite.commit(
            repo,
            Manifest(
                type=ArtifactType.TICKET,
                date=docwrite.now_date(),
                ticket_uuid=TICKET_ID,
                user="pat",
                fields=[TicketField("icomment", "held comment", append=True)],
            ),
            moderate=True,
            tktid=TICKET_ID,
        )
        att = docwrite.commit(
            repo,
            Manifest(
                type=ArtifactType.ATTACHMENT,
                date=docwrite.now_date(),
                attach_name="notes.txt",
                attach_target="Home",
                attach_src=src,
                user="pat",
            ),
            moderate=True,
        )
    _sql(site.path, "INSERT INTO user(login,pw,cap,info) VALUES('tmod','tmodpw','q',''),('wmod','wmodpw','l','')")
    tpage = site.get("tmod", "/modreq").text
    assert "Ticket" in tpage and "Attachment to Wiki" in tpage
    assert tpage.count('value="approve"') == 1
    wpage = site.get("wmod", "/modreq").text
    assert wpage.count('value="approve"') == 1
    token = re.search(r'name="csrf" value="([^"]+)"', tpage)
    assert token
    refused = call(
        site.app,
        "/modreq",
        cookies=site.login("tmod"),
        form={"rid": str(att.rid), "modaction": "approve", "csrf": token.group(1)},
    )
    assert refused.status == 403
    done = call(
        site.app,
        "/modreq",
        cookies=site.login("tmod"),
        form={"rid": str(tkt.rid), "modaction": "approve", "csrf": token.group(1)},
    )
    assert done.status == 302
    assert _sql(site.path, "SELECT objid FROM modreq") == [(att.rid,)]
    assert _sql(site.path, "SELECT count(*) FROM private WHERE rid=?", (tkt.rid,)) == [(0,)]
    bad = call(
        site.app,
        "/modreq",
        cookies=site.login("tmod"),
        form={"rid": "x1", "modaction": "approve", "csrf": token.group(1)},
    )
    assert bad.status == 400
    stale = call(
        site.app,
        "/modreq",
        cookies=site.login("wmod"),
        form={"rid": str(att.rid), "modaction": "delete", "csrf": "wrong"},
    )
    assert stale.status == 403 and _sql(site.path, "SELECT objid FROM modreq") == [(att.rid,)]


def test_dryrun_and_domod(site: Site) -> None:
    before = site.blobs()
    r = site.post("tom", "/forume1", {"title": "Dry", "content": "run", "submit": "1", "dryrun": "on"})
    assert r.status == 200 and site.blobs() == before
    shown = re.search(r"<pre>(.*?)</pre>", r.text, re.S)
    assert shown
    assert re.sub(r"^[DZ] .*$", "-", shown.group(1), flags=re.M) == "-\nH Dry\nN text/x-markdown\nU tom\nW 3\nrun\n-\n"
    r = site.post("tom", "/forume1", {"title": "Held on request", "content": "x", "submit": "1", "domod": "on"})
    held = site._posted(r)
    assert _sql(site.path, "SELECT objid FROM modreq") == [(site.rid(held),)]


def test_forum_list_pages(site: Site) -> None:
    roots = [site.new_thread("tom", f"Thread {i}", "x") for i in range(5)]
    first = site.get("rita", "/forum?n=2").text
    assert re.findall(r">Thread (\d)</a>", first) == ["4", "3"]
    assert '<a href="/forum?x=2&amp;n=2">&darr; Older...</a>' in first and "Newer" not in first
    second = site.get("rita", "/forum?n=2&x=2").text
    assert re.findall(r">Thread (\d)</a>", second) == ["2", "1"]
    assert '<a href="/forum?n=2">&uarr; Newer...</a>' in second and "Older" in second
    last = site.get("rita", "/forum?n=2&x=4").text
    assert re.findall(r">Thread (\d)</a>", last) == ["0"] and "Older" not in last
    assert len(roots) == 5


def test_auto_mode_is_chronological_on_a_phone(site: Site) -> None:
    root = site.new_thread("tom", "Phone", "root text", mimetype="text/plain")
    a = site.reply("tom", root, "first reply", mimetype="text/plain")
    site.reply("tom", root, "second reply", mimetype="text/plain")
    site.reply("tom", a, "reply to first", mimetype="text/plain")
    phone = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
    text = call(site.app, f"/forumpost/{root[:16]}", cookies=site.login("rita"), headers={"User-Agent": phone}).text
    shown = re.findall(r'<pre class="textplain">([a-z ]+)</pre>', text)
    assert shown == ["root text", "first reply", "second reply", "reply to first"]
    assert "margin-left" not in text.split("forum-post", 1)[1]
    desktop = re.findall(r'<pre class="textplain">([a-z ]+)</pre>', site.get("rita", f"/forumpost/{root[:16]}").text)
    assert desktop == ["root text", "first reply", "reply to first", "second reply"]


@pytest.mark.parametrize("path", ["/forum", "/forumpost/ROOT", "/forumthread/ROOT", "/modreq"])
def test_reading_needs_2(site: Site, path: str) -> None:
    root = site.new_thread("tom", "T", "secret words")
    _sql(site.path, "INSERT INTO user(login,pw,cap,info) VALUES('zed','zedpw','o','')")
    for cookies in (site.login("zed"), {}):
        r = call(site.app, path.replace("ROOT", root[:16]), cookies=cookies)
        assert r.status == 302 and "/login" in (r.header("Location") or ""), (path, r.status)
        assert "secret words" not in r.text


def test_stale_edit_refused(site: Site) -> None:
    root = site.new_thread("tom", "T", "one")
    site.edit("tom", root, "two", title="T")
    before = site.blobs()
    r = site.act(
        "tom", root, {"edit": "1", "title": "T", "content": "three", "mimetype": "text/x-markdown", "submit": "1"}
    )
    assert r.status == 400 and "This post was changed meanwhile" in r.text and ">three</textarea>" in r.text
    assert site.blobs() == before
