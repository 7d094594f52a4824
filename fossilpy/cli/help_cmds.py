"""``fossilpy help``: the help of a command or of a web page, as ``fossil help``.

    fossilpy help                 the commands, in columns
    fossilpy help COMMAND         that command's help (the same as COMMAND --help)
    fossilpy help -a|--all        every command, one name per line
    fossilpy help -w|--www        every web page
    fossilpy help -w PAGE         a page's help (its registry docstring); PAGE may start with /
    fossilpy help /PAGE           the same

An unknown topic names the commands and pages that start with it (as Fossil
does) and exits 1.
"""

from __future__ import annotations

import click

from fossilpy.errors import UserError


def _columns(names: list[str], width: int = 80) -> str:
    """``names`` in columns, down then across, as Fossil's ``multi_column_list``."""
    if not names:
        return ""
    w = max(len(n) for n in names) + 2
    ncol = max(1, (width - 1) // w)
    nrow = (len(names) + ncol - 1) // ncol
    lines = []
    for r in range(nrow):
        row = [names[c * nrow + r] for c in range(ncol) if c * nrow + r < len(names)]
        lines.append("".join(n.ljust(w) for n in row).rstrip())
    return "\n".join(lines)


def _pages() -> dict[str, str]:
    from fossilpy.web import routes

    return {p.name: p.help for p in routes.all_pages()}


@click.command("help")
@click.option("-a", "--all", "all_", is_flag=True, help="List every command.")
@click.option("-w", "--www", is_flag=True, help="Web pages instead of commands.")
@click.argument("topic", required=False)
@click.pass_context
def help_cmd(ctx: click.Context, all_: bool, www: bool, topic: str | None) -> None:
    """Show the help of COMMAND, or of a web page with -w (or /PAGE); without a
    topic, list the commands (-a: one per line; -w: the web pages)."""
    from fossilpy.cli.main import COMMANDS

    group = ctx.parent.command if ctx.parent is not None else None
    if topic is not None and topic.startswith("/"):
        www, topic = True, topic[1:]
    if www:
        pages = _pages()
        if topic is None:
            click.echo(_columns(["/" + n for n in sorted(pages)]))
            return
        text = pages.get(topic)
        if text is None:
            near = sorted("/" + n for n in pages if n.startswith(topic))
            raise UserError(f"no such web page: /{topic}" + (f"; did you mean: {' '.join(near)}" if near else ""))
        click.echo(f"Web page /{topic}:\n\n{text}")
        return
    if topic is None:
        names = sorted(COMMANDS)
        if all_:
            click.echo("\n".join(names))
        else:
            click.echo("Usage: fossilpy help TOPIC\nCommands:\n" + _columns(names))
            click.echo('Run "fossilpy help COMMAND" for one command, "fossilpy help -w" for the web pages.')
        return
    if topic not in COMMANDS or not isinstance(group, click.Group):
        near = sorted(n for n in COMMANDS if n.startswith(topic))
        raise UserError(f"no such command: {topic}" + (f"; did you mean: {' '.join(near)}" if near else ""))
    cmd = group.get_command(ctx, topic)
    assert cmd is not None
    with click.Context(cmd, info_name=topic, parent=ctx.parent) as sub:
        click.echo(cmd.get_help(sub))
