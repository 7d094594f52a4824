"""Issue 9, finding 10: refused file, cfile and uvfile cards leave the repository as it was.

Before the fix a ``uvfile`` card from a client without the ``y``
capability inserted an ``rcvfrom`` row (the receive session was started
before the permission check) and the round committed it, so anonymous
requests grew the database.  Each case compares a full SQL dump of the
repository before and after the request.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest

from fossilpy.repo.create import create_repository
from fossilpy.repo.db import Repo
from fossilpy.sync import cards
from fossilpy.sync.auth import shared_secret
from fossilpy.sync.server import handle_xfer

DEBUG = "application/x-fossil-debug"
DATA = b"some unversioned or versioned content\n"
SHA3 = hashlib.sha3_256(DATA).hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("refused") / "t.fossil"
    repo = create_repository(path, admin_user="admin", env={})
    with repo.write():
        repo.execute("UPDATE user SET pw='secret' WHERE login='admin'")
        repo.execute("UPDATE user SET cap='o' WHERE login='nobody'")  # nobody may read
        repo.execute("INSERT INTO user(login,pw,cap,info) VALUES('rdr','rdrpw','o','')")
        repo.execute("INSERT INTO user(login,pw,cap,info) VALUES('pusher','pusherpw','oi','')")
        repo.execute("INSERT INTO user(login,pw,cap,info) VALUES('uvw','uvwpw','oy','')")
    repo.close()
    return path


@pytest.fixture
def path(template: Path, tmp_path: Path) -> Path:
    p = tmp_path / "r.fossil"
    shutil.copy(template, p)
    return p


def _dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def _send(path: Path, body: bytes, user: str | None = None) -> bytes:
    with Repo.open(str(path)) as repo:
        if user is not None:
            secret = shared_secret(f"{user}pw", user, repo.config_get("project-code"))
            body = cards.login_card(user, secret, body) + body
        _ct, reply = handle_xfer(repo, body, DEBUG, remote_addr="192.0.2.7")
    return reply


def _pcode(path: Path) -> str:
    with Repo.open(str(path), readonly=True) as repo:
        return str(repo.config_get("project-code"))


def _cards(kind: str) -> bytes:
    if kind == "uvfile":
        return f"uvfile notes.txt 1700000000 {SHA3} {len(DATA)} 0\n".encode() + DATA
    if kind == "file":
        return f"file {SHA3} {len(DATA)}\n".encode() + DATA
    packed = zlib.compress(DATA)
    return f"cfile {SHA3} {len(DATA)} {len(packed)}\n".encode() + packed


CLIENTS = [
    (None, ("pull",)),               # nobody reading
    (None, ("pull", "push")),        # nobody asking to push: "pull only"
    (None, ("push",)),               # nobody asking to push only
    ("rdr", ("pull", "push")),       # read, no write
]


@pytest.mark.parametrize(
    ("user", "verbs", "kind"),
    [(u, v, k) for u, v in CLIENTS for k in ("uvfile", "file", "cfile")]
    + [("pusher", ("pull", "push"), "uvfile")],  # may push (i) but not store unversioned files (y)
)
def test_refused_cards_write_nothing(path: Path, kind: str, user: str | None, verbs: tuple[str, ...]) -> None:
    pcode = _pcode(path)
    before = _dump(path)
    body = "".join(f"{v} 0000000000000000000000000000000000000000 {pcode}\n" for v in verbs).encode()
    reply = _send(path, body + _cards(kind), user)
    # a push without the i capability and a (c)file card without push fail;
    # a uvfile card that may not be stored is ignored silently, as by Fossil
    errors = (verbs == ("push",)) + (kind != "uvfile")
    assert reply.endswith(f" errors {errors}\n".encode()), reply
    first = reply.split(b"\n")[0]
    assert first == (b"error not\\sauthorized\\sto\\swrite" if errors else first), reply
    assert errors or b"error" not in reply.partition(b"# timestamp")[0], reply
    assert _dump(path) == before


def test_uvfile_already_current_writes_nothing(path: Path) -> None:
    pcode = _pcode(path)
    body = f"pull x {pcode}\n".encode() + _cards("uvfile")
    assert _send(path, body, "uvw").endswith(b" errors 0\n")
    with Repo.open(str(path), readonly=True) as repo:
        assert repo.all("SELECT name, hash, sz FROM unversioned") == [("notes.txt", SHA3, len(DATA))]
        assert repo.all("SELECT uid, ipaddr FROM rcvfrom WHERE rcvid>1") == [
            (repo.one("SELECT uid FROM user WHERE login='uvw'"), "192.0.2.7")]
    before = _dump(path)
    again = body + b"# another nonce\n"
    assert _send(path, again, "uvw").endswith(b" errors 0\n")  # the same file again: nothing to do
    assert _dump(path) == before
