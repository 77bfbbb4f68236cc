"""Typed requests and responses of the HTTP API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matching.schemas import Knockout, Profile, Reasons

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
ExternalId = Annotated[str, Field(min_length=1, max_length=255)]
Ref = Annotated[str, Field(max_length=255, description="Your label for this item, echoed back.")]
# Long enough for any resume or posting (the parser's own limit is MATCHING_MAX_TEXT_CHARS).
Text = Annotated[str, Field(min_length=1, max_length=200_000)]
KnockoutRule = Literal["min_years", "location", "work_authorization"]
Verdict = Literal["advance", "reject"]
# Bounded so that a reason stays a reason (the store's columns hold no more).
Reason = Annotated[str, Field(min_length=1, max_length=500)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentUpload(_Input):
    """A file sent inline: its name (the type hint) and its bytes in base64."""

    filename: str = Field(
        min_length=1, max_length=255, description="For example cv.pdf; the suffix hints the type."
    )
    content_base64: str = Field(
        min_length=1, description="The file's bytes, standard base64 (RFC 4648)."
    )


class RequisitionInput(_Input):
    """A requisition: a stored one (``id`` or ``external_id``), or a posting's ``text``.

    A text is stored on first use (deduplicated by content), under ``external_id`` when given,
    so later calls can name it by id.
    """

    id: Id | None = None
    external_id: ExternalId | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RequisitionInput:
        if self.text is None and self.id is None and self.external_id is None:
            raise ValueError("give the requisition's id, external_id or text")
        if self.id is not None and (self.text is not None or self.external_id is not None):
            raise ValueError("give either id, or text (with an optional external_id)")
        return self


class CandidateInput(_Input):
    """A candidate: a stored one (``id`` or ``external_id``), resume ``text`` or a ``document``.

    Texts and documents are scored without being stored (use POST /candidates to store).
    """

    ref: Ref | None = None
    id: Id | None = None
    external_id: ExternalId | None = None
    text: Text | None = None
    document: DocumentUpload | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CandidateInput:
        given = [self.id, self.external_id, self.text, self.document]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of id, external_id, text or document")
        return self


class ScoreRequest(_Input):
    """Score candidates against one requisition."""

    requisition: RequisitionInput
    candidates: list[CandidateInput] = Field(min_length=1, max_length=1000)
    knockouts: list[KnockoutRule] | None = Field(
        default=None, description="Rules to check (default: the service's MATCHING_KNOCKOUTS)."
    )


class ModelRef(BaseModel):
    """The registered model that produced a score."""

    name: str | None
    version: str | None
    uri: str


class ScoredItem(BaseModel):
    """One candidate's score, rank among this call's candidates, reasons and knock-outs."""

    index: int = Field(description="Position of the candidate in the request.")
    ref: str | None = None
    candidate_id: str | None = Field(description="The stored candidate, if any.")
    external_id: str | None = None
    score: float = Field(ge=0, le=100, description="0-100, higher is a better match.")
    rank: int = Field(ge=1)
    reasons: Reasons
    knockouts: list[Knockout]
    knocked_out: bool = Field(description="A knock-out rule failed (the score is not changed).")


class ItemError(BaseModel):
    """A candidate that could not be scored; the others were."""

    index: int
    ref: str | None = None
    code: str
    message: str
    remedy: str


class ScoreResponse(BaseModel):
    """Scores of the candidates that could be scored, best first, and errors for the rest."""

    request_id: str
    requisition_id: str
    model: ModelRef
    results: list[ScoredItem]
    errors: list[ItemError]


class ShortlistRequest(_Input):
    """The best stored candidates for a requisition."""

    requisition: RequisitionInput
    top: int = Field(default=10, ge=1, le=100, description="Page size.")
    offset: int = Field(default=0, ge=0, le=10_000, description="Results to skip (paging).")
    location: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Keep candidates whose parsed location contains this (case-insensitive).",
    )
    min_score: float | None = Field(default=None, ge=0, le=100)
    knockouts: list[KnockoutRule] | None = None
    exclude_knocked_out: bool = Field(
        default=False, description="Leave out candidates who fail a knock-out rule."
    )


class ShortlistResponse(BaseModel):
    """One page of the ranked pool."""

    request_id: str
    requisition_id: str
    model: ModelRef
    pool_size: int
    considered: int = Field(description="Candidates retrieved and re-ranked by the model.")
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null at the end.")
    results: list[ScoredItem]


class CandidateStored(BaseModel):
    """A resume stored: its candidate and what happened."""

    candidate_id: str
    external_id: str
    outcome: Literal["added", "updated", "unchanged", "reembedded"]
    profile: Profile


class RequisitionStored(BaseModel):
    """A requisition stored (or found, for a text stored before)."""

    requisition_id: str
    external_id: str | None
    title: str | None
    required_skills: list[str]
    preferred_skills: list[str]
    min_years_experience: float | None
    location: str | None


class Deletion(BaseModel):
    """Rows removed with a candidate, table by table."""

    candidate_id: str
    deleted: bool = Field(description="False when the id was unknown (nothing to delete).")
    rows: dict[str, int]
    decisions_unlinked: int = Field(
        description="Decision-log entries kept (hashes and scores only) and unlinked."
    )


class ModelInfo(BaseModel):
    """The model this service scores with."""

    uri: str
    name: str | None
    version: str | None
    aliases: list[str]
    run_id: str | None
    registered_at: str | None
    trained_at: str | None
    embedding_model: str
    audit: dict[str, str]
    evaluation: dict[str, str]
    pool_size: int


class Page(_Input):
    """Paging of a list: ``limit`` items from ``offset``."""

    offset: int = Field(default=0, ge=0, le=1_000_000, description="Items to skip.")
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")


class RequisitionQuery(Page):
    """Paging of the stored requisitions."""


class FeedbackQuery(Page):
    """Which decisions to list."""

    requisition_id: Id | None = Field(default=None, description="Only this requisition's.")
    latest_only: bool = Field(
        default=False, description="Only the latest decision of each (requisition, candidate)."
    )


class ReviewQuery(Page):
    """Paging of the review requests."""


class NoQuery(_Input):
    """A route that takes no query parameters (any given is refused)."""


class RequisitionSummary(RequisitionStored):
    """A stored requisition, as a recruiter picks one."""

    created_at: datetime


class RequisitionList(BaseModel):
    """One page of the stored requisitions, the most recently stored first."""

    total: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null at the end.")
    results: list[RequisitionSummary]


class SkillEvidence(BaseModel):
    """Where a skill was read in the resume: the span and a little of the text around it."""

    label: str
    concept_id: str | None
    taxonomy: str
    section: str | None
    start: int = Field(description="Character offset of the span in the extracted text.")
    end: int
    text: str = Field(description="The words that were read as this skill.")
    before: str = Field(description="Up to 80 characters before the span (one line).")
    after: str = Field(description="Up to 80 characters after the span (one line).")


class DocumentSummary(BaseModel):
    """The stored document a profile was parsed from (not its text)."""

    document_id: str
    filename: str | None
    media_type: str
    sha256: str
    characters: int
    pages: int | None
    stored_at: datetime
    parser_version: str | None


class CandidateScore(BaseModel):
    """A candidate's latest stored score for one requisition, with the model that gave it."""

    requisition_id: str
    requisition_title: str | None
    score: float = Field(ge=0, le=100)
    rank: int | None
    reasons: Reasons
    model_name: str
    model_version: str
    scored_at: datetime


class FeedbackItem(BaseModel):
    """A recruiter's decision: a labelled pair (label 1 advance, 0 reject) for retraining."""

    feedback_id: str
    requisition_id: str
    candidate_id: str
    decision: Verdict
    label: int = Field(ge=0, le=1)
    reason: str | None
    reviewer: str | None = Field(description="The name of the API key that recorded it.")
    score: float | None = Field(description="The score shown when the decision was made.")
    rank: int | None
    model_name: str | None
    model_version: str | None
    decided_at: datetime
    shown_request_id: str | None


class ReviewRequestItem(BaseModel):
    """A candidate's request for a human review, as recorded."""

    review_request_id: str
    candidate_id: str
    requisition_id: str | None
    note: str | None
    recorded_by: str | None
    requested_at: datetime


class CandidateDetail(BaseModel):
    """A stored candidate: the parsed profile, the evidence of each skill, latest scores.

    Never holds protected attributes.
    """

    candidate_id: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    document: DocumentSummary | None
    profile: Profile | None
    evidence: list[SkillEvidence]
    scores: list[CandidateScore] = Field(
        description="The latest score for each requisition, the most recent first."
    )
    decisions: list[FeedbackItem] = Field(
        description="The latest recruiter decision for each requisition."
    )
    review_requests: list[ReviewRequestItem]
    crm_links: dict[str, str] = Field(description="CRM name to the candidate's contact id there.")


class FeedbackRequest(_Input):
    """A recruiter's decision on a candidate for a requisition."""

    requisition_id: Id
    candidate_id: Id
    decision: Verdict
    reason: Reason | None = None
    shown_request_id: Id | None = Field(
        default=None, description="The request id of the shortlist the recruiter was reading."
    )


class FeedbackList(BaseModel):
    """One page of recruiters' decisions, oldest first."""

    total: int
    offset: int
    next_offset: int | None
    results: list[FeedbackItem]


class ReviewRequestInput(_Input):
    """Record that a candidate asked for a person to review a decision about them."""

    candidate_id: Id
    requisition_id: Id | None = None
    note: Note | None = None


class ReviewRequestList(BaseModel):
    """One page of review requests, the most recent first."""

    total: int
    offset: int
    next_offset: int | None
    results: list[ReviewRequestItem]


class CrmQueueRequest(_Input):
    """Queue the CRM write-back of these candidates' latest scores for a requisition."""

    requisition_id: Id
    candidate_ids: list[Id] = Field(min_length=1, max_length=1000)


class CrmQueued(BaseModel):
    """What "send to CRM" queued."""

    requisition_id: str
    crms: list[str] = Field(description="The CRMs written to (MATCHING_CRM); empty when none.")
    queued: int = Field(description="Writes queued, one per candidate and linked contact.")
    queued_candidates: list[str]
    unlinked: list[str] = Field(description="Candidates with no contact in those CRMs.")
    unscored: list[str] = Field(description="Candidates never scored for the requisition.")


class ErrorBody(BaseModel):
    """Every error response: a stable code, what went wrong and what to do."""

    code: str
    message: str
    remedy: str
    request_id: str | None = None
    detail: list[dict[str, object]] | None = None


__all__ = [
    "CandidateDetail",
    "CandidateInput",
    "CandidateScore",
    "CandidateStored",
    "CrmQueueRequest",
    "CrmQueued",
    "Deletion",
    "DocumentSummary",
    "DocumentUpload",
    "ErrorBody",
    "ExternalId",
    "FeedbackItem",
    "FeedbackList",
    "FeedbackQuery",
    "FeedbackRequest",
    "Id",
    "ItemError",
    "KnockoutRule",
    "ModelInfo",
    "ModelRef",
    "NoQuery",
    "Note",
    "Page",
    "Reason",
    "RequisitionInput",
    "RequisitionList",
    "RequisitionQuery",
    "RequisitionStored",
    "RequisitionSummary",
    "ReviewQuery",
    "ReviewRequestInput",
    "ReviewRequestItem",
    "ReviewRequestList",
    "ScoreRequest",
    "ScoreResponse",
    "ScoredItem",
    "ShortlistRequest",
    "ShortlistResponse",
    "SkillEvidence",
    "Text",
    "Verdict",
]
