"""Signed webhooks: each new event is POSTed as JSON to the hooks that want it.

Fossil has no webhooks; this is a fossilpy extension (payload format in
``www/doc/webhooks.md``).  Tables (``fx_`` prefix: kept by ``fossil
rebuild``, never synced)::

    fx_webhook(
      hid INTEGER PRIMARY KEY,
      url TEXT NOT NULL,          -- http:// or https:// receiver
      secret TEXT NOT NULL,       -- HMAC-SHA256 key
      events TEXT NOT NULL,       -- comma list of ci,w,t,f,e,g
      ctime INTEGER NOT NULL      -- unix seconds when added
    )
    fx_webhook_state(name TEXT PRIMARY KEY, value INTEGER)
        -- 'cursor': the highest blob.rcvid whose events were queued;
        -- 'attempts-ok', 'attempts-failed': attempts ever made (for /metrics)
    fx_webhook_held(objid INTEGER PRIMARY KEY)
        -- events awaiting moderation: queued once approved, dropped if rejected
    fx_webhook_attempt(
      aid INTEGER PRIMARY KEY,
      hid INTEGER NOT NULL,       -- the hook
      delivery TEXT NOT NULL,     -- X-Fossilpy-Delivery of the attempt
      event TEXT NOT NULL,        -- "checkin", "wiki", ...
      request TEXT NOT NULL,      -- request line, headers and body as sent
      status INTEGER,             -- HTTP status; NULL when there was no reply
      error TEXT,                 -- refused, timeout, ... (NULL for a reply)
      time INTEGER NOT NULL,      -- unix seconds when sent
      msec INTEGER NOT NULL,      -- how long it took
      response TEXT               -- the reply's first RESPONSE_EXCERPT bytes
    )                             -- the newest KEEP_ATTEMPTS per hook are kept

How an event travels.  Each backoffice run (:func:`backoffice_task`), in one
write transaction, looks for event rows whose artifact arrived after the
cursor (``blob.rcvid``: new artifacts and phantoms filled in later both get
a new receive id, whether fossil or fossilpy wrote them), builds each one's
payload, journals one delivery per interested hook in the delivery journal
(``fossilpy.backoffice.journal``, kind ``webhook``, dest the hook id, key
the delivery id) and moves the cursor.  This queue is the hooks' own: the
email alerts' ``pending_alert`` rows are not touched, so neither consumes
the other's events.  Private artifacts are never sent; an event awaiting
moderation waits in ``fx_webhook_held`` until a moderator decides.

Delivery (:func:`deliver`) POSTs each journaled body with its signature
(``X-Fossilpy-Signature-256: sha256=HEX``, HMAC-SHA256 of the raw body with
the hook's secret).  Only a 2xx acknowledges; the journal entry is removed
(with the attempt recorded) in the same transaction, so a kill at any point
loses nothing (a delivery may arrive twice; it keeps its delivery id).  Any
other status, a timeout or a refused connection is an attempt recorded and
a retry scheduled ``RETRY_BASE * 2**(n-1)`` seconds later (at most
``RETRY_MAX``) plus up to 25% random jitter; after ``MAX_ATTEMPTS`` the
delivery is marked failed (redeliver it from /setup_webhooks).  Per hook the
order is kept: a hook's next delivery waits until the one before it was
acknowledged or failed for good.  A run connects with a ``CONNECT_TIMEOUT``,
reads with a ``READ_TIMEOUT``, cuts an attempt off at ``ATTEMPT_DEADLINE``
(a receiver dripping its reply) and starts no attempt after ``RUN_BUDGET``
seconds, so it always ends well inside the backoffice lease; requests never
deliver (only the backoffice does).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fossilpy.backoffice import journal
from fossilpy.repo.db import Repo
from fossilpy.text import is_digits

SCHEMA = """
CREATE TABLE IF NOT EXISTS fx_webhook(
  hid INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  ctime INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fx_webhook_state(name TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE IF NOT EXISTS fx_webhook_held(objid INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS fx_webhook_attempt(
  aid INTEGER PRIMARY KEY,
  hid INTEGER NOT NULL,
  delivery TEXT NOT NULL,
  event TEXT NOT NULL,
  request TEXT NOT NULL,
  status INTEGER,
  error TEXT,
  time INTEGER NOT NULL,
  msec INTEGER NOT NULL,
  response TEXT
);
CREATE INDEX IF NOT EXISTS fx_webhook_attempt_hid ON fx_webhook_attempt(hid, aid);
"""

#: The journal kind of a webhook delivery.
KIND = "webhook"
#: Version of the payload format (www/doc/webhooks.md); bumped only on incompatible change.
SCHEMA_VERSION = 1
#: Event letters a hook may want, and the payload's name for each.
EVENTS = {"ci": "checkin", "w": "wiki", "t": "ticket", "f": "forum", "e": "technote", "g": "tag"}
#: Attempts before a delivery is marked failed.
MAX_ATTEMPTS = 8
#: First retry delay and the longest one, seconds.
RETRY_BASE = 10
RETRY_MAX = 3600
#: Seconds to connect, to wait for each read of the reply, and for a whole run.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
#: seconds one attempt may take from connect to the last byte read
ATTEMPT_DEADLINE = 10.0
RUN_BUDGET = 20.0
#: Bytes of the reply kept with an attempt; attempts kept per hook.
RESPONSE_EXCERPT = 1000
KEEP_ATTEMPTS = 200
USER_AGENT = "fossilpy-webhook/1"


@dataclass
class Hook:
    """One row of fx_webhook."""

    hid: int
    url: str
    secret: str
    events: tuple[str, ...]
    ctime: int


@dataclass
class Reply:
    """What one attempt got: a status and an excerpt, or an error."""

    status: int | None
    response: str
    error: str | None
    msec: int


def ensure(repo: Repo) -> None:
    """Create the webhook tables (and the journal's) if missing."""
    journal.ensure(repo)
    if not repo.table_exists("fx_webhook_attempt"):
        with repo.write():
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    repo.execute(stmt)


def parse_events(text: str | None) -> tuple[str, ...]:
    """``"ci,w"`` -> ("ci", "w"); empty means all; ValueError names an unknown letter."""
    words = [w.strip() for w in (text or "").replace(" ", ",").split(",") if w.strip()]
    if not words:
        return tuple(EVENTS)
    for w in words:
        if w not in EVENTS:
            raise ValueError(f'unknown event "{w[:20]}": use {",".join(EVENTS)}')
    return tuple(e for e in EVENTS if e in words)


def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL with a host; ValueError otherwise."""
    from urllib.parse import urlsplit

    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"malformed URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError("the URL must be http://HOST[:PORT]/PATH or https://...")
    return url


def hooks(repo: Repo) -> list[Hook]:
    """Every hook, oldest first."""
    if not repo.table_exists("fx_webhook"):
        return []
    return [
        Hook(hid, url, secret, tuple(events.split(",")), ctime)
        for hid, url, secret, events, ctime in repo.all(
            "SELECT hid,url,secret,events,ctime FROM fx_webhook ORDER BY hid"
        )
    ]


def hook(repo: Repo, hid: int) -> Hook | None:
    """The hook ``hid``, or None."""
    return next((h for h in hooks(repo) if h.hid == hid), None)


def add(repo: Repo, url: str, secret: str, events: tuple[str, ...], *, now: int | None = None) -> int:
    """Add a hook; return its id.  Events from now on are sent to it."""
    url = check_url(url)
    if not secret:
        raise ValueError("a secret is required")
    ensure(repo)
    now = int(time.time()) if now is None else now
    with repo.write():
        if not repo.one("SELECT count(*) FROM fx_webhook"):
            # no hook was listening: start from here, not from old history
            _set_cursor(repo, int(repo.one("SELECT max(rcvid) FROM blob") or 0))
            repo.execute("DELETE FROM fx_webhook_held")
        cur = repo.execute(
            "INSERT INTO fx_webhook(url,secret,events,ctime) VALUES(?,?,?,?)",
            (url, secret, ",".join(events), now),
        )
        return int(cur.lastrowid or 0)


def remove(repo: Repo, hid: int) -> bool:
    """Remove a hook, its queued deliveries and its attempts."""
    if not repo.table_exists("fx_webhook"):
        return False
    with repo.write():
        n = repo.execute("DELETE FROM fx_webhook WHERE hid=?", (hid,)).rowcount
        repo.execute("DELETE FROM fx_journal WHERE kind=? AND dest=?", (KIND, str(hid)))
        repo.execute("DELETE FROM fx_webhook_attempt WHERE hid=?", (hid,))
    return n == 1


def _set_cursor(repo: Repo, value: int) -> None:
    repo.execute("REPLACE INTO fx_webhook_state(name,value) VALUES('cursor',?)", (value,))


def new_delivery_id() -> str:
    """A fresh delivery id: 32 random hex digits."""
    import os

    return os.urandom(16).hex()


# -- queueing events -------------------------------------------------------------

_SCAN = (
    "SELECT event.type, event.objid, blob.uuid, event.mtime, coalesce(euser,user),"
    " coalesce(ecomment,comment), event.tagid, blob.rcvid"
    " FROM event JOIN blob ON blob.rid=event.objid WHERE {where}"
    " ORDER BY blob.rcvid, event.mtime, event.objid"
)
_SCAN_NEW = _SCAN.format(where="blob.rcvid>?")
_SCAN_ONE = _SCAN.format(where="event.objid=?")


def queue(repo: Repo, *, now: int | None = None) -> int:
    """Journal a delivery per hook for each new event; return how many were journaled."""
    if not repo.table_exists("fx_webhook"):
        return 0
    all_hooks = hooks(repo)
    if not all_hooks:
        return 0
    now = int(time.time()) if now is None else now
    queued = 0
    with repo.write():
        cursor = int(repo.one("SELECT value FROM fx_webhook_state WHERE name='cursor'") or 0)
        rows = []
        for (objid,) in repo.all("SELECT objid FROM fx_webhook_held ORDER BY objid"):
            if _awaits_moderation(repo, objid):
                continue
            repo.execute("DELETE FROM fx_webhook_held WHERE objid=?", (objid,))
            rows += repo.all(_SCAN_ONE, (objid,))  # approved; rejected ones are gone
        new = repo.all(_SCAN_NEW, (cursor,))
        for row in new:
            if _awaits_moderation(repo, row[1]):
                repo.execute("INSERT OR IGNORE INTO fx_webhook_held(objid) VALUES(?)", (row[1],))
            else:
                rows.append(row)
        for row in rows:
            if repo.one("SELECT 1 FROM private WHERE rid=?", (row[1],)):
                continue
            letter = "ci" if row[0] == "ci" else str(row[0])[:1]
            wanted = [h for h in all_hooks if letter in h.events]
            if not wanted:
                continue
            event = describe(repo, row)
            for h in wanted:
                did = new_delivery_id()
                body = payload(event, did)
                queued += journal.add(repo, KIND, str(h.hid), did, body, now=now)
        if new:
            _set_cursor(repo, max(cursor, max(int(r[7] or 0) for r in new)))
    return queued


def _awaits_moderation(repo: Repo, objid: int) -> bool:
    return repo.table_exists("modreq") and repo.one("SELECT 1 FROM modreq WHERE objid=?", (objid,)) is not None


def describe(repo: Repo, row: tuple[Any, ...]) -> dict[str, Any]:
    """The payload fields (without the delivery id) of one event row."""
    etype, objid, uuid, mtime, user, comment, tagid, _rcvid = row
    letter = "ci" if etype == "ci" else str(etype)[:1]
    kind = EVENTS.get(letter, str(etype))
    base = (repo.setting("email-url") or "").rstrip("/")
    when = repo.one("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?)", (mtime,))
    event: dict[str, Any] = {
        "event": kind,
        "repository": {
            "name": repo.config_get("project-name") or "",
            "code": repo.config_get("project-code") or "",
            "url": base,
        },
        "artifact": uuid,
        "time": when,
        "user": user or "",
        "comment": comment or "",
        "url": f"{base}/info/{uuid}" if base else "",
    }
    tagname = repo.one("SELECT tagname FROM tag WHERE tagid=?", (tagid,)) if tagid else None
    if letter == "ci":
        event["branch"] = (
            repo.one(
                "SELECT value FROM tagxref WHERE rid=? AND tagid=(SELECT tagid FROM tag WHERE tagname='branch')"
                " AND tagtype>0",
                (objid,),
            )
            or ""
        )
        event["tags"] = [
            t
            for (t,) in repo.all(
                "SELECT substr(tagname,5) FROM tag JOIN tagxref USING(tagid)"
                " WHERE rid=? AND tagname GLOB 'sym-*' AND tagtype>0 ORDER BY 1",
                (objid,),
            )
        ]
        event["parents"] = [
            p
            for (p,) in repo.all(
                "SELECT uuid FROM plink JOIN blob ON blob.rid=plink.pid WHERE cid=? ORDER BY isprim DESC, pid",
                (objid,),
            )
        ]
    elif letter == "w":
        text = comment or ""
        action = {"+": "add", "-": "delete"}.get(text[:1], "edit")
        event["page"] = str(tagname or "")[5:] if str(tagname or "").startswith("wiki-") else text[1:]
        event["action"] = action
        event["comment"] = text[1:] if text[:1] in ":+-" else text
    elif letter == "t":
        event["ticket"] = str(tagname or "")[4:] if str(tagname or "").startswith("tkt-") else ""
    elif letter == "e":
        event["technote"] = str(tagname or "")[6:] if str(tagname or "").startswith("event-") else ""
    elif letter == "f" and repo.table_exists("forumpost"):
        got = repo.row(
            "SELECT (SELECT uuid FROM blob WHERE rid=froot), (SELECT uuid FROM blob WHERE rid=firt)"
            " FROM forumpost WHERE fpid=?",
            (objid,),
        )
        event["thread"], event["in_reply_to"] = got if got else ("", None)
    return event


def payload(event: dict[str, Any], delivery: str) -> bytes:
    """The JSON body of one delivery (keys in a fixed order, UTF-8)."""
    body = {"schema_version": SCHEMA_VERSION, "delivery": delivery, **event}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogateescape")


def signature(secret: str, body: bytes) -> str:
    """``sha256=HEX``: HMAC-SHA256 of ``body`` keyed with ``secret``."""
    import hashlib
    import hmac

    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def headers(h: Hook, delivery: str, event: str, body: bytes, now: int) -> list[tuple[str, str]]:
    """The request headers of one attempt."""
    return [
        ("Content-Type", "application/json"),
        ("User-Agent", USER_AGENT),
        ("X-Fossilpy-Event", event),
        ("X-Fossilpy-Delivery", delivery),
        ("X-Fossilpy-Timestamp", str(now)),
        ("X-Fossilpy-Signature-256", signature(h.secret, body)),
    ]


# -- delivering ------------------------------------------------------------------


def post(url: str, hdrs: list[tuple[str, str]], body: bytes) -> Reply:
    """POST ``body`` to ``url`` with short timeouts; never raises."""
    import http.client
    from urllib.parse import urlsplit

    started = time.monotonic()
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(parts.hostname or "", parts.port, timeout=CONNECT_TIMEOUT)
    guard = None
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(READ_TIMEOUT)
            # READ_TIMEOUT bounds each read; a receiver dripping its reply a byte at
            # a time would pass that on every read, so the whole attempt has a
            # deadline too: the socket is shut down when ATTEMPT_DEADLINE passes.
            import socket
            import threading

            fired = threading.Event()
            guard = threading.Timer(ATTEMPT_DEADLINE, _shut, (conn.sock, socket.SHUT_RDWR, fired))
            guard.daemon = True
            guard.start()
        conn.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in hdrs:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        excerpt = resp.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
        if guard is not None and fired.is_set():  # what was read was cut off, not a reply
            return Reply(None, "", f"TimeoutError: no whole reply within {ATTEMPT_DEADLINE:g} s", _msec(started))
        return Reply(resp.status, excerpt, None, _msec(started))
    except (OSError, http.client.HTTPException) as exc:  # TimeoutError is an OSError
        return Reply(None, "", f"{type(exc).__name__}: {exc}"[:300], _msec(started))
    finally:
        if guard is not None:
            guard.cancel()
        conn.close()


def _shut(sock: Any, how: int, fired: Any) -> None:
    fired.set()
    try:
        sock.shutdown(how)
    except OSError:
        pass


def _msec(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def request_text(url: str, hdrs: list[tuple[str, str]], body: bytes) -> str:
    """The request as shown on the delivery page."""
    lines = [f"POST {url}"] + [f"{k}: {v}" for k, v in hdrs]
    return "\n".join(lines) + "\n\n" + body.decode("utf-8", "replace")


def backoff(attempts: int, rand: Callable[[], float]) -> int:
    """Seconds before retry number ``attempts`` (1-based): exponential, capped, with jitter."""
    wait = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
    return int(wait + wait * 0.25 * rand())


def deliver(
    repo: Repo,
    *,
    now: int | None = None,
    send: Callable[[str, list[tuple[str, str]], bytes], Reply] = post,
    budget: float = RUN_BUDGET,
    rand: Callable[[], float] | None = None,
) -> tuple[int, int]:
    """Try the due deliveries, in order per hook; return (delivered, failed attempts)."""
    if not repo.table_exists("fx_webhook") or not repo.table_exists("fx_journal"):
        return 0, 0
    import random

    rand = rand or random.random
    fixed_now = now
    deadline = time.monotonic() + budget
    by_hook: dict[str, list[journal.Entry]] = {}
    for entry in journal.entries(repo, states=("pending",)):
        if entry.kind == KIND:
            by_hook.setdefault(entry.dest, []).append(entry)
    ok = bad = 0
    for dest, queue_ in by_hook.items():
        h = hook(repo, int(dest)) if is_digits(dest) else None
        if h is None:
            continue
        for entry in queue_:
            t = int(time.time()) if fixed_now is None else fixed_now
            if entry.next_try > t or time.monotonic() >= deadline:
                break  # order per hook: nothing after a delivery that is waiting
            event = str(json.loads(entry.payload).get("event", "?"))
            hdrs = headers(h, entry.key, event, entry.payload, t)
            reply = send(h.url, hdrs, entry.payload)
            with repo.write():
                repo.execute(
                    "INSERT INTO fx_webhook_attempt(hid,delivery,event,request,status,error,time,msec,response)"
                    " VALUES(?,?,?,?,?,?,?,?,?)",
                    (
                        h.hid,
                        entry.key,
                        event,
                        request_text(h.url, hdrs, entry.payload),
                        reply.status,
                        reply.error,
                        t,
                        reply.msec,
                        reply.response,
                    ),
                )
                repo.execute(
                    "DELETE FROM fx_webhook_attempt WHERE hid=? AND aid<=(SELECT aid FROM fx_webhook_attempt"
                    " WHERE hid=? ORDER BY aid DESC LIMIT 1 OFFSET ?)",
                    (h.hid, h.hid, KEEP_ATTEMPTS),
                )
                acked = reply.status is not None and 200 <= reply.status < 300
                repo.execute(
                    "INSERT INTO fx_webhook_state VALUES(?,1) ON CONFLICT(name) DO UPDATE SET value=value+1",
                    ("attempts-ok" if acked else "attempts-failed",),
                )
                if acked:
                    journal.delivered(repo, entry, now=t)
                    ok += 1
                    continue
                error = reply.error or f"HTTP {reply.status}"
                journal.failed(repo, entry, error, now=t, max_attempts=MAX_ATTEMPTS)
                repo.execute(
                    "UPDATE fx_journal SET next_try=? WHERE jid=?",
                    (t + backoff(entry.attempts + 1, rand), entry.jid),
                )
                bad += 1
            if entry.attempts + 1 < MAX_ATTEMPTS:
                break  # keep the order: the next ones wait for this one
    return ok, bad


def redeliver(repo: Repo, hid: int, delivery: str, *, now: int | None = None) -> bool:
    """Send delivery ``delivery`` of hook ``hid`` again (as it was, same id)."""
    if not repo.table_exists("fx_webhook_attempt"):
        return False
    with repo.write():
        jid = repo.one("SELECT jid FROM fx_journal WHERE kind=? AND dest=? AND key=?", (KIND, str(hid), delivery))
        if jid is not None:
            return journal.retry(repo, int(jid)) == 1
        sent = repo.one(
            "SELECT request FROM fx_webhook_attempt WHERE hid=? AND delivery=? ORDER BY aid DESC LIMIT 1",
            (hid, delivery),
        )
        if sent is None:
            return False
        body = str(sent).partition("\n\n")[2].encode("utf-8")
        return journal.add(repo, KIND, str(hid), delivery, body, now=now)


def attempts(repo: Repo, hid: int, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest attempts of hook ``hid``, newest first."""
    if not repo.table_exists("fx_webhook_attempt"):
        return []
    cols = ("aid", "delivery", "event", "request", "status", "error", "time", "msec", "response")
    return [
        dict(zip(cols, r, strict=True))
        for r in repo.all(
            "SELECT aid,delivery,event,request,status,error,time,msec,response FROM fx_webhook_attempt"
            " WHERE hid=? ORDER BY aid DESC LIMIT ?",
            (hid, limit),
        )
    ]


def queued(repo: Repo, hid: int) -> list[journal.Entry]:
    """Deliveries of hook ``hid`` still in the journal (pending or failed), oldest first."""
    return [e for e in journal.entries(repo) if e.kind == KIND and e.dest == str(hid)]


def test_event(repo: Repo, hid: int, *, now: int | None = None) -> str:
    """Journal a ``ping`` delivery to hook ``hid``; return its delivery id."""
    did = new_delivery_id()
    event = {
        "event": "ping",
        "repository": {
            "name": repo.config_get("project-name") or "",
            "code": repo.config_get("project-code") or "",
            "url": (repo.setting("email-url") or "").rstrip("/"),
        },
    }
    journal.add(repo, KIND, str(hid), did, payload(event, did), now=now)
    return did


# -- backoffice task (see fossilpy.backoffice.tasks) -----------------------------


def backoffice_task(repo: Repo) -> tuple[int, list[str]]:
    """Queue new events for the hooks and deliver what is due."""
    if not repo.table_exists("fx_webhook"):
        return 0, []
    queue(repo)
    ok, bad = deliver(repo)
    return ok, ([f"{bad} webhook attempts failed"] if bad else [])
