"""Outcomes, categories, rates and impact ratios (the NYC LL144 arithmetic)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from matching.errors import Errors, InputError

UNKNOWN = "unknown"
# LL144 lets an auditor leave categories under 2 % of the data out of the impact-ratio basis.
SMALL_SHARE = 0.02
INTERSECTION = " × "
_UNKNOWN_TEXT = frozenset({"", "unknown"})
_YES = frozenset({"1", "1.0", "true", "yes", "y", "t"})
_NO = frozenset({"0", "0.0", "false", "no", "n", "f"})


def category_labels(values: pd.Series) -> pd.Series:
    """Attribute values as text; missing, blank or ``"unknown"`` become ``None`` (never imputed)."""

    def label(value: object) -> str | None:
        missing = value is None or value is pd.NA or value is pd.NaT
        if missing or (isinstance(value, float | np.floating) and math.isnan(value)):
            return None
        text = str(value).strip()
        return None if text.lower() in _UNKNOWN_TEXT else text

    return pd.Series([label(v) for v in values], index=values.index, dtype=object)


def intersect(labels: Sequence[pd.Series]) -> pd.Series:
    """The intersectional category (``"f × black"``); unknown when any part is unknown."""
    frame = pd.concat(list(labels), axis=1)
    joined = [
        None if any(part is None for part in row) else INTERSECTION.join(row)
        for row in frame.itertuples(index=False, name=None)
    ]
    return pd.Series(joined, index=frame.index, dtype=object)


def numeric_scores(values: pd.Series, *, column: str) -> pd.Series:
    """Scores as floats, NaN where missing; raises ``InputError`` (E502) on text."""
    blank = values.isna() | values.astype(str).str.strip().eq("")
    scores = pd.to_numeric(values.where(~blank), errors="coerce").astype(float)
    bad = values[scores.isna() & ~blank]
    finite = np.isfinite(scores.to_numpy()) | scores.isna().to_numpy()
    if len(bad) or not finite.all():
        shown = [str(v) for v in list(bad)[:3]] or ["infinite values"]
        raise InputError(Errors.E502, column=column, detail=", ".join(repr(v) for v in shown))
    return scores


def above_median(scores: pd.Series) -> tuple[pd.Series, float]:
    """1.0 where a score is strictly above the median of all known scores, else 0.0.

    Scores equal to the median do not count as scoring above it; missing scores stay NaN.
    """
    known = scores.dropna()
    if known.empty:
        raise InputError(Errors.E504, detail="the score column has no values")
    median = float(np.median(known.to_numpy()))
    outcome = (scores > median).astype(float).where(scores.notna())
    return outcome, median


def selection_flags(values: pd.Series, *, column: str) -> pd.Series:
    """Selected (1.0), not selected (0.0) or unknown (NaN); raises ``InputError`` (E503)."""
    flags: list[float] = []
    bad: list[str] = []
    for value in values:
        if isinstance(value, bool | np.bool_):
            flags.append(float(value))
        elif isinstance(value, int | float | np.integer | np.floating):
            if math.isnan(float(value)):
                flags.append(math.nan)
            elif float(value) in (0.0, 1.0):
                flags.append(float(value))
            else:
                flags.append(math.nan)
                bad.append(repr(value))
        elif value is None or value is pd.NA or value is pd.NaT:
            flags.append(math.nan)
        else:
            text = str(value).strip().lower()
            if text == "":
                flags.append(math.nan)
            elif text in _YES or text in _NO:
                flags.append(1.0 if text in _YES else 0.0)
            else:
                flags.append(math.nan)
                bad.append(repr(value))
    if bad:
        raise InputError(Errors.E503, column=column, detail=", ".join(bad[:3]))
    return pd.Series(flags, index=values.index, dtype=float)


def category_rates(outcome: pd.Series, categories: pd.Series) -> pd.DataFrame:
    """Count, number selected and rate per known category (unknowns left out).

    Parameters
    ----------
    outcome
        1.0 for selected (or scoring above the median), 0.0 otherwise; NaN rows are left out.
    categories
        Category per row, ``None`` when unknown.

    Returns
    -------
    pandas.DataFrame
        Indexed by category (sorted), columns ``count``, ``selected``, ``rate``.
    """
    keep = outcome.notna() & categories.notna()
    frame = pd.DataFrame({"category": categories[keep].astype(str), "y": outcome[keep]})
    grouped = frame.groupby("category", sort=True)["y"]
    table = pd.DataFrame({"count": grouped.size(), "selected": grouped.sum().astype(int)})
    table["rate"] = table["selected"] / table["count"]
    return table


def impact_ratios(
    rates: Mapping[str, float], *, exclude: Collection[str] = ()
) -> tuple[str | None, dict[str, float | None]]:
    """Impact ratio of each category: its rate divided by the highest rate.

    Categories in ``exclude`` (small ones) get a ratio but cannot be the reference; when every
    category is excluded, all are eligible. Ratios are ``None`` when the highest rate is 0.

    Returns
    -------
    tuple
        ``(reference category, {category: impact ratio})``.
    """
    eligible = {c: r for c, r in rates.items() if c not in exclude} or dict(rates)
    if not eligible:
        return None, {}
    reference = max(sorted(eligible), key=lambda c: eligible[c])
    highest = eligible[reference]
    if highest <= 0:
        return reference, dict.fromkeys(rates)
    return reference, {c: r / highest for c, r in rates.items()}
