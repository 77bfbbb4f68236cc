"""The CRM inbox in the store: queuing once, leases, outcomes, counts; contacts forgotten."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from matching.schemas import Profile, Requisition
from matching.store import InboundEvent, Inbox, NewScore, Outbox, Store

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _event(contact: str = "11", event_id: str | None = "e1", **kwargs: object) -> InboundEvent:
    fields: dict[str, object] = {
        "crm": "keap",
        "contact_id": contact,
        "event": "edit",
        "event_key": "contact.edit",
        "event_id": event_id,
        "occurred_at": T0,
    } | kwargs
    return InboundEvent(**fields)  # type: ignore[arg-type]


def _candidate(store: Store, name: str) -> str:
    return store.add_candidate_document(
        text=f"{name} resume",
        profile=Profile(name=name),
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        media_type="text/plain",
        external_id=name,
        parser_version="test",
    ).candidate_id


def test_a_redelivered_event_is_stored_once(store: Store) -> None:
    """Same CRM and event id: once, whether in one delivery or the next."""
    inbox = Inbox(store)
    first = inbox.receive([_event(event_id="e1"), _event(event_id="e1"), _event(event_id="e2")])
    again = inbox.receive([_event(event_id="e2"), _event(event_id="e3")])
    assert (first.queued, first.duplicates) == (2, 1)
    assert (again.queued, again.duplicates) == (1, 1)
    assert inbox.pending() == 3


def test_events_without_an_id_are_all_kept(store: Store) -> None:
    """No id, no way to tell a redelivery: each is kept (acting twice is harmless)."""
    inbox = Inbox(store)
    assert inbox.receive([_event(event_id=None), _event(event_id=None)]).queued == 2


def test_the_same_event_id_in_two_crms_is_two_events(store: Store) -> None:
    """Ids are unique per CRM only."""
    received = Inbox(store).receive([_event(), _event(crm="hubspot", event_key="contact.creation")])
    assert received.queued == 2


def test_a_claimed_event_is_leased_to_one_worker(store: Store) -> None:
    """A second claim gets nothing until the lease ends (a killed worker's events come back)."""
    inbox = Inbox(store)
    inbox.receive([_event()])
    (item,) = inbox.claim(lease=timedelta(minutes=5), now=T0)
    assert inbox.claim(now=T0 + timedelta(minutes=4)) == []
    (again,) = inbox.claim(now=T0 + timedelta(minutes=6))
    assert again.id == item.id


def test_finishing_records_the_state_and_note(store: Store) -> None:
    """finish() sets state and a short note; finished events are no longer pending."""
    inbox = Inbox(store)
    inbox.receive([_event(event_id="a"), _event(event_id="b", contact_id="12")])
    first, second = sorted(inbox.claim(now=T0), key=lambda i: i.contact_id)
    inbox.finish([first.id], "ignored", note="our own write")
    inbox.finish([second.id], "unlinked", note="x" * 400)
    assert inbox.pending() == 0
    assert inbox.counts() == {"keap": {"ignored": 1, "unlinked": 1}}
    by_id = {i.id: i for i in inbox.items()}
    assert by_id[first.id].note == "our own write"
    assert len(by_id[second.id].note or "") == 255
    assert inbox.unlinked_contacts() == [("keap", "12")]


def test_released_events_are_pending_again(store: Store) -> None:
    """release() ends a lease without an outcome."""
    inbox = Inbox(store)
    inbox.receive([_event()])
    (item,) = inbox.claim(now=T0)
    inbox.release([item.id])
    assert [i.id for i in inbox.claim(now=T0)] == [item.id]


def test_deleting_a_candidate_leaves_the_inbox_alone(store: Store) -> None:
    """Events are keyed by contact: a deleted candidate's contact events stay, unchanged."""
    candidate = _candidate(store, "ada")
    Outbox(store).link(candidate, "keap", "11")
    inbox = Inbox(store)
    inbox.receive([_event(contact="11")])
    store.delete_candidate(candidate)
    assert inbox.pending() == 1
    assert Outbox(store).candidate_of("keap", "11") is None


def test_unlinking_a_contact_drops_its_pending_writes_only(store: Store) -> None:
    """Outbox.unlink: the link and pending writes go; delivered writes stay as history."""
    outbox = Outbox(store)
    requisition = store.add_requisition("Nurse", Requisition(title="Nurse")).id
    candidate = _candidate(store, "ada")
    outbox.link(candidate, "keap", "11")

    def queue(score: float) -> None:
        store.record_scores(
            requisition,
            [NewScore(candidate, score, "h", rank=1)],
            model_name="m",
            model_version="1",
            write_back=("keap",),
        )

    queue(60.0)
    (first,) = outbox.claim("keap", limit=5, lease=timedelta(minutes=1))
    outbox.finish(first.id, "delivered", now=T0)
    queue(61.0)
    assert outbox.counts() == {"keap": {"delivered": 1, "pending": 1}}
    assert [d.id for d in outbox.deliveries("keap", "11")] == [first.id]
    assert outbox.unlink("keap", "11") == 1
    assert outbox.counts() == {"keap": {"delivered": 1}}
    assert outbox.candidate_of("keap", "11") is None
