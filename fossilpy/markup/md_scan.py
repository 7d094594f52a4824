"""Character- and line-level scanning for the Markdown link finder.

Helpers of ``fossilpy.markup.md_blocks`` that follow Fossil 2.21's
``src/markdown.c``: block prefixes (quotes, code, lists, fences, tables,
rules, headers, HTML blocks), inline tokens (tags and autolinks, entities,
code spans, inline link destinations), reference ids, and the two kinds of
definition lines removed before parsing::

    [id]: destination "optional title"       (up to 3 leading spaces)
    [^id]: footnote text                     (continuation lines indented)

As in the C code a span is a string with begin/end offsets, and a scan may
look at the character just past its end (``at`` gives NUL past the string).
"""

from __future__ import annotations

import functools
import re
from typing import Any

SP = " \t\n"
WS_RUN = re.compile("[ \t\n]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
SPACE = frozenset(" \t\n\v\f\r")


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
    return m.match(s, i, end).end() - i


_RUNS = {c: re.compile(re.escape(c) + "+") for c in "`~"}


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
        if (c == bra or c == ket) and (k == 0 or s[k - 1] != "\\"):
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
    m = _char_class(chars).search(s, p, end)
    return -1 if m is None else m.start()


@functools.lru_cache(maxsize=64)
def _char_class(chars: str) -> re.Pattern:
    """A compiled ``[chars]`` pattern (cached: the scanner asks for few sets)."""
    return re.compile("[" + re.escape(chars) + "]")


def tag_length(s: str, i: int, end: int, find: Any = next_char) -> int:
    """Length of the HTML tag, comment or autolink at s[i] ("<"), or 0.

    ``find(s, chars, p, end)`` locates the next character of a set (a
    caller may pass an indexed version to avoid rescanning long text).
    """
    size = end - i
    if size < 3:
        return 0
    k = 2 if s[i + 1] == "/" else 1
    c = at(s, i + k)
    if not ("a" <= c <= "z" or "A" <= c <= "Z"):
        if s[i + 1] == "!" and size >= 7 and s[i + 2] == "-" and s[i + 3] == "-":
            j = s.find("-->", i + 4, end)
            if j >= 0:
                return j + 2 - i  # Fossil leaves the ">" itself unconsumed
        return 0
    auto = False
    low = s[i + 1 : i + 8].lower()
    c5, c6 = at(s, i + 5), at(s, i + 6)
    if size > 6 and low.startswith("http") and (c5 == ":" or (c5 in "sS" and c6 == ":")):
        k = 6 if s[i + 5] == ":" else 7
        auto = True
    elif size > 5 and low.startswith("ftp:"):
        k = 5
        auto = True
    elif size > 7 and low.startswith("mailto:"):
        k = 8
    if k >= size:
        auto = False
    elif auto:
        j = k
        stop = find(s, ">'\" \t\n", i + k, end)
        if stop < 0:
            return 0
        k = stop - i
        if k > j and s[i + k] == ">":
            return k + 1
    else:
        j = k
        n_at = 0
        while j < size and (s[i + j] in "-._@" or s[i + j] in ALNUM):
            n_at += s[i + j] == "@"
            j += 1
        if j < size and s[i + j] == ">" and n_at == 1:
            return j + 1
    k = s.find(">", i + k, end)
    return 0 if k < 0 else k - i + 1


def entity_length(s: str, i: int, end: int) -> int:
    k = i + 1
    if k < end and s[k] == "#":
        k += 1
    while k < end and s[k] in ALNUM:
        k += 1
    if k < end and s[k] == ";":
        return k + 1 - i
    return 0


def inline_dest(s: str, beg: int, end: int) -> str:
    """The destination of an inline link whose parentheses enclose s[beg:end]."""
    i = beg
    while i < end and s[i] in SP:
        i += 1
    lb = i
    while i < end and s[i] not in "'\"":
        i += 1
    le = i
    if at(s, i) in "'\"":
        i += 1
        tb = i
        te = end - 1
        while te > tb and s[te] in SP:
            te -= 1
        if at(s, te) not in "'\"":
            le = i
    while le > lb and s[le - 1] in SP:
        le -= 1
    if at(s, lb) == "<":
        lb += 1
    if le > beg and at(s, le - 1) == ">":
        le -= 1
    return s[lb:le].replace("\\", "") if le > lb else ""


def is_hrule(s: str, beg: int, end: int) -> bool:
    size = end - beg
    if size < 3:
        return False
    i = 0
    if s[beg] == " ":
        i = 1
        if s[beg + 1] == " ":
            i = 2
            if s[beg + 2] == " ":
                i = 3
    if i + 2 >= size or s[beg + i] not in "*-_":
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


def is_tableline(s: str, beg: int, end: int) -> bool:
    i = beg
    while i < end and s[i] in " \t":
        i += 1
    outer = 1 if i < end and s[i] == "|" else 0
    n = 0
    while i < end and s[i] != "\n":
        if is_table_sep(s, beg, i):
            n += 1
        if s[i] == "`":
            i = skip_codespan(s, i, end) - 1
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


def blockcode_length(s: str, beg: int, end: int) -> int:
    size = end - beg
    pos = 0
    while pos < size:
        nl = s.find("\n", beg + pos, end - 1) if size - pos - 1 > 0 else -1
        e = size if nl < 0 else nl - beg + 1
        pre = prefix_code(s, beg + pos, beg + e)
        if pre:
            pos += pre
        elif not is_empty(s, beg + pos, beg + e):
            break
        pos = e
    return pos


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


def blank_prefix(text: str, half_lines: int) -> int:
    p = 0
    n = len(text)
    while half_lines > 0:
        while p < n and text[p] in " \t":
            p += 1
        half_lines -= 1
        if p == n or half_lines == 0:
            break
        if text[p] in "\n\r":
            p += 1
            if p == n:
                break
            if text[p] == "\n" and text[p - 1] == "\r":
                p += 1
        half_lines -= 1
    return p


def classlist(text: str, blank: bool) -> int:
    if not text or text[0] != ".":
        return 0
    for p in range(1, len(text)):
        c = text[p]
        if c in ALNUM or c == "-":
            continue
        if text[p - 1] == ".":
            break
        if c == ":":
            p += 1
            if blank and (p == len(text) or text[p] not in SPACE):
                break
            return p
        if c != ".":
            break
    return 0


def is_ref(s: str, beg: int, end: int, refs: list[tuple[bytes, str]]) -> int:
    """Parse a link definition line at s[beg]; store it and return its end, or 0."""
    if beg + 3 >= end:
        return 0
    i = 0
    if s[beg] == " ":
        i = 1
        if s[beg + 1] == " ":
            i = 2
            if s[beg + 2] == " ":
                i = 3
                if s[beg + 3] == " ":
                    return 0
    i += beg
    if s[i] != "[":
        return 0
    i += 1
    if i >= end or s[i] == "^":
        return 0
    id_b = i
    while i < end and s[i] not in "\n\r]":
        i += 1
    if i >= end or s[i] != "]":
        return 0
    id_e = i
    i += 1
    if i >= end or s[i] != ":":
        return 0
    i += 1
    while i < end and s[i] in " \t":
        i += 1
    if i < end and s[i] in "\n\r":
        i += 1
        if i < end and s[i] == "\r" and s[i - 1] == "\n":
            i += 1
    while i < end and s[i] in " \t":
        i += 1
    if i >= end:
        return 0
    if s[i] == "<":
        i += 1
    lb = i
    while i < end and s[i] not in " \t\n\r":
        i += 1
    le = i - 1 if at(s, i - 1) == ">" else i
    while i < end and s[i] in " \t":
        i += 1
    if i < end and s[i] not in "\n\r'\"(":
        return 0
    line_end = 0
    if i >= end or s[i] in "\r\n":
        line_end = i
    if i + 1 < end and s[i] == "\n" and s[i + 1] == "\r":
        line_end = i + 1
    if line_end:
        i = line_end + 1
        while i < end and s[i] in " \t":
            i += 1
    if i + 1 < end and s[i] in "'\"(":
        i += 1
        tb = i
        while i < end and s[i] not in "\n\r":
            i += 1
        te = i + 1 if i + 1 < end and s[i] == "\n" and s[i + 1] == "\r" else i
        i -= 1
        while i > tb and s[i] in " \t":
            i -= 1
        if i > tb and s[i] in "'\")":
            line_end = te
    if not line_end:
        return 0
    key = ref_id(s, id_b, id_e)
    if key is None:
        return 0
    refs.append((key.encode("utf-8", "surrogateescape"), s[lb:le] if le > lb else ""))
    return line_end


def is_footnote(s: str, beg: int, end: int) -> tuple[int, str, str] | None:
    """A footnote definition at s[beg]: (its end, its id, its text), or None."""
    if beg + 5 >= end or s[beg] != "[" or s[beg + 1] != "^":
        return None
    i = beg + 2
    id_b = i
    while i < end and s[i] not in "]\n\r":
        i += 1
    if i >= end or s[i] != "]":
        return None
    id_e = i
    i += 1
    if i >= end or s[i] != ":":
        return None
    i += 1
    while i < end and s[i] in " \t":
        i += 1
    if i >= end:
        return None
    key = ref_id(s, id_b, id_e)
    if key is None:
        return None
    text: list[str] = []
    upc_b = upc_n = 0
    if s[i] not in "\n\r":
        upc_n = classlist(s[i:end], True)
        upc_b = i
        i += upc_n
        j = i
        while i < end and s[i] not in "\n\r":
            i += 1
        text.append(s[j:i])
        if i < end:
            text.append(s[i])
            i += 1
            if i < end and s[i] == "\n" and s[i - 1] == "\r":
                text.append(s[i])
                i += 1
    else:
        i += 1
        if i < end and s[i] == "\n" and s[i - 1] == "\r":
            i += 1
    if i < end:
        k = i
        while k < end and s[k] == " ":
            k += 1
        indent = k - i
        if k < end and indent >= 2:
            spaces = s[i : i + indent]
            while i + indent < end and s[i : i + indent] == spaces:
                i += indent
                if not upc_b:
                    upc_b = i + blank_prefix(s[i:end], 1)
                    upc_n = classlist(s[upc_b:end], True)
                    if upc_n:
                        i = upc_b + upc_n
                j = i
                while i < end and s[i] not in "\n\r":
                    i += 1
                text.append(s[j:i])
                if i >= end:
                    break
                text.append(s[i])
                i += 1
                if i < end and s[i] == "\n" and s[i - 1] == "\r":
                    text.append(s[i])
                    i += 1
    body = "".join(text)
    if not body:
        return None
    body = body.strip(" \t\n\v\f\r")
    if not body:
        if not upc_n:
            return None
        body = s[upc_b : upc_b + upc_n]
    return i, key, body
