"""Wiki and Markdown rendering: exact output for the common rules, and no XSS."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fossilpy import budget
from fossilpy.markup import sanitize
from fossilpy.markup.links import Facts
from fossilpy.markup.sanitize import output_limit, safe_url
from fossilpy.markup.wikirender import render, render_inline, render_plain
from tests.web.markdown_corpus import MARKDOWN_CASES
from tests.web.wiki_corpus import WIKI_CASES

ROOT = Path(__file__).resolve().parents[2]

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


_URL_ATTR = re.compile(r"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_SAFE_START = ("http:", "https:", "ftp:", "mailto:")


def _unsafe_urls(html: str) -> list[str]:
    """href/src values with a scheme other than the safe ones, or off-site."""
    import html as htmllib

    bad = []
    for m in _URL_ATTR.finditer(_strip_text(html)):
        value = m.group(1) if m.group(1) is not None else m.group(2)
        bare = re.sub(r"[\x00-\x20]", "", htmllib.unescape(value)).lower()
        if (re.match(r"[a-z][a-z0-9+.-]*:", bare) and not bare.startswith(_SAFE_START)) \
                or bare.startswith(("//", "/\\", "\\")):
            bad.append(value)
    return bad


def _assert_safe(html: str) -> None:
    """No dangerous tag or attribute outside text, and no unsafe URL.

    Quoted attribute values are looked at only as URLs: a link to the wiki
    page "javascript:alert(1)" (``/wiki?name=javascript:...``) is harmless.
    """
    tags = re.sub(r'"[^"]*"|\'[^\']*\'', '""', _strip_text(html))
    assert not _DANGER.search(tags), html
    assert not _unsafe_urls(html), html


@pytest.mark.parametrize("mimetype", ["text/x-fossil-wiki", "text/x-markdown", "text/plain"])
@pytest.mark.parametrize("text", XSS)
def test_no_active_content(text: str, mimetype: str) -> None:
    # anything dangerous may only survive as escaped text
    _assert_safe(render(text, mimetype, top="/r"))


def _strip_text(html: str) -> str:
    """Keep only the tags (where an attack would have to live)."""
    return "".join(re.findall(r"<[^>]*>", html))


@pytest.mark.parametrize("text", XSS)
def test_inline_comment_safe(text: str) -> None:
    _assert_safe(render_inline(text, top=""))


class _Repo(Facts):
    """A repository that has artifact abcdef0123..., ticket 0123456789... and page Home."""

    def artifact(self, target: str) -> bool:
        return "abcdef0123456789".startswith(target.lower())

    def ticket(self, target: str) -> bool | None:
        return False if "0123456789abcdef".startswith(target.lower()) else None

    def wiki_page(self, name: str) -> bool:
        return name == "Home"


def test_fossil_wiki_rules() -> None:
    """Fossil's wiki, as fossil 2.21 renders it (more in WIKI_CASES)."""
    assert render("Hello <b>there</b>\n\nSecond para", top="/r") == (
        "<p>Hello <b>there</b>\n\n<p>Second para\n"
    )
    assert render("  *  one\n  *  two") == "<ul><li>one\n</li><li>two</li></ul>\n"
    assert render("  #  one\n  #  two") == "<ol><li>one\n</li><li>two</li></ol>\n"
    assert render("[/timeline|the timeline]", top="/r") == '<p><a href="/r/timeline">the timeline</a>\n'
    assert render("[Some Page]", top="") == '<p><a href="/wiki?name=Some+Page">Some Page</a>\n'
    assert render("[https://fossil-scm.org/|Fossil]") == '<p><a href="https://fossil-scm.org/">Fossil</a>\n'
    assert render("<verbatim>\n<b>x</b> [y]\n</verbatim>") == "<pre class='verbatim'>\n&lt;b>x&lt;/b> [y]\n</pre>\n"
    assert render("<h1>Title</h1>") == "<h1>Title</h1>\n"
    assert render("a &amp; b &lt; c & d") == "<p>a &amp; b &lt; c &amp; d\n"
    assert render("<div>unclosed") == "<div>unclosed</div>\n"
    assert render("stray </div> close") == "<p>stray  close\n"
    # as Fossil: href as written (no top), the event handler gone
    assert render('<a href="/x" title="t&quot;" onclick="y">l</a>', top="/r") == (
        '<p><a href="/x" title="t&quot;">l</a>\n')
    # hash links: what the repository holds decides (a broken link otherwise)
    assert render("[abcdef0123]", top="") == '<p><span class="brokenlink">[abcdef0123]</span>\n'
    assert render("[abcdef0123]", top="/r", facts=_Repo()) == '<p><a href="/r/info/abcdef0123">[abcdef0123]</a>\n'
    assert render("[0123456789]", facts=_Repo()) == '<p><a href="/info/0123456789">[0123456789]</a>\n'
    assert render_inline("see [abcdef0123] and [ffff0000]", facts=_Repo()) == (
        'see <a href="/info/abcdef0123">[abcdef0123]</a> and [ffff0000]')


def test_links_off_without_h_capability() -> None:
    assert render("[/timeline|the timeline]", links=False) == "<p>the timeline\n"
    assert render_inline('<a href="/x">y</a>', links=False) == "y"
    assert "<a" not in render("[abc](/x) <a href='/y'>b</a> <http://z>", "text/x-markdown", links=False)


def test_markdown_rules() -> None:
    """Fossil's Markdown, as fossil 2.21 renders it (more in MARKDOWN_CASES)."""
    # (an unindented paragraph ends the first list: in Fossil a blank line
    # alone would not, "1. x" would be a third item of the same list)
    md = "# Title\n\nSome *em* and **strong** and `co<de>`.\n\n- a\n- b\n\nthen\n\n1. x\n2. y\n\n```\n<raw>\n```\n"
    assert render(md, "text/x-markdown") == (
        "<h1>Title</h1>\n<p>Some <em>em</em> and <strong>strong</strong> and <code>co&lt;de&gt;</code>.</p>\n\n"
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n\n<p>then</p>\n\n<ol>\n<li>x</li>\n<li>y</li>\n</ol>\n"
        "<pre><code>&lt;raw&gt;\n</code></pre>"
    )
    assert render("[ok](/stat)", "text/x-markdown", top="/r") == '<p><a href="/r/stat">ok</a></p>\n'
    assert render("> quoted", "text/x-markdown") == "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
    assert render("a | b\n--|--\n1 | 2", "text/x-markdown") == (
        "<table>\n<thead>\n  <tr>\n    <th>a</th>\n    <th>b</th>\n  </tr>\n</thead>\n<tbody>\n"
        "  <tr>\n    <td>1</td>\n    <td>2</td>\n  </tr>\n</tbody>\n</table>\n"
    )
    assert render("Title\n=====", "text/x-markdown") == "<h1>Title</h1>"
    # raw HTML goes through the sanitizer, as Fossil's safe_html()
    assert render("<b>raw</b>", "text/x-markdown") == "<p><b>raw</b></p>\n"
    assert render("<script>x</script>", "text/x-markdown") == (
        "<span class='error'>&lt;script&gt;</span>x<span class='error'>&lt;/script&gt;</span>\n")


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
    assert '&lt;script>alert("ci")&lt;/script> fix <b>bold</b> <img src="x" /></span>' in tl
    home = call(app, "/home").text
    assert "<script" not in home and 'href="javascript' not in home and "onerror" not in _strip_text(home)
    assert "&lt;script>alert('wiki')&lt;/script>" in home  # as Fossil: "<" escaped, the rest is text
    md = call(app, "/wiki?name=MdPage").text
    assert "<script" not in md and 'href="javascript' not in md
    assert "click me)" in md  # Fossil's parser ends the destination at the first ")"; no link
    assert '<a href="/stat">ok</a>' in md


def test_repository_facts_decide_hash_and_page_links(webrepo) -> None:  # type: ignore[no-untyped-def]
    """Pages resolve links with what the repository holds (web.render.RepoFacts)."""
    from fossilpy.repo.db import Repo
    from fossilpy.web.render import RepoFacts
    from tests.web.conftest import sql

    uuid = sql(webrepo.path, "SELECT uuid FROM blob ORDER BY rid LIMIT 1")[0][0]
    tkt = sql(webrepo.path, "SELECT tkt_uuid FROM ticket LIMIT 1")[0][0]
    with Repo.open(webrepo.path) as repo:
        facts = RepoFacts(repo, private=False)
        html = render(f"[{uuid[:10]}] [{tkt[:10]}] [ffff0000ffff] [Home] [NoSuchPage]", facts=facts)
        md = render(f"[a]({uuid[:10]}) [b](Home) [c](NoSuchPage)", "text/x-markdown", facts=facts)
    assert f'<a href="/info/{uuid[:10]}">[{uuid[:10]}]</a>' in html
    assert f'<a href="/info/{tkt[:10]}">[{tkt[:10]}]</a>' in html  # an open ticket
    assert '<span class="brokenlink">[ffff0000ffff]</span>' in html
    assert '<a href="/wiki?name=Home">Home</a>' in html
    assert md == (f'<p><a href="/info/{uuid[:10]}">[a]</a> <a href="/wiki?name=Home">b</a>'
                  ' <a href="NoSuchPage">c</a></p>\n')


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
    assert render("x ``` a ` b", md) == "<p>x ``<code>a</code> b</p>\n"
    assert render("x `<b>`", md) == "<p>x <code>&lt;b&gt;</code></p>\n"
    # a code span inside a link label (used to raise IndexError -> 500)
    assert render("[`x`](/a)", md, top="/r") == '<p><a href="/r/a"><code>x</code></a></p>\n'
    assert render("# C#", md) == "<h1>C</h1>"  # Fossil drops every trailing "#"
    assert render("# foo ##", md) == "<h1>foo</h1>"


@pytest.mark.parametrize("mimetype", ["text/x-markdown", "text/x-fossil-wiki", "text/plain"])
def test_nul_and_controls_are_replaced(mimetype: str) -> None:
    html = render("a\x000\x00b\x01c\td", mimetype)
    assert "\x00" not in html and "\x01" not in html
    assert "a\ufffd0\ufffdb\ufffdc\td" in html
    assert render_inline("x\x000\x00y") == "x\ufffd0\ufffdy"


@pytest.mark.parametrize("url", ["/\\evil.example", "\\\\evil.example", "/a\\b", "https:\\\\evil.example"])
def test_backslash_urls_are_rejected(url: str) -> None:
    assert safe_url(url, "/top") is None
    # Fossil's Markdown drops backslashes from a link destination
    assert "\\" not in render(f"[x]({url})", "text/x-markdown")
    assert 'href="/top/\\' not in render(f"[{url}|x]", top="/top")
    assert 'href="\\' not in render(f"[{url}|x]", top="/top")
    assert render(f'<a href="{url}">x</a>') == "<p><a>x</a>\n"


# -- issue 9, finding 1: Markdown lists ---------------------------------------


def _limit_memory() -> None:  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _run_isolated(code: str, data: object, timeout: float = 15) -> object:
    """Run ``code`` in a child process (1 GiB, ``timeout`` s); it reads JSON
    ``data`` from stdin and prints JSON.  A renderer that spins fails the
    test instead of hanging the run or eating the machine's memory."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], input=json.dumps(data), capture_output=True, text=True,
            timeout=timeout, cwd=ROOT, preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"rendering did not finish within {timeout} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


_RENDER_MD = (
    "import json, sys\n"
    "from fossilpy.markup.wikirender import render_markdown\n"
    "print(json.dumps(render_markdown(json.load(sys.stdin))))\n"
)

#: Markdown lists and the HTML of fossil 2.21 for them (``fossil
#: test-markdown-render``, without its <div> and blank lines;
#: test_markdown_lists_match_fossil checks these against the binary).
LIST_CASES: dict[str, tuple[str, str]] = {
    "finding 1 README: items indented one space": (
        "Features:\n\n - fast\n - small\n",
        "<p>Features:</p>\n<ul>\n<li>fast</li>\n<li>small</li>\n</ul>\n"),
    "items indented three spaces": (
        "   * three\n   * spaces\n", "<ul>\n<li>three</li>\n<li>spaces</li>\n</ul>\n"),
    "indented ordered items": ("  1. one\n  2. two\n", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"),
    "mixed indents: deeper item opens a sublist": (
        " - a\n   - b\n - c\n", "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul></li>\n<li>c</li>\n</ul>\n"),
    "mixed indents: 1-3 spaces are one sublist": (
        "- a\n * b\n  * c\n   * d\n",
        "<ul>\n<li>a\n<ul>\n<li>b</li>\n<li>c</li>\n<li>d</li>\n</ul></li>\n</ul>\n"),
    "mixed indents: shallower next item is nested": (
        "  - x\n- y\n", "<ul>\n<li>x\n<ul>\n<li>y</li>\n</ul></li>\n</ul>\n"),
    "nested three levels": (
        "* a\n    * b\n        * c\n* d\n",
        "<ul>\n<li>a\n<ul>\n<li>b\n<ul>\n<li>c</li>\n</ul></li>\n</ul></li>\n<li>d</li>\n</ul>\n"),
    "nested, back to the middle level": (
        "- a\n    - b\n  - c\n- d\n",
        "<ul>\n<li>a\n<ul>\n<li>b</li>\n<li>c</li>\n</ul></li>\n<li>d</li>\n</ul>\n"),
    "ordered with both delimiters": (
        "1. a\n1. b\n   continued\n2) c\n",
        "<ol>\n<li>a</li>\n<li>b\ncontinued</li>\n<li>c</li>\n</ol>\n"),
    "ordered, two digits": ("10. ten\n11. eleven\n", "<ol>\n<li>ten</li>\n<li>eleven</li>\n</ol>\n"),
    "markers of both kinds share the first one's list": (
        "1. a\n- b\n", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n"),
    "lazy continuation lines": (
        "* one\n  two\nthree\n* four\n", "<ul>\n<li>one\ntwo\nthree</li>\n<li>four</li>\n</ul>\n"),
    "a quote line is lazy text": ("- a\n> q\n", "<ul>\n<li>a\n&gt; q</li>\n</ul>\n"),
    "a heading line is lazy text": ("- a\n# h\n", "<ul>\n<li>a\n# h</li>\n</ul>\n"),
    "a rule line is lazy text": ("- a\n- - -\n- b\n", "<ul>\n<li>a\n- - -</li>\n<li>b</li>\n</ul>\n"),
    "blank line between items": ("- a\n\n- b\n", "<ul>\n<li><p>a</p></li>\n<li><p>b</p></li>\n</ul>\n"),
    "two blank lines between items": (
        "- a\n\n\n- b\n", "<ul>\n<li><p>a</p></li>\n<li><p>b</p></li>\n</ul>\n"),
    "blank line makes the later items paragraphs": (
        "- a\n- b\n\n1. x\n2. y\n",
        "<ul>\n<li>a</li>\n<li><p>b</p></li>\n<li><p>x</p></li>\n<li><p>y</p></li>\n</ul>\n"),
    "blank line, then an indented paragraph": (
        "- a\n\n    b\n\nafter\n", "<ul>\n<li><p>a</p>\n<p>b</p></li>\n</ul>\n<p>after</p>\n"),
    "blank line, then a tab-indented paragraph": (
        "- a\n\n\tb\n- c\n", "<ul>\n<li><p>a</p>\n<p>b</p></li>\n<li><p>c</p></li>\n</ul>\n"),
    "blank line inside a sublist": (
        "- a\n  - b\n\n    - c\n- d\n",
        "<ul>\n<li><p>a</p>\n<ul>\n<li>b</li>\n<li>c</li>\n</ul></li>\n<li><p>d</p></li>\n</ul>\n"),
    "blank line, then unindented text ends the list": (
        "- a\n- b\n\nthen\n\n1. x\n2. y\n",
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<p>then</p>\n<ol>\n<li>x</li>\n<li>y</li>\n</ol>\n"),
    "empty item": ("- \n- b\n", "<ul>\n<li></li>\n<li>b</li>\n</ul>\n"),
    "inline markup in items": (
        "- [x](/y) *em*\n- `co|de`\n",
        '<ul>\n<li><a href="/y">x</a> <em>em</em></li>\n<li><code>co|de</code></li>\n</ul>\n'),
}


def test_indented_list_items_render_and_terminate() -> None:
    """Finding 1: " - fast" (1-3 spaces before the marker) looped forever, appending "<ul></ul>"."""
    text, html = LIST_CASES["finding 1 README: items indented one space"]
    assert _without_blank_lines(_run_isolated(_RENDER_MD, text)) == html
    big = "Intro\n\n" + "".join(f"{' ' * (k % 4)}- item {k}\n" for k in range(2000))
    code = _RENDER_MD.replace("print(json.dumps(", "print(json.dumps(len(").replace(")))\n", "))))\n")
    assert 0 < _run_isolated(code, big) <= output_limit(big)  # type: ignore[operator]


def _without_blank_lines(html: str) -> str:
    return "".join(line + "\n" for line in html.split("\n") if line.strip())


@pytest.mark.parametrize("name", sorted(LIST_CASES))
def test_markdown_list_shapes(name: str) -> None:
    text, html = LIST_CASES[name]
    assert _without_blank_lines(_run_isolated(_RENDER_MD, text)) == html


@pytest.mark.compat
@pytest.mark.parametrize("name", sorted(LIST_CASES))
def test_markdown_lists_match_fossil(name: str, tmp_path: Path) -> None:
    """The expected HTML above is what fossil 2.21 renders (wrapper and blank lines aside)."""
    from tests.conftest import require_binary

    text, html = LIST_CASES[name]
    src = tmp_path / "t.md"
    src.write_text(text)
    out = subprocess.run([require_binary("fossil"), "test-markdown-render", str(src)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    out = out.removeprefix('<div class="markdown">\n').removesuffix("</div>\n")
    assert _without_blank_lines(out) == html


# -- one Markdown implementation, Fossil's: the differential corpus -------------


def _fossil_markdown(text: str, tmp_path: Path) -> str:
    """What ``fossil test-markdown-render --safe`` writes for ``text``, without
    its ``<div class="markdown">`` and the blank lines at either end (a
    Pikchr nonce reads NONCE)."""
    from tests.conftest import require_binary

    src = tmp_path / "t.md"
    src.write_text(text)
    out = subprocess.run([require_binary("fossil"), "test-markdown-render", "--safe", str(src)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.startswith('<div class="markdown">\n') and out.endswith("</div>\n"), out
    out = re.sub(r"<!--[0-9A-F]{64}-->", "<!--NONCE-->", out)  # around a Pikchr diagram
    return out.removeprefix('<div class="markdown">\n').removesuffix("</div>\n").strip("\n")


def _nonce(html: str) -> str:
    """``html`` with the per-process nonce around Pikchr diagrams read as NONCE."""
    return re.sub(r"<!--[0-9A-F]{64}-->", "<!--NONCE-->", html)


@pytest.mark.parametrize("name", sorted(MARKDOWN_CASES))
def test_markdown_renders_every_construct(name: str) -> None:
    text, html, _ = MARKDOWN_CASES[name]
    assert _nonce(render(text, "text/x-markdown")) == html


@pytest.mark.compat
@pytest.mark.parametrize("name", sorted(MARKDOWN_CASES))
def test_markdown_matches_fossil(name: str, tmp_path: Path) -> None:
    """Our HTML is fossil's, but for the documented sanitizer differences
    (each listed in the corpus with fossil's HTML and the reason)."""
    text, html, differs = MARKDOWN_CASES[name]
    theirs = _fossil_markdown(text, tmp_path)
    if differs is None:
        assert theirs == html.strip("\n")
    else:
        assert theirs == differs[0] and theirs != html.strip("\n"), differs[1]


# -- one Fossil-wiki implementation, Fossil's: the differential corpus ----------


def _fossil_wiki(text: str, tmp_path: Path, *flags: str) -> str:
    """What ``fossil test-wiki-render FLAGS`` writes for ``text`` (no repository)."""
    from tests.conftest import require_binary

    src = tmp_path / "t.wiki"
    src.write_text(text)
    out = subprocess.run([require_binary("fossil"), "test-wiki-render", *flags, str(src)],
                         capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path).stdout
    return re.sub(r"<!--[0-9A-F]{64}-->", "<!--NONCE-->", out)


@pytest.mark.parametrize("name", sorted(WIKI_CASES))
def test_wiki_renders_every_construct(name: str) -> None:
    text, html, inline, _ = WIKI_CASES[name]
    assert _nonce(render(text)) == html
    assert _nonce(render_inline(text)) == inline


@pytest.mark.compat
@pytest.mark.parametrize("name", sorted(WIKI_CASES))
def test_wiki_matches_fossil(name: str, tmp_path: Path) -> None:
    """Our HTML is fossil's, pages and comments alike, but for the documented
    sanitizer differences (each listed with fossil's HTML and the reason)."""
    text, html, inline, differs = WIKI_CASES[name]
    theirs = _fossil_wiki(text, tmp_path)
    if differs is None:
        assert theirs == html
        assert _fossil_wiki(text, tmp_path, "--inline", "--nobadlinks") == inline + "\n"
    else:
        assert theirs == differs[0] and theirs != html, differs[1]


def test_wiki_links_and_rendering_share_the_tokenizer() -> None:
    """The backlink scan reads the text with the renderer's tokenizer: the
    links it finds are the links the page shows."""
    from fossilpy.markup.wiki_parse import wiki_link_targets

    text = "[/a] <nowiki>[/b]</nowiki> <verbatim>[/c]</verbatim> <b title='[/d]'>x</b> [/e|label] a[/f]\n"
    assert wiki_link_targets(text) == ["/a", "/e", "/f"]
    assert re.findall(r'<a href="(/[a-z])">', render(text)) == ["/a", "/e", "/f"]


def test_markdown_block_loop_always_advances() -> None:
    """A block parser that consumed nothing would spin the loop: the loop
    takes the line as paragraph text instead."""
    code = (
        "import json, sys\n"
        "from fossilpy.markup import md_blocks, md_html\n"
        "md_blocks.Parser.atxheader = lambda self, ob, s, beg, end: 0\n"
        "print(json.dumps(md_html.render_markdown(json.load(sys.stdin))))\n"
    )
    assert _run_isolated(code, "a\n\n# d\n\nb") == "<p>a</p>\n\n<p># d</p>\n\n<p>b</p>\n"


def test_markdown_links_and_rendering_share_the_parser() -> None:
    """The link finder (backlinks) is a renderer of the same parser: every
    link the HTML shows is a link it finds, and nothing else."""
    from fossilpy.markup.md_render import markdown_link_targets

    text = "[a](/x) ![i](/img) `[c](/code)` <https://auto> [r] and[^1]\n\n[r]: /ref\n[^1]: n [d](/note)\n"
    assert markdown_link_targets(text) == ["/x", "/ref", "/note"]
    html = render(text, "text/x-markdown")
    assert re.findall(r'<a href="(/[a-z]+)"', html) == ["/x", "/ref", "/note"]


_DOC = "# T\n\n- a\n- b\n\n> q\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n[[link]] <b>x</b> `c`\n" * 20


@pytest.mark.parametrize("kind", ["text/x-markdown", "text/x-fossil-wiki", "text/plain", "inline"])
def test_renderers_stop_when_the_budget_is_spent(kind: str) -> None:
    with budget.limit(60) as b:
        b.expire("test: out of time")
        with pytest.raises(budget.BudgetExceeded):
            render_inline(_DOC) if kind == "inline" else render(_DOC, kind)


@pytest.mark.parametrize("kind", ["text/x-markdown", "text/x-fossil-wiki", "text/plain", "inline"])
def test_renderers_charge_their_output(kind: str) -> None:
    with budget.limit(60) as b:
        html = render_inline(_DOC) if kind == "inline" else render(_DOC, kind)
    assert len(html) <= b.used <= 2 * len(html)
    with budget.limit(60, memory=len(html) // 2), pytest.raises(budget.BudgetExceeded):
        render_inline(_DOC) if kind == "inline" else render(_DOC, kind)


_TOP = "/cgi-bin/fossil/some-repository"

#: The most markup per input character each construct makes (all must
#: render as markup, not fall back to escaped text).
HEAVY = {
    "nested quotes": ("text/x-markdown", (">" * 17 + "\n\n") * 100),
    "empty headings": ("text/x-markdown", "#\n" * 2000),
    "empty loose items": ("text/x-markdown", "- \n\n" * 1000),
    "nested lists": ("text/x-markdown", "".join(" " * k + "- x\n" for k in range(40)) * 20),
    "wide table": ("text/x-markdown", "|" * 150 + "\n|-|\n" + ("|" * 150 + "\n") * 30),
    "markdown links": ("text/x-markdown", "[x](/)" * 500 + "\n" + '![""](/&)' * 300),
    "inline footnotes": ("text/x-markdown", "(^x)" * 2500),
    "footnote back-references": ("text/x-markdown", "[^1]" * 2500 + "\n\n[^1]: n\n"),
    "code spans": ("text/x-markdown", "` `" * 1000),
    "pikchr fences": ("text/x-markdown", "```pikchr center toggle source-inline source\n'\n```\n" * 300),
    "pikchr verbatim": ("text/x-fossil-wiki", "<verbatim type=pikchr>\"</verbatim>" * 500),
    "wiki links": ("text/x-fossil-wiki", "[/]" * 500 + "[\U0001f600]" * 500 + "[&&]" * 300),
    "wiki tags": ("text/x-fossil-wiki", "<a href=/>" * 300 + "<b>" * 300 + "<div title='\"\"\"'>" * 100),
    "wiki paragraphs": ("text/x-fossil-wiki", "a\n\n" * 2000 + "  *  x\n\n" * 500),
    "inline": ("inline", "[/]" * 500 + "[\U0001f600]" * 500 + "<b>" * 300),
}


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_heavy_markup_stays_within_the_output_bound(name: str) -> None:
    kind, text = HEAVY[name]
    html = render_inline(text, top=_TOP) if kind == "inline" else render(text, kind, top=_TOP)
    assert len(html) <= output_limit(text, _TOP), (len(html), len(text))
    assert not html.startswith('<pre class="textplain">')  # real markup, not the fallback


@pytest.mark.parametrize("kind, text", [
    ("text/x-markdown", "#\n" * 100),
    ("text/x-fossil-wiki", "[a]\n" * 100),
    ("inline", "[a]" * 100),
])
def test_output_bound_is_enforced(kind: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past output_limit the text is shown escaped (here with the limit lowered to 2x)."""
    monkeypatch.setattr(sanitize, "EXPANSION", 2)
    monkeypatch.setattr(sanitize, "SLACK", 0)
    if kind == "inline":
        assert render_inline(text) == text
    else:
        assert render(text, kind) == render_plain(text)
    assert len(render_plain(text)) <= output_limit(text)
