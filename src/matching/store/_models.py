"""The store's tables (SQLAlchemy 2 typed declarative mapping).

Every table hangs off one ``Base.metadata``: a new table is a new class here, created by
``Base.metadata.create_all`` when a store is opened.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def new_id() -> str:
    """A fresh row id: a uuid4 as 32 hex digits."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Base of every table of the store."""


class CandidateRow(Base):
    """A person in the talent pool; ``external_id`` is a CRM id or a file name stem."""

    __tablename__ = "candidates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class DocumentRow(Base):
    """A candidate's document: the hash of its bytes and its extracted text (personal data)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("candidate_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProfileRow(Base):
    """A parsed ``Profile`` of one document, with the parser version that produced it."""

    __tablename__ = "profiles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    profile_json: Mapped[dict[str, Any]] = mapped_column(JSONType)
    parser_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RequisitionRow(Base):
    """A job posting: its text, the hash of the text and the parsed ``Requisition``."""

    __tablename__ = "requisitions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    requisition_json: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EmbeddingRow(Base):
    """One vector of a document or requisition: a chunk (index ≥ 0) or the whole (index -1).

    Not foreign-key linked (the owner is one of two tables): deleting an owner deletes its
    rows explicitly, in the same transaction.
    """

    __tablename__ = "embeddings"
    __table_args__ = (
        Index("ix_embeddings_model_content", "model_id", "content_sha256"),
        Index("ix_embeddings_owner", "owner_kind", "owner_id"),
        CheckConstraint("owner_kind IN ('document', 'requisition')", name="ck_embeddings_owner"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[str] = mapped_column(String(255))
    chunk_index: Mapped[int] = mapped_column(Integer)
    chunk_label: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class EmbeddingCacheRow(Base):
    """An unowned vector, keyed by model and sha256 of the embedded text (the encoder's cache)."""

    __tablename__ = "embedding_cache"

    model_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScoreRow(Base):
    """A model's score of one candidate for one requisition, with its reasons."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("requisition_id", "candidate_id", "model_name", "model_version"),
        CheckConstraint("score >= 0 AND score <= 100", name="ck_scores_range"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    requisition_id: Mapped[str] = mapped_column(
        ForeignKey("requisitions.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    model_name: Mapped[str] = mapped_column(String(255))
    model_version: Mapped[str] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    reasons_json: Mapped[Any] = mapped_column(JSONType)
    input_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProtectedAttributeRow(Base):
    """A protected attribute of a candidate (sex, race/ethnicity, age band …), self-reported.

    Kept in its own table, read only through ``matching.store.ProtectedAttributes`` for the
    fairness audit: never part of a profile, the pool, features or a CRM export.
    """

    __tablename__ = "protected_attributes"
    __table_args__ = (UniqueConstraint("candidate_id", "attribute"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    attribute: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(255), default="self-reported")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DecisionRow(Base):
    """One served score: the decision log that AI regulations ask for.

    Hashes of the inputs, never their text or contact data. ``candidate_id`` is cleared when
    the candidate is deleted (the entry stays, no longer linked to a person).
    """

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str | None] = mapped_column(String(64))
    requisition_id: Mapped[str | None] = mapped_column(
        ForeignKey("requisitions.id", ondelete="SET NULL")
    )
    requisition_sha256: Mapped[str] = mapped_column(String(64))
    candidate_id: Mapped[str | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="SET NULL"), index=True
    )
    candidate_sha256: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(255))
    model_version: Mapped[str] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    knocked_out: Mapped[bool] = mapped_column(Boolean)


class ChangeRow(Base):
    """A candidate or requisition added, replaced, re-embedded or deleted.

    How serving processes stay in step: each keeps the pool and recent requisitions in memory
    and, before it answers, applies the changes after the last sequence number it saw. Rows
    older than a day are pruned when new ones are written.
    """

    __tablename__ = "changes"
    __table_args__ = (
        CheckConstraint("kind IN ('candidate', 'requisition')", name="ck_changes_kind"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CrmLinkRow(Base):
    """A candidate's contact record in a CRM (its id there), for writing scores back."""

    __tablename__ = "crm_links"
    __table_args__ = (
        UniqueConstraint("crm", "contact_id"),
        UniqueConstraint("candidate_id", "crm"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    crm: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(Base):
    """A score to write into a CRM contact record, queued with the score it carries.

    ``status``: ``pending`` (due at ``next_attempt_at``), ``delivered``, ``skipped`` (the CRM
    already held these values), ``superseded`` (a newer score for the contact came first) or
    ``dead`` (attempts exhausted or refused; ``matching crm retry`` queues it again).
    ``claimed_until`` is a worker's lease: a worker killed mid-batch leaves rows that another
    claims once the lease ends. ``last_error`` holds a status code and reason, never payloads.
    """

    __tablename__ = "crm_outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_contact", "crm", "contact_id"),
        CheckConstraint(
            "status IN ('pending', 'delivered', 'skipped', 'superseded', 'dead')",
            name="ck_outbox_status",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    crm: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[str] = mapped_column(String(255))
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    requisition_id: Mapped[str | None] = mapped_column(
        ForeignKey("requisitions.id", ondelete="SET NULL")
    )
    payload_json: Mapped[dict[str, Any]] = mapped_column(JSONType)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InboxRow(Base):
    """A CRM event about a contact (a webhook), waiting to be acted on.

    Keyed by the CRM's contact id, never by candidate: deleting a candidate leaves the inbox
    intact. ``event`` is ``add``, ``edit`` or ``delete``; ``event_key`` the CRM's own name for
    it. ``event_id`` identifies the event at the CRM (redeliveries are stored once).
    ``property`` and ``value_sha256`` are kept only for changes of our own fields (a hash of the
    value, to recognise our own writes): never contact data. ``state``: ``pending``, ``done``
    (acted on), ``ignored`` (our own write, or nothing to do) or ``unlinked`` (no candidate is
    linked to the contact). ``note`` is a short reason.
    """

    __tablename__ = "crm_inbox"
    __table_args__ = (
        UniqueConstraint("crm", "event_id"),
        Index("ix_inbox_state", "state", "received_at"),
        Index("ix_inbox_contact", "crm", "contact_id"),
        CheckConstraint(
            "state IN ('pending', 'done', 'ignored', 'unlinked')", name="ck_inbox_state"
        ),
        CheckConstraint("event IN ('add', 'edit', 'delete')", name="ck_inbox_event"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    crm: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(255))
    property: Mapped[str | None] = mapped_column(String(255))
    value_sha256: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(String(255))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class FeedbackRow(Base):
    """A recruiter's decision on a candidate for a requisition: a labelled pair for retraining.

    A *strong* label (a person's judgement, ``advance`` or ``reject``), unlike the weak labels
    the ranker is trained on. The score, rank and model shown when the decision was made are
    kept with it, and hashes of both texts, so that the pair can be traced to what was
    judged. ``reviewer`` is the API key's name. Never joined with protected attributes; deleted
    with the candidate or the requisition.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_pair", "requisition_id", "candidate_id"),
        Index("ix_feedback_created", "created_at"),
        CheckConstraint("decision IN ('advance', 'reject')", name="ck_feedback_decision"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    requisition_id: Mapped[str] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"))
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    model_name: Mapped[str | None] = mapped_column(String(255))
    model_version: Mapped[str | None] = mapped_column(String(255))
    requisition_sha256: Mapped[str] = mapped_column(String(64))
    candidate_sha256: Mapped[str | None] = mapped_column(String(64))
    shown_request_id: Mapped[str | None] = mapped_column(String(64))


class ReviewRequestRow(Base):
    """A candidate's request that a person review a decision about them (recorded by a recruiter).

    ``note`` is what the candidate asked, in the recruiter's words; ``recorded_by`` the API key's
    name. Deleted with the candidate.
    """

    __tablename__ = "review_requests"
    __table_args__ = (Index("ix_review_requests_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    requisition_id: Mapped[str | None] = mapped_column(
        ForeignKey("requisitions.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
