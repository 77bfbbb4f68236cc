"""Contact details found by patterns."""

from __future__ import annotations

import pytest

from matching.parsing._contacts import find_contacts


def _values(text: str, kind: str) -> list[str]:
    return [c.value for c in find_contacts(text) if c.kind == kind]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail: Jane.Doe+jobs@Example.co.uk.", ["jane.doe+jobs@example.co.uk"]),
        ("a@b.io, c.d@e-f.org", ["a@b.io", "c.d@e-f.org"]),
        ("no address here @ all", []),
    ],
)
def test_emails(text: str, expected: list[str]) -> None:
    """E-mail addresses are found and lower-cased; trailing punctuation is left out."""
    assert _values(text, "EMAIL") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phone: +33 6 12 34 56 78", ["+33612345678"]),
        ("(416) 555-0142", ["4165550142"]),
        ("Tel 020 7946 0958", ["02079460958"]),
    ],
)
def test_phone_numbers(text: str, expected: list[str]) -> None:
    """Phone numbers in common national and international formats are normalised to digits."""
    assert _values(text, "PHONE") == expected


@pytest.mark.parametrize("text", ["2012 - 2016", "2011-2015", "07/2011", "12/05/2019", "GPA 3.8"])
def test_dates_are_not_phone_numbers(text: str) -> None:
    """Year ranges and dates never read as phone numbers."""
    assert _values(text, "PHONE") == []


def test_links_and_wrapped_indeed_handles() -> None:
    """Profile links are found, including an Indeed handle wrapped across two lines."""
    text = (
        "linkedin.com/in/jane-doe https://janedoe.dev\nindeed.com/r/Jay-\nMadhavi/1e7d0305af766bf6"
    )
    assert _values(text, "URL") == [
        "linkedin.com/in/jane-doe",
        "https://janedoe.dev",
        "indeed.com/r/Jay-Madhavi/1e7d0305af766bf6",
    ]


@pytest.mark.parametrize("text", ["Node.js and ASP.NET", "Vue.js, D3.js"])
def test_technology_names_are_not_links(text: str) -> None:
    """Dotted technology names are not mistaken for web addresses."""
    assert _values(text, "URL") == []


def test_handle_wrapped_after_the_slash() -> None:
    """An Indeed handle cut after the name's slash keeps its id."""
    assert _values("indeed.com/r/Govardhana-K/\nb2de315d95905b68\n", "URL") == [
        "indeed.com/r/Govardhana-K/b2de315d95905b68"
    ]
