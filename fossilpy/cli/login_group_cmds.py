"""``fossilpy login-group``: show, join or leave a login group (Fossil's ``login_group_command``).

See :mod:`fossilpy.repo.login_group` for the config rows a group is made of.
"""

from __future__ import annotations

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import UserError


@command("login-group")
@click.argument("args", nargs=-1)
@click.option("--name", "new_name", default=None, metavar="NAME", help="Name of a new group (join).")
@repository_option()
def login_group_cmd(args: tuple[str, ...], new_name: str | None, repository: str | None) -> None:
    """Usage: fossilpy login-group ?SUBCOMMAND? ?OPTIONS?

    Show the login group of the repository (-R REPO, or the check-out's);
    ``join ?--name NAME? REPO2``: leave any group, then join the group of
    REPO2 (made with NAME when REPO2 has none); ``leave``: leave the group.
    The members of a login group share their users' logins: a user logged
    in to one member is logged in to every member where they have an account.
    """
    from fossilpy.repo import login_group

    with open_repo(repository) as repo:
        if args:
            sub = args[0]
            if sub and "join".startswith(sub):
                if len(args) != 2:
                    raise UserError('unexpected argument count for "login-group join"')
                login_group.leave(repo)
                errors = login_group.join(repo, args[1], new_name)
                if errors:
                    raise UserError("\n".join(errors))
            elif sub and "leave".startswith(sub):
                if len(args) != 1:
                    raise UserError('unknown extra arguments to "login-group leave"')
                name, _ = login_group.group(repo)
                if name:
                    click.echo(f'Leaving login-group "{name}"')
                    errors = login_group.leave(repo)
                    if errors:
                        raise UserError("Oops: " + "\n".join(errors))
                    return
            else:
                raise UserError(f'unknown command "{sub}" - should be "join" or "leave"')
        name, peers = login_group.group(repo)
        if name is None:
            click.echo("Not currently a part of any login-group")
            return
        click.echo(f'Now part of login-group "{name}" with:')
        for path in peers:
            click.echo(f"  {path}")
