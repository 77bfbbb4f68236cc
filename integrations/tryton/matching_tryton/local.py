"""A local Tryton for matching's demo and tests: SQLite, one database, one key.

::

    python -m matching_tryton.local init var/tryton     # database, user, application key
    python -m matching_tryton.local serve var/tryton    # the HTTP server (Ctrl-C stops it)

``init`` writes into the folder ``trytond.conf``, the SQLite database, ``admin-password``
(0600; the Tryton administrator) and ``matching-key`` (0600; the user application key that
matching's connector sends as ``Authorization: Bearer``). It is idempotent: an existing
database and key are kept. The port is fixed at ``init`` (``--port``, default 8000).
"""

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

DATABASE = "matching"
LOGIN = "matching"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def config_text(folder: Path, port: int) -> str:
    return (
        "[database]\n"
        "uri = sqlite://\n"
        f"path = {folder / 'db'}\n"
        "[web]\n"
        f"listen = 127.0.0.1:{port}\n"
        "[session]\n"
        "max_attempt = 20\n"
    )


def init(folder: Path, port: int) -> dict[str, str]:
    folder = folder.resolve()
    (folder / "db").mkdir(parents=True, exist_ok=True)
    conf = folder / "trytond.conf"
    conf.write_text(config_text(folder, port))
    database = folder / "db" / f"{DATABASE}.sqlite"
    password = folder / "admin-password"
    if not password.exists():
        _write_private(password, secrets.token_urlsafe(18) + "\n")
    key_file = folder / "matching-key"
    if not database.exists() or database.stat().st_size == 0 or not key_file.exists():
        database.unlink(missing_ok=True)
        database.touch()
        env = {**os.environ, "TRYTONPASSFILE": str(password)}
        subprocess.run(
            [
                str(Path(sys.executable).with_name("trytond-admin")),
                "-c",
                str(conf),
                "-d",
                DATABASE,
                "-u",
                "matching_scores",
                "--activate-dependencies",
                "--email",
                "admin@localhost",
            ],
            check=True,
            env=env,
        )
        _write_private(key_file, _create_key(conf) + "\n")
    return {
        "url": f"http://127.0.0.1:{port}",
        "database": DATABASE,
        "key_file": str(key_file),
        "config": str(conf),
    }


def _create_key(conf: Path) -> str:
    """A user for matching in "Party Administration" and its validated application key."""
    from trytond.config import config

    config.update_etc(str(conf))
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=False) as transaction:
        pool.init()
        User = pool.get("res.user")
        ModelData = pool.get("ir.model.data")
        Application = pool.get("res.user.application")
        users = User.search([("login", "=", LOGIN)])
        if users:
            (user,) = users
        else:
            group = ModelData.get_id("party", "group_party_admin")
            (user,) = User.create(
                [{"name": "matching", "login": LOGIN, "groups": [("add", [group])]}]
            )
        Application.delete(Application.search([("user", "=", user.id)]))
        (application,) = Application.create(
            [{"user": user.id, "application": "matching", "state": "validated"}]
        )
        key = application.key
        transaction.commit()
    return key


def serve(folder: Path) -> None:
    conf = folder.resolve() / "trytond.conf"
    if not conf.exists():
        sys.exit(f"{conf} does not exist: run `python -m matching_tryton.local init {folder}`")
    os.execv(
        str(Path(sys.executable).with_name("trytond")),
        ["trytond", "-c", str(conf), "-d", DATABASE],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m matching_tryton.local", description=__doc__)
    parser.add_argument("command", choices=["init", "serve"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.command == "init":
        for name, value in init(args.folder, args.port).items():
            print(f"{name}={value}")
    else:
        serve(args.folder)


if __name__ == "__main__":
    main()
