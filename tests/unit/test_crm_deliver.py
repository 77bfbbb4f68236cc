"""The outbox and its worker with a fake CRM: once-only writes, retries, dead letters, leases."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from matching.crm import CrmError, RateLimiter, RetryPolicy, deliver, same_values
from matching.schemas import Profile, Requisition
from matching.store import NewScore, Outbox, Store


class FakeCrm:
    """A CRM in memory: contacts' values, a script of failures, and every call recorded."""

    name = "fake"

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.writes: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[CrmError] = []
        self.apply_then_fail = False

    def prepare(self) -> None:
        pass

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def read(self, contact_id: str) -> dict[str, Any]:
        self._maybe_fail()
        return dict(self.contacts.get(contact_id, {}))

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        self._maybe_fail()
        self.contacts[contact_id] = dict(values)
        self.writes.append((contact_id, dict(values)))
        if self.apply_then_fail:
            self.apply_then_fail = False
            raise CrmError("write: HTTP 500", retryable=True, status=500)


def _store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'store.db'}")


def _candidate(store: Store, name: str) -> str:
    return store.add_candidate_document(
        text=f"{name} resume",
        profile=Profile(name=name),
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        media_type="text/plain",
        external_id=name,
        parser_version="test",
    ).candidate_id


def _score(store: Store, requisition: str, candidate: str, score: float, crms=("fake",)) -> None:  # type: ignore[no-untyped-def]
    store.record_scores(
        requisition,
        [NewScore(candidate, score, "h", rank=1, reasons={"summary": "3 of 4 skills"})],
        model_name="m",
        model_version="2",
        write_back=crms,
    )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Store, Outbox, str, list[str]]:
    """A store with a requisition and three candidates linked to fake contacts c0, c1, c2."""
    store = _store(tmp_path)
    outbox = Outbox(store)
    requisition = store.add_requisition("Nurse", Requisition(title="Nurse")).id
    candidates = [_candidate(store, f"p{i}") for i in range(3)]
    for i, candidate in enumerate(candidates):
        outbox.link(candidate, "fake", f"c{i}")
    return store, outbox, requisition, candidates


def _run(outbox: Outbox, crm: FakeCrm, **kwargs: Any) -> Any:
    waits: list[float] = []
    return deliver(
        outbox,
        {"fake": crm},
        limiters={"fake": RateLimiter(1000.0, burst=1000)},
        policy=kwargs.pop("policy", RetryPolicy(max_attempts=3, base_s=0.0, cap_s=0.0)),
        sleep=waits.append,
        rng=random.Random(0),
        **kwargs,
    )


def test_scores_of_linked_candidates_are_queued_with_the_score(setup: Any) -> None:
    """record_scores(write_back=...) queues one write per linked contact; unlinked: none."""
    store, outbox, requisition, candidates = setup
    unlinked = _candidate(store, "nobody")
    _score(store, requisition, candidates[0], 81.234)
    _score(store, requisition, unlinked, 50.0)
    (item,) = outbox.items()
    assert (item.crm, item.contact_id, item.status) == ("fake", "c0", "pending")
    assert item.payload["score"] == 81.23
    assert item.payload["model"] == "m v2"
    assert item.payload["requisition_title"] == "Nurse"
    assert item.payload["reasons"] == "3 of 4 skills"


def test_no_write_back_queues_nothing(setup: Any) -> None:
    """Without write_back the outbox stays empty."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 70.0, crms=())
    assert outbox.items() == []


def test_every_write_is_delivered_once(setup: Any) -> None:
    """Three writes, three calls; a second run finds nothing to do."""
    store, outbox, requisition, candidates = setup
    for i, candidate in enumerate(candidates):
        _score(store, requisition, candidate, 60.0 + i)
    crm = FakeCrm()
    report = _run(outbox, crm)
    assert (report.delivered, report.skipped, report.dead) == (3, 0, 0)
    assert {c: v["score"] for c, v in crm.contacts.items()} == {"c0": 60.0, "c1": 61.0, "c2": 62.0}
    assert _run(outbox, crm).calls == 0
    assert outbox.counts() == {"fake": {"delivered": 3}}


def test_a_value_already_in_the_crm_is_not_written_again(setup: Any) -> None:
    """A write that was applied but answered with an error is skipped on retry, not repeated."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 75.0)
    crm = FakeCrm()
    crm.apply_then_fail = True
    report = _run(outbox, crm, drain=True)
    assert len(crm.writes) == 1
    assert (report.retried, report.skipped) == (1, 1)
    assert outbox.counts() == {"fake": {"skipped": 1}}


def test_retryable_failures_are_retried_then_dead(setup: Any) -> None:
    """Two 503s then success: delivered; a third contact that keeps failing: dead after 3."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 70.0)
    crm = FakeCrm()
    crm.failures = [CrmError("HTTP 503", retryable=True, status=503)] * 2
    assert _run(outbox, crm, drain=True).delivered == 1
    _score(store, requisition, candidates[1], 71.0)
    crm.failures = [CrmError("HTTP 503", retryable=True, status=503)] * 10
    report = _run(outbox, crm, drain=True)
    assert report.dead == 1
    (dead,) = outbox.items(status="dead")
    assert dead.attempts == 3
    assert dead.last_error == "HTTP 503"


def test_a_refusal_is_dead_at_once_and_can_be_replayed(setup: Any) -> None:
    """A 404 is not retried; requeue_dead makes it pending and a later sync delivers it."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 70.0)
    crm = FakeCrm()
    crm.failures = [CrmError("HTTP 404", retryable=False, status=404)]
    report = _run(outbox, crm, drain=True)
    assert (report.dead, report.calls) == (1, 1)
    assert outbox.requeue_dead() == 1
    assert _run(outbox, crm).delivered == 1


def test_retry_after_is_honoured(setup: Any) -> None:
    """A 429 with Retry-After 7 s delays the retry by at least 7 s."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 70.0)
    crm = FakeCrm()
    crm.failures = [CrmError("HTTP 429", retryable=True, retry_after=7.0, status=429)]
    _run(outbox, crm)
    (item,) = outbox.items(status="pending")
    assert (item.next_attempt_at - item.created_at).total_seconds() >= 7.0


def test_a_newer_score_supersedes_a_pending_one(setup: Any) -> None:
    """Two scores for one contact before delivery: only the latest is written."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 40.0)
    _score(store, requisition, candidates[0], 90.0)
    crm = FakeCrm()
    _run(outbox, crm)
    assert crm.writes == [("c0", crm.contacts["c0"])]
    assert crm.contacts["c0"]["score"] == 90.0
    assert outbox.counts() == {"fake": {"delivered": 1, "superseded": 1}}


def test_a_lease_keeps_a_write_from_two_workers_until_it_ends(setup: Any) -> None:
    """A claimed write is not claimed again until its lease ends (a killed worker's rows)."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 70.0)
    assert len(outbox.claim("fake", limit=10, lease=timedelta(minutes=5))) == 1
    assert outbox.claim("fake", limit=10, lease=timedelta(minutes=5)) == []
    assert _run(outbox, FakeCrm()).calls == 0
    later = outbox.items()[0].created_at + timedelta(minutes=6)
    assert len(outbox.claim("fake", limit=10, lease=timedelta(minutes=5), now=later)) == 1


def test_stopping_releases_the_rest_of_the_batch(setup: Any) -> None:
    """stop() between writes ends the run; unstarted writes are free for the next worker."""
    store, outbox, requisition, candidates = setup
    for candidate in candidates:
        _score(store, requisition, candidate, 70.0)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    crm = FakeCrm()
    assert _run(outbox, crm, stop=stop).delivered == 1
    assert len(outbox.claim("fake", limit=10, lease=timedelta(minutes=1))) == 2


def test_deleting_a_candidate_drops_their_queued_writes(setup: Any) -> None:
    """The outbox holds no write for a deleted person."""
    store, outbox, requisition, candidates = setup
    _score(store, requisition, candidates[0], 70.0)
    store.delete_candidate(candidates[0])
    assert outbox.items() == []
    assert outbox.contact_of(candidates[0], "fake") is None


@pytest.mark.parametrize(
    ("current", "wanted", "same"),
    [
        ({"score": "81.2", "rank": "3"}, {"score": 81.2, "rank": 3}, True),
        ({"score": 81.234}, {"score": 81.23}, True),
        ({"score": 81.2}, {"score": 81.3}, False),
        ({"reasons": ""}, {"reasons": None}, True),
        ({"model": "m v1"}, {"model": "m v2"}, False),
    ],
)
def test_same_values_compares_as_the_crm_stores(
    current: dict[str, Any], wanted: dict[str, Any], same: bool
) -> None:
    """Numbers compare at the CRM's precision; empty and missing are the same."""
    assert same_values(current, wanted) is same


def test_the_rate_limiter_spaces_calls_and_pauses() -> None:
    """At 2 calls/s the third call of a burst waits; a pause delays every call."""
    now = {"t": 0.0}
    limiter = RateLimiter(2.0, burst=2, clock=lambda: now["t"])
    assert limiter.delay() == 0
    assert limiter.delay() == 0
    assert limiter.delay() == pytest.approx(0.5)
    limiter.pause(10)
    assert limiter.delay() >= 9.9


class FakeBatchCrm(FakeCrm):
    """A CRM with batch calls; ``refuse`` names contacts whose writes fail in a batch."""

    batch_size = 2

    def __init__(self) -> None:
        super().__init__()
        self.refuse: dict[str, CrmError] = {}
        self.batch_calls: list[list[str]] = []

    def read_many(self, contact_ids: Any) -> dict[str, dict[str, Any]]:
        self._maybe_fail()
        return {c: dict(self.contacts.get(c, {})) for c in contact_ids}

    def write_many(self, writes: Any) -> dict[str, CrmError | None]:
        self._maybe_fail()
        self.batch_calls.append([c for c, _ in writes])
        results: dict[str, CrmError | None] = {}
        for contact_id, values in writes:
            error = self.refuse.pop(contact_id, None)
            if error is None:
                self.contacts[contact_id] = dict(values)
                self.writes.append((contact_id, dict(values)))
            results[contact_id] = error
        return results


def test_batches_retry_only_the_items_that_failed(setup: Any) -> None:
    """Writes go in calls of batch_size; a partial failure (207) retries only its item."""
    store, outbox, requisition, candidates = setup
    for i, candidate in enumerate(candidates):
        _score(store, requisition, candidate, 50.0 + i)
    crm = FakeBatchCrm()
    crm.refuse["c1"] = CrmError("HTTP 207 item 500", retryable=True, status=500)
    report = _run(outbox, crm, drain=True)  # type: ignore[arg-type]
    assert crm.batch_calls == [["c0", "c1"], ["c2"], ["c1"]]
    assert (report.delivered, report.retried) == (3, 1)
    assert sorted(c for c, _ in crm.writes) == ["c0", "c1", "c2"]


def test_a_failed_batch_call_retries_every_item(setup: Any) -> None:
    """A 429 on the whole call: every item of it is retried, none lost."""
    store, outbox, requisition, candidates = setup
    for candidate in candidates[:2]:
        _score(store, requisition, candidate, 66.0)
    crm = FakeBatchCrm()
    crm.failures = [CrmError("HTTP 429", retryable=True, retry_after=0.0, status=429)]
    report = _run(outbox, crm, drain=True)  # type: ignore[arg-type]
    assert (report.retried, report.delivered) == (2, 2)
    assert outbox.counts() == {"fake": {"delivered": 2}}
