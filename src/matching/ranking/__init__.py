"""Trainable rankers behind one interface, baselines, calibration, reasons and metrics.

::

    from matching.ranking import LightGBMRanker, evaluate_groups

    ranker = LightGBMRanker().fit(X, y, group=sizes)   # X: pair features (matching.features)
    evaluate_groups(y_test, ranker.predict(X_test), job_ids)   # {"ndcg@5": ..., "map": ...}

``CandidateRanker`` bundles a fitted ranker with its calibration and feature statistics; it
scores prepared documents and explains every score.
"""

from __future__ import annotations

from matching.ranking._calibration import ScoreCalibrator
from matching.ranking._knockouts import KnockoutRules
from matching.ranking._metrics import (
    average_precision,
    dcg_at_k,
    evaluate_groups,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)
from matching.ranking._model import CandidateRanker, Ranker
from matching.ranking._rankers import (
    FeatureRanker,
    LightGBMRanker,
    LinearRanker,
    bm25_baseline,
    cosine_baseline,
    group_sizes,
)
from matching.ranking._shortlist import Shortlist, Shortlister
from matching.ranking._train import (
    TrainingConfig,
    TrainingResult,
    evaluate_model,
    train_rankers,
)

__all__ = [
    "CandidateRanker",
    "FeatureRanker",
    "KnockoutRules",
    "LightGBMRanker",
    "LinearRanker",
    "Ranker",
    "ScoreCalibrator",
    "Shortlist",
    "Shortlister",
    "TrainingConfig",
    "TrainingResult",
    "average_precision",
    "bm25_baseline",
    "cosine_baseline",
    "dcg_at_k",
    "evaluate_groups",
    "evaluate_model",
    "group_sizes",
    "ndcg_at_k",
    "recall_at_k",
    "reciprocal_rank",
    "train_rankers",
]
