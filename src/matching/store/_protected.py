"""Protected attributes: their own table and their own access path, for the audit only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
from sqlalchemy import delete, select

from matching.errors import Errors, InputError
from matching.store._models import CandidateRow, ProtectedAttributeRow, ScoreRow
from matching.store._store import Store


class ProtectedAttributes:
    """Reads and writes candidates' protected attributes (sex, race/ethnicity, age band …).

    The only way in or out of the ``protected_attributes`` table. Nothing else in the
    project reads it: profiles, pools, features, rankers and CRM exports never see these
    values; ``audit_frame`` joins them to scores for ``matching.audit`` and nothing else.
    Values are stored as given (self-reported); a missing value stays missing.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def set(
        self, candidate_id: str, values: Mapping[str, str | None], *, source: str = "self-reported"
    ) -> int:
        """Store ``values`` for a candidate (``None`` removes one); returns rows written."""
        with self.store._sessions.begin() as session:
            if session.get(CandidateRow, candidate_id) is None:
                raise InputError(Errors.E403, what="candidate", ids=candidate_id)
            written = 0
            for attribute, value in values.items():
                session.execute(
                    delete(ProtectedAttributeRow).where(
                        ProtectedAttributeRow.candidate_id == candidate_id,
                        ProtectedAttributeRow.attribute == attribute,
                    )
                )
                if value is not None and str(value).strip():
                    session.add(
                        ProtectedAttributeRow(
                            candidate_id=candidate_id,
                            attribute=attribute,
                            value=str(value).strip(),
                            source=source,
                        )
                    )
                    written += 1
            return written

    def audit_frame(
        self,
        requisition_id: str,
        attributes: Iterable[str],
        *,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> pd.DataFrame:
        """Scores of one requisition with the candidates' attributes, for ``audit_table``.

        One row per scored candidate: ``candidate_id``, ``score``, ``rank`` and one column
        per attribute (missing where the candidate gave none: counted as unknown, never
        imputed).
        """
        names = list(attributes)
        with self.store._sessions() as session:
            query = select(ScoreRow.candidate_id, ScoreRow.score, ScoreRow.rank).where(
                ScoreRow.requisition_id == requisition_id
            )
            if model_name is not None:
                query = query.where(ScoreRow.model_name == model_name)
            if model_version is not None:
                query = query.where(ScoreRow.model_version == model_version)
            scores = pd.DataFrame(
                session.execute(query).all(), columns=["candidate_id", "score", "rank"]
            )
            rows = session.execute(
                select(
                    ProtectedAttributeRow.candidate_id,
                    ProtectedAttributeRow.attribute,
                    ProtectedAttributeRow.value,
                ).where(
                    ProtectedAttributeRow.candidate_id.in_(scores["candidate_id"].tolist()),
                    ProtectedAttributeRow.attribute.in_(names),
                )
            ).all()
        values = pd.DataFrame(rows, columns=["candidate_id", "attribute", "value"])
        wide = values.pivot(index="candidate_id", columns="attribute", values="value")
        frame = scores.merge(wide, how="left", left_on="candidate_id", right_index=True)
        for name in names:
            if name not in frame.columns:
                frame[name] = None
        return frame[["candidate_id", "score", "rank", *names]]
