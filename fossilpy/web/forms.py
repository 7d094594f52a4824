"""What every page that writes shares: the writable handle, the POST check,
the name written on the new artifact, and form errors.

A page that changes the repository:

1. shows its form with the login's CSRF token in a hidden ``csrf`` field
   (``<input type="hidden" name="csrf" value="{{ login.csrf }}">``), as
   Fossil's ``login_insert_csrf_secret`` does;
2. on submit calls :func:`check_post` (a same-origin POST carrying that
   token; anything else is refused with 403/405 and writes nothing);
3. validates the fields; a bad value re-shows the form with a message
   (status 400) and writes nothing (:class:`FormError`);
4. writes in one transaction on :func:`writable` (``with writable(ctx) as
   w, w.write():``), new artifacts through
   :func:`fossilpy.repo.docwrite.commit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.errors import FossilError
from fossilpy.web.request import HTTPError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.web.routes import Context


class FormError(FossilError):
    """A submitted value is not acceptable; the message is shown on the form."""


def writable(ctx: Context) -> Repo:
    """A writable handle on the request's repository (pages get a read-only one)."""
    from fossilpy.repo.db import Repo

    return Repo.open(ctx.repo_path)


def check_post(ctx: Context) -> None:
    """Refuse a change that is not a same-origin POST with this login's csrf token."""
    req = ctx.req
    if req.method != "POST":
        raise HTTPError(405, "changes must be submitted with POST")
    if not req.same_origin or req.get("csrf") != ctx.login.csrf:
        raise HTTPError(403, "cross-site or stale form submission refused; reload the page and try again")


def is_submit(ctx: Context, *names: str) -> bool:
    """True if this is a POST whose form has one of the buttons ``names`` pressed."""
    return ctx.req.method == "POST" and any(ctx.req.get(n) is not None for n in names)


def author(ctx: Context) -> str:
    """The name for the U card of what this visitor writes (``login_name()``)."""
    return ctx.login.name or "nobody"
