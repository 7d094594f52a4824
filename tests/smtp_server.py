"""A real SMTP server (aiosmtpd) on loopback for tests, with STARTTLS and AUTH.

``SmtpServer`` records every message accepted after DATA; ``down()`` and
``up()`` stop and restart it on the same port; ``fail_next(n, code)`` makes
the next n DATA commands answer with ``code``.
"""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost (openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None


@dataclass
class SmtpServer:
    port: int
    tls_cert: tuple[Path, Path] | None = None
    users: dict[str, str] | None = None
    messages: list[Received] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering each DATA
    _failures: list[int] = field(default_factory=list)
    _controller: object = None

    def up(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self

        class Handler:
            async def handle_DATA(self, srv, session, envelope):
                if server.delay:
                    import asyncio

                    await asyncio.sleep(server.delay)
                if server._failures:
                    code = server._failures.pop(0)
                    return f"{code} simulated failure"
                auth = getattr(session, "auth_data", None)
                server.messages.append(Received(
                    envelope.mail_from, list(envelope.rcpt_tos),
                    envelope.original_content or envelope.content,
                    bool(session.ssl), auth.login.decode() if auth else None,
                ))
                return "250 OK"

        def authenticator(srv, session, envelope, mechanism, auth_data):
            if not isinstance(auth_data, LoginPassword) or server.users is None:
                return AuthResult(success=False, handled=False)
            ok = server.users.get(auth_data.login.decode()) == auth_data.password.decode()
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kwargs = {}
        if self.tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(self.tls_cert[0]), str(self.tls_cert[1]))
            kwargs.update(tls_context=ctx, require_starttls=False)
        if self.users is not None:
            kwargs.update(authenticator=authenticator, auth_require_tls=bool(self.tls_cert))
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                      server_hostname="localhost", **kwargs)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(self, n: int, code: int) -> None:
        self._failures.extend([code] * n)
