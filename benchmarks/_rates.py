"""Precision, recall and F1 from counts: the one formula every benchmark table uses."""

from __future__ import annotations


def rates(correct: int, predicted: int, found: int, gold: int) -> tuple[float, float, float]:
    """``(precision, recall, f1)``; each is 0 when its denominator is 0.

    ``correct`` predictions out of ``predicted``, ``found`` gold items out of ``gold`` (the two
    differ when one prediction may cover several gold items, or partially match one).
    """
    precision = correct / predicted if predicted else 0.0
    recall = found / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
