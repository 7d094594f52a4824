"""Receiving artifacts out of order, and hash policy shun-sha1.

A delta manifest (B card) that arrives before its baseline is parked in
``orphan``; when the baseline arrives and fills its phantom, the delta
manifest is crosslinked, as Fossil's ``content_put`` does through
``after_dephantomize``.  Under hash policy shun-sha1 a SHA1-named artifact
is discarded and no SHA1 phantom is made (Fossil's ``uuid_is_shunned``).
"""

from __future__ import annotations

import hashlib

import pytest

from fossilpy.artifact.hname import sha3
from fossilpy.errors import ArtifactError
from fossilpy.repo import content
from fossilpy.repo.create import create_repository
from fossilpy.sync import xfer
from fossilpy.sync.cards import Reader
from fossilpy.sync.receive import accept_file
from tests.builders import artifact, delta_before_baseline

_art = artifact
_sha3 = sha3


def _receive(repo, data: bytes, uuid: str) -> xfer.Xfer:
    x = xfer.Xfer(repo)
    with repo.write():
        xfer.begin_round(repo)
        accept_file(x, [b"file", uuid.encode(), str(len(data)).encode()],
                    Reader(data), clone=False)
    return x


@pytest.fixture
def repo(tmp_path):
    r = create_repository(tmp_path / "r.fossil", admin_user="alice", initial=False)
    yield r
    r.close()


def test_delta_manifest_before_its_baseline(repo):
    child, file1, base = delta_before_baseline()
    for data in (child, file1, base):
        x = _receive(repo, data, _sha3(data))
        assert x.err == ""
    rows = repo.all("SELECT comment FROM event WHERE type='ci' ORDER BY mtime")
    assert rows == [("base",), ("child",)]
    assert repo.all("SELECT * FROM orphan") == []
    child_rid = content.rid_of(repo, _sha3(child))
    assert repo.all(
        "SELECT name FROM mlink JOIN filename USING(fnid) WHERE mid=? ORDER BY name",
        (child_rid,)) == [("b.txt",)]


def test_shun_sha1_policy(repo):
    repo.config_set("hash-policy", "shun-sha1")
    data = b"sha1 named\n"
    sha1 = hashlib.sha1(data).hexdigest()
    x = _receive(repo, data, sha1)
    assert x.err == ""
    assert repo.one("SELECT count(*) FROM blob WHERE uuid=?", (sha1,)) == 0
    assert content.new_phantom(repo, "a" * 40) == 0
    assert repo.one("SELECT count(*) FROM blob WHERE uuid=?", ("a" * 40,)) == 0
    with pytest.raises(ArtifactError, match="is shunned \\(hash policy shun-sha1\\)"):
        content.put(repo, data, uuid=sha1)
    assert content.new_phantom(repo, "b" * 64) > 0
    assert content.is_shunned(repo, sha1)
    repo.config_set("hash-policy", "sha3")
    assert not content.is_shunned(repo, sha1)
