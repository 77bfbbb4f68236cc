"""Helpers both document parsers (resumes and requisitions) share."""

from __future__ import annotations

import hashlib

from spacy.tokens import Doc

from matching.parsing._documents import ExtractedText
from matching.schemas import DocumentInfo, Section


def sections_of(doc: Doc) -> list[Section]:
    """The sections the pipeline's ``matching_sections`` component found, as records."""
    return [
        Section(label=span.label_, heading=span.id_, start=span.start_char, end=span.end_char)
        for span in doc.spans["sections"]
    ]


def section_at(sections: list[Section], offset: int) -> str | None:
    """The label of the section holding character ``offset`` (None if none)."""
    return next((s.label for s in sections if s.start <= offset < s.end), None)


def document_info(extracted: ExtractedText | None, text: str) -> DocumentInfo:
    """Where a parsed text came from (a plain string when ``extracted`` is None)."""
    if extracted is None:
        return DocumentInfo(
            media_type="text/plain",
            characters=len(text),
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
    return DocumentInfo(
        path=extracted.path,
        media_type=extracted.media_type,
        sha256=extracted.sha256,
        pages=extracted.pages,
        characters=len(text),
    )
