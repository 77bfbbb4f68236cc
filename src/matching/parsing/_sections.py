"""Section detection: headings such as 'Work Experience' or 'Minimum qualifications'.

A heading is a short line on its own whose words, once case and punctuation are dropped, are a
known heading (``HEADINGS``), optionally followed by a colon and content on the same line
('Skills: Python, SQL'). Everything from one heading to the next is that section; text before
the first heading is ``header`` (where names and contacts usually are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

# Normalised heading -> section label. Resume and requisition headings share one table: a
# posting never says 'Work history' and a resume rarely says 'Preferred qualifications'.
HEADINGS: dict[str, str] = {}
_GROUPS: dict[str, tuple[str, ...]] = {
    "summary": (
        "summary",
        "professional summary",
        "career summary",
        "executive summary",
        "profile",
        "professional profile",
        "career profile",
        "objective",
        "career objective",
        "about me",
        "overview",
        "career overview",
        "personal statement",
        "executive profile",
        "summary of qualifications",
        "qualifications summary",
        "professional overview",
    ),
    "experience": (
        "experience",
        "work experience",
        "professional experience",
        "employment history",
        "work history",
        "employment",
        "career history",
        "relevant experience",
        "professional background",
        "experience details",
        "internship",
        "internships",
        "teaching experience",
        "research experience",
        "military experience",
        "designations & promotions",
        "designations and promotions",
    ),
    "education": (
        "education",
        "education and training",
        "educational background",
        "academic background",
        "academic qualifications",
        "educational qualifications",
        "qualifications and education",
        "education details",
        "academics",
        "academic profile",
        "education & training",
        "education and certifications",
        "educational qualification",
    ),
    "skills": (
        "skills",
        "technical skills",
        "key skills",
        "core skills",
        "skill set",
        "skillset",
        "core competencies",
        "competencies",
        "areas of expertise",
        "expertise",
        "highlights",
        "skill highlights",
        "it skills",
        "technical proficiencies",
        "technical expertise",
        "tools",
        "technologies",
        "tools and technologies",
        "technical summary",
        "strengths",
        "additional skills",
        "computer skills",
        "professional skills",
        "core qualifications",
        "key competencies",
        "software",
        "programming languages",
    ),
    "projects": ("projects", "key projects", "academic projects", "personal projects", "project"),
    "certifications": (
        "certifications",
        "certification",
        "certificates",
        "licenses",
        "licenses and certifications",
        "certifications and licenses",
        "professional certifications",
        "training",
        "courses",
    ),
    "languages": ("languages", "language skills", "languages known"),
    "awards": (
        "awards",
        "honors",
        "honors and awards",
        "awards and honors",
        "achievements",
        "accomplishments",
        "key achievements",
    ),
    "publications": ("publications", "research", "presentations"),
    "volunteer": (
        "volunteer",
        "volunteer experience",
        "volunteering",
        "community service",
        "affiliations",
        "professional affiliations",
        "memberships",
    ),
    "interests": ("interests", "hobbies", "hobbies and interests", "activities"),
    "references": ("references",),
    "additional": (
        "additional information",
        "other information",
        "personal details",
        "personal information",
        "interests and activities",
        "miscellaneous",
    ),
    "responsibilities": (
        "responsibilities",
        "key responsibilities",
        "what you will do",
        "what you'll do",
        "duties",
        "job duties",
        "the role",
        "role",
        "job description",
        "your role",
        "what you will be doing",
        "day to day",
        "essential duties and responsibilities",
    ),
    "requirements": (
        "requirements",
        "minimum qualifications",
        "basic qualifications",
        "qualifications",
        "required qualifications",
        "what you need",
        "what we are looking for",
        "what we're looking for",
        "required skills",
        "requirements and skills",
        "who you are",
        "must have",
        "you have",
        "job requirements",
        "minimum requirements",
    ),
    "preferred": (
        "preferred qualifications",
        "preferred",
        "nice to have",
        "bonus points",
        "pluses",
        "preferred skills",
        "desired qualifications",
        "desired skills",
        "bonus",
        "additional qualifications",
        "good to have",
    ),
    "benefits": ("benefits", "what we offer", "perks", "compensation", "perks and benefits"),
    "company": ("about us", "about the company", "who we are", "company overview", "about"),
}
for _label, _names in _GROUPS.items():
    for _name in _names:
        HEADINGS[_name] = _label

_MAX_HEADING_WORDS = 6
_NON_WORD = re.compile(r"[^a-z&'+ ]+")
_SPACES = re.compile(r"\s+")
_LINE = re.compile(r"[^\n]+")


def normalise_heading(line: str) -> str:
    """Lower-case a line and keep only the letters that headings are matched on."""
    text = _NON_WORD.sub(" ", line.lower().replace("’", "'"))
    return _SPACES.sub(" ", text).strip()


def heading_label(line: str) -> tuple[str, int] | None:
    """Return ``(label, length of the heading part)`` when ``line`` opens a section.

    'Experience', 'WORK EXPERIENCE:' and 'Skills: Python, SQL' open sections; 'Experience in
    Python' does not.
    """
    stripped = line.strip()
    if not stripped or len(stripped) > 80:
        return None
    head, colon, _rest = stripped.partition(":")
    candidate = head if colon else stripped
    if len(candidate.split()) > _MAX_HEADING_WORDS:
        return None
    label = HEADINGS.get(normalise_heading(candidate))
    if label is None:
        return None
    offset = line.index(stripped[0])
    return label, offset + len(candidate) + len(colon)


@dataclass(frozen=True)
class SectionSpan:
    """A section as character offsets: the heading and the body after it."""

    label: str
    heading: str
    start: int
    end: int
    body_start: int


def find_sections(text: str) -> list[SectionSpan]:
    """Split ``text`` into sections by its heading lines (the first may be ``header``)."""
    found: list[tuple[str, str, int, int]] = []
    for match in _LINE.finditer(text):
        result = heading_label(match.group())
        if result is not None:
            label, length = result
            heading = match.group()[:length].strip().rstrip(":").strip()
            found.append((label, heading, match.start(), match.start() + length))
    sections: list[SectionSpan] = []
    first = found[0][2] if found else len(text)
    if text[:first].strip():
        sections.append(SectionSpan("header", "", 0, first, 0))
    for index, (label, heading, start, body_start) in enumerate(found):
        end = found[index + 1][2] if index + 1 < len(found) else len(text)
        sections.append(SectionSpan(label, heading, start, end, body_start))
    return sections


@Language.factory("matching_sections", default_config={"spans_key": "sections"})
def make_sections(nlp: Language, name: str, spans_key: str) -> SectionDetector:
    """Build the section detector (registered as ``matching_sections``)."""
    return SectionDetector(spans_key=spans_key)


class SectionDetector:
    """Write one span per section into ``doc.spans[spans_key]`` (label = section label)."""

    def __init__(self, *, spans_key: str = "sections") -> None:
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for section in find_sections(doc.text):
            # span_id keeps the heading as written ('WORK EXPERIENCE')
            span = doc.char_span(
                section.start,
                section.end,
                label=section.label,
                span_id=section.heading,
                alignment_mode="expand",
            )
            if span is not None and len(span):
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc
