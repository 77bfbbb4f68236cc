"""Rankers behind one scikit-learn-style interface: ``fit(X, y, group=sizes)``, ``predict(X)``.

``X`` holds the pair features in ``matching.features.FEATURE_NAMES`` order (NaN = unknown),
``y`` graded relevance 0–3, ``group`` the number of consecutive rows per requisition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from matching.errors import Errors, MatchingError
from matching.features import FEATURE_NAMES, FEATURES

Array = NDArray[np.float64]


def _check_X(X: ArrayLike) -> Array:
    data = np.asarray(X, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != len(FEATURE_NAMES):
        got = data.shape[1] if data.ndim == 2 else data.shape
        raise MatchingError(Errors.E305, expected=f"{len(FEATURE_NAMES)} features", got=got)
    return data


def _check_fit(
    X: ArrayLike, y: ArrayLike, group: ArrayLike | None
) -> tuple[Array, Array, NDArray[np.int64]]:
    data = _check_X(X)
    labels = np.asarray(y, dtype=np.float64)
    if labels.shape != (data.shape[0],):
        raise MatchingError(Errors.E301, detail="y must have one label per row of X")
    if labels.size and (labels.min() < 0 or labels.max() > 3):
        raise MatchingError(Errors.E301, detail="labels must lie in 0–3")
    sizes = np.asarray(group if group is not None else [data.shape[0]], dtype=np.int64)
    if sizes.sum() != data.shape[0] or (sizes < 1).any():
        raise MatchingError(Errors.E301, detail="group sizes must be positive and sum to len(X)")
    return data, labels, sizes


def _check_fitted(estimator: BaseEstimator, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise MatchingError(Errors.E300, what=type(estimator).__name__)


class LightGBMRanker(BaseEstimator):
    """LightGBM lambdarank with monotone constraints from the feature specs.

    The constraints keep the model sensible where the weak labels are silent: more skill
    coverage or similarity can never lower a score. Small trees and strong regularisation
    keep it from memorising the category labels. Deterministic for a given ``random_state``.
    """

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        monotone: bool = True,
        early_stopping_rounds: int = 30,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.monotone = monotone
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        group: ArrayLike,
        eval_set: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    ) -> LightGBMRanker:
        """Fit on grouped rows; ``eval_set=(X, y, group)`` enables early stopping."""
        import lightgbm

        data, labels, sizes = _check_fit(X, y, group)
        model = lightgbm.LGBMRanker(
            objective="lambdarank",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            monotone_constraints=[f.monotone for f in FEATURES] if self.monotone else None,
            monotone_constraints_method="advanced",
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
        kwargs: dict[str, Any] = {}
        if eval_set is not None:
            ex, ey, eg = _check_fit(*eval_set)
            kwargs = {
                # LightGBM 4.7 deprecates eval_set in favour of eval_X / eval_y.
                "eval_X": (ex,),
                "eval_y": (ey,),
                "eval_group": [eg],
                "eval_at": [10],
                "callbacks": [lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)],
            }
        model.fit(data, labels, group=sizes, **kwargs)
        self.model_ = model
        self.n_features_in_ = data.shape[1]
        return self

    def predict(self, X: ArrayLike) -> Array:
        """Raw ranking scores (higher is better; only their order is meaningful)."""
        _check_fitted(self, "model_")
        return self._booster_predict(_check_X(X), pred_contrib=False)

    def contributions(self, X: ArrayLike) -> Array:
        """Per-feature contributions to each raw score (``pred_contrib``); last column = bias."""
        _check_fitted(self, "model_")
        return self._booster_predict(_check_X(X), pred_contrib=True)

    def _booster_predict(self, data: Array, *, pred_contrib: bool) -> Array:
        # The booster directly, as LGBMRanker.predict does after re-processing every
        # parameter on each call (a third of a one-row prediction's time in the service).
        best = getattr(self.model_, "best_iteration_", None)
        return np.asarray(
            self.model_.booster_.predict(
                data,
                num_iteration=best if best is not None and best > 0 else None,
                pred_contrib=pred_contrib,
            ),
            dtype=np.float64,
        )

    def feature_importances(self) -> dict[str, float]:
        """Total gain per feature."""
        _check_fitted(self, "model_")
        gains = self.model_.booster_.feature_importance(importance_type="gain")
        return {name: float(g) for name, g in zip(FEATURE_NAMES, gains, strict=True)}


class LinearRanker(BaseEstimator):
    """A scikit-learn pointwise model: logistic regression on "relevant" (label ≥ ``relevant``).

    Unknown features are imputed with the training median and flagged by a missing
    indicator; features are standardised so coefficients compare.
    """

    def __init__(self, *, C: float = 1.0, relevant: int = 2, random_state: int = 0) -> None:
        self.C = C
        self.relevant = relevant
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike, *, group: ArrayLike | None = None) -> LinearRanker:
        """Fit (``group`` is accepted for the common interface; a pointwise model ignores it)."""
        data, labels, _ = _check_fit(X, y, group)
        target = (labels >= self.relevant).astype(int)
        if target.min() == target.max():
            raise MatchingError(Errors.E301, detail="training needs relevant and irrelevant rows")
        pipeline: Pipeline = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state),
        )
        pipeline.fit(data, target)
        self.pipeline_ = pipeline
        self.n_features_in_ = data.shape[1]
        return self

    def predict(self, X: ArrayLike) -> Array:
        """Log-odds of relevance."""
        _check_fitted(self, "pipeline_")
        return np.asarray(self.pipeline_.decision_function(_check_X(X)), dtype=np.float64)

    def contributions(self, X: ArrayLike) -> Array:
        """Per-feature share of the log-odds (coefficient × standardised value); last = bias."""
        _check_fitted(self, "pipeline_")
        imputer, scaler, model = (step for _, step in self.pipeline_.steps)
        z = scaler.transform(imputer.transform(_check_X(X)))
        parts = z * model.coef_[0]
        n = len(FEATURE_NAMES)
        # Missing-indicator columns belong to the feature they flag.
        features = parts[:, :n].copy()
        for column, source in enumerate(imputer.indicator_.features_):
            features[:, source] += parts[:, n + column]
        bias = np.full((len(z), 1), float(model.intercept_[0]))
        return np.hstack([features, bias])

    def feature_importances(self) -> dict[str, float]:
        """Absolute standardised coefficient per feature."""
        _check_fitted(self, "pipeline_")
        coef = np.abs(self.pipeline_.steps[-1][1].coef_[0][: len(FEATURE_NAMES)])
        return {name: float(c) for name, c in zip(FEATURE_NAMES, coef, strict=True)}


class FeatureRanker(BaseEstimator):
    """A baseline that ranks by one feature: ``bm25`` (keyword search) or ``sim_whole``
    (embedding cosine). Unknown values rank last."""

    def __init__(self, *, feature: str = "bm25") -> None:
        self.feature = feature

    def fit(
        self, X: ArrayLike, y: ArrayLike | None = None, *, group: ArrayLike | None = None
    ) -> FeatureRanker:
        """Nothing to learn; checks the feature name."""
        if self.feature not in FEATURE_NAMES:
            raise MatchingError(
                Errors.E305, expected=f"one of {', '.join(FEATURE_NAMES)}", got=self.feature
            )
        self.column_ = FEATURE_NAMES.index(self.feature)
        self.n_features_in_ = len(FEATURE_NAMES)
        return self

    def predict(self, X: ArrayLike) -> Array:
        """The feature's value (−inf where unknown)."""
        _check_fitted(self, "column_")
        values = _check_X(X)[:, self.column_]
        return np.where(np.isnan(values), -np.inf, values)

    def contributions(self, X: ArrayLike) -> Array:
        """The whole score is the one feature's."""
        data = _check_X(X)
        out = np.zeros((len(data), len(FEATURE_NAMES) + 1))
        out[:, self.column_] = self.predict(data)
        return out

    def feature_importances(self) -> dict[str, float]:
        """1 for the feature used, 0 for the rest."""
        return {name: float(name == self.feature) for name in FEATURE_NAMES}


def bm25_baseline() -> FeatureRanker:
    """Keyword search: rank by BM25 of the resume for the posting."""
    return FeatureRanker(feature="bm25")


def cosine_baseline() -> FeatureRanker:
    """Plain embedding search: rank by cosine of the whole-document vectors."""
    return FeatureRanker(feature="sim_whole")


def group_sizes(keys: Sequence[object] | ArrayLike) -> NDArray[np.int64]:
    """Sizes of runs of equal consecutive ``keys`` (rows must be sorted by group)."""
    values = np.asarray(keys)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    edges = np.concatenate([[0], change, [values.size]])
    return np.diff(edges).astype(np.int64)
