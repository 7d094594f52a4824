"""The chat room's table: messages, attachments, deletions and expiry.

Fossil 2.21 keeps its chat room (``src/chat.c``) in one table of the
repository, created the first time a chat page is used and never synced::

    chat(msgid INTEGER PRIMARY KEY AUTOINCREMENT,
         mtime JULIANDAY,   -- when the server stored the row (UTC)
         lmtime TEXT,       -- the sender's local time, as the client sent it
         xfrom TEXT,        -- login of the sender ("nobody" when anonymous)
         xmsg TEXT,         -- the raw Markdown text
         fname TEXT, fmime TEXT, file BLOB,   -- an attachment, or NULL
         mdel INT)          -- set on a row that announces a deletion

Deleting message N removes its row and adds a row ``(mtime=now,
xfrom=deleter, mdel=N)`` with no text, so that every listener learns of
the deletion from the same stream of new rows.

Expiry (Fossil's ``chat_purge``), run before a message is stored and when
a client starts (``/chat-poll`` with no or a negative id): when the oldest
row is older than ``chat-keep-days`` days, rows older than that are
deleted, except the newest ``chat-keep-count`` rows.

A message as clients receive it (one element of ``/chat-poll``'s ``msgs``
list; :func:`messages_since` returns these dicts, keys in Fossil's order):

* ``msgid`` (int); ``mtime`` (``YYYY-MM-DDTHH:MM:SSZ``); ``lmtime`` only
  when the sender gave one;
* ``xfrom`` (str, or None for a row without a sender); ``uclr``: the
  sender's colour (Fossil's ``user_color``; ``transparent`` for the
  ``chat-timeline-user``);
* ``xmsg``: the text as HTML (Markdown; Fossil wiki for the
  ``chat-timeline-user``), or the raw text when asked for ``raw``;
* ``fsize`` (attachment bytes, 0 for none), then ``fname`` and ``fmime``
  only when ``fsize`` > 0;
* ``mdel`` only on a deletion row: the id of the deleted message.

:func:`to_json` writes one such dict byte for byte as Fossil does (compact,
``"`` and ``\\`` escaped, ``\\n``/``\\r``, other control characters as
``\\u00XX``, everything else as UTF-8).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from fossilpy.repo import schema

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo


def exists(repo: Repo) -> bool:
    """True if the repository has a chat table."""
    return repo.table_exists("chat")


def ensure(repo: Repo) -> None:
    """Create the chat table if missing, and add the columns later Fossil
    versions added (``mdel``, ``lmtime``) to an old one."""
    if not exists(repo):
        schema.ensure_table(repo, "chat")
        return
    have = {r[1] for r in repo.all("PRAGMA table_info(chat)")}
    if "lmtime" in have:
        return
    with repo.write():
        if "mdel" not in have:
            repo.execute("ALTER TABLE chat ADD COLUMN mdel INT")
        repo.execute("ALTER TABLE chat ADD COLUMN lmtime TEXT")


def keep_days(repo: Repo) -> float:
    """The ``chat-keep-days`` setting as a number (C's ``atof``: a bad value is 0)."""
    m = re.match(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", repo.setting("chat-keep-days") or "")
    try:
        return float(m.group(0)) if m else 0.0
    except ValueError:
        return 0.0


def purge(repo: Repo) -> int:
    """Delete expired messages (module docstring); the number deleted.

    Runs in a write transaction (joins the caller's)."""
    days = keep_days(repo)
    keep = repo.setting_int("chat-keep-count")
    with repo.write():
        age = repo.one("SELECT julianday('now')-mtime FROM chat ORDER BY msgid LIMIT 1", default=None)
        if age is None or float(age) <= days:
            return 0
        edge = repo.one("SELECT msgid FROM chat ORDER BY msgid DESC LIMIT 1 OFFSET ?", (keep,), default=None)
        if not edge:
            return 0
        repo.execute("PRAGMA secure_delete=ON")
        cur = repo.execute("DELETE FROM chat WHERE mtime<julianday('now')-? AND msgid<?", (days, int(edge)))
        return int(cur.rowcount or 0)


def send(
    repo: Repo,
    user: str,
    msg: str,
    lmtime: str | None,
    attachment: tuple[str, str, bytes] | None = None,
) -> int:
    """Store a message from ``user`` (Fossil's ``/chat-send``); its msgid, or
    0 when there was nothing to store (no text and no attachment).

    ``attachment`` is (file name, MIME type, bytes); expired messages are
    purged first, in the same transaction."""
    from fossilpy.repo.db import sql_text

    ensure(repo)
    with repo.write():
        purge(repo)
        if attachment is None or not attachment[2]:
            if not msg:
                return 0
            cur = repo.execute(
                "INSERT INTO chat(mtime,lmtime,xfrom,xmsg) VALUES(julianday('now'),?,?,CAST(? AS TEXT))",
                (lmtime, user, sql_text(msg)),
            )
        else:
            fname, fmime, data = attachment
            cur = repo.execute(
                "INSERT INTO chat(mtime,lmtime,xfrom,xmsg,file,fname,fmime)"
                " VALUES(julianday('now'),?,?,CAST(? AS TEXT),?,?,?)",
                (lmtime, user, sql_text(msg), data, fname, fmime or "application/octet-stream"),
            )
        return int(cur.lastrowid or 0)


def delete(repo: Repo, msgid: int, login: str, admin: bool) -> bool:
    """Delete message ``msgid`` if ``login`` wrote it or ``admin`` (Fossil's
    ``/chat-delete``): remove the row and add the deletion row.  False when
    there is no such message or it is someone else's."""
    ensure(repo)
    with repo.write():
        owner = repo.row("SELECT xfrom FROM chat WHERE msgid=?", (msgid,))
        if owner is None or owner[0] is None:
            return False
        if owner[0] != login and not admin:
            return False
        repo.execute("PRAGMA secure_delete=ON")
        repo.execute("DELETE FROM chat WHERE msgid=?", (msgid,))
        repo.execute("INSERT INTO chat(mtime, xfrom, mdel) VALUES(julianday('now'), ?, ?)", (login, msgid))
    return True


# -- reading -------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def hash_color(name: str) -> str:
    """Fossil's ``hash_color`` (``src/color.c``, default skin): ``#rrggbb``
    derived from ``name``."""
    h = 0
    for byte in name.encode("utf-8", "surrogateescape"):
        ch = byte - 256 if byte > 127 else byte  # C's signed char
        h = ((h << 11) ^ (h << 1) ^ (h >> 3) ^ (ch & 0xFFFFFFFF)) & 0xFFFFFFFF
    h1, h = h % 6, h // 6
    h3, h = h % 10, h // 10
    h4, h = h % 10, h // 10
    mx = 0xF8 - h3
    mn = mx - h4 - 0x20
    h2 = (h % (mx - mn)) + mn
    r, g, b = ((mx, h2, mn), (h2, mx, mn), (mn, mx, h2), (mn, h2, mx), (h2, mn, mx), (mx, mn, h2))[h1]
    return f"#{r:02x}{g:02x}{b:02x}"


def user_color(login: str, color_map: str) -> str:
    """Fossil's ``user_color``: the colour of ``login`` or of its alias in
    the ``user-color-map`` setting (pairs ``login alias``)."""
    words = color_map.split()
    for i in range(0, len(words) - 1, 2):
        if words[i] == login:
            return hash_color(words[i + 1])
    return hash_color(login)


#: A message whose first block is fenced code (``` or ~~~, indented at most 3).
_FENCE_FIRST = re.compile(r"(?:[ \t]*\n)*[ ]{0,3}(?:```|~~~)")


def render(text: str, wiki: bool = False, top: str = "") -> str:
    """A message's HTML as ``/chat-poll`` sends it: Markdown in Fossil's
    ``<div class="markdown">`` frame (raw HTML sanitized, so no script can
    run), or inline Fossil wiki for the ``chat-timeline-user``."""
    from fossilpy.markup import wikirender

    if not text:
        return ""
    if wiki:
        return wikirender.render_inline(text, top) + "\n"
    # Fossil's frame: the prolog, then "\n" before the first block unless
    # that block is fenced code (rendered apart from the page), ... "\n", epilog
    html = wikirender.render_markdown(text, top)
    gap = "" if html.startswith("<pre>") and _FENCE_FIRST.match(text) else "\n"
    return '<div class="markdown">\n' + gap + html + "\n</div>\n"


class _Reader:
    """Per-call settings used to turn rows into message dicts."""

    def __init__(self, repo: Repo, raw: bool, top: str) -> None:
        self.timeline_user = repo.setting("chat-timeline-user")
        self.color_map = repo.setting("user-color-map") or ""
        self.raw = raw
        self.top = top

    def message(self, row: tuple[Any, ...], with_mdel: bool = True) -> dict[str, Any]:
        msgid, date, xfrom, xmsg, nbyte, fname, fmime, mdel, lmtime = row
        date = date or ""
        out: dict[str, Any] = {"msgid": int(msgid), "mtime": f"{date[:10]}T{date[11:]}Z"}
        if lmtime:
            out["lmtime"] = str(lmtime)
        out["xfrom"] = xfrom
        wiki = xfrom is not None and xfrom == self.timeline_user
        out["uclr"] = "transparent" if wiki else user_color(xfrom if xfrom is not None else "nobody", self.color_map)
        text = xmsg if isinstance(xmsg, str) else ""
        out["xmsg"] = text if self.raw else render(text, wiki, self.top)
        size = int(nbyte or 0)
        out["fsize"] = size
        if size:
            out["fname"] = fname
            out["fmime"] = fmime
        if with_mdel and mdel:
            out["mdel"] = int(mdel)
        return out


def messages_since(
    repo: Repo, after_msgid: int, limit: int, *, raw: bool = False, top: str = ""
) -> list[dict[str, Any]]:
    """Messages (and deletion rows) with msgid > ``after_msgid``, oldest
    first, at most ``limit`` (0 or less: all), as ``/chat-poll`` sends them
    (module docstring).  No table yet: no messages."""
    if not exists(repo):
        return []
    rows = repo.all(
        "SELECT msgid, datetime(mtime), xfrom, xmsg, length(file), fname, fmime, mdel, lmtime"
        " FROM chat WHERE msgid>? ORDER BY msgid LIMIT ?",
        (after_msgid, limit if limit > 0 else -1),
    )
    reader = _Reader(repo, raw, top)
    return [reader.message(r) for r in rows]


def messages_before(repo: Repo, before: int, n: int, *, raw: bool = False, top: str = "") -> list[dict[str, Any]]:
    """Up to ``n`` messages older than ``before`` (0 or less: all), newest
    first and without ``mdel`` (``/chat-poll?before=N&n=M``)."""
    if not exists(repo):
        return []
    rows = repo.all(
        "SELECT msgid, datetime(mtime), xfrom, xmsg, length(file), fname, fmime, mdel, lmtime"
        " FROM chat WHERE msgid<? ORDER BY msgid DESC LIMIT ?",
        (before, n if n > 0 else -1),
    )
    reader = _Reader(repo, raw, top)
    return [reader.message(r, with_mdel=False) for r in rows]


def start_id(repo: Repo, back: int) -> int:
    """The msgid after which the newest ``back`` messages start (``/chat-poll/-N``):
    the id of the (back+1)-th newest row that is not a deletion, else 0."""
    if not exists(repo):
        return 0
    found = repo.one(
        "SELECT msgid FROM chat WHERE mdel IS NOT true ORDER BY msgid DESC LIMIT 1 OFFSET ?", (back,), default=0
    )
    return int(found or 0)


def fetch_one(repo: Repo, msgid: int, *, raw: bool = False, top: str = "") -> dict[str, Any] | None:
    """Message ``msgid`` if it exists and is not a deletion row
    (``/chat-fetch-one``).  As in Fossil 2.21, ``lmtime`` is never included
    (its query reads a column it did not select) and there is no ``mdel``."""
    if not exists(repo):
        return None
    row = repo.row(
        "SELECT msgid, datetime(mtime), xfrom, xmsg, length(file), fname, fmime, NULL, NULL"
        " FROM chat WHERE msgid=? AND mdel IS NULL",
        (msgid,),
    )
    if row is None:
        return None
    return _Reader(repo, raw, top).message(row, with_mdel=False)


def attachment(repo: Repo, msgid: int) -> tuple[str, bytes] | None:
    """(MIME type, bytes) of message ``msgid``'s attachment; None when the
    message does not exist or has no MIME type recorded."""
    if not exists(repo):
        return None
    row = repo.row("SELECT fmime, file FROM chat WHERE msgid=?", (msgid,))
    if row is None or row[0] is None:
        return None
    data = row[1]
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return str(row[0]), bytes(data or b"")


# -- Fossil's JSON -------------------------------------------------------------


def json_str(value: str | None) -> str:
    """A JSON string literal as Fossil's ``%!j`` writes it (None: ``""``)."""
    out = ['"']
    for ch in value or "":
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch < " ":
            out.append("\\n" if ch == "\n" else "\\r" if ch == "\r" else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_json(msg: dict[str, Any], space_after_msgid: bool = False) -> str:
    """One message dict as Fossil writes it (``/chat-fetch-one`` puts a
    space after ``"msgid":``, ``/chat-poll`` does not)."""
    parts = []
    for key, value in msg.items():
        if isinstance(value, bool) or value is None:
            text = "null" if value is None else ("true" if value else "false")
        elif isinstance(value, int):
            text = str(value)
        else:
            text = json_str(str(value))
        sep = ": " if key == "msgid" and space_after_msgid else ":"
        parts.append(f'"{key}"{sep}{text}')
    return "{" + ",".join(parts) + "}"


def poll_json(msgs: list[dict[str, Any]]) -> str:
    """The body of a ``/chat-poll`` reply."""
    return '{"msgs":[\n' + ",\n".join(to_json(m) for m in msgs) + "\n]}"
