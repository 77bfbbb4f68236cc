"""Readers of the labelled data sets in ``../shared/data`` (never shipped with the package).

``load_dataturks`` reads resumes with field spans (DataTurks); ``load_skillspan`` reads job
posting sentences with skill and knowledge spans (SkillSpan).
"""

from __future__ import annotations

from matching.datasets._resume_ner import (
    LABEL_MAP,
    NER_LABELS,
    SPLIT_SEED,
    AlignmentStats,
    AnnotatedResume,
    Span,
    alignment_stats,
    load_dataturks,
    split_dataturks,
)
from matching.datasets._skillspan import (
    DOMAINS,
    SkillSpanCounts,
    TaggedSentence,
    TokenSpan,
    bio_to_spans,
    count_skillspan,
    load_skillspan,
)

__all__ = [
    "DOMAINS",
    "LABEL_MAP",
    "NER_LABELS",
    "SPLIT_SEED",
    "AlignmentStats",
    "AnnotatedResume",
    "SkillSpanCounts",
    "Span",
    "TaggedSentence",
    "TokenSpan",
    "alignment_stats",
    "bio_to_spans",
    "count_skillspan",
    "load_dataturks",
    "load_skillspan",
    "split_dataturks",
]
