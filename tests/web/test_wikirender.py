"""Wiki and Markdown rendering: exact output for the common rules, and no XSS."""

from __future__ import annotations

import re

import pytest

from fossilpy.web.wikirender import render, render_inline, safe_url

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"  JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<div style=\"background:url(javascript:alert(1))\" onclick=alert(1)>x</div>",
    "<iframe src=//evil></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<b onmouseover=alert(1)>x</b>",
    "[javascript:alert(1)]",
    "[x|javascript:alert(1)]",
    "[javascript:alert(1)|label]",
    "<a href=\"x\" onclick=\"alert(1)\">x</a>",
    "</div></main><script>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x\nonerror=alert(1)>",
    "<a href=//evil.example/>x</a>",
    "<verbatim></pre><script>alert(1)</script></verbatim>",
    "<nowiki><script>alert(1)</script></nowiki>",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "`<script>` **<script>alert(1)</script>**",
]

_DANGER = re.compile(r"<script|<iframe|<svg|<style|\son\w+\s*=|javascript:|vbscript:|data:text", re.I)


@pytest.mark.parametrize("mimetype", ["text/x-fossil-wiki", "text/x-markdown", "text/plain"])
@pytest.mark.parametrize("text", XSS)
def test_no_active_content(text: str, mimetype: str) -> None:
    html = render(text, mimetype, top="/r")
    # anything dangerous may only survive as escaped text
    assert not _DANGER.search(re.sub(r"&lt;.*?&gt;|&lt;[^&]*", "", _strip_text(html))), html


def _strip_text(html: str) -> str:
    """Keep only the tags (where an attack would have to live)."""
    return "".join(re.findall(r"<[^>]*>", html))


@pytest.mark.parametrize("text", XSS)
def test_inline_comment_safe(text: str) -> None:
    html = render_inline(text, top="")
    assert not _DANGER.search(_strip_text(html)), html


def test_fossil_wiki_rules() -> None:
    assert render("Hello <b>there</b>\n\nSecond para", top="/r") == (
        "<p>Hello <b>there</b></p>\n<p>Second para</p>\n"
    )
    assert render("  *  one\n  *  two") == "<ul><li>one</li><li>two</li></ul>\n"
    assert render("  #  one\n  #  two") == "<ol><li>one</li><li>two</li></ol>\n"
    assert render("[/timeline|the timeline]", top="/r") == '<p><a href="/r/timeline">the timeline</a></p>\n'
    assert render("[abcdef0123]", top="") == '<p><a href="/info/abcdef0123">abcdef0123</a></p>\n'
    assert render("[Some Page]", top="") == '<p><a href="/wiki?name=Some%20Page">Some Page</a></p>\n'
    assert render("[https://fossil-scm.org/|Fossil]") == '<p><a href="https://fossil-scm.org/">Fossil</a></p>\n'
    assert render("<verbatim>\n<b>x</b> [y]\n</verbatim>") == "<pre>&lt;b&gt;x&lt;/b&gt; [y]</pre>\n"
    assert render("<h1>Title</h1>") == "<h1>Title</h1>\n"
    assert render("a &amp; b &lt; c & d") == "<p>a &amp; b &lt; c &amp; d</p>\n"
    assert render("<div>unclosed") == "<div>unclosed\n</div>"
    assert render("stray </div> close") == "<p>stray  close</p>\n"
    assert render('<a href="/x" title="t&quot;" onclick="y">l</a>', top="/r") == '<p><a href="/r/x" title="t&quot;">l</a></p>\n'


def test_links_off_without_h_capability() -> None:
    assert render("[/timeline|the timeline]", links=False) == "<p>the timeline</p>\n"
    assert render_inline('<a href="/x">y</a>', links=False) == "y"


def test_markdown_rules() -> None:
    md = "# Title\n\nSome *em* and **strong** and `co<de>`.\n\n- a\n- b\n\n1. x\n2. y\n\n```\n<raw>\n```\n"
    assert render(md, "text/x-markdown") == (
        "<h1>Title</h1>\n<p>Some <em>em</em> and <strong>strong</strong> and <code>co&lt;de&gt;</code>.</p>\n"
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol>\n<li>x</li>\n<li>y</li>\n</ol>\n"
        "<pre><code>&lt;raw&gt;</code></pre>\n"
    )
    assert render("[ok](/stat)", "text/x-markdown", top="/r") == '<p><a href="/r/stat">ok</a></p>\n'
    assert render("> quoted", "text/x-markdown") == "<blockquote><p>quoted</p>\n</blockquote>\n"
    assert render("a | b\n--|--\n1 | 2", "text/x-markdown") == (
        '<table class="md-table">\n<thead><tr><th>a</th><th>b</th></tr></thead>\n<tbody>\n'
        "<tr><td>1</td><td>2</td></tr>\n</tbody></table>\n"
    )
    assert render("Title\n=====", "text/x-markdown") == "<h1>Title</h1>\n"
    assert render("<b>raw</b>", "text/x-markdown") == "<p>&lt;b&gt;raw&lt;/b&gt;</p>\n"


def test_safe_url() -> None:
    assert safe_url("/x", "/top") == "/top/x"
    assert safe_url("https://a.b/c", "") == "https://a.b/c"
    assert safe_url("page?x=1", "") == "page?x=1"
    for bad in ("javascript:x", " javascript:x", "java\tscript:x", "data:x", "//evil", "vbscript:x", "file:///etc"):
        assert safe_url(bad, "") is None, bad


def test_pathological_input_is_fast() -> None:
    import time

    t = time.monotonic()
    for text in ("*" * 5000, "[" * 5000, "<" * 5000 + "a" * 5000, "`" * 3000, "_a" * 3000, "<a " + "x=" * 4000):
        render(text, "text/x-markdown")
        render(text)
        render_inline(text)
    assert time.monotonic() - t < 2.0


def test_pages_escape_repository_text(app) -> None:
    from tests.web.wsgi import call

    tl = call(app, "/timeline").text
    assert '&lt;script&gt;alert("ci")&lt;/script&gt; fix <b>bold</b> <img src="x"></span>' in tl
    home = call(app, "/home").text
    assert "<script" not in home and 'href="javascript' not in home and "onerror" not in _strip_text(home)
    assert "&lt;script&gt;alert(&#x27;wiki&#x27;)&lt;/script&gt;" in home or "&lt;script&gt;alert('wiki')&lt;/script&gt;" in home
    md = call(app, "/wiki?name=MdPage").text
    assert "<script" not in md and 'href="javascript' not in md
    assert "[click me](javascript:alert(1))" in md  # shown as text, not a link
    assert '<a href="/stat">ok</a>' in md


# -- security review: ReDoS budget, NUL bytes, backslash URLs ---------------

_N = 100_000

#: 100 KB of each input that made an earlier regular expression super-linear
#: (or looks like it could), for both wiki languages.
PATHOLOGICAL = {
    "backtick run then text": "x " + "`" * _N + "a",
    "growing backtick runs": "x " + " ".join("`" * i for i in range(1, 440)),
    "backtick pairs": "``a`" * (_N // 4),
    "link openers": "[a](" * (_N // 4),
    "image openers": "![a](" * (_N // 5),
    "brackets": "[" * _N,
    "long link text": "[" + "a" * _N + "](/x)",
    "long unclosed link text": "[" + "a" * _N + "](",
    "nested emphasis": ("*" * 50 + "a") * (_N // 51),
    "strong openers": "__a " * (_N // 4),
    "emphasis openers": "*a " * (_N // 3),
    "lt run": "<" * _N,
    "tag openers": "<a " * (_N // 3),
    "quoted attribute openers": '<a "' * (_N // 4),
    "pre openers": "<pre " * (_N // 5),
    "heading with spaces": "# a" + " " * _N + "b",
    "table row": "|" * _N + "\n|---|\n",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_100kb_renders_within_budget(name: str) -> None:
    import time

    text = PATHOLOGICAL[name]
    for mimetype in ("text/x-markdown", "text/x-fossil-wiki"):
        t = time.perf_counter()
        render(text, mimetype)
        elapsed = time.perf_counter() - t
        assert elapsed < 1.0, (name, mimetype, elapsed)
    t = time.perf_counter()
    render_inline(text)
    assert time.perf_counter() - t < 1.0, name


def test_code_spans_scan() -> None:
    md = "text/x-markdown"
    assert render("x ``a` b`` `c`", md) == "<p>x <code>a` b</code> <code>c</code></p>\n"
    assert render("x ``` a ` b", md) == "<p>x ``` a ` b</p>\n"
    assert render("x `<b>`", md) == "<p>x <code>&lt;b&gt;</code></p>\n"
    # a code span inside a link label (used to raise IndexError -> 500)
    assert render("[`x`](/a)", md, top="/r") == '<p><a href="/r/a"><code>x</code></a></p>\n'
    assert render("# C#", md) == "<h1>C#</h1>\n"
    assert render("# foo ##", md) == "<h1>foo</h1>\n"


@pytest.mark.parametrize("mimetype", ["text/x-markdown", "text/x-fossil-wiki", "text/plain"])
def test_nul_and_controls_are_replaced(mimetype: str) -> None:
    html = render("a\x000\x00b\x01c\td", mimetype)
    assert "\x00" not in html and "\x01" not in html
    assert "a\ufffd0\ufffdb\ufffdc\td" in html
    assert render_inline("x\x000\x00y") == "x\ufffd0\ufffdy"


@pytest.mark.parametrize("url", ["/\\evil.example", "\\\\evil.example", "/a\\b", "https:\\\\evil.example"])
def test_backslash_urls_are_rejected(url: str) -> None:
    assert safe_url(url, "/top") is None
    assert render(f"[x]({url})", "text/x-markdown") == "<p>x</p>\n"
    assert 'href="/top/\\' not in render(f"[{url}|x]", top="/top")
    assert 'href="\\' not in render(f"[{url}|x]", top="/top")
    assert render(f'<a href="{url}">x</a>') == "<p><a>x</a></p>\n"
