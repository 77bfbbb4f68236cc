"""Knock-out rules: reported beside the score, pass / fail / unknown, configurable by name."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from matching.errors import ConfigError
from matching.features import DocumentEmbedding, PreparedCandidate
from matching.ranking import KnockoutRules
from matching.schemas import Profile, Requisition


def _candidate(text: str = "", **profile: object) -> PreparedCandidate:
    empty = np.zeros((0, 4), dtype=np.float32)
    return PreparedCandidate(
        candidate_id="c",
        profile=Profile(**profile),  # type: ignore[arg-type]
        embedding=DocumentEmbedding(chunks=[], vectors=empty, whole=np.zeros(4, np.float32)),
        titles=empty,
        concepts=frozenset(),
        text_terms=frozenset(),
        normalized_text=" " + text.lower() + " ",
        term_counts=Counter(),
        length=0,
        occupations=frozenset(),
    )


@pytest.mark.parametrize(
    ("years", "status"), [(6.0, "pass"), (5.0, "pass"), (2.5, "fail"), (None, "unknown")]
)
def test_minimum_years(years: float | None, status: str) -> None:
    """Years against the requirement: enough passes, fewer fails, no dates is unknown."""
    [result] = KnockoutRules().check(
        Requisition(min_years_experience=5), "", _candidate(total_experience_years=years)
    )
    assert (result.rule, result.status) == ("min_years", status)


def test_no_requirement_no_knockout() -> None:
    """A posting without a minimum has no min_years check."""
    assert KnockoutRules().check(Requisition(), "", _candidate()) == []


@pytest.mark.parametrize(
    ("where", "status"),
    [("Austin, TX", "pass"), ("Dallas, TX", "pass"), ("Lyon, France", "fail"), (None, "unknown")],
)
def test_location(where: str | None, status: str) -> None:
    """Same city or region passes, elsewhere fails, unknown is unknown."""
    rules = KnockoutRules(min_years=False, location=True)
    job = Requisition(location="Austin, TX", remote="onsite")
    [result] = rules.check(job, "", _candidate(location=where))
    assert result.status == status


def test_remote_jobs_have_no_location_knockout() -> None:
    """A remote posting never knocks anyone out for where they live."""
    rules = KnockoutRules(min_years=False, location=True)
    job = Requisition(location="Austin, TX", remote="remote")
    assert rules.check(job, "", _candidate(location="Lyon, France")) == []


@pytest.mark.parametrize(
    ("resume", "status"),
    [
        ("Authorized to work in the US for any employer.", "pass"),
        ("I will require visa sponsorship.", "fail"),
        ("Python developer.", "unknown"),
    ],
)
def test_work_authorisation(resume: str, status: str) -> None:
    """Checked only when the posting asks for it; a resume that is silent is unknown."""
    rules = KnockoutRules(min_years=False, work_authorization=True)
    text = "Candidates must be authorized to work in the US without sponsorship."
    [result] = rules.check(Requisition(), text, _candidate(resume))
    assert result.status == status


def test_rules_by_name_and_unknown_names() -> None:
    """Rules are chosen by name; an unknown name is a configuration error (E203)."""
    assert KnockoutRules.from_names(["location"]) == KnockoutRules(
        min_years=False, location=True, work_authorization=False
    )
    with pytest.raises(ConfigError, match="E203"):
        KnockoutRules.from_names(["age"])
