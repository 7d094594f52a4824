"""The content store's write side: put/get round trips, phantoms, deltas,
privacy, shunning, and refusal of bad input with nothing written."""

from __future__ import annotations

import zlib

import pytest

from fossilpy.artifact import blob, delta, hname
from fossilpy.errors import ArtifactError, ProgrammingError
from fossilpy.repo import content, schema
from fossilpy.repo.db import Repo

TEXT_A = b"".join(b"line %d of the first text, long enough to deltify\n" % i for i in range(40))
TEXT_B = TEXT_A.replace(b"line 7 of", b"LINE SEVEN of") + b"an added line\n"
TEXT_C = TEXT_B.replace(b"line 30 of", b"line thirty of")

TABLES = ("blob", "delta", "rcvfrom", "phantom", "private", "unclustered", "config")


@pytest.fixture
def repo(created_repo: Repo) -> Repo:
    """A repository made by create_repository (admin alice, no check-in)."""
    return created_repo


def counts(repo: Repo) -> dict[str, int]:
    return {t: repo.one(f"SELECT count(*) FROM {t}") for t in TABLES}


# -- full content -------------------------------------------------------------


def test_put_get_round_trip(repo: Repo) -> None:
    rid = content.put(repo, TEXT_A)
    row = repo.row("SELECT size, uuid, rcvid, content FROM blob WHERE rid=?", (rid,))
    assert row[0] == len(TEXT_A)
    assert row[1] == hname.sha3(TEXT_A)  # new repositories use sha3
    assert blob.uncompress(row[3]) == TEXT_A
    assert row[3][:4] == len(TEXT_A).to_bytes(4, "big")
    repo.cache.clear()
    assert content.get(repo, rid) == TEXT_A
    assert repo.all("SELECT rid FROM unclustered") == [(rid,)]
    assert repo.all("SELECT rid FROM private") == []
    assert repo.one("SELECT count(*) FROM rcvfrom WHERE rcvid=?", (row[2],)) == 1


def test_put_existing_is_noop(repo: Repo) -> None:
    rid = content.put(repo, TEXT_A)
    before = counts(repo)
    assert content.put(repo, TEXT_A) == rid
    assert content.put(repo, TEXT_A, uuid=hname.sha3(TEXT_A)) == rid
    assert counts(repo) == before


def test_one_rcvfrom_row_per_transaction(repo: Repo) -> None:
    with repo.write():
        r1 = content.put(repo, TEXT_A)
        r2 = content.put(repo, TEXT_B)
    with repo.write():
        r3 = content.put(repo, TEXT_C)
    rc = dict(repo.all("SELECT rid, rcvid FROM blob"))
    assert rc[r1] == rc[r2] != rc[r3]
    assert repo.one("SELECT count(*) FROM rcvfrom") == 2


def test_begin_receive_row(repo: Repo) -> None:
    rcvid = content.begin_receive(repo, uid=1, nonce="abc", ipaddr="10.0.0.1")
    assert repo.row("SELECT uid, nonce, ipaddr FROM rcvfrom WHERE rcvid=?", (rcvid,)) == (
        1,
        "abc",
        "10.0.0.1",
    )
    rid = content.put(repo, TEXT_A, rcvid=rcvid)
    assert repo.one("SELECT rcvid FROM blob WHERE rid=?", (rid,)) == rcvid


def test_sha1_policy_and_alternate_name_reuse(repo: Repo) -> None:
    # Content already stored under its SHA1 name keeps that name under sha3.
    sha1_name = hname.sha1(TEXT_A)
    rid = content.put(repo, TEXT_A, uuid=sha1_name)
    assert content.put(repo, TEXT_A) == rid
    assert repo.one("SELECT count(*) FROM blob") == 1
    repo.config_set("hash-policy", "0")
    rid_b = content.put(repo, TEXT_B)
    assert content.uuid_of(repo, rid_b) == hname.sha1(TEXT_B)


def test_auto_policy_upgrades_on_sha3(repo: Repo) -> None:
    repo.config_set("hash-policy", "1")
    content.put(repo, TEXT_A)
    assert repo.config_get("hash-policy") == "1"
    content.put(repo, TEXT_B, uuid=hname.sha3(TEXT_B))
    assert repo.config_get("hash-policy") == "2"


def test_missing_policy_is_derived(repo: Repo) -> None:
    repo.config_unset("hash-policy")
    assert content.hash_policy(repo) == hname.POLICY_SHA3  # no blobs yet
    content.put(repo, TEXT_A, uuid=hname.sha1(TEXT_A))
    assert content.hash_policy(repo) == hname.POLICY_AUTO


# -- deltas --------------------------------------------------------------------


def test_delta_chain_round_trip(repo: Repo) -> None:
    ra = content.put(repo, TEXT_A)
    rb = content.put(repo, delta.create(TEXT_A, TEXT_B), srcid=ra)
    rc = content.put(repo, delta.create(TEXT_B, TEXT_C), uuid=hname.sha3(TEXT_C), srcid=rb)
    repo.cache.clear()
    assert content.get(repo, rc) == TEXT_C
    assert content.get(repo, rb) == TEXT_B
    assert content.uuid_of(repo, rb) == hname.sha3(TEXT_B)
    assert repo.all("SELECT rid, srcid FROM delta ORDER BY rid") == [(rb, ra), (rc, rb)]
    assert repo.one("SELECT size FROM blob WHERE rid=?", (rc,)) == len(TEXT_C)
    stored, src = content.raw(repo, rc)
    assert src == rb and blob.uncompress(stored) == delta.create(TEXT_B, TEXT_C)
    assert content.check_integrity(repo) == []


def test_deltify_and_undeltify(repo: Repo) -> None:
    ra = content.put(repo, TEXT_A)
    rb = content.put(repo, TEXT_B)
    assert content.deltify(repo, ra, rb) is True  # older as delta of newer
    assert repo.all("SELECT rid, srcid FROM delta") == [(ra, rb)]
    repo.cache.clear()
    assert content.get(repo, ra) == TEXT_A
    assert content.deltify(repo, ra, rb) is False  # already a delta
    # Reversing would form a loop: the source is expanded first.
    assert content.deltify(repo, rb, ra) is True
    assert repo.all("SELECT rid, srcid FROM delta") == [(rb, ra)]
    repo.cache.clear()
    assert content.get(repo, ra) == TEXT_A and content.get(repo, rb) == TEXT_B
    content.undeltify(repo, rb)
    assert repo.all("SELECT rid, srcid FROM delta") == []
    assert content.get(repo, rb) == TEXT_B
    assert content.check_integrity(repo) == []


def test_deltify_policy(repo: Repo) -> None:
    small1 = content.put(repo, b"short text one\n")
    small2 = content.put(repo, b"short text two\n")
    assert content.deltify(repo, small1, small2) is False  # < 50 bytes
    other = content.put(repo, bytes(range(256)) * 2)
    ra = content.put(repo, TEXT_A)
    assert content.deltify(repo, other, ra) is False  # delta not < 75%
    rb = content.put(repo, TEXT_B, private=True)
    assert content.deltify(repo, ra, rb) is False  # public from private
    assert content.deltify(repo, rb, ra) is True  # private from public is fine
    assert content.deltify(repo, ra, ra) is False
    assert content.deltify(repo, 0, ra) is False
    phantom = content.new_phantom(repo, hname.sha3(b"unknown"))
    assert content.deltify(repo, ra, phantom) is False


def test_deltify_force_changes_source(repo: Repo) -> None:
    ra = content.put(repo, TEXT_A)
    rb = content.put(repo, TEXT_B)
    rc = content.put(repo, TEXT_C)
    assert content.deltify(repo, rc, ra)
    assert content.deltify(repo, rc, rb, force=True)
    assert repo.all("SELECT rid, srcid FROM delta") == [(rc, rb)]
    repo.cache.clear()
    assert content.get(repo, rc) == TEXT_C


# -- phantoms ------------------------------------------------------------------


def test_phantom_filled_later(repo: Repo) -> None:
    uuid = hname.sha3(TEXT_A)
    rid = content.new_phantom(repo, uuid)
    assert repo.row("SELECT size, content, rcvid FROM blob WHERE rid=?", (rid,)) == (-1, None, 0)
    assert content.phantoms(repo) == [rid]
    assert repo.all("SELECT rid FROM phantom") == [(rid,)]
    assert repo.all("SELECT rid FROM unclustered") == [(rid,)]
    assert content.get(repo, rid) is None
    assert content.rid_for(repo, uuid) == rid
    assert content.new_phantom(repo, uuid) == rid  # idempotent
    assert content.put(repo, TEXT_A) == rid
    assert content.phantoms(repo) == []
    assert repo.all("SELECT rid FROM phantom") == []
    assert content.get(repo, rid) == TEXT_A
    assert content.check_integrity(repo) == []


def test_rid_for(repo: Repo) -> None:
    uuid = hname.sha1(b"x")
    assert content.rid_for(repo, uuid) == 0
    assert content.rid_for(repo, "not-a-hash") == 0
    rid = content.rid_for(repo, uuid.upper(), phantomize=True)
    assert rid and content.uuid_of(repo, rid) == uuid
    with pytest.raises(ArtifactError, match="not a valid artifact hash"):
        content.rid_for(repo, "xyz", phantomize=True)


def test_delta_against_phantom_then_source_arrives(repo: Repo) -> None:
    ua, ub = hname.sha3(TEXT_A), hname.sha3(TEXT_B)
    d = delta.create(TEXT_A, TEXT_B)
    rb = content.put_raw(repo, ub, blob.compress(d), size=len(TEXT_B), srcuuid=ua)
    ra = content.rid_of(repo, ua)
    assert content.phantoms(repo) == [ra]
    assert content.get(repo, rb) is None
    assert content.is_available(repo, rb) is False
    assert content.put(repo, TEXT_A) == ra
    assert content.delta_dependents(repo, ra) == [rb]
    assert content.get(repo, rb) == TEXT_B
    assert content.check_integrity(repo) == []


def test_put_delta_against_phantom_needs_uuid(repo: Repo) -> None:
    ph = content.new_phantom(repo, hname.sha3(TEXT_A))
    before = counts(repo)
    with pytest.raises(ArtifactError, match="explicit hash"):
        content.put(repo, delta.create(TEXT_A, TEXT_B), srcid=ph)
    assert counts(repo) == before
    rb = content.put(repo, delta.create(TEXT_A, TEXT_B), uuid=hname.sha3(TEXT_B), srcid=ph)
    assert repo.one("SELECT size FROM blob WHERE rid=?", (rb,)) == len(TEXT_B)


def test_put_raw_full_and_existing(repo: Repo) -> None:
    ua = hname.sha3(TEXT_A)
    framed = zlib.compress(TEXT_A, 9)
    framed = len(TEXT_A).to_bytes(4, "big") + framed
    rid = content.put_raw(repo, ua, framed, size=len(TEXT_A), srcuuid=None)
    assert repo.one("SELECT content FROM blob WHERE rid=?", (rid,)) == framed  # verbatim
    before = counts(repo)
    assert content.put_raw(repo, ua, framed, size=len(TEXT_A), srcuuid=None) == rid
    assert counts(repo) == before


# -- private and shun ----------------------------------------------------------


def test_private(repo: Repo) -> None:
    rid = content.put(repo, TEXT_A, private=True)
    assert repo.all("SELECT rid FROM private") == [(rid,)]
    assert repo.all("SELECT rid FROM unclustered") == []
    assert content.is_private(repo, rid)
    content.make_public(repo, rid)
    assert not content.is_private(repo, rid)
    content.mark_private(repo, rid)
    assert content.is_private(repo, rid)
    ph = content.new_phantom(repo, hname.sha3(b"p"), private=True)
    assert content.is_private(repo, ph)
    assert repo.one("SELECT count(*) FROM unclustered WHERE rid=?", (ph,)) == 0


def test_public_delta_of_private_is_reported(repo: Repo) -> None:
    ra = content.put(repo, TEXT_A, private=True)
    content.put(repo, delta.create(TEXT_A, TEXT_B), srcid=ra)
    problems = content.check_integrity(repo)
    assert len(problems) == 1
    assert problems[0].startswith("public artifact ")
    assert f"is a delta from private artifact {hname.sha3(TEXT_A)[:10]} ({ra})" in problems[0]


def test_shun(repo: Repo) -> None:
    uuid = hname.sha3(b"bad stuff")
    repo.execute("INSERT INTO shun(uuid,mtime,scom) VALUES(?,0,'spam')", (uuid,))
    assert content.is_shunned(repo, uuid)
    assert content.is_shunned(repo, uuid.upper())
    assert not content.is_shunned(repo, hname.sha3(b"fine"))
    assert content.new_phantom(repo, uuid) == 0
    assert content.rid_for(repo, uuid, phantomize=True) == 0
    assert repo.one("SELECT count(*) FROM blob") == 0


# -- bad input: ArtifactError, nothing written ---------------------------------


def test_hash_mismatch_writes_nothing(repo: Repo) -> None:
    ra = content.put(repo, TEXT_A)
    before = counts(repo)
    with pytest.raises(ArtifactError, match="hash mismatch"):
        content.put(repo, TEXT_B, uuid=hname.sha3(TEXT_C))
    with pytest.raises(ArtifactError, match="hash mismatch"):
        content.put(repo, delta.create(TEXT_A, TEXT_B), uuid=hname.sha1(TEXT_C), srcid=ra)
    with pytest.raises(ArtifactError, match="hash mismatch"):
        content.put_raw(
            repo, hname.sha3(TEXT_C), blob.compress(TEXT_B), size=len(TEXT_B), srcuuid=None
        )
    with pytest.raises(ArtifactError, match="hash mismatch"):
        content.put_raw(
            repo,
            hname.sha3(TEXT_C),
            blob.compress(delta.create(TEXT_A, TEXT_B)),
            size=len(TEXT_B),
            srcuuid=hname.sha3(TEXT_A),
        )
    assert counts(repo) == before


def test_corrupt_zlib_writes_nothing(repo: Repo) -> None:
    before = counts(repo)
    framed = blob.compress(TEXT_A)
    bad = framed[:10] + bytes(b ^ 0x55 for b in framed[10:20]) + framed[20:]
    for payload in (bad, framed[:-6], b"\x00\x00", b""):
        with pytest.raises(ArtifactError):
            content.put_raw(repo, hname.sha3(TEXT_A), payload, size=len(TEXT_A), srcuuid=None)
    with pytest.raises(ArtifactError, match="size mismatch"):
        content.put_raw(repo, hname.sha3(TEXT_A), framed, size=len(TEXT_A) + 1, srcuuid=None)
    assert counts(repo) == before


def test_corrupt_zlib_in_store_is_reported(repo: Repo) -> None:
    rid = content.put(repo, TEXT_A)
    repo.execute("UPDATE blob SET content=? WHERE rid=?", (b"\x00\x00\x00\x10garbage", rid))
    repo.cache.clear()
    with pytest.raises(ArtifactError, match="zlib"):
        content.get(repo, rid)
    assert content.check_integrity(repo) == [
        f"size mismatch on artifact {rid}: wanted {len(TEXT_A)} but got 11",  # as fossil
        f"wrong hash on artifact {rid}",
    ]


def test_delta_loop_refused(repo: Repo) -> None:
    ux, uy = hname.sha3(TEXT_A), hname.sha3(TEXT_B)
    rx = content.new_phantom(repo, ux)
    ry = content.put(repo, delta.create(TEXT_A, TEXT_B), uuid=uy, srcid=rx)
    before = counts(repo)
    # x as a delta of y would close the cycle x -> y -> x.
    with pytest.raises(ArtifactError, match="delta loop"):
        content.put(repo, delta.create(TEXT_B, TEXT_A), uuid=ux, srcid=ry)
    with pytest.raises(ArtifactError, match="delta loop"):
        content.put_raw(
            repo, ux, blob.compress(delta.create(TEXT_B, TEXT_A)), size=len(TEXT_A), srcuuid=uy
        )
    with pytest.raises(ArtifactError, match="delta loop"):
        content.put(repo, delta.create(TEXT_A, TEXT_A), uuid=ux, srcid=rx)
    assert counts(repo) == before


def test_stored_delta_loop_read_is_error(repo: Repo) -> None:
    ra = content.put(repo, TEXT_A)
    rb = content.put(repo, TEXT_B)
    repo.execute("INSERT INTO delta VALUES(?,?)", (ra, rb))
    repo.execute("INSERT INTO delta VALUES(?,?)", (rb, ra))
    repo.cache.clear()
    with pytest.raises(ArtifactError, match="delta loop"):
        content.get(repo, ra)


def test_garbage_arguments(repo: Repo) -> None:
    before = counts(repo)
    with pytest.raises(ArtifactError):
        content.put(repo, "text")  # type: ignore[arg-type]
    with pytest.raises(ArtifactError, match="not a valid artifact hash"):
        content.put(repo, TEXT_A, uuid="1234")
    with pytest.raises(ArtifactError, match="does not exist"):
        content.put(repo, delta.create(TEXT_A, TEXT_B), srcid=999)
    with pytest.raises(ArtifactError):
        content.put(repo, b"not a delta", srcid=content.put(repo, TEXT_A) and 999)
    with pytest.raises(ArtifactError, match="not a valid"):
        content.put_raw(repo, "zz", blob.compress(TEXT_A), size=1, srcuuid=None)
    with pytest.raises(ArtifactError, match="delta of itself"):
        u = hname.sha3(TEXT_A)
        content.put_raw(repo, u, blob.compress(TEXT_A), size=len(TEXT_A), srcuuid=u)
    ra = content.rid_of(repo, hname.sha3(TEXT_A))
    with pytest.raises(ArtifactError, match="bad delta"):
        content.put(repo, b"junk\nmore", uuid=hname.sha3(TEXT_B), srcid=ra)
    after = counts(repo)
    assert after["blob"] == before["blob"] + 1  # only the one good put above
    assert after["delta"] == 0


def test_failure_inside_outer_transaction_undoes_only_itself(repo: Repo) -> None:
    with repo.write():
        ra = content.put(repo, TEXT_A)
        with pytest.raises(ArtifactError):
            content.put(repo, TEXT_B, uuid=hname.sha3(TEXT_C))
        rb = content.put(repo, TEXT_B)
    assert content.get(repo, ra) == TEXT_A and content.get(repo, rb) == TEXT_B
    assert repo.one("SELECT count(*) FROM blob") == 2


# -- schema helpers ------------------------------------------------------------


def test_ensure_table(repo: Repo) -> None:
    assert not repo.table_exists("subscriber")
    schema.ensure_table(repo, "pending_alert")
    assert repo.table_exists("subscriber") and repo.table_exists("pending_alert")
    schema.ensure_table(repo, "pending_alert")  # idempotent
    for name in ("forumpost", "unversioned", "chat", "admin_log", "accesslog", "modreq", "purgeitem"):
        schema.ensure_table(repo, name)
        assert repo.table_exists(name)
    with pytest.raises(ProgrammingError):
        schema.ensure_table(repo, "nonesuch")


def test_schema_names() -> None:
    names = schema.essential_table_names()
    assert "blob" in names and "unversioned" in names and "mlink" not in names
    assert schema.is_essential_table("fx_git") and schema.is_essential_table("sqlite_stat1")
    assert not schema.is_essential_table("event")
    ddl = schema.derived_schema_sql()
    assert "CREATE TABLE ticket(" in ddl and "CREATE TABLE mlink(" in ddl
    assert "CREATE TABLE blob(" not in ddl


# -- names (fossilpy.repo.names) -------------------------------------------------


def test_names_hash_prefixes(repo: Repo) -> None:
    from fossilpy.errors import NotFound, UserError
    from fossilpy.repo import names

    seen: dict[str, int] = {}
    i = 0
    with repo.write():
        while True:  # store texts until two names share a 4-digit prefix
            rid = content.put(repo, b"text %d\n" % i)
            prefix = content.uuid_of(repo, rid)[:4]
            if prefix in seen:
                break
            seen[prefix] = rid
            i += 1
    other = seen[prefix]
    assert names.lookup(repo, prefix) == names.AMBIGUOUS
    with pytest.raises(UserError, match=f"ambiguous name: {prefix}"):
        names.resolve(repo, prefix)
    full = content.uuid_of(repo, rid)
    assert names.resolve(repo, full) == rid
    assert names.resolve(repo, full.upper()) == rid
    assert names.resolve(repo, f"[{full[:20]}]") == rid
    assert names.resolve_uuid(repo, content.uuid_of(repo, other)[:30]) == content.uuid_of(repo, other)
    assert names.resolve(repo, f"rid:{rid}") == rid
    for garbage in ("", "tip", "trunk", "abc", "zzzz", "rid:x", "rid:99999", "tag:", "date:nonsense",
                    "[", "]", "\x00", "x" * 500):
        with pytest.raises(NotFound):
            names.resolve(repo, garbage)
    # hashes of artifacts that are not events do not match a typed lookup
    assert names.lookup(repo, full, "ci") == 0


def test_put_raw_unverified(repo: Repo) -> None:
    ua, ub = hname.sha3(TEXT_A), hname.sha3(TEXT_B)
    rcvid = content.begin_receive(repo, uid=1)
    framed = blob.compress(delta.create(TEXT_A, TEXT_B))
    rb = content.put_raw(repo, ub, framed, size=len(TEXT_B), srcuuid=ua, verify=False, rcvid=rcvid)
    assert repo.one("SELECT rcvid FROM blob WHERE rid=?", (rb,)) == rcvid
    assert content.phantoms(repo) == [content.rid_of(repo, ua)]
    ra = content.put_raw(repo, ua, blob.compress(TEXT_A), size=len(TEXT_A), srcuuid=None, verify=False)
    assert content.get(repo, rb) == TEXT_B and content.get(repo, ra) == TEXT_A
    before = counts(repo)
    assert content.put_raw(repo, ua, b"junk", size=1, srcuuid=None, verify=False) == ra  # known
    uc = hname.sha3(TEXT_C)
    content.put_raw(repo, uc, framed, size=len(TEXT_C), srcuuid=hname.sha3(b"x"), verify=False)
    mid = counts(repo)
    assert mid["blob"] == before["blob"] + 2  # c and the phantom x
    with pytest.raises(ArtifactError, match="delta loop"):
        content.put_raw(repo, hname.sha3(b"x"), framed, size=1, srcuuid=uc, verify=False)
    assert counts(repo) == mid
