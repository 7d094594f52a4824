"""Fuzzing the wiki renderers (``fossilpy.markup.wikirender``, ``mdrender``).

Every case, for ``render_markdown``, ``render_fossil_wiki``,
``render_inline`` and ``render(..., "text/plain")``, must

* finish within :data:`CASE_SECONDS` (inputs up to about 20 KB; a
  ``SIGALRM`` watchdog, the whole run in a child process with a memory
  ceiling and a hard time limit, see :mod:`tests.fuzz.harness`);
* produce at most ``output_limit(text, top)`` characters;
* be safe: every "<" opens a tag the renderer may emit, no attribute
  outside that tag's allow-list (so no ``on*=``), no ``javascript:``-like
  or protocol-relative URL, no C0 control characters, and none of the
  patterns ``tests/web/test_wikirender.py`` looks for in tags.

Inputs: random text over an alphabet rich in markup characters, and
documents built from grammar fragments (list markers with 0-5 spaces,
``>`` quotes, fences, tables, headings, emphasis and backtick runs, links,
HTML tags, entities, deep nesting, long lines, CR/LF mixes, NULs and
controls), some repeated up to 20 KB to expose super-linear work.
:data:`CORPUS` holds inputs that once hung or were slow; it runs every time.

In CI each target runs :data:`CI_EXAMPLES` derandomized examples (the
whole file takes well under a minute).  To fuzz longer, by hand::

    FOSSILPY_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/fuzz/test_render_fuzz.py
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fossilpy.markup import wikirender
from fossilpy.markup.pikchr import NONCE
from fossilpy.markup.sanitize import ALLOWED_TAGS, output_limit
from tests.fuzz.harness import fuzz_settings, run_in_child, watchdog
from tests.web.test_wikirender import _DANGER, _strip_text

#: Time bound of one case.
CASE_SECONDS = 2.0
#: Inputs are cut to this many characters.
MAX_INPUT = 20_000
#: Examples per target in CI.
CI_EXAMPLES = 200

KINDS = ("text/x-markdown", "text/x-fossil-wiki", "inline", "text/plain")
TOPS = ("", "/r", "/cgi-bin/fossil/a&b\"c")


# -- what every output must satisfy -------------------------------------------

_TAG_NAMES = "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True))
#: A "<" that does not open or close an allowed tag.
_STRAY_LT = re.compile(rf"<(?!/?(?:{_TAG_NAMES})[\s>])", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")


class _Audit(HTMLParser):
    """Collects what is wrong with the tags of rendered HTML."""

    def __init__(self, allowed: frozenset[str] | set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.allowed:
            self.problems.append(f"tag <{tag}>")
            return
        for key, value in attrs:
            if key not in ALLOWED_TAGS[tag]:
                self.problems.append(f"attribute {key} on <{tag}>")
            if key in ("href", "src") and value is not None:
                bare = re.sub(r"[\x00-\x20]", "", value).lower()
                if _SCHEME.match(bare):
                    if not bare.startswith(("http:", "https:", "ftp:", "mailto:")):
                        self.problems.append(f"unsafe URL {value!r}")
                elif bare.startswith(("//", "/\\", "\\")):
                    self.problems.append(f"off-site URL {value!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")


#: What a Pikchr block may contain: Fossil's wrapper and the SVG Pikchr draws.
_PIKCHR_TAGS = {
    "div": {"class", "style"}, "pre": {"class"}, "br": set(),
    "svg": {"xmlns", "class", "viewbox", "width", "height"},
    "path": {"d", "style"}, "polygon": {"points", "style"},
    "circle": {"cx", "cy", "r", "style"}, "ellipse": {"cx", "cy", "rx", "ry", "style"},
    "text": {"x", "y", "text-anchor", "font-style", "font-weight", "fill", "font-size",
             "transform", "dominant-baseline"},
}
_PIKCHR_BLOCK = re.compile(re.escape(NONCE) + r"\n(.*?)" + re.escape(NONCE) + r"\n", re.S)
_PIKCHR_STRAY_LT = re.compile(rf"<(?!/?(?:{'|'.join(_PIKCHR_TAGS)})[\s>/])")
_PIKCHR_VALUE = re.compile(r"[-a-zA-Z0-9 .,:;()%#/'=]*")


class _PikchrAudit(HTMLParser):
    """Collects what is wrong with a Pikchr block's tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _PIKCHR_TAGS.get(tag)
        if allowed is None:
            self.problems.append(f"tag <{tag}>")
            return
        for key, value in attrs:
            if key not in allowed or not _PIKCHR_VALUE.fullmatch(value or ""):
                self.problems.append(f"attribute {key}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")


def check_pikchr(block: str) -> None:
    """A Pikchr block holds only the wrapper, SVG shapes and escaped text."""
    stray = _PIKCHR_STRAY_LT.search(block)
    assert stray is None, f"unescaped '<' in a diagram: {block[stray.start():stray.start() + 40]!r}"
    audit = _PikchrAudit()
    audit.feed(block)
    audit.close()
    assert not audit.problems, audit.problems[:10]


def check(kind: str, text: str, top: str, html: str) -> None:
    """Assert that ``html``, rendered from ``text``, is bounded and safe."""
    assert len(html) <= output_limit(text, top), (len(html), len(text), output_limit(text, top))
    for block in _PIKCHR_BLOCK.findall(html):
        check_pikchr(block)
    html = _PIKCHR_BLOCK.sub("", html)
    assert not _CONTROL.search(html), "control character in the output"
    stray = _STRAY_LT.search(html)
    assert stray is None, f"unescaped '<' at {stray.start()}: {html[stray.start():stray.start() + 40]!r}"
    tags = _strip_text(html)
    assert not _DANGER.search(re.sub(r'"[^"]*"', '""', tags)), tags[:500]
    audit = _Audit(set(ALLOWED_TAGS))  # (comments are Fossil wiki as Fossil's timeline shows them)
    audit.feed(html)
    audit.close()
    assert not audit.problems, audit.problems[:10]
    if kind == "text/plain":
        assert html == wikirender.render_plain(text)


def _renderer(kind: str) -> Callable[[str, str, bool], str]:
    if kind == "inline":
        return lambda text, top, links: wikirender.render_inline(text, top=top, links=links)
    return lambda text, top, links: wikirender.render(text, kind, top=top, links=links)


def render_checked(kind: str, text: str, top: str = "/r", links: bool = True) -> str:
    """Render under the watchdog and :func:`check` the result."""
    with watchdog(CASE_SECONDS):
        html = _renderer(kind)(text, top, links)
    check(kind, text, top, html)
    return html


# -- inputs ---------------------------------------------------------------------

#: Characters markup is made of, plus a few troublesome others.
MARKUP_CHARS = (
    "-*+#>|`~_=[](){}!<>&;:/\\\"' \t\n\r.0123456789xaZ"
    "\x00\x01\x0b\x0c\x1f\x7f\x85\xa0\u2028\u2029\ufeff\ufffd\U0001f600\udcff\ud800"
)
_random_char = st.one_of(st.sampled_from(MARKUP_CHARS), st.characters())
random_text = st.text(_random_char, max_size=3000)

_WORDS = st.sampled_from([
    "fast", "small", "x", "Ünï", "\U0001f600", "a_b", "**", "__", "*", "_", "`", "``", "```",
    "[", "]", "(", ")", "![", "](", "<", ">", "&", "&amp;", "&#0;", "&#x110000;", "&#99999999;",
    "&bogus;", "&lt;script&gt;", "|", "\\", "  ", "\t", "#", "http://e.x/", "javascript:alert(1)",
    "JaVa\tScRiPt:x", "/path", "//evil", "/\\evil", "#anchor", "abcdef0123", '"', "'", "=",
    "\x00", "\x01", "\x0b", "\x7f", "\u2028", "\ufeff", "\udcff", "\r", " onload=x", "data:text/html,x",
])
_TAGS = st.sampled_from([
    "<b>", "</b>", "<i>", "</i>", "<a href=/x>", "<a href='javascript:alert(1)'>", "</a>",
    "<a href=\"jav&#x09;ascript:x\">", "<a href=//evil>", "<script>", "</script>",
    "<img src=x onerror=alert(1)>", "<img src=/a.png alt=\"q\">", "<verbatim>", "</verbatim>",
    "<pre>", "</pre>", "<nowiki>", "</nowiki>", "<div title=\"a onclick=x\">", "</div>",
    "<table>", "<tr>", "<td colspan=2>", "</table>", "<ul>", "<li>", "</ul>", "<a", "<b ",
    "<style>", "<!--", "-->", "<h1 id=x>", "<font color=red>", "<svg onload=x>", "<iframe src=x>",
    "<a title='<b>'>", "<p class=\"c\" style=\"x\">", "<br/>", "<hr>", "</p>", "<!DOCTYPE html>",
    "<verbatim type=\"pikchr center toggle\">", "<verbatim type=pikchr id=p>", "</verbatim id=p>",
])
_LINKS = st.one_of(
    st.builds("[{}]({})".format, st.text(max_size=6), _WORDS),
    st.builds("![{}]({})".format, st.text(max_size=6), _WORDS),
    st.builds("[{}|{}]".format, _WORDS, st.text(max_size=6)),
    st.builds("[{}]".format, _WORDS),
    st.builds("<{}>".format, _WORDS),
    st.builds("<http://{}>".format, st.text(max_size=8)),
    st.builds("[^{}]".format, _WORDS),
    st.builds("(^{})".format, st.text(max_size=6)),
    st.builds("[{}][^{}]".format, st.text(max_size=6), _WORDS),
)
_RUNS = st.builds(lambda c, n: c * n, st.sampled_from(list("*_`[]<>|-#=! \\(&")), st.integers(1, 60))
_LONG = st.builds(lambda c, n: c * n, st.sampled_from(["a", "*", "`", "[", "<", " ", "-", "|", "a "]),
                  st.integers(200, 5000))
inline_piece = st.one_of(_WORDS, _TAGS, _LINKS, _RUNS, st.text(_random_char, max_size=8), _LONG)
inline_text = st.lists(inline_piece, max_size=6).map("".join)

_MARKERS = st.sampled_from(["-", "*", "+", "1.", "2)", "10.", "123456789.", "0)", "1234567890123."])
block_prefix = st.one_of(
    st.just(""),
    st.builds(lambda n, m, gap: " " * n + m + gap, st.integers(0, 5), _MARKERS,
              st.sampled_from([" ", "\t", "  ", "", "   "])),
    st.builds(lambda n, sp: (">" + sp) * n, st.integers(1, 40), st.sampled_from(["", " "])),
    st.builds(lambda n: "#" * n + " ", st.integers(1, 8)),
    st.sampled_from([
        "```", "~~~", "````py", "    ", "\t", "===", "---", "***", "- - -", "___", "|", "| a | b |",
        "|---|:-:|", "--|--", "  *  ", "  #  ", "\t*\t", "> - ", "- > ", "1. - ", "  ", "<verbatim>",
        "```pikchr", "```pikchr float-left source", "[^a]: ", "[^a]: .c.d: ", "  1.  ",
    ]),
)
line = st.builds(lambda p, t: p + t, block_prefix, inline_text)
_NEWLINE = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\n\n", "\n \n", "\n\t\n"])
document = st.lists(st.tuples(line, _NEWLINE), max_size=30).map(lambda xs: "".join(a + b for a, b in xs))
nesting = st.builds(
    lambda depth, step, marker, body: "".join(" " * (i * step) + marker + body + "\n" for i in range(depth)),
    st.integers(1, 300), st.integers(0, 4), st.sampled_from(["- ", "> ", "1. ", ">", "* ", "  *  "]),
    st.sampled_from(["x", "", "**a", "`", "[a](/b)"]),
)
#: A document repeated up to the input size: finds work that grows faster than the input.
scaled = st.builds(lambda d, k: (d * k)[:MAX_INPUT], st.one_of(document, nesting), st.integers(1, 400))
structured_text = st.one_of(document, nesting, scaled)
any_text = st.one_of(random_text, structured_text,
                     st.builds(lambda d, k: (d * k)[:MAX_INPUT], random_text, st.integers(1, 100)))


# -- the targets (run in a child process by the tests below) --------------------


def _target(kind: str, texts: st.SearchStrategy[str], examples: int = CI_EXAMPLES) -> Callable[[], None]:
    @fuzz_settings(examples)
    @given(texts, st.sampled_from(TOPS), st.booleans())
    def run(text: str, top: str, links: bool) -> None:
        render_checked(kind, text[:MAX_INPUT], top, links)

    return run


fuzz_markdown_random = _target("text/x-markdown", any_text)
fuzz_markdown_structured = _target("text/x-markdown", structured_text)
fuzz_wiki_random = _target("text/x-fossil-wiki", any_text)
fuzz_wiki_structured = _target("text/x-fossil-wiki", structured_text)
fuzz_inline = _target("inline", any_text)
fuzz_plain = _target("text/plain", any_text, CI_EXAMPLES // 3)

TARGETS = ["fuzz_markdown_random", "fuzz_markdown_structured", "fuzz_wiki_random",
           "fuzz_wiki_structured", "fuzz_inline", "fuzz_plain"]


#: Inputs that once hung, were slow or nearly broke a rule; checked on every run.
CORPUS: dict[str, str] = {
    "issue 9 finding 1 README": "Features:\n\n - fast\n - small",
    "indented items, every indent": "".join(f"{' ' * k}- {k}\n" for k in range(6)) * 500,
    "indented ordered items": "  1. a\n  2. b\n   3) c\n" * 1000,
    "one-space items after a paragraph": "Intro\n - a\n - b\n" * 1000,
    "items and blank lines": " - a\n\n   - b\n\n\n- c\n" * 1000,
    "staircase sublists": "".join(" " * k + "- x\n" for k in range(200)) * 10,
    "alternating indents": "".join(" " * (k % 5) + "* x\n" for k in range(4000)),
    "item, blank, indented text": "- a\n\n    b\n" * 2000,
    "rule-like items": "- - -\n* * *\n- a\n - - -\n" * 1000,
    "deep quotes": ">" * 20_000,
    "deep quotes with items": "> - " * 5000,
    "quote staircase": "".join("> " * k + "- x\n" for k in range(100)) * 5,
    "fence openers": "```\n" * 5000,
    "unclosed fence": "```\n" + "- a\n" * 5000,
    "table separators": "|a|b|\n|---|---|\n" * 2000,
    "pipes": "|\n-\n" * 5000,
    "setext runs": "a\n===\n---\n" * 3000,
    "tab items": "-\ta\n\t- b\n" * 3000,
    "lone CRs": "- a\r - b\r\r1. c\r" * 3000,
    "NULs in items": "- \x00\n \x00 - \x00\n" * 3000,
    "wiki bullets": "  *  a\n\t#\tb\n" * 3000,
    "wiki verbatim openers": "<verbatim>" * 2000,
    "wiki nowiki openers": "<nowiki><pre>" * 1000,
    "wiki links": "[a|b][/c][#d][abcdef0]" * 1000,
    "pikchr verbatim openers": "<verbatim type=\"pikchr\">" * 2000,
    "pikchr verbatim blocks": "<verbatim type='pikchr center' id=x>\"<&>'</verbatim></verbatim id=x>\n" * 500,
    "pikchr fences": "```pikchr center toggle\n\"<&>'\n```\n" * 1000,
    "pikchr diagrams": "```pikchr\nA: box \"<b>\" fit; arrow; circle \"&amp;\" at A + (2,0)\n```\n" * 300,
    "pikchr macro bomb": "```pikchr\ndefine a {box;box;box;box;box;box;box;box;box;box}\n"
    "define b {a\na\na\na\na\na\na\na\na\na}\ndefine c {b\nb\nb\nb\nb\nb\nb\nb\nb\nb}\nc\nc\n```\n",
    "pikchr nested parentheses": "```pikchr\nbox at " + "(" * 5000 + "1,1\n```\n",
    "pikchr unary minus run": "<verbatim type=pikchr>box wid " + "-" * 5000 + "1</verbatim>",
    "pikchr long path": "```pikchr\nline " + "right 0.01 then up 0.01 then " * 600 + "right\n```\n",
    "pikchr print and text": "```pikchr\nprint \"<script>\", 1/3\ntext \"<img src=x onerror=y>\"\n```\n" * 200,
    "footnote definitions": "[^a]: x\n  [^b]\n[^b]: (^y)\n" * 2000 + "[^a][^b][^c]",
    "inline footnote nesting": "(^" * 3000 + ")" * 3000,
}


def check_corpus() -> None:
    for name, text in CORPUS.items():
        for kind in KINDS:
            try:
                render_checked(kind, text)
            except BaseException as exc:
                raise AssertionError(f"corpus entry {name!r}, {kind}: {exc!r}") from exc


# -- the tests ---------------------------------------------------------------------


def test_regression_corpus() -> None:
    run_in_child(__name__, "check_corpus")


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz(target: str) -> None:
    run_in_child(__name__, target)


def test_checker_catches_unsafe_output() -> None:
    """The checks above are not vacuous."""
    for bad in ('<p>x<script>y</p>', '<a href="javascript:x">l</a>', '<a href="jav&#9;ascript:x">l</a>',
                '<b onclick="x">y</b>', '<a href="//evil">l</a>', "<p>\x00</p>", "<p>a < b</p>",
                '<iframe src="x"></iframe>', "<p><!-- x --></p>"):
        with pytest.raises(AssertionError):
            check("text/x-fossil-wiki", "x" * 100, "", bad)
    with pytest.raises(AssertionError):
        check("text/x-markdown", "x", "", "<p>" + "x" * 400 + "</p>")


@fuzz_settings(CI_EXAMPLES)
@given(st.one_of(structured_text, random_text), st.sampled_from(TOPS), st.booleans())
def test_markdown_markup_is_already_what_the_sanitizer_writes(text: str, top: str, links: bool) -> None:
    """Without raw HTML in a document, md_html skips safe_html(): its own
    markup must be exactly what that pass would make of it."""
    from fossilpy.markup import md_html, sanitize
    from fossilpy.markup.md_blocks import markdown

    text = sanitize.clean_text(text[:MAX_INPUT])
    r = md_html.HtmlRenderer(top, links)
    with watchdog(CASE_SECONDS):
        body = markdown(text, r)
    inner = body[len(md_html.PROLOG) : -len(md_html.EPILOG)]
    if not r.raw:
        assert sanitize.safe_html(inner, top, links) == inner
