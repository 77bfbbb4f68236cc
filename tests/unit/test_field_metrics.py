"""The value-level field metric of the field benchmark (benchmarks/_fieldmetrics.py)."""

from __future__ import annotations

import pytest
from benchmarks._fieldmetrics import (
    FieldCounts,
    canonical_contact,
    count_document,
    matches,
    normalise,
    split_skill_block,
)


@pytest.mark.parametrize(
    ("predicted", "gold"),
    [
        ("Oracle", "Oracle"),
        ("ORACLE", "oracle"),
        ("Senior  Software\nEngineer", "senior software engineer"),
        ("  Infosys Ltd ", "Infosys Ltd"),
    ],
)
def test_equal_after_case_and_whitespace_normalisation(predicted: str, gold: str) -> None:
    """Values equal up to case and whitespace match both ways, even with partial matches off."""
    counts = count_document([predicted], [gold], partial=False)
    assert counts == FieldCounts(predicted=1, correct=1, gold=1, found=1)


@pytest.mark.parametrize(
    ("value", "other"),
    [
        ("Oracle", "Oracle Financial Services"),  # 1 of 1 token
        ("Tata Consultancy", "Tata Consultancy Services"),  # 2 of 2
        ("Infosys Limited", "Infosys"),  # 1 of 2: exactly half
        ("B.E in Computer Science", "B.E. Computer Science Engineering"),  # 4 of 5 tokens
    ],
)
def test_half_of_the_tokens_is_a_match(value: str, other: str) -> None:
    """A value whose tokens are at least half in the other value matches it."""
    assert matches(value, other)


@pytest.mark.parametrize(
    ("value", "other"),
    [
        ("Oracle Financial Services", "Oracle"),  # 1 of 3
        ("Senior Software Engineer", "Software Tester"),  # 1 of 3
        ("Anna University Chennai", "Delhi University"),  # 1 of 3
        ("--", "Oracle"),  # no tokens
    ],
)
def test_less_than_half_of_the_tokens_is_no_match(value: str, other: str) -> None:
    """A value with fewer than half of its tokens in the other value does not match it."""
    assert not matches(value, other)


def test_partial_matches_can_be_switched_off() -> None:
    """With ``partial=False`` only equal normalised values match."""
    assert not matches("Oracle", "Oracle Corp", partial=False)


def test_precision_and_recall_see_the_match_from_their_own_side() -> None:
    """A short prediction inside a long gold value is correct but does not find it."""
    counts = count_document(["Oracle"], ["Oracle Financial Services"])
    assert counts == FieldCounts(predicted=1, correct=1, gold=1, found=0)
    assert (counts.precision, counts.recall) == (1.0, 0.0)


def test_empty_predictions_score_zero() -> None:
    """No prediction: precision and recall 0 (not a division error), the gold still counted."""
    counts = count_document([], ["Oracle", "Infosys"])
    assert counts == FieldCounts(predicted=0, correct=0, gold=2, found=0)
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)


def test_nothing_to_find_and_nothing_predicted_is_all_zero() -> None:
    """Empty gold and empty predictions give zero counts and zero rates."""
    counts = count_document([], [])
    assert counts == FieldCounts()
    assert counts.f1 == 0.0


def test_values_are_deduplicated_per_document() -> None:
    """Repeating a value, in any case or spacing, counts it once on each side."""
    counts = count_document(["Oracle", "ORACLE", " oracle"], ["Oracle", "oracle"])
    assert counts == FieldCounts(predicted=1, correct=1, gold=1, found=1)


def test_empty_values_are_ignored() -> None:
    """Blank strings are not values."""
    assert count_document(["", "  "], ["Oracle"]).predicted == 0


def test_counts_are_micro_averaged_over_documents() -> None:
    """Counts add up over documents before the rates are taken."""
    first = count_document(["Oracle", "Wipro"], ["Oracle"])  # 1 of 2 correct, 1 of 1 found
    second = count_document(["Infosys"], ["Infosys", "TCS", "HCL"])  # 1 of 1, 1 of 3
    total = first + second
    assert total == FieldCounts(predicted=3, correct=2, gold=4, found=2)
    assert total.precision == pytest.approx(2 / 3)
    assert total.recall == pytest.approx(2 / 4)
    assert total.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_normalise_folds_case_and_whitespace() -> None:
    """Normalising lower-cases and joins whitespace runs with one space."""
    assert normalise("  Senior\tSoftware \n Engineer ") == "senior software engineer"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://www.indeed.com/r/Jane-Doe/1a2b3c4d5e6f?isid=rex-download&co=IN",
            "indeed.com/r/jane-doe/1a2b3c4d5e6f",
        ),
        ("indeed.com/r/Jane-Doe/\n1a2b3c4d5e6f\n", "indeed.com/r/jane-doe/1a2b3c4d5e6f"),
        ("Indeed: indeed.com/r/Jane-Doe/1a2b3c4d5e6f", "indeed.com/r/jane-doe/1a2b3c4d5e6f"),
        ("Jane.Doe@Example.com", "jane.doe@example.com"),
        ("mailto:jane@example.com", "jane@example.com"),
    ],
)
def test_contacts_are_canonicalised(raw: str, expected: str) -> None:
    """Handles and e-mails lose whitespace, label, scheme, 'www.', query and case."""
    assert canonical_contact(raw) == expected


def test_contact_handles_match_across_their_spellings() -> None:
    """A link and a wrapped handle of the same profile are one value under the contact rule."""
    counts = count_document(
        ["https://www.indeed.com/r/Jane-Doe/1a2b3c4d?isid=x"],
        ["indeed.com/r/Jane-Doe/\n1a2b3c4d"],
        canon=canonical_contact,
        partial=False,
    )
    assert counts == FieldCounts(predicted=1, correct=1, gold=1, found=1)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("Python (3 years), SQL (Less than 1 year)", ["Python", "SQL"]),
        ("Languages: Core Java, Go Lang\nTools: Eclipse", ["Core Java", "Go Lang", "Eclipse"]),
        ("• Tableau\n• MS Excel", ["Tableau", "MS Excel"]),
        ("Business Intelligence\n(1 year)", ["Business Intelligence"]),
        ("Ability to work under pressure and meet tight deadlines.", []),
    ],
)
def test_skill_blocks_split_into_items(block: str, expected: list[str]) -> None:
    """A gold skills section becomes short skill items; sentences are dropped."""
    assert split_skill_block(block) == expected
