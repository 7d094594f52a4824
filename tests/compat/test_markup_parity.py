"""Markdown footnotes, Fossil-wiki lists and Pikchr blocks as fossil 2.21 shows them.

The renderers are compared with ``fossil test-markdown-render`` and
``fossil test-wiki-render`` case by case in tests/web/test_wikirender.py
(the corpora in tests/web/markdown_corpus.py and wiki_corpus.py).  Here:

* the pages: a repository made by fossil with a Markdown page full of
  footnotes and a Fossil-wiki page of lists, read through ``fossil server``
  and through fossilpy; the rendered text is the same, but for the one
  documented difference (Fossil puts the request's URI before a footnote's
  ``#anchor``, fossilpy keeps the anchor page-local);
* Pikchr: a block is Fossil's, SVG included, byte for byte but for the
  random nonce comments around it: the same wrapper classes, the same
  drawing, the same text taken as the source (up to the right
  ``</verbatim>``), the same error box (the diagrams themselves are compared
  case by case in tests/compat/test_pikchr_fossil.py).
"""

from __future__ import annotations

import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from fossilpy import budget
from fossilpy.markup.wikirender import render, render_inline
from fossilpy.web.app import AppConfig, make_app
from tests.conftest import Runner
from tests.net import fossil_serving
from tests.web.conftest import sql
from tests.web.wsgi import call

FOOTNOTES = """Footnotes[^a] and a second[^b], then [a span][^a] and one more[^A].

An inline note (^with *markup*) and [a fragment](^about it), an undefined[^nope] one.

- in a list[^b] and a classed one[^c]

[^a]: The first note, with a [link](/timeline).
[^b]: .warn: A classed note
  on two lines.
[^c]: .warn.Big: A classed note.
[^unused]: Never referenced.
[^b]: A duplicate definition.
"""

LISTS = """Intro line

  *  one
  *  two <b>bold</b>
\tcontinued
  *  three

\t#\tfirst
\t#\tsecond

  1.  enumerated
  7  seven

* not a bullet at the margin

  indented paragraph
  on two lines

after
"""


DIAGRAM = 'A diagram:\n\n```pikchr center\nbox "hi"\narrow\ncircle "there"\n```\n\nAfter.\n'


@pytest.fixture
def pages_repo(fossil: Runner, tmp_path: Path) -> Path:
    """A repository made by fossil with the pages Notes and Diagram (Markdown) and Lists (Fossil wiki)."""
    repo = tmp_path / "m.fossil"
    fossil("init", "-A", "root", repo)
    (tmp_path / "notes.md").write_text(FOOTNOTES)
    (tmp_path / "lists.wiki").write_text(LISTS)
    fossil("wiki", "create", "Notes", "notes.md", "--mimetype", "text/x-markdown", "-R", repo)
    fossil("wiki", "create", "Lists", "lists.wiki", "-R", repo)
    (tmp_path / "pikchr.md").write_text(DIAGRAM)
    fossil("wiki", "create", "Diagram", "pikchr.md", "--mimetype", "text/x-markdown", "-R", repo)
    sql(repo, "UPDATE user SET cap='s' WHERE login='nobody'")
    return repo


def _fossil_pages(fossil: Runner, repo: Path, paths: list[str]) -> dict[str, str]:
    out = {}
    with fossil_serving(fossil.argv0, repo, env=fossil.env) as port:
        for path in paths:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as reply:
                out[path] = reply.read().decode()
    return out


def test_wiki_pages_render_as_fossil_server(pages_repo: Path, fossil: Runner) -> None:
    theirs = _fossil_pages(fossil, pages_repo, ["/wiki?name=Notes", "/wiki?name=Lists"])
    app = make_app(AppConfig(repository=str(pages_repo)))
    ours = {path: call(app, path).text for path in theirs}

    # Markdown: fossil's <div class="markdown"> body, its footnote links made page-local
    m = re.search(r'<div class="markdown">\n\n(.*?)\n</div>\n', theirs["/wiki?name=Notes"], re.S)
    assert m, theirs["/wiki?name=Notes"]
    body = m.group(1).replace('href="/wiki?name=Notes#', 'href="#')
    assert 'class="footnotes"' in body and "fn-misreference" in body and "fn-unreferenced" in body
    assert "fn-joined" in body and "fn-upc-warn" in body and body.count("noteref") == 25
    assert body.strip("\n") in ours["/wiki?name=Notes"]
    assert body.strip("\n") == render(FOOTNOTES, "text/x-markdown").strip("\n")

    # Fossil wiki: the text between fossil's content <div> and its scripts
    m = re.search(r'<span id="debugMsg"></span>\n(.*?)<script', theirs["/wiki?name=Lists"], re.S)
    assert m, theirs["/wiki?name=Lists"]
    body = m.group(1)
    assert body.count("<li>") == 5 and '<li value="7">' in body and "<blockquote>" in body
    assert body in ours["/wiki?name=Lists"]
    assert body == render(LISTS)


def test_forum_thread_footnote_ids_as_fossil_server(pages_repo: Path, fossil: Runner) -> None:
    """Several Markdown posts on one page: Fossil marks the footnote ids of
    the second and later documents (A, B, ...; Fossil-wiki posts do not
    count), so a note link jumps within its own post."""
    import hashlib

    from tests.builders import artifact, store_raw

    root = artifact(["D 2024-01-01T00:00:00.000", "H Notes", "N text/x-markdown", "U root", "W"], FOOTNOTES)
    h = hashlib.sha3_256(root).hexdigest()
    posts = [root]
    for k, (mimetype, body) in enumerate(
        [
            ("text/x-markdown", "Reply[^y] and (^inline)\n\n[^y]: reply note\n"),
            ("text/x-fossil-wiki", "a wiki reply\n"),
            ("text/x-markdown", "Third[^z]\n\n[^z]: third note\n"),
        ]
    ):
        cards = [f"D 2024-01-01T00:00:0{k + 1}.000", f"G {h}", f"I {h}", f"N {mimetype}", "U root", "W"]
        posts.append(artifact(cards, body))
    store_raw(pages_repo, posts)
    fossil("rebuild", pages_repo)
    page = f"/forumpost/{h[:16]}"
    theirs = _fossil_pages(fossil, pages_repo, [page])[page]
    ours = call(make_app(AppConfig(repository=str(pages_repo))), page).text
    ids = re.compile(r'id="((?:footnote|noteref|misref)[^"]*)"')
    assert "footnoteB-1-a" in ids.findall(theirs)
    assert ids.findall(ours) == ids.findall(theirs)
    with budget.limit(60):
        first, second = render("x[^1]\n\n[^1]: n\n", "text/x-markdown"), render("y(^n)", "text/x-markdown")
    assert 'id="noteref-1-a"' in first and 'id="noterefA-1-a"' in second
    assert 'id="noteref-1-a"' in render("y(^n)", "text/x-markdown")  # outside a request


# -- Pikchr: Fossil's block, SVG and all ------------------------------------------

#: (language, source): Pikchr blocks as fossil draws them.
PIKCHR = [
    ("text/x-markdown", '```pikchr\nbox "hi"\narrow\n```\n'),
    ("text/x-markdown", "```pikchr center toggle\nbox \"a<b & 'q'\"\n```\n"),
    ("text/x-markdown", "```pikchr indent source float-left\ncircle\n```\n\nafter\n"),
    ("text/x-markdown", "```pikchr   float-right source-inline source unknown\nbox\n```\n"),
    ("text/x-markdown", "```pikchr\nbox foo\n```\n"),
    ("text/x-markdown", "```pikchr\n```\n"),
    ("text/x-markdown", '<b>raw</b>\n\n```pikchr\nbox "x"\n```\n\n<script>x</script>\n'),
    ("text/x-fossil-wiki", '<verbatim type="pikchr">\nbox "hi"\n</verbatim>\n'),
    ("text/x-fossil-wiki", 'para <verbatim type="pikchr float-right source">box</VERBATIM > more\n'),
    ("text/x-fossil-wiki", '<verbatim type="pikchr center" id="x">\nbox "</verbatim>"\n</verbatim id="x">tail\n'),
    ("text/x-fossil-wiki", "<verbatim type='pikchr toggle'>box</verbatim> and <verbatim>[raw]</verbatim>\n"),
    ("text/x-fossil-wiki", '<verbatim type=pikchr>box "<a>"'),
    ("text/x-fossil-wiki", "<verbatim type=pikchr>box wid</verbatim>\n"),
]

_NONCE = re.compile(r"<!--[0-9A-F]{64}-->")


def _fossil_render(kind: str, text: str, tmp_path: Path, *more: str) -> str:
    from tests.conftest import require_binary

    src = tmp_path / "t.txt"
    src.write_text(text)
    command = "test-markdown-render" if kind == "text/x-markdown" else "test-wiki-render"
    flags = ["--safe"] if kind == "text/x-markdown" else list(more)
    out = subprocess.run(
        [require_binary("fossil"), command, *flags, str(src)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
    ).stdout
    return out


def _nonce(html: str) -> str:
    """``html`` with the random nonce comments read as NONCE (Fossil's and ours)."""
    return _NONCE.sub("<!--NONCE-->", html)


@pytest.mark.parametrize("kind, text", PIKCHR)
def test_pikchr_block_is_fossils(kind: str, text: str, tmp_path: Path) -> None:
    theirs = _nonce(_fossil_render(kind, text, tmp_path))
    assert theirs.count("<!--NONCE-->") == 2 * text.count("pikchr"), theirs
    if kind == "text/x-markdown":
        theirs = theirs.removeprefix('<div class="markdown">\n').removesuffix("</div>\n").strip("\n")
        assert _nonce(render(text, kind)).strip("\n") == theirs
    else:
        assert _nonce(render(text, kind)) == theirs
        inline = _nonce(_fossil_render(kind, text, tmp_path, "--inline", "--nobadlinks"))
        assert _nonce(render_inline(text)) + "\n" == inline


def test_pikchr_nonce_is_not_forgeable() -> None:
    """Only this process's nonce lets HTML past the sanitizer: a document that
    brackets a script with a made-up nonce gets the script escaped."""
    fake = "<!--" + "A" * 64 + "-->"
    html = render(f"<b>x</b>\n\n{fake}<script>alert(1)</script>{fake}\n\n```pikchr\nbox\n```\n", "text/x-markdown")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") == 1


def test_pages_in_a_browser(pages_repo: Path) -> None:
    """What a reader sees: footnote links jump to the note and back, the
    notes' problems are explained (the site style sheet's words, Fossil's),
    and a Pikchr block shows its diagram (its source hidden).  Screenshots in
    tests/artifacts/markup/."""
    from tests.web.browser import chromium_page, serve_app, shot

    with serve_app(pages_repo) as base, chromium_page(1000, 760) as (page, problems):
        page.goto(base + "/wiki?name=Notes")
        shot(page, "markup", "footnotes")
        page.click("#noteref-2-a")
        assert page.url.endswith("#footnote-2-a")
        page.click("#footnote-2-b")
        assert page.url.endswith("#noteref-2-b")
        after = "el => getComputedStyle(el, '::after').content"
        assert page.eval_on_selector("li.fn-misreference > span", after) == '" (use of undefined label)."'
        assert page.eval_on_selector("li.fn-unreferenced > i", after) == '" was defined but is not referenced"'
        assert page.eval_on_selector("li.fn-joined > sup.fn-joined", after) == '"(joined from multiple locations) "'
        page.goto(base + "/wiki?name=Lists")
        shot(page, "markup", "wiki-lists")
        assert page.locator("ul > li").count() >= 3 and page.locator("ol > li").count() == 4
        page.goto(base + "/wiki?name=Diagram")
        shot(page, "markup", "pikchr-diagram")
        assert page.is_visible("div.pikchr-svg > svg.pikchr")
        assert page.eval_on_selector("svg.pikchr", "el => el.textContent").split() == ["hi", "there"]
        assert page.eval_on_selector("svg.pikchr", "el => el.getBoundingClientRect().width") > 100
        assert not page.is_visible("pre.pikchr-src")
        assert not problems, problems


def test_pikchr_text_and_source_are_escaped() -> None:
    html = _nonce(render('```pikchr center\nbox "<script>alert(1)</script>"\n```\n', "text/x-markdown"))
    assert "<script>" not in html
    assert 'dominant-baseline="central">&lt;script&gt;alert(1)&lt;/script&gt;</text>' in html
    assert "<pre class='pikchr-src'>box &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;\n</pre>" in html
    html = _nonce(render("<verbatim type='pikchr'><b onclick=x></verbatim>"))
    assert html == (
        "<p><!--NONCE-->\n<pre class='error'>\n/*    1 */  &lt;b onclick=x&gt;\n"
        "           ^\nERROR: syntax error\n\n</pre>\n<!--NONCE-->\n</p>\n\n"
    )
