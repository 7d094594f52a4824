"""/timeline's bisect views (Fossil 2.21 ``page_timeline`` with
``bisect_create_bilog_table`` and ``bisect_permalink`` in ``src/bisect.c``).

Two query parameters show the check-ins of a bisect, hidden ones included,
each marked with its step (``GOOD``, ``BAD``, ``SKIP``, ``CURRENT``) and
its number in the sequence:

* ``bisect`` (what ``fossil bisect ui`` opens): the bisect of the check-out
  the server runs in (its current directory), for a setup user on a
  loopback connection only; the steps are the ``bisect-log`` of that
  check-out, then its current check-in.  Anywhere else the parameter is
  ignored.  A link to the permanent form goes with it.
* ``bid=`` (the permalink): the steps written out, terms joined by ``-``,
  each ``y`` (good), ``n`` (bad) or ``s`` (skip) and a lowercase hash
  prefix: ``bid=y3f2a9c01de-n77c0e4a9b1``.  Reading stops at the first term
  that is malformed or names no check-in.

The check-out's ``bisect-log`` (see :mod:`fossilpy.checkout.bisect`) is
space-separated ``RID`` (good), ``-RID`` (bad) and ``sRID`` (skip).  Both
forms also show, unmarked, every check-in on the shortest path between the
last good and the last bad one (primary links only unless the
``direct-only`` bisect option is off; the default for ``bid=`` is on).  A
check-in met twice keeps its first mark, as Fossil's ``INSERT OR IGNORE``.

:func:`for_request` is what the page calls; the span-of-time selection of
:mod:`fossilpy.web.timeline_query` then keeps to these check-ins ("6
check-ins in a bisect") and :mod:`fossilpy.web.timeline_rows` prints the
marks before the comments.
"""

from __future__ import annotations

import os
import re
from typing import Any

from fossilpy.web.request import Response
from fossilpy.web.routes import Context

#: rid -> (sequence number, mark), or (None, None) for the path between
Bilog = dict[int, tuple[int | None, str | None]]

_TERM = re.compile(r"[yns]([0-9a-f]*)-*")


def tokens_from_permalink(repo: Any, desc: str) -> list[str]:
    """The ``bid=`` value as bisect-log tokens (``RID``, ``-RID``, ``sRID``)."""
    out: list[str] = []
    pos = 0
    while True:
        m = _TERM.match(desc, pos)
        if m is None or not m.group(1):
            break
        rid = int(
            repo.one(
                "SELECT rid FROM blob WHERE uuid LIKE ?||'%' AND EXISTS(SELECT 1 FROM plink WHERE cid=rid)",
                (m.group(1),),
                0,
            )
            or 0
        )
        if rid == 0:
            break
        kind = desc[pos]
        out.append(("-" if kind == "n" else "s" if kind == "s" else "") + str(rid))
        pos = m.end()
    return out


def _atoi(text: str) -> int:
    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0


def bilog(repo: Any, tokens: list[str], current: int, direct: bool) -> Bilog:
    """``bisect_create_bilog_table(current, ..., bDetail=1)`` as a dict."""
    from fossilpy.web.timeline_filters import shortest_path

    out: Bilog = {}
    seq = 0
    last_good = last_bad = -1
    for tok in tokens:
        seq += 1
        if tok.startswith("s"):
            rid, mark = _atoi(tok[1:]), "SKIP"
        else:
            rid = _atoi(tok)
            if rid > 0:
                mark, last_good = "GOOD", rid
            else:
                rid, mark = -rid, "BAD"
                last_bad = rid
        out.setdefault(rid, (seq, mark))
    if current > 0:
        seq += 1
        out.setdefault(current, (seq, "CURRENT"))
    if last_good > 0 and last_bad > 0:
        for rid in shortest_path(repo, last_good, last_bad, direct):
            out.setdefault(rid, (None, None))
    return out


def permalink(repo: Any, tokens: list[str]) -> str:
    """``bisect_permalink``: the ``bid=`` value of a bisect-log."""
    terms = []
    for tok in tokens:
        kind = "y"
        if tok.startswith("s"):
            rid, kind = _atoi(tok[1:]), "s"
        else:
            rid = _atoi(tok)
            if rid < 0:
                rid, kind = -rid, "n"
        uuid = str(repo.one("SELECT lower(uuid) FROM blob WHERE rid=?", (rid,), "") or "")
        terms.append(kind + uuid[:10])
    return "-".join(terms)


def _truth(value: str | None, default: bool) -> bool:
    """``bisect_option``'s reading of a yes/no value."""
    if value is None:
        return default
    v = value.strip().lower()
    if v in ("1", "on", "yes", "true"):
        return True
    if v in ("0", "off", "no", "false"):
        return False
    return default


def from_local_checkout(repo: Any) -> tuple[Bilog, str] | None:
    """The bisect of the check-out around the server's current directory:
    (bilog, permalink value); None when there is no check-out there."""
    from fossilpy.checkout.db import Checkout
    from fossilpy.errors import FossilError

    try:
        ck = Checkout.find(os.getcwd())
    except (FossilError, OSError):
        return None
    try:
        tokens = (ck.vget("bisect-log", "") or "").split()
        current = ck.vget_int("checkout", 0)
        direct = _truth(ck.vget("bisect-direct-only"), True)
    finally:
        ck.close()
    return bilog(repo, tokens, current, direct), permalink(repo, tokens)


def from_permalink(repo: Any, desc: str) -> Bilog:
    """The bisect a ``bid=`` value describes."""
    return bilog(repo, tokens_from_permalink(repo, desc), 0, True)


def for_request(ctx: Context) -> Response | tuple[Bilog, list[tuple[str, str, bool]]] | None:
    """What /timeline shows for ``bisect``/``bid=``, as Fossil's ``page_timeline``:
    the bisect and the submenu's "Permalink" entry (a local bisect only),
    None when neither applies, or the login page (``bisect`` without setup
    rights)."""
    req = ctx.req
    local = req.flag("bisect")
    if local and not ctx.has("s"):
        from fossilpy.web.app import login_needed

        return login_needed(req, anon_ok=bool(ctx.login.anon_caps and not ctx.login.name))
    if local and req.remote_addr in ("127.0.0.1", "::ffff:127.0.0.1", "::1"):  # cgi_is_loopback
        found = from_local_checkout(ctx.repo)
        if found is not None:
            from urllib.parse import quote

            return found[0], [("/timeline?bid=" + quote(found[1], safe="-"), "Permalink", False)]
    bid = req.get("bid")
    if bid is not None:
        return from_permalink(ctx.repo, bid), []
    return None
