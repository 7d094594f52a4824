"""Configuration transfer: ``reqconfig`` and ``config`` cards.

Groups (``reqconfig /NAME``; a prefix of the name is enough)::

    /email /project /skin /css /shun /ticket /user /xfer /alias
    /subscriber /interwiki /all

``config`` card (Fossil 2.21 ``src/configure.c``)::

    config NAME SIZE LF <SIZE bytes> LF     (the final LF is skipped)

    NAME        CONTENT (SQL literals as produced by SQLite's quote())
    /config     MTIME 'KEY' value VALUE
    /user       MTIME 'LOGIN' pw V cap V info V photo V jx V
    /shun       MTIME 'UUID' scom V
    /reportfmt  MTIME 'TITLE' owner V cols V sqlcode V jx V
    /concealed  MTIME 'HASH' content V
    /subscriber MTIME 'EMAIL' suname V sdigest V sdonotcall V ssub V sctime V smip V

The receiver keeps whichever row has the newer ``mtime``; rows with a NULL
``mtime`` never travel.  Values are parsed and bound, never pasted into SQL.
"""

from __future__ import annotations

from fossilpy.repo.db import Repo
from fossilpy.text import is_digits

CSS, SKIN, TKT, PROJ, SHUN, USER, ADDR, XFER, ALIAS, SCRIBER, IWIKI = (
    1 << i for i in range(11)
)
ALL = 0x7FF

GROUPS: list[tuple[str, int]] = [
    ("/email", ADDR), ("/project", PROJ), ("/skin", SKIN | CSS), ("/css", CSS),
    ("/shun", SHUN), ("/ticket", TKT), ("/user", USER), ("/xfer", XFER),
    ("/alias", ALIAS), ("/subscriber", SCRIBER), ("/interwiki", IWIKI), ("/all", ALL),
]

_SKIN_KEYS = (
    "header mainmenu footer details js logo-mimetype logo-image background-mimetype"
    " background-image icon-mimetype icon-image timeline-block-markup timeline-date-format"
    " timeline-default-style timeline-dwelltime timeline-closetime timeline-max-comment"
    " timeline-plaintext timeline-truncate-at-blank timeline-tslink-info timeline-utc adunit"
    " adunit-omit-if-admin adunit-omit-if-user default-csp sitemap-extra safe-html"
).split()
_PROJ_KEYS = (
    "project-name short-project-name project-description index-page manifest binary-glob"
    " clean-glob ignore-glob keep-glob crlf-glob crnl-glob encoding-glob empty-dirs dotfiles"
    " parent-project-code parent-project-name hash-policy comment-format mimetypes"
    " forbid-delta-manifests mv-rm-files"
).split()
_TKT_KEYS = (
    "ticket-table ticket-common ticket-change ticket-newpage ticket-viewpage ticket-editpage"
    " ticket-reportlist ticket-report-template ticket-key-template ticket-title-expr"
    " ticket-closed-expr"
).split()
TH1 = SKIN | TKT | XFER

#: Config keys that travel, with their group mask (order as in Fossil).
KEYS: list[tuple[str, int]] = (
    [("css", CSS)]
    + [(k, SKIN) for k in _SKIN_KEYS]
    + [("th1-docs", TH1), ("th1-hooks", TH1), ("th1-setup", TH1), ("th1-uri-regexp", TH1),
       ("tcl", TH1), ("tcl-setup", TH1)]
    + [(k, PROJ) for k in _PROJ_KEYS]
    + [(k, TKT) for k in _TKT_KEYS]
    + [("@reportfmt", TKT), ("@user", USER), ("user-color-map", USER), ("@concealed", ADDR),
       ("@shun", SHUN), ("@alias", ALIAS), ("@subscriber", SCRIBER), ("@interwiki", IWIKI)]
    + [(k, XFER) for k in ("xfer-common-script", "xfer-push-script", "xfer-commit-script",
                           "xfer-ticket-script")]
)

_TABLES = {
    "config": ("name", ("value",)),
    "user": ("login", ("pw", "cap", "info", "photo", "jx")),
    "shun": ("uuid", ("scom",)),
    "reportfmt": ("title", ("owner", "cols", "sqlcode", "jx")),
    "concealed": ("hash", ("content",)),
    "subscriber": ("semail", ("suname", "sdigest", "sdonotcall", "ssub", "sctime", "smip")),
}


def name_to_mask(name: str) -> int:
    """Mask of a group name without its '/' (prefix match, first wins)."""
    for gname, mask in GROUPS:
        if gname[1:].startswith(name):
            return mask
    return 0


def request_names(mask: int) -> list[str]:
    """The reqconfig names a client sends for ``mask``."""
    if mask & ALL == ALL:
        return ["/all"]
    return [g for g, m in GROUPS[:-1] if m & mask]


def exportable_mask(name: str, admin: bool, rdaddr: bool) -> int:
    if len(name) > 2 and name[0] == "'" and name[-1] == "'":
        name = name[1:-1]
    for key, mask in KEYS:
        if key == name:
            if not admin:
                mask &= ~(USER | SCRIBER)
            if not rdaddr:
                mask &= ~ADDR
            return mask
    if name.startswith("walias:/"):
        return ALIAS
    if name.startswith("interwiki:"):
        return IWIKI
    return 0


def _card(out: bytearray, kind: str, rec: str) -> None:
    body = rec.encode()
    out += f"config /{kind} {len(body)}\n".encode() + body + b"\n"


def _has_column(repo: Repo, table: str, col: str) -> bool:
    return any(r[1] == col for r in repo.all(f'PRAGMA table_info("{table}")'))


def _record_cards(repo: Repo, out: bytearray, table: str, key: str, fields: tuple[str, ...], since: int) -> int:
    """A ``config /TABLE`` card per row of ``table`` changed since ``since``: ``MTIME KEY``
    then ``NAME VALUE`` for each of ``fields`` (and jx, where the table has it) that is not
    NULL, every value SQL-quoted, as Fossil's configuration sync writes them.  ``table``,
    ``key`` and ``fields`` are literals of the callers."""
    jx = "quote(jx)" if _has_column(repo, table, "jx") else "'NULL'"
    cols = "".join(f", quote({name})" for name in fields)
    n = 0
    for row in repo.all(f"SELECT mtime, quote({key}){cols}, {jx} FROM {table} WHERE mtime>=?", (since,)):
        names = (*fields, "jx")
        rec = f"{row[0]} {row[1]}" + "".join(f" {k} {v}" for k, v in zip(names, row[2:], strict=True) if v != "NULL")
        _card(out, table, rec)
        n += 1
    return n


def send_group(repo: Repo, out: bytearray, mask: int, since: int = 0) -> int:
    """Append config cards for every row of the groups in ``mask``."""
    n = 0
    if mask & SHUN and repo.table_exists("shun"):
        for row in repo.all(
            "SELECT mtime, quote(uuid), quote(scom) FROM shun WHERE mtime>=?", (since,)
        ):
            _card(out, "shun", f"{row[0]} {row[1]} scom {row[2]}")
            n += 1
    if mask & USER:
        n += _record_cards(repo, out, "user", "login", ("pw", "cap", "info", "photo"), since)
    if mask & TKT and repo.table_exists("reportfmt"):
        n += _record_cards(repo, out, "reportfmt", "title", ("owner", "cols", "sqlcode"), since)
    if mask & ADDR and repo.table_exists("concealed"):
        for row in repo.all(
            "SELECT mtime, quote(hash), quote(content) FROM concealed WHERE mtime>=?", (since,)
        ):
            _card(out, "concealed", f"{row[0]} {row[1]} content {row[2]}")
            n += 1
    for bit, pattern in ((ALIAS, "walias:/*"), (IWIKI, "interwiki:*")):
        if mask & bit:
            for row in repo.all(
                "SELECT mtime, quote(name), quote(value) FROM config WHERE name GLOB ?"
                " AND mtime>=?",
                (pattern, since),
            ):
                _card(out, "config", f"{row[0]} {row[1]} value {row[2]}")
                n += 1
    if mask & SCRIBER and repo.table_exists("subscriber"):
        for row in repo.all(
            "SELECT mtime, quote(semail), quote(suname), quote(sdigest), quote(sdonotcall),"
            " quote(ssub), quote(sctime), quote(smip) FROM subscriber WHERE sverified"
            " AND mtime>=?",
            (since,),
        ):
            _card(
                out,
                "subscriber",
                f"{int(row[0])} {row[1]} suname {row[2]} sdigest {row[3]} sdonotcall {row[4]}"
                f" ssub {row[5]} sctime {row[6]} smip {row[7]}",
            )
            n += 1
    for key, kmask in KEYS:
        if kmask & mask and not key.startswith("@"):
            for row in repo.all(
                "SELECT mtime, quote(name), quote(value) FROM config WHERE name=? AND mtime>=?",
                (key, since),
            ):
                _card(out, "config", f"{row[0]} {row[1]} value {row[2]}")
                n += 1
    return n


def _sql_tokens(text: str) -> list[str]:
    """Split alternating plain and SQL-literal tokens (``blob_sqltoken``)."""
    toks: list[str] = []
    i, n = 0, len(text)
    plain = True
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        if not plain and text[i] == "'":
            i += 1
            while i < n:
                if text[i] == "'":
                    i += 1
                    if i >= n or text[i] != "'":
                        break
                i += 1
        else:
            while i < n and not text[i].isspace():
                i += 1
        toks.append(text[start:i])
        plain = not plain
    return toks


def _literal(tok: str) -> tuple[bool, object]:
    """Parse a safe SQL literal: 'text', X'hex', integer or NULL."""
    if tok.upper() == "NULL":
        return True, None
    if tok[:2] in ("x'", "X'") and tok.endswith("'") and len(tok) >= 3:
        try:
            return True, bytes.fromhex(tok[2:-1])
        except ValueError:
            return False, None
    if len(tok) >= 2 and tok[0] == "'" and tok[-1] == "'":
        body = tok[1:-1]
        if "'" in body.replace("''", ""):
            return False, None
        return True, body.replace("''", "'")
    if is_digits(tok.lstrip("-")):
        return True, int(tok)
    return False, None


def receive(repo: Repo, name: str, payload: bytes, mask: int) -> None:
    """Merge one received config card (newer mtime wins); bad input is ignored."""
    kind = name[1:] if name.startswith("/") else ""
    if kind not in _TABLES:
        return
    pkey, fields = _TABLES[kind]
    toks = _sql_tokens(payload.decode("utf-8", "replace"))
    if len(toks) < 2 or not is_digits(toks[0]):
        return
    mtime = int(toks[0])
    ok, key = _literal(toks[1])
    if not ok or key is None:
        return
    cols: list[tuple[str, object]] = []
    for i in range(2, len(toks) - 1, 2):
        col, lit = toks[i], toks[i + 1]
        if col not in fields:
            continue
        ok, val = _literal(lit)
        if not ok:
            return
        cols.append((col, val))
    this = exportable_mask(str(key), True, True) if kind == "config" else exportable_mask("@" + kind, True, True)
    if not this & mask:
        return
    if kind == "subscriber" and not repo.table_exists("subscriber"):
        return
    if kind in ("user", "reportfmt") and not _has_column(repo, kind, "jx"):
        cols = [(c, v) for c, v in cols if c != "jx"]
    if kind in ("concealed", "shun", "reportfmt") and not repo.table_exists(kind):
        return
    names = ",".join(f'"{c}"' for c, _ in cols)
    marks = ",".join("?" for _ in cols)
    cur = repo.execute(
        f'INSERT OR IGNORE INTO "{kind}"("{pkey}",mtime{"," + names if cols else ""})'
        f" VALUES(?,?{',' + marks if cols else ''})",
        (key, mtime, *[v for _, v in cols]),
    )
    if cur.rowcount == 0:
        sets = "".join(f', "{c}"=?' for c, _ in cols)
        repo.execute(
            f'UPDATE "{kind}" SET mtime=?{sets} WHERE "{pkey}"=? AND mtime<?',
            (mtime, *[v for _, v in cols], key, mtime),
        )
