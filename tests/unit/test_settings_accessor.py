"""Issue 10: settings are read through ``Repo.setting*``, which take the default from the registry.

Fossil 2.21 (src/db.c) decides the rules:

* ``db_get(name, 0)``: the config value, else the setting's default;
* ``db_get_boolean``: "on", "yes", "true", "1" (any case) are true, "off",
  "no", "false", "0" false, anything else (and no row) the default;
* ``db_get_int``: no row gives the default; a row's value is read by
  ``sqlite3_column_int`` - its leading integer, so "12abc" is 12 and "abc",
  "" or NULL are 0 (checked against the real binary below).
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fossilpy import settings as registry
from fossilpy.errors import ProgrammingError
from fossilpy.repo.db import Repo
from tests.conftest import base_env, require_binary


def _store(repo: Repo, name: str, value: Any) -> None:
    """A config row exactly as given (config_set stores the same; NULL needs SQL)."""
    with repo.write():
        repo.execute("REPLACE INTO config(name,value,mtime) VALUES(?,?,0)", (name, value))


# -- setting() -----------------------------------------------------------------------


def test_setting_default_then_value(repo: Repo) -> None:
    assert repo.setting("autosync") == "on"
    assert repo.setting("hash-digits") == "10"
    assert repo.setting("email-url") is None  # a setting without a default
    repo.config_set("autosync", "pullonly")
    assert repo.setting("autosync") == "pullonly"
    _store(repo, "hash-digits", 12)  # db_set_int stores an integer
    assert repo.setting("hash-digits") == "12"
    _store(repo, "autosync", None)  # NULL is no value: the default
    assert repo.setting("autosync") == "on"
    repo.config_set("autosync", "")  # an empty value is a value (Fossil's db_get too)
    assert repo.setting("autosync") == ""


def test_extensions_are_settings_too(repo: Repo) -> None:
    assert repo.setting("backoffice-peers") is None
    repo.config_set("backoffice-peers", "https://example.org/ sync\n")
    assert repo.setting("backoffice-peers") == "https://example.org/ sync\n"


@pytest.mark.parametrize("name", ["project-code", "server-code", "last-sync-url", "autosyn", "Autosync", ""])
@pytest.mark.parametrize("accessor", ["setting", "setting_bool", "setting_int"])
def test_unregistered_names_are_bugs(repo: Repo, accessor: str, name: str) -> None:
    repo.config_set("project-code", "abc")
    with pytest.raises(ProgrammingError, match="not a registered setting"):
        getattr(repo, accessor)(name)


# -- setting_bool() --------------------------------------------------------------


@pytest.mark.parametrize("value, if_off, if_on", [
    (None, False, True),  # no row: the registry default
    ("on", True, True), ("ON", True, True), ("yes", True, True), ("True", True, True), ("1", True, True),
    (1, True, True),
    ("off", False, False), ("No", False, False), ("FALSE", False, False), ("0", False, False), (0, False, False),
    # anything else is the default (Fossil's is_truth/is_false know four words each)
    ("2", False, True), (" on", False, True), ("enabled", False, True), ("", False, True), ("01", False, True),
])
def test_setting_bool(repo: Repo, value: Any, if_off: bool, if_on: bool) -> None:
    assert registry.SETTINGS["dont-push"].default == "off" and registry.SETTINGS["auto-shun"].default == "on"
    if value is not None:
        _store(repo, "dont-push", value)
        _store(repo, "auto-shun", value)
    assert repo.setting_bool("dont-push") is if_off
    assert repo.setting_bool("auto-shun") is if_on


def test_setting_bool_of_a_text_setting_uses_the_default_truth(repo: Repo) -> None:
    assert repo.setting_bool("autosync") is True  # default "on"
    assert repo.setting_bool("email-url") is False  # no default
    repo.config_set("autosync", "pullonly")
    assert repo.setting_bool("autosync") is True  # neither true nor false: the default


# -- setting_int() ---------------------------------------------------------------


@pytest.mark.parametrize("name, default", [
    ("hash-digits", 10), ("max-upload", 250000), ("lock-timeout", 60), ("auto-hyperlink", 1),
    ("localauth", 0),  # a boolean "off"
    ("email-renew-interval", 0),  # no default
])
def test_setting_int_defaults(repo: Repo, name: str, default: int) -> None:
    assert repo.setting_int(name) == default


@pytest.mark.parametrize("value, expected", [
    ("14", 14), (" 14", 14), ("+7x", 7), ("-3", -3), ("12abc", 12), ("1e3", 1), ("2.9", 2),
    ("abc", 0), ("", 0), ("on", 0), (None, 0), ("0x10", 0),
    (12, 12), (2.9, 2), (-2.9, -2),
    ("99999999999999999999", 2**63 - 1), ("-99999999999999999999", -(2**63)), ("9" * 5000, 2**63 - 1),
])
def test_setting_int_of_a_row_is_sqlites_integer(repo: Repo, value: Any, expected: int) -> None:
    _store(repo, "hash-digits", value)
    assert repo.setting_int("hash-digits") == expected
    cast = repo.one("SELECT CAST(value AS INTEGER) FROM config WHERE name='hash-digits'")
    assert (0 if cast is None else cast) == expected  # what sqlite3_column_int reads


def test_as_int_agrees_with_sqlite() -> None:
    db = sqlite3.connect(":memory:")
    values: list[Any] = ["", " ", "\t\n\v\f\r 5", "- 3", "--3", "+", "-", "007", "-0", "1_000", "١٢",
                         "12 34", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                         "-9223372036854775809", 1e300, -1e300, 0.5, -0.5, b"42", b"x"]
    for value in values:
        want = db.execute("SELECT CAST(? AS INTEGER)", (value,)).fetchone()[0]
        assert registry.as_int(value) == want, value


def test_localauth_is_read_as_fossil_reads_it(repo: Repo) -> None:
    """login.c: ``db_get_int("localauth", 0)``: "on" reads 0, as in Fossil 2.21."""
    repo.config_set("localauth", "1")
    assert repo.setting_int("localauth") == 1
    repo.config_set("localauth", "on")
    assert repo.setting_int("localauth") == 0


# -- config rows that are not settings ---------------------------------------


def test_config_readers_follow_the_same_rules(repo: Repo) -> None:
    assert repo.config_int("cookie-expire", 8766) == 8766  # no row: the caller's default
    repo.config_set("cookie-expire", "abc")
    assert repo.config_int("cookie-expire", 8766) == 0  # a row: SQLite's integer
    repo.config_set("cookie-expire", "12h")
    assert repo.config_int("cookie-expire", 8766) == 12
    assert repo.config_bool("remote_user_ok") is False
    repo.config_set("remote_user_ok", "2")
    assert repo.config_bool("remote_user_ok") is False and repo.config_bool("remote_user_ok", True) is True
    repo.config_set("remote_user_ok", "Yes")
    assert repo.config_bool("remote_user_ok") is True


# -- cost --------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda r: r.setting("hash-digits"), lambda r: r.setting_bool("dont-push"), lambda r: r.setting_int("max-upload"),
])
def test_one_query_per_read(repo: Repo, call: Any) -> None:
    """As many statements as the config_get/config_int/config_bool it replaces: one."""
    seen: list[str] = []
    repo.db.set_trace_callback(seen.append)
    try:
        call(repo)
        call(repo)
    finally:
        repo.db.set_trace_callback(None)
    assert len(seen) == 2 and all("FROM config WHERE name=" in s for s in seen), seen


# -- against the real binary ----------------------------------------------------


def test_hash_digits_rule_matches_fossil(tmp_path: Path) -> None:
    """``fossil timeline`` shows hash-digits as read by db_get_int, clamped to 6..64."""
    from fossilpy.repo.crosslink import tags

    exe = require_binary("fossil")
    env = base_env(tmp_path)
    path = tmp_path / "r.fossil"
    subprocess.run([exe, "init", str(path)], env=env, check=True, capture_output=True, timeout=60)
    for value in (None, "abc", "12abc", "", " 14", "1e1", "3"):
        with Repo.open(str(path)) as repo:
            with repo.write():
                repo.execute("DELETE FROM config WHERE name='hash-digits'")
            if value is not None:
                _store(repo, "hash-digits", value)
            ours = tags.hash_digits(repo)
        out = subprocess.run([exe, "timeline", "-n", "1", "-R", str(path)], env=env, check=True,
                             capture_output=True, text=True, timeout=60).stdout
        shown = out.splitlines()[1].split("[", 1)[1].split("]", 1)[0]
        assert len(shown) == ours, (value, out)
