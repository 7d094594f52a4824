"""Fossil's compressed-blob framing.

Used for ``blob.content`` in the repository and for ``application/x-fossil``
HTTP bodies::

    framed := SIZE ZSTREAM
    SIZE    := 4 bytes, big-endian unsigned, the length of the uncompressed data
    ZSTREAM := a zlib stream (RFC 1950, with header and Adler-32 trailer)

Any zlib compression level is valid.  When reading, the uncompressed data
must have exactly SIZE bytes; Fossil uses SIZE to size its output buffer and
fails on more.

Decompression is always bounded: a SIZE above the caller's ``limit``, or
above :data:`MAX_SIZE` when the caller gives none, is refused before a
byte is inflated (a zlib stream expands up to about 1000 times, and a
stream inside a stream much more: an 866-byte request can declare 4 GiB).
"""

from __future__ import annotations

import struct
import zlib

from fossilpy.errors import ArtifactError

_SIZE = struct.Struct(">I")

#: Largest artifact (uncompressed) any context accepts: 1 GiB.  Contexts
#: with less room (a web request's memory allowance) pass a lower ``limit``.
MAX_SIZE = 1 << 30


def compress(data: bytes, level: int = 6) -> bytes:
    """Frame ``data`` as 4-byte big-endian length + zlib stream."""
    return _SIZE.pack(len(data)) + zlib.compress(data, level)


def uncompress(framed: bytes, what: str = "blob", *, limit: int | None = None) -> bytes:
    """Undo :func:`compress`; raise ArtifactError on any inconsistency.

    A declared size above ``limit`` (default :data:`MAX_SIZE`) is refused
    before anything is decompressed (a "zip bomb" of a few hundred KB can
    declare 4 GB).
    """
    if len(framed) < 4:
        raise ArtifactError(f"{what}: compressed data is shorter than its 4-byte size header")
    (size,) = _SIZE.unpack_from(framed)
    if limit is None:
        limit = MAX_SIZE
    if size > limit:
        raise ArtifactError(f"{what}: declared size {size} exceeds the limit of {limit} bytes")
    try:
        d = zlib.decompressobj()
        data = d.decompress(framed[4:], size + 1)
    except zlib.error as exc:
        raise ArtifactError(f"{what}: corrupt zlib stream ({exc})") from None
    if len(data) > size:
        raise ArtifactError(f"{what}: uncompressed data exceeds its declared size {size}")
    if not d.eof:
        raise ArtifactError(f"{what}: truncated zlib stream")
    if len(data) != size:
        raise ArtifactError(
            f"{what}: uncompressed size {len(data)} does not match declared size {size}"
        )
    return data


def declared_size(framed: bytes) -> int:
    """The uncompressed size stated in the 4-byte header."""
    if len(framed) < 4:
        raise ArtifactError("compressed data is shorter than its 4-byte size header")
    size: int = _SIZE.unpack_from(framed)[0]
    return size
