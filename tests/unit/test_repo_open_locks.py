"""Opening a repository must never drop SQLite locks this process holds.

On POSIX, closing any file descriptor of a file releases every fcntl lock
the process holds on it, including the locks of SQLite connections held by
other threads.  ``Repo.open`` must therefore not read the file outside
SQLite: in the threaded servers another thread may be mid-transaction.
"""

import subprocess
import sys

from fossilpy.repo.create import create_repository
from fossilpy.repo.db import Repo

PROBE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    db.execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError as exc:
    print(exc)
else:
    print("got the write lock")
"""


def test_open_keeps_another_connections_write_lock(tmp_path) -> None:
    path = str(tmp_path / "r.fossil")
    create_repository(path, admin_user="admin").close()
    writer = Repo.open(path)
    with writer.write():
        writer.execute("UPDATE config SET value='x' WHERE name='project-name'")
        other = Repo.open(path, readonly=True)  # e.g. another request's thread
        other.close()
        probe = subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True, text=True)
        assert probe.stdout.strip() == "database is locked"
    writer.close()
