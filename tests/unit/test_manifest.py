"""Structural artifacts: strict parsing, exact messages, byte-exact writing.

``CASES`` (malformed or unusual artifacts with the outcome Fossil 2.21 gives)
is shared with ``tests/compat/test_formats_fossil.py``, which checks every
expected message against ``fossil test-parse-manifest``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fossilpy.artifact import manifest
from fossilpy.artifact.fossilize import (
    defossilize,
    fossilize,
    is_reserved_name,
    is_simple_path,
    is_wiki_name,
    julianday,
)
from fossilpy.errors import ArtifactError
from tests.builders import with_z
from tests.limits import time_limit

H40 = "4a" * 20
H64 = "6b" * 32
K40 = "0123456789" * 4
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
D = "D 2024-01-02T03:04:05.678"


def art(*cards: str, z: bool = True) -> bytes:
    """Cards joined with LF, plus the correct Z card."""
    body = "".join(c + "\n" for c in cards).encode()
    return with_z(body) if z else body


_with_z = with_z


#: name -> card list of a valid artifact of each type
BASES: dict[str, list[str]] = {
    "manifest": [
        "C first\\scommit",
        D,
        f"F a.txt {H64}",
        f"F dir/b.txt {H40} x",
        f"F new.txt {H64} w old.txt",
        f"P {H64} {H40}",
        f"Q +{H64}",
        f"R {MD5}",
        "T *branch * trunk",
        "T *sym-trunk *",
        "U alice",
    ],
    "delta-manifest": [f"B {H64}", "C edit", D, f"F a.txt {H64}", "F gone.txt", f"P {H64}", "U bob"],
    "cluster": [f"M {H40}", f"M {H64}"],
    "control": [D, f"T +sym-v1 {H64}", f"T -bgcolor {H40}", "U root"],
    "wiki": [D, "L Test\\sPage", "N text/x-markdown", f"P {H64}", "U root", "W 13\nHello *wiki*\n"],
    "ticket": [D, "J +comment more", "J status Open", "J title A\\sbug", f"K {K40}", "U root"],
    "attachment": ["A att.txt Test\\sPage " + H64, "C a\\sfile", D, "U root"],
    "technote": [
        "C Release\\snote",
        D,
        f"E 2024-01-01T00:00:00 {H40}",
        "N text/x-fossil-wiki",
        f"P {H64}",
        "T +sym-release *",
        "U root",
        "W 9\nNote body",
    ],
    "forum-root": [D, "H Hello\\sall", "N text/x-markdown", "U root", "W 5\nfirst"],
    "forum-reply": [D, f"G {H64}", f"I {H64}", "N text/x-markdown", f"P {H64}", "U root", "W 0\n"],
}

TYPES = {
    "manifest": manifest.ArtifactType.MANIFEST,
    "delta-manifest": manifest.ArtifactType.MANIFEST,
    "cluster": manifest.ArtifactType.CLUSTER,
    "control": manifest.ArtifactType.CONTROL,
    "wiki": manifest.ArtifactType.WIKI,
    "ticket": manifest.ArtifactType.TICKET,
    "attachment": manifest.ArtifactType.ATTACHMENT,
    "technote": manifest.ArtifactType.EVENT,
    "forum-root": manifest.ArtifactType.FORUM,
    "forum-reply": manifest.ArtifactType.FORUM,
}


def _cases() -> list[tuple[str, bytes, str | None]]:
    """(id, artifact, expected error or None for success)."""
    out: list[tuple[str, bytes, str | None]] = []
    for name, cards in BASES.items():
        out.append((f"{name}-ok", art(*cards), None))
        good = art(*cards)
        # bad Z: last hex digit changed
        bad = good[:-2] + (b"0" if good[-2:-1] != b"0" else b"1") + b"\n"
        out.append((f"{name}-bad-z", bad, f"incorrect Z-card cksum: expected {good[-33:-1].decode()}"))
        # missing Z card
        letter = TYPES[name].name
        typename = {"CONTROL": "tag", "EVENT": "technote", "FORUM": "forum post"}.get(
            letter, letter.lower()
        )
        if cards[-1].startswith("W"):
            no_z = f"line {len(cards)}: not enough content after W-card"
        else:
            no_z = f"line {len(cards)}: Z-card missing in {typename}"
        out.append((f"{name}-no-z", art(*cards, z=False), no_z))
        # truncated: no final LF
        out.append((f"{name}-no-lf", good[:-1], "not terminated with \\n"))
        # bad order: each card swapped with its predecessor
        for i in range(1, len(cards)):
            if cards[i][0] == cards[i - 1][0]:
                continue
            swapped = cards[: i - 1] + [cards[i], cards[i - 1]] + cards[i + 1 :]
            if name == "technote" and cards[i][0] == "P":
                expect = None  # N after P is allowed in technotes
            else:
                expect = f"line {i}: cards not in lexicographical order"
            out.append((f"{name}-order-{cards[i][0]}", art(*swapped), expect))
    out += [
        ("zero-length", b"", "zero-length"),
        ("garbage", b"hello world\n", "line 1 not recognized"),
        ("short", b"C x\nZ 1\n", "line 1 not recognized"),
        # bad hashes, one per card that takes a hash
        ("hash-A", art(f"A f.txt page {H40[:-1]}", D, "U u"), "line 1: invalid source on A-card"),
        ("hash-B", art(f"B {H40}0", D, "U u"), "line 1: invalid hash on B-card"),
        ("hash-E", art(D, f"E 2024-01-01 {H64[:-1]}", "W 0\n"), "line 2: malformed hash on E-card"),
        ("hash-F", art(D, f"F a {H40[:-2]}xy"), "line 2: F-card hash invalid"),
        ("hash-G", art(D, f"G {H64}x", "U u", "W 0\n"), "line 2: Invalid hash on G-card"),
        ("hash-I", art(D, f"I {H40[1:]}", "U u", "W 0\n"), "line 2: Invalid hash on I-card"),
        ("hash-K-size", art(D, "J a b", f"K {H64}", "U u"), "line 3: K-card UUID is the wrong size"),
        ("hash-K-hex", art(D, "J a b", f"K {K40[:-1]}g", "U u"), "line 3: invalid K-card UUID"),
        ("hash-M", art(f"M {H40}", "M nothex"), "line 2: Invalid hash on M-card"),
        ("hash-P", art("C c", D, f"P {H64} abc", "U u"), "line 3: invalid hash on P-card"),
        ("hash-Q", art("C c", D, f"Q +{H64}1"), "line 3: invalid hash on Q-card"),
        ("hash-Q2", art("C c", D, f"Q -{H64} {H40}12"), "line 3: invalid second hash on Q-card"),
        ("hash-Q-sign", art("C c", D, f"Q {H64}"), "line 3: Q-card does not begin with '+' or '-'"),
        ("hash-R-size", art("C c", D, f"R {MD5}0"), "line 3: wrong size cksum on R-card"),
        ("hash-R-hex", art("C c", D, "R " + "g" * 32), "line 3: malformed R-card cksum"),
        ("hash-T", art(D, "T +foo bar", "U u"), "line 2: malformed artifact hash on T-card"),
        ("hash-Z-size", b"C c\n" + D.encode() + b"\nZ 123\n", "line 3: wrong size for Z-card cksum"),
        # bad escapes: decoded text breaks a rule, or decodes leniently
        ("esc-A", art("A ..\\/x page", D), "line 1: invalid filename on A-card"),
        ("esc-F", art(D, f"F \\/etc/passwd {H40}"), "line 2: F-card filename is not a simple path"),
        ("esc-F-old", art(D, f"F a {H40} w b/\\.."), "line 2: F-card old filename is not a simple path"),
        ("esc-L", art(D, "L A\\nB", "U u", "W 0\n"), "line 2: L-card has malformed wiki name"),
        ("esc-T", art(D, f"T +\\61bc {H40}", "U u"), "line 2: T-card name looks like a hexadecimal hash"),
        ("esc-T-prefix", art(D, f"T \\sfoo {H40}", "U u"), "line 2: T-card name does not begin with '-', '+', or '*'"),
        ("esc-C-lenient", art("C a\\qb\\0cut", D), None),
        # truncated cards (arguments missing)
        ("trunc-A", art("A onlyname", D), "unknown error on line 1"),
        ("trunc-B", art("A f.txt page", "B", D), "line 2: missing hash on B-card"),
        ("trunc-C", art(f"B {H40}", "C", D), "line 2: missing comment text on C-card"),
        ("trunc-D", art("C c", "D"), "line 2: cannot parse date on D-card"),
        ("trunc-E", art(D, "E 2024-01-01", "W 0\n"), "line 2: missing hash on E-card"),
        ("trunc-F", art(D, "F"), "line 2: missing filename on F-card"),
        ("trunc-F-hash", art(D, "F a.txt"), "line 2: missing hash on F-card"),
        ("trunc-G", art(D, "G", "U u", "W 0\n"), "line 2: missing hash on G-card"),
        ("trunc-H", art(D, "H", "U u", "W 0\n"), "line 2: missing title on H-card"),
        ("trunc-J", art(D, "J"), "line 2: name missing from J-card"),
        ("trunc-L", art(D, "L"), "line 2: missing title on L-card"),
        ("trunc-M", art(D, "M"), "line 2: missing hash on M-card"),
        ("trunc-N", art("C c", D, "N"), "line 3: missing mimetype on N-card"),
        ("trunc-Q", art("C c", D, "Q"), "line 3: missing hash on Q-card"),
        ("trunc-T", art(D, "T"), "line 2: missing name on T-card"),
        ("trunc-T2", art(D, "T +x"), "line 2: missing artifact hash on T-card"),
        ("trunc-W", art(D, "L p", "U u", "W"), "line 4: missing size on W-card"),
        ("trunc-W-body", art(D, "L p", "U u", "W 99\nshort"), "line 4: not enough content after W-card"),
        ("trunc-W-lf", art(D, "L p", "U u", "W 2\nabc"), "line 4: W-card content no \\n terminated"),
        # ordering within a card letter
        ("order-F", art(D, f"F b {H40}", f"F a {H40}"), "line 3: incorrect F-card sort order"),
        ("dup-F", art(D, f"F a {H40}", f"F a {H40}"), "line 3: incorrect F-card sort order"),
        ("order-J", art(D, "J b 1", "J a 2", f"K {K40}", "U u"), "line 3: incorrect J-card sort order"),
        ("order-M", art(f"M {H64}", f"M {H40}"), "line 2: M-card in the wrong order"),
        ("order-T", art(D, f"T +y {H40}", f"T +x {H40}", "U u"), "line 3: T-card in the wrong order"),
        ("order-T-uuid", art(D, f"T +x {H64}", f"T +x {H40}", "U u"), "line 3: T-card in the wrong order"),
        # other rules
        ("two-spaces", art("C  x", D), "line 1: extra characters at end of card"),
        ("trailing-space", art("C x ", D), "line 1: extra characters at end of card"),
        ("no-space", art("C x", "Dx"), "line 1: extra characters at end of card"),
        ("bad-letter", art("C x", D, "X y"), "line 3: unrecognized card"),
        ("lower-letter", art("C x", "Z " + MD5, "a b"), "line 3: bad card type"),
        ("dup-C", art("C x", "C y", D), "line 2: more than one C-card"),
        ("bad-date", art("C x", "D 2024-13-01"), "line 2: cannot parse date on D-card"),
        ("julian-date", art("C x", "D 2460311.5"), None),
        ("disallowed", art(D, "L p", "R " + MD5, "U u", "W 0\n"), "line 6: L-card in manifest"),
        ("wiki-no-u", art(D, "L p", "W 0\n"), "line 4: U-card missing in wiki"),
        ("control-self", art(D, "T +foo *", "U u"), "line 4: self-referential T-card in control artifact"),
        ("technote-tag", art(D, f"E 2024-01-01 {H40}", f"T +x {H40}", "W 0\n"),
         "line 5: non-self-referential T-card in technote"),
        ("technote-prop", art(D, f"E 2024-01-01 {H40}", "T *x *", "W 0\n"),
         "line 5: T-card with '*' or '-' in technote"),
        ("forum-h-i", art(D, "H t", f"I {H40}", "U u", "W 0\n"),
         "line 6: cannot have I-card and H-card in a forum post"),
        ("forum-2p", art(D, f"I {H40}", f"P {H40} {H64}", "U u", "W 0\n"), "line 6: too many arguments to P-card"),
        ("empty-p", art("C initial", D, "P", "U u"), None),
        ("empty-u", art(D, f"T +x {H40}", "U"), None),
        ("reserved-file", art("C c", D, f"F _FOSSIL_ {H40}", f"F a/.fslckout-wal {H40}"), None),
        ("w-trailing-garbage", art(D, "L p", "U u", "W 3x\nabc"), None),
        ("nul-separator", art("C c", D, f"P {H40}\0{H64}"), None),
        # quirks of Fossil's card reader, all checked against fossil 2.21
        ("nul-line-after-z", art("C x", D) + b"\0\n", None),
        ("nul-line-hides-bad-z", art("C x", D)[:-2] + b"0\n\0\n", None),
        ("date-now", art("C x", "D NoW"), None),
        ("date-zone", art("C x", "D 2024-01-01T00:00:00+01:00"), None),
        ("date-jd0", art("C x", "D -4713-11-24T12:00:00"), "line 2: cannot parse date on D-card"),
        ("high-letter", _with_z(b"C x\n" + D.encode() + b"\n\xc3 x\n"), "line 2: cards not in lexicographical order"),
        ("cr-in-comment", art("C x\r", D), None),
        ("tab-in-comment", art("C x\ty", D), None),
        ("empty-p-twice", art("C x", D, f"P {H40}", f"P {H64}"), None),
        ("j-without-value", art(D, "J status", f"K {K40}", "U u"), None),
        ("t-empty-value", art(D, f"T +x {H40} ", "U u"), None),
        ("upper-hashes", art(D, f"E 2024-01-01 {H40.upper()}", "W 0\n"), None),
        ("w-empty-size", art(D, "L p", "U u", "W \n"), None),
        ("w-overflow", art(D, "L p", "U u", "W 99999999999999\nx"), "line 4: size overflow on W-card"),
        ("dup-A", art(f"A f {H40}", f"A g {H40}", D), "unknown error on line 2"),
        ("dup-E", art(D, f"E 2024-01-01 {H40}", f"E 2024-01-01 {H40}", "W 0\n"), "line 3: more than one E-card"),
        ("dup-W", art(D, "L p", "U u", "W 1\na", "W 1\nb"), "line 5: more than one W-card"),
        ("dup-M", art(f"M {H40}", f"M {H40}"), "line 2: M-card in the wrong order"),
        ("blank-line", art("C x", "", D), "line 1: extra characters at end of card"),
        ("z-only", b"Z " + hashlib.md5(b"").hexdigest().encode() + b"\n", "line 1: D-card missing in tag"),
        ("reserved-then-order", art("C c", D, f"F b {H40}", f"F b/_FOSSIL_ {H40}", f"F a {H40}"),
         "line 5: incorrect F-card sort order"),
        ("wiki-name-101", art(D, "L " + "a" * 101, "U u", "W 0\n"), "line 2: L-card has malformed wiki name"),
        ("pgp-signed", b"-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA1\r\n\r\n" + art("C x", D)
         + b"-----BEGIN PGP SIGNATURE-----\nx\n", None),
        ("pgp-no-blank-line", b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n" + art("C x", D),
         "line 1 not recognized"),
    ]
    return out


CASES = _cases()


@pytest.mark.parametrize("data,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_outcome_and_message(data: bytes, expected: str | None) -> None:
    if expected is None:
        m = manifest.parse(data)
        assert m.to_bytes() == data
        again = manifest.parse_or_none(data)
        assert again is not None
        if m.date is not None and m.date.lower() == "now":
            again.julian = m.julian  # the clock moved on between the two parses
        assert again == m
    else:
        with pytest.raises(ArtifactError) as info:
            manifest.parse(data)
        assert str(info.value) == expected
        assert manifest.parse_or_none(data) is None


@pytest.mark.parametrize("name", list(BASES))
def test_bases_are_canonical(name: str) -> None:
    data = art(*BASES[name])
    m = manifest.parse(data)
    assert m.type == TYPES[name]
    assert "verbatim" not in m.extra
    assert m.to_bytes() == data
    # fields alone (no verbatim copy) reproduce the bytes
    m.extra.pop("verbatim", None)
    m.source = None
    assert m.to_bytes() == data


def test_fields_of_a_checkin() -> None:
    m = manifest.parse(art(*BASES["manifest"]))
    assert m.comment == "first commit"
    assert m.date == "2024-01-02T03:04:05.678"
    assert m.julian == (int(2460311.5 * 86400000) + 11045678) / 86400000.0
    assert m.files[1] == manifest.FileCard("dir/b.txt", H40, "x", None)
    assert m.files[2] == manifest.FileCard("new.txt", H64, "w", "old.txt")
    assert m.parents == [H64, H40]
    assert m.cherrypicks == [manifest.CherryPick("+", H64, None)]
    assert m.tags == [manifest.TagCard("*", "branch", None, "trunk"), manifest.TagCard("*", "sym-trunk", None, None)]
    assert m.user == "alice" and m.repo_cksum == MD5


def test_fields_of_other_types() -> None:
    t = manifest.parse(art(*BASES["ticket"]))
    assert t.fields == [
        manifest.TicketField("comment", "more", True),
        manifest.TicketField("status", "Open"),
        manifest.TicketField("title", "A bug"),
    ]
    a = manifest.parse(art("A dir/sub/att.txt " + H40, D, "U u"))
    assert (a.attach_name, a.attach_target, a.attach_src) == ("att.txt", H40, None)
    e = manifest.parse(art(*BASES["technote"]))
    assert e.event_id == H40 and e.event_julian == 2460310.5 and e.text == "Note body"
    w = manifest.parse(art(*BASES["wiki"]))
    assert w.wiki_title == "Test Page" and w.text == "Hello *wiki*\n" and w.mimetype == "text/x-markdown"
    d = manifest.parse(art(*BASES["delta-manifest"]))
    assert d.baseline == H64 and d.files[1] == manifest.FileCard("gone.txt", None)
    assert manifest.parse(art(*BASES["cluster"])).clusters == [H40, H64]


def test_lenient_decodings() -> None:
    m = manifest.parse(art("C a\\qb\\0cut", D, "U"))
    assert m.comment == "aqb" and m.user == "anonymous"
    assert manifest.parse(art("C trail\\", D)).comment == "trail\\"
    r = manifest.parse(art("C c", D, f"F _FOSSIL_ {H40}", f"F a {H40}"))
    assert [f.name for f in r.files] == ["a"]


def test_huge_w_size_is_an_error() -> None:
    # fossil 2.21 itself crashes (SIGSEGV) on this one
    data = art(D, "L p", "U u", "W 4294967295\nx")
    with pytest.raises(ArtifactError, match="^line 4: not enough content after W-card$"):
        manifest.parse(data)


def test_technote_n_after_p_round_trips() -> None:
    cards = BASES["technote"]
    i = next(k for k, c in enumerate(cards) if c.startswith("P"))
    old = art(*cards[: i - 1], cards[i], cards[i - 1], *cards[i + 1 :])
    m = manifest.parse(old)
    assert m.mimetype == "text/x-fossil-wiki"
    assert m.to_bytes() == old
    m.comment = "changed"
    new = m.to_bytes()
    assert new != old and manifest.parse(new).comment == "changed"
    assert new.index(b"\nN ") < new.index(b"\nP ")


def test_pgp_wrapper_is_stripped_and_kept() -> None:
    inner = art(*BASES["control"])
    signed = (
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\n"
        + inner
        + b"-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"
    )
    m = manifest.parse(signed)
    assert m.type == manifest.ArtifactType.CONTROL
    assert m.to_bytes() == signed
    m.extra.clear()
    m.source = None
    assert m.to_bytes() == inner


def test_to_bytes_sorts_and_escapes() -> None:
    m = manifest.Manifest(
        type=manifest.ArtifactType.MANIFEST,
        comment="two words\nand a line",
        date="2024-01-01T00:00:00.000",
        files=[manifest.FileCard("b c", H40), manifest.FileCard("a", H64, None, "old name")],
        tags=[manifest.TagCard("+", "zz", None), manifest.TagCard("*", "branch", None, "trunk")],
        user="me",
        parents=[H40],
    )
    data = m.to_bytes()
    body = (
        "C two\\swords\\nand\\sa\\sline\nD 2024-01-01T00:00:00.000\n"
        f"F a {H64} w old\\sname\nF b\\sc {H40}\nP {H40}\n"
        "T *branch * trunk\nT +zz *\nU me\n"
    ).encode()
    assert data == with_z(body)
    assert manifest.parse(data).files[0].prior == "old name"


def test_non_utf8_survives() -> None:
    data = art("C caf\xe9".encode("latin-1").decode("latin-1"), D)
    raw = with_z(b"C caf\xe9\n" + D.encode() + b"\n")
    assert data != raw
    assert manifest.parse(raw).to_bytes() == raw


def test_repo_checksum() -> None:
    assert manifest.repo_checksum([]) == MD5
    assert manifest.repo_checksum([("a.txt", b"hello\n")]) == "19099954149cf99f21b77ca980f071ee"
    files = [("b", b"2"), ("a", b"1")]
    assert manifest.repo_checksum(files) == hashlib.md5(b"a 1\n1b 1\n2").hexdigest()


def test_looks_structural() -> None:
    assert manifest.looks_structural(art(*BASES["manifest"]))
    assert manifest.looks_structural(art(*BASES["cluster"]))
    assert not manifest.looks_structural(b"hello\n")
    assert not manifest.looks_structural(b"Z x\nZ y\n")
    assert not manifest.looks_structural(b"D x\nC y\n")


def test_julianday() -> None:
    assert julianday("2000-01-01T12:00:00") == 2451545.0
    assert julianday("2024-01-02T03:04:05.678") == (int(2460311.5 * 86400000) + 11045678) / 86400000.0
    assert julianday("2024-13-01") is None
    assert julianday("12:00") == 2451545.0
    assert julianday("2460311.5") == 2460311.5
    assert julianday("2024-01-01T00:00:00+01:00") == julianday("2023-12-31T23:00:00")


@given(st.text())
def test_fossilize_round_trip(text: str) -> None:
    enc = fossilize(text)
    assert not any(c in enc for c in " \n\t\r\v\f\0")
    expected = text.split("\0", 1)[0]
    assert defossilize(enc) == expected if "\0" in text else defossilize(enc) == text


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_garbage_only_raises_artifact_error(data: bytes) -> None:
    with time_limit(2):
        try:
            manifest.parse(data)
        except ArtifactError:
            pass


@settings(max_examples=300)
@given(st.sampled_from(CASES), st.integers(0, 10_000), st.binary(max_size=3))
def test_mutations_only_raise_artifact_error(case, where: int, junk: bytes) -> None:  # type: ignore[no-untyped-def]
    data = case[1]
    i = where % (len(data) + 1)
    for mutated in (data[:i] + junk + data[i:], data[:i] + data[i + 1 :]):
        try:
            with time_limit(2):
                m = manifest.parse(mutated)
        except ArtifactError:
            continue
        assert m.to_bytes() == mutated


def test_cli_garbage(fossilpy, tmp_path: Path) -> None:
    g = tmp_path / "garbage"
    g.write_bytes(b"\x00\x01garbage\xff")
    res = fossilpy("test-parse-manifest", g, check=False)
    assert res.returncode == 1
    assert res.stderr.decode() == "fossilpy: not terminated with \\n\n"
    assert b"Traceback" not in res.stderr
    for args in (
        ["test-delta-apply", g, g, tmp_path / "out1"],
        ["test-uncompress", g, tmp_path / "out2"],
    ):
        res = fossilpy(*args, check=False)
        assert res.returncode == 1, args
        err = res.stderr.decode()
        assert err.startswith("fossilpy: ") and err.count("\n") == 1, err
    assert not (tmp_path / "out1").exists() and not (tmp_path / "out2").exists()
    res = fossilpy("test-delta-create", tmp_path / "nope", g, tmp_path / "out3", check=False)
    assert res.returncode == 1 and res.stderr.decode().startswith("fossilpy: cannot read ")
    res = fossilpy("sha3sum", tmp_path / "nope", check=False)
    assert res.returncode == 1 and res.stderr.decode() == f"fossilpy: Cannot read file: {tmp_path / 'nope'}\n"


_hashes = st.one_of(
    st.text("0123456789abcdef", min_size=40, max_size=40),
    st.text("0123456789abcdef", min_size=64, max_size=64),
)
_text = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=30)
_segment = st.text(
    st.characters(blacklist_characters="\0/", blacklist_categories=("Cs",)), min_size=1, max_size=8
).filter(lambda s: s not in (".", ".."))
_path = st.lists(_segment, min_size=1, max_size=3).map("/".join)
_tagname = st.text("abcxyz-_ .", min_size=1, max_size=10).filter(lambda s: not set(s) <= set("abcdef"))


@st.composite
def checkins(draw):  # type: ignore[no-untyped-def]
    names = draw(st.lists(_path, max_size=6, unique_by=lambda s: s.encode()))
    names = [n for n in names if not is_reserved_name(n.encode())]
    files = [
        manifest.FileCard(n, draw(_hashes), draw(st.sampled_from([None, "x", "l"])), draw(st.one_of(st.none(), _path)))
        for n in names
    ]
    tags = [
        manifest.TagCard(draw(st.sampled_from("+*-")), name, draw(st.one_of(st.none(), _hashes)),
                         draw(st.one_of(st.none(), _text)))
        for name in draw(st.lists(_tagname, max_size=3, unique=True))
    ]
    return manifest.Manifest(
        type=manifest.ArtifactType.MANIFEST,
        comment=draw(_text),
        date="2024-05-06T07:08:09.123",
        files=files,
        parents=draw(st.lists(_hashes, max_size=3)),
        cherrypicks=[manifest.CherryPick("+", h) for h in draw(st.lists(_hashes, max_size=1))],
        repo_cksum=draw(st.one_of(st.none(), st.just(MD5))),
        tags=tags,
        user=draw(_text.filter(bool)),
        mimetype=draw(st.one_of(st.none(), _text.filter(bool))),
    )


@settings(max_examples=200, deadline=None)
@given(checkins())
def test_written_checkins_parse_back(m: manifest.Manifest) -> None:
    data = m.to_bytes()
    back = manifest.parse(data)
    assert "verbatim" not in back.extra
    assert back.to_bytes() == data
    for fc in m.files:
        if fc.prior is not None and fc.perm is None:
            fc.perm = "w"
    back.julian = m.julian
    back.z = None
    assert sorted(back.files, key=lambda f: f.name.encode()) == back.files
    assert {f.name: f for f in back.files} == {f.name: f for f in m.files}
    assert (back.comment, back.user, back.mimetype, back.parents) == (m.comment, m.user, m.mimetype, m.parents)
    assert sorted((t.prefix + t.name, t.uuid or "", t.value) for t in back.tags) == sorted(
        (t.prefix + t.name, t.uuid or "", t.value) for t in m.tags
    )


@settings(max_examples=100, deadline=None)
@given(_text, st.text(max_size=200), st.text("abcdefgh ", min_size=1, max_size=20).map(str.strip).filter(bool))
def test_written_wiki_parses_back(user: str, body: str, title: str) -> None:
    if not is_wiki_name(title.encode()) or not user:
        return
    m = manifest.Manifest(type=manifest.ArtifactType.WIKI, date="2024-01-01T00:00:00", wiki_title=title, user=user,
                          text=body)
    back = manifest.parse(m.to_bytes())
    assert (back.type, back.wiki_title, back.user, back.text) == (manifest.ArtifactType.WIKI, title, user, body)


@pytest.mark.parametrize(
    "name,ok",
    [
        (b"a", True),
        (b"a/b.c", True),
        (b".hidden", True),
        (b"a/...", True),
        (b"a..b/c", True),
        (b"", False),
        (b"/abs", False),
        (b"a//b", False),
        (b"a/", False),
        (b".", False),
        (b"./a", False),
        (b"..", False),
        (b"../a", False),
        (b"a/./b", False),
        (b"a/..", False),
    ],
)
def test_simple_paths(name: bytes, ok: bool) -> None:
    assert is_simple_path(name) is ok
