"""The administrative log: Fossil's ``admin_log`` table (``src/db.c``).

Every change made through a setup page is recorded here, one row per
change, when the ``admin-log`` setting is on (as Fossil's ``admin_log()``:
with the setting off nothing is recorded).  The table is created on first
use exactly as Fossil's ``create_admin_log_table`` creates it::

    admin_log(id INTEGER PRIMARY KEY, time INTEGER  -- seconds since 1970
              page TEXT  -- path of the page, who TEXT  -- user,
              what TEXT  -- what changed)

The messages are Fossil's own wording, built by the helpers below, so that
a log written by fossilpy reads like one written by Fossil:

* ``Set option [NAME] to [on|off].`` (a checkbox, ``onoff_attribute``);
* ``Set entry_attribute 'NAME' to: VALUE`` (a one-line field), likewise
  ``textarea_attribute`` and ``multiple_choice_attribute``; VALUE is cut
  to its first 20 characters and "..." follows when it was longer;
* ``Updated user [LOGIN] with capabilities [CAPS].``, ``Renamed user
  [OLD] to [NEW].``, ``Deleted user [LOGIN] (uid N).`` (``/setup_uedit``);
* ``password change for user LOGIN`` (``/login``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

#: The table as Fossil creates it.
SCHEMA = (
    "CREATE TABLE admin_log(\n"
    " id INTEGER PRIMARY KEY,\n"
    " time INTEGER, -- Seconds since 1970\n"
    " page TEXT,    -- path of page\n"
    " who TEXT,     -- User who made the change\n"
    " what TEXT     -- What changed\n"
    ")"
)


def ensure_table(repo: Repo) -> None:
    """Create ``admin_log`` if it is missing (``create_admin_log_table``)."""
    if not repo.table_exists("admin_log"):
        with repo.write():
            repo.execute(SCHEMA)


def record(repo: Repo, page: str, who: str, what: str) -> bool:
    """Append one entry when the ``admin-log`` setting is on; True if written.

    Call it inside the write transaction of the change it describes.
    """
    if not repo.setting_bool("admin-log"):
        return False
    with repo.write():
        ensure_table(repo)
        repo.execute(
            "INSERT INTO admin_log(time,page,who,what) VALUES(?,?,?,?)",
            (int(time.time()), page, who, what),
        )
    return True


def entries(repo: Repo, limit: int, offset: int) -> tuple[list[tuple[str, str, str, str]], bool]:
    """(rows, more): up to ``limit`` entries after the newest ``offset``, newest
    first, each (UTC time text, who, page, what); ``more`` if older ones follow."""
    if not repo.table_exists("admin_log"):
        return [], False
    rows = repo.all(
        "SELECT datetime(time,'unixepoch'), who, page, what FROM admin_log"
        " ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
        (limit + 1, offset),
    )
    out = [tuple("" if v is None else str(v) for v in r) for r in rows[:limit]]
    return out, len(rows) > limit  # type: ignore[return-value]


def _cut(value: str) -> str:
    """Fossil's ``%.*s%s`` with 20: the first 20 characters, then "..." if cut."""
    return value[:20] + ("..." if len(value) > 20 else "")


def _quote(name: str) -> str:
    """SQL-quoted as Fossil's ``%Q``."""
    return "'" + name.replace("'", "''") + "'"


def set_option(name: str, on: bool) -> str:
    """The message of a checkbox change (``onoff_attribute``)."""
    return f"Set option [{name}] to [{'on' if on else 'off'}]."


def set_value(kind: str, name: str, value: str) -> str:
    """The message of a field change; ``kind`` is ``entry_attribute``,
    ``textarea_attribute`` or ``multiple_choice_attribute``."""
    return f"Set {kind} {_quote(name)} to: {_cut(value)}"


def user_updated(login: str, caps: str) -> str:
    """``/setup_uedit`` saved a user."""
    return f"Updated user [{login}] with capabilities [{caps}]."


def user_renamed(old: str, new: str) -> str:
    """``/setup_uedit`` renamed a user."""
    return f"Renamed user [{old}] to [{new}]."


def user_deleted(login: str, uid: int) -> str:
    """``/setup_uedit`` deleted a user."""
    return f"Deleted user [{login}] (uid {uid})."


def password_changed(login: str) -> str:
    """A user changed their own password on ``/login``."""
    return f"password change for user {login}"
