"""The relay sender against a real SMTP server (aiosmtpd) on loopback."""

import pytest

from fossilpy.backoffice import mail
from fossilpy.backoffice.journal import DeliveryError
from tests.net import free_port
from tests.smtp_server import SmtpServer, make_cert

pytestmark = pytest.mark.doors


def _msg(to="you@example.org", mid="<m1@example.org>"):
    s = mail.MailSettings(method="relay", email_self="me@example.org")
    return mail.compose(s, f"To: <{to}>\r\nSubject: Hi\r\n", "body: 1\n", message_id=mid)


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    server.up()
    yield server
    server.down()


def test_plain_relay_delivers_exact_bytes(smtp) -> None:
    s = mail.MailSettings(method="relay", email_self="me@example.org", relayhost=f"127.0.0.1:{smtp.port}")
    text = _msg()
    with mail.Sender(s) as sender:
        sender.send(text)
    (got,) = smtp.messages
    assert got.mail_from == "me@example.org"
    assert got.rcpt_tos == ["you@example.org"]
    assert got.data == text.encode()
    assert not got.tls


def test_starttls_and_auth_when_offered(tmp_path, monkeypatch) -> None:
    cert, key = make_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = SmtpServer(free_port(), tls_cert=(cert, key), users={"alice": "s3cret"})
    server.up()
    try:
        s = mail.MailSettings(method="relay", email_self="me@example.org",
                              relayhost=f"alice:s3cret@localhost:{server.port}")
        with mail.Sender(s) as sender:
            sender.send(_msg(mid="<a@x>"))
            sender.send(_msg(to="z@example.org", mid="<b@x>"))
        assert [(m.tls, m.login, m.rcpt_tos) for m in server.messages] == [
            (True, "alice", ["you@example.org"]), (True, "alice", ["z@example.org"])]
        bad = mail.MailSettings(method="relay", email_self="me@example.org",
                                relayhost=f"alice:wrong@localhost:{server.port}")
        with pytest.raises(DeliveryError, match=r"said 535") as info:
            mail.Sender(bad).send(_msg())
        assert info.value.permanent
    finally:
        server.down()


def test_untrusted_certificate_is_refused(tmp_path) -> None:
    cert, key = make_cert(tmp_path)
    server = SmtpServer(free_port(), tls_cert=(cert, key))
    server.up()
    try:
        s = mail.MailSettings(method="relay", email_self="me@example.org",
                              relayhost=f"localhost:{server.port}")
        with pytest.raises(DeliveryError, match="unreachable: .*CERTIFICATE_VERIFY_FAILED"):
            mail.Sender(s).send(_msg())
        assert server.messages == []
    finally:
        server.down()


def test_temporary_and_permanent_failures(smtp) -> None:
    s = mail.MailSettings(method="relay", email_self="me@example.org", relayhost=f"127.0.0.1:{smtp.port}")
    smtp.fail_next(1, 451)
    with pytest.raises(DeliveryError, match="said 451") as info:
        mail.Sender(s).send(_msg())
    assert not info.value.permanent
    smtp.fail_next(1, 554)
    with pytest.raises(DeliveryError, match="said 554") as info:
        mail.Sender(s).send(_msg())
    assert info.value.permanent
    mail.Sender(s).send(_msg())
    assert len(smtp.messages) == 1


def test_server_down_is_a_temporary_failure() -> None:
    port = free_port()
    s = mail.MailSettings(method="relay", email_self="me@example.org", relayhost=f"127.0.0.1:{port}")
    with pytest.raises(DeliveryError, match=f"relay 127.0.0.1:{port} unreachable") as info:
        mail.Sender(s).send(_msg())
    assert not info.value.permanent


@pytest.mark.parametrize("relay, message", [
    ("-oProxyCommand=x", 'malformed email-send-relayhost "-oProxyCommand=x"'),
    ("host:99999", 'malformed port in email-send-relayhost "host:99999"'),
    ("host:abc", 'malformed port in email-send-relayhost "host:abc"'),
])
def test_bad_relayhost_settings(relay, message) -> None:
    s = mail.MailSettings(method="relay", email_self="me@example.org", relayhost=relay)
    assert s.problems() == [message]
    with pytest.raises(DeliveryError, match=message.replace("(", r"\(")):
        mail.Sender(s).send(_msg())


def test_other_methods(tmp_path, capsys) -> None:
    import sqlite3

    text = _msg()
    d = tmp_path / "out"
    d.mkdir()
    mail.Sender(mail.MailSettings(method="dir", email_self="me@x", dir=str(d))).send(text)
    (f,) = list(d.iterdir())
    assert f.read_bytes() == text.encode()
    import re
    assert re.fullmatch(r"\d{14}\d{4}\d{6}\.email", f.name)
    db = tmp_path / "q.db"
    mail.Sender(mail.MailSettings(method="db", email_self="me@x", db=str(db))).send(text)
    assert sqlite3.connect(db).execute("SELECT emailid, msg FROM email").fetchall() == [(1, text)]
    out = tmp_path / "piped"
    mail.Sender(mail.MailSettings(method="pipe", email_self="me@x", command=f"cat > {out}")).send(text)
    assert out.read_bytes() == text.encode()
    with pytest.raises(DeliveryError, match=r'email-send-command "exit 3" exited 3'):
        mail.Sender(mail.MailSettings(method="pipe", email_self="me@x", command="exit 3")).send(text)
    mail.Sender(mail.MailSettings(method="stdout", email_self="me@x")).send(text)
    assert capsys.readouterr().out.startswith("X-To-Test-0: [you@example.org]\r\nTo: <you@example.org>\r\n")
    assert mail.MailSettings(method="smtp", email_self="me@x").problems() == [
        'unknown email-send-method "smtp" (use one of off, pipe, db, dir, relay, stdout)']
    assert mail.MailSettings(method="dir", email_self="").problems() == [
        'missing "email-self" setting', 'missing "email-send-dir" setting']
    with pytest.raises(DeliveryError, match="cannot write to email-send-dir"):
        mail.Sender(mail.MailSettings(method="dir", email_self="me@x", dir=str(tmp_path / "nope"))).send(text)
