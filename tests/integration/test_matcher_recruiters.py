"""The recruiter routes' logic in process: Matcher over a real store and the tiny model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from matching.errors import InputError
from matching.ranking import CandidateRanker
from matching.serving import (
    CallContext,
    CrmQueueRequest,
    FeedbackQuery,
    FeedbackRequest,
    Matcher,
    RequisitionQuery,
    ReviewQuery,
    ReviewRequestInput,
    ShortlistRequest,
)
from matching.settings import Settings
from matching.store import Outbox, Store, ingest_document
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = pytest.mark.slow

CONTEXT = CallContext(request_id="req-1", caller="recruiters")


@pytest.fixture
def matcher(tmp_path: Path, tiny_ranker: CandidateRanker) -> Iterator[Matcher]:
    """A matcher writing back to a webhook, over the four tiny resumes and the data posting."""
    settings = Settings(home=tmp_path, knockouts="min_years", crm="webhook")
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        for name, body in RESUMES.items():
            ingest_document(
                body.encode(),
                filename=f"{name}.txt",
                store=store,
                encoder=tiny_ranker.featurizer().encoder,
                external_id=name,
            )
        tiny_ranker.metadata["registry"] = {"uri": "models:/m/3", "name": "m", "version": "3"}
        matcher = Matcher(tiny_ranker, store, settings=settings)
        matcher.add_requisition(JOBS["data"], external_id="job-data")
        yield matcher


def _ids(matcher: Matcher) -> dict[str, str]:
    """Stored candidate ids by external id."""
    return {c.external_id or "": c.id for c in matcher.store.list_candidates()}


def _requisition_id(matcher: Matcher) -> str:
    found = matcher.store.find_requisition("job-data")
    assert found is not None
    return found.id


def _shortlist(matcher: Matcher) -> None:
    request = ShortlistRequest.model_validate(
        {"requisition": {"external_id": "job-data"}, "top": 10}
    )
    matcher.shortlist(request, CONTEXT)


def test_requisitions_are_listed_with_their_skills(matcher: Matcher) -> None:
    """The list names each stored requisition with its required skills, newest first."""
    nurse = matcher.add_requisition(JOBS["nurse"])
    listed = matcher.requisitions(RequisitionQuery())
    expected = [nurse.requisition_id, _requisition_id(matcher)]
    assert [r.requisition_id for r in listed.results] == expected
    assert listed.results[1].title == "Senior Data Engineer"
    assert listed.results[1].required_skills
    assert (listed.total, listed.next_offset) == (2, None)
    assert matcher.requisitions(RequisitionQuery(limit=1)).next_offset == 1


def test_a_posting_file_becomes_a_requisition(matcher: Matcher) -> None:
    """A posting sent as a file is stored as its text would be."""
    stored = matcher.add_requisition_document(
        JOBS["nurse"].encode(), filename="nurse.txt", external_id="job-nurse"
    )
    assert (stored.title, stored.external_id) == ("Registered Nurse", "job-nurse")
    assert matcher.store.find_requisition("job-nurse") is not None


def test_a_candidate_s_detail_has_evidence_and_latest_scores(matcher: Matcher) -> None:
    """The detail quotes each skill's span from the stored text and the latest score's model."""
    _shortlist(matcher)
    ada = _ids(matcher)["ada"]
    detail = matcher.candidate(ada)
    assert detail.profile is not None
    assert detail.profile.name == "Ada Moreau"
    text = RESUMES["ada"]
    for evidence in detail.evidence:
        assert text[evidence.start : evidence.end] == evidence.text
        assert text[: evidence.start].endswith(evidence.before)
        assert text[evidence.end :].startswith(evidence.after)
    (score,) = detail.scores
    assert (score.requisition_id, score.model_name, score.model_version) == (
        _requisition_id(matcher),
        "m",
        "3",
    )
    assert score.reasons.summary
    assert detail.document is not None
    assert detail.document.filename == "ada.txt"


def test_an_unknown_candidate_is_e603(matcher: Matcher) -> None:
    """Asking for a candidate that is not stored is E603 (a 404)."""
    with pytest.raises(InputError) as caught:
        matcher.candidate("no-such-candidate")
    assert caught.value.code == "E603"


def test_a_decision_keeps_the_reviewer_and_the_score_shown(matcher: Matcher) -> None:
    """The caller (the key's name) is the reviewer; the score is the pair's latest."""
    _shortlist(matcher)
    ada = _ids(matcher)["ada"]
    requisition_id = _requisition_id(matcher)
    shown = matcher.store.latest_scores(requisition_id, [ada])[ada]
    item = matcher.record_feedback(
        FeedbackRequest(requisition_id=requisition_id, candidate_id=ada, decision="advance"),
        CONTEXT,
    )
    assert (item.reviewer, item.label, item.score, item.model_version) == (
        "recruiters",
        1,
        shown.score,
        "3",
    )
    assert [d.feedback_id for d in matcher.candidate(ada).decisions] == [item.feedback_id]
    listed = matcher.feedback(FeedbackQuery(requisition_id=requisition_id))
    assert [r.feedback_id for r in listed.results] == [item.feedback_id]


@pytest.mark.parametrize("unknown", ["requisition", "candidate"])
def test_a_decision_on_unknown_ids_is_e603(matcher: Matcher, unknown: str) -> None:
    """The store's unknown-id error (E403, an operator's error elsewhere) is the caller's E603."""
    ids = {"requisition": _requisition_id(matcher), "candidate": _ids(matcher)["ben"]}
    ids[unknown] = "nope"
    request = FeedbackRequest(
        requisition_id=ids["requisition"], candidate_id=ids["candidate"], decision="reject"
    )
    with pytest.raises(InputError) as caught:
        matcher.record_feedback(request, CONTEXT)
    assert caught.value.code == "E603"
    assert unknown in caught.value.message


def test_review_requests_are_recorded_and_listed(matcher: Matcher) -> None:
    """A review request names who recorded it and is listed first."""
    ben = _ids(matcher)["ben"]
    item = matcher.request_review(ReviewRequestInput(candidate_id=ben, note="by phone"), CONTEXT)
    assert (item.recorded_by, item.note, item.requisition_id) == ("recruiters", "by phone", None)
    listed = matcher.review_requests(ReviewQuery())
    assert [r.review_request_id for r in listed.results] == [item.review_request_id]
    with pytest.raises(InputError):
        matcher.request_review(ReviewRequestInput(candidate_id="nope"), CONTEXT)


def test_send_to_crm_queues_the_linked_and_names_the_rest(matcher: Matcher) -> None:
    """Linked and scored candidates are queued; the unlinked and the unscored are named."""
    ids = _ids(matcher)
    Outbox(matcher.store).link(ids["ada"], "webhook", "contact-1")
    _shortlist(matcher)
    unscored = matcher.add_candidate(
        b"Eve Marchand\nStaff Accountant\nSkills\nExcel\n", filename="eve.txt"
    ).candidate_id
    requisition_id = _requisition_id(matcher)
    answer = matcher.queue_write_back(
        CrmQueueRequest(
            requisition_id=requisition_id, candidate_ids=[ids["ada"], ids["ben"], unscored]
        )
    )
    assert (answer.crms, answer.queued, answer.queued_candidates) == (["webhook"], 1, [ids["ada"]])
    assert (answer.unlinked, answer.unscored) == ([ids["ben"]], [unscored])
    with pytest.raises(InputError) as caught:
        matcher.queue_write_back(CrmQueueRequest(requisition_id="nope", candidate_ids=["a"]))
    assert caught.value.code == "E603"
