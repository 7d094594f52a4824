"""Twin checkouts for differential command tests (issue 13: branch, tag,
finfo, annotate, leaves, descendants, bisect, timeline, info).

:func:`build_history` makes, with the real fossil, a small repository with
a history worth asking about: trunk check-ins editing two files, a tag, a
branch ``feat`` (own colour) merged into trunk and continued, a fork on
trunk, a closed branch ``old``; every date pinned with ``--date-override``.

:class:`Twins` copies it twice, each copy with its own checkout opened by
fossil; :meth:`Twins.same` runs one command line with fossil in the first
checkout and with fossilpy in the second and asserts the same exit status,
standard output and standard error, after replacing each side's folder by
``ROOT`` and fossilpy's ``fossilpy: `` error prefix / ``fossilpy`` program
name by fossil's.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

from tests.compat.conftest import make_runners
from tests.conftest import Runner

DATES = [f"2024-02-{d:02d}T{h:02d}:00:00" for d in range(1, 28) for h in (9, 15)]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def build_history(fossil: Runner, work: Path) -> Path:
    """The repository described in the module docstring; returns its path."""
    repo = work / "base.fossil"
    co = work / "base-co"
    co.mkdir()
    dates = iter(DATES)

    def run(*args: str) -> str:
        return fossil.text(*args, cwd=co)

    def commit(comment: str, *extra: str) -> None:
        run("commit", "--no-warnings", "--allow-empty", "-m", comment, "--date-override", next(dates), *extra)

    fossil("init", "--date-override", next(dates), "--project-name", "Twins", str(repo))
    run("open", "--force", str(repo))
    run("settings", "autosync", "off")
    _write(co / "a.txt", "".join(f"line {i}\n" for i in range(1, 9)))
    _write(co / "sub" / "b.txt", "beta\n")
    run("add", "a.txt", "sub/b.txt")
    commit("Add a and b")
    _write(co / "a.txt", (co / "a.txt").read_text().replace("line 3\n", "line three\n"))
    commit("Edit line 3", "--tag", "v1")
    _write(co / "sub" / "b.txt", "beta\nfeature\n")
    commit(
        "Start the feature branch with a comment long enough to be wrapped on a narrow terminal",
        "--branch",
        "feat",
        "--bgcolor",
        "#c0ffc0",
    )
    run("update", "trunk")
    _write(co / "a.txt", (co / "a.txt").read_text() + "line 9\n")
    commit("Append line 9")
    run("merge", "feat")
    commit("Merge feat")
    run("update", "feat")
    _write(co / "sub" / "b.txt", "beta\nfeature 2\n")
    commit("More feature")
    run("update", "trunk")
    _write(co / "c.txt", "gamma\n")
    run("add", "c.txt")
    commit("Add c")
    _write(co / "a.txt", (co / "a.txt").read_text().replace("line 1\n", "line one\n"))
    commit("Edit line 1")
    _write(co / "a.txt", (co / "a.txt").read_text().replace("line 5\n", "line five\n"))
    commit("Edit line 5")
    run("update", "prev")
    _write(co / "c.txt", "gamma fork\n")
    commit("A fork on trunk", "--allow-fork")
    run("update", "v1")
    _write(co / "old.txt", "old\n")
    run("add", "old.txt")
    commit("Old idea", "--branch", "old")
    commit("Give up the old idea", "--close")
    run("update", "trunk")
    run("close", "--force")
    return repo


class Twins:
    """Two copies of a repository, each with a checkout opened by fossil at ``version``."""

    def __init__(self, base: Path, fossil: Runner, fossilpy: Runner, work: Path, version: str = "trunk") -> None:
        self.fossil = fossil
        self.fossilpy = fossilpy
        self.dirs: list[Path] = []
        for side in ("f", "p"):
            d = work / side
            d.mkdir()
            shutil.copyfile(base, d / "r.fossil")
            (d / "co").mkdir()
            fossil("open", "--force", str(d / "r.fossil"), version, cwd=d / "co")
            self.dirs.append(d)

    def repo(self, side: int) -> Path:
        return self.dirs[side] / "r.fossil"

    def co(self, side: int) -> Path:
        return self.dirs[side] / "co"

    def _norm(self, data: bytes, side: int) -> str:
        text = data.decode("utf-8", "surrogateescape").replace(str(self.dirs[side]), "ROOT")
        lines = []
        for line in text.split("\n"):
            if line.startswith("fossilpy: "):
                line = line[len("fossilpy: ") :]
            line = line.replace("Usage: fossilpy ", "Usage: fossil ")
            lines.append(re.sub(r"^Usage: /\S*/fossil ", "Usage: fossil ", line))
        return "\n".join(lines)

    def pair(self, *args: str, sub: str = "", repo_opt: bool = False) -> tuple[tuple[int, str, str], ...]:
        """(exit status, stdout, stderr) of fossil and of fossilpy, normalized."""
        results = []
        for side, prog in enumerate((self.fossil, self.fossilpy)):
            extra = ("-R", str(self.repo(side))) if repo_opt else ()
            proc = prog(*args, *extra, check=False, cwd=self.co(side) / sub)
            results.append((proc.returncode, self._norm(proc.stdout, side), self._norm(proc.stderr, side)))
        return tuple(results)

    def same(self, *args: str, sub: str = "", repo_opt: bool = False) -> tuple[int, str, str]:
        """Run on both sides, assert the same results, return fossil's."""
        f, p = self.pair(*args, sub=sub, repo_opt=repo_opt)
        assert p == f, f"{args}: fossil {f!r}\nfossilpy {p!r}"
        return f

    def rows(self, side: int, sql: str) -> list[tuple[object, ...]]:
        con = sqlite3.connect(f"file:{self.repo(side)}?mode=ro", uri=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def vvar(self, side: int) -> dict[str, str]:
        con = sqlite3.connect(f"file:{self.co(side) / '.fslckout'}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT name, value FROM vvar").fetchall())
        finally:
            con.close()


def make_twins(tmp_path_factory: object, base: Path, name: str, version: str = "trunk") -> Twins:
    """Fresh runners and twins of ``base`` in a new folder."""
    fossil, fossilpy, work = make_runners(tmp_path_factory, name)  # type: ignore[arg-type]
    return Twins(base, fossil, fossilpy, work, version)
