"""Ranking fairness metrics: skew@k, NDKL (Geyik et al., KDD 2019), exposure (Singh & Joachims).

Every function takes the categories of a ranked list in rank order (best first).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence


def _proportions(items: Sequence[Hashable]) -> dict[Hashable, float]:
    """Share of each category in ``items``."""
    counts = Counter(items)
    total = len(items)
    return {key: value / total for key, value in counts.items()} if total else {}


def skew_at_k(
    ranking: Sequence[Hashable],
    category: Hashable,
    *,
    k: int,
    desired: Mapping[Hashable, float] | None = None,
) -> float:
    """Skew of one category in the top ``k`` (Geyik et al., 2019).

    ``skew@k = ln(p_topk / p_desired)``: 0 when the category holds its desired share of the
    top ``k``, negative when it is under-represented, ``-inf`` when absent from the top ``k``.

    Parameters
    ----------
    ranking
        Categories in rank order, best first.
    category
        The category assessed.
    k
        Cut-off; a list shorter than ``k`` is taken whole.
    desired
        Desired share of each category; by default its share of the whole list.

    Returns
    -------
    float
        The skew, or ``nan`` when the desired share is 0 (the category is not in the list).
    """
    wanted = (desired if desired is not None else _proportions(ranking)).get(category, 0.0)
    if wanted <= 0:
        return math.nan
    top = list(ranking[: max(1, k)])
    share = top.count(category) / len(top) if top else 0.0
    if share == 0:
        return -math.inf
    return math.log(share / wanted)


def _kl_divergence(p: Mapping[Hashable, float], q: Mapping[Hashable, float]) -> float:
    """KL(p || q) in nats, with 0 · ln 0 = 0."""
    total = 0.0
    for key, value in p.items():
        if value > 0:
            reference = q.get(key, 0.0)
            if reference <= 0:
                return math.inf
            total += value * math.log(value / reference)
    return total


def ndkl(
    ranking: Sequence[Hashable],
    *,
    k: int | None = None,
    desired: Mapping[Hashable, float] | None = None,
) -> float:
    """Normalized discounted KL divergence of a ranking (Geyik et al., 2019).

    ``NDKL = (1/Z) Σ_{i=1..k} KL(D_i || D) / log2(i + 1)`` with ``Z = Σ 1/log2(i + 1)``,
    ``D_i`` the category distribution of the top ``i`` and ``D`` the desired distribution (by
    default that of the whole list). 0 means every prefix has the desired mix; larger is
    further from it. Natural logarithm in the KL divergence.
    """
    target = desired if desired is not None else _proportions(ranking)
    length = len(ranking) if k is None else min(k, len(ranking))
    if length == 0:
        return 0.0
    total = 0.0
    normaliser = 0.0
    for i in range(1, length + 1):
        weight = 1 / math.log2(i + 1)
        normaliser += weight
        total += weight * _kl_divergence(_proportions(ranking[:i]), target)
    return total / normaliser


def exposure_by_category(
    ranking: Sequence[Hashable], *, k: int | None = None
) -> dict[Hashable, float]:
    """Mean exposure per member of each category (Singh & Joachims, 2018).

    A person at rank ``r`` (1-based) within the top ``k`` gets exposure ``1/log2(1 + r)``;
    people below ``k`` get 0. A category's exposure is the sum over its members divided by
    its number of members in the whole list.
    """
    cut = len(ranking) if k is None else k
    totals: dict[Hashable, float] = dict.fromkeys(ranking, 0.0)
    for rank, category in enumerate(ranking[:cut], start=1):
        totals[category] += 1 / math.log2(1 + rank)
    counts = Counter(ranking)
    return {category: totals[category] / counts[category] for category in totals}


def exposure_ratios(exposures: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """Each category's mean exposure divided by the highest category's (1.0 for the highest)."""
    highest = max(exposures.values(), default=0.0)
    if highest <= 0:
        return {category: math.nan for category in exposures}
    return {category: value / highest for category, value in exposures.items()}
