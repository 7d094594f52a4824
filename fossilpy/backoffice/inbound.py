"""Reply by email: one RFC 5322 message becomes a forum reply or a ticket comment.

``fossilpy email-inbound REPO`` hands the message it read from standard
input (as an MTA pipe alias delivers it) to :func:`receive`.  The steps,
each one a refusal with a sysexits code when it fails (nothing is written
before the last one)::

    1. parse the message (at most MAX_MESSAGE bytes)                    65 EX_DATAERR
    2. find PREFIX+TOKEN@DOMAIN of ``email-reply-address`` among the
       envelope recipient (``RECIPIENT`` from the MTA), then Delivered-To,
       X-Original-To, To, Cc                                           67 EX_NOUSER
    3. the token verifies (fossilpy.backoffice.reply_token) against a
       subscriber and a forum post / ticket that exist               67 EX_NOUSER
       and is not past its last day                                    67 EX_NOUSER
    4. From: is the subscriber's address; the subscriber is verified,
       not "do not call", and has a user login                         77 EX_NOPERM
    5. Message-Id seen before: nothing is posted, exit 0 (an MTA retry)
    6. automatic replies (Auto-Submitted other than "no", Precedence
       bulk/junk/list/auto_reply, X-Autoreply): ignored, exit 0
    7. the text: the first text/plain part that is not an attachment,
       else the first text/html part converted crudely to text; quoted
       lines, "On ... wrote:" lines and the signature stripped      65 EX_DATAERR when empty
    8. the user's capabilities as a logged-in web user: 3 (forum write)
       for a forum reply, c or w for a ticket comment                  77 EX_NOPERM
    9. post (one transaction with the Message-Id row):
       - forum: a forum artifact G = the thread's first post, I = the post
         the alert was about, N text/plain, U the user; held for a
         moderator unless the user has 4 or 5 (as /forume2)
       - ticket: a ticket change J icomment, J login, J mimetype text/plain,
         J username (the ticketchng fields of the default setup), U the
         user; held when ``modreq-tkt`` is on and the user lacks q

Messages posted are remembered in::

    fx_email_inbound(
      msgid TEXT PRIMARY KEY,  -- the Message-Id header (with <>), or "sha256:HEX"
                               -- of the raw message when it has none
      mtime INTEGER,           -- when it was posted, seconds since 1970
      subscriberId INTEGER,    -- subscriber.subscriberId of the token
      target TEXT,             -- forum post hash or ticket uuid replied to
      artifact TEXT            -- hash of the artifact written
    )
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fossilpy.backoffice import reply_token
from fossilpy.errors import UserError

if TYPE_CHECKING:
    from email.message import Message

    from fossilpy.repo.capabilities import Caps
    from fossilpy.repo.db import Repo

#: sysexits.h codes an MTA understands (a bounce for all but 75).
EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78

#: Largest message read, bytes.
MAX_MESSAGE = 10 * 1024 * 1024

#: Most characters of a reply's text read before stripping (the new text comes first).
MAX_TEXT = 1024 * 1024

#: Mimetype of what a reply posts (email text is plain text).
MIMETYPE = "text/plain"

_DDL = """CREATE TABLE IF NOT EXISTS fx_email_inbound(
  msgid TEXT PRIMARY KEY,
  mtime INTEGER,
  subscriberId INTEGER,
  target TEXT,
  artifact TEXT
)"""


class Refused(UserError):
    """A message that is not posted; ``exit_code`` is its sysexits code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Outcome:
    """What became of an accepted message: ``posted``, ``duplicate`` or ``ignored``."""

    status: str
    message: str
    artifact: str = ""


# -- text ----------------------------------------------------------------------------

_ATTRIBUTION = re.compile(r"^\s*On\b.*\bwrote:\s*$")
_ATTRIBUTION_END = re.compile(r".*\bwrote:\s*$")
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}\s*$", re.IGNORECASE)


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of ``format=flowed`` text (RFC 3676)."""
    lines: list[list[str]] = []
    joining = False
    for line in text.split("\n"):
        if line != "-- " and not line.startswith(">"):
            line = line[1:] if line.startswith(" ") else line  # space-stuffing
        soft = line.endswith(" ") and line != "-- " and not line.startswith(">")
        piece = line[:-1] if soft and delsp else line
        if joining and lines:
            lines[-1].append(piece)
        else:
            lines.append([piece])
        joining = soft
    return "\n".join("".join(pieces) for pieces in lines)


def strip_reply(text: str) -> str:
    """The new text of a reply: without quoted lines (``>``), attribution lines
    ("On ... wrote:", also wrapped over two lines), anything from the signature
    separator (``-- ``) or an "-----Original Message-----" line on, and
    leading and trailing blank lines; trailing white space of each line removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip(" ") == "--" or _ORIGINAL.match(line):
            break
        if line.lstrip().startswith(">"):
            i += 1
            continue
        if _ATTRIBUTION.match(line):
            i += 1
            continue
        if (
            line.lstrip().startswith("On ")
            and i + 1 < len(lines)
            and _ATTRIBUTION_END.match(lines[i + 1])
            and not lines[i + 1].lstrip().startswith(">")
        ):
            i += 2
            continue
        kept.append(line.rstrip())
        i += 1
    out: list[str] = []
    for line in kept:  # at most one blank line in a row
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


#: Elements whose content is not text of the reply.
_HTML_SKIP = frozenset({"script", "style", "head", "title", "blockquote", "template"})
#: Elements that end a line.
_HTML_BLOCK = frozenset({"p", "div", "li", "tr", "pre", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_MARKUP = re.compile(r"<[A-Za-z!?]|</[A-Za-z]")  # where a tag, comment or declaration may start
_RAW_TEXT = {"script": re.compile(r"</script\s*>", re.IGNORECASE), "style": re.compile(r"</style\s*>", re.IGNORECASE)}

#: Most characters of an HTML part read (the new text of a reply comes first).
MAX_HTML = 1024 * 1024


def html_to_text(markup: str) -> str:
    """A crude text version of an HTML mail: quoted blocks (``<blockquote>``),
    scripts, styles and the head dropped, a line break at ``<br>`` and at
    the start and end of paragraphs, divisions, list items and table rows,
    other tags and comments removed, entities decoded.  One pass, linear in
    the input whatever it leaves unclosed: an unclosed tag or comment ends
    the text."""
    import html

    markup = markup[:MAX_HTML]
    out: list[str] = []
    skipping: list[str] = []
    i, n = 0, len(markup)
    while i < n:
        found = _MARKUP.search(markup, i)
        lt = found.start() if found else n
        if lt > i and not skipping:
            out.append(re.sub(r"\s+", " ", markup[i:lt]))
        if lt >= n:
            break
        if markup.startswith("<!--", lt):
            end = markup.find("-->", lt + 4)
            if end < 0:
                break
            i = end + 3
            continue
        m = _TAG.match(markup, lt)
        if m is None and markup[lt + 1 : lt + 2] not in ("!", "?"):
            if not skipping:
                out.append("<")  # "a < b": text
            i = lt + 1
            continue
        gt = markup.find(">", lt + 1)
        if gt < 0:
            break
        i = gt + 1
        if m is None:
            continue  # <!DOCTYPE ...>, <?xml ...?>
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag in _RAW_TEXT and not closing:
            end_tag = _RAW_TEXT[tag].search(markup, i)  # its text is not markup
            if end_tag is None:
                break
            i = end_tag.end()
        elif tag in _HTML_SKIP:
            if closing:
                if tag in skipping:
                    while skipping.pop() != tag:
                        pass
            elif markup[gt - 1] != "/":
                skipping.append(tag)
        elif not skipping and (tag == "br" or tag in _HTML_BLOCK):
            out.append("\n")
    text = html.unescape("".join(out)).replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.split("\n"))


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)  # undoes quoted-printable and base64, leniently
    if not isinstance(payload, bytes):
        return ""
    charset = str(part.get_content_charset() or "utf-8")
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset: UTF-8 is the likeliest
        return payload.decode("utf-8", "replace")


def body_text(msg: Message) -> str:
    """The reply's text before stripping: text/plain preferred, else HTML converted."""
    plain = html_part = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html_part is None:
            html_part = part
    if plain is not None:
        text = _part_text(plain)[:MAX_TEXT].replace("\r\n", "\n")
        if str(plain.get_param("format") or "").lower() == "flowed":
            text = unflow(text, delsp=str(plain.get_param("delsp") or "").lower() == "yes")
        return text
    if html_part is not None:
        return html_to_text(_part_text(html_part))
    return ""


# -- the message -----------------------------------------------------------------


def parse(data: bytes) -> Message:
    """The message in ``data``; Refused (65) when it is too large or has no header.

    Parsed with the lenient ``compat32`` policy: header values stay the
    strings they were (the structured header classes of the newer policy
    raise on some malformed headers)."""
    import email
    import email.policy

    if len(data) > MAX_MESSAGE:
        raise Refused(f"message larger than {MAX_MESSAGE} bytes", EX_DATAERR)
    head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    if not re.match(rb"[!-9;-~]+:", head):
        raise Refused("not an email message (no header)", EX_DATAERR)
    return email.message_from_bytes(data, policy=email.policy.compat32)


def header(msg: Message, name: str) -> list[str]:
    """Every value of header ``name``, unfolded, as text (8-bit bytes as U+FFFD)."""
    out = []
    for value in msg.get_all(name) or ():
        text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        out.append(re.sub(r"\r?\n[ \t]", " ", text).strip())
    return out


def _addresses(msg: Message, *names: str) -> list[str]:
    from email.utils import getaddresses

    values: list[str] = []
    for name in names:
        values += header(msg, name)
    try:
        pairs = getaddresses(values)
    except (ValueError, IndexError):  # a header no parser makes sense of names nobody
        return []
    return [addr for _, addr in pairs if addr and "@" in addr]


def message_id(msg: Message, data: bytes) -> str:
    """The key a delivery is remembered by: Message-Id, else the message's SHA-256."""
    mid = (header(msg, "Message-Id") or [""])[0]
    if mid and len(mid) <= 250:
        return mid
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_automatic(msg: Message) -> bool:
    """An auto-reply or bulk message (RFC 3834 and the usual headers)."""
    auto = (header(msg, "Auto-Submitted") or ["no"])[0].lower()
    precedence = (header(msg, "Precedence") or [""])[0].lower()
    return (
        auto.split(";")[0].strip() != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or msg.get_content_type() == "multipart/report"
    )


# -- the target ----------------------------------------------------------------


@dataclass
class Target:
    """A verified token: the subscriber, the user, and what is replied to."""

    kind: str
    subscriber_id: int
    email: str
    login: str | None
    verified: bool
    donotcall: bool
    target: str  # full hash / uuid


def find_token(msg: Message, base: tuple[str, str], recipient: str | None) -> str:
    """The token of the first recipient that is a reply address of ``base``."""
    candidates = [recipient] if recipient else []
    candidates += _addresses(msg, "Delivered-To", "X-Original-To", "To", "Cc")
    for addr in candidates:
        token = reply_token.token_of(addr, base)
        if token is not None:
            return token
    raise Refused(f"no reply address {base[0]}+TOKEN@{base[1]} among the recipients", EX_NOUSER)


def _candidates(repo: Repo, kind: str, prefix: str) -> list[str]:
    if kind == "f":
        if not repo.table_exists("forumpost"):
            return []
        rows = repo.all(
            "SELECT uuid FROM blob, forumpost WHERE blob.rid=forumpost.fpid AND uuid GLOB ?"
            " AND NOT EXISTS(SELECT 1 FROM private WHERE rid=blob.rid)",
            (prefix + "*",),
        )
    else:
        if not repo.table_exists("ticket"):
            return []
        rows = repo.all("SELECT tkt_uuid FROM ticket WHERE tkt_uuid GLOB ?", (prefix + "*",))
    return [str(r[0]) for r in rows]


def verify(repo: Repo, token: str, *, now: float | None = None) -> Target:
    """The subscriber and target a token names; Refused (67) if it is forged or expired."""
    forged = Refused("forged or unknown reply address", EX_NOUSER)
    try:
        claim = reply_token.decode(token)
    except reply_token.BadToken:
        raise forged from None
    key = reply_token.secret(repo)
    if key is None or not repo.table_exists("subscriber"):
        raise forged
    rows = repo.all(
        "SELECT semail, suname, sverified, sdonotcall FROM subscriber WHERE subscriberId=?",
        (claim.subscriber_id,),
    )
    if not rows:
        raise forged
    email, login, verified, donotcall = rows[0]
    for target in _candidates(repo, claim.kind, claim.target_prefix):
        if reply_token.matches(key, claim, str(email), target):
            break
    else:
        raise forged
    if reply_token.today(now) > claim.last_day:
        raise Refused(f"reply address expired on {claim.expires}", EX_NOUSER)
    return Target(
        claim.kind,
        claim.subscriber_id,
        str(email),
        str(login) if login else None,
        bool(verified),
        bool(donotcall),
        target,
    )


def check_sender(msg: Message, t: Target) -> None:
    """From: must be the subscriber's address, an active subscriber with a login."""
    senders = _addresses(msg, "From")
    sender = senders[0] if senders else "(none)"
    if len(senders) != 1 or senders[0].lower() != t.email.lower():
        raise Refused(f"sender {sender} is not the subscriber of this reply address", EX_NOPERM)
    if not t.verified or t.donotcall:
        raise Refused(f"subscriber {t.email} is not active", EX_NOPERM)
    if not t.login:
        raise Refused(f"subscriber {t.email} has no user login", EX_NOPERM)


# -- posting ---------------------------------------------------------------------


def _caps(repo: Repo, login: str) -> Caps:
    from fossilpy.repo import capabilities

    if repo.one("SELECT 1 FROM user WHERE login=?", (login,)) is None:
        raise Refused(f"subscriber's user {login} does not exist", EX_NOPERM)
    return capabilities.effective_caps(repo, login)


def _post_forum(repo: Repo, t: Target, login: str, caps: Caps, text: str, when: float) -> tuple[str, bool]:
    from fossilpy.artifact.manifest import ArtifactType, Manifest
    from fossilpy.repo import docwrite

    if not caps.has("3"):
        raise Refused(f"user {login} may not reply in the forum (needs capability 3)", EX_NOPERM)
    root = repo.one(
        "SELECT r.uuid FROM blob AS p, forumpost, blob AS r"
        " WHERE p.uuid=? AND forumpost.fpid=p.rid AND r.rid=forumpost.froot",
        (t.target,),
    )
    m = Manifest(
        type=ArtifactType.FORUM,
        date=docwrite.now_date(when),
        thread_root=str(root),
        reply_to=t.target,
        mimetype=MIMETYPE,
        user=login,
        text=text,
    )
    held = not (caps.has("4") or caps.has("5"))
    return docwrite.commit(repo, m, moderate=held).uuid, held


def _post_ticket(repo: Repo, t: Target, login: str, caps: Caps, text: str, when: float) -> tuple[str, bool]:
    from fossilpy.repo import docwrite, tickets_write

    if not (caps.has("c") or caps.has("w")):
        raise Refused(f"user {login} may not comment on tickets (needs capability c)", EX_NOPERM)
    lay = tickets_write.layout(repo)
    if "icomment" not in lay.used:
        raise Refused("the ticket tables of this repository have no icomment field", EX_CONFIG)
    wanted = {"icomment": text, "mimetype": MIMETYPE, "login": login, "username": login}
    submitted = {k: v for k, v in wanted.items() if k in lay.used}
    edits = tickets_write.from_form(repo, tickets_write.current(repo, t.target), submitted, {})
    m = tickets_write.manifest(repo, t.target, edits, user=login, date=docwrite.now_date(when))
    held = tickets_write.needs_moderation(repo, caps.has("q"))
    return tickets_write.put(repo, m, edits, moderate=held).uuid, held


def receive(repo: Repo, data: bytes, *, recipient: str | None = None, now: float | None = None) -> Outcome:
    """Post the reply in ``data`` or raise :class:`Refused` (nothing written)."""
    when = time.time() if now is None else now
    msg = parse(data)
    base = reply_token.base_address(repo)
    if base is None:
        raise Refused("email-reply-address is not set (or malformed) in this repository", EX_CONFIG)
    t = verify(repo, find_token(msg, base, recipient), now=when)
    check_sender(msg, t)
    assert t.login is not None
    mid = message_id(msg, data)
    with repo.write():
        repo.execute(_DDL)
        done = repo.one("SELECT artifact FROM fx_email_inbound WHERE msgid=?", (mid,))
        if done is not None:
            return Outcome("duplicate", f"message {mid} was already posted as {str(done)[:16]}", str(done))
        if is_automatic(msg):
            return Outcome("ignored", f"automatic reply {mid} ignored")
        text = strip_reply(body_text(msg))
        if not text.strip():
            raise Refused("message has no text to post", EX_DATAERR)
        caps = _caps(repo, t.login)
        post = _post_forum if t.kind == "f" else _post_ticket
        uuid, held = post(repo, t, t.login, caps, text, when)
        repo.execute(
            "INSERT INTO fx_email_inbound(msgid,mtime,subscriberId,target,artifact) VALUES(?,?,?,?,?)",
            (mid, int(when), t.subscriber_id, t.target, uuid),
        )
    what = "forum reply" if t.kind == "f" else "ticket comment"
    return Outcome("posted", f"{what} {uuid[:16]} by {t.login}" + (" (held for moderation)" if held else ""), uuid)
