"""A ticket change applied on top of the ticket row gives what a full replay gives.

fossilpy applies a ticket's one new, newest change alone instead of
replaying the ticket's whole history (``crosslink.tickets._apply_newest``).
Each step below is made with ``fossilpy ticket`` and followed by a check that
the derived tables equal those of a copy rebuilt by the real ``fossil``: links
in comments and in ticket fields, appends, a field set over a value with a
link (which must replay), a change dated before the others (replays), a
custom column.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from fossilpy.repo.schema import DEFAULT_TICKET_TABLE
from tests.compare import derived_table_diff, format_diff
from tests.conftest import Runner

HASH = "0123456789abcdef0123"

STEPS: list[tuple[str, ...]] = [
    ("title", "First title", "icomment", "plain comment"),
    ("icomment", f"see [{HASH}] in a comment"),
    ("+icomment", " appended text"),
    ("title", f"title with a link [{HASH}]"),
    ("status", "Fixed"),
    ("title", "title without the link"),  # sets a field whose value had a link: replays
    ("+title", f" and [{HASH[:12]}] appended"),
    ("resolution", "Works_As_Designed", "icomment", "[abcdef012345] more"),
    ("mycol", "custom value"),
]


def _uuid(out: str) -> str:
    return out.split()[-1]


def test_each_change_equals_a_full_replay(tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    repo = tmp_path / "t.fossil"
    fossil("new", repo)
    fossil("settings", "backoffice-disable", "1", "-R", repo)
    table = DEFAULT_TICKET_TABLE.replace("  comment TEXT", "  comment TEXT,\n  mycol TEXT", 1)
    assert "mycol" in table
    con = sqlite3.connect(repo)
    with con:
        con.execute("REPLACE INTO config(name,value,mtime) VALUES('ticket-table',?,strftime('%s','now'))", (table,))
    con.close()
    fossil("rebuild", "-R", repo)  # re-creates the ticket tables from the setting
    tkt = _uuid(fossilpy.text("ticket", "add", "title", "New", "status", "Open", "-R", repo))
    day = 2
    for i, step in enumerate(STEPS):
        fossilpy("ticket", "set", tkt, *step, "--date-override", f"2030-01-{day:02d}T10:00:0{i}", "-R", repo)
        _check(tmp_path, repo, fossil, f"step {i}: {step}")
    # a change dated before the others: the replay puts it in its place
    fossilpy(
        "ticket", "set", tkt, "icomment", "late [fedcba9876] note", "--date-override", "2029-12-31T00:00:00", "-R", repo
    )
    _check(tmp_path, repo, fossil, "out-of-order change")


def _check(tmp_path: Path, repo: Path, fossil: Runner, what: str) -> None:
    rebuilt = tmp_path / "rebuilt.fossil"
    shutil.copyfile(repo, rebuilt)
    fossil("rebuild", "-R", rebuilt)
    diff = derived_table_diff(repo, rebuilt, tables=["ticket", "ticketchng", "event", "backlink", "tagxref"])
    assert diff == [], what + "\n" + format_diff(diff)
