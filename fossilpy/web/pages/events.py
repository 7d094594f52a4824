"""Live pages: the ``/events`` Server-Sent Events stream and the ``/live.js`` script.

``/events`` is fossilpy's own (Fossil 2.21 has no live pages).  The stream
itself, its cursor, its wire format and who sees what are described in
:mod:`fossilpy.web.eventfeed`; the event types and their JSON payloads in
``www/doc/live.md``.  This module decides where a stream starts and how
long it lives:

* start: the ``Last-Event-ID`` header (a browser's reconnection), else
  ``since=OBJID[:MSGID]`` (a page passes the newest event it showed, so
  nothing that arrives while the script loads is lost), else "now";
* life: under CGI (one process per request, under the ``timeout:``
  budget) at most :data:`~fossilpy.web.eventfeed.CGI_LIFETIME` seconds,
  fewer when the budget is lower, and a little after the first events (a
  web server that buffers a CGI's reply passes them on when it ends); the
  browser reconnects after ``retry:``.  Under ``server`` and SCGI it stays
  open until the client goes;
* bound: at most ``live-max-streams`` streams per process (a door may
  lower it with ``fossilpy.max_streams``); beyond it 503 with
  ``Retry-After``.
"""

from __future__ import annotations

import os

from fossilpy.budget import RETRY_AFTER
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()


def _capabilities(ctx: Context) -> str:
    return "".join(c for c in "ojr2xC" if ctx.has(c))


@pages.webpage("/events", caps="o|r|j|2|C")
def events(ctx: Context) -> Response:
    """/events?since=OBJID[:MSGID]&chat=MSGID

    Server-Sent Events (text/event-stream): a frame for every new
    check-in, wiki edit, ticket change, forum post, technote and tag
    change the visitor may read (and chat messages with C), as they
    arrive.  Resumes after the Last-Event-ID header a browser sends when
    it reconnects; since= picks the first position (chat= the first chat
    message, for /chat).  Heartbeat comments
    every 15 seconds.  See www/doc/live.md."""
    from fossilpy import budget
    from fossilpy.web import eventfeed

    req, repo = ctx.req, ctx.repo
    caps = _capabilities(ctx)
    chat = "C" in caps  # the chat table may appear later: its first message creates it
    start = _start(ctx, chat)
    headers = [("Cache-control", "no-cache"), ("X-Accel-Buffering", "no")]
    if req.method == "HEAD":
        return Response(body=b"", content_type="text/event-stream; charset=utf-8", headers=headers)
    limit = repo.setting_int("live-max-streams")
    door_limit = req.environ.get("fossilpy.max_streams")
    if isinstance(door_limit, int) and door_limit > 0:
        limit = min(limit, door_limit)
    if not eventfeed.acquire_slot(limit):
        raise HTTPError(
            503,
            f"too many live streams are open ({limit}); try again later",
            headers=[("Retry-After", str(RETRY_AFTER))],
        )
    lifetime, end_early, retry = 0.0, False, eventfeed.RETRY_MS
    if req.environ.get("fossilpy.door") == "cgi" or req.environ.get("wsgi.run_once"):
        limits = budget.current()
        left = (limits.seconds if limits is not None else eventfeed.CGI_LIFETIME + 5) - 3.0
        lifetime, end_early = max(1.0, min(eventfeed.CGI_LIFETIME, left)), True
        retry = eventfeed.CGI_RETRY_MS
    reader = eventfeed.Reader(caps, chat=chat)
    stream = eventfeed.EventStream(
        ctx.repo_path,
        reader,
        start[0],
        start[1],
        retry_ms=retry,
        lifetime=lifetime,
        end_after_events=end_early,
        top=req.top,
        peer_gone=gone if callable(gone := req.environ.get("fossilpy.peer_gone")) else None,
    )
    return eventfeed.StreamResponse(stream, headers=headers)


def _start(ctx: Context, chat: bool) -> tuple[int, int]:
    """(objid, msgid) the stream starts after: Last-Event-ID, else since= and chat=, else now.

    A cursor without its chat part (written for a reader without ``C``)
    starts chat at the newest message."""
    from fossilpy.text import is_digits
    from fossilpy.web import eventfeed

    req, repo = ctx.req, ctx.repo
    header = str(req.environ.get("HTTP_LAST_EVENT_ID") or "").strip()
    since_text = (req.get("since") or "").strip()
    chat_text = (req.get("chat") or "").strip()
    if since_text not in ("", "now") and eventfeed.parse_cursor(since_text) is None:
        raise HTTPError(400, "since= must be OBJID or OBJID:MSGID")
    if chat_text and (not is_digits(chat_text) or len(chat_text) > 18):
        raise HTTPError(400, "chat= must be a message id")
    objid = eventfeed.latest(repo)
    msgid = eventfeed.chat_latest(repo) if chat else 0
    from_header = eventfeed.parse_cursor(header) is not None
    raw = header if from_header else since_text if since_text != "now" else ""
    cursor = eventfeed.parse_cursor(raw)
    if cursor is not None:
        objid = cursor[0]
        if ":" in raw and chat:
            msgid = cursor[1]
    if chat_text and chat and not from_header:
        msgid = int(chat_text)
    return objid, msgid


@pages.webpage("/live.js", caps="")
def live_js(ctx: Context) -> Response:
    """/live.js

    The script of the live pages (timeline, forum thread, ticket): it
    listens to /events and updates the page in place."""
    from fossilpy.web.render import www_dir

    if ctx.req.path_info.strip("/") != "live.js":
        raise HTTPError(404, "not found")
    with open(os.path.join(www_dir(), "static", "live.js"), "rb") as fh:
        body = fh.read()
    resp = Response(body=body, content_type="text/javascript; charset=utf-8")
    resp.add_header("Cache-control", "max-age=600")
    return resp
