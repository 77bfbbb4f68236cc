"""The CRM inbox: contact events received by the service's webhooks, waiting to be acted on.

A webhook only stores what it received (``Inbox.receive``) and answers; the work happens later,
in ``matching crm rescore`` (``matching.crm.rescore``), which claims pending events with a
lease and records each outcome with ``Inbox.finish``. Events are keyed by the CRM's contact id:
no row refers to a candidate, so deleting a candidate never breaks the inbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from matching.store._leases import claim_rows, counts_by
from matching.store._models import InboxRow, aware, new_id, utcnow
from matching.store._vectors import chunked

if TYPE_CHECKING:
    from matching.store._store import Store

EventKind = Literal["add", "edit", "delete"]
State = Literal["pending", "done", "ignored", "unlinked"]
STATES: tuple[State, ...] = ("pending", "done", "ignored", "unlinked")
NOTE_CHARS = 255


@dataclass(frozen=True)
class InboundEvent:
    """An event as a webhook carries it, before it is stored.

    ``event_id`` identifies it at the CRM, the same on every redelivery (None: no dedupe).
    ``property`` and ``value_sha256`` are set only for a change of one of our own fields.
    """

    crm: str
    contact_id: str
    event: EventKind
    event_key: str
    event_id: str | None = None
    occurred_at: datetime | None = None
    property: str | None = None
    value_sha256: str | None = None


@dataclass(frozen=True)
class InboxItem:
    """A stored event (see ``InboundEvent``) with its state."""

    id: str
    crm: str
    contact_id: str
    event: EventKind
    event_key: str
    event_id: str | None
    occurred_at: datetime | None
    property: str | None
    value_sha256: str | None
    received_at: datetime
    state: State
    note: str | None


@dataclass(frozen=True)
class Received:
    """What :meth:`Inbox.receive` did: events stored, and redeliveries of stored ones."""

    queued: int
    duplicates: int


class Inbox:
    """The inbox of a store.

    Parameters
    ----------
    store
        The store that holds it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions = store._sessions

    def receive(self, events: Sequence[InboundEvent], *, now: datetime | None = None) -> Received:
        """Store ``events`` as pending, in one transaction.

        An event whose ``event_id`` is already stored for its CRM (a redelivery), or given twice
        in ``events``, is stored once.
        """
        now = now or utcnow()
        fresh: list[InboundEvent] = []
        seen: set[tuple[str, str]] = set()
        for event in events:
            if event.event_id is not None:
                key = (event.crm, event.event_id)
                if key in seen:
                    continue
                seen.add(key)
            fresh.append(event)
        duplicates = len(events) - len(fresh)
        with self._sessions.begin() as session:
            known: set[tuple[str, str]] = set()
            for crm in {c for c, _ in seen}:
                ids = sorted(i for c, i in seen if c == crm)
                for part in chunked(ids):
                    known.update(
                        (crm, i)
                        for i in session.scalars(
                            select(InboxRow.event_id).where(
                                InboxRow.crm == crm, InboxRow.event_id.in_(list(part))
                            )
                        )
                        if i is not None
                    )
            rows = [
                {
                    "id": new_id(),
                    "crm": e.crm,
                    "contact_id": e.contact_id,
                    "event": e.event,
                    "event_key": e.event_key[:64],
                    "event_id": e.event_id,
                    "property": e.property,
                    "value_sha256": e.value_sha256,
                    "occurred_at": e.occurred_at,
                    "received_at": now,
                    "state": "pending",
                    "updated_at": now,
                }
                for e in fresh
                if e.event_id is None or (e.crm, e.event_id) not in known
            ]
            duplicates += len(fresh) - len(rows)
            if rows:
                dialect = session.get_bind().dialect.name
                if dialect in ("postgresql", "sqlite"):
                    # A redelivery racing this one (another worker) is dropped, not an error.
                    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                    statement = upsert(InboxRow).on_conflict_do_nothing(
                        index_elements=["crm", "event_id"]
                    )
                    session.execute(statement, rows)
                else:
                    session.execute(insert(InboxRow), rows)
        return Received(queued=len(rows), duplicates=duplicates)

    def claim(
        self,
        *,
        limit: int = 100,
        lease: timedelta = timedelta(minutes=5),
        now: datetime | None = None,
    ) -> list[InboxItem]:
        """Lease up to ``limit`` pending events, oldest first.

        An event is claimed by one worker at a time; a lease that ends unfinished (a killed
        worker) lets another claim it again.
        """
        now = now or utcnow()
        with self._sessions.begin() as session:
            rows = claim_rows(
                session,
                InboxRow,
                [InboxRow.state == "pending"],
                [InboxRow.received_at, InboxRow.id],
                limit=limit,
                lease=lease,
                now=now,
            )
            return [_item(row) for row in rows]

    def finish(
        self,
        item_ids: Iterable[str],
        state: Literal["done", "ignored", "unlinked"],
        *,
        note: str | None = None,
    ) -> None:
        """Record the outcome of events (their lease ends); ``note`` is a short reason."""
        ids = list(item_ids)
        now = utcnow()
        with self._sessions.begin() as session:
            for part in chunked(ids):
                session.execute(
                    update(InboxRow)
                    .where(InboxRow.id.in_(list(part)))
                    .values(
                        state=state,
                        note=(note or None) and note[:NOTE_CHARS],
                        claimed_until=None,
                        updated_at=now,
                    )
                )

    def release(self, item_ids: Iterable[str]) -> None:
        """End leases, leaving the events pending (a worker stopping or failing)."""
        ids = list(item_ids)
        with self._sessions.begin() as session:
            for part in chunked(ids):
                session.execute(
                    update(InboxRow).where(InboxRow.id.in_(list(part))).values(claimed_until=None)
                )

    def pending(self) -> int:
        """How many events are pending (claimed ones included)."""
        with self._sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(InboxRow).where(InboxRow.state == "pending")
                )
                or 0
            )

    def counts(self) -> dict[str, dict[str, int]]:
        """Events per CRM and state."""
        with self._sessions() as session:
            return counts_by(session, InboxRow.crm, InboxRow.state)

    def items(
        self, *, crm: str | None = None, state: State | None = None, limit: int = 100
    ) -> list[InboxItem]:
        """Events, newest first, optionally of one CRM and state."""
        query = select(InboxRow).order_by(InboxRow.received_at.desc(), InboxRow.id).limit(limit)
        if crm is not None:
            query = query.where(InboxRow.crm == crm)
        if state is not None:
            query = query.where(InboxRow.state == state)
        with self._sessions() as session:
            return [_item(row) for row in session.scalars(query)]

    def unlinked_contacts(self, *, limit: int = 50) -> list[tuple[str, str]]:
        """``(crm, contact id)`` of contacts with events but no linked candidate, newest first.

        Integrators upload these people's resumes with ``crm`` and ``crm_contact_id``.
        """
        with self._sessions() as session:
            rows = session.execute(
                select(InboxRow.crm, InboxRow.contact_id, func.max(InboxRow.received_at))
                .where(InboxRow.state == "unlinked")
                .group_by(InboxRow.crm, InboxRow.contact_id)
                .order_by(func.max(InboxRow.received_at).desc())
                .limit(limit)
            ).all()
        return [(str(crm), str(contact)) for crm, contact, _ in rows]


def _item(row: InboxRow) -> InboxItem:
    return InboxItem(
        id=row.id,
        crm=row.crm,
        contact_id=row.contact_id,
        event=row.event,  # type: ignore[arg-type]  # the table's check constraint
        event_key=row.event_key,
        event_id=row.event_id,
        occurred_at=aware(row.occurred_at) if row.occurred_at else None,
        property=row.property,
        value_sha256=row.value_sha256,
        received_at=aware(row.received_at),
        state=row.state,  # type: ignore[arg-type]  # the table's check constraint
        note=row.note,
    )


__all__ = ["STATES", "EventKind", "InboundEvent", "Inbox", "InboxItem", "Received", "State"]
