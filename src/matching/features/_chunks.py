"""Split a document into section-aware chunks that fit the embedding model's window."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from matching.schemas import Section

# Sections that say nothing about fit for a job and may carry protected information
# (hobbies hint at religion or age; references are other people's names and contacts).
SKIPPED_SECTIONS = frozenset({"interests", "references"})
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    """A piece of a document: the section it came from, its position, and its text."""

    label: str
    index: int
    text: str


def _windows(text: str, max_words: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_words`` words, balanced in length."""
    words = _WORD.findall(text)
    if not words:
        return []
    pieces = -(-len(words) // max_words)
    size = -(-len(words) // pieces)
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def chunk_document(text: str, sections: Sequence[Section], *, max_words: int = 150) -> list[Chunk]:
    """Chunks of ``text`` by section (``header`` before the first one), each ≤ ``max_words``.

    Nothing is silently truncated: a long section becomes several chunks. Sections in
    ``SKIPPED_SECTIONS`` are left out.
    """
    parts: list[tuple[str, str]] = []
    ordered = sorted(sections, key=lambda s: s.start)
    first = ordered[0].start if ordered else len(text)
    if text[:first].strip():
        parts.append(("header" if ordered else "body", text[:first]))
    for section in ordered:
        if section.label not in SKIPPED_SECTIONS:
            parts.append((section.label, text[section.start : section.end]))
    chunks: list[Chunk] = []
    for label, part in parts:
        for piece in _windows(part, max_words):
            chunks.append(Chunk(label=label, index=len(chunks), text=piece))
    return chunks


def feature_text(text: str, sections: Sequence[Section]) -> str:
    """``text`` without the ``SKIPPED_SECTIONS`` (what keyword features may read)."""
    cut = sorted((s.start, s.end) for s in sections if s.label in SKIPPED_SECTIONS)
    if not cut:
        return text
    parts, position = [], 0
    for start, end in cut:
        parts.append(text[position:start])
        position = max(position, end)
    parts.append(text[position:])
    return "\n".join(parts)
