"""Who may see private content: the one rule that hides it, for every reader.

Private artifacts are the rows of the ``private`` table: check-ins made with
``commit --private`` and everything they alone brought in (the file versions
only private check-ins use; see ``rebuild._reconstruct_private`` and
:mod:`fossilpy.repo.content`).  A file version that some public check-in
uses is not private, even when a private check-in uses it too; the table is
the whole truth, so the rule needs nothing else.

A reader *may see private content* on the command line (the owner of the
repository file) and on the web with capability ``x``.

Project decision (beyond Fossil 2.21, whose web pages show private
check-ins to anybody who may read code, marked "unpublished"): for a reader
who may not, a private artifact does not exist.  Names never resolve to it
(:func:`fossilpy.repo.names.lookup` with ``private=False``: ``tip`` is the
newest *public* check-in, a date the newest public event before it, a
branch or tag its newest public check-in, a hash prefix matches public
artifacts only), lists leave it out, and a request for it by hash or rid
gets exactly the reply a missing artifact gets.  The filter is part of the
one SQL statement that looks the name up, so a hidden artifact costs no
extra step whose time could tell it apart from a missing one.

In SQL the rule is ``(? OR <rid> NOT IN private)``, true for a row the
reader may see, with :attr:`Visibility.private` bound to the ``?``; the
constants below spell it for the rid columns that pages filter on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

Row = TypeVar("Row", bound=Sequence[Any])

#: The rule in SQL for common rid columns; bind ``Visibility.private`` to "?".
EVENT_VISIBLE = "(? OR event.objid NOT IN private)"
BLOB_VISIBLE = "(? OR blob.rid NOT IN private)"
TAGXREF_VISIBLE = "(? OR tagxref.rid NOT IN private)"
MLINK_VISIBLE = "(? OR mlink.mid NOT IN private)"
FORUM_ROOT_VISIBLE = "(? OR forumpost.froot NOT IN private)"


def is_private(repo: Repo, rid: int) -> bool:
    """True if ``rid`` is a private artifact (a row of ``private``)."""
    return repo.one("SELECT 1 FROM private WHERE rid=?", (rid,)) is not None


class Visibility:
    """What one reader may see of ``repo``: private content or not.

    Built per request (or per command) and never shared; it remembers the
    answers it gave so a page that asks about one rid twice asks SQLite once.
    """

    __slots__ = ("repo", "private", "_memo")

    def __init__(self, repo: Repo, *, private: bool) -> None:
        self.repo = repo
        #: True: the reader may see private content (capability ``x``).
        self.private = bool(private)
        self._memo: dict[int, bool] = {}

    def hidden(self, rid: int) -> bool:
        """True if ``rid`` is private and this reader may not see it."""
        if self.private or not rid:
            return False
        found = self._memo.get(rid)
        if found is None:
            found = self._memo[rid] = is_private(self.repo, rid)
        return found

    def visible(self, rid: int) -> bool:
        """True if ``rid`` names an artifact (> 0) this reader may see."""
        return rid > 0 and not self.hidden(rid)

    def keep(self, rows: Iterable[Row], index: int = 0) -> list[Row]:
        """The rows whose rid (column ``index``) this reader may see."""
        return [r for r in rows if not self.hidden(r[index])]

    def lookup(self, name: str, kind: str = "*") -> int:
        """:func:`fossilpy.repo.names.lookup` for this reader (0: none, -1: ambiguous)."""
        from fossilpy.repo import names

        return names.lookup(self.repo, name, kind, private=self.private)

    def resolve(self, name: str, kind: str = "*") -> int:
        """:func:`fossilpy.repo.names.resolve` for this reader (raises NotFound/UserError)."""
        from fossilpy.repo import names

        return names.resolve(self.repo, name, kind, private=self.private)
