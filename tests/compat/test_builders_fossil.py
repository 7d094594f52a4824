"""The repositories the web tests run on are ones Fossil would make of the same artifacts.

``tests.builders.build_web_repo`` and ``build_private_repo`` write artifacts
with fossilpy's card writer and crosslink them with fossilpy, so the web
tests need no fossil binary.  Here the real ``fossil rebuild`` re-derives
every table from those artifacts: the derived tables must come out the
same, and ``fossil test-integrity`` must find nothing, or the builder has
drifted from Fossil.  The private repository is also made with the real
``fossil commit --private`` it stands for: the same artifacts, byte for
byte, the same private set and the same derived tables.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.builders import PRIVATE_BRANCH, PRIVATE_COMMENT, build_private_repo, build_web_repo
from tests.compare import DERIVED_TABLES, derived_table_diff, essential_table_diff, format_diff
from tests.conftest import Runner

pytestmark = pytest.mark.compat


def _assert_rebuild_agrees(fossil: Runner, built: Path, tmp_path: Path) -> None:
    """``fossil rebuild`` of a copy derives the same tables, keeps the same private set
    (and the same unclustered ones), and ``fossil test-integrity`` finds nothing."""
    rebuilt = Path(shutil.copy(built, tmp_path / "rebuilt.fossil"))
    fossil("rebuild", rebuilt)
    diff = derived_table_diff(built, rebuilt) + essential_table_diff(built, rebuilt)
    assert not diff, format_diff(diff)
    report = fossil.text("test-integrity", "-R", built)
    assert " 0 errors" in report and "integrity-check: ok" in report, report


def test_web_repo_is_what_fossil_rebuild_makes(fossil, tmp_path: Path) -> None:
    built = build_web_repo(tmp_path / "web.fossil").path
    _assert_rebuild_agrees(fossil, built, tmp_path)
    # what the web tests read: the check-ins, both wiki pages, the ticket, the technote
    assert fossil.text("sql", "-R", built, "SELECT type, count(*) FROM event GROUP BY type ORDER BY type").split() == [
        "'ci',7",
        "'e',1",
        "'t',1",
        "'w',2",
    ]


def test_private_repo_is_what_fossil_rebuild_makes(fossil, tmp_path: Path) -> None:
    p = build_private_repo(tmp_path / "priv.fossil")
    _assert_rebuild_agrees(fossil, p.path, tmp_path)
    # the private check-in and the two files only it uses: private, not unclustered
    private = "SELECT uuid FROM blob WHERE rid IN private ORDER BY uuid"
    assert fossil.text("sql", "-R", p.path, private).split() == sorted(
        f"'{h}'" for h in (p.priv, p.secret, p.readme_priv)
    )
    assert fossil.text("sql", "-R", p.path, "SELECT count(*) FROM unclustered WHERE rid IN private") == "0\n"
    assert fossil.text("sql", "-R", p.path, "SELECT type, count(*) FROM event GROUP BY type").split() == ["'ci',4"]


def _fossil_private_repo(fossil: Runner, base: Path) -> Path:
    """What ``build_private_repo`` stands for, made by the real fossil."""
    repo, co = base / "fossil.fossil", base / "co"
    co.mkdir()
    fossil("init", "--date-override", "2023-12-31 10:00:00", repo)
    fossil("open", repo, cwd=co)
    fossil("settings", "autosync", "off", cwd=co)
    (co / "README").write_text("public readme\n")
    (co / "src").mkdir()
    (co / "src" / "a.txt").write_text("one\n")
    fossil("add", "README", "src/a.txt", cwd=co)
    fossil("commit", "-m", "public one", "--date-override", "2024-01-01 10:00:00", cwd=co)
    (co / "src" / "a.txt").write_text("one\ntwo\n")
    fossil("commit", "-m", "public two", "--date-override", "2024-01-02 10:00:00", cwd=co)
    (co / "secret.txt").write_text("classified contents\n")
    (co / "README").write_text("public readme\nprivately changed\n")
    (co / "src" / "a.txt").write_text("one\n")  # back to the public version of "public one"
    fossil("add", "secret.txt", cwd=co)
    fossil(
        "commit",
        "--private",
        "--branch",
        PRIVATE_BRANCH,
        "-m",
        PRIVATE_COMMENT,
        "--date-override",
        "2024-01-03 10:00:00",
        cwd=co,
    )
    fossil("close", "--force", cwd=co)
    for login, caps in (("dev", "v"), ("boss", "sx")):
        fossil("user", "new", login, f"{login}@example.org", "pw", "-R", repo)
        fossil("user", "capabilities", login, caps, "-R", repo)
    fossil("user", "capabilities", "developer", "ei", "-R", repo)
    fossil("user", "capabilities", "nobody", "orj2", "-R", repo)
    fossil("user", "capabilities", "anonymous", "", "-R", repo)
    return repo


def test_private_repo_is_what_fossil_commit_private_makes(fossil, tmp_path: Path) -> None:
    """The same artifacts byte for byte (so the same hashes), the same private set, the same
    derived tables, and the same users with the same capabilities.

    ``unsent`` is left out: ``fossil commit`` lists what it made there for the next
    sync, the builder (like ``fossil rebuild``) leaves it empty."""
    p = build_private_repo(tmp_path / "priv.fossil")
    theirs = _fossil_private_repo(fossil, tmp_path)
    diff = essential_table_diff(p.path, theirs) + derived_table_diff(
        p.path, theirs, tables=[t for t in DERIVED_TABLES if t != "unsent"]
    )
    assert not diff, format_diff(diff)
    # Fossil 2.21 marks the check-in private in the private table alone: no "private" tag,
    # only the branch tags and the private branch colour
    manifest = fossil.text("artifact", p.priv, "-R", theirs)
    assert [card for card in manifest.splitlines() if card.startswith("T ")] == [
        "T *bgcolor * #fec084",
        "T *branch * hushbranch",
        "T *sym-hushbranch *",
        "T -sym-trunk *",
    ], manifest
    users = "SELECT login, cap, info FROM user ORDER BY login"
    assert fossil.text("sql", "-R", p.path, users) == fossil.text("sql", "-R", theirs, users)
