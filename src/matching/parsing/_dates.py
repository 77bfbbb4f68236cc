"""Dates and date ranges as resumes write them, and years of experience from them.

'July 2011 to November 2012', '07/2011 - 11/2012', 'Jan 2018 – Present', '2015 - 2017',
'Since 2019'. Months are kept when given; a year alone counts from January to December.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
_DATE = (
    rf"(?:{_MONTH}\.?,?\s*'?{_YEAR}"  # July 2011, Sept. 2019
    rf"|(?:0?[1-9]|1[0-2])\s*[/.-]\s*{_YEAR}"  # 07/2011
    rf"|{_YEAR}\s*[/.-]\s*(?:0?[1-9]|1[0-2])(?!\d)"  # 2011-07
    rf"|{_YEAR})"
)
_PRESENT = r"(?:present|current(?:ly)?|now|today|till\s+date|to\s+date|ongoing|date)"
_SEPARATOR = r"\s*(?:-|–|—|~|to|till|until|through|thru)\s*"
DATE_RANGE = re.compile(
    rf"(?<![\w/])(?P<start>{_DATE}){_SEPARATOR}(?P<end>{_DATE}|{_PRESENT})(?![\w/])"
    rf"|(?<![\w/])(?:since|from)\s+(?P<since>{_DATE})(?![\w/])",
    re.IGNORECASE,
)
YEAR = re.compile(rf"(?<!\d){_YEAR}(?!\d)")


@dataclass(frozen=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    def index(self) -> int:
        """Months since year 0, for arithmetic."""
        return self.year * 12 + self.month - 1

    def iso(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class DateRange:
    """A span of employment found at ``start_char:end_char`` in the text."""

    start: Month
    end: Month | None  # None: up to the present
    start_char: int
    end_char: int
    start_text: str
    end_text: str


def parse_date(text: str, *, is_end: bool = False) -> Month | None:
    """Read one date ('July 2011', '07/2011', '2011'); a bare year is Jan (or Dec for an end)."""
    value = text.strip().lower().replace("'", "")
    month_name = re.match(rf"({_MONTH})\.?,?\s*({_YEAR})", value)
    if month_name:
        return Month(int(month_name.group(2)), _MONTHS[month_name.group(1)[:3]])
    numeric = re.match(rf"(\d{{1,2}})\s*[/.-]\s*({_YEAR})", value)
    if numeric:
        return Month(int(numeric.group(2)), int(numeric.group(1)))
    year_first = re.match(rf"({_YEAR})\s*[/.-]\s*(\d{{1,2}})", value)
    if year_first:
        return Month(int(year_first.group(1)), int(year_first.group(2)))
    year = re.fullmatch(_YEAR, value)
    if year:
        return Month(int(value), 12 if is_end else 1)
    return None


def find_date_ranges(text: str) -> list[DateRange]:
    """Every employment-style date range in ``text``, in order."""
    ranges = []
    for match in DATE_RANGE.finditer(text):
        if match.group("since"):
            start = parse_date(match.group("since"))
            end_text = "present"
            end: Month | None = None
        else:
            start = parse_date(match.group("start"))
            end_text = match.group("end")
            end = (
                None
                if re.fullmatch(_PRESENT, end_text.strip(), re.IGNORECASE)
                else parse_date(end_text, is_end=True)
            )
            if end is None and not re.fullmatch(_PRESENT, end_text.strip(), re.IGNORECASE):
                continue
        if start is None or (end is not None and end.index() < start.index()):
            continue
        ranges.append(
            DateRange(
                start,
                end,
                match.start(),
                match.end(),
                match.group("start") or match.group("since"),
                end_text,
            )
        )
    return ranges


def total_years(ranges: list[tuple[Month, Month | None]], *, today: date) -> float | None:
    """Years covered by the union of ``ranges`` (overlapping jobs count once), to 0.1."""
    now = Month(today.year, today.month)
    intervals = sorted(
        (start.index(), (end or now).index() + 1)
        for start, end in ranges
        if start.index() <= (end or now).index()
    )
    if not intervals:
        return None
    months = 0
    current_start, current_end = intervals[0]
    for start, end in intervals[1:]:
        if start > current_end:
            months += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    months += current_end - current_start
    return round(months / 12, 1)
