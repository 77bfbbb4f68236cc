"""Shared fixtures: the shared data folder (skips cleanly when absent) and offline switches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from matching.features import Encoder, load_encoder
from matching.ranking import CandidateRanker
from matching.settings import configure_offline, get_settings
from matching.store import Store


def pytest_configure(config: pytest.Config) -> None:
    """Switch off hub look-ups and telemetry before any test imports a library."""
    configure_offline()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; tests that use it are skipped when it is absent."""
    path = get_settings().resolved_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set MATCHING_DATA_DIR to run data-backed tests)")
    return path


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The default embedding model, loaded once per session (offline, from its package)."""
    return load_encoder()


@pytest.fixture(scope="session")
def tiny_ranker() -> CandidateRanker:
    """A pipeline fitted on 2 postings × 4 hand-written resumes (LightGBM lambdarank)."""
    from tests.tiny_ranking import build_tiny_ranker

    return build_tiny_ranker()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store in a SQLite file."""
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        yield opened
