"""Recruiters' decisions, review requests, the requisition list and "send to CRM" in the store."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matching.cli import app
from matching.errors import InputError
from matching.schemas import Profile, Reasons, Requisition
from matching.store import (
    PAIR_COLUMNS,
    TEXT_COLUMNS,
    Feedback,
    NewScore,
    Outbox,
    ProtectedAttributes,
    ReviewRequests,
    Store,
    export_feedback,
)

MODEL = "ranker"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _candidate(store: Store, external_id: str, text: str | None = None) -> str:
    """A stored candidate (one document and profile, no vectors); returns the id."""
    body = text if text is not None else f"{external_id} resume: Python, SQL"
    return store.add_candidate_document(
        text=body,
        profile=Profile(name=external_id.title()),
        sha256=_sha(body),
        media_type="text/plain",
        external_id=external_id,
        parser_version="test",
    ).candidate_id


def _requisition(store: Store, text: str = "Data engineer\nPython, SQL") -> str:
    return store.add_requisition(text, Requisition(title=text.split("\n")[0])).id


def _score(
    store: Store, requisition_id: str, candidate_id: str, score: float, *, version: str = "1"
) -> None:
    store.record_scores(
        requisition_id,
        [
            NewScore(
                candidate_id=candidate_id,
                score=score,
                input_sha256=_sha(f"{candidate_id}{score}"),
                rank=1,
                reasons=Reasons(summary=f"scored {score}", missing_skills=["Spark"]),
            )
        ],
        model_name=MODEL,
        model_version=version,
    )


def _record(store: Store, requisition_id: str, candidate_id: str, decision: str, **kw: str) -> None:
    Feedback(store).record(
        requisition_id,
        candidate_id,
        decision,  # type: ignore[arg-type]
        request_id="r1",
        reviewer="alice",
        **kw,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- decisions ------------------------------------------------------------------------------------


def test_a_decision_keeps_the_latest_score_and_model_of_the_pair(store: Store) -> None:
    """The score, rank and model stored with a decision are the pair's latest score."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    _score(store, requisition, ada, 40.0, version="1")
    _score(store, requisition, ada, 72.5, version="2")
    entry = Feedback(store).record(
        requisition,
        ada,
        "advance",
        request_id="req-1",
        reason="Strong Spark",
        reviewer="alice",
        shown_request_id="shortlist-1",
    )
    assert (entry.score, entry.rank, entry.model_name, entry.model_version) == (
        72.5,
        1,
        MODEL,
        "2",
    )
    assert (entry.decision, entry.label, entry.reason, entry.reviewer) == (
        "advance",
        1,
        "Strong Spark",
        "alice",
    )
    assert entry.shown_request_id == "shortlist-1"
    assert entry.candidate_sha256 == _sha("ada resume: Python, SQL")
    assert entry.requisition_sha256 == _sha("Data engineer\nPython, SQL")


def test_a_decision_on_an_unscored_pair_has_no_score(store: Store) -> None:
    """A pair never scored gets a decision with no score or model (label 0 for reject)."""
    entry = Feedback(store).record(
        _requisition(store), _candidate(store, "ben"), "reject", request_id="r"
    )
    assert (entry.score, entry.model_version, entry.label) == (None, None, 0)


@pytest.mark.parametrize("unknown", ["requisition", "candidate"])
def test_a_decision_needs_stored_ids(store: Store, unknown: str) -> None:
    """An unknown requisition or candidate is E403 and nothing is stored."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    ids = {"requisition": requisition, "candidate": ada, unknown: "nope"}
    with pytest.raises(InputError) as caught:
        Feedback(store).record(ids["requisition"], ids["candidate"], "advance", request_id="r")
    assert caught.value.code == "E403"
    assert Feedback(store).count() == 0


@pytest.mark.parametrize(
    ("decision", "reason"), [("maybe", None), ("advance", "x" * 501)], ids=["verdict", "long"]
)
def test_a_decision_is_advance_or_reject_with_a_short_reason(
    store: Store, decision: str, reason: str | None
) -> None:
    """Another decision, or a reason over 500 characters, is refused."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    with pytest.raises(ValueError, match=r"decision|reason"):
        Feedback(store).record(
            requisition,
            ada,
            decision,  # type: ignore[arg-type]
            request_id="r",
            reason=reason,
        )


def test_latest_only_keeps_each_pairs_latest_decision(store: Store) -> None:
    """A recruiter who changes their mind leaves one label per pair: the latest."""
    requisition, ada, ben = _requisition(store), _candidate(store, "ada"), _candidate(store, "ben")
    _record(store, requisition, ada, "reject")
    _record(store, requisition, ben, "reject")
    _record(store, requisition, ada, "advance")
    feedback = Feedback(store)
    latest = feedback.entries(latest_only=True)
    assert sorted((e.candidate_id, e.decision) for e in latest) == sorted(
        [(ada, "advance"), (ben, "reject")]
    )
    assert feedback.count(latest_only=True) == 2
    assert feedback.count() == 3
    assert [e.decision for e in feedback.entries()] == ["reject", "reject", "advance"]


def test_decisions_can_be_listed_per_requisition_and_paged(store: Store) -> None:
    """`requisition_id` keeps one requisition's decisions; limit and offset page them."""
    first, second = _requisition(store), _requisition(store, "Nurse\nBLS")
    ada = _candidate(store, "ada")
    for requisition in (first, second, first):
        _record(store, requisition, ada, "advance")
    feedback = Feedback(store)
    assert {e.requisition_id for e in feedback.entries(requisition_id=second)} == {second}
    assert feedback.count(requisition_id=first) == 2
    page = feedback.entries(limit=2, offset=1)
    assert [e.id for e in page] == [e.id for e in feedback.entries()][1:3]


# -- the export --------------------------------------------------------------------------------


def test_export_writes_one_labelled_pair_per_decided_pair(store: Store, tmp_path: Path) -> None:
    """The CSV has the documented columns, label 1 for advance and 0 for reject."""
    requisition, ada, ben = _requisition(store), _candidate(store, "ada"), _candidate(store, "ben")
    _score(store, requisition, ada, 81.0)
    _record(store, requisition, ada, "reject")
    _record(store, requisition, ada, "advance", reason="Spark, Kafka")
    _record(store, requisition, ben, "reject")
    done = export_feedback(store, tmp_path / "pairs.csv")
    rows = _rows(done.path)
    assert done.rows == len(rows) == 2
    assert list(rows[0]) == list(PAIR_COLUMNS)
    by_candidate = {row["candidate_id"]: row for row in rows}
    assert (by_candidate[ada]["label"], by_candidate[ada]["decision"]) == ("1", "advance")
    assert by_candidate[ada]["reason"] == "Spark, Kafka"
    assert (by_candidate[ada]["score"], by_candidate[ada]["model_version"]) == ("81.0", "1")
    assert (by_candidate[ben]["label"], by_candidate[ben]["score"]) == ("0", "")
    assert {row["job_id"] for row in rows} == {requisition}


def test_export_with_text_gives_the_texts_judged(store: Store, tmp_path: Path) -> None:
    """With texts, a pair whose resume was replaced after the decision has no resume text."""
    requisition = _requisition(store)
    ada, ben = _candidate(store, "ada"), _candidate(store, "ben")
    _record(store, requisition, ada, "advance")
    _record(store, requisition, ben, "reject")
    _candidate(store, "ben", text="ben's new resume")  # replaces ben's document
    done = export_feedback(store, tmp_path / "pairs.csv", with_text=True)
    rows = {row["candidate_id"]: row for row in _rows(done.path)}
    assert list(next(iter(rows.values()))) == [*PAIR_COLUMNS, *TEXT_COLUMNS]
    assert rows[ada]["resume_text"] == "ada resume: Python, SQL"
    assert rows[ada]["job_text"] == "Data engineer\nPython, SQL"
    assert rows[ben]["resume_text"] == ""
    assert done.stale_texts == 1


def test_export_never_holds_protected_attributes(store: Store, tmp_path: Path) -> None:
    """Protected attributes of a decided candidate appear nowhere in the export."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    ProtectedAttributes(store).set(ada, {"sex": "nonbinary-zz", "age_band": "band-qq"})
    _record(store, requisition, ada, "advance")
    done = export_feedback(store, tmp_path / "pairs.csv", with_text=True)
    written = done.path.read_text(encoding="utf-8")
    for value in ("nonbinary-zz", "band-qq", "age_band", "sex"):
        assert value not in written


def test_the_cli_exports_pairs(store: Store, tmp_path: Path) -> None:
    """`matching feedback export --out FILE --db URL` writes the labelled pairs."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    _record(store, requisition, ada, "advance")
    out = tmp_path / "out" / "pairs.csv"
    result = CliRunner().invoke(
        app, ["feedback", "export", "--out", str(out), "--db", str(store.url), "--all"]
    )
    assert result.exit_code == 0, result.output
    assert [row["candidate_id"] for row in _rows(out)] == [ada]
    assert "1 labelled pair" in result.output


# -- review requests ----------------------------------------------------------------------------


def test_review_requests_are_listed_newest_first(store: Store) -> None:
    """Requests are stored with who recorded them and listed, the most recent first."""
    requisition, ada, ben = _requisition(store), _candidate(store, "ada"), _candidate(store, "ben")
    reviews = ReviewRequests(store)
    first = reviews.record(ada, request_id="r1", recorded_by="alice", note="by e-mail")
    second = reviews.record(ben, request_id="r2", requisition_id=requisition)
    assert [r.id for r in reviews.entries()] == [second.id, first.id]
    assert (first.note, first.recorded_by, first.requisition_id) == ("by e-mail", "alice", None)
    assert [r.id for r in reviews.entries(candidate_id=ben)] == [second.id]
    assert reviews.count() == 2


@pytest.mark.parametrize("unknown", ["candidate", "requisition"])
def test_a_review_request_needs_stored_ids(store: Store, unknown: str) -> None:
    """An unknown candidate or requisition is E403."""
    ada = _candidate(store, "ada")
    candidate = "nope" if unknown == "candidate" else ada
    requisition = "nope" if unknown == "requisition" else None
    with pytest.raises(InputError) as caught:
        ReviewRequests(store).record(candidate, request_id="r", requisition_id=requisition)
    assert caught.value.code == "E403"


def test_a_review_note_is_bounded(store: Store) -> None:
    """A note over 2,000 characters is refused."""
    with pytest.raises(ValueError, match="note"):
        ReviewRequests(store).record(_candidate(store, "ada"), request_id="r", note="x" * 2001)


def test_deleting_a_candidate_deletes_their_decisions_and_requests(store: Store) -> None:
    """Decisions and review requests about a candidate leave with them, and are counted."""
    requisition, ada, ben = _requisition(store), _candidate(store, "ada"), _candidate(store, "ben")
    _record(store, requisition, ada, "advance")
    _record(store, requisition, ada, "reject")
    _record(store, requisition, ben, "reject")
    ReviewRequests(store).record(ada, request_id="r")
    report = store.delete_candidate(ada)
    assert (report.feedback, report.review_requests) == (2, 1)
    assert report.total == 1 + 1 + 1 + 2 + 1  # candidate, document, profile, decisions, request
    assert [e.candidate_id for e in Feedback(store).entries()] == [ben]
    assert ReviewRequests(store).count() == 0


# -- requisitions and scores ----------------------------------------------------------------------


def test_requisitions_are_listed_newest_first_and_paged(store: Store) -> None:
    """The list puts the most recently stored first; limit and offset page it."""
    ids = [_requisition(store, f"Job {i}\nPython") for i in range(3)]
    assert [r.id for r in store.list_requisitions()] == ids[::-1]
    assert [r.id for r in store.list_requisitions(limit=1, offset=1)] == [ids[1]]
    assert store.count_requisitions() == 3
    assert store.requisition_titles([ids[0], "nope"]) == {ids[0]: "Job 0"}


def test_latest_scores_are_per_pair_and_per_requisition(store: Store) -> None:
    """The latest score of each pair is found by requisition and by candidate."""
    first, second = _requisition(store), _requisition(store, "Nurse\nBLS")
    ada, ben = _candidate(store, "ada"), _candidate(store, "ben")
    _score(store, first, ada, 10.0, version="1")
    _score(store, first, ada, 20.0, version="2")
    _score(store, second, ada, 30.0)
    latest = store.latest_scores(first, [ada, ben])
    assert list(latest) == [ada]
    assert (latest[ada].score, latest[ada].model_version) == (20.0, "2")
    of_ada = {s.requisition_id: s.score for s in store.scores_of_candidate(ada)}
    assert of_ada == {first: 20.0, second: 30.0}


# -- send to CRM --------------------------------------------------------------------------------


def test_queue_latest_queues_linked_candidates_and_names_the_rest(store: Store) -> None:
    """Linked and scored: queued; scored but unlinked: named; never scored: named apart."""
    requisition = _requisition(store)
    ada, ben, cai = (_candidate(store, name) for name in ("ada", "ben", "cai"))
    outbox = Outbox(store)
    outbox.link(ada, "webhook", "contact-ada")
    outbox.link(cai, "webhook", "contact-cai")
    _score(store, requisition, ada, 64.0)
    _score(store, requisition, ben, 12.0)
    report = outbox.queue_latest(requisition, [ada, ben, cai], ["webhook"])
    assert (report.queued, report.queued_candidates) == (1, [ada])
    assert (report.unlinked, report.unscored) == ([ben], [cai])
    (item,) = outbox.items(status="pending")
    assert (item.contact_id, item.payload["score"], item.payload["model"]) == (
        "contact-ada",
        64.0,
        f"{MODEL} v1",
    )
    assert item.payload["requisition_title"] == "Data engineer"


def test_queue_latest_supersedes_a_pending_write(store: Store) -> None:
    """Sending twice leaves one pending write per contact (the older is superseded)."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    outbox = Outbox(store)
    outbox.link(ada, "webhook", "contact-ada")
    _score(store, requisition, ada, 64.0)
    outbox.queue_latest(requisition, [ada], ["webhook"])
    outbox.queue_latest(requisition, [ada], ["webhook"])
    assert outbox.counts() == {"webhook": {"pending": 1, "superseded": 1}}


def test_queue_latest_without_crms_queues_nothing(store: Store) -> None:
    """With no CRM configured nothing is queued."""
    requisition, ada = _requisition(store), _candidate(store, "ada")
    Outbox(store).link(ada, "webhook", "contact-ada")
    _score(store, requisition, ada, 64.0)
    report = Outbox(store).queue_latest(requisition, [ada], [])
    assert (report.queued, report.crms) == (0, ())
    assert Outbox(store).counts() == {}


def test_queue_latest_needs_a_stored_requisition(store: Store) -> None:
    """An unknown requisition is E403."""
    with pytest.raises(InputError) as caught:
        Outbox(store).queue_latest("nope", [_candidate(store, "ada")], ["webhook"])
    assert caught.value.code == "E403"
