"""Unit tests for crosslinking helpers, tags and leaves (no fossil binary)."""

from __future__ import annotations

import pytest

from fossilpy.artifact.julian import format_g17, fossil_real
from fossilpy.artifact.manifest import FileCard, TagCard
from fossilpy.errors import ProgrammingError
from fossilpy.repo import crosslink
from fossilpy.repo.crosslink import Batch, batch, leaf, tags
from fossilpy.repo.crosslink.checkins import mperm
from fossilpy.repo.db import Repo
from fossilpy.repo.rebuild import _bag_order, rebuild
from tests.builders import put_blob, with_z
from tests.limits import time_limit
from tests.unit.conftest import manifest_fields

# -- numbers as fossil prints them -------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        # observed in repositories written by fossil 2.21 (event.omtime)
        (2460310.54375, "2460310.543750001"),
        (2460310.5048611113, "2460310.504861112"),
        (2460310.5194444445, "2460310.519444445"),
        (2460310.5486111110, "2460310.548611111"),
        (0.0, "0"),
        (1.0, "1"),
        (-2.5, "-2.5"),
    ],
)
def test_format_g17(value: float, text: str) -> None:
    assert format_g17(value) == text


def test_format_g17_fast_path_matches_the_general_code() -> None:
    import random

    from fossilpy.artifact.julian import _format_1_to_1e8, _format_any

    rng = random.Random(2117)
    values = [2440000.5 + rng.randrange(40000 * 86400) / 86400 for _ in range(3000)]
    values += [2440000 + rng.randrange(40000 * 86400000) / 86400000 for _ in range(3000)]
    values += [rng.uniform(1, 1e8) for _ in range(3000)] + [float(i) for i in range(1, 300)]
    for k in range(9):
        values += [10.0**k, 10.0**k * (1 + 2**-52), 10.0 ** (k + 1) * (1 - 2**-53)]
    values += [9.999999999999999, 99999999.99999999, 1.0000000000000002]
    fast = 0
    for v in values:
        if not 1 <= v < 1e8:
            continue
        text = _format_1_to_1e8(v)
        if text is not None:
            fast += 1
            assert text == _format_any(v), v
        assert format_g17(v) == _format_any(v), v
    assert fast > len(values) * 0.99


def test_fossil_real_is_the_parsed_text() -> None:
    assert fossil_real(2460310.54375) == 2460310.543750001
    assert fossil_real(2460310.54375) != 2460310.54375


def test_bag_order_matches_fossil_hash_bag() -> None:
    assert _bag_order([5]) == [5]
    # hash = 101*e mod 20: 7 -> 7, 3 -> 3, 27 -> 7 (probe to 8)
    assert _bag_order([7, 3, 27]) == [3, 7, 27]
    # growing past half full rehashes into 60 slots
    items = list(range(1, 13))
    assert sorted(_bag_order(items)) == items
    assert _bag_order(items) == sorted(items, key=lambda e: (e * 101) % 60)


def test_mperm() -> None:
    assert mperm(FileCard("a", "0" * 40)) == 0
    assert mperm(FileCard("a", "0" * 40, "x")) == 1
    assert mperm(FileCard("a", "0" * 40, "l")) == 2
    assert mperm(FileCard("a", "0" * 40, "w")) == 0
    assert mperm(None) == 0


# -- control artifact comments ---------------------------------------------


H1 = "bdccf7e466093647" + "a" * 48
H2 = "57d1b4a059cb1413" + "b" * 48


def test_control_comment_texts(repo: Repo) -> None:
    def c(*cards: TagCard, comment: str | None = None) -> str:
        return tags.control_comment(repo, comment, list(cards))

    assert c(TagCard("+", "closed", H1)) == f'Edit [{H1[:16]}|{H1[:10]}]: Mark "Closed".'
    assert c(TagCard("+", "sym-release", H2, "1.0")) == (
        f'Edit [{H2[:16]}|{H2[:10]}]: Add tag "release" with note "1.0".'
    )
    assert c(TagCard("+", "bgcolor", H1, "#ffd0d0")) == (
        f'Edit [{H1[:16]}|{H1[:10]}]: Change background color to "#ffd0d0".'
    )
    assert c(TagCard("-", "sym-x", H1)) == f'Edit [{H1[:16]}|{H1[:10]}]: Cancel tag "x".'
    assert c(TagCard("*", "branch", H1, "b<1>"), TagCard("*", "sym-b<1>", H1)) == (
        f"Edit [{H1[:16]}|{H1[:10]}]: Move to branch"
        f" [/timeline?r=b&lt;1&gt;&nd&dp={H1[:16]}&unhide | b&lt;1&gt;]."
    )
    assert c(TagCard("+", "parent", H1, "v")) == (
        f'Edit [{H1[:16]}|{H1[:10]}]: Add "parent" with value "v".'
    )
    # grouped by target hash, in hash order, then by full tag name
    assert c(TagCard("+", "user", H1, "bob"), TagCard("+", "comment", H2, "x"),
             TagCard("+", "comment", H1, "y")) == (
        f"Edit [{H2[:16]}|{H2[:10]}]: Edit check-in comment."
        f" Edit [{H1[:16]}|{H1[:10]}]: Edit check-in comment."
        f' Change user to "bob".'
    )
    assert c() == ""
    assert c(comment="Why") == "Why."


def test_hash_digits_setting(repo: Repo) -> None:
    assert tags.hash_digits(repo) == 10
    assert tags.hash_digits(repo, True) == 16
    repo.config_set("hash-digits", "3")
    assert tags.hash_digits(repo) == 6
    repo.config_set("hash-digits", "20")
    assert tags.hash_digits(repo, True) == 26


def test_htmlize() -> None:
    assert tags.htmlize("""<a href="x">&'""") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    assert tags.htmlize(None) == ""


# -- batches, tags and leaves ----------------------------------------------


def test_batch_needs_a_write_transaction(repo: Repo) -> None:
    with pytest.raises(ProgrammingError), batch(repo):
        pass


def test_nested_batches_join(repo: Repo) -> None:
    with repo.write(), batch(repo) as outer, batch(repo) as inner:
        assert inner is outer
    assert repo.xlink_batch is None


def _link(repo: Repo, pid: int, cid: int) -> None:
    repo.execute("INSERT INTO plink(pid,cid,isprim,mtime) VALUES(?,?,1,?)", (pid, cid, cid))


def test_tag_propagation_and_leaves(repo: Repo) -> None:
    with repo.write():
        for rid in (1, 2, 3, 4):
            repo.execute(
                "INSERT INTO blob(rid,rcvid,size,uuid,content) VALUES(?,0,-1,?,NULL)",
                (rid, f"{rid:040x}"),
            )
        _link(repo, 1, 2)
        _link(repo, 2, 3)
        _link(repo, 2, 4)
        with batch(repo) as b:
            tags.tag_insert(repo, "branch", 2, "trunk", 1, 10.0, 1)
            tags.tag_insert(repo, "sym-trunk", 2, None, 1, 10.0, 1)
            # check-in 4 starts a branch: its own tag blocks the propagation
            tags.tag_insert(repo, "branch", 2, "side", 4, 11.0, 4)
            assert b.leaf_pending == {1, 2, 3, 4}
    rows = repo.all("SELECT rid, tagtype, srcid, origid, value FROM tagxref WHERE tagid=8 ORDER BY rid")
    assert rows == [
        (1, 2, 1, 1, "trunk"),
        (2, 2, 0, 1, "trunk"),
        (3, 2, 0, 1, "trunk"),
        (4, 2, 4, 4, "side"),
    ]
    assert [r[0] for r in repo.all("SELECT rid FROM leaf ORDER BY rid")] == [3, 4]
    # an older setting never overrides a newer one
    with repo.write():
        tags.tag_insert(repo, "branch", 2, "old", 4, 5.0, 4)
    assert repo.one("SELECT value FROM tagxref WHERE tagid=8 AND rid=4") == "side"
    # cancelling removes the propagated copies
    with repo.write():
        tags.tag_insert(repo, "sym-trunk", 0, None, 1, 12.0, 1)
    assert repo.all("SELECT rid, tagtype FROM tagxref WHERE tagid=? ORDER BY rid",
                    (tags.tag_id(repo, "sym-trunk", False),)) == [(1, 0)]
    assert leaf.is_leaf(repo, 3) and not leaf.is_leaf(repo, 2)


def test_tag_id(repo: Repo) -> None:
    assert tags.tag_id(repo, "branch") == tags.TAG_BRANCH
    assert tags.tag_id(repo, "sym-new", False) == 0
    with repo.write():
        new = tags.tag_id(repo, "sym-new")
    assert new > 11
    assert tags.tag_id(repo, "sym-new", False) == new


# -- crosslink entry point ---------------------------------------------------


_put = put_blob


def test_crosslink_garbage_is_not_structural(repo: Repo) -> None:
    before = {t: repo.all(f"SELECT * FROM {t}") for t in ("event", "tagxref", "plink", "mlink")}
    for junk in (b"", b"hello\n", b"C x\nZ 0\n", b"D 2024-01-01\nZ " + b"0" * 32 + b"\n",
                 bytes(range(256))):
        with time_limit(5), repo.write():
            rid = _put(repo, junk)
            assert crosslink.crosslink(repo, rid, junk) is False
            assert crosslink.crosslink(repo, rid) is False
    assert {t: repo.all(f"SELECT * FROM {t}") for t in before} == before
    with repo.write():
        assert crosslink.crosslink(repo, 999999) is False


def test_crosslink_control_artifact(repo: Repo) -> None:
    from fossilpy.artifact.manifest import parse

    target = "c" * 64
    text = f"D 2024-01-01T00:00:00\nT +sym-v1 {target} note\nU alice\n"
    data = with_z(text)
    assert parse(data).type == 3
    with repo.write():
        rid = _put(repo, data)
        assert crosslink.crosslink(repo, rid, data) is True
    phantom = repo.one("SELECT rid FROM blob WHERE uuid=?", (target,))
    assert phantom and repo.one("SELECT size FROM blob WHERE rid=?", (phantom,)) == -1
    assert repo.one("SELECT 1 FROM phantom WHERE rid=?", (phantom,)) == 1
    assert repo.row("SELECT type, user, comment FROM event WHERE objid=?", (rid,)) == (
        "g", "alice", f'Edit [{target[:16]}|{target[:10]}]: Add tag "v1" with note "note".'
    )
    assert repo.row(
        "SELECT tagtype, srcid, value FROM tagxref WHERE rid=? AND tagid=?",
        (phantom, tags.tag_id(repo, "sym-v1", False)),
    ) == (1, rid, "note")


def test_rebuild_onnew_schema_repo(repo: Repo) -> None:
    from fossilpy.artifact.manifest import parse

    text = ("C initial\nD 2024-01-01T00:00:00\nR d41d8cd98f00b204e9800998ecf8427e\n"
            "T *branch * trunk\nT *sym-trunk *\nU root\n")
    data = with_z(text)
    assert parse(data).type == 1
    with repo.write():
        rid = _put(repo, data)
    stats = rebuild(repo)
    assert stats["artifacts"] == 1
    assert repo.all("SELECT rid FROM leaf") == [(rid,)]
    assert repo.one("SELECT comment FROM event WHERE objid=?", (rid,)) == "initial"
    assert repo.one("SELECT mtime FROM event WHERE objid=?", (rid,)) == 2460310.5
    assert repo.all("SELECT rid FROM unclustered") == [(rid,)]
    assert repo.config_get("aux-schema") == "2015-01-24"


def test_batch_object_attributes(repo: Repo) -> None:
    with repo.write(), batch(repo, rebuilding=True) as b:
        assert isinstance(b, Batch)
        assert b.repo is repo and b.rebuilding is True
        assert b.deferred_tickets == set()


_artifact = with_z


def test_orphan_delta_manifest_is_linked_when_its_baseline_arrives(repo: Repo) -> None:
    from fossilpy.artifact import blob, hname

    fa, fb = "a" * 64, "b" * 64
    base = _artifact(f"C base\nD 2024-01-01T00:00:00\nF a.txt {fa}\nU root\n")
    base_uuid = hname.sha3(base)
    delta = _artifact(
        f"B {base_uuid}\nC delta\nD 2024-01-02T00:00:00\nF b.txt {fb}\nP {base_uuid}\nU root\n"
    )
    with repo.write():
        drid = _put(repo, delta)
        assert crosslink.crosslink(repo, drid, delta) is False  # baseline unknown
    brid = repo.one("SELECT rid FROM blob WHERE uuid=?", (base_uuid,))
    assert repo.all("SELECT rid, baseline FROM orphan") == [(drid, brid)]
    assert repo.one("SELECT size FROM blob WHERE rid=?", (brid,)) == -1
    # the baseline arrives: fill the phantom, then crosslink what it unblocks
    with repo.write():
        repo.execute(
            "UPDATE blob SET size=?, content=? WHERE rid=?",
            (len(base), blob.compress(base), brid),
        )
        repo.execute("DELETE FROM phantom WHERE rid=?", (brid,))
        crosslink.after_dephantomize(repo, brid)
    assert repo.all("SELECT rid FROM orphan") == []
    names = dict(repo.all("SELECT fnid, name FROM filename"))
    rows = repo.all("SELECT mid, pmid, fnid, pid, fid FROM mlink ORDER BY mid, fnid")
    fid_a = repo.one("SELECT rid FROM blob WHERE uuid=?", (fa,))
    fid_b = repo.one("SELECT rid FROM blob WHERE uuid=?", (fb,))
    assert sorted((m, p, names[f], pid, fid) for m, p, f, pid, fid in rows) == sorted([
        (brid, 0, "a.txt", 0, fid_a),
        (drid, brid, "b.txt", 0, fid_b),
    ])
    assert repo.all("SELECT pid, cid, baseid FROM plink") == [(brid, drid, brid)]
    assert sorted(r[0] for r in repo.all("SELECT objid FROM event WHERE type='ci'")) == sorted(
        [brid, drid]
    )


# -- the F-line memo gives what the parser gives --------------------------------


_fields = manifest_fields


H = [f"{i:064x}" for i in range(1, 9)]


@pytest.mark.parametrize(
    "body",
    [
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF b {H[1]} x\nP {H[5]}\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF c {H[2]}\nP {H[5]}\nU u\n",
        # out of order, duplicate, invalid hash, bad path, reserved name
        f"C c\nD 2024-01-01T00:00:00\nF b {H[1]}\nF a {H[0]}\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF a {H[1]}\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF b xyz\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF ../b {H[1]}\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF _FOSSIL_ {H[3]}\nF a {H[0]}\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF manifest {H[3]}\nF z {H[4]}\nU u\n",
        # another card among the F cards, F before D, a B card, escapes, renames
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nP {H[5]}\nF b {H[1]}\nU u\n",
        f"C c\nF a {H[0]}\nD 2024-01-01T00:00:00\nU u\n",
        f"B {H[6]}\nC c\nD 2024-01-01T00:00:00\nF a {H[0]}\nF b\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a\\sb {H[0]}\nF b {H[1]} w a\\sb\nU u\n",
        f"D 2024-01-01T00:00:00\nF a {H[0]}\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nT *branch * x\nT *sym-x *\nU u\n",
        f"C c\nD 2024-01-01T00:00:00\nF a {H[0]}\nL page\nU u\nW 1\nx\n",
    ],
)
def test_memo_parse_agrees_with_the_parser(repo: Repo, body: str) -> None:
    from fossilpy.artifact.fmemo import memo_parse
    from fossilpy.artifact.manifest import parse_or_none

    data = _artifact(body)
    with repo.write(), batch(repo) as b:
        # warm the memo with lines from other manifests first
        memo_parse(b, _artifact(f"C w\nD 2024-01-01T00:00:00\nF a {H[0]}\nF b {H[1]}\nU u\n"))
        assert _fields(memo_parse(b, data)) == _fields(parse_or_none(data))
        assert _fields(memo_parse(b, data)) == _fields(parse_or_none(data))
        bad_z = data[:-3] + (b"0\n" if data[-2:-1] != b"0" else b"1\n")
        assert memo_parse(b, bad_z) is None and parse_or_none(bad_z) is None


def test_memo_parse_follows_a_changing_block(repo: Repo) -> None:
    """Each manifest is parsed against the previous block (fmemo.BlockRef):
    same-length changes, moved boundaries, inserts, deletes, swaps that break
    the order and reserved names all give what the parser gives."""
    import random

    from fossilpy.artifact.fmemo import memo_parse
    from fossilpy.artifact.manifest import parse_or_none

    rnd = random.Random(7)
    names = sorted({f"d{rnd.randrange(9)}/f{rnd.randrange(10**6)}" for _ in range(300)})
    files = {n: f"{rnd.getrandbits(256):064x}" for n in names}
    with repo.write(), batch(repo) as b:
        for step in range(120):
            kind = rnd.randrange(8)
            lines = [f"F {n} {files[n]}" for n in sorted(files)]
            if kind == 0:  # a new file
                n = f"d{rnd.randrange(9)}/g{step}"
                files[n] = f"{rnd.getrandbits(256):064x}"
                lines = [f"F {n} {files[n]}" for n in sorted(files)]
            elif kind == 1 and len(files) > 10:  # a removed file
                files.pop(rnd.choice(sorted(files)))
                lines = [f"F {n} {files[n]}" for n in sorted(files)]
            elif kind == 2:  # two lines swapped: out of order
                i = rnd.randrange(len(lines) - 1)
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
            elif kind == 3:  # a line grows and the next one shrinks
                i = rnd.randrange(len(lines) - 1)
                lines[i] += " x"
                lines[i + 1] = lines[i + 1][:-2]
            elif kind == 4:  # a reserved name
                lines.insert(0, f"F .fslckout {step:064x}")
            else:  # new contents for a few files
                for n in rnd.sample(sorted(files), rnd.randrange(1, 4)):
                    files[n] = f"{rnd.getrandbits(256):064x}"
                lines = [f"F {n} {files[n]}" for n in sorted(files)]
            body = "C c\nD 2024-01-01T00:00:00\n" + "\n".join(lines) + f"\nP {H[5]}\nU u\n"
            data = _artifact(body)
            assert _fields(memo_parse(b, data)) == _fields(parse_or_none(data)), (step, kind)
