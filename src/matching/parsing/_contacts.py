"""Contact details: e-mail addresses, phone numbers and profile links, found by patterns.

Patterns beat a statistical model here: the formats are regular, and a missed digit is worse
than a missed name. Phone numbers must have 7-15 digits and must not look like a date range
('2012 - 2016') or a year list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)
# Profile and portfolio links; a bare domain counts only for well-known profile hosts, since
# 'Node.js' or 'ASP.NET' would otherwise read as links.
URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()]+"
    r"|\b(?:[a-z]{2,3}\.)?(?:linkedin\.com|github\.com|gitlab\.com|bitbucket\.org|behance\.net|"
    r"dribbble\.com|stackoverflow\.com|medium\.com|twitter\.com|x\.com|kaggle\.com|indeed\.com)"
    r"/[^\s<>\"'()]+",
    re.IGNORECASE,
)
# DataTurks-style resumes wrap Indeed handles across lines: 'indeed.com/r/Jay-\nMadhavi/1e7d..'
_WRAPPED_HANDLE = re.compile(
    r"(indeed\.com/r/[A-Za-z0-9-]*-)\s*\n\s*([A-Za-z0-9-]+/[0-9a-f]{6,})"
    r"|(indeed\.com/r/[A-Za-z0-9-]+/)\s*\n\s*([0-9a-f]{6,})"
)
PHONE = re.compile(
    r"(?<![\w/.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,16}\d(?![\w/-])"
)
_YEAR_RANGE = re.compile(r"^(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}$")


@dataclass(frozen=True)
class Contact:
    """A contact detail found at character offsets ``start:end``."""

    kind: str  # "EMAIL", "PHONE" or "URL"
    value: str
    start: int
    end: int


def _phone_value(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
    if not 7 <= len(digits) <= 15 or _YEAR_RANGE.match(raw.strip()):
        return None
    if re.fullmatch(r"(?:19|20)\d{2}", digits[:4]) and len(digits) == 8 and "-" in raw:
        return None  # an ISO date ('1999-12-31') or a year glued to digits ('2011-0315')
    if re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", raw.strip()):
        return None  # a date
    return ("+" if raw.strip().startswith("+") else "") + digits


def find_contacts(text: str) -> list[Contact]:
    """Return the e-mails, phone numbers and links in ``text`` in order of appearance."""
    found: list[Contact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in EMAIL.finditer(text):
        found.append(Contact("EMAIL", match.group().lower(), match.start(), match.end()))
        taken.append(match.span())
    for match in _WRAPPED_HANDLE.finditer(text):
        value = "".join(part for part in match.groups() if part)
        found.append(Contact("URL", value, match.start(), match.end()))
        taken.append(match.span())
    for match in URL.finditer(text):
        if free(*match.span()):
            value = match.group().rstrip(".,;:")
            found.append(Contact("URL", value, match.start(), match.start() + len(value)))
            taken.append(match.span())
    for match in PHONE.finditer(text):
        if free(*match.span()):
            phone = _phone_value(match.group())
            if phone is not None:
                found.append(Contact("PHONE", phone, match.start(), match.end()))
                taken.append(match.span())
    return sorted(found, key=lambda contact: contact.start)


@Language.factory("matching_contacts", default_config={"spans_key": "contacts"})
def make_contacts(nlp: Language, name: str, spans_key: str) -> ContactFinder:
    """Build the contact finder (registered as ``matching_contacts``)."""
    return ContactFinder(spans_key=spans_key)


class ContactFinder:
    """Write e-mail, phone and link spans into ``doc.spans[spans_key]`` (kb_id = value)."""

    def __init__(self, *, spans_key: str = "contacts") -> None:
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for contact in find_contacts(doc.text):
            span = doc.char_span(
                contact.start,
                contact.end,
                label=contact.kind,
                kb_id=contact.value,
                alignment_mode="expand",
            )
            if span is not None:
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc
