"""/zip, /sqlar and /tarball: a check-in as a downloadable archive.

The URLs of Fossil 2.21 (``baseline_zip_page`` in ``src/zip.c``,
``tarball_page`` in ``src/tar.c``); these are all the same archive::

    /zip/508c42a6398f8/download.zip
    /zip?r=508c42a6398f8&name=download.zip
    /zip/download.zip?r=508c42a6398f8
    /zip?name=508c42a6398f8/download.zip

``r=`` (formerly ``uuid=``) names the check-in, default ``trunk``; NAME
less its suffix (``.zip``, ``.sqlar``, ``.tar.gz``, else anything after the
last dot past the sixth character) is the top directory of the archive.
``in=`` and ``ex=`` are comma-separated glob lists of files to keep and to
drop.  The archive bytes come from :mod:`fossilpy.repo.archive`.  Needs
capability ``z``.
"""

from __future__ import annotations

import hashlib

from fossilpy.repo import archive
from fossilpy.repo.names import AMBIGUOUS
from fossilpy.web import names
from fossilpy.web.request import Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: page -> (suffix stripped from NAME, content type)
_KINDS = {
    "zip": (".zip", "application/zip"),
    "sqlar": (".sqlar", "application/sqlar"),
    "tarball": (".tar.gz", "application/x-compressed"),
}


def split_name(name: str) -> tuple[str | None, str]:
    """Fossil's ``tar_uuid_from_name``: "TAG/NAME" -> (TAG, NAME); (None, name) otherwise."""
    first = name.find("/")
    if first <= 0 or "/" in name[first + 1 :] or first + 1 == len(name):
        return None, name
    return name[:first], name[first + 1 :]


def strip_suffix(name: str, suffix: str) -> str:
    """NAME without ``suffix``, or without its last ".EXT" when the dot is past the sixth character."""
    if len(name) > len(suffix) and name.endswith(suffix):
        return name[: -len(suffix)]
    for i in range(len(name) - 1, 5, -1):
        if name[i] == ".":
            return name[:i]
    return name


def _archive_reply(ctx: Context, kind: str) -> Response:
    suffix, ctype = _KINDS[kind]
    req = ctx.req
    name = req.get("name") or ""
    rev = req.get("r")
    if rev is None:
        rev = req.get("uuid")
    if rev is None:
        rev, name = split_name(name)
    if rev is None:
        rev = "trunk"
    include = archive.parse_globs(req.get("in"))
    exclude = archive.parse_globs(req.get("ex"))
    name = strip_suffix(name, suffix)
    vis = names.visibility(ctx)
    rid = vis.lookup((rev or name).strip(), "ci")
    if rid <= 0 or rid == AMBIGUOUS:
        return Response(404, b"Not found\n")
    if not rev and len(name) > 10:
        name = name[:10]
    ci = archive.checkin_content(ctx.repo, rid, name, include, exclude)
    if ci is None:
        return Response(404, b"Not found\n")
    if kind == "zip":
        body = archive.zip_bytes(ctx.repo, ci)
    elif kind == "sqlar":
        body = archive.sqlar_bytes(ci)
    else:
        body = archive.tarball_bytes(ci)
    resp = Response(body=body, content_type=ctype)
    key = f"/{kind}/{ci.uuid}/{name},in={req.get('in')},ex={req.get('ex')}"
    resp.add_header("ETag", '"' + hashlib.md5(key.encode("utf-8", "surrogateescape")).hexdigest() + '"')
    resp.add_header("Cache-Control", "max-age=86400")
    return resp


@pages.webpage("/zip", caps="z")
def zip_page(ctx: Context) -> Response:
    """/zip/NAME.zip?r=CHECKIN&in=GLOBS&ex=GLOBS  or  /zip?name=CHECKIN/NAME.zip

    A ZIP archive of a check-in (default: trunk), its files under
    directory NAME; in= keeps only files matching a glob list, ex= drops
    files matching one."""
    return _archive_reply(ctx, "zip")


@pages.webpage("/sqlar", caps="z")
def sqlar_page(ctx: Context) -> Response:
    """/sqlar/NAME.sqlar?r=CHECKIN&in=GLOBS&ex=GLOBS

    A SQLite archive (sqlar) of a check-in (default: trunk), as /zip."""
    return _archive_reply(ctx, "sqlar")


@pages.webpage("/tarball", caps="z")
def tarball_page(ctx: Context) -> Response:
    """/tarball/NAME.tar.gz?r=CHECKIN&in=GLOBS&ex=GLOBS

    A gzip-compressed tarball of a check-in (default: trunk), as /zip."""
    return _archive_reply(ctx, "tarball")
