"""The files of a checkout compared with the tree on disk (``src/vfile.c``).

* :func:`load` fills ``vfile`` from a check-in's manifest
  (``load_vfile_from_rid``);
* :func:`check_signature` decides which files changed, by size, then mtime,
  then hash, as ``vfile_check_signature`` (the ``chnged`` codes are listed
  in :mod:`fossilpy.checkout.db`);
* :func:`scan` lists the files of the tree (``vfile_scan``): dot-files only
  when asked, ``ignore-glob`` patterns left out, the checkout database and
  nested checkouts skipped;
* :func:`to_disk` writes files of the current check-in (``vfile_to_disk``);
* :func:`checksum_disk` / :func:`checksum_repository` give the R card.

Paths are checkout-relative ``str`` (surrogate escapes for bytes that are
not UTF-8).  Nothing is ever written outside the root: a name with ``..``
or a path through a symlink or a non-directory is refused
(``file_unsafe_in_tree_path``), and a symlink in the tree is replaced, never
written through.  ``allow-symlinks`` off (the default) means a symlink
counts as the file it points to, as in Fossil.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING

from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

PERM_REG, PERM_EXE, PERM_LNK = 0, 1, 2
_S_ISREG = stat.S_ISREG

#: the checkout database files Fossil never treats as content (``fossil_reserved_name``)
RESERVED = (
    "_FOSSIL_",
    "_FOSSIL_-journal",
    "_FOSSIL_-wal",
    "_FOSSIL_-shm",
    ".fslckout",
    ".fslckout-journal",
    ".fslckout-wal",
    ".fslckout-shm",
    ".fos",
    ".fos-journal",
    ".fos-wal",
    ".fos-shm",
)


def _stderr(message: str) -> None:
    """``fossil_warning``: one line on standard error."""
    import sys

    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def fs(path: str) -> bytes:
    """``path`` as the bytes the file system uses."""
    return path.encode("utf-8", "surrogateescape")


def allow_symlinks(ck: Checkout) -> bool:
    """The ``allow-symlinks`` setting (not versionable), read once per command."""
    value = ck.memo.get("allow-symlinks")
    if value is None:
        value = ck.memo["allow-symlinks"] = ck.repo.setting_bool("allow-symlinks")
    return bool(value)


def lstat_or_none(path: str, follow: bool) -> os.stat_result | None:
    try:
        return os.stat(fs(path)) if follow else os.lstat(fs(path))
    except OSError:
        return None


def file_info(path: str, links: bool) -> tuple[int, int, int]:
    """(size or -1, mtime, perm) of a file as Fossil's RepoFILE sees it."""
    return _info(lstat_or_none(path, follow=not links))


def stat_info(st: os.stat_result | None) -> tuple[int, int, int]:
    """:func:`file_info` from a stat result already taken (None: no file)."""
    return _info(st)


def _info(st: os.stat_result | None) -> tuple[int, int, int]:
    if st is None:
        return (-1, 0, PERM_REG)
    if stat.S_ISLNK(st.st_mode):
        return (st.st_size, int(st.st_mtime), PERM_LNK)
    perm = PERM_EXE if stat.S_ISREG(st.st_mode) and st.st_mode & 0o100 else PERM_REG
    return (st.st_size, int(st.st_mtime), perm)


def is_file_or_link(path: str, links: bool) -> bool:
    """``file_isfile_or_link``."""
    st = lstat_or_none(path, follow=not links)
    return st is not None and (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode))


def exists(path: str) -> bool:
    return os.path.lexists(fs(path))


def read(path: str, links: bool) -> bytes:
    """A file's content; a symlink's target when ``links``."""
    if links and os.path.islink(fs(path)):
        return os.readlink(fs(path))
    with open(fs(path), "rb") as fh:
        return fh.read()


def load(ck: Checkout, vid: int, warn: Callable[[str], None] | None = None) -> int:
    """Fill vfile with the files of check-in ``vid``; return how many are missing.

    A file whose content the repository lacks (no blob row, or a phantom) is
    left out of vfile and named on ``warn`` ("content missing for NAME", on
    standard error by default), as ``load_vfile_from_rid``; the callers stop
    there unless asked for ``--force-missing``, which goes on without it."""
    from fossilpy.artifact import hname, manifest
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    repo = ck.repo
    if ck.one("SELECT 1 FROM localdb.vfile WHERE vid=?", (vid,)) is not None:
        return 0
    m = manifest.parse_or_none(content.get(repo, vid) or b"")
    if m is None:
        return 0
    missing = 0
    # content.is_shunned for every file, from one read of the shun list
    shun_sha1 = content.hash_policy(repo) == hname.POLICY_SHUN_SHA1
    shunned = {str(r[0]) for r in repo.all("SELECT uuid FROM shun")}
    rows: list[tuple[int, int, int, int, int, bytes]] = []
    files = checkin_files(repo, m)
    # the blob rows of every well-formed hash in one query (a JSON array of hex strings)
    hexes = [uuid for _, uuid, _ in files if hname.is_valid(uuid)]
    known: dict[str, tuple[int, int]] = {
        str(u): (int(rid), int(size))
        for u, rid, size in repo.db.execute(
            "SELECT uuid, rid, size FROM blob WHERE uuid IN (SELECT value FROM json_each(?))",
            ('["' + '","'.join(hexes) + '"]',),
        )
    }
    lookup = repo.db.execute
    for name, uuid, perm in files:
        if uuid and ((shun_sha1 and len(uuid) == 40) or uuid.lower() in shunned):
            continue
        row = known.get(uuid) or lookup("SELECT rid, size FROM blob WHERE uuid=?", (uuid,)).fetchone()
        if row is None or row[1] < 0:
            (warn or _stderr)(f"content missing for {name}")
            missing += 1
            continue
        rows.append((vid, int("x" in perm), int("l" in perm), row[0], row[0], fs(name)))
    with repo.write():
        repo.db.executemany(
            "INSERT INTO localdb.vfile(vid,isexe,islink,rid,mrid,pathname,mhash)"
            " VALUES(?,?,?,?,?,CAST(? AS TEXT),NULL)",
            rows,
        )
    return missing


def show(ck: Checkout, out: Callable[[str], None]) -> None:
    """``debug_show_vfile`` (``merge --show-vfile``, ``test-show-vfile``): every vfile
    row, grouped under its check-in's hash, in Fossil's columns."""
    last = -1
    for vid, chnged, deleted, isexe, islink, rid, mrid, path, orig in ck.all(
        "SELECT vid, chnged, deleted, isexe, islink, rid, mrid, pathname, origname FROM localdb.vfile"
        " ORDER BY vid, pathname"
    ):
        if vid != last:
            out(f"VFILE vid={vid} ({ck.one('SELECT uuid FROM blob WHERE rid=?', (vid,)) or ''}):")
            last = vid
        flags = f"{'chng' if chnged else '':>4s} {'del' if deleted else '':>3s} {'exe' if isexe else '':>3s}"
        line = f"   rid {rid:<6d} mrid {mrid:<6d} {flags} {'lnk' if islink else '':>3s} {path}"
        out(line + (f" <- {orig}" if orig else ""))


def check_signature(ck: Checkout, vid: int, *, use_hash: bool = False) -> None:
    """Update ``vfile.chnged`` and ``mtime`` from the tree (``vfile_check_signature``).

    One query reads every row (the path as bytes: no text decoding), one
    ``stat`` per file.  A file not marked changed whose size, mtime and x bit
    match the stored ones is settled there (Fossil reads and writes nothing
    for it either); the others are read in full by a second query and go
    through Fossil's rules, and their updates are written in one batch.
    """
    repo = ck.repo
    use_mtime = not use_hash and repo.setting_bool("mtime-changes")
    links = allow_symlinks(ck)
    get = os.lstat if links else os.stat
    root = fs(ck.root)
    changed: list[tuple[int, int, int]] = []
    slow: list[tuple[int, bytes, os.stat_result | None]] = []
    with repo.write():
        # a row that can be settled by size, mtime and the x bit carries size*2+isexe; others NULL
        quick = ck.all(
            "SELECT id, CAST(pathname AS BLOB), mtime,"
            " CASE WHEN ? AND chnged=0 AND NOT deleted AND mrid>0 AND NOT islink AND size>=0"
            " AND mtime IS NOT NULL THEN size*2+(isexe<>0) END"
            " FROM localdb.vfile LEFT JOIN blob ON vfile.mrid=blob.rid WHERE vid=?",
            (1 if use_mtime else 0, vid),
        )
        for fid, name, mtime, key in quick:
            path = root + name
            try:
                st: os.stat_result | None = get(path)
            except OSError:
                st = None
            if (
                key is not None
                and st is not None
                and int(st.st_mtime) == mtime
                and st.st_size * 2 + (1 if st.st_mode & 0o100 else 0) == key
                and _S_ISREG(st.st_mode)
            ):
                continue  # unchanged by size, mtime and permission: nothing to read or write
            slow.append((fid, path, st))
        # the other rows in full, in one query (their ids bound as a JSON array)
        full = (
            {
                int(r[0]): r[1:]
                for r in ck.all(
                    "SELECT id, vfile.mrid, deleted, chnged, CAST(uuid AS BLOB), coalesce(size,-1), coalesce(mtime,0),"
                    " CASE WHEN isexe THEN 1 WHEN islink THEN 2 ELSE 0 END"
                    " FROM localdb.vfile LEFT JOIN blob ON vfile.mrid=blob.rid"
                    " WHERE id IN (SELECT value FROM json_each(?))",
                    ("[" + ",".join(str(f) for f, _, _ in slow) + "]",),
                )
            }
            if slow
            else {}
        )
        for fid, path, st in slow:
            rid, deleted, old_chnged, uuid, orig_size, old_mtime, orig_perm = full[fid]
            chnged = old_chnged = int(old_chnged or 0)
            cur_size, cur_mtime, cur_perm = _info(st)
            if chnged == 0 and (deleted or not rid):
                chnged = 1
            elif cur_size >= 0 and not (st is not None and (_S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode))):
                chnged = 1
            if orig_size != cur_size:
                if chnged != 1:
                    chnged = 1
            elif chnged == 1 and rid and not deleted:
                if uuid and _hash_matches(path, links, uuid):
                    chnged = 0
            elif (
                chnged in (0, 2, 4)
                and (not use_mtime or cur_mtime != old_mtime)
                and uuid
                and not _hash_matches(path, links, uuid)
            ):
                chnged = 1
            if orig_perm != PERM_LNK and cur_perm == PERM_LNK:
                chnged = 7
            elif chnged in (0, 6, 7, 8, 9):
                if orig_perm == cur_perm:
                    chnged = 0
                elif cur_perm == PERM_EXE:
                    chnged = 6
                elif orig_perm == PERM_EXE:
                    chnged = 8
                elif orig_perm == PERM_LNK:
                    chnged = 9
            if cur_mtime != old_mtime or chnged != old_chnged:
                changed.append((cur_mtime, chnged, fid))
        if changed:
            ck.repo.db.executemany("UPDATE localdb.vfile SET mtime=?, chnged=? WHERE id=?", changed)


def _hash_matches(path: bytes, links: bool, uuid: bytes) -> bool:
    """``hname_verify_file_hash`` (the hash modules are imported only when a file is hashed)."""
    from fossilpy.artifact import hname

    return hname.verify(_read_raw(path, links), uuid.decode())


def _read_raw(path: bytes, links: bool) -> bytes:
    """A file's content (a symlink's target when ``links``), by its byte path."""
    if links and os.path.islink(path):
        return os.readlink(path)
    with open(path, "rb") as fh:
        return fh.read()


def _is_reserved_top(name: str) -> bool:
    return name in RESERVED


def scan(
    ck: Checkout,
    top: str = "",
    *,
    dotfiles: bool = False,
    ignore: list[str] | None = None,
    managed: bool = True,
) -> list[str]:
    """Checkout-relative names of the files under ``top`` (``vfile_scan``).

    Names starting with "." are left out unless ``dotfiles``; names matching
    ``ignore`` (a file's or a directory's path) are left out; so are the
    checkout database, directories holding another checkout, and (with
    ``managed`` False) files vfile already lists.  Symlinks are listed as
    files and never followed into.
    """
    from fossilpy.repo.archive import glob_match

    out: list[str] = []
    root = ck.root

    def walk(rel: str) -> None:
        here = root + rel
        try:
            entries = sorted(os.listdir(fs(here or root)))
        except OSError:
            return
        for raw in entries:
            name = raw.decode("utf-8", "surrogateescape")
            if name.startswith(".") and not dotfiles:
                continue
            sub = rel + name
            if glob_match(ck.repo, ignore, sub):
                continue
            full = root + sub
            st = lstat_or_none(full, follow=False)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                if any(os.path.exists(fs(full + "/" + d)) for d in (".fslckout", "_FOSSIL_")):
                    continue  # a nested checkout
                walk(sub + "/")
            elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                if not rel and _is_reserved_top(name):
                    continue
                out.append(sub)

    walk(top.rstrip("/") + "/" if top else "")
    if not managed:
        known = {r[0] for r in ck.all("SELECT pathname FROM localdb.vfile")}
        out = [n for n in out if n not in known]
    return sorted(out, key=fs)


def unsafe_path(ck: Checkout, name: str) -> str | None:
    """Why writing checkout-relative ``name`` would leave the tree, or None.

    A name that is not a simple relative path, or a path whose folders
    include something that is not a directory (a symlink to a folder
    elsewhere, a file), is unsafe (``file_unsafe_in_tree_path``).
    """
    from fossilpy.artifact.fossilize import is_simple_path

    if not is_simple_path(fs(name)):
        return f"illegal file name: {name}"
    parts = name.split("/")
    here = ck.root.rstrip("/")
    safe = ck.safe_dirs
    for part in parts[:-1]:
        here += "/" + part
        if here in safe:
            continue
        st = lstat_or_none(here, follow=False)
        if st is None:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return f"cannot write to {ck.root}{name} because non-directory object {here} is in the way"
        safe.add(here)  # a folder stays one until this command removes folders (then the set is emptied)
    return None


def write_file(ck: Checkout, name: str, data: bytes, perm: int) -> int:
    """Write ``name`` with ``data`` (a symlink's target when ``perm`` is PERM_LNK
    and ``allow-symlinks`` is on); return the new mtime.  Never follows a
    symlink: an existing link is removed first.  The x bit is set on the open
    file and the mtime read from it (``file_setexe``, ``file_mtime``)."""
    why = unsafe_path(ck, name)
    if why is not None:
        raise UserError(why)
    path = ck.full(name)
    raw = fs(path)
    parent = os.path.dirname(path)
    if parent not in ck.safe_dirs and parent + "/" != ck.root:
        os.makedirs(fs(parent), exist_ok=True)
    st = lstat_or_none(path, follow=False)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UserError(f"{path} is directory, cannot overwrite")
        if perm == PERM_LNK or stat.S_ISLNK(st.st_mode):
            os.unlink(raw)
    if perm == PERM_LNK and allow_symlinks(ck):
        os.symlink(data, raw)
        return file_info(path, True)[1]
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        st = os.fstat(fd)
        mode = stat.S_IMODE(st.st_mode)
        new = mode | ((mode & 0o444) >> 2) if perm == PERM_EXE else mode & ~0o111
        if new != mode:
            os.fchmod(fd, new)
    return int(st.st_mtime)


def set_exe(path: str, on: bool) -> None:
    """``file_setexe``: add or remove the x bits (as far as the umask-style r bits allow)."""
    st = lstat_or_none(path, follow=False)
    if st is None or not stat.S_ISREG(st.st_mode):
        return
    mode = stat.S_IMODE(st.st_mode)
    new = mode | ((mode & 0o444) >> 2) if on else mode & ~0o111
    if new != mode:
        os.chmod(fs(path), new)


def to_disk(ck: Checkout, vid: int, out: Callable[[str], None] | None = None) -> None:
    """Write every file of check-in ``vid`` listed in vfile (``vfile_to_disk``);
    ``out`` receives the name of each file written."""
    from fossilpy.repo import content

    repo = ck.repo
    with repo.write():
        for fid, name, rid, isexe, islink in ck.all(
            "SELECT id, pathname, mrid, isexe, islink FROM localdb.vfile WHERE vid=? AND mrid>0", (vid,)
        ):
            if unsafe_path(ck, name) is not None:
                continue
            data = content.get(repo, rid)
            if data is None:
                continue
            perm = PERM_LNK if islink else PERM_EXE if isexe else PERM_REG
            if out is not None:
                out(name)
            mtime = write_file(ck, name, data, perm)
            ck.execute("UPDATE localdb.vfile SET mtime=? WHERE id=?", (mtime, fid))


def checksum_disk(
    ck: Checkout, vid: int, chosen: Callable[[int], bool] = lambda fid: True, stored: dict[int, bytes] | None = None
) -> str:
    """The R card over the tree (``vfile_aggregate_checksum_disk``): selected
    files as on disk (a missing one counts as empty), the others as stored
    (their content also left in ``stored`` by rid, for the repository's R card)."""
    from fossilpy.artifact.manifest import repo_checksum

    links = allow_symlinks(ck)
    root = fs(ck.root)
    files: list[tuple[str | bytes, bytes]] = []
    rows = ck.all(
        "SELECT id, CAST(pathname AS BLOB), CAST(origname AS BLOB), deleted, rid FROM localdb.vfile WHERE vid=?",
        (vid,),
    )
    picked = {fid for fid, _, _, _, _ in rows if chosen(fid)}
    texts = stored_texts(ck, [rid for fid, _, _, _, rid in rows if rid and fid not in picked])
    for fid, name, orig, deleted, rid in rows:
        if fid in picked:
            if deleted:
                continue
            path = root + name
            files.append((name, _read_raw(path, links) if os.path.lexists(path) else b""))
        elif rid:
            data = texts.get(rid) or b""
            if stored is not None:
                stored[rid] = data
            files.append((orig or name, data))
    return repo_checksum(files)


def stored_texts(ck: Checkout, rids: list[int]) -> dict[int, bytes | None]:
    """``content.get`` for each of ``rids`` (the unchosen files of an R card): the
    texts stored whole come from one query (the rids bound as a JSON array), the
    deltas through ``content.get``; the content cache is neither filled nor asked."""
    from fossilpy import budget
    from fossilpy.artifact import blob
    from fossilpy.repo import content

    out: dict[int, bytes | None] = {}
    room = budget.room(blob.MAX_SIZE)
    for rid, data, size, src in ck.all(
        "SELECT rid, content, size, (SELECT srcid FROM delta WHERE delta.rid=blob.rid) FROM blob"
        " WHERE rid IN (SELECT value FROM json_each(?))",
        ("[" + ",".join(str(rid) for rid in rids) + "]",),
    ):
        if not src and data is not None and size is not None and size >= 0:
            out[rid] = blob.uncompress(data, what=f"artifact rid {rid}", limit=room)
    for rid in rids:
        if rid not in out:
            out[rid] = content.get(ck.repo, rid)
    return out


MANIFEST_RAW, MANIFEST_UUID, MANIFEST_TAGS = 1, 2, 4


def manifest_flags(ck: Checkout) -> int:
    """``db_get_manifest_setting``: which of manifest, manifest.uuid, manifest.tags to write."""
    from fossilpy.settings import is_false, is_truth

    value = ck.setting("manifest")
    if value is None:
        return 0
    value = value.strip()
    if is_false(value):
        return 0
    if is_truth(value):
        return MANIFEST_RAW | MANIFEST_UUID
    flags = 0
    for ch, flag in (("r", MANIFEST_RAW), ("u", MANIFEST_UUID), ("t", MANIFEST_TAGS)):
        if ch in value:
            flags |= flag
    return flags


def reserved_names(ck: Checkout) -> set[str]:
    """``fossil_all_reserved_names``: the checkout database, the manifest files the
    ``manifest`` setting asks for and the repository file when it lies in the tree."""
    out = set(RESERVED)
    flags = manifest_flags(ck)
    for flag, name in ((MANIFEST_RAW, "manifest"), (MANIFEST_UUID, "manifest.uuid"), (MANIFEST_TAGS, "manifest.tags")):
        if flags & flag:
            out.add(name)
    repo_path = os.path.abspath(ck.repo.path)
    if repo_path.startswith(ck.root):
        rel = repo_path[len(ck.root) :]
        out.update((rel, rel + "-journal", rel + "-wal", rel + "-shm"))
    return out


def manifest_to_disk(ck: Checkout, vid: int, *, sterile: bool = True) -> None:
    """``manifest_to_disk``: write (or remove) manifest, manifest.uuid and manifest.tags.

    The ``manifest`` file gets Fossil's extra last line (``sterilize_manifest``), except
    after a commit (``sterile=False``): Fossil's ``commit`` writes the new check-in's
    text as it is."""
    from fossilpy.artifact.manifest import sterilize
    from fossilpy.repo import content
    from fossilpy.repo.archive import taglist

    flags = manifest_flags(ck)
    repo = ck.repo
    managed = {r[0] for r in ck.all("SELECT pathname FROM localdb.vfile")}
    uuid = str(ck.one("SELECT uuid FROM blob WHERE rid=?", (vid,)))
    for flag, name in ((MANIFEST_RAW, "manifest"), (MANIFEST_UUID, "manifest.uuid"), (MANIFEST_TAGS, "manifest.tags")):
        path = ck.full(name)
        if flags & flag:
            if flag == MANIFEST_RAW:
                data = content.get(repo, vid) or b""
                data = sterilize(data) if sterile else data
            elif flag == MANIFEST_UUID:
                data = uuid.encode() + b"\n"
            else:
                data = taglist(repo, vid)
            write_file(ck, name, data, PERM_REG)
        elif name not in managed and os.path.lexists(fs(path)) and not os.path.isdir(fs(path)):
            os.unlink(fs(path))
