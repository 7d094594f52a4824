"""Card codec, passwords, URLs and the ssh command line."""

from __future__ import annotations

import hashlib

import pytest

from fossilpy.errors import UserError
from fossilpy.sync import auth, cards, url
from fossilpy.sync.transport import ssh_argv


def test_fossilize_roundtrip():
    assert cards.fossilize("a b\nc\\d\t") == "a\\sb\\nc\\\\d\\t"
    assert cards.defossilize("a\\sb\\nc\\\\d\\t") == "a b\nc\\d\t"
    assert cards.defossilize("x\\qy") == "xqy"


def test_urlize_like_fossil():
    assert cards.urlize("in uvfile line, HASH") == "in+uvfile+line%2C+HASH"
    assert cards.urlize("a:b/c") == "a:b/c"


def test_reader_tokens_and_payload():
    rd = cards.Reader(b"file h 3\nabcgimme x\n# c\nlast")
    line, toks = rd.next_card()
    assert toks == [b"file", b"h", b"3"]
    assert rd.extract(3) == b"abc"
    assert rd.next_card()[1] == [b"gimme", b"x"]
    assert rd.next_card()[0] == b"# c\n"
    assert rd.next_card() == (b"last", [b"last"])
    assert rd.next_card() is None
    assert cards.Reader(b"a b c d e f g h\n").next_card()[1] == [b"a", b"b", b"c", b"d", b"e", b"f"]


def test_as_int_like_blob_is_int():
    assert cards.as_int(b"12") == 12 and cards.as_int(b"") == 0
    assert cards.as_int(b"-1") is None and cards.as_int(b"1x") is None


def test_login_card():
    body = b"pull a b\n"
    card = cards.login_card("alice", "S", body)
    nonce = hashlib.sha1(body).hexdigest()
    assert card == f"login alice {nonce} {hashlib.sha1((nonce + 'S').encode()).hexdigest()}\n".encode()


def test_obscure_matches_fossil():
    # fossil test-obscure hello -> 4a850e17c50f (salt 0x4a)
    assert auth.unobscure("4a850e17c50f") == "hello"
    assert auth.unobscure(auth.obscure("p@ss w")) == "p@ss w"
    assert auth.unobscure("not hex!") == "not hex!"


def test_shared_secret():
    assert auth.shared_secret("pw1", "alice", "PC") == hashlib.sha1(b"PC/alice/pw1").hexdigest()
    assert auth.shared_secret("pw1", "alice", None) == "pw1"


def test_url_forms(tmp_path):
    u = url.parse("http://Al%40x:p%3As@Example.COM:8080/a/b")
    assert (u.user, u.password, u.name, u.port, u.path) == ("Al@x", "p:s", "example.com", 8080, "/a/b")
    assert u.canonical == "http://Al%40x@example.com:8080/a/b"
    s = url.parse("ssh://bob@h:2222//abs/r.fossil?fossil=/opt/bin/fossil")
    assert (s.path, s.fossil, s.port) == ("/abs/r.fossil", "/opt/bin/fossil", 2222)
    assert url.parse("ssh://h/x/r.fossil").path == "x/r.fossil"
    f = tmp_path / "r.fossil"
    f.write_bytes(b"")
    assert url.parse(str(f)).canonical == f"file://{f}"
    assert url.parse(f"file://{f}").name == str(f)
    with pytest.raises(UserError):
        url.parse("nonsense-that-is-no-file")
    with pytest.raises(UserError):
        url.parse("http://h:12x/")


def test_ssh_command_line():
    assert ssh_argv(url.parse("ssh://nobody@127.0.0.1:1/home/x/r.fossil"), "ssh -e none") == [
        "ssh", "-e", "none", "-p", "1", "-T", "--", "nobody@127.0.0.1", "fossil", "test-http",
        "home/x/r.fossil",
    ]
    assert ssh_argv(url.parse("ssh://h/a b.fossil"), "ssh")[-1] == "'a b.fossil'"
    for bad in ("ssh://-oProxyCommand=x/r.fossil", "ssh://-u@h/r.fossil"):
        with pytest.raises(UserError, match="may not begin with '-'"):
            ssh_argv(url.parse(bad), "ssh")
    with pytest.raises(UserError, match="unsafe command"):
        ssh_argv(url.parse("ssh://h/r.fossil?fossil=/bin/rm"), "ssh")
    with pytest.raises(UserError, match="does not specify a path"):
        ssh_argv(url.parse("ssh://h"), "ssh")


def test_read_reply_forms():
    import io

    from fossilpy.errors import ProtocolError
    from fossilpy.sync.transport import _reply_type, read_reply

    ok = b"HTTP/1.0 200 OK\r\nContent-Type: application/x-fossil\r\nContent-Length: 3\r\n\r\nabcXX"
    code, headers, body, n = read_reply(io.BytesIO(ok), False)
    assert (code, body, headers["content-type"]) == (200, b"abc", "application/x-fossil")
    ssh = b"Status: 200 OK\r\nContent-Type: application/x-fossil-debug\r\nContent-Length: 2\r\n\r\nhi"
    assert read_reply(io.BytesIO(ssh), True)[2] == b"hi"
    with pytest.raises(ProtocolError, match="server says: 404 Not Found"):
        read_reply(io.BytesIO(b"HTTP/1.0 404 Not Found\r\n\r\n"), False)
    with pytest.raises(ProtocolError, match="response truncated: got 2 bytes of 10"):
        read_reply(io.BytesIO(b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nab"), False)
    with pytest.raises(ProtocolError, match="server did not reply"):
        read_reply(io.BytesIO(b""), False)
    with pytest.raises(ProtocolError, match="server sends error: oops"):
        _reply_type({"content-type": "text/html"}, b"<html><p>oops</p></html>")
    code, headers, body, n = read_reply(
        io.BytesIO(b"HTTP/1.1 302 Found\r\nLocation: http://x/y/xfer\r\n\r\n"), False
    )
    assert code == 302 and headers["location"] == "http://x/y/xfer"


def test_decompression_bomb_is_refused_before_inflating() -> None:
    import struct
    import tracemalloc
    import zlib

    import pytest

    from fossilpy.errors import ProtocolError
    from fossilpy.sync import cards

    raw = zlib.compress(b"\0" * (300 * 1024 * 1024), 9)  # ~300 KB declaring 300 MB
    body = struct.pack(">I", 300 * 1024 * 1024) + raw
    tracemalloc.start()
    with pytest.raises(ProtocolError, match=r"declared size 314572800 exceeds the limit of \d+ bytes"):
        cards.unframe(body, "application/x-fossil")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 1024 * 1024
    ok = cards.frame(b"pull a b\n" * 1000, "application/x-fossil")
    assert cards.unframe(ok, "application/x-fossil") == b"pull a b\n" * 1000
