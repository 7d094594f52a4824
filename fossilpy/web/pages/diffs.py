"""/vdiff and /fdiff: what changed between two check-ins or two file versions.

/vdiff compares the file lists of two check-ins (the full lists, from
their manifests, baselines followed) by name: a name only in ``to`` is
added, only in ``from`` deleted, in both with different hashes
modified.  Renames are not traced (Fossil's /vdiff shows them as a
deletion and an addition too unless asked otherwise).  The diffs are
Fossil's (:mod:`fossilpy.artifact.textdiff`, the hunks ``fossil server``
shows), as /info draws them (:func:`fossilpy.web.pages.info.fill_diff`):
``diff=0`` none, ``diff=1`` unified, ``diff=2`` side by side (the default
on a desktop browser), ``w`` ignores whitespace, ``dc=N`` lines of context.

``/vdiff?branch=NAME`` is Fossil's "Changes On Branch": from the
branch's most recent merge-in (``merge-in:NAME``, the youngest ancestor
of the branch tip on the branch it came from) to the tip of NAME.

/vpatch?from=X&to=Y is the same comparison as a plain-text patch, byte
for byte what ``fossil diff --from X --to Y -v`` prints (Fossil's
``diff_two_versions``): per file ``DELETED``/``ADDED`` lines, then
``Index:``, a row of ``=``, ``---``/``+++`` and the unified diff.

/fdiff compares two artifacts named by hash prefix (normally two
versions of one file); ``patch`` gives the plain unified diff as text.
"""

from __future__ import annotations

from urllib.parse import quote

from fossilpy.artifact import diffbuild, textdiff
from fossilpy.repo import content
from fossilpy.repo import names as repo_names
from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import MLINK_VISIBLE, Visibility
from fossilpy.web import names
from fossilpy.web.pages import checkin_info
from fossilpy.web.pages.info import MAX_DIFF_LINES, FileChange, diff_view, fill_diff
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Fossil's DIFF_VERBOSE (missing files shown as empty): /vpatch's only flag.
DIFF_VERBOSE = 0x00000008


def _checkin(ctx: Context, vis: Visibility, param: str, given: str | None = None) -> tuple[int, str]:
    name = given if given is not None else ctx.req.get(param) or ""
    if not name:
        raise HTTPError(404, "give two check-ins: /vdiff?from=CHECKIN&to=CHECKIN")
    if name.startswith("merge-in:"):
        rid = merge_in(ctx, vis, name[9:])
    else:
        rid = names.find_checkin(vis, name)
    return rid, content.uuid_of(ctx.repo, rid) or ""


def merge_in(ctx: Context, vis: Visibility, branch: str) -> int:
    """``merge-in:BRANCH``: the youngest ancestor (through any parent) of
    the check-in BRANCH names that is on the branch BRANCH diverged from
    (Fossil's ``start_of_branch(rid, 2)``)."""
    repo = ctx.repo
    rid = names.find_checkin(vis, branch)
    root = repo_names.lookup(repo, f"root:{branch}", "ci", private=vis.private)
    if root <= 0:
        return rid
    origin = names.branch_of(repo, root)
    found = repo.one(
        "WITH RECURSIVE ancestor(rid, mtime) AS ("
        " SELECT ?, mtime FROM event WHERE objid=?"
        " UNION SELECT plink.pid, event.mtime FROM ancestor, plink, event"
        " WHERE plink.cid=ancestor.rid AND event.objid=plink.pid ORDER BY mtime DESC)"
        " SELECT ancestor.rid FROM ancestor WHERE EXISTS(SELECT 1 FROM tagxref"
        " WHERE tagid=8 AND tagxref.rid=ancestor.rid AND value=? AND tagtype>0) LIMIT 1",
        (rid, rid, origin),
        0,
    )
    return int(found or 0) or rid


@pages.webpage("/vdiff", caps="o")
def vdiff(ctx: Context) -> Response:
    """/vdiff?from=CHECKIN&to=CHECKIN

    The files that differ between two check-ins, with unified diffs.
    Check-ins are named as for /info (hash prefix, branch, tag, date,
    "tip").  ``branch=NAME`` compares the branch's latest merge-in with
    its tip (from ``merge-in:NAME`` to ``NAME``)."""
    repo = ctx.repo
    vis = names.visibility(ctx)
    branch = ctx.req.get("branch") or ""
    if branch:
        from_rid, from_uuid = _checkin(ctx, vis, "from", f"merge-in:{branch}")
        to_rid, to_uuid = _checkin(ctx, vis, "to", branch)
    else:
        from_rid, from_uuid = _checkin(ctx, vis, "from")
        to_rid, to_uuid = _checkin(ctx, vis, "to")
    old = {f.name: f.uuid for f in names.checkin_files(repo, from_rid)}
    new = {f.name: f.uuid for f in names.checkin_files(repo, to_rid)}
    view = diff_view(ctx)
    budget = MAX_DIFF_LINES
    changes: list[FileChange] = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name, ""), new.get(name, "")
        if a == b:
            continue
        status = "added" if not a else "deleted" if not b else "modified"
        change = FileChange(name, status, uuid=b, old_uuid=a)
        if view.kind > 0:
            before = content.get_by_uuid(repo, a) if a else b""
            after = content.get_by_uuid(repo, b) if b else b""
            budget = fill_diff(change, before, after, budget, view)
        changes.append(change)
    query = f"branch={quote(branch)}" if branch else f"from={from_uuid}&to={to_uuid}"
    return ctx.render(
        "vdiff.html",
        title=f"Changes On Branch {branch}" if branch else f"Changes from [{from_uuid[:10]}] to [{to_uuid[:10]}]",
        branch=branch,
        real_branch=names.branch_of(repo, to_rid) if branch else "",
        patch=f"/vpatch?from={quote(from_uuid)}&to={quote(to_uuid)}",
        from_uuid=from_uuid,
        to_uuid=to_uuid,
        from_meta=_ci_meta(ctx, from_rid),
        to_meta=_ci_meta(ctx, to_rid),
        context=checkin_info.context_rows(ctx, from_rid, to_rid) if not ctx.req.flag("nohdr") else "",
        changes=changes,
        diffview=view,
        diffpage=f"/vdiff?{query}",
    )


@pages.webpage("/vpatch", caps="o")
def vpatch(ctx: Context) -> Response:
    """/vpatch?from=CHECKIN&to=CHECKIN

    The changes from one check-in to another as a plain-text patch (what
    ``fossil diff -v --from FROM --to TO`` prints); without both names,
    the home page."""
    from fossilpy import budget

    if ctx.req.get("from") is None or ctx.req.get("to") is None:
        return redirect(ctx.req, "/")
    vis = names.visibility(ctx)
    from_rid, _ = _checkin(ctx, vis, "from")
    to_rid, _ = _checkin(ctx, vis, "to")
    old = names.checkin_files(ctx.repo, from_rid)
    new = names.checkin_files(ctx.repo, to_rid)
    cfg = textdiff.DiffConfig(flags=DIFF_VERBOSE, tick=budget.check)
    out: list[bytes] = []

    def entry(name: str, a: str, b: str) -> None:
        before = content.get_by_uuid(ctx.repo, a) or b"" if a else b""
        after = content.get_by_uuid(ctx.repo, b) or b"" if b else b""
        budget.charge(len(before) + len(after))
        enc = name.encode("utf-8", "surrogateescape")
        out.append(b"Index: " + enc + b"\n" + b"=" * 66 + b"\n")
        out.append(diffbuild.filenames_header(name, name, cfg))
        out.append(textdiff.text_diff(before, after, cfg) + b"\n")

    i = j = 0
    while i < len(old) or j < len(new):
        a = old[i] if i < len(old) else None
        b = new[j] if j < len(new) else None
        ka = a.name.encode("utf-8", "surrogateescape") if a else b""
        kb = b.name.encode("utf-8", "surrogateescape") if b else b""
        if b is None or (a is not None and ka < kb):
            assert a is not None
            out.append(b"DELETED " + ka + b"\n")
            entry(a.name, a.uuid, "")
            i += 1
        elif a is None or kb < ka:
            out.append(b"ADDED   " + kb + b"\n")
            entry(b.name, "", b.uuid)
            j += 1
        else:
            if a.uuid != b.uuid:
                entry(a.name, a.uuid, b.uuid)
            i += 1
            j += 1
    return Response(200, b"".join(out), "text/plain")


def _ci_meta(ctx: Context, rid: int) -> tuple[float, str, str]:
    row = ctx.repo.row(
        "SELECT mtime, coalesce(euser,user,''), coalesce(ecomment,comment,'') FROM event WHERE objid=?", (rid,)
    )
    return (row[0], row[1], row[2]) if row else (0.0, "", "")


def _artifact(ctx: Context, vis: Visibility, param: str) -> tuple[int, str]:
    name = (ctx.req.get(param) or "").strip()
    if not name:
        raise HTTPError(404, "give two file versions: /fdiff?v1=HASH&v2=HASH")
    if not is_hash_prefix(name):
        raise HTTPError(404, names.NO_ARTIFACT)
    rid = names.find(vis, name)
    return rid, content.uuid_of(ctx.repo, rid) or ""


@pages.webpage("/fdiff", caps="o")
def fdiff(ctx: Context) -> Response:
    """/fdiff?v1=HASH&v2=HASH[&diff=1|2][&w][&dc=N][&patch]

    The diff of two artifacts, normally two versions of a file (hash
    prefixes are enough); with ``patch``, Fossil's unified diff as text."""
    vis = names.visibility(ctx)
    rid1, uuid1 = _artifact(ctx, vis, "v1")
    rid2, uuid2 = _artifact(ctx, vis, "v2")
    if ctx.req.get("patch") is not None:
        return _patch(ctx, rid1, rid2)
    name = (
        ctx.repo.one(
            "SELECT fn.name FROM mlink JOIN filename fn ON fn.fnid=mlink.fnid WHERE mlink.fid=? AND "
            + MLINK_VISIBLE
            + " LIMIT 1",
            (rid2, vis.private),
            "",
        )
        or ""
    )
    change = FileChange(name or uuid2[:10], "modified", uuid=uuid2, old_uuid=uuid1)
    view = diff_view(ctx)
    if view.kind <= 0:
        view.kind = 1  # /fdiff always shows its diff (construct_diff_flags + DIFF_HTML)
    if rid1 != rid2:
        fill_diff(change, content.get(ctx.repo, rid1), content.get(ctx.repo, rid2), MAX_DIFF_LINES, view)
    return ctx.render(
        "fdiff.html",
        title=f"Diff of {name or 'artifacts'} [{uuid1[:10]}] and [{uuid2[:10]}]",
        change=change,
        same=rid1 == rid2,
        diffview=view,
        diffpage=f"/fdiff?v1={uuid1}&v2={uuid2}",
    )


def _patch(ctx: Context, rid1: int, rid2: int) -> Response:
    """``/fdiff?patch``: ``text_diff`` with only ``DIFF_VERBOSE``, as text/plain."""
    from fossilpy import budget

    old = content.get(ctx.repo, rid1) or b""
    new = content.get(ctx.repo, rid2) or b""
    budget.charge(len(old) + len(new))
    out = textdiff.text_diff(old, new, textdiff.DiffConfig(tick=budget.check))
    return Response(200, out, "text/plain")
