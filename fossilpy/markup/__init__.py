"""Markup: wiki text to HTML and to link targets, pure text work.

The layer between ``fossilpy.artifact`` and ``fossilpy.repo``: nothing here
touches a repository, a request or the environment.  It holds Fossil 2.21's
two markup languages, each as ONE parser with several consumers:

* Markdown (``src/markdown.c``): ``md_scan``, ``md_inline`` and ``md_blocks``
  parse; a renderer object receives the callbacks (Fossil's ``struct
  mkd_renderer``).  ``md_html`` renders HTML (``src/markdown_html.c``),
  ``md_render.LinkCollector`` only collects link destinations (backlinks).
* Fossil wiki (``src/wikiformat.c``): ``wiki_parse.WikiText`` is the
  tokenizer; ``wiki_html`` renders (``wiki_convert``) and
  ``wiki_parse.wiki_link_targets`` finds links (``wiki_extract_links``).

Links resolve as Fossil resolves them (``links``), asking a ``Facts`` object
what the repository holds.  Everything rendered goes through the sanitizer
(``sanitize``: allowed tags and attributes, safe URLs) and is held to the
output bound documented there; ``wikirender`` holds the entry points.
"""
