"""The xfer handler fed good and bad requests, without the real binary."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fossilpy.artifact import blob
from fossilpy.repo.create import create_repository
from fossilpy.repo.db import Repo
from fossilpy.sync import cards
from fossilpy.sync.auth import shared_secret
from fossilpy.sync.server import handle_xfer, run_test_xfer
from tests.limits import time_limit

DEBUG = "application/x-fossil-debug"


def _counts(repo: Repo) -> dict[str, int]:
    names = [r[0] for r in repo.all("SELECT name FROM sqlite_schema WHERE type='table'")]
    return {n: repo.one(f'SELECT count(*) FROM "{n}"') for n in names}


@pytest.fixture(scope="module")
def template(tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("srv") / "t.fossil"
    repo = create_repository(path, admin_user="admin", env={})
    with repo.write():
        repo.execute("UPDATE user SET pw='secret' WHERE login='admin'")
        repo.execute("INSERT INTO user(login,pw,cap,info) VALUES('dev','devpw','o','')")
    repo.close()
    return path


@pytest.fixture
def repo(template, tmp_path):  # type: ignore[no-untyped-def]
    import shutil

    p = tmp_path / "r.fossil"
    shutil.copy(template, p)
    r = Repo.open(p)
    yield r
    r.close()


def _pcode(repo: Repo) -> str:
    return repo.config_get("project-code")


def _signed(repo: Repo, user: str, pw: str, body: bytes) -> bytes:
    secret = shared_secret(pw, user, _pcode(repo))
    return cards.login_card(user, secret, body) + body


def _lines(reply: bytes) -> list[bytes]:
    return [line for line in reply.split(b"\n") if line and not line.startswith(b"# timestamp")]


def test_push_with_login_stores_and_crosslinks(repo):  # type: ignore[no-untyped-def]
    data = b"hello world\n"
    uuid = hashlib.sha3_256(data).hexdigest()
    body = f"push x {_pcode(repo)}\nfile {uuid} {len(data)}\n".encode() + data
    ct, reply = handle_xfer(repo, blob.compress(_signed(repo, "admin", "secret", body)),
                            "application/x-fossil")
    assert ct == "application/x-fossil"
    text = blob.uncompress(reply)
    assert _lines(text) == []
    assert text.endswith(b" errors 0\n")
    assert repo.one("SELECT size FROM blob WHERE uuid=?", (uuid,)) == len(data)
    assert repo.one("SELECT nonce FROM rcvfrom ORDER BY rcvid DESC LIMIT 1") is not None


@pytest.mark.parametrize(
    "body, ctype, first",
    [
        (b"\x00\x00\x00\x10garbage", "application/x-fossil", b"error malformed\\srequest:"),
        (b"ab", "application/x-fossil", b"error malformed\\srequest:"),
        (b"pull x y\n", "text/plain", b"error malformed\\srequest:"),
        (b"frobnicate 1 2\n", DEBUG, b"error bad\\scommand:\\sfrobnicate\\s1\\s2\\n"),
        (b"file 1234567890123456789012345678901234567890 5\nhello", DEBUG,
         b"error not\\sauthorized\\sto\\swrite"),
        (b"login admin 1234567890123456789012345678901234567890 00\n", DEBUG,
         b"error login\\sfailed"),
        (b"config /config 5\nhello\n", DEBUG, b"error not\\sauthorized\\sto\\spush\\sconfiguration"),
        (b"uvfile a.txt 1 1234567890123456789012345678901234567890 5 0\nhello", DEBUG,
         b"error in+uvfile+line%2C+HASH+does+not+match+CONTENT"),
        (b"uvfile ../a 1 - 0 1\n", DEBUG, b"error malformed+uvfile+line"),
    ],
)
def test_bad_requests_change_nothing(repo, body, ctype, first):  # type: ignore[no-untyped-def]
    before = _counts(repo)
    rct, reply = handle_xfer(repo, body, ctype)
    text = cards.unframe(reply, rct)
    assert _lines(text)[0].startswith(first), text
    assert b"# timestamp " in text
    assert _counts(repo) == before


@pytest.mark.parametrize(
    "tail",
    [
        b"file 1234567890123456789012345678901234567890 5\nhello",  # wrong hash
        b"file 1234567890123456789012345678901234567890 500\nhello",  # short payload
        b"file 12345 5\nhello",  # bad hash token
        b"cfile 1234567890123456789012345678901234567890 5 9\n\x00\x00\x00\x05xxxxx",  # bad zlib
        b"file a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 1234567890123456789012345678901234567890 3\nabc",
        b"igot a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\nbogus card\n",
    ],
)
def test_bad_push_rolls_back_everything(repo, tail):  # type: ignore[no-untyped-def]
    """A good artifact followed by a bad card: nothing of the round is kept."""
    good = b"first artifact\n"
    uuid = hashlib.sha3_256(good).hexdigest()
    body = f"push x {_pcode(repo)}\nfile {uuid} {len(good)}\n".encode() + good + tail
    before = _counts(repo)
    _, reply = handle_xfer(repo, _signed(repo, "admin", "secret", body), DEBUG)
    assert _lines(reply)[0].startswith(b"error "), reply
    assert _counts(repo) == before


def test_user_without_write_cannot_push(repo):  # type: ignore[no-untyped-def]
    body = f"pull x {_pcode(repo)}\npush x {_pcode(repo)}\n".encode()
    _, reply = handle_xfer(repo, _signed(repo, "dev", "devpw", body), DEBUG)
    assert b"message pull\\sonly\\s-\\snot\\sauthorized\\sto\\spush" in reply
    _, reply = handle_xfer(repo, _signed(repo, "dev", "devpw", f"push x {_pcode(repo)}\n".encode()), DEBUG)
    assert _lines(reply) == [b"error not\\sauthorized\\sto\\swrite"]


def test_clone_needs_g(repo):  # type: ignore[no-untyped-def]
    with repo.write():
        repo.execute("UPDATE user SET cap='' WHERE login='nobody'")
    _, reply = handle_xfer(repo, b"clone 3 1\n", DEBUG)
    lines = _lines(reply)
    assert lines[0].startswith(b"push ") and lines[1] == b"error not\\sauthorized\\sto\\sclone"


def test_trusted_caps_need_no_login(repo):  # type: ignore[no-untyped-def]
    with repo.write():
        repo.execute("UPDATE user SET cap='' WHERE login='nobody'")
    ct, reply = handle_xfer(repo, b"clone 3 1\n", DEBUG, trusted_caps="sxy")
    assert ct == "application/x-fossil-uncompressed"
    assert b"clone_seqno 0" in reply


def test_test_xfer_accepts_any_login(repo):  # type: ignore[no-untyped-def]
    out = run_test_xfer(repo, f"login x y z\npush x {_pcode(repo)}\nigot {'a' * 40}\n".encode())
    assert _lines(out) == [b"gimme " + b"a" * 40]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300), st.sampled_from(["application/x-fossil", DEBUG, "x/y"]))
def test_garbage_never_raises(repo, body, ctype):  # type: ignore[no-untyped-def]
    before = _counts(repo)
    with time_limit(5):
        rct, reply = handle_xfer(repo, body, ctype)
    text = cards.unframe(reply, rct)
    assert b"# timestamp" in text or text.startswith(b"error ")
    if b"\nerror " in b"\n" + text:
        assert _counts(repo) == before


def test_compressed_framing_roundtrip():  # type: ignore[no-untyped-def]
    msg = b"pull a b\n"
    framed = cards.frame(msg, "application/x-fossil")
    assert framed[:4] == len(msg).to_bytes(4, "big") and zlib.decompress(framed[4:]) == msg
    assert cards.unframe(framed, "application/x-fossil") == msg


def test_storage_errors_do_not_leak_to_clients(tmp_path, monkeypatch) -> None:
    from fossilpy.errors import StorageError
    from fossilpy.repo.create import create_repository
    from fossilpy.sync import server

    repo = create_repository(str(tmp_path / "r.fossil"), admin_user="admin")

    def boom(self):
        raise StorageError("cannot write /srv/secret/path/r.fossil: disk I/O error")

    from tests.conftest import captured_log

    monkeypatch.setattr(server._Server, "run", boom)
    with captured_log() as logged:
        ct, body = server.handle_xfer(repo, b"pull x y\n", "application/x-fossil-debug", remote_addr="203.0.113.9")
    repo.close()
    assert body.startswith(b"error server\\serror\\swhile\\shandling\\sthe\\srequest\n# timestamp ")
    assert b"secret" not in body
    assert "fossilpy: xfer from 203.0.113.9 failed: cannot write /srv/secret/path" in logged()


def test_client_refuses_oversized_replies() -> None:
    import io

    import pytest

    from fossilpy.errors import ProtocolError
    from fossilpy.sync.transport import read_reply

    huge = io.BytesIO(b"HTTP/1.0 200 OK\r\nContent-Type: application/x-fossil\r\nContent-Length: 99999999999\r\n\r\n")
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        read_reply(huge, False)
    long_header = io.BytesIO(b"HTTP/1.0 200 OK\r\nX: " + b"a" * 10000 + b"\r\n\r\n")
    with pytest.raises(ProtocolError, match="header too long"):
        read_reply(long_header, False)
    short = io.BytesIO(b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(ProtocolError, match="response truncated: got 3 bytes of 10"):
        read_reply(short, False)
