"""Unit tests of the Fossil line diff, its formatters and the 3-way merge.

Expected bytes were printed by fossil 2.21 (``test-diff``, ``--raw``,
``-y``, ``--html``) for the same inputs; the differential tests in
``tests/compat/test_textdiff_fossil.py`` and ``test_merge3_fossil.py``
run the binary itself.
"""

from __future__ import annotations

import pytest

from fossilpy.artifact import diffbuild, linechange, merge3, textdiff

U1 = b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
U2 = b"a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"


def test_edit_triples() -> None:
    assert textdiff.edits(U1, U2) == [2, 1, 1, 9, 0, 1, 0, 0, 0]
    assert textdiff.edits(b"", b"") == [0, 0, 0]
    assert textdiff.edits(b"x\n", b"") == [0, 1, 0, 0, 0, 0]


def test_unified_hunks() -> None:
    cfg = textdiff.DiffConfig(context=1, flags=textdiff.DIFF_CONTEXT_EX)
    assert textdiff.text_diff(U1, U2, cfg) == (b"@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n@@ -12,1 +12,2 @@\n l\n+m\n")


def test_empty_side_uses_zero_position() -> None:
    assert textdiff.text_diff(b"", b"x\n", textdiff.DiffConfig()) == b"@@ -0,0 +1,1 @@\n+x\n"


def test_side_by_side_text() -> None:
    cfg = textdiff.DiffConfig(flags=textdiff.DIFF_SIDEBYSIDE | textdiff.DIFF_CONTEXT_EX, context=1, width=10)
    assert diffbuild.filenames_header("u1", "u2", cfg) == (
        b"============== u1 ========= versus ========= u2 =========\n"
    )
    assert textdiff.text_diff(U1, U2, cfg) == (
        b"     2 b                 2 b\n"
        b"     3 c          <\n"
        b"                  >      3 C\n"
        b"     4 d                 4 d\n"
        b"....................................\n"
        b"    12 l                12 l\n"
        b"                  >     13 m\n"
    )


def test_html_marks_changed_bytes() -> None:
    out = textdiff.text_diff(
        b"x = foo(a, b);\n", b"x = foo(a, bar, b);\n", textdiff.DiffConfig(flags=textdiff.DIFF_HTML)
    )
    assert out == (
        b'<table class="diff udiff">\n'
        b'<tr id="chunk1"><td class="diffln difflnl"><pre>\n'
        b"<del>1\n</del>\n"
        b'</pre></td><td class="diffln difflnr"><pre>\n\n<ins>1\n</ins>'
        b'</pre></td><td class="diffsep"><pre>\n-\n+\n'
        b'</pre></td><td class="difftxt difftxtu"><pre>\n'
        b"<del>x = foo(a, b);\n</del><ins>x = foo(a,<ins> bar,</ins> b);\n</ins>"
        b"</pre></td></tr>\n</table>\n"
    )


def test_one_line_change_spans() -> None:
    assert linechange.one_line_change(b"x = foo(a, b);", b"x = foo(a, bar, b);") == [[10, 0, 10, 5, 0]]
    assert linechange.htmlize(b"<a href='x'>&\r") == b"&lt;a href=&#39;x&#39;&gt;&amp; "


def test_ignore_whitespace() -> None:
    with pytest.raises(ValueError, match="whitespace changes only"):
        textdiff.compute(b"a b\n", b"a  b \n", textdiff.DIFF_IGNORE_ALLWS)
    cfg = textdiff.DiffConfig(flags=textdiff.DIFF_IGNORE_ALLWS)
    assert textdiff.text_diff(b"a b\n", b"\tab\n", cfg) == b"whitespace changes only\n"
    assert textdiff.edits(b"a \nb\n", b"a\nc\n", textdiff.DIFF_IGNORE_EOLWS) == [1, 1, 1, 0, 0, 0]


def test_binary_and_long_lines() -> None:
    assert textdiff.text_diff(b"a\0", b"a", textdiff.DiffConfig()) == textdiff.CANNOT_COMPUTE_BINARY.encode()
    with pytest.raises(textdiff.BinaryInput):
        textdiff.compute(b"x" * 32768, b"")
    html = textdiff.text_diff(b"a\0", b"a", textdiff.DiffConfig(flags=textdiff.DIFF_HTML))
    assert html == b'<p class="generalError">cannot compute difference between binary files\n</p>'


def test_tick_can_stop_the_work() -> None:
    calls = []

    def tick() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise TimeoutError("budget spent")

    a = b"".join(b"%d\n" % i for i in range(0, 2000, 2))
    b = b"".join(b"%d\n" % i for i in range(0, 2000, 3))
    with pytest.raises(TimeoutError):
        textdiff.compute(a, b, 0, tick)


def test_merge_clean_and_conflict() -> None:
    pivot = b"a\nb\nc\n"
    assert merge3.merge(pivot, b"A\nb\nc\n", b"a\nb\nC\n") == (b"A\nb\nC\n", 0)
    merged, n = merge3.merge(pivot, b"a\nB\nc\n", b"a\nX\nc\n")
    assert n == 1
    assert merged == (
        b"a\n"
        b"<<<<<<< BEGIN MERGE CONFLICT: local copy shown first <<<<<<<<<<<< (line 2)\nB\n"
        b"||||||| COMMON ANCESTOR content follows ||||||||||||||||||||||||| (line 2)\nb\n"
        b"======= MERGED IN content follows =============================== (line 2)\nX\n"
        b">>>>>>> END MERGE CONFLICT >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>\nc\n"
    )
    assert merge3.conflict_warning(n) == "WARNING: 1 merge conflicts"
    assert merge3.contains_crlf(b"a\r\nb\n") and not merge3.contains_crlf(b"a\nb\n")
