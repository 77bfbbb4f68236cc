"""A local Tryton server for the demo and the tests (needs ``integrations/tryton`` installed).

``running_tryton(folder)`` initialises the folder once (SQLite database with the
``matching_scores`` module, a ``matching`` user and its application key: about 7 s), starts
``trytond`` on a free port of 127.0.0.1, waits until the module answers with the key, and
stops the server on exit.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from matching._ports import free_port

DATABASE = "matching"


@dataclass(frozen=True)
class LocalTryton:
    """A running local Tryton: where it listens, its database, the key, its log."""

    url: str
    database: str
    key: str
    folder: Path
    log: Path

    def settings(self) -> dict[str, str]:
        """The ``MATCHING_*`` environment that points the ``tryton`` connector at it."""
        return {
            "MATCHING_TRYTON_URL": self.url,
            "MATCHING_TRYTON_DATABASE": self.database,
            "MATCHING_TRYTON_KEY_FILE": str(self.folder / "matching-key"),
        }


def tryton_installed() -> bool:
    """Whether this environment has trytond and the matching_scores module."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("trytond", "matching_tryton")
    )


def _module(*args: str) -> list[str]:
    return [sys.executable, "-m", "matching_tryton.local", *args]


@contextmanager
def running_tryton(
    folder: Path, *, port: int | None = None, timeout: float = 60.0
) -> Iterator[LocalTryton]:
    """Initialise (once) and start a Tryton in ``folder``; stop it on exit.

    Raises ``RuntimeError`` with the end of the server's log when it does not come up.
    """
    if not tryton_installed():
        raise RuntimeError(
            "Tryton is not installed here: `make setup` installs it "
            "(pip install -e integrations/tryton)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = folder / "trytond.log"
    init = subprocess.run(
        _module("init", str(folder), "--port", str(port)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if init.returncode != 0:
        raise RuntimeError(f"Tryton's database could not be created:\n{init.stderr[-2000:]}")
    key = (folder / "matching-key").read_text(encoding="utf-8").strip()
    with log.open("ab") as out:
        process = subprocess.Popen(
            _module("serve", str(folder)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tryton = LocalTryton(f"http://127.0.0.1:{port}", DATABASE, key, folder, log)
    try:
        _wait_ready(tryton, process, timeout)
        yield tryton
    finally:
        _stop(process)


def _wait_ready(tryton: LocalTryton, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"{tryton.url}/{tryton.database}/matching/fields"
    headers = {"Authorization": f"Bearer {tryton.key}"}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(url, headers=headers, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    tail = tryton.log.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"Tryton did not answer at {tryton.url}:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


__all__ = ["LocalTryton", "free_port", "running_tryton", "tryton_installed"]
