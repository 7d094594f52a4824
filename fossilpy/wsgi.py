"""``fossilpy.wsgi:application``: fossilpy under gunicorn, uWSGI, waitress...

Configured by ``FOSSILPY_REPOSITORY`` or ``FOSSILPY_DIRECTORY`` in the
environment; see :mod:`fossilpy.serve.wsgi_entry` and www/doc/serving.md.
"""

from __future__ import annotations

from fossilpy.serve.wsgi_entry import make_application

application = make_application()
