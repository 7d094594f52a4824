"""What the web layer calls after a 200 reply: start a backoffice if needed.

Must be cheap and must never raise: it runs after every successful reply
of every door.  It reads two config rows and, only when no live backoffice
is on deck and ``backoffice-disable`` is off, spawns ``fossilpy backoffice
REPO`` detached and enters it on deck in the lease, so that the next
requests start none (see ``runner.spawn_on_deck``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


def keep_cgi_alive() -> None:
    """For the CGI door: ignore SIGTERM for the rest of this CGI process.

    A web server such as lighttpd sends SIGTERM to a CGI process as soon as
    it has read a complete reply (Content-Length bytes), which is before the
    process could start the backoffice.  Ignoring it lets the process finish
    its after-reply work and exit; the CGI timeout (SIGALRM) still bounds a
    process that hangs.  Only a CGI process (GATEWAY_INTERFACE in the process
    environment, main thread) is affected.
    """
    import os
    import signal
    import threading

    if "GATEWAY_INTERFACE" not in os.environ or threading.current_thread() is not threading.main_thread():
        return
    try:
        # a no-op handler, not SIG_IGN: handlers reset on exec, so the
        # backoffice started from here can still be stopped with SIGTERM
        signal.signal(signal.SIGTERM, _ignore)
    except (ValueError, OSError):
        pass


def _ignore(signum: int, frame: object) -> None:
    return None


def after_reply(repo_path: str, repo: Repo | None = None) -> int:
    """Check the lease of ``repo_path``; spawn a backoffice if needed.

    ``repo``: an open read-only handle on that file to read the lease
    through (the long-running doors pass one from their pool: opening the
    file again cost a third of a small page's work); None opens one.
    Returns the spawned pid, or 0.  Errors are logged (:mod:`fossilpy.log`)
    and swallowed.
    """
    try:
        from fossilpy.backoffice import runner

        if repo is not None:
            if not runner.needed(repo):
                return 0
        else:
            from fossilpy.repo.db import Repo

            opened = Repo.open(repo_path, readonly=True, check=False)
            try:
                if not runner.needed(opened):
                    return 0
            finally:
                opened.close()
        return runner.spawn_on_deck(repo_path)
    except Exception as exc:  # noqa: BLE001 - never fail a reply
        from fossilpy import log

        log.get(__name__).error("backoffice trigger failed for %s: %s", repo_path, exc)
        return 0
