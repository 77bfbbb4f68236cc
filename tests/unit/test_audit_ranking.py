"""Ranking metrics (skew@k, NDKL, exposure) against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from matching.audit import audit_table, exposure_by_category, exposure_ratios, ndkl, skew_at_k

# Two a's on top, two b's below: the whole list is half a, half b.
RANKING = ["a", "a", "b", "b"]


@pytest.mark.parametrize(
    ("category", "k", "expected"),
    [
        ("a", 2, math.log(1.0 / 0.5)),  # top 2 all a: ln(1 / 0.5)
        ("a", 4, 0.0),  # whole list: desired share exactly
        ("a", 3, math.log((2 / 3) / 0.5)),
        ("b", 3, math.log((1 / 3) / 0.5)),
        ("b", 2, -math.inf),  # absent from the top 2
    ],
)
def test_skew_at_k_matches_hand_values(category: str, k: int, expected: float) -> None:
    """skew@k = ln(share in top k / share in the list)."""
    assert skew_at_k(RANKING, category, k=k) == pytest.approx(expected)


def test_skew_at_k_uses_a_given_desired_distribution() -> None:
    """A desired mix replaces the list's own mix: a at 1/4 desired, 1/2 in the top 2."""
    result = skew_at_k(["a", "b", "b", "b"], "a", k=2, desired={"a": 0.25, "b": 0.75})
    assert result == pytest.approx(math.log(0.5 / 0.25))


def test_skew_at_k_is_nan_for_a_category_not_in_the_list() -> None:
    """A category with no member in the list has no skew."""
    assert math.isnan(skew_at_k(RANKING, "c", k=2))


def test_ndkl_matches_hand_value() -> None:
    """Prefix KLs ln2, ln2, KL({2/3,1/3}||{1/2,1/2}), 0 with weights 1/log2(i+1)."""
    kl_3 = 2 / 3 * math.log(4 / 3) + 1 / 3 * math.log(2 / 3)  # 0.056633
    weights = [1.0, 0.6309298, 0.5, 0.4306766]
    expected = (math.log(2) * (1.0 + 0.6309298) + 0.5 * kl_3) / sum(weights)
    assert ndkl(RANKING) == pytest.approx(expected, rel=1e-6)
    assert ndkl(RANKING) == pytest.approx(0.452368, abs=1e-5)


def test_ndkl_is_zero_when_every_prefix_has_the_lists_mix() -> None:
    """Every prefix of a one-category list has exactly the list's mix."""
    assert ndkl(["a", "a", "a"], k=2) == 0.0


def test_ndkl_at_k_only_sums_the_first_k_prefixes() -> None:
    """NDKL@2 of RANKING: both prefixes are all a, KL ln 2 each, so the mean is ln 2."""
    assert ndkl(RANKING, k=2) == pytest.approx(math.log(2))


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        # a at ranks 1, 2: (1 + 1/log2(3)) / 2; b at ranks 3, 4: (1/2 + 1/log2(5)) / 2
        (None, {"a": (1 + 0.6309298) / 2, "b": (0.5 + 0.4306766) / 2}),
        (2, {"a": (1 + 0.6309298) / 2, "b": 0.0}),
    ],
)
def test_exposure_by_category_matches_hand_values(
    k: int | None, expected: dict[str, float]
) -> None:
    """Mean exposure per member: sum of 1/log2(1 + rank) within the top k over members."""
    result = exposure_by_category(RANKING, k=k)
    assert result == pytest.approx(expected, rel=1e-6)


def test_exposure_ratios_divide_by_the_highest() -> None:
    """The highest category gets 1.0, the other its share of the highest."""
    ratios = exposure_ratios({"a": 0.815465, "b": 0.465338})
    assert ratios == pytest.approx({"a": 1.0, "b": 0.465338 / 0.815465})


def test_audit_table_averages_ranking_metrics_over_groups() -> None:
    """Job 1 ranks a above b, job 2 b above a: exposure ratios 1 and 0.63093 per group."""
    frame = pd.DataFrame(
        {
            "job_id": ["j1", "j1", "j2", "j2"],
            "score": [90.0, 10.0, 80.0, 20.0],
            "sex": ["a", "b", "b", "a"],
        }
    )
    report = audit_table(
        frame, attributes=["sex"], score_column="score", group_column="job_id", ks=(1, 2)
    )
    at_2 = next(r for r in report.ranking if r.k == 2)
    ratios = {c.category: c.mean_exposure_ratio for c in at_2.categories}
    assert ratios == pytest.approx({"a": (1 + 0.6309298) / 2, "b": (1 + 0.6309298) / 2})
    at_1 = next(r for r in report.ranking if r.k == 1)
    # Top 1: each category leads one job and is absent from the other's top 1.
    assert [c.groups_absent for c in at_1.categories] == [1, 1]
    assert [c.mean_skew for c in at_1.categories] == pytest.approx([math.log(2), math.log(2)])
    assert at_1.mean_ndkl == pytest.approx(math.log(2))
