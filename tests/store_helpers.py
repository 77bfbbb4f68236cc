"""Shared helpers of the store tests: row counts of the store's tables."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.store import Store
from matching.store._models import (
    CandidateRow,
    DocumentRow,
    EmbeddingCacheRow,
    EmbeddingRow,
    ProfileRow,
    RequisitionRow,
    ScoreRow,
)

ALL_TABLES = (
    CandidateRow,
    DocumentRow,
    ProfileRow,
    RequisitionRow,
    EmbeddingRow,
    EmbeddingCacheRow,
    ScoreRow,
)


def row_counts(store: Store, tables: tuple[type, ...] = ALL_TABLES) -> dict[str, int]:
    """Rows in each of ``tables``, by table name."""
    with Session(store.engine) as session:
        return {
            table.__tablename__: int(session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[attr-defined]
            for table in tables
        }
