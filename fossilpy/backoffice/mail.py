"""Composing and sending email, as selected by the ``email-send-method`` setting.

Message text (what Fossil 2.21's ``alert_send`` produces, CRLF line ends)::

    <caller's header lines: To:, Subject:, In-Reply-To:, List-Unsubscribe: ...>
    From: <EMAIL-SELF>                    or  From: NAME <noreplyNxHASH@HOST> + Sender: <EMAIL-SELF>
    Date: RFC 822 date
    List-Id: EMAIL-LISTID                 (when set)
    Message-Id: <HEXTIMExHEXRANDOM16@HOST> (unless the caller gave one)
    MIME-Version: 1.0
    Content-Type: text/plain; charset="UTF-8"
    Content-Transfer-Encoding: quoted-printable
    <blank line>
    <body, quoted-printable: bytes outside '!'..'~', and '=' and ':', become =XX;
     soft line break "=\\r\\n" after 70 columns>

Methods (``email-send-method``):

    off     nothing is sent
    pipe    the message on the stdin of ``email-send-command`` (e.g. "sendmail -ti");
            a non-zero exit is a failure
    db      INSERT INTO email(msg) of the SQLite file ``email-send-db``
            (table email(emailid INTEGER PRIMARY KEY, msg TEXT), created if missing)
    dir     one file per message in ``email-send-dir``, named
            YYYYMMDDHHMMSS + 4-digit counter + 6-digit random + ".email"
            (written to a temporary name, then renamed: readers never see half a file)
    relay   SMTP to ``email-send-relayhost`` = [USER[:PASSWORD]@]HOST[:PORT] (port 25),
            with STARTTLS when the server offers it (certificate verified) and AUTH
            when credentials are given; delivered only on 250 after DATA
    stdout  printed, preceded by X-To-Test-N lines (debugging)

Every sender raises :class:`fossilpy.backoffice.journal.DeliveryError` on failure,
with ``permanent=True`` for refusals that a retry cannot fix (SMTP 5xx).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.backoffice.journal import DeliveryError
from fossilpy.repo.db import Repo
from fossilpy.text import is_digits

if TYPE_CHECKING:  # smtplib is imported only by the relay method
    import smtplib

METHODS = ("off", "pipe", "db", "dir", "relay", "stdout")

_QP_HEX = b"0123456789ABCDEF"


def quoted_printable(body: bytes) -> bytes:
    """Fossil's quoted-printable encoding of ``body`` (LF or CRLF line ends)."""
    out = bytearray()
    col = 0
    n = len(body)
    i = 0
    while i < n:
        c = body[i]
        i += 1
        nxt = body[i] if i < n else 0
        if (0x21 <= c <= 0x7E and c not in (0x3D, 0x3A)) or (c == 0x20 and nxt not in (0x0D, 0x0A)):
            out.append(c)
            col += 1
            if col >= 70:
                out += b"=\r\n"
                col = 0
        elif c == 0x0D and nxt == 0x0A:
            i += 1
            out += b"\r\n"
            col = 0
        elif c == 0x0A:
            out += b"\r\n"
            col = 0
        else:
            out += bytes((0x3D, _QP_HEX[c >> 4], _QP_HEX[c & 15]))
            col += 3
    return bytes(out)


def hostname_of(addr: str) -> str:
    """The part after '@' (the whole text if there is none)."""
    return addr.split("@", 1)[1] if "@" in addr else addr


def mailbox_name(from_name: str) -> str:
    """Fossil's made-up mailbox for a display name: ``noreply<len hex><hash hex8>``."""
    x = 0
    data = from_name.encode("utf-8")
    for b in data:
        x = (x * 1103515245 + 12345 + b) & 0xFFFFFFFF
    return f"noreply{len(data):x}{x:08x}"


def new_message_id(email_self: str, now: int | None = None) -> str:
    """A Message-Id in Fossil's form ``<HEXTIMExHEX16@HOST>``."""
    now = int(time.time()) if now is None else now
    return f"<{now:x}x{secrets.randbits(64):016x}@{hostname_of(email_self)}>"


def rfc822_date(now: float | None = None) -> str:
    """``Sun, 6 Nov 2026 15:00:00 +0000``: Fossil's date format for mail headers."""
    from fossilpy.artifact.fossilize import rfc822_date as fmt

    return fmt(time.time() if now is None else now)


@dataclass
class MailSettings:
    """The settings that shape and route outgoing mail."""

    method: str
    email_self: str
    listid: str | None = None
    command: str | None = None
    db: str | None = None
    dir: str | None = None
    relayhost: str | None = None

    @classmethod
    def from_repo(cls, repo: Repo) -> MailSettings:
        return cls(
            method=(repo.setting("email-send-method") or "").strip(),
            email_self=(repo.setting("email-self") or "").strip(),
            listid=repo.setting("email-listid") or None,
            command=repo.setting("email-send-command") or None,
            db=repo.setting("email-send-db") or None,
            dir=repo.setting("email-send-dir") or None,
            relayhost=repo.setting("email-send-relayhost") or None,
        )

    def problems(self) -> list[str]:
        """Configuration errors, one line each (empty when mail can be sent)."""
        if self.method not in METHODS:
            return [f'unknown email-send-method "{self.method}" (use one of {", ".join(METHODS)})']
        if self.method == "off":
            return []
        out = []
        if not self.email_self:
            out.append('missing "email-self" setting')
        need = {"pipe": ("command", "email-send-command"), "db": ("db", "email-send-db"),
                "dir": ("dir", "email-send-dir"), "relay": ("relayhost", "email-send-relayhost")}
        if self.method in need:
            attr, name = need[self.method]
            if not getattr(self, attr):
                out.append(f'missing "{name}" setting')
        if self.method == "relay" and self.relayhost:
            try:
                parse_relayhost(self.relayhost)
            except ValueError as exc:
                out.append(str(exc))
        return out


def compose(settings: MailSettings, header: str, body: str, *, from_name: str | None = None,
            message_id: str | None = None, now: float | None = None) -> str:
    """The full message text for ``header`` (CRLF-terminated lines) and ``body``."""
    parts = [header]
    if from_name:
        parts.append(
            f"From: {from_name} <{mailbox_name(from_name)}@{hostname_of(settings.email_self)}>\r\n"
        )
        parts.append(f"Sender: <{settings.email_self}>\r\n")
    else:
        parts.append(f"From: <{settings.email_self}>\r\n")
    parts.append(f"Date: {rfc822_date(now)}\r\n")
    if settings.listid:
        parts.append(f"List-Id: {settings.listid}\r\n")
    if "\r\nMessage-Id:" not in "\r\n" + header:
        parts.append(f"Message-Id: {message_id or new_message_id(settings.email_self)}\r\n")
    if not body.endswith("\n"):
        body += "\n"
    parts.append("MIME-Version: 1.0\r\n")
    parts.append('Content-Type: text/plain; charset="UTF-8"\r\n')
    parts.append("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
    return "".join(parts) + quoted_printable(body.encode("utf-8")).decode("ascii")


def header_value(message: str, name: str) -> str | None:
    """The first value of header ``name`` in ``message`` (case-insensitive)."""
    head = message.split("\r\n\r\n", 1)[0]
    prefix = name.lower() + ":"
    for line in head.split("\r\n"):
        if line.lower().startswith(prefix):
            return line[len(prefix):].strip()
    return None


def recipients(message: str) -> list[str]:
    """Addresses of the To: header (``<a@b>`` or bare, comma separated)."""
    value = header_value(message, "To") or ""
    out = []
    for part in value.split(","):
        part = part.strip()
        if "<" in part and ">" in part:
            part = part[part.index("<") + 1 : part.index(">")]
        if part:
            out.append(part)
    return out


def parse_relayhost(text: str) -> tuple[str, int, str | None, str | None]:
    """``[USER[:PASSWORD]@]HOST[:PORT]`` -> (host, port, user, password)."""
    user = password = None
    rest = text.strip()
    if "@" in rest:
        cred, rest = rest.rsplit("@", 1)
        user, _, pw = cred.partition(":")
        password = pw or None
    host, port = rest, 25
    if rest.startswith("["):  # [IPv6]:port
        end = rest.find("]")
        host, tail = rest[1:end], rest[end + 1 :]
        if tail.startswith(":"):
            port = _port(tail[1:], text)
    elif rest.count(":") == 1:
        host, p = rest.split(":")
        port = _port(p, text)
    if not host or host.startswith("-") or any(c.isspace() for c in host):
        raise ValueError(f'malformed email-send-relayhost "{text}"')
    return host, port, user, password


def _port(text: str, whole: str) -> int:
    if not is_digits(text) or not 0 < int(text) < 65536:
        raise ValueError(f'malformed port in email-send-relayhost "{whole}"')
    return int(text)


class Sender:
    """Delivers finished messages; ``send`` returns only when accepted."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._counter = 0

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:  # noqa: BLE001 - every message sent was already acknowledged
                pass  # (250 after DATA); a failing QUIT only means the link is gone
            self._smtp = None

    def send(self, message: str, to: list[str] | None = None) -> None:
        """Deliver ``message``; raise DeliveryError unless it was accepted."""
        problems = self.settings.problems()
        if problems:
            raise DeliveryError("; ".join(problems))
        method = self.settings.method
        to = to if to is not None else recipients(message)
        if method == "off":
            return
        if method == "stdout":
            for i, addr in enumerate(to):
                print(f"X-To-Test-{i}: [{addr}]\r")
            print(message if message.endswith("\n") else message + "\n", end="")
        elif method == "pipe":
            self._pipe(message)
        elif method == "db":
            self._db(message)
        elif method == "dir":
            self._dir(message)
        elif method == "relay":
            self._relay(message, to)

    def _pipe(self, message: str) -> None:
        import subprocess

        assert self.settings.command is not None  # send() refuses "pipe" without a command
        try:
            proc = subprocess.run(self.settings.command, shell=True, input=message.encode("utf-8"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeliveryError(f'email-send-command "{self.settings.command}" failed: {exc}') from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise DeliveryError(
                f'email-send-command "{self.settings.command}" exited {proc.returncode}'
                + (f": {err[0]}" if err else "")
            )

    def _db(self, message: str) -> None:
        import sqlite3

        assert self.settings.db is not None  # send() refuses "db" without a file
        try:
            db = sqlite3.connect(self.settings.db, timeout=10)
            try:
                db.execute("CREATE TABLE IF NOT EXISTS email(\n  emailid INTEGER PRIMARY KEY,\n  msg TEXT\n);")
                db.execute("INSERT INTO email(msg) VALUES(?)", (message,))
                db.commit()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise DeliveryError(f'cannot write email-send-db "{self.settings.db}": {exc}') from None

    def _dir(self, message: str) -> None:
        d = self.settings.dir or ""
        t = time.gmtime()
        self._counter += 1
        name = (time.strftime("%Y%m%d%H%M%S", t) + f"{self._counter % 10000:04d}"
                + f"{secrets.randbelow(1000000):06d}.email")
        path = os.path.join(d, name)
        tmp = os.path.join(d, "." + name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(message)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise DeliveryError(f'cannot write to email-send-dir "{d}": {exc.strerror}') from None

    def _relay(self, message: str, to: list[str]) -> None:
        import smtplib
        import ssl

        if not to:
            raise DeliveryError("message has no To: address", permanent=True)
        host, port, user, password = parse_relayhost(self.settings.relayhost or "")
        try:
            if self._smtp is None:
                local = hostname_of(self.settings.email_self) or None
                smtp = smtplib.SMTP(host, port, timeout=30, local_hostname=local)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if user and smtp.has_extn("auth"):
                    smtp.login(user, password or "")
                self._smtp = smtp
            refused = self._smtp.sendmail(self.settings.email_self, to, message.encode("utf-8"))
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [c for c, _ in exc.recipients.values()]
            raise DeliveryError(f"relay refused all recipients: {exc.recipients}",
                                permanent=all(500 <= c < 600 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            said = exc.smtp_error
            text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
            raise DeliveryError(f"relay {host}:{port} said {exc.smtp_code} {text}",
                                permanent=500 <= exc.smtp_code < 600) from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            self.close()
            raise DeliveryError(f"relay {host}:{port} unreachable: {exc}") from None
        if refused:
            raise DeliveryError(f"relay refused some recipients: {refused}")
