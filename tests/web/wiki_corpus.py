"""Fossil-wiki constructs and their HTML: Fossil 2.21's (``fossil test-wiki-render``
outside a repository, so nothing exists to link to), except where the sanitizer
differs on purpose (then the fourth item is what fossil writes and why; a
Pikchr nonce there reads NONCE).

The third item is the text as a check-in comment (``render_inline``, which is
``fossil test-wiki-render --inline --nobadlinks`` without its final newline).
tests/web/test_wikirender.py renders every case and compares; its compat test
runs the fossil binary on every case."""

from __future__ import annotations

#: name -> (wiki text, our HTML, our HTML inline, None or (fossil's HTML, why it differs))
WIKI_CASES: dict[str, tuple[str, str, str, tuple[str, str] | None]] = {
    'paragraphs': (
        'First para\nsame para\n\nSecond para\n\n\n\nThird\n',
        '<p>First para\nsame para\n\n<p>Second para\n\n<p>Third\n\n',
        'First para\nsame para\n\n<p>Second para\n\n<p>Third\n',
        None),
    'bullets': (
        'Intro\n\n  *  one\n  *  two\n\tcontinued\n  *  three\n\nafter\n',
        '<p>Intro\n\n<ul><li>one\n</li><li>two\n\tcontinued\n</li><li>three</li></ul>\n\n<p>after\n\n',
        'Intro\n\n<ul><li>one\n</li><li>two\n\tcontinued\n</li><li>three</li></ul>\n\n<p>after\n',
        None),
    'numbered': (
        '  #  one\n  #  two\n\n  #  new list\n',
        '<ol><li>one\n</li><li>two</li></ol>\n\n<ol><li>new list\n</li></ol>\n',
        '<ol><li>one\n</li><li>two</li></ol>\n\n<ol><li>new list\n</li></ol>',
        None),
    'enumeration': (
        '  1.  one\n  2  two\n  10.  ten\n',
        '<ol><li value="1">one\n</li><li value="2">two\n</li><li value="10">ten\n</li></ol>\n',
        '<ol><li value="1">one\n</li><li value="2">two\n</li><li value="10">ten\n</li></ol>',
        None),
    'mixed lists': (
        '  *  bullet\n  #  number\n  *  bullet again\n',
        '<ul><li>bullet\n</li></ul><ol><li>number\n</li></ol><ul><li>bullet again\n</li></ul>\n',
        '<ul><li>bullet\n</li></ul><ol><li>number\n</li></ol><ul><li>bullet again\n</li></ul>',
        None),
    'indented paragraph': (
        'para\n\n   indented text\n   more\n\nnormal\n',
        '<p>para\n\n<blockquote>indented text\n   more</blockquote>\n\n<p>normal\n\n',
        'para\n\n<blockquote>indented text\n   more</blockquote>\n\n<p>normal\n',
        None),
    'links': (
        '[/timeline|the timeline] [https://fossil-scm.org/|Fossil] [#anchor] [./rel|rel] [../up]\n',
        ('<p><a href="/timeline">the timeline</a> <a href="https://fossil-scm.org/">Fossil</'
         'a> <a href="#anchor">#anchor</a> <a href="./rel">rel</a> <a href="../up">../up</a>\n\n'),
        ('<a href="/timeline">the timeline</a> <a href="https://fossil-scm.org/">Fossil</a>'
         ' <a href="#anchor">#anchor</a> <a href="./rel">rel</a> <a href="../up">../up</a>\n'),
        None),
    'link labels': (
        '[/x| label with spaces ] [ /y |z] [mailto:a@b.org] [wiki:Some Page] [Sandbox]\n',
        ('<p><a href="/x">label with spaces </a> <span class="brokenlink">[ /y]z</span> <a href="mailto:a@b.or'
         'g">a@b.org</a> <a href="/wiki?name=Some+Page">Some Page</a> <a href="/wiki?name=Sandbox">Sandbox</a>\n'
         '\n'),
        ('<a href="/x">label with spaces </a> [ /y |z] <a href="mailto:a@b.org">a@b.org</a> <a'
         ' href="/wiki?name=Some+Page">Some Page</a> <a href="/wiki?name=Sandbox">Sandbox</a>\n'),
        None),
    'broken and subscript links': (
        '[NoSuchPage] a[0] [abcdef0123] [2024-01-02] [2024-01-02 10:30]\n',
        ('<p><a href="/wiki?name=NoSuchPage">NoSuchPage</a> a<a hre'
         'f="/wiki?name=0">0</a> <span class="brokenlink">[abcdef0123]</span> <a href="/wiki?name'
         '=2024-01-02">2024-01-02</a> <a href="/wiki?name=2024-01-02+10:30">2024-01-02 10:30</a>\n\n'),
        ('[NoSuchPage] a[0] [abcdef0123] <a href="/timeline?c=2024-01-02">2024-'
         '01-02</a> <a href="/timeline?c=2024-01-02+10:30">2024-01-02 10:30</a>\n'),
        None),
    'html markup': (
        "<b>bold</b> <i>it</i> <font color=red>red</font> <a href='/x'>a</a> <span class='c'>s</span>\n",
        '<p><b>bold</b> <i>it</i> <font color="red">red</font> <a href="/x">a</a> <span class="c">s</span>\n\n',
        '<b>bold</b> <i>it</i> <font color="red">red</font> <a href="/x">a</a> <span class="c">s</span>\n',
        None),
    'block markup': (
        "<div class='box'>\ninside\n</div>\n\n<h2>Head</h2>\n<p>para</p>\n<hr>\n<center>c</center>\n",
        '<div class="box">\ninside\n</div>\n\n<h2>Head</h2>\n<p>para</p>\n<hr />\n<center>c</center>\n\n',
        '<div class="box">\ninside\n</div>\n\n<h2>Head</h2>\n<p>para</p>\n<hr />\n<center>c</center>\n',
        None),
    'tables': (
        '<table border=1><tr><th>h<td>d1<td>d2</table>\n\n<table><td>auto row</table>\n',
        ('<table border="1"><tr><th><p>h</th><td>d1</td><td>d2</td></tr></table>\n\n'
         '<table><tr><td><p>auto row</td></tr></table>\n\n'),
        ('<table border="1"><tr><th>h</th><td>d1</td><td>d2</td></tr></table>\n\n'
         '<table><tr><td><p>auto row</td></tr></table>\n'),
        None),
    'list markup': (
        '<li>orphan item\n<ul><li>a<li>b</ul>\n<ol start=3><li>three</ol>\n',
        '<ul><li><p>orphan item\n<ul><li>a</li><li>b</li></ul>\n<ol start="3"><li>three</li></ol>\n</li></ul>\n',
        '<ul><li>orphan item\n<ul><li>a</li><li>b</li></ul>\n<ol start="3"><li>three</li></ol>\n</li></ul>',
        None),
    'unknown tags': (
        "<script>alert(1)</script> <blink>x</blink> <b onclick='x'>b</b>\n",
        '<p>&lt;script>alert(1)&lt;/script> &lt;blink>x&lt;/blink> <b>b</b>\n\n',
        '&lt;script>alert(1)&lt;/script> &lt;blink>x&lt;/blink> <b>b</b>\n',
        None),
    'entities': (
        '&amp; &lt; &copy; &#169; &#x41; & alone &nope\n',
        '<p>&amp; &lt; &copy; &#169; &amp;#x41; &amp; alone &amp;nope\n\n',
        '&amp; &lt; &copy; &#169; &amp;#x41; &amp; alone &amp;nope\n',
        None),
    'verbatim': (
        '<verbatim>\n<b>not bold</b> [notalink] &amp;\n</verbatim>\nafter\n',
        "<pre class='verbatim'>\n&lt;b>not bold&lt;/b> [notalink] &amp;amp;\n</pre>\nafter\n\n",
        "<pre class='verbatim'>\n&lt;b>not bold&lt;/b> [notalink] &amp;amp;\n</pre>\nafter\n",
        None),
    'verbatim type and links': (
        "<verbatim type='c'>int x;</verbatim>\n\n<verbatim links>[/x|y]</verbatim>\n",
        '<pre name=\'code\' class=\'c\'>int x;</pre>\n\n<pre class=\'verbatim\'><a href="/x">[/x|y]</a></pre>\n\n',
        '<pre name=\'code\' class=\'c\'>int x;</pre>\n\n<pre class=\'verbatim\'><a href="/x">[/x|y]</a></pre>\n',
        None),
    'nowiki': (
        '<nowiki>\n  *  not a bullet\n[/x|not a link] <b>bold</b>\n</nowiki>\n\n  *  bullet\n',
        '<p>\n  *  not a bullet\n[/x|not a link] <b>bold</b>\n\n\n<ul><li>bullet\n</li></ul>\n',
        '\n  *  not a bullet\n[/x|not a link] <b>bold</b>\n\n\n<ul><li>bullet\n</li></ul>',
        None),
    'title': (
        '<title>The Title</title>\nbody\n',
        '<h1 align="center">The Title</h1>\nbody\n\n',
        '<h1 align="center">The Title</h1>\nbody\n',
        None),
    'unclosed': (
        '<b>open <i>more\n\n<div>block\n',
        '<p><b>open <i>more\n\n<div>block\n</div></i></b>\n',
        '<b>open <i>more\n\n<div>block\n</div></i></b>',
        None),
    'stray end tags': (
        'text </b> </div> more\n',
        '<p>text   more\n\n',
        'text   more\n',
        None),
    'pre': (
        '<pre>\n  keep   spaces\n</pre>\n',
        '<pre>\n  keep   spaces\n</pre>\n\n',
        '<pre>\n  keep   spaces\n</pre>\n',
        None),
    'links in markup': (
        '<b>[/x|bold link]</b> [/y|<i>italic label</i>]\n',
        '<p><b><a href="/x">bold link</a></b> <a href="/y"><i>italic label</i></a>\n\n',
        '<b><a href="/x">bold link</a></b> <a href="/y"><i>italic label</i></a>\n',
        None),
    'mid-line markers': (
        'text  *  not bullet\n\ttab start\n',
        '<p>text  *  not bullet\n\ttab start\n\n',
        'text  *  not bullet\n\ttab start\n',
        None),
    'unsafe href and src': (
        '<a href="javascript:alert(1)">j</a> <img src="data:x"> <a href="//evil">e</a> <img src="/logo.png">\n',
        '<p><a>j</a> <img /> <a>e</a> <img src="/logo.png" />\n\n',
        '<a>j</a> <img /> <a>e</a> <img src="/logo.png" />\n',
        (('<p><a href="javascript:alert(1)">j</a> <img src="data'
          ':x" /> <a href="//evil">e</a> <img src="/logo.png" />\n\n'),
         'unsafe href/src are dropped')),
    'style and target': (
        '<b style="color:red">b</b> <a href="/x" target="_blank">t</a>\n',
        '<p><b>b</b> <a href="/x">t</a>\n\n',
        '<b>b</b> <a href="/x">t</a>\n',
        ('<p><b style="color:red">b</b> <a href="/x" target="_blank">t</a>\n\n',
         'style and target attributes are dropped')),
    'attribute quotes': (
        '<span title=\'say "hi"\'>q</span>\n',
        '<span title="say &quot;hi&quot;">q</span>\n\n',
        '<span title="say &quot;hi&quot;">q</span>\n',
        ('<span title="say "hi"">q</span>\n\n',
         'attribute values are escaped')),
    'pikchr': (
        '<verbatim type="pikchr">\nbox "hi"\n</verbatim>\n',
        ('<p><!--NONCE-->\n'
         '<div class=\'pikchr-wrapper\'><div class="pikchr-svg" style="max-width:112px">\n'
         '<svg xmlns=\'http://www.w3.org/2000/svg\' class="pikchr" viewBox="0 0 112.32 76.32">\n'
         '<path d="M2.16,74.16L110.16,74.16L110.16,2.16L2.16,2.16Z"  style="fill:none;stroke-w'
         'idth:2.16;stroke:rgb(0,0,0);" />\n'
         '<text x="56.16" y="38.16" text-anchor="middle" fill="rgb(0,0,0)" dominant-baseline="'
         'central">hi</text>\n'
         '</svg>\n'
         '</div>\n'
         "<pre class='pikchr-src'>\n"
         'box &quot;hi&quot;\n'
         '</pre>\n'
         '</div>\n'
         '<!--NONCE-->\n'
         '</p>\n'
         '\n'
         '\n'),
        ('<p><!--NONCE-->\n'
         '<div class=\'pikchr-wrapper\'><div class="pikchr-svg" style="max-width:112px">\n'
         '<svg xmlns=\'http://www.w3.org/2000/svg\' class="pikchr" viewBox="0 0 112.32 76.32">\n'
         '<path d="M2.16,74.16L110.16,74.16L110.16,2.16L2.16,2.16Z"  style="fill:none;stroke-w'
         'idth:2.16;stroke:rgb(0,0,0);" />\n'
         '<text x="56.16" y="38.16" text-anchor="middle" fill="rgb(0,0,0)" dominant-baseline="'
         'central">hi</text>\n'
         '</svg>\n'
         '</div>\n'
         "<pre class='pikchr-src'>\n"
         'box &quot;hi&quot;\n'
         '</pre>\n'
         '</div>\n'
         '<!--NONCE-->\n'
         '</p>\n'
         '\n'),
        None),
    # -- wiki lists: bullets, numbers, enumerations and indented paragraphs, as Fossil's wiki rules --
    'bullets: after heading': (
        '<h2>H</h2>\n  *  one\n',
        '<h2>H</h2>\n<ul><li>one\n</li></ul>\n',
        '<h2>H</h2>\n<ul><li>one\n</li></ul>',
        None),
    'bullets: blank then indent': (
        '  *  one\n\n\tindented para\n',
        '<ul><li>one</li></ul>\n\n<blockquote>indented para\n</blockquote>\n',
        '<ul><li>one</li></ul>\n\n<blockquote>indented para\n</blockquote>',
        None),
    'bullets: col0': (
        '* one\n* two\n',
        '<p>* one\n* two\n\n',
        '* one\n* two\n',
        None),
    'bullets: continuation': (
        '  *  one\n     continued text\n  *  two\n',
        '<ul><li>one\n     continued text\n</li><li>two\n</li></ul>\n',
        '<ul><li>one\n     continued text\n</li><li>two\n</li></ul>',
        None),
    'bullets: crlf': (
        '  *  one\n  *  two\n',
        '<ul><li>one\n</li><li>two\n</li></ul>\n',
        '<ul><li>one\n</li><li>two\n</li></ul>',
        None),
    'bullets: dash': (
        '  -  dash\n',
        '<blockquote>-  dash\n</blockquote>\n',
        '<blockquote>-  dash\n</blockquote>',
        None),
    'bullets: end no nl': (
        '  *  last',
        '<ul><li>last</li></ul>\n',
        '<ul><li>last</li></ul>',
        None),
    'bullets: hash': (
        '  #  one\n\t#\ttwo\n',
        '<ol><li>one\n</li><li>two\n</li></ol>\n',
        '<ol><li>one\n</li><li>two\n</li></ol>',
        None),
    'bullets: in blockquote': (
        '<blockquote>\n  *  in bq\n</blockquote>\n',
        '<blockquote>\n<ul><li>in bq\n</li></ul></blockquote>\n\n',
        '<blockquote>\n<ul><li>in bq\n</li></ul></blockquote>\n',
        None),
    'bullets: in div': (
        '<div>\n  *  in div\n</div>\n',
        '<div>\n<ul><li>in div\n</li></ul></div>\n\n',
        '<div>\n<ul><li>in div\n</li></ul></div>\n',
        None),
    'bullets: in table': (
        '<table><tr><td>\n  *  cell\n</td></tr></table>\n',
        '<table><tr><td>\n<ul><li>cell\n</li></ul></td></tr></table>\n\n',
        '<table><tr><td>\n<ul><li>cell\n</li></ul></td></tr></table>\n',
        None),
    'bullets: many spaces': (
        '      *      one\n      *   two\n',
        '<ul><li>one\n</li><li>two\n</li></ul>\n',
        '<ul><li>one\n</li><li>two\n</li></ul>',
        None),
    'bullets: markup': (
        '  *  <b>bold</b> [/timeline|tl]\n  *  &amp; <i>x</i>\n',
        '<ul><li><b>bold</b> <a href="/timeline">tl</a>\n</li><li>&amp; <i>x</i>\n</li></ul>\n',
        '<ul><li><b>bold</b> <a href="/timeline">tl</a>\n</li><li>&amp; <i>x</i>\n</li></ul>',
        None),
    'bullets: nested': (
        '  *  one\n      *  nested\n  *  two\n',
        '<ul><li>one\n</li><li>nested\n</li><li>two\n</li></ul>\n',
        '<ul><li>one\n</li><li>nested\n</li><li>two\n</li></ul>',
        None),
    'bullets: nospace after': (
        '  *one\n',
        '<blockquote>*one\n</blockquote>\n',
        '<blockquote>*one\n</blockquote>',
        None),
    'bullets: onespace after': (
        '  * one\n  * two\n',
        '<blockquote>* one\n  * two\n</blockquote>\n',
        '<blockquote>* one\n  * two\n</blockquote>',
        None),
    'bullets: onespace before': (
        ' *  one\n *  two\n',
        '<p> *  one\n *  two\n\n',
        ' *  one\n *  two\n',
        None),
    'bullets: para between': (
        '  *  one\n\n  *  two\n',
        '<ul><li>one</li></ul>\n\n<ul><li>two\n</li></ul>\n',
        '<ul><li>one</li></ul>\n\n<ul><li>two\n</li></ul>',
        None),
    'bullets: star text': (
        'a * b * c\n',
        '<p>a * b * c\n\n',
        'a * b * c\n',
        None),
    'bullets: tab': (
        '\t*\tone\n\t*\ttwo\n',
        '<ul><li>one\n</li><li>two\n</li></ul>\n',
        '<ul><li>one\n</li><li>two\n</li></ul>',
        None),
    'bullets: tab only before': (
        '\t* one\n',
        '<blockquote>* one\n</blockquote>\n',
        '<blockquote>* one\n</blockquote>',
        None),
    'bullets: text after': (
        'Intro\n  *  one\n  *  two\nafter same line\n',
        '<p>Intro\n<ul><li>one\n</li><li>two\nafter same line\n</li></ul>\n',
        'Intro\n<ul><li>one\n</li><li>two\nafter same line\n</li></ul>',
        None),
    'bullets: ul html': (
        '<ul><li>html</li></ul>\n  *  wiki\n',
        '<ul><li>html</li></ul>\n<ul><li>wiki\n</li></ul>\n',
        '<ul><li>html</li></ul>\n<ul><li>wiki\n</li></ul>',
        None),
    'bullets: with nowiki': (
        '<nowiki>\n  *  no\n</nowiki>\n  *  yes\n',
        '<p>\n  *  no\n\n<ul><li>yes\n</li></ul>\n',
        '\n  *  no\n\n<ul><li>yes\n</li></ul>',
        None),
    'bullets: with verbatim': (
        '  *  one\n<verbatim>\n  *  raw\n</verbatim>\n  *  two\n',
        "<ul><li>one\n<pre class='verbatim'>\n  *  raw\n</pre>\n</li><li>two\n</li></ul>\n",
        "<ul><li>one\n<pre class='verbatim'>\n  *  raw\n</pre>\n</li><li>two\n</li></ul>",
        None),
    'enumeration: enum': (
        '  1.  one\n  2.  two\n  3  three\n',
        '<ol><li value="1">one\n</li><li value="2">two\n</li><li value="3">three\n</li></ol>\n',
        '<ol><li value="1">one\n</li><li value="2">two\n</li><li value="3">three\n</li></ol>',
        None),
    'enumeration: enum big': (
        '  99999.  big\n',
        '<ol><li value="99999">big\n</li></ol>\n',
        '<ol><li value="99999">big\n</li></ol>',
        None),
    'enumeration: enum one space': (
        '  1. one\n',
        '<blockquote>1. one\n</blockquote>\n',
        '<blockquote>1. one\n</blockquote>',
        None),
    'enumeration: enum paren': (
        '  1)  one\n',
        '<blockquote>1)  one\n</blockquote>\n',
        '<blockquote>1)  one\n</blockquote>',
        None),
    'enumeration: enum tab': (
        '\t1.\tone\n',
        '<ol><li value="1">one\n</li></ol>\n',
        '<ol><li value="1">one\n</li></ol>',
        None),
    'indented paragraph: after blank': (
        'para\n\n  indented\n',
        '<p>para\n\n<blockquote>indented\n</blockquote>\n',
        'para\n\n<blockquote>indented\n</blockquote>',
        None),
    'indented paragraph: after para': (
        'para\n  indented\n',
        '<p>para\n  indented\n\n',
        'para\n  indented\n',
        None),
    'indented paragraph: in list ctx': (
        '  *  item\n\n  indented after list\n',
        '<ul><li>item</li></ul>\n\n<blockquote>indented after list\n</blockquote>\n',
        '<ul><li>item</li></ul>\n\n<blockquote>indented after list\n</blockquote>',
        None),
    'indented paragraph: multi': (
        '  line one\n  line two\n\n  para two\n',
        '<blockquote>line one\n  line two</blockquote>\n\n<blockquote>para two\n</blockquote>\n',
        '<blockquote>line one\n  line two</blockquote>\n\n<blockquote>para two\n</blockquote>',
        None),
    'indented paragraph: tab': (
        '\tindented tab\n',
        '<blockquote>indented tab\n</blockquote>\n',
        '<blockquote>indented tab\n</blockquote>',
        None),
    'indented paragraph: two': (
        '  indented two spaces\n',
        '<blockquote>indented two spaces\n</blockquote>\n',
        '<blockquote>indented two spaces\n</blockquote>',
        None),
    'lists: all': (
        'Title\n\n  *  a\n  #  b\n  1.  c\n  plain indent\n\tmore\n\ntext\n',
        ('<p>Title\n\n<ul><li>a\n</li></ul><ol><li>b\n'
         '</li><li value="1">c\n  plain indent\n\tmore</li></ol>\n'
         '\n<p>text\n\n'),
        ('Title\n\n<ul><li>a\n</li></ul><ol><li>b\n'
         '</li><li value="1">c\n  plain indent\n\tmore</li></ol>\n'
         '\n<p>text\n'),
        None),
}
