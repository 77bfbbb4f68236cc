"""Recruiters' decisions (labelled pairs for retraining) and candidates' requests for review.

A decision (``advance`` or ``reject``) on a (requisition, candidate) pair is a *strong* label,
a person's judgement, unlike the weak labels the ranker is trained on. Each one is stored with
the score, rank and model shown at the time and hashes of the two texts judged, and exported
for data scientists with :func:`export_feedback`. Nothing here reads protected attributes:
they stay in their own table, joined only by the fairness audit.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from matching.errors import Errors, InputError
from matching.store._models import (
    CandidateRow,
    DocumentRow,
    FeedbackRow,
    RequisitionRow,
    ReviewRequestRow,
    ScoreRow,
    aware,
    new_id,
    utcnow,
)
from matching.store._records import FeedbackEntry, ReviewRequest
from matching.store._vectors import chunked, text_hash

if TYPE_CHECKING:
    from matching.store._store import Store

Verdict = Literal["advance", "reject"]
VERDICTS: tuple[Verdict, ...] = ("advance", "reject")
REASON_CHARS = 500
NOTE_CHARS = 2000
# The columns of `matching feedback export`: score-batch's input columns (job_id, candidate_id,
# and with --with-text job_text, resume_text) and the label with what was shown.
PAIR_COLUMNS = (
    "job_id",
    "candidate_id",
    "label",
    "decision",
    "reason",
    "reviewer",
    "decided_at",
    "score",
    "rank",
    "model_name",
    "model_version",
    "job_sha256",
    "resume_sha256",
)
TEXT_COLUMNS = ("job_text", "resume_text")


@dataclass(frozen=True)
class FeedbackExport:
    """What :func:`export_feedback` wrote.

    ``stale_texts`` counts pairs whose posting or resume was replaced since the decision:
    their text columns are left empty (the text judged is no longer stored).
    """

    path: Path
    rows: int
    stale_texts: int


class Feedback:
    """Recruiters' decisions on candidates, as labelled pairs.

    Parameters
    ----------
    store
        The store that holds them.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions = store._sessions

    def record(
        self,
        requisition_id: str,
        candidate_id: str,
        decision: Verdict,
        *,
        request_id: str,
        reason: str | None = None,
        reviewer: str | None = None,
        shown_request_id: str | None = None,
    ) -> FeedbackEntry:
        """Store a decision with the pair's latest score and model and the texts' hashes.

        Raises
        ------
        matching.errors.InputError
            E403 when the requisition or the candidate is not stored.
        ValueError
            For a decision other than ``advance`` or ``reject``, or a reason over
            ``REASON_CHARS`` characters.
        """
        if decision not in VERDICTS:
            raise ValueError(f"decision must be one of {VERDICTS}; got {decision!r}")
        if reason is not None and len(reason) > REASON_CHARS:
            raise ValueError(f"a reason has at most {REASON_CHARS} characters")
        with self._sessions.begin() as session:
            requisition = session.get(RequisitionRow, requisition_id)
            if requisition is None:
                raise InputError(Errors.E403, what="requisition", ids=requisition_id)
            if session.get(CandidateRow, candidate_id) is None:
                raise InputError(Errors.E403, what="candidate", ids=candidate_id)
            resume = session.scalar(
                select(DocumentRow.text)
                .where(DocumentRow.candidate_id == candidate_id)
                .order_by(DocumentRow.created_at.desc())
                .limit(1)
            )
            shown = session.scalars(
                select(ScoreRow)
                .where(
                    ScoreRow.requisition_id == requisition_id,
                    ScoreRow.candidate_id == candidate_id,
                )
                .order_by(ScoreRow.created_at.desc(), ScoreRow.id)
                .limit(1)
            ).first()
            row = FeedbackRow(
                id=new_id(),
                created_at=utcnow(),
                request_id=request_id,
                reviewer=reviewer,
                requisition_id=requisition_id,
                candidate_id=candidate_id,
                decision=decision,
                reason=reason or None,
                score=shown.score if shown else None,
                rank=shown.rank if shown else None,
                model_name=shown.model_name if shown else None,
                model_version=shown.model_version if shown else None,
                requisition_sha256=requisition.sha256,
                candidate_sha256=text_hash(resume) if resume is not None else None,
                shown_request_id=shown_request_id,
            )
            session.add(row)
            session.flush()
            return _entry(row)

    def entries(
        self,
        *,
        requisition_id: str | None = None,
        candidate_id: str | None = None,
        latest_only: bool = False,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[FeedbackEntry]:
        """Decisions, oldest first; ``latest_only`` keeps each pair's latest decision."""
        query = self._query(requisition_id, candidate_id, latest_only)
        with self._sessions() as session:
            return [_entry(row) for row in session.scalars(query.limit(limit).offset(offset))]

    def count(
        self,
        *,
        requisition_id: str | None = None,
        candidate_id: str | None = None,
        latest_only: bool = False,
    ) -> int:
        """How many decisions :meth:`entries` would list without a limit."""
        query = self._query(requisition_id, candidate_id, latest_only).order_by(None)
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    @staticmethod
    def _query(
        requisition_id: str | None, candidate_id: str | None, latest_only: bool
    ) -> Select[FeedbackRow]:
        conditions = []
        if requisition_id is not None:
            conditions.append(FeedbackRow.requisition_id == requisition_id)
        if candidate_id is not None:
            conditions.append(FeedbackRow.candidate_id == candidate_id)
        if not latest_only:
            return (
                select(FeedbackRow)
                .where(*conditions)
                .order_by(FeedbackRow.created_at, FeedbackRow.id)
            )
        # A recruiter may change their mind: the pair's label is its latest decision.
        numbered = (
            select(
                FeedbackRow,
                func.row_number()
                .over(
                    partition_by=(FeedbackRow.requisition_id, FeedbackRow.candidate_id),
                    order_by=(FeedbackRow.created_at.desc(), FeedbackRow.id.desc()),
                )
                .label("newest"),
            )
            .where(*conditions)
            .subquery()
        )
        latest = aliased(FeedbackRow, numbered)
        return select(latest).where(numbered.c.newest == 1).order_by(latest.created_at, latest.id)

    def texts(self, entries: Sequence[FeedbackEntry]) -> dict[str, tuple[str | None, str | None]]:
        """The posting's and the resume's text of each entry (by entry id), as judged.

        A text replaced since the decision (its hash differs) is None.
        """
        requisition_ids = sorted({e.requisition_id for e in entries})
        candidate_ids = sorted({e.candidate_id for e in entries})
        postings: dict[str, str] = {}
        resumes: dict[str, str] = {}
        with self._sessions() as session:
            for part in chunked(requisition_ids):
                postings.update(
                    (row.id, row.text)
                    for row in session.execute(
                        select(RequisitionRow.id, RequisitionRow.text).where(
                            RequisitionRow.id.in_(part)
                        )
                    )
                )
            for part in chunked(candidate_ids):
                for row in session.execute(
                    select(DocumentRow.candidate_id, DocumentRow.text)
                    .where(DocumentRow.candidate_id.in_(part))
                    .order_by(DocumentRow.created_at)
                ):
                    resumes[row.candidate_id] = row.text  # the latest wins
        out: dict[str, tuple[str | None, str | None]] = {}
        for entry in entries:
            posting = postings.get(entry.requisition_id)
            resume = resumes.get(entry.candidate_id)
            out[entry.id] = (
                posting if posting is not None and text_hash(posting) == entry.requisition_sha256
                else None,
                resume if resume is not None and text_hash(resume) == entry.candidate_sha256
                else None,
            )  # fmt: skip
        return out


class ReviewRequests:
    """Candidates' requests for a human review, recorded by recruiters.

    Parameters
    ----------
    store
        The store that holds them.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions = store._sessions

    def record(
        self,
        candidate_id: str,
        *,
        request_id: str,
        requisition_id: str | None = None,
        note: str | None = None,
        recorded_by: str | None = None,
    ) -> ReviewRequest:
        """Store a request for review of the decisions about a candidate (for a requisition).

        Raises
        ------
        matching.errors.InputError
            E403 when the candidate or the requisition is not stored.
        ValueError
            For a note over ``NOTE_CHARS`` characters.
        """
        if note is not None and len(note) > NOTE_CHARS:
            raise ValueError(f"a note has at most {NOTE_CHARS} characters")
        with self._sessions.begin() as session:
            if session.get(CandidateRow, candidate_id) is None:
                raise InputError(Errors.E403, what="candidate", ids=candidate_id)
            if requisition_id is not None and session.get(RequisitionRow, requisition_id) is None:
                raise InputError(Errors.E403, what="requisition", ids=requisition_id)
            row = ReviewRequestRow(
                id=new_id(),
                created_at=utcnow(),
                request_id=request_id,
                recorded_by=recorded_by,
                candidate_id=candidate_id,
                requisition_id=requisition_id,
                note=note or None,
            )
            session.add(row)
            session.flush()
            return _review(row)

    def entries(
        self, *, candidate_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[ReviewRequest]:
        """Requests, the most recent first."""
        query = select(ReviewRequestRow).order_by(
            ReviewRequestRow.created_at.desc(), ReviewRequestRow.id
        )
        if candidate_id is not None:
            query = query.where(ReviewRequestRow.candidate_id == candidate_id)
        with self._sessions() as session:
            return [_review(row) for row in session.scalars(query.limit(limit).offset(offset))]

    def count(self) -> int:
        """How many requests are stored."""
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(ReviewRequestRow)) or 0)


def export_feedback(
    store: Store, out: Path, *, latest_only: bool = True, with_text: bool = False
) -> FeedbackExport:
    """Write the recruiters' decisions as labelled pairs to a CSV file.

    Columns are ``PAIR_COLUMNS`` (``label`` is 1 for advance, 0 for reject), then with
    ``with_text`` the posting's and the resume's text (``TEXT_COLUMNS``; personal data: keep
    the file where the store is kept). With ``latest_only`` (the default) each pair appears
    once, with its latest decision.
    """
    feedback = Feedback(store)
    entries = feedback.entries(latest_only=latest_only, limit=10**9)
    texts = feedback.texts(entries) if with_text else {}
    columns = PAIR_COLUMNS + (TEXT_COLUMNS if with_text else ())
    stale = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for entry in entries:
            row: dict[str, Any] = {
                "job_id": entry.requisition_id,
                "candidate_id": entry.candidate_id,
                "label": entry.label,
                "decision": entry.decision,
                "reason": entry.reason or "",
                "reviewer": entry.reviewer or "",
                "decided_at": entry.created_at.isoformat(timespec="seconds"),
                "score": "" if entry.score is None else round(entry.score, 2),
                "rank": "" if entry.rank is None else entry.rank,
                "model_name": entry.model_name or "",
                "model_version": entry.model_version or "",
                "job_sha256": entry.requisition_sha256,
                "resume_sha256": entry.candidate_sha256 or "",
            }
            if with_text:
                job_text, resume_text = texts.get(entry.id, (None, None))
                stale += job_text is None or resume_text is None
                row["job_text"] = job_text or ""
                row["resume_text"] = resume_text or ""
            writer.writerow(row)
    return FeedbackExport(path=out, rows=len(entries), stale_texts=stale)


def _entry(row: FeedbackRow) -> FeedbackEntry:
    return FeedbackEntry(
        id=row.id,
        created_at=aware(row.created_at),
        request_id=row.request_id,
        reviewer=row.reviewer,
        requisition_id=row.requisition_id,
        candidate_id=row.candidate_id,
        decision="advance" if row.decision == "advance" else "reject",
        reason=row.reason,
        score=row.score,
        rank=row.rank,
        model_name=row.model_name,
        model_version=row.model_version,
        requisition_sha256=row.requisition_sha256,
        candidate_sha256=row.candidate_sha256,
        shown_request_id=row.shown_request_id,
    )


def _review(row: ReviewRequestRow) -> ReviewRequest:
    return ReviewRequest(
        id=row.id,
        created_at=aware(row.created_at),
        request_id=row.request_id,
        recorded_by=row.recorded_by,
        candidate_id=row.candidate_id,
        requisition_id=row.requisition_id,
        note=row.note,
    )


__all__ = [
    "NOTE_CHARS",
    "PAIR_COLUMNS",
    "REASON_CHARS",
    "TEXT_COLUMNS",
    "Feedback",
    "FeedbackExport",
    "ReviewRequests",
    "export_feedback",
]
