"""Where a history command works: the repository named by ``-R``, else the
open checkout's (Fossil's ``db_find_and_open_repository``).

Commands such as ``branch``, ``tag``, ``leaves``, ``timeline`` and ``info``
take ``-R FILE``; without it they look upwards from the current directory
for ``.fslckout``/``_FOSSIL_`` and use the repository that checkout names,
with the checkout's database attached (its ``vvar`` gives the current
check-in).  With ``-R`` no checkout is open, as in Fossil (``g.localOpen``
is 0), so ``*CURRENT*`` marks and ``branch current`` are not available.

Also here, shared by those commands:

* :func:`rid_of` -- ``name_to_typed_rid`` with the checkout's special
  names ``current``, ``prev``/``previous`` and ``next``;
* :func:`login` -- ``user_select``: the user a new artifact is made by;
* :func:`std_date` -- ``date_in_standard_format`` for ``--date-override``;
* :func:`out` -- one line of output as bytes (file names and comments may
  hold bytes that are not UTF-8).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.errors import NotFound, UserError

if TYPE_CHECKING:
    from fossilpy.checkout.db import Checkout
    from fossilpy.repo.db import Repo


@dataclass
class Here:
    """An open repository and, without ``-R`` inside a checkout, that checkout."""

    repo: Repo
    ck: Checkout | None = None

    def __enter__(self) -> Here:
        return self

    def __exit__(self, *exc: object) -> None:
        self.repo.close()

    @property
    def vid(self) -> int:
        """rid of the checkout's current check-in, 0 when no checkout is open."""
        return self.ck.vid if self.ck is not None else 0


#: Fossil's message when no repository is named and no checkout is open
NO_REPOSITORY = "use --repository or -R to specify the repository database"


def open_here(repository: str | None, *, readonly: bool = False, missing: str = NO_REPOSITORY) -> Here:
    """``db_find_and_open_repository``: ``-R``, else the checkout around the
    current directory, else ``$FOSSILPY_REPOSITORY``; ``missing`` if none."""
    from fossilpy.repo.db import Repo

    if repository:
        return Here(Repo.open(repository, readonly=readonly))
    from fossilpy.checkout.db import Checkout, find_root

    if find_root(os.getcwd()) is not None:
        ck = Checkout.find(os.getcwd())
        return Here(ck.repo, ck)
    env = os.environ.get("FOSSILPY_REPOSITORY")
    if env:
        return Here(Repo.open(env, readonly=readonly))
    raise UserError(missing)


def open_checkout() -> Here:
    """``db_must_be_within_tree``: the checkout around the current directory."""
    from fossilpy.checkout.db import Checkout

    ck = Checkout.find(os.getcwd())
    return Here(ck.repo, ck)


def lookup(here: Here, name: str, kind: str = "*") -> int:
    """``symbolic_name_to_rid``: 0 if unknown, -1 if ambiguous."""
    from fossilpy.repo import names

    if not name:
        return 0
    if here.vid and kind in ("*", "ci") and name != "tip":
        vid = here.vid
        rid = 0
        if name == "current":
            rid = vid
        elif name in ("prev", "previous"):
            rid = int(here.repo.one("SELECT pid FROM plink WHERE cid=? AND isprim", (vid,), 0))
        elif name == "next":
            rid = int(here.repo.one("SELECT cid FROM plink WHERE pid=? ORDER BY isprim DESC, mtime DESC", (vid,), 0))
        if rid:
            return rid
    return names.lookup(here.repo, name, kind, private=True)


def rid_of(here: Here, name: str, kind: str = "ci") -> int:
    """``name_to_typed_rid``: the rid, with Fossil's errors for unknown or ambiguous names."""
    rid = lookup(here, name, kind)
    if rid < 0:
        raise UserError(f"ambiguous name: {name}")
    if rid == 0:
        raise NotFound(f"cannot resolve name: {name}")
    return rid


def login(here: Here) -> str:
    """``user_select``: the checkout's and the repository's ``default-user``, then
    $FOSSIL_USER, $USER, $LOGNAME, $USERNAME -- the first that is a user of the repository."""
    repo = here.repo
    candidates: list[str | None] = []
    if here.ck is not None:
        candidates.append(here.ck.vget("default-user"))
    candidates.append(repo.config_get("default-user"))
    candidates.extend(os.environ.get(v) for v in ("FOSSIL_USER", "USER", "LOGNAME", "USERNAME"))
    for name in candidates:
        if name and repo.one("SELECT uid FROM user WHERE login=?", (name,)):
            return name
    out(
        "Cannot figure out who you are!  Consider using the --user\n"
        "command line option, setting your USER environment variable,\n"
        'or setting a default user with "fossil user default USER".'
    )
    raise UserError("cannot determine user")


def std_date(repo: Repo, when: str | None) -> str:
    """``date_in_standard_format``: YYYY-MM-DDTHH:MM:SS.SSS (UTC) of ``when`` (default now)."""
    value = repo.one("SELECT strftime('%Y-%m-%dT%H:%M:%f',?)", (when or "now",))
    if not value:
        raise UserError(f'unrecognized date format ({when}): use "YYYY-MM-DD HH:MM:SS.SSS"')
    return str(value)


def out(line: str = "", *, end: str = "\n") -> None:
    """Write one line to standard output, keeping bytes that are not UTF-8."""
    sys.stdout.buffer.write((line + end).encode("utf-8", "surrogateescape"))


def warn(line: str) -> None:
    """``fossil_warning``: one line on standard error."""
    sys.stdout.flush()
    sys.stderr.buffer.write((line + "\n").encode("utf-8", "surrogateescape"))
    sys.stderr.flush()


class Args:
    """Fossil's ``find_option`` / ``verify_all_options`` over a command's arguments.

    ``-name``, ``--name``, ``--name=VALUE`` and ``-name VALUE`` are accepted
    anywhere before a ``--``; what is found is removed from :attr:`rest`.
    """

    def __init__(self, prog: str, args: tuple[str, ...] | list[str]) -> None:
        self.prog = prog
        self.rest = list(args)

    def _end(self) -> int:
        return self.rest.index("--") if "--" in self.rest else len(self.rest)

    def _find(self, long: str, short: str | None, has_arg: bool) -> str | None:
        """``find_option``: the first match only; a name that starts with ``long`` but
        goes on is not ``short`` either (as in Fossil)."""
        n = 1 if has_arg else 0
        for i, word in enumerate(self.rest):
            if i + n >= len(self.rest):
                break
            if not word.startswith("-"):
                continue
            z = word[1:]
            if z.startswith("-"):
                if z == "-":
                    break
                z = z[1:]
            if z.startswith(long):
                tail = z[len(long) :]
                if has_arg and tail.startswith("="):
                    del self.rest[i]
                    return tail[1:]
                if not tail:
                    value = self.rest[i + n]
                    del self.rest[i : i + 1 + n]
                    return value
            elif short is not None and z == short:
                value = self.rest[i + n]
                del self.rest[i : i + 1 + n]
                return value
        return None

    def flag(self, long: str, short: str | None = None) -> bool:
        """True if ``--long`` or ``-short`` is present (the first copy is removed)."""
        return self._find(long, short, False) is not None

    def value(self, long: str, short: str | None = None) -> str | None:
        """The value of ``--long VALUE`` / ``-short VALUE`` / ``--long=VALUE``, or None."""
        return self._find(long, short, True)

    def verify(self) -> list[str]:
        """``verify_all_options``: refuse what is left that looks like an option; return the arguments."""
        end = self._end()
        for a in self.rest[:end]:
            if a.startswith("-") and a != "-":
                raise UserError(f"unrecognized command-line option or missing argument: {a}")
        return [a for i, a in enumerate(self.rest) if i != end]

    def usage(self, text: str) -> UserError:
        """``usage(text)``: the error to raise."""
        return UserError(f"Usage: fossilpy {self.prog} {text}")


def current_uuid(here: Here) -> str | None:
    """Hash of the checkout's current check-in (``print_timeline`` marks it), None without a checkout."""
    if not here.vid:
        return None
    v = here.repo.one("SELECT uuid FROM blob WHERE rid=?", (here.vid,))
    return None if v is None else str(v)


def max_chars(width: int | None, indent: int) -> int:
    """Characters per line for ``comment_print(..., indent, width)``: ``-W`` less the indent, else
    the terminal's width less the indent, else no limit (-1)."""
    if width is not None:
        return width - indent
    try:
        cols = os.get_terminal_size(0).columns
    except OSError:
        return -1
    return cols - indent if cols else -1
