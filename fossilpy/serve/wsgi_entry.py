"""The WSGI entry point for Python application servers: ``fossilpy.wsgi:application``.

gunicorn, uWSGI, waitress or mod_wsgi import ``fossilpy.wsgi`` (a thin
re-export of :func:`make_application`'s result) and call ``application``
for every request.  It is fossilpy's one WSGI application
(``fossilpy.web.app``), configured from the process environment:

``FOSSILPY_REPOSITORY=FILE``
    serve one repository (as ``fossilpy server FILE``);
``FOSSILPY_DIRECTORY=DIR``
    serve every repository in DIR, the first path element naming it (as
    ``fossilpy server DIR``); ``FOSSILPY_REPOLIST=1`` lists them at ``/``;
``FOSSILPY_BASEURL=URL``
    the URL the site is reached at, when a proxy in front hides it;
``FOSSILPY_HTTPS=1``
    the site is reached over https (a TLS-terminating proxy in front);
``FOSSILPY_MAX_LATENCY=SECONDS``
    the time budget of one request (default as ``server``).

Exactly one of the first two must be set.  As with fossilpy's own doors,
the backoffice is started after a successful reply (from the reply
iterable's ``close()``, which the server calls once the body is sent), so
alerts and webhooks go out without a cron job (under uWSGI, whose
``sys.executable`` is the uwsgi binary, the backoffice is started with the
interpreter of the same installation: :func:`python_for_backoffice`).
Examples::

    FOSSILPY_REPOSITORY=/srv/repo.fossil gunicorn -w 4 -b 127.0.0.1:8000 fossilpy.wsgi:application
    FOSSILPY_DIRECTORY=/srv/fossils uwsgi --plugin python3 --http-socket 127.0.0.1:8000 \\
        --module fossilpy.wsgi:application --master --processes 4

Counters of ``/metrics`` are kept per worker process (see
``fossilpy.web.pages.ops``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from fossilpy import budget
from fossilpy.errors import UserError
from fossilpy.serve.gateway import WSGIApp, load_app

_TRUE = ("1", "on", "yes", "true")


def config_from(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``AppConfig`` keywords that ``env`` asks for; UserError when it is incomplete."""
    repository = (env.get("FOSSILPY_REPOSITORY") or "").strip()
    directory = (env.get("FOSSILPY_DIRECTORY") or "").strip()
    if bool(repository) == bool(directory):
        raise UserError("set exactly one of FOSSILPY_REPOSITORY (a repository file) or FOSSILPY_DIRECTORY")
    config: dict[str, Any] = {"backoffice": True}
    if repository:
        if not os.path.isfile(repository):
            raise UserError(f"FOSSILPY_REPOSITORY: no such file: {repository}")
        config["repository"] = os.path.abspath(repository)
    else:
        if not os.path.isdir(directory):
            raise UserError(f"FOSSILPY_DIRECTORY: no such directory: {directory}")
        config["directory"] = os.path.abspath(directory)
        config["repolist"] = (env.get("FOSSILPY_REPOLIST") or "").lower() in _TRUE
    if env.get("FOSSILPY_BASEURL"):
        config["baseurl"] = env["FOSSILPY_BASEURL"].rstrip("/")
    config["https"] = (env.get("FOSSILPY_HTTPS") or "").lower() in _TRUE
    latency = env.get("FOSSILPY_MAX_LATENCY")
    if latency:
        try:
            config["max_latency"] = float(latency)
        except ValueError:
            raise UserError(f"FOSSILPY_MAX_LATENCY: not a number of seconds: {latency}") from None
    else:
        config["max_latency"] = budget.DEFAULT_SECONDS
    return config


def python_for_backoffice() -> None:
    """Make ``sys.executable`` a Python interpreter when the server embeds Python.

    The backoffice is started as ``sys.executable -m fossilpy backoffice``;
    under uWSGI ``sys.executable`` is the uwsgi binary (unless the operator
    passed ``--py-sys-executable``), so it is pointed at the interpreter of
    the same installation (``sys.prefix/bin/pythonX.Y`` or ``python3``).
    """
    if "uwsgi" not in sys.modules or os.path.basename(sys.executable or "").startswith("python"):
        return
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for name in (version, "python3"):
        candidate = os.path.join(sys.prefix, "bin", name)
        if os.access(candidate, os.X_OK):
            sys.executable = candidate
            return


def make_application(env: Mapping[str, str] | None = None) -> WSGIApp:
    """The WSGI application configured by ``env`` (default: the process environment)."""
    python_for_backoffice()
    return load_app(**config_from(os.environ if env is None else env))
