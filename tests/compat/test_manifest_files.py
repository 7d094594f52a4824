"""The ``manifest`` setting's files in a checkout, byte for byte as fossil writes them: after
``open``/``update`` (``manifest_to_disk``) the ``manifest`` file is the check-in's text with
Fossil's extra last line (``sterilize_manifest``), so that it never parses as an artifact;
right after ``commit`` it is the new check-in's text as it is (as Fossil's commit writes it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fossilpy.artifact import manifest
from tests.conftest import Runner

FILES = ("manifest", "manifest.uuid", "manifest.tags")


def test_manifest_files_as_fossil_writes_them(tmp_path: Path, fossil: Runner, fossilpy: Runner) -> None:
    fossil("init", "r.fossil")
    fossil("settings", "manifest", "rut", "-R", "r.fossil")
    seed = tmp_path / "seed"
    seed.mkdir()
    fossil("open", "../r.fossil", "--nosync", cwd=seed)
    (seed / "a.txt").write_text("one\n")
    fossil("add", "a.txt", cwd=seed)
    fossil("commit", "-m", "first", "--no-warnings", "--nosync", cwd=seed)
    fossil("close", cwd=seed)
    shutil.copy(tmp_path / "r.fossil", tmp_path / "p.fossil")
    sides = {}
    for name, program, repo in (("f", fossil, "r.fossil"), ("p", fossilpy, "p.fossil")):
        wd = tmp_path / name
        wd.mkdir()
        program("open", f"../{repo}", "--nosync", cwd=wd)
        (wd / "a.txt").write_text("the second version\n")
        program("commit", "-m", "second", "--no-warnings", "--nosync", "--date-override", "2027-01-02T03:04:05",
                cwd=wd)  # fmt: skip
        sides[name] = wd
    # after a commit: the new check-in's text as it is (Fossil's commit writes it so)
    for f in FILES:
        assert (sides["p"] / f).read_bytes() == (sides["f"] / f).read_bytes(), f
    assert manifest.parse_or_none((sides["p"] / "manifest").read_bytes()) is not None
    # open (and update, checkout): with Fossil's extra line, no longer an artifact
    for name, program, repo in (("f", fossil, "r.fossil"), ("p", fossilpy, "p.fossil")):
        wd = tmp_path / (name + "2")
        wd.mkdir()
        program("open", f"../{repo}", "--nosync", cwd=wd)
        sides[name] = wd
    for f in FILES:
        assert (sides["p"] / f).read_bytes() == (sides["f"] / f).read_bytes(), f
    text = (sides["p"] / "manifest").read_bytes()
    line = b"# Remove this line to create a well-formed Fossil manifest.\n"
    assert text.endswith(b"\n" + line)
    assert manifest.parse_or_none(text) is None
    assert manifest.parse_or_none(text[: -len(line)]) is not None


def test_sterilize_puts_the_line_before_a_signature() -> None:
    signed = (
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nC x\nD 2026-01-01T00:00:00\n"
        b"-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"
    )
    assert manifest.sterilize(signed) == signed.replace(
        b"-----BEGIN PGP SIGNATURE",
        b"# Remove this line to create a well-formed Fossil manifest.\n-----BEGIN PGP SIGNATURE",
    )
    assert manifest.sterilize(b"C x\n", "control artifact") == (
        b"C x\n# Remove this line to create a well-formed Fossil control artifact.\n"
    )
