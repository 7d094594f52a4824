"""Fossil's delta format (byte-compatible with Fossil 2.21 ``src/delta.c``).

A delta turns a *source* byte string into a *target*::

    delta   := INT "\\n" segment* INT ";"
    segment := INT "@" INT ","        copy COUNT bytes from source at OFFSET
                                      (written COUNT "@" OFFSET ",")
             | INT ":" BYTES          insert the next COUNT literal bytes
    INT     := digits of "0-9A-Z_a-z~" (values 0..63), most significant first;
               zero is written "0"

The first INT is the size of the target.  The last INT is a checksum of the
target: the sum, modulo 2**32, of the target read as big-endian 32-bit words,
the final 1-3 bytes zero-padded on the right.  Fossil does not verify the
checksum when applying a delta, so neither does :func:`apply` by default
(``verify_checksum=True`` turns it on); every other rule that Fossil checks
is checked here too.  Note ``www/delta_format.wiki`` is wrong on three points;
this code follows ``delta.c``: the modulus is 2**32, digits are most
significant first, and a zero-length copy copies nothing.
"""

from __future__ import annotations

from fossilpy.errors import ArtifactError

DIGITS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
_VALUE = [-1] * 256
for _i, _c in enumerate(DIGITS):
    _VALUE[_c] = _i
del _i, _c


def encode_int(value: int) -> bytes:
    """Encode a non-negative integer in the delta base-64 notation."""
    if value == 0:
        return b"0"
    out = bytearray()
    while value:
        out.append(DIGITS[value & 63])
        value >>= 6
    out.reverse()
    return bytes(out)


def _read_int(delta: bytes, pos: int) -> tuple[int, int]:
    """Read an INT at ``pos``; return (value, position of the next byte)."""
    value = 0
    start = pos
    n = len(delta)
    while pos < n:
        v = _VALUE[delta[pos]]
        if v < 0:
            break
        value = (value << 6) | v
        pos += 1
    if pos == start:
        raise ArtifactError("bad delta: expected an integer")
    return value, pos


def checksum(data: bytes) -> int:
    """Fossil's delta checksum of ``data`` (see module docstring)."""
    n = len(data)
    full = n - (n % 4)
    total = 0
    if full:
        # Sum the big-endian 32-bit words.  int.from_bytes over the whole
        # buffer would be quadratic, so sum in chunks of words via memoryview.
        mv = memoryview(data)[:full]
        ints = mv.cast("B")
        # Fast path: struct-unpack many words at once.
        import struct

        count = full // 4
        step = 65536
        for i in range(0, count, step):
            k = min(step, count - i)
            total += sum(struct.unpack_from(">%dI" % k, ints, i * 4))
    tail = data[full:]
    if tail:
        total += int.from_bytes(tail + b"\0" * (4 - len(tail)), "big")
    return total & 0xFFFFFFFF


def output_size(delta: bytes) -> int:
    """The target size a delta declares in its header."""
    size, pos = _read_int(delta, 0)
    if pos >= len(delta) or delta[pos] != 0x0A:
        raise ArtifactError("bad delta: size header does not end with a newline")
    return size


def apply(source: bytes, delta: bytes, *, verify_checksum: bool = False) -> bytes:
    """Apply ``delta`` to ``source`` and return the target.

    Raises ArtifactError, naming the first violated rule, for any delta that
    Fossil's ``delta_apply`` would refuse.
    """
    limit, pos = _read_int(delta, 0)
    n = len(delta)
    if pos >= n or delta[pos] != 0x0A:
        raise ArtifactError("bad delta: size header does not end with a newline")
    pos += 1
    out = bytearray()
    total = 0
    src_len = len(source)
    while pos < n:
        count, pos = _read_int(delta, pos)
        if pos >= n:
            break
        op = delta[pos]
        pos += 1
        if op == 0x40:  # '@'  copy
            offset, pos = _read_int(delta, pos)
            if pos >= n or delta[pos] != 0x2C:
                raise ArtifactError("bad delta: copy command not terminated by ','")
            pos += 1
            total += count
            if total > limit:
                raise ArtifactError("bad delta: copy exceeds the declared output size")
            if offset + count > src_len:
                raise ArtifactError("bad delta: copy extends past the end of the source")
            out += source[offset : offset + count]
        elif op == 0x3A:  # ':'  insert
            total += count
            if total > limit:
                raise ArtifactError("bad delta: insert exceeds the declared output size")
            if count > n - pos:
                raise ArtifactError("bad delta: insert count exceeds the remaining delta")
            out += delta[pos : pos + count]
            pos += count
        elif op == 0x3B:  # ';'  end, with checksum
            if verify_checksum and count != checksum(bytes(out)):
                raise ArtifactError("bad delta: checksum mismatch")
            if total != limit:
                raise ArtifactError("bad delta: output size does not match the header")
            return bytes(out)
        else:
            raise ArtifactError(f"bad delta: unknown operator {chr(op)!r}")
    raise ArtifactError("bad delta: unterminated delta")
