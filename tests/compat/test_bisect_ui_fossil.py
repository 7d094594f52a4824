"""``bisect ui`` and /timeline's bisect views against fossil 2.21 (issue 13).

A history built with the real fossil: trunk c1..c8 (c5 tagged ``hidden``)
and a branch check-in off c3; in the check-out the real fossil runs
``bisect good c1``, ``bisect bad c8``, ``bisect skip``, ``bisect good`` (the
repository file lies in the check-out: as root, Fossil's server changes to
the repository's folder before it answers, and finds the check-out there).

Claims, with servers of both programs on loopback:

* ``/timeline?bisect`` from ``fossil ui --nojail`` and from ``fossilpy ui``,
  both started in the check-out, show the same check-ins (by hash, in the
  same order) with the same marks (``GOOD``/``BAD``/``SKIP``/``CURRENT`` and
  their step numbers), the hidden c5 included and the branch left out, under
  the same heading, with the same Permalink;
* ``/timeline?bid=PERMALINK`` shows the same rows again, from both servers;
  a ``bid=`` that stops early (a prefix naming nothing) shows the same rows;
* ``fossil bisect ui`` opens its browser (the ``web-browser`` setting, here a
  script that writes its argument to a file) on the same URL that
  ``fossilpy bisect ui`` announces when it has no browser, and the page at
  that URL, served by ``fossilpy bisect ui``, is the page above.
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner
from tests.net import free_port, spawn, stop, wait_port

ROW = re.compile(r"<tr.*?(?=<tr|\Z)", re.S)
MARK = re.compile(r"<b>(GOOD|BAD|SKIP|CURRENT)</b>\s*\((\d+)\)")
HASH = re.compile(r'href="/info/([0-9a-f]{16})')
HEADING = re.compile(r"<h2[^>]*>(.*?)</h2>", re.S)
PERMALINK = re.compile(r'href="(/timeline\?bid=[^"]*)"[^>]*>Permalink<')


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return str(r.read().decode("utf-8", "replace"))


def rows(page: str) -> list[tuple[str, str, str]]:
    """(hash prefix, mark, step) of each check-in row of a timeline page."""
    out = []
    for chunk in ROW.findall(page):
        h = HASH.search(chunk)
        if h is None:
            continue
        m = MARK.search(chunk)
        out.append((h.group(1), m.group(1) if m else "", m.group(2) if m else ""))
    return out


def heading(page: str) -> str:
    m = HEADING.search(page)
    return re.sub(r"\s+", " ", m.group(1)).strip() if m else ""


def _put(w: Path, n: int) -> None:
    (w / "f.txt").write_text("".join(f"{i}\n" for i in range(n)))


@pytest.fixture(scope="module")
def bisected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Runner, Path, dict[str, str]]:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "bisectui")
    w = work / "w"
    w.mkdir()
    fossil("init", w / "r.fossil", "--date-override", "2020-01-01 00:00:00")
    fossil("open", "r.fossil", cwd=w)
    for i in range(1, 9):
        _put(w, i)
        if i == 1:
            fossil("add", "f.txt", cwd=w)
        fossil("commit", "-m", f"c{i}", "--date-override", f"2020-01-{i + 1:02d} 00:00:00", "--no-warnings", cwd=w)
        if i == 3:
            _put(w, 30)
            fossil("commit", "-m", "side", "--branch", "side", "--date-override", "2020-01-04 12:00:00", cwd=w)
            fossil("update", "trunk", cwd=w)
            _put(w, 3)
    db = sqlite3.connect(w / "r.fossil")
    h = {str(c): str(u) for c, u in db.execute("SELECT comment, uuid FROM event JOIN blob ON rid=objid")}
    db.close()
    fossil("tag", "add", "--raw", "hidden", h["c5"], cwd=w)
    fossil("bisect", "good", h["c1"], cwd=w)
    fossil("bisect", "bad", h["c8"], cwd=w)
    fossil("bisect", "skip", cwd=w)
    fossil("bisect", "good", cwd=w)
    return fossil, fossilpy, w, h


def _serve(run: Runner, args: list[str], cwd: Path, log: Path, port: int) -> object:
    env = {k: v for k, v in run.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = spawn([*run.argv0, *args], env=env, cwd=cwd, log=log)
    wait_port(port, proc)
    return proc


@pytest.fixture(scope="module")
def pages(bisected) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The pages asked of each program's ui, started in the check-out."""
    fossil, fossilpy, w, h = bisected
    out: dict[str, dict[str, str]] = {}
    for name, run, extra in (("fossil", fossil, ["--nojail"]), ("fossilpy", fossilpy, [])):
        port = free_port()
        proc = _serve(run, ["ui", "-B", "-P", str(port), *extra], w, w.parent / f"{name}-ui.log", port)
        try:
            got = {"bisect": _get(port, "/timeline?bisect")}
            m = PERMALINK.search(got["bisect"])
            got["permalink"] = m.group(1).replace("&amp;", "&") if m else ""
            got["bid"] = _get(port, got["permalink"] or "/timeline?bid=none")
            got["short"] = _get(port, "/timeline?bid=y" + h["c1"][:8] + "-nfffff-y" + h["c4"][:8])
            got["plain"] = _get(port, "/timeline")
        finally:
            stop(proc)  # type: ignore[arg-type]
        out[name] = got
    return out


def test_bisect_page_shows_the_same_checkins_and_marks(bisected, pages) -> None:  # type: ignore[no-untyped-def]
    _, _, _, h = bisected
    theirs, mine = pages["fossil"]["bisect"], pages["fossilpy"]["bisect"]
    want = [
        (h["c8"][:16], "BAD", "2"),
        (h["c7"][:16], "CURRENT", "5"),
        (h["c6"][:16], "", ""),
        (h["c5"][:16], "SKIP", "3"),  # hidden, shown in a bisect
        (h["c4"][:16], "GOOD", "4"),
        (h["c1"][:16], "GOOD", "1"),
    ]
    assert rows(theirs) == want
    assert rows(mine) == want
    assert heading(mine) == heading(theirs) == "6 check-ins in a bisect"
    assert pages["fossilpy"]["permalink"] == pages["fossil"]["permalink"]
    link = f"/timeline?bid=y{h['c1'][:10]}-n{h['c8'][:10]}-s{h['c5'][:10]}-y{h['c4'][:10]}"
    assert pages["fossil"]["permalink"] == link
    # the plain timeline is not a bisect: the hidden check-in stays hidden
    assert h["c5"][:16] not in {r[0] for r in rows(pages["fossilpy"]["plain"])}
    assert {r[0] for r in rows(pages["fossilpy"]["plain"])} == {r[0] for r in rows(pages["fossil"]["plain"])}


def test_bid_permalink_matches_fossil(pages) -> None:  # type: ignore[no-untyped-def]
    theirs, mine = pages["fossil"], pages["fossilpy"]
    assert rows(mine["bid"]) == rows(theirs["bid"])
    assert [r[1] for r in rows(mine["bid"])] == ["BAD", "", "", "SKIP", "GOOD", "GOOD"]  # no CURRENT in a permalink
    assert rows(mine["short"]) == rows(theirs["short"])
    assert [r[1:] for r in rows(mine["short"])] == [("GOOD", "1")]  # reading stopped at the prefix naming nothing
    assert heading(mine["short"]) == heading(theirs["short"]) == "1 check-in in a bisect"


def test_bisect_ui_command(bisected, pages, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fossil, fossilpy, w, _ = bisected
    # fossil: its browser is a script that writes the URL it is given
    said = tmp_path / "browser.out"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" > {said}\n')
    script.chmod(0o755)
    fossil("settings", "web-browser", script, cwd=w)
    port = free_port()
    fossil("settings", "http-port", str(port), cwd=w)
    proc = _serve(fossil, ["bisect", "ui"], w, tmp_path / "fossil.log", port)
    try:
        end = time.monotonic() + 15
        while not said.exists() and time.monotonic() < end:
            time.sleep(0.1)
        url = said.read_text().strip()
    finally:
        stop(proc)  # type: ignore[arg-type]
    assert url == f"http://localhost:{port}/timeline?bisect"
    # fossilpy starts the same web-browser program on its URL
    said.unlink()
    port = free_port()
    fossil("settings", "http-port", str(port), cwd=w)
    log = tmp_path / "fossilpy.log"
    proc = _serve(fossilpy, ["bisect", "ui"], w, log, port)
    try:
        page = _get(port, "/timeline?bisect")
        end = time.monotonic() + 15
        while not said.exists() and time.monotonic() < end:
            time.sleep(0.1)
        url = said.read_text().strip()
    finally:
        stop(proc)  # type: ignore[arg-type]
    assert url == f"http://localhost:{port}/timeline?bisect"
    assert log.read_text().splitlines() == [f"Listening for HTTP requests on TCP port {port}"]
    assert rows(page) == rows(pages["fossil"]["bisect"])
    # with no web-browser and no display, fossilpy says where to go
    fossil("unset", "web-browser", cwd=w)
    port = free_port()
    fossil("settings", "http-port", str(port), cwd=w)
    log = tmp_path / "fossilpy-no-browser.log"
    proc = _serve(fossilpy, ["bisect", "ui"], w, log, port)
    try:
        end = time.monotonic() + 15
        while "web browser" not in log.read_text() and time.monotonic() < end:
            time.sleep(0.1)
    finally:
        stop(proc)  # type: ignore[arg-type]
    assert log.read_text().splitlines() == [
        f"Listening for HTTP requests on TCP port {port}",
        f"Open http://localhost:{port}/timeline?bisect in a web browser.",
    ]
    fossil("settings", "http-port", "8080", cwd=w)


def test_bisect_ui_outside_a_checkout(fossil: Runner, fossilpy: Runner, tmp_path: Path) -> None:
    theirs = fossil("bisect", "ui", check=False)
    mine = fossilpy("bisect", "ui", check=False)
    assert (mine.returncode, theirs.returncode) == (1, 1)
    assert theirs.stderr.decode().strip() == "current directory is not within an open check-out"
    assert mine.stderr.decode().strip().removeprefix("fossilpy: ") == theirs.stderr.decode().strip()
    assert mine.stdout == theirs.stdout == b""


def _head(port: int, path: str) -> tuple[int, str]:
    """(status, Location) of a GET, redirects not followed."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status, str(r.getheader("Location") or "").replace(f":{port}/", ":PORT/")
    finally:
        conn.close()


def test_server_without_setup_rights(bisected) -> None:  # type: ignore[no-untyped-def]
    """``server`` (no localauth): the check-out's bisect asks for a login, the
    permalink is shown to any reader."""
    fossil, fossilpy, w, h = bisected
    got = {}
    for name, run, extra in (("fossil", fossil, ["--nojail"]), ("fossilpy", fossilpy, [])):
        port = free_port()
        proc = _serve(run, ["server", "-P", str(port), *extra, "r.fossil"], w, w.parent / f"{name}-srv.log", port)
        try:
            bid = f"/timeline?bid=y{h['c1'][:10]}-n{h['c8'][:10]}"
            got[name] = (_head(port, "/timeline?bisect"), rows(_get(port, bid)), heading(_get(port, bid)))
        finally:
            stop(proc)  # type: ignore[arg-type]
    assert got["fossilpy"] == got["fossil"]
    assert got["fossil"][0] == (302, "http://127.0.0.1:PORT/login?g=timeline%3fbisect&anon")
    assert got["fossil"][2] == "8 check-ins in a bisect"
