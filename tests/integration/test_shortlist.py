"""Shortlists: retrieval then re-ranking, pagination, knock-outs and stored requisitions."""

from __future__ import annotations

import numpy as np
import pytest

from matching.parsing import parse_requisition_text, parse_resume_text
from matching.ranking import CandidateRanker, KnockoutRules, Shortlister
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shortlister(tiny_ranker: CandidateRanker) -> Shortlister:
    featurizer = tiny_ranker.featurizer()
    prepared = featurizer.prepare_candidates(
        [(cid, text, parse_resume_text(text)) for cid, text in RESUMES.items()]
    )
    whole = np.stack([p.embedding.whole for p in prepared])
    return Shortlister(
        tiny_ranker,
        candidate_ids=list(RESUMES),
        whole=whole,
        prepare=lambda rows: [prepared[r] for r in rows],
    )


def test_shortlist_equals_scoring_the_whole_pool(
    shortlister: Shortlister, tiny_ranker: CandidateRanker
) -> None:
    """With the whole pool retrieved, the shortlist is the full ranking's top."""
    full = tiny_ranker.score_texts(JOBS["data"], list(RESUMES.items()))
    short = shortlister.shortlist(JOBS["data"], top=2).results
    assert [(r.candidate_id, r.score) for r in short] == [
        (r.candidate_id, r.score) for r in full[:2]
    ]


def test_pages_follow_each_other(shortlister: Shortlister) -> None:
    """Page 2 (offset 2) continues where page 1 stopped, ranks included."""
    first = shortlister.shortlist(JOBS["nurse"], top=2).results
    second = shortlister.shortlist(JOBS["nurse"], top=2, offset=2).results
    assert [r.rank for r in first + second] == [1, 2, 3, 4]
    assert len({r.candidate_id for r in first + second}) == 4


def test_knocked_out_candidates_can_be_left_out(shortlister: Shortlister) -> None:
    """With min_years on a 10-year posting, candidates who fail it are dropped on request."""
    senior = JOBS["data"].replace("5+ years", "10+ years")
    everyone = shortlister.shortlist(senior, top=4).results
    failing = {r.candidate_id for r in everyone if any(k.status == "fail" for k in r.knockouts)}
    kept = shortlister.shortlist(
        senior, top=4, exclude_knocked_out=True, knockouts=KnockoutRules()
    ).results
    assert failing
    assert not failing & {r.candidate_id for r in kept}
    assert [r.rank for r in kept] == list(range(1, len(kept) + 1))


def test_a_stored_requisition_skips_parsing_and_embedding(
    shortlister: Shortlister, tiny_ranker: CandidateRanker
) -> None:
    """Passing a prepared requisition gives the same shortlist as passing its text."""
    text = JOBS["data"]
    prepared = tiny_ranker.featurizer().prepare_requisition(text, parse_requisition_text(text))
    a = shortlister.shortlist(text, top=3).results
    b = shortlister.shortlist(text, top=3, prepared=prepared).results
    assert [(r.candidate_id, r.score) for r in a] == [(r.candidate_id, r.score) for r in b]


def test_warm_prepares_every_row(shortlister: Shortlister) -> None:
    """warm() leaves no row to prepare at query time."""
    shortlister.warm(batch=3)
    assert len(shortlister._prepared) == len(RESUMES)
