"""Diagnostics through the standard :mod:`logging` module, configured once per door.

Code that reports a problem (a failed request, a backoffice task that
raised, a worker that had to be replaced) calls ``log.get(__name__)`` and
logs to the returned :class:`logging.Logger`: every logger is below the
``fossilpy`` logger.  :mod:`logging` itself is imported only then, so a CGI
or SSH process that has nothing to report never pays for it (about 7 ms).

Where the lines go is decided once, by the door or command that runs
(:func:`configure`; standard error when it names no file):

=====================================  =====================================
``server``/``ui``/``http``/``test-http``  standard error, or ``--errorlog FILE``
CGI                                    the script's ``errorlog:`` file, else
                                       standard error (the web server's log)
``backoffice``                         ``--logfile FILE`` (or the
                                       ``backoffice-logfile`` setting), else
                                       standard error
=====================================  =====================================

Format: on standard error ``fossilpy: MESSAGE`` (the web server adds its
own time stamp); in a file ``YYYY-MM-DD HH:MM:SS LEVEL NAME: MESSAGE``.
Tracebacks follow their message, indented by the logging module.  Without
:func:`configure` (fossilpy's application under another WSGI server), the
lines go wherever that program configured :mod:`logging`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import logging

#: The logger every fossilpy logger is below.
ROOT = "fossilpy"
#: Attribute marking the handler :func:`configure` installed (so a second call replaces it).
_MARK = "_fossilpy_handler"
#: The file a one-shot door asked for with ``configure(path, lazy=True)``, not yet opened.
_PENDING: ContextVar[str | None] = ContextVar("fossilpy_log_pending", default=None)


def get(name: str = ROOT) -> logging.Logger:
    """The logger for module ``name`` (``__name__``), below ``fossilpy``.

    If nothing configured logging at all (no handler on ``fossilpy`` nor
    on the root logger), standard error is configured first, so a door
    that wants no log file need not import :mod:`logging` before it has
    something to say.
    """
    import logging

    if not logging.getLogger(ROOT).handlers and not logging.getLogger().handlers:
        configure(_PENDING.get())
    return logging.getLogger(name if name == ROOT or name.startswith(ROOT + ".") else f"{ROOT}.{name}")


def configure(path: str | None = None, *, stream: Any = None, level: str = "INFO",
              lazy: bool = False) -> None:
    """Send fossilpy's log lines to the file ``path`` (appended), else to ``stream`` (stderr).

    Replaces what an earlier call installed; other handlers are left alone.
    A file that cannot be opened falls back to standard error, with one
    warning saying why.  With ``lazy`` (the one-shot doors: CGI's
    ``errorlog:``), nothing is opened or imported until the first
    :func:`get` in this thread.
    """
    if lazy:
        _PENDING.set(path)
        return
    import logging
    import sys

    root = logging.getLogger(ROOT)
    for old in list(root.handlers):
        if getattr(old, _MARK, False):
            root.removeHandler(old)
            old.close()
    problem = None
    handler: logging.Handler
    if path:
        why = _unwritable(path)
        if why:
            problem = f"cannot open the log file {path}: {why}"
            path = None
        else:  # created with the first line: a run with nothing to say leaves no file, as Fossil's
            handler = logging.FileHandler(path, encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                                   "%Y-%m-%d %H:%M:%S"))
    if not path:
        handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
        handler.setFormatter(logging.Formatter("fossilpy: %(message)s"))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    if problem:
        root.warning(problem)


def _unwritable(path: str) -> str:
    """Why ``path`` cannot be appended to ("" if it can), without creating it."""
    import os

    if os.path.isdir(path):
        return "Is a directory"
    if os.path.exists(path):
        return "" if os.access(path, os.W_OK) else "Permission denied"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return "No such file or directory"
    return "" if os.access(folder, os.W_OK | os.X_OK) else "Permission denied"
