"""Fuzzing the xfer parser: ``fossilpy.sync.cards`` and the server's card loop.

Two layers are fuzzed:

* the codec (:func:`parse_message`: ``cards.unframe``, then ``Reader``
  card by card, taking payloads the way ``fossilpy.sync.server`` does):
  every body either parses, consuming every byte exactly once, or raises
  ``FossilError`` (``ProtocolError``); nothing else.  Memory is watched
  with ``tracemalloc``: the peak may follow the bytes actually received
  and inflated, never a size a card or the compressed header declares;
* the server (``handle_xfer`` on a real repository, as nobody, as a
  trusted setup user and with signed logins): it never raises, and its
  reply is a well-framed message.

Inputs: random bytes, and real messages mutated (bytes flipped, inserted,
deleted, duplicated, truncated; numbers replaced by overlong, huge or
negative ones) then framed every way (compressed, debug, uncompressed,
with a lying size header, truncated or corrupt zlib, unknown types).  The
real messages are what fossilpy's own sync client sends and receives in a
clone (recorded through the file:// transport), the golden requests of
``tests/compat/test_sync_wire.py`` and hand-made cards of every kind.

Every case must finish within :data:`CASE_SECONDS` (a ``SIGALRM``
watchdog; each target runs in a child process with a memory ceiling and
a hard time limit, see :mod:`tests.fuzz.harness`).  :data:`CORPUS` holds
bodies that once broke a rule; it runs every time.

In CI each target runs a fixed number of derandomized examples.  To fuzz
longer, by hand::

    FOSSILPY_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/fuzz/test_xfer_fuzz.py
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import shutil
import struct
import tempfile
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fossilpy.errors import FossilError
from fossilpy.sync import cards
from fossilpy.sync.cards import CT_COMPRESSED, CT_DEBUG, CT_UNCOMPRESSED, as_int
from tests.fuzz.harness import fuzz_settings, run_in_child, watchdog

#: Time bound of one case.
CASE_SECONDS = 2.0
#: Examples per codec target and per server target in CI.
CI_CODEC_EXAMPLES = 500
CI_SERVER_EXAMPLES = 300
#: Memory a parse may use whatever its input (interpreter noise, small buffers).
MEMORY_SLACK = 1 << 20

CONTENT_TYPES = (CT_COMPRESSED, CT_DEBUG, CT_UNCOMPRESSED, CT_COMPRESSED + "; charset=x", "text/html", "")
_H1 = "1234567890123456789012345678901234567890"


# -- the codec -------------------------------------------------------------------


def parse_message(body: bytes, content_type: str) -> list[tuple[bytes, list[bytes], bytes]]:
    """The cards of a request body, with their payloads, read as the server reads them.

    Raises ``FossilError`` for a body that cannot be unframed; checks that
    the cards and payloads account for every byte of the message.
    """
    message = cards.unframe(body, content_type)
    rd = cards.Reader(message)
    out = []
    used = 0
    while True:
        card = rd.next_card()
        if card is None:
            break
        line, toks = card
        assert line and len(toks) <= cards.MAX_TOKENS
        before = rd.pos
        word, n = (toks[0] if toks else b""), len(toks)
        payload = b""
        size = None
        if word == b"file" and n in (3, 4):
            size = as_int(toks[-1])
        elif word == b"cfile" and n in (4, 5):
            size = as_int(toks[-1])
        elif word == b"uvfile" and n == 6:
            sz, flags = as_int(toks[4]), as_int(toks[5])
            if sz and flags is not None and not flags & 5:
                size = sz
        elif word == b"config" and n == 3:
            size = as_int(toks[2])
        if size is not None:
            payload = rd.extract(size)
            assert len(payload) <= size and rd.pos - before == len(payload)
            if word == b"config":
                rd.skip(1)
        for tok in toks:
            cards.defossilize(tok.decode("utf-8", "replace"))
            cards.is_hname(tok)
            as_int(tok)
        used += len(line) + (rd.pos - before)
        out.append((line, toks, payload))
    assert rd.pos == len(message) == used, (rd.pos, len(message), used)
    return out


def _inflatable(body: bytes, cap: int = 64 << 20) -> int:
    """How many bytes the zlib stream after a 4-byte header really inflates to (up to ``cap``)."""
    d = zlib.decompressobj()
    data, total = body[4:], 0
    try:
        while data and total < cap and not d.eof:
            total += len(d.decompress(data, 1 << 16))
            if len(d.unconsumed_tail) >= len(data):
                break
            data = d.unconsumed_tail
    except zlib.error:
        pass  # corrupt from here on: what was inflated so far is the count
    return total


def codec_case(body: bytes, content_type: str) -> None:
    """One codec case: parses or raises FossilError, in time, in memory that follows the input."""
    actual = _inflatable(body) if content_type.startswith(CT_COMPRESSED) else len(body)
    tracemalloc.start()
    try:
        with watchdog(CASE_SECONDS):
            parse_message(body, content_type)
    except FossilError:
        pass  # the one error a bad body may cause
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak <= MEMORY_SLACK + 4 * (len(body) + actual), (peak, len(body), actual)


# -- real messages -------------------------------------------------------------------


def _payload_cards(pcode: str) -> list[bytes]:
    """Hand-made requests with every payload card, well-formed."""
    from fossilpy.artifact import blob

    data = b"hello, world\n"
    h = hashlib.sha1(data).hexdigest().encode()
    h3 = hashlib.sha3_256(data).hexdigest().encode()
    comp = blob.compress(data)
    push = f"pragma client-version 22100 20230226 192424\npush x {pcode}\npull x {pcode}\n".encode()
    return [
        push + b"file " + h + b" %d\n" % len(data) + data,
        push + b"file " + h3 + b" " + h + b" %d\n" % len(data) + data,
        push + b"cfile " + h + b" %d %d\n" % (len(data), len(comp)) + comp + b"\n",
        push + b"private\nfile " + h + b" %d\n" % len(data) + data + b"igot " + h + b" 1\n",
        push + b"uvfile a.txt 1700000000 " + h3 + b" %d 0\n" % len(data) + data,
        push + b"uvfile b.txt 1700000000 - 0 1\nuvgimme a.txt\n",
        push + b"config /config 40\n1700000000 'project-name' value 'fuzz'\n\n",
        push + b"config /user 60\n1700000000 'bob' pw 'x' cap 'o' info 'fuzzed\\suser' jx '{}'\n\n",
        push + b"reqconfig /all\ngimme " + h + b"\nigot " + h + b"\ncookie abc\n",
        push + b"pragma send-private\npragma send-catalog\npragma uv-hash " + h + b"\n",
        push + b"pragma ci-lock " + h + b" client1\npragma ci-unlock client1\n",
        push + b"pragma client-url http://example.com/x\nclone_seqno 1\n",
    ]


def _record_clone(template: Path, work: Path) -> list[bytes]:
    """Requests and replies of a clone of ``template`` by fossilpy's own client."""
    from fossilpy.repo.create import create_repository
    from fossilpy.sync import config_sync
    from fossilpy.sync.client import SyncOptions, SyncSession
    from fossilpy.sync.transport import FileTransport
    from fossilpy.sync.url import parse

    seen: list[bytes] = []

    class Recorder(FileTransport):
        def exchange(self, body: bytes, content_type: str) -> tuple[str, bytes]:
            ct, reply = super().exchange(body, content_type)
            seen.append(cards.unframe(body, content_type))
            seen.append(cards.unframe(reply, ct))
            return ct, reply

    repo = create_repository(work / "clone.fossil", admin_user="bob", env={}, initial=False)
    try:
        with repo.write():
            repo.execute("DELETE FROM config WHERE name IN ('project-code', 'hash-policy')")
        url = parse(f"file://{template}")
        tp = Recorder(url)
        try:
            SyncSession(repo, tp, url, SyncOptions(clone=True, config_rcv=config_sync.ALL), stream=None).run()
        finally:
            tp.close()
    finally:
        repo.close()
    return seen


class World:
    """A repository to serve and the real messages to mutate (built once per child)."""

    def __init__(self) -> None:
        from fossilpy.repo.create import create_repository
        from tests.compat.test_sync_wire import REQUESTS

        self.dir = Path(tempfile.mkdtemp(prefix="fossilpy-fuzz-"))
        atexit.register(shutil.rmtree, self.dir, True)
        self.template = self.dir / "template.fossil"
        repo = create_repository(self.template, admin_user="admin", env={})
        with repo.write():
            repo.execute("UPDATE user SET pw='secret' WHERE login='admin'")
        self.pcode = str(repo.config_get("project-code"))
        repo.close()
        pushes = []
        self.seeds = [t.format(pcode=self.pcode).encode() for t in REQUESTS]
        self.seeds += _payload_cards(self.pcode)
        for msg in _record_clone(self.template, self.dir):
            self.seeds.append(msg)
            pushes.append(f"push x {self.pcode}\n".encode() + msg)  # a reply's cards, pushed back
        self.seeds += pushes
        self.served = self.dir / "served.fossil"
        shutil.copy(self.template, self.served)

    def signed(self, message: bytes) -> bytes:
        from fossilpy.sync.auth import shared_secret

        return cards.login_card("admin", shared_secret("secret", "admin", self.pcode), message) + message


@functools.cache
def world() -> World:
    """The World of this process, built on first use."""
    return World()


# -- mutations ---------------------------------------------------------------------

_INTERESTING = [
    b" ", b"\n", b"\r\n", b"\\", b"\\s", b"\x00", b"#", b"file ", b"cfile ", b"uvfile ", b"config ",
    b"0", b"-1", b"4294967295", b"4294967296", b"18446744073709551617", b"9" * 19, b"9" * 4400,
    b"1" * 100, b"\xff\xfe", "\u00e9".encode(), b"\xed\xa0\x80", _H1.encode(), b"a" * 64,
    b"login ", b"pragma ", b"clone 3 ", b"igot ", b"private\n", b"/all", b"/user", b"//",
]
_op = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.one_of(st.sampled_from(_INTERESTING), st.binary(max_size=16))),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 64)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("duplicate"), st.floats(0, 1), st.integers(1, 256)),
    st.tuples(st.just("number"), st.floats(0, 1), st.sampled_from(_INTERESTING[11:19])),
)


def mutate(data: bytes, ops: list[tuple[str, float, Any]]) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in ops:
        p = int(where * len(buf))
        if kind == "flip" and buf:
            buf[min(p, len(buf) - 1)] ^= arg
        elif kind == "insert":
            buf[p:p] = arg
        elif kind == "delete":
            del buf[p : p + arg]
        elif kind == "truncate":
            del buf[p:]
        elif kind == "duplicate":
            buf[p:p] = buf[p : p + arg]
        elif kind == "number":
            digits = [i for i in range(len(buf)) if 48 <= buf[i] <= 57 and (i == 0 or not 48 <= buf[i - 1] <= 57)]
            if digits:
                i = digits[int(where * len(digits)) % len(digits)]
                j = i
                while j < len(buf) and 48 <= buf[j] <= 57:
                    j += 1
                buf[i:j] = arg
    return bytes(buf)


_good_framing = st.tuples(st.just("plain"), st.just(0), st.sampled_from([CT_DEBUG, CT_COMPRESSED, CT_UNCOMPRESSED]))
_bad_framing = st.one_of(
    st.tuples(st.sampled_from(["plain", "zlib", "raw zlib", "no zlib"]), st.just(0), st.sampled_from(CONTENT_TYPES)),
    st.tuples(st.just("declared"), st.integers(0, 0xFFFFFFFF), st.just(CT_COMPRESSED)),
    st.tuples(st.sampled_from(["cut zlib", "flip zlib"]), st.integers(0, 1 << 16), st.just(CT_COMPRESSED)),
)
#: Seven bodies in ten are framed well, so that most cases reach the cards.
_framing = st.integers(0, 9).flatmap(lambda k: _good_framing if k < 7 else _bad_framing)


def frame(message: bytes, how: tuple[str, int, str]) -> tuple[bytes, str]:
    """A body for ``message``, framed (or mis-framed) as ``how`` says."""
    kind, arg, ct = how
    if kind == "plain":
        return (cards.frame(message, ct) if ct == CT_COMPRESSED else message), ct
    if kind == "zlib":
        return cards.frame(message, CT_COMPRESSED), ct
    if kind == "raw zlib":
        return zlib.compress(message), ct
    if kind == "no zlib":
        return message, CT_COMPRESSED
    framed = cards.frame(message, CT_COMPRESSED)
    if kind == "declared":
        return struct.pack(">I", arg) + framed[4:], ct
    if kind == "cut zlib":
        return framed[: 4 + arg % max(1, len(framed) - 4)], ct
    buf = bytearray(framed)
    if len(buf) > 4:
        buf[4 + arg % (len(buf) - 4)] ^= 1 + arg % 255
    return bytes(buf), ct


@st.composite
def mutated_body(draw: st.DrawFn) -> tuple[bytes, str]:
    seeds = world().seeds
    message = draw(st.sampled_from(seeds))
    if draw(st.booleans()):
        message += draw(st.sampled_from(seeds))  # two messages glued
    message = mutate(message, draw(st.lists(_op, max_size=6)))
    return frame(message, draw(_framing))


random_body = st.tuples(st.binary(max_size=2000), st.sampled_from(CONTENT_TYPES))
#: Compressed bodies whose header lies about the size (the allocation must follow the stream).
lying_body = st.builds(
    lambda msg, size: (struct.pack(">I", size) + zlib.compress(msg), CT_COMPRESSED),
    st.binary(max_size=64), st.one_of(st.integers(0, 0xFFFFFFFF), st.just(0xFFFFFFFF), st.just(cards.EXPANSION_BASE)),
)


# -- the server ----------------------------------------------------------------------


def server_case(body: bytes, content_type: str, who: str) -> None:
    """One request to handle_xfer: never raises, answers a framed message, in time."""
    from fossilpy.repo.db import Repo
    from fossilpy.sync.server import handle_xfer

    w = world()
    if who == "signed":  # the same cards behind a valid login card
        try:
            body = cards.frame(w.signed(cards.unframe(body, content_type)), content_type)
        except FossilError:
            pass  # not a message: sent as it is
    repo = Repo.open(w.served)
    try:
        with watchdog(CASE_SECONDS):
            ct, reply = handle_xfer(repo, body, content_type, remote_addr="198.51.100.7",
                                    trusted_caps="s" if who == "setup" else None)
    finally:
        repo.close()
    assert ct in (CT_COMPRESSED, CT_DEBUG, CT_UNCOMPRESSED), ct
    text = cards.unframe(reply, ct)
    assert text.endswith(b"\n") and (b"# timestamp " in text or text.startswith(b"error ")), text[-200:]


_WHO = st.sampled_from(["nobody", "setup", "signed"])


# -- the targets (run in a child process by the tests below) ------------------------


def _codec_target(bodies: st.SearchStrategy[tuple[bytes, str]]) -> Callable[[], None]:
    @fuzz_settings(CI_CODEC_EXAMPLES)
    @given(bodies)
    def run(case: tuple[bytes, str]) -> None:
        codec_case(*case)

    return run


fuzz_codec_random = _codec_target(random_body)
fuzz_codec_mutated = _codec_target(st.one_of(mutated_body(), lying_body))


def _server_target(bodies: st.SearchStrategy[tuple[bytes, str]]) -> Callable[[], None]:
    @fuzz_settings(CI_SERVER_EXAMPLES)
    @given(bodies, _WHO)
    def run(case: tuple[bytes, str], who: str) -> None:
        server_case(case[0], case[1], who)

    return run


fuzz_server_random = _server_target(random_body)
fuzz_server_mutated = _server_target(mutated_body())

TARGETS = ["fuzz_codec_random", "fuzz_codec_mutated", "fuzz_server_random", "fuzz_server_mutated"]

#: Bodies that once broke a rule; checked on every run (content type, body).
CORPUS: dict[str, tuple[str, bytes]] = {
    "size field of 5000 digits": (CT_DEBUG, b"file " + _H1.encode() + b" " + b"9" * 5000 + b"\nx"),
    "cfile sizes of 4400 digits": (CT_DEBUG, b"cfile " + _H1.encode() + b" " + b"9" * 4400 + b" 1" * 2 + b"\n"),
    "config size of 4400 digits": (CT_DEBUG, b"config /config " + b"1" * 4400 + b"\n"),
    "uvfile size of 4400 digits": (CT_DEBUG, b"uvfile a 1 - " + b"7" * 4400 + b" 0\n"),
    "clone with a 4400-digit version": (CT_DEBUG, b"clone " + b"3" * 4400 + b" 1\n"),
    "declared 4 GiB": (CT_COMPRESSED, b"\xff\xff\xff\xff" + zlib.compress(b"pull a b\n")),
    "huge file size, short payload": (CT_DEBUG, b"file " + _H1.encode() + b" 4294967295\nabc"),
    "lone header": (CT_COMPRESSED, b"\x00\x00\x00\x10"),
    "short header": (CT_COMPRESSED, b"\x00\x01"),
    "empty": (CT_COMPRESSED, b""),
}


def check_corpus() -> None:
    for name, (ct, body) in CORPUS.items():
        checks = [functools.partial(codec_case, body, ct)]
        checks += [functools.partial(server_case, body, ct, who) for who in ("nobody", "setup", "signed")]
        for check in checks:
            try:
                check()
            except BaseException as exc:
                raise AssertionError(f"corpus entry {name!r}: {exc!r}") from exc


# -- the tests -------------------------------------------------------------------------


def test_regression_corpus() -> None:
    run_in_child(__name__, "check_corpus")


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz(target: str) -> None:
    run_in_child(__name__, target)


def test_seeds_are_real_messages() -> None:
    """The seeds parse, hold every payload card kind, and include a recorded clone."""
    w = world()
    words = set()
    for seed in w.seeds:
        for _, toks, _ in parse_message(seed, CT_DEBUG):
            words.add(toks[0] if toks else b"")
    assert {b"file", b"cfile", b"uvfile", b"config", b"login", b"clone", b"push", b"igot"} <= words
    assert any(s.startswith(b"pragma client-version") and b"\nclone 3 " in s for s in w.seeds)


def test_config_card_with_a_unicode_digit_mtime() -> None:
    """A config card whose mtime is a superscript digit ('\u00b2') is refused like any malformed
    number (str.isdigit() accepted it, then int() raised out of handle_xfer; numbers are now
    checked with fossilpy.text.is_digits)."""
    server_case(b"config /config 20\n\xc2\xb2 'a' value 1\n\n", CT_DEBUG, "setup")
    server_case(b"config /config 24\n\xd9\xa3 'a' value 1\n\n", CT_DEBUG, "setup")  # Arabic-Indic 3
