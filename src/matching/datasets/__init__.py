"""Readers of the labelled data sets in ``../shared/data`` (never shipped with the package).

``load_dataturks`` reads resumes with field spans (DataTurks); ``load_skillspan`` reads job
posting sentences with skill and knowledge spans (SkillSpan). ``load_livecareer``,
``load_job_postings`` and ``load_occupation_profiles`` read resumes and requisitions for the
ranker, whose weak graded labels come from ``load_weak_labels`` and ``build_ranking_pairs``;
``split_by_group`` splits resumes and requisitions, never pairs.
"""

from __future__ import annotations

from matching.datasets._ranking import (
    GLASSDOOR_CATEGORY,
    LIVECAREER_CATEGORIES,
    PAIR_KINDS,
    SPLIT_NAMES,
    GroupSplit,
    JobPosting,
    LabelledResume,
    SplitPart,
    WeakLabelMapping,
    build_ranking_pairs,
    clean_resume_text,
    drop_duplicate_texts,
    load_job_postings,
    load_livecareer,
    load_occupation_profiles,
    load_weak_labels,
    pairs_in_split,
    sample_per_category,
    split_by_group,
)
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
    "GLASSDOOR_CATEGORY",
    "LABEL_MAP",
    "LIVECAREER_CATEGORIES",
    "NER_LABELS",
    "PAIR_KINDS",
    "SPLIT_NAMES",
    "SPLIT_SEED",
    "AlignmentStats",
    "AnnotatedResume",
    "GroupSplit",
    "JobPosting",
    "LabelledResume",
    "SkillSpanCounts",
    "Span",
    "SplitPart",
    "TaggedSentence",
    "TokenSpan",
    "WeakLabelMapping",
    "alignment_stats",
    "bio_to_spans",
    "build_ranking_pairs",
    "clean_resume_text",
    "count_skillspan",
    "drop_duplicate_texts",
    "load_dataturks",
    "load_job_postings",
    "load_livecareer",
    "load_occupation_profiles",
    "load_skillspan",
    "load_weak_labels",
    "pairs_in_split",
    "sample_per_category",
    "split_by_group",
    "split_dataturks",
]
