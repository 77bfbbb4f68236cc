"""API keys: created once, stored as hashes, checked in constant time, loaded from two places."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from matching.errors import ConfigError
from matching.serving import ApiKeys, add_key, hash_key, new_key
from matching.settings import Settings


def _settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings(home=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_hash_is_sha256_of_the_key() -> None:
    """The stored form is the hex SHA-256 of the key's UTF-8 bytes."""
    assert hash_key("mk_abc") == hashlib.sha256(b"mk_abc").hexdigest()


def test_new_keys_are_random_and_prefixed() -> None:
    """Two keys differ and carry the prefix that identifies them in leaked-secret scanners."""
    first, second = new_key(), new_key()
    assert first != second
    assert first.startswith("mk_")
    assert len(first) > 40


def test_add_key_stores_only_the_hash(tmp_path: Path) -> None:
    """The file holds NAME:sha256:HEX, never the key, and is readable by its owner only."""
    key, path = add_key("crm", settings=_settings(tmp_path))
    text = path.read_text()
    assert key not in text
    assert text.strip() == f"crm:sha256:{hash_key(key)}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_created_key_is_accepted_under_its_name(tmp_path: Path) -> None:
    """ApiKeys.check returns the key's name, and None for a wrong or missing key."""
    settings = _settings(tmp_path)
    key, _ = add_key("crm", settings=settings)
    keys = ApiKeys.load(settings)
    assert keys.check(key) == "crm"
    assert keys.check(key + "x") is None
    assert keys.check(None) is None
    assert keys.check("") is None


def test_adding_a_name_again_replaces_its_key(tmp_path: Path) -> None:
    """Re-creating a key under the same name revokes the old one and keeps the others."""
    settings = _settings(tmp_path)
    old, _ = add_key("crm", settings=settings)
    other, _ = add_key("recruiters", settings=settings)
    new, _ = add_key("crm", settings=settings)
    keys = ApiKeys.load(settings)
    assert keys.check(old) is None
    assert keys.check(new) == "crm"
    assert keys.check(other) == "recruiters"


def test_environment_entries_are_read(tmp_path: Path) -> None:
    """MATCHING_API_KEYS holds comma-separated entries, merged with the file."""
    settings = _settings(tmp_path, api_keys=f"a:sha256:{hash_key('k1')}, b:sha256:{hash_key('k2')}")
    keys = ApiKeys.load(settings)
    assert (keys.check("k1"), keys.check("k2"), len(keys)) == ("a", "b", 2)


def test_comments_and_blank_lines_are_skipped() -> None:
    """`#` starts a comment; blank lines are fine."""
    keys = ApiKeys.parse(["# keys", "", f"a:sha256:{hash_key('k')}  # the CRM"], source="f")
    assert keys.check("k") == "a"


@pytest.mark.parametrize(
    "entry", ["mk_plainkeypasted", "a:md5:abc", "a:sha256:XYZ", ":sha256:" + "0" * 64]
)
def test_a_malformed_entry_is_refused_without_echoing_it(entry: str) -> None:
    """E606 names the source and at most the entry's first characters (it may be a key)."""
    with pytest.raises(ConfigError) as caught:
        ApiKeys.parse([entry], source="keys.txt")
    assert caught.value.code == "E606"
    assert "keys.txt" in caught.value.message
    if len(entry) > 12:
        assert entry not in str(caught.value)


def test_no_keys_at_all_is_an_error_when_required(tmp_path: Path) -> None:
    """A service without keys refuses to start (E605) instead of serving everyone."""
    with pytest.raises(ConfigError) as caught:
        ApiKeys.load(_settings(tmp_path))
    assert caught.value.code == "E605"
    assert len(ApiKeys.load(_settings(tmp_path), required=False)) == 0


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "a:b"])
def test_key_names_are_checked(tmp_path: Path, name: str) -> None:
    """A name must fit the NAME part of an entry."""
    with pytest.raises(ValueError, match="key name"):
        add_key(name, settings=_settings(tmp_path))


def test_revoking_removes_only_that_key(tmp_path: Path) -> None:
    """revoke_key drops the named entry and reports whether there was one."""
    from matching.serving import revoke_key

    settings = _settings(tmp_path)
    gone, _ = add_key("crm", settings=settings)
    kept, _ = add_key("crm-prod", settings=settings)
    assert revoke_key("crm", settings=settings)
    assert not revoke_key("crm", settings=settings)
    keys = ApiKeys.load(settings)
    assert (keys.check(gone), keys.check(kept)) == (None, "crm-prod")


def test_the_keys_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`matching keys create` prints a working key once; list shows names; revoke removes."""
    from typer.testing import CliRunner

    from matching.cli import app

    monkeypatch.setenv("MATCHING_HOME", str(tmp_path))
    monkeypatch.delenv("MATCHING_API_KEYS", raising=False)
    monkeypatch.delenv("MATCHING_API_KEYS_FILE", raising=False)
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "crm"])
    assert created.exit_code == 0
    key = next(line for line in created.stdout.splitlines() if line.startswith("mk_"))
    assert ApiKeys.load(_settings(tmp_path)).check(key) == "crm"
    assert runner.invoke(app, ["keys", "create", "other", "--if-none"]).stdout == ""
    assert runner.invoke(app, ["keys", "list"]).stdout.split() == ["crm"]
    assert runner.invoke(app, ["keys", "revoke", "crm"]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", "crm"]).exit_code == 1
