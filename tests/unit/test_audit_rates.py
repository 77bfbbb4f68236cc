"""Rates, impact ratios, unknowns, small categories and tests of ``matching.audit``."""

from __future__ import annotations

import pandas as pd
import pytest

from matching.audit import (
    AttributeResult,
    CategoryResult,
    audit_table,
    category_labels,
    compare_rates,
    render_html,
    wilson_interval,
)
from matching.errors import InputError


def _by_category(attribute: AttributeResult) -> dict[str, CategoryResult]:
    return {c.category: c for c in attribute.categories}


def test_scores_equal_to_the_median_do_not_count_as_above_it() -> None:
    """Median of 1..5,5..9 is 5; the m scoring exactly 5 is not above it: m 4/5, f 0/5."""
    frame = pd.DataFrame({"score": [1, 2, 3, 4, 5, 5, 6, 7, 8, 9], "sex": ["f"] * 5 + ["m"] * 5})
    report = audit_table(frame, attributes=["sex"], score_column="score", threshold=0.8)
    outcome = report.outcomes[0]
    assert outcome.median == 5.0
    cats = _by_category(outcome.attributes[0])
    assert cats["m"].rate == pytest.approx(4 / 5)
    assert cats["f"].rate == 0.0
    assert cats["f"].impact_ratio == 0.0
    assert report.passed is False


def test_unknown_attribute_values_are_counted_not_imputed() -> None:
    """Missing, blank and 'unknown' are 3 unknowns; rates use the 4 known people only."""
    frame = pd.DataFrame(
        {
            "sex": ["f", "f", "m", "m", None, "", "Unknown"],
            "selected": [1, 0, 1, 1, 1, 1, 0],
        }
    )
    report = audit_table(frame, attributes=["sex"], selected_column="selected", threshold=0.8)
    attribute = report.outcomes[0].attributes[0]
    assert attribute.unknown == 3
    assert report.unknowns == {"sex": 3}
    cats = _by_category(attribute)
    assert set(cats) == {"f", "m"}
    assert cats["f"].rate == 0.5
    assert cats["m"].rate == 1.0
    assert cats["f"].impact_ratio == 0.5


@pytest.mark.parametrize("value", [None, float("nan"), "", "  ", "unknown", "UNKNOWN"])
def test_category_labels_map_missing_values_to_none(value: object) -> None:
    """Each spelling of 'unknown' becomes None."""
    assert category_labels(pd.Series(["f", value], dtype=object)).tolist() == ["f", None]


def _small_category_frame() -> pd.DataFrame:
    # a: 30 of 60 selected (0.5); b: 13 of 39 (1/3); c: 1 of 1 (1 % of the data).
    sex = ["a"] * 60 + ["b"] * 39 + ["c"]
    selected = [1] * 30 + [0] * 30 + [1] * 13 + [0] * 26 + [1]
    return pd.DataFrame({"group": sex, "selected": selected})


def test_small_categories_are_excludable_and_not_the_reference() -> None:
    """c (1 %) has the highest rate but a (0.5) is the reference; c is marked excludable."""
    report = audit_table(
        _small_category_frame(), attributes=["group"], selected_column="selected", threshold=0.8
    )
    attribute = report.outcomes[0].attributes[0]
    cats = _by_category(attribute)
    assert attribute.reference == "a"
    assert cats["c"].excludable
    assert not cats["a"].excludable
    assert cats["c"].impact_ratio == pytest.approx(2.0)
    assert cats["b"].impact_ratio == pytest.approx((13 / 39) / 0.5)


def test_minimum_impact_ratio_ignores_excludable_categories() -> None:
    """The minimum is b's 0.667 and the check fails at 0.8, passes at 0.6."""
    frame = _small_category_frame()
    strict = audit_table(frame, attributes=["group"], selected_column="selected", threshold=0.8)
    lenient = audit_table(frame, attributes=["group"], selected_column="selected", threshold=0.6)
    assert strict.min_impact_ratio == pytest.approx(2 / 3)
    assert strict.passed is False
    assert lenient.passed is True


def test_intersection_categories_combine_the_attributes() -> None:
    """sex × race has one category per observed pair; a pair with an unknown part is unknown."""
    frame = pd.DataFrame(
        {
            "sex": ["f", "f", "m", "m", None],
            "race": ["x", "y", "x", "y", "x"],
            "selected": [1, 0, 1, 1, 1],
        }
    )
    report = audit_table(frame, attributes=["sex", "race"], selected_column="selected")
    intersection = report.outcomes[0].attributes[2]
    assert intersection.attribute == "sex × race"
    assert set(_by_category(intersection)) == {"f × x", "f × y", "m × x", "m × y"}
    assert intersection.unknown == 1


def test_rates_agree_with_fairlearn_selection_rate() -> None:
    """fairlearn's MetricFrame(selection_rate) gives the same per-category rates."""
    from fairlearn.metrics import MetricFrame, selection_rate

    frame = _small_category_frame()
    report = audit_table(frame, attributes=["group"], selected_column="selected")
    ours = {c.category: c.rate for c in report.outcomes[0].attributes[0].categories}
    metric = MetricFrame(
        metrics=selection_rate,
        y_true=frame["selected"],
        y_pred=frame["selected"],
        sensitive_features=frame["group"],
    )
    assert ours == pytest.approx(metric.by_group.to_dict())


def test_wilson_interval_matches_the_textbook_value() -> None:
    """5 of 10: the 95 % Wilson interval is (0.2366, 0.7634)."""
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_small_tables_use_fishers_exact_test() -> None:
    """1/4 vs 3/4: expected cells are 2, so Fisher; two-sided p = 34/70."""
    test, p_value = compare_rates(1, 4, 3, 4)
    assert test == "fisher_exact"
    assert p_value == pytest.approx(34 / 70)


def test_large_tables_use_the_two_proportion_z_test() -> None:
    """50/100 vs 30/100: z = 0.2 / sqrt(0.4·0.6·0.02) = 2.8868, two-sided p = 0.00389."""
    test, p_value = compare_rates(30, 100, 50, 100)
    assert test == "two_proportion_z"
    assert p_value == pytest.approx(0.003892, abs=2e-6)


def test_the_reference_category_has_no_test() -> None:
    """The highest-rate category is not tested against itself."""
    report = audit_table(_small_category_frame(), attributes=["group"], selected_column="selected")
    cats = _by_category(report.outcomes[0].attributes[0])
    assert cats["a"].test is None
    assert cats["a"].is_reference
    assert cats["b"].test == "two_proportion_z"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"attributes": [], "selected_column": "selected"}, "E500"),
        ({"attributes": ["race"], "selected_column": "selected"}, "E501"),
        ({"attributes": ["sex"], "score_column": "note"}, "E502"),
        ({"attributes": ["sex"], "selected_column": "note"}, "E503"),
        ({"attributes": ["sex"]}, "E504"),
    ],
)
def test_bad_input_raises_input_error_with_a_code(kwargs: dict[str, object], code: str) -> None:
    """Each kind of bad input has its own code."""
    frame = pd.DataFrame({"sex": ["f", "m"], "selected": [1, 0], "note": ["high", "low"]})
    with pytest.raises(InputError) as info:
        audit_table(frame, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code


def test_html_report_has_summary_plots_and_notes_and_no_forbidden_words() -> None:
    """The page holds the summary table, a base64 PNG plot and the method notes."""
    frame = pd.DataFrame(
        {"score": [1, 2, 3, 4, 5, 5, 6, 7, 8, 9], "sex": ["f", "m"] * 5, "sel": [0, 1] * 5}
    )
    report = audit_table(
        frame, attributes=["sex"], score_column="score", selected_column="sel", source="t.csv"
    )
    page = render_html(report)
    assert "<h2>Summary</h2>" in page
    assert "t.csv" in page
    assert '<img src="data:image/png;base64,' in page
    assert "ties do not count" in page
    assert "Method and limits" in page
    assert "unbiased" not in page.lower()
    assert "debiased" not in page.lower()
