"""The repository handle: one SQLite connection and explicit transactions.

Every write goes through ``with repo.write():`` which is ``BEGIN IMMEDIATE``
... ``COMMIT`` (``ROLLBACK`` if the block raises).  Nested ``write()`` blocks
join the outer transaction, so a function that writes can be called both on
its own and inside a bigger unit of work.  Reads need no transaction.

A file is accepted as a repository when, as in Fossil's
``db_looks_like_a_repository()``, it is an SQLite database holding the tables
blob, delta, rcvfrom, user, config, mlink and plink.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fossilpy import budget, settings
from fossilpy.errors import RepositoryBusy, StorageError

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.crosslink import Batch

#: Tables that must exist for a file to count as a repository.
REQUIRED_TABLES = ("blob", "delta", "rcvfrom", "user", "config", "mlink", "plink")

#: ``PRAGMA application_id`` of a repository ('FSLR'), checkout, global db.
APPLICATION_ID_REPO = 252006673

def _check_file(path: str) -> None:
    """Refuse, with a clear message, a path that cannot be a repository.

    Only ``stat()`` here, never ``open()``: on POSIX, closing any descriptor
    of a file drops every lock this process holds on it, including those of
    SQLite connections in other threads (the threaded servers), which would
    let another process write in the middle of their transactions.  The
    header is checked through SQLite by :func:`_check_sqlite`.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise StorageError(f"repository does not exist: {path}") from None
    except OSError as exc:
        raise StorageError(f"cannot read repository {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise StorageError(f"not a repository (a directory): {path}")
    if st.st_size < 512:  # a non-empty SQLite database is at least one page
        raise StorageError(f"not a repository (not an SQLite database): {path}")


def _check_sqlite(db: sqlite3.Connection, path: str) -> None:
    """Through SQLite: the file is a database, and not shorter than its header says.

    A lock timeout is :class:`RepositoryBusy` (HTTP 503) and the file is
    then never opened by Python: on POSIX, closing any descriptor of a file
    drops every lock this process holds on it, including those of other
    threads' connections (the threaded servers).
    """
    try:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        page_count = db.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise RepositoryBusy(f"repository is busy (locked by another process): {path}") from None
        raise StorageError(f"not a repository ({_why_unreadable(exc, path)}): {path}") from None
    if page_count and os.path.getsize(path) < page_size * page_count:
        raise StorageError(f"not a repository (file is truncated): {path}")


#: SQLite result codes that mean "someone else holds the lock": try again later.
BUSY_CODES = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY",
                        "SQLITE_BUSY_TIMEOUT", "SQLITE_LOCKED_SHAREDCACHE"})


def is_busy(exc: BaseException) -> bool:
    """True if ``exc`` is SQLite saying the database is locked by another connection."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", None)
    if name is not None:
        return name in BUSY_CODES
    text = str(exc)
    return "database is locked" in text or "database table is locked" in text


def _why_unreadable(exc: sqlite3.DatabaseError, path: str) -> str:
    """Why SQLite refused ``path``: from its error code, then from the file's 100-byte header.

    The header is read only when SQLite itself found the *content* unusable
    (not a database, corrupt): then no connection of this process can hold
    a lock on this file that closing our descriptor would release (a file
    replaced by rename is another inode, whose locks are its own).  A lock
    timeout never gets here (:class:`RepositoryBusy`): the file is fine and
    other threads' connections may be holding locks on it.
    """
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return "cannot read it"
    if name.startswith("SQLITE_IOERR"):
        return "a read error"
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as err:
        return f"cannot read it: {err.strerror}"
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return "not an SQLite database"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(head[28:32], "big")
    if page_count and os.path.getsize(path) < page_size * page_count:
        return "file is truncated"
    if name.startswith("SQLITE_CORRUPT"):
        return "the database file is corrupt"
    return "not an SQLite database"


class Repo:
    """An open repository file.

    Attributes:
        path: the file name as given.
        rcvid: the current receive session's ``rcvfrom`` row, or 0.
        db: the ``sqlite3.Connection`` (autocommit mode; use :meth:`write`).
        readonly: True if opened read-only.
        cache: per-handle cache of expanded content, ``rid -> bytes``
            (see ``fossilpy.repo.content``); never shared between handles.
        xlink_batch: the crosslink batch open in this handle's write
            transaction, or None; set and cleared only by
            ``fossilpy.repo.crosslink.batch``.
    """

    def __init__(self, path: str, db: sqlite3.Connection, readonly: bool) -> None:
        self.path = path
        self.db = db
        self.readonly = readonly
        self.cache: dict[int, bytes] = {}
        self._depth = 0
        self._on_commit: list[Any] = []
        #: The rcvfrom row of the receive session in progress (0: none);
        #: set by ``content.begin_receive`` and reset when the write commits.
        self.rcvid = 0
        #: The crosslink batch open on this handle (see the class docstring).
        self.xlink_batch: Batch | None = None

    # -- opening -------------------------------------------------------

    @classmethod
    def open(cls, path: str, *, readonly: bool = False, check: bool = True) -> Repo:
        """Open an existing repository file; raise StorageError if it is not one."""
        path = os.fspath(path)
        _check_file(path)
        db = connect(path, readonly=readonly)
        try:
            _check_sqlite(db, path)
        except StorageError:
            db.close()
            raise
        repo = cls(path, db, readonly)
        if check:
            try:
                names = {
                    r[0].lower()
                    for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")
                }
            except sqlite3.DatabaseError as exc:
                db.close()
                raise StorageError(f"not a repository ({exc}): {path}") from None
            missing = [t for t in REQUIRED_TABLES if t not in names]
            if missing:
                db.close()
                raise StorageError(
                    f"not a repository (no {', '.join(missing)} table"
                    f"{'s' if len(missing) > 1 else ''}): {path}"
                )
        return repo

    def reusable(self) -> bool:
        """True if the handle is open and outside any transaction (may serve another request)."""
        return self.db is not None and not self._depth and not self.db.in_transaction

    def forget(self) -> None:
        """Drop per-use state (content cache, commit hooks, receive session) before reuse."""
        self.cache.clear()
        self._on_commit.clear()
        self.rcvid = 0

    def close(self) -> None:
        """Close the connection.  Safe to call twice."""
        if self.db is not None:
            self.db.close()
            self.db = None  # type: ignore[assignment]

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[Repo]:
        """A write transaction (``BEGIN IMMEDIATE``); nested blocks join it."""
        if self.readonly:
            raise StorageError(f"repository is open read-only: {self.path}")
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise RepositoryBusy(f"repository is busy (locked by another process): {self.path}") from None
            raise StorageError(f"cannot start a write transaction: {exc}") from None
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._on_commit.clear()
            self.cache.clear()
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        else:
            self._depth = 0
            self.db.execute("COMMIT")
            hooks, self._on_commit = self._on_commit, []
            for hook in hooks:
                hook()

    @property
    def in_write(self) -> bool:
        """True inside a :meth:`write` block."""
        return self._depth > 0

    def on_commit(self, func: Any) -> None:
        """Run ``func()`` after the current write transaction commits."""
        if not self._depth:
            func()
        else:
            self._on_commit.append(func)

    # -- queries -------------------------------------------------------

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one statement with bound parameters.

        Outside a write transaction, a str parameter holding bytes that
        are not UTF-8 (surrogate escapes, e.g. from a URL) is bound with
        those bytes replaced, so a lookup finds nothing instead of failing;
        code that must match such text binds ``sql_text(v)`` at a
        ``CAST(? AS TEXT)`` placeholder.  Writes never store lossy text:
        there the error propagates.
        """
        try:
            return self.db.execute(sql, params)
        except UnicodeEncodeError:
            if self._depth:
                raise
            return self.db.execute(sql, _lossy(params))

    def all(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """All rows of a query."""
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Any = (), default: Any = None) -> Any:
        """The first column of the first row, or ``default``."""
        row = self.execute(sql, params).fetchone()
        return default if row is None else row[0]

    def row(self, sql: str, params: Any = ()) -> tuple[Any, ...] | None:
        """The first row, or None."""
        row: tuple[Any, ...] | None = self.execute(sql, params).fetchone()
        return row

    def table_exists(self, name: str) -> bool:
        """True if the repository has table ``name``."""
        return (
            self.one(
                "SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?",
                (name,),
            )
            is not None
        )

    # -- config table --------------------------------------------------

    def config_get(self, name: str, default: Any = None) -> Any:
        """Value of config row ``name``, or ``default``."""
        row = self.db.execute("SELECT value FROM config WHERE name=?", (name,)).fetchone()
        return default if row is None or row[0] is None else row[0]

    def config_int(self, name: str, default: int = 0) -> int:
        """Config row as an integer (Fossil's ``db_get_int``): ``default`` only when there is no row.

        A row's value is read as SQLite reads an integer (:func:`fossilpy.settings.as_int`).
        """
        row = self.db.execute("SELECT value FROM config WHERE name=?", (name,)).fetchone()
        return default if row is None else settings.as_int(row[0])

    def config_bool(self, name: str, default: bool = False) -> bool:
        """Config row as a boolean (Fossil's ``db_get_boolean``: :func:`fossilpy.settings.as_bool`)."""
        return settings.as_bool(self.config_get(name), default)

    # -- settings: defaults from the registry (fossilpy.settings) -------
    #
    # One query each, like config_get: config is not cached (a setting
    # changed by ``fossil set`` in another process applies to the next
    # read).  A name that is not registered raises ProgrammingError.

    def setting(self, name: str) -> str | None:
        """Setting ``name``: its config value as text, else its registry default (Fossil's ``db_get(name, 0)``)."""
        default = settings.registered(name).default
        value = self.config_get(name)
        return default if value is None else settings.as_text(value)

    def setting_bool(self, name: str) -> bool:
        """Setting ``name`` by Fossil's ``db_get_boolean``: on/yes/true/1, off/no/false/0, else its default."""
        default = settings.default_bool(settings.registered(name))
        return settings.as_bool(self.config_get(name), default)

    def setting_int(self, name: str) -> int:
        """Setting ``name`` by Fossil's ``db_get_int``: a row's value as SQLite's integer, else its default."""
        setting = settings.registered(name)
        row = self.db.execute("SELECT value FROM config WHERE name=?", (name,)).fetchone()
        return settings.default_int(setting) if row is None else settings.as_int(row[0])

    def config_set(self, name: str, value: Any, *, mtime: int | None = None) -> None:
        """Set a config row, stamping ``mtime`` (unix seconds) as Fossil does."""
        with self.write():
            self.db.execute(
                "REPLACE INTO config(name,value,mtime) VALUES(?,?,?)",
                (name, value, int(time.time()) if mtime is None else mtime),
            )

    def config_unset(self, name: str) -> None:
        """Delete a config row."""
        with self.write():
            self.db.execute("DELETE FROM config WHERE name=?", (name,))


# -- text that is not UTF-8 ------------------------------------------------
#
# Fossil stores artifact text (comments, user and file names, tag values,
# wiki titles...) as TEXT without checking that it is UTF-8.  fossilpy keeps
# such bytes in str as surrogate escapes (see fossilpy.artifact.manifest).
# Python's sqlite3 can neither bind those strings nor read such TEXT back,
# so:
#
# * reading: every connection made by :func:`connect` decodes TEXT values
#   with "surrogateescape" (valid UTF-8 reads exactly as before);
# * writing: a value that may carry artifact text is passed through
#   :func:`sql_text` and bound at a ``CAST(? AS TEXT)`` placeholder.  Plain
#   str passes unchanged (the cast is a no-op); a str with surrogate escapes
#   becomes its original bytes, which the cast stores as TEXT - the very
#   bytes Fossil stores.


def sql_text(value: Any) -> Any:
    """``value`` ready to bind at a ``CAST(? AS TEXT)`` placeholder."""
    if value.__class__ is not str or value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")
    return value


def _lossy(params: Any) -> Any:
    """``params`` with surrogate escapes in str values replaced by U+FFFD."""

    def fix(v: Any) -> Any:
        if isinstance(v, str):
            return v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return v

    if isinstance(params, dict):
        return {k: fix(v) for k, v in params.items()}
    return tuple(fix(v) for v in params)


def read_text(raw: bytes) -> str:
    """The connections' ``text_factory``: UTF-8, undecodable bytes escaped."""
    return raw.decode("utf-8", "surrogateescape")


#: SQLite virtual-machine steps between two looks at the request's budget.
PROGRESS_STEPS = 20000
#: Seconds a connection waits for another process's lock before RepositoryBusy.
BUSY_TIMEOUT = 10.0


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open an SQLite connection the way fossilpy always does.

    Every connection checks the current request's budget
    (:func:`fossilpy.budget.sqlite_progress`) every :data:`PROGRESS_STEPS`
    steps, so a query that outlives its request is interrupted.
    """
    try:
        if readonly:
            uri = "file:" + _uri_path(path) + "?mode=ro"
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                 timeout=BUSY_TIMEOUT)
        else:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT)
        db.text_factory = read_text
        db.set_progress_handler(budget.sqlite_progress, PROGRESS_STEPS)
        db.execute("PRAGMA foreign_keys=OFF")
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path}: {exc}") from None
    return db


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))
