"""Making a check-in from a checkout (``commit_cmd`` and ``create_manifest``
in ``src/checkin.c``).

The manifest has Fossil's cards for the same commit: C, D, F (with ``x``,
``l`` and, for a rename, ``w``/old name), N (``--mimetype``), P (parent and
merge parents), Q (cherry-picks and backouts), R (when ``repo-cksum`` is
on, or for the first check-in of an empty checkout), T (``--branch`` with
the cancellation of the parent's other propagating ``sym-`` tags,
``--bgcolor``/``--branchcolor``, ``--close``, ``--tag``), U and Z.

Baseline or delta manifest as Fossil chooses: a delta (B card, F cards
for changed, new and removed files only) with ``--delta``, or when the
repository already holds delta manifests (``seen-delta-manifest``), does
not forbid them (``forbid-delta-manifests``) and the delta is small enough
(D*D < 3B-9); ``--baseline`` forces a baseline.

Everything happens in ONE transaction of the repository connection, which
has the checkout database attached: the file contents, the manifest, the
crosslinked tables and the new state of ``vfile``/``vvar`` commit together
or not at all, so a kill at any point leaves either the old checkout with
its edits or the new check-in with a clean checkout.  The R card is checked
against what was stored before the transaction commits, as Fossil does.
(SQLite makes a transaction over attached files atomic through its
super-journal in rollback-journal mode, Fossil's default; a repository
switched to WAL mode loses that guarantee, for fossil as for fossilpy.)

The questions about a file's content (CR/LF, binary, Unicode, invalid
UTF-8, oversize) are asked as Fossil asks them (``commit_warnings``).

A file holding a merge conflict marker (:mod:`fossilpy.artifact.merge3`)
is named ("possible unresolved merge conflict in FILE") and stops the
commit unless ``allow_conflict``.  A merge in progress (``vmerge``, as
``fossil merge`` or ``fossilpy merge`` left it) gives the extra P card
parents (ids 0 and -4) and the Q cards (-1 cherry-pick, -2 back-out).

Autosync belongs to the command (``fossilpy.cli.autosync``), above this
layer.  Not yet: converting a file on the "c" answer, the editor for a
comment (``-m`` or ``-M`` is required), clearsign, hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fossilpy.checkout import vfile
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.artifact.manifest import FileCard, Manifest, TagCard
    from fossilpy.checkout.db import Checkout

TAG_BRANCH = 8
TAG_CLOSED = 9


@dataclass
class Options:
    """What ``fossil commit`` was asked for."""

    comment: str
    #: the user running the command (must exist in the repository)
    user: str
    #: --user-override: the U card's name instead of ``user`` (need not exist)
    user_override: str | None = None
    branch: str | None = None
    bgcolor: str | None = None
    branchcolor: str | None = None
    tags: list[str] = field(default_factory=list)
    private: bool = False
    close: bool = False
    dry_run: bool = False
    allow_empty: bool = False
    allow_fork: bool = False
    allow_older: bool = False
    delta: bool = False
    baseline: bool = False
    no_warnings: bool = False
    use_hash: bool = False
    integrate: bool = False
    ignore_oversize: bool = False
    allow_conflict: bool = False
    no_prompt: bool = False
    #: asks the user a question (the prompt, without a newline); returns the answer line
    ask: Callable[[str], str] | None = None
    #: the directory names are shown relative to
    cwd: str = ""
    force: bool = False
    mimetype: str | None = None
    date: str | None = None
    files: list[str] = field(default_factory=list)
    #: run once the check-in is made, before the fork warning (the autosync push)
    after: Callable[[], None] | None = None
    #: who holds the lock on the parent the server refused in the pull before (``ci-lock-fail``)
    lock_held_by: str | None = None


def _branch_is_open(ck: Checkout, name: str) -> bool:
    return (
        ck.one(
            "SELECT rid FROM tagxref AS ox WHERE tagid=? AND tagtype=2 AND value=CAST(? AS TEXT)"
            " AND rid IN leaf AND NOT EXISTS(SELECT 1 FROM tagxref AS ix"
            " WHERE tagid=? AND tagtype=1 AND ox.rid=ix.rid)",
            (TAG_BRANCH, vfile.fs(name), TAG_CLOSED),
        )
        is not None
    )


def _selected(ck: Checkout, names: list[str]) -> set[int] | None:
    """vfile ids named on the command line (``select_commit_files``); None for all."""
    if not names:
        return None
    ids: set[int] = set()
    for name in names:
        rows = ck.all(
            "SELECT id FROM localdb.vfile WHERE pathname=? OR (pathname>?||'/' AND pathname<?||'0')",
            (name, name, name),
        )
        if not rows:
            raise UserError(f"fossil knows nothing about: {name}")
        ids.update(int(r[0]) for r in rows)
    return ids


@dataclass
class _Plan:
    """What the checks before the transaction decided."""

    vid: int
    branch: str | None
    branchcolor: str | None
    private: bool
    cksum: bool
    selected: set[int] | None
    #: (isexe, islink, vfile id) of the chosen rows whose permission on disk differs from vfile's
    perm_fixes: list[tuple[int, int, int]] = field(default_factory=list)

    def chosen(self, fid: int) -> bool:
        return self.selected is None or fid in self.selected


def _plan(ck: Checkout, o: Options) -> _Plan:
    """The checks ``commit_cmd`` makes before it writes anything."""
    from fossilpy.repo import content
    from fossilpy.repo.crosslink.leaf import is_leaf

    repo = ck.repo
    if o.delta and repo.setting_bool("forbid-delta-manifests"):
        raise UserError("delta manifests are prohibited in this repository")
    vid = ck.vid
    use_cksum = repo.setting_bool("repo-cksum")
    branch = o.branch
    private_parent = bool(vid) and content.is_private(repo, vid)
    if not vid:
        use_cksum = True
        if not o.private and branch is None:
            branch = repo.setting("main-branch")
    mark_private = o.private or private_parent
    branchcolor = o.branchcolor
    if o.private and not private_parent:
        branch = branch or "private"
        if branchcolor is None and o.bgcolor is None:
            branchcolor = "#fec084"
    if branch is not None and not o.force and branch != "private" and _branch_is_open(ck, branch):
        raise UserError(f'an open branch named "{branch}" already exists - use --force to override')
    if ck.one("SELECT 1 FROM user WHERE login=CAST(? AS TEXT)", (vfile.fs(o.user),)) is None:
        raise UserError(f"no such user: {o.user}")
    plan = _Plan(vid, branch, branchcolor, mark_private, use_cksum, _selected(ck, o.files))
    is_merge = ck.one("SELECT 1 FROM localdb.vmerge WHERE id=0 OR id<-2") is not None
    if plan.selected is not None and is_merge:
        raise UserError("cannot do a partial commit of a merge")
    vfile.check_signature(ck, vid, use_hash=o.use_hash)
    changed = ck.all(
        "SELECT id FROM localdb.vfile"
        " WHERE chnged OR deleted OR coalesce(rid,0)=0 OR (origname IS NOT NULL AND origname<>pathname)"
    )
    if not changed and not is_merge and not o.allow_empty and not o.force:
        raise UserError("nothing has changed; use --allow-empty to override")
    if plan.selected is not None and not o.allow_empty and not o.force and not any(plan.chosen(r[0]) for r in changed):
        raise UserError("none of the selected files have changed; use --allow-empty to override.")
    if (
        branch is None
        and not o.allow_fork
        and not o.force
        and not mark_private
        and (not vid or not is_leaf(repo, vid) or o.lock_held_by is not None)
    ):
        if o.lock_held_by is not None:
            raise UserError(
                f'Might fork due to a check-in race with user "{o.lock_held_by}"\n'
                'Try "update" first, or --branch, or use --override-lock'
            )
        raise UserError('Would fork.  "update" first or use --branch or --allow-fork.')
    if vid and ck.one("SELECT 1 FROM tagxref WHERE tagid=? AND rid=? AND tagtype>0", (TAG_CLOSED, vid)):
        same = branch is None or ck.one(
            "SELECT 1 FROM tagxref WHERE tagid=? AND rid=? AND tagtype>0 AND value=CAST(? AS TEXT)",
            (TAG_BRANCH, vid, vfile.fs(branch)),
        )
        if same:
            raise UserError("cannot commit against a closed leaf")
    if not o.comment and not o.dry_run:
        reply = "N" if o.no_prompt or o.ask is None else (o.ask("empty check-in comment.  continue (y/N)? ") or "N")
        if reply[0] not in "yY":
            raise UserError("Abandoning commit due to empty check-in comment\n")  # fossil's own newline too
    return plan


def _store_files(ck: Checkout, o: Options, plan: _Plan, out: Callable[[str], None]) -> None:
    """Step 2 of ``commit_cmd``: the content of every changed, selected file,
    after the questions about its content (``commit_warning``)."""
    import os

    from fossilpy.artifact.merge3 import contains_merge_marker
    from fossilpy.checkout.commit_warnings import Checker
    from fossilpy.repo import content
    from fossilpy.repo.archive import glob_match, parse_globs

    repo = ck.repo
    links = vfile.allow_symlinks(ck)
    crlf = parse_globs(ck.setting("crlf-glob") or ck.setting("crnl-glob"))
    binary = parse_globs(ck.setting("binary-glob"))
    encoding = parse_globs(ck.setting("encoding-glob"))
    limit = 0 if o.ignore_oversize else repo.setting_int("large-file-size")
    checker = Checker(o.ask or (lambda prompt: ""), no_prompt=o.no_prompt, large_file_size=limit)
    conflicts = 0
    for fid, name, rid in ck.all("SELECT id, pathname, mrid FROM localdb.vfile WHERE chnged<>0 AND NOT deleted"):
        if not plan.chosen(fid):
            continue
        path = ck.full(name)
        if not vfile.exists(path):
            raise UserError(f"no such file: {path}")
        data = vfile.read(path, links)
        shown = os.path.relpath(path, o.cwd or ck.root)
        if not shown.startswith("../"):
            shown = "./" + shown  # file_relative_name
        if not o.no_warnings:
            checker.check(
                data,
                shown,
                crlf_ok=glob_match(repo, crlf, name),
                bin_ok=glob_match(repo, binary, name),
                enc_ok=glob_match(repo, encoding, name),
                size_ok=limit <= 0 or len(data) <= limit,
            )
        if contains_merge_marker(data):
            conflicts += 1
            out(f"possible unresolved merge conflict in {shown}")
        nrid = content.put(repo, data, private=plan.private)
        if nrid != rid:
            if rid:
                content.deltify(repo, rid, nrid)
            ck.execute("UPDATE localdb.vfile SET mrid=?, rid=?, mhash=NULL WHERE id=?", (nrid, nrid, fid))
            ck.execute("INSERT OR IGNORE INTO unsent VALUES(?)", (nrid,))
    if conflicts and not o.allow_conflict:
        raise UserError("abort due to unresolved merge conflicts; use --allow-conflict to override")


def _manifest(ck: Checkout, o: Options, plan: _Plan, cksum: str | None) -> Manifest:
    """``create_manifest`` (baseline form)."""
    from fossilpy.artifact.manifest import ArtifactType, CherryPick, FileCard, Manifest
    from fossilpy.repo import content
    from fossilpy.repo.docwrite import now_date

    repo = ck.repo
    vid = plan.vid
    links = vfile.allow_symlinks(ck)
    m = Manifest(ArtifactType.MANIFEST)
    m.comment = o.comment if o.comment else "(no comment)"
    m.date = now_date()
    if o.date:
        m.date = str(ck.one("SELECT strftime('%Y-%m-%dT%H:%M:%f', CAST(? AS TEXT))", (o.date,)) or "")
        if not m.date:
            raise UserError(f'unrecognized date format ({o.date}): use "YYYY-MM-DD HH:MM:SS.SSS"')
    private = {rid for (rid,) in ck.all("SELECT rid FROM private")}  # content_make_public's test, once
    for fid, name, uuid, orig, frid, isexe, islink, deleted in ck.all(
        "SELECT vfile.id, pathname, uuid, origname, blob.rid, isexe, islink, deleted"
        " FROM localdb.vfile JOIN blob ON vfile.mrid=blob.rid WHERE vfile.vid=?",
        (vid,),
    ):
        sel = plan.chosen(fid)
        if deleted and sel:
            continue
        if sel:
            _, _, perm = vfile.file_info(ck.full(name), links)
            was = (int(isexe or 0), int(islink or 0))
            isexe, islink = perm == vfile.PERM_EXE, perm == vfile.PERM_LNK
            if (int(isexe), int(islink)) != was:
                plan.perm_fixes.append((int(isexe), int(islink), fid))
        if not plan.private and frid in private:
            content.make_public(repo, frid)
        if orig is not None and not sel:
            name, orig = orig, None
        prior = None if orig is None or orig == name else orig
        m.files.append(FileCard(name, uuid, "x" if isexe else "l" if islink else None, prior))
    m.mimetype = o.mimetype or None
    if vid:
        m.parents = [str(ck.one("SELECT uuid FROM blob WHERE rid=?", (vid,)))]
        _verify_younger(ck, o, vid, m.parents[0], m.date)
        for (mid,) in ck.all("SELECT merge FROM localdb.vmerge WHERE id=0 OR id<-2"):
            if (not plan.private and content.is_private(repo, mid)) or mid == vid:
                continue
            u = content.uuid_of(repo, mid)
            if u:
                m.parents.append(u)
                _verify_younger(ck, o, mid, u, m.date)
    for sign, mhash, mid in ck.all(
        "SELECT CASE id WHEN -1 THEN '+' ELSE '-' END, mhash, merge FROM localdb.vmerge"
        " WHERE id=-1 OR id=-2 ORDER BY 1, 2"
    ):
        if not ((not plan.private and content.is_private(repo, mid)) or mid == vid):
            m.cherrypicks.append(CherryPick(sign, mhash, None))
    m.repo_cksum = cksum
    m.tags = _tags(ck, o, plan)
    m.user = o.user_override or o.user
    return m


def _delta_files(full: list[FileCard], base: list[FileCard]) -> list[FileCard]:
    """The F cards of a delta manifest against baseline files ``base``: files
    whose hash changed or that are new, and ``F NAME`` for files gone."""
    from fossilpy.artifact.manifest import FileCard

    out: list[FileCard] = []
    i = 0
    for fc in full:
        while i < len(base) and vfile.fs(base[i].name) < vfile.fs(fc.name):
            out.append(FileCard(base[i].name, None))
            i += 1
        if i < len(base) and base[i].name == fc.name:
            if base[i].uuid != fc.uuid:
                out.append(fc)
            i += 1
        else:
            out.append(fc)
    out += [FileCard(b.name, None) for b in base[i:]]
    return out


def _maybe_delta(ck: Checkout, o: Options, plan: _Plan, m: Manifest) -> Manifest:
    """The delta form of ``m`` when Fossil would write it (``commit_cmd``):
    with --delta, or when the repository has seen delta manifests, is not
    forbidden them, and D*D < B*3-9 (D: F cards of the delta plus its B
    card, B: F cards of the baseline form)."""
    import copy

    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content

    repo = ck.repo
    if o.baseline or not plan.vid:
        return m
    if not o.delta and (not repo.config_bool("seen-delta-manifest") or repo.setting_bool("forbid-delta-manifests")):
        return m
    parent = parse_or_none(content.get(repo, plan.vid) or b"")
    if parent is None:
        return m
    if parent.baseline:
        base_uuid = parent.baseline
        base = parse_or_none(content.get_by_uuid(repo, base_uuid) or b"")
    else:
        base_uuid, base = m.parents[0], parent
    if base is None:
        if o.delta:
            raise UserError("unable to find a baseline-manifest for the delta")
        return m
    files = _delta_files(
        sorted(m.files, key=lambda f: vfile.fs(f.name)), sorted(base.files, key=lambda f: vfile.fs(f.name))
    )
    size_d, size_b = len(files) + 1, len(m.files)
    if not o.delta and size_d * size_d >= size_b * 3 - 9:
        return m
    d = copy.copy(m)
    d.baseline = base_uuid
    d.files = files
    return d


def _verify_younger(ck: Checkout, o: Options, rid: int, uuid: str, date: str) -> None:
    """``checkin_verify_younger``: a check-in must be younger than its parents."""
    if o.allow_older or o.force:
        return
    spaced = date[:10] + " " + date[11:]
    if ck.one("SELECT 1 FROM event WHERE datetime(mtime)>=? AND type='ci' AND objid=?", (spaced, rid)):
        raise UserError(
            f"ancestor check-in [{uuid[:10]}] ({spaced}) is not older (clock skew?) Use --allow-older to override."
        )


def _integrated(ck: Checkout, integrate: bool) -> list[tuple[str, int]]:
    """(hash, rid) of the merged check-ins whose branches this check-in closes
    (vmerge id -4, and with --integrate every merge)."""
    sql = "SELECT mhash, merge FROM localdb.vmerge WHERE id=-4 ORDER BY 1"
    if integrate:
        sql = "SELECT mhash, merge FROM localdb.vmerge WHERE id IN (0,-4) ORDER BY 1"
    return [(str(h), int(r)) for h, r in ck.all(sql)]


def _tags(ck: Checkout, o: Options, plan: _Plan) -> list[TagCard]:
    from fossilpy.artifact.manifest import TagCard
    from fossilpy.repo.crosslink.leaf import is_leaf

    tags: list[TagCard] = []
    color = o.bgcolor
    branch = plan.branch
    if branch:
        if plan.branchcolor:
            color = None
            tags.append(TagCard("*", "bgcolor", None, plan.branchcolor))
        tags.append(TagCard("*", "branch", None, branch))
        tags.append(TagCard("*", "sym-" + branch, None, None))
    if color:
        tags.append(TagCard("+", "bgcolor", None, color))
    if o.close:
        tags.append(TagCard("+", "closed", None, None))
    for mhash, rid in _integrated(ck, o.integrate):
        if (
            is_leaf(ck.repo, rid)
            and ck.one("SELECT 1 FROM tagxref WHERE tagid=? AND rid=? AND tagtype>0", (TAG_CLOSED, rid)) is None
        ):
            tags.append(TagCard("+", "closed", mhash, None))
    tags += [TagCard("+", "sym-" + t, None, None) for t in o.tags if t]
    if branch:
        for (tagname,) in ck.all(
            "SELECT tagname FROM tagxref, tag WHERE tagxref.rid=? AND tagxref.tagid=tag.tagid"
            " AND tagtype==2 AND tagname GLOB 'sym-*' AND tagname!='sym-'||CAST(? AS TEXT) ORDER BY tagname",
            (plan.vid, vfile.fs(branch)),
        ):
            tags.append(TagCard("-", tagname, None, None))
    return tags


def _move_checkout(ck: Checkout, plan: _Plan, nvid: int, m: Manifest) -> None:
    """The checkout is now at ``nvid``: vfile, vmerge and vvar as ``commit_cmd`` leaves them."""
    for (fid,) in ck.all("SELECT id FROM localdb.vfile WHERE vid!=? OR deleted", (plan.vid,)):
        if plan.chosen(fid):
            ck.execute("DELETE FROM localdb.vfile WHERE id=?", (fid,))
    ck.execute("DELETE FROM localdb.vmerge")
    ck.execute("UPDATE localdb.vfile SET vid=?", (nvid,))
    reset = "UPDATE localdb.vfile SET rid=mrid, mhash=NULL, chnged=0, deleted=0, origname=NULL"
    if plan.selected is None:
        ck.execute(reset)  # every row is chosen: one statement
    else:
        ck.repo.db.executemany(reset + " WHERE id=?", [(fid,) for fid in sorted(plan.selected)])
    ck.set_checkout(nvid)
    # the permissions the new check-in gives the chosen files (the others keep vfile's)
    ck.repo.db.executemany("UPDATE localdb.vfile SET isexe=?, islink=? WHERE id=?", plan.perm_fixes)


def commit(ck: Checkout, o: Options, out: Callable[[str], None]) -> str | None:
    """Make the check-in; return its hash (None for a dry run)."""
    from fossilpy.checkout import undo
    from fossilpy.repo import content, crosslink
    from fossilpy.repo.crosslink.leaf import is_leaf

    repo = ck.repo
    plan = _plan(ck, o)
    result: str | None = None
    try:
        with repo.write():
            stored: dict[int, bytes] = {}  # unselected files' content, read once for both R cards
            cksum1 = vfile.checksum_disk(ck, plan.vid, plan.chosen, stored) if plan.cksum else None
            _store_files(ck, o, plan, out)
            m = _manifest(ck, o, plan, cksum1)
            data = _maybe_delta(ck, o, plan, m).to_bytes()
            if o.dry_run:
                for line in data.decode("utf-8", "surrogateescape").splitlines():
                    out(line)
            nvid = content.put(repo, data, private=plan.private)
            ck.execute("INSERT OR IGNORE INTO unsent VALUES(?)", (nvid,))
            # crosslink parses the new check-in (once, as Fossil's manifest_crosslink does); the
            # transaction is rolled back when it does not parse
            if not crosslink.crosslink(repo, nvid, data):
                raise UserError("the new check-in manifest does not parse; nothing was written")
            if plan.vid:
                content.deltify(repo, plan.vid, nvid)
            uuid_new = str(ck.one("SELECT uuid FROM blob WHERE rid=?", (nvid,)))
            for mhash, rid in _integrated(ck, False):
                if is_leaf(repo, rid):
                    out(f"Closed: {mhash}")
                else:
                    out(f"Not_Closed: {mhash} (not a leaf any more)")
            out(f"New_Version: {uuid_new}")
            _move_checkout(ck, plan, nvid, m)
            if cksum1 is not None:
                cksum2 = checksum_repository(ck, nvid, plan.chosen, stored)
                stored.clear()
                if cksum2 != cksum1:
                    raise UserError(
                        "working check-out does not match what would have ended up in the repository:"
                        f"  {cksum1} versus {cksum2}"
                    )
            undo.reset(ck)
            ck.execute("DELETE FROM localdb.vvar WHERE name='ci-comment'")
            if o.dry_run:
                raise _DryRun
            result = uuid_new
    except _DryRun:
        return None
    if result is not None:
        vfile.manifest_to_disk(ck, int(ck.one("SELECT rid FROM blob WHERE uuid=?", (result,))), sterile=False)
        if o.after is not None and not plan.private:
            o.after()
    if plan.vid and _nonbranch_children(ck, plan.vid) > 1:
        out("**** warning: a fork has occurred *****")
    elif result is not None:
        from fossilpy.checkout.ancestry import leaf_ambiguity_warning

        for line in leaf_ambiguity_warning(ck, ck.vid, ck.vid):
            out("!" + line)
    return result


class _DryRun(Exception):
    """Roll the transaction back after showing what would be written."""


def _nonbranch_children(ck: Checkout, pid: int) -> int:
    return int(
        ck.one(
            "SELECT count(*) FROM plink WHERE pid=? AND isprim"
            " AND coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.pid),'trunk')"
            " =coalesce((SELECT value FROM tagxref WHERE tagid=8 AND rid=plink.cid),'trunk')",
            (pid,),
            0,
        )
    )


def checksum_repository(
    ck: Checkout, vid: int, chosen: Callable[[int], bool] = lambda fid: True, stored: dict[int, bytes] | None = None
) -> str:
    """The R card from the stored content of the files vfile lists for ``vid``
    (``vfile_aggregate_checksum_repository``); ``stored``: content already read, by rid."""
    from fossilpy.artifact.manifest import repo_checksum
    from fossilpy.repo import content

    files: list[tuple[str | bytes, bytes]] = []
    for fid, name, orig, deleted, rid in ck.all(
        "SELECT id, pathname, origname, deleted, rid FROM localdb.vfile WHERE rid>0 AND vid=?", (vid,)
    ):
        sel = chosen(fid)
        if deleted and sel:
            continue
        data = stored.get(rid) if stored else None
        if data is None:
            data = content.get(ck.repo, rid) or b""
        files.append((vfile.fs(orig if orig and not sel else name), data))
    return repo_checksum(files)
