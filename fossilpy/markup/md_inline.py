"""Inline Markdown (Fossil 2.21 ``src/markdown.c``, ``parse_inline`` and the
character triggers).

``InlineParser.parse_inline(ob, s, beg, end)`` walks a span the way Fossil
does, reacting to ``* _ ` \\n [ ( < \\ &``: emphasis (whose content is
parsed again), code spans, line breaks, links and images, footnote
references and inline footnotes ``(^ text)``, HTML tags and autolinks,
backslash escapes and entities.  What it finds goes to the renderer's
callbacks (:class:`fossilpy.markup.md_render.MarkdownRenderer`), which
append to the output buffer ``ob`` (a list of strings).

Depth is counted as Fossil counts its work buffers (a link holds three,
emphasis one, ...); past :data:`MAX_DEPTH` text is copied as it is.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from fossilpy.markup.chars import ALNUM
from fossilpy.markup.md_defs import blank_prefix, classlist
from fossilpy.markup.md_scan import (
    SP,
    Runs,
    at,
    char_class,
    closers,
    left_flanking,
    link_inline,
    ref_id,
    right_flanking,
    tag_length,
)

MAX_DEPTH = 200

#: What find_emph_char stops at, per emphasis character.
_EMPH_STOP = {c: re.compile("[" + re.escape(c) + "`\\[]") for c in "*_"}
#: How far the lookups search before they index the whole string.
_NEAR = 4096
#: The brackets matching_bracket counts, per opening bracket.
_BRACKETS = {"[": re.compile(r"[\[\]]"), "(": re.compile(r"[()]")}
#: A run of backticks or tildes.
_RUN = {c: re.compile(re.escape(c) + "+") for c in "`~"}
#: The characters parse_inline acts on.
_ACTIVE = re.compile(r"[*_`\n\[(<\\&]")
_SPACE = " \t\n\v\f\r"


class Note:
    """One footnote (Fossil's ``struct footnote``)."""

    __slots__ = ("defno", "id", "index", "mark", "rendered", "text", "upc", "used")

    def __init__(self, text: str, upc: str = "", key: bytes = b"", defno: int = 0) -> None:
        self.id = key          # normalised label as bytes; b"" for inline notes
        self.text = text       # source text, then its rendering
        self.upc = upc         # user-provided class list ".a.b:"
        self.rendered = False
        self.defno = defno     # order of definition
        self.index = 0         # position in the list of all notes
        self.mark = 0          # number shown, given at the first reference
        self.used = 0          # references so far


class InlineParser:
    """Link definitions, footnotes and inline rules of one document."""

    def __init__(self, renderer: Any) -> None:
        self.r = renderer
        #: link definitions (id as bytes, destination, title), stably sorted
        #: by id once the first pass is over
        self.refs: list[tuple[bytes, str, str]] = []
        self.notes: list[Note] = []   # labeled (sorted by id), then inline footnotes
        self.labeled = 0              # how many of self.notes are labeled
        self.misref = Note("")
        self.misref.mark = -1
        self.marks = 0
        self.depth = 0
        self.longest_ref = 0
        self._closer_cache: dict[tuple[str, str], list[int]] = {}
        self._nonblank_cache: dict[str, list[int]] = {}
        self._emph_memo: dict[tuple[Any, ...], dict[int, int]] = {}
        self._char_cache: dict[tuple[str, str], list[int]] = {}
        self._runs_cache: dict[tuple[str, str], Runs] = {}

    # -- lookups --------------------------------------------------------------

    # The lookups below look near first; only when that fails do they index
    # the whole string, once (so that input made to fail every search, such
    # as "[a](" repeated, stays linear).

    def next_char(self, s: str, chars: str, p: int, end: int) -> int:
        """Index of the first character of ``chars`` in s[p:end], or -1."""
        key = (s, chars)
        table = self._char_cache.get(key)
        if table is None:
            near = min(end, p + _NEAR)
            m = char_class(chars).search(s, p, near)
            if m is not None or near == end:
                return -1 if m is None else m.start()
            table = self._char_cache[key] = [m.start() for m in char_class(chars).finditer(s)]
        k = bisect.bisect_left(table, p)
        return table[k] if k < len(table) and table[k] < end else -1

    def code_marks(self, s: str, i: int, end: int) -> tuple[int, int]:
        """(length of the run of s[i] at i, start of the next run as long, or -1):
        the delimiters of a code span (or fence) opened at s[i]."""
        ch = s[i]
        key = (s, ch)
        runs = self._runs_cache.get(key)
        if runs is None:
            near = min(end, i + _NEAR)
            run = _RUN[ch].match(s, i, near)
            nb = run.end() - i if run else 1
            if i + nb < near:
                if i + nb >= end:
                    return nb, -1
                stop = min(end, i + nb + _NEAR)
                k = s.find(ch * nb, i + nb, stop)
                if k >= 0 or stop == end:
                    return nb, k
            runs = self._runs_cache[key] = Runs(s, ch)
        nb = runs.rest(i, end)
        return nb, runs.closing(i, nb, end) if i + nb < end else -1

    def skip_codespan(self, s: str, i: int, end: int) -> int:
        """Index past the code span starting with "`" at s[i] (or past its opening mark)."""
        nb, k = self.code_marks(s, i, end)
        return k + nb if k >= 0 else i + nb

    def lookup_ref(self, s: str, beg: int, end: int) -> tuple[str, str] | None:
        """(destination, title) of the link definition whose id is s[beg:end], or None."""
        if not self.refs:
            return None
        # A normalised id is at least as long as its non-blank characters:
        # skip the normalisation of a long span no definition can match.
        if end - beg > 2 * self.longest_ref + _NEAR:
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
                return self.refs[mid][1], self.refs[mid][2]
        return None

    def matching_bracket(self, s: str, beg: int, end: int) -> int:
        """Offset from beg of the bracket closing s[beg] ("[" or "("), or 0."""
        bra = s[beg]
        key = (s, bra)
        table = self._closer_cache.get(key)
        if table is None:
            search = _BRACKETS[bra].search
            level = 1
            p = beg + 1
            for _ in range(32):
                m = search(s, p, end)
                if m is None:
                    return 0
                p = m.end()
                k = p - 1
                if s[k - 1] == "\\":
                    continue
                level += 1 if s[k] == bra else -1
                if level <= 0:
                    return k - beg
            table = self._closer_cache[key] = closers(s, bra)
        j = table[beg]
        return j - beg if j < end else 0

    # -- inline -------------------------------------------------------------

    def parse_inline(self, ob: list[str], s: str, beg: int, end: int) -> None:
        if self.depth > MAX_DEPTH:
            if end > beg:
                self.r.raw_text(ob, s[beg:end])
            return
        r = self.r
        text = r.normal_text
        search = _ACTIVE.search
        i = p = beg  # i: start of text not yet written; p: where to look next
        while True:
            m = search(s, p, end)
            if m is None:
                if end > i:
                    text(ob, s[i:end])
                return
            k = m.start()
            if k > i:
                text(ob, s[i:k])
            c = s[k]
            if c == "*" or c == "_":
                # char_emphasis, written here: one Python frame less per level
                n = 0
                before = s[k - 1] if k > beg else " "
                size = end - k
                d1, d2, d3 = at(s, k + 1), at(s, k + 2), at(s, k + 3)
                if size > 2 and d1 != c:
                    if left_flanking(before, d1) and not (c == "_" and before in ALNUM):
                        n = self.emph1(ob, s, k + 1, end, c)
                        n = n + 1 if n else 0
                elif size > 3 and d1 == c and d2 != c:
                    if left_flanking(before, d2) and not (c == "_" and before in ALNUM):
                        n = self.emph2(ob, s, k + 2, end, c)
                        n = n + 2 if n else 0
                elif (size > 4 and d1 == c and d2 == c and d3 != c
                        and left_flanking(before, d3) and not (c == "_" and before in ALNUM)):
                    n = self.emph3(ob, s, k + 3, end, c)
                    n = n + 3 if n else 0
            elif c == "`":
                n = self.char_codespan(ob, s, k, end)
            elif c == "\n":
                n = 0
                if k - beg >= 2 and s[k - 1] == " " and s[k - 2] == " ":
                    _drop_last(ob, " ")
                    n = 1 if r.linebreak(ob) else 0
            elif c == "[":
                n = self.char_link(ob, s, k, beg, end)
            elif c == "(":
                n = self.char_footnote(ob, s, k, end)
            elif c == "<":
                n, kind = tag_length(s, k, end, self.next_char)
                if n:
                    ok = r.autolink(ob, s[k + 1 : k + n - 1], kind) if kind else r.raw_html_tag(ob, s[k : k + n])
                    n = n if ok else 0
            elif c == "\\":
                if k + 1 < end:
                    text(ob, s[k + 1])
                n = 2
            else:  # "&"
                n = self.char_entity(ob, s, k, end)
            if n:
                i = p = k + n
                if i >= end:
                    return
            else:
                i = k
                p = k + 1

    def char_entity(self, ob: list[str], s: str, i: int, end: int) -> int:
        k = i + 1
        if k < end and s[k] == "#":
            k += 1
        while k < end and s[k] in ALNUM:
            k += 1
        if k >= end or s[k] != ";":
            return 0
        self.r.entity(ob, s[i : k + 1])
        return k + 1 - i

    def char_codespan(self, ob: list[str], s: str, i: int, end: int) -> int:
        """Length of the code span (or fenced block) opened at s[i], or 0."""
        nb, k = self.code_marks(s, i, end)
        if k < 0:
            return 0
        n = k + nb - i
        fb = i + nb
        while fb < i + n and s[fb] in " \t":
            fb += 1
        fe = k
        while fe > i + nb and s[fe - 1] in " \t":
            fe -= 1
        ok = self.r.codespan(ob, s[fb:fe] if fb < fe else None, nb)
        return n if ok else 0

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
                i = self.skip_codespan(s, i, end)
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

    def _closing(self, key: tuple[Any, ...], start: int, step: Any) -> int:
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

    def nested(self, s: str, beg: int, end: int) -> str:
        """s[beg:end] parsed as inline text one level deeper (emphasis content)."""
        self.depth += 1
        work: list[str] = []
        self.parse_inline(work, s, beg, end)
        self.depth -= 1
        return "".join(work)

    def emph1(self, ob: list[str], s: str, beg: int, end: int, c: str) -> int:
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
        return q - beg + 1 if self.r.emphasis(ob, self.nested(s, beg, q), c) else 0

    def emph2(self, ob: list[str], s: str, beg: int, end: int, c: str) -> int:
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
        return q - beg + 2 if self.r.double_emphasis(ob, self.nested(s, beg, q), c) else 0

    def emph3(self, ob: list[str], s: str, beg: int, end: int, c: str) -> int:
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
            return q - beg + 3 if self.r.triple_emphasis(ob, self.nested(s, beg, q), c) else 0
        if q + 1 < end and s[q + 1] == c:
            n = self.emph1(ob, s, beg - 2, end, c)
            return n - 2 if n else 0
        n = self.emph2(ob, s, beg - 1, end, c)
        return n - 1 if n else 0

    # -- footnotes ----------------------------------------------------------------

    def get_footnote(self, s: str, beg: int, end: int) -> tuple[Note, int]:
        """The labeled note s[beg:end] refers to (or the misreference) and
        its number of uses so far, this one included."""
        note = None
        if self.labeled:
            key = ref_id(s, beg, end)
            if key is not None:
                want = key.encode("utf-8", "surrogateescape")
                lo, hi = 0, self.labeled
                while lo < hi:
                    mid = (lo + hi) // 2
                    have = self.notes[mid].id
                    if want < have:
                        hi = mid
                    elif want > have:
                        lo = mid + 1
                    else:
                        note = self.notes[mid]
                        break
        if note is None:
            note = self.misref
        elif note.used == 0:
            self.marks += 1
            note.mark = self.marks
        note.used += 1
        return note, note.used

    def add_inline_footnote(self, s: str, beg: int, end: int) -> Note | None:
        n = blank_prefix(s, beg, end, 3)
        if n >= end - beg:
            return None
        beg += n
        upc = classlist(s, beg, end, True)
        body = s[beg + upc : end]
        cls = s[beg : beg + upc]
        if not body.strip(_SPACE):
            if not upc:
                return None
            body, cls = cls, ""
        self.marks += 1
        note = Note(body, cls)
        note.mark = self.marks
        note.used = 1
        note.index = len(self.notes)
        self.notes.append(note)
        return note

    def char_footnote(self, ob: list[str], s: str, i: int, end: int) -> int:
        if end - i < 4 or s[i + 1] != "^":
            return 0
        k = self.matching_bracket(s, i, end)
        if not k:
            return 0
        note = self.add_inline_footnote(s, i + 2, i + k)
        if note is None:
            return 0
        self.r.footnote_ref(ob, None, note.upc, note.mark, 1)
        return k + 1

    # -- links --------------------------------------------------------------------

    def char_link(self, ob: list[str], s: str, i: int, beg: int, end: int) -> int:
        size = end - i
        free_note = size > 3 and s[i + 1] == "^"
        is_img = not free_note and i > beg and s[i - 1] == "!"
        txt_e = self.matching_bracket(s, i, end)
        if not txt_e:
            return 0
        r = self.r
        if free_note:
            ref, locus = self.get_footnote(s, i + 2, i + txt_e)
            return txt_e + 1 if r.footnote_ref(ob, None, ref.upc, ref.mark, locus) else 0
        k = txt_e + 1
        link = title = ""
        note: Note | None = None
        locus = 0
        self.depth += 3  # Fossil's title, content and link buffers
        try:
            while k < size and s[i + k] in SP:
                k += 1
            if k < size and s[i + k] == "(":
                if k + 2 < size and s[i + k + 1] == "^":
                    kk = self.matching_bracket(s, i + k, end)
                    if not kk:
                        return 0
                    note = self.add_inline_footnote(s, i + k + 2, i + k + kk)
                    locus = 1
                    k += kk + 1
                else:
                    # the first ")" not preceded by a backslash
                    p = self.next_char(s, ")", i + k + 1, end)
                    while p >= 0 and s[p - 1] == "\\":
                        p = self.next_char(s, ")", p + 1, end)
                    if p < 0:
                        return 0
                    link, title = link_inline(s, i + k + 1, p)
                    k = p - i + 1
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
                    note, locus = self.get_footnote(s, ib, ie)
                else:
                    found = self.lookup_ref(s, ib, ie)
                    if found is None:
                        return 0
                    link, title = found
                k = id_end + 1
            else:
                found = self.lookup_ref(s, i + 1, i + txt_e)
                if found is None:
                    return 0
                link, title = found
                k = txt_e + 1
            content = ""
            if txt_e > 1:
                if is_img:
                    content = s[i + 1 : i + txt_e]
                else:
                    work: list[str] = []
                    self.parse_inline(work, s, i + 1, i + txt_e)
                    content = "".join(work)
            if is_img:
                _drop_last(ob, "!")
                ok = r.image(ob, link, title, content)
            elif note is not None:
                ok = r.footnote_ref(ob, content, note.upc, note.mark, locus)
            else:
                ok = r.link(ob, link, title, content)
            return k if ok else 0
        finally:
            self.depth -= 3


def _drop_last(ob: list[str], c: str) -> None:
    """Remove a last character ``c`` from the output (Fossil shortens the blob)."""
    while ob and not ob[-1]:
        ob.pop()
    if ob and ob[-1].endswith(c):
        last = ob.pop()[:-1]
        if last:
            ob.append(last)
