"""Job posting → ``Requisition``: title, occupation, required and preferred skills, minimums."""

from __future__ import annotations

import os
import re
from typing import Literal, cast

from spacy.tokens import Doc

from matching.errors import Warnings
from matching.parsing._documents import ExtractedText, extract_text
from matching.parsing._entries import degree_levels
from matching.parsing._pipeline import requisition_pipeline, skill_tagger
from matching.parsing._shared import document_info, section_at, sections_of
from matching.parsing._skilltagger import TaggedSpan
from matching.schemas import Issue, Requisition, Section, Skill, SourceSpan
from matching.settings import Settings, get_settings
from matching.taxonomy import Concept, load_occupations, load_skill_vocabulary

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


def _skills(
    doc: Doc, sections: list[Section], tagged: list[TaggedSpan]
) -> tuple[list[Skill], list[Skill]]:
    """Required and preferred skills: taxonomy matches, then tagger spans they do not cover.

    A tagger span is linked to a concept when its text is a vocabulary term; otherwise it is
    kept as written (``concept_id`` None) so that ranking can still compare it as text.
    """
    vocabulary = load_skill_vocabulary()
    found: list[tuple[int, int, str, Concept | None]] = []
    for span in doc.spans["skills"]:
        found.append((span.start_char, span.end_char, span.text, vocabulary.get(span.kb_id_)))
    covered = [(start, end) for start, end, _, _ in found]
    for span in tagged:
        if any(start < span.end and span.start < end for start, end in covered):
            continue
        found.append((span.start, span.end, span.text, vocabulary.lookup(span.text)))
    required: dict[str, Skill] = {}
    preferred: dict[str, Skill] = {}
    whole = doc.text  # rebuilt from the tokens on every access
    for start, end, text, concept in sorted(found, key=lambda item: item[0]):
        section = section_at(sections, start)
        if section in _NOT_REQUIREMENTS:
            continue
        source = SourceSpan(start=start, end=end, text=text, section=section)
        if concept is not None:
            key = concept.id
            skill = Skill(
                label=concept.label, concept_id=concept.id, taxonomy=concept.taxonomy, source=source
            )
        else:
            label = " ".join(text.split())
            key = label.casefold()
            skill = Skill(label=label, concept_id=None, taxonomy="none", source=source)
        is_preferred = section == "preferred" or (
            section != "requirements" and bool(_PREFERRED_CUE.search(_sentence_at(whole, start)))
        )
        (preferred if is_preferred else required).setdefault(key, skill)
    for key in required:
        preferred.pop(key, None)
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
    tagged: list[TaggedSpan] | None = None,
    warnings: list[Issue] | None = None,
) -> Requisition:
    """Read a ``Requisition`` from a document processed by the requisition pipeline.

    ``tagged`` are the trained skill tagger's spans over the same text, if it ran.
    """
    text = doc.text
    sections = sections_of(doc)
    if title is None:
        first = next((line.strip() for line in text.split("\n") if line.strip()), "")
        title = first[:120] or None
    required, preferred = _skills(doc, sections, tagged or [])
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
        warnings=(list(extracted.warnings) if extracted else []) + (warnings or []),
        document=document_info(extracted, text),
    )


def _parse(
    text: str,
    *,
    title: str | None,
    location: str | None,
    extracted: ExtractedText | None,
    settings: Settings,
) -> Requisition:
    tagger_path = settings.models_dir / "skills"
    tagger = skill_tagger(tagger_path)
    return requisition_from_doc(
        requisition_pipeline()(text),
        title=title,
        location=location,
        extracted=extracted,
        tagged=tagger.tag([text])[0] if tagger else None,
        warnings=[] if tagger else [Issue.of(Warnings.W108, path=tagger_path)],
    )


def parse_requisition_text(
    text: str,
    *,
    title: str | None = None,
    location: str | None = None,
    settings: Settings | None = None,
) -> Requisition:
    """Parse a job posting given as text (``title`` defaults to its first line)."""
    return _parse(
        text, title=title, location=location, extracted=None, settings=settings or get_settings()
    )


def parse_requisition(
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    title: str | None = None,
    location: str | None = None,
    settings: Settings | None = None,
) -> Requisition:
    """Parse a job posting file (PDF, DOCX, TXT or HTML) or its bytes.

    Raises
    ------
    matching.errors.InputError
        When the document cannot be read (the error's code and remedy say why).
    """
    settings = settings or get_settings()
    extracted = extract_text(source, filename=filename, settings=settings)
    return _parse(
        extracted.text, title=title, location=location, extracted=extracted, settings=settings
    )
