"""Versionable settings in a checkout (``db_get_versioned`` in ``src/db.c``).

A setting marked versionable in :mod:`fossilpy.settings` (``ignore-glob``,
``binary-glob``, ``crlf-glob``, ``clean-glob``, ``keep-glob``,
``empty-dirs``, ``encoding-glob``, ``manifest``, ...) may be given by a
file of the tree::

    ROOT/.fossil-settings/NAME            the value (surrounding white space trimmed)
    ROOT/.fossil-settings/NAME.no-warn    present: no warning when the
                                          repository has a value too

The file wins over the repository's value whether or not it is managed.
When both exist (and the repository value is not empty) Fossil warns on
stderr; fossilpy warns once per setting and open checkout.

:func:`checkout_setting` is the one way checkout code reads a setting
(``Checkout.setting`` calls it); :func:`overridden_note` is the line
``fossil settings`` adds under a setting a file overrides.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout


def _stderr(message: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def versioned_value(root: str, name: str) -> str | None:
    """The trimmed content of ``ROOT/.fossil-settings/NAME``, or None if there is no such file."""
    path = os.path.join(root, ".fossil-settings", name)
    try:
        with open(path.encode("utf-8", "surrogateescape"), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data.decode("utf-8", "surrogateescape").strip(" \t\n\v\f\r")


def is_versionable(name: str) -> bool:
    from fossilpy.settings import SETTINGS

    s = SETTINGS.get(name)
    return s is not None and s.versionable


def checkout_setting(ck: Checkout, name: str, warn: Callable[[str], None] | None = None) -> str | None:
    """``db_get`` inside a checkout: the versioned value of a versionable setting
    when ``.fossil-settings/NAME`` exists, else the repository's (with its default)."""
    plain = ck.repo.setting(name)
    if not is_versionable(name):
        return plain
    versioned = versioned_value(ck.root, name)
    if versioned is None:
        return plain
    stored = ck.repo.config_get(name)
    no_warn = os.path.join(ck.root, ".fossil-settings", name + ".no-warn")
    if stored and name not in ck.warned and not os.path.exists(no_warn.encode("utf-8", "surrogateescape")):
        ck.warned.add(name)
        root = ck.root.rstrip("/")
        (warn or _stderr)(
            f"setting {name} has both versioned and non-versioned values: using versioned value from file "
            f'"{root}/.fossil-settings/{name}" (to silence this warning, either create an empty file named '
            f'"{root}/.fossil-settings/{name}.no-warn" in the check-out root, or delete the non-versioned '
            f'setting with "fossil unset {name}")'
        )
    return versioned


def overridden_note(root: str, name: str) -> str | None:
    """``print_setting``'s second line for a versionable setting a file overrides."""
    if not is_versionable(name):
        return None
    if not os.path.lexists(os.path.join(root, ".fossil-settings", name).encode("utf-8", "surrogateescape")):
        return None
    return f"  (overridden by contents of file .fossil-settings/{name})"


def repository_of(cwd: str) -> tuple[str, str] | None:
    """(repository file, checkout root) of the checkout holding ``cwd``, or None."""
    from fossilpy.checkout.db import Checkout, find_root

    found = find_root(cwd)
    if found is None:
        return None
    root, dbfile = found
    return Checkout.repository_of(root, dbfile), root
