"""Acting on the CRM inbox: re-scoring, unlinking, ignoring our own writes (a fake model)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from matching.cli import app
from matching.crm import RescoreReport, own_write, rescore, value_hash
from matching.schemas import Profile, Requisition
from matching.store import (
    InboundEvent,
    Inbox,
    InboxItem,
    NewScore,
    Outbox,
    OutboxItem,
    Store,
)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=120)


@dataclass
class FakeScorer:
    """Scores every candidate 75 (rank 1); counts its calls."""

    model_name: str = "fake"
    model_version: str = "2"
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    score_value: float = 75.0

    def score(
        self, candidate_id: str, requisition_ids: Sequence[str]
    ) -> list[tuple[str, NewScore]]:
        self.calls.append((candidate_id, tuple(requisition_ids)))
        return [
            (r, NewScore(candidate_id, self.score_value, f"in-{r}", rank=1, reasons={}))
            for r in requisition_ids
        ]


@dataclass
class World:
    """A store with one requisition and a candidate linked to keap 11 and hubspot 201."""

    store: Store
    inbox: Inbox
    outbox: Outbox
    requisition: str
    candidate: str
    scorer: FakeScorer
    loads: list[int]

    def run(self, *, write_back: Sequence[str] = ("keap", "hubspot")) -> RescoreReport:
        def load() -> FakeScorer:
            self.loads.append(1)
            return self.scorer

        return rescore(
            self.inbox, self.outbox, self.store, load, write_back=write_back, window=WINDOW
        )

    def deliver(self, crm: str, at: datetime) -> OutboxItem:
        """Deliver the contact's pending write at ``at``; returns it."""
        (item,) = self.outbox.claim(crm, limit=10, lease=timedelta(minutes=1))
        self.outbox.finish(item.id, "delivered", now=at)
        return item

    def states(self) -> list[tuple[str, str, str | None]]:
        return sorted((i.contact_id, i.state, i.note) for i in self.inbox.items())


@pytest.fixture
def world(store: Store) -> World:
    requisition = store.add_requisition("Nurse", Requisition(title="Nurse")).id
    candidate = store.add_candidate_document(
        text="ada resume",
        profile=Profile(name="ada"),
        sha256=hashlib.sha256(b"ada").hexdigest(),
        media_type="text/plain",
        external_id="ada",
        parser_version="test",
    ).candidate_id
    outbox = Outbox(store)
    outbox.link(candidate, "keap", "11")
    outbox.link(candidate, "hubspot", "201")
    store.record_scores(
        requisition,
        [NewScore(candidate, 60.0, "h", rank=1, reasons={"summary": "3 of 4"})],
        model_name="fake",
        model_version="1",
        write_back=("keap", "hubspot"),
    )
    return World(store, Inbox(store), outbox, requisition, candidate, FakeScorer(), [])


def _keap(
    contact: str = "11", *, at: datetime = T0, event: str = "edit", n: int = 1
) -> InboundEvent:
    return InboundEvent(
        crm="keap",
        contact_id=contact,
        event=event,  # type: ignore[arg-type]
        event_key=f"contact.{event}",
        event_id=f"{event}:{contact}:{at.isoformat()}:{n}",
        occurred_at=at,
    )


def _hubspot_own(value: object, *, at: datetime = T0, field_name: str = "score") -> InboundEvent:
    return InboundEvent(
        crm="hubspot",
        contact_id="201",
        event="edit",
        event_key="contact.propertyChange",
        event_id=f"own:{value}:{at.isoformat()}",
        occurred_at=at,
        property=f"matching_{field_name}",
        value_sha256=value_hash(field_name, value),
    )


def test_a_linked_contact_is_rescored_and_its_write_queued(world: World) -> None:
    """An edit of a linked contact: new score recorded, a write queued, the old one superseded."""
    world.inbox.receive([_keap()])
    world.run()
    assert world.scorer.calls == [(world.candidate, (world.requisition,))]
    assert world.states() == [("11", "done", "re-scored for 1 requisition(s)")]
    pending = world.outbox.items(crm="keap", status="pending")
    assert [p.payload["score"] for p in pending] == [75.0]
    assert world.outbox.counts()["keap"]["superseded"] == 1
    (score,) = world.store.scores_for(world.requisition, model_name="fake", model_version="2")
    assert score.score == 75.0


def test_an_unlinked_contact_is_left_for_the_integrator(world: World) -> None:
    """No candidate for the contact: `unlinked`; the model is never loaded."""
    world.inbox.receive([_keap("99", event="add")])
    world.run()
    assert world.states() == [("99", "unlinked", "no candidate is linked to this contact")]
    assert world.loads == []
    assert world.inbox.unlinked_contacts() == [("keap", "99")]


def test_a_deleted_contact_is_unlinked_with_its_pending_writes(world: World) -> None:
    """contact.delete: link and pending writes gone; other events of the contact ignored."""
    world.inbox.receive([_keap(event="edit"), _keap(event="delete")])
    report = world.run()
    assert world.outbox.candidate_of("keap", "11") is None
    assert world.outbox.items(crm="keap", status="pending") == []
    assert world.states() == [
        ("11", "done", "contact deleted in the CRM: unlinked"),
        ("11", "ignored", "contact deleted in the CRM"),
    ]
    assert report.writes_dropped == 1
    assert world.scorer.calls == []


def test_deleting_an_unlinked_contact_is_ignored(world: World) -> None:
    """Nothing to forget: `ignored`."""
    world.inbox.receive([_keap("98", event="delete")])
    world.run()
    assert world.states() == [("98", "ignored", "contact deleted in the CRM; it was not linked")]


def test_a_keap_edit_right_after_our_write_is_ours(world: World) -> None:
    """Within the window of a delivered write: ignored (heuristic); later: re-scored."""
    world.deliver("keap", T0)
    world.inbox.receive([_keap(at=T0 + timedelta(seconds=3))])
    world.run()
    ((_, state, note),) = world.states()
    assert state == "ignored"
    assert note is not None
    assert note.startswith("our own write (heuristic")
    world.inbox.receive([_keap(at=T0 + timedelta(minutes=10), n=2)])
    world.run()
    assert world.scorer.calls == [(world.candidate, (world.requisition,))]


def test_hubspot_changes_of_our_fields_are_never_rescored(world: World) -> None:
    """Our value (compared by hash) or near our write: ours; another value: not re-scored."""
    world.deliver("hubspot", T0)  # wrote score 60.0
    world.inbox.receive(
        [
            _hubspot_own("60.00", at=T0 + timedelta(hours=1)),  # as HubSpot echoes the number
            _hubspot_own("42", at=T0 + timedelta(seconds=5)),  # whatever HubSpot made of it
            _hubspot_own("42", at=T0 + timedelta(hours=2)),  # a person typed 42
        ]
    )
    world.run()
    notes = sorted(note or "" for _, _, note in world.states())
    assert notes == [
        "our field edited in the CRM; not re-scored",
        "our own write",
        "our own write (within 120 s of a delivered write)",
    ]
    assert {state for _, state, _ in world.states()} == {"ignored"}
    assert world.loads == []


def test_several_events_of_a_contact_are_acted_on_once(world: World) -> None:
    """Three edits in a batch: one re-score, three events done."""
    world.inbox.receive([_keap(n=1), _keap(n=2), _keap(n=3)])
    world.run()
    assert len(world.scorer.calls) == 1
    assert [state for _, state, _ in world.states()] == ["done"] * 3


def test_a_crm_without_write_back_is_rescored_without_a_write(world: World) -> None:
    """A CRM outside MATCHING_CRM: the score is recorded, nothing queued for it."""
    world.inbox.receive([_keap()])
    world.run(write_back=("hubspot",))
    ((_, state, note),) = world.states()
    assert state == "done"
    assert note is not None
    assert "not written back" in note
    assert world.outbox.items(crm="keap", status="pending")[0].payload["score"] == 60.0


def test_a_failing_model_leaves_the_events_pending(world: World) -> None:
    """The model cannot be loaded: the error is raised, the events stay pending (not leased)."""
    world.inbox.receive([_keap()])

    def broken() -> FakeScorer:
        raise RuntimeError("no model")

    with pytest.raises(RuntimeError):
        rescore(world.inbox, world.outbox, world.store, broken, write_back=("keap",), window=WINDOW)
    assert world.inbox.pending() == 1
    assert len(world.inbox.claim()) == 1


def _item(**kwargs: object) -> InboxItem:
    fields: dict[str, object] = {
        "id": "i",
        "crm": "keap",
        "contact_id": "11",
        "event": "edit",
        "event_key": "contact.edit",
        "event_id": None,
        "occurred_at": T0,
        "property": None,
        "value_sha256": None,
        "received_at": T0 + timedelta(seconds=50),
        "state": "pending",
        "note": None,
    } | kwargs
    return InboxItem(**fields)  # type: ignore[arg-type]


def _delivered(at: datetime, score: float = 60.0) -> OutboxItem:
    payload = {"score": score, "rank": 1, "requisition_id": "r", "reasons": "", "model": "m v1"}
    return OutboxItem(
        id="o",
        crm="keap",
        contact_id="11",
        candidate_id="c",
        requisition_id="r",
        payload=payload | {"scored_at": "2026-11-20T09:59:00+00:00"},
        payload_sha256="x",
        status="delivered",
        attempts=1,
        next_attempt_at=at,
        last_error=None,
        created_at=at,
        delivered_at=at,
    )


@pytest.mark.parametrize(
    ("item", "seconds_after_delivery", "ours"),
    [
        (_item(), 0, True),
        (_item(), 119, True),
        (_item(), -30, True),  # the CRM's clock, or the edit before we recorded the delivery
        (_item(), 121, False),
        (_item(event="add", event_key="contact.add"), 0, False),  # a new contact is never ours
        (_item(event_key="contact.propertyChange"), 0, False),  # names a foreign property
        (_item(occurred_at=None), -50, True),  # no timestamp: the time it was received
    ],
)
def test_own_write_window(item: InboxItem, seconds_after_delivery: int, ours: bool) -> None:
    """Only vague edits are matched by time: within the window either side of a delivery."""
    delivered = _delivered(T0 - timedelta(seconds=seconds_after_delivery))
    assert (own_write(item, [delivered], window=WINDOW) is not None) is ours


def test_no_delivery_means_no_own_write() -> None:
    """Nothing delivered to the contact: an edit is someone else's."""
    assert own_write(_item(), [], window=WINDOW) is None


def test_the_cli_acts_on_events_and_reports_them(world: World) -> None:
    """`matching crm rescore --json` then `crm status --json`: counts, and whom to upload."""
    url = world.store.url.render_as_string(hide_password=False)
    world.inbox.receive([_keap("99", event="add"), _keap("98", event="delete")])
    runner = CliRunner()
    done = runner.invoke(app, ["crm", "rescore", "--db", url, "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["events"], report["unlinked"], report["ignored"]) == (2, 1, 1)
    status = runner.invoke(app, ["crm", "status", "--db", url, "--json"])
    assert status.exit_code == 0, status.output
    body = json.loads(status.stdout)
    assert body["inbox"] == {"keap": {"ignored": 1, "unlinked": 1}}
    assert body["unlinked"] == [{"crm": "keap", "contact_id": "99"}]
