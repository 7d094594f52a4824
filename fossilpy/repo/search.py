"""Full-text search (Fossil 2.21 ``src/search.c``): what is searched and the full-scan engine.

Search runs over six kinds of documents, each a bit of ``flags``:
check-in comments (``c``), embedded documents (``d``), tickets (``t``),
wiki (``w``), technotes (``e``) and forum posts (``f``).  A kind is
searched only when its config row says so (``search-ci``, ``search-doc``,
``search-tkt``, ``search-wiki``, ``search-technote``, ``search-forum``;
all off by default, as in Fossil) and the reader has the capability to
read it (:func:`restrict`).

There are two engines, chosen as Fossil chooses them: when the repository
has the ``ftsdocs`` table (``fts-config index on``) the SQLite FTS5 index
(:mod:`fossilpy.repo.search_index`); otherwise a scan of every document
with Fossil's own matcher (:class:`Pattern`), which this module
implements.  Both give rows of :class:`Hit`, ranked by score, newest first.

The matcher (Fossil's ``search_match``): a pattern is up to 8 words
(ASCII letters, digits, and any byte above 127; everything else separates
words; a word followed by ``*`` in the pattern also matches longer words).
A document matches when every word occurs at the start of one of its
words, case-insensitively (ASCII).  Each word scores the length of the
longest run of consecutive pattern words it was part of, times the weight
of the text it was found in (a title counts double); the score is the
product.  The snippet shows up to 50 bytes of context around the matches,
the matches between ``begin``/``end`` marks and ``gap`` where text is left
out.

Private content is never searched by the web page (Fossil indexes no
private artifact and its full scan shows private check-ins; fossilpy
leaves them out of both).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from fossilpy import budget
from fossilpy.record import Record
from fossilpy.repo import search_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from fossilpy.repo.db import Repo

SRCH_CKIN = 0x01
SRCH_DOC = 0x02
SRCH_TKT = 0x04
SRCH_WIKI = 0x08
SRCH_TECHNOTE = 0x10
SRCH_FORUM = 0x20
SRCH_ALL = 0x3F

#: (bit, config row, letter) for each kind of document, in Fossil's order.
KINDS: tuple[tuple[int, str, str], ...] = (
    (SRCH_CKIN, "search-ci", "c"),
    (SRCH_DOC, "search-doc", "d"),
    (SRCH_TKT, "search-tkt", "t"),
    (SRCH_WIKI, "search-wiki", "w"),
    (SRCH_TECHNOTE, "search-technote", "e"),
    (SRCH_FORUM, "search-forum", "f"),
)

MAX_TERMS = 8
#: A word: a run of ASCII letters and digits and bytes >= 0x80.
_WORDS = re.compile(rb"[0-9A-Za-z\x80-\xff]+")
CONTEXT = 50

#: What :meth:`Pattern.score_of` keeps for :meth:`Pattern.snippet_of`: the texts (NUL-ended),
#: lower-cased, and per pattern word its score, text and offset.
_Found = tuple[list[bytes], list[bytes], list[int], list[int], list[int]]

# Fossil's isBoundary[]: everything but ASCII letters, digits and bytes >= 0x80.
_WORD = bytes(1 if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c >= 128) else 0 for c in range(256))


def _html(raw: bytes) -> bytes:
    return search_text.escape_html(raw.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


class Pattern:
    """A compiled full-scan pattern (Fossil's ``search_init``) and the last match's score and snippet."""

    def __init__(self, pattern: str, begin: str, end: str, gap: str, *, html: bool) -> None:
        z = pattern.encode("utf-8", "surrogateescape").split(b"\0")[0] + b"\0"
        self.begin, self.end, self.gap = (s.encode("utf-8", "surrogateescape") for s in (begin, end, gap))
        self.html = html
        #: (lower-cased word, its length, followed by "*")
        self.terms: list[tuple[bytes, int, bool]] = []
        i = 0
        while z[i] and len(self.terms) < MAX_TERMS:
            while z[i] and not _WORD[z[i]]:
                i += 1
            if not z[i]:
                break
            n = 1
            while _WORD[z[i + n]]:
                n += 1
            self.terms.append((z[i : i + n].lower(), n, z[i + n] == 0x2A))
            i += n
        self.score = 0
        self.snippet = ""
        if len(self.terms) == 1:
            word, _n, star = self.terms[0]
            tail = b"" if star else rb"(?![0-9a-z\x80-\xff])"
            #: the one word at the start of a word of a lower-cased text
            self._alone = re.compile(rb"(?<![0-9a-z\x80-\xff])" + re.escape(word) + tail)

    def _next_match(self, z: bytes, lz: bytes, pos: int, end: int) -> int:
        """The first offset in ``pos..end-1`` where a pattern word matches in ``z`` (``lz`` lower-cased), or -1."""
        best = -1
        for word, n, star in self.terms:
            c = lz.find(word, pos, end + n - 1)
            while 0 <= c < end and not (star or not _WORD[z[c + n]]):
                c = lz.find(word, c + 1, end + n - 1)
            if 0 <= c < end and (best < 0 or c < best):
                best = c
        return best

    def _text(self, out: bytearray, raw: bytes) -> None:
        if raw:
            out += _html(raw) if self.html else raw

    def _term_at(self, z: bytes, i: int) -> int:
        """Index of the first term that matches at ``z[i]``, or -1."""
        for j, (word, n, star) in enumerate(self.terms):
            if z[i : i + n].lower() == word and (star or not _WORD[z[i + n]]):
                return j
        return -1

    def match(self, docs: Iterable[str | None]) -> int:
        """Score ``docs`` (the texts of one document; earlier ones weigh more) and build the snippet."""
        found = self.score_of(docs)
        self.snippet = self.snippet_of(found) if found is not None else ""
        return self.score

    def score_of(self, docs: Iterable[str | None]) -> _Found | None:
        """Score ``docs`` as :meth:`match` does, without the snippet: what :meth:`snippet_of` needs, or None.

        ``self.score`` is set; None when it is 0.
        """
        budget.check()  # a full scan's cost follows the repository, not the request
        texts = [(d or "").encode("utf-8", "surrogateescape").split(b"\0")[0] + b"\0" for d in docs]
        terms = self.terms
        nterm, ndoc = len(terms), len(texts)
        lowered = [z.lower() for z in texts]  # ASCII only, as sqlite3_strnicmp: offsets unchanged
        self.score = 0
        if any(all(word not in lz for lz in lowered) for word, _n, _star in terms):
            return None  # a word that occurs nowhere: no match
        an = [0] * nterm
        best_doc, best_ofst = [0] * nterm, [0] * nterm
        if nterm == 1:
            # one word: only its first occurrence counts (a run of one, in the earliest text)
            for idoc, lz in enumerate(lowered):
                m = self._alone.search(lz)
                if m is not None:
                    an[0], best_doc[0], best_ofst[0] = ndoc - idoc, idoc, m.start()
                    break
        else:
            self._scan(lowered, an, best_doc, best_ofst)
        score = 1
        for a in an:
            score *= a
        self.score = score
        if not score:
            return None
        return texts, lowered, an, best_doc, best_ofst

    def _scan(self, lowered: list[bytes], an: list[int], best_doc: list[int], best_ofst: list[int]) -> None:
        """Fossil's word-by-word scoring loop (runs of consecutive pattern words)."""
        terms = self.terms
        nterm, ndoc = len(terms), len(lowered)
        last_doc, last_ofst = [0] * nterm, [0] * nterm
        word_idx = [-1] * nterm
        iword = 0
        for idoc, lz in enumerate(lowered):
            iword += 1
            for m in _WORDS.finditer(lz):
                iword += 1
                w = m.group()
                for j, (word, n, star) in enumerate(terms):
                    if w[:n] == word and (star or len(w) == n):
                        word_idx[j], last_doc[j], last_ofst[j] = iword, idoc, m.start()
                        k = 1
                        while j - k >= 0 and an[j - k] and word_idx[j - k] == iword - k:
                            k += 1
                        for ii in range(k):
                            if an[j - ii] < k:
                                an[j - ii] = k * (ndoc - idoc)
                                best_doc[j - ii], best_ofst[j - ii] = last_doc[j - ii], last_ofst[j - ii]
                        break

    def snippet_of(self, found: _Found) -> str:
        """The snippet of a document :meth:`score_of` scored (``found``: what it returned)."""
        texts, lowered, an, best_doc, best_ofst = found
        an = list(an)
        terms = self.terms
        nterm = len(terms)
        snip = bytearray()
        want_gap = False
        while True:
            ii = 0
            while ii < nterm and an[ii] == 0:
                ii += 1
            if ii >= nterm:
                break
            ibest, idoc, iofst = ii, best_doc[ii], best_ofst[ii]
            for jj in range(ii, nterm):
                if an[jj] == 0 or best_doc[jj] > idoc or best_ofst[jj] > iofst:
                    continue
                idoc, iofst, ibest = best_doc[jj], best_ofst[jj], jj
            itail = iofst + terms[ibest][1]
            an[ibest] = 0
            ii = 0
            while ii < nterm:
                if an[ii] and best_doc[ii] == idoc and best_ofst[ii] <= itail + CONTEXT * 2:
                    itail = max(itail, best_ofst[ii] + terms[ii][1])
                    an[ii] = 0
                    ii = 0
                    continue
                ii += 1
            z = texts[idoc]
            iofst = max(iofst - CONTEXT, 0)
            while iofst > 0 and _WORD[z[iofst - 1]]:
                iofst -= 1
            while z[iofst] and not _WORD[z[iofst]]:
                iofst += 1
            ii = 0
            while ii < CONTEXT and z[itail]:
                ii += 1
                itail += 1
            while _WORD[z[itail]]:
                itail += 1
            if iofst > 0 or want_gap:
                snip += self.gap
            want_gap = z[itail] != 0
            p, end, pos = iofst, itail, iofst
            while True:  # mark every match that starts before end, even inside a word, as Fossil does
                c = self._next_match(z, lowered[idoc], pos, end)
                if c < 0:
                    break
                j = self._term_at(z, c)
                self._text(snip, z[p:c])
                snip += self.begin
                n = terms[j][1]
                if terms[j][2]:
                    while _WORD[z[c + n]]:
                        n += 1
                self._text(snip, z[c : c + n])
                snip += self.end
                p = pos = c + n
            if end > p:
                self._text(snip, z[p:end])
        if want_gap:
            snip += self.gap
        return snip.decode("utf-8", "surrogateescape")


class Hit(Record):
    """One search result: label, URL, score, document id (``c123``), date ("YYYY-MM-DD HH:MM:SS"), snippet."""

    __slots__ = ("label", "url", "score", "ident", "date", "snippet")
    label: str
    url: str
    score: float
    ident: str
    date: str
    snippet: str

    def __init__(self, label: str, url: str, score: float, ident: str, date: str, snippet: str) -> None:
        self.label, self.url, self.score, self.ident, self.date, self.snippet = label, url, score, ident, date, snippet


def restrict(repo: Repo, flags: int, caps: str) -> int:
    """Fossil's ``search_restrict``: ``flags`` less what the config or the reader's ``caps`` forbid."""
    if "o" not in caps:
        flags &= ~(SRCH_CKIN | SRCH_DOC | SRCH_TECHNOTE)
    if "r" not in caps:
        flags &= ~SRCH_TKT
    if "j" not in caps:
        flags &= ~SRCH_WIKI
    if "2" not in caps:
        flags &= ~SRCH_FORUM
    for bit, key, _letter in KINDS:
        if flags & bit and not repo.setting_bool(key):
            flags &= ~bit
    return flags


def urlencode(text: str) -> str:
    """Fossil's ``%T`` (``urlize``): URL-encoded, "/" and ":" kept, a space as "+"."""
    from fossilpy.markup.links import urlize

    return urlize(text)


def doc_mimetype(name: str) -> str:
    """The mimetype search gives an embedded document by its name (the kinds search reads)."""
    low = name.lower()
    for suffix, mime in (
        (".md", "text/x-markdown"),
        (".markdown", "text/x-markdown"),
        (".wiki", "text/x-fossil-wiki"),
        (".html", "text/html"),
        (".htm", "text/html"),
    ):
        if low.endswith(suffix):
            return mime
    return "text/plain"


def doc_glob_match(repo: Repo, name: str, globs: str) -> bool:
    """True if ``name`` matches one of the comma- or space-separated ``globs`` (Fossil's glob list)."""
    for pattern in globs.replace(",", " ").split():
        pattern = pattern.strip("'\"")
        if pattern and repo.one("SELECT ? GLOB ?", (name, pattern)):
            return True
    return False


def _glob_filter(repo: Repo, names: list[str], globs: str) -> set[str]:
    """The ``names`` that :func:`doc_glob_match` ``globs``: one query per pattern, not per name."""
    plain: list[str] = []
    out: set[str] = set()
    for name in names:
        try:
            name.encode("utf-8")
            plain.append(name)
        except UnicodeEncodeError:  # not UTF-8: bound as the lossy text doc_glob_match binds
            if doc_glob_match(repo, name, globs):
                out.add(name)
    listed = json.dumps(plain)
    for pattern in globs.replace(",", " ").split():
        pattern = pattern.strip("'\"")
        if pattern:
            out.update(r[0] for r in repo.all("SELECT value FROM json_each(?) WHERE value GLOB ?", (listed, pattern)))
    return out


def documents(repo: Repo) -> tuple[int, str, list[tuple[int, str]]]:
    """(check-in rid, its date, [(file rid, name)]) of ``doc-branch``'s tip for ``doc-glob`` (rid 0: none)."""
    globs = repo.setting("doc-glob") or ""
    branch = repo.setting("doc-branch") or ""
    if not globs or not branch:
        return 0, "", []
    from fossilpy.repo import names

    rid = names.lookup(repo, branch, "ci")
    if rid <= 0:
        return 0, "", []
    from fossilpy.artifact.manifest import parse_or_none
    from fossilpy.repo import content

    m = parse_or_none(content.get(repo, rid) or b"")
    if m is None:
        return 0, "", []
    files: dict[str, str | None] = {}
    if m.baseline:
        base = parse_or_none(content.get_by_uuid(repo, m.baseline) or b"")
        for f in base.files if base else []:
            files[f.name] = f.uuid
    for f in m.files:
        files[f.name] = f.uuid
    out = []
    matched = _glob_filter(repo, [name for name, uuid in files.items() if uuid], globs)
    for name, uuid in sorted(files.items()):
        if uuid and name in matched:
            frid = repo.one("SELECT rid FROM blob WHERE uuid=? AND size>=0", (uuid,))
            if frid:
                out.append((int(frid), name))
    date = repo.one("SELECT datetime(mtime) FROM event WHERE objid=?", (rid,)) or ""
    return rid, date, out


_PRIVATE_TAGXREF = " AND tagxref.rid NOT IN private"
_PRIVATE_EVENT = " AND event.objid NOT IN private"


#: The words :data:`search_text.CHECKIN_TEXT` adds to every check-in's text (lower-cased).
_CHECKIN_FIXED = " (user: , tags: )"

#: Keeps a check-in whose comment, user or tags hold a word (arguments: "%WORD%" twice, then WORD).
_CHECKIN_WORD = (
    " AND (coalesce(event.ecomment,event.comment) LIKE ? OR coalesce(event.euser,event.user,'?') LIKE ?"
    " OR event.objid IN (SELECT tagxref.rid FROM tagxref WHERE tagxref.tagtype>0 AND tagxref.tagid IN"
    "  (SELECT tagid FROM tag WHERE tagname GLOB 'sym-*' AND instr(lower(substr(tagname,5)),?))))"
)
#: :data:`_CHECKIN_WORD` for comments rendered as wiki: a check-in whose comment, user or tag has
#: markup (tags, links, entities) is kept too, as rendered it may hold words its raw text does not
#: (``a<b>b</b>`` reads "ab").
_CHECKIN_WORD_MARKUP = (
    " AND (coalesce(event.ecomment,event.comment) LIKE ? OR coalesce(event.euser,event.user,'?') LIKE ?"
    " OR event.objid IN (SELECT tagxref.rid FROM tagxref WHERE tagxref.tagtype>0 AND tagxref.tagid IN"
    "  (SELECT tagid FROM tag WHERE tagname GLOB 'sym-*' AND (instr(lower(substr(tagname,5)),?)"
    "   OR instr(tagname,'<') OR instr(tagname,'[') OR instr(tagname,'&'))))"
    " OR instr(coalesce(event.ecomment,event.comment),'<') OR instr(coalesce(event.ecomment,event.comment),'[')"
    " OR instr(coalesce(event.ecomment,event.comment),'&') OR instr(coalesce(event.euser,event.user),'<')"
    " OR instr(coalesce(event.euser,event.user),'[') OR instr(coalesce(event.euser,event.user),'&'))"
)


def _checkin_words(pat: Pattern) -> list[str]:
    """The words of ``pat`` a check-in must hold, as text (see :func:`_scan_checkins`).

    A check-in's text is its comment, user and tags joined by non-word characters and the words
    of :data:`_CHECKIN_FIXED`; a pattern word matches only inside one of those pieces.  SQLite's
    ``LIKE`` and ``lower`` fold ASCII letters only, as Fossil's matcher; a word has no ``%`` or
    ``_``.  A word that is not UTF-8 is not narrowed on.
    """
    words = []
    for word, _n, _star in pat.terms:
        if word.decode("latin-1") in _CHECKIN_FIXED:
            continue  # "user", "tags" and their prefixes are in every check-in's text
        try:
            words.append(word.decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return words


def _scan_checkins(repo: Repo, pat: Pattern, limit: int, hits: list[Hit], found: list[_Found]) -> None:
    """Append the check-ins that match ``pat`` to ``hits`` (and their match to ``found``), in rid order.

    Only check-ins holding every word are read (:func:`_checkin_words`).  With ``limit`` > 0,
    newest first, stopping once ``limit`` of them have the highest score a check-in can have
    (all words in one run; no title) and the date moves past the last of those: an older one
    ranks below all of them.  Hits are put back in rid order (a full read's) so ties rank alike.
    """
    plaintext = repo.config_bool("timeline-plaintext", False)
    conds: list[str] = []
    args: list[str] = []
    for word in _checkin_words(pat):
        conds.append(_CHECKIN_WORD if plaintext else _CHECKIN_WORD_MARKUP)
        args += ["%" + word + "%", "%" + word + "%", word]
    sql = (
        "SELECT blob.uuid, event.objid, datetime(event.mtime), (" + search_text.CHECKIN_TEXT + " AS e"
        " WHERE e.objid=event.objid) FROM event, blob WHERE event.type='ci' AND blob.rid=event.objid"
        + _PRIVATE_EVENT
        + "".join(conds)
    )
    top = len(pat.terms) ** len(pat.terms)  # every word in one run, each scoring the run's length
    cur = repo.execute(sql + (" ORDER BY event.mtime DESC" if limit > 0 else " ORDER BY event.objid"), args)
    got: list[tuple[int, Hit, _Found]] = []
    best = 0
    cut: str | None = None
    while rows := cur.fetchmany(limit + 20 if limit > 0 else 500):
        for uuid, rid, date, raw in rows:
            if cut is not None and date != cut:
                break
            _title, body = search_text.split(search_text.checkin_text(raw, plaintext))
            f = pat.score_of(["", body])
            if f is None:
                continue
            got.append(
                (
                    rid,
                    Hit(
                        f"Check-in [{uuid[:10]}] on {date}", f"/timeline?c={uuid}", pat.score, f"c{rid}", date or "", ""
                    ),
                    f,
                )
            )
            if limit > 0 and pat.score >= top:
                best += 1
                if best >= limit and cut is None:
                    cut = date
        else:
            continue
        break
    cur.close()
    got.sort(key=lambda g: g[0])
    for _rid, h, f in got:
        hits.append(h)
        found.append(f)


def fullscan(repo: Repo, pattern: str, flags: int) -> list[Hit]:
    """Fossil's ``search_fullscan``: every searchable document matched with :class:`Pattern`."""
    pat, hits, found = _scan(repo, pattern, flags)
    for h, f in zip(hits, found, strict=True):
        h.snippet = pat.snippet_of(f)
    return hits


def _scan(repo: Repo, pattern: str, flags: int, limit: int = 0) -> tuple[Pattern, list[Hit], list[_Found]]:
    """The full scan's hits with empty snippets, and what :meth:`Pattern.snippet_of` needs for each.

    ``limit`` > 0: check-ins that cannot be among the ``limit`` best may be
    left out (:func:`_scan_checkins`).
    """
    pat = Pattern(pattern, "<mark>", "</mark>", " ... ", html=True)
    hits: list[Hit] = []
    found: list[_Found] = []

    def match(docs: list[str | None]) -> bool:
        f = pat.score_of(docs)
        if f is not None:
            found.append(f)
        return f is not None

    def hit(label: str, url: str, ident: str, date: str) -> None:
        hits.append(Hit(label, url, pat.score, ident, date or "", ""))

    if flags & SRCH_DOC:
        branch = repo.setting("doc-branch") or ""
        _ckid, date, docs = documents(repo)
        for rid, name in docs:
            title, body = search_text.split(search_text.stext(repo, "d", rid, name))
            if match([title or name, body]):
                hit(f"Document: {title or name}", f"/doc/{urlencode(branch)}/{name}", f"d{rid}", date)
    if flags & SRCH_WIKI:
        rows = repo.all(
            "SELECT substr(tagname,6), tagxref.rid, max(tagxref.mtime), datetime(max(tagxref.mtime))"
            " FROM tag, tagxref WHERE tag.tagname GLOB 'wiki-*' AND tagxref.tagid=tag.tagid"
            + _PRIVATE_TAGXREF
            + " GROUP BY 1"
        )
        for name, rid, _mtime, date in rows:
            title, body = search_text.split(search_text.stext(repo, "w", rid, name))
            if match([title, body]):
                hit(f"Wiki: {name}", f"/wiki?name={urlencode(name)}", f"w{rid}", date)
    if flags & SRCH_CKIN:
        _scan_checkins(repo, pat, limit, hits, found)
    if flags & SRCH_TKT and repo.table_exists("ticket"):
        rows = repo.all("SELECT tkt_id, tkt_uuid, datetime(tkt_mtime) FROM ticket")
        for tid, tuuid, date in rows:
            title, body = search_text.split(search_text.stext(repo, "t", tid, None))
            if match([title, body]):
                hit(f"Ticket: {title} ({date})", f"/tktview/{(tuuid or '')[:20]}", f"t{tid}", date)
    if flags & SRCH_TECHNOTE:
        rows = repo.all(
            "SELECT substr(tagname,7), tagxref.rid, max(tagxref.mtime), datetime(max(tagxref.mtime))"
            " FROM tag, tagxref WHERE tag.tagname GLOB 'event-*' AND tagxref.tagid=tag.tagid"
            + _PRIVATE_TAGXREF
            + " GROUP BY 1"
        )
        for ident, rid, _mtime, date in rows:
            _title, body = search_text.split(search_text.stext(repo, "e", rid, None))
            if match(["", body]):
                hit(f"Tech Note: {ident}", f"/technote/{ident}", f"e{rid}", date)
    if flags & SRCH_FORUM:
        rows = repo.all(
            "SELECT event.objid, event.comment, blob.uuid, datetime(event.mtime) FROM event JOIN blob"
            " ON event.objid=blob.rid WHERE event.type='f'" + _PRIVATE_EVENT
        )
        for rid, comment, uuid, date in rows:
            _title, body = search_text.split(search_text.stext(repo, "f", rid, None))
            if match(["", body]):
                hit(f"Forum {comment or ''}", f"/forumpost/{uuid}", f"f{rid}", date)
    return pat, hits, found


def rank(hits: list[Hit]) -> None:
    """Sort ``hits`` best first, the newest first among equals (as Fossil orders results)."""
    hits.sort(key=lambda h: h.date, reverse=True)
    hits.sort(key=lambda h: h.score, reverse=True)


def run(repo: Repo, pattern: str, flags: int, limit: int = 0) -> list[Hit]:
    """Search for ``pattern`` over the (already restricted) ``flags``: ranked hits, best and newest first.

    The indexed engine when the repository has an index (brought up to
    date first, as Fossil's ``search_update_index``), else the full scan.
    ``limit`` > 0: only the first ``limit`` hits, and only their snippets
    are made (every document is still scored, to rank them).
    """
    if not flags:
        return []
    from fossilpy.repo import search_index

    if search_index.exists(repo):
        return search_index.query(repo, pattern, flags, limit)
    pat, hits, found = _scan(repo, pattern, flags, limit)
    order = sorted(range(len(hits)), key=lambda i: hits[i].date, reverse=True)
    order.sort(key=lambda i: hits[i].score, reverse=True)
    if limit > 0:
        order = order[:limit]
    out = []
    for i in order:
        h = hits[i]
        h.snippet = pat.snippet_of(found[i])
        out.append(h)
    return out
