"""Pair features: how well one candidate fits one requisition, as a fixed vector of numbers.

No protected attribute and no obvious proxy enters: names, contacts and gendered pronouns are
removed from the text (``neutralise``); graduation years and dates of birth are never read;
experience counts only up to five years beyond the requirement, so that it cannot stand in
for age.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matching.features._bm25 import BM25, tokenize
from matching.features._chunks import feature_text
from matching.features._encoder import DocumentEmbedding, Encoder, Vector, embed_documents
from matching.features._neutral import identity_names, neutralise
from matching.schemas import Profile, Requisition, Skill
from matching.taxonomy import (
    SkillRelations,
    load_occupations,
    load_skill_relations,
    normalize_term,
)

EDUCATION_ORDER = {
    "other": 0,
    "diploma": 1,
    "associate": 2,
    "bachelor": 3,
    "master": 4,
    "doctorate": 5,
}
NEAR_CREDIT = 0.5


@dataclass(frozen=True)
class FeatureSpec:
    """One pair feature: its name, the direction it may move a score, and what it means."""

    name: str
    monotone: Literal[-1, 0, 1]
    description: str


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("sim_whole", 1, "semantic similarity of the whole resume to the posting"),
    FeatureSpec("sim_best_chunk", 1, "best match between a resume passage and a posting passage"),
    FeatureSpec("sim_top3", 1, "mean of the three best-matching resume passages"),
    FeatureSpec("sim_experience", 1, "similarity of the experience section to the posting"),
    FeatureSpec("sim_skills", 1, "similarity of the skills section to the posting"),
    FeatureSpec("sim_summary", 1, "similarity of the summary to the posting"),
    FeatureSpec("sim_title", 1, "similarity of the candidate's job titles to the posting's title"),
    FeatureSpec("required_coverage", 1, "share of required skills found (same concept)"),
    FeatureSpec("required_coverage_near", 1, "share of required skills found or near-matched"),
    FeatureSpec("preferred_coverage", 1, "share of preferred skills found (same concept)"),
    FeatureSpec("preferred_coverage_near", 1, "share of preferred skills found or near-matched"),
    FeatureSpec("skill_text_coverage", 1, "share of the posting's skills named in the resume text"),
    FeatureSpec("n_required", 0, "number of required skills in the posting"),
    FeatureSpec("years_gap", 1, "years of experience beyond the requirement (capped at 5)"),
    FeatureSpec("education_gap", 1, "education level against the requirement"),
    FeatureSpec("location_match", 1, "candidate's location against the posting's"),
    FeatureSpec("occupation_match", 1, "a past job title maps to the posting's occupation"),
    FeatureSpec("bm25", 1, "keyword relevance (BM25) of the resume to the posting"),
    FeatureSpec("bm25_norm", 1, "keyword relevance relative to the best possible"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
_NAN = float("nan")


@dataclass(frozen=True)
class PreparedCandidate:
    """What pair features need from one candidate, computed once."""

    candidate_id: str
    profile: Profile
    embedding: DocumentEmbedding
    titles: Vector
    concepts: frozenset[str]
    text_terms: frozenset[str]
    normalized_text: str
    term_counts: Counter[str]
    length: int
    occupations: frozenset[str]


@dataclass(frozen=True)
class PreparedRequisition:
    """What pair features need from one requisition, computed once."""

    requisition: Requisition
    embedding: DocumentEmbedding
    title: Vector | None
    query: tuple[str, ...]
    bm25_max: float


@dataclass(frozen=True)
class SkillMatch:
    """Required (or preferred) skills split into matched, near-matched and missing labels."""

    matched: list[str]
    near: list[tuple[str, str]]
    missing: list[str]


_DEGREE = re.compile(r"\b(?:degree|diploma|bachelor|master|ph\.?d|mba|bsc|msc|ba|bs|ms)\b", re.I)
MAX_UNLINKED_WORDS = 3


def countable(skill: Skill) -> bool:
    """Whether a posting's skill counts for coverage and reasons.

    A skill linked to a taxonomy concept always counts. A span the tagger found but no
    vocabulary covers ("Airflow", "dbt") counts when it is short and not a degree: longer
    unlinked spans are mostly phrases ("build and operate data pipelines") that no resume
    repeats word for word, and degrees are compared by the education feature.
    """
    if skill.concept_id:
        return True
    text = skill.source.text or skill.label
    return len(text.split()) <= MAX_UNLINKED_WORDS and not _DEGREE.search(text)


@lru_cache(maxsize=65_536)
def _skill_text(label: str) -> str:
    # Cached: the same posting skills are compared with every candidate of a pool.
    return " " + normalize_term(label) + " "


def _location_key(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    parts = [p.strip().lower() for p in re.split(r"[,;/|]", value) if p.strip()]
    return tuple(p for p in parts if p not in {"city", "state", "remote"})


def keyword_text(text: str, profile: Profile) -> str:
    """What keyword features (BM25, skill names) read: no skipped sections, neutralised."""
    return neutralise(
        feature_text(text, profile.sections), names=identity_names(text, profile.name)
    )


def location_match(candidate: str | None, requisition: Requisition) -> float:
    """1 same city, 0.5 same region, 0 elsewhere; NaN unknown or when the job is remote."""
    if requisition.remote == "remote":
        return _NAN
    theirs, ours = _location_key(candidate), _location_key(requisition.location)
    if not theirs or not ours:
        return _NAN
    if theirs[0] == ours[0]:
        return 1.0
    return 0.5 if set(theirs[1:]) & set(ours[1:]) else 0.0


def _max_or_nan(values: NDArray[np.float32]) -> float:
    return float(values.max()) if values.size else _NAN


class Featurizer:
    """Turns (requisition, candidate) pairs into the ``FEATURE_NAMES`` vector.

    Parameters
    ----------
    encoder
        The sentence-transformers encoder.
    bm25
        A fitted ``BM25`` (corpus statistics are part of the trained model).
    relations
        Near-match relations between skill concepts; the shipped ones by default.
    """

    def __init__(
        self, encoder: Encoder, bm25: BM25, *, relations: SkillRelations | None = None
    ) -> None:
        self.encoder = encoder
        self.bm25 = bm25
        self.relations = relations if relations is not None else load_skill_relations()

    # -- preparation -------------------------------------------------------------------
    def prepare_candidates(
        self,
        items: Sequence[tuple[str, str, Profile]],
        *,
        embeddings: Sequence[DocumentEmbedding] | None = None,
        show_progress: bool = False,
    ) -> list[PreparedCandidate]:
        """Prepare ``(candidate_id, text, profile)`` items (embeddings computed unless given)."""
        if embeddings is None:
            embeddings = embed_documents(
                self.encoder,
                [(text, profile.sections) for _, text, profile in items],
                names=[profile.name for _, _, profile in items],
                show_progress=show_progress,
            )
        titles = [self._titles(profile) for _, _, profile in items]
        flat = [t for group in titles for t in group]
        title_vectors = self.encoder.encode(flat) if flat else np.zeros((0, 1), np.float32)
        occupations = load_occupations()
        prepared: list[PreparedCandidate] = []
        offset = 0
        for (candidate_id, text, profile), embedding, group in zip(
            items, embeddings, titles, strict=True
        ):
            clean = keyword_text(text, profile)
            tokens = tokenize(clean)
            found = (occupations.match(t) for t in group)
            prepared.append(
                PreparedCandidate(
                    candidate_id=candidate_id,
                    profile=profile,
                    embedding=embedding,
                    titles=title_vectors[offset : offset + len(group)],
                    concepts=frozenset(s.concept_id for s in profile.skills if s.concept_id),
                    text_terms=frozenset(tokens),
                    normalized_text=" " + normalize_term(clean) + " ",
                    term_counts=Counter(tokens),
                    length=len(tokens),
                    occupations=frozenset(o.concept_id for o in found if o is not None),
                )
            )
            offset += len(group)
        return prepared

    @staticmethod
    def _titles(profile: Profile) -> list[str]:
        seen: dict[str, None] = {}
        for title in [*profile.titles, *(e.title for e in profile.experience)]:
            if title and title.lower() not in seen:
                seen[title.lower()] = None
        return list(seen)[:6]

    def prepare_requisition(self, text: str, requisition: Requisition) -> PreparedRequisition:
        """Prepare one requisition (its chunks, title vector and BM25 query)."""
        embedding = embed_documents(self.encoder, [(text, requisition.sections)])[0]
        title = requisition.title or (
            requisition.occupation.label if requisition.occupation else None
        )
        query = tuple(tokenize(neutralise(text)))
        return PreparedRequisition(
            requisition=requisition,
            embedding=embedding,
            title=self.encoder.encode([title])[0] if title else None,
            query=query,
            bm25_max=self.bm25.max_score(query),
        )

    # -- skills ------------------------------------------------------------------------
    def skill_match(self, skills: Sequence[Skill], candidate: PreparedCandidate) -> SkillMatch:
        """Which of ``skills`` the candidate has, has a near match for, or lacks."""
        matched: list[str] = []
        near: list[tuple[str, str]] = []
        missing: list[str] = []
        seen: set[str] = set()
        for skill in filter(countable, skills):
            key = skill.concept_id or skill.label.lower()
            if key in seen:
                continue
            seen.add(key)
            # Reasons use the posting's own words ("AWS"), not the concept's label.
            shown = skill.source.text.strip() or skill.label
            if (skill.concept_id and skill.concept_id in candidate.concepts) or (
                _skill_text(skill.label) in candidate.normalized_text
                or _skill_text(skill.source.text) in candidate.normalized_text
            ):
                matched.append(shown)
                continue
            related = (
                self.relations.near(skill.concept_id) & candidate.concepts
                if skill.concept_id
                else frozenset()
            )
            if related:
                label = next(
                    (s.label for s in candidate.profile.skills if s.concept_id in related), ""
                )
                near.append((shown, label))
            else:
                missing.append(shown)
        return SkillMatch(matched=matched, near=near, missing=missing)

    def _coverage(
        self, skills: Sequence[Skill], candidate: PreparedCandidate
    ) -> tuple[float, float]:
        match = self.skill_match(skills, candidate)
        total = len(match.matched) + len(match.near) + len(match.missing)
        if total == 0:
            return _NAN, _NAN
        exact = len(match.matched) / total
        return exact, exact + NEAR_CREDIT * len(match.near) / total

    # -- features ----------------------------------------------------------------------
    def features(
        self, requisition: PreparedRequisition, candidates: Sequence[PreparedCandidate]
    ) -> NDArray[np.float64]:
        """An ``(len(candidates), len(FEATURE_NAMES))`` matrix (NaN where unknown)."""
        out = np.full((len(candidates), len(FEATURE_NAMES)), np.nan, dtype=np.float64)
        req = requisition.requisition
        req_vectors = requisition.embedding.vectors
        req_whole = requisition.embedding.whole
        all_skills = [s for s in (*req.required_skills, *req.preferred_skills) if countable(s)]
        req_level = EDUCATION_ORDER.get(req.education_level or "")
        for row, cand in enumerate(candidates):
            vectors = cand.embedding.vectors
            labels = np.array([c.label for c in cand.embedding.chunks])
            to_whole = vectors @ req_whole if len(vectors) else np.zeros(0, np.float32)
            pairwise = (
                req_vectors @ vectors.T
                if len(vectors) and len(req_vectors)
                else np.zeros((0, 0), np.float32)
            )
            best_per_chunk = pairwise.max(axis=0) if pairwise.size else np.zeros(0, np.float32)
            required = self._coverage(req.required_skills, cand)
            preferred = self._coverage(req.preferred_skills, cand)
            named = [
                s
                for s in all_skills
                if _skill_text(s.label) in cand.normalized_text
                or _skill_text(s.source.text) in cand.normalized_text
            ]
            years = cand.profile.total_experience_years
            levels = [EDUCATION_ORDER[e.level] for e in cand.profile.education if e.level]
            bm25 = self.bm25.score_counts(requisition.query, cand.term_counts, cand.length)
            out[row] = (
                float(req_whole @ cand.embedding.whole),
                _max_or_nan(pairwise),
                float(np.sort(best_per_chunk)[-3:].mean()) if best_per_chunk.size else _NAN,
                _max_or_nan(to_whole[labels == "experience"]) if len(labels) else _NAN,
                _max_or_nan(to_whole[labels == "skills"]) if len(labels) else _NAN,
                _max_or_nan(to_whole[labels == "summary"]) if len(labels) else _NAN,
                _max_or_nan(cand.titles @ requisition.title)
                if requisition.title is not None and len(cand.titles)
                else _NAN,
                required[0],
                required[1],
                preferred[0],
                preferred[1],
                len(named) / len(all_skills) if all_skills else _NAN,
                float(sum(map(countable, req.required_skills))),
                min(5.0, max(-10.0, years - req.min_years_experience))
                if years is not None and req.min_years_experience is not None
                else _NAN,
                min(1.0, max(-3.0, max(levels) - req_level))
                if levels and req_level is not None
                else _NAN,
                location_match(cand.profile.location, req),
                (1.0 if req.occupation.concept_id in cand.occupations else 0.0)
                if req.occupation is not None and cand.occupations
                else _NAN,
                bm25,
                bm25 / requisition.bm25_max if requisition.bm25_max > 0 else _NAN,
            )
        return out


def feature_index(name: str) -> int:
    """Column of feature ``name`` in the feature matrix."""
    return FEATURE_NAMES.index(name)


def is_missing(value: float) -> bool:
    """True for the NaN that marks an unknown feature."""
    return math.isnan(value)
