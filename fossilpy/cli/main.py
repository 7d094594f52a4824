"""Entry point of the ``fossilpy`` executable.

Commands are registered in :data:`COMMANDS` as ``name -> "module:attr"`` and
imported only when run (or when ``--help`` lists them), so a CGI or SSH
request that starts a new process pays only for what it uses.  The click
command's docstring is its help text.

Errors: a :class:`fossilpy.errors.FossilError` becomes one line on stderr,
``fossilpy: MESSAGE``, and its ``exit_code``; anything else is a bug and
keeps its traceback.

A CGI script whose first line is ``#!/path/to/fossilpy`` runs this program
as ``fossilpy SCRIPT``; when ``GATEWAY_INTERFACE`` is set and the first
argument is a file rather than a command, the CGI door serves the request.
The two other doors that start a process per request skip click too in the
form their callers use: ``fossilpy test-http REPOSITORY-FILE`` (what a
Fossil client runs over SSH) and ``fossilpy http REPOSITORY-FILE`` (inetd,
systemd), with no options; any other form goes through click as usual.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from fossilpy.errors import FossilError

#: name -> "module:attribute" of a click command.  One line per command;
#: aliases point at the same object.
COMMANDS: dict[str, str] = {
    # repository core
    "init": "fossilpy.cli.repo_cmds:init_cmd",
    "new": "fossilpy.cli.repo_cmds:init_cmd",
    "rebuild": "fossilpy.cli.history_cmds:rebuild_cmd",
    "artifact": "fossilpy.cli.repo_cmds:artifact_cmd",
    "info": "fossilpy.cli.repo_cmds:info_cmd",
    "timeline": "fossilpy.cli.history_cmds:timeline_cmd",
    "test-integrity": "fossilpy.cli.repo_cmds:test_integrity_cmd",
    "user": "fossilpy.cli.repo_cmds:user_cmd",
    "login-group": "fossilpy.cli.login_group_cmds:login_group_cmd",
    "settings": "fossilpy.cli.repo_cmds:settings_cmd",
    "set": "fossilpy.cli.repo_cmds:settings_cmd",
    "unset": "fossilpy.cli.repo_cmds:unset_cmd",
    "help": "fossilpy.cli.help_cmds:help_cmd",
    "sql": "fossilpy.cli.repo_cmds:sql_cmd",
    "sqlite3": "fossilpy.cli.repo_cmds:sql_cmd",
    "version": "fossilpy.cli.repo_cmds:version_cmd",
    "test-parse-manifest": "fossilpy.cli.format_cmds:test_parse_manifest_cmd",
    "test-delta-create": "fossilpy.cli.format_cmds:test_delta_create_cmd",
    "test-delta-apply": "fossilpy.cli.format_cmds:test_delta_apply_cmd",
    "test-compress": "fossilpy.cli.format_cmds:test_compress_cmd",
    "test-uncompress": "fossilpy.cli.format_cmds:test_uncompress_cmd",
    "sha1sum": "fossilpy.cli.format_cmds:sha1sum_cmd",
    "sha3sum": "fossilpy.cli.format_cmds:sha3sum_cmd",
    # sync
    "clone": "fossilpy.cli.sync_cmds:clone_cmd",
    "pull": "fossilpy.cli.sync_cmds:pull_cmd",
    "push": "fossilpy.cli.sync_cmds:push_cmd",
    "sync": "fossilpy.cli.sync_cmds:sync_cmd",
    "remote": "fossilpy.cli.sync_cmds:remote_cmd",
    "remote-url": "fossilpy.cli.sync_cmds:remote_cmd",
    "uv": "fossilpy.cli.sync_cmds:uv_cmd",
    "unversioned": "fossilpy.cli.sync_cmds:uv_cmd",
    "test-xfer": "fossilpy.cli.sync_cmds:test_xfer_cmd",
    # doors
    "server": "fossilpy.cli.serve_cmds:server_cmd",
    "ui": "fossilpy.cli.serve_cmds:ui_cmd",
    "http": "fossilpy.cli.serve_cmds:http_cmd",
    "test-http": "fossilpy.cli.serve_cmds:test_http_cmd",
    "cgi": "fossilpy.cli.serve_cmds:cgi_cmd",
    # backoffice and alerts
    "backoffice": "fossilpy.cli.backoffice_cmds:backoffice_cmd",
    "test-backoffice-lease": "fossilpy.cli.backoffice_cmds:test_backoffice_lease_cmd",
    "alerts": "fossilpy.cli.alerts_cmds:alerts_cmd",
    "peers": "fossilpy.cli.alerts_cmds:peers_cmd",
    "webhook": "fossilpy.cli.webhook_cmds:webhook_cmd",
    "email-inbound": "fossilpy.cli.email_cmds:email_inbound_cmd",
    "chat": "fossilpy.cli.chat_cmds:chat_cmd",
    "test-chat-formatter": "fossilpy.cli.chat_cmds:test_chat_formatter_cmd",
    # wiki
    "wiki": "fossilpy.cli.wiki_cmds:wiki_cmd",
    # search
    "search": "fossilpy.cli.search_cmds:search_cmd",
    "fts-config": "fossilpy.cli.search_cmds:fts_config_cmd",
    # attachments
    "attachment": "fossilpy.cli.attachment_cmds:attachment_cmd",
    "test-list-attachments": "fossilpy.cli.attachment_cmds:test_list_attachments_cmd",
    "ticket": "fossilpy.cli.ticket_cmds:ticket_cmd",
    # archives of a check-in
    "zip": "fossilpy.cli.archive_cmds:zip_cmd",
    "tarball": "fossilpy.cli.archive_cmds:tarball_cmd",
    "sqlar": "fossilpy.cli.archive_cmds:sqlar_cmd",
    # checkout (issue 13)
    "open": "fossilpy.cli.open_cmds:open_cmd",
    "close": "fossilpy.cli.checkout_cmds:close_cmd",
    "status": "fossilpy.cli.checkout_cmds:status_cmd",
    "changes": "fossilpy.cli.checkout_cmds:changes_cmd",
    "extras": "fossilpy.cli.checkout_cmds:extras_cmd",
    "ls": "fossilpy.cli.checkout_cmds:ls_cmd",
    "add": "fossilpy.cli.checkin_cmds:add_cmd",
    "rm": "fossilpy.cli.checkin_cmds:rm_cmd",
    "delete": "fossilpy.cli.checkin_cmds:rm_cmd",
    "mv": "fossilpy.cli.checkin_cmds:mv_cmd",
    "rename": "fossilpy.cli.checkin_cmds:mv_cmd",
    "addremove": "fossilpy.cli.checkin_cmds:addremove_cmd",
    "revert": "fossilpy.cli.checkin_cmds:revert_cmd",
    "commit": "fossilpy.cli.checkin_cmds:commit_cmd",
    "ci": "fossilpy.cli.checkin_cmds:commit_cmd",
    "undo": "fossilpy.cli.checkin_cmds:undo_cmd",
    "redo": "fossilpy.cli.checkin_cmds:redo_cmd",
    "update": "fossilpy.cli.update_cmds:update_cmd",
    "checkout": "fossilpy.cli.update_cmds:checkout_cmd",
    "co": "fossilpy.cli.update_cmds:checkout_cmd",
    "merge": "fossilpy.cli.update_cmds:merge_cmd",
    "cherry-pick": "fossilpy.cli.update_cmds:merge_cmd",
    "test-show-vfile": "fossilpy.cli.update_cmds:test_show_vfile_cmd",
    # branches, tags, file history, leaves, bisect (issue 13)
    "branch": "fossilpy.cli.branch_cmds:branch_cmd",
    "tag": "fossilpy.cli.branch_cmds:tag_cmd",
    "finfo": "fossilpy.cli.finfo_cmds:finfo_cmd",
    "annotate": "fossilpy.cli.finfo_cmds:annotate_cmd",
    "blame": "fossilpy.cli.finfo_cmds:annotate_cmd",
    "praise": "fossilpy.cli.finfo_cmds:annotate_cmd",
    "leaves": "fossilpy.cli.leaves_cmds:leaves_cmd",
    "descendants": "fossilpy.cli.leaves_cmds:descendants_cmd",
    "bisect": "fossilpy.cli.leaves_cmds:bisect_cmd",
    # diff, cat, clean, stash (issue 13)
    "diff": "fossilpy.cli.diff_cmds:diff_cmd",
    "gdiff": "fossilpy.cli.diff_cmds:diff_cmd",
    "stash": "fossilpy.cli.stash_cmds:stash_cmd",
    "cat": "fossilpy.cli.diff_cmds:cat_cmd",
    "clean": "fossilpy.cli.diff_cmds:clean_cmd",
}


def _is_cgi_invocation(argv: list[str]) -> bool:
    return (
        len(argv) >= 2
        and bool(os.environ.get("GATEWAY_INTERFACE"))
        and argv[1] not in COMMANDS
        and os.path.isfile(argv[1])
    )


def _door_without_click(args: list[str]) -> bool:
    """Serve ``test-http FILE`` or ``http FILE`` (no options) without click; False if not that form.

    Same work as the click commands in ``fossilpy.cli.serve_cmds`` with
    their defaults.
    """
    if len(args) != 3 or args[1] not in ("test-http", "http") or args[2].startswith("-"):
        return False
    if not os.path.isfile(args[2]):
        return False  # a directory, or a missing file: click's command says what is wrong
    from fossilpy.serve import stdio
    from fossilpy.serve.gateway import load_app

    max_body = stdio.DEFAULT_MAX_BODY
    out = sys.stdout.buffer
    if args[1] == "test-http":
        app = load_app(repository=os.path.abspath(args[2]), max_body=max_body)
        stdio.run_test_http(app, sys.stdin.buffer, out, usercap="sxy", use_ssh=True, max_body=max_body)
    else:
        app = load_app(repository=os.path.abspath(args[2]), max_body=max_body, backoffice=True)
        stdio.run_http(app, sys.stdin.buffer, out, max_body=max_body, sent=stdio.detach_stdout)
    out.flush()
    return True


def _load_command_line(args: list[str], as_program: bool) -> Any:
    """Import click, the group and the named command's module; return the group.

    As the program (``main()`` without arguments: the console script, ``python -m
    fossilpy``), the cyclic garbage collector is off while they load and what they made
    is then moved to the permanent generation (``gc.freeze``): modules, classes and
    functions that live as long as the process, which the collector would otherwise walk
    some 30 times during the imports and once more at exit.  About 5-10 ms of CPU of a
    50-70 ms command (2026-12-03, issue 13); the command's own objects are collected as
    usual.  Not when called with arguments (tests, embedding): freezing is for the whole
    process.
    """
    import gc

    if not as_program or not gc.isenabled():
        from fossilpy.cli.group import cli

        return cli
    gc.disable()
    try:
        from fossilpy.cli.group import cli

        target = COMMANDS.get(args[1]) if len(args) > 1 else None
        if target is not None:
            from importlib import import_module

            import_module(target.partition(":")[0])  # as LazyGroup.get_command will
    finally:
        gc.enable()
    gc.freeze()
    return cli


def report(exc: BaseException) -> int:
    """Print a FossilError or sqlite3.Error as one line; return the exit code."""
    if isinstance(exc, FossilError):
        print(f"fossilpy: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    print(f"fossilpy: database error: {exc}", file=sys.stderr)
    return 1


def _is_handled(exc: BaseException) -> bool:
    sqlite3 = sys.modules.get("sqlite3")
    return isinstance(exc, FossilError) or (sqlite3 is not None and isinstance(exc, sqlite3.Error))


def main(argv: list[str] | None = None) -> Any:
    """Run the command line; return nothing, exit with the command's code.

    A CGI request is recognised before click is imported: CGI starts a
    process per request, and click costs more than the door itself.
    """
    args = list(sys.argv if argv is None else argv)
    try:
        if _is_cgi_invocation(args):
            from fossilpy.serve.cgi import run_cgi_script

            return run_cgi_script(args[1])
        try:
            if _door_without_click(args):
                return None
        except KeyboardInterrupt:  # as click reports it
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        cli = _load_command_line(args, as_program=argv is None)
        return cli.main(args=args[1:], prog_name="fossilpy", standalone_mode=True)
    except Exception as exc:
        if not _is_handled(exc):
            raise
        sys.exit(report(exc))


def __getattr__(name: str) -> Any:
    """``cli``, ``LazyGroup`` and ``FossilErrorHandlingCommand`` live in cli.group."""
    if name in ("cli", "LazyGroup", "FossilErrorHandlingCommand"):
        from fossilpy.cli import group

        return getattr(group, name)
    raise AttributeError(name)
