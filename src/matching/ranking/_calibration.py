"""Map a ranker's raw scores onto 0–100 for people and CRMs."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from matching.errors import Errors, MatchingError


class ScoreCalibrator(BaseEstimator):
    """Platt scaling: ``score = 100 · P(relevant | raw)``, fitted on held-out rows.

    A score of 70 means that, among held-out pairs scored about 70, about 70% carried a
    relevant (weak) label. The map is strictly increasing, so it never changes a ranking.
    """

    def __init__(self, *, relevant: int = 2) -> None:
        self.relevant = relevant

    def fit(self, raw: ArrayLike, y: ArrayLike) -> ScoreCalibrator:
        """Fit on raw scores and graded labels of held-out pairs."""
        x = np.asarray(raw, dtype=np.float64)
        target = (np.asarray(y) >= self.relevant).astype(int)
        finite = np.isfinite(x)
        if target[finite].min(initial=1) == target[finite].max(initial=0):
            raise MatchingError(Errors.E301, detail="calibration needs relevant and other rows")
        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(x[finite, None], target[finite])
        slope = float(model.coef_[0][0])
        # A non-increasing map would reverse the ranking: fall back to a unit slope.
        self.slope_ = slope if slope > 0 else 1.0
        self.intercept_ = float(model.intercept_[0])
        return self

    def transform(self, raw: ArrayLike) -> NDArray[np.float64]:
        """Scores 0–100 (−inf raw → 0), rounded to 0.01."""
        if not hasattr(self, "slope_"):
            raise MatchingError(Errors.E300, what="score calibrator")
        x = np.asarray(raw, dtype=np.float64)
        z = np.clip(self.slope_ * x + self.intercept_, -50, 50)
        return np.round(100.0 / (1.0 + np.exp(-z)), 2)
