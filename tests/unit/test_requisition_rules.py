"""Requirement rules in job postings: minimum years, education level, remote policy."""

from __future__ import annotations

import pytest

from matching.parsing._requisition import education_level, min_years, remote_policy


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("5+ years of experience in data engineering.", 5.0),
        ("At least 3 years experience with Python; 7 years of industry experience", 7.0),
        ("2-4 years of relevant experience", 2.0),
        ("Python 3 and SQL", None),
        ("We were founded 25 years ago.", None),
    ],
)
def test_min_years(text: str, years: float | None) -> None:
    """The largest stated experience minimum is read; other numbers of years are not."""
    assert min_years(text) == years


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("BS or MS degree in Computer Science", "bachelor"),
        ("Bachelor's degree in Computer Science or equivalent experience.", "bachelor"),
        ("PhD in Statistics or a related field", "doctorate"),
        ("Master's degree preferred.", None),
        ("Proficiency with MS Office", None),
    ],
)
def test_education_level(text: str, level: str | None) -> None:
    """The lowest degree asked for is the requirement; a preferred degree is not required."""
    assert education_level(text) == level


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("This is a fully remote role.", "remote"),
        ("Hybrid: two days a week in the office", "hybrid"),
        ("On-site in Lyon", "onsite"),
        ("Lyon, France", "unknown"),
    ],
)
def test_remote_policy(text: str, policy: str) -> None:
    """Remote, hybrid and on-site wording is recognised; silence is 'unknown'."""
    assert remote_policy(text) == policy
