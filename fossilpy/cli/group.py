"""The click group behind ``fossilpy``: lazy command loading and error reporting.

Kept apart from ``fossilpy.cli.main`` so that a CGI request, which is
recognised in ``main()`` before anything else, never imports click.
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

import click

from fossilpy.cli.main import COMMANDS, report
from fossilpy.errors import FossilError


class LazyGroup(click.Group):
    """A click group that imports a command's module only when needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fossilpy", prog_name="fossilpy")
def cli() -> None:
    """fossilpy: a Fossil 2.21-compatible SCM and forge.

    Run ``fossilpy COMMAND --help`` for the help of one command.
    """


class FossilErrorHandlingCommand(click.Command):
    """Command class that turns FossilError into one line and an exit code.

    click's standalone mode would otherwise print a traceback for
    exceptions raised inside a command; this keeps the rule in one place.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (FossilError, sqlite3.Error) as exc:
            ctx.exit(report(exc))
