"""Ranking metrics per group (a requisition's candidates, or a candidate's requisitions).

Ties in the scores are broken pessimistically (the less relevant item first), so a model that
gives many items the same score gains nothing from the order the rows arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from matching.errors import Errors, MatchingError


def _order(y_true: NDArray[np.float64], y_score: NDArray[np.float64]) -> NDArray[np.intp]:
    # lexsort sorts by the last key first: score descending, then label ascending.
    return np.lexsort((y_true, -y_score))


def _arrays(
    y_true: ArrayLike, y_score: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    truth = np.asarray(y_true, dtype=np.float64)
    score = np.asarray(y_score, dtype=np.float64)
    if truth.shape != score.shape or truth.ndim != 1:
        raise MatchingError(Errors.E301, detail="labels and scores must be 1-D and equally long")
    return truth, score


def dcg_at_k(y_true: ArrayLike, y_score: ArrayLike, k: int) -> float:
    """Discounted cumulative gain with gains ``2**label - 1``."""
    truth, score = _arrays(y_true, y_score)
    ranked = truth[_order(truth, score)][:k]
    return float(((2.0**ranked - 1) / np.log2(np.arange(2, ranked.size + 2))).sum())


def ndcg_at_k(y_true: ArrayLike, y_score: ArrayLike, k: int) -> float:
    """NDCG@k; NaN when the group has no relevant item."""
    truth, _ = _arrays(y_true, y_score)
    ideal = dcg_at_k(truth, truth, k)
    return dcg_at_k(y_true, y_score, k) / ideal if ideal > 0 else float("nan")


def average_precision(y_true: ArrayLike, y_score: ArrayLike, *, relevant: float = 1) -> float:
    """Average precision, an item being relevant when its label ≥ ``relevant``; NaN if none."""
    truth, score = _arrays(y_true, y_score)
    hits = (truth[_order(truth, score)] >= relevant).astype(np.float64)
    if hits.sum() == 0:
        return float("nan")
    precision = np.cumsum(hits) / np.arange(1, hits.size + 1)
    return float((precision * hits).sum() / hits.sum())


def reciprocal_rank(y_true: ArrayLike, y_score: ArrayLike, *, relevant: float = 1) -> float:
    """1 / rank of the first relevant item; NaN if none."""
    truth, score = _arrays(y_true, y_score)
    hits = np.flatnonzero(truth[_order(truth, score)] >= relevant)
    return 1.0 / (hits[0] + 1) if hits.size else float("nan")


def recall_at_k(y_true: ArrayLike, y_score: ArrayLike, k: int, *, relevant: float = 1) -> float:
    """Share of the relevant items ranked in the top ``k``; NaN if none."""
    truth, score = _arrays(y_true, y_score)
    hits = truth[_order(truth, score)] >= relevant
    total = hits.sum()
    return float(hits[:k].sum() / total) if total else float("nan")


def evaluate_groups(
    y_true: ArrayLike,
    y_score: ArrayLike,
    groups: ArrayLike,
    *,
    ks: Sequence[int] = (5, 10),
    relevant: float = 2,
) -> dict[str, float]:
    """Mean of each metric over groups (groups where a metric is undefined are left out).

    Returns ``ndcg@k``, ``map``, ``mrr``, ``recall@k`` for each ``k`` and ``groups`` (count).
    """
    truth, score = _arrays(y_true, y_score)
    keys = np.asarray(groups)
    if keys.shape != truth.shape:
        raise MatchingError(Errors.E301, detail="groups must be as long as the labels")
    order = np.argsort(keys, kind="stable")
    _, starts = np.unique(keys[order], return_index=True)
    values: dict[str, list[float]] = {}
    for part in np.split(order, starts[1:]):
        t, s = truth[part], score[part]
        row = {f"ndcg@{k}": ndcg_at_k(t, s, k) for k in ks}
        row["map"] = average_precision(t, s, relevant=relevant)
        row["mrr"] = reciprocal_rank(t, s, relevant=relevant)
        row.update({f"recall@{k}": recall_at_k(t, s, k, relevant=relevant) for k in ks})
        for name, value in row.items():
            values.setdefault(name, []).append(value)
    result = {
        name: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
        for name, v in values.items()
    }
    result["groups"] = float(len(starts))
    return result
