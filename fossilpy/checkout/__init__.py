"""A working checkout: the checkout database and the files on disk.

Between ``repo`` and ``sync``: imports ``artifact`` and ``repo``; the
commands in ``cli`` drive it.  ``db`` is the checkout database
(``.fslckout``), ``vfile`` the files of the current check-in compared with
the tree, ``ops`` the commands that change what the next check-in holds,
``commit`` the check-in itself.
"""
