"""Issue 9, finding 13c: every setting the documentation names is a setting fossilpy knows.

Before the fix ``fossilpy settings backoffice-peers`` answered "no such
setting" although www/doc/backoffice.md tells to set it that way.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fossilpy import settings as registry
from tests.conftest import ROOT, base_env, require_binary

DOCS = sorted((ROOT / "www" / "doc").glob("*.md"))

#: Names the documentation calls a setting that are not ``fossil settings``
#: settings, with the reason.
NOT_SETTINGS = {
    # A config row set on /setup_access; `fossil settings remote_user_ok`
    # answers "no such setting" in Fossil 2.21 too.
    "remote_user_ok": "Fossil config row, not a setting",
}


def _names_in(text: str) -> set[str]:
    """Setting names used with `fossil[py] settings|set|unset`, called "the `X` setting",
    or listed in the first column of a table headed "Setting"."""
    found = set(re.findall(r"\bfossil(?:py)?\s+(?:settings|set|unset)\s+([a-z][a-z0-9_-]*)", text))
    found |= set(re.findall(r"`([a-z][a-z0-9_:-]*)`\s+setting\b", text))
    in_table = False
    for line in text.splitlines():
        if re.match(r"\|\s*Setting\s*\|", line):
            in_table = True
        elif in_table and line.startswith("|"):
            first = line.split("|")[1]
            found |= set(re.findall(r"`([a-z][a-z0-9_-]*)`", first))
        else:
            in_table = False
    return found


def test_doc_scanner_finds_the_settings_tables() -> None:
    names = _names_in((ROOT / "www" / "doc" / "backoffice.md").read_text())
    assert {"backoffice-peers", "backoffice-disable", "email-send-db", "email-listid"} <= names
    assert "--logfile" not in names and "alerts" not in names  # other tables are not settings


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_documented_setting_is_registered(doc: Path) -> None:
    missing = []
    for name in sorted(_names_in(doc.read_text()) - set(NOT_SETTINGS)):
        try:
            registry.find_setting(name)
        except registry.NotFound:
            missing.append(name)
    assert missing == [], f"{doc.name} names settings fossilpy does not know: {missing}"


def test_not_settings_are_really_not_fossil_settings(tmp_path: Path) -> None:
    exe = require_binary("fossil")
    env = base_env(tmp_path)
    subprocess.run([exe, "init", str(tmp_path / "r.fossil")], env=env, check=True, capture_output=True)
    for name in NOT_SETTINGS:
        out = subprocess.run([exe, "settings", name, "-R", str(tmp_path / "r.fossil")], env=env,
                             capture_output=True, timeout=60)
        assert out.returncode == 1 and f"no such setting: {name}".encode() in out.stderr


def test_backoffice_peers_through_the_settings_command(tmp_path: Path) -> None:
    exe = require_binary("fossil")
    env = base_env(tmp_path)
    repo = str(tmp_path / "r.fossil")
    subprocess.run([exe, "init", repo], env=env, check=True, capture_output=True)

    def fossilpy(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "fossilpy", *args, "-R", repo], env=env,
                              capture_output=True, timeout=120)

    def fossil(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *args, "-R", repo], env=env, capture_output=True, timeout=120)

    r = fossilpy("settings", "backoffice-peers")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"backoffice-peers    \n", b"")
    r = fossilpy("settings", "backoffice-peers", "https://peer.example/repo pull 600")
    assert (r.returncode, r.stderr) == (0, b"")
    r = fossilpy("settings", "backoffice-peers", "--exact")
    assert r.stdout == b"backoffice-peers     (local)  https://peer.example/repo pull 600\n"
    # a prefix lists exactly what fossil lists
    assert fossilpy("settings", "backoffice").stdout == fossil("settings", "backoffice").stdout
    assert b"backoffice-peers" not in fossilpy("settings").stdout
    # a prefix never reaches an extension
    r = fossilpy("settings", "backoffice-pe", "x")
    assert (r.returncode, r.stderr) == (1, b"fossilpy: no such setting: backoffice-pe\n")
    assert (fossilpy("unset", "backoffice-peers").returncode, fossilpy("settings", "backoffice-peers").stdout) == (
        0, b"backoffice-peers    \n")
