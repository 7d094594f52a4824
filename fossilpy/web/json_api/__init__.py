"""Fossil's JSON API under ``/json/...`` (Fossil's ``www/json-api/`` and ``src/json*.c``).

One page, ``/json`` (:mod:`fossilpy.web.pages.json_api`), hands every
request to :func:`fossilpy.web.json_api.envelope.handle`, which reads the
request the way Fossil's JSON mode does (GET parameters, or a POSTed JSON
envelope ``{"command", "authToken", "payload", "requestId", "indent",
"jsonp"}``), establishes the login from the auth token, dispatches on the
command path and wraps the result in Fossil's response envelope.  The
modules, one concern each:

* :mod:`.envelope` - request parsing, result codes, the response envelope,
  the command table;
* :mod:`.auth` - ``login``, ``logout``, ``whoami``, ``anonymousPassword``,
  ``cap``;
* :mod:`.timeline` - ``timeline/checkin|wiki|ticket|technote``,
  ``branch/list``, ``tag/list``;
* :mod:`.wiki` - ``wiki/list|get|save|create|diff|timeline``;
* :mod:`.artifact` - ``artifact``, ``diff``, ``dir``, ``finfo``;
* :mod:`.misc` - ``version``, ``resultCodes``, ``stat``, ``user/list|get``,
  ``config/get``, ``report/list|get|run``.

Authentication and CSRF (a decision, recorded here): a request is
authenticated by an ``authToken`` (a GET parameter or a property of the
POSTed envelope; it is the value of Fossil's login cookie, so
``/json/login`` returns the same string it sets as the cookie) or, failing
that, by the login cookie itself.  A token in the request overrides the
cookie, as the documentation says (Fossil 2.21's C code lets the cookie
win; that is the "FIXME" at the top of ``api-auth.md``).  A browser attaches
the cookie to a request another site makes it send, never the token, so:

* a request that *changes* something (``wiki/save``, ``wiki/create``,
  ``logout``) for a logged-in user and does not carry the token (the
  cookie, a localauth connection, HTTP authentication or REMOTE_USER
  vouched for the user: credentials a browser adds by itself) must be a
  same-origin request (``Origin`` or ``Referer`` naming this site, the rule
  of :attr:`fossilpy.web.request.Request.same_origin` that the HTML forms
  use); otherwise it is refused with ``FOSSIL-2002``.  Token-authenticated
  writes need no such check: another site cannot know the token.
* ``/json/login`` POSTed from a page of another site is refused (login CSRF).
* JSONP (``jsonp=NAME``) would let any site read a cookie-authenticated
  reply (``whoami`` returns the token), so a JSONP request ignores the
  cookie and runs as ``nobody`` unless it carries an ``authToken``; the
  callback name must be a JavaScript identifier path (``[A-Za-z_$][\\w$.]*``).

Result codes are reported at Fossil's full detail (``FOSSIL-3006``, not the
``%100``-reduced ``FOSSIL-3000`` of a release build), except the login
failures, which are all ``FOSSIL-2100`` as ``conventions.md`` asks of a
production server.  See ``www/doc/json-api.md`` for what is implemented and
how it differs from Fossil.
"""
