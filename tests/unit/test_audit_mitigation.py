"""Post-processing mitigation: the fair top-k re-ranking and the advance-rate thresholds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from matching.audit import (
    best_single_threshold,
    fair_top_k,
    rerank_shortlists,
    threshold_mitigation,
)
from matching.errors import InputError

# The model put all four men first; the pool is half women.
MEN_FIRST = ["M", "M", "M", "M", "F", "F", "F", "F"]


def _one_requisition() -> pd.DataFrame:
    """MEN_FIRST as scored rows; the weak label marks candidate 0 (a man) and 4 (a woman)."""
    return pd.DataFrame(
        {
            "requisition": ["r"] * 8,
            "candidate": [str(i) for i in range(8)],
            "score": [80.0, 70, 60, 50, 40, 30, 20, 10],
            "gender": MEN_FIRST,
            "label": [1, 0, 0, 0, 1, 0, 0, 0],
        }
    )


def test_fair_top_k_interleaves_when_the_model_puts_one_group_first() -> None:
    """Tolerance 0, half and half: the minimum per group is floor(i/2) for every prefix i,
    so positions 2 and 4 go to the best remaining women; the rest keeps the model's order."""
    assert fair_top_k(MEN_FIRST, k=4, tolerance=0.0) == [0, 4, 1, 5, 2, 3, 6, 7]


@pytest.mark.parametrize(
    "ranking",
    [["M", "F", "M", "F"], ["F", "M", "M", "F"], ["M", "F", "F", "M", "M", "F"]],
)
def test_fair_top_k_keeps_a_ranking_that_meets_every_bound(ranking: list[str]) -> None:
    """Each prefix already holds at least floor(i/2) of each group: nothing moves."""
    assert fair_top_k(ranking, k=len(ranking), tolerance=0.0) == list(range(len(ranking)))


def test_fair_top_k_with_full_tolerance_keeps_the_models_order() -> None:
    """Tolerance 1 sets every minimum to 0 and every maximum to i."""
    assert fair_top_k(MEN_FIRST, k=8, tolerance=1.0) == list(range(8))


def test_fair_top_k_tolerance_delays_the_first_swap() -> None:
    """Tolerance 0.25: a group needs floor(0.25·i) members, first 1 at i = 4 (a woman)."""
    assert fair_top_k(MEN_FIRST, k=4, tolerance=0.25) == [0, 1, 2, 4, 3, 5, 6, 7]


def test_fair_top_k_caps_a_group_at_its_maximum() -> None:
    """Target 1/4 women (men unconstrained), tolerance 0: at most ceil(i/4) women in the top
    i, so the second woman waits until position 5 although the model put her second."""
    order = fair_top_k(["F", "F", "M", "M", "M"], k=5, tolerance=0.0, target={"F": 0.25})
    assert order == [0, 2, 3, 4, 1]


def test_fair_top_k_places_unknown_categories_by_the_models_order() -> None:
    """A candidate of unknown category is never waited for nor counted towards a group."""
    ranking = [None, "M", "M", "F", "F"]
    assert fair_top_k(ranking, k=3, tolerance=0.0) == [0, 1, 3, 2, 4]


def test_fair_top_k_does_not_wait_for_a_group_with_no_members_left() -> None:
    """One woman in a pool given a half-women target: after her the men follow in order."""
    order = fair_top_k(["M", "M", "M", "F"], k=4, tolerance=0.0, target={"F": 0.5, "M": 0.5})
    assert order == [0, 3, 1, 2]


@pytest.mark.parametrize(("option", "value"), [("k", -1), ("tolerance", 1.5), ("tolerance", -0.1)])
def test_fair_top_k_refuses_out_of_range_options(option: str, value: float) -> None:
    """Bad options raise E515 naming the option."""
    kwargs: dict[str, float] = {"k": 2, "tolerance": 0.1, option: value}
    with pytest.raises(InputError, match=option) as caught:
        fair_top_k(MEN_FIRST, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "E515"


def test_rerank_shortlists_reports_hand_computed_figures_before_and_after() -> None:
    """Top 2 before: two men (impact ratio 0, NDKL ln 2 at every prefix, NDCG@2 = 1/(1 +
    1/log2 3)); after: man 0, woman 4, so both labelled candidates lead (NDCG 1)."""
    result = rerank_shortlists(
        _one_requisition(), attribute="gender", k=4, ks=(2, 4), tolerance=0.0
    )
    before, after = result.before, result.after
    assert before.at[2, "impact_ratio"] == 0.0
    assert after.at[2, "impact_ratio"] == 1.0
    assert before.at[2, "ndkl"] == pytest.approx(math.log(2))
    assert before.at[2, "exposure_ratio"] == 0.0
    assert before.at[2, "ndcg"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert after.at[2, "ndcg"] == pytest.approx(1.0)
    # After: M F M F in the top 4; NDKL@4 = (ln 2 + 0.5·KL({2/3, 1/3} || {1/2, 1/2})) / Z.
    kl_3 = 2 / 3 * math.log(4 / 3) + 1 / 3 * math.log(2 / 3)
    z = sum(1 / math.log2(i + 1) for i in range(1, 5))
    assert after.at[4, "ndkl"] == pytest.approx((math.log(2) + 0.5 * kl_3) / z)
    # Exposure@2 after: a man at rank 1 (1/4 of men's members), a woman at 2 (1/log2 3 / 4).
    assert after.at[2, "exposure_ratio"] == pytest.approx(1 / math.log2(3))
    assert list(after["entered"]) == [1.0, 2.0]
    assert list(after["rate_F"]) == [0.25, 0.5]
    assert list(before["rate_M"]) == [0.5, 1.0]


def test_rerank_shortlists_returns_the_new_order_and_a_comparison() -> None:
    """The rankings table gives both ranks; the comparison has before, after and change."""
    result = rerank_shortlists(
        _one_requisition(), attribute="gender", k=4, ks=(2, 4), tolerance=0.0
    )
    assert result.rankings["candidate"].tolist()[:4] == ["0", "4", "1", "5"]
    assert result.rankings["rank_before"].tolist()[:4] == [1, 5, 2, 6]
    table = result.comparison()
    assert table.loc[("impact_ratio", 4), "change"] == 1.0
    assert set(table.columns) == {"before", "after", "change"}


def test_rerank_shortlists_breaks_score_ties_by_candidate_id() -> None:
    """Equal scores are ranked by candidate id (the model's own tie-break)."""
    frame = _one_requisition().assign(score=1.0)
    result = rerank_shortlists(frame, attribute="gender", k=0, ks=(1,), label=None)
    assert result.rankings["candidate"].tolist() == [str(i) for i in range(8)]
    assert result.after["ndcg"].isna().all()


def test_rerank_shortlists_counts_unknown_attributes_and_leaves_them_unconstrained() -> None:
    """Blank attributes are counted, never imputed, and take no part in the bounds."""
    frame = _one_requisition()
    frame.loc[0, "gender"] = ""
    result = rerank_shortlists(frame, attribute="gender", k=4, ks=(4,), tolerance=0.0)
    assert result.unknown == 1
    # Known shares: 3/7 men, 4/7 women; the unknown candidate keeps first place.
    assert result.rankings["candidate"].tolist()[:4] == ["0", "4", "1", "5"]


def test_rerank_shortlists_names_missing_columns() -> None:
    """A frame without the attribute column raises E501."""
    with pytest.raises(InputError, match="gender") as caught:
        rerank_shortlists(_one_requisition().drop(columns="gender"), attribute="gender")
    assert caught.value.code == "E501"


def _two_groups() -> pd.DataFrame:
    """Both groups hold two relevant candidates, but group B's scores run lower."""
    return pd.DataFrame(
        {
            "requisition": list("aaaabbbb"),
            "score": [90.0, 80, 20, 10, 60, 40, 30, 5],
            "group": list("AAAABBBB"),
            "label": [1, 1, 0, 0, 1, 1, 0, 0],
        }
    )


def test_threshold_mitigation_equalises_advance_rates() -> None:
    """At 50, A advances 2 of 4 and B 1 of 4 (impact ratio 0.5); B's threshold between 40
    and 30 advances both of its relevant candidates: rates 1/2 each, balanced accuracy 1."""
    result = threshold_mitigation(_two_groups(), attribute="group", threshold=50, holdout=0.0)
    assert result.before["rate"].to_dict() == {"A": 0.5, "B": 0.25}
    assert result.summary.at["impact_ratio", "before"] == 0.5
    assert result.summary.at["balanced_accuracy", "before"] == pytest.approx(0.875)
    assert result.after["rate"].to_dict() == {"A": 0.5, "B": 0.5}
    assert result.summary.at["impact_ratio", "after"] == 1.0
    assert result.summary.at["balanced_accuracy", "after"] == 1.0
    assert result.after["tpr"].to_dict() == {"A": 1.0, "B": 1.0}


def test_best_single_threshold_maximises_balanced_accuracy() -> None:
    """Pooled, the four relevant candidates score 90, 80, 60 and 40, every other one lower:
    a threshold of 40 advances exactly them."""
    frame = _two_groups()
    assert best_single_threshold(frame["score"], frame["label"]) == 40.0


def test_best_single_threshold_prefers_the_higher_score_on_a_tie() -> None:
    """Scores 4, 3, 2, 1 with labels 1, 0, 1, 0: threshold 4 (TPR 1/2, TNR 1) and threshold 2
    (TPR 1, TNR 1/2) both reach balanced accuracy 3/4; the higher one is kept."""
    assert best_single_threshold([4.0, 3.0, 2.0, 1.0], [1, 0, 1, 0]) == 4.0


def test_threshold_mitigation_by_default_compares_with_the_best_single_threshold() -> None:
    """Without a threshold the decision before uses the best shared one (40 here)."""
    result = threshold_mitigation(_two_groups(), attribute="group", holdout=0.0)
    assert result.threshold == 40.0
    assert result.summary.at["balanced_accuracy", "before"] == 1.0


def test_threshold_mitigation_refuses_labels_that_are_not_binary() -> None:
    """Graded labels must be mapped to 0/1 first (E503)."""
    frame = _two_groups().assign(label=[2, 1, 0, 0, 1, 1, 0, 0])
    with pytest.raises(InputError) as caught:
        threshold_mitigation(frame, attribute="group", holdout=0.0)
    assert caught.value.code == "E503"
