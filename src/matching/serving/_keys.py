"""API keys: random tokens shown once, stored only as SHA-256 hashes.

A key is 32 random bytes (``mk_`` + URL-safe base64), so a fast hash is enough: there is no
password to guess from a dictionary, and a salted slow hash would only slow every request.
Entries are ``NAME:sha256:HEX``, one per line in the keys file (``#`` starts a comment) or
comma-separated in ``MATCHING_API_KEYS``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from matching.errors import ConfigError, Errors
from matching.settings import Settings, get_settings

PREFIX = "mk_"
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9_.@\-]{1,64}):sha256:(?P<digest>[0-9a-f]{64})$")


def hash_key(key: str) -> str:
    """The stored form of a key: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key."""
    return PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ApiKeys:
    """The accepted keys, by name."""

    digests: dict[str, str]

    def __len__(self) -> int:
        return len(self.digests)

    def check(self, key: str | None) -> str | None:
        """The name of ``key`` if it is accepted, else None (compared in constant time)."""
        if not key:
            return None
        digest = hash_key(key)
        found = None
        for name, stored in self.digests.items():
            if hmac.compare_digest(digest, stored):
                found = name
        return found

    @classmethod
    def parse(cls, lines: list[str], *, source: str) -> ApiKeys:
        """Keys from ``NAME:sha256:HEX`` entries; blank lines and ``#`` comments are skipped."""
        digests: dict[str, str] = {}
        for raw in lines:
            entry = raw.split("#", 1)[0].strip()
            if not entry:
                continue
            found = _ENTRY.match(entry)
            if found is None:
                # Never echo what could be a pasted key: only its first characters.
                raise ConfigError(Errors.E606, entry=entry[:12] + "…", source=source)
            digests[found["name"]] = found["digest"]
        return cls(digests)

    @classmethod
    def load(cls, settings: Settings | None = None, *, required: bool = True) -> ApiKeys:
        """Keys from ``MATCHING_API_KEYS`` and the keys file (both, when both are set).

        Raises
        ------
        matching.errors.ConfigError
            E605 when ``required`` and no key is configured; E606 for a malformed entry.
        """
        settings = settings if settings is not None else get_settings()
        path = settings.resolved_api_keys_file()
        keys = cls({})
        if settings.api_keys:
            keys = cls.parse(settings.api_keys.split(","), source="MATCHING_API_KEYS")
        if path.is_file():
            from_file = cls.parse(path.read_text(encoding="utf-8").splitlines(), source=str(path))
            keys = cls({**from_file.digests, **keys.digests})
        if required and not keys:
            raise ConfigError(Errors.E605, path=path)
        return keys


def add_key(name: str, *, settings: Settings | None = None) -> tuple[str, Path]:
    """Create a key named ``name``, append its hash to the keys file; return ``(key, file)``.

    The key itself is returned once and stored nowhere. A name already in the file is
    replaced (the old key stops working when the service reloads its keys).
    """
    if not re.fullmatch(r"[A-Za-z0-9_.@\-]{1,64}", name):
        raise ValueError("a key name is 1 to 64 letters, digits or _ . @ -")
    settings = settings if settings is not None else get_settings()
    path = settings.resolved_api_keys_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    kept: list[str] = []
    if path.is_file():
        kept = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.split("#", 1)[0].strip().startswith(f"{name}:")
        ]
    key = new_key()
    kept.append(f"{name}:sha256:{hash_key(key)}")
    _write(path, kept)
    return key, path


def revoke_key(name: str, *, settings: Settings | None = None) -> bool:
    """Remove the key named ``name`` from the keys file; False when it is not there."""
    settings = settings if settings is not None else get_settings()
    path = settings.resolved_api_keys_file()
    if not path.is_file():
        return False
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.split("#", 1)[0].strip().startswith(f"{name}:")]
    if len(kept) == len(lines):
        return False
    _write(path, kept)
    return True


def _write(path: Path, lines: list[str]) -> None:
    """Replace the keys file whole, readable by its owner only."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


__all__ = ["PREFIX", "ApiKeys", "add_key", "hash_key", "new_key", "revoke_key"]
