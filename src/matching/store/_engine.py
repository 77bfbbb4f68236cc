"""Database URLs and engines: SQLite by default (foreign keys on, WAL), PostgreSQL by URL.

On PostgreSQL every connection works in UTC, so timestamps come back as on SQLite whatever
the server's time zone. PostgreSQL cannot store the NUL character in text or ``jsonb``; SQLite
can. A posting pasted from a binary file or a webhook's ``"\\u0000"`` would make a write fail
there, so on PostgreSQL NUL characters are dropped from every string sent (they never mean
anything in a resume, a posting or an id): lookups drop them too, so a value is found as it
was given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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


def _on_postgresql_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: timestamps in UTC, whatever the server's time zone (as on SQLite)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
    dbapi_connection.commit()  # a rollback when the pool takes it back would undo the SET


def _without_nul(value: Any) -> Any:
    """``value`` with NUL characters dropped from every string in it (keys included)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


def _json_without_nul(value: Any) -> str:
    """JSON for PostgreSQL, whose ``jsonb`` refuses ``\\u0000``: NUL characters are dropped."""
    dumped = json.dumps(value)
    return json.dumps(_without_nul(value)) if "\\u0000" in dumped else dumped


def _has_nul(values: Any) -> bool:
    """Whether a statement's parameters (a mapping or a sequence) hold a string with NUL."""
    found = values.values() if isinstance(values, Mapping) else values
    return any(isinstance(v, str) and "\x00" in v for v in found)


def _parameters_without_nul(parameters: Any) -> Any:
    """One statement's parameters with NUL characters dropped from their strings."""
    if not parameters or not _has_nul(parameters):
        return parameters
    if isinstance(parameters, Mapping):
        return {
            k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in parameters.items()
        }
    return type(parameters)(v.replace("\x00", "") if isinstance(v, str) else v for v in parameters)


def _drop_nul(
    _conn: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    """``before_cursor_execute`` on PostgreSQL: no string parameter carries a NUL."""
    if executemany:
        return statement, [_parameters_without_nul(p) for p in parameters]
    return statement, _parameters_without_nul(parameters)


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
    if url.get_backend_name() == "postgresql":
        kwargs["json_serializer"] = _json_without_nul
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, NoSuchModuleError, ArgumentError) as exc:
        raise ConfigError(Errors.E401, url=shown, detail=str(exc)) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _on_postgresql_connect)
        event.listen(engine, "before_cursor_execute", _drop_nul, retval=True)
    return engine
