"""What the recruiter routes answer, built from the store's records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath

from pydantic import ValidationError

from matching.schemas import Profile, Reasons
from matching.serving._api import (
    CandidateScore,
    DocumentSummary,
    FeedbackItem,
    RequisitionSummary,
    ReviewRequestItem,
    SkillEvidence,
)
from matching.store import (
    FeedbackEntry,
    ReviewRequest,
    StoredDocument,
    StoredRequisition,
    StoredScore,
)

CONTEXT_CHARS = 80
_SPACE = re.compile(r"\s+")


def skill_evidence(profile: Profile, text: str | None) -> list[SkillEvidence]:
    """Each skill of ``profile`` with the span it was read from and the words around it.

    The context comes from the stored text when the span's offsets still point at the span's
    words there; otherwise only the span is given.
    """
    found = []
    for skill in profile.skills:
        span = skill.source
        before = after = ""
        if text is not None and text[span.start : span.end] == span.text:
            before = _context(text[max(0, span.start - CONTEXT_CHARS) : span.start], tail=True)
            after = _context(text[span.end : span.end + CONTEXT_CHARS], tail=False)
        found.append(
            SkillEvidence(
                label=skill.label,
                concept_id=skill.concept_id,
                taxonomy=skill.taxonomy,
                section=span.section,
                start=span.start,
                end=span.end,
                text=span.text,
                before=before,
                after=after,
            )
        )
    return found


def _context(piece: str, *, tail: bool) -> str:
    """Text beside a span, on the span's side of the nearest line break, spaces collapsed."""
    lines = piece.split("\n")
    kept = lines[-1] if tail else lines[0]
    kept = _SPACE.sub(" ", kept)
    return kept


def requisition_summary(stored: StoredRequisition) -> RequisitionSummary:
    """A stored requisition for the picker."""
    req = stored.requisition
    return RequisitionSummary(
        requisition_id=stored.id,
        external_id=stored.external_id,
        title=stored.title,
        required_skills=[s.label for s in req.required_skills],
        preferred_skills=[s.label for s in req.preferred_skills],
        min_years_experience=req.min_years_experience,
        location=req.location,
        created_at=stored.created_at,
    )


def document_summary(document: StoredDocument) -> DocumentSummary:
    """A stored document without its text (the file's name only, never a server path)."""
    profile = document.profile
    info = profile.document if profile is not None else None
    return DocumentSummary(
        document_id=document.id,
        filename=PurePath(document.path).name if document.path else None,
        media_type=document.media_type,
        sha256=document.sha256,
        characters=len(document.text),
        pages=info.pages if info is not None else None,
        stored_at=document.created_at,
        parser_version=document.parser_version,
    )


def candidate_score(score: StoredScore, titles: Mapping[str, str | None]) -> CandidateScore:
    """A stored score with its requisition's title and its reasons as a record."""
    return CandidateScore(
        requisition_id=score.requisition_id,
        requisition_title=titles.get(score.requisition_id),
        score=score.score,
        rank=score.rank,
        reasons=_reasons(score.reasons),
        model_name=score.model_name,
        model_version=score.model_version,
        scored_at=score.created_at,
    )


def _reasons(value: object) -> Reasons:
    """Stored reasons as a record (empty when they were stored in another shape)."""
    try:
        return Reasons.model_validate(value or {})
    except ValidationError:
        return Reasons()


def feedback_item(entry: FeedbackEntry) -> FeedbackItem:
    """A stored decision as the API shows it."""
    return FeedbackItem(
        feedback_id=entry.id,
        requisition_id=entry.requisition_id,
        candidate_id=entry.candidate_id,
        decision=entry.decision,
        label=entry.label,
        reason=entry.reason,
        reviewer=entry.reviewer,
        score=entry.score,
        rank=entry.rank,
        model_name=entry.model_name,
        model_version=entry.model_version,
        decided_at=entry.created_at,
        shown_request_id=entry.shown_request_id,
    )


def review_item(request: ReviewRequest) -> ReviewRequestItem:
    """A stored review request as the API shows it."""
    return ReviewRequestItem(
        review_request_id=request.id,
        candidate_id=request.candidate_id,
        requisition_id=request.requisition_id,
        note=request.note,
        recorded_by=request.recorded_by,
        requested_at=request.created_at,
    )


def next_offset(offset: int, shown: int, total: int) -> int | None:
    """The offset of the next page, or None when this page reaches the end."""
    return offset + shown if shown and offset + shown < total else None


__all__ = [
    "candidate_score",
    "document_summary",
    "feedback_item",
    "next_offset",
    "requisition_summary",
    "review_item",
    "skill_evidence",
]
