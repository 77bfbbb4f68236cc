"""Shortlists over a stored pool: embedding retrieval of the nearest, then the trained ranker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.features import (
    Chunk,
    DocumentEmbedding,
    PreparedCandidate,
    PreparedRequisition,
)
from matching.ranking._knockouts import KnockoutRules
from matching.ranking._model import CandidateRanker, ranking_order
from matching.schemas import Requisition, ScoredCandidate

Preparer = Callable[[Sequence[int]], list[PreparedCandidate]]


@dataclass(frozen=True)
class Shortlist:
    """The top of a pool for one requisition."""

    results: list[ScoredCandidate]
    pool_size: int
    retrieved: int


class Shortlister:
    """Ranks a pool for a requisition in two stages.

    1. Retrieval: cosine of the requisition's vector with every candidate's whole-document
       vector (one matrix product), keeping the ``retrieve`` nearest.
    2. Re-ranking: pair features and the trained ranker on those, with reasons.

    Parameters
    ----------
    model
        The trained pipeline.
    candidate_ids
        One id per row of ``whole``.
    whole
        ``(n, dim)`` unit-length vectors of the pool.
    prepare
        Builds prepared candidates for pool rows (called only for retrieved rows; cached).
    retrieve
        How many candidates the second stage scores.
    """

    def __init__(
        self,
        model: CandidateRanker,
        *,
        candidate_ids: Sequence[str],
        whole: NDArray[np.float32],
        prepare: Preparer,
        retrieve: int = 200,
    ) -> None:
        self.model = model
        self.candidate_ids = list(candidate_ids)
        self.whole = np.ascontiguousarray(whole, dtype=np.float32)
        self.prepare = prepare
        self.retrieve = retrieve
        self._prepared: dict[int, PreparedCandidate] = {}

    @classmethod
    def from_pool(cls, model: CandidateRanker, pool: object, *, retrieve: int = 200) -> Shortlister:
        """A shortlister over a ``matching.store.Pool`` (vectors reused, nothing re-embedded)."""
        from matching.store import Pool

        if not isinstance(pool, Pool):
            raise TypeError("pool must be a matching.store.Pool")
        featurizer = model.featurizer()

        def prepare(rows: Sequence[int]) -> list[PreparedCandidate]:
            embeddings = []
            for row in rows:
                labels, vectors = pool.chunks_of(row)
                chunks = [Chunk(label, i, "") for i, label in enumerate(labels)]
                embeddings.append(
                    DocumentEmbedding(chunks=chunks, vectors=vectors, whole=pool.whole[row])
                )
            return featurizer.prepare_candidates(
                [(pool.candidate_ids[r], pool.texts[r], pool.profiles[r]) for r in rows],
                embeddings=embeddings,
            )

        return cls(
            model,
            candidate_ids=pool.candidate_ids,
            whole=pool.whole,
            prepare=prepare,
            retrieve=retrieve,
        )

    def __len__(self) -> int:
        return len(self.candidate_ids)

    def nearest(
        self, vector: NDArray[np.float32], k: int, *, allowed: NDArray[np.bool_] | None = None
    ) -> NDArray[np.intp]:
        """Rows of the ``k`` candidates closest to ``vector`` (among ``allowed`` rows if given)."""
        if len(self) == 0:
            return np.zeros(0, dtype=np.intp)
        sims = self.whole @ vector.astype(np.float32)
        if allowed is not None:
            rows = np.flatnonzero(allowed)
            if len(rows) == 0:
                return np.zeros(0, dtype=np.intp)
            k = min(k, len(rows))
            top = np.argpartition(-sims[rows], k - 1)[:k]
            ordered = top[np.argsort(-sims[rows][top], kind="stable")]
            return rows[ordered]
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        return top[np.argsort(-sims[top], kind="stable")]

    def warm(self, *, batch: int = 256, progress: Callable[[int, int], None] | None = None) -> None:
        """Prepare every row now (a service does this at start, so no query pays for it)."""
        for start in range(0, len(self), batch):
            self._prepared_rows(range(start, min(start + batch, len(self))))
            if progress is not None:
                progress(min(start + batch, len(self)), len(self))

    def _prepared_rows(self, rows: Sequence[int]) -> list[PreparedCandidate]:
        todo = [r for r in rows if r not in self._prepared]
        if todo:
            self._prepared.update(zip(todo, self.prepare(todo), strict=True))
        return [self._prepared[r] for r in rows]

    def rerank(
        self,
        requisition: PreparedRequisition,
        requisition_text: str,
        candidates: Sequence[PreparedCandidate],
        *,
        top: int = 10,
        offset: int = 0,
        exclude_knocked_out: bool = False,
        knockouts: KnockoutRules | None = None,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> list[ScoredCandidate]:
        """The ranked candidates ``offset`` to ``offset + top``, scored and explained.

        Every candidate gets features and a raw score; reasons and knockouts, most of the cost
        of scoring, are built only for those returned. Scores, ranks and order are those of
        ``CandidateRanker.score_prepared`` on all ``candidates``.
        """
        if not candidates:
            return []
        raw = self.model.ranker.predict(self.model.featurizer().features(requisition, candidates))
        order = ranking_order(raw, candidates)
        wanted = offset + top
        rules = knockouts if knockouts is not None else self.model.knockouts
        if exclude_knocked_out:
            req = requisition.requisition
            kept: list[int] = []
            for i in order:
                if len(kept) == wanted:
                    break
                outcome = rules.check(req, requisition_text, candidates[i])
                if not any(k.status == "fail" for k in outcome):
                    kept.append(i)
            order = kept
        scored = self.model.score_prepared(
            requisition,
            requisition_text,
            [candidates[i] for i in order[:wanted]],
            model_name=model_name,
            model_version=model_version,
            knockouts=rules,
        )
        return scored[offset:wanted]

    def shortlist(
        self,
        requisition_text: str,
        requisition: Requisition | None = None,
        *,
        top: int = 10,
        offset: int = 0,
        exclude_knocked_out: bool = False,
        knockouts: KnockoutRules | None = None,
        prepared: PreparedRequisition | None = None,
        allowed: NDArray[np.bool_] | None = None,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> Shortlist:
        """The ``top`` best candidates after ``offset``.

        Knocked-out candidates keep their place unless ``exclude_knocked_out``; ``prepared``
        (a requisition embedded when it was stored) skips parsing and embedding the posting;
        ``allowed`` (one flag per row) restricts the pool (a location filter, say).
        """
        from matching.parsing import parse_requisition_text

        if prepared is not None:
            prepared_req = prepared
        else:
            req = requisition or parse_requisition_text(requisition_text)
            prepared_req = self.model.featurizer().prepare_requisition(requisition_text, req)
        rows = self.nearest(
            prepared_req.embedding.whole, max(self.retrieve, offset + top), allowed=allowed
        )
        results = self.rerank(
            prepared_req,
            requisition_text,
            self._prepared_rows([int(r) for r in rows]),
            top=top,
            offset=offset,
            exclude_knocked_out=exclude_knocked_out,
            knockouts=knockouts,
            model_name=model_name,
            model_version=model_version,
        )
        size = len(self) if allowed is None else int(np.count_nonzero(allowed))
        return Shortlist(results=results, pool_size=size, retrieved=len(rows))
