"""Every decompression is bounded by what its context allows (issue 9: finding 6).

An 866-byte push made a worker allocate 788 MB: a ``cfile`` payload is a
zlib stream whose 4-byte header may declare up to 4 GiB, and zlib expands
about 1000 times (a stream inside the compressed message much more).  Now
a declared size above the context's room is refused before a byte is
inflated: 1 GiB anywhere (:data:`fossilpy.artifact.blob.MAX_SIZE`), a
request's remaining memory allowance inside a request.  The same holds for
delta targets, which a few kilobytes of copy commands can make huge.
"""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from functools import lru_cache

import pytest

from fossilpy import budget
from fossilpy.artifact import blob, delta, hname
from fossilpy.errors import ArtifactError
from fossilpy.repo.db import Repo

BOMB_SIZE = 800_000_000


@lru_cache(maxsize=1)
def bomb() -> bytes:
    """Fossil's framing of 800 MB of zeros (about 780 kB), made without holding 800 MB."""
    z = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [struct.pack(">I", BOMB_SIZE)]
    left = BOMB_SIZE
    while left:
        n = min(left, len(chunk))
        parts.append(z.compress(chunk[:n]))
        left -= n
    parts.append(z.flush())
    return b"".join(parts)


def _peak(func) -> tuple[object, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        try:
            result: object = func()
        except Exception as exc:  # noqa: BLE001 - returned for the assertions
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_uncompress_refuses_a_declared_size_over_the_limit_before_inflating() -> None:
    framed = bomb()
    result, peak = _peak(lambda: blob.uncompress(framed, what="cfile", limit=100_000_000))
    assert isinstance(result, ArtifactError)
    assert str(result) == "cfile: declared size 800000000 exceeds the limit of 100000000 bytes"
    assert peak < 5_000_000


def test_uncompress_has_a_limit_even_when_the_caller_gives_none() -> None:
    four_gib = struct.pack(">I", 0xFFFFFFFF) + zlib.compress(b"x" * 1000)
    result, peak = _peak(lambda: blob.uncompress(four_gib))
    assert isinstance(result, ArtifactError)
    assert str(result) == f"blob: declared size {0xFFFFFFFF} exceeds the limit of {blob.MAX_SIZE} bytes"
    assert peak < 1_000_000


def test_delta_with_a_huge_declared_target_is_refused() -> None:
    source = b"a" * 1000
    # 2 GiB declared, then copy commands repeating the source: a few kB of delta.
    body = delta.encode_int(2 << 30) + b"\n" + (delta.encode_int(1000) + b"@0,") * 3000
    result, peak = _peak(lambda: delta.apply(source, body))
    assert isinstance(result, ArtifactError)
    assert str(result) == f"bad delta: declared output size {2 << 30} exceeds the limit of {delta.MAX_SIZE} bytes"
    assert peak < 1_000_000
    small = delta.encode_int(3000) + b"\n" + (delta.encode_int(1000) + b"@0,") * 3 + delta.encode_int(0) + b";"
    with pytest.raises(ArtifactError, match="declared output size 3000 exceeds the limit of 2000 bytes"):
        delta.apply(source, small, max_size=2000)
    assert delta.apply(source, small) == source * 3


def _push_cfile(repo: Repo, payload: bytes, uuid: str) -> bytes:
    from fossilpy.sync.server import handle_xfer

    codes = (repo.config_get("server-code"), repo.config_get("project-code"))
    message = (f"push {codes[0]} {codes[1]}\ncfile {uuid} {BOMB_SIZE} {len(payload)}\n").encode() + payload + b"\n"
    _, reply = handle_xfer(repo, message, "application/x-fossil-uncompressed", trusted_caps="sxy")
    return reply


def test_pushed_cfile_bomb_costs_nothing(created_repo: Repo) -> None:
    """Through the sync server, as a request (memory allowance 512 MiB): refused, nothing stored."""
    uuid = hname.sha3(b"whatever")
    payload = bomb()
    before = created_repo.one("SELECT count(*) FROM blob")

    def push() -> bytes:
        with budget.limit():
            return _push_cfile(created_repo, payload, uuid)

    reply, peak = _peak(push)
    assert isinstance(reply, bytes), reply
    assert reply.startswith(f"error wrong+hash+on+received+artifact:+{uuid}\n".encode())
    assert peak < 40_000_000, f"peak {peak / 2**20:.0f} MiB"
    assert created_repo.one("SELECT count(*) FROM blob") == before


def test_content_get_inside_a_request_stays_in_its_allowance(created_repo: Repo) -> None:
    """A stored artifact larger than the request's remaining allowance is refused, not expanded."""
    with created_repo.write():
        rid = created_repo.execute(
            "INSERT INTO blob(rcvid,size,uuid,content) VALUES(0,?,?,?)",
            (BOMB_SIZE, "cd" * 32, bomb())).lastrowid
    from fossilpy.repo import content

    def read() -> object:
        with budget.limit(memory=64 * 1024 * 1024):
            return content.get(created_repo, rid)

    result, peak = _peak(read)
    assert isinstance(result, ArtifactError)
    assert str(result) == f"artifact rid {rid}: declared size {BOMB_SIZE} exceeds the limit of {64 * 1024 * 1024} bytes"
    assert peak < 5_000_000


def test_integrity_check_inflates_within_the_header(created_repo: Repo) -> None:
    from fossilpy.repo.integrity import _inflate_as_fossil

    lying = struct.pack(">I", 10) + zlib.compress(bytes(50_000_000))  # says 10 bytes, holds 50 MB
    result, peak = _peak(lambda: _inflate_as_fossil(lying))
    assert result == lying  # Fossil's lenient rule: unusable data stays as stored
    assert peak < 5_000_000
    assert _inflate_as_fossil(struct.pack(">I", 5) + zlib.compress(b"hello")) == b"hello"
    truncated = struct.pack(">I", 5) + zlib.compress(b"hello")[:-3]
    assert _inflate_as_fossil(truncated) == truncated
