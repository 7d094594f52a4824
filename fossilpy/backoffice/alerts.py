"""Email alerts and daily digests, compatible with Fossil 2.21's tables.

Tables (``src/alerts.c``; DDL in ``fossilpy.repo.schema``, created on demand
by :func:`ensure_schema`)::

    subscriber(subscriberId INTEGER PRIMARY KEY,
               subscriberCode BLOB DEFAULT(randomblob(32)) UNIQUE,
               semail TEXT UNIQUE COLLATE nocase, suname TEXT,
               sverified BOOLEAN DEFAULT true, sdonotcall BOOLEAN,
               sdigest BOOLEAN, ssub TEXT, sctime INTDATE, mtime INTDATE,
               smip TEXT, lastContact INT)        -- lastContact: days since 1970
    pending_alert(eventid TEXT PRIMARY KEY, sentSep BOOLEAN DEFAULT false,
                  sentDigest BOOLEAN DEFAULT false, sentMod BOOLEAN DEFAULT false)
                  WITHOUT ROWID
        eventid = event type letter + event.objid, e.g. "c42", "w7", "t9", "f40"
        (filled by a TEMP trigger on event that crosslinking installs)

``ssub`` letters: a announcements, c check-ins (needs cap o), f forum posts (2),
x forum edits (2), t tickets (r), w wiki (j).  Setup/admin users see all
unmoderated events; events awaiting moderation go only to moderators.

Where fossilpy differs from Fossil, on purpose: Fossil marks alerts as sent
and then sends them, so a crash loses them.  Here one write transaction
both composes every message into the delivery journal
(``fossilpy.backoffice.journal``, each with its final Message-Id) and marks
the ``pending_alert`` rows; delivery then removes each journal entry only
once the mail system accepted it.  Nothing is lost; a message resent after
a lost acknowledgement carries the same Message-Id.

Beyond Fossil: with the ``email-reply-address`` setting, a forum post's
email and an activity alert about one ticket only carry
``Reply-To: <PREFIX+TOKEN@DOMAIN>`` (:mod:`fossilpy.backoffice.reply_token`),
so that a reply piped to ``fossilpy email-inbound`` posts
(:mod:`fossilpy.backoffice.inbound`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fossilpy.backoffice import journal, mail, reply_token
from fossilpy.repo.db import Repo

#: The settings that must all be set for alerts to go out (Fossil's ``alert_enabled``:
#: without any one of them nothing is sent).
REQUIRED_SETTINGS = ("email-send-method", "email-url", "email-subname", "email-self")

#: Days between renewal reminders (Fossil's ALERT_RENEWAL_MSG_FREQUENCY).
RENEWAL_MSG_FREQUENCY = 7

_EVENT_CAP = {"c": "o", "f": "2", "x": "2", "t": "r", "w": "j"}
_MOD_CAP = {"f": "5", "x": "5", "t": "q", "w": "l"}


def tables_exist(repo: Repo) -> bool:
    """True if the alert tables exist (alerts were ever enabled)."""
    return repo.table_exists("subscriber")


def ensure_schema(repo: Repo) -> None:
    """Create subscriber and pending_alert if missing (Fossil's alert_schema)."""
    from fossilpy.repo.schema import ensure_table

    ensure_table(repo, "subscriber")
    ensure_table(repo, "pending_alert")


def enabled(repo: Repo) -> bool:
    """Alerts go out only with the tables and all four settings present."""
    if not tables_exist(repo):
        return False
    method = repo.setting("email-send-method")
    return method != "off" and all(repo.setting(n) for n in REQUIRED_SETTINGS)


def problems(repo: Repo) -> list[str]:
    """Configuration problems that stop alerts, one line each."""
    out = []
    if repo.setting("email-send-method") == "off":
        return ["email-send-method is off"]
    for name in REQUIRED_SETTINGS[1:]:
        if not repo.setting(name):
            out.append(f'missing "{name}" setting')
    out += mail.MailSettings.from_repo(repo).problems()
    return out


@dataclass
class Event:
    """One event to report: type letter c/f/x/t/w, and its text."""

    type: str
    need_mod: bool
    text: str
    header: str = ""  # for forum posts, sent as separate emails
    from_name: str | None = None
    target: str = ""  # forum post hash or ticket uuid (what a reply by email answers)


def _want(repo: Repo, digest: bool) -> list[tuple[str, bool]]:
    if digest:
        rows = repo.all(
            "SELECT eventid, 0 FROM pending_alert WHERE sentDigest IS FALSE"
            " AND NOT EXISTS(SELECT 1 FROM private WHERE rid=substr(eventid,2))"
        )
    else:
        rows = repo.all(
            "SELECT eventid, EXISTS(SELECT 1 FROM private WHERE rid=substr(eventid,2)), sentMod"
            " FROM pending_alert WHERE sentSep IS FALSE"
        )
        rows = [(e, m) for e, m, sent_mod in rows if not (m and sent_mod)]
    return [(e, bool(m)) for e, m in rows]


def compute_events(repo: Repo, want: list[tuple[str, bool]], digest: bool) -> list[Event]:
    """The text of each wanted event, in event time order (Fossil's format)."""
    url = repo.setting("email-url") or "http://localhost:8080"
    if not want:
        return []
    repo.execute("CREATE TEMP TABLE IF NOT EXISTS wantalert(eventId TEXT, needMod BOOLEAN)")
    repo.execute("DELETE FROM temp.wantalert")
    repo.db.executemany("INSERT INTO temp.wantalert VALUES(?,?)", want)
    events: list[Event] = []
    for uuid, when, comment, eventid, need_mod in repo.all(
        "SELECT CASE WHEN event.type='t'"
        "  THEN (SELECT substr(tagname,5) FROM tag WHERE tagid=event.tagid AND tagname LIKE 'tkt-%')"
        "  ELSE blob.uuid END,"
        " datetime(event.mtime),"
        " coalesce(ecomment,comment) || ' (user: ' || coalesce(euser,user,'?')"
        "  || (SELECT CASE WHEN length(x)>0 THEN ' tags: ' || x ELSE '' END"
        "      FROM (SELECT group_concat(substr(tagname,5), ', ') AS x FROM tag, tagxref"
        "            WHERE tagname GLOB 'sym-*' AND tag.tagid=tagxref.tagid"
        "              AND tagxref.rid=blob.rid AND tagxref.tagtype>0)) || ')',"
        " wantalert.eventId, wantalert.needMod"
        " FROM temp.wantalert, event, blob"
        " WHERE blob.rid=event.objid AND event.objid=substr(wantalert.eventId,2)+0"
        "   AND (? OR eventId NOT GLOB 'f*')"
        " ORDER BY event.mtime",
        (1 if digest else 0,),
    ):
        etype = eventid[0]
        label = {"c": "Check-In", "t": "Ticket Change"}.get(etype, "")
        comment = comment or ""
        if etype == "w":
            label = "Wiki Edit"
            if comment[:1] == ":":
                comment = comment[1:]
            elif comment[:1] == "+":
                label, comment = "Wiki Added", comment[1:]
            elif comment[:1] == "-":
                label, comment = "Wiki Removed", comment[1:]
        text = f"== {when} {label} ==\n{comment}\n{url}/info/{(uuid or '')[:20]}\n"
        if need_mod:
            text += f"** Pending moderator approval ({url}/modreq) **\n"
        events.append(Event(etype, bool(need_mod), text, target=(uuid or "") if etype == "t" else ""))
    if not digest and repo.table_exists("forumpost"):
        events += _forum_events(repo, url)
    return events


def _forum_events(repo: Repo, url: str) -> list[Event]:
    from fossilpy.artifact import manifest
    from fossilpy.repo import content

    host = mail.hostname_of(repo.setting("email-self") or "")
    sub = repo.setting("email-subname") or ""
    digits = min(max(repo.setting_int("hash-digits"), 6), 64)
    out = []
    for fpid, uuid, when, title, irt, need_mod, user, is_first in repo.all(
        "SELECT forumpost.fpid, (SELECT uuid FROM blob WHERE rid=forumpost.fpid),"
        " datetime(event.mtime), substr(comment,instr(comment,':')+2),"
        " (WITH thread(fpid,fprev) AS (SELECT fpid,fprev FROM forumpost AS tx"
        "     WHERE tx.froot=forumpost.froot),"
        "  basepid(fpid,bpid) AS (SELECT fpid, fpid FROM thread WHERE fprev IS NULL"
        "   UNION ALL SELECT thread.fpid, basepid.bpid FROM basepid, thread"
        "    WHERE basepid.fpid=thread.fprev)"
        "  SELECT uuid FROM blob, basepid WHERE basepid.fpid=forumpost.firt AND blob.rid=basepid.bpid),"
        " wantalert.needMod, coalesce(euser,user), forumpost.fprev IS NULL"
        " FROM temp.wantalert, event, forumpost"
        " WHERE event.objid=substr(wantalert.eventId,2)+0 AND eventId GLOB 'f*'"
        "   AND forumpost.fpid=event.objid ORDER BY event.mtime"
    ):
        data = content.get(repo, fpid)
        post = manifest.parse_or_none(data) if data else None
        if post is None:
            continue
        header = ""
        body = ""
        if need_mod:
            header = f"Subject: {sub} Pending Moderation: {title}\r\n"
            body = f"** Pending moderator approval ({url}/modreq) **\n"
        else:
            header = f"Subject: {sub} {title}\r\nMessage-Id: <{uuid[:32]}@{host}>\r\n"
            if irt:
                header += f"In-Reply-To: <{irt[:32]}@{host}>\r\n"
        body += f"Forum post by {post.user} on {when}\n{url}/forumpost/{uuid[:digits]}\n\n{post.text or ''}"
        out.append(Event("f" if is_first else "x", bool(need_mod), body, header, user or None, uuid))
    return out


def _may_see(event: Event, caps: str) -> bool:
    if event.need_mod:
        if "a" in caps or "s" in caps:
            return True
        return _MOD_CAP.get(event.type, "*") in caps
    if "a" in caps or "s" in caps:
        return True
    return _EVENT_CAP.get(event.type, "*") in caps


def fullcap(repo: Repo, cap: str | None) -> str:
    """Fossil's SQL ``fullcap(cap)``: a user's caps as alerts see them
    (:func:`fossilpy.repo.capabilities.fullcap`)."""
    from fossilpy.repo import capabilities

    return capabilities.fullcap_for(repo, cap)


def queue(repo: Repo, *, digest: bool = False, now: int | None = None) -> int:
    """Compose due alerts (or the digest) into the journal; return messages queued.

    Runs in one write transaction with the pending_alert update.
    """
    if not enabled(repo):
        return 0
    settings = mail.MailSettings.from_repo(repo)
    url = repo.setting("email-url")
    subname = repo.setting("email-subname")
    now = int(time.time()) if now is None else now
    queued = 0
    with repo.write():
        want = _want(repo, digest)
        events = compute_events(repo, want, digest)
        if events:
            cutoff = repo.config_int("email-renew-cutoff")
            subs = repo.all(
                "SELECT hex(subscriberCode), semail, ssub, user.cap, subscriberId"
                " FROM subscriber LEFT JOIN user ON (login=suname)"
                " WHERE sverified AND NOT sdonotcall AND sdigest IS ?"
                "   AND coalesce(subscriber.lastContact, subscriber.mtime)>=?",
                (1 if digest else 0, cutoff),
            )
            for code, email, ssub, cap, sid in subs:
                caps = fullcap(repo, cap)
                body_parts = []
                shown: list[Event] = []
                for ev in events:
                    if ev.type not in (ssub or "") or not _may_see(ev, caps):
                        continue
                    if ev.header:
                        hdr = f"To: <{email}>\r\n" + ev.header + _reply_to(repo, ev, "f", sid, email, now)
                        body = ev.text + f"\n-- \nUnsubscribe: {url}/unsubscribe/{code}\n"
                        mid = mail.header_value(hdr, "Message-Id") or mail.new_message_id(settings.email_self, now)
                        msg = mail.compose(settings, hdr, body, from_name=ev.from_name,
                                           message_id=mid, now=now)
                        queued += journal.add(repo, "email", email, mid, msg, now=now)
                    else:
                        body_parts.append(ev.text)
                        shown.append(ev)
                if body_parts:
                    mid = mail.new_message_id(settings.email_self, now)
                    hdr = (f"To: <{email}>\r\nSubject: {subname} activity alert\r\n"
                           f"List-Unsubscribe: <{url}/unsubscribe/{code}>\r\n"
                           "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
                    if all(e.type == "t" and e.target == shown[0].target for e in shown):
                        hdr += _reply_to(repo, shown[0], "t", sid, email, now)
                    body = (f"This is an automated email sent by the Fossil repository at {url} "
                            "to report changes.\n" + "".join("\n" + t for t in body_parts)
                            + f"\n-- \nSubscription info: {url}/alerts/{code}\n")
                    queued += journal.add(repo, "email", email, mid,
                                          mail.compose(settings, hdr, body, message_id=mid, now=now), now=now)
        ids = [(e,) for e, m in want if digest or not m]
        mods = [(e,) for e, m in want if not digest and m]
        if digest:
            repo.db.executemany("UPDATE pending_alert SET sentDigest=true WHERE eventid=?", ids)
        else:
            repo.db.executemany("UPDATE pending_alert SET sentSep=true WHERE eventid=?", ids)
            repo.db.executemany("UPDATE pending_alert SET sentMod=true WHERE eventid=?", mods)
        repo.execute("DELETE FROM pending_alert WHERE sentDigest AND sentSep")
    return queued


def _reply_to(repo: Repo, ev: Event, kind: str, sid: int, email: str, now: int) -> str:
    """``Reply-To: <PREFIX+TOKEN@DOMAIN>`` for a reply by email to ``ev`` (a forum
    post, or the one ticket an activity alert is all about), or "" when
    ``email-reply-address`` is unset or the event waits for a moderator
    (:mod:`fossilpy.backoffice.reply_token`)."""
    if ev.need_mod or not ev.target:
        return ""
    addr = reply_token.reply_address(repo, kind, sid, email, ev.target, now=now)
    return f"Reply-To: <{addr}>\r\n" if addr else ""


def queue_renewals(repo: Repo, *, now: int | None = None) -> int:
    """Renewal reminders for subscriptions about to expire (email-renew-interval >= 14)."""
    interval = repo.setting_int("email-renew-interval")
    if interval < 14 or not enabled(repo):
        return 0
    settings = mail.MailSettings.from_repo(repo)
    url = repo.setting("email-url")
    name = repo.setting("email-subname")
    now = int(time.time()) if now is None else now
    today = now // 86400
    old_warn = repo.config_int("email-renew-warning")
    new_warn = today - interval + RENEWAL_MSG_FREQUENCY
    if new_warn < old_warn + RENEWAL_MSG_FREQUENCY:
        return 0
    n = 0
    with repo.write():
        for code, email, ssub in repo.all(
            "SELECT hex(subscriberCode), semail, ssub FROM subscriber"
            " WHERE lastContact<=? AND lastContact>? AND NOT sdonotcall AND length(sdigest)>0",
            (new_warn, old_warn),
        ):
            hdr = f"To: <{email}>\r\nSubject: {name} Subscription to {url} expires soon\r\n"
            body = (f"\nTo renew your subscription, click the following link:\n\n  {url}/renew/{code}\n\n"
                    f"You are currently receiving email notification for the following events\n"
                    f"on the {name} Fossil repository at {url}:\n\n")
            for letter, label in (("a", "Announcements"), ("c", "Check-ins"), ("f", "Forum posts"),
                                  ("t", "Ticket changes"), ("w", "Wiki changes")):
                if letter in (ssub or ""):
                    body += f"  *  {label}\n"
            body += ("\nIf you take no action, your subscription will expire and you will be\n"
                     f"unsubscribed in about {RENEWAL_MSG_FREQUENCY} days.  To make other changes or to unsubscribe\n"
                     f"immediately, visit the following webpage:\n\n  {url}/alerts/{code}\n\n")
            mid = mail.new_message_id(settings.email_self, now)
            n += journal.add(repo, "email", email, f"renew-{new_warn}-{code}",
                             mail.compose(settings, hdr, body, message_id=mid, now=now), now=now)
        if old_warn > 0:
            repo.config_set("email-renew-cutoff", str(old_warn))
        repo.config_set("email-renew-warning", str(new_warn))
    return n


def deliver(repo: Repo, *, now: int | None = None, errors: list[str] | None = None) -> int:
    """Send every due email in the journal; return how many were accepted.

    Each failure's message is appended to ``errors`` when given.
    """
    if not repo.table_exists("fx_journal"):
        return 0
    settings = mail.MailSettings.from_repo(repo)

    def send(entry: journal.Entry) -> None:
        try:
            sender.send(entry.payload.decode("utf-8"), [entry.dest])
        except Exception as exc:  # recorded, then handled by the journal
            if errors is not None:
                errors.append(str(exc))
            raise

    with mail.Sender(settings) as sender:
        return journal.deliver(repo, "email", send, now=now)


# -- backoffice tasks (see fossilpy.backoffice.tasks) ------------------------

def backoffice_task(repo: Repo) -> int:
    """Queue instant alerts."""
    if not tables_exist(repo):
        return 0
    return queue(repo)


def digest_task(repo: Repo) -> int:
    """Once per Julian day: queue the digest and renewal reminders."""
    if not tables_exist(repo):
        return 0
    today = int(repo.one("SELECT julianday('now')"))
    if today <= repo.config_int("email-last-digest"):
        return 0
    repo.config_set("email-last-digest", str(today))
    return queue(repo, digest=True) + queue_renewals(repo)


def deliver_task(repo: Repo) -> tuple[int, list[str]]:
    """Deliver journaled email; return (delivered, one warning per distinct failure)."""
    errors: list[str] = []
    n = deliver(repo, errors=errors)
    distinct = list(dict.fromkeys(errors))
    warnings = [f"email not delivered ({errors.count(e)}x): {e}" for e in distinct[:3]]
    if len(distinct) > 3:
        warnings.append(f"and {len(distinct) - 3} other delivery errors")
    return n, warnings
