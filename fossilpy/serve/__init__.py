"""Front doors: each turns one transport into calls of the one WSGI application.

===========  ==================================  ===============================
door         module                              reply head
===========  ==================================  ===============================
server, ui   :mod:`fossilpy.serve.http`          ``HTTP/1.0 ...`` + Connection: close
http         :mod:`fossilpy.serve.stdio`         ``HTTP/1.0 ...`` (one request)
test-http    :mod:`fossilpy.serve.stdio`         ``Status: ...`` (SSH, many requests)
cgi          :mod:`fossilpy.serve.cgi`           ``Status: ...``
scgi         :mod:`fossilpy.serve.scgi`          ``Status: ...`` (flup)
===========  ==================================  ===============================

Parsing of HTTP request heads lives in :mod:`fossilpy.serve.request`, running
the application and writing its reply in :mod:`fossilpy.serve.gateway`.  No
door touches a repository except the CGI ``redirect:`` keyword, which looks
a name up the way Fossil does.  Importing this package imports nothing else.
"""
