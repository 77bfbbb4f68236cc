"""The service's logic in process: Matcher and LivePool over a real store and the tiny model."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from matching.errors import InputError
from matching.ranking import CandidateRanker
from matching.serving import (
    CallContext,
    LivePool,
    Matcher,
    ScoreRequest,
    ShortlistRequest,
)
from matching.settings import Settings
from matching.store import Store, ingest_document
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = pytest.mark.slow

CONTEXT = CallContext(request_id="req-1", caller="tests")


def _ingest(store: Store, ranker: CandidateRanker, name: str, body: str) -> str:
    return ingest_document(
        body.encode(),
        filename=f"{name}.txt",
        store=store,
        encoder=ranker.featurizer().encoder,
        external_id=name,
    ).candidate_id


@pytest.fixture
def matcher(tmp_path: Path, tiny_ranker: CandidateRanker) -> Iterator[Matcher]:
    """A matcher over a store holding the four tiny resumes."""
    settings = Settings(home=tmp_path, knockouts="min_years")
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        for name, body in RESUMES.items():
            _ingest(store, tiny_ranker, name, body)
        tiny_ranker.metadata["registry"] = {"uri": "models:/m/3", "name": "m", "version": "3"}
        matcher = Matcher(tiny_ranker, store, settings=settings)
        matcher.pool.sync()
        yield matcher


def _score(matcher: Matcher, candidates: list[dict[str, object]], **requisition: str):  # type: ignore[no-untyped-def]
    body = {"requisition": requisition or {"text": JOBS["data"]}, "candidates": candidates}
    return matcher.score(ScoreRequest.model_validate(body), CONTEXT)


def test_stored_and_text_candidates_score_as_score_texts(
    matcher: Matcher, tiny_ranker: CandidateRanker
) -> None:
    """Scores for stored ids and for plain text equal CandidateRanker.score_texts's."""
    expected = {
        r.candidate_id: r.score
        for r in tiny_ranker.score_texts(JOBS["data"], list(RESUMES.items()))
    }
    names = list(RESUMES)
    response = _score(
        matcher,
        [{"external_id": names[0]}, {"text": RESUMES[names[1]], "ref": "pasted"}],
    )
    got = {r.external_id or r.ref: r.score for r in response.results}
    assert got[names[0]] == pytest.approx(expected[names[0]], abs=0.01)
    assert got["pasted"] == pytest.approx(expected[names[1]], abs=0.01)
    assert sorted(r.rank for r in response.results) == [1, 2]
    assert response.model.version == "3"


def test_a_bad_candidate_does_not_stop_the_others(matcher: Matcher) -> None:
    """Unknown id (E603), bad base64 (E604), empty document (E101), a repeat: item errors."""
    first = next(iter(RESUMES))
    empty = base64.b64encode(b"").decode() or "AA=="
    response = _score(
        matcher,
        [
            {"external_id": first},
            {"id": "nope"},
            {"document": {"filename": "cv.pdf", "content_base64": "***"}},
            {"document": {"filename": "cv.txt", "content_base64": empty}},
            {"external_id": first},
        ],
    )
    assert [r.index for r in response.results] == [0]
    codes = {e.index: e.code for e in response.errors}
    assert codes[1] == "E603"
    assert codes[2] == "E604"
    assert codes[3].startswith("E1")
    assert codes[4] == "E600"


def test_an_uploaded_document_is_scored_without_being_stored(matcher: Matcher) -> None:
    """A base64 document is parsed and scored; the pool does not grow."""
    before = len(matcher.pool)
    content = base64.b64encode(next(iter(RESUMES.values())).encode()).decode()
    response = _score(matcher, [{"document": {"filename": "cv.txt", "content_base64": content}}])
    assert response.results[0].candidate_id is None
    assert len(matcher.pool) == before == matcher.store.count_candidates()


def test_every_served_score_is_logged_without_text(matcher: Matcher) -> None:
    """One decision per scored candidate, with hashes and the model version; no text."""
    response = _score(matcher, [{"external_id": n} for n in RESUMES])
    logged = matcher.store.decisions(request_id="req-1")
    assert len(logged) == len(response.results) == len(RESUMES)
    assert {d.model_version for d in logged} == {"3"}
    assert all(len(d.candidate_sha256) == 64 and len(d.requisition_sha256) == 64 for d in logged)
    with matcher.store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM decisions")).all()
    dumped = repr(rows)
    assert "Python" not in dumped
    assert "@" not in dumped


def test_stored_pairs_keep_their_latest_score(matcher: Matcher) -> None:
    """Scoring stored candidates for a stored requisition records them in `scores`."""
    response = _score(matcher, [{"external_id": n} for n in RESUMES])
    kept = matcher.store.scores_for(response.requisition_id)
    assert {s.candidate_id: s.score for s in kept} == {
        r.candidate_id: r.score for r in response.results
    }


def test_requisitions_are_stored_once_and_found_by_external_id(matcher: Matcher) -> None:
    """The same text twice is one requisition; an external id finds it later."""
    first = matcher.add_requisition(JOBS["nurse"], external_id="ats-7")
    again = matcher.add_requisition(JOBS["nurse"])
    response = _score(matcher, [{"external_id": next(iter(RESUMES))}], external_id="ats-7")
    assert first.requisition_id == again.requisition_id == response.requisition_id


def test_an_unknown_requisition_is_an_error(matcher: Matcher) -> None:
    """E603 for an id or external id nobody stored."""
    with pytest.raises(InputError) as caught:
        _score(matcher, [{"external_id": next(iter(RESUMES))}], id="missing")
    assert caught.value.code == "E603"


def test_too_many_candidates_are_refused(tmp_path: Path, matcher: Matcher) -> None:
    """Over MATCHING_MAX_CANDIDATES_PER_REQUEST: E600, nothing scored."""
    matcher.settings = Settings(home=tmp_path, max_candidates_per_request=2)
    with pytest.raises(InputError) as caught:
        _score(matcher, [{"text": "a"}, {"text": "b"}, {"text": "c"}])
    assert caught.value.code == "E600"


def test_shortlist_pages_and_filters(matcher: Matcher) -> None:
    """Pages follow each other; min_score and location filter; next_offset ends."""
    req = {"text": JOBS["data"]}
    first = matcher.shortlist(
        ShortlistRequest.model_validate({"requisition": req, "top": 2}), CONTEXT
    )
    second = matcher.shortlist(
        ShortlistRequest.model_validate({"requisition": req, "top": 2, "offset": 2}), CONTEXT
    )
    assert [r.rank for r in first.results + second.results] == [1, 2, 3, 4]
    assert first.next_offset == 2
    assert second.next_offset is None
    floor = first.results[0].score
    high = matcher.shortlist(
        ShortlistRequest.model_validate({"requisition": req, "top": 4, "min_score": floor}),
        CONTEXT,
    )
    assert all(r.score >= floor for r in high.results)
    nowhere = matcher.shortlist(
        ShortlistRequest.model_validate({"requisition": req, "location": "Atlantis"}), CONTEXT
    )
    assert (nowhere.results, nowhere.pool_size) == ([], 0)


def test_deleting_removes_from_the_pool_and_unlinks_decisions(matcher: Matcher) -> None:
    """After DELETE the candidate is gone from shortlists; decisions stay, unlinked."""
    name = next(iter(RESUMES))
    response = _score(matcher, [{"external_id": name}])
    candidate_id = response.results[0].candidate_id
    assert candidate_id is not None
    deletion = matcher.delete_candidate(candidate_id)
    assert deletion.deleted
    assert deletion.rows["documents"] == 1
    assert deletion.rows["scores"] == 1
    assert deletion.decisions_unlinked == 1
    assert {d.candidate_id for d in matcher.store.decisions(request_id="req-1")} == {None}
    shortlist = matcher.shortlist(
        ShortlistRequest.model_validate({"requisition": {"text": JOBS["data"]}, "top": 10}),
        CONTEXT,
    )
    assert candidate_id not in {r.candidate_id for r in shortlist.results}
    assert not matcher.delete_candidate(candidate_id).deleted


def test_a_requisition_changed_elsewhere_is_not_served_stale(matcher: Matcher) -> None:
    """New text stored under an external id by another process is what the next call uses."""
    from matching.parsing import parse_requisition_text

    first = matcher.add_requisition(JOBS["data"], external_id="ats-9")
    name = next(iter(RESUMES))
    before = _score(matcher, [{"external_id": name}], external_id="ats-9")
    with Store.open(str(matcher.store.url)) as other:
        other.add_requisition(
            JOBS["nurse"], parse_requisition_text(JOBS["nurse"]), external_id="ats-9"
        )
    after = _score(matcher, [{"external_id": name}], external_id="ats-9")
    assert before.requisition_id == after.requisition_id == first.requisition_id
    expected = _score(matcher, [{"external_id": name}], text=JOBS["nurse"])
    assert after.results[0].score == expected.results[0].score != before.results[0].score


def test_model_info_reports_the_pool(matcher: Matcher) -> None:
    """Model info names the version and counts the pool."""
    info = matcher.info()
    assert (info.name, info.version, info.pool_size) == ("m", "3", len(RESUMES))


def test_the_pool_follows_changes_made_by_another_process(
    tmp_path: Path, tiny_ranker: CandidateRanker
) -> None:
    """A second store handle (another process) adds, replaces and deletes; sync sees each."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    names = list(RESUMES)
    with Store.open(url) as ours, Store.open(url) as theirs:
        _ingest(theirs, tiny_ranker, names[0], RESUMES[names[0]])
        pool = LivePool(tiny_ranker, ours)
        assert pool.sync().candidate_ids is None  # the first load
        assert len(pool) == 1
        assert pool.sync().candidate_ids == frozenset()
        added = _ingest(theirs, tiny_ranker, names[1], RESUMES[names[1]])
        assert pool.sync().candidate_ids == {added}
        assert pool.find_external(names[1]) == added
        _ingest(theirs, tiny_ranker, names[1], RESUMES[names[2]])  # replaced under its id
        assert pool.sync().candidate_ids == {added}
        assert len(pool) == 2
        theirs.delete_candidate(added)
        pool.sync()
        assert pool.find_external(names[1]) is None
        assert pool.shortlister().candidate_ids == [pool.find_external(names[0])]


def test_a_pool_far_behind_reloads_everything(tmp_path: Path, tiny_ranker: CandidateRanker) -> None:
    """When the change log was pruned past what a process saw, it reloads the whole pool."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    names = list(RESUMES)
    with Store.open(url) as store:
        _ingest(store, tiny_ranker, names[0], RESUMES[names[0]])
        pool = LivePool(tiny_ranker, store)
        pool.sync()
        _ingest(store, tiny_ranker, names[1], RESUMES[names[1]])
        _ingest(store, tiny_ranker, names[2], RESUMES[names[2]])
        with store.engine.begin() as connection:
            connection.execute(
                text("DELETE FROM changes WHERE seq < (SELECT max(seq) FROM changes)")
            )
        assert store.changes(1).candidate_ids is None
        pool.sync()
        assert len(pool) == 3


def test_ready_while_the_store_answers(matcher: Matcher) -> None:
    """ready() is True with the store, False once its connections are gone."""
    assert matcher.ready()
    matcher.store.engine.dispose()
    path = str(matcher.store.url.database)
    Path(path).unlink()
    Path(path).mkdir()  # a folder where the database file was: the store cannot open it
    assert not matcher.ready()


def test_a_linked_candidate_s_scores_are_queued_for_their_crm(
    tmp_path: Path, tiny_ranker: CandidateRanker
) -> None:
    """Uploaded with crm=keap and a contact id, a candidate's served scores go to the outbox."""
    from matching.store import Outbox

    settings = Settings(home=tmp_path, crm="keap")
    with Store.open(f"sqlite:///{tmp_path / 'crm.db'}") as store:
        matcher = Matcher(tiny_ranker, store, settings=settings)
        name, body = next(iter(RESUMES.items()))
        stored = matcher.add_candidate(
            body.encode(), filename="cv.txt", external_id=name, crm="Keap", crm_contact_id="77"
        )
        with pytest.raises(InputError):
            matcher.add_candidate(
                body.encode(), filename="cv.txt", crm="hubspot", crm_contact_id="1"
            )
        response = _score(matcher, [{"id": stored.candidate_id}])
        (item,) = Outbox(store).items()
        assert (item.crm, item.contact_id, item.candidate_id) == ("keap", "77", stored.candidate_id)
        assert item.payload["score"] == round(response.results[0].score, 2)
