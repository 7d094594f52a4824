"""Blob framing and artifact names."""

import zlib

import pytest

from fossilpy.artifact import blob, hname
from fossilpy.errors import ArtifactError


def test_compress_framing_is_size_then_zlib() -> None:
    framed = blob.compress(b"hello\n")
    assert framed[:4] == b"\x00\x00\x00\x06"
    assert framed[4:6] == b"\x78\x9c"
    assert zlib.decompress(framed[4:]) == b"hello\n"
    assert blob.uncompress(framed) == b"hello\n"


@pytest.mark.parametrize(
    "framed, message",
    [
        (b"\x00\x00", "shorter than its 4-byte size header"),
        (b"\x00\x00\x00\x06" + zlib.compress(b"hello\n")[:-3], "truncated zlib stream"),
        (b"\x00\x00\x00\x06garbage", "corrupt zlib stream"),
        (b"\x00\x00\x00\x02" + zlib.compress(b"hello\n"), "exceeds its declared size 2"),
        (b"\x00\x00\x00\x09" + zlib.compress(b"hello\n"), "does not match declared size 9"),
    ],
)
def test_uncompress_rejects_bad_input(framed: bytes, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        blob.uncompress(framed)


def test_names() -> None:
    assert hname.sha1(b"") == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert hname.sha3(b"") == "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
    assert hname.hash_type("a" * 40) == hname.HNAME_SHA1
    assert hname.hash_type("A" * 64) == hname.HNAME_SHA3
    assert hname.hash_type("g" * 40) == 0
    assert hname.hash_type("a" * 41) == 0
    assert hname.verify(b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    assert not hname.verify(b"x", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    assert hname.policy_from_name("sha3") == 2
    with pytest.raises(ValueError):
        hname.policy_from_name("9")
