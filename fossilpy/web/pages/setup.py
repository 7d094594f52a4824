"""The setup pages of Fossil 2.21's ``src/setup.c``: /setup, /setup_config,
/setup_access, /setup_timeline, /setup_settings and /admin_log.

Each page is a list of *attributes*, as Fossil builds them with
``onoff_attribute``, ``entry_attribute``, ``textarea_attribute`` and
``multiple_choice_attribute``: a config row (``var``) edited through a form
field with Fossil's short name (``qp``: ``pn`` for ``project-name``,
``cex`` for ``cookie-expire``, ...), so that operators' scripts that post
to Fossil's pages work here.  On a POST with ``submit``:

* the form's origin and ``csrf`` token are checked (else 403);
* a checkbox that is absent means "off", as in Fossil;
* every value is checked before anything is written: a number where a
  number is due, one of the offered choices, a single line in a one-line
  field, capability letters that exist; the first bad value is shown on
  the page (status 400) and nothing is written (Fossil 2.21 writes
  whatever it gets);
* the changed rows are written in one transaction, each with its entry in
  the admin log (:mod:`fossilpy.repo.admin_log`) when ``admin-log`` is on.

Who may use them is Fossil's rule: /setup, /setup_timeline and
/admin_log need Admin (``a``, which Setup implies); /setup_config,
/setup_access and /setup_settings need Setup (``s``).  Others are sent to
the login page.  The user pages are in
:mod:`fossilpy.web.pages.setup_users`, the skin and logo pages in
:mod:`fossilpy.web.pages.setup_skin`.
"""

from __future__ import annotations

import re

from fossilpy import settings as registry
from fossilpy.repo import admin_log
from fossilpy.web.pages.setup_form import Attr, attribute_page, is_int_text
from fossilpy.web.request import Response
from fossilpy.web.routes import PAGE_MODULES, Context, PageSet

pages = PageSet()

# -- /setup ----------------------------------------------------------------------

#: (label, page, description, setup only), as Fossil's setup menu.
MENU = (
    ("Users", "setup_ulist", "Grant privileges to individual users.", False),
    ("Access", "setup_access", "Control access settings.", True),
    ("Configuration", "setup_config", "Configure the WWW components of the repository", True),
    ("Settings", "setup_settings", 'Web interface to the "fossil settings" command', True),
    ("Timeline", "setup_timeline", "Timeline display preferences", False),
    ("Search", "srchsetup", "Configure the built-in search engine", False),
    ("Notification", "setup_notification", "Automatic notifications of changes via outbound email", True),
    ("Skins", "setup_skin", 'Select and/or modify the web interface "skins"', False),
    ("Moderation", "modreq", "Pending moderation requests", False),
    ("Logo", "setup_logo", "Change the logo and background images for the server", False),
    ("Delivery", "delivery", "The delivery journal of outgoing email and peer sync", False),
    ("Subscribers", "subscribers", "Email alert subscribers", False),
    ("Administrative Log", "admin_log", "View the admin_log entries", False),
    ("Unversioned Files", "uvlist?byage=1", "Show all unversioned files held", False),
    ("Stats", "stat", "Repository Status Reports", False),
    ("Sitemap", "sitemap", "Links to miscellaneous pages", False),
)


@pages.webpage("/setup", caps="a")
def setup(ctx: Context) -> Response:
    """/setup

    The menu of administrative pages (Admin or Setup); pages only a setup
    user may use are listed only for setup users."""
    entries = [
        (label, target, text)
        for label, target, text, setup_only in MENU
        if target.split("?")[0] in PAGE_MODULES and (ctx.has("s") or not setup_only)
    ]
    return ctx.render("setup.html", title="Server Administration", entries=entries)


# -- /setup_config ---------------------------------------------------------------------

CONFIG_ATTRS = [
    Attr(
        "entry",
        "Project Name",
        "project-name",
        "pn",
        "",
        size=60,
        help="Shown in the title of every page and as the name of the home wiki page.",
    ),
    Attr(
        "textarea",
        "Project Description",
        "project-description",
        "pd",
        "",
        size=80,
        help="A sentence or two about the project, used by repository lists.",
    ),
    Attr(
        "entry",
        "Canonical Server URL",
        "email-url",
        "eurl",
        "",
        size=40,
        help="The URL people use to reach this repository (also the base of links in emails).",
    ),
    Attr(
        "entry",
        "Tarball and ZIP-archive Prefix",
        "short-project-name",
        "spn",
        "",
        size=20,
        help="Short name used as the prefix of downloaded archives.",
    ),
    Attr(
        "entry", "Download Tag", "download-tag", "dlt", "trunk", size=20, help="The check-in the download page offers."
    ),
    Attr(
        "entry",
        "Index Page",
        "index-page",
        "idxpg",
        "/home",
        size=60,
        help='The page shown for the top of the site, e.g. "/home", "/timeline" or "/wiki?name=Intro".',
    ),
    Attr(
        "textarea",
        "Main Menu",
        "mainmenu",
        "mmenu",
        "",
        size=80,
        help="Main menu entries (label, URL, capabilities, classes); empty for the built-in menu.",
    ),
    Attr(
        "textarea",
        "Custom Sitemap Entries",
        "sitemap-extra",
        "smextra",
        "",
        size=80,
        help="Extra /sitemap entries as triples of label, URL, capability expression.",
    ),
]


@pages.webpage("/setup_config", caps="s", methods=("GET", "HEAD", "POST"))
def setup_config(ctx: Context) -> Response:
    """/setup_config

    The project's name (pn), description (pd), canonical URL (eurl),
    archive prefix (spn), download tag (dlt), index page (idxpg), main
    menu (mmenu) and sitemap entries (smextra).  Setup users only."""
    return attribute_page(ctx, "setup_config", "WWW Configuration", [("", CONFIG_ATTRS)])


# -- /setup_access -----------------------------------------------------------------------

_YES_NO = "Changes take effect on the next request."
ACCESS_ATTRS = [
    Attr(
        "choice",
        "Redirect to HTTPS",
        "redirect-to-https",
        "redirhttps",
        "0",
        choices=(("0", "Off"), ("1", "Login Page Only"), ("2", "All Pages")),
        help="Send visitors who come over plain http to https.",
    ),
    Attr(
        "onoff",
        "Require password for local access",
        "localauth",
        "localauth",
        "0",
        help="Without it, requests from 127.0.0.1 to 'fossil ui' get setup rights without a login.",
    ),
    Attr(
        "onoff",
        "Enable /test_env",
        "test_env_enable",
        "test_env_enable",
        "0",
        help="Fossil's page of CGI and environment details (fossilpy has none; kept for fossil on this file).",
    ),
    Attr(
        "onoff",
        "Enable /artifact_stats",
        "artifact_stats_enable",
        "artifact_stats_enable",
        "0",
        help="Fossil's artifact statistics page for everyone who may check out (fossilpy has none).",
    ),
    Attr(
        "onoff",
        "Allow REMOTE_USER authentication",
        "remote_user_ok",
        "remote_user_ok",
        "0",
        help="Trust the REMOTE_USER the web server passes in.",
    ),
    Attr(
        "onoff",
        "Allow HTTP_AUTHENTICATION authentication",
        "http_authentication_ok",
        "http_authentication_ok",
        "0",
        help="Accept HTTP basic authentication.",
    ),
    Attr(
        "entry",
        "Login expiration time",
        "cookie-expire",
        "cex",
        "8766",
        size=6,
        check="int",
        help="Hours a persistent login cookie stays valid.",
    ),
    Attr(
        "entry",
        "Download packet limit",
        "max-download",
        "mxdwn",
        "5000000",
        size=10,
        check="int",
        help="Bytes a sync reply may carry.",
    ),
    Attr(
        "entry",
        "Download time limit",
        "max-download-time",
        "mxdwnt",
        "30",
        size=11,
        check="int",
        help="Seconds a sync reply may take to build.",
    ),
    Attr(
        "entry",
        "Server Load Average Limit",
        "max-loadavg",
        "mxldavg",
        "0.0",
        size=11,
        check="number",
        help="Above this load average, costly pages are refused (0.0: no limit).",
    ),
    Attr(
        "choice",
        "Enable hyperlinks base on User-Agent and/or Javascript",
        "auto-hyperlink",
        "autohyperlink",
        "1",
        choices=(("0", "Off"), ("2", "UserAgent only"), ("1", "UserAgent and Javascript")),
        help="Give hyperlinks to visitors without 'h' who look human.",
    ),
    Attr(
        "entry",
        "Delay in milliseconds before enabling hyperlinks",
        "auto-hyperlink-delay",
        "ah-delay",
        "50",
        size=5,
        check="int",
    ),
    Attr("onoff", "Also require a mouse event before enabling hyperlinks", "auto-hyperlink-mouseover", "ahmo", "0"),
    Attr(
        "onoff",
        "Require a CAPTCHA if not logged in",
        "require-captcha",
        "reqcapt",
        "1",
        help="Visitors who are not logged in solve a captcha before they change anything.",
    ),
    Attr(
        "entry",
        "Public pages",
        "public-pages",
        "pubpage",
        "",
        size=30,
        help="Globs of pages anyone may see with the capabilities of the Default privileges.",
    ),
    Attr(
        "onoff",
        "Allow users to register themselves",
        "self-register",
        "selfreg",
        "0",
        help="Offer /register, where visitors create their own account.",
    ),
    Attr("onoff", "Allow users to reset their own passwords", "self-pw-reset", "selfpw", "0"),
    Attr(
        "onoff",
        "Email verification required for self-registration",
        "selfreg-verify",
        "sfverify",
        "0",
        help="New accounts start with capability 7 only until their email address is verified.",
    ),
    Attr("onoff", "Allow anonymous subscriptions", "anon-subscribe", "anonsub", "1"),
    Attr(
        "entry",
        "Authorized subscription email addresses",
        "auth-sub-email",
        "asemail",
        "",
        size=35,
        help="Comma-separated globs of the addresses that may subscribe or register (empty: any).",
    ),
    Attr(
        "entry",
        "Default privileges",
        "default-perms",
        "defaultperms",
        "u",
        size=10,
        check="caps",
        help="Capabilities of a self-registered user and of public pages.",
    ),
    Attr("onoff", "Show javascript button to fill in CAPTCHA", "auto-captcha", "autocaptcha", "1"),
]


@pages.webpage("/setup_access", caps="s", methods=("GET", "HEAD", "POST"))
def setup_access(ctx: Context) -> Response:
    """/setup_access

    Access control: https redirection, local access, login lifetime,
    limits, captchas, self-registration (selfreg), default privileges
    (defaultperms) ...  Setup users only."""
    return attribute_page(ctx, "setup_access", "Access Control Settings", [("", ACCESS_ATTRS)], note=_YES_NO)


# -- /setup_timeline -----------------------------------------------------------------------

TIMELINE_ATTRS = [
    Attr("onoff", "Allow block-markup in timeline", "timeline-block-markup", "tbm", "0"),
    Attr("onoff", "Plaintext comments on timelines", "timeline-plaintext", "tpt", "0"),
    Attr("onoff", "Truncate comment at first blank line (Git-style)", "timeline-truncate-at-blank", "ttb", "0"),
    Attr("onoff", "Break comments at newline characters", "timeline-hard-newlines", "thnl", "0"),
    Attr("onoff", "Use Universal Coordinated Time (UTC)", "timeline-utc", "utc", "1"),
    Attr(
        "choice",
        "Style",
        "timeline-default-style",
        "tdss",
        "0",
        choices=(
            ("m", "Modern View"),
            ("j", "Columnar View"),
            ("c", "Compact View"),
            ("v", "Verbose View"),
            ("x", "Classic View"),
        ),
    ),
    Attr("entry", "Default Number Of Rows", "timeline-default-length", "tldl", "50", size=6, check="int"),
    Attr(
        "choice",
        "Per-Item Time Format",
        "timeline-date-format",
        "tdf",
        "0",
        choices=(("0", "HH:MM"), ("1", "HH:MM:SS"), ("2", "YYYY-MM-DD HH:MM"), ("3", "YYMMDD HH:MM"), ("4", "(off)")),
    ),
    Attr("entry", "Max timeline comment length", "timeline-max-comment", "tmc", "0", size=6, check="int"),
    Attr("entry", "Tooltip dwell time (milliseconds)", "timeline-dwelltime", "tdt", "100", size=6, check="int"),
    Attr("entry", "Tooltip close time (milliseconds)", "timeline-closetime", "tct", "250", size=6, check="int"),
    Attr("onoff", "Timestamp hyperlinks to /info", "timeline-tslink-info", "ttlti", "0"),
]


@pages.webpage("/setup_timeline", caps="a", methods=("GET", "HEAD", "POST"))
def setup_timeline(ctx: Context) -> Response:
    """/setup_timeline

    How timelines are shown: markup, UTC, default style (tdss) and length
    (tldl), time format (tdf), comment length (tmc) ...  Admin users."""
    return attribute_page(ctx, "setup_timeline", "Timeline Display Preferences", [("", TIMELINE_ATTRS)])


# -- /srchsetup ---------------------------------------------------------------------------------

SEARCH_ATTRS = [
    Attr(
        "textarea",
        "Document Glob List",
        "doc-glob",
        "dg",
        "",
        size=35,
        help="Files matching one of these globs, on the document branch, are searched as documents.",
    ),
    Attr("entry", "Document Branch", "doc-branch", "db", "trunk", size=20),
    Attr("onoff", "Search Check-in Comments", "search-ci", "sc", "0"),
    Attr("onoff", "Search Documents", "search-doc", "sd", "0"),
    Attr("onoff", "Search Tickets", "search-tkt", "st", "0"),
    Attr("onoff", "Search Wiki", "search-wiki", "sw", "0"),
    Attr("onoff", "Search Tech Notes", "search-technote", "se", "0"),
    Attr("onoff", "Search Forum", "search-forum", "sf", "0"),
    Attr("onoff", "Use Porter Stemmer", "search-stemmer", "ss", "0"),
]


@pages.webpage("/srchsetup", caps="a", methods=("GET", "HEAD", "POST"))
def srchsetup(ctx: Context) -> Response:
    """/srchsetup

    What /search looks through (sc check-in comments, sd documents matching
    dg on branch db, st tickets, sw wiki, se technotes, sf forum) and the
    full-text index: fts1 creates (or rebuilds) it, fts0 deletes it.  Admin
    users."""
    from fossilpy.repo import search_index
    from fossilpy.web import forms

    done = ""
    req = ctx.req
    if req.method == "POST" and (req.get("fts0") is not None or req.get("fts1") is not None):
        forms.check_post(ctx)
        with forms.writable(ctx) as w, w.write():
            search_index.register(w)
            search_index.drop(w)
            if req.get("fts1") is not None:
                search_index.rebuild_index(w)
                done = "The full-text index was built."
            else:
                done = "The full-text index was deleted."
            admin_log.record(w, "srchsetup", ctx.login.display, done)
    has_index = search_index.exists(ctx.repo) if not done else req.get("fts1") is not None
    buttons = (
        (("fts0", "Delete The Full-Text Index"), ("fts1", "Rebuild The Full-Text Index"))
        if has_index
        else (("fts1", "Create A Full-Text Index"),)
    )
    return attribute_page(ctx, "srchsetup", "Search Configuration", [("", SEARCH_ATTRS)], buttons=buttons, done=done)


# -- /setup_settings ---------------------------------------------------------------------------

_NUMBER_DEFAULT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _setting_attr(s: registry.Setting) -> Attr:
    qp = "autocaptcha" if s.name == "auto-captcha" else s.name
    if s.kind == "boolean":
        return Attr("onoff", "", s.name, qp, s.default, help=s.help, versionable=s.versionable)
    if s.kind == "block":
        return Attr("textarea", "", s.name, qp, s.default, size=35, help=s.help, versionable=s.versionable)
    check = ""
    if s.default is not None and _NUMBER_DEFAULT.fullmatch(s.default):
        check = "int" if is_int_text(s.default) else "number"
    if s.name in ("default-perms",):
        check = "caps"
    return Attr("entry", "", s.name, qp, s.default, size=25, check=check, help=s.help, versionable=s.versionable)


def settings_attrs() -> list[tuple[str, list[Attr]]]:
    """The /setup_settings sections: on/off settings, one-line ones, multi-line ones,
    then fossilpy's own settings; those with a negative width are on other pages."""
    sections: list[tuple[str, list[Attr]]] = []
    for heading, table in (("", registry.SETTINGS), ("fossilpy's own settings", registry.EXTENSIONS)):
        shown = [_setting_attr(s) for s in table.values() if s.width >= 0]
        for kind, title in (("onoff", "On/off settings"), ("entry", "Values"), ("textarea", "Lists and texts")):
            group = [a for a in shown if a.kind == kind]
            if group:
                sections.append((f"{heading}: {title}" if heading else title, group))
    return sections


@pages.webpage("/setup_settings", caps="s", methods=("GET", "HEAD", "POST"))
def setup_settings(ctx: Context) -> Response:
    """/setup_settings

    Every setting of "fossil settings", with its help; each form field is
    named after its setting.  Versionable settings are marked (v): a
    checkout's .fossil-settings file overrides them.  Setup users only."""
    return attribute_page(
        ctx,
        "setup_settings",
        "Settings",
        settings_attrs(),
        layout="settings",
        note="Settings marked (v) are versionable: a checked-in .fossil-settings/NAME"
        " file overrides the value set here.",
    )


# -- /admin_log ----------------------------------------------------------------------------------


@pages.webpage("/admin_log", caps="a")
def admin_log_page(ctx: Context) -> Response:
    """/admin_log?n=LIMIT&x=OFFSET

    The administrative log, newest first: who changed which setting or
    user, from which page (Admin users).  Entries are recorded while the
    admin-log setting is on."""
    req = ctx.req
    limit = max(1, min(req.int("n", 200), 10000))
    offset = max(0, req.int("x", 0))
    rows, more = admin_log.entries(ctx.repo, limit, offset)
    return ctx.render(
        "admin_log.html",
        title="Admin Log",
        rows=rows,
        more=more,
        limit=limit,
        offset=offset,
        enabled=ctx.repo.setting_bool("admin-log"),
        newer=max(0, offset - limit),
    )
