"""Character- and line-level scanning for the Markdown parser.

Helpers of ``fossilpy.markup.md_inline`` and ``md_blocks`` that follow
Fossil 2.21's ``src/markdown.c``: block prefixes (quotes, code, lists,
fences, tables, rules, headers, HTML blocks), inline tokens (tags and
autolinks, entities, code spans, inline link destinations and titles),
and reference ids (the definition lines are ``fossilpy.markup.md_defs``).

As in the C code a span is a string with begin/end offsets, and a scan may
look at the character just past its end (``at`` gives NUL past the string).
"""

from __future__ import annotations

import bisect
import functools
import re
from typing import Any

from fossilpy.markup.chars import ALNUM, SPACE

SP = " \t\n"
WS_RUN = re.compile("[ \t\n]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def at(s: str, k: int) -> str:
    return s[k] if 0 <= k < len(s) else "\0"


def is_empty(s: str, beg: int, end: int) -> int:
    """Length of the blank line at s[beg], including its newline, or 0."""
    i = beg
    while i < end and s[i] != "\n":
        if s[i] not in " \t":
            return 0
        i += 1
    return i - beg + 1


def ref_id(s: str, beg: int, end: int) -> str | None:
    """Reference id: trimmed, inner white space collapsed, ASCII lower-cased."""
    text = s[beg:end].strip(SP)
    if not text:
        return None
    return WS_RUN.sub(" ", text).translate(ASCII_LOWER)


def run_length(s: str, i: int, end: int) -> int:
    """Number of copies of s[i] starting at s[i] (within end)."""
    m = _RUNS.get(s[i])
    if m is None:
        k = i
        while k < end and s[k] == s[i]:
            k += 1
        return k - i
    run = m.match(s, i, end)
    return run.end() - i if run else 0


_RUNS = {c: re.compile(re.escape(c) + "+") for c in "`~"}


class Runs:
    """The runs of one character (backticks, tildes) in a text.

    :meth:`closing` answers "where do ``nb`` of them follow next" without
    scanning the text again: a text made of one long run of backticks
    would otherwise cost a scan per backtick.
    """

    __slots__ = ("lens", "starts", "table")

    def __init__(self, s: str, ch: str) -> None:
        self.starts: list[int] = []
        self.lens: list[int] = []
        for m in _RUNS[ch].finditer(s):
            self.starts.append(m.start())
            self.lens.append(m.end() - m.start())
        self.table: list[list[int]] | None = None

    def _first_at_least(self, j: int, nb: int) -> int:
        """The first run index >= j of length >= nb (len(runs) if none)."""
        lens = self.lens
        n = len(lens)
        for _ in range(16):  # most texts: a short walk
            if j >= n or lens[j] >= nb:
                return j
            j += 1
        if self.table is None:  # range maxima over 2**k runs
            table = [lens]
            step = 1
            while 2 * step <= n:
                prev = table[-1]
                table.append([max(prev[i], prev[i + step]) for i in range(len(prev) - step)])
                step *= 2
            self.table = table
        for k in range(len(self.table) - 1, -1, -1):
            row = self.table[k]
            while j < len(row) and row[j] < nb:
                j += 1 << k
        return min(j, n)

    def rest(self, k: int, end: int) -> int:
        """Length of the run holding s[k], from k, within ``end`` (as :func:`run_length`)."""
        j = bisect.bisect_right(self.starts, k) - 1
        return min(self.starts[j] + self.lens[j], end) - k

    def closing(self, k: int, nb: int, end: int) -> int:
        """Start of the first ``nb`` copies after the run holding s[k] (whose
        rest, from k, is ``nb`` long), within ``end``; -1 if there are none."""
        j = self._first_at_least(bisect.bisect_right(self.starts, k), nb)
        if j < len(self.starts) and self.starts[j] + nb <= end:
            return self.starts[j]
        return -1


def skip_codespan(s: str, i: int, end: int) -> int:
    """Index past the code span starting with "`" at s[i] (or past its opening mark)."""
    nb = run_length(s, i, end)
    if i + nb >= end:
        return i + nb
    k = s.find("`" * nb, i + nb, end)
    return k + nb if k >= 0 else i + nb


def closers(s: str, bra: str) -> list[int]:
    """For each position k of s: the first j > k where the brackets of kind
    ``bra`` in s(k, j] close one more than they open (len(s) if none).

    A bracket preceded by a backslash does not count.  With this table
    finding the bracket that closes s[k] is one lookup, which keeps deeply
    nested input linear.
    """
    ket = "]" if bra == "[" else ")"
    n = len(s)
    level = [0] * (n + 1)  # level[k]: effect of s[0..k-1]
    cur = 0
    for k, c in enumerate(s):
        if c in (bra, ket) and (k == 0 or s[k - 1] != "\\"):
            cur += 1 if c == bra else -1
        level[k + 1] = cur
    out = [n] * n
    stack: list[int] = []  # positions k whose answer is pending, levels increasing
    for j in range(n):
        lj = level[j + 1]
        while stack and level[stack[-1] + 1] > lj:
            out[stack.pop()] = j
        stack.append(j)
    return out


def left_flanking(before: str, after: str) -> bool:
    if after in SPACE:
        return False
    if after in ALNUM:
        return True
    return before not in ALNUM


def right_flanking(before: str, after: str) -> bool:
    if before in SPACE:
        return False
    if before in ALNUM:
        return True
    return after not in ALNUM


def next_char(s: str, chars: str, p: int, end: int) -> int:
    """Index of the first character of ``chars`` in s[p:end], or -1."""
    m = char_class(chars).search(s, p, end)
    return -1 if m is None else m.start()


@functools.lru_cache(maxsize=64)
def char_class(chars: str) -> re.Pattern[str]:
    """A compiled ``[chars]`` pattern (cached: the scanner asks for few sets)."""
    return re.compile("[" + re.escape(chars) + "]")


#: Autolink kinds (Fossil's ``enum mkd_autolink``).
NOT_AUTOLINK, AUTOLINK, EXPLICIT_EMAIL, IMPLICIT_EMAIL = 0, 1, 2, 3

_MAIL = re.compile(r"[-._@A-Za-z0-9]*")


def mail_autolink(s: str, p: int, end: int) -> int:
    """Length of ``address>`` at s[p] (one "@", ``[-._@a-zA-Z0-9]``), or 0."""
    m = _MAIL.match(s, p, end)
    q = m.end() if m else p
    if q >= end or s[q] != ">" or s.count("@", p, q) != 1:
        return 0
    return q + 1 - p


def tag_length(s: str, i: int, end: int, find: Any = next_char) -> tuple[int, int]:
    """(length, autolink kind) of the HTML tag, comment or autolink at s[i] ("<").

    The length is 0 when there is none.  ``find(s, chars, p, end)`` locates
    the next character of a set (a caller may pass an indexed version to
    avoid rescanning long text).
    """
    size = end - i
    if size < 3:
        return 0, NOT_AUTOLINK
    k = 2 if s[i + 1] == "/" else 1
    c = s[i + k]
    if not ("a" <= c <= "z" or "A" <= c <= "Z"):
        if s[i + 1] == "!" and size >= 7 and s[i + 2] == "-" and s[i + 3] == "-":
            j = s.find("-->", i + 4, end)
            if j >= 0:
                return j + 2 - i, NOT_AUTOLINK  # Fossil leaves the ">" itself unconsumed
        return 0, NOT_AUTOLINK
    kind = NOT_AUTOLINK
    low = s[i + 1 : i + 8].translate(ASCII_LOWER)
    if size > 6 and low.startswith("http") and (s[i + 5] == ":" or (s[i + 5] in "sS" and s[i + 6] == ":")):
        k = 6 if s[i + 5] == ":" else 7
        kind = AUTOLINK
    elif size > 5 and low.startswith("ftp:"):
        k = 5
        kind = AUTOLINK
    elif size > 7 and low.startswith("mailto:"):
        k = 8
    if k >= size:
        kind = NOT_AUTOLINK
    elif kind:
        stop = find(s, ">'\" \t\n", i + k, end)
        if stop < 0:
            return 0, NOT_AUTOLINK
        if stop > i + k and s[stop] == ">":
            return stop + 1 - i, AUTOLINK
        k = stop - i
        kind = NOT_AUTOLINK
    else:
        n = mail_autolink(s, i + k, end)
        if n:
            return k + n, EXPLICIT_EMAIL if k == 8 else IMPLICIT_EMAIL
    k = s.find(">", i + k, end)
    return (0, NOT_AUTOLINK) if k < 0 else (k - i + 1, NOT_AUTOLINK)


def entity_length(s: str, i: int, end: int) -> int:
    k = i + 1
    if k < end and s[k] == "#":
        k += 1
    while k < end and s[k] in ALNUM:
        k += 1
    if k < end and s[k] == ";":
        return k + 1 - i
    return 0


def link_inline(s: str, beg: int, end: int) -> tuple[str, str]:
    """(destination, title) of an inline link whose parentheses enclose s[beg:end]."""
    i = beg
    while i < end and s[i] in SP:
        i += 1
    lb = i
    while i < end and s[i] not in "'\"":
        i += 1
    le = i
    tb = te = 0
    if at(s, i) in "'\"":
        i += 1
        tb = i
        te = end - 1
        while te > tb and s[te] in SP:
            te -= 1
        if at(s, te) not in "'\"":
            tb = te = 0
            le = i
    while le > lb and s[le - 1] in SP:
        le -= 1
    if at(s, lb) == "<":
        lb += 1
    if le > beg and at(s, le - 1) == ">":
        le -= 1
    link = s[lb:le].replace("\\", "") if le > lb else ""
    return link, s[tb:te] if te > tb else ""


def lead_spaces(s: str, beg: int) -> int:
    """Spaces at s[beg], counted up to 4 (Markdown allows at most 3 before a block marker)."""
    n = 0
    while n < 4 and at(s, beg + n) == " ":
        n += 1
    return n


def is_hrule(s: str, beg: int, end: int) -> bool:
    size = end - beg
    if size < 3:
        return False
    i = lead_spaces(s, beg)
    if i > 3 or i + 2 >= size or s[beg + i] not in "*-_":
        return False
    c = s[beg + i]
    n = 0
    while i < size and s[beg + i] != "\n":
        if s[beg + i] == c:
            n += 1
        elif s[beg + i] not in " \t":
            return False
        i += 1
    return n >= 3


def is_headerline(s: str, beg: int, end: int) -> int:
    c = at(s, beg)
    if c not in "=-" or beg >= end:
        return 0
    i = beg + 1
    while i < end and s[i] == c:
        i += 1
    while i < end and s[i] in " \t":
        i += 1
    if i >= end or s[i] == "\n":
        return 1 if c == "=" else 2
    return 0


def is_table_sep(s: str, base: int, k: int) -> bool:
    return s[k] == "|" and (k == base or s[k - 1] != "\\")


def is_tableline(s: str, beg: int, end: int, skip: Any = skip_codespan) -> bool:
    nl = s.find("\n", beg, end)
    if s.find("|", beg, end if nl < 0 else nl) < 0:
        return False  # no separator on the line
    i = beg
    while i < end and s[i] in " \t":
        i += 1
    outer = 1 if i < end and s[i] == "|" else 0
    n = 0
    while i < end and s[i] != "\n":
        if is_table_sep(s, beg, i):
            n += 1
        if s[i] == "`":
            i = skip(s, i, end) - 1
        i += 1
    while i > beg and s[i - 1] in " \t\n":
        i -= 1
    if i > beg and is_table_sep(s, beg, i - 1):
        outer += 1
    return n > 0 and n - outer + 1 != 0


def prefix_quote(s: str, beg: int, end: int) -> int:
    i = beg
    for _ in range(3):
        if i < end and s[i] == " ":
            i += 1
    if i < end and s[i] == ">":
        return i - beg + (2 if i + 1 < end and s[i + 1] in " \t" else 1)
    return 0


def prefix_code(s: str, beg: int, end: int) -> int:
    if end > beg and s[beg] == "\t":
        return 1
    if end - beg > 3 and s[beg : beg + 4] == "    ":
        return 4
    return 0


def prefix_fenced(s: str, beg: int, end: int) -> int:
    size = end - beg
    c = s[beg]
    if c not in "`~":
        return 0
    nb = 1
    while nb < size - 3 and s[beg + nb] == c:
        nb += 1
    if nb < 3 or nb >= size - nb:
        return 0
    return nb


def prefix_oli(s: str, beg: int, end: int) -> int:
    i = beg
    for _ in range(3):
        if i < end and s[i] == " ":
            i += 1
    if i >= end or not "0" <= s[i] <= "9":
        return 0
    while i < end and "0" <= s[i] <= "9":
        i += 1
    if i + 1 >= end or s[i] not in ".)" or s[i + 1] not in " \t":
        return 0
    i += 2
    while i < end and s[i] in " \t":
        i += 1
    return i - beg


def prefix_uli(s: str, beg: int, end: int) -> int:
    i = beg
    for _ in range(3):
        if i < end and s[i] == " ":
            i += 1
    if i + 1 >= end or s[i] not in "*+-" or s[i + 1] not in " \t":
        return 0
    i += 2
    while i < end and s[i] in " \t":
        i += 1
    return i - beg


def htmlblock_end(tag: str, s: str, i: int, end: int) -> int:
    size = end - i
    n = len(tag)
    if n + 3 > size or s[i + 2 : i + 2 + n].lower() != tag or s[i + n + 2] != ">":
        return 0
    k = n + 3
    w = 0
    if k < size:
        w = is_empty(s, i + k, end)
        if not w:
            return 0
    k += w
    w = 0
    if k < size:
        w = is_empty(s, i + k, end)
        if not w:
            return 0
    return k + w
