"""The checkout database: ``.fslckout`` (``_FOSSIL_`` when present) at the
root of a working tree, in Fossil 2.21's schema.

Tables (``zLocalSchema`` and ``zLocalSchemaVmerge`` in ``src/schema.c``):

* ``vvar(name, value)``: ``repository`` (the repository file, as given to
  ``open``; relative names are relative to the checkout root),
  ``checkout`` (rid of the current check-in), ``checkout-hash``,
  ``fingerprint`` (``db_fingerprint``: the last ``rcvfrom`` row, so that a
  repository replaced by another clone is noticed), ``undo_available``,
  ``undo_checkout``;
* ``vfile``: one row per file of the current check-in and per added file
  (``rid`` 0); ``chnged`` 0 unchanged, 1 edited, 2/3 changed/added by a
  merge, 4/5 by an integrate merge, 6..9 exec/symlink changes only;
  ``deleted`` for ``rm``; ``origname`` for ``mv``;
* ``vmerge``: merges in progress, with the trigger that keeps Fossils older
  than the ``mhash`` column out.

``stash``/``stashfile`` (``src/stash.c``) and ``undo``/``undo_vfile``/
``undo_vmerge`` (``src/undo.c``) are created by the commands that need
them, with the schemas in :data:`STASH_SCHEMA` and :data:`UNDO_SCHEMA`.

:class:`Checkout` holds the repository connection with the checkout
database attached as ``localdb`` (as Fossil's ``db_open_or_attach``), so
one ``with ck.repo.write():`` transaction covers both files: a commit
writes the new check-in and moves the checkout to it atomically.
"""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING, Any

from fossilpy.errors import StorageError, UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

#: names of the checkout database, in the order ``db_open_local_v2`` looks
DB_NAMES = ("_FOSSIL_", ".fslckout", ".fos")

#: PRAGMA application_id of a checkout database ('FSLC')
APPLICATION_ID = 252006674

LOCAL_SCHEMA = (
    """CREATE TABLE vvar(
  name TEXT PRIMARY KEY NOT NULL,
  value CLOB,
  CHECK( typeof(name)='text' AND length(name)>=1 )
)""",
    """CREATE TABLE vfile(
  id INTEGER PRIMARY KEY,
  vid INTEGER REFERENCES blob,
  chnged INT DEFAULT 0,
  deleted BOOLEAN DEFAULT 0,
  isexe BOOLEAN,
  islink BOOLEAN,
  rid INTEGER,
  mrid INTEGER,
  mtime INTEGER,
  pathname TEXT,
  origname TEXT,
  mhash TEXT,
  UNIQUE(pathname,vid)
)""",
    """CREATE TABLE vmerge(
  id INTEGER REFERENCES vfile,
  merge INTEGER,
  mhash TEXT
)""",
    "CREATE UNIQUE INDEX vmergex1 ON vmerge(id,mhash)",
    """CREATE TRIGGER vmerge_ck1 AFTER INSERT ON vmerge
WHEN new.mhash IS NULL BEGIN
  SELECT raise(FAIL,
  'trying to update a newer check-out with an older version of Fossil');
END""",
)

STASH_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS localdb.stash(
  stashid INTEGER PRIMARY KEY,
  vid INTEGER,
  hash TEXT,
  comment TEXT,
  ctime TIMESTAMP
)""",
    """CREATE TABLE IF NOT EXISTS localdb.stashfile(
  stashid INTEGER REFERENCES stash,
  isAdded BOOLEAN,
  isRemoved BOOLEAN,
  isExec BOOLEAN,
  isLink BOOLEAN,
  rid INTEGER,
  hash TEXT,
  origname TEXT,
  newname TEXT,
  delta BLOB,
  PRIMARY KEY(newname, stashid)
)""",
)

UNDO_SCHEMA = (
    """CREATE TABLE localdb.undo(
  pathname TEXT UNIQUE,
  redoflag BOOLEAN,
  existsflag BOOLEAN,
  isExe BOOLEAN,
  isLink BOOLEAN,
  content BLOB
)""",
    "CREATE TABLE localdb.undo_vfile AS SELECT * FROM vfile",
    "CREATE TABLE localdb.undo_vmerge AS SELECT * FROM vmerge",
)


def _is_valid_local_db(path: str) -> bool:
    """``isValidLocalDb``: a file of a multiple of 1024 bytes, at least 4096, with vfile."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return False
    if size % 1024 or size < 4096 or not os.path.isfile(path):
        return False
    try:
        db = sqlite3.connect("file:" + _uri(path) + "?mode=ro", uri=True)
        try:
            row = db.execute("SELECT 1 FROM sqlite_schema WHERE type='table' AND name='vfile'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return row is not None


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))


def find_root(start: str, *, root_only: bool = False) -> tuple[str, str] | None:
    """(root directory with a trailing '/', database file) of the checkout
    holding ``start``, looking upwards as ``db_open_local_v2``; None if none."""
    here = os.path.abspath(start)
    while True:
        for name in DB_NAMES:
            candidate = os.path.join(here, name)
            if _is_valid_local_db(candidate):
                return (here.rstrip("/") + "/", candidate)
        parent = os.path.dirname(here)
        if root_only or parent == here:
            return None
        here = parent


def fingerprint(repo: Repo, rcvid: int = 0) -> str | None:
    """``db_fingerprint(rcvid, 1)``: "RCVID/MD5" of the latest (or given) rcvfrom row."""
    sql = "SELECT rcvid, quote(uid), datetime(mtime), quote(nonce), quote(ipaddr) FROM rcvfrom"
    if rcvid <= 0:
        row = repo.row(sql + " ORDER BY rcvid DESC LIMIT 1")
    else:
        row = repo.row(sql + " WHERE rcvid=?", (rcvid,))
    if row is None:
        return None
    h = _md5()
    for v in row[1:]:
        if v is not None:
            h.update(str(v).encode("utf-8", "surrogateescape"))
    return f"{row[0]}/{h.hexdigest()}"


class Checkout:
    """An open checkout: its root, its database file and the repository
    connection with the checkout database attached as ``localdb``."""

    def __init__(self, root: str, dbfile: str, repo: Repo) -> None:
        self.root = root if root.endswith("/") else root + "/"
        self.dbfile = dbfile
        self.repo = repo
        #: versionable settings already warned about (:mod:`fossilpy.checkout.settings`)
        self.warned: set[str] = set()
        #: values looked up once per command (``allow-symlinks``: :func:`fossilpy.checkout.vfile.allow_symlinks`)
        self.memo: dict[str, Any] = {}
        #: folders of the tree seen to be real directories (:func:`fossilpy.checkout.vfile.unsafe_path`);
        #: emptied whenever this command removes a folder
        self.safe_dirs: set[str] = set()

    # -- opening -------------------------------------------------------

    @classmethod
    def find(cls, cwd: str) -> Checkout:
        """The checkout holding ``cwd``; UserError if there is none."""
        found = find_root(cwd)
        if found is None:
            raise UserError("current directory is not within an open check-out")
        root, dbfile = found
        repo_path = cls.repository_of(root, dbfile)
        return cls._attach(root, dbfile, repo_path)

    @staticmethod
    def repository_of(root: str, dbfile: str) -> str:
        """The repository file the checkout database ``dbfile`` (at ``root``) names (vvar
        ``repository``, relative to ``root`` if not absolute); UserError if it is gone."""
        db = sqlite3.connect("file:" + _uri(dbfile) + "?mode=ro", uri=True)
        try:
            cols = {r[1] for r in db.execute("PRAGMA table_info(vmerge)")}
            if "mhash" not in cols:
                raise StorageError(f"check-out database predates Fossil 2.8 (no vmerge.mhash): {dbfile}")
            row = db.execute("SELECT value FROM vvar WHERE name='repository'").fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read the check-out database {dbfile}: {exc}") from None
        finally:
            db.close()
        if row is None or not row[0]:
            raise UserError(f"no repository is named in {dbfile}")
        path = str(row[0])
        if not os.path.isabs(path):
            path = os.path.normpath(os.path.join(root, path))  # file_canonical_name: no ".." left
        if not os.path.isfile(path):
            raise UserError(f"repository does not exist or is in an unreadable directory: {path}")
        return path

    @classmethod
    def _attach(cls, root: str, dbfile: str, repo_path: str) -> Checkout:
        from fossilpy.repo.db import Repo

        repo = Repo.open(repo_path)
        try:
            repo.execute("ATTACH DATABASE ? AS localdb", (dbfile,))
        except sqlite3.Error as exc:
            repo.close()
            raise StorageError(f"cannot attach {dbfile}: {exc}") from None
        ck = cls(root, dbfile, repo)
        ck._check_fingerprint()
        return ck

    @classmethod
    def create(cls, root: str, repo_arg: str) -> Checkout:
        """Make ``root/.fslckout`` for repository ``repo_arg`` (stored as given,
        as ``cmd_open`` stores it) and open it."""
        dbfile = os.path.join(root, ".fslckout")
        repo_path = repo_arg if os.path.isabs(repo_arg) else os.path.join(root, repo_arg)
        from fossilpy.repo.db import Repo

        Repo.open(repo_path, readonly=True).close()  # refuse a non-repository before creating anything
        db = sqlite3.connect(dbfile, isolation_level=None)
        try:
            db.execute("BEGIN")
            for sql in LOCAL_SCHEMA:
                db.execute(sql)
            db.execute("PRAGMA application_id=252006674")
            db.execute("INSERT INTO vvar(name,value) VALUES('repository',?)", (repo_arg,))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.close()
            os.unlink(dbfile)
            raise StorageError(f"cannot create {dbfile}: {exc}") from None
        db.close()
        return cls._attach(root if root.endswith("/") else root + "/", dbfile, repo_path)

    def close(self) -> None:
        """Close the connection (the files stay)."""
        self.repo.close()

    def __enter__(self) -> Checkout:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -------------------------------------------------------
    #
    # File names may hold bytes that are not UTF-8 (surrogate escapes in
    # str): these helpers bind such a name as its very bytes, at a
    # CAST(? AS TEXT) placeholder, so it matches and is stored as Fossil
    # stores it.  Every query of this package that binds a name goes here.

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """``repo.execute`` with file names bound as their bytes."""
        return self.repo.execute(*_text_params(sql, params))

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple[Any, ...] = (), default: Any = None) -> Any:
        row = self.execute(sql, params).fetchone()
        return default if row is None else row[0]

    def row(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    # -- vvar ----------------------------------------------------------

    def vget(self, name: str, default: str | None = None) -> str | None:
        """A vvar value (``db_lget``)."""
        v = self.repo.one("SELECT value FROM localdb.vvar WHERE name=?", (name,))
        return default if v is None else str(v)

    def vget_int(self, name: str, default: int = 0) -> int:
        """A vvar value as an integer (``db_lget_int``)."""
        v = self.repo.one("SELECT CAST(value AS INTEGER) FROM localdb.vvar WHERE name=?", (name,))
        return default if v is None else int(v)

    def vset(self, name: str, value: str | int) -> None:
        """Set a vvar value (``db_lset``)."""
        with self.repo.write():
            self.repo.execute("REPLACE INTO localdb.vvar(name,value) VALUES(?,?)", (name, value))

    @property
    def vid(self) -> int:
        """rid of the current check-in (0 for an empty checkout)."""
        return self.vget_int("checkout", 0)

    def set_checkout(self, rid: int) -> None:
        """``db_set_checkout``: the current check-in, its hash and the repository fingerprint."""
        with self.repo.write():
            self.vset("checkout", rid)
            if rid:
                uuid = self.repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
                self.vset("checkout-hash", str(uuid))
                fp = fingerprint(self.repo)
                if fp is not None:
                    self.vset("fingerprint", fp)

    def _check_fingerprint(self) -> None:
        """Refuse a repository replaced by another clone (``db_fingerprint_ok``).

        Fossil renumbers the rids of the checkout database then; fossilpy
        does not yet, and says so instead of using wrong rids.
        """
        if not self.vid:
            return
        mine = self.vget("fingerprint")
        if mine is None:
            return
        head, _, _ = mine.partition("/")
        from fossilpy.text import is_digits

        if is_digits(head) and fingerprint(self.repo, int(head)) == mine:
            return
        if is_digits(head) and _legacy_fingerprint(self.repo, int(head)) == mine:
            return
        raise UserError(
            "the repository database has been replaced by a clone; "
            "run a fossil command in this check-out once to renumber it"
        )

    # -- settings ------------------------------------------------------

    def setting(self, name: str) -> str | None:
        """A setting, ``.fossil-settings/NAME`` in the tree first for a versionable
        one (``db_get_versioned``), else the repository's: see
        :func:`fossilpy.checkout.settings.checkout_setting`."""
        from fossilpy.checkout.settings import checkout_setting

        return checkout_setting(self, name)

    def setting_bool(self, name: str) -> bool:
        """A boolean setting, versioned value first."""
        from fossilpy.settings import is_truth

        value = self.setting(name)
        return value is not None and is_truth(value.strip())

    # -- files ---------------------------------------------------------

    def full(self, pathname: str) -> str:
        """The file name on disk of checkout-relative ``pathname``."""
        return self.root + pathname


def _text_params(sql: str, params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """``sql`` and ``params`` with each str that is not UTF-8 bound as bytes at a
    ``CAST(? AS TEXT)`` placeholder (plain ``?`` placeholders only)."""
    for p in params:
        if p.__class__ is str and not p.isascii():
            break
    else:
        return sql, params  # the common case: nothing to convert
    from fossilpy.repo.db import sql_text
    from fossilpy.text import is_digits

    converted = [sql_text(p) if isinstance(p, str) else p for p in params]
    if all(c is p for c, p in zip(converted, params, strict=True)):
        return sql, params
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1 or any(is_digits(piece[:1]) for piece in pieces[1:]):
        return sql, params  # numbered placeholders: leave it to repo.execute
    out = [pieces[0]]
    for value, original, piece in zip(converted, params, pieces[1:], strict=True):
        out.append("CAST(? AS TEXT)" if value is not original else "?")
        out.append(piece)
    return "".join(out), tuple(converted)


def _legacy_fingerprint(repo: Repo, rcvid: int) -> str | None:
    row = repo.row(
        "SELECT rcvid, quote(uid), quote(mtime), quote(nonce), quote(ipaddr) FROM rcvfrom WHERE rcvid=?",
        (rcvid,),
    )
    if row is None:
        return None
    h = _md5()
    for v in row[1:]:
        if v is not None:
            h.update(str(v).encode("utf-8", "surrogateescape"))
    return f"{row[0]}/{h.hexdigest()}"


def _md5() -> Any:
    """An MD5 hasher without loading OpenSSL (the fingerprint check runs on each open)."""
    from fossilpy.artifact import hname

    return hname.md5()
