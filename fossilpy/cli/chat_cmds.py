"""``fossilpy chat [send|pull|url]``: the chat room of a remote repository
from the command line (Fossil 2.21's ``chat`` command, ``src/chat.c``).

The remote is ``--remote URL`` or the repository's default remote
(``last-sync-url``, with its remembered password).  Only http:// and
https:// work; plain http:// needs ``--unsafe``.  The login travels in the
form itself, obscured as Fossil's ``obscure()`` does (``resid`` = login,
``token`` = password), which both Fossil and fossilpy accept on
``/chat-send`` and ``/chat-backup``.

``send`` POSTs ``multipart/form-data`` to ``/chat-send``, framed as
Fossil frames it (no boundary in the Content-Type header; the body's
first line is the separator, ``--------`` and 48 digits): ``lmtime`` (local
time ``YYYY-MM-DDTHH:MM:SS``), ``resid``, ``token``, ``msg`` and ``file``
(its name reduced to letters, digits, ``.`` and ``-``, other characters
``_``).  A JSON refusal (``{"isError": true, ...}``) is an error.

``pull`` GETs ``/chat-backup?msgid=N&resid=...&token=...`` (setup users
only): an SQLite database of the messages after N, the newest msgid here
(all with ``--all``), which is merged into this repository's ``chat`` table
(or written to ``--out FILE``).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import click

from fossilpy.cli.common import repository_option
from fossilpy.cli.group import FossilErrorHandlingCommand
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo
    from fossilpy.sync.url import Url

_CTX = {"help_option_names": ["-h", "--help"]}


class _Group(click.Group):
    command_class = FossilErrorHandlingCommand


def _remote(repository: str | None, remote: str | None) -> tuple[Repo, Url, str]:
    """The open repository, the chat server's URL (with credentials) and its
    base ``SCHEME://HOST[:PORT]/PATH`` without a trailing "/"."""
    from fossilpy.cli.where import open_here
    from fossilpy.sync import url as urlmod

    repo = open_here(repository).repo
    u = urlmod.parse(remote) if remote else urlmod.from_config(repo, None)
    if u is None:
        raise UserError('no "remote" repository defined')
    if u.protocol not in ("http", "https"):
        raise UserError("chat only works for http:// and https:// URLs")
    port = f":{u.port}" if u.port != u.default_port else ""
    return repo, u, f"{u.protocol}://{u.name}{port}{u.path.rstrip('/')}"


def _check_safe(u: Url, base: str, unsafe: bool) -> None:
    if u.protocol != "https" and not unsafe:
        raise UserError(f'URL "{base}" is unencrypted. Use https:// instead')


def _credentials(u: Url) -> dict[str, str]:
    from fossilpy.sync.auth import obscure

    out: dict[str, str] = {}
    if u.user:
        out["resid"] = obscure(u.user) or ""
    if u.password:
        out["token"] = obscure(u.password) or ""
    return out


def _http(url: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
    """One HTTP request; (status, body).  A refused connection is an error."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body)
    req.add_header("User-Agent", "Fossil/2.21 fossilpy")
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"cannot reach {url.split('?')[0]}: {getattr(exc, 'reason', exc)}") from None


@click.group("chat", cls=_Group, invoke_without_command=True, context_settings=_CTX)
@repository_option()
@click.option("--remote", metavar="URL", help="The chat server (default: the default remote).")
@click.pass_context
def chat_cmd(ctx: click.Context, repository: str | None, remote: str | None) -> None:
    """The chat room of the default remote repository, or of --remote URL.

    Without a subcommand, open the chat room in the web browser.
    """
    if ctx.invoked_subcommand is None:
        import webbrowser

        _, _, base = _remote(repository, remote)
        webbrowser.open(base + "/chat?cli")


@chat_cmd.command("url")
@repository_option()
@click.option("--remote", metavar="URL", help="The chat server.")
def chat_url(repository: str | None, remote: str | None) -> None:
    """Show the URL of the chat room."""
    _, _, base = _remote(repository, remote)
    click.echo(f"{base}/chat")


def _safe_name(name: str) -> str:
    return "".join(c if (c.isascii() and c.isalnum()) or c in ".-" else "_" for c in name)


@chat_cmd.command("send")
@repository_option()
@click.option("--remote", metavar="URL", help="Send to this remote URL.")
@click.option("-m", "--message", metavar="TEXT", help="Text of the chat message.")
@click.option("-r", "--file", "filename", metavar="FILENAME", help="File to attach to the message.")
@click.option("--as", "as_name", metavar="FILENAME2", help="Send --file under this attachment name.")
@click.option("--unsafe", is_flag=True, help="Allow the use of unencrypted http://.")
def chat_send(
    repository: str | None,
    remote: str | None,
    message: str | None,
    filename: str | None,
    as_name: str | None,
    unsafe: bool,
) -> None:
    """Send a new message (and/or a file) to the chat room."""
    import secrets

    from fossilpy.web.pages.files import mimetype_for

    _, u, base = _remote(repository, remote)
    if filename is None and message is None:
        raise UserError("must have --message or --file or both")
    _check_safe(u, base, unsafe)
    boundary = "--------" + "".join(str(secrets.randbelow(10)) for _ in range(48))
    fields = {"lmtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()), **_credentials(u)}
    if message:
        fields["msg"] = message
    body = b""
    for key, value in fields.items():
        body += f'{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    if filename:
        try:
            with open(filename, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UserError(f"cannot read {filename}: {exc.strerror}") from None
        if data:
            name = _safe_name(os.path.basename(as_name or filename))
            body += (
                (
                    f'{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                    f"Content-Type: {mimetype_for(name)}\r\n\r\n"
                ).encode()
                + data
                + b"\r\n"
            )
    body += f"{boundary}--\r\n".encode()
    # as Fossil: the header names no boundary, the receiver takes the first line's
    status, reply = _http(base + "/chat-send", body, "multipart/form-data")
    text = reply.decode("utf-8", "replace")
    if text.startswith('{"isError": true,'):
        if "not logged in" in text:
            click.echo("ERROR: username and/or password is incorrect")
        else:
            click.echo(f"ERROR: {text}")
        raise UserError("unable to send the chat message")
    if status != 200:
        raise UserError(f"server says: {status}")


@chat_cmd.command("pull")
@repository_option()
@click.option("--remote", metavar="URL", help="Pull from this remote URL.")
@click.option("--all", "everything", is_flag=True, help="Download all chat content, not only what is new.")
@click.option("--debug", is_flag=True, help="Additional debugging output.")
@click.option("--out", metavar="DATABASE", help="Store the CHAT table in this separate database file.")
@click.option("--unsafe", is_flag=True, help="Allow the use of unencrypted http://.")
def chat_pull(
    repository: str | None, remote: str | None, everything: bool, debug: bool, out: str | None, unsafe: bool
) -> None:
    """Copy chat content from the server into this repository (setup
    privilege is required on the server)."""
    import sqlite3
    from urllib.parse import quote

    from fossilpy.repo import chat

    repo, u, base = _remote(repository, remote)
    chat.ensure(repo)
    msgid = 0 if everything else int(repo.one("SELECT max(msgid) FROM chat") or 0)
    _check_safe(u, base, unsafe)
    query = f"msgid={msgid}" + "".join(f"&{k}={quote(v)}" for k, v in _credentials(u).items())
    if debug:
        click.echo(f"REQUEST_URI: {u.path.rstrip('/')}/chat-backup?{query}")
    _, data = _http(f"{base}/chat-backup?{query}")
    if out:
        with open(out, "wb") as fh:
            fh.write(data)
        click.echo(f"Chat database at {out} is {len(data)} bytes")
        return
    mem = sqlite3.connect(":memory:")
    try:
        try:
            mem.deserialize(data)
            rows = mem.execute(
                "SELECT msgid,mtime,lmtime,xfrom,xmsg,fname,fmime,mdel,file FROM chat ORDER BY msgid"
            ).fetchall()
        except sqlite3.Error:
            raise UserError("no chat database in the reply (setup privilege is required on the server)") from None
    finally:
        mem.close()
    click.echo(f"Got {len(rows)} new records, {len(data)} bytes")
    with repo.write():
        for row in rows:
            repo.execute(
                "REPLACE INTO chat(msgid,mtime,lmtime,xfrom,xmsg,fname,fmime,mdel,file) VALUES(?,?,?,?,?,?,?,?,?)", row
            )


@click.command(
    "test-chat-formatter",
    cls=FossilErrorHandlingCommand,
    context_settings={**_CTX, "ignore_unknown_options": True},  # messages may start with "-"
)
@repository_option()
@click.argument("strings", nargs=-1)
def test_chat_formatter_cmd(repository: str | None, strings: tuple[str, ...]) -> None:
    """Show the HTML /chat makes of each STRING (Markdown), to check the
    formatter and that no message can inject script.  As in Fossil, the
    command's own name words are formatted first, as [0] and [1]."""
    from fossilpy.cli.where import open_here
    from fossilpy.repo import chat

    open_here(repository, readonly=True)
    for i, text in enumerate(("fossilpy", "test-chat-formatter", *strings)):
        click.echo(f"[{i}]: {chat.render(text)}")
