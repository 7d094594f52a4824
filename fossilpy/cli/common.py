"""Helpers shared by command modules: the -R option and repository opening."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from fossilpy.cli.group import FossilErrorHandlingCommand
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


def command(name: str | None = None, **kwargs: Any) -> Callable[..., click.Command]:
    """``@command()``: a click command whose FossilErrors become one line + exit code."""
    kwargs.setdefault("cls", FossilErrorHandlingCommand)
    kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
    return click.command(name, **kwargs)


def repository_option(required: bool = True) -> Callable[[Any], Any]:
    """The ``-R/--repository FILE`` option every repository command takes."""
    return click.option(
        "-R",
        "--repository",
        "repository",
        metavar="FILE",
        default=None,
        required=False,
        help="The repository file to use.",
    )


def resolve_repository(path: str | None, *, required: bool = True) -> str | None:
    """The repository to use, as Fossil's ``db_find_and_open_repository``: -R,
    else the one the checkout around the current directory names, else
    $FOSSILPY_REPOSITORY; Fossil's error if none."""
    if not path:
        from fossilpy.checkout.db import Checkout, find_root

        found = find_root(os.getcwd())
        if found is not None:
            path = Checkout.repository_of(*found)
    path = path or os.environ.get("FOSSILPY_REPOSITORY")
    if not path and required:
        raise UserError("use --repository or -R to specify the repository database")
    return path


def open_repo(path: str | None, *, readonly: bool = False) -> Repo:
    """Open the repository named by -R for a command."""
    from fossilpy.repo.db import Repo

    resolved = resolve_repository(path)
    assert resolved is not None
    return Repo.open(resolved, readonly=readonly)
