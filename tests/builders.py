"""Artifacts and repositories made by tests, one copy of each helper.

Artifact text:

* :func:`with_z` - a body plus its Z card (the MD5 of the body).
* :func:`artifact` - cards (one per line, ``"W"`` standing for a W card
  carrying ``text``) plus the Z card: for hand-made, possibly odd artifacts.
  Well-formed ones are better written with
  :class:`fossilpy.artifact.manifest.Manifest` and ``to_bytes()``.

Storing:

* :func:`put_blob` - a full blob row through an open :class:`Repo`
  (nothing crosslinked; for tests of the layers underneath).
* :func:`store_raw` - rows written with plain sqlite3 into a repository file
  (e.g. one ``fossil init`` made, before a ``fossil rebuild``).
* :func:`add_artifacts` - stored and crosslinked by fossilpy in an existing
  repository file (:func:`new_repo` makes one).

Repositories:

* :func:`build_web_repo` - the web tests' repository, made by fossilpy
  alone (no fossil binary): check-ins on trunk and a merged branch, a wiki
  page in fossil-wiki and one in Markdown, a ticket, a technote, a user.
  ``tests/compat/test_builders_fossil.py`` checks that ``fossil rebuild``
  derives the same tables from it, so the builder cannot drift from Fossil.
* :func:`build_private_repo` - the private-content tests' repository: two
  public check-ins and a private one (``fossil commit --private``), users
  with capabilities; checked the same way, and also against the artifacts
  the real ``fossil commit --private`` makes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fossilpy.artifact import blob, hname

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


def with_z(body: bytes | str) -> bytes:
    """``body`` followed by its Z card."""
    import hashlib

    raw = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
    return raw + b"Z " + hashlib.md5(raw).hexdigest().encode() + b"\n"


def artifact(cards: Iterable[bytes | str], text: bytes | str | None = None) -> bytes:
    """Each card on its own line, in the order given, then the Z card.

    A card ``"W"`` (or ``b"W"``) becomes ``W SIZE``, ``text`` and a newline.
    Nothing is checked or sorted: the cards are written as given.
    """
    body = b""
    data = text.encode() if isinstance(text, str) else (text or b"")
    for card in cards:
        raw = card.encode("utf-8", "surrogateescape") if isinstance(card, str) else card
        body += b"W %d\n" % len(data) + data + b"\n" if raw == b"W" else raw + b"\n"
    return with_z(body)


def put_blob(repo: Repo, data: bytes) -> int:
    """Store ``data`` as a full (non-delta) blob row; its rid.  Nothing else is written."""
    return int(
        repo.execute(
            "INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,?,?,?)",
            (len(data), hname.sha3(data), blob.compress(data)),
        ).lastrowid
    )


def store_raw(
    path: Path, artifacts: Iterable[bytes], *, unsent: bool = False, name: Callable[[bytes], str] = hname.sha3
) -> list[int]:
    """Write ``artifacts`` into the repository file ``path`` with plain sqlite3, in order
    (rid order, the order a push sends them), as unclustered (and ``unsent``), named by
    ``name`` (SHA3-256 by default); their rids.

    Nothing is crosslinked: a ``rebuild`` (fossil's or fossilpy's) or a sync does that.
    """
    con = sqlite3.connect(path)
    rids = []
    try:
        with con:
            for data in artifacts:
                rid = int(
                    con.execute(
                        "INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,?,?,?)",
                        (len(data), name(data), blob.compress(data)),
                    ).lastrowid
                    or 0
                )
                con.execute("INSERT INTO unclustered VALUES(?)", (rid,))
                if unsent:
                    con.execute("INSERT INTO unsent VALUES(?)", (rid,))
                rids.append(rid)
    finally:
        con.close()
    return rids


def delta_before_baseline() -> list[bytes]:
    """A delta manifest, a file, then the delta's baseline: in the order a receiver must cope with."""
    from fossilpy.artifact.hname import sha3

    file1 = b"one\n"
    base = artifact(
        ["C base", "D 2024-01-01T00:00:00", "F a.txt " + sha3(file1), "T *branch * trunk", "T *sym-trunk *", "U alice"]
    )
    child = artifact(
        ["B " + sha3(base), "C child", "D 2024-01-02T00:00:00", "F b.txt " + sha3(file1), "P " + sha3(base), "U alice"]
    )
    return [child, file1, base]


# -- the web tests' repository ------------------------------------------------------------

HOME_WIKI = """<h1>Welcome</h1>
<script>alert('wiki')</script>
<a href="javascript:alert(2)">bad link</a> <img src=x onerror=alert(3)>
See [/timeline|the timeline] and <b>bold text</b>.
"""

MD_WIKI = """# Markdown page

Some *emphasis* and `code`.

<script>alert('md')</script>

[click me](javascript:alert(1)) and [ok](/stat)
"""

XSS_COMMENT = '<script>alert("ci")</script> fix <b>bold</b> <img src=x onerror=alert(4)>'

#: The ticket's and the technote's ids (fossil makes random ones).
TICKET_ID = "172a86b7513b2154e5ec1addb6a356b6fe8fc687"
TECHNOTE_ID = "1c4e62c9b389d57c5fe8ca781323298aafa4a34b"


@dataclass(frozen=True)
class WebRepo:
    path: Path
    project_code: str
    alice_password: str = "pw1"


class _Writer:
    """Stores artifacts as ``fossil commit`` and friends would, and crosslinks them."""

    def __init__(self, repo: Repo) -> None:
        from fossilpy.repo import content

        self.repo = repo
        self.rcvid = content.begin_receive(repo, uid=repo.one("SELECT uid FROM user WHERE login='root'"))
        self.seconds = 0

    def date(self) -> str:
        """The next D card time: one minute later each time, from 2024-01-02 10:00."""
        self.seconds += 60
        minutes, seconds = divmod(self.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"2024-01-02T{10 + hours:02d}:{minutes:02d}:{seconds:02d}.000"

    def put(self, data: bytes, *, private: bool = False) -> str:
        """Store ``data`` (crosslinked when structural); its hash.

        ``private`` marks new content private, as ``fossil commit --private``
        stores it; content already present keeps its state, as in Fossil."""
        from fossilpy.repo import content
        from fossilpy.repo.crosslink import crosslink

        rid = content.put(self.repo, data, rcvid=self.rcvid, private=private)
        crosslink(self.repo, rid, data)
        return hname.sha3(data)

    def checkin(
        self,
        comment: str,
        files: dict[str, bytes],
        parents: list[str],
        tags: Iterable[tuple[str, str, str | None]] = (),
        *,
        date: str | None = None,
        private: bool = False,
    ) -> str:
        """A check-in of ``files`` (name -> content), files first, as ``fossil commit``
        (``--private``: the manifest and the files it is first to use are private)."""
        from fossilpy.artifact.manifest import ArtifactType, FileCard, Manifest, TagCard, repo_checksum

        cards = [FileCard(name, self.put(data, private=private)) for name, data in sorted(files.items())]
        m = Manifest(
            type=ArtifactType.MANIFEST,
            comment=comment,
            date=date or self.date(),
            files=cards,
            parents=parents,
            repo_cksum=repo_checksum(files.items()),
            user="root",
            tags=[TagCard(prefix, name, None, value) for prefix, name, value in tags],
        )
        return self.put(m.to_bytes(), private=private)


def add_artifacts(path: Path, artifacts: Iterable[bytes]) -> list[str]:
    """Store and crosslink ``artifacts`` in the repository file ``path``, in order, with
    fossilpy (what ``fossil test-content-put`` and a ``rebuild`` would do); their hashes."""
    from fossilpy.repo.db import Repo

    with Repo.open(str(path)) as repo, repo.write():
        w = _Writer(repo)
        return [w.put(data) for data in artifacts]


def new_repo(path: Path) -> Path:
    """An empty repository at ``path`` as ``fossil init`` makes it (setup user root), by fossilpy."""
    from fossilpy.repo.create import create_repository

    create_repository(path, admin_user="root").close()
    return path


def build_web_repo(path: Path) -> WebRepo:
    """The web tests' repository at ``path``, made by fossilpy alone.

    The same history ``fossil`` made for these tests before: check-ins
    "first commit" (README.md, src/a.py, page.html), the XSS comment, a
    branch "feat" with "feature work" (src/b.py), "trunk work" and "merge
    feat into trunk"; wiki pages Home (fossil-wiki) and MdPage (Markdown),
    a ticket "A <i>bug</i>", a technote "Release note"; user alice (caps v,
    password pw1); project name "Web Test"; the backoffice off.
    """
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TicketField
    from fossilpy.repo import users
    from fossilpy.repo.create import create_repository

    repo = create_repository(path, admin_user="root", project_name="Web Test", date="2024-01-02 10:00:00")
    try:
        with repo.write():
            w = _Writer(repo)
            initial = repo.one("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci'")
            readme = b"# Test project\n\nHello *world*.\n"
            files = {
                "README.md": readme,
                "src/a.py": b"print(1)\n",
                "page.html": b"<html><script>alert('raw')</script></html>\n",
            }
            first = w.checkin("first commit", files, [initial])
            files["src/a.py"] += b"print(2)\n"
            xss = w.checkin(XSS_COMMENT, files, [first])
            branch = w.checkin(
                'Create new branch named "feat"',
                files,
                [xss],
                [("*", "branch", "feat"), ("*", "sym-feat", None), ("-", "sym-trunk", None)],
            )
            feature = w.checkin("feature work", {**files, "src/b.py": b"feature\n"}, [branch])
            files["README.md"] = readme + b"\nMore text.\n"
            trunk = w.checkin("trunk work", files, [xss])
            w.checkin("merge feat into trunk", {**files, "src/b.py": b"feature\n"}, [trunk, feature])
            w.put(
                Manifest(
                    type=ArtifactType.WIKI, date=w.date(), wiki_title="Home", user="root", text=HOME_WIKI
                ).to_bytes()
            )
            w.put(
                Manifest(
                    type=ArtifactType.WIKI,
                    date=w.date(),
                    wiki_title="MdPage",
                    user="root",
                    mimetype="text/x-markdown",
                    text=MD_WIKI,
                ).to_bytes()
            )
            w.put(
                Manifest(
                    type=ArtifactType.TICKET,
                    date=w.date(),
                    ticket_uuid=TICKET_ID,
                    user="root",
                    fields=[TicketField("status", "Open"), TicketField("title", "A <i>bug</i>")],
                ).to_bytes()
            )
            when = w.date()
            w.put(
                Manifest(
                    type=ArtifactType.EVENT,
                    comment="Release note",
                    date=when,
                    event_date=when[:19],
                    event_id=TECHNOTE_ID,
                    user="root",
                    text="technote body\n",
                ).to_bytes()
            )
        users.create_user(repo, "alice", password="pw1", caps="v", contact="alice@example.org")
        repo.config_set("backoffice-disable", "1")
        code = str(repo.config_get("project-code"))
    finally:
        repo.close()
    return WebRepo(path, code)


# -- the private-content tests' repository ---------------------------------------------------

PRIVATE_COMMENT = "PRIVCOMMENT hidden plans"
PRIVATE_BRANCH = "hushbranch"
#: The branch colour ``fossil commit --private`` gives a private branch without ``--bgcolor``.
PRIVATE_BGCOLOR = "#fec084"


@dataclass(frozen=True)
class PrivRepo:
    """What :func:`build_private_repo` made: the file, its project code, the hashes the tests name."""

    path: Path
    project_code: str
    pub1: str  # first public check-in
    pub2: str  # newest public check-in (trunk)
    priv: str  # the private check-in, newest of all
    priv_rid: int
    secret: str  # secret.txt: a file only the private check-in has (private)
    readme_priv: str  # README as the private check-in changed it (private)
    shared: str  # src/a.txt as pub1 and the private check-in (which reverts it) have it: public

    @property
    def cookie_name(self) -> str:
        return "fossil-" + self.project_code[:16]


def build_private_repo(path: Path) -> PrivRepo:
    """The private-content tests' repository at ``path``, made by fossilpy alone.

    What these commands make with Fossil 2.21 (USER=root), artifact for
    artifact, hashes included (``tests/compat/test_builders_fossil.py`` runs
    them and compares)::

        fossil init --date-override "2023-12-31 10:00:00"
        # README "public readme", src/a.txt "one"
        fossil commit -m "public one" --date-override "2024-01-01 10:00:00"
        # src/a.txt "one", "two"
        fossil commit -m "public two" --date-override "2024-01-02 10:00:00"
        # new secret.txt, README changed, src/a.txt back to "one"
        fossil commit --private --branch hushbranch -m "PRIVCOMMENT hidden plans" \\
            --date-override "2024-01-03 10:00:00"
        fossil user new dev|boss NAME@example.org pw; capabilities v|sx
        fossil user capabilities developer ei | nobody orj2 | anonymous ""

    ``fossil commit --private`` writes no ``private`` tag: its manifest carries
    the branch tags and the private branch colour, and only the ``private``
    table (the manifest and the two files it is first to use; ``src/a.txt``
    is the public version of "public one") says it is private.  The
    backoffice is off.
    """
    from fossilpy.repo import users
    from fossilpy.repo.create import create_repository

    repo = create_repository(path, admin_user="root", date="2023-12-31 10:00:00")
    try:
        with repo.write():
            w = _Writer(repo)
            initial = str(repo.one("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci'"))
            files = {"README": b"public readme\n", "src/a.txt": b"one\n"}
            pub1 = w.checkin("public one", files, [initial], date="2024-01-01T10:00:00.000")
            pub2 = w.checkin(
                "public two", {**files, "src/a.txt": b"one\ntwo\n"}, [pub1], date="2024-01-02T10:00:00.000"
            )
            files |= {"README": b"public readme\nprivately changed\n", "secret.txt": b"classified contents\n"}
            priv = w.checkin(
                PRIVATE_COMMENT,
                files,
                [pub2],
                [
                    ("*", "bgcolor", PRIVATE_BGCOLOR),
                    ("*", "branch", PRIVATE_BRANCH),
                    ("*", f"sym-{PRIVATE_BRANCH}", None),
                    ("-", "sym-trunk", None),
                ],
                date="2024-01-03T10:00:00.000",
                private=True,
            )
        for login, caps in (("dev", "v"), ("boss", "sx")):
            users.create_user(repo, login, password="pw", caps=caps, contact=f"{login}@example.org")
        for login, caps in (("developer", "ei"), ("nobody", "orj2"), ("anonymous", "")):
            users.set_capabilities(repo, login, caps)
        repo.config_set("backoffice-disable", "1")
        code = str(repo.config_get("project-code"))
        priv_rid = int(repo.one("SELECT rid FROM blob WHERE uuid=?", (priv,)))
    finally:
        repo.close()
    return PrivRepo(
        path=path,
        project_code=code,
        pub1=pub1,
        pub2=pub2,
        priv=priv,
        priv_rid=priv_rid,
        secret=hname.sha3(files["secret.txt"]),
        readme_priv=hname.sha3(files["README"]),
        shared=hname.sha3(b"one\n"),
    )
