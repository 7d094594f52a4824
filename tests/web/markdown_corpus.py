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
}
