"""Every setting Fossil 2.21 knows, declared once.

This registry is the single source for ``fossilpy settings``, the web
setup pages and the backoffice, and of every setting's default: code
reads a setting with ``repo.setting(name)``, ``repo.setting_bool(name)``
or ``repo.setting_int(name)`` (``fossilpy.repo.db.Repo``), never with
``config_get(name, default)`` (tests/test_architecture.py checks it).  A
repository-level value is the ``config`` row of the same name (``mtime`` =
unix seconds, so that it can travel in config sync); with no row the
setting has its default.  This module imports nothing from the layers.
Versionable settings may also come from ``.fossil-settings/NAME`` in a
checkout; that override is the checkout layer's business.

Fields of :class:`Setting`:

* ``kind``: "boolean" (on/off, read with Fossil's truth rules), "text"
  (one line) or "block" (multi-line text);
* ``sensitive``: security-relevant; only setup users may change it, and
  config sync never carries it;
* ``versionable``: may be overridden by a versioned file in a checkout;
* ``width``: input width on the web page; negative hides it there.
"""

from __future__ import annotations

import math
import re
from typing import Any

from fossilpy.errors import NotFound, ProgrammingError, UserError
from fossilpy.record import Record


class Setting(Record):
    """One setting: its name, default value (None: unset) and properties."""

    __slots__ = ("name", "default", "kind", "sensitive", "versionable", "help", "width")
    name: str
    default: str | None
    kind: str
    sensitive: bool
    versionable: bool
    help: str
    width: int

    def __init__(self, name: str, default: str | None, kind: str, sensitive: bool, versionable: bool, help: str,
                 width: int = 0) -> None:
        self.name, self.default, self.kind = name, default, kind
        self.sensitive, self.versionable, self.help, self.width = sensitive, versionable, help, width

    def __hash__(self) -> int:  # never changed once declared
        return hash((self.name, self.default, self.kind))


def _registry(*items: Setting) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for item in items:
        if item.name in out:
            raise ProgrammingError(f"setting {item.name} is declared twice")
        if item.kind not in ("boolean", "text", "block"):
            raise ProgrammingError(f"setting {item.name} has unknown kind {item.kind!r}")
        out[item.name] = item
    return dict(sorted(out.items()))


def _b(name: str, default: str, help: str, *, sensitive: bool = False, versionable: bool = False) -> Setting:
    return Setting(name, default, "boolean", sensitive, versionable, help, 0)


def _t(
    name: str,
    default: str | None,
    help: str,
    *,
    width: int = 40,
    sensitive: bool = False,
    versionable: bool = False,
) -> Setting:
    return Setting(name, default, "text", sensitive, versionable, help, width)


def _k(
    name: str, help: str, *, width: int = 40, sensitive: bool = False, versionable: bool = False
) -> Setting:
    return Setting(name, None, "block", sensitive, versionable, help, width)


#: name -> Setting, sorted by name (the order ``fossil settings`` prints).
SETTINGS: dict[str, Setting] = _registry(
    _b("access-log", "off", "Record every web login attempt in the accesslog table."),
    _b("admin-log", "off", "Record configuration changes in the admin_log table."),
    _b("allow-symlinks", "off", "Store symbolic links as links instead of following them.", sensitive=True),
    _b("auto-captcha", "on", "Offer a button on /login that fills in the anonymous captcha."),
    _t("auto-hyperlink", "1",
       "Give hyperlinks to human-looking visitors without 'h': 0 off, 1 via JavaScript, 2 by user agent only.",
       width=16),
    _t("auto-hyperlink-delay", "0", "Milliseconds the hyperlink-enabling script waits after page load.", width=16),
    _b("auto-hyperlink-mouseover", "off", "Enable hyperlinks only after mouse activity is seen."),
    _b("auto-shun", "on", "Pull the server's shun list during autosync."),
    _t("autosync", "on", "When to sync automatically: on, off, pullonly, or per-command like 'on,open=off'.", width=16),
    _t("autosync-tries", "1", "How many times an autosync is attempted before giving up.", width=16),
    _b("backoffice-disable", "off", "Do not run background work after web requests."),
    _t("backoffice-logfile", None, "File to which each backoffice run appends one line.", sensitive=True),
    _b("backoffice-nodelay", "off", "Let the backoffice exit instead of sleeping when idle."),
    _k("binary-glob", "Globs of files treated as binary when committing and merging.", versionable=True),
    _b("case-sensitive", "on", "Treat file names that differ only in case as different files."),
    _t("chat-alert-sound", None, "Built-in sound file played for new chat messages.", width=10),
    _t("chat-initial-history", "50", "Messages /chat shows when it starts (0: all).", width=10),
    _b("chat-inline-images", "on", "Show images posted in chat inline by default."),
    _t("chat-keep-count", "50", "Newest chat messages always kept when old ones are purged.", width=10),
    _t("chat-keep-days", "7",
       "Age in days (may be fractional) after which chat messages may be purged; 0 keeps all.", width=10),
    _t("chat-poll-timeout", "420", "Seconds a /chat-poll request waits for new messages.", width=10),
    _t("chat-timeline-user", None, "If set, timeline events are posted to chat as coming from this user.", width=10),
    _k("clean-glob", "Globs of files 'clean' deletes without asking.", versionable=True),
    _b("clearsign", "off", "Sign check-in manifests with the pgp-command."),
    _t("comment-format", "1", "Flags for printing comments on the console (1: legacy format).", width=16),
    _k("crlf-glob", "Globs of text files allowed to contain CR or CR+LF line endings.", versionable=True),
    _k("crnl-glob", "Older name of crlf-glob.", versionable=True),
    _k("default-csp", "Content-Security-Policy header text; $nonce becomes the per-page nonce."),
    _t("default-perms", "u", "Capabilities given to newly registered users.", width=16, sensitive=True),
    _b("diff-binary", "on", "Allow binary files to be passed to external diff programs."),
    _t("diff-command", None, "External command used for diffs instead of the built-in one.", sensitive=True),
    _b("dont-commit", "off", "Refuse commits into this repository."),
    _b("dont-push", "off", "Refuse to push from this repository."),
    _b("dotfiles", "off", "Include files whose names start with '.' by default.", versionable=True),
    _t("editor", None, "Text editor command used for check-in comments.", width=32, sensitive=True),
    _t("email-admin", None, "Address of the human administrator (abuse reports, password resets)."),
    _t("email-listid", None, "Value of the List-ID header on notification emails."),
    _t("email-renew-interval", None,
       "Days without contact after which subscriptions pause (14 or more to enable).", width=16),
    _t("email-self", None, "From address of outgoing notification emails."),
    _t("email-send-command", None,
       "Command that receives each email on stdin when the method is 'pipe'.", sensitive=True),
    _t("email-send-db", None, "SQLite file that collects emails when the method is 'db'.", sensitive=True),
    _t("email-send-dir", None, "Directory that receives one file per email when the method is 'dir'.", sensitive=True),
    _t("email-send-method", "off", "How email leaves: off, relay, pipe, dir, db or stdout.", width=5, sensitive=True),
    _t("email-send-relayhost", None, "SMTP host[:port] used when the method is 'relay'.", sensitive=True),
    _t("email-subname", None, "Short tag put in the Subject of notification emails, e.g. [project].", width=16),
    _t("email-url", None, "Base URL of the repository used in email links (no trailing slash)."),
    _k("empty-dirs", "Directories created empty on checkout and update.", versionable=True),
    _k("encoding-glob", "Globs of files exempt from the non-UTF-8 warning at commit.", versionable=True),
    _b("exec-rel-paths", "off", "Pass relative paths to external diff and merge commands."),
    _k("fileedit-glob", "Globs of files that may be edited online through /fileedit."),
    _b("forbid-delta-manifests", "off", "Never create delta manifests (a server asks its clients to comply)."),
    _t("gdiff-command", "gdiff", "External graphical diff command.", sensitive=True),
    _t("gmerge-command", None,
       "External graphical merge tool, with %baseline %original %merge %output.", sensitive=True),
    _t("hash-digits", "10", "Number of hash digits shown to people.", width=5),
    _k("hooks", "JSON list of hook commands run on events such as after-receive.", sensitive=True),
    _t("http-port", "8080", "Default TCP port of 'server' and 'ui'.", width=16),
    _b("https-login", "off", "Redirect the login page to HTTPS."),
    _k("ignore-glob", "Globs of files that add, addremove, clean and extras ignore.", versionable=True),
    _k("keep-glob", "Globs of files that 'clean' never deletes.", versionable=True),
    _t("large-file-size", "200000000", "Size in bytes above which commit warns about a file; 0 disables.", width=10),
    _b("localauth", "off", "Require a password even for requests from 127.0.0.1."),
    _t("lock-timeout", "60", "Seconds a server keeps a check-in lock; 0 disables locking.", width=25),
    _t("main-branch", "trunk", "Name of the project's primary branch."),
    _k("mainmenu", "Main menu entries as a list of label, URL, capability expression, classes.", width=70),
    _t("manifest", None, "Write manifest files into checkouts: on, or letters r, u, t.", width=5, versionable=True),
    _t("max-cache-entry", "10", "Entries kept in the tarball/zip web cache.", width=10),
    _t("max-loadavg", "0.0", "Load average above which expensive pages are refused; 0.0 for no limit.", width=25),
    _t("max-upload", "250000", "Largest HTTP request body accepted from a client.", width=25),
    _k("mimetypes", "Extra 'extension mimetype' lines mapping file names to content types.", versionable=True),
    _b("mtime-changes", "on", "Use file modification times to detect changed files."),
    _b("mv-rm-files", "off", "Make mv and rm also move or delete the files on disk."),
    _t("pgp-command", None, "Command used to clear-sign manifests.", sensitive=True),
    _t("preferred-diff-type", "0", "Default web diff format: 1 unified, 2 side-by-side.", width=16),
    _t("proxy", "system", "HTTP proxy URL; 'system' uses $http_proxy, 'off' connects directly.", width=32),
    _t("redirect-to-https", "0", "Redirect http to https: 0 never, 1 the login page, 2 always.", width=-1),
    _b("relative-paths", "on", "Show paths relative to the current directory."),
    _b("repo-cksum", "on", "Compute and check the R card checksum over all files of a check-in."),
    _t("repolist-skin", "0", "Use this repository's skin for repository lists (2: and hide it).", width=2),
    _t("safe-html", None, "Letters b f t w allowing unsafe HTML in docs, forum, tickets, wiki.", width=8),
    _b("self-pw-reset", "off", "Let users reset a forgotten password by email.", sensitive=True),
    _b("self-register", "off", "Let visitors create their own accounts.", sensitive=True),
    _k("sitemap-extra", "Extra /sitemap entries as triples of label, URL, capability expression.", width=70),
    _t("ssh-command", None, "Command used for ssh:// URLs.", sensitive=True),
    _t("ssl-ca-location", None, "File or directory of trusted CA certificates.", sensitive=True),
    _t("ssl-identity", None, "PEM file with a client certificate and key.", sensitive=True),
    _b("tcl", "off", "Make Tcl available to TH1 scripts.", sensitive=True),
    _k("tcl-setup", "Script run after the Tcl interpreter starts.", sensitive=True),
    _t("tclsh", "tclsh", "External Tcl shell, used by --tk diffs.", width=80, sensitive=True),
    _b("th1-docs", "off", "Evaluate TH1 inside embedded documentation.", sensitive=True),
    _b("th1-hooks", "off", "Call TH1 hook procedures before and after commands and pages."),
    _k("th1-setup", "Script run after the TH1 interpreter starts."),
    _k("th1-uri-regexp", "Regular expression of URIs that TH1 scripts may fetch."),
    _t("ticket-default-report", None, "Title of the report shown when the ticket search is empty.", width=80),
    _k("user-color-map", "Pairs 'login alias' that change the color chosen for a user."),
    _b("uv-sync", "off", "Sync unversioned files on every clone and sync."),
    _t("web-browser", None, "Command used to open a URL in a browser.", width=30, sensitive=True),
)


#: Settings only fossilpy knows.  Kept out of :data:`SETTINGS`, so that
#: ``fossilpy settings`` (and ``settings PREFIX``) lists exactly what
#: Fossil 2.21 lists; each is also edited by its own command and page
#: (named in its help), and ``settings``/``set``/``unset`` find it by its
#: full name.
EXTENSIONS: dict[str, Setting] = _registry(
    _t("attachment-max-size", "10000000", "Largest file, in bytes, that /attachadd accepts (the command has no limit);"
       " 0 means no limit (Fossil 2.21 has none).", width=10),
    _k("backoffice-peers", "Repositories the backoffice syncs with, one per line: URL [push|pull|sync] [SECONDS];"
       " edit with 'fossilpy peers' or /delivery.", width=70, sensitive=True),
    # search: Fossil 2.21 config rows (set on /srchsetup and by fts-config), not in its settings list
    _t("doc-branch", "trunk", "Branch whose embedded documents search reads (search-doc).", width=20),
    _t("doc-glob", None, "Globs of the embedded documents search reads, e.g. *.md,*.wiki (search-doc).", width=40),
    _t("email-reply-address", None, "Address whose PREFIX+TOKEN@DOMAIN forms become the Reply-To of forum and ticket"
       " alerts, e.g. fossil-reply@example.org; replies piped to 'fossilpy email-inbound' post (off when unset).",
       width=40),
    _t("email-reply-days", "60", "Days a reply address in an alert stays valid (email-reply-address).", width=5),
    _t("live-max-streams", "256", "Most /events live streams one server process keeps open at once (beyond: 503"
       " with Retry-After).", width=5),
    _b("search-ci", "off", "Search check-in comments (/search, fts-config enable c)."),
    _b("search-doc", "off", "Search embedded documents named by doc-glob on doc-branch (fts-config enable d)."),
    _b("search-forum", "off", "Search forum posts (fts-config enable f)."),
    _t("search-limit", "100", "Most results /search shows (0: no limit).", width=5),
    _b("search-stemmer", "off", "Index words by their Porter stem (fts-config stemmer on; indexed search only)."),
    _b("search-technote", "off", "Search technotes (fts-config enable e)."),
    _b("search-tkt", "off", "Search tickets (fts-config enable t)."),
    _b("search-wiki", "off", "Search wiki pages (fts-config enable w)."),
)


def find_setting(name: str, *, allow_prefix: bool = False) -> Setting:
    """The setting called ``name`` (or uniquely starting with it).

    An extension (:data:`EXTENSIONS`) is found by its full name only.
    Raises NotFound for no match and UserError for an ambiguous prefix.
    """
    exact = SETTINGS.get(name) or EXTENSIONS.get(name)
    if exact is not None:
        return exact
    if allow_prefix and name:
        matches = [s for s in SETTINGS if s.startswith(name)]
        if len(matches) == 1:
            return SETTINGS[matches[0]]
        if matches:
            raise UserError(f'ambiguous setting "{name}" - might be: {" ".join(matches)}')
    raise NotFound(f"no such setting: {name}")


def matching_settings(prefix: str) -> list[Setting]:
    """Settings whose name starts with ``prefix``, in name order (an extension: its full name)."""
    if prefix in EXTENSIONS:
        return [EXTENSIONS[prefix]]
    return [s for n, s in SETTINGS.items() if n.startswith(prefix)]


def registered(name: str) -> Setting:
    """The setting called exactly ``name`` (:data:`SETTINGS` or :data:`EXTENSIONS`).

    For code reading a setting: a name that is not registered is a bug
    (a typo would silently read no default), so ProgrammingError.  Config
    rows that are not settings are read with ``repo.config_get(name)``.
    """
    setting = SETTINGS.get(name) or EXTENSIONS.get(name)
    if setting is None:
        raise ProgrammingError(f"{name!r} is not a registered setting (a config row? use config_get)")
    return setting


# -- Fossil's rules for reading a value ------------------------------------------


def is_truth(text: str) -> bool:
    """Fossil's ``is_truth()``: "on", "yes", "true" or "1", in any case (nothing else)."""
    return text.lower() in ("on", "yes", "true", "1")


def is_false(text: str) -> bool:
    """Fossil's ``is_false()``: "off", "no", "false" or "0", in any case (nothing else)."""
    return text.lower() in ("off", "no", "false", "0")


def as_text(value: Any) -> str:
    """A config value as Fossil's ``db_get()`` returns it: text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def as_bool(value: Any, default: bool) -> bool:
    """Fossil's ``db_get_boolean()`` of a config value (None: no row).

    A truth word is True and a false word is False; no value, or any other
    text (" on", "2", "enabled"), is ``default``.
    """
    if value is None:
        return default
    text = as_text(value)
    if is_truth(text):
        return True
    return False if is_false(text) else default


#: SQLite's reading of text as an integer: optional blanks and sign, then digits.
_LEADING_INTEGER = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def as_int(value: Any) -> int:
    """Fossil's ``db_get_int()`` of a config row's value: ``sqlite3_column_int``.

    As SQLite converts: a number is truncated towards zero, text gives its
    leading integer ("12abc" is 12, "1e3" is 1) and anything else ("abc",
    "", NULL) is 0 - not the default: Fossil uses the default only when
    there is no row.
    """
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        return _INT64_MAX if value >= 2.0**63 else _INT64_MIN if value < -(2.0**63) else int(value)
    match = _LEADING_INTEGER.match(as_text(value))
    if match is None:
        return 0
    sign, digits = match.group(1), match.group(2).lstrip("0")
    if len(digits) > 19:  # out of range (and int() of a huge string would be slow or refused)
        return _INT64_MIN if sign == "-" else _INT64_MAX
    number = int(digits or "0")
    return max(-number, _INT64_MIN) if sign == "-" else min(number, _INT64_MAX)


def default_bool(setting: Setting) -> bool:
    """The truth of ``setting``'s default (no default: False)."""
    return setting.default is not None and is_truth(setting.default)


def default_int(setting: Setting) -> int:
    """``setting``'s default as the integer Fossil's code passes to ``db_get_int`` ("on" is 1)."""
    if setting.default is None:
        return 0
    return 1 if is_truth(setting.default) else as_int(setting.default)
