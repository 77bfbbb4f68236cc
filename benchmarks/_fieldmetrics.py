"""Value-level precision and recall of extracted resume fields (used by bench_fields.py).

A field of a document (its names, titles, companies …) is compared as two lists of values,
predicted and gold, not as character spans: a parser that returns "Oracle" from any of the
three places it occurs is right.

Definitions
-----------
* ``normalise(v)``: case-folded, runs of whitespace collapsed to one space, stripped.
* ``value_tokens(v)``: the set of ``\\w+`` runs of ``normalise(v)``.
* Values are de-duplicated per document by their normalised form; empty values are dropped.
* ``matches(a, b)``: ``normalise(a) == normalise(b)``, or (when partial matches are allowed)
  ``a`` has tokens and at least half of them are tokens of ``b``:
  ``2 * |T(a) ∩ T(b)| >= |T(a)|``. The relation is one-sided on purpose.
* A predicted value is correct when it ``matches`` some gold value (precision); a gold value is
  found when it ``matches`` some predicted value (recall): the same rule seen from each side.
  So "Oracle" predicted for the gold "Oracle Financial Services" is correct (1 of its 1
  tokens) but does not find it (1 of 3 tokens).
* Counts are summed over documents (micro-average): precision = correct / predicted,
  recall = found / gold, F1 their harmonic mean; each is 0 when its denominator is 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Imported as `benchmarks._x` by the tests and as a top-level module by the scripts.
if __package__:
    from ._rates import rates
else:
    from _rates import rates

_WORD = re.compile(r"\w+")
_YEARS = re.compile(r"\(\s*(?:less\s+than\s+)?\d*\s*\+?\s*years?\s*\)", re.IGNORECASE)
_SKILL_SEPARATORS = re.compile(r"[\n,;•◦▪●❖■►✓➢|]+|\s+-\s+|\s{3,}|\t")
_HEADING = re.compile(r"^[^:]{1,40}:\s*")
_SCHEME = re.compile(r"^(?:[a-z]+:(?!//))?(?:https?://)?(?:www\.)?")


def normalise(value: str) -> str:
    """Case-fold ``value`` and collapse its whitespace."""
    return " ".join(value.casefold().split())


def value_tokens(value: str) -> frozenset[str]:
    """The set of word tokens of the normalised ``value``."""
    return frozenset(_WORD.findall(normalise(value)))


def matches(value: str, other: str, *, partial: bool = True) -> bool:
    """Whether ``value`` counts as matched by ``other`` (see the module's definitions)."""
    if normalise(value) == normalise(other):
        return True
    if not partial:
        return False
    mine = value_tokens(value)
    return bool(mine) and 2 * len(mine & value_tokens(other)) >= len(mine)


@dataclass(frozen=True)
class FieldCounts:
    """Counts for one field, summed over documents; precision/recall/F1 derived from them."""

    predicted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0

    def __add__(self, other: FieldCounts) -> FieldCounts:
        return FieldCounts(
            self.predicted + other.predicted,
            self.correct + other.correct,
            self.gold + other.gold,
            self.found + other.found,
        )

    @property
    def precision(self) -> float:
        """Correct predicted values over predicted values (0 when none were predicted)."""
        return rates(self.correct, self.predicted, self.found, self.gold)[0]

    @property
    def recall(self) -> float:
        """Found gold values over gold values (0 when there is no gold value)."""
        return rates(self.correct, self.predicted, self.found, self.gold)[1]

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        return rates(self.correct, self.predicted, self.found, self.gold)[2]

    def as_dict(self) -> dict[str, float | int]:
        """The counts and the three rates, for JSON."""
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "predicted": self.predicted,
            "correct": self.correct,
            "gold": self.gold,
            "found": self.found,
        }


def unique_values(values: Iterable[str], *, canon: Callable[[str], str] = normalise) -> list[str]:
    """Canonical forms of ``values``, de-duplicated, empty ones dropped, first seen first."""
    seen: dict[str, None] = {}
    for value in values:
        form = canon(value)
        if form:
            seen.setdefault(form, None)
    return list(seen)


def count_document(
    predicted: Iterable[str],
    gold: Iterable[str],
    *,
    canon: Callable[[str], str] = normalise,
    partial: bool = True,
) -> FieldCounts:
    """Compare one document's predicted and gold values of one field.

    Parameters
    ----------
    predicted, gold
        The values; they are canonicalised with ``canon`` and de-duplicated first.
    canon
        Maps a raw value to the form that is compared (``normalise`` by default).
    partial
        Allow the half-of-the-tokens match; ``False`` asks for equal canonical forms.
    """
    pred = unique_values(predicted, canon=canon)
    true = unique_values(gold, canon=canon)
    return FieldCounts(
        predicted=len(pred),
        correct=sum(any(matches(p, g, partial=partial) for g in true) for p in pred),
        gold=len(true),
        found=sum(any(matches(g, p, partial=partial) for p in pred) for g in true),
    )


def canonical_contact(value: str) -> str:
    """An e-mail or profile handle without whitespace, label, scheme, `www.`, query or final `/`.

    ``https://www.indeed.com/r/Jane-Doe/1a2b?isid=x`` and ``indeed.com/r/Jane-Doe/\\n1a2b``
    both become ``indeed.com/r/jane-doe/1a2b``.
    """
    compact = "".join(value.split()).casefold()
    compact = _SCHEME.sub("", compact).split("?", 1)[0].split("#", 1)[0]
    return compact.rstrip("/.,;")


def split_skill_block(block: str, *, max_words: int = 6) -> list[str]:
    """Split a gold "Skills" block (a whole skills section in DataTurks) into skill items.

    Experience notes such as "(3 years)" are removed; items are separated by line breaks,
    commas, semicolons, bullets, pipes and " - "; a leading "Heading:" is dropped; items of
    more than ``max_words`` words are sentences ("Ability to work under pressure and …"),
    not skill names, and are dropped.
    """
    items = []
    for raw in _SKILL_SEPARATORS.split(_YEARS.sub(" ", block)):
        item = _HEADING.sub("", raw.strip()).strip(" .:-*")
        if item and len(item.split()) <= max_words:
            items.append(item)
    return items


__all__ = [
    "FieldCounts",
    "canonical_contact",
    "count_document",
    "matches",
    "normalise",
    "split_skill_block",
    "unique_values",
    "value_tokens",
]
