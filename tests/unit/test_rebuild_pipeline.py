"""The fast paths of rebuild give exactly what the plain code gives.

* fmemo._plain_rest (the usual C/D/P/R/U cards read without the parser) and
  fmemo._edits (an F block as several edits of the block parsed before):
  memo_parse must still return what ``manifest.parse_or_none`` returns;
* the walk's caches (rebuild._Walker): a rebuild with them at their
  smallest leaves the same tables as one with the defaults, merge parents
  far back along a delta chain included;
* the 'ci' event row is inserted with INSERT OR IGNORE and replaced only
  when a row is there already (REPLACE semantics kept).
No fossil binary is needed.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fossilpy.artifact import fmemo
from fossilpy.artifact.manifest import parse_or_none
from fossilpy.repo import crosslink
from fossilpy.repo import rebuild as rebuild_mod
from fossilpy.repo.crosslink import batch
from fossilpy.repo.db import Repo
from tests.builders import put_blob, with_z
from tests.unit.conftest import HASHES, MANIFEST_TAILS, MemoBatch, manifest_fields, new_schema_repo

H = HASHES
DATE = "D 2024-01-01T00:00:00\n"


_artifact = with_z


_Memo = MemoBatch


_fields = manifest_fields


# -- the usual cards around the F block ---------------------------------------

TAILS = MANIFEST_TAILS

HEADS = [
    "C c\n" + DATE,
    "C Change\\s7:\\somega(1);\n" + DATE,
    "C a\\\\sb\\nc\\0d\n" + DATE,
    "C \xe9t\xe9\n" + DATE,
    "C \n" + DATE,
    "C a b\n" + DATE,
    DATE,
    "C c\nD 2024-02-30T00:00:00\n",
    "C c\nD 2024-01-01 00:00:00\n",
    "C c\nD 2024-01-01T00:00:00.123\n",
    "C c\nD 0000-00-00T00:00:00\n",
    f"B {H[6]}\nC c\n" + DATE,
]


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("tail", TAILS)
def test_plain_cards_agree_with_the_parser(head: str, tail: str) -> None:
    body = head + f"F a {H[0]}\nF b {H[1]} x\n" + tail
    data = _artifact(body)
    b = _Memo()
    assert _fields(fmemo.memo_parse(b, data)) == _fields(parse_or_none(data))
    # again, with every line memoised
    assert _fields(fmemo.memo_parse(b, data)) == _fields(parse_or_none(data))


NEW_LINES = [
    f"F a {H[0]}",
    f"F a {H[0]} x",
    f"F a {H[0]} l",
    f"F a {H[0][:40]}",
    f"F a {H[0].upper()}",
    f"F a\\sb {H[0]}",
    f"F a {H[0]} w old",
    f"F ../a {H[0]}",
    f"F a//b {H[0]}",
    f"F a {H[0][:63]}",
    "F a",
    f"F _FOSSIL_ {H[0]}",
    f"F d/.fslckout {H[0]}",
    f"F a {H[0]} x y z",
    f"F a  {H[0]}",
    f"F \xe9 {H[0]}",
]


@pytest.mark.parametrize("line", NEW_LINES)
def test_plain_new_lines_agree_with_the_parser(line: str) -> None:
    data = _artifact(f"C c\n{DATE}{line}\nF z {H[1]}\nP {H[5]}\nU u\n")
    assert _fields(fmemo.memo_parse(_Memo(), data)) == _fields(parse_or_none(data))
    b = _Memo()
    fmemo.memo_parse(b, _artifact(f"C c\n{DATE}F a {H[2]}\nF z {H[1]}\nP {H[5]}\nU u\n"))
    # the same after a block that differs in that line only
    assert _fields(fmemo.memo_parse(b, data)) == _fields(parse_or_none(data))


def test_plain_rest_reads_the_usual_shape() -> None:
    head = b"C Change\\s1:\\sa\\sb\n" + DATE.encode()
    tail = f"P {H[5]} {H[6]}\nR {'a' * 32}\nU carol@example.org\n".encode()
    lines = [f"F src/a.c {H[0]}".encode(), f"F src/b.c {H[1]} x".encode()]
    got = fmemo._plain_rest(head, tail, lines)
    assert got is not None
    m, found = got
    want = parse_or_none(_artifact(head + b"\n".join(lines) + b"\n" + tail))
    assert want is not None
    m.z = want.z
    assert _fields(m) == _fields(want)
    assert [name for _, name in found] == [b"src/a.c", b"src/b.c"]
    assert fmemo._plain_rest(head, b"T *branch * x\n" + tail, lines) is None
    assert fmemo._plain_rest(b"C c\nD 2024-13-01T00:00:00\n", tail, lines) is None
    assert fmemo._unescape(b"a\\sb\\sc") == b"a b c"
    assert fmemo._unescape(b"a\\\\sb") == b"a\\sb"
    assert fmemo._unescape(b"a\\nb") == b"a\nb"


def test_memo_parse_checks_the_z_card(repo: Repo) -> None:
    data = _artifact(f"C c\n{DATE}F a {H[0]}\nP {H[5]}\nU u\n")
    wrong = data[:-33] + b"0" * 32 + b"\n"
    with repo.write(), batch(repo) as b:
        assert _fields(fmemo.memo_parse(b, data)) == _fields(parse_or_none(data))
        assert fmemo.memo_parse(b, wrong) is None
        assert parse_or_none(wrong) is None


# -- F blocks as edits of the block before --------------------------------------


def _apply_edits(old: list[bytes], edits: list[tuple[int, int, list[bytes]]]) -> list[bytes]:
    out: list[bytes] = []
    prev = 0
    for a, c, mid in edits:
        assert prev <= a <= c
        out += old[prev:a] + mid
        prev = c
    return out + old[prev:]


def _block(files: dict[str, str]) -> list[str]:
    return [f"F {n} {h}" for n, h in sorted(files.items())]


def test_edits_rebuild_the_new_block() -> None:
    rnd = random.Random(11)
    for _ in range(300):
        names = sorted({f"d{rnd.randrange(5)}/f{rnd.randrange(10**5)}" for _ in range(60)})
        files = {n: f"{rnd.getrandbits(256):064x}" for n in names}
        old = _block(files)
        for _ in range(rnd.randrange(1, 8)):
            op = rnd.randrange(4)
            n = rnd.choice(sorted(files))
            if op == 0:
                new_name = f"d{rnd.randrange(5)}/g{rnd.randrange(10**5)}"
                files[new_name] = f"{rnd.getrandbits(256):064x}"
            elif op == 1 and len(files) > 2:
                del files[n]
            else:
                files[n] = f"{rnd.getrandbits(256):064x}"
        new = _block(files)
        if rnd.randrange(5) == 0:  # lines out of name order
            i = rnd.randrange(len(new) - 1)
            new[i], new[i + 1] = new[i + 1], new[i]
        old_b = [x.encode() for x in old]
        new_b = [x.encode() for x in new]
        block = b"".join(x + b"\n" for x in old_b)
        offsets = [0]
        for x in old_b:
            offsets.append(offsets[-1] + len(x) + 1)
        ref = fmemo.BlockRef(block, old_b, [None] * len(old_b), [], offsets)
        edits = fmemo._edits(ref, b"".join(x + b"\n" for x in new_b))
        if edits is not None:
            assert _apply_edits(old_b, edits) == new_b


def test_memo_parse_follows_blocks_with_several_changes(repo: Repo) -> None:
    """Inserts, deletes and replacements in several places at once, renames,
    escapes and reserved names: the memo gives what the parser gives, and
    ``extra["fdiff"]`` names exactly the lines that differ."""
    rnd = random.Random(5)
    names = sorted({f"d{rnd.randrange(9)}/f{rnd.randrange(10**6)}" for _ in range(200)})
    files = {n: f"{rnd.getrandbits(256):064x}" for n in names}
    extra_line: dict[str, str] = {}
    counts = {"fdiff": 0}
    with repo.write(), batch(repo) as b:
        for step in range(120):
            for n in [n for n in files if n.endswith("_FOSSIL_")]:
                del files[n]  # a reserved name lasts one step
            for _ in range(rnd.randrange(1, 12)):
                op = rnd.randrange(7)
                if op == 0:
                    new_name = f"d{rnd.randrange(9)}/g{step}_{rnd.randrange(99)}"
                    files[new_name] = f"{rnd.getrandbits(256):064x}"
                elif op == 1 and len(files) > 20:
                    files.pop(rnd.choice(sorted(files)))
                elif op == 2:
                    files[f"d{rnd.randrange(9)}/sp\\sx{rnd.randrange(99)}"] = f"{step:064x}"
                elif op == 3:
                    n = rnd.choice(sorted(files))
                    extra_line[n] = rnd.choice([" x", " l", f" w old/{n}", ""])
                elif op == 4 and step % 17 == 0:
                    files[f"d{rnd.randrange(9)}/_FOSSIL_"] = f"{step:064x}"
                else:
                    files[rnd.choice(sorted(files))] = f"{rnd.getrandbits(256):064x}"
            lines = [f"F {n} {files[n]}{extra_line.get(n, '')}" for n in sorted(files)]
            if step % 23 == 0:
                i = rnd.randrange(len(lines) - 1)
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
            body = f"C c{step}\n{DATE}" + "\n".join(lines) + f"\nP {H[5]}\nU u\n"
            data = _artifact(body)
            m = fmemo.memo_parse(b, data)
            assert _fields(m) == _fields(parse_or_none(data)), step
            if m is None:
                continue
            fdiff = m.extra.get("fdiff")
            new_lines = [x.encode() for x in lines]
            if fdiff is not None:
                counts["fdiff"] += 1
                base, cnew, pnew = fdiff
                added = {line for line, _ in cnew} - {line for line, _ in pnew}
                gone = {line for line, _ in pnew} - {line for line, _ in cnew}
                assert added == set(new_lines) - set(base), step
                assert gone == set(base) - set(new_lines), step
    assert counts["fdiff"] > 60


_put = put_blob


def _history(repo: Repo) -> None:
    """A trunk of 40 check-ins and a branch merged back near the end; each
    manifest (about 5 KB) is stored as a delta of
    the next one, as fossil stores them, and the branch's first manifest far
    back along trunk's chain."""
    from fossilpy.artifact import blob, delta, hname

    rnd = random.Random(3)
    files = {f"src/f{i:03d}.c": f"{rnd.getrandbits(256):064x}" for i in range(60)}
    texts: list[bytes] = []
    uuids: list[str] = []

    def checkin(parents: list[str], n: int, branch: bool = False) -> bytes:
        for name in rnd.sample(sorted(files), 3):
            files[name] = f"{rnd.getrandbits(256):064x}"
        lines = "".join(f"F {k} {v}\n" for k, v in sorted(files.items()))
        tags = "T *branch * b1\nT *sym-b1 *\n" if branch else ""
        body = (
            f"C c{n}\nD 2024-01-{1 + n // 24:02d}T{n % 24:02d}:00:00\n{lines}"
            + (f"P {' '.join(parents)}\n" if parents else "")
            + tags
            + "U u\n"
        )
        return _artifact(body)

    for n in range(40):
        parents = [uuids[-1]] if uuids else []
        if n == 35:
            parents.append(uuids[5])  # merge of the branch started at 5 ...
        texts.append(checkin(parents, n, branch=(n == 5)))
        uuids.append(hname.sha3(texts[-1]))
    with repo.write():
        rids = [_put(repo, t) for t in texts]
        for i in range(len(texts) - 1):  # each stored as a delta of the next
            d = delta.create(texts[i + 1], texts[i])
            repo.execute("UPDATE blob SET content=? WHERE rid=?", (blob.compress(d), rids[i]))
            repo.execute("INSERT INTO delta(rid, srcid) VALUES(?,?)", (rids[i], rids[i + 1]))


TABLES = ("plink", "mlink", "filename", "event", "tagxref", "leaf", "tag", "unclustered")


def _tables(repo: Repo) -> dict[str, list[tuple]]:
    return {t: sorted(repo.all(f"SELECT * FROM {t}"), key=repr) for t in TABLES}


def test_small_walk_caches_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parents fetched far back along the delta chain, with every cache of
    the walk at its smallest, give the same tables as the default walk."""
    import shutil

    first = new_schema_repo(tmp_path / "a.fossil")
    _history(first)
    first.close()
    shutil.copyfile(tmp_path / "a.fossil", tmp_path / "b.fossil")
    fetched: list[int] = []
    real_fetch = rebuild_mod._Walker.fetch
    monkeypatch.setattr(rebuild_mod._Walker, "fetch", lambda self, rid: fetched.append(rid) or real_fetch(self, rid))
    with Repo.open(tmp_path / "a.fossil") as a:
        rebuild_mod.rebuild(a)
        default = _tables(a)
    assert fetched  # parents were fetched ahead of the walk
    monkeypatch.setattr(rebuild_mod, "_WALK_CACHE", 1)
    monkeypatch.setattr(rebuild_mod, "CHECKPOINT_BYTES", 0)
    monkeypatch.setattr(rebuild_mod, "WALK_CACHE_BYTES", 0)
    with Repo.open(tmp_path / "b.fossil") as b:
        rebuild_mod.rebuild(b)
        small = _tables(b)
    assert default == small
    assert len(default["plink"]) == 40 and len(default["event"]) == 40
    assert any(row[-1] for row in default["mlink"])  # rows against the merge parent (isaux)


# -- the 'ci' event row ---------------------------------------------------------------


def test_ci_event_replaces_a_row_already_there(repo: Repo) -> None:
    data = _artifact(f"C new\n{DATE}F a {H[0]}\nU alice\n")
    with repo.write():
        rid = _put(repo, data)
        repo.execute(
            "INSERT INTO event(type,mtime,objid,tagid,user,comment,brief) VALUES('x',1,?,7,'old','old','brief')",
            (rid,),
        )
        assert crosslink.crosslink(repo, rid, data) is True
    assert repo.row("SELECT type, tagid, user, comment, brief, mtime FROM event WHERE objid=?", (rid,)) == (
        "ci",
        None,
        "alice",
        "new",
        None,
        2460310.5,
    )
