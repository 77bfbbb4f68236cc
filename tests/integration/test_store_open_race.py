"""Processes that open a new SQLite store at the same moment (service workers) all succeed."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]


def _open(url: str, start: object, errors: object) -> None:
    from matching.store import Store

    start.wait()  # type: ignore[attr-defined]
    try:
        Store.open(url).close()
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]


def test_processes_opening_a_new_store_together_all_succeed(tmp_path: Path) -> None:
    """Eight processes, released together on an empty file, several rounds: no error."""
    context = multiprocessing.get_context("spawn")
    for round_ in range(3):
        url = f"sqlite:///{tmp_path / f'race-{round_}.db'}"
        start = context.Event()
        errors = context.Queue()
        workers = [context.Process(target=_open, args=(url, start, errors)) for _ in range(8)]
        for worker in workers:
            worker.start()
        start.set()
        for worker in workers:
            worker.join(timeout=120)
        found = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
        assert found == [], found
        assert all(worker.exitcode == 0 for worker in workers)
