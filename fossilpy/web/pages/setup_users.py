"""The user pages of Fossil 2.21's ``src/setupuser.c``: /setup_ulist,
/setup_uedit and /setup_ucap_list.

``/setup_uedit?id=UID`` (Admin) creates (``id`` 0 or absent) or edits a
user.  Its form has Fossil's fields: ``id``, ``login``, ``info`` (contact),
``pw`` (a string of ``*`` only keeps the password), one checkbox per
capability named ``a`` + the letter (``aa`` Admin, ``as`` Setup, ``ao``
Check-Out, ``a2`` Forum-Read, ``aA`` Announce ...), and the buttons
``apply``, ``delete`` (with ``verifydelete`` to confirm) and ``can``.
The letters each special user (``developer``, ``reader``, ``anonymous``,
``nobody``) holds are marked beside each box, [D] [R] [A] [N], as Fossil
marks what a user inherits.

As in Fossil, an Admin who is not Setup may not edit a Setup user and may
not grant ``s`` or ``y``; fossilpy refuses such a submission with a
message (403) instead of silently dropping it.  A letter that is no
capability (a posted ``aE``, say) is refused (400); Fossil 2.21 would
store it.  A change is written in one transaction with its admin-log
entry, after the form's origin and ``csrf`` token are checked.
"""

from __future__ import annotations

from typing import Any

from fossilpy.errors import UserError
from fossilpy.repo import admin_log, users
from fossilpy.repo.capabilities import (
    CAP_NAMES,
    CAP_TABLE,
    CAPCLASS_ALL,
    CAPCLASS_CODE,
    CAPCLASS_DATA,
    CAPCLASS_FORUM,
    CAPCLASS_OTHER,
    CAPCLASS_SUPER,
    CAPCLASS_TKT,
    CAPCLASS_WIKI,
    SPECIAL_USERS,
    count_users,
)
from fossilpy.text import human_age
from fossilpy.web.forms import check_post, writable
from fossilpy.web.request import HTTPError, Response, redirect
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

#: The capability boxes of the edit form, in Fossil's order: (letter, label).
BOXES = (
    ("s", "Setup"),
    ("a", "Admin"),
    ("u", "Reader"),
    ("v", "Developer"),
    ("e", "View-PII"),
    ("p", "Password"),
    ("i", "Check-In"),
    ("o", "Check-Out"),
    ("h", "Hyperlinks"),
    ("b", "Attachments"),
    ("g", "Clone"),
    ("j", "Read Wiki"),
    ("f", "New Wiki"),
    ("m", "Append Wiki"),
    ("k", "Write Wiki"),
    ("l", "Moderate Wiki"),
    ("r", "Read Ticket"),
    ("n", "New Tickets"),
    ("c", "Append To Ticket"),
    ("w", "Write Tickets"),
    ("q", "Moderate Tickets"),
    ("t", "Ticket Report"),
    ("x", "Private"),
    ("y", "Write Unversioned"),
    ("z", "Download Zip"),
    ("2", "Read Forum"),
    ("3", "Write Forum"),
    ("4", "WriteTrusted Forum"),
    ("5", "Moderate Forum"),
    ("6", "Supervise Forum"),
    ("7", "Email Alerts"),
    ("A", "Send Announcements"),
    ("C", "Chatroom"),
    ("D", "Enable Debug"),
)

#: Special user -> its mark on inherited letters, in the order Fossil applies them (last wins).
INHERIT_MARKS = (("developer", "D"), ("reader", "R"), ("anonymous", "A"), ("nobody", "N"))

_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: What each special user stands for on the user list.
_CATEGORY = {
    "anonymous": "All logged-in users",
    "developer": "Users with 'v' capability",
    "nobody": "All users without login",
    "reader": "Users with 'u' capability",
}


# -- /setup_ulist ----------------------------------------------------------------------


@pages.webpage("/setup_ulist", caps="a")
def setup_ulist(ctx: Context) -> Response:
    """/setup_ulist?with=CAPS

    The users: first the four special users that stand for categories of
    visitors, then everyone else with capabilities, contact info, date of
    last change, expiry, last login and email alerts.  with=CAPS lists only
    users holding any of those letters.  Admin users."""
    from fossilpy.repo.capabilities import fullcap_for

    repo = ctx.repo
    with_caps = ctx.req.get("with") or ""
    special = []
    if not with_caps:
        for uid, login, cap, date in repo.all(
            "SELECT uid, login, cap, date(mtime,'unixepoch') FROM user"
            " WHERE login IN ('anonymous','nobody','developer','reader') ORDER BY login"
        ):
            special.append(
                {"uid": uid, "login": login, "cap": cap or "", "category": _CATEGORY[login], "date": date or ""}
            )
    last: dict[str, float] = {}
    if repo.table_exists("accesslog"):
        last = dict(
            repo.all(
                "SELECT uname, max(mtime) FROM (SELECT uname, mtime FROM accesslog WHERE success"
                " UNION ALL SELECT login, rcvfrom.mtime FROM rcvfrom JOIN user USING(uid)) GROUP BY 1"
            )
        )
    subs: dict[str, tuple[int, str | None]] = {}
    if repo.table_exists("subscriber"):
        subs = {
            r[0]: (int(r[1]), r[2])
            for r in repo.all("SELECT suname, subscriberId, ssub FROM subscriber WHERE suname IS NOT NULL")
        }
    now = repo.one("SELECT julianday('now')")
    rows = []
    for uid, login, cap, info, date, exp in repo.all(
        "SELECT uid, login, cap, info, date(mtime,'unixepoch'),"
        " CASE WHEN info LIKE '%expires 20%' THEN substr(info,instr(lower(info),'expires')+8,10) END"
        " FROM user WHERE login NOT IN ('anonymous','nobody','developer','reader') ORDER BY lower(login)"
    ):
        if with_caps and not any(c in fullcap_for(repo, cap) for c in with_caps):
            continue
        atime = last.get(login)
        sub = subs.get(login)
        rows.append(
            {
                "uid": uid,
                "login": login,
                "cap": cap or "",
                "info": info or "",
                "date": date or "",
                "exp": exp or "",
                "age": human_age(now - atime) if atime else "",
                "sid": sub[0] if sub else 0,
                "ssub": (sub[1] or "") if sub else None,
            }
        )
    return ctx.render(
        "setup_ulist.html",
        title="User List",
        special=special,
        rows=rows,
        with_caps=with_caps,
        subscribers=repo.table_exists("subscriber"),
    )


# -- /setup_ucap_list -------------------------------------------------------------------

_CLASSES = (
    ("All capabilities", CAPCLASS_ALL),
    ("Capabilities associated with checked-in content", CAPCLASS_CODE),
    ("Capabilities associated with data transfer and sync", CAPCLASS_DATA),
    ("Capabilities associated with the forum", CAPCLASS_FORUM),
    ("Capabilities associated with tickets", CAPCLASS_TKT),
    ("Capabilities associated with wiki", CAPCLASS_WIKI),
    ("Administrative capabilities", CAPCLASS_SUPER),
    ("Miscellaneous capabilities", CAPCLASS_OTHER),
)


@pages.webpage("/setup_ucap_list", caps="")
def setup_ucap_list(ctx: Context) -> Response:
    """/setup_ucap_list

    What each capability letter means, by class; Admin users also see how
    many users hold each letter (with a link to them)."""
    counts = count_users(ctx.repo) if ctx.has("a") else {}
    tables = [
        (title, [(c, abbrev, text, counts.get(c, 0)) for c, cls, abbrev, text in CAP_TABLE if cls & mask])
        for title, mask in _CLASSES
    ]
    return ctx.render("setup_ucap_list.html", title="User Capability Codes", tables=tables)


# -- /setup_uedit ------------------------------------------------------------------------------


def _posted_caps(ctx: Context) -> str:
    """The capability letters of the submitted boxes, in Fossil's order (a-z, 0-9, A-Z)."""
    caps = "".join(c for c in _LETTERS if ctx.req.get("a" + c) is not None)
    bad = "".join(c for c in caps if c not in CAP_NAMES)
    if bad:
        raise UserError(f'unknown capability letter{"s" if len(bad) > 1 else ""} "{bad}"; nothing was written')
    if not ctx.has("s") and any(c in caps for c in "sy"):
        raise HTTPError(403, "only a Setup user may grant capabilities s and y; nothing was written")
    return caps


def _back(ctx: Context) -> Response:
    ref = ctx.req.get("referer") or ""
    if not ref.startswith("setup_") or any(c in ref for c in "\r\n\\/:"):
        ref = "setup_ulist"
    return redirect(ctx.req, "/" + ref)


@pages.webpage("/setup_uedit", caps="a", methods=("GET", "HEAD", "POST"))
def setup_uedit(ctx: Context) -> Response:
    """/setup_uedit?id=UID

    Create (no id) or edit a user: login, contact info, password and
    capabilities; Delete User asks for confirmation.  Admin users; only a
    Setup user may edit a Setup user or grant s and y."""
    req, repo = ctx.req, ctx.repo
    uid = req.int("id", 0)
    if uid < 0:
        uid = 0
    row = repo.row("SELECT login, info, cap, pw FROM user WHERE uid=?", (uid,)) if uid else None
    if uid and row is None:
        raise HTTPError(404, f"no user with id {uid}")
    login, info, cap, pw = (str(v or "") for v in row) if row else ("", "", "", "")
    higher = not ctx.has("s") and "s" in cap
    if req.method == "POST" and req.get("can") is not None:
        return _back(ctx)
    verify = ""
    error = ""
    status = 200
    if req.method == "POST" and (req.get("delete") is not None or req.get("apply") is not None):
        check_post(ctx)
        if higher:
            raise HTTPError(
                403,
                f"User {login} has Setup privileges and you only have Admin privileges,"
                f" so you may not change {login}; nothing was written",
            )
    if req.method == "POST" and req.get("delete") is not None and uid:
        if login in SPECIAL_USERS:
            raise HTTPError(403, f"the special user {login} cannot be deleted")
        if req.get("verifydelete") is not None:
            with writable(ctx) as w, w.write():
                gone = users.delete_user(w, uid)
                admin_log.record(w, "setup_uedit", ctx.login.name or "", admin_log.user_deleted(gone or "???", uid))
            return _back(ctx)
        n = repo.one("SELECT count(*) FROM event WHERE user=? AND objid NOT IN private", (login,), 0)
        verify = (
            'Check this box and press "Delete User" again'
            if not n
            else f'User "{login}" has {n} or more artifacts in the block-chain. Delete anyhow?'
        )
    elif (
        req.method == "POST"
        and req.get("apply") is not None
        and all(req.get(f) is not None for f in ("login", "info", "pw"))
    ):
        new_login = req.get("login") or ""
        new_info = req.get("info") or ""
        try:
            caps = _posted_caps(ctx)
            if login in SPECIAL_USERS and new_login != login:
                raise UserError(f"the special user {login} cannot be renamed")
            with writable(ctx) as w, w.write():
                users.save_user(w, uid, new_login, new_info, req.get("pw"), caps)
                who = ctx.login.name or ""
                if row and login != new_login:
                    admin_log.record(w, "setup_uedit", who, admin_log.user_renamed(login, new_login))
                admin_log.record(w, "setup_uedit", who, admin_log.user_updated(new_login, caps))
            return _back(ctx)
        except UserError as exc:
            error, status = str(exc), 400
            login, info, cap = new_login, new_info, "".join(c for c in _LETTERS if req.get("a" + c) is not None)
    return ctx.render(
        "setup_uedit.html",
        status=status,
        title=f"Edit User {login}" if uid else "Add A New User",
        **_form(ctx, uid, login, info, cap, pw, higher, verify, error),
    )


def _form(
    ctx: Context, uid: int, login: str, info: str, cap: str, pw: str, higher: bool, verify: str, error: str
) -> dict[str, Any]:
    """What setup_uedit.html draws."""
    marks: dict[str, str] = {}
    for special, mark in INHERIT_MARKS:
        if login != special:
            for c in users.user_caps(ctx.repo, special):
                marks[c] = mark
    boxes = [
        {"c": c, "label": label, "on": c in cap, "mark": marks.get(c, "")}
        for c, label in BOXES
        if c != "s" or ctx.has("s")
    ]
    sid = 0
    if login and ctx.repo.table_exists("subscriber"):
        sid = int(ctx.repo.one("SELECT subscriberId FROM subscriber WHERE suname=?", (login,), 0) or 0)
    return {
        "uid": uid,
        "login_name": login,
        "info": info,
        "has_pw": bool(pw),
        "boxes": boxes,
        "higher": higher,
        "verify": verify,
        "error": error,
        "special": login in SPECIAL_USERS,
        "sid": sid,
        "suggestion": users.random_password(12),
        "cap": cap,
    }
