"""Login groups: repositories that share their users' logins (Fossil's ``login.c``).

Config rows of a member (Fossil 2.21's layout, which fossil and fossilpy
both read and write):

    login-group-name     the group's name (shown by ``login-group``)
    login-group-code     16 random hex digits, the same in every member; the
                         login cookie is called ``fossil-`` + its first 16
                         characters instead of the project code's, and is
                         set for the path "/" so every member sees it
    peer-repo-CODE       the file name of each other member, CODE the first
                         16 characters of that member's project code
    peer-name-CODE       that member's project name

A login cookie ``HASH/CODE/LOGIN`` names the member where the login was
made; a member that does not know the HASH asks that member's user table
(:func:`transfer_credentials`).  Joining writes these rows into this
repository, the repository joined and every other member
(:func:`join`); leaving removes them (:func:`leave`).  Password changes are
not propagated to the other members (Fossil does that from its setup pages).
"""

from __future__ import annotations

import hmac
import os
import sqlite3
from typing import TYPE_CHECKING
from urllib.parse import quote

from fossilpy.errors import UserError
from fossilpy.repo.capabilities import SPECIAL_USERS

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


def _peer(path: str, *, readonly: bool) -> sqlite3.Connection:
    mode = "ro" if readonly else "rw"
    return sqlite3.connect(f"file:{quote(path)}?mode={mode}", uri=True, timeout=5, isolation_level=None)


def transfer_credentials(repo: Repo, login: str, code: str, cookie_hash: str) -> bool:
    """Fossil's ``login_transfer_credentials``: accept a login made on the peer ``code``.

    When ``login`` holds the unexpired ``cookie_hash`` in that peer's user
    table, the hash and its expiry are copied into this repository's row for
    ``login`` (which must exist here): True if copied.  The peer is only read.
    """
    if login in SPECIAL_USERS or len(cookie_hash) <= 30 or not code:
        return False
    path = repo.config_get("peer-repo-" + code)
    if not path:
        return False
    try:
        peer = _peer(str(path), readonly=True)
    except sqlite3.Error:
        return False
    try:
        row = peer.execute(
            "SELECT cexpire, cookie FROM user WHERE login=? AND length(cap)>0 AND length(pw)>0"
            " AND cexpire>julianday('now')",
            (login,),
        ).fetchone()
    except sqlite3.Error:
        row = None
    finally:
        peer.close()
    if row is None or not row[1] or not hmac.compare_digest(str(row[1]), cookie_hash):
        return False
    with repo.write():
        repo.execute("UPDATE user SET cookie=?, cexpire=? WHERE login=?", (cookie_hash, float(row[0]), login))
    return True


def group(repo: Repo) -> tuple[str | None, list[str]]:
    """(group name or None, the other members' file names) as ``fossil login-group`` lists them."""
    name = repo.config_get("login-group-name")
    peers = [str(v) for (v,) in repo.all("SELECT value FROM config WHERE name LIKE 'peer-repo-%'")]
    return (str(name) if name else None), peers


def _code(repo: Repo) -> str:
    return str(repo.config_get("project-code", "x") or "x")[:16]


def _each_peer(repo: Repo, statements: list[tuple[str, tuple[object, ...]]]) -> list[str]:
    """Run ``statements`` in one transaction in every other member (Fossil's ``login_group_sql``);
    errors as text.  A member whose file is gone is dropped from this repository's rows, as Fossil does."""
    errors = []
    rows = repo.all(
        "SELECT name, value FROM config WHERE name GLOB 'peer-repo-*' AND name<>? ORDER BY +value",
        ("peer-repo-" + _code(repo),),
    )
    for name, path in rows:
        if not os.path.exists(str(path)):
            with repo.write():
                repo.execute("DELETE FROM config WHERE name GLOB ?", ("peer-*-" + str(name)[10:],))
            continue
        try:
            peer = _peer(str(path), readonly=False)
            try:
                peer.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    peer.execute(sql, params)
                peer.execute("COMMIT")
            finally:
                peer.close()
        except sqlite3.Error as exc:
            errors.append(f"{path}: {exc}")
    return errors


def leave(repo: Repo) -> list[str]:
    """Fossil's ``login_group_leave``: out of the group, here and in every other member's rows."""
    errors = _each_peer(
        repo,
        [
            ("DELETE FROM config WHERE name GLOB 'peer-*-' || ?", (_code(repo),)),
            (
                "DELETE FROM config WHERE name='login-group-name'"
                " AND (SELECT count(*) FROM config WHERE name GLOB 'peer-*')==0",
                (),
            ),
        ],
    )
    with repo.write():
        repo.execute("DELETE FROM config WHERE name GLOB 'peer-*' OR name GLOB 'login-group-*'")
    return errors


def join(repo: Repo, other: str, new_name: str | None) -> list[str]:
    """Fossil's ``login_group_join`` (without the password check of its setup page).

    Copies the group rows of ``other`` (creating the group there, called
    ``new_name``, when it has none) into this repository, then records this
    repository in every member.  Raises UserError as Fossil refuses."""
    other_path = os.path.realpath(other)
    self_path = os.path.realpath(repo.path)
    if other_path == self_path:
        raise UserError('The "other" repository is the same as this one.')
    if not os.path.exists(other_path):
        raise UserError(f'repository file "{other_path}" does not exist')
    try:
        peer = _peer(other_path, readonly=False)
        peer.execute("SELECT count(*) FROM user").fetchone()
    except sqlite3.Error as exc:
        raise UserError(str(exc)) from None
    self_code = _code(repo)
    self_label = str(repo.config_get("project-name") or repo.config_get("project-code", "unknown"))
    try:
        row = peer.execute("SELECT value FROM config WHERE name='project-code'").fetchone()
        other_code = str(row[0] if row else "x")[:16]
        other_name = peer.execute("SELECT value FROM config WHERE name='project-name'").fetchone()
        peer.execute("BEGIN IMMEDIATE")
        peer.execute("INSERT OR IGNORE INTO config(name,value) VALUES('login-group-name',?)", (new_name,))
        peer.execute("INSERT OR IGNORE INTO config(name,value) VALUES('login-group-code',lower(hex(randomblob(8))))")
        peer.execute("COMMIT")
        copied = peer.execute(
            "SELECT name, value FROM config WHERE name GLOB 'peer-*' OR name GLOB 'login-group-*'"
        ).fetchall()
    finally:
        peer.close()
    with repo.write():
        repo.execute("DELETE FROM config WHERE name GLOB 'peer-*'")
        repo.execute("INSERT INTO config(name,value) VALUES(?,?)", ("peer-repo-" + other_code, other_path))
        if other_name is not None:
            repo.execute("INSERT INTO config(name,value) VALUES(?,?)", ("peer-name-" + other_code, other_name[0]))
        for name, value in copied:
            repo.execute("REPLACE INTO config(name,value) VALUES(?,?)", (name, value))
    now = "REPLACE INTO config(name,value,mtime) VALUES(?,?,CAST(strftime('%s','now') AS INTEGER))"
    return _each_peer(
        repo, [(now, ("peer-name-" + self_code, self_label)), (now, ("peer-repo-" + self_code, self_path))]
    )
