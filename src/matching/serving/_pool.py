"""The stored pool in a serving process's memory, kept in step with the store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from matching.features import Chunk, DocumentEmbedding, PreparedCandidate
from matching.ranking import CandidateRanker, Shortlister
from matching.schemas import Profile
from matching.store import Changes, Pool, Store, text_hash


@dataclass
class _Member:
    """One pooled candidate: what the ranker needs, prepared on first use."""

    candidate_id: str
    external_id: str | None
    document_id: str
    profile: Profile
    text: str
    whole: NDArray[np.float32]
    chunk_labels: list[str]
    chunk_vectors: NDArray[np.float32]
    prepared: PreparedCandidate | None = field(default=None, repr=False)
    sha256: str | None = None


class LivePool:
    """The candidate pool of one embedding model, in memory, synchronised with the store.

    Before each use, :meth:`sync` reads the store's change log (one indexed query) and reloads
    only the candidates added, replaced or deleted since, by this process or any other (other
    service workers, ``matching ingest``). Thread-safe.

    Parameters
    ----------
    model
        The ranker whose featurizer prepares candidates.
    store
        Where the pool lives.
    retrieve
        Candidates the shortlister re-ranks per query.
    """

    def __init__(self, model: CandidateRanker, store: Store, *, retrieve: int = 200) -> None:
        self.model = model
        self.store = store
        self.retrieve = retrieve
        self.model_id = model.featurizer().encoder.model_id
        self._lock = threading.RLock()
        self._members: dict[str, _Member] = {}
        self._seq = -1
        self._shortlister: Shortlister | None = None
        self._locations: NDArray[np.str_] = np.zeros(0, dtype=str)
        self._by_external: dict[str, str] = {}

    # -- synchronisation ------------------------------------------------------------------
    def sync(self) -> Changes:
        """Apply the store's changes since the last call and return them.

        The first call loads the whole pool and returns ``Changes`` with None sets (as after a
        pruned log: the caller drops whatever it keeps about requisitions too).
        """
        with self._lock:
            if self._seq < 0:
                seq = self.store.latest_change()
                self._replace_all(self.store.pool(self.model_id))
                self._seq = seq
                return Changes(seq=seq, candidate_ids=None, requisition_ids=None)
            changes = self.store.changes(self._seq)
            if changes.candidate_ids is None:
                self._replace_all(self.store.pool(self.model_id))
            elif changes.candidate_ids:
                fresh = self.store.pool(self.model_id, candidate_ids=changes.candidate_ids)
                for candidate_id in changes.candidate_ids:
                    self._members.pop(candidate_id, None)
                self._add(fresh)
                self._rebuild()
            self._seq = changes.seq
            return changes

    def _replace_all(self, pool: Pool) -> None:
        # Prepared candidates survive a reload when their document did not change.
        old = {m.document_id: m.prepared for m in self._members.values() if m.prepared}
        self._members = {}
        self._add(pool)
        for member in self._members.values():
            member.prepared = old.get(member.document_id)
        self._rebuild()

    def _add(self, pool: Pool) -> None:
        for row, candidate_id in enumerate(pool.candidate_ids):
            labels, vectors = pool.chunks_of(row)
            self._members[candidate_id] = _Member(
                candidate_id=candidate_id,
                external_id=pool.external_ids[row],
                document_id=pool.document_ids[row],
                profile=pool.profiles[row],
                text=pool.texts[row],
                whole=pool.whole[row],
                chunk_labels=labels,
                chunk_vectors=vectors,
            )

    def _rebuild(self) -> Shortlister:
        ids = sorted(self._members)
        members = [self._members[i] for i in ids]
        dim = members[0].whole.shape[0] if members else 0
        whole = (
            np.stack([m.whole for m in members]).astype(np.float32)
            if members
            else np.zeros((0, dim), dtype=np.float32)
        )
        self._locations = np.array([(m.profile.location or "").casefold() for m in members])
        self._by_external = {m.external_id: m.candidate_id for m in members if m.external_id}
        self._shortlister = Shortlister(
            self.model,
            candidate_ids=ids,
            whole=whole,
            prepare=self._preparer(members),
            retrieve=self.retrieve,
        )
        return self._shortlister

    def _preparer(
        self, members: list[_Member]
    ) -> Callable[[Sequence[int]], list[PreparedCandidate]]:
        def prepare(rows: Sequence[int]) -> list[PreparedCandidate]:
            return self._prepare([members[r] for r in rows])

        return prepare

    def _prepare(self, members: Sequence[_Member]) -> list[PreparedCandidate]:
        todo = [m for m in members if m.prepared is None]
        if todo:
            embeddings = [
                DocumentEmbedding(
                    chunks=[Chunk(label, i, "") for i, label in enumerate(m.chunk_labels)],
                    vectors=m.chunk_vectors,
                    whole=m.whole,
                )
                for m in todo
            ]
            prepared = self.model.featurizer().prepare_candidates(
                [(m.candidate_id, m.text, m.profile) for m in todo], embeddings=embeddings
            )
            for member, item in zip(todo, prepared, strict=True):
                member.prepared = item
        return [m.prepared for m in members if m.prepared is not None]

    # -- use ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._members)

    def shortlister(self) -> Shortlister:
        """The shortlister over the current pool (call :meth:`sync` first)."""
        with self._lock:
            return self._shortlister if self._shortlister is not None else self._rebuild()

    def location_mask(self, needle: str) -> NDArray[np.bool_]:
        """One flag per shortlister row: the candidate's location contains ``needle``."""
        with self._lock:
            if len(self._locations) == 0:
                return np.zeros(0, dtype=bool)
            found: NDArray[np.bool_] = np.char.find(self._locations, needle.casefold()) >= 0
            return found

    def prepared(self, candidate_ids: Sequence[str]) -> dict[str, PreparedCandidate]:
        """Prepared candidates for the pooled ids among ``candidate_ids``."""
        with self._lock:
            members = [self._members[c] for c in candidate_ids if c in self._members]
            return {p.candidate_id: p for p in self._prepare(members)}

    def external_id(self, candidate_id: str) -> str | None:
        """The pooled candidate's external id, or None."""
        member = self._members.get(candidate_id)
        return member.external_id if member else None

    def find_external(self, external_id: str) -> str | None:
        """The pooled candidate with this external id, or None."""
        return self._by_external.get(external_id)

    def text_sha256(self, candidate_id: str) -> str:
        """SHA-256 of the pooled candidate's document text ("" when not pooled)."""
        member = self._members.get(candidate_id)
        if member is None:
            return ""
        if member.sha256 is None:
            member.sha256 = text_hash(member.text)
        return member.sha256

    def warm(self, *, batch: int = 256, progress: Callable[[int, int], None] | None = None) -> None:
        """Prepare every pooled candidate now, so that no request pays for it."""
        with self._lock:
            members = list(self._members.values())
        for start in range(0, len(members), batch):
            with self._lock:
                self._prepare(members[start : start + batch])
            if progress is not None:
                progress(min(start + batch, len(members)), len(members))


__all__ = ["LivePool"]
