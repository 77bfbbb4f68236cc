"""Proxy probe: how well the model's features predict a protected attribute.

The ranker never sees sex or race, but its features may still carry them (a passage that
names a women's college, a title that is mostly held by men). A classifier trained to
predict the attribute from the features measures that: a cross-validated ROC AUC near 0.5
means the features carry little information about the attribute; a high AUC means they leak
it, and the per-feature AUCs point at which ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from matching.errors import Errors, InputError
from matching.features import FEATURE_NAMES


@dataclass(frozen=True)
class ProxyResult:
    """Cross-validated ROC AUC of predicting the attribute from the features.

    ``auc`` is the mean over folds (one-vs-rest, macro-averaged, for more than two groups)
    and ``auc_std`` its spread; ``chance`` is what features without information score.
    ``per_feature_auc`` gives, for each feature alone, how well it separates the groups
    (0.5 = not at all, 1 = perfectly, in either direction; NaN counted as its own value).
    """

    auc: float
    auc_std: float
    n: int
    groups: dict[str, int]
    chance: float = 0.5
    per_feature_auc: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return asdict(self)


def proxy_probe(
    X: ArrayLike,
    attribute: ArrayLike,
    *,
    folds: int = 5,
    seed: int = 0,
    feature_names: Sequence[str] = FEATURE_NAMES,
) -> ProxyResult:
    """Assess how well the features ``X`` predict ``attribute``.

    Parameters
    ----------
    X
        Feature matrix, one row per (requisition, candidate) pair, ``feature_names`` columns;
        NaN marks an unknown value.
    attribute
        The protected attribute of each row (two or more groups); ``None``, NaN and empty
        strings are unknown and their rows are left out.
    folds
        Stratified cross-validation folds.
    seed
        Seed of the fold shuffle and the classifier.
    feature_names
        Column names, for ``per_feature_auc``.

    Returns
    -------
    ProxyResult
        Mean and standard deviation of the held-out ROC AUC of a
        ``HistGradientBoostingClassifier`` (which handles NaN), and each feature's own AUC.

    Raises
    ------
    matching.errors.InputError
        E511 when ``X`` is not 2-D or its rows do not match ``attribute``; E512 when fewer
        than two groups are known or a group has fewer members than ``folds``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    matrix = np.asarray(X, dtype=np.float64)
    labels = np.asarray(attribute, dtype=object)
    if matrix.ndim != 2 or labels.ndim != 1 or len(matrix) != len(labels):
        raise InputError(
            Errors.E511,
            detail=f"X has shape {matrix.shape}, the attribute {labels.shape}",
        )
    if matrix.shape[1] != len(feature_names):
        raise InputError(
            Errors.E511,
            detail=f"X has {matrix.shape[1]} columns for {len(feature_names)} feature names",
        )
    if folds < 2:
        raise InputError(Errors.E512, detail=f"folds={folds} (at least 2)", folds=2)
    known = np.array([not _unknown(v) for v in labels], dtype=bool)
    matrix, names = matrix[known], labels[known].astype(str)
    groups, counts = np.unique(names, return_counts=True)
    if len(groups) < 2 or counts.min() < folds:
        found = ", ".join(f"{g}: {c}" for g, c in zip(groups, counts, strict=True)) or "none"
        raise InputError(Errors.E512, detail=f"known groups {found}", folds=folds)
    y = np.searchsorted(groups, names)
    scoring = "roc_auc" if len(groups) == 2 else "roc_auc_ovr"
    classifier = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # A column with no known value (location_match for postings without a place) breaks
    # the classifier's binning; it carries no information, so it is left out.
    usable = (~np.isnan(matrix)).sum(axis=0) >= folds
    if not usable.any():
        raise InputError(Errors.E511, detail="every feature is unknown (NaN) in too many rows")
    scores = cross_val_score(classifier, matrix[:, usable], y, cv=splitter, scoring=scoring)
    return ProxyResult(
        auc=float(np.mean(scores)),
        auc_std=float(np.std(scores)),
        n=len(y),
        groups={str(g): int(c) for g, c in zip(groups, counts, strict=True)},
        per_feature_auc={
            name: _single_feature_auc(matrix[:, j], y, len(groups))
            for j, name in enumerate(feature_names)
        },
    )


def _unknown(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _single_feature_auc(values: NDArray[np.float64], y: NDArray[np.intp], n_groups: int) -> float:
    """Direction-free AUC of one feature (NaN ranked below every value), macro one-vs-rest."""
    from sklearn.metrics import roc_auc_score

    known = values[~np.isnan(values)]
    if known.size == 0:
        return 0.5
    ranks = np.where(np.isnan(values), known.min() - 1.0, values)
    if np.all(ranks == ranks[0]):
        return 0.5
    aucs = []
    for group in range(n_groups if n_groups > 2 else 1):
        target = (y == (group if n_groups > 2 else 1)).astype(int)
        auc = float(roc_auc_score(target, ranks))
        aucs.append(max(auc, 1.0 - auc))
    return float(np.mean(aucs))
