"""History pages side by side with ``fossil server --nojail`` (2.21) on one
repository made by the real fossil: /vpatch and /raw byte-equal, /vdiff of a
branch (``branch=NAME``: from ``merge-in:NAME`` to ``NAME``) comparing the same
files and check-ins, and /info of a check-in showing the overview rows Fossil
shows (hash, date, user, comment, tags, branch, downloads, family links).

The repository: a trunk with text files (one with CR/LF, one binary, one in a
sub-directory), a branch ``feature`` that edits, adds, deletes and renames, a
merge of trunk into the branch, and more commits on both.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.history import _Builder, fossil_env
from tests.net import fossil_serving
from tests.web.wsgi import call

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"


def _lines(n: int, word: str) -> str:
    return "".join(f"{word} line {i}\n" for i in range(n))


@pytest.fixture(scope="module")
def histrepo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(repository, label -> check-in hash)."""
    dest = tmp_path_factory.mktemp("infopages") / "info.fossil"
    scratch = Path(tempfile.mkdtemp(prefix="info-", dir=dest.parent))
    home, work = scratch / "home", scratch / "work"
    home.mkdir()
    work.mkdir()
    b = _Builder(dest.resolve(), work, fossil_env(home))
    b.run("init", "--date-override", b.date(), "--project-name", "Info", str(b.repo))
    b.run("open", "--force", str(b.repo))
    b.run("settings", "autosync", "off")
    ci: dict[str, str] = {}
    b.write("a.txt", _lines(30, "alpha"))
    b.write("src/main.c", "int main(void){\n  return 0;\n}\n")
    b.write("crlf.txt", "one\r\ntwo\r\nthree\r\n")
    (work / "logo.bin").write_bytes(b"\x89PNG\x00\x01\x02binary\x00")
    b.write("old.txt", "to be renamed\n")
    b.write("gone.txt", "to be deleted\n")
    b.write("page.html", "<script>alert(1)</script>\n")
    b.run("add", ".")
    ci["t1"] = b.commit("first check-in")
    b.write("a.txt", _lines(30, "alpha").replace("alpha line 3\n", "ALPHA three\n"))
    ci["t2"] = b.commit("trunk edit")
    b.write("src/main.c", "int main(void){\n  return 1;\n}\n")
    (work / "logo.bin").write_bytes(b"\x89PNG\x00\x03\x04binary\x00")
    b.run("rm", "gone.txt")
    (work / "gone.txt").unlink()
    b.run("mv", "old.txt", "new.txt")
    (work / "old.txt").rename(work / "new.txt")
    b.write("added.txt", "a new file\nwith two lines\n")
    b.run("add", "added.txt")
    ci["f1"] = b.commit("start the feature", "--branch", "feature")
    b.run("update", ci["t2"])
    b.write("crlf.txt", "one\r\nTWO\r\nthree\r\n")
    ci["t3"] = b.commit("trunk after the branch")
    b.run("update", "feature")
    b.run("merge", "trunk")
    ci["f2"] = b.commit("merge trunk into feature")
    b.write("added.txt", "a new file\nwith three lines\nnow\n")
    ci["f3"] = b.commit("more feature work")
    b.run("tag", "add", "--date-override", b.date(), "release-1", ci["f3"])
    # an amended check-in: Original Comment, Original User & Date
    b.run("amend", ci["t2"], "--comment", "trunk edit, *reworded*", "--author", "alice", "--date-override", b.date())
    b.run("close", "--force")
    # anonymous visitors get hyperlinks and downloads on both servers
    b.run("user", "capabilities", "nobody", "ghorz", "-R", str(b.repo))
    shutil.rmtree(scratch)
    return b.repo, ci


@pytest.fixture(scope="module")
def both(histrepo: tuple[Path, dict[str, str]]) -> Iterator[tuple[int, object, dict[str, str]]]:
    from fossilpy.web.app import AppConfig, make_app

    repo, ci = histrepo
    app = make_app(AppConfig(repository=str(repo)))
    with fossil_serving([shutil.which("fossil") or "fossil"], repo) as port:
        yield port, app, ci


def _fossil(port: int, path: str) -> tuple[int, str, bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"User-Agent": UA})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def _mine(app: object, path: str) -> tuple[int, str, bytes]:
    r = call(app, path, headers={"User-Agent": UA})
    return r.status, r.header("Content-Type") or "", r.body


def test_vpatch_byte_equal(both: tuple[int, object, dict[str, str]]) -> None:
    port, app, ci = both
    pairs = [("t1", "t2"), ("t2", "f1"), ("f1", "t1"), ("t1", "f3"), ("f3", "t3"), ("f2", "f3"), ("t2", "t2")]
    for a, b in pairs:
        path = f"/vpatch?from={ci[a]}&to={ci[b]}"
        fs, ft, fbody = _fossil(port, path)
        ms, mt, mbody = _mine(app, path)
        assert (ms, mbody) == (fs, fbody), path
        assert ft.split(";")[0] == mt.split(";")[0] == "text/plain"
    # symbolic names and a prefix
    path = "/vpatch?from=root:feature&to=feature"
    assert _mine(app, path)[2] == _fossil(port, path)[2]
    body = _mine(app, f"/vpatch?from={ci['t1'][:10]}&to=trunk")[2]
    assert body == _fossil(port, f"/vpatch?from={ci['t1'][:10]}&to=trunk")[2]
    assert body.startswith(b"Index: a.txt\n" + b"=" * 66 + b"\n--- a.txt\n+++ a.txt\n@@ ")
    # a deleted and an added file: the DELETED/ADDED lines then the whole text
    body = _mine(app, f"/vpatch?from={ci['t2']}&to={ci['f1']}")[2]
    assert b"ADDED   added.txt\nIndex: added.txt\n" in body
    assert b"DELETED gone.txt\nIndex: gone.txt\n" in body
    assert b"cannot compute difference between binary files" in body


def _files_changed(page: bytes) -> list[str]:
    """The file names of a /vdiff page's change list, as Fossil links them."""
    names = re.findall(rb"/(?:finfo|file)\?name=([^&\"]+)", page)
    out: list[str] = []
    for n in names:
        s = urllib.parse.unquote(n.decode())
        if s not in out:
            out.append(s)
    return out


def test_vdiff_branch(both: tuple[int, object, dict[str, str]]) -> None:
    port, app, ci = both
    fs, _, fpage = _fossil(port, "/vdiff?branch=feature&diff=1")
    ms, _, mpage = _mine(app, "/vdiff?branch=feature&diff=1")
    assert fs == ms == 200
    # the same two check-ins: from the merge-in (t3, merged into f2) to the tip f3
    theirs = re.search(
        rb"equivalent to a diff from\s*<span[^>]*>(?:<a[^>]*>)?([0-9a-f]+).*?<span[^>]*>(?:<a[^>]*>)?([0-9a-f]+)",
        fpage,
        re.S,
    )
    assert theirs is not None
    assert ci["t3"].startswith(theirs.group(1).decode()) and ci["f3"].startswith(theirs.group(2).decode())
    assert f"/info/{ci['t3']}".encode() in mpage and f"/info/{ci['f3']}".encode() in mpage
    assert b"<h1>Changes On Branch feature</h1>" in mpage
    assert b"Changes In Branch" in fpage and b"Changes In Branch" in mpage

    # the context timeline of the two check-ins: the same check-ins, newest first
    def ctx_rows(page: bytes) -> list[str]:
        text = page.decode()
        section = text[text.index("Excluding Merge-Ins") : text.index('<table class="diff')]
        out: list[str] = []
        for h in re.findall(r'href="/info/([0-9a-f]+)"', section):
            if h[:10] not in out:
                out.append(h[:10])
        return out

    assert ctx_rows(mpage) == ctx_rows(fpage) and len(ctx_rows(fpage)) >= 4
    # the same diff hunks
    table = re.compile(rb'<table class="diff (?:udiff|splitdiff)"[^>]*>\n.*?</table>\n', re.S)
    assert table.findall(mpage) == table.findall(fpage)
    assert len(table.findall(mpage)) == 5  # main.c, added.txt, new.txt, old.txt, gone.txt
    # its Patch link gives fossil's patch of the same pair
    link = re.search(rb'href="([^"]*/vpatch\?[^"]*)"', mpage)
    assert link is not None
    patch = _mine(app, link.group(1).decode().replace("&amp;", "&"))[2]
    assert patch == _fossil(port, f"/vpatch?from={ci['t3']}&to={ci['f3']}")[2]


def test_raw_bytes_and_types(both: tuple[int, object, dict[str, str]]) -> None:
    port, app, ci = both
    paths = [
        f"/raw?name=a.txt&ci={ci['t1']}",
        "/raw?name=a.txt&ci=trunk",
        "/raw?name=src/main.c&ci=feature",
        "/raw?filename=crlf.txt&ci=trunk",
        "/raw?fn=logo.bin&ci=feature",
        "/raw?name=logo.bin&ci=trunk&m=image/png",
        "/raw?name=a.txt&ci=tip&m=application/pdf",
        "/raw?name=added.txt&ci=release-1&at=added.txt",
    ]
    blobs = dict(
        _query(
            both,
            "SELECT f.name, b.uuid FROM mlink m JOIN filename f ON f.fnid=m.fnid JOIN blob b ON b.rid=m.fid",
        )
    )
    paths += [f"/raw/{blobs['a.txt']}", f"/raw/{blobs['logo.bin'][:12]}", f"/raw?name={blobs['src/main.c']}"]
    paths += [f"/raw/{blobs['a.txt']}?at=x.md", f"/raw/{blobs['new.txt']}?m=text/plain"]
    for path in paths:
        fs, ft, fbody = _fossil(port, path)
        ms, mt, mbody = _mine(app, path)
        assert (ms, mt, mbody) == (fs, ft, fbody), path
    # a file the check-in does not have is not the file of another check-in
    assert _mine(app, f"/raw?name=added.txt&ci={ci['t1']}")[0] != 200
    # HTML is never served as HTML (fossil sends text/html: a deliberate difference)
    ms, mt, mbody = _mine(app, "/raw?name=page.html&ci=tip")
    assert (ms, mt, mbody) == (200, "text/plain; charset=utf-8", b"<script>alert(1)</script>\n")
    assert _fossil(port, "/raw?name=page.html&ci=tip")[1].startswith("text/html")


def _query(both: tuple[int, object, dict[str, str]], sql: str) -> list[tuple[str, str]]:
    import sqlite3

    app = both[1]
    path = app.config.repository  # type: ignore[attr-defined]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


_ROW = re.compile(r"<tr><th>(.*?):</th>\s*<td[^>]*>(.*?)</td>\s*</tr>", re.S)
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def _overview(page: bytes) -> list[tuple[str, list[tuple[str, str]], str]]:
    """The Overview table as a user sees it: (label, [(link, text)], plain text)."""
    import html

    text = page.decode()
    start = text.index("label-value")
    table = text[start : text.index("</table>", start)]
    out = []
    for label, cell in _ROW.findall(table):
        links = [(html.unescape(h), re.sub(r"<[^>]+>", "", t).strip()) for h, t in _LINK.findall(cell)]
        plain = " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
        out.append((html.unescape(label).replace("\xa0", " "), links, plain))
    return out


def _context(page: bytes) -> list[str]:
    """The check-ins of the Context timeline (their /info links), newest first."""
    text = page.decode()
    start = text.index("Context</")
    section = text[start : text.index("Changes", start)]
    out: list[str] = []
    for h in re.findall(r'href="/info/([0-9a-f]+)"', section):
        if h[:10] not in out:
            out.append(h[:10])
    return out


@pytest.mark.parametrize("label", ["t1", "t2", "f1", "t3", "f2", "f3"])
def test_info_overview_and_context(both: tuple[int, object, dict[str, str]], label: str) -> None:
    port, app, ci = both
    for page in ("info", "ci", "vinfo"):
        path = f"/{page}/{ci[label]}"
        fs, _, fpage = _fossil(port, path)
        ms, _, mpage = _mine(app, path)
        assert fs == ms == 200, path
        assert _overview(mpage) == _overview(fpage), path
        assert _context(mpage) == _context(fpage), path
        assert len(_context(fpage)) >= 2 and ci[label][:10] in _context(fpage)
    labels = [row[0] for row in _overview(mpage)]
    if label == "t2":
        assert "Original Comment" in labels and "Original User & Date" in labels
    assert labels[:5] == ["Comment", "Downloads", "Timelines", "Files", "SHA3-256"]
    # Fossil's "Patch" button: the patch from the primary parent
    if label != "t1":
        assert b"/vpatch?from=" in mpage


def _tree_ages(page: bytes) -> list[tuple[str, str]]:
    """(name, age) of every file and directory line of a /tree page."""
    import html

    text = page.decode()
    out = []
    for name, age in re.findall(r'<a [^>]*>([^<]*)</a>\s*<(?:div|span) class="filetreeage">([^<]*)<', text):
        out.append((html.unescape(name).rstrip("/"), age))
    return sorted(out)


@pytest.mark.parametrize("label", ["t1", "f1", "t3", "f3"])
def test_tree_file_ages(both: tuple[int, object, dict[str, str]], label: str) -> None:
    port, app, ci = both
    path = f"/tree?ci={ci[label]}&type=tree"
    fpage, mpage = _fossil(port, path)[2], _mine(app, path)[2]
    theirs = [x for x in _tree_ages(fpage) if x[0] != "Info"]  # fossil's top line: the project and its date
    assert theirs and _tree_ages(mpage) == theirs
    now = re.search(rb"relative to the check-in time of\s*<a [^>]*>([^<]+)</a>", fpage)
    assert now is not None and b"relative to the check-in time of <a " in mpage
    assert b">" + now.group(1) + b"</a>." in mpage
    # newest first with mtime=1
    mine = _mine(app, path + "&mtime=1")[2].decode()
    if label == "f3":  # added.txt changed last, logo.bin on f1
        assert mine.index(">added.txt<") < mine.index(">logo.bin<")
        assert "sorted by modification time" in mine


def test_dir_and_tree_types(both: tuple[int, object, dict[str, str]]) -> None:
    """/dir lists names without ages (as 2.21), links the file ages; type= switches the view."""
    port, app, ci = both
    flat = _mine(app, "/dir?ci=trunk")[2]
    assert b"filetreeage" not in flat and b"filetreeage" not in _fossil(port, "/dir?ci=trunk")[2]
    assert f"/fileage?name={ci['t3'][:16]}".encode() in flat
    assert b"filetreeage" in _mine(app, "/dir?ci=trunk&type=tree")[2]
    assert b"filetreeage" in _fossil(port, "/dir?ci=trunk&type=tree")[2]
    assert b"filetreeage" not in _mine(app, "/tree?ci=trunk&type=flat")[2]
    # /tree without type= is the flat view in both (Fossil's default for /tree is "flat")
    assert b"filetreeage" not in _fossil(port, "/tree?ci=trunk")[2]
    assert b"filetreeage" not in _mine(app, "/tree?ci=trunk")[2]
    assert b"filetreeage" in _fossil(port, "/tree?ci=trunk&type=tree")[2]


def test_info_overview_with_every_capability(histrepo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """Given setup rights, both show Record ID, Received From, the wiki and admin links."""
    import subprocess

    from fossilpy.web.app import AppConfig, make_app

    src, ci = histrepo
    repo = tmp_path / "all.fossil"
    shutil.copy(src, repo)
    fossil = shutil.which("fossil") or "fossil"
    subprocess.run([fossil, "user", "capabilities", "nobody", "s", "-R", str(repo)], check=True, capture_output=True)
    app = make_app(AppConfig(repository=str(repo)))
    with fossil_serving([fossil], repo) as port:
        for label in ("t1", "f2"):
            path = f"/info/{ci[label]}"
            theirs = _overview(_fossil(port, path)[2])
            mine = _overview(_mine(app, path)[2])
            assert mine == theirs, path
            labels = [row[0] for row in theirs]
            assert "Received From" in labels and "Add Wiki" in labels, labels
