"""The setup and people pages through the WSGI app: /setup, /setup_config,
/setup_access, /setup_timeline, /setup_settings, /admin_log, /setup_ulist,
/setup_uedit, /setup_ucap_list, /setup_skin, /setup_skinedit, /setup_logo,
/logo, /register, /my and the password change on /login.

Every write is refused without its capability (Fossil's redirect to the
login page), without the form's CSRF token or from another origin, and
with a bad value (a clear message, status 400); then nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fossilpy.repo.capabilities import shared_secret
from tests.web.conftest import sql
from tests.web.wsgi import call

USERS = {"adm": "a", "dev": "v", "rdr": "o", "nopw": "jo"}


@pytest.fixture
def site(repo_copy: Path) -> Path:
    sql(repo_copy, "UPDATE user SET pw='rootpw' WHERE login='root'")
    sql(repo_copy, "UPDATE user SET cap='' WHERE login='anonymous'")
    for name, caps in USERS.items():
        sql(repo_copy, "INSERT INTO user(login,pw,cap,info) VALUES(?,?,?,'')", (name, name + "pw", caps))
    sql(repo_copy, "REPLACE INTO config(name,value,mtime) VALUES('admin-log','1',0)")
    return repo_copy


def _app(path: Path) -> Any:
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(path)))


def _login(app: Any, user: str) -> tuple[dict[str, str], str]:
    r = call(app, "/login", form={"u": user, "p": "rootpw" if user == "root" else user + "pw"})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return {name: value.replace("/", "%2F")}, value.split("/")[0][:10]


def _post(
    app: Any, user: str, page: str, form: list[tuple[str, str]] | dict[str, str], *, csrf: bool = True, **kw: Any
) -> Any:
    cookies, token = _login(app, user)
    pairs = list(form.items()) if isinstance(form, dict) else list(form)
    if csrf:
        pairs.append(("csrf", token))
    return call(app, page, cookies=cookies, form=pairs, **kw)


def _config(path: Path) -> list[tuple]:
    return sql(path, "SELECT name, value FROM config WHERE name NOT IN ('captcha-secret') ORDER BY name")


def _users(path: Path) -> list[tuple]:
    return sql(path, "SELECT uid, login, cap, info, pw FROM user ORDER BY uid")


def _log(path: Path) -> list[tuple]:
    if not sql(path, "SELECT 1 FROM sqlite_schema WHERE name='admin_log'"):
        return []
    return sql(path, "SELECT page, who, what FROM admin_log ORDER BY id")


def _error(text: str) -> str:
    start = text.index('class="generalError setup-error">') + len('class="generalError setup-error">')
    return text[start : text.index("</p>", start)]


# -- who may use which page ---------------------------------------------------------------

SETUP_ONLY = [
    ("/setup_config", {"pn": "Hacked", "submit": "1"}),
    ("/setup_access", {"selfreg": "on", "submit": "1"}),
    ("/setup_settings", {"hash-digits": "12", "submit": "1"}),
]
ADMIN = [
    ("/setup_timeline", {"tldl": "7", "submit": "1"}),
    ("/setup_uedit", {"id": "0", "login": "mallory", "info": "", "pw": "x", "as": "on", "apply": "1"}),
    ("/setup_skinedit", {"w": "0", "css": "body{}", "submit": "1"}),
    ("/setup_logo", {"clrlogo": "1"}),
]


@pytest.mark.parametrize(
    ("user", "pages"), [("adm", SETUP_ONLY), ("dev", SETUP_ONLY + ADMIN), ("rdr", SETUP_ONLY + ADMIN)]
)
def test_pages_refused_without_s_or_a(site: Path, user: str, pages: list) -> None:
    app = _app(site)
    before = (_config(site), _users(site), _log(site))
    for page, form in pages:
        r = _post(app, user, page, form)
        assert (r.status, r.header("Location")) == (302, f"http://localhost:8080/login?g={page[1:]}"), page
        cookies, _ = _login(app, user)
        get = call(app, page, cookies=cookies)
        assert get.status == 302 and get.header("Location").startswith("http://localhost:8080/login?g="), page
    assert (_config(site), _users(site), _log(site)) == before


def test_nobody_is_sent_to_login(site: Path) -> None:
    app = _app(site)
    for page in ("/setup", "/setup_ulist", "/setup_uedit?id=1", "/admin_log", "/setup_skin", "/setup_logo"):
        r = call(app, page)
        assert r.status == 302 and r.header("Location").startswith("http://localhost:8080/login?g="), page
    assert call(app, "/setup_ucap_list").status == 200  # Fossil's key needs no login
    assert call(app, "/logo").status == 200


def test_admin_menu_lists_setup_pages_only_for_setup(site: Path) -> None:
    app = _app(site)
    adm, _ = _login(app, "adm")
    root, _ = _login(app, "root")
    a = call(app, "/setup", cookies=adm).text
    s = call(app, "/setup", cookies=root).text
    for page in ("setup_ulist", "setup_timeline", "setup_skin", "setup_logo", "admin_log"):
        assert f'href="/{page}"' in a and f'href="/{page}"' in s
    for page in ("setup_access", "setup_config", "setup_settings", "setup_notification"):
        assert f'href="/{page}"' not in a and f'href="/{page}"' in s
    assert "secaudit0" not in s and "admin_sql" not in s  # pages fossilpy does not have are not offered


# -- CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "form"), SETUP_ONLY + ADMIN)
def test_csrf_and_origin(site: Path, page: str, form: dict[str, str]) -> None:
    app = _app(site)
    before = (_config(site), _users(site), _log(site))
    r = _post(app, "root", page, form, csrf=False)
    assert r.status == 403 and "cross-site or stale form submission refused" in r.text
    r = _post(app, "root", page, form, headers={"Origin": "http://evil.example"})
    assert r.status == 403
    assert (_config(site), _users(site), _log(site)) == before


# -- attribute pages -------------------------------------------------------------------------


def test_setup_config_writes_and_logs(site: Path) -> None:
    app = _app(site)
    r = _post(
        app,
        "root",
        "/setup_config",
        {"pn": "Renamed <b>Project</b>", "pd": "About it", "idxpg": "/timeline", "submit": "Apply Changes"},
    )
    assert r.status == 200 and "Changes saved." in r.text
    cfg = dict(_config(site))
    assert (cfg["project-name"], cfg["project-description"], cfg["index-page"]) == (
        "Renamed <b>Project</b>",
        "About it",
        "/timeline",
    )
    assert "download-tag" not in cfg  # unchanged fields are not written
    assert _log(site) == [
        ("setup_config", "root", "Set entry_attribute 'project-name' to: Renamed <b>Project</..."),
        ("setup_config", "root", "Set textarea_attribute 'project-description' to: About it"),
        ("setup_config", "root", "Set entry_attribute 'index-page' to: /timeline"),
    ]
    page = call(app, "/setup_config", cookies=_login(app, "root")[0]).text
    assert 'name="pn" value="Renamed &lt;b&gt;Project&lt;/b&gt;"' in page
    assert "<title>Renamed &lt;b&gt;Project&lt;/b&gt;: WWW Configuration</title>" in page
    log = call(app, "/admin_log", cookies=_login(app, "adm")[0]).text
    assert "Admin logging is on." in log
    assert (
        "<td>root</td><td>setup_config</td><td>Set entry_attribute &#39;project-name&#39; to: Renamed "
        "&lt;b&gt;Project&lt;/...</td>"
    ) in log


def test_admin_log_off_records_nothing(site: Path) -> None:
    sql(site, "UPDATE config SET value='0' WHERE name='admin-log'")
    app = _app(site)
    assert _post(app, "root", "/setup_config", {"pn": "X", "submit": "1"}).status == 200
    assert _log(site) == []
    assert "Admin logging is off." in call(app, "/admin_log", cookies=_login(app, "root")[0]).text


def test_setup_access_checkboxes_and_values(site: Path) -> None:
    app = _app(site)
    r = _post(
        app,
        "root",
        "/setup_access",
        {"selfreg": "on", "cex": "48", "redirhttps": "1", "defaultperms": "u7", "submit": "1"},
    )
    assert r.status == 200
    cfg = dict(_config(site))
    assert (cfg["self-register"], cfg["cookie-expire"], cfg["redirect-to-https"], cfg["default-perms"]) == (
        "1",
        "48",
        "1",
        "u7",
    )
    # absent boxes are "off": require-captcha (default on) and auto-captcha were turned off
    assert (cfg["require-captcha"], cfg["auto-captcha"], cfg["anon-subscribe"]) == ("0", "0", "0")
    assert ("setup_access", "root", "Set option [self-register] to [on].") in _log(site)
    assert ("setup_access", "root", "Set multiple_choice_attribute 'redirect-to-https' to: 1") in _log(site)
    page = call(app, "/setup_access", cookies=_login(app, "root")[0]).text
    assert (
        '<input type="checkbox" name="selfreg" id="idselfreg" aria-label="Allow users to register themselves"'
        ' checked="checked">' in page
    )
    assert '<option value="1" selected>Login Page Only</option>' in page


@pytest.mark.parametrize(
    ("page", "form", "message"),
    [
        ("/setup_access", {"cex": "two days"}, 'Login expiration time: "two days" is not a whole number'),
        ("/setup_access", {"mxldavg": "1.5x"}, 'Server Load Average Limit: "1.5x" is not a number'),
        ("/setup_access", {"redirhttps": "3"}, 'Redirect to HTTPS: "3" is not one of the choices (0, 1, 2)'),
        ("/setup_access", {"defaultperms": "uQ!"}, 'Default privileges: unknown capability letters "Q!"'),
        ("/setup_access", {"selfreg": "maybe"}, 'Allow users to register themselves: "maybe" is not on or off'),
        ("/setup_config", {"pn": "two\nlines"}, "Project Name: must be a single line"),
        ("/setup_timeline", {"tldl": "-"}, 'Default Number Of Rows: "-" is not a whole number'),
        ("/setup_timeline", {"tdss": "z"}, 'Style: "z" is not one of the choices (m, j, c, v, x)'),
        ("/setup_settings", {"hash-digits": "ten"}, 'hash-digits: "ten" is not a whole number'),
        ("/setup_settings", {"max-loadavg": "high"}, 'max-loadavg: "high" is not a number'),
        ("/setup_settings", {"default-perms": "u?"}, 'default-perms: unknown capability letter "?"'),
        ("/setup_settings", {"main-branch": "a\nb"}, "main-branch: must be a single line"),
    ],
)
def test_invalid_values_are_refused(site: Path, page: str, form: dict[str, str], message: str) -> None:
    app = _app(site)
    before = (_config(site), _log(site))
    # a valid change in the same form is not written either
    good = {
        "/setup_access": {"cex": "12"},
        "/setup_config": {"pd": "x"},
        "/setup_timeline": {"tmc": "9"},
        "/setup_settings": {"autosync": "off"},
    }[page]
    r = _post(app, "root", page, {**good, **form, "submit": "1"} if set(form) != set(good) else {**form, "submit": "1"})
    assert r.status == 400
    assert (
        _error(r.text)
        == message.replace('"', "&#34;").replace("'", "&#39;").replace("<", "&lt;") + " &mdash; nothing was changed."
    )
    assert (_config(site), _log(site)) == before


def test_setup_settings_lists_every_setting(site: Path) -> None:
    from fossilpy import settings

    app = _app(site)
    page = call(app, "/setup_settings", cookies=_login(app, "root")[0]).text
    for s in list(settings.SETTINGS.values()) + list(settings.EXTENSIONS.values()):
        if s.width < 0:
            assert f'name="{s.name}"' not in page
            continue
        qp = "autocaptcha" if s.name == "auto-captcha" else s.name
        assert f'name="{qp}"' in page, s.name
        assert s.help.replace("'", "&#39;").replace('"', "&#34;").replace("<", "&lt;") in page, s.name
    assert (
        '<label for="idbinary-glob">binary-glob</label> <span class="setup-versionable" title="versionable">'
        "(v)</span>" in page
    )
    assert '<label for="idmain-branch">main-branch</label></th>' in page  # not versionable: no mark
    r = _post(
        app, "root", "/setup_settings", {"hash-digits": "12", "mv-rm-files": "on", "http-port": "8080", "submit": "1"}
    )
    assert r.status == 200
    cfg = dict(_config(site))
    assert (cfg["hash-digits"], cfg["mv-rm-files"]) == ("12", "1")
    assert "http-port" not in cfg  # equal to its default: not written
    assert cfg["auto-shun"] == "0"  # an unchecked box turns a default-on boolean off, as Fossil


def test_setup_timeline(site: Path) -> None:
    app = _app(site)
    r = _post(app, "adm", "/setup_timeline", {"tldl": "25", "tdss": "c", "utc": "on", "submit": "1"})
    assert r.status == 200
    cfg = dict(_config(site))
    assert (cfg["timeline-default-length"], cfg["timeline-default-style"]) == ("25", "c")
    assert "timeline-utc" not in cfg  # on, as its default
    assert _log(site) == [  # the web repository has timeline-plaintext on; an absent box turns it off
        ("setup_timeline", "adm", "Set option [timeline-plaintext] to [off]."),
        ("setup_timeline", "adm", "Set multiple_choice_attribute 'timeline-default-style' to: c"),
        ("setup_timeline", "adm", "Set entry_attribute 'timeline-default-length' to: 25"),
    ]


# -- users ----------------------------------------------------------------------------------------


def _uedit(app: Any, user: str, caps: str, **fields: str) -> Any:
    form = list(fields.items()) + [("a" + c, "on") for c in caps] + [("apply", "Apply Changes")]
    return _post(app, user, "/setup_uedit", form)


def test_create_edit_rename_delete_user(site: Path, webrepo: Any) -> None:
    app = _app(site)
    r = _uedit(app, "root", "vdo2", id="0", login="carol", info="Carol <carol@example.org>", pw="s3cret")
    assert (r.status, r.header("Location")) == (302, "http://localhost:8080/setup_ulist")
    ((uid, caps, info, pw),) = sql(site, "SELECT uid, cap, info, pw FROM user WHERE login='carol'")
    assert (caps, info, pw) == (
        "dov2",
        "Carol <carol@example.org>",
        shared_secret("s3cret", "carol", webrepo.project_code),
    )
    assert _log(site) == [("setup_uedit", "root", "Updated user [carol] with capabilities [dov2].")]
    # the form shows it back: boxes, inherited marks, an obscured password
    form = call(app, f"/setup_uedit?id={uid}", cookies=_login(app, "root")[0]).text
    assert '<input type="checkbox" name="ao" checked="checked"> Check-Out' in form
    assert '<input type="checkbox" name="ae"> View-PII<span class="ueditInheritDeveloper"><sub>[D]</sub></span>' in form
    assert '<input type="checkbox" name="ag"> Clone<span class="ueditInheritNobody"><sub>[N]</sub></span>' in form
    assert 'name="pw" value="**********"' in form
    # "**********" keeps the password; a rename follows
    r = _uedit(app, "adm", "o", id=str(uid), login="caroline", info="C", pw="**********")
    assert r.status == 302
    assert sql(site, "SELECT login, cap, info, pw FROM user WHERE uid=?", (uid,)) == [("caroline", "o", "C", pw)]
    assert _log(site)[1:] == [
        ("setup_uedit", "adm", "Renamed user [carol] to [caroline]."),
        ("setup_uedit", "adm", "Updated user [caroline] with capabilities [o]."),
    ]
    # delete asks first, then deletes
    r = _post(app, "adm", "/setup_uedit", {"id": str(uid), "login": "caroline", "delete": "Delete User"})
    assert r.status == 200 and "Check this box and press &#34;Delete User&#34; again" in r.text
    assert sql(site, "SELECT count(*) FROM user WHERE uid=?", (uid,)) == [(1,)]
    r = _post(app, "adm", "/setup_uedit", {"id": str(uid), "login": "caroline", "delete": "1", "verifydelete": "on"})
    assert r.status == 302
    assert sql(site, "SELECT count(*) FROM user WHERE uid=?", (uid,)) == [(0,)]
    assert _log(site)[-1] == ("setup_uedit", "adm", f"Deleted user [caroline] (uid {uid}).")


@pytest.mark.parametrize(
    ("user", "caps", "fields", "status", "message"),
    [
        (
            "adm",
            "so",
            {"id": "0", "login": "eve", "info": "", "pw": "x"},
            403,
            "only a Setup user may grant capabilities s and y; nothing was written",
        ),
        (
            "adm",
            "y",
            {"id": "0", "login": "eve", "info": "", "pw": "x"},
            403,
            "only a Setup user may grant capabilities s and y; nothing was written",
        ),
        (
            "adm",
            "o",
            {"id": "1", "login": "root", "info": "", "pw": "x"},
            403,
            "User root has Setup privileges and you only have Admin privileges, so you may not change root;"
            " nothing was written",
        ),
        (
            "root",
            "oE",
            {"id": "0", "login": "eve", "info": "", "pw": "x"},
            400,
            "unknown capability letter &#34;E&#34;; nothing was written",
        ),
        ("root", "o", {"id": "0", "login": "", "info": "", "pw": "x"}, 400, "Empty login not allowed."),
        (
            "root",
            "o",
            {"id": "0", "login": "dev", "info": "", "pw": "x"},
            400,
            "Login &#34;dev&#34; is already used by a different user.",
        ),
    ],
)
def test_user_edit_refusals(
    site: Path, user: str, caps: str, fields: dict[str, str], status: int, message: str
) -> None:
    app = _app(site)
    before = (_users(site), _log(site))
    r = _uedit(app, user, caps, **fields)
    assert r.status == status and message in r.text
    assert (_users(site), _log(site)) == before


def test_user_list_and_capability_key(site: Path) -> None:
    app = _app(site)
    page = call(app, "/setup_ulist", cookies=_login(app, "adm")[0]).text
    assert "<td>All users without login</td>" in page and "<td>gjorz</td>" in page
    assert '<a href="/setup_uedit?id=1">root</a></td><td>s</td>' in page
    assert page.index(">adm</a>") < page.index(">alice</a>") < page.index(">dev</a>")
    only = call(app, "/setup_ulist?with=s", cookies=_login(app, "adm")[0]).text
    assert 'Users with capability "s"' in only and ">root</a>" in only and ">dev</a>" not in only
    key = call(app, "/setup_ucap_list", cookies=_login(app, "adm")[0]).text
    assert '<tr><th valign="top">s</th><td>Superuser</td><td>Setup and configure the repository</td>' in key
    assert '<a href="/setup_ulist?with=i">' in key


# -- skin and logo ----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_css_is_served_after_the_built_in_rules(site: Path) -> None:
    app = _app(site)
    plain = call(app, "/style.css").body
    r = _post(app, "adm", "/setup_skinedit", {"w": "0", "css": "body { background: #fee; }", "submit": "1"})
    assert r.status == 200 and "Changes saved." in r.text
    css = call(app, "/style.css")
    assert css.body.startswith(plain) and css.body.endswith(b"*/\nbody { background: #fee; }")
    assert css.header("Cache-control") == "no-cache" and css.header("ETag")
    assert _log(site) == [("setup_skinedit", "adm", "Set textarea_attribute 'css' to: body { background: #...")]
    r = _post(app, "adm", "/setup_skinedit", {"w": "0", "revert": "1"})
    assert call(app, "/style.css").body == plain


def test_header_with_th1_is_reported(site: Path) -> None:
    app = _app(site)
    r = _post(app, "adm", "/setup_skinedit", {"w": "2", "header": "<div>$project_name</div>", "submit": "1"})
    assert r.status == 200 and "uses TH1" in r.text
    assert dict(_config(site))["header"] == "<div>$project_name</div>"
    skin = call(app, "/setup_skin", cookies=_login(app, "adm")[0]).text
    assert "customized, but it uses TH1, which fossilpy cannot run: the built-in one is shown instead" in skin
    assert "$project_name" not in skin and '<header class="site">' in skin


def test_plain_header_and_footer_replace_the_built_in_ones(site: Path) -> None:
    app = _app(site)
    assert (
        _post(
            app, "adm", "/setup_skinedit", {"w": "2", "header": '<div class="myhead">My Head</div>', "submit": "1"}
        ).status
        == 200
    )
    assert (
        _post(app, "adm", "/setup_skinedit", {"w": "1", "footer": "<div class=myfoot>Foot</div>", "submit": "1"}).status
        == 200
    )
    page = call(app, "/timeline").text
    assert '<div class="myhead">My Head</div>' in page and '<header class="site">' not in page
    assert "<div class=myfoot>Foot</div>" in page and "by fossilpy." not in page
    assert '<nav class="mainmenu">' in page  # the menu stays
    skin = call(app, "/setup_skin", cookies=_login(app, "adm")[0]).text
    assert skin.count("customized (in use)") == 2
    _post(app, "adm", "/setup_skinedit", {"w": "2", "revert": "1"})
    assert '<header class="site">' in call(app, "/timeline").text


def _logo_post(
    app: Any, user: str, data: bytes, *, name: str = "l.png", field: str = "logoim", button: str = "setlogo"
) -> Any:
    cookies, token = _login(app, user)
    b = "XyZ"
    body = (
        (
            f'--{b}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + (f'\r\n--{b}\r\nContent-Disposition: form-data; name="{button}"\r\n\r\nChange\r\n--{b}--\r\n').encode()
    )
    return call(
        app, "/setup_logo", cookies=cookies, method="POST", body=body, content_type=f"multipart/form-data; boundary={b}"
    )


def test_logo_upload_and_refusals(site: Path) -> None:
    app = _app(site)
    before = _config(site)
    r = _logo_post(app, "adm", b"<svg onload=alert(1)>")
    assert r.status == 400 and "The file is not a PNG, GIF, JPEG or WebP image. Nothing was changed." in r.text
    r = _logo_post(app, "adm", PNG + b"\x00" * 1_000_000)
    assert r.status == 400 and "The image is 1000048 bytes; the logo may be at most 1000000 bytes." in r.text
    assert _config(site) == before
    r = _logo_post(app, "adm", PNG)
    assert (r.status, r.header("Location")) == (302, "http://localhost:8080/setup_logo")
    logo = call(app, "/logo")
    assert (logo.status, logo.body, logo.header("Content-Type")) == (200, PNG, "image/png")
    assert _log(site) == [("setup_logo", "adm", "Set the logo (image/png, 48 bytes).")]
    assert call(app, "/background").body[:6] == b"GIF89a"  # Fossil's built-in white square
    r = _logo_post(app, "adm", b"GIF89a" + b"\x00" * 10, field="bgim", button="setbg")
    assert r.status == 302
    assert (call(app, "/background").body, call(app, "/background").header("Content-Type")) == (
        b"GIF89a" + b"\x00" * 10,
        "image/gif",
    )
    assert call(app, "/logo").body == PNG  # the logo is untouched
    r = _post(app, "adm", "/setup_logo", {"clrlogo": "Revert To Default"})
    assert r.status == 302 and call(app, "/logo").header("Content-Type") == "image/svg+xml"
    assert _log(site)[1:] == [
        ("setup_logo", "adm", "Set the background image (image/gif, 16 bytes)."),
        ("setup_logo", "adm", "Removed the logo."),
    ]


# -- self-registration, /my and password change ----------------------------------------------------------


def _register_form(app: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(cookies, form fields) of a fresh /register form: the visitor's csrf cookie, token and solved captcha."""
    import re

    page = call(app, "/register")
    assert page.status == 200
    seed = re.search(r'name="captchaseed" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    from fossilpy.web import auth

    cookies = dict(page.cookies())
    return cookies, {"captchaseed": seed, "captcha": auth.captcha_answer(secret_of(app), seed), "csrf": token}


def _register(app: Any, **fields: str) -> Any:
    cookies, form = _register_form(app)
    return call(app, "/register", cookies=cookies, form={**form, **fields})


def secret_of(app: Any) -> str:
    from fossilpy.repo.db import Repo

    with Repo.open(app.config.repository) as r:
        return str(r.config_get("captcha-secret"))


def test_register_closed_by_default(site: Path) -> None:
    app = _app(site)
    r = call(app, "/register")
    assert r.status == 200 and "This project does not allow user self-registration." in r.text


def test_register(site: Path, webrepo: Any) -> None:
    sql(site, "REPLACE INTO config(name,value,mtime) VALUES('self-register','1',0)")
    app = _app(site)
    good = {
        "u": "newbie1",
        "dn": "New Bie",
        "ea": "newbie@example.org",
        "p": "pass123",
        "cp": "pass123",
        "new": "Register",
    }
    before = _users(site)
    for change, line_error in [
        ({"captcha": "00000000"}, "Incorrect CAPTCHA"),
        ({"u": "short"}, "User ID too short. Must be at least 6 characters."),
        ({"u": "bad name"}, "User ID may not contain spaces or special characters."),
        ({"dn": ""}, "Required"),
        ({"ea": "nope"}, "Not a valid email address"),
        ({"cp": "pass124"}, "Passwords do not match"),
        ({"p": "abc", "cp": "abc"}, "Password must be at least 6 characters long"),
        ({"ea": "alice@example.org"}, "This email address is already associated with a user"),
    ]:
        r = _register(app, **{**good, **change})
        assert r.status == 400 and f"&uarr; {line_error}</span>" in r.text, (change, r.text[-3000:])
    assert _users(site) == before
    cookies, form = _register_form(app)
    form.update(good)
    r = call(app, "/register", cookies=cookies, form=form)
    assert (r.status, r.header("Location")) == (302, "http://localhost:8080/home"), r.text
    ((caps, info, pw),) = sql(site, "SELECT cap, info, pw FROM user WHERE login='newbie1'")
    assert (caps, pw) == ("u", shared_secret("pass123", "newbie1", webrepo.project_code))
    assert info.startswith("New Bie <newbie@example.org>\nself-register from ip 192.0.2.10 on 20")
    assert list(r.cookies())  # logged in
    # the same captcha cannot be used twice
    again = call(app, "/register", cookies=cookies, form={**form, "u": "newbie2", "ea": "n2@example.org"})
    assert again.status == 400 and "&uarr; Incorrect CAPTCHA</span>" in again.text


def test_register_user_id_taken_and_email_globs(site: Path) -> None:
    sql(site, "REPLACE INTO config(name,value,mtime) VALUES('self-register','1',0)")
    sql(site, "REPLACE INTO config(name,value,mtime) VALUES('auth-sub-email','*@example.org',0)")
    app = _app(site)
    good = {"u": "newbie1", "dn": "N", "ea": "n@other.org", "p": "pass123", "cp": "pass123", "new": "1"}
    r = _register(app, **good)
    assert r.status == 400 and "&uarr; Not an authorized email address</span>" in r.text
    sql(site, "INSERT INTO user(login,pw,cap,info) VALUES('newbie1','x','o','')")
    r = _register(app, **{**good, "ea": "n@example.org"})
    assert r.status == 400 and "&uarr; This User ID is already taken. Choose something different.</span>" in r.text


def test_password_change_on_my_page(site: Path, webrepo: Any) -> None:
    sql(site, "UPDATE user SET cap='op' WHERE login='rdr'")
    app = _app(site)
    cookies, _ = _login(app, "rdr")
    page = call(app, "/my", cookies=cookies)
    assert page.status == 200 and "Change Password for user <b>rdr</b>:" in page.text
    r = call(app, "/login", cookies=cookies, form={"p": "wrong", "n1": "newpw1", "n2": "newpw1"})
    assert r.status == 400 and "You entered an incorrect old password" in r.text
    r = call(app, "/login", cookies=cookies, form={"p": "rdrpw", "n1": "newpw1", "n2": "newpw2"})
    assert r.status == 400 and "The two copies of your new passwords do not match." in r.text
    assert sql(site, "SELECT pw FROM user WHERE login='rdr'") == [("rdrpw",)]
    r = call(app, "/login", cookies=cookies, form={"p": "rdrpw", "n1": "newpw1", "n2": "newpw1"})
    assert r.status == 302
    assert sql(site, "SELECT pw FROM user WHERE login='rdr'") == [
        (shared_secret("newpw1", "rdr", webrepo.project_code),)
    ]
    assert _log(site) == [("login", "rdr", "password change for user rdr")]
    # without p there is no form and no change
    dev, _ = _login(app, "dev")
    assert "Change Password" not in call(app, "/my", cookies=dev).text


def test_register_with_email_verification(site: Path) -> None:
    from tests.web.conftest import enable_alerts

    enable_alerts(site, "https://fossil.example/repo")
    for name, value in (("self-register", "1"), ("selfreg-verify", "1"), ("default-perms", "o7")):
        sql(site, "REPLACE INTO config(name,value,mtime) VALUES(?,?,0)", (name, value))
    app = _app(site)
    r = _register(
        app, u="verify1", dn="Vera", ea="vera@example.org", p="pass123", cp="pass123", alerts="1", new="Register"
    )
    assert r.status == 200 and 'An email has been sent to "vera@example.org".' in r.text
    assert sql(site, "SELECT cap FROM user WHERE login='verify1'") == [("7",)]  # until the address is verified
    ((code, ssub, verified),) = sql(
        site, "SELECT hex(subscriberCode), ssub, sverified FROM subscriber WHERE suname='verify1'"
    )
    assert (ssub, verified) == ("ac", 0)
    ((payload,),) = sql(site, "SELECT payload FROM fx_journal WHERE dest='vera@example.org'")
    assert b"Subject: Subscription verification" in payload
    assert call(app, f"/alerts/{code}").status == 200  # the link in the mail
    assert sql(site, "SELECT cap FROM user WHERE login='verify1'") == [("o7",)]
