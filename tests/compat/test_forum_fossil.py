"""Forum posts written through the forms of real ``fossil server`` and of fossilpy.

Two copies of one repository (made by fossil: users tom ``4``, pat ``3``,
mod ``5``) are served, one by ``fossil server --nojail``, one by fossilpy.
The same people post the same things through each server's forms
(``/forume1`` and ``/forume2``, logged in, the fossilpy ``csrf`` token
scraped from its form): a new thread, replies, an edit of the first post
with a new title, an edit of a reply, deletes of both kinds, a post held
for moderation and approved, another held and rejected.  The resulting
artifacts must agree card for card, apart from the D and Z cards and the
hashes that follow from them (G, I and P name earlier posts: compared by
which post they name); the private and modreq rows must agree; and
``fossil rebuild`` of fossilpy's copy changes no forumpost row and changes
the event rows only as it changes those of fossil's own copy.
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner
from tests.net import fossil_serving
from tests.web.browser import serve_app

HASH = re.compile(r"\b[0-9a-f]{64}\b")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


class Client:
    """One logged-in person on one server."""

    def __init__(self, base: str, user: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )
        status, _, _ = self.send("/login", {"u": user, "p": user + "pw", "in": "Log In"})
        assert status == 302

    def send(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = None if form is None else urllib.parse.urlencode(form).encode()
        headers = {"Referer": self.base + path, "Origin": self.base}
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data, headers=headers)) as r:
                return r.status, r.headers.get("Location") or "", r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Location") or "", e.read().decode()

    def form(self, path: str, fields: dict[str, str]) -> str:
        """POST ``fields`` (with the csrf token the form page shows, if any); the new post's hash prefix."""
        _, _, page = self.send("/forumnew")
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        if m:
            fields = {**fields, "csrf": m.group(1)}
        status, location, body = self.send(path, fields)
        assert status == 302, body
        return location.rsplit("/", 1)[1]


def _script(repo: Path, post: Callable[[str, str, dict[str, str]], str]) -> list[str]:
    """The same posts, in order; their full hashes."""
    full: list[str] = []

    def run(user: str, path: str, fields: dict[str, str]) -> str:
        prefix = post(user, path, fields)
        with sqlite3.connect(repo) as db:
            (uuid,) = db.execute("SELECT uuid FROM blob WHERE uuid LIKE ?", (prefix + "%",)).fetchone()
        full.append(uuid)
        return str(uuid)

    root = run(
        "tom",
        "/forume1",
        {"title": "Hello <b>all</b>", "content": "First *post*\n", "mimetype": "text/x-markdown", "submit": "Submit"},
    )
    reply = run(
        "mod",
        "/forume2",
        {
            "fpid": root,
            "reply": "1",
            "content": "A [[link]] reply",
            "mimetype": "text/x-fossil-wiki",
            "submit": "Submit",
        },
    )
    sub = run(
        "tom",
        "/forume2",
        {"fpid": reply, "reply": "1", "content": "plain\nlines\n", "mimetype": "text/plain", "submit": "Submit"},
    )
    edit = run(
        "tom",
        "/forume2",
        {
            "fpid": root,
            "edit": "1",
            "title": "New title",
            "content": "Edited",
            "mimetype": "text/x-markdown",
            "submit": "Submit",
        },
    )
    run(
        "mod",
        "/forume2",
        {"fpid": sub, "edit": "1", "content": "moderated", "mimetype": "text/x-markdown", "submit": "Submit"},
    )
    run(
        "mod",
        "/forume2",
        {"fpid": reply, "nullout": "1", "content": "", "mimetype": "text/x-fossil-wiki", "submit": "Submit"},
    )
    run(
        "tom",
        "/forume2",
        {
            "fpid": edit,
            "nullout": "1",
            "content": "",
            "title": "",
            "mimetype": "text/x-fossil-wiki",
            "submit": "Submit",
        },
    )
    held = run(
        "pat",
        "/forume2",
        {"fpid": root, "reply": "1", "content": "held one", "mimetype": "text/x-markdown", "submit": "Submit"},
    )
    run(
        "pat",
        "/forume1",
        {"title": "Held thread", "content": "held root", "mimetype": "text/x-markdown", "submit": "Submit"},
    )
    post("mod", "/forume2", {"fpid": held, "approve": "Approve"})
    return full


def _cards(fossil: Runner, repo: Path, hashes: list[str]) -> list[str]:
    """Each post's artifact with D and Z masked and hashes replaced by the number of the post they name."""
    out = []
    for uuid in hashes:
        text = fossil.text("artifact", uuid, "-R", str(repo))
        text = re.sub(r"^D \S+$", "D *", text, flags=re.M)
        text = re.sub(r"^Z \S+$", "Z *", text, flags=re.M)
        out.append(HASH.sub(lambda m: f"<post {hashes.index(m.group(0))}>", text))
    return out


def _state(repo: Path, hashes: list[str]) -> list[tuple[Any, ...]]:
    """Per post: private?, held?, and its forumpost and event rows with rids as post numbers."""
    with sqlite3.connect(repo) as db:
        rids = {db.execute("SELECT rid FROM blob WHERE uuid=?", (u,)).fetchone()[0]: i for i, u in enumerate(hashes)}
        rows = []
        for uuid in hashes:
            (rid,) = db.execute("SELECT rid FROM blob WHERE uuid=?", (uuid,)).fetchone()
            fp = db.execute("SELECT froot, fprev, firt FROM forumpost WHERE fpid=?", (rid,)).fetchone()
            ev = db.execute("SELECT type, user, comment FROM event WHERE objid=?", (rid,)).fetchone()
            rows.append(
                (
                    db.execute("SELECT count(*) FROM private WHERE rid=?", (rid,)).fetchone()[0],
                    db.execute("SELECT count(*) FROM modreq WHERE objid=?", (rid,)).fetchone()[0],
                    tuple(rids.get(x) for x in fp),
                    ev,
                )
            )
        return rows


def _derived(repo: Path) -> list[list[tuple[Any, ...]]]:
    with sqlite3.connect(repo) as db:
        return [
            db.execute("SELECT fpid, froot, fprev, firt, fmtime FROM forumpost ORDER BY fpid").fetchall(),
            db.execute("SELECT type, mtime, objid, user, comment FROM event WHERE type='f' ORDER BY objid").fetchall(),
        ]


def _events(derived: list[list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """event rows without their times (which differ between the two servers)."""
    return [(t, objid, user, comment) for t, _, objid, user, comment in derived[1]]


@pytest.fixture
def base_repo(tmp_path: Path, fossil: Runner) -> Path:
    repo = tmp_path / "base.fossil"
    fossil("init", str(repo))
    for user, caps in (("tom", "4"), ("pat", "3"), ("mod", "5")):
        fossil("user", "new", user, f"{user}@example.org", user + "pw", "-R", str(repo))
        fossil("user", "capabilities", user, caps, "-R", str(repo))
    return repo


def test_forms_write_the_same_artifacts(tmp_path: Path, base_repo: Path, fossil: Runner) -> None:
    theirs, ours = tmp_path / "fossil.fossil", tmp_path / "fossilpy.fossil"
    shutil.copyfile(base_repo, theirs)
    shutil.copyfile(base_repo, ours)

    with fossil_serving(fossil.argv0, theirs, env=fossil.env) as port:
        people = {u: Client(f"http://127.0.0.1:{port}", u) for u in ("tom", "pat", "mod")}
        fossil_hashes = _script(theirs, lambda u, path, f: people[u].form(path, f))
    with serve_app(ours) as base:
        people = {u: Client(base, u) for u in ("tom", "pat", "mod")}
        our_hashes = _script(ours, lambda u, path, f: people[u].form(path, f))

    expected = _cards(fossil, theirs, fossil_hashes)
    assert _cards(fossil, ours, our_hashes) == expected
    assert expected[6] == "D *\nG <post 0>\nH \nP <post 3>\nU tom\nW 0\n\nZ *\n"  # a deleted first post
    assert _state(ours, our_hashes) == _state(theirs, fossil_hashes)
    assert [s[:2] for s in _state(ours, our_hashes)] == [(0, 0)] * 8 + [(1, 1)]

    # fossil rebuild: forumpost rows stay; the event rows change exactly as they change in
    # fossil's own copy (Fossil's rebuild spreads the last non-empty title over a thread whose
    # first post was deleted, where its live crosslink left "(Deleted)")
    before = _derived(ours)
    assert _events(before) == _events(_derived(theirs))
    fossil("rebuild", str(ours))
    fossil("rebuild", str(theirs))
    after = _derived(ours)
    assert after[0] == before[0]
    assert [e[1] for e in after[1]] == [e[1] for e in before[1]]  # times
    assert _events(after) == _events(_derived(theirs))
    integrity = fossil("test-integrity", "-R", str(ours))
    assert integrity.returncode == 0


def _layout(page: str) -> list[tuple[Any, ...]]:
    """What a thread page shows, post by post: the artifact, its label, indent, the labels it links
    (in reply to, updated by, edited from), its buttons, and whether its text is withheld."""
    out = []
    for chunk in re.split(r"<div id=.forum(?=\d+.)", page)[1:]:
        head = re.match(r"(\d+)['\"](.*)", chunk, re.S)
        assert head
        rid, body = head.groups()
        body = body.split("</form></div>", 1)[0]
        label = re.search(r"\((\d+(?:\.\d+)?)\)\s", body)
        out.append(
            (
                int(rid),
                label.group(1) if label else None,
                (re.search(r"margin-left:(\d+)ex", body.split(">", 1)[0]) or [None, None])[1],
                re.findall(r"(in reply to|updated by|from)\s+<a[^>]*>([\d.]+)</a>", body),
                re.findall(r'name="(reply|edit|nullout|approve|reject)" value="(\w+)"', body),
                ">Awaiting Moderator Approval</span></p>" in body,
                "<i>Deleted</i>" in body,
            )
        )
    return out


QUERIES = ("", "?t=c", "?t=h", "?t=s", "?t=c&hist", "?t=h&hist", "?t=y", "?t=r", "?hist", "?unf")


def test_thread_pages_match_fossil(tmp_path: Path, base_repo: Path, fossil: Runner) -> None:
    """The same repository (posts made through fossilpy) shown by fossil and by fossilpy: the
    same posts in the same order, numbered, indented and linked alike, with the same buttons
    and the same held posts withheld, for each person and each display mode."""
    ours = tmp_path / "ours.fossil"
    shutil.copyfile(base_repo, ours)
    with serve_app(ours) as base:
        people = {u: Client(base, u) for u in ("tom", "pat", "mod")}
        hashes = _script(ours, lambda u, path, f: people[u].form(path, f))
        names = [h[:16] for h in (hashes[0], hashes[2], hashes[4], hashes[7], hashes[8])]
        wanted = [(u, p, n, q) for u in people for p in ("forumpost", "forumthread") for n in names for q in QUERIES]
        ours_seen = {}
        for u, p, n, q in wanted:
            status, _, page = people[u].send(f"/{p}/{n}{q}")
            ours_seen[u, p, n, q] = (status, _layout(page))
    with fossil_serving(fossil.argv0, ours, env=fossil.env) as port:
        people = {u: Client(f"http://127.0.0.1:{port}", u) for u in ("tom", "pat", "mod")}
        for key in wanted:
            u, p, n, q = key
            status, _, page = people[u].send(f"/{p}/{n}{q}")
            assert ours_seen[key] == (status, _layout(page)), key
    assert any(seen[1] and any(post[5] for post in seen[1]) for seen in ours_seen.values())  # held posts shown


def test_fossil_clones_fossilpy_forum(tmp_path: Path, base_repo: Path, fossil: Runner) -> None:
    """A real ``fossil clone`` of the fossilpy server after the posts: every approved post arrives,
    the held thread does not, the clone is sound, and fossil's /forumpost of the clone shows the
    thread's text and titles."""
    ours = tmp_path / "ours.fossil"
    shutil.copyfile(base_repo, ours)
    fossil("user", "capabilities", "mod", "5g", "-R", str(ours))
    clone = tmp_path / "clone.fossil"
    with serve_app(ours) as base:
        people = {u: Client(base, u) for u in ("tom", "pat", "mod")}
        hashes = _script(ours, lambda u, path, f: people[u].form(path, f))
        fossil("clone", base.replace("http://", "http://mod:modpw@") + "/", str(clone))
    with sqlite3.connect(clone) as db:
        got = {u for (u,) in db.execute("SELECT uuid FROM blob")}
        assert db.execute("SELECT count(*) FROM forumpost").fetchone() == (8,)
    assert set(hashes[:8]) <= got and hashes[8] not in got
    fossil("test-integrity", "-R", str(clone))
    before = _derived(clone)
    fossil("rebuild", str(clone))
    assert _derived(clone)[0] == before[0]
    with fossil_serving(fossil.argv0, clone, env=fossil.env) as port:
        fossil("user", "password", "mod", "modpw", "-R", str(clone))
        mod = Client(f"http://127.0.0.1:{port}", "mod")
        status, _, page = mod.send(f"/forumpost/{hashes[0][:16]}?t=c&hist")
    assert status == 200
    for text in ("Hello &lt;b&gt;all&lt;/b&gt;", "New title", "moderated", "held one", "plain\nlines"):
        assert text in page, text


def _fields(page: str) -> list[tuple[str, str]]:
    """The (name, value of a hidden field or button) pairs of the page's /forume form, csrf aside."""
    form = re.search(r"<form action=\"[^\"]*/forume[12]\".*?</form>", page, re.S)
    assert form, page
    out = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", form.group(0)):
        name = re.search(r"name=[\"'](\w+)[\"']", tag)
        if not name or name.group(1) == "csrf":
            continue
        kind = re.search(r"type=[\"'](\w+)[\"']", tag)
        value = re.search(r"value=[\"']([^\"']*)[\"']", tag)
        shown = value.group(1) if value and kind and kind.group(1) in ("hidden", "submit") else ""
        out.append((name.group(1), shown))
    return out


@contextmanager
def _served(server: str, repo: Path, fossil: Runner) -> Iterator[str]:
    """Base URL of ``repo`` served by real fossil or by fossilpy."""
    if server == "fossil":
        # fossil runs its backoffice in the process of a reply, after sending it: on a
        # loaded machine the next POST can find the repository locked ("database is locked")
        fossil("settings", "backoffice-disable", "1", "-R", str(repo))
        with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
            yield f"http://127.0.0.1:{port}"
    else:
        with serve_app(repo) as base:
            yield base


def test_forms_have_fossils_fields(tmp_path: Path, base_repo: Path, fossil: Runner) -> None:
    """/forumnew and the reply, edit and delete forms name the same fields, in the same order, as
    fossil's (the fpid a form carries is compared by post)."""
    seen = {}
    for server in ("fossil", "fossilpy"):
        repo = tmp_path / f"{server}.fossil"
        shutil.copyfile(base_repo, repo)
        with _served(server, repo, fossil) as base:
            tom = Client(base, "tom")
            root = tom.form("/forume1", {"title": "T", "content": "x", "mimetype": "text/x-markdown", "submit": "1"})
            reply = tom.form("/forume2", {"fpid": root, "reply": "1", "content": "y", "submit": "1"})
            pages = [tom.send("/forumnew")[2]]
            for fpid in (root, reply):
                for button in ({"reply": "Reply"}, {"edit": "Edit"}, {"nullout": "Delete"}):
                    pages.append(tom.send("/forumedit", {"fpid": fpid, **button})[2])
            seen[server] = [[(n, "<fpid>" if n == "fpid" else v) for n, v in _fields(page)] for page in pages]
    assert seen["fossilpy"] == seen["fossil"]


def test_rebuild_changes_nothing(tmp_path: Path, base_repo: Path, fossil: Runner) -> None:
    """Posts, replies, edits, a deleted reply and a moderated post made through fossilpy: ``fossil
    rebuild`` leaves every forumpost and event row as fossilpy wrote it."""
    ours = tmp_path / "ours.fossil"
    shutil.copyfile(base_repo, ours)
    with serve_app(ours) as base:
        tom, pat, mod = (Client(base, u) for u in ("tom", "pat", "mod"))
        root = tom.form("/forume1", {"title": "Plans", "content": "a", "mimetype": "text/x-markdown", "submit": "1"})
        reply = mod.form("/forume2", {"fpid": root, "reply": "1", "content": "b", "submit": "1"})
        tom.form("/forume2", {"fpid": root, "edit": "1", "title": "Plans v2", "content": "a2", "submit": "1"})
        mod.form("/forume2", {"fpid": reply, "nullout": "1", "content": "", "submit": "1"})
        held = pat.form("/forume2", {"fpid": reply, "reply": "1", "content": "c", "submit": "1"})
        mod.form("/forume2", {"fpid": held, "approve": "Approve"})
        rejected = pat.form("/forume2", {"fpid": root, "reply": "1", "content": "d", "submit": "1"})
        mod.form("/forume2", {"fpid": rejected, "reject": "Reject"})
        other = tom.form("/forume1", {"title": "Other", "content": "e", "mimetype": "text/plain", "submit": "1"})
        tom.form("/forume2", {"fpid": other, "reply": "1", "content": "f", "submit": "1"})
    before = _derived(ours)
    assert len(before[0]) == 7 and len(before[1]) == 7
    fossil("rebuild", str(ours))
    assert _derived(ours) == before
