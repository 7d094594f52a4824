"""Create a new repository file, as ``fossil init`` 2.21 does.

A new repository holds:

* the full schema (:func:`fossilpy.repo.schema.new_repository_sql`), page
  size 4096, ``application_id`` 252006673, journal mode DELETE;
* config rows, each with ``mtime`` = creation time in unix seconds::

      hash-policy     2 (0 with sha1=True)
      content-schema  2
      aux-schema      2015-01-24
      rebuilt         version string of the program that wrote it
      admin-log       1
      access-log      1
      server-code     40 random lowercase hex digits
      project-code    40 random lowercase hex digits
      autosync        1
      localauth       0
      timeline-plaintext 1
      project-name    (only when given)

* the five default users (:func:`fossilpy.repo.users.create_default_users`);
* one ``rcvfrom`` row (uid of the setup user, no nonce, no address);
* the initial empty check-in, crosslinked::

      C initial\\sempty\\scheck-in
      D <creation time, YYYY-MM-DDTHH:MM:SS.SSS>
      R d41d8cd98f00b204e9800998ecf8427e
      T *branch * trunk
      T *sym-trunk *
      U <setup user>
      Z <md5 of the above>
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping

from fossilpy.errors import StorageError, UserError
from fossilpy.repo import schema
from fossilpy.repo.db import Repo

#: MD5 of no input: the R card of a check-in without files.
EMPTY_R_CARD = "d41d8cd98f00b204e9800998ecf8427e"

INITIAL_COMMENT = "initial empty check-in"


def rebuilt_version() -> str:
    """The value written to config ``rebuilt``."""
    from fossilpy import FOSSIL_COMPAT_VERSION, __version__

    return f"fossilpy {__version__} (Fossil {FOSSIL_COMPAT_VERSION} compatible)"


def standard_date(db: sqlite3.Connection, text: str | None) -> str:
    """A date as written in D cards; UserError if SQLite cannot read it."""
    row = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%f', ?)", (text or "now",)).fetchone()
    if not row or not row[0]:
        raise UserError(f'unrecognized date format ({text}): use "YYYY-MM-DD HH:MM:SS.SSS"')
    return str(row[0])


def initial_checkin(date: str, user: str) -> bytes:
    """The text of the initial empty check-in."""
    from fossilpy.artifact.manifest import ArtifactType, Manifest, TagCard

    m = Manifest(
        type=ArtifactType.MANIFEST,
        comment=INITIAL_COMMENT,
        date=date,
        repo_cksum=EMPTY_R_CARD,
        tags=[TagCard("*", "branch", None, "trunk"), TagCard("*", "sym-trunk", None, None)],
        user=user,
    )
    return m.to_bytes()


def create_repository(
    path: str | os.PathLike[str],
    *,
    admin_user: str | None = None,
    sha1: bool = False,
    project_name: str | None = None,
    date: str | None = None,
    env: Mapping[str, str] | None = None,
    initial: bool = True,
) -> Repo:
    """Create a repository at ``path`` and return it open for writing.

    ``admin_user`` names the setup user; without it the name comes from
    ``env`` (FOSSIL_USER, USER, LOGNAME, USERNAME; the CLI passes the
    process environment) or is "root".  ``date`` overrides the time of the
    initial check-in (any form SQLite understands).  ``initial=False``
    skips the initial check-in (as ``fossil clone`` does).  The file is
    removed again if anything fails.
    """
    path = os.fspath(path)
    if os.path.lexists(path):
        raise UserError(f"file already exists: {path}")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UserError(f"directory does not exist: {parent}")
    try:
        db = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot create {path}: {exc}") from None
    try:
        try:
            checkin_date = standard_date(db, date)
            db.execute(f"PRAGMA page_size={schema.PAGE_SIZE}")
            db.execute("PRAGMA journal_mode=DELETE")
            db.executescript("BEGIN;\n" + schema.new_repository_sql() + "COMMIT;\n")
        finally:
            db.close()
        repo = Repo.open(path)
        try:
            _initial_setup(repo, admin_user, sha1, project_name, checkin_date, env, initial)
        except BaseException:
            repo.close()
            raise
    except BaseException:
        remove_database(path)
        raise
    return repo


def _initial_setup(
    repo: Repo,
    admin_user: str | None,
    sha1: bool,
    project_name: str | None,
    checkin_date: str,
    env: Mapping[str, str] | None,
    initial: bool,
) -> None:
    from fossilpy.artifact import hname
    from fossilpy.repo import content, users

    login = admin_user or users.default_admin_login(env)
    with repo.write():
        now = int(repo.one("SELECT strftime('%s','now')"))
        rows = [
            ("hash-policy", str(hname.POLICY_SHA1 if sha1 else hname.POLICY_SHA3)),
            ("content-schema", schema.CONTENT_SCHEMA),
            ("aux-schema", schema.AUX_SCHEMA_MAX),
            ("rebuilt", rebuilt_version()),
            ("admin-log", "1"),
            ("access-log", "1"),
            ("server-code", os.urandom(20).hex()),
            ("project-code", os.urandom(20).hex()),
            ("autosync", "1"),
            ("localauth", "0"),
            ("timeline-plaintext", "1"),
        ]
        if project_name:
            rows.append(("project-name", project_name))
        repo.db.executemany(
            "REPLACE INTO config(name,value,mtime) VALUES(?,?,?)",
            [(name, value, now) for name, value in rows],
        )
        uid = users.create_default_users(repo, login)
        if not initial:
            return
        rcvid = content.begin_receive(repo, uid=uid)
        text = initial_checkin(checkin_date, login)
        rid = content.put(repo, text, rcvid=rcvid)
        from fossilpy.repo.crosslink import crosslink

        crosslink(repo, rid, text)


def remove_database(path: str) -> None:
    """Delete an SQLite file and its journal/WAL companions, ignoring absent ones."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except OSError:
            pass
