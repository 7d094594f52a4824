"""Commands that write a check-in as an archive: ``zip``, ``tarball``, ``sqlar``.

``fossilpy zip VERSION OUTPUTFILE [--name DIR] [-X|--exclude GLOBS]
[--include GLOBS] [-l|--list] [-R REPOSITORY]`` (and the same for
``tarball`` and ``sqlar``) writes the archive Fossil 2.21 writes
(``archive_cmd`` in ``src/zip.c``, ``tarball_cmd`` in ``src/tar.c``): the
same bytes, from :mod:`fossilpy.repo.archive`.  Without ``--name`` the top
directory is PROJECT_YYYY-MM-DD_HHMMSS_HASH10.  ``--list`` prints each file
name written (directories are not listed); an OUTPUTFILE of "" or
``/dev/null`` writes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])


def _archive(
    kind: str,
    version: str,
    output: str,
    name: str | None,
    exclude: str | None,
    include: str | None,
    list_flag: bool,
    repository: str | None,
) -> None:
    from fossilpy.repo import archive
    from fossilpy.repo.names import resolve

    with open_repo(repository, readonly=True) as repo:
        rid = resolve(repo, version, "ci")
        if rid <= 0:
            raise UserError(f"Check-in not found: {version}")
        top = name if name is not None else archive.default_name(repo, rid)
        from fossilpy.cli.progress import Progress

        progress = Progress()
        ci = archive.checkin_content(
            repo, rid, top, archive.parse_globs(include), archive.parse_globs(exclude), progress.update
        )
        progress.finish()
        if ci is None:
            raise UserError(f"Check-in not found: {version}")
        if list_flag:
            out = sys.stdout.buffer
            for mem in ci.members:
                out.write(mem.name + b"\n")
            out.flush()
        if output in ("", "/dev/null"):
            return
        if kind == "zip":
            data = archive.zip_bytes(repo, ci)
        elif kind == "sqlar":
            data = archive.sqlar_bytes(ci)
        else:
            data = archive.tarball_bytes(ci)
    with open(output, "wb") as f:
        f.write(data)


def _options(func: F) -> F:
    decorators: list[Callable[[Any], Any]] = [
        click.argument("version", metavar="VERSION"),
        click.argument("output", metavar="OUTPUTFILE"),
        click.option(
            "--name",
            "name",
            metavar="DIRECTORYNAME",
            default=None,
            help="The name of the top-level directory in the archive.",
        ),
        click.option(
            "-X",
            "--exclude",
            "exclude",
            metavar="GLOBLIST",
            default=None,
            help="Comma-separated list of GLOBs of files to exclude.",
        ),
        click.option(
            "--include",
            "include",
            metavar="GLOBLIST",
            default=None,
            help="Comma-separated list of GLOBs of files to include.",
        ),
        click.option("-l", "--list", "list_flag", is_flag=True, help="Show archive content on stdout."),
        repository_option(),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


@command("zip")
@_options
def zip_cmd(
    version: str,
    output: str,
    name: str | None,
    exclude: str | None,
    include: str | None,
    list_flag: bool,
    repository: str | None,
) -> None:
    """Generate a ZIP archive for a check-in (--name: the top-level directory)."""
    _archive("zip", version, output, name, exclude, include, list_flag, repository)


@command("tarball")
@_options
def tarball_cmd(
    version: str,
    output: str,
    name: str | None,
    exclude: str | None,
    include: str | None,
    list_flag: bool,
    repository: str | None,
) -> None:
    """Generate a compressed tarball for a check-in (--name: the top-level directory)."""
    _archive("tarball", version, output, name, exclude, include, list_flag, repository)


@command("sqlar")
@_options
def sqlar_cmd(
    version: str,
    output: str,
    name: str | None,
    exclude: str | None,
    include: str | None,
    list_flag: bool,
    repository: str | None,
) -> None:
    """Generate an SQLAR archive for a check-in (--name: the top-level directory)."""
    _archive("sqlar", version, output, name, exclude, include, list_flag, repository)
