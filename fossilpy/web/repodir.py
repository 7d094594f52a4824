"""Directory mode: map the front of PATH_INFO to a repository file.

Fossil's rules (``process_one_web_page`` in ``src/main.c``):

* The first PATH_INFO segment ``/NAME`` selects ``DIR/NAME.fossil``.  If
  that file does not exist but ``DIR/NAME`` is a directory, the next
  segment is appended (``/a/b`` -> ``DIR/a/b.fossil``) and so on.
* NAME may contain only ASCII letters and digits, ``/``, ``_``, ``-``
  (never right after a ``/``) and ``.`` (only between two letters or
  digits).  Anything else -- ``..``, ``%2e%2e`` once decoded, a leading
  ``-``, a backslash, a NUL, non-ASCII -- is "not found".
* A file named just ``.fossil`` never counts; a repository file smaller
  than 1024 bytes is "not found".
* With ``--files GLOB``, a plain file ``DIR/NAME`` whose name matches one
  of the globs is served as a static file, except names containing
  ``.fossil`` and names without a known MIME type.
* In addition to Fossil's checks, the resolved path (symlinks followed)
  must stay inside DIR.

The matched prefix (``/a/b``) moves from PATH_INFO to SCRIPT_NAME.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Any

from fossilpy.web.request import Request, Response


class Found:
    """Result of :func:`resolve`: ``kind`` is "repo", "file" or "none"."""

    __slots__ = ("kind", "path", "prefix", "rest")

    def __init__(self, kind: str, path: str = "", prefix: str = "", rest: str = "") -> None:
        self.kind, self.path, self.prefix, self.rest = kind, path, prefix, rest


NONE = Found("none")


def name_is_safe(name: str) -> bool:
    """True if ``name`` (the path after the leading "/") obeys Fossil's character rules."""
    prev = "/"
    for k, c in enumerate(name):
        nxt = name[k + 1] if k + 1 < len(name) else ""
        if c.isascii() and c.isalnum():
            pass
        elif c in "/_":
            pass
        elif c == "-" and prev != "/":
            pass
        elif c == "." and prev.isascii() and prev.isalnum() and nxt.isascii() and nxt.isalnum():
            pass
        else:
            return False
        prev = c
    return True


def _inside(root: str, path: str) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def resolve(directory: str, path_info: str, files: tuple[str, ...] = ()) -> Found:
    """Find the repository (or static file) named by the front of ``path_info``."""
    root = os.path.abspath(directory)
    path = path_info
    if path and not path.startswith("/"):
        path = "/" + path
    i = 1 if path else 0
    while True:
        while i < len(path) and path[i] != "/":
            i += 1
        name = path[1:i]
        if not name_is_safe(name):
            return NONE
        candidate = os.path.join(root, name + ".fossil")
        size = -1
        if name and not name.endswith("/"):
            try:
                if os.path.isfile(candidate) and _inside(root, candidate):
                    size = os.path.getsize(candidate)
            except OSError:
                size = -1
        if size < 0 and i > 0 and name:
            plain = os.path.join(root, name)
            if i < len(path) and path[i] == "/" and os.path.isdir(plain) and _inside(root, plain):
                i += 1
                continue
            if (
                files and ".fossil" not in name and os.path.isfile(plain) and _inside(root, plain)
                and any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase("/" + name, g) for g in files)
                and _mimetype(plain)
            ):
                return Found("file", plain)
        if size < 1024:
            return NONE
        return Found("repo", candidate, path[:i], path[i:] or "/")


def _mimetype(path: str) -> str | None:
    import mimetypes

    mt, _ = mimetypes.guess_type(path, strict=False)
    return mt


def static_response(path: str) -> Response:
    """A ``--files`` static file; HTML-like types are served as they are, sandboxed."""
    with open(path, "rb") as fh:
        data = fh.read()
    mt = _mimetype(path) or "application/octet-stream"
    low = mt.lower()
    active = low in ("text/html", "image/svg+xml", "application/xhtml+xml") or low.endswith(("/xml", "+xml"))
    if mt.startswith("text/"):
        mt += "; charset=utf-8"
    resp = Response(status=200, body=data, content_type=mt)
    if active:
        # HTML, SVG and XML can run scripts: keep them in an opaque origin
        resp.add_header("Content-Security-Policy", "sandbox")
    return resp


def list_repositories(directory: str) -> list[str]:
    """Names (without ``.fossil``) of the repositories under ``directory``, sorted.

    A name whose file resolves (symlinks followed) outside ``directory`` is
    left out, as :func:`resolve` refuses to serve it.
    """
    from fossilpy.errors import StorageError
    from fossilpy.repo.db import Repo

    root = os.path.abspath(directory)
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if not fn.endswith(".fossil") or fn == ".fossil":
                continue
            full = os.path.join(dirpath, fn)
            name = os.path.relpath(full, root)[: -len(".fossil")].replace(os.sep, "/")
            if not name_is_safe(name) or not _inside(root, full):
                continue
            try:
                Repo.open(full, readonly=True).close()
            except StorageError:
                continue
            out.append(name)
    return out


def list_page(app: Any, req: Request, directory: str, nonce: str) -> Response:
    """The ``--repolist`` page: one link per repository."""
    names = list_repositories(directory)
    html = app.render.render_string("repolist.html", names=names, top=req.top, nonce=nonce)
    return Response(status=200, body=html.encode())
