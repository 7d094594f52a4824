"""Reply by email, in-process: stripping quotes and signatures, picking the text part,
HTML to text, automatic replies, and the reply token's encoding."""

from __future__ import annotations

from email.message import EmailMessage, Message

import pytest

from fossilpy.backoffice import inbound, reply_token


@pytest.mark.parametrize(
    "text, want",
    [
        ("Yes.\n\n> old\n> text\n", "Yes."),
        ("Yes.\r\n-- \r\nAnn\r\nPhone\r\n", "Yes."),
        ("Yes.\n--\nAnn\n", "Yes."),  # a signature separator whose space a client dropped
        ("Top.\n\nOn Mon, 1 Dec 2026, Bot <b@x> wrote:\n> q\n", "Top."),
        ("Top.\n\nOn Mon, Dec 1, 2026 at 4:00 PM Fossil <bot@x>\nwrote:\n> q\n", "Top."),
        ("A\n> q1\nB\n>> q2\n  > q3\nC", "A\nB\nC"),  # interleaved answers keep their order
        ("\n\n  \nText  \n\n\n\nMore\n\n", "Text\n\nMore"),
        ("Mine.\n\n-----Original Message-----\nFrom: bot\nold text\n", "Mine."),
        ("On the other hand, I agree.\nSecond line.", "On the other hand, I agree.\nSecond line."),
        ("-- \nonly a signature\n", ""),
        ("> all quoted\n> here\n", ""),
        ("a -- b\n--x\n", "a -- b\n--x"),  # not separators
    ],
)
def test_strip_reply(text: str, want: str) -> None:
    assert inbound.strip_reply(text) == want


def test_unflow() -> None:
    assert inbound.unflow("one \ntwo\n three\n-- \nsig") == "one two\nthree\n-- \nsig"
    assert inbound.unflow("a \nb", delsp=True) == "ab"
    assert inbound.unflow("> quoted \nnext") == "> quoted \nnext"


def test_html_to_text() -> None:
    markup = (
        "<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;&amp; <b>bye</b></p>"
        "<script>alert(1)</script><div>Line<br/>two</div><!-- hidden -->"
        "<blockquote>outer<blockquote>inner</blockquote>still outer</blockquote><ul><li>x</li><li>y</li></ul>"
    )
    assert inbound.strip_reply(inbound.html_to_text(markup)) == "Hello & bye\n\nLine\ntwo\n\nx\n\ny"


@pytest.mark.parametrize(
    "markup",
    [
        "<script" * 600_000,
        "<script>" * 500_000,
        "<blockquote>" * 300_000 + "x",
        "<div>" * 800_000,
        "<" * 4_000_000,
        "</" * 2_000_000,
        "<!--" + "-" * 4_000_000,
        "a < b " * 700_000,
        "<!x>" * 1_000_000,
    ],
)
def test_html_to_text_is_linear(markup: str) -> None:
    """Unclosed tags, comments and stray brackets: one pass over at most MAX_HTML characters."""
    from tests.limits import time_limit

    with time_limit(5):
        inbound.html_to_text(markup)


def test_html_raw_text_and_stray_brackets() -> None:
    markup = "<p>a &lt; b</p><p>if a < b</p><SCRIPT>x<y</script >ok<br/>z</ p><!DOCTYPE html><?xml x?>"
    assert inbound.html_to_text(markup) == "\na < b\n\nif a < b\nok\nz</ p>"
    assert inbound.html_to_text("<p>kept</p><style>p{}") == "\nkept\n"  # an unclosed style ends the text


def _msg(raw: bytes) -> Message:
    return inbound.parse(raw)


def test_plain_part_preferred_over_html_and_attachments() -> None:
    m = EmailMessage()
    m["From"] = "a@x"
    m.set_content("plain words\n")
    m.add_alternative("<p>html words</p>", subtype="html")
    m.add_attachment(b"text in an attachment", maintype="text", subtype="plain", filename="log.txt")
    assert inbound.body_text(_msg(m.as_bytes())) == "plain words\n"


def test_html_only_and_charsets() -> None:
    m = EmailMessage()
    m["From"] = "a@x"
    m.set_content("<div>Gr\u00fc\u00dfe</div>", subtype="html", charset="iso-8859-1", cte="quoted-printable")
    assert inbound.body_text(_msg(m.as_bytes())).strip() == "Gr\u00fc\u00dfe"
    lying = b"From: a@x\nContent-Type: text/plain; charset=x-no-such\n\nplain \xc3\xa9\n"
    assert inbound.body_text(_msg(lying)) == "plain \u00e9\n"
    flowed = b"From: a@x\nContent-Type: text/plain; format=flowed\n\nsoft \nbreak\n"
    assert inbound.body_text(_msg(flowed)) == "soft break\n"
    assert inbound.body_text(_msg(b"From: a@x\nContent-Type: image/png\n\nxx")) == ""


@pytest.mark.parametrize(
    "headers, auto",
    [
        ("", False),
        ("Auto-Submitted: no\n", False),
        ("Auto-Submitted: auto-replied\n", True),
        ("Precedence: bulk\n", True),
        ("X-Autoreply: yes\n", True),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n", True),
    ],
)
def test_automatic_replies(headers: str, auto: bool) -> None:
    raw = f"From: a@x\n{headers}Subject: s\n\nbody\n".encode()
    assert inbound.is_automatic(_msg(raw)) is auto


def test_parse_refusals_and_message_id() -> None:
    with pytest.raises(inbound.Refused) as info:
        inbound.parse(b"no header here\n\nbody")
    assert (info.value.exit_code, str(info.value)) == (65, "not an email message (no header)")
    with pytest.raises(inbound.Refused) as info:
        inbound.parse(b"From: a@x\n\n" + b"x" * inbound.MAX_MESSAGE)
    assert info.value.exit_code == 65
    raw = b"From: a@x\nMessage-Id: <m1@x>\n\nbody"
    assert inbound.message_id(_msg(raw), raw) == "<m1@x>"
    raw = b"From: a@x\n\nbody"
    assert inbound.message_id(_msg(raw), raw) == ("sha256:" + __import__("hashlib").sha256(raw).hexdigest())


def test_token_round_trip_and_tampering() -> None:
    key = bytes(range(32))
    target = "ab" * 32
    token = reply_token.make(key, "f", 7, "Ann@X", target, 20500)
    assert len(token) == 40 and token == token.lower()
    claim = reply_token.decode(token.upper())  # MTAs may change the case of a local part
    assert (claim.kind, claim.subscriber_id, claim.last_day, claim.target_prefix) == ("f", 7, 20500, "ab" * 8)
    assert claim.expires == "2026-02-16"
    assert reply_token.matches(key, claim, "ann@x", target)
    assert not reply_token.matches(key, claim, "bob@x", target)  # another subscriber
    assert not reply_token.matches(key, claim, "ann@x", "ab" * 8 + "cd" * 24)  # another post, same prefix
    assert not reply_token.matches(bytes(32), claim, "ann@x", target)  # another repository
    for bad in (token[:-1], token + "a", token[:-1] + "1", "t" * 40):
        with pytest.raises(reply_token.BadToken):
            reply_token.decode(bad)
    forged_day = reply_token.decode(reply_token.make(key, "f", 7, "ann@x", target, 20600)[:24] + token[24:])
    assert not reply_token.matches(key, forged_day, "ann@x", target)
    with pytest.raises(ValueError):
        reply_token.make(key, "x", 7, "ann@x", target, 1)


@pytest.mark.parametrize(
    "address, token",
    [
        ("fossil-reply+abc@example.org", "abc"),
        ("Fossil-Reply+ABC@EXAMPLE.org", "ABC"),
        ("fossil-reply@example.org", None),
        ("fossil-reply+@example.org", None),
        ("fossil-reply+abc@example.com", None),
        ("other+abc@example.org", None),
    ],
)
def test_token_of(address: str, token: str | None) -> None:
    assert reply_token.token_of(address, ("fossil-reply", "example.org")) == token


@pytest.mark.parametrize(
    "raw",
    [
        b'From:Content-Type: text/plain; charset="\xff"\n Ann <ann@x>\nTo: a@x\n\nbody\n',
        b"From: Ann <ann@\r>\nTo: fossil-reply+abc@example.org\n\nbody\n",
        b"From: ,,,,\nTo: (comment\nDelivered-To: <<>>\nMessage-Id: \x00\xff\n\nbody\n",
        b'From: a@x\nContent-Type: multipart/mixed; boundary=""\n\n--\n\n',
        b"From: a@x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!notbase64=\n",
    ],
)
def test_malformed_headers_are_refusals_not_tracebacks(raw: bytes) -> None:
    msg = inbound.parse(raw)
    with pytest.raises(inbound.Refused) as info:
        inbound.find_token(msg, ("fossil-reply", "example.org"), None)
    assert info.value.exit_code == 67
    inbound.message_id(msg, raw)
    inbound.is_automatic(msg)
    inbound.strip_reply(inbound.body_text(msg))


def test_header_values_unfolded() -> None:
    msg = inbound.parse(b"From: Ann\n <ann@x>\nMessage-Id:\n <m1@x>\n\nbody")
    assert inbound.header(msg, "From") == ["Ann <ann@x>"]
    assert inbound.message_id(msg, b"") == "<m1@x>"
