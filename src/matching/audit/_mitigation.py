"""Post-processing mitigation of shortlists and advance decisions, assessed before and after.

Two mitigations, both applied *after* the model has scored, never inside it:

* ``fair_top_k`` / ``rerank_shortlists``: a fair top-k re-ranking. Walking down the shortlist
  one position at a time, it takes the model's best remaining candidate unless a protected
  category would then fall below ``floor((share − tolerance) · i)`` members of the top ``i``
  (or rise above ``ceil((share + tolerance) · i)``), in which case it takes the best remaining
  member of the category that is short; below position ``k`` the model's order is kept. Every
  prefix of the top ``k`` so keeps each category's share within ``tolerance`` of its share of
  the pool (when the pool holds enough of it), and the order changes only where a bound binds.
* ``threshold_mitigation``: fairlearn's ``ThresholdOptimizer`` (``prefit=True``,
  demographic parity) on the decision "advance to interview" (score at or above a threshold):
  group-specific, possibly randomised thresholds that equalise advance rates.

Protected attributes are never model features: the model scores without them, and these
functions read them only here, at the post-processing step. Using a protected attribute to
change who is shortlisted or advanced is a *policy choice with legal implications*: in some
jurisdictions it is restricted or unlawful (in the United States, for example,
42 U.S.C. § 2000e-2(l) forbids adjusting scores or using different cut-off scores by race,
colour, religion, sex or national origin for employment-related tests). These functions
assess what a mitigation would change; deciding to apply one needs legal advice. Figures
computed against weak labels say how the order moves relative to those labels, not how well
people fit a job.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator

from matching.audit._ranking import exposure_by_category, exposure_ratios, ndkl
from matching.audit._rates import category_labels, category_rates, impact_ratios
from matching.errors import Errors, InputError
from matching.ranking import ndcg_at_k

if TYPE_CHECKING:
    from matching.ranking import CandidateRanker

SHORTLIST_KS = (5, 10, 20)
_METRICS = ("impact_ratio", "ndkl", "exposure_ratio", "ndcg", "entered")


def _check_option(option: str, value: float, low: float, high: float) -> None:
    """Raise ``InputError`` E515 unless ``low <= value <= high``."""
    if not (isinstance(value, int | float) and low <= value <= high):
        raise InputError(Errors.E515, option=option, value=value, detail=f"{low} to {high}")


def fair_top_k(
    categories: Sequence[Hashable | None],
    *,
    k: int,
    tolerance: float = 0.1,
    target: Mapping[Hashable, float] | None = None,
) -> list[int]:
    """Re-rank a ranked list so that every prefix of its top ``k`` holds each category's share.

    Parameters
    ----------
    categories
        The protected category of each candidate, in the model's order (best first); ``None``
        for a candidate whose category is unknown (placed by the model's order alone, never
        counted towards a category).
    k
        The length of the shortlist that is constrained; below it the model's order is kept.
    tolerance
        How far (as a share) a category's share of each prefix may fall below or rise above
        its target share. 0 asks for the target mix at every prefix (rounded down for the
        minimum, up for the maximum); 1 leaves the model's order unchanged.
    target
        Target share of each category; by default its share of the known candidates in the
        whole list.

    Returns
    -------
    list[int]
        A permutation of ``range(len(categories))``: the new order, as indices into the input.

    Notes
    -----
    For prefix length ``i`` (1 to ``k``) a category ``g`` with target share ``p`` must hold at
    least ``floor(max(p − tolerance, 0) · i)`` and at most ``ceil(min(p + tolerance, 1) · i)``
    members. Position ``i`` takes the best remaining member of a category that is below its
    minimum (the best of them when several are); otherwise the best remaining candidate
    whose category is below its maximum; otherwise the best remaining candidate. A category
    with no members left is not waited for, so a pool too small for a target keeps what it
    has. The model's scores are not changed: only the order of the shortlist is.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InputError(Errors.E515, option="k", value=k, detail="a whole number, 0 or more")
    _check_option("tolerance", tolerance, 0.0, 1.0)
    known = [c for c in categories if c is not None]
    if target is None:
        counts = Counter(known)
        shares: dict[Hashable, float] = {c: n / len(known) for c, n in counts.items()}
    else:
        shares = {c: float(p) for c, p in target.items()}
        if any(not 0.0 <= p <= 1.0 for p in shares.values()):
            raise InputError(
                Errors.E515, option="target", value=dict(target), detail="shares in [0, 1]"
            )
    remaining: dict[Hashable | None, list[int]] = {}
    for index, category in enumerate(categories):
        remaining.setdefault(category, []).append(index)
    for queue in remaining.values():
        queue.reverse()  # pop() from the end gives the best remaining member
    taken: Counter[Hashable] = Counter()
    order: list[int] = []
    for i in range(1, min(k, len(categories)) + 1):
        floors = {c: math.floor(max(p - tolerance, 0.0) * i + 1e-9) for c, p in shares.items()}
        ceilings = {c: math.ceil(min(p + tolerance, 1.0) * i - 1e-9) for c, p in shares.items()}
        short = [c for c, least in floors.items() if taken[c] < least and remaining.get(c)]
        if short:
            choice: Hashable | None = min(short, key=lambda c: remaining[c][-1])
        else:
            open_ = [
                c
                for c, queue in remaining.items()
                if queue and (c is None or c not in shares or taken[c] < ceilings[c])
            ]
            pool = open_ or [c for c, queue in remaining.items() if queue]
            choice = min(pool, key=lambda c: remaining[c][-1])
        order.append(remaining[choice].pop())
        if choice is not None:
            taken[choice] += 1
    chosen = set(order)
    order.extend(i for i in range(len(categories)) if i not in chosen)
    return order


@dataclass(frozen=True)
class MitigationResult:
    """Shortlist metrics per cut-off before and after a re-ranking.

    ``before`` and ``after`` are indexed by ``k`` with the columns ``impact_ratio`` (lowest
    over highest share of a category's candidates that reach the top ``k``, pooled over
    requisitions), ``ndkl``, ``exposure_ratio`` (means over requisitions), ``ndcg`` (NDCG@k
    against the labels, NaN without labels), ``entered`` (mean number of candidates the
    re-ranking brought into the top ``k``; 0 before) and ``rate_<category>`` (the share of the
    category's candidates in the top ``k``). ``rankings`` holds each requisition's new order.
    """

    before: pd.DataFrame
    after: pd.DataFrame
    rankings: pd.DataFrame
    tolerance: float
    k: int
    unknown: int

    def comparison(self) -> pd.DataFrame:
        """One row per metric and cut-off: ``before``, ``after`` and ``change``."""
        rows = []
        for k in self.before.index:
            for metric in self.before.columns:
                before = float(self.before.loc[k, metric])
                after = float(self.after.loc[k, metric])
                rows.append({"k": int(k), "metric": metric, "before": before, "after": after})
        table = pd.DataFrame(rows).set_index(["metric", "k"]).sort_index()
        table["change"] = table["after"] - table["before"]
        return table


def _ranked(frame: pd.DataFrame, score: str, candidate: str) -> pd.DataFrame:
    """One requisition's rows best first (ties broken by candidate id, as the model does)."""
    keyed = frame.assign(_id=frame[candidate].astype(str), _score=-frame[score].astype(float))
    return keyed.sort_values(["_score", "_id"], kind="stable").drop(columns=["_id", "_score"])


def _check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(Errors.E501, source="frame", detail=", ".join(missing))


def rerank_shortlists(
    frame: pd.DataFrame,
    *,
    attribute: str,
    score: str = "score",
    group: str = "requisition",
    candidate: str = "candidate",
    label: str | None = "label",
    k: int = 20,
    ks: Sequence[int] = SHORTLIST_KS,
    tolerance: float = 0.1,
) -> MitigationResult:
    """Re-rank each requisition's shortlist with ``fair_top_k`` and assess before and after.

    Parameters
    ----------
    frame
        One row per (requisition, candidate): the model's score, the candidate's protected
        category (``attribute``; blank or missing means unknown) and, optionally, a (weak)
        relevance label.
    attribute
        The protected attribute column; read only here, after scoring.
    score
        The column the model ranks by (higher is better; ties by candidate id).
    group, candidate
        The requisition and candidate id columns.
    label
        Graded relevance for NDCG (gain ``2**label − 1``); ``None`` to leave it out.
    k
        The constrained shortlist length (see ``fair_top_k``).
    ks
        The cut-offs assessed.
    tolerance
        See ``fair_top_k``.

    Returns
    -------
    MitigationResult
        The metrics per cut-off before and after, and the new rankings (columns ``group``,
        ``candidate``, ``attribute``, ``rank_before``, ``rank_after``).
    """
    _check_columns(frame, [group, candidate, score, attribute, *([label] if label else [])])
    if frame.empty:
        raise InputError(Errors.E504, detail="the frame has no rows")
    if not ks or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in ks):
        raise InputError(Errors.E515, option="ks", value=list(ks), detail="whole numbers ≥ 1")
    labels = category_labels(frame[attribute])
    data = frame.assign(_category=labels.to_numpy())
    rankings = []
    for requisition, rows in data.groupby(group, sort=True):
        ranked = _ranked(rows, score, candidate)
        cats = [c if isinstance(c, str) else None for c in ranked["_category"]]
        order = fair_top_k(cats, k=k, tolerance=tolerance)
        ranked = ranked.assign(rank_before=np.arange(1, len(ranked) + 1))
        new_rank = np.empty(len(order), dtype=np.int64)
        new_rank[order] = np.arange(1, len(order) + 1)
        rankings.append(ranked.assign(rank_after=new_rank, **{group: requisition}))
    ranked_all = pd.concat(rankings, ignore_index=True)

    known_categories = sorted({c for c in labels if isinstance(c, str)})
    before: list[dict[str, float]] = []
    after: list[dict[str, float]] = []
    for cut in ks:
        for column, out in (("rank_before", before), ("rank_after", after)):
            row = _metrics_at(ranked_all, column, cut, group, label, known_categories)
            if column == "rank_after":
                entered = [
                    float(((r["rank_after"] <= cut) & (r["rank_before"] > cut)).sum())
                    for _, r in ranked_all.groupby(group, sort=False)
                ]
                row["entered"] = float(np.mean(entered))
            out.append(row)
    columns = [*_METRICS, *(f"rate_{c}" for c in known_categories)]
    index = pd.Index(list(ks), name="k")
    keep = [group, candidate, attribute, "rank_before", "rank_after"]
    return MitigationResult(
        before=pd.DataFrame(before, index=index)[columns],
        after=pd.DataFrame(after, index=index)[columns],
        rankings=ranked_all[keep].sort_values([group, "rank_after"]).reset_index(drop=True),
        tolerance=tolerance,
        k=k,
        unknown=int(labels.isna().sum()),
    )


def _metrics_at(
    ranked: pd.DataFrame,
    rank_column: str,
    cut: int,
    group: str,
    label: str | None,
    categories: Sequence[str],
) -> dict[str, float]:
    """Shortlist metrics at ``cut`` for the order in ``rank_column``."""
    ndkls, exposures, ndcgs = [], [], []
    for _, rows in ranked.groupby(group, sort=False):
        ordered = rows.sort_values(rank_column)
        cats = [c for c in ordered["_category"] if isinstance(c, str)]
        if cats:
            ndkls.append(ndkl(cats, k=cut))
            exposures.append(min(exposure_ratios(exposure_by_category(cats, k=cut)).values()))
        if label is not None:
            ndcgs.append(
                ndcg_at_k(
                    ordered[label].to_numpy(float), -ordered[rank_column].to_numpy(float), cut
                )
            )
    selected = (ranked[rank_column] <= cut).astype(float)
    known = ranked["_category"].map(lambda c: c if isinstance(c, str) else None)
    rates = category_rates(selected, known)["rate"].to_dict()
    _, ratios = impact_ratios({str(c): float(r) for c, r in rates.items()})
    known_ratios = [r for r in ratios.values() if r is not None]
    finite_ndcg = [v for v in ndcgs if not math.isnan(v)]
    return {
        "impact_ratio": min(known_ratios) if known_ratios else math.nan,
        "ndkl": float(np.mean(ndkls)) if ndkls else math.nan,
        "exposure_ratio": float(np.mean(exposures)) if exposures else math.nan,
        "ndcg": float(np.mean(finite_ndcg)) if finite_ndcg else math.nan,
        "entered": 0.0,
        **{f"rate_{c}": float(rates.get(c, math.nan)) for c in categories},
    }


# -- advance decisions: fairlearn's ThresholdOptimizer -----------------------------------------
class _PrecomputedScore(BaseEstimator):  # type: ignore[misc]
    """A fitted 'estimator' whose prediction is its single input column (a stored score)."""

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> _PrecomputedScore:
        """Nothing to learn; marks the estimator fitted."""
        self.n_features_in_ = 1
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """The score column."""
        data = np.asarray(X, dtype=np.float64)
        return data.reshape(len(data), -1)[:, 0]


@dataclass(frozen=True)
class ThresholdResult:
    """Advance decisions by category before (one threshold) and after (per-category ones).

    ``threshold`` is the single threshold of the decision before. ``before`` and ``after``
    are indexed by category with ``count``, ``advanced``,
    ``rate`` (share advanced), ``impact_ratio`` and ``tpr`` (share of the label-relevant
    candidates advanced; the labels are weak). ``summary`` gives, before and after, the
    lowest impact ratio, the overall advance rate and the balanced accuracy against the
    labels, on the rows assessed (the held-out requisitions when ``holdout`` > 0).
    """

    before: pd.DataFrame
    after: pd.DataFrame
    summary: pd.DataFrame
    threshold: float
    fitted_rows: int
    assessed_rows: int
    unknown: int


def _decision_table(
    advanced: NDArray[np.bool_], labels: NDArray[np.int64], categories: pd.Series
) -> pd.DataFrame:
    table = category_rates(pd.Series(advanced.astype(float), index=categories.index), categories)
    _, ratios = impact_ratios({str(c): float(r) for c, r in table["rate"].items()})
    table = table.rename(columns={"selected": "advanced"})
    table["impact_ratio"] = [ratios.get(str(c)) for c in table.index]
    positives = pd.Series(labels == 1, index=categories.index)
    table["tpr"] = [
        float(advanced[(categories == c).to_numpy() & positives.to_numpy()].mean())
        if ((categories == c) & positives).any()
        else math.nan
        for c in table.index
    ]
    return table


def best_single_threshold(scores: ArrayLike, labels: ArrayLike) -> float:
    """The one threshold (a score present in ``scores``) whose decision ``score ≥ threshold``
    has the highest balanced accuracy against binary ``labels`` (the highest such score on a
    tie): the unconstrained counterpart of the per-category thresholds."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    positives, negatives = int((y == 1).sum()), int((y == 0).sum())
    if positives == 0 or negatives == 0:
        raise InputError(Errors.E515, option="labels", value="one class", detail="both 0 and 1")
    order = np.argsort(-s, kind="stable")
    ranked, hits = s[order], y[order]
    tpr = np.cumsum(hits == 1) / positives
    fpr = np.cumsum(hits == 0) / negatives
    last = np.append(ranked[1:] != ranked[:-1], True)  # last row of each distinct score
    accuracy = np.where(last, (tpr + 1 - fpr) / 2, -np.inf)
    return float(ranked[int(np.argmax(accuracy))])


def _balanced_accuracy(advanced: NDArray[np.bool_], labels: NDArray[np.int64]) -> float:
    positive, negative = labels == 1, labels == 0
    if not positive.any() or not negative.any():
        return math.nan
    return float((advanced[positive].mean() + (~advanced[negative]).mean()) / 2)


def threshold_mitigation(
    frame: pd.DataFrame,
    *,
    attribute: str,
    score: str = "score",
    label: str = "label",
    group: str = "requisition",
    threshold: float | None = None,
    holdout: float = 0.5,
    seed: int = 0,
) -> ThresholdResult:
    """Equalise advance rates across categories with fairlearn's ``ThresholdOptimizer``.

    The decision assessed is "advance to interview": ``score ≥ threshold``. The optimizer
    (``prefit=True``, ``constraints="demographic_parity"``, objective balanced accuracy
    against the labels) picks a threshold per category, randomised between two values where
    needed, so that every category advances at the same rate. The protected attribute is
    read only here, after scoring; see the module notes on the legal side of such a choice.

    Parameters
    ----------
    frame
        One row per (requisition, candidate) with the score (0–100), the protected attribute
        and a binary label (1 relevant, 0 not; weak labels are fine but say so).
    attribute, score, label, group
        Column names.
    threshold
        The single threshold of the decision before mitigation (0–100); by default the one
        with the highest balanced accuracy on the fitted part (``best_single_threshold``), so
        that before and after differ only by the fairness constraint.
    holdout
        Share of requisitions (drawn with ``seed``) held out: the optimizer is fitted on the
        others and both decisions are assessed on these. 0 fits and assesses on every row
        (an optimistic, in-sample view).
    seed
        Seed of the held-out draw and of the randomised thresholds.

    Returns
    -------
    ThresholdResult
        Per-category tables before and after and a summary.
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    _check_columns(frame, [group, score, attribute, label])
    _check_option("holdout", holdout, 0.0, 0.9)
    categories = category_labels(frame[attribute])
    known = categories.notna().to_numpy()
    data = frame.loc[known].reset_index(drop=True)
    cats = categories[known].reset_index(drop=True).astype(str)
    labels = pd.to_numeric(data[label], errors="coerce")
    if not labels.isin([0, 1]).all():
        raise InputError(Errors.E503, column=label, detail="labels must be 0 or 1")
    y = labels.to_numpy(dtype=np.int64)
    requisitions = np.asarray(sorted(set(data[group].astype(str))))
    rng = np.random.default_rng(seed)
    held = set(
        rng.choice(requisitions, size=round(len(requisitions) * holdout), replace=False)
        if holdout > 0
        else requisitions
    )
    assess = data[group].astype(str).isin(held).to_numpy()
    fit = ~assess if holdout > 0 else assess
    if len(set(cats[fit])) < 2 or len(set(y[fit])) < 2 or not assess.any():
        raise InputError(
            Errors.E515,
            option="holdout",
            value=holdout,
            detail="the fitted part needs two categories and both labels, and the held-out "
            "part some rows",
        )
    X = data[[score]].to_numpy(dtype=np.float64)
    optimizer = ThresholdOptimizer(
        estimator=_PrecomputedScore().fit(X[fit]),
        constraints="demographic_parity",
        objective="balanced_accuracy_score",
        prefit=True,
        predict_method="predict",
    )
    optimizer.fit(X[fit], y[fit], sensitive_features=cats[fit].to_numpy())
    after = np.asarray(
        optimizer.predict(X[assess], sensitive_features=cats[assess].to_numpy(), random_state=seed)
    ).astype(bool)
    if threshold is None:
        threshold = best_single_threshold(X[fit, 0], y[fit])
    before = X[assess, 0] >= threshold
    assessed = cats[assess].reset_index(drop=True)
    tables = {
        "before": _decision_table(before, y[assess], assessed),
        "after": _decision_table(after, y[assess], assessed),
    }
    summary = pd.DataFrame(
        {
            name: {
                "impact_ratio": float(np.nanmin(table["impact_ratio"].to_numpy(dtype=float))),
                "advance_rate": float(decision.mean()),
                "balanced_accuracy": _balanced_accuracy(decision, y[assess]),
            }
            for (name, table), decision in zip(tables.items(), (before, after), strict=True)
        }
    )
    return ThresholdResult(
        before=tables["before"],
        after=tables["after"],
        summary=summary,
        threshold=threshold,
        fitted_rows=int(fit.sum()),
        assessed_rows=int(assess.sum()),
        unknown=int((~known).sum()),
    )


# -- the rankings of the model audit -----------------------------------------------------------
def bios_rankings(model: CandidateRanker, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every profession's posting ranking every biography of ``bias_in_bios``, as one table.

    Columns: ``requisition`` (the profession of the posting, written by
    ``profession_requisition``), ``candidate`` (the biography's row number, as text),
    ``profession``, ``gender`` (read for the audit only, never a feature), ``raw`` (the
    ranker's score: the model's order), ``score`` (0–100) and ``label`` (1 when the
    biography's profession is the posting's: a WEAK label). The order by ``raw`` with ties by
    candidate id is the one the model audit's shortlist metrics use.
    """
    from matching.audit._model_audit import load_bias_in_bios, profession_requisition
    from matching.parsing import parse_requisition_text, parse_resume_text

    bios = load_bias_in_bios(data_dir)
    texts = bios["hard_text"].astype(str).tolist()
    featurizer = model.featurizer()
    everyone = featurizer.prepare_candidates(
        [(str(i), text, parse_resume_text(text)) for i, text in enumerate(texts)]
    )
    frames = []
    for profession in sorted(set(bios["profession"].astype(str))):
        text = profession_requisition(profession)
        requisition = featurizer.prepare_requisition(text, parse_requisition_text(text))
        raw = model.ranker.predict(featurizer.features(requisition, everyone))
        frames.append(
            pd.DataFrame(
                {
                    "requisition": profession,
                    "candidate": [c.candidate_id for c in everyone],
                    "profession": bios["profession"].astype(str).to_numpy(),
                    "gender": bios["gender"].astype(str).to_numpy(),
                    "raw": raw,
                    "score": model.calibrator.transform(raw),
                    "label": (bios["profession"].astype(str) == profession).astype(int).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
