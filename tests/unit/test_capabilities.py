"""fossilpy.repo.capabilities: the one capability and password module.

The expected expansions are Fossil 2.21's ``login_set_capabilities``
(src/login.c): the switch statement letter by letter (``s`` falls through
into ``a``, ``a`` into ``i``; ``6`` into ``5`` ... ``2``; ``k`` sets j/k/m,
``w`` sets w/r/n/c; ``u``/``v`` recurse once into the caps of users
``reader``/``developer``; ``d`` and unknown letters do nothing), and the
answers are ``login_has_capability``.  The right-hand column was recorded
from the real binary (``TH1_TEST_USER_CAPS=X fossil test-th-eval
--set-user-caps 'hascap ...'``); tests/compat/test_capabilities_fossil.py
asks fossil again, and also for ``u``/``v`` and whole web logins.
``fullcap`` is ``capability_expand`` of src/capabilities.c; passwords are
``sha1_shared_secret`` (src/sha1.c) and the checks of ``login_search_uid``
and xfer.c ``check_login``.
"""

from __future__ import annotations

import hashlib

import pytest

from fossilpy.repo.capabilities import (
    NO_CAPS,
    Caps,
    expand,
    fullcap,
    is_sha1_hex,
    login_card_matches,
    password_matches,
    shared_secret,
)

ADMIN = "abcefghijklmnopqrtwz234567ACD"

#: (user.cap, letters granted, in Fossil's a-z 0-9 A-Z order) as fossil 2.21 reports them.
EXPANSIONS = [
    ("", ""), ("a", ADMIN), ("b", "b"), ("c", "c"), ("d", ""), ("e", "e"), ("f", "f"),
    ("g", "g"), ("h", "h"), ("i", "io"), ("j", "j"), ("k", "jkm"), ("l", "l"), ("m", "m"),
    ("n", "n"), ("o", "o"), ("p", "p"), ("q", "q"), ("r", "r"),
    ("s", "abcefghijklmnopqrstwz234567ACD"), ("t", "t"), ("w", "cnrw"), ("x", "x"), ("y", "y"),
    ("z", "z"), ("2", "2"), ("3", "23"), ("4", "234"), ("5", "2345"), ("6", "23456"), ("7", "7"),
    ("A", "A"), ("C", "C"), ("D", "D"), ("sxy", "abcefghijklmnopqrstwxyz234567ACD"),
    ("ax", "abcefghijklmnopqrtwxz234567ACD"), ("ik", "ijkmo"), ("wk6", "cjkmnrw23456"),
    ("hmnc", "chmn"), ("gjorz", "gjorz"), ("ei", "eio"), ("kptw", "cjkmnprtw"), ("?!Z", ""),
    ("2y", "y2"), ("dl", "l"),
    # u and v without a user table grant nothing
    ("u", ""), ("v", ""), ("uv", ""),
]

#: (user.cap, reader's caps, developer's caps, letters granted)
INHERITED = [
    ("u", "kptw", "ei", "cjkmnprtw"),
    ("v", "kptw", "ei", "eio"),
    ("uv", "kptw", "ei", "cejikmnoprtw"),
    ("u", "", "ei", ""),
    ("u", "v", "ei", "eio"),  # reader inherits developer
    ("uv", "v", "u", ""),  # each followed once: no loop
    ("u", "us", "", "abcefghijklmnopqrstwz234567ACD"),
    ("ov", "", "x", "ox"),
]


def _letters(caps: Caps) -> str:
    return "".join(c for c in "abcdefghijklmnopqrstuvwxyz234567ACD" if caps.has(c))


@pytest.mark.parametrize("cap, granted", EXPANSIONS)
def test_expansion_as_fossil(cap: str, granted: str) -> None:
    caps = expand(cap)
    assert _letters(caps) == granted
    assert caps.letters == granted  # Fossil's order: a-z, 0-9, A-Z
    assert caps.has(granted) and caps == frozenset(granted)


@pytest.mark.parametrize("cap, reader, developer, granted", INHERITED)
def test_u_and_v_inherit_once(cap: str, reader: str, developer: str, granted: str) -> None:
    table = {"reader": reader, "developer": developer}
    assert sorted(expand(cap, table.get)) == sorted(granted)


def test_caps_is_immutable_and_answers_by_letter_or_name() -> None:
    caps = expand("io2")
    assert caps.has("") and caps.has("o") and caps.has("io") and not caps.has("oh")
    assert caps.read and caps.write and caps.rd_forum and not caps.clone and not caps.setup
    assert not caps.has("u") and not caps.has("L")  # u, v, L are never flags
    with pytest.raises(AttributeError):
        caps.add("s")  # type: ignore[attr-defined]
    both = caps | expand("g")
    assert isinstance(both, Caps) and both.clone and not caps.clone
    assert isinstance(frozenset("x") | caps, Caps)
    assert caps.plus_flags("a").admin and not caps.plus_flags("a").clone  # no implication
    assert NO_CAPS == frozenset() and not NO_CAPS
    assert expand("s").setup and expand("s").admin and not expand("a").setup
    assert not expand("s").private and not expand("s").wr_unver
    assert repr(expand("ik")) == "Caps('ijkmo')"


def test_named_properties_cover_every_letter() -> None:
    names = [n for n, v in vars(Caps).items() if isinstance(v, property) and n != "letters"]
    letters = {n: next(c for c in "abcdefghijklmnopqrstwxyz234567ACD" if getattr(Caps(c), n)) for n in names}
    assert sorted(letters.values()) == sorted("abcefghijklmnopqrstwxyz234567ACD")


#: (cap, nobody, anonymous, reader, developer, fullcap) per capability_expand.
FULLCAPS = [
    ("", "gjorz", "hmnc", "kptw", "ei", "cghjmnorz"),
    ("u", "gjorz", "hmnc", "kptw", "ei", "cghjkmnoprtuwz"),
    ("v", "gjorz", "hmnc", "kptw", "ei", "ceghijmnorvz"),
    ("a", "gjorz", "hmnc", "kptw", "ei", "abcdefghijklmnopqrtwz234567AD"),
    ("x*?y", "gjorz", "hmnc", "kptw", "ei", "cghjmnorxyz"),
    ("u", "", "", "v", "e", "euv"),  # reader's v pulls in developer after all
    ("k", "", "", "", "", "k"),  # no implication besides a/s/u/v
]


@pytest.mark.parametrize("cap, nobody, anon, reader, dev, want", FULLCAPS)
def test_fullcap(cap: str, nobody: str, anon: str, reader: str, dev: str, want: str) -> None:
    special = {"nobody": nobody, "anonymous": anon, "reader": reader, "developer": dev}
    assert fullcap(cap, special) == want


# -- passwords -----------------------------------------------------------------


def test_shared_secret_and_forms() -> None:
    assert shared_secret("pw1", "alice", "PC") == hashlib.sha1(b"PC/alice/pw1").hexdigest()
    assert shared_secret("pw1", "alice", None) == "pw1" and shared_secret("pw1", "alice", "") == "pw1"
    # bytes that are not UTF-8 are hashed as the bytes Fossil would hash
    assert shared_secret("p\udce9", "j\udce9", "PC") == hashlib.sha1(b"PC/j\xe9/p\xe9").hexdigest()
    assert is_sha1_hex("a" * 40) and is_sha1_hex("A" * 40) and not is_sha1_hex("g" * 40)
    assert not is_sha1_hex("a" * 39)


@pytest.mark.parametrize("stored, password, ok", [
    (hashlib.sha1(b"PC/bob/pw1").hexdigest(), "pw1", True),
    (hashlib.sha1(b"PC/bob/pw1").hexdigest(), "pw2", False),
    (hashlib.sha1(b"PC/bob/pw1").hexdigest(), hashlib.sha1(b"PC/bob/pw1").hexdigest(), False),
    ("cleartext", "cleartext", True),  # cleartext form (initial users)
    ("cleartext", "Cleartext", False),
    ("", "", False),
    (None, "x", False),
    ("a" * 40, "a" * 40, False),  # 40 characters is always the hashed form
])
def test_password_matches(stored: str | None, password: str, ok: bool) -> None:
    assert password_matches(stored, password, "bob", "PC") is ok


def test_login_card_signatures() -> None:
    nonce = hashlib.sha1(b"rest of the message").hexdigest()
    secret = shared_secret("pw1", "bob", "PC")

    def sig(value: str) -> str:
        return hashlib.sha1((nonce + value).encode()).hexdigest()

    assert login_card_matches(secret, "bob", "PC", nonce, sig(secret))  # server stores the secret
    assert not login_card_matches(secret, "bob", "PC", nonce, sig("pw1"))
    assert login_card_matches("pw1", "bob", "PC", nonce, sig("pw1"))  # cleartext on both sides
    assert login_card_matches("pw1", "bob", "PC", nonce, sig(secret))  # client sent the secret
    assert not login_card_matches("pw1", "bob", "PC", nonce, sig("pw2"))
    assert not login_card_matches(secret, "bob", "PC", nonce, "\ufffd" * 40)  # no TypeError


def test_setup_user_and_effective_caps(created_repo) -> None:  # type: ignore[no-untyped-def]
    """The first user with s (Fossil's ``cap LIKE '%s%'``); caps in force over the web and sync."""
    from fossilpy.repo import users
    from fossilpy.repo.capabilities import effective_caps, setup_user, with_nobody_anonymous

    repo = created_repo
    assert setup_user(repo) == (1, "alice")
    users.set_capabilities(repo, "alice", "o")
    assert setup_user(repo) is None
    uid = users.create_user(repo, "bob", password="x", caps="vS")  # LIKE: any case
    assert setup_user(repo) == (uid, "bob")
    own = expand("v", {"developer": "ei"}.get)
    caps, anon = with_nobody_anonymous(repo, own, logged_in=True)
    assert caps == anon == expand("gjorz") | expand("hmnc") | own == effective_caps(repo, "bob")
    caps, anon = with_nobody_anonymous(repo, NO_CAPS, logged_in=False)
    assert caps == expand("gjorz") == effective_caps(repo, None) and anon == caps | expand("hmnc")
    assert effective_caps(repo, "bob", sync=True) == expand("gjorz") | own


def test_same_secret_takes_any_text() -> None:
    """Cookies, captcha answers and passwords come from clients: non-ASCII or lone surrogates
    compare as unequal instead of raising (hmac.compare_digest refuses non-ASCII str)."""
    from fossilpy.repo.capabilities import same_secret

    assert same_secret("3f2a", "3f2a")
    assert not same_secret("3f2a", "3f2b")
    assert not same_secret("3f2a", "\u00e9\u00e9")
    assert same_secret("\u00e9\udcff", "\u00e9\udcff")
    assert not same_secret("", "a")
