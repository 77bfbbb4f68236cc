"""What the store hands back and takes in: small frozen records, independent of the tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np

from matching.schemas import Profile, Requisition
from matching.store._vectors import Vector

OwnerKind = Literal["document", "requisition"]


class ChunkLike(Protocol):
    """A labelled piece of a document's text (``matching.features.Chunk`` is one)."""

    @property
    def label(self) -> str: ...

    @property
    def index(self) -> int: ...

    @property
    def text(self) -> str: ...


class EmbeddingLike(Protocol):
    """A document's chunks, their vectors and the whole-document vector.

    ``matching.features.DocumentEmbedding`` is one.
    """

    @property
    def chunks(self) -> Sequence[ChunkLike]: ...

    @property
    def vectors(self) -> Vector: ...

    @property
    def whole(self) -> Vector: ...


@dataclass(frozen=True)
class StoredDocument:
    """A candidate's stored document with its latest profile.

    Attributes
    ----------
    id, sha256, path, media_type, text, created_at
        As stored; ``sha256`` is the hash of the original bytes, ``text`` the extracted text.
    profile : Profile or None
        The latest parsed profile of the document.
    parser_version : str or None
        Which parser produced ``profile``.
    """

    id: str
    sha256: str
    path: str | None
    media_type: str
    text: str
    created_at: datetime
    profile: Profile | None
    parser_version: str | None


@dataclass(frozen=True)
class StoredCandidate:
    """A candidate and their latest document (None when they have none)."""

    id: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    document: StoredDocument | None


@dataclass(frozen=True)
class CandidateWrite:
    """What :meth:`Store.add_candidate_document` did: ``added`` a candidate or ``updated`` one."""

    candidate_id: str
    document_id: str
    outcome: Literal["added", "updated"]


@dataclass(frozen=True)
class StoredRequisition:
    """A stored job posting."""

    id: str
    external_id: str | None
    sha256: str
    title: str | None
    text: str
    requisition: Requisition
    created_at: datetime


@dataclass(frozen=True)
class NewScore:
    """A score to record for one candidate.

    Attributes
    ----------
    candidate_id : str
    score : float
        0 to 100, higher is better.
    input_sha256 : str
        Hash of the inputs the score was computed from (texts, model inputs).
    rank : int or None
        Position within the requisition's ranking (1 is best).
    reasons : matching.schemas.Reasons or JSON-ready value
        Why the candidate scored so (a pydantic record is stored as its JSON dump).
    """

    candidate_id: str
    score: float
    input_sha256: str
    rank: int | None = None
    reasons: Any = field(default_factory=dict)


@dataclass(frozen=True)
class StoredScore:
    """A recorded score."""

    id: str
    requisition_id: str
    candidate_id: str
    model_name: str
    model_version: str
    score: float
    rank: int | None
    reasons: Any
    input_sha256: str
    created_at: datetime


@dataclass(frozen=True)
class Decision:
    """One served score for the decision log (hashes of the inputs, never their text).

    Attributes
    ----------
    request_id, endpoint : str
        The HTTP request and the route that served it.
    caller : str or None
        Name of the API key used (never the key).
    requisition_id : str or None
        The stored requisition, when there is one.
    requisition_sha256, candidate_sha256 : str
        Hashes of the posting's and the resume's text.
    candidate_id : str or None
        The stored candidate, when there is one.
    model_name, model_version : str
    score : float
    rank : int
    knocked_out : bool
        Whether a knock-out rule failed (reported beside the score, never part of it).
    """

    request_id: str
    endpoint: str
    caller: str | None
    requisition_id: str | None
    requisition_sha256: str
    candidate_id: str | None
    candidate_sha256: str
    model_name: str
    model_version: str
    score: float
    rank: int
    knocked_out: bool
    created_at: datetime | None = None


@dataclass(frozen=True)
class Changes:
    """Candidates and requisitions changed since a sequence number (``Store.changes``).

    Both sets are None when older changes were pruned: reload everything.
    """

    seq: int
    candidate_ids: frozenset[str] | None
    requisition_ids: frozenset[str] | None


@dataclass(frozen=True)
class DeletionReport:
    """How many rows deleting a candidate removed, table by table.

    ``candidates`` is 0 when the id was unknown (deleting twice is not an error).
    ``cache_entries`` counts cached vectors of the candidate's chunk texts; ``feedback`` and
    ``review_requests`` the recruiters' decisions and the review requests about them.
    ``decisions_unlinked`` counts decision-log entries kept (they hold hashes and scores, no
    personal data) whose link to the candidate was cleared; it is not part of ``total``.
    """

    candidate_id: str
    candidates: int = 0
    documents: int = 0
    profiles: int = 0
    embeddings: int = 0
    scores: int = 0
    cache_entries: int = 0
    protected_attributes: int = 0
    feedback: int = 0
    review_requests: int = 0
    decisions_unlinked: int = 0

    @property
    def total(self) -> int:
        """Rows removed in all."""
        return (
            self.candidates
            + self.documents
            + self.profiles
            + self.embeddings
            + self.scores
            + self.cache_entries
            + self.protected_attributes
            + self.feedback
            + self.review_requests
        )


@dataclass(frozen=True)
class Pool:
    """The stored talent pool for one embedding model, in memory, ready to rank.

    Row ``i`` of every per-candidate field describes the same candidate. Chunk vectors of all
    candidates are stacked in one matrix, candidate after candidate: candidate ``i``'s chunks are
    rows ``chunk_offsets[i]:chunk_offsets[i + 1]``, and ``chunk_owner[j]`` is the candidate row
    of chunk ``j``.

    Attributes
    ----------
    model_id : str
    candidate_ids, external_ids, document_ids : list
        One entry per candidate.
    profiles : list of Profile
        Each candidate's latest profile.
    texts : list of str
        Each candidate's document text.
    whole : ndarray of shape (n_candidates, dim), float32
        Whole-document vectors.
    chunk_vectors : ndarray of shape (n_chunks, dim), float32
    chunk_owner : ndarray of shape (n_chunks,), int64
    chunk_offsets : ndarray of shape (n_candidates + 1,), int64
    chunk_labels : list of str
        Section label of each chunk.
    chunk_indices : list of int
        Index of each chunk within its document.
    missing : list of str
        Candidates left out: their latest document has no vectors for ``model_id`` (or no
        profile). Re-ingest them with this model.
    """

    model_id: str
    candidate_ids: list[str]
    external_ids: list[str | None]
    document_ids: list[str]
    profiles: list[Profile]
    texts: list[str]
    whole: Vector
    chunk_vectors: Vector
    chunk_owner: np.ndarray[Any, np.dtype[np.int64]]
    chunk_offsets: np.ndarray[Any, np.dtype[np.int64]]
    chunk_labels: list[str]
    chunk_indices: list[int]
    missing: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.candidate_ids)

    @property
    def dimension(self) -> int:
        """Length of each vector (0 for an empty pool)."""
        return int(self.whole.shape[1])

    def chunks_of(self, row: int) -> tuple[list[str], Vector]:
        """Chunk labels and vectors of the candidate at ``row``."""
        start, end = int(self.chunk_offsets[row]), int(self.chunk_offsets[row + 1])
        return self.chunk_labels[start:end], self.chunk_vectors[start:end]


@dataclass(frozen=True)
class FeedbackEntry:
    """A recruiter's decision on a (requisition, candidate) pair: a strong, human label.

    Attributes
    ----------
    id, created_at, request_id : str, datetime, str
        The entry and the HTTP request that recorded it.
    reviewer : str or None
        Name of the API key used (never the key).
    requisition_id, candidate_id : str
    decision : {"advance", "reject"}
    reason : str or None
        The recruiter's words (bounded length).
    score, rank, model_name, model_version
        The latest stored score of the pair when the decision was made, and its model
        (None when the pair had never been scored).
    requisition_sha256, candidate_sha256 : str
        Hashes of the posting's and the resume's text that were judged.
    shown_request_id : str or None
        The request that served the shortlist the recruiter was looking at, when sent.
    """

    id: str
    created_at: datetime
    request_id: str
    reviewer: str | None
    requisition_id: str
    candidate_id: str
    decision: Literal["advance", "reject"]
    reason: str | None
    score: float | None
    rank: int | None
    model_name: str | None
    model_version: str | None
    requisition_sha256: str
    candidate_sha256: str | None
    shown_request_id: str | None

    @property
    def label(self) -> int:
        """1 for ``advance``, 0 for ``reject``."""
        return 1 if self.decision == "advance" else 0


@dataclass(frozen=True)
class ReviewRequest:
    """A candidate's request for a human review, as a recruiter recorded it."""

    id: str
    created_at: datetime
    request_id: str
    recorded_by: str | None
    candidate_id: str
    requisition_id: str | None
    note: str | None


@dataclass(frozen=True)
class WriteBackReport:
    """What queueing the latest scores of some candidates for CRM write-back did.

    Attributes
    ----------
    requisition_id : str
    crms : tuple of str
        The CRMs written to (``MATCHING_CRM``).
    queued : int
        Writes queued (one per candidate and linked contact).
    queued_candidates : list of str
        Candidates with at least one write queued.
    unlinked : list of str
        Candidates with a stored score but no contact in any of ``crms``.
    unscored : list of str
        Candidates with no stored score for the requisition (nothing to write).
    """

    requisition_id: str
    crms: tuple[str, ...]
    queued: int
    queued_candidates: list[str]
    unlinked: list[str]
    unscored: list[str]
