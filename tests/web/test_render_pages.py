"""Every page renders to the same bytes on fossilpy's template runtime as on jinja2.

Each page of a repository (every registered page name without arguments,
then the pages of each check-in, file, wiki page, ticket and technote of the
web tests' repository) is requested as the admin; every template the page
renders is rendered a second time through a plain jinja2 Environment with the
settings and filters pages had before fossilpy's runtime
(``test_render_runtime.reference_env``), from the same values, and the two
texts must be equal.  Then: a template that fails still gives the error
page; a CGI request with compiled templates in the cache imports no jinja2.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest

from fossilpy.web import render
from tests.web.conftest import WebRepo, sql
from tests.web.test_render_runtime import reference_env
from tests.web.wsgi import call

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "www" / "templates"


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Renders every template twice (runtime, then jinja2) and records what differed."""
    reference = reference_env(jinja2.FileSystemLoader(str(TEMPLATES)))
    seen: dict[str, Any] = {"templates": set(), "diffs": [], "renders": 0}
    runtime_render = render.Renderer.render_string

    def twice(self: render.Renderer, template: str, **values: Any) -> str:
        if "now" in values:  # base.html prints the time the page took
            values.update(now=lambda: 1.25, started=1.0)
        ours = runtime_render(self, template, **values)
        theirs = reference.get_template(template).render(**values)
        seen["templates"].add(template)
        seen["renders"] += 1
        if ours != theirs:
            at = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), len(ours))
            seen["diffs"].append((template, ours[at - 60 : at + 60], theirs[at - 60 : at + 60]))
        return ours

    monkeypatch.setattr(render.Renderer, "render_string", twice)
    return seen


def _admin_app(path: Path) -> tuple[Any, dict[str, str]]:
    from fossilpy.web.app import AppConfig, make_app

    sql(path, "UPDATE user SET pw='rootpw' WHERE login='root'")
    app = make_app(AppConfig(repository=str(path)))
    r = call(app, "/login", form={"u": "root", "p": "rootpw"})
    assert r.status == 302, r.text
    ((name, value),) = r.cookies().items()
    return app, {name: value.replace("/", "%2F")}


#: Not HTML pages (streams, long polls, archives, sync, files) or not for this test (logout).
_NOT_PAGES = {
    "logout",
    "xfer",
    "chat-poll",
    "events",
    "tarball",
    "zip",
    "sqlar",
    "live.js",
    "chat.js",
    "style.css",
    "favicon.ico",
    "robots.txt",
    "health",
    "metrics",
    "json",
    "chat-download",
    "chat-backup",
    "background",
    "timeline.rss",
    "logo",
    "attachdownload",
    "attachimage",
    "uv",
}


def _urls(path: Path) -> list[str]:
    from fossilpy.web.routes import all_pages

    db = sqlite3.connect(path)
    try:
        checkins = [
            u for (u,) in db.execute("SELECT uuid FROM blob JOIN event ON objid=rid WHERE type='ci' ORDER BY mtime")
        ]
        files = [n for (n,) in db.execute("SELECT name FROM filename ORDER BY name")]
        ticket = db.execute("SELECT tkt_uuid FROM ticket").fetchone()[0]
        note = db.execute("SELECT substr(tagname, 7) FROM tag WHERE tagname GLOB 'event-*'").fetchone()[0]
    finally:
        db.close()
    urls = [f"/{page.name}" for page in all_pages() if page.name not in _NOT_PAGES]
    for uuid in checkins[-3:]:
        urls += [
            f"/info/{uuid}",
            f"/vdiff?to={uuid}",
            f"/timeline?c={uuid}",
            f"/dir?ci={uuid}",
            f"/tree?ci={uuid}",
            f"/vinfo/{uuid}",
            f"/ci_edit?r={uuid}",
        ]
    urls += [f"/vdiff?from={checkins[1]}&to={checkins[-1]}", f"/vdiff?from={checkins[1]}&to={checkins[-1]}&diff=2"]
    for name in files:
        urls += [
            f"/finfo?name={name}",
            f"/file?name={name}&ci=tip",
            f"/artifact?name={name}&ci=tip",
            f"/blame?filename={name}&checkin=tip",
            f"/annotate?filename={name}&checkin=tip",
        ]
    urls += [f"/fdiff?v1={checkins[1]}&v2={checkins[-1]}&name=README.md"]
    urls += [
        "/wiki?name=Home",
        "/wiki?name=MdPage",
        "/wikiedit?name=Home",
        "/whistory?name=Home",
        "/wiki?name=NoSuchPage",
        "/wikiedit?name=NewPage",
        "/wcontent?all=1",
        "/wdiff?name=Home",
        f"/tktview/{ticket}",
        f"/tktedit/{ticket}",
        f"/tkthistory/{ticket}",
        f"/tkttimeline/{ticket}",
        f"/technote/{note}",
        f"/technoteedit?name={note}",
        "/rptview?rn=1",
        "/rptedit?rn=1",
        "/timeline?y=all&n=0",
        "/timeline?y=w",
        "/timeline?y=t",
        "/timeline?y=e",
        "/timeline?n=2&u=root",
        "/timeline?r=feat",
        "/timeline?ss=c",
        "/timeline?ss=v",
        "/timeline?a=2024-01-01",
        "/timeline?y=ci&v=1",
        "/search?s=work",
        "/search?s=bug&y=t",
        "/brlist",
        "/taglist",
        "/stat?brief=1",
        "/heatmap?y=2024",
        "/setup_ulist",
        "/setup_uedit?id=1",
        "/setup_uedit",
        "/help?cmd=commit",
        "/help/timeline",
        "/doc/tip/README.md",
        "/doc/tip/page.html",
        "/raw/README.md?ci=tip",
        "/hexdump?name=README.md&ci=tip",
        "/nosuchpage",
        "/info/ffffffffff",
        "/wiki_rules",
        "/md_rules",
        "/forumnew",
        "/forum",
        "/setup_skin",
        "/sitemap",
        "/reports",
        "/tktnew",
        "/attachadd?tkt=" + ticket,
    ]
    return urls


def test_every_page_renders_as_jinja2_did(repo_copy: Path, compared: dict[str, Any]) -> None:
    app, cookies = _admin_app(repo_copy)
    statuses: dict[int, int] = {}
    for url in _urls(repo_copy):
        r = call(app, url, cookies=cookies)
        statuses[r.status] = statuses.get(r.status, 0) + 1
    assert compared["diffs"] == []
    assert statuses.get(200, 0) >= 120, statuses
    assert len(compared["templates"]) >= 60, sorted(compared["templates"])


def test_pages_as_nobody_render_as_jinja2_did(webrepo: WebRepo, compared: dict[str, Any]) -> None:
    from fossilpy.web.app import AppConfig, make_app

    app = make_app(AppConfig(repository=str(webrepo.path)))
    for url in (
        "/timeline",
        "/home",
        "/login",
        "/register",
        "/dir",
        "/tktnew",
        "/forum",
        "/wcontent",
        "/info/tip",
        "/setup",
        "/captcha",
        "/subscribe",
        "/alerts",
        "/unsubscribe",
    ):
        call(app, url)
    assert compared["diffs"] == []
    assert compared["renders"] >= 8


def _templates_with(tmp_path: Path, name: str, text: str) -> Path:
    www = tmp_path / "www"
    shutil.copytree(ROOT / "www" / "templates", www / "templates")
    (www / "templates" / name).write_text(text)
    return www


@pytest.mark.parametrize(
    "text, logged",
    [
        (
            "{% extends 'base.html' %}{% block content %}{{ nosuch.attr }}{% endblock %}",
            "UndefinedError: 'nosuch' is undefined",
        ),
        (
            "{% extends 'base.html' %}{% block content %}{% if %}{% endblock %}",
            "TemplateSyntaxError: Expected an expression, got 'end of statement block'",
        ),
        (
            "{% extends 'base.html' %}{% block content %}{{ title|wordcount }}{% endblock %}",
            "TemplateError: template stat.html: the filter 'wordcount' is not supported",
        ),
    ],
)
def test_a_failing_template_gives_the_error_page(
    webrepo: WebRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, logged: str
) -> None:
    from fossilpy.web.app import AppConfig, make_app

    www = _templates_with(tmp_path, "stat.html", text)
    monkeypatch.setattr(render, "www_dir", lambda: str(www))
    app = make_app(AppConfig(repository=str(webrepo.path), temp_dir=str(tmp_path)))
    r = call(app, "/stat")
    assert r.status == 500
    assert "Internal server error; the details are in the server log." in r.text
    assert "Traceback" not in r.text and "nosuch" not in r.text and "stat.html" not in r.text
    assert logged in r.errors
    assert call(app, "/timeline").status == 200  # the other templates are unaffected


def test_an_edited_template_is_compiled_again(
    webrepo: WebRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fossilpy.web.app import AppConfig, make_app

    www = _templates_with(tmp_path, "stat.html", "{% extends 'base.html' %}{% block content %}one{% endblock %}")
    monkeypatch.setattr(render, "www_dir", lambda: str(www))
    cache = tmp_path / "cache"
    cache.mkdir()
    assert "one" in call(make_app(AppConfig(repository=str(webrepo.path), temp_dir=str(cache))), "/stat").text
    (www / "templates" / "stat.html").write_text("{% extends 'base.html' %}{% block content %}two{% endblock %}")
    assert "two" in call(make_app(AppConfig(repository=str(webrepo.path), temp_dir=str(cache))), "/stat").text
    (directory,) = cache.iterdir()
    assert all(f.name.endswith(".rt.cache") for f in directory.iterdir())
    assert len(list(directory.iterdir())) == 2  # stat.html and base.html: one file each, rewritten


_PROBE = """
import sys
from fossilpy.cli.main import main
try:
    main()
finally:
    sys.stdout.flush()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("jinja2", "markupsafe"))
    sys.stderr.write("MODULES " + " ".join(loaded) + "\\n")
"""


def test_cgi_with_compiled_templates_imports_no_jinja2(webrepo: WebRepo, tmp_path: Path) -> None:
    """The first request compiles (jinja2's compiler), later ones run the cached code only,
    and both answer the same page (apart from the nonce and the time taken)."""
    script = tmp_path / "repo.cgi"
    script.write_text(f"#!/usr/bin/fossilpy\nrepository: {webrepo.path}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOSSIL", "GATEWAY_", "REQUEST_", "QUERY_"))}
    env.update(
        GATEWAY_INTERFACE="CGI/1.1",
        REQUEST_METHOD="GET",
        PATH_INFO="/timeline",
        QUERY_STRING="n=50",
        SCRIPT_NAME="/cgi",
        SERVER_NAME="localhost",
        SERVER_PORT="80",
        SERVER_PROTOCOL="HTTP/1.0",
        REMOTE_ADDR="127.0.0.1",
        TMPDIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    replies = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, str(script)], env=env, cwd=tmp_path, capture_output=True, timeout=60
        )
        assert proc.stdout.startswith(b"Status: 200"), proc.stderr.decode(errors="replace")[-2000:]
        modules = re.search(rb"MODULES ([^\n]*)", proc.stderr)
        assert modules is not None
        replies.append((proc.stdout, modules.group(1).decode().split()))
    (first, first_modules), (second, second_modules) = replies
    assert "jinja2.compiler" in first_modules
    assert second_modules == ["markupsafe", "markupsafe._speedups"]

    def steady(body: bytes) -> bytes:
        body = re.sub(rb"nonce[-=\"']+[0-9a-f]+", b"nonce", body)
        return re.sub(rb"generated in about [0-9.]+s", b"generated", body)

    assert steady(first) == steady(second)
    assert b"<h1>" in second or b"timeline" in second
