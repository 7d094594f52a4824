"""Plain record classes, cheap to define at import time.

CGI, SSH and ``fossilpy http`` start a process per request, so what the
request path imports is paid on every request.  ``dataclasses`` costs such
a process about 8 ms (the module, ``inspect`` under it, and code generated
for each class), more than a cached page takes to render.  The few records
on that path (the application's configuration, the CGI control file, the
backoffice lease, settings) derive from :class:`Record` instead: a class
lists its fields in ``__slots__`` and writes its own ``__init__``; this
base adds the ``repr`` and field-by-field equality a dataclass would.
"""

from __future__ import annotations

from typing import Any


class Record:
    """Base of a slotted record: ``repr`` and equality over ``__slots__``."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    # No __hash__: defining __eq__ makes Python set it to None, so a record is
    # unhashable (mutable, like a plain dataclass) unless its class defines one.
