"""The diffs of /vdiff, /fdiff and /info against ``fossil server --nojail`` (2.21).

A repository made by the real fossil holds files whose versions differ in
the ways diffs find hard (insertions at both ends, a moved block, repeated
lines, CR/LF, whitespace-only and re-indent edits, a long file with
scattered edits, an added and a deleted file, a binary file).  The same
URLs are asked of ``fossil server`` and of fossilpy's app; every diff
table of the page (``<table class="diff udiff|splitdiff">``: the hunks,
skip rows, line numbers, changed lines and the changed bytes inside them)
must be the same bytes, for ``diff=1`` and ``diff=2``, with ``w`` and with
``dc=N``.  Fossil's messages ("whitespace changes only", binary files)
appear as the file's note.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests.history import _Builder, fossil_env
from tests.net import fossil_serving
from tests.web.wsgi import call

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"
TABLE = re.compile(rb'<table class="diff (?:udiff|splitdiff)"[^>]*>\n.*?</table>\n', re.S)


def _text(lines: list[str], eol: str = "\n") -> str:
    return "".join(x + eol for x in lines)


BASE = [f"line {i}: the quick brown fox" for i in range(60)]
LONG = [f"row {i} = compute({i}, {i * 7 % 13});" for i in range(1500)]
CODE = "".join(f"int f{i}(int x){{\n  if( x>{i} ){{\n    return x*{i};\n  }}\n  return 0;\n}}\n\n" for i in range(6))

VERSIONS: list[dict[str, str | bytes | None]] = [
    {
        "edges.txt": _text(BASE),
        "moved.txt": _text(BASE),
        "repeat.txt": _text(["a", "b"] * 20),
        "crlf.txt": _text(BASE[:20], "\r\n"),
        "space.txt": _text(BASE[:15]),
        "code.c": CODE,
        "long.txt": _text(LONG),
        "gone.txt": "to be deleted\n",
        "blob.bin": b"\x00\x01binary\x00",
    },
    {
        "edges.txt": _text(["new top", *BASE[2:], "new bottom 1", "new bottom 2"]),
        "moved.txt": _text([*BASE[:5], *BASE[30:40], *BASE[5:30], *BASE[40:]]),
        "repeat.txt": _text(["a", "b", "c"] * 14),
        "crlf.txt": _text([*BASE[:9], "changed <nine> & 'quoted'", *BASE[10:20]], "\r\n"),
        "space.txt": _text(["  " + x.replace(" ", "  ") + " " for x in BASE[:15]]),
        "code.c": CODE.replace("    return x*", "      return x *").replace(
            "  return 0;\n", "  {\n    return 0;\n  }\n"
        ),
        "long.txt": _text([x if i % 101 else f"changed {i}" for i, x in enumerate(LONG) if i % 333 != 7]),
        "gone.txt": None,
        "added.txt": "a new file\nwith two lines\n",
        "blob.bin": b"\x00\x02binary\x00",
    },
]


@pytest.fixture(scope="module")
def diffrepo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], dict[str, list[str]]]:
    """(repository, check-in hashes, file name -> artifact hashes by version)."""
    dest = tmp_path_factory.mktemp("diffpages") / "diff.fossil"
    scratch = Path(tempfile.mkdtemp(prefix="diff-", dir=dest.parent))
    home, work = scratch / "home", scratch / "work"
    home.mkdir()
    work.mkdir()
    b = _Builder(dest.resolve(), work, fossil_env(home))
    b.run("init", "--date-override", b.date(), "--project-name", "Diffs", str(b.repo))
    b.run("open", "--force", str(b.repo))
    b.run("settings", "autosync", "off")
    checkins = []
    for n, files in enumerate(VERSIONS):
        for name, text in files.items():
            path = work / name
            if text is None:
                b.run("rm", name)
                path.unlink()
            elif isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_bytes(text.encode())
        b.run("add", ".")
        checkins.append(b.commit(f"version {n}"))
    b.run("close", "--force")
    shutil.rmtree(scratch)
    hashes: dict[str, list[str]] = {}
    for name, uuid in b.query(
        "SELECT f.name, b.uuid FROM mlink m JOIN filename f ON f.fnid=m.fnid JOIN blob b ON b.rid=m.fid"
        " JOIN event e ON e.objid=m.mid ORDER BY e.mtime"
    ):
        hashes.setdefault(name, []).append(uuid)
    return b.repo, checkins, hashes


def _fossil_get(port: int, path: str) -> bytes:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"User-Agent": UA})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def test_diff_tables_match_fossil_server(diffrepo: tuple[Path, list[str], dict[str, list[str]]]) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo, ci, files = diffrepo
    app = make_app(AppConfig(repository=str(repo)))
    paths = []
    for q in ("diff=1", "diff=2", "diff=2&w", "diff=1&w", "diff=1&dc=2", "diff=2&dc=20"):
        paths.append(f"/vdiff?from={ci[0]}&to={ci[1]}&{q}")
        paths.append(f"/info/{ci[1]}?{q}")
    for name in ("edges.txt", "moved.txt", "repeat.txt", "crlf.txt", "code.c", "long.txt"):
        v1, v2 = files[name]
        for q in ("diff=1", "diff=2", "diff=2&w&dc=3"):
            paths.append(f"/fdiff?v1={v1}&v2={v2}&{q}")
    paths.append(f"/vdiff?from={ci[1]}&to={ci[0]}&diff=1")  # the other way round
    seen: dict[str, int] = {}
    with fossil_serving([shutil.which("fossil") or "fossil"], repo) as port:
        for path in paths:
            theirs = TABLE.findall(_fossil_get(port, path))
            r = call(app, path, headers={"User-Agent": UA})
            assert r.status == 200, path
            mine = TABLE.findall(r.body)
            assert theirs, path  # the page has diffs
            assert mine == theirs, path
            seen[path] = len(mine)
    # 10 files changed; the binary one has no table, nor (with w) the whitespace-only one
    assert seen[f"/vdiff?from={ci[0]}&to={ci[1]}&diff=1"] == 9
    assert seen[f"/vdiff?from={ci[0]}&to={ci[1]}&diff=2&w"] == 8


def test_messages_and_defaults(diffrepo: tuple[Path, list[str], dict[str, list[str]]]) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo, ci, files = diffrepo
    app = make_app(AppConfig(repository=str(repo)))
    v1, v2 = files["space.txt"]
    with fossil_serving([shutil.which("fossil") or "fossil"], repo) as port:
        page = _fossil_get(port, f"/fdiff?v1={v1}&v2={v2}&w")
        assert b'<p class="generalError">whitespace changes only\n</p>' in page
        r = call(app, f"/fdiff?v1={v1}&v2={v2}&w", headers={"User-Agent": UA})
        assert '<p class="diff-note">whitespace changes only</p>' in r.text
        b1, b2 = files["blob.bin"]
        page = _fossil_get(port, f"/fdiff?v1={b1}&v2={b2}")
        assert b"cannot compute difference between binary files" in page
        r = call(app, f"/fdiff?v1={b1}&v2={b2}", headers={"User-Agent": UA})
        assert '<p class="diff-note">cannot compute difference between binary files</p>' in r.text
        # no diff parameter: side by side for a desktop browser, unified for a phone
        for agent, kind in ((UA, b"splitdiff"), ("Mozilla/5.0 (iPhone) Mobile/15E148 Safari/604.1", b"udiff")):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/vdiff?from={ci[0]}&to={ci[1]}")
            req.add_header("User-Agent", agent)
            with urllib.request.urlopen(req, timeout=60) as resp:
                theirs = TABLE.findall(resp.read())
            mine = TABLE.findall(call(app, f"/vdiff?from={ci[0]}&to={ci[1]}", headers={"User-Agent": agent}).body)
            assert mine == theirs and all(t.startswith(b'<table class="diff ' + kind) for t in mine)
        # the display cookie's diff= stands in for a missing parameter
        req = urllib.request.Request(f"http://127.0.0.1:{port}/vdiff?from={ci[0]}&to={ci[1]}")
        req.add_header("User-Agent", UA)
        req.add_header("Cookie", "fossil_display_settings=y=ci,diff=1")
        with urllib.request.urlopen(req, timeout=60) as resp:
            theirs = TABLE.findall(resp.read())
        hdrs = {"User-Agent": UA, "Cookie": "fossil_display_settings=y=ci,diff=1"}
        mine = TABLE.findall(call(app, f"/vdiff?from={ci[0]}&to={ci[1]}", headers=hdrs).body)
        assert mine == theirs and all(t.startswith(b'<table class="diff udiff') for t in mine)
        # diff=0: no tables on either side
        assert not TABLE.findall(_fossil_get(port, f"/vdiff?from={ci[0]}&to={ci[1]}&diff=0"))
        assert not TABLE.findall(call(app, f"/vdiff?from={ci[0]}&to={ci[1]}&diff=0", headers={"User-Agent": UA}).body)
    # the plain patch of /fdiff is fossil's test-diff text without the file names
    v1, v2 = files["edges.txt"]
    r = call(app, f"/fdiff?v1={v1}&v2={v2}&patch")
    assert r.body.startswith(b"@@ -1,7 +1,6 @@\n-line 0: the quick brown fox\n-line 1: the quick brown fox\n+new top\n")


def test_diff_pages_in_a_browser(diffrepo: tuple[Path, list[str], dict[str, list[str]]]) -> None:
    """A person switches /vdiff between side by side, unified and ignoring whitespace."""
    from tests.web.browser import chromium_page, serve_app, shot

    repo, ci, files = diffrepo
    with serve_app(repo) as base, chromium_page() as (page, problems):
        page.goto(f"{base}/vdiff?from={ci[0][:12]}&to={ci[1][:12]}")
        assert page.locator("table.splitdiff").count() == 9
        # crlf.txt: line 10 edited; the changed bytes are marked inside the line ("ine", "qu" kept)
        assert page.locator("table.splitdiff td.difftxtr ins.edit", has_text="changed <n").count() == 1
        shot(page, "diff", "01-vdiff-side-by-side")
        page.click("text=Unified Diffs")
        page.wait_for_load_state()
        assert "diff=1" in page.url and page.locator("table.udiff").count() == 9
        shot(page, "diff", "02-vdiff-unified")
        page.click("text=Ignore Whitespace")
        page.wait_for_load_state()
        assert page.locator("table.udiff").count() == 8
        assert page.locator(".diff-note", has_text="whitespace changes only").count() == 1
        page.click("text=Hide Diffs")
        page.wait_for_load_state()
        assert page.locator("table.diff").count() == 0 and page.locator(".filelist li").count() == 10
        v1, v2 = files["code.c"]
        page.goto(f"{base}/fdiff?v1={v1[:12]}&v2={v2[:12]}")
        assert page.locator("table.splitdiff").count() == 1
        shot(page, "diff", "03-fdiff-code")
        assert problems == []
