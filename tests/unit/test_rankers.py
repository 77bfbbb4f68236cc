"""Rankers share one interface, are deterministic, respect monotone features and calibrate."""

from __future__ import annotations

import numpy as np
import pytest

from matching.errors import MatchingError
from matching.features import BM25, FEATURE_NAMES, feature_index
from matching.ranking import (
    CandidateRanker,
    FeatureRanker,
    LightGBMRanker,
    LinearRanker,
    ScoreCalibrator,
    bm25_baseline,
    cosine_baseline,
    evaluate_groups,
    group_sizes,
)

COVERAGE = feature_index("required_coverage")
SIM = feature_index("sim_whole")


def _data(seed: int = 0, groups: int = 30, size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Features where relevance follows skill coverage and similarity, plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.random((groups * size, len(FEATURE_NAMES)))
    X[rng.random(X.shape) < 0.05] = np.nan
    signal = np.nan_to_num(X[:, COVERAGE]) + np.nan_to_num(X[:, SIM])
    y = np.digitize(signal + rng.normal(0, 0.2, len(X)), [0.7, 1.1, 1.5]).astype(float)
    return X, y


@pytest.fixture(scope="module")
def fitted() -> LightGBMRanker:
    X, y = _data()
    return LightGBMRanker(n_estimators=60, min_child_samples=5).fit(X, y, group=[12] * 30)


def test_lightgbm_learns_the_signal(fitted: LightGBMRanker) -> None:
    """On fresh groups, the learned ranker beats a ranker that only sees one noise feature."""
    X, y = _data(seed=1)
    groups = np.repeat(np.arange(30), 12)
    learned = evaluate_groups(y, fitted.predict(X), groups)["ndcg@10"]
    noise = evaluate_groups(y, X[:, feature_index("n_required")], groups)["ndcg@10"]
    assert learned > noise + 0.1


def test_lightgbm_is_deterministic() -> None:
    """Two fits with the same seed give identical scores."""
    X, y = _data()
    a = LightGBMRanker(n_estimators=20, min_child_samples=5).fit(X, y, group=[12] * 30)
    b = LightGBMRanker(n_estimators=20, min_child_samples=5).fit(X, y, group=[12] * 30)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_more_required_coverage_never_lowers_the_score(fitted: LightGBMRanker) -> None:
    """Monotone constraints: raising skill coverage, all else equal, cannot lower a score."""
    X, _ = _data(seed=2)
    low, high = X.copy(), X.copy()
    low[:, COVERAGE] = 0.2
    high[:, COVERAGE] = 0.9
    assert (fitted.predict(high) >= fitted.predict(low) - 1e-12).all()


def test_contributions_add_up_to_the_score(fitted: LightGBMRanker) -> None:
    """pred_contrib columns (features + bias) sum to the raw score."""
    X, _ = _data(seed=3)
    np.testing.assert_allclose(fitted.contributions(X).sum(axis=1), fitted.predict(X), atol=1e-9)


def test_linear_ranker_contributions_add_up_to_the_log_odds() -> None:
    """Coefficient × standardised value per feature, plus the intercept, gives the log-odds."""
    X, y = _data()
    model = LinearRanker().fit(X, y, group=[12] * 30)
    np.testing.assert_allclose(model.contributions(X).sum(axis=1), model.predict(X), atol=1e-9)


def test_baselines_rank_by_their_feature_with_unknown_last() -> None:
    """BM25 and cosine baselines return their column; NaN ranks below everything."""
    X, _ = _data()
    scores = cosine_baseline().fit(X).predict(X)
    known = ~np.isnan(X[:, SIM])
    np.testing.assert_array_equal(scores[known], X[known, SIM])
    assert np.isneginf(scores[~known]).all()
    assert bm25_baseline().fit(X).feature == "bm25"


def test_unknown_baseline_feature_is_refused() -> None:
    """A baseline over a feature that does not exist raises E305."""
    with pytest.raises(MatchingError, match="E305"):
        FeatureRanker(feature="age").fit(np.zeros((1, len(FEATURE_NAMES))))


def test_wrong_feature_count_is_refused(fitted: LightGBMRanker) -> None:
    """A matrix with other columns than FEATURE_NAMES raises E305, not a wrong score."""
    with pytest.raises(MatchingError, match="E305"):
        fitted.predict(np.zeros((2, 3)))


def test_predict_before_fit_raises() -> None:
    """An unfitted ranker says so (E300)."""
    with pytest.raises(MatchingError, match="E300"):
        LightGBMRanker().predict(np.zeros((1, len(FEATURE_NAMES))))


@pytest.mark.parametrize("labels", [[0, 1, 4], [-1, 0, 1]])
def test_labels_outside_0_to_3_are_refused(labels: list[int]) -> None:
    """Graded labels must lie in 0–3."""
    X = np.zeros((3, len(FEATURE_NAMES)))
    with pytest.raises(MatchingError, match="E301"):
        LightGBMRanker().fit(X, labels, group=[3])


def test_group_sizes_must_cover_the_rows() -> None:
    """Group sizes that do not sum to the rows are refused."""
    X, y = _data()
    with pytest.raises(MatchingError, match="E301"):
        LightGBMRanker().fit(X, y, group=[10])


def test_group_sizes_of_sorted_keys() -> None:
    """Runs of equal keys become group sizes."""
    assert group_sizes(["a", "a", "b", "c", "c", "c"]).tolist() == [2, 1, 3]


def test_calibrated_scores_are_0_to_100_and_keep_the_order() -> None:
    """Platt scaling maps raw scores into 0–100 without changing their order."""
    raw = np.array([-3.0, -1.0, 0.0, 1.0, 4.0, -np.inf])
    labels = np.array([0, 0, 2, 0, 3, 0])
    scores = ScoreCalibrator().fit(raw, labels).transform(raw)
    assert ((scores >= 0) & (scores <= 100)).all()
    assert scores[-1] == 0
    assert (np.diff(scores[:-1]) >= 0).all()


def test_candidate_ranker_round_trips_through_a_file(tmp_path, fitted: LightGBMRanker) -> None:
    """save/load keeps the ranker, calibration and BM25 statistics."""
    X, y = _data()
    model = CandidateRanker(
        ranker=fitted,
        calibrator=ScoreCalibrator().fit(fitted.predict(X), y),
        bm25=BM25().fit([["python"], ["sql"]]),
        embedding_model="all-MiniLM-L6-v2",
    )
    loaded = CandidateRanker.load(model.save(tmp_path / "model.joblib"))
    np.testing.assert_array_equal(loaded.ranker.predict(X), fitted.predict(X))
    assert loaded.bm25.idf_ == model.bm25.idf_


def test_early_stopping_on_a_validation_set() -> None:
    """With eval_set, training stops once validation NDCG stops improving."""
    X, y = _data()
    X_valid, y_valid = _data(seed=5)
    model = LightGBMRanker(n_estimators=500, min_child_samples=5, early_stopping_rounds=5)
    model.fit(X, y, group=[12] * 30, eval_set=(X_valid, y_valid, [12] * 30))
    assert model.model_.best_iteration_ < 500


@pytest.mark.parametrize("stopped", [False, True])
def test_predictions_equal_lightgbm_s_own(stopped: bool) -> None:
    """Scores and contributions equal LGBMRanker.predict's, early-stopped models included."""
    X, y = _data()
    model = LightGBMRanker(n_estimators=200, min_child_samples=5, early_stopping_rounds=5)
    eval_set = (*_data(seed=5), [12] * 30) if stopped else None
    model.fit(X, y, group=[12] * 30, eval_set=eval_set)
    X_new, _ = _data(seed=7)
    np.testing.assert_allclose(model.predict(X_new), model.model_.predict(X_new))
    np.testing.assert_allclose(
        model.contributions(X_new), model.model_.predict(X_new, pred_contrib=True)
    )
