"""The ``Store``: candidates, documents, profiles, requisitions, embeddings and scores."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self, cast

import numpy as np
from pydantic import BaseModel
from sqlalchemy import (
    CursorResult,
    Delete,
    Engine,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import InternalError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from matching.errors import ConfigError, Errors, InputError
from matching.schemas import Profile, Requisition
from matching.settings import Settings
from matching.store._engine import make_engine, resolve_url
from matching.store._models import (
    Base,
    CandidateRow,
    ChangeRow,
    DecisionRow,
    DocumentRow,
    EmbeddingCacheRow,
    EmbeddingRow,
    FeedbackRow,
    ProfileRow,
    ProtectedAttributeRow,
    RequisitionRow,
    ReviewRequestRow,
    ScoreRow,
    aware,
    new_id,
    utcnow,
)
from matching.store._records import (
    CandidateWrite,
    Changes,
    ChunkLike,
    Decision,
    DeletionReport,
    EmbeddingLike,
    NewScore,
    OwnerKind,
    Pool,
    StoredCandidate,
    StoredDocument,
    StoredRequisition,
    StoredScore,
)
from matching.store._vectors import Vector, chunked, from_bytes, text_hash, to_bytes

WHOLE_INDEX = -1
WHOLE_LABEL = "whole"
_OWNER_KINDS = ("document", "requisition")
# Serving processes that fall further behind than this reload the whole pool.
CHANGES_KEPT = timedelta(days=1)


def _json_ready(value: Any) -> Any:
    """Reasons as JSON: a pydantic record (``matching.schemas.Reasons``) is dumped first."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _whole_hash(chunks: Sequence[ChunkLike]) -> str:
    """Content hash of a whole-document vector: of its chunk hashes, never of a single text."""
    return text_hash("whole:" + ",".join(text_hash(c.text) for c in chunks))


class Store:
    """The project's database: SQLite file by default, PostgreSQL by URL.

    Open it with :meth:`open`; every method runs in its own transaction. Tables are created
    when missing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine made by :meth:`open` (SQLite connections need foreign keys switched on).

    Examples
    --------
    >>> store = Store.open("sqlite://")  # in memory
    >>> store.count_candidates()
    0
    >>> store.close()
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls, url: str | None = None, *, settings: Settings | None = None, echo: bool = False
    ) -> Store:
        """Open (and create when missing) the store at ``url``.

        Parameters
        ----------
        url : str, optional
            A SQLAlchemy URL; default ``MATCHING_DATABASE_URL``, else
            ``sqlite:///<MATCHING_HOME>/matching.db``.
        settings : Settings, optional
            Read from the environment when omitted.
        echo : bool
            Log every SQL statement.

        Raises
        ------
        matching.errors.ConfigError
            E400 for an invalid URL, E401 when the database cannot be opened.
        """
        resolved = resolve_url(url, settings=settings)
        engine = make_engine(resolved, echo=echo)
        try:
            _create_tables(engine)
        except (OperationalError, ProgrammingError, InternalError) as exc:
            # Unreachable, or reachable without the right to create tables (PostgreSQL 15
            # grants other roles none on the public schema), or a read-only server.
            engine.dispose()
            raise ConfigError(
                Errors.E401,
                url=resolved.render_as_string(hide_password=True),
                detail=str(exc.orig),
            ) from exc
        return cls(engine)

    @property
    def url(self) -> URL:
        """The database URL (print it with ``render_as_string(hide_password=True)``)."""
        return self.engine.url

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url.render_as_string(hide_password=True)!r})"

    # -- candidates ---------------------------------------------------------------------------

    def add_candidate_document(
        self,
        *,
        text: str,
        profile: Profile,
        sha256: str,
        media_type: str,
        path: str | None = None,
        external_id: str | None = None,
        parser_version: str,
        model_id: str | None = None,
        embedding: EmbeddingLike | None = None,
    ) -> CandidateWrite:
        """Store a candidate's document, its profile and (optionally) its embeddings.

        A candidate with this ``external_id`` gets the new document in place of their old
        ones (with the old profiles, embeddings and cached vectors); otherwise a candidate is
        added. Everything happens in one transaction.

        Parameters
        ----------
        text : str
            The extracted text.
        profile : Profile
            The parsed profile, stored as ``model_dump(mode="json")``.
        sha256 : str
            Hash of the original bytes.
        media_type, path, external_id
            As stored on the document and candidate.
        parser_version : str
            Which parser produced ``profile``.
        model_id : str, optional
            The embedding model; required with ``embedding``.
        embedding : DocumentEmbedding, optional
            Chunks, chunk vectors and the whole vector (``matching.features.embed_documents``).

        Returns
        -------
        CandidateWrite
        """
        if embedding is not None and model_id is None:
            raise ValueError("model_id is required with an embedding")
        with self._sessions.begin() as session:
            candidate = (
                session.scalars(
                    select(CandidateRow).where(CandidateRow.external_id == external_id)
                ).one_or_none()
                if external_id is not None
                else None
            )
            keep = {text_hash(c.text) for c in embedding.chunks} if embedding else set()
            if candidate is None:
                candidate = CandidateRow(id=new_id(), external_id=external_id)
                session.add(candidate)
                session.flush()
                outcome: str = "added"
            else:
                old = list(
                    session.scalars(
                        select(DocumentRow.id).where(DocumentRow.candidate_id == candidate.id)
                    )
                )
                _delete_documents(session, old, keep_hashes=keep)
                candidate.updated_at = utcnow()
                outcome = "updated"
            document = DocumentRow(
                id=new_id(),
                candidate_id=candidate.id,
                sha256=sha256,
                path=path,
                media_type=media_type,
                text=text,
            )
            session.add(document)
            session.flush()
            session.add(
                ProfileRow(
                    document_id=document.id,
                    profile_json=profile.model_dump(mode="json"),
                    parser_version=parser_version,
                )
            )
            if embedding is not None and model_id is not None:
                _write_embeddings(
                    session,
                    "document",
                    document.id,
                    model_id,
                    embedding.chunks,
                    embedding.vectors,
                    whole=embedding.whole,
                )
            _note_changes(session, "candidate", [candidate.id])
            return CandidateWrite(
                candidate_id=candidate.id,
                document_id=document.id,
                outcome="added" if outcome == "added" else "updated",
            )

    def get_candidate(self, candidate_id: str) -> StoredCandidate | None:
        """The candidate with this id and their latest document, or None."""
        with self._sessions() as session:
            row = session.get(CandidateRow, candidate_id)
            return _candidates(session, [row])[0] if row is not None else None

    def find_candidate(self, external_id: str) -> StoredCandidate | None:
        """The candidate with this external id (CRM id, file name stem), or None."""
        with self._sessions() as session:
            row = session.scalars(
                select(CandidateRow).where(CandidateRow.external_id == external_id)
            ).one_or_none()
            return _candidates(session, [row])[0] if row is not None else None

    def list_candidates(self, limit: int = 100, offset: int = 0) -> list[StoredCandidate]:
        """Candidates in the order they were added, ``limit`` at a time from ``offset``."""
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(CandidateRow)
                    .order_by(CandidateRow.created_at, CandidateRow.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            return _candidates(session, rows)

    def count_candidates(self) -> int:
        """How many candidates are stored."""
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(CandidateRow)) or 0)

    def delete_candidate(self, candidate_id: str) -> DeletionReport:
        """Delete a candidate and everything derived from them, in one transaction.

        Removes their documents (with the extracted text), profiles, embeddings, scores,
        protected attributes, recruiters' decisions and review requests about them, and the
        cached vectors of their chunk texts. An unknown id deletes nothing.

        Returns
        -------
        DeletionReport
            Rows removed, table by table.
        """
        with self._sessions.begin() as session:
            documents = list(
                session.scalars(
                    select(DocumentRow.id).where(DocumentRow.candidate_id == candidate_id)
                )
            )
            counts = _delete_documents(session, documents)
            scores = _deleted(
                session, delete(ScoreRow).where(ScoreRow.candidate_id == candidate_id)
            )
            protected = _deleted(
                session,
                delete(ProtectedAttributeRow).where(
                    ProtectedAttributeRow.candidate_id == candidate_id
                ),
            )
            feedback = _deleted(
                session, delete(FeedbackRow).where(FeedbackRow.candidate_id == candidate_id)
            )
            reviews = _deleted(
                session,
                delete(ReviewRequestRow).where(ReviewRequestRow.candidate_id == candidate_id),
            )
            unlinked = cast(
                CursorResult[Any],
                session.execute(
                    update(DecisionRow)
                    .where(DecisionRow.candidate_id == candidate_id)
                    .values(candidate_id=None)
                ),
            ).rowcount
            candidates = _deleted(
                session, delete(CandidateRow).where(CandidateRow.id == candidate_id)
            )
            if candidates:
                _note_changes(session, "candidate", [candidate_id])
            return DeletionReport(
                candidate_id=candidate_id,
                candidates=candidates,
                scores=scores,
                protected_attributes=protected,
                feedback=feedback,
                review_requests=reviews,
                decisions_unlinked=int(unlinked or 0),
                **counts,
            )

    # -- requisitions -------------------------------------------------------------------------

    def add_requisition(
        self, text: str, requisition: Requisition, *, external_id: str | None = None
    ) -> StoredRequisition:
        """Store a job posting; storing the same text again returns the stored one.

        A new text under a known ``external_id`` replaces that requisition's text and parse
        (its embeddings are dropped; its scores stay, tagged with their own input hash).

        Parameters
        ----------
        text : str
            The posting's text.
        requisition : Requisition
            Its parse.
        external_id : str, optional
            An id in another system (ATS, CRM).
        """
        digest = text_hash(text)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(RequisitionRow).where(RequisitionRow.sha256 == digest)
            ).one_or_none()
            if row is not None:
                if external_id is not None and row.external_id is None:
                    taken = session.scalar(
                        select(RequisitionRow.id).where(RequisitionRow.external_id == external_id)
                    )
                    if taken is None:
                        row.external_id = external_id
                return _requisition(row)
            if external_id is not None:
                row = session.scalars(
                    select(RequisitionRow).where(RequisitionRow.external_id == external_id)
                ).one_or_none()
            if row is None:
                row = RequisitionRow(id=new_id(), external_id=external_id)
                session.add(row)
            else:
                session.execute(
                    delete(EmbeddingRow).where(
                        EmbeddingRow.owner_kind == "requisition", EmbeddingRow.owner_id == row.id
                    )
                )
            row.sha256 = digest
            row.text = text
            row.title = requisition.title
            row.requisition_json = requisition.model_dump(mode="json")
            session.flush()
            _note_changes(session, "requisition", [row.id])
            return _requisition(row)

    def find_requisition(self, external_id: str) -> StoredRequisition | None:
        """The requisition with this external id (ATS or CRM id), or None."""
        with self._sessions() as session:
            row = session.scalars(
                select(RequisitionRow).where(RequisitionRow.external_id == external_id)
            ).one_or_none()
            return _requisition(row) if row is not None else None

    def get_requisition(self, requisition_id: str) -> StoredRequisition | None:
        """The requisition with this id, or None."""
        with self._sessions() as session:
            row = session.get(RequisitionRow, requisition_id)
            return _requisition(row) if row is not None else None

    def list_requisitions(self, limit: int = 100, offset: int = 0) -> list[StoredRequisition]:
        """Requisitions, the most recently stored first, ``limit`` at a time from ``offset``."""
        with self._sessions() as session:
            rows = session.scalars(
                select(RequisitionRow)
                .order_by(RequisitionRow.created_at.desc(), RequisitionRow.id)
                .limit(limit)
                .offset(offset)
            )
            return [_requisition(row) for row in rows]

    def count_requisitions(self) -> int:
        """How many requisitions are stored."""
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RequisitionRow)) or 0)

    def requisition_titles(self, requisition_ids: Iterable[str]) -> dict[str, str | None]:
        """The title of each stored requisition among ``requisition_ids`` (unknown ids absent)."""
        found: dict[str, str | None] = {}
        with self._sessions() as session:
            for part in chunked(sorted(set(requisition_ids))):
                found.update(
                    (row.id, row.title)
                    for row in session.execute(
                        select(RequisitionRow.id, RequisitionRow.title).where(
                            RequisitionRow.id.in_(part)
                        )
                    )
                )
        return found

    # -- embeddings ---------------------------------------------------------------------------

    def put_embeddings(
        self,
        owner_kind: OwnerKind,
        owner_id: str,
        model_id: str,
        chunks: Sequence[ChunkLike],
        vectors: Vector,
        *,
        whole: Vector | None = None,
    ) -> int:
        """Store the vectors of a document's or requisition's chunks, replacing older ones.

        Parameters
        ----------
        owner_kind : {"document", "requisition"}
        owner_id : str
            A document id (not a candidate id) or a requisition id.
        model_id : str
            The embedding model.
        chunks : sequence of Chunk
            ``label``, ``index`` and ``text`` of each chunk.
        vectors : ndarray of shape (len(chunks), dim)
        whole : ndarray of shape (dim,), optional
            The whole-document vector, stored as chunk index -1, label ``"whole"``.

        Returns
        -------
        int
            Rows written.

        Raises
        ------
        matching.errors.InputError
            E403 when the owner is not stored.
        ValueError
            When the shapes do not match.
        """
        with self._sessions.begin() as session:
            table = DocumentRow if owner_kind == "document" else RequisitionRow
            owner = session.get(table, owner_id) if owner_kind in _OWNER_KINDS else None
            if owner is None:
                raise InputError(Errors.E403, what=owner_kind, ids=owner_id)
            written = _write_embeddings(
                session, owner_kind, owner_id, model_id, chunks, vectors, whole=whole
            )
            if isinstance(owner, DocumentRow):
                _note_changes(session, "candidate", [owner.candidate_id])
            return written

    def get_embeddings(
        self, owner_kind: OwnerKind, owner_id: str, model_id: str
    ) -> tuple[list[tuple[int, str]], Vector]:
        """The stored vectors of an owner for a model, in chunk order.

        Returns
        -------
        chunks : list of (index, label)
            The whole-document vector, when stored, comes first as ``(-1, "whole")``.
        vectors : ndarray of shape (len(chunks), dim), float32
            ``(0, 0)`` when nothing is stored.
        """
        with self._sessions() as session:
            rows = session.execute(
                select(
                    EmbeddingRow.chunk_index,
                    EmbeddingRow.chunk_label,
                    EmbeddingRow.dim,
                    EmbeddingRow.vector,
                )
                .where(
                    EmbeddingRow.owner_kind == owner_kind,
                    EmbeddingRow.owner_id == owner_id,
                    EmbeddingRow.model_id == model_id,
                )
                .order_by(EmbeddingRow.chunk_index)
            ).all()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        dim = rows[0].dim
        return (
            [(r.chunk_index, r.chunk_label) for r in rows],
            from_bytes(b"".join(r.vector for r in rows), dim),
        )

    def has_embeddings(self, owner_kind: OwnerKind, owner_id: str, model_id: str) -> bool:
        """Whether the owner has a whole-document vector for ``model_id``."""
        with self._sessions() as session:
            found = session.scalar(
                select(EmbeddingRow.id)
                .where(
                    EmbeddingRow.owner_kind == owner_kind,
                    EmbeddingRow.owner_id == owner_id,
                    EmbeddingRow.model_id == model_id,
                    EmbeddingRow.chunk_index == WHOLE_INDEX,
                )
                .limit(1)
            )
        return found is not None

    def embedding_cache(self) -> StoreEmbeddingCache:
        """This store as the encoder's vector cache (``load_encoder(cache=...)``)."""
        return StoreEmbeddingCache(self)

    # -- scores -------------------------------------------------------------------------------

    def record_scores(
        self,
        requisition_id: str,
        scores: Sequence[NewScore],
        *,
        model_name: str,
        model_version: str,
        write_back: Sequence[str] = (),
    ) -> int:
        """Record a model's scores for a requisition, in one transaction.

        With ``write_back`` (CRM names), a write per linked contact is queued in the CRM
        outbox in the same transaction (``matching.store.Outbox``).

        A candidate scored again by the same model name and version gets the new score in
        place of the old one.

        Returns
        -------
        int
            Rows written.

        Raises
        ------
        matching.errors.InputError
            E403 when the requisition or a candidate is not stored.
        ValueError
            When a score is outside 0 to 100.
        """
        bad = [s.score for s in scores if not 0.0 <= s.score <= 100.0]
        if bad:
            raise ValueError(f"scores must lie in [0, 100]; got {bad[:5]}")
        ids = list(dict.fromkeys(s.candidate_id for s in scores))
        with self._sessions.begin() as session:
            if not _lock_scores_of(session, requisition_id):
                raise InputError(Errors.E403, what="requisition", ids=requisition_id)
            known: set[str] = set()
            for part in chunked(ids):
                known.update(
                    session.scalars(select(CandidateRow.id).where(CandidateRow.id.in_(part)))
                )
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise InputError(Errors.E403, what="candidate", ids=", ".join(unknown[:10]))
            _replace_scores(session, requisition_id, scores, model_name, model_version)
            _queue_writes(session, write_back, requisition_id, scores, model_name, model_version)
        return len(scores)

    def scores_for(
        self,
        requisition_id: str,
        *,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> list[StoredScore]:
        """A requisition's recorded scores, best first (by rank, then by score)."""
        query = select(ScoreRow).where(ScoreRow.requisition_id == requisition_id)
        if model_name is not None:
            query = query.where(ScoreRow.model_name == model_name)
        if model_version is not None:
            query = query.where(ScoreRow.model_version == model_version)
        query = query.order_by(
            ScoreRow.rank.is_(None), ScoreRow.rank, ScoreRow.score.desc(), ScoreRow.candidate_id
        )
        with self._sessions() as session:
            return [_stored_score(r) for r in session.scalars(query)]

    def latest_scores(
        self, requisition_id: str, candidate_ids: Iterable[str]
    ) -> dict[str, StoredScore]:
        """The latest recorded score (by any model) of each of ``candidate_ids`` for a requisition.

        Candidates never scored for it are absent.
        """
        latest: dict[str, StoredScore] = {}
        with self._sessions() as session:
            for part in chunked(sorted(set(candidate_ids))):
                for row in session.scalars(
                    select(ScoreRow)
                    .where(
                        ScoreRow.requisition_id == requisition_id,
                        ScoreRow.candidate_id.in_(part),
                    )
                    .order_by(ScoreRow.created_at.desc(), ScoreRow.id)
                ):
                    latest.setdefault(row.candidate_id, _stored_score(row))
        return latest

    def scores_of_candidate(self, candidate_id: str) -> list[StoredScore]:
        """A candidate's latest recorded score for each requisition, the most recent first."""
        latest: dict[str, StoredScore] = {}
        with self._sessions() as session:
            for row in session.scalars(
                select(ScoreRow)
                .where(ScoreRow.candidate_id == candidate_id)
                .order_by(ScoreRow.created_at.desc(), ScoreRow.id)
            ):
                latest.setdefault(row.requisition_id, _stored_score(row))
        return list(latest.values())

    def requisitions_scored(self, candidate_id: str) -> list[str]:
        """Ids of the requisitions a candidate has recorded scores for (by any model)."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(ScoreRow.requisition_id)
                    .where(ScoreRow.candidate_id == candidate_id)
                    .group_by(ScoreRow.requisition_id)
                    .order_by(func.min(ScoreRow.created_at), ScoreRow.requisition_id)
                )
            )

    # -- the pool -----------------------------------------------------------------------------

    def pool(self, model_id: str, *, candidate_ids: Iterable[str] | None = None) -> Pool:
        """Everything a ranker needs about the stored pool, for one embedding model.

        Three bulk queries (documents, profiles, vectors), whatever the pool's size.

        Parameters
        ----------
        model_id : str
            The embedding model whose vectors to load.
        candidate_ids : iterable of str, optional
            Load only these candidates (unknown ids are left out); all by default.

        Returns
        -------
        Pool
            Candidates whose latest document has vectors for ``model_id``, ordered by
            candidate id; the others are listed in ``Pool.missing``.
        """
        wanted_candidates = None if candidate_ids is None else sorted(set(candidate_ids))
        with self._sessions() as session:
            latest: dict[str, Any] = {}
            documents = (
                select(
                    DocumentRow.id,
                    DocumentRow.candidate_id,
                    DocumentRow.text,
                    CandidateRow.external_id,
                )
                .join(CandidateRow, CandidateRow.id == DocumentRow.candidate_id)
                .order_by(DocumentRow.candidate_id, DocumentRow.created_at)
            )
            for part in _parts(wanted_candidates):
                query = (
                    documents
                    if part is None
                    else documents.where(DocumentRow.candidate_id.in_(part))
                )
                for row in session.execute(query):
                    latest[row.candidate_id] = row
            wanted = {row.id for row in latest.values()}
            # Filtered in SQL only for a partial load: for the whole pool one scan is faster
            # than thousands of IN lists.
            subset = None if wanted_candidates is None else sorted(wanted)
            profiles: dict[str, str] = {}
            # The JSON as text, validated by pydantic in one pass (twice as fast as dicts).
            profile_query = select(
                ProfileRow.document_id, cast_(ProfileRow.profile_json, Text)
            ).order_by(ProfileRow.created_at)
            for part in _parts(subset):
                p_query = (
                    profile_query
                    if part is None
                    else profile_query.where(ProfileRow.document_id.in_(part))
                )
                for document_id, payload in session.execute(p_query):
                    if document_id in wanted:
                        profiles[document_id] = payload
            vectors: dict[str, list[Any]] = defaultdict(list)
            vector_query = (
                select(
                    EmbeddingRow.owner_id,
                    EmbeddingRow.chunk_index,
                    EmbeddingRow.chunk_label,
                    EmbeddingRow.dim,
                    EmbeddingRow.vector,
                )
                .where(EmbeddingRow.owner_kind == "document", EmbeddingRow.model_id == model_id)
                .order_by(EmbeddingRow.owner_id, EmbeddingRow.chunk_index)
            )
            for part in _parts(subset):
                v_query = (
                    vector_query
                    if part is None
                    else vector_query.where(EmbeddingRow.owner_id.in_(part))
                )
                for vector_row in session.execute(v_query):
                    if vector_row.owner_id in wanted:
                        vectors[vector_row.owner_id].append(vector_row)
        return _build_pool(model_id, latest, profiles, vectors)

    def latest_change(self) -> int:
        """The sequence number of the latest change (0 when none is logged)."""
        with self._sessions() as session:
            return int(session.scalar(select(func.max(ChangeRow.seq))) or 0)

    def changes(self, after: int) -> Changes:
        """Candidates and requisitions added, replaced, re-embedded or deleted after ``after``.

        A process that keeps them in memory calls this before it answers (one indexed query
        when nothing changed); ``after=0`` reads the whole log.
        """
        with self._sessions() as session:
            rows = session.execute(
                select(ChangeRow.seq, ChangeRow.kind, ChangeRow.entity_id).where(
                    ChangeRow.seq > after
                )
            ).all()
            if not rows:
                return Changes(seq=after, candidate_ids=frozenset(), requisition_ids=frozenset())
            latest = max(r.seq for r in rows)
            if after > 0 and min(r.seq for r in rows) > after + 1:
                oldest = session.scalar(select(func.min(ChangeRow.seq))) or 0
                if oldest > after + 1:  # pruned past what the caller saw
                    return Changes(seq=latest, candidate_ids=None, requisition_ids=None)
        return Changes(
            seq=latest,
            candidate_ids=frozenset(r.entity_id for r in rows if r.kind == "candidate"),
            requisition_ids=frozenset(r.entity_id for r in rows if r.kind == "requisition"),
        )

    # -- decision log -------------------------------------------------------------------------

    def log_decisions(self, decisions: Sequence[Decision]) -> int:
        """Append served scores to the decision log, in one transaction; returns rows written."""
        with self._sessions.begin() as session:
            return _insert_decisions(session, decisions)

    def record_served(
        self,
        requisition_id: str,
        decisions: Sequence[Decision],
        scores: Sequence[NewScore],
        *,
        model_name: str,
        model_version: str,
        write_back: Sequence[str] = (),
    ) -> None:
        """What a served request leaves behind, in one transaction: its decision-log entries,
        ``scores`` as the latest scores of their stored pairs (as :meth:`record_scores`) and,
        with ``write_back``, their CRM writes.

        Raises
        ------
        sqlalchemy.exc.IntegrityError
            When the requisition or a candidate was deleted meanwhile; nothing is written.
        """
        bad = [s.score for s in scores if not 0.0 <= s.score <= 100.0]
        if bad:
            raise ValueError(f"scores must lie in [0, 100]; got {bad[:5]}")
        with self._sessions.begin() as session:
            if scores:
                _lock_scores_of(session, requisition_id)
            _insert_decisions(session, decisions)
            _replace_scores(session, requisition_id, scores, model_name, model_version)
            _queue_writes(session, write_back, requisition_id, scores, model_name, model_version)

    def decisions(
        self, *, request_id: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[Decision]:
        """Entries of the decision log, oldest first (optionally one request's, or since a time)."""
        query = select(DecisionRow).order_by(DecisionRow.created_at, DecisionRow.id).limit(limit)
        if request_id is not None:
            query = query.where(DecisionRow.request_id == request_id)
        if since is not None:
            query = query.where(DecisionRow.created_at >= since)
        with self._sessions() as session:
            return [
                Decision(
                    request_id=r.request_id,
                    endpoint=r.endpoint,
                    caller=r.caller,
                    requisition_id=r.requisition_id,
                    requisition_sha256=r.requisition_sha256,
                    candidate_id=r.candidate_id,
                    candidate_sha256=r.candidate_sha256,
                    model_name=r.model_name,
                    model_version=r.model_version,
                    score=r.score,
                    rank=r.rank,
                    knocked_out=r.knocked_out,
                    created_at=aware(r.created_at),
                )
                for r in session.scalars(query)
            ]


class StoreEmbeddingCache:
    """The encoder's vector cache, kept in the store's ``embedding_cache`` table.

    Keys are ``(model_id, sha256 of the text)``; the table holds no text.

    Parameters
    ----------
    store : Store
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, Vector]:
        """The cached vectors of ``hashes`` (unknown ones are absent)."""
        found: dict[str, Vector] = {}
        with self.store._sessions() as session:
            for part in chunked(list(dict.fromkeys(hashes))):
                for digest, dim, blob in session.execute(
                    select(
                        EmbeddingCacheRow.content_sha256,
                        EmbeddingCacheRow.dim,
                        EmbeddingCacheRow.vector,
                    ).where(
                        EmbeddingCacheRow.model_id == model_id,
                        EmbeddingCacheRow.content_sha256.in_(part),
                    )
                ):
                    found[digest] = from_bytes(blob, dim)[0]
        return found

    def put_many(self, model_id: str, items: Mapping[str, Vector]) -> None:
        """Remember ``items`` (sha256 of text → vector); known keys keep their vector."""
        if not items:
            return
        rows = []
        for digest, vector in items.items():
            flat = np.asarray(vector, dtype=np.float32).reshape(-1)
            rows.append(
                {
                    "model_id": model_id,
                    "content_sha256": digest,
                    "dim": int(flat.shape[0]),
                    "vector": to_bytes(flat),
                    "created_at": utcnow(),
                }
            )
        with self.store._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            for part in chunked(rows):
                if dialect in ("postgresql", "sqlite"):
                    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                    session.execute(upsert(EmbeddingCacheRow).on_conflict_do_nothing(), part)
                else:
                    keys = [r["content_sha256"] for r in part]
                    known = set(
                        session.scalars(
                            select(EmbeddingCacheRow.content_sha256).where(
                                EmbeddingCacheRow.model_id == model_id,
                                EmbeddingCacheRow.content_sha256.in_(keys),
                            )
                        )
                    )
                    fresh = [r for r in part if r["content_sha256"] not in known]
                    if fresh:
                        session.execute(insert(EmbeddingCacheRow), fresh)

    def __len__(self) -> int:
        with self.store._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(EmbeddingCacheRow)) or 0)


def _parts(ids: Sequence[str] | None) -> Iterable[Sequence[str] | None]:
    """``[None]`` (no filter) for None, else the ids in IN-list sized parts."""
    return [None] if ids is None else chunked(ids)


# Key of the PostgreSQL advisory lock held while tables are created (any fixed 64-bit number).
_SCHEMA_LOCK = 0x6D61_7463_6869_6E67  # "matching"


def _create_tables(engine: Engine) -> None:
    """Create the missing tables; on PostgreSQL, one process at a time.

    Processes opening a new database together (service workers, a sync job) would each find
    no tables and create them, and all but one fail. On PostgreSQL a lock makes the others
    wait, then find the tables; on SQLite the losers try again.
    """
    for attempt in range(1, 6):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
                Base.metadata.create_all(connection)
            return
        except OperationalError as exc:
            # SQLite has no such lock: a process that found a table missing and lost the race
            # to create it looks again, and finds it.
            if "already exists" not in str(exc.orig) or attempt == 5:
                raise
            time.sleep(0.05 * attempt)


def _lock_scores_of(session: Session, requisition_id: str) -> bool:
    """Hold the requisition's row until commit; whether it is stored.

    Scores of a requisition are then replaced by one transaction at a time. On PostgreSQL two
    requests scoring the same pair at once would otherwise each delete the old score and
    insert theirs, and the second fail on the unique pair; and a pending CRM write could miss
    the newer one that supersedes it. ``FOR NO KEY UPDATE`` leaves rows that only refer to the
    requisition free to be written; SQLite (one writer at a time) has no such clause.
    """
    found = session.scalar(
        select(RequisitionRow.id)
        .where(RequisitionRow.id == requisition_id)
        .with_for_update(key_share=True)
    )
    return found is not None


def _note_changes(
    session: Session, kind: Literal["candidate", "requisition"], ids: Sequence[str]
) -> None:
    """Log that these candidates or requisitions changed (``Store.changes``); prune old rows."""
    if session.get_bind().dialect.name == "postgresql":
        # Sequence numbers are drawn when a row is written but seen when it commits: with two
        # writers at once, 8 could be seen before 7, and a reader that then asks for changes
        # after 8 never sees 7. One writer of the log at a time keeps the numbers in commit
        # order (SQLite has one writer anyway); readers are not blocked. Callers log last.
        session.execute(text(f"LOCK TABLE {ChangeRow.__tablename__} IN EXCLUSIVE MODE"))
    now = utcnow()
    session.execute(delete(ChangeRow).where(ChangeRow.created_at < now - CHANGES_KEPT))
    session.execute(
        insert(ChangeRow), [{"kind": kind, "entity_id": i, "created_at": now} for i in ids]
    )


def _queue_writes(
    session: Session,
    crms: Sequence[str],
    requisition_id: str,
    scores: Sequence[NewScore],
    model_name: str,
    model_version: str,
) -> None:
    """Queue CRM writes of ``scores`` (no-op without CRMs)."""
    if not crms or not scores:
        return
    from matching.store._outbox import enqueue_scores

    enqueue_scores(
        session,
        crms,
        scores,
        requisition_id=requisition_id,
        requisition_title=session.scalar(
            select(RequisitionRow.title).where(RequisitionRow.id == requisition_id)
        ),
        model_name=model_name,
        model_version=model_version,
    )


def _insert_decisions(session: Session, decisions: Sequence[Decision]) -> int:
    """Insert decision-log rows; returns how many."""
    if not decisions:
        return 0
    now = utcnow()
    session.execute(
        insert(DecisionRow),
        [
            {
                "id": new_id(),
                "created_at": d.created_at or now,
                "request_id": d.request_id,
                "endpoint": d.endpoint,
                "caller": d.caller,
                "requisition_id": d.requisition_id,
                "requisition_sha256": d.requisition_sha256,
                "candidate_id": d.candidate_id,
                "candidate_sha256": d.candidate_sha256,
                "model_name": d.model_name,
                "model_version": d.model_version,
                "score": float(d.score),
                "rank": int(d.rank),
                "knocked_out": bool(d.knocked_out),
            }
            for d in decisions
        ],
    )
    return len(decisions)


def _replace_scores(
    session: Session,
    requisition_id: str,
    scores: Sequence[NewScore],
    model_name: str,
    model_version: str,
) -> None:
    """Put ``scores`` in place of the same model's earlier scores of those pairs."""
    ids = list(dict.fromkeys(s.candidate_id for s in scores))
    for part in chunked(ids):
        session.execute(
            delete(ScoreRow).where(
                ScoreRow.requisition_id == requisition_id,
                ScoreRow.model_name == model_name,
                ScoreRow.model_version == model_version,
                ScoreRow.candidate_id.in_(part),
            )
        )
    if not scores:
        return
    now = utcnow()
    session.execute(
        insert(ScoreRow),
        [
            {
                "id": new_id(),
                "requisition_id": requisition_id,
                "candidate_id": s.candidate_id,
                "model_name": model_name,
                "model_version": model_version,
                "score": float(s.score),
                "rank": s.rank,
                "reasons_json": _json_ready(s.reasons),
                "input_sha256": s.input_sha256,
                "created_at": now,
            }
            for s in scores
        ],
    )


def _deleted(session: Session, statement: Delete) -> int:
    """Run a DELETE; return how many rows it removed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount)


def _write_embeddings(
    session: Session,
    owner_kind: str,
    owner_id: str,
    model_id: str,
    chunks: Sequence[ChunkLike],
    vectors: Vector,
    *,
    whole: Vector | None,
) -> int:
    """Replace an owner's vectors for ``model_id``; return the rows written."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(chunks):
        raise ValueError(
            f"vectors must have shape (len(chunks), dim) = ({len(chunks)}, dim); got {matrix.shape}"
        )
    dim = int(matrix.shape[1])
    session.execute(
        delete(EmbeddingRow).where(
            EmbeddingRow.owner_kind == owner_kind,
            EmbeddingRow.owner_id == owner_id,
            EmbeddingRow.model_id == model_id,
        )
    )
    rows = [
        {
            "id": new_id(),
            "owner_kind": owner_kind,
            "owner_id": owner_id,
            "model_id": model_id,
            "chunk_index": int(chunk.index),
            "chunk_label": chunk.label,
            "content_sha256": text_hash(chunk.text),
            "dim": dim,
            "vector": to_bytes(vector),
        }
        for chunk, vector in zip(chunks, matrix, strict=True)
    ]
    if whole is not None:
        flat = np.asarray(whole, dtype=np.float32).reshape(-1)
        if flat.shape[0] != dim and chunks:
            raise ValueError(f"the whole vector has {flat.shape[0]} values, the chunks {dim}")
        rows.insert(
            0,
            {
                "id": new_id(),
                "owner_kind": owner_kind,
                "owner_id": owner_id,
                "model_id": model_id,
                "chunk_index": WHOLE_INDEX,
                "chunk_label": WHOLE_LABEL,
                "content_sha256": _whole_hash(chunks),
                "dim": int(flat.shape[0]),
                "vector": to_bytes(flat),
            },
        )
    if rows:
        session.execute(insert(EmbeddingRow), rows)
    return len(rows)


def _delete_documents(
    session: Session, document_ids: Sequence[str], *, keep_hashes: Iterable[str] = ()
) -> dict[str, int]:
    """Delete documents with their profiles, embeddings and cached chunk vectors.

    Cached vectors whose hash is in ``keep_hashes`` (the replacing document's chunks) stay.
    """
    counts = {"documents": 0, "profiles": 0, "embeddings": 0, "cache_entries": 0}
    if not document_ids:
        return counts
    keep = set(keep_hashes)
    for part in chunked(list(document_ids)):
        owned = and_(EmbeddingRow.owner_kind == "document", EmbeddingRow.owner_id.in_(part))
        by_model: dict[str, set[str]] = defaultdict(set)
        for model_id, digest in session.execute(
            select(EmbeddingRow.model_id, EmbeddingRow.content_sha256).where(
                owned, EmbeddingRow.chunk_index != WHOLE_INDEX
            )
        ):
            if digest not in keep:
                by_model[model_id].add(digest)
        for model_id, digests in by_model.items():
            for hashes in chunked(sorted(digests)):
                counts["cache_entries"] += _deleted(
                    session,
                    delete(EmbeddingCacheRow).where(
                        EmbeddingCacheRow.model_id == model_id,
                        EmbeddingCacheRow.content_sha256.in_(hashes),
                    ),
                )
        counts["embeddings"] += _deleted(session, delete(EmbeddingRow).where(owned))
        counts["profiles"] += _deleted(
            session, delete(ProfileRow).where(ProfileRow.document_id.in_(part))
        )
        counts["documents"] += _deleted(
            session, delete(DocumentRow).where(DocumentRow.id.in_(part))
        )
    return counts


def _candidates(session: Session, rows: Sequence[CandidateRow]) -> list[StoredCandidate]:
    """Candidates with their latest document and profile (two bulk queries)."""
    ids = [row.id for row in rows]
    documents: dict[str, DocumentRow] = {}
    for part in chunked(ids):
        for found in session.scalars(
            select(DocumentRow)
            .where(DocumentRow.candidate_id.in_(part))
            .order_by(DocumentRow.created_at)
        ):
            documents[found.candidate_id] = found
    profiles: dict[str, ProfileRow] = {}
    for part in chunked([d.id for d in documents.values()]):
        for parsed in session.scalars(
            select(ProfileRow)
            .where(ProfileRow.document_id.in_(part))
            .order_by(ProfileRow.created_at)
        ):
            profiles[parsed.document_id] = parsed
    result = []
    for row in rows:
        document = documents.get(row.id)
        stored = None
        if document is not None:
            profile = profiles.get(document.id)
            stored = StoredDocument(
                id=document.id,
                sha256=document.sha256,
                path=document.path,
                media_type=document.media_type,
                text=document.text,
                created_at=aware(document.created_at),
                profile=Profile.model_validate(profile.profile_json) if profile else None,
                parser_version=profile.parser_version if profile else None,
            )
        result.append(
            StoredCandidate(
                id=row.id,
                external_id=row.external_id,
                created_at=aware(row.created_at),
                updated_at=aware(row.updated_at),
                document=stored,
            )
        )
    return result


def _stored_score(row: ScoreRow) -> StoredScore:
    return StoredScore(
        id=row.id,
        requisition_id=row.requisition_id,
        candidate_id=row.candidate_id,
        model_name=row.model_name,
        model_version=row.model_version,
        score=row.score,
        rank=row.rank,
        reasons=row.reasons_json,
        input_sha256=row.input_sha256,
        created_at=aware(row.created_at),
    )


def _requisition(row: RequisitionRow) -> StoredRequisition:
    return StoredRequisition(
        id=row.id,
        external_id=row.external_id,
        sha256=row.sha256,
        title=row.title,
        text=row.text,
        requisition=Requisition.model_validate(row.requisition_json),
        created_at=aware(row.created_at),
    )


def _build_pool(
    model_id: str,
    latest: Mapping[str, Any],
    profiles: Mapping[str, str],
    vectors: Mapping[str, list[Any]],
) -> Pool:
    """Assemble a ``Pool`` from the rows :meth:`Store.pool` loaded."""
    candidate_ids: list[str] = []
    external_ids: list[str | None] = []
    document_ids: list[str] = []
    pooled_profiles: list[Profile] = []
    texts: list[str] = []
    whole_blobs: list[bytes] = []
    chunk_blobs: list[bytes] = []
    chunk_labels: list[str] = []
    chunk_indices: list[int] = []
    offsets = [0]
    missing: list[str] = []
    dim: int | None = None
    for candidate_id in sorted(latest):
        document = latest[candidate_id]
        rows = vectors.get(document.id, [])
        payload = profiles.get(document.id)
        if not rows or rows[0].chunk_index != WHOLE_INDEX or payload is None:
            missing.append(candidate_id)
            continue
        for row in rows:
            if dim is None:
                dim = row.dim
            elif row.dim != dim:
                raise ValueError(f"vectors of {model_id!r} have lengths {dim} and {row.dim}")
        candidate_ids.append(candidate_id)
        external_ids.append(document.external_id)
        document_ids.append(document.id)
        pooled_profiles.append(Profile.model_validate_json(payload))
        texts.append(document.text)
        whole_blobs.append(rows[0].vector)
        for row in rows[1:]:
            chunk_blobs.append(row.vector)
            chunk_labels.append(row.chunk_label)
            chunk_indices.append(row.chunk_index)
        offsets.append(len(chunk_labels))
    width = dim or 0
    owner = np.repeat(np.arange(len(candidate_ids), dtype=np.int64), np.diff(offsets))
    return Pool(
        model_id=model_id,
        candidate_ids=candidate_ids,
        external_ids=external_ids,
        document_ids=document_ids,
        profiles=pooled_profiles,
        texts=texts,
        whole=from_bytes(b"".join(whole_blobs), width)
        if whole_blobs
        else np.zeros((0, width), dtype=np.float32),
        chunk_vectors=from_bytes(b"".join(chunk_blobs), width)
        if chunk_blobs
        else np.zeros((0, width), dtype=np.float32),
        chunk_owner=owner.astype(np.int64),
        chunk_offsets=np.asarray(offsets, dtype=np.int64),
        chunk_labels=chunk_labels,
        chunk_indices=chunk_indices,
        missing=missing,
    )
