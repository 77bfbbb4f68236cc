"""The DataTurks resume NER data set: loading, span repair and a deterministic split.

The source (``traindata.json``, one JSON object a line) holds 200 Indeed resumes with labelled
character spans. Its offsets need repair before a model can learn from them:

* ``end`` is inclusive; here every ``end`` is exclusive.
* About 7% of spans point a few characters before their text. The cause is that the content
  keeps HTML character references (``&amp;``, ``&lt;``, ``&gt;``) while the offsets were
  counted on the decoded text, so each earlier ``&amp;`` moves a span by 4. The loader decodes
  the references, which puts those spans back in place; any span whose offsets still do not
  select its text is moved to the nearest exact occurrence of that text.
* Many spans carry leading or trailing whitespace, or a dangling separator ("Bengaluru,"),
  which is trimmed.
* A few spans overlap. The NER view (``AnnotatedResume.spans``) keeps, of overlapping spans,
  the longest one (then the earliest, then the first label in ``NER_LABELS``); spans that run
  across a blank line are annotation slips (a degree that swallows the next paragraph) and are
  left out of it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from matching.errors import ConfigError, Errors

LABEL_MAP: Mapping[str, str] = MappingProxyType(
    {
        "Name": "NAME",
        "Designation": "TITLE",
        "Companies worked at": "COMPANY",
        "College Name": "INSTITUTION",
        "Degree": "DEGREE",
        "Graduation Year": "GRAD_YEAR",
        "Location": "LOCATION",
        "Email Address": "EMAIL",
        "Skills": "SKILLS",
        "Years of Experience": "YEARS_EXPERIENCE",
    }
)
"""DataTurks label → our label. Labels not listed (``UNKNOWN``, empty) are dropped."""

NER_LABELS: tuple[str, ...] = (
    "NAME",
    "TITLE",
    "COMPANY",
    "INSTITUTION",
    "DEGREE",
    "GRAD_YEAR",
    "LOCATION",
)
"""The labels the field extractor learns. E-mails come from patterns and skills from the
taxonomy matcher, so ``EMAIL``, ``SKILLS`` and ``YEARS_EXPERIENCE`` are kept for evaluation
(``AnnotatedResume.annotations``) but not trained."""

SPLIT_SEED = 2024
"""The default seed of ``split_dataturks``: training and the benchmark both use it."""

_CHAR_REF = re.compile(r"&(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_EDGE = " \t\r\n\f\v\u00a0,;:|•·◦▪●❖*-–—"
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span ``text[start:end]`` (``end`` exclusive)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class AlignmentStats:
    """What the loader did to the source spans (summed over documents with ``+``).

    Attributes
    ----------
    read
        Spans (``points``) read from the source.
    realigned
        Spans whose given offsets did not select their text in the source content and that
        were moved (``searched`` of them by searching the nearest occurrence; the rest were
        placed by decoding HTML character references).
    searched
        Spans placed by searching the nearest exact occurrence of their text.
    trimmed
        Spans with leading or trailing whitespace or separators, trimmed.
    dropped_label
        Spans with no label, ``UNKNOWN``, or a label not in ``LABEL_MAP``.
    dropped_unaligned
        Spans whose text was found nowhere in the document.
    dropped_duplicate
        Spans identical to another one (same offsets and label).
    dropped_blank_line
        NER spans that run across a blank line (left out of ``spans`` only).
    dropped_overlap
        NER spans that overlap a longer one (left out of ``spans`` only).
    """

    read: int = 0
    realigned: int = 0
    searched: int = 0
    trimmed: int = 0
    dropped_label: int = 0
    dropped_unaligned: int = 0
    dropped_duplicate: int = 0
    dropped_blank_line: int = 0
    dropped_overlap: int = 0

    def __add__(self, other: AlignmentStats) -> AlignmentStats:
        return AlignmentStats(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class AnnotatedResume:
    """One resume with repaired spans.

    Attributes
    ----------
    doc_id
        SHA-1 (hex) of the source ``content`` string, UTF-8 encoded.
    text
        The content with HTML character references decoded; all offsets refer to it.
    spans
        The NER view: non-overlapping spans with labels in ``NER_LABELS``, sorted.
    annotations
        Every kept span with its mapped label (``EMAIL`` and ``SKILLS`` included), sorted;
        these may overlap. Use them as gold values for evaluation.
    stats
        What the loader did to this document's spans.
    """

    doc_id: str
    text: str
    spans: tuple[Span, ...]
    annotations: tuple[Span, ...]
    stats: AlignmentStats = field(default_factory=AlignmentStats, compare=False)

    def values(self, label: str) -> list[str]:
        """Return the texts of the annotations labelled ``label``, in document order."""
        return [self.text[s.start : s.end] for s in self.annotations if s.label == label]


def load_dataturks(path: str | Path) -> list[AnnotatedResume]:
    """Read the DataTurks ``traindata.json`` and repair its spans.

    Parameters
    ----------
    path
        The JSON-lines file, or the folder that holds ``traindata.json``.

    Returns
    -------
    list of AnnotatedResume
        One per source line, in file order (the source has duplicates; they share a
        ``doc_id``).

    Raises
    ------
    ConfigError
        E200 when the file does not exist, E204 when a line lacks ``content``.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "traindata.json"
    if not path.is_file():
        raise ConfigError(Errors.E200, path=path)
    docs = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("content"), str):
                raise ConfigError(Errors.E204, path=path, detail=f"line {number}: 'content'")
            docs.append(parse_record(record))
    return docs


def parse_record(record: Mapping[str, Any]) -> AnnotatedResume:
    """Build one ``AnnotatedResume`` from a source record (``content``, ``annotation``)."""
    content = str(record["content"])
    text = decode_char_refs(content)
    counts = dict.fromkeys((f.name for f in fields(AlignmentStats)), 0)
    kept: set[Span] = set()
    annotation = record.get("annotation") or []
    for item in annotation if isinstance(annotation, list) else []:
        labels = item.get("label") or []
        label = LABEL_MAP.get(labels[0]) if len(labels) == 1 else None
        for point in item.get("points") or []:
            counts["read"] += 1
            if label is None:
                counts["dropped_label"] += 1
                continue
            start, end, given = int(point["start"]), int(point["end"]) + 1, str(point["text"])
            located = locate(text, given, start)
            if located is None:
                counts["dropped_unaligned"] += 1
                continue
            counts["realigned"] += content[start:end] != given
            counts["searched"] += not text.startswith(given, start)
            trimmed = trim(text, *located)
            if trimmed is None:
                counts["dropped_unaligned"] += 1
                continue
            counts["trimmed"] += trimmed != located
            span = Span(trimmed[0], trimmed[1], label)
            if span in kept:
                counts["dropped_duplicate"] += 1
            kept.add(span)
    annotations = tuple(sorted(kept))
    ner = [s for s in annotations if s.label in NER_LABELS]
    crossing = [s for s in ner if _BLANK_LINE.search(text, s.start, s.end)]
    counts["dropped_blank_line"] = len(crossing)
    spans = resolve_overlaps([s for s in ner if s not in crossing])
    counts["dropped_overlap"] = len(ner) - len(crossing) - len(spans)
    doc_id = hashlib.sha1(content.encode("utf-8")).hexdigest()
    return AnnotatedResume(doc_id, text, spans, annotations, AlignmentStats(**counts))


def decode_char_refs(content: str) -> str:
    """Decode HTML character references (``&amp;``, ``&lt;``, ``&#39;`` …) only."""
    return _CHAR_REF.sub(lambda match: html.unescape(match.group()), content)


def locate(text: str, given: str, start: int) -> tuple[int, int] | None:
    """Return ``(start, end)`` of ``given`` in ``text``: at ``start`` or its nearest occurrence.

    When ``given`` occurs nowhere, its whitespace-stripped form is searched instead. Ties go to
    the later occurrence (the shifts in the source all point too early). ``None`` when the
    text is not found at all.
    """
    if not given.strip():
        return None
    for needle in (given, given.strip()):
        if text.startswith(needle, start):
            return start, start + len(needle)
        found = [m.start() for m in re.finditer(re.escape(needle), text)]
        if found:
            best = min(found, key=lambda at: (abs(at - start), -at))
            return best, best + len(needle)
    return None


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Move ``start``/``end`` inwards past whitespace and separators; ``None`` if empty."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return (start, end) if start < end else None


def resolve_overlaps(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Keep the longest of overlapping spans (then the earliest, then by ``NER_LABELS``)."""
    rank = {label: i for i, label in enumerate(NER_LABELS)}
    kept: list[Span] = []
    ordered = sorted(spans, key=lambda s: (s.start - s.end, s.start, rank.get(s.label, 99)))
    for span in ordered:
        if all(span.end <= k.start or k.end <= span.start for k in kept):
            kept.append(span)
    return tuple(sorted(kept))


def alignment_stats(docs: Iterable[AnnotatedResume]) -> AlignmentStats:
    """Sum the per-document ``AlignmentStats``."""
    total = AlignmentStats()
    for doc in docs:
        total = total + doc.stats
    return total


def split_key(doc: AnnotatedResume) -> str:
    """The grouping key of a resume: its person's normalised name, else its ``doc_id``.

    The source holds the same person's resume up to three times (re-uploads with small
    edits); grouping by name keeps them on one side of the split.
    """
    names = [doc.text[s.start : s.end] for s in doc.annotations if s.label == "NAME"]
    if names:
        return _SPACE.sub(" ", names[0]).strip().lower()
    return doc.doc_id


def split_dataturks(
    docs: Sequence[AnnotatedResume], *, test_fraction: float = 0.2, seed: int = SPLIT_SEED
) -> tuple[list[AnnotatedResume], list[AnnotatedResume]]:
    """Split resumes into ``(train, test)`` by a hash of their content, not by position.

    A resume goes to test when ``sha1(f"{seed}:{split_key(doc)}")``, read as a number in
    [0, 1), is below ``test_fraction``. Its side therefore depends on nothing but its own
    content and the seed: the same on every machine, whatever the order or the other
    documents, and the test share is ``test_fraction`` in expectation.

    Raises
    ------
    ValueError
        When ``test_fraction`` is not in [0, 1].
    """
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction must be in [0, 1], got {test_fraction!r}")
    train: list[AnnotatedResume] = []
    test: list[AnnotatedResume] = []
    for doc in docs:
        (test if hash_fraction(split_key(doc), seed=seed) < test_fraction else train).append(doc)
    return train, test


def hash_fraction(key: str, *, seed: int) -> float:
    """Map ``key`` and ``seed`` to a number in [0, 1) by SHA-1 (stable across machines)."""
    digest = hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()
    return int(digest[:13], 16) / 16**13


__all__ = [
    "LABEL_MAP",
    "NER_LABELS",
    "SPLIT_SEED",
    "AlignmentStats",
    "AnnotatedResume",
    "Span",
    "alignment_stats",
    "load_dataturks",
    "split_dataturks",
]
