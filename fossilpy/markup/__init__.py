"""Markup: wiki text to HTML and to link targets, pure text work.

The layer between ``fossilpy.artifact`` and ``fossilpy.repo``: nothing here
touches a repository, a request or the environment.  It holds Fossil 2.21's
two markup languages, each as ONE parser with several consumers:

* Markdown (``src/markdown.c``): ``md_scan``, ``md_inline`` and ``md_blocks``
  parse; a renderer object receives the callbacks (Fossil's ``struct
  mkd_renderer``).  ``md_html`` renders HTML (``src/markdown_html.c``),
  ``md_render.LinkCollector`` only collects link destinations (backlinks).
* Fossil wiki (``src/wikiformat.c``): one tokenizer for the renderer and for
  the backlink scan.

Everything rendered goes through the sanitizer (allowed tags and
attributes, safe URLs) and the output bounds documented in
``fossilpy.markup.wikirender``.
"""
