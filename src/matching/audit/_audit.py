"""The audit of one table: rates, impact ratios, tests and ranking metrics per category."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from matching.audit._ranking import exposure_by_category, exposure_ratios, ndkl, skew_at_k
from matching.audit._rates import (
    INTERSECTION,
    SMALL_SHARE,
    above_median,
    category_labels,
    category_rates,
    impact_ratios,
    intersect,
    numeric_scores,
    selection_flags,
)
from matching.audit._tests import TestName, compare_rates, wilson_interval
from matching.errors import Errors, InputError

Outcome = Literal["score", "selection"]


@dataclass(frozen=True)
class CategoryResult:
    """One category's count, rate, impact ratio and test against the reference category."""

    category: str
    count: int
    selected: int
    share: float
    rate: float
    ci_low: float
    ci_high: float
    impact_ratio: float | None
    flagged: bool
    excludable: bool
    is_reference: bool
    test: TestName | None
    p_value: float | None
    score_median: float | None = None


@dataclass(frozen=True)
class AttributeResult:
    """Every category of one attribute (or of the intersection of several)."""

    attribute: str
    columns: tuple[str, ...]
    unknown: int
    reference: str | None
    min_impact_ratio: float | None
    categories: tuple[CategoryResult, ...]


@dataclass(frozen=True)
class OutcomeResult:
    """The audit of one outcome: scores (above the median) or selections."""

    outcome: Outcome
    column: str
    rate_name: str
    median: float | None
    rows: int
    missing: int
    overall_rate: float
    attributes: tuple[AttributeResult, ...]


@dataclass(frozen=True)
class RankingCategory:
    """Ranking metrics of one category at one cut-off, averaged over groups."""

    category: str
    groups: int
    mean_skew: float | None
    groups_absent: int
    mean_exposure_ratio: float | None


@dataclass(frozen=True)
class RankingResult:
    """Ranking metrics of one attribute at one cut-off ``k``, averaged over groups."""

    attribute: str
    k: int
    groups: int
    mean_ndkl: float | None
    categories: tuple[RankingCategory, ...]


@dataclass(frozen=True)
class AuditReport:
    """A fairness assessment of scores and/or selections; ``to_dict()`` is the JSON report."""

    audit_date: str
    source: str
    rows: int
    attributes: tuple[str, ...]
    unknowns: dict[str, int]
    threshold: float
    min_impact_ratio: float | None
    passed: bool | None
    outcomes: tuple[OutcomeResult, ...]
    group_column: str | None
    ranking: tuple[RankingResult, ...]
    notes: tuple[str, ...]
    # Raw scores per attribute and category, for the distribution plots only (not in JSON).
    score_samples: dict[str, dict[str, list[float]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (non-finite numbers become ``None``)."""
        data = asdict(self)
        data.pop("score_samples")
        cleaned: dict[str, Any] = _json_ready(data)
        return cleaned


def _json_ready(value: Any) -> Any:
    """Tuples to lists, NaN and infinities to ``None``."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _notes(*, score: bool, selection: bool, ranking: bool, threshold: float) -> tuple[str, ...]:
    notes = [
        "This report assesses the outcomes in the input table; it does not establish the cause "
        "of any difference, and passing the impact-ratio check does not show that a tool is fair.",
    ]
    if score:
        notes.append(
            "Scoring rate: the share of a category whose score is strictly above the median "
            "score of the full sample (every row with a score, whatever its attributes). "
            "Scores equal to the median do not count as above it (ties do not count)."
        )
    if selection:
        notes.append("Selection rate: the share of a category that was selected.")
    notes += [
        "Impact ratio: a category's rate divided by the highest rate among the categories "
        f"that are not excludable. A ratio under {threshold:g} is flagged (the four-fifths rule "
        "of thumb); a flag is a finding to investigate, not a legal conclusion.",
        f"Small categories: a category with under {SMALL_SHARE:.0%} of the people whose value "
        "of that attribute is known is reported with its count and rate but marked excludable: "
        "it is not used as the highest-rate reference nor counted in the minimum impact ratio, "
        "as NYC Local Law 144 permits.",
        "Unknown values: people whose attribute value is missing, blank or 'unknown' are "
        "counted and reported per attribute as 'unknown'; they are never imputed and are left "
        "out of the rates and ratios for that attribute.",
        "Intersections: categories formed by combining the attributes (for example sex × race); "
        "a person is unknown there when any of the attributes is unknown.",
        "Significance: each category is compared with the highest-rate category in a 2×2 "
        "table; Fisher's exact test (two-sided) when any expected cell count is under 5, the "
        "pooled two-proportion z-test (two-sided) otherwise. No correction for multiple tests.",
        "Confidence intervals: 95 % Wilson score intervals of each rate.",
    ]
    if ranking:
        notes.append(
            "Ranking metrics: within each group, people are ranked by score (highest first; "
            "ties keep the input order); people with an unknown value are left out before "
            "ranking for that attribute. skew@k = ln(share in top k / share in the group) "
            "(Geyik et al., KDD 2019), averaged over groups where the category is present and "
            "appears in the top k; 'absent' counts groups where it does not. NDKL@k: normalized "
            "discounted KL divergence (natural log) of top-i prefixes from the group's mix. "
            "Exposure (Singh & Joachims, KDD 2018): 1/log2(1 + rank) for ranks within the top k; "
            "mean exposure per member of a category divided by the highest category's, "
            "averaged over groups."
        )
    return tuple(notes)


def _attribute_result(
    outcome: pd.Series,
    labels: pd.Series,
    *,
    name: str,
    columns: tuple[str, ...],
    threshold: float,
    scores: pd.Series | None,
) -> AttributeResult:
    has_outcome = outcome.notna()
    unknown = int((labels.isna() & has_outcome).sum())
    table = category_rates(outcome, labels)
    known = int(table["count"].sum())
    shares = {str(c): int(n) / known for c, n in table["count"].items()} if known else {}
    small = {c for c, s in shares.items() if s < SMALL_SHARE}
    rates = {str(c): float(r) for c, r in table["rate"].items()}
    counts = {
        str(c): (int(n), int(k))
        for c, n, k in zip(table.index, table["count"], table["selected"], strict=True)
    }
    reference, ratios = impact_ratios(rates, exclude=small)
    results: list[CategoryResult] = []
    for category, row in table.iterrows():
        cat = str(category)
        count, selected = int(row["count"]), int(row["selected"])
        low, high = wilson_interval(selected, count)
        ratio = ratios.get(cat)
        test: TestName | None = None
        p_value: float | None = None
        if reference is not None and cat != reference:
            test, p_value = compare_rates(
                selected,
                count,
                counts[reference][1],
                counts[reference][0],
            )
        median = None
        if scores is not None:
            member_scores = scores[(labels == cat) & scores.notna()]
            median = float(np.median(member_scores.to_numpy())) if len(member_scores) else None
        results.append(
            CategoryResult(
                category=cat,
                count=count,
                selected=selected,
                share=shares[cat],
                rate=rates[cat],
                ci_low=low,
                ci_high=high,
                impact_ratio=ratio,
                flagged=ratio is not None and ratio < threshold,
                excludable=cat in small,
                is_reference=cat == reference,
                test=test,
                p_value=p_value,
                score_median=median,
            )
        )
    counted = [r.impact_ratio for r in results if not r.excludable and r.impact_ratio is not None]
    if not counted:
        counted = [r.impact_ratio for r in results if r.impact_ratio is not None]
    return AttributeResult(
        attribute=name,
        columns=columns,
        unknown=unknown,
        reference=reference,
        min_impact_ratio=min(counted) if counted else None,
        categories=tuple(results),
    )


def _ranking_results(
    scores: pd.Series, groups: pd.Series, labels: pd.Series, *, name: str, ks: Sequence[int]
) -> list[RankingResult]:
    keep = scores.notna() & labels.notna() & groups.notna()
    frame = pd.DataFrame({"g": groups[keep], "s": scores[keep], "c": labels[keep]})
    rankings: list[list[Hashable]] = []
    for _, group in frame.groupby("g", sort=True):
        ordered = group.sort_values("s", ascending=False, kind="mergesort")
        rankings.append(list(ordered["c"]))
    categories = sorted({str(c) for c in frame["c"]})
    results = []
    for k in ks:
        per_category = []
        for category in categories:
            present = [r for r in rankings if category in r]
            skews = [skew_at_k(r, category, k=k) for r in present]
            finite = [s for s in skews if math.isfinite(s)]
            ratios = [exposure_ratios(exposure_by_category(r, k=k))[category] for r in present]
            per_category.append(
                RankingCategory(
                    category=category,
                    groups=len(present),
                    mean_skew=float(np.mean(finite)) if finite else None,
                    groups_absent=len(skews) - len(finite),
                    mean_exposure_ratio=float(np.mean(ratios)) if ratios else None,
                )
            )
        values = [ndkl(r, k=k) for r in rankings]
        results.append(
            RankingResult(
                attribute=name,
                k=k,
                groups=len(rankings),
                mean_ndkl=_finite_or_none(float(np.mean(values))) if values else None,
                categories=tuple(per_category),
            )
        )
    return results


def audit_table(
    frame: pd.DataFrame,
    *,
    attributes: Sequence[str],
    score_column: str | None = None,
    selected_column: str | None = None,
    group_column: str | None = None,
    ks: Sequence[int] = (5, 10, 20),
    threshold: float | None = None,
    source: str = "",
    audit_date: dt.date | None = None,
) -> AuditReport:
    """Assess scores and/or selections of a table per demographic category.

    Parameters
    ----------
    frame
        One row per person (per person and group for shortlists).
    attributes
        Demographic columns (for example ``["sex", "race"]``); each is audited alone and, when
        there are several, together as their intersection.
    score_column
        Numeric scores; the outcome is scoring strictly above the median of all scores.
    selected_column
        Selected or not (1/0, true/false, yes/no); the outcome is being selected.
    group_column
        Groups to rank within (for example ``job_id``); with ``score_column`` it adds skew@k,
        NDKL and exposure ratios at each ``k`` in ``ks``.
    threshold
        Impact ratio under which a category is flagged; ``MATCHING_MIN_IMPACT_RATIO`` (0.8)
        by default.
    source
        Where the data came from (a file name), shown in the report.
    audit_date
        Date of the audit; today by default.

    Returns
    -------
    AuditReport

    Raises
    ------
    InputError
        E500 no attribute; E501 missing columns; E502 non-numeric scores; E503 selections that
        are not yes/no; E504 no score or selection column, or no rows.
    """
    if threshold is None:
        from matching.settings import get_settings

        threshold = get_settings().min_impact_ratio
    attributes = list(dict.fromkeys(attributes))
    if not attributes:
        raise InputError(Errors.E500)
    if score_column is None and selected_column is None:
        raise InputError(Errors.E504, detail="neither a score column nor a selection column")
    wanted = [*attributes, score_column, selected_column, group_column]
    missing = [c for c in wanted if c is not None and c not in frame.columns]
    if missing:
        raise InputError(Errors.E501, source=source or "table", detail=", ".join(missing))
    if frame.empty:
        raise InputError(Errors.E504, detail="the table has no rows")

    labels = {a: category_labels(frame[a]) for a in attributes}
    audited: list[tuple[str, tuple[str, ...], pd.Series]] = [
        (a, (a,), labels[a]) for a in attributes
    ]
    if len(attributes) > 1:
        name = INTERSECTION.join(attributes)
        audited.append((name, tuple(attributes), intersect([labels[a] for a in attributes])))

    scores = numeric_scores(frame[score_column], column=score_column) if score_column else None
    outcomes: list[OutcomeResult] = []
    if scores is not None and score_column is not None:
        flags, median = above_median(scores)
        outcomes.append(_outcome("score", score_column, flags, audited, threshold, scores, median))
    if selected_column is not None:
        flags = selection_flags(frame[selected_column], column=selected_column)
        if flags.notna().sum() == 0:
            raise InputError(Errors.E504, detail=f"the column {selected_column!r} has no values")
        outcomes.append(_outcome("selection", selected_column, flags, audited, threshold))

    ranking: list[RankingResult] = []
    if group_column is not None and scores is not None:
        for name, _, series in audited:
            ranking += _ranking_results(scores, frame[group_column], series, name=name, ks=ks)

    minimums = [a.min_impact_ratio for o in outcomes for a in o.attributes]
    known = [m for m in minimums if m is not None]
    overall = min(known) if known else None
    samples: dict[str, dict[str, list[float]]] = {}
    if scores is not None:
        for name, _, series in audited[: len(attributes)]:
            keep = scores.notna() & series.notna()
            samples[name] = {
                str(c): [float(v) for v in part]
                for c, part in scores[keep].groupby(series[keep].astype(str), sort=True)
            }
    return AuditReport(
        audit_date=(audit_date or dt.date.today()).isoformat(),
        source=source,
        rows=len(frame),
        attributes=tuple(attributes),
        unknowns={a: int(labels[a].isna().sum()) for a in attributes},
        threshold=threshold,
        min_impact_ratio=overall,
        passed=None if overall is None else overall >= threshold,
        outcomes=tuple(outcomes),
        group_column=group_column if ranking else None,
        ranking=tuple(ranking),
        notes=_notes(
            score=scores is not None,
            selection=selected_column is not None,
            ranking=bool(ranking),
            threshold=threshold,
        ),
        score_samples=samples,
    )


def _outcome(
    kind: Outcome,
    column: str,
    flags: pd.Series,
    audited: list[tuple[str, tuple[str, ...], pd.Series]],
    threshold: float,
    scores: pd.Series | None = None,
    median: float | None = None,
) -> OutcomeResult:
    known = flags.dropna()
    return OutcomeResult(
        outcome=kind,
        column=column,
        rate_name="scoring rate" if kind == "score" else "selection rate",
        median=median,
        rows=len(known),
        missing=int(flags.isna().sum()),
        overall_rate=float(known.mean()),
        attributes=tuple(
            _attribute_result(
                flags, series, name=name, columns=cols, threshold=threshold, scores=scores
            )
            for name, cols, series in audited
        ),
    )
