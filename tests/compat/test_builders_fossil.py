"""The repository the web tests run on is one Fossil would make of the same artifacts.

``tests.builders.build_web_repo`` writes artifacts with fossilpy's card
writer and crosslinks them with fossilpy, so the web tests need no fossil
binary.  Here the real ``fossil rebuild`` re-derives every table from those
artifacts: the derived tables must come out the same, and ``fossil
test-integrity`` must find nothing, or the builder has drifted from Fossil.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.builders import build_web_repo
from tests.compare import derived_table_diff, format_diff

pytestmark = pytest.mark.compat


def test_web_repo_is_what_fossil_rebuild_makes(fossil, tmp_path: Path) -> None:
    built = build_web_repo(tmp_path / "web.fossil").path
    rebuilt = Path(shutil.copy(built, tmp_path / "rebuilt.fossil"))
    fossil("rebuild", rebuilt)
    diff = derived_table_diff(built, rebuilt)
    assert not diff, format_diff(diff)
    report = fossil.text("test-integrity", "-R", built)
    assert " 0 errors" in report and "integrity-check: ok" in report, report
    # what the web tests read: the check-ins, both wiki pages, the ticket, the technote
    assert fossil.text("sql", "-R", built, "SELECT type, count(*) FROM event GROUP BY type ORDER BY type").split() == [
        "'ci',7",
        "'e',1",
        "'t',1",
        "'w',2",
    ]
