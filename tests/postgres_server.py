"""A throwaway PostgreSQL server for the tests: one cluster per session, a database per module.

``postgres_server`` (session) finds the server's programs (``pg_config --bindir``, else the
newest ``/usr/lib/postgresql/*/bin``), runs ``initdb`` into a temporary folder and starts the
server with trust authentication on a Unix socket in that folder and on 127.0.0.1 at a free
port. When the session ends it stops the server and deletes the folder, whether the tests
passed or not. Without the programs, tests that use it are skipped and say why.

PostgreSQL refuses to run as root: as root, the folder is handed to the ``postgres`` system
user and every server program runs as that user (``runuser``, else ``setpriv``).

``postgres_database`` (module) creates one database for the requesting test module and drops
it afterwards; :meth:`PostgresDatabase.reset` empties its tables between tests. A test module
loads the fixtures as a plugin, so that every module shares the one cluster::

    pytest_plugins = ("tests.postgres_server",)

    def test_something(postgres_database: PostgresDatabase) -> None:
        store = Store.open(postgres_database.url)
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"  # the cluster's superuser, whoever runs it
SERVICE_ACCOUNT = "postgres"  # the system user that runs the server when the tests run as root
# Not UTC, and not a whole hour: timestamps that lose or misread their zone show up in the tests.
TIMEZONE = "Asia/Kathmandu"
# A throwaway cluster needs no durability; these make it start and write several times faster.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": TIMEZONE,
    "max_connections": "50",
}
STARTS = 3  # tries, each on a fresh free port (another process may take a port first)


def find_bindir() -> Path | None:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``, or None when they are absent.

    ``pg_config --bindir`` first (a distribution's or a self-built server), else the newest
    Debian/Ubuntu ``/usr/lib/postgresql/<version>/bin``.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
            if found:
                candidates.append(Path(found))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True))
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in PROGRAMS):
            return folder
    return None


def as_service_account() -> list[str]:
    """The prefix that runs a server program as an unprivileged user: none unless root.

    Raises
    ------
    RuntimeError
        As root, when there is no ``postgres`` user or neither ``runuser`` nor ``setpriv``.
    """
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError as exc:
        raise RuntimeError(
            f"PostgreSQL refuses to run as root and there is no {SERVICE_ACCOUNT!r} user to "
            "run it as (create one, or run the tests as an unprivileged user)"
        ) from exc
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVICE_ACCOUNT, "--"]
    if shutil.which("setpriv"):
        return [
            "setpriv",
            f"--reuid={SERVICE_ACCOUNT}",
            f"--regid={SERVICE_ACCOUNT}",
            "--init-groups",
        ]
    raise RuntimeError("running as root, but neither runuser nor setpriv is installed")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway cluster: its folder, programs and where it listens.

    Attributes
    ----------
    folder : Path
        Holds the data directory (``data``), the socket directory (``socket``) and the log.
    bindir : Path
        The server's programs.
    port : int
        Its TCP port on 127.0.0.1 (the socket has the same number in its name).
    """

    folder: Path
    bindir: Path
    port: int = 0
    prefix: list[str] = field(default_factory=list)
    databases: int = 0

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str, *, driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL of ``database`` over TCP, as the superuser (trust: no password)."""
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the server's programs as the user that owns the cluster."""
        return subprocess.run(
            [*self.prefix, str(self.bindir / program), *args],
            cwd=self.folder,  # the service account may not be able to read the tests' folder
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log (why it would not start)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def connect(self, database: str = "postgres") -> Any:
        """A psycopg connection in autocommit mode, over the Unix socket."""
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, stem: str) -> str:
        """Create a new, empty database named after ``stem``; returns its name."""
        from psycopg import sql

        self.databases += 1
        name = f"{re.sub(r'[^a-z0-9_]+', '_', stem.lower())[:40]}_{self.databases}"
        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open to it."""
        from psycopg import sql

        with self.connect() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def start(self) -> None:
        """``initdb`` then ``pg_ctl start -w`` on a free port.

        Raises
        ------
        RuntimeError
            With initdb's output or the end of the server log when either fails.
        """
        self.socket_dir.mkdir()
        if self.prefix:
            for path in (self.folder, self.socket_dir):
                shutil.chown(path, SERVICE_ACCOUNT, SERVICE_ACCOUNT)
        done = self.run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        for _ in range(STARTS):
            self.port = free_port()
            options: list[str] = [
                "-k",
                str(self.socket_dir),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ]
            for name, value in SETTINGS.items():
                options += ["-c", f"{name}={value}"]
            done = self.run(
                "pg_ctl",
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--wait",
                "--timeout",
                "60",
                "-o",
                shlex.join(options),
                "start",
            )
            if done.returncode == 0:
                return
        raise RuntimeError(
            f"the PostgreSQL server would not start:\n{done.stdout}\n{done.stderr}\n"
            f"{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept); then kill it if it did not stop."""
        done = self.run(
            "pg_ctl", "--pgdata", str(self.data), "--mode", "immediate", "--wait", "stop"
        )
        if done.returncode == 0:
            return
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, 9)  # the postmaster this fixture started, named by its own pid file


@dataclass(frozen=True)
class PostgresDatabase:
    """One test module's database on the throwaway server."""

    server: PostgresServer
    name: str

    @property
    def url(self) -> str:
        """Its SQLAlchemy URL (``postgresql+psycopg://``)."""
        return self.server.url(self.name)

    def reset(self) -> None:
        """Empty every table (and restart their sequences), keeping the tables."""
        from psycopg import sql

        with self.server.connect(self.name) as connection:
            # A session a failed test left holding a lock fails this, instead of hanging.
            connection.execute("SET lock_timeout = '20s'")
            tables: Sequence[tuple[str, str]] = connection.execute(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            if tables:
                connection.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                        sql.SQL(", ").join(sql.Identifier(s, t) for s, t in tables)
                    )
                )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test session, deleted afterwards (skips without one)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[dev]')")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server programs (initdb, pg_ctl, postgres): none from "
            "`pg_config --bindir` nor under /usr/lib/postgresql/*/bin"
        )
    try:
        prefix = as_service_account()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="matching-pg-")), bindir, prefix=prefix)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_database(
    postgres_server: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[PostgresDatabase]:
    """A database of its own for the requesting test module, dropped after it."""
    name = postgres_server.create_database(request.module.__name__.rsplit(".", 1)[-1])
    try:
        yield PostgresDatabase(postgres_server, name)
    finally:
        postgres_server.drop_database(name)
