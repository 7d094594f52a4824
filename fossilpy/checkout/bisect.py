"""Bisect state and paths (Fossil 2.21 ``src/bisect.c``, ``src/path.c``).

The state lives in the checkout's ``vvar`` table, in Fossil's names and
formats, so fossil and fossilpy can take turns in one bisect::

    bisect-good      rid of the innermost good check-in (integer text)
    bisect-bad       rid of the innermost bad check-in
    bisect-log       the steps, space separated: "RID" good, "-RID" bad,
                     "sRID" skipped, in the order they were given
    bisect-complete  1 once "next" found nothing left to test
    bisect-<option>  auto-next, direct-only, display, linear (see OPTIONS)

The path between good and bad is Fossil's shortest path (``path_shortest``):
a breadth-first walk from the good check-in over plink links (primary links
only with ``direct-only``), each generation visited newest-added first; the
skipped check-ins are on the path but "hidden" (not counted, never chosen
as the midpoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout

#: name, default, description (``aBisectOption``)
OPTIONS = (
    ("auto-next", "on", 'Automatically run "bisect next" after each "bisect good", "bisect bad", or "bisect skip"'),
    ("direct-only", "on", "Follow only primary parent-child links, not merges\n"),
    ("display", "chart", 'Command to run after "next".  "chart", "log", "status", or "none"'),
    ("linear", "off", 'Do a linear scan rather than a true bisect, stopping at the first "bad" result'),
)

_TRUE = ("1", "on", "yes", "true")
_FALSE = ("0", "off", "no", "false")


def is_truth(value: str | None) -> bool:
    """Fossil's ``is_truth``."""
    return value is not None and value.lower() in _TRUE


def option(ck: Checkout, name: str) -> bool:
    """``bisect_option``: a boolean option from vvar, its default if unset or unclear."""
    for oname, default, _ in OPTIONS:
        if oname == name:
            value = ck.vget("bisect-" + name, default)
            low = (value or "").lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            return is_truth(default)
    raise KeyError(name)


@dataclass
class Node:
    """A check-in on the path; ``prev`` is the node it was reached from."""

    rid: int
    prev: Node | None
    hidden: bool = False


@dataclass
class Path:
    """``path_shortest``'s result: ``nodes`` from start to end."""

    nodes: list[Node]
    steps: int
    not_hidden: int

    def midpoint(self) -> Node | None:
        """``path_midpoint``: walking back from the end, the node after half the visible steps."""
        if self.not_hidden < 2:
            return None
        i = 0
        for node in reversed(self.nodes):
            if not (node.hidden or i < self.not_hidden // 2):
                return node
            if not node.hidden:
                i += 1
        return None

    def next(self) -> Node | None:
        """``path_next``: the node after the start."""
        return self.nodes[1] if len(self.nodes) > 1 else None

    def search_depth(self) -> int:
        """``path_search_depth``: about log2 of the visible steps."""
        i, j = 0, 1
        while j < self.not_hidden:
            i += 1
            j += j
        return i


def shortest(ck: Checkout, start: int, end: int, direct: bool, hidden: set[int] | None = None) -> Path | None:
    """``path_shortest(start, end, direct, 0, hidden)``; None if there is no path."""
    first = Node(start, None)
    if start == end:
        return Path([first], 0, 0)
    if direct:
        sql = (
            "SELECT cid, 1 FROM plink WHERE pid=?1 AND isprim"
            " UNION ALL SELECT pid, 0 FROM plink WHERE cid=?1 AND isprim"
        )
    else:
        sql = "SELECT cid, 1 FROM plink WHERE pid=?1 UNION ALL SELECT pid, 0 FROM plink WHERE cid=?1"
    seen = {start}
    current = [first]
    steps = 0
    while current:
        steps += 1
        nxt: list[Node] = []
        for prev in current:
            for cid, _is_parent in ck.repo.all(sql, (prev.rid,)):
                if cid in seen:
                    continue
                seen.add(cid)
                node = Node(int(cid), prev, bool(hidden and cid in hidden))
                nxt.insert(0, node)
                if cid == end:
                    chain: list[Node] = []
                    p: Node | None = node
                    while p is not None:
                        chain.append(p)
                        p = p.prev
                    chain.reverse()
                    return Path(chain, steps, sum(1 for n in chain[1:] if not n.hidden))
        # each generation is walked newest-added first (Fossil prepends to its list)
        current = nxt
    return None


def log_tokens(ck: Checkout) -> list[str]:
    return (ck.vget("bisect-log", "") or "").split()


def _atoi(text: str) -> int:
    import re

    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0


def bisect_path(ck: Checkout) -> tuple[Path, int, int]:
    """``bisect_path``: (path, good, bad) between the innermost good and bad check-ins."""
    bad = ck.vget_int("bisect-bad", 0)
    good = ck.vget_int("bisect-good", 0)
    if good > 0 and bad == 0:
        path = shortest(ck, good, good, False)
    elif bad > 0 and good == 0:
        path = shortest(ck, bad, bad, False)
    elif bad == 0 and good == 0:
        raise UserError('neither "good" nor "bad" versions have been identified')
    else:
        skip = {_atoi(t[1:]) for t in log_tokens(ck) if t.startswith("s")}
        path = shortest(ck, good, bad, option(ck, "direct-only"), skip)
        if path is None:
            digits = _digits(ck)
            zbad = str(ck.one("SELECT uuid FROM blob WHERE rid=?", (bad,)) or "")
            zgood = str(ck.one("SELECT uuid FROM blob WHERE rid=?", (good,)) or "")
            raise UserError(f"no path from good ([{zgood[:digits]}]) to bad ([{zbad[:digits]}]) or back")
    assert path is not None
    return path, good, bad


def _digits(ck: Checkout) -> int:
    from fossilpy.repo.crosslink.tags import hash_digits

    return hash_digits(ck.repo)


def append_log(ck: Checkout, rid: int) -> None:
    """``bisect_append_log``: a good (rid > 0) or bad (rid < 0) step."""
    with ck.repo.write():
        if rid < 0:
            if ck.vget_int("bisect-bad", 0) == -rid:
                return
            ck.vset("bisect-bad", -rid)
        else:
            if ck.vget_int("bisect-good", 0) == rid:
                return
            ck.vset("bisect-good", rid)
        ck.execute(
            "REPLACE INTO localdb.vvar(name,value) VALUES('bisect-log',"
            " COALESCE((SELECT value||' ' FROM localdb.vvar WHERE name='bisect-log'),'') || ?)",
            (str(rid),),
        )


def append_skip(ck: Checkout, rid: int) -> None:
    """``bisect_append_skip`` (nothing is recorded before a first good or bad step, as in Fossil)."""
    with ck.repo.write():
        ck.execute("UPDATE localdb.vvar SET value=value||? WHERE name='bisect-log'", (f" s{rid}",))


def undo(ck: Checkout) -> tuple[int, int]:
    """Forget the last step; return the new (good, bad)."""
    log = ck.vget("bisect-log", "") or ""
    tokens = log.split()
    if not tokens:
        raise UserError("no previous bisect steps to undo")
    good = bad = 0
    for tok in tokens[:-1]:
        rid = _atoi(tok)
        if rid < 0:
            bad = -rid
        else:
            good = rid
    # Fossil keeps the text up to just before the last token's separator
    cut = _last_token_start(log) - 1
    with ck.repo.write():
        ck.execute("UPDATE localdb.vvar SET value=substr(value,1,?) WHERE name='bisect-log'", (cut,))
        ck.vset("bisect-bad", bad)
        ck.vset("bisect-good", good)
    return good, bad


def _last_token_start(log: str) -> int:
    """``log.iCursor`` after reading all tokens but the last: where blob_token stopped."""
    i = 0
    n = len(log)
    tokens = log.split()
    for _ in range(len(tokens) - 1):
        while i < n and log[i].isspace():
            i += 1
        while i < n and not log[i].isspace():
            i += 1
        while i < n and log[i].isspace():
            i += 1
    return i


def reset(ck: Checkout) -> None:
    """``bisect_reset``."""
    with ck.repo.write():
        ck.execute(
            "DELETE FROM localdb.vvar WHERE name IN"
            " ('bisect-good', 'bisect-bad', 'bisect-log', 'bisect-complete', 'bisect-linear')"
        )


def chart_rows(ck: Checkout, by_checkin_time: bool) -> list[tuple[int, str, str, str, bool]]:
    """``bisect_chart``: (seq, GOOD|BAD|SKIP|CURRENT, date, hash16, is the checkout)."""
    current = ck.vid
    entries: dict[int, tuple[int, str]] = {}
    order: list[int] = []
    seqs: set[int] = set()

    def add(seq: int, stat: str, rid: int) -> None:
        # INSERT OR IGNORE INTO bilog(seq,stat,rid): rid is the key, seq unique
        if rid in entries or seq in seqs:
            return
        entries[rid] = (seq, stat)
        seqs.add(seq)
        order.append(rid)

    cnt = 0
    for tok in log_tokens(ck):
        cnt += 1
        if tok.startswith("s"):
            add(cnt, "SKIP", _atoi(tok[1:]))
        else:
            rid = _atoi(tok)
            add(cnt, "GOOD" if rid > 0 else "BAD", abs(rid))
    if current > 0:
        cnt += 1
        add(cnt, "CURRENT", current)
    rows = []
    for rid in order:
        seq, stat = entries[rid]
        r = ck.row(
            "SELECT substr(blob.uuid,1,16), datetime(event.mtime), event.mtime FROM blob, event"
            " WHERE blob.rid=? AND event.objid=blob.rid AND event.type='ci'",
            (rid,),
        )
        if r is None:
            continue
        rows.append((seq, stat, str(r[1]), str(r[0]), rid == current, float(r[2]), rid))
    # ORDER BY [event.mtime DESC,] bilog.rowid: the rowid is the rid (INTEGER PRIMARY KEY)
    if by_checkin_time:
        rows.sort(key=lambda r: (-r[5], r[6]))
    else:
        rows.sort(key=lambda r: r[6])
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
