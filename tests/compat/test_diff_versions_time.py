"""``diff -h`` (``--versions``) prints each check-in's time as Fossil does: through
``datetime(%f)``, the Julian day cut to 6 decimals first, so a time just before a full
second shows the next second (the check-in below is at 12:00:00.994)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner


def test_versions_header_time_rounds_as_fossil(tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    fossil("init", "r.fossil")
    wd = tmp_path / "w"
    wd.mkdir()
    fossil("open", "../r.fossil", cwd=wd)
    (wd / "a.txt").write_text("one\n")
    fossil("add", "a.txt", cwd=wd)
    fossil("commit", "-m", "first", "--no-warnings", "--date-override", "2027-01-01T12:00:00.994", cwd=wd)
    first = fossil.text("info", cwd=wd).split("checkout:")[1].split()[0]
    (wd / "a.txt").write_text("one\ntwo\n")
    fossil("commit", "-m", "second", "--no-warnings", "--date-override", "2027-01-02T08:30:15.200", cwd=wd)
    args = ["diff", "-h", "--from", first, "--to", "trunk"]
    want = fossil(*args, cwd=wd)
    got = fossilpy(*args, cwd=wd)
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout)
    head = got.stdout.decode().splitlines()[:2]
    assert head[0].endswith(" 2027-01-01 12:00:01 UTC"), head
    assert head[1].endswith(" 2027-01-02 08:30:15 UTC"), head
