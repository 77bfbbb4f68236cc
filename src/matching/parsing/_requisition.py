"""Job posting → ``Requisition``: title, occupation, required and preferred skills, minimums."""

from __future__ import annotations

import os
import re
from typing import Literal, cast

from spacy.tokens import Doc

from matching.parsing._documents import ExtractedText, extract_text
from matching.parsing._entries import degree_levels
from matching.parsing._pipeline import requisition_pipeline
from matching.parsing._resume import _document_info, _section_at, _sections
from matching.schemas import Requisition, Section, Skill, SourceSpan
from matching.settings import Settings, get_settings
from matching.taxonomy import load_occupations, load_skill_vocabulary

_PREFERRED_CUE = re.compile(
    r"\b(?:preferred|nice[- ]to[- ]have|a plus|is a plus|bonus|desirable|desired|ideally|"
    r"good to have|advantageous|would be great)\b",
    re.I,
)
_YEARS = re.compile(
    r"(?<![\d.])(\d{1,2})(?:\.\d)?\s*\+?\s*(?:(?:-|–|to)\s*\d{1,2}\s*\+?\s*)?(?:years?|yrs?)\b"
    r"(?:[^.\n]{0,60}?\b(?:experience|exp\b|background|working|industry|in\b|of\b))",
    re.I,
)
_REMOTE = re.compile(r"\b(?:fully\s+)?remote(?:[- ]first|ly)?\b|\bwork from home\b|\bwfh\b", re.I)
_HYBRID = re.compile(r"\bhybrid\b", re.I)
_ONSITE = re.compile(r"\bon[- ]?site\b|\bin[- ]office\b|\bin the office\b", re.I)
_DEGREE_CONTEXT = re.compile(
    r"\bdegree\b|\bgraduate\b|\b[BM]\.?[AS]\b|\bph\.?d\b|\bdiploma\b", re.I
)
_LOCATION = re.compile(r"^\s*(?:location|based in|office)\s*:\s*([^(\n]+)", re.I | re.M)
_LEVEL_ORDER = ("diploma", "associate", "bachelor", "master", "doctorate")
# Skills named there describe the employer or the package, not the job.
_NOT_REQUIREMENTS = ("benefits", "company")


def _sentence_at(text: str, offset: int) -> str:
    start = max(text.rfind(".", 0, offset), text.rfind("\n", 0, offset)) + 1
    ends = [i for i in (text.find(".", offset), text.find("\n", offset)) if i >= 0]
    return text[start : min(ends) if ends else len(text)]


def _skills(doc: Doc, sections: list[Section]) -> tuple[list[Skill], list[Skill]]:
    vocabulary = load_skill_vocabulary()
    required: dict[str, Skill] = {}
    preferred: dict[str, Skill] = {}
    for span in doc.spans["skills"]:
        concept = vocabulary.get(span.kb_id_)
        if concept is None:
            continue
        section = _section_at(sections, span.start_char)
        skill = Skill(
            label=concept.label,
            concept_id=concept.id,
            taxonomy=concept.taxonomy,
            source=SourceSpan(
                start=span.start_char, end=span.end_char, text=span.text, section=section
            ),
        )
        is_preferred = section == "preferred" or (
            section not in ("requirements",)
            and bool(_PREFERRED_CUE.search(_sentence_at(doc.text, span.start_char)))
        )
        if is_preferred:
            preferred.setdefault(concept.id, skill)
        elif section not in _NOT_REQUIREMENTS:
            required.setdefault(concept.id, skill)
    for concept_id in required:
        preferred.pop(concept_id, None)
    return list(required.values()), list(preferred.values())


def _requirement_text(text: str, sections: list[Section]) -> str:
    parts = [text[s.start : s.end] for s in sections if s.label in ("requirements", "header")]
    return "\n".join(parts) if parts else text


def min_years(text: str) -> float | None:
    """The largest 'N+ years of experience' lower bound stated in ``text`` (None if none)."""
    values = [int(m.group(1)) for m in _YEARS.finditer(text) if 0 < int(m.group(1)) <= 30]
    return float(max(values)) if values else None


def education_level(text: str) -> str | None:
    """The lowest degree level a posting asks for ('BS or MS in CS' -> 'bachelor')."""
    levels = []
    for sentence in re.split(r"[.\n;]", text):
        if _DEGREE_CONTEXT.search(sentence) and not _PREFERRED_CUE.search(sentence):
            levels.extend(degree_levels(sentence))
    return min(levels, key=_LEVEL_ORDER.index) if levels else None


def remote_policy(text: str) -> Literal["remote", "hybrid", "onsite", "unknown"]:
    """Remote, hybrid or on-site, as the posting says it."""
    if _HYBRID.search(text):
        return "hybrid"
    if _REMOTE.search(text):
        return "remote"
    if _ONSITE.search(text):
        return "onsite"
    return "unknown"


def requisition_from_doc(
    doc: Doc,
    *,
    title: str | None = None,
    location: str | None = None,
    extracted: ExtractedText | None = None,
) -> Requisition:
    """Read a ``Requisition`` from a document processed by the requisition pipeline."""
    text = doc.text
    sections = _sections(doc)
    if title is None:
        first = next((line.strip() for line in text.split("\n") if line.strip()), "")
        title = first[:120] or None
    required, preferred = _skills(doc, sections)
    requirements = _requirement_text(text, sections)
    found_location = _LOCATION.search(text)
    level = education_level(requirements)
    return Requisition(
        title=title,
        occupation=load_occupations().match(title) if title else None,
        required_skills=required,
        preferred_skills=preferred,
        min_years_experience=min_years(requirements),
        education_level=cast(
            Literal["doctorate", "master", "bachelor", "associate", "diploma"] | None, level
        ),
        location=location or (found_location.group(1).strip(" ,;") if found_location else None),
        remote=remote_policy(text),
        sections=sections,
        warnings=list(extracted.warnings) if extracted else [],
        document=_document_info(extracted, text),
    )


def parse_requisition_text(
    text: str, *, title: str | None = None, location: str | None = None
) -> Requisition:
    """Parse a job posting given as text (``title`` defaults to its first line)."""
    return requisition_from_doc(requisition_pipeline()(text), title=title, location=location)


def parse_requisition(
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    title: str | None = None,
    settings: Settings | None = None,
) -> Requisition:
    """Parse a job posting file (PDF, DOCX, TXT or HTML) or its bytes."""
    extracted = extract_text(source, filename=filename, settings=settings or get_settings())
    return requisition_from_doc(
        requisition_pipeline()(extracted.text), title=title, extracted=extracted
    )
