"""Inline Markdown scanning for the link finder (Fossil 2.21 ``src/markdown.c``).

``InlineScanner.inline(s, beg, end)`` walks a span the way Fossil's
``parse_inline`` does, reacting to the characters ``* _ ` \\n [ ( < \\ &``:
emphasis (whose content is scanned again), code spans, line breaks,
links and images, footnote references and inline footnotes ``(^ text)``,
HTML tags and autolinks, backslash escapes and entities.  Each link it
would render appends its destination to ``self.links``; images do not.
Nesting is cut off at depth 200, as in Fossil.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from fossilpy.markup.md_scan import (
    ALNUM,
    SP,
    at,
    blank_prefix,
    classlist,
    closers,
    entity_length,
    inline_dest,
    left_flanking,
    ref_id,
    right_flanking,
    run_length,
    skip_codespan,
    tag_length,
)

MAX_DEPTH = 200

#: What find_emph_char stops at, per emphasis character.
_EMPH_STOP = {c: re.compile("[" + re.escape(c) + "`\\[]") for c in "*_"}


class InlineScanner:
    """Link references, footnotes and found links of one document; inline rules."""

    def __init__(self) -> None:
        #: link definitions (id as bytes, destination), stably sorted by id
        #: once the first pass is over
        self.refs: list[tuple[bytes, str]] = []
        self.notes: list[dict] = []   # labeled then inline footnotes
        self.labeled: dict[str, int] = {}
        self.marks = 0
        self.depth = 0
        self.links: list[str] = []
        self._closer_cache: dict[tuple[str, str], list[int]] = {}
        self._nonblank_cache: dict[str, list[int]] = {}
        self._emph_memo: dict[tuple, dict[int, int]] = {}
        self._char_cache: dict[tuple[str, str], list[int]] = {}
        self.longest_ref = 0

    def next_char(self, s: str, chars: str, p: int, end: int) -> int:
        """Index of the first character of ``chars`` in s[p:end], or -1 (indexed)."""
        key = (s, chars)
        table = self._char_cache.get(key)
        if table is None:
            table = self._char_cache[key] = [
                m.start() for m in re.finditer("[" + re.escape(chars) + "]", s)
            ]
        k = bisect.bisect_left(table, p)
        return table[k] if k < len(table) and table[k] < end else -1

    def lookup_ref(self, s: str, beg: int, end: int) -> str | None:
        """Destination of the link definition whose id is s[beg:end], or None."""
        if not self.refs:
            return None
        # A normalised id is at least as long as its non-blank characters:
        # skip the normalisation when no definition can be that long.
        counts = self._nonblank_cache.get(s)
        if counts is None:
            counts = [0] * (len(s) + 1)
            n = 0
            for k, c in enumerate(s):
                n += c not in SP
                counts[k + 1] = n
            self._nonblank_cache[s] = counts
        if counts[min(end, len(s))] - counts[beg] > self.longest_ref:
            return None
        key = ref_id(s, beg, end)
        if key is None:
            return None
        # Fossil sorts the definitions (a stable sort here) and then uses
        # bsearch(); with duplicate ids the one that search lands on wins.
        want = key.encode("utf-8", "surrogateescape")
        lo, hi = 0, len(self.refs)
        while lo < hi:
            mid = (lo + hi) // 2
            have = self.refs[mid][0]
            if want < have:
                hi = mid
            elif want > have:
                lo = mid + 1
            else:
                return self.refs[mid][1]
        return None

    def matching_bracket(self, s: str, beg: int, end: int) -> int:
        """Offset from beg of the bracket closing s[beg] ("[" or "("), or 0."""
        key = (s, s[beg])
        table = self._closer_cache.get(key)
        if table is None:
            table = self._closer_cache[key] = closers(s, s[beg])
        j = table[beg]
        return j - beg if j < end else 0

    # -- inline -------------------------------------------------------------

    def inline(self, s: str, beg: int, end: int) -> None:
        if self.depth > MAX_DEPTH:
            return
        i = beg
        pos = beg
        while i < end:
            while pos < end and s[pos] not in "*_`\n[(<\\&":
                pos += 1
            if pos >= end:
                break
            i = pos
            c = s[i]
            n = 0
            if c in "*_":
                n = self.char_emphasis(s, i, beg, end)
            elif c == "`":
                n = self.char_codespan(s, i, end)
            elif c == "\n":
                n = 1 if i - beg >= 2 and s[i - 1] == " " and s[i - 2] == " " else 0
            elif c == "[":
                n = self.char_link(s, i, beg, end)
            elif c == "(":
                n = self.char_footnote(s, i, end)
            elif c == "<":
                n = tag_length(s, i, end, self.next_char)
            elif c == "\\":
                n = 2
            elif c == "&":
                n = entity_length(s, i, end)
            if not n:
                pos = i + 1
            else:
                i += n
                pos = i

    def char_codespan(self, s: str, i: int, end: int) -> int:
        """Length of the code span (or fenced block) opened at s[i], or 0."""
        nb = run_length(s, i, end)
        k = s.find(s[i] * nb, i + nb, end)
        return 0 if k < 0 else k + nb - i

    def find_emph_char(self, s: str, beg: int, end: int, c: str) -> int:
        """Offset from beg of the next ``c`` that is not escaped, in a code
        span or in a link's brackets (a ``c`` inside a bracket that turns
        out not to be a link counts); 0 if there is none."""
        i = beg + (0 if s[beg] == "`" else 1) if beg < end else beg + 1
        pattern = _EMPH_STOP[c]
        while i < end:
            m = pattern.search(s, i, end)
            if m is None:
                return 0
            i = m.start()
            if i > beg and s[i - 1] == "\\":
                i += 1
                continue
            if s[i] == c:
                return i - beg
            if s[i] == "`":
                i = skip_codespan(s, i, end)
                continue
            i += 1
            close = s.find("]", i, end)
            close = end if close < 0 else close
            tmp = s.find(c, i, close)
            i = close + 1
            while i < end and s[i] in SP:
                i += 1
            if i >= end:
                return tmp - beg if tmp >= 0 else 0
            if s[i] != "[" and s[i] != "(":
                if tmp >= 0:
                    return tmp - beg
                continue
            cc = s[i]
            i += 1
            close = s.find(cc, i, end)
            close = end if close < 0 else close
            if tmp < 0:
                tmp = s.find(c, i, close)
            i = close
            if i >= end:
                return tmp - beg if tmp >= 0 else 0
            i += 1
        return 0

    # The searches below are Fossil's parse_emph1/2/3.  Where a search goes
    # next depends only on where it stands, so the outcome reached from each
    # position is remembered: a run of unclosed markers then costs linear
    # time instead of quadratic.

    def _closing(self, key: tuple, start: int, step: Any) -> int:
        memo = self._emph_memo.setdefault(key, {})
        seen = []
        p = start
        while True:
            hit = memo.get(p)
            if hit is not None:
                result = hit
                break
            seen.append(p)
            nxt, result = step(p)
            if nxt is None:
                break
            p = nxt
        for q in seen:
            memo[q] = result
        return result

    def emph1(self, s: str, beg: int, end: int, c: str) -> int:
        deep = self.depth > MAX_DEPTH
        first = 1 if end - beg > 1 and s[beg] == c and at(s, beg + 1) == c else 0

        def step(p: int) -> tuple[int | None, int]:
            if p >= end:
                return None, -1
            n = self.find_emph_char(s, p, end, c)
            if not n:
                return None, -1
            q = p + n
            if q >= end:
                return None, -1
            if q + 1 < end and s[q + 1] == c:
                return q + 1, -1
            after = s[q + 1] if q + 1 < end else " "
            if (s[q] == c and right_flanking(s[q - 1], after)
                    and (c != "_" or after not in ALNUM) and not deep):
                return None, q
            return q, -1

        q = self._closing((s, 1, c, end, deep), beg + first, step)
        if q < 0:
            return 0
        self.depth += 1
        self.inline(s, beg, q)
        self.depth -= 1
        return q - beg + 1

    def emph2(self, s: str, beg: int, end: int, c: str) -> int:
        deep = self.depth > MAX_DEPTH

        def step(p: int) -> tuple[int | None, int]:
            if p >= end:
                return None, -1
            n = self.find_emph_char(s, p, end, c)
            if not n:
                return None, -1
            q = p + n
            after = s[q + 2] if q + 2 < end else " "
            if (q + 1 < end and s[q] == c and s[q + 1] == c
                    and right_flanking(s[q - 1], after)
                    and (c != "_" or after not in ALNUM) and not deep):
                return None, q
            return q + 1, -1

        q = self._closing((s, 2, c, end, deep), beg, step)
        if q < 0:
            return 0
        self.depth += 1
        self.inline(s, beg, q)
        self.depth -= 1
        return q - beg + 2

    def emph3(self, s: str, beg: int, end: int, c: str) -> int:
        def step(p: int) -> tuple[int | None, int]:
            if p >= end:
                return None, -1
            n = self.find_emph_char(s, p, end, c)
            if not n:
                return None, -1
            q = p + n
            if s[q] != c or s[q - 1] in SP:
                return q, -1
            return None, q

        q = self._closing((s, 3, c, end), beg, step)
        if q < 0:
            return 0
        if q + 2 < end and s[q + 1] == c and s[q + 2] == c and self.depth <= MAX_DEPTH:
            self.depth += 1
            self.inline(s, beg, q)
            self.depth -= 1
            return q - beg + 3
        if q + 1 < end and s[q + 1] == c:
            n = self.emph1(s, beg - 2, end, c)
            return n - 2 if n else 0
        n = self.emph2(s, beg - 1, end, c)
        return n - 1 if n else 0

    def char_emphasis(self, s: str, i: int, beg: int, end: int) -> int:
        c = s[i]
        size = end - i
        before = s[i - 1] if i > beg else " "
        d1, d2, d3 = at(s, i + 1), at(s, i + 2), at(s, i + 3)
        if size > 2 and d1 != c:
            if not left_flanking(before, d1) or (c == "_" and before in ALNUM):
                return 0
            n = self.emph1(s, i + 1, end, c)
            return n + 1 if n else 0
        if size > 3 and d1 == c and d2 != c:
            if not left_flanking(before, d2) or (c == "_" and before in ALNUM):
                return 0
            n = self.emph2(s, i + 2, end, c)
            return n + 2 if n else 0
        if size > 4 and d1 == c and d2 == c and d3 != c:
            if not left_flanking(before, d3) or (c == "_" and before in ALNUM):
                return 0
            n = self.emph3(s, i + 3, end, c)
            return n + 3 if n else 0
        return 0

    def get_footnote(self, s: str, beg: int, end: int) -> None:
        key = ref_id(s, beg, end) if self.labeled else None
        idx = self.labeled.get(key) if key is not None else None
        if idx is None:
            return
        note = self.notes[idx]
        if note["used"] == 0:
            self.marks += 1
            note["mark"] = self.marks
        note["used"] += 1

    def add_inline_footnote(self, s: str, beg: int, end: int) -> bool:
        text = s[beg:end]
        n = blank_prefix(text, 3)
        if n >= len(text):
            return False
        text = text[n:]
        upc = classlist(text, True)
        if upc:
            body = text[upc:]
            if not body.strip(" \t\n\v\f\r"):
                body = text[:upc]
        else:
            body = text
            if not body.strip(" \t\n\v\f\r"):
                return False
        self.marks += 1
        self.notes.append({"text": body, "used": 1, "mark": self.marks, "done": False})
        return True

    def char_footnote(self, s: str, i: int, end: int) -> int:
        if end - i < 4 or s[i + 1] != "^":
            return 0
        k = self.matching_bracket(s, i, end)
        if not k:
            return 0
        if not self.add_inline_footnote(s, i + 2, i + k):
            return 0
        return k + 1

    def char_link(self, s: str, i: int, beg: int, end: int) -> int:
        size = end - i
        free_note = size > 3 and s[i + 1] == "^"
        is_img = not free_note and i > beg and s[i - 1] == "!"
        txt_e = self.matching_bracket(s, i, end)
        if not txt_e:
            return 0
        k = txt_e + 1
        link: str | None = None
        is_note = False
        if free_note:
            self.get_footnote(s, i + 2, i + txt_e)
            return k
        while k < size and s[i + k] in SP:
            k += 1
        if k < size and s[i + k] == "(":
            if k + 2 < size and s[i + k + 1] == "^":
                kk = self.matching_bracket(s, i + k, end)
                if not kk:
                    return 0
                self.add_inline_footnote(s, i + k + 2, i + k + kk)
                is_note = True
                k += kk + 1
            else:
                # the first ")" not preceded by a backslash
                p = self.next_char(s, ")", i + k + 1, end)
                while p >= 0 and s[p - 1] == "\\":
                    p = self.next_char(s, ")", p + 1, end)
                if p < 0:
                    return 0
                span = p - i
                link = inline_dest(s, i + k + 1, i + span)
                k = span + 1
        elif k < size and s[i + k] == "[":
            id_end = k
            while id_end < size and s[i + id_end] != "]":
                id_end += 1
            if id_end >= size:
                return 0
            foot = at(s, i + k + 1) == "^"
            if k + 1 == id_end or (foot and k + 2 == id_end):
                ib, ie = i + 1, i + txt_e
            else:
                ib, ie = i + k + 1, i + id_end
                if foot:
                    ib += 1
            if foot:
                self.get_footnote(s, ib, ie)
                is_note = True
            else:
                link = self.lookup_ref(s, ib, ie)
                if link is None:
                    return 0
            k = id_end + 1
        else:
            link = self.lookup_ref(s, i + 1, i + txt_e)
            if link is None:
                return 0
            k = txt_e + 1
        if txt_e > 1 and not is_img:
            self.depth += 1
            self.inline(s, i + 1, i + txt_e)
            self.depth -= 1
        if not is_img and not is_note and link is not None:
            self.links.append(link)
        return k
