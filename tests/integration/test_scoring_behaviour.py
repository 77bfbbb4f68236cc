"""Behavioural tests of a trained pipeline: invariance, direction, minimum functionality."""

from __future__ import annotations

import pytest

from matching.ranking import CandidateRanker
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = pytest.mark.slow

SWAPS = [
    ("Ada Moreau", "Lakisha Washington"),
    ("Ada Moreau", "Greg Baker"),
    ("Ada Moreau", "José Hernández"),
    ("Ada Moreau", "Mei Chen"),
]


def _score(model: CandidateRanker, resume: str, job: str = "data") -> float:
    [result] = model.score_texts(JOBS[job], [("c", resume)])
    return result.score


@pytest.mark.parametrize(("old", "new"), SWAPS)
def test_swapping_the_name_keeps_the_score(
    tiny_ranker: CandidateRanker, old: str, new: str
) -> None:
    """A name from another sex or ethnicity leaves the score exactly as it was."""
    resume = RESUMES["ada"] + "She led the data platform team; her pipelines run daily.\n"
    swapped = (
        resume.replace(old, new)
        .replace("She led", "He led")
        .replace("her pipelines", "his pipelines")
    )
    assert _score(tiny_ranker, swapped) == pytest.approx(_score(tiny_ranker, resume), abs=0.01)


def test_adding_a_required_skill_does_not_lower_the_score(tiny_ranker: CandidateRanker) -> None:
    """A resume that gains a required skill (Kafka) scores at least as high as before."""
    without = RESUMES["dana"]
    with_kafka = without.replace("Python, Java, SQL", "Python, Java, SQL, Apache Kafka")
    assert _score(tiny_ranker, with_kafka) >= _score(tiny_ranker, without)


def test_the_fitting_resume_ranks_first(tiny_ranker: CandidateRanker) -> None:
    """For each posting, the resume written for it gets rank 1."""
    for job, best in (("data", "ada"), ("nurse", "ben")):
        results = tiny_ranker.score_texts(JOBS[job], list(RESUMES.items()))
        assert results[0].candidate_id == best
        assert [r.rank for r in results] == [1, 2, 3, 4]


def test_scores_are_deterministic(tiny_ranker: CandidateRanker) -> None:
    """Scoring the same pairs twice gives identical scores and ranks."""
    first = tiny_ranker.score_texts(JOBS["data"], list(RESUMES.items()))
    second = tiny_ranker.score_texts(JOBS["data"], list(RESUMES.items()))
    assert [(r.candidate_id, r.score, r.rank) for r in first] == [
        (r.candidate_id, r.score, r.rank) for r in second
    ]


def test_reasons_name_matched_and_missing_required_skills(tiny_ranker: CandidateRanker) -> None:
    """Reasons list the posting's required skills as matched or missing, and contributions."""
    [result] = tiny_ranker.score_texts(JOBS["data"], [("dana", RESUMES["dana"])])
    reasons = result.reasons
    assert "Python" in " ".join(reasons.matched_skills)
    assert any("Kafka" in s for s in reasons.missing_skills)
    assert reasons.contributions
    assert reasons.experience.required_years == 5
