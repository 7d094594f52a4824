"""The repository file: an SQLite database compatible with Fossil 2.21.

``fossilpy.repo.db.Repo`` is the handle; ``content`` stores blobs,
``schema`` holds the DDL, ``crosslink`` derives tables from artifacts.
"""
