"""The CRM queues' shared mechanics (outbox and inbox): leases on rows, and counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session


def claim_rows(
    session: Session,
    table: Any,
    conditions: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    *,
    limit: int,
    lease: timedelta,
    now: datetime,
) -> list[Any]:
    """Lease up to ``limit`` rows of ``table`` that meet ``conditions`` and hold no live lease.

    ``table`` has ``id`` and ``claimed_until`` columns. A row is leased until ``now + lease``;
    one whose lease ran out (a killed worker) can be claimed again. Rows another worker is
    claiming right now are passed over, not waited for (PostgreSQL's ``SKIP LOCKED``; SQLite
    has one writer at a time and no such clause), and each row is taken by a conditional
    update, so no row is claimed twice.
    """
    free = or_(table.claimed_until.is_(None), table.claimed_until < now)
    due = session.scalars(
        select(table.id)
        .where(*conditions, free)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row_id in due:
        taken = session.execute(
            update(table)
            .where(table.id == row_id, *conditions, free)
            .values(claimed_until=now + lease)
        )
        if getattr(taken, "rowcount", 0) == 1:
            row = session.get(table, row_id)
            if row is not None:
                claimed.append(row)
    return claimed


def counts_by(
    session: Session, crm: InstrumentedAttribute[str], state: InstrumentedAttribute[str]
) -> dict[str, dict[str, int]]:
    """Rows per CRM and state (the queue's table is the columns')."""
    out: dict[str, dict[str, int]] = {}
    for name, value, n in session.execute(select(crm, state, func.count()).group_by(crm, state)):
        out.setdefault(name, {})[value] = int(n)
    return out
