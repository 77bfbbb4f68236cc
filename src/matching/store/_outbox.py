"""The CRM outbox: scores waiting to be written into CRM contact records, and contact links.

Scores are queued in the transaction that records them (``Store.record_scores`` and
``Store.record_served`` with ``write_back=``), so a score is never recorded without its write,
nor written without being recorded. Workers (``matching.crm.deliver``) claim due rows with a
lease, and report each outcome here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from matching.store._leases import claim_rows, counts_by
from matching.store._models import (
    CandidateRow,
    CrmLinkRow,
    OutboxRow,
    RequisitionRow,
    ScoreRow,
    aware,
    new_id,
    utcnow,
)
from matching.store._records import NewScore, WriteBackReport
from matching.store._vectors import chunked

if TYPE_CHECKING:
    from matching.store._store import Store

Status = Literal["pending", "delivered", "skipped", "superseded", "dead"]
REASONS_CHARS = 250


@dataclass(frozen=True)
class OutboxItem:
    """A queued write: where it goes and what it carries.

    ``payload`` keys: ``score``, ``rank``, ``requisition_id``, ``requisition_title``,
    ``reasons`` (short text), ``model`` (name and version), ``scored_at`` (ISO 8601).
    """

    id: str
    crm: str
    contact_id: str
    candidate_id: str
    requisition_id: str | None
    payload: dict[str, Any]
    payload_sha256: str
    status: Status
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def reasons_text(reasons: Any) -> str:
    """A score's reasons in one short line (CRM text fields are small)."""
    if hasattr(reasons, "model_dump"):
        reasons = reasons.model_dump(mode="json")
    if not isinstance(reasons, Mapping):
        return ""
    parts = [str(reasons.get("summary") or "")]
    missing = [str(m) for m in reasons.get("missing_skills") or []]
    if missing:
        parts.append("missing: " + ", ".join(missing))
    text = "; ".join(p for p in parts if p)
    return text if len(text) <= REASONS_CHARS else text[: REASONS_CHARS - 1] + "…"


def score_payload(
    score: NewScore,
    *,
    requisition_id: str,
    requisition_title: str | None,
    model_name: str,
    model_version: str,
    scored_at: datetime,
) -> dict[str, Any]:
    """What one write carries (see ``OutboxItem``)."""
    return {
        "score": round(float(score.score), 2),
        "rank": score.rank,
        "requisition_id": requisition_id,
        "requisition_title": (requisition_title or "")[:REASONS_CHARS],
        "reasons": reasons_text(score.reasons),
        "model": f"{model_name} v{model_version}" if model_version else model_name,
        "scored_at": scored_at.isoformat(timespec="seconds"),
    }


def payload_hash(payload: Mapping[str, Any]) -> str:
    """Content hash of a payload (canonical JSON)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def enqueue_scores(
    session: Session,
    crms: Sequence[str],
    scores: Sequence[NewScore],
    *,
    requisition_id: str,
    requisition_title: str | None,
    model_name: str,
    model_version: str,
) -> int:
    """Queue a write per score and linked CRM contact (inside the caller's transaction).

    A pending write for the same contact that is older is ``superseded``: a contact's fields
    hold its latest score. Returns rows queued.
    """
    if not crms or not scores:
        return 0
    by_candidate = {s.candidate_id: s for s in scores}
    links: list[tuple[str, str, str]] = []
    # The links are held until commit, in one order for every writer (no deadlock): a second
    # transaction queuing for the same contact waits, then supersedes this one's write instead
    # of missing it and leaving two pending (PostgreSQL; SQLite has one writer at a time).
    for part in chunked(sorted(by_candidate)):
        links.extend(
            (row.candidate_id, row.crm, row.contact_id)
            for row in session.execute(
                select(CrmLinkRow.candidate_id, CrmLinkRow.crm, CrmLinkRow.contact_id)
                .where(CrmLinkRow.candidate_id.in_(part), CrmLinkRow.crm.in_(list(crms)))
                .order_by(CrmLinkRow.candidate_id, CrmLinkRow.crm)
                .with_for_update()
            )
        )
    if not links:
        return 0
    now = utcnow()
    rows = []
    for candidate_id, crm, contact_id in links:
        payload = score_payload(
            by_candidate[candidate_id],
            requisition_id=requisition_id,
            requisition_title=requisition_title,
            model_name=model_name,
            model_version=model_version,
            scored_at=now,
        )
        session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.crm == crm,
                OutboxRow.contact_id == contact_id,
                OutboxRow.status == "pending",
            )
            .values(status="superseded", updated_at=now)
        )
        rows.append(
            {
                "id": new_id(),
                "crm": crm,
                "contact_id": contact_id,
                "candidate_id": candidate_id,
                "requisition_id": requisition_id,
                "payload_json": payload,
                "payload_sha256": payload_hash(payload),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(OutboxRow), rows)
    return len(rows)


class Outbox:
    """The outbox and the contact links of a store.

    Parameters
    ----------
    store
        The store that holds them.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions = store._sessions

    # -- links ----------------------------------------------------------------------------
    def link(self, candidate_id: str, crm: str, contact_id: str) -> None:
        """Record that ``candidate_id`` is contact ``contact_id`` in ``crm`` (replaces a link)."""
        with self._sessions.begin() as session:
            if session.get(CandidateRow, candidate_id) is None:
                from matching.errors import Errors, InputError

                raise InputError(Errors.E403, what="candidate", ids=candidate_id)
            for row in session.scalars(
                select(CrmLinkRow).where(
                    CrmLinkRow.crm == crm,
                    or_(
                        CrmLinkRow.candidate_id == candidate_id,
                        CrmLinkRow.contact_id == contact_id,
                    ),
                )
            ):
                session.delete(row)
            session.flush()
            session.add(CrmLinkRow(candidate_id=candidate_id, crm=crm, contact_id=contact_id))

    def contact_of(self, candidate_id: str, crm: str) -> str | None:
        """The candidate's contact id in ``crm``, or None."""
        with self._sessions() as session:
            return session.scalar(
                select(CrmLinkRow.contact_id).where(
                    CrmLinkRow.candidate_id == candidate_id, CrmLinkRow.crm == crm
                )
            )

    def links_of(self, candidate_id: str) -> dict[str, str]:
        """The candidate's contact id in each CRM they are linked to."""
        with self._sessions() as session:
            return {
                row.crm: row.contact_id
                for row in session.execute(
                    select(CrmLinkRow.crm, CrmLinkRow.contact_id)
                    .where(CrmLinkRow.candidate_id == candidate_id)
                    .order_by(CrmLinkRow.crm)
                )
            }

    def candidate_of(self, crm: str, contact_id: str) -> str | None:
        """The candidate linked to a CRM contact, or None."""
        with self._sessions() as session:
            return session.scalar(
                select(CrmLinkRow.candidate_id).where(
                    CrmLinkRow.crm == crm, CrmLinkRow.contact_id == contact_id
                )
            )

    def unlink(self, crm: str, contact_id: str) -> int:
        """Forget a contact (deleted in the CRM): its link and its pending writes.

        Returns the pending writes dropped. Delivered writes stay, as history.
        """
        with self._sessions.begin() as session:
            session.execute(
                delete(CrmLinkRow).where(CrmLinkRow.crm == crm, CrmLinkRow.contact_id == contact_id)
            )
            dropped = session.execute(
                delete(OutboxRow).where(
                    OutboxRow.crm == crm,
                    OutboxRow.contact_id == contact_id,
                    OutboxRow.status == "pending",
                )
            )
            return int(getattr(dropped, "rowcount", 0) or 0)

    def deliveries(self, crm: str, contact_id: str, *, limit: int = 20) -> list[OutboxItem]:
        """The writes delivered to a contact (a value was written), newest first."""
        with self._sessions() as session:
            return [
                _item(row)
                for row in session.scalars(
                    select(OutboxRow)
                    .where(
                        OutboxRow.crm == crm,
                        OutboxRow.contact_id == contact_id,
                        OutboxRow.status == "delivered",
                    )
                    .order_by(OutboxRow.delivered_at.desc(), OutboxRow.id)
                    .limit(limit)
                )
            ]

    def queue_latest(
        self, requisition_id: str, candidate_ids: Sequence[str], crms: Sequence[str]
    ) -> WriteBackReport:
        """Queue the write-back of these candidates' latest scores for a requisition.

        "Send to CRM": each candidate's latest stored score for the requisition (by whichever
        model recorded it) is queued as :func:`enqueue_scores` does after scoring, for every
        linked contact in ``crms``; a pending older write to the same contact is superseded.

        Raises
        ------
        matching.errors.InputError
            E403 when the requisition is not stored.
        """
        wanted = list(dict.fromkeys(candidate_ids))
        with self._sessions.begin() as session:
            # Held until commit, as when scores are recorded: a score written meanwhile
            # queues its own write after this one, so the newest still supersedes.
            found = session.execute(
                select(RequisitionRow.id, RequisitionRow.title)
                .where(RequisitionRow.id == requisition_id)
                .with_for_update(key_share=True)
            ).first()
            if found is None:
                from matching.errors import Errors, InputError

                raise InputError(Errors.E403, what="requisition", ids=requisition_id)
            title = found.title
            latest: dict[str, ScoreRow] = {}
            linked: set[str] = set()
            for part in chunked(wanted):
                for row in session.scalars(
                    select(ScoreRow)
                    .where(
                        ScoreRow.requisition_id == requisition_id,
                        ScoreRow.candidate_id.in_(part),
                    )
                    .order_by(ScoreRow.created_at.desc(), ScoreRow.id)
                ):
                    latest.setdefault(row.candidate_id, row)
                if crms:
                    linked.update(
                        session.scalars(
                            select(CrmLinkRow.candidate_id).where(
                                CrmLinkRow.candidate_id.in_(part), CrmLinkRow.crm.in_(list(crms))
                            )
                        )
                    )
            by_model: dict[tuple[str, str], list[NewScore]] = {}
            for candidate_id, row in latest.items():
                by_model.setdefault((row.model_name, row.model_version), []).append(
                    NewScore(
                        candidate_id=candidate_id,
                        score=row.score,
                        input_sha256=row.input_sha256,
                        rank=row.rank,
                        reasons=row.reasons_json,
                    )
                )
            queued = sum(
                enqueue_scores(
                    session,
                    crms,
                    scores,
                    requisition_id=requisition_id,
                    requisition_title=title,
                    model_name=model_name,
                    model_version=model_version,
                )
                for (model_name, model_version), scores in by_model.items()
            )
        return WriteBackReport(
            requisition_id=requisition_id,
            crms=tuple(crms),
            queued=queued,
            queued_candidates=[c for c in wanted if c in latest and c in linked],
            unlinked=[c for c in wanted if c in latest and c not in linked],
            unscored=[c for c in wanted if c not in latest],
        )

    # -- delivery -------------------------------------------------------------------------
    def claim(
        self, crm: str, *, limit: int, lease: timedelta, now: datetime | None = None
    ) -> list[OutboxItem]:
        """Lease up to ``limit`` due pending writes of ``crm``, oldest first.

        A row is claimed by one worker at a time; a lease that ends unfinished (a killed
        worker) lets another worker claim the row again.
        """
        now = now or utcnow()
        with self._sessions.begin() as session:
            rows = claim_rows(
                session,
                OutboxRow,
                [
                    OutboxRow.crm == crm,
                    OutboxRow.status == "pending",
                    OutboxRow.next_attempt_at <= now,
                ],
                [OutboxRow.created_at, OutboxRow.id],
                limit=limit,
                lease=lease,
                now=now,
            )
            return [_item(row) for row in rows]

    def finish(
        self,
        item_id: str,
        status: Literal["delivered", "skipped", "dead"],
        *,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Record a final outcome (the lease ends)."""
        now = now or utcnow()
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item_id)
                .values(
                    status=status,
                    attempts=OutboxRow.attempts + 1,
                    claimed_until=None,
                    last_error=(error or None) and error[:255],
                    delivered_at=now if status != "dead" else None,
                    updated_at=now,
                )
            )

    def retry_later(self, item_id: str, *, at: datetime, error: str) -> None:
        """Count a failed attempt and make the row due again at ``at``."""
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item_id)
                .values(
                    attempts=OutboxRow.attempts + 1,
                    next_attempt_at=at,
                    claimed_until=None,
                    last_error=error[:255],
                    updated_at=utcnow(),
                )
            )

    def release(self, item_ids: Iterable[str]) -> None:
        """End leases without counting an attempt (a worker stopping cleanly)."""
        ids = list(item_ids)
        with self._sessions.begin() as session:
            for part in chunked(ids):
                session.execute(
                    update(OutboxRow).where(OutboxRow.id.in_(part)).values(claimed_until=None)
                )

    # -- inspection -----------------------------------------------------------------------
    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per CRM and status."""
        with self._sessions() as session:
            return counts_by(session, OutboxRow.crm, OutboxRow.status)

    def items(
        self, *, crm: str | None = None, status: Status | None = None, limit: int = 100
    ) -> list[OutboxItem]:
        """Rows, oldest first, optionally of one CRM and status."""
        query = select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.id).limit(limit)
        if crm is not None:
            query = query.where(OutboxRow.crm == crm)
        if status is not None:
            query = query.where(OutboxRow.status == status)
        with self._sessions() as session:
            return [_item(row) for row in session.scalars(query)]

    def next_due(self, crm: str) -> datetime | None:
        """When the earliest pending row of ``crm`` is due (None when none is pending)."""
        with self._sessions() as session:
            value = session.scalar(
                select(func.min(OutboxRow.next_attempt_at)).where(
                    OutboxRow.crm == crm, OutboxRow.status == "pending"
                )
            )
            return aware(value) if value is not None else None

    def requeue_dead(self, *, crm: str | None = None, item_ids: Sequence[str] = ()) -> int:
        """Make dead rows pending again (attempts start over); returns rows requeued."""
        conditions = [OutboxRow.status == "dead"]
        if crm is not None:
            conditions.append(OutboxRow.crm == crm)
        if item_ids:
            conditions.append(OutboxRow.id.in_(list(item_ids)))
        now = utcnow()
        with self._sessions.begin() as session:
            done = session.execute(
                update(OutboxRow)
                .where(and_(*conditions))
                .values(
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    claimed_until=None,
                    updated_at=now,
                )
            )
            return int(getattr(done, "rowcount", 0) or 0)


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        crm=row.crm,
        contact_id=row.contact_id,
        candidate_id=row.candidate_id,
        requisition_id=row.requisition_id,
        payload=dict(row.payload_json),
        payload_sha256=row.payload_sha256,
        status=row.status,  # type: ignore[arg-type]  # the table's check constraint
        attempts=row.attempts,
        next_attempt_at=aware(row.next_attempt_at),
        last_error=row.last_error,
        created_at=aware(row.created_at),
        delivered_at=aware(row.delivered_at) if row.delivered_at else None,
    )


__all__ = [
    "Outbox",
    "OutboxItem",
    "enqueue_scores",
    "payload_hash",
    "reasons_text",
    "score_payload",
]
