"""Text normalisation shared by every format: spaces, ligatures, zero-width characters."""

from __future__ import annotations

import pytest

from matching.parsing._clean import clean_text, cut_text
from matching.parsing._documents import extract_text
from matching.settings import Settings

SETTINGS = Settings()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Jane\r\nDoe\rBerlin", "Jane\nDoe\nBerlin"),
        ("Jane\u00a0Doe\u2009Berlin", "Jane Doe Berlin"),
        ("\ufb01nance and work\ufb02ow", "finance and workflow"),
        ("Py\u00adthon", "Python"),
        ("e\u0301cole", "école"),
        ("\uff30\uff59\uff54\uff48\uff4f\uff4e", "Python"),
        ("Jane    Doe \t Berlin", "Jane Doe\tBerlin"),
        ("  Jane  \n  Doe  ", "Jane\nDoe"),
        ("Jane\n\n\n\n\nDoe", "Jane\n\nDoe"),
        ("Jane\x00\x07Doe\x1b", "JaneDoe"),
        ("\n\nJane\n\n", "Jane"),
        ("front\u2011end", "front-end"),
        ("Jane\u2028Doe", "Jane\nDoe"),
    ],
    ids=[
        "line-endings",
        "wide-spaces",
        "ligatures",
        "soft-hyphen",
        "nfc",
        "full-width",
        "space-runs",
        "line-edges",
        "blank-runs",
        "control-chars",
        "outer-blank-lines",
        "non-breaking-hyphen",
        "line-separator",
    ],
)
def test_clean_text_normalises(raw: str, clean: str) -> None:
    """Line endings, spaces, ligatures, hyphens, composition and blank lines are normalised."""
    assert clean_text(raw)[0] == clean


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("Py\u200bthon and Ku\u200cber\u200dnetes", 3),
        ("Py\u2060\ufeffthon", 2),
        ("Python \u200b SQL", 0),
        ("\u200bPython", 0),
        ("Py\u00adthon", 0),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", 0),
    ],
    ids=[
        "inside-words",
        "word-joiner-and-bom",
        "between-words",
        "at-start",
        "soft-hyphen",
        "persian",
    ],
)
def test_zero_width_characters_inside_words_are_counted(raw: str, count: int) -> None:
    """Format characters are always removed; those splitting a word are counted (they hide
    keywords from matching), not those between words, soft hyphens, or joiners in scripts
    that need them."""
    text, found = clean_text(raw)
    assert found == count
    assert not any(char in text for char in "\u200b\u200c\u200d\u2060\ufeff\u00ad")


def test_zero_width_characters_in_words_give_w101() -> None:
    """Through extract_text, zero-width characters inside words become one W101 finding."""
    result = extract_text("Skills: Py\u200bthon, S\u200bQ\u200bL".encode(), settings=SETTINGS)
    assert result.text == "Skills: Python, SQL"
    assert [issue.message for issue in result.warnings] == [
        "Hidden text was found and ignored: 3 characters: 3 zero-width inside words."
    ]


def test_long_text_is_cut_with_w106() -> None:
    """Text over ``max_text_chars`` is cut to the limit (at a word end) and W106 is raised."""
    text = ("Python developer with SQL experience. " * 100).encode()
    result = extract_text(text, settings=Settings(max_text_chars=500))
    assert len(result.text) <= 500
    assert result.text.endswith(("Python", "developer", "with", "SQL", "experience."))
    assert [issue.code for issue in result.warnings] == ["W106"]


def test_cut_text_without_spaces_cuts_at_the_limit() -> None:
    """A text with no space near the limit is cut exactly at the limit."""
    assert cut_text("x" * 1000, 300) == "x" * 300
