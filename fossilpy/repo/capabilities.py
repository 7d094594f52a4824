"""Capabilities and passwords: the one place that answers "may this user do X".

Capabilities (Fossil 2.21 ``src/login.c``)
------------------------------------------

A user's ``user.cap`` is a string of letters (:data:`CAP_NAMES`).  Some
letters grant more than themselves, exactly as ``login_set_capabilities``
does::

    s   setup, and everything a grants
    a   admin: a r w z j k f m h g n p e t b c l q 2 3 4 5 6 C 7 A D, and o i
    i   check-in: i o             k   write wiki: k j m
    w   write tickets: w r n c    6 > 5 > 4 > 3 > 2   (forum levels)
    u   all caps of user "reader"     v   all caps of user "developer"
        (each followed at most once per expansion)
    d, unknown letters    nothing

``x`` (private content) and ``y`` (unversioned writes) are never implied.
The result is a :class:`Caps`: an immutable set of the granted letters
(never ``u``, ``v`` or ``d``).  **"May this user do X" is asked in one
way:** ``caps.has(LETTERS)`` (True if every letter is granted, as
``login_has_capability``), or one of the named properties mirroring
Fossil's ``FossilUserPerms`` fields (``caps.read`` for ``o``,
``caps.write`` for ``i``, ``caps.clone`` for ``g`` ...).

Which caps are in force (``login_set_uid`` and
``login_set_anon_nobody_capabilities``): the user's own, plus
``nobody``'s always, plus ``anonymous``'s for any logged-in user -
except over ``/xfer`` (sync), where a client never gets anonymous's
(:func:`with_nobody_anonymous`, :func:`effective_caps`).  The alert
mailer uses another expansion, Fossil's SQL ``fullcap()``
(``capabilities.c``, :func:`fullcap`).

Passwords (``src/sha1.c`` ``sha1_shared_secret``, ``login.c``)
---------------------------------------------------------------

``user.pw`` holds either 40 hex digits, SHA1(project-code "/" login "/"
password) - the "shared secret" every password change stores - or, for
users made by ``init`` and for ``anonymous``, the password in cleartext.
A password is right if its shared secret equals the stored value or, when
the stored value is not 40 characters long, if it equals the stored value
(:func:`password_matches`).  A sync login card signs a nonce with the
stored value, or with the shared secret of a cleartext one
(:func:`login_card_matches`, ``xfer.c`` ``check_login``).  The four
:data:`SPECIAL_USERS` never log in by password.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from fossilpy.artifact import hname
from fossilpy.text import is_digits

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

#: The built-in users that can never log in with a password.
SPECIAL_USERS = ("anonymous", "nobody", "developer", "reader")

#: Capability letter -> short description (as shown on the user pages).
CAP_NAMES: dict[str, str] = {
    "a": "Admin",
    "b": "Attach",
    "c": "Append-Tkt",
    "d": "Delete (unused)",
    "e": "View-PII",
    "f": "New-Wiki",
    "g": "Clone",
    "h": "Hyperlinks",
    "i": "Check-In",
    "j": "Read-Wiki",
    "k": "Write-Wiki",
    "l": "Mod-Wiki",
    "m": "Append-Wiki",
    "n": "New-Tkt",
    "o": "Check-Out",
    "p": "Password",
    "q": "Mod-Tkt",
    "r": "Read-Tkt",
    "s": "Setup",
    "t": "Tkt-Report",
    "u": "Reader",
    "v": "Developer",
    "w": "Write-Tkt",
    "x": "Private",
    "y": "Write-Unver",
    "z": "Zip download",
    "2": "Forum-Read",
    "3": "Forum-Write",
    "4": "Forum-Trusted",
    "5": "Forum-Mod",
    "6": "Forum-Admin",
    "7": "Email-Alerts",
    "A": "Announce",
    "C": "Chat",
    "D": "Debug",
}

#: What ``a`` grants (``s`` grants the same plus ``s``).
ADMIN_GRANTS = frozenset("arwzjkfmhgnpetbclq23456C7ADoi")

#: Letter -> the letters it grants, for every letter that grants anything
#: but ``u``/``v`` (the switch of ``login_set_capabilities``).
GRANTS: Mapping[str, frozenset[str]] = {
    **{c: frozenset(c) for c in "ozhgpjmflerncqtbxy27ACD"},
    "s": ADMIN_GRANTS | {"s"},
    "a": ADMIN_GRANTS,
    "i": frozenset("io"),
    "k": frozenset("kjm"),
    "w": frozenset("wrnc"),
    "6": frozenset("65432"),
    "5": frozenset("5432"),
    "4": frozenset("432"),
    "3": frozenset("32"),
}

#: ``u`` and ``v``: the user whose caps they inherit.
INHERITS = {"u": "reader", "v": "developer"}


def _flag(letter: str, doc: str) -> property:
    return property(lambda self: letter in self, doc=f"``{letter}``: {doc}")


class Caps(frozenset[str]):
    """The capability letters granted, after expansion; immutable.

    ``has("oh")`` is the one test ("every letter granted"); ``has("")``
    is True.  ``a | b`` is a Caps again.  Build one with :func:`expand`
    (letters as stored in ``user.cap``) or :func:`expand_for` (``u``/``v``
    looked up in a repository); ``Caps("oh")`` takes letters as already
    expanded flags.  The properties are Fossil's ``FossilUserPerms``
    fields.
    """

    __slots__ = ()

    def has(self, letters: str) -> bool:
        """True if every letter of ``letters`` is granted (``login_has_capability``)."""
        return all(c in self for c in letters)

    def __or__(self, other: Iterable[str]) -> Caps:  # type: ignore[override]
        return Caps(frozenset.union(self, other))

    __ror__ = __or__

    def plus_flags(self, letters: str) -> Caps:
        """These caps and exactly the flags ``letters``, none implied
        (Fossil code setting ``g.perm.Read = 1`` and the like directly)."""
        return Caps(frozenset.union(self, letters))

    @property
    def letters(self) -> str:
        """The granted letters in Fossil's order: a-z, 0-9, A-Z."""
        return "".join(sorted(self, key=lambda c: (not c.islower(), not is_digits(c), c)))

    def __repr__(self) -> str:
        return f"Caps({self.letters!r})"

    setup = _flag("s", "Setup")
    admin = _flag("a", "Admin")
    read = _flag("o", "Read (check-out, pull)")
    write = _flag("i", "Write (check-in, push)")
    clone = _flag("g", "Clone")
    private = _flag("x", "Private (sync private content)")
    wr_unver = _flag("y", "WrUnver (push unversioned files)")
    rd_addr = _flag("e", "RdAddr (see e-mail addresses)")
    hyperlink = _flag("h", "Hyperlink")
    zip = _flag("z", "Zip (download archives)")
    password = _flag("p", "Password (change one's own)")
    rd_wiki = _flag("j", "RdWiki")
    wr_wiki = _flag("k", "WrWiki")
    apnd_wiki = _flag("m", "ApndWiki")
    new_wiki = _flag("f", "NewWiki")
    mod_wiki = _flag("l", "ModWiki")
    rd_tkt = _flag("r", "RdTkt")
    new_tkt = _flag("n", "NewTkt")
    wr_tkt = _flag("w", "WrTkt")
    apnd_tkt = _flag("c", "ApndTkt")
    mod_tkt = _flag("q", "ModTkt")
    tkt_fmt = _flag("t", "TktFmt")
    attach = _flag("b", "Attach")
    rd_forum = _flag("2", "RdForum")
    wr_forum = _flag("3", "WrForum")
    wr_tforum = _flag("4", "WrTForum (trusted forum writer)")
    mod_forum = _flag("5", "ModForum")
    admin_forum = _flag("6", "AdminForum")
    email_alert = _flag("7", "EmailAlert")
    announce = _flag("A", "Announce")
    chat = _flag("C", "Chat")
    debug = _flag("D", "Debug")


#: No capability at all.
NO_CAPS = Caps()


def expand(letters: str | None, lookup: Callable[[str], str | None] | None = None) -> Caps:
    """The caps granted by the ``user.cap`` letters ``letters`` (``login_set_capabilities``).

    ``lookup(login)`` returns another user's cap string; it resolves ``u``
    (user ``reader``) and ``v`` (user ``developer``), each followed once.
    Without it, ``u`` and ``v`` grant nothing.
    """
    out: set[str] = set()
    followed: set[str] = set()
    todo = [letters or ""]
    while todo:
        for ch in todo.pop():
            granted = GRANTS.get(ch)
            if granted is not None:
                out |= granted
            elif ch in INHERITS:
                who = INHERITS[ch]
                if who not in followed and lookup is not None:
                    followed.add(who)
                    todo.append(lookup(who) or "")
    return Caps(out)


def user_caps(repo: Repo, login: str) -> str:
    """The raw ``user.cap`` of ``login`` ('' if no such user)."""
    return repo.one("SELECT cap FROM user WHERE login=?", (login,), "") or ""


def expand_for(repo: Repo, letters: str | None) -> Caps:
    """:func:`expand` with ``u``/``v`` looked up in ``repo``'s user table."""
    if not letters or not ("u" in letters or "v" in letters):
        return expand(letters)
    return expand(letters, lambda who: user_caps(repo, who))


def setup_user(repo: Repo) -> tuple[int, str] | None:
    """(uid, login) of the first user whose letters hold ``s`` (any case, as
    Fossil's ``cap LIKE '%s%'``): whom a trusted door (localauth, ssh
    ``test-http``, ``file://``) and a new clone act as; None if nobody has it."""
    row = repo.row("SELECT uid, login FROM user WHERE cap LIKE '%s%' ORDER BY uid LIMIT 1")
    return None if row is None else (int(row[0]), str(row[1]))


def with_nobody_anonymous(repo: Repo, caps: Caps, *, logged_in: bool) -> tuple[Caps, Caps]:
    """(caps in force, caps an anonymous login would have): Fossil's
    ``login_set_anon_nobody_capabilities``.

    Everybody gets ``nobody``'s caps; a logged-in visitor also gets
    ``anonymous``'s (and then both values are equal).
    """
    caps = caps | expand_for(repo, user_caps(repo, "nobody"))
    anon = caps | expand_for(repo, user_caps(repo, "anonymous"))
    return (anon if logged_in else caps), anon


def effective_caps(repo: Repo, login: str | None, *, sync: bool = False) -> Caps:
    """Capabilities of a request made as ``login`` (None or "nobody": not logged in).

    Everybody gets ``nobody``'s caps; a logged-in user (anonymous included)
    also gets ``anonymous``'s, except for sync (``sync=True``).
    """
    text = user_caps(repo, "nobody")
    if login and login != "nobody":
        text += user_caps(repo, login)
        if not sync:
            text += user_caps(repo, "anonymous")
    return expand_for(repo, text)


#: What ``a`` and ``s`` add in Fossil's ``capability_expand`` (alerts).
FULLCAP_ADMIN = "bcdefghijklmnopqrtwz234567AD"


def fullcap(cap: str | None, special: Mapping[str, str | None]) -> str:
    """Fossil's SQL ``fullcap(cap)`` (``capabilities.c`` ``capability_expand``).

    A letter string, not a :class:`Caps`: ``cap`` plus the caps of
    ``anonymous`` and ``nobody``, the admin letters for ``a``/``s``,
    ``developer``'s for ``v`` and ``reader``'s for ``u`` (then
    ``developer``'s if reader has ``v``); no other implication.  Only
    letters and digits, in Fossil's order (``capability_string``).
    ``special`` maps those four logins to their ``user.cap``.
    """
    caps = set(cap or "") | set(special.get("anonymous") or "") | set(special.get("nobody") or "")
    if "a" in caps or "s" in caps:
        caps |= set(FULLCAP_ADMIN)
    done_v = False
    if "v" in caps:
        caps |= set(special.get("developer") or "")
        done_v = True
    if "u" in caps:
        caps |= set(special.get("reader") or "")
        if "v" in caps and not done_v:
            caps |= set(special.get("developer") or "")
    return Caps(c for c in caps if c.isascii() and c.isalnum()).letters


def fullcap_for(repo: Repo, cap: str | None) -> str:
    """:func:`fullcap` with the special users' caps read from ``repo``."""
    special = dict(repo.all(
        "SELECT login, cap FROM user WHERE login IN ('nobody','anonymous','reader','developer')"
    ))
    return fullcap(cap, special)


# ---------------------------------------------------------------------------
# Passwords.
# ---------------------------------------------------------------------------


def shared_secret(password: str, login: str, project_code: str | None) -> str:
    """SHA1(project-code "/" login "/" password) in hex; the password itself
    when the project code is unknown (first round of a clone)."""
    if not project_code:
        return password
    return _sha1_hex(f"{project_code}/{login}/{password}")


def is_sha1_hex(text: str) -> bool:
    """True if ``text`` is 40 hex digits (a stored shared secret)."""
    return len(text) == 40 and all(c in "0123456789abcdefABCDEF" for c in text)


def password_matches(stored: str | None, password: str, login: str, project_code: str | None) -> bool:
    """True if ``password`` (cleartext) matches the stored ``user.pw``."""
    if not stored:
        return False
    if same_secret(stored, shared_secret(password, login, project_code)):
        return True
    return len(stored) != 40 and same_secret(stored, password)


def same_secret(a: str, b: str) -> bool:
    """``a == b`` in constant time (any str, surrogates and non-ASCII included): the one
    comparison of passwords, cookies and captcha answers."""
    import hmac  # here: hmac and hashlib load OpenSSL, which a page that checks no password does not need

    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def login_card_matches(stored: str, login: str, project_code: str | None, nonce: str, sig: str) -> bool:
    """True if a sync ``login LOGIN NONCE SIG`` card is signed with ``stored`` (``user.pw``).

    ``SIG`` is SHA1(NONCE + PW) for the stored value PW, or, for a
    cleartext PW (not 40 characters), SHA1(NONCE + shared secret of PW).
    """
    if same_secret(_sha1_hex(nonce + stored), sig):
        return True
    if len(stored) == 40:
        return False
    return same_secret(_sha1_hex(nonce + shared_secret(stored, login, project_code)), sig)


def _sha1_hex(text: str) -> str:
    return hname.sha1(text.encode("utf-8", "surrogateescape"))


# ---------------------------------------------------------------------------
# The capability key (``capabilities.c`` ``aCap[]``), for /setup_ucap_list.
# ---------------------------------------------------------------------------

#: Classes of capabilities, as Fossil's CAPCLASS_* bits.
CAPCLASS_CODE, CAPCLASS_WIKI, CAPCLASS_TKT, CAPCLASS_FORUM = 0x01, 0x02, 0x04, 0x08
CAPCLASS_DATA, CAPCLASS_ALERT, CAPCLASS_OTHER, CAPCLASS_SUPER = 0x10, 0x20, 0x40, 0x80
CAPCLASS_ALL = 0xFFFF

#: (letter, classes, short name, one-line meaning) of every letter Fossil
#: documents, in its order (``d`` is unused and not listed).
CAP_TABLE: tuple[tuple[str, int, str, str], ...] = (
    ("a", CAPCLASS_SUPER, "Admin", "Create and delete users"),
    ("b", CAPCLASS_WIKI | CAPCLASS_TKT, "Attach", "Add attachments to wiki or tickets"),
    ("c", CAPCLASS_TKT, "Append-Tkt", "Append to existing tickets"),
    ("e", CAPCLASS_DATA, "View-PII", "View sensitive info such as email addresses"),
    ("f", CAPCLASS_WIKI, "New-Wiki", "Create new wiki pages"),
    ("g", CAPCLASS_DATA, "Clone", "Clone the repository"),
    ("h", CAPCLASS_OTHER, "Hyperlinks", "Show hyperlinks to detailed repository history"),
    ("i", CAPCLASS_CODE, "Check-In", "Check-in code changes"),
    ("j", CAPCLASS_WIKI, "Read-Wiki", "View wiki pages"),
    ("k", CAPCLASS_WIKI, "Write-Wiki", "Edit wiki pages"),
    ("l", CAPCLASS_WIKI | CAPCLASS_SUPER, "Mod-Wiki", "Moderator for wiki pages"),
    ("m", CAPCLASS_WIKI, "Append-Wiki", "Append to wiki pages"),
    ("n", CAPCLASS_TKT, "New-Tkt", "Create new tickets"),
    ("o", CAPCLASS_CODE, "Check-Out", "Check out code"),
    ("p", CAPCLASS_OTHER, "Password", "Change your own password"),
    ("q", CAPCLASS_TKT | CAPCLASS_SUPER, "Mod-Tkt", "Moderate tickets"),
    ("r", CAPCLASS_TKT, "Read-Tkt", "View tickets"),
    ("s", CAPCLASS_SUPER, "Superuser", "Setup and configure the repository"),
    ("t", CAPCLASS_TKT, "Reports", "Create new ticket report formats"),
    ("u", CAPCLASS_OTHER, "Reader", 'Inherit all the capabilities of the "reader" user'),
    ("v", CAPCLASS_OTHER, "Developer", 'Inherit all capabilities of the "developer" user'),
    ("w", CAPCLASS_TKT, "Write-Tkt", "Edit tickets"),
    ("x", CAPCLASS_DATA, "Private", "Push and/or pull private branches"),
    ("y", CAPCLASS_SUPER, "Write-UV", "Push unversioned content"),
    ("z", CAPCLASS_CODE, "Zip-Download", "Download a ZIP archive, tarball, or SQL archive"),
    ("2", CAPCLASS_FORUM, "Forum-Read", "Read forum posts by others"),
    ("3", CAPCLASS_FORUM, "Forum-Write", "Create new forum messages"),
    ("4", CAPCLASS_FORUM, "Forum-Trusted", "Create forum messages that bypass moderation"),
    ("5", CAPCLASS_FORUM | CAPCLASS_SUPER, "Forum-Mod", "Moderator for forum messages"),
    ("6", CAPCLASS_FORUM | CAPCLASS_SUPER, "Forum-Admin", "Grant capability '4' to other users"),
    ("7", CAPCLASS_ALERT, "Alerts", "Sign up for email alerts"),
    ("A", CAPCLASS_ALERT | CAPCLASS_SUPER, "Announce", "Send announcements to all subscribers"),
    ("C", CAPCLASS_FORUM, "Chat", "Read and/or writes messages in the chatroom"),
    ("D", CAPCLASS_OTHER, "Debug", "Enable debugging features"),
)


def unknown_letters(letters: str) -> str:
    """The letters of ``letters`` that are no capability (:data:`CAP_NAMES`), in order, once each."""
    out = ""
    for c in letters:
        if c not in CAP_NAMES and c not in out:
            out += c
    return out


def count_users(repo: Repo) -> dict[str, int]:
    """letter -> how many users hold it by :func:`fullcap` (``capabilities_count``)."""
    counts: dict[str, int] = {}
    special = dict(repo.all(
        "SELECT login, cap FROM user WHERE login IN ('nobody','anonymous','reader','developer')"
    ))
    for (cap,) in repo.all("SELECT cap FROM user"):
        for c in fullcap(cap, special):
            counts[c] = counts.get(c, 0) + 1
    return counts
