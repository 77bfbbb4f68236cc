"""The project's database: candidates, documents, profiles, requisitions, embeddings, scores.

SQLAlchemy 2; a SQLite file by default (``<MATCHING_HOME>/matching.db``), PostgreSQL or any
other database by URL (``MATCHING_DATABASE_URL``)::

    from matching.features import load_encoder
    from matching.store import Store, ingest_paths

    store = Store.open()
    encoder = load_encoder(cache=store.embedding_cache())
    report = ingest_paths(["resumes/"], store=store, encoder=encoder)
    pool = store.pool(encoder.model_id)      # profiles, texts and vectors of the whole pool

Extracted text is personal data and is kept only in the ``documents`` table;
:meth:`Store.delete_candidate` removes a candidate with everything derived from them.
Recruiters' decisions are labelled pairs (``Feedback``, ``export_feedback``); candidates'
requests for a human review are kept by ``ReviewRequests``.
"""

from __future__ import annotations

from matching._formats import SUPPORTED_SUFFIXES
from matching.store._engine import resolve_url
from matching.store._feedback import (
    NOTE_CHARS,
    PAIR_COLUMNS,
    REASON_CHARS,
    TEXT_COLUMNS,
    Feedback,
    FeedbackExport,
    ReviewRequests,
    export_feedback,
)
from matching.store._inbox import InboundEvent, Inbox, InboxItem, Received
from matching.store._ingest import (
    IngestedDocument,
    IngestFailure,
    IngestReport,
    expand_paths,
    ingest_document,
    ingest_paths,
    parse_document,
    parser_version,
)
from matching.store._models import Base
from matching.store._outbox import Outbox, OutboxItem, payload_hash, reasons_text
from matching.store._protected import ProtectedAttributes
from matching.store._records import (
    CandidateWrite,
    Changes,
    Decision,
    DeletionReport,
    FeedbackEntry,
    NewScore,
    Pool,
    ReviewRequest,
    StoredCandidate,
    StoredDocument,
    StoredRequisition,
    StoredScore,
    WriteBackReport,
)
from matching.store._store import WHOLE_INDEX, WHOLE_LABEL, Store, StoreEmbeddingCache
from matching.store._vectors import text_hash

__all__ = [
    "NOTE_CHARS",
    "PAIR_COLUMNS",
    "REASON_CHARS",
    "SUPPORTED_SUFFIXES",
    "TEXT_COLUMNS",
    "WHOLE_INDEX",
    "WHOLE_LABEL",
    "Base",
    "CandidateWrite",
    "Changes",
    "Decision",
    "DeletionReport",
    "Feedback",
    "FeedbackEntry",
    "FeedbackExport",
    "InboundEvent",
    "Inbox",
    "InboxItem",
    "IngestFailure",
    "IngestReport",
    "IngestedDocument",
    "NewScore",
    "Outbox",
    "OutboxItem",
    "Pool",
    "ProtectedAttributes",
    "Received",
    "ReviewRequest",
    "ReviewRequests",
    "Store",
    "StoreEmbeddingCache",
    "StoredCandidate",
    "StoredDocument",
    "StoredRequisition",
    "StoredScore",
    "WriteBackReport",
    "expand_paths",
    "export_feedback",
    "ingest_document",
    "ingest_paths",
    "parse_document",
    "parser_version",
    "payload_hash",
    "reasons_text",
    "resolve_url",
    "text_hash",
]
