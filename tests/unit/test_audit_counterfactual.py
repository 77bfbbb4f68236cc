"""Counterfactual invariance: name and pronoun swaps, and the tiny ranker's score changes."""

from __future__ import annotations

import pytest

from matching.audit import (
    MAX_CHANGE,
    MAX_MEAN_CHANGE,
    NAMES,
    counterfactual_test,
    pronoun_sex,
    swap_identity,
)
from matching.errors import InputError
from matching.ranking import CandidateRanker
from tests.tiny_ranking import JOBS, RESUMES


def test_names_cover_every_race_and_sex_with_three_names() -> None:
    """Each of the 4 × 2 cells holds at least three distinct names."""
    cells: dict[str, set[str]] = {}
    for identity in NAMES:
        cells.setdefault(identity.group, set()).add(identity.name)
    assert len(cells) == 8
    assert all(len(names) >= 3 for names in cells.values())


def test_swap_replaces_full_name_parts_and_keeps_case() -> None:
    """Full name, first name, surname and an upper-case header are replaced; middle dropped."""
    text = "ANGELA MAE RIDDLE\nAngela Mae Riddle is a nurse. Call Angela or Riddle."
    out = swap_identity(text, old_name="Angela Mae Riddle", new_name="Emily Walsh", to_sex="female")
    assert out == "EMILY WALSH\nEmily Walsh is a nurse. Call Emily or Walsh."


@pytest.mark.parametrize(
    ("text", "to_sex", "expected"),
    [
        ("She said her patients trust her.", "male", "He said his patients trust him."),
        ("He told her that his work is hers.", "male", "He told him that his work is his."),
        ("He lost his keys; the car is his.", "female", "She lost her keys; the car is hers."),
        ("HE trained himself.", "female", "SHE trained herself."),
        ("Ask Mr. Baker or Mrs Jones.", "male", "Ask Mr. Baker or Mr Jones."),
        ("Ask Mr. Baker.", "female", "Ask Ms. Baker."),
    ],
)
def test_swap_sets_pronouns_and_titles(text: str, to_sex: str, expected: str) -> None:
    """Pronouns and titles take the target sex's form; "her" becomes "him" or "his"."""
    assert swap_identity(text, old_name=None, new_name="X Y", to_sex=to_sex) == expected  # type: ignore[arg-type]


def test_swap_leaves_other_words_untouched() -> None:
    """Words that merely contain a pronoun, a degree "MS", "miss" and lower-case "young" stay."""
    text = "Young Kim: the shepherd holds an MS in Nursing, does not miss shifts, is young."
    out = swap_identity(text, old_name="Young Kim", new_name="Greg Baker", to_sex="male")
    assert out == "Greg Baker: the shepherd holds an MS in Nursing, does not miss shifts, is young."


def test_pronoun_sex_counts_pronouns() -> None:
    """The more frequent set of pronouns decides; none or a tie gives None."""
    assert pronoun_sex("She said her work is his.") == "female"
    assert pronoun_sex("He is a chef.") == "male"
    assert pronoun_sex("A chef.") is None


def test_counterfactual_test_refuses_empty_input(tiny_ranker: CandidateRanker) -> None:
    """No pairs is an input error with code E510."""
    with pytest.raises(InputError) as error:
        counterfactual_test(tiny_ranker, [])
    assert error.value.code == "E510"


@pytest.mark.slow
def test_tiny_ranker_scores_do_not_move_with_name_and_sex(tiny_ranker: CandidateRanker) -> None:
    """Swapping every resume's name (and inserting one into a nameless one) keeps scores."""
    pairs: list[tuple[str, str, str | None]] = [
        (job, resume, None) for job in JOBS.values() for resume in RESUMES.values()
    ]
    nameless = "Registered Nurse\nShe has worked in acute care for six years; her ward is busy."
    pairs.append((JOBS["nurse"], nameless, None))
    result = counterfactual_test(tiny_ranker, pairs)
    assert result.n_resumes == len(pairs)
    assert result.n_variants == 8 * len(NAMES) + len(NAMES) - 1
    assert set(result.per_group) == {n.group for n in NAMES}
    assert result.mean_change < MAX_MEAN_CHANGE, result.to_dict()
    assert result.max_change < MAX_CHANGE, result.to_dict()
    assert result.passed
