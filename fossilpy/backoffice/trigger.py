"""What the web layer calls after a 200 reply: start a backoffice if needed.

Must be cheap and must never raise: it runs after every successful reply
of every door.  It reads two config rows and, only when no live backoffice
is on deck and ``backoffice-disable`` is off, spawns ``fossilpy backoffice
REPO`` detached (see ``runner.spawn``).
"""

from __future__ import annotations

import sys


def after_reply(repo_path: str) -> int:
    """Check the lease of ``repo_path``; spawn a backoffice if needed.

    Returns the spawned pid, or 0.  Errors are written to stderr (the
    server log) and swallowed.
    """
    try:
        from fossilpy.backoffice import runner
        from fossilpy.repo.db import Repo

        repo = Repo.open(repo_path, readonly=True, check=False)
        try:
            if not runner.needed(repo):
                return 0
        finally:
            repo.close()
        return runner.spawn(repo_path)
    except Exception as exc:  # noqa: BLE001 - never fail a reply
        print(f"fossilpy: backoffice trigger failed for {repo_path}: {exc}", file=sys.stderr)
        return 0
