"""/annotate, /blame and /praise: the origin of each line of a file.

Fossil 2.21's ``annotation_page`` (``src/diff.c``) over
:mod:`fossilpy.repo.annotate`.  Query parameters, as Fossil's:

* ``filename=`` the file, ``checkin=`` the check-in to start from
  (required: without a check-out there is no default);
* ``origin=`` a check-in to walk towards instead of the root (a later one
  gives a reverse annotation);
* ``limit=`` ``none``, ``Ns`` (seconds) or ``N`` (versions); default one
  second of work;
* ``log=`` show the versions analyzed, ``filevers=`` link each line to the
  file version rather than the check-in, ``w=`` ignore white space.

/annotate prints the check-in, its date and the line number before each
line; /blame and /praise the check-in, date and user.  Colours run from
red (newest version) to blue (oldest), as Fossil's.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fossilpy.errors import NotFound
from fossilpy.repo import annotate as ann_mod
from fossilpy.repo.names import AMBIGUOUS
from fossilpy.settings import is_truth
from fossilpy.web import names
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: Newest and oldest colours of the gradient (Fossil's light-skin values).
HOT, COLD = 0xFFB5B5, 0xB5E0FF


def _bool(ctx: Context, name: str) -> bool:
    """Fossil's ``PB()``: present and empty, or a truth word."""
    value = ctx.req.get(name)
    return value is not None and (value == "" or is_truth(value))


def _checkin(ctx: Context, name: str) -> int:
    rid = names.visibility(ctx).lookup(name.strip(), "ci")
    if rid <= 0 or rid == AMBIGUOUS:
        raise HTTPError(400, f"cannot resolve name: {name}")
    return rid


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def prefix_lines(ctx: Context, ann: ann_mod.Annotation, *, blame: bool, file_versions: bool) -> list[str]:
    """Each line of the file as Fossil prints it in the ``<pre>``: its prefix, a space, the escaped text."""
    top = ctx.req.top
    links = ctx.has("h")
    out = []
    for i, raw in enumerate(ann.lines):
        v = ann.owner_of(i)
        text = _esc(raw.decode("utf-8", "surrogateescape"))
        if v < 0:
            head = " " * 36 if blame else " " * 22 + f"{i + 1:4d}:"
        else:
            ver = ann.versions[v]
            uuid = ver.file_uuid if file_versions else ver.checkin_uuid
            link = f"<a target='infowindow' href=\"{top}/info/{uuid[:16]}\">" if links else ""
            tail = f"{ver.user[:13]:>13}:" if blame else f"{i + 1:4d}:"
            head = f"<span style='background-color:{ver.color}'>{link}{uuid[:10]}</a> {_esc(ver.date)}</span> {tail}"
        out.append(f"{head} {text}")
    return out


def _page(ctx: Context, blame: bool) -> Response:
    req = ctx.req
    filename = req.get("filename") or ""
    revision = req.get("checkin")
    if revision is None:
        raise HTTPError(400, "current directory is not within an open check-out")
    flags = ann_mod.STRIP_EOLCR | (ann_mod.IGNORE_ALLWS if _bool(ctx, "w") else 0)
    cid = _checkin(ctx, revision)
    origin_name = req.get("origin")
    origin = _checkin(ctx, origin_name) if origin_name is not None else 0
    try:
        ann = ann_mod.annotate(ctx.repo, filename, cid, origin=origin, limit=req.get("limit"), flags=flags)
    except NotFound as exc:
        raise HTTPError(400, str(exc)) from None
    if not ann.versions[0].file_uuid:
        raise HTTPError(400, "unable to retrieve content of artifact #0")
    n = len(ann.versions)
    for i, ver in enumerate(ann.versions):
        ver.color = f"#{ann_mod.gradient_color(HOT, COLD, n - 1, i):06x}"
    show_log = _bool(ctx, "log")
    file_versions = _bool(ctx, "filevers")
    ci = ann.versions[0].checkin_uuid
    params = {"checkin": revision, "filename": filename}
    if req.get("limit") is not None:
        params["limit"] = req.get("limit") or ""
    toggles = {"w": _bool(ctx, "w"), "log": show_log, "filevers": file_versions}
    page = "blame" if blame else "annotate"

    def url(**change: str) -> str:
        values = {**params, **{k: "1" if on else "0" for k, on in toggles.items()}, **change}
        return f"{ctx.req.top}/{page}?{urlencode(values)}"

    menu = [
        (label, url(**{key: "0" if toggles[key] else "1"}), toggles[key])
        for key, label in (("w", "Ignore Whitespace"), ("log", "Log"), ("filevers", "Link to Files"))
    ]
    return ctx.render(
        "annotate.html",
        title=f"Annotation For {filename}",
        ann=ann,
        filename=filename,
        fname_q=quote(filename, safe="", errors="surrogateescape"),
        ci=ci,
        origin=origin_name if origin else None,
        show_log=show_log,
        menu=menu,
        all_url=url(limit="none") if ann.more_to_do else None,
        lines=prefix_lines(ctx, ann, blame=blame, file_versions=file_versions),
    )


@pages.webpage("/annotate", caps="o")
def annotate_page(ctx: Context) -> Response:
    """/annotate?filename=FILE&checkin=CHECKIN&origin=CHECKIN&limit=LIMIT&log=1&filevers=1&w=1

    The check-in that last changed each line of FILE, with its date and
    the line number (limit: none, Ns or N versions)."""
    return _page(ctx, blame=False)


@pages.webpage("/blame", caps="o")
def blame_page(ctx: Context) -> Response:
    """/blame?filename=FILE&checkin=CHECKIN&origin=CHECKIN&limit=LIMIT&log=1&filevers=1&w=1

    As /annotate, with the user of each check-in instead of line numbers."""
    return _page(ctx, blame=True)


@pages.webpage("/praise", caps="o")
def praise_page(ctx: Context) -> Response:
    """/praise?filename=FILE&checkin=CHECKIN&origin=CHECKIN&limit=LIMIT&log=1&filevers=1&w=1

    The same page as /blame."""
    return _page(ctx, blame=True)
