"""Resume → ``Profile``: the spaCy pipeline's spans and entities, read by section-aware rules."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from matching.errors import MatchingError, Warnings
from matching.parsing._dates import total_years
from matching.parsing._documents import ExtractedText, extract_text
from matching.parsing._entries import (
    Hint,
    find_degrees,
    find_positions,
    guess_name,
    headline_titles,
)
from matching.parsing._pipeline import resume_pipeline
from matching.parsing._shared import document_info, section_at, sections_of
from matching.schemas import (
    Education,
    Experience,
    Issue,
    Profile,
    Section,
    Skill,
    SourceSpan,
)
from matching.settings import Settings, get_settings
from matching.taxonomy import load_occupations, load_skill_vocabulary

_EXPERIENCE_LABELS = ("experience",)
_EDUCATION_LABELS = ("education",)


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())


def _skills(
    doc: Doc, sections: list[Section], hints: list[Hint], employers: list[str]
) -> list[Skill]:
    vocabulary = load_skill_vocabulary()
    # 'Logistics' in 'Harbour Logistics Ltd' is an employer's name, not a skill.
    names = [(h.start, h.end) for h in hints if h.label in ("COMPANY", "ORG", "INSTITUTION")]
    text = doc.text
    skills: dict[str, Skill] = {}
    for span in doc.spans["skills"]:
        concept = vocabulary.get(span.kb_id_)
        if concept is None or concept.id in skills:
            continue
        if any(start <= span.start_char and span.end_char <= end for start, end in names):
            continue
        line_start = text.rfind("\n", 0, span.start_char) + 1
        line = text[line_start : text.find("\n", span.end_char) % (len(text) + 1)]
        if any(span.text in name and name in line for name in employers):
            continue
        skills[concept.id] = Skill(
            label=concept.label,
            concept_id=concept.id,
            taxonomy=concept.taxonomy,
            source=SourceSpan(
                start=span.start_char,
                end=span.end_char,
                text=span.text,
                section=section_at(sections, span.start_char),
            ),
        )
    return list(skills.values())


def _hints(doc: Doc, trained: bool) -> list[Hint]:
    hints = []
    # A general-English NER calls 'Kubernetes' an ORG and 'Kafka' a PERSON: in rules-only mode
    # an entity that is a known skill is not a name, an employer or a place.
    skills = {(span.start_char, span.end_char) for span in doc.spans["skills"]}
    vocabulary = load_skill_vocabulary()
    for ent in doc.spans["fields"]:
        if not trained and (
            (ent.start_char, ent.end_char) in skills or vocabulary.lookup(ent.text) is not None
        ):
            continue
        hints.append(Hint(ent.label_, ent.start_char, ent.end_char, ent.text))
    return hints


_CITY_BEFORE = re.compile(r"([A-Z][A-Za-z.'’-]+(?: [A-Z][A-Za-z.'’-]+){0,2}) ?, ?$")


# A header segment such as 'Leeds, United Kingdom' or 'Austin, TX 78701'.
_WORD = r"[A-Z][A-Za-z.'’-]+"
_PLACE = re.compile(rf"^({_WORD}(?: {_WORD}){{0,2}}, ?{_WORD}(?: {_WORD})?)(?: \d{{4,6}})?$")


# "Ms. Lynch practices" is a sentence about a person, not a job title; the NER sometimes
# tags one, depending on the name before it (a counterfactual name swap found this).
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Mx|Dr)\b\.?\s", re.I)


_ARTICLES = frozenset({"a", "an", "the"})


def _title_like(text: str) -> bool:
    """Whether an NER title span can be a job title, not a phrase of a sentence.

    Titles have no articles ("Previously a Senior Lecturer" is prose), do not open with an
    honorific, an adverb or a lower-case word, and are short.
    """
    words = text.split()
    if not 0 < len(words) <= 8 or _HONORIFIC.match(text.strip()):
        return False
    first = words[0]
    return (
        first[:1].isupper()
        and not first.lower().endswith("ly")
        and not any(w.lower() in _ARTICLES for w in words)
    )


def _location(text: str, hints: list[Hint], *, limit: int) -> str | None:
    """The first place named near the top, with the city before it ('Lyon, France').

    Without a place entity, a header segment written as 'City, Region' is taken.
    """
    hint = next((h for h in hints if h.label == "LOCATION" and h.start < limit), None)
    if hint is None:
        for line in text[:limit].split("\n")[:8]:
            for segment in re.split(r"\s*[|•·]\s*", line.strip()):
                place = _PLACE.match(segment)
                if place and "@" not in segment:
                    return place.group(1)
        return None
    line_start = text.rfind("\n", 0, hint.start) + 1
    city = _CITY_BEFORE.search(text[line_start : hint.start])
    return (city.group(1) + ", " if city else "") + hint.text.strip()


def _ranges(sections: list[Section], labels: tuple[str, ...], size: int) -> list[tuple[int, int]]:
    found = [(s.start, s.end) for s in sections if s.label in labels]
    return found or [(0, size)]


def profile_from_doc(
    doc: Doc,
    *,
    trained: bool,
    today: date | None = None,
    extracted: ExtractedText | None = None,
    field_model: Path | None = None,
) -> Profile:
    """Read a ``Profile`` from a document processed by the resume pipeline.

    ``field_model`` is where the trained extractor was looked for (named in warning W104).
    """
    today = today or date.today()
    text = doc.text
    occupations = load_occupations()
    sections = sections_of(doc)
    hints = _hints(doc, trained)
    header_end = next((s.end for s in sections if s.label == "header"), min(len(text), 400))

    contacts = [(span.label_, span.kb_id_) for span in doc.spans["contacts"]]
    # A name never spans lines: NER sometimes runs on into the headline ('Mei Chen\nData').
    names = [
        h.text.strip().splitlines()[0].strip()
        for h in hints
        if h.label == "NAME" and h.start < max(header_end, 300) and h.text.strip()
    ]
    name = (names[0] if names else None) or guess_name(
        text[:header_end], is_title=occupations.is_title
    )
    location = _location(text, hints, limit=max(header_end, 600))

    positions = [
        position
        for lo, hi in _ranges(sections, _EXPERIENCE_LABELS, len(text))
        for position in find_positions(text, lo, hi, hints, is_title=occupations.is_title)
    ]
    experience = [
        Experience(
            title=p.title,
            company=p.company,
            start=p.dates.start.iso(),
            end=p.dates.end.iso() if p.dates.end else "present",
        )
        for p in positions
    ]
    years = total_years([(p.dates.start, p.dates.end) for p in positions], today=today)
    degrees = [
        degree
        for lo, hi in _ranges(sections, _EDUCATION_LABELS, len(text))
        for degree in find_degrees(text, lo, hi, hints, max_year=today.year + 6)
    ]
    titles = _unique(
        headline_titles(text[:header_end], is_title=occupations.is_title, name=name)
        + [p.title for p in positions]
        + [
            h.text.strip()
            for h in hints
            if h.label == "TITLE"
            and _title_like(h.text)
            # One word ("Born", "Director") counts only when it is a known job title.
            and (len(h.text.split()) > 1 or occupations.is_title(h.text.strip()))
        ]
    )
    companies = _unique(
        [p.company for p in positions] + [h.text.strip() for h in hints if h.label == "COMPANY"]
    )

    warnings = list(extracted.warnings) if extracted else []
    if not trained:
        path = field_model or get_settings().field_model_path()
        warnings.append(Issue.of(Warnings.W104, path=path))
    for what in ("experience", "education"):
        if not any(s.label == what for s in sections):
            warnings.append(Issue.of(Warnings.W107, what=what))

    return Profile(
        name=name,
        emails=_unique(value for kind, value in contacts if kind == "EMAIL"),
        phones=_unique(value for kind, value in contacts if kind == "PHONE"),
        links=_unique(value for kind, value in contacts if kind == "URL"),
        location=location,
        skills=_skills(doc, sections, hints, companies),
        titles=titles,
        companies=companies,
        education=[
            Education(
                degree=d.degree,
                level=d.level,
                institution=d.institution,
                year=d.year,
            )
            for d in degrees
        ],
        experience=experience,
        total_experience_years=years,
        sections=sections,
        warnings=warnings,
        document=document_info(extracted, text),
        extractor="trained" if trained else "rules",
    )


def parse_resume_text(
    text: str, *, today: date | None = None, settings: Settings | None = None
) -> Profile:
    """Parse a resume given as plain text."""
    settings = settings or get_settings()
    nlp, extractor = resume_pipeline(settings.field_model_path(), settings.spacy_base_model)
    return profile_from_doc(
        nlp(text),
        trained=extractor == "trained",
        today=today,
        field_model=settings.field_model_path(),
    )


def parse_resume(
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    today: date | None = None,
    settings: Settings | None = None,
) -> Profile:
    """Parse a resume file (PDF, DOCX, TXT or HTML) or its bytes.

    Raises
    ------
    matching.errors.InputError
        When the document cannot be read (the error's code and remedy say why).
    """
    settings = settings or get_settings()
    extracted = extract_text(source, filename=filename, settings=settings)
    nlp, extractor = resume_pipeline(settings.field_model_path(), settings.spacy_base_model)
    return profile_from_doc(
        nlp(extracted.text),
        trained=extractor == "trained",
        today=today,
        extracted=extracted,
        field_model=settings.field_model_path(),
    )


def parse_resumes(
    sources: Iterable[str | os.PathLike[str]],
    *,
    today: date | None = None,
    settings: Settings | None = None,
    batch_size: int = 16,
) -> Iterator[tuple[str, Profile | MatchingError]]:
    """Parse many resume files; a bad file yields its error and the batch goes on.

    Yields ``(path, profile_or_error)`` in input order.
    """
    settings = settings or get_settings()
    nlp, extractor = resume_pipeline(settings.field_model_path(), settings.spacy_base_model)
    pending: list[tuple[str, Any]] = []

    def flush() -> Iterator[tuple[str, Profile | MatchingError]]:
        readable = [(p, e) for p, e in pending if isinstance(e, ExtractedText)]
        docs = iter(nlp.pipe([e.text for _, e in readable], batch_size=batch_size))
        for path, item in pending:
            if isinstance(item, MatchingError):
                yield path, item
            else:
                yield (
                    path,
                    profile_from_doc(
                        next(docs),
                        trained=extractor == "trained",
                        today=today,
                        extracted=item,
                        field_model=settings.field_model_path(),
                    ),
                )
        pending.clear()

    for source in sources:
        path = os.fspath(source)
        try:
            pending.append((path, extract_text(path, settings=settings)))
        except MatchingError as error:
            pending.append((path, error))
        if len(pending) >= batch_size:
            yield from flush()
    yield from flush()
