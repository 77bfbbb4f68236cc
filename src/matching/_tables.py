"""Terminal tables shared by the command line and the demo (rich)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from matching.schemas import ScoredCandidate


def scores_table(
    title: str,
    items: Sequence[ScoredCandidate],
    names: Mapping[str, str | None] | None = None,
) -> Table:
    """Rank, candidate (its name when ``names`` has one), score, skills and knock-outs."""
    table = Table(title=title, title_justify="left")
    for column in ("rank", "candidate", "score", "matched", "missing", "knock-outs"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            str(item.rank),
            (names or {}).get(item.candidate_id) or item.candidate_id,
            f"{item.score:.1f}",
            ", ".join(item.reasons.matched_skills) or "—",
            ", ".join(item.reasons.missing_skills) or "—",
            ", ".join(f"{k.rule}: {k.status}" for k in item.knockouts) or "—",
        )
    return table


def metrics_table(metrics: Any, title: str, *, direction: str | None = None) -> Table:
    """A metrics frame (one row per model and direction); only ``direction``'s rows if given."""
    frame = metrics
    if direction is not None:
        frame = frame[frame["direction"] == direction]
    hidden = {"groups"} | ({"direction"} if direction is not None else set())
    columns = [c for c in frame.columns if c not in hidden]
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in {"model", "direction"} else "right")
    for row in frame.to_dict("records"):
        table.add_row(
            *(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns)
        )
    return table
