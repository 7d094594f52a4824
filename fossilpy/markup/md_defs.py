"""Markdown definition lines (Fossil 2.21 ``src/markdown.c``, ``is_ref``
and ``is_footnote``), which the first pass removes from the text::

    [id]: destination "optional title"       (up to 3 leading spaces)
    [^id]: footnote text                     (continuation lines indented)

A footnote's text may start with a class list ``.a.b:``.
"""

from __future__ import annotations

from fossilpy.markup.chars import ALNUM, SPACE
from fossilpy.markup.md_scan import at, lead_spaces, ref_id


def blank_prefix(s: str, p: int, end: int, half_lines: int) -> int:
    """Length of the blank prefix of s[p:end] within ``half_lines`` (Fossil's
    ``sizeof_blank_prefix``: a run of spaces and tabs is one half line, a
    line end the next)."""
    start = p
    while half_lines > 0:
        while p < end and s[p] in " \t":
            p += 1
        half_lines -= 1
        if p == end or half_lines == 0:
            break
        if s[p] in "\n\r":
            p += 1
            if p == end:
                break
            if s[p] == "\n" and s[p - 1] == "\r":
                p += 1
        half_lines -= 1
    return p - start


def classlist(s: str, p: int, end: int, blank: bool) -> int:
    """Length of a footnote class list ``.a.b-c:`` at s[p] (then a blank if
    ``blank``), or 0 (Fossil's ``is_footnote_classlist``)."""
    if p >= end or s[p] != ".":
        return 0
    for q in range(p + 1, end):
        c = s[q]
        if c in ALNUM or c == "-":
            continue
        if s[q - 1] == ".":
            break
        if c == ":":
            q += 1
            if blank and (q == end or s[q] not in SPACE):
                break
            return q - p
        if c != ".":
            break
    return 0


def is_ref(s: str, beg: int, end: int, refs: list[tuple[bytes, str, str]]) -> int:  # noqa: C901 (Fossil's is_ref, line by line)
    """Parse a link definition line at s[beg]; store it and return its end, or 0."""
    if beg + 3 >= end:
        return 0
    i = lead_spaces(s, beg)
    if i > 3:
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
    tb = te = 0
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
            te = i
    if not line_end:
        return 0
    key = ref_id(s, id_b, id_e)
    if key is None:
        return 0
    refs.append((key.encode("utf-8", "surrogateescape"), s[lb:le] if le > lb else "",
                 s[tb:te] if te > tb else ""))
    return line_end


def is_footnote(s: str, beg: int, end: int) -> tuple[int, str, str, str] | None:
    """A footnote definition at s[beg]: (its end, its id, its text, its
    class list), or None.  Text lines after the first are the following
    lines indented like the second one (2 spaces or more)."""
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
        upc_n = classlist(s, i, end, True)
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
                    upc_b = i + blank_prefix(s, i, end, 1)
                    upc_n = classlist(s, upc_b, end, True)
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
    body = body.rstrip(" \t\n\v\f\r")
    if not body:
        if not upc_n:
            return None
        body = s[upc_b : upc_b + upc_n]
        upc_n = 0
    return i, key, body, s[upc_b : upc_b + upc_n] if upc_n else ""
