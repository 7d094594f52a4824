"""Repository commands: init/new, artifact, info, test-integrity, user,
settings/set/unset, sql and version.

Names, options and output follow Fossil 2.21 where the two overlap.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from fossilpy.cli.common import command, open_repo, repository_option
from fossilpy.errors import NotFound, UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.settings import Setting

# ---------------------------------------------------------------------------
# init / new
# ---------------------------------------------------------------------------


@command("init")
@click.option("-A", "--admin-user", "admin_user", metavar="NAME", help="Login of the setup user.")
@click.option("--sha1", is_flag=True, help="Use SHA1 rather than SHA3-256 for new artifacts.")
@click.option("--project-name", "project_name", metavar="NAME", help="Name of the project.")
@click.option("--project-desc", "project_desc", metavar="TEXT", help="Description of the project.")
@click.option("--date-override", "date", metavar="DATETIME", help="Date of the initial check-in.")
@click.argument("filename", metavar="FILE")
def init_cmd(
    admin_user: str | None,
    sha1: bool,
    project_name: str | None,
    project_desc: str | None,
    date: str | None,
    filename: str,
) -> None:
    """Create a new repository FILE with an initial empty check-in.

    Prints the project and server codes and the setup user's initial
    password.
    """
    from fossilpy.repo.create import create_repository

    repo = create_repository(
        filename,
        admin_user=admin_user,
        sha1=sha1,
        project_name=project_name,
        date=date,
        env=os.environ,
    )
    try:
        if project_desc:
            repo.config_set("project-description", project_desc)
        login = repo.one("SELECT login FROM user WHERE cap='s' ORDER BY uid LIMIT 1")
        password = repo.one("SELECT pw FROM user WHERE login=?", (login,))
        if project_name:
            click.echo(f"project-name: {project_name}")
        if project_desc:
            click.echo(f"project-description: {project_desc}")
        click.echo(f"project-id: {repo.config_get('project-code')}")
        click.echo(f"server-id:  {repo.config_get('server-code')}")
        click.echo(f'admin-user: {login} (initial password is "{password}")')
    finally:
        repo.close()


# ---------------------------------------------------------------------------
# artifact / info
# ---------------------------------------------------------------------------


@command("artifact")
@repository_option()
@click.argument("name", metavar="ARTIFACT-ID")
@click.argument("output", metavar="FILE", required=False)
def artifact_cmd(repository: str | None, name: str, output: str | None) -> None:
    """Write the artifact NAME to standard output, or to FILE."""
    from fossilpy.repo import content, names

    with open_repo(repository, readonly=True) as repo:
        rid = names.resolve(repo, name, private=True)  # the file's owner sees private content
        data = content.get(repo, rid)
        if data is None:
            raise NotFound(f"content of {name} is not available (phantom)")
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        try:
            with open(output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise UserError(f"cannot write {output}: {exc.strerror}") from None


def _event_date(repo: Repo, rid: int) -> str:
    date = repo.one("SELECT datetime(mtime) || ' UTC' FROM event WHERE objid=?", (rid,))
    return date or ""


def _show_common_info(repo: Repo, rid: int, label: str = "hash:") -> None:
    """``show_common_info(rid, label, 1, 1)``."""
    uuid = repo.one("SELECT uuid FROM blob WHERE rid=?", (rid,))
    comment = None
    if uuid:
        click.echo(f"{label:<13} {uuid[:40]} {_event_date(repo, rid)}")
        comment = repo.one(
            "SELECT coalesce(ecomment,comment) || ' (user: ' || coalesce(euser,user,'?') || ')'"
            "  FROM event WHERE objid=?",
            (rid,),
        )
    for label_prim, label_merge, sql in (
        ("parent:", "merged-from:", "SELECT uuid, pid, isprim FROM plink JOIN blob ON pid=rid"
         " WHERE cid=? ORDER BY isprim DESC, mtime DESC"),
        ("child:", "merged-into:", "SELECT uuid, cid, isprim FROM plink JOIN blob ON cid=rid"
         " WHERE pid=? ORDER BY isprim DESC, mtime DESC"),
    ):
        for other_uuid, other, isprim in repo.all(sql, (rid,)):
            kind = label_prim if isprim else label_merge
            click.echo(f"{kind:<13} {other_uuid[:40]} {_event_date(repo, other)}")
    tags = repo.one(
        "SELECT group_concat(substr(tagname, 5), ', ') FROM tagxref, tag"
        " WHERE tagxref.rid=? AND tagxref.tagtype>0 AND tag.tagid=tagxref.tagid AND tag.tagname GLOB 'sym-*'",
        (rid,),
    )
    if tags:
        click.echo(f"tags:         {tags}")
    if comment:
        from fossilpy.cli.history_cmds import _comment_print_legacy
        from fossilpy.cli.where import max_chars

        sys.stdout.write("comment:      ")
        sys.stdout.flush()
        _comment_print_legacy(sys.stdout.buffer, comment, 14, max_chars(None, 14))
        sys.stdout.buffer.flush()


@command("info")
@repository_option()
@click.option("-v", "--verbose", is_flag=True, help="Show more about the repository.")
@click.argument("name", required=False, metavar="[VERSION|REPOSITORY]")
def info_cmd(repository: str | None, verbose: bool, name: str | None) -> None:
    """Show a summary of the repository (and of the open checkout), or what VERSION is.

    Inside a checkout, without -R, the repository is the checkout's and the
    summary adds Fossil's repository, local-root, config-db and checkout
    lines (the current check-in with its parents, children, tags and
    comment); VERSION may then be ``current``, ``prev`` or ``next``."""
    from fossilpy.cli.where import open_here, rid_of

    if name and not repository and os.path.isfile(name):
        repository, name = name, None
        with open_repo(repository, readonly=True) as repo:
            click.echo(f"project-name: {repo.config_get('project-name', '<unnamed>')}")
            click.echo(f"project-code: {repo.config_get('project-code', '<none>')}")
            _show_parent(repo)
            _extra_repo_info(repo, None)
        return
    missing = "use --repository or -R to specify the repository"
    with open_here(repository, readonly=True, missing=missing) as here:
        repo = here.repo
        if name:
            _show_common_info(repo, rid_of(here, name, "*"))
            return
        click.echo(f"project-name: {repo.config_get('project-name', '<unnamed>')}")
        ck = here.ck
        if ck is not None:
            from fossilpy.cli.checkout_cmds import config_db

            click.echo(f"repository:   {os.path.normpath(os.path.abspath(repo.path))}")
            click.echo(f"local-root:   {ck.root}")
        if verbose:
            _extra_repo_info(repo, ck.root if ck is not None else None)
        if ck is not None:
            click.echo(f"config-db:    {config_db()}")
        click.echo(f"project-code: {repo.config_get('project-code', '')}")
        _show_parent(repo)
        if here.vid:
            _show_common_info(repo, here.vid, "checkout:")
        count = repo.one("SELECT count(*) FROM event WHERE type='ci'")
        click.echo(f"check-ins:    {count}")
        if verbose:
            from fossilpy import FOSSIL_COMPAT_VERSION, __version__

            click.echo(f"fossil:       {os.path.abspath(sys.argv[0])}")
            click.echo(f"version:      fossilpy {__version__} (compatible with Fossil {FOSSIL_COMPAT_VERSION})")


def _extra_repo_info(repo: Repo, local_root: str | None) -> None:
    """``extraRepoInfo``: the repository's other checkouts (``check-out:``, or ``alt-root:``
    beside the open one) that still exist, then its ``access-url:`` rows, newest first."""
    for root, day in repo.all(
        "SELECT substr(name,7), date(mtime,'unixepoch') FROM config WHERE name GLOB 'ckout:*' ORDER BY mtime DESC"
    ):
        root = str(root)
        if not any(os.path.isfile(os.path.join(root, n)) for n in (".fslckout", "_FOSSIL_")):
            continue
        if local_root is not None:
            if root == local_root:
                continue
            label = "alt-root:"
        else:
            label = "check-out:"
        click.echo(f"{label:<11}   {root:<54} {day}")
    for url, day in repo.all(
        "SELECT substr(name,9), date(mtime,'unixepoch') FROM config WHERE name GLOB 'baseurl:*' ORDER BY mtime DESC"
    ):
        click.echo(f"access-url:   {url:<54} {day}")


def _show_parent(repo: Repo) -> None:
    """``showParentProject``."""
    parent = repo.config_get("parent-project-code")
    if parent:
        click.echo(f"derived-from: {parent} {repo.config_get('parent-project-name', '')}")


# ---------------------------------------------------------------------------
# test-integrity
# ---------------------------------------------------------------------------


@command("test-integrity")
@repository_option()
@click.option("--parse", is_flag=True, help="Also parse every structural artifact.")
@click.option("-d", "--db-only", "db_only", is_flag=True, help="Only run PRAGMA integrity_check.")
@click.option("-q", "--quick", is_flag=True, help="Only run PRAGMA quick_check.")
def test_integrity_cmd(repository: str | None, parse: bool, db_only: bool, quick: bool) -> None:
    """Check that every artifact can be expanded and hashes to its name.

    Output matches ``fossil test-integrity``; the exit code is 0 even when
    errors are reported, as with Fossil (except for --db-only/--quick).
    """
    from fossilpy.repo import content

    with open_repo(repository, readonly=True) as repo:
        if db_only or quick:
            kind = "quick" if quick else "integrity"
            result = repo.one(f"PRAGMA {kind}_check")
            if result != "ok":
                click.echo(f"{kind}_check failed!")
                sys.exit(1)
            click.echo("ok")
            return
        report = content.integrity_report(repo, parse=parse)
        for line in report.lines:
            click.echo(line)
        for line in report.summary_lines(parse):
            click.echo(line)


# ---------------------------------------------------------------------------
# user
# ---------------------------------------------------------------------------

_USER_SUBCOMMANDS = ("capabilities", "contact", "default", "list", "new", "password")


def _user_subcommand(word: str) -> str:
    if word == "ls":
        return "list"
    if len(word) >= 2:
        for sub in _USER_SUBCOMMANDS:
            if sub.startswith(word):
                return sub
    raise UserError(
        "user subcommand should be one of: capabilities contact default list new password"
    )


def _usage(text: str) -> UserError:
    return UserError(f"usage: fossilpy user {text}")


@command("user", context_settings={"ignore_unknown_options": True})
@repository_option()
@click.argument("args", nargs=-1)
def user_cmd(repository: str | None, args: tuple[str, ...]) -> None:
    """Manage users.

    \b
    user new [LOGIN [CONTACT [PASSWORD]]]   add a user (caps: default-perms)
    user list                               logins and contact information
    user password LOGIN [PASSWORD]          change a password
    user capabilities LOGIN [CAPS]          show or set capabilities
    user contact LOGIN [CONTACT]            show or set contact information
    user default [LOGIN]                    show or set the default user
    """
    from fossilpy.repo import users

    if not args:
        raise UserError("usage: fossilpy user capabilities|contact|default|list|new|password ...")
    sub = _user_subcommand(args[0])
    rest = list(args[1:])
    with open_repo(repository) as repo:
        if sub == "new":
            if len(rest) > 3:
                raise _usage("new ?LOGIN? ?CONTACT? ?PASSWORD?")
            login = rest[0] if rest else click.prompt("login", prompt_suffix=": ")
            if repo.one("SELECT 1 FROM user WHERE login=?", (login,)):
                raise UserError(f"user {login} already exists")
            contact = rest[1] if len(rest) > 1 else click.prompt(
                "contact-info", default="", show_default=False, prompt_suffix=": "
            )
            if len(rest) > 2:
                password = rest[2]
            else:
                password = click.prompt(
                    "password", hide_input=True, confirmation_prompt=True, prompt_suffix=": "
                )
            users.create_user(repo, login, password=password, contact=contact)
        elif sub == "list":
            for login, info in users.list_users(repo):
                click.echo(f"{login:<12} {info}")
        elif sub == "password":
            if len(rest) not in (1, 2):
                raise _usage("password USERNAME ?NEW-PASSWORD?")
            users.capabilities(repo, rest[0])  # NotFound if missing
            if len(rest) == 2:
                password = rest[1]
            else:
                password = click.prompt(
                    f"New password for {rest[0]}",
                    hide_input=True,
                    confirmation_prompt=True,
                    default="",
                    show_default=False,
                    prompt_suffix=": ",
                )
            if not password:
                click.echo("password unchanged")
            else:
                users.set_password(repo, rest[0], password)
        elif sub == "capabilities":
            if len(rest) not in (1, 2):
                raise _usage("capabilities USERNAME ?PERMISSIONS?")
            if len(rest) == 2:
                users.set_capabilities(repo, rest[0], rest[1])
            click.echo(users.capabilities(repo, rest[0]))
        elif sub == "contact":
            if len(rest) not in (1, 2):
                raise _usage("contact USERNAME ?CONTACT-INFO?")
            if len(rest) == 2:
                users.set_contact(repo, rest[0], rest[1])
            users.capabilities(repo, rest[0])
            click.echo(repo.one("SELECT info FROM user WHERE login=?", (rest[0],)) or "")
        elif sub == "default":
            if len(rest) > 1:
                raise _usage("default ?USERNAME?")
            if rest:
                users.set_default_user(repo, rest[0])
            else:
                click.echo(users.select_user(repo, os.environ)[1])


# ---------------------------------------------------------------------------
# settings / set / unset
# ---------------------------------------------------------------------------


def _print_setting(repo: Repo, setting: Setting, root: str | None = None) -> None:
    value = repo.config_get(setting.name)
    row = repo.row("SELECT value FROM config WHERE name=?", (setting.name,))
    if row is not None:
        shown = "" if value is None else str(value)
        click.echo(f"{setting.name:<20} {'(local)':<8} {shown}")
    else:
        click.echo(f"{setting.name:<20}")
    if root is not None:
        from fossilpy.checkout.settings import overridden_note

        note = overridden_note(root, setting.name)
        if note is not None:
            click.echo(note)


@command("settings")
@repository_option()
@click.option("--exact", is_flag=True, help="Match NAME exactly, not as a prefix.")
@click.argument("name", required=False)
@click.argument("value", required=False)
def settings_cmd(repository: str | None, exact: bool, name: str | None, value: str | None) -> None:
    """Show or change repository settings.

    With no NAME, list every setting and its repository value.  With NAME,
    show the settings whose names start with NAME.  With NAME VALUE, set it
    (NAME may be a unique prefix).
    """
    from fossilpy import settings as registry

    root = None
    if repository is None and not os.environ.get("FOSSILPY_REPOSITORY"):
        from fossilpy.checkout.settings import repository_of

        found = repository_of(os.getcwd())  # inside a checkout: its repository, and .fossil-settings/
        if found is not None:
            repository, root = found
    with open_repo(repository, readonly=value is None) as repo:
        if name is None:
            for setting in registry.SETTINGS.values():
                _print_setting(repo, setting, root)
            return
        if value is not None:
            setting = registry.find_setting(name, allow_prefix=not exact)
            repo.config_set(setting.name, value)
            return
        matches = (
            [registry.find_setting(name)] if exact else registry.matching_settings(name)
        )
        if not matches:
            raise NotFound(f"no such setting: {name}")
        for setting in matches:
            _print_setting(repo, setting, root)


@command("unset")
@repository_option()
@click.option("--exact", is_flag=True, help="Match NAME exactly, not as a prefix.")
@click.argument("name")
def unset_cmd(repository: str | None, exact: bool, name: str) -> None:
    """Remove the repository value of setting NAME (back to its default)."""
    from fossilpy import settings as registry

    if repository is None and not os.environ.get("FOSSILPY_REPOSITORY"):
        from fossilpy.checkout.settings import repository_of

        found = repository_of(os.getcwd())  # inside a checkout: its repository
        if found is not None:
            repository = found[0]
    with open_repo(repository) as repo:
        setting = registry.find_setting(name, allow_prefix=not exact)
        repo.config_unset(setting.name)


# ---------------------------------------------------------------------------
# sql
# ---------------------------------------------------------------------------


def _sql_value(value: object, mode: str) -> str:
    if mode == "quote":
        if value is None:
            return "NULL"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, bytes):
            return "X'" + value.hex().upper() + "'"
        return "'" + str(value).replace("'", "''") + "'"
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        return repr(value)
    return str(value)


@command("sql", context_settings={"ignore_unknown_options": False})
@repository_option()
@click.option("--readonly", is_flag=True, help="Open the repository read-only.")
@click.option(
    "--mode", type=click.Choice(["list", "quote"]), default="list", help="Output mode (default list)."
)
@click.argument("sql", nargs=-1)
def sql_cmd(repository: str | None, readonly: bool, mode: str, sql: tuple[str, ...]) -> None:
    """Run SQL against the repository; from the arguments or standard input.

    Rows print as in sqlite3's list mode: columns separated by "|", NULL
    as an empty string.
    """
    import sqlite3

    from fossilpy.repo.schema import split_statements

    text = " ".join(sql) if sql else sys.stdin.read()
    statements = split_statements(text)
    if not statements and text.strip():
        statements = [text.strip()]
    with open_repo(repository, readonly=readonly) as repo:
        for statement in statements:
            try:
                cur = repo.db.execute(statement)
            except sqlite3.Error as exc:
                raise UserError(f"SQL error: {exc}") from None
            for row in cur:
                click.echo("|".join(_sql_value(v, mode) for v in row) if mode == "list"
                           else ",".join(_sql_value(v, mode) for v in row))


# ---------------------------------------------------------------------------
# version
# ---------------------------------------------------------------------------


@command("version")
@click.option("-v", "--verbose", is_flag=True, help="Also show the versions of what fossilpy uses.")
def version_cmd(verbose: bool) -> None:
    """Print the version of fossilpy."""
    from fossilpy import FOSSIL_COMPAT_VERSION, __version__

    click.echo(f"This is fossilpy version {__version__} (compatible with Fossil {FOSSIL_COMPAT_VERSION})")
    if verbose:
        import sqlite3
        import zlib

        click.echo(f"Python {sys.version.split()[0]}")
        click.echo(f"SQLite {sqlite3.sqlite_version}")
        click.echo(f"zlib {zlib.ZLIB_VERSION}")
