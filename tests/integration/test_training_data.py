"""Training end to end on a small sample of the real data (weak labels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.features import Encoder
from matching.ranking import TrainingConfig, evaluate_model, train_rankers

pytestmark = [pytest.mark.data, pytest.mark.slow]

SMALL = TrainingConfig(
    resumes_per_category=5,
    jobs_per_source={"google": 40, "glassdoor": 10, "onet": 40, "esco": 40},
    positives_per_job=6,
    hard_negatives_per_job=3,
    random_negatives_per_job=3,
)


@pytest.fixture(scope="module")
def trained(data_dir: Path, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cache = tmp_path_factory.mktemp("parsed")
    return train_rankers(SMALL, encoder, data_dir=data_dir, cache_dir=cache), cache


def test_every_model_is_evaluated_both_ways(trained) -> None:  # type: ignore[no-untyped-def]
    """The table holds the learned rankers and both baselines, per requisition and per
    candidate, with metrics in 0–1 on the same held-out split."""
    result, _ = trained
    table = result.metrics
    assert set(table["model"]) == {"lightgbm", "linear", "bm25", "cosine"}
    assert set(table["direction"]) == {"per requisition", "per candidate"}
    for column in ("ndcg@5", "ndcg@10", "map", "mrr", "recall@5", "recall@10"):
        assert table[column].between(0, 1).all(), column


def test_no_resume_or_requisition_is_shared_across_splits(trained) -> None:  # type: ignore[no-untyped-def]
    """Held-out resumes and jobs never appear in training."""
    result, _ = trained
    split = result.corpus.split
    assert not split.train.resume_ids & split.test.resume_ids
    assert not split.train.job_ids & split.test.job_ids
    test_ids = set(result.test_scores["resume_id"])
    assert test_ids <= split.test.resume_ids


def test_the_test_split_is_every_held_out_pair(trained) -> None:  # type: ignore[no-untyped-def]
    """Evaluation ranks whole pools: every held-out resume against every held-out job."""
    result, _ = trained
    scores = result.test_scores
    assert len(scores) == scores["resume_id"].nunique() * scores["job_id"].nunique()
    assert scores["score"].between(0, 100).all()


def test_evaluate_model_reproduces_the_training_table(trained, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Re-evaluating the trained model on the rebuilt split gives the same figures."""
    result, cache = trained
    again = evaluate_model(result.models["lightgbm"], SMALL, data_dir=data_dir, cache_dir=cache)
    before = result.metrics.set_index(["model", "direction"]).loc["lightgbm"]
    after = again.set_index(["model", "direction"]).loc["model"]
    assert after["ndcg@10"].to_dict() == pytest.approx(before["ndcg@10"].to_dict())
