"""The SQLite FTS5 search index, in Fossil 2.21's schema (``zFtsSchema`` in ``src/search.c``).

``ftsdocs`` lists every searchable document (``type`` c/d/t/w/e/f, ``rid``,
``idxed``, and once indexed its ``label``, ``url`` and ``mtime``);
``ftsidx`` is an FTS5 table over the view ``ftscontent``, whose ``title``
and ``body`` columns call the SQL functions ``title(TYPE,RID,NAME)`` and
``body(TYPE,RID,NAME)`` (registered by :func:`register`) - so an index
written by fossilpy is read by fossil and the reverse.  ``fts-config
index on`` creates it; the config row ``search-stemmer`` adds the Porter
tokenizer.

Fossil marks a document stale when it crosslinks it (``search_doc_touch``)
and indexes the stale ones just before a search (``search_update_index``).
fossilpy finds the stale ones just before a search instead
(:func:`touch_stale`): check-ins, forum posts and tickets not yet listed,
wiki pages and technotes whose newest version is not the one indexed, and
tickets changed since they were indexed (their old text is gone, so the
FTS5 index is rebuilt from its content).  Private artifacts are never
indexed.

Ranking: Fossil's ``rank(matchinfo(ftsidx,'pcsx'))``.  matchinfo is a C
extension Python's sqlite3 cannot register, so :class:`fossilpy.repo.search_rank.Ranker` computes the
same numbers from an ``fts5vocab`` instance table, the query's words read
by the index's own tokenizer (a temporary FTS5 table: case, diacritics,
Porter stems as the index has them), for queries of words, ``word*``,
AND, OR, NOT and parentheses; other FTS5 queries (NEAR, column filters,
``^``) are ranked by FTS5's ``bm25``.  A query FTS5 cannot parse finds
nothing.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from fossilpy.repo import search_rank, search_text
from fossilpy.repo.search import (
    KINDS,
    SRCH_ALL,
    SRCH_CKIN,
    SRCH_DOC,
    SRCH_FORUM,
    SRCH_TECHNOTE,
    SRCH_TKT,
    SRCH_WIKI,
    Hit,
)
from fossilpy.text import is_digits

if TYPE_CHECKING:
    from fossilpy.repo.db import Repo

SCHEMA = """\
CREATE TABLE IF NOT EXISTS repository.ftsdocs(
  rowid INTEGER PRIMARY KEY,
  type CHAR(1),
  rid INTEGER,
  name TEXT,
  idxed BOOLEAN,
  label TEXT,
  url TEXT,
  mtime DATE,
  bx TEXT,
  UNIQUE(type,rid)
);
CREATE INDEX repository.ftsdocIdxed ON ftsdocs(type,rid,name) WHERE idxed==0;
CREATE INDEX repository.ftsdocName ON ftsdocs(name) WHERE type='w';
CREATE VIEW IF NOT EXISTS repository.ftscontent AS
  SELECT rowid, type, rid, name, idxed, label, url, mtime,
         title(type,rid,name) AS 'title', body(type,rid,name) AS 'body'
    FROM ftsdocs;
CREATE VIRTUAL TABLE IF NOT EXISTS repository.ftsidx
  USING fts5(content="ftscontent", title, body%s);
"""

_DROP = """\
DROP TABLE IF EXISTS repository.ftsidx;
DROP VIEW IF EXISTS repository.ftscontent;
DROP TABLE IF EXISTS repository.ftsdocs;
"""

_NOT_PRIVATE_OBJID = " AND objid NOT IN private"
_NOT_PRIVATE_TAGXREF = " AND tagxref.rid NOT IN private"


def schema_name(repo: Repo) -> str:
    """The name the repository database has on this connection (``main`` or ``repository``)."""
    names = [r[1] for r in repo.all("PRAGMA database_list")]
    return "repository" if "repository" in names else "main"


def register(repo: Repo) -> dict[tuple[str, int], str]:
    """Register ``title()``, ``body()`` and ``urlencode()`` (used by ``ftscontent``) on the connection.

    Returns the texts the functions remember, (kind, rid) -> search text
    (:func:`_prefill` puts those of many check-ins there at once).
    """
    from fossilpy.repo.search import urlencode

    cache: dict[tuple[str, int], str] = {}

    def text(kind: str, rid: int, name: str | None) -> str:
        key = (kind, rid)
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            found = search_text.stext(repo, kind[:1], int(rid or 0), name)
            # SQLite takes only UTF-8: bytes that are not become U+FFFD in the index
            cache[key] = found.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return cache[key]

    def title(kind: str, rid: int, name: str | None) -> str | None:
        head, _body = search_text.split(text(kind, rid, name))
        if head or kind[:1] != "d":
            return head
        return name

    def body(kind: str, rid: int, name: str | None) -> str:
        return search_text.split(text(kind, rid, name))[1]

    repo.db.create_function("title", 3, title)
    repo.db.create_function("body", 3, body)
    repo.db.create_function("urlencode", 1, lambda s: urlencode(s or ""))
    return cache


def _prefill(repo: Repo, cache: dict[tuple[str, int], str], idents: list[str]) -> None:
    """Put the search texts of the check-ins among ``idents`` ("c123") in ``cache``, in one query."""
    rids = [int(i[1:]) for i in idents if i[:1] == "c" and is_digits(i[1:])][:200]
    if not rids:
        return
    plaintext = repo.config_bool("timeline-plaintext", False)
    rows = repo.all(
        "SELECT e.objid, (" + search_text.CHECKIN_TEXT + " WHERE objid=e.objid)"
        " FROM event AS e WHERE e.type='ci' AND e.objid IN (" + ",".join("?" * len(rids)) + ")",
        rids,
    )
    for rid, raw in rows:
        found = search_text.checkin_text(raw, plaintext)
        cache["c", rid] = found.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def exists(repo: Repo) -> bool:
    """True if the repository has a search index (Fossil's ``search_index_exists``)."""
    return repo.table_exists("ftsdocs")


def index_type(repo: Repo) -> int:
    """4 for a legacy FTS4 index, 5 for FTS5, 0 for none (Fossil's ``search_index_type``)."""
    sql = repo.one("SELECT sql FROM sqlite_schema WHERE name='ftsidx'")
    if sql is None:
        return 0
    return 4 if "fts4" in sql else 5


def create(repo: Repo) -> None:
    """Create the (empty) index tables (Fossil's ``search_create_index``)."""
    extra = ",tokenize=porter" if repo.setting_bool("search-stemmer") else ""
    register(repo)
    schema = SCHEMA.replace("repository.", schema_name(repo) + ".") % extra
    with repo.write():
        for statement in schema.split(";\n"):
            if statement.strip():
                repo.execute(statement)


def drop(repo: Repo) -> None:
    """Drop the index (Fossil's ``search_drop_index``)."""
    with repo.write():
        for statement in _DROP.replace("repository.", schema_name(repo) + ".").splitlines():
            repo.execute(statement)


def fill(repo: Repo) -> None:
    """List every document as not yet indexed (Fossil's ``search_fill_index``)."""
    if not exists(repo):
        return
    with repo.write():
        repo.execute(
            "INSERT OR IGNORE INTO ftsdocs(type,rid,idxed) SELECT 'c', objid, 0 FROM event WHERE type='ci'"
            + _NOT_PRIVATE_OBJID
        )
        repo.execute(
            "WITH latest_wiki(rid,name,mtime) AS ("
            "  SELECT tagxref.rid, substr(tag.tagname,6), max(tagxref.mtime) FROM tag, tagxref"
            "   WHERE tag.tagname GLOB 'wiki-*' AND tagxref.tagid=tag.tagid AND tagxref.value>0"
            + _NOT_PRIVATE_TAGXREF
            + "   GROUP BY 2"
            ") INSERT OR IGNORE INTO ftsdocs(type,rid,name,idxed) SELECT 'w', rid, name, 0 FROM latest_wiki"
        )
        if repo.table_exists("ticket"):
            repo.execute("INSERT OR IGNORE INTO ftsdocs(type,rid,idxed) SELECT 't', tkt_id, 0 FROM ticket")
        repo.execute(
            "INSERT OR IGNORE INTO ftsdocs(type,rid,name,idxed)"
            " SELECT type, objid, comment, 0 FROM event WHERE type IN ('e','f')" + _NOT_PRIVATE_OBJID
        )


def _touch(repo: Repo, kind: str, rid: int, name: str | None) -> None:
    """Fossil's ``search_doc_touch``: unindex the old version, queue the new one."""
    repo.execute(
        "DELETE FROM ftsidx WHERE rowid IN (SELECT rowid FROM ftsdocs WHERE type=? AND rid=? AND idxed)",
        (kind, rid),
    )
    repo.execute("REPLACE INTO ftsdocs(type,rid,name,idxed) VALUES(?,?,?,0)", (kind, rid, name))
    if kind in ("w", "e"):
        repo.execute(
            "DELETE FROM ftsidx WHERE rowid IN (SELECT rowid FROM ftsdocs WHERE type=? AND name=? AND idxed)",
            (kind, name),
        )
        repo.execute("DELETE FROM ftsdocs WHERE type=? AND name=? AND rid!=?", (kind, name, rid))


def touch(repo: Repo, kind: str, rid: int, name: str | None = None) -> None:
    """Queue document ``rid`` of ``kind`` (c, w, e, f, t) for indexing, unindexing
    its old version (Fossil's ``search_doc_touch``; crosslinking calls it).

    ``kind`` "t-" unindexes ticket row ``rid`` and forgets it: a ticket is
    rebuilt under a new ``tkt_id`` on every change, so crosslinking calls
    this before the old row goes (while the index can still read its text)
    and ``touch(repo, "t", new_id)`` after.
    """
    if kind == "t-":
        repo.execute(
            "DELETE FROM ftsidx WHERE rowid IN (SELECT rowid FROM ftsdocs WHERE type='t' AND rid=? AND idxed)",
            (rid,),
        )
        repo.execute("DELETE FROM ftsdocs WHERE type='t' AND rid=?", (rid,))
        return
    _touch(repo, kind, rid, name)


def touch_stale(repo: Repo) -> bool:
    """Queue tickets the index does not list yet; True if the FTS5 index must be
    rebuilt from its content (a listed ticket changed under the same id, whose
    old text is gone).

    Crosslinking queues every new document (:func:`touch`), so only tickets
    need this: ``fossil`` queues a changed ticket under its old id.  The cost
    follows the ticket table, not the history.
    """
    rebuild = False
    if repo.table_exists("ticket"):
        for (tid,) in repo.all(
            "SELECT tkt_id FROM ticket WHERE NOT EXISTS(SELECT 1 FROM ftsdocs WHERE type='t' AND rid=tkt_id)"
        ):
            _touch(repo, "t", tid, None)
        changed = repo.all(
            "SELECT ftsdocs.rid FROM ftsdocs JOIN ticket ON ticket.tkt_id=ftsdocs.rid"
            " WHERE ftsdocs.type='t' AND ftsdocs.idxed AND ticket.tkt_mtime>ftsdocs.mtime"
        )
        if changed:
            rebuild = True
            for (tid,) in changed:
                repo.execute("UPDATE ftsdocs SET idxed=0 WHERE type='t' AND rid=?", (tid,))
    return rebuild


_STALE = ("SELECT 1 FROM ftsdocs WHERE idxed==0",)  # idxed==0: the partial index ftsdocIdxed
_STALE_TICKETS = (
    "SELECT 1 FROM ticket WHERE NOT EXISTS(SELECT 1 FROM ftsdocs WHERE type='t' AND rid=tkt_id)"
    " OR tkt_mtime>(SELECT mtime FROM ftsdocs WHERE type='t' AND rid=tkt_id)"
)


def stale(repo: Repo) -> bool:
    """True if something is not indexed yet (read-only: a search asks before it opens a write)."""
    if not exists(repo):
        return False
    if any(repo.one(query + " LIMIT 1") for query in _STALE):
        return True
    return bool(repo.table_exists("ticket") and repo.one(_STALE_TICKETS + " LIMIT 1"))


def _update_docs(repo: Repo) -> None:
    """Fossil's ``search_update_doc_index``: re-list ``d`` documents when ``doc-branch`` moved."""
    from fossilpy.repo.search import documents, urlencode

    ckid, _date, docs = documents(repo)
    if not ckid or not repo.one("SELECT 1 FROM ftsdocs WHERE type='c' AND rid=? AND NOT idxed", (ckid,)):
        return
    mtime = repo.one("SELECT mtime FROM event WHERE objid=?", (ckid,)) or 0.0
    branch = repo.setting("doc-branch") or ""
    current = {rid for rid, _name in docs}
    for rowid, rid in repo.all("SELECT rowid, rid FROM ftsdocs WHERE type='d'"):
        if rid not in current:
            repo.execute("DELETE FROM ftsidx WHERE rowid=?", (rowid,))
            repo.execute("DELETE FROM ftsdocs WHERE rowid=?", (rowid,))
    for rid, name in docs:
        repo.execute(
            "INSERT OR IGNORE INTO ftsdocs(type,rid,name,idxed,label,bx,url,mtime)"
            " VALUES('d',?1,?2,0,title('d',?1,?2),body('d',?1,?2),?3,?4)",
            (rid, name, f"/doc/{urlencode(branch)}/{urlencode(name)}", mtime),
        )
    repo.execute(
        "INSERT INTO ftsidx(rowid,title,body) SELECT rowid, label, bx FROM ftsdocs WHERE type='d' AND NOT idxed"
    )
    repo.execute("UPDATE ftsdocs SET idxed=1, bx=NULL, label='Document: '||label WHERE type='d' AND NOT idxed")


_LABELS = {
    "c": (
        "UPDATE ftsdocs SET idxed=1, name=NULL, (label,url,mtime) ="
        " (SELECT printf('Check-in [%.16s] on %s',blob.uuid,datetime(event.mtime)),"
        "         printf('/timeline?y=ci&c=%.20s',blob.uuid), event.mtime"
        "    FROM event, blob WHERE event.objid=ftsdocs.rid AND blob.rid=ftsdocs.rid)"
        " WHERE ftsdocs.type='c' AND NOT ftsdocs.idxed"
    ),
    "t": (
        "UPDATE ftsdocs SET idxed=1, name=NULL, (label,url,mtime) ="
        " (SELECT printf('Ticket: %s (%s)',title('t',tkt_id,null),datetime(tkt_mtime)),"
        "         printf('/tktview/%.20s',tkt_uuid), tkt_mtime"
        "    FROM ticket WHERE tkt_id=ftsdocs.rid)"
        " WHERE ftsdocs.type='t' AND NOT ftsdocs.idxed"
    ),
    "w": (
        "UPDATE ftsdocs SET idxed=1, (name,label,url,mtime) ="
        " (SELECT ftsdocs.name, 'Wiki: '||ftsdocs.name, '/wiki?name='||urlencode(ftsdocs.name), tagxref.mtime"
        "    FROM tagxref WHERE tagxref.rid=ftsdocs.rid)"
        " WHERE ftsdocs.type='w' AND NOT ftsdocs.idxed"
    ),
    "f": (
        "UPDATE ftsdocs SET idxed=1, name=NULL, (label,url,mtime) ="
        " (SELECT 'Forum '||event.comment, '/forumpost/'||blob.uuid, event.mtime"
        "    FROM event, blob WHERE event.objid=ftsdocs.rid AND blob.rid=ftsdocs.rid)"
        " WHERE ftsdocs.type='f' AND NOT ftsdocs.idxed"
    ),
    "e": (
        "UPDATE ftsdocs SET idxed=1, (name,label,url,mtime) ="
        " (SELECT ftsdocs.name, 'Tech Note: '||ftsdocs.name, '/technote/'||substr(tag.tagname,7), tagxref.mtime"
        "    FROM tagxref, tag USING (tagid) WHERE tagxref.rid=ftsdocs.rid AND tagname GLOB 'event-*')"
        " WHERE ftsdocs.type='e' AND NOT ftsdocs.idxed"
    ),
}


def update(repo: Repo, flags: int) -> None:
    """Index what is stale (Fossil's ``search_update_index``), in one write transaction."""
    if not exists(repo) or repo.readonly:
        return
    register(repo)
    with repo.write():
        rebuild = touch_stale(repo)
        if not repo.one("SELECT 1 FROM ftsdocs WHERE NOT idxed"):
            return
        if rebuild:
            flags = SRCH_ALL  # the rebuild indexes every listed row: label them all first
        kinds = ""
        if flags & (SRCH_CKIN | SRCH_DOC):
            _update_docs(repo)
            kinds += "c"
        for bit, kind in ((SRCH_TKT, "t"), (SRCH_WIKI, "w"), (SRCH_TECHNOTE, "e"), (SRCH_FORUM, "f")):
            if flags & bit:
                kinds += kind
        for kind in kinds:
            if not rebuild:
                cur = repo.execute(
                    "INSERT INTO ftsidx(rowid,title,body)"
                    " SELECT rowid, CASE WHEN ?1='c' THEN '' ELSE title(?1,rid,NULL) END, body(?1,rid,NULL)"
                    " FROM ftsdocs WHERE type=?1 AND NOT idxed",
                    (kind,),
                )
                if cur.rowcount == 0 and kind != "c":
                    continue
            repo.execute(_LABELS[kind])
        if rebuild:
            repo.execute("INSERT INTO ftsidx(ftsidx) VALUES('rebuild')")


def restore_after_rebuild(repo: Repo) -> None:
    """Re-create the index a ``rebuild`` dropped (it drops derived tables; the ``ftscontent`` view stays).

    As Fossil's ``rebuild``: the index is created and every document listed
    as not yet indexed; the next search indexes them.
    """
    view = repo.one("SELECT 1 FROM sqlite_schema WHERE type='view' AND name='ftscontent'")
    if not view or exists(repo):
        return
    with repo.write():
        for statement in _DROP.replace("repository.", schema_name(repo) + ".").splitlines():
            repo.execute(statement)
        create(repo)
        fill(repo)


def rebuild_index(repo: Repo) -> None:
    """Create, fill and bring the index up to date (Fossil's ``search_rebuild_index``)."""
    create(repo)
    fill(repo)
    update(repo, SRCH_ALL)


#: FTS5 query syntax: a bareword (ASCII letters, digits, "_", any non-ASCII) with an optional "*",
#: a parenthesis, blanks; or any other character.
_QUERY_TOKEN = re.compile(r"([0-9A-Za-z_\x1a\x80-\U0010ffff]+)(\*?)|([()])|(\s+)|(.)")
_OPERATORS = frozenset(("AND", "OR", "NOT"))
_ASCII_WORD = re.compile(r"[0-9A-Za-z]+")


def _phrases(repo: Repo, pattern: str) -> list[tuple[str, bool]] | None:
    """The phrases of an FTS5 query of words, ``word*``, AND, OR, NOT and parentheses, as the index's
    tokenizer reads them: (token, prefix) each.  None for other syntax (NEAR, column filters,
    ``^``, ``+``...) or a word that is not exactly one token."""
    words: list[tuple[str, bool]] = []
    for m in _QUERY_TOKEN.finditer(pattern):
        if m.group(5) is not None:
            return None
        word = m.group(1)
        if word is None:
            continue
        if word == "NEAR":
            return None
        if word not in _OPERATORS or m.group(2):
            words.append((word, bool(m.group(2))))
    if not words:
        return None
    porter = "porter" in (repo.one("SELECT sql FROM sqlite_schema WHERE name='ftsidx'") or "")
    if not porter and all(_ASCII_WORD.fullmatch(word) for word, _prefix in words):
        # unicode61 (no stemmer) reads a run of ASCII letters and digits as one token, lower-cased
        return [(word.lower(), prefix) for word, prefix in words]
    tokens = tokenize(repo, [word for word, _prefix in words], porter=porter)
    out = []
    for found, (_word, prefix) in zip(tokens, words, strict=True):
        if len(found) != 1:
            return None
        out.append((found[0], prefix))
    return out


def tokenize(repo: Repo, words: list[str], *, porter: bool) -> list[list[str]]:
    """The tokens of each of ``words`` as the index's tokenizer (unicode61, or porter over it)
    makes them, read back from a temporary FTS5 table through ``fts5vocab``."""
    table = "fossilpy_tok_porter" if porter else "fossilpy_tok"
    if porter:
        repo.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fossilpy_tok_porter USING fts5(x, tokenize=porter)")
        repo.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fossilpy_tok_porter_v"
            " USING fts5vocab(temp, fossilpy_tok_porter, instance)"
        )
    else:
        repo.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fossilpy_tok USING fts5(x)")
        repo.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fossilpy_tok_v USING fts5vocab(temp, fossilpy_tok, instance)"
        )
    repo.execute("DELETE FROM temp." + table)
    for i, word in enumerate(words):
        repo.execute("INSERT INTO temp." + table + "(rowid, x) VALUES(?,?)", (i + 1, word))
    tokens: list[list[str]] = [[] for _ in words]
    for doc, term in repo.all("SELECT doc, term FROM temp." + table + "_v ORDER BY doc, offset"):
        tokens[doc - 1].append(term)
    return tokens


_NO_DATE = float("-inf")  # a document without a date sorts after every dated one (its date text is "")


def query(repo: Repo, pattern: str, flags: int, limit: int = 0) -> list[Hit]:
    """Fossil's ``search_indexed``: documents matching FTS5 query ``pattern``, with snippets and ranks,
    best first (the order of :func:`fossilpy.repo.search.rank`).

    ``limit`` > 0: only the ``limit`` best, and only their snippets are made
    (a snippet reads the document's text through ``title()``/``body()``).
    """
    update(repo, flags)
    cache = register(repo)
    pat = pattern.replace("-", " ").replace('"', " ")
    kinds = [letter for bit, _key, letter in KINDS if flags & bit]
    if not kinds:
        return []
    phrases = _phrases(repo, pat)
    # Every match is scored, but only the rows shown are read in full: the
    # score and the date's second (the tie-break of search.rank, as the
    # "YYYY-MM-DD HH:MM:SS" text orders) come back as numbers, which cost
    # no text conversion.
    sql = (
        "SELECT ftsdocs.rowid, CAST(strftime('%s',ftsdocs.mtime) AS INTEGER), "
        + ("0" if phrases else "bm25(ftsidx)")
        + " FROM ftsidx CROSS JOIN ftsdocs WHERE ftsidx MATCH ? AND ftsdocs.rowid=ftsidx.rowid"
        f" AND ftsdocs.type IN ({','.join('?' * len(kinds))})"
    )
    try:
        rows = repo.all(sql, (pat, *kinds))
    except sqlite3.OperationalError:
        return []  # not a query FTS5 understands: nothing matches
    ranker = search_rank.Ranker(repo, phrases, schema_name(repo)) if phrases else None
    scored = [
        (ranker.rank(rowid) if ranker else -float(bm25), _NO_DATE if secs is None else secs, rowid)
        for rowid, secs, bm25 in rows
    ]
    # search.rank's order: score, then date, newest first; equal rows keep the query's order.
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    if limit > 0:
        del scored[limit:]
    details: dict[int, tuple[str, str, str, str]] = {}
    shown = [t[2] for t in scored]
    for i in range(0, len(shown), 500):
        chunk = shown[i : i + 500]
        for rowid, label, url, ident, date in repo.all(
            "SELECT rowid, label, url, type || rid, datetime(mtime) FROM ftsdocs"
            " WHERE rowid IN (" + ",".join("?" * len(chunk)) + ")",
            chunk,
        ):
            details[rowid] = (label or "", url or "", ident, date or "")
    hits = []
    for score, _secs, rowid in scored:
        label, url, ident, date = details[rowid]
        hits.append(Hit(label, url, score, ident, date, ""))
    if len(hits) < len(rows):
        _prefill(repo, cache, [h.ident for h in hits])
    snippets = _snippets(repo, pat, shown, every=len(hits) == len(rows))
    for h, rowid in zip(hits, shown, strict=True):
        h.snippet = snippets.get(rowid, "")
    return hits


def _snippets(repo: Repo, pat: str, rowids: list[int], *, every: bool) -> dict[int, str]:
    """rowid -> the FTS5 snippet of each of ``rowids`` for ``pat`` (``every``: all rows that match)."""
    snippet = (
        "snippet(ftsidx,'<mark>','</mark>',' ... ',-1,35)"
        if index_type(repo) == 4
        else "snippet(ftsidx,-1,'<mark>','</mark>',' ... ',35)"
    )
    out: dict[int, str] = {}
    if every:
        for rowid, snip in repo.all(f"SELECT rowid, {snippet} FROM ftsidx WHERE ftsidx MATCH ?", (pat,)):
            out[rowid] = snip or ""
        return out
    # One statement for the rows shown: FTS5 walks the matches (numbers only) and
    # makes a snippet, which reads the document's text, only for the rows in the list.
    for i in range(0, len(rowids), 500):
        chunk = rowids[i : i + 500]
        for rowid, snip in repo.all(
            f"SELECT rowid, {snippet} FROM ftsidx WHERE ftsidx MATCH ? AND rowid IN ({','.join('?' * len(chunk))})",
            (pat, *chunk),
        ):
            out[rowid] = snip or ""
    return out
