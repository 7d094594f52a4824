"""Remote repository URLs, as Fossil 2.21's ``url_parse_local`` reads them.

Forms::

    http[s]://[USER[:PASSWORD]@]HOST[:PORT][/PATH]
    ssh://[USER@]HOST[:PORT]/PATH[?fossil=REMOTE-FOSSIL]
    file://PATH  |  file:PATH  |  PATH (an existing repository file)

USER and PASSWORD may use %HH escapes.  The host is lowercased.  The
"canonical" form (remembered in ``last-sync-url``) drops the password and
the default port; for ssh, ``PATH`` sent to the remote is the URL path
without its first ``/`` (``ssh://h//abs/r.fossil`` names ``/abs/r.fossil``).

Remembered URLs (``config`` table)::

    last-sync-url   canonical URL of the default remote
    last-sync-pw    its password, obscured (fossilpy.sync.auth.obscure)
    sync-url:NAME / sync-pw:NAME     named remotes ("fossil remote add")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from fossilpy.errors import UserError
from fossilpy.text import is_digits

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


@dataclass
class Url:
    protocol: str  # http, https, ssh, file
    name: str = ""  # host name, or the canonical file name for file:
    port: int = 0
    default_port: int = 0
    path: str = ""
    user: str | None = None
    password: str | None = None
    fossil: str = "fossil"  # ?fossil= for ssh
    canonical: str = ""
    pw_config: str | None = None  # config row the password came from

    @property
    def is_ssh(self) -> bool:
        return self.protocol == "ssh"

    @property
    def is_file(self) -> bool:
        return self.protocol == "file"

    @property
    def hostname(self) -> str:
        """``Host:`` header value: name, plus ``:PORT`` when one was given."""
        return f"{self.name}:{self.port}" if self.port != self.default_port else self.name

    def full(self) -> str:
        """The URL with user and password (for --transport-command)."""
        if self.is_file or not self.user:
            return self.canonical
        cred = quote(self.user, safe="")
        if self.password:
            cred += ":" + quote(self.password, safe="")
        port = f":{self.port}" if self.port != self.default_port else ""
        return f"{self.protocol}://{cred}@{self.name}{port}{self._urlpath()}"

    def _urlpath(self) -> str:
        return ("/" + self.path) if self.is_ssh and self.path and self.path != "/" else self.path


def parse(text: str) -> Url:
    """Parse a URL or repository file name; raise UserError if neither."""
    for proto, default in (("https://", 443), ("http://", 80), ("ssh://", 22)):
        if text.startswith(proto):
            return _parse_net(text, proto[:-3], default)
    if text.startswith("file:"):
        path = text[7:] if text.startswith("file://") else text[5:]
        return _file_url(unquote(path))
    if os.path.isfile(text):
        return _file_url(text)
    if os.path.isdir(text) and os.path.isfile(os.path.join(text, "FOSSIL")):
        return _file_url(os.path.join(text, "FOSSIL"))
    raise UserError(f"unknown repository: {text}")


def _file_url(path: str) -> Url:
    name = os.path.abspath(path)
    return Url("file", name=name, canonical="file://" + name)


def _parse_net(text: str, proto: str, default_port: int) -> Url:
    u = Url(proto, default_port=default_port)
    rest = text[len(proto) + 3 :]
    slash = rest.find("/")
    authority, tail = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    if "@" in authority:
        cred, authority = authority.rsplit("@", 1)
        user, sep, pw = cred.partition(":")
        u.user = unquote(user)
        if sep:
            u.password = unquote(pw)
    host = authority
    port = default_port
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise UserError(f"malformed URL: {text}")
        name, after = host[1:end], host[end + 1 :]
    else:
        name, _, after = host.partition(":")
        after = (":" + after) if _ else ""
    if after.startswith(":"):
        digits = after[1:]
        if not is_digits(digits):
            raise UserError("url missing '/' after port number")
        port = int(digits)
    u.name = unquote(name.lower())
    u.port = port
    path, _, query = tail.partition("?")
    for item in query.split("&") if query else ():
        key, _, value = item.partition("=")
        if key == "fossil":
            u.fossil = unquote(value)
    u.path = unquote(path)
    login = f"{quote(u.user, safe='')}@" if u.user else ""
    portpart = f":{port}" if port != default_port else ""
    exe = f"?fossil={quote(u.fossil, safe='/')}" if u.is_ssh and u.fossil != "fossil" else ""
    u.canonical = f"{proto}://{login}{u.name}{portpart}{quote(u.path, safe='/')}{exe}"
    if u.is_ssh and len(u.path) > 1:
        u.path = u.path[1:]
    return u


def from_config(repo: Repo, name: str | None) -> Url | None:
    """Resolve "default"/None/a remote NAME/a URL, with remembered password."""
    # sync.auth is imported only once there is a remote: autosync asks on every commit
    if name is None or name == "default":
        text = repo.config_get("last-sync-url")
        if not text:
            return None
        u = parse(str(text))
        if u.password is None:
            from fossilpy.sync.auth import unobscure

            u.password = unobscure(repo.config_get("last-sync-pw"))
            u.pw_config = "last-sync-pw"
        return u
    alias = repo.config_get(f"sync-url:{name}")
    if alias:
        from fossilpy.sync.auth import unobscure

        u = parse(str(alias))
        u.password = unobscure(repo.config_get(f"sync-pw:{name}")) or u.password
        u.pw_config = f"sync-pw:{name}"
        return u
    return parse(name)


def remember(repo: Repo, u: Url, *, with_password: bool) -> None:
    """Store ``last-sync-url`` (and ``last-sync-pw`` when asked)."""
    from fossilpy.sync.auth import obscure

    with repo.write():
        repo.config_set("last-sync-url", u.canonical)
        if with_password and u.user and u.password:
            repo.config_set("last-sync-pw", obscure(u.password))
