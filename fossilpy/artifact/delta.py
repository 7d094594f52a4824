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

:func:`create` makes a delta (its own block-matching algorithm, not a copy of
Fossil's, with comparably small output); Fossil applies it unchanged.
"""

from __future__ import annotations

from fossilpy.errors import ArtifactError

DIGITS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
#: byte -> digit value, -1 for bytes that are not digits
_VALUE = tuple(DIGITS.find(bytes([b])) if b in DIGITS else -1 for b in range(256))


#: Largest delta target accepted (the same bound as fossilpy.artifact.blob.MAX_SIZE).
MAX_SIZE = 1 << 30


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
            total += sum(struct.unpack_from(f">{k}I", ints, i * 4))
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


def apply(source: bytes, delta: bytes, *, verify_checksum: bool = False,
          max_size: int = MAX_SIZE) -> bytes:
    """Apply ``delta`` to ``source`` and return the target.

    Raises ArtifactError, naming the first violated rule, for any delta that
    Fossil's ``delta_apply`` would refuse, and for one whose declared
    target is larger than ``max_size`` (a few kilobytes of copy commands
    can repeat a source into gigabytes).  The integers are read inline
    here; at the first thing out of the ordinary :func:`_apply_checked`
    starts again from the beginning and names the error.
    """
    value_of = _VALUE
    n = len(delta)
    pos = limit = 0
    while pos < n:
        v = value_of[delta[pos]]
        if v < 0:
            break
        limit = (limit << 6) | v
        pos += 1
    if pos == 0 or pos >= n or delta[pos] != 0x0A or limit > max_size:
        return _apply_checked(source, delta, verify_checksum, max_size)
    pos += 1
    out: list[bytes | memoryview] = []
    total = 0
    src = memoryview(source)
    src_len = len(source)
    while pos < n:
        start = pos
        count = 0
        while pos < n:
            v = value_of[delta[pos]]
            if v < 0:
                break
            count = (count << 6) | v
            pos += 1
        if pos == start or pos >= n:
            break
        op = delta[pos]
        pos += 1
        if op == 0x40:  # '@'  copy
            start = pos
            offset = 0
            while pos < n:
                v = value_of[delta[pos]]
                if v < 0:
                    break
                offset = (offset << 6) | v
                pos += 1
            if (
                pos == start
                or pos >= n
                or delta[pos] != 0x2C
                or offset + count > src_len
                or total + count > limit
            ):
                break
            pos += 1
            total += count
            out.append(src[offset : offset + count])
        elif op == 0x3A:  # ':'  insert
            if count > n - pos or total + count > limit:
                break
            total += count
            out.append(delta[pos : pos + count])
            pos += count
        elif op == 0x3B:  # ';'  end, with checksum
            if total != limit:
                break
            target = b"".join(out)
            if verify_checksum and count != checksum(target):
                break
            return target
        else:
            break
    return _apply_checked(source, delta, verify_checksum, max_size)


def _apply_checked(source: bytes, delta: bytes, verify_checksum: bool, max_size: int) -> bytes:
    """:func:`apply`, checking each rule in turn (raises for a bad delta)."""
    limit, pos = _read_int(delta, 0)
    n = len(delta)
    if pos >= n or delta[pos] != 0x0A:
        raise ArtifactError("bad delta: size header does not end with a newline")
    if limit > max_size:
        raise ArtifactError(f"bad delta: declared output size {limit} exceeds the limit of {max_size} bytes")
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


# ---------------------------------------------------------------------------
# Creating deltas
#
# The source is indexed by its aligned 16-byte blocks (offset 0, 16, 32, ...).
# The target is scanned one position at a time for a block that occurs in the
# index; a hit is extended forwards and backwards byte-exactly and becomes a
# copy segment if it is cheaper than inserting the same bytes.  Any match of
# 31 bytes or more contains a whole aligned block, so it is found.  Forward
# extension compares growing slices (memcmp speed), so long unchanged runs
# cost a few slice comparisons rather than a Python loop per byte.

_BLOCK = 16


def _match_forward(source: bytes, s: int, target: bytes, t: int) -> int:
    """Length of the common prefix of ``source[s:]`` and ``target[t:]``."""
    limit = min(len(source) - s, len(target) - t)
    n = 0
    step = 64
    # Gallop: grow the compared window while it matches.
    while n < limit:
        k = min(step, limit - n)
        if source[s + n : s + n + k] == target[t + n : t + n + k]:
            n += k
            step *= 2
            continue
        # The mismatch is inside this window: bisect it.
        lo, hi = 0, k  # lo bytes match, hi do not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if source[s + n + lo : s + n + mid] == target[t + n + lo : t + n + mid]:
                lo = mid
            else:
                hi = mid
        if source[s + n + lo] == target[t + n + lo]:
            lo += 1
        return n + lo
    return n


def _digits(value: int) -> int:
    """Length of ``encode_int(value)``."""
    n = 1
    while value >= 64:
        value >>= 6
        n += 1
    return n


def create(source: bytes, target: bytes) -> bytes:
    """A delta that turns ``source`` into ``target`` (see module docstring)."""
    source = bytes(source)
    target = bytes(target)
    lsrc, ltgt = len(source), len(target)
    out = [encode_int(ltgt), b"\n"]
    if lsrc <= _BLOCK:
        if ltgt:
            out += [encode_int(ltgt), b":", target]
        out += [encode_int(checksum(target)), b";"]
        return b"".join(out)
    index: dict[bytes, int] = {}
    for at in range(0, lsrc - _BLOCK + 1, _BLOCK):
        # setdefault keeps the first occurrence of repeated blocks
        index.setdefault(source[at : at + _BLOCK], at)
    get = index.get
    base = 0  # everything before target[base] is already encoded
    pos = 0  # next target position to look up
    last = ltgt - _BLOCK
    while pos <= last:
        off = get(target[pos : pos + _BLOCK])
        if off is None:
            pos += 1
            continue
        fwd = _BLOCK + _match_forward(source, off + _BLOCK, target, pos + _BLOCK)
        back = 0
        while back < pos - base and back < off and source[off - back - 1] == target[pos - back - 1]:
            back += 1
        start, soff, count = pos - back, off - back, fwd + back
        literal = start - base
        if count < _digits(literal) + _digits(count) + _digits(soff) + 3:
            pos += 1
            continue
        if literal:
            out += [encode_int(literal), b":", target[base:start]]
        out += [encode_int(count), b"@", encode_int(soff), b","]
        base = pos = start + count
    if base < ltgt:
        out += [encode_int(ltgt - base), b":", target[base:]]
    out += [encode_int(checksum(target)), b";"]
    return b"".join(out)
