"""Typed records shared by every stage of the flow.

They are pydantic models so that the CLI, the HTTP service and the store serialise them the
same way (``model_dump(mode="json")``). Field names of ``Profile`` are a public contract
(``matching parse``, DESIGN.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matching.errors import WarningCode


class Record(BaseModel):
    """Base of the shared records: unknown fields are refused, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Issue(Record):
    """A non-fatal finding (a warning) with a stable code, or a failed item's error."""

    code: str
    message: str
    remedy: str = ""

    @classmethod
    def of(cls, warning: WarningCode, **details: object) -> Issue:
        """Build the record for ``warning`` with ``details`` filled in."""
        message, remedy = warning.render(**details)
        return cls(code=warning.code, message=message, remedy=remedy)


class SourceSpan(Record):
    """Where a value was read: character offsets into the document's extracted text."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    section: str | None = None


class Skill(Record):
    """A skill mention normalised to a taxonomy concept.

    ``concept_id`` is an ESCO skill URI, an O*NET technology id (``onet:tech:...``), or
    ``None`` when the mention was found but matches no concept.
    """

    label: str
    concept_id: str | None
    source: SourceSpan
    taxonomy: Literal["esco", "onet", "none"] = "none"


class Education(Record):
    """One education entry."""

    degree: str | None = None
    level: Literal["doctorate", "master", "bachelor", "associate", "diploma", "other"] | None = None
    institution: str | None = None
    year: int | None = None


class Experience(Record):
    """One position. Dates are ``YYYY-MM`` (or ``YYYY``); ``end`` is ``"present"`` if current."""

    title: str | None = None
    company: str | None = None
    start: str | None = None
    end: str | None = None


class Section(Record):
    """A recognised part of a document: a normalised label and character offsets."""

    label: str
    heading: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class DocumentInfo(Record):
    """Where a parsed document came from."""

    path: str | None = None
    media_type: str
    sha256: str
    pages: int | None = None
    characters: int


class Profile(Record):
    """A parsed resume (the ``matching parse`` contract)."""

    name: str | None = None
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    location: str | None = None
    skills: list[Skill] = Field(default_factory=list)
    titles: list[str] = Field(default_factory=list)
    companies: list[str] = Field(default_factory=list)
    education: list[Education] = Field(default_factory=list)
    experience: list[Experience] = Field(default_factory=list)
    total_experience_years: float | None = None
    sections: list[Section] = Field(default_factory=list)
    warnings: list[Issue] = Field(default_factory=list)
    document: DocumentInfo | None = None
    extractor: Literal["trained", "rules"] = "rules"


class Occupation(Record):
    """An occupation concept a job title was normalised to."""

    label: str
    concept_id: str
    taxonomy: Literal["esco", "onet"]
    score: float = Field(ge=0, le=1)


class Requisition(Record):
    """A parsed job posting."""

    title: str | None = None
    occupation: Occupation | None = None
    required_skills: list[Skill] = Field(default_factory=list)
    preferred_skills: list[Skill] = Field(default_factory=list)
    min_years_experience: float | None = None
    education_level: Literal["doctorate", "master", "bachelor", "associate", "diploma"] | None = (
        None
    )
    location: str | None = None
    remote: Literal["remote", "hybrid", "onsite", "unknown"] = "unknown"
    sections: list[Section] = Field(default_factory=list)
    warnings: list[Issue] = Field(default_factory=list)
    document: DocumentInfo | None = None


class NearMatch(Record):
    """A required skill the candidate lacks, answered in part by a related one they have."""

    required: str
    found: str


class Contribution(Record):
    """How much one feature moved a score (in the model's raw units), and what it means."""

    feature: str
    value: float | None
    contribution: float
    description: str


class ExperienceCheck(Record):
    """Years of experience against the requisition's requirement."""

    candidate_years: float | None = None
    required_years: float | None = None
    meets: bool | None = None


class Knockout(Record):
    """A hard requirement, checked apart from the score (it never changes the score)."""

    rule: Literal["min_years", "location", "work_authorization"]
    status: Literal["pass", "fail", "unknown"]
    detail: str


class Reasons(Record):
    """Why a candidate scored what they did."""

    matched_skills: list[str] = Field(default_factory=list)
    near_skills: list[NearMatch] = Field(default_factory=list)
    missing_skills: list[str] = Field(default_factory=list)
    matched_preferred: list[str] = Field(default_factory=list)
    missing_preferred: list[str] = Field(default_factory=list)
    experience: ExperienceCheck = Field(default_factory=ExperienceCheck)
    contributions: list[Contribution] = Field(default_factory=list)
    summary: str = ""


class ScoredCandidate(Record):
    """One candidate's score for one requisition: 0–100 (higher is better), rank and reasons."""

    candidate_id: str
    score: float = Field(ge=0, le=100)
    rank: int = Field(ge=1)
    reasons: Reasons
    knockouts: list[Knockout] = Field(default_factory=list)
    model_name: str | None = None
    model_version: str | None = None


__all__ = [
    "Contribution",
    "DocumentInfo",
    "Education",
    "Experience",
    "ExperienceCheck",
    "Issue",
    "Knockout",
    "NearMatch",
    "Occupation",
    "Profile",
    "Reasons",
    "Record",
    "Requisition",
    "ScoredCandidate",
    "Section",
    "Skill",
    "SourceSpan",
]
