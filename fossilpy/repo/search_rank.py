"""Fossil's search rank (``search_rank_sqlfunc`` over ``matchinfo(ftsidx,'pcsx')``) for an FTS5 index.

matchinfo is an FTS3/4 C function that Python's sqlite3 cannot register for
FTS5, so :class:`Ranker` reads the same numbers from an ``fts5vocab``
instance table (one row per place a term occurs: document, column,
offset) for the query's phrases, and scores each matching document as
Fossil does, quirks included (see :meth:`Ranker.rank_general`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


def _nbits(x: int) -> int:
    return x.bit_length()


#: the column of an ``fts5vocab`` instance row as 0 (title) or 1 (body), computed in SQL (no text read)
_COL = "CASE WHEN col='title' OR col=0 THEN 0 ELSE 1 END"


class Ranker:
    """``rank(matchinfo(ftsidx,'pcsx'))`` for plain-word phrases, from an ``fts5vocab`` instance table."""

    def __init__(self, repo: Repo, phrases: list[tuple[str, bool]], schema: str) -> None:
        self.repo = repo
        self.phrases = phrases
        self.nphrase = len(phrases)
        if schema == "repository":
            repo.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fossilpy_ftsinst USING fts5vocab(repository, ftsidx, instance)"
            )
        else:
            repo.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fossilpy_ftsinst USING fts5vocab(main, ftsidx, instance)"
            )
        #: per phrase: {(doc, col): [offsets]}
        self.where: list[dict[tuple[int, int], list[int]]] = []
        self.totals: list[list[tuple[int, int]]] = []  # per phrase, per column: (hits all rows, rows with hit)
        for phrase, prefix in phrases:
            if prefix:
                stem = phrase
                rows = repo.all(
                    "SELECT doc, " + _COL + ", offset FROM temp.fossilpy_ftsinst WHERE term>=? AND term<?",
                    (stem, stem + "\U0010ffff"),
                )
            else:
                rows = repo.all("SELECT doc, " + _COL + ", offset FROM temp.fossilpy_ftsinst WHERE term=?", (phrase,))
            where: dict[tuple[int, int], list[int]] = {}
            for doc, col, offset in rows:
                where.setdefault((doc, col), []).append(offset)
            self.where.append(where)
            totals = []
            for col in (0, 1):
                hits = sum(len(v) for (d, c), v in where.items() if c == col)
                docs = sum(1 for (d, c) in where if c == col)
                totals.append((hits, docs))
            self.totals.append(totals)

    def rank(self, rowid: int) -> float:
        """Fossil's ``search_rank_sqlfunc`` over the 'pcsx' numbers, read at the offsets it reads them."""
        return self.rank_one_word(rowid) if self.nphrase == 1 else self.rank_general(rowid)

    def rank_one_word(self, rowid: int) -> float:
        """:meth:`rank_general` for one word, with its arithmetic unrolled (same operations, same order).

        The title term (column 0) scores its count of places over the title
        spread; the body term reads, as Fossil's indexing does, the title's
        totals over the body's count of places."""
        where = self.where[0]
        (hits0, docs0), _ = self.totals[0]
        x0 = x1 = 0.0
        offs = where.get((rowid, 0))
        if offs and docs0:
            scale = hits0 / docs0 * _nbits(docs0)
            x0 = len(set(offs)) / scale if scale else float("inf")
        offs = where.get((rowid, 1))
        if offs and hits0:
            here = len(set(offs))
            scale = docs0 / here * _nbits(here)
            x1 = hits0 / scale if scale else float("inf")
        return x0 * 10.0 + x1

    def rank_general(self, rowid: int) -> float:
        """Fossil's ``search_rank_sqlfunc``, term by term and column by column."""
        nterm, ncol = self.nphrase, 2
        longest = [0] * ncol
        ax = [0] * (3 * ncol * nterm)
        if nterm == 1:  # one word: a run of one wherever it occurs
            where, totals = self.where[0], self.totals[0]
            for col in range(ncol):
                offsets = where.get((rowid, col))
                if offsets:
                    longest[col] = 1
                    ax[3 * col] = len(set(offsets))
                ax[3 * col + 1], ax[3 * col + 2] = totals[col]
        for col in range(ncol if nterm > 1 else 0):
            starts = [set(self.where[i].get((rowid, col), ())) for i in range(nterm)]
            for i in range(nterm):
                for off in starts[i]:
                    seq = 1
                    while i + seq < nterm and off + seq in starts[i + seq]:
                        seq += 1
                    longest[col] = max(longest[col], seq)
                base = 3 * (col + i * ncol)
                ax[base] = len(starts[i])
                ax[base + 1], ax[base + 2] = self.totals[i][col]
        r = 0.0
        for j in range(ncol):
            x = 0.0
            if longest[j] > 0:
                for i in range(nterm):
                    k = j + i * ncol * 3  # as Fossil indexes aX (not where matchinfo put column j)
                    here, hits_all, rows_with = ax[k], ax[k + 1], ax[k + 2]
                    if here == 0 or rows_with == 0:
                        continue
                    scale = hits_all / rows_with * _nbits(rows_with)
                    x += here / scale if scale else float("inf")  # C's division by zero
                x *= 1 << ((30 * (longest[j] - 1)) // nterm)
            r = r * 10.0 + x
        return r
