"""The other output forms of ``fossilpy diff`` against ``fossil diff`` in
the same checkout (issue 13): ``--json``, ``--tcl``, ``--html``,
``--webpage``, ``-b``/``--by`` (through the ``web-browser`` setting) and
``--tk`` (through ``--tclsh``/``--script``).

Byte for byte: stdout, stderr and exit codes; of ``--webpage`` and the
page given to the browser, everything from ``<body>`` to the end of the
diff tables (the head's style sheet and the side-by-side script are each
program's own); of the ``--tk`` script, its first line (the command it
runs, this program's name aside).  The browser and tclsh are capture
scripts that copy the file they are given."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.compat.conftest import make_runners
from tests.conftest import Runner
from tests.net import free_port, spawn, stop, wait_port

CAPTURE = """#!/bin/sh
echo "started with $# argument(s)"
cp "$1" "$(dirname "$0")/captured-$(basename "$0")"
"""

WEIRD = "we\"ird&<name>'.txt"


class Tree:
    def __init__(self, fossil: Runner, fossilpy: Runner, w: Path, work: Path) -> None:
        self.fossil, self.fossilpy, self.w, self.work = fossil, fossilpy, w, work

    def run_both(self, *args: str, env: dict[str, str] | None = None) -> tuple[bytes, bytes]:
        a = self.fossil(*args, check=False, cwd=self.w, env=env)
        b = self.fossilpy(*args, check=False, cwd=self.w, env=env)
        assert b.stderr.replace(b"fossilpy: ", b"") == a.stderr, args
        assert b.returncode == a.returncode, args
        return a.stdout, b.stdout

    def same(self, *args: str) -> bytes:
        a, b = self.run_both(*args)
        assert b == a, args
        return a


def _body(page: bytes) -> bytes:
    """From <body> to the end of the last table (before the script and </body>)."""
    start = page.index(b"<body>\n")
    end = page.index(b"<script>") if b"<script>" in page else page.index(b"</body>")
    return page[start:end]


def _is_page(page: bytes, sbs: bool) -> None:
    assert page.startswith(b'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8">\n')
    assert page.endswith(b"</body>\n</html>\n")
    assert (b"<script>" in page) == sbs


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    fossil, fossilpy, work = make_runners(tmp_path_factory, "diffout")
    for name in ("browser.sh", "tclsh.sh"):
        (work / name).write_text(CAPTURE)
        (work / name).chmod(0o755)
    fossil("init", str(work / "r.fossil"))
    w = work / "w"
    w.mkdir()
    fossil("open", "../r.fossil", cwd=w)
    (w / "esc.txt").write_bytes(
        b'plain\n"quote" \\back [br] $var {brace}\ttab\ncr line\r\nctl \x01\x1b\x7f\nh\xc3\xa9llo\n'
        b"the quick brown fox jumps\nkeep\n"
    )
    (w / "b.bin").write_bytes(b"bin\0ary")
    (w / WEIRD).write_bytes(b"weird\n")
    (w / "long.txt").write_bytes(b"".join(b"line %d\n" % i for i in range(40)))
    (w / "ws.txt").write_bytes(b"one two\n")
    (w / "gone").write_bytes(b"will go\n")
    (w / "d").write_bytes(b"to delete\n")
    fossil("add", ".", cwd=w)
    fossil("commit", "--no-warnings", "-m", "one", cwd=w)
    (w / "esc.txt").write_bytes(
        b'plain\n"quote" \\back [BR] $var {brace}\ttab!\ncr LINE\r\nctl \x01\x1b\x7f\x02\nh\xc3\xa9llo w\xc3\xb6rld\n'
        b"the quick red fox jumps\nkeep\nadded }{ \\ $x\n"
    )
    (w / "b.bin").write_bytes(b"bin\0ary, longer")
    (w / WEIRD).write_bytes(b"weirder\n")
    (w / "long.txt").write_bytes(b"".join(b"line %d\n" % i if i % 13 else b"LINE %d!\n" % i for i in range(40)))
    (w / "ws.txt").write_bytes(b"one  two \n")
    fossil("commit", "--no-warnings", "-m", "two", cwd=w)
    (w / "esc.txt").write_bytes(b"plain\nnew [first] line\n")
    (w / "gone").unlink()
    fossil("rm", "d", cwd=w)
    (w / "new").write_bytes(b"brand\nnew\n")
    fossil("add", "new", cwd=w)
    return Tree(fossil, fossilpy, w, work)


TWO = ["--checkin", "trunk"]


@pytest.mark.parametrize(
    "args",
    [
        ["--json"],
        ["--json", "-v"],
        ["--json", *TWO],
        ["--json", *TWO, "-v"],
        ["--json", *TWO, "-w"],
        ["--json", "-c", "1", *TWO],
        ["--json", "--numstat"],
        ["--json", "-h", "--from", "root:trunk"],
        ["--json", "--brief"],
        ["--json", "nonesuch"],
        ["--tcl"],
        ["--tcl", "-v"],
        ["-tcl", "-i", "-v", *TWO],
        ["--tcl", "-y", *TWO, "--invert"],
        ["--tcl", "--from", "root:trunk", "esc.txt"],
        ["--html"],
        ["--html", "-v", *TWO],
        ["--html", "-y", *TWO],
        ["--html", "--numstat"],
        ["--raw"],
        ["--raw", "-v", *TWO],
        # --debug without aligned blocks (Fossil also traces its block alignment: fossilpy does not)
        ["--debug", "--from", "root:trunk", "-v"],
        ["--debug", "-h", "-v", "new", "gone", "d"],
    ],
)
def test_same_bytes(tree: Tree, args: list[str]) -> None:
    tree.same("diff", *args)


def test_json_and_tcl_are_not_trivial(tree: Tree) -> None:
    out = tree.same("diff", "--json", *TWO, "esc.txt")
    assert out.startswith(b'[{\n  "leftname":"esc.txt",\n  "rightname":"esc.txt",\n  "diff":\n[2,"plain",\n')
    assert b'5,["\\"quote\\" \\\\back [","br","BR","] $var {brace}\\ttab","","!",""],\n' in out
    assert b"\\u0001\\u001b\x7f" in out and out.endswith(b"0]}\n\n]\n")
    tcl = tree.same("diff", "--tcl", *TWO, "esc.txt")
    assert tcl.startswith(b'FILE "esc.txt" "esc.txt"\nCOM "plain"\n')
    assert b'EDIT "\\"quote\\" \\\\back \\[" "br" "BR" "\\] \\$var {brace}\ttab" "" "!"\n' in tcl
    assert b'EDIT "cr " "line" "LINE" "\\r"\n' in tcl


@pytest.mark.parametrize(
    "args",
    [
        ["--webpage"],
        ["--webpage", "-v"],
        ["--webpage", "-y"],
        ["--webpage", "-y", *TWO, "-v"],
        ["--webpage", *TWO, "-c", "2", WEIRD, "long.txt"],
        ["--webpage", "--numstat"],
        ["--webpage", "--unified", "-y"],
    ],
)
def test_webpage(tree: Tree, args: list[str]) -> None:
    a, b = tree.run_both("diff", *args)
    assert _body(b) == _body(a)
    sbs = "-y" in args and "--unified" not in args
    if "--numstat" in args:  # its total follows the page
        assert b.endswith(b"</html>\n         3          8 TOTAL over 3 changed files\n")
        a, b = (x[: x.index(b"</html>\n") + 8] for x in (a, b))
    _is_page(b, sbs=sbs)
    _is_page(a, sbs=sbs)
    assert b.endswith(a[a.index(b"</body>") :])


def test_webpage_is_not_trivial(tree: Tree) -> None:
    a, _ = tree.run_both("diff", "--webpage", *TWO)
    assert b"<h1>we&quot;ird&amp;&lt;name&gt;&#39;.txt</h1>\n" in a
    assert b'<table class="diff udiff">\n<tr id="chunk1">' in a and b'<tr id="chunk3">' in a


def test_browser(tree: Tree) -> None:
    """-b and --by: the page goes to a temporary etilqs_*.html given to the web-browser
    program, deleted afterwards; nothing on stdout (not even --numstat's total)."""
    browser = tree.work / "browser.sh"
    captured = tree.work / "captured-browser.sh"
    tree.fossil("settings", "web-browser", str(browser), cwd=tree.w)
    try:
        for args in (["-b", "--numstat"], ["--by", *TWO]):
            pages = []
            for prog in (tree.fossil, tree.fossilpy):
                tmp = tree.work / f"tmp-browser-{len(pages)}{len(args)}"
                tmp.mkdir()
                r = prog("diff", *args, cwd=tree.w, env={"TMPDIR": str(tmp)})
                assert r.stdout == b"" and r.stderr == b""  # the browser's stdout is /dev/null too
                assert list(tmp.iterdir()) == []  # deleted after the browser ran
                pages.append(captured.read_bytes())
                captured.unlink()
            sbs = "--by" in args
            _is_page(pages[0], sbs)
            _is_page(pages[1], sbs)
            assert _body(pages[1]) == _body(pages[0])
            if "--numstat" in args:
                assert re.search(rb"<body>\n<h1>|<body>\n +\d", pages[0])
        # an error before the page is done: no browser; fossil leaves its page behind, fossilpy does not
        tmp = tree.work / "tmp-browser-error"
        tmp.mkdir()
        a = tree.fossil("diff", "-b", "nonesuch", check=False, cwd=tree.w, env={"TMPDIR": str(tmp)})
        b = tree.fossilpy("diff", "-b", "nonesuch", check=False, cwd=tree.w, env={"TMPDIR": str(tmp)})
        assert (b.returncode, b.stdout, b.stderr) == (a.returncode, a.stdout, b"fossilpy: " + a.stderr)
        assert a.returncode == 1 and not captured.exists()
        assert len(list(tmp.iterdir())) == 1  # fossil's
    finally:
        tree.fossil("unset", "web-browser", cwd=tree.w)


def _first_line(script: bytes) -> bytes:
    line = script.split(b"\n", 1)[0]
    return re.sub(rb'^set fossilcmd \{\| "[^"]*"( -m fossilpy)? ', b'set fossilcmd {| "FOSSIL" ', line)


@pytest.mark.parametrize(
    "args",
    [
        ["--tk"],
        ["--tk", "-y", "--from", "root:trunk", "-v", "esc.txt"],
        ["--tk", "--tcl", "--html", "-i", "-c", "3", "a}b", "c d", "--tclsh=X", "-v", "esc.txt"],
        ["-v", "--tk", "--branch", "trunk", "--tclsh", "X", "--", "-v"],
    ],
)
def test_tk_script(tree: Tree, args: list[str]) -> None:
    """--tk with --tclsh: the script handed to tclsh, its first line as fossil's."""
    tclsh = tree.work / "tclsh.sh"
    captured = tree.work / "captured-tclsh.sh"
    args = [{"--tclsh=X": f"--tclsh={tclsh}", "X": str(tclsh)}.get(a, a) for a in args]
    if not any(a.startswith("--tclsh") for a in args):
        args = [*args, "--tclsh", str(tclsh)]
    lines = []
    for prog in (tree.fossil, tree.fossilpy):
        r = prog("diff", *args, cwd=tree.w, env={"DISPLAY": ""})
        assert r.stdout == b"started with 1 argument(s)\n" and r.stderr == b""
        lines.append(_first_line(captured.read_bytes()))
        captured.unlink()
        assert not list(tree.w.glob("file-*"))
    assert lines[1] == lines[0]


def test_tk_script_option_and_gdiff(tree: Tree) -> None:
    for cmd in ("diff", "gdiff"):
        out = []
        for prog in (tree.fossil, tree.fossilpy):
            script = tree.work / f"view-{len(out)}.tcl"
            r = prog(cmd, "--tk", "--script", str(script), "--from", "root:trunk", cwd=tree.w)
            out.append((r.stdout.replace(str(script).encode(), b"SCRIPT"), _first_line(script.read_bytes())))
        assert out[1] == out[0]
        assert out[0][0] == b'To see diff, run: tclsh "SCRIPT"\n'
    r = tree.fossilpy("gdiff", "--tclsh", str(tree.work / "tclsh.sh"), cwd=tree.w, env={"DISPLAY": ""})
    assert b"diff -tcl -i -v}\n" in (tree.work / "captured-tclsh.sh").read_bytes()


STUB_TK = """
proc package {args} {}
foreach cmd {wm frame button pack grid bind scrollbar} { proc $cmd {args} {} }
proc label {w args} { proc $w {args} {} }
proc text {w args} {
  set ::shown($w) ""
  proc $w {cmd args} [string map [list W $w] {
    if {$cmd eq "insert"} { foreach {t tag} [lrange $args 1 end] { append ::shown(W) $t } }
  }]
}
source [lindex $argv 0]
puts "LEFT"
puts -nonewline $::shown(.tA)
puts "RIGHT"
puts -nonewline $::shown(.tB)
"""


def test_tk_viewer_reads_the_diff(tree: Tree) -> None:
    """fossilpy's viewer (run by tclsh with Tk's commands stubbed) runs fossilpy diff -tcl
    and puts the two sides' lines in its panes."""
    script = tree.work / "viewer.tcl"
    tree.fossilpy("diff", "--tk", "--script", str(script), *TWO, "-c", "1", "esc.txt", "long.txt", cwd=tree.w)
    (tree.work / "stub.tcl").write_text(STUB_TK)
    r = Runner(["tclsh"], tree.fossilpy.env, tree.w)(str(tree.work / "stub.tcl"), str(script))
    left, right = r.stdout.split(b"RIGHT\n")
    assert left.startswith(b"LEFT\nesc.txt\n    1 plain\n")
    assert b'    2 "quote" \\back [br] $var {brace}\ttab\n' in left
    assert b'    2 "quote" \\back [BR] $var {brace}\ttab!\n' in right
    assert b"    8 added }{ \\ $x\n" in right and b"long.txt\n" in right
    assert b"      ...\n" in left and b"   14 LINE 13!\n" in right


def test_ui_starts_the_web_browser_setting(tree: Tree) -> None:
    """``ui`` runs the web-browser program on its URL (the current check-in's timeline
    in a check-out, the page of -p/--page), as fossil ui does; -B starts nothing."""
    said = tree.work / "ui-browser.out"
    browser = tree.work / "ui-browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$# $1" >> {said}\n')
    browser.chmod(0o755)
    tree.fossil("settings", "web-browser", str(browser), cwd=tree.w)
    try:
        for extra in ([], ["--page", "/dir?ci=tip"], ["-B"]):
            urls = []
            for name, prog in (("fossil", tree.fossil), ("fossilpy", tree.fossilpy)):
                port = free_port()
                more = ["--nojail"] if name == "fossil" else []
                proc = spawn([*prog.argv0, "ui", "-P", str(port), *more, *extra], env=prog.env, cwd=tree.w)
                try:
                    wait_port(port, proc)
                    end = time.monotonic() + 10
                    while not said.exists() and "-B" not in extra and time.monotonic() < end:
                        time.sleep(0.05)
                    time.sleep(0.2)
                finally:
                    stop(proc)
                urls.append(said.read_text().replace(str(port), "PORT") if said.exists() else None)
                if said.exists():
                    said.unlink()
            assert urls[1] == urls[0]
            if "-B" in extra:
                assert urls[0] is None
            else:
                assert urls[0] is not None and urls[0].startswith("1 http://localhost:PORT/")
    finally:
        tree.fossil("unset", "web-browser", cwd=tree.w)


def test_tk_script_file_folders_and_errors(tree: Tree) -> None:
    """--script makes missing folders, "-" is stdout, an unwritable name is Fossil's error."""
    for prog in (tree.fossil, tree.fossilpy):
        script = tree.work / "made" / "for" / "view.tcl"
        r = prog("diff", "--tk", "--script", str(script), cwd=tree.w)
        assert r.stdout == f'To see diff, run: tclsh "{script}"\n'.encode()
        assert script.read_bytes().startswith(b"set fossilcmd {| ")
        shutil.rmtree(tree.work / "made")
    a, b = tree.run_both("diff", "--tk", "--script", "-")
    assert _first_line(b) == _first_line(a)
    assert b.endswith(b'\nTo see diff, run: tclsh "-"\n') and a.endswith(b'\nTo see diff, run: tclsh "-"\n')
    tree.same("diff", "--tk", "--script", "/proc/view.tcl")
