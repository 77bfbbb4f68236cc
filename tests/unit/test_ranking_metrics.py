"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching.errors import MatchingError
from matching.ranking import (
    average_precision,
    dcg_at_k,
    evaluate_groups,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)


def test_dcg_uses_exponential_gain_and_log_discount() -> None:
    """DCG of labels [3, 0, 2] in that order is 7/1 + 0 + 3/2."""
    assert dcg_at_k([3, 0, 2], [0.9, 0.5, 0.1], 3) == pytest.approx(7 + 3 / 2)


def test_ndcg_of_the_ideal_order_is_one() -> None:
    """A ranking sorted by label has NDCG 1."""
    assert ndcg_at_k([0, 1, 3, 2], [0.1, 0.2, 0.9, 0.5], 4) == pytest.approx(1.0)


def test_ndcg_by_hand() -> None:
    """NDCG@2 of labels [0, 1] (best item second) is (1/log2 3) / 1."""
    assert ndcg_at_k([0, 1], [0.9, 0.1], 2) == pytest.approx(1 / math.log2(3))


def test_ties_are_broken_pessimistically() -> None:
    """Equal scores put the less relevant item first: a constant scorer earns no credit."""
    assert reciprocal_rank([1, 0, 0], [0.5, 0.5, 0.5]) == pytest.approx(1 / 3)


def test_average_precision_by_hand() -> None:
    """Relevant items at ranks 1 and 3: AP = (1/1 + 2/3) / 2."""
    assert average_precision([1, 0, 1, 0], [4, 3, 2, 1]) == pytest.approx((1 + 2 / 3) / 2)


def test_recall_at_k_counts_relevant_items_in_the_top_k() -> None:
    """Two of the three relevant items are in the top 2."""
    assert recall_at_k([1, 1, 0, 1], [4, 3, 2, 1], 2) == pytest.approx(2 / 3)


def test_metrics_are_nan_without_relevant_items() -> None:
    """A group with nothing relevant has no defined AP, MRR, recall or NDCG."""
    assert math.isnan(average_precision([0, 0], [1, 2]))
    assert math.isnan(ndcg_at_k([0, 0], [1, 2], 2))


def test_evaluate_groups_averages_per_group_and_skips_undefined() -> None:
    """The mean is over groups; a group without relevant items does not count."""
    result = evaluate_groups(
        [2, 0, 0, 2, 0, 0],
        [1.0, 0.0, 1.0, 0.0, 5.0, 5.0],
        ["a", "a", "b", "b", "c", "c"],
        ks=(1,),
    )
    assert result["mrr"] == pytest.approx((1 + 0.5) / 2)
    assert result["recall@1"] == pytest.approx(0.5)
    assert result["groups"] == 3


def test_groups_need_not_be_contiguous() -> None:
    """Rows of one group may be spread through the table."""
    labels = np.array([2, 0, 2, 0])
    scores = np.array([1.0, 0.0, 1.0, 0.0])
    assert evaluate_groups(labels, scores, ["a", "b", "b", "a"])["map"] == pytest.approx(1.0)


def test_mismatched_lengths_are_refused() -> None:
    """Labels and scores of different lengths raise a coded error."""
    with pytest.raises(MatchingError, match="E301"):
        ndcg_at_k([1, 0], [0.5], 2)
