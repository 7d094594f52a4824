"""The repository schema of Fossil 2.21, as SQL text.

A repository is one SQLite file (``PRAGMA application_id=252006673``).
Its tables fall into three groups, and real ``fossil`` reads and writes
every one of them directly, so the table names, column names and declared
column types below are exactly those of 2.21:

* **Essential** tables (:data:`ESSENTIAL_SCHEMA`): the artifacts themselves
  (``blob``, ``delta``) and local state that cannot be recomputed (users,
  config, shun list, private marks, report formats, concealed text).
  ``rebuild`` never touches them.
* **Derived** tables (:func:`derived_schema_sql`): everything computed by
  crosslinking artifacts (check-in graph, file names, events, tags,
  tickets, ...).  ``rebuild`` drops every table that is not in
  :func:`essential_table_names` and re-creates them from this text.
* **On-demand** tables (:data:`ON_DEMAND`): created the first time a
  feature needs them (forum, unversioned files, email alerts, chat, logs,
  moderation, purge backups).  Most are essential; ``forumpost`` is derived.

Dates: ``event``/``plink``/``tagxref``/``rcvfrom`` times are Julian day
numbers (REAL); ``user``/``config``/``shun``/``concealed`` ``mtime`` and
``unversioned.mtime`` are unix seconds.

The ticket tables are special: their DDL is the ``ticket-table`` config
value when set (projects may add columns), else :data:`DEFAULT_TICKET_TABLE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fossilpy.errors import ProgrammingError

if TYPE_CHECKING:  # pragma: no cover
    from fossilpy.repo.db import Repo

#: ``config.content-schema`` written by Fossil 2.21.
CONTENT_SCHEMA = "2"
#: ``config.aux-schema`` written by 2.21; fossil accepts
#: [AUX_SCHEMA_MIN, AUX_SCHEMA_MAX] and calls anything else out of date.
AUX_SCHEMA_MIN = "2011-04-25 19:50"
AUX_SCHEMA_MAX = "2015-01-24"

#: PRAGMA application_id values ("FSLR", "FSLC", "FSLG").
APPLICATION_ID_REPO = 252006673
APPLICATION_ID_CHECKOUT = 252006674
APPLICATION_ID_GLOBAL = 252006675

#: Page size of new repositories.
PAGE_SIZE = 4096

# ---------------------------------------------------------------------------
# Essential tables.
# ---------------------------------------------------------------------------

ESSENTIAL_SCHEMA = """\
-- Every artifact, by hash.  content = 4-byte big-endian length + zlib of
-- either the full text or (iff a delta row exists) a delta; a phantom has
-- size -1 and NULL content.
CREATE TABLE blob(
  rid INTEGER PRIMARY KEY,
  rcvid INTEGER,                  -- rcvfrom row that delivered it
  size INTEGER,                   -- expanded size; -1 for a phantom
  uuid TEXT UNIQUE NOT NULL,      -- lowercase hex SHA1 (40) or SHA3-256 (64)
  content BLOB,
  CHECK( length(uuid)>=40 AND rid>0 )
);
-- blob.content of rid is a delta against the full text of srcid.
CREATE TABLE delta(
  rid INTEGER PRIMARY KEY,
  srcid INTEGER NOT NULL REFERENCES blob
);
CREATE INDEX delta_i1 ON delta(srcid);

-- One row per receive session or local commit.
CREATE TABLE rcvfrom(
  rcvid INTEGER PRIMARY KEY,
  uid INTEGER REFERENCES user,
  mtime DATETIME,                 -- Julian day
  nonce TEXT UNIQUE,              -- login nonce of the sync session
  ipaddr TEXT                     -- peer address; NULL when local
);

-- Logins.  pw is cleartext unless it is exactly 40 characters, in which
-- case it is SHA1(project-code "/" login "/" password).
CREATE TABLE user(
  uid INTEGER PRIMARY KEY,
  login TEXT UNIQUE,
  pw TEXT,
  cap TEXT,                       -- capability letters
  cookie TEXT,                    -- current web login cookie
  ipaddr TEXT,
  cexpire DATETIME,               -- cookie expiry, Julian day
  info TEXT,                      -- contact; may hold "expires YYYY-MM-DD"
  mtime DATE,                     -- unix seconds
  photo BLOB,
  jx TEXT DEFAULT '{}'            -- extra fields as JSON
);

-- Settings and repository state, name -> value.
CREATE TABLE config(
  name TEXT PRIMARY KEY NOT NULL,
  value CLOB,
  mtime DATE,                      -- unix seconds; needed for config sync
  CHECK( typeof(name)='text' AND length(name)>=1 )
);

-- Hashes that must never be stored (they have no blob row).
CREATE TABLE shun(
  uuid UNIQUE,
  mtime DATE,
  scom TEXT
);

-- Artifacts (and phantoms) that are not to be pushed.
CREATE TABLE private(rid INTEGER PRIMARY KEY);

-- Ticket report definitions (SQL over the ticket table).
CREATE TABLE reportfmt(
   rn INTEGER PRIMARY KEY,
   owner TEXT,
   title TEXT UNIQUE,
   mtime DATE,
   cols TEXT,
   sqlcode TEXT,
   jx TEXT DEFAULT '{}'
);

-- SHA1 -> plaintext for ticket fields that are shown obscured.
CREATE TABLE concealed(
  hash TEXT PRIMARY KEY,
  mtime DATE,
  content TEXT
);

PRAGMA application_id=252006673;
"""

#: The "All Tickets" report every new repository starts with.
DEFAULT_REPORTS = """\
INSERT INTO reportfmt(title,mtime,cols,sqlcode)
VALUES('All Tickets',julianday('1970-01-01'),'#ffffff Key:
#f2dcdc Active
#e8e8e8 Review
#cfe8bd Fixed
#bde5d6 Tested
#cacae5 Deferred
#c8c8c8 Closed','SELECT
  CASE WHEN status IN (''Open'',''Verified'') THEN ''#f2dcdc''
       WHEN status=''Review'' THEN ''#e8e8e8''
       WHEN status=''Fixed'' THEN ''#cfe8bd''
       WHEN status=''Tested'' THEN ''#bde5d6''
       WHEN status=''Deferred'' THEN ''#cacae5''
       ELSE ''#c8c8c8'' END AS ''bgcolor'',
  substr(tkt_uuid,1,10) AS ''#'',
  datetime(tkt_mtime) AS ''mtime'',
  type,
  status,
  subsystem,
  title
FROM ticket');
"""

# ---------------------------------------------------------------------------
# Derived tables (rebuilt from artifacts).
# ---------------------------------------------------------------------------

DERIVED_SCHEMA = """\
-- File names seen in any check-in.
CREATE TABLE filename(
  fnid INTEGER PRIMARY KEY,
  name TEXT UNIQUE
);

-- One row per file change between a check-in (mid) and a parent (pmid):
-- pid=0 added, pid=-1 added by merge, fid=0 deleted, pfnid<>0 renamed,
-- isaux=1 when pmid is a merge parent.
CREATE TABLE mlink(
  mid INTEGER,
  fid INTEGER,
  pmid INTEGER,
  pid INTEGER,
  fnid INTEGER REFERENCES filename,
  pfnid INTEGER,
  mperm INTEGER,                     -- 1 executable, 2 symlink
  isaux BOOLEAN DEFAULT 0
);
CREATE INDEX mlink_i1 ON mlink(mid);
CREATE INDEX mlink_i2 ON mlink(fnid);
CREATE INDEX mlink_i3 ON mlink(fid);
CREATE INDEX mlink_i4 ON mlink(pid);

-- Check-in parent -> child edges; baseid is the baseline of a delta
-- manifest.
CREATE TABLE plink(
  pid INTEGER REFERENCES blob,
  cid INTEGER REFERENCES blob,
  isprim BOOLEAN,
  mtime DATETIME,                 -- Julian day of the child
  baseid INTEGER REFERENCES blob,
  UNIQUE(pid, cid)
);
CREATE INDEX plink_i2 ON plink(cid,pid);

-- Check-ins with no child on the same branch.
CREATE TABLE leaf(rid INTEGER PRIMARY KEY);

-- Timeline entries; type is ci, e, f, g, t or w.
CREATE TABLE event(
  type TEXT,
  mtime DATETIME,
  objid INTEGER PRIMARY KEY,
  tagid INTEGER,
  uid INTEGER REFERENCES user,
  bgcolor TEXT,
  euser TEXT,
  user TEXT,
  ecomment TEXT,
  comment TEXT,
  brief TEXT,
  omtime DATETIME
);
CREATE INDEX event_i1 ON event(mtime);

-- Artifacts known only by name.
CREATE TABLE phantom(
  rid INTEGER PRIMARY KEY
);

-- Delta manifests whose baseline is still a phantom.
CREATE TABLE orphan(
  rid INTEGER PRIMARY KEY,
  baseline INTEGER
);
CREATE INDEX orphan_baseline ON orphan(baseline);

-- Artifacts not yet named by any cluster (offered by igot on sync).
CREATE TABLE unclustered(
  rid INTEGER PRIMARY KEY
);

-- Local artifacts never pushed.
CREATE TABLE unsent(
  rid INTEGER PRIMARY KEY
);

-- Tag names; ids 1-11 are fixed.
CREATE TABLE tag(
  tagid INTEGER PRIMARY KEY,
  tagname TEXT UNIQUE
);
INSERT INTO tag VALUES(1, 'bgcolor');
INSERT INTO tag VALUES(2, 'comment');
INSERT INTO tag VALUES(3, 'user');
INSERT INTO tag VALUES(4, 'date');
INSERT INTO tag VALUES(5, 'hidden');
INSERT INTO tag VALUES(6, 'private');
INSERT INTO tag VALUES(7, 'cluster');
INSERT INTO tag VALUES(8, 'branch');
INSERT INTO tag VALUES(9, 'closed');
INSERT INTO tag VALUES(10,'parent');
INSERT INTO tag VALUES(11,'note');

-- Tag applications: tagtype 0 cancel, 1 one-shot, 2 propagating;
-- srcid=0 for a propagated copy whose origin is origid.
-- (The declared type of rid is spelled as in 2.21, "REFERENCE".)
CREATE TABLE tagxref(
  tagid INTEGER REFERENCES tag,
  tagtype INTEGER,
  srcid INTEGER REFERENCES blob,
  origid INTEGER REFERENCES blob,
  value TEXT,
  mtime TIMESTAMP,
  rid INTEGER REFERENCE blob,
  UNIQUE(rid, tagid)
);
CREATE INDEX tagxref_i1 ON tagxref(tagid, mtime);

-- Hyperlinks between artifacts; srctype 0 comment, 1 ticket, 2 wiki,
-- 3 technote, 4 forum.
CREATE TABLE backlink(
  target TEXT,
  srctype INT,
  srcid INT,
  mtime TIMESTAMP,
  UNIQUE(target, srctype, srcid)
);
CREATE INDEX backlink_src ON backlink(srcid, srctype);

-- Attachments to wiki pages, tickets and technotes.
CREATE TABLE attachment(
  attachid INTEGER PRIMARY KEY,
  isLatest BOOLEAN DEFAULT 0,
  mtime TIMESTAMP,
  src TEXT,                       -- hash of the content; NULL = deleted
  target TEXT,
  filename TEXT,
  comment TEXT,
  user TEXT
);
CREATE INDEX attachment_idx1 ON attachment(target, filename, mtime);
CREATE INDEX attachment_idx2 ON attachment(src);

-- Cherry-pick (isExclude=0) and backout (isExclude=1) merges.
CREATE TABLE cherrypick(
  parentid INT,
  childid INT,
  isExclude BOOLEAN DEFAULT false,
  PRIMARY KEY(parentid, childid)
) WITHOUT ROWID;
CREATE INDEX cherrypick_cid ON cherrypick(childid);
"""

#: Default value of the ``ticket-table`` setting.  Columns starting with
#: ``tkt_`` are maintained by the ticket code; the others are J-card fields.
DEFAULT_TICKET_TABLE = """\
CREATE TABLE ticket(
  -- Do not change any column that begins with tkt_
  tkt_id INTEGER PRIMARY KEY,
  tkt_uuid TEXT UNIQUE,
  tkt_mtime DATE,
  tkt_ctime DATE,
  -- Add as many fields as required below this line
  type TEXT,
  status TEXT,
  subsystem TEXT,
  priority TEXT,
  severity TEXT,
  foundin TEXT,
  private_contact TEXT,
  resolution TEXT,
  title TEXT,
  comment TEXT
);
CREATE TABLE ticketchng(
  -- Do not change any column that begins with tkt_
  tkt_id INTEGER REFERENCES ticket,
  tkt_rid INTEGER REFERENCES blob,
  tkt_mtime DATE,
  tkt_user TEXT,
  -- Add as many fields as required below this line
  login TEXT,
  username TEXT,
  mimetype TEXT,
  icomment TEXT
);
CREATE INDEX ticketchng_idx1 ON ticketchng(tkt_id, tkt_mtime);
"""

# ---------------------------------------------------------------------------
# On-demand tables.
# ---------------------------------------------------------------------------

_FORUMPOST = """\
-- Forum posts: thread root, previous edit, in-reply-to.  Derived.
CREATE TABLE IF NOT EXISTS forumpost(
  fpid INTEGER PRIMARY KEY,
  froot INT,
  fprev INT,
  firt INT,
  fmtime REAL
);
CREATE INDEX IF NOT EXISTS forumthread ON forumpost(froot,fmtime);
"""

_UNVERSIONED = """\
-- Unversioned files: hash NULL marks a deletion, encoding 1 = compressed
-- with the blob framing, mtime in unix seconds.
CREATE TABLE IF NOT EXISTS unversioned(
  uvid INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  rcvid INTEGER,
  mtime DATETIME,
  hash TEXT,
  sz INTEGER,
  encoding INT,
  content BLOB
);
"""

_ALERTS = """\
-- Email subscriptions.  ssub letters: a c f t w x; lastContact in days
-- since 1970; sctime/mtime in unix seconds.
CREATE TABLE IF NOT EXISTS subscriber(
  subscriberId INTEGER PRIMARY KEY,
  subscriberCode BLOB DEFAULT (randomblob(32)) UNIQUE,
  semail TEXT UNIQUE COLLATE nocase,
  suname TEXT,
  sverified BOOLEAN DEFAULT true,
  sdonotcall BOOLEAN,
  sdigest BOOLEAN,
  ssub TEXT,
  sctime INTDATE,
  mtime INTDATE,
  smip TEXT,
  lastContact INT
);
CREATE INDEX IF NOT EXISTS subscriberUname
  ON subscriber(suname) WHERE suname IS NOT NULL;
-- Events waiting to be mailed, e.g. 'c42' (type letter + event objid).
CREATE TABLE IF NOT EXISTS pending_alert(
  eventid TEXT PRIMARY KEY,
  sentSep BOOLEAN DEFAULT false,
  sentDigest BOOLEAN DEFAULT false,
  sentMod BOOLEAN DEFAULT false
) WITHOUT ROWID;
"""

_CHAT = """\
CREATE TABLE IF NOT EXISTS chat(
  msgid INTEGER PRIMARY KEY AUTOINCREMENT,
  mtime JULIANDAY,
  lmtime TEXT,
  xfrom TEXT,
  xmsg  TEXT,
  fname TEXT,
  fmime TEXT,
  mdel INT,
  file  BLOB
);
"""

_ADMIN_LOG = """\
CREATE TABLE IF NOT EXISTS admin_log(
 id INTEGER PRIMARY KEY,
 time INTEGER,
 page TEXT,
 who TEXT,
 what TEXT
);
"""

_ACCESSLOG = """\
CREATE TABLE IF NOT EXISTS accesslog(
  uname TEXT,
  ipaddr TEXT,
  success BOOLEAN,
  mtime TIMESTAMP
);
"""

_MODREQ = """\
CREATE TABLE IF NOT EXISTS modreq(
  objid INTEGER PRIMARY KEY,
  attachRid INT,
  tktid TEXT
);
"""

_PURGE = """\
CREATE TABLE IF NOT EXISTS purgeevent(
  peid INTEGER PRIMARY KEY,
  ctime DATETIME,
  pnotes TEXT
);
CREATE TABLE IF NOT EXISTS purgeitem(
  piid INTEGER PRIMARY KEY,
  peid INTEGER REFERENCES purgeevent ON DELETE CASCADE,
  orid INTEGER,
  uuid TEXT NOT NULL,
  srcid INTEGER,
  isPrivate BOOLEAN,
  sz INT NOT NULL,
  desc TEXT,
  data BLOB
);
"""

#: table name -> DDL creating it (and its companions) if missing.
ON_DEMAND: dict[str, str] = {
    "forumpost": _FORUMPOST,
    "unversioned": _UNVERSIONED,
    "subscriber": _ALERTS,
    "pending_alert": _ALERTS,
    "chat": _CHAT,
    "admin_log": _ADMIN_LOG,
    "accesslog": _ACCESSLOG,
    "modreq": _MODREQ,
    "purgeevent": _PURGE,
    "purgeitem": _PURGE,
}

#: Tables ``rebuild`` keeps (Fossil 2.21 ``rebuild_db``).  ``alias`` is in
#: 2.21's keep-list although 2.21 itself never creates such a table.
_ESSENTIAL_NAMES = (
    "admin_log",
    "blob",
    "delta",
    "rcvfrom",
    "user",
    "alias",
    "config",
    "shun",
    "private",
    "reportfmt",
    "concealed",
    "accesslog",
    "modreq",
    "purgeevent",
    "purgeitem",
    "unversioned",
    "subscriber",
    "pending_alert",
    "chat",
)


def essential_table_names() -> tuple[str, ...]:
    """Tables that survive ``rebuild``; also keep ``sqlite_*`` and ``fx_*``."""
    return _ESSENTIAL_NAMES


def is_essential_table(name: str) -> bool:
    """True if rebuild must keep table ``name``."""
    low = name.lower()
    return low in _ESSENTIAL_NAMES or low.startswith(("sqlite_", "fx_"))


def ticket_table_sql(repo: Repo | None = None) -> str:
    """DDL of ticket/ticketchng: the ``ticket-table`` setting or the default."""
    if repo is not None:
        custom = repo.config_get("ticket-table")
        if custom:
            return str(custom)
    return DEFAULT_TICKET_TABLE


def derived_schema_sql(repo: Repo | None = None) -> str:
    """DDL of every derived table, ticket tables included.

    With ``repo``, the ticket tables follow its ``ticket-table`` setting.
    """
    return DERIVED_SCHEMA + ticket_table_sql(repo)


def new_repository_sql() -> str:
    """The whole script a new repository starts from (as ``fossil init``)."""
    return ESSENTIAL_SCHEMA + DEFAULT_REPORTS + derived_schema_sql(None)


def ensure_table(repo: Repo, name: str) -> None:
    """Create on-demand table ``name`` (and its companions) if missing."""
    ddl = ON_DEMAND.get(name)
    if ddl is None:
        raise ProgrammingError(f"no on-demand table named {name!r}")
    if repo.table_exists(name):
        return
    with repo.write():
        for statement in split_statements(ddl):
            repo.execute(statement)


def split_statements(script: str) -> list[str]:
    """Split a script of complete statements (no triggers) into single statements."""
    import sqlite3

    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        out.append(buf.strip())
    return out
