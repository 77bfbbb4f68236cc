"""The ranking commands end to end: a real MLflow store, a real SQLite store, the real encoder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from matching.cli import EXAMPLES, app
from matching.errors import MatchingError
from matching.ranking import CandidateRanker
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = [pytest.mark.slow]
runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, tiny_ranker: CandidateRanker) -> Iterator[Path]:
    """A project home whose MLflow store holds the tiny model as challenger and champion."""
    import mlflow

    from matching.registry import configure_tracking, log_candidate_ranker, promote, record_audit

    root = tmp_path_factory.mktemp("home")
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MATCHING_HOME", str(root))
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("MATCHING_DATABASE_URL", raising=False)
        configure_tracking()
        info = log_candidate_ranker(tiny_ranker, params={}, metrics={"ndcg@10": 0.5})
        record_audit(info.version, passed=True, min_impact_ratio=0.9)
        assert promote().promoted
        yield root
    mlflow.set_tracking_uri(previous)


@pytest.fixture
def in_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MATCHING_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MATCHING_DATABASE_URL", raising=False)
    return home


def test_score_batch_adds_score_rank_and_reasons(in_home: Path, tmp_path: Path) -> None:
    """Every input row comes back with a 0–100 score, a rank within its job and JSON reasons;
    the fitting resume ranks first; an unreadable resume fails alone."""
    rows = [
        {"job_id": job, "job_text": text, "candidate_id": cid, "resume_text": resume}
        for job, text in JOBS.items()
        for cid, resume in RESUMES.items()
    ]
    rows.append(
        {
            "job_id": "data",
            "job_text": JOBS["data"],
            "candidate_id": "ghost",
            "resume_text": "",
            "resume_path": str(tmp_path / "missing.pdf"),
        }
    )
    source, target = tmp_path / "pairs.csv", tmp_path / "scored.csv"
    pd.DataFrame(rows).fillna("").to_csv(source, index=False)
    result = runner.invoke(app, ["score-batch", "--pairs", str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(target)
    assert len(scored) == len(rows)
    good = scored[scored["candidate_id"] != "ghost"]
    assert good["score"].between(0, 100).all()
    for _, group in good.groupby("job_id"):
        assert sorted(group["rank"].astype(int)) == list(range(1, len(group) + 1))
    data = good[good["job_id"] == "data"].sort_values("rank")
    assert data.iloc[0]["candidate_id"] == "ada"
    assert "matched_skills" in json.loads(data.iloc[0]["reasons"])["reasons"]
    ghost = scored[scored["candidate_id"] == "ghost"].iloc[0]
    assert pd.isna(ghost["score"])
    assert json.loads(ghost["reasons"])["error"]["code"].startswith("E1")


def test_score_batch_names_missing_columns(in_home: Path, tmp_path: Path) -> None:
    """A CSV without the contract's columns is refused with E204 naming them."""
    source = tmp_path / "bad.csv"
    source.write_text("job,resume\nx,y\n", encoding="utf-8")
    result = runner.invoke(app, ["score-batch", "--pairs", str(source), "--out", "x.csv"])
    assert isinstance(result.exception, MatchingError)
    assert result.exception.code == "E204"
    assert "candidate_id" in result.exception.message


def test_ingest_then_shortlist_ranks_the_pool(in_home: Path) -> None:
    """Ingested example resumes are ranked for the example posting; re-ingesting does nothing."""
    folder = EXAMPLES / "resumes"
    first = runner.invoke(app, ["ingest", str(folder)])
    assert "added 4" in first.output, first.output
    again = runner.invoke(app, ["ingest", str(folder)])
    assert "unchanged 4" in again.output, again.output
    job = EXAMPLES / "jobs" / "data_engineer.txt"
    result = runner.invoke(app, ["shortlist", "--job", str(job), "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [i["rank"] for i in items] == [1, 2, 3]
    assert items[0]["score"] >= items[1]["score"] >= items[2]["score"]
    assert items[0]["model_name"] is None or isinstance(items[0]["model_name"], str)


def test_promote_refuses_without_an_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_ranker: CandidateRanker
) -> None:
    """A challenger without a fairness audit is refused with the reason; an override passes."""
    import mlflow

    from matching.registry import configure_tracking, log_candidate_ranker

    previous = mlflow.get_tracking_uri()
    monkeypatch.setenv("MATCHING_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    try:
        configure_tracking()
        log_candidate_ranker(tiny_ranker, params={}, metrics={"ndcg@10": 0.5})
        refused = runner.invoke(app, ["promote"])
        assert refused.exit_code == 1
        assert "no fairness audit" in refused.output
        forced = runner.invoke(app, ["promote", "--override-reason", "pilot, audited by hand"])
        assert forced.exit_code == 0, forced.output
        assert "promoted" in forced.output
    finally:
        mlflow.set_tracking_uri(previous)
