"""The chat room: ``/chat`` and the requests its script makes (Fossil 2.21's
``src/chat.c``; the table and message format are in :mod:`fossilpy.repo.chat`).

Everything needs capability ``C``.  Without it, ``/chat`` asks to log in;
``/chat-send``, ``/chat-poll`` and ``/chat-fetch-one`` answer Fossil's JSON
refusal (``{"isError": true, ...}``, status 200, as Fossil's client
expects) and write nothing; ``/chat-download`` shows "Not Authorized".

* ``/chat-send``: a POST (``multipart/form-data`` or urlencoded) with
  ``msg`` (Markdown), ``file`` (an attachment; its file name and type come
  from the part's headers) and ``lmtime`` (the sender's local time).  Unlike
  Fossil it must also be same-origin and carry the login's ``csrf`` token
  (refused with 403 otherwise).  Success is an empty reply.
* ``/chat-poll/N`` (or ``?name=N``): messages after msgid N as Fossil's
  JSON; a negative N gives the newest -N; with none new the request waits
  (the long poll) until one arrives, ``chat-poll-timeout`` seconds, or
  shortly before the request's time budget ends.  ``before=M&n=K``: up to K
  messages older than M, newest first, without waiting.  ``raw``: the
  Markdown text instead of HTML.
* ``/chat-fetch-one/N``: one message, or ``{"error":...}`` with 404.
* ``/chat-download/N[/NAME]``: the attachment; ``render`` turns Markdown and
  Fossil wiki into HTML and Pikchr into SVG.  Types that could run script
  in this origin (HTML, SVG, JavaScript...) are served as ``text/plain``.
* ``/chat-delete/N``: a same-origin POST with ``csrf`` (Fossil takes a GET
  without a token); the author or an administrator (``a``) deletes message
  N.  The reply is empty either way, as in Fossil.
* ``/chat-backup?msgid=N``: the messages after N as an SQLite database
  (``fossil chat pull``; setup only).
* ``resid``/``token`` (Fossil's obscured login and password, sent by
  ``fossil chat send`` and ``chat pull``) log a script in for
  ``/chat-send`` and ``/chat-backup``; such a request carries its own
  credentials, so it needs no ``csrf``.
* ``/chat.js``: the page's script (``www/static/chat.js``).  It listens on
  the ``/events`` stream for ``chat`` events and falls back to the long poll.
"""

from __future__ import annotations

import os
import time

from fossilpy.repo import chat
from fossilpy.web import forms
from fossilpy.web.request import HTTPError, Response
from fossilpy.web.routes import Context, PageSet

pages = PageSet()

JSON = "application/json"
#: Seconds between two looks at the table while a /chat-poll waits.
POLL_STEP = 0.5
#: Seconds a waiting /chat-poll leaves of the request's time budget.
BUDGET_MARGIN = 3.0


def _is_admin(ctx: Context) -> bool:
    return ctx.has("a") or ctx.has("s")


def _refusal(ctx: Context, as_list: bool) -> Response:
    """Fossil's ``chat_emit_permissions_error``."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    body = (
        f'{{"isError": true, "xfrom": null,"mtime": {chat.json_str(stamp)}, "lmtime": {chat.json_str(stamp)},'
        f'"xmsg": "Missing permissions or not logged in. '
        f"Try <a href='{ctx.req.top}/login?g=chat'>logging in</a>.\"}}"
    )
    if as_list:
        body = '{"msgs":[' + body + "]}"
    return Response(body=body.encode("utf-8"), content_type=JSON)


def _json(text: str, status: int = 200) -> Response:
    return Response(status=status, body=text.encode("utf-8", "surrogateescape"), content_type=JSON)


def _leading_int(value: str | None) -> int:
    """C's ``atoi``: the integer at the start of ``value`` (0 if none)."""
    s = (value or "").lstrip()
    sign = 1
    if s[:1] in ("-", "+"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if not ("0" <= ch <= "9"):
            break
        n = n * 10 + ord(ch) - 48
        if n > 2**31:
            break
    return max(-(2**31), min(2**31 - 1, sign * n))


def _prepare(ctx: Context) -> None:
    """Create the chat table on first use, as Fossil's chat pages do."""
    if not chat.exists(ctx.repo):
        with forms.writable(ctx) as w:
            chat.ensure(w)


@pages.webpage("/chat", caps="C")
def chat_page(ctx: Context) -> Response:
    """/chat

    The chat room: the newest messages (setting ``chat-initial-history``),
    a box to write Markdown, attach a file and send; new messages appear as
    they arrive.  Needs capability C."""
    repo = ctx.repo
    _prepare(ctx)
    project = repo.config_get("project-name") or "Unnamed project"
    return ctx.render(
        "chat.html",
        title="Chat",
        placeholder=f"Type markdown-formatted message for {project}.",
        init_size=repo.setting_int("chat-initial-history"),
        images_inline=repo.setting_bool("chat-inline-images"),
        admin=_is_admin(ctx),
        me=ctx.login.name or "nobody",
    )


@pages.webpage("/chat.js", caps="")
def chat_js(ctx: Context) -> Response:
    """/chat.js

    The script of /chat (a static file)."""
    from fossilpy.web.render import www_dir

    with open(os.path.join(www_dir(), "static", "chat.js"), "rb") as fh:
        data = fh.read()
    resp = Response(body=data, content_type="text/javascript; charset=utf-8")
    resp.add_header("Cache-control", "no-cache")
    return resp


def _upload(ctx: Context) -> tuple[str, str, bytes] | None:
    """The ``file`` part of a multipart /chat-send (other parts become parameters)."""
    from fossilpy.web import multipart

    req = ctx.req
    ctype = req.content_type
    if not multipart.is_multipart(ctype):
        return None
    if "boundary=" not in ctype.lower() and req.body.startswith(b"--"):
        # ``fossil chat send`` names no boundary: like Fossil's CGI, take the first line's
        line = req.body.split(b"\r\n", 1)[0][2:]
        ctype = "multipart/form-data; boundary=" + line.decode("ascii", "replace")
    parts = multipart.parse(req.body, ctype)
    req.params.update(multipart.fields(parts))
    for p in parts:
        if p.name == "file" and p.filename is not None:
            return p.filename, p.content_type or "application/octet-stream", p.data
    return None


def _token_login(ctx: Context) -> tuple[str, str] | None:
    """(login, capability letters) named by the ``resid``/``token``
    parameters, Fossil's obscured credentials for scripts such as
    ``fossil chat send`` (``login_check_credentials``), when the visitor is
    not otherwise logged in and they are right; else None."""
    from fossilpy.repo import capabilities, users
    from fossilpy.sync.auth import unobscure

    req = ctx.req
    if ctx.login.name or req.get("resid") is None or req.get("token") is None:
        return None
    login, password = unobscure(req.get("resid")) or "", unobscure(req.get("token")) or ""
    if not login or not password or login in ("nobody", "anonymous", "reader", "developer"):
        return None
    uid = users.check_password(ctx.repo, login, password)
    if not uid:
        return None
    letters = ctx.repo.one("SELECT cap FROM user WHERE uid=?", (uid,), "") or ""
    return login, "".join(sorted(capabilities.expand_for(ctx.repo, letters)))


@pages.webpage("/chat-send", caps="", methods=("POST",))
def chat_send(ctx: Context) -> Response:
    """/chat-send (POST: msg, file, lmtime, csrf; or resid and token instead of a login cookie)

    Store a new chat message and/or attachment; the reply is empty.  Needs C."""
    upload = _upload(ctx)
    token = _token_login(ctx)
    if token is not None:
        # credentials in the request itself, not a cookie: no cross-site risk, no csrf
        if "C" not in token[1]:
            return _refusal(ctx, False)
        user = token[0]
    else:
        if not ctx.has("C"):
            return _refusal(ctx, False)
        forms.check_post(ctx)
        user = ctx.login.name or "nobody"
    req = ctx.req
    msg = req.get("msg") or ""
    lmtime = req.get("lmtime")
    with forms.writable(ctx) as w:
        chat.send(w, user, msg, lmtime, upload)
    return Response(body=b"")


@pages.webpage("/chat-poll", caps="")
def chat_poll(ctx: Context) -> Response:
    """/chat-poll/N?before=M&n=K&raw

    New chat messages after msgid N as JSON (see the module docstring);
    waits for new ones when there are none.  Needs C."""
    if not ctx.has("C"):
        return _refusal(ctx, True)
    req = ctx.req
    repo = ctx.repo
    msgid = _leading_int(req.get("name", "0"))
    before = _leading_int(req.get("before", "0"))
    raw = req.get("raw") is not None
    top = req.top
    _prepare(ctx)
    if msgid <= 0 or before > 0:
        with forms.writable(ctx) as w:
            chat.purge(w)
    if before > 0:
        n = _leading_int(req.get("n", "0")) or repo.setting_int("chat-initial-history")
        return _json(chat.poll_json(chat.messages_before(repo, before, n, raw=raw, top=top)))
    if msgid < 0:
        msgid = chat.start_id(repo, -msgid)
    wait = _wait_seconds(ctx)
    version = repo.one("PRAGMA data_version")
    end = time.monotonic() + wait
    while True:
        msgs = chat.messages_since(repo, msgid, 0, raw=raw, top=top)
        if msgs or time.monotonic() >= end:
            return _json(chat.poll_json(msgs))
        while time.monotonic() < end:
            time.sleep(POLL_STEP)
            now = repo.one("PRAGMA data_version")
            if now != version:
                version = now
                break


def _wait_seconds(ctx: Context) -> float:
    """How long a /chat-poll may wait: ``chat-poll-timeout``, within the budget."""
    from fossilpy import budget

    wait = float(max(0, ctx.repo.setting_int("chat-poll-timeout")))
    b = budget.current()
    if b is not None:
        wait = min(wait, b.deadline - time.monotonic() - BUDGET_MARGIN)
    return max(0.0, wait)


@pages.webpage("/chat-fetch-one", caps="")
def chat_fetch_one(ctx: Context) -> Response:
    """/chat-fetch-one/N?raw

    Chat message N as JSON, or a JSON error with status 404.  Needs C."""
    if not ctx.has("C"):
        return _refusal(ctx, False)
    msgid = _leading_int(ctx.req.get("name", "0"))
    _prepare(ctx)
    msg = chat.fetch_one(ctx.repo, msgid, raw=ctx.req.get("raw") is not None, top=ctx.req.top)
    if msg is None:
        return _json('{"error":' + chat.json_str(f"Chat message #{msgid} not found.") + "}", status=404)
    return _json(chat.to_json(msg, space_after_msgid=True))


@pages.webpage("/chat-download", caps="")
def chat_download(ctx: Context) -> Response:
    """/chat-download/N[/FILENAME]?render

    The file attached to chat message N (with render: Markdown and Fossil
    wiki as HTML, Pikchr as SVG).  Needs C."""
    if not ctx.has("C"):
        return ctx.render("chat_denied.html", status=403, title="Chat Not Authorized")
    name = ctx.req.get("name", "0") or "0"
    _prepare(ctx)
    found = chat.attachment(ctx.repo, _leading_int(name))
    if found is None:
        return Response(body=b"")
    mime, data = found
    if data and ctx.req.get("render") is not None:
        rendered = _render_file(ctx, mime, name, data)
        if rendered is not None:
            return rendered
    from fossilpy.web.pages.files import safe_type

    ctype = safe_type(mime, data)
    if ctype.startswith("text/"):
        ctype += "; charset=utf-8"  # as Fossil's cgi_reply adds to text types
    resp = Response(body=data, content_type=ctype)
    resp.add_header("X-Content-Type-Options", "nosniff")
    return resp


def _render_file(ctx: Context, mime: str, name: str, data: bytes) -> Response | None:
    """An attachment as Fossil's ``render`` shows it, or None to send it as it is."""
    from fossilpy.markup import wikirender

    text = data.decode("utf-8", "surrogateescape")
    top = ctx.req.top
    if mime in ("text/x-markdown", "text/markdown"):
        html = wikirender.render_markdown(text, top)
    elif mime == "text/x-fossil-wiki" or name.endswith(".wiki"):
        html = wikirender.render_fossil_wiki(text, top)
    elif mime == "text/x-pikchr" or name.endswith(".pikchr"):
        from fossilpy.markup.pikchr import pikchr

        svg, width, _ = pikchr(text)
        if width > 0:
            return Response(body=svg.encode("utf-8"), content_type="image/svg+xml")
        html = svg
    else:
        return None
    return Response(body=html.encode("utf-8", "surrogateescape"))


@pages.webpage("/chat-delete", caps="", methods=("POST",))
def chat_delete(ctx: Context) -> Response:
    """/chat-delete/N (POST with csrf)

    Delete chat message N (its author or an administrator); the reply is
    empty.  Needs C."""
    if not ctx.has("C"):
        return Response(body=b"")
    _upload(ctx)  # a FormData body: its fields (csrf) become parameters
    forms.check_post(ctx)
    msgid = _leading_int(ctx.req.get("name", "0"))
    if msgid <= 0:
        raise HTTPError(400, "no message id given")
    with forms.writable(ctx) as w:
        chat.delete(w, msgid, ctx.login.name or "nobody", _is_admin(ctx))
    return Response(body=b"")


@pages.webpage("/chat-backup", caps="")
def chat_backup(ctx: Context) -> Response:
    """/chat-backup?msgid=N (resid and token, or a login)

    An SQLite database holding the chat messages after msgid N (for
    ``fossil chat pull``).  Needs setup (s); otherwise the reply is empty."""
    import sqlite3

    token = _token_login(ctx)
    if not (ctx.has("s") if token is None else "s" in token[1]):
        return Response(body=b"")
    _prepare(ctx)
    msgid = _leading_int(ctx.req.get("msgid", "0"))
    mem = sqlite3.connect(":memory:")
    try:
        mem.execute("PRAGMA page_size=512")
        mem.execute("ATTACH ? AS repository", (ctx.repo_path,))
        mem.execute("CREATE TABLE main.chat AS SELECT * FROM repository.chat WHERE msgid>?", (msgid,))
        mem.commit()
        mem.execute("DETACH repository")
        data = mem.serialize()
    finally:
        mem.close()
    return Response(body=bytes(data), content_type="application/x-sqlite3")
