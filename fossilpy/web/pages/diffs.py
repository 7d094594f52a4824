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

/fdiff compares two artifacts named by hash prefix (normally two
versions of one file); ``patch`` gives the plain unified diff as text.
"""

from __future__ import annotations

from fossilpy.artifact import textdiff
from fossilpy.repo import content
from fossilpy.repo.names import is_hash_prefix
from fossilpy.repo.visibility import MLINK_VISIBLE, Visibility
from fossilpy.web import names
from fossilpy.web.pages.info import MAX_DIFF_LINES, FileChange, diff_view, fill_diff
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def _checkin(ctx: Context, vis: Visibility, param: str) -> tuple[int, str]:
    name = ctx.req.get(param) or ""
    if not name:
        raise HTTPError(404, "give two check-ins: /vdiff?from=CHECKIN&to=CHECKIN")
    rid = names.find_checkin(vis, name)
    return rid, content.uuid_of(ctx.repo, rid) or ""


@pages.webpage("/vdiff", caps="o")
def vdiff(ctx: Context) -> Response:
    """/vdiff?from=CHECKIN&to=CHECKIN

    The files that differ between two check-ins, with unified diffs.
    Check-ins are named as for /info (hash prefix, branch, tag, date,
    "tip")."""
    repo = ctx.repo
    vis = names.visibility(ctx)
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
    return ctx.render(
        "vdiff.html",
        title=f"Changes from [{from_uuid[:10]}] to [{to_uuid[:10]}]",
        from_uuid=from_uuid,
        to_uuid=to_uuid,
        from_meta=_ci_meta(ctx, from_rid),
        to_meta=_ci_meta(ctx, to_rid),
        changes=changes,
        diffview=view,
        diffpage=f"/vdiff?from={from_uuid}&to={to_uuid}",
    )


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
