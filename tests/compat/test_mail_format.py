"""Outgoing mail is shaped exactly as Fossil 2.21 shapes it."""

import re

import pytest

from fossilpy.backoffice import mail

pytestmark = pytest.mark.compat


def _normalize(text: str) -> str:
    text = re.sub(r"Date: [^\r]*", "Date: D", text)
    return re.sub(r"Message-Id: <[0-9a-f]+x[0-9a-f]{16}@", "Message-Id: <ID@", text)


@pytest.mark.parametrize("body", [
    "Hello: a=b \nline two  \n\u00e9 long line " + "x" * 100 + "\n",
    "tab\there\r\nCRLF line\r\n\n\nend without newline",
    "=" * 80 + "\n" + ":" * 30 + " \n",
])
def test_message_matches_fossil_test_message(fossil, tmp_path, body) -> None:
    fossil("init", "r.fossil")
    fossil("settings", "email-self", "me@example.org", "-R", "r.fossil")
    (tmp_path / "body.txt").write_bytes(body.encode())
    theirs = fossil.text("alerts", "test-message", "you@example.org", "--stdout", "-S", "Subj",
                         "--body", "body.txt", "-R", "r.fossil")
    settings = mail.MailSettings(method="stdout", email_self="me@example.org")
    ours = mail.compose(settings, "To: <you@example.org>\r\nSubject: Subj\r\n", body)
    expected = _normalize(theirs).split("\r\n", 1)[1]  # drop the X-To-Test line
    assert _normalize(ours) == expected


def test_from_name_and_list_id() -> None:
    s = mail.MailSettings(method="stdout", email_self="bot@fossil.example", listid="<dev.example>")
    text = mail.compose(s, "To: <a@b>\r\nSubject: S\r\n", "x\n", from_name="drh",
                        message_id="<abc@fossil.example>", now=0)
    assert text == (
        "To: <a@b>\r\nSubject: S\r\n"
        "From: drh <noreply3f8d765d5@fossil.example>\r\n"
        "Sender: <bot@fossil.example>\r\n"
        "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"
        "List-Id: <dev.example>\r\n"
        "Message-Id: <abc@fossil.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "x\r\n"
    )
