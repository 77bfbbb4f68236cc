"""Date ranges and years of experience."""

from __future__ import annotations

from datetime import date

import pytest

from matching.parsing._dates import Month, find_date_ranges, parse_date, total_years


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("July 2011 to November 2012", Month(2011, 7), Month(2012, 11)),
        ("07/2011 - 11/2012", Month(2011, 7), Month(2012, 11)),
        ("Jan. 2018 – Present", Month(2018, 1), None),
        ("2015 - 2017", Month(2015, 1), Month(2017, 12)),
        ("Sept 2019 to Current", Month(2019, 9), None),
        ("since 2020", Month(2020, 1), None),
        ("2016-03 to 2018-10", Month(2016, 3), Month(2018, 10)),
    ],
)
def test_date_range_formats(text: str, start: Month, end: Month | None) -> None:
    """Common resume date-range formats give their start and end months (None: present)."""
    (found,) = find_date_ranges(f"Engineer  {text}  Acme")
    assert (found.start, found.end) == (start, end)


@pytest.mark.parametrize("text", ["2019 - 2015", "Python 3 - 2 years", "in 1850 - 1860"])
def test_impossible_ranges_are_ignored(text: str) -> None:
    """Backwards ranges and numbers that are not years are not date ranges."""
    assert find_date_ranges(text) == []


def test_bare_year_end_counts_to_december() -> None:
    """A bare end year means the end of that year."""
    assert parse_date("2012", is_end=True) == Month(2012, 12)


def test_overlapping_jobs_count_once() -> None:
    """Years of experience are the union of positions, not their sum."""
    ranges = [(Month(2010, 1), Month(2011, 12)), (Month(2011, 1), Month(2012, 12))]
    assert total_years(ranges, today=date(2026, 1, 1)) == 3.0


def test_present_counts_to_today() -> None:
    """An open position runs to today's month."""
    assert total_years([(Month(2025, 1), None)], today=date(2026, 1, 15)) == pytest.approx(1.1)


def test_no_ranges_give_no_years() -> None:
    """Without dated positions the total is unknown, not zero."""
    assert total_years([], today=date(2026, 1, 1)) is None
