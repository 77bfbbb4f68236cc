"""Strict and loose span metrics (benchmarks/_spanmetrics.py) on hand-made spans."""

from __future__ import annotations

import pytest
from benchmarks._spanmetrics import (
    SpanCounts,
    loose_counts,
    span_counts,
    strict_counts,
    to_token_spans,
)


@pytest.mark.parametrize(
    ("gold", "predicted", "matched"),
    [
        pytest.param([(0, 2)], [(0, 2)], 1, id="exact"),
        pytest.param([(0, 2)], [(0, 3)], 0, id="longer"),
        pytest.param([(0, 2)], [(1, 2)], 0, id="shorter"),
        pytest.param([(0, 2), (4, 6)], [(4, 6), (0, 2)], 2, id="order-free"),
        pytest.param([(0, 2)], [(0, 2), (0, 2)], 1, id="duplicate-prediction"),
        pytest.param([], [], 0, id="empty"),
    ],
)
def test_strict_counts_exact_boundaries_only(
    gold: list[tuple[int, int]], predicted: list[tuple[int, int]], matched: int
) -> None:
    """A strict match needs both boundaries equal; each gold span is matched once."""
    assert strict_counts(gold, predicted) == SpanCounts(matched, len(predicted), len(gold))


@pytest.mark.parametrize(
    ("gold", "predicted", "matched"),
    [
        pytest.param([(0, 2)], [(0, 2)], 1, id="exact"),
        pytest.param([(0, 2)], [(1, 4)], 1, id="partial-overlap"),
        pytest.param([(0, 2)], [(2, 4)], 0, id="adjacent-no-overlap"),
        pytest.param([(0, 2), (3, 5)], [(0, 5)], 1, id="one-prediction-two-gold"),
        pytest.param([(0, 5)], [(0, 1), (3, 4)], 1, id="two-fragments-one-gold"),
        pytest.param([], [], 0, id="empty"),
    ],
)
def test_loose_counts_overlap_one_to_one(
    gold: list[tuple[int, int]], predicted: list[tuple[int, int]], matched: int
) -> None:
    """A loose match needs one shared position, and no span is used twice."""
    assert loose_counts(gold, predicted) == SpanCounts(matched, len(predicted), len(gold))


def test_loose_counts_finds_the_largest_matching() -> None:
    """A greedy first choice must not block a later prediction's only partner."""
    gold = [(0, 2), (2, 4)]
    # The first prediction overlaps both gold spans; the second only the first one.
    predicted = [(1, 3), (0, 1)]
    assert loose_counts(gold, predicted).matched == 2


def test_strict_is_never_above_loose() -> None:
    """Every exact match is also an overlap match."""
    gold = [(0, 2), (3, 6), (8, 9)]
    predicted = [(0, 2), (3, 5), (7, 9), (10, 12)]
    assert strict_counts(gold, predicted).matched == 1
    assert loose_counts(gold, predicted).matched == 3


@pytest.mark.parametrize(
    ("counts", "precision", "recall", "f1"),
    [
        pytest.param(SpanCounts(1, 2, 4), 0.5, 0.25, 1 / 3, id="ratios"),
        pytest.param(SpanCounts(0, 0, 3), 0.0, 0.0, 0.0, id="nothing-predicted"),
        pytest.param(SpanCounts(0, 2, 0), 0.0, 0.0, 0.0, id="nothing-to-find"),
        pytest.param(SpanCounts(), 0.0, 0.0, 0.0, id="empty"),
    ],
)
def test_scores_from_counts(counts: SpanCounts, precision: float, recall: float, f1: float) -> None:
    """Precision, recall and F1 follow the counts; a zero denominator gives 0.0."""
    assert (counts.precision, counts.recall, counts.f1) == pytest.approx((precision, recall, f1))


def test_span_counts_micro_averages_over_sentences() -> None:
    """Counts are summed over sentences before dividing."""
    gold = [[(0, 1)], [(0, 1), (2, 3)]]
    predicted = [[(0, 1)], [(5, 6)]]
    total = span_counts(gold, predicted, mode="strict")
    assert total == SpanCounts(matched=1, predicted=2, gold=3)


def test_span_counts_refuses_unequal_lengths() -> None:
    """Gold and predictions must come in step, sentence for sentence."""
    with pytest.raises(ValueError, match="zip"):
        span_counts([[(0, 1)]], [], mode="loose")


@pytest.mark.parametrize(
    ("char_spans", "expected"),
    [
        pytest.param([(0, 6)], [(0, 1)], id="one-token"),
        pytest.param([(7, 14)], [(1, 3)], id="two-tokens"),
        pytest.param([(2, 9)], [(0, 2)], id="inside-tokens-widened"),
        pytest.param([(6, 7)], [], id="whitespace-only-dropped"),
    ],
)
def test_to_token_spans(char_spans: list[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    """Character spans map onto the tokens they touch."""
    offsets = [(0, 6), (7, 10), (11, 14)]  # "Python and SQL"
    assert to_token_spans(offsets, char_spans) == expected
