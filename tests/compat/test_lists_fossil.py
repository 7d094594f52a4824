"""The browsing lists side by side with ``fossil server`` on the same repository.

One repository built by the real fossil (:func:`tests.history.build_varied_repo`:
trunk, a merged-then-closed branch ``feature``, a closed leaf on
``experiment``, tags plain, propagating and cancelled, files added,
edited, renamed and deleted), plus an open branch ``wip`` with a tag, and
unversioned files added with ``fossil uv add``.  ``nobody`` may read and
follow links (``ghjorz``).  Each page is fetched from ``fossil server`` and
from fossilpy's app, both pages are parsed into what a visitor sees (the
rows of the list, their order, counts, statuses and link targets) and
compared exactly.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import base_env, require_binary
from tests.history import build_varied_repo
from tests.net import fossil_serving
from tests.web.wsgi import call

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"

#: unversioned files: name -> content
UV_FILES = {
    "notes.txt": b"hello <b>uv</b>\n",
    "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRxx",
    "data.json": b'{"a": 1}\n',
    "guide.html": b'<div class="fossil-doc" data-title="The &amp; Guide">\n<p>Read <b>this</b> first.</p>\n</div>\n',
}


class Page(HTMLParser):
    """What a visitor sees in the content area of a page: headings, list
    items, table rows (cells' text and links) and, per row, the text of
    spans by class."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside the content area
        self.headings: list[str] = []
        self.items: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._thead = False
        self._heading: list[str] | None = None
        self._item: dict[str, Any] | None = None
        self._row: dict[str, Any] | None = None
        self._cell: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None
        self._spans: list[str] = []  # class of each open span
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "")
        if not self.depth:
            if tag in ("div", "main") and "content" in cls.split():
                self.depth = 1
            return
        if tag in ("div", "main"):
            self.depth += 1
        if tag in ("h1", "h2"):
            self._heading = []
        elif tag == "li":
            self._item = {"text": [], "links": []}
        elif tag == "thead":
            self._thead = True
        elif tag == "tr":
            self._end_row()
            self._row = {"cells": [], "links": [], "spans": {}, "class": cls, "style": a.get("style", "")}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row["cells"].append(self._cell)
        elif tag == "a":
            href = a.get("data-href") or a.get("href", "")
            self._link = (href, [])
        elif tag == "span":
            self._spans.append(cls)

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in ("div", "main"):
            self.depth -= 1
        if tag in ("h1", "h2") and self._heading is not None:
            self.headings.append(norm("".join(self._heading)))
            self._heading = None
        elif tag == "li" and self._item is not None:
            self._item["text"] = norm("".join(self._item["text"]))
            self.items.append(self._item)
            self._item = None
        elif tag in ("tr", "thead", "tbody", "tfoot", "table"):
            self._end_row()
            if tag == "thead":
                self._thead = False
        elif tag == "a" and self._link is not None:
            link = (self._link[0], norm("".join(self._link[1])))
            self.links.append(link)
            for holder in (self._item, self._row):
                if holder is not None:
                    holder["links"].append(link)
            self._link = None
        elif tag == "span" and self._spans:
            self._spans.pop()

    def _end_row(self) -> None:
        """Close the open row (Fossil leaves some ``<tr>`` unclosed)."""
        if self._row is not None and self._thead:
            self._row = None
        if self._row is not None:
            self._row["cells"] = [norm("".join(c)) for c in self._row["cells"]]
            self._row["spans"] = {k: norm("".join(v)) for k, v in self._row["spans"].items()}
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if not self.depth:
            return
        self.text.append(data)
        for part in (
            self._heading,
            self._cell,
            self._item["text"] if self._item else None,
            self._link[1] if self._link else None,
        ):
            if part is not None:
                part.append(data)
        if self._row is not None:
            for cls in self._spans:
                for c in cls.split():
                    self._row["spans"].setdefault(c, []).append(data)


def norm(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def target(href: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A link as (path, sorted decoded query fields)."""
    parts = urlsplit(href)
    return parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


@pytest.fixture(scope="module")
def lists_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_binary("fossil")
    root = tmp_path_factory.mktemp("lists")
    repo = build_varied_repo(root / "lists.fossil")
    home = root / "home"
    home.mkdir()
    env = base_env(home)
    exe = shutil.which("fossil") or "fossil"

    def run(*args: str) -> None:
        subprocess.run([exe, *args, "-R", str(repo)], check=True, capture_output=True, env=env, cwd=root, timeout=60)

    run("branch", "new", "wip", "trunk", "--date-override", "2024-02-01T10:00:00", "--user-override", "alice")
    run("tag", "add", "v2.0", "wip", "--date-override", "2024-02-01T11:00:00")
    run("tag", "add", "Build10", "trunk", "--date-override", "2024-02-01T11:05:00")
    run("tag", "add", "build9", "trunk", "--date-override", "2024-02-01T11:06:00")
    run("amend", "experiment", "--hide", "--date-override", "2024-02-01T11:07:00")
    for name, data in UV_FILES.items():
        (root / name).write_bytes(data)
        run("uv", "add", name)
    (root / "gone.txt").write_bytes(b"soon deleted\n")
    run("uv", "add", "gone.txt")
    run("uv", "rm", "gone.txt")
    # ages far from a unit's edge, so two requests a moment apart agree
    con = sqlite3.connect(repo)
    with con:
        con.execute("UPDATE unversioned SET mtime=1704067200-uvid*86400")
    con.close()
    run("user", "capabilities", "nobody", "ghjorz")
    return repo


@pytest.fixture(scope="module")
def fossil_port(lists_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    home = tmp_path_factory.mktemp("lists-home")
    with fossil_serving([shutil.which("fossil") or "fossil"], lists_repo, env=base_env(home)) as port:
        yield port


@pytest.fixture(scope="module")
def app(lists_repo: Path) -> Any:
    from fossilpy.web.app import AppConfig, make_app

    return make_app(AppConfig(repository=str(lists_repo)))


def from_fossil(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"User-Agent": UA})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def both(fossil_port: int, app: Any, path: str) -> tuple[Page, Page]:
    status, _, body = from_fossil(fossil_port, path)
    assert status == 200, (path, body[:300])
    reply = call(app, path)
    assert reply.status == 200, (path, reply.text[:300])
    return Page(body.decode("utf-8", "replace")), Page(reply.text)


# --- branches --------------------------------------------------------------


def brlist_rows(page: Page) -> list[tuple[Any, ...]]:
    out = []
    for row in page.rows:
        if not row["links"] or len(row["cells"]) != 5:
            continue
        out.append((*row["cells"], tuple(target(h) for h, _ in row["links"])))
    return out


def test_brlist_table(fossil_port: int, app: Any) -> None:
    want, got = both(fossil_port, app, "/brlist")
    rows = brlist_rows(got)
    assert rows == brlist_rows(want)
    # name, last change, check-ins, status, resolution, links
    assert [r[0] for r in rows] == ["wip", "trunk", "experiment", "feature"]
    assert [(r[2], r[3]) for r in rows] == [("1", ""), ("8", ""), ("2", "closed"), ("4", "closed")]
    assert rows[1][4] == "merged into wip"
    assert rows[1][5][0] == ("/timeline", (("r", "trunk"),))
    assert rows[1][5][1][0] == "/timeline" and rows[1][5][1][1][0][0] == "f"
    assert all(r[1].endswith(" years") for r in rows)


@pytest.mark.parametrize(
    ("query", "heading", "names"),
    [
        ("all", "All Branches:", ["experiment", "feature", "trunk", "wip"]),
        ("closed", "Closed Branches:", ["experiment", "feature"]),
        ("open", "Open Branches:", ["trunk", "wip"]),
    ],
)
def test_brlist_filters(fossil_port: int, app: Any, query: str, heading: str, names: list[str]) -> None:
    want, got = both(fossil_port, app, f"/brlist?{query}")
    assert got.headings == want.headings == [heading]
    items = [(i["text"], [target(h) for h, _ in i["links"]]) for i in got.items]
    assert items == [(i["text"], [target(h) for h, _ in i["links"]]) for i in want.items]
    assert [i[0] for i in items] == names
    assert items[0][1] == [("/timeline", (("r", names[0]),))]


def test_brlist_colors(fossil_port: int, app: Any) -> None:
    """colors=1 paints each row with the branch colour; colortest lists Fossil's default colours."""
    want, got = both(fossil_port, app, "/brlist?colors=1")
    styles = [(r["cells"][0], r["style"].replace(" ", "")) for r in got.rows if len(r["cells"]) == 5]
    assert styles == [(r["cells"][0], r["style"].replace(" ", "")) for r in want.rows if len(r["cells"]) == 5]
    assert styles[1] == ("trunk", "")
    assert styles[0][1].startswith("background-color:#")
    want, got = both(fossil_port, app, "/brlist?colortest")
    assert got.headings == want.headings == ["Default background colors for all branches:"]
    items = [i["text"] for i in got.items]
    assert items == [i["text"] for i in want.items]
    assert items == ["experiment → #f4e1d3", "feature → #dccdf4", "trunk → #e8cfef", "wip → #d0e3f4"]


def timeline_rows(page: Page) -> list[tuple[str, str]]:
    """(check-in hash or "-" for another event, comment) of each row of a timeline page."""
    out = []
    for row in page.rows:
        spans = row["spans"]
        comment = spans.get("timelineModernComment", spans.get("comment"))
        if comment is None:
            continue
        if "type-ci" in row["class"] or "check-in:" in spans.get("timelineModernDetail", ""):
            hashes = [t.strip("[]") for h, t in row["links"] if h.split("?")[0].startswith("/info/")]
            out.append(([h for h in hashes if len(h) == 10][-1], comment))
        else:
            out.append(("-", comment))
    return out


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/brtimeline", 4),
        ("/tagtimeline", 4),
        ("/leaves", 2),
        ("/leaves?closed", 2),
        ("/leaves?all", 4),
        ("/leaves?all&nohidden", 3),
        ("/leaves?all&onlyhidden", 1),
        ("/brtimeline?onlyhidden", 0),
        ("/tagtimeline?nohidden", 4),
    ],  # fmt: skip
)
def test_timelines(fossil_port: int, app: Any, path: str, count: int) -> None:
    want, got = both(fossil_port, app, path)
    assert got.headings == want.headings
    rows = timeline_rows(got)
    assert rows == timeline_rows(want)
    assert len(rows) == count


def test_leaves_headings(fossil_port: int, app: Any) -> None:
    for path, heading in (
        ("/leaves", "Open leaves:"),
        ("/leaves?closed", "Closed leaves:"),
        ("/leaves?all", "All leaves, both open and closed:"),
        ("/brtimeline", "The initial check-in for each branch:"),
        ("/tagtimeline", "Check-ins with non-propagating tags:"),
    ):
        _, got = both(fossil_port, app, path)
        assert got.headings == [heading]


def test_taglist(fossil_port: int, app: Any) -> None:
    want, got = both(fossil_port, app, "/taglist")
    assert got.headings == want.headings == ["Non-propagating tags:"]
    items = [(i["text"], [target(h) for h, _ in i["links"]]) for i in got.items]
    assert items == [(i["text"], [target(h) for h, _ in i["links"]]) for i in want.items]
    assert [i[0] for i in items] == ["announce", "build9", "Build10", "milestone", "release", "v2.0"]
    assert items[-1][1] == [("/timeline", (("t", "v2.0"),))]


# --- file history ----------------------------------------------------------


def finfo_rows(page: Page, pages: set[str]) -> list[tuple[Any, ...]]:
    """(comment, detail text, link targets to pages fossilpy has) of each row."""
    out = []
    for row in page.rows:
        spans = row["spans"]
        if "timelineModernComment" not in spans and "comment" not in spans:
            continue
        comment = spans.get("timelineModernComment", spans.get("comment", ""))
        detail = spans.get("timelineModernDetail", spans.get("finfo-detail", ""))
        detail = detail.split(" [annotate]")[0].split(" [check-ins using]")[0]
        links = tuple(target(h) for h, _ in row["links"] if h.split("?")[0].strip("/").split("/")[0] in pages)
        selected = "timelineSelected" in row["class"] or "timeline-selected" in row["class"]
        out.append((comment, detail, links, selected))
    return out


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("name=src/main.c", 4),
        ("name=src/main.c&n=2", 2),
        ("name=README.md", 2),
        ("name=doc/NOTES.txt", 1),
        ("name=doc/NOTES.txt&ci=tip", 2),
        ("name=doc/notes.txt&ci=trunk", 0),
        ("name=src/util.c", 3),
        ("name=src/feature.c&m=feature", 3),
        ("name=src/main.c&from=trunk", 4),
        ("name=src/main.c&from=trunk&n=2", 2),
        ("name=src/util.c&from=feature&to=trunk", 2),
        ("name=src/feature.c&from=trunk&to=feature", 3),
    ],
)
def test_finfo(fossil_port: int, app: Any, query: str, count: int) -> None:
    from fossilpy.web.routes import PAGE_MODULES

    want, got = both(fossil_port, app, "/finfo?" + query)
    assert got.headings == want.headings
    pages = set(PAGE_MODULES) - {"annotate", "blame"}  # ours link them only when they exist
    rows = finfo_rows(got, pages)
    assert rows == finfo_rows(want, pages)
    assert len(rows) == count


# --- site map and unversioned files -----------------------------------------


def sitemap_entries(page: Page, pages: set[str]) -> list[tuple[str, tuple[Any, ...]]]:
    """(label, link target) of each entry linking to a page in ``pages``, in order."""
    out = []
    for href, label in page.links:
        path = urlsplit(href).path
        if path.strip("/").split("/")[0] in pages:
            out.append((label, target(href)))
    return out


def test_sitemap(fossil_port: int, app: Any) -> None:
    from fossilpy.web.routes import PAGE_MODULES

    want, got = both(fossil_port, app, "/sitemap")
    pages = set(PAGE_MODULES)
    entries = sitemap_entries(got, pages)
    assert entries == sitemap_entries(want, pages)
    labels = [e[0] for e in entries]
    for label in ("Home Page", "Unversioned Files", "Branches", "Tags", "Leaf Check-ins", "Login"):
        assert label in labels
    assert "Administration Pages" not in labels  # nobody is not an admin
    # every link of ours goes to a page we have
    assert {p[0].strip("/").split("/")[0] for _, p in entries} <= pages


def uv_rows(page: Page) -> list[tuple[Any, ...]]:
    return [(*row["cells"], tuple(target(h) for h, _ in row["links"])) for row in page.rows]


@pytest.mark.parametrize("query", ["", "?byage", "?showdel"])
def test_uvlist(fossil_port: int, app: Any, query: str) -> None:
    want, got = both(fossil_port, app, "/uvlist" + query)
    rows = uv_rows(got)
    assert rows == uv_rows(want)
    names = [r[0] for r in rows[:-1]]
    expected = {
        "": ["data.json", "guide.html", "logo.png", "notes.txt"],
        "?byage": ["notes.txt", "logo.png", "data.json", "guide.html"],
        "?showdel": ["data.json", "gone.txt", "guide.html", "logo.png", "notes.txt"],
    }[query]
    assert names == expected
    assert rows[-1][0] == "Total for 4 files"
    first = rows[0]
    assert first[5] == (("/uv/" + first[0], ()),)


@pytest.mark.parametrize(
    ("name", "ctype"),
    [("logo.png", "image/png"), ("data.json", "application/json")],
)
def test_uv_download(fossil_port: int, app: Any, name: str, ctype: str) -> None:
    status, headers, body = from_fossil(fossil_port, "/uv/" + name)
    reply = call(app, "/uv/" + name)
    assert (reply.status, reply.header("Content-Type"), reply.body) == (200, ctype, UV_FILES[name])
    assert (status, headers["content-type"], body) == (200, ctype, UV_FILES[name])
    assert reply.header("Last-Modified") == headers["last-modified"]


def test_uv_text_and_missing(fossil_port: int, app: Any) -> None:
    status, _, _ = from_fossil(fossil_port, "/uv/missing.txt")
    assert status == 404
    assert call(app, "/uv/missing.txt").status == 404
    reply = call(app, "/uv/notes.txt")
    assert reply.status == 200
    assert "<pre>\nhello &lt;b&gt;uv&lt;/b&gt;\n\n</pre>" in reply.text
    _, _, body = from_fossil(fossil_port, "/uv/notes.txt")
    assert "<pre>\nhello &lt;b&gt;uv&lt;/b&gt;\n\n</pre>" in body.decode()


# --- activity reports --------------------------------------------------------


def report_rows(page: Page) -> list[tuple[Any, ...]]:
    """Cells and link targets of each row (a relative ``?view=`` link is /reports')."""
    out = []
    for row in page.rows:
        links = []
        for href, _ in row["links"]:
            links.append(target("/reports" + href if href.startswith("?") else href))
        cells = list(row["cells"])
        out.append((tuple(cells), tuple(links)))
    return out


def totals(page: Page) -> list[str]:
    return re.findall(r"(?:Total events|Average per active \w+): \d+", norm(" ".join(page.text)))


@pytest.mark.parametrize(
    "query",
    [
        "", "view=byuser&type=ci", "view=bymonth", "view=bymonth&type=ci&user=root", "view=byyear",
        "view=byweek&y=2024", "view=byweek&y=2024&type=ci&u=alice", "view=byweekday", "view=byhour&type=ci",
        "view=byfile", "view=byfile&user=root", "view=lastchng&type=ci", "view=bymonth&type=g",
    ],
)  # fmt: skip
def test_reports(fossil_port: int, app: Any, query: str) -> None:
    want, got = both(fossil_port, app, "/reports?" + query)
    assert got.headings == want.headings
    rows = report_rows(got)
    assert rows == report_rows(want)
    assert rows
    assert totals(got) == totals(want)


def test_finfo_mark(fossil_port: int, app: Any, lists_repo: Path) -> None:
    """m= marks the row of one version of the file, as Fossil's."""
    from fossilpy.web.routes import PAGE_MODULES

    con = sqlite3.connect(lists_repo)
    versions = [u for (u,) in con.execute(
        "SELECT DISTINCT b.uuid FROM mlink JOIN filename f USING(fnid) JOIN blob b ON b.rid=mlink.fid"
        " JOIN event e ON e.objid=mlink.mid WHERE f.name='src/main.c' ORDER BY e.mtime"
    )]  # fmt: skip
    con.close()
    want, got = both(fossil_port, app, f"/finfo?name=src/main.c&m={versions[1][:12]}")
    pages = set(PAGE_MODULES) - {"annotate", "blame"}
    rows = finfo_rows(got, pages)
    assert rows == finfo_rows(want, pages)
    assert [r[3] for r in rows] == [False, False, True, False]


def test_uv_embedded_html(fossil_port: int, app: Any) -> None:
    """An HTML file that opens with <div class="fossil-doc"> is shown in the site's frame, titled by data-title."""
    want, got = both(fossil_port, app, "/uv/guide.html")
    for page in (want, got):
        assert "Read this first." in norm(" ".join(page.text))
    _, _, body = from_fossil(fossil_port, "/uv/guide.html")
    assert re.search(r"<title>[^<]*:\s*The &amp; Guide\s*</title>", body.decode())
    assert re.search(r"<title>[^<]*:\s*The &amp; Guide\s*</title>", call(app, "/uv/guide.html").text)
