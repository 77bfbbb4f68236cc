"""Span precision, recall and F1, strict and loose, for span taggers.

A span is ``(start, end)`` with ``end`` exclusive, in tokens or characters.

- **strict**: a predicted span counts only if a gold span has exactly its boundaries.
- **loose**: a predicted span counts if it shares at least one position with a gold span; each
  gold span and each predicted span is used in at most one match, and the number of matches is
  the largest possible (a maximum bipartite matching), so one long prediction cannot be credited
  for several gold spans, nor several fragments for one gold span.

Scores are micro-averaged: counts are summed over sentences, then divided. A ratio with a zero
denominator is 0.0 (nothing predicted gives precision 0.0; nothing to find gives recall 0.0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

# Imported as `benchmarks._x` by the tests and as a top-level module by the scripts.
if __package__:
    from ._rates import rates
else:
    from _rates import rates

Span = tuple[int, int]
Mode = Literal["strict", "loose"]


@dataclass(frozen=True)
class SpanCounts:
    """Matched, predicted and gold span counts, with the scores they give."""

    matched: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(
            self.matched + other.matched,
            self.predicted + other.predicted,
            self.gold + other.gold,
        )

    @property
    def precision(self) -> float:
        """Matched predictions over predictions."""
        return rates(self.matched, self.predicted, self.matched, self.gold)[0]

    @property
    def recall(self) -> float:
        """Matched gold spans over gold spans."""
        return rates(self.matched, self.predicted, self.matched, self.gold)[1]

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return rates(self.matched, self.predicted, self.matched, self.gold)[2]

    def as_dict(self) -> dict[str, float | int]:
        """Counts and scores as a JSON-ready mapping."""
        return {
            "matched": self.matched,
            "predicted": self.predicted,
            "gold": self.gold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def overlaps(a: Span, b: Span) -> bool:
    """Whether two spans share at least one position."""
    return a[0] < b[1] and b[0] < a[1]


def strict_counts(gold: Sequence[Span], predicted: Sequence[Span]) -> SpanCounts:
    """Count exact-boundary matches (each gold span matched at most once)."""
    matched = sum((Counter(gold) & Counter(predicted)).values())
    return SpanCounts(matched=matched, predicted=len(predicted), gold=len(gold))


def loose_counts(gold: Sequence[Span], predicted: Sequence[Span]) -> SpanCounts:
    """Count overlap matches, one-to-one, as many as possible."""
    # Kuhn's augmenting paths: spans per sentence are few, so this is cheap.
    partner_of_gold: dict[int, int] = {}

    def assign(p: int, seen: set[int]) -> bool:
        for g, gold_span in enumerate(gold):
            if g in seen or not overlaps(predicted[p], gold_span):
                continue
            seen.add(g)
            if g not in partner_of_gold or assign(partner_of_gold[g], seen):
                partner_of_gold[g] = p
                return True
        return False

    matched = sum(assign(p, set()) for p in range(len(predicted)))
    return SpanCounts(matched=matched, predicted=len(predicted), gold=len(gold))


def span_counts(
    gold: Iterable[Sequence[Span]], predicted: Iterable[Sequence[Span]], *, mode: Mode
) -> SpanCounts:
    """Sum the counts of ``mode`` over sentences (``gold`` and ``predicted`` in step)."""
    count = strict_counts if mode == "strict" else loose_counts
    total = SpanCounts()
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        total = total + count(gold_spans, predicted_spans)
    return total


def to_token_spans(offsets: Sequence[Span], char_spans: Iterable[Span]) -> list[Span]:
    """Map character spans onto token spans, widened to whole tokens.

    ``offsets`` are the tokens' character offsets. A character span that touches no token
    (only whitespace) is dropped.
    """
    spans = []
    for start, end in char_spans:
        touched = [i for i, token in enumerate(offsets) if overlaps(token, (start, end))]
        if touched:
            spans.append((touched[0], touched[-1] + 1))
    return spans


__all__ = [
    "Mode",
    "Span",
    "SpanCounts",
    "loose_counts",
    "overlaps",
    "span_counts",
    "strict_counts",
    "to_token_spans",
]
