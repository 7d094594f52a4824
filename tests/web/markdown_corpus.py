"""Markdown constructs and their HTML: Fossil 2.21's (``fossil test-markdown-render
--safe``, without its ``<div class="markdown">``), except where the sanitizer
differs on purpose (then the third item is what fossil writes and why).

tests/web/test_wikirender.py renders every case and compares; the compat test
there runs the fossil binary on every case."""

from __future__ import annotations

#: name -> (Markdown, our HTML, None or (fossil's HTML, why it differs))
MARKDOWN_CASES: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    'atx headers': (
        '# One\n## Two ##\n###### Six\n####### seven\n#no space\n',
        '<h1>One</h1>\n<h2>Two</h2>\n<h6>Six</h6>\n<p>####### seven</p>\n\n<p>#no space</p>\n',
        None),
    'setext headers': (
        'Title\n=====\n\nSub\n---\n\npara\nline\nHead\n===\n',
        '<h1>Title</h1>\n<h2>Sub</h2>\n<p>para\nline</p>\n\n<h1>Head</h1>',
        None),
    'paragraphs and line breaks': (
        'first line  \nsecond\n\nthird\nfourth\n',
        '<p>first line <br />\nsecond</p>\n\n<p>third\nfourth</p>\n',
        None),
    'emphasis': (
        '*em* _em_ **strong** __strong__ ***both*** ___both___ a_b_c *a **b** c* **a *b* c**\n',
        ('<p><em>em</em> <em>em</em> <strong>strong</strong> <'
         'strong>strong</strong> <strong><em>both</em></strong> <strong><em>both</em></st'
         'rong> a_b_c <em>a <strong>b</strong> c</em> <strong>a <em>b</em> c</strong></p>\n'),
        None),
    'emphasis edge': (
        '* not em * and 2*3*4 and snake_case_name and *open\n',
        '<ul>\n<li>not em * and 2<em>3</em>4 and snake_case_name and *open</li>\n</ul>\n',
        None),
    'code spans': (
        '`a` ``b ` c`` ` spaced ` `<tag>` and ``` x ``` inline\n',
        ('<p><code>a</code> <code>b ` c</code> <code>spaced</code> <cod'
         'e>&lt;tag&gt;</code> and <pre><code>x</code></pre> inline</p>\n'),
        None),
    'fenced code': (
        '```\nplain <b>\n```\n\n```tcl\nputs "x" & \'y\'\n```\n\n~~~ python extra\nprint(1)\n~~~\n',
        ('<pre><code>plain &lt;b&gt;\n'
         '</code></pre><pre><code class="language-tcl">puts &quot;x&quot; &amp; &#39;y&#39;\n'
         '</code></pre><pre><code class="language-python">print(1)\n</code></pre>'),
        None),
    'indented code': (
        'para\n\n    code <b> & x\n    more\n\n\tTabbed\n\nafter\n',
        '<p>para</p>\n\n<pre><code>code &lt;b&gt; &amp; x\nmore\n\nTabbed\n</code></pre>\n\n<p>after</p>\n',
        None),
    'block quotes': (
        '> quoted\n> lines\nlazy\n\n> outer\n>> inner\n> > deeper\n',
        '<blockquote>\n<p>quoted\nlines\nlazy</p>\n\n<p>outer\n&gt; inner\n&gt; deeper</p>\n</blockquote>\n',
        None),
    'rules': (
        'a\n\n***\n\n- - -\n\n___\n',
        '<p>a</p>\n\n<hr />\n\n<hr />\n\n<hr />\n',
        None),
    'lists': (
        '- a\n- b\n  - nested\n- c\n\n1. one\n2. two\n\n* loose\n\n* items\n',
        ('<ul>\n<li>a</li>\n<li>b\n\n<ul>\n<li>nested</li>\n</ul></li>\n<li><p>c</p></li>\n<li><p>one</p></li>\n'
         '<li><p>two</p></li>\n<li><p>loose</p></li>\n<li><p>items</p></li>\n</ul>\n'),
        None),
    'ordered paren': (
        '1) a\n2) b\n',
        '<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n',
        None),
    'tables': (
        '| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n| x | `y|z` | w |\n\nh1 | h2\n---|---\nd1 | d2\n',
        ('<table>\n<thead>\n  <tr>\n    <th>a</th>\n    <th>b</th>\n    <th>c</th>\n  </tr>\n</thead>\n<tbody>\n'
         '  <tr>\n    <td align="left">1</td>\n    <td align="center">2</td>\n    <td align="right">3</td>\n'
         '  </tr>\n  <tr>\n    <td align="left">x</td>\n    <td align="center"><code>y|z</code></td>\n'
         '    <td align="right">w</td>\n  </tr>\n</tbody>\n</table>\n\n<table>\n<thead>\n  <tr>\n'
         '    <th>h1</th>\n    <th>h2</th>\n  </tr>\n</thead>\n<tbody>\n  <tr>\n    <td>d1</td>\n'
         '    <td>d2</td>\n  </tr>\n</tbody>\n</table>\n'),
        None),
    'table without ruler': (
        '| a | b |\n| c | d |\n',
        ('<table>\n  <tr>\n    <td>a</td>\n    <td>b</td>\n  </tr>\n  <tr>\n    <td>c</td>\n    <td>d</td>\n'
         '  </tr>\n</table>\n'),
        None),
    'links inline': (
        ('[a](/path) [b](./rel) [c](#frag) [d](https://e.x/?a=1'
         '&b=2 "T") [e](http://e.x \'single\') [f](<spaced url>)\n'),
        ('<p><a href="/path">a</a> <a href="./rel">b</a> <a href="#frag">c</a> <a href="https://e.x/?a=1'
         '&b=2" title="T">d</a> <a href="http://e.x" title="single">e</a> <a href="spaced url">f</a></p>\n'),
        None),
    'links reference': (
        '[a][r1] [b][] [r1] [R1]\n\n[r1]: /target "Title"\n[b]: https://b.example/\n',
        ('<p><a href="/target" title="Title">a</a> <a href="https://b'
         '.example/">b</a> <a href="/target" title="Title">r1</a></p>\n'),
        None),
    'links wiki and hash': (
        '[page](Some Page) [hash](abcdef0123) [date](2024-01-02) [sand](Sandbox) [wp](wiki:Home)\n',
        ('<p><a href="Some Page">page</a> hash <a href="/timeline?c=2024-01-02">date</a'
         '> <a href="/wiki?name=Sandbox">sand</a> <a href="/wiki?name=Home">wp</a></p>\n'),
        None),
    'images': (
        '![alt](/img.png) ![t](pic.jpg "Title") ![](x.png)\n',
        ('<p><img src="/img.png" alt="alt" /> <img src="pic.jpg" '
         'alt="t" title="Title" /> <img src="x.png" alt="" /></p>\n'),
        None),
    'autolinks': (
        '<http://a.b/c?d=1&e=2> <https://x.y> <ftp://f.g> <mailto:me@x.org> <you@y.org>\n',
        ('<p><a href="http://a.b/c?d=1&amp;e=2">http://a.b/c?d=1&'
         'amp;e=2</a> <a href="https://x.y">https://x.y</a> <a href="ftp://f.g">ftp://f.g</a> '
         '<a href="mailto:me@x.org">me@x.org</a> <a href="mailto:you@y.org">you@y.org</a></p>\n'),
        None),
    'entities and escapes': (
        '&amp; &copy; &#169; &#xA9; & lone &; \\*not em\\* \\\\ back \\` tick\n',
        '<p>&amp; &copy; &#169; &#xA9; &amp; lone &; *not em* \\ back ` tick</p>\n',
        None),
    'raw html inline': (
        'a <b>bold</b> <i>it</i> <span class="x">s</span> <br> <kbd>k</kbd>\n',
        '<p>a <b>bold</b> <i>it</i> <span class="x">s</span> <br /> <kbd>k</kbd></p>\n',
        None),
    'raw html block': (
        '<pre>\n*not md*\n</pre>\n\n<div class="note">\n*md in div*\n</div>\n',
        '<pre>\n*not md*\n</pre>\n\n<p><div class="note">\n<em>md in div</em>\n</div></p>\n',
        None),
    'html comment and hr': (
        '<!-- comment -->\n\n<hr>\n\ntext <!-- inline --> more\n',
        '&lt;!-- comment -->\n\n<hr />\n\n<p>text &lt;!-- inline --&gt; more</p>\n',
        None),
    'footnotes': (
        'Text[^1] more[^note] again[^1].\n\n[^1]: First note.\n[^note]: Second *note*\n  continued.\n',
        ('<p>Text<sup class="noteref"><a href="#footnote-1-a" id="note'
         'ref-1-a">1</a></sup> more<sup class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a'
         '></sup> again<sup class="noteref"><a href="#footnote-1-b" id="noteref-1-b">1</a></sup>.</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-polyref"><sup class="fn-backrefs">^ <a id="footnote-1'
         '-a" href="#noteref-1-a">a</a> <a id="footnote-1-b" href="#noteref-1-b">b</a></sup>\nFirst note.\n'
         '</li>\n'
         '<li id="footnote-2" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\nSecond <em>note</em>\ncontinued.\n</li>\n'
         '</ol>\n'),
        None),
    'inline footnotes': (
        'Inline (^an inline note) and [span](^a span note) and [text][^1].\n\n[^1]: Labeled.\n',
        ('<p>Inline<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></'
         'sup> and <span class="notescope" id="noteref-2-a">span<sup '
         'class="noteref"><a href="#footnote-2-a">2</a></sup></span> and <span class="notescope" i'
         'd="noteref-3-a">text<sup class="noteref"><a href="#footnote-3-a">3</a></sup></span>.</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\nan inline note\n</li>\n'
         '<li id="footnote-2" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\na span note\n</li>\n'
         '<li id="footnote-3" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-3-a" href="#noteref-3-a">^</a></sup>\nLabeled.\n</li>\n</ol>\n'),
        None),
    'footnote misref and unreferenced': (
        'Missing[^nope] here[^nope].\n\n[^unused]: Never referenced.\n',
        ('<p>Missing<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</a></sup>'
         ' here<sup class="noteref misref"><a href="#misreference-b" id="misref-b">misref</a></sup>.</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li class="fn-misreference"><sup class="fn-backrefs">^ <a id="misreference-a'
         '" href="#misref-a">a</a> <a id="misreference-b" href="#misref-b">b</a></sup>\n'
         '<span>Misreference</span>\n</li>\n<li class="fn-unreferenced">\n'
         '[^&nbsp;<code>unused</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">Never referenced.</code></pre>\n</li>\n</ol>\n'),
        None),
    'footnote classes': (
        'Ref[^c] x.\n\n[^c]: .warn.Big: Classy note.\n',
        ('<p>Ref<sup class="fn-upc-warn fn-upc-big noteref"><a hr'
         'ef="#footnote-1-a" id="noteref-1-a">1</a></sup> x.</p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-upc-warn fn-upc-big fn-monoref"><sup cla'
         'ss="fn-backrefs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-warn">warn</span><span cla'
         'ss="fn-upcDot">.</span><span class="fn-upc-big">Big</span><span class="fn-upcColon">:</span></span>\n'
         ' Classy note.\n</li>\n</ol>\n'),
        None),
    'joined footnotes': (
        'Ref[^d].\n\n[^d]: first part\n[^d]: second part\n',
        ('<p>Ref<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup>.</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-joined fn-monoref"><sup class="fn'
         '-backrefs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n<sup class="fn-joined"></sup><ul>\n'
         '<li>first part</li>\n<li>second part</li>\n</ul>\n\n</li>\n</ol>\n'),
        None),
    'nested footnote': (
        'Ref[^a].\n\n[^a]: Note with[^b].\n[^b]: Inner.\n',
        ('<p>Ref<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup>.</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         'Note with<sup class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a></sup>.\n</li>\n'
         '<li id="footnote-2" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\nInner.\n</li>\n</ol>\n'),
        None),
    'mixed document': (
        ('# Doc\n\nIntro with **bold** and [link](/x).\n\n> - quoted item\n> - another\n\n```\ncode\n```\n\n'
         '| k | v |\n|---|---|\n| a | `b` |\n\nEnd[^z].\n\n[^z]: Fin.\n'),
        ('<h1>Doc</h1>\n<p>Intro with <strong>bold</strong> and <a href="/x">link</a>.</p>\n\n<blockquote>\n'
         '<ul>\n<li>quoted item</li>\n<li>another</li>\n</ul>\n</blockquote>\n<pre><code>code\n</code></pre>\n'
         '<table>\n<thead>\n  <tr>\n    <th>k</th>\n    <th>v</th>\n  </tr>\n</thead>\n<tbody>\n  <tr>\n'
         '    <td>a</td>\n    <td><code>b</code></td>\n  </tr>\n</tbody>\n</table>\n\n'
         '<p>End<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup>.</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\nFin.\n</li>\n</ol>\n'),
        None),
    'code span runs': (
        'x ``a` b`` `c` and x ``` a ` b\n',
        '<p>x <code>a` b</code> <code>c</code> and x ``<code>a</code> b</p>\n',
        None),
    'header trailing hashes': (
        '# C#\n\n# foo ##\n',
        '<h1>C</h1>\n<h1>foo</h1>',
        None),
    'backslashes in destinations': (
        '[a](/\\evil.example) [b](\\\\evil.example) [c](https:\\\\evil.example)\n',
        '<p><a href="/evil.example">a</a> <a href="evil.example">b</a> <a href="https:evil.example">c</a></p>\n',
        None),
    'link with code': (
        '[`x`](/a) and [*em* text](/b)\n',
        '<p><a href="/a"><code>x</code></a> and <a href="/b"><em>em</em> text</a></p>\n',
        None),
    'list indentation': (
        'Features:\n\n - fast\n - small\n\n  1. one\n  2. two\n',
        ('<p>Features:</p>\n\n<ul>\n<li>fast</li>\n<li><p>small</p>\n\n<ol>\n<li>one</li>\n<li>two</li>\n'
         '</ol></li>\n</ul>\n'),
        None),
    'script and style': (
        '<script>alert(1)</script> and <style>x</style> <iframe src=x></iframe>\n',
        ("<p><span class='error'>&lt;script&gt;</span>alert(1)<span class='erro"
         "r'>&lt;/script&gt;</span> and <span class='error'>&"
         "lt;style&gt;</span>x<span class='error'>&lt;/style&gt;</span> <span class='err"
         "or'>&lt;iframe src=x&gt;</span><span class='error'>&lt;/iframe&gt;</span></p>\n"),
        None),
    'javascript link': (
        '[click](javascript:alert(1)) ![i](javascript:x)\n',
        '<p>click) <img alt="i" /></p>\n',
        ('<p><a href="javascript:alert(1">click</a>) <img src="javascript:x" alt="i" /></p>',
         'unsafe URL: no link, no src')),
    'style and events': (
        '<b style="color:red" onclick="x">b</b> <div title="t" style="s">d</div>\n',
        '<p><b>b</b> <div title="t">d</div></p>\n',
        ('<p><b style="color:red">b</b> <div title="t" style="s">d</div></p>',
         'style attributes are dropped')),
    'unsafe urls in tags': (
        '<a href="javascript:x">j</a> <a href="//evil">e</a> <img src="data:x"> <a href="/ok">ok</a>\n',
        '<p><a>j</a> <a>e</a> <img /> <a href="/ok">ok</a></p>\n',
        ('<p><a href="javascript:x">j</a> <a href="//evil">e</a> <img src="data:x" /> <a href="/ok">ok</a></p>',
         'unsafe href/src are dropped')),
    'refused tag text': (
        '<x a="<b>"> and <blink>\n',
        '<p><span class=\'error\'>&lt;x a="&lt;b&gt;"&amp;gt; and &lt;blink&gt;</span></p>\n',
        ('<p><span class=\'error\'>&lt;x a="<b>"&gt; and <blink&gt;</span></p>',
         'the text of a refused tag is escaped')),
    'verbatim in markdown': (
        '<verbatim>x</verbatim> <nowiki>y</nowiki> <title>t</title>\n',
        ("<p><span class='error'>&lt;verbatim&gt;</span>x<span class='error'"
         ">&lt;/verbatim&gt;</span> <span class='error'>&lt;nowiki&gt;</span>y<span class='error'>&lt;/nowiki"
         "&gt;</span> <span class='error'>&lt;title&gt;</span>t<span class='error'>&lt;/title&gt;</span></p>\n"),
        ('<p><verbatim>x</verbatim> <nowiki>y</nowiki> <title>t</title></p>',
         '<verbatim>, <nowiki>, <title> are refused in Markdown')),
    'target attribute': (
        '<a href="/x" target="_blank" name="n">t</a>\n',
        '<p><a href="/x" name="n">t</a></p>\n',
        ('<p><a href="/x" target="_blank" name="n">t</a></p>',
         'target attributes are dropped')),
    'surplus end tag': (
        '</div> text </b>\n',
        "<p><span class='error'>&lt;/div&gt;</span> text <span class='error'>&lt;/b&gt;</span></p>\n",
        None),
    'unclosed tags': (
        '<b>open <i>more\n\nnext\n',
        '<p><b>open <i>more</p>\n\n<p>next</p>\n\n</i></b>',
        None),
    'attribute quotes': (
        '<span title=\'say "hi"\'>q</span> <a href="/a?b=1&c=2">amp</a>\n',
        '<p><span title="say &quot;hi&quot;">q</span> <a href="/a?b=1&c=2">amp</a></p>\n',
        ('<p><span title="say "hi"">q</span> <a href="/a?b=1&c=2">amp</a></p>',
         'attribute values are escaped')),
    # -- footnotes (fossil's own test document and one case per rule) and Pikchr fences --
    'footnotes: case ws': (
        'X[^ Foo  Bar ] Y[^foo bar]\n\n[^FOO BAR]: ci\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> Y<sup'
         ' class="noteref"><a href="#footnote-1-b" id="noteref-1-b">1</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-polyref"><sup class="fn-backrefs">^ <a id="footnote-1'
         '-a" href="#noteref-1-a">a</a> <a id="footnote-1-b" href="#noteref-1-b">b</a></sup>\n'
         'ci\n</li>\n</ol>\n'),
        None),
    'footnotes: classlist': (
        'X[^c]\n\n[^c]: .alert.Big: classy note\n',
        ('<p>X<sup class="fn-upc-alert fn-upc-big noteref"><a href="#footnote-1-a" id="notere'
         'f-1-a">1</a></sup></p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-upc-alert fn-upc-big fn-monor'
         'ef"><sup class="fn-backrefs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-alert">ale'
         'rt</span><span class="fn-upcDot">.</span><span class="fn-upc-big">Big</span><span c'
         'lass="fn-upcColon">:</span></span>\n classy note\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: classlist inline': (
        'X(^.warn: inline classy)\n',
        ('<p>X<sup class="fn-upc-warn noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a>'
         '</sup></p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-upc-warn fn-monoref"><sup cla'
         'ss="fn-backrefs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-warn">warn'
         '</span><span class="fn-upcColon">:</span></span>\n'
         ' inline classy\n</li>\n</ol>\n'),
        None),
    'footnotes: def in quote': (
        '> X[^q]\n>\n> [^q]: quoted def\n',
        ('<blockquote>\n<p>X<sup class="noteref misref"><a href="#misreference-a" id="misref-'
         'a">misref</a></sup></p>\n\n<p><sup class="noteref misref"><a href="#misreference-b"'
         ' id="misref-b">misref</a></sup>: quoted def</p>\n'
         '</blockquote>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-misreference"><sup class="fn-backrefs">^ <a i'
         'd="misreference-a" href="#misref-a">a</a> <a id="misreference-b" href="#misref-b">b'
         '</a></sup>\n<span>Misreference</span>\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: def not first col': (
        'X[^i]\n\n [^i]: indented def\n',
        ('<p>X<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</a><'
         '/sup></p>\n\n<p><sup class="noteref misref"><a href="#misreference-b" id="misref-b"'
         '>misref</a></sup>: indented def</p>\n\n'
         '<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li class="fn-misreference"><sup class="fn-backrefs">^ <a id="misreference-a" href='
         '"#misref-a">a</a> <a id="misreference-b" href="#misref-b">b</a></sup>\n'
         '<span>Misreference</span>\n</li>\n</ol>\n'),
        None),
    'footnotes: def then para': (
        'X[^p]\n\n[^p]: note\nnot continuation\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p>\n'
         '\n<p>not continuation</p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         'note\n</li>\n</ol>\n'),
        None),
    'footnotes: dup defs': (
        'X[^d]\n\n[^d]: one\n[^d]: two\n[^d]: three\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-joined fn-monoref"><sup class="fn-backrefs"><a id="fo'
         'otnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         '<sup class="fn-joined"></sup><ul>\n<li>one</li>\n'
         '<li>two</li>\n<li>three</li>\n</ul>\n\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: empty label': (
        'X[^] Y[^ ]\n',
        ('<p>X<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</a><'
         '/sup> Y<sup class="noteref misref"><a href="#misreference-b" id="misref-b">misref</'
         'a></sup></p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-misreference"><sup class="fn-backrefs">^ <a i'
         'd="misreference-a" href="#misref-a">a</a> <a id="misreference-b" href="#misref-b">b'
         '</a></sup>\n<span>Misreference</span>\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: escaped': (
        'X\\[^e] Y\\(^f)\n\n[^e]: esc\n',
        ('<p>X[^e] Y(^f)</p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-unreferenced">\n'
         '[^&nbsp;<code>e</code>&nbsp;]<i></i>\n<pre><code class="language-markdown">esc</cod'
         'e></pre>\n</li>\n</ol>\n'),
        None),
    'footnotes: html in note': (
        'X[^h]\n\n[^h]: <b>bold</b> <script>x</script>\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\n<b>bold</b> <span class=\'error\'>&lt;script&gt;'
         "</span>x<span class='error'>&lt;/script&gt;</span>\n"
         '</li>\n</ol>\n'),
        None),
    'footnotes: in code': (
        '`[^x]` and\n\n    [^x]\n\n[^x]: code\n',
        ('<p><code>[^x]</code> and</p>\n\n<pre><code>[^x]\n'
         '</code></pre>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-unreferenced">\n'
         '[^&nbsp;<code>x</code>&nbsp;]<i></i>\n<pre><code class="language-markdown">code</co'
         'de></pre>\n</li>\n</ol>\n'),
        None),
    'footnotes: in heading': (
        '# Head[^h]\n\n[^h]: heading note\n',
        ('<h1>Head<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></'
         'h1>\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         'heading note\n</li>\n</ol>\n'),
        None),
    'footnotes: in list': (
        '',
        '',
        None),
    'footnotes: inline': (
        'Text(^an *inline* note) and (^another).\n',
        ('<p>Text<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> an'
         'd<sup class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a></sup>.</p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\nan <em>inline</em> note\n'
         '</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'another\n</li>\n</ol>\n'),
        None),
    'footnotes: inline empty': (
        'Text(^) and (^ ) end.\n',
        '<p>Text(^) and (^ ) end.</p>\n',
        None),
    'footnotes: link in note': (
        'X[^l]\n\n[^l]: see [home](/home) and <https://e.x>\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\nsee <a href="/home">home</a> and <a href="https:'
         '//e.x">https://e.x</a>\n</li>\n</ol>\n'),
        None),
    'footnotes: many refs': (
        'A[^m] B[^m] C[^m] D[^m]\n\n[^m]: many\n',
        ('<p>A<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> B<sup'
         ' class="noteref"><a href="#footnote-1-b" id="noteref-1-b">1</a></sup> C<sup class="'
         'noteref"><a href="#footnote-1-c" id="noteref-1-c">1</a></sup> D<sup class="noteref"'
         '><a href="#footnote-1-d" id="noteref-1-d">1</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-polyref"><sup class="fn-backrefs">^ <a id="footnote-1'
         '-a" href="#noteref-1-a">a</a> <a id="footnote-1-b" href="#noteref-1-b">b</a> <a id='
         '"footnote-1-c" href="#noteref-1-c">c</a> <a id="footnote-1-d" href="#noteref-1-d">d'
         '</a></sup>\nmany\n</li>\n</ol>\n'),
        None),
    'footnotes: misref many': (
        'A[^u] B[^v] C[^u]\n',
        ('<p>A<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</a><'
         '/sup> B<sup class="noteref misref"><a href="#misreference-b" id="misref-b">misref</'
         'a></sup> C<sup class="noteref misref"><a href="#misreference-c" id="misref-c">misre'
         'f</a></sup></p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-misreference"><sup class="fn-backrefs">^ <a i'
         'd="misreference-a" href="#misref-a">a</a> <a id="misreference-b" href="#misref-b">b'
         '</a> <a id="misreference-c" href="#misref-c">c</a></sup>\n'
         '<span>Misreference</span>\n</li>\n</ol>\n'),
        None),
    'footnotes: mixed undef unref': (
        'A[^x] B[^y] C(^z)\n\n[^y]: y\n[^w]: w unref\n[^v]: v unref\n',
        ('<p>A<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</a><'
         '/sup> B<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> C<'
         'sup class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\ny\n</li>\n'
         '<li id="footnote-2" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-2-a'
         '" href="#noteref-2-a">^</a></sup>\nz\n</li>\n'
         '<li class="fn-misreference"><sup class="fn-backrefs"><a id="misreference-a" href="#'
         'misref-a">^</a></sup>\n<span>Misreference</span>\n'
         '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>w</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">w unref</code></pre>\n'
         '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>v</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">v unref</code></pre>\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: multiline def': (
        'X[^m]\n\n[^m]: first line\n  second line\n  third\n\nafter para\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p>\n'
         '\n<p>after para</p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         'first line\nsecond line\nthird\n</li>\n'
         '</ol>\n'),
        None),
    'footnotes: nested': (
        'X[^outer]\n\n[^outer]: outer refs[^inner] and (^inline inside)\n[^inner]: inner note\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\nouter refs<sup class="noteref"><a href="#footnot'
         'e-2-a" id="noteref-2-a">2</a></sup> and<sup class="noteref"><a href="#footnote-3-a"'
         ' id="noteref-3-a">3</a></sup>\n</li>\n<li id="footnote-2" class="fn-monoref"><sup c'
         'lass="fn-backrefs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'inner note\n</li>\n<li id="footnote-3" class="fn-monoref"><sup class="fn-backrefs">'
         '<a id="footnote-3-a" href="#noteref-3-a">^</a></sup>\n'
         'inline inside\n</li>\n</ol>\n'),
        None),
    'footnotes: numbering': (
        'B[^b] A[^a] B again[^b] C[^c]\n\n[^a]: note a\n[^b]: note b\n[^c]: note c\n',
        ('<p>B<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> A<sup'
         ' class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a></sup> B again<sup c'
         'lass="noteref"><a href="#footnote-1-b" id="noteref-1-b">1</a></sup> C<sup class="no'
         'teref"><a href="#footnote-3-a" id="noteref-3-a">3</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-polyref"><sup class="fn-backrefs">^ <a id="footnote-1'
         '-a" href="#noteref-1-a">a</a> <a id="footnote-1-b" href="#noteref-1-b">b</a></sup>\n'
         'note b\n</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'note a\n</li>\n<li id="footnote-3" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-3-a" href="#noteref-3-a">^</a></sup>\n'
         'note c\n</li>\n</ol>\n'),
        None),
    'footnotes: overnest': (
        'X(^a(^b(^c(^d(^e(^f)))))))\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup>)</p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\na<sup class="noteref"><a href="#footnote-2-a" id'
         '="noteref-2-a">2</a></sup>\n</li>\n<li id="footnote-2" class="fn-monoref"><sup clas'
         's="fn-backrefs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'b<sup class="noteref"><a href="#footnote-3-a" id="noteref-3-a">3</a></sup>\n'
         '</li>\n<li id="footnote-3" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-3-a" href="#noteref-3-a">^</a></sup>\n'
         'c<sup class="noteref"><a href="#footnote-4-a" id="noteref-4-a">4</a></sup>\n'
         '</li>\n<li id="footnote-4" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-4-a" href="#noteref-4-a">^</a></sup>\n'
         'd<sup class="noteref"><a href="#footnote-5-a" id="noteref-5-a">5</a></sup>\n'
         '</li>\n<li id="footnote-5" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-5-a" href="#noteref-5-a">^</a></sup>\n'
         'e<sup class="noteref"><a href="#footnote-6-a" id="noteref-6-a">6</a></sup>\n'
         '</li>\n<li id="footnote-6" class="fn-toodeep fn-monoref"><sup class="fn-backrefs"><'
         'a id="footnote-6-a" href="#noteref-6-a">^</a></sup>\n'
         '<i></i>\n<pre><code class="language-markdown">f</code></pre>\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: paren nested': (
        'X(^a (nested) paren) Y(^b [link](/x) c)\n',
        ('<p>X<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> Y<sup'
         ' class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a></sup></p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\na (nested) paren\n'
         '</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'b <a href="/x">link</a> c\n</li>\n</ol>\n'),
        None),
    'footnotes: span inline': (
        'A [fragment](^comment on it) here.\n',
        ('<p>A <span class="notescope" id="noteref-1-a">fragment<sup class="noteref"><a href='
         '"#footnote-1-a">1</a></sup></span> here.</p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\ncomment on it\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: span label': (
        'A [fragment][^lbl] and [Reuse][^].\n\n[^lbl]: labelled\n[^reuse]: reused label\n',
        ('<p>A <span class="notescope" id="noteref-1-a">fragment<sup class="noteref"><a href='
         '"#footnote-1-a">1</a></sup></span> and <span class="notescope" id="noteref-2-a">Reu'
         'se<sup class="noteref"><a href="#footnote-2-a">2</a></sup></span>.</p>\n'
         '\n<hr class="footnotes-separator" />\n<ol class="footnotes">\n'
         '<li id="footnote-1" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-1-a'
         '" href="#noteref-1-a">^</a></sup>\nlabelled\n'
         '</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'reused label\n</li>\n</ol>\n'),
        None),
    'footnotes: twelve': (
        ('w1[^n1] w2[^n2] w3[^n3] w4[^n4] w5[^n5] w6[^n6] w7[^n7] w8[^n8] w9[^n9] w10[^n10] w'
         '11[^n11] w12[^n12] \n\n[^n12]: note 12\n'
         '[^n11]: note 11\n[^n10]: note 10\n[^n9]: note 9\n'
         '[^n8]: note 8\n[^n7]: note 7\n[^n6]: note 6\n'
         '[^n5]: note 5\n[^n4]: note 4\n[^n3]: note 3\n'
         '[^n2]: note 2\n[^n1]: note 1\n'),
        ('<p>w1<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> w2<s'
         'up class="noteref"><a href="#footnote-2-a" id="noteref-2-a">2</a></sup> w3<sup clas'
         's="noteref"><a href="#footnote-3-a" id="noteref-3-a">3</a></sup> w4<sup class="note'
         'ref"><a href="#footnote-4-a" id="noteref-4-a">4</a></sup> w5<sup class="noteref"><a'
         ' href="#footnote-5-a" id="noteref-5-a">5</a></sup> w6<sup class="noteref"><a href="'
         '#footnote-6-a" id="noteref-6-a">6</a></sup> w7<sup class="noteref"><a href="#footno'
         'te-7-a" id="noteref-7-a">7</a></sup> w8<sup class="noteref"><a href="#footnote-8-a"'
         ' id="noteref-8-a">8</a></sup> w9<sup class="noteref"><a href="#footnote-9-a" id="no'
         'teref-9-a">9</a></sup> w10<sup class="noteref"><a href="#footnote-10-a" id="noteref'
         '-10-a">10</a></sup> w11<sup class="noteref"><a href="#footnote-11-a" id="noteref-11'
         '-a">11</a></sup> w12<sup class="noteref"><a href="#footnote-12-a" id="noteref-12-a"'
         '>12</a></sup> </p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         'note 1\n</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-2-a" href="#noteref-2-a">^</a></sup>\n'
         'note 2\n</li>\n<li id="footnote-3" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-3-a" href="#noteref-3-a">^</a></sup>\n'
         'note 3\n</li>\n<li id="footnote-4" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-4-a" href="#noteref-4-a">^</a></sup>\n'
         'note 4\n</li>\n<li id="footnote-5" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-5-a" href="#noteref-5-a">^</a></sup>\n'
         'note 5\n</li>\n<li id="footnote-6" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-6-a" href="#noteref-6-a">^</a></sup>\n'
         'note 6\n</li>\n<li id="footnote-7" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-7-a" href="#noteref-7-a">^</a></sup>\n'
         'note 7\n</li>\n<li id="footnote-8" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-8-a" href="#noteref-8-a">^</a></sup>\n'
         'note 8\n</li>\n<li id="footnote-9" class="fn-monoref"><sup class="fn-backrefs"><a i'
         'd="footnote-9-a" href="#noteref-9-a">^</a></sup>\n'
         'note 9\n</li>\n<li id="footnote-10" class="fn-monoref"><sup class="fn-backrefs"><a '
         'id="footnote-10-a" href="#noteref-10-a">^</a></sup>\n'
         'note 10\n</li>\n<li id="footnote-11" class="fn-monoref"><sup class="fn-backrefs"><a'
         ' id="footnote-11-a" href="#noteref-11-a">^</a></sup>\n'
         'note 11\n</li>\n<li id="footnote-12" class="fn-monoref"><sup class="fn-backrefs"><a'
         ' id="footnote-12-a" href="#noteref-12-a">^</a></sup>\n'
         'note 12\n</li>\n</ol>\n'),
        None),
    'footnotes: undefined': (
        'Text[^nope] here.\n',
        ('<p>Text<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</'
         'a></sup> here.</p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-misreference"><sup class="fn-backrefs"><a id='
         '"misreference-a" href="#misref-a">^</a></sup>\n'
         '<span>Misreference</span>\n</li>\n</ol>\n'),
        None),
    'footnotes: unicode': (
        'X[^ünï] Y(^😀)\n\n[^ÜNÏ]: unicode\n',
        ('<p>X<sup class="noteref misref"><a href="#misreference-a" id="misref-a">misref</a><'
         '/sup> Y<sup class="noteref"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup></p'
         '>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         '😀\n</li>\n<li class="fn-misreference"><sup class="fn-backrefs"><a id="misreference-'
         'a" href="#misref-a">^</a></sup>\n<span>Misreference</span>\n'
         '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>ÜnÏ</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">unicode</code></pre>\n'
         '</li>\n</ol>\n'),
        None),
    'footnotes: unreferenced': (
        'Text.\n\n[^a]: never used\n',
        ('<p>Text.</p>\n\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li class="fn-unreferenced">\n'
         '[^&nbsp;<code>a</code>&nbsp;]<i></i>\n<pre><code class="language-markdown">never us'
         'ed</code></pre>\n</li>\n</ol>\n'),
        None),
    "fossil's footnotes test document": (
        ('\nMarkdown Footnotes Test Document\n================================\n'
         '\n**This document** should help with testing of footnotes support that\n'
         'is introduced by the ["`markdown-footnotes`"][branch] branch.\n'
         'It **might look pretty misformatted unless rendered by the proper Fossil\n'
         'executable** that incorporates the abovementioned branch.[^1]  \n'
         'That is also a humble attempt to explore the robustness of the Markdown parser.\n'
         'So please excuse for the mess in the [source code of this document][src].\n'
         'By no means the normal use of footnotes should look that scarry.\n'
         '\nDevelopers are invited to add test cases here[^here].\n'
         'It is suggested that the more simple is a test case the earlier it should\n'
         'appear in this document.[^ if glitch occurs\t]\n'
         '\n\n[^lost3]: This note was defined at the begining of the document.\n'
         '\n[^duplicate]: This came from the begining of the document.\n'
         "\nA footnote's label should be case insensitive[^ case INSENSITIVE ],\n"
         'it is whitespace-savvy and can even contain newlines.[^ a\n'
         'multiline\nlabel]\n\nA labeled footnote may be [referenced several times][^many-ref'
         "s].\n\nA footnote's text should support Markdown [markup][^].  \n"
         'Markup within [a [text fragment](https://en.wikipedia.org/wiki/Lorem_ipsum)\n'
         'of a *span-bounded footnote*][^markup] should also be rendered.\n'
         '\nAnother reference[^many-refs] to the preveously used footnote.\n'
         '\n[^lost2]: This note was defined in the middle of the document.\n'
         '   It references [its previous][^lost3] \n'
         '   and [the forthcoming][^lost1] siblings.\n'
         '\n[^i am strayed]:\n  This should be presented **verbatim** (without any [markup][^'
         '])\n  in the end of the footnotes.\n  \n'
         '  Default skin renders label in red font and the main text in gray.\n'
         '  Other styling may also apply.\n\nInline footnotes are supported.(^These may be us'
         'efull for adding\n<s>small</s> comments.)\n'
         '\nThis is a corner case that is rendered as [an empty footnote](^  []  ()).\n'
         '\nIf [undefined label is used][^] then red "`misref`" is emited instead of\n'
         'a numeric marker.[^ see it yourself ]\n'
         'This can be overridden by the skin though.\n'
         '\nThe refenrence at the end of this sentence is the sole reason of\n'
         'rendering of <s>`lost1` and</s> [lost2][^].\n'
         '\nIf several labeled footnote definitions have the same equal label then texts\n'
         'from all these definitions are joined.[^duplicate]\n'
         '\nSeveral references should be recognized as several distinct numbers.\n'
         '(^There should be an interval between numbers.) [^many-refs]\n'
         '\nIf markup is ambigous between a span-bounded footnote and\n'
         'a "free-standing" footnote followed by another footnote\n'
         'then interpret as the later case.\nThis facilitates the usage in the usual case\n'
         'when several footnotes are refenrenced at the end\n'
         'of a phrase.[^scipub][^many-refs](^All these four should\n'
         'be parsed as "free-standing" footnotes)[^Coelurosauria]\n'
         '\nAn ambiguity between a link to an image and a *free-standing referenced\n'
         'footnote* should be resolved as a footnote![^not-image]\n'
         '\nA footnote may not be empty(^)\nor consist just of blank characters.(^        \n'
         '              )\n\nThe same holds for labeled footnotes. If definition of a labeled'
         ' footnote\nis blank then it is not accepted by the first pass of the parser and\n'
         'is recognized during the second pass as misreference.\n'
         '[^ This definition consists of just blanks ]:     \n'
         '     \n     \n<style>\n  li.fn-upc-example span.fn-upc {\n'
         '    border: solid 2px lightgreen;\n    border-radius: 0.25em;\n'
         '    padding-left: 2px;\n    padding-right: 2px;\n'
         '    margin-bottom: 0.2em;\n  }\n  li.fn-upc-example span.fn-upcDot:first-child {\n'
         '    font-weight: bold;\n  }\n  sup.noteref.fn-upc-example,\n'
         '  span.notescope.fn-upc-example sup.noteref {\n'
         '    border: solid 2px lightgreen;\n[^duplicate]:\n'
         '      Labeled footnote definition may appear anywhere.\n'
         '      That part came from inside of an inline style definition.\n'
         '    border-radius: 0.4em;\n    padding: 2px;\n'
         '  }\n  sup.noteref.fn-upc-example::after,\n'
         '  span.notescope.fn-upc-example sup.noteref::after {\n'
         '    content: " ⛄";\n  }\n  sup.noteref.fn-upc-example:hover::after,\n'
         '  span.notescope.fn-upc-example sup.noteref:hover::after {\n'
         '    content: " 👻";\n  }\n  li.fn-upc-l span.fn-upc  {\n'
         '    font-size: 60%;\n    color: orange;\n'
         '  }\n  li.fn-upc-l span.fn-upc span.fn-upcDot {\n'
         '    display: none;\n  }\n</style>\n\nIt is possible to provide a list of classes fo'
         'r a particular footnote and\nall its references. This is achieved by prepending a f'
         "ootnote's text with\na special token that starts with dot and ends with colon.\n"
         '(^\n   .alpha-Numeric123.EXAMPLE:\n   This token defines a dot-separated list of CS'
         'S classes\n   which are added to that particular footnote and also to the\n'
         "   corresponding reference(s). Hypens ('-') are also allowed.\n"
         '   Classes from the token are tranformed to lowercase and are prepended\n'
         '   with `"fn-upc-"` to avoid collisions.\n'
         ')  \nThis feature is "*opt-in*": there is nothing wrong in starting a footnote\'s\n'
         'text with a token of that form while not defining any corresponding classes\n'
         'in the stylesheet.[^nostyle]\nIf a footnote consists just of a valid userclass toke'
         'n then this token\nis not interpreted as such, instead it is emitted as plain text.'
         '\n(^  \n   .bare.classlist.inside.inline.footnote:  \n'
         ')[^bare1]\n[^bare2]\n\n[^duplicate]: .with.UPC.token:   \n'
         '   When duplicates are joined their UPC tokens are treated as plain-text.\n'
         '   Blank characters between token and main text must be preserved.\n'
         '\n<html>\n  Click\n  <a href="?a=B&quote=\'&nonASCII=😂&script=<script>alert(\'Broke'
         'n!\');</script>">\n  here</a> and\n  <a href=\'?a=B&quote="&nonASCII=😂&script=<scri'
         'pt>alert("Broken!");</script>\'>\n  here</a>\n'
         '  to test escaping of REQUEST_URI in the generated footnote markers.\n'
         '</html>\n\nA depth of nesting must be limited.\n'
         '(^\n .L.1: A long chain of nested inline footnotes...\n'
         ' (^\n  .L.2: is a rather unusual thing...\n'
         '  (^\n   .L.3: and requires extra CPU cycles for processing.\n'
         '   (^\n    .L.4: Theoretically speaking O(n<sup>2</sup>).\n'
         '    (^\n     .L.5: Thus it is worth dismissing those footnotes...\n'
         '     (^\n      .L.6: that are nested deeper than on a certain level.\n'
         '      (^\n       .L.7: A particular value for that limit...\n'
         '       (^\n        is hard-coded in src/markdown.c ...\n'
         '        (^\n         in function `markdown()` ...\n'
         '         (^\n          in variable named `maxDepth`.\n'
         '          (^\n           For the time being, its value is **5**\n'
         '          )\n         )\n        )\n       )\n'
         '      )\n     )\n    )\n   )\n  )\n )\n'
         ')\n\n## Footnotes\n\n[branch]: /timeline?r=markdown-footnotes&nowiki\n'
         '\n[^ 1]:  Footnotes is a Fossil extension of\n'
         '        Markdown. Your other tools may have limited support for these.\n'
         '\n[^here]: [History of test/markdown-test3.md](/finfo/test/markdown-test3.md)\n'
         '\n[src]: /file/test/markdown-test3.md?ci=markdown-footnotes&txt&ln\n'
         '\n[^if glitch occurs]:\n        So that simple cases are processed even if\n'
         '        a glitch happens for more tricky cases.\n'
         '\n[^\tCASE\t insensitive  \t]: And also tolerate whitespaces.\n'
         "\n[^ a multiline label ]: But at a footnote's definition it should still\n"
         '    be written within square brackets\n'
         '             on a single line.\n\n[^duplicate]: And that came from the end of the d'
         'ocument.\n\n[^many-refs]:\n   Each letter on the left is a back-reference to the pl'
         'ace of use.\n   Highlighted back-reference indicates a place from which navigation\n'
         '   occurred[^lost1].\n\n[^lost1]: This note was defined at the end of the document.'
         '\n   It defines an inline note.\n   \n   (^This is inline note defined inside of [a'
         ' labeled note][^lost1].)\n\n[^markup]:   E.g. *emphasis*, and [so on](/md_rules).\n'
         '   BTW, this note may not have a backreference to the "stray".\n'
         '\n[^undefined label is used]: For example due to a typo.\n'
         '\n[^not-image]: The rationale is that URLs do not start with **^**\n'
         '  while a footnote may follow *immediately* after an exclamation mark\n'
         '  at the end of a sentence.\n\n[^another stray]: Just to verify the correctness of '
         'ordering and styling.\n\n[^scipub]: Which is common in the scientific publications.'
         '\n\n[^bare1]:  .at.the.1st.line.of.labeled.footnote.definition:\n'
         '     \n\n[^bare2]:  \n           .at.the.2nd.line.of.labeled.footnote.definition:\n'
         '           \n[^stray with UPC]: .UPC-token:\n'
         '    A token of user-provided classes must be rendered within strays.\n'
         '    Aslo: this and the previous line may not have extra indentation.\n'
         '\n[^nostyle]:\n  .unused.classes:\n  In that case text of the footnote just looks l'
         'ike as if\n  no special processing occured.\n'
         '\n\n[^ <script>alert("You have been pwned!");</script> ]: Labels are escaped\n'
         '\n[^ <textarea>"Last words here...\' ]:\n'
         '  <textarea>Content is also escaped</textarea>\n'),
        ('<h1>Markdown Footnotes Test Document</h1>\n'
         '<p><strong>This document</strong> should help with testing of footnotes support tha'
         't\nis introduced by the <a href="/timeline?r=markdown-footnotes&amp;nowiki">"<code>'
         'markdown-footnotes</code>"</a> branch.\n'
         'It <strong>might look pretty misformatted unless rendered by the proper Fossil\n'
         'executable</strong> that incorporates the abovementioned branch.<sup class="noteref'
         '"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> <br />\n'
         'That is also a humble attempt to explore the robustness of the Markdown parser.\n'
         'So please excuse for the mess in the <a href="/file/test/markdown-test3.md?ci=markd'
         'own-footnotes&amp;txt&amp;ln">source code of this document</a>.\n'
         'By no means the normal use of footnotes should look that scarry.</p>\n'
         '\n<p>Developers are invited to add test cases here<sup class="noteref"><a href="#fo'
         'otnote-2-a" id="noteref-2-a">2</a></sup>.\n'
         'It is suggested that the more simple is a test case the earlier it should\n'
         'appear in this document.<sup class="noteref"><a href="#footnote-3-a" id="noteref-3-'
         'a">3</a></sup></p>\n\n<p>A footnote\'s label should be case insensitive<sup class="'
         'noteref"><a href="#footnote-4-a" id="noteref-4-a">4</a></sup>,\n'
         'it is whitespace-savvy and can even contain newlines.<sup class="noteref"><a href="'
         '#footnote-5-a" id="noteref-5-a">5</a></sup></p>\n'
         '\n<p>A labeled footnote may be <span class="notescope" id="noteref-6-a">referenced '
         'several times<sup class="noteref"><a href="#footnote-6-a">6</a></sup></span>.</p>\n'
         '\n<p>A footnote\'s text should support Markdown <span class="notescope" id="noteref'
         '-7-a">markup<sup class="noteref"><a href="#footnote-7-a">7</a></sup></span>. <br />'
         '\nMarkup within <span class="notescope" id="noteref-7-b">a <a href="https://en.wiki'
         'pedia.org/wiki/Lorem_ipsum">text fragment</a>\n'
         'of a <em>span-bounded footnote</em><sup class="noteref"><a href="#footnote-7-b">7</'
         'a></sup></span> should also be rendered.</p>\n'
         '\n<p>Another reference<sup class="noteref"><a href="#footnote-6-b" id="noteref-6-b"'
         '>6</a></sup> to the preveously used footnote.</p>\n'
         '\n<p>Inline footnotes are supported.<sup class="noteref"><a href="#footnote-8-a" id'
         '="noteref-8-a">8</a></sup></p>\n\n<p>This is a corner case that is rendered as <spa'
         'n class="notescope" id="noteref-9-a">an empty footnote<sup class="noteref"><a href='
         '"#footnote-9-a">9</a></sup></span>.</p>\n'
         '\n<p>If <span class="notescope" id="noteref-10-a">undefined label is used<sup class'
         '="noteref"><a href="#footnote-10-a">10</a></sup></span> then red "<code>misref</cod'
         'e>" is emited instead of\na numeric marker.<sup class="noteref misref"><a href="#mi'
         'sreference-a" id="misref-a">misref</a></sup>\n'
         'This can be overridden by the skin though.</p>\n'
         '\n<p>The refenrence at the end of this sentence is the sole reason of\n'
         'rendering of <s><code>lost1</code> and</s> <span class="notescope" id="noteref-11-a'
         '">lost2<sup class="noteref"><a href="#footnote-11-a">11</a></sup></span>.</p>\n'
         '\n<p>If several labeled footnote definitions have the same equal label then texts\n'
         'from all these definitions are joined.<sup class="noteref"><a href="#footnote-12-a"'
         ' id="noteref-12-a">12</a></sup></p>\n\n'
         '<p>Several references should be recognized as several distinct numbers.<sup class="'
         'noteref"><a href="#footnote-13-a" id="noteref-13-a">13</a></sup><sup class="noteref'
         '"><a href="#footnote-6-c" id="noteref-6-c">6</a></sup></p>\n'
         '\n<p>If markup is ambigous between a span-bounded footnote and\n'
         'a "free-standing" footnote followed by another footnote\n'
         'then interpret as the later case.\nThis facilitates the usage in the usual case\n'
         'when several footnotes are refenrenced at the end\n'
         'of a phrase.<sup class="noteref"><a href="#footnote-14-a" id="noteref-14-a">14</a><'
         '/sup><sup class="noteref"><a href="#footnote-6-d" id="noteref-6-d">6</a></sup><sup '
         'class="noteref"><a href="#footnote-15-a" id="noteref-15-a">15</a></sup><sup class="'
         'noteref misref"><a href="#misreference-b" id="misref-b">misref</a></sup></p>\n'
         '\n<p>An ambiguity between a link to an image and a <em>free-standing referenced\n'
         'footnote</em> should be resolved as a footnote!<sup class="noteref"><a href="#footn'
         'ote-16-a" id="noteref-16-a">16</a></sup></p>\n'
         '\n<p>A footnote may not be empty(^)\nor consist just of blank characters.(^       <'
         'br />\n              )</p>\n\n<p>The same holds for labeled footnotes. If definitio'
         'n of a labeled footnote\nis blank then it is not accepted by the first pass of the '
         'parser and\nis recognized during the second pass as misreference.<sup class="notere'
         'f misref"><a href="#misreference-c" id="misref-c">misref</a></sup>:     </p>\n'
         "\n<p><span class='error'>&lt;style&gt;</span>\n"
         '  li.fn-upc-example span.fn-upc {\n    border: solid 2px lightgreen;\n'
         '    border-radius: 0.25em;\n    padding-left: 2px;\n'
         '    padding-right: 2px;\n    margin-bottom: 0.2em;\n'
         '  }\n  li.fn-upc-example span.fn-upcDot:first-child {\n'
         '    font-weight: bold;\n  }\n  sup.noteref.fn-upc-example,\n'
         '  span.notescope.fn-upc-example sup.noteref {\n'
         '    border: solid 2px lightgreen;\n    border-radius: 0.4em;\n'
         '    padding: 2px;\n  }\n  sup.noteref.fn-upc-example::after,\n'
         '  span.notescope.fn-upc-example sup.noteref::after {\n'
         '    content: " ⛄";\n  }\n  sup.noteref.fn-upc-example:hover::after,\n'
         '  span.notescope.fn-upc-example sup.noteref:hover::after {\n'
         '    content: " 👻";\n  }\n  li.fn-upc-l span.fn-upc  {\n'
         '    font-size: 60%;\n    color: orange;\n'
         '  }\n  li.fn-upc-l span.fn-upc span.fn-upcDot {\n'
         "    display: none;\n  }\n<span class='error'>&lt;/style&gt;</span></p>\n"
         '\n<p>It is possible to provide a list of classes for a particular footnote and\n'
         "all its references. This is achieved by prepending a footnote's text with\n"
         'a special token that starts with dot and ends with colon.<sup class="fn-upc-alpha-n'
         'umeric123 fn-upc-example noteref"><a href="#footnote-17-a" id="noteref-17-a">17</a>'
         '</sup> <br />\nThis feature is "<em>opt-in</em>": there is nothing wrong in startin'
         "g a footnote's\ntext with a token of that form while not defining any corresponding"
         ' classes\nin the stylesheet.<sup class="fn-upc-unused fn-upc-classes noteref"><a hr'
         'ef="#footnote-18-a" id="noteref-18-a">18</a></sup>\n'
         'If a footnote consists just of a valid userclass token then this token\n'
         'is not interpreted as such, instead it is emitted as plain text.<sup class="noteref'
         '"><a href="#footnote-19-a" id="noteref-19-a">19</a></sup><sup class="noteref"><a hr'
         'ef="#footnote-20-a" id="noteref-20-a">20</a></sup><sup class="noteref"><a href="#fo'
         'otnote-21-a" id="noteref-21-a">21</a></sup></p>\n'
         '\nClick\n  <a href="?a=B&quote=\'&nonASCII=😂&script=&lt;script>alert(\'Broken!\');&'
         'lt;/script>">\n  here</a> and\n  <a href="?a=B&quote=&quot;&nonASCII=😂&script=&lt;s'
         'cript>alert(&quot;Broken!&quot;);&lt;/script>">\n'
         '  here</a>\n  to test escaping of REQUEST_URI in the generated footnote markers.\n'
         '\n<p>A depth of nesting must be limited.<sup class="fn-upc-l fn-upc-1 noteref"><a h'
         'ref="#footnote-22-a" id="noteref-22-a">22</a></sup></p>\n'
         '\n<h2>Footnotes</h2>\n<hr class="footnotes-separator" />\n'
         '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
         'Footnotes is a Fossil extension of\nMarkdown. Your other tools may have limited sup'
         'port for these.\n</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backr'
         'efs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\n'
         '<a href="/finfo/test/markdown-test3.md">History of test/markdown-test3.md</a>\n'
         '</li>\n<li id="footnote-3" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-3-a" href="#noteref-3-a">^</a></sup>\n'
         'So that simple cases are processed even if\n'
         'a glitch happens for more tricky cases.\n'
         '</li>\n<li id="footnote-4" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-4-a" href="#noteref-4-a">^</a></sup>\n'
         'And also tolerate whitespaces.\n</li>\n'
         '<li id="footnote-5" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-5-a'
         '" href="#noteref-5-a">^</a></sup>\nBut at a footnote\'s definition it should still\n'
         'be written within square brackets\n         on a single line.\n'
         '</li>\n<li id="footnote-6" class="fn-polyref"><sup class="fn-backrefs">^ <a id="foo'
         'tnote-6-a" href="#noteref-6-a">a</a> <a id="footnote-6-b" href="#noteref-6-b">b</a>'
         ' <a id="footnote-6-c" href="#noteref-6-c">c</a> <a id="footnote-6-d" href="#noteref'
         '-6-d">d</a></sup>\nEach letter on the left is a back-reference to the place of use.'
         '\nHighlighted back-reference indicates a place from which navigation\n'
         'occurred<sup class="noteref"><a href="#footnote-23-a" id="noteref-23-a">23</a></sup'
         '>.\n</li>\n<li id="footnote-7" class="fn-polyref"><sup class="fn-backrefs">^ <a id='
         '"footnote-7-a" href="#noteref-7-a">a</a> <a id="footnote-7-b" href="#noteref-7-b">b'
         '</a></sup>\nE.g. <em>emphasis</em>, and <a href="/md_rules">so on</a>.\n'
         'BTW, this note may not have a backreference to the "stray".\n'
         '</li>\n<li id="footnote-8" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-8-a" href="#noteref-8-a">^</a></sup>\n'
         'These may be usefull for adding\n<s>small</s> comments.\n'
         '</li>\n<li id="footnote-9" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
         'ote-9-a" href="#noteref-9-a">^</a></sup>\n'
         '\n</li>\n<li id="footnote-10" class="fn-monoref"><sup class="fn-backrefs"><a id="fo'
         'otnote-10-a" href="#noteref-10-a">^</a></sup>\n'
         'For example due to a typo.\n</li>\n<li id="footnote-11" class="fn-monoref"><sup cla'
         'ss="fn-backrefs"><a id="footnote-11-a" href="#noteref-11-a">^</a></sup>\n'
         'This note was defined in the middle of the document.\n'
         'It references <span class="notescope" id="noteref-24-a">its previous<sup class="not'
         'eref"><a href="#footnote-24-a">24</a></sup></span> \n'
         'and <span class="notescope" id="noteref-23-b">the forthcoming<sup class="noteref"><'
         'a href="#footnote-23-b">23</a></sup></span> siblings.\n'
         '</li>\n<li id="footnote-12" class="fn-joined fn-monoref"><sup class="fn-backrefs"><'
         'a id="footnote-12-a" href="#noteref-12-a">^</a></sup>\n'
         '<sup class="fn-joined"></sup><ul>\n<li>This came from the begining of the document.'
         '</li>\n<li>Labeled footnote definition may appear anywhere.\n'
         'That part came from inside of an inline style definition.</li>\n'
         '<li>.with.UPC.token:  <br />\nWhen duplicates are joined their UPC tokens are treat'
         'ed as plain-text.\nBlank characters between token and main text must be preserved.<'
         '/li>\n<li>And that came from the end of the document.</li>\n'
         '</ul>\n\n</li>\n<li id="footnote-13" class="fn-monoref"><sup class="fn-backrefs"><a'
         ' id="footnote-13-a" href="#noteref-13-a">^</a></sup>\n'
         'There should be an interval between numbers.\n'
         '</li>\n<li id="footnote-14" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
         'note-14-a" href="#noteref-14-a">^</a></sup>\n'
         'Which is common in the scientific publications.\n'
         '</li>\n<li id="footnote-15" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
         'note-15-a" href="#noteref-15-a">^</a></sup>\n'
         'All these four should\nbe parsed as "free-standing" footnotes\n'
         '</li>\n<li id="footnote-16" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
         'note-16-a" href="#noteref-16-a">^</a></sup>\n'
         'The rationale is that URLs do not start with <strong>^</strong>\n'
         'while a footnote may follow <em>immediately</em> after an exclamation mark\n'
         'at the end of a sentence.\n</li>\n<li id="footnote-17" class="fn-upc-alpha-numeric1'
         '23 fn-upc-example fn-monoref"><sup class="fn-backrefs"><a id="footnote-17-a" href="'
         '#noteref-17-a">^</a></sup>\n<span class="fn-upc"><span class="fn-upcDot">.</span><s'
         'pan class="fn-upc-alpha-numeric123">alpha-Numeric123</span><span class="fn-upcDot">'
         '.</span><span class="fn-upc-example">EXAMPLE</span><span class="fn-upcColon">:</spa'
         'n></span>\n\n   This token defines a dot-separated list of CSS classes\n'
         '   which are added to that particular footnote and also to the\n'
         "   corresponding reference(s). Hypens ('-') are also allowed.\n"
         '   Classes from the token are tranformed to lowercase and are prepended\n'
         '   with <code>"fn-upc-"</code> to avoid collisions.\n'
         '\n</li>\n<li id="footnote-18" class="fn-upc-unused fn-upc-classes fn-monoref"><sup '
         'class="fn-backrefs"><a id="footnote-18-a" href="#noteref-18-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-unused">un'
         'used</span><span class="fn-upcDot">.</span><span class="fn-upc-classes">classes</sp'
         'an><span class="fn-upcColon">:</span></span>\n'
         '\nIn that case text of the footnote just looks like as if\n'
         'no special processing occured.\n</li>\n'
         '<li id="footnote-19" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-19'
         '-a" href="#noteref-19-a">^</a></sup>\n.bare.classlist.inside.inline.footnote:\n'
         '</li>\n<li id="footnote-20" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
         'note-20-a" href="#noteref-20-a">^</a></sup>\n'
         '.at.the.1st.line.of.labeled.footnote.definition:\n'
         '</li>\n<li id="footnote-21" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
         'note-21-a" href="#noteref-21-a">^</a></sup>\n'
         '.at.the.2nd.line.of.labeled.footnote.definition:\n'
         '</li>\n<li id="footnote-22" class="fn-upc-l fn-upc-1 fn-monoref"><sup class="fn-bac'
         'krefs"><a id="footnote-22-a" href="#noteref-22-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
         '><span class="fn-upcDot">.</span><span class="fn-upc-1">1</span><span class="fn-upc'
         'Colon">:</span></span>\n A long chain of nested inline footnotes...<sup class="fn-u'
         'pc-l fn-upc-2 noteref"><a href="#footnote-25-a" id="noteref-25-a">25</a></sup>\n'
         '\n</li>\n<li id="footnote-23" class="fn-polyref"><sup class="fn-backrefs">^ <a id="'
         'footnote-23-a" href="#noteref-23-a">a</a> <a id="footnote-23-b" href="#noteref-23-b'
         '">b</a> <a id="footnote-23-c" href="#noteref-23-c">c</a></sup>\n'
         'This note was defined at the end of the document.\n'
         'It defines an inline note.<sup class="noteref"><a href="#footnote-26-a" id="noteref'
         '-26-a">26</a></sup>\n</li>\n<li id="footnote-24" class="fn-monoref"><sup class="fn-'
         'backrefs"><a id="footnote-24-a" href="#noteref-24-a">^</a></sup>\n'
         'This note was defined at the begining of the document.\n'
         '</li>\n<li id="footnote-25" class="fn-upc-l fn-upc-2 fn-monoref"><sup class="fn-bac'
         'krefs"><a id="footnote-25-a" href="#noteref-25-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
         '><span class="fn-upcDot">.</span><span class="fn-upc-2">2</span><span class="fn-upc'
         'Colon">:</span></span>\n is a rather unusual thing...<sup class="fn-upc-l fn-upc-3 '
         'noteref"><a href="#footnote-27-a" id="noteref-27-a">27</a></sup>\n'
         ' \n</li>\n<li id="footnote-26" class="fn-monoref"><sup class="fn-backrefs"><a id="f'
         'ootnote-26-a" href="#noteref-26-a">^</a></sup>\n'
         'This is inline note defined inside of <span class="notescope" id="noteref-23-c">a l'
         'abeled note<sup class="noteref"><a href="#footnote-23-c">23</a></sup></span>.\n'
         '</li>\n<li id="footnote-27" class="fn-upc-l fn-upc-3 fn-monoref"><sup class="fn-bac'
         'krefs"><a id="footnote-27-a" href="#noteref-27-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
         '><span class="fn-upcDot">.</span><span class="fn-upc-3">3</span><span class="fn-upc'
         'Colon">:</span></span>\n and requires extra CPU cycles for processing.<sup class="f'
         'n-upc-l fn-upc-4 noteref"><a href="#footnote-28-a" id="noteref-28-a">28</a></sup>\n'
         '  \n</li>\n<li id="footnote-28" class="fn-upc-l fn-upc-4 fn-monoref"><sup class="fn'
         '-backrefs"><a id="footnote-28-a" href="#noteref-28-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
         '><span class="fn-upcDot">.</span><span class="fn-upc-4">4</span><span class="fn-upc'
         'Colon">:</span></span>\n Theoretically speaking O(n<sup>2</sup>).<sup class="fn-upc'
         '-l fn-upc-5 noteref"><a href="#footnote-29-a" id="noteref-29-a">29</a></sup>\n'
         '   \n</li>\n<li id="footnote-29" class="fn-upc-l fn-upc-5 fn-monoref"><sup class="f'
         'n-backrefs"><a id="footnote-29-a" href="#noteref-29-a">^</a></sup>\n'
         '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
         '><span class="fn-upcDot">.</span><span class="fn-upc-5">5</span><span class="fn-upc'
         'Colon">:</span></span>\n Thus it is worth dismissing those footnotes...<sup class="'
         'fn-upc-l fn-upc-6 noteref"><a href="#footnote-30-a" id="noteref-30-a">30</a></sup>\n'
         '    \n</li>\n<li id="footnote-30" class="fn-toodeep fn-monoref"><sup class="fn-back'
         'refs"><a id="footnote-30-a" href="#noteref-30-a">^</a></sup>\n'
         '<i></i>\n<pre><code class="language-markdown">.L.6: that are nested deeper than on '
         'a certain level.\n      (^\n       .L.7: A particular value for that limit...\n'
         '       (^\n        is hard-coded in src/markdown.c ...\n'
         '        (^\n         in function `markdown()` ...\n'
         '         (^\n          in variable named `maxDepth`.\n'
         '          (^\n           For the time being, its value is **5**\n'
         '          )\n         )\n        )\n       )\n'
         '      )\n     </code></pre>\n</li>\n<li class="fn-misreference"><sup class="fn-back'
         'refs">^ <a id="misreference-a" href="#misref-a">a</a> <a id="misreference-b" href="'
         '#misref-b">b</a> <a id="misreference-c" href="#misref-c">c</a></sup>\n'
         '<span>Misreference</span>\n</li>\n<li class="fn-unreferenced">\n'
         '[^&nbsp;<code>i am strayed</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">This should be presented **verbatim** (without'
         ' any [markup][^])\nin the end of the footnotes.\n'
         '\nDefault skin renders label in red font and the main text in gray.\n'
         'Other styling may also apply.</code></pre>\n'
         '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>another stray</code>&nbsp;]<i></'
         'i>\n<pre><code class="language-markdown">Just to verify the correctness of ordering'
         ' and styling.</code></pre>\n</li>\n<li class="fn-unreferenced">\n'
         '[^&nbsp;<code>stray with upc</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">.UPC-token:\n'
         'A token of user-provided classes must be rendered within strays.\n'
         'Aslo: this and the previous line may not have extra indentation.</code></pre>\n'
         '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>&lt;script&gt;alert("you have be'
         'en pwned!");&lt;/script&gt;</code>&nbsp;]<i></i>\n'
         '<pre><code class="language-markdown">Labels are escaped</code></pre>\n'
         '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>&lt;textarea&gt;"last words here'
         '...\'</code>&nbsp;]<i></i>\n<pre><code class="language-markdown">&lt;textarea&gt;Co'
         'ntent is also escaped&lt;/textarea&gt;</code></pre>\n'
         '</li>\n</ol>\n'),
        (('<h1>Markdown Footnotes Test Document</h1>\n'
          '<p><strong>This document</strong> should help with testing of footnotes support tha'
          't\nis introduced by the <a href="/timeline?r=markdown-footnotes&amp;nowiki">"<code>'
          'markdown-footnotes</code>"</a> branch.\n'
          'It <strong>might look pretty misformatted unless rendered by the proper Fossil\n'
          'executable</strong> that incorporates the abovementioned branch.<sup class="noteref'
          '"><a href="#footnote-1-a" id="noteref-1-a">1</a></sup> <br />\n'
          'That is also a humble attempt to explore the robustness of the Markdown parser.\n'
          'So please excuse for the mess in the <a href="/file/test/markdown-test3.md?ci=markd'
          'own-footnotes&amp;txt&amp;ln">source code of this document</a>.\n'
          'By no means the normal use of footnotes should look that scarry.</p>\n'
          '\n<p>Developers are invited to add test cases here<sup class="noteref"><a href="#fo'
          'otnote-2-a" id="noteref-2-a">2</a></sup>.\n'
          'It is suggested that the more simple is a test case the earlier it should\n'
          'appear in this document.<sup class="noteref"><a href="#footnote-3-a" id="noteref-3-'
          'a">3</a></sup></p>\n\n<p>A footnote\'s label should be case insensitive<sup class="'
          'noteref"><a href="#footnote-4-a" id="noteref-4-a">4</a></sup>,\n'
          'it is whitespace-savvy and can even contain newlines.<sup class="noteref"><a href="'
          '#footnote-5-a" id="noteref-5-a">5</a></sup></p>\n'
          '\n<p>A labeled footnote may be <span class="notescope" id="noteref-6-a">referenced '
          'several times<sup class="noteref"><a href="#footnote-6-a">6</a></sup></span>.</p>\n'
          '\n<p>A footnote\'s text should support Markdown <span class="notescope" id="noteref'
          '-7-a">markup<sup class="noteref"><a href="#footnote-7-a">7</a></sup></span>. <br />'
          '\nMarkup within <span class="notescope" id="noteref-7-b">a <a href="https://en.wiki'
          'pedia.org/wiki/Lorem_ipsum">text fragment</a>\n'
          'of a <em>span-bounded footnote</em><sup class="noteref"><a href="#footnote-7-b">7</'
          'a></sup></span> should also be rendered.</p>\n'
          '\n<p>Another reference<sup class="noteref"><a href="#footnote-6-b" id="noteref-6-b"'
          '>6</a></sup> to the preveously used footnote.</p>\n'
          '\n<p>Inline footnotes are supported.<sup class="noteref"><a href="#footnote-8-a" id'
          '="noteref-8-a">8</a></sup></p>\n\n<p>This is a corner case that is rendered as <spa'
          'n class="notescope" id="noteref-9-a">an empty footnote<sup class="noteref"><a href='
          '"#footnote-9-a">9</a></sup></span>.</p>\n'
          '\n<p>If <span class="notescope" id="noteref-10-a">undefined label is used<sup class'
          '="noteref"><a href="#footnote-10-a">10</a></sup></span> then red "<code>misref</cod'
          'e>" is emited instead of\na numeric marker.<sup class="noteref misref"><a href="#mi'
          'sreference-a" id="misref-a">misref</a></sup>\n'
          'This can be overridden by the skin though.</p>\n'
          '\n<p>The refenrence at the end of this sentence is the sole reason of\n'
          'rendering of <s><code>lost1</code> and</s> <span class="notescope" id="noteref-11-a'
          '">lost2<sup class="noteref"><a href="#footnote-11-a">11</a></sup></span>.</p>\n'
          '\n<p>If several labeled footnote definitions have the same equal label then texts\n'
          'from all these definitions are joined.<sup class="noteref"><a href="#footnote-12-a"'
          ' id="noteref-12-a">12</a></sup></p>\n\n'
          '<p>Several references should be recognized as several distinct numbers.<sup class="'
          'noteref"><a href="#footnote-13-a" id="noteref-13-a">13</a></sup><sup class="noteref'
          '"><a href="#footnote-6-c" id="noteref-6-c">6</a></sup></p>\n'
          '\n<p>If markup is ambigous between a span-bounded footnote and\n'
          'a "free-standing" footnote followed by another footnote\n'
          'then interpret as the later case.\nThis facilitates the usage in the usual case\n'
          'when several footnotes are refenrenced at the end\n'
          'of a phrase.<sup class="noteref"><a href="#footnote-14-a" id="noteref-14-a">14</a><'
          '/sup><sup class="noteref"><a href="#footnote-6-d" id="noteref-6-d">6</a></sup><sup '
          'class="noteref"><a href="#footnote-15-a" id="noteref-15-a">15</a></sup><sup class="'
          'noteref misref"><a href="#misreference-b" id="misref-b">misref</a></sup></p>\n'
          '\n<p>An ambiguity between a link to an image and a <em>free-standing referenced\n'
          'footnote</em> should be resolved as a footnote!<sup class="noteref"><a href="#footn'
          'ote-16-a" id="noteref-16-a">16</a></sup></p>\n'
          '\n<p>A footnote may not be empty(^)\nor consist just of blank characters.(^       <'
          'br />\n              )</p>\n\n<p>The same holds for labeled footnotes. If definitio'
          'n of a labeled footnote\nis blank then it is not accepted by the first pass of the '
          'parser and\nis recognized during the second pass as misreference.<sup class="notere'
          'f misref"><a href="#misreference-c" id="misref-c">misref</a></sup>:     </p>\n'
          "\n<p><span class='error'>&lt;style&gt;</span>\n"
          '  li.fn-upc-example span.fn-upc {\n    border: solid 2px lightgreen;\n'
          '    border-radius: 0.25em;\n    padding-left: 2px;\n'
          '    padding-right: 2px;\n    margin-bottom: 0.2em;\n'
          '  }\n  li.fn-upc-example span.fn-upcDot:first-child {\n'
          '    font-weight: bold;\n  }\n  sup.noteref.fn-upc-example,\n'
          '  span.notescope.fn-upc-example sup.noteref {\n'
          '    border: solid 2px lightgreen;\n    border-radius: 0.4em;\n'
          '    padding: 2px;\n  }\n  sup.noteref.fn-upc-example::after,\n'
          '  span.notescope.fn-upc-example sup.noteref::after {\n'
          '    content: " ⛄";\n  }\n  sup.noteref.fn-upc-example:hover::after,\n'
          '  span.notescope.fn-upc-example sup.noteref:hover::after {\n'
          '    content: " 👻";\n  }\n  li.fn-upc-l span.fn-upc  {\n'
          '    font-size: 60%;\n    color: orange;\n'
          '  }\n  li.fn-upc-l span.fn-upc span.fn-upcDot {\n'
          "    display: none;\n  }\n<span class='error'>&lt;/style&gt;</span></p>\n"
          '\n<p>It is possible to provide a list of classes for a particular footnote and\n'
          "all its references. This is achieved by prepending a footnote's text with\n"
          'a special token that starts with dot and ends with colon.<sup class="fn-upc-alpha-n'
          'umeric123 fn-upc-example noteref"><a href="#footnote-17-a" id="noteref-17-a">17</a>'
          '</sup> <br />\nThis feature is "<em>opt-in</em>": there is nothing wrong in startin'
          "g a footnote's\ntext with a token of that form while not defining any corresponding"
          ' classes\nin the stylesheet.<sup class="fn-upc-unused fn-upc-classes noteref"><a hr'
          'ef="#footnote-18-a" id="noteref-18-a">18</a></sup>\n'
          'If a footnote consists just of a valid userclass token then this token\n'
          'is not interpreted as such, instead it is emitted as plain text.<sup class="noteref'
          '"><a href="#footnote-19-a" id="noteref-19-a">19</a></sup><sup class="noteref"><a hr'
          'ef="#footnote-20-a" id="noteref-20-a">20</a></sup><sup class="noteref"><a href="#fo'
          'otnote-21-a" id="noteref-21-a">21</a></sup></p>\n'
          '\nClick\n  <a href="?a=B&quote=\'&nonASCII=😂&script=<script>alert(\'Broken!\');</sc'
          'ript>">\n  here</a> and\n  <a href="?a=B&quote="&nonASCII=😂&script=<script>alert("B'
          'roken!");</script>">\n  here</a>\n  to test escaping of REQUEST_URI in the generate'
          'd footnote markers.\n\n<p>A depth of nesting must be limited.<sup class="fn-upc-l f'
          'n-upc-1 noteref"><a href="#footnote-22-a" id="noteref-22-a">22</a></sup></p>\n'
          '\n<h2>Footnotes</h2>\n<hr class="footnotes-separator" />\n'
          '<ol class="footnotes">\n<li id="footnote-1" class="fn-monoref"><sup class="fn-backr'
          'efs"><a id="footnote-1-a" href="#noteref-1-a">^</a></sup>\n'
          'Footnotes is a Fossil extension of\nMarkdown. Your other tools may have limited sup'
          'port for these.\n</li>\n<li id="footnote-2" class="fn-monoref"><sup class="fn-backr'
          'efs"><a id="footnote-2-a" href="#noteref-2-a">^</a></sup>\n'
          '<a href="/finfo/test/markdown-test3.md">History of test/markdown-test3.md</a>\n'
          '</li>\n<li id="footnote-3" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
          'ote-3-a" href="#noteref-3-a">^</a></sup>\n'
          'So that simple cases are processed even if\n'
          'a glitch happens for more tricky cases.\n'
          '</li>\n<li id="footnote-4" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
          'ote-4-a" href="#noteref-4-a">^</a></sup>\n'
          'And also tolerate whitespaces.\n</li>\n'
          '<li id="footnote-5" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-5-a'
          '" href="#noteref-5-a">^</a></sup>\nBut at a footnote\'s definition it should still\n'
          'be written within square brackets\n         on a single line.\n'
          '</li>\n<li id="footnote-6" class="fn-polyref"><sup class="fn-backrefs">^ <a id="foo'
          'tnote-6-a" href="#noteref-6-a">a</a> <a id="footnote-6-b" href="#noteref-6-b">b</a>'
          ' <a id="footnote-6-c" href="#noteref-6-c">c</a> <a id="footnote-6-d" href="#noteref'
          '-6-d">d</a></sup>\nEach letter on the left is a back-reference to the place of use.'
          '\nHighlighted back-reference indicates a place from which navigation\n'
          'occurred<sup class="noteref"><a href="#footnote-23-a" id="noteref-23-a">23</a></sup'
          '>.\n</li>\n<li id="footnote-7" class="fn-polyref"><sup class="fn-backrefs">^ <a id='
          '"footnote-7-a" href="#noteref-7-a">a</a> <a id="footnote-7-b" href="#noteref-7-b">b'
          '</a></sup>\nE.g. <em>emphasis</em>, and <a href="/md_rules">so on</a>.\n'
          'BTW, this note may not have a backreference to the "stray".\n'
          '</li>\n<li id="footnote-8" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
          'ote-8-a" href="#noteref-8-a">^</a></sup>\n'
          'These may be usefull for adding\n<s>small</s> comments.\n'
          '</li>\n<li id="footnote-9" class="fn-monoref"><sup class="fn-backrefs"><a id="footn'
          'ote-9-a" href="#noteref-9-a">^</a></sup>\n'
          '\n</li>\n<li id="footnote-10" class="fn-monoref"><sup class="fn-backrefs"><a id="fo'
          'otnote-10-a" href="#noteref-10-a">^</a></sup>\n'
          'For example due to a typo.\n</li>\n<li id="footnote-11" class="fn-monoref"><sup cla'
          'ss="fn-backrefs"><a id="footnote-11-a" href="#noteref-11-a">^</a></sup>\n'
          'This note was defined in the middle of the document.\n'
          'It references <span class="notescope" id="noteref-24-a">its previous<sup class="not'
          'eref"><a href="#footnote-24-a">24</a></sup></span> \n'
          'and <span class="notescope" id="noteref-23-b">the forthcoming<sup class="noteref"><'
          'a href="#footnote-23-b">23</a></sup></span> siblings.\n'
          '</li>\n<li id="footnote-12" class="fn-joined fn-monoref"><sup class="fn-backrefs"><'
          'a id="footnote-12-a" href="#noteref-12-a">^</a></sup>\n'
          '<sup class="fn-joined"></sup><ul>\n<li>This came from the begining of the document.'
          '</li>\n<li>Labeled footnote definition may appear anywhere.\n'
          'That part came from inside of an inline style definition.</li>\n'
          '<li>.with.UPC.token:  <br />\nWhen duplicates are joined their UPC tokens are treat'
          'ed as plain-text.\nBlank characters between token and main text must be preserved.<'
          '/li>\n<li>And that came from the end of the document.</li>\n'
          '</ul>\n\n</li>\n<li id="footnote-13" class="fn-monoref"><sup class="fn-backrefs"><a'
          ' id="footnote-13-a" href="#noteref-13-a">^</a></sup>\n'
          'There should be an interval between numbers.\n'
          '</li>\n<li id="footnote-14" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
          'note-14-a" href="#noteref-14-a">^</a></sup>\n'
          'Which is common in the scientific publications.\n'
          '</li>\n<li id="footnote-15" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
          'note-15-a" href="#noteref-15-a">^</a></sup>\n'
          'All these four should\nbe parsed as "free-standing" footnotes\n'
          '</li>\n<li id="footnote-16" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
          'note-16-a" href="#noteref-16-a">^</a></sup>\n'
          'The rationale is that URLs do not start with <strong>^</strong>\n'
          'while a footnote may follow <em>immediately</em> after an exclamation mark\n'
          'at the end of a sentence.\n</li>\n<li id="footnote-17" class="fn-upc-alpha-numeric1'
          '23 fn-upc-example fn-monoref"><sup class="fn-backrefs"><a id="footnote-17-a" href="'
          '#noteref-17-a">^</a></sup>\n<span class="fn-upc"><span class="fn-upcDot">.</span><s'
          'pan class="fn-upc-alpha-numeric123">alpha-Numeric123</span><span class="fn-upcDot">'
          '.</span><span class="fn-upc-example">EXAMPLE</span><span class="fn-upcColon">:</spa'
          'n></span>\n\n   This token defines a dot-separated list of CSS classes\n'
          '   which are added to that particular footnote and also to the\n'
          "   corresponding reference(s). Hypens ('-') are also allowed.\n"
          '   Classes from the token are tranformed to lowercase and are prepended\n'
          '   with <code>"fn-upc-"</code> to avoid collisions.\n'
          '\n</li>\n<li id="footnote-18" class="fn-upc-unused fn-upc-classes fn-monoref"><sup '
          'class="fn-backrefs"><a id="footnote-18-a" href="#noteref-18-a">^</a></sup>\n'
          '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-unused">un'
          'used</span><span class="fn-upcDot">.</span><span class="fn-upc-classes">classes</sp'
          'an><span class="fn-upcColon">:</span></span>\n'
          '\nIn that case text of the footnote just looks like as if\n'
          'no special processing occured.\n</li>\n'
          '<li id="footnote-19" class="fn-monoref"><sup class="fn-backrefs"><a id="footnote-19'
          '-a" href="#noteref-19-a">^</a></sup>\n.bare.classlist.inside.inline.footnote:\n'
          '</li>\n<li id="footnote-20" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
          'note-20-a" href="#noteref-20-a">^</a></sup>\n'
          '.at.the.1st.line.of.labeled.footnote.definition:\n'
          '</li>\n<li id="footnote-21" class="fn-monoref"><sup class="fn-backrefs"><a id="foot'
          'note-21-a" href="#noteref-21-a">^</a></sup>\n'
          '.at.the.2nd.line.of.labeled.footnote.definition:\n'
          '</li>\n<li id="footnote-22" class="fn-upc-l fn-upc-1 fn-monoref"><sup class="fn-bac'
          'krefs"><a id="footnote-22-a" href="#noteref-22-a">^</a></sup>\n'
          '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
          '><span class="fn-upcDot">.</span><span class="fn-upc-1">1</span><span class="fn-upc'
          'Colon">:</span></span>\n A long chain of nested inline footnotes...<sup class="fn-u'
          'pc-l fn-upc-2 noteref"><a href="#footnote-25-a" id="noteref-25-a">25</a></sup>\n'
          '\n</li>\n<li id="footnote-23" class="fn-polyref"><sup class="fn-backrefs">^ <a id="'
          'footnote-23-a" href="#noteref-23-a">a</a> <a id="footnote-23-b" href="#noteref-23-b'
          '">b</a> <a id="footnote-23-c" href="#noteref-23-c">c</a></sup>\n'
          'This note was defined at the end of the document.\n'
          'It defines an inline note.<sup class="noteref"><a href="#footnote-26-a" id="noteref'
          '-26-a">26</a></sup>\n</li>\n<li id="footnote-24" class="fn-monoref"><sup class="fn-'
          'backrefs"><a id="footnote-24-a" href="#noteref-24-a">^</a></sup>\n'
          'This note was defined at the begining of the document.\n'
          '</li>\n<li id="footnote-25" class="fn-upc-l fn-upc-2 fn-monoref"><sup class="fn-bac'
          'krefs"><a id="footnote-25-a" href="#noteref-25-a">^</a></sup>\n'
          '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
          '><span class="fn-upcDot">.</span><span class="fn-upc-2">2</span><span class="fn-upc'
          'Colon">:</span></span>\n is a rather unusual thing...<sup class="fn-upc-l fn-upc-3 '
          'noteref"><a href="#footnote-27-a" id="noteref-27-a">27</a></sup>\n'
          ' \n</li>\n<li id="footnote-26" class="fn-monoref"><sup class="fn-backrefs"><a id="f'
          'ootnote-26-a" href="#noteref-26-a">^</a></sup>\n'
          'This is inline note defined inside of <span class="notescope" id="noteref-23-c">a l'
          'abeled note<sup class="noteref"><a href="#footnote-23-c">23</a></sup></span>.\n'
          '</li>\n<li id="footnote-27" class="fn-upc-l fn-upc-3 fn-monoref"><sup class="fn-bac'
          'krefs"><a id="footnote-27-a" href="#noteref-27-a">^</a></sup>\n'
          '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
          '><span class="fn-upcDot">.</span><span class="fn-upc-3">3</span><span class="fn-upc'
          'Colon">:</span></span>\n and requires extra CPU cycles for processing.<sup class="f'
          'n-upc-l fn-upc-4 noteref"><a href="#footnote-28-a" id="noteref-28-a">28</a></sup>\n'
          '  \n</li>\n<li id="footnote-28" class="fn-upc-l fn-upc-4 fn-monoref"><sup class="fn'
          '-backrefs"><a id="footnote-28-a" href="#noteref-28-a">^</a></sup>\n'
          '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
          '><span class="fn-upcDot">.</span><span class="fn-upc-4">4</span><span class="fn-upc'
          'Colon">:</span></span>\n Theoretically speaking O(n<sup>2</sup>).<sup class="fn-upc'
          '-l fn-upc-5 noteref"><a href="#footnote-29-a" id="noteref-29-a">29</a></sup>\n'
          '   \n</li>\n<li id="footnote-29" class="fn-upc-l fn-upc-5 fn-monoref"><sup class="f'
          'n-backrefs"><a id="footnote-29-a" href="#noteref-29-a">^</a></sup>\n'
          '<span class="fn-upc"><span class="fn-upcDot">.</span><span class="fn-upc-l">L</span'
          '><span class="fn-upcDot">.</span><span class="fn-upc-5">5</span><span class="fn-upc'
          'Colon">:</span></span>\n Thus it is worth dismissing those footnotes...<sup class="'
          'fn-upc-l fn-upc-6 noteref"><a href="#footnote-30-a" id="noteref-30-a">30</a></sup>\n'
          '    \n</li>\n<li id="footnote-30" class="fn-toodeep fn-monoref"><sup class="fn-back'
          'refs"><a id="footnote-30-a" href="#noteref-30-a">^</a></sup>\n'
          '<i></i>\n<pre><code class="language-markdown">.L.6: that are nested deeper than on '
          'a certain level.\n      (^\n       .L.7: A particular value for that limit...\n'
          '       (^\n        is hard-coded in src/markdown.c ...\n'
          '        (^\n         in function `markdown()` ...\n'
          '         (^\n          in variable named `maxDepth`.\n'
          '          (^\n           For the time being, its value is **5**\n'
          '          )\n         )\n        )\n       )\n'
          '      )\n     </code></pre>\n</li>\n<li class="fn-misreference"><sup class="fn-back'
          'refs">^ <a id="misreference-a" href="#misref-a">a</a> <a id="misreference-b" href="'
          '#misref-b">b</a> <a id="misreference-c" href="#misref-c">c</a></sup>\n'
          '<span>Misreference</span>\n</li>\n<li class="fn-unreferenced">\n'
          '[^&nbsp;<code>i am strayed</code>&nbsp;]<i></i>\n'
          '<pre><code class="language-markdown">This should be presented **verbatim** (without'
          ' any [markup][^])\nin the end of the footnotes.\n'
          '\nDefault skin renders label in red font and the main text in gray.\n'
          'Other styling may also apply.</code></pre>\n'
          '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>another stray</code>&nbsp;]<i></'
          'i>\n<pre><code class="language-markdown">Just to verify the correctness of ordering'
          ' and styling.</code></pre>\n</li>\n<li class="fn-unreferenced">\n'
          '[^&nbsp;<code>stray with upc</code>&nbsp;]<i></i>\n'
          '<pre><code class="language-markdown">.UPC-token:\n'
          'A token of user-provided classes must be rendered within strays.\n'
          'Aslo: this and the previous line may not have extra indentation.</code></pre>\n'
          '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>&lt;script&gt;alert("you have be'
          'en pwned!");&lt;/script&gt;</code>&nbsp;]<i></i>\n'
          '<pre><code class="language-markdown">Labels are escaped</code></pre>\n'
          '</li>\n<li class="fn-unreferenced">\n[^&nbsp;<code>&lt;textarea&gt;"last words here'
          '...\'</code>&nbsp;]<i></i>\n<pre><code class="language-markdown">&lt;textarea&gt;Co'
          'ntent is also escaped&lt;/textarea&gt;</code></pre>\n'
          '</li>\n</ol>'),
         'attribute values are escaped')),
    'pikchr fence': (
        '```pikchr\nbox "hi"\narrow\n```\n',
        ('<!--NONCE-->\n'
         '<div class=\'pikchr-wrapper\'><div class="pikchr-svg" style="max-width:188px">\n'
         '<svg xmlns=\'http://www.w3.org/2000/svg\' class="pikchr" viewBox="0 0 188.64 76.32">\n'
         '<path d="M2.16,74.16L110.16,74.16L110.16,2.16L2.16,2.16Z"  style="fill:none;stroke-w'
         'idth:2.16;stroke:rgb(0,0,0);" />\n'
         '<text x="56.16" y="38.16" text-anchor="middle" fill="rgb(0,0,0)" dominant-baseline="'
         'central">hi</text>\n'
         '<polygon points="182.16,38.16 170.64,42.48 170.64,33.84" style="fill:rgb(0,0,0)"/>\n'
         '<path d="M110.16,38.16L176.4,38.16"  style="fill:none;stroke-width:2.16;stroke:rgb(0'
         ',0,0);" />\n'
         '</svg>\n'
         '</div>\n'
         "<pre class='pikchr-src'>box &quot;hi&quot;\n"
         'arrow\n'
         '</pre>\n'
         '</div>\n'
         '<!--NONCE-->\n'),
        None),
    'pikchr fence with classes and an error': (
        '```pikchr center toggle\nbox "a<b"\n```\n\n```pikchr\nbogus syntax ((\n```\n',
        ('<!--NONCE-->\n'
         '<div class=\'pikchr-wrapper center toggle\'><div class="pikchr-svg" style="max-width:1'
         '12px">\n'
         '<svg xmlns=\'http://www.w3.org/2000/svg\' class="pikchr" viewBox="0 0 112.32 76.32">\n'
         '<path d="M2.16,74.16L110.16,74.16L110.16,2.16L2.16,2.16Z"  style="fill:none;stroke-w'
         'idth:2.16;stroke:rgb(0,0,0);" />\n'
         '<text x="56.16" y="38.16" text-anchor="middle" fill="rgb(0,0,0)" dominant-baseline="'
         'central">a&lt;b</text>\n'
         '</svg>\n'
         '</div>\n'
         "<pre class='pikchr-src'>box &quot;a&lt;b&quot;\n"
         '</pre>\n'
         '</div>\n'
         '<!--NONCE-->\n'
         '<!--NONCE-->\n'
         "<pre class='error'>\n"
         '/*    1 */  bogus syntax ((\n'
         '                 ^^^^^^\n'
         'ERROR: syntax error\n'
         '\n'
         '</pre>\n'
         '<!--NONCE-->\n'),
        None),
}
