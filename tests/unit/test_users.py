"""Capabilities, passwords and user management."""

from __future__ import annotations

import hashlib

import pytest

from fossilpy.errors import NotFound, UserError
from fossilpy.repo import users
from fossilpy.repo.db import Repo

ADMIN_GRANTS = set("arwzjkfmhgnpetbclq23456C7ADoi")


@pytest.fixture
def repo(created_repo: Repo) -> Repo:
    """A repository made by create_repository (admin alice, no check-in)."""
    return created_repo


# -- capability expansion (pure) ----------------------------------------------


@pytest.mark.parametrize(
    "caps, expected",
    [
        ("", set()),
        ("o", {"o"}),
        ("i", {"i", "o"}),
        ("k", {"k", "j", "m"}),
        ("w", {"w", "r", "n", "c"}),
        ("2", {"2"}),
        ("4", {"4", "3", "2"}),
        ("6", {"6", "5", "4", "3", "2"}),
        ("xy", {"x", "y"}),
        ("d", set()),  # legacy letter, grants nothing
        ("?!Z", set()),  # unknown letters are ignored
        ("a", ADMIN_GRANTS),
        ("s", ADMIN_GRANTS | {"s"}),
        ("sxy", ADMIN_GRANTS | {"s", "x", "y"}),
        ("u", set()),  # no lookup: nothing inherited
    ],
)
def test_expand_caps(caps: str, expected: set[str]) -> None:
    assert users.expand_caps(caps) == frozenset(expected)


def test_admin_never_implies_private_or_unversioned() -> None:
    assert "x" not in users.expand_caps("s") and "y" not in users.expand_caps("a")


def test_inheritance_is_followed_once() -> None:
    table = {"reader": "ju", "developer": "iv"}  # self-references must terminate
    caps = users.expand_caps("uv", table.get)
    assert caps == frozenset({"j", "i", "o"})
    assert users.expand_caps("v", {"developer": "ei"}.get) == frozenset({"e", "i", "o"})


def test_effective_caps_default_users(repo: Repo) -> None:
    nobody = frozenset("gjorz")
    assert users.effective_caps(repo, None) == nobody
    assert users.effective_caps(repo, "nobody") == nobody
    assert users.effective_caps(repo, "anonymous") == nobody | frozenset("hmnc")
    users.create_user(repo, "bob", password="x", caps="v")
    # v -> developer "ei"; logged in -> anonymous "hmnc"; always nobody
    assert users.effective_caps(repo, "bob") == nobody | frozenset("hmnc") | frozenset("eio")
    assert users.effective_caps(repo, "bob", sync=True) == nobody | frozenset("eio")
    users.set_capabilities(repo, "bob", "u")
    assert users.effective_caps(repo, "bob", sync=True) == nobody | frozenset("kptwjmrnc")


# -- passwords -----------------------------------------------------------------


def test_shared_secret() -> None:
    expected = hashlib.sha1(b"PCODE/alice/pw1").hexdigest()
    assert users.shared_secret("pw1", "alice", "PCODE") == expected
    assert users.shared_secret("pw1", "alice", None) == "pw1"
    assert users.shared_secret("pw1", "alice", "") == "pw1"


def test_random_password() -> None:
    for _ in range(20):
        pw = users.random_password(10)
        assert len(pw) == 10 and len(set(pw)) == 10
        assert not set(pw) & set("01OIl")
    assert len(users.random_password(3)) == 8


def test_default_users(repo: Repo) -> None:
    rows = repo.all("SELECT uid, login, cap, info, length(pw) FROM user ORDER BY uid")
    assert rows == [
        (1, "alice", "s", "", 10),
        (2, "anonymous", "hmnc", "Anon", 16),
        (3, "nobody", "gjorz", "Nobody", 0),
        (4, "developer", "ei", "Dev", 0),
        (5, "reader", "kptw", "Reader", 0),
    ]
    anon = repo.one("SELECT pw FROM user WHERE login='anonymous'")
    assert anon == anon.upper() and int(anon, 16) >= 0


def test_check_password_cleartext_and_hashed(repo: Repo) -> None:
    initial = repo.one("SELECT pw FROM user WHERE login='alice'")
    assert users.check_password(repo, "alice", initial) == 1
    assert users.check_password(repo, "alice", initial + "x") == 0
    users.set_password(repo, "alice", "secret")
    stored = repo.one("SELECT pw FROM user WHERE login='alice'")
    assert stored == users.shared_secret("secret", "alice", repo.config_get("project-code"))
    assert users.check_password(repo, "alice", "secret") == 1
    assert users.check_password(repo, "alice", stored) == 0  # the hash is not the password
    assert users.check_password(repo, "alice", initial) == 0
    assert users.check_password(repo, "nobody-at-all", "secret") == 0


def test_special_users_never_log_in_by_password(repo: Repo) -> None:
    anon = repo.one("SELECT pw FROM user WHERE login='anonymous'")
    assert users.check_password(repo, "anonymous", anon) == 0
    assert users.check_password(repo, "nobody", "") == 0


def test_expired_and_capless_users(repo: Repo) -> None:
    users.create_user(repo, "old", password="pw", caps="o", contact="expires 2001-01-01")
    users.create_user(repo, "new", password="pw", caps="o", contact="Bob expires 2999-01-01")
    users.create_user(repo, "none", password="pw", caps="")
    assert users.check_password(repo, "old", "pw") == 0
    assert users.check_password(repo, "new", "pw") > 0
    assert users.check_password(repo, "none", "pw") == 0


def test_login_by_email(repo: Repo) -> None:
    uid = users.create_user(repo, "carol", password="pw", caps="o", contact="Carol <carol@example.org>")
    assert users.check_password(repo, "carol@example.org", "pw") == uid
    assert users.check_password(repo, "carol@example.org", "nope") == 0


# -- management -----------------------------------------------------------------


def test_create_and_manage(repo: Repo) -> None:
    uid = users.create_user(repo, "dave", password="pw", contact="dave@x")
    assert repo.row("SELECT cap, info FROM user WHERE uid=?", (uid,)) == ("u", "dave@x")
    assert repo.one("SELECT mtime FROM user WHERE uid=?", (uid,)) > 0
    repo.config_set("default-perms", "oz")
    assert users.capabilities(repo, users.list_users(repo)[0][0]) is not None
    uid2 = users.create_user(repo, "erin")
    assert users.capabilities(repo, "erin") == "oz"
    users.set_capabilities(repo, "erin", "i")
    assert users.capabilities(repo, "erin") == "i"
    users.set_contact(repo, "erin", "Erin")
    assert ("erin", "Erin") in users.list_users(repo)
    assert [u for u, _ in users.list_users(repo)] == sorted(u for u, _ in users.list_users(repo))
    assert uid2 > uid
    with pytest.raises(UserError, match="user dave already exists"):
        users.create_user(repo, "dave")
    with pytest.raises(UserError):
        users.create_user(repo, "")
    with pytest.raises(NotFound, match="no such user: zed"):
        users.set_password(repo, "zed", "x")
    with pytest.raises(NotFound):
        users.capabilities(repo, "zed")


def test_default_user(repo: Repo) -> None:
    assert users.select_user(repo, {"USER": "alice"}) == (1, "alice")
    assert users.select_user(repo, {"USER": "ghost", "LOGNAME": "reader"}) == (5, "reader")
    with pytest.raises(UserError, match="cannot determine user"):
        users.select_user(repo, {"USER": "ghost"})
    users.set_default_user(repo, "developer")
    assert users.select_user(repo, {"USER": "alice"}) == (4, "developer")
    with pytest.raises(NotFound):
        users.set_default_user(repo, "ghost")


def test_default_admin_login() -> None:
    assert users.default_admin_login({}) == "root"
    assert users.default_admin_login({"USERNAME": "w", "LOGNAME": "l"}) == "l"
    assert users.default_admin_login({"USER": "u", "FOSSIL_USER": "f"}) == "f"
    assert users.default_admin_login(None) == "root"


def test_login_cookie(repo: Repo) -> None:
    uid = users.create_user(repo, "fay", password="pw", caps="o")
    h = users.login_cookie_hash(repo, uid, 8766)
    assert len(h) == 50 and h == h.upper() and int(h, 16) >= 0
    assert users.login_cookie_hash(repo, uid, 1) == h  # reused while valid
    assert users.user_for_cookie(repo, "fay", h) == uid
    assert users.user_for_cookie(repo, "fay", h.lower()) == 0
    assert users.user_for_cookie(repo, "fay", "") == 0
    assert users.user_for_cookie(repo, "anonymous", h) == 0
    assert users.user_for_cookie(repo, "nobody-such", h) == 0
    users.logout(repo, uid)
    assert users.user_for_cookie(repo, "fay", h) == 0
    assert users.login_cookie_hash(repo, uid, 1) != h
