"""Switching a checkout to another check-in without keeping edits: ``fossil
checkout``/``co`` (``checkout_cmd`` and ``uncheckout`` in ``src/checkout.c``).

Refused when a file is edited, added, removed or renamed (Fossil's
message "there are unsaved changes in the current check-out"), unless
``--force``.  The files of the current check-in are deleted (and the
folders left empty), those of the new one written, each name printed as
it is written; a file in the way is overwritten only after the question
``overwrite NAME (a=always/y/N)?``.  ``--keep`` moves only the checkout
database (and the manifest files).  The undo state and any merge in
progress are forgotten, as in Fossil.  One transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from fossilpy.checkout import ancestry, vfile
from fossilpy.checkout.update import empty_dirs, remove_dirs, set_all_exe
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

Out = Callable[[str], None]


def unsaved_changes(ck: Checkout) -> bool:
    """``unsaved_changes`` of ``src/checkout.c``: an edited, added, removed or renamed file."""
    vfile.check_signature(ck, ck.vid)
    return ck.one("SELECT 1 FROM localdb.vfile WHERE chnged OR coalesce(origname!=pathname,0)") is not None


def _uncheckout(ck: Checkout, vid: int, cwd: str, out: Out) -> None:
    """``uncheckout``: delete the files of ``vid`` and the folders left empty."""
    if vid <= 0:
        return
    dirs: set[str] = set()
    for (name,) in ck.all("SELECT pathname FROM localdb.vfile WHERE vid=? AND mrid>0", (vid,)):
        name = str(name)
        d = os.path.dirname(name)
        while d and d not in dirs:
            dirs.add(d)
            d = os.path.dirname(d)
        path = vfile.fs(ck.full(name))
        if vfile.unsafe_path(ck, name) is None and os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
    empty_dirs(ck, out, dirs)
    remove_dirs(ck, dirs, cwd)
    ck.execute("DELETE FROM localdb.vfile WHERE vid=?", (vid,))


def checkout(
    ck: Checkout,
    version: str | None,
    out: Out,
    *,
    latest: bool = False,
    force: bool = False,
    keep: bool = False,
    force_missing: bool = False,
    cwd: str = "",
    ask: Callable[[str], str] | None = None,
) -> None:
    """``fossil checkout VERSION``: replace the files with those of VERSION
    (refused when there are unsaved changes, unless ``force``); ``keep``
    leaves the files alone and moves only the checkout database."""
    from fossilpy.checkout import undo
    from fossilpy.repo import names

    repo = ck.repo
    with repo.write():
        if not force and unsaved_changes(ck):
            raise UserError("there are unsaved changes in the current check-out")
        if force:
            ck.execute("DELETE FROM localdb.vfile")
            prior = 0
        else:
            prior = ck.vid
        if latest:
            ancestry.compute_leaves(ck, ck.vid, 1)
            rid = int(
                ck.one(
                    "SELECT leaves.rid FROM leaves, event WHERE event.objid=leaves.rid ORDER BY event.mtime DESC", (), 0
                )
            ) or int(ck.one("SELECT objid FROM event WHERE type='ci' ORDER BY mtime DESC", (), 0))
            if not rid:
                return
        else:
            assert version is not None
            rid = names.resolve(repo, version, "ci")
            if rid <= 0:
                raise UserError(f"no such check-in: {version}")
            if not ancestry.is_a_version(ck, rid):
                uuid = str(ck.one("SELECT uuid FROM blob WHERE rid=?", (rid,)))
                raise UserError(f"object [{uuid[:10]}] is not a check-in")
        if vfile.load(ck, rid) and not force_missing:
            raise UserError("missing content, unable to check out")
        if prior == rid:
            return
        if not keep:
            _uncheckout(ck, prior, cwd, out)
        ck.execute("DELETE FROM localdb.vfile WHERE vid!=?", (rid,))
        if not keep:
            _to_disk_prompting(ck, rid, out, ask)
        set_all_exe(ck, rid)
        vfile.manifest_to_disk(ck, rid)
        empty_dirs(ck, out)
        ck.set_checkout(rid)
        undo.reset(ck)
        ck.execute("DELETE FROM localdb.vmerge")
        if not keep:
            verify_checksums(ck, rid, out)


def verify_checksums(ck: Checkout, vid: int, out: Out) -> None:
    """The end of Fossil's ``checkout``: with ``repo-cksum`` on, the R card computed
    from the check-in's own file list (``vfile_aggregate_checksum_manifest``: every
    F card, a file whose content is missing counted as empty) is compared with the
    files on disk and with the manifest's R card; a difference is a warning line.
    Both differ after ``--force-missing`` left a file out."""
    from fossilpy.artifact import manifest
    from fossilpy.artifact.manifest import repo_checksum
    from fossilpy.repo import content
    from fossilpy.repo.archive import checkin_files

    repo = ck.repo
    if not repo.setting_bool("repo-cksum"):
        return
    m = manifest.parse_or_none(content.get(repo, vid) or b"")
    if m is None:
        raise UserError(f"manifest file ({vid}) is malformed")
    files = checkin_files(repo, m)
    rids = {
        str(uuid): int(rid)
        for uuid, rid in repo.all(
            "SELECT uuid, rid FROM blob WHERE uuid IN (SELECT value FROM json_each(?))",
            ("[" + ",".join(f'"{uuid}"' for _, uuid, _ in files) + "]",),
        )
    }
    texts = vfile.stored_texts(ck, list(set(rids.values())))
    from_manifest = repo_checksum((vfile.fs(name), texts.get(rids.get(uuid, 0)) or b"") for name, uuid, _ in files)
    if from_manifest != vfile.checksum_disk(ck, vid):
        out("WARNING: manifest checksum does not agree with disk")
    if m.repo_cksum and from_manifest != m.repo_cksum:
        out("WARNING: manifest checksum does not agree with manifest")


def _to_disk_prompting(ck: Checkout, vid: int, out: Out, ask: Callable[[str], str] | None) -> None:
    """``vfile_to_disk(vid, 0, verbose=1, promptFlag)``: write each file that differs
    from what is on disk, naming it; ask before overwriting a file in the way."""
    from fossilpy.repo import content

    links = vfile.allow_symlinks(ck)
    prompt = ask is not None
    for fid, name, rid, isexe, islink in ck.all(
        "SELECT id, pathname, mrid, isexe, islink FROM localdb.vfile WHERE vid=? AND mrid>0", (vid,)
    ):
        name = str(name)
        if vfile.unsafe_path(ck, name) is not None:
            continue
        data = content.get(ck.repo, int(rid))
        if data is None:
            continue
        path = ck.full(name)
        if vfile.is_file_or_link(path, links) and vfile.read(path, links) == data:
            vfile.set_exe(path, bool(isexe))
            continue
        if prompt and ask is not None and vfile.file_info(path, links)[0] >= 0:
            reply = ask(f"overwrite {path} (a=always/y/N)? ") or "N"
            if reply[0] in "aA":
                prompt = False
            elif reply[0] not in "yY":
                continue
        out(name)
        perm = vfile.PERM_LNK if islink else vfile.PERM_EXE if isexe else vfile.PERM_REG
        mtime = vfile.write_file(ck, name, data, perm)
        ck.execute("UPDATE localdb.vfile SET mtime=? WHERE id=?", (mtime, fid))
