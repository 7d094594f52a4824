"""/annotate and /blame against the real fossil 2.21: the same owner for every line.

A repository made by fossil: a 120-line text file edited in 16 check-ins
by a seeded random walk (lines inserted, deleted, changed, moved, blank
lines and lone braces that test the diff's heuristics, re-indented lines,
CRLF endings in one version), with a branch merged back (annotation
follows primary parents only).  For several check-ins, with and without
``w=1``, with an origin (reverse annotation) and a version limit:

* the text of fossilpy's page (tags removed) against ``fossil blame`` /
  ``fossil annotate`` run in a check-out, line for line;
* the ``<pre>`` of fossilpy's page against ``fossil server``'s (links
  normalized: Fossil writes JavaScript-enabled links for a guest).
"""

from __future__ import annotations

import html
import random
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import runner
from tests.history import _Builder, fossil_env
from tests.net import fossil_serving
from tests.web.wsgi import call

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()


def _edit(rng: random.Random, lines: list[str], step: int) -> list[str]:
    out = list(lines)
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(["insert", "delete", "change", "move", "blank", "brace", "indent"])
        i = rng.randrange(len(out) + 1)
        if op == "insert":
            out[i:i] = [f"{rng.choice(WORDS)} {step}.{k} {rng.choice(WORDS)}" for k in range(rng.randint(1, 4))]
        elif op == "delete" and out:
            del out[i : i + rng.randint(1, 3)]
        elif op == "change" and i < len(out):
            out[i] = f"changed in {step}: {rng.choice(WORDS)}"
        elif op == "move" and i + 3 < len(out):
            block = out[i : i + 3]
            del out[i : i + 3]
            j = rng.randrange(len(out) + 1)
            out[j:j] = block
        elif op == "blank":
            out.insert(i, "")
        elif op == "brace":
            out[i:i] = ["}", "", "{"]
        elif op == "indent" and i < len(out):
            out[i] = "    " + out[i]
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("annotate")
    repo = base / "ann.fossil"
    work = base / "work"
    home = base / "home"
    work.mkdir()
    home.mkdir()
    b = _Builder(repo, work, fossil_env(home))
    b.run("init", "--date-override", b.date(), "--project-name", "Annotate", str(repo))
    b.run("open", "--force", str(repo))
    b.run("settings", "autosync", "off")
    rng = random.Random(2021)
    lines = [f"line {i} {rng.choice(WORDS)}" if i % 7 else ("}" if i % 14 else "") for i in range(120)]
    users = ["alice", "bob", "carol-with-a-long-name"]
    b.write("text.txt", "\n".join(lines) + "\n")
    b.run("add", "text.txt")
    names = {"v0": b.commit("version 0", "--user-override", users[0])}
    for step in range(1, 16):
        lines = _edit(rng, lines, step)
        body = "\n".join(lines) + "\n"
        if step == 6:
            body = body.replace("\n", "\r\n")
        if step == 9:
            b.run("update", names["v5"])
            names[f"v{step}"] = b.commit(f"branch {step}", "--branch", "side", "--user-override", users[1])
        b.write("text.txt", body)
        extra = ["--user-override", users[step % 3]]
        names[f"v{step}"] = b.commit(f"version {step}", *extra)
        if step == 11:
            b.run("update", "trunk")
            b.run("merge", "side")
            b.write("text.txt", "\n".join(lines[:5] + ["merged line"] + lines[5:]) + "\n")
            names["merge"] = b.commit("merge side", "--user-override", users[2])
    return repo, work, names


def _page_text(body: str) -> list[str]:
    pre = body.split("<pre>\n", 1)[1].split("</pre>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]*>", "", line)) for line in pre.split("\n")[:-1]]


def _pre(body: str) -> str:
    pre = body.split("<pre>\n", 1)[1].split("</pre>", 1)[0]
    pre = re.sub(
        r"<a target='infowindow' (?:data-)?href=['\"]([^'\"]*)['\"](?: href='/honeypot')?>",
        r"<a target='infowindow' href='\1'>",
        pre,
    )
    return pre


CASES = [
    ("trunk", []),
    ("v4", []),
    ("v7", []),
    ("merge", []),
    ("v11", ["w"]),
    ("v15", ["w"]),
    ("v3", ["origin=trunk"]),
    ("v10", ["origin=v2"]),
    ("trunk", ["limit=4"]),
]


def _names(names: dict[str, str], text: str) -> str:
    return names.get(text, text)


def test_attributions_match_fossil(history: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo, work, names = history
    app = make_app(AppConfig(repository=str(repo)))
    fossil = runner("fossil", tmp_path)
    with fossil_serving([shutil.which("fossil") or "fossil"], repo, env=dict(fossil.env)) as port:
        for ci, opts in CASES:
            rev = _names(names, ci)
            query = f"filename=text.txt&checkin={rev}"
            args = ["-r", rev]
            for opt in opts:
                if opt == "w":
                    query += "&w=1"
                    args.append("-w")
                elif opt.startswith("origin="):
                    origin = _names(names, opt[7:])
                    query += f"&origin={origin}"
                    args += ["-o", origin]
                else:
                    query += f"&{opt}"
                    args += ["-n", opt[6:]]
            if not any(o.startswith("limit") for o in opts):
                query += "&limit=none"
                args += ["-n", "none"]
            for page, command in (("blame", "blame"), ("annotate", "annotate"), ("praise", "praise")):
                got = call(app, f"/{page}?{query}")
                assert got.status == 200, (page, query)
                cli = fossil(command, *args, "text.txt", cwd=work).stdout.decode()
                want = cli.splitlines()
                mine = _page_text(got.text)
                if page == "annotate":  # the page prints "%4d:", the command "%5d:"
                    want = [re.sub(r" +", " ", w) for w in want]
                    mine = [re.sub(r" +", " ", m) for m in mine]
                assert mine == want, (page, ci, opts)
                req = urllib.request.Request(f"http://127.0.0.1:{port}/{page}?{query}", headers={"User-Agent": UA})
                with urllib.request.urlopen(req, timeout=30) as r:
                    theirs = r.read().decode()
                assert _pre(got.text) == _pre(theirs), (page, ci, opts)


def test_log_and_file_versions(history: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo, work, names = history
    app = make_app(AppConfig(repository=str(repo)))
    cli = (
        runner("fossil", tmp_path)(
            "blame", "-r", names["v8"], "-n", "none", "--log", "--filevers", "text.txt", cwd=work
        )
        .stdout.decode()
        .splitlines()
    )
    sep = cli.index("-" * 51)
    reply = call(app, f"/blame?filename=text.txt&checkin={names['v8']}&limit=none&log=1&filevers=1")
    assert _page_text(reply.text) == cli[sep + 1 :]
    log = reply.text.split("<div id=\"annotation_log\" style='display:block;'>", 1)[1].split("</ol>", 1)[0]
    entries = re.findall(r"(\d{4}-\d\d-\d\d)\ncheck-in <a [^>]*>(\w+)</a>\nartifact <a [^>]*>(\w+)</a>", log)
    want = [re.match(r"version +\d+: (\S+) (\w+) file (\w+)", line).groups() for line in cli[:sep]]
    assert entries == want


def test_bad_requests(history: tuple[Path, Path, dict[str, str]]) -> None:
    from fossilpy.web.app import AppConfig, make_app

    repo, _, names = history
    app = make_app(AppConfig(repository=str(repo)))
    for query, message in (
        ("filename=text.txt", "current directory is not within an open check-out"),
        ("filename=nosuch.txt&checkin=trunk", "no such file: &#39;nosuch.txt&#39;"),
        ("filename=text.txt&checkin=no-such-name", "cannot resolve name: no-such-name"),
        ("filename=text.txt&checkin=trunk&origin=nowhere", "cannot resolve name: nowhere"),
    ):
        reply = call(app, f"/annotate?{query}")
        assert reply.status == 400, query
        assert message in reply.text, query
    hostile = call(app, f"/blame?filename=%3Cscript%3Ealert(1)%3C/script%3E&checkin={names['v1']}")
    assert hostile.status == 400
    assert "<script>alert" not in hostile.text


def test_limit_stops_early(history: tuple[Path, Path, dict[str, str]]) -> None:
    from fossilpy.repo import annotate
    from fossilpy.repo.db import Repo
    from fossilpy.repo.names import resolve

    repo, _, _ = history
    with Repo.open(str(repo), readonly=True) as r:
        tip = resolve(r, "trunk", "ci")
        full = annotate.annotate(r, "text.txt", tip, limit="none")
        short = annotate.annotate(r, "text.txt", tip, limit="3")
        tiny = annotate.annotate(r, "text.txt", tip, limit="1")
    assert not full.more_to_do and len(full.versions) > 10
    assert short.more_to_do and len(short.versions) == 3
    assert len(tiny.versions) == 3  # at least three versions are always analyzed
    assert all(o >= 0 for o in (full.owner_of(i) for i in range(len(full.lines))))
    assert any(short.owner_of(i) < 0 for i in range(len(short.lines)))


def test_gradient_colors() -> None:
    from fossilpy.repo.annotate import gradient_color

    assert [f"#{gradient_color(0xFFB5B5, 0xB5E0FF, 2, i):06x}" for i in range(3)] == ["#ffb5b5", "#dacada", "#b5e0ff"]
    assert gradient_color(0x102030, 0x405060, 0, 5) == 0x102030


def test_binary_file_has_no_lines(tmp_path: Path) -> None:
    from fossilpy.repo import annotate
    from fossilpy.repo.db import Repo
    from fossilpy.repo.names import resolve

    work = Path(tempfile.mkdtemp(dir=tmp_path))
    home = tmp_path / "h"
    home.mkdir()
    repo = tmp_path / "bin.fossil"
    b = _Builder(repo, work, fossil_env(home))
    b.run("init", "--date-override", b.date(), str(repo))
    b.run("open", "--force", str(repo))
    (work / "data.bin").write_bytes(b"\0\1\2\nabc\n")
    b.run("add", "data.bin")
    b.commit("binary")
    (work / "data.bin").write_bytes(b"\0\1\3\nabc\n")
    b.commit("binary 2")
    with Repo.open(str(repo), readonly=True) as r:
        ann = annotate.annotate(r, "data.bin", resolve(r, "trunk", "ci"), limit="none")
    assert ann.lines == [] and len(ann.versions) == 2
