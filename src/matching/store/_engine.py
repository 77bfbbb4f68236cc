"""Database URLs and engines: SQLite by default (foreign keys on, WAL), PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from matching.errors import ConfigError, Errors
from matching.settings import Settings, get_settings


def resolve_url(url: str | None = None, *, settings: Settings | None = None) -> URL:
    """The store's URL: ``url``, else ``MATCHING_DATABASE_URL``, else ``<home>/matching.db``.

    ``postgres://`` (as some hosts write it) is read as ``postgresql://``.

    Raises
    ------
    matching.errors.ConfigError
        E400 when the URL cannot be parsed.
    """
    raw = url or (settings or get_settings()).resolved_database_url()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        return make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(Errors.E400, url=raw, detail=str(exc)) from exc


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: enforce foreign keys (SQLite's default is off) and use WAL."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Safe with WAL (a crash loses at most the last commits, never corrupts) and far faster.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: URL, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``; for a SQLite file, create its folder first.

    Raises
    ------
    matching.errors.ConfigError
        E401 when the driver is missing or the folder cannot be created.
    """
    shown = url.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(Errors.E401, url=shown, detail=str(exc)) from exc
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, NoSuchModuleError, ArgumentError) as exc:
        raise ConfigError(Errors.E401, url=shown, detail=str(exc)) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    return engine
