"""`matching demo` (what `make demo` runs) end to end on the synthetic corpus, as a newcomer
would see it: every step, a shortlist from the served model, scores read back from Tryton."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from matching.settings import OFFLINE_ENVIRONMENT
from tests.integration.test_crm_faults import matching

pytestmark = [pytest.mark.slow, pytest.mark.server]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    home = tmp_path_factory.mktemp("demo-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHING_", "MLFLOW_"))}
    env.update(OFFLINE_ENVIRONMENT)
    env.update(MATCHING_HOME=str(home), COLUMNS="160")
    done = subprocess.run(
        matching("demo", "--data", "demo"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    return home, done


def test_the_demo_runs_every_step(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """Exit 0; each step's header in order; it says which data it used."""
    _, done = demo_run
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    headers = re.findall(r"(\d)/8 ([a-z-]+)", done.stdout)
    assert [name for _, name in headers] == [
        "data", "train", "audit", "promote", "ingest", "crm", "serve", "write-back"
    ]  # fmt: skip
    assert "synthetic demo corpus" in done.stdout
    assert "WEAK labels" in done.stdout
    for baseline in ("bm25", "cosine"):
        assert baseline in done.stdout.lower()
    assert "fairness audit" in done.stdout
    assert "where to look next" in done.stdout


def test_the_demo_shows_a_shortlist_and_the_scores_in_the_crm(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """The shortlist table and the same scores read back from Tryton's party records."""
    home, done = demo_run
    assert done.returncode == 0, done.stdout[-4000:]
    assert "POST /shortlist for data_engineer.txt" in done.stdout
    assert "read back from the Tryton party records" in done.stdout
    database = home / "demo" / "tryton" / "db" / "matching.sqlite"
    with sqlite3.connect(database) as connection:
        scored = connection.execute(
            "SELECT name, matching_score, matching_rank, matching_model FROM party_party "
            "WHERE matching_score IS NOT NULL ORDER BY matching_rank"
        ).fetchall()
    assert len(scored) == 10
    assert [rank for _, _, rank, _ in scored] == list(range(1, 11))
    assert all(0 <= score <= 100 for _, score, _, _ in scored)
    assert all(model.startswith("candidate-ranker v") for *_, model in scored)
    scores = [score for _, score, _, _ in scored]
    assert scores == sorted(scores, reverse=True)


def test_the_demo_leaves_a_registered_audited_model_and_stops_its_servers(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """The MLflow store has the version with its audit tags; the audit report exists; the
    service and Tryton it started are gone, and its API key is revoked."""
    home, done = demo_run
    assert done.returncode == 0, done.stdout[-4000:]
    with sqlite3.connect(home / "mlflow.db") as connection:
        tags = dict(
            connection.execute(
                "SELECT key, value FROM model_version_tags WHERE name = 'candidate-ranker'"
            ).fetchall()
        )
    assert tags.get("audit.status") in ("passed", "failed")
    assert (home / "demo" / "model_audit.html").stat().st_size > 1000
    leftovers = subprocess.run(
        ["pgrep", "-f", str(home)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert leftovers == []
    keys = (
        (home / "api-keys.txt").read_text(encoding="utf-8")
        if (home / "api-keys.txt").exists()
        else ""
    )
    assert "demo:" not in keys
