"""The trained scoring pipeline: prepared documents → pair features → ranker → 0–100 + reasons."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import joblib
import numpy as np
from numpy.typing import ArrayLike, NDArray

from matching.errors import Errors, MatchingError
from matching.features import (
    BM25,
    FEATURE_NAMES,
    FEATURES,
    Featurizer,
    PreparedCandidate,
    PreparedRequisition,
    load_encoder,
)
from matching.ranking._calibration import ScoreCalibrator
from matching.ranking._knockouts import KnockoutRules
from matching.schemas import (
    Contribution,
    ExperienceCheck,
    NearMatch,
    Profile,
    Reasons,
    Requisition,
    ScoredCandidate,
)

FORMAT_VERSION = 1
_DESCRIPTIONS = {f.name: f.description for f in FEATURES}


def ranking_order(raw: NDArray[np.float64], candidates: Sequence[PreparedCandidate]) -> list[int]:
    """Indices of ``candidates`` best first; ties broken by candidate id (deterministic)."""
    return sorted(range(len(candidates)), key=lambda i: (-raw[i], candidates[i].candidate_id))


class Ranker(Protocol):
    """What every ranker offers (see ``matching.ranking``)."""

    def fit(self, X: ArrayLike, y: ArrayLike, *, group: ArrayLike) -> Any: ...
    def predict(self, X: ArrayLike) -> NDArray[np.float64]: ...
    def contributions(self, X: ArrayLike) -> NDArray[np.float64]: ...
    def feature_importances(self) -> dict[str, float]: ...


@dataclass
class CandidateRanker:
    """A fitted ranker with everything needed to score new pairs and explain the scores.

    Parameters
    ----------
    ranker
        A fitted ranker (``LightGBMRanker``, ``LinearRanker`` or a baseline).
    calibrator
        Fitted map from raw scores to 0–100.
    bm25
        Corpus statistics of the BM25 feature.
    embedding_model
        Name or path of the sentence-transformers model the features were computed with.
    knockouts
        Hard requirements reported beside the score.
    metadata
        Free-form facts about training (data fingerprints, metrics, dates).
    """

    ranker: Ranker
    calibrator: ScoreCalibrator
    bm25: BM25
    embedding_model: str
    knockouts: KnockoutRules = field(default_factory=KnockoutRules)
    metadata: dict[str, Any] = field(default_factory=dict)
    _featurizer: Featurizer | None = field(default=None, init=False, repr=False, compare=False)

    # -- pieces --------------------------------------------------------------------------
    def featurizer(self) -> Featurizer:
        """The featurizer matching this model (the encoder is loaded once)."""
        if self._featurizer is None:
            self._featurizer = Featurizer(load_encoder(self.embedding_model), self.bm25)
        return self._featurizer

    # -- scoring -------------------------------------------------------------------------
    def score_prepared(
        self,
        requisition: PreparedRequisition,
        requisition_text: str,
        candidates: Sequence[PreparedCandidate],
        *,
        explain: int = 5,
        model_name: str | None = None,
        model_version: str | None = None,
        knockouts: KnockoutRules | None = None,
    ) -> list[ScoredCandidate]:
        """Score, rank (1 = best) and explain ``candidates`` for one requisition.

        ``knockouts`` overrides the model's rules for this call; they never change a score.
        """
        rules = knockouts if knockouts is not None else self.knockouts
        if not candidates:
            return []
        featurizer = self.featurizer()
        X = featurizer.features(requisition, candidates)
        raw = self.ranker.predict(X)
        scores = self.calibrator.transform(raw)
        contributions = self.ranker.contributions(X) if explain else None
        order = ranking_order(raw, candidates)
        ranks = {index: rank for rank, index in enumerate(order, start=1)}
        req = requisition.requisition
        results = []
        for i, candidate in enumerate(candidates):
            reasons = self._reasons(
                featurizer,
                req,
                candidate,
                X[i],
                None if contributions is None else contributions[i],
                explain,
            )
            results.append(
                ScoredCandidate(
                    candidate_id=candidate.candidate_id,
                    score=float(scores[i]),
                    rank=ranks[i],
                    reasons=reasons,
                    knockouts=rules.check(req, requisition_text, candidate),
                    model_name=model_name,
                    model_version=model_version,
                )
            )
        return sorted(results, key=lambda r: r.rank)

    def score_texts(
        self,
        requisition_text: str,
        resumes: Sequence[tuple[str, str]],
        *,
        requisition: Requisition | None = None,
        profiles: Sequence[Profile] | None = None,
        **kwargs: Any,
    ) -> list[ScoredCandidate]:
        """Parse and score ``(candidate_id, resume_text)`` pairs for one posting text."""
        from matching.parsing import parse_requisition_text, parse_resume_text

        featurizer = self.featurizer()
        req = requisition or parse_requisition_text(requisition_text)
        parsed = profiles or [parse_resume_text(text) for _, text in resumes]
        prepared = featurizer.prepare_candidates(
            [(cid, text, profile) for (cid, text), profile in zip(resumes, parsed, strict=True)]
        )
        return self.score_prepared(
            featurizer.prepare_requisition(requisition_text, req),
            requisition_text,
            prepared,
            **kwargs,
        )

    def _reasons(
        self,
        featurizer: Featurizer,
        requisition: Requisition,
        candidate: PreparedCandidate,
        values: NDArray[np.float64],
        contributions: NDArray[np.float64] | None,
        explain: int,
    ) -> Reasons:
        required = featurizer.skill_match(requisition.required_skills, candidate)
        preferred = featurizer.skill_match(requisition.preferred_skills, candidate)
        years = candidate.profile.total_experience_years
        needed = requisition.min_years_experience
        experience = ExperienceCheck(
            candidate_years=years,
            required_years=needed,
            meets=None if years is None or needed is None else years >= needed,
        )
        parts: list[Contribution] = []
        if contributions is not None:
            order = np.argsort(-np.abs(contributions[: len(FEATURE_NAMES)]), kind="stable")
            for j in order[:explain]:
                if contributions[j] == 0:
                    continue
                value = float(values[j])
                parts.append(
                    Contribution(
                        feature=FEATURE_NAMES[j],
                        value=None if math.isnan(value) else round(value, 4),
                        contribution=round(float(contributions[j]), 4),
                        description=_DESCRIPTIONS[FEATURE_NAMES[j]],
                    )
                )
        total = len(required.matched) + len(required.near) + len(required.missing)
        summary = (
            f"{len(required.matched)} of {total} required skills"
            + (f" (+{len(required.near)} near)" if required.near else "")
            if total
            else "no required skills listed"
        )
        if needed is not None:
            summary += (
                f"; {years:g} years ({needed:g} required)"
                if years is not None
                else f"; years unknown ({needed:g} required)"
            )
        return Reasons(
            matched_skills=required.matched,
            near_skills=[NearMatch(required=a, found=b) for a, b in required.near],
            missing_skills=required.missing,
            matched_preferred=preferred.matched,
            missing_preferred=preferred.missing,
            experience=experience,
            contributions=parts,
            summary=summary,
        )

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: Path | str) -> Path:
        """Write the model (without the encoder, which is loaded by name) to ``path``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "format": FORMAT_VERSION,
            "features": list(FEATURE_NAMES),
            "ranker": self.ranker,
            "calibrator": self.calibrator,
            "bm25": self.bm25,
            "embedding_model": self.embedding_model,
            "knockouts": self.knockouts,
            "metadata": self.metadata,
        }
        joblib.dump(state, target, compress=3)
        return target

    @classmethod
    def load(cls, path: Path | str) -> CandidateRanker:
        """Read a model written by ``save``; refuses one built for other features."""
        try:
            state = joblib.load(Path(path))
        except (OSError, EOFError, ValueError) as exc:
            raise MatchingError(Errors.E302, uri=str(path), detail=str(exc)) from exc
        if state.get("features") != list(FEATURE_NAMES):
            raise MatchingError(
                Errors.E305, expected=list(FEATURE_NAMES), got=state.get("features")
            )
        return cls(
            ranker=state["ranker"],
            calibrator=state["calibrator"],
            bm25=state["bm25"],
            embedding_model=state["embedding_model"],
            knockouts=state["knockouts"],
            metadata=state["metadata"],
        )
